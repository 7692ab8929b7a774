//! Assembles an [`EvalCohort`] for an imaging model (`evaluate --modality image`): the
//! images of the train, validation and test splits, their labels, the frozen model's
//! probabilities and embeddings, and patch means as the `pixel_ridge` baseline's features.

use std::path::Path;

use super::logistic::Matrix;
use super::{EvalCohort, EvalError, Outcome, Split};
use crate::imaging::load_images;
use crate::model::{infer, pixel_value, DeviceKind, ModelData};
use crate::model_dir::image::{self, ImageModelConfig, LabelTable};
use crate::model_dir::Splits;

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
                    out[tile * channels + c] += f64::from(pixel_value(v));
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
    config: &ImageModelConfig,
    table: &LabelTable,
    images_dir: &Path,
    splits_file: Option<&Path>,
    device: DeviceKind,
    progress: bool,
) -> Result<(EvalCohort, Splits), EvalError> {
    let model_findings = config.finding_ids();
    let columns: Vec<usize> =
        model_findings
            .iter()
            .map(|id| {
                table.findings.iter().position(|f| f == id).ok_or_else(|| {
                    EvalError::MissingOutcome {
                        table: table.path.clone(),
                        message: format!(
                            "no column '{id}' (the model predicts {})",
                            model_findings.join(", ")
                        ),
                    }
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
    let rows = image::rows_for(table, &ids);
    let paths = image::image_paths(table, images_dir, &rows)?;
    let pixels = load_images(&paths, &config.image, progress)?;
    let data = image::image_data(&config.image, pixels, None);
    let n = data.n;
    let probabilities =
        infer::model_probabilities(dir, &config.model, &config.logit_offsets(), &data, device)?;
    let embedding = infer::model_embeddings(dir, &config.model, &data, device)?;
    let d = config.model.d_model;
    let (means, names) = patch_means(&data, config.model.patch);
    let n_outcomes = config.model.outcomes.len();
    Ok((
        EvalCohort {
            ids,
            split,
            features: Matrix::new(n, names.len(), means),
            feature_names: names,
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
