//! `score`: the main job. Validates arguments, picks the panel and model (given or built
//! in), and hands the computation to the library (`model_dir`, `encode`, `report`).

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;

use medgem_prs::encode::{FillMode, PreparedPanel};
use medgem_prs::io::{self, OpenOptions};
use medgem_prs::model::DeviceKind;
use medgem_prs::model_dir::{genomic, OutcomeDef};
use medgem_prs::panel::manifest::{panel_sha256, Manifest};
use medgem_prs::pheno::PhenoTable;
use medgem_prs::report::{self, ModelPart, Reference, Scored};
use medgem_prs::score::ScoreOptions;

use super::args::{
    CovariatesArg, DeviceArg, GenotypeArgs, MinOverlapArg, ModelArg, PanelArg, QueryArgs,
    SamplesArg,
};
use super::model::{choose_model, score_options};
use super::prs::describe;

#[derive(Args, Debug)]
#[command(
    mut_arg("panel", |a| a.help(
        "Panel directory. Default: the built-in panel, or with --model the copy of its panel \
         inside the model directory (a panel given with --model is checked by sha256). With \
         --panel and no --model: linear scores only"
    )),
    mut_arg("model", |a| a.help(
        "Model directory written by `train` (default: the built-in model, unless --panel is \
         given alone)"
    ))
)]
pub struct ScoreArgs {
    #[command(flatten)]
    pub genotypes: GenotypeArgs,
    #[command(flatten)]
    pub samples: SamplesArg,
    #[command(flatten)]
    pub panel: PanelArg,
    #[command(flatten)]
    pub model: ModelArg,
    #[command(flatten)]
    pub covariates: CovariatesArg,
    #[command(flatten)]
    pub queries: QueryArgs,
    /// Output directory (created; scores.tsv, report.json, report.html are replaced).
    #[arg(long, value_name = "DIR", default_value = "medgem-prs-out")]
    pub out: PathBuf,
    /// Also show this sample's genomic image, scores and risk profile in report.html
    /// (repeatable). (`--sample` is the BGEN .sample file, as in every command.)
    #[arg(long = "show-sample", value_name = "ID")]
    pub show_sample: Vec<String>,
    #[command(flatten)]
    pub device: DeviceArg,
    #[command(flatten)]
    pub min_overlap: MinOverlapArg,
}

/// Which panel and model `score` uses.
enum Models {
    /// `--panel` without `--model`: linear scores only.
    LinearOnly { panel: PathBuf },
    /// A model (given, or the built-in default) and its panel (given, or the default's).
    Model {
        model: Option<PathBuf>,
        panel: Option<PathBuf>,
        queries: Vec<OutcomeDef>,
    },
}

/// A validated `score` run.
pub struct ScoreRequest {
    genotypes: PathBuf,
    open: OpenOptions,
    device: DeviceKind,
    options: ScoreOptions,
    covariates: Option<PathBuf>,
    models: Models,
    out: PathBuf,
    show_sample: Vec<String>,
    quiet: bool,
}

/// Checks `score`'s arguments and reads its `--samples` list.
pub fn request(args: ScoreArgs) -> anyhow::Result<ScoreRequest> {
    let quiet = args.genotypes.options.quiet.quiet;
    let queries = args.queries.read()?;
    let models = match (args.model.model, args.panel.panel) {
        (None, Some(panel)) => {
            if !queries.is_empty() {
                bail!("--outcomes/--query ask a model: give --model with --panel (or neither, for the built-in model)");
            }
            Models::LinearOnly { panel }
        }
        (model, panel) => Models::Model {
            model,
            panel,
            queries,
        },
    };
    Ok(ScoreRequest {
        open: args.genotypes.options.open_options()?,
        device: args.device.kind(),
        options: score_options(args.min_overlap.min_overlap, !quiet, args.samples.read()?),
        genotypes: args.genotypes.genotypes,
        covariates: args.covariates.covariates,
        models,
        out: args.out,
        show_sample: args.show_sample,
        quiet,
    })
}

/// Scores the cohort (and predicts with the model) and writes the report.
pub fn run(request: ScoreRequest) -> anyhow::Result<()> {
    let ScoreRequest {
        genotypes,
        open,
        device,
        options,
        covariates,
        models,
        out,
        show_sample,
        quiet,
    } = request;
    let covariates = match &covariates {
        Some(p) => Some(PhenoTable::read(p)?),
        None => None,
    };
    let (choice, synthetic_default) = match &models {
        Models::LinearOnly { .. } => (None, false),
        Models::Model {
            model,
            panel,
            queries,
        } => (
            Some(choose_model(
                model.as_deref(),
                panel.as_deref(),
                queries,
                quiet,
            )?),
            model.is_none() && panel.is_none(),
        ),
    };
    // In model mode `choice` also keeps the unpacked built-in default alive.
    let panel: PathBuf = match (&choice, &models) {
        (Some(c), _) => c.panel.clone(),
        (None, Models::LinearOnly { panel }) => panel.clone(),
        (None, Models::Model { .. }) => unreachable!("model mode has a model"),
    };
    let manifest = Manifest::read(&panel)?;
    let sha = panel_sha256(&panel)?;
    let mut source = io::open(&genotypes, &open)?;
    let format = describe(source.as_ref());
    // Checked before any work: an unknown --show-sample would otherwise fail at the end.
    if let Some(id) = show_sample
        .iter()
        .find(|id| !source.sample_ids().contains(id))
    {
        bail!(
            "--show-sample {id}: no such sample in {}",
            genotypes.display()
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
                bail!("{}: no samples to score", genotypes.display());
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
                // `score` reads no participant images: a mixed model is refused here,
                // naming predict and evaluate, which take them.
                None,
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
        bail!("{}: no samples to score", genotypes.display());
    }
    let scored = Scored {
        genotypes: genotypes.display().to_string(),
        genotype_format: format,
        manifest: &manifest,
        panel_sha256: sha,
        scores,
        reference,
        model,
        show_samples: show_sample,
        synthetic_default,
    };
    let written = report::write(&scored, &out)
        .with_context(|| format!("{}: cannot write the report", out.display()))?;
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
