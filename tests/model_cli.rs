//! `train`, `predict` and `encode` end to end on a small simulated cohort.

mod common;

use common::tmp;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{run_bad, run_ok, TINY_MODEL};

/// A cohort and a tiny model trained on it.
fn trained() -> &'static (PathBuf, PathBuf) {
    static DIRS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    DIRS.get_or_init(|| {
        let sim = tmp("model-sim");
        let model = tmp("model-m");
        let s = sim.display().to_string();
        run_ok(&[
            "simulate",
            "--samples",
            "2500",
            "--variants",
            "2000",
            "--traits",
            "12",
            "--seed",
            "4",
            "--causal-per-factor",
            "15",
            "--causal-per-trait",
            "8",
            "--causal-per-outcome",
            "8",
            "--formats",
            "bed,vcf",
            "--out",
            &s,
            "--quiet",
        ]);
        let m = model.display().to_string();
        let (geno, pheno) = (format!("{s}/genotypes.bed"), format!("{s}/phenotypes.tsv"));
        let (outcomes, panel) = (format!("{s}/outcomes.toml"), format!("{s}/panel"));
        let mut args = vec![
            "train",
            &geno,
            "--phenotypes",
            &pheno,
            "--outcomes",
            &outcomes,
            "--panel",
            &panel,
            "--out",
            &m,
            "--quiet",
            "--data-description",
            "synthetic test cohort",
        ];
        args.extend(TINY_MODEL);
        run_ok(&args);
        (sim, model)
    })
}

fn read(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').map(String::from).collect())
        .collect()
}

#[test]
fn train_writes_config_weights_and_model_card() {
    let (_, model) = trained();
    for f in ["config.json", "model.mpk", "MODEL_CARD.md"] {
        assert!(model.join(f).is_file(), "missing {f}");
    }
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(model.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["panel"]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(config["outcomes"].as_array().unwrap().len(), 14);
    let trained: Vec<&str> = config["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["trained"].as_bool().unwrap())
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(trained, common::TRAINED_OUTCOMES);
    assert!(config["normalization"]["mean"].as_array().unwrap().len() >= 12 * 3);
    assert_eq!(config["training"]["seed"], 42);
    let card = std::fs::read_to_string(model.join("MODEL_CARD.md")).unwrap();
    assert!(card.contains("Not for clinical use") && card.contains("synthetic test cohort"));
}

#[test]
fn predict_gives_one_probability_per_outcome_from_vcf_and_bed_alike() {
    let (sim, model) = trained();
    let m = model.display().to_string();
    let panel = sim.join("panel").display().to_string();
    let cov = sim.join("phenotypes.tsv").display().to_string();
    let mut outs = Vec::new();
    for g in ["genotypes.vcf.gz", "genotypes.bed"] {
        let out = tmp(&format!("pred-{g}.tsv"));
        let o = out.display().to_string();
        let geno = sim.join(g).display().to_string();
        run_ok(&[
            "predict",
            &geno,
            "--model",
            &m,
            "--panel",
            &panel,
            "--covariates",
            &cov,
            "--out",
            &o,
            "--quiet",
        ]);
        outs.push(read(&out));
    }
    let t = &outs[0];
    assert_eq!(t[0][0], "IID");
    assert_eq!(t[0].len(), 15, "{:?}", t[0]);
    assert!(t[0].contains(&"hypertension".to_string()) && t[0].contains(&"pneumonia".to_string()));
    assert_eq!(t.len(), 2501);
    for row in &t[1..] {
        for p in &row[1..] {
            let p: f64 = p.parse().unwrap();
            assert!((0.0..=1.0).contains(&p));
        }
    }
    assert_eq!(
        outs[0], outs[1],
        "VCF and bed of the same cohort must predict the same"
    );
}

#[test]
fn predict_refuses_another_panel() {
    let (sim, model) = trained();
    let other = tmp("other-panel");
    std::fs::create_dir_all(&other).unwrap();
    for e in std::fs::read_dir(sim.join("panel")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), other.join(e.file_name())).unwrap();
    }
    // Same files, one weight changed: a different panel.
    let manifest = std::fs::read_to_string(other.join("manifest.toml")).unwrap();
    std::fs::write(
        other.join("manifest.toml"),
        manifest.replace("name = ", "name = \"x\"\nold_name = "),
    )
    .ok();
    let err = run_bad(&[
        "predict",
        &sim.join("genotypes.bed").display().to_string(),
        "--model",
        &model.display().to_string(),
        "--panel",
        &other.display().to_string(),
        "--out",
        &tmp("refused.tsv").display().to_string(),
    ]);
    assert!(
        err.contains("not the one the model was trained on") || err.contains("manifest"),
        "{err}"
    );
    assert!(!tmp("refused.tsv").exists());
}

#[test]
fn encode_writes_tiles_and_pngs() {
    let (sim, model) = trained();
    let out = tmp("encode.tsv");
    let png = tmp("encode-png");
    run_ok(&[
        "encode",
        &sim.join("genotypes.bed").display().to_string(),
        "--model",
        &model.display().to_string(),
        "--panel",
        &sim.join("panel").display().to_string(),
        "--out",
        &out.display().to_string(),
        "--png",
        &png.display().to_string(),
        "--quiet",
    ]);
    let t = read(&out);
    assert_eq!(t[0].len(), 1 + 12 * 3);
    assert_eq!(t.len(), 2501);
    assert!(png.join("cohort_average.png").is_file());
    assert_eq!(std::fs::read_dir(&png).unwrap().count(), 2501);
}
