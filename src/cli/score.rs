//! `score`: the main job. Validates arguments, picks the panel and model (given or built
//! in), and hands the computation to the library (`model_dir`, `encode`, `report`).

use std::path::PathBuf;

use anyhow::{bail, Context};

use medgem_prs::encode::{FillMode, PreparedPanel};
use medgem_prs::io;
use medgem_prs::model_dir::genomic;
use medgem_prs::panel::manifest::{panel_sha256, Manifest};
use medgem_prs::pheno::PhenoTable;
use medgem_prs::report::{self, ModelPart, Reference, Scored};

use super::model::{choose_model, device, score_options};
use super::prs::{describe, genotype_options};
use super::ScoreArgs;

pub fn run(args: ScoreArgs) -> anyhow::Result<()> {
    let open_options = genotype_options(&args.genotypes)?;
    let device = device(&args.device)?;
    let quiet = args.genotypes.quiet;
    let options = score_options(args.min_overlap, !quiet, args.samples.as_deref())?;
    let covariates = match &args.covariates {
        Some(p) => Some(PhenoTable::read(p)?),
        None => None,
    };
    // Linear-only when a panel is given without a model; else a model (given or built in).
    let linear_only = args.panel.is_some() && args.model.is_none();
    let choice = if linear_only {
        None
    } else {
        Some(choose_model(args.model.as_deref(), args.panel.as_deref())?)
    };
    // In model mode `choice` also keeps the unpacked built-in default alive.
    let panel: PathBuf = match (&choice, &args.panel) {
        (Some(c), _) => c.panel.clone(),
        (None, Some(p)) => p.clone(),
        (None, None) => unreachable!("linear-only mode has a panel"),
    };
    let synthetic_default = args.model.is_none() && args.panel.is_none();
    let manifest = Manifest::read(&panel)?;
    let sha = panel_sha256(&panel)?;
    let mut source = io::open(&args.genotypes.genotypes, &open_options)?;
    let format = describe(source.as_ref());
    // Checked before any work: an unknown --show-sample would otherwise fail at the end.
    if let Some(id) = args
        .show_sample
        .iter()
        .find(|id| !source.sample_ids().contains(id))
    {
        bail!(
            "--show-sample {id}: no such sample in {}",
            args.genotypes.genotypes.display()
        );
    }
    if !quiet {
        match &choice {
            Some(c) => eprintln!(
                "medgem-prs: {format}; panel {} ({} traits); model {}",
                manifest.name,
                manifest.traits.len(),
                c.label
            ),
            None => eprintln!(
                "medgem-prs: {format}; panel {} ({} traits); no model: linear scores only",
                manifest.name,
                manifest.traits.len()
            ),
        }
        if synthetic_default {
            eprintln!(
                "medgem-prs: using the built-in default panel and model, trained on SYNTHETIC data (not for clinical use)"
            );
        }
        if choice.is_some() && covariates.is_none() {
            eprintln!("medgem-prs: no --covariates: age, sex and BMI are treated as missing");
        }
    }
    let (scores, reference, model) = match &choice {
        None => {
            let prepared = PreparedPanel::read(&panel, &manifest, FillMode::Uniform)?;
            let scores = prepared.score(source.as_mut(), &options)?;
            if scores.n_samples() == 0 {
                bail!(
                    "{}: no samples to score",
                    args.genotypes.genotypes.display()
                );
            }
            let reference = Reference::of_cohort(&scores)?;
            (scores, reference, None)
        }
        Some(c) => {
            let (scores, inputs) = genomic::scored_inputs(
                source.as_mut(),
                &c.config,
                &panel,
                covariates.as_ref(),
                &options,
            )?;
            let spinner = medgem_prs::util::spinner(!quiet);
            spinner.set_message(format!("predicting {} samples", inputs.ids.len()));
            let probabilities = genomic::predict(&c.model, &c.config, &inputs, device)?;
            spinner.finish_and_clear();
            let scores = scores.to_uniform();
            let stats = &c.config.normalization;
            let reference = if c.config.fill == FillMode::Uniform {
                Reference {
                    source: "model".into(),
                    n_samples: stats.n_samples,
                    mean: stats.mean.clone(),
                    sd: stats.sd.clone(),
                }
            } else {
                Reference {
                    source: "cohort".into(),
                    ..Reference::of_cohort(&scores)?
                }
            };
            let part = ModelPart {
                config: &c.config,
                label: c.label.clone(),
                probabilities,
                images: inputs.images,
                covariates: covariates.is_some(),
            };
            (scores, reference, Some(part))
        }
    };
    if scores.n_samples() == 0 {
        bail!(
            "{}: no samples to score",
            args.genotypes.genotypes.display()
        );
    }
    let scored = Scored {
        genotypes: args.genotypes.genotypes.display().to_string(),
        genotype_format: format,
        manifest: &manifest,
        panel_sha256: sha,
        scores,
        reference,
        model,
        show_samples: args.show_sample.clone(),
        synthetic_default,
    };
    let written = report::write(&scored, &args.out)
        .with_context(|| format!("{}: cannot write the report", args.out.display()))?;
    if !quiet {
        eprintln!(
            "medgem-prs: scored {} samples; wrote {}",
            scored.scores.n_samples(),
            written
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}
