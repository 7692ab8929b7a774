//! Bgzipped VCF with a tabix index, written from phased haplotypes.
//!
//! The text is VCFv4.2 with a single `GT` field of phased calls (`0|1`). It is compressed
//! as BGZF (SAM/BAM spec §4.1): the uncompressed stream is cut at fixed 65,280-byte
//! boundaries (htslib's block size, so that even incompressible data fits a 64 KiB block),
//! and the blocks are deflated with libdeflate on rayon's threads, then written in order
//! and closed by the empty end-of-file block. Because every cut is at a multiple of the
//! block size, the virtual position (compressed block start << 16 | offset in the block)
//! of any byte follows from its uncompressed offset once the blocks before it are written,
//! which is all a tabix index (htslib `tabix.pdf`) needs: each record is added to noodles'
//! indexer with the virtual positions of its start and end.
//!
//! Formatting is the other hot path (four bytes per sample per variant): each call is
//! computed from the two haplotype codes with one add, and lines are formatted in
//! parallel straight into the buffer that is then cut into blocks.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use libdeflater::{CompressionLvl, Compressor};
use noodles::bgzf::VirtualPosition;
use noodles::csi::binning_index::index::reference_sequence::bin::Chunk;
use noodles::vcf::index::{Format as IndexFormat, Indexer};
use rayon::prelude::*;

use crate::genome::{Chrom, Position};
use crate::io::with_extension_appended;
use crate::io::write::{
    check_sample_ids, create_output, BlockChecker, GenotypeWriter, HaplotypeBlock, WriteError,
};
use crate::util::OutputSet;

/// Uncompressed bytes per BGZF block: htslib's `BGZF_BLOCK_SIZE` (0xff00), small enough
/// that a block of incompressible data still fits the 64 KiB BGZF limit.
const BLOCK_DATA_BYTES: usize = 0xff00;

/// Largest BGZF block, header and footer included (BSIZE is a `u16` holding size - 1).
const MAX_BLOCK_BYTES: usize = 1 << 16;

/// gzip member header with the BGZF `BC` extra field; bytes 16–17 (BSIZE) are filled in.
const BLOCK_HEADER: [u8; 18] = [
    0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, b'B', b'C', 0x02, 0x00,
    0x00, 0x00,
];

/// CRC32 and uncompressed size that close every block.
const BLOCK_FOOTER_BYTES: usize = 8;

/// The empty block that ends every BGZF file (SAM/BAM spec §4.1.2).
const EOF_BLOCK: [u8; 28] = [
    0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43, 0x02, 0x00,
    0x1b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// Text formatted before it is compressed: bounds memory for large cohorts (one line of
/// 500,000 samples is 2 MB) while giving every thread many blocks.
const GROUP_TEXT_BYTES: usize = 32 << 20;

/// `'0' | '|' << 8 | '0' << 16 | '\t' << 24`: the call `0|0` and its separator as a
/// little-endian word. Adding haplotype codes `h0 + (h1 << 16)` turns it into `h0|h1`.
const CALL_BASE: u32 = u32::from_le_bytes(*b"0|0\t");

/// libdeflate level used unless the caller picks one: level 1 is several times faster than
/// bgzip's default 6 on genotype text and costs little in size, since the calls repeat.
pub const DEFAULT_VCF_COMPRESSION_LEVEL: i32 = 1;

/// What goes in the VCF header besides the samples.
#[derive(Clone, Debug)]
pub struct VcfWriterOptions {
    /// Genome build for `##reference=` (e.g. `GRCh38`), which our reader and others use to
    /// tell the build.
    pub genome_build: Option<String>,
    /// Contigs to declare with `##contig=<ID=..,length=..>`, in file order. When not empty,
    /// every variant must lie on one of them, within its length.
    pub contigs: Vec<(Chrom, u64)>,
    /// libdeflate compression level, 0 (stored) to 12.
    pub compression_level: i32,
}

impl Default for VcfWriterOptions {
    fn default() -> VcfWriterOptions {
        VcfWriterOptions {
            genome_build: None,
            contigs: Vec::new(),
            compression_level: DEFAULT_VCF_COMPRESSION_LEVEL,
        }
    }
}

/// Writes a `.vcf.gz` and its `.tbi` index.
pub struct VcfWriter {
    path: PathBuf,
    index_path: PathBuf,
    outputs: OutputSet,
    file: File,
    index_file: File,
    checker: BlockChecker,
    level: CompressionLvl,
    contigs: HashMap<Chrom, u64>,
    /// Uncompressed text not yet compressed; it starts at a block boundary.
    pending: Vec<u8>,
    /// Full blocks written so far, so `pending` starts at `blocks_written * BLOCK_DATA_BYTES`.
    blocks_written: u64,
    /// Compressed bytes written so far: where the next block starts.
    compressed_len: u64,
    indexer: Indexer,
    /// The last record written, not yet indexed (see [`VcfWriter::index_held`]).
    held: Option<HeldRecord>,
}

/// A record waiting for the virtual position of its end.
struct HeldRecord {
    chrom: Chrom,
    pos: Position,
    /// Last position the record covers (POS + length of REF - 1).
    end: Position,
    start: VirtualPosition,
}

impl VcfWriter {
    /// Starts `path` (conventionally `*.vcf.gz`) and its index `path.tbi`, both under
    /// temporary names until [`finish`](GenotypeWriter::finish).
    pub fn create(
        path: &Path,
        sample_ids: &[String],
        options: &VcfWriterOptions,
    ) -> Result<VcfWriter, WriteError> {
        check_sample_ids(path, sample_ids)?;
        let level = CompressionLvl::new(options.compression_level).map_err(|_| {
            WriteError::invalid(
                path,
                format!(
                    "compression level {} is out of range (expected 0 to 12)",
                    options.compression_level
                ),
            )
        })?;
        let indexer = Indexer::builder()
            .set_format(IndexFormat::Tabix)
            .build()
            .map_err(|e| WriteError::Index {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        let index_path = with_extension_appended(path, "tbi");
        let mut outputs = OutputSet::new();
        let (file, _) = create_output(&mut outputs, path)?;
        let (index_file, _) = create_output(&mut outputs, &index_path)?;
        let mut writer = VcfWriter {
            path: path.to_path_buf(),
            index_path,
            outputs,
            file,
            index_file,
            checker: BlockChecker::new(sample_ids.len()),
            level,
            contigs: options.contigs.iter().cloned().collect(),
            pending: Vec::new(),
            blocks_written: 0,
            compressed_len: 0,
            indexer,
            held: None,
        };
        writer.pending = header_text(sample_ids, options);
        Ok(writer)
    }

    /// Refuses variants off the declared contigs, and positions a tabix index cannot hold.
    fn check_positions(&self, block: &HaplotypeBlock) -> Result<(), WriteError> {
        for v in &block.variants {
            let end = (v.pos + v.ref_allele.len() as u64).saturating_sub(1);
            if !self.contigs.is_empty() {
                match self.contigs.get(&v.chrom) {
                    None => {
                        return Err(WriteError::invalid(
                            &self.path,
                            format!(
                                "variant {} is on chromosome {}, which the header does not declare",
                                v.positional_id(),
                                v.chrom
                            ),
                        ))
                    }
                    Some(&len) if end > len => {
                        return Err(WriteError::invalid(
                            &self.path,
                            format!(
                            "variant {} ends at {end}, past the end of chromosome {} ({len} bp)",
                            v.positional_id(),
                            v.chrom
                        ),
                        ))
                    }
                    Some(_) => {}
                }
            }
            if end > MAX_TABIX_POSITION {
                return Err(WriteError::invalid(
                    &self.path,
                    format!(
                        "variant {} ends at {end}, past the largest position a tabix index holds ({MAX_TABIX_POSITION})",
                        v.positional_id()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Compresses and writes every full block of `pending`, keeping the tail. Returns the
    /// compressed start of each block written, and of the block after them.
    fn flush_full_blocks(&mut self) -> Result<Vec<u64>, WriteError> {
        let full = self.pending.len() / BLOCK_DATA_BYTES;
        let blocks = compress_blocks(&self.pending[..full * BLOCK_DATA_BYTES], self.level);
        let starts = self.write_blocks(&blocks)?;
        self.blocks_written += full as u64;
        self.pending.drain(..full * BLOCK_DATA_BYTES);
        Ok(starts)
    }

    fn write_blocks(&mut self, blocks: &[Vec<u8>]) -> Result<Vec<u64>, WriteError> {
        let mut starts = Vec::with_capacity(blocks.len() + 1);
        let mut out = Vec::with_capacity(blocks.iter().map(Vec::len).sum());
        for b in blocks {
            starts.push(self.compressed_len + out.len() as u64);
            out.extend_from_slice(b);
        }
        self.file
            .write_all(&out)
            .map_err(|e| WriteError::io(&self.path, e))?;
        self.compressed_len += out.len() as u64;
        starts.push(self.compressed_len);
        Ok(starts)
    }

    /// Adds the held-back record to the index, now that `end`, the virtual position where
    /// the next record starts (or where the end-of-file block starts), is known.
    ///
    /// Each record is added one record late so that the last one ends at the end-of-file
    /// block, as in htslib's indexes, rather than at the end of the last data block: the
    /// same place, spelled so that the two indexes are identical.
    fn index_held(&mut self, end: VirtualPosition) -> Result<(), WriteError> {
        let Some(r) = self.held.take() else {
            return Ok(());
        };
        let chunk = Chunk::new(r.start, end);
        let added = match (to_index_position(r.pos), to_index_position(r.end)) {
            (Some(start), Some(end)) => self
                .indexer
                .add_record(r.chrom.as_str(), start, end, chunk)
                .map_err(|e| e.to_string()),
            _ => Err("position does not fit".to_string()),
        };
        added.map_err(|message| WriteError::Index {
            path: self.index_path.clone(),
            message: format!("variant at {}:{}: {message}", r.chrom, r.pos),
        })
    }

    /// Formats, compresses and indexes one group of variants of `block`.
    fn write_group(
        &mut self,
        block: &HaplotypeBlock,
        range: std::ops::Range<usize>,
    ) -> Result<(), WriteError> {
        let n = block.n_samples;
        let calls_len = 4 * n;
        // The fixed columns of each line, formatted serially (they are short).
        let mut prefixes = Vec::new();
        let mut prefix_ends = Vec::with_capacity(range.len());
        for v in &block.variants[range.clone()] {
            push_prefix(&mut prefixes, v);
            prefix_ends.push(prefixes.len());
        }
        let base = self.pending.len();
        let total = prefixes.len() + range.len() * calls_len;
        self.pending.resize(base + total, 0);

        // Cut the new text into one slice per line, and fill them in parallel.
        let mut lines = Vec::with_capacity(range.len());
        let mut starts = Vec::with_capacity(range.len() + 1);
        let mut rest = &mut self.pending[base..];
        let mut offset = base;
        let mut prefix_start = 0;
        for (i, &prefix_end) in prefix_ends.iter().enumerate() {
            let len = prefix_end - prefix_start + calls_len;
            let (line, tail) = rest.split_at_mut(len);
            lines.push((
                line,
                &prefixes[prefix_start..prefix_end],
                block.variant_haplotypes(range.start + i),
            ));
            starts.push(offset);
            offset += len;
            prefix_start = prefix_end;
            rest = tail;
        }
        starts.push(offset);
        lines.into_par_iter().for_each(|(line, prefix, haps)| {
            let (head, calls) = line.split_at_mut(prefix.len());
            head.copy_from_slice(prefix);
            format_calls(haps, calls);
        });

        // Offsets in `pending` are offsets in the whole text after this many bytes.
        let text_base = self.blocks_written * BLOCK_DATA_BYTES as u64;
        let first_block = self.blocks_written;
        let block_starts = self.flush_full_blocks()?;
        let record_starts = starts[..range.len()]
            .iter()
            .map(|&offset| {
                let u = text_base + offset as u64;
                let block = (u / BLOCK_DATA_BYTES as u64 - first_block) as usize;
                let within = (u % BLOCK_DATA_BYTES as u64) as u16;
                virtual_position(&self.index_path, block_starts[block], within)
            })
            .collect::<Result<Vec<_>, _>>()?;
        for (v, start) in block.variants[range].iter().zip(record_starts) {
            self.index_held(start)?;
            self.held = Some(HeldRecord {
                chrom: v.chrom.clone(),
                pos: v.pos,
                end: (v.pos + v.ref_allele.len() as u64).saturating_sub(1),
                start,
            });
        }
        Ok(())
    }
}

/// Largest position a tabix index (bins over 2^29 bp) can place.
const MAX_TABIX_POSITION: u64 = (1 << 29) - 1;

/// The virtual position of byte `within` of the block starting at `compressed`.
fn virtual_position(
    index_path: &Path,
    compressed: u64,
    within: u16,
) -> Result<VirtualPosition, WriteError> {
    VirtualPosition::try_from((compressed, within)).map_err(|e| WriteError::Index {
        path: index_path.to_path_buf(),
        message: format!("offset past what a virtual position holds: {e}"),
    })
}

fn to_index_position(pos: Position) -> Option<noodles::core::Position> {
    usize::try_from(pos)
        .ok()
        .and_then(noodles::core::Position::new)
}

impl GenotypeWriter for VcfWriter {
    fn write_block(&mut self, block: &HaplotypeBlock) -> Result<(), WriteError> {
        // Positions first: a refused block must not advance the order check.
        self.check_positions(block)?;
        self.checker.check(&self.path, block)?;
        let line_estimate = 4 * block.n_samples + 64;
        let group = (GROUP_TEXT_BYTES / line_estimate).max(1);
        let mut start = 0;
        while start < block.variants.len() {
            let end = (start + group).min(block.variants.len());
            self.write_group(block, start..end)?;
            start = end;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<Vec<PathBuf>, WriteError> {
        let tail = std::mem::take(&mut self.pending);
        let blocks = compress_blocks(&tail, self.level);
        self.write_blocks(&blocks)?;
        let eof = virtual_position(&self.index_path, self.compressed_len, 0)?;
        self.index_held(eof)?;
        self.write_blocks(&[EOF_BLOCK.to_vec()])?;
        self.file
            .flush()
            .map_err(|e| WriteError::io(&self.path, e))?;

        let VcfWriter {
            index_path,
            outputs,
            index_file,
            indexer,
            path,
            ..
        } = *self;
        let noodles::vcf::Index::Tabix(index) = indexer.build() else {
            unreachable!("the indexer was built for tabix")
        };
        let mut tbi = noodles::tabix::io::Writer::new(index_file);
        tbi.write_index(&index)
            .and_then(|()| tbi.try_finish())
            .map_err(|e| WriteError::io(&index_path, e))?;
        outputs.commit().map_err(|e| WriteError::io(&path, e))
    }
}

/// The VCF header: file format, source, build, contigs, the GT definition and the column
/// line with the samples.
fn header_text(sample_ids: &[String], options: &VcfWriterOptions) -> Vec<u8> {
    let mut h = String::from("##fileformat=VCFv4.2\n##source=medgem-prs simulate\n");
    if let Some(build) = &options.genome_build {
        h.push_str(&format!("##reference={build}\n"));
    }
    for (chrom, len) in &options.contigs {
        h.push_str(&format!("##contig=<ID={chrom},length={len}>\n"));
    }
    h.push_str("##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Phased genotype\">\n");
    h.push_str("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT");
    for id in sample_ids {
        h.push('\t');
        h.push_str(id);
    }
    h.push('\n');
    h.into_bytes()
}

/// Appends `CHROM POS ID REF ALT QUAL FILTER INFO FORMAT` and the tab before the first call.
fn push_prefix(out: &mut Vec<u8>, v: &crate::io::write::VariantInfo) {
    out.extend_from_slice(v.chrom.as_str().as_bytes());
    out.push(b'\t');
    push_decimal(out, v.pos);
    out.push(b'\t');
    out.extend_from_slice(v.id_or_dot().as_bytes());
    out.push(b'\t');
    out.extend_from_slice(v.ref_allele.as_bytes());
    out.push(b'\t');
    out.extend_from_slice(v.alt_allele.as_bytes());
    out.extend_from_slice(b"\t.\t.\t.\tGT\t");
}

fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Writes `h0|h1` and a tab for each sample, the last tab becoming the newline. The codes
/// are checked to be 0 or 1 beforehand, so each call is one add on a word.
fn format_calls(haps: &[u8], out: &mut [u8]) {
    debug_assert_eq!(out.len(), 2 * haps.len());
    for (call, pair) in out.chunks_exact_mut(4).zip(haps.chunks_exact(2)) {
        let word = CALL_BASE + u32::from(pair[0]) + (u32::from(pair[1]) << 16);
        call.copy_from_slice(&word.to_le_bytes());
    }
    if let Some(last) = out.last_mut() {
        *last = b'\n';
    }
}

/// A deflater per thread, with a stored-only one for the (theoretical) block whose
/// compressed form would not fit in 64 KiB.
struct Deflaters {
    level: CompressionLvl,
    main: Compressor,
    stored: Option<Compressor>,
}

impl Deflaters {
    fn new(level: CompressionLvl) -> Deflaters {
        Deflaters {
            level,
            main: Compressor::new(level),
            stored: None,
        }
    }

    /// One complete BGZF block holding `data` (at most `BLOCK_DATA_BYTES`).
    fn block(&mut self, data: &[u8]) -> Vec<u8> {
        debug_assert!(data.len() <= BLOCK_DATA_BYTES);
        let header = BLOCK_HEADER.len();
        let bound = self.main.deflate_compress_bound(data.len());
        let mut out = vec![0u8; header + bound + BLOCK_FOOTER_BYTES];
        let mut size = self
            .main
            .deflate_compress(data, &mut out[header..header + bound])
            .ok();
        if size.is_none_or(|n| header + n + BLOCK_FOOTER_BYTES > MAX_BLOCK_BYTES)
            && self.level != CompressionLvl::fastest()
        {
            let stored = self
                .stored
                .get_or_insert_with(|| Compressor::new(CompressionLvl::fastest()));
            size = stored
                .deflate_compress(data, &mut out[header..header + bound])
                .ok();
        }
        let size = size.expect("deflate output fits its compress bound");
        let total = header + size + BLOCK_FOOTER_BYTES;
        assert!(total <= MAX_BLOCK_BYTES, "stored BGZF block exceeds 64 KiB");
        out.truncate(total);
        out[..header].copy_from_slice(&BLOCK_HEADER);
        out[16..18].copy_from_slice(&((total - 1) as u16).to_le_bytes());
        let footer = header + size;
        out[footer..footer + 4].copy_from_slice(&libdeflater::crc32(data).to_le_bytes());
        out[footer + 4..].copy_from_slice(&(data.len() as u32).to_le_bytes());
        out
    }
}

/// Compresses `data` as consecutive BGZF blocks of `BLOCK_DATA_BYTES` (the last may be
/// shorter) on rayon's threads, in order.
fn compress_blocks(data: &[u8], level: CompressionLvl) -> Vec<Vec<u8>> {
    data.par_chunks(BLOCK_DATA_BYTES)
        .map_init(|| Deflaters::new(level), |d, chunk| d.block(chunk))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::vcf::VcfSource;
    use crate::io::write::tests::{flatten, random_blocks, sample_ids, write_through};
    use crate::io::write::VariantInfo;
    use crate::io::{Dosages, GenotypeSource, OpenOptions, SiteFilter};
    use std::io::Read;

    fn write_vcf(path: &Path, ids: &[String], blocks: &[HaplotypeBlock]) -> Vec<PathBuf> {
        let options = VcfWriterOptions {
            genome_build: Some("GRCh38".into()),
            contigs: ["1", "2", "22"]
                .iter()
                .map(|c| (Chrom::parse(c), 250_000_000))
                .collect(),
            ..VcfWriterOptions::default()
        };
        write_through(
            Box::new(VcfWriter::create(path, ids, &options).unwrap()),
            blocks,
        )
    }

    fn read_text(path: &Path) -> String {
        let mut text = String::new();
        noodles::bgzf::io::Reader::new(File::open(path).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    #[test]
    fn calls_are_formatted_from_codes() {
        let mut out = vec![0u8; 16];
        format_calls(&[0, 0, 0, 1, 1, 0, 1, 1], &mut out);
        assert_eq!(&out, b"0|0\t0|1\t1|0\t1|1\n");
        let mut v = Vec::new();
        for n in [0u64, 7, 10, 1_234_567_890, u64::MAX] {
            v.clear();
            push_decimal(&mut v, n);
            assert_eq!(String::from_utf8(v.clone()).unwrap(), n.to_string());
        }
    }

    #[test]
    fn bgzf_blocks_are_valid_and_cut_at_fixed_sizes() {
        // Incompressible bytes, to exercise the size limit of a block.
        let mut rng = crate::io::write::tests::SplitMix::new(9);
        let data: Vec<u8> = (0..3 * BLOCK_DATA_BYTES + 17)
            .map(|_| rng.next_u64() as u8)
            .collect();
        for level in [0, 1, 6, 12] {
            let blocks = compress_blocks(&data, CompressionLvl::new(level).unwrap());
            assert_eq!(blocks.len(), 4);
            let mut bytes: Vec<u8> = blocks.concat();
            bytes.extend_from_slice(&EOF_BLOCK);
            for b in &blocks {
                assert!(b.len() <= MAX_BLOCK_BYTES);
                assert_eq!(usize::from(u16::from_le_bytes([b[16], b[17]])) + 1, b.len());
            }
            let mut back = Vec::new();
            noodles::bgzf::io::Reader::new(bytes.as_slice())
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, data, "level {level}");
        }
    }

    #[test]
    fn round_trip_through_our_reader_with_phasing_and_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cohort.vcf.gz");
        let n = 37;
        let ids = sample_ids(n);
        // Enough variants that the text spans many BGZF blocks and the index has windows
        // to skip; blocks of 90 variants straddle chromosome boundaries.
        let blocks = random_blocks(11, n, &["1", "2", "22"], 600, 90);
        let written = write_vcf(&path, &ids, &blocks);
        assert_eq!(
            written,
            vec![path.clone(), dir.path().join("cohort.vcf.gz.tbi")]
        );
        let expected = flatten(&blocks);

        // Text: header and GT strings keep the phase.
        let text = read_text(&path);
        assert!(text.starts_with("##fileformat=VCFv4.2\n##source=medgem-prs simulate\n##reference=GRCh38\n##contig=<ID=1,length=250000000>\n"));
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(lines.len(), expected.len());
        for (line, (v, haps)) in lines.iter().zip(&expected) {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 9 + n);
            assert_eq!(cols[0], v.chrom.as_str());
            assert_eq!(cols[1], v.pos.to_string());
            assert_eq!(cols[2], v.id_or_dot());
            assert_eq!(
                (cols[3], cols[4]),
                (v.ref_allele.as_str(), v.alt_allele.as_str())
            );
            assert_eq!(cols[8], "GT");
            for (s, gt) in cols[9..].iter().enumerate() {
                assert_eq!(*gt, format!("{}|{}", haps[2 * s], haps[2 * s + 1]));
            }
        }

        // Our reader: samples, sites and dosages equal the haplotype sums.
        let mut src = VcfSource::open(&path, &OpenOptions::default()).unwrap();
        assert_eq!(src.sample_ids(), ids.as_slice());
        assert_eq!(src.genome_build(), Some("GRCh38"));
        assert!(src.has_index());
        let mut d = Dosages::new();
        let mut k = 0;
        while let Some(site) = src.next_site(&SiteFilter::all()).unwrap() {
            let (v, haps) = &expected[k];
            assert_eq!((&site.chrom, site.pos), (&v.chrom, v.pos));
            assert_eq!(site.ref_allele, v.ref_allele);
            assert_eq!(site.alt_alleles, vec![v.alt_allele.clone()]);
            src.payload().unwrap().decode(&mut d).unwrap();
            for s in 0..n {
                let alt = f64::from(haps[2 * s] + haps[2 * s + 1]);
                assert_eq!(d.get(1, s), alt);
                assert_eq!(d.get(0, s), 2.0 - alt);
            }
            k += 1;
        }
        assert_eq!(k, expected.len());
    }

    #[test]
    fn region_queries_seek_through_the_tabix_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.vcf.gz");
        let n = 50;
        let blocks = random_blocks(5, n, &["1", "2", "22"], 900, 250);
        write_vcf(&path, &sample_ids(n), &blocks);
        let expected = flatten(&blocks);
        // The index names the chromosomes in file order.
        use noodles::csi::BinningIndex as _;
        let index = noodles::tabix::fs::read(with_extension_appended(&path, "tbi")).unwrap();
        let names: Vec<String> = index
            .header()
            .unwrap()
            .reference_sequence_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(names, ["1", "2", "22"]);

        let chr2: Vec<&VariantInfo> = expected
            .iter()
            .map(|(v, _)| v)
            .filter(|v| v.chrom.as_str() == "2")
            .collect();
        let (lo, hi) = (chr2[300].pos, chr2[420].pos);
        let region = format!("2:{lo}-{hi}");
        let filter = SiteFilter::all().with_region(Some(region.parse().unwrap()));
        let mut src = VcfSource::open(&path, &OpenOptions::default()).unwrap();
        let mut got = Vec::new();
        let mut d = Dosages::new();
        while let Some(site) = src.next_site(&filter).unwrap() {
            src.payload().unwrap().decode(&mut d).unwrap();
            got.push((site.pos, d.allele(1).iter().sum::<f64>()));
        }
        let want: Vec<(u64, f64)> = expected
            .iter()
            .filter(|(v, _)| v.chrom.as_str() == "2" && (lo..=hi).contains(&v.pos))
            .map(|(v, h)| (v.pos, h.iter().map(|&x| f64::from(x)).sum()))
            .collect();
        assert_eq!(got, want);
        assert!(src.index_seeks() > 0, "the region was reached by seeking");

        // And noodles' own indexed query finds the same records.
        let mut reader = noodles::vcf::io::indexed_reader::Builder::default()
            .build_from_path(&path)
            .unwrap();
        let header = reader.read_header().unwrap();
        let query_region: noodles::core::Region = region.parse().unwrap();
        let positions: Vec<u64> = reader
            .query(&header, &query_region)
            .unwrap()
            .records()
            .map(|r| r.unwrap().variant_start().unwrap().unwrap().get() as u64)
            .collect();
        assert_eq!(positions, want.iter().map(|w| w.0).collect::<Vec<_>>());
    }

    #[test]
    fn dropped_or_failed_writer_leaves_no_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gone.vcf.gz");
        let ids = sample_ids(4);
        let blocks = random_blocks(3, 4, &["1"], 50, 20);
        {
            let mut w = VcfWriter::create(&path, &ids, &VcfWriterOptions::default()).unwrap();
            w.write_block(&blocks[0]).unwrap();
        }
        let mut w = VcfWriter::create(&path, &ids, &VcfWriterOptions::default()).unwrap();
        w.write_block(&blocks[1]).unwrap();
        let err = w.write_block(&blocks[0]).unwrap_err().to_string();
        assert!(
            err.contains("gone.vcf.gz") && err.contains("sorted"),
            "{err}"
        );
        drop(w);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn undeclared_contig_and_bad_level_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.vcf.gz");
        let ids = sample_ids(2);
        let options = VcfWriterOptions {
            contigs: vec![(Chrom::parse("1"), 1000)],
            ..VcfWriterOptions::default()
        };
        let mut w = VcfWriter::create(&path, &ids, &options).unwrap();
        let blocks = random_blocks(3, 2, &["2"], 3, 3);
        let err = w.write_block(&blocks[0]).unwrap_err().to_string();
        assert!(
            err.contains("chromosome 2, which the header does not declare"),
            "{err}"
        );
        let blocks = random_blocks(3, 2, &["1"], 3, 3);
        let err = w.write_block(&blocks[0]).unwrap_err().to_string();
        assert!(
            err.contains("past the end of chromosome 1 (1000 bp)"),
            "{err}"
        );
        let options = VcfWriterOptions {
            compression_level: 13,
            ..VcfWriterOptions::default()
        };
        let err = VcfWriter::create(&path, &ids, &options).err().unwrap();
        assert!(err.to_string().contains("compression level 13"), "{err}");
    }

    /// Checks the output with bcftools and tabix when they are installed.
    #[test]
    fn bcftools_reads_the_file_and_the_index() {
        let have = |tool: &str| {
            std::process::Command::new(tool)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !have("bcftools") {
            eprintln!("bcftools not on PATH; skipping the cross-check");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.vcf.gz");
        let n = 20;
        let blocks = random_blocks(8, n, &["1", "22"], 700, 300);
        write_vcf(&path, &sample_ids(n), &blocks);
        let expected = flatten(&blocks);
        let on22: Vec<&(VariantInfo, Vec<u8>)> = expected
            .iter()
            .filter(|(v, _)| v.chrom.as_str() == "22")
            .collect();
        let (lo, hi) = (on22[100].0.pos, on22[250].0.pos);
        let out = std::process::Command::new("bcftools")
            .args([
                "query",
                "-r",
                &format!("22:{lo}-{hi}"),
                "-f",
                "%POS[\\t%GT]\\n",
            ])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = String::from_utf8(out.stdout).unwrap();
        let want: String = on22
            .iter()
            .filter(|(v, _)| (lo..=hi).contains(&v.pos))
            .map(|(v, h)| {
                let calls: String = h
                    .chunks(2)
                    .map(|p| format!("\t{}|{}", p[0], p[1]))
                    .collect();
                format!("{}{calls}\n", v.pos)
            })
            .collect();
        assert_eq!(got, want);
    }

    /// Our index is the one htslib's `tabix -p vcf` builds for the same file (bins, chunks,
    /// linear index and per-chromosome metadata), when tabix is installed.
    #[test]
    fn index_equals_the_one_tabix_builds() {
        use noodles::csi::binning_index::ReferenceSequence as _;
        use noodles::csi::BinningIndex as _;
        let have = std::process::Command::new("tabix")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !have {
            eprintln!("tabix not on PATH; skipping the cross-check");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let ours = dir.path().join("ours.vcf.gz");
        let n = 30;
        // Three chromosomes, blocks that straddle them, and enough text for many BGZF
        // blocks, so that chunks cross block boundaries.
        write_vcf(
            &ours,
            &sample_ids(n),
            &random_blocks(6, n, &["1", "2", "22"], 800, 130),
        );
        let theirs = dir.path().join("theirs.vcf.gz");
        std::fs::copy(&ours, &theirs).unwrap();
        let out = std::process::Command::new("tabix")
            .args(["-p", "vcf"])
            .arg(&theirs)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let a = noodles::tabix::fs::read(with_extension_appended(&ours, "tbi")).unwrap();
        let b = noodles::tabix::fs::read(with_extension_appended(&theirs, "tbi")).unwrap();
        assert_eq!(a.header(), b.header());
        assert_eq!(
            a.unplaced_unmapped_record_count(),
            b.unplaced_unmapped_record_count()
        );
        assert_eq!(a.reference_sequences().len(), b.reference_sequences().len());
        for (ra, rb) in a.reference_sequences().iter().zip(b.reference_sequences()) {
            let bins = |r: &noodles::csi::binning_index::index::ReferenceSequence<_>| {
                let mut v: Vec<_> = r
                    .bins()
                    .iter()
                    .map(|(id, bin)| (*id, bin.chunks().to_vec()))
                    .collect();
                v.sort_by_key(|(id, _)| *id);
                v
            };
            assert_eq!(bins(ra), bins(rb));
            assert_eq!(ra.index(), rb.index());
            assert_eq!(ra.metadata(), rb.metadata());
        }
    }
}
