//! `evaluate`: argument validation and dispatch.

use anyhow::bail;
use indicatif::{ProgressBar, ProgressStyle};

use medgem_prs::eval::cohort::{self, CohortRequest};
use medgem_prs::eval::output::{self, RunInfo};
use medgem_prs::eval::{self, EvalOptions};
use medgem_prs::io;
use medgem_prs::pheno::PhenoTable;

use super::model::{choose_model, device, score_options};
use super::prs::{describe, genotype_options};
use super::EvaluateArgs;

pub fn run(args: EvaluateArgs) -> anyhow::Result<()> {
    let device = device(&args.device)?;
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
    let options = EvalOptions {
        balanced: args.balanced,
        draws: args.draws,
        folds: args.folds,
        seed: args.seed,
    };
    let open_options = genotype_options(&args.genotypes)?;
    let quiet = args.genotypes.quiet;
    let choice = choose_model(args.model.as_deref(), args.panel.as_deref())?;
    let table = PhenoTable::read(&args.phenotypes)?;
    let mut source = io::open(&args.genotypes.genotypes, &open_options)?;
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
    let evaluation = eval::evaluate(&cohort, &options, &progress)?;
    bar.finish_and_clear();
    let info = RunInfo {
        genotypes: args.genotypes.genotypes.display().to_string(),
        model: choice.label.clone(),
        model_name: choice.config.name.clone(),
        phenotypes: args.phenotypes.display().to_string(),
        split_source: splits.source.clone(),
    };
    let written = output::write(&evaluation, &cohort, &info, &args.out)?;
    if !quiet {
        for r in &evaluation.outcomes {
            let reference = output::reference_method(r.outcome.trained);
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
            args.out.display()
        );
    }
    Ok(())
}
