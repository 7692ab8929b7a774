//! Imaging models on disk: `train --modality image` reads a folder of images and a label
//! table, `predict --modality image` a folder of images (PNG, JPEG, DICOM).
//!
//! Nothing here trains or runs a network itself: the model is the same
//! [`Model`](crate::model::Model) as the genomic one (its first image is the medical image,
//! cut into patches by the same `PatchEncoder`), trained by the same
//! [`crate::train::train`] loop through the same backend job, and run by the same
//! inference paths as `crate::bundle`. This module only turns images and labels into
//! [`ModelData`] and records how (the [`ImageSpec`]) next to the weights.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::augment::Augmentation;
use super::{prepare, ImageSpec, ImagingError};
use crate::bundle::{self, BundleError, Metrics, ModelHyper, Splits, TrainingInfo};
use crate::model::{run_on, DeviceKind, ImageKind, ModelConfig, ModelData, OutcomeQuery};
use crate::train::TrainConfig;

/// Version of an imaging model's `config.json`.
pub const IMAGE_BUNDLE_VERSION: u32 = 1;
/// The `modality` field of an imaging model's `config.json`.
pub const IMAGE_MODALITY: &str = "image";

/// File extensions taken as images when a folder is listed (files without an extension
/// are read too: DICOM files often have none).
pub const IMAGE_EXTENSIONS: [&str; 5] = ["png", "jpg", "jpeg", "dcm", "dicom"];

/// A finding (label column) as the model records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FindingInfo {
    pub id: String,
    /// Case fraction among labelled training images: the prior the probabilities are
    /// calibrated to (see `bundle::prior_offsets`).
    pub train_prevalence: Option<f64>,
}

/// `config.json` of an imaging model directory.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ImageBundleConfig {
    pub format_version: u32,
    /// Always [`IMAGE_MODALITY`]: tells this file from a genomic model's.
    pub modality: String,
    pub name: String,
    pub tool: String,
    pub model: ModelConfig,
    /// How images are read and resized; prediction prepares images exactly so.
    pub image: ImageSpec,
    pub findings: Vec<FindingInfo>,
    /// The augmentation used in training (`None`: none).
    pub augmentation: Option<Augmentation>,
    /// `genotypes` holds the images folder and `phenotypes` the label table.
    pub training: TrainingInfo,
    pub metrics: Metrics,
}

impl ImageBundleConfig {
    /// Reads and checks `dir/config.json` of an imaging model.
    pub fn read(dir: &Path) -> Result<ImageBundleConfig, ImagingError> {
        let path = dir.join(bundle::CONFIG_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| ImagingError::Io {
            path: path.clone(),
            source,
        })?;
        let invalid = |message: String| ImagingError::Decode {
            path: path.clone(),
            message,
        };
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| invalid(format!("not a medgem-prs model config: {e}")))?;
        if value.get("modality").and_then(|m| m.as_str()) != Some(IMAGE_MODALITY) {
            return Err(invalid(
                "not an imaging model (a genomic model has no `\"modality\": \"image\"`); \
                 use it without --modality image"
                    .into(),
            ));
        }
        let c: ImageBundleConfig = serde_json::from_value(value)
            .map_err(|e| invalid(format!("not a medgem-prs imaging model config: {e}")))?;
        if c.format_version != IMAGE_BUNDLE_VERSION {
            return Err(invalid(format!(
                "imaging model format version {} (this build reads version \
                 {IMAGE_BUNDLE_VERSION})",
                c.format_version
            )));
        }
        c.model.validate()?;
        Ok(c)
    }

    /// Per-finding logit offsets that undo the class weighting of training.
    pub fn logit_offsets(&self) -> Vec<f32> {
        bundle::prior_offsets(&self.model, |id| {
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
    pub path: PathBuf,
    pub images: Vec<String>,
    pub findings: Vec<String>,
    /// `images × findings`, row-major; `None` where NA.
    pub labels: Vec<Option<bool>>,
    /// Split per image, when the table has a `split` column.
    pub split: Option<Vec<Option<String>>>,
}

impl LabelTable {
    /// Reads a tab-separated label table; errors name the line and column.
    pub fn read(path: &Path) -> Result<LabelTable, ImagingError> {
        let text = std::fs::read_to_string(path).map_err(|source| ImagingError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let err = |line: usize, message: String| ImagingError::Table {
            path: path.to_path_buf(),
            line,
            message,
        };
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let (_, header) = lines.next().ok_or_else(|| {
            err(
                1,
                "empty file, expected a header 'image <finding>...'".into(),
            )
        })?;
        let columns: Vec<&str> = header.split('\t').map(str::trim).collect();
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
        for (i, line) in lines {
            let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
            if fields.len() != columns.len() {
                return Err(err(
                    i + 1,
                    format!(
                        "{} fields, expected {} (as in the header)",
                        fields.len(),
                        columns.len()
                    ),
                ));
            }
            let image = fields[0].to_string();
            if let Some(first) = seen.insert(image.clone(), i + 1) {
                return Err(err(
                    i + 1,
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
                            i + 1,
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
    pub fn splits(&self, splits_file: Option<&Path>, seed: u64) -> Result<Splits, BundleError> {
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
        bundle::assign_splits(&usable, column, splits_file, seed)
    }
}

/// The image files of a folder, sorted by name: files with an image extension
/// ([`IMAGE_EXTENSIONS`]) or none, leaving out hidden files and `DICOMDIR`.
pub fn list_images(dir: &Path) -> Result<Vec<PathBuf>, ImagingError> {
    let io = |source| ImagingError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if !path.is_file() || name.starts_with('.') || name.eq_ignore_ascii_case("DICOMDIR") {
            continue;
        }
        let wanted = match path.extension() {
            None => true,
            Some(e) => IMAGE_EXTENSIONS.contains(&e.to_string_lossy().to_lowercase().as_str()),
        };
        if wanted {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(ImagingError::Invalid(format!(
            "{}: no image files (expected {} or DICOM files without an extension)",
            dir.display(),
            IMAGE_EXTENSIONS.join(", ")
        )));
    }
    Ok(files)
}

/// Model pixels of every image, `paths.len() × C × S × S`, decoded in parallel. The
/// first failing file (in `paths` order) is the error.
pub fn load_images(
    paths: &[PathBuf],
    spec: &ImageSpec,
    progress: bool,
) -> Result<Vec<u8>, ImagingError> {
    let bar = if progress {
        let bar = ProgressBar::new(paths.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("reading images {bar:30} {pos}/{len} {per_sec}")
                .expect("valid template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let images: Vec<Vec<u8>> = paths
        .par_iter()
        .map(|p| {
            let pixels = prepare::load(p, spec);
            bar.inc(1);
            pixels
        })
        .collect::<Result<_, _>>()?;
    bar.finish_and_clear();
    Ok(images.concat())
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
    pub name: String,
    pub images_dir: PathBuf,
    pub labels: PathBuf,
    pub spec: ImageSpec,
    /// Patch side in pixels (the image side must be a multiple).
    pub patch: usize,
    /// Convolutional stem feature maps (`ModelConfig::stem_features`); 0: none.
    pub stem_features: usize,
    pub model: ModelHyper,
    /// `train.augment` is the augmentation.
    pub train: TrainConfig,
    pub device: DeviceKind,
    pub splits_file: Option<PathBuf>,
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
) -> Result<ModelConfig, ImagingError> {
    if patch == 0 || !spec.size.is_multiple_of(patch) {
        return Err(ImagingError::Invalid(format!(
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
) -> Result<Vec<PathBuf>, ImagingError> {
    rows.iter()
        .map(|&i| {
            let path = dir.join(&table.images[i]);
            if path.is_file() {
                Ok(path)
            } else {
                Err(ImagingError::Invalid(format!(
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
pub fn train_image_bundle(
    request: &ImageTrainRequest,
    out: &Path,
) -> Result<ImageBundleConfig, ImagingError> {
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
    let data_of = |rows: &[usize]| -> Result<ModelData, ImagingError> {
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

    let staging = bundle::staging_dir(out)?;
    let job = bundle::TrainJob {
        model_config: &model_config,
        train: &train_data,
        valid: &valid_data,
        config: &request.train,
        out: staging.path(),
    };
    let summary = run_on(request.device, job).map_err(BundleError::from)??;
    let config = ImageBundleConfig {
        format_version: IMAGE_BUNDLE_VERSION,
        modality: IMAGE_MODALITY.into(),
        name: request.name.clone(),
        tool: format!("medgem-prs {}", env!("CARGO_PKG_VERSION")),
        model: model_config,
        image: request.spec.clone(),
        findings,
        augmentation: request.train.augment.clone(),
        training: bundle::training_info(
            request.images_dir.display().to_string(),
            request.labels.display().to_string(),
            &splits,
            (train_data.n, valid_data.n),
            (&request.train, request.device, &request.data_description),
            &summary,
            start.elapsed().as_secs_f64(),
        ),
        metrics: bundle::metrics(&table.findings, &summary),
    };
    let write = |name: &str, text: String| -> Result<(), ImagingError> {
        let path = staging.path().join(name);
        std::fs::write(&path, text).map_err(|source| ImagingError::Io { path, source })
    };
    write(
        bundle::CONFIG_FILE,
        serde_json::to_string_pretty(&config).expect("serializable") + "\n",
    )?;
    write(bundle::CARD_FILE, model_card(&config))?;
    bundle::finish_staging(staging, out)?;
    Ok(config)
}

/// MODEL_CARD.md of an imaging model.
pub fn model_card(c: &ImageBundleConfig) -> String {
    let t = &c.training;
    let mut s = format!("# Model card: {}\n\n", c.name);
    s.push_str(
        "**Not for clinical use.** A research imaging classifier on the medgem-prs \
         transformer core. It has not been validated on any real images.\n\n",
    );
    s.push_str(&format!(
        "## Input\n\n{}-channel images resized to {}×{} (letterboxed), cut into {}×{} \
         patches; DICOM window: {}.\n\n",
        c.image.channels,
        c.image.size,
        c.image.size,
        c.model.patch,
        c.model.patch,
        match c.image.window {
            Some(w) => format!("centre {} width {}", w.center, w.width),
            None => "the file's own, else the full range".into(),
        }
    ));
    s.push_str(&bundle::training_data_md(t, ("Images", "Labels")));
    s.push_str(&format!(
        "Augmentation: {}\n\n",
        match &c.augmentation {
            Some(a) => serde_json::to_string(a).expect("serializable"),
            None => "none".into(),
        }
    ));
    s.push_str(
        "## Validation AUC (kept epoch)\n\n| finding | prevalence (train) | AUC |\n|---|---|---|\n",
    );
    for (f, (_, auc)) in c.findings.iter().zip(&c.metrics.validation_auc) {
        s.push_str(&format!(
            "| {} | {} | {} |\n",
            f.id,
            f.train_prevalence
                .map_or("NA".into(), |p| format!("{p:.3}")),
            auc.map_or("NA".into(), |a| format!("{a:.3}"))
        ));
    }
    s
}

/// Probabilities `paths.len() × findings` from the model in `dir`.
pub fn predict_images(
    dir: &Path,
    config: &ImageBundleConfig,
    paths: &[PathBuf],
    device: DeviceKind,
    progress: bool,
) -> Result<Vec<f32>, ImagingError> {
    let pixels = load_images(paths, &config.image, progress)?;
    let data = image_data(&config.image, pixels, None);
    Ok(bundle::model_probabilities(
        dir,
        &config.model,
        &config.logit_offsets(),
        &data,
        device,
    )?)
}

/// Patch means of every image, `n × (patches · C)` (patch-major), as model pixel values:
/// the features of the `pixel_ridge` baseline, a linear model on a thumbnail.
pub fn patch_means(data: &ModelData, patch: usize) -> (Vec<f64>, Vec<String>) {
    let [channels, height, width] = data.image_shape;
    let (rows, columns) = (height / patch, width / patch);
    let per = channels * height * width;
    let p = rows * columns * channels;
    let mut values = vec![0.0f64; data.n * p];
    for (i, out) in values.chunks_exact_mut(p.max(1)).enumerate().take(data.n) {
        let image = &data.pixels[i * per..(i + 1) * per];
        for c in 0..channels {
            let plane = &image[c * height * width..(c + 1) * height * width];
            for (y, row) in plane.chunks_exact(width).enumerate() {
                for (x, &v) in row.iter().enumerate() {
                    let tile = (y / patch) * columns + x / patch;
                    out[tile * channels + c] += f64::from(crate::model::pixel_value(v));
                }
            }
        }
        let area = (patch * patch) as f64;
        out.iter_mut().for_each(|v| *v /= area);
    }
    let mut names = Vec::with_capacity(p);
    for r in 0..rows {
        for col in 0..columns {
            for c in 0..channels {
                names.push(format!("patch_{r}_{col}_c{c}"));
            }
        }
    }
    (values, names)
}

/// Everything `evaluate --modality image` compares, for the train, validation and test
/// images of `table`: split as the model was trained (its seed) unless `splits_file` or
/// the table's `split` column says otherwise.
pub fn image_cohort(
    dir: &Path,
    config: &ImageBundleConfig,
    table: &LabelTable,
    images_dir: &Path,
    splits_file: Option<&Path>,
    device: DeviceKind,
    progress: bool,
) -> Result<(crate::eval::EvalCohort, Splits), ImagingError> {
    use crate::eval::logistic::Matrix;
    use crate::eval::{EvalCohort, Outcome, Split};
    let model_findings = config.finding_ids();
    let columns: Vec<usize> = model_findings
        .iter()
        .map(|id| {
            table.findings.iter().position(|f| f == id).ok_or_else(|| {
                ImagingError::Invalid(format!(
                    "{}: no column '{id}' (the model predicts {})",
                    table.path.display(),
                    model_findings.join(", ")
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    let splits = table.splits(splits_file, config.training.seed)?;
    let mut ids = Vec::new();
    let mut split = Vec::new();
    for (names, s) in [
        (&splits.train, Split::Train),
        (&splits.validation, Split::Validation),
        (&splits.test, Split::Test),
    ] {
        ids.extend(names.iter().cloned());
        split.extend(std::iter::repeat_n(s, names.len()));
    }
    let rows = rows_for(table, &ids);
    let paths = image_paths(table, images_dir, &rows)?;
    let pixels = load_images(&paths, &config.image, progress)?;
    let data = image_data(&config.image, pixels, None);
    let n = data.n;
    let probabilities =
        bundle::model_probabilities(dir, &config.model, &config.logit_offsets(), &data, device)?;
    let embedding = bundle::model_embeddings(dir, &config.model, &data, device)?;
    let d = config.model.d_model;
    let (means, names) = patch_means(&data, config.model.patch);
    let n_outcomes = config.model.outcomes.len();
    Ok((
        EvalCohort {
            ids,
            split,
            prs: Matrix::new(n, names.len(), means),
            prs_names: names,
            traits: Vec::new(),
            n_thresholds: config.image.channels,
            covariates: Matrix::new(n, 0, Vec::new()),
            covariate_names: Vec::new(),
            embedding: Matrix::new(n, d, embedding.iter().map(|&v| f64::from(v)).collect()),
            outcomes: model_findings
                .iter()
                .map(|id| Outcome {
                    id: id.to_string(),
                    name: id.to_string(),
                    trained: true,
                    anchors: Vec::new(),
                })
                .collect(),
            labels: columns
                .iter()
                .map(|&k| rows.iter().map(|&i| table.label(i, k)).collect())
                .collect(),
            model: (0..n_outcomes)
                .map(|o| {
                    (0..n)
                        .map(|i| f64::from(probabilities[i * n_outcomes + o]))
                        .collect()
                })
                .collect(),
        },
        splits,
    ))
}
