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
//! * `ensemble_interactions`: the ensemble plus every trait's score × {age, sex, BMI}
//!   product (ridge, λ by cross-validation): the interaction model a statistician fits next, since
//!   sex-specific, age-dependent and BMI-modified genetic effects are the ones epidemiology
//!   reports.
//! * `gbdt`: gradient-boosted trees (forust-ml, XGBoost-style) on the scores and the
//!   covariates, the number of trees by early stopping and the depth chosen on the
//!   validation split: a non-linear learner that needs no interaction named in advance.

use serde::Serialize;

use super::logistic::{
    cross_validate, deviance, fit_logistic, lambda_grid, FitError, LogisticModel, Matrix,
    Standardiser,
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
    /// The ensemble plus every trait's score × {age, sex, BMI} product.
    EnsembleInteractions,
    /// Gradient-boosted trees on the scores and covariates.
    Gbdt,
    /// Simulated cohorts: the ensemble plus exactly the simulator's interaction terms
    /// (`eval::headroom`), the reference of the captured fraction.
    OracleForm,
}

impl Method {
    /// Every method, in output order.
    pub const ALL: [Method; 9] = [
        Method::Model,
        Method::Ensemble,
        Method::SinglePrs,
        Method::LinearProbe,
        Method::CorrelatedOutcome,
        Method::PixelRidge,
        Method::EnsembleInteractions,
        Method::Gbdt,
        Method::OracleForm,
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
            Method::EnsembleInteractions => "ensemble_interactions",
            Method::Gbdt => "gbdt",
            Method::OracleForm => "oracle_form",
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
    /// `gbdt`: the tree depth chosen on the validation split, the trees kept by early
    /// stopping, and the validation deviance of each depth tried.
    pub trees: Option<TreeFit>,
    /// Training samples with a label.
    pub n_train: usize,
    /// Why the method is missing, when it is.
    pub skipped: Option<String>,
}

/// How `gbdt` was fitted.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TreeFit {
    /// The depth kept.
    pub max_depth: usize,
    /// Trees of the kept fit (its best iteration on the validation split).
    pub n_trees: usize,
    /// (depth, validation deviance at its best iteration) for every depth tried.
    pub validation_deviance: Vec<(usize, f64)>,
}

/// A fitted method's probabilities for every sample of the cohort.
pub struct Fitted {
    /// Probability of each cohort row (every split, in cohort order); empty when skipped.
    pub probabilities: Vec<f64>,
    /// A ridge baseline's coefficients (the intercept, then one per feature column), for
    /// what is built on them (oracle_form's estimated genetic liability); `None` otherwise.
    pub coefficients: Option<Vec<f64>>,
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

pub(super) fn skipped(reason: String, n_train: usize) -> Fitted {
    Fitted {
        probabilities: Vec::new(),
        coefficients: None,
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
            coefficients: Some(model.beta),
        },
        Err(e) => skipped(e.to_string(), train.len()),
    }
}

/// The covariates whose products with every trait's score `ensemble_interactions` adds: the
/// modifiers of genetic effects epidemiology reports (sex-specific effects, age-dependent
/// penetrance, gene × BMI).
pub const INTERACTION_COVARIATES: [&str; 3] = ["age", "sex", "bmi"];

/// The features of `ensemble_interactions`: [`ensemble_features`], then the product of
/// every trait's score with each of [`INTERACTION_COVARIATES`] the cohort has,
/// standardised on the train split. A trait's score here is the mean of its thresholds'
/// standardised scores (one product per trait and modifier, not per threshold: the
/// thresholds of a trait are highly correlated, and the ridge fit's cost grows with the
/// square of the columns). `base` is [`ensemble_features`] of the same cohort.
pub(super) fn interaction_features(cohort: &EvalCohort, base: &Matrix) -> Matrix {
    let n_scores = cohort.features.p;
    let per_trait = cohort.n_thresholds.max(1);
    let n_traits = n_scores / per_trait;
    let modifiers: Vec<usize> = INTERACTION_COVARIATES
        .iter()
        .filter_map(|c| cohort.covariate_names.iter().position(|n| n == c))
        .map(|c| n_scores + c)
        .collect();
    let p = n_traits * modifiers.len();
    let mut products = Vec::with_capacity(base.n * p);
    for i in 0..base.n {
        let row = base.row(i);
        let traits: Vec<f64> = row[..n_traits * per_trait]
            .chunks(per_trait)
            .map(|t| t.iter().sum::<f64>() / per_trait as f64)
            .collect();
        for &m in &modifiers {
            products.extend(traits.iter().map(|s| s * row[m]));
        }
    }
    let products = standardised(
        Matrix::new(base.n, p, products),
        &cohort.rows_of(Split::Train),
    );
    base.hstack(&products)
}

/// Most trees `gbdt` grows before early stopping ends it.
const GBDT_MAX_TREES: usize = 1000;
/// Shrinkage of each tree (XGBoost's eta).
const GBDT_LEARNING_RATE: f32 = 0.1;
/// Trees without a better validation deviance before boosting stops (the best is kept).
const GBDT_EARLY_STOPPING_ROUNDS: usize = 30;
/// Tree depths tried; the one with the least validation deviance is kept.
const GBDT_DEPTHS: [usize; 2] = [2, 4];

/// `gbdt` for outcome `o` on the features `x` (scores and covariates): log-loss boosting
/// on the train split, trees by early stopping on the validation split's deviance, depth
/// by the same deviance.
pub(super) fn gbdt(cohort: &EvalCohort, x: &Matrix, o: usize, options: &EvalOptions) -> Fitted {
    use forust_ml::metric::Metric as TreeMetric;
    use forust_ml::objective::ObjectiveType;
    use forust_ml::GradientBooster;

    let (train, y) = labelled(cohort, o, Split::Train);
    let (valid, yv) = labelled(cohort, o, Split::Validation);
    if valid.is_empty() || !yv.iter().any(|&v| v > 0.5) || yv.iter().all(|&v| v > 0.5) {
        return skipped(
            "the validation split has no cases or no controls to stop boosting on".into(),
            train.len(),
        );
    }
    // forust-ml reads column-major matrices.
    let column_major = |rows: &[usize]| -> Vec<f64> {
        let mut v = Vec::with_capacity(rows.len() * x.p);
        for j in 0..x.p {
            v.extend(rows.iter().map(|&i| x.row(i)[j]));
        }
        v
    };
    let all: Vec<usize> = (0..x.n).collect();
    let (xt, xv, xa) = (
        column_major(&train),
        column_major(&valid),
        column_major(&all),
    );
    let (wt, wv) = (vec![1.0; train.len()], vec![1.0; valid.len()]);
    let mut best: Option<(f64, usize, GradientBooster)> = None;
    let mut tried = Vec::new();
    for depth in GBDT_DEPTHS {
        let mut booster = GradientBooster::default()
            .set_objective_type(ObjectiveType::LogLoss)
            .set_iterations(GBDT_MAX_TREES)
            .set_learning_rate(GBDT_LEARNING_RATE)
            .set_max_depth(depth)
            .set_seed(options.seed)
            .set_evaluation_metric(Some(TreeMetric::LogLoss))
            .set_early_stopping_rounds(Some(GBDT_EARLY_STOPPING_ROUNDS));
        let fit = booster.fit(
            &forust_ml::Matrix::new(&xt, train.len(), x.p),
            &y,
            &wt,
            Some(vec![(
                forust_ml::Matrix::new(&xv, valid.len(), x.p),
                &yv,
                &wv,
            )]),
        );
        if fit.is_err() {
            continue;
        }
        let pv: Vec<f64> = booster
            .predict(&forust_ml::Matrix::new(&xv, valid.len(), x.p), true)
            .into_iter()
            .map(sigmoid)
            .collect();
        let d = deviance(&pv, &yv);
        tried.push((depth, d));
        if best.as_ref().is_none_or(|(b, _, _)| d < *b) {
            best = Some((d, depth, booster));
        }
    }
    let Some((_, depth, booster)) = best else {
        return skipped("boosting failed at every depth".into(), train.len());
    };
    let probabilities = booster
        .predict(&forust_ml::Matrix::new(&xa, x.n, x.p), true)
        .into_iter()
        .map(sigmoid)
        .collect();
    Fitted {
        probabilities,
        coefficients: None,
        info: FitInfo {
            trees: Some(TreeFit {
                max_depth: depth,
                n_trees: booster
                    .best_iteration
                    .map_or(booster.trees.len(), |b| b + 1),
                validation_deviance: tried,
            }),
            n_train: train.len(),
            ..FitInfo::default()
        },
    }
}

fn sigmoid(eta: f64) -> f64 {
    1.0 / (1.0 + (-eta).exp())
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
                    coefficients: None,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::metrics::DeLong;
    use crate::eval::Outcome;
    use crate::rng::Rng;

    /// `n` samples with two scores and age, sex, BMI (standard normal, sex ±1), labelled by
    /// `logit(s1, s2, age)`; 60% train, 20% validation, 20% test.
    fn cohort(n: usize, seed: u64, logit: impl Fn(f64, f64, f64) -> f64) -> EvalCohort {
        let mut rng = Rng::stream(seed, &[1]);
        let (mut features, mut covariates, mut labels, mut split) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for i in 0..n {
            let (s1, s2, age) = (rng.normal(), rng.normal(), rng.normal());
            let sex = if rng.bernoulli(0.5) { 1.0 } else { -1.0 };
            features.extend([s1, s2]);
            covariates.extend([age, sex, rng.normal()]);
            let p = 1.0 / (1.0 + (-logit(s1, s2, age)).exp());
            labels.push(Some(rng.bernoulli(p)));
            split.push(match i % 5 {
                0..=2 => Split::Train,
                3 => Split::Validation,
                _ => Split::Test,
            });
        }
        EvalCohort {
            ids: (0..n).map(|i| format!("S{i}")).collect(),
            split,
            features: Matrix::new(n, 2, features),
            feature_names: vec!["t1_p1".into(), "t2_p1".into()],
            traits: vec!["t1".into(), "t2".into()],
            n_thresholds: 1,
            covariates: Matrix::new(n, 3, covariates),
            covariate_names: vec!["age".into(), "sex".into(), "bmi".into()],
            embedding: Matrix::new(n, 1, vec![0.0; n]),
            outcomes: vec![Outcome {
                id: "y".into(),
                name: "y".into(),
                trained: true,
                anchors: vec![("t1".into(), 1.0)],
            }],
            labels: vec![labels],
            model: vec![vec![0.5; n]],
        }
    }

    fn test_auc(c: &EvalCohort, p: &[f64]) -> f64 {
        let (rows, y) = labelled(c, 0, Split::Test);
        let p: Vec<f64> = rows.iter().map(|&i| p[i]).collect();
        let y: Vec<bool> = y.iter().map(|&v| v > 0.5).collect();
        DeLong::new(&[&p], &y).unwrap().auc[0]
    }

    fn options() -> EvalOptions {
        EvalOptions {
            balanced: 0,
            draws: 1,
            folds: 5,
            seed: 3,
            oracle_form: None,
        }
    }

    #[test]
    fn ensemble_interactions_recovers_a_planted_score_by_age_interaction() {
        // Risk depends on score 1 only through its product with age: no main effect, so
        // the plain ensemble sees nothing.
        let planted = 1.5;
        let c = cohort(20_000, 7, |s1, _, age| planted * s1 * age);
        let base = ensemble_features(&c);
        let x = interaction_features(&c, &base);
        // 2 scores + 3 covariates, then score × {age, sex, bmi} (modifier-major).
        assert_eq!(x.p, 5 + 6);
        let plain = ridge_baseline(&c, &base, 0, &options());
        let with = ridge_baseline(&c, &x, 0, &options());
        let (auc_plain, auc_with) = (
            test_auc(&c, &plain.probabilities),
            test_auc(&c, &with.probabilities),
        );
        assert!(auc_plain < 0.55, "plain ensemble {auc_plain:.3}");
        assert!(auc_with > 0.75, "with interactions {auc_with:.3}");
        // s1 × age is column 5 (+1 for the intercept). The product of two independent
        // standard normals has sd 1, so its standardised coefficient is the planted one, up
        // to noise and the small penalty.
        let beta = with
            .coefficients
            .as_ref()
            .expect("a ridge fit's coefficients");
        let b = beta[1 + 5];
        assert!((b - planted).abs() < 0.2, "s1 × age coefficient {b:.3}");
        for (k, other) in beta[1..].iter().enumerate().filter(|(k, _)| *k != 5) {
            assert!(
                other.abs() < 0.15,
                "column {k}: {other:.3} should be about 0"
            );
        }
    }

    #[test]
    fn gbdt_beats_the_ensemble_on_a_planted_xor_rule() {
        // Cases when the two scores share a sign: no linear model can rank that.
        let c = cohort(
            8_000,
            9,
            |s1, s2, _| {
                if (s1 > 0.0) == (s2 > 0.0) {
                    2.0
                } else {
                    -2.0
                }
            },
        );
        let x = ensemble_features(&c);
        let linear = ridge_baseline(&c, &x, 0, &options());
        let trees = gbdt(&c, &x, 0, &options());
        let fit = trees.info.trees.as_ref().expect("a tree fit");
        assert!(fit.n_trees >= 1 && GBDT_DEPTHS.contains(&fit.max_depth));
        assert_eq!(fit.validation_deviance.len(), GBDT_DEPTHS.len());
        let (auc_linear, auc_trees) = (
            test_auc(&c, &linear.probabilities),
            test_auc(&c, &trees.probabilities),
        );
        assert!(auc_linear < 0.56, "ensemble {auc_linear:.3}");
        assert!(auc_trees > 0.8, "gbdt {auc_trees:.3}");
        // Seeded: the same fit twice.
        assert_eq!(
            gbdt(&c, &x, 0, &options()).probabilities,
            trees.probabilities
        );
    }
}
