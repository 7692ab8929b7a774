//! Bad input exits with code 2, names the file and the line or record, and leaves no output
//! files behind.

mod common;

use std::fmt::Write;
use std::path::{Path, PathBuf};

use common::*;

/// Runs `prs` into an empty folder, expects failure, checks nothing was written, and
/// returns stderr.
fn prs_fails(genotypes: &Path, scores: &[&Path], extra: &[&str]) -> String {
    let out = tempfile::tempdir().unwrap();
    let prefix = out.path().join("run");
    let mut args: Vec<String> = vec![
        "prs".into(),
        genotypes.display().to_string(),
        "--scores".into(),
    ];
    args.extend(scores.iter().map(|p| p.display().to_string()));
    args.extend([
        "--out".into(),
        prefix.display().to_string(),
        "--quiet".into(),
    ]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let err = run_bad(&refs);
    let left: Vec<PathBuf> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(left.is_empty(), "partial outputs left behind: {left:?}");
    err
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const VCF_HEADER: &str = "##fileformat=VCFv4.2\n##contig=<ID=1,length=249250621>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n";

/// A VCF with samples s1 and s2 and the given record lines (its header is 4 lines long, so
/// the first record is line 5).
fn two_sample_vcf(dir: &Path, name: &str, records: &str) -> PathBuf {
    write(
        dir,
        name,
        &format!(
            "{VCF_HEADER}#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts1\ts2\n{records}"
        ),
    )
}

fn small_score(dir: &Path) -> PathBuf {
    write(
        dir,
        "score.txt",
        "#pgs_id=T1\n#genome_build=GRCh37\nchr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\n1\t100\tG\tA\t0.5\n1\t200\tC\tT\t-0.25\n",
    )
}

#[test]
fn truncated_bgzf_vcf_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(shared("pgs/cineca_synthetic_subset.vcf.gz")).unwrap();
    let cut = dir.path().join("cut.vcf.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = prs_fails(&cut, &[&shared("scorefiles/PGS001229_22.txt")], &[]);
    assert!(err.contains("cut.vcf.gz"), "{err}");
}

#[test]
fn truncated_bgen_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(shared("bgen/example.16bits.bgen")).unwrap();
    let cut = dir.path().join("cut.bgen");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    // A custom scoring file on the example's variants (chromosome written 01 there).
    let gen = std::fs::read_to_string(shared("bgen/example.gen")).unwrap();
    let mut score =
        String::from("chr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\n");
    // The example repeats some positions out of order; score only unique positions.
    let mut count = std::collections::HashMap::new();
    for line in gen.lines() {
        *count
            .entry(line.split_whitespace().nth(3).unwrap().to_string())
            .or_insert(0) += 1;
    }
    for line in gen.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if count[f[3]] > 1 {
            continue;
        }
        score.push_str(&format!("1\t{}\t{}\t{}\t0.1\n", f[3], f[5], f[4]));
    }
    let s = write(dir.path(), "score.txt", &score);
    let err = prs_fails(
        &cut,
        &[&s],
        &["--sample", shared("bgen/example.sample").to_str().unwrap()],
    );
    assert!(err.contains("cut.bgen"), "{err}");
    assert!(err.contains("variant"), "names the variant record: {err}");
}

#[test]
fn malformed_vcf_record_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let vcf = two_sample_vcf(
        dir.path(),
        "bad.vcf",
        "1\t100\trs1\tA\tG\t.\t.\t.\tGT\t0/1\t1/1\n1\tabc\trs2\tT\tC\t.\t.\t.\tGT\t0/1\t1/1\n",
    );
    let err = prs_fails(&vcf, &[&small_score(dir.path())], &[]);
    assert!(err.contains("bad.vcf"), "{err}");
    assert!(err.contains("line 6"), "{err}");
}

#[test]
fn malformed_genotype_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let vcf = two_sample_vcf(
        dir.path(),
        "badgt.vcf",
        "1\t100\trs1\tA\tG\t.\t.\t.\tGT\t0/x\t1/1\n1\t200\trs2\tT\tC\t.\t.\t.\tGT\t0/1\t1/1\n",
    );
    let err = prs_fails(&vcf, &[&small_score(dir.path())], &[]);
    assert!(err.contains("badgt.vcf") && err.contains("line 5"), "{err}");
}

#[test]
fn scoring_file_missing_columns_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(
        dir.path(),
        "nocol.txt",
        "chr_name\tchr_position\teffect_weight\n1\t100\t0.5\n",
    );
    let err = prs_fails(&shared("pgs/cineca_synthetic_subset.vcf.gz"), &[&s], &[]);
    assert!(
        err.contains("nocol.txt") && err.contains("effect_allele"),
        "{err}"
    );
}

#[test]
fn non_numeric_and_nan_weights_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (name, w) in [
        ("text.txt", "heavy"),
        ("nan.txt", "NaN"),
        ("inf.txt", "inf"),
    ] {
        let s = write(
            dir.path(),
            name,
            &format!("chr_name\tchr_position\teffect_allele\teffect_weight\n22\t17080378\tG\t0.1\n22\t17300230\tA\t{w}\n"),
        );
        let err = prs_fails(&shared("pgs/cineca_synthetic_subset.vcf.gz"), &[&s], &[]);
        assert!(err.contains(name) && err.contains("line 3"), "{w}: {err}");
    }
}

#[test]
fn invalid_pgs_catalog_files_are_refused() {
    for f in [
        "scorefiles/invalid_scorefile.txt",
        "scorefiles/bad_harmonised.txt",
    ] {
        let err = prs_fails(
            &shared("pgs/cineca_synthetic_subset.vcf.gz"),
            &[&shared(f)],
            &[],
        );
        let name = Path::new(f).file_name().unwrap().to_str().unwrap();
        assert!(err.contains(name), "{err}");
    }
}

#[test]
fn duplicate_sample_ids_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let vcf = write(
        dir.path(),
        "dup.vcf",
        &format!(
            "{VCF_HEADER}#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts1\ts2\ts1\n1\t100\trs1\tA\tG\t.\t.\t.\tGT\t0/1\t1/1\t0/0\n"
        ),
    );
    let err = prs_fails(&vcf, &[&small_score(dir.path())], &[]);
    assert!(
        err.contains("dup.vcf") && err.contains("duplicate sample") && err.contains("s1"),
        "{err}"
    );
}

#[test]
fn genome_build_mismatch_is_named() {
    // Genotypes on GRCh38 (declared in the header); the scoring file's positions are
    // GRCh37, so nothing lines up.
    let dir = tempfile::tempdir().unwrap();
    let mut vcf = String::from(
        "##fileformat=VCFv4.2\n##reference=GRCh38\n##contig=<ID=1,length=248956422>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts1\ts2\n",
    );
    let mut score = String::from("#pgs_id=B37\n#genome_build=GRCh37\nchr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\n");
    for i in 0..20u64 {
        let p38 = 1_000_000 + i * 1000;
        writeln!(vcf, "1\t{p38}\t.\tA\tG\t.\t.\t.\tGT\t0/1\t1/1").unwrap();
        writeln!(score, "1\t{}\tG\tA\t0.1", p38 - 31_337).unwrap();
    }
    let v = write(dir.path(), "b38.vcf", &vcf);
    let s = write(dir.path(), "b37.txt", &score);
    let err = prs_fails(&v, &[&s], &[]);
    assert!(err.contains("B37") && err.contains("0.0%"), "{err}");
    assert!(
        err.contains("GRCh37") && err.contains("GRCh38"),
        "names both builds: {err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let err = run_bad(&["prs"]);
    assert!(
        err.contains("--scores") || err.contains("GENOTYPES"),
        "{err}"
    );
    let err = run_bad(&[
        "prs",
        shared("pgs/cineca_synthetic_subset.vcf.gz")
            .to_str()
            .unwrap(),
        "--scores",
        shared("scorefiles/PGS001229_22.txt").to_str().unwrap(),
        "--out",
        "/tmp/never",
        "--min-overlap",
        "1.5",
    ]);
    assert!(err.contains("--min-overlap"), "{err}");
    let err = run_bad(&[
        "prs",
        shared("pgs/cineca_synthetic_subset.vcf.gz")
            .to_str()
            .unwrap(),
        "--scores",
        shared("scorefiles/PGS001229_22.txt").to_str().unwrap(),
        "--out",
        "/tmp/never",
        "--region",
        "22:500-100",
    ]);
    assert!(
        err.contains("--region") && err.contains("end is before start"),
        "{err}"
    );
    let err = run_bad(&[
        "prs",
        "/nonexistent/cohort.vcf.gz",
        "--scores",
        shared("scorefiles/PGS001229_22.txt").to_str().unwrap(),
        "--out",
        "/tmp/never",
    ]);
    assert!(err.contains("/nonexistent/cohort.vcf.gz"), "{err}");
}
