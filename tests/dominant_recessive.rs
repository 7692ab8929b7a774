//! Dominant and recessive rows are scored as plink2's `dominant` / `recessive` modifiers
//! define them: dosage d counts as min(d, 1) or max(d - 1, 0), and a missing call as the
//! allele frequency. pgsc_calc runs plink2 once per effect type and adds the sums; this test
//! does the same with plink2 itself and compares every sample.

mod common;

use std::collections::HashMap;
use std::io::Read;
use std::process::Command;

use common::*;

#[test]
fn dominant_and_recessive_equal_plink2() {
    if !have_tool("plink2") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let vcf = shared("pgs/cineca_synthetic_subset.vcf.gz");
    let prefix = d.join("ours");
    run_ok(&[
        "prs",
        vcf.to_str().unwrap(),
        "--scores",
        shared("scorefiles/scorefile_dominant_and_recessive.txt")
            .to_str()
            .unwrap(),
        "--out",
        prefix.to_str().unwrap(),
        "--quiet",
    ]);
    let ours = Table::read(&d.join("ours.sscore"));
    let name = ours.header[4].trim_end_matches("_AVG").to_string();

    // The matched rows, by effect type, keyed by positional ID, from our match log.
    let mut log = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(d.join("ours.match.tsv.gz")).unwrap())
        .read_to_string(&mut log)
        .unwrap();
    let mut lines = log.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let weights =
        std::fs::read_to_string(shared("scorefiles/scorefile_dominant_and_recessive.txt")).unwrap();
    let weight_by_line: HashMap<u64, String> = weights
        .lines()
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l.split('\t').nth(4).unwrap_or("").to_string()))
        .collect();
    let mut per_type: HashMap<String, String> = HashMap::new();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        if f[col("match_status")] != "matched" {
            continue;
        }
        assert_eq!(
            f[col("match_flipped")],
            "false",
            "test assumes no strand flips"
        );
        let line_no: u64 = f[col("line")].parse().unwrap();
        let kind = f[col("effect_type")].to_string();
        *counts.entry(kind.clone()).or_default() += 1;
        per_type.entry(kind).or_default().push_str(&format!(
            "{}\t{}\t{}\n",
            f[col("target_id")],
            f[col("effect_allele")],
            weight_by_line[&line_no]
        ));
    }
    assert!(
        counts["dominant"] > 0 && counts["recessive"] > 0 && counts["additive"] > 0,
        "{counts:?}"
    );

    // plink2, once per effect type, on the same VCF with positional variant IDs.
    let mut total = vec![0.0f64; ours.rows.len()];
    let mut allele_ct = vec![0u64; ours.rows.len()];
    for (kind, rows) in &per_type {
        let score = d.join(format!("{kind}.txt"));
        std::fs::write(&score, format!("ID\tA1\tW\n{rows}")).unwrap();
        let out = d.join(format!("p2_{kind}"));
        let mut args = vec![
            "--vcf".to_string(),
            vcf.display().to_string(),
            "--set-all-var-ids".into(),
            "@:#:$r:$a".into(),
            "--new-id-max-allele-len".into(),
            "1000".into(),
            "--score".into(),
            score.display().to_string(),
            "1".into(),
            "2".into(),
            "3".into(),
            "header".into(),
            "cols=+scoresums,+denom".into(),
        ];
        if kind != "additive" {
            args.push(kind.clone());
        }
        args.extend(["--out".into(), out.display().to_string()]);
        let run = Command::new("plink2").args(&args).output().unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stdout)
        );
        let t = Table::read(&d.join(format!("p2_{kind}.sscore")));
        for (i, v) in t.f64s("SCORE1_SUM").into_iter().enumerate() {
            total[i] += v;
        }
        for (i, v) in t.f64s("ALLELE_CT").into_iter().enumerate() {
            allele_ct[i] += v as u64;
        }
    }
    let sums = ours.f64s(&format!("{name}_SUM"));
    for (i, (a, b)) in sums.iter().zip(&total).enumerate() {
        // plink2 prints 6 significant digits per run; three runs add their rounding.
        assert!(
            (a - b).abs() <= 2e-5 * b.abs().max(1e-2),
            "sample {i}: ours {a}, plink2 {b}"
        );
    }
    let ours_ct: Vec<u64> = ours
        .f64s("ALLELE_CT")
        .into_iter()
        .map(|v| v as u64)
        .collect();
    assert_eq!(ours_ct, allele_ct);
}
