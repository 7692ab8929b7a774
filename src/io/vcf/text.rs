//! VCF text records: line scanning, site parsing and the text genotype payload.
//!
//! A record is one line of tab-separated columns (VCF 4.3 §1.6): CHROM POS ID REF ALT QUAL
//! FILTER INFO, then FORMAT and one column per sample. Unwanted records are dismissed after
//! CHROM and POS; the line is only searched for its end (memchr), never split further.

use std::io::{self, BufRead};
use std::sync::Arc;

use memchr::{memchr, memchr_iter};
use noodles::bgzf::VirtualPosition;

use super::genotypes::{choose_field, set_called, GenotypeTables, DEFAULT_PLOIDY};
use super::index::{IndexCursor, Seekable, SiteIndex};
use super::stream::{Compression, Stream};
use super::Shared;
use crate::genome::{Chrom, Position};
use crate::io::{DosageField, Dosages, Location, Payload, ReadError, Site, SiteFilter};

/// Lines of a [`Stream`], handed out without copying when a line lies inside one buffer
/// (one BGZF block), and assembled in a spill buffer when it crosses buffers.
struct LineReader {
    stream: Stream,
    spill: Vec<u8>,
    /// The current line is in `spill` (else at the start of the stream's buffer).
    in_spill: bool,
    /// Length of the current line without its terminator.
    len: usize,
    /// Bytes of the stream's buffer (the current line and its `\n`) to consume before
    /// the next read.
    pending: usize,
}

impl LineReader {
    fn new(stream: Stream) -> LineReader {
        LineReader {
            stream,
            spill: Vec::new(),
            in_spill: false,
            len: 0,
            pending: 0,
        }
    }

    /// The next line without `\n` (and without a `\r` before it), or `None` at the end.
    fn next_line(&mut self) -> io::Result<Option<&[u8]>> {
        self.stream.consume(std::mem::take(&mut self.pending));
        let buf = self.stream.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        if let Some(i) = memchr(b'\n', buf) {
            self.in_spill = false;
            self.len = i;
            self.pending = i + 1;
        } else {
            self.in_spill = true;
            self.spill.clear();
            self.spill.extend_from_slice(buf);
            let n = buf.len();
            self.stream.consume(n);
            loop {
                let buf = self.stream.fill_buf()?;
                if buf.is_empty() {
                    break;
                }
                if let Some(i) = memchr(b'\n', buf) {
                    self.spill.extend_from_slice(&buf[..i]);
                    self.stream.consume(i + 1);
                    break;
                }
                self.spill.extend_from_slice(buf);
                let n = buf.len();
                self.stream.consume(n);
            }
            self.len = self.spill.len();
        }
        let line = self.line_unchecked()?;
        let trimmed = if line.last() == Some(&b'\r') {
            line.len() - 1
        } else {
            line.len()
        };
        self.len = trimmed;
        self.line_unchecked().map(Some)
    }

    fn line_unchecked(&mut self) -> io::Result<&[u8]> {
        if self.in_spill {
            Ok(&self.spill[..self.len])
        } else {
            // Nothing was consumed since the line was found, so this is the same buffer.
            Ok(&self.stream.fill_buf()?[..self.len])
        }
    }

    /// The line most recently returned by `next_line`.
    fn current(&mut self) -> io::Result<&[u8]> {
        self.line_unchecked()
    }
}

/// The next record starts after the current line, which is consumed first; a seek empties
/// the line buffer.
impl Seekable for LineReader {
    fn next_position(&mut self) -> io::Result<Option<VirtualPosition>> {
        self.stream.consume(std::mem::take(&mut self.pending));
        self.stream.fill_buf()?;
        Ok(self.stream.virtual_position())
    }

    fn worth_seeking(&self, here: VirtualPosition, target: VirtualPosition) -> bool {
        self.stream.worth_seeking(here, target)
    }

    fn seek_to(&mut self, target: VirtualPosition) -> io::Result<()> {
        self.pending = 0;
        self.len = 0;
        self.in_spill = true;
        self.spill.clear();
        self.stream.seek(target)
    }
}

/// The record most recently returned, kept until its payload is taken.
struct Current {
    n_alleles: usize,
    /// Where the FORMAT column starts in the line.
    format_start: usize,
}

pub(crate) struct TextReader {
    shared: Arc<Shared>,
    lines: LineReader,
    cursor: IndexCursor,
    /// Lines read so far, header included; exact until an index seek.
    line_no: u64,
    /// Last CHROM spelling and its parse: files hold long runs of one chromosome.
    chrom_cache: Option<(Vec<u8>, Chrom)>,
    /// Chromosome and position of the last record read, for locations after a seek.
    last_pos: Position,
    current: Option<Current>,
}

impl TextReader {
    /// Reads the header (parsed with noodles, line by line so that a bad header line is
    /// named) and finds a tabix or CSI index for BGZF input.
    pub(crate) fn open(
        path: &std::path::Path,
        stream: Stream,
        field: DosageField,
    ) -> Result<TextReader, ReadError> {
        let compression = stream.compression();
        let mut lines = LineReader::new(stream);
        let mut parser = noodles::vcf::header::Parser::default();
        let mut line_no = 0u64;
        let header = loop {
            let line = match lines.next_line() {
                Ok(Some(line)) => line,
                Ok(None) => {
                    return Err(ReadError::malformed(
                        path,
                        Location::Line(line_no),
                        "the header ends without a #CHROM line",
                    ))
                }
                Err(e) => {
                    return Err(lines
                        .stream
                        .read_error(path, Location::Line(line_no + 1), e))
                }
            };
            line_no += 1;
            if line.is_empty() {
                continue;
            }
            if !line.starts_with(b"#") {
                return Err(ReadError::malformed(
                    path,
                    Location::Line(line_no),
                    "expected a #CHROM header line before the first record",
                ));
            }
            let header_err = |e: noodles::vcf::header::parser::ParseError| {
                ReadError::malformed(
                    path,
                    Location::Line(line_no),
                    format!("invalid VCF header: {}", error_chain(&e)),
                )
            };
            if line_no == 1 && !line.starts_with(b"##fileformat=") {
                // detect_format accepts files that start at #CHROM; noodles wants a version.
                parser
                    .parse_partial(b"##fileformat=VCFv4.2")
                    .map_err(header_err)?;
            }
            let is_last = line.starts_with(b"#CHROM");
            parser.parse_partial(line).map_err(header_err)?;
            if is_last {
                break parser.finish().map_err(header_err)?;
            }
        };
        let samples: Vec<String> = header.sample_names().iter().cloned().collect();
        let index = if compression == Compression::Bgzf {
            let contigs: Vec<String> = header.contigs().keys().cloned().collect();
            SiteIndex::find(path, &contigs)?
        } else {
            None
        };
        Ok(TextReader {
            shared: Arc::new(Shared {
                path: path.to_path_buf(),
                samples,
                field,
                genome_build: super::header_genome_build(&header),
            }),
            lines,
            cursor: IndexCursor::new(index),
            line_no,
            chrom_cache: None,
            last_pos: 0,
            current: None,
        })
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    pub(crate) fn cursor(&self) -> &IndexCursor {
        &self.cursor
    }

    /// The current record's line, or its site when an index seek lost count of lines.
    pub(crate) fn location(&self) -> Location {
        if self.cursor.counting() {
            Location::Line(self.line_no)
        } else {
            match &self.chrom_cache {
                Some((_, chrom)) if self.last_pos > 0 => Location::Other(format!(
                    "record at {chrom}:{} (line number unknown after an index seek)",
                    self.last_pos
                )),
                _ => Location::Other("record after an index seek".into()),
            }
        }
    }

    fn malformed(&self, message: impl Into<String>) -> ReadError {
        ReadError::malformed(&self.shared.path, self.location(), message)
    }

    fn stream_error(&self, e: io::Error) -> ReadError {
        let location = if self.cursor.counting() {
            Location::Line(self.line_no + 1)
        } else {
            self.location()
        };
        self.lines.stream.read_error(&self.shared.path, location, e)
    }

    pub(crate) fn next_site(&mut self, filter: &SiteFilter) -> Result<Option<Site>, ReadError> {
        self.current = None;
        let going = self.cursor.resume(&mut self.lines, filter);
        if !going.map_err(|e| self.stream_error(e))? {
            return Ok(None);
        }
        loop {
            let line = match self.lines.next_line() {
                Ok(Some(line)) => line,
                Ok(None) => {
                    self.cursor.finish();
                    return Ok(None);
                }
                Err(e) => return Err(self.stream_error(e)),
            };
            self.line_no += 1;
            if line.is_empty() {
                continue;
            }
            let (chrom_bytes, rest) = match memchr(b'\t', line) {
                Some(i) => (&line[..i], &line[i + 1..]),
                None => (line, &line[line.len()..]),
            };
            let pos_bytes = &rest[..memchr(b'\t', rest).unwrap_or(rest.len())];
            let Some(pos) = parse_position(pos_bytes) else {
                let shown = String::from_utf8_lossy(pos_bytes).into_owned();
                self.last_pos = 0;
                return Err(self.malformed(format!(
                    "POS '{shown}' is not a positive integer (expected CHROM, POS, ... separated by tabs)"
                )));
            };
            self.last_pos = pos;
            let chrom = match cached_chrom(&mut self.chrom_cache, chrom_bytes) {
                Some(c) => c,
                None => {
                    return Err(ReadError::malformed(
                        &self.shared.path,
                        Location::Line(self.line_no),
                        "CHROM is not valid UTF-8",
                    ))
                }
            };
            if filter.wants(chrom, pos) {
                let n_samples = self.shared.samples.len();
                return match parse_site(line, chrom.clone(), pos, n_samples) {
                    Ok((site, format_start)) => {
                        self.current = Some(Current {
                            n_alleles: site.allele_count(),
                            format_start,
                        });
                        Ok(Some(site))
                    }
                    Err(message) => Err(self.malformed(message)),
                };
            }
            let going = self
                .cursor
                .after_unwanted(&mut self.lines, filter, chrom, pos);
            if !going.map_err(|e| self.stream_error(e))? {
                return Ok(None);
            }
        }
    }

    pub(crate) fn payload(&mut self) -> Result<Box<dyn Payload>, ReadError> {
        let Some(current) = self.current.take() else {
            return Err(self.malformed("no site to take genotypes from (payload taken twice?)"));
        };
        let location = self.location();
        let data = match self.lines.current() {
            Ok(line) => line[current.format_start.min(line.len())..].to_vec(),
            Err(e) => return Err(self.stream_error(e)),
        };
        Ok(Box::new(TextPayload {
            shared: Arc::clone(&self.shared),
            location,
            n_alleles: current.n_alleles,
            data,
        }))
    }
}

/// Full error text including sources (noodles' top-level messages are terse).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn cached_chrom<'a>(cache: &'a mut Option<(Vec<u8>, Chrom)>, bytes: &[u8]) -> Option<&'a Chrom> {
    let hit = matches!(cache, Some((raw, _)) if raw.as_slice() == bytes);
    if !hit {
        let text = std::str::from_utf8(bytes).ok()?;
        *cache = Some((bytes.to_vec(), Chrom::parse(text)));
    }
    cache.as_ref().map(|(_, c)| c)
}

/// A VCF POS: decimal digits only, at least 1.
fn parse_position(bytes: &[u8]) -> Option<Position> {
    if bytes.is_empty() || bytes.len() > 19 {
        return None;
    }
    let mut n: Position = 0;
    for &b in bytes {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n * 10 + Position::from(d);
    }
    (n > 0).then_some(n)
}

/// Number of fixed columns, CHROM to INFO (VCF 4.3 §1.6).
const FIXED_COLUMNS: usize = 8;

/// Parses ID, REF and ALT of a wanted record; returns the site and where FORMAT starts.
fn parse_site(
    line: &[u8],
    chrom: Chrom,
    pos: Position,
    n_samples: usize,
) -> Result<(Site, usize), String> {
    let mut tabs = [0usize; FIXED_COLUMNS];
    let mut found = 0;
    for t in memchr_iter(b'\t', line) {
        tabs[found] = t;
        found += 1;
        if found == FIXED_COLUMNS {
            break;
        }
    }
    let columns = found + 1;
    if columns < FIXED_COLUMNS {
        return Err(format!(
            "expected at least {FIXED_COLUMNS} tab-separated columns (CHROM to INFO), found {columns}"
        ));
    }
    if n_samples > 0 && columns <= FIXED_COLUMNS {
        return Err(format!(
            "expected FORMAT and {n_samples} sample columns after INFO, found none"
        ));
    }
    let column = |i: usize| -> &[u8] {
        let start = tabs[i - 1] + 1;
        let end = if i < found { tabs[i] } else { line.len() };
        &line[start..end]
    };
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let id = match column(2) {
        b"" => ".".to_string(),
        b => text(b),
    };
    let ref_allele = column(3);
    if ref_allele.is_empty() {
        return Err("REF is empty".into());
    }
    let alt_alleles = match column(4) {
        b"" | b"." => Vec::new(),
        alt => alt.split(|&b| b == b',').map(text).collect(),
    };
    let format_start = if found == FIXED_COLUMNS {
        tabs[FIXED_COLUMNS - 1] + 1
    } else {
        line.len()
    };
    Ok((
        Site {
            chrom,
            pos,
            id,
            ref_allele: text(ref_allele),
            alt_alleles,
        },
        format_start,
    ))
}

/// The FORMAT and sample columns of one VCF record, decoded on demand.
pub(crate) struct TextPayload {
    shared: Arc<Shared>,
    location: Location,
    n_alleles: usize,
    /// `FORMAT \t sample_1 \t ... \t sample_n`, as in the file.
    data: Vec<u8>,
}

/// Positions of the dosage-bearing keys in a FORMAT column.
#[derive(Default)]
struct FormatKeys {
    gt: Option<usize>,
    ds: Option<usize>,
    gp: Option<usize>,
}

impl FormatKeys {
    fn parse(format: &[u8]) -> FormatKeys {
        let mut keys = FormatKeys::default();
        for (i, key) in format.split(|&b| b == b':').enumerate() {
            let slot = match key {
                b"GT" => &mut keys.gt,
                b"DS" => &mut keys.ds,
                b"GP" => &mut keys.gp,
                _ => continue,
            };
            slot.get_or_insert(i);
        }
        keys
    }

    /// Ploidy from a sample column's GT, `None` without a usable GT.
    fn gt_ploidy(&self, column: &[u8]) -> Option<u8> {
        self.gt
            .and_then(|g| subfield(column, g))
            .and_then(gt_ploidy)
    }
}

/// The `index`-th `:`-separated field of a sample column; `None` when trailing fields were
/// dropped (allowed by VCF 4.3 §1.6.2).
#[inline]
fn subfield(column: &[u8], index: usize) -> Option<&[u8]> {
    if index == 0 {
        return Some(&column[..memchr(b':', column).unwrap_or(column.len())]);
    }
    column.split(|&b| b == b':').nth(index)
}

/// Splits sample columns on tabs.
struct Columns<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Columns<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.at > self.data.len() {
            return None;
        }
        let rest = &self.data[self.at..];
        let end = memchr(b'\t', rest).unwrap_or(rest.len());
        self.at += end + 1;
        Some(&rest[..end])
    }
}

impl TextPayload {
    fn error(&self, message: impl Into<String>) -> ReadError {
        ReadError::malformed(&self.shared.path, self.location.clone(), message)
    }

    fn sample_error(&self, sample: usize, message: impl std::fmt::Display) -> ReadError {
        self.error(self.shared.about_sample(sample, message))
    }

    /// Calls `each` with every sample's column, in order, and checks that the record has
    /// exactly one column per header sample.
    fn for_each_column(
        &self,
        samples: &[u8],
        mut each: impl FnMut(usize, &[u8]) -> Result<(), ReadError>,
    ) -> Result<(), ReadError> {
        let mut columns = Columns {
            data: samples,
            at: 0,
        };
        for s in 0..self.shared.samples.len() {
            let Some(column) = columns.next() else {
                return Err(self.column_count_error(samples));
            };
            each(s, column)?;
        }
        if columns.next().is_some() {
            return Err(self.column_count_error(samples));
        }
        Ok(())
    }

    fn column_count_error(&self, samples: &[u8]) -> ReadError {
        let found = memchr_iter(b'\t', samples).count() + 1;
        self.error(format!(
            "expected {} sample columns as in the header, found {found}",
            self.shared.samples.len()
        ))
    }

    fn decode_gt(&self, samples: &[u8], gt: usize, out: &mut Dosages) -> Result<(), ReadError> {
        let n = self.shared.samples.len();
        let mut scratch = Vec::new();
        if gt == 0 && self.n_alleles == 2 {
            // Fast path for the common biallelic diploid call `a/b` or `a|b`, a and b in
            // {0, 1}, with nothing after it: no tab search, no allele list.
            let b = samples;
            let len = b.len();
            let mut i = 0;
            let mut s = 0;
            while s < n {
                if i + 3 <= len {
                    let (x, sep, y) = (b[i], b[i + 1], b[i + 2]);
                    let ends = i + 3 == len || b[i + 3] == b'\t';
                    if ends
                        && (sep == b'/' || sep == b'|')
                        && (x == b'0' || x == b'1')
                        && (y == b'0' || y == b'1')
                    {
                        let alt = f64::from((x - b'0') + (y - b'0'));
                        out.set(1, s, alt);
                        out.set(0, s, 2.0 - alt);
                        i += 4;
                        s += 1;
                        continue;
                    }
                }
                if i > len {
                    return Err(self.column_count_error(samples));
                }
                let end = memchr(b'\t', &b[i..]).map_or(len, |k| i + k);
                let call = subfield(&b[i..end], 0).unwrap_or_default();
                self.set_gt(call, s, out, &mut scratch)?;
                i = end + 1;
                s += 1;
            }
            if i <= len {
                return Err(self.column_count_error(samples));
            }
            return Ok(());
        }
        self.for_each_column(samples, |s, column| {
            // A GT dropped as a trailing field leaves the sample missing.
            match subfield(column, gt) {
                Some(call) => self.set_gt(call, s, out, &mut scratch),
                None => Ok(()),
            }
        })
    }

    /// One sample's GT: dosage of allele a = copies of a; any `.` allele makes it missing.
    fn set_gt(
        &self,
        call: &[u8],
        s: usize,
        out: &mut Dosages,
        scratch: &mut Vec<usize>,
    ) -> Result<(), ReadError> {
        let (ploidy, missing) =
            parse_gt(call, self.n_alleles, scratch).map_err(|m| self.sample_error(s, m))?;
        // A bare `.` is missing with its ploidy unknown (left at the default).
        if let Some(ploidy) = ploidy {
            set_called(out, s, ploidy, missing, scratch);
        }
        Ok(())
    }

    fn decode_ds(
        &self,
        samples: &[u8],
        keys: &FormatKeys,
        ds: usize,
        out: &mut Dosages,
    ) -> Result<(), ReadError> {
        let n_alts = self.n_alleles - 1;
        self.for_each_column(samples, |s, column| {
            let ploidy = keys.gt_ploidy(column).unwrap_or(DEFAULT_PLOIDY);
            out.set_ploidy(s, ploidy);
            let Some(value) = subfield(column, ds) else {
                return Ok(());
            };
            if value == b"." || value.is_empty() {
                return Ok(());
            }
            let count = value.split(|&b| b == b',').count();
            if count != n_alts && !(n_alts == 0 && count == 1) {
                return Err(self.sample_error(
                    s,
                    format!("DS has {count} values, expected {n_alts} (one per ALT allele)"),
                ));
            }
            let mut missing = false;
            for (a, v) in value.split(|&b| b == b',').enumerate().take(n_alts) {
                if v == b"." {
                    missing = true;
                    continue;
                }
                let d = parse_number(v).ok_or_else(|| {
                    self.sample_error(
                        s,
                        format!("DS value '{}' is not a number", String::from_utf8_lossy(v)),
                    )
                })?;
                out.set(a + 1, s, d);
            }
            if missing {
                out.set_missing(s);
            } else if n_alts == 0 {
                out.set(0, s, f64::from(ploidy));
            }
            Ok(())
        })?;
        if n_alts > 0 {
            out.fill_reference_from_alts();
        }
        Ok(())
    }

    fn decode_gp(
        &self,
        samples: &[u8],
        keys: &FormatKeys,
        gp: usize,
        out: &mut Dosages,
    ) -> Result<(), ReadError> {
        let mut tables = GenotypeTables::new(self.n_alleles);
        let mut values = Vec::new();
        self.for_each_column(samples, |s, column| {
            let gt_ploidy = keys.gt_ploidy(column);
            if let Some(p) = gt_ploidy {
                out.set_ploidy(s, p);
            }
            let Some(value) = subfield(column, gp) else {
                return Ok(());
            };
            values.clear();
            let mut missing = value.is_empty();
            for v in value.split(|&b| b == b',') {
                if v == b"." {
                    missing = true;
                    continue;
                }
                values.push(parse_number(v).ok_or_else(|| {
                    self.sample_error(
                        s,
                        format!("GP value '{}' is not a number", String::from_utf8_lossy(v)),
                    )
                })?);
            }
            if missing {
                return Ok(());
            }
            let ploidy = gt_ploidy.map_or_else(|| tables.implied_ploidy(values.len()), usize::from);
            let table = tables.get(ploidy).map_err(|m| self.sample_error(s, m))?;
            table
                .set_expected(out, s, &values)
                .map_err(|m| self.sample_error(s, m))
        })
    }
}

impl Payload for TextPayload {
    fn decode(&self, out: &mut Dosages) -> Result<(), ReadError> {
        let n = self.shared.samples.len();
        out.reset(n, self.n_alleles);
        if n == 0 {
            return Ok(());
        }
        let Some(tab) = memchr(b'\t', &self.data) else {
            return Err(self.error(format!(
                "expected FORMAT and {n} sample columns after INFO, found FORMAT only"
            )));
        };
        let samples = &self.data[tab + 1..];
        let keys = FormatKeys::parse(&self.data[..tab]);
        match choose_field(
            self.shared.field,
            keys.ds.is_some(),
            keys.gp.is_some(),
            keys.gt.is_some(),
        ) {
            Some(DosageField::Gt) => self.decode_gt(samples, keys.gt.unwrap_or_default(), out),
            Some(DosageField::Ds) => {
                self.decode_ds(samples, &keys, keys.ds.unwrap_or_default(), out)
            }
            Some(DosageField::Gp) => {
                self.decode_gp(samples, &keys, keys.gp.unwrap_or_default(), out)
            }
            Some(DosageField::Auto) | None => {
                if memchr_iter(b'\t', samples).count() + 1 != n {
                    return Err(self.column_count_error(samples));
                }
                Ok(())
            }
        }
    }
}

/// Parses a GT value (VCF 4.3 §1.6.2; a leading phase mark as in VCF 4.4 is accepted).
/// Fills `alleles` with the called allele indexes and returns the ploidy (`None` for a bare
/// `.`, whose ploidy is unknown) and whether any allele is missing.
fn parse_gt(
    call: &[u8],
    n_alleles: usize,
    alleles: &mut Vec<usize>,
) -> Result<(Option<u8>, bool), String> {
    alleles.clear();
    if call == b"." {
        return Ok((None, true));
    }
    let invalid = || format!("invalid GT '{}'", String::from_utf8_lossy(call));
    let body = match call.first() {
        Some(b'/' | b'|') => &call[1..],
        _ => call,
    };
    if body.is_empty() {
        return Err(invalid());
    }
    let mut ploidy = 0usize;
    let mut missing = false;
    for allele in body.split(|&b| b == b'/' || b == b'|') {
        ploidy += 1;
        if allele == b"." {
            missing = true;
            continue;
        }
        if allele.is_empty() || allele.len() > 9 || !allele.iter().all(u8::is_ascii_digit) {
            return Err(invalid());
        }
        let a = allele
            .iter()
            .fold(0usize, |n, &d| n * 10 + usize::from(d - b'0'));
        if a >= n_alleles {
            return Err(format!(
                "GT allele {a} is out of range (the site has {n_alleles} alleles)"
            ));
        }
        alleles.push(a);
    }
    let ploidy = u8::try_from(ploidy).map_err(|_| format!("GT ploidy {ploidy} is too large"))?;
    Ok((Some(ploidy), missing))
}

/// Ploidy of a GT value (its number of alleles), `None` for a bare `.` or garbage.
fn gt_ploidy(call: &[u8]) -> Option<u8> {
    if call == b"." || call.is_empty() {
        return None;
    }
    let body = match call.first() {
        Some(b'/' | b'|') => &call[1..],
        _ => call,
    };
    let n = 1 + body.iter().filter(|&&b| b == b'/' || b == b'|').count();
    u8::try_from(n).ok()
}

/// A finite decimal number (full f64 precision, as Rust's parser is correctly rounded).
fn parse_number(bytes: &[u8]) -> Option<f64> {
    std::str::from_utf8(bytes)
        .ok()?
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}
