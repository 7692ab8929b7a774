//! `evaluate` end to end: the built-in default model against the linear baselines on the
//! held-out example cohort (examples/data), split 60/15/25 by a `--splits` file.

mod common;

use common::{repo, tmp};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{auc, run_bad, run_ok, Table, TRAINED_OUTCOMES, ZERO_SHOT_OUTCOMES};

const METHODS: [&str; 7] = [
    "model",
    "ensemble",
    "single_prs",
    "linear_probe",
    "ensemble_interactions",
    "gbdt",
    "correlated_outcome",
];

/// An `IID split` file over the example cohort: 60% train, 15% validation, 25% test.
fn splits_file() -> PathBuf {
    let path = tmp("eval-splits.tsv");
    let cohort = Table::read(Path::new(&repo("examples/data/cohort.phenotypes.tsv")));
    let mut text = String::from("IID\tsplit\n");
    for (i, id) in cohort.strings("IID").iter().enumerate() {
        let split = match i % 20 {
            0..=11 => "train",
            12..=14 => "validation",
            _ => "test",
        };
        text.push_str(&format!("{id}\t{split}\n"));
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn evaluate(out: &Path, seed: &str) {
    run_ok(&[
        "evaluate",
        &repo("examples/data/cohort.vcf.gz"),
        "--phenotypes",
        &repo("examples/data/cohort.phenotypes.tsv"),
        "--splits",
        &splits_file().display().to_string(),
        "--balanced",
        "40",
        "--draws",
        "5",
        "--seed",
        seed,
        "--out",
        &out.display().to_string(),
        "--quiet",
    ]);
}

/// One evaluation shared by the tests below.
fn evaluated() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = tmp("eval-default");
        evaluate(&out, "3");
        out
    })
}

#[test]
fn comparison_has_the_contract_columns_and_every_outcome_method_protocol() {
    let dir = evaluated();
    let t = Table::read(&dir.join("comparison.tsv"));
    assert_eq!(
        t.header[..11],
        [
            "outcome",
            "method",
            "protocol",
            "auc",
            "auc_lo",
            "auc_hi",
            "p_vs_model",
            "auprc",
            "brier",
            "n_cases",
            "n_controls"
        ]
    );
    let key = |r: &Vec<String>| (r[0].clone(), r[1].clone(), r[2].clone());
    let rows: HashMap<(String, String, String), &Vec<String>> =
        t.rows.iter().map(|r| (key(r), r)).collect();
    assert_eq!(rows.len(), t.rows.len(), "no duplicate rows");
    for outcome in TRAINED_OUTCOMES.iter().chain(&ZERO_SHOT_OUTCOMES) {
        for protocol in ["full", "balanced"] {
            for method in METHODS {
                let expected =
                    method != "correlated_outcome" || ZERO_SHOT_OUTCOMES.contains(outcome);
                let row = rows.get(&(
                    outcome.to_string(),
                    method.to_string(),
                    protocol.to_string(),
                ));
                assert_eq!(row.is_some(), expected, "{outcome} {method} {protocol}");
                let Some(row) = row else { continue };
                let f = |c: &str| -> f64 { row[t.col(c)].parse().unwrap_or(f64::NAN) };
                assert!(
                    f("auc_lo") <= f("auc") && f("auc") <= f("auc_hi"),
                    "{row:?}"
                );
                assert!((0.0..=1.0).contains(&f("auprc")) && (0.0..=1.0).contains(&f("brier")));
                if method == "model" {
                    assert_eq!(row[t.col("p_vs_model")], "NA");
                } else {
                    assert!((0.0..=1.0).contains(&f("p_vs_model")), "{row:?}");
                }
                if protocol == "balanced" {
                    assert!(f("n_cases") <= 40.0 && f("n_controls") == 40.0, "{row:?}");
                    assert_eq!(f("draws"), 5.0);
                }
            }
        }
    }
}

#[test]
fn auc_in_comparison_equals_auc_recomputed_from_predictions() {
    let dir = evaluated();
    let comparison = Table::read(&dir.join("comparison.tsv"));
    let predictions = Table::read(&dir.join("predictions.tsv"));
    assert_eq!(
        predictions.header,
        ["IID", "outcome", "method", "score", "label"]
    );
    let mut by_key: HashMap<(String, String), (Vec<f64>, Vec<bool>)> = HashMap::new();
    for r in &predictions.rows {
        let e = by_key.entry((r[1].clone(), r[2].clone())).or_default();
        e.0.push(r[3].parse().unwrap());
        e.1.push(r[4] == "1");
    }
    let mut checked = 0;
    for r in &comparison.rows {
        if r[comparison.col("protocol")] != "full" {
            continue;
        }
        let (scores, labels) = &by_key[&(r[0].clone(), r[1].clone())];
        let cases = labels.iter().filter(|&&l| l).count();
        assert_eq!(cases.to_string(), r[comparison.col("n_cases")]);
        assert_eq!(
            (labels.len() - cases).to_string(),
            r[comparison.col("n_controls")]
        );
        let reported: f64 = r[comparison.col("auc")].parse().unwrap();
        let recomputed = auc(scores, labels);
        assert!(
            (reported - recomputed).abs() < 1e-6,
            "{r:?}: recomputed {recomputed}"
        );
        checked += 1;
    }
    assert!(checked >= 14 * 4, "{checked} rows checked");
    // The test split is the 25% of the cohort the splits file says.
    let ids: std::collections::HashSet<&String> = predictions.rows.iter().map(|r| &r[0]).collect();
    assert_eq!(ids.len(), 250);
}

#[test]
fn model_rows_match_predict_on_the_same_samples() {
    // evaluate's model scores are predict's probabilities (covariates from the table).
    let dir = evaluated();
    let out = tmp("eval-predict.tsv");
    run_ok(&[
        "predict",
        &repo("examples/data/cohort.vcf.gz"),
        "--covariates",
        &repo("examples/data/cohort.phenotypes.tsv"),
        "--out",
        &out.display().to_string(),
        "--quiet",
    ]);
    let predicted = Table::read(&out);
    let ids = predicted.strings("IID");
    let cad = predicted.f64s("cad");
    let by_id: HashMap<&String, f64> = ids.iter().zip(cad).collect();
    let predictions = Table::read(&dir.join("predictions.tsv"));
    let mut n = 0;
    for r in &predictions.rows {
        if r[1] == "cad" && r[2] == "model" {
            let p: f64 = r[3].parse().unwrap();
            assert!((p - by_id[&r[0]]).abs() < 1e-5, "{r:?}");
            n += 1;
        }
    }
    assert!(n > 200);
}

#[test]
fn plots_and_reports_are_written() {
    let dir = evaluated();
    for outcome in TRAINED_OUTCOMES.iter().chain(&ZERO_SHOT_OUTCOMES) {
        for kind in ["roc", "calibration"] {
            let svg = std::fs::read_to_string(dir.join(format!("{kind}_{outcome}.svg"))).unwrap();
            assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
            assert!(svg.contains("model"), "legend names the methods");
            let png = std::fs::File::open(dir.join(format!("{kind}_{outcome}.png"))).unwrap();
            let decoder = png::Decoder::new(png);
            let reader = decoder.read_info().unwrap();
            assert!(reader.info().width >= 400 && reader.info().height >= 300);
        }
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["samples"]["test"], 250);
    let outcomes = report["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 14);
    let cad = outcomes.iter().find(|o| o["id"] == "cad").unwrap();
    assert_eq!(cad["baseline"], "ensemble");
    assert!(cad["roc"]["model"].as_array().unwrap().len() > 10);
    let md = std::fs::read_to_string(dir.join("comparison.md")).unwrap();
    assert!(md.contains("## Verdicts") && md.contains("## Balanced protocol"));
}

#[test]
fn balanced_draws_are_reproducible_by_seed() {
    let again = tmp("eval-again");
    // Regression: a headroom.tsv left by an earlier run with --oracle-form is removed by a
    // run without it, so the folder never mixes two runs' results.
    std::fs::create_dir_all(&again).unwrap();
    std::fs::write(again.join("headroom.tsv"), "outcome\tstale\n").unwrap();
    evaluate(&again, "3");
    assert!(
        !again.join("headroom.tsv").exists(),
        "stale headroom.tsv kept"
    );
    let first = std::fs::read_to_string(evaluated().join("comparison.tsv")).unwrap();
    assert_eq!(
        std::fs::read_to_string(again.join("comparison.tsv")).unwrap(),
        first,
        "same seed, same numbers"
    );
    let other = tmp("eval-other-seed");
    evaluate(&other, "4");
    let second = Table::read(&other.join("comparison.tsv"));
    let first = Table::read(&evaluated().join("comparison.tsv"));
    let balanced = |t: &Table| -> Vec<String> {
        t.rows
            .iter()
            .filter(|r| r[2] == "balanced")
            .map(|r| r[3].clone())
            .collect()
    };
    assert_ne!(
        balanced(&first),
        balanced(&second),
        "another seed draws other samples"
    );
}

#[test]
fn bad_labels_are_reported_with_file_and_line_and_leave_no_output() {
    let phenotypes = tmp("eval-bad-pheno.tsv");
    let text = std::fs::read_to_string(repo("examples/data/cohort.phenotypes.tsv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let header: Vec<&str> = lines[0].split('\t').collect();
    let cad = header.iter().position(|h| *h == "cad").unwrap();
    let mut fields: Vec<String> = lines[5].split('\t').map(String::from).collect();
    fields[cad] = "2".into();
    lines[5] = fields.join("\t");
    std::fs::write(&phenotypes, lines.join("\n") + "\n").unwrap();
    let out = tmp("eval-bad-out");
    let err = run_bad(&[
        "evaluate",
        &repo("examples/data/cohort.vcf.gz"),
        "--phenotypes",
        &phenotypes.display().to_string(),
        "--splits",
        &splits_file().display().to_string(),
        "--out",
        &out.display().to_string(),
        "--quiet",
    ]);
    assert!(
        err.contains("eval-bad-pheno") && err.contains("line 6") && err.contains("'cad'"),
        "{err}"
    );
    assert!(!out.exists(), "no output directory after a failure");
}

#[test]
fn a_table_without_a_test_split_is_refused() {
    // The example cohort's table says `test` for every sample: no train split.
    let err = run_bad(&[
        "evaluate",
        &repo("examples/data/cohort.vcf.gz"),
        "--phenotypes",
        &repo("examples/data/cohort.phenotypes.tsv"),
        "--out",
        &tmp("eval-no-train").display().to_string(),
        "--quiet",
    ]);
    assert!(
        err.contains("train and validation splits need samples"),
        "{err}"
    );
    let err = run_bad(&[
        "evaluate",
        &repo("examples/data/cohort.vcf.gz"),
        "--phenotypes",
        &repo("examples/data/cohort.phenotypes.tsv"),
        "--folds",
        "1",
        "--out",
        &tmp("eval-folds").display().to_string(),
    ]);
    assert!(err.contains("--folds"), "{err}");
}
