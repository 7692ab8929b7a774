//! The regressions behind `gwas`: least squares through the Frisch–Waugh–Lovell theorem,
//! logistic regression by Newton–Raphson (IRLS), and Firth's penalised logistic regression
//! (Firth 1993, Biometrika 80:27) as plink2's `--glm firth-fallback` uses it.
//!
//! Design matrices are small (a handful of covariates) and tall (thousands of samples),
//! so they are held as columns and every p × p system is solved by Cholesky.

use statrs::distribution::{ContinuousCDF, StudentsT};
use statrs::function::erf::erfc;

/// Newton iterations stop when no coefficient moves by more than this.
pub const CONVERGENCE_TOL: f64 = 1e-8;
/// Newton iterations of plain logistic regression before declaring non-convergence
/// (separation makes the estimates drift off without converging).
pub const MAX_ITERATIONS: usize = 25;
/// Iterations allowed to Firth's method, whose penalised likelihood always has a finite
/// maximum but whose steps are capped and halved.
pub const FIRTH_MAX_ITERATIONS: usize = 200;
/// Largest change of one coefficient in one Firth step (logistf's `maxstep`).
const FIRTH_MAX_STEP: f64 = 5.0;
/// Step halvings tried when a Firth step lowers the penalised likelihood.
const FIRTH_MAX_HALVINGS: usize = 30;
/// A column whose residual norm, relative to its own norm, is below this is taken to be a
/// linear combination of the columns before it.
const COLLINEAR_TOL: f64 = 1e-9;

/// The estimate, standard error and p-value of the tested coefficient.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Effect of one more copy of the tested allele: phenotype units for linear regression,
    /// log-odds for logistic (plink2 `--glm` reports `exp(beta)` as `OR`).
    pub beta: f64,
    /// Standard error of `beta` (plink2 `SE`; for logistic fits, on the log-odds scale).
    pub se: f64,
    /// Two-sided p-value: Student's t with `n - k - 1` degrees of freedom for linear fits, the
    /// normal Wald z test for logistic and Firth fits (plink2 `P`).
    pub p: f64,
}

/// Dot product.
#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Lower Cholesky factor of the symmetric positive definite `p × p` matrix `a`
/// (row-major), or `None` when `a` is not positive definite.
pub fn cholesky(a: &[f64], p: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..=i {
            // Rows i and j of L up to column j: contiguous, so a four-lane dot product
            // (the ridge fits of `evaluate` factor matrices of several hundred columns).
            let s = a[i * p + j] - dot4(&l[i * p..i * p + j], &l[j * p..j * p + j]);
            if i == j {
                if s.is_nan() || s <= 0.0 || !s.is_finite() {
                    return None;
                }
                l[i * p + i] = s.sqrt();
            } else {
                l[i * p + j] = s / l[j * p + j];
            }
        }
    }
    Some(l)
}

/// `Σ a_k b_k` in four interleaved partial sums, which the compiler vectorises.
fn dot4(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Solves `L Lᵀ x = b` given the Cholesky factor `l`.
pub fn cholesky_solve(l: &[f64], p: usize, b: &[f64]) -> Vec<f64> {
    let mut z = b.to_vec();
    for i in 0..p {
        for k in 0..i {
            z[i] -= l[i * p + k] * z[k];
        }
        z[i] /= l[i * p + i];
    }
    for i in (0..p).rev() {
        for k in i + 1..p {
            z[i] -= l[k * p + i] * z[k];
        }
        z[i] /= l[i * p + i];
    }
    z
}

/// The inverse of `L Lᵀ`, row-major.
pub fn cholesky_inverse(l: &[f64], p: usize) -> Vec<f64> {
    let mut inv = vec![0.0; p * p];
    let mut e = vec![0.0; p];
    for j in 0..p {
        e.iter_mut().for_each(|x| *x = 0.0);
        e[j] = 1.0;
        let col = cholesky_solve(l, p, &e);
        for i in 0..p {
            inv[i * p + j] = col[i];
        }
    }
    inv
}

/// Two-sided p-value of a t statistic with `df` degrees of freedom.
pub fn t_test_p(t: f64, df: f64) -> f64 {
    match StudentsT::new(0.0, 1.0, df) {
        Ok(d) => (2.0 * d.sf(t.abs())).min(1.0),
        Err(_) => f64::NAN,
    }
}

/// Two-sided p-value of a Wald z statistic (standard normal).
pub fn z_test_p(z: f64) -> f64 {
    erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// The covariate part of a least-squares model, factored once per sample set.
///
/// By the Frisch–Waugh–Lovell theorem the genotype coefficient of
/// `y ~ covariates + g` equals that of regressing the covariate-residualised `y` on the
/// covariate-residualised `g`, with the same residual sum of squares. So an orthonormal
/// basis `Q` of the covariate columns (modified Gram–Schmidt, twice for stability) turns
/// each variant's fit into O(n × k) work.
#[derive(Clone, Debug)]
pub struct LinearBasis {
    q: Vec<Vec<f64>>,
    /// `y` with its projection on the covariates removed.
    y_resid: Vec<f64>,
    /// Residual sum of squares of the covariate-only model.
    rss0: f64,
}

impl LinearBasis {
    /// Factors the covariate columns (the intercept included by the caller). `None` when
    /// the columns are linearly dependent.
    pub fn new(columns: &[Vec<f64>], y: &[f64]) -> Option<LinearBasis> {
        let mut q: Vec<Vec<f64>> = Vec::with_capacity(columns.len());
        for c in columns {
            let norm0 = dot(c, c).sqrt();
            if norm0 == 0.0 {
                return None;
            }
            let mut v = c.clone();
            project_out(&q, &mut v);
            let norm = dot(&v, &v).sqrt();
            if norm <= COLLINEAR_TOL * norm0 {
                return None;
            }
            v.iter_mut().for_each(|x| *x /= norm);
            q.push(v);
        }
        let mut y_resid = y.to_vec();
        project_out(&q, &mut y_resid);
        let rss0 = dot(&y_resid, &y_resid);
        Some(LinearBasis { q, y_resid, rss0 })
    }

    /// Number of covariate columns.
    pub fn k(&self) -> usize {
        self.q.len()
    }

    /// Fits `y ~ covariates + g`; `None` when `g` is a combination of the covariates
    /// (e.g. monomorphic), when no degree of freedom is left, or when the fit is perfect.
    pub fn test(&self, g: &[f64]) -> Option<Estimate> {
        let norm0 = dot(g, g);
        let mut rg = g.to_vec();
        project_out(&self.q, &mut rg);
        let gg = dot(&rg, &rg);
        let gy = dot(&rg, &self.y_resid);
        self.estimate(g.len(), norm0, gg, gy)
    }

    /// The estimate from the sufficient statistics of a genotype column `g` over `n`
    /// samples: `norm0 = g·g`, `gg = r·r` and `gy = r·y_resid`, where `r` is `g` with the
    /// covariates projected out. Batched callers compute these with matrix products.
    pub fn estimate(&self, n: usize, norm0: f64, gg: f64, gy: f64) -> Option<Estimate> {
        let df = n as f64 - self.k() as f64 - 1.0;
        if df < 1.0 {
            return None;
        }
        if norm0 == 0.0 || gg <= COLLINEAR_TOL * COLLINEAR_TOL * norm0 {
            return None;
        }
        let beta = gy / gg;
        let rss = self.rss0 - beta * gy;
        if rss.is_nan() || rss <= 0.0 {
            return None;
        }
        let se = (rss / df / gg).sqrt();
        let p = t_test_p(beta / se, df);
        Some(Estimate { beta, se, p })
    }

    /// The orthonormal basis of the covariate columns.
    pub fn q(&self) -> &[Vec<f64>] {
        &self.q
    }

    /// The phenotype with the covariates projected out.
    pub fn y_resid(&self) -> &[f64] {
        &self.y_resid
    }
}

/// Removes from `v` its projection on the orthonormal columns `q` (twice: "twice is
/// enough", Giraud et al. 2005).
fn project_out(q: &[Vec<f64>], v: &mut [f64]) {
    for _ in 0..2 {
        for qc in q {
            let c = dot(qc, v);
            v.iter_mut().zip(qc).for_each(|(x, &qi)| *x -= c * qi);
        }
    }
}

/// Outcome of a logistic fit.
#[derive(Clone, Debug, PartialEq)]
pub struct LogisticFit {
    /// Coefficients at the maximum, in the order of the design columns (the genotype last),
    /// on the log-odds scale.
    pub beta: Vec<f64>,
    /// Standard errors from the inverse Fisher information at the estimate.
    pub se: Vec<f64>,
}

impl LogisticFit {
    /// The Wald test of the last coefficient (the genotype's).
    pub fn last(&self) -> Option<Estimate> {
        let beta = *self.beta.last()?;
        let se = *self.se.last()?;
        if !beta.is_finite() || !se.is_finite() || se <= 0.0 {
            return None;
        }
        Some(Estimate {
            beta,
            se,
            p: z_test_p(beta / se),
        })
    }
}

/// `ln σ(η)` without overflow.
#[inline]
fn log_sigmoid(eta: f64) -> f64 {
    -softplus(-eta)
}

/// `ln(1 + e^x)` without overflow.
#[inline]
fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// Linear predictors, fitted probabilities and the Fisher information `XᵀWX` at `beta`;
/// also the log-likelihood.
struct State {
    pi: Vec<f64>,
    info: Vec<f64>,
    loglik: f64,
}

fn state(x: &[Vec<f64>], y: &[f64], beta: &[f64]) -> State {
    let n = y.len();
    let p = x.len();
    let mut eta = vec![0.0; n];
    for (c, b) in x.iter().zip(beta) {
        eta.iter_mut().zip(c).for_each(|(e, &xi)| *e += b * xi);
    }
    let mut loglik = 0.0;
    let pi: Vec<f64> = eta
        .iter()
        .zip(y)
        .map(|(&e, &yi)| {
            loglik += if yi > 0.5 {
                log_sigmoid(e)
            } else {
                log_sigmoid(-e)
            };
            1.0 / (1.0 + (-e).exp())
        })
        .collect();
    let w: Vec<f64> = pi.iter().map(|&q| q * (1.0 - q)).collect();
    let mut info = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..=i {
            let s: f64 = x[i]
                .iter()
                .zip(&x[j])
                .zip(&w)
                .map(|((a, b), w)| a * b * w)
                .sum();
            info[i * p + j] = s;
            info[j * p + i] = s;
        }
    }
    State { pi, info, loglik }
}

/// Standard errors: square roots of the diagonal of the inverse information.
fn standard_errors(info: &[f64], p: usize) -> Option<Vec<f64>> {
    let l = cholesky(info, p)?;
    let inv = cholesky_inverse(&l, p);
    Some((0..p).map(|i| inv[i * p + i].sqrt()).collect())
}

/// Maximum-likelihood logistic regression of 0/1 `y` on the columns `x` by Newton–Raphson
/// from `start`. `None` when it does not converge within [`MAX_ITERATIONS`] (as under
/// separation), or the information matrix becomes singular.
pub fn logistic(x: &[Vec<f64>], y: &[f64], start: &[f64]) -> Option<LogisticFit> {
    let p = x.len();
    let mut beta = start.to_vec();
    for _ in 0..MAX_ITERATIONS {
        let s = state(x, y, &beta);
        let l = cholesky(&s.info, p)?;
        let score: Vec<f64> = x
            .iter()
            .map(|c| {
                c.iter()
                    .zip(y)
                    .zip(&s.pi)
                    .map(|((xi, yi), pi)| xi * (yi - pi))
                    .sum()
            })
            .collect();
        let delta = cholesky_solve(&l, p, &score);
        let mut max_step = 0.0f64;
        for (b, d) in beta.iter_mut().zip(&delta) {
            *b += d;
            max_step = max_step.max(d.abs());
        }
        if !max_step.is_finite() {
            return None;
        }
        if max_step < CONVERGENCE_TOL {
            let s = state(x, y, &beta);
            let se = standard_errors(&s.info, p)?;
            return Some(LogisticFit { beta, se });
        }
    }
    None
}

/// Firth's bias-reduced logistic regression: maximises `l(β) + ½ ln det I(β)`, whose
/// maximum is finite even under complete separation. The modified score is
/// `Xᵀ(y − π + h(½ − π))` with `h` the diagonal of the weighted hat matrix
/// (Heinze & Schemper 2002, Stat Med 21:2409). Steps are capped and halved until the
/// penalised likelihood rises. Standard errors come from the inverse information, and
/// the test is Wald's, as in plink2.
pub fn firth(x: &[Vec<f64>], y: &[f64], start: &[f64]) -> Option<LogisticFit> {
    let p = x.len();
    let n = y.len();
    let penalised = |beta: &[f64]| -> Option<(State, Vec<f64>, f64)> {
        let s = state(x, y, beta);
        let l = cholesky(&s.info, p)?;
        let log_det: f64 = (0..p).map(|i| 2.0 * l[i * p + i].ln()).sum();
        let value = s.loglik + 0.5 * log_det;
        value.is_finite().then_some((s, l, value))
    };
    let mut beta = start.to_vec();
    let (mut s, mut l, mut value) = penalised(&beta)?;
    for _ in 0..FIRTH_MAX_ITERATIONS {
        let inv = cholesky_inverse(&l, p);
        // h_i = w_i x_iᵀ I⁻¹ x_i.
        let mut score = vec![0.0; p];
        let mut xi = vec![0.0; p];
        for i in 0..n {
            for (j, c) in x.iter().enumerate() {
                xi[j] = c[i];
            }
            let mut quad = 0.0;
            for a in 0..p {
                let row: f64 = (0..p).map(|b| inv[a * p + b] * xi[b]).sum();
                quad += xi[a] * row;
            }
            let pi = s.pi[i];
            let h = pi * (1.0 - pi) * quad;
            let r = y[i] - pi + h * (0.5 - pi);
            for j in 0..p {
                score[j] += xi[j] * r;
            }
        }
        let mut delta = cholesky_solve(&l, p, &score);
        let largest = delta.iter().fold(0.0f64, |m, d| m.max(d.abs()));
        if !largest.is_finite() {
            return None;
        }
        if largest > FIRTH_MAX_STEP {
            delta
                .iter_mut()
                .for_each(|d| *d *= FIRTH_MAX_STEP / largest);
        }
        let mut accepted = None;
        for _ in 0..=FIRTH_MAX_HALVINGS {
            let trial: Vec<f64> = beta.iter().zip(&delta).map(|(b, d)| b + d).collect();
            if let Some((ts, tl, tv)) = penalised(&trial) {
                if tv >= value - 1e-12 * value.abs().max(1.0) {
                    accepted = Some((trial, ts, tl, tv));
                    break;
                }
            }
            delta.iter_mut().for_each(|d| *d *= 0.5);
        }
        let (trial, ts, tl, tv) = accepted?;
        let step = beta
            .iter()
            .zip(&trial)
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
        beta = trial;
        s = ts;
        l = tl;
        value = tv;
        if step < CONVERGENCE_TOL {
            let se = standard_errors(&s.info, p)?;
            return Some(LogisticFit { beta, se });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * a.abs().max(b.abs()).max(1e-300)
    }

    #[test]
    fn cholesky_inverts() {
        let a = [4.0, 2.0, 0.6, 2.0, 5.0, 1.0, 0.6, 1.0, 3.0];
        let l = cholesky(&a, 3).unwrap();
        let inv = cholesky_inverse(&l, 3);
        for i in 0..3 {
            for j in 0..3 {
                let s: f64 = (0..3).map(|k| a[i * 3 + k] * inv[k * 3 + j]).sum();
                assert!((s - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        assert!(cholesky(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
    }

    #[test]
    fn simple_regression_matches_textbook_formulas() {
        // y = a + b g: b = Sgy / Sgg, se = sqrt(s² / Sgg), s² = RSS / (n − 2).
        let g = [0.0, 1.0, 2.0, 1.0, 0.0, 2.0, 1.0];
        let y = [1.1, 2.3, 2.9, 1.8, 0.7, 3.4, 2.2];
        let n = g.len() as f64;
        let (mg, my) = (g.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
        let sgg: f64 = g.iter().map(|x| (x - mg).powi(2)).sum();
        let sgy: f64 = g.iter().zip(&y).map(|(x, z)| (x - mg) * (z - my)).sum();
        let b = sgy / sgg;
        let a = my - b * mg;
        let rss: f64 = g.iter().zip(&y).map(|(x, z)| (z - a - b * x).powi(2)).sum();
        let se = (rss / (n - 2.0) / sgg).sqrt();
        let basis = LinearBasis::new(&[vec![1.0; 7]], &y).unwrap();
        let e = basis.test(&g).unwrap();
        assert!(close(e.beta, b, 1e-12), "{} vs {b}", e.beta);
        assert!(close(e.se, se, 1e-12));
        // t = 6.2 on 5 df is p ≈ 0.0016 (tables); check against the t cdf directly.
        let t = b / se;
        let p = 2.0 * (1.0 - StudentsT::new(0.0, 1.0, 5.0).unwrap().cdf(t.abs()));
        assert!(close(e.p, p, 1e-9), "{} vs {p}", e.p);
    }

    #[test]
    fn covariate_adjusted_fit_matches_normal_equations() {
        // Full model solved directly: β = (XᵀX)⁻¹Xᵀy, Var(β) = s²(XᵀX)⁻¹.
        let c = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0];
        let g = [0.0, 1.0, 2.0, 0.0, 1.0, 1.0, 2.0, 0.0, 2.0, 1.0];
        let y = [2.0, 1.5, 4.1, 0.9, 3.3, 5.2, 3.9, 2.8, 5.1, 2.2];
        let cols = [vec![1.0; 10], c.to_vec(), g.to_vec()];
        let mut xtx = vec![0.0; 9];
        let mut xty = vec![0.0; 3];
        for i in 0..3 {
            for j in 0..3 {
                xtx[i * 3 + j] = dot(&cols[i], &cols[j]);
            }
            xty[i] = dot(&cols[i], &y);
        }
        let l = cholesky(&xtx, 3).unwrap();
        let beta = cholesky_solve(&l, 3, &xty);
        let inv = cholesky_inverse(&l, 3);
        let rss: f64 = (0..10)
            .map(|i| (y[i] - (0..3).map(|j| beta[j] * cols[j][i]).sum::<f64>()).powi(2))
            .sum();
        let se = (rss / 7.0 * inv[8]).sqrt();
        let basis = LinearBasis::new(&cols[..2], &y).unwrap();
        let e = basis.test(&g).unwrap();
        assert!(close(e.beta, beta[2], 1e-10), "{} vs {}", e.beta, beta[2]);
        assert!(close(e.se, se, 1e-10));
    }

    #[test]
    fn degenerate_linear_fits_are_refused() {
        let y = [1.0, 2.0, 3.0, 5.0];
        let basis = LinearBasis::new(&[vec![1.0; 4]], &y).unwrap();
        assert!(basis.test(&[1.0; 4]).is_none(), "monomorphic genotype");
        assert!(basis.test(&[0.0; 4]).is_none());
        let tiny = LinearBasis::new(&[vec![1.0; 2]], &[1.0, 2.0]).unwrap();
        assert!(tiny.test(&[0.0, 1.0]).is_none(), "no degrees of freedom");
        assert!(LinearBasis::new(&[vec![1.0; 3], vec![2.0; 3]], &[1.0, 2.0, 3.0]).is_none());
    }

    /// A 2 × 2 table as (x, y) samples: `a` with x=1,y=1, `b` x=1,y=0, `c` x=0,y=1,
    /// `d` x=0,y=0.
    fn table(a: usize, b: usize, c: usize, d: usize) -> (Vec<Vec<f64>>, Vec<f64>) {
        let mut x = Vec::new();
        let mut y = Vec::new();
        for (n, xv, yv) in [(a, 1.0, 1.0), (b, 1.0, 0.0), (c, 0.0, 1.0), (d, 0.0, 0.0)] {
            for _ in 0..n {
                x.push(xv);
                y.push(yv);
            }
        }
        (vec![vec![1.0; y.len()], x], y)
    }

    #[test]
    fn logistic_on_a_two_by_two_table_is_the_log_odds_ratio() {
        // The MLE of a saturated logistic model is the empirical log odds ratio, with
        // Woolf's standard error sqrt(1/a + 1/b + 1/c + 1/d).
        let (a, b, c, d) = (12.0f64, 5.0f64, 7.0f64, 15.0f64);
        let (x, y) = table(12, 5, 7, 15);
        let fit = logistic(&x, &y, &[0.0, 0.0]).unwrap();
        let e = fit.last().unwrap();
        assert!(close(e.beta, (a * d / (b * c)).ln(), 1e-10), "{}", e.beta);
        let se = (1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d).sqrt();
        assert!(close(e.se, se, 1e-8), "{} vs {se}", e.se);
        assert!(close(fit.beta[0], (c / d).ln(), 1e-10));
        assert!(close(e.p, z_test_p(e.beta / se), 1e-6));
    }

    #[test]
    fn logistic_matches_a_hand_coded_newton_with_one_covariate() {
        // One continuous predictor: Newton on the 2 × 2 system written out by hand.
        let xs = [
            -1.5, -0.7, -0.2, 0.1, 0.4, 0.9, 1.3, 2.0, -1.1, 0.6, 1.7, -0.4,
        ];
        let ys = [0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
        let (mut b0, mut b1) = (0.0f64, 0.0f64);
        let mut info = [0.0; 3];
        for _ in 0..50 {
            let (mut u0, mut u1, mut i00, mut i01, mut i11) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for (&x, &y) in xs.iter().zip(&ys) {
                let p = 1.0 / (1.0 + (-(b0 + b1 * x)).exp());
                let w = p * (1.0 - p);
                u0 += y - p;
                u1 += x * (y - p);
                i00 += w;
                i01 += w * x;
                i11 += w * x * x;
            }
            let det = i00 * i11 - i01 * i01;
            b0 += (i11 * u0 - i01 * u1) / det;
            b1 += (i00 * u1 - i01 * u0) / det;
            info = [i00, i01, i11];
        }
        let se1 = (info[0] / (info[0] * info[2] - info[1] * info[1])).sqrt();
        let x = vec![vec![1.0; xs.len()], xs.to_vec()];
        let fit = logistic(&x, &ys, &[0.0, 0.0]).unwrap();
        let e = fit.last().unwrap();
        assert!(close(e.beta, b1, 1e-9), "{} vs {b1}", e.beta);
        assert!(close(fit.beta[0], b0, 1e-9));
        assert!(close(e.se, se1, 1e-7), "{} vs {se1}", e.se);
    }

    #[test]
    fn separation_defeats_logistic_but_not_firth() {
        // Complete separation: no finite MLE. For a 2 × 2 table Firth's estimate is the
        // log odds ratio with ½ added to every cell: ln(3.5² / 0.5²) = ln 49.
        let (x, y) = table(3, 0, 0, 3);
        assert!(logistic(&x, &y, &[0.0, 0.0]).is_none());
        let fit = firth(&x, &y, &[0.0, 0.0]).unwrap();
        let e = fit.last().unwrap();
        assert!(close(e.beta, 49f64.ln(), 1e-7), "{}", e.beta);
        assert!(e.se.is_finite() && e.p > 0.0 && e.p < 1.0);
        // And on an ordinary table too: (a+½)(d+½)/((b+½)(c+½)).
        let (x, y) = table(12, 5, 7, 15);
        let fit = firth(&x, &y, &[0.0, 0.0]).unwrap();
        let want = (12.5f64 * 15.5 / (5.5 * 7.5)).ln();
        assert!(close(fit.beta[1], want, 1e-7), "{} vs {want}", fit.beta[1]);
    }

    #[test]
    fn p_values_are_two_sided() {
        assert!(close(z_test_p(1.959963984540054), 0.05, 1e-9));
        assert!(close(z_test_p(-1.959963984540054), 0.05, 1e-9));
        assert!(close(t_test_p(2.570581835636314, 5.0), 0.05, 1e-7));
        assert!(z_test_p(30.0) > 0.0, "no underflow to zero this far out");
    }
}
