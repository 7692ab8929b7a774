//! Discrimination and calibration metrics of a risk score against 0/1 outcomes.
//!
//! * AUROC and its variance by DeLong, DeLong & Clarke-Pearson (1988, Biometrics 44:837),
//!   computed with the midrank algorithm of Sun & Xu (2014, IEEE Signal Processing Letters
//!   21:1389), the method of pROC's `roc.test(method = "delong")`. Several scores of the
//!   same samples give a covariance matrix, hence the paired test of two correlated AUCs.
//! * AUPRC as average precision: `Σ (R_k − R_{k−1}) P_k` over the distinct thresholds
//!   (no interpolation; scikit-learn's `average_precision_score`).
//! * Brier score: the mean squared error of the probabilities.
//! * Calibration slope and intercept (Cox 1958; Van Calster et al. 2019, "Calibration:
//!   the Achilles heel of predictive analytics"): the slope of the logistic regression of
//!   the outcome on the logit of the prediction, and the intercept of the same regression
//!   with the slope fixed at 1 (calibration-in-the-large). Ideal: slope 1, intercept 0.

use statrs::function::erf::erfc;

use super::logistic::{fit_logistic, Matrix};

/// Probabilities are clamped to `[PROB_FLOOR, 1 − PROB_FLOOR]` before taking logits, so a
/// prediction of exactly 0 or 1 does not give an infinite calibration regressor.
const PROB_FLOOR: f64 = 1e-8;

/// Midranks (1-based; tied values share the mean of their ranks) of `x`.
fn midranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && x[order[end]] == x[order[start]] {
            end += 1;
        }
        let mid = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = mid;
        }
        start = end;
    }
    ranks
}

/// AUROCs of several scores of the same samples, with DeLong's covariance matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct DeLong {
    /// One AUC per score.
    pub auc: Vec<f64>,
    /// `k × k` covariance of the AUC estimates, row-major.
    pub cov: Vec<f64>,
    /// Cases (labels true) the AUCs were computed on.
    pub n_cases: usize,
    /// Controls (labels false) the AUCs were computed on.
    pub n_controls: usize,
}

impl DeLong {
    /// AUROCs and their DeLong covariance for the scores `scores[k][i]` of samples with
    /// outcomes `labels[i]` (true = case). Ties count one half. `None` without at least
    /// two cases and two controls, where the variance is undefined.
    ///
    /// # Panics
    /// If a score vector's length differs from the labels'.
    pub fn new(scores: &[&[f64]], labels: &[bool]) -> Option<DeLong> {
        let cases: Vec<usize> = (0..labels.len()).filter(|&i| labels[i]).collect();
        let controls: Vec<usize> = (0..labels.len()).filter(|&i| !labels[i]).collect();
        let (m, n) = (cases.len(), controls.len());
        if m < 2 || n < 2 {
            return None;
        }
        let k = scores.len();
        let mut auc = Vec::with_capacity(k);
        // Placement values: V10 per case, V01 per control (Sun & Xu, eqs. 8-9).
        let mut v10 = Vec::with_capacity(k);
        let mut v01 = Vec::with_capacity(k);
        for s in scores {
            assert_eq!(s.len(), labels.len(), "one score per sample");
            let x: Vec<f64> = cases.iter().map(|&i| s[i]).collect();
            let y: Vec<f64> = controls.iter().map(|&i| s[i]).collect();
            let z: Vec<f64> = x.iter().chain(&y).copied().collect();
            let (tx, ty, tz) = (midranks(&x), midranks(&y), midranks(&z));
            let rank_sum: f64 = tz[..m].iter().sum();
            auc.push((rank_sum - (m * (m + 1)) as f64 / 2.0) / (m as f64 * n as f64));
            v10.push(
                (0..m)
                    .map(|i| (tz[i] - tx[i]) / n as f64)
                    .collect::<Vec<f64>>(),
            );
            v01.push(
                (0..n)
                    .map(|j| 1.0 - (tz[m + j] - ty[j]) / m as f64)
                    .collect::<Vec<f64>>(),
            );
        }
        let covariance = |v: &[Vec<f64>], a: usize, b: usize| -> f64 {
            let len = v[a].len() as f64;
            let (ma, mb) = (
                v[a].iter().sum::<f64>() / len,
                v[b].iter().sum::<f64>() / len,
            );
            v[a].iter()
                .zip(&v[b])
                .map(|(x, y)| (x - ma) * (y - mb))
                .sum::<f64>()
                / (len - 1.0)
        };
        let mut cov = vec![0.0; k * k];
        for a in 0..k {
            for b in 0..=a {
                let c = covariance(&v10, a, b) / m as f64 + covariance(&v01, a, b) / n as f64;
                cov[a * k + b] = c;
                cov[b * k + a] = c;
            }
        }
        Some(DeLong {
            auc,
            cov,
            n_cases: m,
            n_controls: n,
        })
    }

    /// DeLong standard error of score `a`'s AUC.
    pub fn se(&self, a: usize) -> f64 {
        self.cov[a * self.auc.len() + a].max(0.0).sqrt()
    }

    /// The 95% confidence interval `AUC ± 1.96 SE` (ARCHITECTURE.md), clipped to [0, 1].
    pub fn ci95(&self, a: usize) -> (f64, f64) {
        let half = Z_95 * self.se(a);
        ((self.auc[a] - half).max(0.0), (self.auc[a] + half).min(1.0))
    }

    /// Paired DeLong test of `AUC_a = AUC_b`: `z = (A_a − A_b) / sqrt(V_a + V_b − 2 C_ab)`
    /// and its two-sided normal p-value. `(0, 1)` when the two scores rank every pair alike.
    pub fn paired(&self, a: usize, b: usize) -> (f64, f64) {
        let k = self.auc.len();
        let var = self.cov[a * k + a] + self.cov[b * k + b] - 2.0 * self.cov[a * k + b];
        let diff = self.auc[a] - self.auc[b];
        if var.is_nan() || var <= f64::EPSILON * f64::EPSILON {
            return (0.0, if diff.abs() < 1e-12 { 1.0 } else { 0.0 });
        }
        let z = diff / var.sqrt();
        (z, two_sided_p(z))
    }
}

/// The 97.5% quantile of the standard normal distribution.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// Two-sided p-value of a standard normal statistic.
pub fn two_sided_p(z: f64) -> f64 {
    erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// Cumulative (true positives, false positives) after each distinct score threshold, from
/// the highest score down; tied scores form one threshold.
fn threshold_sweep(scores: &[f64], labels: &[bool]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut out = Vec::new();
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end < order.len() && scores[order[end]] == scores[order[start]] {
            if labels[order[end]] {
                tp += 1;
            } else {
                fp += 1;
            }
            end += 1;
        }
        out.push((tp, fp));
        start = end;
    }
    out
}

/// Average precision (area under the precision-recall curve, step-wise); `None` without
/// cases. Tied scores form one threshold.
pub fn auprc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let positives = labels.iter().filter(|&&l| l).count();
    if positives == 0 {
        return None;
    }
    let (mut ap, mut last_recall) = (0.0, 0.0);
    for (tp, fp) in threshold_sweep(scores, labels) {
        let recall = tp as f64 / positives as f64;
        ap += (recall - last_recall) * tp as f64 / (tp + fp) as f64;
        last_recall = recall;
    }
    Some(ap)
}

/// Brier score: `mean (p − y)²`.
pub fn brier(probabilities: &[f64], labels: &[bool]) -> f64 {
    let sum: f64 = probabilities
        .iter()
        .zip(labels)
        .map(|(p, &y)| (p - if y { 1.0 } else { 0.0 }).powi(2))
        .sum();
    sum / probabilities.len().max(1) as f64
}

/// `ln(p / (1 − p))` of a probability clamped away from 0 and 1.
pub fn logit(p: f64) -> f64 {
    let p = p.clamp(PROB_FLOOR, 1.0 - PROB_FLOOR);
    (p / (1.0 - p)).ln()
}

/// Calibration slope and intercept of `probabilities` (see the module documentation);
/// `None` when the regressions cannot be fitted (no cases or no controls, or a constant
/// prediction).
pub fn calibration(probabilities: &[f64], labels: &[bool]) -> Option<(f64, f64)> {
    let n = labels.len();
    let lp: Vec<f64> = probabilities.iter().map(|&p| logit(p)).collect();
    let y: Vec<f64> = labels.iter().map(|&l| f64::from(u8::from(l))).collect();
    let slope_fit = fit_logistic(&Matrix::new(n, 1, lp.clone()), &y, None, 0.0, None).ok()?;
    let in_large = fit_logistic(&Matrix::new(n, 0, Vec::new()), &y, Some(&lp), 0.0, None).ok()?;
    Some((slope_fit.beta[1], in_large.beta[0]))
}

/// The ROC curve as `(false-positive rate, true-positive rate)` points from (0, 0) to
/// (1, 1), one per distinct score threshold (descending); `None` without cases or controls.
pub fn roc_curve(scores: &[f64], labels: &[bool]) -> Option<Vec<(f64, f64)>> {
    let positives = labels.iter().filter(|&&l| l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut points = vec![(0.0, 0.0)];
    points.extend(
        threshold_sweep(scores, labels)
            .into_iter()
            .map(|(tp, fp)| (fp as f64 / negatives as f64, tp as f64 / positives as f64)),
    );
    Some(points)
}

/// Keeps at most about `max_points` of a curve's points for plotting: the first, the last,
/// and those that move at least `1 / max_points` from the last kept point in either axis.
pub fn thin_curve(points: &[(f64, f64)], max_points: usize) -> Vec<(f64, f64)> {
    let step = 1.0 / max_points.max(1) as f64;
    let mut out: Vec<(f64, f64)> = Vec::new();
    for (i, &p) in points.iter().enumerate() {
        let keep = match out.last() {
            None => true,
            Some(&(x, y)) => {
                i + 1 == points.len() || (p.0 - x).abs() >= step || (p.1 - y).abs() >= step
            }
        };
        if keep {
            out.push(p);
        }
    }
    out
}

/// Calibration curve: `(mean prediction, observed case fraction)` in `bins` groups of
/// (nearly) equal size by predicted probability (deciles for 10).
pub fn calibration_bins(probabilities: &[f64], labels: &[bool], bins: usize) -> Vec<(f64, f64)> {
    let mut order: Vec<usize> = (0..probabilities.len()).collect();
    order.sort_by(|&a, &b| probabilities[a].total_cmp(&probabilities[b]));
    let n = order.len();
    let bins = bins.min(n);
    (0..bins)
        .map(|b| {
            let group = &order[b * n / bins..(b + 1) * n / bins];
            let len = group.len() as f64;
            let mean: f64 = group.iter().map(|&i| probabilities[i]).sum::<f64>() / len;
            let observed = group.iter().filter(|&&i| labels[i]).count() as f64 / len;
            (mean, observed)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(v: &[u8]) -> Vec<bool> {
        v.iter().map(|&x| x == 1).collect()
    }

    /// Reference values from pROC 1.18.0 (Robin et al. 2011, BMC Bioinformatics 12:77), R
    /// 4.2, Debian bookworm's r-cran-proc, on these fixed vectors (with ties within and
    /// across classes):
    ///
    /// ```r
    /// library(pROC)
    /// y  <- c(1,1,1,1,1,1,1,1,0,0,0,0,0,0,0,0,0,0,0,0)
    /// s1 <- c(0.9,0.8,0.8,0.7,0.55,0.5,0.4,0.3,0.8,0.6,0.5,0.45,0.4,0.4,0.35,0.3,0.2,0.2,0.1,0.05)
    /// s2 <- c(3,5,2,4,4,1,3,2,2,1,3,0,1,2,0,1,0,2,1,0)
    /// r1 <- roc(y, s1, direction = "<"); r2 <- roc(y, s2, direction = "<")
    /// auc(r1); sqrt(var(r1)); auc(r2); sqrt(var(r2))
    /// roc.test(r1, r2, method = "delong", paired = TRUE)
    /// ```
    ///
    /// printed AUC 0.80208 (SE 0.10210) and 0.875 (SE 0.07653), Z = -0.66790, p = 0.50420.
    #[test]
    fn delong_matches_proc_reference_output() {
        let y = labels(&[1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let s1 = [
            0.9, 0.8, 0.8, 0.7, 0.55, 0.5, 0.4, 0.3, 0.8, 0.6, 0.5, 0.45, 0.4, 0.4, 0.35, 0.3, 0.2,
            0.2, 0.1, 0.05,
        ];
        let s2 = [
            3., 5., 2., 4., 4., 1., 3., 2., 2., 1., 3., 0., 1., 2., 0., 1., 0., 2., 1., 0.,
        ];
        let d = DeLong::new(&[&s1, &s2], &y).unwrap();
        assert_eq!((d.n_cases, d.n_controls), (8, 12));
        let close = |a: f64, b: f64, tol: f64| assert!((a - b).abs() < tol, "{a} vs {b}");
        close(d.auc[0], REF_AUC1, 1e-9);
        close(d.auc[1], REF_AUC2, 1e-9);
        close(d.se(0), REF_SE1, 1e-6);
        close(d.se(1), REF_SE2, 1e-6);
        let (z, p) = d.paired(0, 1);
        close(z, REF_Z, 1e-5);
        close(p, REF_P, 1e-5);
    }

    // pROC's output for the session quoted above (R 4.2.2, pROC 1.18.0).
    const REF_AUC1: f64 = 0.802_083_333_333_333_4;
    const REF_AUC2: f64 = 0.875;
    const REF_SE1: f64 = 0.102_103_485_509_784_4;
    const REF_SE2: f64 = 0.076_528_142_782_943_8;
    const REF_Z: f64 = -0.667_897_106_808_056;
    const REF_P: f64 = 0.504_199_274_331_668;

    #[test]
    fn auc_agrees_with_the_training_metric() {
        let y = labels(&[1, 0, 1, 0, 0, 1, 0, 1, 1, 0]);
        let s = [0.3, 0.2, 0.9, 0.3, 0.1, 0.5, 0.6, 0.3, 0.8, 0.05];
        let d = DeLong::new(&[&s], &y).unwrap();
        let f: Vec<f32> = s.iter().map(|&x| x as f32).collect();
        let l: Vec<f32> = y.iter().map(|&b| f32::from(u8::from(b))).collect();
        let reference = crate::train::metrics::auc(&f, &l, &[true; 10]).unwrap();
        assert!((d.auc[0] - reference).abs() < 1e-12);
    }

    #[test]
    fn delong_needs_two_of_each_class() {
        assert!(DeLong::new(&[&[0.1, 0.2, 0.3]], &labels(&[1, 0, 0])).is_none());
        assert!(DeLong::new(&[&[0.1, 0.2, 0.3, 0.4]], &labels(&[1, 1, 0, 0])).is_some());
    }

    #[test]
    fn paired_test_of_a_score_with_itself_is_null() {
        let y = labels(&[1, 0, 1, 0, 1, 0]);
        let s = [0.9, 0.1, 0.4, 0.5, 0.7, 0.2];
        let d = DeLong::new(&[&s, &s], &y).unwrap();
        assert_eq!(d.paired(0, 1), (0.0, 1.0));
    }

    #[test]
    fn average_precision_by_hand() {
        // Ranked: 0.9 (case), 0.8 (control), 0.7 (case), 0.6 (control).
        // Recall steps 0.5 at precision 1, then 0.5 at precision 2/3.
        let ap = auprc(&[0.9, 0.8, 0.7, 0.6], &labels(&[1, 0, 1, 0])).unwrap();
        assert!((ap - (0.5 + 0.5 * 2.0 / 3.0)).abs() < 1e-12);
        // A tie between a case and a control is one threshold at precision 1/2.
        let ap = auprc(&[0.5, 0.5], &labels(&[1, 0])).unwrap();
        assert!((ap - 0.5).abs() < 1e-12);
        assert!(auprc(&[0.5], &labels(&[0])).is_none());
    }

    #[test]
    fn brier_by_hand() {
        let b = brier(&[0.8, 0.3], &labels(&[1, 0]));
        assert!((b - (0.04 + 0.09) / 2.0).abs() < 1e-12);
    }

    #[test]
    fn calibration_of_well_calibrated_predictions_is_near_ideal() {
        // Outcomes drawn from the predictions themselves: slope ~1, intercept ~0.
        let mut rng = crate::rng::Rng::stream(5, &[1]);
        let n = 20_000;
        let p: Vec<f64> = (0..n).map(|_| 0.02 + 0.9 * rng.uniform()).collect();
        let y: Vec<bool> = p.iter().map(|&q| rng.uniform() < q).collect();
        let (slope, intercept) = calibration(&p, &y).unwrap();
        assert!((slope - 1.0).abs() < 0.08, "slope {slope}");
        assert!(intercept.abs() < 0.06, "intercept {intercept}");
        // Overconfident predictions (logits doubled) have slope ~1/2.
        let over: Vec<f64> = p
            .iter()
            .map(|&q| 1.0 / (1.0 + (-2.0 * logit(q)).exp()))
            .collect();
        let (slope, _) = calibration(&over, &y).unwrap();
        assert!((slope - 0.5).abs() < 0.05, "slope {slope}");
    }

    #[test]
    fn roc_curve_runs_from_origin_to_corner_and_integrates_to_the_auc() {
        let y = labels(&[1, 0, 1, 0, 0, 1, 0, 1, 1, 0]);
        let s = [0.3, 0.2, 0.9, 0.3, 0.1, 0.5, 0.6, 0.3, 0.8, 0.05];
        let c = roc_curve(&s, &y).unwrap();
        assert_eq!(c.first(), Some(&(0.0, 0.0)));
        assert_eq!(c.last(), Some(&(1.0, 1.0)));
        let area: f64 = c
            .windows(2)
            .map(|w| (w[1].0 - w[0].0) * (w[1].1 + w[0].1) / 2.0)
            .sum();
        let d = DeLong::new(&[&s], &y).unwrap();
        assert!((area - d.auc[0]).abs() < 1e-12);
        let thin = thin_curve(&c, 2);
        assert_eq!(thin.first(), c.first());
        assert_eq!(thin.last(), c.last());
        assert!(thin.len() < c.len());
    }

    #[test]
    fn calibration_bins_are_deciles() {
        let p: Vec<f64> = (0..100).map(|i| i as f64 / 100.0).collect();
        let y: Vec<bool> = (0..100).map(|i| i >= 90).collect();
        let bins = calibration_bins(&p, &y, 10);
        assert_eq!(bins.len(), 10);
        assert!((bins[0].0 - 0.045).abs() < 1e-12 && bins[0].1 == 0.0);
        assert_eq!(bins[9].1, 1.0);
    }
}
