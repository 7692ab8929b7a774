//! VCF, BGEN and PLINK copies of one cohort give the same scores, and scoring in shards
//! (by region, by sample chunk, or both) then merging equals scoring everything at once.
//! The BGEN and PLINK copies are made with `plink2 --export`, as a user would.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn prs(genotypes: &Path, out: &Path, extra: &[&str]) -> Table {
    let mut args: Vec<String> = vec![
        "prs".into(),
        genotypes.display().to_string(),
        "--scores".into(),
        shared("scorefiles/PGS001229_22.txt").display().to_string(),
        "--out".into(),
        out.display().to_string(),
        "--quiet".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    run_ok(&refs);
    Table::read(&PathBuf::from(format!("{}.sscore", out.display())))
}

fn plink2(args: &[&str]) {
    let out = Command::new("plink2")
        .args(args)
        .output()
        .expect("plink2 runs");
    assert!(
        out.status.success(),
        "plink2 {args:?}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn assert_same_scores(a: &Table, b: &Table, tolerance: f64, what: &str) {
    assert_eq!(a.strings("#IID"), b.strings("#IID"), "{what}: sample ids");
    for col in ["ALLELE_CT", "DENOM"] {
        assert_eq!(a.strings(col), b.strings(col), "{what}: {col}");
    }
    for col in ["PGS001229_SUM", "PGS001229_AVG", "NAMED_ALLELE_DOSAGE_SUM"] {
        for (i, (x, y)) in a.f64s(col).into_iter().zip(b.f64s(col)).enumerate() {
            assert!(
                rel_diff(x, y) <= tolerance,
                "{what}: {col} sample {i}: {x} vs {y}"
            );
        }
    }
}

#[test]
fn vcf_bgen_and_plink_agree() {
    if !have_tool("plink2") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let vcf = shared("pgs/cineca_synthetic_subset.vcf.gz");
    let base = d.join("c");
    plink2(&[
        "--vcf",
        vcf.to_str().unwrap(),
        "--make-bed",
        "--out",
        base.to_str().unwrap(),
    ]);
    plink2(&[
        "--bfile",
        base.to_str().unwrap(),
        "--export",
        "bgen-1.2",
        "bits=8",
        "ref-first",
        "--out",
        base.to_str().unwrap(),
    ]);
    plink2(&[
        "--bfile",
        base.to_str().unwrap(),
        "--export",
        "bgen-1.1",
        "ref-first",
        "--out",
        d.join("c11").to_str().unwrap(),
    ]);

    let from_vcf = prs(&vcf, &d.join("vcf"), &[]);
    assert_eq!(from_vcf.rows.len(), 2504);
    let from_bed = prs(&d.join("c.bed"), &d.join("bed"), &[]);
    // Hard calls are exact in every format; the only difference allowed is summation
    // order noise.
    assert_same_scores(&from_vcf, &from_bed, 1e-12, "PLINK bed");
    // Given as a prefix too.
    let from_prefix = prs(&base, &d.join("prefix"), &[]);
    assert_same_scores(&from_vcf, &from_prefix, 1e-12, "PLINK prefix");
    let from_bgen = prs(&d.join("c.bgen"), &d.join("bgen"), &[]);
    assert_same_scores(&from_vcf, &from_bgen, 1e-9, "BGEN 1.2 8-bit");
    let sample = d.join("c11.sample");
    let from_bgen11 = prs(
        &d.join("c11.bgen"),
        &d.join("bgen11"),
        &["--sample", sample.to_str().unwrap()],
    );
    assert_same_scores(&from_vcf, &from_bgen11, 1e-4, "BGEN 1.1");
    if have_tool("bcftools") {
        let bcf = d.join("c.bcf");
        let st = Command::new("bcftools")
            .args([
                "view",
                "-Ob",
                "-o",
                bcf.to_str().unwrap(),
                vcf.to_str().unwrap(),
            ])
            .status()
            .unwrap();
        assert!(st.success());
        let from_bcf = prs(&bcf, &d.join("bcf"), &[]);
        assert_same_scores(&from_vcf, &from_bcf, 1e-12, "BCF");
    }
    // Same variants used everywhere.
    let vars = |p: &str| std::fs::read_to_string(d.join(format!("{p}.sscore.vars"))).unwrap();
    assert_eq!(vars("vcf"), vars("bed"));
    assert_eq!(vars("vcf"), vars("bgen"));
}

fn merge(prefixes: &[PathBuf], out: &Path) -> Table {
    let mut args: Vec<String> = vec!["merge".into()];
    args.extend(prefixes.iter().map(|p| p.display().to_string()));
    args.extend(["--out".into(), out.display().to_string()]);
    let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    run_ok(&refs);
    Table::read(&PathBuf::from(format!("{}.sscore", out.display())))
}

fn sample_ids(vcf: &Path) -> Vec<String> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("gzip -dc {} | grep -m1 '^#CHROM'", vcf.display()))
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .split('\t')
        .skip(9)
        .map(String::from)
        .collect()
}

#[test]
fn sharded_and_merged_equals_whole() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let vcf = shared("pgs/cineca_synthetic_subset.vcf.gz");
    let whole = prs(&vcf, &d.join("whole"), &[]);

    // By region (no index: the reader scans).
    let r1 = d.join("r1");
    let r2 = d.join("r2");
    prs(&vcf, &r1, &["--region", "chr22:1-30000000"]);
    prs(&vcf, &r2, &["--region", "22:30000001-"]);
    let merged = merge(&[r1.clone(), r2.clone()], &d.join("by_region"));
    assert_same_scores(&whole, &merged, 1e-12, "region shards");
    let vars = |p: &Path| std::fs::read_to_string(format!("{}.sscore.vars", p.display())).unwrap();
    assert_eq!(vars(&d.join("whole")), vars(&d.join("by_region")));
    let summary = Table::read(&d.join("by_region.summary.tsv"));
    assert_eq!(summary.strings("n_rows"), vec!["835"]);
    assert_eq!(summary.strings("n_matched"), vec!["782"]);

    // By sample chunk, imputing from the whole cohort's frequencies.
    let ids = sample_ids(&vcf);
    let (a, b) = ids.split_at(1000);
    std::fs::write(d.join("a.txt"), a.join("\n")).unwrap();
    std::fs::write(d.join("b.txt"), b.join("\n")).unwrap();
    if have_tool("plink2") {
        let freq = d.join("cohort");
        plink2(&[
            "--vcf",
            vcf.to_str().unwrap(),
            "--freq",
            "--out",
            freq.to_str().unwrap(),
        ]);
        let afreq = d.join("cohort.afreq");
        let afreq = afreq.to_str().unwrap();
        let s1 = d.join("s1");
        let s2 = d.join("s2");
        prs(
            &vcf,
            &s1,
            &[
                "--samples",
                d.join("a.txt").to_str().unwrap(),
                "--read-freq",
                afreq,
            ],
        );
        prs(
            &vcf,
            &s2,
            &[
                "--samples",
                d.join("b.txt").to_str().unwrap(),
                "--read-freq",
                afreq,
            ],
        );
        // plink2 prints frequencies to 6 digits, so compare with a whole run that uses them.
        let whole_rf = prs(&vcf, &d.join("whole_rf"), &["--read-freq", afreq]);
        assert_same_scores(&whole, &whole_rf, 1e-4, "printed frequencies");
        let merged = merge(&[s1.clone(), s2.clone()], &d.join("by_sample"));
        assert_same_scores(&whole_rf, &merged, 1e-12, "sample shards");

        // Region x sample grid, merged in one step.
        let mut grid = Vec::new();
        for (r, region) in [("1", "22:1-30000000"), ("2", "22:30000001-")] {
            for (s, list) in [("a", "a.txt"), ("b", "b.txt")] {
                let p = d.join(format!("g{r}{s}"));
                prs(
                    &vcf,
                    &p,
                    &[
                        "--region",
                        region,
                        "--samples",
                        d.join(list).to_str().unwrap(),
                        "--read-freq",
                        afreq,
                    ],
                );
                grid.push(p);
            }
        }
        let merged = merge(&grid, &d.join("grid"));
        assert_same_scores(&whole_rf, &merged, 1e-12, "region x sample grid");
    }

    // With a tabix index, region queries read only their region.
    if have_tool("tabix") {
        let indexed = d.join("indexed.vcf.gz");
        std::fs::copy(&vcf, &indexed).unwrap();
        let st = Command::new("tabix")
            .args(["-p", "vcf", indexed.to_str().unwrap()])
            .status()
            .unwrap();
        assert!(st.success());
        let i1 = d.join("i1");
        let i2 = d.join("i2");
        prs(&indexed, &i1, &["--region", "22:1-30000000"]);
        prs(&indexed, &i2, &["--region", "22:30000001-"]);
        assert_same_scores(
            &whole,
            &merge(&[i1, i2], &d.join("by_index")),
            1e-12,
            "indexed region shards",
        );
    }
}
