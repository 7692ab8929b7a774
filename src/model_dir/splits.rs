//! Train/validation/test splits, one rule for both modalities: an `IID split` file, else
//! the table's `split` column, else a seeded 70/15/15 draw.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::ModelDirError;
use crate::pheno::PhenoTable;
use crate::util::PathIoError;

/// Which samples go where.
#[derive(Clone, Debug, Default)]
pub struct Splits {
    /// Sample ids the model is fitted on.
    pub train: Vec<String>,
    /// Sample ids for early stopping and threshold choices.
    pub validation: Vec<String>,
    /// Sample ids held out for `evaluate`.
    pub test: Vec<String>,
    /// Where the assignment came from, for the model card.
    pub source: String,
}

/// Splits the genotyped samples with phenotypes: from an `IID split` file (`--splits`),
/// else from the table's `split` column, else at random (70/15/15, seeded). Samples in other splits
/// (e.g. `discovery`) are left out.
pub fn make_splits(
    samples: &[String],
    table: &PhenoTable,
    splits_file: Option<&Path>,
    seed: u64,
) -> Result<Splits, ModelDirError> {
    let in_table: HashSet<&str> = table.iids().iter().map(|s| s.as_str()).collect();
    let usable: Vec<&String> = samples
        .iter()
        .filter(|s| in_table.contains(s.as_str()))
        .collect();
    if usable.is_empty() {
        return Err(ModelDirError::NoSampleInTable {
            table: table.path().to_path_buf(),
            example: samples.first().cloned().unwrap_or_default(),
        });
    }
    let column = table.split().map(|col| {
        let assignment = table
            .iids()
            .iter()
            .zip(col)
            .filter_map(|(id, s)| s.as_ref().map(|s| (id.clone(), s.clone())))
            .collect();
        (
            format!("split column of {}", table.path().display()),
            assignment,
        )
    });
    assign_splits(&usable, column, splits_file, seed)
}

/// Splits `usable` samples: by `splits_file` (`IID split` lines), else by `column` (its
/// description and id → split), else at random (70/15/15, seeded). Shared by genomic and
/// imaging models, so both split the same way.
pub fn assign_splits(
    usable: &[&String],
    column: Option<(String, HashMap<String, String>)>,
    splits_file: Option<&Path>,
    seed: u64,
) -> Result<Splits, ModelDirError> {
    let mut assignment: HashMap<String, String> = HashMap::new();
    let source = if let Some(path) = splits_file {
        let text = std::fs::read_to_string(path).map_err(PathIoError::on(path))?;
        for (i, line) in text.lines().enumerate() {
            let f: Vec<&str> = line.split_whitespace().collect();
            match f.as_slice() {
                [] => {}
                ["IID", "split"] | ["#IID", "split"] if i == 0 => {}
                [id, split] => {
                    assignment.insert(id.to_string(), split.to_string());
                }
                _ => {
                    return Err(ModelDirError::Invalid {
                        path: path.to_path_buf(),
                        message: format!("line {}: expected 'IID split'", i + 1),
                    })
                }
            }
        }
        format!("--splits {}", path.display())
    } else if let Some((source, column)) = column {
        assignment = column;
        source
    } else {
        let mut order: Vec<&String> = usable.to_vec();
        crate::rng::Rng::stream(seed, &[0x7370_6c74]).shuffle(&mut order);
        let n = order.len();
        let (n_train, n_valid) = ((n as f64 * 0.7) as usize, (n as f64 * 0.15) as usize);
        for (i, id) in order.iter().enumerate() {
            let s = if i < n_train {
                "train"
            } else if i < n_train + n_valid {
                "validation"
            } else {
                "test"
            };
            assignment.insert((*id).clone(), s.to_string());
        }
        format!("seeded random 70/15/15 split (seed {seed})")
    };
    let mut splits = Splits {
        source,
        ..Splits::default()
    };
    for &id in usable {
        match assignment.get(id.as_str()).map(|s| s.as_str()) {
            Some("train") => splits.train.push(id.clone()),
            Some("validation") | Some("valid") => splits.validation.push(id.clone()),
            Some("test") => splits.test.push(id.clone()),
            _ => {}
        }
    }
    if splits.train.is_empty() || splits.validation.is_empty() {
        return Err(ModelDirError::EmptySplits {
            source_name: splits.source.clone(),
            train: splits.train.len(),
            validation: splits.validation.len(),
        });
    }
    Ok(splits)
}
