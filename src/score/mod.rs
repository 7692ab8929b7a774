//! Linear polygenic scores with plink2 `--score` arithmetic.
//!
//! For every sample and score, plink2 reports (see plink2's `ScoreReport`):
//!
//! * `SUM`: the sum over scored (variant, allele) rows of weight × dosage of the named
//!   allele. A missing genotype contributes weight × ploidy × the allele's frequency
//!   (mean imputation), or nothing with `no-mean-imputation`. With the `dominant` model a
//!   dosage `d` counts as `min(d, 1)`, with `recessive` as `max(d − 1, 0)`, and a missing
//!   genotype as weight × frequency.
//! * `ALLELE_CT`: alleles observed over the variants used (2 per non-missing diploid call).
//! * `DENOM`: alleles over the variants used, observed or not (`ALLELE_CT` under
//!   `no-mean-imputation`).
//! * `NAMED_ALLELE_DOSAGE_SUM`: the sum of named-allele dosages over non-missing calls.
//! * `AVG`: `SUM / DENOM`.
//!
//! A variant counts once in `ALLELE_CT` and `DENOM` however many scores or alleles use it;
//! each distinct (variant, allele, model) counts once in `NAMED_ALLELE_DOSAGE_SUM`, exactly
//! as plink2 treats one scoring file whose rows name different alleles of a variant.
//!
//! Genotypes are streamed: sites are matched one position at a time
//! ([`crate::panel::matching`]), the payloads of used sites are decoded in parallel batches,
//! and the accumulators are updated in parallel over sample chunks, in a fixed variant
//! order, so results do not depend on the thread count. Memory is samples × scores.

pub mod freq;
pub mod output;

use std::collections::HashMap;
use std::path::PathBuf;

use rayon::prelude::*;

use crate::genome::{normalize_build, Region};
use crate::io::{Dosages, GenotypeSource, Payload, ReadError, Site};
use crate::panel::matching::{
    AppliedRow, ExcludeReason, MatchOptions, MatchReport, MatchStatus, Matcher, SplitMatchError,
};
use crate::panel::scorefile::{EffectType, ScoringFile};
use freq::FreqTable;

/// Variants decoded together in one parallel batch.
const BATCH_VARIANTS: usize = 256;
/// Samples per accumulation chunk.
const SAMPLE_CHUNK: usize = 1024;

/// How to score.
#[derive(Clone, Debug)]
pub struct ScoreOptions {
    /// Which matches are kept: pgsc_calc's `--keep_ambiguous`, `--keep_multiallelic` and
    /// `--ignore_strand_flips`.
    pub matching: MatchOptions,
    /// Minimum fraction of a score's rows that must match (pgsc_calc's `--min_overlap`).
    pub min_overlap: f64,
    /// Drop missing genotypes instead of imputing them from the allele frequency.
    pub no_mean_imputation: bool,
    /// Frequencies for imputation; computed from the scored samples when absent.
    pub freqs: Option<FreqTable>,
    /// Only sites in this region are read and only rows in it count.
    pub region: Option<Region>,
    /// Only these samples are scored (IDs as in the genotype file).
    pub samples: Option<Vec<String>>,
    /// Show a progress bar on stderr.
    pub progress: bool,
}

impl ScoreOptions {
    /// The ids of `source_ids` (a genotype file's samples) that these options score, in
    /// the file's order: all of them, or those `samples` names. A named id the file lacks
    /// is left out here; the scoring pass refuses it ([`ScoreError::UnknownSample`]).
    pub fn scored_ids(&self, source_ids: &[String]) -> Vec<String> {
        match &self.samples {
            None => source_ids.to_vec(),
            Some(keep) => {
                let keep: std::collections::HashSet<&str> =
                    keep.iter().map(String::as_str).collect();
                source_ids
                    .iter()
                    .filter(|s| keep.contains(s.as_str()))
                    .cloned()
                    .collect()
            }
        }
    }
}

/// Everything that can stop a scoring run.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// The genotype file could not be opened, read or decoded.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// A scoring row matched sites in two separate stretches of the genotype file
    /// (an unsorted file, or one variant ID at two positions).
    #[error(transparent)]
    SplitMatch(#[from] SplitMatchError),
    /// A sample named in [`ScoreOptions::samples`] is not in the genotype file.
    #[error("{path}: sample '{id}' from the --samples file is not in the genotype file")]
    UnknownSample {
        /// Genotype file.
        path: PathBuf,
        /// The missing sample ID.
        id: String,
    },
    /// One or more scores matched fewer than [`ScoreOptions::min_overlap`] of their rows;
    /// the text has one line per failing score, with a genome-build hint where it applies.
    #[error("{0}")]
    Overlap(String),
    /// A dominant or recessive row matched a site on a haploid chromosome (Y, MT), where
    /// plink2 `--score` refuses those models.
    #[error("{file}: line {line}: dominant/recessive weights cannot be used on haploid chromosome {chrom} (plink2 refuses this too)")]
    DomRecHaploid {
        /// Scoring file of the row.
        file: String,
        /// 1-based line of the row in the scoring file.
        line: u64,
        /// The haploid chromosome (`Y` or `MT`).
        chrom: String,
    },
    /// The genotype file has no samples, or the sample selection is empty.
    #[error("no samples to score")]
    NoSamples,
}

/// Per-score match accounting, one row of `PREFIX.summary.tsv`.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ScoreSummary {
    /// Score name, as in [`ScoreMeta::name`](crate::panel::scorefile::ScoreMeta::name).
    pub score: String,
    /// Path of the scoring file the score comes from, as given.
    pub file: String,
    /// Genome build of the score's coordinates (harmonised build if any), `NR` when not
    /// reported.
    pub genome_build: String,
    /// Scoring rows that could be scored additively and are in scope.
    pub n_rows: u64,
    /// Rows whose best match is used in the score (`matched`).
    pub n_matched: u64,
    /// Rows that line up with no site of the genotype file (`unmatched`).
    pub n_unmatched: u64,
    /// Rows excluded because the site is strand-ambiguous (A/T, C/G).
    pub n_excluded_ambiguous: u64,
    /// Rows excluded because the site is multi-allelic.
    pub n_excluded_multiallelic: u64,
    /// Rows excluded because the match needed a strand flip and flips are ignored.
    pub n_excluded_strand_flip: u64,
    /// Rows excluded as duplicates: several rows of the file best-matched the same site.
    pub n_excluded_duplicate: u64,
    /// Rows the file holds that cannot be scored additively (complex alleles, dosage
    /// weights, interactions) or that have no position after harmonisation.
    pub n_not_scorable: u64,
    /// `n_matched / n_rows`, the overlap `--min-overlap` is checked against; `NaN` when the
    /// score has no in-scope rows.
    pub match_rate: f64,
    /// Whether `match_rate >= min_overlap` (always true when there are no in-scope rows,
    /// e.g. a region shard that holds none of the score's variants).
    pub pass: bool,
}

/// The scores of a cohort.
pub struct ScoreResult {
    /// Scored sample IDs, in genotype-file order (a `--samples` list is reordered to it).
    pub sample_ids: Vec<String>,
    /// Score names, in the order of the files and then of each file's scores; the
    /// score index of [`ScoreResult::sum`].
    pub score_names: Vec<String>,
    /// plink2 `ALLELE_CT` per sample: alleles observed over the variants used (2 per
    /// non-missing diploid call, 1 per haploid one).
    pub allele_ct: Vec<u32>,
    /// plink2 `DENOM` per sample: alleles over the variants used, counting the ploidy of
    /// every call, observed or missing; the divisor of [`ScoreResult::avg`].
    pub denom: Vec<u32>,
    /// plink2 `NAMED_ALLELE_DOSAGE_SUM` per sample: the summed dosage of the scored alleles
    /// over non-missing calls, each distinct (variant, allele, model) once.
    pub named_allele_dosage_sum: Vec<f64>,
    /// Score sums, sample-major: `sums[s * n_scores + k]`.
    pub sums: Vec<f64>,
    /// Positional IDs (`CHR:POS:REF:ALT`) of the variants used, in file order.
    pub used_variants: Vec<String>,
    /// Per-row match decisions (the match log) and per-row outcomes.
    pub matches: MatchReport,
    /// Per-score match accounting, in score order (`PREFIX.summary.tsv`).
    pub summary: Vec<ScoreSummary>,
    /// Variants whose imputation frequency was missing from `--read-freq` and was
    /// computed from the data instead.
    pub freq_fallbacks: u64,
}

impl ScoreResult {
    /// Number of scores (columns of the score output).
    pub fn n_scores(&self) -> usize {
        self.score_names.len()
    }

    /// plink2 `SUM` (`<score>_SUM`) of `score` for `sample`: Σ weight × dosage of the named
    /// allele, with missing calls mean-imputed unless `no_mean_imputation`.
    pub fn sum(&self, sample: usize, score: usize) -> f64 {
        self.sums[sample * self.n_scores() + score]
    }

    /// plink2 `AVG`: `SUM / DENOM` of `score` for `sample` (`NaN` when `DENOM` is 0).
    pub fn avg(&self, sample: usize, score: usize) -> f64 {
        self.sum(sample, score) / f64::from(self.denom[sample])
    }
}

/// A used site waiting in a batch: its genotypes and the rows applied to it.
struct Job {
    site: Site,
    payload: Box<dyn Payload>,
    rows: Vec<AppliedRow>,
}

/// One distinct (allele, model) of a used site, with the weights of every score using it.
struct RowValues {
    /// Per scored sample: the value multiplied by the weights (imputed when missing).
    values: Vec<f64>,
    weights: Vec<(usize, f64)>,
}

/// A decoded used site, ready to accumulate.
struct Contribution {
    /// Per scored sample: ploidy, and whether the call is missing.
    ploidy: Vec<u8>,
    missing: Vec<bool>,
    rows: Vec<RowValues>,
    freq_fallback: bool,
}

/// Accumulators for one chunk of samples.
struct Chunk {
    start: usize,
    len: usize,
    allele_ct: Vec<u32>,
    denom: Vec<u32>,
    dosage_sum: Vec<f64>,
    /// Score-major within the chunk: `sums[k * len + i]`.
    sums: Vec<f64>,
}

/// Scores the samples of `source` with every score of `files`.
pub fn compute(
    source: &mut dyn GenotypeSource,
    files: &[ScoringFile],
    options: &ScoreOptions,
) -> Result<ScoreResult, ScoreError> {
    // Global score numbering: the scores of file 0, then of file 1, ...
    let mut score_names = Vec::new();
    let mut score_offset = Vec::with_capacity(files.len());
    for f in files {
        score_offset.push(score_names.len());
        score_names.extend(f.scores.iter().map(|s| s.name.clone()));
    }
    let n_scores = score_names.len();

    let all_ids = source.sample_ids().to_vec();
    let selected: Vec<usize> = match &options.samples {
        None => (0..all_ids.len()).collect(),
        Some(wanted) => {
            let index: HashMap<&str, usize> = all_ids
                .iter()
                .enumerate()
                .map(|(i, s)| (s.as_str(), i))
                .collect();
            let mut sel = Vec::with_capacity(wanted.len());
            for id in wanted {
                match index.get(id.as_str()) {
                    Some(&i) => sel.push(i),
                    None => {
                        return Err(ScoreError::UnknownSample {
                            path: source.path().to_path_buf(),
                            id: id.clone(),
                        })
                    }
                }
            }
            sel.sort_unstable();
            sel.dedup();
            sel
        }
    };
    if selected.is_empty() {
        return Err(ScoreError::NoSamples);
    }
    let n = selected.len();
    let mut chunks: Vec<Chunk> = (0..n)
        .step_by(SAMPLE_CHUNK)
        .map(|start| {
            let len = SAMPLE_CHUNK.min(n - start);
            Chunk {
                start,
                len,
                allele_ct: vec![0; len],
                denom: vec![0; len],
                dosage_sum: vec![0.0; len],
                sums: vec![0.0; len * n_scores],
            }
        })
        .collect();

    let mut matcher = Matcher::new(files, options.matching.clone(), options.region.as_ref());
    let filter = matcher.site_filter(options.region.clone());

    let bar = crate::util::spinner(options.progress);

    let mut group: Vec<(Site, Box<dyn Payload>, String)> = Vec::new();
    let mut batch: Vec<Job> = Vec::with_capacity(BATCH_VARIANTS);
    let mut used_variants = Vec::new();
    let mut freq_fallbacks = 0u64;
    let mut sites_read = 0u64;

    let ctx = BatchContext {
        files,
        score_offset: &score_offset,
        selected: &selected,
        options,
    };

    loop {
        let next = source.next_site(&filter)?;
        let group_done = match (&next, group.first()) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(s), Some((g, _, _))) => s.pos != g.pos || s.chrom != g.chrom,
        };
        if group_done {
            let sites: Vec<Site> = group.iter().map(|(s, _, _)| s.clone()).collect();
            let locs: Vec<String> = group.iter().map(|(_, _, l)| l.clone()).collect();
            let applied = matcher.resolve(&sites, &locs)?;
            for ((site, payload, _), rows) in group.drain(..).zip(applied) {
                if rows.is_empty() {
                    continue;
                }
                used_variants.push(site.positional_id());
                batch.push(Job {
                    site,
                    payload,
                    rows,
                });
            }
            if batch.len() >= BATCH_VARIANTS {
                freq_fallbacks += process_batch(&ctx, &mut batch, &mut chunks)?;
                bar.set_message(format!(
                    "{sites_read} sites read, {} variants scored",
                    used_variants.len()
                ));
            }
        }
        let Some(site) = next else { break };
        sites_read += 1;
        if sites_read.is_multiple_of(4096) {
            bar.set_message(format!(
                "{sites_read} sites read, {} variants scored",
                used_variants.len()
            ));
        }
        if matcher.has_candidates(&site) {
            let payload = source.payload()?;
            let loc = format!("{} ({})", source.location(), site.positional_id());
            group.push((site, payload, loc));
        }
    }
    freq_fallbacks += process_batch(&ctx, &mut batch, &mut chunks)?;
    bar.finish_and_clear();

    let matches = matcher.finish();
    let mut summary = summarise(files, &matches);
    check_overlap(&mut summary, options.min_overlap, source.genome_build())?;

    // Gather the chunks into sample-major arrays.
    let mut allele_ct = vec![0u32; n];
    let mut denom = vec![0u32; n];
    let mut named = vec![0f64; n];
    let mut sums = vec![0f64; n * n_scores];
    for c in &chunks {
        for i in 0..c.len {
            let s = c.start + i;
            allele_ct[s] = c.allele_ct[i];
            denom[s] = c.denom[i];
            named[s] = c.dosage_sum[i];
            for k in 0..n_scores {
                sums[s * n_scores + k] = c.sums[k * c.len + i];
            }
        }
    }
    Ok(ScoreResult {
        sample_ids: selected.iter().map(|&i| all_ids[i].clone()).collect(),
        score_names,
        allele_ct,
        denom,
        named_allele_dosage_sum: named,
        sums,
        used_variants,
        matches,
        summary,
        freq_fallbacks,
    })
}

struct BatchContext<'a> {
    files: &'a [ScoringFile],
    score_offset: &'a [usize],
    selected: &'a [usize],
    options: &'a ScoreOptions,
}

/// Decodes a batch of used sites in parallel, then adds them to the accumulators in
/// parallel over sample chunks, in batch order. Returns the number of frequency fallbacks.
fn process_batch(
    ctx: &BatchContext<'_>,
    batch: &mut Vec<Job>,
    chunks: &mut [Chunk],
) -> Result<u64, ScoreError> {
    if batch.is_empty() {
        return Ok(0);
    }
    let contributions: Vec<Contribution> = std::mem::take(batch)
        .into_par_iter()
        .map_init(Dosages::new, |dosages, job| {
            contribution(ctx, &job, dosages)
        })
        .collect::<Result<_, _>>()?;
    let fallbacks = contributions.iter().filter(|c| c.freq_fallback).count() as u64;
    chunks.par_iter_mut().for_each(|chunk| {
        let range = chunk.start..chunk.start + chunk.len;
        for c in &contributions {
            let ploidy = &c.ploidy[range.clone()];
            let missing = &c.missing[range.clone()];
            for (((denom, ct), &p), &m) in chunk
                .denom
                .iter_mut()
                .zip(chunk.allele_ct.iter_mut())
                .zip(ploidy)
                .zip(missing)
            {
                *denom += u32::from(p);
                *ct += if m { 0 } else { u32::from(p) };
            }
            for row in &c.rows {
                let values = &row.values[range.clone()];
                for ((sum, &v), &m) in chunk.dosage_sum.iter_mut().zip(values).zip(missing) {
                    if !m {
                        *sum += v;
                    }
                }
                for &(k, w) in &row.weights {
                    let acc = &mut chunk.sums[k * chunk.len..(k + 1) * chunk.len];
                    for (a, v) in acc.iter_mut().zip(values) {
                        *a += w * v;
                    }
                }
            }
        }
    });
    Ok(fallbacks)
}

/// Decodes one used site and turns each distinct (allele, model) applied to it into
/// per-sample values.
fn contribution(
    ctx: &BatchContext<'_>,
    job: &Job,
    dosages: &mut Dosages,
) -> Result<Contribution, ScoreError> {
    job.payload.decode(dosages)?;
    let sel = ctx.selected;
    let n_sel = sel.len();
    // `selected` is sorted and de-duplicated, so equal lengths mean every sample in order.
    let identity = n_sel == dosages.n_samples();
    let sample = |i: usize| if identity { i } else { sel[i] };
    let raw_ploidy = dosages.ploidy();
    // plink2's ploidy conventions: it imports a haploid call as a homozygous diploid one,
    // then scores chrY and MT as haploid. So a haploid call elsewhere counts twice (a male's
    // chrX "1" is dosage 2 of 2), and a diploid call on Y/MT counts half.
    let haploid_chrom = job.site.chrom.is_haploid();
    let scale = |p: u8| -> (u8, f64) {
        match (haploid_chrom, p) {
            (false, 1) => (2, 2.0),
            (true, 2) => (1, 0.5),
            (_, p) => (p, 1.0),
        }
    };
    let needs_scale = raw_ploidy
        .iter()
        .any(|&p| (!haploid_chrom && p == 1) || (haploid_chrom && p == 2));
    // The fast path (every sample scored, no ploidy rescaling) reads the decoded rows in
    // place; otherwise the scored samples' values are gathered and rescaled first.
    let direct = identity && !needs_scale;
    let gather = |row: &[f64]| -> Vec<f64> {
        (0..n_sel)
            .map(|i| {
                let s = sample(i);
                if needs_scale {
                    row[s] * scale(raw_ploidy[s]).1
                } else {
                    row[s]
                }
            })
            .collect()
    };
    let ploidy: Vec<u8> = if direct {
        raw_ploidy.to_vec()
    } else {
        (0..n_sel).map(|i| scale(raw_ploidy[sample(i)]).0).collect()
    };
    let missing: Vec<bool> = if direct {
        dosages.allele(0).iter().map(|x| x.is_nan()).collect()
    } else {
        (0..n_sel).map(|i| dosages.is_missing(sample(i))).collect()
    };
    let any_missing = missing.iter().any(|&m| m);

    // Merge applied rows that share an (allele, model): one plink2 row, several weights.
    // (allele, model, sparse weights as (global score index, weight))
    type Merged = (usize, EffectType, Vec<(usize, f64)>);
    let mut merged: Vec<Merged> = Vec::new();
    for ar in &job.rows {
        let file = &ctx.files[ar.row.file as usize];
        let row = &file.rows[ar.row.row as usize];
        if row.effect_type != EffectType::Additive && haploid_chrom {
            return Err(ScoreError::DomRecHaploid {
                file: file.path.display().to_string(),
                line: row.line,
                chrom: job.site.chrom.to_string(),
            });
        }
        let idx = match merged
            .iter()
            .position(|(a, t, _)| *a == ar.allele && *t == ar.effect_type)
        {
            Some(i) => i,
            None => {
                merged.push((ar.allele, ar.effect_type, Vec::new()));
                merged.len() - 1
            }
        };
        let offset = ctx.score_offset[ar.row.file as usize];
        for (j, &w) in row.weights.iter().enumerate() {
            if w != 0.0 {
                merged[idx].2.push((offset + j, w));
            }
        }
    }

    let mut freq_fallback = false;
    let mut rows = Vec::with_capacity(merged.len());
    for (allele, model, weights) in merged {
        let gathered;
        let d: &[f64] = if direct {
            dosages.allele(allele)
        } else {
            gathered = gather(dosages.allele(allele));
            &gathered
        };
        // One pass: model-transformed dosages of observed calls, and the allele's observed
        // frequency (plink2's imputation frequency when no --read-freq file is given).
        let mut values = vec![0.0; n_sel];
        let (allele_sum, allele_ct) = match model {
            EffectType::Additive => observed_values(&mut values, d, &ploidy, |x| x),
            EffectType::Dominant => observed_values(&mut values, d, &ploidy, |x| x.min(1.0)),
            EffectType::Recessive => {
                observed_values(&mut values, d, &ploidy, |x| (x - 1.0).max(0.0))
            }
        };
        if any_missing && !ctx.options.no_mean_imputation {
            let freq = match ctx
                .options
                .freqs
                .as_ref()
                .and_then(|t| t.get(&job.site, allele_name(&job.site, allele)))
            {
                Some(f) => f,
                None => {
                    freq_fallback |= ctx.options.freqs.is_some();
                    if allele_ct > 0.0 {
                        allele_sum / allele_ct
                    } else {
                        0.0
                    }
                }
            };
            for i in 0..n_sel {
                if missing[i] {
                    values[i] = match model {
                        EffectType::Additive => f64::from(ploidy[i]) * freq,
                        // plink2 imputes freq (not ploidy x freq) under dominant/recessive.
                        EffectType::Dominant | EffectType::Recessive => freq,
                    };
                }
            }
        }
        rows.push(RowValues { values, weights });
    }
    Ok(Contribution {
        ploidy,
        missing,
        rows,
        freq_fallback,
    })
}

/// Writes `model(dosage)` for observed calls (missing ones stay 0) and returns the sum of
/// observed dosages and of their ploidies, for the observed allele frequency.
#[inline]
fn observed_values(
    values: &mut [f64],
    dosage: &[f64],
    ploidy: &[u8],
    model: impl Fn(f64) -> f64,
) -> (f64, f64) {
    let (mut sum, mut count) = (0.0, 0.0);
    for ((v, &x), &p) in values.iter_mut().zip(dosage).zip(ploidy) {
        if !x.is_nan() {
            *v = model(x);
            sum += x;
            count += f64::from(p);
        }
    }
    (sum, count)
}

fn allele_name(site: &Site, allele: usize) -> &str {
    if allele == 0 {
        &site.ref_allele
    } else {
        &site.alt_alleles[allele - 1]
    }
}

/// Counts each score's rows by outcome. Rows of a multi-score file count for each of its
/// scores.
fn summarise(files: &[ScoringFile], matches: &MatchReport) -> Vec<ScoreSummary> {
    let mut out = Vec::new();
    for (f, file) in files.iter().enumerate() {
        for meta in &file.scores {
            let mut s = ScoreSummary {
                score: meta.name.clone(),
                file: file.path.display().to_string(),
                genome_build: meta.genome_build.clone().unwrap_or_else(|| "NR".into()),
                n_not_scorable: file.skipped.len() as u64,
                ..Default::default()
            };
            for r in matches.rows.iter().filter(|r| r.row.file as usize == f) {
                s.n_rows += 1;
                match (r.status, r.exclude) {
                    (MatchStatus::Matched, _) => s.n_matched += 1,
                    (MatchStatus::Excluded, Some(ExcludeReason::Ambiguous)) => {
                        s.n_excluded_ambiguous += 1
                    }
                    (MatchStatus::Excluded, Some(ExcludeReason::Multiallelic)) => {
                        s.n_excluded_multiallelic += 1
                    }
                    (MatchStatus::Excluded, Some(ExcludeReason::StrandFlip)) => {
                        s.n_excluded_strand_flip += 1
                    }
                    (MatchStatus::Excluded, _) => s.n_excluded_duplicate += 1,
                    _ => s.n_unmatched += 1,
                }
            }
            s.match_rate = if s.n_rows == 0 {
                f64::NAN
            } else {
                s.n_matched as f64 / s.n_rows as f64
            };
            out.push(s);
        }
    }
    out
}

/// Fails when a score matched too few of its rows, naming the score and its match rate,
/// and pointing at a genome-build mismatch when that is the likely cause.
fn check_overlap(
    summary: &mut [ScoreSummary],
    min_overlap: f64,
    genotype_build: Option<&'static str>,
) -> Result<(), ScoreError> {
    let mut failures = Vec::new();
    for s in summary.iter_mut() {
        s.pass = s.n_rows == 0 || s.match_rate >= min_overlap;
        if !s.pass {
            let mut msg = format!(
                "score '{}' ({}): only {:.1}% of {} variants matched the genotypes (minimum {:.0}%, --min-overlap)",
                s.score,
                s.file,
                100.0 * s.match_rate,
                s.n_rows,
                100.0 * min_overlap
            );
            let score_build = normalize_build(&s.genome_build);
            match (score_build, genotype_build) {
                (Some(a), Some(b)) if a != b => msg.push_str(&format!(
                    "; the scoring file is on {a} but the genotypes are on {b}: use a scoring file harmonised to {b} (PGS Catalog hmPOS_{b} files) or lift one over"
                )),
                _ if s.match_rate < 0.5 => msg.push_str(&format!(
                    "; so few matches usually means the scoring file (genome build {}) and the genotypes (build {}) are on different genome builds: use a scoring file harmonised to the genotypes' build (PGS Catalog hmPOS files)",
                    s.genome_build,
                    genotype_build.unwrap_or("not stated")
                )),
                _ => {}
            }
            failures.push(msg);
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(ScoreError::Overlap(failures.join("\n")))
    }
}
