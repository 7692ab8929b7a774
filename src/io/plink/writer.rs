//! PLINK 1 binary fileset output of biallelic genotypes: `.bed`, `.bim`, `.fam`.
//!
//! The `.bed` is SNP-major (mode byte `0x01`), `ceil(N/4)` bytes per variant, four samples
//! per byte from the lowest bit pair, each 2-bit code counting copies of the `.bim` A1
//! allele (`00` two, `10` one, `11` none; `01`, missing, never occurs); padding bits of the
//! last byte are zero, as plink writes them
//! (<https://www.cog-genomics.org/plink/1.9/formats#bed>). A1 is the ALT allele and A2 the
//! REF, the convention the reader in this module and plink2 use, so the A1 count is the
//! sum of a sample's two haplotype codes. Phase is not representable and is dropped.
//!
//! The `.fam` has FID = IID = the sample ID (which our reader and plink2's VCF export map
//! back to the same ID), no parents, the given sex (`0` unknown) and phenotype `-9`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{Sex, BED_MAGIC, SAMPLES_PER_BYTE, SNP_MAJOR};
use crate::io::write::{
    check_sample_ids, check_sexes, create_output, write_whole_output, BlockChecker, GenotypeWriter,
    HaplotypeBlock, WriteError,
};
use crate::util::{with_suffix, OutputSet};

const WRITE_BUFFER_BYTES: usize = 1 << 20;

/// Writes `PREFIX.bed`, `PREFIX.bim` and `PREFIX.fam`.
pub struct PlinkWriter {
    bed_path: PathBuf,
    bim_path: PathBuf,
    outputs: OutputSet,
    bed: BufWriter<File>,
    bim: BufWriter<File>,
    checker: BlockChecker,
    bytes_per_variant: usize,
}

impl PlinkWriter {
    /// Starts the fileset `prefix.bed/.bim/.fam` (plink's `--out` naming). `sexes`, when
    /// given, fills the `.fam` sex column; otherwise every sex is `0` (unknown).
    pub fn create(
        prefix: &Path,
        sample_ids: &[String],
        sexes: Option<&[Sex]>,
    ) -> Result<PlinkWriter, WriteError> {
        let bed_path = with_suffix(prefix, ".bed");
        let bim_path = with_suffix(prefix, ".bim");
        let fam_path = with_suffix(prefix, ".fam");
        check_sample_ids(&fam_path, sample_ids)?;
        check_sexes(&fam_path, sample_ids, sexes)?;
        let mut outputs = OutputSet::new();
        let (bed, _) = create_output(&mut outputs, &bed_path)?;
        let (bim, _) = create_output(&mut outputs, &bim_path)?;
        write_whole_output(&mut outputs, &fam_path, |w| write_fam(w, sample_ids, sexes))?;
        let mut bed = BufWriter::with_capacity(WRITE_BUFFER_BYTES, bed);
        bed.write_all(&BED_MAGIC)
            .and_then(|()| bed.write_all(&[SNP_MAJOR]))
            .map_err(|e| WriteError::io(&bed_path, e))?;
        Ok(PlinkWriter {
            bed_path,
            bim_path,
            outputs,
            bed,
            bim: BufWriter::with_capacity(WRITE_BUFFER_BYTES, bim),
            checker: BlockChecker::new(sample_ids.len()),
            bytes_per_variant: sample_ids.len().div_ceil(SAMPLES_PER_BYTE),
        })
    }
}

impl GenotypeWriter for PlinkWriter {
    fn write_block(&mut self, block: &HaplotypeBlock) -> Result<(), WriteError> {
        self.checker.check(&self.bed_path, block)?;
        let mut bim = String::with_capacity(block.variants.len() * 40);
        for v in &block.variants {
            // CHR ID cM POS A1(ALT) A2(REF)
            bim.push_str(v.chrom.as_str());
            bim.push('\t');
            bim.push_str(v.id_or_dot());
            bim.push_str("\t0\t");
            bim.push_str(&v.pos.to_string());
            bim.push('\t');
            bim.push_str(&v.alt_allele);
            bim.push('\t');
            bim.push_str(&v.ref_allele);
            bim.push('\n');
        }
        let mut bed = vec![0u8; block.variants.len() * self.bytes_per_variant];
        if !bed.is_empty() {
            bed.par_chunks_mut(self.bytes_per_variant)
                .zip(block.haplotypes.par_chunks(2 * block.n_samples))
                .for_each(|(out, haps)| pack_variant(haps, out));
        }
        self.bed
            .write_all(&bed)
            .map_err(|e| WriteError::io(&self.bed_path, e))?;
        self.bim
            .write_all(bim.as_bytes())
            .map_err(|e| WriteError::io(&self.bim_path, e))?;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<Vec<PathBuf>, WriteError> {
        let PlinkWriter {
            bed_path,
            bim_path,
            outputs,
            bed,
            bim,
            ..
        } = *self;
        bed.into_inner()
            .map_err(|e| WriteError::io(&bed_path, e.into_error()))?;
        bim.into_inner()
            .map_err(|e| WriteError::io(&bim_path, e.into_error()))?;
        outputs.commit().map_err(|e| WriteError::io(&bed_path, e))
    }
}

/// The `.bed` code of a sample carrying `alt` copies of A1 (0, 1 or 2): `11`, `10`, `00`.
#[inline]
fn code(alt: u8) -> u8 {
    3 - alt - (alt >> 1)
}

/// Packs one variant's haplotype codes (two per sample) into `.bed` bytes.
fn pack_variant(haps: &[u8], out: &mut [u8]) {
    let per_byte = 2 * SAMPLES_PER_BYTE;
    let mut chunks = haps.chunks_exact(per_byte);
    for (byte, h) in out.iter_mut().zip(&mut chunks) {
        *byte = code(h[0] + h[1])
            | code(h[2] + h[3]) << 2
            | code(h[4] + h[5]) << 4
            | code(h[6] + h[7]) << 6;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let last = out.last_mut().expect("a partial byte has a slot");
        *last = rest
            .chunks_exact(2)
            .enumerate()
            .fold(0, |b, (k, h)| b | code(h[0] + h[1]) << (2 * k));
    }
}

/// `FID IID PAT MAT SEX PHENO` per sample.
fn write_fam(
    w: &mut dyn Write,
    sample_ids: &[String],
    sexes: Option<&[Sex]>,
) -> std::io::Result<()> {
    for (i, id) in sample_ids.iter().enumerate() {
        let sex = match sexes.map(|s| s[i]) {
            Some(Sex::Male) => '1',
            Some(Sex::Female) => '2',
            _ => '0',
        };
        writeln!(w, "{id}\t{id}\t0\t0\t{sex}\t-9")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::plink::PlinkSource;
    use crate::io::write::tests::{flatten, random_blocks, sample_ids, write_through};
    use crate::io::{Dosages, GenotypeSource, OpenOptions, SiteFilter};

    fn write(
        prefix: &Path,
        ids: &[String],
        sexes: Option<&[Sex]>,
        blocks: &[HaplotypeBlock],
    ) -> Vec<PathBuf> {
        write_through(
            Box::new(PlinkWriter::create(prefix, ids, sexes).unwrap()),
            blocks,
        )
    }

    #[test]
    fn packing_follows_the_bed_bit_order() {
        // Samples: hom REF, het (both phases), hom ALT, then a fifth (hom ALT) in a
        // partial byte.
        let haps = [0, 0, 0, 1, 1, 0, 1, 1, 1, 1];
        let mut out = [0u8; 2];
        pack_variant(&haps, &mut out);
        assert_eq!(out, [0b00_10_10_11, 0b00]);
        let mut out = [0xffu8; 1];
        pack_variant(&[0, 1], &mut out);
        assert_eq!(out, [0b10], "padding bits are zero");
    }

    #[test]
    fn round_trip_through_our_reader() {
        for n in [1usize, 4, 13] {
            let dir = tempfile::tempdir().unwrap();
            let prefix = dir.path().join("cohort.v1");
            let ids = sample_ids(n);
            let sexes: Vec<Sex> = (0..n)
                .map(|i| [Sex::Female, Sex::Male, Sex::Unknown][i % 3])
                .collect();
            let blocks = random_blocks(31 + n as u64, n, &["1", "2", "22"], 40, 17);
            let written = write(&prefix, &ids, Some(&sexes), &blocks);
            let bed = dir.path().join("cohort.v1.bed");
            assert_eq!(
                written,
                vec![
                    bed.clone(),
                    dir.path().join("cohort.v1.bim"),
                    dir.path().join("cohort.v1.fam")
                ]
            );
            let mut src = PlinkSource::open(&bed, &OpenOptions::default()).unwrap();
            assert_eq!(src.sample_ids(), ids.as_slice());
            assert_eq!(src.fids(), ids.as_slice());
            assert_eq!(src.sexes(), sexes.as_slice());
            let all = flatten(&blocks);
            assert_eq!(src.variant_count() as usize, all.len());
            let mut d = Dosages::new();
            let mut k = 0;
            while let Some(site) = src.next_site(&SiteFilter::all()).unwrap() {
                let (v, haps) = &all[k];
                assert_eq!((&site.chrom, site.pos), (&v.chrom, v.pos));
                assert_eq!(site.id, v.id_or_dot());
                assert_eq!(site.ref_allele, v.ref_allele);
                assert_eq!(site.alt_alleles, vec![v.alt_allele.clone()]);
                src.payload().unwrap().decode(&mut d).unwrap();
                for s in 0..n {
                    let alt = f64::from(haps[2 * s] + haps[2 * s + 1]);
                    assert_eq!((d.get(0, s), d.get(1, s)), (2.0 - alt, alt));
                }
                k += 1;
            }
            assert_eq!(k, all.len());
        }
    }

    #[test]
    fn unknown_sex_is_zero_and_dropped_writer_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("f");
        let blocks = random_blocks(2, 3, &["1"], 5, 5);
        write(&prefix, &sample_ids(3), None, &blocks);
        let fam = std::fs::read_to_string(dir.path().join("f.fam")).unwrap();
        assert_eq!(fam.lines().next(), Some("S00001\tS00001\t0\t0\t0\t-9"));

        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("g");
        {
            let mut w = PlinkWriter::create(&prefix, &sample_ids(3), None).unwrap();
            w.write_block(&blocks[0]).unwrap();
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let err = PlinkWriter::create(&prefix, &["a b".to_string()], None)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("g.fam") && err.contains("'a b'"), "{err}");
    }

    #[test]
    fn plink2_counts_match() {
        let have = std::process::Command::new("plink2")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !have {
            eprintln!("plink2 not on PATH; skipping the cross-check");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("p");
        let n = 41;
        let blocks = random_blocks(13, n, &["1", "5"], 80, 33);
        write(&prefix, &sample_ids(n), None, &blocks);
        let out = std::process::Command::new("plink2")
            .arg("--bfile")
            .arg(&prefix)
            .args(["--freq", "counts", "--threads", "1", "--out"])
            .arg(dir.path().join("freq"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let counts = std::fs::read_to_string(dir.path().join("freq.acount")).unwrap();
        let all = flatten(&blocks);
        let rows: Vec<Vec<String>> = counts
            .lines()
            .skip(1)
            .map(|l| l.split('\t').map(String::from).collect())
            .collect();
        assert_eq!(rows.len(), all.len());
        for (row, (v, h)) in rows.iter().zip(&all) {
            // #CHROM ID REF ALT [PROVISIONAL_REF?] ALT_CTS OBS_CT
            assert_eq!(row[2], v.ref_allele);
            assert_eq!(row[3], v.alt_allele);
            let alt: u64 = h.iter().map(|&x| u64::from(x)).sum();
            assert_eq!(row[row.len() - 2], alt.to_string());
            assert_eq!(row[row.len() - 1], (2 * n).to_string());
        }
    }
}
