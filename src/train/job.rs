//! The one training job both modalities train through: train on a backend, keep the
//! best epoch's weights, save them with the model config beside them (burn's layout).

use std::path::Path;

use super::{TrainConfig, TrainError};
use crate::model::device::BackendJob;
use crate::model::{ModelConfig, ModelData};

/// A training run on some backend that writes the best weights to `out`: the one job both
/// genomic and imaging models train through.
pub struct TrainJob<'a> {
    /// The network to build and train; also checked against the weights when they are saved.
    pub model_config: &'a ModelConfig,
    /// Training split: inputs and labels (label columns = the trained outcomes in config order).
    pub train: &'a ModelData,
    /// Validation split: selects the best epoch and drives early stopping.
    pub valid: &'a ModelData,
    /// Optimiser, schedule, early stopping, checkpoint and augmentation settings.
    pub config: &'a TrainConfig,
    /// Directory that receives `model.mpk` (the best epoch's weights).
    pub out: &'a Path,
}

/// What a training run reports back from its backend.
pub struct TrainSummary {
    /// One entry per completed epoch, including those before a resume.
    pub history: Vec<super::EpochSummary>,
    /// 0-based epoch whose weights were saved.
    pub best_epoch: usize,
    /// Mean validation AUC of that epoch.
    pub best_mean_auc: f64,
    /// Whether early stopping (`patience`) ended the run.
    pub stopped_early: bool,
}

impl BackendJob for TrainJob<'_> {
    type Output = Result<TrainSummary, TrainError>;

    fn run<B: burn::tensor::backend::AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let outcome = super::train::<B>(
            self.model_config,
            self.train,
            self.valid,
            self.config,
            &device,
        )?;
        crate::model::save_model(self.out, &outcome.model, self.model_config)?;
        Ok(TrainSummary {
            history: outcome.history.clone(),
            best_epoch: outcome.best_epoch,
            best_mean_auc: outcome.best_mean_auc,
            stopped_early: outcome.stopped_early,
        })
    }
}
