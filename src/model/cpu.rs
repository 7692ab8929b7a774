//! A lean f32 inference engine for [`Model`] on the CPU.
//!
//! burn's NdArray backend pays a fixed cost per tensor operation (allocation, dispatch,
//! broadcasting, masking by `mask_fill`) that dwarfs the arithmetic of a model this small:
//! it predicted about 450 samples/s on two cores. This engine copies the weights out of a
//! trained burn [`Model`] and runs the same forward pass (`Model::forward_all`) with plain
//! buffers, blocked matrix products (`matrixmultiply`) and vectorisable loops. Its results
//! equal burn's to float rounding; the tests below check that on random models.
//!
//! Three shortcuts are exact, not approximations:
//! - **Uniform tiles.** When the `patch²` pixels of one tile channel are all equal (the
//!   paper's uniform fill), the patch projection of that channel is the pixel value times
//!   the column sums of that channel's weight rows.
//! - **The attention mask.** Context tokens (patches, covariates) never attend to queries,
//!   and a query attends to the context and itself only (see `core`). So context tokens are
//!   processed once without the queries, masked scores are never computed (burn fills them
//!   with -1e4, whose softmax weight is 0 in f32), and a query needs only its own key and
//!   value besides the context's.
//! - **The last layer.** Logits are read from query tokens only, so the last layer updates
//!   the context tokens only when the pooled embedding is asked for.

use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use rayon::prelude::*;

use super::config::ModelConfig;
use super::core::{Model, LAYER_NORM_EPS};
use super::encoders::pixel_value;
use super::{ModelData, ModelError};

/// Samples per block: large enough for efficient matrix products, small enough that a
/// block's activations stay in the core's L2 cache.
const BLOCK_SAMPLES: usize = 32;

/// Layer-normalisation parameters.
#[derive(Clone, Debug)]
struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

/// One pre-norm transformer layer (burn's `TransformerEncoderLayer` with `norm_first`).
#[derive(Clone, Debug)]
struct Layer {
    /// Before attention (burn's `norm_2` in a pre-norm layer).
    attention_norm: Norm,
    /// Before the feed-forward block (burn's `norm_1`).
    feed_forward_norm: Norm,
    /// Query, key and value projections side by side, `[d, 3d]`.
    qkv_weight: Vec<f32>,
    qkv_bias: Vec<f32>,
    /// Attention output projection, `[d, d]`.
    out_weight: Vec<f32>,
    out_bias: Vec<f32>,
    /// `[d, d_ff]`.
    inner_weight: Vec<f32>,
    inner_bias: Vec<f32>,
    /// `[d_ff, d]`.
    outer_weight: Vec<f32>,
    outer_bias: Vec<f32>,
}

/// Defines a method that runs `forward_block_portable` compiled with extra target
/// features: the portable code inlines into it and vectorises for those features.
macro_rules! simd_variant {
    ($(#[$doc:meta])* $name:ident, $features:literal) => {
        $(#[$doc])*
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        unsafe fn $name(
            &self,
            data: &ModelData,
            first: usize,
            n: usize,
            embedding: bool,
            s: &mut Scratch,
            out: &mut [f32],
        ) {
            self.forward_block_portable(data, first, n, embedding, s, out);
        }
    };
}

/// Instruction sets the engine has compiled code paths for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Isa {
    Portable,
    Avx2,
    Avx512,
}

impl Isa {
    /// The widest path this CPU runs.
    fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            use std::is_x86_feature_detected as has;
            if has!("avx512f") && has!("avx512vl") && has!("avx512bw") && has!("avx512dq") {
                return Isa::Avx512;
            }
            if has!("avx2") && has!("fma") {
                return Isa::Avx2;
            }
        }
        Isa::Portable
    }

    /// Every path this CPU can run (for tests).
    #[cfg(test)]
    fn available() -> Vec<Isa> {
        match Isa::detect() {
            Isa::Avx512 => vec![Isa::Portable, Isa::Avx2, Isa::Avx512],
            Isa::Avx2 => vec![Isa::Portable, Isa::Avx2],
            Isa::Portable => vec![Isa::Portable],
        }
    }
}

/// A trained [`Model`]'s weights in plain row-major buffers, ready for CPU inference.
#[derive(Clone, Debug)]
pub struct CpuModel {
    image_shape: [usize; 3],
    patch: usize,
    grid_columns: usize,
    n_tiles: usize,
    n_tabular: usize,
    n_outcomes: usize,
    d_model: usize,
    n_heads: usize,
    d_ff: usize,
    /// `[C·patch², d]`, rows in `(channel, y, x)` order as burn flattens a patch.
    patch_weight: Vec<f32>,
    /// `[C, d]`: sum of each channel's `patch²` rows of `patch_weight`.
    channel_weight: Vec<f32>,
    patch_bias: Vec<f32>,
    /// `[n_tiles, d]`.
    position: Vec<f32>,
    /// `[F, d]` each: value weight, missing embedding, feature embedding.
    tabular_value: Vec<f32>,
    tabular_missing: Vec<f32>,
    tabular_feature: Vec<f32>,
    /// `[n_outcomes, d]`: the outcome query tokens (they do not depend on the sample).
    queries: Vec<f32>,
    layers: Vec<Layer>,
    final_norm: Norm,
    /// `[n_outcomes, d]` and `[n_outcomes]`: each outcome's effective head.
    head_weight: Vec<f32>,
    head_bias: Vec<f32>,
    /// `[n_outcomes, 3d]`: the first layer's query, key and value projections of the query
    /// tokens, which are the same for every sample.
    first_query_qkv: Vec<f32>,
    /// Linear readout ([`crate::model::core::LinearReadout`]): `[n_outcomes, n_tiles · C]`
    /// over the tile means and `[n_outcomes, F]` over the covariates; empty without it.
    readout_tiles: Vec<f32>,
    readout_tabular: Vec<f32>,
    isa: Isa,
}

fn values<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> Result<Vec<f32>, ModelError> {
    tensor
        .into_data()
        .convert::<f32>()
        .into_vec::<f32>()
        .map_err(|e| ModelError::Tensor(format!("cannot read model weights: {e:?}")))
}

fn norm<B: Backend>(layer: &burn::nn::LayerNorm<B>, d: usize) -> Result<Norm, ModelError> {
    Ok(Norm {
        gamma: values(layer.gamma.val())?,
        beta: match &layer.beta {
            Some(b) => values(b.val())?,
            None => vec![0.0; d],
        },
    })
}

fn linear<B: Backend>(
    layer: &burn::nn::Linear<B>,
    d_out: usize,
) -> Result<(Vec<f32>, Vec<f32>), ModelError> {
    Ok((
        values(layer.weight.val())?,
        match &layer.bias {
            Some(b) => values(b.val())?,
            None => vec![0.0; d_out],
        },
    ))
}

impl CpuModel {
    /// Copies the weights of `model`, built from `config`.
    pub fn from_model<B: Backend>(
        model: &Model<B>,
        config: &ModelConfig,
    ) -> Result<CpuModel, ModelError> {
        config.validate()?;
        if !config.cpu_engine_supported() {
            return Err(ModelError::Config(
                "the CPU engine reads one image without a convolutional stem; this model runs \
                 on a burn backend"
                    .into(),
            ));
        }
        let d = config.d_model;
        if model.n_outcomes() != config.n_outcomes()
            || model.image_shape() != config.image_shape
            || model.n_tabular() != config.n_tabular
        {
            return Err(ModelError::Config(
                "the model's shape differs from its configuration".into(),
            ));
        }
        let [channels, _, _] = config.image_shape;
        let pixels = config.patch * config.patch;
        let (patch_weight, patch_bias) = linear(&model.patches.projection, d)?;
        let mut channel_weight = vec![0.0f32; channels * d];
        for c in 0..channels {
            for row in patch_weight[c * pixels * d..(c + 1) * pixels * d].chunks_exact(d) {
                for (sum, w) in channel_weight[c * d..(c + 1) * d].iter_mut().zip(row) {
                    *sum += w;
                }
            }
        }
        let (tabular_value, tabular_missing, tabular_feature) = match &model.tabular {
            Some(t) => (
                values(t.value_weight.val())?,
                values(t.missing_embedding.val())?,
                values(t.feature_embedding.val())?,
            ),
            None => (Vec::new(), Vec::new(), Vec::new()),
        };
        let mut layers = Vec::with_capacity(config.n_layers);
        for layer in &model.encoder.layers {
            let (q_weight, q_bias) = linear(&layer.mha.query, d)?;
            let (k_weight, k_bias) = linear(&layer.mha.key, d)?;
            let (v_weight, v_bias) = linear(&layer.mha.value, d)?;
            let mut qkv_weight = Vec::with_capacity(3 * d * d);
            for row in 0..d {
                for w in [&q_weight, &k_weight, &v_weight] {
                    qkv_weight.extend_from_slice(&w[row * d..(row + 1) * d]);
                }
            }
            let (out_weight, out_bias) = linear(&layer.mha.output, d)?;
            let (inner_weight, inner_bias) = linear(&layer.pwff.linear_inner, config.d_ff)?;
            let (outer_weight, outer_bias) = linear(&layer.pwff.linear_outer, d)?;
            layers.push(Layer {
                attention_norm: norm(&layer.norm_2, d)?,
                feed_forward_norm: norm(&layer.norm_1, d)?,
                qkv_weight,
                qkv_bias: [q_bias, k_bias, v_bias].concat(),
                out_weight,
                out_bias,
                inner_weight,
                inner_bias,
                outer_weight,
                outer_bias,
            });
        }
        let (head_weight, head_bias) = model.head_parameters();
        let (readout_tiles, readout_tabular) = match model.readout_parameters() {
            Some((tiles, tabular)) => (
                values(tiles)?,
                match tabular {
                    Some(t) => values(t)?,
                    None => Vec::new(),
                },
            ),
            None => (Vec::new(), Vec::new()),
        };
        let (_, columns) = config.grid();
        let queries = values(model.query_tokens())?;
        let first_query_qkv = match layers.first() {
            Some(layer) => {
                let mut normed = queries.clone();
                layer_norm(&mut normed, &layer.attention_norm, d);
                let mut qkv = vec![0.0; config.n_outcomes() * 3 * d];
                affine(
                    &normed,
                    config.n_outcomes(),
                    d,
                    &layer.qkv_weight,
                    &layer.qkv_bias,
                    &mut qkv,
                );
                qkv
            }
            None => Vec::new(),
        };
        Ok(CpuModel {
            image_shape: config.image_shape,
            patch: config.patch,
            grid_columns: columns,
            n_tiles: config.n_tiles(),
            n_tabular: config.n_tabular,
            n_outcomes: config.n_outcomes(),
            d_model: d,
            n_heads: config.n_heads,
            d_ff: config.d_ff,
            patch_weight,
            channel_weight,
            patch_bias,
            position: values(model.patches.position_embeddings())?,
            tabular_value,
            tabular_missing,
            tabular_feature,
            queries,
            layers,
            final_norm: norm(&model.final_norm, d)?,
            head_weight: values(head_weight)?,
            head_bias: values(head_bias)?,
            first_query_qkv,
            readout_tiles,
            readout_tabular,
            isa: Isa::detect(),
        })
    }

    /// Number of outcomes (columns of [`CpuModel::probabilities`]).
    pub fn n_outcomes(&self) -> usize {
        self.n_outcomes
    }

    /// Width of the pooled embedding.
    pub fn d_model(&self) -> usize {
        self.d_model
    }

    fn check(&self, data: &ModelData) -> Result<(), ModelError> {
        data.validate(false)?;
        if data.image_shape != self.image_shape
            || data.n_tabular != self.n_tabular
            || data.scan().is_some()
        {
            return Err(ModelError::Mismatch(format!(
                "inputs are {:?} images with {} covariates, the model reads {:?} with {}",
                data.image_shape, data.n_tabular, self.image_shape, self.n_tabular
            )));
        }
        Ok(())
    }

    /// Outcome logits, `n × n_outcomes` row-major.
    pub fn logits(&self, data: &ModelData) -> Result<Vec<f32>, ModelError> {
        self.check(data)?;
        Ok(self.run(data, self.n_outcomes, false))
    }

    /// Outcome probabilities (sigmoid of the logits), `n × n_outcomes` row-major.
    pub fn probabilities(&self, data: &ModelData) -> Result<Vec<f32>, ModelError> {
        let mut out = self.logits(data)?;
        for v in &mut out {
            *v = 1.0 / (1.0 + (-*v).exp());
        }
        Ok(out)
    }

    /// Pooled embeddings, `n × d_model` row-major: the mean of the final context states.
    pub fn embeddings(&self, data: &ModelData) -> Result<Vec<f32>, ModelError> {
        self.check(data)?;
        Ok(self.run(data, self.d_model, true))
    }

    /// Runs blocks of samples in parallel on the rayon pool; `width` outputs per sample.
    fn run(&self, data: &ModelData, width: usize, embedding: bool) -> Vec<f32> {
        let mut out = vec![0.0f32; data.n * width];
        out.par_chunks_mut(BLOCK_SAMPLES * width)
            .enumerate()
            .for_each_init(
                || Scratch::new(self),
                |scratch, (block, out)| {
                    let first = block * BLOCK_SAMPLES;
                    let n = out.len() / width;
                    self.forward_block(data, first, n, embedding, scratch, out);
                },
            );
        out
    }

    fn forward_block(
        &self,
        data: &ModelData,
        first: usize,
        n: usize,
        embedding: bool,
        s: &mut Scratch,
        out: &mut [f32],
    ) {
        #[cfg(target_arch = "x86_64")]
        match self.isa {
            // SAFETY: `Isa::detect` chose these only where the CPU supports the features the
            // functions are compiled for.
            Isa::Avx512 => {
                unsafe { self.forward_block_avx512(data, first, n, embedding, s, out) };
                return;
            }
            Isa::Avx2 => {
                unsafe { self.forward_block_avx2(data, first, n, embedding, s, out) };
                return;
            }
            Isa::Portable => {}
        }
        self.forward_block_portable(data, first, n, embedding, s, out);
    }

    simd_variant!(
        /// The same code compiled for AVX2 and FMA, so that the loops below vectorise 8 wide.
        forward_block_avx2,
        "avx2,fma"
    );
    simd_variant!(
        /// The same code compiled for AVX-512, so that the loops below vectorise 16 wide.
        forward_block_avx512,
        "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"
    );

    #[inline(always)]
    fn forward_block_portable(
        &self,
        data: &ModelData,
        first: usize,
        n: usize,
        embedding: bool,
        s: &mut Scratch,
        out: &mut [f32],
    ) {
        let d = self.d_model;
        let n_context = self.n_tiles + self.n_tabular;
        let context_rows = n * n_context;
        let query_rows = n * self.n_outcomes;
        let n_means = self.n_tiles * self.image_shape[0];
        s.tile_means.resize(BLOCK_SAMPLES * n_means, 0.0);
        self.embed_tokens(
            data,
            first,
            n,
            &mut s.context[..context_rows * d],
            &mut s.tile_means[..n * n_means],
        );
        for (row, q) in s.queries[..query_rows * d].chunks_exact_mut(d).enumerate() {
            let o = row % self.n_outcomes;
            q.copy_from_slice(&self.queries[o * d..(o + 1) * d]);
        }
        for (l, layer) in self.layers.iter().enumerate() {
            let update_context = embedding || l + 1 < self.layers.len();
            self.attention(layer, l == 0, n, n_context, update_context, s);
            if update_context {
                self.feed_forward(
                    layer,
                    &mut s.context[..context_rows * d],
                    context_rows,
                    &mut s.normed,
                    &mut s.hidden,
                );
            }
            self.feed_forward(
                layer,
                &mut s.queries[..query_rows * d],
                query_rows,
                &mut s.normed,
                &mut s.hidden,
            );
        }
        if embedding {
            let x = &mut s.context[..context_rows * d];
            layer_norm(x, &self.final_norm, d);
            for (sample, o) in out.chunks_exact_mut(d).enumerate() {
                o.fill(0.0);
                for row in x[sample * n_context * d..(sample + 1) * n_context * d].chunks_exact(d) {
                    for (a, v) in o.iter_mut().zip(row) {
                        *a += v;
                    }
                }
                for a in o.iter_mut() {
                    *a /= n_context as f32;
                }
            }
        } else {
            let x = &mut s.queries[..query_rows * d];
            layer_norm(x, &self.final_norm, d);
            for (row, (state, logit)) in x.chunks_exact(d).zip(out.iter_mut()).enumerate() {
                let o = row % self.n_outcomes;
                *logit = dot(state, &self.head_weight[o * d..(o + 1) * d]) + self.head_bias[o];
            }
            if !self.readout_tiles.is_empty() {
                self.add_readout(data, first, n, &s.tile_means, out);
            }
        }
    }

    /// Adds the linear readout to the logits of samples `first..first + n`, from the tile
    /// means [`CpuModel::embed_tokens`] left in `means`.
    #[inline(always)]
    fn add_readout(
        &self,
        data: &ModelData,
        first: usize,
        n: usize,
        means: &[f32],
        out: &mut [f32],
    ) {
        let f = self.n_tabular;
        let k = self.n_tiles * self.image_shape[0];
        for sample in 0..n {
            let i = first + sample;
            let m = &means[sample * k..(sample + 1) * k];
            let tab = &data.tabular[i * f..(i + 1) * f];
            for (o, logit) in out[sample * self.n_outcomes..(sample + 1) * self.n_outcomes]
                .iter_mut()
                .enumerate()
            {
                *logit += dot(m, &self.readout_tiles[o * k..(o + 1) * k]);
                if !self.readout_tabular.is_empty() {
                    *logit += dot(tab, &self.readout_tabular[o * f..(o + 1) * f]);
                }
            }
        }
    }

    /// Patch and covariate tokens of samples `first..first + n` into `x`
    /// (`[n · n_context, d]`), and the channel means of their tiles into `means`
    /// (`[n · n_tiles · C]`, for the linear readout).
    #[inline(always)]
    fn embed_tokens(
        &self,
        data: &ModelData,
        first: usize,
        n: usize,
        x: &mut [f32],
        means: &mut [f32],
    ) {
        let d = self.d_model;
        let [channels, height, width] = self.image_shape;
        let per_image = channels * height * width;
        let p = self.patch;
        let n_context = self.n_tiles + self.n_tabular;
        let lookup: [f32; 256] = std::array::from_fn(|v| pixel_value(v as u8));
        for sample in 0..n {
            let i = first + sample;
            let image = &data.pixels[i * per_image..(i + 1) * per_image];
            let tokens = &mut x[sample * n_context * d..(sample + 1) * n_context * d];
            for (tile, token) in tokens[..self.n_tiles * d].chunks_exact_mut(d).enumerate() {
                let (y0, x0) = (
                    (tile / self.grid_columns) * p,
                    (tile % self.grid_columns) * p,
                );
                token.copy_from_slice(&self.patch_bias);
                add(token, &self.position[tile * d..(tile + 1) * d]);
                for c in 0..channels {
                    let plane = &image[c * height * width..(c + 1) * height * width];
                    let first_pixel = plane[y0 * width + x0];
                    // OR of differences, without early exit, so that it vectorises.
                    let uniform = (0..p).fold(0u8, |acc, y| {
                        plane[(y0 + y) * width + x0..(y0 + y) * width + x0 + p]
                            .iter()
                            .fold(acc, |acc, &v| acc | (v ^ first_pixel))
                    }) == 0;
                    let mean = &mut means[(sample * self.n_tiles + tile) * channels + c];
                    if uniform {
                        *mean = lookup[first_pixel as usize];
                        axpy(token, *mean, &self.channel_weight[c * d..(c + 1) * d]);
                    } else {
                        let mut sum = 0.0;
                        for y in 0..p {
                            for xx in 0..p {
                                let v = lookup[plane[(y0 + y) * width + x0 + xx] as usize];
                                sum += v;
                                let row = (c * p + y) * p + xx;
                                axpy(token, v, &self.patch_weight[row * d..(row + 1) * d]);
                            }
                        }
                        *mean = sum / (p * p) as f32;
                    }
                }
            }
            let f = self.n_tabular;
            for (k, token) in tokens[self.n_tiles * d..].chunks_exact_mut(d).enumerate() {
                token.copy_from_slice(&self.tabular_feature[k * d..(k + 1) * d]);
                if data.tabular_present[i * f + k] != 0.0 {
                    axpy(
                        token,
                        data.tabular[i * f + k],
                        &self.tabular_value[k * d..(k + 1) * d],
                    );
                } else {
                    add(token, &self.tabular_missing[k * d..(k + 1) * d]);
                }
            }
        }
    }

    /// The attention half of a layer: `x += Wo · attention(norm(x)) + bo`, for the context
    /// tokens when `update_context`, and always for the queries.
    #[inline(always)]
    fn attention(
        &self,
        layer: &Layer,
        first_layer: bool,
        n: usize,
        n_context: usize,
        update_context: bool,
        s: &mut Scratch,
    ) {
        let d = self.d_model;
        let heads = self.n_heads;
        let dh = d / heads;
        let scale = 1.0 / (dh as f32).sqrt();
        let context_rows = n * n_context;
        let query_rows = n * self.n_outcomes;
        // Projections: keys and values of every token; queries of the rows being updated.
        // The first layer's projections of the query tokens do not depend on the sample.
        let first_queries = first_layer.then_some(&self.first_query_qkv[..]);
        for (x, qkv, rows, skip_query, precomputed) in [
            (
                &s.context,
                &mut s.context_qkv,
                context_rows,
                !update_context,
                None,
            ),
            (
                &s.queries,
                &mut s.query_qkv,
                query_rows,
                false,
                first_queries,
            ),
        ] {
            if let Some(per_sample) = precomputed {
                for row in qkv[..rows * 3 * d].chunks_exact_mut(per_sample.len()) {
                    row.copy_from_slice(per_sample);
                }
                continue;
            }
            let normed = &mut s.normed[..rows * d];
            normed.copy_from_slice(&x[..rows * d]);
            layer_norm(normed, &layer.attention_norm, d);
            // Context rows that are not updated need keys and values only.
            let skip = if skip_query { d } else { 0 };
            let qkv = &mut qkv[..rows * 3 * d];
            for row in qkv.chunks_exact_mut(3 * d) {
                row[skip..].copy_from_slice(&layer.qkv_bias[skip..]);
            }
            let columns = 3 * d - skip;
            // SAFETY: `normed` is rows × d, the weight d × 3d and `qkv` rows × 3d; the
            // product reads and writes columns skip..3d of the latter two.
            unsafe {
                gemm_view(
                    rows,
                    d,
                    columns,
                    1.0,
                    normed.as_ptr(),
                    d as isize,
                    layer.qkv_weight.as_ptr().add(skip),
                    (3 * d) as isize,
                    1,
                    1.0,
                    qkv.as_mut_ptr().add(skip),
                    (3 * d) as isize,
                );
            }
        }
        let stride = 3 * d;
        let scores = &mut s.scores;
        for sample in 0..n {
            let kv = &s.context_qkv[sample * n_context * stride..(sample + 1) * n_context * stride];
            for h in 0..heads {
                if update_context {
                    // Scores of all context rows against all context keys, one product.
                    let sc = &mut scores[..n_context * n_context];
                    // SAFETY: the slices hold n_context rows of `stride` floats; the
                    // pointers and strides stay inside them.
                    unsafe {
                        gemm_view(
                            n_context,
                            dh,
                            n_context,
                            scale,
                            kv.as_ptr().add(h * dh),
                            stride as isize,
                            kv.as_ptr().add(d + h * dh),
                            1,
                            stride as isize,
                            0.0,
                            sc.as_mut_ptr(),
                            n_context as isize,
                        );
                    }
                    for row in sc.chunks_exact_mut(n_context) {
                        softmax(row);
                    }
                    let att = &mut s.context_attended
                        [sample * n_context * d..(sample + 1) * n_context * d];
                    // SAFETY: as above; the output has n_context rows of d floats.
                    unsafe {
                        gemm_view(
                            n_context,
                            n_context,
                            dh,
                            1.0,
                            sc.as_ptr(),
                            n_context as isize,
                            kv.as_ptr().add(2 * d + h * dh),
                            stride as isize,
                            1,
                            0.0,
                            att.as_mut_ptr().add(h * dh),
                            d as isize,
                        );
                    }
                }
                // Queries: scores against the context keys in one product, then each
                // query's score against its own key in the last column.
                let width = n_context + 1;
                let sq = &mut scores[..self.n_outcomes * width];
                let queries = &s.query_qkv
                    [sample * self.n_outcomes * stride..(sample + 1) * self.n_outcomes * stride];
                // SAFETY: `queries` holds n_outcomes rows and `kv` n_context rows of
                // `stride` floats; `sq` holds n_outcomes rows of `width` floats.
                unsafe {
                    gemm_view(
                        self.n_outcomes,
                        dh,
                        n_context,
                        scale,
                        queries.as_ptr().add(h * dh),
                        stride as isize,
                        kv.as_ptr().add(d + h * dh),
                        1,
                        stride as isize,
                        0.0,
                        sq.as_mut_ptr(),
                        width as isize,
                    );
                }
                for (row, qkv) in sq.chunks_exact_mut(width).zip(queries.chunks_exact(stride)) {
                    row[n_context] = scale
                        * dot(
                            &qkv[h * dh..(h + 1) * dh],
                            &qkv[d + h * dh..d + (h + 1) * dh],
                        );
                    softmax(row);
                }
                let att = &mut s.query_attended
                    [sample * self.n_outcomes * d..(sample + 1) * self.n_outcomes * d];
                // SAFETY: as above; `att` holds n_outcomes rows of d floats.
                unsafe {
                    gemm_view(
                        self.n_outcomes,
                        n_context,
                        dh,
                        1.0,
                        sq.as_ptr(),
                        width as isize,
                        kv.as_ptr().add(2 * d + h * dh),
                        stride as isize,
                        1,
                        0.0,
                        att.as_mut_ptr().add(h * dh),
                        d as isize,
                    );
                }
                for ((row, qkv), out) in sq
                    .chunks_exact(width)
                    .zip(queries.chunks_exact(stride))
                    .zip(att.chunks_exact_mut(d))
                {
                    axpy(
                        &mut out[h * dh..(h + 1) * dh],
                        row[n_context],
                        &qkv[2 * d + h * dh..2 * d + (h + 1) * dh],
                    );
                }
            }
        }
        if update_context {
            accumulate_affine(
                &s.context_attended[..context_rows * d],
                context_rows,
                d,
                &layer.out_weight,
                &layer.out_bias,
                &mut s.context[..context_rows * d],
            );
        }
        accumulate_affine(
            &s.query_attended[..query_rows * d],
            query_rows,
            d,
            &layer.out_weight,
            &layer.out_bias,
            &mut s.queries[..query_rows * d],
        );
    }

    /// The feed-forward half of a layer: `x += W2 · gelu(W1 · norm(x) + b1) + b2`.
    #[inline(always)]
    fn feed_forward(
        &self,
        layer: &Layer,
        x: &mut [f32],
        rows: usize,
        normed: &mut [f32],
        hidden: &mut [f32],
    ) {
        let d = self.d_model;
        let normed = &mut normed[..rows * d];
        normed.copy_from_slice(x);
        layer_norm(normed, &layer.feed_forward_norm, d);
        let hidden = &mut hidden[..rows * self.d_ff];
        affine(
            normed,
            rows,
            d,
            &layer.inner_weight,
            &layer.inner_bias,
            hidden,
        );
        gelu(hidden);
        accumulate_affine(
            hidden,
            rows,
            self.d_ff,
            &layer.outer_weight,
            &layer.outer_bias,
            x,
        );
    }
}

/// Per-thread buffers, sized for one block.
struct Scratch {
    context: Vec<f32>,
    queries: Vec<f32>,
    normed: Vec<f32>,
    hidden: Vec<f32>,
    context_qkv: Vec<f32>,
    query_qkv: Vec<f32>,
    context_attended: Vec<f32>,
    query_attended: Vec<f32>,
    scores: Vec<f32>,
    /// Tile channel means of one sample, for the linear readout.
    tile_means: Vec<f32>,
}

impl Scratch {
    fn new(m: &CpuModel) -> Scratch {
        let n_context = m.n_tiles + m.n_tabular;
        let rows = BLOCK_SAMPLES * n_context.max(m.n_outcomes);
        let d = m.d_model;
        Scratch {
            context: vec![0.0; BLOCK_SAMPLES * n_context * d],
            queries: vec![0.0; BLOCK_SAMPLES * m.n_outcomes * d],
            normed: vec![0.0; rows * d],
            hidden: vec![0.0; rows * m.d_ff],
            context_qkv: vec![0.0; BLOCK_SAMPLES * n_context * 3 * d],
            query_qkv: vec![0.0; BLOCK_SAMPLES * m.n_outcomes * 3 * d],
            context_attended: vec![0.0; BLOCK_SAMPLES * n_context * d],
            query_attended: vec![0.0; BLOCK_SAMPLES * m.n_outcomes * d],
            scores: vec![
                0.0;
                n_context * n_context.max(m.n_outcomes) + m.n_outcomes * (n_context + 1)
            ],
            tile_means: Vec::new(),
        }
    }
}

/// `c = alpha · a · b + beta · c` on row-major views with unit column strides for `a` and
/// `c` (`matrixmultiply::sgemm` with its two unit strides fixed): `a` is `m × k` with row
/// stride `rsa`, `b` is `k × n` with strides `rsb` and `csb`, `c` is `m × n` with row stride
/// `rsc`.
///
/// # Safety
/// Every element of the three views must lie inside its allocation.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn gemm_view(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: *const f32,
    rsa: isize,
    b: *const f32,
    rsb: isize,
    csb: isize,
    beta: f32,
    c: *mut f32,
    rsc: isize,
) {
    // SAFETY: forwarded to the caller.
    unsafe { matrixmultiply::sgemm(m, k, n, alpha, a, rsa, 1, b, rsb, csb, beta, c, rsc, 1) }
}

/// `out = x · w + b` for `rows` rows of `k` inputs (`w` is `[k, n]`, row-major).
#[inline(always)]
fn affine(x: &[f32], rows: usize, k: usize, w: &[f32], b: &[f32], out: &mut [f32]) {
    let n = b.len();
    for row in out.chunks_exact_mut(n) {
        row.copy_from_slice(b);
    }
    gemm_accumulate(x, rows, k, w, n, out);
}

/// `out += x · w + b`.
#[inline(always)]
fn accumulate_affine(x: &[f32], rows: usize, k: usize, w: &[f32], b: &[f32], out: &mut [f32]) {
    for row in out.chunks_exact_mut(b.len()) {
        add(row, b);
    }
    gemm_accumulate(x, rows, k, w, b.len(), out);
}

/// `out += x · w`, `x` `[rows, k]`, `w` `[k, n]`, `out` `[rows, n]`, all row-major.
fn gemm_accumulate(x: &[f32], rows: usize, k: usize, w: &[f32], n: usize, out: &mut [f32]) {
    assert!(x.len() >= rows * k && w.len() >= k * n && out.len() >= rows * n);
    // SAFETY: the assertion above keeps every access inside the three slices.
    unsafe {
        gemm_view(
            rows,
            k,
            n,
            1.0,
            x.as_ptr(),
            k as isize,
            w.as_ptr(),
            n as isize,
            1,
            1.0,
            out.as_mut_ptr(),
            n as isize,
        );
    }
}

#[inline(always)]
fn add(a: &mut [f32], b: &[f32]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

#[inline(always)]
fn axpy(a: &mut [f32], alpha: f32, b: &[f32]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += alpha * y;
    }
}

/// Dot product with eight partial sums, so that it vectorises without reassociating a
/// single running sum.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (a8, a_rest) = a.split_at(a.len() / 8 * 8);
    let (b8, b_rest) = b[..a.len()].split_at(a8.len());
    for (x, y) in a8.chunks_exact(8).zip(b8.chunks_exact(8)) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut total = acc.iter().sum::<f32>();
    for (x, y) in a_rest.iter().zip(b_rest) {
        total += x * y;
    }
    total
}

#[inline(always)]
fn sum(a: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (a8, rest) = a.split_at(a.len() / 8 * 8);
    for x in a8.chunks_exact(8) {
        for k in 0..8 {
            acc[k] += x[k];
        }
    }
    acc.iter().sum::<f32>() + rest.iter().sum::<f32>()
}

#[inline(always)]
fn max(a: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; 8];
    let (a8, rest) = a.split_at(a.len() / 8 * 8);
    for x in a8.chunks_exact(8) {
        for k in 0..8 {
            acc[k] = if x[k] > acc[k] { x[k] } else { acc[k] };
        }
    }
    // Selects, not `f32::max`: the inputs are finite, and the NaN handling of `max` makes a
    // long dependency chain.
    acc.iter()
        .chain(rest)
        .fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m })
}

/// Layer normalisation of every `d`-wide row of `x` in place (biased variance, as burn).
#[inline(always)]
fn layer_norm(x: &mut [f32], norm: &Norm, d: usize) {
    let eps = LAYER_NORM_EPS as f32;
    for row in x.chunks_exact_mut(d) {
        let mean = sum(row) / d as f32;
        for v in row.iter_mut() {
            *v -= mean;
        }
        let var = dot(row, row) / d as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, g), b) in row.iter_mut().zip(&norm.gamma).zip(&norm.beta) {
            *v = *v * inv * g + b;
        }
    }
}

/// Softmax in place.
#[inline(always)]
fn softmax(x: &mut [f32]) {
    let m = max(x);
    for v in x.iter_mut() {
        *v = exp(*v - m);
    }
    let inv = 1.0 / sum(x);
    for v in x.iter_mut() {
        *v *= inv;
    }
}

/// `e^x` for `x` in about [-87, 88]: `2^n · 2^f` with `n` the nearest integer to `x·log2(e)`
/// and a degree-6 Taylor polynomial for `2^f`, `|f| ≤ ½`. The relative error is below 1e-6
/// for `|x| ≤ 10` and grows to 5e-6 at `|x| = 80` (rounding of `x·log2(e)` in f32).
/// Branch-free, so loops over it vectorise (libm's `expf` does not).
#[inline(always)]
fn exp(x: f32) -> f32 {
    // 1.5 · 2^23: adding it rounds to an integer, which then sits in the low mantissa bits.
    const ROUND: f32 = 12_582_912.0;
    // Selects rather than `clamp`, so that the loop vectorises.
    let x = if x < -87.0 { -87.0 } else { x };
    let x = if x > 88.0 { 88.0 } else { x };
    let t = x * std::f32::consts::LOG2_E;
    let r = t + ROUND;
    let n = r - ROUND;
    let f = t - n;
    let p = 1.0
        + f * (std::f32::consts::LN_2
            + f * (0.240_226_5
                + f * (0.055_504_11
                    + f * (0.009_618_129 + f * (0.001_333_355_8 + f * 0.000_154_035_3)))));
    // The biased exponent n + 127 from r's bits, in integer arithmetic (a float-to-int
    // cast saturates, which does not vectorise).
    let biased = r.to_bits().wrapping_sub(ROUND.to_bits()).wrapping_add(127);
    p * f32::from_bits(biased << 23)
}

/// GELU with the error function (burn's `gelu`), `erf` from Abramowitz & Stegun 7.1.26
/// (absolute error below 1.5e-7).
#[inline(always)]
fn gelu(x: &mut [f32]) {
    for v in x.iter_mut() {
        let z = *v * std::f32::consts::FRAC_1_SQRT_2;
        let a = z.abs();
        let t = 1.0 / (1.0 + 0.327_591_1 * a);
        let poly = t
            * (0.254_829_6
                + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152 + t * 1.061_405_4))));
        let erf_abs = 1.0 - poly * exp(-a * a);
        let erf = if z < 0.0 { -erf_abs } else { erf_abs };
        *v = 0.5 * *v * (1.0 + erf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::OutcomeQuery;
    use crate::model::device::backend_rng_guard;
    use crate::rng::Rng;
    use burn::backend::NdArray;
    use burn::tensor::TensorData;

    type B = NdArray<f32>;

    #[test]
    fn exp_and_gelu_match_libm() {
        let worst = |limit: f32| {
            let mut worst = 0.0f64;
            let mut x = -limit;
            while x < limit {
                let rel = ((exp(x) as f64) - (x as f64).exp()).abs() / (x as f64).exp();
                worst = worst.max(rel);
                x += 0.0037;
            }
            worst
        };
        assert!(worst(10.0) < 1e-6, "exp relative error {}", worst(10.0));
        assert!(worst(80.0) < 5e-6, "exp relative error {}", worst(80.0));
        assert_eq!(exp(-1000.0), exp(-87.0));
        assert!(exp(-87.0) > 0.0 && exp(1000.0).is_finite());
        let mut xs: Vec<f32> = (-800..800).map(|i| i as f32 / 100.0).collect();
        let reference: Vec<f64> = xs
            .iter()
            .map(|&x| {
                let x = x as f64;
                0.5 * x * (1.0 + statrs::function::erf::erf(x / std::f64::consts::SQRT_2))
            })
            .collect();
        gelu(&mut xs);
        for (a, b) in xs.iter().zip(&reference) {
            assert!((*a as f64 - b).abs() < 2e-6, "{a} vs {b}");
        }
    }

    fn config(n_tabular: usize, layers: usize) -> ModelConfig {
        ModelConfig::new(
            [3, 24, 16],
            n_tabular,
            vec![
                OutcomeQuery {
                    id: "a".into(),
                    anchors: vec![(0, 1.0)],
                    trained: true,
                },
                OutcomeQuery {
                    id: "b".into(),
                    anchors: vec![(2, 1.0), (5, -0.5)],
                    trained: true,
                },
                OutcomeQuery {
                    id: "zero_shot".into(),
                    anchors: vec![(3, 1.0)],
                    trained: false,
                },
            ],
        )
        .with_d_model(16)
        .with_n_heads(4)
        .with_n_layers(layers)
        .with_d_ff(24)
    }

    /// Random data with some uniform tiles and some non-uniform ones, and missing values.
    fn data(config: &ModelConfig, n: usize, seed: u64) -> ModelData {
        let mut rng = Rng::new(seed);
        let [c, h, w] = config.image_shape;
        let mut pixels = vec![0u8; n * c * h * w];
        for image in pixels.chunks_exact_mut(c * h * w) {
            for (tile, (ty, tx)) in (0..h / 8)
                .flat_map(|y| (0..w / 8).map(move |x| (y, x)))
                .enumerate()
            {
                for ch in 0..c {
                    let value = (rng.next_u64() & 0xff) as u8;
                    for y in 0..8 {
                        for x in 0..8 {
                            let noisy = tile % 2 == 1 && ch == 1;
                            image[ch * h * w + (ty * 8 + y) * w + tx * 8 + x] = if noisy {
                                (rng.next_u64() & 0xff) as u8
                            } else {
                                value
                            };
                        }
                    }
                }
            }
        }
        let f = config.n_tabular;
        ModelData {
            n,
            image_shape: config.image_shape,
            pixels,
            n_tabular: f,
            tabular: (0..n * f).map(|_| rng.normal() as f32).collect(),
            tabular_present: (0..n * f).map(|i| (i % 4 != 1) as u8 as f32).collect(),
            n_outcomes: 0,
            labels: Vec::new(),
            label_present: Vec::new(),
            ..ModelData::default()
        }
    }

    fn burn_model(config: &ModelConfig, seed: u64) -> Model<B> {
        let device = Default::default();
        let _guard = backend_rng_guard();
        B::seed(&device, seed);
        let model = config.init::<B>(&device).unwrap();
        // Fresh per-outcome heads are zero; give them values so that the test sees them.
        let mut model = model;
        let trained = config.trained_indices().len();
        model.outcome_head_weight = burn::module::Param::from_tensor(Tensor::random(
            [trained, config.d_model],
            burn::tensor::Distribution::Normal(0.0, 0.3),
            &device,
        ));
        let random = |shape: [usize; 2]| {
            burn::module::Param::from_tensor(Tensor::random(
                shape,
                burn::tensor::Distribution::Normal(0.0, 0.5),
                &device,
            ))
        };
        let readout = model.readout.as_mut().expect("readout on by default");
        readout.channel = burn::module::Param::from_tensor(Tensor::from_data(
            TensorData::new(vec![0.7f32, -0.4, 0.2], [3]),
            &device,
        ));
        readout.tiles = random([trained, config.n_tiles() * 3]);
        if config.n_tabular > 0 {
            readout.tabular_shared = Some(random([1, config.n_tabular]));
            readout.tabular = Some(random([trained, config.n_tabular]));
        }
        model
    }

    fn assert_close(a: &[f32], b: &[f32], tolerance: f32) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() < tolerance, "value {i}: {x} vs {y}");
        }
    }

    #[test]
    fn matches_burn_logits_and_embeddings() {
        let device = Default::default();
        for (tabular, layers, seed) in [(3, 2, 1), (0, 1, 2), (2, 3, 3)] {
            let config = config(tabular, layers);
            let model = burn_model(&config, seed);
            // 70 samples: two full blocks and a partial one.
            let data = data(&config, 70, seed + 10);
            let rows: Vec<usize> = (0..data.n).collect();
            let reference = model.forward_inputs(data.inputs::<B>(&rows, &device));
            let logits = reference.logits.into_data().to_vec::<f32>().unwrap();
            let embedding = reference.embedding.into_data().to_vec::<f32>().unwrap();
            let mut cpu = CpuModel::from_model(&model, &config).unwrap();
            for isa in Isa::available() {
                cpu.isa = isa;
                assert_close(&cpu.logits(&data).unwrap(), &logits, 2e-4);
                assert_close(&cpu.embeddings(&data).unwrap(), &embedding, 2e-4);
                let probs = cpu.probabilities(&data).unwrap();
                assert!(probs.iter().all(|p| (0.0..=1.0).contains(p)));
            }
        }
    }

    #[test]
    fn refuses_inputs_of_another_shape() {
        let config = config(3, 1);
        let model = burn_model(&config, 4);
        let cpu = CpuModel::from_model(&model, &config).unwrap();
        let mut other = config.clone();
        other.n_tabular = 2;
        let err = cpu.logits(&data(&other, 3, 1)).unwrap_err().to_string();
        assert!(err.contains("covariates"), "{err}");
    }
}
