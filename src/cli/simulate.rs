//! `simulate`: arguments, their validation into a request, and dispatch.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;

use medgem_prs::sim::{self, Formats, PanelSettings, SimConfig};

use super::args::{choice, ArchitectureChoice, QuietArg, ThreadsArg};

#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// Number of samples.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub samples: usize,
    /// Number of biallelic SNPs, spread over chromosomes 1-22 in proportion to their length.
    #[arg(long, default_value_t = 20_000, value_name = "M")]
    pub variants: usize,
    /// Number of GWAS traits (named ones first, then synthetic ones per cluster; thousands
    /// are fine).
    #[arg(long, default_value_t = 64, value_name = "T")]
    pub traits: usize,
    /// Random seed: the same seed and options give identical files.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Output directory (must not exist or be empty, unless --force).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Outcome model: `nonlinear` (interactions, the default) or `additive` (none).
    #[arg(
        long,
        default_value = "nonlinear",
        value_name = "KIND",
        value_parser = choice::<ArchitectureChoice>()
    )]
    pub architecture: ArchitectureChoice,
    /// Multiplies every non-linear term of the outcomes (1 = the sizes in the README).
    #[arg(long, default_value_t = 1.0, value_name = "X")]
    pub interaction_strength: f64,
    /// Fractions of the discovery, train, validation and test splits.
    #[arg(long, default_value = "0.4,0.4,0.08,0.12", value_name = "D,T,V,T")]
    pub split_fractions: String,
    /// Founder haplotypes the cohort is a mosaic of.
    #[arg(long, default_value_t = 256, value_name = "K")]
    pub founders: usize,
    /// Causal variants per genetic factor (shared within a cluster).
    #[arg(long, default_value_t = 150, value_name = "N")]
    pub causal_per_factor: usize,
    /// Causal variants of each trait's private genetics.
    #[arg(long, default_value_t = 60, value_name = "N")]
    pub causal_per_trait: usize,
    /// Causal variants of each outcome's private genetics (not seen by any trait).
    #[arg(long, default_value_t = 60, value_name = "N")]
    pub causal_per_outcome: usize,
    /// Genotype formats to write, comma-separated: vcf, bgen, bed.
    #[arg(long, default_value = "vcf,bgen,bed", value_name = "LIST")]
    pub formats: String,
    /// Skip the discovery GWAS and the panel.
    #[arg(long)]
    pub no_panel: bool,
    /// p-value thresholds of the panel's scoring files.
    #[arg(long, default_value = "5e-8,1e-5,1e-3", value_name = "LIST")]
    pub thresholds: String,
    /// Clumping r² threshold of the panel.
    #[arg(long, default_value_t = 0.1, value_name = "R2")]
    pub clump_r2: f64,
    /// Clumping window of the panel, in kb each side.
    #[arg(long, default_value_t = 250.0, value_name = "KB")]
    pub clump_kb: f64,
    /// Discovery samples used as the clumping LD reference.
    #[arg(long, default_value_t = 5_000, value_name = "N")]
    pub ld_samples: usize,
    /// Replace a non-empty output directory.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub threads: ThreadsArg,
    #[command(flatten)]
    pub quiet: QuietArg,
}

/// Parses a comma-separated list of numbers.
fn numbers(option: &str, list: &str) -> anyhow::Result<Vec<f64>> {
    list.split(',')
        .map(|x| {
            x.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .with_context(|| format!("{option}: '{x}' is not a number (expected e.g. {list})"))
        })
        .collect()
}

fn formats(list: &str) -> anyhow::Result<Formats> {
    let mut f = Formats {
        vcf: false,
        bgen: false,
        bed: false,
    };
    for name in list.split(',').map(str::trim) {
        match name {
            "vcf" => f.vcf = true,
            "bgen" => f.bgen = true,
            "bed" | "plink" => f.bed = true,
            "" => {}
            other => bail!("--formats: unknown format '{other}' (expected vcf, bgen, bed)"),
        }
    }
    Ok(f)
}

/// A validated `simulate` run.
pub struct SimulateRequest {
    config: SimConfig,
    out: PathBuf,
    quiet: bool,
}

/// Checks `simulate`'s arguments into the simulator's configuration.
pub fn request(args: SimulateArgs) -> anyhow::Result<SimulateRequest> {
    let fractions = numbers("--split-fractions", &args.split_fractions)?;
    let split_fractions: [f64; 4] = fractions.as_slice().try_into().map_err(|_| {
        anyhow::anyhow!(
            "--split-fractions: expected 4 fractions (discovery,train,validation,test), got {}",
            fractions.len()
        )
    })?;
    let thresholds = numbers("--thresholds", &args.thresholds)?;
    if thresholds.is_empty() || thresholds.iter().any(|&t| t <= 0.0 || t > 1.0) {
        bail!("--thresholds: each p-value threshold must be in (0, 1]");
    }
    if !(args.clump_r2 > 0.0 && args.clump_r2 <= 1.0) {
        bail!("--clump-r2 {}: expected a value in (0, 1]", args.clump_r2);
    }
    if args.clump_kb.is_nan() || args.clump_kb <= 0.0 {
        bail!("--clump-kb {}: expected a positive window", args.clump_kb);
    }
    let haplotypes = sim::haplotypes::HaplotypeModel {
        founders: args.founders,
        ..Default::default()
    };
    let config = SimConfig {
        n_samples: args.samples,
        n_variants: args.variants,
        n_traits: args.traits,
        seed: args.seed,
        architecture: args.architecture.into(),
        strength: args.interaction_strength,
        haplotypes,
        split_fractions,
        causal_per_factor: args.causal_per_factor,
        causal_per_trait: args.causal_per_trait,
        causal_per_outcome: args.causal_per_outcome,
        formats: formats(&args.formats)?,
        panel: (!args.no_panel).then_some(PanelSettings {
            thresholds,
            clump_r2: args.clump_r2,
            clump_kb: args.clump_kb,
            ld_samples: args.ld_samples,
        }),
        progress: !args.quiet.quiet,
        force: args.force,
        ..SimConfig::default()
    };
    config.validate()?;
    Ok(SimulateRequest {
        config,
        out: args.out,
        quiet: args.quiet.quiet,
    })
}

/// Simulates the biobank.
pub fn run(request: SimulateRequest) -> anyhow::Result<()> {
    let SimulateRequest { config, out, quiet } = request;
    let summary = sim::simulate(&config, &out)?;
    if !quiet {
        eprintln!(
            "medgem-prs: simulated {} samples × {} variants in {:.1} s (genotypes {:.1} s, gwas {:.1} s, panel {:.1} s); wrote {}",
            config.n_samples,
            config.n_variants,
            summary.seconds_total,
            summary.seconds_genotypes,
            summary.seconds_gwas,
            summary.seconds_panel,
            summary.out.display()
        );
    }
    Ok(())
}
