//! Reader tests: the CINECA conformance cohort, hand-written VCFs covering every dosage
//! field, BGZF/tabix/BCF/CSI variants of the same data, index seeks against plain scans,
//! and bad input.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::VcfSource;
use crate::genome::{Chrom, Position};
use crate::io::{DosageField, Dosages, GenotypeSource, OpenOptions, ReadError, Site, SiteFilter};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/vcf")
        .join(name)
}

fn cineca() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/pgs/cineca_synthetic_subset.vcf.gz")
}

fn options(field: DosageField, threads: usize) -> OpenOptions {
    OpenOptions {
        dosage_field: field,
        threads,
        ..OpenOptions::default()
    }
}

fn open(path: &Path) -> VcfSource {
    VcfSource::open(path, &OpenOptions::default()).unwrap()
}

/// Every wanted site with its decoded dosages.
fn read_all(
    source: &mut VcfSource,
    filter: &SiteFilter,
) -> Result<Vec<(Site, Dosages)>, ReadError> {
    let mut out = Vec::new();
    while let Some(site) = source.next_site(filter)? {
        let payload = source.payload()?;
        let mut d = Dosages::new();
        payload.decode(&mut d)?;
        out.push((site, d));
    }
    Ok(out)
}

fn read_path(path: &Path, filter: &SiteFilter, opts: &OpenOptions) -> Vec<(Site, Dosages)> {
    let mut s = VcfSource::open(path, opts).unwrap();
    read_all(&mut s, filter).unwrap()
}

/// Dosages of one allele as text, `NA` for missing: compact to compare by eye.
fn row(d: &Dosages, allele: usize) -> Vec<String> {
    d.allele(allele)
        .iter()
        .map(|v| {
            if v.is_nan() {
                "NA".into()
            } else {
                format!("{v}")
            }
        })
        .collect()
}

fn site_at(all: &[(Site, Dosages)], pos: Position) -> &Dosages {
    &all.iter().find(|(s, _)| s.pos == pos).unwrap().1
}

/// Asserts two readings hold the same sites and (within `tol`) the same dosages and ploidy.
fn assert_same(a: &[(Site, Dosages)], b: &[(Site, Dosages)], tol: f64) {
    assert_eq!(a.len(), b.len(), "site counts differ");
    for ((sa, da), (sb, db)) in a.iter().zip(b) {
        assert_eq!(sa, sb);
        assert_eq!(da.n_samples(), db.n_samples());
        assert_eq!(da.n_alleles(), db.n_alleles(), "{}", sa.positional_id());
        assert_eq!(da.ploidy(), db.ploidy(), "ploidy at {}", sa.positional_id());
        for a in 0..da.n_alleles() {
            for (x, y) in da.allele(a).iter().zip(db.allele(a)) {
                assert!(
                    (x.is_nan() && y.is_nan()) || (x - y).abs() <= tol,
                    "{} allele {a}: {x} vs {y}",
                    sa.positional_id()
                );
            }
        }
    }
}

// ---- the CINECA synthetic cohort ----

/// An independent reading of the cohort: gzip text, split on tabs, `a/b` counted by hand.
fn cineca_by_hand() -> Vec<(String, u64, Vec<Option<f64>>)> {
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(cineca()).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            let alts = cols[9..]
                .iter()
                .map(|gt| {
                    let alleles: Vec<&str> = gt.split(['/', '|']).collect();
                    if alleles.contains(&".") {
                        None
                    } else {
                        Some(alleles.iter().filter(|a| **a == "1").count() as f64)
                    }
                })
                .collect();
            (cols[2].to_string(), cols[1].parse().unwrap(), alts)
        })
        .collect()
}

#[test]
fn cineca_cohort_matches_its_text() {
    let mut source = open(&cineca());
    assert_eq!(source.format_name(), "VCF");
    assert!(!source.has_index());
    let ids = source.sample_ids();
    assert_eq!(ids.len(), 2504);
    assert_eq!(ids[0], "HG00096_HG00096");
    assert_eq!(ids[1], "HG00097_HG00097");
    let all = read_all(&mut source, &SiteFilter::all()).unwrap();
    assert_eq!(all.len(), 829);
    let (first, _) = &all[0];
    assert_eq!(first.chrom, Chrom::parse("22"));
    assert_eq!(
        (first.pos, first.id.as_str(), first.ref_allele.as_str()),
        (17080378, "rs5746679", "G")
    );
    assert_eq!(first.alt_alleles, vec!["A".to_string()]);
    // Header lines (7) + data lines: the last record's line number.
    assert_eq!(source.location(), crate::io::Location::Line(7 + 829));

    let missing: usize = all
        .iter()
        .map(|(_, d)| (0..d.n_samples()).filter(|&s| d.is_missing(s)).count())
        .sum();
    assert_eq!(missing, 96);

    let truth = cineca_by_hand();
    assert_eq!(truth.len(), all.len());
    for ((site, d), (id, pos, alts)) in all.iter().zip(&truth) {
        assert_eq!((&site.id, site.pos), (id, *pos));
        for (s, alt) in alts.iter().enumerate() {
            match alt {
                None => assert!(d.is_missing(s)),
                Some(a) => {
                    assert_eq!(d.get(1, s), *a, "{} sample {s}", site.id);
                    assert_eq!(d.get(0, s), 2.0 - a);
                    assert_eq!(d.ploidy()[s], 2);
                }
            }
        }
    }
    // Spot checks from the text: HG00099 is 0/1 and HG00096 0/0 at the first site.
    assert_eq!(all[0].1.get(1, 2), 1.0);
    assert_eq!(all[0].1.get(1, 0), 0.0);
}

#[test]
fn cineca_threaded_and_filtered_reads_agree() {
    let serial = read_path(
        &cineca(),
        &SiteFilter::all(),
        &options(DosageField::Auto, 1),
    );
    let threaded = read_path(
        &cineca(),
        &SiteFilter::all(),
        &options(DosageField::Auto, 3),
    );
    assert_same(&serial, &threaded, 0.0);

    // Every tenth site, asked for with a `chr`-less chromosome.
    let wanted: Vec<(Chrom, Position)> = serial
        .iter()
        .step_by(10)
        .map(|(s, _)| (Chrom::parse("chr22"), s.pos))
        .collect();
    let filter = SiteFilter::all().with_positions(wanted.clone());
    let picked = read_path(&cineca(), &filter, &options(DosageField::Auto, 2));
    let expected: Vec<(Site, Dosages)> = serial.iter().step_by(10).cloned().collect();
    assert_same(&picked, &expected, 0.0);
}

#[test]
fn payloads_decode_on_other_threads() {
    use rayon::prelude::*;
    let mut source = open(&cineca());
    let mut payloads = Vec::new();
    while source.next_site(&SiteFilter::all()).unwrap().is_some() {
        payloads.push(source.payload().unwrap());
    }
    let sums: Vec<f64> = payloads
        .into_par_iter()
        .map(|p| {
            let mut d = Dosages::new();
            p.decode(&mut d).unwrap();
            d.allele(1).iter().filter(|v| !v.is_nan()).sum()
        })
        .collect();
    let serial = read_path(&cineca(), &SiteFilter::all(), &OpenOptions::default());
    for (sum, (_, d)) in sums.iter().zip(&serial) {
        let want: f64 = d.allele(1).iter().filter(|v| !v.is_nan()).sum();
        assert_eq!(*sum, want);
    }
}

// ---- hand-written records ----

#[test]
fn small_vcf_sites_and_gt() {
    let mut source = open(&data("small.vcf"));
    assert_eq!(source.sample_ids(), ["A", "B", "C", "D"]);
    let all = read_all(&mut source, &SiteFilter::all()).unwrap();
    assert_eq!(all.len(), 12);
    let (s, _) = &all[0];
    assert_eq!(s.chrom.as_str(), "1"); // written chr1
    assert_eq!(s.id, "rs1");
    let (s, _) = &all[3];
    assert_eq!(s.id, ".");
    let (s, _) = &all[2];
    assert_eq!(s.alt_alleles, vec!["A", "C"]);

    // Phased, unphased and missing diploid calls.
    let d = site_at(&all, 100);
    assert_eq!(row(d, 1), ["0", "1", "2", "NA"]);
    assert_eq!(row(d, 0), ["2", "1", "0", "NA"]);
    assert_eq!(d.ploidy(), [2, 2, 2, 2]);
    // Partially missing calls are missing, ploidy kept.
    let d = site_at(&all, 200);
    assert_eq!(row(d, 1), ["1", "NA", "NA", "1"]);
    assert_eq!(d.ploidy(), [2, 2, 2, 2]);
    // Multi-allelic: 1/2 0/2 2|2 0/1.
    let d = site_at(&all, 300);
    assert_eq!(row(d, 0), ["0", "1", "0", "1"]);
    assert_eq!(row(d, 1), ["1", "0", "0", "1"]);
    assert_eq!(row(d, 2), ["1", "1", "2", "0"]);
    // Haploid calls and a bare `.`.
    let d = site_at(&all, 400);
    assert_eq!(row(d, 1), ["1", "0", "NA", "1"]);
    assert_eq!(row(d, 0), ["0", "1", "NA", "1"]);
    assert_eq!(d.ploidy(), [1, 1, 2, 2]);
    // Triploid.
    let d = site_at(&all, 500);
    assert_eq!(row(d, 1), ["2", "3", "0", "NA"]);
    assert_eq!(row(d, 0), ["1", "0", "3", "NA"]);
    assert_eq!(d.ploidy(), [3, 3, 3, 3]);
}

#[test]
fn small_vcf_ds_and_gp() {
    let all = read_path(
        &data("small.vcf"),
        &SiteFilter::all(),
        &OpenOptions::default(),
    );
    // DS with ploidy from GT: D is haploid, so ref = 1 - 0.9.
    let d = site_at(&all, 600);
    assert_eq!(row(d, 1), ["0.5", "1.75", "NA", "0.9"]);
    assert_eq!(d.get(0, 0), 1.5);
    assert_eq!(d.get(0, 1), 2.0 - 1.75);
    assert_eq!(d.get(0, 3), 1.0 - 0.9);
    assert_eq!(d.ploidy(), [2, 2, 2, 1]);
    // DS without GT, multi-allelic, one value missing.
    let d = site_at(&all, 700);
    assert_eq!(row(d, 1), ["0.25", "0", "NA", "1"]);
    assert_eq!(row(d, 2), ["1.5", "0", "NA", "1"]);
    assert_eq!(row(d, 0), ["0.25", "2", "NA", "0"]);
    // GP with GT: diploid P01 + 2 P11; haploid D has two values.
    let d = site_at(&all, 800);
    assert_eq!(row(d, 1), ["1.125", "2", "NA", "0.75"]);
    assert_eq!(row(d, 0), ["0.875", "0", "NA", "0.25"]);
    assert_eq!(d.ploidy(), [2, 2, 2, 1]);
    // GP without GT: ploidy from the number of values.
    let d = site_at(&all, 900);
    assert_eq!(row(d, 1), ["1", "0.625", "NA", "0"]);
    assert_eq!(d.ploidy(), [2, 1, 2, 2]);
    // DS preferred over GP and GT when all are present (auto).
    let d = site_at(&all, 50);
    assert_eq!(row(d, 1), ["0.875", "1", "0", "NA"]);
    assert_eq!(row(d, 2), ["0.125", "1", "0", "NA"]);
    assert_eq!(row(d, 0), ["1", "0", "2", "NA"]);
    // A trailing DS dropped from A's column: missing under DS.
    let d = site_at(&all, 150);
    assert_eq!(row(d, 1), ["NA", "2", "0", "NA"]);
}

#[test]
fn small_vcf_forced_fields() {
    let path = data("small.vcf");
    let gt = read_path(&path, &SiteFilter::all(), &options(DosageField::Gt, 1));
    let d = site_at(&gt, 50);
    assert_eq!(row(d, 0), ["1", "0", "2", "NA"]);
    assert_eq!(row(d, 1), ["1", "1", "0", "NA"]);
    assert_eq!(row(d, 2), ["0", "1", "0", "NA"]);
    assert_eq!(row(site_at(&gt, 600), 1), ["1", "2", "0", "1"]);
    // No GT at 700: forced GT leaves everyone missing.
    assert_eq!(row(site_at(&gt, 700), 1), ["NA"; 4]);

    let gp = read_path(&path, &SiteFilter::all(), &options(DosageField::Gp, 1));
    // 0.125,0.625,0.125,0.125,0,0 over 0/0 0/1 1/1 0/2 1/2 2/2.
    let d = site_at(&gp, 50);
    assert_eq!(d.get(0, 0), 2.0 * 0.125 + 0.625 + 0.125);
    assert_eq!(d.get(1, 0), 0.625 + 2.0 * 0.125);
    assert_eq!(d.get(2, 0), 0.125);
    assert_eq!(row(d, 2), ["0.125", "1", "0", "NA"]);
    assert_eq!(row(site_at(&gp, 100), 1), ["NA"; 4]);

    let ds = read_path(&path, &SiteFilter::all(), &options(DosageField::Ds, 1));
    assert_eq!(row(site_at(&ds, 800), 1), ["NA"; 4]);
    assert_eq!(row(site_at(&ds, 600), 1), ["0.5", "1.75", "NA", "0.9"]);
}

#[test]
fn full_precision_of_text_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.vcf");
    std::fs::write(
        &path,
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n\
         1\t5\t.\tA\tG\t.\t.\t.\tDS\t0.12345678901234567\n",
    )
    .unwrap();
    let all = read_path(&path, &SiteFilter::all(), &OpenOptions::default());
    assert_eq!(all[0].1.get(1, 0), 0.12345678901234567_f64);
    assert_eq!(all[0].1.get(0, 0), 2.0 - 0.12345678901234567_f64);
}

#[test]
fn bgzf_and_bcf_copies_read_the_same() {
    let text = read_path(
        &data("small.vcf"),
        &SiteFilter::all(),
        &OpenOptions::default(),
    );
    for threads in [1, 2] {
        let opts = options(DosageField::Auto, threads);
        let mut gz = VcfSource::open(&data("small.vcf.gz"), &opts).unwrap();
        assert!(gz.has_index());
        assert_same(&read_all(&mut gz, &SiteFilter::all()).unwrap(), &text, 0.0);

        let mut bcf = VcfSource::open(&data("small.bcf"), &opts).unwrap();
        assert_eq!(bcf.format_name(), "BCF");
        assert!(bcf.has_index());
        assert_eq!(bcf.sample_ids(), ["A", "B", "C", "D"]);
        // BCF stores floats as f32.
        assert_same(
            &read_all(&mut bcf, &SiteFilter::all()).unwrap(),
            &text,
            1e-6,
        );
    }
    for field in [DosageField::Gt, DosageField::Ds, DosageField::Gp] {
        let opts = options(field, 1);
        let text = read_path(&data("small.vcf"), &SiteFilter::all(), &opts);
        let bcf = read_path(&data("small.bcf"), &SiteFilter::all(), &opts);
        assert_same(&bcf, &text, 1e-6);
    }
}

#[test]
fn regions_and_positions_on_chr_prefixed_files() {
    let region = SiteFilter::all().with_region(Some("2:100-300".parse().unwrap()));
    let positions = SiteFilter::all().with_positions(vec![
        (Chrom::parse("1"), 300),
        (Chrom::parse("1"), 301),
        (Chrom::parse("2"), 250),
        (Chrom::parse("5"), 1),
    ]);
    for name in ["small.vcf", "small.vcf.gz", "small.bcf"] {
        let got = read_path(&data(name), &region, &OpenOptions::default());
        let ids: Vec<&str> = got.iter().map(|(s, _)| s.id.as_str()).collect();
        assert_eq!(ids, ["rs11", "rs12"], "{name}");
        let got = read_path(&data(name), &positions, &OpenOptions::default());
        let ids: Vec<&str> = got.iter().map(|(s, _)| s.id.as_str()).collect();
        assert_eq!(ids, ["rs3", "rs12"], "{name}");
    }
}

#[test]
fn plain_gzip_is_read_sequentially() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.vcf.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&std::fs::read(data("small.vcf")).unwrap())
        .unwrap();
    std::fs::write(&path, enc.finish().unwrap()).unwrap();
    // An index beside a non-BGZF file cannot be used.
    std::fs::copy(
        data("small.vcf.gz.tbi"),
        dir.path().join("small.vcf.gz.tbi"),
    )
    .unwrap();
    let mut source = open(&path);
    assert!(!source.has_index());
    let got = read_all(&mut source, &SiteFilter::all()).unwrap();
    let want = read_path(
        &data("small.vcf"),
        &SiteFilter::all(),
        &OpenOptions::default(),
    );
    assert_same(&got, &want, 0.0);
}

// ---- index seeks on a file of many blocks ----

/// A synthetic VCF: `per_chrom` sites `step` apart on each chromosome, pseudo-random
/// phased calls with a few missing.
fn synthetic_vcf(chroms: &[&str], per_chrom: u64, step: u64, samples: usize) -> String {
    let mut text = String::from("##fileformat=VCFv4.2\n");
    for c in chroms {
        text += &format!("##contig=<ID={c},length={}>\n", per_chrom * step + 1000);
    }
    text += "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n";
    text += "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT";
    for s in 0..samples {
        text += &format!("\tS{s}");
    }
    text.push('\n');
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for c in chroms {
        for i in 1..=per_chrom {
            text += &format!("{c}\t{}\tv{c}_{i}\tA\tG\t.\t.\t.\tGT", i * step);
            for _ in 0..samples {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let call = match state % 50 {
                    0 => "./.",
                    r => ["0|0", "0|1", "1|0", "1|1"][(r % 4) as usize],
                };
                text.push('\t');
                text += call;
            }
            text.push('\n');
        }
    }
    text
}

/// Writes `text` as plain VCF, BGZF VCF without index, BGZF VCF with a noodles-built tabix
/// index, and BCF with a CSI index. Returns the four paths.
fn write_variants(dir: &Path, text: &str) -> [PathBuf; 4] {
    let plain = dir.join("syn.vcf");
    std::fs::write(&plain, text).unwrap();
    let bgzf_bytes = {
        let mut w = noodles::bgzf::io::Writer::new(Vec::new());
        w.write_all(text.as_bytes()).unwrap();
        w.finish().unwrap()
    };
    let bare = dir.join("bare.vcf.gz");
    std::fs::write(&bare, &bgzf_bytes).unwrap();
    let indexed = dir.join("indexed.vcf.gz");
    std::fs::write(&indexed, &bgzf_bytes).unwrap();
    match noodles::vcf::fs::index(&indexed).unwrap() {
        noodles::vcf::Index::Tabix(i) => {
            noodles::tabix::fs::write(dir.join("indexed.vcf.gz.tbi"), &i).unwrap()
        }
        noodles::vcf::Index::Csi(i) => {
            noodles::csi::fs::write(dir.join("indexed.vcf.gz.csi"), &i).unwrap()
        }
    }
    let bcf = dir.join("syn.bcf");
    {
        use noodles::vcf::variant::io::Write as _;
        let mut reader = noodles::vcf::io::Reader::new(text.as_bytes());
        let header = reader.read_header().unwrap();
        let mut writer = noodles::bcf::io::Writer::new(std::fs::File::create(&bcf).unwrap());
        writer.write_variant_header(&header).unwrap();
        for record in reader.records() {
            writer
                .write_variant_record(&header, &record.unwrap())
                .unwrap();
        }
        writer.try_finish().unwrap();
    }
    let csi = noodles::bcf::fs::index(&bcf).unwrap();
    noodles::csi::fs::write(dir.join("syn.bcf.csi"), &csi).unwrap();
    [plain, bare, indexed, bcf]
}

#[test]
fn index_seeks_return_the_same_sites_as_scans() {
    let dir = tempfile::tempdir().unwrap();
    let text = synthetic_vcf(&["chr1", "chr2", "chr3"], 3000, 700, 12);
    let [plain, bare, indexed, bcf] = write_variants(dir.path(), &text);
    let c = Chrom::parse;
    let filters = [
        SiteFilter::all(),
        SiteFilter::all().with_region(Some("2:350000-420000".parse().unwrap())),
        SiteFilter::all().with_region(Some("chr3".parse().unwrap())),
        SiteFilter::all().with_region(Some("7:1-100".parse().unwrap())),
        SiteFilter::all().with_positions(vec![
            (c("1"), 700),
            (c("1"), 1400),
            (c("1"), 1_000_000),
            (c("1"), 1_000_001),
            (c("1"), 2_100_000),
            (c("3"), 700),
            (c("3"), 2_099_300),
            (c("9"), 700),
        ]),
        SiteFilter::all()
            .with_positions((1..3000u64).step_by(97).map(|i| (c("2"), i * 700)))
            .with_region(Some("2:100000-".parse().unwrap())),
    ];
    let mut seeks = 0;
    for (k, filter) in filters.iter().enumerate() {
        let want = read_path(&plain, filter, &OpenOptions::default());
        assert_same(
            &read_path(&bare, filter, &OpenOptions::default()),
            &want,
            0.0,
        );
        for threads in [1, 3] {
            let opts = options(DosageField::Auto, threads);
            let mut src = VcfSource::open(&indexed, &opts).unwrap();
            assert!(src.has_index());
            assert_same(&read_all(&mut src, filter).unwrap(), &want, 0.0);
            if threads == 1 {
                seeks += src.index_seeks();
            }
            let mut src = VcfSource::open(&bcf, &opts).unwrap();
            assert!(src.has_index());
            assert_same(&read_all(&mut src, filter).unwrap(), &want, 0.0);
        }
        if k == 1 {
            let ids: Vec<u64> = want.iter().map(|(s, _)| s.pos).collect();
            assert_eq!(ids.first(), Some(&350_000));
            assert_eq!(ids.last(), Some(&420_000));
            assert_eq!(ids.len(), 101);
        }
        if k == 3 {
            assert!(want.is_empty());
        }
    }
    eprintln!("index seeks: {seeks}");
    assert!(seeks >= 4, "the index was hardly used ({seeks} seeks)");
}

#[test]
fn htslib_indexes_seek_to_the_same_sites() {
    // many.vcf.gz (bgzip + tabix) and many.bcf (bcftools + CSI): three chr-prefixed
    // chromosomes over several BGZF blocks, an empty 1.5 Mb stretch on chr2 and a 200 kb
    // symbolic deletion on chr1.
    let dir = tempfile::tempdir().unwrap();
    let bare = dir.path().join("many.vcf.gz");
    std::fs::copy(data("many.vcf.gz"), &bare).unwrap();
    let all = read_path(&bare, &SiteFilter::all(), &OpenOptions::default());
    assert_eq!(all.len(), 5400);
    let deletion = all
        .iter()
        .find(|(s, _)| s.alt_alleles == ["<DEL>"])
        .unwrap();
    let del_pos = deletion.0.pos;
    let gap_end = all
        .windows(2)
        .find(|w| w[0].0.chrom.as_str() == "2" && w[1].0.pos - w[0].0.pos > 1_000_000)
        .unwrap()[1]
        .0
        .pos;
    let mut picked: Vec<(Chrom, Position)> = all
        .iter()
        .step_by(301)
        .map(|(s, _)| (s.chrom.clone(), s.pos))
        .collect();
    picked.push((Chrom::parse("1"), del_pos));
    picked.push((Chrom::parse("2"), gap_end));
    let filters = [
        SiteFilter::all().with_positions(picked),
        SiteFilter::all().with_region(Some(format!("2:{gap_end}-").parse().unwrap())),
        SiteFilter::all().with_region(Some("chr3".parse().unwrap())),
        SiteFilter::all().with_region(Some(
            format!("chr1:{}-{}", del_pos + 100_000, del_pos + 150_000)
                .parse()
                .unwrap(),
        )),
        SiteFilter::all().with_positions(vec![(Chrom::parse("1"), del_pos)]),
    ];
    for (k, filter) in filters.iter().enumerate() {
        let want = read_path(&bare, filter, &OpenOptions::default());
        assert!(!want.is_empty());
        for name in ["many.vcf.gz", "many.bcf"] {
            for threads in [1, 2] {
                let mut src =
                    VcfSource::open(&data(name), &options(DosageField::Auto, threads)).unwrap();
                assert!(src.has_index(), "{name}");
                assert_same(&read_all(&mut src, filter).unwrap(), &want, 0.0);
                // The regions after chr2's gap and on chr3 start blocks into the file.
                if threads == 1 && (k == 1 || k == 2) {
                    assert!(src.index_seeks() > 0, "{name} was read without seeking");
                }
            }
        }
    }
}

// ---- bad input ----

fn error_of(path: &Path) -> String {
    let mut source = match VcfSource::open(path, &OpenOptions::default()) {
        Ok(s) => s,
        Err(e) => return e.to_string(),
    };
    read_all(&mut source, &SiteFilter::all())
        .expect_err("bad input was accepted")
        .to_string()
}

#[test]
fn truncated_bgzf_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(cineca()).unwrap();
    for cut in [bytes.len() / 2, bytes.len() - 10, 100] {
        let path = dir.path().join(format!("cut{cut}.vcf.gz"));
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let msg = error_of(&path);
        assert!(msg.contains(&format!("cut{cut}.vcf.gz")), "{msg}");
        // A cut inside the first block is already refused when the format is sniffed.
        assert!(
            msg.contains("truncated") || (cut == 100 && msg.contains("corrupt")),
            "{msg}"
        );
    }
}

fn malformed(record: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.vcf");
    std::fs::write(
        &path,
        format!(
            "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\n\
             1\t10\trs1\tA\tG\t.\t.\t.\tGT\t0/1\t1/1\n{record}\n"
        ),
    )
    .unwrap();
    error_of(&path)
}

#[test]
fn malformed_records_name_their_line() {
    let cases = [
        ("1\t20\trs2\tA", "columns"),
        ("1\tx20\trs2\tA\tG\t.\t.\t.\tGT\t0/1\t0/0", "POS 'x20'"),
        ("1\t0\trs2\tA\tG\t.\t.\t.\tGT\t0/1\t0/0", "POS '0'"),
        (
            "1\t20\trs2\tA\tG\t.\t.\t.\tGT\t0/1",
            "expected 2 sample columns",
        ),
        ("1\t20\trs2\tA\tG\t.\t.\t.\tGT\t0/1\t0/0\t1/1", "found 3"),
        (
            "1\t20\trs2\tA\tG\t.\t.\t.\tGT\t0/x\t0/0",
            "invalid GT '0/x'",
        ),
        ("1\t20\trs2\tA\tG\t.\t.\t.\tGT\t0/1\t0/2", "out of range"),
        ("1\t20\trs2\tA\tG\t.\t.\t.\tGT\t0/\t0/0", "invalid GT"),
        ("1\t20\trs2\tA\tG\t.\t.\t.\tDS\tabc\t1", "DS value 'abc'"),
        (
            "1\t20\trs2\tA\tG\t.\t.\t.\tDS\t0.5,0.5\t1",
            "DS has 2 values",
        ),
        (
            "1\t20\trs2\tA\tG\t.\t.\t.\tGP\t0.5,0.5,0,0\t1,0,0",
            "GP has 4 values",
        ),
        ("1\t20\trs2\tA\tG\t.\t.\t.\tGT", "found FORMAT only"),
        ("1\t20\trs2\tA\tG\t.\t.\t.", "found none"),
    ];
    for (record, want) in cases {
        let msg = malformed(record);
        assert!(msg.contains("bad.vcf: line 4"), "{record:?}: {msg}");
        assert!(msg.contains(want), "{record:?}: {msg}");
    }
    // The failing sample is named.
    let msg = malformed("1\t20\trs2\tA\tG\t.\t.\t.\tGT\t0/1\t0/x");
    assert!(msg.contains("sample 2 (S2)"), "{msg}");
}

#[test]
fn header_problems_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.vcf");
    std::fs::write(&path, "##fileformat=VCFv4.2\n##INFO=<ID=X\n1\t2\n").unwrap();
    let msg = error_of(&path);
    assert!(msg.contains("h.vcf: line 2: invalid VCF header"), "{msg}");

    std::fs::write(&path, "##fileformat=VCFv4.2\n1\t2\t.\tA\tG\t.\t.\t.\n").unwrap();
    let msg = error_of(&path);
    assert!(msg.contains("line 2") && msg.contains("#CHROM"), "{msg}");

    std::fs::write(&path, "##fileformat=VCFv4.2\n##source=x\n").unwrap();
    let msg = error_of(&path);
    assert!(msg.contains("#CHROM"), "{msg}");

    let bytes = std::fs::read(data("small.bcf")).unwrap();
    let cut = dir.path().join("cut.bcf");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let msg = error_of(&cut);
    assert!(msg.contains("cut.bcf"), "{msg}");
}

#[test]
fn header_without_fileformat_line_and_crlf() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.vcf");
    std::fs::write(
        &path,
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\r\n\
         chrX\t10\trs1\tA\tG\t.\t.\t.\tGT\t0|1\r\n\r\nchrX\t11\trs2\tA\tG\t.\t.\t.\tGT\t1\r\n",
    )
    .unwrap();
    let all = read_path(&path, &SiteFilter::all(), &OpenOptions::default());
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].0.chrom, Chrom::parse("X"));
    assert_eq!(row(&all[0].1, 1), ["1"]);
    assert_eq!(row(&all[1].1, 1), ["1"]);
    assert_eq!(all[1].1.ploidy(), [1]);
}

/// small.bcf decompressed, with `edit` applied to its first record, written as BGZF.
fn edited_bcf(dir: &Path, edit: impl Fn(&mut [u8], usize)) -> PathBuf {
    let mut raw = Vec::new();
    noodles::bgzf::io::Reader::new(std::fs::File::open(data("small.bcf")).unwrap())
        .read_to_end(&mut raw)
        .unwrap();
    // Magic (5 bytes), l_text, header text: then the first record.
    let l_text = u32::from_le_bytes(raw[5..9].try_into().unwrap()) as usize;
    let first = 9 + l_text;
    edit(&mut raw, first);
    let path = dir.join("edited.bcf");
    let mut w = noodles::bgzf::io::Writer::new(std::fs::File::create(&path).unwrap());
    w.write_all(&raw).unwrap();
    w.finish().unwrap();
    path
}

#[test]
fn bcf_errors_name_the_record() {
    let dir = tempfile::tempdir().unwrap();
    // n_sample of record 1 set to 3 while the header has 4 samples.
    let path = edited_bcf(dir.path(), |raw, first| {
        let at = first + 8 + 20;
        raw[at] = 3;
    });
    let msg = error_of(&path);
    assert!(msg.contains("edited.bcf: record 1:"), "{msg}");
    assert!(msg.contains("3 samples"), "{msg}");

    // The first GT allele of sample A (record 1) set to allele 5: (5 + 1) << 1.
    let path = edited_bcf(dir.path(), |raw, first| {
        let l_shared = u32::from_le_bytes(raw[first..first + 4].try_into().unwrap()) as usize;
        let samples = first + 8 + l_shared;
        // Typed key (descriptor + int8), vector descriptor (2 x int8), then sample A.
        assert_eq!(raw[samples + 2], 0x21);
        raw[samples + 3] = 12;
    });
    let msg = error_of(&path);
    assert!(msg.contains("record 1: sample 1 (A)"), "{msg}");
    assert!(msg.contains("GT allele 5 is out of range"), "{msg}");
}

#[test]
fn locations_follow_the_current_record() {
    use crate::io::Location;
    let mut bcf = open(&data("small.bcf"));
    for _ in 0..3 {
        bcf.next_site(&SiteFilter::all()).unwrap().unwrap();
    }
    assert_eq!(bcf.location(), Location::Record(3));
    let mut vcf = open(&data("small.vcf"));
    vcf.next_site(&SiteFilter::all()).unwrap().unwrap();
    assert_eq!(vcf.location(), Location::Line(8));
    // After an index seek the line number is unknown; the site is named instead.
    let region = SiteFilter::all().with_region(Some("chr3:1-".parse().unwrap()));
    let mut gz = open(&data("many.vcf.gz"));
    let site = gz.next_site(&region).unwrap().unwrap();
    assert!(gz.index_seeks() > 0);
    match gz.location() {
        Location::Other(text) => assert!(text.contains(&format!("3:{}", site.pos)), "{text}"),
        other => panic!("unexpected location {other:?}"),
    }
}

#[test]
fn payload_is_taken_once() {
    let mut source = open(&data("small.vcf"));
    source.next_site(&SiteFilter::all()).unwrap().unwrap();
    assert!(source.payload().is_ok());
    let err = source.payload().err().unwrap().to_string();
    assert!(err.contains("payload taken twice"), "{err}");
}
