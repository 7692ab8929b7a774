//! From genetic components to a cohort: demographics, trait values, the 14 outcomes and
//! the splits.
//!
//! Outcomes follow the liability-threshold model (Falconer 1965): a normally distributed
//! liability made of a genetic part, demographic main effects and noise; the people whose
//! liability exceeds the `1 − prevalence` quantile are cases. On top of that additive
//! model, `Architecture::Nonlinear` adds the interactions real epidemiology reports, each
//! scaled by a strength (see [`OutcomeSpec`]):
//!
//! * sex-specific genetic effects: the genetic liability is multiplied by
//!   `1 + s · sex_genetic · (±1 for men/women)`;
//! * age-dependent penetrance: multiplied again by `1 + s · age_genetic · (55 − age) / 10`,
//!   so genetics matter more in early-onset disease;
//! * gene × BMI: `+ s · bmi_genetic · G · bmi_z`;
//! * interactions between liabilities: `+ s · κ · G · G_other` for related outcomes
//!   (diabetes amplifies coronary risk, COPD pneumonia, …).
//!
//! With `Architecture::Additive` every one of those terms is zero.

use super::architecture::{OutcomeSpec, TraitDef, OUTCOMES};
use crate::rng::Rng;

/// Mean age of the cohort, the pivot of age-dependent penetrance (years).
pub const AGE_PIVOT: f64 = 55.0;
/// Age range at recruitment (years), as in UK Biobank.
pub const AGE_RANGE: (f64, f64) = (40.0, 70.0);
/// Mean and sd of BMI (kg/m²) in a UK Biobank-like cohort.
pub const BMI_MEAN: f64 = 27.4;
/// Standard deviation of BMI (kg/m²) in the same cohort.
pub const BMI_SD: f64 = 4.7;

/// Additive-only liabilities, or with the interactions of the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Architecture {
    /// Liability = genetic part + demographic main effects + noise; no interactions.
    Additive,
    /// The additive liability plus sex- and age-dependent genetic effects, gene × BMI and
    /// interactions between outcome liabilities, scaled by the interaction strength.
    Nonlinear,
}

impl Architecture {
    /// The name in `parameters.json` and on the command line: `additive` or `nonlinear`.
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::Additive => "additive",
            Architecture::Nonlinear => "nonlinear",
        }
    }
}

/// The four splits, in the order of `split_fractions`.
pub const SPLITS: [&str; 4] = ["discovery", "train", "validation", "test"];

/// Standardized polygenic components of every sample, each of length `n`.
pub struct Components {
    /// One per genetic factor (clusters, then cross factors).
    pub factors: Vec<Vec<f32>>,
    /// One per trait.
    pub trait_private: Vec<Vec<f32>>,
    /// One per outcome (in [`OUTCOMES`] order).
    pub outcome_private: Vec<Vec<f32>>,
    /// Private genetics of BMI, used when BMI is not one of the simulated traits.
    pub bmi_private: Vec<f32>,
}

/// Everything simulated about the samples.
pub struct Cohort {
    /// Age at recruitment in years, uniform in `AGE_RANGE`, rounded to 0.1 year.
    pub age: Vec<f64>,
    /// Sex, true = male (the same draw as `draw_sexes`).
    pub male: Vec<bool>,
    /// kg/m².
    pub bmi: Vec<f64>,
    /// Standardized genetic value of each trait.
    pub trait_genetic: Vec<Vec<f64>>,
    /// Observed trait values (trait sd units; BMI's is the `bmi` column).
    pub trait_values: Vec<Vec<f64>>,
    /// Standardized genetic liability of each outcome.
    pub outcome_genetic: Vec<Vec<f64>>,
    /// Full liability of each outcome.
    pub outcome_liability: Vec<Vec<f64>>,
    /// Case (1) or control (0).
    pub outcome_status: Vec<Vec<u8>>,
    /// Index into [`SPLITS`].
    pub split: Vec<u8>,
}

/// Mean and population sd.
pub fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    (m, var.sqrt())
}

/// Centres and scales `v` to mean 0, sd 1 (a constant vector becomes zeros).
pub fn standardize(v: &mut [f64]) {
    let (m, sd) = mean_sd(v);
    let scale = if sd > 0.0 { 1.0 / sd } else { 0.0 };
    v.iter_mut().for_each(|x| *x = (*x - m) * scale);
}

/// Pearson correlation.
pub fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let (ma, sa) = mean_sd(a);
    let (mb, sb) = mean_sd(b);
    let cov = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / a.len() as f64;
    cov / (sa * sb)
}

/// Sex of each sample (true = male), from its own stream so that genotype files (whose
/// `.fam`/`.sample` carry sex) can be written before the phenotypes are built.
pub fn draw_sexes(n: usize, seed: u64) -> Vec<bool> {
    let mut rng = Rng::stream(seed, &[0x7365_7878]); // "sexx"
    (0..n).map(|_| rng.bernoulli(0.5)).collect()
}

/// Builds the cohort from its genetic components.
pub fn build_cohort(
    traits: &[TraitDef],
    comps: &Components,
    architecture: Architecture,
    strength: f64,
    split_fractions: [f64; 4],
    seed: u64,
) -> Cohort {
    let n = comps.bmi_private.len();
    let s = match architecture {
        Architecture::Additive => 0.0,
        Architecture::Nonlinear => strength,
    };
    let mut demo = Rng::stream(seed, &[0x6465_6d6f]); // "demo"
    let age: Vec<f64> = (0..n)
        .map(|_| {
            let a = AGE_RANGE.0 + (AGE_RANGE.1 - AGE_RANGE.0) * demo.uniform();
            (a * 10.0).round() / 10.0
        })
        .collect();
    let male = draw_sexes(n, seed);
    let mut age_z = age.clone();
    standardize(&mut age_z);

    // Trait genetic values and observations.
    let mut trait_genetic = Vec::with_capacity(traits.len());
    let mut trait_values = Vec::with_capacity(traits.len());
    for (ti, t) in traits.iter().enumerate() {
        let private = t.private_loading();
        let mut g: Vec<f64> = (0..n)
            .map(|i| {
                let shared: f64 = t
                    .loadings
                    .iter()
                    .zip(&comps.factors)
                    .filter(|(l, _)| **l != 0.0)
                    .map(|(l, f)| l * f64::from(f[i]))
                    .sum();
                shared + private * f64::from(comps.trait_private[ti][i])
            })
            .collect();
        standardize(&mut g);
        let mut noise = Rng::stream(seed, &[0x6e6f_6973, ti as u64]); // "nois"
        let (h, e) = (t.h2.sqrt(), (1.0 - t.h2).sqrt());
        let y: Vec<f64> = (0..n)
            .map(|i| {
                h * g[i]
                    + e * noise.normal()
                    + t.age_effect * age_z[i]
                    + t.male_effect * f64::from(u8::from(male[i]))
            })
            .collect();
        trait_genetic.push(g);
        trait_values.push(y);
    }
    let bmi_index = traits.iter().position(|t| t.id == "bmi");
    let bmi_units: Vec<f64> = match bmi_index {
        Some(b) => trait_values[b].clone(),
        None => {
            // BMI genetics from the cardiometabolic factor plus its own component.
            let mut noise = Rng::stream(seed, &[0x626d_6969]); // "bmii"
            (0..n)
                .map(|i| {
                    let g = 0.6 * f64::from(comps.factors[0][i])
                        + 0.8 * f64::from(comps.bmi_private[i]);
                    0.5 * g + 0.75_f64.sqrt() * noise.normal()
                })
                .collect()
        }
    };
    let bmi: Vec<f64> = bmi_units
        .iter()
        .map(|&u| ((BMI_MEAN + BMI_SD * u).clamp(15.0, 70.0) * 100.0).round() / 100.0)
        .collect();
    if let Some(b) = bmi_index {
        trait_values[b] = bmi.clone();
    }
    let mut bmi_z = bmi.clone();
    standardize(&mut bmi_z);

    // Outcome genetic liabilities: anchors plus private genetics.
    let trait_pos = |id: &str| traits.iter().position(|t| t.id == id);
    let outcome_genetic: Vec<Vec<f64>> = OUTCOMES
        .iter()
        .enumerate()
        .map(|(oi, o)| {
            let anchors: Vec<(usize, f64)> = o
                .anchors
                .iter()
                .filter_map(|(a, w)| trait_pos(a).map(|t| (t, *w)))
                .collect();
            let mut g: Vec<f64> = (0..n)
                .map(|i| {
                    anchors
                        .iter()
                        .map(|&(t, w)| w * trait_genetic[t][i])
                        .sum::<f64>()
                        + o.private_weight * f64::from(comps.outcome_private[oi][i])
                })
                .collect();
            standardize(&mut g);
            g
        })
        .collect();
    let outcome_pos = |id: &str| {
        OUTCOMES
            .iter()
            .position(|o| o.id == id)
            .expect("known outcome")
    };

    let mut outcome_liability = Vec::with_capacity(OUTCOMES.len());
    let mut outcome_status = Vec::with_capacity(OUTCOMES.len());
    for (oi, o) in OUTCOMES.iter().enumerate() {
        let g = &outcome_genetic[oi];
        let mut noise = Rng::stream(seed, &[0x6c69_6162, oi as u64]); // "liab"
        let interactions: Vec<(&Vec<f64>, f64)> = o
            .liability_interactions
            .iter()
            .map(|(other, k)| (&outcome_genetic[outcome_pos(other)], *k))
            .collect();
        let liability: Vec<f64> = (0..n)
            .map(|i| {
                let sex_pm = if male[i] { 1.0 } else { -1.0 };
                let mut m = g[i]
                    * (1.0 + s * o.sex_genetic * sex_pm)
                    * (1.0 + s * o.age_genetic * (AGE_PIVOT - age[i]) / 10.0)
                    + s * o.bmi_genetic * g[i] * bmi_z[i];
                for (other, k) in &interactions {
                    m += s * k * g[i] * other[i];
                }
                o.h2.sqrt() * m
                    + o.age * age_z[i]
                    + o.male * f64::from(u8::from(male[i]))
                    + o.bmi * bmi_z[i]
                    + (1.0 - o.h2).sqrt() * noise.normal()
            })
            .collect();
        let threshold = quantile(&liability, 1.0 - o.prevalence);
        outcome_status.push(liability.iter().map(|&l| u8::from(l > threshold)).collect());
        outcome_liability.push(liability);
    }

    Cohort {
        age,
        male,
        bmi,
        trait_genetic,
        trait_values,
        outcome_genetic,
        outcome_liability,
        outcome_status,
        split: assign_splits(n, split_fractions, seed),
    }
}

/// The `q` quantile (nearest rank) of `v`.
fn quantile(v: &[f64], q: f64) -> f64 {
    let mut sorted = v.to_vec();
    sorted.sort_unstable_by(|a, b| a.total_cmp(b));
    let idx = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[idx]
}

/// A seeded random assignment with exactly `round(fraction × n)` samples per split (the
/// test split takes the remainder).
pub fn assign_splits(n: usize, fractions: [f64; 4], seed: u64) -> Vec<u8> {
    let mut order: Vec<usize> = (0..n).collect();
    Rng::stream(seed, &[0x7370_6c74]).shuffle(&mut order); // "splt"
    let total: f64 = fractions.iter().sum();
    let mut split = vec![3u8; n];
    let mut at = 0;
    for (si, f) in fractions.iter().enumerate().take(3) {
        let count = ((f / total) * n as f64).round() as usize;
        for &i in order.iter().skip(at).take(count) {
            split[i] = si as u8;
        }
        at += count;
    }
    split
}

/// Parameter genetic correlation between two outcomes' genetic liabilities, from the
/// traits' correlation matrix `rg` (unit diagonal) and the anchor weights; anchors absent
/// from `traits` are left out, as in [`build_cohort`].
pub fn outcome_rg(a: &OutcomeSpec, b: &OutcomeSpec, traits: &[TraitDef]) -> f64 {
    let weights = |o: &OutcomeSpec| -> Vec<(usize, f64)> {
        o.anchors
            .iter()
            .filter_map(|(id, w)| traits.iter().position(|t| t.id == *id).map(|t| (t, *w)))
            .collect()
    };
    let rg = |i: usize, j: usize| {
        if i == j {
            1.0
        } else {
            super::architecture::trait_rg(&traits[i], &traits[j])
        }
    };
    let quad = |x: &[(usize, f64)], y: &[(usize, f64)]| -> f64 {
        x.iter()
            .flat_map(|&(i, wi)| y.iter().map(move |&(j, wj)| wi * wj * rg(i, j)))
            .sum()
    };
    let (wa, wb) = (weights(a), weights(b));
    let same = std::ptr::eq(a, b);
    let cov = quad(&wa, &wb) + if same { a.private_weight.powi(2) } else { 0.0 };
    let va = quad(&wa, &wa) + a.private_weight.powi(2);
    let vb = quad(&wb, &wb) + b.private_weight.powi(2);
    cov / (va * vb).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::architecture::{factor_names, make_traits};

    /// Independent standard normal components, standing in for polygenic scores.
    fn components(n: usize, traits: usize, seed: u64) -> Components {
        let mut rng = Rng::new(seed);
        let mut draw = || -> Vec<f32> { (0..n).map(|_| rng.normal() as f32).collect() };
        Components {
            factors: (0..factor_names().len()).map(|_| draw()).collect(),
            trait_private: (0..traits).map(|_| draw()).collect(),
            outcome_private: (0..OUTCOMES.len()).map(|_| draw()).collect(),
            bmi_private: draw(),
        }
    }

    /// OLS coefficients of `y` on the columns (intercept added), by normal equations.
    fn ols(cols: &[Vec<f64>], y: &[f64]) -> Vec<f64> {
        let mut x = vec![vec![1.0; y.len()]];
        x.extend_from_slice(cols);
        let p = x.len();
        let mut a = vec![0.0; p * p];
        let mut b = vec![0.0; p];
        for i in 0..p {
            for j in 0..p {
                a[i * p + j] = x[i].iter().zip(&x[j]).map(|(u, v)| u * v).sum();
            }
            b[i] = x[i].iter().zip(y).map(|(u, v)| u * v).sum();
        }
        let l = crate::gwas::regress::cholesky(&a, p).expect("full rank");
        crate::gwas::regress::cholesky_solve(&l, p, &b)
    }

    /// Coefficients of G·bmi_z, G·sex and G·age in the liability of each outcome.
    fn interaction_coefficients(c: &Cohort) -> Vec<[f64; 3]> {
        let mut bmi_z = c.bmi.clone();
        standardize(&mut bmi_z);
        let mut age_z = c.age.clone();
        standardize(&mut age_z);
        let sex: Vec<f64> = c.male.iter().map(|&m| f64::from(u8::from(m))).collect();
        (0..OUTCOMES.len())
            .map(|o| {
                let g = &c.outcome_genetic[o];
                let prod =
                    |v: &[f64]| -> Vec<f64> { g.iter().zip(v).map(|(a, b)| a * b).collect() };
                let cols = vec![
                    g.clone(),
                    age_z.clone(),
                    sex.clone(),
                    bmi_z.clone(),
                    prod(&bmi_z),
                    prod(&sex),
                    prod(&age_z),
                ];
                let b = ols(&cols, &c.outcome_liability[o]);
                [b[5], b[6], b[7]]
            })
            .collect()
    }

    #[test]
    fn additive_architecture_has_no_interactions_and_nonlinear_has_them() {
        let traits = make_traits(24, 2);
        let comps = components(20_000, 24, 2);
        let frac = [0.4, 0.4, 0.1, 0.1];
        let add = build_cohort(&traits, &comps, Architecture::Additive, 1.0, frac, 2);
        let non = build_cohort(&traits, &comps, Architecture::Nonlinear, 1.0, frac, 2);
        for (o, b) in interaction_coefficients(&add).iter().enumerate() {
            for x in b {
                assert!(
                    x.abs() < 0.03,
                    "{}: additive interaction {b:?}",
                    OUTCOMES[o].id
                );
            }
        }
        let cad = OUTCOMES.iter().position(|o| o.id == "cad").unwrap();
        let b = interaction_coefficients(&non)[cad];
        // cad: gene×BMI 0.2 (partly confounded here with its gene×diabetes term, which
        // is left out of this regression), sex-specific 0.35 (per ±1, so 0.7 per male),
        // and 0.3 less per decade of age.
        let h = OUTCOMES[cad].h2.sqrt();
        assert!(b[0] > 0.1 * h, "gene×BMI {b:?}");
        assert!((b[1] - 0.7 * h).abs() < 0.08, "gene×sex {b:?}");
        assert!(b[2] < -0.1, "genetics matter less with age: {b:?}");
    }

    #[test]
    fn prevalences_heritabilities_and_correlations_follow_parameters() {
        let traits = make_traits(48, 5);
        let comps = components(30_000, 48, 5);
        let c = build_cohort(&traits, &comps, Architecture::Additive, 1.0, [0.25; 4], 5);
        for (o, spec) in OUTCOMES.iter().enumerate() {
            let cases = c.outcome_status[o].iter().filter(|&&x| x == 1).count();
            let prev = cases as f64 / c.age.len() as f64;
            assert!((prev - spec.prevalence).abs() < 0.002, "{} {prev}", spec.id);
            // Liability-scale heritability: the genetic share of the non-demographic part.
            let mut age_z = c.age.clone();
            standardize(&mut age_z);
            let mut bmi_z = c.bmi.clone();
            standardize(&mut bmi_z);
            let resid: Vec<f64> = (0..c.age.len())
                .map(|i| {
                    c.outcome_liability[o][i]
                        - spec.age * age_z[i]
                        - spec.male * f64::from(u8::from(c.male[i]))
                        - spec.bmi * bmi_z[i]
                })
                .collect();
            let r = correlation(&c.outcome_genetic[o], &resid);
            assert!(
                (r * r - spec.h2).abs() < 0.03,
                "{} h2 {} vs {}",
                spec.id,
                r * r,
                spec.h2
            );
        }
        for (t, def) in traits.iter().enumerate().filter(|(_, d)| d.id != "bmi") {
            let mut age_z = c.age.clone();
            standardize(&mut age_z);
            let resid: Vec<f64> = (0..c.age.len())
                .map(|i| {
                    c.trait_values[t][i]
                        - def.age_effect * age_z[i]
                        - def.male_effect * f64::from(u8::from(c.male[i]))
                })
                .collect();
            let r = correlation(&c.trait_genetic[t], &resid);
            assert!(
                (r * r - def.h2).abs() < 0.03,
                "{} h2 {} vs {}",
                def.id,
                r * r,
                def.h2
            );
        }
        let mut worst: f64 = 0.0;
        for a in 0..traits.len() {
            for b in 0..a {
                let param = crate::sim::architecture::trait_rg(&traits[a], &traits[b]);
                let real = correlation(&c.trait_genetic[a], &c.trait_genetic[b]);
                worst = worst.max((param - real).abs());
            }
        }
        assert!(worst < 0.05, "largest |rg realised − parameter| {worst}");
        for (a, oa) in OUTCOMES.iter().enumerate() {
            for (b, ob) in OUTCOMES.iter().enumerate().take(a) {
                let param = outcome_rg(oa, ob, &traits);
                let real = correlation(&c.outcome_genetic[a], &c.outcome_genetic[b]);
                assert!(
                    (param - real).abs() < 0.05,
                    "{} {} {param} {real}",
                    oa.id,
                    ob.id
                );
            }
        }
    }

    #[test]
    fn every_out_of_distribution_outcome_is_correlated_with_a_trained_one() {
        let traits = make_traits(64, 1);
        for ood in OUTCOMES.iter().filter(|o| !o.in_distribution) {
            let best = OUTCOMES
                .iter()
                .filter(|o| o.in_distribution)
                .map(|o| outcome_rg(ood, o, &traits))
                .fold(f64::MIN, f64::max);
            assert!(
                best > 0.3,
                "{}: best rg with an in-distribution outcome {best}",
                ood.id
            );
        }
    }

    #[test]
    fn splits_have_the_requested_sizes() {
        let s = assign_splits(1_000, [0.4, 0.4, 0.08, 0.12], 9);
        let count = |k: u8| s.iter().filter(|&&x| x == k).count();
        assert_eq!(
            (count(0), count(1), count(2), count(3)),
            (400, 400, 80, 120)
        );
        assert_ne!(s, assign_splits(1_000, [0.4, 0.4, 0.08, 0.12], 10));
    }
}
