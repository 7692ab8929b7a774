//! Training of the risk model: a plain loop (seeded shuffling, class-weighted masked binary
//! cross-entropy, AdamW with warm-up and cosine decay, per-epoch validation AUC, early
//! stopping, resumable checkpoints), generic over the burn backend.

pub mod checkpoint;
pub mod job;
pub mod metrics;
pub mod schedule;

use std::path::PathBuf;

use burn::module::AutodiffModule;
use burn::optim::{AdamWConfig, GradientsParams, Optimizer};
use burn::prelude::*;
use burn::record::{FullPrecisionSettings, NamedMpkFileRecorder, Recorder};
use burn::tensor::activation::log_sigmoid;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{ElementConversion, TensorData};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::model::augment::Augmentation;
use crate::model::device::backend_rng_guard;
use crate::model::{
    load_record, predict_probabilities, save_record, BatchAugment, ImageKind, Model, ModelConfig,
    ModelData, ModelError,
};
use crate::rng::{derive, Rng};

use self::checkpoint::{CheckpointState, BEST_STEM, CHECKPOINT_FORMAT, MODEL_STEM, OPTIMIZER_STEM};
use self::metrics::{auc, mean_auc};
use self::schedule::LrSchedule;

/// Stream labels under the run seed, so that each use of randomness is independent.
const STREAM_INIT: u64 = 1;
const STREAM_SHUFFLE: u64 = 2;
const STREAM_DROPOUT: u64 = 3;
const STREAM_AUGMENT: u64 = 4;

/// Errors of a training run.
#[derive(Debug, Error)]
pub enum TrainError {
    /// The model configuration is invalid, the data do not fit it, or weights could not
    /// be read or written.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A trained outcome without both cases and controls in the training split.
    #[error("training data: outcome column {outcome} has {cases} cases and {controls} controls in the training split; both are needed")]
    OneClass {
        /// 0-based trained outcome column.
        outcome: usize,
        /// Labelled cases.
        cases: usize,
        /// Labelled controls.
        controls: usize,
    },
    /// No samples, no epochs or a zero batch size.
    #[error("training data: need at least one sample, one epoch and a positive batch size")]
    Empty,
    /// `stop_after_epochs` = 0: no epoch was trained, so there are no weights to keep.
    #[error("training data: no epoch was trained (stop_after_epochs is 0)")]
    NoEpoch,
    /// A checkpoint could not be read or written, or was written by a different setup
    /// (configuration or data digest) than the run resuming from it.
    #[error("{}: {message}", path.display())]
    Checkpoint {
        /// The checkpoint file or folder at fault.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A batch's loss became non-finite, or an epoch's validation split gave no defined
    /// AUC for any trained outcome (none has both cases and controls there).
    #[error("training diverged in epoch {epoch}: non-finite {what}")]
    Diverged {
        /// The 0-based epoch.
        epoch: usize,
        /// What was not finite (`loss`, or the validation AUC).
        what: &'static str,
    },
}

/// Settings of a training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Passes over the training data.
    pub epochs: usize,
    /// Samples per optimiser step.
    pub batch_size: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// AdamW decoupled weight decay (Loshchilov & Hutter 2019).
    pub weight_decay: f64,
    /// Fraction of all steps spent in linear warm-up.
    pub warmup_fraction: f64,
    /// Early stopping: training ends once this many consecutive epochs bring no improvement
    /// of the mean validation AUC.
    pub patience: usize,
    /// Seed of initialisation, shuffling and dropout.
    pub seed: u64,
    /// Where to write a checkpoint after every epoch.
    pub checkpoint_dir: Option<PathBuf>,
    /// Continue from the checkpoint in `checkpoint_dir`, if there is one.
    pub resume: bool,
    /// Progress bar and one line per epoch on stderr.
    pub progress: bool,
    /// End this invocation after this many epochs in total (counted from the start of
    /// training, not of this invocation), leaving a checkpoint to resume from: for jobs
    /// under a wall-clock limit. The learning-rate schedule still spans `epochs`.
    pub stop_after_epochs: Option<usize>,
    /// Perturb the medical images of every training batch (never the genomic image);
    /// `None` trains on the images as they are.
    #[serde(default)]
    pub augment: Option<Augmentation>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 30,
            batch_size: 256,
            lr: 1e-3,
            weight_decay: 0.01,
            warmup_fraction: 0.05,
            patience: 5,
            seed: 42,
            checkpoint_dir: None,
            resume: false,
            progress: false,
            stop_after_epochs: None,
            augment: None,
        }
    }
}

/// What one epoch achieved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochSummary {
    /// 0-based epoch.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches.
    pub train_loss: f64,
    /// Validation AUC per trained outcome (`None` where the split lacks cases or controls).
    pub valid_auc: Vec<Option<f64>>,
    /// Mean of the defined validation AUCs.
    pub mean_valid_auc: Option<f64>,
    /// Learning rate of the epoch's last step.
    pub lr: f64,
}

/// Result of [`train`].
#[derive(Debug)]
pub struct TrainOutcome<B: AutodiffBackend> {
    /// Weights of the epoch with the best mean validation AUC, ready for inference.
    pub model: Model<B::InnerBackend>,
    /// That epoch (0-based) and its mean validation AUC.
    pub best_epoch: usize,
    /// Mean validation AUC (over the trained outcomes with a defined AUC) of `best_epoch`.
    pub best_mean_auc: f64,
    /// Every completed epoch, including those before a resume.
    pub history: Vec<EpochSummary>,
    /// Early stopping ended the run.
    pub stopped_early: bool,
    /// False when `stop_after_epochs` ended the run before its last epoch.
    pub completed: bool,
    /// `n_neg / n_pos` per trained outcome, from the training split.
    pub pos_weight: Vec<f32>,
}

/// Binary cross-entropy with logits over labelled entries only, cases weighted by
/// `pos_weight` (as `BCEWithLogitsLoss(pos_weight=…)` in PyTorch):
///
/// `l = −[w·y·log σ(z) + (1 − y)·log σ(−z)]`, averaged over entries with `present = 1`.
///
/// An entry with `present = 0` contributes nothing, whatever its label or logit (even NaN).
/// Returns a one-element tensor; 0 when nothing is labelled.
pub fn masked_bce_with_logits<B: Backend>(
    logits: Tensor<B, 2>,
    labels: Tensor<B, 2>,
    present: Tensor<B, 2>,
    pos_weight: Tensor<B, 1>,
) -> Tensor<B, 1> {
    let absent = present.clone().lower_elem(0.5);
    let logits = logits.mask_fill(absent.clone(), 0.0);
    let labels = labels.mask_fill(absent.clone(), 0.0);
    let weight = pos_weight.unsqueeze::<2>();
    let case_term = labels.clone() * weight * log_sigmoid(logits.clone());
    let control_term = labels.neg().add_scalar(1.0) * log_sigmoid(logits.neg());
    let per_entry = (case_term + control_term).neg().mask_fill(absent, 0.0);
    let n_labelled = present.sum().clamp_min(1.0);
    per_entry.sum() / n_labelled
}

/// `n_neg / n_pos` per label column over labelled entries: the class weight that gives
/// cases and controls equal total weight in the loss.
pub fn positive_weights(data: &ModelData) -> Result<Vec<f32>, TrainError> {
    let o = data.n_outcomes;
    let mut cases = vec![0usize; o];
    let mut controls = vec![0usize; o];
    for i in 0..data.n {
        for k in 0..o {
            if data.label_present[i * o + k] != 0.0 {
                if data.labels[i * o + k] >= 0.5 {
                    cases[k] += 1;
                } else {
                    controls[k] += 1;
                }
            }
        }
    }
    (0..o)
        .map(|k| {
            if cases[k] == 0 || controls[k] == 0 {
                Err(TrainError::OneClass {
                    outcome: k,
                    cases: cases[k],
                    controls: controls[k],
                })
            } else {
                Ok(controls[k] as f32 / cases[k] as f32)
            }
        })
        .collect()
}

/// Validation AUC of every trained outcome.
fn validation_aucs<B: Backend>(
    model: &Model<B>,
    data: &ModelData,
    trained: &[usize],
    batch_size: usize,
    device: &B::Device,
) -> Result<Vec<Option<f64>>, TrainError>
where
    Model<B>: Sync,
{
    let probs = predict_probabilities(model, data, batch_size, device)?;
    let n_all = model.n_outcomes();
    let o = data.n_outcomes;
    Ok(trained
        .iter()
        .enumerate()
        .map(|(k, &column)| {
            let scores: Vec<f32> = (0..data.n).map(|i| probs[i * n_all + column]).collect();
            let labels: Vec<f32> = (0..data.n).map(|i| data.labels[i * o + k]).collect();
            let present: Vec<bool> = (0..data.n)
                .map(|i| data.label_present[i * o + k] != 0.0)
                .collect();
            auc(&scores, &labels, &present)
        })
        .collect())
}

/// SHA-256 of everything in the data that affects training.
fn data_digest(data: &ModelData) -> String {
    let mut h = Sha256::new();
    for v in [data.n, data.n_tabular, data.n_outcomes]
        .iter()
        .chain(&data.image_shape)
    {
        h.update((*v as u64).to_le_bytes());
    }
    h.update(&data.pixels);
    if let Some(shape) = data.scan() {
        for v in shape {
            h.update((v as u64).to_le_bytes());
        }
        h.update(&data.scan_pixels);
    }
    for values in [
        &data.tabular,
        &data.tabular_present,
        &data.labels,
        &data.label_present,
    ] {
        for v in values.iter() {
            h.update(v.to_le_bytes());
        }
    }
    format!("{:x}", h.finalize())
}

fn run_setup(
    model_config: &ModelConfig,
    train_data: &ModelData,
    valid_data: &ModelData,
    config: &TrainConfig,
) -> serde_json::Value {
    serde_json::json!({
        "model": model_config,
        "epochs": config.epochs,
        "batch_size": config.batch_size,
        "lr": config.lr,
        "weight_decay": config.weight_decay,
        "warmup_fraction": config.warmup_fraction,
        "patience": config.patience,
        "seed": config.seed,
        "augment": config.augment,
        "train_data": data_digest(train_data),
        "valid_data": data_digest(valid_data),
    })
}

fn recorder() -> NamedMpkFileRecorder<FullPrecisionSettings> {
    NamedMpkFileRecorder::<FullPrecisionSettings>::new()
}

/// Trains a model on `train_data`, selecting the epoch with the best mean validation AUC on
/// `valid_data` over the trained outcomes.
///
/// A fixed seed reproduces the run exactly on the CPU: initialisation, shuffling and
/// dropout are all seeded from it, and the backend's generator is locked for the run (see
/// `model::device::backend_rng_guard`). The label columns of the data are the trained
/// outcomes in config order.
pub fn train<B: AutodiffBackend>(
    model_config: &ModelConfig,
    train_data: &ModelData,
    valid_data: &ModelData,
    config: &TrainConfig,
    device: &B::Device,
) -> Result<TrainOutcome<B>, TrainError>
where
    Model<B::InnerBackend>: Sync,
{
    model_config.validate()?;
    train_data.check_against(model_config, true)?;
    valid_data.check_against(model_config, true)?;
    if train_data.n == 0 || config.batch_size == 0 || config.epochs == 0 {
        return Err(TrainError::Empty);
    }
    let trained = model_config.trained_indices();
    let pos_weight = positive_weights(train_data)?;
    let batches_per_epoch = train_data.n.div_ceil(config.batch_size);
    let schedule = LrSchedule::new(
        config.lr,
        config.warmup_fraction,
        config.epochs * batches_per_epoch,
    );
    let setup = run_setup(model_config, train_data, valid_data, config);
    let setup_digest = format!("{:x}", Sha256::digest(setup.to_string().as_bytes()));

    let _rng = backend_rng_guard();
    let optimizer_config = AdamWConfig::new().with_weight_decay(config.weight_decay as f32);
    let mut optimizer = optimizer_config.init::<B, Model<B>>();

    let previous = match (&config.checkpoint_dir, config.resume) {
        (Some(dir), true) => checkpoint::read_state(dir)?,
        _ => None,
    };
    let (mut model, mut best, mut state) = match previous {
        Some(state) => {
            let dir = config
                .checkpoint_dir
                .as_ref()
                .expect("resume has a directory");
            if state.setup_digest != setup_digest {
                return Err(TrainError::Checkpoint {
                    path: dir.join("state.json"),
                    message: "checkpoint was written by a different configuration or data; \
                              use a new checkpoint directory or the original settings"
                        .into(),
                });
            }
            let files = dir.join(&state.epoch_dir);
            let model = load_record(
                &files.join(MODEL_STEM),
                model_config.init::<B>(device)?,
                device,
            )?;
            let best = load_record(
                &files.join(BEST_STEM),
                model_config.init::<B::InnerBackend>(device)?,
                device,
            )?;
            let path = files.join(OPTIMIZER_STEM).with_extension("mpk");
            let record = Recorder::<B>::load(&recorder(), files.join(OPTIMIZER_STEM), device)
                .map_err(|e| TrainError::Checkpoint {
                    path,
                    message: format!("cannot read optimizer state: {e}"),
                })?;
            optimizer = optimizer.load_record(record);
            (model, Some(best), state)
        }
        None => {
            B::seed(device, derive(config.seed, &[STREAM_INIT]));
            let model = model_config.init::<B>(device)?;
            let state = CheckpointState {
                format: CHECKPOINT_FORMAT,
                setup,
                setup_digest,
                epochs_done: 0,
                step: 0,
                best_mean_auc: None,
                best_epoch: None,
                epochs_since_best: 0,
                stopped_early: false,
                history: Vec::new(),
                epoch_dir: String::new(),
            };
            (model, None, state)
        }
    };

    let trained_columns = Tensor::<B, 1, Int>::from_data(
        TensorData::new(
            trained.iter().map(|&i| i as i64).collect::<Vec<_>>(),
            [trained.len()],
        ),
        device,
    );
    let pos_weight_tensor = Tensor::<B, 1>::from_data(
        TensorData::new(pos_weight.clone(), [pos_weight.len()]),
        device,
    );

    let mut completed = true;
    while !state.stopped_early && state.epochs_done < config.epochs {
        let epoch = state.epochs_done;
        if config.stop_after_epochs.is_some_and(|limit| epoch >= limit) {
            completed = false;
            break;
        }
        B::seed(device, derive(config.seed, &[STREAM_DROPOUT, epoch as u64]));
        let mut order: Vec<usize> = (0..train_data.n).collect();
        Rng::stream(config.seed, &[STREAM_SHUFFLE, epoch as u64]).shuffle(&mut order);

        let bar = config.progress.then(|| {
            let bar = ProgressBar::new(batches_per_epoch as u64);
            bar.set_style(
                ProgressStyle::with_template("epoch {prefix} {bar:30} {pos}/{len} {msg}")
                    .expect("valid template"),
            );
            bar.set_prefix(format!("{}/{}", epoch + 1, config.epochs));
            bar
        });
        let mut loss_sum = 0.0;
        let mut lr = 0.0;
        for rows in order.chunks(config.batch_size) {
            let augment = config.augment.as_ref().map(|augmentation| BatchAugment {
                augmentation,
                first: model_config.image_kind == ImageKind::Medical,
                scan: model_config.scan.is_some(),
                seed: derive(config.seed, &[STREAM_AUGMENT]),
                labels: [epoch as u64, state.step as u64],
            });
            let batch = train_data.batch_augmented::<B>(rows, device, augment.as_ref());
            let logits = model
                .forward_inputs(batch.inputs)
                .logits
                .select(1, trained_columns.clone());
            let loss = masked_bce_with_logits(
                logits,
                batch.labels,
                batch.label_present,
                pos_weight_tensor.clone(),
            );
            let loss_value: f64 = loss.clone().into_scalar().elem();
            if !loss_value.is_finite() {
                return Err(TrainError::Diverged {
                    epoch,
                    what: "loss",
                });
            }
            loss_sum += loss_value * rows.len() as f64;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            lr = schedule.lr(state.step);
            model = optimizer.step(lr, model, grads);
            state.step += 1;
            if let Some(bar) = &bar {
                bar.set_message(format!("loss {loss_value:.4}"));
                bar.inc(1);
            }
        }
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }

        let current = model.valid();
        let valid_auc = validation_aucs(&current, valid_data, &trained, config.batch_size, device)?;
        let mean = mean_auc(&valid_auc).ok_or(TrainError::Diverged {
            epoch,
            what: "validation AUC (no outcome has both cases and controls in validation)",
        })?;
        let summary = EpochSummary {
            epoch,
            train_loss: loss_sum / train_data.n as f64,
            valid_auc,
            mean_valid_auc: Some(mean),
            lr,
        };
        if config.progress {
            eprintln!(
                "epoch {}/{}: train loss {:.4}, validation AUC {:.4}",
                epoch + 1,
                config.epochs,
                summary.train_loss,
                mean
            );
        }
        state.history.push(summary);
        if state.best_mean_auc.is_none_or(|b| mean > b) {
            state.best_mean_auc = Some(mean);
            state.best_epoch = Some(epoch);
            state.epochs_since_best = 0;
            best = Some(current);
        } else {
            state.epochs_since_best += 1;
            if state.epochs_since_best >= config.patience {
                state.stopped_early = true;
            }
        }
        state.epochs_done += 1;

        if let Some(dir) = &config.checkpoint_dir {
            let files = checkpoint::prepare_epoch_dir(dir, state.epochs_done)?;
            save_record(&files.join(MODEL_STEM), model.clone())?;
            save_record(
                &files.join(BEST_STEM),
                best.clone().expect("a best model exists after an epoch"),
            )?;
            let path = files.join(OPTIMIZER_STEM).with_extension("mpk");
            Recorder::<B>::record(
                &recorder(),
                optimizer.to_record(),
                files.join(OPTIMIZER_STEM),
            )
            .map_err(|e| TrainError::Checkpoint {
                path,
                message: format!("cannot write optimizer state: {e}"),
            })?;
            state.epoch_dir = checkpoint::epoch_dir_name(state.epochs_done);
            checkpoint::commit_state(dir, &state)?;
        }
    }

    let (Some(best), Some(best_epoch), Some(best_mean_auc)) =
        (best, state.best_epoch, state.best_mean_auc)
    else {
        return Err(TrainError::NoEpoch);
    };
    Ok(TrainOutcome {
        model: best,
        best_epoch,
        best_mean_auc,
        history: state.history,
        stopped_early: state.stopped_early,
        completed: completed || state.stopped_early,
        pos_weight,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::device::{CpuBackend, CpuTrainBackend};
    use crate::model::testing::{synthetic, tiny_config};

    type B = CpuTrainBackend;

    fn tensor2(values: &[f32], rows: usize) -> Tensor<CpuBackend, 2> {
        let cols = values.len() / rows;
        Tensor::from_data(
            TensorData::new(values.to_vec(), [rows, cols]),
            &Default::default(),
        )
    }

    fn loss(logits: &[f32], labels: &[f32], present: &[f32], weights: &[f32]) -> f64 {
        let w = Tensor::<CpuBackend, 1>::from_data(
            TensorData::new(weights.to_vec(), [weights.len()]),
            &Default::default(),
        );
        masked_bce_with_logits(
            tensor2(logits, 2),
            tensor2(labels, 2),
            tensor2(present, 2),
            w,
        )
        .into_scalar()
        .elem()
    }

    fn ln_sigmoid(z: f64) -> f64 {
        -(1.0 + (-z).exp()).ln()
    }

    #[test]
    fn loss_matches_hand_computation_with_class_weights() {
        // 2 samples × 2 outcomes, all labelled; outcome 1 cases weigh 3.
        let l = loss(
            &[0.5, -1.0, 2.0, 0.0],
            &[1.0, 1.0, 0.0, 0.0],
            &[1.0; 4],
            &[1.0, 3.0],
        );
        let expected =
            -(ln_sigmoid(0.5) + 3.0 * ln_sigmoid(-1.0) + ln_sigmoid(-2.0) + ln_sigmoid(0.0)) / 4.0;
        assert!((l - expected).abs() < 1e-6, "{l} {expected}");
        // Raising a case weight raises the loss; control terms do not depend on it.
        let heavier = loss(
            &[0.5, -1.0, 2.0, 0.0],
            &[1.0, 1.0, 0.0, 0.0],
            &[1.0; 4],
            &[2.0, 3.0],
        );
        assert!((heavier - l - (-ln_sigmoid(0.5)) / 4.0).abs() < 1e-6);
        let controls_only = |w: f32| loss(&[0.5, -1.0, 2.0, 0.0], &[0.0; 4], &[1.0; 4], &[w, w]);
        assert!((controls_only(1.0) - controls_only(7.0)).abs() < 1e-9);
        // Large logits stay finite.
        assert!(loss(
            &[80.0, -80.0, 80.0, -80.0],
            &[0.0, 1.0, 0.0, 1.0],
            &[1.0; 4],
            &[1.0, 1.0]
        )
        .is_finite());
    }

    #[test]
    fn unlabelled_entries_never_change_the_loss() {
        let present = [1.0, 0.0, 1.0, 1.0];
        let base = loss(
            &[0.5, -1.0, 2.0, 0.0],
            &[1.0, 1.0, 0.0, 0.0],
            &present,
            &[1.0, 3.0],
        );
        for (logit, label) in [(9.0, 0.0), (-4.0, 1.0), (f32::NAN, f32::NAN), (0.0, 7.0)] {
            let l = loss(
                &[0.5, logit, 2.0, 0.0],
                &[1.0, label, 0.0, 0.0],
                &present,
                &[1.0, 3.0],
            );
            assert_eq!(l, base);
        }
        // Mean over the 3 labelled entries only.
        let expected = -(ln_sigmoid(0.5) + ln_sigmoid(-2.0) + ln_sigmoid(0.0)) / 3.0;
        assert!((base - expected).abs() < 1e-6);
        assert_eq!(loss(&[1.0; 4], &[1.0; 4], &[0.0; 4], &[1.0, 1.0]), 0.0);
    }

    #[test]
    fn unlabelled_entries_get_no_gradient() {
        let device = Default::default();
        let logits = Tensor::<B, 2>::from_data(
            TensorData::new(vec![0.5f32, -1.0, 2.0, 0.0], [2, 2]),
            &device,
        )
        .require_grad();
        let labels = Tensor::from_data(
            TensorData::new(vec![1.0f32, 1.0, 0.0, 0.0], [2, 2]),
            &device,
        );
        let present = Tensor::from_data(
            TensorData::new(vec![1.0f32, 0.0, 1.0, 1.0], [2, 2]),
            &device,
        );
        let w = Tensor::from_data(TensorData::new(vec![1.0f32, 3.0], [2]), &device);
        let grads = masked_bce_with_logits(logits.clone(), labels, present, w).backward();
        let g = logits
            .grad(&grads)
            .unwrap()
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        assert_eq!(g[1], 0.0);
        assert!(g[0] < 0.0 && g[2] > 0.0, "{g:?}");
    }

    #[test]
    fn positive_weights_balance_cases_and_controls() {
        let mut data = synthetic(50, 1);
        let w = positive_weights(&data).unwrap();
        for (k, &wk) in w.iter().enumerate() {
            let (mut cases, mut controls) = (0.0, 0.0);
            for i in 0..50 {
                if data.label_present[i * 2 + k] == 1.0 {
                    if data.labels[i * 2 + k] == 1.0 {
                        cases += 1.0
                    } else {
                        controls += 1.0
                    }
                }
            }
            assert_eq!(wk, controls / cases);
        }
        for i in 0..50 {
            data.labels[i * 2 + 1] = 0.0;
        }
        let err = positive_weights(&data).unwrap_err().to_string();
        assert!(err.contains("outcome column 1 has 0 cases"), "{err}");
    }

    fn quick_config(epochs: usize, seed: u64) -> TrainConfig {
        TrainConfig {
            epochs,
            batch_size: 32,
            lr: 3e-3,
            patience: epochs,
            seed,
            ..TrainConfig::default()
        }
    }

    fn weights(model: &Model<CpuBackend>) -> Vec<f32> {
        let probe = synthetic(16, 99);
        predict_probabilities(model, &probe, 16, &Default::default())
            .unwrap()
            .into_iter()
            .chain(
                model
                    .outcome_head_weight
                    .val()
                    .into_data()
                    .to_vec::<f32>()
                    .unwrap(),
            )
            .collect()
    }

    #[test]
    fn tiny_model_learns_an_interaction() {
        let device = Default::default();
        let train_data = synthetic(2000, 11);
        let valid_data = synthetic(500, 12);
        let outcome = train::<B>(
            &tiny_config(),
            &train_data,
            &valid_data,
            &quick_config(3, 1),
            &device,
        )
        .unwrap();
        let first = outcome.history[0].mean_valid_auc.unwrap();
        assert!(
            outcome.best_mean_auc > 0.8,
            "best {} history {:?}",
            outcome.best_mean_auc,
            outcome.history
        );
        assert!(outcome.best_mean_auc >= first);
        // Held-out AUC of the returned (best) model agrees with the recorded one.
        let aucs = validation_aucs(&outcome.model, &valid_data, &[0, 2], 64, &device).unwrap();
        let recorded = &outcome.history[outcome.best_epoch].valid_auc;
        for (a, r) in aucs.iter().zip(recorded) {
            assert!((a.unwrap() - r.unwrap()).abs() < 1e-9);
        }
    }

    #[test]
    fn fixed_seed_reproduces_the_run() {
        let device = Default::default();
        let train_data = synthetic(200, 21);
        let valid_data = synthetic(100, 22);
        let run = |seed| {
            let outcome = train::<B>(
                &tiny_config(),
                &train_data,
                &valid_data,
                &quick_config(2, seed),
                &device,
            )
            .unwrap();
            (weights(&outcome.model), outcome.history)
        };
        let (a, history_a) = run(5);
        let (b, history_b) = run(5);
        assert_eq!(a, b);
        assert_eq!(history_a, history_b);
        let (c, _) = run(6);
        assert_ne!(a, c);
    }

    #[test]
    fn resumed_run_ends_with_the_same_weights() {
        let device = Default::default();
        let train_data = synthetic(200, 31);
        let valid_data = synthetic(100, 32);
        let dir = tempfile::tempdir().unwrap();
        let straight = train::<B>(
            &tiny_config(),
            &train_data,
            &valid_data,
            &quick_config(4, 3),
            &device,
        )
        .unwrap();

        let mut config = quick_config(4, 3);
        config.checkpoint_dir = Some(dir.path().to_path_buf());
        config.stop_after_epochs = Some(2);
        let first = train::<B>(&tiny_config(), &train_data, &valid_data, &config, &device).unwrap();
        assert!(!first.completed);
        assert_eq!(first.history.len(), 2);
        config.stop_after_epochs = None;
        config.resume = true;
        let resumed =
            train::<B>(&tiny_config(), &train_data, &valid_data, &config, &device).unwrap();
        assert!(resumed.completed);
        // Reported numbers went through JSON and may differ in the last bit.
        assert_eq!(resumed.history.len(), straight.history.len());
        for (r, s) in resumed.history.iter().zip(&straight.history) {
            assert!((r.lr - s.lr).abs() <= 1e-15 * s.lr);
            assert!((r.train_loss - s.train_loss).abs() <= 1e-12);
            assert!((r.mean_valid_auc.unwrap() - s.mean_valid_auc.unwrap()).abs() <= 1e-12);
        }
        assert_eq!(resumed.best_mean_auc, straight.best_mean_auc);
        assert_eq!(resumed.best_epoch, straight.best_epoch);
        assert_eq!(weights(&resumed.model), weights(&straight.model));

        // The checkpoint refuses a different setup.
        config.seed = 4;
        let err = train::<B>(&tiny_config(), &train_data, &valid_data, &config, &device)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("state.json") && err.contains("different"),
            "{err}"
        );
    }

    /// The same tiny data read as a genomic image and as a medical one.
    fn augmented_runs(kind: ImageKind) -> (Vec<f32>, Vec<f32>) {
        let device = Default::default();
        let mut config = tiny_config();
        config.image_kind = kind;
        let (train_data, valid_data) = (synthetic(96, 21), synthetic(64, 22));
        let run = |augment: Option<Augmentation>| {
            let settings = TrainConfig {
                augment,
                ..quick_config(1, 4)
            };
            weights(
                &train::<B>(&config, &train_data, &valid_data, &settings, &device)
                    .unwrap()
                    .model,
            )
        };
        (run(None), run(Some(Augmentation::default())))
    }

    #[test]
    fn augmentation_perturbs_medical_images_and_never_the_genomic_image() {
        let (plain, augmented) = augmented_runs(ImageKind::Genomic);
        assert_eq!(plain, augmented, "the genomic image must not be augmented");
        let (plain, augmented) = augmented_runs(ImageKind::Medical);
        assert_ne!(plain, augmented, "medical images are augmented");
    }

    #[test]
    fn early_stopping_after_patience_epochs_without_improvement() {
        // With a zero learning rate the weights, hence the validation AUC, never change:
        // epoch 0 is the best, and patience 2 stops the run after epoch 2.
        let device = Default::default();
        let train_data = synthetic(64, 41);
        let valid_data = synthetic(64, 42);
        let config = TrainConfig {
            lr: 0.0,
            patience: 2,
            ..quick_config(10, 1)
        };
        let outcome =
            train::<B>(&tiny_config(), &train_data, &valid_data, &config, &device).unwrap();
        assert!(outcome.stopped_early && outcome.completed);
        assert_eq!(outcome.history.len(), 3);
        assert_eq!(outcome.best_epoch, 0);
    }

    /// Training throughput at the default size; `cargo test --lib training_throughput --
    /// --ignored --nocapture`.
    #[test]
    #[ignore = "benchmark"]
    fn training_throughput() {
        fn run<B: AutodiffBackend>()
        where
            Model<B::InnerBackend>: Sync,
        {
            let n = 2048;
            let mut rng = Rng::new(1);
            let mut config = tiny_config();
            config.image_shape = [3, 64, 64];
            config.d_model = 32;
            config.n_heads = 4;
            config.n_layers = 2;
            config.d_ff = 64;
            let data = ModelData {
                n,
                image_shape: [3, 64, 64],
                pixels: (0..n * 3 * 64 * 64).map(|_| rng.below(256) as u8).collect(),
                n_tabular: 2,
                tabular: (0..n * 2).map(|_| rng.normal() as f32).collect(),
                tabular_present: vec![1.0; n * 2],
                n_outcomes: 2,
                labels: (0..n * 2).map(|_| rng.below(2) as f32).collect(),
                label_present: vec![1.0; n * 2],
                ..ModelData::default()
            };
            let start = std::time::Instant::now();
            train::<B>(
                &config,
                &data,
                &data,
                &quick_config(1, 1),
                &Default::default(),
            )
            .unwrap();
            eprintln!(
                "{}: {:.0} samples/s (1 epoch incl. validation)",
                B::name(&Default::default()),
                n as f64 / start.elapsed().as_secs_f64()
            );
        }
        run::<B>();
    }
}
