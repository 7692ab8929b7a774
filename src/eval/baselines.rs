//! The linear baselines the transformer is compared with, all fitted on the train split,
//! with their choices tuned on the train split by cross-validation (λ) or on the
//! validation split (the single score's threshold).
//!
//! * `ensemble`: ridge logistic regression on every trait × threshold score plus the
//!   demographics — the multi-PGS approach, the paper's main benchmark ("ensemble of PRSs
//!   and demographics").
//! * `single_prs`: logistic regression on one score, the outcome's leading anchor trait at
//!   its best threshold, plus the demographics: the classical one-PRS analysis.
//! * `linear_probe`: ridge logistic regression on the frozen transformer's pooled embedding.
//! * `correlated_outcome`: for an outcome the model never trained on, the ensemble of the
//!   in-distribution outcome whose labels correlate most with it on the train split (the
//!   paper's out-of-distribution baseline).

use serde::Serialize;

use super::logistic::{
    cross_validate, fit_logistic, lambda_grid, FitError, LogisticModel, Matrix, Standardiser,
};
use super::metrics::DeLong;
use super::{EvalCohort, EvalOptions, Split};

/// Penalty used when an unpenalised fit fails (separation), small enough to leave a
/// well-posed fit unchanged to many digits.
const FALLBACK_LAMBDA: f64 = 1e-6;

/// The comparison's methods, in output order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The transformer's own probabilities (the row every baseline is tested against).
    Model,
    /// Ridge logistic regression on every trait × threshold score plus the covariates.
    Ensemble,
    /// Logistic regression on the leading anchor trait's score at its best threshold
    /// (by validation AUC), plus the covariates.
    SinglePrs,
    /// Ridge logistic regression on the frozen model's pooled embedding.
    LinearProbe,
    /// Zero-shot outcomes: the ensemble of the in-distribution outcome whose train labels
    /// correlate most (phi) with this one.
    CorrelatedOutcome,
    /// Imaging models: ridge logistic regression on the image's patch means.
    PixelRidge,
}

impl Method {
    /// Every method, in output order.
    pub const ALL: [Method; 6] = [
        Method::Model,
        Method::Ensemble,
        Method::SinglePrs,
        Method::LinearProbe,
        Method::CorrelatedOutcome,
        Method::PixelRidge,
    ];

    /// The name in `comparison.tsv` and `predictions.tsv` (ARCHITECTURE.md).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Model => "model",
            Method::Ensemble => "ensemble",
            Method::SinglePrs => "single_prs",
            Method::LinearProbe => "linear_probe",
            Method::CorrelatedOutcome => "correlated_outcome",
            Method::PixelRidge => "pixel_ridge",
        }
    }
}

/// How a baseline was fitted, for report.json and comparison.md.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FitInfo {
    /// The chosen ridge penalty, per sample.
    pub lambda: Option<f64>,
    /// Cross-validation: (λ, mean held-out deviance) over the grid.
    pub cv: Vec<(f64, f64)>,
    /// `single_prs`: the score column used, e.g. `ldl_c_p1e-5`.
    pub score: Option<String>,
    /// `single_prs`: validation AUC of each threshold's fit.
    pub validation_auc: Vec<(String, Option<f64>)>,
    /// `correlated_outcome`: the in-distribution outcome used and its correlation (phi)
    /// with this one on the train split.
    pub correlated_with: Option<(String, f64)>,
    /// Training samples with a label.
    pub n_train: usize,
    /// Why the method is missing, when it is.
    pub skipped: Option<String>,
}

/// A fitted method's probabilities for every sample of the cohort.
pub struct Fitted {
    /// Probability of each cohort row (every split, in cohort order); empty when skipped.
    pub probabilities: Vec<f64>,
    /// How the method was fitted, or why it was skipped.
    pub info: FitInfo,
}

/// Rows of `split` whose label for outcome `o` is known, and those labels (1/0).
pub(super) fn labelled(cohort: &EvalCohort, o: usize, split: Split) -> (Vec<usize>, Vec<f64>) {
    let rows: Vec<usize> = (0..cohort.ids.len())
        .filter(|&i| cohort.split[i] == split && cohort.labels[o][i].is_some())
        .collect();
    let y = rows
        .iter()
        .map(|&i| f64::from(u8::from(cohort.labels[o][i] == Some(true))))
        .collect();
    (rows, y)
}

/// Standardises `x` with the train rows' means and sds.
fn standardised(x: Matrix, train: &[usize]) -> Matrix {
    let mut x = x;
    Standardiser::fit(&x, train).apply(&mut x);
    x
}

/// Ridge logistic regression with λ by cross-validation on `train`, refitted on all of it.
fn ridge_cv(
    x: &Matrix,
    train: &[usize],
    y: &[f64],
    options: &EvalOptions,
) -> Result<(LogisticModel, Vec<(f64, f64)>), FitError> {
    let xt = x.rows(train);
    let cv = cross_validate(&xt, y, &lambda_grid(), options.folds, options.seed);
    let model = fit_logistic(&xt, y, None, cv.best, None)?;
    Ok((model, cv.lambdas.into_iter().zip(cv.deviance).collect()))
}

fn skipped(reason: String, n_train: usize) -> Fitted {
    Fitted {
        probabilities: Vec::new(),
        info: FitInfo {
            skipped: Some(reason),
            n_train,
            ..FitInfo::default()
        },
    }
}

/// The features of the ensemble: every score column, then the covariates, standardised on
/// the train split.
pub(super) fn ensemble_features(cohort: &EvalCohort) -> Matrix {
    let train: Vec<usize> = cohort.rows_of(Split::Train);
    standardised(cohort.features.hstack(&cohort.covariates), &train)
}

/// A ridge baseline of outcome `o` on the features `x`, λ by cross-validation:
/// `ensemble` on [`ensemble_features`], `linear_probe` on [`probe_features`].
pub(super) fn ridge_baseline(
    cohort: &EvalCohort,
    x: &Matrix,
    o: usize,
    options: &EvalOptions,
) -> Fitted {
    let (train, y) = labelled(cohort, o, Split::Train);
    match ridge_cv(x, &train, &y, options) {
        Ok((model, cv)) => Fitted {
            probabilities: model.predict(x),
            info: FitInfo {
                lambda: Some(model.lambda),
                cv,
                n_train: train.len(),
                ..FitInfo::default()
            },
        },
        Err(e) => skipped(e.to_string(), train.len()),
    }
}

/// The features of the linear probe: the pooled embedding, standardised on the train split.
pub(super) fn probe_features(cohort: &EvalCohort) -> Matrix {
    standardised(cohort.embedding.clone(), &cohort.rows_of(Split::Train))
}

/// Unpenalised logistic regression, or a barely penalised one where the outcome is
/// separated.
fn fit_plain(x: &Matrix, y: &[f64]) -> Result<LogisticModel, FitError> {
    fit_logistic(x, y, None, 0.0, None).or_else(|_| fit_logistic(x, y, None, FALLBACK_LAMBDA, None))
}

/// `single_prs` for outcome `o`: the anchor with the largest absolute weight that the panel
/// has, each threshold fitted on train with the covariates, the best by validation AUC.
pub(super) fn single_prs(cohort: &EvalCohort, o: usize) -> Fitted {
    let (train, y) = labelled(cohort, o, Split::Train);
    let (valid, yv) = labelled(cohort, o, Split::Validation);
    let mut anchors = cohort.outcomes[o].anchors.clone();
    anchors.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    let Some(t) = anchors
        .iter()
        .find_map(|(a, _)| cohort.traits.iter().position(|t| t == a))
    else {
        return skipped(
            "no anchor trait of this outcome is in the panel".into(),
            train.len(),
        );
    };
    let valid_labels: Vec<bool> = yv.iter().map(|&v| v > 0.5).collect();
    let mut best: Option<(f64, Fitted)> = None;
    let mut validation_auc = Vec::new();
    for c in 0..cohort.n_thresholds {
        let column = t * cohort.n_thresholds + c;
        let name = cohort.feature_names[column].clone();
        let x = standardised(
            cohort
                .features
                .columns(&[column])
                .hstack(&cohort.covariates),
            &cohort.rows_of(Split::Train),
        );
        let Ok(model) = fit_plain(&x.rows(&train), &y) else {
            validation_auc.push((name, None));
            continue;
        };
        let probabilities = model.predict(&x);
        let v: Vec<f64> = valid.iter().map(|&i| probabilities[i]).collect();
        let auc = DeLong::new(&[&v], &valid_labels).map(|d| d.auc[0]);
        validation_auc.push((name.clone(), auc));
        let score = auc.unwrap_or(f64::NEG_INFINITY);
        if best.as_ref().is_none_or(|(b, _)| score > *b) {
            best = Some((
                score,
                Fitted {
                    probabilities,
                    info: FitInfo {
                        score: Some(name),
                        n_train: train.len(),
                        ..FitInfo::default()
                    },
                },
            ));
        }
    }
    match best {
        Some((_, mut fitted)) => {
            fitted.info.validation_auc = validation_auc;
            fitted
        }
        None => skipped("no threshold's fit converged".into(), train.len()),
    }
}

/// Pearson correlation of two outcomes' 0/1 labels (phi) over the train samples that have
/// both; `None` when either is constant there.
pub(super) fn phi(cohort: &EvalCohort, a: usize, b: usize) -> Option<f64> {
    let pairs: Vec<(f64, f64)> = cohort
        .rows_of(Split::Train)
        .into_iter()
        .filter_map(|i| {
            let x = cohort.labels[a][i]?;
            let y = cohort.labels[b][i]?;
            Some((f64::from(u8::from(x)), f64::from(u8::from(y))))
        })
        .collect();
    let n = pairs.len() as f64;
    let (mx, my) = (
        pairs.iter().map(|p| p.0).sum::<f64>() / n,
        pairs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in &pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx).powi(2);
        syy += (y - my).powi(2);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}
