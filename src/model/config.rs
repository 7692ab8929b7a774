//! Hyperparameters of the risk model and the outcomes it is asked about.
//!
//! The configuration is plain serde data so that a model directory's `config.json` can embed
//! it verbatim: together with the weights it is everything needed to rebuild the network.

use burn::config::Config;
use serde::{Deserialize, Serialize};

use super::ModelError;

/// Patch side in pixels: the paper projects each trait's score into one 8×8 tile, so one
/// patch is exactly one trait (Yang et al. 2024, Med-Gemini-Polygenic).
pub const TILE_SIDE: usize = 8;

/// One outcome the model predicts, defined by the genomic-image tiles it is anchored to.
///
/// The query token of an outcome is computed from the position embeddings of its anchor
/// tiles, so an outcome the model never saw in training is asked about zero-shot by naming
/// the traits it is genetically correlated with (the paper used a text prompt instead).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutcomeQuery {
    /// Outcome id, e.g. `cad` or `hypertension`.
    pub id: String,
    /// `(tile index, weight)` pairs; the tile index counts the image's tile grid in
    /// row-major order, and weights may be negative (an inversely correlated trait).
    pub anchors: Vec<(usize, f32)>,
    /// Whether the outcome has labels in training. Trained outcomes get their own head on
    /// top of the shared one; untrained outcomes are read by the shared head alone.
    pub trained: bool,
}

/// What the model's first image holds. Only the training loop cares (medical images are
/// augmented, the genomic image never is); the transformer core does not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageKind {
    /// The genomic image: one tile per trait, channels = p-value thresholds.
    #[default]
    Genomic,
    /// A 2D medical image (radiograph, photograph ...), see `crate::imaging`.
    Medical,
}

/// A second image in the same token sequence: a medical image beside the genomic image
/// (mixed input). Its patches get their own projection and position embeddings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScanInput {
    /// `[C, H, W]`, H and W multiples of `patch`.
    pub shape: [usize; 3],
    /// Patch side in pixels.
    pub patch: usize,
}

impl ScanInput {
    /// Patches of the scan.
    pub fn n_tiles(&self) -> usize {
        let [_, h, w] = self.shape;
        (h / self.patch.max(1)) * (w / self.patch.max(1))
    }
}

/// Shape of the transformer, its inputs and its outcomes.
#[derive(Config, Debug, PartialEq)]
pub struct ModelConfig {
    /// First image `[C, H, W]`, H and W multiples of `patch`: the genomic image (C
    /// thresholds, one tile per trait) or, for an imaging model, the medical image.
    pub image_shape: [usize; 3],
    /// What the first image is.
    #[config(default = "ImageKind::Genomic")]
    pub image_kind: ImageKind,
    /// A medical image read beside the first one (mixed genomic + imaging input).
    #[config(default = "None")]
    pub scan: Option<ScanInput>,
    /// Feature maps of the convolutional stem in front of every medical image's patch
    /// projection (`encoders::ConvStem`); 0: none. The genomic image never has one.
    #[config(default = 0)]
    pub stem_features: usize,
    /// Patch side in pixels ([`TILE_SIDE`] puts one trait in each patch).
    #[config(default = 8)]
    pub patch: usize,
    /// Number of tabular covariates (age, sex, BMI, principal components ...).
    pub n_tabular: usize,
    /// Token width.
    #[config(default = 32)]
    pub d_model: usize,
    /// Attention heads per layer; must divide `d_model`.
    #[config(default = 4)]
    pub n_heads: usize,
    /// Transformer layers.
    #[config(default = 2)]
    pub n_layers: usize,
    /// Hidden width of the position-wise feed-forward blocks.
    #[config(default = 64)]
    pub d_ff: usize,
    /// Dropout probability inside the transformer during training.
    #[config(default = 0.1)]
    pub dropout: f64,
    /// Add a linear readout of the image's tiles and the covariates to every logit (a
    /// "wide and deep" model, Cheng et al. 2016): the transformer then only has to learn
    /// what a linear multi-score model cannot, the interactions.
    #[config(default = true)]
    pub linear_readout: bool,
    /// All outcomes, trained and zero-shot, in the order of the model's logits.
    pub outcomes: Vec<OutcomeQuery>,
}

impl ModelConfig {
    /// Fills in the fields that `config.json` files written before imaging models lack
    /// (`image_kind`, `scan`, `stem_features`) with their defaults: burn's `Config` derive
    /// does not give serde the `#[config(default)]`s, and a genomic model saved earlier
    /// must still load.
    pub fn fill_defaults(model: &mut serde_json::Value) {
        if let Some(object) = model.as_object_mut() {
            for (key, value) in [
                ("image_kind", serde_json::json!("genomic")),
                ("scan", serde_json::Value::Null),
                ("stem_features", serde_json::json!(0)),
            ] {
                object.entry(key).or_insert(value);
            }
        }
    }

    /// Tile grid `(rows, columns)`.
    pub fn grid(&self) -> (usize, usize) {
        let [_, h, w] = self.image_shape;
        (h / self.patch.max(1), w / self.patch.max(1))
    }

    /// Number of image patches (= traits when `patch` is [`TILE_SIDE`]).
    pub fn n_tiles(&self) -> usize {
        let (rows, cols) = self.grid();
        rows * cols
    }

    /// Number of outcomes, trained and zero-shot.
    pub fn n_outcomes(&self) -> usize {
        self.outcomes.len()
    }

    /// Positions, in `outcomes`, of the trained outcomes: the columns of the training labels.
    pub fn trained_indices(&self) -> Vec<usize> {
        self.outcomes
            .iter()
            .enumerate()
            .filter(|(_, o)| o.trained)
            .map(|(i, _)| i)
            .collect()
    }

    /// Whether the CPU inference engine can run the model (one image, no stem).
    pub fn cpu_engine_supported(&self) -> bool {
        self.scan.is_none() && (self.stem_features == 0 || self.image_kind == ImageKind::Genomic)
    }

    /// Context tokens: first-image patches, scan patches, tabular tokens.
    pub fn n_context(&self) -> usize {
        self.n_tiles() + self.scan.as_ref().map_or(0, ScanInput::n_tiles) + self.n_tabular
    }

    /// Sequence length seen by the transformer: context tokens and outcome queries.
    pub fn n_tokens(&self) -> usize {
        self.n_context() + self.n_outcomes()
    }

    /// Checks that the configuration describes a network that can be built.
    pub fn validate(&self) -> Result<(), ModelError> {
        let bad = |message: String| Err(ModelError::Config(message));
        let [c, h, w] = self.image_shape;
        if self.patch == 0 {
            return bad("patch size must be positive".into());
        }
        if c == 0 || h == 0 || w == 0 || h % self.patch != 0 || w % self.patch != 0 {
            return bad(format!(
                "image shape {:?} must be non-empty with H and W multiples of the patch size {}",
                self.image_shape, self.patch
            ));
        }
        if let Some(scan) = &self.scan {
            let [c, h, w] = scan.shape;
            if scan.patch == 0
                || c == 0
                || h == 0
                || w == 0
                || h % scan.patch != 0
                || w % scan.patch != 0
            {
                return bad(format!(
                    "scan shape {:?} must be non-empty with H and W multiples of its patch size {}",
                    scan.shape, scan.patch
                ));
            }
        }
        if self.stem_features > 0 {
            let odd_patch = (self.image_kind == ImageKind::Medical
                && !self.patch.is_multiple_of(2))
                || self
                    .scan
                    .as_ref()
                    .is_some_and(|s| !s.patch.is_multiple_of(2));
            if odd_patch {
                return bad(
                    "a convolutional stem halves the image: patch sizes must be even".into(),
                );
            }
        }
        if self.d_model == 0 || self.n_heads == 0 || !self.d_model.is_multiple_of(self.n_heads) {
            return bad(format!(
                "d_model {} must be a positive multiple of n_heads {}",
                self.d_model, self.n_heads
            ));
        }
        if self.n_layers == 0 || self.d_ff == 0 {
            return bad("n_layers and d_ff must be positive".into());
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return bad(format!("dropout {} must be in [0, 1)", self.dropout));
        }
        if !self.outcomes.iter().any(|o| o.trained) {
            return bad("at least one outcome must be trained".into());
        }
        let n_tiles = self.n_tiles();
        for (i, outcome) in self.outcomes.iter().enumerate() {
            if self.outcomes[..i].iter().any(|o| o.id == outcome.id) {
                return bad(format!("outcome '{}' is listed twice", outcome.id));
            }
            if let Some(&(tile, _)) = outcome.anchors.iter().find(|(t, _)| *t >= n_tiles) {
                return bad(format!(
                    "outcome '{}': anchor tile {tile} is outside the {n_tiles}-tile grid",
                    outcome.id
                ));
            }
            // A trained outcome may have no anchor (its query is then the query map of the
            // zero vector, and its own head tells it apart); a zero-shot outcome is nothing
            // but its anchors.
            let total: f32 = outcome.anchors.iter().map(|(_, w)| w.abs()).sum();
            let empty_ok = outcome.trained && outcome.anchors.is_empty();
            if !(empty_ok || (total.is_finite() && total > 0.0)) {
                return bad(format!(
                    "outcome '{}': anchor weights must be finite and not all zero",
                    outcome.id
                ));
            }
        }
        Ok(())
    }

    /// Anchor matrix `[n_outcomes, n_tiles]`, row-major, each row divided by the sum of the
    /// absolute weights so that a query is a weighted mean of anchor position embeddings
    /// whatever the number of anchors. A trained outcome without anchors has a zero row.
    pub fn anchor_matrix(&self) -> Vec<f32> {
        let n_tiles = self.n_tiles();
        let mut matrix = vec![0.0f32; self.n_outcomes() * n_tiles];
        for (row, outcome) in matrix.chunks_mut(n_tiles).zip(&self.outcomes) {
            let total: f32 = outcome.anchors.iter().map(|(_, w)| w.abs()).sum();
            if total == 0.0 {
                continue;
            }
            for &(tile, weight) in &outcome.anchors {
                row[tile] += weight / total;
            }
        }
        matrix
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(id: &str, anchors: Vec<(usize, f32)>, trained: bool) -> OutcomeQuery {
        OutcomeQuery {
            id: id.into(),
            anchors,
            trained,
        }
    }

    fn config() -> ModelConfig {
        ModelConfig::new(
            [3, 16, 24],
            2,
            vec![
                outcome("a", vec![(0, 1.0), (5, -3.0)], true),
                outcome("b", vec![(2, 2.0)], false),
            ],
        )
    }

    #[test]
    fn defaults_grid_and_token_count() {
        let c = config();
        assert_eq!((c.patch, c.d_model, c.n_heads, c.n_layers), (8, 32, 4, 2));
        assert_eq!(c.grid(), (2, 3));
        assert_eq!(c.n_tokens(), 6 + 2 + 2);
        assert_eq!(c.trained_indices(), vec![0]);
        c.validate().unwrap();
    }

    #[test]
    fn anchor_rows_are_normalised_by_absolute_weight() {
        let m = config().anchor_matrix();
        assert_eq!(m.len(), 2 * 6);
        assert_eq!(&m[..6], &[0.25, 0.0, 0.0, 0.0, 0.0, -0.75]);
        assert_eq!(&m[6..], &[0.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn invalid_configs_are_rejected_with_reasons() {
        let mut c = config();
        c.image_shape = [3, 12, 16];
        assert!(c.validate().unwrap_err().to_string().contains("multiples"));
        let mut c = config();
        c.n_heads = 3;
        assert!(c.validate().is_err());
        let mut c = config();
        c.outcomes[1].anchors = vec![(6, 1.0)];
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("anchor tile 6"));
        let mut c = config();
        c.outcomes[1].anchors = vec![(1, 0.0)];
        assert!(c.validate().is_err());
        let mut c = config();
        c.outcomes[1].id = "a".into();
        assert!(c.validate().unwrap_err().to_string().contains("twice"));
        let mut c = config();
        c.outcomes[0].trained = false;
        assert!(c.validate().is_err());
        let mut c = config();
        c.outcomes[1].anchors.clear();
        assert!(c.validate().unwrap_err().to_string().contains("'b'"));
    }

    #[test]
    fn a_trained_outcome_may_have_no_anchor_and_gets_a_zero_row() {
        let mut c = config();
        c.outcomes[0].anchors.clear();
        c.validate().unwrap();
        let m = c.anchor_matrix();
        assert!(m[..6].iter().all(|&v| v == 0.0));
        assert_eq!(&m[6..], &[0.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn scan_adds_its_patches_to_the_context() {
        let mut c = config();
        c.scan = Some(ScanInput {
            shape: [1, 32, 32],
            patch: 16,
        });
        assert_eq!(c.n_context(), 6 + 4 + 2);
        assert_eq!(c.n_tokens(), 6 + 4 + 2 + 2);
        c.validate().unwrap();
        c.scan.as_mut().unwrap().patch = 12;
        assert!(c.validate().unwrap_err().to_string().contains("scan shape"));
    }

    #[test]
    fn configs_without_the_imaging_fields_still_parse() {
        let mut json = serde_json::to_value(config()).unwrap();
        let object = json.as_object_mut().unwrap();
        object.remove("scan");
        object.remove("image_kind");
        object.remove("stem_features");
        assert!(serde_json::from_value::<ModelConfig>(json.clone()).is_err());
        ModelConfig::fill_defaults(&mut json);
        let back: ModelConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back, config());
        assert_eq!(back.image_kind, ImageKind::Genomic);
    }

    #[test]
    fn serde_round_trip() {
        let c = config();
        let json = serde_json::to_string(&c).unwrap();
        let back: ModelConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
    }
}
