//! `train`, `predict` and `evaluate` with `--modality image`: the image options, their
//! validation into requests, and dispatch to `medgem_prs::model_dir::image`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;

use medgem_prs::eval::output::RunInfo;
use medgem_prs::eval::{Baselines, EvalOptions};
use medgem_prs::imaging::list_images;
use medgem_prs::imaging::{ImageSpec, Window};
use medgem_prs::model::DeviceKind;
use medgem_prs::model_dir::image::{
    self as images, ImageModelConfig, ImageTrainRequest, LabelTable,
};

use super::args::{required, window};
use super::evaluate::EvaluateArgs;
use super::model::{hyper, model_name, report_trained, train_config, PredictArgs, TrainArgs};

/// Options of `train --modality image`, and of the participant images of a mixed genomic +
/// imaging model (GENOTYPES with `--images` and `--image-table`). The preparation options
/// mean nothing without `--images`, so clap refuses them alone.
#[derive(Args, Debug, Clone)]
pub struct ImageTrainArgs {
    /// Folder of images (PNG, JPEG, DICOM): named in --labels (image models) or in
    /// --image-table (mixed models, with GENOTYPES).
    #[arg(long, value_name = "DIR", required_if_eq("modality", "image"))]
    pub images: Option<PathBuf>,
    /// Label table: `image` (file name inside --images), one 0/1/NA column per finding,
    /// optionally `split` (train/validation/test). Image models.
    #[arg(long, value_name = "TSV", required_if_eq("modality", "image"))]
    pub labels: Option<PathBuf>,
    /// Side of the square model input in pixels (images are letterboxed and resized).
    #[arg(long, default_value_t = 64, value_name = "PX", requires = "images")]
    pub image_size: usize,
    /// 1 (grayscale) or 3 (RGB).
    #[arg(long, default_value_t = 1, requires = "images")]
    pub channels: usize,
    /// Patch side in pixels: each patch is one token (--image-size must be a multiple).
    #[arg(long, default_value_t = 16, value_name = "PX", requires = "images")]
    pub patch: usize,
    /// Feature maps of the convolutional stem before the patch projection (3×3 conv, GELU,
    /// 2×2 max-pool); 0 for a plain ViT patch projection.
    #[arg(long, default_value_t = 8, value_name = "N", requires = "images")]
    pub stem: usize,
    /// DICOM VOI window CENTER,WIDTH in modality units (e.g. 40,400 for CT soft tissue),
    /// instead of each file's own window.
    #[arg(long, value_name = "C,W", value_parser = window, requires = "images")]
    pub window: Option<Window>,
    /// Train on the images as they are (default: random flips, small rotations, shifts,
    /// zooms and intensity changes per batch).
    #[arg(long, requires = "images")]
    pub no_augment: bool,
}

/// A validated `train --modality image`.
pub struct ImageTrain {
    request: ImageTrainRequest,
    out: PathBuf,
    quiet: bool,
}

/// The image preparation of `train`'s image options, checked (for image-only and mixed
/// models alike).
pub(super) fn checked_spec(image: &ImageTrainArgs, images_dir: &Path) -> anyhow::Result<ImageSpec> {
    if !matches!(image.channels, 1 | 3) {
        bail!(
            "--channels {}: expected 1 (grayscale) or 3 (RGB)",
            image.channels
        );
    }
    if !(8..=1024).contains(&image.image_size) {
        bail!(
            "--image-size {}: expected 8 to 1024 pixels",
            image.image_size
        );
    }
    if image.stem > 0 && !image.patch.is_multiple_of(2) {
        bail!(
            "--patch {}: a convolutional stem (--stem) needs an even patch size",
            image.patch
        );
    }
    if image.patch == 0 || !image.image_size.is_multiple_of(image.patch) {
        bail!(
            "--image-size {} must be a multiple of --patch {}",
            image.image_size,
            image.patch
        );
    }
    if !images_dir.is_dir() {
        bail!("{}: --images is not a folder", images_dir.display());
    }
    Ok(ImageSpec {
        size: image.image_size,
        channels: image.channels,
        window: image.window,
    })
}

/// Checks the image options of `train` (the shared training options are checked by
/// `model::train_request`).
pub fn train_request(args: TrainArgs) -> anyhow::Result<ImageTrain> {
    let image = &args.image;
    let images_dir = required(image.images.clone(), "--images")?;
    let labels = required(image.labels.clone(), "--labels")?;
    let spec = checked_spec(image, &images_dir)?;
    let train = train_config(&args);
    let request = ImageTrainRequest {
        name: model_name(&args.name, &args.out),
        spec,
        patch: image.patch,
        stem_features: image.stem,
        model: hyper(&args),
        train,
        device: args.device.kind(),
        splits_file: args.splits.clone(),
        data_description: args
            .data_description
            .clone()
            .unwrap_or_else(|| format!("{}", labels.display())),
        images_dir,
        labels,
    };
    Ok(ImageTrain {
        request,
        out: args.out,
        quiet: args.genotypes.options.quiet.quiet,
    })
}

/// Trains an image model.
pub fn train(t: ImageTrain) -> anyhow::Result<()> {
    let r = &t.request;
    if !t.quiet {
        eprintln!(
            "medgem-prs: images from {}, labels from {}; {}×{} px, {} patches",
            r.images_dir.display(),
            r.labels.display(),
            r.spec.size,
            r.spec.size,
            (r.spec.size / r.patch).pow(2)
        );
    }
    let config = images::train_image(r, &t.out)?;
    if !t.quiet {
        report_trained("images", &config.training, &config.metrics, &t.out);
    }
    Ok(())
}

/// A validated `predict --modality image`.
pub struct ImagePredict {
    model: PathBuf,
    images: PathBuf,
    device: DeviceKind,
    out: PathBuf,
    quiet: bool,
}

/// Checks `predict --modality image`.
pub fn predict_request(args: PredictArgs) -> anyhow::Result<ImagePredict> {
    let genomic = [
        ("GENOTYPES", args.genotypes.genotypes.is_some()),
        ("--samples", args.samples.samples.is_some()),
        ("--panel", args.panel.panel.is_some()),
        ("--covariates", args.covariates.covariates.is_some()),
        ("--outcomes", args.queries.outcomes.is_some()),
        ("--query", !args.queries.query.is_empty()),
        ("--image-table", args.image_table.image_table.is_some()),
    ];
    if let Some((given, _)) = genomic.iter().find(|(_, given)| *given) {
        bail!(
            "{given} cannot be used with --modality image: an image model reads --images \
                alone (a mixed genomic + imaging model reads GENOTYPES with --images and \
                --image-table, without --modality image)"
        );
    }
    Ok(ImagePredict {
        model: required(args.model.model, "--model")?,
        images: required(args.images, "--images")?,
        device: args.device.kind(),
        out: args.out,
        quiet: args.genotypes.options.quiet.quiet,
    })
}

/// Predicts the findings of every image of `--images`.
pub fn predict(p: ImagePredict) -> anyhow::Result<()> {
    let (model_dir, source) = (&p.model, &p.images);
    let config = ImageModelConfig::read(model_dir)?;
    let paths = if source.is_dir() {
        list_images(source)?
    } else if source.is_file() {
        vec![source.clone()]
    } else {
        bail!(
            "{}: --images is neither a folder nor a file",
            source.display()
        );
    };
    if !p.quiet {
        eprintln!(
            "medgem-prs: {} images from {}; model {} ({})",
            paths.len(),
            source.display(),
            model_dir.display(),
            config.finding_ids().join(", ")
        );
    }
    let probs = images::predict_images(model_dir, &config, &paths, p.device, !p.quiet)?;
    let names: Vec<String> = paths
        .iter()
        .map(|path| {
            path.strip_prefix(source)
                .ok()
                .filter(|r| !r.as_os_str().is_empty())
                .unwrap_or(path)
                .display()
                .to_string()
        })
        .collect();
    medgem_prs::model_dir::write_probability_table(
        &p.out,
        "image",
        &names,
        &config.finding_ids(),
        &probs,
    )?;
    if !p.quiet {
        eprintln!(
            "medgem-prs: predicted {} images; wrote {}",
            names.len(),
            p.out.display()
        );
    }
    Ok(())
}

/// A validated `evaluate --modality image`.
pub struct ImageEvaluate {
    model: PathBuf,
    images: PathBuf,
    labels: PathBuf,
    splits: Option<PathBuf>,
    options: EvalOptions,
    device: DeviceKind,
    out: PathBuf,
    quiet: bool,
}

/// Checks `evaluate --modality image` (the comparison settings are checked by
/// `evaluate::request`).
pub fn evaluate_request(args: EvaluateArgs, options: EvalOptions) -> anyhow::Result<ImageEvaluate> {
    Ok(ImageEvaluate {
        model: required(args.model.model, "--model")?,
        images: required(args.images, "--images")?,
        labels: required(args.labels, "--labels")?,
        splits: args.splits,
        options,
        device: args.device.kind(),
        out: args.out,
        quiet: args.genotypes.options.quiet.quiet,
    })
}

/// Compares an image model with the image baselines on the test split.
pub fn evaluate(e: ImageEvaluate) -> anyhow::Result<()> {
    let config = ImageModelConfig::read(&e.model)?;
    let table = LabelTable::read(&e.labels)?;
    let (cohort, splits) = medgem_prs::eval::image::image_cohort(
        &e.model,
        &config,
        &table,
        &e.images,
        e.splits.as_deref(),
        e.device,
        !e.quiet,
    )
    .with_context(|| format!("evaluating {}", e.model.display()))?;
    let info = RunInfo {
        genotypes: e.images.display().to_string(),
        model: e.model.display().to_string(),
        model_name: config.name.clone(),
        phenotypes: e.labels.display().to_string(),
        split_source: splits.source.clone(),
    };
    super::evaluate::compare(
        &cohort,
        &splits,
        &e.options,
        Baselines::Image,
        &info,
        &e.out,
        e.quiet,
    )
}
