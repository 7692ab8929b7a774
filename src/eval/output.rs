//! The files of `evaluate --out DIR` (ARCHITECTURE.md): `comparison.tsv`, `comparison.md`,
//! `predictions.tsv`, `report.json`, and per outcome `roc_<id>.svg`/`.png` and
//! `calibration_<id>.svg`/`.png`. All are written to temporary names and renamed together.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::baselines::Method;
use super::metrics::{calibration_bins, roc_curve, thin_curve};
use super::{Baselines, EvalCohort, EvalError, Evaluation, OutcomeResult, Protocol, Row};
use crate::plot::{LinePlot, Series, PALETTE};
use crate::util::{fmt_f64, OutputSet};

/// Significance level of the verdicts in `comparison.md`.
pub const ALPHA: f64 = 0.05;
/// Points kept per ROC curve in plots and report.json.
const ROC_POINTS: usize = 400;
/// Bins of the calibration curves (deciles of predicted risk).
const CALIBRATION_BINS: usize = 10;
/// PNG pixels per SVG unit.
const PNG_SCALE: usize = 2;

/// The contract columns of `comparison.tsv` (ARCHITECTURE.md), then this tool's extras.
pub const COMPARISON_COLUMNS: [&str; 16] = [
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
    "n_controls",
    "calibration_slope",
    "calibration_intercept",
    "auc_sd",
    "draws",
    "distribution",
];

/// Where the evaluation's inputs came from, for the reports.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// The genotype file (genomic models) or image folder (imaging models) evaluated.
    pub genotypes: String,
    /// The model directory as given, or `models/default (built in)` for the embedded one.
    pub model: String,
    /// The model's `name` from its `config.json`.
    pub model_name: String,
    /// The phenotype table (genomic) or label table (imaging).
    pub phenotypes: String,
    /// Where the split assignment came from (`Splits::source`).
    pub split_source: String,
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.6}")
    } else {
        "NA".into()
    }
}

fn opt(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.filter(|v| v.is_finite()).map_or_else(|| "NA".into(), f)
}

fn p_value(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.2e}")
    } else {
        format!("{p:.4}")
    }
}

fn distribution(trained: bool) -> &'static str {
    if trained {
        "in"
    } else {
        "out"
    }
}

/// `comparison.tsv`.
pub fn comparison_tsv(eval: &Evaluation) -> String {
    let mut s = COMPARISON_COLUMNS.join("\t");
    s.push('\n');
    for r in &eval.outcomes {
        for row in &r.rows {
            let fields = [
                row.outcome.clone(),
                row.method.as_str().into(),
                row.protocol.as_str().into(),
                num(row.auc),
                num(row.auc_lo),
                num(row.auc_hi),
                opt(row.p_vs_model, |p| format!("{p:.6e}")),
                num(row.auprc),
                num(row.brier),
                row.n_cases.to_string(),
                row.n_controls.to_string(),
                opt(row.calibration_slope, num),
                opt(row.calibration_intercept, num),
                num(row.auc_sd),
                row.draws.to_string(),
                distribution(r.outcome.trained).into(),
            ];
            s.push_str(&fields.join("\t"));
            s.push('\n');
        }
    }
    s
}

/// `predictions.tsv`: `IID outcome method score label`, every method on the full test
/// split, with every digit (so the metrics can be recomputed exactly).
pub fn predictions_tsv(eval: &Evaluation, cohort: &EvalCohort) -> String {
    let mut s = String::from("IID\toutcome\tmethod\tscore\tlabel\n");
    for r in &eval.outcomes {
        for (method, p) in &r.predictions {
            for ((&row, &label), score) in r.test_rows.iter().zip(&r.test_labels).zip(p) {
                let _ = writeln!(
                    s,
                    "{}\t{}\t{}\t{}\t{}",
                    cohort.ids[row],
                    r.outcome.id,
                    method.as_str(),
                    fmt_f64(*score),
                    u8::from(label)
                );
            }
        }
    }
    s
}

/// The row of `method` under `protocol`, if the outcome has it.
pub fn row(r: &OutcomeResult, method: Method, protocol: Protocol) -> Option<&Row> {
    r.rows
        .iter()
        .find(|x| x.method == method && x.protocol == protocol)
}

/// The baseline an outcome's verdict is about: the ensemble for trained outcomes, the
/// correlated-outcome ensemble for zero-shot ones (the paper's comparisons).
pub fn reference_method_for(baselines: Baselines, trained: bool) -> Method {
    match baselines {
        Baselines::Genomic => reference_method(trained),
        Baselines::Image => Method::PixelRidge,
    }
}

/// [`reference_method_for`] the genomic baselines.
pub fn reference_method(trained: bool) -> Method {
    if trained {
        Method::Ensemble
    } else {
        Method::CorrelatedOutcome
    }
}

/// "better", "worse" or "no significant difference" of the model against `baseline`.
pub fn verdict(model: &Row, baseline: &Row) -> &'static str {
    match baseline.p_vs_model {
        Some(p) if p < ALPHA && model.auc > baseline.auc => "model better",
        Some(p) if p < ALPHA => "model worse",
        Some(_) => "no significant difference",
        None => "not tested",
    }
}

fn auc_ci(r: &Row) -> String {
    format!("{:.3} ({:.3}–{:.3})", r.auc, r.auc_lo, r.auc_hi)
}

fn protocol_table(s: &mut String, eval: &Evaluation, protocol: Protocol) {
    for r in &eval.outcomes {
        let rows: Vec<&Row> = r.rows.iter().filter(|x| x.protocol == protocol).collect();
        let Some(first) = rows.first() else {
            continue;
        };
        let _ = writeln!(
            s,
            "\n### {} ({}, {}-distribution): {} cases, {} controls{}\n",
            r.outcome.name,
            r.outcome.id,
            distribution(r.outcome.trained),
            first.n_cases,
            first.n_controls,
            if protocol == Protocol::Balanced {
                format!(" per draw, {} draws", first.draws)
            } else {
                String::new()
            }
        );
        s.push_str("| method | AUROC (95% CI) | p vs model | AUPRC | Brier | calibration slope | calibration intercept |");
        if protocol == Protocol::Balanced {
            s.push_str(" AUROC sd |");
        }
        s.push_str("\n|---|---|---|---|---|---|---|");
        if protocol == Protocol::Balanced {
            s.push_str("---|");
        }
        s.push('\n');
        for x in rows {
            let _ = write!(
                s,
                "| {} | {} | {} | {:.3} | {:.4} | {} | {} |",
                x.method.as_str(),
                auc_ci(x),
                opt(x.p_vs_model, p_value),
                x.auprc,
                x.brier,
                opt(x.calibration_slope, |v| format!("{v:.2}")),
                opt(x.calibration_intercept, |v| format!("{v:.2}")),
            );
            if protocol == Protocol::Balanced {
                let _ = write!(s, " {:.3} |", x.auc_sd);
            }
            s.push('\n');
        }
    }
}

/// `comparison.md`: the verdicts first, then every number, then how baselines were fitted.
pub fn comparison_md(eval: &Evaluation, info: &RunInfo) -> String {
    let mut s = String::new();
    let o = &eval.options;
    let _ = writeln!(
        s,
        "# medgem-prs evaluate: {} against linear baselines\n",
        info.model_name
    );
    let (inputs, labels) = match eval.baselines {
        Baselines::Genomic => ("genotypes", "phenotypes"),
        Baselines::Image => ("images", "labels"),
    };
    let _ = writeln!(
        s,
        "- {inputs}: `{}`\n- model: `{}`\n- {labels}: `{}`\n- splits: {} ({} train, {} validation, {} test samples)\n- balanced protocol: up to {} cases and {} controls per draw, {} seeded draws (seed {}); ridge penalties by {}-fold cross-validation on the train split\n- tool: medgem-prs {}\n",
        info.genotypes,
        info.model,
        info.phenotypes,
        info.split_source,
        eval.n_train,
        eval.n_validation,
        eval.n_test,
        o.balanced,
        o.balanced,
        o.draws,
        o.seed,
        o.folds,
        env!("CARGO_PKG_VERSION"),
    );
    s.push_str(match eval.baselines {
        Baselines::Genomic => "## Verdicts\n\nThe model against the paper's baseline for each outcome: the ensemble of all scores and demographics for in-distribution outcomes, the ensemble of the most correlated in-distribution outcome for out-of-distribution (zero-shot) ones. Paired DeLong test, two-sided, α = 0.05; balanced columns give the mean AUROC over draws and the median p.\n\n",
        Baselines::Image => "## Verdicts\n\nThe model against `pixel_ridge`, ridge logistic regression on the image's patch means (a linear model on a thumbnail), for each finding. Paired DeLong test, two-sided, α = 0.05; balanced columns give the mean AUROC over draws and the median p.\n\n",
    });
    s.push_str("| outcome | dist. | baseline | model AUROC (full) | baseline AUROC (full) | p (full) | verdict (full) | model AUROC (balanced) | baseline AUROC (balanced) | p (balanced) | verdict (balanced) |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    let mut tally: [(usize, usize, usize); 2] = [(0, 0, 0); 2];
    for r in &eval.outcomes {
        let reference = reference_method_for(eval.baselines, r.outcome.trained);
        let mut cells = vec![
            r.outcome.id.clone(),
            distribution(r.outcome.trained).into(),
            reference.as_str().into(),
        ];
        for protocol in [Protocol::Full, Protocol::Balanced] {
            match (row(r, Method::Model, protocol), row(r, reference, protocol)) {
                (Some(m), Some(b)) => {
                    let v = verdict(m, b);
                    if protocol == Protocol::Full {
                        let t = &mut tally[usize::from(!r.outcome.trained)];
                        match v {
                            "model better" => t.0 += 1,
                            "model worse" => t.2 += 1,
                            _ => t.1 += 1,
                        }
                    }
                    cells.extend([auc_ci(m), auc_ci(b), opt(b.p_vs_model, p_value), v.into()]);
                }
                _ => cells.extend(std::iter::repeat_n("NA".to_string(), 4)),
            }
        }
        let _ = writeln!(s, "| {} |", cells.join(" | "));
    }
    let _ = writeln!(
        s,
        "\nOn the full test split the model is significantly better on {} in-distribution outcomes, not significantly different on {}, and worse on {}; against the correlated-outcome baseline on the out-of-distribution outcomes: better on {}, not different on {}, worse on {}.\n",
        tally[0].0, tally[0].1, tally[0].2, tally[1].0, tally[1].1, tally[1].2
    );
    if eval.baselines == Baselines::Genomic {
        s.push_str("For out-of-distribution outcomes, `ensemble`, `single_prs` and `linear_probe` were fitted on that outcome's own training labels, which the model never saw: they are supervised references, not the paper's comparison.\n");
    }
    s.push_str("\n## Full test split\n");
    protocol_table(&mut s, eval, Protocol::Full);
    if eval
        .outcomes
        .iter()
        .any(|r| r.rows.iter().any(|x| x.protocol == Protocol::Balanced))
    {
        s.push_str("\n## Balanced protocol\n\nCases make up half of each draw, far above their prevalence, so the calibration intercepts here measure that shift rather than miscalibration; AUROC, its CI and the p-value are the paper's protocol.\n");
        protocol_table(&mut s, eval, Protocol::Balanced);
    }
    if eval.outcomes.iter().any(|r| r.captured.is_some()) {
        s.push_str("\n## Headroom: the captured fraction\n\n`oracle_form` is the ensemble plus exactly the simulator's interaction terms, built from the same estimated scores and fitted on the train split. Captured fraction = (model − ensemble) / (oracle_form − ensemble) in test AUROC, with a paired bootstrap 95% CI over the test samples.\n\n");
        s.push_str(&headroom_md(eval));
    }
    s.push_str("\n## How the baselines were fitted\n\n| outcome | method | training samples | choice |\n|---|---|---|---|\n");
    for r in &eval.outcomes {
        for (method, fit) in &r.fits {
            let choice = if let Some(why) = &fit.skipped {
                format!("skipped: {why}")
            } else if let Some((other, phi)) = &fit.correlated_with {
                format!("ensemble of `{other}` (phi {phi:.3} on the train split)")
            } else if let Some(score) = &fit.score {
                format!("`{score}` + covariates (best validation AUROC among the thresholds)")
            } else if let Some(t) = &fit.trees {
                format!(
                    "depth {} (least validation deviance of depths {}), {} trees (early stopping on validation)",
                    t.max_depth,
                    t.validation_deviance
                        .iter()
                        .map(|(d, _)| d.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    t.n_trees
                )
            } else if let Some(l) = fit.lambda {
                format!("ridge λ = {l:.0e} ({}-fold CV deviance)", o.folds)
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                r.outcome.id,
                method.as_str(),
                fit.n_train,
                choice
            );
        }
    }
    s
}

fn colour(method: Method) -> [u8; 3] {
    let k = Method::ALL.iter().position(|m| *m == method).unwrap_or(0);
    PALETTE[k % PALETTE.len()]
}

/// ROC curves (thinned) of every method of an outcome, for plots and report.json.
fn roc_curves(r: &OutcomeResult) -> Vec<(Method, Vec<(f64, f64)>)> {
    r.predictions
        .iter()
        .filter_map(|(m, p)| Some((*m, thin_curve(&roc_curve(p, &r.test_labels)?, ROC_POINTS))))
        .collect()
}

fn calibration_curves(r: &OutcomeResult) -> Vec<(Method, Vec<(f64, f64)>)> {
    r.predictions
        .iter()
        .map(|(m, p)| (*m, calibration_bins(p, &r.test_labels, CALIBRATION_BINS)))
        .collect()
}

fn roc_plot(r: &OutcomeResult) -> LinePlot {
    let series = roc_curves(r)
        .into_iter()
        .map(|(m, points)| {
            let label = match row(r, m, Protocol::Full) {
                Some(x) => format!(
                    "{} {:.3} ({:.2}-{:.2})",
                    m.as_str(),
                    x.auc,
                    x.auc_lo,
                    x.auc_hi
                ),
                None => m.as_str().to_string(),
            };
            Series {
                label,
                points,
                color: colour(m),
                markers: false,
                dashed: m == Method::CorrelatedOutcome,
            }
        })
        .collect();
    LinePlot {
        title: format!("ROC: {}, AUROC (95% CI)", r.outcome.id),
        x_label: "False-positive rate".into(),
        y_label: "True-positive rate".into(),
        x_range: (0.0, 1.0),
        y_range: (0.0, 1.0),
        diagonal: true,
        series,
    }
}

fn calibration_plot(r: &OutcomeResult) -> LinePlot {
    let curves = calibration_curves(r);
    let top = curves
        .iter()
        .flat_map(|(_, c)| c.iter().map(|p| p.0.max(p.1)))
        .fold(0.0f64, f64::max);
    let hi = ((top * 10.0).ceil() / 10.0).clamp(0.1, 1.0);
    let series = curves
        .into_iter()
        .map(|(m, points)| {
            let label = match row(r, m, Protocol::Full) {
                Some(x) => format!(
                    "{} slope {}",
                    m.as_str(),
                    opt(x.calibration_slope, |v| format!("{v:.2}"))
                ),
                None => m.as_str().to_string(),
            };
            Series {
                label,
                points,
                color: colour(m),
                markers: true,
                dashed: m == Method::CorrelatedOutcome,
            }
        })
        .collect();
    LinePlot {
        title: format!("Calibration: {}, risk deciles", r.outcome.id),
        x_label: "Predicted probability".into(),
        y_label: "Observed fraction of cases".into(),
        x_range: (0.0, hi),
        y_range: (0.0, hi),
        diagonal: true,
        series,
    }
}

/// `report.json`: inputs, options, every row, how each baseline was fitted, and the curves.
pub fn report_json(eval: &Evaluation, info: &RunInfo) -> serde_json::Value {
    let outcomes: Vec<serde_json::Value> = eval
        .outcomes
        .iter()
        .map(|r| {
            let curves = |c: Vec<(Method, Vec<(f64, f64)>)>| -> serde_json::Value {
                c.into_iter()
                    .map(|(m, p)| (m.as_str().to_string(), json!(p)))
                    .collect::<serde_json::Map<_, _>>()
                    .into()
            };
            json!({
                "id": r.outcome.id,
                "name": r.outcome.name,
                "distribution": distribution(r.outcome.trained),
                "anchors": r.outcome.anchors,
                "baseline": reference_method_for(eval.baselines, r.outcome.trained),
                "fits": r.fits.iter().map(|(m, f)| json!({"method": m, "fit": f})).collect::<Vec<_>>(),
                "rows": r.rows,
                "captured": r.captured,
                "roc": curves(roc_curves(r)),
                "calibration": curves(calibration_curves(r)),
            })
        })
        .collect();
    json!({
        "tool": "medgem-prs",
        "version": env!("CARGO_PKG_VERSION"),
        "inputs": {
            "genotypes": info.genotypes,
            "model": info.model,
            "model_name": info.model_name,
            "phenotypes": info.phenotypes,
            "splits": info.split_source,
        },
        "options": eval.options,
        "samples": {"train": eval.n_train, "validation": eval.n_validation, "test": eval.n_test},
        "alpha": ALPHA,
        "outcomes": outcomes,
    })
}

/// The columns of `headroom.tsv`.
pub const HEADROOM_COLUMNS: [&str; 9] = [
    "outcome",
    "auc_model",
    "auc_ensemble",
    "auc_oracle_form",
    "captured_fraction",
    "captured_lo",
    "captured_hi",
    "resamples",
    "resamples_with_headroom",
];

/// `headroom.tsv`: one line per outcome with a captured fraction (NA where oracle_form has
/// no gain over the ensemble).
pub fn headroom_tsv(eval: &Evaluation) -> String {
    let mut s = HEADROOM_COLUMNS.join("\t") + "\n";
    for r in &eval.outcomes {
        let Some(c) = &r.captured else { continue };
        let na = |v: Option<f64>| v.map_or("NA".to_string(), fmt_f64);
        let _ = writeln!(
            s,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            r.outcome.id,
            fmt_f64(c.auc_model),
            fmt_f64(c.auc_ensemble),
            fmt_f64(c.auc_oracle),
            na(c.fraction),
            na(c.ci.map(|c| c.0)),
            na(c.ci.map(|c| c.1)),
            c.resamples,
            c.resamples_with_headroom
        );
    }
    s
}

fn headroom_md(eval: &Evaluation) -> String {
    let mut s = String::from(
        "| outcome | model | ensemble | oracle_form | captured fraction (95% CI) |\n|---|---|---|---|---|\n",
    );
    let mut fractions = Vec::new();
    for r in &eval.outcomes {
        let Some(c) = &r.captured else { continue };
        let captured = match (c.fraction, c.ci) {
            (Some(f), Some((lo, hi))) => {
                fractions.push(f);
                format!("{f:.2} ({lo:.2} to {hi:.2})")
            }
            (Some(f), None) => {
                fractions.push(f);
                format!("{f:.2}")
            }
            _ => "no headroom (oracle_form ≤ ensemble)".into(),
        };
        let _ = writeln!(
            s,
            "| {} | {:.3} | {:.3} | {:.3} | {captured} |",
            r.outcome.id, c.auc_model, c.auc_ensemble, c.auc_oracle
        );
    }
    if !fractions.is_empty() {
        let _ = writeln!(
            s,
            "\nMean captured fraction over {} outcomes with headroom: {:.2}.",
            fractions.len(),
            fractions.iter().sum::<f64>() / fractions.len() as f64
        );
    }
    s
}

/// A file name piece safe on every file system.
fn file_safe(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes every output into `dir` (created if needed), atomically as a set.
pub fn write(
    eval: &Evaluation,
    cohort: &EvalCohort,
    info: &RunInfo,
    dir: &Path,
) -> Result<Vec<PathBuf>, EvalError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| crate::util::PathIoError { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut files: Vec<(PathBuf, Vec<u8>)> = vec![
        (
            dir.join("comparison.tsv"),
            comparison_tsv(eval).into_bytes(),
        ),
        (
            dir.join("comparison.md"),
            comparison_md(eval, info).into_bytes(),
        ),
        (
            dir.join("predictions.tsv"),
            predictions_tsv(eval, cohort).into_bytes(),
        ),
    ];
    if eval.outcomes.iter().any(|r| r.captured.is_some()) {
        files.push((dir.join("headroom.tsv"), headroom_tsv(eval).into_bytes()));
    }
    files.push((
        dir.join("report.json"),
        (serde_json::to_string_pretty(&report_json(eval, info)).expect("json values") + "\n")
            .into_bytes(),
    ));
    for r in &eval.outcomes {
        let id = file_safe(&r.outcome.id);
        for (name, plot) in [
            (format!("roc_{id}"), roc_plot(r)),
            (format!("calibration_{id}"), calibration_plot(r)),
        ] {
            let png = dir.join(format!("{name}.png"));
            files.push((dir.join(format!("{name}.svg")), plot.to_svg().into_bytes()));
            let bytes = plot.to_png(PNG_SCALE).map_err(io(&png))?;
            files.push((png, bytes));
        }
    }
    let mut set = OutputSet::new();
    for (path, bytes) in &files {
        set.write_with(path, |w| w.write_all(bytes))
            .map_err(io(path))?;
    }
    let written = set.commit().map_err(io(dir))?;
    // A headroom.tsv of an earlier run with --oracle-form would contradict this one.
    let stale = dir.join("headroom.tsv");
    if !written.contains(&stale) {
        match std::fs::remove_file(&stale) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&stale)(e).into()),
            _ => {}
        }
    }
    Ok(written)
}
