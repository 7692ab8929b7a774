//! Plug-in encoders: each turns one input modality into a sequence of `d_model` tokens.
//!
//! The transformer core only ever sees tokens, never the modality they came from (ARCHITECTURE.md,
//! "The pipeline"), so a new modality — 2D medical images, say — plugs in by implementing
//! [`TokenEncoder`] and appending its tokens to the sequence.

use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::gelu;

/// Turns one modality's batch into tokens of shape `[batch, n_tokens, d_model]`.
pub trait TokenEncoder<B: Backend> {
    /// The modality's batch, as tensors.
    type Input;

    /// Tokens for the batch.
    fn tokens(&self, input: &Self::Input) -> Tensor<B, 3>;

    /// Tokens produced per sample.
    fn n_tokens(&self) -> usize;
}

/// Standard deviation of the learned embeddings at initialisation: close to the spread of a
/// freshly initialised patch projection (about 0.3), so that neither content nor position
/// dominates the first layer.
const EMBEDDING_INIT_STD: f64 = 0.2;

fn embedding<B: Backend>(shape: [usize; 2], device: &B::Device) -> Param<Tensor<B, 2>> {
    Initializer::Normal {
        mean: 0.0,
        std: EMBEDDING_INIT_STD,
    }
    .init(shape, device)
}

/// Pixel intensity `p` in 0..=255 mapped to `p / 127.5 - 1`, centred on zero.
pub fn pixel_value(p: u8) -> f32 {
    f32::from(p) / 127.5 - 1.0
}

/// A convolutional stem in front of the patch projection of a medical image: 3×3
/// convolution, GELU, 2×2 max-pooling.
///
/// A linear patch projection sees a small lesion (a nodule a few pixels wide) as a shift of
/// a few of its inputs that depends on where in the patch the lesion sits; a convolution
/// detects it wherever it is and the max-pool keeps it. Early convolutions make vision
/// transformers learn faster and from less data (Xiao et al. 2021, "Early convolutions
/// help transformers see better"; the hybrid ViT of Dosovitskiy et al. 2021). The genomic
/// image never gets one: its tiles are traits, not textures.
#[derive(Module, Debug)]
pub struct ConvStem<B: Backend> {
    /// 3×3 convolution, `C → features`, same padding (keeps `H × W`).
    pub conv: Conv2d<B>,
    /// 2×2 max-pooling with stride 2 (halves `H` and `W`).
    pub pool: MaxPool2d,
}

impl<B: Backend> ConvStem<B> {
    /// A stem from `channels` input channels to `features` feature maps at half the
    /// resolution.
    pub fn new(channels: usize, features: usize, device: &B::Device) -> Self {
        ConvStem {
            conv: Conv2dConfig::new([channels, features], [3, 3])
                .with_padding(PaddingConfig2d::Same)
                .init(device),
            pool: MaxPool2dConfig::new([2, 2]).init(),
        }
    }

    /// `[b, C, H, W]` -> `[b, features, H/2, W/2]`.
    pub fn forward(&self, images: Tensor<B, 4>) -> Tensor<B, 4> {
        self.pool.forward(gelu(self.conv.forward(images)))
    }
}

/// ViT patch embedding of the genomic image (Dosovitskiy et al. 2021): every `patch×patch`
/// patch of all C channels is flattened and projected to `d_model`, then its grid position
/// is added as a row embedding plus a column embedding.
///
/// With `patch = 8` a patch is one trait's tile with its 3 thresholds as channels, so the
/// position embedding of a tile is a learned identity of that trait; outcome queries are
/// built from these (see `core`).
#[derive(Module, Debug)]
pub struct PatchEncoder<B: Backend> {
    /// Convolutional stem of a medical image; `None` for the genomic image.
    pub stem: Option<ConvStem<B>>,
    /// Flattened patch (`C·patch²` values, or `features·(patch/2)²` after a stem) to token.
    pub projection: Linear<B>,
    /// Row embeddings, `[grid rows, d_model]`.
    pub row_embedding: Param<Tensor<B, 2>>,
    /// Column embeddings, `[grid columns, d_model]`.
    pub column_embedding: Param<Tensor<B, 2>>,
    channels: usize,
    patch: usize,
    rows: usize,
    columns: usize,
}

impl<B: Backend> PatchEncoder<B> {
    /// A patch encoder for `[channels, height, width]` images; height and width must be
    /// multiples of `patch` (checked by `ModelConfig::validate`).
    pub fn new(image_shape: [usize; 3], patch: usize, d_model: usize, device: &B::Device) -> Self {
        Self::with_stem(image_shape, patch, 0, d_model, device)
    }

    /// A patch encoder with a [`ConvStem`] of `stem_features` feature maps in front (none
    /// when 0); `patch` must then be even.
    pub fn with_stem(
        image_shape: [usize; 3],
        patch: usize,
        stem_features: usize,
        d_model: usize,
        device: &B::Device,
    ) -> Self {
        let [channels, height, width] = image_shape;
        let (rows, columns) = (height / patch, width / patch);
        let inputs = if stem_features > 0 {
            stem_features * (patch / 2) * (patch / 2)
        } else {
            channels * patch * patch
        };
        PatchEncoder {
            stem: (stem_features > 0).then(|| ConvStem::new(channels, stem_features, device)),
            projection: LinearConfig::new(inputs, d_model).init(device),
            row_embedding: embedding([rows, d_model], device),
            column_embedding: embedding([columns, d_model], device),
            channels,
            patch,
            rows,
            columns,
        }
    }

    /// Position embedding of every tile, `[rows·columns, d_model]`, in row-major tile order.
    pub fn position_embeddings(&self) -> Tensor<B, 2> {
        let rows = self.row_embedding.val();
        let columns = self.column_embedding.val();
        let d_model = rows.dims()[1];
        let grid = rows.unsqueeze_dim::<3>(1) + columns.unsqueeze_dim::<3>(0);
        grid.reshape([self.rows * self.columns, d_model])
    }
}

impl<B: Backend> TokenEncoder<B> for PatchEncoder<B> {
    /// Images `[batch, C, H, W]` with values from [`pixel_value`].
    type Input = Tensor<B, 4>;

    fn tokens(&self, images: &Tensor<B, 4>) -> Tensor<B, 3> {
        let [batch, channels, height, width] = images.dims();
        debug_assert_eq!(
            (channels, height, width),
            (
                self.channels,
                self.rows * self.patch,
                self.columns * self.patch
            )
        );
        let (images, channels, p) = match &self.stem {
            Some(stem) => {
                let features = stem.forward(images.clone());
                let c = features.dims()[1];
                (features, c, self.patch / 2)
            }
            None => (images.clone(), channels, self.patch),
        };
        // [b, C, rows, p, cols, p] -> [b, rows, cols, C, p, p] -> [b, rows·cols, C·p·p]
        let patches = images
            .reshape([batch, channels, self.rows, p, self.columns, p])
            .permute([0, 2, 4, 1, 3, 5])
            .reshape([batch, self.rows * self.columns, channels * p * p]);
        self.projection.forward(patches) + self.position_embeddings().unsqueeze::<3>()
    }

    fn n_tokens(&self) -> usize {
        self.rows * self.columns
    }
}

/// A batch of tabular covariates.
#[derive(Clone, Debug)]
pub struct TabularBatch<B: Backend> {
    /// Standardised values `[batch, F]`; ignored where missing.
    pub values: Tensor<B, 2>,
    /// 1 where the value is present, 0 where missing, `[batch, F]`.
    pub present: Tensor<B, 2>,
}

/// One token per tabular feature f: `x·w_f + e_f` when present and `m_f + e_f` when missing.
///
/// `e_f` is the feature-type embedding that tells the transformer which covariate the token
/// carries; it also serves as the bias of the present token, so a separate `b_f` would be
/// redundant. The missing embedding `m_f` lets the model learn what missingness implies
/// instead of treating an imputed 0 as an observation.
#[derive(Module, Debug)]
pub struct TabularEncoder<B: Backend> {
    /// `w_f`, `[F, d_model]`.
    pub value_weight: Param<Tensor<B, 2>>,
    /// `m_f`, `[F, d_model]`.
    pub missing_embedding: Param<Tensor<B, 2>>,
    /// `e_f`, `[F, d_model]`.
    pub feature_embedding: Param<Tensor<B, 2>>,
    n_features: usize,
}

impl<B: Backend> TabularEncoder<B> {
    /// An encoder for `n_features` covariates.
    pub fn new(n_features: usize, d_model: usize, device: &B::Device) -> Self {
        TabularEncoder {
            value_weight: embedding([n_features, d_model], device),
            missing_embedding: embedding([n_features, d_model], device),
            feature_embedding: embedding([n_features, d_model], device),
            n_features,
        }
    }
}

impl<B: Backend> TokenEncoder<B> for TabularEncoder<B> {
    type Input = TabularBatch<B>;

    fn tokens(&self, input: &TabularBatch<B>) -> Tensor<B, 3> {
        let present = input.present.clone();
        // Multiplying by `present` also clears whatever a missing value was stored as.
        let values = (input.values.clone() * present.clone()).unsqueeze_dim::<3>(2);
        let present = present.unsqueeze_dim::<3>(2);
        let absent = present.clone().neg().add_scalar(1.0);
        values * self.value_weight.val().unsqueeze::<3>()
            + absent * self.missing_embedding.val().unsqueeze::<3>()
            + self.feature_embedding.val().unsqueeze::<3>()
    }

    fn n_tokens(&self) -> usize {
        self.n_features
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;
    use burn::tensor::TensorData;

    type B = NdArray<f32>;

    #[test]
    fn pixel_values_span_minus_one_to_one() {
        assert_eq!(pixel_value(0), -1.0);
        assert_eq!(pixel_value(255), 1.0);
        assert!(pixel_value(128) > 0.0 && pixel_value(127) < 0.0);
    }

    #[test]
    fn patch_tokens_follow_row_major_tiles_and_channels() {
        let device = Default::default();
        let _guard = crate::model::device::backend_rng_guard();
        let encoder = PatchEncoder::<B>::new([2, 4, 6], 2, 5, &device);
        // Image where pixel value = 1000·c + 10·y + x, so every patch is recognisable.
        let mut pixels = Vec::new();
        for c in 0..2 {
            for y in 0..4 {
                for x in 0..6 {
                    pixels.push((1000 * c + 10 * y + x) as f32);
                }
            }
        }
        let images = Tensor::<B, 4>::from_data(TensorData::new(pixels, [1, 2, 4, 6]), &device);
        // Replace the projection by the identity on the first 5 inputs to read patches back.
        let mut identity = vec![0.0f32; 8 * 5];
        for i in 0..5 {
            identity[i * 5 + i] = 1.0;
        }
        let mut encoder = encoder;
        encoder.projection.weight = Param::from_tensor(Tensor::from_data(
            TensorData::new(identity, [8, 5]),
            &device,
        ));
        encoder.projection.bias = None;
        let tokens = encoder.tokens(&images) - encoder.position_embeddings().unsqueeze::<3>();
        assert_eq!(tokens.dims(), [1, 6, 5]);
        let v = tokens.into_data().to_vec::<f32>().unwrap();
        // Tile 4 is grid row 1, column 1: pixels y in 2..4, x in 2..4 of channel 0 first.
        let tile4 = &v[4 * 5..5 * 5];
        let expected = [22.0, 23.0, 32.0, 33.0, 1022.0];
        for (a, e) in tile4.iter().zip(expected) {
            assert!((a - e).abs() < 1e-3, "{tile4:?}");
        }
        assert_eq!(encoder.n_tokens(), 6);
    }

    #[test]
    fn a_stem_keeps_the_patch_grid_and_sees_a_small_spot_anywhere_in_its_patch() {
        let device = Default::default();
        let _guard = crate::model::device::backend_rng_guard();
        let encoder = PatchEncoder::<B>::with_stem([1, 32, 32], 16, 4, 6, &device);
        let blank = Tensor::<B, 4>::zeros([1, 1, 32, 32], &device);
        let tokens = encoder.tokens(&blank);
        assert_eq!(tokens.dims(), [1, 4, 6]);
        assert_eq!(encoder.n_tokens(), 4);
        // A 2×2 bright spot in patch 3 (bottom right) changes that token only.
        let mut pixels = vec![0.0f32; 32 * 32];
        for (y, x) in [(20, 21), (20, 22), (21, 21), (21, 22)] {
            pixels[y * 32 + x] = 1.0;
        }
        let spot = Tensor::<B, 4>::from_data(TensorData::new(pixels, [1, 1, 32, 32]), &device);
        let diff = (encoder.tokens(&spot) - tokens)
            .abs()
            .sum_dim(2)
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        assert!(diff[3] > 1e-4, "{diff:?}");
        assert!(diff[..3].iter().all(|&d| d < 1e-6), "{diff:?}");
    }

    #[test]
    fn position_embedding_is_row_plus_column() {
        let device = Default::default();
        let _guard = crate::model::device::backend_rng_guard();
        let encoder = PatchEncoder::<B>::new([3, 16, 24], 8, 4, &device);
        let pos = encoder
            .position_embeddings()
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        let rows = encoder
            .row_embedding
            .val()
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        let cols = encoder
            .column_embedding
            .val()
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        // Tile 5 = row 1, column 2 of a 2×3 grid.
        for k in 0..4 {
            assert!((pos[5 * 4 + k] - rows[4 + k] - cols[2 * 4 + k]).abs() < 1e-6);
        }
    }

    #[test]
    fn tabular_tokens_use_missing_embedding_when_absent() {
        let device = Default::default();
        let _guard = crate::model::device::backend_rng_guard();
        let encoder = TabularEncoder::<B>::new(2, 3, &device);
        let batch = TabularBatch {
            // Second sample's first value is missing and stored as garbage.
            values: Tensor::from_data(
                TensorData::new(vec![2.0f32, -1.0, 99.0, 0.5], [2, 2]),
                &device,
            ),
            present: Tensor::from_data(
                TensorData::new(vec![1.0f32, 1.0, 0.0, 1.0], [2, 2]),
                &device,
            ),
        };
        let tokens = encoder.tokens(&batch);
        assert_eq!(tokens.dims(), [2, 2, 3]);
        let t = tokens.into_data().to_vec::<f32>().unwrap();
        let w = encoder
            .value_weight
            .val()
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        let m = encoder
            .missing_embedding
            .val()
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        let e = encoder
            .feature_embedding
            .val()
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        for k in 0..3 {
            assert!((t[k] - (2.0 * w[k] + e[k])).abs() < 1e-6);
            assert!((t[3 + k] - (-w[3 + k] + e[3 + k])).abs() < 1e-6);
            assert!((t[6 + k] - (m[k] + e[k])).abs() < 1e-6);
            assert!((t[9 + k] - (0.5 * w[3 + k] + e[3 + k])).abs() < 1e-6);
        }
    }
}
