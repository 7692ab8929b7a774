//! Outcome definitions as data: the `outcomes.toml` file of `train --outcomes` (and of
//! `predict`/`score`/`evaluate --outcomes`), the `--query 'ID=ANCHOR,...'` strings, and the
//! outcomes `train` takes from a phenotype table when it is given none.
//!
//! The format is DESIGN.md's "Outcome definitions": one `[[outcome]]` table per outcome with
//! an `id` (its phenotype-table column), a `name`, `trained = true|false` and `anchors`,
//! panel trait ids each optionally prefixed `-` (inversely related) and suffixed `:weight`
//! (a positive number; 1 when left out), and an optional `prevalence`.
//!
//! Anchors are what a user knows of an outcome: the traits that define it or are genetically
//! correlated with it, and the direction. For a trained outcome they seed its query token
//! and its share of the anchor readout, and everything else is learned from its labels; a
//! zero-shot outcome is nothing but its anchors (the analogue of the paper's text prompt).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::encode::tabular;
use crate::pheno::PhenoTable;
use crate::util::PathIoError;

/// An outcome to put in a model or to query: its phenotype-table column, its name, whether
/// it is trained (else queried zero-shot), its anchor traits with weights and, optionally,
/// its prevalence.
#[derive(Clone, Debug, PartialEq)]
pub struct OutcomeDef {
    /// The phenotype-table column and the output column name.
    pub id: String,
    /// A readable name.
    pub name: String,
    /// Trained on its labels (`true`) or queried zero-shot from its anchors.
    pub trained: bool,
    /// Panel trait ids with weights; negative weights: inversely related.
    pub anchors: Vec<(String, f32)>,
    /// The outcome's prevalence in the population predicted for, which calibrates a
    /// zero-shot outcome's probability (a trained outcome uses its training prevalence).
    pub prevalence: Option<f64>,
    /// Where the definition came from (`outcomes.toml`, `--query 'I10=…'`), for messages.
    pub origin: String,
}

/// Everything that can be wrong with outcome definitions.
#[derive(Debug, thiserror::Error)]
pub enum OutcomesError {
    /// The file could not be read.
    #[error(transparent)]
    Io(#[from] PathIoError),
    /// The file is not TOML of the expected shape (the message names the line).
    #[error("{}: {message}", path.display())]
    Toml {
        /// The outcomes file.
        path: PathBuf,
        /// The parser's message, with its line and column.
        message: String,
    },
    /// The file has no `[[outcome]]` table.
    #[error("{}: no [[outcome]] table (expected one per outcome, with id, name, trained and anchors)", path.display())]
    Empty {
        /// The outcomes file.
        path: PathBuf,
    },
    /// An id is empty or has characters a TSV column name cannot have.
    #[error("{origin}: outcome id '{id}': expected a non-empty column name without tabs, spaces, '=' or ','")]
    Id {
        /// The file or `--query`.
        origin: String,
        /// The id as written.
        id: String,
    },
    /// The same outcome id is defined twice.
    #[error("{origin}: outcome '{id}' is defined twice{}", if other.is_empty() { String::new() } else { format!(" (also in {other})") })]
    Duplicate {
        /// The file or `--query` of the second definition.
        origin: String,
        /// Where the first one came from, when elsewhere.
        other: String,
        /// The repeated id.
        id: String,
    },
    /// A zero-shot outcome without anchors has nothing to be queried from.
    #[error("{origin}: outcome '{outcome}' is zero-shot (trained = false) but names no anchor (expected anchors = [\"TRAIT\", \"-TRAIT\", \"TRAIT:0.5\"])")]
    NoAnchors {
        /// The file or `--query`.
        origin: String,
        /// The outcome.
        outcome: String,
    },
    /// An anchor is not `[-]TRAIT[:WEIGHT]` with a positive finite weight.
    #[error("{origin}: outcome '{outcome}': anchor '{anchor}': {expected}")]
    Anchor {
        /// The file or `--query`.
        origin: String,
        /// The outcome.
        outcome: String,
        /// The anchor as written.
        anchor: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A trait is named twice among one outcome's anchors.
    #[error("{origin}: outcome '{outcome}': anchor trait '{anchor}' is named twice")]
    DuplicateAnchor {
        /// The file or `--query`.
        origin: String,
        /// The outcome.
        outcome: String,
        /// The repeated trait id.
        anchor: String,
    },
    /// A prevalence outside (0, 1).
    #[error("{origin}: outcome '{outcome}': prevalence {value}: expected a fraction strictly between 0 and 1")]
    Prevalence {
        /// The file.
        origin: String,
        /// The outcome.
        outcome: String,
        /// The value given.
        value: f64,
    },
    /// A `--query` is not `ID=ANCHOR[,ANCHOR...]`.
    #[error("--query '{query}': expected ID=ANCHOR[,ANCHOR...], e.g. 'I10=4080,-4079:0.5'")]
    Query {
        /// The query as given.
        query: String,
    },
    /// An anchor names a trait the panel does not have.
    #[error("{origin}: outcome '{outcome}': anchor trait '{anchor}' is not in the panel '{panel}' (its traits: {examples})")]
    AnchorNotInPanel {
        /// The file or `--query`.
        origin: String,
        /// The outcome.
        outcome: String,
        /// The trait id.
        anchor: String,
        /// The panel's name.
        panel: String,
        /// The first few trait ids of the panel.
        examples: String,
    },
    /// A query redefines an outcome the model was trained on.
    #[error("{origin}: outcome '{outcome}' is trained in this model with anchors [{model_anchors}]; a query may not redefine it (drop it, or give the model's anchors)")]
    TrainedRedefined {
        /// The file or `--query`.
        origin: String,
        /// The outcome.
        outcome: String,
        /// The model's anchors, as `outcomes.toml` would write them.
        model_anchors: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    #[serde(default)]
    outcome: Vec<EntryToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryToml {
    id: String,
    name: Option<String>,
    #[serde(default = "yes")]
    trained: bool,
    #[serde(default)]
    anchors: Vec<String>,
    prevalence: Option<f64>,
}

fn yes() -> bool {
    true
}

/// Reads an outcomes file (DESIGN.md, "Outcome definitions").
pub fn read_file(path: &Path) -> Result<Vec<OutcomeDef>, OutcomesError> {
    let text = std::fs::read_to_string(path).map_err(PathIoError::on(path))?;
    parse_file(path, &text)
}

/// Parses the text of an outcomes file (`path` names it in messages).
pub fn parse_file(path: &Path, text: &str) -> Result<Vec<OutcomeDef>, OutcomesError> {
    let file: FileToml = toml::from_str(text).map_err(|e| OutcomesError::Toml {
        path: path.to_path_buf(),
        message: e.to_string().trim_end().replace('\n', " "),
    })?;
    if file.outcome.is_empty() {
        return Err(OutcomesError::Empty {
            path: path.to_path_buf(),
        });
    }
    let origin = path.display().to_string();
    let mut defs = Vec::with_capacity(file.outcome.len());
    for e in file.outcome {
        check_id(&origin, &e.id)?;
        let anchors = e
            .anchors
            .iter()
            .map(|a| parse_anchor(a).map_err(|expected| anchor_error(&origin, &e.id, a, expected)))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(p) = e.prevalence {
            if !(p > 0.0 && p < 1.0) {
                return Err(OutcomesError::Prevalence {
                    origin,
                    outcome: e.id,
                    value: p,
                });
            }
        }
        defs.push(OutcomeDef {
            name: e.name.unwrap_or_else(|| e.id.clone()),
            id: e.id,
            trained: e.trained,
            anchors,
            prevalence: e.prevalence,
            origin: origin.clone(),
        });
    }
    check_defs(&defs)?;
    Ok(defs)
}

/// Parses a `--query 'ID=ANCHOR[,ANCHOR...]'`: a zero-shot outcome named by its id.
pub fn parse_query(query: &str) -> Result<OutcomeDef, OutcomesError> {
    let bad = || OutcomesError::Query {
        query: query.to_string(),
    };
    let (id, anchors) = query.split_once('=').ok_or_else(bad)?;
    let (id, anchors) = (id.trim(), anchors.trim());
    if id.is_empty() {
        return Err(bad());
    }
    let origin = format!("--query '{query}'");
    check_id(&origin, id)?;
    let anchors = anchors
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| parse_anchor(a).map_err(|expected| anchor_error(&origin, id, a, expected)))
        .collect::<Result<Vec<_>, _>>()?;
    let def = OutcomeDef {
        id: id.to_string(),
        name: id.to_string(),
        trained: false,
        anchors,
        prevalence: None,
        origin,
    };
    check_defs(std::slice::from_ref(&def))?;
    Ok(def)
}

/// Parses one anchor, `[-]TRAIT[:WEIGHT]`, into the trait id and a signed weight. The
/// weight follows the last `:`; it must be a positive finite number (the sign is the `-`).
pub fn parse_anchor(anchor: &str) -> Result<(String, f32), &'static str> {
    let (negative, rest) = match anchor.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, anchor),
    };
    let (id, weight) = match rest.rsplit_once(':') {
        Some((id, w)) => {
            let w: f32 = w
                .trim()
                .parse()
                .map_err(|_| "expected [-]TRAIT[:WEIGHT] with a number after ':'")?;
            if !(w.is_finite() && w > 0.0) {
                return Err("expected a positive finite weight after ':' (write '-TRAIT' for an inverse relation)");
            }
            (id, w)
        }
        None => (rest, 1.0),
    };
    let id = id.trim();
    if id.is_empty() || id.starts_with('-') || id.contains(char::is_whitespace) {
        return Err("expected [-]TRAIT[:WEIGHT], with a panel trait id");
    }
    Ok((id.to_string(), if negative { -weight } else { weight }))
}

/// An anchor as `outcomes.toml` writes it: `-` for a negative weight, `:w` unless it is 1.
pub fn format_anchor(id: &str, weight: f32) -> String {
    let sign = if weight < 0.0 { "-" } else { "" };
    if (weight.abs() - 1.0).abs() < 1e-6 {
        format!("{sign}{id}")
    } else {
        format!("{sign}{id}:{}", weight.abs())
    }
}

/// Anchors as `outcomes.toml` writes them, comma-separated.
pub fn format_anchors(anchors: &[(String, f32)]) -> String {
    anchors
        .iter()
        .map(|(id, w)| format_anchor(id, *w))
        .collect::<Vec<_>>()
        .join(", ")
}

fn anchor_error(
    origin: &str,
    outcome: &str,
    anchor: &str,
    expected: &'static str,
) -> OutcomesError {
    OutcomesError::Anchor {
        origin: origin.to_string(),
        outcome: outcome.to_string(),
        anchor: anchor.to_string(),
        expected,
    }
}

fn check_id(origin: &str, id: &str) -> Result<(), OutcomesError> {
    let bad = id.is_empty()
        || id.contains(|c: char| c.is_whitespace() || c == '=' || c == ',')
        || id.eq_ignore_ascii_case(crate::pheno::IID);
    if bad {
        return Err(OutcomesError::Id {
            origin: origin.to_string(),
            id: id.to_string(),
        });
    }
    Ok(())
}

/// Checks a list of definitions together: unique ids (naming both origins), no trait twice
/// in one outcome, and anchors for every zero-shot outcome.
pub fn check_defs(defs: &[OutcomeDef]) -> Result<(), OutcomesError> {
    for (i, d) in defs.iter().enumerate() {
        if let Some(first) = defs[..i].iter().find(|o| o.id == d.id) {
            return Err(OutcomesError::Duplicate {
                origin: d.origin.clone(),
                other: if first.origin == d.origin {
                    String::new()
                } else {
                    first.origin.clone()
                },
                id: d.id.clone(),
            });
        }
        let mut seen = HashSet::new();
        for (a, _) in &d.anchors {
            if !seen.insert(a.as_str()) {
                return Err(OutcomesError::DuplicateAnchor {
                    origin: d.origin.clone(),
                    outcome: d.id.clone(),
                    anchor: a.clone(),
                });
            }
        }
        if !d.trained && d.anchors.is_empty() {
            return Err(OutcomesError::NoAnchors {
                origin: d.origin.clone(),
                outcome: d.id.clone(),
            });
        }
    }
    Ok(())
}

/// Checks that every anchor of `defs` is a trait of the panel (`tile_order`, named
/// `panel`).
pub fn check_in_panel(
    defs: &[OutcomeDef],
    tile_order: &[String],
    panel: &str,
) -> Result<(), OutcomesError> {
    let traits: HashSet<&str> = tile_order.iter().map(String::as_str).collect();
    for d in defs {
        if let Some((a, _)) = d.anchors.iter().find(|(a, _)| !traits.contains(a.as_str())) {
            let mut examples: Vec<&str> = tile_order.iter().take(5).map(String::as_str).collect();
            if tile_order.len() > 5 {
                examples.push("…");
            }
            return Err(OutcomesError::AnchorNotInPanel {
                origin: d.origin.clone(),
                outcome: d.id.clone(),
                anchor: a.clone(),
                panel: panel.to_string(),
                examples: examples.join(", "),
            });
        }
    }
    Ok(())
}

/// The outcomes `train` takes when given no definitions: every column of the table that is
/// not the ID, the split or a covariate (`age`, `sex`, `bmi`, `PC1..PCk`) and holds only 0,
/// 1 and NA, with at least one value; trained, without anchors.
pub fn from_table(table: &PhenoTable) -> Vec<OutcomeDef> {
    let covariates: HashSet<String> = tabular::DEMOGRAPHICS
        .iter()
        .map(|s| s.to_string())
        .chain(tabular::pc_columns(table))
        .collect();
    let origin = format!("{} (0/1 columns)", table.path().display());
    table
        .names()
        .iter()
        .filter(|n| !covariates.contains(n.as_str()))
        .filter(|n| {
            let col = table.column(n).expect("named column");
            col.iter().any(Option::is_some) && col.iter().flatten().all(|&v| v == 0.0 || v == 1.0)
        })
        .map(|n| OutcomeDef {
            id: n.clone(),
            name: n.clone(),
            trained: true,
            anchors: Vec::new(),
            prevalence: None,
            origin: origin.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<OutcomeDef>, OutcomesError> {
        parse_file(Path::new("o.toml"), text)
    }

    #[test]
    fn the_design_example_parses() {
        let defs = parse(
            "[[outcome]]\nid = \"I25\"\nname = \"Coronary artery disease\"\ntrained = true\n\
             anchors = [\"30780\", \"-30760\", \"4080:0.5\"]\nprevalence = 0.08\n\n\
             [[outcome]]\nid = \"I10\"\ntrained = false\nanchors = [\"-4080:2\"]\n",
        )
        .unwrap();
        assert_eq!(defs.len(), 2);
        assert_eq!(defs[0].id, "I25");
        assert_eq!(defs[0].name, "Coronary artery disease");
        assert!(defs[0].trained);
        assert_eq!(
            defs[0].anchors,
            vec![
                ("30780".to_string(), 1.0),
                ("30760".to_string(), -1.0),
                ("4080".to_string(), 0.5)
            ]
        );
        assert_eq!(defs[0].prevalence, Some(0.08));
        assert_eq!((defs[1].name.as_str(), defs[1].trained), ("I10", false));
        assert_eq!(defs[1].anchors, vec![("4080".to_string(), -2.0)]);
        assert_eq!(format_anchors(&defs[0].anchors), "30780, -30760, 4080:0.5");
    }

    #[test]
    fn malformed_files_name_the_outcome_and_what_was_expected() {
        let e = parse("[[outcome]]\nid = \"a\"\nanchors = [\"x:heavy\"]\n").unwrap_err();
        assert!(
            e.to_string().contains("outcome 'a': anchor 'x:heavy'"),
            "{e}"
        );
        let e = parse("[[outcome]]\nid = \"a\"\nanchors = [\"x:-1\"]\n").unwrap_err();
        assert!(e.to_string().contains("positive finite weight"), "{e}");
        let e = parse("[[outcome]]\nid = \"a\"\nanchors = [\"-\"]\n").unwrap_err();
        assert!(e.to_string().contains("anchor '-'"), "{e}");
        let e = parse("[[outcome]]\nid = \"z\"\ntrained = false\nanchors = []\n").unwrap_err();
        assert!(e.to_string().contains("'z' is zero-shot"), "{e}");
        let e = parse("[[outcome]]\nid = \"a\"\n[[outcome]]\nid = \"a\"\n").unwrap_err();
        assert!(e.to_string().contains("'a' is defined twice"), "{e}");
        let e = parse("[[outcome]]\nid = \"a\"\nanchors = [\"t\", \"t:2\"]\n").unwrap_err();
        assert!(e.to_string().contains("'t' is named twice"), "{e}");
        let e = parse("[[outcome]]\nid = \"a\"\nprevalence = 1.5\n").unwrap_err();
        assert!(e.to_string().contains("prevalence 1.5"), "{e}");
        let e = parse("[[outcome]]\nid = \"a b\"\n").unwrap_err();
        assert!(e.to_string().contains("outcome id 'a b'"), "{e}");
        let e = parse("[[outcome]]\nid = \"a\"\nweight = 2\n").unwrap_err();
        assert!(e.to_string().starts_with("o.toml: "), "{e}");
        assert!(e.to_string().contains("line 3"), "{e}");
        assert!(matches!(
            parse("# nothing\n"),
            Err(OutcomesError::Empty { .. })
        ));
    }

    #[test]
    fn queries_are_zero_shot_outcomes() {
        let q = parse_query("I10=4080, -4079:0.5").unwrap();
        assert_eq!(q.id, "I10");
        assert!(!q.trained);
        assert_eq!(
            q.anchors,
            vec![("4080".to_string(), 1.0), ("4079".to_string(), -0.5)]
        );
        assert!(matches!(
            parse_query("I10"),
            Err(OutcomesError::Query { .. })
        ));
        assert!(matches!(
            parse_query("=a"),
            Err(OutcomesError::Query { .. })
        ));
        assert!(matches!(
            parse_query("I10="),
            Err(OutcomesError::NoAnchors { .. })
        ));
        let e = parse_query("I10=a:0").unwrap_err().to_string();
        assert!(
            e.contains("--query 'I10=a:0': outcome 'I10': anchor 'a:0'"),
            "{e}"
        );
    }

    #[test]
    fn anchors_must_be_panel_traits() {
        let defs = parse("[[outcome]]\nid = \"a\"\nanchors = [\"t1\", \"-t9\"]\n").unwrap();
        let order: Vec<String> = ["t1", "t2"].iter().map(|s| s.to_string()).collect();
        let e = check_in_panel(&defs, &order, "p").unwrap_err().to_string();
        assert!(
            e.contains("outcome 'a': anchor trait 't9' is not in the panel 'p'"),
            "{e}"
        );
        let ok = parse("[[outcome]]\nid = \"a\"\nanchors = [\"t2\"]\n").unwrap();
        check_in_panel(&ok, &order, "p").unwrap();
    }

    #[test]
    fn a_table_gives_its_binary_non_covariate_columns() {
        let table = PhenoTable::parse(
            Path::new("p.tsv"),
            "IID\tage\tsex\tbmi\tPC1\tsplit\tI25\tldl\tJ45\tempty\n\
             a\t50\t1\t25\t0.1\ttrain\t1\t3.2\t0\tNA\n\
             b\t60\t0\t21\t0.2\ttest\t0\t2.9\tNA\tNA\n",
        )
        .unwrap();
        let ids: Vec<String> = from_table(&table).into_iter().map(|d| d.id).collect();
        assert_eq!(ids, vec!["I25", "J45"]);
    }
}
