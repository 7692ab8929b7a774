//! Conformance tests against the BGEN reference implementation's example files
//! (`../shared/data/bgen`, see its README): each BGEN file must decode to the truth
//! written in another format by the reference tools.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::*;
use crate::io::Dosages;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/bgen")
        .join(name)
}

fn with_samples(file: &str) -> OpenOptions {
    OpenOptions {
        sample_file: Some(data(file)),
        ..OpenOptions::default()
    }
}

/// Every wanted site with its decoded dosages.
fn read_all(
    path: &Path,
    options: &OpenOptions,
    filter: &SiteFilter,
) -> Result<(BgenSource, Vec<(Site, Dosages)>), ReadError> {
    let mut src = BgenSource::open(path, options)?;
    let mut out = Vec::new();
    while let Some(site) = src.next_site(filter)? {
        let mut d = Dosages::new();
        src.payload()?.decode(&mut d)?;
        out.push((site, d));
    }
    Ok((src, out))
}

/// One row of an Oxford `.gen` file: six leading columns, then AA/AB/BB per sample.
struct GenRow {
    chrom: String,
    rsid: String,
    pos: u64,
    alleles: [String; 2],
    probs: Vec<[f64; 3]>,
}

fn read_gen(path: &Path) -> Vec<GenRow> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let values: Vec<f64> = f[6..].iter().map(|v| v.parse().unwrap()).collect();
            assert_eq!(values.len() % 3, 0);
            GenRow {
                chrom: f[0].to_string(),
                rsid: f[2].to_string(),
                pos: f[3].parse().unwrap(),
                alleles: [f[4].to_string(), f[5].to_string()],
                probs: values.chunks(3).map(|c| [c[0], c[1], c[2]]).collect(),
            }
        })
        .collect()
}

/// Checks one example file against `example.gen`.
fn check_against_gen(path: &Path, options: &OpenOptions, tolerance: f64) {
    let truth = read_gen(&data("example.gen"));
    let ids = read_sample_file(&data("example.sample")).unwrap();
    let (src, sites) = read_all(path, options, &SiteFilter::all()).unwrap();
    assert_eq!(src.sample_ids(), ids.as_slice(), "{}", path.display());
    assert_eq!(sites.len(), truth.len(), "{}", path.display());
    for (row, (site, d)) in truth.iter().zip(&sites) {
        assert_eq!(site.chrom, Chrom::parse(&row.chrom));
        assert_eq!(site.chrom.as_str(), "1");
        assert_eq!(site.pos, row.pos);
        assert_eq!(site.id, row.rsid);
        assert_eq!(site.ref_allele, row.alleles[0]);
        assert_eq!(site.alt_alleles, [row.alleles[1].clone()]);
        assert_eq!(d.n_samples(), ids.len());
        assert_eq!(d.n_alleles(), 2);
        for (s, p) in row.probs.iter().enumerate() {
            let missing = p.iter().all(|&x| x == 0.0);
            assert_eq!(
                d.is_missing(s),
                missing,
                "{} {} sample {s}",
                path.display(),
                row.rsid
            );
            assert_eq!(d.ploidy()[s], 2);
            if missing {
                assert!(d.get(1, s).is_nan());
                continue;
            }
            // The GEN rows were printed from probabilities that sum slightly short of one;
            // the reference writer stores them rescaled to sum to one (layout 2 can only
            // store distributions that do), so the truth is the rescaled distribution.
            let total = p[0] + p[1] + p[2];
            let want = [(2.0 * p[0] + p[1]) / total, (p[1] + 2.0 * p[2]) / total];
            for (a, &want) in want.iter().enumerate() {
                let got = d.get(a, s);
                assert!(
                    (got - want).abs() <= tolerance,
                    "{} {} sample {s} allele {a}: {got} vs {want} (tolerance {tolerance})",
                    path.display(),
                    row.rsid,
                );
            }
        }
    }
}

/// Room for floating-point rounding in the truth arithmetic.
const FLOAT_SLACK: f64 = 1e-9;

fn bit_tolerance(bits: u32) -> f64 {
    // Each stored probability is rounded to a multiple of 1 / (2^B - 1); a dosage combines
    // the rounding of two of them.
    2.0 / ((1u64 << bits) - 1) as f64 + FLOAT_SLACK
}

#[test]
fn example_8_bits_matches_gen() {
    check_against_gen(
        &data("example.8bits.bgen"),
        &OpenOptions::default(),
        bit_tolerance(8),
    );
}

#[test]
fn example_16_bits_matches_gen() {
    check_against_gen(
        &data("example.16bits.bgen"),
        &OpenOptions::default(),
        bit_tolerance(16),
    );
}

#[test]
fn example_16_bits_zstd_matches_gen() {
    check_against_gen(
        &data("example.16bits.zstd.bgen"),
        &OpenOptions::default(),
        bit_tolerance(16),
    );
}

#[test]
fn example_32_bits_matches_gen() {
    // Within 5e-10: 32-bit data must not be squeezed through f32 or a coarser scale.
    check_against_gen(
        &data("example.32bits.bgen"),
        &OpenOptions::default(),
        bit_tolerance(32),
    );
}

#[test]
fn example_v11_matches_gen() {
    let path = data("example.v11.bgen");
    let src = BgenSource::open(&path, &with_samples("example.sample")).unwrap();
    assert_eq!(src.format_name(), "BGEN v1.1");
    check_against_gen(
        &path,
        &with_samples("example.sample"),
        3.0 / 32768.0 + FLOAT_SLACK,
    );
}

#[test]
fn format_names_and_locations() {
    let mut src = BgenSource::open(&data("example.8bits.bgen"), &OpenOptions::default()).unwrap();
    assert_eq!(src.format_name(), "BGEN v1.2");
    assert_eq!(src.location(), Location::Header);
    src.next_site(&SiteFilter::all()).unwrap().unwrap();
    // The shipped bgenix index puts RSID_2, the first variant, at byte 6032.
    assert_eq!(
        src.location(),
        Location::Other("variant 1 (RSID_2) at byte 6032".into())
    );
    src.payload().unwrap();
    let err = src.payload().err().expect("second payload is refused");
    assert!(err.to_string().contains("take each payload once"), "{err}");
}

/// A small VCF reader for `complex.vcf`, independent of the decoder: expected dosages from
/// `HP` (phased) or `GP` (unphased, genotypes enumerated here by sorting allele-count
/// vectors), cross-checked against `GT`.
struct VcfRecord {
    chrom: String,
    pos: u64,
    id: String,
    alleles: Vec<String>,
    /// Per sample: ploidy, and expected dosage per allele (`None` when missing).
    samples: Vec<(u8, Option<Vec<f64>>)>,
}

/// All allele-count vectors of length `k` summing to `z`, in the spec's order: colex,
/// i.e. sorted by the count of the last allele first.
fn count_vectors(z: usize, k: usize) -> Vec<Vec<usize>> {
    fn fill(prefix: &mut Vec<usize>, left: usize, k: usize, out: &mut Vec<Vec<usize>>) {
        if prefix.len() == k - 1 {
            prefix.push(left);
            out.push(prefix.clone());
            prefix.pop();
            return;
        }
        for c in 0..=left {
            prefix.push(c);
            fill(prefix, left - c, k, out);
            prefix.pop();
        }
    }
    let mut out = Vec::new();
    fill(&mut Vec::new(), z, k, &mut out);
    out.sort_by(|a, b| a.iter().rev().cmp(b.iter().rev()));
    out
}

fn read_complex_vcf() -> (Vec<String>, Vec<VcfRecord>) {
    let text = std::fs::read_to_string(data("complex.vcf")).unwrap();
    let mut samples = Vec::new();
    let mut records = Vec::new();
    for line in text.lines() {
        if let Some(header) = line.strip_prefix("#CHROM") {
            samples = header.split('\t').skip(9).map(String::from).collect();
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let mut alleles = vec![f[3].to_string()];
        alleles.extend(f[4].split(',').map(String::from));
        let k = alleles.len();
        let keys: Vec<&str> = f[8].split(':').collect();
        let mut per_sample = Vec::new();
        for field in &f[9..] {
            let values: Vec<&str> = field.split(':').collect();
            let gt = values[keys.iter().position(|&k| k == "GT").unwrap()];
            let calls: Vec<&str> = gt.split(['/', '|']).collect();
            let ploidy = calls.len() as u8;
            if calls.contains(&".") {
                per_sample.push((ploidy, None));
                continue;
            }
            let mut dosage = vec![0.0; k];
            if let Some(i) = keys.iter().position(|&k| k == "HP") {
                let hp: Vec<f64> = values[i].split(',').map(|v| v.parse().unwrap()).collect();
                assert_eq!(hp.len(), ploidy as usize * k);
                for h in hp.chunks(k) {
                    for (a, p) in h.iter().enumerate() {
                        dosage[a] += p;
                    }
                }
            } else {
                let i = keys.iter().position(|&k| k == "GP").unwrap();
                let gp: Vec<f64> = values[i].split(',').map(|v| v.parse().unwrap()).collect();
                let genotypes = count_vectors(ploidy as usize, k);
                assert_eq!(gp.len(), genotypes.len(), "{line}");
                for (p, counts) in gp.iter().zip(&genotypes) {
                    for (a, c) in counts.iter().enumerate() {
                        dosage[a] += p * *c as f64;
                    }
                }
            }
            // The truth's probabilities are certain calls: they must agree with GT.
            for (a, d) in dosage.iter().enumerate() {
                let called = calls.iter().filter(|c| c.parse::<usize>() == Ok(a)).count();
                assert_eq!(*d, called as f64, "{line}");
            }
            per_sample.push((ploidy, Some(dosage)));
        }
        records.push(VcfRecord {
            chrom: f[0].to_string(),
            pos: f[1].parse().unwrap(),
            id: f[2].split(',').next().unwrap().to_string(),
            alleles,
            samples: per_sample,
        });
    }
    (samples, records)
}

#[test]
fn count_vectors_follow_vcf_order() {
    let names: Vec<String> = count_vectors(2, 3)
        .iter()
        .map(|v| v.iter().map(|c| c.to_string()).collect())
        .collect();
    // 00, 01, 11, 02, 12, 22 as counts of alleles 0, 1, 2.
    assert_eq!(names, ["200", "110", "020", "101", "011", "002"]);
}

#[test]
fn complex_matches_vcf() {
    let (samples, truth) = read_complex_vcf();
    let (src, sites) = read_all(
        &data("complex.bgen"),
        &OpenOptions::default(),
        &SiteFilter::all(),
    )
    .unwrap();
    assert_eq!(src.sample_ids(), samples.as_slice());
    assert_eq!(sites.len(), truth.len());
    let mut saw_multiallelic = false;
    let mut ploidies = std::collections::BTreeSet::new();
    for (rec, (site, d)) in truth.iter().zip(&sites) {
        assert_eq!(site.chrom, Chrom::parse(&rec.chrom));
        assert_eq!(site.pos, rec.pos);
        assert_eq!(site.id, rec.id);
        assert_eq!(site.alleles().collect::<Vec<_>>(), rec.alleles);
        assert_eq!(d.n_alleles(), rec.alleles.len());
        saw_multiallelic |= rec.alleles.len() > 2;
        for (s, (ploidy, want)) in rec.samples.iter().enumerate() {
            assert_eq!(d.ploidy()[s], *ploidy, "{} sample {s}", rec.id);
            ploidies.insert(*ploidy);
            match want {
                None => assert!(d.is_missing(s), "{} sample {s}", rec.id),
                Some(want) => {
                    assert!(!d.is_missing(s));
                    for (a, w) in want.iter().enumerate() {
                        let got = d.get(a, s);
                        assert!(
                            (got - w).abs() < 1e-9,
                            "{} sample {s} allele {a}: {got} vs {w}",
                            rec.id
                        );
                    }
                }
            }
        }
    }
    assert!(saw_multiallelic);
    assert_eq!(ploidies.into_iter().collect::<Vec<_>>(), [1, 2, 3, 4]);
}

#[test]
fn haplotypes_match_haps() {
    let (_, sites) = read_all(
        &data("haplotypes.bgen"),
        &OpenOptions::default(),
        &SiteFilter::all(),
    )
    .unwrap();
    let text = std::fs::read_to_string(data("haplotypes.haps")).unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), sites.len());
    for (f, (site, d)) in rows.iter().zip(&sites) {
        assert_eq!(site.chrom, Chrom::parse(f[0]));
        assert_eq!(site.id, f[2]);
        assert_eq!(site.pos, f[3].parse::<u64>().unwrap());
        assert_eq!(
            (site.ref_allele.as_str(), site.alt_alleles[0].as_str()),
            (f[4], f[5])
        );
        let haps: Vec<f64> = f[6..].iter().map(|h| h.parse().unwrap()).collect();
        assert_eq!(haps.len(), 2 * d.n_samples());
        for s in 0..d.n_samples() {
            let alt = haps[2 * s] + haps[2 * s + 1];
            assert_eq!(
                (d.get(0, s), d.get(1, s)),
                (2.0 - alt, alt),
                "{} sample {s}",
                f[2]
            );
        }
    }
}

#[test]
fn payloads_decode_on_other_threads() {
    let path = data("example.16bits.zstd.bgen");
    let mut src = BgenSource::open(&path, &OpenOptions::default()).unwrap();
    let mut payloads = Vec::new();
    while src.next_site(&SiteFilter::all()).unwrap().is_some() {
        payloads.push(src.payload().unwrap());
    }
    let parallel: Vec<Dosages> = payloads
        .into_par_iter()
        .map(|p| {
            let mut d = Dosages::new();
            p.decode(&mut d).unwrap();
            d
        })
        .collect();
    let (_, sequential) = read_all(&path, &OpenOptions::default(), &SiteFilter::all()).unwrap();
    assert_eq!(parallel.len(), sequential.len());
    for (p, (_, s)) in parallel.iter().zip(&sequential) {
        for a in 0..2 {
            let same = p
                .allele(a)
                .iter()
                .zip(s.allele(a))
                .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()));
            assert!(same);
        }
    }
}

#[test]
fn sample_ids_from_files() {
    // A sample file overrides the file's own identifiers (a one-column `id` file here).
    let src = BgenSource::open(&data("complex.bgen"), &with_samples("complex.sample")).unwrap();
    assert_eq!(
        src.sample_ids(),
        ["sample_0", "sample_1", "sample_2", "sample_3"]
    );

    // A count mismatch names both files.
    let err = BgenSource::open(&data("example.8bits.bgen"), &with_samples("complex.sample"))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("example.8bits.bgen") && err.contains("complex.sample"),
        "{err}"
    );
    assert!(err.contains("500") && err.contains("lists 4"), "{err}");

    // v1.1 without identifiers: refused, unless a sibling `.sample` exists.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("cohort.bgen");
    std::fs::copy(data("example.v11.bgen"), &copy).unwrap();
    let err = BgenSource::open(&copy, &OpenOptions::default())
        .err()
        .unwrap();
    assert!(err.to_string().contains("no sample ids"), "{err}");
    std::fs::copy(data("example.sample"), dir.path().join("cohort.sample")).unwrap();
    let src = BgenSource::open(&copy, &OpenOptions::default()).unwrap();
    assert_eq!(src.sample_ids()[0], "sample_001");
    assert_eq!(src.sample_ids().len(), 500);
}

#[test]
fn oxford_sample_file_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.sample");
    std::fs::write(
        &path,
        "ID_1 ID_2 missing sex\n0 0 0 D\nf1 i1 0 1\n\nf2 i2 0 2\n",
    )
    .unwrap();
    assert_eq!(read_sample_file(&path).unwrap(), ["i1", "i2"]);
    std::fs::write(&path, "ID_1 ID_2 missing\nf1 i1 0\n").unwrap();
    let err = read_sample_file(&path).unwrap_err().to_string();
    assert!(
        err.contains("line 2") && err.contains("column-type row"),
        "{err}"
    );
    std::fs::write(&path, "ID_1 ID_2\n0 0\nf1\n").unwrap();
    let err = read_sample_file(&path).unwrap_err().to_string();
    assert!(err.contains("line 3") && err.contains("ID_2"), "{err}");
    std::fs::write(&path, "ID_1\n").unwrap();
    assert!(read_sample_file(&path).is_err());
}

/// Positions of every third variant of the example files, plus one absent position.
fn some_positions() -> SiteFilter {
    let truth = read_gen(&data("example.gen"));
    let mut wanted: Vec<(Chrom, u64)> = truth
        .iter()
        .step_by(3)
        .map(|r| (Chrom::parse("1"), r.pos))
        .collect();
    wanted.push((Chrom::parse("1"), 999_999_999));
    SiteFilter::all().with_positions(wanted)
}

fn assert_same(a: &[(Site, Dosages)], b: &[(Site, Dosages)]) {
    assert_eq!(a.len(), b.len());
    for ((sa, da), (sb, db)) in a.iter().zip(b) {
        assert_eq!(sa, sb);
        assert_eq!(da.ploidy(), db.ploidy());
        for al in 0..da.n_alleles() {
            let same = da
                .allele(al)
                .iter()
                .zip(db.allele(al))
                .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()));
            assert!(same, "{}", sa.id);
        }
    }
}

#[test]
fn written_index_gives_the_same_sites_as_a_scan() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("example.16bits.bgen");
    std::fs::copy(data("example.16bits.bgen"), &copy).unwrap();
    let bgi = dir.path().join("example.16bits.bgen.bgi");
    assert_eq!(write_bgi(&copy, &bgi).unwrap(), 199);

    let filter = some_positions();
    let (scan_src, scanned) = read_all(
        &data("example.16bits.bgen"),
        &OpenOptions::default(),
        &filter,
    )
    .unwrap();
    assert!(matches!(scan_src.mode, Mode::Sequential));
    let (src, indexed) = read_all(&copy, &OpenOptions::default(), &filter).unwrap();
    match &src.mode {
        // Only the wanted variants were visited.
        Mode::Indexed { plan, next } => {
            assert_eq!((plan.len(), *next), (scanned.len(), scanned.len()))
        }
        _ => panic!("the index was not used"),
    }
    assert_eq!(scanned.len(), 67);
    assert_same(&scanned, &indexed);

    // A region (chromosome spelled `1`, the index says `01`).
    let region = SiteFilter::all().with_region(Some("chr1:5000-20000".parse().unwrap()));
    let (_, scanned) = read_all(
        &data("example.16bits.bgen"),
        &OpenOptions::default(),
        &region,
    )
    .unwrap();
    let (src, indexed) = read_all(&copy, &OpenOptions::default(), &region).unwrap();
    assert!(matches!(src.mode, Mode::Indexed { .. }));
    assert!(!scanned.is_empty());
    assert_same(&scanned, &indexed);

    // Nothing wanted on another chromosome.
    let other = SiteFilter::all().with_positions([(Chrom::parse("2"), 2000)]);
    assert!(read_all(&copy, &OpenOptions::default(), &other)
        .unwrap()
        .1
        .is_empty());
}

#[test]
fn shipped_index_is_used_and_agrees() {
    let filter = some_positions();
    let (src, indexed) = read_all(
        &data("example.8bits.bgen"),
        &OpenOptions::default(),
        &filter,
    )
    .unwrap();
    assert!(matches!(src.mode, Mode::Indexed { .. }));
    // The same file without its index beside it.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("example.8bits.bgen");
    std::fs::copy(data("example.8bits.bgen"), &copy).unwrap();
    let (src, scanned) = read_all(&copy, &OpenOptions::default(), &filter).unwrap();
    assert!(matches!(src.mode, Mode::Sequential));
    assert_same(&scanned, &indexed);
}

/// chromosome, position, rsid, number_of_alleles, allele1, allele2, file_start_position,
/// size_in_bytes.
type VariantRow = (String, i64, String, i64, String, String, i64, i64);

/// `Variant` rows of an index, in file order.
fn variant_rows(bgi: &Path) -> Vec<VariantRow> {
    let conn = rusqlite::Connection::open(bgi).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT chromosome, position, rsid, number_of_alleles, allele1, allele2, \
             file_start_position, size_in_bytes FROM Variant ORDER BY file_start_position",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

#[test]
fn written_index_matches_bgenix() {
    let dir = tempfile::tempdir().unwrap();
    let bgi = dir.path().join("mine.bgi");
    assert_eq!(write_bgi(&data("example.8bits.bgen"), &bgi).unwrap(), 199);
    let ours = variant_rows(&bgi);
    let theirs = variant_rows(&data("example.8bits.bgen.bgi"));
    assert_eq!(ours.len(), 199);
    assert_eq!(ours, theirs);
    // The metadata fingerprints the indexed file as bgenix's does.
    let meta = |p: &Path| -> (i64, Vec<u8>) {
        rusqlite::Connection::open(p)
            .unwrap()
            .query_row(
                "SELECT file_size, first_1000_bytes FROM Metadata",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    };
    assert_eq!(meta(&bgi), meta(&data("example.8bits.bgen.bgi")));
    // No temporary files are left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1);
}

#[test]
fn index_of_another_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("example.16bits.bgen");
    std::fs::copy(data("example.16bits.bgen"), &copy).unwrap();
    std::fs::copy(
        data("example.8bits.bgen.bgi"),
        dir.path().join("example.16bits.bgen.bgi"),
    )
    .unwrap();
    let err = read_all(&copy, &OpenOptions::default(), &some_positions())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("rebuild the index"), "{err}");
}

/// Reads a file to the end, decoding every wanted payload.
fn read_to_end(
    path: &Path,
    options: &OpenOptions,
    filter: &SiteFilter,
) -> Result<usize, ReadError> {
    read_all(path, options, filter).map(|(_, v)| v.len())
}

#[test]
fn truncated_files_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("example.8bits.bgen", OpenOptions::default()),
        ("example.v11.bgen", with_samples("example.sample")),
        ("example.16bits.zstd.bgen", OpenOptions::default()),
        ("complex.bgen", OpenOptions::default()),
    ];
    for (name, options) in cases {
        let bytes = std::fs::read(data(name)).unwrap();
        let first_variant = u64::from(u32::from_le_bytes(bytes[..4].try_into().unwrap())) + 4;
        let len = bytes.len() as u64;
        let cuts = [
            0,
            3,
            10,
            21,
            first_variant - 1,
            first_variant + 1,
            first_variant + 12,
            first_variant + 40,
            len / 2,
            len - 1,
        ];
        for cut in cuts {
            let path = dir.path().join(format!("cut-{cut}-{name}"));
            std::fs::write(&path, &bytes[..cut as usize]).unwrap();
            for filter in [SiteFilter::all(), SiteFilter::all().with_positions([])] {
                let err = read_to_end(&path, &options, &filter)
                    .expect_err(&format!("{name} cut at {cut} must be refused"));
                let message = err.to_string();
                assert!(matches!(err, ReadError::Malformed { .. }), "{message}");
                assert!(message.contains(&path.display().to_string()), "{message}");
                if cut > first_variant {
                    assert!(
                        message.contains("variant") && message.contains("at byte"),
                        "{message}"
                    );
                    assert!(message.contains("expected"), "{message}");
                }
            }
        }
    }
}

#[test]
fn corrupt_bytes_never_panic() {
    use std::io::{Seek, SeekFrom, Write};
    let dir = tempfile::tempdir().unwrap();
    for name in ["complex.bgen", "haplotypes.bgen"] {
        let bytes = std::fs::read(data(name)).unwrap();
        let path = dir.path().join("corrupt.bgen");
        std::fs::write(&path, &bytes).unwrap();
        let mut file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        let mut put = |i: usize, value: u8| {
            file.seek(SeekFrom::Start(i as u64)).unwrap();
            file.write_all(&[value]).unwrap();
        };
        for (i, &original) in bytes.iter().enumerate() {
            for value in [0x00, 0xff, original ^ 0x01, original ^ 0x80] {
                put(i, value);
                // Any outcome but a panic is fine.
                let _ = read_to_end(&path, &OpenOptions::default(), &SiteFilter::all());
            }
            put(i, original);
        }
    }
}

#[test]
fn bad_headers_have_clear_messages() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(data("complex.bgen")).unwrap();
    let path = dir.path().join("bad.bgen");
    let open_with = |patch: &dyn Fn(&mut Vec<u8>)| {
        let mut b = bytes.clone();
        patch(&mut b);
        std::fs::write(&path, &b).unwrap();
        BgenSource::open(&path, &OpenOptions::default())
            .err()
            .expect("refused")
            .to_string()
    };
    let err = open_with(&|b| b[16..20].copy_from_slice(b"bgem"));
    assert!(err.contains("magic number"), "{err}");
    let err = open_with(&|b| b[20] = (b[20] & !0b11) | 3);
    assert!(err.contains("unknown compression 3"), "{err}");
    let err = open_with(&|b| b[20] = (b[20] & 0b11) | (7 << 2));
    assert!(err.contains("unknown layout 7"), "{err}");
    let err = open_with(&|b| b[20] &= 0b11);
    assert!(err.contains("layout 0"), "{err}");
    let err = open_with(&|b| b[4] = 8);
    assert!(err.contains("header length"), "{err}");
}

#[test]
fn duplicate_sample_ids_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dup.sample");
    std::fs::write(&path, "ID_1\n0\na\nb\nc\na\n").unwrap();
    let options = OpenOptions {
        sample_file: Some(path),
        ..OpenOptions::default()
    };
    let err = BgenSource::open(&data("complex.bgen"), &options)
        .err()
        .unwrap();
    assert!(err.to_string().contains("duplicate sample id 'a'"), "{err}");
}
