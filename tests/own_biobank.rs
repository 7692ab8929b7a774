//! Issue 15: a biobank of one's own. The cohort's traits and outcomes use a vocabulary the
//! simulator never uses — phenocode-like trait ids (`P30780`…) from `panel build
//! --sumstats ID=FILE`, ICD-10-like outcome columns (`I25`…) — and an `outcomes.toml`
//! written by hand (simulate's own is deleted). `train --outcomes`, `predict --model`
//! alone, `score --model` alone with `--query`, and `evaluate` all run; zero-shot columns
//! appear; adding a query leaves the trained outcomes' probabilities unchanged; bad
//! definitions are refused with exit 2, naming the file and the outcome, and write no model.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{run_bad, run_ok, tmp, Table, TINY_MODEL};

/// Simulator outcome id → the id this "biobank" uses.
const OUTCOME_IDS: [(&str, &str); 14] = [
    ("cad", "I25"),
    ("stroke", "I63"),
    ("t2d", "E11"),
    ("glaucoma", "H40"),
    ("copd", "J44"),
    ("ra", "M05"),
    ("mdd", "F32"),
    ("mortality", "DEATH"),
    ("hypertension", "I10"),
    ("hypercholesterolemia", "E78"),
    ("af", "I48"),
    ("diabetic_retinopathy", "H36"),
    ("asthma", "J45"),
    ("pneumonia", "J18"),
];

struct Biobank {
    dir: PathBuf,
    /// Simulator trait id → the biobank's phenocode.
    traits: HashMap<String, String>,
    model: PathBuf,
}

impl Biobank {
    fn path(&self, rel: &str) -> String {
        self.dir.join(rel).display().to_string()
    }
    fn code(&self, sim_trait: &str) -> &str {
        &self.traits[sim_trait]
    }
}

/// Every trait of the simulated panel, in the manifest's order.
fn panel_traits(panel: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(panel.join("manifest.toml")).unwrap();
    let manifest: toml::Value = toml::from_str(&text).unwrap();
    manifest["tile_order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn biobank() -> &'static Biobank {
    static B: OnceLock<Biobank> = OnceLock::new();
    B.get_or_init(|| {
        let sim = tmp("own-sim");
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
            "15",
            "--causal-per-factor",
            "15",
            "--causal-per-trait",
            "8",
            "--causal-per-outcome",
            "8",
            "--formats",
            "bed",
            "--out",
            &s,
            "--quiet",
        ]);
        let dir = tmp("own-biobank");
        std::fs::create_dir_all(&dir).unwrap();
        // Genotypes as they are; the simulator's outcomes.toml, panel and truth stay behind.
        for ext in ["bed", "bim", "fam"] {
            std::fs::copy(
                sim.join(format!("genotypes.{ext}")),
                dir.join(format!("cohort.{ext}")),
            )
            .unwrap();
        }
        // Phenocode-like trait ids, through the user's path: gwas output files named by the
        // biobank's ids, then `panel build --sumstats ID=FILE`.
        let sim_traits = panel_traits(&sim.join("panel"));
        let traits: HashMap<String, String> = sim_traits
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), format!("P{}", 30700 + 10 * i)))
            .collect();
        let discovery = dir.join("discovery.ids");
        let pheno = std::fs::read_to_string(sim.join("phenotypes.tsv")).unwrap();
        let header: Vec<&str> = pheno.lines().next().unwrap().split('\t').collect();
        let split = header.iter().position(|h| *h == "split").unwrap();
        let ids: String = pheno
            .lines()
            .skip(1)
            .filter(|l| l.split('\t').nth(split) == Some("discovery"))
            .map(|l| format!("{}\n", l.split('\t').next().unwrap()))
            .collect();
        std::fs::write(&discovery, ids).unwrap();
        let gwas = dir.join("gwas");
        std::fs::create_dir_all(&gwas).unwrap();
        let mut args: Vec<String> = vec!["panel".into(), "build".into(), "--sumstats".into()];
        for t in &sim_traits {
            let own = gwas.join(format!("ukb_{}.tsv.gz", traits[t]));
            std::fs::copy(sim.join("gwas").join(format!("{t}.tsv.gz")), &own).unwrap();
            args.push(format!("{}={}", traits[t], own.display()));
        }
        args.extend(
            [
                "--ld-ref",
                &format!("{s}/genotypes.bed"),
                "--ld-samples",
                &discovery.display().to_string(),
                "--out",
                &dir.join("panel").display().to_string(),
                "--quiet",
            ]
            .map(String::from),
        );
        run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
        // ICD-10-like outcome columns; the simulator's quantitative trait columns dropped.
        let rename: HashMap<&str, &str> = OUTCOME_IDS.iter().copied().collect();
        let keep: Vec<usize> = header
            .iter()
            .enumerate()
            .filter(|(_, h)| ["IID", "age", "sex", "bmi", "split"].contains(h) || rename.contains_key(*h))
            .map(|(i, _)| i)
            .collect();
        let mut table = String::new();
        for (n, line) in pheno.lines().enumerate() {
            let fields: Vec<&str> = line.split('\t').collect();
            let row: Vec<&str> = keep
                .iter()
                .map(|&i| {
                    if n == 0 {
                        rename.get(fields[i]).copied().unwrap_or(fields[i])
                    } else {
                        fields[i]
                    }
                })
                .collect();
            table.push_str(&row.join("\t"));
            table.push('\n');
        }
        std::fs::write(dir.join("phenotypes.tsv"), table).unwrap();
        let b = Biobank {
            dir,
            traits,
            model: tmp("own-model"),
        };
        // Outcomes by hand, anchors by the biobank's phenocodes and signs only.
        let o = format!(
            "[[outcome]]\nid = \"I25\"\nname = \"Coronary artery disease\"\nanchors = [\"{ldl}\", \"{sbp}\", \"-{hdl}\"]\n\n\
             [[outcome]]\nid = \"E11\"\nname = \"Type 2 diabetes\"\nanchors = [\"{bmi}\", \"{glucose}\"]\n\n\
             [[outcome]]\nid = \"I63\"\nname = \"Stroke\"\nanchors = [\"{sbp}\", \"{ldl}:0.5\"]\n\n\
             [[outcome]]\nid = \"DEATH\"\nname = \"All-cause mortality\"\nanchors = []\n\n\
             [[outcome]]\nid = \"I10\"\nname = \"Essential hypertension\"\ntrained = false\nanchors = [\"{sbp}\"]\nprevalence = 0.2\n",
            ldl = b.code("ldl_c"),
            sbp = b.code("sbp"),
            hdl = b.code("hdl_c"),
            bmi = b.code("bmi"),
            glucose = b.code("glucose"),
        );
        std::fs::write(b.dir.join("outcomes.toml"), o).unwrap();
        let (geno, pheno) = (b.path("cohort.bed"), b.path("phenotypes.tsv"));
        let (outcomes, panel) = (b.path("outcomes.toml"), b.path("panel"));
        let model = b.model.display().to_string();
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
            &model,
            "--quiet",
        ];
        args.extend(TINY_MODEL);
        run_ok(&args);
        b
    })
}

#[test]
fn the_simulator_vocabulary_is_absent() {
    let b = biobank();
    let manifest = std::fs::read_to_string(b.dir.join("panel/manifest.toml")).unwrap();
    assert!(!manifest.contains("ldl_c") && manifest.contains(b.code("ldl_c")));
    let header = std::fs::read_to_string(b.dir.join("phenotypes.tsv")).unwrap();
    let header = header.lines().next().unwrap();
    assert!(
        header.contains("I25") && !header.contains("cad"),
        "{header}"
    );
}

#[test]
fn the_model_directory_carries_its_panel_and_its_outcomes() {
    let b = biobank();
    assert!(b.model.join("panel/manifest.toml").is_file());
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(b.model.join("config.json")).unwrap())
            .unwrap();
    let outcomes = config["outcomes"].as_array().unwrap();
    let ids: Vec<&str> = outcomes.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["I25", "E11", "I63", "DEATH", "I10"]);
    assert_eq!(outcomes[4]["trained"], false);
    assert_eq!(outcomes[4]["prevalence"], 0.2);
    let card = std::fs::read_to_string(b.model.join("MODEL_CARD.md")).unwrap();
    assert!(card.contains("How anchors enter the model"), "{card}");
}

#[test]
fn predict_with_the_model_alone_equals_predict_with_its_panel() {
    let b = biobank();
    let m = b.model.display().to_string();
    let alone = tmp("own-pred-alone.tsv");
    let with = tmp("own-pred-with.tsv");
    let cov = b.path("phenotypes.tsv");
    run_ok(&[
        "predict",
        &b.path("cohort.bed"),
        "--model",
        &m,
        "--covariates",
        &cov,
        "--out",
        &alone.display().to_string(),
        "--quiet",
    ]);
    run_ok(&[
        "predict",
        &b.path("cohort.bed"),
        "--model",
        &m,
        "--panel",
        &b.path("panel"),
        "--covariates",
        &cov,
        "--out",
        &with.display().to_string(),
        "--quiet",
    ]);
    let a = std::fs::read_to_string(&alone).unwrap();
    assert_eq!(a, std::fs::read_to_string(&with).unwrap());
    let header: Vec<&str> = a.lines().next().unwrap().split('\t').collect();
    assert_eq!(header, vec!["IID", "I25", "E11", "I63", "DEATH", "I10"]);
}

#[test]
fn a_zero_shot_query_leaves_every_trained_probability_unchanged() {
    let b = biobank();
    let m = b.model.display().to_string();
    let plain = tmp("own-q-plain.tsv");
    let queried = tmp("own-q-queried.tsv");
    let run = |out: &Path, extra: &[&str]| {
        let o = out.display().to_string();
        let geno = b.path("cohort.bed");
        let mut all: Vec<&str> = vec!["predict", &geno, "--model", &m, "--out", &o, "--quiet"];
        all.extend_from_slice(extra);
        let out = run_ok(&all);
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    run(&plain, &[]);
    let q = format!("J45={},-{}:0.5", b.code("fev1_fvc"), b.code("bmi"));
    run(&queried, &["--query", &q]);
    let (p, q) = (Table::read(&plain), Table::read(&queried));
    assert_eq!(q.header.last().map(String::as_str), Some("J45"));
    for id in ["I25", "E11", "I63", "DEATH", "I10"] {
        assert_eq!(p.f64s(id), q.f64s(id), "{id} changed with a query");
    }
    assert_eq!(p.strings("IID"), q.strings("IID"));
}

#[test]
fn score_with_the_model_alone_and_a_query_writes_the_zero_shot_column() {
    let b = biobank();
    let out = tmp("own-score");
    let q = format!("I48={},{}", b.code("sbp"), b.code("bmi"));
    let o = run_ok(&[
        "score",
        &b.path("cohort.bed"),
        "--model",
        &b.model.display().to_string(),
        "--query",
        &q,
        "--out",
        &out.display().to_string(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("added as zero-shot queries: I48"), "{err}");
    assert!(err.contains("uncalibrated") && err.contains("I48"), "{err}");
    let scores = std::fs::read_to_string(out.join("scores.tsv")).unwrap();
    let header = scores.lines().next().unwrap();
    assert!(
        header.contains("I48") && header.contains("I10") && header.contains("I25"),
        "{header}"
    );
}

#[test]
fn evaluate_compares_trained_and_zero_shot_outcomes() {
    let b = biobank();
    let out = tmp("own-eval");
    let q = format!("E78={},-{}", b.code("ldl_c"), b.code("hdl_c"));
    run_ok(&[
        "evaluate",
        &b.path("cohort.bed"),
        "--model",
        &b.model.display().to_string(),
        "--phenotypes",
        &b.path("phenotypes.tsv"),
        "--query",
        &q,
        "--balanced",
        "0",
        "--out",
        &out.display().to_string(),
        "--quiet",
    ]);
    let t = Table::read(&out.join("comparison.tsv"));
    let rows: Vec<(String, String)> = t
        .rows
        .iter()
        .map(|r| (r[t.col("outcome")].clone(), r[t.col("method")].clone()))
        .collect();
    for id in ["I25", "E11", "I63", "DEATH"] {
        assert!(
            rows.contains(&(id.into(), "ensemble".into())),
            "{id}: {rows:?}"
        );
    }
    for id in ["I10", "E78"] {
        assert!(
            rows.contains(&(id.into(), "model".into())),
            "{id}: {rows:?}"
        );
        assert!(
            rows.contains(&(id.into(), "correlated_outcome".into())),
            "{id}: {rows:?}"
        );
    }
}

#[test]
fn without_outcomes_train_takes_the_tables_binary_columns() {
    let b = biobank();
    let model = tmp("own-model-auto");
    let o = run_ok(&[
        "train",
        &b.path("cohort.bed"),
        "--phenotypes",
        &b.path("phenotypes.tsv"),
        "--panel",
        &b.path("panel"),
        "--out",
        &model.display().to_string(),
        "--epochs",
        "1",
        "--d-model",
        "8",
        "--heads",
        "2",
        "--layers",
        "1",
        "--d-ff",
        "16",
        "--batch-size",
        "256",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no --outcomes: training the 0/1 columns"),
        "{err}"
    );
    assert!(err.contains("I25, I63, E11"), "{err}");
    let config = std::fs::read_to_string(model.join("config.json")).unwrap();
    let config: serde_json::Value = serde_json::from_str(&config).unwrap();
    assert_eq!(config["outcomes"].as_array().unwrap().len(), 14);
}

/// Runs `train` with `outcomes` written to a file, expecting exit 2 and no model.
fn refused_training(name: &str, outcomes: &str, table: Option<&str>) -> String {
    let b = biobank();
    let file = tmp(&format!("own-bad-{name}.toml"));
    std::fs::write(&file, outcomes).unwrap();
    let pheno = match table {
        Some(text) => {
            let p = tmp(&format!("own-bad-{name}.tsv"));
            std::fs::write(&p, text).unwrap();
            p.display().to_string()
        }
        None => b.path("phenotypes.tsv"),
    };
    let model = tmp(&format!("own-bad-model-{name}"));
    let err = run_bad(&[
        "train",
        &b.path("cohort.bed"),
        "--phenotypes",
        &pheno,
        "--outcomes",
        &file.display().to_string(),
        "--panel",
        &b.path("panel"),
        "--out",
        &model.display().to_string(),
        "--epochs",
        "1",
        "--quiet",
    ]);
    assert!(!model.exists(), "{name}: a model was written");
    let parent = model.parent().unwrap();
    let stray: Vec<_> = std::fs::read_dir(parent)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .contains(&format!("own-bad-model-{name}"))
        })
        .collect();
    assert!(stray.is_empty(), "{name}: staging left behind");
    err
}

#[test]
fn bad_outcome_definitions_are_refused_naming_file_and_outcome() {
    let b = biobank();
    let ldl = b.code("ldl_c");
    // An outcome column missing from the table.
    let e = refused_training(
        "missing",
        &format!("[[outcome]]\nid = \"K50\"\nanchors = [\"{ldl}\"]\n"),
        None,
    );
    assert!(e.contains("phenotypes.tsv") && e.contains("'K50'"), "{e}");
    // Labels other than 0/1/NA.
    let pheno = std::fs::read_to_string(b.dir.join("phenotypes.tsv")).unwrap();
    let mut lines: Vec<String> = pheno.lines().map(String::from).collect();
    let header: Vec<&str> = lines[0].split('\t').collect();
    let c = header.iter().position(|h| *h == "I25").unwrap();
    let mut fields: Vec<String> = lines[3].split('\t').map(String::from).collect();
    fields[c] = "2".into();
    let iid = fields[0].clone();
    lines[3] = fields.join("\t");
    let e = refused_training(
        "label",
        &format!("[[outcome]]\nid = \"I25\"\nanchors = [\"{ldl}\"]\n"),
        Some(&(lines.join("\n") + "\n")),
    );
    assert!(
        e.contains("own-bad-label.tsv")
            && e.contains("outcome 'I25'")
            && e.contains(&iid)
            && e.contains("expected 0, 1 or NA"),
        "{e}"
    );
    // An anchor not in the panel (the simulator's name for it).
    let e = refused_training(
        "anchor",
        "[[outcome]]\nid = \"I25\"\nanchors = [\"ldl_c\"]\n",
        None,
    );
    assert!(
        e.contains("own-bad-anchor.toml")
            && e.contains("outcome 'I25'")
            && e.contains("'ldl_c' is not in the panel"),
        "{e}"
    );
    // An empty anchor list for a zero-shot outcome.
    let e = refused_training(
        "empty",
        &format!("[[outcome]]\nid = \"I25\"\nanchors = [\"{ldl}\"]\n[[outcome]]\nid = \"I10\"\ntrained = false\nanchors = []\n"),
        None,
    );
    assert!(
        e.contains("own-bad-empty.toml") && e.contains("'I10' is zero-shot"),
        "{e}"
    );
    // A malformed weight.
    let e = refused_training(
        "weight",
        &format!("[[outcome]]\nid = \"I25\"\nanchors = [\"{ldl}:strong\"]\n"),
        None,
    );
    assert!(
        e.contains("own-bad-weight.toml") && e.contains("outcome 'I25'") && e.contains(":strong"),
        "{e}"
    );
}

#[test]
fn bad_queries_are_refused_before_any_work() {
    let b = biobank();
    let m = b.model.display().to_string();
    let geno = b.path("cohort.bed");
    let out = tmp("own-bad-query.tsv");
    let o = out.display().to_string();
    let ldl = b.code("ldl_c");
    let cases = [
        (format!("J45={ldl},nope"), "'nope' is not in the panel"),
        (format!("I25={ldl}"), "is trained in this model"),
        ("J45=".to_string(), "'J45' is zero-shot"),
        (format!("J45={ldl}:-1"), "positive finite weight"),
        ("J45".to_string(), "expected ID=ANCHOR"),
    ];
    for (q, expected) in &cases {
        let e = run_bad(&["predict", &geno, "--model", &m, "--query", q, "--out", &o]);
        assert!(e.contains(expected), "--query {q}: {e}");
        assert!(!out.exists());
    }
    let e = run_bad(&[
        "predict",
        &geno,
        "--model",
        &m,
        "--query",
        &format!("J45={ldl}"),
        "--query",
        &format!("J45={ldl}"),
        "--out",
        &o,
    ]);
    assert!(e.contains("'J45' is defined twice"), "{e}");
}
