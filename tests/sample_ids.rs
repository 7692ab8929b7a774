//! Sample-ID list files (`prs --samples`, like `gwas --keep` and `panel build --ld-samples`)
//! follow plink2's `--keep` rule: one column is the IID, two or more are `FID IID ...`.
//!
//! Regression: `prs --samples` used to take the first column of a `FID IID` file, so it
//! looked for the family IDs among the genotype file's samples.

mod common;

use std::path::{Path, PathBuf};

use common::*;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A VCF with samples s1, s2 and s3 at two sites, and a score on both.
fn cohort(dir: &Path) -> (PathBuf, PathBuf) {
    let vcf = write(
        dir,
        "cohort.vcf",
        "##fileformat=VCFv4.2\n##contig=<ID=1,length=249250621>\n\
         ##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts1\ts2\ts3\n\
         1\t100\trs1\tA\tG\t.\tPASS\t.\tGT\t0/1\t1/1\t0/0\n\
         1\t200\trs2\tT\tC\t.\tPASS\t.\tGT\t1/1\t0/1\t0/1\n",
    );
    let score = write(
        dir,
        "score.txt",
        "#pgs_id=T1\n#genome_build=GRCh37\n\
         chr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\n\
         1\t100\tG\tA\t0.5\n1\t200\tC\tT\t-0.25\n",
    );
    (vcf, score)
}

/// Runs `prs --samples LIST` and returns the .sscore table.
fn prs_with_samples(vcf: &Path, score: &Path, list: &Path, out: &Path) -> Table {
    run_ok(&[
        "prs",
        &vcf.display().to_string(),
        "--scores",
        &score.display().to_string(),
        "--samples",
        &list.display().to_string(),
        "--out",
        &out.display().to_string(),
        "--quiet",
    ]);
    Table::read(&PathBuf::from(format!("{}.sscore", out.display())))
}

#[test]
fn prs_samples_file_with_fid_iid_columns_scores_the_iids() {
    let dir = tempfile::tempdir().unwrap();
    let (vcf, score) = cohort(dir.path());
    let iids = write(dir.path(), "iids.txt", "s3\ns1\n");
    let by_iid = prs_with_samples(&vcf, &score, &iids, &dir.path().join("by_iid"));
    let mut scored = by_iid.strings("#IID");
    scored.sort();
    assert_eq!(scored, ["s1", "s3"]);

    // The same samples as plink2 --keep files: FID IID, with and without a header line.
    for (name, text) in [
        ("hash_header.txt", "#FID\tIID\nfam3\ts3\nfam1\ts1\n"),
        ("plain_header.txt", "FID IID\nfam3 s3\nfam1 s1\n"),
        ("no_header.txt", "fam3 s3 0 0\nfam1 s1 0 0\n"),
    ] {
        let list = write(dir.path(), name, text);
        let t = prs_with_samples(&vcf, &score, &list, &dir.path().join(name));
        assert_eq!(t.header, by_iid.header, "{name}");
        assert_eq!(t.rows, by_iid.rows, "{name}: scores the IIDs, not the FIDs");
    }
}

#[test]
fn a_samples_file_without_ids_names_the_file_and_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let (vcf, score) = cohort(dir.path());
    let list = write(dir.path(), "header_only.txt", "#FID IID\n");
    let err = run_bad(&[
        "prs",
        &vcf.display().to_string(),
        "--scores",
        &score.display().to_string(),
        "--samples",
        &list.display().to_string(),
        "--out",
        &dir.path().join("never").display().to_string(),
    ]);
    assert!(
        err.contains("header_only.txt")
            && err.contains("--samples")
            && err.contains("no sample ids"),
        "{err}"
    );
}
