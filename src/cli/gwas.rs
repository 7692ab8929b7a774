//! `gwas`: argument validation and dispatch.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use medgem_prs::gwas::{self, GwasOptions, TraitType};
use medgem_prs::io;
use medgem_prs::pheno::PhenoTable;
use medgem_prs::util::with_suffix;

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

/// Reads a `--keep` file: one IID per line, or `FID IID` (whitespace-separated).
fn read_keep(path: &Path) -> anyhow::Result<HashSet<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the --keep file", path.display()))?;
    let mut ids = HashSet::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [] => {}
            [iid] | [_, iid, ..] => {
                if !iid.starts_with('#') && *iid != "IID" {
                    ids.insert(iid.to_string());
                }
            }
        }
    }
    if ids.is_empty() {
        bail!(
            "{}: no sample IDs (expected one IID per line)",
            path.display()
        );
    }
    Ok(ids)
}

/// The samples of `split` in the table's `split` column.
fn split_members(table: &PhenoTable, split: &str) -> anyhow::Result<HashSet<String>> {
    let Some(col) = table.split() else {
        bail!(
            "{}: --split {split} needs a 'split' column (found: {})",
            table.path().display(),
            table.names().join(", ")
        );
    };
    let ids: HashSet<String> = table
        .iids()
        .iter()
        .zip(col)
        .filter(|(_, s)| s.as_deref() == Some(split))
        .map(|(id, _)| id.clone())
        .collect();
    if ids.is_empty() {
        let mut seen: Vec<&str> = col.iter().flatten().map(|s| s.as_str()).collect();
        seen.sort_unstable();
        seen.dedup();
        bail!(
            "{}: no sample is in split '{split}' (splits present: {})",
            table.path().display(),
            seen.join(", ")
        );
    }
    Ok(ids)
}

pub fn run(args: GwasArgs) -> anyhow::Result<()> {
    // Validate everything before reading any genotype.
    let covariates = covariate_list(args.covar.as_deref())?;
    let phenotypes = covariate_list(Some(&args.pheno)).context("--pheno")?;
    let trait_type = match (args.binary, args.quantitative) {
        (true, true) => bail!("--binary and --quantitative cannot be given together"),
        (true, false) => TraitType::Binary,
        (false, true) => TraitType::Quantitative,
        (false, false) => TraitType::Auto,
    };
    let open_options = genotype_options(&args.genotypes)?;
    let table = PhenoTable::read(&args.phenotypes)?;
    let mut keep = match &args.keep {
        Some(path) => Some(read_keep(path)?),
        None => None,
    };
    if let Some(split) = &args.split {
        let members = split_members(&table, split)?;
        keep = Some(match keep {
            Some(k) => k.intersection(&members).cloned().collect(),
            None => members,
        });
    }
    let quiet = args.genotypes.quiet;
    let mut source = io::open(&args.genotypes.genotypes, &open_options)?;
    if !quiet {
        eprintln!(
            "medgem-prs: {}; phenotype {} from {} ({} rows)",
            super::prs::describe(source.as_ref()),
            phenotypes.join(", "),
            table.path().display(),
            table.iids().len()
        );
    }
    let options = GwasOptions {
        phenotype: String::new(),
        covariates,
        trait_type,
        region: args.region.clone(),
        id_delim: args.id_delim,
        keep,
        progress: !quiet,
    };
    if phenotypes.len() > 1 || args.gz {
        let outs: Vec<PathBuf> = if phenotypes.len() == 1 {
            vec![args.out.clone()]
        } else {
            let ext = if args.gz { "tsv.gz" } else { "tsv" };
            phenotypes
                .iter()
                .map(|p| with_suffix(&args.out, &format!(".{p}.{ext}")))
                .collect()
        };
        drop(source);
        let path = args.genotypes.genotypes.clone();
        let mut open = || Ok(io::open(&path, &open_options)?);
        let summaries = gwas::run_many(&mut open, &table, &options, &phenotypes, &outs)?;
        if !quiet {
            for ((p, s), out) in phenotypes.iter().zip(&summaries).zip(&outs) {
                eprintln!(
                    "medgem-prs: {p}: {} regression on {} samples, {} tests ({} NA); wrote {}",
                    if s.binary { "logistic" } else { "linear" },
                    s.n_samples,
                    s.n_tests,
                    s.n_na,
                    out.display()
                );
            }
        }
        return Ok(());
    }
    let options = GwasOptions {
        phenotype: phenotypes[0].clone(),
        ..options
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
