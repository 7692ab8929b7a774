//! LD clumping of summary statistics against a genotype reference, as plink 1.9 `--clump`
//! does it.
//!
//! The procedure and every detail below follow plink 1.9's `clump_reports()`
//! (`1.9/plink_ld.c` in github.com/chrchang/plink-ng) and were checked against the
//! `plink1.9` binary (v1.90b6.26):
//!
//! * **Index variants** are the variants with `p ≤ p1`, taken by ascending p. Ties in p
//!   are broken by the variants' order in the LD reference (plink's "determinism fix",
//!   June 2021), not by their order in the summary statistics.
//! * **Clump members.** Each index variant claims every variant on its chromosome within
//!   the window that no earlier clump has claimed and whose r² with it exceeds `r2`
//!   (strictly). A claimed variant can neither join another clump nor become an index
//!   variant later, whatever its own p. plink lists a member only when its `p < p2`
//!   (strictly), so `p2` changes the member lists, never the index variants; like plink,
//!   `p2` may not be below `p1`.
//! * **The window** reaches `kb × 1000 − 1` bases to each side: plink stores
//!   `--clump-kb 250` as a radius of 249,999 bp, so a variant exactly 250 kb away is
//!   outside it.
//! * **r²** is not the correlation of allele counts. plink phases the pair with the
//!   two-locus EM of `em_phase_hethet_nobase()`: from the 3×3 table of genotype counts
//!   over the samples called at both variants it solves the likelihood cubic for the
//!   double-heterozygote split (the roots from `cubic_real_roots()`), picks the root as
//!   plink does, and returns `r² = D² / (p₁ q₁ p₂ q₂)` from the haplotype frequencies,
//!   with `|D|` below 2⁻⁴⁴ taken as 0. A pair where either variant is monomorphic among
//!   those samples has no r² and never clumps. Samples missing a call at either variant
//!   are left out of that pair only.
//! * **Chromosome X**: haploid (male) calls count one haplotype, not two, as plink's
//!   male correction does; haploid calls elsewhere (Y, MT) count as homozygous diploid
//!   calls, as plink stores them.
//! * **Variants absent from the LD reference** are never clumped and never become index
//!   variants: plink only warns about top variants it cannot find. They are counted in
//!   [`TraitClumps::n_absent`].
//!
//! Genotypes are hard calls, as plink's `.bed` holds: a dosage within 0.1 of an integer
//! (plink2's default `--hard-call-threshold`) is called, anything else is missing. plink
//! 1.9 uses founders only; the genotype readers do not expose pedigrees, so every sample
//! (or those named in `ld_samples`) is used.
//!
//! Summary statistics are matched to reference sites by chromosome, position and alleles
//! (effect/other as REF/ALT or ALT/REF; each ALT of a multi-allelic site is its own
//! variant), and, at the same position, by variant ID when the alleles are spelled
//! differently. The reference is read once, with only the wanted positions decoded, and
//! one chromosome at a time: when the reader moves to the next chromosome, every trait
//! is clumped on the finished one (in parallel over traits) and its genotypes are
//! dropped. Genotypes take 2 bits per sample and variant, so memory is bounded by the
//! wanted variants of one chromosome.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rayon::prelude::*;

use crate::genome::{Chrom, Position};
use crate::io::{self, Dosages, OpenOptions, Payload, SiteFilter};
use crate::panel::sumstats::SumStat;
use crate::panel::PanelError;

/// Sites whose genotypes are decoded together in one parallel batch.
const BATCH_SITES: usize = 256;
/// plink2's default `--hard-call-threshold`: a dosage this close to an integer is called.
const HARD_CALL_THRESHOLD: f64 = 0.1;
/// plink's `EPSILON` (2⁻³⁰): roots closer than this are one root.
const EPSILON: f64 = 1.0 / (1u64 << 30) as f64;
/// plink's `SMALLISH_EPSILON` (2⁻³⁵): tolerance of the cubic's roots at the interval ends.
const SMALLISH_EPSILON: f64 = 1.0 / (1u64 << 35) as f64;
/// plink's `SMALL_EPSILON` (2⁻⁴⁴): a smaller |D| counts as no LD, and `--clump-kb` is
/// scaled by `1 + SMALL_EPSILON` before truncation.
const SMALL_EPSILON: f64 = 1.0 / (1u64 << 44) as f64;
/// Samples per genotype word.
const WORD: usize = 64;

/// The 2-bit genotype codes: ALT allele count, or missing.
const MISSING: u8 = 3;

/// Clumping thresholds, with plink 1.9's names and defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClumpOptions {
    /// Index variants have `p ≤ p1`.
    pub p1: f64,
    /// Members are listed when `p < p2`.
    pub p2: f64,
    /// Variants with r² above this join the index variant's clump.
    pub r2: f64,
    /// Window half-width in kilobases.
    pub kb: f64,
}

impl Default for ClumpOptions {
    /// plink 1.9's defaults: `--clump-p1 1e-4 --clump-p2 1e-2 --clump-r2 0.5
    /// --clump-kb 250`.
    fn default() -> ClumpOptions {
        ClumpOptions {
            p1: 1e-4,
            p2: 1e-2,
            r2: 0.5,
            kb: 250.0,
        }
    }
}

impl ClumpOptions {
    /// Refuses values plink 1.9 refuses.
    pub fn validate(&self) -> Result<(), PanelError> {
        let bad = |m: String| Err(PanelError::Options(m));
        if !(self.p1 > 0.0 && self.p1 <= 1.0) {
            return bad(format!("clump p1 must be in (0, 1], got {}", self.p1));
        }
        if !(self.p2 >= self.p1 && self.p2 <= 1.0) {
            return bad(format!(
                "clump p2 must be between p1 ({}) and 1, got {}",
                self.p1, self.p2
            ));
        }
        if !(0.0..1.0).contains(&self.r2) {
            return bad(format!("clump r2 must be in [0, 1), got {}", self.r2));
        }
        if !(self.kb >= 0.001 && self.kb.is_finite()) {
            return bad(format!("clump kb must be at least 0.001, got {}", self.kb));
        }
        Ok(())
    }

    /// The window radius in bases: plink's `(int32_t)(kb * 1000 * (1 + SMALL_EPSILON) - 1)`.
    pub fn radius_bp(&self) -> Position {
        let bp = self.kb * 1000.0;
        if bp > f64::from(i32::MAX) {
            return 0x7fff_fffe;
        }
        (bp * (1.0 + SMALL_EPSILON) - 1.0).max(0.0) as Position
    }

    /// The largest p-value that can matter: rows above it need no genotypes.
    pub fn p_max(&self) -> f64 {
        self.p1.max(self.p2)
    }
}

/// One clump: an index variant and the variants it claimed with `p < p2`. Both are row
/// numbers into the trait's rows given to [`clump_traits`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clump {
    /// Row of the index variant: the lowest-p unclaimed row with `p ≤ p1`.
    pub index: usize,
    /// Rows the index variant claimed (in the window, r² > `r2`) whose own `p < p2`, in
    /// reference position order; claimed rows with larger p are absorbed but not listed, as in
    /// plink's `.clumped` `SP2` column.
    pub members: Vec<usize>,
}

/// The clumps of one trait, by ascending index p.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraitClumps {
    /// The trait's clumps, ascending by index p (ties in LD-reference order).
    pub clumps: Vec<Clump>,
    /// Rows with `p ≤ p1` (index candidates).
    pub n_candidates: usize,
    /// Rows with `p ≤ p1` that match no reference variant: never clumped.
    pub n_absent: usize,
    /// Rows that matched a reference variant another row of the same trait matched with a
    /// lower p (duplicate rows): only the lowest-p row is used, as plink uses the lowest p
    /// of a variant's entries.
    pub n_duplicates: usize,
    /// The lowest-p row that matched a reference variant, if any.
    pub best_matched: Option<usize>,
}

/// What a clumping run did.
#[derive(Clone, Debug)]
pub struct ClumpRun {
    /// One per trait, in the order given.
    pub traits: Vec<TraitClumps>,
    /// The reference's genome build, when it declares one.
    pub genome_build: Option<&'static str>,
    /// Reference samples used for LD.
    pub n_samples: usize,
    /// Reference variants whose genotypes were loaded.
    pub n_variants: usize,
    /// "path (format), N samples", for messages.
    pub description: String,
}

/// Hard-called genotypes of one chromosome's wanted reference variants, 2 bits per
/// sample (plus a haploid bit plane on chromosome X), for r² between any two of them.
#[derive(Clone, Debug)]
pub struct LdBlock {
    chrom: Chrom,
    n_samples: usize,
    words: usize,
    /// Bit planes per variant: low bit, high bit, and on X the haploid mask.
    planes: usize,
    pos: Vec<Position>,
    data: Vec<u64>,
}

impl LdBlock {
    /// An empty block for `chrom` over `n_samples` reference samples; on chromosome X each
    /// variant gets a third bit plane marking haploid (male) calls.
    pub fn new(chrom: Chrom, n_samples: usize) -> LdBlock {
        let planes = if chrom.is_x() { 3 } else { 2 };
        LdBlock {
            chrom,
            n_samples,
            words: n_samples.div_ceil(WORD),
            planes,
            pos: Vec::new(),
            data: Vec::new(),
        }
    }

    /// Chromosome every variant of the block is on.
    pub fn chrom(&self) -> &Chrom {
        &self.chrom
    }

    /// Number of variants pushed so far.
    pub fn len(&self) -> usize {
        self.pos.len()
    }

    /// True when no variant has been pushed.
    pub fn is_empty(&self) -> bool {
        self.pos.is_empty()
    }

    /// 1-based position of variant number `variant` of the block.
    pub fn pos(&self, variant: usize) -> Position {
        self.pos[variant]
    }

    /// Adds a variant from the dosages of its counted allele and the samples' ploidies
    /// (hard-called; see the module notes). Returns its number in the block.
    pub fn push_dosages(&mut self, pos: Position, dosage: &[f64], ploidy: &[u8]) -> usize {
        assert_eq!(dosage.len(), self.n_samples);
        let v = self.push_empty(pos);
        let planes = encode(dosage, ploidy, self.words, self.planes);
        self.fill(v, &planes);
        v
    }

    fn push_empty(&mut self, pos: Position) -> usize {
        self.pos.push(pos);
        self.data
            .resize(self.data.len() + self.planes * self.words, 0);
        self.pos.len() - 1
    }

    fn fill(&mut self, variant: usize, planes: &[u64]) {
        let stride = self.planes * self.words;
        self.data[variant * stride..(variant + 1) * stride].copy_from_slice(planes);
    }

    fn plane(&self, variant: usize, plane: usize) -> &[u64] {
        let start = (variant * self.planes + plane) * self.words;
        &self.data[start..start + self.words]
    }

    /// plink 1.9's clumping r² between `index` and `other` (see the module notes), or
    /// `None` when either is monomorphic over the samples called at both.
    pub fn r2(&self, index: usize, other: usize) -> Option<f64> {
        let (a_lo, a_hi) = (self.plane(index, 0), self.plane(index, 1));
        let (b_lo, b_hi) = (self.plane(other, 0), self.plane(other, 1));
        // counts[3 * i + j]: index in class i, other in class j, where class 0 is two
        // copies of the counted (ALT) allele, 1 heterozygous, 2 none: plink's order for
        // a .bed whose A1 is the ALT allele.
        let mut counts = [0u64; 9];
        let mut male = [0u64; 4];
        let haploid = (self.planes == 3).then(|| self.plane(index, 2));
        for w in 0..self.words {
            let a = classes(a_lo[w], a_hi[w]);
            let b = classes(b_lo[w], b_hi[w]);
            for i in 0..3 {
                for j in 0..3 {
                    counts[3 * i + j] += u64::from((a[i] & b[j]).count_ones());
                }
            }
            if let Some(h) = haploid {
                let m = h[w];
                male[0] += u64::from((a[0] & b[0] & m).count_ones());
                male[1] += u64::from((a[0] & b[2] & m).count_ones());
                male[2] += u64::from((a[2] & b[0] & m).count_ones());
                male[3] += u64::from((a[2] & b[2] & m).count_ones());
            }
        }
        let c = |k: usize| counts[k] as f64;
        let mut known = [
            2.0 * c(0) + c(1) + c(3),
            2.0 * c(2) + c(1) + c(5),
            2.0 * c(6) + c(3) + c(7),
            2.0 * c(8) + c(5) + c(7),
        ];
        if haploid.is_some() {
            // A haploid call was stored as a homozygous diploid one: count it once.
            for (k, m) in known.iter_mut().zip(male) {
                *k -= m as f64;
            }
        }
        let f = em_phase(known, counts[4])?;
        let expected = f.freq1x * f.freqx1;
        let d = f.freq11 - expected;
        if d.abs() < SMALL_EPSILON {
            return Some(0.0);
        }
        Some(d * d / (expected * f.freq2x * f.freqx2))
    }
}

/// Masks of the samples with two, one and no copies of the counted allele.
#[inline]
fn classes(lo: u64, hi: u64) -> [u64; 3] {
    [!lo & hi, lo & !hi, !lo & !hi]
}

/// Hard calls of one variant as bit planes (low bit, high bit, [haploid]); padding
/// samples are missing.
fn encode(dosage: &[f64], ploidy: &[u8], words: usize, planes: usize) -> Vec<u64> {
    let mut out = vec![0u64; planes * words];
    for w in 0..words {
        let mut lo = 0u64;
        let mut hi = 0u64;
        let mut hap = 0u64;
        for bit in 0..WORD {
            let s = w * WORD + bit;
            let code = if s < dosage.len() {
                if ploidy[s] == 1 {
                    hap |= 1 << bit;
                }
                hard_call(dosage[s], ploidy[s])
            } else {
                MISSING
            };
            lo |= u64::from(code & 1) << bit;
            hi |= u64::from(code >> 1) << bit;
        }
        out[w] = lo;
        out[words + w] = hi;
        if planes == 3 {
            out[2 * words + w] = hap;
        }
    }
    out
}

/// The 2-bit code of one call: the allele count (a haploid call counts as homozygous, as
/// in a `.bed`), or [`MISSING`] for a missing call, a dosage further than
/// [`HARD_CALL_THRESHOLD`] from an integer, or a ploidy other than 1 or 2.
fn hard_call(dosage: f64, ploidy: u8) -> u8 {
    if dosage.is_nan() {
        return MISSING;
    }
    let r = dosage.round();
    if (dosage - r).abs() > HARD_CALL_THRESHOLD {
        return MISSING;
    }
    match (ploidy, r as i64) {
        (2, n @ 0..=2) => n as u8,
        (1, n @ 0..=1) => 2 * n as u8,
        _ => MISSING,
    }
}

/// Haplotype frequencies from the two-locus EM.
#[derive(Clone, Copy, Debug)]
struct Phased {
    freq1x: f64,
    freq2x: f64,
    freqx1: f64,
    freqx2: f64,
    freq11: f64,
}

/// The maximum-likelihood haplotype frequencies given the known haplotype counts
/// (`known` = 11, 12, 21, 22) and the number of double heterozygotes, following plink
/// 1.9's `em_phase_hethet()` step by step so that r² near a threshold falls on the same
/// side. `None` when a variant is monomorphic over the counted samples.
fn em_phase(known: [f64; 4], hethet: u64) -> Option<Phased> {
    let [k11, k12, k21, k22] = known;
    let center = hethet as f64;
    let twice_total = k11 + k12 + k21 + k22 + 2.0 * center;
    if twice_total == 0.0 {
        return None;
    }
    let recip = 1.0 / twice_total;
    let (f11, f12, f21, f22) = (k11 * recip, k12 * recip, k21 * recip, k22 * recip);
    let prod_1122 = f11 * f22;
    let prod_1221 = f12 * f21;
    let half = center * recip;
    let freq1x = f11 + f12 + half;
    let freq2x = 1.0 - freq1x;
    let freqx1 = f11 + f21 + half;
    let freqx2 = 1.0 - freqx1;
    if hethet == 0 {
        if prod_1122 == 0.0 && prod_1221 == 0.0 {
            return None;
        }
        return Some(Phased {
            freq1x,
            freq2x,
            freqx1,
            freqx2,
            freq11: f11,
        });
    }
    // Candidate values of the share of double heterozygotes phased as 11/22.
    let mut candidates: Vec<f64> = Vec::with_capacity(3);
    if prod_1122 != 0.0 || prod_1221 != 0.0 {
        let roots = cubic_real_roots(
            0.5 * (f11 + f22 - f12 - f21 - 3.0 * half),
            0.5 * (prod_1122 + prod_1221 + half * (f12 + f21 - f11 - f22 + half)),
            -0.5 * half * prod_1122,
        );
        let mut end = roots.len();
        while end > 0 && roots[end - 1] > half + SMALLISH_EPSILON {
            end -= 1;
        }
        let mut start = 0;
        while start < end && roots[start] < -SMALLISH_EPSILON {
            start += 1;
        }
        if start == end {
            // The root lost to rounding is a double root at an interval end.
            candidates.extend([0.0, half]);
        } else {
            candidates.extend_from_slice(&roots[start..end]);
            let last = candidates.len() - 1;
            candidates[0] = candidates[0].max(0.0);
            candidates[last] = candidates[last].min(half);
        }
    } else {
        let xx = f11 + f22;
        let xy = f12 + f21;
        candidates.push(0.0);
        if xx + SMALLISH_EPSILON < half + xy && xy + SMALLISH_EPSILON < half + xx {
            candidates.push((half + xy - xx) * 0.5);
        }
        candidates.push(half);
    }
    // plink keeps the first candidate unless a later one beats the *first* one's
    // likelihood (its running best is never updated), so the last such candidate wins.
    let lnlike = |incr: f64| {
        let (g11, g22) = (f11 + incr, f22 + incr);
        let (g12, g21) = (f12 + half - incr, f21 + half - incr);
        let mut l = center * (g11 * g22 + g12 * g21).ln();
        for (k, g) in [(k11, g11), (k12, g12), (k21, g21), (k22, g22)] {
            if k != 0.0 {
                l += k * g.ln();
            }
        }
        l
    };
    let mut best = candidates[0];
    if candidates.len() > 1 {
        let first = lnlike(best);
        for &c in &candidates[1..] {
            if lnlike(c) > first {
                best = c;
            }
        }
    }
    Some(Phased {
        freq1x,
        freq2x,
        freqx1,
        freqx2,
        freq11: f11 + best,
    })
}

/// The distinct real roots of `x³ + a x² + b x + c`, ascending (plink's
/// `cubic_real_roots()`: the trigonometric method for three real roots, Cardano's
/// otherwise, with roots closer than [`EPSILON`] merged).
fn cubic_real_roots(a: f64, b: f64, c: f64) -> Vec<f64> {
    let a2 = a * a;
    let q = (a2 - 3.0 * b) * (1.0 / 9.0);
    let r = (2.0 * a2 * a - 9.0 * a * b + 27.0 * c) * (1.0 / 54.0);
    let r2 = r * r;
    let q3 = q * q * q;
    let a_third = a * (1.0 / 3.0);
    if r2 < q3 {
        let sq = q.sqrt();
        let theta = (r / (q * sq)).acos() * (1.0 / 3.0);
        let m = -2.0 * sq;
        const THIRD_TURN: f64 = 2.0 * std::f64::consts::PI / 3.0;
        let mut s = [
            m * theta.cos() - a_third,
            m * (theta + THIRD_TURN).cos() - a_third,
            m * (theta - THIRD_TURN).cos() - a_third,
        ];
        s.sort_by(f64::total_cmp);
        if s[1] - s[0] < EPSILON {
            return if s[2] - s[0] < EPSILON {
                vec![s[0]]
            } else {
                vec![s[0], s[2]]
            };
        }
        return if s[2] - s[1] < EPSILON {
            vec![s[0], s[1]]
        } else {
            s.to_vec()
        };
    }
    let mut u = -(r.abs() + (r2 - q3).sqrt()).powf(1.0 / 3.0);
    if u == 0.0 {
        return vec![-a_third];
    }
    if r < 0.0 {
        u = -u;
    }
    let v = q / u;
    let root = u + v - a_third;
    if (u - v).abs() >= EPSILON * 8.0 {
        return vec![root];
    }
    let double = -u - a_third;
    if u >= 0.0 {
        vec![double, root]
    } else {
        vec![root, double]
    }
}

/// Clumps one trait's rows on one chromosome block.
///
/// `cands` are (block variant, row) pairs for the rows that matched a variant of this
/// block. Returns the clumps (index p ascending) and the number of rows dropped as
/// duplicates of a lower-p row on the same variant.
pub fn clump_block(
    rows: &[SumStat],
    cands: &[(usize, usize)],
    block: &LdBlock,
    options: &ClumpOptions,
) -> (Vec<Clump>, usize) {
    // One row per variant: the lowest p, then the first row.
    let mut by_variant: HashMap<usize, usize> = HashMap::with_capacity(cands.len());
    let mut duplicates = 0;
    for &(v, row) in cands {
        match by_variant.get_mut(&v) {
            Some(kept) => {
                duplicates += 1;
                if rows[row].p < rows[*kept].p || (rows[row].p == rows[*kept].p && row < *kept) {
                    *kept = row;
                }
            }
            None => {
                by_variant.insert(v, row);
            }
        }
    }
    // Variants in reference order (position, then file order).
    let mut vars: Vec<(usize, usize)> = by_variant.into_iter().collect();
    vars.sort_by_key(|&(v, _)| (block.pos(v), v));
    let radius = options.radius_bp();
    let mut order: Vec<usize> = (0..vars.len())
        .filter(|&k| rows[vars[k].1].p <= options.p1)
        .collect();
    // Ascending p; ties in reference order, which `vars` already is.
    order.sort_by(|&x, &y| {
        rows[vars[x].1]
            .p
            .total_cmp(&rows[vars[y].1].p)
            .then(x.cmp(&y))
    });
    let mut claimed = vec![false; vars.len()];
    let mut clumps = Vec::new();
    for k in order {
        if claimed[k] {
            continue;
        }
        claimed[k] = true;
        let (iv, irow) = vars[k];
        let centre = block.pos(iv);
        let lo = vars.partition_point(|&(v, _)| block.pos(v) < centre.saturating_sub(radius));
        let hi = vars.partition_point(|&(v, _)| block.pos(v) <= centre.saturating_add(radius));
        let mut members = Vec::new();
        for j in lo..hi {
            if claimed[j] {
                continue;
            }
            let (jv, jrow) = vars[j];
            if block.r2(iv, jv).is_some_and(|r2| r2 > options.r2) {
                claimed[j] = true;
                if rows[jrow].p < options.p2 {
                    members.push(jrow);
                }
            }
        }
        clumps.push(Clump {
            index: irow,
            members,
        });
    }
    (clumps, duplicates)
}

/// Which ALT allele (0-based) of a site a row's alleles name, in either orientation.
fn allele_match(row: &SumStat, reference: &str, alts: &[String]) -> Option<usize> {
    let (e, o) = (row.effect_allele.as_str(), row.other_allele.as_str());
    alts.iter().position(|alt| {
        let alt = alt.to_ascii_uppercase();
        let r = reference.to_ascii_uppercase();
        (e == r && o == alt) || (e == alt && o == r)
    })
}

/// A site waiting in a decode batch: its payload and the block variants it fills (one
/// per matched ALT allele).
struct Pending {
    payload: Box<dyn Payload>,
    fills: Vec<(usize, usize)>,
}

/// Clumps several traits' summary statistics against one LD reference, reading it once.
///
/// `traits[t]` are trait `t`'s rows; rows above `options.p_max()` are never needed and
/// may be left out by the caller to save memory (they change nothing). `ld_samples`
/// restricts LD to those reference samples. Returns one [`TraitClumps`] per trait, with
/// row numbers into `traits[t]`.
pub fn clump_traits(
    reference: &Path,
    open: &OpenOptions,
    ld_samples: Option<&[String]>,
    traits: &[&[SumStat]],
    options: &ClumpOptions,
    progress: bool,
) -> Result<ClumpRun, PanelError> {
    options.validate()?;
    let mut source = io::open(reference, open)?;
    let path = source.path().to_path_buf();
    let ids = source.sample_ids();
    let keep: Option<Vec<usize>> = match ld_samples {
        None => None,
        Some(wanted) => {
            let at: HashMap<&str, usize> = ids
                .iter()
                .enumerate()
                .map(|(i, s)| (s.as_str(), i))
                .collect();
            let unknown: Vec<&str> = wanted
                .iter()
                .filter(|s| !at.contains_key(s.as_str()))
                .map(|s| s.as_str())
                .collect();
            if !unknown.is_empty() {
                return Err(PanelError::invalid(
                    &path,
                    format!(
                        "{} of the {} LD sample ids are not samples of the reference (e.g. '{}')",
                        unknown.len(),
                        wanted.len(),
                        unknown[0]
                    ),
                ));
            }
            let mut idx: Vec<usize> = wanted.iter().map(|s| at[s.as_str()]).collect();
            idx.sort_unstable();
            idx.dedup();
            Some(idx)
        }
    };
    let n_samples = keep.as_ref().map_or(ids.len(), |k| k.len());
    if n_samples == 0 {
        return Err(PanelError::invalid(&path, "no samples to compute LD from"));
    }
    let description = format!(
        "{} ({}), {} samples",
        path.display(),
        source.format_name(),
        ids.len()
    );

    // Wanted rows by locus.
    let p_max = options.p_max();
    let mut wanted: HashMap<(Chrom, Position), Vec<(u32, u32)>> = HashMap::new();
    for (t, rows) in traits.iter().enumerate() {
        for (r, row) in rows.iter().enumerate() {
            if row.p <= p_max {
                wanted
                    .entry((row.chrom.clone(), row.pos))
                    .or_default()
                    .push((t as u32, r as u32));
            }
        }
    }
    // Each trait's lowest-p row is loaded too, so that a trait with no index variant
    // still reports a reference variant ([`TraitClumps::best_matched`]).
    for (t, rows) in traits.iter().enumerate() {
        if let Some((r, row)) = rows
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.p.total_cmp(&b.1.p))
        {
            if row.p > p_max {
                wanted
                    .entry((row.chrom.clone(), row.pos))
                    .or_default()
                    .push((t as u32, r as u32));
            }
        }
    }
    let filter = SiteFilter::all().with_positions(wanted.keys().cloned());

    let bar = crate::util::spinner(progress);
    let mut results: Vec<TraitClumps> = traits.iter().map(|_| TraitClumps::default()).collect();
    let mut matched: Vec<Vec<bool>> = traits.iter().map(|r| vec![false; r.len()]).collect();
    let mut block_cands: Vec<Vec<(usize, usize)>> = vec![Vec::new(); traits.len()];
    let mut block: Option<LdBlock> = None;
    let mut done: HashSet<Chrom> = HashSet::new();
    let mut pending: Vec<Pending> = Vec::new();
    let mut n_variants = 0usize;
    let mut n_sites = 0u64;

    let finish_block = |block: LdBlock,
                        block_cands: &mut Vec<Vec<(usize, usize)>>,
                        results: &mut Vec<TraitClumps>| {
        let out: Vec<(Vec<Clump>, usize)> = block_cands
            .par_iter()
            .enumerate()
            .map(|(t, cands)| clump_block(traits[t], cands, &block, options))
            .collect();
        for (t, (clumps, dups)) in out.into_iter().enumerate() {
            results[t].clumps.extend(clumps);
            results[t].n_duplicates += dups;
            block_cands[t].clear();
        }
    };

    loop {
        let next = source.next_site(&filter)?;
        let chrom_changed = match (&next, &block) {
            (Some(site), Some(b)) => site.chrom != *b.chrom(),
            (None, Some(_)) => true,
            _ => false,
        };
        if pending.len() >= BATCH_SITES || (chrom_changed && !pending.is_empty()) {
            let b = block.as_mut().expect("pending sites belong to a block");
            decode_batch(std::mem::take(&mut pending), b, keep.as_deref())?;
        }
        if chrom_changed {
            let b = block.take().expect("checked");
            n_variants += b.len();
            done.insert(b.chrom().clone());
            finish_block(b, &mut block_cands, &mut results);
        }
        let Some(site) = next else { break };
        n_sites += 1;
        if n_sites.is_multiple_of(1024) {
            bar.set_message(format!(
                "LD reference: {n_sites} wanted sites read, chromosome {}",
                site.chrom
            ));
        }
        if block.is_none() {
            if done.contains(&site.chrom) {
                return Err(PanelError::invalid(
                    &path,
                    format!(
                        "{}: chromosome {} appears again after other chromosomes; clumping needs \
                         a reference whose variants are grouped by chromosome (sort it, e.g. with \
                         bcftools sort or plink2 --sort-vars)",
                        source.location(),
                        site.chrom
                    ),
                ));
            }
            block = Some(LdBlock::new(site.chrom.clone(), n_samples));
        }
        let Some(rows_here) = wanted.get(&(site.chrom.clone(), site.pos)) else {
            continue;
        };
        let b = block.as_mut().expect("just made");
        // Which ALT allele each row names, by alleles or else by ID.
        let mut slots: Vec<(usize, usize)> = Vec::new(); // (alt index, block variant)
        for &(t, r) in rows_here {
            let (t, r) = (t as usize, r as usize);
            if matched[t][r] {
                continue;
            }
            let row = &traits[t][r];
            let alt = allele_match(row, &site.ref_allele, &site.alt_alleles).or_else(|| {
                (row.id != "." && row.id == site.id && site.alt_alleles.len() == 1).then_some(0)
            });
            let Some(alt) = alt else { continue };
            let v = match slots.iter().find(|&&(a, _)| a == alt) {
                Some(&(_, v)) => v,
                None => {
                    let v = b.push_empty(site.pos);
                    slots.push((alt, v));
                    v
                }
            };
            matched[t][r] = true;
            block_cands[t].push((v, r));
        }
        if !slots.is_empty() {
            pending.push(Pending {
                payload: source.payload()?,
                fills: slots,
            });
        }
    }
    bar.finish_and_clear();

    for (t, rows) in traits.iter().enumerate() {
        let res = &mut results[t];
        res.n_candidates = rows.iter().filter(|r| r.p <= options.p1).count();
        res.n_absent = rows
            .iter()
            .zip(&matched[t])
            .filter(|(r, &m)| r.p <= options.p1 && !m)
            .count();
        res.best_matched = (0..rows.len())
            .filter(|&r| matched[t][r])
            .min_by(|&a, &b| rows[a].p.total_cmp(&rows[b].p).then(a.cmp(&b)));
        res.clumps.sort_by(|a, b| {
            rows[a.index]
                .p
                .total_cmp(&rows[b.index].p)
                .then(a.index.cmp(&b.index))
        });
    }
    Ok(ClumpRun {
        traits: results,
        genome_build: source.genome_build(),
        n_samples,
        n_variants,
        description,
    })
}

/// Decodes a batch of sites in parallel and stores their hard calls in the block.
fn decode_batch(
    batch: Vec<Pending>,
    block: &mut LdBlock,
    keep: Option<&[usize]>,
) -> Result<(), PanelError> {
    let words = block.words;
    let planes = block.planes;
    let encoded: Vec<Vec<(usize, Vec<u64>)>> = batch
        .into_par_iter()
        .map_init(Dosages::new, |d, p| {
            p.payload.decode(d)?;
            let mut out = Vec::with_capacity(p.fills.len());
            let mut dose = Vec::new();
            let mut ploidy = Vec::new();
            for &(alt, v) in &p.fills {
                let all = d.allele(alt + 1);
                dose.clear();
                ploidy.clear();
                match keep {
                    Some(k) => {
                        dose.extend(k.iter().map(|&s| all[s]));
                        ploidy.extend(k.iter().map(|&s| d.ploidy()[s]));
                    }
                    None => {
                        dose.extend_from_slice(all);
                        ploidy.extend_from_slice(d.ploidy());
                    }
                }
                out.push((v, encode(&dose, &ploidy, words, planes)));
            }
            Ok(out)
        })
        .collect::<Result<_, PanelError>>()?;
    for (v, planes) in encoded.into_iter().flatten() {
        block.fill(v, &planes);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_from(calls: &[(Position, Vec<f64>)]) -> LdBlock {
        let n = calls[0].1.len();
        let mut b = LdBlock::new(Chrom::parse("1"), n);
        for (pos, d) in calls {
            b.push_dosages(*pos, d, &vec![2; n]);
        }
        b
    }

    fn row(pos: Position, p: f64) -> SumStat {
        SumStat {
            chrom: Chrom::parse("1"),
            pos,
            id: format!("v{pos}"),
            effect_allele: "A".into(),
            other_allele: "G".into(),
            beta: 0.1,
            se: Some(0.1),
            p,
            eaf: None,
            n: None,
        }
    }

    /// Allele counts with `n` samples whose values cycle through `pattern`.
    fn genotypes(pattern: &[f64], n: usize) -> Vec<f64> {
        (0..n).map(|i| pattern[i % pattern.len()]).collect()
    }

    #[test]
    fn hard_calls_follow_plink2_threshold() {
        assert_eq!(hard_call(0.05, 2), 0);
        assert_eq!(hard_call(1.08, 2), 1);
        assert_eq!(hard_call(1.2, 2), MISSING);
        assert_eq!(hard_call(f64::NAN, 2), MISSING);
        assert_eq!(hard_call(1.0, 1), 2);
        assert_eq!(hard_call(0.5, 1), MISSING);
        assert_eq!(hard_call(2.0, 3), MISSING);
    }

    #[test]
    fn identical_variants_have_r2_one_and_monomorphic_none() {
        let g = genotypes(&[0.0, 1.0, 2.0, 1.0, 0.0], 100);
        let b = block_from(&[(10, g.clone()), (20, g), (30, vec![0.0; 100])]);
        assert!((b.r2(0, 1).unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(b.r2(0, 2), None);
    }

    /// A pair of variants with double heterozygotes, whose haplotype r² (the EM solution)
    /// differs from the squared correlation of allele counts. The expected values come
    /// from plink 1.9 (v1.90b6.26) on these genotypes: `--clump-verbose` reports RSQ
    /// 0.313, `--ld A B` R-sq = 0.312931 (the same EM), while `--r2` (allele-count
    /// correlation) reports 0.319614.
    #[test]
    fn em_r2_differs_from_count_correlation() {
        // 3x3 table (rows: A 2/1/0 copies, cols: B 2/1/0 copies).
        let table = [[10, 5, 1], [6, 20, 4], [2, 7, 15]];
        let mut a = Vec::new();
        let mut bv = Vec::new();
        for (i, r) in table.iter().enumerate() {
            for (j, &k) in r.iter().enumerate() {
                for _ in 0..k {
                    a.push(2.0 - i as f64);
                    bv.push(2.0 - j as f64);
                }
            }
        }
        let b = block_from(&[(1, a.clone()), (2, bv.clone())]);
        let em = b.r2(0, 1).unwrap();
        let n = a.len() as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / n, bv.iter().sum::<f64>() / n);
        let cov: f64 = a.iter().zip(&bv).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
        let vb: f64 = bv.iter().map(|y| (y - mb).powi(2)).sum();
        let count_r2 = cov * cov / (va * vb);
        assert!((em - 0.312931).abs() < 5e-7, "em {em}");
        assert!((count_r2 - 0.319614).abs() < 5e-7, "count {count_r2}");
        // Symmetric in the two variants.
        assert!((b.r2(1, 0).unwrap() - em).abs() < 1e-12);
    }

    #[test]
    fn missing_calls_leave_the_pair_only() {
        let g = genotypes(&[0.0, 1.0, 2.0, 1.0], 40);
        let mut h = g.clone();
        // Garbage at samples missing in h must not matter.
        let mut g2 = g.clone();
        for i in (0..40).step_by(5) {
            h[i] = f64::NAN;
            g2[i] = 2.0 - g2[i];
        }
        let b = block_from(&[(1, g2), (2, h)]);
        assert!((b.r2(0, 1).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn cubic_roots_are_found_and_merged() {
        // (x-1)(x-2)(x-3) = x³ - 6x² + 11x - 6
        let r = cubic_real_roots(-6.0, 11.0, -6.0);
        assert_eq!(r.len(), 3);
        for (got, want) in r.iter().zip([1.0, 2.0, 3.0]) {
            assert!((got - want).abs() < 1e-9);
        }
        // (x-1)²(x+2) = x³ - 3x + 2: the double root is returned once.
        let r = cubic_real_roots(0.0, -3.0, 2.0);
        assert_eq!(r.len(), 2, "{r:?}");
        assert!((r[0] + 2.0).abs() < 1e-6 && (r[1] - 1.0).abs() < 1e-6);
        // x³ + x + 1 has one real root.
        let r = cubic_real_roots(0.0, 1.0, 1.0);
        assert_eq!(r.len(), 1);
        assert!((r[0].powi(3) + r[0] + 1.0).abs() < 1e-9);
    }

    #[test]
    fn window_excludes_exactly_kb() {
        let opts = ClumpOptions {
            p1: 1e-3,
            p2: 1e-3,
            r2: 0.1,
            kb: 250.0,
        };
        assert_eq!(opts.radius_bp(), 249_999);
        let g = genotypes(&[0.0, 1.0, 2.0, 1.0, 0.0, 2.0], 60);
        // Identical genotypes at -249,999, 0 and +250,000 from the best variant.
        let b = block_from(&[(750_001, g.clone()), (1_000_000, g.clone()), (1_250_000, g)]);
        let rows = vec![
            row(750_001, 1e-6),
            row(1_000_000, 1e-10),
            row(1_250_000, 1e-5),
        ];
        let (clumps, _) = clump_block(&rows, &[(0, 0), (1, 1), (2, 2)], &b, &opts);
        assert_eq!(
            clumps,
            vec![
                Clump {
                    index: 1,
                    members: vec![0]
                },
                Clump {
                    index: 2,
                    members: vec![]
                }
            ]
        );
    }

    #[test]
    fn ties_follow_reference_order_and_claimed_variants_never_lead() {
        let opts = ClumpOptions {
            p1: 1e-3,
            p2: 1e-3,
            r2: 0.5,
            kb: 1000.0,
        };
        let g = genotypes(&[0.0, 1.0, 2.0, 1.0, 0.0, 2.0], 60);
        let other = genotypes(&[2.0, 0.0, 0.0, 1.0, 1.0, 2.0, 0.0], 60);
        // Rows listed in reverse reference order with equal p: the first variant of the
        // reference leads.
        let b = block_from(&[(100, g.clone()), (200, g.clone()), (300, other)]);
        let rows = vec![row(300, 1e-4), row(200, 1e-5), row(100, 1e-5)];
        let (clumps, _) = clump_block(&rows, &[(2, 0), (1, 1), (0, 2)], &b, &opts);
        assert_eq!(
            clumps[0],
            Clump {
                index: 2,
                members: vec![1]
            }
        );
        assert_eq!(clumps.len(), 2);
        assert_eq!(clumps[1].index, 0);
    }

    #[test]
    fn p2_filters_members_not_claims() {
        let opts = ClumpOptions {
            p1: 1e-4,
            p2: 1e-2,
            r2: 0.5,
            kb: 250.0,
        };
        let g = genotypes(&[0.0, 1.0, 2.0, 1.0, 0.0, 2.0], 60);
        let b = block_from(&[(100, g.clone()), (200, g.clone()), (300, g)]);
        // 200 is claimed but not listed (p ≥ p2); 300 is listed.
        let rows = vec![row(100, 1e-8), row(200, 0.5), row(300, 1e-3)];
        let (clumps, _) = clump_block(&rows, &[(0, 0), (1, 1), (2, 2)], &b, &opts);
        assert_eq!(
            clumps,
            vec![Clump {
                index: 0,
                members: vec![2]
            }]
        );
    }

    #[test]
    fn duplicate_rows_keep_the_lowest_p() {
        let opts = ClumpOptions {
            p1: 1e-3,
            p2: 1e-3,
            r2: 0.1,
            kb: 250.0,
        };
        let g = genotypes(&[0.0, 1.0, 2.0], 30);
        let b = block_from(&[(100, g)]);
        let rows = vec![row(100, 1e-4), row(100, 1e-6)];
        let (clumps, dups) = clump_block(&rows, &[(0, 0), (0, 1)], &b, &opts);
        assert_eq!(dups, 1);
        assert_eq!(
            clumps,
            vec![Clump {
                index: 1,
                members: vec![]
            }]
        );
    }

    #[test]
    fn haploid_x_calls_count_one_haplotype() {
        let n = 40;
        let g: Vec<f64> = (0..n).map(|i| [0.0, 1.0, 2.0, 1.0][i % 4]).collect();
        let mut b = LdBlock::new(Chrom::parse("X"), n);
        // Half the samples haploid: their calls are 0 or 1 copies.
        let ploidy: Vec<u8> = (0..n).map(|i| if i < 20 { 1 } else { 2 }).collect();
        let hg: Vec<f64> = g
            .iter()
            .zip(&ploidy)
            .map(|(&d, &p)| if p == 1 { (d / 2.0).round() } else { d })
            .collect();
        b.push_dosages(1, &hg, &ploidy);
        b.push_dosages(2, &hg, &ploidy);
        assert!((b.r2(0, 1).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn options_are_validated() {
        let mut o = ClumpOptions::default();
        assert!(o.validate().is_ok());
        o.p2 = o.p1 / 2.0;
        assert!(o.validate().is_err());
        o = ClumpOptions {
            r2: 1.0,
            ..ClumpOptions::default()
        };
        assert!(o.validate().is_err());
        o = ClumpOptions {
            kb: 0.0,
            ..ClumpOptions::default()
        };
        assert!(o.validate().is_err());
    }
}
