//! The main job's outputs: `scores.tsv`, `report.json` and `report.html` of
//! `medgem-prs score`.
//!
//! [`Scored`] holds what the pipeline computed (linear scores, the reference they are read
//! against, the model's probabilities); [`fn@write`] turns it into the three files, atomically.
//! The column names and JSON keys are a contract with users' scripts (ARCHITECTURE.md, "Outputs
//! that users' scripts and our checks read"), so they only ever gain fields.

pub mod html;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use statrs::function::erf::erfc;
use thiserror::Error;

use crate::encode::image::Images;
use crate::encode::{EncodeError, PanelScores};
use crate::model_dir::{GenomicModelConfig, OutcomeInfo};
use crate::panel::manifest::Manifest;
use crate::score::ScoreSummary;
use crate::util::OutputSet;

/// Version of the layout of `scores.tsv` and `report.json`.
pub const REPORT_FORMAT_VERSION: u32 = 1;

/// Errors of writing the report.
#[derive(Debug, Error)]
pub enum ReportError {
    /// A report file could not be written.
    #[error(transparent)]
    Io(#[from] crate::util::PathIoError),
    /// A `--show-sample` id is not among the scored samples.
    #[error("sample '{0}' (--show-sample) is not in the cohort")]
    UnknownSample(String),
}

/// What the linear scores are compared with to give z and percentiles.
#[derive(Clone, Debug, Serialize)]
pub struct Reference {
    /// `model` (the training split's statistics stored in the model) or `cohort` (this
    /// cohort's own mean and sd, when there is no model).
    pub source: String,
    /// Samples the statistics came from.
    pub n_samples: usize,
    /// One per score column, in [`PanelScores::column_names`] order.
    pub mean: Vec<f64>,
    /// Sample standard deviation (n − 1) per score column; 0 for a constant column, whose z is
    /// then 0.
    pub sd: Vec<f64>,
}

impl Reference {
    /// The cohort's own mean and sample sd per column (the statistics the genomic image is
    /// normalised with, [`crate::encode::image::fit`], over every sample).
    pub fn of_cohort(scores: &PanelScores) -> Result<Reference, EncodeError> {
        let rows: Vec<usize> = (0..scores.n_samples()).collect();
        let stats = crate::encode::image::fit(scores, &rows)?;
        Ok(Reference {
            source: "cohort".into(),
            n_samples: stats.n_samples,
            mean: stats.mean,
            sd: stats.sd,
        })
    }

    /// z of column `k`; 0 where the reference has no spread.
    pub fn z(&self, k: usize, x: f64) -> f64 {
        if self.sd[k] > 0.0 {
            (x - self.mean[k]) / self.sd[k]
        } else {
            0.0
        }
    }
}

/// Percentile (0–100) of `z` under a standard normal reference: a polygenic score is a sum of
/// many small independent terms, so its reference distribution is close to normal.
pub fn percentile(z: f64) -> f64 {
    100.0 * 0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// The model part of a run.
pub struct ModelPart<'a> {
    /// The model's `config.json`: outcomes, prevalences, panel.
    pub config: &'a GenomicModelConfig,
    /// `built in` or the directory given.
    pub label: String,
    /// `n × outcomes`, in `config.model.outcomes` order.
    pub probabilities: Vec<f32>,
    /// The genomic images the model read, one per scored sample (shown for `show_samples`).
    pub images: Images,
    /// Whether age, sex and BMI were given (else the model's missing-value path was used).
    pub covariates: bool,
}

/// Everything `score` computed, ready to be written.
pub struct Scored<'a> {
    /// The genotype file scored, as given.
    pub genotypes: String,
    /// A description of the genotype source: path, format name and sample count
    /// (`report.json`'s `genotypes.description`).
    pub genotype_format: String,
    /// The panel's manifest: name, build, thresholds, traits.
    pub manifest: &'a Manifest,
    /// `panel_sha256` of the panel directory scored.
    pub panel_sha256: String,
    /// Uniform (one value per trait × threshold) linear scores.
    pub scores: PanelScores,
    /// What the scores' z and percentiles are computed against.
    pub reference: Reference,
    /// The model's probabilities and images; `None` when only the panel was scored.
    pub model: Option<ModelPart<'a>>,
    /// Samples whose image and risk profile the HTML report shows.
    pub show_samples: Vec<String>,
    /// The model or panel is the built-in synthetic default.
    pub synthetic_default: bool,
}

/// An outcome's reference prevalence (training prevalence), if the model has one.
pub(crate) fn prevalence(outcome: &OutcomeInfo) -> Option<f64> {
    outcome.train_prevalence.filter(|p| *p > 0.0)
}

impl Scored<'_> {
    pub(crate) fn outcomes(&self) -> Vec<&OutcomeInfo> {
        match &self.model {
            Some(m) => m
                .config
                .model
                .outcomes
                .iter()
                .map(|q| {
                    m.config
                        .outcomes
                        .iter()
                        .find(|o| o.id == q.id)
                        .expect("the model directory's outcomes cover the model's")
                })
                .collect(),
            None => Vec::new(),
        }
    }

    /// `scores.tsv`: IID; per trait × threshold the score, z and percentile; per outcome the
    /// probability and the relative risk against the reference prevalence (NA without one).
    pub fn scores_tsv(&self) -> String {
        let names = self.scores.column_names();
        let outcomes = self.outcomes();
        let mut text = String::from("IID");
        for name in &names {
            let _ = write!(text, "\t{name}\t{name}_z\t{name}_pct");
        }
        for o in &outcomes {
            let _ = write!(text, "\t{0}_probability\t{0}_relative_risk", o.id);
        }
        text.push('\n');
        for (i, id) in self.scores.sample_ids.iter().enumerate() {
            text.push_str(id);
            for (k, &x) in self.scores.row(i).iter().enumerate() {
                let z = self.reference.z(k, x);
                let _ = write!(
                    text,
                    "\t{}\t{z:.4}\t{:.2}",
                    crate::util::fmt_f64(x),
                    percentile(z)
                );
            }
            if let Some(m) = &self.model {
                let n_out = outcomes.len();
                for (o, &p) in outcomes.iter().zip(&m.probabilities[i * n_out..]) {
                    let _ = write!(text, "\t{p:.6}");
                    match prevalence(o) {
                        Some(prev) => {
                            let _ = write!(text, "\t{:.4}", f64::from(p) / prev);
                        }
                        None => text.push_str("\tNA"),
                    }
                }
            }
            text.push('\n');
        }
        text
    }

    /// `report.json`.
    pub fn report_json(&self) -> serde_json::Value {
        let names = self.scores.column_names();
        let n = self.scores.n_samples();
        let columns: Vec<serde_json::Value> = names
            .iter()
            .enumerate()
            .map(|(k, name)| {
                let z: Vec<f64> = (0..n)
                    .map(|i| self.reference.z(k, self.scores.row(i)[k]))
                    .collect();
                serde_json::json!({
                    "column": name,
                    "reference_mean": self.reference.mean[k],
                    "reference_sd": self.reference.sd[k],
                    "cohort_z": summary(&z),
                })
            })
            .collect();
        let outcomes: Vec<serde_json::Value> = match &self.model {
            Some(m) => {
                let list = self.outcomes();
                list.iter()
                    .enumerate()
                    .map(|(o, info)| {
                        let p: Vec<f64> = (0..n)
                            .map(|i| f64::from(m.probabilities[i * list.len() + o]))
                            .collect();
                        serde_json::json!({
                            "id": info.id,
                            "name": info.name,
                            "trained": info.trained,
                            "anchors": info.anchors,
                            "reference_prevalence": prevalence(info),
                            "probability": summary(&p),
                        })
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        serde_json::json!({
            "format_version": REPORT_FORMAT_VERSION,
            "tool": format!("medgem-prs {}", env!("CARGO_PKG_VERSION")),
            "mode": if self.model.is_some() { "model" } else { "linear_only" },
            "synthetic_default": self.synthetic_default,
            "genotypes": { "path": self.genotypes, "description": self.genotype_format, "samples": n },
            "panel": {
                "name": self.manifest.name,
                "sha256": self.panel_sha256,
                "genome_build": self.manifest.genome_build,
                "traits": self.scores.traits,
                "channels": self.scores.channels,
            },
            "model": self.model.as_ref().map(|m| serde_json::json!({
                "name": m.config.name,
                "source": m.label,
                "trained_on": m.config.training.data_description,
                "mean_validation_auc": m.config.metrics.mean_validation_auc,
                "covariates": if m.covariates { "given" } else { "missing: the model's missing-value path was used" },
            })),
            "reference": {
                "source": self.reference.source,
                "samples": self.reference.n_samples,
                "percentiles": "normal approximation of the reference distribution",
            },
            "match": self.scores.summary,
            "scores": columns,
            "outcomes": outcomes,
            "show_samples": self.show_samples,
        })
    }
}

/// Mean, sd and quantiles of a sample of values.
fn summary(values: &[f64]) -> serde_json::Value {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        return serde_json::json!({ "n": 0 });
    }
    let mean = sorted.iter().sum::<f64>() / n as f64;
    let var = sorted.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n.max(2) - 1) as f64;
    let q = |p: f64| sorted[((p * (n - 1) as f64).round() as usize).min(n - 1)];
    serde_json::json!({
        "n": n, "mean": mean, "sd": var.sqrt(), "min": sorted[0], "p05": q(0.05),
        "p25": q(0.25), "median": q(0.5), "p75": q(0.75), "p95": q(0.95), "max": sorted[n - 1],
    })
}

/// The files [`fn@write`] produces in the output directory.
pub const OUTPUT_FILES: [&str; 3] = ["scores.tsv", "report.json", "report.html"];

/// Writes `scores.tsv`, `report.json` and `report.html` into `dir` (created if needed). All
/// three are written to temporary files first and renamed together, so a failure leaves no
/// partial output.
pub fn write(scored: &Scored, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    for id in &scored.show_samples {
        if !scored.scores.sample_ids.contains(id) {
            return Err(ReportError::UnknownSample(id.clone()));
        }
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::Io(crate::util::PathIoError { path, source })
    };
    let tsv = scored.scores_tsv();
    let json = serde_json::to_string_pretty(&scored.report_json()).expect("json values");
    let page = html::render(scored);
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut set = OutputSet::new();
    for (name, text) in OUTPUT_FILES.iter().zip([tsv, json + "\n", page]) {
        let path = dir.join(name);
        set.write_with(&path, |w| std::io::Write::write_all(w, text.as_bytes()))
            .map_err(io(&path))?;
    }
    set.commit().map_err(io(dir))
}

/// Standard base64 (RFC 4648) of `bytes`, for images embedded in the HTML report.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[((v >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Match summaries of the scoring files, for the reports.
pub fn match_rows(summary: &[ScoreSummary]) -> Vec<(String, u64, u64, f64, bool)> {
    summary
        .iter()
        .map(|s| (s.score.clone(), s.n_rows, s.n_matched, s.match_rate, s.pass))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_test_vectors() {
        // RFC 4648, section 10.
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }

    #[test]
    fn percentiles_of_normal_quantiles() {
        assert!((percentile(0.0) - 50.0).abs() < 1e-12);
        assert!((percentile(1.959964) - 97.5).abs() < 1e-4);
        assert!((percentile(-1.644854) - 5.0).abs() < 1e-4);
    }

    #[test]
    fn cohort_reference_standardises_each_column() {
        let scores = PanelScores {
            sample_ids: vec!["a".into(), "b".into(), "c".into()],
            traits: vec!["t".into()],
            channels: vec!["p1".into(), "p2".into()],
            mode: crate::encode::FillMode::Uniform,
            values: vec![1.0, 5.0, 2.0, 5.0, 3.0, 5.0],
            summary: Vec::new(),
        };
        let r = Reference::of_cohort(&scores).unwrap();
        assert_eq!(r.mean, vec![2.0, 5.0]);
        assert_eq!(r.sd, vec![1.0, 0.0]);
        assert_eq!(r.z(0, 3.0), 1.0);
        assert_eq!(r.z(1, 7.0), 0.0, "no spread: z = 0");
    }
}
