//! How much of the learnable non-linear signal a model takes: the `oracle_form` reference
//! and the captured fraction.
//!
//! On a simulated cohort the form of every liability's interaction terms is known
//! (`simulate` writes it to `interactions.tsv`). `oracle_form` is the ensemble's features
//! plus exactly those terms, built from the same estimated scores: the outcome's estimated
//! genetic liability ĝ (the score part of its own ensemble's linear predictor) times sex,
//! age, sex × age and BMI, and times the partner outcomes' ĝ, as the simulator used them.
//! It is fitted like the ensemble (ridge on the train split, λ by cross-validation), so it is
//! the best a linear model can do that is *told* the true form; only its coefficients are
//! learnt. The captured fraction
//!
//! ```text
//!     (AUROC model − AUROC ensemble) / (AUROC oracle_form − AUROC ensemble)
//! ```
//!
//! says how much of that headroom the model takes, at any interaction strength; its CI is
//! a paired percentile bootstrap over the test samples. The form is truth: it measures,
//! and nothing of it reaches a model, its anchors or its defaults.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::baselines::Fitted;
use super::logistic::{Matrix, Standardiser};
use super::metrics::DeLong;
use super::{EvalCohort, EvalError, Split};
use crate::rng::Rng;
use crate::util::PathIoError;

/// One interaction term of an outcome's liability.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Term {
    /// G × sex.
    Sex,
    /// G × age.
    Age,
    /// G × sex × age.
    SexAge,
    /// G × BMI.
    Bmi,
    /// G × the genetic liability of another outcome.
    Outcome(String),
}

/// The interaction form of every outcome (`interactions.tsv`).
#[derive(Clone, Debug, Default)]
pub struct InteractionForm {
    /// Where it was read from.
    pub path: PathBuf,
    /// The terms of each outcome that has any.
    pub terms: HashMap<String, Vec<Term>>,
}

impl InteractionForm {
    /// Reads `interactions.tsv`: `#` comments, a header `outcome term with coefficient`,
    /// one term per line (the coefficient is read past: only the form is used).
    pub fn read(path: &Path) -> Result<InteractionForm, EvalError> {
        let text = std::fs::read_to_string(path).map_err(PathIoError::on(path))?;
        InteractionForm::parse(path, &text)
    }

    /// [`InteractionForm::read`] on the file's text.
    pub fn parse(path: &Path, text: &str) -> Result<InteractionForm, EvalError> {
        let err = |line: usize, message: String| EvalError::Form {
            path: path.to_path_buf(),
            line,
            message,
        };
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
        let expected = ["outcome", "term", "with", "coefficient"];
        match lines.next() {
            Some((_, h)) if h.split('\t').map(str::trim).eq(expected) => {}
            Some((i, h)) => {
                return Err(err(
                    i + 1,
                    format!("header '{h}', expected '{}'", expected.join("\t")),
                ))
            }
            None => return Err(err(1, "empty file, expected a header".into())),
        }
        let mut terms: HashMap<String, Vec<Term>> = HashMap::new();
        for (i, line) in lines {
            let f: Vec<&str> = line.split('\t').map(str::trim).collect();
            let [outcome, term, with, _coefficient] = f[..] else {
                return Err(err(i + 1, format!("{} fields, expected 4", f.len())));
            };
            let term = match (term, with) {
                ("sex", ".") => Term::Sex,
                ("age", ".") => Term::Age,
                ("sex_age", ".") => Term::SexAge,
                ("bmi", ".") => Term::Bmi,
                ("outcome", other) if other != "." && !other.is_empty() => {
                    Term::Outcome(other.to_string())
                }
                _ => {
                    return Err(err(
                        i + 1,
                        format!(
                            "term '{term}' with '{with}': expected sex, age, sex_age or bmi \
                             with '.', or outcome with an outcome id"
                        ),
                    ))
                }
            };
            terms.entry(outcome.to_string()).or_default().push(term);
        }
        Ok(InteractionForm {
            path: path.to_path_buf(),
            terms,
        })
    }
}

/// The estimated genetic liability ĝ of an outcome: the score part of its fitted
/// ensemble's linear predictor, for every row of the ensemble's `features`.
pub(super) fn genetic_part(
    cohort: &EvalCohort,
    features: &Matrix,
    ensemble: &Fitted,
) -> Option<Vec<f64>> {
    let beta = ensemble.coefficients.as_ref()?;
    let n_scores = cohort.features.p;
    Some(
        (0..features.n)
            .map(|i| {
                features.row(i)[..n_scores]
                    .iter()
                    .zip(&beta[1..=n_scores])
                    .map(|(x, b)| x * b)
                    .sum()
            })
            .collect(),
    )
}

/// The features of `oracle_form` for outcome `id`: `features` (the ensemble's), then its
/// terms built from `g` (ĝ of each outcome id), standardised on the train split. `None`
/// when a term needs a covariate or a partner outcome the cohort lacks (the term's name
/// says which).
pub(super) fn oracle_features(
    cohort: &EvalCohort,
    features: &Matrix,
    id: &str,
    terms: &[Term],
    g: &HashMap<String, Vec<f64>>,
) -> Result<Matrix, String> {
    let own = g
        .get(id)
        .ok_or_else(|| format!("no ensemble of '{id}' to estimate its genetic liability"))?;
    let covariate = |name: &str| -> Result<Vec<f64>, String> {
        let c = cohort
            .covariate_names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| format!("the cohort has no '{name}' covariate"))?;
        Ok((0..cohort.ids.len())
            .map(|i| cohort.covariates.row(i)[c])
            .collect())
    };
    let mut columns: Vec<Vec<f64>> = Vec::new();
    for term in terms {
        let modifier: Vec<f64> = match term {
            Term::Sex => covariate("sex")?,
            Term::Age => covariate("age")?,
            Term::Bmi => covariate("bmi")?,
            Term::SexAge => {
                let (s, a) = (covariate("sex")?, covariate("age")?);
                s.iter().zip(&a).map(|(s, a)| s * a).collect()
            }
            Term::Outcome(other) => g
                .get(other)
                .cloned()
                .ok_or_else(|| format!("partner outcome '{other}' is not in the cohort"))?,
        };
        columns.push(own.iter().zip(&modifier).map(|(g, m)| g * m).collect());
    }
    let n = cohort.ids.len();
    let p = columns.len();
    let mut values = Vec::with_capacity(n * p);
    for i in 0..n {
        values.extend(columns.iter().map(|c| c[i]));
    }
    let mut extra = Matrix::new(n, p, values);
    Standardiser::fit(&extra, &cohort.rows_of(Split::Train)).apply(&mut extra);
    Ok(features.hstack(&extra))
}

/// Bootstrap resamples of the captured fraction's CI.
pub const BOOTSTRAP_RESAMPLES: usize = 500;

/// The captured fraction of one outcome on the full test split.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Captured {
    /// Test AUROC of the model.
    pub auc_model: f64,
    /// Test AUROC of the ensemble.
    pub auc_ensemble: f64,
    /// Test AUROC of oracle_form.
    pub auc_oracle: f64,
    /// (model − ensemble) / (oracle − ensemble); `None` when oracle_form is no better
    /// than the ensemble (no headroom to take).
    pub fraction: Option<f64>,
    /// 2.5% and 97.5% percentiles over the bootstrap resamples whose denominator is
    /// positive.
    pub ci: Option<(f64, f64)>,
    /// Resamples drawn.
    pub resamples: usize,
    /// Resamples with headroom (a positive denominator), those the CI is taken over.
    pub resamples_with_headroom: usize,
}

/// [`Captured`] for the test predictions of the model, the ensemble and oracle_form
/// (`labels` the test labels), with a paired bootstrap over the test samples seeded by
/// `seed` and `label` (an outcome's own stream).
pub fn captured_fraction(
    model: &[f64],
    ensemble: &[f64],
    oracle: &[f64],
    labels: &[bool],
    resamples: usize,
    seed: u64,
    label: u64,
) -> Option<Captured> {
    let aucs = |rows: Option<&[usize]>| -> Option<[f64; 3]> {
        let pick = |p: &[f64]| -> Vec<f64> {
            rows.map_or_else(|| p.to_vec(), |r| r.iter().map(|&i| p[i]).collect())
        };
        let y: Vec<bool> = rows.map_or_else(
            || labels.to_vec(),
            |r| r.iter().map(|&i| labels[i]).collect(),
        );
        let (m, e, o) = (pick(model), pick(ensemble), pick(oracle));
        let d = DeLong::new(&[&m, &e, &o], &y)?;
        Some([d.auc[0], d.auc[1], d.auc[2]])
    };
    let ratio = |[m, e, o]: [f64; 3]| ((o - e) > 0.0).then(|| (m - e) / (o - e));
    let [m, e, o] = aucs(None)?;
    let mut rng = Rng::stream(seed, &[0x6361_7074, label]); // "capt"
    let n = labels.len();
    let mut draws: Vec<f64> = (0..resamples)
        .filter_map(|_| {
            let rows: Vec<usize> = (0..n).map(|_| rng.below(n as u64) as usize).collect();
            aucs(Some(&rows)).and_then(ratio)
        })
        .collect();
    draws.sort_by(f64::total_cmp);
    let ci = (!draws.is_empty()).then(|| {
        let at =
            |q: f64| draws[((q * (draws.len() - 1) as f64).round() as usize).min(draws.len() - 1)];
        (at(0.025), at(0.975))
    });
    Some(Captured {
        auc_model: m,
        auc_ensemble: e,
        auc_oracle: o,
        fraction: ratio([m, e, o]),
        ci,
        resamples,
        resamples_with_headroom: draws.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<InteractionForm, EvalError> {
        InteractionForm::parse(Path::new("interactions.tsv"), text)
    }

    #[test]
    fn reads_the_form_and_names_bad_lines() {
        let f = parse(
            "# truth\noutcome\tterm\twith\tcoefficient\ncad\tsex\t.\t0.2\ncad\toutcome\tt2d\t0.3\n",
        )
        .unwrap();
        assert_eq!(f.terms["cad"], [Term::Sex, Term::Outcome("t2d".into())]);
        let e = parse("outcome\tterm\n").unwrap_err().to_string();
        assert!(e.contains("interactions.tsv: line 1: header"), "{e}");
        let e = parse("outcome\tterm\twith\tcoefficient\ncad\tcube\t.\t1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2: term 'cube'"), "{e}");
        let e = parse("outcome\tterm\twith\tcoefficient\ncad\tsex\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2: 2 fields, expected 4"), "{e}");
        assert!(parse("outcome\tterm\twith\tcoefficient\n")
            .unwrap()
            .terms
            .is_empty());
    }

    /// Test predictions where the ensemble is noisier than the oracle.
    fn scores() -> (Vec<f64>, Vec<f64>, Vec<bool>) {
        let mut rng = Rng::stream(4, &[]);
        let (mut ens, mut ora, mut y) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..3000 {
            let risk = rng.normal();
            y.push(rng.bernoulli(1.0 / (1.0 + (-2.0 * risk).exp())));
            ora.push(risk + 0.3 * rng.normal());
            ens.push(risk + 1.2 * rng.normal());
        }
        (ens, ora, y)
    }

    #[test]
    fn captured_fraction_is_one_for_the_oracle_and_zero_for_the_ensemble() {
        let (ens, ora, y) = scores();
        let all = captured_fraction(&ora, &ens, &ora, &y, 200, 1, 7).unwrap();
        assert!(all.auc_oracle > all.auc_ensemble + 0.05);
        assert_eq!(all.fraction, Some(1.0));
        assert_eq!(all.ci, Some((1.0, 1.0)));
        let none = captured_fraction(&ens, &ens, &ora, &y, 200, 1, 7).unwrap();
        assert_eq!(none.fraction, Some(0.0));
        assert_eq!(none.ci, Some((0.0, 0.0)));
        assert_eq!(none.resamples_with_headroom, 200);
        // Halfway: an average of the two ranks somewhere between, with a CI around it.
        let mid: Vec<f64> = ens.iter().zip(&ora).map(|(e, o)| 0.5 * (e + o)).collect();
        let half = captured_fraction(&mid, &ens, &ora, &y, 200, 1, 7).unwrap();
        let f = half.fraction.unwrap();
        let (lo, hi) = half.ci.unwrap();
        assert!(
            0.0 < lo && lo <= f && f <= hi && hi < 1.2,
            "{f} ({lo}–{hi})"
        );
        // Seeded.
        assert_eq!(
            half,
            captured_fraction(&mid, &ens, &ora, &y, 200, 1, 7).unwrap()
        );
    }

    #[test]
    fn no_headroom_gives_no_fraction() {
        let (ens, _, y) = scores();
        let c = captured_fraction(&ens, &ens, &ens, &y, 50, 1, 7).unwrap();
        assert_eq!(c.fraction, None);
        assert_eq!(c.resamples_with_headroom, 0);
        assert_eq!(c.ci, None);
    }
}
