//! Genotype data blocks: decompression and conversion of probabilities to dosages.
//!
//! Layout 1 (v1.1) stores three `u16` probabilities per sample (AA, AB, BB) scaled by
//! 32,768. Layout 2 (v1.2) stores a per-sample ploidy/missingness byte, then bit-packed
//! probabilities of `B` bits each, scaled by `2^B - 1`, with the last probability of each
//! distribution left out (it is one minus the others). Unphased data has one distribution
//! over the sample's genotypes, enumerated in colex order of their allele-count vectors;
//! phased data has one distribution over alleles per haplotype.
//!
//! A dosage here is the expected count of an allele: for unphased data
//! `sum over genotypes of P(genotype) * copies of the allele in it`, for phased data
//! `sum over haplotypes of P(haplotype carries the allele)`. Integer probabilities are
//! summed exactly and divided by the scale once, so 32-bit data keeps its precision.

use std::cell::RefCell;
use std::path::Path;
use std::sync::Arc;

use super::{Compression, Layout};
use crate::io::{Dosages, Location, Payload, ReadError};

/// zlib (DEFLATE) cannot expand data by more than about 1032:1; a block claiming more is
/// corrupt, and refusing it avoids huge allocations.
const MAX_DEFLATE_RATIO: u64 = 1032;

/// Sanity bound on the decompressed size of a zstd block whose frame does not record its
/// content size.
const MAX_ZSTD_RATIO: u64 = 1 << 16;

/// Refuse variants whose dosage table (samples x alleles) would pass 2^31 values (16 GiB):
/// only a corrupt file asks for that.
const MAX_DOSAGE_VALUES: u64 = 1 << 31;

/// Layout 1 probabilities are integers over this scale.
const LAYOUT1_SCALE: f64 = 32768.0;

/// Ploidy byte of a diploid sample, and of a missing diploid sample (bit 7 set).
const DIPLOID: u8 = 2;
const MISSING_BIT: u8 = 0x80;
const PLOIDY_MASK: u8 = 0x3f;

/// `k / 255` for every sum `k` of two weighted 8-bit probabilities (`2a + b <= 510`): the
/// dosages of 8-bit diploid biallelic data without a division per sample.
const DOSAGE_8BIT: [f64; 511] = {
    let mut t = [0.0; 511];
    let mut k = 0;
    while k < 511 {
        t[k] = k as f64 / 255.0;
        k += 1;
    }
    t
};

/// The genotype data block of one variant, still compressed, detached from the reader.
pub(crate) struct BgenPayload {
    pub(crate) path: Arc<Path>,
    /// "variant 7 (rs123) at byte 4096", for messages.
    pub(crate) location: String,
    pub(crate) layout: Layout,
    pub(crate) compression: Compression,
    pub(crate) n_samples: u32,
    pub(crate) n_alleles: u16,
    /// The block after its length prefix (for compressed layout 2, this starts with the
    /// 4-byte uncompressed length).
    pub(crate) data: Vec<u8>,
}

/// Per-thread decompressors and buffers, reused across payloads.
#[derive(Default)]
struct Scratch {
    inflater: Option<libdeflater::Decompressor>,
    zstd: Option<zstd::bulk::Decompressor<'static>>,
    buf: Vec<u8>,
    acc: Vec<i128>,
    alleles: Vec<usize>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Payload for BgenPayload {
    fn decode(&self, out: &mut Dosages) -> Result<(), ReadError> {
        SCRATCH
            .with(|cell| {
                let mut guard = cell.borrow_mut();
                let scratch = &mut *guard;
                let raw = self.uncompress(scratch)?;
                let raw: &[u8] = match raw {
                    Some(len) => &scratch.buf[..len],
                    None => self.uncompressed_data(),
                };
                match self.layout {
                    Layout::One => decode_layout1(raw, self.n_samples as usize, out),
                    Layout::Two => decode_layout2(
                        raw,
                        self.n_samples,
                        self.n_alleles,
                        out,
                        &mut scratch.acc,
                        &mut scratch.alleles,
                    ),
                }
            })
            .map_err(|message| {
                ReadError::malformed(&self.path, Location::Other(self.location.clone()), message)
            })
    }
}

impl BgenPayload {
    /// The block's genotype bytes when it is stored uncompressed.
    fn uncompressed_data(&self) -> &[u8] {
        &self.data
    }

    /// Decompresses into `scratch.buf`, returning the decompressed length, or `None` for
    /// uncompressed blocks.
    fn uncompress(&self, scratch: &mut Scratch) -> Result<Option<usize>, String> {
        let (expected, src) = match (self.layout, self.compression) {
            (_, Compression::None) => return Ok(None),
            (Layout::One, _) => (
                u64::from(self.n_samples) * super::LAYOUT1_BYTES_PER_SAMPLE,
                &self.data[..],
            ),
            (Layout::Two, _) => {
                let Some((len, rest)) = self.data.split_first_chunk::<4>() else {
                    return Err(format!(
                        "compressed genotype block of {} bytes is too short to hold its uncompressed length",
                        self.data.len()
                    ));
                };
                (u64::from(u32::from_le_bytes(*len)), rest)
            }
        };
        match self.compression {
            Compression::Zlib => {
                if expected > src.len() as u64 * MAX_DEFLATE_RATIO + 1024 {
                    return Err(format!(
                        "genotype block claims {expected} bytes uncompressed from {} zlib bytes, more than zlib can expand",
                        src.len()
                    ));
                }
            }
            Compression::Zstd => match zstd::zstd_safe::get_frame_content_size(src) {
                Ok(Some(size)) if size != expected => {
                    return Err(format!(
                        "zstd frame holds {size} bytes but the block says {expected} bytes uncompressed"
                    ))
                }
                Ok(Some(_)) => {}
                Ok(None) => {
                    if expected > src.len() as u64 * MAX_ZSTD_RATIO {
                        return Err(format!(
                            "genotype block claims {expected} bytes uncompressed from {} zstd bytes",
                            src.len()
                        ));
                    }
                }
                Err(_) => return Err("genotype block is not valid zstd data".into()),
            },
            Compression::None => unreachable!("handled above"),
        }
        let expected = usize::try_from(expected)
            .map_err(|_| format!("genotype block of {expected} bytes is too large"))?;
        if scratch.buf.len() < expected {
            scratch.buf.resize(expected, 0);
        }
        let out = &mut scratch.buf[..expected];
        let got = match self.compression {
            Compression::Zlib => scratch
                .inflater
                .get_or_insert_with(libdeflater::Decompressor::new)
                .zlib_decompress(src, out)
                .map_err(|e| match e {
                    libdeflater::DecompressionError::BadData => {
                        "genotype block is not valid zlib data".to_string()
                    }
                    libdeflater::DecompressionError::InsufficientSpace => format!(
                        "genotype block inflates to more than the {expected} bytes it declares"
                    ),
                })?,
            Compression::Zstd => {
                if scratch.zstd.is_none() {
                    scratch.zstd = Some(
                        zstd::bulk::Decompressor::new()
                            .map_err(|e| format!("cannot start zstd: {e}"))?,
                    );
                }
                let dec = scratch.zstd.as_mut().expect("set above");
                dec.decompress_to_buffer(src, out)
                    .map_err(|e| format!("genotype block is not valid zstd data: {e}"))?
            }
            Compression::None => unreachable!("handled above"),
        };
        if got != expected {
            return Err(format!(
                "genotype block inflates to {got} bytes, expected {expected}"
            ));
        }
        Ok(Some(expected))
    }
}

/// Layout 1: per sample three little-endian `u16` (AA, AB, BB) over 32,768; a sample whose
/// three probabilities are all zero is missing.
fn decode_layout1(raw: &[u8], n_samples: usize, out: &mut Dosages) -> Result<(), String> {
    let needed = n_samples as u64 * super::LAYOUT1_BYTES_PER_SAMPLE;
    if (raw.len() as u64) < needed {
        return Err(format!(
            "genotype block holds {} bytes, expected {needed} (6 per sample)",
            raw.len()
        ));
    }
    out.reset(n_samples, 2);
    for (s, c) in raw.chunks_exact(6).take(n_samples).enumerate() {
        let aa = u32::from(u16::from_le_bytes([c[0], c[1]]));
        let ab = u32::from(u16::from_le_bytes([c[2], c[3]]));
        let bb = u32::from(u16::from_le_bytes([c[4], c[5]]));
        if aa == 0 && ab == 0 && bb == 0 {
            continue;
        }
        out.set(0, s, f64::from(2 * aa + ab) / LAYOUT1_SCALE);
        out.set(1, s, f64::from(ab + 2 * bb) / LAYOUT1_SCALE);
    }
    Ok(())
}

/// Layout 2 probability data, after decompression.
fn decode_layout2(
    raw: &[u8],
    n_samples: u32,
    n_alleles: u16,
    out: &mut Dosages,
    acc: &mut Vec<i128>,
    alleles: &mut Vec<usize>,
) -> Result<(), String> {
    let short = || format!("genotype block of {} bytes is cut short", raw.len());
    let (n, rest) = raw.split_first_chunk::<4>().ok_or_else(short)?;
    let n = u32::from_le_bytes(*n);
    if n != n_samples {
        return Err(format!(
            "genotype block lists {n} samples but the header says {n_samples}"
        ));
    }
    let (k, rest) = rest.split_first_chunk::<2>().ok_or_else(short)?;
    let k = u16::from_le_bytes(*k);
    if k != n_alleles {
        return Err(format!(
            "genotype block lists {k} alleles but the identifying data lists {n_alleles}"
        ));
    }
    let (&[min_ploidy, max_ploidy], rest) = rest.split_first_chunk::<2>().ok_or_else(short)?;
    let n = n as usize;
    if rest.len() < n + 2 {
        return Err(short());
    }
    let (ploidy, rest) = rest.split_at(n);
    let (phased, bits, probs) = (rest[0], rest[1], &rest[2..]);
    let phased = match phased {
        0 => false,
        1 => true,
        p => return Err(format!("phased flag is {p}, expected 0 or 1")),
    };
    if !(1..=32).contains(&bits) {
        return Err(format!("{bits} bits per probability, expected 1 to 32"));
    }
    if min_ploidy > max_ploidy || max_ploidy > PLOIDY_MASK {
        return Err(format!(
            "ploidy range {min_ploidy}..{max_ploidy} is invalid (expected min <= max <= 63)"
        ));
    }
    if k == 0 {
        return Err("genotype block has no alleles, expected at least one".into());
    }
    if n as u64 * u64::from(k) > MAX_DOSAGE_VALUES {
        return Err(format!(
            "{n} samples x {k} alleles is more dosages than one variant may hold"
        ));
    }
    let probs = Probs::new(probs, bits);
    out.reset(n, usize::from(k));
    if k == 2 && min_ploidy == DIPLOID && max_ploidy == DIPLOID {
        diploid_biallelic(ploidy, phased, &probs, out)
    } else {
        general(
            ploidy,
            (min_ploidy, max_ploidy),
            phased,
            usize::from(k),
            &probs,
            out,
            acc,
            alleles,
        )
    }
}

/// Bit-packed probabilities: value `i` is bits `i*B .. (i+1)*B` of the little-endian bit
/// stream.
struct Probs<'a> {
    data: &'a [u8],
    bits: u32,
    mask: u64,
}

impl<'a> Probs<'a> {
    fn new(data: &'a [u8], bits: u8) -> Probs<'a> {
        let bits = u32::from(bits);
        Probs {
            data,
            bits,
            mask: (1u64 << bits) - 1,
        }
    }

    /// The scale `2^B - 1`, the integer that stands for probability one.
    fn scale(&self) -> u64 {
        self.mask
    }

    /// Refuses data too short for `values` probabilities.
    fn check_holds(&self, values: u64) -> Result<(), String> {
        let bits = values
            .checked_mul(u64::from(self.bits))
            .ok_or_else(|| format!("{values} probabilities is too many"))?;
        let bytes = bits.div_ceil(8);
        if bytes > self.data.len() as u64 {
            return Err(format!(
                "probability data holds {} bytes, expected {bytes} ({values} probabilities of {} bits)",
                self.data.len(),
                self.bits
            ));
        }
        Ok(())
    }

    /// Value `i`. Callers check the range with `check_holds` first; out-of-range bytes
    /// read as zero rather than panic.
    #[inline]
    fn get(&self, i: usize) -> u64 {
        let bit = i as u64 * u64::from(self.bits);
        let byte = (bit / 8) as usize;
        let shift = bit % 8;
        let word = match self.data.get(byte..byte + 8) {
            Some(w) => u64::from_le_bytes(w.try_into().expect("8 bytes")),
            None => {
                let mut w = [0u8; 8];
                if let Some(tail) = self.data.get(byte..) {
                    w[..tail.len()].copy_from_slice(tail);
                }
                u64::from_le_bytes(w)
            }
        };
        (word >> shift) & self.mask
    }
}

fn bad_ploidy(sample: usize, byte: u8, range: (u8, u8)) -> String {
    format!(
        "sample {}: ploidy byte {byte:#04x} is outside the block's ploidy range {}..{}",
        sample + 1,
        range.0,
        range.1
    )
}

/// Every sample diploid, two alleles: two stored values per sample, (AA, AB) unphased or
/// P(haplotype 1 carries the reference), P(haplotype 2 carries it) phased. The reference
/// dosage is `2 AA + AB` (resp. `h1 + h2`) over the scale, the alternate dosage two minus
/// that, which is `AB + 2 BB` with the implied `BB`.
///
/// This is the shape of nearly all imputed data, so it avoids per-bit reads for 8, 16 and
/// 32 bits and writes each allele's row in one pass.
fn diploid_biallelic(
    ploidy: &[u8],
    phased: bool,
    probs: &Probs,
    out: &mut Dosages,
) -> Result<(), String> {
    probs.check_holds(2 * ploidy.len() as u64)?;
    if let Some(s) = ploidy
        .iter()
        .position(|&p| p != DIPLOID && p != DIPLOID | MISSING_BIT)
    {
        return Err(bad_ploidy(s, ploidy[s], (DIPLOID, DIPLOID)));
    }
    // Weight of the first stored value in the reference dosage.
    let w: u64 = if phased { 1 } else { 2 };
    let scale = probs.scale();
    let data = probs.data;
    match probs.bits {
        8 => {
            // The bytes are the values, and a table does the division.
            let pairs = || ploidy.iter().zip(data.chunks_exact(2));
            let dosage = |r: usize| DOSAGE_8BIT.get(r).copied().unwrap_or(r as f64 / 255.0);
            let w = w as usize;
            for (slot, (&p, v)) in out.allele_mut(0).iter_mut().zip(pairs()) {
                if p == DIPLOID {
                    *slot = dosage(w * usize::from(v[0]) + usize::from(v[1]));
                }
            }
            for (slot, (&p, v)) in out.allele_mut(1).iter_mut().zip(pairs()) {
                if p == DIPLOID {
                    let r = w * usize::from(v[0]) + usize::from(v[1]);
                    *slot = match 510usize.checked_sub(r) {
                        Some(alt) => DOSAGE_8BIT[alt],
                        // Stored probabilities summing past one.
                        None => (510.0 - r as f64) / 255.0,
                    };
                }
            }
        }
        16 => fill_diploid(ploidy, scale, out, || {
            data.chunks_exact(4).map(|v| {
                w * u64::from(u16::from_le_bytes([v[0], v[1]]))
                    + u64::from(u16::from_le_bytes([v[2], v[3]]))
            })
        }),
        32 => fill_diploid(ploidy, scale, out, || {
            data.chunks_exact(8).map(|v| {
                w * u64::from(u32::from_le_bytes([v[0], v[1], v[2], v[3]]))
                    + u64::from(u32::from_le_bytes([v[4], v[5], v[6], v[7]]))
            })
        }),
        _ => fill_diploid(ploidy, scale, out, || {
            (0..ploidy.len()).map(|s| w * probs.get(2 * s) + probs.get(2 * s + 1))
        }),
    }
    Ok(())
}

/// Writes reference dosages `r / scale` and alternate dosages `(2 scale - r) / scale` for
/// non-missing samples, `r` being each sample's weighted reference sum from `refs`.
#[inline]
fn fill_diploid<I: Iterator<Item = u64>>(
    ploidy: &[u8],
    scale: u64,
    out: &mut Dosages,
    refs: impl Fn() -> I,
) {
    let scale_f = scale as f64;
    for ((slot, &p), r) in out.allele_mut(0).iter_mut().zip(ploidy).zip(refs()) {
        if p == DIPLOID {
            *slot = r as f64 / scale_f;
        }
    }
    let two = 2 * scale as i64;
    for ((slot, &p), r) in out.allele_mut(1).iter_mut().zip(ploidy).zip(refs()) {
        if p == DIPLOID {
            *slot = (two - r as i64) as f64 / scale_f;
        }
    }
}

/// `n choose r`, or `None` when it does not fit in a `u64`.
fn binomial(n: u64, r: u64) -> Option<u64> {
    let r = r.min(n.checked_sub(r)?);
    let mut c: u128 = 1;
    for i in 1..=u128::from(r) {
        c = c.checked_mul(u128::from(n - r) + i)? / i;
        if c > u128::from(u64::MAX) {
            return None;
        }
    }
    u64::try_from(c).ok()
}

/// Number of probabilities stored for one sample of this ploidy.
fn stored_count(phased: bool, ploidy: u64, k: u64) -> Result<u64, String> {
    if phased {
        Ok(ploidy * (k - 1))
    } else {
        binomial(ploidy + k - 1, k - 1)
            .map(|g| g - 1)
            .ok_or_else(|| format!("ploidy {ploidy} with {k} alleles has too many genotypes"))
    }
}

/// Moves `alleles` (a non-decreasing list of the alleles in an unphased genotype) to the
/// next genotype in colex order: `00, 01, 11, 02, 12, 22, ...` for diploids, the order the
/// spec lists genotypes in (and VCF's `GP` order).
fn next_genotype(alleles: &mut [usize], k: usize) {
    for i in 0..alleles.len() {
        let limit = alleles.get(i + 1).copied().unwrap_or(k - 1);
        if alleles[i] < limit {
            alleles[i] += 1;
            alleles[..i].fill(0);
            return;
        }
    }
}

/// Any ploidy, any allele count, phased or not.
#[allow(clippy::too_many_arguments)]
fn general(
    ploidy: &[u8],
    range: (u8, u8),
    phased: bool,
    k: usize,
    probs: &Probs,
    out: &mut Dosages,
    acc: &mut Vec<i128>,
    alleles: &mut Vec<usize>,
) -> Result<(), String> {
    // Stored probabilities per ploidy, computed once per ploidy seen.
    let mut counts = [None::<u64>; 64];
    let mut total: u64 = 0;
    for (s, &p) in ploidy.iter().enumerate() {
        let z = p & PLOIDY_MASK;
        if p & !(PLOIDY_MASK | MISSING_BIT) != 0 || z < range.0 || z > range.1 {
            return Err(bad_ploidy(s, p, range));
        }
        let count = match counts[usize::from(z)] {
            Some(c) => c,
            None => {
                let c = stored_count(phased, u64::from(z), k as u64)?;
                counts[usize::from(z)] = Some(c);
                c
            }
        };
        total = total
            .checked_add(count)
            .ok_or_else(|| "too many probabilities".to_string())?;
    }
    probs.check_holds(total)?;

    let scale = i128::from(probs.scale());
    let scale_f = probs.scale() as f64;
    acc.clear();
    acc.resize(k, 0);
    let mut next = 0usize;
    for (s, &p) in ploidy.iter().enumerate() {
        let z = p & PLOIDY_MASK;
        out.set_ploidy(s, z);
        let count = counts[usize::from(z)].unwrap_or(0) as usize;
        if p & MISSING_BIT != 0 {
            next += count;
            continue;
        }
        acc.fill(0);
        if phased {
            for _ in 0..z {
                let mut sum = 0i128;
                for slot in acc.iter_mut().take(k - 1) {
                    let v = i128::from(probs.get(next));
                    next += 1;
                    *slot += v;
                    sum += v;
                }
                acc[k - 1] += scale - sum;
            }
        } else {
            alleles.clear();
            alleles.resize(usize::from(z), 0);
            let mut sum = 0i128;
            for g in 0..=count {
                let v = if g < count {
                    let v = i128::from(probs.get(next));
                    next += 1;
                    sum += v;
                    v
                } else {
                    scale - sum
                };
                for &a in alleles.iter() {
                    acc[a] += v;
                }
                next_genotype(alleles, k);
            }
        }
        for (a, &total) in acc.iter().enumerate() {
            out.set(a, s, total as f64 / scale_f);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Packs values of `bits` bits little-endian, as the spec lays them out.
    fn pack(values: &[u64], bits: u32) -> Vec<u8> {
        let total = values.len() * bits as usize;
        let mut out = vec![0u8; total.div_ceil(8)];
        for (i, &v) in values.iter().enumerate() {
            for b in 0..bits as usize {
                if v >> b & 1 == 1 {
                    let bit = i * bits as usize + b;
                    out[bit / 8] |= 1 << (bit % 8);
                }
            }
        }
        out
    }

    /// A layout-2 uncompressed probability block.
    fn block(k: u16, ploidy: &[u8], phased: bool, bits: u8, values: &[u64]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&(ploidy.len() as u32).to_le_bytes());
        out.extend_from_slice(&k.to_le_bytes());
        let plain: Vec<u8> = ploidy.iter().map(|p| p & PLOIDY_MASK).collect();
        out.push(*plain.iter().min().unwrap());
        out.push(*plain.iter().max().unwrap());
        out.extend_from_slice(ploidy);
        out.push(u8::from(phased));
        out.push(bits);
        out.extend_from_slice(&pack(values, u32::from(bits)));
        out
    }

    fn decode(raw: &[u8], n: u32, k: u16) -> Result<Dosages, String> {
        let mut d = Dosages::new();
        decode_layout2(raw, n, k, &mut d, &mut Vec::new(), &mut Vec::new())?;
        Ok(d)
    }

    #[test]
    fn colex_genotype_order() {
        let mut g = vec![0usize; 2];
        let mut seen = Vec::new();
        for _ in 0..6 {
            seen.push(g.clone());
            next_genotype(&mut g, 3);
        }
        assert_eq!(
            seen,
            [[0, 0], [0, 1], [1, 1], [0, 2], [1, 2], [2, 2]].map(|a| a.to_vec())
        );
        // Triploid biallelic: 111, 112, 122, 222.
        let mut g = vec![0usize; 3];
        let mut seen = Vec::new();
        for _ in 0..4 {
            seen.push(g.clone());
            next_genotype(&mut g, 2);
        }
        assert_eq!(
            seen,
            [[0, 0, 0], [0, 0, 1], [0, 1, 1], [1, 1, 1]].map(|a| a.to_vec())
        );
    }

    #[test]
    fn binomials() {
        assert_eq!(binomial(4, 2), Some(6));
        assert_eq!(binomial(9, 7), Some(36));
        assert_eq!(binomial(5, 0), Some(1));
        assert_eq!(binomial(2, 3), None);
        assert_eq!(binomial(200, 100), None);
    }

    #[test]
    fn diploid_fast_paths_match_general_path() {
        // Same probabilities at every bit width; the fast path (all diploid) must agree
        // with the general path (forced by a haploid sample appended).
        for bits in [1u8, 3, 8, 11, 16, 24, 32] {
            let m = (1u64 << bits) - 1;
            let pairs = [(m, 0), (0, m), (0, 0), (m / 3, m / 3), (m / 2, m / 4)];
            let mut values = Vec::new();
            for &(a, b) in &pairs {
                values.extend([a, b]);
            }
            let ploidy = vec![2u8; pairs.len()];
            for phased in [false, true] {
                let fast = decode(&block(2, &ploidy, phased, bits, &values), 5, 2).unwrap();
                let mut p2 = ploidy.clone();
                p2.push(1);
                let mut v2 = values.clone();
                v2.push(m);
                let slow = decode(&block(2, &p2, phased, bits, &v2), 6, 2).unwrap();
                for s in 0..pairs.len() {
                    for a in 0..2 {
                        assert_eq!(fast.get(a, s), slow.get(a, s), "bits {bits} sample {s}");
                    }
                }
                let (a, b) = (pairs[4].0 as f64, pairs[4].1 as f64);
                let m = m as f64;
                let expected_ref = if phased {
                    (a + b) / m
                } else {
                    (2.0 * a + b) / m
                };
                assert!((fast.get(0, 4) - expected_ref).abs() < 1e-12);
                assert!((fast.get(1, 4) - (2.0 - expected_ref)).abs() < 1e-12);
                assert_eq!(slow.get(0, 5), 1.0);
                assert_eq!(slow.ploidy()[5], 1);
            }
        }
    }

    #[test]
    fn thirty_two_bit_precision_is_kept() {
        let m = u64::from(u32::MAX);
        let values = [1u64, m - 2];
        let d = decode(&block(2, &[2], false, 32, &values), 1, 2).unwrap();
        assert_eq!(d.get(0, 0), (2.0 + (m - 2) as f64) / m as f64);
        // Alternate dosage: AB + 2 BB with BB = 1 (the implied remainder).
        assert_eq!(d.get(1, 0), ((m - 2) as f64 + 2.0) / m as f64);
    }

    #[test]
    fn missing_samples_and_ploidy() {
        let m = 255;
        // Sample 0 missing (its probabilities still occupy space), sample 1 AB.
        let values = [0, 0, 0, m];
        let d = decode(&block(2, &[0x82, 2], false, 8, &values), 2, 2).unwrap();
        assert!(d.is_missing(0));
        assert_eq!((d.get(0, 1), d.get(1, 1)), (1.0, 1.0));
        // General path: a missing triploid and a haploid alt.
        let values = [0, 0, 0, 0];
        let d = decode(&block(2, &[0x83, 1], true, 8, &values), 2, 2).unwrap();
        assert!(d.is_missing(0));
        assert_eq!(d.ploidy(), [3, 1]);
        assert_eq!((d.get(0, 1), d.get(1, 1)), (0.0, 1.0));
    }

    #[test]
    fn multiallelic_unphased_and_phased() {
        let m = 255u64;
        // K=3 diploid unphased, genotype "12" (alleles 0 and 2 zero-based = index 3: 02).
        let mut values = vec![0; 5];
        values[3] = m;
        let d = decode(&block(3, &[2], false, 8, &values), 1, 3).unwrap();
        assert_eq!([d.get(0, 0), d.get(1, 0), d.get(2, 0)], [1.0, 0.0, 1.0]);
        // Implied last genotype "22".
        let d = decode(&block(3, &[2], false, 8, &[0; 5]), 1, 3).unwrap();
        assert_eq!([d.get(0, 0), d.get(1, 0), d.get(2, 0)], [0.0, 0.0, 2.0]);
        // Phased triploid, K=3: haplotypes carry 1, 2 (implied), 0.
        let values = [0, m, 0, 0, m, 0];
        let d = decode(&block(3, &[3], true, 8, &values), 1, 3).unwrap();
        assert_eq!([d.get(0, 0), d.get(1, 0), d.get(2, 0)], [1.0, 1.0, 1.0]);
        assert_eq!(d.ploidy(), [3]);
    }

    #[test]
    fn malformed_blocks_are_refused() {
        let good = block(2, &[2, 2], false, 8, &[255, 0, 0, 255]);
        assert!(decode(&good, 2, 2).is_ok());
        for cut in 0..good.len() {
            assert!(decode(&good[..cut], 2, 2).is_err(), "cut at {cut}");
        }
        assert!(decode(&good, 3, 2).unwrap_err().contains("header says 3"));
        assert!(decode(&good, 2, 3).unwrap_err().contains("2 alleles"));
        let mut bad_bits = good.clone();
        bad_bits[8 + 2 + 1] = 0;
        assert!(decode(&bad_bits, 2, 2).unwrap_err().contains("bits"));
        let mut bad_phase = good.clone();
        bad_phase[8 + 2] = 7;
        assert!(decode(&bad_phase, 2, 2).unwrap_err().contains("phased"));
        let mut bad_ploidy = good.clone();
        bad_ploidy[8] = 3;
        assert!(decode(&bad_ploidy, 2, 2).unwrap_err().contains("ploidy"));
    }

    #[test]
    fn layout1_probabilities() {
        let mut raw = Vec::new();
        for v in [32768u16, 0, 0, 0, 0, 0, 0, 16384, 16384] {
            raw.extend_from_slice(&v.to_le_bytes());
        }
        let mut d = Dosages::new();
        decode_layout1(&raw, 3, &mut d).unwrap();
        assert_eq!((d.get(0, 0), d.get(1, 0)), (2.0, 0.0));
        assert!(d.is_missing(1));
        assert_eq!((d.get(0, 2), d.get(1, 2)), (0.5, 1.5));
        assert!(decode_layout1(&raw[..17], 3, &mut d).is_err());
    }
}
