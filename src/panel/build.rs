//! Making panels: P+T from GWAS summary statistics (`panel build`), or wrapping existing
//! PGS Catalog scoring files (`panel import`).
//!
//! **P+T** (pruning and thresholding, the paper's way to turn Pan-UKB summary statistics
//! into PRSs at 3 p-value thresholds): each trait's summary statistics are LD-clumped
//! against a genotype reference exactly as plink 1.9 `--clump` does ([`clump`]), with
//! `p1` = the largest threshold; then for every threshold the clump index variants with
//! `p ≤ threshold` become one PGS Catalog scoring file, weighted by their BETA (log-odds
//! for binary traits). All traits are clumped in one pass over the reference.
//!
//! **Tile order.** Traits whose scores correlate should sit next to each other in the
//! genomic image, so that the vision transformer's patches see related traits together.
//! The order is built from the correlation of the traits' association z-scores over the
//! variants both summary statistics report (aligned to one allele): it starts with the
//! trait with the largest sum of |r| to the others, then repeatedly appends the unplaced
//! trait with the largest |r| to the last placed one (ties by input order).
//!
//! The panel directory is written under a temporary name beside its destination and
//! renamed into place, so a failed run leaves nothing behind.
//!
//! [`clump`]: crate::panel::clump

use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::genome::{is_strand_ambiguous, normalize_build};
use crate::io::OpenOptions;
use crate::panel::clump::{self, ClumpOptions};
use crate::panel::manifest::{
    check_id, Manifest, Provenance, ScoreEntry, TraitEntry, MANIFEST_VERSION,
};
use crate::panel::scorefile;
use crate::panel::sumstats::{for_each_sumstat, SumStat, SumstatsFormat};
use crate::panel::PanelError;
use crate::util::fmt_f64;

/// The paper's three p-value thresholds, one per image channel.
pub const DEFAULT_THRESHOLDS: [f64; 3] = [5e-8, 1e-5, 1e-3];
/// Default clumping r² (the usual P+T choice).
pub const DEFAULT_CLUMP_R2: f64 = 0.1;
/// Default clumping window half-width, kb.
pub const DEFAULT_CLUMP_KB: f64 = 250.0;
/// Fewer shared variants than this give two traits a correlation of 0.
const MIN_SHARED_VARIANTS: usize = 3;
/// `genome_build` of a panel whose build nobody declared.
pub const UNKNOWN_BUILD: &str = "unknown";

/// One trait's summary statistics and how the panel names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraitSumstats {
    /// Unique; names the scoring files (see [`check_id`]).
    pub id: String,
    /// Human-readable trait name, written to the manifest and to the scoring files'
    /// `#trait_reported` header.
    pub name: String,
    /// Group of related traits (e.g. `cardiometabolic`) for the manifest, if known.
    pub cluster: Option<String>,
    /// Summary-statistics file of the trait (any format [`SumstatsFormat`] recognises).
    pub path: PathBuf,
}

/// How to build a P+T panel.
#[derive(Clone, Debug, PartialEq)]
pub struct BuildOptions {
    /// Panel name for the manifest (must not be blank; default `panel`).
    pub name: String,
    /// p-value thresholds, one scoring file per trait and threshold.
    pub thresholds: Vec<f64>,
    /// Clumping r² threshold (plink 1.9 `--clump-r2`): a variant joins a clump when its r² with
    /// the index variant exceeds this. Default [`DEFAULT_CLUMP_R2`].
    pub clump_r2: f64,
    /// Clumping window half-width in kb (plink 1.9 `--clump-kb`). Default [`DEFAULT_CLUMP_KB`].
    pub clump_kb: f64,
    /// Reference samples to compute LD from (default: all).
    pub ld_samples: Option<Vec<String>>,
    /// Overrides the LD reference's declared build.
    pub genome_build: Option<String>,
    /// Worker threads (default: the global pool).
    pub threads: Option<usize>,
    /// Show progress on stderr.
    pub progress: bool,
    /// Replace a non-empty output directory.
    pub force: bool,
}

impl Default for BuildOptions {
    fn default() -> BuildOptions {
        BuildOptions {
            name: "panel".into(),
            thresholds: DEFAULT_THRESHOLDS.to_vec(),
            clump_r2: DEFAULT_CLUMP_R2,
            clump_kb: DEFAULT_CLUMP_KB,
            ld_samples: None,
            genome_build: None,
            threads: None,
            progress: false,
            force: false,
        }
    }
}

/// What building found for one trait.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraitReport {
    /// The trait's id, as in [`TraitSumstats::id`].
    pub id: String,
    /// The layout its summary statistics were recognised as.
    pub format: SumstatsFormat,
    /// Usable rows read.
    pub n_rows: u64,
    /// Rows skipped for a missing effect or p-value.
    pub n_missing: u64,
    /// plink2 rows of other tests than ADD.
    pub n_other_tests: u64,
    /// Rows with p at or below the largest threshold.
    pub n_candidates: usize,
    /// Of those, rows not in the LD reference (never clumped, never in a score).
    pub n_absent: usize,
    /// Clumps (index variants at the largest threshold).
    pub n_clumps: usize,
}

/// A built panel and what building it found.
#[derive(Clone, Debug)]
pub struct BuildReport {
    /// The manifest written to the panel directory.
    pub manifest: Manifest,
    /// One report per trait, in input order.
    pub traits: Vec<TraitReport>,
    /// The LD reference, as "path (format), N samples".
    pub ld_reference: String,
    /// Reference samples LD was computed from.
    pub n_ld_samples: usize,
    /// Reference variants whose genotypes were loaded.
    pub n_ld_variants: usize,
}

/// The file-name label of a threshold: `5e-8`, `1e-3`.
pub fn threshold_label(threshold: f64) -> String {
    format!("{threshold:e}")
}

/// Builds a P+T panel from summary statistics into `out_dir`.
pub fn build_panel(
    traits: &[TraitSumstats],
    ld_ref: &Path,
    open: &OpenOptions,
    options: &BuildOptions,
    out_dir: &Path,
) -> Result<BuildReport, PanelError> {
    // Check everything before reading anything large.
    let thresholds = checked_thresholds(&options.thresholds)?;
    let p1 = *thresholds.last().expect("checked non-empty");
    let clump_options = ClumpOptions {
        p1,
        p2: p1,
        r2: options.clump_r2,
        kb: options.clump_kb,
    };
    clump_options.validate()?;
    check_traits(traits.iter().map(|t| (t.id.as_str(), t.path.as_path())))?;
    if options.name.trim().is_empty() {
        return Err(PanelError::Options("the panel name is empty".into()));
    }
    check_out_dir(out_dir, options.force)?;
    if let Some(0) = options.threads {
        return Err(PanelError::Options("threads must be at least 1".into()));
    }
    match options.threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| PanelError::Options(format!("cannot start {n} threads: {e}")))?
            .install(|| {
                build_inner(
                    traits,
                    ld_ref,
                    open,
                    options,
                    &thresholds,
                    &clump_options,
                    out_dir,
                )
            }),
        None => build_inner(
            traits,
            ld_ref,
            open,
            options,
            &thresholds,
            &clump_options,
            out_dir,
        ),
    }
}

/// One trait's summary statistics as building keeps them.
struct TraitInput {
    /// Rows with p ≤ p1, plus the lowest-p row when none is.
    rows: Vec<SumStat>,
    /// (variant key, z aligned to the key's first allele), sorted by key, one per key.
    z: Vec<(u64, f32)>,
    format: SumstatsFormat,
    n_rows: u64,
    n_missing: u64,
    n_other_tests: u64,
}

fn build_inner(
    traits: &[TraitSumstats],
    ld_ref: &Path,
    open: &OpenOptions,
    options: &BuildOptions,
    thresholds: &[f64],
    clump_options: &ClumpOptions,
    out_dir: &Path,
) -> Result<BuildReport, PanelError> {
    let p1 = clump_options.p1;
    let bar = progress_bar(
        options.progress,
        traits.len() as u64,
        "reading summary statistics",
    );
    let inputs: Vec<TraitInput> = traits
        .par_iter()
        .map(|t| {
            let input = read_trait(&t.path, p1);
            bar.inc(1);
            input
        })
        .collect::<Result<_, _>>()?;
    bar.finish_and_clear();

    let rows: Vec<&[SumStat]> = inputs.iter().map(|i| i.rows.as_slice()).collect();
    let run = clump::clump_traits(
        ld_ref,
        open,
        options.ld_samples.as_deref(),
        &rows,
        clump_options,
        options.progress,
    )?;

    let build = options
        .genome_build
        .as_deref()
        .map(|b| normalize_build(b).map_or_else(|| b.to_string(), str::to_string))
        .or_else(|| run.genome_build.map(str::to_string))
        .unwrap_or_else(|| UNKNOWN_BUILD.to_string());

    let staging = staging_dir(out_dir)?;
    let bar = progress_bar(
        options.progress,
        traits.len() as u64,
        "writing scoring files",
    );
    let mut entries = Vec::with_capacity(traits.len());
    let mut reports = Vec::with_capacity(traits.len());
    for ((t, input), clumps) in traits.iter().zip(&inputs).zip(&run.traits) {
        let index: Vec<&SumStat> = clumps.clumps.iter().map(|c| &input.rows[c.index]).collect();
        // A threshold no index variant reaches still gets a scorable file: one
        // zero-weight row at the trait's strongest variant in the reference, preferring
        // one that is not strand-ambiguous (which scoring excludes by default).
        let best = clumps.best_matched.map(|r| &input.rows[r]);
        let ambiguous = |r: &&SumStat| is_strand_ambiguous(&r.effect_allele, &r.other_allele);
        let fallback = index
            .iter()
            .copied()
            .chain(best)
            .find(|r| !ambiguous(r))
            .or_else(|| index.first().copied())
            .or(best)
            .ok_or_else(|| {
                PanelError::invalid(
                    &t.path,
                    format!(
                        "no variant of trait '{}' is in the LD reference {} (check that both use \
                         the same genome build and chromosome names)",
                        t.id,
                        ld_ref.display()
                    ),
                )
            })?;
        let mut scores = Vec::with_capacity(thresholds.len());
        for &th in thresholds {
            let chosen: Vec<&SumStat> = index.iter().copied().filter(|r| r.p <= th).collect();
            let pgs_name = format!("{}_p{}", t.id, threshold_label(th));
            let file = format!("{pgs_name}.txt.gz");
            let path = staging.path().join(&file);
            write_scoring_file(&path, &pgs_name, &t.name, &build, th, &chosen, fallback)
                .map_err(|e| PanelError::io(&path, e))?;
            scores.push(ScoreEntry {
                threshold: Some(th),
                file,
                variants: chosen.len() as u64,
            });
        }
        entries.push(TraitEntry {
            id: t.id.clone(),
            name: t.name.clone(),
            cluster: t.cluster.clone(),
            scores,
        });
        reports.push(TraitReport {
            id: t.id.clone(),
            format: input.format,
            n_rows: input.n_rows,
            n_missing: input.n_missing,
            n_other_tests: input.n_other_tests,
            n_candidates: clumps.n_candidates,
            n_absent: clumps.n_absent,
            n_clumps: clumps.clumps.len(),
        });
        bar.inc(1);
    }
    bar.finish_and_clear();

    let z: Vec<&[(u64, f32)]> = inputs.iter().map(|i| i.z.as_slice()).collect();
    let order = greedy_tile_order(&z_correlations(&z));
    let ld_name = file_name(ld_ref);
    let mut method = format!(
        "P+T: clumping as plink 1.9 --clump (p1={} r2={} kb={}) against ld_ref={ld_name}",
        fmt_f64(p1),
        fmt_f64(clump_options.r2),
        fmt_f64(clump_options.kb),
    );
    if options.ld_samples.is_some() {
        method.push_str(&format!(" ({} samples)", run.n_samples));
    }
    let labels: Vec<String> = thresholds.iter().map(|&t| threshold_label(t)).collect();
    method.push_str(&format!("; thresholds {}", labels.join(",")));
    let manifest = Manifest {
        manifest_version: MANIFEST_VERSION,
        name: options.name.clone(),
        genome_build: build,
        thresholds: thresholds.to_vec(),
        tile_order: order.iter().map(|&i| traits[i].id.clone()).collect(),
        provenance: Provenance {
            tool: tool_version(),
            method,
            sources: traits.iter().map(|t| file_name(&t.path)).collect(),
        },
        traits: entries,
    };
    manifest.write(staging.path())?;
    manifest.validate(staging.path())?;
    publish(staging, out_dir, options.force)?;
    Ok(BuildReport {
        manifest,
        traits: reports,
        ld_reference: run.description,
        n_ld_samples: run.n_samples,
        n_ld_variants: run.n_variants,
    })
}

/// Reads one trait's file, keeping what building needs.
fn read_trait(path: &Path, p1: f64) -> Result<TraitInput, PanelError> {
    let mut rows = Vec::new();
    let mut best: Option<SumStat> = None;
    let mut z = Vec::new();
    let summary = for_each_sumstat(path, |row| {
        if let Some(zv) = row.z() {
            let (key, flipped) = variant_key(&row);
            z.push((key, if flipped { -zv } else { zv } as f32));
        }
        if row.p <= p1 {
            rows.push(row);
        } else if rows.is_empty() && best.as_ref().is_none_or(|b| row.p < b.p) {
            best = Some(row);
        }
        Ok(())
    })?;
    if summary.n_rows == 0 {
        return Err(PanelError::invalid(
            path,
            format!(
                "no usable rows ({} with a missing effect or p-value)",
                summary.n_missing
            ),
        ));
    }
    if rows.is_empty() {
        rows.extend(best);
    }
    // One z per variant: the first row's.
    z.sort_by_key(|&(k, _)| k);
    z.dedup_by_key(|&mut (k, _)| k);
    Ok(TraitInput {
        rows,
        z,
        format: summary.format,
        n_rows: summary.n_rows,
        n_missing: summary.n_missing,
        n_other_tests: summary.n_other_tests,
    })
}

/// A 64-bit key of a variant's locus and unordered allele pair, and whether the row's
/// effect allele is the pair's second allele (its z must be negated to align).
fn variant_key(row: &SumStat) -> (u64, bool) {
    let flipped = row.effect_allele > row.other_allele;
    let (a, b) = if flipped {
        (&row.other_allele, &row.effect_allele)
    } else {
        (&row.effect_allele, &row.other_allele)
    };
    let mut h = DefaultHasher::new();
    row.chrom.as_str().hash(&mut h);
    row.pos.hash(&mut h);
    a.hash(&mut h);
    b.hash(&mut h);
    (h.finish(), flipped)
}

/// Pearson correlations of every pair of traits' aligned z-scores over the variants both
/// report (0 with fewer than 3 shared variants or no variance); 1 on the diagonal.
pub fn z_correlations(z: &[&[(u64, f32)]]) -> Vec<Vec<f64>> {
    let n = z.len();
    let upper: Vec<Vec<f64>> = (0..n)
        .into_par_iter()
        .map(|i| (i + 1..n).map(|j| merge_correlation(z[i], z[j])).collect())
        .collect();
    let mut r = vec![vec![0.0; n]; n];
    for i in 0..n {
        r[i][i] = 1.0;
        for (k, &v) in upper[i].iter().enumerate() {
            let j = i + 1 + k;
            r[i][j] = v;
            r[j][i] = v;
        }
    }
    r
}

/// Correlation over the shared keys of two key-sorted lists.
fn merge_correlation(a: &[(u64, f32)], b: &[(u64, f32)]) -> f64 {
    let (mut i, mut j) = (0, 0);
    let (mut n, mut sx, mut sy, mut sxx, mut syy, mut sxy) = (0usize, 0.0, 0.0, 0.0, 0.0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                let (x, y) = (f64::from(a[i].1), f64::from(b[j].1));
                n += 1;
                sx += x;
                sy += y;
                sxx += x * x;
                syy += y * y;
                sxy += x * y;
                i += 1;
                j += 1;
            }
        }
    }
    if n < MIN_SHARED_VARIANTS {
        return 0.0;
    }
    let nf = n as f64;
    let cov = sxy - sx * sy / nf;
    let vx = sxx - sx * sx / nf;
    let vy = syy - sy * sy / nf;
    if vx <= 0.0 || vy <= 0.0 {
        return 0.0;
    }
    (cov / (vx * vy).sqrt()).clamp(-1.0, 1.0)
}

/// The greedy tile order of a correlation matrix (see the module notes).
pub fn greedy_tile_order(r: &[Vec<f64>]) -> Vec<usize> {
    let n = r.len();
    if n == 0 {
        return Vec::new();
    }
    let strength = |i: usize| -> f64 { (0..n).filter(|&j| j != i).map(|j| r[i][j].abs()).sum() };
    let mut first = 0;
    for i in 1..n {
        if strength(i) > strength(first) {
            first = i;
        }
    }
    let mut placed = vec![false; n];
    let mut order = vec![first];
    placed[first] = true;
    while order.len() < n {
        let last = *order.last().expect("non-empty");
        let mut next: Option<usize> = None;
        for j in (0..n).filter(|&j| !placed[j]) {
            if next.is_none_or(|k| r[last][j].abs() > r[last][k].abs()) {
                next = Some(j);
            }
        }
        let next = next.expect("an unplaced trait remains");
        placed[next] = true;
        order.push(next);
    }
    order
}

/// Writes one P+T scoring file in PGS Catalog format 2.0. With no variant, the file holds
/// one zero-weight row (`fallback`), because scoring files must have a row to be read;
/// its score is 0 for everyone.
fn write_scoring_file(
    path: &Path,
    pgs_name: &str,
    trait_name: &str,
    build: &str,
    threshold: f64,
    rows: &[&SumStat],
    fallback: &SumStat,
) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut w = flate2::write::GzEncoder::new(
        std::io::BufWriter::new(file),
        flate2::Compression::default(),
    );
    let mut sorted: Vec<&SumStat> = rows.to_vec();
    sorted.sort_by(|a, b| (&a.chrom, a.pos).cmp(&(&b.chrom, b.pos)));
    let build = if build == UNKNOWN_BUILD { "NR" } else { build };
    writeln!(
        w,
        "###PGS CATALOG SCORING FILE - see https://www.pgscatalog.org/downloads/#dl_ftp_scoring for additional information"
    )?;
    writeln!(w, "#format_version=2.0")?;
    writeln!(w, "##POLYGENIC SCORE (PGS) INFORMATION")?;
    writeln!(w, "#pgs_id=")?;
    writeln!(w, "#pgs_name={pgs_name}")?;
    writeln!(w, "#trait_reported={trait_name}")?;
    writeln!(w, "#genome_build={build}")?;
    writeln!(w, "#weight_type=beta")?;
    writeln!(w, "#variants_number={}", sorted.len().max(1))?;
    writeln!(
        w,
        "##P+T: LD-clumped index variants with p <= {}",
        fmt_f64(threshold)
    )?;
    let zero_row;
    if sorted.is_empty() {
        writeln!(
            w,
            "##no variant reaches this threshold: one zero-weight row keeps the file scorable"
        )?;
        zero_row = SumStat {
            beta: 0.0,
            ..fallback.clone()
        };
        sorted.push(&zero_row);
    }
    writeln!(
        w,
        "rsID\tchr_name\tchr_position\teffect_allele\tother_allele\teffect_weight"
    )?;
    for r in sorted {
        let id = if r.id.is_empty() { "." } else { r.id.as_str() };
        writeln!(
            w,
            "{id}\t{}\t{}\t{}\t{}\t{}",
            r.chrom,
            r.pos,
            r.effect_allele,
            r.other_allele,
            fmt_f64(r.beta)
        )?;
    }
    w.finish()?.flush()
}

/// Wraps existing PGS Catalog scoring files (raw or harmonised, gzipped or not) into a
/// panel: one trait per file, id = the file's `pgs_id` (else its name without
/// extensions), name = `trait_reported` (else the id); files are copied unchanged, the
/// tile order is the input order, and there are no thresholds. Files that report
/// different genome builds, hold several scores, or share an id are refused.
pub fn import_panel(
    files: &[PathBuf],
    name: &str,
    out_dir: &Path,
    force: bool,
) -> Result<Manifest, PanelError> {
    if files.is_empty() {
        return Err(PanelError::Options("no scoring files to import".into()));
    }
    if name.trim().is_empty() {
        return Err(PanelError::Options("the panel name is empty".into()));
    }
    check_out_dir(out_dir, force)?;
    let mut traits = Vec::with_capacity(files.len());
    let mut builds: Vec<(String, PathBuf)> = Vec::new();
    let mut seen_ids: Vec<(String, PathBuf)> = Vec::new();
    let mut seen_names: HashSet<String> = HashSet::new();
    for path in files {
        let parsed = scorefile::read(path)?;
        if parsed.scores.len() != 1 {
            return Err(PanelError::invalid(
                path,
                format!(
                    "holds {} scores ({}); import takes one score per file",
                    parsed.scores.len(),
                    parsed
                        .scores
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let meta = &parsed.scores[0];
        let id = meta.pgs_id.clone().unwrap_or_else(|| stem(path));
        check_id(&id).map_err(|m| PanelError::invalid(path, m))?;
        if let Some((_, first)) = seen_ids.iter().find(|(i, _)| *i == id) {
            return Err(PanelError::invalid(
                path,
                format!(
                    "trait id '{id}' is also the id of {}; ids must be unique",
                    first.display()
                ),
            ));
        }
        seen_ids.push((id.clone(), path.clone()));
        if let Some(b) = &meta.genome_build {
            let b = normalize_build(b).map_or_else(|| b.clone(), str::to_string);
            if let Some((other, other_path)) = builds.iter().find(|(x, _)| *x != b) {
                return Err(PanelError::invalid(
                    path,
                    format!(
                        "genome build {b} differs from {other} of {}; a panel has one build \
                         (use harmonised files of one build, e.g. *_hmPOS_GRCh38)",
                        other_path.display()
                    ),
                ));
            }
            builds.push((b, path.clone()));
        }
        let file = file_name(path);
        if !seen_names.insert(file.clone()) {
            return Err(PanelError::invalid(
                path,
                format!("another input file is also named {file}; rename one"),
            ));
        }
        traits.push((
            path.clone(),
            TraitEntry {
                id: id.clone(),
                name: meta.trait_reported.clone().unwrap_or(id),
                cluster: None,
                scores: vec![ScoreEntry {
                    threshold: None,
                    file,
                    variants: parsed.rows.len() as u64,
                }],
            },
        ));
    }
    let staging = staging_dir(out_dir)?;
    for (path, entry) in &traits {
        let dest = staging.path().join(&entry.scores[0].file);
        std::fs::copy(path, &dest).map_err(|e| PanelError::io(path, e))?;
    }
    let manifest = Manifest {
        manifest_version: MANIFEST_VERSION,
        name: name.to_string(),
        genome_build: builds
            .first()
            .map_or_else(|| UNKNOWN_BUILD.to_string(), |(b, _)| b.clone()),
        thresholds: Vec::new(),
        tile_order: traits.iter().map(|(_, t)| t.id.clone()).collect(),
        provenance: Provenance {
            tool: tool_version(),
            method: "imported PGS Catalog scoring files".into(),
            sources: files.iter().map(|p| file_name(p)).collect(),
        },
        traits: traits.into_iter().map(|(_, t)| t).collect(),
    };
    manifest.write(staging.path())?;
    manifest.validate(staging.path())?;
    publish(staging, out_dir, force)?;
    Ok(manifest)
}

/// The trait id a file gives by default: its name without directory and without the
/// extensions summary-statistics and scoring files carry (`t2d.tsv.gz` → `t2d`,
/// `ldl.PHENO1.glm.linear` → `ldl.PHENO1`).
pub fn stem(path: &Path) -> String {
    const EXTENSIONS: [&str; 14] = [
        ".gz",
        ".bgz",
        ".zst",
        ".tsv",
        ".txt",
        ".csv",
        ".ssf",
        ".hybrid",
        ".linear",
        ".logistic",
        ".firth",
        ".glm",
        ".gwas",
        ".sumstats",
    ];
    let mut s = file_name(path);
    loop {
        let lower = s.to_ascii_lowercase();
        match EXTENSIONS
            .iter()
            .find(|e| lower.ends_with(*e) && s.len() > e.len())
        {
            Some(e) => s.truncate(s.len() - e.len()),
            None => return s,
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn tool_version() -> String {
    format!("medgem-prs {}", env!("CARGO_PKG_VERSION"))
}

/// Thresholds sorted ascending; refuses none, duplicates, and values outside (0, 1].
fn checked_thresholds(thresholds: &[f64]) -> Result<Vec<f64>, PanelError> {
    if thresholds.is_empty() {
        return Err(PanelError::Options("no p-value thresholds given".into()));
    }
    let mut t = thresholds.to_vec();
    if let Some(bad) = t.iter().find(|&&x| !(x > 0.0 && x <= 1.0)) {
        return Err(PanelError::Options(format!(
            "p-value threshold {bad} is not in (0, 1]"
        )));
    }
    t.sort_by(f64::total_cmp);
    if let Some(w) = t.windows(2).find(|w| w[0] == w[1]) {
        return Err(PanelError::Options(format!(
            "p-value threshold {} is given twice",
            w[0]
        )));
    }
    Ok(t)
}

/// Refuses invalid or duplicate trait ids and missing files.
fn check_traits<'a>(traits: impl Iterator<Item = (&'a str, &'a Path)>) -> Result<(), PanelError> {
    let mut seen: Vec<(&str, &Path)> = Vec::new();
    for (id, path) in traits {
        check_id(id).map_err(|m| PanelError::invalid(path, m))?;
        if let Some((_, first)) = seen.iter().find(|(i, _)| *i == id) {
            return Err(PanelError::invalid(
                path,
                format!(
                    "trait id '{id}' is also the id of {}; give one of them another id with ID=FILE",
                    first.display()
                ),
            ));
        }
        if !path.is_file() {
            return Err(PanelError::io(
                path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            ));
        }
        seen.push((id, path));
    }
    if seen.is_empty() {
        return Err(PanelError::Options("no summary statistics given".into()));
    }
    Ok(())
}

/// Refuses an output path that is a file, or a non-empty directory unless `force`.
fn check_out_dir(out_dir: &Path, force: bool) -> Result<(), PanelError> {
    if out_dir.exists() {
        if !out_dir.is_dir() {
            return Err(PanelError::invalid(
                out_dir,
                "exists and is not a directory",
            ));
        }
        let mut entries = std::fs::read_dir(out_dir).map_err(|e| PanelError::io(out_dir, e))?;
        if entries.next().is_some() && !force {
            return Err(PanelError::invalid(
                out_dir,
                "exists and is not empty; use --force to replace it",
            ));
        }
    }
    Ok(())
}

/// A temporary directory beside `out_dir`, to be renamed into place.
fn staging_dir(out_dir: &Path) -> Result<tempfile::TempDir, PanelError> {
    let parent = match out_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| PanelError::io(&parent, e))?;
    tempfile::Builder::new()
        .prefix(&format!(".{}.", file_name(out_dir)))
        .suffix(".tmp")
        .tempdir_in(&parent)
        .map_err(|e| PanelError::io(&parent, e))
}

/// Moves the finished staging directory to `out_dir`, replacing an existing one (which
/// [`check_out_dir`] allowed) only after the new one is complete.
fn publish(staging: tempfile::TempDir, out_dir: &Path, force: bool) -> Result<(), PanelError> {
    check_out_dir(out_dir, force)?;
    let io = |e| PanelError::io(out_dir, e);
    if !out_dir.exists() {
        let src = staging.keep();
        return std::fs::rename(&src, out_dir).map_err(|e| {
            let _ = std::fs::remove_dir_all(&src);
            io(e)
        });
    }
    // Move the old directory aside, move the new one in, then delete the old one.
    let parent = staging
        .path()
        .parent()
        .expect("staging has a parent")
        .to_path_buf();
    let old = tempfile::Builder::new()
        .prefix(&format!(".{}.old.", file_name(out_dir)))
        .tempdir_in(&parent)
        .map_err(|e| PanelError::io(&parent, e))?;
    let old_path = old.keep();
    std::fs::remove_dir(&old_path).map_err(|e| PanelError::io(&old_path, e))?;
    std::fs::rename(out_dir, &old_path).map_err(io)?;
    let src = staging.keep();
    if let Err(e) = std::fs::rename(&src, out_dir) {
        let _ = std::fs::rename(&old_path, out_dir);
        let _ = std::fs::remove_dir_all(&src);
        return Err(io(e));
    }
    std::fs::remove_dir_all(&old_path).map_err(|e| PanelError::io(&old_path, e))
}

fn progress_bar(enabled: bool, len: u64, message: &'static str) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} traits {msg} {elapsed_precise}")
            .expect("valid template"),
    );
    bar.set_message(message);
    bar
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genome::Chrom;

    fn stat(pos: u64, ea: &str, oa: &str, beta: f64, se: f64) -> SumStat {
        SumStat {
            chrom: Chrom::parse("1"),
            pos,
            id: format!("rs{pos}"),
            effect_allele: ea.into(),
            other_allele: oa.into(),
            beta,
            se: Some(se),
            p: 0.5,
            eaf: None,
            n: None,
        }
    }

    fn zs(rows: &[SumStat]) -> Vec<(u64, f32)> {
        let mut v: Vec<(u64, f32)> = rows
            .iter()
            .map(|r| {
                let (k, f) = variant_key(r);
                let z = r.z().unwrap();
                (k, if f { -z } else { z } as f32)
            })
            .collect();
        v.sort_by_key(|&(k, _)| k);
        v
    }

    #[test]
    fn z_correlation_aligns_alleles() {
        let a: Vec<SumStat> = (1..=20)
            .map(|i| stat(i, "A", "G", (i as f64).sin(), 0.1))
            .collect();
        // The same effects reported for the other allele: perfectly correlated.
        let b: Vec<SumStat> = (1..=20)
            .map(|i| stat(i, "G", "A", -(i as f64).sin(), 0.1))
            .collect();
        // Unrelated effects, and only 2 variants shared with a.
        let c: Vec<SumStat> = (19..=40)
            .map(|i| stat(i, "A", "G", (i as f64 * 7.3).cos(), 0.1))
            .collect();
        let (za, zb, zc) = (zs(&a), zs(&b), zs(&c));
        let r = z_correlations(&[&za, &zb, &zc]);
        assert!((r[0][1] - 1.0).abs() < 1e-6, "{r:?}");
        assert_eq!(r[0][2], 0.0);
        assert_eq!(r[1][0], r[0][1]);
        assert_eq!(r[2][2], 1.0);
    }

    #[test]
    fn greedy_order_chains_correlated_traits() {
        // 0-2 strongly, 2-3 next, 1 weakly to all.
        let r = vec![
            vec![1.0, 0.1, 0.9, 0.2],
            vec![0.1, 1.0, 0.1, 0.05],
            vec![0.9, 0.1, 1.0, -0.6],
            vec![0.2, 0.05, -0.6, 1.0],
        ];
        // Sums of |r|: 1.2, 0.25, 1.6, 0.85 → start at 2, then 0 (0.9), then 3 (0.2), then 1.
        assert_eq!(greedy_tile_order(&r), vec![2, 0, 3, 1]);
        assert_eq!(greedy_tile_order(&[vec![1.0]]), vec![0]);
        // Ties go to input order.
        let flat = vec![
            vec![1.0, 0.0, 0.0],
            vec![0.0, 1.0, 0.0],
            vec![0.0, 0.0, 1.0],
        ];
        assert_eq!(greedy_tile_order(&flat), vec![0, 1, 2]);
    }

    #[test]
    fn stems_and_labels() {
        assert_eq!(stem(Path::new("/x/t2d.tsv.gz")), "t2d");
        assert_eq!(stem(Path::new("ldl.PHENO1.glm.linear")), "ldl.PHENO1");
        assert_eq!(stem(Path::new("a.glm.logistic.hybrid")), "a");
        assert_eq!(stem(Path::new(".gz")), ".gz");
        assert_eq!(threshold_label(5e-8), "5e-8");
        assert_eq!(threshold_label(1e-3), "1e-3");
        assert_eq!(threshold_label(0.05), "5e-2");
    }

    #[test]
    fn thresholds_are_checked_and_sorted() {
        assert_eq!(checked_thresholds(&[1e-3, 5e-8]).unwrap(), vec![5e-8, 1e-3]);
        assert!(checked_thresholds(&[]).is_err());
        assert!(checked_thresholds(&[0.0]).is_err());
        assert!(checked_thresholds(&[1.5]).is_err());
        let e = checked_thresholds(&[1e-3, 1e-3]).unwrap_err().to_string();
        assert!(e.contains("given twice"), "{e}");
    }

    #[test]
    fn zero_variant_files_stay_scorable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t_p5e-8.txt.gz");
        let top = stat(1234, "A", "G", 0.7, 0.1);
        write_scoring_file(&path, "t_p5e-8", "Trait", "GRCh37", 5e-8, &[], &top).unwrap();
        let parsed = scorefile::read(&path).unwrap();
        assert_eq!(parsed.kind, scorefile::ScoringFileKind::PgsCatalog);
        assert_eq!(parsed.scores[0].name, "t_p5e-8");
        assert_eq!(parsed.scores[0].trait_reported.as_deref(), Some("Trait"));
        assert_eq!(parsed.scores[0].genome_build.as_deref(), Some("GRCh37"));
        assert_eq!(parsed.rows.len(), 1);
        assert_eq!(parsed.rows[0].weights, vec![0.0]);
        assert_eq!(parsed.rows[0].pos, Some(1234));
    }

    #[test]
    fn scoring_files_are_sorted_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt.gz");
        let a = stat(300, "C", "T", -0.25, 0.1);
        let b = stat(100, "A", "G", 1e-7, 0.1);
        write_scoring_file(&path, "t_p1e-3", "T", UNKNOWN_BUILD, 1e-3, &[&a, &b], &a).unwrap();
        let parsed = scorefile::read(&path).unwrap();
        assert_eq!(parsed.scores[0].genome_build, None);
        let got: Vec<(Option<u64>, &str, Vec<f64>)> = parsed
            .rows
            .iter()
            .map(|r| (r.pos, r.effect_allele.as_str(), r.weights.clone()))
            .collect();
        assert_eq!(
            got,
            vec![(Some(100), "A", vec![1e-7]), (Some(300), "C", vec![-0.25])]
        );
    }

    #[test]
    fn out_dir_rules() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("panel");
        check_out_dir(&out, false).unwrap();
        std::fs::create_dir(&out).unwrap();
        check_out_dir(&out, false).unwrap();
        std::fs::write(out.join("old.txt"), "x").unwrap();
        let e = check_out_dir(&out, false).unwrap_err().to_string();
        assert!(e.contains("not empty"), "{e}");
        check_out_dir(&out, true).unwrap();
        // Publishing with force replaces the old contents.
        let staging = staging_dir(&out).unwrap();
        std::fs::write(staging.path().join("new.txt"), "y").unwrap();
        publish(staging, &out, true).unwrap();
        assert!(out.join("new.txt").exists() && !out.join("old.txt").exists());
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary directories are left");
    }
}
