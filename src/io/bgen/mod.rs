//! BGEN reader for format versions 1.1 (layout 1) and 1.2/1.3 (layout 2).
//!
//! The layout follows the format specification by Gavin Band
//! (<https://www.well.ox.ac.uk/~gav/bgen_format/spec/latest.html>): a header block, an
//! optional sample-identifier block, then one block per variant made of *identifying data*
//! (IDs, chromosome, position, alleles) and a length-prefixed, usually compressed
//! *genotype data block*.
//!
//! The reader keeps these two halves apart. [`BgenSource::next_site`] reads only the
//! identifying data and seeks over the genotype blocks of unwanted variants without
//! reading them; [`GenotypeSource::payload`] copies the still-compressed block into an owned
//! [`Payload`] whose `decode` inflates and converts it on whichever thread calls it. When a
//! bgenix `.bgi` index sits next to the file and the filter restricts positions, the
//! reader asks the index for the wanted variants' offsets and never touches the others.

mod decode;
mod index;
mod writer;

#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{
    with_extension_appended, GenotypeSource, Location, OpenOptions, Payload, ReadError, Site,
    SiteFilter,
};
use crate::genome::Chrom;

pub use index::write_bgi;
pub use writer::{BgenCompression, BgenWriter, BgenWriterOptions};

/// Read-ahead buffer for the variant stream: large enough that seeking over the genotype
/// block of an unwanted variant usually stays inside the buffer.
const READ_BUFFER_BYTES: usize = 256 * 1024;

/// Bytes of a layout-1 genotype block per sample: three `u16` probabilities.
const LAYOUT1_BYTES_PER_SAMPLE: u64 = 6;

/// Bit 31 of the header flags: the file carries a sample identifier block.
const FLAG_SAMPLE_IDS: u32 = 1 << 31;

/// How genotype data blocks are compressed (header flags, bits 0–1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Compression {
    None,
    Zlib,
    Zstd,
}

/// How genotype data blocks are laid out (header flags, bits 2–5). Layout 1 is BGEN v1.1,
/// layout 2 is v1.2 and v1.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    One,
    Two,
}

/// What the header block says about the whole file.
#[derive(Clone, Debug)]
pub(crate) struct Header {
    /// Absolute byte offset of the first variant block (`offset + 4` in the spec).
    pub(crate) first_variant: u64,
    /// Length of the header block `L_H`; it starts at byte 4.
    pub(crate) header_len: u32,
    pub(crate) n_variants: u32,
    pub(crate) n_samples: u32,
    pub(crate) compression: Compression,
    pub(crate) layout: Layout,
    pub(crate) has_sample_ids: bool,
}

/// A variant's identifying data exactly as written, with buffers reused across variants.
#[derive(Clone, Debug, Default)]
pub(crate) struct RawVariant {
    pub(crate) varid: String,
    pub(crate) rsid: String,
    pub(crate) chrom: String,
    pub(crate) pos: u32,
    pub(crate) alleles: Vec<String>,
}

impl RawVariant {
    /// The ID medgem-prs reports: the rsid, or the variant ID when the rsid is empty or `.`.
    fn display_id(&self) -> &str {
        if !self.rsid.is_empty() && self.rsid != "." {
            &self.rsid
        } else if !self.varid.is_empty() {
            &self.varid
        } else {
            "."
        }
    }
}

/// The genotype data block of the current variant: `len` bytes from absolute offset
/// `start`, past the block's length prefix.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GenotypeBlock {
    pub(crate) start: u64,
    pub(crate) len: u64,
}

/// A buffered file with a byte position, so every message can say where it is.
struct Reader {
    inner: BufReader<File>,
    pos: u64,
    len: u64,
}

impl Reader {
    fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.pos)
    }

    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        self.inner.read_exact(buf)?;
        self.pos += buf.len() as u64;
        Ok(())
    }

    /// Moves to an absolute offset, keeping the buffer when the target lies inside it.
    fn seek_to(&mut self, offset: u64) -> std::io::Result<()> {
        if offset == self.pos {
            return Ok(());
        }
        match i64::try_from(offset).ok().zip(i64::try_from(self.pos).ok()) {
            Some((to, from)) => self.inner.seek_relative(to - from)?,
            None => {
                self.inner.seek(SeekFrom::Start(offset))?;
            }
        }
        self.pos = offset;
        Ok(())
    }
}

/// The low-level BGEN file: header, identifying data and genotype block spans. Knows
/// nothing of sample IDs, so that indexing works on files that have none.
pub(crate) struct BgenFile {
    path: Arc<Path>,
    reader: Reader,
    pub(crate) header: Header,
    /// 1-based number of the current variant, when known (not when jumping by index).
    ordinal: Option<u64>,
    /// Absolute offset of the current variant's identifying data.
    offset: u64,
    /// The current variant's ID once read.
    id: Option<String>,
    scratch: Vec<u8>,
}

impl BgenFile {
    /// Opens a BGEN file and parses its header block.
    pub(crate) fn open(path: &Path) -> Result<BgenFile, ReadError> {
        let file = File::open(path).map_err(|e| ReadError::io(path, e))?;
        let len = file.metadata().map_err(|e| ReadError::io(path, e))?.len();
        let mut this = BgenFile {
            path: Arc::from(path),
            reader: Reader {
                inner: BufReader::with_capacity(READ_BUFFER_BYTES, file),
                pos: 0,
                len,
            },
            header: Header {
                first_variant: 0,
                header_len: 0,
                n_variants: 0,
                n_samples: 0,
                compression: Compression::None,
                layout: Layout::Two,
                has_sample_ids: false,
            },
            ordinal: None,
            offset: 0,
            id: None,
            scratch: Vec::new(),
        };
        this.header = this.read_header()?;
        Ok(this)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn len(&self) -> u64 {
        self.reader.len
    }

    fn read_header(&mut self) -> Result<Header, ReadError> {
        let offset = self.read_u32("the offset of the first variant")?;
        let header_len = self.read_u32("the header length")?;
        if header_len < 20 {
            return Err(self.error(format!(
                "header length is {header_len}, expected at least 20 bytes"
            )));
        }
        if header_len > offset {
            return Err(self.error(format!(
                "header length {header_len} exceeds the first variant offset {offset}"
            )));
        }
        let n_variants = self.read_u32("the number of variants")?;
        let n_samples = self.read_u32("the number of samples")?;
        let mut magic = [0u8; 4];
        self.read_into(&mut magic, "the magic number")?;
        if &magic != b"bgen" && magic != [0; 4] {
            return Err(self.error(format!(
                "magic number is {magic:02x?}, expected \"bgen\" or four zero bytes (not a BGEN file?)"
            )));
        }
        // Free data: skip it, but make sure it is there.
        let free = u64::from(header_len) - 20;
        self.need(free + 4, "the free data and flags")?;
        self.seek_to(4 + u64::from(header_len) - 4)?;
        let flags = self.read_u32("the header flags")?;
        let compression = match flags & 0b11 {
            0 => Compression::None,
            1 => Compression::Zlib,
            2 => Compression::Zstd,
            c => {
                return Err(self.error(format!(
                    "unknown compression {c} in header flags (expected 0 none, 1 zlib or 2 zstd)"
                )))
            }
        };
        let layout = match (flags >> 2) & 0b1111 {
            1 => Layout::One,
            2 => Layout::Two,
            0 => return Err(ReadError::Unsupported {
                path: self.path.to_path_buf(),
                message:
                    "layout 0 (BGEN v1.0) is not supported; convert the file with qctool to v1.2"
                        .into(),
            }),
            l => {
                return Err(self.error(format!(
                    "unknown layout {l} in header flags (expected 1 for v1.1 or 2 for v1.2)"
                )))
            }
        };
        if layout == Layout::One && compression == Compression::Zstd {
            return Err(self.error(
                "layout 1 (v1.1) with zstd compression is not allowed by the spec".to_string(),
            ));
        }
        let first_variant = u64::from(offset) + 4;
        if first_variant > self.reader.len {
            return Err(self.error(format!(
                "first variant offset {first_variant} is past the end of the file ({} bytes)",
                self.reader.len
            )));
        }
        Ok(Header {
            first_variant,
            header_len,
            n_variants,
            n_samples,
            compression,
            layout,
            has_sample_ids: flags & FLAG_SAMPLE_IDS != 0,
        })
    }

    /// Reads the sample identifier block that follows the header block.
    pub(crate) fn read_sample_block(&mut self) -> Result<Vec<String>, ReadError> {
        let start = 4 + u64::from(self.header.header_len);
        self.seek_to(start)?;
        let block_len = self.read_u32("the sample identifier block length")?;
        let block_end = start + u64::from(block_len);
        if block_end > self.header.first_variant {
            return Err(self.error(format!(
                "sample identifier block ends at byte {block_end}, after the first variant at byte {}",
                self.header.first_variant
            )));
        }
        let n = self.read_u32("the sample count of the identifier block")?;
        if n != self.header.n_samples {
            return Err(self.error(format!(
                "sample identifier block lists {n} samples but the header says {}",
                self.header.n_samples
            )));
        }
        // Each identifier takes at least its 2-byte length: refuse absurd counts before
        // allocating for them.
        if 8 + 2 * u64::from(n) > u64::from(block_len) {
            return Err(self.error(format!(
                "sample identifier block of {block_len} bytes is too short for {n} samples"
            )));
        }
        let mut ids = Vec::with_capacity(n as usize);
        for i in 0..n {
            let len = self.read_u16("a sample identifier length")?;
            let what = format!("sample identifier {}", i + 1);
            ids.push(self.read_string(u64::from(len), &what)?);
        }
        if self.reader.pos > block_end {
            return Err(self.error(format!(
                "sample identifiers run to byte {}, past the block end at byte {block_end}",
                self.reader.pos
            )));
        }
        Ok(ids)
    }

    /// Positions the reader on the first variant.
    pub(crate) fn rewind(&mut self) -> Result<(), ReadError> {
        self.seek_to(self.header.first_variant)
    }

    pub(crate) fn seek_to(&mut self, offset: u64) -> Result<(), ReadError> {
        let path = &self.path;
        self.reader
            .seek_to(offset)
            .map_err(|e| ReadError::io(path, e))
    }

    pub(crate) fn position(&self) -> u64 {
        self.reader.pos
    }

    /// Starts a variant at the current position, for messages.
    pub(crate) fn begin_variant(&mut self, ordinal: Option<u64>) {
        self.ordinal = ordinal;
        self.offset = self.reader.pos;
        self.id = None;
    }

    /// Where the reader is: the header, or the current variant.
    pub(crate) fn location(&self) -> Location {
        if self.offset == 0 {
            return Location::Header;
        }
        Location::Other(self.variant_label())
    }

    /// "variant 7 (rs123) at byte 4096"; the number is left out when reading by index.
    pub(crate) fn variant_label(&self) -> String {
        let mut s = String::from("variant");
        if let Some(i) = self.ordinal {
            s.push_str(&format!(" {i}"));
        }
        if let Some(id) = &self.id {
            s.push_str(&format!(" ({id})"));
        }
        s.push_str(&format!(" at byte {}", self.offset));
        s
    }

    pub(crate) fn error(&self, message: String) -> ReadError {
        ReadError::malformed(&self.path, self.location(), message)
    }

    /// Refuses to read past the end of the file, naming what was cut short.
    fn need(&self, n: u64, what: &str) -> Result<(), ReadError> {
        if n > self.reader.remaining() {
            return Err(self.error(format!(
                "file ends at byte {} inside {what}: expected {n} bytes from byte {}",
                self.reader.len, self.reader.pos
            )));
        }
        Ok(())
    }

    fn read_into(&mut self, buf: &mut [u8], what: &str) -> Result<(), ReadError> {
        self.need(buf.len() as u64, what)?;
        let path = &self.path;
        self.reader.read(buf).map_err(|e| ReadError::io(path, e))
    }

    fn read_u16(&mut self, what: &str) -> Result<u16, ReadError> {
        let mut b = [0u8; 2];
        self.read_into(&mut b, what)?;
        Ok(u16::from_le_bytes(b))
    }

    fn read_u32(&mut self, what: &str) -> Result<u32, ReadError> {
        let mut b = [0u8; 4];
        self.read_into(&mut b, what)?;
        Ok(u32::from_le_bytes(b))
    }

    /// Reads `len` bytes of UTF-8 text into `out`, reusing its allocation.
    fn read_text_into(&mut self, len: u64, what: &str, out: &mut String) -> Result<(), ReadError> {
        self.need(len, what)?;
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        buf.resize(len as usize, 0);
        let read = self
            .reader
            .read(&mut buf)
            .map_err(|e| ReadError::io(&self.path, e));
        let result = read.and_then(|()| match std::str::from_utf8(&buf) {
            Ok(s) => {
                out.clear();
                out.push_str(s);
                Ok(())
            }
            Err(_) => Err(self.error(format!("{what} is not valid UTF-8"))),
        });
        self.scratch = buf;
        result
    }

    fn read_string(&mut self, len: u64, what: &str) -> Result<String, ReadError> {
        let mut s = String::new();
        self.read_text_into(len, what, &mut s)?;
        Ok(s)
    }

    /// Reads one variant's identifying data into `rec` and the length prefix of its
    /// genotype block, leaving the reader at the block's data. Call
    /// [`begin_variant`](Self::begin_variant) first.
    pub(crate) fn read_variant(
        &mut self,
        rec: &mut RawVariant,
    ) -> Result<GenotypeBlock, ReadError> {
        if self.header.layout == Layout::One {
            let n = self.read_u32("the sample count of the identifying data")?;
            if n != self.header.n_samples {
                return Err(self.error(format!(
                    "variant lists {n} samples but the header says {}",
                    self.header.n_samples
                )));
            }
        }
        let len = self.read_u16("the variant id length")?;
        self.read_text_into(u64::from(len), "the variant id", &mut rec.varid)?;
        let len = self.read_u16("the rsid length")?;
        self.read_text_into(u64::from(len), "the rsid", &mut rec.rsid)?;
        self.id = Some(rec.display_id().to_string());
        let len = self.read_u16("the chromosome length")?;
        self.read_text_into(u64::from(len), "the chromosome", &mut rec.chrom)?;
        rec.pos = self.read_u32("the position")?;
        let n_alleles = match self.header.layout {
            Layout::One => 2,
            Layout::Two => self.read_u16("the number of alleles")?,
        };
        if n_alleles == 0 {
            return Err(self.error("variant has no alleles, expected at least one".into()));
        }
        rec.alleles.resize_with(usize::from(n_alleles), String::new);
        for a in 0..usize::from(n_alleles) {
            let len = self.read_u32("an allele length")?;
            let what = format!("allele {}", a + 1);
            let mut allele = std::mem::take(&mut rec.alleles[a]);
            let read = self.read_text_into(u64::from(len), &what, &mut allele);
            rec.alleles[a] = allele;
            read?;
        }
        let len = match (self.header.layout, self.header.compression) {
            (Layout::One, Compression::None) => {
                u64::from(self.header.n_samples) * LAYOUT1_BYTES_PER_SAMPLE
            }
            _ => u64::from(self.read_u32("the genotype block length")?),
        };
        if len > self.reader.remaining() {
            return Err(self.error(format!(
                "genotype block at byte {} runs past the end of the file: expected {len} bytes, found {}",
                self.reader.pos,
                self.reader.remaining()
            )));
        }
        Ok(GenotypeBlock {
            start: self.reader.pos,
            len,
        })
    }

    /// Reads a genotype block's bytes (still compressed).
    pub(crate) fn read_block(&mut self, block: GenotypeBlock) -> Result<Vec<u8>, ReadError> {
        self.seek_to(block.start)?;
        let mut data = vec![0u8; block.len as usize];
        self.read_into(&mut data, "the genotype block")?;
        Ok(data)
    }
}

/// A BGEN file as a [`GenotypeSource`]: v1.1 (layout 1) or v1.2/v1.3 (layout 2), stored
/// uncompressed, zlib- or zstd-compressed, with any ploidy up to 63, any allele count, and
/// phased or unphased probabilities. Dosages are expected allele counts (see `decode`).
pub struct BgenSource {
    file: BgenFile,
    samples: Vec<String>,
    mode: Mode,
    /// The genotype block of the site last returned, until it is taken or skipped.
    pending: Option<GenotypeBlock>,
    /// Number of variants whose identifying data has been read in sequential mode.
    read_sequentially: u64,
    record: RawVariant,
    /// The last chromosome spelling seen and its parse, to parse each name once.
    chrom_cache: Option<(String, Chrom)>,
    /// Allele count of the site last returned.
    n_alleles: u16,
}

/// How `next_site` walks the file; fixed on its first call, from that call's filter.
enum Mode {
    Undecided,
    Sequential,
    Indexed {
        plan: Vec<index::PlannedVariant>,
        next: usize,
    },
}

impl BgenSource {
    /// Opens a BGEN file and settles its sample IDs.
    ///
    /// Sample IDs come from, in order: `options.sample_file`; the file's own identifier
    /// block; a sibling `<name>.sample` (the path with `.bgen` replaced). Otherwise the file
    /// is refused, because every result downstream is keyed by sample ID.
    pub fn open(path: &Path, options: &OpenOptions) -> Result<BgenSource, ReadError> {
        let mut file = BgenFile::open(path)?;
        let n_samples = file.header.n_samples as usize;
        let samples = if let Some(sample_file) = &options.sample_file {
            let ids = read_sample_file(sample_file)?;
            check_sample_count(&file, sample_file, ids.len())?;
            ids
        } else if file.header.has_sample_ids {
            file.read_sample_block()?
        } else {
            let sibling = sibling_sample_file(path);
            match sibling {
                Some(sibling) if sibling.is_file() => {
                    let ids = read_sample_file(&sibling)?;
                    check_sample_count(&file, &sibling, ids.len())?;
                    ids
                }
                _ => {
                    return Err(ReadError::Unsupported {
                        path: path.to_path_buf(),
                        message: "no sample ids: the file has none; pass --sample FILE".into(),
                    })
                }
            }
        };
        debug_assert_eq!(samples.len(), n_samples);
        super::check_unique_samples(path, &samples)?;
        file.rewind()?;
        Ok(BgenSource {
            file,
            samples,
            mode: Mode::Undecided,
            pending: None,
            read_sequentially: 0,
            record: RawVariant::default(),
            chrom_cache: None,
            n_alleles: 0,
        })
    }

    /// Parses the record's chromosome, reusing the last parse when the spelling repeats.
    fn chrom(&mut self) -> Chrom {
        match &self.chrom_cache {
            Some((raw, chrom)) if *raw == self.record.chrom => chrom.clone(),
            _ => {
                let chrom = Chrom::parse(&self.record.chrom);
                self.chrom_cache = Some((self.record.chrom.clone(), chrom.clone()));
                chrom
            }
        }
    }

    fn site(&self, chrom: Chrom) -> Site {
        let rec = &self.record;
        Site {
            chrom,
            pos: u64::from(rec.pos),
            id: rec.display_id().to_string(),
            ref_allele: rec.alleles.first().cloned().unwrap_or_default(),
            alt_alleles: rec.alleles.iter().skip(1).cloned().collect(),
        }
    }

    /// Picks sequential or indexed reading for this filter.
    fn decide_mode(&mut self, filter: &SiteFilter) -> Result<(), ReadError> {
        let restricts = !filter.wants_all_positions() || filter.region().is_some();
        let bgi = with_extension_appended(self.file.path(), "bgi");
        self.mode = if restricts && bgi.is_file() {
            let plan = index::plan(&bgi, &self.file, filter)?;
            Mode::Indexed { plan, next: 0 }
        } else {
            Mode::Sequential
        };
        Ok(())
    }

    fn next_sequential(&mut self, filter: &SiteFilter) -> Result<Option<Site>, ReadError> {
        loop {
            if let Some(block) = self.pending.take() {
                self.file.seek_to(block.start + block.len)?;
            }
            if self.read_sequentially >= u64::from(self.file.header.n_variants) {
                return Ok(None);
            }
            self.read_sequentially += 1;
            self.file.begin_variant(Some(self.read_sequentially));
            let block = self.file.read_variant(&mut self.record)?;
            self.pending = Some(block);
            let chrom = self.chrom();
            if filter.wants(&chrom, u64::from(self.record.pos)) {
                return Ok(Some(self.site(chrom)));
            }
        }
    }

    fn next_indexed(&mut self, filter: &SiteFilter) -> Result<Option<Site>, ReadError> {
        loop {
            self.pending = None;
            let Mode::Indexed { plan, next } = &mut self.mode else {
                unreachable!("next_indexed is only called in indexed mode")
            };
            let Some(planned) = plan.get(*next).cloned() else {
                return Ok(None);
            };
            *next += 1;
            self.file.seek_to(planned.offset)?;
            self.file.begin_variant(None);
            let block = self.file.read_variant(&mut self.record)?;
            if self.record.chrom != planned.chrom || u64::from(self.record.pos) != planned.pos {
                return Err(self.file.error(format!(
                    "the index says {}:{} starts here but the file has {}:{}; rebuild the .bgi index",
                    planned.chrom, planned.pos, self.record.chrom, self.record.pos
                )));
            }
            self.pending = Some(block);
            let chrom = self.chrom();
            if filter.wants(&chrom, u64::from(self.record.pos)) {
                return Ok(Some(self.site(chrom)));
            }
        }
    }
}

impl GenotypeSource for BgenSource {
    fn path(&self) -> &Path {
        self.file.path()
    }

    fn format_name(&self) -> String {
        match self.file.header.layout {
            Layout::One => "BGEN v1.1".into(),
            Layout::Two => "BGEN v1.2".into(),
        }
    }

    fn sample_ids(&self) -> &[String] {
        &self.samples
    }

    /// Without an index, reads every variant's identifying data and seeks over unwanted
    /// genotype blocks. With a `.bgi` index and a restricting filter, visits only the
    /// variants the index lists for the filter; the plan is made from the filter of the
    /// first call, and later calls may narrow it but not widen it.
    fn next_site(&mut self, filter: &SiteFilter) -> Result<Option<Site>, ReadError> {
        if matches!(self.mode, Mode::Undecided) {
            self.decide_mode(filter)?;
        }
        let site = match self.mode {
            Mode::Indexed { .. } => self.next_indexed(filter)?,
            _ => self.next_sequential(filter)?,
        };
        self.n_alleles = site.as_ref().map_or(0, |s| s.allele_count() as u16);
        Ok(site)
    }

    fn payload(&mut self) -> Result<Box<dyn Payload>, ReadError> {
        let Some(block) = self.pending.take() else {
            return Err(self.file.error(
                "no genotypes to take: call next_site first, and take each payload once".into(),
            ));
        };
        let data = self.file.read_block(block)?;
        let header = &self.file.header;
        Ok(Box::new(decode::BgenPayload {
            path: Arc::clone(&self.file.path),
            location: self.file.variant_label(),
            layout: header.layout,
            compression: header.compression,
            n_samples: header.n_samples,
            n_alleles: self.n_alleles,
            data,
        }))
    }

    fn location(&self) -> Location {
        self.file.location()
    }
}

fn check_sample_count(file: &BgenFile, sample_file: &Path, n: usize) -> Result<(), ReadError> {
    let expected = file.header.n_samples as usize;
    if n != expected {
        return Err(ReadError::malformed(
            file.path(),
            Location::Header,
            format!(
                "header declares {expected} samples but sample file {} lists {n}",
                sample_file.display()
            ),
        ));
    }
    Ok(())
}

/// `cohort.bgen` -> `cohort.sample`; `None` unless the name ends in `.bgen`.
fn sibling_sample_file(path: &Path) -> Option<PathBuf> {
    let ext = path.extension()?;
    ext.eq_ignore_ascii_case("bgen")
        .then(|| path.with_extension("sample"))
}

/// Reads sample IDs from an Oxford `.sample` file.
///
/// The file has a header row of column names, a row of column types (`0 0 0 D ...`), then
/// one row per sample. The ID is taken from the `ID_2` column when there is one (plink2
/// reads `ID_2` as the individual ID and `ID_1` as the family ID), otherwise from the first
/// column (`ID_1`, or a lone `ID` column as some tools write).
pub fn read_sample_file(path: &Path) -> Result<Vec<String>, ReadError> {
    let file = File::open(path).map_err(|e| ReadError::io(path, e))?;
    // Non-blank lines with their 1-based line numbers.
    let mut lines = BufReader::new(file)
        .lines()
        .enumerate()
        .map(|(i, line)| line.map(|l| (i as u64 + 1, l)))
        .filter(|line| line.as_ref().map_or(true, |(_, l)| !l.trim().is_empty()));
    let mut next_line = || lines.next().transpose().map_err(|e| ReadError::io(path, e));
    let ends_before = |what: &str| {
        ReadError::malformed(path, Location::Header, format!("file ends before {what}"))
    };
    let (_, names) = next_line()?.ok_or_else(|| ends_before("the column-name row"))?;
    let names: Vec<&str> = names.split_whitespace().collect();
    let column = names
        .iter()
        .position(|c| c.eq_ignore_ascii_case("ID_2"))
        .unwrap_or(0);
    let (types_no, types) =
        next_line()?.ok_or_else(|| ends_before("the column-type row (`0 0 0 ...`)"))?;
    if types.split_whitespace().next() != Some("0") {
        return Err(ReadError::malformed(
            path,
            Location::Line(types_no),
            "expected the column-type row of an Oxford .sample file (starting `0`)",
        ));
    }
    let mut ids = Vec::new();
    while let Some((line_no, line)) = next_line()? {
        match line.split_whitespace().nth(column) {
            Some(id) => ids.push(id.to_string()),
            None => {
                return Err(ReadError::malformed(
                    path,
                    Location::Line(line_no),
                    format!(
                        "expected a sample id in column {} ({})",
                        column + 1,
                        names.get(column).copied().unwrap_or("ID_1")
                    ),
                ))
            }
        }
    }
    Ok(ids)
}
