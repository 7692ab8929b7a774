//! `panel build` and `panel import`: arguments, their validation into requests, and
//! dispatch.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};

use medgem_prs::io::{DosageField, OpenOptions};
use medgem_prs::panel::build::{
    self, BuildOptions, TraitSumstats, DEFAULT_CLUMP_KB, DEFAULT_CLUMP_R2,
};
use medgem_prs::panel::manifest::check_id;

use super::args::{sample_ids, QuietArg, SampleFileArg, ThreadsArg};

#[derive(Args, Debug)]
pub struct PanelArgs {
    #[command(subcommand)]
    pub command: PanelCommand,
}

#[derive(Subcommand, Debug)]
pub enum PanelCommand {
    /// Build a P+T panel from GWAS summary statistics: LD clumping, then p-value
    /// thresholds.
    ///
    /// Each trait's summary statistics are clumped against the LD reference exactly as
    /// plink 1.9 --clump does (index variants by ascending p among p <= the largest
    /// threshold; a variant within --clump-kb of an index variant and with haplotype
    /// r2 > --clump-r2 joins its clump and can no longer lead one). For every threshold,
    /// the index variants with p <= threshold form one PGS Catalog scoring file,
    /// DIR/<trait>_p<threshold>.txt.gz, weighted by BETA (log-odds for binary traits).
    /// DIR/manifest.toml lists the traits, the thresholds, the genomic image's tile order
    /// (correlated traits side by side) and how the panel was made.
    ///
    /// Summary statistics are recognised by their header: this tool's `gwas` output,
    /// plink2 --glm output (.glm.linear/.glm.logistic[.hybrid]; ADD rows; OR -> ln OR) or
    /// GWAS Catalog GWAS-SSF (gzip allowed). Rows with NA effect or p are skipped.
    /// Variants are matched to the LD reference by chromosome, position and alleles;
    /// variants missing from it are never clumped and never scored (as in plink).
    ///
    /// A trait's id is its file name without extensions (t2d.tsv.gz -> t2d), or give
    /// ID=FILE. --trait-info adds names and clusters.
    ///
    /// Example:
    ///   medgem-prs panel build --sumstats t2d=t2d.gwas.tsv cad=cad.gwas.tsv \
    ///       --trait-info traits.tsv --ld-ref reference.bed \
    ///       --thresholds 5e-8,1e-5,1e-3 --out panels/demo
    #[command(
        verbatim_doc_comment,
        about = "Build a P+T panel from GWAS summary statistics: LD clumping, then p-value \
                 thresholds."
    )]
    Build(BuildArgs),
    /// Wrap existing PGS Catalog scoring files into a panel.
    ///
    /// One trait per file (raw or harmonised, gzipped or not): its id is the file's
    /// #pgs_id (else its name without extensions), its name the #trait_reported. Files
    /// are copied unchanged into DIR, the tile order is the input order, and the panel
    /// has no thresholds. Files of different genome builds, or with the same id, are
    /// refused.
    ///
    /// Example:
    ///   medgem-prs panel import --pgs PGS000001_hmPOS_GRCh38.txt.gz \
    ///       PGS000018_hmPOS_GRCh38.txt.gz --out panels/catalog --name catalog
    #[command(verbatim_doc_comment)]
    Import(ImportArgs),
}

#[derive(Args, Debug)]
pub struct BuildArgs {
    /// Summary-statistics files, FILE or ID=FILE, one per trait.
    #[arg(long, value_name = "FILE", num_args = 1.., required_unless_present = "trait_info")]
    pub sumstats: Vec<String>,
    /// Tab-separated trait table with a header: id, name, cluster (may be empty) and
    /// optionally file (relative to the table's folder). Names and clusters apply to the
    /// --sumstats traits with those ids; rows with a file add traits.
    #[arg(long, value_name = "TSV")]
    pub trait_info: Option<PathBuf>,
    /// Genotypes to compute LD from (VCF/BCF, BGEN, PLINK .bed or its prefix), in the same
    /// genome build as the summary statistics.
    #[arg(long, value_name = "GENOTYPES")]
    pub ld_ref: PathBuf,
    #[command(flatten)]
    pub sample: SampleFileArg,
    /// Only compute LD from these reference samples: a file with one IID per line, or FID
    /// IID per line (the second column is the IID, as in plink2 --keep).
    #[arg(long, value_name = "FILE")]
    pub ld_samples: Option<PathBuf>,
    /// p-value thresholds, comma-separated: one scoring file (image channel) each.
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        default_value = "5e-8,1e-5,1e-3"
    )]
    pub thresholds: Vec<f64>,
    /// Clumping r2 threshold (plink --clump-r2).
    #[arg(long, value_name = "R2", default_value_t = DEFAULT_CLUMP_R2)]
    pub clump_r2: f64,
    /// Clumping window radius in kb (plink --clump-kb).
    #[arg(long, value_name = "KB", default_value_t = DEFAULT_CLUMP_KB)]
    pub clump_kb: f64,
    /// Panel name (default: the output folder's name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Genome build to record (default: the one the LD reference declares, else unknown).
    #[arg(long, value_name = "BUILD")]
    pub genome_build: Option<String>,
    /// Output panel folder.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub threads: ThreadsArg,
    #[command(flatten)]
    pub quiet: QuietArg,
    /// Replace DIR when it exists and is not empty.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// PGS Catalog scoring files, one trait each.
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    pub pgs: Vec<PathBuf>,
    /// Output panel folder.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Panel name (default: the output folder's name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub quiet: QuietArg,
    /// Replace DIR when it exists and is not empty.
    #[arg(long)]
    pub force: bool,
}

/// The output folder's name, for a default panel name.
fn default_name(out: &Path) -> anyhow::Result<String> {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.is_empty() || name == "." || name == ".." {
        bail!(
            "{}: cannot take a panel name from this folder; give --name",
            out.display()
        );
    }
    Ok(name)
}

/// Splits `ID=FILE`; a plain FILE gets its stem as id.
fn trait_arg(arg: &str) -> (String, PathBuf) {
    if let Some((id, file)) = arg.split_once('=') {
        if !id.is_empty() && !id.contains(['/', '\\']) {
            return (id.to_string(), PathBuf::from(file));
        }
    }
    let path = PathBuf::from(arg);
    (build::stem(&path), path)
}

/// One row of --trait-info.
struct TraitInfo {
    name: String,
    cluster: Option<String>,
    file: Option<PathBuf>,
}

/// Reads --trait-info: rows keyed by id, in file order.
fn read_trait_info(path: &Path) -> anyhow::Result<Vec<(String, TraitInfo)>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read --trait-info", path.display()))?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with("##"));
    let Some((_, header)) = lines.next() else {
        bail!(
            "{}: empty --trait-info table (expected a header: id name cluster [file])",
            path.display()
        );
    };
    let cols: Vec<String> = header
        .trim_start_matches('#')
        .split('\t')
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let col = |name: &str| cols.iter().position(|c| c == name);
    let (Some(id_col), Some(name_col)) = (col("id"), col("name")) else {
        bail!(
            "{}: line 1: --trait-info needs columns id and name (and optionally cluster, file); found: {}",
            path.display(),
            cols.join(", ")
        );
    };
    let cluster_col = col("cluster");
    let file_col = col("file");
    let base = path.parent().unwrap_or(Path::new("."));
    let mut rows: Vec<(String, TraitInfo)> = Vec::new();
    for (i, line) in lines {
        let f: Vec<&str> = line.split('\t').map(str::trim).collect();
        if f.len() != cols.len() {
            bail!(
                "{}: line {}: {} fields, but the header has {} columns",
                path.display(),
                i + 1,
                f.len(),
                cols.len()
            );
        }
        let id = f[id_col].to_string();
        check_id(&id).map_err(|m| anyhow::anyhow!("{}: line {}: {m}", path.display(), i + 1))?;
        if rows.iter().any(|(r, _)| *r == id) {
            bail!(
                "{}: line {}: trait id '{id}' is listed twice",
                path.display(),
                i + 1
            );
        }
        let present = |c: Option<usize>| {
            c.map(|c| f[c])
                .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("NA"))
        };
        let file = present(file_col).map(|v| {
            let p = PathBuf::from(v);
            if p.is_absolute() {
                p
            } else {
                base.join(p)
            }
        });
        rows.push((
            id.clone(),
            TraitInfo {
                name: present(Some(name_col)).unwrap_or(&id).to_string(),
                cluster: present(cluster_col).map(str::to_string),
                file,
            },
        ));
    }
    Ok(rows)
}

/// The traits to build, from --sumstats and --trait-info.
fn traits(args: &BuildArgs) -> anyhow::Result<Vec<TraitSumstats>> {
    let info = args
        .trait_info
        .as_deref()
        .map(read_trait_info)
        .transpose()?
        .unwrap_or_default();
    let by_id: HashMap<&str, &TraitInfo> = info.iter().map(|(id, t)| (id.as_str(), t)).collect();
    let mut out: Vec<TraitSumstats> = Vec::new();
    for arg in &args.sumstats {
        let (id, path) = trait_arg(arg);
        let extra = by_id.get(id.as_str());
        out.push(TraitSumstats {
            name: extra.map_or_else(|| id.clone(), |t| t.name.clone()),
            cluster: extra.and_then(|t| t.cluster.clone()),
            id,
            path,
        });
    }
    for (id, t) in &info {
        let Some(file) = &t.file else { continue };
        if out.iter().any(|o| o.id == *id) {
            continue;
        }
        out.push(TraitSumstats {
            id: id.clone(),
            name: t.name.clone(),
            cluster: t.cluster.clone(),
            path: file.clone(),
        });
    }
    if out.is_empty() {
        bail!("no summary statistics: give --sumstats, or a --trait-info table with a file column");
    }
    Ok(out)
}

/// A validated `panel build`.
pub struct BuildRequest {
    traits: Vec<TraitSumstats>,
    ld_ref: PathBuf,
    open: OpenOptions,
    options: BuildOptions,
    out: PathBuf,
    quiet: bool,
}

/// Checks `panel build`'s arguments and reads its --trait-info table and --ld-samples list.
pub fn build_request(args: BuildArgs) -> anyhow::Result<BuildRequest> {
    let traits = traits(&args)?;
    let name = match &args.name {
        Some(n) => n.clone(),
        None => default_name(&args.out)?,
    };
    let sample_file = args.sample.existing()?;
    let ld_samples = args
        .ld_samples
        .as_deref()
        .map(|p| sample_ids(p, "--ld-samples"))
        .transpose()?;
    let threads = args.threads.count();
    Ok(BuildRequest {
        traits,
        ld_ref: args.ld_ref,
        open: OpenOptions {
            sample_file,
            dosage_field: DosageField::Auto,
            threads,
        },
        options: BuildOptions {
            name,
            thresholds: args.thresholds,
            clump_r2: args.clump_r2,
            clump_kb: args.clump_kb,
            ld_samples,
            genome_build: args.genome_build,
            threads: Some(threads),
            progress: !args.quiet.quiet,
            force: args.force,
        },
        out: args.out,
        quiet: args.quiet.quiet,
    })
}

/// Builds the panel.
pub fn build(request: BuildRequest) -> anyhow::Result<()> {
    let BuildRequest {
        traits,
        ld_ref,
        open,
        options,
        out,
        quiet,
    } = request;
    let report = build::build_panel(&traits, &ld_ref, &open, &options, &out)?;
    if !quiet {
        eprintln!(
            "medgem-prs: LD from {} ({} samples used, {} variants loaded)",
            report.ld_reference, report.n_ld_samples, report.n_ld_variants
        );
        for (t, entry) in report.traits.iter().zip(&report.manifest.traits) {
            let counts: Vec<String> = entry
                .scores
                .iter()
                .map(|s| {
                    format!(
                        "{} at p<={}",
                        s.variants,
                        s.threshold.map_or("-".into(), build::threshold_label)
                    )
                })
                .collect();
            eprintln!(
                "medgem-prs: {}: {} rows ({}; {} NA skipped); {} clumps; variants {}",
                t.id,
                t.n_rows,
                t.format.as_str(),
                t.n_missing,
                t.n_clumps,
                counts.join(", ")
            );
            if t.n_absent > 0 {
                eprintln!(
                    "medgem-prs: warning: {}: {} of {} variants with p<={} are not in the LD reference and were left out",
                    t.id,
                    t.n_absent,
                    t.n_candidates,
                    report
                        .manifest
                        .thresholds
                        .last()
                        .map_or("-".into(), |&x| build::threshold_label(x))
                );
            }
        }
        eprintln!(
            "medgem-prs: wrote panel '{}' ({}, {} traits x {} thresholds) to {}",
            report.manifest.name,
            report.manifest.genome_build,
            report.manifest.traits.len(),
            report.manifest.thresholds.len(),
            out.display()
        );
    }
    Ok(())
}

/// A validated `panel import`.
pub struct ImportRequest {
    pgs: Vec<PathBuf>,
    name: String,
    out: PathBuf,
    force: bool,
    quiet: bool,
}

/// Checks `panel import`'s arguments.
pub fn import_request(args: ImportArgs) -> anyhow::Result<ImportRequest> {
    let name = match &args.name {
        Some(n) => n.clone(),
        None => default_name(&args.out)?,
    };
    Ok(ImportRequest {
        pgs: args.pgs,
        name,
        out: args.out,
        force: args.force,
        quiet: args.quiet.quiet,
    })
}

/// Imports the scoring files as a panel.
pub fn import(request: ImportRequest) -> anyhow::Result<()> {
    let ImportRequest {
        pgs,
        name,
        out,
        force,
        quiet,
    } = request;
    let manifest = build::import_panel(&pgs, &name, &out, force)?;
    if !quiet {
        for t in &manifest.traits {
            eprintln!(
                "medgem-prs: {}: {} ({} variants)",
                t.id, t.name, t.scores[0].variants
            );
        }
        eprintln!(
            "medgem-prs: wrote panel '{}' ({}, {} traits) to {}",
            manifest.name,
            manifest.genome_build,
            manifest.traits.len(),
            out.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trait_args_take_ids_or_stems() {
        assert_eq!(
            trait_arg("t2d=/data/x.tsv"),
            ("t2d".to_string(), PathBuf::from("/data/x.tsv"))
        );
        assert_eq!(
            trait_arg("/data/ldl.glm.linear"),
            ("ldl".to_string(), PathBuf::from("/data/ldl.glm.linear"))
        );
        // An '=' inside a path is not an id.
        assert_eq!(trait_arg("/a=b/c.tsv").0, "c");
    }
}
