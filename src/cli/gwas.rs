//! `gwas`: argument validation and dispatch.

use anyhow::bail;

use medgem_prs::gwas::{self, GwasOptions, TraitType};
use medgem_prs::io;
use medgem_prs::pheno::PhenoTable;

use super::prs::genotype_options;
use super::GwasArgs;

/// Splits `--covar age,sex,bmi` into names, refusing empty ones.
fn covariate_list(list: Option<&str>) -> anyhow::Result<Vec<String>> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    let names: Vec<String> = list.split(',').map(|s| s.trim().to_string()).collect();
    if names.iter().any(|n| n.is_empty()) {
        bail!("--covar: empty column name in '{list}' (expected comma-separated names, e.g. age,sex,bmi)");
    }
    Ok(names)
}

pub fn run(args: GwasArgs) -> anyhow::Result<()> {
    // Validate everything before reading any genotype.
    let covariates = covariate_list(args.covar.as_deref())?;
    let trait_type = match (args.binary, args.quantitative) {
        (true, true) => bail!("--binary and --quantitative cannot be given together"),
        (true, false) => TraitType::Binary,
        (false, true) => TraitType::Quantitative,
        (false, false) => TraitType::Auto,
    };
    let open_options = genotype_options(&args.genotypes)?;
    let table = PhenoTable::read(&args.phenotypes)?;
    let quiet = args.genotypes.quiet;
    let mut source = io::open(&args.genotypes.genotypes, &open_options)?;
    if !quiet {
        eprintln!(
            "medgem-prs: {}; phenotype '{}' from {} ({} rows)",
            super::prs::describe(source.as_ref()),
            args.pheno,
            table.path().display(),
            table.iids().len()
        );
    }
    let options = GwasOptions {
        phenotype: args.pheno.clone(),
        covariates,
        trait_type,
        region: args.region.clone(),
        id_delim: args.id_delim,
        progress: !quiet,
    };
    let s = gwas::run(source.as_mut(), &table, &options, &args.out)?;
    if !quiet {
        let kind = if s.binary {
            format!(
                "logistic ({} cases, {} controls; Firth fallback on {} tests)",
                s.n_cases, s.n_controls, s.n_firth
            )
        } else {
            "linear".to_string()
        };
        eprintln!(
            "medgem-prs: {kind} regression on {} samples: {} tests at {} sites ({} NA); wrote {}",
            s.n_samples,
            s.n_tests,
            s.n_sites,
            s.n_na,
            args.out.display()
        );
    }
    Ok(())
}
