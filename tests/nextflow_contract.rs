//! The Nextflow pipeline's contract: examples/nextflow/contract.sh runs every process's
//! script block (scatter by region × sample chunk, merge, encode, predict, gather) without
//! Nextflow; the gathered results must equal single, unsharded runs.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{run_ok, Table};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

#[test]
fn pipeline_script_blocks_reproduce_unsharded_runs() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("nf-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_medgem-prs"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let cohort = repo("examples/data/cohort.vcf.gz");
    // All 22 chromosomes × 3 sample chunks (1,000 samples in chunks of 400).
    let status = Command::new("bash")
        .arg(repo("examples/nextflow/contract.sh"))
        .arg(&cohort)
        .arg(&out)
        .arg(
            (1..=22)
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(","),
        )
        .arg("400")
        .env("PATH", path)
        .status()
        .unwrap();
    assert!(status.success(), "contract.sh failed");
    assert_eq!(
        std::fs::read_dir(out.join("work/samples")).unwrap().count(),
        4,
        "genotypes link + 3 chunk files"
    );

    // Linear scores: the merged shards equal one prs run over the whole cohort.
    let single = out.join("single");
    let mut args = vec![
        "prs".to_string(),
        cohort.display().to_string(),
        "--out".into(),
        single.display().to_string(),
        "--quiet".into(),
        "--scores".into(),
    ];
    let mut files: Vec<String> = std::fs::read_dir(repo("panels/default"))
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with(".txt.gz"))
        .collect();
    files.sort();
    args.extend(files);
    run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let merged = Table::read(&out.join("cohort.sscore"));
    let whole = Table::read(&with_suffix(&single, ".sscore"));
    assert_eq!(merged.strings("#IID"), whole.strings("#IID"));
    let sums: Vec<&String> = whole
        .header
        .iter()
        .filter(|h| h.ends_with("_SUM"))
        .collect();
    assert_eq!(
        sums.len(),
        1 + 144,
        "NAMED_ALLELE_DOSAGE_SUM and 48 traits × 3 thresholds"
    );
    for name in sums {
        for (a, b) in merged.f64s(name).iter().zip(whole.f64s(name)) {
            assert!((a - b).abs() < 1e-9 * (1.0 + b.abs()), "{name}: {a} vs {b}");
        }
    }

    // Predictions: the gathered chunks equal one predict run.
    let predictions = out.join("single.predictions.tsv");
    run_ok(&[
        "predict",
        cohort.to_str().unwrap(),
        "--out",
        predictions.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(
        std::fs::read_to_string(out.join("cohort.predictions.tsv")).unwrap(),
        std::fs::read_to_string(&predictions).unwrap()
    );
    let images = Table::read(&out.join("cohort.images.tsv"));
    assert_eq!(images.rows.len(), 1000);
    assert_eq!(images.header.len(), 1 + 48 * 3);
}

fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut s = prefix.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}
