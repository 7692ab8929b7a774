//! `MODEL_CARD.md` of both modalities (after Mitchell et al. 2019, "Model Cards for Model
//! Reporting"): intended use, the training data section the two share
//! ([`training_data_md`]), metrics and limitations.

use std::fmt::Write as _;

use super::genomic::GenomicModelConfig;
use super::image::ImageModelConfig;
use super::training_data_md;

/// MODEL_CARD.md: intended use, training data, metrics, limitations.
pub fn genomic(c: &GenomicModelConfig) -> String {
    let mut s = String::new();
    let t = &c.training;
    let _ = writeln!(s, "# Model card: {}\n", c.name);
    let _ = writeln!(
        s,
        "**Not for clinical use.** This model predicts disease risk from polygenic scores \
         for research and software testing. It has not been validated on any real cohort.\n"
    );
    let _ = writeln!(s, "## Intended use\n");
    let _ = writeln!(
        s,
        "Research comparison of a transformer over a genomic image (Med-Gemini-Polygenic, \
         arXiv 2405.03162) against linear polygenic scores. Input: genotypes scored with \
         panel `{}` (sha256 `{}`, {}), age, sex and BMI. Output: probabilities for {} \
         outcomes ({} trained, the rest queried zero-shot from their anchor traits).\n",
        c.panel.name,
        c.panel.sha256,
        c.panel.genome_build,
        c.outcomes.len(),
        c.outcomes.iter().filter(|o| o.trained).count()
    );
    s.push_str(&training_data_md(t, ("Genotypes", "Phenotypes")));
    let m = &c.model;
    let _ = writeln!(
        s,
        "Architecture: {}×{}×{} genomic image ({} fill) in 8×8 patches, {} covariate tokens, {} outcome queries; transformer d_model {}, {} heads, {} layers, feed-forward {}, dropout {}; linear readout of tiles and covariates {}.\n",
        m.image_shape[0], m.image_shape[1], m.image_shape[2], c.fill.as_str(), m.n_tabular,
        m.outcomes.len(), m.d_model, m.n_heads, m.n_layers, m.d_ff, m.dropout,
        if m.linear_readout { "on" } else { "off" }
    );
    if let Some(scan) = &c.scan {
        let _ = writeln!(
            s,
            "Participant images (a mixed genomic + imaging model): one {}-channel image per \
                participant, resized to {}×{} (letterboxed), cut into {}×{} patches{} that join \
                the genomic patches and covariates in one token sequence. Prediction needs every \
                participant's image (`--images DIR --image-table TSV`), prepared the same way.\n",
            scan.image.channels,
            scan.image.size,
            scan.image.size,
            scan.patch,
            scan.patch,
            if scan.stem_features > 0 {
                format!(
                    " after a convolutional stem of {} feature maps",
                    scan.stem_features
                )
            } else {
                String::new()
            }
        );
    }
    let _ = writeln!(s, "## Metrics (validation split, the kept epoch)\n");
    let _ = writeln!(
        s,
        "| outcome | AUROC | training prevalence |\n|---|---|---|"
    );
    for (id, auc) in &c.metrics.validation_auc {
        let prev = c
            .outcomes
            .iter()
            .find(|o| &o.id == id)
            .and_then(|o| o.train_prevalence);
        let _ = writeln!(
            s,
            "| {id} | {} | {} |",
            auc.map_or("NA".into(), |a| format!("{a:.3}")),
            prev.map_or("NA".into(), |p| format!("{p:.3}"))
        );
    }
    let _ = writeln!(s, "\nMean validation AUROC: {:.3}. Test-split evaluation against linear baselines is `medgem-prs evaluate`'s job.\n", c.metrics.mean_validation_auc);
    let _ = writeln!(s, "## Outcomes and their anchors\n");
    let _ = writeln!(
        s,
        "| outcome | name | trained | anchors | prevalence given |\n|---|---|---|---|---|"
    );
    for o in &c.outcomes {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            o.id,
            o.name,
            if o.trained { "yes" } else { "zero-shot" },
            if o.anchors.is_empty() {
                "none".to_string()
            } else {
                super::outcomes::format_anchors(&o.anchors)
            },
            o.prevalence.map_or("—".into(), |p| format!("{p}"))
        );
    }
    let _ = writeln!(
        s,
        "\n### How anchors enter the model\n\n\
         Anchors are panel trait ids with a sign ('-': inversely related) and an optional \
         weight, as the user wrote them (equal weights unless given); they are never \
         fitted from the outcome's labels before training. Each outcome's query token is the \
         query map of the weighted mean of its anchors' tile position embeddings, and the \
         linear readout reads its anchors' tiles through shared per-threshold weights.\n\n\
         - **Trained outcomes** learn their own weights on top: a per-outcome head \
         correction and free readout weights over every tile and covariate, fitted on their \
         labels. Their anchors only seed the query (an outcome without anchors starts from the \
         shared query).\n\
         - **Zero-shot outcomes** have nothing of their own: their logit is the shared head \
         on their anchors' query plus the shared anchor readout, so naming anchors is all it \
         takes to ask a new outcome (`--outcomes`, `--query` at prediction, no retraining). \
         The attention mask keeps queries apart, so adding one never changes another \
         outcome's probability.\n\
         - **Calibration:** trained outcomes are shifted back from the class-weighted training \
         to their training prevalence (King & Zeng prior correction). A zero-shot outcome is \
         shifted to the `prevalence` given for it; without one its probability is on the \
         scale of a typical trained outcome and only its ranking means something.\n"
    );
    let _ = writeln!(s, "\n## Limitations\n");
    let _ = writeln!(
        s,
        "- Trained on the data above only; if that is the synthetic biobank of `medgem-prs simulate`, nothing here transfers to real people.\n\
         - Scores must come from the same panel (checked by sha256) and genome build.\n\
         - Zero-shot outcomes are only as good as their anchor traits; without a prevalence their probabilities are not calibrated.\n\
         - No ancestry adjustment: the training cohort defines the reference distribution."
    );
    s
}

/// MODEL_CARD.md of an imaging model.
pub fn image(c: &ImageModelConfig) -> String {
    let t = &c.training;
    let mut s = format!("# Model card: {}\n\n", c.name);
    s.push_str(
        "**Not for clinical use.** A research imaging classifier on the medgem-prs \
         transformer core. It has not been validated on any real images.\n\n",
    );
    s.push_str(&format!(
        "## Input\n\n{}-channel images resized to {}×{} (letterboxed), cut into {}×{} \
         patches; DICOM window: {}.\n\n",
        c.image.channels,
        c.image.size,
        c.image.size,
        c.model.patch,
        c.model.patch,
        match c.image.window {
            Some(w) => format!("centre {} width {}", w.center, w.width),
            None => "the file's own, else the full range".into(),
        }
    ));
    s.push_str(&training_data_md(t, ("Images", "Labels")));
    s.push_str(&format!(
        "Augmentation: {}\n\n",
        match &c.augmentation {
            Some(a) => serde_json::to_string(a).expect("serializable"),
            None => "none".into(),
        }
    ));
    s.push_str(
        "## Validation AUC (kept epoch)\n\n| finding | prevalence (train) | AUC |\n|---|---|---|\n",
    );
    for (f, (_, auc)) in c.findings.iter().zip(&c.metrics.validation_auc) {
        s.push_str(&format!(
            "| {} | {} | {} |\n",
            f.id,
            f.train_prevalence
                .map_or("NA".into(), |p| format!("{p:.3}")),
            auc.map_or("NA".into(), |a| format!("{a:.3}"))
        ));
    }
    s
}
