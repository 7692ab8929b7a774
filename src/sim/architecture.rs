//! The genetic architecture of the synthetic biobank: which traits exist, how their
//! genetics are shared, and how the 14 outcomes are built from them.
//!
//! Traits follow a factor model. Every cluster (cardiometabolic, respiratory, …) has a
//! genetic factor with its own causal variants, and a few cross-cluster factors (insulin
//! resistance, inflammation, body size) link clusters as real pleiotropy does. A trait's
//! standardized genetic value is
//!
//! `g_t = Σ_f L[t, f] · S_f + sqrt(1 − Σ_f L[t, f]²) · P_t`
//!
//! where `S_f` are the standardized factor scores and `P_t` the trait's private polygenic
//! score, so the genetic-correlation matrix is `L Lᵀ` off the diagonal.

use crate::rng::Rng;

/// Trait clusters, in the order factors are numbered.
pub const CLUSTERS: [&str; 8] = [
    "cardiometabolic",
    "respiratory",
    "psychiatric",
    "ocular",
    "autoimmune",
    "anthropometric",
    "renal",
    "hematologic",
];

/// Cross-cluster factors and the clusters they touch.
pub const CROSS_FACTORS: [(&str, &[&str]); 3] = [
    (
        "insulin_resistance",
        &["cardiometabolic", "renal", "ocular"],
    ),
    (
        "inflammation",
        &["autoimmune", "respiratory", "hematologic"],
    ),
    (
        "body_size",
        &["anthropometric", "cardiometabolic", "respiratory"],
    ),
];

/// A named trait: id (column name), description, cluster, and the sign of its loading on
/// its cluster factor (e.g. HDL cholesterol is protective where LDL is harmful).
pub struct NamedTrait {
    /// Column name in `phenotypes.tsv` and trait id in the panel.
    pub id: &'static str,
    /// Human-readable description.
    pub name: &'static str,
    /// One of `CLUSTERS`: the factor the trait loads on most.
    pub cluster: &'static str,
    /// +1 or −1: the sign of the loading on its cluster factor.
    pub sign: f64,
}

const fn t(id: &'static str, name: &'static str, cluster: &'static str, sign: f64) -> NamedTrait {
    NamedTrait {
        id,
        name,
        cluster,
        sign,
    }
}

/// Named traits in priority order: the main anchor of every outcome first, so that a small
/// `--traits` still gives each outcome an anchor; then the other anchors; then the rest.
pub const NAMED_TRAITS: [NamedTrait; 48] = [
    t("ldl_c", "LDL cholesterol", "cardiometabolic", 1.0),
    t("sbp", "Systolic blood pressure", "cardiometabolic", 1.0),
    t("glucose", "Fasting glucose", "cardiometabolic", 1.0),
    t("iop", "Intraocular pressure", "ocular", 1.0),
    t("fev1_fvc", "FEV1/FVC ratio", "respiratory", -1.0),
    t("rheumatoid_factor", "Rheumatoid factor", "autoimmune", 1.0),
    t(
        "depressive_symptoms",
        "Depressive symptoms",
        "psychiatric",
        1.0,
    ),
    t("crp", "C-reactive protein", "autoimmune", 1.0),
    t("hba1c", "Glycated haemoglobin", "cardiometabolic", 1.0),
    t("eosinophil_count", "Eosinophil count", "respiratory", 1.0),
    t("bmi", "Body mass index", "cardiometabolic", 1.0),
    t("hdl_c", "HDL cholesterol", "cardiometabolic", -1.0),
    t("dbp", "Diastolic blood pressure", "cardiometabolic", 1.0),
    t(
        "cup_disc_ratio",
        "Vertical cup-to-disc ratio",
        "ocular",
        1.0,
    ),
    t(
        "fev1",
        "Forced expiratory volume in 1 s",
        "respiratory",
        -1.0,
    ),
    t("neuroticism", "Neuroticism score", "psychiatric", 1.0),
    t("triglycerides", "Triglycerides", "cardiometabolic", 1.0),
    t("lymphocyte_count", "Lymphocyte count", "autoimmune", 1.0),
    t("heart_rate", "Resting heart rate", "cardiometabolic", 1.0),
    t(
        "retinal_vessel_caliber",
        "Retinal venular calibre",
        "ocular",
        1.0,
    ),
    t("ige_level", "Total IgE", "respiratory", 1.0),
    t("insomnia", "Insomnia symptoms", "psychiatric", 1.0),
    t("lipoprotein_a", "Lipoprotein(a)", "cardiometabolic", 1.0),
    t("egfr", "Estimated GFR", "renal", -1.0),
    t("height", "Standing height", "anthropometric", 1.0),
    t(
        "grip_strength",
        "Hand grip strength",
        "anthropometric",
        -1.0,
    ),
    t(
        "rnfl_thickness",
        "Retinal nerve fibre layer thickness",
        "ocular",
        -1.0,
    ),
    t("wbc_count", "White blood cell count", "hematologic", 1.0),
    t("fvc", "Forced vital capacity", "respiratory", -1.0),
    t("anxiety", "Anxiety symptoms", "psychiatric", 1.0),
    t("neutrophil_count", "Neutrophil count", "autoimmune", 1.0),
    t("urate", "Serum urate", "renal", 1.0),
    t(
        "waist_hip_ratio",
        "Waist-to-hip ratio",
        "anthropometric",
        1.0,
    ),
    t(
        "hemoglobin",
        "Haemoglobin concentration",
        "hematologic",
        1.0,
    ),
    t("refractive_error", "Spherical equivalent", "ocular", 1.0),
    t("peak_flow", "Peak expiratory flow", "respiratory", -1.0),
    t("loneliness", "Loneliness", "psychiatric", 1.0),
    t("tsh", "Thyroid-stimulating hormone", "autoimmune", 1.0),
    t("creatinine", "Serum creatinine", "renal", 1.0),
    t("body_fat_pct", "Body fat percentage", "anthropometric", 1.0),
    t("platelet_count", "Platelet count", "hematologic", 1.0),
    t("corneal_hysteresis", "Corneal hysteresis", "ocular", -1.0),
    t("risk_taking", "Risk-taking behaviour", "psychiatric", 1.0),
    t("il6", "Interleukin-6", "autoimmune", 1.0),
    t(
        "urine_albumin",
        "Urine albumin-creatinine ratio",
        "renal",
        1.0,
    ),
    t("birth_weight", "Birth weight", "anthropometric", 1.0),
    t("mcv", "Mean corpuscular volume", "hematologic", 1.0),
    t("rdw", "Red cell distribution width", "hematologic", 1.0),
];

/// One of the 14 outcomes of ARCHITECTURE.md.
pub struct OutcomeSpec {
    /// Outcome id: its column in `phenotypes.tsv` and `truth.tsv`.
    pub id: &'static str,
    /// Human-readable name of the disease.
    pub name: &'static str,
    /// True for the 8 outcomes models train on.
    pub in_distribution: bool,
    /// Cumulative incidence over follow-up in a UK Biobank-like cohort.
    pub prevalence: f64,
    /// Liability-scale heritability of the genetic part.
    pub h2: f64,
    /// Anchor traits and their weights in the genetic liability.
    pub anchors: &'static [(&'static str, f64)],
    /// Weight of the outcome's private polygenic score, not captured by any panel trait.
    pub private_weight: f64,
    /// Main effects on the liability of standardized age, male sex and standardized BMI.
    pub age: f64,
    /// Main effect of male sex (0/1) on the liability.
    pub male: f64,
    /// Main effect of standardised BMI on the liability.
    pub bmi: f64,
    /// Non-linear structure (multiplied by the architecture strength, 0 when additive):
    /// genetic effect larger by this fraction in men (negative: in women) ...
    pub sex_genetic: f64,
    /// ... larger by this fraction per 10 years younger (age-dependent penetrance) ...
    pub age_genetic: f64,
    /// ... gene × BMI interaction coefficient ...
    pub bmi_genetic: f64,
    /// ... and interactions with other outcomes' genetic liabilities.
    pub liability_interactions: &'static [(&'static str, f64)],
}

/// The outcomes, in-distribution first, in ARCHITECTURE.md's order.
pub const OUTCOMES: [OutcomeSpec; 14] = [
    OutcomeSpec {
        id: "cad",
        name: "Coronary artery disease",
        in_distribution: true,
        prevalence: 0.08,
        h2: 0.45,
        anchors: &[
            ("ldl_c", 0.45),
            ("sbp", 0.3),
            ("hdl_c", -0.25),
            ("lipoprotein_a", 0.25),
            ("triglycerides", 0.15),
        ],
        private_weight: 0.5,
        age: 0.45,
        male: 0.45,
        bmi: 0.15,
        sex_genetic: 0.35,
        age_genetic: 0.3,
        bmi_genetic: 0.2,
        liability_interactions: &[("t2d", 0.3)],
    },
    OutcomeSpec {
        id: "stroke",
        name: "Stroke",
        in_distribution: true,
        prevalence: 0.04,
        h2: 0.35,
        anchors: &[
            ("sbp", 0.4),
            ("dbp", 0.2),
            ("ldl_c", 0.15),
            ("heart_rate", -0.3),
        ],
        private_weight: 0.6,
        age: 0.55,
        male: 0.2,
        bmi: 0.1,
        sex_genetic: 0.0,
        age_genetic: 0.35,
        bmi_genetic: 0.0,
        liability_interactions: &[("af", 0.35)],
    },
    OutcomeSpec {
        id: "t2d",
        name: "Type 2 diabetes",
        in_distribution: true,
        prevalence: 0.09,
        h2: 0.45,
        anchors: &[
            ("glucose", 0.4),
            ("hba1c", 0.35),
            ("bmi", 0.35),
            ("triglycerides", 0.15),
            ("hdl_c", -0.1),
        ],
        private_weight: 0.5,
        age: 0.3,
        male: 0.25,
        bmi: 0.55,
        sex_genetic: 0.0,
        age_genetic: 0.25,
        bmi_genetic: 0.4,
        liability_interactions: &[],
    },
    OutcomeSpec {
        id: "glaucoma",
        name: "Glaucoma",
        in_distribution: true,
        prevalence: 0.04,
        h2: 0.55,
        anchors: &[
            ("iop", 0.55),
            ("cup_disc_ratio", 0.4),
            ("rnfl_thickness", -0.15),
        ],
        private_weight: 0.45,
        age: 0.5,
        male: 0.1,
        bmi: 0.0,
        sex_genetic: 0.0,
        age_genetic: 0.0,
        bmi_genetic: 0.0,
        liability_interactions: &[],
    },
    OutcomeSpec {
        id: "copd",
        name: "Chronic obstructive pulmonary disease",
        in_distribution: true,
        prevalence: 0.06,
        h2: 0.35,
        anchors: &[
            ("fev1_fvc", -0.5),
            ("fev1", -0.35),
            ("eosinophil_count", 0.1),
        ],
        private_weight: 0.55,
        age: 0.45,
        male: 0.15,
        bmi: -0.05,
        sex_genetic: 0.2,
        age_genetic: -0.2,
        bmi_genetic: 0.0,
        liability_interactions: &[("asthma", 0.3)],
    },
    OutcomeSpec {
        id: "ra",
        name: "Rheumatoid arthritis",
        in_distribution: true,
        prevalence: 0.03,
        h2: 0.5,
        anchors: &[
            ("rheumatoid_factor", 0.5),
            ("crp", 0.25),
            ("lymphocyte_count", 0.2),
        ],
        private_weight: 0.6,
        age: 0.2,
        male: -0.45,
        bmi: 0.05,
        sex_genetic: -0.35,
        age_genetic: 0.2,
        bmi_genetic: 0.0,
        liability_interactions: &[],
    },
    OutcomeSpec {
        id: "mdd",
        name: "Major depressive disorder",
        in_distribution: true,
        prevalence: 0.15,
        h2: 0.3,
        anchors: &[
            ("depressive_symptoms", 0.5),
            ("neuroticism", 0.35),
            ("insomnia", 0.2),
        ],
        private_weight: 0.5,
        age: -0.2,
        male: -0.35,
        bmi: 0.1,
        sex_genetic: -0.2,
        age_genetic: 0.3,
        bmi_genetic: 0.0,
        liability_interactions: &[],
    },
    OutcomeSpec {
        id: "mortality",
        name: "All-cause mortality",
        in_distribution: true,
        prevalence: 0.08,
        h2: 0.25,
        anchors: &[
            ("sbp", 0.2),
            ("fev1", -0.2),
            ("crp", 0.2),
            ("bmi", 0.15),
            ("egfr", -0.15),
            ("grip_strength", -0.15),
        ],
        private_weight: 0.5,
        age: 0.8,
        male: 0.35,
        bmi: 0.1,
        sex_genetic: 0.0,
        age_genetic: -0.2,
        bmi_genetic: 0.15,
        liability_interactions: &[("cad", 0.25), ("copd", 0.25)],
    },
    OutcomeSpec {
        id: "hypertension",
        name: "Hypertension",
        in_distribution: false,
        prevalence: 0.3,
        h2: 0.4,
        anchors: &[("sbp", 0.55), ("dbp", 0.4), ("bmi", 0.2)],
        private_weight: 0.4,
        age: 0.5,
        male: 0.2,
        bmi: 0.35,
        sex_genetic: 0.0,
        age_genetic: 0.2,
        bmi_genetic: 0.25,
        liability_interactions: &[],
    },
    OutcomeSpec {
        id: "hypercholesterolemia",
        name: "Hypercholesterolaemia",
        in_distribution: false,
        prevalence: 0.2,
        h2: 0.5,
        anchors: &[
            ("ldl_c", 0.65),
            ("triglycerides", 0.2),
            ("lipoprotein_a", 0.15),
        ],
        private_weight: 0.35,
        age: 0.3,
        male: 0.1,
        bmi: 0.15,
        sex_genetic: 0.0,
        age_genetic: 0.0,
        bmi_genetic: 0.0,
        liability_interactions: &[],
    },
    OutcomeSpec {
        id: "af",
        name: "Atrial fibrillation",
        in_distribution: false,
        prevalence: 0.05,
        h2: 0.4,
        anchors: &[
            ("heart_rate", -0.45),
            ("sbp", 0.25),
            ("height", 0.2),
            ("bmi", 0.2),
        ],
        private_weight: 0.5,
        age: 0.6,
        male: 0.3,
        bmi: 0.15,
        sex_genetic: 0.2,
        age_genetic: 0.0,
        bmi_genetic: 0.15,
        liability_interactions: &[],
    },
    OutcomeSpec {
        id: "diabetic_retinopathy",
        name: "Diabetic retinopathy",
        in_distribution: false,
        prevalence: 0.03,
        h2: 0.45,
        anchors: &[
            ("hba1c", 0.45),
            ("glucose", 0.3),
            ("retinal_vessel_caliber", 0.25),
        ],
        private_weight: 0.45,
        age: 0.2,
        male: 0.1,
        bmi: 0.3,
        sex_genetic: 0.0,
        age_genetic: 0.0,
        bmi_genetic: 0.2,
        liability_interactions: &[("t2d", 0.45)],
    },
    OutcomeSpec {
        id: "asthma",
        name: "Asthma",
        in_distribution: false,
        prevalence: 0.12,
        h2: 0.45,
        anchors: &[
            ("eosinophil_count", 0.45),
            ("ige_level", 0.35),
            ("fev1_fvc", -0.25),
        ],
        private_weight: 0.5,
        age: -0.2,
        male: -0.1,
        bmi: 0.15,
        sex_genetic: -0.15,
        age_genetic: 0.25,
        bmi_genetic: 0.0,
        liability_interactions: &[],
    },
    OutcomeSpec {
        id: "pneumonia",
        name: "Pneumonia",
        in_distribution: false,
        prevalence: 0.06,
        h2: 0.25,
        anchors: &[
            ("fev1", -0.35),
            ("crp", 0.3),
            ("lymphocyte_count", -0.2),
            ("wbc_count", 0.15),
        ],
        private_weight: 0.55,
        age: 0.55,
        male: 0.15,
        bmi: 0.1,
        sex_genetic: 0.0,
        age_genetic: -0.2,
        bmi_genetic: 0.0,
        liability_interactions: &[("copd", 0.35)],
    },
];

/// A simulated GWAS trait.
#[derive(Clone, Debug)]
pub struct TraitDef {
    /// Column name: a named trait's id, or `<cluster>_NNNN` for generic traits.
    pub id: String,
    /// Human-readable description.
    pub name: String,
    /// The trait's cluster (one of `CLUSTERS`).
    pub cluster: String,
    /// SNP heritability.
    pub h2: f64,
    /// Loadings on the genetic factors (clusters then cross factors).
    pub loadings: Vec<f64>,
    /// Effects of standardized age and of male sex, in trait sd units.
    pub age_effect: f64,
    /// Effect of male sex (0/1) on the observed trait, in trait sd units.
    pub male_effect: f64,
}

impl TraitDef {
    /// Weight of the trait's private polygenic score.
    pub fn private_loading(&self) -> f64 {
        (1.0 - self.loadings.iter().map(|l| l * l).sum::<f64>())
            .max(0.0)
            .sqrt()
    }
}

/// Names of all genetic factors: clusters, then cross factors.
pub fn factor_names() -> Vec<String> {
    CLUSTERS
        .iter()
        .map(|c| c.to_string())
        .chain(CROSS_FACTORS.iter().map(|(n, _)| n.to_string()))
        .collect()
}

/// The `n` traits of a simulation: the named ones in priority order, then generic traits
/// spread over the clusters (`<cluster>_NNNN`), which lets `--traits` reach the thousands.
pub fn make_traits(n: usize, seed: u64) -> Vec<TraitDef> {
    let mut rng = Rng::stream(seed, &[0x7472_6169]); // "trai"
    let n_factors = CLUSTERS.len() + CROSS_FACTORS.len();
    (0..n)
        .map(|i| {
            let (id, name, cluster, sign) = match NAMED_TRAITS.get(i) {
                Some(nt) => (nt.id.to_string(), nt.name.to_string(), nt.cluster, nt.sign),
                None => {
                    let cluster = CLUSTERS[i % CLUSTERS.len()];
                    let sign = if rng.bernoulli(0.5) { 1.0 } else { -1.0 };
                    (
                        format!("{cluster}_{i:04}"),
                        format!("Synthetic {cluster} trait {i}"),
                        cluster,
                        sign,
                    )
                }
            };
            let ci = CLUSTERS
                .iter()
                .position(|c| *c == cluster)
                .expect("known cluster");
            let mut loadings = vec![0.0; n_factors];
            loadings[ci] = sign * (0.45 + 0.3 * rng.uniform());
            for (xi, (_, touched)) in CROSS_FACTORS.iter().enumerate() {
                if touched.contains(&cluster) && rng.bernoulli(0.6) {
                    let s = if rng.bernoulli(0.8) { sign } else { -sign };
                    loadings[CLUSTERS.len() + xi] = s * (0.15 + 0.2 * rng.uniform());
                }
            }
            // SNP heritabilities of UK Biobank quantitative traits mostly lie in 0.05–0.5.
            let h2 = 0.1 + 0.35 * rng.uniform();
            TraitDef {
                id,
                name,
                cluster: cluster.to_string(),
                h2,
                loadings,
                age_effect: 0.2 * rng.normal(),
                male_effect: 0.2 * rng.normal(),
            }
        })
        .collect()
}

/// Parameter genetic correlation of two traits: the overlap of their factor loadings.
pub fn trait_rg(a: &TraitDef, b: &TraitDef) -> f64 {
    a.loadings.iter().zip(&b.loadings).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_ids_are_unique_and_anchors_exist() {
        let mut ids: Vec<&str> = NAMED_TRAITS.iter().map(|t| t.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), NAMED_TRAITS.len());
        for o in &OUTCOMES {
            for (a, _) in o.anchors {
                assert!(ids.contains(a), "{} anchor {a} is not a named trait", o.id);
            }
            for (other, _) in o.liability_interactions {
                assert!(OUTCOMES.iter().any(|x| x.id == *other), "{other}");
            }
        }
        for nt in &NAMED_TRAITS {
            assert!(CLUSTERS.contains(&nt.cluster), "{}", nt.cluster);
        }
    }

    #[test]
    fn every_outcome_has_an_anchor_among_the_first_ten_traits() {
        let first: Vec<&str> = NAMED_TRAITS[..10].iter().map(|t| t.id).collect();
        for o in &OUTCOMES {
            assert!(
                o.anchors.iter().any(|(a, _)| first.contains(a)),
                "{} has no anchor among {first:?}",
                o.id
            );
        }
    }

    #[test]
    fn loadings_leave_room_for_private_genetics_and_scale_to_thousands() {
        let traits = make_traits(3_000, 4);
        assert_eq!(traits.len(), 3_000);
        let mut ids: Vec<&str> = traits.iter().map(|t| t.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 3_000);
        for t in &traits {
            assert!(t.private_loading() > 0.3, "{} {:?}", t.id, t.loadings);
            assert!((0.1..=0.45).contains(&t.h2));
        }
        // Same-cluster traits correlate more than cross-cluster ones.
        let ldl = &traits[0];
        let hba1c = &traits[8];
        let iop = &traits[3];
        assert!(trait_rg(ldl, hba1c).abs() > trait_rg(ldl, iop).abs());
    }
}
