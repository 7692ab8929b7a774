//! `train`, `predict` and `encode`: argument validation and dispatch.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use medgem_prs::defaults::{self, Defaults};
use medgem_prs::encode::{self, FillMode};
use medgem_prs::io;
use medgem_prs::model::device::DeviceKind;
use medgem_prs::model_dir::{self, genomic, GenomicModelConfig, ModelHyper, TrainRequest};
use medgem_prs::panel::matching::MatchOptions;
use medgem_prs::pheno::PhenoTable;
use medgem_prs::score::ScoreOptions;
use medgem_prs::train::TrainConfig;

use super::prs::{describe, genotype_options};
use super::{BenchInferenceArgs, BenchModelArgs, EncodeArgs, Modality, PredictArgs, TrainArgs};

pub(super) fn device(name: &str) -> anyhow::Result<DeviceKind> {
    name.parse::<DeviceKind>()
        .map_err(|e| anyhow::anyhow!("--device: {e}"))
}

/// Scoring options of the model commands; `samples`: the `--samples` file, if any.
pub(super) fn score_options(
    min_overlap: f64,
    progress: bool,
    samples: Option<&Path>,
) -> anyhow::Result<ScoreOptions> {
    if !(0.0..=1.0).contains(&min_overlap) {
        bail!("--min-overlap {min_overlap}: expected a fraction between 0 and 1");
    }
    let samples = samples.map(super::prs::read_sample_list).transpose()?;
    Ok(ScoreOptions {
        matching: MatchOptions {
            keep_ambiguous: false,
            keep_multiallelic: false,
            ignore_strand_flips: false,
        },
        min_overlap,
        no_mean_imputation: false,
        freqs: None,
        region: None,
        samples,
        progress,
    })
}

/// `--name`, `--phenotypes` and friends that one modality needs: an error naming the flag.
pub(super) fn needed<'a, T>(
    value: &'a Option<T>,
    flag: &str,
    modality: &str,
) -> anyhow::Result<&'a T> {
    value
        .as_ref()
        .with_context(|| format!("{flag} is required for a {modality} model"))
}

/// Checks shared by the training options of every modality.
pub(super) fn check_train_args(args: &TrainArgs) -> anyhow::Result<()> {
    if args.epochs == 0 || args.batch_size == Some(0) {
        bail!("--epochs and --batch-size must be at least 1");
    }
    if !(args.lr > 0.0 && args.lr.is_finite()) {
        bail!("--lr {}: expected a positive learning rate", args.lr);
    }
    if args.heads == 0 || !args.d_model.is_multiple_of(args.heads) {
        bail!(
            "--d-model {} must be a multiple of --heads {}",
            args.d_model,
            args.heads
        );
    }
    Ok(())
}

/// The transformer size of `train`'s options.
pub(super) fn hyper(args: &TrainArgs) -> ModelHyper {
    ModelHyper {
        d_model: args.d_model,
        n_heads: args.heads,
        n_layers: args.layers,
        d_ff: args.d_ff,
        dropout: args.dropout,
        linear_readout: !args.no_linear_readout,
    }
}

/// The training-loop settings of `train`'s options.
pub(super) fn train_config(args: &TrainArgs) -> TrainConfig {
    TrainConfig {
        epochs: args.epochs,
        batch_size: args.batch_size.unwrap_or(match args.modality {
            Modality::Genomic => 256,
            Modality::Image => 16,
        }),
        lr: args.lr,
        weight_decay: args.weight_decay,
        warmup_fraction: args.warmup,
        patience: args.patience,
        seed: args.seed,
        checkpoint_dir: args.checkpoint_dir.clone(),
        resume: args.resume,
        progress: !args.genotypes.quiet,
        stop_after_epochs: None,
        augment: None,
    }
}

pub fn train(args: TrainArgs) -> anyhow::Result<()> {
    if args.modality == Modality::Image {
        return super::imaging::train(args);
    }
    check_train_args(&args)?;
    let genotypes = args.genotypes.required()?;
    let phenotypes = needed(&args.phenotypes, "--phenotypes", "genomic")?;
    let panel = needed(&args.panel, "--panel", "genomic")?;
    let device = device(&args.device)?;
    let fill: FillMode = args
        .fill
        .parse()
        .map_err(|e| anyhow::anyhow!("--fill: {e}"))?;
    let open_options = genotype_options(&genotypes)?;
    let quiet = genotypes.quiet;
    let table = PhenoTable::read(phenotypes)?;
    let mut source = io::open(&genotypes.genotypes, &open_options)?;
    if !quiet {
        eprintln!(
            "medgem-prs: {}; phenotypes from {}; panel {}",
            describe(source.as_ref()),
            table.path().display(),
            panel.display()
        );
    }
    let request = TrainRequest {
        name: args.name.clone().unwrap_or_else(|| file_name(&args.out)),
        panel_dir: panel.clone(),
        fill,
        model: hyper(&args),
        train: train_config(&args),
        device,
        splits_file: args.splits.clone(),
        score: score_options(args.min_overlap, !quiet, None)?,
        data_description: args
            .data_description
            .clone()
            .unwrap_or_else(|| format!("{}", phenotypes.display())),
        outcomes: medgem_prs::sim::architecture::outcome_definitions(),
    };
    let config = genomic::train_genomic(source.as_mut(), &table, &request, &args.out)?;
    if !quiet {
        report_trained("samples", &config.training, &config.metrics, &args.out);
    }
    Ok(())
}

/// The closing line of `train`, for every modality.
pub(super) fn report_trained(
    what: &str,
    training: &model_dir::TrainingInfo,
    metrics: &model_dir::Metrics,
    out: &Path,
) {
    eprintln!(
        "medgem-prs: trained on {} {what} ({} validation): mean validation AUC {:.3} at epoch {}; wrote {}",
        training.n_train,
        training.n_validation,
        metrics.mean_validation_auc,
        training.best_epoch + 1,
        out.display()
    );
}

pub(super) fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into())
}

/// A model directory and the panel to score with: the ones given, or the embedded default
/// model with its panel (unpacked into a temporary directory kept while this lives).
pub(super) struct ModelChoice {
    pub model: PathBuf,
    pub panel: PathBuf,
    pub config: GenomicModelConfig,
    /// `models/default (built in)` or the directory given.
    pub label: String,
    _defaults: Option<Defaults>,
}

pub(super) fn choose_model(
    model: Option<&Path>,
    panel: Option<&Path>,
) -> anyhow::Result<ModelChoice> {
    let (model, defaults, label) = match model {
        Some(dir) => (dir.to_path_buf(), None, dir.display().to_string()),
        None => {
            let defaults = Defaults::unpack()
                .context("--model: no model given and the built-in default is unavailable")?;
            (
                defaults.model_dir(),
                Some(defaults),
                format!("{} (built in)", defaults::MODEL_DIR),
            )
        }
    };
    let config = GenomicModelConfig::read(&model)?;
    let panel = match (panel, &defaults) {
        (Some(p), _) => p.to_path_buf(),
        (None, Some(d)) => d.panel_dir(),
        (None, None) => bail!(
            "--panel: give the panel the model was trained on ('{}', sha256 {})",
            config.panel.name,
            config.panel.sha256
        ),
    };
    Ok(ModelChoice {
        model,
        panel,
        config,
        label,
        _defaults: defaults,
    })
}

pub fn predict(args: PredictArgs) -> anyhow::Result<()> {
    if args.modality == Modality::Image {
        return super::imaging::predict(args);
    }
    let device = device(&args.device)?;
    let genotypes = args.genotypes.required()?;
    let open_options = genotype_options(&genotypes)?;
    let quiet = genotypes.quiet;
    let choice = choose_model(args.model.as_deref(), args.panel.as_deref())?;
    let (config, panel) = (&choice.config, &choice.panel);
    let covariates = match &args.covariates {
        Some(p) => Some(PhenoTable::read(p)?),
        None => None,
    };
    let mut source = io::open(&genotypes.genotypes, &open_options)?;
    if !quiet {
        eprintln!(
            "medgem-prs: {}; model {} ({} outcomes)",
            describe(source.as_ref()),
            choice.label,
            config.model.outcomes.len()
        );
        if covariates.is_none() {
            eprintln!("medgem-prs: no --covariates: age, sex and BMI are treated as missing");
        }
    }
    let inputs = genomic::model_inputs(
        source.as_mut(),
        config,
        panel,
        covariates.as_ref(),
        &score_options(args.min_overlap, !quiet, args.samples.as_deref())?,
    )?;
    let probs = genomic::predict(&choice.model, config, &inputs, device)?;
    genomic::write_predictions(&args.out, config, &inputs.ids, &probs)?;
    if !quiet {
        eprintln!(
            "medgem-prs: predicted {} samples; wrote {}",
            inputs.ids.len(),
            args.out.display()
        );
    }
    Ok(())
}

pub fn encode(args: EncodeArgs) -> anyhow::Result<()> {
    let open_options = genotype_options(&args.genotypes)?;
    let quiet = args.genotypes.quiet;
    let choice = choose_model(args.model.as_deref(), args.panel.as_deref())?;
    let (config, panel) = (&choice.config, &choice.panel);
    let mut source = io::open(&args.genotypes.genotypes, &open_options)?;
    let inputs = genomic::model_inputs(
        source.as_mut(),
        config,
        panel,
        None,
        &score_options(args.min_overlap, !quiet, args.samples.as_deref())?,
    )?;
    let images = &inputs.images;
    let layout = &images.layout;
    // The table: one column per pixel would be huge; write each tile's mean pixel per
    // channel (the uniform fill's value), named <trait>_c<k>.
    let mut text = String::from("IID");
    for t in &layout.tile_order {
        for c in 0..layout.channels {
            text.push_str(&format!("\t{t}_c{}", c + 1));
        }
    }
    text.push('\n');
    for (i, id) in images.ids.iter().enumerate() {
        text.push_str(id);
        for (tile, _) in layout.tile_order.iter().enumerate() {
            let (y0, x0) = layout.tile_origin(tile);
            for c in 0..layout.channels {
                let mut sum = 0u32;
                for y in y0..y0 + layout.tile {
                    for x in x0..x0 + layout.tile {
                        sum += u32::from(images.pixel(i, c, y, x));
                    }
                }
                let mean = f64::from(sum) / (layout.tile * layout.tile) as f64;
                text.push_str(&format!("\t{mean:.2}"));
            }
        }
        text.push('\n');
    }
    let mut set = medgem_prs::util::OutputSet::new();
    set.write_with(&args.out, |w| std::io::Write::write_all(w, text.as_bytes()))
        .with_context(|| format!("{}: cannot write", args.out.display()))?;
    set.commit()
        .with_context(|| format!("{}: cannot write", args.out.display()))?;
    if let Some(dir) = &args.png {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
        let rows: Vec<usize> = (0..images.len()).collect();
        encode::png::write_sample_pngs(dir, images, &rows, args.upscale)?;
        encode::png::write_average_png(&dir.join("cohort_average.png"), images, args.upscale)?;
    }
    if !quiet {
        eprintln!(
            "medgem-prs: encoded {} samples as {}×{}×{} images ({} fill); wrote {}{}",
            images.len(),
            layout.channels,
            layout.height(),
            layout.width(),
            config.fill.as_str(),
            args.out.display(),
            args.png
                .as_ref()
                .map(|d| format!(" and PNGs in {}", d.display()))
                .unwrap_or_default()
        );
    }
    Ok(())
}

pub fn bench(args: BenchModelArgs) -> anyhow::Result<()> {
    let device = device(&args.device)?;
    if args.traits == 0 || args.samples == 0 || args.epochs == 0 || args.batch_size == 0 {
        bail!("--traits, --samples, --epochs and --batch-size must be at least 1");
    }
    if let Some(n) = args.threads {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    let hyper = ModelHyper {
        d_model: args.d_model,
        n_heads: args.heads,
        n_layers: args.layers,
        d_ff: args.d_ff,
        dropout: 0.1,
        linear_readout: true,
    };
    let train = TrainConfig {
        epochs: args.epochs,
        batch_size: args.batch_size,
        seed: args.seed,
        patience: args.epochs,
        progress: true,
        ..TrainConfig::default()
    };
    let report = model_dir::bench::bench_model(args.traits, args.samples, &hyper, &train, device)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

pub fn bench_inference(args: BenchInferenceArgs) -> anyhow::Result<()> {
    if args.samples == 0 || args.repeats == 0 {
        bail!("--samples and --repeats must be at least 1");
    }
    if let Some(n) = args.threads {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    // Only the model's own normalisation statistics are needed, not its panel.
    let choice = match &args.model {
        Some(dir) => ModelChoice {
            label: dir.display().to_string(),
            panel: PathBuf::new(),
            config: GenomicModelConfig::read(dir)?,
            model: dir.clone(),
            _defaults: None,
        },
        None => choose_model(None, None)?,
    };
    let report = model_dir::bench::bench_inference(
        &choice.model,
        &choice.config,
        args.samples,
        args.repeats,
        args.seed,
    )?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
