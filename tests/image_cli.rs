//! `--modality image` end to end on synthetic radiograph phantoms: `simulate-images`,
//! `train`, `evaluate` and `predict` (PNG and DICOM folders), through the real binary.

mod common;

use common::{run_bad, run_ok, shared, tmp, Table};

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const FINDINGS: [&str; 4] = ["nodule", "effusion", "cardiomegaly", "pneumothorax"];

/// Phantoms, a model trained on them and its evaluation, made once for all tests.
struct Run {
    phantoms: PathBuf,
    model: PathBuf,
    eval: PathBuf,
}

fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let root = tmp("image-cli");
        let _ = std::fs::remove_dir_all(&root);
        let phantoms = root.join("phantoms");
        let model = root.join("model");
        let eval = root.join("eval");
        let s = |p: &Path| p.display().to_string();
        run_ok(&[
            "simulate-images",
            "--count",
            "2000",
            "--size",
            "64",
            "--seed",
            "11",
            "--out",
            &s(&phantoms),
            "--quiet",
        ]);
        run_ok(&[
            "train",
            "--modality",
            "image",
            "--images",
            &s(&phantoms.join("images")),
            "--labels",
            &s(&phantoms.join("labels.tsv")),
            "--out",
            &s(&model),
            "--epochs",
            "24",
            "--lr",
            "3e-3",
            "--patience",
            "5",
            "--quiet",
        ]);
        run_ok(&[
            "evaluate",
            "--modality",
            "image",
            "--model",
            &s(&model),
            "--images",
            &s(&phantoms.join("images")),
            "--labels",
            &s(&phantoms.join("labels.tsv")),
            "--out",
            &s(&eval),
            "--draws",
            "5",
            "--quiet",
        ]);
        Run {
            phantoms,
            model,
            eval,
        }
    })
}

#[test]
fn image_model_reaches_held_out_auc_above_0_95_on_phantoms() {
    let r = run();
    let table = Table::read(&r.eval.join("comparison.tsv"));
    let (outcome, method, protocol) = (
        table.strings("outcome"),
        table.strings("method"),
        table.strings("protocol"),
    );
    let aucs = table.f64s("auc");
    let mut model_aucs = Vec::new();
    for finding in FINDINGS {
        let i = (0..aucs.len())
            .find(|&i| outcome[i] == finding && method[i] == "model" && protocol[i] == "full")
            .unwrap_or_else(|| panic!("no model row for {finding}"));
        eprintln!("{finding}: held-out AUC {:.3}", aucs[i]);
        model_aucs.push(aucs[i]);
        assert!(
            (0..aucs.len()).any(|j| outcome[j] == finding && method[j] == "pixel_ridge"),
            "pixel_ridge baseline for {finding}"
        );
    }
    let mean = model_aucs.iter().sum::<f64>() / model_aucs.len() as f64;
    assert!(mean > 0.95, "mean held-out AUC {mean:.3}: {model_aucs:?}");
    assert!(
        model_aucs.iter().all(|&a| a > 0.8),
        "every finding above 0.8: {model_aucs:?}"
    );
}

#[test]
fn image_model_config_records_how_images_are_prepared() {
    let r = run();
    let text = std::fs::read_to_string(r.model.join("config.json")).unwrap();
    let c: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(c["modality"], "image");
    assert_eq!(c["image"]["size"], 64);
    assert_eq!(c["image"]["channels"], 1);
    assert_eq!(c["model"]["image_kind"], "medical");
    let findings: Vec<&str> = c["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(findings, FINDINGS);
    assert!(c["augmentation"].is_object(), "augmented by default");
    assert!(r.model.join("model.mpk").is_file());
    assert!(r.model.join("MODEL_CARD.md").is_file());
}

#[test]
fn predict_on_a_dicom_folder_matches_the_same_phantoms_as_png() {
    let r = run();
    let root = tmp("image-cli-dicom");
    let _ = std::fs::remove_dir_all(&root);
    let s = |p: &Path| p.display().to_string();
    let (png, dicom) = (root.join("png"), root.join("dicom"));
    for (dir, format) in [(&png, "png"), (&dicom, "dicom")] {
        run_ok(&[
            "simulate-images",
            "--count",
            "24",
            "--size",
            "64",
            "--seed",
            "99",
            "--format",
            format,
            "--out",
            &s(dir),
            "--quiet",
        ]);
    }
    let predict = |images: &Path, out: &Path| {
        run_ok(&[
            "predict",
            "--modality",
            "image",
            "--model",
            &s(&r.model),
            "--images",
            &s(images),
            "--out",
            &s(out),
            "--quiet",
        ]);
        Table::read(out)
    };
    let from_dicom = predict(&dicom.join("images"), &root.join("dicom.tsv"));
    let from_png = predict(&png.join("images"), &root.join("png.tsv"));
    assert_eq!(from_dicom.rows.len(), 24);
    let names = from_dicom.strings("image");
    assert!(names.iter().all(|n| n.ends_with(".dcm")), "{names:?}");
    for finding in FINDINGS {
        let (a, b) = (from_dicom.f64s(finding), from_png.f64s(finding));
        for (x, y) in a.iter().zip(&b) {
            assert!((0.0..=1.0).contains(x));
            assert!((x - y).abs() < 1e-4, "{finding}: dicom {x} vs png {y}");
        }
    }
}

#[test]
fn predict_reads_the_shared_dicom_conformance_files() {
    let r = run();
    let out = tmp("image-cli-shared.tsv");
    run_ok(&[
        "predict",
        "--modality",
        "image",
        "--model",
        &r.model.display().to_string(),
        "--images",
        &shared("dicom").display().to_string(),
        "--out",
        &out.display().to_string(),
        "--quiet",
    ]);
    let t = Table::read(&out);
    assert_eq!(t.strings("image"), ["CT_small.dcm", "MR_small.dcm"]);
}

#[test]
fn bad_labels_name_the_line_and_leave_no_model() {
    let r = run();
    let root = tmp("image-cli-bad");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let labels = root.join("labels.tsv");
    std::fs::write(
        &labels,
        "image\tnodule\nphantom_000001.png\t1\nphantom_000002.png\tmaybe\n",
    )
    .unwrap();
    let out = root.join("model");
    let err = run_bad(&[
        "train",
        "--modality",
        "image",
        "--images",
        &r.phantoms.join("images").display().to_string(),
        "--labels",
        &labels.display().to_string(),
        "--out",
        &out.display().to_string(),
    ]);
    assert!(err.contains("labels.tsv: line 3"), "{err}");
    assert!(err.contains("expected 0, 1 or NA"), "{err}");
    assert!(!out.exists());
}

#[test]
fn a_genomic_model_is_refused_with_modality_image_and_the_other_way_round() {
    let r = run();
    let out = tmp("image-cli-refused.tsv");
    let err = run_bad(&[
        "predict",
        "--modality",
        "image",
        "--model",
        &common::repo("models/default"),
        "--images",
        &r.phantoms.join("images").display().to_string(),
        "--out",
        &out.display().to_string(),
    ]);
    assert!(err.contains("not an imaging model"), "{err}");
    let err = run_bad(&[
        "predict",
        &common::repo("examples/data/cohort.vcf.gz"),
        "--model",
        &r.model.display().to_string(),
        "--out",
        &out.display().to_string(),
    ]);
    assert!(err.contains("imaging model"), "{err}");
    assert!(!out.exists());
}
