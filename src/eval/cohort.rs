//! Assembles an [`EvalCohort`] from genotypes, a phenotype table and a trained model: the
//! split of every sample, the panel's linear scores, the covariates, the outcome labels,
//! and the frozen model's probabilities and pooled embeddings.

use std::collections::HashMap;
use std::path::Path;

use super::logistic::Matrix;
use super::{EvalCohort, EvalError, Outcome, Split};
use crate::io::GenotypeSource;
use crate::model::device::DeviceKind;
use crate::model::infer;
use crate::model_dir::{self, GenomicModelConfig, ParticipantImages, Splits};
use crate::pheno::PhenoTable;
use crate::score::ScoreOptions;

/// What [`build`] needs besides the genotypes.
pub struct CohortRequest<'a> {
    /// The trained genomic model directory (`config.json`, `model.mpk`).
    pub model_dir: &'a Path,
    /// The model's parsed `config.json`: panel, normalisation, tabular schema, outcomes.
    pub config: &'a GenomicModelConfig,
    /// The panel the model was trained on, scored for every sample.
    pub panel_dir: &'a Path,
    /// Outcome labels, covariates and (unless `splits_file`) the `split` column.
    pub table: &'a PhenoTable,
    /// A file assigning samples to splits, overriding the table's `split` column.
    pub splits_file: Option<&'a Path>,
    /// Seed of the random split when the table has no `split` column.
    pub seed: u64,
    /// Scoring options; `samples`, if set, further restricts the samples evaluated.
    pub score: ScoreOptions,
    /// Where the model runs for the probabilities.
    pub device: DeviceKind,
    /// A mixed model's participant images (`IID → image`); `None` for a genomic-only model.
    pub scans: Option<&'a ParticipantImages>,
}

/// Reads the labels of outcome `id`: 1 case, 0 control, NA unknown.
fn labels(
    table: &PhenoTable,
    id: &str,
    ids: &[String],
) -> Result<Option<Vec<Option<bool>>>, EvalError> {
    let Some(column) = table.column(id) else {
        return Ok(None);
    };
    let rows = table.row_index();
    ids.iter()
        .map(|sample| {
            let Some(&r) = rows.get(sample.as_str()) else {
                return Ok(None);
            };
            match column[r] {
                None => Ok(None),
                Some(0.0) => Ok(Some(false)),
                Some(1.0) => Ok(Some(true)),
                Some(v) => Err(EvalError::Label {
                    table: table.path().to_path_buf(),
                    line: r + 2,
                    outcome: id.to_string(),
                    value: v,
                    sample: sample.clone(),
                }),
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Scores, runs the model on, and labels every train, validation and test sample of
/// `source` that the phenotype table has. Returns the cohort and the splits it used.
/// Outcomes of the model that the table lacks are left out; at least one must remain.
pub fn build(
    source: &mut dyn GenotypeSource,
    request: &CohortRequest,
) -> Result<(EvalCohort, Splits), EvalError> {
    let config = request.config;
    let splits = model_dir::make_splits(
        source.sample_ids(),
        request.table,
        request.splits_file,
        request.seed,
    )?;
    if splits.test.is_empty() {
        return Err(EvalError::NoTestSample {
            source_name: splits.source.clone(),
        });
    }
    let mut split_of: HashMap<&str, Split> = HashMap::new();
    for (ids, s) in [
        (&splits.train, Split::Train),
        (&splits.validation, Split::Validation),
        (&splits.test, Split::Test),
    ] {
        split_of.extend(ids.iter().map(|id| (id.as_str(), s)));
    }
    let mut score = request.score.clone();
    let wanted: Vec<String> = score
        .scored_ids(source.sample_ids())
        .into_iter()
        .filter(|s| split_of.contains_key(s.as_str()))
        .collect();
    score.samples = Some(wanted);
    let (scores, inputs) = model_dir::genomic::scored_inputs(
        source,
        config,
        request.panel_dir,
        Some(request.table),
        request.scans,
        &score,
    )?;
    let n = inputs.ids.len();
    let split: Vec<Split> = inputs.ids.iter().map(|id| split_of[id.as_str()]).collect();

    let data = inputs.data(None);
    let probabilities =
        model_dir::genomic::predict_data(request.model_dir, config, &data, request.device)?;
    let n_model_outcomes = config.model.outcomes.len();
    let embedding =
        infer::model_embeddings(request.model_dir, &config.model, &data, request.device)?;
    drop(data);
    let embedding = Matrix::new(
        n,
        config.model.d_model,
        embedding.into_iter().map(f64::from).collect(),
    );

    let uniform = scores.to_uniform();
    let prs = Matrix::new(n, uniform.n_columns(), uniform.values.clone());
    let tab = &inputs.tabular;
    let covariates = Matrix::new(
        n,
        tab.n_features,
        tab.values.iter().map(|&v| f64::from(v)).collect(),
    );

    let mut outcomes = Vec::new();
    let mut outcome_labels = Vec::new();
    let mut model = Vec::new();
    for (k, query) in config.model.outcomes.iter().enumerate() {
        let Some(l) = labels(request.table, &query.id, &inputs.ids)? else {
            continue;
        };
        let info = config.outcomes.iter().find(|o| o.id == query.id);
        outcomes.push(Outcome {
            id: query.id.clone(),
            name: info.map_or_else(|| query.id.clone(), |o| o.name.clone()),
            trained: query.trained,
            anchors: info.map_or_else(Vec::new, |o| o.anchors.clone()),
        });
        outcome_labels.push(l);
        model.push(
            (0..n)
                .map(|i| f64::from(probabilities[i * n_model_outcomes + k]))
                .collect(),
        );
    }
    if outcomes.is_empty() {
        return Err(EvalError::MissingOutcome {
            table: request.table.path().to_path_buf(),
            message: format!(
                "no column for any of the model's outcomes (expected e.g. '{}')",
                config.model.outcomes.first().map_or("", |o| o.id.as_str())
            ),
        });
    }
    let cohort = EvalCohort {
        ids: inputs.ids.clone(),
        split,
        features: prs,
        feature_names: uniform.column_names(),
        traits: uniform.traits.clone(),
        n_thresholds: uniform.channels.len(),
        covariates,
        covariate_names: config.tabular.names.clone(),
        embedding,
        outcomes,
        labels: outcome_labels,
        model,
    };
    Ok((cohort, splits))
}
