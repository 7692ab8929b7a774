//! `evaluate`: argument validation and dispatch.

use std::path::{Path, PathBuf};

use anyhow::bail;
use indicatif::{ProgressBar, ProgressStyle};

use medgem_prs::eval::cohort::{self, CohortRequest};
use medgem_prs::eval::output::{self, RunInfo};
use medgem_prs::eval::{self, Baselines, EvalCohort, EvalOptions, Evaluation};
use medgem_prs::io;
use medgem_prs::pheno::PhenoTable;

use super::model::{choose_model, device, needed, score_options};
use super::prs::{describe, genotype_options};
use super::{EvaluateArgs, Modality};

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
    })
}

pub fn run(args: EvaluateArgs) -> anyhow::Result<()> {
    let device = device(&args.device)?;
    let options = eval_options(&args)?;
    if args.modality == Modality::Image {
        return super::imaging::evaluate(args, options, device);
    }
    let genotypes = args.genotypes.required()?;
    let phenotypes = needed(&args.phenotypes, "--phenotypes", "genomic")?;
    let open_options = genotype_options(&genotypes)?;
    let quiet = genotypes.quiet;
    let choice = choose_model(args.model.as_deref(), args.panel.as_deref())?;
    let table = PhenoTable::read(phenotypes)?;
    let mut source = io::open(&genotypes.genotypes, &open_options)?;
    if !quiet {
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
        splits_file: args.splits.as_deref(),
        seed: args.seed,
        score: score_options(args.min_overlap, !quiet, None)?,
        device,
    };
    let (cohort, splits) = cohort::build(source.as_mut(), &request)?;
    let info = RunInfo {
        genotypes: genotypes.genotypes.display().to_string(),
        model: choice.label.clone(),
        model_name: choice.config.name.clone(),
        phenotypes: phenotypes.display().to_string(),
        split_source: splits.source.clone(),
    };
    compare(
        &cohort,
        &splits,
        &options,
        Baselines::Genomic,
        &info,
        &args.out,
        quiet,
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
