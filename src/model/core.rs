//! The transformer core: encoder tokens plus outcome queries through a pre-norm transformer
//! encoder, one logit per outcome read from that outcome's query token.

use burn::module::Param;
use burn::nn::transformer::{
    TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput,
};
use burn::nn::{Initializer, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::gelu;
use burn::tensor::{Bool, TensorData};

use super::config::{ImageKind, ModelConfig};
use super::encoders::{PatchEncoder, TabularBatch, TabularEncoder, TokenEncoder};
use super::{ModelError, ModelInputs};

/// Epsilon of every layer normalisation in the model (burn's default, fixed here so that
/// the CPU inference engine uses the same value).
pub const LAYER_NORM_EPS: f64 = 1e-5;

/// The linear readout of [`ModelConfig::linear_readout`]: per outcome, a weighted sum of
/// the tiles' channel means and of the covariates, added to the transformer's logit.
///
/// A trained outcome has free weights over every tile × channel (zero at initialisation,
/// like its head correction) plus the shared anchor readout; a zero-shot outcome has only
/// the shared anchor readout — its anchors' tiles read through learned per-channel weights —
/// so it too is defined by naming anchors. Covariates have shared weights plus a
/// per-trained-outcome correction.
#[derive(Module, Debug)]
pub struct LinearReadout<B: Backend> {
    /// `[C]`: how the anchor readout weighs a tile's channels (thresholds).
    pub channel: Param<Tensor<B, 1>>,
    /// `[n_trained, n_tiles · C]`, tile-major.
    pub tiles: Param<Tensor<B, 2>>,
    /// `[1, F]` shared covariate weights; `None` without covariates.
    pub tabular_shared: Option<Param<Tensor<B, 2>>>,
    /// `[n_trained, F]` per-outcome corrections; `None` without covariates.
    pub tabular: Option<Param<Tensor<B, 2>>>,
}

/// Channel means of every tile, `[batch, n_tiles · C]` (tile-major), of images
/// `[batch, C, H, W]` cut into `patch × patch` tiles.
pub fn tile_means<B: Backend>(images: &Tensor<B, 4>, patch: usize) -> Tensor<B, 2> {
    let [batch, channels, height, width] = images.dims();
    let (rows, columns) = (height / patch, width / patch);
    images
        .clone()
        .reshape([batch, channels, rows, patch, columns, patch])
        .permute([0, 2, 4, 1, 3, 5])
        .reshape([batch, rows * columns, channels, patch * patch])
        .mean_dim(3)
        .reshape([batch, rows * columns * channels])
}

/// What one forward pass returns.
#[derive(Clone, Debug)]
pub struct ModelOutput<B: Backend> {
    /// One logit per outcome, `[batch, n_outcomes]`, in `ModelConfig::outcomes` order.
    pub logits: Tensor<B, 2>,
    /// Pooled embedding `[batch, d_model]`: mean of the final context-token states.
    pub embedding: Tensor<B, 2>,
}

/// Genomic image + tabular covariates -> risk logits (Med-Gemini-Polygenic style); or a
/// medical image, or both, through the same core.
///
/// The sequence is `[patch tokens ; scan patch tokens ; tabular tokens ; outcome query
/// tokens]`; the scan part is there only for mixed models (`ModelConfig::scan`). An attention
/// mask stops context tokens (patches, covariates) from attending to queries and queries
/// from attending to each other, so an outcome's logit depends only on the sample and on
/// that outcome's query: adding a zero-shot outcome never changes the others.
#[derive(Module, Debug)]
pub struct Model<B: Backend> {
    /// Encoder of the first image (genomic, or medical for an imaging model).
    pub patches: PatchEncoder<B>,
    /// Encoder of the second, medical image of a mixed model.
    pub scan: Option<PatchEncoder<B>>,
    /// Covariate encoder; `None` when there are no covariates.
    pub tabular: Option<TabularEncoder<B>>,
    /// Normalises a query's anchor mean before the query map: a mean of many anchors shrinks
    /// towards zero, and the map should see outcomes on one scale.
    pub query_norm: LayerNorm<B>,
    /// Query map, first layer (Linear–GELU–Linear).
    pub query_hidden: Linear<B>,
    /// Query map, second layer.
    pub query_out: Linear<B>,
    /// Pre-norm transformer encoder.
    pub encoder: TransformerEncoder<B>,
    /// Final normalisation (a pre-norm stack leaves its output un-normalised).
    pub final_norm: LayerNorm<B>,
    /// Head shared by all outcomes: the only head of zero-shot outcomes.
    pub shared_head: Linear<B>,
    /// Per-trained-outcome weight added to the shared head, `[n_trained, d_model]`, zero at
    /// initialisation so every outcome starts from the shared head.
    pub outcome_head_weight: Param<Tensor<B, 2>>,
    /// Per-trained-outcome bias added to the shared head, `[n_trained]`.
    pub outcome_head_bias: Param<Tensor<B, 1>>,
    /// Linear readout added to the logits; `None` when the config turns it off.
    pub readout: Option<LinearReadout<B>>,
    /// Normalised anchor weights, `[n_outcomes, n_tiles]` (from the config, not stored).
    anchors: Tensor<B, 2>,
    /// One-hot map from trained outcome to outcome, `[n_outcomes, n_trained]`.
    trained_selection: Tensor<B, 2>,
    /// `true` where attention is forbidden, `[n_tokens, n_tokens]`.
    attention_mask: Tensor<B, 2, Bool>,
    image_shape: [usize; 3],
    scan_shape: Option<[usize; 3]>,
    patch: usize,
    n_tabular: usize,
    n_context: usize,
    n_outcomes: usize,
}

impl ModelConfig {
    /// Builds the network with fresh weights drawn from the backend's generator (seed it
    /// with `B::seed` first for a reproducible initialisation).
    pub fn init<B: Backend>(&self, device: &B::Device) -> Result<Model<B>, ModelError> {
        self.validate()?;
        let d = self.d_model;
        let n_tiles = self.n_tiles();
        let n_outcomes = self.n_outcomes();
        let trained = self.trained_indices();
        let n_context = self.n_context();

        let encoder = TransformerEncoderConfig::new(d, self.d_ff, self.n_heads, self.n_layers)
            .with_dropout(self.dropout)
            .with_norm_first(true)
            .with_layer_norm_eps(LAYER_NORM_EPS)
            .init(device);

        let anchors = Tensor::from_data(
            TensorData::new(self.anchor_matrix(), [n_outcomes, n_tiles]),
            device,
        );
        let mut selection = vec![0.0f32; n_outcomes * trained.len()];
        for (k, &o) in trained.iter().enumerate() {
            selection[o * trained.len() + k] = 1.0;
        }
        let trained_selection = Tensor::from_data(
            TensorData::new(selection, [n_outcomes, trained.len()]),
            device,
        );
        let attention_mask = Tensor::from_data(
            TensorData::new(attention_mask(n_context, n_outcomes), [self.n_tokens(); 2]),
            device,
        );

        let model = Model {
            patches: PatchEncoder::with_stem(
                self.image_shape,
                self.patch,
                if self.image_kind == ImageKind::Medical {
                    self.stem_features
                } else {
                    0
                },
                d,
                device,
            ),
            scan: self.scan.as_ref().map(|scan| {
                PatchEncoder::with_stem(scan.shape, scan.patch, self.stem_features, d, device)
            }),
            tabular: (self.n_tabular > 0).then(|| TabularEncoder::new(self.n_tabular, d, device)),
            query_norm: LayerNormConfig::new(d)
                .with_epsilon(LAYER_NORM_EPS)
                .init(device),
            query_hidden: LinearConfig::new(d, self.d_ff).init(device),
            query_out: LinearConfig::new(self.d_ff, d).init(device),
            encoder,
            final_norm: LayerNormConfig::new(d)
                .with_epsilon(LAYER_NORM_EPS)
                .init(device),
            shared_head: LinearConfig::new(d, 1).init(device),
            outcome_head_weight: Initializer::Zeros.init([trained.len(), d], device),
            outcome_head_bias: Initializer::Zeros.init([trained.len()], device),
            readout: self.linear_readout.then(|| {
                let [channels, _, _] = self.image_shape;
                let tabular = |rows: usize| {
                    (self.n_tabular > 0)
                        .then(|| Initializer::Zeros.init([rows, self.n_tabular], device))
                };
                LinearReadout {
                    channel: Initializer::Zeros.init([channels], device),
                    tiles: Initializer::Zeros.init([trained.len(), n_tiles * channels], device),
                    tabular_shared: tabular(1),
                    tabular: tabular(trained.len()),
                }
            }),
            anchors,
            trained_selection,
            attention_mask,
            image_shape: self.image_shape,
            scan_shape: self.scan.as_ref().map(|s| s.shape),
            patch: self.patch,
            n_tabular: self.n_tabular,
            n_context,
            n_outcomes,
        };
        // Parameters are initialised lazily on first use; touching them all now, in module
        // order, makes the draws from a seeded generator independent of later code paths.
        let _ = model.num_params();
        Ok(model)
    }
}

/// `true` = blocked. Context tokens see only context tokens; a query sees the context and
/// itself.
fn attention_mask(n_context: usize, n_outcomes: usize) -> Vec<bool> {
    let n = n_context + n_outcomes;
    let mut mask = vec![false; n * n];
    for row in 0..n {
        for col in n_context..n {
            mask[row * n + col] = col != row;
        }
    }
    mask
}

impl<B: Backend> Model<B> {
    /// Number of outcomes (logit columns).
    pub fn n_outcomes(&self) -> usize {
        self.n_outcomes
    }

    /// Image shape `[C, H, W]` the model reads.
    pub fn image_shape(&self) -> [usize; 3] {
        self.image_shape
    }

    /// Shape of the second image of a mixed model.
    pub fn scan_shape(&self) -> Option<[usize; 3]> {
        self.scan_shape
    }

    /// Number of covariates the model reads.
    pub fn n_tabular(&self) -> usize {
        self.n_tabular
    }

    /// Query tokens `[n_outcomes, d_model]` from the anchors' position embeddings.
    pub fn query_tokens(&self) -> Tensor<B, 2> {
        let anchor_mean = self
            .anchors
            .clone()
            .matmul(self.patches.position_embeddings());
        let hidden = gelu(
            self.query_hidden
                .forward(self.query_norm.forward(anchor_mean)),
        );
        self.query_out.forward(hidden)
    }

    /// Effective head of every outcome: weight `[n_outcomes, d_model]` and bias
    /// `[n_outcomes]`, the shared head plus, for trained outcomes, their own correction.
    pub fn head_parameters(&self) -> (Tensor<B, 2>, Tensor<B, 1>) {
        let shared_weight = self
            .shared_head
            .weight
            .val()
            .reshape([1, self.encoder.d_model]);
        let shared_bias = match &self.shared_head.bias {
            Some(b) => b.val(),
            None => Tensor::zeros([1], &shared_weight.device()),
        };
        let weight = self
            .trained_selection
            .clone()
            .matmul(self.outcome_head_weight.val())
            + shared_weight;
        let bias = self
            .trained_selection
            .clone()
            .matmul(self.outcome_head_bias.val().unsqueeze_dim::<2>(1))
            .reshape([self.n_outcomes])
            + shared_bias;
        (weight, bias)
    }

    /// Effective weights of the linear readout: `[n_outcomes, n_tiles · C]` over the tile
    /// means and `[n_outcomes, F]` over the covariates (`None` without covariates); `None`
    /// when the model has no readout.
    pub fn readout_parameters(&self) -> Option<(Tensor<B, 2>, Option<Tensor<B, 2>>)> {
        let r = self.readout.as_ref()?;
        let [channels, _, _] = self.image_shape;
        let n_tiles = self.anchors.dims()[1];
        let anchor = self
            .anchors
            .clone()
            .unsqueeze_dim::<3>(2)
            .mul(r.channel.val().reshape([1, 1, channels]))
            .reshape([self.n_outcomes, n_tiles * channels]);
        let tiles = anchor + self.trained_selection.clone().matmul(r.tiles.val());
        let tabular = match (&r.tabular_shared, &r.tabular) {
            (Some(shared), Some(own)) => {
                Some(self.trained_selection.clone().matmul(own.val()) + shared.val())
            }
            _ => None,
        };
        Some((tiles, tabular))
    }

    /// Logits and pooled embedding.
    ///
    /// `images`: `[batch, C, H, W]` pixel values (see `encoders::pixel_value`); `tabular` and
    /// `present`: `[batch, F]` (ignored when the model has no covariates).
    pub fn forward_all(
        &self,
        images: Tensor<B, 4>,
        tabular: Tensor<B, 2>,
        present: Tensor<B, 2>,
    ) -> ModelOutput<B> {
        self.forward_inputs(ModelInputs {
            images,
            scan: None,
            tabular,
            present,
        })
    }

    /// Logits and pooled embedding of a batch with every input the model reads.
    ///
    /// # Panics
    /// When the scan is present and the model reads none, or the other way round (the
    /// callers check inputs against the model first).
    pub fn forward_inputs(&self, inputs: ModelInputs<B>) -> ModelOutput<B> {
        let ModelInputs {
            images,
            scan,
            tabular,
            present,
        } = inputs;
        let batch = images.dims()[0];
        let d_model = self.encoder.d_model;
        let linear = self.readout_parameters().map(|(tiles, covariates)| {
            let mut l = tile_means(&images, self.patch).matmul(tiles.transpose());
            if let Some(v) = covariates {
                l = l + tabular.clone().matmul(v.transpose());
            }
            l
        });
        let mut parts = vec![self.patches.tokens(&images)];
        match (&self.scan, scan) {
            (Some(encoder), Some(scan)) => parts.push(encoder.tokens(&scan)),
            (None, None) => {}
            (expected, _) => panic!(
                "the model reads {} second image, the batch has {}",
                if expected.is_some() { "a" } else { "no" },
                if expected.is_some() { "none" } else { "one" }
            ),
        }
        if let Some(encoder) = &self.tabular {
            parts.push(encoder.tokens(&TabularBatch {
                values: tabular,
                present,
            }));
        }
        parts.push(
            self.query_tokens()
                .unsqueeze::<3>()
                .expand([batch, self.n_outcomes, d_model]),
        );
        let tokens = Tensor::cat(parts, 1);
        let n_tokens = self.n_context + self.n_outcomes;
        let mask = self
            .attention_mask
            .clone()
            .unsqueeze::<3>()
            .expand([batch, n_tokens, n_tokens]);
        let states = self
            .encoder
            .forward(TransformerEncoderInput::new(tokens).mask_attn(mask));
        let states = self.final_norm.forward(states);

        let embedding = states
            .clone()
            .narrow(1, 0, self.n_context)
            .mean_dim(1)
            .reshape([batch, d_model]);
        let queries = states.narrow(1, self.n_context, self.n_outcomes);

        let (weight, bias) = self.head_parameters();
        let mut logits = (queries * weight.unsqueeze::<3>())
            .sum_dim(2)
            .reshape([batch, self.n_outcomes])
            + bias.unsqueeze::<2>();
        if let Some(linear) = linear {
            logits = logits + linear;
        }
        ModelOutput { logits, embedding }
    }

    /// Logits `[batch, n_outcomes]`.
    pub fn forward(
        &self,
        images: Tensor<B, 4>,
        tabular: Tensor<B, 2>,
        present: Tensor<B, 2>,
    ) -> Tensor<B, 2> {
        self.forward_all(images, tabular, present).logits
    }

    /// Pooled embedding `[batch, d_model]` for linear probes: the mean of the final states of
    /// the patch and covariate tokens, which (by the attention mask) does not depend on which
    /// outcomes are queried.
    pub fn embed(
        &self,
        images: Tensor<B, 4>,
        tabular: Tensor<B, 2>,
        present: Tensor<B, 2>,
    ) -> Tensor<B, 2> {
        self.forward_all(images, tabular, present).embedding
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::OutcomeQuery;
    use crate::model::device::backend_rng_guard;
    use burn::backend::NdArray;

    type B = NdArray<f32>;

    fn outcome(id: &str, anchors: Vec<(usize, f32)>, trained: bool) -> OutcomeQuery {
        OutcomeQuery {
            id: id.into(),
            anchors,
            trained,
        }
    }

    fn tiny_config(outcomes: Vec<OutcomeQuery>) -> ModelConfig {
        ModelConfig::new([3, 32, 24], 2, outcomes)
            .with_d_model(16)
            .with_n_heads(2)
            .with_n_layers(1)
            .with_d_ff(16)
    }

    fn inputs(batch: usize, seed: u64) -> (Tensor<B, 4>, Tensor<B, 2>, Tensor<B, 2>) {
        let device = Default::default();
        let mut rng = crate::rng::Rng::new(seed);
        let pixels: Vec<f32> = (0..batch * 3 * 32 * 24)
            .map(|_| rng.uniform() as f32 * 2.0 - 1.0)
            .collect();
        let tab: Vec<f32> = (0..batch * 2).map(|_| rng.normal() as f32).collect();
        let present: Vec<f32> = (0..batch * 2).map(|i| (i % 3 != 0) as u8 as f32).collect();
        (
            Tensor::from_data(TensorData::new(pixels, [batch, 3, 32, 24]), &device),
            Tensor::from_data(TensorData::new(tab, [batch, 2]), &device),
            Tensor::from_data(TensorData::new(present, [batch, 2]), &device),
        )
    }

    #[test]
    fn mask_blocks_queries_except_self() {
        let m = attention_mask(2, 2);
        #[rustfmt::skip]
        let expected = vec![
            false, false, true, true,
            false, false, true, true,
            false, false, false, true,
            false, false, true, false,
        ];
        assert_eq!(m, expected);
    }

    #[test]
    fn shapes_and_zero_shot_logits() {
        let device = Default::default();
        let config = tiny_config(vec![
            outcome("a", vec![(0, 1.0)], true),
            outcome("b", vec![(3, 1.0), (4, 1.0)], true),
            outcome("zero_shot", vec![(1, 0.5), (2, -0.5)], false),
        ]);
        let model = {
            let _guard = backend_rng_guard();
            B::seed(&device, 1);
            config.init::<B>(&device).unwrap()
        };
        let (images, tab, present) = inputs(5, 2);
        let out = model.forward_all(images, tab, present);
        assert_eq!(out.logits.dims(), [5, 3]);
        assert_eq!(out.embedding.dims(), [5, 16]);
        let logits = out.logits.into_data().to_vec::<f32>().unwrap();
        assert!(logits.iter().all(|v| v.is_finite()));
        // The zero-shot column is a real, input-dependent prediction.
        let zs: Vec<f32> = logits.chunks(3).map(|r| r[2]).collect();
        assert!(zs.iter().any(|&v| (v - zs[0]).abs() > 1e-6), "{zs:?}");
        assert_eq!(model.query_tokens().dims(), [3, 16]);
    }

    #[test]
    fn adding_a_zero_shot_outcome_leaves_other_logits_unchanged() {
        let device = Default::default();
        let base = vec![
            outcome("a", vec![(0, 1.0)], true),
            outcome("b", vec![(5, 1.0)], true),
        ];
        let mut extended = base.clone();
        extended.insert(1, outcome("new", vec![(7, 1.0), (9, 2.0)], false));
        let model = {
            let _guard = backend_rng_guard();
            B::seed(&device, 3);
            tiny_config(base).init::<B>(&device).unwrap()
        };
        // Same weights, one more query: load the first model's record into the second.
        let bigger = {
            let _guard = backend_rng_guard();
            tiny_config(extended).init::<B>(&device).unwrap()
        }
        .load_record(model.clone().into_record());
        let (images, tab, present) = inputs(4, 5);
        let a = model
            .forward(images.clone(), tab.clone(), present.clone())
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        let b = bigger
            .forward(images, tab, present)
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        for (ra, rb) in a.chunks(2).zip(b.chunks(3)) {
            assert!((ra[0] - rb[0]).abs() < 1e-5 && (ra[1] - rb[2]).abs() < 1e-5);
        }
    }

    #[test]
    fn model_without_covariates_runs() {
        let device = Default::default();
        let mut config = tiny_config(vec![outcome("a", vec![(0, 1.0)], true)]);
        config.n_tabular = 0;
        let model = {
            let _guard = backend_rng_guard();
            config.init::<B>(&device).unwrap()
        };
        let (images, _, _) = inputs(3, 1);
        let empty = Tensor::<B, 2>::zeros([3, 0], &device);
        let logits = model.forward(images, empty.clone(), empty);
        assert_eq!(logits.dims(), [3, 1]);
    }
}
