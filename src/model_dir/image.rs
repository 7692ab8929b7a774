//! Imaging models on disk: `train --modality image` reads a folder of images and a label
//! table, `predict --modality image` a folder of images (PNG, JPEG, DICOM).
//!
//! Nothing here trains or runs a network itself: the model is the same
//! [`Model`](crate::model::Model) as the genomic one (its first image is the medical image,
//! cut into patches by the same `PatchEncoder`), trained by the same
//! [`crate::train::train`] loop through the same backend job, and run by the same
//! inference paths ([`crate::model::infer`]) as genomic models. This module only turns images and labels into
//! [`ModelData`] and records how (the [`ImageSpec`]) next to the weights.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::header::{Modality, RawConfig, IMAGE_MODALITY};
use super::{assign_splits, card, metrics, training_info, TableText};
use super::{Metrics, ModelDirError, ModelHyper, Splits, TrainingInfo, CARD_FILE, CONFIG_FILE};
use crate::imaging::{load_images, ImageSpec};
use crate::model::augment::Augmentation;
use crate::model::infer;
use crate::model::{
    run_on, DeviceKind, ImageKind, ModelConfig, ModelData, ModelError, OutcomeQuery,
};
use crate::train::job::TrainJob;
use crate::train::TrainConfig;
use crate::util::{PathIoError, StagedDir};

/// Version of an imaging model's `config.json`.
pub const IMAGE_FORMAT_VERSION: u32 = 1;

/// A finding (label column) as the model records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FindingInfo {
    /// The finding's id: its label-table column and its probability column in predictions.
    pub id: String,
    /// Case fraction among labelled training images: the prior the probabilities are
    /// calibrated to (see `infer::prior_offsets`).
    pub train_prevalence: Option<f64>,
}

/// `config.json` of an imaging model directory.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ImageModelConfig {
    /// Layout version of this file (`IMAGE_FORMAT_VERSION`).
    pub format_version: u32,
    /// Always [`IMAGE_MODALITY`]: tells this file from a genomic model's.
    pub modality: String,
    /// The model's name (`train --name`, by default the output directory's name).
    pub name: String,
    /// The program that wrote the model, `medgem-prs <version>`.
    pub tool: String,
    /// The transformer's configuration: image shape, patch size, stem, sizes, one query per
    /// finding in logit order.
    pub model: ModelConfig,
    /// How images are read and resized; prediction prepares images exactly so.
    pub image: ImageSpec,
    /// Every finding, in label-table column order, with its training prevalence.
    pub findings: Vec<FindingInfo>,
    /// The augmentation used in training (`None`: none).
    pub augmentation: Option<Augmentation>,
    /// `inputs` is the images folder and `labels` the label table.
    pub training: TrainingInfo,
    /// Validation AUROCs of the kept epoch and the per-epoch history.
    pub metrics: Metrics,
}

impl ImageModelConfig {
    /// Reads and checks `dir/config.json` of an imaging model.
    pub fn read(dir: &Path) -> Result<ImageModelConfig, ModelDirError> {
        ImageModelConfig::from_raw(RawConfig::read(dir)?)
    }

    /// Checks the modality and the version of a parsed `config.json`.
    pub fn from_raw(raw: RawConfig) -> Result<ImageModelConfig, ModelDirError> {
        if raw.modality != Modality::Image {
            return Err(raw.invalid(
                "not an imaging model (a genomic model has no `\"modality\": \"image\"`); \
                 use it without --modality image",
            ));
        }
        let c: ImageModelConfig = raw.typed(
            "imaging model ",
            |c: &ImageModelConfig| c.format_version,
            IMAGE_FORMAT_VERSION,
        )?;
        c.model.validate()?;
        Ok(c)
    }

    /// Per-finding logit offsets that undo the class weighting of training.
    pub fn logit_offsets(&self) -> Vec<f32> {
        infer::prior_offsets(&self.model, |id| {
            self.findings
                .iter()
                .find(|f| f.id == id)
                .and_then(|f| f.train_prevalence)
        })
    }

    /// Finding ids in logit order.
    pub fn finding_ids(&self) -> Vec<&str> {
        self.model.outcomes.iter().map(|o| o.id.as_str()).collect()
    }
}

/// A label table: `image` (a file name relative to the images folder), then one 0/1/NA
/// column per finding, and optionally a `split` column (train, validation, test).
#[derive(Clone, Debug)]
pub struct LabelTable {
    /// The table's path, named in messages and in the split source.
    pub path: PathBuf,
    /// Image file names relative to the images folder, one per data line, each listed once.
    pub images: Vec<String>,
    /// Finding ids: the header's columns after `image`, without `split`.
    pub findings: Vec<String>,
    /// `images × findings`, row-major; `None` where NA.
    pub labels: Vec<Option<bool>>,
    /// Split per image, when the table has a `split` column.
    pub split: Option<Vec<Option<String>>>,
}

impl LabelTable {
    /// Reads a tab-separated label table; errors name the line and column.
    pub fn read(path: &Path) -> Result<LabelTable, ModelDirError> {
        let text = std::fs::read_to_string(path).map_err(PathIoError::on(path))?;
        let table_text = TableText::new(path, &text, "a header 'image <finding>...'")?;
        let err = |line: usize, message: String| table_text.error(line, message);
        let columns = &table_text.columns;
        if columns.first() != Some(&"image") {
            return Err(err(
                1,
                format!(
                    "first column is '{}', expected 'image'",
                    columns.first().unwrap_or(&"")
                ),
            ));
        }
        let split_column = columns.iter().position(|c| *c == "split");
        let finding_columns: Vec<usize> = (1..columns.len())
            .filter(|&c| Some(c) != split_column)
            .collect();
        if finding_columns.is_empty() {
            return Err(err(1, "no finding columns after 'image'".into()));
        }
        let mut table = LabelTable {
            path: path.to_path_buf(),
            images: Vec::new(),
            findings: finding_columns
                .iter()
                .map(|&c| columns[c].to_string())
                .collect(),
            labels: Vec::new(),
            split: split_column.map(|_| Vec::new()),
        };
        let mut seen: HashMap<String, usize> = HashMap::new();
        for row in table_text.rows() {
            let (line, fields) = row?;
            let image = fields[0].to_string();
            if let Some(first) = seen.insert(image.clone(), line) {
                return Err(err(
                    line,
                    format!("image '{image}' is listed twice (first on line {first})"),
                ));
            }
            for &c in &finding_columns {
                table.labels.push(match fields[c] {
                    "1" => Some(true),
                    "0" => Some(false),
                    "NA" | "" | "." => None,
                    other => {
                        return Err(err(
                            line,
                            format!("column '{}': '{other}', expected 0, 1 or NA", columns[c]),
                        ))
                    }
                });
            }
            if let (Some(c), Some(split)) = (split_column, table.split.as_mut()) {
                split.push(match fields[c] {
                    "NA" | "" => None,
                    s => Some(s.to_string()),
                });
            }
            table.images.push(image);
        }
        if table.images.is_empty() {
            return Err(err(2, "no images listed".into()));
        }
        Ok(table)
    }

    /// Label of image `i` for finding `f`.
    pub fn label(&self, i: usize, f: usize) -> Option<bool> {
        self.labels[i * self.findings.len() + f]
    }

    /// The split of every image: the `splits_file`, else the table's `split` column, else
    /// a seeded random 70/15/15 split, exactly as genomic models split samples.
    pub fn splits(&self, splits_file: Option<&Path>, seed: u64) -> Result<Splits, ModelDirError> {
        let usable: Vec<&String> = self.images.iter().collect();
        let column = self.split.as_ref().map(|col| {
            let assignment = self
                .images
                .iter()
                .zip(col)
                .filter_map(|(id, s)| s.as_ref().map(|s| (id.clone(), s.clone())))
                .collect();
            (
                format!("split column of {}", self.path.display()),
                assignment,
            )
        });
        assign_splits(&usable, column, splits_file, seed)
    }
}

/// Model input for images (no covariates); `labels` as in [`ModelData`].
pub fn image_data(
    spec: &ImageSpec,
    pixels: Vec<u8>,
    labels: Option<(Vec<f32>, Vec<f32>, usize)>,
) -> ModelData {
    let per = spec.channels * spec.size * spec.size;
    let (labels, label_present, n_outcomes) = labels.unwrap_or((Vec::new(), Vec::new(), 0));
    ModelData {
        n: pixels.len() / per.max(1),
        image_shape: [spec.channels, spec.size, spec.size],
        pixels,
        n_outcomes,
        labels,
        label_present,
        ..ModelData::default()
    }
}

/// What to train.
#[derive(Clone, Debug)]
pub struct ImageTrainRequest {
    /// Name recorded in `config.json`.
    pub name: String,
    /// The folder the label table's image names are relative to.
    pub images_dir: PathBuf,
    /// The label table (`image`, one 0/1/NA column per finding, optional `split`).
    pub labels: PathBuf,
    /// How every image is decoded and resized (size, channels, DICOM window).
    pub spec: ImageSpec,
    /// Patch side in pixels (the image side must be a multiple).
    pub patch: usize,
    /// Convolutional stem feature maps (`ModelConfig::stem_features`); 0: none.
    pub stem_features: usize,
    /// Transformer size.
    pub model: ModelHyper,
    /// `train.augment` is the augmentation.
    pub train: TrainConfig,
    /// Where to train.
    pub device: DeviceKind,
    /// A splits file (`IID split` lines, the id being the image name) that overrides the
    /// table's `split` column.
    pub splits_file: Option<PathBuf>,
    /// Free text describing the data, recorded in `config.json` and the model card.
    pub data_description: String,
}

/// The transformer for images of `spec` cut into `patch` patches, with one trained query
/// per finding. A finding's query is anchored to every patch: unlike a trait's tile, no
/// patch of a radiograph is a finding's own, so the queries start alike and the outcome
/// heads tell the findings apart (a shared class token with multi-label heads).
pub fn image_model_config(
    spec: &ImageSpec,
    patch: usize,
    stem_features: usize,
    findings: &[String],
    hyper: &ModelHyper,
) -> Result<ModelConfig, ModelDirError> {
    if patch == 0 || !spec.size.is_multiple_of(patch) {
        return Err(ModelDirError::Request(format!(
            "image size {} must be a multiple of the patch size {patch}",
            spec.size
        )));
    }
    let n_tiles = (spec.size / patch).pow(2);
    let queries = findings
        .iter()
        .map(|id| OutcomeQuery {
            id: id.clone(),
            anchors: (0..n_tiles).map(|t| (t, 1.0)).collect(),
            trained: true,
        })
        .collect();
    let mut c = ModelConfig::new([spec.channels, spec.size, spec.size], 0, queries);
    c.patch = patch;
    c.image_kind = ImageKind::Medical;
    c.stem_features = stem_features;
    hyper.apply_to(&mut c);
    c.validate()?;
    Ok(c)
}

/// Labels of the images `rows` for every finding, as [`ModelData`] wants them.
fn label_arrays(table: &LabelTable, rows: &[usize]) -> (Vec<f32>, Vec<f32>, usize) {
    let f = table.findings.len();
    let mut labels = Vec::with_capacity(rows.len() * f);
    let mut present = Vec::with_capacity(rows.len() * f);
    for &i in rows {
        for k in 0..f {
            let l = table.label(i, k);
            labels.push(if l == Some(true) { 1.0 } else { 0.0 });
            present.push(if l.is_some() { 1.0 } else { 0.0 });
        }
    }
    (labels, present, f)
}

/// Rows of `table` for the image names `ids`.
pub fn rows_for(table: &LabelTable, ids: &[String]) -> Vec<usize> {
    let index: HashMap<&str, usize> = table
        .images
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    ids.iter().map(|id| index[id.as_str()]).collect()
}

/// Paths of the images `rows` inside `dir`; a missing file is an error naming the table
/// line that lists it.
pub fn image_paths(
    table: &LabelTable,
    dir: &Path,
    rows: &[usize],
) -> Result<Vec<PathBuf>, ModelDirError> {
    rows.iter()
        .map(|&i| {
            let path = dir.join(&table.images[i]);
            if path.is_file() {
                Ok(path)
            } else {
                Err(ModelDirError::Request(format!(
                    "{}: image '{}' (listed in {}) does not exist",
                    path.display(),
                    table.images[i],
                    table.path.display()
                )))
            }
        })
        .collect()
}

/// Trains an imaging model and writes the model directory `out` atomically.
pub fn train_image(
    request: &ImageTrainRequest,
    out: &Path,
) -> Result<ImageModelConfig, ModelDirError> {
    let start = std::time::Instant::now();
    let table = LabelTable::read(&request.labels)?;
    let splits = table.splits(request.splits_file.as_deref(), request.train.seed)?;
    let model_config = image_model_config(
        &request.spec,
        request.patch,
        request.stem_features,
        &table.findings,
        &request.model,
    )?;
    let train_rows = rows_for(&table, &splits.train);
    let valid_rows = rows_for(&table, &splits.validation);
    // Every listed image must exist, the test split's too, before hours of training.
    image_paths(&table, &request.images_dir, &rows_for(&table, &splits.test))?;
    let data_of = |rows: &[usize]| -> Result<ModelData, ModelDirError> {
        let paths = image_paths(&table, &request.images_dir, rows)?;
        let pixels = load_images(&paths, &request.spec, request.train.progress)?;
        Ok(image_data(
            &request.spec,
            pixels,
            Some(label_arrays(&table, rows)),
        ))
    };
    let train_data = data_of(&train_rows)?;
    let valid_data = data_of(&valid_rows)?;
    let findings: Vec<FindingInfo> = (0..table.findings.len())
        .map(|k| {
            let labelled: Vec<bool> = train_rows
                .iter()
                .filter_map(|&i| table.label(i, k))
                .collect();
            FindingInfo {
                id: table.findings[k].clone(),
                train_prevalence: (!labelled.is_empty()).then(|| {
                    labelled.iter().filter(|&&l| l).count() as f64 / labelled.len() as f64
                }),
            }
        })
        .collect();

    let staging = StagedDir::new(out, "model", false)?;
    let job = TrainJob {
        model_config: &model_config,
        train: &train_data,
        valid: &valid_data,
        config: &request.train,
        out: staging.path(),
    };
    let summary = run_on(request.device, job).map_err(ModelError::from)??;
    let config = ImageModelConfig {
        format_version: IMAGE_FORMAT_VERSION,
        modality: IMAGE_MODALITY.into(),
        name: request.name.clone(),
        tool: format!("medgem-prs {}", env!("CARGO_PKG_VERSION")),
        model: model_config,
        image: request.spec.clone(),
        findings,
        augmentation: request.train.augment.clone(),
        training: training_info(
            request.images_dir.display().to_string(),
            request.labels.display().to_string(),
            &splits,
            (train_data.n, valid_data.n),
            (&request.train, request.device, &request.data_description),
            &summary,
            start.elapsed().as_secs_f64(),
        ),
        metrics: metrics(&table.findings, &summary),
    };
    let write = |name: &str, text: String| -> Result<(), ModelDirError> {
        let path = staging.path().join(name);
        std::fs::write(&path, text).map_err(|source| PathIoError { path, source })?;
        Ok(())
    };
    write(
        CONFIG_FILE,
        serde_json::to_string_pretty(&config).expect("serializable") + "\n",
    )?;
    write(CARD_FILE, card::image(&config))?;
    staging.commit()?;
    Ok(config)
}

/// Probabilities `paths.len() × findings` from the model in `dir`.
pub fn predict_images(
    dir: &Path,
    config: &ImageModelConfig,
    paths: &[PathBuf],
    device: DeviceKind,
    progress: bool,
) -> Result<Vec<f32>, ModelDirError> {
    let pixels = load_images(paths, &config.image, progress)?;
    let data = image_data(&config.image, pixels, None);
    Ok(infer::model_probabilities(
        dir,
        &config.model,
        &config.logit_offsets(),
        &data,
        device,
    )?)
}
