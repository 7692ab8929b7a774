//! The genomic image (ARCHITECTURE.md, "The genomic image") and the tabular features beside it.
//!
//! Med-Gemini-Polygenic (Yang et al., arXiv 2405.03162, 2024) turns a participant's
//! polygenic scores into an image: one 8×8 tile per trait, the 3 RGB channels stacking
//! the scores at 3 p-value thresholds, each pixel in [0, 255]. The encoding runs in three
//! steps, so that large cohorts can be processed in sample chunks:
//!
//! 1. [`panel_scores`] computes the raw linear scores of a panel with plink2 `--score`
//!    arithmetic ([`crate::score::compute`]): per sample, trait, channel and, in
//!    [`FillMode::Regional`], genomic segment ([`regional`]).
//! 2. [`image::fit`] learns per-score means and standard deviations on the training split
//!    ([`image::NormStats`], stored in the model's `config.json`).
//! 3. [`image::render`] standardises the scores and lays the tiles out on the grid
//!    ([`image::ImageLayout`]); [`png`] writes images for people to look at.
//!
//! [`tabular`] standardises the demographics (age, sex, BMI, principal components) that
//! the paper gave beside the image.

pub mod image;
pub mod png;
pub mod regional;
pub mod tabular;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::genome::normalize_build;
use crate::io::GenotypeSource;
use crate::panel::build::threshold_label;
use crate::panel::manifest::Manifest;
use crate::panel::scorefile::{self, ScoreFileError, ScoringFile};
use crate::score::{self, ScoreError, ScoreOptions, ScoreSummary};

/// Channels of an imported panel's image: its traits have one unthresholded score each,
/// which fills all three RGB channels (the paper's image has three).
pub const IMPORTED_CHANNELS: usize = 3;

/// Everything that can stop encoding.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// A scoring file of the panel could not be read or parsed.
    #[error(transparent)]
    ScoreFile(#[from] ScoreFileError),
    /// The linear scorer failed: unreadable genotypes, no samples, or (uniform fill) a
    /// scoring file below `--min-overlap`.
    #[error(transparent)]
    Score(#[from] ScoreError),
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] crate::util::PathIoError),
    /// A panel whose files cannot be laid out as an image.
    #[error("{path}: {message}")]
    Panel {
        /// The panel's manifest, or the scoring file at fault.
        path: PathBuf,
        /// What is wrong (a tile_order id that is no trait, a threshold the panel lacks,
        /// two files for one threshold, a file holding more than one score).
        message: String,
    },
    /// Scores, normalisation statistics and layout that do not belong together (a model
    /// applied to another panel, or a bug in the caller).
    #[error("{0}")]
    Mismatch(String),
    /// Regional fill only: scoring files that matched fewer than `min_overlap` of their
    /// rows (checked once per file, not per segment); one line per file, naming a
    /// genome-build mismatch when that is the likely cause. The uniform fill reports
    /// this as `ScoreError::Overlap` instead.
    #[error("{0}")]
    Overlap(String),
    /// Statistics cannot be fitted on no samples.
    #[error("no samples to fit the normalisation on")]
    NoSamples,
}

impl EncodeError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> EncodeError {
        EncodeError::Io(crate::util::PathIoError {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// How a trait's tile is filled (ARCHITECTURE.md, "The genomic image").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FillMode {
    /// As in the paper: all 64 pixels of a tile hold the trait's score.
    #[default]
    Uniform,
    /// The 64 pixels hold partial scores over 64 genomic segments of the trait's
    /// variants, which together sum to the trait's score ([`regional`]).
    Regional,
}

impl FillMode {
    /// The lowercase name used on the command line and in `config.json`: `uniform` or
    /// `regional`.
    pub fn as_str(self) -> &'static str {
        match self {
            FillMode::Uniform => "uniform",
            FillMode::Regional => "regional",
        }
    }

    /// Score columns per trait and channel: 1, or one per segment.
    pub fn segments(self) -> usize {
        match self {
            FillMode::Uniform => 1,
            FillMode::Regional => regional::SEGMENTS,
        }
    }
}

impl fmt::Display for FillMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FillMode {
    type Err = String;

    fn from_str(s: &str) -> Result<FillMode, String> {
        match s.to_ascii_lowercase().as_str() {
            "uniform" => Ok(FillMode::Uniform),
            "regional" => Ok(FillMode::Regional),
            _ => Err(format!(
                "unknown tile fill mode '{s}' (expected uniform or regional)"
            )),
        }
    }
}

/// Raw linear scores of a panel for a set of samples, ready to be normalised.
///
/// `values` is sample-major: for sample `i`, trait `t` (in tile order), channel `c` and
/// segment `s`, the score sum sits at `values[i * n_columns() + column(t, c, s)]`.
#[derive(Clone, Debug, PartialEq)]
pub struct PanelScores {
    /// Sample ids (`IID`), one per row of `values`, in the genotype source's order.
    pub sample_ids: Vec<String>,
    /// Trait ids in tile order.
    pub traits: Vec<String>,
    /// One label per channel: `p` and the threshold (`p5e-8`), or `c1`..`c3` for the
    /// copies of an imported panel's single score.
    pub channels: Vec<String>,
    /// Whether each trait × channel has one column (uniform) or 64 segment columns
    /// (regional).
    pub mode: FillMode,
    /// Raw score sums (plink2 `SUM`, not standardised), `n_samples × n_columns()` row-major.
    pub values: Vec<f64>,
    /// Match accounting, one entry per scoring file (trait by trait in tile order).
    pub summary: Vec<ScoreSummary>,
}

impl PanelScores {
    /// Samples (rows of `values`).
    pub fn n_samples(&self) -> usize {
        self.sample_ids.len()
    }

    /// Columns per trait and channel: 1 (uniform) or 64 (regional).
    pub fn segments(&self) -> usize {
        self.mode.segments()
    }

    /// Score columns per sample: traits × channels × segments.
    pub fn n_columns(&self) -> usize {
        self.traits.len() * self.channels.len() * self.segments()
    }

    /// Column of trait `t`, channel `c`, segment `s`.
    pub fn column(&self, t: usize, c: usize, s: usize) -> usize {
        (t * self.channels.len() + c) * self.segments() + s
    }

    /// One sample's score columns.
    pub fn row(&self, sample: usize) -> &[f64] {
        let k = self.n_columns();
        &self.values[sample * k..(sample + 1) * k]
    }

    /// Column names: `cad_p5e-8` (threshold), `cad_c1` (imported), with `_s0`..`_s63`
    /// appended per segment in regional mode.
    pub fn column_names(&self) -> Vec<String> {
        column_names(&self.traits, &self.channels, self.mode)
    }

    /// The uniform scores: regional segments summed per trait and channel (what
    /// [`FillMode::Uniform`] would have computed, up to rounding of the additions).
    pub fn to_uniform(&self) -> PanelScores {
        let s = self.segments();
        PanelScores {
            values: self.values.chunks(s).map(|c| c.iter().sum()).collect(),
            mode: FillMode::Uniform,
            ..self.clone()
        }
    }
}

fn column_names(traits: &[String], channels: &[String], mode: FillMode) -> Vec<String> {
    let mut out = Vec::with_capacity(traits.len() * channels.len() * mode.segments());
    for t in traits {
        for c in channels {
            let base = format!("{t}_{c}");
            match mode {
                FillMode::Uniform => out.push(base),
                FillMode::Regional => {
                    out.extend((0..regional::SEGMENTS).map(|s| format!("{base}_s{s}")))
                }
            }
        }
    }
    out
}

/// Where a scoring file's scores go: its trait and the channels it fills.
#[derive(Clone, Debug)]
struct FileSlot {
    trait_index: usize,
    channels: Vec<usize>,
}

/// A panel's scoring files, read once and reusable for every sample chunk.
#[derive(Clone, Debug)]
pub struct PreparedPanel {
    /// Trait ids in tile order (the manifest's `tile_order`).
    pub traits: Vec<String>,
    /// Channel labels, as in `PanelScores::channels`: `p<threshold>` in the manifest's
    /// threshold order, or `c1`..`c3` for an imported panel.
    pub channels: Vec<String>,
    /// The fill the panel was prepared for; in regional mode `files` holds segmented
    /// copies.
    pub mode: FillMode,
    /// What [`crate::score::compute`] runs: the panel's files, or in regional mode their
    /// segmented copies ([`regional::segmented_file`]).
    pub files: Vec<ScoringFile>,
    slots: Vec<FileSlot>,
}

impl PreparedPanel {
    /// Reads every scoring file of `manifest` (which describes `panel_dir`). Channels are
    /// the manifest's thresholds in ascending order; an imported panel (no thresholds)
    /// gets [`IMPORTED_CHANNELS`] channels that all hold each trait's single score. A
    /// trait without a file for some threshold has a score of 0 in that channel.
    pub fn read(
        panel_dir: &Path,
        manifest: &Manifest,
        mode: FillMode,
    ) -> Result<PreparedPanel, EncodeError> {
        let manifest_path = panel_dir.join(crate::panel::manifest::MANIFEST_FILE);
        let bad = |message: String| EncodeError::Panel {
            path: manifest_path.clone(),
            message,
        };
        let imported = manifest.thresholds.is_empty();
        let channels: Vec<String> = if imported {
            (1..=IMPORTED_CHANNELS).map(|c| format!("c{c}")).collect()
        } else {
            manifest
                .thresholds
                .iter()
                .map(|&t| format!("p{}", threshold_label(t)))
                .collect()
        };
        let mut files = Vec::new();
        let mut slots = Vec::new();
        for (t, id) in manifest.tile_order.iter().enumerate() {
            let entry = manifest
                .trait_by_id(id)
                .ok_or_else(|| bad(format!("tile_order names '{id}', which is not a trait")))?;
            if imported && entry.scores.len() != 1 {
                return Err(bad(format!(
                    "trait '{id}' has {} scoring files, but the panel has no thresholds (one score per trait)",
                    entry.scores.len()
                )));
            }
            let mut used = vec![false; channels.len()];
            for score in &entry.scores {
                let slot_channels = match score.threshold {
                    None if imported => (0..IMPORTED_CHANNELS).collect(),
                    None => {
                        return Err(bad(format!(
                            "trait '{id}': {} has no threshold, but the panel is thresholded",
                            score.file
                        )))
                    }
                    Some(th) => match manifest.thresholds.iter().position(|&x| x == th) {
                        Some(c) if !used[c] => vec![c],
                        Some(_) => {
                            return Err(bad(format!(
                                "trait '{id}' has two scoring files for threshold {}",
                                threshold_label(th)
                            )))
                        }
                        None => {
                            return Err(bad(format!(
                            "trait '{id}': threshold {} of {} is not one of the panel's thresholds",
                            threshold_label(th),
                            score.file
                        )))
                        }
                    },
                };
                for &c in &slot_channels {
                    used[c] = true;
                }
                let path = panel_dir.join(&score.file);
                let file = scorefile::read(&path)?;
                if file.scores.len() != 1 {
                    return Err(EncodeError::Panel {
                        path,
                        message: format!(
                            "holds {} scores; a panel's scoring file holds one",
                            file.scores.len()
                        ),
                    });
                }
                files.push(match mode {
                    FillMode::Uniform => file,
                    FillMode::Regional => regional::segmented_file(&file, regional::SEGMENTS),
                });
                slots.push(FileSlot {
                    trait_index: t,
                    channels: slot_channels,
                });
            }
        }
        Ok(PreparedPanel {
            traits: manifest.tile_order.clone(),
            channels,
            mode,
            files,
            slots,
        })
    }

    /// Scores the samples of `source` (or `options.samples`) with every file at once.
    ///
    /// In regional mode the `min_overlap` check is made once per scoring file (its 64
    /// segment scores share one match rate) rather than once per segment.
    pub fn score(
        &self,
        source: &mut dyn GenotypeSource,
        options: &ScoreOptions,
    ) -> Result<PanelScores, EncodeError> {
        let genotype_build = source.genome_build();
        let result = match self.mode {
            FillMode::Uniform => score::compute(source, &self.files, options)?,
            FillMode::Regional => {
                let relaxed = ScoreOptions {
                    min_overlap: 0.0,
                    ..options.clone()
                };
                score::compute(source, &self.files, &relaxed)?
            }
        };
        let segments = self.mode.segments();
        // One summary per file: the first of its scores (all share the file's counts).
        let mut summary = Vec::with_capacity(self.files.len());
        let mut offset = 0;
        for (file, slot) in self.files.iter().zip(&self.slots) {
            let mut s = result.summary[offset].clone();
            offset += file.scores.len();
            if self.mode == FillMode::Regional {
                s.score = regional::original_name(&s.score).to_string();
                s.pass = s.n_rows == 0 || s.match_rate >= options.min_overlap;
            }
            debug_assert!(slot.trait_index < self.traits.len());
            summary.push(s);
        }
        if self.mode == FillMode::Regional {
            check_overlap(&summary, options.min_overlap, genotype_build)?;
        }

        let n = result.sample_ids.len();
        let n_channels = self.channels.len();
        let n_columns = self.traits.len() * n_channels * segments;
        let mut values = vec![0.0; n * n_columns];
        let n_scores = result.n_scores();
        let mut first_score = 0;
        for (file, slot) in self.files.iter().zip(&self.slots) {
            debug_assert_eq!(file.scores.len(), segments);
            for i in 0..n {
                let src = &result.sums[i * n_scores + first_score..][..segments];
                for &c in &slot.channels {
                    let col = (slot.trait_index * n_channels + c) * segments;
                    values[i * n_columns + col..][..segments].copy_from_slice(src);
                }
            }
            first_score += file.scores.len();
        }
        Ok(PanelScores {
            sample_ids: result.sample_ids,
            traits: self.traits.clone(),
            channels: self.channels.clone(),
            mode: self.mode,
            values,
            summary,
        })
    }
}

/// The linear scores of a panel: reads every scoring file of `manifest` and runs
/// [`crate::score::compute`] once for all of them. `options.samples` selects a chunk of
/// samples; to process several chunks, read the panel once with [`PreparedPanel::read`].
///
/// Memory is samples × traits × channels × segments × 8 bytes (regional mode: 64
/// segments), plus, in regional mode, 64 weights per scoring row.
pub fn panel_scores(
    source: &mut dyn GenotypeSource,
    panel_dir: &Path,
    manifest: &Manifest,
    mode: FillMode,
    options: &ScoreOptions,
) -> Result<PanelScores, EncodeError> {
    PreparedPanel::read(panel_dir, manifest, mode)?.score(source, options)
}

/// Refuses scoring files that matched too few of their rows (pgsc_calc's
/// `--min_overlap`), once per file, naming a genome-build mismatch when it is the likely
/// cause.
fn check_overlap(
    summary: &[ScoreSummary],
    min_overlap: f64,
    genotype_build: Option<&'static str>,
) -> Result<(), EncodeError> {
    let mut failures = Vec::new();
    for s in summary.iter().filter(|s| !s.pass) {
        let mut msg = format!(
            "score '{}' ({}): only {:.1}% of {} variants matched the genotypes (minimum {:.0}%, --min-overlap)",
            s.score,
            s.file,
            100.0 * s.match_rate,
            s.n_rows,
            100.0 * min_overlap
        );
        if let (Some(a), Some(b)) = (normalize_build(&s.genome_build), genotype_build) {
            if a != b {
                msg.push_str(&format!(
                    "; the scoring file is on {a} but the genotypes are on {b}"
                ));
            }
        }
        failures.push(msg);
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(EncodeError::Overlap(failures.join("\n")))
    }
}

/// Index of each id, for look-ups by sample or trait id.
pub(crate) fn index_of(ids: &[String]) -> HashMap<&str, usize> {
    ids.iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::io::{self, OpenOptions, SiteFilter};
    use crate::panel::manifest::{Provenance, ScoreEntry, TraitEntry, MANIFEST_VERSION};
    use crate::panel::matching::MatchOptions;
    use crate::rng::Rng;
    use std::io::Write as _;

    pub(crate) fn many_vcf() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/vcf/many.vcf.gz")
    }

    pub(crate) fn options() -> ScoreOptions {
        ScoreOptions {
            matching: MatchOptions {
                keep_ambiguous: false,
                keep_multiallelic: false,
                ignore_strand_flips: false,
            },
            min_overlap: 0.75,
            no_mean_imputation: false,
            freqs: None,
            region: None,
            samples: None,
            progress: false,
        }
    }

    /// (chrom, pos, ref, alt) of every biallelic SNV of `vcf`.
    pub(crate) fn snvs(vcf: &Path) -> Vec<(String, u64, String, String)> {
        let mut src = io::open(vcf, &OpenOptions::default()).unwrap();
        let mut out = Vec::new();
        while let Some(s) = src.next_site(&SiteFilter::all()).unwrap() {
            if s.alt_alleles.len() == 1 && s.ref_allele.len() == 1 && s.alt_alleles[0].len() == 1 {
                out.push((
                    s.chrom.to_string(),
                    s.pos,
                    s.ref_allele.clone(),
                    s.alt_alleles[0].clone(),
                ));
            }
        }
        out
    }

    /// Writes a custom scoring file over `sites` with random weights; a third of the rows
    /// name the REF allele as the effect allele.
    pub(crate) fn write_scorefile(
        path: &Path,
        name: &str,
        sites: &[&(String, u64, String, String)],
        rng: &mut Rng,
    ) {
        let mut f = std::fs::File::create(path).unwrap();
        writeln!(f, "#pgs_name={name}").unwrap();
        writeln!(
            f,
            "chr_name\tchr_position\teffect_allele\tother_allele\teffect_weight"
        )
        .unwrap();
        // Written in reverse genome order: segmentation must sort.
        for (c, p, r, a) in sites.iter().rev() {
            let (ea, oa) = if rng.below(3) == 0 { (r, a) } else { (a, r) };
            writeln!(f, "{c}\t{p}\t{ea}\t{oa}\t{}", rng.normal()).unwrap();
        }
    }

    /// A thresholded panel over many.vcf.gz: trait `a` (1800/600/40 variants at the
    /// three thresholds), `b` (every seventh site, nested likewise) and `c` (one
    /// threshold only); tile order b, c, a.
    pub(crate) fn thresholded_panel(dir: &Path) -> Manifest {
        let sites = snvs(&many_vcf());
        assert!(sites.len() > 5000);
        let thresholds = vec![5e-8, 1e-5, 1e-3];
        let mut rng = Rng::new(7);
        let mut traits = Vec::new();
        let defs: [(&str, usize, usize, &[usize]); 3] = [
            ("a", 3, 0, &[40, 600, 1800]),
            ("b", 7, 1, &[100, 300, 700]),
            ("c", 11, 2, &[0, 0, 400]),
        ];
        for (id, step, offset, counts) in defs {
            let all: Vec<_> = sites.iter().skip(offset).step_by(step).collect();
            let mut scores = Vec::new();
            for (&th, &n) in thresholds.iter().zip(counts) {
                if n == 0 {
                    continue;
                }
                let file = format!("{id}_p{}.txt", threshold_label(th));
                write_scorefile(
                    &dir.join(&file),
                    &format!("{id}_p{}", threshold_label(th)),
                    &all[..n],
                    &mut rng,
                );
                scores.push(ScoreEntry {
                    threshold: Some(th),
                    file,
                    variants: n as u64,
                });
            }
            traits.push(TraitEntry {
                id: id.into(),
                name: format!("trait {id}"),
                cluster: None,
                scores,
            });
        }
        let m = Manifest {
            manifest_version: MANIFEST_VERSION,
            name: "test".into(),
            genome_build: "unknown".into(),
            thresholds,
            tile_order: vec!["b".into(), "c".into(), "a".into()],
            provenance: Provenance::default(),
            traits,
        };
        m.validate(dir).unwrap();
        m
    }

    fn open_many() -> Box<dyn GenotypeSource> {
        io::open(&many_vcf(), &OpenOptions::default()).unwrap()
    }

    /// The whole score of one file, straight from `score::compute`.
    fn whole_score(path: &Path) -> score::ScoreResult {
        let files = vec![scorefile::read(path).unwrap()];
        score::compute(open_many().as_mut(), &files, &options()).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-10 * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn uniform_scores_are_the_files_scores_in_tile_order() {
        let dir = tempfile::tempdir().unwrap();
        let m = thresholded_panel(dir.path());
        let ps = panel_scores(
            open_many().as_mut(),
            dir.path(),
            &m,
            FillMode::Uniform,
            &options(),
        )
        .unwrap();
        assert_eq!(ps.traits, ["b", "c", "a"]);
        assert_eq!(ps.channels, ["p5e-8", "p1e-5", "p1e-3"]);
        assert_eq!(ps.n_samples(), 6);
        assert_eq!(ps.n_columns(), 9);
        assert_eq!(ps.column_names()[0], "b_p5e-8");
        assert_eq!(ps.column_names()[8], "a_p1e-3");
        assert_eq!(ps.summary.len(), 7);
        for (t, id) in ps.traits.iter().enumerate() {
            for (c, label) in ps.channels.iter().enumerate() {
                let path = dir.path().join(format!("{id}_{label}.txt"));
                for i in 0..ps.n_samples() {
                    let got = ps.row(i)[ps.column(t, c, 0)];
                    if path.exists() {
                        let want = whole_score(&path);
                        assert_eq!(want.sample_ids, ps.sample_ids);
                        assert!(close(got, want.sum(i, 0)), "{id} {label} {i}");
                        assert!(got != 0.0);
                    } else {
                        // c has no file at the two strictest thresholds.
                        assert_eq!(got, 0.0, "{id} {label}");
                    }
                }
            }
        }
    }

    #[test]
    fn regional_partial_scores_sum_to_the_whole_score() {
        let dir = tempfile::tempdir().unwrap();
        let m = thresholded_panel(dir.path());
        let reg = panel_scores(
            open_many().as_mut(),
            dir.path(),
            &m,
            FillMode::Regional,
            &options(),
        )
        .unwrap();
        assert_eq!(reg.n_columns(), 3 * 3 * 64);
        assert_eq!(reg.column_names()[64], "b_p1e-5_s0");
        assert_eq!(reg.summary[0].score, "b_p5e-8");
        assert_eq!(reg.summary[0].n_matched, 100);
        let uni = reg.to_uniform();
        let a = reg.traits.iter().position(|t| t == "a").unwrap();
        for (c, label) in reg.channels.iter().enumerate() {
            let path = dir.path().join(format!("a_{label}.txt"));
            let want = whole_score(&path);
            // 40 variants at 5e-8 leave 24 segments empty; 600 and 1800 fill all 64.
            let mut occupied = [false; 64];
            for s in regional::row_segments(&scorefile::read(&path).unwrap(), 64) {
                occupied[s] = true;
            }
            let n_occupied = occupied.iter().filter(|&&o| o).count();
            assert_eq!(n_occupied, if label == "p5e-8" { 40 } else { 64 });
            let mut nonzero = 0;
            for i in 0..reg.n_samples() {
                let parts = &reg.row(i)[reg.column(a, c, 0)..reg.column(a, c, 0) + 64];
                let sum: f64 = parts.iter().sum();
                assert!(
                    close(sum, want.sum(i, 0)),
                    "{label} {i}: {sum} vs {}",
                    want.sum(i, 0)
                );
                assert_eq!(uni.row(i)[uni.column(a, c, 0)], sum);
                for (&x, &o) in parts.iter().zip(&occupied) {
                    assert!(o || x == 0.0, "{label}: an empty segment holds {x}");
                    nonzero += usize::from(x != 0.0);
                }
            }
            assert!(nonzero > n_occupied, "{label}: {nonzero}");
        }
    }

    #[test]
    fn a_segment_is_the_score_of_its_variants() {
        let dir = tempfile::tempdir().unwrap();
        let m = thresholded_panel(dir.path());
        let reg = panel_scores(
            open_many().as_mut(),
            dir.path(),
            &m,
            FillMode::Regional,
            &options(),
        )
        .unwrap();
        // Rewrite segment 37 of a_p1e-3 as a file of its own and score it.
        let path = dir.path().join("a_p1e-3.txt");
        let file = scorefile::read(&path).unwrap();
        let seg = regional::row_segments(&file, regional::SEGMENTS);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        let mut out = format!("{}\n{}\n", lines.next().unwrap(), lines.next().unwrap());
        let mut rows = 0;
        for (line, &s) in lines.zip(&seg) {
            if s == 37 {
                out.push_str(line);
                out.push('\n');
                rows += 1;
            }
        }
        assert!(rows == 28 || rows == 29, "{rows}");
        let part = dir.path().join("part.txt");
        std::fs::write(&part, out).unwrap();
        let want = whole_score(&part);
        let a = reg.traits.iter().position(|t| t == "a").unwrap();
        for i in 0..reg.n_samples() {
            assert!(close(reg.row(i)[reg.column(a, 2, 37)], want.sum(i, 0)));
        }
    }

    #[test]
    fn sample_chunks_give_the_same_rows() {
        let dir = tempfile::tempdir().unwrap();
        let m = thresholded_panel(dir.path());
        let panel = PreparedPanel::read(dir.path(), &m, FillMode::Regional).unwrap();
        let all = panel.score(open_many().as_mut(), &options()).unwrap();
        let chunk = panel
            .score(
                open_many().as_mut(),
                &ScoreOptions {
                    samples: Some(vec!["S4".into(), "S1".into()]),
                    // Imputation frequencies must not depend on the chunk.
                    freqs: None,
                    no_mean_imputation: true,
                    ..options()
                },
            )
            .unwrap();
        assert_eq!(chunk.sample_ids, ["S1", "S4"]);
        let no_impute = panel
            .score(
                open_many().as_mut(),
                &ScoreOptions {
                    no_mean_imputation: true,
                    ..options()
                },
            )
            .unwrap();
        assert_eq!(chunk.row(0), no_impute.row(1));
        assert_eq!(chunk.row(1), no_impute.row(4));
        assert_ne!(all.row(0), no_impute.row(0), "S0 has missing calls");
    }

    #[test]
    fn imported_scores_fill_every_channel() {
        let dir = tempfile::tempdir().unwrap();
        let sites = snvs(&many_vcf());
        let mut rng = Rng::new(3);
        let chosen: Vec<_> = sites.iter().step_by(5).collect();
        write_scorefile(&dir.path().join("x.txt"), "PGSX", &chosen, &mut rng);
        let m = Manifest {
            manifest_version: MANIFEST_VERSION,
            name: "imported".into(),
            genome_build: "unknown".into(),
            thresholds: Vec::new(),
            tile_order: vec!["PGSX".into()],
            provenance: Provenance::default(),
            traits: vec![TraitEntry {
                id: "PGSX".into(),
                name: "x".into(),
                cluster: None,
                scores: vec![ScoreEntry {
                    threshold: None,
                    file: "x.txt".into(),
                    variants: chosen.len() as u64,
                }],
            }],
        };
        m.validate(dir.path()).unwrap();
        for mode in [FillMode::Uniform, FillMode::Regional] {
            let ps = panel_scores(open_many().as_mut(), dir.path(), &m, mode, &options()).unwrap();
            assert_eq!(ps.channels, ["c1", "c2", "c3"]);
            assert_eq!(
                ps.column_names()[0],
                if mode == FillMode::Uniform {
                    "PGSX_c1"
                } else {
                    "PGSX_c1_s0"
                }
            );
            assert_eq!(ps.summary.len(), 1);
            let want = whole_score(&dir.path().join("x.txt"));
            let s = ps.segments();
            for i in 0..ps.n_samples() {
                let row = ps.row(i);
                assert_eq!(row[..s], row[s..2 * s]);
                assert_eq!(row[..s], row[2 * s..]);
                assert!(close(row[..s].iter().sum(), want.sum(i, 0)));
            }
        }
    }

    #[test]
    fn regional_overlap_failure_is_reported_once_per_file() {
        let dir = tempfile::tempdir().unwrap();
        let m = thresholded_panel(dir.path());
        // Half of a_p1e-3's rows now point at positions the genotypes lack.
        let path = dir.path().join("a_p1e-3.txt");
        let text = std::fs::read_to_string(&path).unwrap();
        let moved: Vec<String> = text
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i >= 2 && i % 2 == 0 {
                    let mut f: Vec<&str> = l.split('\t').collect();
                    f[0] = "chr9";
                    f.join("\t")
                } else {
                    l.to_string()
                }
            })
            .collect();
        std::fs::write(&path, moved.join("\n") + "\n").unwrap();
        for mode in [FillMode::Uniform, FillMode::Regional] {
            let e = panel_scores(open_many().as_mut(), dir.path(), &m, mode, &options())
                .unwrap_err()
                .to_string();
            assert_eq!(e.lines().count(), 1, "{e}");
            assert!(e.contains("score 'a_p1e-3'"), "{e}");
            assert!(e.contains("only 50.0% of 1800 variants matched"), "{e}");
        }
        let relaxed = ScoreOptions {
            min_overlap: 0.4,
            ..options()
        };
        let ps = panel_scores(
            open_many().as_mut(),
            dir.path(),
            &m,
            FillMode::Regional,
            &relaxed,
        )
        .unwrap();
        assert!(ps.summary.iter().all(|s| s.pass));
    }

    #[test]
    fn multi_score_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = thresholded_panel(dir.path());
        std::fs::write(
            dir.path().join("a_p1e-3.txt"),
            "ID\teffect_allele\tw1\tw2\n1:100:A:G\tG\t1\t2\n",
        )
        .unwrap();
        let e = PreparedPanel::read(dir.path(), &m, FillMode::Uniform)
            .unwrap_err()
            .to_string();
        assert!(e.contains("a_p1e-3.txt: holds 2 scores"), "{e}");
        m.traits[0].scores[1].threshold = Some(5e-8);
        let e = PreparedPanel::read(dir.path(), &m, FillMode::Uniform)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("trait 'a' has two scoring files for threshold 5e-8"),
            "{e}"
        );
    }

    /// PGS001229_22 on the CINECA chr22 cohort, split into three nested fake thresholds
    /// (every 10th row, every 3rd row, all rows).
    #[test]
    fn regional_sums_on_the_cineca_cohort() {
        let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
        let vcf = shared.join("pgs/cineca_synthetic_subset.vcf.gz");
        let text = std::fs::read_to_string(shared.join("scorefiles/PGS001229_22.txt")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (head, rows): (Vec<&str>, Vec<&str>) = {
            let n_head = text.lines().take_while(|l| l.starts_with('#')).count() + 1;
            let lines: Vec<&str> = text.lines().collect();
            (lines[..n_head].to_vec(), lines[n_head..].to_vec())
        };
        let thresholds = vec![5e-8, 1e-5, 1e-3];
        let mut scores = Vec::new();
        for (&th, step) in thresholds.iter().zip([10, 3, 1]) {
            let file = format!("height_p{}.txt", threshold_label(th));
            let chosen: Vec<&str> = rows.iter().step_by(step).copied().collect();
            std::fs::write(
                dir.path().join(&file),
                format!("{}\n{}\n", head.join("\n"), chosen.join("\n")),
            )
            .unwrap();
            scores.push(ScoreEntry {
                threshold: Some(th),
                file,
                variants: chosen.len() as u64,
            });
        }
        let m = Manifest {
            manifest_version: MANIFEST_VERSION,
            name: "cineca".into(),
            genome_build: "GRCh37".into(),
            thresholds,
            tile_order: vec!["height".into()],
            provenance: Provenance::default(),
            traits: vec![TraitEntry {
                id: "height".into(),
                name: "Standing height".into(),
                cluster: None,
                scores,
            }],
        };
        m.validate(dir.path()).unwrap();
        let open = || io::open(&vcf, &OpenOptions::default()).unwrap();
        let t0 = std::time::Instant::now();
        let reg = panel_scores(
            open().as_mut(),
            dir.path(),
            &m,
            FillMode::Regional,
            &options(),
        )
        .unwrap();
        let t_reg = t0.elapsed();
        let t0 = std::time::Instant::now();
        let uni = panel_scores(
            open().as_mut(),
            dir.path(),
            &m,
            FillMode::Uniform,
            &options(),
        )
        .unwrap();
        eprintln!(
            "cineca: {} samples, regional {:.2?}, uniform {:.2?}",
            reg.n_samples(),
            t_reg,
            t0.elapsed()
        );
        assert_eq!(reg.n_samples(), 2504);
        assert_eq!(reg.sample_ids, uni.sample_ids);
        let summed = reg.to_uniform();
        for i in 0..reg.n_samples() {
            for c in 0..3 {
                let (a, b) = (summed.row(i)[c], uni.row(i)[c]);
                assert!(close(a, b), "sample {i} channel {c}: {a} vs {b}");
            }
        }
        assert!(uni.summary.iter().all(|s| s.n_matched > 0));
        assert_eq!(
            reg.summary.iter().map(|s| s.n_matched).collect::<Vec<_>>(),
            uni.summary.iter().map(|s| s.n_matched).collect::<Vec<_>>()
        );
    }

    #[test]
    fn fill_mode_parses() {
        assert_eq!("Regional".parse::<FillMode>(), Ok(FillMode::Regional));
        assert_eq!("uniform".parse::<FillMode>(), Ok(FillMode::Uniform));
        assert!("tiled"
            .parse::<FillMode>()
            .unwrap_err()
            .contains("uniform or regional"));
        assert_eq!(
            serde_json::to_string(&FillMode::Regional).unwrap(),
            "\"regional\""
        );
    }
}
