//! Genotype writers behind one trait, for the synthetic biobank.
//!
//! `simulate` produces phased biallelic haplotypes a block of variants at a time and hands
//! each block to one or more [`GenotypeWriter`]s: bgzipped VCF with a tabix index
//! ([`VcfWriter`](super::vcf::VcfWriter)), BGEN v1.2 with a bgenix index and an Oxford
//! `.sample` file ([`BgenWriter`](super::bgen::BgenWriter)), and a PLINK 1 fileset
//! ([`PlinkWriter`](super::plink::PlinkWriter)). Every writer writes its files under
//! temporary names and renames them into place in [`finish`](GenotypeWriter::finish), so a
//! run that fails or is dropped half way leaves no partial files behind.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::genome::{Chrom, Position};
use crate::io::plink::Sex;
use crate::util::OutputSet;

/// Where a variant is and which two alleles it has. Allele 0 is the reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariantInfo {
    /// Chromosome, normalised.
    pub chrom: Chrom,
    /// 1-based position of the reference allele's first base.
    pub pos: Position,
    /// Variant ID (an rsid or any name); empty for none, written as `.`.
    pub id: String,
    /// Reference allele (allele 0), written as VCF `REF`, BGEN's first allele and `.bim` A2.
    pub ref_allele: String,
    /// The one alternate allele (allele 1), written as VCF `ALT`, BGEN's second allele and
    /// `.bim` A1.
    pub alt_allele: String,
}

impl VariantInfo {
    /// `CHR:POS:REF:ALT`, the ID plink2 `--set-all-var-ids @:#:$r:$a` gives.
    pub fn positional_id(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.chrom, self.pos, self.ref_allele, self.alt_allele
        )
    }

    /// The ID as written in a file: `.` when there is none.
    pub(crate) fn id_or_dot(&self) -> &str {
        if self.id.is_empty() {
            "."
        } else {
            &self.id
        }
    }
}

/// Code of a haplotype that carries the reference allele.
pub const REF_HAPLOTYPE: u8 = 0;
/// Code of a haplotype that carries the alternate allele.
pub const ALT_HAPLOTYPE: u8 = 1;

/// A block of phased biallelic variants.
///
/// `haplotypes` is variant-major: variant `v` owns the `2 * n_samples` bytes from
/// `v * 2 * n_samples`, sample-major inside (`s0h0, s0h1, s1h0, ...`), each
/// [`REF_HAPLOTYPE`] (0) or [`ALT_HAPLOTYPE`] (1). Keeping a sample's two haplotypes next to
/// each other is the order every output format stores them in.
#[derive(Clone, Debug, Default)]
pub struct HaplotypeBlock {
    /// The block's variants, sorted by chromosome then position.
    pub variants: Vec<VariantInfo>,
    /// Number of samples; every variant has `2 * n_samples` haplotype bytes.
    pub n_samples: usize,
    /// Haplotype alleles, variant-major then sample-major (see the type's docs), each 0 or 1.
    pub haplotypes: Vec<u8>,
}

impl HaplotypeBlock {
    /// The `2 * n_samples` haplotype alleles of variant `v`.
    pub fn variant_haplotypes(&self, v: usize) -> &[u8] {
        let width = 2 * self.n_samples;
        &self.haplotypes[v * width..(v + 1) * width]
    }
}

/// A genotype file (or fileset) being written.
pub trait GenotypeWriter: Send {
    /// Appends a block of variants. Variants must arrive sorted by chromosome, then
    /// position, across all blocks.
    fn write_block(&mut self, block: &HaplotypeBlock) -> Result<(), WriteError>;

    /// Completes the files (trailers, indexes) and moves them into place, returning their
    /// paths. Dropping a writer without finishing it deletes everything it wrote.
    fn finish(self: Box<Self>) -> Result<Vec<PathBuf>, WriteError>;
}

/// Writes every block to several writers, e.g. VCF, BGEN and PLINK of one cohort.
///
/// Each writer already spreads its work over rayon's threads, so they are called one after
/// the other.
#[derive(Default)]
pub struct WriterSet {
    writers: Vec<Box<dyn GenotypeWriter>>,
}

impl WriterSet {
    /// A set writing to `writers`, in order.
    pub fn new(writers: Vec<Box<dyn GenotypeWriter>>) -> WriterSet {
        WriterSet { writers }
    }

    /// Adds one more writer; it receives every block written after this call.
    pub fn push(&mut self, writer: Box<dyn GenotypeWriter>) {
        self.writers.push(writer);
    }
}

impl GenotypeWriter for WriterSet {
    fn write_block(&mut self, block: &HaplotypeBlock) -> Result<(), WriteError> {
        self.writers
            .iter_mut()
            .try_for_each(|w| w.write_block(block))
    }

    /// Finishes the writers in order. When one fails, the ones after it are dropped (their
    /// files never appear); the ones before it have already put theirs in place.
    fn finish(self: Box<Self>) -> Result<Vec<PathBuf>, WriteError> {
        let mut paths = Vec::new();
        for w in self.writers {
            paths.extend(w.finish()?);
        }
        Ok(paths)
    }
}

/// Everything that can go wrong while writing genotypes. Each error names the file it is
/// about.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] crate::util::PathIoError),
    /// The caller's samples or variants cannot be written to this file.
    #[error("{path}: {message}")]
    Invalid {
        /// File being written.
        path: PathBuf,
        /// What about the input the format cannot hold.
        message: String,
    },
    /// The index beside the file could not be built.
    #[error("{path}: cannot build the index: {message}")]
    Index {
        /// Genotype file the index was being built for.
        path: PathBuf,
        /// Why indexing failed.
        message: String,
    },
}

impl WriteError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> WriteError {
        WriteError::Io(crate::util::PathIoError {
            path: path.to_path_buf(),
            source,
        })
    }

    pub(crate) fn invalid(path: &Path, message: impl Into<String>) -> WriteError {
        WriteError::Invalid {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}

/// Creates `dest`'s temporary file in `outputs` and returns a handle for writing it, with
/// the temporary path. The handle shares the file offset with the one `outputs` keeps, which
/// syncs and renames the file on commit or deletes it when dropped.
pub(crate) fn create_output(
    outputs: &mut OutputSet,
    dest: &Path,
) -> Result<(File, PathBuf), WriteError> {
    let tmp = outputs.create(dest).map_err(|e| WriteError::io(dest, e))?;
    let file = tmp
        .as_file()
        .try_clone()
        .map_err(|e| WriteError::io(dest, e))?;
    let tmp_path = tmp.path().to_path_buf();
    make_shareable(&tmp_path).map_err(|e| WriteError::io(dest, e))?;
    Ok((file, tmp_path))
}

/// Writes a small file (`.fam`, `.sample`) whole into `outputs`.
pub(crate) fn write_whole_output(
    outputs: &mut OutputSet,
    dest: &Path,
    f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), WriteError> {
    let (file, _) = create_output(outputs, dest)?;
    let mut w = BufWriter::new(file);
    f(&mut w)
        .and_then(|()| w.flush())
        .map_err(|e| WriteError::io(dest, e))
}

/// Temporary files are created readable by their owner only; a genotype file is data to
/// share, so it gets the mode of an ordinary file under the usual umask (`rw-r--r--`).
pub(crate) fn make_shareable(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Refuses sample IDs that a format cannot hold or a reader would refuse: empty, with
/// whitespace (VCF, `.fam` and `.sample` columns are whitespace-separated), or repeated.
pub(crate) fn check_sample_ids(path: &Path, ids: &[String]) -> Result<(), WriteError> {
    if ids.is_empty() {
        return Err(WriteError::invalid(
            path,
            "no samples: expected at least one sample id",
        ));
    }
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if id.is_empty() || id.bytes().any(|b| b.is_ascii_whitespace()) {
            return Err(WriteError::invalid(
                path,
                format!(
                    "sample {} id '{id}' is empty or holds whitespace; ids must be single words",
                    i + 1
                ),
            ));
        }
        if let Some(first) = seen.insert(id, i) {
            return Err(WriteError::invalid(
                path,
                format!(
                    "duplicate sample id '{id}' (samples {} and {})",
                    first + 1,
                    i + 1
                ),
            ));
        }
    }
    Ok(())
}

/// Refuses a sex list whose length is not the sample count.
pub(crate) fn check_sexes(
    path: &Path,
    sample_ids: &[String],
    sexes: Option<&[Sex]>,
) -> Result<(), WriteError> {
    match sexes {
        Some(s) if s.len() != sample_ids.len() => Err(WriteError::invalid(
            path,
            format!("{} sexes given for {} samples", s.len(), sample_ids.len()),
        )),
        _ => Ok(()),
    }
}

/// The checks every writer makes on each block: its shape, its haplotype codes, its
/// alleles and IDs, and that variants keep arriving in sorted order.
pub(crate) struct BlockChecker {
    n_samples: usize,
    last: Option<(Chrom, Position)>,
    /// Variants accepted so far, for numbering variants in messages.
    variants: u64,
}

impl BlockChecker {
    pub(crate) fn new(n_samples: usize) -> BlockChecker {
        BlockChecker {
            n_samples,
            last: None,
            variants: 0,
        }
    }

    /// Variants accepted so far.
    pub(crate) fn variants(&self) -> u64 {
        self.variants
    }

    pub(crate) fn check(&mut self, path: &Path, block: &HaplotypeBlock) -> Result<(), WriteError> {
        if block.n_samples != self.n_samples {
            return Err(WriteError::invalid(
                path,
                format!(
                    "block has {} samples but the file was opened with {}",
                    block.n_samples, self.n_samples
                ),
            ));
        }
        let expected = block.variants.len() * 2 * block.n_samples;
        if block.haplotypes.len() != expected {
            return Err(WriteError::invalid(
                path,
                format!(
                    "block holds {} haplotype alleles, expected {expected} ({} variants x 2 x {} samples)",
                    block.haplotypes.len(),
                    block.variants.len(),
                    block.n_samples
                ),
            ));
        }
        // One pass that the compiler vectorises; the position is only searched on failure.
        if block.haplotypes.iter().fold(0u8, |acc, &h| acc | h) > ALT_HAPLOTYPE {
            let at = block
                .haplotypes
                .iter()
                .position(|&h| h > ALT_HAPLOTYPE)
                .expect("a value above 1 exists");
            let width = 2 * block.n_samples;
            let (v, s) = (at / width, at % width / 2);
            return Err(WriteError::invalid(
                path,
                format!(
                    "variant {} ({}), sample {}: haplotype code {}, expected 0 (REF) or 1 (ALT)",
                    self.variants + v as u64 + 1,
                    block.variants[v].positional_id(),
                    s + 1,
                    block.haplotypes[at]
                ),
            ));
        }
        for (i, v) in block.variants.iter().enumerate() {
            let number = self.variants + i as u64 + 1;
            let bad = |message: String| {
                WriteError::invalid(
                    path,
                    format!("variant {number} ({}): {message}", v.positional_id()),
                )
            };
            for (what, allele) in [("REF", &v.ref_allele), ("ALT", &v.alt_allele)] {
                if allele.is_empty()
                    || allele
                        .bytes()
                        .any(|b| b.is_ascii_whitespace() || b == b',' || b.is_ascii_control())
                {
                    return Err(bad(format!(
                        "{what} allele '{allele}' is empty or holds whitespace or a comma"
                    )));
                }
            }
            if v.id.bytes().any(|b| b.is_ascii_whitespace()) {
                return Err(bad(format!("id '{}' holds whitespace", v.id)));
            }
            if v.pos == 0 {
                return Err(bad("position 0; positions are 1-based".into()));
            }
            if let Some((chrom, pos)) = &self.last {
                if (&v.chrom, v.pos) < (chrom, *pos) {
                    return Err(bad(format!(
                        "comes after {chrom}:{pos}; variants must arrive sorted by chromosome, then position"
                    )));
                }
            }
            match &mut self.last {
                Some((chrom, pos)) if *chrom == v.chrom => *pos = v.pos,
                last => *last = Some((v.chrom.clone(), v.pos)),
            }
        }
        self.variants += block.variants.len() as u64;
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Feeds `blocks` to a writer and finishes it (shared by the writers' tests).
    pub(crate) fn write_through(
        mut w: Box<dyn GenotypeWriter>,
        blocks: &[HaplotypeBlock],
    ) -> Vec<PathBuf> {
        for b in blocks {
            w.write_block(b).unwrap();
        }
        w.finish().unwrap()
    }

    /// Every variant of `blocks` with its haplotypes, in order.
    pub(crate) fn flatten(blocks: &[HaplotypeBlock]) -> Vec<(VariantInfo, Vec<u8>)> {
        blocks
            .iter()
            .flat_map(|b| {
                (0..b.variants.len())
                    .map(move |i| (b.variants[i].clone(), b.variant_haplotypes(i).to_vec()))
            })
            .collect()
    }

    /// A small deterministic generator (SplitMix64), so tests need no extra crate.
    pub(crate) struct SplitMix(u64);

    impl SplitMix {
        pub(crate) fn new(seed: u64) -> SplitMix {
            SplitMix(seed)
        }

        pub(crate) fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// Uniform in `[0, 1)`.
        pub(crate) fn next_f64(&mut self) -> f64 {
            (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    pub(crate) fn sample_ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("S{:05}", i + 1)).collect()
    }

    /// Random blocks over several chromosomes: `per_chrom` variants on each of `chroms`,
    /// positions increasing by random steps, allele frequencies spread over `(0, 1)` so
    /// that both rare and common variants occur. Returned as blocks of `block_len`
    /// variants, cut without regard to chromosome boundaries.
    pub(crate) fn random_blocks(
        seed: u64,
        n_samples: usize,
        chroms: &[&str],
        per_chrom: usize,
        block_len: usize,
    ) -> Vec<HaplotypeBlock> {
        const BASES: [&str; 4] = ["A", "C", "G", "T"];
        let mut rng = SplitMix::new(seed);
        let mut variants = Vec::new();
        let mut haps = Vec::new();
        for chrom in chroms {
            let mut pos = 0u64;
            for _ in 0..per_chrom {
                pos += 1 + rng.next_u64() % 40_000;
                let r = (rng.next_u64() % 4) as usize;
                let a = (r + 1 + (rng.next_u64() % 3) as usize) % 4;
                // Every tenth variant is an indel, to exercise longer alleles.
                let alt = if variants.len() % 10 == 3 {
                    format!("{}TTA", BASES[r])
                } else {
                    BASES[a].to_string()
                };
                let id = if variants.len() % 7 == 0 {
                    String::new()
                } else {
                    format!("rs{}", 1000 + variants.len())
                };
                variants.push(VariantInfo {
                    chrom: Chrom::parse(chrom),
                    pos,
                    id,
                    ref_allele: BASES[r].to_string(),
                    alt_allele: alt,
                });
                let freq = rng.next_f64();
                for _ in 0..2 * n_samples {
                    haps.push(u8::from(rng.next_f64() < freq));
                }
            }
        }
        let width = 2 * n_samples;
        variants
            .chunks(block_len)
            .enumerate()
            .map(|(b, chunk)| {
                let start = b * block_len * width;
                HaplotypeBlock {
                    variants: chunk.to_vec(),
                    n_samples,
                    haplotypes: haps[start..start + chunk.len() * width].to_vec(),
                }
            })
            .collect()
    }

    fn one_variant(chrom: &str, pos: Position, haps: Vec<u8>) -> HaplotypeBlock {
        HaplotypeBlock {
            variants: vec![VariantInfo {
                chrom: Chrom::parse(chrom),
                pos,
                id: "rs1".into(),
                ref_allele: "A".into(),
                alt_allele: "G".into(),
            }],
            n_samples: haps.len() / 2,
            haplotypes: haps,
        }
    }

    #[test]
    fn checker_refuses_bad_blocks_and_names_the_variant() {
        let path = Path::new("out.vcf.gz");
        let mut c = BlockChecker::new(2);
        c.check(path, &one_variant("2", 100, vec![0, 1, 1, 0]))
            .unwrap();
        let err = c
            .check(path, &one_variant("1", 500, vec![0, 0, 0, 0]))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("out.vcf.gz: variant 2 (1:500:A:G)"),
            "{err}"
        );
        assert!(err.contains("sorted"), "{err}");
        let err = c
            .check(path, &one_variant("2", 99, vec![0, 0, 0, 0]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("after 2:100"), "{err}");
        // Same position again is allowed (split multi-allelic sites).
        c.check(path, &one_variant("2", 100, vec![0, 0, 0, 0]))
            .unwrap();
        let err = c
            .check(path, &one_variant("2", 200, vec![0, 0, 2, 0]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("variant 3 (2:200:A:G), sample 2: haplotype code 2"),
            "{err}"
        );
        let err = c
            .check(path, &one_variant("2", 200, vec![0, 0, 0]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("1 samples but the file was opened with 2"),
            "{err}"
        );
        let mut bad = one_variant("3", 5, vec![0, 0, 0, 0]);
        bad.haplotypes.pop();
        let err = c.check(path, &bad).unwrap_err().to_string();
        assert!(
            err.contains("holds 3 haplotype alleles, expected 4"),
            "{err}"
        );
        let mut bad = one_variant("3", 5, vec![0, 0, 0, 0]);
        bad.variants[0].alt_allele = "G,T".into();
        let err = c.check(path, &bad).unwrap_err().to_string();
        assert!(err.contains("ALT allele 'G,T'"), "{err}");
        assert_eq!(c.variants(), 2);
    }

    /// One cohort through a [`WriterSet`] into all three formats: each reads back through
    /// [`crate::io::open`] with the same samples, sites and dosages, and every file is
    /// readable by others.
    #[test]
    fn writer_set_writes_three_formats_that_agree() {
        use crate::io::bgen::{BgenWriter, BgenWriterOptions};
        use crate::io::plink::PlinkWriter;
        use crate::io::vcf::{VcfWriter, VcfWriterOptions};
        use crate::io::{open, Dosages, OpenOptions, SiteFilter};

        let dir = tempfile::tempdir().unwrap();
        let n = 11;
        let ids = sample_ids(n);
        let sexes: Vec<Sex> = (0..n)
            .map(|i| if i % 2 == 0 { Sex::Male } else { Sex::Female })
            .collect();
        let vcf = dir.path().join("all.vcf.gz");
        let bgen = dir.path().join("all.bgen");
        let prefix = dir.path().join("all");
        let mut set = Box::new(WriterSet::default());
        set.push(Box::new(
            VcfWriter::create(&vcf, &ids, &VcfWriterOptions::default()).unwrap(),
        ));
        set.push(Box::new(
            BgenWriter::create(&bgen, &ids, Some(&sexes), &BgenWriterOptions::default()).unwrap(),
        ));
        set.push(Box::new(
            PlinkWriter::create(&prefix, &ids, Some(&sexes)).unwrap(),
        ));
        let blocks = random_blocks(77, n, &["3", "4"], 45, 20);
        for b in &blocks {
            set.write_block(b).unwrap();
        }
        let paths = set.finish().unwrap();
        assert_eq!(paths.len(), 2 + 3 + 3);
        #[cfg(unix)]
        for p in &paths {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o644, "{}", p.display());
        }

        let haps: Vec<&[u8]> = blocks
            .iter()
            .flat_map(|b| (0..b.variants.len()).map(move |i| b.variant_haplotypes(i)))
            .collect();
        for path in [vcf, bgen, prefix.with_extension("bed")] {
            let mut src = open(&path, &OpenOptions::default()).unwrap();
            assert_eq!(src.sample_ids(), ids.as_slice(), "{}", path.display());
            let mut d = Dosages::new();
            let mut k = 0;
            while let Some(_site) = src.next_site(&SiteFilter::all()).unwrap() {
                src.payload().unwrap().decode(&mut d).unwrap();
                let alt: Vec<f64> = haps[k].chunks(2).map(|h| f64::from(h[0] + h[1])).collect();
                assert_eq!(d.allele(1), alt.as_slice(), "{} site {k}", path.display());
                k += 1;
            }
            assert_eq!(k, haps.len(), "{}", path.display());
        }
    }

    #[test]
    fn sample_ids_must_be_words_and_unique() {
        let path = Path::new("x.bgen");
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        check_sample_ids(path, &ids(&["a", "b"])).unwrap();
        let err = check_sample_ids(path, &ids(&["a", "b c"])).unwrap_err();
        assert!(err.to_string().contains("sample 2 id 'b c'"), "{err}");
        let err = check_sample_ids(path, &ids(&["a", "b", "a"])).unwrap_err();
        assert!(err.to_string().contains("samples 1 and 3"), "{err}");
        assert!(check_sample_ids(path, &[]).is_err());
    }
}

/// Throughput of the three writers, for the numbers in the simulator's design. Run with
/// optimisations: `cargo test --release --lib io::write::bench -- --ignored --nocapture`.
/// `MEDGEM_BENCH_SAMPLES` / `MEDGEM_BENCH_VARIANTS` change the size (default 10,000 x
/// 5,000), `MEDGEM_BENCH_VCF_LEVEL` the VCF deflate level; `MEDGEM_BENCH_KEEP=DIR` keeps the files there for checks with other tools.
#[cfg(test)]
mod bench {
    use super::tests::SplitMix;
    use super::*;
    use crate::io::bgen::{BgenWriter, BgenWriterOptions};
    use crate::io::plink::PlinkWriter;
    use crate::io::vcf::{VcfWriter, VcfWriterOptions};
    use std::time::Instant;

    /// CPU seconds (user + system) this process has used, from `/proc/self/stat`, to tell
    /// the writers' cost apart from other load on a shared machine; 0 where unavailable.
    fn cpu_seconds() -> f64 {
        const TICKS_PER_SECOND: f64 = 100.0;
        std::fs::read_to_string("/proc/self/stat")
            .ok()
            .and_then(|stat| {
                // Fields after the parenthesised command name; utime and stime are the
                // 14th and 15th fields of the whole line.
                let rest = &stat[stat.rfind(')')? + 2..];
                let fields: Vec<&str> = rest.split(' ').collect();
                let utime: f64 = fields.get(11)?.parse().ok()?;
                let stime: f64 = fields.get(12)?.parse().ok()?;
                Some((utime + stime) / TICKS_PER_SECOND)
            })
            .unwrap_or(0.0)
    }

    fn env_or(name: &str, default: usize) -> usize {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    /// Blocks of 1,000 variants on chromosomes 1 and 2. `rare` draws allele frequencies
    /// as `u^3` (most variants rare, as in sequence data) instead of uniformly.
    fn blocks(n_samples: usize, n_variants: usize, rare: bool) -> Vec<HaplotypeBlock> {
        let mut rng = SplitMix::new(2024);
        let per_block = 1000;
        (0..n_variants.div_ceil(per_block))
            .map(|b| {
                let count = per_block.min(n_variants - b * per_block);
                let mut variants = Vec::with_capacity(count);
                let mut haplotypes = Vec::with_capacity(count * 2 * n_samples);
                for i in 0..count {
                    let global = b * per_block + i;
                    let chrom = if global < n_variants / 2 { "1" } else { "2" };
                    variants.push(VariantInfo {
                        chrom: Chrom::parse(chrom),
                        pos: 1000 + 300 * (global % (n_variants / 2).max(1)) as u64,
                        id: format!("rs{global}"),
                        ref_allele: "A".into(),
                        alt_allele: "G".into(),
                    });
                    let u = rng.next_f64();
                    let freq = if rare { u * u * u } else { u };
                    // 2^-32 resolution is plenty for a benchmark.
                    let threshold = (freq * 4_294_967_296.0) as u64;
                    for _ in 0..2 * n_samples {
                        haplotypes.push(u8::from((rng.next_u64() >> 32) < threshold));
                    }
                }
                HaplotypeBlock {
                    variants,
                    n_samples,
                    haplotypes,
                }
            })
            .collect()
    }

    #[test]
    #[ignore = "benchmark; run in release with --ignored --nocapture"]
    fn throughput() {
        let n_samples = env_or("MEDGEM_BENCH_SAMPLES", 10_000);
        let n_variants = env_or("MEDGEM_BENCH_VARIANTS", 5_000);
        let keep = std::env::var_os("MEDGEM_BENCH_KEEP").map(PathBuf::from);
        let vcf_options = VcfWriterOptions {
            compression_level: env_or(
                "MEDGEM_BENCH_VCF_LEVEL",
                crate::io::vcf::DEFAULT_VCF_COMPRESSION_LEVEL as usize,
            ) as i32,
            ..VcfWriterOptions::default()
        };
        let tmp = tempfile::tempdir().unwrap();
        let dir = keep.clone().unwrap_or_else(|| tmp.path().to_path_buf());
        let ids: Vec<String> = (0..n_samples).map(|i| format!("S{}", i + 1)).collect();
        eprintln!(
            "{n_samples} samples x {n_variants} variants, {} rayon threads",
            rayon::current_num_threads()
        );
        for rare in [false, true] {
            let spectrum = if rare { "rare" } else { "uniform" };
            let blocks = blocks(n_samples, n_variants, rare);
            let input_mb = (n_samples * n_variants * 2) as f64 / 1e6;
            type Make<'a> = Box<dyn Fn() -> Box<dyn GenotypeWriter> + 'a>;
            let cases: Vec<(&str, Make)> = vec![
                (
                    "VCF.gz+tbi",
                    Box::new(|| {
                        let p = dir.join(format!("bench_{spectrum}.vcf.gz"));
                        Box::new(VcfWriter::create(&p, &ids, &vcf_options).unwrap())
                    }),
                ),
                (
                    "BGEN zstd+bgi",
                    Box::new(|| {
                        let p = dir.join(format!("bench_{spectrum}.bgen"));
                        Box::new(
                            BgenWriter::create(&p, &ids, None, &BgenWriterOptions::default())
                                .unwrap(),
                        )
                    }),
                ),
                (
                    "PLINK bed",
                    Box::new(|| {
                        let p = dir.join(format!("bench_{spectrum}"));
                        Box::new(PlinkWriter::create(&p, &ids, None).unwrap())
                    }),
                ),
            ];
            for (name, make) in cases {
                let start = Instant::now();
                let cpu_start = cpu_seconds();
                let mut w = make();
                for b in &blocks {
                    w.write_block(b).unwrap();
                }
                let paths = w.finish().unwrap();
                let secs = start.elapsed().as_secs_f64();
                let cpu = cpu_seconds() - cpu_start;
                let out_mb: f64 = paths
                    .iter()
                    .map(|p| std::fs::metadata(p).unwrap().len() as f64 / 1e6)
                    .sum();
                eprintln!(
                    "{spectrum:>7} {name:<14} {secs:7.2} s wall {cpu:7.2} s cpu  {:7.1} MB haplotypes/s  {out_mb:8.1} MB written",
                    input_mb / secs
                );
            }
        }
    }
}
