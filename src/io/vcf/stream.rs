//! The byte stream under a VCF or BCF file: plain, gzip, or BGZF (one or several threads).
//!
//! BGZF (SAM/BAM spec §4.1) is gzip cut into independent members of at most 64 KiB, which is
//! what makes both parallel inflation and index seeks (virtual offsets: compressed block
//! start << 16 | offset inside the block) possible. Plain gzip has neither, so it is read
//! sequentially and any index beside it is ignored.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::num::NonZero;
use std::path::Path;

use flate2::read::MultiGzDecoder;
use noodles::bgzf;
use noodles::bgzf::VirtualPosition;

use super::index::Seekable;
use crate::io::{Location, ReadError};

/// The 28-byte empty block bgzip, htslib and noodles write last. Its absence means the file
/// was cut short (SAM/BAM spec §4.1.2).
const BGZF_EOF_MARKER: [u8; 28] = [
    0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43, 0x02, 0x00,
    0x1b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// Read-buffer size for plain and gzip input: large enough that most records are found
/// whole in the buffer and scanned without copying.
const PLAIN_BUFFER_BYTES: usize = 1 << 20;

/// With several inflating threads, blocks ahead of the reader are already being inflated;
/// a seek throws them away and restarts the pipeline, so only jumps longer than this many
/// compressed bytes pay off.
const MULTITHREADED_MIN_SEEK_BYTES: u64 = 512 << 10;

/// How the file's bytes are compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Compression {
    None,
    Gzip,
    Bgzf,
}

pub(crate) enum Stream {
    Plain(BufReader<File>),
    Gzip(Box<BufReader<MultiGzDecoder<BufReader<File>>>>),
    Bgzf(bgzf::io::Reader<BufReader<File>>),
    BgzfThreaded(bgzf::io::MultithreadedReader<BufReader<File>>),
}

impl Stream {
    /// Opens `path`, recognising gzip and BGZF by their first bytes. `threads` above 1
    /// inflates BGZF blocks on that many worker threads.
    pub(crate) fn open(path: &Path, threads: usize) -> Result<Stream, ReadError> {
        let mut file = File::open(path).map_err(|e| ReadError::io(path, e))?;
        let compression = sniff_compression(&mut file).map_err(|e| ReadError::io(path, e))?;
        if compression == Compression::Bgzf {
            check_eof_marker(path, &mut file)?;
        }
        file.seek(SeekFrom::Start(0))
            .map_err(|e| ReadError::io(path, e))?;
        Ok(match compression {
            Compression::None => Stream::Plain(BufReader::with_capacity(PLAIN_BUFFER_BYTES, file)),
            Compression::Gzip => Stream::Gzip(Box::new(BufReader::with_capacity(
                PLAIN_BUFFER_BYTES,
                MultiGzDecoder::new(BufReader::new(file)),
            ))),
            Compression::Bgzf => match NonZero::new(threads).filter(|n| n.get() > 1) {
                Some(workers) => Stream::BgzfThreaded(
                    bgzf::io::MultithreadedReader::with_worker_count(workers, BufReader::new(file)),
                ),
                None => Stream::Bgzf(bgzf::io::Reader::new(BufReader::new(file))),
            },
        })
    }

    pub(crate) fn compression(&self) -> Compression {
        match self {
            Stream::Plain(_) => Compression::None,
            Stream::Gzip(_) => Compression::Gzip,
            Stream::Bgzf(_) | Stream::BgzfThreaded(_) => Compression::Bgzf,
        }
    }

    /// The BGZF virtual position of the next unread byte; `None` for other compressions.
    /// Call after `fill_buf` so that an exhausted block does not stand for the next one.
    pub(crate) fn virtual_position(&self) -> Option<VirtualPosition> {
        match self {
            Stream::Bgzf(r) => Some(r.virtual_position()),
            Stream::BgzfThreaded(r) => Some(bgzf::io::Read::virtual_position(r)),
            _ => None,
        }
    }

    /// Whether moving from `here` to `target` is worth a seek rather than reading on.
    pub(crate) fn worth_seeking(&self, here: VirtualPosition, target: VirtualPosition) -> bool {
        match self {
            Stream::Bgzf(_) => target.compressed() > here.compressed(),
            Stream::BgzfThreaded(_) => {
                target.compressed() > here.compressed() + MULTITHREADED_MIN_SEEK_BYTES
            }
            _ => false,
        }
    }

    /// Moves to a virtual position taken from an index.
    pub(crate) fn seek(&mut self, pos: VirtualPosition) -> io::Result<()> {
        use bgzf::io::Seek as _;
        match self {
            Stream::Bgzf(r) => r.seek(pos).map(|_| ()),
            Stream::BgzfThreaded(r) => r.seek_to_virtual_position(pos).map(|_| ()),
            _ => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "only BGZF files can seek",
            )),
        }
    }

    /// Turns an I/O error met while reading into a message that says what is wrong with the
    /// file, e.g. a truncated BGZF block.
    pub(crate) fn read_error(&self, path: &Path, location: Location, e: io::Error) -> ReadError {
        let what = match self.compression() {
            Compression::None => return ReadError::io(path, e),
            Compression::Gzip => "gzip",
            Compression::Bgzf => "BGZF",
        };
        let message = match e.kind() {
            io::ErrorKind::UnexpectedEof => {
                format!("truncated {what} data (unexpected end of file); the file is incomplete")
            }
            io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput => {
                format!("corrupt {what} data: {e}")
            }
            _ => return ReadError::io(path, e),
        };
        ReadError::malformed(path, location, message)
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(r) => r.read(buf),
            Stream::Gzip(r) => r.read(buf),
            Stream::Bgzf(r) => r.read(buf),
            Stream::BgzfThreaded(r) => r.read(buf),
        }
    }
}

impl BufRead for Stream {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            Stream::Plain(r) => r.fill_buf(),
            Stream::Gzip(r) => r.fill_buf(),
            Stream::Bgzf(r) => r.fill_buf(),
            Stream::BgzfThreaded(r) => r.fill_buf(),
        }
    }

    fn consume(&mut self, amt: usize) {
        match self {
            Stream::Plain(r) => r.consume(amt),
            Stream::Gzip(r) => r.consume(amt),
            Stream::Bgzf(r) => r.consume(amt),
            Stream::BgzfThreaded(r) => r.consume(amt),
        }
    }
}

/// BCF records are read straight from the stream, so its next byte starts the next record.
impl Seekable for Stream {
    fn next_position(&mut self) -> io::Result<Option<VirtualPosition>> {
        self.fill_buf()?;
        Ok(self.virtual_position())
    }

    fn worth_seeking(&self, here: VirtualPosition, target: VirtualPosition) -> bool {
        Stream::worth_seeking(self, here, target)
    }

    fn seek_to(&mut self, target: VirtualPosition) -> io::Result<()> {
        self.seek(target)
    }
}

/// Tells BGZF from plain gzip by the `BC` extra subfield that every BGZF member carries
/// (SAM/BAM spec §4.1), reading the first member header only.
fn sniff_compression(file: &mut File) -> io::Result<Compression> {
    let mut head = [0u8; 12];
    let n = read_up_to(file, &mut head)?;
    if n < 2 || head[0] != 0x1f || head[1] != 0x8b {
        return Ok(Compression::None);
    }
    const FEXTRA: u8 = 0x04;
    if n < head.len() || head[3] & FEXTRA == 0 {
        return Ok(Compression::Gzip);
    }
    let xlen = usize::from(u16::from_le_bytes([head[10], head[11]]));
    let mut extra = vec![0u8; xlen];
    if read_up_to(file, &mut extra)? < xlen {
        return Ok(Compression::Gzip);
    }
    let mut rest = extra.as_slice();
    while rest.len() >= 4 {
        let slen = usize::from(u16::from_le_bytes([rest[2], rest[3]]));
        if rest[0] == b'B' && rest[1] == b'C' && slen == 2 {
            return Ok(Compression::Bgzf);
        }
        rest = rest.get(4 + slen..).unwrap_or(&[]);
    }
    Ok(Compression::Gzip)
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Refuses a BGZF file without its end-of-file marker block. A file cut at a block
/// boundary would otherwise read as a shorter, valid file.
fn check_eof_marker(path: &Path, file: &mut File) -> Result<(), ReadError> {
    let len = file
        .seek(SeekFrom::End(0))
        .map_err(|e| ReadError::io(path, e))?;
    let mut tail = [0u8; BGZF_EOF_MARKER.len()];
    let complete = len >= tail.len() as u64
        && file
            .seek(SeekFrom::End(-(tail.len() as i64)))
            .and_then(|_| file.read_exact(&mut tail))
            .is_ok()
        && tail == BGZF_EOF_MARKER;
    if complete {
        Ok(())
    } else {
        Err(ReadError::malformed(
            path,
            Location::Offset(len),
            "truncated BGZF file: the end-of-file marker block is missing (file incomplete?)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn bgzf_bytes(text: &[u8]) -> Vec<u8> {
        let mut w = bgzf::io::Writer::new(Vec::new());
        w.write_all(text).unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn compression_is_sniffed_from_content() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("a.vcf");
        std::fs::write(&plain, b"##fileformat=VCFv4.2\n").unwrap();
        let gz = dir.path().join("b.vcf.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"##fileformat=VCFv4.2\n").unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        let bgz = dir.path().join("c.vcf.gz");
        std::fs::write(&bgz, bgzf_bytes(b"##fileformat=VCFv4.2\n")).unwrap();

        for (path, want) in [
            (&plain, Compression::None),
            (&gz, Compression::Gzip),
            (&bgz, Compression::Bgzf),
        ] {
            for threads in [1, 3] {
                let mut s = Stream::open(path, threads).unwrap();
                assert_eq!(s.compression(), want);
                let mut text = String::new();
                s.read_to_string(&mut text).unwrap();
                assert_eq!(text, "##fileformat=VCFv4.2\n");
            }
        }
    }

    #[test]
    fn missing_eof_marker_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = bgzf_bytes(b"hello\n");
        let cut = dir.path().join("cut.gz");
        std::fs::write(&cut, &bytes[..bytes.len() - BGZF_EOF_MARKER.len()]).unwrap();
        // Still recognised as BGZF (the first member is intact), refused for the missing tail.
        let err = Stream::open(&cut, 1).err().unwrap().to_string();
        assert!(err.contains("cut.gz"), "{err}");
        assert!(err.contains("end-of-file marker"), "{err}");
    }

    #[test]
    fn truncated_block_reads_as_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = Vec::new();
        for i in 0..20_000 {
            writeln!(text, "line {i} with some text that compresses").unwrap();
        }
        let bytes = bgzf_bytes(&text);
        // Cut inside the first block but keep a valid-looking EOF marker at the end.
        let mut cut = bytes[..bytes.len() / 3].to_vec();
        cut.extend_from_slice(&BGZF_EOF_MARKER);
        let path = dir.path().join("cut.vcf.gz");
        std::fs::write(&path, &cut).unwrap();
        for threads in [1, 2] {
            let mut s = Stream::open(&path, threads).unwrap();
            let mut sink = Vec::new();
            let e = s.read_to_end(&mut sink).unwrap_err();
            let msg = s.read_error(&path, Location::Line(1), e).to_string();
            assert!(msg.contains("cut.vcf.gz"), "{msg}");
            assert!(
                msg.contains("truncated BGZF") || msg.contains("corrupt BGZF"),
                "{msg}"
            );
        }
    }

    #[test]
    fn seek_to_virtual_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.gz");
        let mut w = bgzf::io::Writer::new(Vec::new());
        w.write_all(b"first\n").unwrap();
        w.flush().unwrap();
        let second = w.virtual_position();
        w.write_all(b"second\n").unwrap();
        std::fs::write(&path, w.finish().unwrap()).unwrap();
        for threads in [1, 2] {
            let mut s = Stream::open(&path, threads).unwrap();
            s.fill_buf().unwrap();
            let here = s.virtual_position().unwrap();
            assert_eq!(here.compressed(), 0);
            assert_eq!(s.worth_seeking(here, second), threads == 1);
            s.seek(second).unwrap();
            let mut rest = String::new();
            s.read_to_string(&mut rest).unwrap();
            assert_eq!(rest, "second\n");
        }
    }
}
