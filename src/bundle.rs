//! Model directories (`models/<name>/`): training a genomic model from genotypes, a panel
//! and a phenotype table, and predicting with it.
//!
//! A model directory holds `config.json` (everything needed to rebuild the inputs exactly:
//! the panel's name and sha256, the fill mode, the per-score normalisation statistics and
//! the covariate schema fitted on the training split, the outcomes with their anchor
//! traits, the training description, seed and metrics), the burn weights `model.mpk`, and
//! `MODEL_CARD.md`. The layout follows burn's examples: a config saved next to the weights.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::encode::image::{self, ImageLayout, Images, NormStats};
use crate::encode::tabular::{self, Tabular, TabularSchema};
use crate::encode::{EncodeError, FillMode, PanelScores, PreparedPanel};
use crate::io::GenotypeSource;
use crate::model::device::{run_on, BackendJob, DeviceKind};
use crate::model::{CpuModel, ModelConfig, ModelData, ModelError, OutcomeQuery};
use crate::panel::manifest::{panel_sha256, Manifest};
use crate::panel::PanelError;
use crate::pheno::PhenoTable;
use crate::score::ScoreOptions;
use crate::sim::architecture::OUTCOMES;
use crate::train::{TrainConfig, TrainError};
use crate::util::OutputSet;

/// Version of the `config.json` layout.
pub const BUNDLE_VERSION: u32 = 2;
/// File names inside a model directory.
pub const CONFIG_FILE: &str = "config.json";
pub const CARD_FILE: &str = "MODEL_CARD.md";

/// Everything that can stop training or prediction.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error(transparent)]
    Encode(#[from] EncodeError),
    #[error(transparent)]
    Panel(#[from] PanelError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error(transparent)]
    Device(#[from] crate::model::device::DeviceError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{0}")]
    Data(String),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> BundleError + '_ {
    move |source| BundleError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// An outcome as the bundle records it: anchors by trait id (not tile), so they survive
/// any tile order and can be edited to query new outcomes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutcomeInfo {
    pub id: String,
    pub name: String,
    pub trained: bool,
    pub anchors: Vec<(String, f32)>,
    /// Case fraction among labelled training samples (the reference prevalence for
    /// relative risks); `None` for zero-shot outcomes.
    pub train_prevalence: Option<f64>,
}

/// The panel a model was trained on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PanelRef {
    pub name: String,
    pub sha256: String,
    pub genome_build: String,
    pub tile_order: Vec<String>,
    pub thresholds: Vec<f64>,
}

/// How the model was trained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    pub genotypes: String,
    pub phenotypes: String,
    pub split_source: String,
    pub n_train: usize,
    pub n_validation: usize,
    pub n_test: usize,
    pub seed: u64,
    pub device: String,
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub weight_decay: f64,
    pub warmup_fraction: f64,
    pub patience: usize,
    pub epochs_run: usize,
    pub best_epoch: usize,
    pub stopped_early: bool,
    pub seconds: f64,
    /// Free text, e.g. "synthetic: medgem-prs simulate --samples ...".
    pub data_description: String,
}

/// Validation metrics of the kept epoch.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Metrics {
    pub validation_auc: Vec<(String, Option<f64>)>,
    pub mean_validation_auc: f64,
    pub history: Vec<crate::train::EpochSummary>,
}

/// `config.json` of a model directory.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BundleConfig {
    pub format_version: u32,
    pub name: String,
    pub tool: String,
    pub model: ModelConfig,
    pub panel: PanelRef,
    pub fill: FillMode,
    pub normalization: NormStats,
    pub tabular: TabularSchema,
    pub outcomes: Vec<OutcomeInfo>,
    pub training: TrainingInfo,
    pub metrics: Metrics,
}

impl BundleConfig {
    /// Reads and checks `dir/config.json`.
    pub fn read(dir: &Path) -> Result<BundleConfig, BundleError> {
        let path = dir.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
        BundleConfig::parse(&path, &text)
    }

    /// Parses a `config.json` text (`path` names it in messages).
    pub fn parse(path: &Path, text: &str) -> Result<BundleConfig, BundleError> {
        let mut value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| BundleError::Invalid {
                path: path.to_path_buf(),
                message: format!("not a medgem-prs model config: {e}"),
            })?;
        if value.get("modality").and_then(|m| m.as_str())
            == Some(crate::imaging::bundle::IMAGE_MODALITY)
        {
            return Err(BundleError::Invalid {
                path: path.to_path_buf(),
                message: "an imaging model: use it with --modality image".into(),
            });
        }
        if let Some(model) = value.get_mut("model") {
            ModelConfig::fill_defaults(model);
        }
        let c: BundleConfig = serde_json::from_value(value).map_err(|e| BundleError::Invalid {
            path: path.to_path_buf(),
            message: format!("not a medgem-prs model config: {e}"),
        })?;
        if c.format_version != BUNDLE_VERSION {
            return Err(BundleError::Invalid {
                path: path.to_path_buf(),
                message: format!(
                    "model format version {} (this build reads version {BUNDLE_VERSION})",
                    c.format_version
                ),
            });
        }
        c.model.validate()?;
        Ok(c)
    }
}

/// An outcome definition: id, name, in-distribution, anchor traits with weights.
pub type OutcomeDef = (String, String, bool, Vec<(String, f32)>);

/// Anchor traits of the 14 outcomes of DESIGN.md (the synthetic biobank's definitions).
pub fn default_outcomes() -> Vec<OutcomeDef> {
    OUTCOMES
        .iter()
        .map(|o| {
            (
                o.id.to_string(),
                o.name.to_string(),
                o.in_distribution,
                o.anchors
                    .iter()
                    .map(|(a, w)| (a.to_string(), *w as f32))
                    .collect(),
            )
        })
        .collect()
}

/// Which samples go where.
#[derive(Clone, Debug, Default)]
pub struct Splits {
    pub train: Vec<String>,
    pub validation: Vec<String>,
    pub test: Vec<String>,
    pub source: String,
}

/// Splits the genotyped samples with phenotypes: from the table's `split` column, else
/// from an `IID split` file, else at random (70/15/15, seeded). Samples in other splits
/// (e.g. `discovery`) are left out.
pub fn make_splits(
    samples: &[String],
    table: &PhenoTable,
    splits_file: Option<&Path>,
    seed: u64,
) -> Result<Splits, BundleError> {
    let in_table: HashSet<&str> = table.iids().iter().map(|s| s.as_str()).collect();
    let usable: Vec<&String> = samples
        .iter()
        .filter(|s| in_table.contains(s.as_str()))
        .collect();
    if usable.is_empty() {
        return Err(BundleError::Data(format!(
            "{}: no genotyped sample is in the phenotype table (e.g. genotype ID '{}')",
            table.path().display(),
            samples.first().map_or("", |s| s.as_str())
        )));
    }
    let column = table.split().map(|col| {
        let assignment = table
            .iids()
            .iter()
            .zip(col)
            .filter_map(|(id, s)| s.as_ref().map(|s| (id.clone(), s.clone())))
            .collect();
        (
            format!("split column of {}", table.path().display()),
            assignment,
        )
    });
    assign_splits(&usable, column, splits_file, seed)
}

/// Splits `usable` samples: by `splits_file` (`IID split` lines), else by `column` (its
/// description and id → split), else at random (70/15/15, seeded). Shared by genomic and
/// imaging models, so both split the same way.
pub fn assign_splits(
    usable: &[&String],
    column: Option<(String, HashMap<String, String>)>,
    splits_file: Option<&Path>,
    seed: u64,
) -> Result<Splits, BundleError> {
    let mut assignment: HashMap<String, String> = HashMap::new();
    let source = if let Some(path) = splits_file {
        let text = std::fs::read_to_string(path).map_err(io_err(path))?;
        for (i, line) in text.lines().enumerate() {
            let f: Vec<&str> = line.split_whitespace().collect();
            match f.as_slice() {
                [] => {}
                ["IID", "split"] | ["#IID", "split"] if i == 0 => {}
                [id, split] => {
                    assignment.insert(id.to_string(), split.to_string());
                }
                _ => {
                    return Err(BundleError::Invalid {
                        path: path.to_path_buf(),
                        message: format!("line {}: expected 'IID split'", i + 1),
                    })
                }
            }
        }
        format!("--splits {}", path.display())
    } else if let Some((source, column)) = column {
        assignment = column;
        source
    } else {
        let mut order: Vec<&String> = usable.to_vec();
        crate::sim::rng::Rng::stream(seed, &[0x7370_6c74]).shuffle(&mut order);
        let n = order.len();
        let (n_train, n_valid) = ((n as f64 * 0.7) as usize, (n as f64 * 0.15) as usize);
        for (i, id) in order.iter().enumerate() {
            let s = if i < n_train {
                "train"
            } else if i < n_train + n_valid {
                "validation"
            } else {
                "test"
            };
            assignment.insert((*id).clone(), s.to_string());
        }
        format!("seeded random 70/15/15 split (seed {seed})")
    };
    let mut splits = Splits {
        source,
        ..Splits::default()
    };
    for &id in usable {
        match assignment.get(id.as_str()).map(|s| s.as_str()) {
            Some("train") => splits.train.push(id.clone()),
            Some("validation") | Some("valid") => splits.validation.push(id.clone()),
            Some("test") => splits.test.push(id.clone()),
            _ => {}
        }
    }
    if splits.train.is_empty() || splits.validation.is_empty() {
        return Err(BundleError::Data(format!(
            "{}: the train and validation splits need samples ({} train, {} validation)",
            splits.source,
            splits.train.len(),
            splits.validation.len()
        )));
    }
    Ok(splits)
}

/// Images and covariates of some samples, ready for the model.
pub struct Inputs {
    pub ids: Vec<String>,
    pub images: Images,
    pub tabular: Tabular,
}

impl Inputs {
    /// Model data with the given labels (`n × O` and presence).
    pub fn data(&self, labels: Option<(Vec<f32>, Vec<f32>, usize)>) -> ModelData {
        let layout = &self.images.layout;
        let (labels, label_present, n_outcomes) = labels.unwrap_or((Vec::new(), Vec::new(), 0));
        ModelData {
            n: self.ids.len(),
            image_shape: [layout.channels, layout.height(), layout.width()],
            pixels: self.images.pixels.clone(),
            n_tabular: self.tabular.n_features,
            tabular: self.tabular.values.clone(),
            tabular_present: self.tabular.present.clone(),
            n_outcomes,
            labels,
            label_present,
            ..ModelData::default()
        }
    }
}

/// Picks rows of panel scores by sample id.
fn rows_of(scores: &PanelScores, ids: &[String]) -> Vec<usize> {
    let index: HashMap<&str, usize> = scores
        .sample_ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    ids.iter()
        .filter_map(|id| index.get(id.as_str()).copied())
        .collect()
}

/// The subset of `scores` at `rows`.
fn subset(scores: &PanelScores, rows: &[usize]) -> PanelScores {
    let width = scores.n_columns();
    let mut values = Vec::with_capacity(rows.len() * width);
    for &r in rows {
        values.extend_from_slice(scores.row(r));
    }
    PanelScores {
        sample_ids: rows.iter().map(|&r| scores.sample_ids[r].clone()).collect(),
        values,
        ..scores.clone()
    }
}

/// Labels of `outcomes` (those trained) for `ids`: 0/1 and presence.
fn labels(table: &PhenoTable, ids: &[String], outcomes: &[String]) -> (Vec<f32>, Vec<f32>) {
    let row: HashMap<&str, usize> = table
        .iids()
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let cols: Vec<&[Option<f64>]> = outcomes
        .iter()
        .map(|o| table.column(o).expect("checked"))
        .collect();
    let mut y = Vec::with_capacity(ids.len() * outcomes.len());
    let mut present = Vec::with_capacity(ids.len() * outcomes.len());
    for id in ids {
        let r = row.get(id.as_str()).copied();
        for c in &cols {
            match r.and_then(|r| c[r]) {
                Some(v) => {
                    y.push(if v > 0.5 { 1.0 } else { 0.0 });
                    present.push(1.0);
                }
                None => {
                    y.push(0.0);
                    present.push(0.0);
                }
            }
        }
    }
    (y, present)
}

/// What to train.
#[derive(Clone, Debug)]
pub struct TrainRequest {
    pub name: String,
    pub panel_dir: PathBuf,
    pub fill: FillMode,
    pub model: ModelHyper,
    pub train: TrainConfig,
    pub device: DeviceKind,
    pub splits_file: Option<PathBuf>,
    pub score: ScoreOptions,
    pub data_description: String,
}

/// Transformer size.
#[derive(Clone, Copy, Debug)]
pub struct ModelHyper {
    pub d_model: usize,
    pub n_heads: usize,
    pub n_layers: usize,
    pub d_ff: usize,
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

impl Default for ModelHyper {
    fn default() -> Self {
        ModelHyper {
            d_model: 32,
            n_heads: 4,
            n_layers: 2,
            d_ff: 64,
            dropout: 0.1,
            linear_readout: true,
        }
    }
}

/// A training run on some backend that writes the best weights to `out`: the one job both
/// genomic and imaging models train through.
pub(crate) struct TrainJob<'a> {
    pub model_config: &'a ModelConfig,
    pub train: &'a ModelData,
    pub valid: &'a ModelData,
    pub config: &'a TrainConfig,
    pub out: &'a Path,
}

/// What a training run reports back from its backend.
pub(crate) struct TrainSummary {
    pub history: Vec<crate::train::EpochSummary>,
    pub best_epoch: usize,
    pub best_mean_auc: f64,
    pub stopped_early: bool,
}

impl BackendJob for TrainJob<'_> {
    type Output = Result<TrainSummary, BundleError>;

    fn run<B: burn::tensor::backend::AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let outcome = crate::train::train::<B>(
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

/// Trains a model from `source` (all its samples in a split), `table` and the panel, and
/// writes the model directory `out` atomically.
pub fn train_bundle(
    source: &mut dyn GenotypeSource,
    table: &PhenoTable,
    request: &TrainRequest,
    out: &Path,
) -> Result<BundleConfig, BundleError> {
    let start = std::time::Instant::now();
    let manifest = Manifest::read(&request.panel_dir)?;
    let sha = panel_sha256(&request.panel_dir)?;
    let splits = make_splits(
        source.sample_ids(),
        table,
        request.splits_file.as_deref(),
        request.train.seed,
    )?;
    // Outcomes: trained ones are the in-distribution outcomes the table labels.
    let outcomes_def = default_outcomes();
    let trained: Vec<String> = outcomes_def
        .iter()
        .filter(|(id, _, in_dist, _)| *in_dist && table.column(id).is_some())
        .map(|(id, ..)| id.clone())
        .collect();
    if trained.is_empty() {
        return Err(BundleError::Data(format!(
            "{}: no outcome column to train on (expected some of: {})",
            table.path().display(),
            outcomes_def
                .iter()
                .filter(|o| o.2)
                .map(|o| o.0.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    // Linear scores of every sample in train/validation/test.
    let mut wanted: Vec<String> = splits.train.clone();
    wanted.extend(splits.validation.iter().cloned());
    wanted.extend(splits.test.iter().cloned());
    let mut options = request.score.clone();
    options.samples = Some(wanted);
    let prepared = PreparedPanel::read(&request.panel_dir, &manifest, request.fill)?;
    let scores = prepared.score(source, &options)?;
    let layout = ImageLayout::for_scores(&scores);
    let train_rows = rows_of(&scores, &splits.train);
    let valid_rows = rows_of(&scores, &splits.validation);
    let stats = image::fit(&scores, &train_rows)?;
    let table_rows: HashMap<&str, usize> = table
        .iids()
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let train_table_rows: Vec<usize> = splits
        .train
        .iter()
        .filter_map(|id| table_rows.get(id.as_str()).copied())
        .collect();
    let schema = tabular::fit(table, &train_table_rows);
    let inputs_of = |rows: &[usize]| -> Result<Inputs, BundleError> {
        let part = subset(&scores, rows);
        let images = image::render(&part, &stats, &layout, request.fill)?;
        let tab = tabular::features(table, &part.sample_ids, &schema);
        Ok(Inputs {
            ids: part.sample_ids.clone(),
            images,
            tabular: tab,
        })
    };
    let train_in = inputs_of(&train_rows)?;
    let valid_in = inputs_of(&valid_rows)?;
    let (ty, tp) = labels(table, &train_in.ids, &trained);
    let (vy, vp) = labels(table, &valid_in.ids, &trained);
    let train_data = train_in.data(Some((ty.clone(), tp.clone(), trained.len())));
    let valid_data = valid_in.data(Some((vy, vp, trained.len())));

    let outcomes: Vec<OutcomeInfo> = outcomes_def
        .iter()
        .map(|(id, name, _, anchors)| {
            let k = trained.iter().position(|t| t == id);
            let prevalence = k.map(|k| {
                let (mut cases, mut n) = (0.0, 0.0);
                for i in 0..train_in.ids.len() {
                    let j = i * trained.len() + k;
                    cases += f64::from(ty[j] * tp[j]);
                    n += f64::from(tp[j]);
                }
                cases / n.max(1.0)
            });
            OutcomeInfo {
                id: id.clone(),
                name: name.clone(),
                trained: k.is_some(),
                anchors: anchors.clone(),
                train_prevalence: prevalence,
            }
        })
        .collect();
    let model_config = model_config_for(&layout, schema.names.len(), &outcomes, &request.model)?;

    // Stage the directory and train into it.
    let staging = staging_dir(out)?;
    let job = TrainJob {
        model_config: &model_config,
        train: &train_data,
        valid: &valid_data,
        config: &request.train,
        out: staging.path(),
    };
    let summary = run_on(request.device, job)??;
    let config = BundleConfig {
        format_version: BUNDLE_VERSION,
        name: request.name.clone(),
        tool: format!("medgem-prs {}", env!("CARGO_PKG_VERSION")),
        model: model_config,
        panel: PanelRef {
            name: manifest.name.clone(),
            sha256: sha,
            genome_build: manifest.genome_build.clone(),
            tile_order: layout.tile_order.clone(),
            thresholds: manifest.thresholds.clone(),
        },
        fill: request.fill,
        normalization: stats,
        tabular: schema,
        outcomes,
        training: training_info(
            source.path().display().to_string(),
            table.path().display().to_string(),
            &splits,
            (train_data.n, valid_data.n),
            (&request.train, request.device, &request.data_description),
            &summary,
            start.elapsed().as_secs_f64(),
        ),
        metrics: metrics(&trained, &summary),
    };
    let text = serde_json::to_string_pretty(&config).expect("serializable") + "\n";
    let path = staging.path().join(CONFIG_FILE);
    std::fs::write(&path, text).map_err(io_err(&path))?;
    let path = staging.path().join(CARD_FILE);
    std::fs::write(&path, model_card(&config)).map_err(io_err(&path))?;
    finish_staging(staging, out)?;
    Ok(config)
}

/// What `config.json` records about a training run. `inputs` and `labels` name the data
/// (genotypes and phenotype table, or images folder and label table).
pub(crate) fn training_info(
    inputs: String,
    labels: String,
    splits: &Splits,
    (n_train, n_validation): (usize, usize),
    (train, device, description): (&TrainConfig, DeviceKind, &str),
    summary: &TrainSummary,
    seconds: f64,
) -> TrainingInfo {
    TrainingInfo {
        genotypes: inputs,
        phenotypes: labels,
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
pub(crate) fn metrics(trained: &[String], summary: &TrainSummary) -> Metrics {
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

/// The transformer configuration for a panel layout and outcomes.
pub fn model_config_for(
    layout: &ImageLayout,
    n_tabular: usize,
    outcomes: &[OutcomeInfo],
    hyper: &ModelHyper,
) -> Result<ModelConfig, BundleError> {
    let queries = outcomes
        .iter()
        .map(|o| {
            let anchors: Vec<(usize, f32)> = o
                .anchors
                .iter()
                .filter_map(|(t, w)| layout.tile_index(t).map(|i| (i, *w)))
                .collect();
            if anchors.is_empty() {
                return Err(BundleError::Data(format!(
                    "outcome '{}': none of its anchor traits ({}) is in the panel",
                    o.id,
                    o.anchors
                        .iter()
                        .map(|a| a.0.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            Ok(OutcomeQuery {
                id: o.id.clone(),
                anchors,
                trained: o.trained,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut c = ModelConfig::new(
        [layout.channels, layout.height(), layout.width()],
        n_tabular,
        queries,
    );
    hyper.apply_to(&mut c);
    c.validate()?;
    Ok(c)
}

pub(crate) fn staging_dir(out: &Path) -> Result<tempfile::TempDir, BundleError> {
    if out.exists()
        && std::fs::read_dir(out)
            .map_err(io_err(out))?
            .next()
            .is_some()
    {
        return Err(BundleError::Data(format!(
            "{}: output directory exists and is not empty",
            out.display()
        )));
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io_err(&parent))?;
    tempfile::Builder::new()
        .prefix(".model.tmp-")
        .tempdir_in(&parent)
        .map_err(io_err(&parent))
}

pub(crate) fn finish_staging(staging: tempfile::TempDir, out: &Path) -> Result<(), BundleError> {
    let staged = staging.keep();
    if out.exists() {
        std::fs::remove_dir(out).map_err(io_err(out))?;
    }
    std::fs::rename(&staged, out).map_err(io_err(out))
}

/// The "Training data" section of a model card; `names` label the inputs and the labels
/// (genotypes and phenotypes, or images and labels).
pub(crate) fn training_data_md(t: &TrainingInfo, (inputs, labels): (&str, &str)) -> String {
    format!(
        "## Training data\n\n- {inputs}: `{}`\n- {labels}: `{}`\n- Description: {}\n- Splits: {} \
         ({} train, {} validation, {} test)\n- Seed {}, device {}, {} of {} epochs (best epoch \
         {}{}), batch {}, AdamW lr {} (warm-up {} then cosine), weight decay {}, {:.0} s\n\n",
        t.genotypes,
        t.phenotypes,
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

/// MODEL_CARD.md: intended use, training data, metrics, limitations.
pub fn model_card(c: &BundleConfig) -> String {
    let mut s = String::new();
    let t = &c.training;
    let _ = writeln!(s, "# Model card: {}\n", c.name);
    let _ = writeln!(
        s,
        "**Not for clinical use.** This model predicts disease risk from polygenic scores \
         for research and software testing. It has not been validated on any real cohort.\n"
    );
    let _ = writeln!(s, "## Intended use\n");
    let _ = writeln!(
        s,
        "Research comparison of a transformer over a genomic image (Med-Gemini-Polygenic, \
         arXiv 2405.03162) against linear polygenic scores. Input: genotypes scored with \
         panel `{}` (sha256 `{}`, {}), age, sex and BMI. Output: probabilities for {} \
         outcomes ({} trained, the rest queried zero-shot from their anchor traits).\n",
        c.panel.name,
        c.panel.sha256,
        c.panel.genome_build,
        c.outcomes.len(),
        c.outcomes.iter().filter(|o| o.trained).count()
    );
    s.push_str(&training_data_md(t, ("Genotypes", "Phenotypes")));
    let m = &c.model;
    let _ = writeln!(
        s,
        "Architecture: {}×{}×{} genomic image ({} fill) in 8×8 patches, {} covariate tokens, {} outcome queries; transformer d_model {}, {} heads, {} layers, feed-forward {}, dropout {}; linear readout of tiles and covariates {}.\n",
        m.image_shape[0], m.image_shape[1], m.image_shape[2], c.fill.as_str(), m.n_tabular,
        m.outcomes.len(), m.d_model, m.n_heads, m.n_layers, m.d_ff, m.dropout,
        if m.linear_readout { "on" } else { "off" }
    );
    let _ = writeln!(s, "## Metrics (validation split, the kept epoch)\n");
    let _ = writeln!(
        s,
        "| outcome | AUROC | training prevalence |\n|---|---|---|"
    );
    for (id, auc) in &c.metrics.validation_auc {
        let prev = c
            .outcomes
            .iter()
            .find(|o| &o.id == id)
            .and_then(|o| o.train_prevalence);
        let _ = writeln!(
            s,
            "| {id} | {} | {} |",
            auc.map_or("NA".into(), |a| format!("{a:.3}")),
            prev.map_or("NA".into(), |p| format!("{p:.3}"))
        );
    }
    let _ = writeln!(s, "\nMean validation AUROC: {:.3}. Test-split evaluation against linear baselines is `medgem-prs evaluate`'s job.\n", c.metrics.mean_validation_auc);
    let _ = writeln!(s, "## Zero-shot outcomes\n");
    for o in c.outcomes.iter().filter(|o| !o.trained) {
        let a: Vec<String> = o
            .anchors
            .iter()
            .map(|(t, w)| format!("{t} {w:+}"))
            .collect();
        let _ = writeln!(s, "- {} ({}): anchors {}", o.id, o.name, a.join(", "));
    }
    let _ = writeln!(s, "\n## Limitations\n");
    let _ = writeln!(
        s,
        "- Trained on the data above only; if that is the synthetic biobank of `medgem-prs simulate`, nothing here transfers to real people.\n\
         - Scores must come from the same panel (checked by sha256) and genome build.\n\
         - Zero-shot outcomes are only as good as their anchor traits; their probabilities are not calibrated.\n\
         - No ancestry adjustment: the training cohort defines the reference distribution."
    );
    s
}

/// Scores and renders `source`'s samples for a trained model, checking the panel.
pub fn model_inputs(
    source: &mut dyn GenotypeSource,
    config: &BundleConfig,
    panel_dir: &Path,
    covariates: Option<&PhenoTable>,
    score: &ScoreOptions,
) -> Result<Inputs, BundleError> {
    Ok(scored_inputs(source, config, panel_dir, covariates, score)?.1)
}

/// [`model_inputs`], also returning the panel's linear scores.
pub fn scored_inputs(
    source: &mut dyn GenotypeSource,
    config: &BundleConfig,
    panel_dir: &Path,
    covariates: Option<&PhenoTable>,
    score: &ScoreOptions,
) -> Result<(PanelScores, Inputs), BundleError> {
    let sha = panel_sha256(panel_dir)?;
    if sha != config.panel.sha256 {
        return Err(BundleError::Data(format!(
            "{}: this panel (sha256 {sha}) is not the one the model was trained on ('{}', sha256 {})",
            panel_dir.display(),
            config.panel.name,
            config.panel.sha256
        )));
    }
    let manifest = Manifest::read(panel_dir)?;
    let prepared = PreparedPanel::read(panel_dir, &manifest, config.fill)?;
    let scores = prepared.score(source, score)?;
    let layout = ImageLayout::for_scores(&scores);
    if layout.tile_order != config.panel.tile_order {
        return Err(BundleError::Data(
            "panel tile order differs from the model's".into(),
        ));
    }
    let images = image::render(&scores, &config.normalization, &layout, config.fill)?;
    let tab = match covariates {
        Some(t) => tabular::features(t, &scores.sample_ids, &config.tabular),
        None => Tabular::missing(scores.sample_ids.len(), &config.tabular),
    };
    let inputs = Inputs {
        ids: scores.sample_ids.clone(),
        images,
        tabular: tab,
    };
    Ok((scores, inputs))
}

struct PredictJob<'a> {
    dir: &'a Path,
    config: &'a ModelConfig,
    data: &'a ModelData,
    /// Pooled embeddings instead of logits.
    embed: bool,
}

impl BackendJob for PredictJob<'_> {
    type Output = Result<Vec<f32>, BundleError>;

    fn run<B: burn::tensor::backend::AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let model = crate::model::load_model::<B::InnerBackend>(self.dir, self.config, &device)?;
        Ok(if self.embed {
            crate::model::embed(&model, self.data, 1024, &device)?
        } else {
            crate::model::predict_logits(&model, self.data, 1024, &device)?
        })
    }
}

/// Probabilities `n × outcomes` for `inputs` with the model in `dir`, corrected for the
/// class weighting of training (see [`BundleConfig::logit_offsets`]).
pub fn predict(
    dir: &Path,
    config: &BundleConfig,
    inputs: &Inputs,
    device: DeviceKind,
) -> Result<Vec<f32>, BundleError> {
    predict_data(dir, config, &inputs.data(None), device)
}

/// [`predict`] on inputs already turned into [`ModelData`] (for callers that also need the
/// data for something else, such as embeddings).
pub fn predict_data(
    dir: &Path,
    config: &BundleConfig,
    data: &ModelData,
    device: DeviceKind,
) -> Result<Vec<f32>, BundleError> {
    model_probabilities(dir, &config.model, &config.logit_offsets(), data, device)
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
) -> Result<Vec<f32>, BundleError> {
    let mut logits = run_model(dir, model, data, device, false)?;
    for row in logits.chunks_exact_mut(offsets.len()) {
        for (v, offset) in row.iter_mut().zip(offsets) {
            *v = 1.0 / (1.0 + (-(*v + offset)).exp());
        }
    }
    Ok(logits)
}

impl BundleConfig {
    /// Per-outcome logit offsets that undo the class weighting of training.
    ///
    /// Training weights cases by `(1 − π) / π` (π: the outcome's training prevalence), which
    /// shifts the optimal logit by `ln((1 − π) / π)`; subtracting it again is the prior
    /// correction of King & Zeng (2001, "Logistic regression in rare events data"), so that
    /// probabilities are on the scale of the training prevalence. Zero-shot outcomes have no
    /// prevalence and take the mean offset of the trained ones: their probabilities are on
    /// the scale of a typical trained outcome, not calibrated to their own prevalence.
    pub fn logit_offsets(&self) -> Vec<f32> {
        prior_offsets(&self.model, |id| {
            self.outcomes
                .iter()
                .find(|o| o.id == id)
                .and_then(|o| o.train_prevalence)
        })
    }
}

/// The offsets of [`BundleConfig::logit_offsets`] for any model, given each outcome's
/// training prevalence.
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
            (false, _) => mean as f32,
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
) -> Result<Vec<f32>, BundleError> {
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
) -> Result<Vec<f32>, BundleError> {
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
    let model = crate::model::load_model::<burn::backend::NdArray<f32>>(dir, config, &device)?;
    CpuModel::from_model(&model, config)
}

/// Writes `IID` then one probability column per outcome.
pub fn write_predictions(
    out: &Path,
    config: &BundleConfig,
    ids: &[String],
    probs: &[f32],
) -> Result<(), BundleError> {
    let outcomes: Vec<&str> = config
        .model
        .outcomes
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    write_probability_table(out, "IID", ids, &outcomes, probs)
}

/// Writes `id_column` then one probability column per outcome, atomically: the layout of
/// `predict --out` for every modality.
pub fn write_probability_table(
    out: &Path,
    id_column: &str,
    ids: &[String],
    outcomes: &[&str],
    probs: &[f32],
) -> Result<(), BundleError> {
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
        .map_err(io_err(out))?;
    set.commit().map_err(io_err(out))?;
    Ok(())
}

/// What [`bench_model`] measured.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub device: String,
    pub traits: usize,
    pub image_shape: [usize; 3],
    pub tokens: usize,
    pub samples: usize,
    pub epochs: usize,
    pub train_seconds: f64,
    pub train_samples_per_second: f64,
    pub mean_validation_auc: f64,
    pub inference_seconds: f64,
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
    type Output = Result<(f64, f64, f64), BundleError>;

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
) -> Result<BenchReport, BundleError> {
    let ids: Vec<String> = (0..traits).map(|t| format!("t{t}")).collect();
    let layout = ImageLayout::new(ids.clone(), 3);
    let mut rng = crate::sim::rng::Rng::new(train_config.seed);
    let outcomes: Vec<OutcomeInfo> = (0..14)
        .map(|o| OutcomeInfo {
            id: format!("o{o}"),
            name: format!("synthetic outcome {o}"),
            trained: o < 8,
            anchors: (0..3)
                .map(|_| (ids[rng.below(traits as u64) as usize].clone(), 1.0))
                .collect(),
            train_prevalence: None,
        })
        .collect();
    let config = model_config_for(&layout, 3, &outcomes, hyper)?;
    let make = |n: usize, rng: &mut crate::sim::rng::Rng| -> ModelData {
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
    )??;
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
    pub model: String,
    pub traits: usize,
    pub image_shape: [usize; 3],
    pub tokens: usize,
    pub d_model: usize,
    pub layers: usize,
    pub samples: usize,
    pub threads: usize,
    /// Seconds of each repeat: rendering the images from the scores (encode), then the
    /// forward pass.
    pub encode_seconds: Vec<f64>,
    pub forward_seconds: Vec<f64>,
    /// Samples per second of encode plus forward pass, best and median repeat.
    pub best_samples_per_second: f64,
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
    config: &BundleConfig,
    samples: usize,
    repeats: usize,
    seed: u64,
) -> Result<InferenceBench, BundleError> {
    let stats = &config.normalization;
    let mut rng = crate::sim::rng::Rng::new(seed);
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
        return Err(BundleError::Data(
            "normalisation statistics do not match the panel's traits and channels".into(),
        ));
    }
    let layout = ImageLayout::new(stats.traits.clone(), stats.channels.len());
    let engine = cpu_model(dir, &config.model)?;
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
