//! Conformance with plink2's own `--score` output on the PGS Catalog Calculator's synthetic
//! chr22 cohort (../shared/data/pgs, see its README): 2,504 samples written `FID_IID`,
//! PGS001229 (height, chr22 part) and its duplicate-test file.

mod common;

use std::collections::HashMap;
use std::io::Read;

use common::*;

/// plink2 prints scores with `%g`-like 6 significant digits; ours keep every digit.
/// Two values agree when ours, printed like plink2's, gives plink2's text, or when they
/// differ by less than 1e-6 relative (ties at a rounding boundary).
fn agrees(ours: f64, plink2_text: &str) -> bool {
    let theirs: f64 = plink2_text.parse().unwrap();
    if rel_diff(ours, theirs) <= 1e-6 {
        return true;
    }
    // Half a unit in plink2's sixth significant digit.
    let magnitude = theirs.abs().log10().floor();
    let half_unit = 0.5 * 10f64.powf(magnitude - 5.0);
    (ours - theirs).abs() <= half_unit * (1.0 + 1e-9)
}

/// Independently of the library: the ALT dosage of every sample at one VCF line, `None`
/// for a missing call.
fn alt_dosages(vcf_gz: &std::path::Path, pos: &str) -> (Vec<String>, Vec<Option<f64>>) {
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(vcf_gz).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let header = text.lines().find(|l| l.starts_with("#CHROM")).unwrap();
    let samples: Vec<String> = header.split('\t').skip(9).map(String::from).collect();
    let line = text
        .lines()
        .find(|l| l.split('\t').nth(1) == Some(pos))
        .unwrap();
    let doses = line
        .split('\t')
        .skip(9)
        .map(|gt| {
            let alleles: Vec<&str> = gt.split(['/', '|']).collect();
            if alleles.contains(&".") {
                None
            } else {
                Some(alleles.iter().filter(|a| **a == "1").count() as f64)
            }
        })
        .collect();
    (samples, doses)
}

#[test]
fn cineca_scores_equal_plink2() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("cineca");
    let vcf = shared("pgs/cineca_synthetic_subset.vcf.gz");
    run_ok(&[
        "prs",
        vcf.to_str().unwrap(),
        "--scores",
        shared("scorefiles/PGS001229_22.txt").to_str().unwrap(),
        shared("scorefiles/PGS001229_22_duplicate.txt")
            .to_str()
            .unwrap(),
        "--out",
        prefix.to_str().unwrap(),
        "--id-delim",
        "_",
        "--quiet",
    ]);
    let ours = Table::read(&prefix.with_extension("sscore"));
    let theirs = Table::read(&shared("pgs/cineca_22_additive_0.sscore"));
    assert_eq!(ours.rows.len(), 2504);
    assert_eq!(ours.strings("#FID"), theirs.strings("#FID"));
    assert_eq!(ours.strings("IID"), theirs.strings("IID"));
    assert_eq!(ours.strings("ALLELE_CT"), theirs.strings("ALLELE_CT"));
    assert_eq!(ours.strings("DENOM"), theirs.strings("DENOM"));

    // PGS001229: every variant is in plink2's additive_0 file, so SUM and AVG agree.
    let (c_sum, c_avg) = (theirs.col("PGS001229_SUM"), theirs.col("PGS001229_AVG"));
    for (i, (s, a)) in ours
        .f64s("PGS001229_SUM")
        .into_iter()
        .zip(ours.f64s("PGS001229_AVG"))
        .enumerate()
    {
        assert!(
            agrees(s, &theirs.rows[i][c_sum]),
            "sample {i}: SUM {s} vs plink2 {}",
            theirs.rows[i][c_sum]
        );
        assert!(
            agrees(a, &theirs.rows[i][c_avg]),
            "sample {i}: AVG {a} vs plink2 {}",
            theirs.rows[i][c_avg]
        );
    }

    // duplicatetest names allele A at 22:17080378, where PGS001229 names G. pgsc_calc
    // cannot put both in one plink2 file, so it moved that row to a second file
    // (additive_1, not shipped). We score both in one pass; the difference from plink2's
    // additive_0 must be exactly that row: 0.01045457 x dosage(A), imputed 2 x freq(A)
    // where missing.
    let (samples, dose) = alt_dosages(&vcf, "17080378");
    assert_eq!(samples.len(), 2504);
    let observed: Vec<f64> = dose.iter().flatten().copied().collect();
    let freq_a = observed.iter().sum::<f64>() / (2.0 * observed.len() as f64);
    let weight = 1.045457e-02;
    let (d_sum, d_avg) = (
        theirs.col("duplicatetest_SUM"),
        theirs.col("duplicatetest_AVG"),
    );
    let denom = ours.f64s("DENOM");
    let named_ours = ours.f64s("NAMED_ALLELE_DOSAGE_SUM");
    let named_theirs = theirs.f64s("NAMED_ALLELE_DOSAGE_SUM");
    for (i, s) in ours.f64s("duplicatetest_SUM").into_iter().enumerate() {
        let extra = weight * dose[i].unwrap_or(2.0 * freq_a);
        let plink_sum: f64 = theirs.rows[i][d_sum].parse().unwrap();
        let plink_avg: f64 = theirs.rows[i][d_avg].parse().unwrap();
        let expected = plink_sum + extra;
        assert!(
            (s - expected).abs() <= 5e-6 * plink_sum.abs().max(1e-3),
            "sample {i}: duplicatetest SUM {s}, plink2 {plink_sum} + {extra}"
        );
        let expected_avg = plink_avg + extra / denom[i];
        assert!((s / denom[i] - expected_avg).abs() <= 5e-6 * plink_avg.abs().max(1e-6));
        // The extra (variant, allele) row also adds its observed dosage to the named sum.
        assert_eq!(
            named_ours[i],
            named_theirs[i] + dose[i].unwrap_or(0.0),
            "sample {i}"
        );
    }

    // The variants used are plink2's, in the same order.
    let ours_vars = std::fs::read_to_string(prefix.with_extension("sscore.vars")).unwrap();
    let theirs_vars =
        std::fs::read_to_string(shared("pgs/cineca_22_additive_0.sscore.vars")).unwrap();
    assert_eq!(
        ours_vars.lines().collect::<Vec<_>>(),
        theirs_vars.lines().collect::<Vec<_>>()
    );

    // The match log has one line per candidate and the summary counts add up.
    let summary = Table::read(&prefix.with_extension("summary.tsv"));
    let by_score: HashMap<String, Vec<String>> = summary
        .rows
        .iter()
        .map(|r| (r[0].clone(), r.clone()))
        .collect();
    let pgs = &by_score["PGS001229"];
    assert_eq!(pgs[summary.col("n_rows")], "835");
    assert_eq!(pgs[summary.col("n_matched")], "782");
    assert_eq!(by_score["duplicatetest"][summary.col("n_matched")], "8");
}
