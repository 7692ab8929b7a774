//! PLINK 1 binary filesets: `.bed` genotypes with `.bim` variants and `.fam` samples.
//!
//! Format: <https://www.cog-genomics.org/plink/1.9/formats#bed>. The `.bed` file starts
//! with the magic bytes `0x6c 0x1b` and a mode byte (`0x01` = SNP-major, the only layout
//! plink 1.9 and plink2 write); then each variant takes `ceil(N/4)` bytes, four samples
//! per byte, lowest bit pair first. A 2-bit code counts copies of the `.bim` A1 allele:
//! `00` two, `10` one, `11` none, `01` missing.
//!
//! Conventions:
//!
//! * REF is A2 (column 6) and ALT is A1 (column 5), as plink2 assumes when it imports a
//!   `.bed` (and writes when it makes one from a VCF), so the ALT dosage is the A1 count.
//!   An A1 of `0` (plink's missing-allele code, written for monomorphic variants) gives a
//!   site with no ALT allele; it stays readable.
//! * Chromosome Y and MT are haploid for everyone, and chromosome X is haploid for males
//!   (`.fam` sex 1). PLINK stores a haploid call as a homozygous diploid one, so these
//!   samples get ploidy 1 and half the 2-bit count (a heterozygous code becomes 0.5).
//!   Samples of unknown sex are diploid on X; the pseudo-autosomal code `XY` (25) stays
//!   diploid. This describes the genotypes only: plink2 `--score` applies its own rules on
//!   top (checked with plink2 on a `.bed`: on X every sample counts 2 alleles, a
//!   hemizygous male 0 or 2; on Y the calls of females and unknown-sex samples are
//!   missing), which a scorer reproduces from the ploidy and [`PlinkSource::sexes`].
//! * A sample's ID is its IID when the FID equals the IID or is `0`, and `FID_IID`
//!   otherwise, the same IDs plink2's VCF export writes, so that one cohort read as `.bed`
//!   or as VCF produces identical sample columns.

mod writer;

pub use writer::PlinkWriter;

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{
    check_unique_samples, Dosages, GenotypeSource, Location, OpenOptions, Payload, ReadError, Site,
    SiteFilter,
};
use crate::genome::{Chrom, Position};

/// First two bytes of every `.bed` file.
const BED_MAGIC: [u8; 2] = [0x6c, 0x1b];
/// Mode byte of a SNP-major (variant-major) `.bed` file.
const SNP_MAJOR: u8 = 0x01;
/// Magic plus mode byte.
const BED_HEADER_LEN: u64 = 3;
/// Genotypes packed into one `.bed` byte.
const SAMPLES_PER_BYTE: usize = 4;
/// The allele code PLINK writes when an allele is unknown.
const MISSING_ALLELE: &str = "0";
/// Read buffer for the `.bed` file; large enough that forward skips over a few variants
/// stay inside the buffer.
const BED_BUFFER: usize = 1 << 16;

/// A1 dosage for each of the four 2-bit codes, in code order `00 01 10 11`.
const CODE_A1_DOSAGE: [f64; 4] = [2.0, f64::NAN, 1.0, 0.0];

/// A1 dosages of the four samples packed into each possible byte value.
static BYTE_A1_DOSAGE: [[f64; SAMPLES_PER_BYTE]; 256] = byte_table();

const fn byte_table() -> [[f64; SAMPLES_PER_BYTE]; 256] {
    let mut table = [[0.0; SAMPLES_PER_BYTE]; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut k = 0;
        while k < SAMPLES_PER_BYTE {
            table[byte][k] = CODE_A1_DOSAGE[(byte >> (2 * k)) & 0b11];
            k += 1;
        }
        byte += 1;
    }
    table
}

/// Sex code of a `.fam` line (column 5): `1`/`M` male, `2`/`F` female, anything else
/// (`0`, `-9`, `NA`) unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sex {
    /// `.fam` sex code `1` (or `M`): haploid on chromosome X for plink2-style dosages.
    Male,
    /// `.fam` sex code `2` (or `F`).
    Female,
    /// Any other code (`0`, `-9`, `NA`, ...): sex not recorded; such samples stay diploid on X.
    Unknown,
}

impl Sex {
    fn parse(code: &str) -> Sex {
        match code {
            "1" | "M" | "m" => Sex::Male,
            "2" | "F" | "f" => Sex::Female,
            _ => Sex::Unknown,
        }
    }
}

/// Which samples are haploid at a site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PloidyRule {
    Diploid,
    /// Y and MT: every sample.
    Haploid,
    /// X: males only.
    MalesHaploid,
}

impl PloidyRule {
    fn for_chrom(chrom: &Chrom) -> PloidyRule {
        if chrom.is_haploid() {
            PloidyRule::Haploid
        } else if chrom.is_x() {
            PloidyRule::MalesHaploid
        } else {
            PloidyRule::Diploid
        }
    }
}

/// The site most recently returned by `next_site`.
struct Current {
    /// 0-based index among the `.bim` records, which is also the `.bed` block index.
    index: u64,
    id: String,
    has_alt: bool,
    rule: PloidyRule,
}

/// A streaming reader of a PLINK 1 binary fileset.
///
/// The `.fam` is read when the fileset is opened; the `.bim` is streamed alongside the
/// `.bed`, so memory does not grow with the variant count. Unwanted variants cost one
/// `.bim` line and no `.bed` bytes: their genotype block is only read (by offset) when
/// [`payload`](GenotypeSource::payload) is called.
pub struct PlinkSource {
    path: PathBuf,
    bim_path: PathBuf,
    bed: BufReader<File>,
    /// Offset in the `.bed` file where the next read of `bed` starts.
    bed_offset: u64,
    bim: BufReader<File>,
    /// Physical line number of the last `.bim` line read (1-based).
    bim_line: u64,
    line: Vec<u8>,
    n_variants: u64,
    bytes_per_variant: usize,
    fids: Vec<String>,
    iids: Vec<String>,
    sample_ids: Vec<String>,
    sexes: Vec<Sex>,
    males: Arc<[bool]>,
    /// Index of the next `.bim` record.
    next_index: u64,
    /// Last chromosome text seen in the `.bim` and its parse, since `.bim` files are
    /// sorted by chromosome and re-parsing every line would allocate for nothing.
    last_chrom_text: String,
    last_chrom: Option<Chrom>,
    current: Option<Current>,
}

impl PlinkSource {
    /// Opens `path` (the `.bed` file) with the `.bim` and `.fam` of the same prefix, and
    /// checks that the `.bed` size matches their variant and sample counts.
    pub fn open(path: &Path, _options: &OpenOptions) -> Result<PlinkSource, ReadError> {
        let bim_path = path.with_extension("bim");
        let fam_path = path.with_extension("fam");

        let fam = read_fam(&fam_path)?;
        let n_samples = fam.iids.len();
        if n_samples == 0 {
            return Err(ReadError::malformed(
                &fam_path,
                Location::Header,
                "no samples (expected one line per sample: FID IID PAT MAT SEX PHENO)",
            ));
        }
        check_unique_samples(&fam_path, &fam.sample_ids)?;
        let n_variants = count_bim_records(&bim_path)?;
        let bytes_per_variant = n_samples.div_ceil(SAMPLES_PER_BYTE);

        let mut bed_file = File::open(path).map_err(|e| ReadError::io(path, e))?;
        let actual_size = bed_file
            .metadata()
            .map_err(|e| ReadError::io(path, e))?
            .len();
        let mut header = [0u8; BED_HEADER_LEN as usize];
        let got = read_up_to(&mut bed_file, &mut header).map_err(|e| ReadError::io(path, e))?;
        if got < 2 || header[..2] != BED_MAGIC {
            return Err(ReadError::malformed(
                path,
                Location::Offset(0),
                "not a PLINK .bed file (expected magic bytes 0x6c 0x1b)",
            ));
        }
        if got < 3 {
            return Err(ReadError::malformed(
                path,
                Location::Offset(2),
                "file ends before the mode byte (expected 0x01, SNP-major)",
            ));
        }
        if header[2] != SNP_MAJOR {
            return Err(ReadError::Unsupported {
                path: path.to_path_buf(),
                message: format!(
                    "unsupported .bed mode byte 0x{:02x} (only SNP-major mode 0x01 is read; \
                     rewrite the fileset with plink --make-bed)",
                    header[2]
                ),
            });
        }
        let expected_size = BED_HEADER_LEN + n_variants * bytes_per_variant as u64;
        if actual_size != expected_size {
            return Err(ReadError::malformed(
                path,
                Location::Header,
                format!(
                    "file is {actual_size} bytes but {n_variants} variants (.bim) x \
                     {n_samples} samples (.fam) need {expected_size} bytes \
                     (3 + variants x ceil(samples/4)); truncated file or mismatched .bim/.fam?"
                ),
            ));
        }

        let bim_file = File::open(&bim_path).map_err(|e| ReadError::io(&bim_path, e))?;
        let males: Arc<[bool]> = fam.sexes.iter().map(|&s| s == Sex::Male).collect();
        Ok(PlinkSource {
            path: path.to_path_buf(),
            bim_path,
            bed: BufReader::with_capacity(BED_BUFFER, bed_file),
            bed_offset: BED_HEADER_LEN,
            bim: BufReader::new(bim_file),
            bim_line: 0,
            line: Vec::new(),
            n_variants,
            bytes_per_variant,
            fids: fam.fids,
            iids: fam.iids,
            sample_ids: fam.sample_ids,
            sexes: fam.sexes,
            males,
            next_index: 0,
            last_chrom_text: String::new(),
            last_chrom: None,
            current: None,
        })
    }

    /// Family IDs (`.fam` column 1), in sample order.
    pub fn fids(&self) -> &[String] {
        &self.fids
    }

    /// Within-family IDs (`.fam` column 2), in sample order.
    pub fn iids(&self) -> &[String] {
        &self.iids
    }

    /// Sexes (`.fam` column 5), in sample order.
    pub fn sexes(&self) -> &[Sex] {
        &self.sexes
    }

    /// Number of variants in the `.bim`.
    pub fn variant_count(&self) -> u64 {
        self.n_variants
    }

    fn bim_error(&self, message: impl Into<String>) -> ReadError {
        ReadError::malformed(&self.bim_path, Location::Line(self.bim_line), message)
    }
}

impl GenotypeSource for PlinkSource {
    fn path(&self) -> &Path {
        &self.path
    }

    fn format_name(&self) -> String {
        "PLINK 1 bed".to_string()
    }

    fn sample_ids(&self) -> &[String] {
        &self.sample_ids
    }

    fn next_site(&mut self, filter: &SiteFilter) -> Result<Option<Site>, ReadError> {
        self.current = None;
        loop {
            self.line.clear();
            let read = self
                .bim
                .read_until(b'\n', &mut self.line)
                .map_err(|e| ReadError::io(&self.bim_path, e))?;
            if read == 0 {
                return Ok(None);
            }
            self.bim_line += 1;
            let Ok(text) = std::str::from_utf8(&self.line) else {
                return Err(self.bim_error("not valid UTF-8 text"));
            };
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            let record = match BimRecord::parse(text) {
                Ok(r) => r,
                Err(message) => return Err(self.bim_error(message)),
            };
            let index = self.next_index;
            self.next_index += 1;
            if self.last_chrom.is_none() || self.last_chrom_text != record.chrom {
                self.last_chrom = Some(Chrom::parse(record.chrom));
                self.last_chrom_text.clear();
                self.last_chrom_text.push_str(record.chrom);
            }
            let chrom = self.last_chrom.as_ref().expect("set above");
            if !filter.wants(chrom, record.pos) {
                continue;
            }
            let has_alt = record.a1 != MISSING_ALLELE;
            let site = Site {
                chrom: chrom.clone(),
                pos: record.pos,
                id: record.id.to_string(),
                ref_allele: record.a2.to_string(),
                alt_alleles: if has_alt {
                    vec![record.a1.to_string()]
                } else {
                    Vec::new()
                },
            };
            self.current = Some(Current {
                index,
                id: site.id.clone(),
                has_alt,
                rule: PloidyRule::for_chrom(chrom),
            });
            return Ok(Some(site));
        }
    }

    fn payload(&mut self) -> Result<Box<dyn Payload>, ReadError> {
        let Some(current) = &self.current else {
            return Err(ReadError::malformed(
                &self.path,
                self.location(),
                "payload requested with no current variant (call next_site first)",
            ));
        };
        let offset = BED_HEADER_LEN + current.index * self.bytes_per_variant as u64;
        if offset != self.bed_offset {
            let seek = if offset > self.bed_offset {
                // Forward skips usually land inside the buffer; seek_relative keeps it.
                i64::try_from(offset - self.bed_offset)
                    .map_err(|_| std::io::Error::other("seek distance overflows"))
                    .and_then(|d| self.bed.seek_relative(d))
            } else {
                self.bed.seek(SeekFrom::Start(offset)).map(|_| ())
            };
            seek.map_err(|e| ReadError::io(&self.path, e))?;
            self.bed_offset = offset;
        }
        let mut bytes = vec![0u8; self.bytes_per_variant];
        if let Err(e) = self.bed.read_exact(&mut bytes) {
            // Force a fresh seek next time: the reader's position is unknown now.
            self.bed_offset = u64::MAX;
            return Err(ReadError::io(&self.path, e));
        }
        self.bed_offset = offset + self.bytes_per_variant as u64;
        Ok(Box::new(BedPayload {
            bytes,
            n_samples: self.sample_ids.len(),
            has_alt: current.has_alt,
            rule: current.rule,
            males: Arc::clone(&self.males),
        }))
    }

    fn location(&self) -> Location {
        match &self.current {
            Some(c) => Location::Other(format!(
                "variant {} ({}) at .bim line {}",
                c.index + 1,
                c.id,
                self.bim_line
            )),
            None => Location::Record(self.next_index),
        }
    }
}

/// One variant's `.bed` block, detached from the reader.
struct BedPayload {
    bytes: Vec<u8>,
    n_samples: usize,
    has_alt: bool,
    rule: PloidyRule,
    males: Arc<[bool]>,
}

impl BedPayload {
    #[inline]
    fn is_haploid(&self, sample: usize) -> bool {
        match self.rule {
            PloidyRule::Diploid => false,
            PloidyRule::Haploid => true,
            PloidyRule::MalesHaploid => self.males[sample],
        }
    }
}

impl Payload for BedPayload {
    fn decode(&self, out: &mut Dosages) -> Result<(), ReadError> {
        let n = self.n_samples;
        let n_alleles = if self.has_alt { 2 } else { 1 };
        out.reset(n, n_alleles);
        // Without an ALT allele the A1 counts go in the REF row first, then become
        // REF counts below.
        let a1_row = if self.has_alt { 1 } else { 0 };
        {
            let row = out.allele_mut(a1_row);
            let full = n / SAMPLES_PER_BYTE;
            for (chunk, &byte) in row[..full * SAMPLES_PER_BYTE]
                .chunks_exact_mut(SAMPLES_PER_BYTE)
                .zip(&self.bytes)
            {
                chunk.copy_from_slice(&BYTE_A1_DOSAGE[usize::from(byte)]);
            }
            let rest = n % SAMPLES_PER_BYTE;
            if rest > 0 {
                let last = &BYTE_A1_DOSAGE[usize::from(self.bytes[full])];
                row[full * SAMPLES_PER_BYTE..].copy_from_slice(&last[..rest]);
            }
            if self.rule != PloidyRule::Diploid {
                for (s, d) in row.iter_mut().enumerate() {
                    if self.is_haploid(s) {
                        *d *= 0.5;
                    }
                }
            }
        }
        if self.rule != PloidyRule::Diploid {
            for s in 0..n {
                if self.is_haploid(s) {
                    out.set_ploidy(s, 1);
                }
            }
        }
        if self.has_alt {
            out.fill_reference_from_alts();
        } else {
            for s in 0..n {
                let ploidy = if self.is_haploid(s) { 1.0 } else { 2.0 };
                let a1 = out.get(0, s);
                out.set(0, s, ploidy - a1);
            }
        }
        Ok(())
    }
}

/// The six columns of a `.bim` line, borrowed from the line.
struct BimRecord<'a> {
    chrom: &'a str,
    id: &'a str,
    pos: Position,
    a1: &'a str,
    a2: &'a str,
}

impl<'a> BimRecord<'a> {
    fn parse(line: &'a str) -> Result<BimRecord<'a>, String> {
        let mut fields = line.split_ascii_whitespace();
        let mut next = |name: &str| {
            fields.next().ok_or_else(|| {
                format!(
                    "missing {name} column (expected 6 columns: chrom, id, cM, position, A1, A2)"
                )
            })
        };
        let chrom = next("chromosome")?;
        let id = next("variant id")?;
        let cm = next("cM")?;
        let pos = next("position")?;
        let a1 = next("A1")?;
        let a2 = next("A2")?;
        if cm.parse::<f64>().is_err() {
            return Err(format!(
                "genetic position '{cm}' is not a number (column 3, cM)"
            ));
        }
        let pos = pos.parse::<Position>().map_err(|_| {
            format!("position '{pos}' is not a non-negative integer (column 4, base-pair)")
        })?;
        Ok(BimRecord {
            chrom,
            id,
            pos,
            a1,
            a2,
        })
    }
}

/// Counts the non-blank lines of a `.bim`, which the `.bed` size check needs before
/// streaming starts.
fn count_bim_records(path: &Path) -> Result<u64, ReadError> {
    let mut file = File::open(path).map_err(|e| ReadError::io(path, e))?;
    let mut buf = vec![0u8; 1 << 16];
    let mut count = 0u64;
    let mut line_has_text = false;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ReadError::io(path, e)),
        };
        for &b in &buf[..n] {
            if b == b'\n' {
                count += u64::from(line_has_text);
                line_has_text = false;
            } else if !b.is_ascii_whitespace() {
                line_has_text = true;
            }
        }
    }
    count += u64::from(line_has_text);
    Ok(count)
}

struct Fam {
    fids: Vec<String>,
    iids: Vec<String>,
    sample_ids: Vec<String>,
    sexes: Vec<Sex>,
}

/// Reads a `.fam`: whitespace-separated FID, IID, father, mother, sex and (optional here)
/// phenotype. Blank lines are ignored.
fn read_fam(path: &Path) -> Result<Fam, ReadError> {
    let text = std::fs::read(path).map_err(|e| ReadError::io(path, e))?;
    let text = String::from_utf8(text)
        .map_err(|_| ReadError::malformed(path, Location::Header, "not valid UTF-8 text"))?;
    let mut fam = Fam {
        fids: Vec::new(),
        iids: Vec::new(),
        sample_ids: Vec::new(),
        sexes: Vec::new(),
    };
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_ascii_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        if fields.len() < 5 {
            return Err(ReadError::malformed(
                path,
                Location::Line(i as u64 + 1),
                format!(
                    "{} columns, expected 6 (FID IID PAT MAT SEX PHENO)",
                    fields.len()
                ),
            ));
        }
        let (fid, iid) = (fields[0], fields[1]);
        fam.sample_ids.push(sample_id(fid, iid));
        fam.fids.push(fid.to_string());
        fam.iids.push(iid.to_string());
        fam.sexes.push(Sex::parse(fields[4]));
    }
    Ok(fam)
}

/// The sample ID plink2's VCF export gives a `.fam` sample.
fn sample_id(fid: &str, iid: &str) -> String {
    if fid == iid || fid == "0" {
        iid.to_string()
    } else {
        format!("{fid}_{iid}")
    }
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAM: &str = "F1 F1 0 0 1 -9\n\
                       0 S2 0 0 2 -9\n\
                       FAM S3 0 0 1 1\n\
                       F4 S4 0 0 0 -9\n\
                       F5 F5 0 0 2 2\n";

    const BIM: &str = "1\trs1\t0\t100\tA\tG\n\
                       23\trsX\t0\t200\tT\tC\n\
                       24\trsY\t0.5\t300\tG\tA\n\
                       1\trsM\t0\t400\t0\tC\n";

    /// Five samples take two bytes per variant; codes are listed sample 0..4, lowest bit
    /// pair first (00 hom A1, 01 missing, 10 het, 11 hom A2).
    const BED: [u8; 11] = [
        0x6c, 0x1b, 0x01, // rs1 (autosome): 00 01 10 11 | 10  -> 0b11_10_01_00, 0b10
        0xE4, 0x02, // rsX: 00 10 11 00 | 01  -> 0b00_11_10_00, 0b01
        0x38, 0x01, // rsY: 00 01 11 10 | 00  -> 0b10_11_01_00, 0
        0xB4, 0x00, // rsM: 11 01 11 11 | 11  -> 0b11_11_01_11, 0b11
        0xF7, 0x03,
    ];

    fn write_fileset(dir: &Path, bed: &[u8], bim: &str, fam: &str) -> PathBuf {
        let bed_path = dir.join("toy.bed");
        std::fs::write(&bed_path, bed).unwrap();
        std::fs::write(dir.join("toy.bim"), bim).unwrap();
        std::fs::write(dir.join("toy.fam"), fam).unwrap();
        bed_path
    }

    fn open_toy(dir: &Path) -> PlinkSource {
        let path = write_fileset(dir, &BED, BIM, FAM);
        PlinkSource::open(&path, &OpenOptions::default()).unwrap()
    }

    fn decode(src: &mut PlinkSource) -> Dosages {
        let mut d = Dosages::new();
        src.payload().unwrap().decode(&mut d).unwrap();
        d
    }

    /// Compares with NaN equal to NaN.
    fn assert_row(actual: &[f64], expected: &[f64]) {
        assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
        for (a, e) in actual.iter().zip(expected) {
            assert!(
                (a.is_nan() && e.is_nan()) || a == e,
                "{actual:?} vs {expected:?}"
            );
        }
    }

    const NAN: f64 = f64::NAN;

    #[test]
    fn byte_table_follows_the_bed_bit_order() {
        // 0b11_10_01_00: samples get codes 00, 01, 10, 11.
        assert_row(&BYTE_A1_DOSAGE[0xE4], &[2.0, NAN, 1.0, 0.0]);
        assert_row(&BYTE_A1_DOSAGE[0x00], &[2.0; 4]);
        assert_row(&BYTE_A1_DOSAGE[0xFF], &[0.0; 4]);
    }

    #[test]
    fn samples_and_sexes_come_from_the_fam() {
        let dir = tempfile::tempdir().unwrap();
        let src = open_toy(dir.path());
        assert_eq!(src.sample_ids(), ["F1", "S2", "FAM_S3", "F4_S4", "F5"]);
        assert_eq!(src.fids(), ["F1", "0", "FAM", "F4", "F5"]);
        assert_eq!(src.iids(), ["F1", "S2", "S3", "S4", "F5"]);
        assert_eq!(
            src.sexes(),
            [Sex::Male, Sex::Female, Sex::Male, Sex::Unknown, Sex::Female]
        );
        assert_eq!(src.variant_count(), 4);
        assert_eq!(src.format_name(), "PLINK 1 bed");
    }

    #[test]
    fn reads_every_site_and_its_dosages() {
        let dir = tempfile::tempdir().unwrap();
        let mut src = open_toy(dir.path());
        let all = SiteFilter::all();

        let s = src.next_site(&all).unwrap().unwrap();
        assert_eq!(
            s,
            Site {
                chrom: Chrom::parse("1"),
                pos: 100,
                id: "rs1".into(),
                ref_allele: "G".into(),
                alt_alleles: vec!["A".into()],
            }
        );
        let d = decode(&mut src);
        assert_eq!(d.n_alleles(), 2);
        assert_row(d.allele(1), &[2.0, NAN, 1.0, 0.0, 1.0]);
        assert_row(d.allele(0), &[0.0, NAN, 1.0, 2.0, 1.0]);
        assert_eq!(d.ploidy(), [2, 2, 2, 2, 2]);

        // X: males (samples 0 and 2) are haploid; unknown sex (3) stays diploid.
        let s = src.next_site(&all).unwrap().unwrap();
        assert_eq!((s.chrom.as_str(), s.pos), ("X", 200));
        let d = decode(&mut src);
        assert_eq!(d.ploidy(), [1, 2, 1, 2, 2]);
        assert_row(d.allele(1), &[1.0, 1.0, 0.0, 2.0, NAN]);
        assert_row(d.allele(0), &[0.0, 1.0, 1.0, 0.0, NAN]);

        // Y: everyone haploid, a heterozygous code is half a copy.
        let s = src.next_site(&all).unwrap().unwrap();
        assert_eq!((s.chrom.as_str(), s.id.as_str()), ("Y", "rsY"));
        let d = decode(&mut src);
        assert_eq!(d.ploidy(), [1, 1, 1, 1, 1]);
        assert_row(d.allele(1), &[1.0, NAN, 0.0, 0.5, 1.0]);
        assert_row(d.allele(0), &[0.0, NAN, 1.0, 0.5, 0.0]);

        // A1 "0": monomorphic, no ALT allele, REF dosage only.
        let s = src.next_site(&all).unwrap().unwrap();
        assert_eq!(s.ref_allele, "C");
        assert!(s.alt_alleles.is_empty());
        let d = decode(&mut src);
        assert_eq!(d.n_alleles(), 1);
        assert_row(d.allele(0), &[2.0, NAN, 2.0, 2.0, 2.0]);

        assert!(src.next_site(&all).unwrap().is_none());
        assert!(src.next_site(&all).unwrap().is_none());
    }

    #[test]
    fn skipped_variants_are_not_read_and_offsets_stay_right() {
        let dir = tempfile::tempdir().unwrap();
        let mut src = open_toy(dir.path());
        let filter = SiteFilter::all()
            .with_positions(vec![(Chrom::parse("Y"), 300), (Chrom::parse("1"), 400)]);
        let s = src.next_site(&filter).unwrap().unwrap();
        assert_eq!(s.id, "rsY");
        match src.location() {
            Location::Other(text) => assert!(text.contains("variant 3 (rsY)"), "{text}"),
            other => panic!("unexpected location {other:?}"),
        }
        assert_row(decode(&mut src).allele(1), &[1.0, NAN, 0.0, 0.5, 1.0]);
        let s = src.next_site(&filter).unwrap().unwrap();
        assert_eq!(s.id, "rsM");
        assert_row(decode(&mut src).allele(0), &[2.0, NAN, 2.0, 2.0, 2.0]);
        assert!(src.next_site(&filter).unwrap().is_none());
    }

    #[test]
    fn payloads_can_be_skipped_and_taken_out_of_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut src = open_toy(dir.path());
        let all = SiteFilter::all();
        src.next_site(&all).unwrap();
        let first = src.payload().unwrap();
        src.next_site(&all).unwrap();
        src.next_site(&all).unwrap();
        let third = src.payload().unwrap();
        // Re-taking the current payload seeks back.
        let third_again = src.payload().unwrap();
        let mut d = Dosages::new();
        third.decode(&mut d).unwrap();
        assert_row(d.allele(1), &[1.0, NAN, 0.0, 0.5, 1.0]);
        third_again.decode(&mut d).unwrap();
        assert_row(d.allele(1), &[1.0, NAN, 0.0, 0.5, 1.0]);
        first.decode(&mut d).unwrap();
        assert_row(d.allele(1), &[2.0, NAN, 1.0, 0.0, 1.0]);
    }

    #[test]
    fn region_filter_selects_chromosome_x() {
        let dir = tempfile::tempdir().unwrap();
        let mut src = open_toy(dir.path());
        let filter = SiteFilter::all().with_region(Some("X".parse().unwrap()));
        let s = src.next_site(&filter).unwrap().unwrap();
        assert_eq!(s.id, "rsX");
        assert_eq!(decode(&mut src).ploidy(), [1, 2, 1, 2, 2]);
        assert!(src.next_site(&filter).unwrap().is_none());
    }

    #[test]
    fn opens_through_format_detection_from_a_prefix() {
        let dir = tempfile::tempdir().unwrap();
        write_fileset(dir.path(), &BED, BIM, FAM);
        let mut src = crate::io::open(&dir.path().join("toy"), &OpenOptions::default()).unwrap();
        assert_eq!(src.format_name(), "PLINK 1 bed");
        assert!(src.path().ends_with("toy.bed"));
        let s = src.next_site(&SiteFilter::all()).unwrap().unwrap();
        assert_eq!(s.id, "rs1");
    }

    #[test]
    fn payload_before_any_site_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut src = open_toy(dir.path());
        assert!(src.payload().is_err());
    }

    #[test]
    fn sample_count_not_a_multiple_of_four() {
        // Three samples in one byte, 0b00_10_11_00 would be codes 00 11 10 (00 ignored).
        let dir = tempfile::tempdir().unwrap();
        let fam = "a a 0 0 1 -9\nb b 0 0 2 -9\nc c 0 0 2 -9\n";
        let bim = "2 v1 0 10 A C\n2 v2 0 20 A C\n";
        let bed = [0x6c, 0x1b, 0x01, 0b0010_1100, 0b0101_0111];
        let path = write_fileset(dir.path(), &bed, bim, fam);
        let mut src = PlinkSource::open(&path, &OpenOptions::default()).unwrap();
        let all = SiteFilter::all();
        src.next_site(&all).unwrap();
        assert_row(decode(&mut src).allele(1), &[2.0, 0.0, 1.0]);
        src.next_site(&all).unwrap();
        assert_row(decode(&mut src).allele(1), &[0.0, NAN, NAN]);
    }

    #[test]
    fn truncated_bed_is_refused_with_sizes() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_fileset(dir.path(), &BED[..10], BIM, FAM);
        let err = PlinkSource::open(&path, &OpenOptions::default())
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("toy.bed"), "{err}");
        assert!(err.contains("file is 10 bytes"), "{err}");
        assert!(err.contains("need 11 bytes"), "{err}");
        assert!(err.contains("truncated"), "{err}");
    }

    #[test]
    fn fam_with_fewer_samples_changes_the_expected_size() {
        // Four samples fit one byte per variant: 3 + 4 x 1 bytes, not 11.
        let dir = tempfile::tempdir().unwrap();
        let fam = FAM.replace("F5 F5 0 0 2 2\n", "");
        let path = write_fileset(dir.path(), &BED, BIM, &fam);
        let err = PlinkSource::open(&path, &OpenOptions::default())
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("4 samples (.fam) need 7 bytes"), "{err}");
        assert!(err.contains("file is 11 bytes"), "{err}");
    }

    #[test]
    fn bad_magic_and_individual_major_mode_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut bed = BED;
        bed[1] = 0x1c;
        let path = write_fileset(dir.path(), &bed, BIM, FAM);
        let err = PlinkSource::open(&path, &OpenOptions::default())
            .err()
            .unwrap();
        assert!(matches!(err, ReadError::Malformed { .. }), "{err}");
        assert!(err.to_string().contains("magic"), "{err}");

        let mut bed = BED;
        bed[2] = 0x00;
        let path = write_fileset(dir.path(), &bed, BIM, FAM);
        let err = PlinkSource::open(&path, &OpenOptions::default())
            .err()
            .unwrap();
        assert!(matches!(err, ReadError::Unsupported { .. }), "{err}");
        assert!(err.to_string().contains("0x00"), "{err}");
    }

    #[test]
    fn bad_bim_line_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let bim = BIM.replace("23\trsX\t0\t200", "23\trsX\t0\tabc");
        let path = write_fileset(dir.path(), &BED, &bim, FAM);
        let mut src = PlinkSource::open(&path, &OpenOptions::default()).unwrap();
        src.next_site(&SiteFilter::all()).unwrap();
        let err = src.next_site(&SiteFilter::all()).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, ReadError::Malformed { .. }), "{text}");
        assert!(text.contains("toy.bim: line 2"), "{text}");
        assert!(text.contains("position 'abc'"), "{text}");

        let bim = BIM.replace("24\trsY\t0.5\t300\tG\tA", "24\trsY\t0.5\t300\tG");
        let path = write_fileset(dir.path(), &BED, &bim, FAM);
        let mut src = PlinkSource::open(&path, &OpenOptions::default()).unwrap();
        let all = SiteFilter::all();
        assert!(src.next_site(&all).unwrap().is_some());
        assert!(src.next_site(&all).unwrap().is_some());
        let err = src.next_site(&all).unwrap_err().to_string();
        assert!(
            err.contains("line 3") && err.contains("missing A2"),
            "{err}"
        );
    }

    #[test]
    fn bad_fam_line_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let fam = FAM.replace("F4 S4 0 0 0 -9", "F4 S4 0");
        let path = write_fileset(dir.path(), &BED, BIM, &fam);
        let err = PlinkSource::open(&path, &OpenOptions::default())
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("toy.fam: line 4"), "{err}");
        assert!(err.contains("3 columns"), "{err}");
    }

    #[test]
    fn duplicate_sample_ids_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        // "A B" and "0 A_B" both become A_B.
        let fam = FAM
            .replace("F1 F1 0 0 1 -9", "A B 0 0 1 -9")
            .replace("F5 F5 0 0 2 2", "0 A_B 0 0 2 2");
        let path = write_fileset(dir.path(), &BED, BIM, &fam);
        let err = PlinkSource::open(&path, &OpenOptions::default())
            .err()
            .unwrap();
        assert!(matches!(err, ReadError::DuplicateSample { .. }), "{err}");
    }

    #[test]
    fn missing_bim_is_an_io_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_fileset(dir.path(), &BED, BIM, FAM);
        std::fs::remove_file(dir.path().join("toy.bim")).unwrap();
        let err = PlinkSource::open(&path, &OpenOptions::default())
            .err()
            .unwrap();
        assert!(err.to_string().contains("toy.bim"), "{err}");
    }
}
