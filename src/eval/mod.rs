//! `evaluate`: the transformer against the linear baselines on a held-out test split,
//! measured as the paper did and further.
//!
//! The pipeline: [`cohort::build`] scores every train, validation and test sample with the
//! model's panel and runs the model (probabilities and pooled embeddings); [`evaluate`]
//! fits the [`baselines`] on the train split and measures every method on the test split
//! ([`metrics`]): on all of it (`full`) and under the paper's balanced protocol
//! (`balanced`: a seeded draw of up to 200 cases and 200 controls per outcome, repeated);
//! [`output`] writes `comparison.tsv`, `comparison.md`, `predictions.tsv`, `report.json`
//! and the ROC and calibration plots.
//!
//! The evaluation has no tuning knob that looks at the test split: every choice is made
//! on the train split (cross-validation) or the validation split.

pub mod baselines;
pub mod cohort;
pub mod headroom;
pub mod image;
pub mod logistic;
pub mod metrics;
pub mod output;

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;
use thiserror::Error;

use crate::rng::Rng;
use baselines::{FitInfo, Method};
use logistic::Matrix;
use metrics::DeLong;

/// Errors of `evaluate`.
#[derive(Debug, Error)]
pub enum EvalError {
    /// The model directory, its panel or its inputs could not be read.
    #[error(transparent)]
    ModelDir(#[from] crate::model_dir::ModelDirError),
    /// The model could not run.
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
    /// Images could not be read.
    #[error(transparent)]
    Imaging(#[from] crate::imaging::ImagingError),
    /// An output file could not be written.
    #[error(transparent)]
    Io(#[from] crate::util::PathIoError),
    /// The test split is empty.
    #[error("the test split has no genotyped samples with phenotypes")]
    EmptyTestSplit,
    /// The split (`source_name` says where it came from) has no genotyped test sample.
    #[error(
        "{source_name}: the test split has no genotyped sample (evaluate scores the test split)"
    )]
    NoTestSample {
        /// Where the split came from.
        source_name: String,
    },
    /// An outcome label is not 0, 1 or NA.
    #[error("{}: line {line}: column '{outcome}' is {value} for sample {sample} (expected 0, 1 or NA)", table.display())]
    Label {
        /// The phenotype table.
        table: std::path::PathBuf,
        /// 1-based line.
        line: usize,
        /// The outcome column.
        outcome: String,
        /// The value found.
        value: f64,
        /// The sample.
        sample: String,
    },
    /// A line of an interaction form (`interactions.tsv`) is not as expected.
    #[error("{}: line {line}: {message}", path.display())]
    Form {
        /// The file.
        path: std::path::PathBuf,
        /// 1-based line.
        line: usize,
        /// What was wrong and what was expected.
        message: String,
    },
    /// The phenotype or label table has no column for any (or one) of the model's outcomes.
    #[error("{}: {message}", table.display())]
    MissingOutcome {
        /// The table.
        table: std::path::PathBuf,
        /// Which column was expected.
        message: String,
    },
}

/// The split a sample belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// Fits the baselines (and trained the model).
    Train,
    /// Picks the single score's threshold (and stopped the model's training early).
    Validation,
    /// Held out: every metric is measured here and only here.
    Test,
}

/// An outcome to evaluate.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// The outcome's id: its column in the phenotype (or label) table and its query in the model.
    pub id: String,
    /// Human-readable name from the model's `config.json` (the id where it has none).
    pub name: String,
    /// Trained on by the model (in-distribution); false for zero-shot outcomes.
    pub trained: bool,
    /// Anchor traits with weights (as in the model's config).
    pub anchors: Vec<(String, f32)>,
}

/// Everything the comparison needs, one row per sample of the train, validation and test
/// splits.
pub struct EvalCohort {
    /// Sample ids (`IID`), one per row of every matrix and label vector.
    pub ids: Vec<String>,
    /// The split of each row.
    pub split: Vec<Split>,
    /// The inputs the linear baselines read: for genomic models the raw linear scores,
    /// `trait × threshold` columns (trait-major, uniform fill); for imaging models the
    /// patch means of each image (a thumbnail).
    pub features: Matrix,
    /// Column names: `<trait>_<threshold label>`, or `patch_<row>_<col>_c<channel>`.
    pub feature_names: Vec<String>,
    /// Panel traits, in column order.
    pub traits: Vec<String>,
    /// Channels per trait in `features`: the panel's p-value thresholds (genomic), or the
    /// image's channels (imaging, where `traits` is empty).
    pub n_thresholds: usize,
    /// Covariates (age, sex, BMI, PCs), standardised as the model saw them; 0 if missing.
    pub covariates: Matrix,
    /// Names of the `covariates` columns (the model's tabular schema); empty for imaging models.
    pub covariate_names: Vec<String>,
    /// The frozen model's pooled embedding.
    pub embedding: Matrix,
    /// The model's outcomes that the table has a column for, in the model's query order.
    pub outcomes: Vec<Outcome>,
    /// Per outcome, per sample: case, control or unknown.
    pub labels: Vec<Vec<Option<bool>>>,
    /// Per outcome, per sample: the model's probability.
    pub model: Vec<Vec<f64>>,
}

impl EvalCohort {
    /// Row indices of a split.
    pub fn rows_of(&self, split: Split) -> Vec<usize> {
        (0..self.ids.len())
            .filter(|&i| self.split[i] == split)
            .collect()
    }
}

/// Settings of the comparison.
#[derive(Clone, Debug, Serialize)]
pub struct EvalOptions {
    /// Cases (and controls) per balanced draw; 0 turns the balanced protocol off.
    pub balanced: usize,
    /// Balanced draws per outcome.
    pub draws: usize,
    /// Cross-validation folds for the ridge penalties.
    pub folds: usize,
    /// Seed of the balanced draws and of the cross-validation folds.
    pub seed: u64,
    /// A simulated cohort's interaction form (`interactions.tsv`): adds the `oracle_form`
    /// reference and each outcome's captured fraction ([`headroom`]).
    #[serde(skip)]
    pub oracle_form: Option<headroom::InteractionForm>,
}

impl Default for EvalOptions {
    fn default() -> EvalOptions {
        EvalOptions {
            balanced: 200,
            draws: 20,
            folds: 5,
            seed: 1,
            oracle_form: None,
        }
    }
}

/// The protocol a row of the comparison was measured under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// Every labelled test sample, at the outcome's own prevalence.
    Full,
    /// The paper's protocol: repeated seeded draws of up to `balanced` cases and up to
    /// `balanced` controls from the test split, every method measured on the same draws.
    Balanced,
}

impl Protocol {
    /// The name in `comparison.tsv`: `full` or `balanced`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Full => "full",
            Protocol::Balanced => "balanced",
        }
    }
}

/// One row of `comparison.tsv`. Under the balanced protocol every number is the mean over
/// the draws (the p-value: the median), and `auc_sd` is the AUC's spread across draws.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// The outcome's id.
    pub outcome: String,
    /// The method measured.
    pub method: Method,
    /// `full` or `balanced`.
    pub protocol: Protocol,
    /// Area under the ROC curve (ties count one half).
    pub auc: f64,
    /// Lower end of the 95% CI, `AUC − 1.96 SE` with DeLong's (1988) standard error,
    /// clipped to [0, 1] (balanced: the mean of the draws' lower ends).
    pub auc_lo: f64,
    /// Upper end of the 95% CI, `AUC + 1.96 SE` (DeLong 1988), clipped to [0, 1] (balanced:
    /// the mean of the draws' upper ends).
    pub auc_hi: f64,
    /// Paired DeLong test against the model; `None` for the model itself.
    pub p_vs_model: Option<f64>,
    /// Average precision (area under the precision-recall curve, step-wise); NaN without
    /// cases.
    pub auprc: f64,
    /// Brier score: mean squared error of the probabilities against the 0/1 labels.
    pub brier: f64,
    /// Cases measured (per draw under the balanced protocol).
    pub n_cases: usize,
    /// Controls measured (per draw under the balanced protocol).
    pub n_controls: usize,
    /// Slope of the logistic regression of the outcome on the prediction's logit (ideal 1);
    /// `None` when that regression cannot be fitted.
    pub calibration_slope: Option<f64>,
    /// Calibration-in-the-large: the intercept with the logit as offset, slope fixed at 1
    /// (ideal 0); `None` when that regression cannot be fitted.
    pub calibration_intercept: Option<f64>,
    /// Standard deviation of the AUC across balanced draws (0 for `full`).
    pub auc_sd: f64,
    /// Balanced draws that could be measured (each needs two cases and two controls); 1 for
    /// `full`.
    pub draws: usize,
}

/// One outcome's results.
#[derive(Clone, Debug, Serialize)]
pub struct OutcomeResult {
    /// The outcome measured.
    pub outcome: Outcome,
    /// How each baseline was fitted (`model` has none).
    pub fits: Vec<(Method, FitInfo)>,
    /// Test rows with a label, and their labels.
    pub test_rows: Vec<usize>,
    /// Labels of `test_rows` (true = case), aligned with them.
    pub test_labels: Vec<bool>,
    /// Methods available for this outcome and their test-row probabilities (aligned with
    /// `test_rows`); the model first.
    pub predictions: Vec<(Method, Vec<f64>)>,
    /// Rows of `comparison.tsv` for this outcome: every method under `full`, then under
    /// `balanced` (when it is on and a draw could be measured).
    pub rows: Vec<Row>,
    /// With an interaction form: how much of oracle_form's gain over the ensemble the model
    /// takes (in-distribution outcomes with interaction terms).
    pub captured: Option<headroom::Captured>,
}

/// Which baselines a comparison fits: those of the genomic model (the paper's), or those
/// of an imaging model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Baselines {
    /// ensemble, single_prs, linear_probe, ensemble_interactions, gbdt, correlated_outcome.
    #[default]
    Genomic,
    /// pixel_ridge (ridge on the cohort's `prs` columns, which hold the image's patch
    /// means) and linear_probe.
    Image,
}

/// The whole comparison.
#[derive(Clone, Debug, Serialize)]
pub struct Evaluation {
    /// The settings the comparison ran with.
    pub options: EvalOptions,
    /// Which family of baselines was fitted.
    pub baselines: Baselines,
    /// Samples in the train split (labelled or not).
    pub n_train: usize,
    /// Samples in the validation split.
    pub n_validation: usize,
    /// Samples in the test split.
    pub n_test: usize,
    /// One result per outcome, in the cohort's outcome order.
    pub outcomes: Vec<OutcomeResult>,
}

/// A stable 64-bit label of an outcome id for seeding its draws (FNV-1a), so that an
/// outcome's draws do not depend on which other outcomes are evaluated.
fn id_label(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The samples (indices into `labels`) of balanced draw `draw` for outcome `id`: up to
/// `per_class` cases and as many controls, drawn without replacement, seeded by `seed`,
/// the outcome id and the draw number only. Sorted.
pub fn balanced_draw(
    labels: &[bool],
    per_class: usize,
    seed: u64,
    id: &str,
    draw: usize,
) -> Vec<usize> {
    let mut rng = Rng::stream(seed, &[0x6261_6c61, id_label(id), draw as u64]);
    let mut picked = Vec::with_capacity(2 * per_class);
    for class in [true, false] {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        // Partial Fisher–Yates: the first k entries become a uniform sample.
        let k = per_class.min(members.len());
        for i in 0..k {
            let j = i + rng.below((members.len() - i) as u64) as usize;
            members.swap(i, j);
        }
        picked.extend_from_slice(&members[..k]);
    }
    picked.sort_unstable();
    picked
}

/// Metrics of every method on the samples `rows` (indices into the outcome's test rows).
struct Measured {
    auc: Vec<f64>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    p: Vec<Option<f64>>,
    auprc: Vec<f64>,
    brier: Vec<f64>,
    calibration: Vec<Option<(f64, f64)>>,
    n_cases: usize,
    n_controls: usize,
}

fn measure(
    predictions: &[(Method, Vec<f64>)],
    labels: &[bool],
    rows: &[usize],
) -> Option<Measured> {
    let y: Vec<bool> = rows.iter().map(|&i| labels[i]).collect();
    let scores: Vec<Vec<f64>> = predictions
        .iter()
        .map(|(_, p)| rows.iter().map(|&i| p[i]).collect())
        .collect();
    let refs: Vec<&[f64]> = scores.iter().map(|s| s.as_slice()).collect();
    let d = DeLong::new(&refs, &y)?;
    let k = scores.len();
    Some(Measured {
        auc: d.auc.clone(),
        lo: (0..k).map(|a| d.ci95(a).0).collect(),
        hi: (0..k).map(|a| d.ci95(a).1).collect(),
        p: (0..k).map(|a| (a > 0).then(|| d.paired(0, a).1)).collect(),
        auprc: scores
            .iter()
            .map(|s| metrics::auprc(s, &y).unwrap_or(f64::NAN))
            .collect(),
        brier: scores.iter().map(|s| metrics::brier(s, &y)).collect(),
        calibration: scores.iter().map(|s| metrics::calibration(s, &y)).collect(),
        n_cases: d.n_cases,
        n_controls: d.n_controls,
    })
}

fn mean(x: impl IntoIterator<Item = f64>) -> f64 {
    let v: Vec<f64> = x.into_iter().collect();
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The rows of one outcome under both protocols.
fn outcome_rows(
    id: &str,
    predictions: &[(Method, Vec<f64>)],
    labels: &[bool],
    options: &EvalOptions,
) -> Vec<Row> {
    let mut rows = Vec::new();
    let all: Vec<usize> = (0..labels.len()).collect();
    if let Some(m) = measure(predictions, labels, &all) {
        for (k, (method, _)) in predictions.iter().enumerate() {
            rows.push(Row {
                outcome: id.to_string(),
                method: *method,
                protocol: Protocol::Full,
                auc: m.auc[k],
                auc_lo: m.lo[k],
                auc_hi: m.hi[k],
                p_vs_model: m.p[k],
                auprc: m.auprc[k],
                brier: m.brier[k],
                n_cases: m.n_cases,
                n_controls: m.n_controls,
                calibration_slope: m.calibration[k].map(|c| c.0),
                calibration_intercept: m.calibration[k].map(|c| c.1),
                auc_sd: 0.0,
                draws: 1,
            });
        }
    }
    if options.balanced == 0 || options.draws == 0 {
        return rows;
    }
    let draws: Vec<Measured> = (0..options.draws)
        .into_par_iter()
        .filter_map(|r| {
            let picked = balanced_draw(labels, options.balanced, options.seed, id, r);
            measure(predictions, labels, &picked)
        })
        .collect();
    if draws.is_empty() {
        return rows;
    }
    for (k, (method, _)) in predictions.iter().enumerate() {
        let aucs: Vec<f64> = draws.iter().map(|d| d.auc[k]).collect();
        let auc = mean(aucs.iter().copied());
        let sd = if aucs.len() > 1 {
            (aucs.iter().map(|a| (a - auc).powi(2)).sum::<f64>() / (aucs.len() - 1) as f64).sqrt()
        } else {
            0.0
        };
        let calibrations: Vec<(f64, f64)> = draws.iter().filter_map(|d| d.calibration[k]).collect();
        rows.push(Row {
            outcome: id.to_string(),
            method: *method,
            protocol: Protocol::Balanced,
            auc,
            auc_lo: mean(draws.iter().map(|d| d.lo[k])),
            auc_hi: mean(draws.iter().map(|d| d.hi[k])),
            p_vs_model: (k > 0).then(|| median(draws.iter().filter_map(|d| d.p[k]).collect())),
            auprc: mean(draws.iter().map(|d| d.auprc[k])),
            brier: mean(draws.iter().map(|d| d.brier[k])),
            n_cases: draws[0].n_cases,
            n_controls: draws[0].n_controls,
            calibration_slope: (!calibrations.is_empty())
                .then(|| mean(calibrations.iter().map(|c| c.0))),
            calibration_intercept: (!calibrations.is_empty())
                .then(|| mean(calibrations.iter().map(|c| c.1))),
            auc_sd: sd,
            draws: draws.len(),
        });
    }
    rows
}

/// Fits the genomic baselines and measures every method on the test split. `progress` is
/// told each outcome as it starts.
pub fn evaluate(
    cohort: &EvalCohort,
    options: &EvalOptions,
    progress: &dyn Fn(&str),
) -> Result<Evaluation, EvalError> {
    evaluate_with(cohort, options, Baselines::Genomic, progress)
}

/// [`evaluate`] with the baselines of `baselines`.
pub fn evaluate_with(
    cohort: &EvalCohort,
    options: &EvalOptions,
    baselines: Baselines,
    progress: &dyn Fn(&str),
) -> Result<Evaluation, EvalError> {
    let n_test = cohort.rows_of(Split::Test).len();
    if n_test == 0 {
        return Err(EvalError::EmptyTestSplit);
    }
    let features = baselines::ensemble_features(cohort);
    let interaction_features = match baselines {
        Baselines::Genomic => Some(baselines::interaction_features(cohort, &features)),
        Baselines::Image => None,
    };
    let probe_features = baselines::probe_features(cohort);
    // In-distribution outcomes first: their ensembles are the correlated-outcome baselines.
    let mut order: Vec<usize> = (0..cohort.outcomes.len()).collect();
    order.sort_by_key(|&o| !cohort.outcomes[o].trained);
    let mut ensembles: HashMap<usize, Vec<f64>> = HashMap::new();
    // ĝ of every outcome, for the oracle_form terms (with an interaction form only).
    let mut genetic: HashMap<String, Vec<f64>> = HashMap::new();
    let mut results: Vec<(usize, OutcomeResult)> = Vec::new();
    for o in order {
        let outcome = &cohort.outcomes[o];
        progress(&outcome.id);
        let (test_rows, test_y) = baselines::labelled(cohort, o, Split::Test);
        let test_labels: Vec<bool> = test_y.iter().map(|&v| v > 0.5).collect();
        let at_test = |p: &[f64]| -> Vec<f64> { test_rows.iter().map(|&i| p[i]).collect() };
        let mut predictions = vec![(Method::Model, at_test(&cohort.model[o]))];
        let mut fits = Vec::new();
        let ensemble = baselines::ridge_baseline(cohort, &features, o, options);
        let probe = baselines::ridge_baseline(cohort, &probe_features, o, options);
        let (single, interactions, trees);
        let methods = match baselines {
            Baselines::Genomic => {
                single = baselines::single_prs(cohort, o);
                let x = interaction_features.as_ref().expect("genomic baselines");
                interactions = baselines::ridge_baseline(cohort, x, o, options);
                trees = baselines::gbdt(cohort, &features, o, options);
                vec![
                    (Method::Ensemble, &ensemble),
                    (Method::SinglePrs, &single),
                    (Method::LinearProbe, &probe),
                    (Method::EnsembleInteractions, &interactions),
                    (Method::Gbdt, &trees),
                ]
            }
            Baselines::Image => vec![
                (Method::PixelRidge, &ensemble),
                (Method::LinearProbe, &probe),
            ],
        };
        for (method, fitted) in methods {
            if fitted.info.skipped.is_none() {
                predictions.push((method, at_test(&fitted.probabilities)));
            }
            fits.push((method, fitted.info.clone()));
        }
        if options.oracle_form.is_some() && baselines == Baselines::Genomic {
            if let Some(g) = headroom::genetic_part(cohort, &features, &ensemble) {
                genetic.insert(outcome.id.clone(), g);
            }
        }
        if outcome.trained {
            if ensemble.info.skipped.is_none() {
                ensembles.insert(o, ensemble.probabilities);
            }
        } else {
            let best = ensembles
                .keys()
                .filter_map(|&other| baselines::phi(cohort, o, other).map(|r| (other, r)))
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
            let info = match best {
                Some((other, r)) => {
                    predictions.push((Method::CorrelatedOutcome, at_test(&ensembles[&other])));
                    FitInfo {
                        correlated_with: Some((cohort.outcomes[other].id.clone(), r)),
                        ..FitInfo::default()
                    }
                }
                None => FitInfo {
                    skipped: Some("no in-distribution outcome with labels to correlate".into()),
                    ..FitInfo::default()
                },
            };
            fits.push((Method::CorrelatedOutcome, info));
        }
        let rows = outcome_rows(&outcome.id, &predictions, &test_labels, options);
        results.push((
            o,
            OutcomeResult {
                outcome: outcome.clone(),
                fits,
                test_rows,
                test_labels,
                predictions,
                rows,
                captured: None,
            },
        ));
    }
    if let (Some(form), Baselines::Genomic) = (&options.oracle_form, baselines) {
        for (o, r) in &mut results {
            oracle_form(cohort, &features, *o, r, form, &genetic, options);
        }
    }
    results.sort_by_key(|(o, _)| *o);
    Ok(Evaluation {
        options: options.clone(),
        baselines,
        n_train: cohort.rows_of(Split::Train).len(),
        n_validation: cohort.rows_of(Split::Validation).len(),
        n_test,
        outcomes: results.into_iter().map(|(_, r)| r).collect(),
    })
}

/// Fits `oracle_form` for outcome `o` (when the form gives it terms), adds its rows to `r`,
/// and measures the captured fraction of an in-distribution outcome.
fn oracle_form(
    cohort: &EvalCohort,
    features: &Matrix,
    o: usize,
    r: &mut OutcomeResult,
    form: &headroom::InteractionForm,
    genetic: &HashMap<String, Vec<f64>>,
    options: &EvalOptions,
) {
    let Some(terms) = form.terms.get(&r.outcome.id) else {
        return;
    };
    let fitted = match headroom::oracle_features(cohort, features, &r.outcome.id, terms, genetic) {
        Ok(x) => baselines::ridge_baseline(cohort, &x, o, options),
        Err(why) => baselines::skipped(why, 0),
    };
    if fitted.info.skipped.is_none() {
        let at_test: Vec<f64> = r
            .test_rows
            .iter()
            .map(|&i| fitted.probabilities[i])
            .collect();
        r.predictions.push((Method::OracleForm, at_test));
        r.rows = outcome_rows(&r.outcome.id, &r.predictions, &r.test_labels, options);
    }
    r.fits.push((Method::OracleForm, fitted.info));
    let test_of = |m: Method| r.predictions.iter().find(|(k, _)| *k == m).map(|(_, p)| p);
    if let (true, Some(model), Some(ensemble), Some(oracle)) = (
        r.outcome.trained,
        test_of(Method::Model),
        test_of(Method::Ensemble),
        test_of(Method::OracleForm),
    ) {
        r.captured = headroom::captured_fraction(
            model,
            ensemble,
            oracle,
            &r.test_labels,
            headroom::BOOTSTRAP_RESAMPLES,
            options.seed,
            id_label(&r.outcome.id),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_draws_are_reproducible_by_seed() {
        let labels: Vec<bool> = (0..5000).map(|i| i % 17 == 0).collect();
        let a = balanced_draw(&labels, 200, 7, "cad", 3);
        assert_eq!(a, balanced_draw(&labels, 200, 7, "cad", 3));
        assert_eq!(a.iter().filter(|&&i| labels[i]).count(), 200);
        assert_eq!(a.len(), 400);
        assert_ne!(a, balanced_draw(&labels, 200, 8, "cad", 3), "seed matters");
        assert_ne!(a, balanced_draw(&labels, 200, 7, "cad", 4), "draw matters");
        assert_ne!(
            a,
            balanced_draw(&labels, 200, 7, "t2d", 3),
            "outcome matters"
        );
    }

    #[test]
    fn balanced_draw_takes_every_case_when_there_are_fewer() {
        let labels: Vec<bool> = (0..1000).map(|i| i % 100 == 0).collect();
        let d = balanced_draw(&labels, 200, 1, "ra", 0);
        assert_eq!(d.iter().filter(|&&i| labels[i]).count(), 10);
        assert_eq!(d.len(), 210);
        let mut unique = d.clone();
        unique.dedup();
        assert_eq!(unique, d, "without replacement");
    }

    /// A synthetic cohort: 4 traits × 3 thresholds; outcome `a` (trained) depends on trait 0
    /// and age, outcome `b` (zero-shot) shares trait 0's liability, outcome `c` (trained) is
    /// noise. The "model" is a noisy copy of the true risk.
    fn synthetic_cohort(n: usize) -> EvalCohort {
        let mut rng = Rng::stream(11, &[3]);
        let (traits, c) = (4, 3);
        let mut prs = Vec::new();
        let mut cov = Vec::new();
        let mut emb = Vec::new();
        let mut labels = vec![Vec::new(), Vec::new(), Vec::new()];
        let mut model = vec![Vec::new(), Vec::new(), Vec::new()];
        let mut split = Vec::new();
        for i in 0..n {
            let g: Vec<f64> = (0..traits).map(|_| rng.normal()).collect();
            for &gt in &g {
                for k in 0..c {
                    prs.push(gt * (1.0 + 0.1 * k as f64) + 0.3 * rng.normal());
                }
            }
            let age = rng.normal();
            cov.extend([age, f64::from(u8::from(rng.uniform() < 0.5)), rng.normal()]);
            emb.extend([g[0] + 0.5 * rng.normal(), rng.normal()]);
            let liability = 1.2 * g[0] + 0.5 * age;
            let pa = 1.0 / (1.0 + (-(liability - 1.5)).exp());
            let pb = 1.0 / (1.0 + (-(liability - 1.0)).exp());
            labels[0].push(Some(rng.uniform() < pa));
            labels[1].push(if i % 10 == 0 {
                None
            } else {
                Some(rng.uniform() < pb)
            });
            labels[2].push(Some(rng.uniform() < 0.2));
            model[0].push(1.0 / (1.0 + (-(liability - 1.5 + 0.3 * rng.normal())).exp()));
            model[1].push(1.0 / (1.0 + (-(liability - 1.0 + 0.3 * rng.normal())).exp()));
            model[2].push(0.2 + 0.01 * rng.normal());
            split.push(match i % 10 {
                0..=5 => Split::Train,
                6 => Split::Validation,
                _ => Split::Test,
            });
        }
        let trait_ids: Vec<String> = (0..traits).map(|t| format!("t{t}")).collect();
        let outcome = |id: &str, trained: bool, anchors: Vec<(String, f32)>| Outcome {
            id: id.into(),
            name: id.to_uppercase(),
            trained,
            anchors,
        };
        EvalCohort {
            ids: (0..n).map(|i| format!("S{i}")).collect(),
            split,
            features: Matrix::new(n, traits * c, prs),
            feature_names: trait_ids
                .iter()
                .flat_map(|t| (0..c).map(move |k| format!("{t}_c{k}")))
                .collect(),
            traits: trait_ids,
            n_thresholds: c,
            covariates: Matrix::new(n, 3, cov),
            covariate_names: vec!["age".into(), "sex".into(), "bmi".into()],
            embedding: Matrix::new(n, 2, emb),
            outcomes: vec![
                outcome("a", true, vec![("t3".into(), 0.1), ("t0".into(), 0.9)]),
                outcome("b", false, vec![("t0".into(), 1.0)]),
                outcome("c", true, vec![("nope".into(), 1.0)]),
            ],
            labels,
            model,
        }
    }

    #[test]
    fn an_interaction_form_adds_oracle_form_and_the_captured_fraction() {
        let cohort = synthetic_cohort(3000);
        let form = headroom::InteractionForm::parse(
            std::path::Path::new("interactions.tsv"),
            "outcome\tterm\twith\tcoefficient\na\tage\t.\t0.3\na\toutcome\tb\t0.2\nb\tsex\t.\t0.1\nb\toutcome\tnone\t0.1\n",
        )
        .unwrap();
        let options = EvalOptions {
            balanced: 0,
            draws: 1,
            folds: 3,
            seed: 2,
            oracle_form: Some(form),
        };
        let e = evaluate(&cohort, &options, &|_| {}).unwrap();
        let (a, b, c) = (&e.outcomes[0], &e.outcomes[1], &e.outcomes[2]);
        assert!(a.predictions.iter().any(|(m, _)| *m == Method::OracleForm));
        assert!(a.rows.iter().any(|r| r.method == Method::OracleForm));
        let captured = a.captured.as_ref().expect("a trained outcome with terms");
        assert_eq!(captured.resamples, headroom::BOOTSTRAP_RESAMPLES);
        // b's partner is not in the cohort: oracle_form is skipped, saying why; b is
        // zero-shot, so it has no captured fraction either way.
        let (_, fit) = b
            .fits
            .iter()
            .find(|(m, _)| *m == Method::OracleForm)
            .unwrap();
        assert!(
            fit.skipped.as_deref().unwrap().contains("'none'"),
            "{fit:?}"
        );
        assert!(b.captured.is_none());
        // c has no terms: no oracle_form at all.
        assert!(c.fits.iter().all(|(m, _)| *m != Method::OracleForm));
        assert!(c.captured.is_none());
    }

    #[test]
    fn evaluate_fits_every_baseline_and_measures_both_protocols() {
        let cohort = synthetic_cohort(3000);
        let options = EvalOptions {
            balanced: 50,
            draws: 4,
            folds: 3,
            seed: 2,
            oracle_form: None,
        };
        let seen = std::cell::RefCell::new(Vec::new());
        let e = evaluate(&cohort, &options, &|id| {
            seen.borrow_mut().push(id.to_string())
        })
        .unwrap();
        assert_eq!(*seen.borrow(), ["a", "c", "b"], "trained outcomes first");
        assert_eq!((e.n_train, e.n_validation, e.n_test), (1800, 300, 900));
        let ids: Vec<&str> = e.outcomes.iter().map(|r| r.outcome.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"], "results in the cohort's order");
        let (a, b, c) = (&e.outcomes[0], &e.outcomes[1], &e.outcomes[2]);
        let methods =
            |r: &OutcomeResult| -> Vec<Method> { r.predictions.iter().map(|p| p.0).collect() };
        assert_eq!(
            methods(a),
            [
                Method::Model,
                Method::Ensemble,
                Method::SinglePrs,
                Method::LinearProbe,
                Method::EnsembleInteractions,
                Method::Gbdt
            ]
        );
        assert_eq!(methods(b).last(), Some(&Method::CorrelatedOutcome));
        // c's anchor is not in the panel: single_prs is skipped, with the reason.
        assert!(!methods(c).contains(&Method::SinglePrs));
        assert!(c
            .fits
            .iter()
            .any(|(m, f)| *m == Method::SinglePrs && f.skipped.is_some()));
        // b correlates with a, not with the noise outcome c.
        let corr = b
            .fits
            .iter()
            .find(|(m, _)| *m == Method::CorrelatedOutcome)
            .unwrap();
        assert_eq!(corr.1.correlated_with.as_ref().unwrap().0, "a");
        // single_prs used trait 0 (the larger anchor weight).
        let single = a
            .fits
            .iter()
            .find(|(m, _)| *m == Method::SinglePrs)
            .unwrap();
        assert!(single.1.score.as_deref().unwrap().starts_with("t0_"));
        // Rows: 6 methods × 2 protocols for a; the signal is found.
        assert_eq!(a.rows.len(), 12);
        for r in &a.rows {
            assert!(r.auc_lo <= r.auc && r.auc <= r.auc_hi);
            assert_eq!(r.p_vs_model.is_none(), r.method == Method::Model);
            if r.method != Method::LinearProbe {
                assert!(r.auc > 0.7, "{r:?}");
            }
            if r.protocol == Protocol::Balanced {
                assert_eq!(r.draws, 4);
                assert_eq!(r.n_controls, 50);
            } else {
                assert_eq!(r.n_cases + r.n_controls, 900);
            }
        }
        // Missing labels of b are left out of its test rows.
        assert_eq!(b.test_rows.len(), 900);
        assert!(b.test_rows.iter().all(|&i| cohort.labels[1][i].is_some()));
        // The noise outcome has no signal.
        let full_c = c
            .rows
            .iter()
            .find(|r| r.method == Method::Ensemble && r.protocol == Protocol::Full)
            .unwrap();
        assert!(full_c.auc < 0.6, "{full_c:?}");
    }

    #[test]
    fn evaluate_is_deterministic() {
        let cohort = synthetic_cohort(1500);
        let options = EvalOptions {
            balanced: 30,
            draws: 3,
            folds: 3,
            seed: 5,
            oracle_form: None,
        };
        let one = evaluate(&cohort, &options, &|_| {}).unwrap();
        let two = evaluate(&cohort, &options, &|_| {}).unwrap();
        assert_eq!(
            format!("{:?}", one.outcomes[0].rows),
            format!("{:?}", two.outcomes[0].rows)
        );
    }

    #[test]
    fn median_of_even_and_odd() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(vec![]).is_nan());
    }
}
