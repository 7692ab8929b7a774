//! `train`, `predict`, `encode`, `bench-model` and `bench-inference`: arguments, their
//! validation into requests, and the genomic runs (`imaging.rs` has the image ones).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;

use medgem_prs::defaults::{self, Defaults};
use medgem_prs::encode;
use medgem_prs::io::{self, OpenOptions};
use medgem_prs::model::augment::Augmentation;
use medgem_prs::model::DeviceKind;
use medgem_prs::model_dir::genomic::QueryAction;
use medgem_prs::model_dir::{
    self, genomic, GenomicModelConfig, ModelHyper, OutcomeDef, ParticipantImages, ScanSpec,
};
use medgem_prs::panel::matching::MatchOptions;
use medgem_prs::pheno::PhenoTable;
use medgem_prs::score::ScoreOptions;
use medgem_prs::train::TrainConfig;

use super::args::{
    choice, modality_conflicts, required, CovariatesArg, DeviceArg, FillChoice, GenotypeArgs,
    ImageTableArg, MinOverlapArg, Modality, ModalityArg, ModelArg, ModelGenotypeArgs, PanelArg,
    QueryArgs, SamplesArg, ThreadsArg,
};
use super::imaging::{self, ImageTrainArgs};
use super::prs::describe;

#[derive(Args, Debug)]
#[command(
    mut_args(modality_conflicts(
        &["genotypes", "phenotypes", "panel", "outcomes", "image_table"],
        &["labels"]
    )),
    mut_arg("panel", |a| a
        .help(
            "Panel directory (manifest.toml and scoring files), e.g. from `panel build`. \
             Genomic models"
        )
        .required_unless_present("modality")
        .required_if_eq("modality", "genomic"))
)]
pub struct TrainArgs {
    #[command(flatten)]
    pub genotypes: ModelGenotypeArgs,
    #[command(flatten)]
    pub modality: ModalityArg,
    /// Phenotype table: IID, age, sex, bmi, optional split and PC columns, outcome columns.
    /// Genomic models.
    #[arg(
        long,
        value_name = "TSV",
        required_unless_present = "modality",
        required_if_eq("modality", "genomic")
    )]
    pub phenotypes: Option<PathBuf>,
    /// Outcome definitions (TOML, one [[outcome]] per outcome: id = its phenotype-table
    /// column, name, trained = true|false, anchors = ["TRAIT", "-TRAIT", "TRAIT:0.5"] by
    /// panel trait id, optional prevalence). Without it every 0/1/NA column that is not a
    /// covariate or the split is trained, without anchors. Genomic models.
    #[arg(long, value_name = "TOML")]
    pub outcomes: Option<PathBuf>,
    #[command(flatten)]
    pub panel: PanelArg,
    #[command(flatten)]
    pub image: ImageTrainArgs,
    #[command(flatten)]
    pub image_table: ImageTableArg,
    /// Model directory to write (must not exist or be empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Model name recorded in config.json (default: the directory name).
    #[arg(long)]
    pub name: Option<String>,
    /// Maximum passes over the training split (default: 30 genomic, 80 image).
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    #[command(flatten)]
    pub device: DeviceArg,
    /// Tile fill: uniform (the paper) or regional (64 genomic segments per tile).
    #[arg(
        long,
        default_value = "uniform",
        ignore_case = true,
        value_parser = choice::<FillChoice>()
    )]
    pub fill: FillChoice,
    /// Samples per optimiser step (default: 256 genomic, 16 image).
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,
    /// Peak learning rate, AdamW (default: 0.001 genomic, 0.003 image).
    #[arg(long, value_name = "LR")]
    pub lr: Option<f64>,
    #[arg(long, default_value_t = 0.01)]
    pub weight_decay: f64,
    /// Fraction of the steps spent warming up before the cosine decay.
    #[arg(long, default_value_t = 0.05)]
    pub warmup: f64,
    /// Stop after this many epochs without a better mean validation AUC (default: 5
    /// genomic, 10 image: the small findings are learnt after long flat stretches).
    #[arg(long, value_name = "N")]
    pub patience: Option<usize>,
    /// Seed of initialisation, shuffling, dropout and a random split: a fixed seed
    /// reproduces the run exactly on the CPU.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// IID split table (train, validation, test), overriding the phenotype table's.
    #[arg(long, value_name = "TSV")]
    pub splits: Option<PathBuf>,
    /// Token width of the transformer.
    #[arg(long, default_value_t = 32)]
    pub d_model: usize,
    #[arg(long, default_value_t = 4)]
    pub heads: usize,
    #[arg(long, default_value_t = 2)]
    pub layers: usize,
    /// Feed-forward width.
    #[arg(long, default_value_t = 64)]
    pub d_ff: usize,
    #[arg(long, default_value_t = 0.1)]
    pub dropout: f64,
    /// Leave out the linear readout (a weighted sum of the tiles and covariates added to
    /// each logit, beside the transformer): the transformer alone, for ablations.
    #[arg(long)]
    pub no_linear_readout: bool,
    /// Write a checkpoint here after every epoch.
    #[arg(long, value_name = "DIR")]
    pub checkpoint_dir: Option<PathBuf>,
    /// Continue from the last checkpoint in --checkpoint-dir.
    #[arg(long, requires = "checkpoint_dir")]
    pub resume: bool,
    #[command(flatten)]
    pub min_overlap: MinOverlapArg,
    /// Description of the training data for the model card.
    #[arg(long)]
    pub data_description: Option<String>,
}

#[derive(Args, Debug)]
#[command(
    mut_arg("model", |a| a.required_if_eq("modality", "image"))
)]
pub struct PredictArgs {
    #[command(flatten)]
    pub genotypes: ModelGenotypeArgs,
    #[command(flatten)]
    pub modality: ModalityArg,
    #[command(flatten)]
    pub samples: SamplesArg,
    #[command(flatten)]
    pub model: ModelArg,
    #[command(flatten)]
    pub panel: PanelArg,
    #[command(flatten)]
    pub covariates: CovariatesArg,
    #[command(flatten)]
    pub queries: QueryArgs,
    /// Output TSV: IID (image models: `image`), then one probability per outcome.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// With --modality image: a folder of images (PNG, JPEG, DICOM; DICOM files may have
    /// no extension), or a single image file. With GENOTYPES and --image-table: the
    /// folder of a mixed model's participant images.
    #[arg(long, value_name = "DIR", required_if_eq("modality", "image"))]
    pub images: Option<PathBuf>,
    #[command(flatten)]
    pub image_table: ImageTableArg,
    #[command(flatten)]
    pub device: DeviceArg,
    #[command(flatten)]
    pub min_overlap: MinOverlapArg,
}

#[derive(Args, Debug)]
pub struct EncodeArgs {
    #[command(flatten)]
    pub genotypes: GenotypeArgs,
    #[command(flatten)]
    pub samples: SamplesArg,
    #[command(flatten)]
    pub model: ModelArg,
    #[command(flatten)]
    pub panel: PanelArg,
    /// Output TSV: IID, then each tile's mean pixel value per channel.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Also write one PNG per sample and cohort_average.png into this directory.
    #[arg(long, value_name = "DIR")]
    pub png: Option<PathBuf>,
    /// Enlarge PNGs by this factor (nearest neighbour).
    #[arg(long, default_value_t = 4)]
    pub upscale: usize,
    #[command(flatten)]
    pub min_overlap: MinOverlapArg,
}

#[derive(Args, Debug)]
pub struct BenchModelArgs {
    /// Traits (tiles) of the synthetic genomic image.
    #[arg(long, default_value_t = 7415)]
    pub traits: usize,
    /// Synthetic training samples (inference is timed on them too).
    #[arg(long, default_value_t = 2048)]
    pub samples: usize,
    #[arg(long, default_value_t = 2)]
    pub epochs: usize,
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    #[command(flatten)]
    pub device: DeviceArg,
    #[arg(long, default_value_t = 32)]
    pub d_model: usize,
    #[arg(long, default_value_t = 2)]
    pub layers: usize,
    #[arg(long, default_value_t = 4)]
    pub heads: usize,
    #[arg(long, default_value_t = 64)]
    pub d_ff: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[command(flatten)]
    pub threads: ThreadsArg,
}

#[derive(Args, Debug)]
#[command(mut_arg("model", |a| a.help("Model directory (default: the embedded default model)")))]
pub struct BenchInferenceArgs {
    #[command(flatten)]
    pub model: ModelArg,
    /// Samples per repeat.
    #[arg(long, default_value_t = 100_000)]
    pub samples: usize,
    /// Timed repeats (best and median are reported).
    #[arg(long, default_value_t = 5)]
    pub repeats: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[command(flatten)]
    pub threads: ThreadsArg,
}

/// Scoring options of the model commands (the default matching rules).
pub(super) fn score_options(
    min_overlap: f64,
    progress: bool,
    samples: Option<Vec<String>>,
) -> ScoreOptions {
    ScoreOptions {
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
    }
}

/// Checks shared by the training options of every modality.
fn check_train_args(args: &TrainArgs) -> anyhow::Result<()> {
    if args.epochs == Some(0) || args.batch_size == Some(0) {
        bail!("--epochs and --batch-size must be at least 1");
    }
    if let Some(lr) = args.lr.filter(|lr| !(*lr > 0.0 && lr.is_finite())) {
        bail!("--lr {lr}: expected a positive learning rate");
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
///
/// Defaults differ by modality. Images: 80 epochs at lr 0.003 with patience 10 and batches of
/// 16, because the small findings (nodule, pneumothorax) are learnt only after 25–50 epochs
/// and long flat stretches; with 30 epochs at 0.001 and patience 5 they stayed near AUC 0.7
/// on 800 phantoms (BENCHMARKS.md, "Imaging defaults").
pub(super) fn train_config(args: &TrainArgs) -> TrainConfig {
    let image = args.modality.modality == Modality::Image;
    let pick = |genomic: usize, for_images: usize| if image { for_images } else { genomic };
    TrainConfig {
        epochs: args.epochs.unwrap_or(pick(30, 80)),
        batch_size: args.batch_size.unwrap_or(pick(256, 16)),
        lr: args.lr.unwrap_or(if image { 3e-3 } else { 1e-3 }),
        weight_decay: args.weight_decay,
        warmup_fraction: args.warmup,
        patience: args.patience.unwrap_or(pick(5, 10)),
        seed: args.seed,
        checkpoint_dir: args.checkpoint_dir.clone(),
        resume: args.resume,
        progress: !args.genotypes.options.quiet.quiet,
        stop_after_epochs: None,
        // Image and mixed models perturb their medical images; the genomic image never is.
        augment: (args.image.images.is_some() && !args.image.no_augment)
            .then(Augmentation::default),
    }
}

/// `--name`, or the output directory's name.
pub(super) fn model_name(name: &Option<String>, out: &Path) -> String {
    name.clone().unwrap_or_else(|| {
        out.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into())
    })
}

/// A validated `train`, of one modality.
// Built once per run: the size of the larger variant costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum TrainRequest {
    /// `train GENOTYPES --phenotypes TSV --panel DIR`.
    Genomic(GenomicTrain),
    /// `train --modality image --images DIR --labels TSV`.
    Image(imaging::ImageTrain),
}

/// A validated genomic `train`.
pub struct GenomicTrain {
    genotypes: PathBuf,
    open: OpenOptions,
    phenotypes: PathBuf,
    /// `--outcomes`, read; `None`: the table's 0/1 columns.
    outcomes: Option<Vec<OutcomeDef>>,
    request: model_dir::TrainRequest,
    out: PathBuf,
    quiet: bool,
}

/// Checks `train`'s arguments for the modality asked for.
pub fn train_request(args: TrainArgs) -> anyhow::Result<TrainRequest> {
    check_train_args(&args)?;
    match args.modality.modality {
        Modality::Genomic => genomic_train_request(args).map(TrainRequest::Genomic),
        Modality::Image => imaging::train_request(args).map(TrainRequest::Image),
    }
}

/// The participant images of a mixed genomic + imaging `train` (GENOTYPES with `--images`
/// and `--image-table`), checked; `None` without `--images`.
fn scan_request(args: &TrainArgs) -> anyhow::Result<Option<genomic::ScanRequest>> {
    let image = &args.image;
    let Some(images) = args.image_table.read(image.images.as_deref())? else {
        return Ok(None);
    };
    let spec = imaging::checked_spec(image, &images.dir)?;
    Ok(Some(genomic::ScanRequest {
        spec: ScanSpec {
            image: spec,
            patch: image.patch,
            stem_features: image.stem,
        },
        images,
    }))
}

fn genomic_train_request(args: TrainArgs) -> anyhow::Result<GenomicTrain> {
    let genotypes = required(args.genotypes.genotypes.clone(), "GENOTYPES")?;
    let phenotypes = required(args.phenotypes.clone(), "--phenotypes")?;
    let panel = required(args.panel.panel.clone(), "--panel")?;
    let quiet = args.genotypes.options.quiet.quiet;
    let request = model_dir::TrainRequest {
        name: model_name(&args.name, &args.out),
        panel_dir: panel,
        fill: args.fill.into(),
        model: hyper(&args),
        train: train_config(&args),
        device: args.device.kind(),
        splits_file: args.splits.clone(),
        score: score_options(args.min_overlap.min_overlap, !quiet, None),
        data_description: args
            .data_description
            .clone()
            .unwrap_or_else(|| format!("{}", phenotypes.display())),
        outcomes: Vec::new(),
        scans: scan_request(&args)?,
    };
    let outcomes = match &args.outcomes {
        Some(path) => Some(model_dir::outcomes::read_file(path)?),
        None => None,
    };
    Ok(GenomicTrain {
        outcomes,
        open: args.genotypes.options.open_options()?,
        genotypes,
        phenotypes,
        request,
        out: args.out,
        quiet,
    })
}

/// Trains a genomic model.
pub fn train(mut t: GenomicTrain) -> anyhow::Result<()> {
    let table = PhenoTable::read(&t.phenotypes)?;
    t.request.outcomes = match t.outcomes.take() {
        Some(defs) => defs,
        None => {
            let defs = model_dir::outcomes::from_table(&table);
            if !t.quiet && !defs.is_empty() {
                eprintln!(
                    "medgem-prs: no --outcomes: training the 0/1 columns of {} that are not \
                     covariates or the split, without anchors: {} (zero-shot queries need \
                     anchors: give --outcomes)",
                    table.path().display(),
                    defs.iter()
                        .map(|d| d.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            defs
        }
    };
    let mut source = io::open(&t.genotypes, &t.open)?;
    if !t.quiet {
        eprintln!(
            "medgem-prs: {}; phenotypes from {}; panel {}",
            describe(source.as_ref()),
            table.path().display(),
            t.request.panel_dir.display()
        );
    }
    let config = genomic::train_genomic(source.as_mut(), &table, &t.request, &t.out)?;
    if !t.quiet {
        report_trained("samples", &config.training, &config.metrics, &t.out);
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
    queries: &[OutcomeDef],
    quiet: bool,
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
    let mut config = GenomicModelConfig::read(&model)?;
    let own = model.join(genomic::PANEL_SUBDIR);
    // The built-in default carries its panel like any model directory.
    let panel = match panel {
        Some(p) => p.to_path_buf(),
        None if own
            .join(medgem_prs::panel::manifest::MANIFEST_FILE)
            .is_file() =>
        {
            own
        }
        None => bail!(
            "--panel: {} has no copy of its panel (a model written before medgem-prs 0.2 \
             carried none); give the panel it was trained on ('{}', sha256 {})",
            model.display(),
            config.panel.name,
            config.panel.sha256
        ),
    };
    if !queries.is_empty() {
        let actions = config.add_queries(queries)?;
        if !quiet {
            report_queries(&actions);
        }
        if !config.has_anchored_training() {
            eprintln!(
                "medgem-prs: warning: {} was trained without anchors (no --outcomes at \
                 training), so the query map zero-shot outcomes go through never learned; \
                 treat their probabilities as untested",
                label
            );
        }
    }
    if !quiet {
        let uncalibrated = config.uncalibrated();
        if !uncalibrated.is_empty() {
            eprintln!(
                "medgem-prs: zero-shot outcomes without a prevalence have uncalibrated \
                 probabilities (rank them; give `prevalence` in --outcomes to calibrate): {}",
                uncalibrated.join(", ")
            );
        }
    }
    Ok(ModelChoice {
        model,
        panel,
        config,
        label,
        _defaults: defaults,
    })
}

/// One line per kind of change the queries made to the model's outcomes.
fn report_queries(actions: &[QueryAction]) {
    let mut kinds: [(&str, Vec<&str>); 4] = [
        ("added as zero-shot queries", Vec::new()),
        (
            "not trained in this model, so added as zero-shot queries",
            Vec::new(),
        ),
        ("re-anchored zero-shot queries", Vec::new()),
        ("trained outcomes, as in the model", Vec::new()),
    ];
    for a in actions {
        let (k, id) = match a {
            QueryAction::Added(id) => (0, id),
            QueryAction::AddedUntrained(id) => (1, id),
            QueryAction::Replaced(id) => (2, id),
            QueryAction::Same(id) => (3, id),
        };
        kinds[k].1.push(id);
    }
    for (what, ids) in kinds.iter().filter(|(_, ids)| !ids.is_empty()) {
        eprintln!("medgem-prs: outcomes {what}: {}", ids.join(", "));
    }
}

/// A validated `predict`, of one modality.
// Built once per run: the size of the larger variant costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum PredictRequest {
    /// `predict GENOTYPES [--model DIR --panel DIR] [--covariates TSV]`.
    Genomic(GenomicPredict),
    /// `predict --modality image --model DIR --images DIR`.
    Image(imaging::ImagePredict),
}

/// A validated genomic `predict`.
pub struct GenomicPredict {
    genotypes: PathBuf,
    open: OpenOptions,
    model: Option<PathBuf>,
    panel: Option<PathBuf>,
    queries: Vec<OutcomeDef>,
    covariates: Option<PathBuf>,
    /// A mixed model's participant images.
    scans: Option<ParticipantImages>,
    options: ScoreOptions,
    device: DeviceKind,
    out: PathBuf,
    quiet: bool,
}

/// Checks `predict`'s arguments for the modality asked for (and reads `--samples`).
pub fn predict_request(args: PredictArgs) -> anyhow::Result<PredictRequest> {
    if args.modality.modality == Modality::Image {
        return imaging::predict_request(args).map(PredictRequest::Image);
    }
    let genotypes = required(args.genotypes.genotypes, "GENOTYPES")?;
    let quiet = args.genotypes.options.quiet.quiet;
    Ok(PredictRequest::Genomic(GenomicPredict {
        genotypes,
        open: args.genotypes.options.open_options()?,
        options: score_options(args.min_overlap.min_overlap, !quiet, args.samples.read()?),
        model: args.model.model,
        panel: args.panel.panel,
        queries: args.queries.read()?,
        covariates: args.covariates.covariates,
        scans: args.image_table.read(args.images.as_deref())?,
        device: args.device.kind(),
        out: args.out,
        quiet,
    }))
}

/// Predicts with a genomic model.
pub fn predict(p: GenomicPredict) -> anyhow::Result<()> {
    let choice = choose_model(p.model.as_deref(), p.panel.as_deref(), &p.queries, p.quiet)?;
    let (config, panel) = (&choice.config, &choice.panel);
    let covariates = match &p.covariates {
        Some(path) => Some(PhenoTable::read(path)?),
        None => None,
    };
    let mut source = io::open(&p.genotypes, &p.open)?;
    if !p.quiet {
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
        p.scans.as_ref(),
        &p.options,
    )?;
    let probs = genomic::predict(&choice.model, config, &inputs, p.device)?;
    genomic::write_predictions(&p.out, config, &inputs.ids, &probs)?;
    if !p.quiet {
        eprintln!(
            "medgem-prs: predicted {} samples; wrote {}",
            inputs.ids.len(),
            p.out.display()
        );
    }
    Ok(())
}

/// A validated `encode`.
pub struct EncodeRequest {
    genotypes: PathBuf,
    open: OpenOptions,
    model: Option<PathBuf>,
    panel: Option<PathBuf>,
    options: ScoreOptions,
    out: PathBuf,
    png: Option<PathBuf>,
    upscale: usize,
    quiet: bool,
}

/// Checks `encode`'s arguments and reads `--samples`.
pub fn encode_request(args: EncodeArgs) -> anyhow::Result<EncodeRequest> {
    let quiet = args.genotypes.options.quiet.quiet;
    Ok(EncodeRequest {
        open: args.genotypes.options.open_options()?,
        options: score_options(args.min_overlap.min_overlap, !quiet, args.samples.read()?),
        genotypes: args.genotypes.genotypes,
        model: args.model.model,
        panel: args.panel.panel,
        out: args.out,
        png: args.png,
        upscale: args.upscale,
        quiet,
    })
}

/// Writes the genomic images of the cohort: the tile table, and PNGs with `--png`.
pub fn encode(e: EncodeRequest) -> anyhow::Result<()> {
    let choice = choose_model(e.model.as_deref(), e.panel.as_deref(), &[], true)?;
    let (config, panel) = (&choice.config, &choice.panel);
    let mut source = io::open(&e.genotypes, &e.open)?;
    // The genomic image alone: a mixed model's participant images are not encoded.
    let genomic_only = GenomicModelConfig {
        scan: None,
        ..config.clone()
    };
    let inputs = genomic::model_inputs(
        source.as_mut(),
        &genomic_only,
        panel,
        None,
        None,
        &e.options,
    )?;
    let images = &inputs.images;
    let layout = &images.layout;
    encode::image::write_tile_table(&e.out, images)?;
    if let Some(dir) = &e.png {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
        let rows: Vec<usize> = (0..images.len()).collect();
        encode::png::write_sample_pngs(dir, images, &rows, e.upscale)?;
        encode::png::write_average_png(&dir.join("cohort_average.png"), images, e.upscale)?;
    }
    if !e.quiet {
        eprintln!(
            "medgem-prs: encoded {} samples as {}×{}×{} images ({} fill); wrote {}{}",
            images.len(),
            layout.channels,
            layout.height(),
            layout.width(),
            config.fill.as_str(),
            e.out.display(),
            e.png
                .as_ref()
                .map(|d| format!(" and PNGs in {}", d.display()))
                .unwrap_or_default()
        );
    }
    Ok(())
}

/// A validated `bench-model`.
pub struct BenchModelRequest {
    traits: usize,
    samples: usize,
    hyper: ModelHyper,
    train: TrainConfig,
    device: DeviceKind,
}

/// Checks `bench-model`'s arguments.
pub fn bench_request(args: BenchModelArgs) -> anyhow::Result<BenchModelRequest> {
    if args.traits == 0 || args.samples == 0 || args.epochs == 0 || args.batch_size == 0 {
        bail!("--traits, --samples, --epochs and --batch-size must be at least 1");
    }
    Ok(BenchModelRequest {
        traits: args.traits,
        samples: args.samples,
        hyper: ModelHyper {
            d_model: args.d_model,
            n_heads: args.heads,
            n_layers: args.layers,
            d_ff: args.d_ff,
            dropout: 0.1,
            linear_readout: true,
        },
        train: TrainConfig {
            epochs: args.epochs,
            batch_size: args.batch_size,
            seed: args.seed,
            patience: args.epochs,
            progress: true,
            ..TrainConfig::default()
        },
        device: args.device.kind(),
    })
}

/// Times training and inference on synthetic genomic images; prints JSON.
pub fn bench(b: BenchModelRequest) -> anyhow::Result<()> {
    let report = model_dir::bench::bench_model(b.traits, b.samples, &b.hyper, &b.train, b.device)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

/// A validated `bench-inference`.
pub struct BenchInferenceRequest {
    model: Option<PathBuf>,
    samples: usize,
    repeats: usize,
    seed: u64,
}

/// Checks `bench-inference`'s arguments.
pub fn bench_inference_request(args: BenchInferenceArgs) -> anyhow::Result<BenchInferenceRequest> {
    if args.samples == 0 || args.repeats == 0 {
        bail!("--samples and --repeats must be at least 1");
    }
    Ok(BenchInferenceRequest {
        model: args.model.model,
        samples: args.samples,
        repeats: args.repeats,
        seed: args.seed,
    })
}

/// Times CPU inference of a trained model; prints JSON.
pub fn bench_inference(b: BenchInferenceRequest) -> anyhow::Result<()> {
    // Only the model's own normalisation statistics are needed, not its panel.
    let choice = match &b.model {
        Some(dir) => ModelChoice {
            label: dir.display().to_string(),
            panel: PathBuf::new(),
            config: GenomicModelConfig::read(dir)?,
            model: dir.clone(),
            _defaults: None,
        },
        None => choose_model(None, None, &[], true)?,
    };
    let report = model_dir::bench::bench_inference(
        &choice.model,
        &choice.config,
        b.samples,
        b.repeats,
        b.seed,
    )?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
