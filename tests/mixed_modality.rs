//! Mixed input: genomic, image and demographic tokens in one sequence.
//!
//! Simulated participants carry part of an outcome's signal in their genes (a polygenic
//! score in the genomic image), part in a radiograph (a phantom's cardiomegaly) and part in
//! a covariate (age). Three models are trained by the same training loop on the same
//! participants: genomic image + covariate, radiograph + covariate, and all three in one
//! sequence. The mixed model must beat both single-modality models on held-out
//! participants.

use medgem_prs::model::device::CpuTrainBackend;
use medgem_prs::model::{
    predict_probabilities, ImageKind, ModelConfig, ModelData, OutcomeQuery, ScanInput,
};
use medgem_prs::rng::Rng;
use medgem_prs::sim::phantom;
use medgem_prs::train::metrics::auc;
use medgem_prs::train::{train, TrainConfig};

/// Phantom side in pixels and its patch: 4×4 = 16 radiograph tokens.
const SCAN_SIDE: usize = 32;
const SCAN_PATCH: usize = 8;
/// Genomic image: 3 thresholds × 16×16 (2×2 trait tiles).
const GENOMIC: [usize; 3] = [3, 16, 16];
/// Index of cardiomegaly in `phantom::FINDINGS`.
const CARDIOMEGALY: usize = 2;

struct Cohort {
    genomic: Vec<u8>,
    scan: Vec<u8>,
    age: Vec<f32>,
    labels: Vec<f32>,
}

/// `n` participants: outcome logit = 1.6·(polygenic score) + 2.2·cardiomegaly + 0.8·age − 1.
fn cohort(n: usize, seed: u64) -> Cohort {
    let mut rng = Rng::new(seed);
    let mut c = Cohort {
        genomic: Vec::new(),
        scan: Vec::new(),
        age: Vec::new(),
        labels: Vec::new(),
    };
    for i in 0..n {
        let prs = rng.normal();
        let age = rng.normal();
        let enlarged = rng.bernoulli(0.4);
        // Tile 0 holds the score, tiles 1-3 are unrelated traits; all channels alike.
        let tiles = [prs, rng.normal(), rng.normal(), rng.normal()];
        let [channels, side, _] = GENOMIC;
        let mut image = vec![0u8; channels * side * side];
        for ch in 0..channels {
            for y in 0..side {
                for x in 0..side {
                    let tile = (y / 8) * 2 + x / 8;
                    image[(ch * side + y) * side + x] =
                        (128.0 + 40.0 * tiles[tile]).clamp(0.0, 255.0) as u8;
                }
            }
        }
        c.genomic.extend(image);
        let mut findings = [false; 4];
        findings[CARDIOMEGALY] = enlarged;
        c.scan
            .extend(phantom::phantom_with(SCAN_SIDE, seed, i as u64, findings).pixels);
        c.age.push(age as f32);
        let logit = 1.6 * prs + 2.2 * f64::from(u8::from(enlarged)) + 0.8 * age - 1.0;
        c.labels.push(f32::from(u8::from(
            rng.bernoulli(1.0 / (1.0 + (-logit).exp())),
        )));
    }
    c
}

#[derive(Clone, Copy, PartialEq)]
enum Inputs {
    Genomic,
    Image,
    Both,
}

fn data(c: &Cohort, inputs: Inputs) -> ModelData {
    let n = c.age.len();
    let (image_shape, pixels) = match inputs {
        Inputs::Genomic | Inputs::Both => (GENOMIC, c.genomic.clone()),
        Inputs::Image => ([1, SCAN_SIDE, SCAN_SIDE], c.scan.clone()),
    };
    let (scan_shape, scan_pixels) = if inputs == Inputs::Both {
        ([1, SCAN_SIDE, SCAN_SIDE], c.scan.clone())
    } else {
        ([0; 3], Vec::new())
    };
    ModelData {
        n,
        image_shape,
        pixels,
        n_tabular: 1,
        tabular: c.age.clone(),
        tabular_present: vec![1.0; n],
        n_outcomes: 1,
        labels: c.labels.clone(),
        label_present: vec![1.0; n],
        scan_shape,
        scan_pixels,
    }
}

fn config(inputs: Inputs) -> ModelConfig {
    let (shape, patch) = match inputs {
        Inputs::Image => ([1, SCAN_SIDE, SCAN_SIDE], SCAN_PATCH),
        _ => (GENOMIC, 8),
    };
    let n_tiles = (shape[1] / patch) * (shape[2] / patch);
    let mut c = ModelConfig::new(
        shape,
        1,
        vec![OutcomeQuery {
            id: "outcome".into(),
            anchors: (0..n_tiles).map(|t| (t, 1.0)).collect(),
            trained: true,
        }],
    )
    .with_patch(patch)
    .with_d_model(16)
    .with_n_heads(2)
    .with_n_layers(1)
    .with_d_ff(32)
    .with_dropout(0.0);
    if inputs == Inputs::Image {
        c.image_kind = ImageKind::Medical;
    }
    if inputs == Inputs::Both {
        c.scan = Some(ScanInput {
            shape: [1, SCAN_SIDE, SCAN_SIDE],
            patch: SCAN_PATCH,
        });
    }
    c
}

fn held_out_auc(inputs: Inputs, train_c: &Cohort, valid_c: &Cohort, test_c: &Cohort) -> f64 {
    let device = Default::default();
    let settings = TrainConfig {
        epochs: 25,
        batch_size: 64,
        lr: 3e-3,
        patience: 6,
        seed: 3,
        ..TrainConfig::default()
    };
    let outcome = train::<CpuTrainBackend>(
        &config(inputs),
        &data(train_c, inputs),
        &data(valid_c, inputs),
        &settings,
        &device,
    )
    .unwrap();
    let test = data(test_c, inputs);
    let p = predict_probabilities(&outcome.model, &test, 256, &device).unwrap();
    auc(&p, &test.labels, &vec![true; test.n]).unwrap()
}

#[test]
fn genomic_image_and_demographic_tokens_together_beat_either_modality_alone() {
    let (train_c, valid_c, test_c) = (cohort(1600, 1), cohort(400, 2), cohort(1000, 3));
    let genomic = held_out_auc(Inputs::Genomic, &train_c, &valid_c, &test_c);
    let image = held_out_auc(Inputs::Image, &train_c, &valid_c, &test_c);
    let both = held_out_auc(Inputs::Both, &train_c, &valid_c, &test_c);
    eprintln!("held-out AUC: genomic {genomic:.3}, image {image:.3}, both {both:.3}");
    assert!(
        both > genomic + 0.03 && both > image + 0.03,
        "mixed {both:.3} should beat genomic {genomic:.3} and image {image:.3}"
    );
}
