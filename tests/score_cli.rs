//! `score`, the main job, end to end: the built-in default on the example cohort, the
//! linear-only mode, VCF against BGEN, the HTML report in headless Chromium, bad input.

mod common;

use common::repo;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{have_tool, run_bad, run_ok, Table};

fn tmp(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    p
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn default_score_writes_scores_json_and_html() {
    let out = tmp("score-default");
    let o = out.display().to_string();
    run_ok(&[
        "score",
        &repo("examples/data/cohort.vcf.gz"),
        "--covariates",
        &repo("examples/data/cohort.phenotypes.tsv"),
        "--show-sample",
        "S000034",
        "--out",
        &o,
        "--quiet",
    ]);
    let t = Table::read(&out.join("scores.tsv"));
    // IID + 48 traits × 3 thresholds × (score, z, pct) + 14 outcomes × (probability, RR).
    assert_eq!(
        t.header.len(),
        1 + 48 * 3 * 3 + 14 * 2,
        "{:?}",
        &t.header[..5]
    );
    assert_eq!(t.rows.len(), 1000);
    let report = json(&out.join("report.json"));
    assert_eq!(report["mode"], "model");
    assert_eq!(report["synthetic_default"], true);
    assert_eq!(report["genotypes"]["samples"], 1000);
    assert_eq!(report["model"]["covariates"], "given");
    // z is (score - reference mean) / reference sd, and the percentile is its normal CDF.
    let ldl = report["scores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"] == "ldl_c_p1e-3")
        .unwrap();
    let (mean, sd) = (
        ldl["reference_mean"].as_f64().unwrap(),
        ldl["reference_sd"].as_f64().unwrap(),
    );
    for ((x, z), pct) in t
        .f64s("ldl_c_p1e-3")
        .iter()
        .zip(t.f64s("ldl_c_p1e-3_z"))
        .zip(t.f64s("ldl_c_p1e-3_pct"))
    {
        assert!(((x - mean) / sd - z).abs() < 1e-3, "{x} {z}");
        assert!((0.0..=100.0).contains(&pct));
        assert_eq!(z > 0.0, pct > 50.0);
    }
    // Relative risk = probability / reference prevalence; NA for zero-shot outcomes.
    for outcome in report["outcomes"].as_array().unwrap() {
        let id = outcome["id"].as_str().unwrap();
        let p = t.f64s(&format!("{id}_probability"));
        assert!(p.iter().all(|v| (0.0..=1.0).contains(v)), "{id}");
        let rr = t.strings(&format!("{id}_relative_risk"));
        match outcome["reference_prevalence"].as_f64() {
            Some(prev) => {
                for (p, rr) in p.iter().zip(&rr) {
                    let rr: f64 = rr.parse().unwrap();
                    assert!(
                        (rr - p / prev).abs() < 1e-3 * (1.0 + rr),
                        "{id}: {rr} vs {p}/{prev}"
                    );
                }
            }
            None => assert!(rr.iter().all(|v| v == "NA"), "{id}"),
        }
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for needed in [
        "Sample S000034",
        "data:image/png;base64,",
        "synthetic data",
        "Variant matching",
        "Risk distributions",
        "Cohort-average genomic image",
    ] {
        assert!(html.contains(needed), "report.html lacks {needed:?}");
    }
    assert!(!html.contains("<script"), "the page is static");
}

#[test]
fn panel_without_model_reports_linear_scores_only() {
    let out = tmp("score-linear");
    let o = out.display().to_string();
    let output = run_ok(&[
        "score",
        &repo("examples/data/cohort.vcf.gz"),
        "--panel",
        &repo("panels/default"),
        "--out",
        &o,
    ]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("linear scores only"));
    let t = Table::read(&out.join("scores.tsv"));
    assert_eq!(t.header.len(), 1 + 48 * 3 * 3);
    assert!(!t.header.iter().any(|h| h.ends_with("_probability")));
    // Against the cohort itself, each column's z has mean 0.
    let z = t.f64s("bmi_p1e-3_z");
    assert!((z.iter().sum::<f64>() / z.len() as f64).abs() < 1e-3);
    let report = json(&out.join("report.json"));
    assert_eq!(report["mode"], "linear_only");
    assert_eq!(report["reference"]["source"], "cohort");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Linear scores only"));
}

#[test]
fn bgen_and_vcf_of_the_same_cohort_give_the_same_scores() {
    if !have_tool("plink2") {
        return;
    }
    let work = tmp("score-bgen");
    std::fs::create_dir_all(&work).unwrap();
    let prefix = work.join("cohort").display().to_string();
    // plink2 keeps the VCF sample IDs as IIDs; 16-bit probabilities hold hard calls exactly.
    let status = Command::new("plink2")
        .args(["--vcf", &repo("examples/data/cohort.vcf.gz"), "--export"])
        .args(["bgen-1.2", "bits=16", "--out", &prefix, "--silent"])
        .status()
        .unwrap();
    assert!(status.success());
    let mut tables = Vec::new();
    for (input, extra) in [
        (repo("examples/data/cohort.vcf.gz"), vec![]),
        (
            format!("{prefix}.bgen"),
            vec!["--sample".to_string(), format!("{prefix}.sample")],
        ),
    ] {
        let out = work.join(format!("out-{}", tables.len()));
        let o = out.display().to_string();
        let mut args = vec!["score", input.as_str(), "--out", &o, "--quiet"];
        args.extend(extra.iter().map(String::as_str));
        run_ok(&args);
        tables.push(Table::read(&out.join("scores.tsv")));
    }
    let (vcf, bgen) = (&tables[0], &tables[1]);
    assert_eq!(vcf.header, bgen.header);
    assert_eq!(vcf.strings("IID"), bgen.strings("IID"));
    for name in &vcf.header[1..] {
        for (a, b) in vcf.strings(name).iter().zip(bgen.strings(name)) {
            if a == "NA" || b == "NA" {
                assert_eq!(a, &b, "{name}");
                continue;
            }
            let (a, b): (f64, f64) = (a.parse().unwrap(), b.parse().unwrap());
            assert!(
                (a - b).abs() <= 1e-6 * (1.0 + a.abs()) + 1e-4,
                "{name}: VCF {a} vs BGEN {b}"
            );
        }
    }
}

/// Renders report.html in headless Chromium and checks the screenshot is a real page.
#[test]
fn report_html_renders_in_headless_chromium() {
    if !have_tool("chromium") {
        return;
    }
    let out = tmp("score-html");
    let o = out.display().to_string();
    run_ok(&[
        "score",
        &repo("examples/data/cohort.vcf.gz"),
        "--show-sample",
        "S000034",
        "--out",
        &o,
        "--quiet",
    ]);
    let shot = out.join("screenshot.png");
    let profile = out.join("chromium-profile");
    let status = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1200,1800",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", out.join("report.html").display()))
        .status()
        .unwrap();
    assert!(status.success(), "chromium failed");
    let decoder = png::Decoder::new(std::fs::File::open(&shot).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (1200, 1800));
    let channels = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    let white = pixels
        .iter()
        .filter(|p| p[..3].iter().all(|&v| v > 245))
        .count();
    let mut colours: Vec<[u8; 3]> = pixels.iter().map(|p| [p[0], p[1], p[2]]).collect();
    colours.sort_unstable();
    colours.dedup();
    let inked = 1.0 - white as f64 / pixels.len() as f64;
    // Text, tables, histograms and the banner: a blank or failed page is all one colour.
    assert!(
        inked > 0.03,
        "only {:.1}% of the page is not white",
        100.0 * inked
    );
    assert!(colours.len() > 50, "{} colours", colours.len());
}

#[test]
fn bad_input_fails_with_exit_2_and_writes_nothing() {
    let out = tmp("score-bad");
    let o = out.display().to_string();
    let err = run_bad(&["score", "no/such/cohort.vcf.gz", "--out", &o]);
    assert!(err.contains("no/such/cohort.vcf.gz"), "{err}");
    assert!(!out.join("scores.tsv").exists());
    let err = run_bad(&[
        "score",
        &repo("examples/data/cohort.vcf.gz"),
        "--show-sample",
        "nobody",
        "--out",
        &o,
        "--quiet",
    ]);
    assert!(err.contains("nobody"), "{err}");
    assert!(!out.join("scores.tsv").exists() && !out.join("report.html").exists());
    // A panel other than the model's is refused (the model alone is enough: it carries
    // its own panel, issue 15).
    let other = tmp("score-other-panel");
    std::fs::create_dir_all(&other).unwrap();
    for e in std::fs::read_dir(repo("models/default/panel")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), other.join(e.file_name())).unwrap();
    }
    let m = std::fs::read_to_string(other.join("manifest.toml")).unwrap();
    std::fs::write(other.join("manifest.toml"), m + "\n").unwrap();
    let err = run_bad(&[
        "score",
        &repo("examples/data/cohort.vcf.gz"),
        "--model",
        &repo("models/default"),
        "--panel",
        &other.display().to_string(),
        "--out",
        &o,
    ]);
    assert!(
        err.contains("not the one the model was trained on"),
        "{err}"
    );
    assert!(!out.join("scores.tsv").exists());
}
