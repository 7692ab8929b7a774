//! Genotype readers behind one streaming trait.
//!
//! Scoring, GWAS and encoding never care which format the genotypes came in: they pull
//! [`Site`]s from a [`GenotypeSource`], and only for the sites they want do they take the
//! undecoded [`Payload`] and decode it into [`Dosages`]. Splitting "where is this variant"
//! from "what are its genotypes" lets readers skip whole records (and, with an index,
//! whole compressed blocks) without touching sample columns, and lets callers decode
//! payloads on several threads.

pub mod bgen;
pub mod ids;
pub mod plink;
pub mod vcf;
pub mod write;

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::genome::{Chrom, Position, Region};

/// One variant site: where it is and which alleles it has. Allele 0 is the reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// Chromosome, normalised (`chr1` and `1` compare equal).
    pub chrom: Chrom,
    /// 1-based position of the first base of the reference allele (VCF `POS`, `.bim` column 4).
    pub pos: Position,
    /// Variant ID as written in the file (`.` when the file has none).
    pub id: String,
    /// Reference allele (allele 0) as written, e.g. VCF `REF` or the `.bim` A2 column.
    pub ref_allele: String,
    /// Alternate alleles (indexes 1..) in file order; empty for a monomorphic site.
    pub alt_alleles: Vec<String>,
}

impl Site {
    /// All alleles, reference first; the index into this list is the allele index used by
    /// [`Dosages`].
    pub fn alleles(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.ref_allele.as_str()).chain(self.alt_alleles.iter().map(|s| s.as_str()))
    }

    /// Number of alleles including the reference: `1 + alt_alleles.len()`.
    pub fn allele_count(&self) -> usize {
        1 + self.alt_alleles.len()
    }

    /// `CHR:POS:REF:ALT`, the ID plink2 `--set-all-var-ids @:#:$r:$a` would give.
    pub fn positional_id(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.chrom,
            self.pos,
            self.ref_allele,
            self.alt_alleles.join(",")
        )
    }
}

/// Per-sample allele dosages at one site.
///
/// Values are stored allele-major: the dosage of allele `a` (0 = reference) for sample `s`
/// is `allele(a)[s]`. A dosage is the expected number of copies of that allele in the
/// sample's genotype, between 0 and the sample's ploidy. Missing genotypes are `NaN` in
/// every allele. Ploidy is kept per sample, because haploid calls (chrY, male chrX, MT) and
/// BGEN's ploidy 1–4 change both the dosage range and plink2's allele counts.
#[derive(Clone, Debug, Default)]
pub struct Dosages {
    n_samples: usize,
    n_alleles: usize,
    values: Vec<f64>,
    ploidy: Vec<u8>,
}

impl Dosages {
    /// An empty buffer (0 samples, 0 alleles); call [`Dosages::reset`] before filling it.
    pub fn new() -> Dosages {
        Dosages::default()
    }

    /// Resizes for a site and marks every sample missing with ploidy 2, reusing the buffers.
    pub fn reset(&mut self, n_samples: usize, n_alleles: usize) {
        self.n_samples = n_samples;
        self.n_alleles = n_alleles;
        self.values.clear();
        self.values.resize(n_samples * n_alleles, f64::NAN);
        self.ploidy.clear();
        self.ploidy.resize(n_samples, 2);
    }

    /// Number of samples at this site (the reader's sample count).
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }

    /// Number of alleles, reference included, as set by the last [`Dosages::reset`].
    pub fn n_alleles(&self) -> usize {
        self.n_alleles
    }

    /// Dosages of allele `a` for every sample.
    pub fn allele(&self, a: usize) -> &[f64] {
        &self.values[a * self.n_samples..(a + 1) * self.n_samples]
    }

    /// Mutable dosages of allele `a` for every sample, for decoders filling a whole row.
    pub fn allele_mut(&mut self, a: usize) -> &mut [f64] {
        let n = self.n_samples;
        &mut self.values[a * n..(a + 1) * n]
    }

    /// Sets one sample's dosage of one allele.
    #[inline]
    pub fn set(&mut self, allele: usize, sample: usize, dosage: f64) {
        self.values[allele * self.n_samples + sample] = dosage;
    }

    /// Dosage of `allele` (0 = reference) for `sample`: expected copies, `NaN` when missing.
    #[inline]
    pub fn get(&self, allele: usize, sample: usize) -> f64 {
        self.values[allele * self.n_samples + sample]
    }

    /// Ploidy of every sample at this site (2 unless the decoder set it; 1 for haploid calls).
    pub fn ploidy(&self) -> &[u8] {
        &self.ploidy
    }

    /// Sets one sample's ploidy (from GT, a BGEN ploidy byte or plink2's haploid rules).
    pub fn set_ploidy(&mut self, sample: usize, ploidy: u8) {
        self.ploidy[sample] = ploidy;
    }

    /// Marks one sample missing at this site (all alleles `NaN`).
    pub fn set_missing(&mut self, sample: usize) {
        for a in 0..self.n_alleles {
            self.values[a * self.n_samples + sample] = f64::NAN;
        }
    }

    /// True when `sample`'s genotype is missing (its reference dosage, and so every dosage, is
    /// `NaN`).
    pub fn is_missing(&self, sample: usize) -> bool {
        self.values[sample].is_nan()
    }

    /// Fills the reference-allele row as ploidy minus the sum of the other alleles, for
    /// formats (VCF `DS`) that store only non-reference dosages.
    pub fn fill_reference_from_alts(&mut self) {
        let n = self.n_samples;
        for s in 0..n {
            let mut alt_sum = 0.0;
            for a in 1..self.n_alleles {
                alt_sum += self.values[a * n + s];
            }
            self.values[s] = if alt_sum.is_nan() {
                f64::NAN
            } else {
                f64::from(self.ploidy[s]) - alt_sum
            };
        }
    }
}

/// Where a reader is in its file, for error messages: "line 12", "record 7 (rs123)".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// The file header, before any variant.
    Header,
    /// A 1-based line of a text file (VCF).
    Line(u64),
    /// A variant record of a binary file (BCF, BGEN, PLINK), counted from 1.
    Record(u64),
    /// A byte offset in the file (bad magic numbers, a truncated BGZF file).
    Offset(u64),
    /// Free text, e.g. "variant 7 (rs123) at byte 4096".
    Other(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Header => f.write_str("header"),
            Location::Line(n) => write!(f, "line {n}"),
            Location::Record(n) => write!(f, "record {n}"),
            Location::Offset(n) => write!(f, "byte {n}"),
            Location::Other(s) => f.write_str(s),
        }
    }
}

/// Everything that can go wrong while opening or streaming a genotype file.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] crate::util::PathIoError),
    /// The file breaks its format's rules at `location` (bad field, truncated record, ...).
    #[error("{path}: {location}: {message}")]
    Malformed {
        /// File being read.
        path: PathBuf,
        /// Where in the file the problem was found.
        location: Location,
        /// What is wrong, for the user.
        message: String,
    },
    /// The file's first bytes match none of the supported formats ([`detect_format`]).
    #[error("{path}: unrecognised genotype file (expected VCF, VCF.gz, BCF, BGEN or PLINK .bed/.bim/.fam)")]
    UnknownFormat {
        /// File whose format was not recognised.
        path: PathBuf,
    },
    /// Two samples of the file share one ID; downstream tables are keyed by sample ID, so
    /// the file is refused when it is opened.
    #[error("{path}: duplicate sample id '{id}' (samples {first} and {second}); sample ids must be unique")]
    DuplicateSample {
        /// File whose sample list has the duplicate.
        path: PathBuf,
        /// The repeated sample ID.
        id: String,
        /// 1-based index of the sample's first occurrence.
        first: usize,
        /// 1-based index of its second occurrence.
        second: usize,
    },
    /// A valid file using a feature this reader does not implement (BGEN layout 0, a
    /// non-SNP-major `.bed`, ...), or a format handed to the wrong reader.
    #[error("{path}: {message}")]
    Unsupported {
        /// File that uses the unsupported feature.
        path: PathBuf,
        /// Which feature, and what to do about it where there is a way.
        message: String,
    },
}

impl ReadError {
    /// A [`ReadError::Io`] naming `path`, for an `std::io::Error` raised on it.
    pub fn io(path: &Path, source: std::io::Error) -> ReadError {
        ReadError::Io(crate::util::PathIoError {
            path: path.to_path_buf(),
            source,
        })
    }

    /// A [`ReadError::Malformed`] at `location` in `path`.
    pub fn malformed(path: &Path, location: Location, message: impl Into<String>) -> ReadError {
        ReadError::Malformed {
            path: path.to_path_buf(),
            location,
            message: message.into(),
        }
    }
}

/// Which per-sample field a VCF/BCF dosage is taken from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DosageField {
    /// DS if the record has it, else GP, else GT.
    #[default]
    Auto,
    /// The `DS` field: ALT dosages directly (the reference dosage is ploidy minus their sum).
    Ds,
    /// The `GP` field: genotype probabilities in VCF genotype order, turned into expected
    /// allele counts.
    Gp,
    /// The `GT` field: hard calls, so every dosage is a whole number of copies.
    Gt,
}

impl FromStr for DosageField {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_uppercase().as_str() {
            "AUTO" => Ok(DosageField::Auto),
            "DS" => Ok(DosageField::Ds),
            "GP" => Ok(DosageField::Gp),
            "GT" => Ok(DosageField::Gt),
            _ => Err(format!(
                "unknown dosage field '{s}' (expected DS, GP, GT or auto)"
            )),
        }
    }
}

/// Which sites a caller wants. Readers consult it before decoding anything past the
/// position, and may use an index to jump over stretches that hold no wanted site.
#[derive(Clone, Debug, Default)]
pub struct SiteFilter {
    region: Option<Region>,
    /// Sorted, de-duplicated wanted positions per chromosome; `None` wants every position.
    positions: Option<HashMap<Chrom, Vec<Position>>>,
}

impl SiteFilter {
    /// Wants every site.
    pub fn all() -> SiteFilter {
        SiteFilter::default()
    }

    /// Restricts to one region.
    pub fn with_region(mut self, region: Option<Region>) -> SiteFilter {
        self.region = region;
        self
    }

    /// Restricts to the given positions (in any order, duplicates allowed).
    pub fn with_positions(
        mut self,
        positions: impl IntoIterator<Item = (Chrom, Position)>,
    ) -> SiteFilter {
        let mut map: HashMap<Chrom, Vec<Position>> = HashMap::new();
        for (c, p) in positions {
            map.entry(c).or_default().push(p);
        }
        for v in map.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        self.positions = Some(map);
        self
    }

    /// The region the caller restricted to, if any.
    pub fn region(&self) -> Option<&Region> {
        self.region.as_ref()
    }

    /// True when no position list restricts the sites (only the region, if any, does).
    pub fn wants_all_positions(&self) -> bool {
        self.positions.is_none()
    }

    /// Whether a site at `chrom:pos` is wanted.
    #[inline]
    pub fn wants(&self, chrom: &Chrom, pos: Position) -> bool {
        if let Some(r) = &self.region {
            if !r.contains(chrom, pos) {
                return false;
            }
        }
        match &self.positions {
            None => true,
            Some(map) => map
                .get(chrom)
                .is_some_and(|v| v.binary_search(&pos).is_ok()),
        }
    }

    /// Whether any site on `chrom` can be wanted.
    pub fn wants_chrom(&self, chrom: &Chrom) -> bool {
        if let Some(r) = &self.region {
            if r.chrom != *chrom {
                return false;
            }
        }
        match &self.positions {
            None => true,
            Some(map) => map.get(chrom).is_some_and(|v| !v.is_empty()),
        }
    }

    /// The smallest wanted position on `chrom` that is `>= pos`, or `None` when nothing
    /// further on this chromosome is wanted. Readers use it to seek with an index.
    pub fn next_wanted(&self, chrom: &Chrom, pos: Position) -> Option<Position> {
        let (lo, hi) = match &self.region {
            Some(r) if r.chrom != *chrom => return None,
            Some(r) => (pos.max(r.start), r.end),
            None => (pos, Position::MAX),
        };
        let next = match &self.positions {
            None => Some(lo),
            Some(map) => {
                let v = map.get(chrom)?;
                let i = v.partition_point(|&p| p < lo);
                v.get(i).copied()
            }
        };
        next.filter(|&p| p <= hi)
    }

    /// Chromosomes that hold wanted positions (`None` when every position is wanted).
    pub fn chroms(&self) -> Option<Vec<Chrom>> {
        if let Some(r) = &self.region {
            return Some(vec![r.chrom.clone()]);
        }
        self.positions.as_ref().map(|m| {
            let mut v: Vec<Chrom> = m.keys().cloned().collect();
            v.sort();
            v
        })
    }

    /// Wanted positions on one chromosome, sorted (`None` when every position is wanted).
    pub fn positions_on(&self, chrom: &Chrom) -> Option<&[Position]> {
        self.positions
            .as_ref()
            .map(|m| m.get(chrom).map(|v| v.as_slice()).unwrap_or(&[]))
    }
}

/// The undecoded genotypes of one site, detached from the reader so that it can be
/// decoded on another thread.
pub trait Payload: Send {
    /// Decodes into `out`, which the implementation resets to this site's sample and
    /// allele counts.
    fn decode(&self, out: &mut Dosages) -> Result<(), ReadError>;
}

/// A streaming genotype file.
///
/// Call [`next_site`](GenotypeSource::next_site) until it returns `None`; after a site is
/// returned, [`payload`](GenotypeSource::payload) may be called once to take its genotypes.
/// Sites whose payload is never taken cost no sample parsing.
pub trait GenotypeSource: Send {
    /// The file this source reads, for messages.
    fn path(&self) -> &Path;

    /// Short format name: "VCF", "BCF", "BGEN v1.2", "PLINK 1 bed".
    fn format_name(&self) -> String;

    /// Sample IDs in file order. Unique (readers refuse duplicates when they open).
    fn sample_ids(&self) -> &[String];

    /// Advances to the next site that `filter` wants, skipping unwanted records (with an
    /// index where one is available). Returns `None` at the end of the file.
    fn next_site(&mut self, filter: &SiteFilter) -> Result<Option<Site>, ReadError>;

    /// Takes the genotypes of the site most recently returned by `next_site`.
    fn payload(&mut self) -> Result<Box<dyn Payload>, ReadError>;

    /// Location of the current site, for error messages ("line 12", "variant 7").
    fn location(&self) -> Location;

    /// The genome build the file declares or implies (`GRCh37`, `GRCh38`), if it says.
    fn genome_build(&self) -> Option<&'static str> {
        None
    }
}

/// How to open a genotype file.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// A BGEN `.sample` file supplying (or overriding) sample IDs.
    pub sample_file: Option<PathBuf>,
    /// Which VCF/BCF field dosages come from.
    pub dosage_field: DosageField,
    /// Threads a reader may use for decompression.
    pub threads: usize,
}

/// A genotype file format, as recognised from the file's first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// VCF text, plain, gzip or BGZF-compressed (`##fileformat=VCF` or `#CHROM` at the start).
    Vcf,
    /// BCF 2 (`BCF\x02` magic, normally inside BGZF compression).
    Bcf,
    /// BGEN (magic `bgen` or four zero bytes at offset 16, per the BGEN spec).
    Bgen,
    /// PLINK 1 binary genotypes (`.bed` magic `0x6c 0x1b 0x01`, SNP-major), with `.bim`/`.fam`.
    PlinkBed,
}

/// Recognises a genotype format by content, with the file name as a hint for PLINK
/// prefixes (`cohort` for `cohort.bed/.bim/.fam`).
pub fn detect_format(path: &Path) -> Result<(Format, PathBuf), ReadError> {
    if !path.exists() {
        // A PLINK prefix given without extension.
        let bed = with_extension_appended(path, "bed");
        if bed.exists() {
            return Ok((Format::PlinkBed, bed));
        }
        return Err(ReadError::io(
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        ));
    }
    let mut head = [0u8; 32];
    let n = read_prefix(path, &mut head)?;
    let head = &head[..n];
    if head.len() >= 3 && head[0] == 0x6c && head[1] == 0x1b && head[2] == 0x01 {
        return Ok((Format::PlinkBed, path.to_path_buf()));
    }
    if head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b {
        // gzip or BGZF: look at the decompressed start.
        let file = File::open(path).map_err(|e| ReadError::io(path, e))?;
        let mut dec = flate2::read::MultiGzDecoder::new(file);
        let mut inner = [0u8; 16];
        let mut got = 0;
        while got < inner.len() {
            match dec.read(&mut inner[got..]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) => {
                    return Err(ReadError::malformed(
                        path,
                        Location::Offset(0),
                        format!("corrupt gzip/BGZF data: {e}"),
                    ))
                }
            }
        }
        return classify_text_or_bcf(path, &inner[..got]);
    }
    if head.len() >= 20 && (&head[16..20] == b"bgen" || head[16..20] == [0, 0, 0, 0]) {
        let offset = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let header_len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if header_len >= 20 && header_len <= offset {
            return Ok((Format::Bgen, path.to_path_buf()));
        }
    }
    classify_text_or_bcf(path, head)
}

fn classify_text_or_bcf(path: &Path, head: &[u8]) -> Result<(Format, PathBuf), ReadError> {
    if head.starts_with(b"BCF\x02") {
        return Ok((Format::Bcf, path.to_path_buf()));
    }
    if head.starts_with(b"##fileformat=VCF") || head.starts_with(b"#CHROM") {
        return Ok((Format::Vcf, path.to_path_buf()));
    }
    Err(ReadError::UnknownFormat {
        path: path.to_path_buf(),
    })
}

fn read_prefix(path: &Path, buf: &mut [u8]) -> Result<usize, ReadError> {
    let mut f = File::open(path).map_err(|e| ReadError::io(path, e))?;
    let mut got = 0;
    while got < buf.len() {
        match f.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) => return Err(ReadError::io(path, e)),
        }
    }
    Ok(got)
}

/// `path` + `.ext` (not replacing an existing extension: `a.b` -> `a.b.ext`).
pub fn with_extension_appended(path: &Path, ext: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// Opens a genotype file of any supported format.
pub fn open(path: &Path, options: &OpenOptions) -> Result<Box<dyn GenotypeSource>, ReadError> {
    let (format, path) = detect_format(path)?;
    let source: Box<dyn GenotypeSource> = match format {
        Format::Vcf | Format::Bcf => Box::new(vcf::VcfSource::open(&path, options)?),
        Format::Bgen => Box::new(bgen::BgenSource::open(&path, options)?),
        Format::PlinkBed => Box::new(plink::PlinkSource::open(&path, options)?),
    };
    check_unique_samples(&path, source.sample_ids())?;
    Ok(source)
}

/// Refuses duplicate sample IDs: every downstream table is keyed by them.
pub fn check_unique_samples(path: &Path, ids: &[String]) -> Result<(), ReadError> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if let Some(&first) = seen.get(id.as_str()) {
            return Err(ReadError::DuplicateSample {
                path: path.to_path_buf(),
                id: id.clone(),
                first: first + 1,
                second: i + 1,
            });
        }
        seen.insert(id, i);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_positions_and_region() {
        let c22 = Chrom::parse("22");
        let f = SiteFilter::all().with_positions(vec![
            (c22.clone(), 30),
            (c22.clone(), 10),
            (c22.clone(), 10),
        ]);
        assert!(f.wants(&c22, 10));
        assert!(!f.wants(&c22, 11));
        assert!(!f.wants(&Chrom::parse("1"), 10));
        assert_eq!(f.next_wanted(&c22, 11), Some(30));
        assert_eq!(f.next_wanted(&c22, 31), None);
        let f = f.with_region(Some("22:20-40".parse().unwrap()));
        assert!(!f.wants(&c22, 10));
        assert!(f.wants(&c22, 30));
        assert_eq!(f.next_wanted(&c22, 1), Some(30));
        assert!(SiteFilter::all().wants(&c22, 123));
    }

    #[test]
    fn dosages_reference_from_alts() {
        let mut d = Dosages::new();
        d.reset(3, 3);
        d.set(1, 0, 0.5);
        d.set(2, 0, 1.0);
        d.set(1, 1, 0.0);
        d.set(2, 1, 0.0);
        d.set_ploidy(2, 1);
        d.fill_reference_from_alts();
        assert_eq!(d.get(0, 0), 0.5);
        assert_eq!(d.get(0, 1), 2.0);
        assert!(d.is_missing(2));
    }

    #[test]
    fn duplicate_samples_are_refused() {
        let ids: Vec<String> = ["a", "b", "a"].iter().map(|s| s.to_string()).collect();
        let err = check_unique_samples(Path::new("x.vcf"), &ids).unwrap_err();
        assert!(err.to_string().contains("duplicate sample id 'a'"));
        assert!(err.to_string().contains("samples 1 and 3"));
    }
}
