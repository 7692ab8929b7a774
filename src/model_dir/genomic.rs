//! Genomic models: from genotypes, a panel and a phenotype table to a model directory
//! (`train`), and from genotypes and a model directory to probabilities (`predict`,
//! `score`). The panel is scored with plink2 arithmetic ([`crate::score`]), rendered into
//! the genomic image with the training split's normalisation ([`crate::encode`]) and read
//! by the transformer with the covariates.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::header::{Modality, RawConfig};
use super::outcomes::{self, OutcomeDef, OutcomesError};
use super::scans::{ParticipantImages, ScanSpec};
use super::{card, make_splits, metrics, training_info, write_probability_table};
use super::{Metrics, ModelDirError, ModelHyper, TrainingInfo, CARD_FILE, CONFIG_FILE};
use crate::encode::image::{self, ImageLayout, Images, NormStats};
use crate::encode::tabular::{self, Tabular, TabularSchema};
use crate::encode::{FillMode, PanelScores, PreparedPanel};
use crate::io::GenotypeSource;
use crate::model::infer;
use crate::model::{
    run_on, DeviceKind, ModelConfig, ModelData, ModelError, OutcomeQuery, ScanInput,
};
use crate::panel::manifest::{panel_sha256, Manifest};
use crate::pheno::PhenoTable;
use crate::score::ScoreOptions;
use crate::train::job::TrainJob;
use crate::train::TrainConfig;
use crate::util::{PathIoError, StagedDir};

/// Version of a genomic model's `config.json` layout.
pub const GENOMIC_FORMAT_VERSION: u32 = 2;

/// An outcome as the model directory records it: anchors by trait id (not tile), so they survive
/// any tile order and can be edited to query new outcomes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutcomeInfo {
    /// The outcome's id: its phenotype-table column and its probability column in
    /// predictions.
    pub id: String,
    /// Human-readable name of the outcome.
    pub name: String,
    /// Whether the model was trained on this outcome's labels; false for zero-shot
    /// outcomes, queried from their anchors only.
    pub trained: bool,
    /// Anchor traits of the outcome's query, by panel trait id, with weights (negative:
    /// inversely related).
    pub anchors: Vec<(String, f32)>,
    /// Case fraction among labelled training samples (the reference prevalence for
    /// relative risks); `None` for zero-shot outcomes.
    pub train_prevalence: Option<f64>,
    /// The prevalence the user gave (`outcomes.toml`), which calibrates a zero-shot
    /// outcome's probability; `None`: a zero-shot probability is uncalibrated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prevalence: Option<f64>,
}

/// The panel a model was trained on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PanelRef {
    /// The panel's name from its manifest.
    pub name: String,
    /// `panel_sha256` of the panel directory (manifest and every scoring file); a panel
    /// given at prediction must hash the same.
    pub sha256: String,
    /// The panel manifest's genome build: `GRCh37`, `GRCh38` or `unknown`.
    pub genome_build: String,
    /// Trait ids in tile order: tile `i` of the genomic image belongs to `tile_order[i]`.
    pub tile_order: Vec<String>,
    /// The panel's p-value thresholds, ascending, one per image channel; empty for an
    /// imported panel.
    pub thresholds: Vec<f64>,
}

/// `config.json` of a model directory.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GenomicModelConfig {
    /// Layout version of this file (`GENOMIC_FORMAT_VERSION`).
    pub format_version: u32,
    /// The model's name (`train --name`, by default the output directory's name).
    pub name: String,
    /// The program that wrote the model, `medgem-prs <version>`.
    pub tool: String,
    /// The transformer's configuration: image shape, covariate count, sizes, outcome
    /// queries in logit order.
    pub model: ModelConfig,
    /// The panel the model was trained on, checked by hash before scoring.
    pub panel: PanelRef,
    /// How tiles were filled (`uniform` or `regional`).
    pub fill: FillMode,
    /// Per-score means and SDs of the training split, with which every sample's scores
    /// are standardised before the pixel mapping.
    pub normalization: NormStats,
    /// Covariate names with the training split's means and SDs.
    pub tabular: TabularSchema,
    /// A mixed model's participant images: how they are prepared and cut (`None`: the
    /// model reads genotypes and covariates only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan: Option<ScanSpec>,
    /// Every outcome, trained and zero-shot, with anchors and training prevalence.
    pub outcomes: Vec<OutcomeInfo>,
    /// Data, splits, settings and duration of the training run.
    pub training: TrainingInfo,
    /// Validation AUROCs of the kept epoch and the per-epoch history.
    pub metrics: Metrics,
}

impl GenomicModelConfig {
    /// Reads and checks `dir/config.json`.
    pub fn read(dir: &Path) -> Result<GenomicModelConfig, ModelDirError> {
        GenomicModelConfig::from_raw(RawConfig::read(dir)?)
    }

    /// Parses a `config.json` text (`path` names it in messages).
    pub fn parse(path: &Path, text: &str) -> Result<GenomicModelConfig, ModelDirError> {
        GenomicModelConfig::from_raw(RawConfig::parse(path, text)?)
    }

    /// Checks the modality, fills the fields older configs lack, checks the version.
    pub fn from_raw(mut raw: RawConfig) -> Result<GenomicModelConfig, ModelDirError> {
        if raw.modality != Modality::Genomic {
            return Err(raw.invalid("an imaging model: use it with --modality image"));
        }
        if let Some(model) = raw.value.get_mut("model") {
            ModelConfig::fill_defaults(model);
        }
        let c: GenomicModelConfig = raw.typed(
            "model ",
            |c: &GenomicModelConfig| c.format_version,
            GENOMIC_FORMAT_VERSION,
        )?;
        c.model.validate()?;
        Ok(c)
    }
}

/// Images and covariates of some samples, ready for the model.
pub struct Inputs {
    /// Sample ids in the genotype source's order, one per image and covariate row.
    pub ids: Vec<String>,
    /// Genomic images rendered with the model's normalisation, `n × C × H × W`.
    pub images: Images,
    /// Standardised covariates with presence flags (all missing without a covariate
    /// table).
    pub tabular: Tabular,
    /// A mixed model's participant images, `n × C × S × S` in `ids` order, with their
    /// `[C, S, S]`; empty for a genomic-only model.
    pub scan_pixels: Vec<u8>,
    /// `[C, S, S]` of `scan_pixels`.
    pub scan_shape: [usize; 3],
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
            scan_shape: self.scan_shape,
            scan_pixels: self.scan_pixels.clone(),
        }
    }
}

/// Checks that a mixed model gets participant images and a genomic-only one none, before
/// any genotype is read.
fn check_scans<'a>(
    config: &'a GenomicModelConfig,
    scans: Option<&'a ParticipantImages>,
) -> Result<Option<(&'a ScanSpec, &'a ParticipantImages)>, ModelDirError> {
    match (&config.scan, scans) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(ModelDirError::NeedsImages {
            model: config.name.clone(),
        }),
        (None, Some(_)) => Err(ModelDirError::ReadsNoImages {
            model: config.name.clone(),
        }),
        (Some(spec), Some(scans)) => Ok(Some((spec, scans))),
    }
}

/// A mixed model's participant images of `ids` (model pixels in `ids` order) with their
/// `[C, S, S]`; nothing for a genomic-only model.
fn load_scans(
    scans: Option<(&ScanSpec, &ParticipantImages)>,
    ids: &[String],
    progress: bool,
) -> Result<(Vec<u8>, [usize; 3]), ModelDirError> {
    match scans {
        Some((spec, images)) => Ok((images.pixels(ids, &spec.image, progress)?, spec.shape())),
        None => Ok((Vec::new(), [0; 3])),
    }
}

/// A mixed model's participant images at training: how to prepare them and where they are.
#[derive(Clone, Debug)]
pub struct ScanRequest {
    /// Preparation, patch size and stem.
    pub spec: ScanSpec,
    /// The images folder and `IID → image` table.
    pub images: ParticipantImages,
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
    /// Name recorded in `config.json`.
    pub name: String,
    /// The panel to score and lay out as the image.
    pub panel_dir: PathBuf,
    /// Tile fill to train with.
    pub fill: FillMode,
    /// Transformer size.
    pub model: ModelHyper,
    /// Optimiser, schedule, seed, early stopping and checkpoint settings.
    pub train: TrainConfig,
    /// Where to train.
    pub device: DeviceKind,
    /// An `IID split` file that overrides the table's `split` column.
    pub splits_file: Option<PathBuf>,
    /// Scoring options (matching rules, `--min-overlap`, mean imputation).
    pub score: ScoreOptions,
    /// Free text describing the data, recorded in `config.json` and the model card.
    pub data_description: String,
    /// The outcomes: those marked trained that the phenotype table labels are trained,
    /// the rest queried zero-shot from their anchors.
    pub outcomes: Vec<OutcomeDef>,
    /// One image per participant beside the genotypes (a mixed model); `None`: genotypes
    /// and covariates only.
    pub scans: Option<ScanRequest>,
}

/// Trains a model from `source` (all its samples in a split), `table` and the panel, and
/// writes the model directory `out` atomically.
pub fn train_genomic(
    source: &mut dyn GenotypeSource,
    table: &PhenoTable,
    request: &TrainRequest,
    out: &Path,
) -> Result<GenomicModelConfig, ModelDirError> {
    let start = std::time::Instant::now();
    let manifest = Manifest::read(&request.panel_dir)?;
    let sha = panel_sha256(&request.panel_dir)?;
    let splits = make_splits(
        source.sample_ids(),
        table,
        request.splits_file.as_deref(),
        request.train.seed,
    )?;
    // Outcomes: every one marked trained must have a 0/1/NA column; anchors must be panel
    // traits.
    let outcomes_def = &request.outcomes;
    outcomes::check_defs(outcomes_def)?;
    outcomes::check_in_panel(outcomes_def, &manifest.tile_order, &manifest.name)?;
    let trained: Vec<String> = outcomes_def
        .iter()
        .filter(|o| o.trained)
        .map(|o| o.id.clone())
        .collect();
    if trained.is_empty() {
        return Err(ModelDirError::NoTrainedOutcome {
            table: table.path().to_path_buf(),
        });
    }
    for o in outcomes_def.iter().filter(|o| o.trained) {
        check_labels(table, o)?;
    }
    // Linear scores of every sample in train/validation/test.
    let mut wanted: Vec<String> = splits.train.clone();
    wanted.extend(splits.validation.iter().cloned());
    wanted.extend(splits.test.iter().cloned());
    // A mixed model needs every participant's image, the test split's too, before the
    // scoring pass and hours of training.
    if let Some(scans) = &request.scans {
        scans.images.paths(&wanted)?;
    }
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
    let inputs_of = |rows: &[usize]| -> Result<Inputs, ModelDirError> {
        let part = subset(&scores, rows);
        let images = image::render(&part, &stats, &layout, request.fill)?;
        let tab = tabular::features(table, &part.sample_ids, &schema);
        let (scan_pixels, scan_shape) = load_scans(
            request.scans.as_ref().map(|s| (&s.spec, &s.images)),
            &part.sample_ids,
            request.train.progress,
        )?;
        Ok(Inputs {
            ids: part.sample_ids.clone(),
            images,
            tabular: tab,
            scan_pixels,
            scan_shape,
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
        .map(
            |OutcomeDef {
                 id,
                 name,
                 anchors,
                 prevalence,
                 ..
             }| {
                let k = trained.iter().position(|t| t == id);
                let train_prevalence = k.map(|k| {
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
                    train_prevalence,
                    prevalence: *prevalence,
                }
            },
        )
        .collect();
    let scan = request.scans.as_ref().map(|s| s.spec.clone());
    let model_config = model_config_for(
        &layout,
        schema.names.len(),
        &outcomes,
        &request.model,
        scan.as_ref(),
    )?;

    // Stage the directory and train into it.
    let staging = StagedDir::new(out, "model", false)?;
    // The model carries its panel, so that `--model DIR` alone is enough to predict.
    let own_panel = staging.path().join(PANEL_SUBDIR);
    copy_panel(&request.panel_dir, &manifest, &own_panel)?;
    if panel_sha256(&own_panel)? != sha {
        return Err(ModelDirError::Invalid {
            path: own_panel,
            message: "the copy of the panel does not hash like the original".into(),
        });
    }
    let job = TrainJob {
        model_config: &model_config,
        train: &train_data,
        valid: &valid_data,
        config: &request.train,
        out: staging.path(),
    };
    let summary = run_on(request.device, job).map_err(ModelError::from)??;
    let config = GenomicModelConfig {
        format_version: GENOMIC_FORMAT_VERSION,
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
        scan,
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
    std::fs::write(&path, text).map_err(PathIoError::on(&path))?;
    let path = staging.path().join(CARD_FILE);
    std::fs::write(&path, card::genomic(&config)).map_err(PathIoError::on(&path))?;
    staging.commit()?;
    Ok(config)
}

/// The transformer configuration for a panel layout and outcomes, with a mixed model's
/// participant images as a second image in the sequence.
pub fn model_config_for(
    layout: &ImageLayout,
    n_tabular: usize,
    outcomes: &[OutcomeInfo],
    hyper: &ModelHyper,
    scan: Option<&ScanSpec>,
) -> Result<ModelConfig, ModelDirError> {
    let mut c = ModelConfig::new(
        [layout.channels, layout.height(), layout.width()],
        n_tabular,
        outcome_queries(&layout.tile_order, outcomes)?,
    );
    hyper.apply_to(&mut c);
    if let Some(scan) = scan {
        c.scan = Some(ScanInput {
            shape: scan.shape(),
            patch: scan.patch,
        });
        c.stem_features = scan.stem_features;
    }
    c.validate()?;
    Ok(c)
}

/// The model's outcome queries (anchors as tile indices) of `outcomes`, for a panel whose
/// tile `i` is the trait `tile_order[i]`.
fn outcome_queries(
    tile_order: &[String],
    outcomes: &[OutcomeInfo],
) -> Result<Vec<OutcomeQuery>, ModelDirError> {
    outcomes
        .iter()
        .map(|o| {
            let anchors = o
                .anchors
                .iter()
                .map(|(t, w)| {
                    let tile = tile_order.iter().position(|x| x == t).ok_or_else(|| {
                        ModelDirError::from(OutcomesError::AnchorNotInPanel {
                            origin: CONFIG_FILE.into(),
                            outcome: o.id.clone(),
                            anchor: t.clone(),
                            panel: "of the model".into(),
                            examples: tile_order
                                .iter()
                                .take(5)
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", "),
                        })
                    })?;
                    Ok((tile, *w))
                })
                .collect::<Result<Vec<_>, ModelDirError>>()?;
            Ok(OutcomeQuery {
                id: o.id.clone(),
                anchors,
                trained: o.trained,
            })
        })
        .collect()
}

/// Name of the copy of the panel inside a model directory.
pub const PANEL_SUBDIR: &str = "panel";

/// Copies a panel's manifest and scoring files (what [`panel_sha256`] hashes) to `to`.
fn copy_panel(from: &Path, manifest: &Manifest, to: &Path) -> Result<(), ModelDirError> {
    for name in manifest.files() {
        let target = to.join(&name);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(PathIoError::on(parent))?;
        }
        std::fs::copy(from.join(&name), &target).map_err(PathIoError::on(&target))?;
    }
    Ok(())
}

/// Checks that an outcome to train has a column of 0, 1 and NA only.
fn check_labels(table: &PhenoTable, o: &OutcomeDef) -> Result<(), ModelDirError> {
    let column = table
        .column(&o.id)
        .ok_or_else(|| ModelDirError::NoOutcomeColumn {
            table: table.path().to_path_buf(),
            outcome: o.id.clone(),
            origin: o.origin.clone(),
        })?;
    if let Some((row, value)) = column
        .iter()
        .enumerate()
        .find_map(|(r, v)| v.filter(|v| *v != 0.0 && *v != 1.0).map(|v| (r, v)))
    {
        return Err(ModelDirError::Label {
            table: table.path().to_path_buf(),
            outcome: o.id.clone(),
            iid: table.iids()[row].clone(),
            value,
        });
    }
    Ok(())
}

/// What [`GenomicModelConfig::add_queries`] did with one definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryAction {
    /// A new zero-shot outcome.
    Added(String),
    /// A new outcome marked trained, which the model never saw: queried zero-shot.
    AddedUntrained(String),
    /// A zero-shot outcome of the model, queried with the new anchors.
    Replaced(String),
    /// A trained outcome given with the model's own anchors: nothing to do.
    Same(String),
}

impl GenomicModelConfig {
    /// Adds outcome definitions (`--outcomes`, `--query`) to the model as zero-shot queries,
    /// without retraining: an outcome the model has not seen is added, a zero-shot one is
    /// re-anchored, and a trained one must come with the model's own anchors. Trained
    /// outcomes' probabilities do not change: the attention mask keeps every query apart
    /// (see [`crate::model::Model`]).
    pub fn add_queries(&mut self, defs: &[OutcomeDef]) -> Result<Vec<QueryAction>, ModelDirError> {
        outcomes::check_defs(defs)?;
        outcomes::check_in_panel(defs, &self.panel.tile_order, &self.panel.name)?;
        let mut actions = Vec::with_capacity(defs.len());
        for d in defs {
            match self.outcomes.iter_mut().find(|o| o.id == d.id) {
                Some(o) if o.trained => {
                    if !d.trained || !same_anchors(&o.anchors, &d.anchors) {
                        return Err(OutcomesError::TrainedRedefined {
                            origin: d.origin.clone(),
                            outcome: d.id.clone(),
                            model_anchors: outcomes::format_anchors(&o.anchors),
                        }
                        .into());
                    }
                    actions.push(QueryAction::Same(d.id.clone()));
                }
                Some(o) => {
                    o.anchors = d.anchors.clone();
                    o.prevalence = d.prevalence;
                    o.name = d.name.clone();
                    actions.push(QueryAction::Replaced(d.id.clone()));
                }
                None => {
                    if d.anchors.is_empty() {
                        return Err(OutcomesError::NoAnchors {
                            origin: d.origin.clone(),
                            outcome: d.id.clone(),
                        }
                        .into());
                    }
                    self.outcomes.push(OutcomeInfo {
                        id: d.id.clone(),
                        name: d.name.clone(),
                        trained: false,
                        anchors: d.anchors.clone(),
                        train_prevalence: None,
                        prevalence: d.prevalence,
                    });
                    actions.push(if d.trained {
                        QueryAction::AddedUntrained(d.id.clone())
                    } else {
                        QueryAction::Added(d.id.clone())
                    });
                }
            }
        }
        self.model.outcomes = outcome_queries(&self.panel.tile_order, &self.outcomes)?;
        self.model.validate()?;
        Ok(actions)
    }

    /// Zero-shot outcomes without a prevalence: their probabilities are not calibrated to
    /// the outcome's own scale.
    pub fn uncalibrated(&self) -> Vec<&str> {
        self.outcomes
            .iter()
            .filter(|o| !o.trained && o.prevalence.is_none())
            .map(|o| o.id.as_str())
            .collect()
    }

    /// Whether any trained outcome has anchors, i.e. whether the shared query map and
    /// anchor readout that zero-shot queries go through were trained at all.
    pub fn has_anchored_training(&self) -> bool {
        self.outcomes
            .iter()
            .any(|o| o.trained && !o.anchors.is_empty())
    }
}

/// The same anchors, in any order, with weights equal to f32 precision.
fn same_anchors(a: &[(String, f32)], b: &[(String, f32)]) -> bool {
    a.len() == b.len()
        && a.iter().all(|(t, w)| {
            b.iter()
                .any(|(u, v)| t == u && (w - v).abs() <= 1e-6 * w.abs().max(1.0))
        })
}

/// Scores and renders `source`'s samples for a trained model, checking the panel; a mixed
/// model also loads every sample's participant image from `scans` (a sample without one
/// is an error before the genotypes are read).
pub fn model_inputs(
    source: &mut dyn GenotypeSource,
    config: &GenomicModelConfig,
    panel_dir: &Path,
    covariates: Option<&PhenoTable>,
    scans: Option<&ParticipantImages>,
    score: &ScoreOptions,
) -> Result<Inputs, ModelDirError> {
    Ok(scored_inputs(source, config, panel_dir, covariates, scans, score)?.1)
}

/// [`model_inputs`], also returning the panel's linear scores.
pub fn scored_inputs(
    source: &mut dyn GenotypeSource,
    config: &GenomicModelConfig,
    panel_dir: &Path,
    covariates: Option<&PhenoTable>,
    scans: Option<&ParticipantImages>,
    score: &ScoreOptions,
) -> Result<(PanelScores, Inputs), ModelDirError> {
    let scans = check_scans(config, scans)?;
    if let Some((_, images)) = scans {
        images.paths(&score.scored_ids(source.sample_ids()))?;
    }
    let sha = panel_sha256(panel_dir)?;
    if sha != config.panel.sha256 {
        return Err(ModelDirError::PanelMismatch {
            panel: panel_dir.to_path_buf(),
            sha256: sha,
            model_panel: config.panel.name.clone(),
            model_sha256: config.panel.sha256.clone(),
        });
    }
    let manifest = Manifest::read(panel_dir)?;
    let prepared = PreparedPanel::read(panel_dir, &manifest, config.fill)?;
    let scores = prepared.score(source, score)?;
    let layout = ImageLayout::for_scores(&scores);
    if layout.tile_order != config.panel.tile_order {
        return Err(ModelDirError::TileOrder);
    }
    let images = image::render(&scores, &config.normalization, &layout, config.fill)?;
    let tab = match covariates {
        Some(t) => tabular::features(t, &scores.sample_ids, &config.tabular),
        None => Tabular::missing(scores.sample_ids.len(), &config.tabular),
    };
    let (scan_pixels, scan_shape) = load_scans(scans, &scores.sample_ids, score.progress)?;
    let inputs = Inputs {
        ids: scores.sample_ids.clone(),
        images,
        tabular: tab,
        scan_pixels,
        scan_shape,
    };
    Ok((scores, inputs))
}

/// Probabilities `n × outcomes` for `inputs` with the model in `dir`, corrected for the
/// class weighting of training (see [`GenomicModelConfig::logit_offsets`]).
pub fn predict(
    dir: &Path,
    config: &GenomicModelConfig,
    inputs: &Inputs,
    device: DeviceKind,
) -> Result<Vec<f32>, ModelDirError> {
    predict_data(dir, config, &inputs.data(None), device)
}

/// [`predict`] on inputs already turned into [`ModelData`] (for callers that also need the
/// data for something else, such as embeddings).
pub fn predict_data(
    dir: &Path,
    config: &GenomicModelConfig,
    data: &ModelData,
    device: DeviceKind,
) -> Result<Vec<f32>, ModelDirError> {
    Ok(infer::model_probabilities(
        dir,
        &config.model,
        &config.logit_offsets(),
        data,
        device,
    )?)
}

impl GenomicModelConfig {
    /// Per-outcome logit offsets that undo the class weighting of training.
    ///
    /// Training weights cases by `(1 − π) / π` (π: the outcome's training prevalence), which
    /// shifts the optimal logit by `ln((1 − π) / π)`; subtracting it again is the prior
    /// correction of King & Zeng (2001, "Logistic regression in rare events data"), so that
    /// probabilities are on the scale of the training prevalence. A zero-shot outcome with a
    /// prevalence (`outcomes.toml`) is shifted by that prevalence's logit in the same way;
    /// without one it takes the mean offset of the trained ones: its probabilities are on
    /// the scale of a typical trained outcome, not calibrated to its own prevalence.
    pub fn logit_offsets(&self) -> Vec<f32> {
        infer::prior_offsets(&self.model, |id| {
            self.outcomes.iter().find(|o| o.id == id).and_then(|o| {
                if o.trained {
                    o.train_prevalence
                } else {
                    o.prevalence
                }
            })
        })
    }
}

/// Writes `IID` then one probability column per outcome.
pub fn write_predictions(
    out: &Path,
    config: &GenomicModelConfig,
    ids: &[String],
    probs: &[f32],
) -> Result<(), ModelDirError> {
    let outcomes: Vec<&str> = config
        .model
        .outcomes
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    write_probability_table(out, "IID", ids, &outcomes, probs)
}
