//! BGEN v1.2 (layout 2) output of phased haplotypes, with a bgenix `.bgi` index and an
//! Oxford `.sample` file.
//!
//! The layout follows the specification by Gavin Band
//! (<https://www.well.ox.ac.uk/~gav/bgen_format/spec/latest.html>). Each variant's
//! genotype data block is stored phased, ploidy 2 for every sample, 8 bits per probability:
//! for phased data a probability is given per haplotype for every allele but the last, so
//! with alleles (REF, ALT) each haplotype stores one byte, P(haplotype carries REF) × 255:
//! 255 for a REF haplotype and 0 for an ALT one. Blocks are compressed with zstd (or zlib),
//! one variant per rayon task. Each variant's ID is `CHR:POS:REF:ALT` and its rsid the
//! caller's ID (`.` when empty), so readers that show the rsid show the caller's name. The
//! variant count in the header is known only at the end, so it is patched in by
//! [`finish`](GenotypeWriter::finish), which then indexes the file with [`write_bgi`]
//! before any of the files is moved into place.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{write_bgi, FLAG_SAMPLE_IDS};
use crate::io::plink::Sex;
use crate::io::with_extension_appended;
use crate::io::write::{
    check_sample_ids, check_sexes, create_output, make_shareable, write_whole_output, BlockChecker,
    GenotypeWriter, HaplotypeBlock, VariantInfo, WriteError,
};
use crate::util::OutputSet;

/// Length of the header block without free data (`L_H`): its own length, the variant and
/// sample counts, the magic number and the flags, four bytes each.
const HEADER_BLOCK_LEN: u32 = 20;

/// Byte offset of the variant count `M` in the file, patched on finish.
const VARIANT_COUNT_OFFSET: u64 = 8;

/// Header flags, bits 2–5: layout 2 (BGEN v1.2).
const LAYOUT_2: u32 = 2 << 2;

/// Every sample is diploid; the ploidy byte also has bit 7 clear (not missing).
const PLOIDY: u8 = 2;

/// The phased flag of a genotype data block.
const PHASED: u8 = 1;

/// Bits per stored probability.
const BITS: u8 = 8;

/// Alleles per variant: REF and ALT.
const N_ALLELES: u16 = 2;

/// Bytes before the per-sample ploidy bytes in a genotype data block: N (u32), K (u16),
/// minimum and maximum ploidy (u8 each).
const BLOCK_PREAMBLE: usize = 8;

const WRITE_BUFFER_BYTES: usize = 1 << 20;

/// How genotype data blocks are compressed (header flags, bits 0–1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BgenCompression {
    /// zstd at this level (zstd's range: 1 to 22, negative for faster); flag value 2, which
    /// bgenix, qctool 2 and plink2 read.
    Zstd {
        /// zstd compression level, 1 (fastest) to 22, or negative for zstd's fast modes.
        level: i32,
    },
    /// zlib at this libdeflate level (0 to 12); flag value 1, readable by every v1.2 reader.
    Zlib {
        /// libdeflate compression level, 0 (stored) to 12 (slowest, smallest).
        level: i32,
    },
}

impl BgenCompression {
    fn flag(self) -> u32 {
        match self {
            BgenCompression::Zlib { .. } => 1,
            BgenCompression::Zstd { .. } => 2,
        }
    }
}

impl Default for BgenCompression {
    /// zstd level 1: the phased 0/255 bytes compress well even at the fastest level.
    fn default() -> BgenCompression {
        BgenCompression::Zstd { level: 1 }
    }
}

/// How to write a BGEN file; the layout, phasing and precision are fixed (see the module).
#[derive(Clone, Debug, Default)]
pub struct BgenWriterOptions {
    /// Codec and level for the genotype data blocks (default: zstd level 1).
    pub compression: BgenCompression,
}

/// Writes `*.bgen`, its `*.bgen.bgi` index and its `*.sample` file.
pub struct BgenWriter {
    path: PathBuf,
    bgi_path: PathBuf,
    outputs: OutputSet,
    bgen: BufWriter<File>,
    /// The `.bgen`'s temporary path, which the index is built from.
    bgen_tmp: PathBuf,
    bgi_tmp: PathBuf,
    checker: BlockChecker,
    n_samples: u32,
    compression: BgenCompression,
}

impl BgenWriter {
    /// Starts `path`, with the index `path.bgi` and the sample file `path` with `.bgen`
    /// replaced by `.sample` (appended when the name does not end in `.bgen`), where our
    /// reader and plink2 look for them. `sexes`, when given, fills the `.sample` sex column.
    pub fn create(
        path: &Path,
        sample_ids: &[String],
        sexes: Option<&[Sex]>,
        options: &BgenWriterOptions,
    ) -> Result<BgenWriter, WriteError> {
        check_sample_ids(path, sample_ids)?;
        check_sexes(path, sample_ids, sexes)?;
        let level_ok = match options.compression {
            BgenCompression::Zstd { level } => zstd::compression_level_range().contains(&level),
            BgenCompression::Zlib { level } => libdeflater::CompressionLvl::new(level).is_ok(),
        };
        if !level_ok {
            return Err(WriteError::invalid(
                path,
                format!(
                    "{:?}: level out of range (zstd {:?}, zlib 0 to 12)",
                    options.compression,
                    zstd::compression_level_range()
                ),
            ));
        }
        let n_samples = u32::try_from(sample_ids.len())
            .map_err(|_| WriteError::invalid(path, "more samples than BGEN can hold (2^32)"))?;
        let header = header_bytes(path, sample_ids, options.compression)?;

        let bgi_path = with_extension_appended(path, "bgi");
        let sample_path = sample_file_path(path);
        let mut outputs = OutputSet::new();
        write_whole_output(&mut outputs, &sample_path, |w| {
            write_sample_file(w, sample_ids, sexes)
        })?;
        let (file, bgen_tmp) = create_output(&mut outputs, path)?;
        let (_, bgi_tmp) = create_output(&mut outputs, &bgi_path)?;
        let mut bgen = BufWriter::with_capacity(WRITE_BUFFER_BYTES, file);
        bgen.write_all(&header)
            .map_err(|e| WriteError::io(path, e))?;
        Ok(BgenWriter {
            path: path.to_path_buf(),
            bgi_path,
            outputs,
            bgen,
            bgen_tmp,
            bgi_tmp,
            checker: BlockChecker::new(sample_ids.len()),
            n_samples,
            compression: options.compression,
        })
    }
}

impl GenotypeWriter for BgenWriter {
    fn write_block(&mut self, block: &HaplotypeBlock) -> Result<(), WriteError> {
        self.checker.check(&self.path, block)?;
        if self.checker.variants() > u64::from(u32::MAX) {
            return Err(WriteError::invalid(
                &self.path,
                "more variants than a BGEN header can count (2^32 - 1)",
            ));
        }
        let compression = self.compression;
        let n_samples = self.n_samples;
        let records: Vec<Result<Vec<u8>, String>> = block
            .variants
            .par_iter()
            .enumerate()
            .map_init(
                || Encoder::new(compression),
                |enc, (i, v)| enc.record(v, n_samples, block.variant_haplotypes(i)),
            )
            .collect();
        for record in records {
            let record = record.map_err(|message| WriteError::invalid(&self.path, message))?;
            self.bgen
                .write_all(&record)
                .map_err(|e| WriteError::io(&self.path, e))?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<Vec<PathBuf>, WriteError> {
        let BgenWriter {
            path,
            bgi_path,
            outputs,
            bgen,
            bgen_tmp,
            bgi_tmp,
            checker,
            ..
        } = *self;
        let mut file = bgen
            .into_inner()
            .map_err(|e| WriteError::io(&path, e.into_error()))?;
        let count = u32::try_from(checker.variants()).expect("checked on each block");
        file.seek(SeekFrom::Start(VARIANT_COUNT_OFFSET))
            .and_then(|_| file.write_all(&count.to_le_bytes()))
            .and_then(|()| file.flush())
            .map_err(|e| WriteError::io(&path, e))?;
        drop(file);
        // write_bgi writes its own temporary file and renames it over `bgi_tmp`, which the
        // output set then moves into place with the others (or deletes). The index's
        // Metadata row names the temporary .bgen; readers (ours, bgenix) check the size
        // and first bytes, which are final, not the name.
        write_bgi(&bgen_tmp, &bgi_tmp).map_err(|e| WriteError::Index {
            path: bgi_path.clone(),
            message: e.to_string(),
        })?;
        make_shareable(&bgi_tmp).map_err(|e| WriteError::io(&bgi_path, e))?;
        outputs.commit().map_err(|e| WriteError::io(&path, e))
    }
}

/// `cohort.bgen` -> `cohort.sample`; other names get `.sample` appended.
fn sample_file_path(path: &Path) -> PathBuf {
    match path.extension() {
        Some(ext) if ext.eq_ignore_ascii_case("bgen") => path.with_extension("sample"),
        _ => with_extension_appended(path, "sample"),
    }
}

/// The header block (no free data) and the sample identifier block, with the variant
/// count left at 0 until the end.
fn header_bytes(
    path: &Path,
    sample_ids: &[String],
    compression: BgenCompression,
) -> Result<Vec<u8>, WriteError> {
    let mut ids_len: u64 = 8;
    for id in sample_ids {
        if id.len() > usize::from(u16::MAX) {
            return Err(WriteError::invalid(
                path,
                format!(
                    "sample id of {} bytes is longer than BGEN allows (65535)",
                    id.len()
                ),
            ));
        }
        ids_len += 2 + id.len() as u64;
    }
    let first_variant = u32::try_from(u64::from(HEADER_BLOCK_LEN) + ids_len)
        .map_err(|_| WriteError::invalid(path, "sample identifiers take more than 4 GiB"))?;
    let mut h = Vec::with_capacity(4 + first_variant as usize);
    h.extend_from_slice(&first_variant.to_le_bytes());
    h.extend_from_slice(&HEADER_BLOCK_LEN.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes());
    h.extend_from_slice(&(sample_ids.len() as u32).to_le_bytes());
    h.extend_from_slice(b"bgen");
    let flags = compression.flag() | LAYOUT_2 | FLAG_SAMPLE_IDS;
    h.extend_from_slice(&flags.to_le_bytes());
    h.extend_from_slice(&(ids_len as u32).to_le_bytes());
    h.extend_from_slice(&(sample_ids.len() as u32).to_le_bytes());
    for id in sample_ids {
        h.extend_from_slice(&(id.len() as u16).to_le_bytes());
        h.extend_from_slice(id.as_bytes());
    }
    debug_assert_eq!(h.len(), 4 + first_variant as usize);
    Ok(h)
}

/// An Oxford `.sample` file: the column-name row, the column-type row (`0` for the IDs and
/// the missing rate, `D` for the discrete sex), then `ID ID 0 SEX` per sample with sex `1`
/// male, `2` female or `NA`.
fn write_sample_file(
    w: &mut dyn Write,
    sample_ids: &[String],
    sexes: Option<&[Sex]>,
) -> std::io::Result<()> {
    w.write_all(b"ID_1 ID_2 missing sex\n0 0 0 D\n")?;
    for (i, id) in sample_ids.iter().enumerate() {
        let sex = match sexes.map(|s| s[i]) {
            Some(Sex::Male) => "1",
            Some(Sex::Female) => "2",
            _ => "NA",
        };
        writeln!(w, "{id} {id} 0 {sex}")?;
    }
    Ok(())
}

/// A compressor and buffers for one thread.
struct Encoder {
    compression: BgenCompression,
    zstd: Option<zstd::bulk::Compressor<'static>>,
    zlib: Option<libdeflater::Compressor>,
    raw: Vec<u8>,
    packed: Vec<u8>,
}

impl Encoder {
    fn new(compression: BgenCompression) -> Encoder {
        Encoder {
            compression,
            zstd: None,
            zlib: None,
            raw: Vec::new(),
            packed: Vec::new(),
        }
    }

    /// One whole variant block: identifying data, then the compressed genotype data block
    /// with its total length `C` and uncompressed length `D`.
    fn record(&mut self, v: &VariantInfo, n_samples: u32, haps: &[u8]) -> Result<Vec<u8>, String> {
        let label = || format!("variant {}", v.positional_id());
        let pos = u32::try_from(v.pos)
            .map_err(|_| format!("{}: position does not fit BGEN's 32 bits", label()))?;
        self.genotype_data(n_samples, haps);
        self.compress().map_err(|e| format!("{}: {e}", label()))?;

        let varid = v.positional_id();
        let mut out = Vec::with_capacity(64 + varid.len() + self.packed.len());
        for (what, text) in [
            ("variant id", varid.as_str()),
            ("rsid", v.id_or_dot()),
            ("chromosome", v.chrom.as_str()),
        ] {
            let len = u16::try_from(text.len())
                .map_err(|_| format!("{}: {what} longer than 65535 bytes", label()))?;
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(text.as_bytes());
        }
        out.extend_from_slice(&pos.to_le_bytes());
        out.extend_from_slice(&N_ALLELES.to_le_bytes());
        for allele in [&v.ref_allele, &v.alt_allele] {
            let len = u32::try_from(allele.len())
                .map_err(|_| format!("{}: allele longer than 4 GiB", label()))?;
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(allele.as_bytes());
        }
        let total = u32::try_from(4 + self.packed.len())
            .map_err(|_| format!("{}: genotype block over 4 GiB", label()))?;
        out.extend_from_slice(&total.to_le_bytes());
        out.extend_from_slice(&(self.raw.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.packed);
        Ok(out)
    }

    /// The uncompressed genotype data block into `raw`.
    fn genotype_data(&mut self, n_samples: u32, haps: &[u8]) {
        let n = n_samples as usize;
        let raw = &mut self.raw;
        raw.clear();
        raw.reserve(BLOCK_PREAMBLE + n + 2 + haps.len());
        raw.extend_from_slice(&n_samples.to_le_bytes());
        raw.extend_from_slice(&N_ALLELES.to_le_bytes());
        raw.extend_from_slice(&[PLOIDY, PLOIDY]);
        raw.resize(BLOCK_PREAMBLE + n, PLOIDY);
        raw.extend_from_slice(&[PHASED, BITS]);
        // P(REF) × 255 per haplotype: code 0 (REF) gives 255, code 1 (ALT) gives 0.
        raw.extend(haps.iter().map(|&h| h.wrapping_sub(1)));
    }

    fn compress(&mut self) -> Result<(), String> {
        match self.compression {
            BgenCompression::Zstd { level } => {
                if self.zstd.is_none() {
                    self.zstd = Some(
                        zstd::bulk::Compressor::new(level)
                            .map_err(|e| format!("cannot start zstd: {e}"))?,
                    );
                }
                let zstd = self.zstd.as_mut().expect("set above");
                self.packed.clear();
                self.packed
                    .reserve(zstd::zstd_safe::compress_bound(self.raw.len()));
                zstd.compress_to_buffer(&self.raw, &mut self.packed)
                    .map_err(|e| format!("zstd failed: {e}"))?;
            }
            BgenCompression::Zlib { level } => {
                let zlib = self.zlib.get_or_insert_with(|| {
                    libdeflater::Compressor::new(
                        libdeflater::CompressionLvl::new(level).expect("level checked on create"),
                    )
                });
                let bound = zlib.zlib_compress_bound(self.raw.len());
                self.packed.resize(bound, 0);
                let n = zlib
                    .zlib_compress(&self.raw, &mut self.packed)
                    .map_err(|e| format!("zlib failed: {e}"))?;
                self.packed.truncate(n);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genome::Chrom;
    use crate::io::bgen::{read_sample_file, BgenFile, BgenSource, RawVariant};
    use crate::io::write::tests::{flatten, random_blocks, sample_ids, write_through};
    use crate::io::{Dosages, GenotypeSource, OpenOptions, SiteFilter};

    fn write(
        path: &Path,
        ids: &[String],
        sexes: Option<&[Sex]>,
        compression: BgenCompression,
        blocks: &[HaplotypeBlock],
    ) -> Vec<PathBuf> {
        let options = BgenWriterOptions { compression };
        write_through(
            Box::new(BgenWriter::create(path, ids, sexes, &options).unwrap()),
            blocks,
        )
    }

    /// Decompresses a raw genotype data block (after `C`) as the spec lays it out.
    fn inflate(data: &[u8], compression: BgenCompression) -> Vec<u8> {
        let d = u32::from_le_bytes(data[..4].try_into().unwrap()) as usize;
        let raw = match compression {
            BgenCompression::Zstd { .. } => zstd::bulk::decompress(&data[4..], d).unwrap(),
            BgenCompression::Zlib { .. } => {
                let mut out = vec![0u8; d];
                let n = libdeflater::Decompressor::new()
                    .zlib_decompress(&data[4..], &mut out)
                    .unwrap();
                out.truncate(n);
                out
            }
        };
        assert_eq!(raw.len(), d);
        raw
    }

    #[test]
    fn round_trip_with_phasing_ids_and_sample_file() {
        for compression in [
            BgenCompression::default(),
            BgenCompression::Zlib { level: 6 },
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("cohort.bgen");
            let n = 23;
            let ids = sample_ids(n);
            let sexes: Vec<Sex> = (0..n)
                .map(|i| [Sex::Male, Sex::Female, Sex::Unknown][i % 3])
                .collect();
            let blocks = random_blocks(21, n, &["1", "2", "22"], 120, 50);
            let written = write(&path, &ids, Some(&sexes), compression, &blocks);
            let sample_path = dir.path().join("cohort.sample");
            assert_eq!(
                written,
                vec![
                    sample_path.clone(),
                    path.clone(),
                    dir.path().join("cohort.bgen.bgi")
                ]
            );
            let all = flatten(&blocks);

            let sample_text = std::fs::read_to_string(&sample_path).unwrap();
            let mut lines = sample_text.lines();
            assert_eq!(lines.next(), Some("ID_1 ID_2 missing sex"));
            assert_eq!(lines.next(), Some("0 0 0 D"));
            assert_eq!(lines.next(), Some("S00001 S00001 0 1"));
            assert_eq!(lines.next(), Some("S00002 S00002 0 2"));
            assert_eq!(lines.next(), Some("S00003 S00003 0 NA"));
            assert_eq!(read_sample_file(&sample_path).unwrap(), ids);

            // Raw layout: header, phased 8-bit probabilities per haplotype.
            let mut file = BgenFile::open(&path).unwrap();
            assert_eq!(file.header.n_variants as usize, all.len());
            assert_eq!(file.header.n_samples as usize, n);
            assert!(file.header.has_sample_ids);
            assert_eq!(file.read_sample_block().unwrap(), ids);
            file.rewind().unwrap();
            let mut rec = RawVariant::default();
            for (v, haps) in &all {
                file.begin_variant(None);
                let block = file.read_variant(&mut rec).unwrap();
                assert_eq!(rec.varid, v.positional_id());
                assert_eq!(rec.rsid, v.id_or_dot());
                assert_eq!(rec.chrom, v.chrom.as_str());
                assert_eq!(u64::from(rec.pos), v.pos);
                assert_eq!(rec.alleles, [v.ref_allele.clone(), v.alt_allele.clone()]);
                let raw = inflate(&file.read_block(block).unwrap(), compression);
                assert_eq!(raw.len(), 10 + 3 * n);
                assert_eq!(&raw[..8], &[n as u8, 0, 0, 0, 2, 0, 2, 2]);
                assert!(raw[8..8 + n].iter().all(|&p| p == 2));
                assert_eq!(&raw[8 + n..10 + n], &[1, 8], "phased, 8 bits");
                for (h, &p) in haps.iter().zip(&raw[10 + n..]) {
                    assert_eq!(p, if *h == 0 { 255 } else { 0 });
                }
                file.seek_to(block.start + block.len).unwrap();
            }
            assert_eq!(file.position(), file.len());

            // Our reader: dosages are haplotype sums; sample ids from the file itself.
            let mut src = BgenSource::open(&path, &OpenOptions::default()).unwrap();
            assert_eq!(src.sample_ids(), ids.as_slice());
            let mut d = Dosages::new();
            let mut k = 0;
            while let Some(site) = src.next_site(&SiteFilter::all()).unwrap() {
                let (v, haps) = &all[k];
                assert_eq!((&site.chrom, site.pos), (&v.chrom, v.pos));
                let want_id = if v.id.is_empty() {
                    v.positional_id()
                } else {
                    v.id.clone()
                };
                assert_eq!(site.id, want_id);
                src.payload().unwrap().decode(&mut d).unwrap();
                for s in 0..n {
                    assert_eq!(d.get(1, s), f64::from(haps[2 * s] + haps[2 * s + 1]));
                }
                k += 1;
            }
            assert_eq!(k, all.len());
        }
    }

    #[test]
    fn bgi_index_finds_positions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("idx.bgen");
        let n = 9;
        let blocks = random_blocks(4, n, &["1", "2"], 300, 70);
        write(
            &path,
            &sample_ids(n),
            None,
            BgenCompression::default(),
            &blocks,
        );
        let all = flatten(&blocks);
        let sample_text = std::fs::read_to_string(dir.path().join("idx.sample")).unwrap();
        assert!(sample_text.lines().nth(2).unwrap().ends_with(" 0 NA"));

        let wanted: Vec<(Chrom, u64)> = all
            .iter()
            .step_by(37)
            .map(|(v, _)| (v.chrom.clone(), v.pos))
            .collect();
        let filter = SiteFilter::all().with_positions(wanted.clone());
        let mut src = BgenSource::open(&path, &OpenOptions::default()).unwrap();
        let mut got = Vec::new();
        let mut d = Dosages::new();
        while let Some(site) = src.next_site(&filter).unwrap() {
            src.payload().unwrap().decode(&mut d).unwrap();
            got.push((
                site.chrom.clone(),
                site.pos,
                d.allele(1).iter().sum::<f64>(),
            ));
        }
        let want: Vec<(Chrom, u64, f64)> = all
            .iter()
            .step_by(37)
            .map(|(v, h)| {
                (
                    v.chrom.clone(),
                    v.pos,
                    h.iter().map(|&x| f64::from(x)).sum(),
                )
            })
            .collect();
        assert_eq!(got, want);

        // The index is the one the reader used: it lists every variant at its offset.
        let conn = rusqlite::Connection::open(dir.path().join("idx.bgen.bgi")).unwrap();
        let rows: i64 = conn
            .query_row("SELECT COUNT(*) FROM Variant", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows as usize, all.len());
        let size: i64 = conn
            .query_row("SELECT file_size FROM Metadata", [], |r| r.get(0))
            .unwrap();
        assert_eq!(size as u64, std::fs::metadata(&path).unwrap().len());
    }

    #[test]
    fn dropped_writer_and_bad_input_leave_no_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gone.bgen");
        let ids = sample_ids(3);
        let blocks = random_blocks(1, 3, &["1"], 10, 5);
        {
            let mut w =
                BgenWriter::create(&path, &ids, None, &BgenWriterOptions::default()).unwrap();
            w.write_block(&blocks[0]).unwrap();
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

        let err = BgenWriter::create(&path, &ids, Some(&[Sex::Male]), &Default::default())
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("1 sexes given for 3 samples"), "{err}");
        let options = BgenWriterOptions {
            compression: BgenCompression::Zstd { level: 99 },
        };
        let err = BgenWriter::create(&path, &ids, None, &options)
            .err()
            .unwrap();
        assert!(err.to_string().contains("out of range"), "{err}");

        let mut w = BgenWriter::create(&path, &ids, None, &Default::default()).unwrap();
        let mut far = blocks[0].clone();
        far.variants[4].pos = 1 << 33;
        let err = w.write_block(&far).unwrap_err().to_string();
        assert!(
            err.contains("gone.bgen") && err.contains("32 bits"),
            "{err}"
        );
        drop(w);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn plink2_reads_the_bgen() {
        let have = std::process::Command::new("plink2")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !have {
            eprintln!("plink2 not on PATH; skipping the cross-check");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.bgen");
        let n = 40;
        let blocks = random_blocks(17, n, &["1", "3"], 60, 25);
        write(
            &path,
            &sample_ids(n),
            None,
            BgenCompression::default(),
            &blocks,
        );
        let out = dir.path().join("freq");
        let status = std::process::Command::new("plink2")
            .args(["--bgen"])
            .arg(&path)
            .args(["ref-first", "--sample"])
            .arg(dir.path().join("p.sample"))
            .args(["--freq", "counts", "--threads", "1", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stdout)
        );
        let counts = std::fs::read_to_string(dir.path().join("freq.acount")).unwrap();
        let got: Vec<u64> = counts
            .lines()
            .skip(1)
            .map(|l| l.split('\t').nth(4).unwrap().parse().unwrap())
            .collect();
        let want: Vec<u64> = flatten(&blocks)
            .iter()
            .map(|(_, h)| h.iter().map(|&x| u64::from(x)).sum())
            .collect();
        assert_eq!(got, want);
    }
}
