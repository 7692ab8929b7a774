//! `prs`, `merge` and `index`: argument validation and dispatch.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use medgem_prs::io::{self, DosageField, OpenOptions};
use medgem_prs::panel::matching::MatchOptions;
use medgem_prs::panel::scorefile;
use medgem_prs::score::{self, freq::FreqTable, output, ScoreOptions};
use medgem_prs::util::with_suffix;

use super::{GenotypeArgs, IndexArgs, MergeArgs, PrsArgs};

/// Sets the global thread pool and returns the open options for a genotype file.
pub fn genotype_options(g: &GenotypeArgs) -> anyhow::Result<OpenOptions> {
    let threads = match g.threads {
        Some(0) => bail!("--threads must be at least 1"),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    // Ignore the error when a pool already exists (tests run several commands).
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global();
    let dosage_field: DosageField = g
        .dosage_field
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--dosage-field: {e}"))?;
    if let Some(s) = &g.sample_file {
        if !s.exists() {
            bail!("{}: --sample file not found", s.display());
        }
    }
    Ok(OpenOptions {
        sample_file: g.sample_file.clone(),
        dosage_field,
        threads,
    })
}

pub(super) fn read_sample_list(path: &Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read --samples file", path.display()))?;
    let ids: Vec<String> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|s| !s.starts_with('#'))
        .map(|s| s.to_string())
        .collect();
    if ids.is_empty() {
        bail!(
            "{}: --samples file lists no sample ids (expected one id per line)",
            path.display()
        );
    }
    Ok(ids)
}

pub fn run(args: PrsArgs) -> anyhow::Result<()> {
    // Validate everything before reading any genotype.
    if !(0.0..=1.0).contains(&args.min_overlap) {
        bail!(
            "--min-overlap must be between 0 and 1, got {}",
            args.min_overlap
        );
    }
    let open_options = genotype_options(&args.genotypes)?;
    let samples = args.samples.as_deref().map(read_sample_list).transpose()?;
    let freqs = args.read_freq.as_deref().map(FreqTable::read).transpose()?;
    let files = scorefile::read_many(&args.scores)?;
    let quiet = args.genotypes.quiet;

    let mut source = io::open(&args.genotypes.genotypes, &open_options)?;
    if !quiet {
        eprintln!(
            "medgem-prs: {}; {} scores from {} scoring files",
            describe(source.as_ref()),
            files.iter().map(|f| f.scores.len()).sum::<usize>(),
            files.len()
        );
    }
    let options = ScoreOptions {
        matching: MatchOptions {
            keep_ambiguous: args.keep_ambiguous,
            keep_multiallelic: args.keep_multiallelic,
            ignore_strand_flips: args.ignore_strand_flips,
        },
        min_overlap: args.min_overlap,
        no_mean_imputation: args.no_mean_imputation,
        freqs,
        region: args.region.clone(),
        samples,
        progress: !quiet,
    };
    let result = score::compute(source.as_mut(), &files, &options)?;
    let written = output::write_all(&args.out, &files, &result, args.id_delim)
        .with_context(|| format!("{}: cannot write outputs", args.out.display()))?;
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

pub fn merge(args: MergeArgs) -> anyhow::Result<()> {
    for p in &args.prefixes {
        let s = with_suffix(p, ".sscore");
        if !s.exists() {
            bail!(
                "{}: not found (merge takes the PREFIX given to prs --out)",
                s.display()
            );
        }
    }
    let written = output::merge(&args.prefixes, &args.out)?;
    if !args.quiet {
        eprintln!(
            "medgem-prs: merged {} shards into {}",
            args.prefixes.len(),
            path_list(&written)
        );
    }
    Ok(())
}

pub fn index(args: IndexArgs) -> anyhow::Result<()> {
    let out: PathBuf = args
        .out
        .unwrap_or_else(|| io::with_extension_appended(&args.bgen, "bgi"));
    let n = io::bgen::write_bgi(&args.bgen, &out)?;
    if !args.quiet {
        eprintln!("medgem-prs: indexed {n} variants into {}", out.display());
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
