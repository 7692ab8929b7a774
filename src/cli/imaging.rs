//! `train`, `predict` and `evaluate` with `--modality image`: argument validation and
//! dispatch to `medgem_prs::model_dir::image`.

use std::path::PathBuf;

use anyhow::{bail, Context};

use medgem_prs::eval::output::RunInfo;
use medgem_prs::eval::{Baselines, EvalOptions};
use medgem_prs::imaging::list_images;
use medgem_prs::imaging::{ImageSpec, Window};
use medgem_prs::model::augment::Augmentation;
use medgem_prs::model::device::DeviceKind;
use medgem_prs::model_dir::image::{
    self as images, ImageModelConfig, ImageTrainRequest, LabelTable,
};

use super::model::{
    check_train_args, device, file_name, hyper, needed, report_trained, train_config,
};
use super::{EvaluateArgs, PredictArgs, TrainArgs};

/// `--window C,W`.
fn window(text: &str) -> anyhow::Result<Window> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let parse = |s: &str| s.parse::<f64>().ok().filter(|v| v.is_finite());
    match parts.as_slice() {
        [c, w] => match (parse(c), parse(w)) {
            (Some(center), Some(width)) if width >= 1.0 => Ok(Window { center, width }),
            _ => bail!("--window {text}: expected CENTER,WIDTH with a width of at least 1"),
        },
        _ => bail!("--window {text}: expected CENTER,WIDTH, e.g. 40,400"),
    }
}

/// Arguments a genomic model takes and an image model cannot use.
fn refuse_genomic_inputs(
    genotypes: &Option<PathBuf>,
    others: &[(&str, bool)],
) -> anyhow::Result<()> {
    if let Some(g) = genotypes {
        bail!(
            "{}: --modality image reads --images, not genotypes",
            g.display()
        );
    }
    if let Some((flag, _)) = others.iter().find(|(_, given)| *given) {
        bail!("{flag} is for genomic models, not --modality image");
    }
    Ok(())
}

pub fn train(args: TrainArgs) -> anyhow::Result<()> {
    check_train_args(&args)?;
    refuse_genomic_inputs(
        &args.genotypes.genotypes,
        &[
            ("--phenotypes", args.phenotypes.is_some()),
            ("--panel", args.panel.is_some()),
        ],
    )?;
    let image = &args.image;
    let images_dir = needed(&image.images, "--images", "image")?;
    let labels = needed(&image.labels, "--labels", "image")?;
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
    let quiet = args.genotypes.quiet;
    let mut train = train_config(&args);
    train.augment = (!image.no_augment).then(Augmentation::default);
    let request = ImageTrainRequest {
        name: args.name.clone().unwrap_or_else(|| file_name(&args.out)),
        images_dir: images_dir.clone(),
        labels: labels.clone(),
        spec: ImageSpec {
            size: image.image_size,
            channels: image.channels,
            window: image.window.as_deref().map(window).transpose()?,
        },
        patch: image.patch,
        stem_features: image.stem,
        model: hyper(&args),
        train,
        device: device(&args.device)?,
        splits_file: args.splits.clone(),
        data_description: args
            .data_description
            .clone()
            .unwrap_or_else(|| format!("{}", labels.display())),
    };
    if !quiet {
        eprintln!(
            "medgem-prs: images from {}, labels from {}; {}×{} px, {} patches",
            images_dir.display(),
            labels.display(),
            image.image_size,
            image.image_size,
            (image.image_size / image.patch).pow(2)
        );
    }
    let config = images::train_image(&request, &args.out)?;
    if !quiet {
        report_trained("images", &config.training, &config.metrics, &args.out);
    }
    Ok(())
}

pub fn predict(args: PredictArgs) -> anyhow::Result<()> {
    refuse_genomic_inputs(
        &args.genotypes.genotypes,
        &[
            ("--panel", args.panel.is_some()),
            ("--covariates", args.covariates.is_some()),
            ("--samples", args.samples.is_some()),
        ],
    )?;
    let device = device(&args.device)?;
    let quiet = args.genotypes.quiet;
    let model_dir = needed(&args.model, "--model", "image")?;
    let source = needed(&args.images, "--images", "image")?;
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
    if !quiet {
        eprintln!(
            "medgem-prs: {} images from {}; model {} ({})",
            paths.len(),
            source.display(),
            model_dir.display(),
            config.finding_ids().join(", ")
        );
    }
    let probs = images::predict_images(model_dir, &config, &paths, device, !quiet)?;
    let names: Vec<String> = paths
        .iter()
        .map(|p| {
            p.strip_prefix(source)
                .ok()
                .filter(|r| !r.as_os_str().is_empty())
                .unwrap_or(p)
                .display()
                .to_string()
        })
        .collect();
    medgem_prs::model_dir::write_probability_table(
        &args.out,
        "image",
        &names,
        &config.finding_ids(),
        &probs,
    )?;
    if !quiet {
        eprintln!(
            "medgem-prs: predicted {} images; wrote {}",
            names.len(),
            args.out.display()
        );
    }
    Ok(())
}

pub fn evaluate(
    args: EvaluateArgs,
    options: EvalOptions,
    device: DeviceKind,
) -> anyhow::Result<()> {
    refuse_genomic_inputs(
        &args.genotypes.genotypes,
        &[
            ("--panel", args.panel.is_some()),
            ("--phenotypes", args.phenotypes.is_some()),
        ],
    )?;
    let quiet = args.genotypes.quiet;
    let model_dir = needed(&args.model, "--model", "image")?;
    let images_dir = needed(&args.images, "--images", "image")?;
    let labels = needed(&args.labels, "--labels", "image")?;
    let config = ImageModelConfig::read(model_dir)?;
    let table = LabelTable::read(labels)?;
    let (cohort, splits) = medgem_prs::eval::image::image_cohort(
        model_dir,
        &config,
        &table,
        images_dir,
        args.splits.as_deref(),
        device,
        !quiet,
    )
    .with_context(|| format!("evaluating {}", model_dir.display()))?;
    let info = RunInfo {
        genotypes: images_dir.display().to_string(),
        model: model_dir.display().to_string(),
        model_name: config.name.clone(),
        phenotypes: labels.display().to_string(),
        split_source: splits.source.clone(),
    };
    super::evaluate::compare(
        &cohort,
        &splits,
        &options,
        Baselines::Image,
        &info,
        &args.out,
        quiet,
    )
}
