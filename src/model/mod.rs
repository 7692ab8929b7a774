//! The risk model: a vision transformer over the genomic image plus tabular covariates, with
//! one query token per outcome (after Med-Gemini-Polygenic, Yang et al. 2024, arXiv
//! 2405.03162).
//!
//! [`encoders`] turn each modality into tokens, [`core`] runs the transformer and reads one
//! logit per outcome, [`device`] picks the burn backend. This module holds the plain input
//! data ([`ModelData`]), weight files and batched inference.

pub mod augment;
pub mod config;
pub mod core;
pub mod cpu;
pub mod device;
pub mod encoders;
pub mod infer;

use std::path::{Path, PathBuf};

use burn::module::{Module, ModuleVisitor, Param};
use burn::record::{FullPrecisionSettings, NamedMpkFileRecorder, Recorder};
use burn::tensor::activation::sigmoid;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use rayon::prelude::*;
use thiserror::Error;

pub use self::config::{ImageKind, ModelConfig, OutcomeQuery, ScanInput, TILE_SIDE};
pub use self::core::{Model, ModelOutput};
pub use self::cpu::CpuModel;
pub use self::device::{run_on, BackendJob, DeviceError, DeviceKind};
pub use self::encoders::{pixel_value, TabularBatch, TokenEncoder};

/// Name of the weight file inside a model directory (the recorder adds `.mpk`).
pub const WEIGHTS_STEM: &str = "model";

/// Errors of model construction, input data and weight files.
#[derive(Debug, Error)]
pub enum ModelError {
    /// A `ModelConfig` that describes no buildable network (zero or non-dividing patch
    /// size, heads that do not divide the width, ...), or a model the CPU engine cannot
    /// run or whose shape differs from its configuration.
    #[error("invalid model config: {0}")]
    Config(String),
    /// A `ModelData` array whose length disagrees with its dimensions.
    #[error("invalid model data: {array} has {len} values, expected {expected}")]
    Length {
        /// Which array (`pixels`, `tabular`, `labels`, ...).
        array: &'static str,
        /// Its length.
        len: usize,
        /// The length its dimensions imply.
        expected: usize,
    },
    /// A covariate marked present that is NaN or infinite.
    #[error("invalid model data: sample {sample} covariate {covariate} is present but not finite")]
    NotFinite {
        /// 0-based sample row.
        sample: usize,
        /// 0-based covariate column.
        covariate: usize,
    },
    /// A label marked present that is not 0 or 1.
    #[error(
        "invalid model data: sample {sample} outcome {outcome} has label {value}, expected 0 or 1"
    )]
    Label {
        /// 0-based sample row.
        sample: usize,
        /// 0-based label column.
        outcome: usize,
        /// The value found.
        value: f32,
    },
    /// Data whose image shapes, covariate or outcome counts differ from the model's.
    #[error("invalid model data: {0}")]
    Mismatch(String),
    /// The backend returned a tensor that could not be read back as `f32` values.
    #[error("invalid model data: {0}")]
    Tensor(String),
    /// A weight file (`model.mpk`) is missing, unreadable or unwritable, holds parameters
    /// whose shapes differ from the configuration's, or would be saved with a
    /// configuration of another outcome count.
    #[error("{}: {message}", path.display())]
    Weights {
        /// The weight file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The requested compute device cannot be used by this build.
    #[error(transparent)]
    Device(#[from] DeviceError),
}

/// A cohort ready for the model: row-major per sample.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelData {
    /// Samples.
    pub n: usize,
    /// `[C, H, W]`: C thresholds, one `TILE_SIDE`² tile per trait.
    pub image_shape: [usize; 3],
    /// `n × C × H × W` pixel intensities (the genomic image).
    pub pixels: Vec<u8>,
    /// Covariates per sample.
    pub n_tabular: usize,
    /// `n × F`, standardised; 0 where missing.
    pub tabular: Vec<f32>,
    /// `n × F`: 1 present, 0 missing.
    pub tabular_present: Vec<f32>,
    /// Trained outcomes (label columns), in the order of `ModelConfig::trained_indices`.
    pub n_outcomes: usize,
    /// `n × O`, 0/1; anything where the label is missing.
    pub labels: Vec<f32>,
    /// `n × O`: 1 labelled, 0 NA.
    pub label_present: Vec<f32>,
    /// `[C, H, W]` of the second image (`ModelConfig::scan`); all zero without one.
    pub scan_shape: [usize; 3],
    /// `n × C × H × W` pixel intensities of the second image; empty without one.
    pub scan_pixels: Vec<u8>,
}

/// Input tensors of one batch.
#[derive(Clone, Debug)]
pub struct ModelInputs<B: Backend> {
    /// `[b, C, H, W]`, values from [`pixel_value`].
    pub images: Tensor<B, 4>,
    /// `[b, C', H', W']` second image, when the model reads one.
    pub scan: Option<Tensor<B, 4>>,
    /// `[b, F]`.
    pub tabular: Tensor<B, 2>,
    /// `[b, F]`.
    pub present: Tensor<B, 2>,
}

/// Training-time augmentation of a batch's medical images (see [`augment`]):
/// which images to perturb and the random stream to do it with.
#[derive(Clone, Copy, Debug)]
pub struct BatchAugment<'a> {
    /// The ranges each image's random transform is drawn from.
    pub augmentation: &'a crate::model::augment::Augmentation,
    /// Augment the first image (an imaging model); never the genomic image.
    pub first: bool,
    /// Augment the scan (a mixed model).
    pub scan: bool,
    /// Seed of the augmentation streams (derived from the training seed); each image's
    /// stream is `(seed, labels, sample index)`.
    pub seed: u64,
    /// Stream labels of the batch (e.g. epoch and batch number).
    pub labels: [u64; 2],
}

/// Tensors for one batch of samples.
#[derive(Clone, Debug)]
pub struct ModelBatch<B: Backend> {
    /// The batch's image, scan and covariate tensors.
    pub inputs: ModelInputs<B>,
    /// `[b, O]`, 0 where not labelled.
    pub labels: Tensor<B, 2>,
    /// `[b, O]`.
    pub label_present: Tensor<B, 2>,
}

impl ModelData {
    fn pixels_per_sample(&self) -> usize {
        self.image_shape.iter().product()
    }

    fn scan_per_sample(&self) -> usize {
        self.scan_shape.iter().product()
    }

    /// The scan's shape, `None` when the data has no second image.
    pub fn scan(&self) -> Option<[usize; 3]> {
        (self.scan_per_sample() > 0).then_some(self.scan_shape)
    }

    /// Checks that every array has the length its dimensions imply (`with_labels`: the label
    /// arrays too), and that values are finite where they are used.
    pub fn validate(&self, with_labels: bool) -> Result<(), ModelError> {
        let check = |name: &'static str, len: usize, expected: usize| {
            if len == expected {
                Ok(())
            } else {
                Err(ModelError::Length {
                    array: name,
                    len,
                    expected,
                })
            }
        };
        check(
            "pixels",
            self.pixels.len(),
            self.n * self.pixels_per_sample(),
        )?;
        check(
            "scan pixels",
            self.scan_pixels.len(),
            self.n * self.scan_per_sample(),
        )?;
        check("tabular", self.tabular.len(), self.n * self.n_tabular)?;
        check(
            "tabular_present",
            self.tabular_present.len(),
            self.n * self.n_tabular,
        )?;
        if let Some(i) = (0..self.tabular.len())
            .find(|&i| self.tabular_present[i] != 0.0 && !self.tabular[i].is_finite())
        {
            return Err(ModelError::NotFinite {
                sample: i / self.n_tabular,
                covariate: i % self.n_tabular,
            });
        }
        if with_labels {
            check("labels", self.labels.len(), self.n * self.n_outcomes)?;
            check(
                "label_present",
                self.label_present.len(),
                self.n * self.n_outcomes,
            )?;
            if let Some(i) = (0..self.labels.len())
                .find(|&i| self.label_present[i] != 0.0 && !matches!(self.labels[i], 0.0 | 1.0))
            {
                return Err(ModelError::Label {
                    sample: i / self.n_outcomes,
                    outcome: i % self.n_outcomes,
                    value: self.labels[i],
                });
            }
        }
        Ok(())
    }

    /// Checks that the data fits a model built from `config`.
    pub fn check_against(&self, config: &ModelConfig, with_labels: bool) -> Result<(), ModelError> {
        self.validate(with_labels)?;
        if self.image_shape != config.image_shape {
            return Err(ModelError::Mismatch(format!(
                "image shape {:?} does not match the model's {:?}",
                self.image_shape, config.image_shape
            )));
        }
        let expected_scan = config.scan.as_ref().map(|s| s.shape);
        if self.scan() != expected_scan {
            return Err(ModelError::Mismatch(format!(
                "second image {:?} does not match the model's {:?}",
                self.scan(),
                expected_scan
            )));
        }
        if self.n_tabular != config.n_tabular {
            return Err(ModelError::Mismatch(format!(
                "{} covariates, the model expects {}",
                self.n_tabular, config.n_tabular
            )));
        }
        let n_trained = config.trained_indices().len();
        if with_labels && self.n_outcomes != n_trained {
            return Err(ModelError::Mismatch(format!(
                "{} label columns, the model trains {} outcomes",
                self.n_outcomes, n_trained
            )));
        }
        Ok(())
    }

    /// Input tensors (images, covariates, presence) for the samples `rows`.
    pub fn inputs<B: Backend>(&self, rows: &[usize], device: &B::Device) -> ModelInputs<B> {
        self.inputs_augmented(rows, device, None)
    }

    /// [`Self::inputs`], with the medical images perturbed by `augment`.
    pub fn inputs_augmented<B: Backend>(
        &self,
        rows: &[usize],
        device: &B::Device,
        augment: Option<&BatchAugment>,
    ) -> ModelInputs<B> {
        let image = |pixels: &[u8], shape: [usize; 3], perturb: bool| -> Tensor<B, 4> {
            let per: usize = shape.iter().product();
            let mut gathered = Vec::with_capacity(rows.len() * per);
            for &r in rows {
                gathered.extend_from_slice(&pixels[r * per..(r + 1) * per]);
            }
            if let Some(a) = augment.filter(|_| perturb) {
                a.augmentation
                    .apply_batch(&mut gathered, shape, a.seed, &a.labels);
            }
            let lookup: [f32; 256] = std::array::from_fn(|p| pixel_value(p as u8));
            let values: Vec<f32> = gathered.iter().map(|&p| lookup[p as usize]).collect();
            let [c, h, w] = shape;
            Tensor::from_data(TensorData::new(values, [rows.len(), c, h, w]), device)
        };
        let images = image(
            &self.pixels,
            self.image_shape,
            augment.is_some_and(|a| a.first),
        );
        let scan = self
            .scan()
            .map(|shape| image(&self.scan_pixels, shape, augment.is_some_and(|a| a.scan)));
        let f = self.n_tabular;
        let gather = |values: &[f32]| -> Vec<f32> {
            rows.iter()
                .flat_map(|&r| values[r * f..(r + 1) * f].iter().copied())
                .collect()
        };
        let tabular = Tensor::from_data(
            TensorData::new(gather(&self.tabular), [rows.len(), f]),
            device,
        );
        let present = Tensor::from_data(
            TensorData::new(gather(&self.tabular_present), [rows.len(), f]),
            device,
        );
        ModelInputs {
            images,
            scan,
            tabular,
            present,
        }
    }

    /// Inputs and labels for the samples `rows`; unlabelled entries hold label 0.
    pub fn batch<B: Backend>(&self, rows: &[usize], device: &B::Device) -> ModelBatch<B> {
        self.batch_augmented(rows, device, None)
    }

    /// [`Self::batch`], with the medical images perturbed by `augment`.
    pub fn batch_augmented<B: Backend>(
        &self,
        rows: &[usize],
        device: &B::Device,
        augment: Option<&BatchAugment>,
    ) -> ModelBatch<B> {
        let inputs = self.inputs_augmented(rows, device, augment);
        let o = self.n_outcomes;
        let mut labels = Vec::with_capacity(rows.len() * o);
        let mut label_present = Vec::with_capacity(rows.len() * o);
        for &r in rows {
            for k in r * o..(r + 1) * o {
                let known = self.label_present[k] != 0.0;
                labels.push(if known { self.labels[k] } else { 0.0 });
                label_present.push(if known { 1.0 } else { 0.0 });
            }
        }
        ModelBatch {
            inputs,
            labels: Tensor::from_data(TensorData::new(labels, [rows.len(), o]), device),
            label_present: Tensor::from_data(
                TensorData::new(label_present, [rows.len(), o]),
                device,
            ),
        }
    }
}

fn recorder() -> NamedMpkFileRecorder<FullPrecisionSettings> {
    NamedMpkFileRecorder::<FullPrecisionSettings>::new()
}

/// Writes the weights of `model` to `dir/model.mpk` at full precision. The caller writes the
/// configuration (`config.json`) beside it; `config` is checked against the model here so a
/// mismatched pair is never written.
pub fn save_model<B: Backend>(
    dir: &Path,
    model: &Model<B>,
    config: &ModelConfig,
) -> Result<PathBuf, ModelError> {
    let path = dir.join(WEIGHTS_STEM).with_extension("mpk");
    if model.n_outcomes() != config.n_outcomes() {
        return Err(ModelError::Weights {
            path,
            message: format!(
                "model has {} outcomes but the config lists {}",
                model.n_outcomes(),
                config.n_outcomes()
            ),
        });
    }
    save_record(&dir.join(WEIGHTS_STEM), model.clone())?;
    Ok(path)
}

/// Writes a module's record to `stem.mpk` through a temporary file, so a failed write never
/// leaves a truncated weight file behind.
pub(crate) fn save_record<B: Backend, M: Module<B>>(
    stem: &Path,
    module: M,
) -> Result<(), ModelError> {
    let final_path = stem.with_extension("mpk");
    let mut temporary = stem.as_os_str().to_owned();
    temporary.push("-partial");
    let temporary = PathBuf::from(temporary);
    let error = |message: String| ModelError::Weights {
        path: final_path.clone(),
        message,
    };
    Recorder::<B>::record(&recorder(), module.into_record(), temporary.clone())
        .map_err(|e| error(format!("cannot write weights: {e}")))?;
    std::fs::rename(temporary.with_extension("mpk"), &final_path)
        .map_err(|e| error(format!("cannot write weights: {e}")))
}

/// Reads `stem.mpk` into `module`, checking that every parameter keeps its shape.
pub(crate) fn load_record<B: Backend, M: Module<B>>(
    stem: &Path,
    module: M,
    device: &B::Device,
) -> Result<M, ModelError> {
    let path = stem.with_extension("mpk");
    let error = |message: String| ModelError::Weights {
        path: path.clone(),
        message,
    };
    if !path.is_file() {
        return Err(error("weight file not found".into()));
    }
    let expected = parameter_shapes(&module);
    let record = Recorder::<B>::load(&recorder(), stem.to_path_buf(), device)
        .map_err(|e| error(format!("cannot read weights: {e}")))?;
    let loaded = module.load_record(record);
    let found = parameter_shapes(&loaded);
    if found != expected {
        return Err(error(
            "weights do not match the model configuration (parameter shapes differ)".into(),
        ));
    }
    Ok(loaded)
}

/// Reads a model saved by [`save_model`] from `dir`. `config` must describe the trained
/// network; its zero-shot (untrained) outcomes may differ from those at training time,
/// which is how new outcomes are queried without retraining.
pub fn load_model<B: Backend>(
    dir: &Path,
    config: &ModelConfig,
    device: &B::Device,
) -> Result<Model<B>, ModelError> {
    let fresh = {
        let _guard = device::backend_rng_guard();
        config.init::<B>(device)?
    };
    load_record(&dir.join(WEIGHTS_STEM), fresh, device)
}

struct ShapeCollector(Vec<Vec<usize>>);

impl<B: Backend> ModuleVisitor<B> for ShapeCollector {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        self.0.push(param.val().dims().to_vec());
    }
}

fn parameter_shapes<B: Backend, M: Module<B>>(module: &M) -> Vec<Vec<usize>> {
    let mut collector = ShapeCollector(Vec::new());
    module.visit(&mut collector);
    collector.0
}

fn check_inputs<B: Backend>(model: &Model<B>, data: &ModelData) -> Result<(), ModelError> {
    data.validate(false)?;
    if data.image_shape != model.image_shape()
        || data.n_tabular != model.n_tabular()
        || data.scan() != model.scan_shape()
    {
        return Err(ModelError::Mismatch(format!(
            "inputs are {:?} images (second image {:?}) with {} covariates, the model reads \
             {:?} (second image {:?}) with {}",
            data.image_shape,
            data.scan(),
            data.n_tabular,
            model.image_shape(),
            model.scan_shape(),
            model.n_tabular()
        )));
    }
    Ok(())
}

/// Runs `f` over batches of `batch_size` samples of `data` in parallel on the rayon pool
/// (on the CPU backend each forward pass is single-threaded, so this is where the cores are
/// used) and concatenates the row-major results.
fn batched<B: Backend, F>(
    model: &Model<B>,
    data: &ModelData,
    batch_size: usize,
    device: &B::Device,
    f: F,
) -> Result<Vec<f32>, ModelError>
where
    Model<B>: Sync,
    F: Fn(&Model<B>, ModelInputs<B>) -> Tensor<B, 2> + Sync,
{
    check_inputs(model, data)?;
    let rows: Vec<usize> = (0..data.n).collect();
    let parts: Vec<Vec<f32>> = rows
        .par_chunks(batch_size.max(1))
        .map(|chunk| {
            f(model, data.inputs::<B>(chunk, device))
                .into_data()
                .to_vec::<f32>()
                .map_err(|e| ModelError::Tensor(format!("cannot read model outputs: {e:?}")))
        })
        .collect::<Result<_, _>>()?;
    Ok(parts.concat())
}

/// Outcome logits `n × n_outcomes` (row-major) for every sample of `data`; labels are
/// ignored.
pub fn predict_logits<B: Backend>(
    model: &Model<B>,
    data: &ModelData,
    batch_size: usize,
    device: &B::Device,
) -> Result<Vec<f32>, ModelError>
where
    Model<B>: Sync,
{
    batched(model, data, batch_size, device, |m, inputs| {
        m.forward_inputs(inputs).logits
    })
}

/// Outcome probabilities `n × n_outcomes` (row-major, sigmoid of the logits).
pub fn predict_probabilities<B: Backend>(
    model: &Model<B>,
    data: &ModelData,
    batch_size: usize,
    device: &B::Device,
) -> Result<Vec<f32>, ModelError>
where
    Model<B>: Sync,
{
    batched(model, data, batch_size, device, |m, inputs| {
        sigmoid(m.forward_inputs(inputs).logits)
    })
}

/// Pooled embeddings `n × d_model` (row-major) for linear probes.
pub fn embed<B: Backend>(
    model: &Model<B>,
    data: &ModelData,
    batch_size: usize,
    device: &B::Device,
) -> Result<Vec<f32>, ModelError>
where
    Model<B>: Sync,
{
    batched(model, data, batch_size, device, |m, inputs| {
        m.forward_inputs(inputs).embedding
    })
}

/// Synthetic cohorts for the tests of this module and of `train`.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::rng::Rng;

    /// Tiny architecture over a 3×16×16 image (a 2×2 grid of trait tiles), 2 covariates.
    pub(crate) fn tiny_config() -> ModelConfig {
        ModelConfig::new(
            [3, 16, 16],
            2,
            vec![
                OutcomeQuery {
                    id: "interaction".into(),
                    anchors: vec![(1, 1.0)],
                    trained: true,
                },
                OutcomeQuery {
                    id: "zero_shot".into(),
                    anchors: vec![(1, 0.5), (3, 0.5)],
                    trained: false,
                },
                OutcomeQuery {
                    id: "additive".into(),
                    anchors: vec![(2, 1.0)],
                    trained: true,
                },
            ],
        )
        .with_d_model(16)
        .with_n_heads(2)
        .with_n_layers(1)
        .with_d_ff(32)
        .with_dropout(0.1)
    }

    /// `n` samples where outcome 0 depends on tile 1's mean intensity, on covariate 0 and on
    /// their product, and outcome 1 on tile 2 alone; covariate 1 is noise and missing for a
    /// tenth of the samples, and a tenth of the labels are NA (stored as NaN).
    pub(crate) fn synthetic(n: usize, seed: u64) -> ModelData {
        let mut rng = Rng::new(seed);
        let (c, side, tile) = (3, 16, 8);
        let mut data = ModelData {
            n,
            image_shape: [c, side, side],
            n_tabular: 2,
            n_outcomes: 2,
            ..ModelData::default()
        };
        for _ in 0..n {
            let scores: Vec<f64> = (0..4).map(|_| rng.normal()).collect();
            let mut image = vec![0u8; c * side * side];
            for ch in 0..c {
                for (t, score) in scores.iter().enumerate() {
                    let level = 128.0 + 35.0 * (score + 0.3 * rng.normal());
                    let (r0, c0) = ((t / 2) * tile, (t % 2) * tile);
                    for y in r0..r0 + tile {
                        for x in c0..c0 + tile {
                            let v = level + 6.0 * rng.normal();
                            image[(ch * side + y) * side + x] = v.clamp(0.0, 255.0) as u8;
                        }
                    }
                }
            }
            data.pixels.extend(image);
            let age = rng.normal();
            let noise = rng.normal();
            let noise_present = !rng.bernoulli(0.1);
            data.tabular.push(age as f32);
            data.tabular
                .push(if noise_present { noise as f32 } else { 0.0 });
            data.tabular_present.push(1.0);
            data.tabular_present
                .push(if noise_present { 1.0 } else { 0.0 });
            let liability_a =
                1.2 * scores[1] + 1.0 * age + 1.5 * scores[1] * age + 0.8 * rng.normal();
            let liability_b = 1.5 * scores[2] + 0.8 * rng.normal();
            for liability in [liability_a, liability_b] {
                let labelled = !rng.bernoulli(0.1);
                data.labels.push(if labelled {
                    (liability > 1.0) as u8 as f32
                } else {
                    f32::NAN
                });
                data.label_present.push(labelled as u8 as f32);
            }
        }
        data
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{synthetic, tiny_config};
    use super::*;
    use crate::model::device::{backend_rng_guard, CpuBackend};

    type B = CpuBackend;

    fn tiny_model(seed: u64) -> Model<B> {
        let device = Default::default();
        let _guard = backend_rng_guard();
        B::seed(&device, seed);
        tiny_config().init::<B>(&device).unwrap()
    }

    #[test]
    fn data_validation_names_the_problem() {
        let good = synthetic(5, 1);
        good.validate(true).unwrap();
        good.check_against(&tiny_config(), true).unwrap();
        let mut d = good.clone();
        d.pixels.pop();
        assert!(d
            .validate(false)
            .unwrap_err()
            .to_string()
            .contains("pixels"));
        let mut d = good.clone();
        d.label_present[3] = 1.0;
        d.labels[3] = 0.5;
        let err = d.validate(true).unwrap_err().to_string();
        assert!(err.contains("sample 1 outcome 1"), "{err}");
        // Labels are not needed for inference.
        d.validate(false).unwrap();
        let mut d = good.clone();
        d.n_tabular = 1;
        d.tabular.truncate(5);
        d.tabular_present.truncate(5);
        assert!(d.check_against(&tiny_config(), false).is_err());
    }

    #[test]
    fn batches_map_pixels_and_clear_missing_labels() {
        let device = Default::default();
        let data = synthetic(4, 2);
        let batch = data.batch::<B>(&[2, 0], &device);
        assert_eq!(batch.inputs.images.dims(), [2, 3, 16, 16]);
        let images = batch.inputs.images.into_data().to_vec::<f32>().unwrap();
        let per = 3 * 16 * 16;
        assert_eq!(images[0], pixel_value(data.pixels[2 * per]));
        assert_eq!(images[per], pixel_value(data.pixels[0]));
        let labels = batch.labels.into_data().to_vec::<f32>().unwrap();
        let present = batch.label_present.into_data().to_vec::<f32>().unwrap();
        let expected_rows = [2usize, 0];
        for (j, &r) in expected_rows.iter().enumerate() {
            for k in 0..2 {
                let known = data.label_present[r * 2 + k] != 0.0;
                assert_eq!(present[j * 2 + k], known as u8 as f32);
                let expected = if known { data.labels[r * 2 + k] } else { 0.0 };
                assert_eq!(labels[j * 2 + k], expected);
            }
        }
    }

    #[test]
    fn predictions_are_probabilities_independent_of_batching() {
        let device = Default::default();
        let model = tiny_model(4);
        let data = synthetic(23, 3);
        let a = predict_probabilities(&model, &data, 5, &device).unwrap();
        let b = predict_probabilities(&model, &data, 100, &device).unwrap();
        assert_eq!(a.len(), 23 * 3);
        assert!(a.iter().all(|&p| p > 0.0 && p < 1.0));
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-5, "{x} {y}");
        }
        let e = embed(&model, &data, 8, &device).unwrap();
        assert_eq!(e.len(), 23 * 16);
        let mut wrong = data.clone();
        wrong.n_tabular = 1;
        wrong.tabular = vec![0.0; 23];
        wrong.tabular_present = vec![1.0; 23];
        assert!(predict_probabilities(&model, &wrong, 5, &device).is_err());
    }

    #[test]
    fn save_load_round_trip_gives_identical_predictions() {
        let device = Default::default();
        let dir = tempfile::tempdir().unwrap();
        let config = tiny_config();
        let model = tiny_model(5);
        let path = save_model(dir.path(), &model, &config).unwrap();
        assert_eq!(path, dir.path().join("model.mpk"));
        let loaded = load_model::<B>(dir.path(), &config, &device).unwrap();
        let data = synthetic(9, 6);
        assert_eq!(
            predict_probabilities(&model, &data, 4, &device).unwrap(),
            predict_probabilities(&loaded, &data, 4, &device).unwrap()
        );
        // A different architecture cannot read these weights.
        let other = config.clone().with_d_model(8);
        let err = load_model::<B>(dir.path(), &other, &device)
            .unwrap_err()
            .to_string();
        assert!(err.contains("model.mpk"), "{err}");
        let empty = tempfile::tempdir().unwrap();
        let err = load_model::<B>(empty.path(), &config, &device)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not found"), "{err}");
    }

    #[test]
    fn loaded_model_answers_new_zero_shot_outcomes() {
        let device = Default::default();
        let dir = tempfile::tempdir().unwrap();
        let config = tiny_config();
        let model = tiny_model(7);
        save_model(dir.path(), &model, &config).unwrap();
        let mut extended = config.clone();
        extended.outcomes.push(OutcomeQuery {
            id: "new".into(),
            anchors: vec![(0, 1.0), (3, -1.0)],
            trained: false,
        });
        let loaded = load_model::<B>(dir.path(), &extended, &device).unwrap();
        let data = synthetic(6, 8);
        let before = predict_probabilities(&model, &data, 6, &device).unwrap();
        let after = predict_probabilities(&loaded, &data, 6, &device).unwrap();
        assert_eq!(after.len(), 6 * 4);
        for i in 0..6 {
            for k in 0..3 {
                assert!((before[i * 3 + k] - after[i * 4 + k]).abs() < 1e-5);
            }
        }
    }

    /// Default-size model (64 traits, 3 covariates, 14 outcomes) for the throughput check.
    fn product_config(n_tiles_side: usize, patch: usize) -> ModelConfig {
        let side = n_tiles_side * TILE_SIDE;
        let n_tiles = (side / patch) * (side / patch);
        let outcomes = (0..14)
            .map(|k| OutcomeQuery {
                id: format!("o{k}"),
                anchors: vec![((5 * k) % n_tiles, 1.0), ((5 * k + 3) % n_tiles, 0.5)],
                trained: k < 8,
            })
            .collect();
        ModelConfig::new([3, side, side], 3, outcomes).with_patch(patch)
    }

    /// Encode + forward throughput on the CPU backend; run with
    /// `cargo test --lib throughput -- --ignored --nocapture` (and `RAYON_NUM_THREADS=2`).
    /// Set `MEDGEM_BENCH=all` to also time architecture variants.
    #[test]
    #[ignore = "benchmark"]
    fn inference_throughput() {
        let n = 8192;
        let mut rng = crate::rng::Rng::new(1);
        let data = ModelData {
            n,
            image_shape: [3, 64, 64],
            pixels: (0..n * 3 * 64 * 64).map(|_| rng.below(256) as u8).collect(),
            n_tabular: 3,
            tabular: (0..n * 3).map(|_| rng.normal() as f32).collect(),
            tabular_present: vec![1.0; n * 3],
            ..ModelData::default()
        };
        let base = product_config(8, TILE_SIDE);
        let mut variants = vec![("default".to_string(), base.clone(), 1024)];
        if std::env::var("MEDGEM_BENCH").as_deref() == Ok("all") {
            variants.extend([
                ("batch 256".to_string(), base.clone(), 256),
                ("batch 128".to_string(), base.clone(), 128),
                ("heads 1".to_string(), base.clone().with_n_heads(1), 1024),
                ("heads 2".to_string(), base.clone().with_n_heads(2), 1024),
                ("layers 1".to_string(), base.clone().with_n_layers(1), 1024),
                ("d_ff 32".to_string(), base.clone().with_d_ff(32), 1024),
                (
                    "d_model 16".to_string(),
                    base.clone().with_d_model(16).with_d_ff(32),
                    1024,
                ),
                (
                    "d_model 64".to_string(),
                    base.clone().with_d_model(64).with_d_ff(128),
                    1024,
                ),
                ("patch 16".to_string(), product_config(8, 16), 1024),
            ]);
        }
        bench::<B>(&data, &variants);
    }

    fn bench<B: Backend>(data: &ModelData, variants: &[(String, ModelConfig, usize)])
    where
        Model<B>: Sync,
    {
        let device = Default::default();
        let n = data.n;
        for (name, config, batch) in variants.iter().cloned() {
            let model = {
                let _guard = backend_rng_guard();
                config.init::<B>(&device).unwrap()
            };
            // Warm-up pass, then the timed one.
            predict_probabilities(&model, data, batch, &device).unwrap();
            let start = std::time::Instant::now();
            let probs = predict_probabilities(&model, data, batch, &device).unwrap();
            let seconds = start.elapsed().as_secs_f64();
            assert_eq!(probs.len(), n * 14);
            eprintln!(
                "{name:>12}: {:>8.0} samples/s ({} threads, batch {batch}, {} params)",
                n as f64 / seconds,
                rayon::current_num_threads(),
                model.num_params()
            );
        }
    }
}
