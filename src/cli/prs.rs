//! `prs`, `merge` and `index`: arguments, their validation into requests, and dispatch.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;

use medgem_prs::genome::Region;
use medgem_prs::io::{self, OpenOptions};
use medgem_prs::panel::matching::MatchOptions;
use medgem_prs::panel::scorefile;
use medgem_prs::score::{self, freq::FreqTable, output, ScoreOptions};
use medgem_prs::util::with_suffix;

use super::args::{GenotypeArgs, MinOverlapArg, QuietArg, SamplesArg};

#[derive(Args, Debug)]
pub struct PrsArgs {
    #[command(flatten)]
    pub genotypes: GenotypeArgs,
    /// Scoring files; several files, and several score columns per file, are scored in one
    /// pass.
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    pub scores: Vec<PathBuf>,
    /// Output prefix: PREFIX.sscore, PREFIX.sscore.vars, PREFIX.match.tsv.gz,
    /// PREFIX.summary.tsv.
    #[arg(long, value_name = "PREFIX")]
    pub out: PathBuf,
    #[command(flatten)]
    pub min_overlap: MinOverlapArg,
    /// Keep strand-ambiguous A/T and C/G variants (excluded by default).
    #[arg(long)]
    pub keep_ambiguous: bool,
    /// Keep matches at multi-allelic sites (excluded by default).
    #[arg(long)]
    pub keep_multiallelic: bool,
    /// Do not match variants whose alleles only agree after a strand flip.
    #[arg(long)]
    pub ignore_strand_flips: bool,
    /// Drop missing genotypes instead of imputing ploidy × allele frequency; DENOM then
    /// equals ALLELE_CT, as in plink2.
    #[arg(long)]
    pub no_mean_imputation: bool,
    /// Allele frequencies for mean imputation (plink2 .afreq or plink 1.9 .frq); by
    /// default they are computed from the scored samples. Give the whole cohort's
    /// frequencies when scoring sample chunks, so that the chunks merge exactly.
    #[arg(long, value_name = "FILE")]
    pub read_freq: Option<PathBuf>,
    /// Only score variants in CHR or CHR:START-END (1-based, inclusive); uses the
    /// .tbi/.csi/.bgi index when there is one.
    #[arg(long, value_name = "REGION")]
    pub region: Option<Region>,
    #[command(flatten)]
    pub samples: SamplesArg,
    /// Split sample IDs written FID<CHAR>IID (e.g. `_` for plink2-exported VCFs) into
    /// #FID and IID columns, as plink2 --id-delim does.
    #[arg(long, value_name = "CHAR")]
    pub id_delim: Option<char>,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Output prefixes of the shards to merge.
    #[arg(required = true, num_args = 1..)]
    pub prefixes: Vec<PathBuf>,
    /// Output prefix of the merged result.
    #[arg(long, value_name = "PREFIX")]
    pub out: PathBuf,
    #[command(flatten)]
    pub quiet: QuietArg,
}

#[derive(Args, Debug)]
pub struct IndexArgs {
    /// BGEN file to index.
    pub bgen: PathBuf,
    /// Index file to write (default: BGEN.bgi).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub quiet: QuietArg,
}

/// A validated `prs` run.
pub struct PrsRequest {
    genotypes: PathBuf,
    open: OpenOptions,
    scores: Vec<PathBuf>,
    /// `--read-freq`, read into `options.freqs` when the run starts.
    read_freq: Option<PathBuf>,
    options: ScoreOptions,
    out: PathBuf,
    id_delim: Option<char>,
    quiet: bool,
}

/// Checks `prs`'s arguments and reads its `--samples` list.
pub fn request(args: PrsArgs) -> anyhow::Result<PrsRequest> {
    let quiet = args.genotypes.options.quiet.quiet;
    Ok(PrsRequest {
        open: args.genotypes.options.open_options()?,
        options: ScoreOptions {
            matching: MatchOptions {
                keep_ambiguous: args.keep_ambiguous,
                keep_multiallelic: args.keep_multiallelic,
                ignore_strand_flips: args.ignore_strand_flips,
            },
            min_overlap: args.min_overlap.min_overlap,
            no_mean_imputation: args.no_mean_imputation,
            freqs: None,
            region: args.region,
            samples: args.samples.read()?,
            progress: !quiet,
        },
        genotypes: args.genotypes.genotypes,
        scores: args.scores,
        read_freq: args.read_freq,
        out: args.out,
        id_delim: args.id_delim,
        quiet,
    })
}

/// Scores the genotypes with the scoring files and writes plink2's outputs.
pub fn run(request: PrsRequest) -> anyhow::Result<()> {
    let PrsRequest {
        genotypes,
        open,
        scores,
        read_freq,
        mut options,
        out,
        id_delim,
        quiet,
    } = request;
    options.freqs = read_freq.as_deref().map(FreqTable::read).transpose()?;
    let files = scorefile::read_many(&scores)?;
    let mut source = io::open(&genotypes, &open)?;
    if !quiet {
        eprintln!(
            "medgem-prs: {}; {} scores from {} scoring files",
            describe(source.as_ref()),
            files.iter().map(|f| f.scores.len()).sum::<usize>(),
            files.len()
        );
    }
    let result = score::compute(source.as_mut(), &files, &options)?;
    let written = output::write_all(&out, &files, &result, id_delim)
        .with_context(|| format!("{}: cannot write outputs", out.display()))?;
    if !quiet {
        for s in &result.summary {
            eprintln!(
                "medgem-prs: {}: {} of {} variants matched ({:.1}%)",
                s.score,
                s.n_matched,
                s.n_rows,
                100.0 * s.match_rate
            );
        }
        if result.freq_fallbacks > 0 {
            eprintln!(
                "medgem-prs: warning: {} variants were not in --read-freq; their frequencies were computed from the data",
                result.freq_fallbacks
            );
        }
        eprintln!(
            "medgem-prs: scored {} samples on {} variants; wrote {}",
            result.sample_ids.len(),
            result.used_variants.len(),
            path_list(&written)
        );
    }
    Ok(())
}

/// A validated `merge` run.
pub struct MergeRequest {
    prefixes: Vec<PathBuf>,
    out: PathBuf,
    quiet: bool,
}

/// Checks that every shard prefix has its `.sscore`.
pub fn merge_request(args: MergeArgs) -> anyhow::Result<MergeRequest> {
    for p in &args.prefixes {
        let s = with_suffix(p, ".sscore");
        if !s.exists() {
            bail!(
                "{}: not found (merge takes the PREFIX given to prs --out)",
                s.display()
            );
        }
    }
    Ok(MergeRequest {
        prefixes: args.prefixes,
        out: args.out,
        quiet: args.quiet.quiet,
    })
}

/// Merges the shards' outputs.
pub fn merge(request: MergeRequest) -> anyhow::Result<()> {
    let written = output::merge(&request.prefixes, &request.out)?;
    if !request.quiet {
        eprintln!(
            "medgem-prs: merged {} shards into {}",
            request.prefixes.len(),
            path_list(&written)
        );
    }
    Ok(())
}

/// A validated `index` run.
pub struct IndexRequest {
    bgen: PathBuf,
    out: PathBuf,
    quiet: bool,
}

/// Resolves `index`'s output path.
pub fn index_request(args: IndexArgs) -> IndexRequest {
    IndexRequest {
        out: args
            .out
            .unwrap_or_else(|| io::with_extension_appended(&args.bgen, "bgi")),
        bgen: args.bgen,
        quiet: args.quiet.quiet,
    }
}

/// Writes the `.bgi` index.
pub fn index(request: IndexRequest) -> anyhow::Result<()> {
    let n = io::bgen::write_bgi(&request.bgen, &request.out)?;
    if !request.quiet {
        eprintln!(
            "medgem-prs: indexed {n} variants into {}",
            request.out.display()
        );
    }
    Ok(())
}

/// Paths written, for the closing message.
fn path_list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// "FILE (FORMAT), N samples", for the opening message of commands that read genotypes.
pub(crate) fn describe(source: &dyn io::GenotypeSource) -> String {
    format!(
        "{} ({}), {} samples",
        source.path().display(),
        source.format_name(),
        source.sample_ids().len()
    )
}
