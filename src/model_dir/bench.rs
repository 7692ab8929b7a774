//! Speed measurements of the transformer: training and inference on synthetic genomic
//! images at sizes no bundled panel has ([`bench_model`], the paper's 7,415 traits), and
//! CPU inference of a trained model ([`bench_inference`]). The synthetic inputs say nothing
//! about accuracy on real data.

use std::path::Path;

use serde::Serialize;

use super::genomic::{model_config_for, GenomicModelConfig, OutcomeInfo};
use super::{ModelDirError, ModelHyper};
use crate::encode::image::{self, ImageLayout};
use crate::encode::tabular::Tabular;
use crate::encode::PanelScores;
use crate::model::device::{run_on, BackendJob, DeviceKind};
use crate::model::{infer, CpuModel, ModelConfig, ModelData, ModelError};
use crate::train::TrainConfig;

/// What [`bench_model`] measured.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    /// The device trained and run on, lowercase: `cpu` or `cuda`.
    pub device: String,
    /// Synthetic traits (tiles) of the genomic image.
    pub traits: usize,
    /// The genomic image's `[C, H, W]` (3 channels, a near-square grid of 8×8 tiles).
    pub image_shape: [usize; 3],
    /// Sequence length the transformer saw: context tokens plus the 14 outcome queries.
    pub tokens: usize,
    /// Training samples (validation: a quarter of them, at least 64).
    pub samples: usize,
    /// Epochs asked for (early stopping may end training sooner).
    pub epochs: usize,
    /// Wall-clock seconds of training, per-epoch validation included.
    pub train_seconds: f64,
    /// `samples × epochs / train_seconds`, with the epochs asked for rather than those run.
    pub train_samples_per_second: f64,
    /// Mean validation AUC of the best epoch over the 8 trained synthetic outcomes: above 0.5
    /// shows the planted signal was learnt.
    pub mean_validation_auc: f64,
    /// Seconds to predict all training samples after a warm-up: the CPU engine on the CPU,
    /// burn (batches of 1,024) elsewhere.
    pub inference_seconds: f64,
    /// `samples / inference_seconds`.
    pub inference_samples_per_second: f64,
}

struct BenchJob<'a> {
    config: &'a ModelConfig,
    train: &'a ModelData,
    valid: &'a ModelData,
    train_config: &'a TrainConfig,
    cpu: bool,
}

impl BackendJob for BenchJob<'_> {
    type Output = Result<(f64, f64, f64), ModelDirError>;

    fn run<B: burn::tensor::backend::AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let t0 = std::time::Instant::now();
        let outcome = crate::train::train::<B>(
            self.config,
            self.train,
            self.valid,
            self.train_config,
            &device,
        )?;
        let train_seconds = t0.elapsed().as_secs_f64();
        // Inference as `predict` runs it: the CPU engine on the CPU, burn elsewhere. Warm
        // up (kernel compilation on GPUs), then time inference over all samples.
        let t1 = if self.cpu {
            let engine = CpuModel::from_model(&outcome.model, self.config)?;
            let t1 = std::time::Instant::now();
            std::hint::black_box(engine.probabilities(self.train)?);
            t1
        } else {
            let _ = crate::model::predict_probabilities(&outcome.model, self.valid, 1024, &device)?;
            let t1 = std::time::Instant::now();
            let _ = crate::model::predict_probabilities(&outcome.model, self.train, 1024, &device)?;
            t1
        };
        Ok((
            train_seconds,
            t1.elapsed().as_secs_f64(),
            outcome.best_mean_auc,
        ))
    }
}

/// Trains and runs a model of the given size on synthetic genomic images, to measure
/// speed and memory at scales no bundled panel has (the paper's T = 7,415 traits). The
/// inputs are random pixels with one planted signal per trained outcome (its first anchor
/// tile's brightness shifts its log-odds), so the run also shows that learning happens;
/// the numbers say nothing about real data.
pub fn bench_model(
    traits: usize,
    samples: usize,
    hyper: &ModelHyper,
    train_config: &TrainConfig,
    device: DeviceKind,
) -> Result<BenchReport, ModelDirError> {
    let ids: Vec<String> = (0..traits).map(|t| format!("t{t}")).collect();
    let layout = ImageLayout::new(ids.clone(), 3);
    let mut rng = crate::rng::Rng::new(train_config.seed);
    let outcomes: Vec<OutcomeInfo> = (0..14)
        .map(|o| OutcomeInfo {
            id: format!("o{o}"),
            name: format!("synthetic outcome {o}"),
            trained: o < 8,
            anchors: (0..3)
                .map(|_| (ids[rng.below(traits as u64) as usize].clone(), 1.0))
                .collect(),
            train_prevalence: None,
            prevalence: None,
        })
        .collect();
    let config = model_config_for(&layout, 3, &outcomes, hyper, None)?;
    let make = |n: usize, rng: &mut crate::rng::Rng| -> ModelData {
        let per = layout.image_len();
        let (h, w) = (layout.height(), layout.width());
        let mut pixels = vec![0u8; n * per];
        for p in pixels.iter_mut() {
            *p = (rng.next_u64() & 0xff) as u8;
        }
        let mut labels = Vec::with_capacity(n * 8);
        for i in 0..n {
            for o in outcomes.iter().take(8) {
                let tile = layout.tile_index(&o.anchors[0].0).expect("anchor");
                let (y, x) = layout.tile_origin(tile);
                let v = f64::from(pixels[i * per + y * w + x]) / 255.0 - 0.5;
                let p = 1.0 / (1.0 + (-(4.0 * v - 1.5)).exp());
                labels.push(if rng.uniform() < p { 1.0 } else { 0.0 });
            }
            let _ = h;
        }
        ModelData {
            n,
            image_shape: [3, layout.height(), layout.width()],
            pixels,
            n_tabular: 3,
            tabular: (0..n * 3).map(|_| rng.normal() as f32).collect(),
            tabular_present: vec![1.0; n * 3],
            n_outcomes: 8,
            labels,
            label_present: vec![1.0; n * 8],
            ..ModelData::default()
        }
    };
    let train = make(samples, &mut rng);
    let valid = make((samples / 4).max(64), &mut rng);
    let (train_seconds, inference_seconds, auc) = run_on(
        device,
        BenchJob {
            config: &config,
            train: &train,
            valid: &valid,
            train_config,
            cpu: device == DeviceKind::Cpu,
        },
    )
    .map_err(ModelError::from)??;
    Ok(BenchReport {
        device: format!("{device:?}").to_lowercase(),
        traits,
        image_shape: config.image_shape,
        tokens: config.n_tokens(),
        samples,
        epochs: train_config.epochs,
        train_seconds,
        train_samples_per_second: (samples * train_config.epochs) as f64 / train_seconds,
        mean_validation_auc: auc,
        inference_seconds,
        inference_samples_per_second: samples as f64 / inference_seconds,
    })
}

/// Samples per chunk in [`bench_inference`].
const INFERENCE_CHUNK: usize = 8192;

/// What [`bench_inference`] measured.
#[derive(Clone, Debug, Serialize)]
pub struct InferenceBench {
    /// The model's name from its `config.json`.
    pub model: String,
    /// Traits (tiles) of the model's panel.
    pub traits: usize,
    /// The model's genomic image `[C, H, W]`.
    pub image_shape: [usize; 3],
    /// Sequence length of the transformer: context tokens plus outcome queries.
    pub tokens: usize,
    /// Token width.
    pub d_model: usize,
    /// Transformer layers.
    pub layers: usize,
    /// Synthetic samples per repeat.
    pub samples: usize,
    /// Rayon worker threads the CPU engine ran on.
    pub threads: usize,
    /// Seconds of each repeat: rendering the images from the scores (encode), then the
    /// forward pass.
    pub encode_seconds: Vec<f64>,
    /// Seconds of each repeat spent assembling the model input and in the CPU engine's
    /// forward pass.
    pub forward_seconds: Vec<f64>,
    /// Samples per second of encode plus forward pass, best and median repeat.
    pub best_samples_per_second: f64,
    /// Samples per second of the median repeat (the upper median for an even count).
    pub median_samples_per_second: f64,
}

/// Times the model in `dir` on the CPU: `samples` synthetic samples whose panel scores are
/// drawn from the model's own normalisation statistics (mean + sd · N(0, 1)) are rendered
/// into genomic images and run through [`CpuModel`], in chunks of 8,192 samples (as a
/// pipeline streams a cohort), `repeats` times; covariates are missing. Drawing the scores is
/// not timed; computing them from genotypes is the `prs` step, benchmarked against plink2
/// separately.
pub fn bench_inference(
    dir: &Path,
    config: &GenomicModelConfig,
    samples: usize,
    repeats: usize,
    seed: u64,
) -> Result<InferenceBench, ModelDirError> {
    let stats = &config.normalization;
    let mut rng = crate::rng::Rng::new(seed);
    // Chunks of samples, as a pipeline streams a large cohort (memory stays bounded).
    let chunks: Vec<PanelScores> = (0..samples)
        .step_by(INFERENCE_CHUNK)
        .map(|start| {
            let n = INFERENCE_CHUNK.min(samples - start);
            let mut values = Vec::with_capacity(n * stats.mean.len());
            for _ in 0..n {
                for (m, s) in stats.mean.iter().zip(&stats.sd) {
                    values.push(m + s * rng.normal());
                }
            }
            PanelScores {
                sample_ids: (start..start + n).map(|i| format!("s{i}")).collect(),
                traits: stats.traits.clone(),
                channels: stats.channels.clone(),
                mode: config.fill,
                values,
                summary: Vec::new(),
            }
        })
        .collect();
    if chunks.iter().any(|c| c.n_columns() != stats.mean.len()) {
        return Err(ModelDirError::Normalisation);
    }
    let layout = ImageLayout::new(stats.traits.clone(), stats.channels.len());
    let engine = infer::cpu_model(dir, &config.model)?;
    let (mut encode_seconds, mut forward_seconds, mut rates) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..repeats.max(1) {
        let (mut encode, mut forward) = (0.0, 0.0);
        for scores in &chunks {
            let n = scores.n_samples();
            let t0 = std::time::Instant::now();
            let images = image::render(scores, stats, &layout, config.fill)?;
            let t1 = std::time::Instant::now();
            let tabular = Tabular::missing(n, &config.tabular);
            let data = ModelData {
                n,
                image_shape: config.model.image_shape,
                pixels: images.pixels,
                n_tabular: tabular.n_features,
                tabular: tabular.values,
                tabular_present: tabular.present,
                ..ModelData::default()
            };
            std::hint::black_box(engine.probabilities(&data)?);
            encode += (t1 - t0).as_secs_f64();
            forward += t1.elapsed().as_secs_f64();
        }
        encode_seconds.push(encode);
        forward_seconds.push(forward);
        rates.push(samples as f64 / (encode + forward));
    }
    rates.sort_by(f64::total_cmp);
    Ok(InferenceBench {
        model: config.name.clone(),
        traits: stats.traits.len(),
        image_shape: config.model.image_shape,
        tokens: config.model.n_tokens(),
        d_model: config.model.d_model,
        layers: config.model.n_layers,
        samples,
        threads: rayon::current_num_threads(),
        encode_seconds,
        forward_seconds,
        best_samples_per_second: rates[rates.len() - 1],
        median_samples_per_second: rates[rates.len() / 2],
    })
}
