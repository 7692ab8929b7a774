//! BCF 2.2 records (VCF 4.3 spec §6): the header and site fields are read with noodles;
//! per-sample genotypes stay raw bytes until a caller decodes them.
//!
//! A record is `l_shared` (u32), `l_indiv` (u32), the shared part (CHROM and POS are its
//! first two int32s, so a record can be dismissed after 16 bytes) and the per-sample part:
//! for each FORMAT key, a typed key, a typed-vector descriptor and `n_sample` vectors.

use std::io::{self, Read};
use std::sync::Arc;

use noodles::vcf::variant::record::{AlternateBases as _, Ids as _};

use super::genotypes::{choose_field, set_called, GenotypeTables, DEFAULT_PLOIDY};
use super::index::{IndexCursor, SiteIndex};
use super::stream::{Compression, Stream};
use super::Shared;
use crate::genome::{Chrom, Position};
use crate::io::{DosageField, Dosages, Location, Payload, ReadError, Site, SiteFilter};

/// Bytes of the fixed shared fields: CHROM, POS, rlen, QUAL, n_allele_info, n_fmt_sample.
const FIXED_SHARED_BYTES: usize = 24;
/// The two record length words.
const LENGTHS_BYTES: usize = 8;
/// A record larger than this is taken as corruption rather than allocated.
const MAX_RECORD_BYTES: usize = 1 << 30;

/// String-dictionary indexes of the FORMAT keys dosages come from.
#[derive(Clone, Copy, Debug, Default)]
struct Keys {
    gt: Option<usize>,
    ds: Option<usize>,
    gp: Option<usize>,
}

struct Current {
    n_alleles: usize,
    n_fmt: usize,
    shared_len: usize,
}

pub(crate) struct BcfReader {
    shared: Arc<Shared>,
    stream: Stream,
    cursor: IndexCursor,
    keys: Keys,
    /// Chromosome of each contig dictionary index.
    contigs: Vec<Option<Chrom>>,
    /// The current record: both length words, shared part, per-sample part.
    buf: Vec<u8>,
    record: noodles::bcf::Record,
    /// Records read so far; exact until an index seek.
    record_no: u64,
    last_site: Option<(usize, Position)>,
    current: Option<Current>,
}

impl BcfReader {
    pub(crate) fn open(
        path: &std::path::Path,
        stream: Stream,
        field: DosageField,
    ) -> Result<BcfReader, ReadError> {
        let compression = stream.compression();
        let mut reader = noodles::bcf::io::Reader::from(stream);
        let header = match reader.read_header() {
            Ok(h) => h,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(reader.get_ref().read_error(path, Location::Header, e))
            }
            Err(e) => {
                return Err(ReadError::malformed(
                    path,
                    Location::Header,
                    format!("invalid BCF header: {e}"),
                ))
            }
        };
        let stream = reader.into_inner();
        let strings = header.string_maps().strings();
        let keys = Keys {
            gt: strings.get_index_of("GT"),
            ds: strings.get_index_of("DS"),
            gp: strings.get_index_of("GP"),
        };
        let contig_map = header.string_maps().contigs();
        let mut names: Vec<String> = Vec::new();
        for name in header.contigs().keys() {
            if let Some(i) = contig_map.get_index_of(name) {
                if names.len() <= i {
                    names.resize(i + 1, String::new());
                }
                names[i] = name.clone();
            }
        }
        let contigs = names
            .iter()
            .map(|n| (!n.is_empty()).then(|| Chrom::parse(n)))
            .collect();
        let index = if compression == Compression::Bgzf {
            SiteIndex::find(path, &names)?
        } else {
            None
        };
        Ok(BcfReader {
            shared: Arc::new(Shared {
                path: path.to_path_buf(),
                samples: header.sample_names().iter().cloned().collect(),
                field,
                genome_build: super::header_genome_build(&header),
            }),
            stream,
            cursor: IndexCursor::new(index),
            keys,
            contigs,
            buf: Vec::new(),
            record: noodles::bcf::Record::default(),
            record_no: 0,
            last_site: None,
            current: None,
        })
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    pub(crate) fn cursor(&self) -> &IndexCursor {
        &self.cursor
    }

    pub(crate) fn location(&self) -> Location {
        if self.cursor.counting() {
            return Location::Record(self.record_no);
        }
        match self.last_site {
            Some((id, pos)) => {
                let chrom = self
                    .contigs
                    .get(id)
                    .and_then(|c| c.as_ref())
                    .map_or_else(|| format!("contig #{id}"), |c| c.to_string());
                Location::Other(format!(
                    "record at {chrom}:{pos} (record number unknown after an index seek)"
                ))
            }
            None => Location::Other("record after an index seek".into()),
        }
    }

    fn malformed(&self, message: impl Into<String>) -> ReadError {
        ReadError::malformed(&self.shared.path, self.location(), message)
    }

    fn stream_error(&self, e: io::Error) -> ReadError {
        self.stream
            .read_error(&self.shared.path, self.location(), e)
    }

    /// Reads the next record's bytes into `buf`; `false` at the end of the file.
    fn read_raw(&mut self) -> io::Result<bool> {
        self.buf.resize(LENGTHS_BYTES, 0);
        let mut got = 0;
        while got < LENGTHS_BYTES {
            match self.stream.read(&mut self.buf[got..LENGTHS_BYTES]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if got == 0 {
            return Ok(false);
        }
        if got < LENGTHS_BYTES {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let l_shared = read_u32(&self.buf, 0) as usize;
        let l_indiv = read_u32(&self.buf, 4) as usize;
        if l_shared < FIXED_SHARED_BYTES || l_shared + l_indiv > MAX_RECORD_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "implausible record lengths (shared {l_shared}, per-sample {l_indiv} bytes)"
                ),
            ));
        }
        self.buf.resize(LENGTHS_BYTES + l_shared + l_indiv, 0);
        self.stream.read_exact(&mut self.buf[LENGTHS_BYTES..])?;
        Ok(true)
    }

    pub(crate) fn next_site(&mut self, filter: &SiteFilter) -> Result<Option<Site>, ReadError> {
        self.current = None;
        let going = self.cursor.resume(&mut self.stream, filter);
        if !going.map_err(|e| self.stream_error(e))? {
            return Ok(None);
        }
        loop {
            self.record_no += 1;
            match self.read_raw() {
                Ok(true) => {}
                Ok(false) => {
                    self.record_no -= 1;
                    self.cursor.finish();
                    return Ok(None);
                }
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                    return Err(self.malformed(e.to_string()))
                }
                Err(e) => return Err(self.stream_error(e)),
            }
            let contig = read_u32(&self.buf, LENGTHS_BYTES) as i32;
            let pos0 = read_u32(&self.buf, LENGTHS_BYTES + 4) as i32;
            let (Ok(id), Ok(pos0)) = (usize::try_from(contig), u64::try_from(pos0)) else {
                return Err(self.malformed(format!(
                    "CHROM index {contig} or POS {} is negative",
                    i64::from(pos0) + 1
                )));
            };
            let pos = pos0 + 1;
            self.last_site = Some((id, pos));
            let Some(Some(chrom)) = self.contigs.get(id) else {
                return Err(
                    self.malformed(format!("CHROM index {id} is not a contig of the header"))
                );
            };
            if filter.wants(chrom, pos) {
                let chrom = chrom.clone();
                return self.parse_site(chrom, pos).map(Some);
            }
            let going = self
                .cursor
                .after_unwanted(&mut self.stream, filter, chrom, pos);
            if !going.map_err(|e| self.stream_error(e))? {
                return Ok(None);
            }
        }
    }

    fn parse_site(&mut self, chrom: Chrom, pos: Position) -> Result<Site, ReadError> {
        let mut reader = noodles::bcf::io::Reader::from(&self.buf[..]);
        if let Err(e) = reader.read_record(&mut self.record) {
            return Err(self.malformed(format!("invalid record: {e}")));
        }
        let id = self.record.ids().iter().collect::<Vec<_>>().join(";");
        let ref_allele =
            String::from_utf8_lossy(self.record.reference_bases().as_ref()).into_owned();
        let mut alt_alleles = Vec::new();
        for alt in self.record.alternate_bases().iter() {
            match alt {
                Ok(a) => alt_alleles.push(a.to_string()),
                Err(e) => return Err(self.malformed(format!("invalid ALT: {e}"))),
            }
        }
        let shared_len = read_u32(&self.buf, 0) as usize;
        let n_fmt_sample = read_u32(&self.buf, LENGTHS_BYTES + 20);
        let n_samples = (n_fmt_sample & 0x00ff_ffff) as usize;
        let n_fmt = (n_fmt_sample >> 24) as usize;
        if n_samples != self.shared.samples.len() && (n_fmt > 0 || n_samples > 0) {
            return Err(self.malformed(format!(
                "record has {n_samples} samples, the header {}",
                self.shared.samples.len()
            )));
        }
        let n_alleles = 1 + alt_alleles.len();
        self.current = Some(Current {
            n_alleles,
            n_fmt,
            shared_len,
        });
        Ok(Site {
            chrom,
            pos,
            id: if id.is_empty() { ".".into() } else { id },
            ref_allele,
            alt_alleles,
        })
    }

    pub(crate) fn payload(&mut self) -> Result<Box<dyn Payload>, ReadError> {
        let Some(current) = self.current.take() else {
            return Err(self.malformed("no site to take genotypes from (payload taken twice?)"));
        };
        Ok(Box::new(BcfPayload {
            shared: Arc::clone(&self.shared),
            location: self.location(),
            n_alleles: current.n_alleles,
            n_fmt: current.n_fmt,
            keys: self.keys,
            data: self.buf[LENGTHS_BYTES + current.shared_len..].to_vec(),
        }))
    }
}

fn read_u32(buf: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]])
}

/// BCF typed-value types (VCF 4.3 §6.3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Type {
    Missing,
    Int8,
    Int16,
    Int32,
    Float,
    Char,
}

impl Type {
    fn from_code(code: u8) -> Option<Type> {
        Some(match code {
            0 => Type::Missing,
            1 => Type::Int8,
            2 => Type::Int16,
            3 => Type::Int32,
            5 => Type::Float,
            7 => Type::Char,
            _ => return None,
        })
    }

    fn size(self) -> usize {
        match self {
            Type::Missing => 0,
            Type::Int8 | Type::Char => 1,
            Type::Int16 => 2,
            Type::Int32 | Type::Float => 4,
        }
    }
}

/// One entry of a typed vector.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Value {
    Int(i32),
    Float(f32),
    Missing,
    /// End of a vector shorter than the field's width (fewer alleles, lower ploidy).
    End,
}

/// One FORMAT field's values: `width` entries per sample.
#[derive(Clone, Copy)]
struct Field<'a> {
    ty: Type,
    width: usize,
    bytes: &'a [u8],
}

impl Field<'_> {
    #[inline]
    fn get(&self, sample: usize, j: usize) -> Value {
        let i = sample * self.width + j;
        let b = self.bytes;
        match self.ty {
            Type::Int8 => match b[i] as i8 {
                i8::MIN => Value::Missing,
                -127 => Value::End,
                v => Value::Int(i32::from(v)),
            },
            Type::Int16 => match i16::from_le_bytes([b[2 * i], b[2 * i + 1]]) {
                i16::MIN => Value::Missing,
                -32767 => Value::End,
                v => Value::Int(i32::from(v)),
            },
            Type::Int32 => match read_u32(b, 4 * i) as i32 {
                i32::MIN => Value::Missing,
                v if v == i32::MIN + 1 => Value::End,
                v => Value::Int(v),
            },
            Type::Float => match read_u32(b, 4 * i) {
                0x7F80_0001 => Value::Missing,
                0x7F80_0002 => Value::End,
                bits => Value::Float(f32::from_bits(bits)),
            },
            Type::Missing | Type::Char => Value::Missing,
        }
    }

    /// Numbers of one sample up to the end marker; `None` if any is missing.
    fn numbers(&self, sample: usize, out: &mut Vec<f64>) -> Option<()> {
        out.clear();
        for j in 0..self.width {
            match self.get(sample, j) {
                Value::Int(v) => out.push(f64::from(v)),
                Value::Float(v) => out.push(f64::from(v)),
                Value::Missing => return None,
                Value::End => break,
            }
        }
        (!out.is_empty()).then_some(())
    }
}

/// The per-sample bytes of one BCF record, decoded on demand.
pub(crate) struct BcfPayload {
    shared: Arc<Shared>,
    location: Location,
    n_alleles: usize,
    n_fmt: usize,
    keys: Keys,
    data: Vec<u8>,
}

/// Reads a typed integer (a FORMAT key or an overflowing vector length).
fn typed_int(data: &[u8], at: &mut usize) -> Option<usize> {
    let descriptor = *data.get(*at)?;
    *at += 1;
    let ty = Type::from_code(descriptor & 0x0f)?;
    if descriptor >> 4 != 1 {
        return None;
    }
    let size = ty.size();
    let b = data.get(*at..*at + size)?;
    *at += size;
    let v: i64 = match ty {
        Type::Int8 => i64::from(b[0] as i8),
        Type::Int16 => i64::from(i16::from_le_bytes([b[0], b[1]])),
        Type::Int32 => i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        _ => return None,
    };
    usize::try_from(v).ok()
}

impl BcfPayload {
    fn error(&self, message: impl Into<String>) -> ReadError {
        ReadError::malformed(&self.shared.path, self.location.clone(), message)
    }

    fn sample_error(&self, sample: usize, message: impl std::fmt::Display) -> ReadError {
        self.error(self.shared.about_sample(sample, message))
    }

    /// Splits the per-sample bytes into the GT, DS and GP fields.
    fn fields(&self) -> Result<[Option<Field<'_>>; 3], ReadError> {
        let n = self.shared.samples.len();
        let corrupt = || self.error("corrupt per-sample (FORMAT) data");
        let mut found = [None, None, None];
        let mut at = 0;
        let data = &self.data;
        for _ in 0..self.n_fmt {
            let key = typed_int(data, &mut at).ok_or_else(corrupt)?;
            let descriptor = *data.get(at).ok_or_else(corrupt)?;
            at += 1;
            let ty = Type::from_code(descriptor & 0x0f).ok_or_else(corrupt)?;
            let width = match usize::from(descriptor >> 4) {
                15 => typed_int(data, &mut at).ok_or_else(corrupt)?,
                w => w,
            };
            let len = width
                .checked_mul(n)
                .and_then(|k| k.checked_mul(ty.size()))
                .ok_or_else(corrupt)?;
            let bytes = data.get(at..at + len).ok_or_else(corrupt)?;
            at += len;
            let field = Field { ty, width, bytes };
            let slot = [self.keys.gt, self.keys.ds, self.keys.gp]
                .iter()
                .position(|k| *k == Some(key));
            if let Some(slot) = slot {
                if ty == Type::Char {
                    return Err(self.error("a GT, DS or GP field is stored as characters"));
                }
                found[slot].get_or_insert(field);
            }
        }
        Ok(found)
    }

    /// One sample's GT (VCF 4.3 §6.3.3: `(allele + 1) << 1 | phased`, 0 = missing allele):
    /// the called alleles into `alleles`, the ploidy (`None` for a lone missing allele,
    /// text `.`) and whether any allele is missing.
    fn gt(
        &self,
        gt: &Field<'_>,
        s: usize,
        alleles: &mut Vec<usize>,
    ) -> Result<(Option<u8>, bool), ReadError> {
        alleles.clear();
        let mut ploidy = 0usize;
        let mut missing = false;
        for j in 0..gt.width {
            match gt.get(s, j) {
                Value::End => break,
                Value::Missing => {
                    ploidy += 1;
                    missing = true;
                }
                Value::Int(v) => {
                    ploidy += 1;
                    let a = (v >> 1) - 1;
                    if a < 0 {
                        missing = true;
                        continue;
                    }
                    let a = a as usize;
                    if a >= self.n_alleles {
                        return Err(self.sample_error(
                            s,
                            format!(
                                "GT allele {a} is out of range (the site has {} alleles)",
                                self.n_alleles
                            ),
                        ));
                    }
                    alleles.push(a);
                }
                Value::Float(_) => return Err(self.sample_error(s, "GT is not an integer")),
            }
        }
        if ploidy == 0 || (ploidy == 1 && missing) {
            return Ok((None, true));
        }
        let ploidy =
            u8::try_from(ploidy).map_err(|_| self.sample_error(s, "GT ploidy is too large"))?;
        Ok((Some(ploidy), missing))
    }

    fn gt_ploidy(&self, gt: Option<&Field<'_>>, s: usize, scratch: &mut Vec<usize>) -> Option<u8> {
        gt.and_then(|f| self.gt(f, s, scratch).ok())
            .and_then(|(p, _)| p)
    }
}

impl Payload for BcfPayload {
    fn decode(&self, out: &mut Dosages) -> Result<(), ReadError> {
        let n = self.shared.samples.len();
        let k = self.n_alleles;
        out.reset(n, k);
        if n == 0 {
            return Ok(());
        }
        let [gt, ds, gp] = self.fields()?;
        let mut scratch = Vec::new();
        let mut values = Vec::new();
        match choose_field(self.shared.field, ds.is_some(), gp.is_some(), gt.is_some()) {
            Some(DosageField::Gt) => {
                let Some(gt) = gt else { return Ok(()) };
                for s in 0..n {
                    let (ploidy, missing) = self.gt(&gt, s, &mut scratch)?;
                    let Some(ploidy) = ploidy else { continue };
                    set_called(out, s, ploidy, missing, &scratch);
                }
            }
            Some(DosageField::Ds) => {
                let Some(ds) = ds else { return Ok(()) };
                let n_alts = k - 1;
                for s in 0..n {
                    let ploidy = self
                        .gt_ploidy(gt.as_ref(), s, &mut scratch)
                        .unwrap_or(DEFAULT_PLOIDY);
                    out.set_ploidy(s, ploidy);
                    if ds.numbers(s, &mut values).is_none() {
                        continue;
                    }
                    if values.len() != n_alts && !(n_alts == 0 && values.len() == 1) {
                        return Err(self.sample_error(
                            s,
                            format!(
                                "DS has {} values, expected {n_alts} (one per ALT allele)",
                                values.len()
                            ),
                        ));
                    }
                    for (a, &v) in values.iter().enumerate().take(n_alts) {
                        out.set(a + 1, s, v);
                    }
                    if n_alts == 0 {
                        out.set(0, s, f64::from(ploidy));
                    }
                }
                if n_alts > 0 {
                    out.fill_reference_from_alts();
                }
            }
            Some(DosageField::Gp) => {
                let Some(gp) = gp else { return Ok(()) };
                let mut tables = GenotypeTables::new(k);
                for s in 0..n {
                    let gt_ploidy = self.gt_ploidy(gt.as_ref(), s, &mut scratch);
                    if let Some(p) = gt_ploidy {
                        out.set_ploidy(s, p);
                    }
                    if gp.numbers(s, &mut values).is_none() {
                        continue;
                    }
                    let ploidy =
                        gt_ploidy.map_or_else(|| tables.implied_ploidy(values.len()), usize::from);
                    let table = tables.get(ploidy).map_err(|m| self.sample_error(s, m))?;
                    table
                        .set_expected(out, s, &values)
                        .map_err(|m| self.sample_error(s, m))?;
                }
            }
            Some(DosageField::Auto) | None => {}
        }
        Ok(())
    }
}
