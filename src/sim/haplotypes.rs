//! Synthetic haplotypes with realistic allele frequencies and linkage disequilibrium.
//!
//! The model is a two-level copying model in the spirit of HAPGEN (Su, Marchini &
//! Donnelly 2011) and HAPNEST (Wharrie et al. 2023), which build new haplotypes as
//! mosaics of reference haplotypes:
//!
//! 1. **Founders.** `K` founder haplotypes are drawn first. Along each chromosome every
//!    founder carries a few latent Gaussian processes (AR(1) in physical distance, with
//!    correlation `exp(-d / ld_scale)` between positions `d` base pairs apart). A variant
//!    reads one of them: a founder carries the ALT allele when the process lies below the
//!    quantile of the variant's ALT frequency. Close variants on the same process are
//!    therefore in strong LD (nested, as mutations on one genealogy are), and LD decays
//!    with distance.
//! 2. **Cohort.** Each cohort haplotype copies one founder and switches to a random
//!    founder at recombination points, which arrive as a Poisson process in physical
//!    distance (mean spacing `switch_scale`). Copying keeps the founders' LD over short
//!    distances and breaks it over long ones.
//!
//! Every haplotype draws from its own random stream, so blocks are generated in parallel
//! with results identical to a serial run, and a second pass regenerates the same cohort.

use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, Normal};

use crate::genome::{Chrom, Position};
use crate::rng::Rng;

/// GRCh37 autosome lengths in base pairs (the coordinate frame of simulated files).
pub const GRCH37_AUTOSOME_LENGTHS: [u64; 22] = [
    249_250_621,
    243_199_373,
    198_022_430,
    191_154_276,
    180_915_260,
    171_115_067,
    159_138_663,
    146_364_022,
    141_213_431,
    135_534_747,
    135_006_516,
    133_851_895,
    115_169_878,
    107_349_540,
    102_531_392,
    90_354_753,
    81_195_210,
    78_077_248,
    59_128_983,
    63_025_520,
    48_129_895,
    51_304_566,
];

/// Parameters of the haplotype model.
#[derive(Clone, Debug, PartialEq)]
pub struct HaplotypeModel {
    /// Number of founder haplotypes copied from.
    pub founders: usize,
    /// Mean distance between neighbouring variants, in base pairs. Variants fill the start
    /// of each chromosome at this density, so LD does not depend on the variant count.
    pub spacing_bp: f64,
    /// Distance over which founder LD decays by a factor e, in base pairs.
    pub ld_scale_bp: f64,
    /// Mean distance between copying switches of a cohort haplotype, in base pairs.
    pub switch_scale_bp: f64,
    /// Independent latent processes per founder; variants are spread over them.
    pub latent_axes: usize,
    /// Smallest minor allele frequency drawn.
    pub min_maf: f64,
}

impl Default for HaplotypeModel {
    fn default() -> Self {
        HaplotypeModel {
            founders: 256,
            spacing_bp: 10_000.0,
            ld_scale_bp: 200_000.0,
            switch_scale_bp: 1_000_000.0,
            latent_axes: 2,
            min_maf: 0.01,
        }
    }
}

/// The simulated variants, in file order (chromosome 1..22, then position).
#[derive(Clone, Debug, Default)]
pub struct VariantTable {
    /// Chromosome number 1..=22.
    pub chrom: Vec<u8>,
    /// 1-based position on the chromosome (unique within it), in the GRCh37 frame.
    pub pos: Vec<Position>,
    /// REF base as an ASCII byte (`A`, `C`, `G`, `T`; never strand-ambiguous with ALT).
    pub ref_allele: Vec<u8>,
    /// ALT base as an ASCII byte.
    pub alt_allele: Vec<u8>,
    /// ALT allele frequency the founders were drawn with.
    pub alt_freq: Vec<f32>,
    /// Index range of each chromosome's variants (chromosome `c` is entry `c - 1`).
    pub chrom_ranges: Vec<std::ops::Range<usize>>,
}

impl VariantTable {
    /// Variants in the table.
    pub fn len(&self) -> usize {
        self.pos.len()
    }

    /// Whether the table holds no variant.
    pub fn is_empty(&self) -> bool {
        self.pos.is_empty()
    }

    /// `CHR:POS:REF:ALT`, unique because positions are.
    pub fn id(&self, i: usize) -> String {
        format!(
            "{}:{}:{}:{}",
            self.chrom[i], self.pos[i], self.ref_allele[i] as char, self.alt_allele[i] as char
        )
    }

    /// The chromosome of variant `i` as a `Chrom`.
    pub fn chrom_of(&self, i: usize) -> Chrom {
        Chrom::parse(&self.chrom[i].to_string())
    }
}

/// Non-ambiguous SNP allele pairs (REF, ALT): strand-ambiguous A/T and C/G pairs are not
/// simulated, so that default PGS matching (which drops them) keeps every panel variant.
const ALLELE_PAIRS: [(u8, u8); 8] = [
    (b'A', b'C'),
    (b'A', b'G'),
    (b'C', b'A'),
    (b'C', b'T'),
    (b'G', b'A'),
    (b'G', b'T'),
    (b'T', b'C'),
    (b'T', b'G'),
];

/// Lays out `n_variants` over chromosomes 1–22 in proportion to their lengths.
pub fn layout_variants(n_variants: usize, model: &HaplotypeModel, seed: u64) -> VariantTable {
    let total: u64 = GRCH37_AUTOSOME_LENGTHS.iter().sum();
    // Largest-remainder apportionment, with at least one variant per chromosome when possible.
    let mut counts: Vec<usize> = GRCH37_AUTOSOME_LENGTHS
        .iter()
        .map(|&l| (n_variants as u128 * l as u128 / total as u128) as usize)
        .collect();
    let mut assigned: usize = counts.iter().sum();
    let mut c = 0;
    while assigned < n_variants {
        counts[c % 22] += 1;
        assigned += 1;
        c += 1;
    }
    let mut table = VariantTable::default();
    let mut rng = Rng::stream(seed, &[0x7661_7269, 0]); // "vari"
    for (ci, &n) in counts.iter().enumerate() {
        let length = GRCH37_AUTOSOME_LENGTHS[ci];
        let start = table.pos.len();
        // Span that holds n variants at the configured density, capped by the chromosome.
        let span = ((n as f64 * model.spacing_bp) as u64).clamp(n as u64 + 1, length - 1);
        let mut positions: Vec<Position> = Vec::with_capacity(n);
        let mut seen = std::collections::HashSet::with_capacity(n);
        while positions.len() < n {
            let p = 1 + rng.below(span);
            if seen.insert(p) {
                positions.push(p);
            }
        }
        positions.sort_unstable();
        for p in positions {
            let (r, a) = ALLELE_PAIRS[rng.below(ALLELE_PAIRS.len() as u64) as usize];
            // Minor allele frequencies skewed towards rarer variants, as on genotyping
            // arrays after QC; the ALT allele is usually the minor one.
            let maf = model.min_maf + (0.5 - model.min_maf) * rng.uniform().powf(1.5);
            let alt_freq = if rng.bernoulli(0.8) { maf } else { 1.0 - maf };
            table.chrom.push(ci as u8 + 1);
            table.pos.push(p);
            table.ref_allele.push(r);
            table.alt_allele.push(a);
            table.alt_freq.push(alt_freq as f32);
        }
        table.chrom_ranges.push(start..table.pos.len());
    }
    table
}

/// Founder alleles of one chromosome, variant-major: `alleles[v * K + f]` is 0 or 1.
pub struct Founders {
    /// Founder haplotypes (`HaplotypeModel::founders`).
    pub k: usize,
    /// `variants × k` alleles, variant-major: 1 = ALT, 0 = REF.
    pub alleles: Vec<u8>,
}

/// Draws the founders of one chromosome (variants `range` of `table`).
pub fn draw_founders(
    table: &VariantTable,
    range: std::ops::Range<usize>,
    model: &HaplotypeModel,
    seed: u64,
    chrom: u8,
) -> Founders {
    let k = model.founders;
    let axes = model.latent_axes.max(1);
    let std_normal = Normal::new(0.0, 1.0).expect("valid normal");
    let mut rng = Rng::stream(seed, &[0x666f_756e, u64::from(chrom)]); // "foun"
    let mut latent: Vec<f64> = (0..k * axes).map(|_| rng.normal()).collect();
    let mut alleles = vec![0u8; range.len() * k];
    let mut prev_pos = table.pos.get(range.start).copied().unwrap_or(0);
    for (row, v) in range.enumerate() {
        let d = table.pos[v].saturating_sub(prev_pos) as f64;
        prev_pos = table.pos[v];
        let rho = (-d / model.ld_scale_bp).exp();
        let innov = (1.0 - rho * rho).sqrt();
        for u in latent.iter_mut() {
            *u = rho * *u + innov * rng.normal();
        }
        let axis = rng.below(axes as u64) as usize;
        let sign = if rng.bernoulli(0.5) { 1.0 } else { -1.0 };
        let threshold = std_normal.inverse_cdf(f64::from(table.alt_freq[v]));
        let out = &mut alleles[row * k..(row + 1) * k];
        for (f, a) in out.iter_mut().enumerate() {
            *a = u8::from(sign * latent[f * axes + axis] < threshold);
        }
        // Keep every variant polymorphic among the founders.
        let carriers = out.iter().filter(|&&a| a == 1).count();
        if carriers == 0 || carriers == k {
            let f = rng.below(k as u64) as usize;
            out[f] ^= 1;
        }
    }
    Founders { k, alleles }
}

/// The copying state of one cohort haplotype.
#[derive(Clone, Debug)]
struct HapState {
    founder: u16,
    next_switch: f64,
    rng: Rng,
}

/// Generates the cohort's haplotypes for one chromosome, a block of variants at a time.
pub struct MosaicGenerator<'a> {
    table: &'a VariantTable,
    founders: Founders,
    range: std::ops::Range<usize>,
    next: usize,
    states: Vec<HapState>,
    switch_scale: f64,
}

/// Haplotypes per parallel work unit.
const HAP_CHUNK: usize = 2048;

impl<'a> MosaicGenerator<'a> {
    /// Starts chromosome `chrom` for `n_samples` diploid samples.
    pub fn new(
        table: &'a VariantTable,
        chrom: u8,
        n_samples: usize,
        model: &HaplotypeModel,
        seed: u64,
    ) -> MosaicGenerator<'a> {
        let range = table.chrom_ranges[chrom as usize - 1].clone();
        let founders = draw_founders(table, range.clone(), model, seed, chrom);
        let start = table.pos.get(range.start).copied().unwrap_or(0) as f64;
        let k = founders.k as u64;
        let states = (0..2 * n_samples)
            .into_par_iter()
            .map(|h| {
                let mut rng = Rng::stream(seed, &[0x6861_706c, u64::from(chrom), h as u64]);
                let founder = rng.below(k) as u16;
                let next_switch = start + rng.exponential(model.switch_scale_bp);
                HapState {
                    founder,
                    next_switch,
                    rng,
                }
            })
            .collect();
        MosaicGenerator {
            table,
            founders,
            next: range.start,
            range,
            states,
            switch_scale: model.switch_scale_bp,
        }
    }

    /// Index range of the variants the next block will hold.
    pub fn remaining(&self) -> std::ops::Range<usize> {
        self.next..self.range.end
    }

    /// Fills `out` with the next `n` variants (fewer at the chromosome's end), variant-major
    /// with `2 × n_samples` alleles per variant (sample-major, haplotype 0 then 1). Returns
    /// the variant index range produced.
    pub fn next_block(&mut self, n: usize, out: &mut Vec<u8>) -> std::ops::Range<usize> {
        let start = self.next;
        let end = (start + n).min(self.range.end);
        self.next = end;
        let n_haps = self.states.len();
        let rows = end - start;
        out.clear();
        out.resize(rows * n_haps, 0);
        if rows == 0 {
            return start..end;
        }
        let k = self.founders.k;
        let first_row = start - self.range.start;
        let founders = &self.founders.alleles[first_row * k..(first_row + rows) * k];
        let positions = &self.table.pos[start..end];
        let switch_scale = self.switch_scale;
        // Each chunk of haplotypes writes its own (rows × chunk) buffer ...
        let chunks: Vec<Vec<u8>> = self
            .states
            .par_chunks_mut(HAP_CHUNK)
            .map(|states| {
                let width = states.len();
                let mut buf = vec![0u8; rows * width];
                for (r, &pos) in positions.iter().enumerate() {
                    let pos = pos as f64;
                    let frow = &founders[r * k..(r + 1) * k];
                    let orow = &mut buf[r * width..(r + 1) * width];
                    for (o, s) in orow.iter_mut().zip(states.iter_mut()) {
                        while s.next_switch <= pos {
                            s.founder = s.rng.below(k as u64) as u16;
                            s.next_switch += s.rng.exponential(switch_scale);
                        }
                        *o = frow[s.founder as usize];
                    }
                }
                buf
            })
            .collect();
        // ... which are then interleaved into variant-major rows.
        out.par_chunks_mut(n_haps).enumerate().for_each(|(r, row)| {
            let mut at = 0;
            for chunk in &chunks {
                let width = chunk.len() / rows;
                row[at..at + width].copy_from_slice(&chunk[r * width..(r + 1) * width]);
                at += width;
            }
        });
        start..end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r2(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len() as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
        let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
        for (x, y) in a.iter().zip(b) {
            sab += (x - ma) * (y - mb);
            saa += (x - ma) * (x - ma);
            sbb += (y - mb) * (y - mb);
        }
        if saa == 0.0 || sbb == 0.0 {
            return 0.0;
        }
        sab * sab / (saa * sbb)
    }

    /// Dosages (sample-major per variant) of one chromosome.
    fn chromosome_dosages(
        table: &VariantTable,
        chrom: u8,
        n: usize,
        model: &HaplotypeModel,
        seed: u64,
        block: usize,
    ) -> Vec<Vec<f64>> {
        let mut g = MosaicGenerator::new(table, chrom, n, model, seed);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            let r = g.next_block(block, &mut buf);
            if r.is_empty() {
                break;
            }
            for row in buf.chunks(2 * n) {
                out.push(row.chunks(2).map(|h| f64::from(h[0] + h[1])).collect());
            }
        }
        out
    }

    #[test]
    fn layout_is_sorted_unique_and_proportional() {
        let model = HaplotypeModel::default();
        let t = layout_variants(5_000, &model, 11);
        assert_eq!(t.len(), 5_000);
        assert_eq!(t.chrom_ranges.len(), 22);
        for r in &t.chrom_ranges {
            assert!(t.pos[r.clone()].windows(2).all(|w| w[0] < w[1]));
        }
        let c1 = t.chrom_ranges[0].len();
        let c21 = t.chrom_ranges[20].len();
        assert!(c1 > 4 * c21, "chr1 {c1} vs chr21 {c21}");
        assert!(t.alt_freq.iter().all(|&f| f > 0.0 && f < 1.0));
        for i in 0..t.len() {
            assert!(!crate::genome::is_strand_ambiguous(
                &(t.ref_allele[i] as char).to_string(),
                &(t.alt_allele[i] as char).to_string()
            ));
        }
    }

    #[test]
    fn generation_is_deterministic_and_independent_of_block_size() {
        let model = HaplotypeModel::default();
        let t = layout_variants(3_000, &model, 5);
        let a = chromosome_dosages(&t, 2, 300, &model, 5, 64);
        let b = chromosome_dosages(&t, 2, 300, &model, 5, 1000);
        assert_eq!(a, b);
        let c = chromosome_dosages(&t, 2, 300, &model, 6, 64);
        assert_ne!(a, c);
    }

    #[test]
    fn frequencies_follow_their_parameters() {
        let model = HaplotypeModel::default();
        let t = layout_variants(4_000, &model, 9);
        let d = chromosome_dosages(&t, 1, 2_000, &model, 9, 256);
        let range = t.chrom_ranges[0].clone();
        let mut abs_err = 0.0;
        for (row, v) in d.iter().zip(range.clone()) {
            let f = row.iter().sum::<f64>() / (2.0 * row.len() as f64);
            abs_err += (f - f64::from(t.alt_freq[v])).abs();
        }
        let mean_err = abs_err / range.len() as f64;
        // Founder sampling (K = 256) dominates: its sd is at most sqrt(0.25 / 256) = 0.03.
        assert!(mean_err < 0.03, "mean |freq error| {mean_err}");
    }

    #[test]
    fn ld_decays_with_distance() {
        let model = HaplotypeModel::default();
        let t = layout_variants(6_000, &model, 21);
        let d = chromosome_dosages(&t, 1, 1_500, &model, 21, 512);
        let range = t.chrom_ranges[0].clone();
        let common = |i: usize| {
            let f = f64::from(t.alt_freq[range.start + i]);
            f > 0.05 && f < 0.95
        };
        let (mut near, mut n_near, mut far, mut n_far) = (0.0, 0, 0.0, 0);
        for i in 0..d.len() {
            if !common(i) {
                continue;
            }
            if let Some(j) = (i + 1..d.len()).find(|&j| common(j)) {
                near += r2(&d[i], &d[j]);
                n_near += 1;
            }
            // A partner at least 2 Mb away.
            let pi = t.pos[range.start + i];
            if let Some(j) =
                (i + 1..d.len()).find(|&j| common(j) && t.pos[range.start + j] > pi + 2_000_000)
            {
                far += r2(&d[i], &d[j]);
                n_far += 1;
            }
        }
        let (near, far) = (near / n_near as f64, far / n_far.max(1) as f64);
        eprintln!("neighbour r² {near}, distant r² {far} ({n_near}, {n_far} pairs)");
        assert!(n_far > 50, "too few distant pairs: {n_far}");
        assert!(near > 0.08, "neighbour r² {near}");
        assert!(near > 20.0 * far, "neighbour r² {near} vs distant {far}");
    }
}
