//! The phenotype table: one row per participant, keyed by `IID`.
//!
//! ARCHITECTURE.md fixes the layout: a tab-separated file with a header naming `IID`, `age`,
//! `sex`, `bmi`, optional `PC1..PCk`, an optional `split` (discovery/train/validation/test)
//! and one column per outcome or trait. Every column except `IID`, `FID` and `split` is
//! numeric, so that covariates and phenotypes are read the same way.
//!
//! * The ID column may be written `IID` or `#IID` (plink2's header). A `FID`/`#FID` column
//!   is kept out of the numeric columns and otherwise ignored.
//! * Missing values: `NA`, an empty field, `.` or `NaN` (any case).
//! * `sex` is mapped to 0 = female, 1 = male. It accepts `F`/`M`, `female`/`male` (any
//!   case), ARCHITECTURE.md's 0/1 coding (0 = female, 1 = male) and plink's `.fam` coding
//!   (1 = male, 2 = female). The codings agree on 1; a `0` is read as female (the 0/1
//!   coding), not as plink's "unknown" — write `NA` for an unknown sex.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Column names with a fixed meaning.
pub const IID: &str = "IID";
/// Sex column, read as 0 = female, 1 = male (see the module documentation for the codings).
pub const SEX: &str = "sex";
/// Optional text column assigning each participant to `discovery`, `train`, `validation` or
/// `test`; kept apart from the numeric columns.
pub const SPLIT: &str = "split";
const FID: &str = "FID";

/// Everything that can be wrong with a phenotype table.
#[derive(Debug, thiserror::Error)]
pub enum PhenoError {
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] crate::util::PathIoError),
    /// The file has no non-blank line, so no header.
    #[error("{path}: empty file (expected a header line with an IID column)")]
    Empty {
        /// Phenotype file.
        path: PathBuf,
    },
    /// No header field is `IID` or `#IID`.
    #[error("{path}: line 1: no IID column in the header (expected IID or #IID; found {found})")]
    NoIid {
        /// Phenotype file.
        path: PathBuf,
        /// The header fields that were found, joined with `, `.
        found: String,
    },
    /// Two header fields have the same name once a leading `#` is stripped.
    #[error("{path}: line 1: column '{name}' appears twice in the header")]
    DuplicateColumn {
        /// Phenotype file.
        path: PathBuf,
        /// The repeated column name, without its `#`.
        name: String,
    },
    /// A data line has a different number of tab-separated fields from the header.
    #[error("{path}: line {line}: expected {expected} tab-separated fields (as in the header), found {found}")]
    FieldCount {
        /// Phenotype file.
        path: PathBuf,
        /// 1-based line number in the file.
        line: u64,
        /// Number of fields in the header.
        expected: usize,
        /// Number of fields on this line.
        found: usize,
    },
    /// A `sex` value is not one of the accepted codings, or a numeric column holds
    /// something that is neither a finite number nor a missing-value marker.
    #[error("{path}: line {line}: column '{column}': expected {expected}, found '{value}'")]
    BadValue {
        /// Phenotype file.
        path: PathBuf,
        /// 1-based line number in the file.
        line: u64,
        /// Header name of the column.
        column: String,
        /// What the column accepts, for the message.
        expected: &'static str,
        /// The field as written.
        value: String,
    },
    /// A data line's `IID` field is empty.
    #[error("{path}: line {line}: empty IID")]
    EmptyIid {
        /// Phenotype file.
        path: PathBuf,
        /// 1-based line number in the file.
        line: u64,
    },
    /// Two data lines have the same `IID`; rows are keyed by it, so it must be unique.
    #[error("{path}: duplicate IID '{id}' (lines {first} and {second}); IIDs must be unique")]
    DuplicateIid {
        /// Phenotype file.
        path: PathBuf,
        /// The repeated `IID`.
        id: String,
        /// 1-based line of its first occurrence.
        first: u64,
        /// 1-based line of its second occurrence.
        second: u64,
    },
}

/// A phenotype table held in memory, column-major.
#[derive(Clone, Debug)]
pub struct PhenoTable {
    path: PathBuf,
    iids: Vec<String>,
    names: Vec<String>,
    columns: Vec<Vec<Option<f64>>>,
    split: Option<Vec<Option<String>>>,
}

/// Whether a field means "missing".
fn is_missing(s: &str) -> bool {
    s.is_empty() || s == "." || s.eq_ignore_ascii_case("NA") || s.eq_ignore_ascii_case("NaN")
}

/// Sex as 0 = female, 1 = male (see the module documentation for the accepted codings).
fn parse_sex(s: &str) -> Option<f64> {
    match s.to_ascii_lowercase().as_str() {
        "f" | "female" | "0" | "2" => Some(0.0),
        "m" | "male" | "1" => Some(1.0),
        _ => None,
    }
}

impl PhenoTable {
    /// Reads a phenotype table (see the module documentation for the format).
    pub fn read(path: &Path) -> Result<PhenoTable, PhenoError> {
        let text = std::fs::read_to_string(path).map_err(|source| {
            PhenoError::Io(crate::util::PathIoError {
                path: path.to_path_buf(),
                source,
            })
        })?;
        PhenoTable::parse(path, &text)
    }

    /// Parses the text of a table; `path` is only used in messages.
    pub fn parse(path: &Path, text: &str) -> Result<PhenoTable, PhenoError> {
        let p = || path.to_path_buf();
        let mut lines = text.lines().enumerate().map(|(i, l)| (i as u64 + 1, l));
        let header = loop {
            match lines.next() {
                None => return Err(PhenoError::Empty { path: p() }),
                Some((_, l)) if l.trim().is_empty() => continue,
                Some((_, l)) => break l.trim_end_matches('\r'),
            }
        };
        let fields: Vec<&str> = header.split('\t').map(|h| h.trim()).collect();
        let bare = |h: &str| h.trim_start_matches('#').to_string();
        let iid_col =
            fields
                .iter()
                .position(|h| bare(h) == IID)
                .ok_or_else(|| PhenoError::NoIid {
                    path: p(),
                    found: fields.join(", "),
                })?;
        let mut seen: HashMap<String, ()> = HashMap::new();
        for h in &fields {
            if seen.insert(bare(h), ()).is_some() {
                return Err(PhenoError::DuplicateColumn {
                    path: p(),
                    name: bare(h),
                });
            }
        }
        // What each header field becomes.
        enum Kind {
            Iid,
            Ignored,
            Split,
            Sex(usize),
            Numeric(usize),
        }
        let mut names = Vec::new();
        let mut kinds = Vec::with_capacity(fields.len());
        let mut has_split = false;
        for (i, h) in fields.iter().enumerate() {
            let name = bare(h);
            kinds.push(if i == iid_col {
                Kind::Iid
            } else if name == FID {
                Kind::Ignored
            } else if name == SPLIT {
                has_split = true;
                Kind::Split
            } else if name == SEX {
                names.push(name);
                Kind::Sex(names.len() - 1)
            } else {
                names.push(name);
                Kind::Numeric(names.len() - 1)
            });
        }
        let mut iids = Vec::new();
        let mut columns: Vec<Vec<Option<f64>>> = vec![Vec::new(); names.len()];
        let mut split: Vec<Option<String>> = Vec::new();
        let mut first_line: HashMap<String, u64> = HashMap::new();
        for (line, l) in lines {
            let l = l.trim_end_matches('\r');
            if l.trim().is_empty() {
                continue;
            }
            let values: Vec<&str> = l.split('\t').map(|v| v.trim()).collect();
            if values.len() != fields.len() {
                return Err(PhenoError::FieldCount {
                    path: p(),
                    line,
                    expected: fields.len(),
                    found: values.len(),
                });
            }
            for (v, kind) in values.iter().zip(&kinds) {
                match kind {
                    Kind::Iid => {
                        if v.is_empty() {
                            return Err(PhenoError::EmptyIid { path: p(), line });
                        }
                        if let Some(&first) = first_line.get(*v) {
                            return Err(PhenoError::DuplicateIid {
                                path: p(),
                                id: v.to_string(),
                                first,
                                second: line,
                            });
                        }
                        first_line.insert(v.to_string(), line);
                        iids.push(v.to_string());
                    }
                    Kind::Ignored => {}
                    Kind::Split => split.push((!is_missing(v)).then(|| v.to_string())),
                    Kind::Sex(c) => {
                        let x = if is_missing(v) {
                            None
                        } else {
                            Some(parse_sex(v).ok_or_else(|| PhenoError::BadValue {
                                path: p(),
                                line,
                                column: names[*c].clone(),
                                expected:
                                    "F, M, female, male, 0 (female), 1 (male), 2 (female) or NA",
                                value: v.to_string(),
                            })?)
                        };
                        columns[*c].push(x);
                    }
                    Kind::Numeric(c) => {
                        let x = if is_missing(v) {
                            None
                        } else {
                            match v.parse::<f64>() {
                                Ok(x) if x.is_finite() => Some(x),
                                _ => {
                                    return Err(PhenoError::BadValue {
                                        path: p(),
                                        line,
                                        column: names[*c].clone(),
                                        expected: "a number or NA",
                                        value: v.to_string(),
                                    })
                                }
                            }
                        };
                        columns[*c].push(x);
                    }
                }
            }
        }
        Ok(PhenoTable {
            path: path.to_path_buf(),
            iids,
            names,
            columns,
            split: has_split.then_some(split),
        })
    }

    /// The file the table was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Participant IDs in file order.
    pub fn iids(&self) -> &[String] {
        &self.iids
    }

    /// Row of each `IID`, for looking samples up by id.
    pub fn row_index(&self) -> HashMap<&str, usize> {
        self.iids()
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i))
            .collect()
    }

    /// Names of the numeric columns (every column but `IID`, `FID` and `split`), in file
    /// order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// One numeric column, row-aligned with [`iids`](PhenoTable::iids); `None` entries are
    /// missing. `sex` is coded 0 = female, 1 = male.
    pub fn column(&self, name: &str) -> Option<&[Option<f64>]> {
        let i = self.names.iter().position(|n| n == name)?;
        Some(&self.columns[i])
    }

    /// The `split` column, when the table has one.
    pub fn split(&self) -> Option<&[Option<String>]> {
        self.split.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PhenoTable, PhenoError> {
        PhenoTable::parse(Path::new("pheno.tsv"), text)
    }

    #[test]
    fn reads_columns_sex_and_missing() {
        let t = parse(
            "IID\tage\tsex\tbmi\tPC1\tsplit\tcad\n\
             a\t50\tF\t22.5\t-0.1\ttrain\t0\n\
             b\t61.5\tm\tNA\t0.2\ttest\t1\n\
             c\t40\t2\t\t1e-3\tNA\tNA\n\
             d\t33\t1\t30\t0\t.\t0\n",
        )
        .unwrap();
        assert_eq!(t.iids(), ["a", "b", "c", "d"]);
        assert_eq!(t.names(), ["age", "sex", "bmi", "PC1", "cad"]);
        assert_eq!(
            t.column("sex").unwrap(),
            [Some(0.0), Some(1.0), Some(0.0), Some(1.0)]
        );
        assert_eq!(
            t.column("bmi").unwrap(),
            [Some(22.5), None, None, Some(30.0)]
        );
        assert_eq!(t.column("PC1").unwrap()[2], Some(1e-3));
        assert_eq!(
            t.column("cad").unwrap(),
            [Some(0.0), Some(1.0), None, Some(0.0)]
        );
        assert_eq!(
            t.split().unwrap(),
            [Some("train".into()), Some("test".into()), None, None]
        );
        assert!(t.column("split").is_none());
        assert!(t.column("IID").is_none());
    }

    #[test]
    fn plink_style_header_and_fid_are_accepted() {
        let t = parse("#FID\tIID\ty\nf1\ta\t1.5\nf2\tb\tna\n").unwrap();
        assert_eq!(t.iids(), ["a", "b"]);
        assert_eq!(t.names(), ["y"]);
        assert_eq!(t.column("y").unwrap(), [Some(1.5), None]);
        let t = parse("#IID\ty\r\na\t2\r\n").unwrap();
        assert_eq!(t.column("y").unwrap(), [Some(2.0)]);
        assert!(t.split().is_none());
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let e = parse("IID\tage\na\tfifty\n").unwrap_err().to_string();
        assert!(e.contains("pheno.tsv: line 2: column 'age'"), "{e}");
        assert!(e.contains("expected a number or NA, found 'fifty'"), "{e}");
        let e = parse("IID\tsex\na\tX\n").unwrap_err().to_string();
        assert!(e.contains("line 2: column 'sex'"), "{e}");
        let e = parse("IID\tage\na\t1\t2\n").unwrap_err().to_string();
        assert!(e.contains("line 2: expected 2 tab-separated fields"), "{e}");
        let e = parse("ID\tage\n").unwrap_err().to_string();
        assert!(e.contains("no IID column"), "{e}");
        let e = parse("").unwrap_err().to_string();
        assert!(e.contains("empty file"), "{e}");
        let e = parse("IID\tage\tage\n").unwrap_err().to_string();
        assert!(e.contains("'age' appears twice"), "{e}");
        let e = parse("IID\tage\na\t1\n\t2\n").unwrap_err().to_string();
        assert!(e.contains("line 3: empty IID"), "{e}");
        let e = parse("IID\tage\nx\tinf\n").unwrap_err().to_string();
        assert!(e.contains("found 'inf'"), "{e}");
    }

    #[test]
    fn duplicate_iids_are_refused() {
        let e = parse("IID\ty\na\t1\nb\t2\na\t3\n").unwrap_err().to_string();
        assert!(e.contains("duplicate IID 'a' (lines 2 and 4)"), "{e}");
    }

    #[test]
    fn missing_file_is_an_io_error_naming_it() {
        let e = PhenoTable::read(Path::new("/nonexistent/p.tsv")).unwrap_err();
        assert!(matches!(e, PhenoError::Io(..)));
        assert!(e.to_string().starts_with("/nonexistent/p.tsv"));
    }
}
