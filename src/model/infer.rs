//! Inference on a model directory's weights: the CPU engine ([`CpuModel`]) where it can
//! run the model (one image, no stem), else a burn backend on the chosen device; then the
//! prior correction of the logits ([`prior_offsets`]). Both modalities predict through
//! here, so `predict`, `score` and `evaluate` give the same numbers.

use std::path::Path;

use super::device::{run_on, BackendJob, DeviceKind};
use super::{CpuModel, ModelConfig, ModelData, ModelError};

struct PredictJob<'a> {
    dir: &'a Path,
    config: &'a ModelConfig,
    data: &'a ModelData,
    /// Pooled embeddings instead of logits.
    embed: bool,
}

impl BackendJob for PredictJob<'_> {
    type Output = Result<Vec<f32>, ModelError>;

    fn run<B: burn::tensor::backend::AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let model = super::load_model::<B::InnerBackend>(self.dir, self.config, &device)?;
        Ok(if self.embed {
            super::embed(&model, self.data, 1024, &device)?
        } else {
            super::predict_logits(&model, self.data, 1024, &device)?
        })
    }
}

/// Probabilities `n × outcomes` of the model in `dir` (weights) built from `model`, the
/// logits shifted by `offsets`: on the CPU engine where it can run the model (one image),
/// else on a burn backend.
pub fn model_probabilities(
    dir: &Path,
    model: &ModelConfig,
    offsets: &[f32],
    data: &ModelData,
    device: DeviceKind,
) -> Result<Vec<f32>, ModelError> {
    let mut logits = run_model(dir, model, data, device, false)?;
    for row in logits.chunks_exact_mut(offsets.len()) {
        for (v, offset) in row.iter_mut().zip(offsets) {
            *v = 1.0 / (1.0 + (-(*v + offset)).exp());
        }
    }
    Ok(logits)
}

/// Per-outcome logit offsets that undo the class weighting of training, for any model,
/// given each outcome's training prevalence.
///
/// Training weights cases by `(1 − π) / π` (π: the outcome's training prevalence), which
/// shifts the optimal logit by `ln((1 − π) / π)`; subtracting it again is the prior
/// correction of King & Zeng (2001, "Logistic regression in rare events data"), so that
/// probabilities are on the scale of the training prevalence. For a zero-shot outcome,
/// `prevalence` is the one its user gave (the shared head is trained on the same weighted
/// loss, so the same shift puts it on that prevalence's scale); without one it takes the
/// mean offset of the trained ones: on the scale of a typical trained outcome, uncalibrated.
pub fn prior_offsets(model: &ModelConfig, prevalence: impl Fn(&str) -> Option<f64>) -> Vec<f32> {
    let prevalence = |id: &str| prevalence(id).filter(|p| *p > 0.0 && *p < 1.0);
    let trained: Vec<f64> = model
        .outcomes
        .iter()
        .filter(|o| o.trained)
        .filter_map(|o| prevalence(&o.id))
        .map(|p| (p / (1.0 - p)).ln())
        .collect();
    let mean = if trained.is_empty() {
        0.0
    } else {
        trained.iter().sum::<f64>() / trained.len() as f64
    };
    model
        .outcomes
        .iter()
        .map(|o| match (o.trained, prevalence(&o.id)) {
            (true, Some(p)) => (p / (1.0 - p)).ln() as f32,
            (true, None) => 0.0,
            (false, Some(p)) => (p / (1.0 - p)).ln() as f32,
            (false, None) => mean as f32,
        })
        .collect()
}

/// Pooled embeddings `n × d_model` of the model in `dir` for `data`: on the CPU engine
/// where it can run the model, else on a burn backend.
pub fn model_embeddings(
    dir: &Path,
    model: &ModelConfig,
    data: &ModelData,
    device: DeviceKind,
) -> Result<Vec<f32>, ModelError> {
    run_model(dir, model, data, device, true)
}

/// Logits (or, with `embed`, pooled embeddings) of the model in `dir`: on the CPU engine
/// where it can run the model (one image, no stem), else on a burn backend.
fn run_model(
    dir: &Path,
    model: &ModelConfig,
    data: &ModelData,
    device: DeviceKind,
    embed: bool,
) -> Result<Vec<f32>, ModelError> {
    if device == DeviceKind::Cpu && model.cpu_engine_supported() {
        let engine = cpu_model(dir, model)?;
        Ok(if embed {
            engine.embeddings(data)?
        } else {
            engine.logits(data)?
        })
    } else {
        run_on(
            device,
            PredictJob {
                dir,
                config: model,
                data,
                embed,
            },
        )?
    }
}

/// Loads the model in `dir` into the CPU inference engine ([`CpuModel`]), which computes
/// what burn's forward pass does, about two orders of magnitude faster on the CPU.
pub fn cpu_model(dir: &Path, config: &ModelConfig) -> Result<CpuModel, ModelError> {
    let device = Default::default();
    let model = super::load_model::<burn::backend::NdArray<f32>>(dir, config, &device)?;
    CpuModel::from_model(&model, config)
}
