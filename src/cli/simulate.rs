//! `simulate`: argument validation and dispatch.

use anyhow::{bail, Context};

use medgem_prs::sim::phenotypes::Architecture;
use medgem_prs::sim::{self, Formats, PanelSettings, SimConfig};

use super::SimulateArgs;

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

pub fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let architecture = match args.architecture.as_str() {
        "nonlinear" => Architecture::Nonlinear,
        "additive" => Architecture::Additive,
        other => bail!("--architecture: '{other}' (expected nonlinear or additive)"),
    };
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
    let threads = match args.threads {
        Some(0) => bail!("--threads must be at least 1"),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global();
    let haplotypes = sim::haplotypes::HaplotypeModel {
        founders: args.founders,
        ..Default::default()
    };
    let config = SimConfig {
        n_samples: args.samples,
        n_variants: args.variants,
        n_traits: args.traits,
        seed: args.seed,
        architecture,
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
        progress: !args.quiet,
        force: args.force,
        ..SimConfig::default()
    };
    config.validate()?;
    let summary = sim::simulate(&config, &args.out)?;
    if !args.quiet {
        eprintln!(
            "medgem-prs: simulated {} samples × {} variants in {:.1} s (genotypes {:.1} s, gwas {:.1} s, panel {:.1} s); wrote {}",
            args.samples,
            args.variants,
            summary.seconds_total,
            summary.seconds_genotypes,
            summary.seconds_gwas,
            summary.seconds_panel,
            summary.out.display()
        );
    }
    Ok(())
}
