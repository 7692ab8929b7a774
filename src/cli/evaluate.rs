//! `evaluate`: arguments, their validation into a request, and the genomic comparison
//! (`imaging.rs` has the image one; both end in [`compare`]).

use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use medgem_prs::eval::cohort::{self, CohortRequest};
use medgem_prs::eval::output::{self, RunInfo};
use medgem_prs::eval::{self, Baselines, EvalCohort, EvalOptions, Evaluation};
use medgem_prs::io::{self, OpenOptions};
use medgem_prs::model::DeviceKind;
use medgem_prs::pheno::PhenoTable;
use medgem_prs::score::ScoreOptions;

use super::args::{
    modality_conflicts, required, DeviceArg, ImageTableArg, MinOverlapArg, Modality, ModalityArg,
    ModelArg, ModelGenotypeArgs, PanelArg, QueryArgs,
};
use super::imaging::{self, ImageEvaluate};
use super::model::{choose_model, score_options};
use super::prs::describe;

#[derive(Args, Debug)]
#[command(
    mut_args(modality_conflicts(
        &["genotypes", "panel", "phenotypes", "outcomes", "query", "image_table", "oracle_form"],
        &["labels"]
    )),
    mut_arg("model", |a| a.required_if_eq("modality", "image"))
)]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub genotypes: ModelGenotypeArgs,
    #[command(flatten)]
    pub modality: ModalityArg,
    #[command(flatten)]
    pub model: ModelArg,
    #[command(flatten)]
    pub panel: PanelArg,
    #[command(flatten)]
    pub queries: QueryArgs,
    /// Phenotype table: IID, age, sex, bmi (PCs), outcome columns (0/1/NA) and optionally
    /// a `split` column.
    #[arg(
        long,
        value_name = "TSV",
        required_unless_present = "modality",
        required_if_eq("modality", "genomic")
    )]
    pub phenotypes: Option<PathBuf>,
    /// With --modality image: the folder of images named in --labels. With GENOTYPES and
    /// --image-table: the folder of a mixed model's participant images.
    #[arg(long, value_name = "DIR", required_if_eq("modality", "image"))]
    pub images: Option<PathBuf>,
    #[command(flatten)]
    pub image_table: ImageTableArg,
    /// With --modality image: the label table (`image`, findings, optional `split`).
    #[arg(long, value_name = "TSV", required_if_eq("modality", "image"))]
    pub labels: Option<PathBuf>,
    /// Simulated cohorts: simulate's interactions.tsv (the true form of the interaction
    /// terms). Adds `oracle_form`, the ensemble plus exactly those terms built from the
    /// estimated scores, and each outcome's captured fraction (headroom.tsv): how much of
    /// oracle_form's gain over the ensemble the model takes.
    #[arg(long, value_name = "TSV")]
    pub oracle_form: Option<PathBuf>,
    /// `IID split` file (train/validation/test), overriding the table's split column.
    #[arg(long, value_name = "TSV")]
    pub splits: Option<PathBuf>,
    /// Output directory (created if needed; its evaluate files are replaced).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Cases (and controls) per balanced draw, as in the paper; 0 turns the balanced
    /// protocol off. An outcome with fewer test cases uses all of them.
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub balanced: usize,
    /// Seeded balanced draws per outcome.
    #[arg(long, default_value_t = 20, value_name = "R")]
    pub draws: usize,
    /// Cross-validation folds for the ridge penalties.
    #[arg(long, default_value_t = 5, value_name = "K")]
    pub folds: usize,
    /// Seed of the balanced draws, the cross-validation folds and (without a split column)
    /// the random split.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    #[command(flatten)]
    pub device: DeviceArg,
    #[command(flatten)]
    pub min_overlap: MinOverlapArg,
}

/// The comparison settings of `evaluate`'s options, checked.
fn eval_options(args: &EvaluateArgs) -> anyhow::Result<EvalOptions> {
    if args.folds < 2 {
        bail!(
            "--folds {}: cross-validation needs at least 2 folds",
            args.folds
        );
    }
    if args.balanced > 0 && args.draws == 0 {
        bail!("--draws must be at least 1 (or turn the balanced protocol off with --balanced 0)");
    }
    if let Some(s) = &args.splits {
        if !s.exists() {
            bail!("{}: --splits file not found", s.display());
        }
    }
    Ok(EvalOptions {
        balanced: args.balanced,
        draws: args.draws,
        folds: args.folds,
        seed: args.seed,
        oracle_form: match &args.oracle_form {
            Some(path) => Some(medgem_prs::eval::headroom::InteractionForm::read(path)?),
            None => None,
        },
    })
}

/// A validated `evaluate`, of one modality.
// Built once per run: the size of the larger variant costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum EvaluateRequest {
    /// `evaluate GENOTYPES --phenotypes TSV [--model DIR --panel DIR]`.
    Genomic(GenomicEvaluate),
    /// `evaluate --modality image --model DIR --images DIR --labels TSV`.
    Image(ImageEvaluate),
}

/// A validated genomic `evaluate`.
pub struct GenomicEvaluate {
    genotypes: PathBuf,
    open: OpenOptions,
    model: Option<PathBuf>,
    panel: Option<PathBuf>,
    queries: Vec<medgem_prs::model_dir::OutcomeDef>,
    phenotypes: PathBuf,
    /// A mixed model's participant images.
    scans: Option<medgem_prs::model_dir::ParticipantImages>,
    splits: Option<PathBuf>,
    score: ScoreOptions,
    options: EvalOptions,
    device: DeviceKind,
    out: PathBuf,
    quiet: bool,
}

/// Checks `evaluate`'s arguments for the modality asked for.
pub fn request(args: EvaluateArgs) -> anyhow::Result<EvaluateRequest> {
    let options = eval_options(&args)?;
    if args.modality.modality == Modality::Image {
        return imaging::evaluate_request(args, options).map(EvaluateRequest::Image);
    }
    let genotypes = required(args.genotypes.genotypes, "GENOTYPES")?;
    let phenotypes = required(args.phenotypes, "--phenotypes")?;
    let quiet = args.genotypes.options.quiet.quiet;
    Ok(EvaluateRequest::Genomic(GenomicEvaluate {
        open: args.genotypes.options.open_options()?,
        genotypes,
        model: args.model.model,
        panel: args.panel.panel,
        queries: args.queries.read()?,
        phenotypes,
        scans: args.image_table.read(args.images.as_deref())?,
        splits: args.splits,
        score: score_options(args.min_overlap.min_overlap, !quiet, None),
        options,
        device: args.device.kind(),
        out: args.out,
        quiet,
    }))
}

/// Compares a genomic model with the linear baselines on the test split.
pub fn run(e: GenomicEvaluate) -> anyhow::Result<()> {
    let choice = choose_model(e.model.as_deref(), e.panel.as_deref(), &e.queries, e.quiet)?;
    let table = PhenoTable::read(&e.phenotypes)?;
    let mut source = io::open(&e.genotypes, &e.open)?;
    if !e.quiet {
        eprintln!(
            "medgem-prs: {}; model {}; phenotypes from {}",
            describe(source.as_ref()),
            choice.label,
            table.path().display()
        );
    }
    let request = CohortRequest {
        model_dir: &choice.model,
        config: &choice.config,
        panel_dir: &choice.panel,
        table: &table,
        splits_file: e.splits.as_deref(),
        seed: e.options.seed,
        score: e.score,
        device: e.device,
        scans: e.scans.as_ref(),
    };
    let (cohort, splits) = cohort::build(source.as_mut(), &request)?;
    let info = RunInfo {
        genotypes: e.genotypes.display().to_string(),
        model: choice.label.clone(),
        model_name: choice.config.name.clone(),
        phenotypes: e.phenotypes.display().to_string(),
        split_source: splits.source.clone(),
    };
    compare(
        &cohort,
        &splits,
        &e.options,
        Baselines::Genomic,
        &info,
        &e.out,
        e.quiet,
    )
}

/// Fits the baselines, measures everything, writes the outputs and prints the verdicts:
/// the part of `evaluate` every modality shares.
pub(super) fn compare(
    cohort: &EvalCohort,
    splits: &medgem_prs::model_dir::Splits,
    options: &EvalOptions,
    baselines: Baselines,
    info: &RunInfo,
    out: &Path,
    quiet: bool,
) -> anyhow::Result<()> {
    if !quiet {
        eprintln!(
            "medgem-prs: {} ({} train, {} validation, {} test samples); {} outcomes",
            splits.source,
            splits.train.len(),
            splits.validation.len(),
            splits.test.len(),
            cohort.outcomes.len()
        );
    }
    let evaluation = measure(cohort, options, baselines, quiet)?;
    let written = output::write(&evaluation, cohort, info, out)?;
    if !quiet {
        summary(&evaluation, &written, out);
    }
    Ok(())
}

fn measure(
    cohort: &EvalCohort,
    options: &EvalOptions,
    baselines: Baselines,
    quiet: bool,
) -> anyhow::Result<Evaluation> {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(cohort.outcomes.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} outcomes {elapsed_precise} {msg}")
                .expect("valid template"),
        );
        bar
    };
    let progress = |id: &str| {
        // Each call starts an outcome, so the one before it is done.
        if !bar.message().is_empty() {
            bar.inc(1);
        }
        bar.set_message(format!("fitting baselines: {id}"));
    };
    let evaluation = eval::evaluate_with(cohort, options, baselines, &progress)?;
    bar.finish_and_clear();
    Ok(evaluation)
}

fn summary(evaluation: &Evaluation, written: &[PathBuf], out: &Path) {
    for r in &evaluation.outcomes {
        let reference = output::reference_method_for(evaluation.baselines, r.outcome.trained);
        let full = |m| output::row(r, m, eval::Protocol::Full);
        if let (Some(m), Some(b)) = (full(eval::baselines::Method::Model), full(reference)) {
            eprintln!(
                "  {:<22} model AUROC {:.3}  {} {:.3}  p {:.3}  {}",
                r.outcome.id,
                m.auc,
                reference.as_str(),
                b.auc,
                b.p_vs_model.unwrap_or(f64::NAN),
                output::verdict(m, b)
            );
        }
    }
    eprintln!(
        "medgem-prs: wrote {} files into {}",
        written.len(),
        out.display()
    );
}
