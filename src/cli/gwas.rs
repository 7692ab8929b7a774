//! `gwas`: arguments, their validation into a request, and dispatch.

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;

use medgem_prs::genome::Region;
use medgem_prs::gwas::{self, GwasOptions, TraitType};
use medgem_prs::io::{self, OpenOptions};
use medgem_prs::pheno::PhenoTable;
use medgem_prs::util::with_suffix;

use super::args::{sample_ids, GenotypeArgs};

#[derive(Args, Debug)]
pub struct GwasArgs {
    #[command(flatten)]
    pub genotypes: GenotypeArgs,
    /// Phenotype table (TSV with an IID column).
    #[arg(long, value_name = "TSV")]
    pub phenotypes: PathBuf,
    /// Phenotype column to test, or several, comma-separated: quantitative phenotypes
    /// sharing their samples are then tested together in one pass over the genotypes.
    #[arg(long, value_name = "NAME[,NAME...]")]
    pub pheno: String,
    /// Covariate columns, comma-separated (e.g. age,sex,bmi,PC1,PC2).
    #[arg(long, value_name = "LIST")]
    pub covar: Option<String>,
    /// Output table; with several phenotypes, a prefix: PREFIX.<pheno>.tsv each.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// gzip the output tables (several phenotypes: PREFIX.<pheno>.tsv.gz; one phenotype:
    /// compress FILE).
    #[arg(long)]
    pub gz: bool,
    /// Only analyse these samples: a file with one IID per line, or FID IID per line (the
    /// second column is the IID, as in plink2 --keep).
    #[arg(long, value_name = "FILE")]
    pub keep: Option<PathBuf>,
    /// Only analyse the samples of this split (the phenotype table's `split` column), e.g.
    /// `--split discovery` on a `simulate` cohort.
    #[arg(long, value_name = "NAME")]
    pub split: Option<String>,
    /// Treat the phenotype as binary (0/1) even if detection would not (default: binary
    /// when every value is 0, 1 or NA).
    #[arg(long, conflicts_with = "quantitative")]
    pub binary: bool,
    /// Treat the phenotype as quantitative, even if it holds only 0 and 1.
    #[arg(long)]
    pub quantitative: bool,
    /// Only test variants in CHR or CHR:START-END (1-based, inclusive); uses the
    /// .tbi/.csi/.bgi index when there is one.
    #[arg(long, value_name = "REGION")]
    pub region: Option<Region>,
    /// Genotype sample IDs are FID<CHAR>IID (e.g. `_` for plink2-exported VCFs): match the
    /// part after the first CHAR to the table's IID.
    #[arg(long, value_name = "CHAR")]
    pub id_delim: Option<char>,
}

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

/// A validated `gwas` run.
pub struct GwasRequest {
    genotypes: PathBuf,
    open: OpenOptions,
    phenotype_table: PathBuf,
    /// The `--pheno` columns.
    phenotypes: Vec<String>,
    /// `phenotype` is left empty: set per phenotype.
    options: GwasOptions,
    split: Option<String>,
    out: PathBuf,
    gz: bool,
    quiet: bool,
}

/// Checks `gwas`'s arguments and reads its `--keep` list.
pub fn request(args: GwasArgs) -> anyhow::Result<GwasRequest> {
    let covariates = covariate_list(args.covar.as_deref())?;
    let phenotypes = covariate_list(Some(&args.pheno)).context("--pheno")?;
    // clap refuses --binary with --quantitative.
    let trait_type = match (args.binary, args.quantitative) {
        (true, _) => TraitType::Binary,
        (false, true) => TraitType::Quantitative,
        (false, false) => TraitType::Auto,
    };
    let open = args.genotypes.options.open_options()?;
    let keep = match &args.keep {
        Some(path) => Some(sample_ids(path, "--keep")?.into_iter().collect()),
        None => None,
    };
    let quiet = args.genotypes.options.quiet.quiet;
    Ok(GwasRequest {
        genotypes: args.genotypes.genotypes,
        open,
        phenotype_table: args.phenotypes,
        phenotypes,
        options: GwasOptions {
            phenotype: String::new(),
            covariates,
            trait_type,
            region: args.region,
            id_delim: args.id_delim,
            keep,
            progress: !quiet,
        },
        split: args.split,
        out: args.out,
        gz: args.gz,
        quiet,
    })
}

/// Runs the association tests and writes their tables.
pub fn run(request: GwasRequest) -> anyhow::Result<()> {
    let GwasRequest {
        genotypes,
        open: open_options,
        phenotype_table,
        phenotypes,
        mut options,
        split,
        out,
        gz,
        quiet,
    } = request;
    let table = PhenoTable::read(&phenotype_table)?;
    if let Some(split) = &split {
        let members = split_members(&table, split)?;
        options.keep = Some(match options.keep.take() {
            Some(k) => k.intersection(&members).cloned().collect(),
            None => members,
        });
    }
    let mut source = io::open(&genotypes, &open_options)?;
    if !quiet {
        eprintln!(
            "medgem-prs: {}; phenotype {} from {} ({} rows)",
            super::prs::describe(source.as_ref()),
            phenotypes.join(", "),
            table.path().display(),
            table.iids().len()
        );
    }
    if phenotypes.len() > 1 || gz {
        let outs: Vec<PathBuf> = if phenotypes.len() == 1 {
            vec![out.clone()]
        } else {
            let ext = if gz { "tsv.gz" } else { "tsv" };
            phenotypes
                .iter()
                .map(|p| with_suffix(&out, &format!(".{p}.{ext}")))
                .collect()
        };
        drop(source);
        let path = genotypes.clone();
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
    let s = gwas::run(source.as_mut(), &table, &options, &out)?;
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
            out.display()
        );
    }
    Ok(())
}
