//! L2-regularised (ridge) logistic regression, and the cross-validation that picks its
//! penalty: the linear baselines of `evaluate`.
//!
//! The model is `logit P(y = 1) = β₀ + offset + xᵀβ`, fitted by maximising the penalised
//! log-likelihood `ℓ(β) − n·λ/2·‖β‖²` (the intercept is not penalised; λ is per sample,
//! as in glmnet, so one grid suits any sample size) with Newton–Raphson and step halving.
//! λ = 0 is ordinary maximum likelihood, the fit of R's `glm(family = binomial)`.
//! Features should be on comparable scales for the penalty to mean the same for each
//! ([`Standardiser`]).

use rayon::prelude::*;
use thiserror::Error;

use crate::gwas::regress::{cholesky, cholesky_solve};
use crate::rng::Rng;

/// Newton iterations before giving up.
const MAX_ITERATIONS: usize = 100;
/// Converged when no coefficient moves more than this in one step.
const STEP_TOL: f64 = 1e-9;
/// Step halvings before a Newton step is declared unproductive.
const MAX_HALVINGS: usize = 40;
/// Coefficients beyond this size mean separation (the likelihood has no finite maximum).
const DIVERGED: f64 = 1e6;
/// Log-odds coefficients this large, when the information matrix becomes singular, mean
/// the fitted probabilities reached 0 and 1 (separation) rather than collinearity.
const SEPARATION_HINT: f64 = 15.0;

/// Why a fit failed.
#[derive(Debug, Error, PartialEq)]
pub enum FitError {
    /// Newton–Raphson did not settle within the iteration limit.
    #[error("logistic regression did not converge in {MAX_ITERATIONS} iterations")]
    NotConverged,
    /// Coefficients grew without bound (or became non-finite), or the information matrix
    /// became singular with large log-odds coefficients: the features separate cases from
    /// controls and the likelihood has no finite maximum.
    #[error("logistic regression diverged (the outcome is separated by the features)")]
    Separated,
    /// The information matrix `XᵀWX` is not positive definite while coefficients are still
    /// moderate: collinear (or constant) features with λ = 0.
    #[error("logistic regression information matrix is singular (collinear features)")]
    Singular,
    /// `y` holds only cases or only controls.
    #[error("logistic regression needs both outcomes among its samples")]
    OneClass,
}

/// A dense row-major `n × p` matrix of features.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    /// Rows (samples).
    pub n: usize,
    /// Columns (features).
    pub p: usize,
    /// `n × p` entries, row-major: entry `(i, j)` at `i * p + j`.
    pub values: Vec<f64>,
}

impl Matrix {
    /// # Panics
    /// If `values` does not hold `n × p` entries.
    pub fn new(n: usize, p: usize, values: Vec<f64>) -> Matrix {
        assert_eq!(values.len(), n * p, "a matrix needs n × p values");
        Matrix { n, p, values }
    }

    /// Row `i` (`p` values).
    pub fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.p..(i + 1) * self.p]
    }

    /// The rows `rows`, in that order.
    pub fn rows(&self, rows: &[usize]) -> Matrix {
        let mut values = Vec::with_capacity(rows.len() * self.p);
        for &r in rows {
            values.extend_from_slice(self.row(r));
        }
        Matrix::new(rows.len(), self.p, values)
    }

    /// The columns `cols` of every row.
    pub fn columns(&self, cols: &[usize]) -> Matrix {
        let mut values = Vec::with_capacity(self.n * cols.len());
        for i in 0..self.n {
            let row = self.row(i);
            values.extend(cols.iter().map(|&c| row[c]));
        }
        Matrix::new(self.n, cols.len(), values)
    }

    /// `[self | other]`, side by side.
    ///
    /// # Panics
    /// If the row counts differ.
    pub fn hstack(&self, other: &Matrix) -> Matrix {
        assert_eq!(self.n, other.n, "hstack needs equal row counts");
        let mut values = Vec::with_capacity(self.n * (self.p + other.p));
        for i in 0..self.n {
            values.extend_from_slice(self.row(i));
            values.extend_from_slice(other.row(i));
        }
        Matrix::new(self.n, self.p + other.p, values)
    }
}

/// Column means and standard deviations of some rows (the training split), applied to
/// every row, so that a ridge penalty treats features alike. A constant column becomes 0.
#[derive(Clone, Debug, PartialEq)]
pub struct Standardiser {
    /// Mean of each column over the fitting rows.
    pub means: Vec<f64>,
    /// Sample standard deviation (n − 1 divisor) of each column over the fitting rows; 0 for
    /// a constant column.
    pub sds: Vec<f64>,
}

impl Standardiser {
    /// Column means and sample standard deviations of `x` over `rows` (e.g. the training
    /// split).
    pub fn fit(x: &Matrix, rows: &[usize]) -> Standardiser {
        let n = rows.len().max(1) as f64;
        let mut means = vec![0.0; x.p];
        for &r in rows {
            means.iter_mut().zip(x.row(r)).for_each(|(m, v)| *m += v);
        }
        means.iter_mut().for_each(|m| *m /= n);
        let mut sds = vec![0.0; x.p];
        for &r in rows {
            sds.iter_mut()
                .zip(x.row(r))
                .zip(&means)
                .for_each(|((s, v), m)| *s += (v - m).powi(2));
        }
        sds.iter_mut()
            .for_each(|s| *s = (*s / (n - 1.0).max(1.0)).sqrt());
        Standardiser { means, sds }
    }

    /// Standardises every row of `x` in place: `(v − mean) / sd`, or 0 where `sd` is 0.
    pub fn apply(&self, x: &mut Matrix) {
        for row in x.values.chunks_exact_mut(x.p) {
            for ((v, m), s) in row.iter_mut().zip(&self.means).zip(&self.sds) {
                *v = if *s > 0.0 { (*v - m) / s } else { 0.0 };
            }
        }
    }
}

/// A fitted logistic model: `beta[0]` is the intercept, `beta[1..]` the features'.
#[derive(Clone, Debug, PartialEq)]
pub struct LogisticModel {
    /// Coefficients on the log-odds scale: the intercept, then one per column of `x`.
    pub beta: Vec<f64>,
    /// The ridge penalty per sample it was fitted with (the penalty is `n·λ/2·‖β‖²`).
    pub lambda: f64,
    /// Newton–Raphson iterations taken.
    pub iterations: usize,
}

impl LogisticModel {
    /// Linear predictor (log-odds) of each row, without any offset.
    pub fn linear_predictor(&self, x: &Matrix) -> Vec<f64> {
        (0..x.n)
            .map(|i| self.beta[0] + dot(&self.beta[1..], x.row(i)))
            .collect()
    }

    /// Probabilities of each row.
    pub fn predict(&self, x: &Matrix) -> Vec<f64> {
        self.linear_predictor(x).into_iter().map(sigmoid).collect()
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn sigmoid(eta: f64) -> f64 {
    1.0 / (1.0 + (-eta).exp())
}

/// `ln(1 + e^x)` without overflow.
fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// Penalised log-likelihood and fitted probabilities at `beta`.
fn objective(
    x: &Matrix,
    y: &[f64],
    offset: Option<&[f64]>,
    penalty: f64,
    beta: &[f64],
) -> (f64, Vec<f64>) {
    let mut loglik = 0.0;
    let mut pi = Vec::with_capacity(x.n);
    for i in 0..x.n {
        let eta = beta[0] + dot(&beta[1..], x.row(i)) + offset.map_or(0.0, |o| o[i]);
        // y ln σ(η) + (1 − y) ln σ(−η) = y η − ln(1 + e^η).
        loglik += y[i] * eta - softplus(eta);
        pi.push(sigmoid(eta));
    }
    let ridge: f64 = beta[1..].iter().map(|b| b * b).sum();
    (loglik - 0.5 * penalty * ridge, pi)
}

/// Fits the ridge logistic regression of 0/1 `y` on the columns of `x` (an intercept is
/// added), with an optional fixed `offset` in the linear predictor, starting from `start`
/// (e.g. the fit at a neighbouring λ) or from zero.
pub fn fit_logistic(
    x: &Matrix,
    y: &[f64],
    offset: Option<&[f64]>,
    lambda: f64,
    start: Option<&[f64]>,
) -> Result<LogisticModel, FitError> {
    assert_eq!(x.n, y.len(), "one outcome per row");
    let cases = y.iter().filter(|&&v| v > 0.5).count();
    if cases == 0 || cases == y.len() {
        return Err(FitError::OneClass);
    }
    let (n, p1) = (x.n, x.p + 1);
    let penalty = lambda * n as f64;
    let mut beta = start.map_or_else(|| vec![0.0; p1], |s| s.to_vec());
    let (mut obj, mut pi) = objective(x, y, offset, penalty, &beta);
    let mut weighted = vec![0.0; n * p1];
    for iteration in 1..=MAX_ITERATIONS {
        // Information XᵀWX (+ penalty) and the penalised score.
        let mut grad = vec![0.0; p1];
        for i in 0..n {
            let w = (pi[i] * (1.0 - pi[i])).sqrt();
            let r = y[i] - pi[i];
            let out = &mut weighted[i * p1..(i + 1) * p1];
            out[0] = w;
            grad[0] += r;
            for (j, &v) in x.row(i).iter().enumerate() {
                out[j + 1] = w * v;
                grad[j + 1] += r * v;
            }
        }
        let mut info = vec![0.0; p1 * p1];
        // SAFETY: `weighted` is n × p1 row-major and `info` p1 × p1; the strides describe
        // exactly those buffers (Aᵀ read through swapped strides).
        unsafe {
            matrixmultiply::dgemm(
                p1,
                n,
                p1,
                1.0,
                weighted.as_ptr(),
                1,
                p1 as isize,
                weighted.as_ptr(),
                p1 as isize,
                1,
                0.0,
                info.as_mut_ptr(),
                p1 as isize,
                1,
            );
        }
        for j in 1..p1 {
            info[j * p1 + j] += penalty;
            grad[j] -= penalty * beta[j];
        }
        let Some(l) = cholesky(&info, p1) else {
            // Weights vanish as fitted probabilities reach 0 and 1: separation, unless
            // the coefficients are still moderate (then the features are collinear).
            return Err(if beta.iter().any(|b| b.abs() > SEPARATION_HINT) {
                FitError::Separated
            } else {
                FitError::Singular
            });
        };
        let step = cholesky_solve(&l, p1, &grad);
        let mut scale = 1.0;
        let mut accepted = false;
        for _ in 0..MAX_HALVINGS {
            let trial: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b + scale * s).collect();
            let (trial_obj, trial_pi) = objective(x, y, offset, penalty, &trial);
            if trial_obj >= obj - 1e-12 * obj.abs().max(1.0) {
                beta = trial;
                obj = trial_obj;
                pi = trial_pi;
                accepted = true;
                break;
            }
            scale *= 0.5;
        }
        let moved = step.iter().fold(0.0f64, |m, s| m.max((scale * s).abs()));
        if beta.iter().any(|b| !b.is_finite() || b.abs() > DIVERGED) {
            return Err(FitError::Separated);
        }
        if !accepted || moved < STEP_TOL {
            return Ok(LogisticModel {
                beta,
                lambda,
                iterations: iteration,
            });
        }
    }
    Err(FitError::NotConverged)
}

/// Mean binomial deviance `−2/n Σ [y ln p + (1 − y) ln(1 − p)]` of predictions.
pub fn deviance(probabilities: &[f64], y: &[f64]) -> f64 {
    let floor = 1e-15;
    let sum: f64 = probabilities
        .iter()
        .zip(y)
        .map(|(&p, &v)| {
            let p = p.clamp(floor, 1.0 - floor);
            v * p.ln() + (1.0 - v) * (1.0 - p).ln()
        })
        .sum();
    -2.0 * sum / probabilities.len().max(1) as f64
}

/// The default λ grid: 10⁻⁵ to 10 in half-decades.
pub fn lambda_grid() -> Vec<f64> {
    (0..=13).map(|k| 10f64.powf(1.0 - 0.5 * k as f64)).collect()
}

/// Cross-validation of the penalty.
#[derive(Clone, Debug, PartialEq)]
pub struct CrossValidation {
    /// The grid, largest first.
    pub lambdas: Vec<f64>,
    /// Mean held-out deviance per λ (∞ where a fold failed to fit).
    pub deviance: Vec<f64>,
    /// The λ with the least mean held-out deviance.
    pub best: f64,
}

/// `folds`-fold cross-validation of λ over `lambdas` by held-out deviance. Folds are
/// stratified by outcome (cases and controls are dealt round-robin after a seeded
/// shuffle), so every fold has its share of a rare outcome's cases. Each fold walks the
/// grid from the largest λ down, starting each fit from the previous one's solution.
pub fn cross_validate(
    x: &Matrix,
    y: &[f64],
    lambdas: &[f64],
    folds: usize,
    seed: u64,
) -> CrossValidation {
    let mut lambdas = lambdas.to_vec();
    lambdas.sort_by(|a, b| b.total_cmp(a));
    let mut rng = Rng::stream(seed, &[0x6376]);
    let mut fold_of = vec![0usize; y.len()];
    for class in [true, false] {
        let mut members: Vec<usize> = (0..y.len()).filter(|&i| (y[i] > 0.5) == class).collect();
        rng.shuffle(&mut members);
        for (k, i) in members.into_iter().enumerate() {
            fold_of[i] = k % folds;
        }
    }
    let per_fold: Vec<Vec<f64>> = (0..folds)
        .into_par_iter()
        .map(|f| {
            let train: Vec<usize> = (0..y.len()).filter(|&i| fold_of[i] != f).collect();
            let held: Vec<usize> = (0..y.len()).filter(|&i| fold_of[i] == f).collect();
            let (xt, xh) = (x.rows(&train), x.rows(&held));
            let yt: Vec<f64> = train.iter().map(|&i| y[i]).collect();
            let yh: Vec<f64> = held.iter().map(|&i| y[i]).collect();
            let mut start: Option<Vec<f64>> = None;
            lambdas
                .iter()
                .map(
                    |&lambda| match fit_logistic(&xt, &yt, None, lambda, start.as_deref()) {
                        Ok(m) => {
                            let d = deviance(&m.predict(&xh), &yh);
                            start = Some(m.beta);
                            d
                        }
                        Err(_) => f64::INFINITY,
                    },
                )
                .collect()
        })
        .collect();
    let deviance: Vec<f64> = (0..lambdas.len())
        .map(|k| per_fold.iter().map(|d| d[k]).sum::<f64>() / folds as f64)
        .collect();
    let best_at = (0..lambdas.len())
        .min_by(|&a, &b| deviance[a].total_cmp(&deviance[b]))
        .unwrap_or(0);
    CrossValidation {
        best: lambdas[best_at],
        lambdas,
        deviance,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small fixed data set and R's `glm` solution for it:
    ///
    /// ```r
    /// x1 <- c(-1.2,-0.8,-0.5,-0.3,0,0.2,0.4,0.7,1,1.3,-1.5,0.1,0.9,-0.2,0.5,1.6,-0.9,0.3,1.1,-0.6)
    /// x2 <- c(0,1,0,1,0,1,0,1,0,1,1,0,1,0,1,0,1,0,1,0)
    /// y  <- c(0,0,0,1,0,0,1,0,1,1,0,0,1,1,0,1,0,1,1,0)
    /// fit <- glm(y ~ x1 + x2, family = binomial, control = glm.control(epsilon = 1e-14))
    /// print(coef(fit), digits = 15)  # -0.133025800916963 2.633641907462794 -1.240241561903378
    /// ```
    /// (R 4.2.2, Debian bookworm.)
    fn glm_data() -> (Matrix, Vec<f64>) {
        let x1 = [
            -1.2, -0.8, -0.5, -0.3, 0.0, 0.2, 0.4, 0.7, 1.0, 1.3, -1.5, 0.1, 0.9, -0.2, 0.5, 1.6,
            -0.9, 0.3, 1.1, -0.6,
        ];
        let x2 = [
            0., 1., 0., 1., 0., 1., 0., 1., 0., 1., 1., 0., 1., 0., 1., 0., 1., 0., 1., 0.,
        ];
        let y = vec![
            0., 0., 0., 1., 0., 0., 1., 0., 1., 1., 0., 0., 1., 1., 0., 1., 0., 1., 1., 0.,
        ];
        let values = x1.iter().zip(&x2).flat_map(|(a, b)| [*a, *b]).collect();
        (Matrix::new(20, 2, values), y)
    }

    const GLM_COEF: [f64; 3] = [
        -0.133_025_800_916_963,
        2.633_641_907_462_794,
        -1.240_241_561_903_378,
    ];

    #[test]
    fn maximum_likelihood_matches_r_glm() {
        let (x, y) = glm_data();
        let m = fit_logistic(&x, &y, None, 0.0, None).unwrap();
        for (b, r) in m.beta.iter().zip(GLM_COEF) {
            assert!((b - r).abs() < 1e-7, "{:?} vs {GLM_COEF:?}", m.beta);
        }
    }

    #[test]
    fn ridge_solution_zeroes_the_penalised_score() {
        // Stationarity (KKT) of ℓ(β) − nλ/2‖β‖²: Xᵀ(y − π) = nλβ, intercept unpenalised.
        let (x, y) = glm_data();
        let lambda = 0.05;
        let m = fit_logistic(&x, &y, None, lambda, None).unwrap();
        let pi = m.predict(&x);
        let resid: Vec<f64> = y.iter().zip(&pi).map(|(a, b)| a - b).collect();
        assert!(resid.iter().sum::<f64>().abs() < 1e-8);
        for j in 0..2 {
            let g: f64 = (0..20).map(|i| resid[i] * x.row(i)[j]).sum();
            assert!((g - 20.0 * lambda * m.beta[j + 1]).abs() < 1e-8);
        }
        // The penalty shrinks the coefficients.
        let ml = fit_logistic(&x, &y, None, 0.0, None).unwrap();
        assert!(m.beta[1].abs() < ml.beta[1].abs());
    }

    #[test]
    fn offset_enters_the_linear_predictor() {
        // With offset o and no features, the intercept solves Σ y = Σ σ(β₀ + o).
        let (_, y) = glm_data();
        let o: Vec<f64> = (0..20).map(|i| (i as f64 - 10.0) / 5.0).collect();
        let m = fit_logistic(&Matrix::new(20, 0, vec![]), &y, Some(&o), 0.0, None).unwrap();
        let fitted: f64 = o.iter().map(|v| sigmoid(m.beta[0] + v)).sum();
        assert!((fitted - y.iter().sum::<f64>()).abs() < 1e-8);
    }

    #[test]
    fn separation_is_reported_not_looped_on() {
        let x = Matrix::new(4, 1, vec![-2.0, -1.0, 1.0, 2.0]);
        let y = [0.0, 0.0, 1.0, 1.0];
        assert_eq!(
            fit_logistic(&x, &y, None, 0.0, None),
            Err(FitError::Separated)
        );
        // Collinear features are told apart from separation.
        let x2 = Matrix::new(4, 2, vec![1.0, 2.0, 2.0, 4.0, 3.0, 6.0, 4.0, 8.0]);
        assert_eq!(
            fit_logistic(&x2, &[0.0, 1.0, 0.0, 1.0], None, 0.0, None),
            Err(FitError::Singular)
        );
        // A penalty makes the maximum finite.
        assert!(fit_logistic(&x, &y, None, 0.1, None).is_ok());
        assert_eq!(
            fit_logistic(&x, &[0.0; 4], None, 0.1, None),
            Err(FitError::OneClass)
        );
    }

    #[test]
    fn cross_validation_prefers_little_penalty_for_strong_signal_and_is_seeded() {
        let mut rng = Rng::stream(9, &[2]);
        let n = 2000;
        let mut values = Vec::new();
        let mut y = Vec::new();
        for _ in 0..n {
            let a = rng.normal();
            let noise: Vec<f64> = (0..5).map(|_| rng.normal()).collect();
            values.push(a);
            values.extend(&noise);
            y.push(f64::from(u8::from(rng.uniform() < sigmoid(1.5 * a - 1.0))));
        }
        let x = Matrix::new(n, 6, values);
        let cv = cross_validate(&x, &y, &lambda_grid(), 5, 1);
        assert!(cv.best < 0.1, "{cv:?}");
        assert!(cv.deviance.iter().all(|d| d.is_finite()));
        assert_eq!(cv, cross_validate(&x, &y, &lambda_grid(), 5, 1));
    }

    #[test]
    fn standardiser_uses_the_given_rows_only() {
        let mut x = Matrix::new(4, 2, vec![1.0, 5.0, 3.0, 5.0, 100.0, 7.0, -100.0, 1.0]);
        let s = Standardiser::fit(&x, &[0, 1]);
        assert_eq!(s.means, vec![2.0, 5.0]);
        s.apply(&mut x);
        assert!((x.row(0)[0] + 1.0 / 2f64.sqrt()).abs() < 1e-12);
        assert_eq!(x.row(2)[1], 0.0, "a constant column becomes 0");
    }
}
