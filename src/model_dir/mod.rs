//! Model directories (`models/<name>/`): what `train` writes and `predict`, `score`,
//! `encode` and `evaluate` read, for both modalities.
//!
//! A model directory holds `config.json` (everything needed to rebuild the inputs exactly,
//! see [`genomic::GenomicModelConfig`] and [`image::ImageModelConfig`]), the burn weights
//! `model.mpk` and `MODEL_CARD.md`. The layout follows burn's examples: the config saved
//! next to the weights. The directory is staged beside its destination and renamed into
//! place when complete ([`crate::util::StagedDir`]).
//!
//! [`header`] reads the part of `config.json` both modalities share and tells them apart,
//! [`splits`] assigns samples to train/validation/test, [`card`] writes the model cards,
//! [`genomic`] and [`image`] assemble each modality's inputs and labels and train through
//! the one job of [`crate::train::job`], and [`mod@bench`] measures speed on synthetic inputs.

pub mod bench;
pub mod card;
pub mod genomic;
pub mod header;
pub mod image;
pub mod outcomes;
pub mod scans;
pub mod splits;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::encode::EncodeError;
use crate::imaging::ImagingError;
use crate::model::{DeviceKind, ModelConfig, ModelError, TILE_SIDE};
use crate::panel::PanelError;
use crate::train::job::TrainSummary;
use crate::train::{TrainConfig, TrainError};
use crate::util::{OutputSet, PathIoError, StageError};

pub use self::genomic::{GenomicModelConfig, OutcomeInfo, PanelRef, TrainRequest};
pub use self::image::{ImageModelConfig, ImageTrainRequest, LabelTable};
pub use self::outcomes::{OutcomeDef, OutcomesError};
pub use self::scans::{ParticipantImages, ScanSpec};
pub use self::splits::{assign_splits, make_splits, Splits};

/// The tab-separated tables of the model commands (image labels, participant images),
/// read one way: blank lines skipped, fields trimmed, lines numbered from 1 in messages.
pub(crate) struct TableText<'a> {
    path: &'a Path,
    /// The header's columns.
    pub columns: Vec<&'a str>,
    rows: Vec<(usize, &'a str)>,
}

impl<'a> TableText<'a> {
    /// Splits `text` into its header and rows; an empty table is an error saying what
    /// header was `expected`.
    pub fn new(path: &'a Path, text: &'a str, expected: &str) -> Result<Self, ModelDirError> {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| (i + 1, l));
        let Some((_, header)) = lines.next() else {
            return Err(Self::error_at(
                path,
                1,
                format!("empty file, expected {expected}"),
            ));
        };
        Ok(TableText {
            path,
            columns: header.split('\t').map(str::trim).collect(),
            rows: lines.collect(),
        })
    }

    /// An error on `line` of this table.
    pub fn error(&self, line: usize, message: String) -> ModelDirError {
        Self::error_at(self.path, line, message)
    }

    fn error_at(path: &Path, line: usize, message: String) -> ModelDirError {
        ModelDirError::Table {
            path: path.to_path_buf(),
            line,
            message,
        }
    }

    /// The rows after the header, each with its line number and trimmed fields, in file
    /// order; a row with more or fewer fields than the header is an error naming its line.
    pub fn rows(&self) -> impl Iterator<Item = Result<(usize, Vec<&'a str>), ModelDirError>> + '_ {
        self.rows.iter().map(|&(line, text)| {
            let fields: Vec<&str> = text.split('\t').map(str::trim).collect();
            if fields.len() == self.columns.len() {
                Ok((line, fields))
            } else {
                Err(self.error(
                    line,
                    format!(
                        "{} fields, expected {} (as in the header)",
                        fields.len(),
                        self.columns.len()
                    ),
                ))
            }
        })
    }
}

/// File name of the configuration inside a model directory.
pub const CONFIG_FILE: &str = "config.json";
/// File name of the model card inside a model directory.
pub const CARD_FILE: &str = "MODEL_CARD.md";

/// Everything that can stop training, prediction or reading a model directory.
#[derive(Debug, thiserror::Error)]
pub enum ModelDirError {
    /// Scoring or rendering the genomic image failed.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The panel could not be read.
    #[error(transparent)]
    Panel(#[from] PanelError),
    /// Model construction, weights or inference failed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Training failed.
    #[error(transparent)]
    Train(#[from] TrainError),
    /// An image could not be read or prepared.
    #[error(transparent)]
    Imaging(#[from] ImagingError),
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] PathIoError),
    /// The output directory could not be staged.
    #[error(transparent)]
    Stage(#[from] StageError),
    /// A file (config, split table) is not what it should be.
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What was expected.
        message: String,
    },
    /// A line of a table (image labels, participant images) is malformed.
    #[error("{}: line {line}: {message}", path.display())]
    Table {
        /// The table.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What was expected.
        message: String,
    },
    /// None of the genotyped samples has a phenotype row.
    #[error("{}: no genotyped sample is in the phenotype table (e.g. genotype ID '{example}')", table.display())]
    NoSampleInTable {
        /// The phenotype table.
        table: PathBuf,
        /// The first genotype ID.
        example: String,
    },
    /// Training needs samples in the train and validation splits.
    #[error("{source_name}: the train and validation splits need samples ({train} train, {validation} validation)")]
    EmptySplits {
        /// Where the split came from (a column, a file, a seeded draw).
        source_name: String,
        /// Samples in the train split.
        train: usize,
        /// Samples in the validation split.
        validation: usize,
    },
    /// An outcome to train has no column in the phenotype table.
    #[error("{}: no column '{outcome}' (an outcome to train, from {origin}); give its labels as a 0/1/NA column, or mark it trained = false", table.display())]
    NoOutcomeColumn {
        /// The phenotype table.
        table: PathBuf,
        /// The outcome id.
        outcome: String,
        /// Where the outcome was defined.
        origin: String,
    },
    /// There is nothing to train on.
    #[error("{}: no outcome to train (expected a 0/1/NA column other than IID, split and the covariates, or --outcomes with trained = true)", table.display())]
    NoTrainedOutcome {
        /// The phenotype table.
        table: PathBuf,
    },
    /// An outcome column holds something other than 0, 1 or NA.
    #[error("{}: outcome '{outcome}': IID '{iid}' has {value} (expected 0, 1 or NA)", table.display())]
    Label {
        /// The phenotype table.
        table: PathBuf,
        /// The outcome id.
        outcome: String,
        /// The participant.
        iid: String,
        /// The value found.
        value: f64,
    },
    /// Outcome definitions are malformed or do not fit the panel or model.
    #[error(transparent)]
    Outcomes(#[from] OutcomesError),
    /// The panel given is not the one the model was trained on.
    #[error("{}: this panel (sha256 {sha256}) is not the one the model was trained on ('{model_panel}', sha256 {model_sha256})", panel.display())]
    PanelMismatch {
        /// The panel directory given.
        panel: PathBuf,
        /// Its sha256.
        sha256: String,
        /// The model's panel name.
        model_panel: String,
        /// The model's panel sha256.
        model_sha256: String,
    },
    /// The panel's tiles come in another order than the model's.
    #[error("panel tile order differs from the model's")]
    TileOrder,
    /// A model's normalisation statistics do not fit its own panel layout.
    #[error("normalisation statistics do not match the panel's traits and channels")]
    Normalisation,
    /// A participant of a mixed model's cohort has no image in the `IID → image` table.
    #[error("{}: no image for participant '{iid}' (expected a line '{iid} <image file>')", table.display())]
    NoParticipantImage {
        /// The table.
        table: PathBuf,
        /// The participant.
        iid: String,
    },
    /// A mixed genomic + imaging model was asked to predict without participant images.
    #[error("model '{model}' reads one image per participant beside the genotypes (a mixed model): predict and evaluate take them with --images DIR --image-table TSV (IID, image)")]
    NeedsImages {
        /// The model's name.
        model: String,
    },
    /// Participant images were given to a model that reads none.
    #[error("model '{model}' reads no participant images (it was trained without --images): leave out --images and --image-table")]
    ReadsNoImages {
        /// The model's name.
        model: String,
    },
    /// Arguments that cannot go together (e.g. an image size that is no multiple of the
    /// patch size).
    #[error("{0}")]
    Request(String),
}

/// How the model was trained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    /// What the model read: the genotype file, or the images folder of an imaging model
    /// (stored as `genotypes` in `config.json`, the name of format version 1).
    #[serde(rename = "genotypes")]
    pub inputs: String,
    /// Where the labels came from: the phenotype table, or an imaging model's label table
    /// (stored as `phenotypes`).
    #[serde(rename = "phenotypes")]
    pub labels: String,
    /// Where the train/validation/test assignment came from (a `split` column, a splits file,
    /// or a seeded random draw).
    pub split_source: String,
    /// Samples (images) in the training data: the train split's genotyped samples or listed
    /// images, labelled or not.
    pub n_train: usize,
    /// Samples (images) in the validation data, which picked the kept epoch.
    pub n_validation: usize,
    /// Samples (images) assigned to the test split, held out for `evaluate`.
    pub n_test: usize,
    /// The training seed: initialisation, shuffling, dropout, augmentation, and the random
    /// split when no split was given.
    pub seed: u64,
    /// Where training ran, lowercase: `cpu` or `cuda`.
    pub device: String,
    /// The epoch budget asked for (the cosine schedule spans it); see `epochs_run`.
    pub epochs: usize,
    /// Samples per optimiser step.
    pub batch_size: usize,
    /// Peak learning rate of AdamW (Loshchilov & Hutter 2019), reached after warm-up.
    pub lr: f64,
    /// AdamW's decoupled weight decay.
    pub weight_decay: f64,
    /// Fraction of all steps spent in the linear warm-up before the cosine decay.
    pub warmup_fraction: f64,
    /// Early stopping: epochs without a better mean validation AUC before training ends.
    pub patience: usize,
    /// Epochs actually completed (including any before a resume).
    pub epochs_run: usize,
    /// 0-based epoch whose weights were saved (the model card prints it 1-based).
    pub best_epoch: usize,
    /// Whether early stopping ended training before `epochs`.
    pub stopped_early: bool,
    /// Wall-clock seconds of the whole `train` call: scoring or image loading, training and
    /// writing.
    pub seconds: f64,
    /// Free text, e.g. "synthetic: medgem-prs simulate --samples ...".
    pub data_description: String,
}

/// Validation metrics of the kept epoch.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Metrics {
    /// Validation AUROC of each trained outcome (finding) at the kept epoch, by id; `None`
    /// where the validation split lacks cases or controls.
    pub validation_auc: Vec<(String, Option<f64>)>,
    /// Mean of the defined validation AUROCs at the kept epoch: the early-stopping criterion.
    pub mean_validation_auc: f64,
    /// Loss, validation AUCs and learning rate of every completed epoch.
    pub history: Vec<crate::train::EpochSummary>,
}

/// Transformer size.
#[derive(Clone, Copy, Debug)]
pub struct ModelHyper {
    /// Token width (`ModelConfig::d_model`).
    pub d_model: usize,
    /// Attention heads per layer; must divide `d_model`.
    pub n_heads: usize,
    /// Transformer layers.
    pub n_layers: usize,
    /// Hidden width of the feed-forward blocks.
    pub d_ff: usize,
    /// Dropout probability inside the transformer during training.
    pub dropout: f64,
    /// See [`ModelConfig::linear_readout`].
    pub linear_readout: bool,
}

impl ModelHyper {
    /// Sets the transformer size of `config`, whatever the modality.
    pub fn apply_to(&self, config: &mut ModelConfig) {
        config.d_model = self.d_model;
        config.n_heads = self.n_heads;
        config.n_layers = self.n_layers;
        config.d_ff = self.d_ff;
        config.dropout = self.dropout;
        config.linear_readout = self.linear_readout;
    }
}

impl ModelHyper {
    /// The transformer size of `config`.
    pub fn of(config: &ModelConfig) -> ModelHyper {
        ModelHyper {
            d_model: config.d_model,
            n_heads: config.n_heads,
            n_layers: config.n_layers,
            d_ff: config.d_ff,
            dropout: config.dropout,
            linear_readout: config.linear_readout,
        }
    }
}

impl Default for ModelHyper {
    /// [`ModelConfig`]'s defaults: the sizes are defined once, there.
    fn default() -> Self {
        ModelHyper::of(&ModelConfig::new([1, TILE_SIDE, TILE_SIDE], 0, Vec::new()))
    }
}

/// What `config.json` records about a training run. `inputs` and `labels` name the data
/// (genotypes and phenotype table, or images folder and label table).
pub fn training_info(
    inputs: String,
    labels: String,
    splits: &Splits,
    (n_train, n_validation): (usize, usize),
    (train, device, description): (&TrainConfig, DeviceKind, &str),
    summary: &TrainSummary,
    seconds: f64,
) -> TrainingInfo {
    TrainingInfo {
        inputs,
        labels,
        split_source: splits.source.clone(),
        n_train,
        n_validation,
        n_test: splits.test.len(),
        seed: train.seed,
        device: format!("{device:?}").to_lowercase(),
        epochs: train.epochs,
        batch_size: train.batch_size,
        lr: train.lr,
        weight_decay: train.weight_decay,
        warmup_fraction: train.warmup_fraction,
        patience: train.patience,
        epochs_run: summary.history.len(),
        best_epoch: summary.best_epoch,
        stopped_early: summary.stopped_early,
        seconds,
        data_description: description.to_string(),
    }
}

/// Validation metrics of the kept epoch, per trained outcome.
pub fn metrics(trained: &[String], summary: &TrainSummary) -> Metrics {
    Metrics {
        validation_auc: trained
            .iter()
            .cloned()
            .zip(
                summary
                    .history
                    .get(summary.best_epoch)
                    .map(|h| h.valid_auc.clone())
                    .unwrap_or_default(),
            )
            .collect(),
        mean_validation_auc: summary.best_mean_auc,
        history: summary.history.clone(),
    }
}

/// The "Training data" section of a model card; `names` label the inputs and the labels
/// (genotypes and phenotypes, or images and labels).
pub fn training_data_md(t: &TrainingInfo, (inputs, labels): (&str, &str)) -> String {
    format!(
        "## Training data\n\n- {inputs}: `{}`\n- {labels}: `{}`\n- Description: {}\n- Splits: {} \
         ({} train, {} validation, {} test)\n- Seed {}, device {}, {} of {} epochs (best epoch \
         {}{}), batch {}, AdamW lr {} (warm-up {} then cosine), weight decay {}, {:.0} s\n\n",
        t.inputs,
        t.labels,
        t.data_description,
        t.split_source,
        t.n_train,
        t.n_validation,
        t.n_test,
        t.seed,
        t.device,
        t.epochs_run,
        t.epochs,
        t.best_epoch + 1,
        if t.stopped_early {
            ", stopped early"
        } else {
            ""
        },
        t.batch_size,
        t.lr,
        t.warmup_fraction,
        t.weight_decay,
        t.seconds
    )
}

/// Writes `id_column` then one probability column per outcome, atomically: the layout of
/// `predict --out` for every modality.
pub fn write_probability_table(
    out: &Path,
    id_column: &str,
    ids: &[String],
    outcomes: &[&str],
    probs: &[f32],
) -> Result<(), ModelDirError> {
    let n_out = outcomes.len();
    let mut text = String::from(id_column);
    for o in outcomes {
        text.push('\t');
        text.push_str(o);
    }
    text.push('\n');
    for (i, id) in ids.iter().enumerate() {
        text.push_str(id);
        for p in &probs[i * n_out..(i + 1) * n_out] {
            let _ = write!(text, "\t{p:.6}");
        }
        text.push('\n');
    }
    let mut set = OutputSet::new();
    set.write_with(out, |w| std::io::Write::write_all(w, text.as_bytes()))
        .map_err(PathIoError::on(out))?;
    set.commit().map_err(PathIoError::on(out))?;
    Ok(())
}
