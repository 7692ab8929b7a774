//! Scoring files: PGS Catalog (author-reported and harmonised), minimal custom files and
//! plink-style multi-score tables.
//!
//! Accepted layouts, recognised from the column header:
//!
//! * **PGS Catalog format 2.0** (<https://www.pgscatalog.org/downloads/#scoring_columns>):
//!   `#key=value` metadata lines, then a tab-separated table with `effect_allele` and
//!   `effect_weight` and variant identifiers (`rsID`, or `chr_name` + `chr_position`).
//!   A file counts as [`ScoringFileKind::PgsCatalog`] when it carries the catalog banner or
//!   a `#format_version` line, and as [`ScoringFileKind::Custom`] otherwise (the PGS
//!   Catalog Calculator's "custom scoring file": the minimum columns plus optional
//!   `#pgs_id`, `#pgs_name`, `#genome_build`).
//! * **Harmonised PGS Catalog files** (`hm_chr`, `hm_pos` columns): positions come from
//!   `hm_chr`/`hm_pos`, in the build named by `#HmPOS_build`. Rows the harmonisation
//!   could not place are skipped ([`SkipReason::NoPosition`]), and a file where it placed
//!   none is refused.
//! * **plink-style tables** (`ID effect_allele w1 [w2 ...]`, as plink2 `--score` reads with
//!   `cols=` settings): one score per remaining column, named by its header. IDs shaped
//!   `CHR:POS` or `CHR:POS:REF:ALT` also give the position (and the other allele).
//!
//! Rows a linear additive score cannot use are never silently dropped: they are listed in
//! [`ScoringFile::skipped`] with a reason, as the PGS Catalog Calculator reports them
//! (HLA/haplotype alleles, dosage-specific weights, interaction terms). Dominant and
//! recessive rows are kept with their [`EffectType`].
//!
//! Files are streamed line by line (gzip detected by its magic bytes), so multi-million
//! row files parse in seconds and never in full in memory as text.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use crate::genome::{Chrom, Position};

/// How a variant's effect allele count becomes the dosage that multiplies its weight
/// (PGS Catalog `is_dominant` / `is_recessive`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum EffectType {
    /// Weight times the number of effect alleles.
    #[default]
    Additive,
    /// Weight once if at least one effect allele is present.
    Dominant,
    /// Weight once if the genotype is homozygous for the effect allele.
    Recessive,
}

/// One score of a scoring file: its output name and the file's metadata.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScoreMeta {
    /// Score column name used in outputs: `pgs_id`, else `pgs_name`, else the file stem;
    /// for plink-style files the column header, as plink2 `header-read` names it.
    pub name: String,
    /// `#pgs_id` header value (e.g. `PGS000001`), if present and non-empty.
    pub pgs_id: Option<String>,
    /// `#pgs_name` header value, if present and non-empty.
    pub pgs_name: Option<String>,
    /// `#trait_reported` header value: the trait as the authors named it.
    pub trait_reported: Option<String>,
    /// `#trait_mapped` header value: the trait's EFO ontology label(s).
    pub trait_mapped: Option<String>,
    /// `#trait_efo` header value: the EFO term ID(s), e.g. `EFO_0001645`.
    pub trait_efo: Option<String>,
    /// The build of the coordinates in [`ScoreRow`]: `HmPOS_build` when harmonised
    /// columns are used, else `genome_build`. `None` when not reported (`NR`).
    pub genome_build: Option<String>,
    /// The build the authors reported (`#genome_build`), `None` when not reported (`NR`).
    pub original_build: Option<String>,
    /// `#weight_type` header value (`beta`, `OR`, `HR`, `NR`, ...), as written; weights are
    /// used as given whatever it says.
    pub weight_type: Option<String>,
    /// `#format_version` header value (`2.0` for current PGS Catalog files).
    pub format_version: Option<String>,
    /// `#variants_number` header value, the variant count the file declares (not checked
    /// against the rows).
    pub variants_number: Option<u64>,
    /// Every `#key=value` line, in file order, values trimmed.
    pub header: Vec<(String, String)>,
}

/// One scorable variant row.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreRow {
    /// 1-based line number in the file.
    pub line: u64,
    /// rsID / variant ID (`hm_rsID` first in harmonised files); `None` for `.` or empty.
    pub id: Option<String>,
    /// Chromosome, from `hm_chr` in harmonised files, else `chr_name`, else a `CHR:POS[...]`
    /// variant ID in plink-style files; `None` when the row has none.
    pub chrom: Option<Chrom>,
    /// 1-based position, from the same source as `chrom` (`hm_pos`, `chr_position` or the
    /// ID); `None` when the row has none and must be matched by `id`.
    pub pos: Option<Position>,
    /// Uppercased; `[ACGTN]+` or `-`.
    pub effect_allele: String,
    /// Uppercased; `None` when absent or not a single plain allele.
    pub other_allele: Option<String>,
    /// Additive, dominant or recessive, from `is_dominant` / `is_recessive`.
    pub effect_type: EffectType,
    /// One weight per score in [`ScoringFile::scores`], all finite.
    pub weights: Vec<f64>,
}

impl ScoreRow {
    /// Chromosome and position when the row has both.
    pub fn locus(&self) -> Option<(&Chrom, Position)> {
        Some((self.chrom.as_ref()?, self.pos?))
    }
}

/// Why a row was left out of the score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipReason {
    /// HLA alleles, haplotype/diplotype rows, or an effect allele that is not
    /// `[ACGTN]+` or `-`.
    ComplexAllele,
    /// Genotype-specific weights (`dosage_0_weight`, `dosage_1_weight`, `dosage_2_weight`).
    DosageWeights,
    /// `is_interaction` rows: the weight applies to a product of variants.
    Interaction,
    /// No position to match on: an empty `hm_chr`/`hm_pos` in a harmonised file, or
    /// neither a variant ID nor a position in any other file.
    NoPosition,
}

impl SkipReason {
    /// Short reason for reports: `complex allele`, `dosage-specific weights`,
    /// `interaction term` or `no position`.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::ComplexAllele => "complex allele",
            SkipReason::DosageWeights => "dosage-specific weights",
            SkipReason::Interaction => "interaction term",
            SkipReason::NoPosition => "no position",
        }
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A row left out of the score, kept for the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedRow {
    /// 1-based line number in the file.
    pub line: u64,
    /// Why the row was left out.
    pub reason: SkipReason,
    /// What in the row caused it, e.g. `is_diplotype=TRUE, effect_allele 'HLA-DR3/HLA-DR4'`.
    pub detail: String,
}

/// Which layout a file was read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScoringFileKind {
    /// PGS Catalog scoring file format 2.0, author-reported coordinates (`chr_name`,
    /// `chr_position`): has the catalog banner or a `#format_version` line.
    PgsCatalog,
    /// Harmonised PGS Catalog file: positions from the `hm_chr`/`hm_pos` columns, in the
    /// `#HmPOS_build` build.
    PgsCatalogHarmonised,
    /// The Calculator's "custom scoring file": PGS Catalog columns without the catalog banner
    /// or `#format_version`.
    Custom,
    /// plink2 `--score`-style table: a variant ID, an allele, and one weight column per score.
    PlinkStyle,
}

/// A parsed scoring file.
#[derive(Clone, Debug)]
pub struct ScoringFile {
    /// The file as given.
    pub path: PathBuf,
    /// The layout the header was recognised as.
    pub kind: ScoringFileKind,
    /// The file's scores: one for PGS Catalog and custom files, one per weight column for
    /// plink-style tables.
    pub scores: Vec<ScoreMeta>,
    /// Rows kept for scoring, in file order; each carries one weight per entry of `scores`.
    pub rows: Vec<ScoreRow>,
    /// Rows left out, with the reason, in file order.
    pub skipped: Vec<SkippedRow>,
}

impl ScoringFile {
    /// Number of skipped rows with the given reason.
    pub fn skipped_count(&self, reason: SkipReason) -> usize {
        self.skipped.iter().filter(|s| s.reason == reason).count()
    }
}

/// Everything that can make a scoring file unusable.
#[derive(Debug, thiserror::Error)]
pub enum ScoreFileError {
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] crate::util::PathIoError),
    /// The column header lacks a required column (`effect_allele`, a weight column, ...).
    #[error("{path}: line {line}: missing column(s) {} (found: {})", .missing.join(", "), .found.join(", "))]
    MissingColumns {
        /// Scoring file.
        path: PathBuf,
        /// 1-based line of the column header.
        line: u64,
        /// The required columns that are absent.
        missing: Vec<String>,
        /// Every column the header does have, as written.
        found: Vec<String>,
    },
    /// A field does not parse as its column requires (a weight that is not a finite
    /// number, a position below 1, a flag that is not True/False, an empty effect allele).
    #[error("{path}: line {line}: column {column}: invalid value '{value}' (expected {expected})")]
    BadValue {
        /// Scoring file.
        path: PathBuf,
        /// 1-based line of the row.
        line: u64,
        /// Header name of the column.
        column: String,
        /// The field as written.
        value: String,
        /// What the column accepts, for the message.
        expected: String,
    },
    /// A column name occurs twice in the header.
    #[error("{path}: line {line}: column '{column}' appears more than once in the header")]
    DuplicateColumn {
        /// Scoring file.
        path: PathBuf,
        /// 1-based line of the column header.
        line: u64,
        /// The repeated column name.
        column: String,
    },
    /// A row has non-empty fields beyond the header's last column.
    #[error("{path}: line {line}: {found} fields, but the header has {expected} columns")]
    FieldCount {
        /// Scoring file.
        path: PathBuf,
        /// 1-based line of the row.
        line: u64,
        /// Number of columns in the header.
        expected: usize,
        /// Number of fields on the row.
        found: usize,
    },
    /// The file ends before a column header: it is empty or holds only `#` lines.
    #[error("{path}: no column header (the file is empty or holds only # lines)")]
    NoHeader {
        /// Scoring file.
        path: PathBuf,
    },
    /// The column header is followed by no data row.
    #[error("{path}: no data rows after the column header")]
    NoDataRows {
        /// Scoring file.
        path: PathBuf,
    },
    /// Variants cannot be located: the header has neither `chr_name`+`chr_position`,
    /// `hm_chr`+`hm_pos` nor an ID column, or every row lacks both an ID and a position.
    #[error("{path}: no usable variant identifiers: expected chr_name+chr_position, hm_chr+hm_pos, or rsID ({detail})")]
    NoVariantIdentifiers {
        /// Scoring file.
        path: PathBuf,
        /// The columns found, or how many rows lacked an identifier.
        detail: String,
    },
    /// A harmonised file in which every row has an empty `hm_chr`/`hm_pos`: the
    /// harmonisation could not place any variant in the target build.
    #[error("{path}: the harmonisation gave no positions: all {rows} rows have an empty hm_chr/hm_pos (HmPOS_build {build}); use the author-reported file or another build")]
    NoHarmonisedPositions {
        /// Scoring file.
        path: PathBuf,
        /// Number of rows, all without a harmonised position.
        rows: usize,
        /// The file's `#HmPOS_build`, or `not given`.
        build: String,
    },
    /// Every data row was skipped (see [`SkipReason`]), leaving nothing to score.
    #[error("{path}: no scorable rows: all {skipped} rows were skipped ({summary})")]
    NoScorableRows {
        /// Scoring file.
        path: PathBuf,
        /// Number of skipped rows.
        skipped: usize,
        /// Counts per skip reason, e.g. `2 complex allele, 1 interaction term`.
        summary: String,
    },
    /// Two scoring files read together give the same score name; names
    /// become output columns, so they must be unique ([`read_many`]).
    #[error(
        "score name '{name}' is used by both {first} and {second}; score names must be unique"
    )]
    DuplicateScoreName {
        /// The shared score name.
        name: String,
        /// File where the name first appeared.
        first: PathBuf,
        /// File where it appeared again.
        second: PathBuf,
    },
}

/// Reads one scoring file, plain or gzip/bgzip-compressed (recognised by its magic
/// bytes, not its name).
pub fn read(path: &Path) -> Result<ScoringFile, ScoreFileError> {
    let reader = crate::util::open_text(path)?;
    Parser::new(path).parse(reader)
}

/// Reads several scoring files and checks that their score names are unique, since the
/// names become output columns.
pub fn read_many(paths: &[PathBuf]) -> Result<Vec<ScoringFile>, ScoreFileError> {
    let files = paths
        .iter()
        .map(|p| read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let mut seen: HashMap<&str, &Path> = HashMap::new();
    for file in &files {
        for score in &file.scores {
            if let Some(first) = seen.insert(&score.name, &file.path) {
                return Err(ScoreFileError::DuplicateScoreName {
                    name: score.name.clone(),
                    first: first.to_path_buf(),
                    second: file.path.clone(),
                });
            }
        }
    }
    Ok(files)
}

/// Some spreadsheet exports start the file with a byte-order mark.
const UTF8_BOM: char = '\u{feff}';

/// Column names of plink-style files, lowercase.
const PLINK_ID_COLUMNS: [&str; 4] = ["id", "snp", "rsid", "variant_id"];
const PLINK_ALLELE_COLUMNS: [&str; 3] = ["effect_allele", "a1", "allele"];
const PLINK_OTHER_ALLELE_COLUMNS: [&str; 3] = ["other_allele", "a2", "ref"];
const PLINK_CHROM_COLUMNS: [&str; 4] = ["chr_name", "chr", "chrom", "#chrom"];
const PLINK_POS_COLUMNS: [&str; 5] = ["chr_position", "pos", "bp", "position", "base_pair"];

/// How a line is split into fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Separator {
    Tab,
    Whitespace,
}

/// Where each column the parser needs sits in a row.
#[derive(Debug)]
struct Layout {
    id: Option<usize>,
    hm_id: Option<usize>,
    chrom: Option<usize>,
    pos: Option<usize>,
    effect_allele: usize,
    other_allele: Option<usize>,
    infer_other_allele: Option<usize>,
    weights: Vec<usize>,
    is_haplotype: Option<usize>,
    is_diplotype: Option<usize>,
    is_interaction: Option<usize>,
    is_dominant: Option<usize>,
    is_recessive: Option<usize>,
    dosage_weights: Vec<usize>,
    harmonised: bool,
    plink: bool,
    n_columns: usize,
    separator: Separator,
}

struct Parser<'p> {
    path: &'p Path,
    header: Vec<(String, String)>,
    catalog_banner: bool,
    /// Field spans of the current line, reused across lines.
    spans: Vec<(usize, usize)>,
    last_chrom: Option<(String, Chrom)>,
}

impl<'p> Parser<'p> {
    fn new(path: &'p Path) -> Parser<'p> {
        Parser {
            path,
            header: Vec::new(),
            catalog_banner: false,
            spans: Vec::new(),
            last_chrom: None,
        }
    }

    fn io(&self, source: std::io::Error) -> ScoreFileError {
        ScoreFileError::Io(crate::util::PathIoError {
            path: self.path.to_path_buf(),
            source,
        })
    }

    fn parse(mut self, mut reader: Box<dyn BufRead>) -> Result<ScoringFile, ScoreFileError> {
        let mut buf = Vec::new();
        let mut line_no = 0u64;

        // Metadata lines, then the column header.
        let (columns, separator, header_line) = loop {
            buf.clear();
            if reader.read_until(b'\n', &mut buf).map_err(|e| self.io(e))? == 0 {
                return Err(ScoreFileError::NoHeader {
                    path: self.path.to_path_buf(),
                });
            }
            line_no += 1;
            let text = String::from_utf8_lossy(&buf);
            let text = strip_eol(&text);
            let text = if line_no == 1 {
                text.trim_start_matches(UTF8_BOM)
            } else {
                text
            };
            if text.trim().is_empty() {
                continue;
            }
            if let Some(meta) = text.strip_prefix('#') {
                self.header_line(meta);
                continue;
            }
            let separator = if text.contains('\t') {
                Separator::Tab
            } else {
                Separator::Whitespace
            };
            fill_spans(text, separator, &mut self.spans);
            let columns: Vec<String> = self
                .spans
                .iter()
                .map(|&(s, e)| text[s..e].trim().to_string())
                .collect();
            break (columns, separator, line_no);
        };
        let layout = self.layout(&columns, separator, header_line)?;
        let scores = self.score_meta(&columns, &layout);

        let mut rows = Vec::new();
        let mut skipped = Vec::new();
        let mut data_rows = 0usize;
        let mut weights = Vec::with_capacity(layout.weights.len());
        loop {
            buf.clear();
            if reader.read_until(b'\n', &mut buf).map_err(|e| self.io(e))? == 0 {
                break;
            }
            line_no += 1;
            let text = match std::str::from_utf8(&buf) {
                Ok(t) => std::borrow::Cow::Borrowed(t),
                Err(_) => String::from_utf8_lossy(&buf),
            };
            let text = strip_eol(&text);
            if text.trim_ascii().is_empty() || text.starts_with('#') {
                continue;
            }
            data_rows += 1;
            match self.row(text, line_no, &layout, &columns, &mut weights)? {
                Ok(row) => rows.push(row),
                Err(skip) => skipped.push(skip),
            }
        }

        if data_rows == 0 {
            return Err(ScoreFileError::NoDataRows {
                path: self.path.to_path_buf(),
            });
        }
        if rows.is_empty() {
            let no_position = skipped
                .iter()
                .filter(|s| s.reason == SkipReason::NoPosition)
                .count();
            if layout.harmonised && no_position > 0 && no_position == skipped.len() {
                return Err(ScoreFileError::NoHarmonisedPositions {
                    path: self.path.to_path_buf(),
                    rows: no_position,
                    build: header_value(&self.header, "HmPOS_build")
                        .unwrap_or("not given")
                        .to_string(),
                });
            }
            if no_position == skipped.len() {
                return Err(ScoreFileError::NoVariantIdentifiers {
                    path: self.path.to_path_buf(),
                    detail: format!(
                        "all {no_position} rows have an empty or '.' ID and no position"
                    ),
                });
            }
            return Err(ScoreFileError::NoScorableRows {
                path: self.path.to_path_buf(),
                skipped: skipped.len(),
                summary: skip_summary(&skipped),
            });
        }

        let kind = if layout.plink {
            ScoringFileKind::PlinkStyle
        } else if layout.harmonised {
            ScoringFileKind::PgsCatalogHarmonised
        } else if self.catalog_banner || header_value(&self.header, "format_version").is_some() {
            ScoringFileKind::PgsCatalog
        } else {
            ScoringFileKind::Custom
        };
        Ok(ScoringFile {
            path: self.path.to_path_buf(),
            kind,
            scores,
            rows,
            skipped,
        })
    }

    /// Records a `#key=value` line (the text after `#`). Section titles (`##...`) and the
    /// catalog banner (`###PGS CATALOG SCORING FILE`) carry no value.
    fn header_line(&mut self, meta: &str) {
        if meta.starts_with("##PGS CATALOG") {
            self.catalog_banner = true;
        }
        if meta.starts_with('#') {
            return;
        }
        if let Some((key, value)) = meta.split_once('=') {
            self.header
                .push((key.trim().to_string(), value.trim().to_string()));
        }
    }

    fn layout(
        &self,
        columns: &[String],
        separator: Separator,
        line: u64,
    ) -> Result<Layout, ScoreFileError> {
        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, c) in columns.iter().enumerate() {
            if index.insert(c.to_ascii_lowercase(), i).is_some() {
                return Err(ScoreFileError::DuplicateColumn {
                    path: self.path.to_path_buf(),
                    line,
                    column: c.clone(),
                });
            }
        }
        let col = |name: &str| index.get(name).copied();
        let missing = |missing: Vec<&str>| ScoreFileError::MissingColumns {
            path: self.path.to_path_buf(),
            line,
            missing: missing.into_iter().map(String::from).collect(),
            found: columns.to_vec(),
        };
        let lower = |i: usize| columns.get(i).map(|c| c.to_ascii_lowercase());
        let mut layout = Layout {
            id: None,
            hm_id: None,
            chrom: None,
            pos: None,
            effect_allele: 0,
            other_allele: None,
            infer_other_allele: None,
            weights: Vec::new(),
            is_haplotype: None,
            is_diplotype: None,
            is_interaction: None,
            is_dominant: None,
            is_recessive: None,
            dosage_weights: Vec::new(),
            harmonised: false,
            plink: false,
            n_columns: columns.len(),
            separator,
        };

        let dosage_weights: Vec<usize> = ["dosage_0_weight", "dosage_1_weight", "dosage_2_weight"]
            .iter()
            .filter_map(|c| col(c))
            .collect();
        let weight = col("effect_weight");
        let looks_plink = lower(0).is_some_and(|c| PLINK_ID_COLUMNS.contains(&c.as_str()))
            && lower(1).is_some_and(|c| PLINK_ALLELE_COLUMNS.contains(&c.as_str()));

        if weight.is_none() && dosage_weights.is_empty() && looks_plink {
            layout.plink = true;
            layout.id = Some(0);
            layout.effect_allele = 1;
            for (i, c) in columns.iter().enumerate().skip(2) {
                let c = c.to_ascii_lowercase();
                let c = c.as_str();
                if PLINK_OTHER_ALLELE_COLUMNS.contains(&c) && layout.other_allele.is_none() {
                    layout.other_allele = Some(i);
                } else if PLINK_CHROM_COLUMNS.contains(&c) && layout.chrom.is_none() {
                    layout.chrom = Some(i);
                } else if PLINK_POS_COLUMNS.contains(&c) && layout.pos.is_none() {
                    layout.pos = Some(i);
                } else {
                    layout.weights.push(i);
                }
            }
            if layout.weights.is_empty() {
                return Err(missing(vec![
                    "a score weight column after ID and effect_allele",
                ]));
            }
            return Ok(layout);
        }

        let mut absent = Vec::new();
        match col("effect_allele") {
            Some(i) => layout.effect_allele = i,
            None => absent.push("effect_allele"),
        }
        match weight {
            Some(i) => layout.weights.push(i),
            None if dosage_weights.is_empty() => absent.push("effect_weight"),
            None => {}
        }
        let (hm_chr, hm_pos) = (col("hm_chr"), col("hm_pos"));
        layout.harmonised = hm_chr.is_some() || hm_pos.is_some();
        if layout.harmonised {
            if hm_chr.is_none() {
                absent.push("hm_chr");
            }
            if hm_pos.is_none() {
                absent.push("hm_pos");
            }
        }
        if !absent.is_empty() {
            return Err(missing(absent));
        }
        layout.id = col("rsid");
        if layout.harmonised {
            layout.chrom = hm_chr;
            layout.pos = hm_pos;
            layout.hm_id = col("hm_rsid");
            layout.infer_other_allele = col("hm_inferotherallele");
        } else {
            layout.chrom = col("chr_name");
            layout.pos = col("chr_position");
        }
        if layout.id.is_none() && layout.hm_id.is_none() && layout.pos.is_none() {
            return Err(ScoreFileError::NoVariantIdentifiers {
                path: self.path.to_path_buf(),
                detail: format!("found columns: {}", columns.join(", ")),
            });
        }
        layout.other_allele = col("other_allele");
        layout.is_haplotype = col("is_haplotype");
        layout.is_diplotype = col("is_diplotype");
        layout.is_interaction = col("is_interaction");
        layout.is_dominant = col("is_dominant");
        layout.is_recessive = col("is_recessive");
        layout.dosage_weights = dosage_weights;
        Ok(layout)
    }

    fn score_meta(&self, columns: &[String], layout: &Layout) -> Vec<ScoreMeta> {
        let get = |key: &str| {
            header_value(&self.header, key)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let reported = |key: &str| get(key).filter(|v| !v.eq_ignore_ascii_case("NR"));
        let original_build = reported("genome_build");
        let genome_build = if layout.harmonised {
            reported("HmPOS_build")
        } else {
            original_build.clone()
        };
        let file_meta = ScoreMeta {
            name: String::new(),
            pgs_id: get("pgs_id"),
            pgs_name: get("pgs_name"),
            trait_reported: get("trait_reported"),
            trait_mapped: get("trait_mapped"),
            trait_efo: get("trait_efo"),
            genome_build,
            original_build,
            weight_type: get("weight_type"),
            format_version: get("format_version"),
            variants_number: get("variants_number").and_then(|v| v.parse().ok()),
            header: self.header.clone(),
        };
        let default_name = file_meta
            .pgs_id
            .clone()
            .or_else(|| file_meta.pgs_name.clone())
            .unwrap_or_else(|| file_stem(self.path));
        if layout.plink {
            // plink-style files name their scores in the header, as plink2 `header-read`
            // does; with several columns the file-level identity fits none of them.
            layout
                .weights
                .iter()
                .map(|&i| ScoreMeta {
                    name: columns[i].clone(),
                    pgs_id: None,
                    pgs_name: None,
                    trait_reported: None,
                    trait_mapped: None,
                    trait_efo: None,
                    variants_number: None,
                    ..file_meta.clone()
                })
                .collect()
        } else {
            vec![ScoreMeta {
                name: default_name,
                ..file_meta
            }]
        }
    }

    /// Parses one data row: `Ok(Ok(row))` to score, `Ok(Err(skip))` to report, `Err` when
    /// the file is unusable.
    fn row(
        &mut self,
        text: &str,
        line: u64,
        layout: &Layout,
        columns: &[String],
        weights: &mut Vec<f64>,
    ) -> Result<Result<ScoreRow, SkippedRow>, ScoreFileError> {
        let path = self.path;
        fill_spans(text, layout.separator, &mut self.spans);
        if self.spans.len() > layout.n_columns {
            let extra_text = self.spans[layout.n_columns..]
                .iter()
                .any(|&(s, e)| !text[s..e].trim_ascii().is_empty());
            if extra_text {
                return Err(ScoreFileError::FieldCount {
                    path: self.path.to_path_buf(),
                    line,
                    expected: layout.n_columns,
                    found: self.spans.len(),
                });
            }
        }
        let spans = &self.spans;
        let field = |i: usize| -> &str {
            spans
                .get(i)
                .map(|&(s, e)| text[s..e].trim_ascii())
                .unwrap_or("")
        };
        let opt_field = |i: Option<usize>| i.map(field).unwrap_or("");
        let flag = |i: Option<usize>| -> Result<bool, ScoreFileError> {
            let Some(i) = i else { return Ok(false) };
            parse_bool(field(i))
                .ok_or_else(|| bad_value(path, line, &columns[i], field(i), "True or False"))
        };
        let skip = |reason, detail: String| {
            Ok(Err(SkippedRow {
                line,
                reason,
                detail,
            }))
        };

        let raw_effect = field(layout.effect_allele);
        for (i, name) in [
            (layout.is_haplotype, "is_haplotype"),
            (layout.is_diplotype, "is_diplotype"),
        ] {
            if flag(i)? {
                return skip(
                    SkipReason::ComplexAllele,
                    format!("{name}=TRUE, effect_allele '{raw_effect}'"),
                );
            }
        }
        if flag(layout.is_interaction)? {
            return skip(
                SkipReason::Interaction,
                format!("is_interaction=TRUE, effect_allele '{raw_effect}'"),
            );
        }
        let dosage: Vec<String> = layout
            .dosage_weights
            .iter()
            .filter(|&&i| !field(i).is_empty())
            .map(|&i| format!("{}={}", columns[i], field(i)))
            .collect();
        if !dosage.is_empty() {
            return skip(SkipReason::DosageWeights, dosage.join(", "));
        }
        if raw_effect.is_empty() {
            return Err(bad_value(
                path,
                line,
                &columns[layout.effect_allele],
                raw_effect,
                "an allele",
            ));
        }
        let effect_allele = raw_effect.to_ascii_uppercase();
        if !is_plain_allele(&effect_allele) {
            return skip(
                SkipReason::ComplexAllele,
                format!("effect_allele '{raw_effect}' is not [ACGTN]+ or '-'"),
            );
        }

        let id = layout
            .hm_id
            .map(field)
            .filter(|v| is_present(v))
            .or_else(|| layout.id.map(field).filter(|v| is_present(v)))
            .map(str::to_string);
        let chrom_text = opt_field(layout.chrom);
        let pos_text = opt_field(layout.pos);
        if layout.harmonised && (chrom_text.is_empty() || pos_text.is_empty()) {
            return skip(
                SkipReason::NoPosition,
                format!(
                    "empty hm_chr/hm_pos (hm_chr '{chrom_text}', hm_pos '{pos_text}', rsID '{}')",
                    opt_field(layout.id)
                ),
            );
        }
        let mut chrom = if is_present(chrom_text) {
            Some(cached_chrom(&mut self.last_chrom, chrom_text))
        } else {
            None
        };
        let mut pos = if is_present(pos_text) {
            match pos_text.parse::<Position>() {
                Ok(p) if p > 0 => Some(p),
                _ => {
                    let column = &columns[layout.pos.expect("pos text came from a column")];
                    return Err(bad_value(
                        path,
                        line,
                        column,
                        pos_text,
                        "a 1-based position",
                    ));
                }
            }
        } else {
            None
        };

        let mut other_allele = single_allele(opt_field(layout.other_allele))
            .or_else(|| single_allele(opt_field(layout.infer_other_allele)));
        if layout.plink {
            if let Some(parsed) = id.as_deref().and_then(parse_positional_id) {
                if chrom.is_none() && pos.is_none() {
                    chrom = Some(cached_chrom(&mut self.last_chrom, parsed.chrom));
                    pos = Some(parsed.pos);
                }
                if other_allele.is_none() {
                    if let Some((a, b)) = parsed.alleles {
                        if a.eq_ignore_ascii_case(&effect_allele) {
                            other_allele = single_allele(b);
                        } else if b.eq_ignore_ascii_case(&effect_allele) {
                            other_allele = single_allele(a);
                        }
                    }
                }
            }
        }
        if id.is_none() && (chrom.is_none() || pos.is_none()) {
            return skip(
                SkipReason::NoPosition,
                "no variant ID and no chromosome/position".to_string(),
            );
        }

        let dominant = flag(layout.is_dominant)?;
        let recessive = flag(layout.is_recessive)?;
        let effect_type = match (dominant, recessive) {
            (false, false) => EffectType::Additive,
            (true, false) => EffectType::Dominant,
            (false, true) => EffectType::Recessive,
            (true, true) => {
                return Err(bad_value(
                    path,
                    line,
                    "is_dominant/is_recessive",
                    "True/True",
                    "at most one of them True",
                ))
            }
        };

        weights.clear();
        for &i in &layout.weights {
            let value = field(i);
            match value.parse::<f64>() {
                Ok(w) if w.is_finite() => weights.push(w),
                _ => return Err(bad_value(path, line, &columns[i], value, "a finite number")),
            }
        }
        if layout.weights.is_empty() {
            // Only dosage columns in the header and none filled in this row.
            return Err(bad_value(
                path,
                line,
                "dosage_0_weight/dosage_1_weight/dosage_2_weight",
                "",
                "a weight",
            ));
        }

        Ok(Ok(ScoreRow {
            line,
            id,
            chrom,
            pos,
            effect_allele,
            other_allele,
            effect_type,
            weights: weights.clone(),
        }))
    }
}

fn bad_value(path: &Path, line: u64, column: &str, value: &str, expected: &str) -> ScoreFileError {
    ScoreFileError::BadValue {
        path: path.to_path_buf(),
        line,
        column: column.to_string(),
        value: value.to_string(),
        expected: expected.to_string(),
    }
}

/// Parses a chromosome, reusing the previous parse: files are sorted by chromosome.
fn cached_chrom(cache: &mut Option<(String, Chrom)>, text: &str) -> Chrom {
    if let Some((last_text, last)) = cache {
        if last_text == text {
            return last.clone();
        }
    }
    let chrom = Chrom::parse(text);
    *cache = Some((text.to_string(), chrom.clone()));
    chrom
}

/// Splits a line into field byte ranges: at every tab for tab-separated files (empty
/// fields kept), at runs of whitespace otherwise.
fn fill_spans(text: &str, separator: Separator, spans: &mut Vec<(usize, usize)>) {
    spans.clear();
    let bytes = text.as_bytes();
    match separator {
        Separator::Tab => {
            let mut start = 0;
            for (i, &b) in bytes.iter().enumerate() {
                if b == b'\t' {
                    spans.push((start, i));
                    start = i + 1;
                }
            }
            spans.push((start, bytes.len()));
        }
        Separator::Whitespace => {
            let mut start = None;
            for (i, &b) in bytes.iter().enumerate() {
                match (b.is_ascii_whitespace(), start) {
                    (true, Some(s)) => {
                        spans.push((s, i));
                        start = None;
                    }
                    (false, None) => start = Some(i),
                    _ => {}
                }
            }
            if let Some(s) = start {
                spans.push((s, bytes.len()));
            }
        }
    }
}

fn strip_eol(text: &str) -> &str {
    text.trim_end_matches(['\n', '\r'])
}

fn header_value<'a>(header: &'a [(String, String)], key: &str) -> Option<&'a str> {
    header
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

/// True unless empty or `.` (the catalog's and VCF's "no value").
fn is_present(value: &str) -> bool {
    !value.is_empty() && value != "."
}

/// PGS Catalog booleans: `True`/`False` in any case; `1`/`0`, and empty (or `NA`) as false.
fn parse_bool(value: &str) -> Option<bool> {
    if value.is_empty()
        || value == "0"
        || value.eq_ignore_ascii_case("false")
        || value.eq_ignore_ascii_case("na")
    {
        Some(false)
    } else if value == "1" || value.eq_ignore_ascii_case("true") {
        Some(true)
    } else {
        None
    }
}

/// An allele a genotype file can hold: `[ACGTN]+` (uppercase) or `-`.
fn is_plain_allele(allele: &str) -> bool {
    allele == "-"
        || (!allele.is_empty()
            && allele
                .bytes()
                .all(|b| matches!(b, b'A' | b'C' | b'G' | b'T' | b'N')))
}

/// The uppercased allele when `value` is one plain allele (not empty, `.`, or a list).
fn single_allele(value: &str) -> Option<String> {
    let upper = value.trim_ascii().to_ascii_uppercase();
    is_plain_allele(&upper).then_some(upper)
}

/// Parts of a `CHR:POS` or `CHR:POS:A:B` variant ID.
struct PositionalId<'a> {
    chrom: &'a str,
    pos: Position,
    alleles: Option<(&'a str, &'a str)>,
}

fn parse_positional_id(id: &str) -> Option<PositionalId<'_>> {
    let mut parts = id.split(':');
    let chrom = parts.next().filter(|c| !c.is_empty())?;
    let pos = parts.next()?.parse::<Position>().ok().filter(|&p| p > 0)?;
    let alleles = match (parts.next(), parts.next(), parts.next()) {
        (None, _, _) => None,
        (Some(a), Some(b), None) => Some((a, b)),
        _ => return None,
    };
    Some(PositionalId {
        chrom,
        pos,
        alleles,
    })
}

/// The file name without compression and format extensions: `PGS000001.txt.gz` ->
/// `PGS000001`.
fn file_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = name
        .strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".bgz"))
        .unwrap_or(&name);
    Path::new(name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| name.to_string())
}

/// `3 complex allele, 1 interaction term`.
fn skip_summary(skipped: &[SkippedRow]) -> String {
    let mut counts: Vec<(SkipReason, usize)> = Vec::new();
    for s in skipped {
        match counts.iter_mut().find(|(r, _)| *r == s.reason) {
            Some((_, n)) => *n += 1,
            None => counts.push((s.reason, 1)),
        }
    }
    counts
        .iter()
        .map(|(r, n)| format!("{n} {r}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn data(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data")
            .join(name)
    }

    fn scorefile(name: &str) -> ScoringFile {
        let path = data(&format!("scorefiles/{name}"));
        read(&path).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Writes `text` to a temporary file and reads it.
    fn parse_text(text: &str) -> (tempfile::TempDir, Result<ScoringFile, ScoreFileError>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edge.txt");
        std::fs::write(&path, text).unwrap();
        let result = read(&path);
        (dir, result)
    }

    fn parse_ok(text: &str) -> ScoringFile {
        let (_dir, result) = parse_text(text);
        result.unwrap_or_else(|e| panic!("{e}"))
    }

    fn parse_err(text: &str) -> ScoreFileError {
        let (_dir, result) = parse_text(text);
        result.expect_err("expected an error")
    }

    #[test]
    fn pgs_catalog_file_with_positions() {
        let f = scorefile("PGS001229_22.txt");
        assert_eq!(f.kind, ScoringFileKind::PgsCatalog);
        assert_eq!(f.rows.len(), 835);
        assert!(f.skipped.is_empty());
        let meta = &f.scores[0];
        assert_eq!(f.scores.len(), 1);
        assert_eq!(meta.name, "PGS001229");
        assert_eq!(meta.pgs_id.as_deref(), Some("PGS001229"));
        assert_eq!(meta.pgs_name.as_deref(), Some("GBE_INI50"));
        assert_eq!(meta.trait_reported.as_deref(), Some("Standing height"));
        assert_eq!(meta.trait_mapped.as_deref(), Some("body height"));
        assert_eq!(meta.trait_efo.as_deref(), Some("EFO_0004339"));
        assert_eq!(meta.genome_build.as_deref(), Some("GRCh37"));
        assert_eq!(meta.original_build.as_deref(), Some("GRCh37"));
        assert_eq!(meta.weight_type.as_deref(), Some("NR"));
        assert_eq!(meta.format_version.as_deref(), Some("2.0"));
        assert_eq!(meta.variants_number, Some(51209));
        assert!(meta
            .header
            .contains(&("pgp_id".to_string(), "PGP000244".to_string())));
        assert_eq!(
            f.rows[0],
            ScoreRow {
                line: 16,
                id: Some("rs5746679".into()),
                chrom: Some(Chrom::parse("22")),
                pos: Some(17080378),
                effect_allele: "G".into(),
                other_allele: Some("A".into()),
                effect_type: EffectType::Additive,
                weights: vec![1.045457e-02],
            }
        );
        let last = f.rows.last().unwrap();
        assert_eq!(last.line, 850);
        assert_eq!(last.id.as_deref(), Some("rs73174435"));
        assert_eq!(last.weights, [-6.178519e-03]);
        // Indels keep their full alleles.
        assert!(f
            .rows
            .iter()
            .any(|r| r.effect_allele == "C" && r.other_allele.as_deref() == Some("CTCCTGTGA")));
    }

    #[test]
    fn pgs_catalog_file_with_rsids_only() {
        let f = scorefile("PGS000001.txt.gz");
        assert_eq!(f.kind, ScoringFileKind::PgsCatalog);
        assert_eq!(f.rows.len(), 77);
        let meta = &f.scores[0];
        assert_eq!(meta.name, "PGS000001");
        assert_eq!(meta.genome_build, None, "NR means not reported");
        assert_eq!(meta.variants_number, Some(77));
        let r = &f.rows[0];
        assert_eq!(r.id.as_deref(), Some("rs78540526"));
        assert_eq!(r.chrom, Some(Chrom::parse("11")));
        assert_eq!(r.pos, None);
        assert_eq!(r.locus(), None);
        assert_eq!(r.weights, [0.16220387987485377]);
    }

    #[test]
    fn harmonised_file_uses_hm_positions_and_build() {
        let f = scorefile("PGS000001_hmPOS_GRCh38.txt.gz");
        assert_eq!(f.kind, ScoringFileKind::PgsCatalogHarmonised);
        assert_eq!(f.rows.len(), 77);
        assert!(f.skipped.is_empty());
        let meta = &f.scores[0];
        assert_eq!(meta.name, "PGS000001");
        assert_eq!(meta.genome_build.as_deref(), Some("GRCh38"));
        assert_eq!(meta.original_build, None);
        let r = &f.rows[0];
        assert_eq!(r.locus(), Some((&Chrom::parse("11"), 69516650)));
        assert_eq!(r.id.as_deref(), Some("rs78540526"));
        assert_eq!(r.other_allele.as_deref(), Some("C"));
        let last = f.rows.last().unwrap();
        assert_eq!(last.locus(), Some((&Chrom::parse("16"), 53821379)));
    }

    #[test]
    fn harmonised_dominant_and_recessive_rows() {
        let f = scorefile("PGS000802_hmPOS_GRCh37.txt");
        assert_eq!(f.rows.len(), 19);
        assert_eq!(f.scores[0].genome_build.as_deref(), Some("GRCh37"));
        let count = |t| f.rows.iter().filter(|r| r.effect_type == t).count();
        assert_eq!(count(EffectType::Dominant), 7);
        assert_eq!(count(EffectType::Recessive), 7);
        assert_eq!(count(EffectType::Additive), 5);
        // hm_pos, not chr_position (170974795).
        assert_eq!(f.rows[0].pos, Some(169492101));
        assert_eq!(f.rows[0].effect_type, EffectType::Dominant);
        assert_eq!(f.rows[1].effect_type, EffectType::Recessive);
    }

    #[test]
    fn custom_dominant_and_recessive_file() {
        let f = scorefile("scorefile_dominant_and_recessive.txt");
        assert_eq!(f.kind, ScoringFileKind::Custom);
        assert_eq!(f.rows.len(), 835);
        assert_eq!(f.scores[0].name, "PGS001229_22_DominantRecessiveExample");
        assert_eq!(f.rows[0].effect_type, EffectType::Dominant);
        assert_eq!(f.rows[1].effect_type, EffectType::Recessive);
        assert!(f.rows[2..]
            .iter()
            .all(|r| r.effect_type == EffectType::Additive));
    }

    #[test]
    fn complex_rows_are_reported_not_dropped() {
        let f = scorefile("complex_variants_PGS000021.txt");
        assert_eq!(f.kind, ScoringFileKind::Custom);
        assert_eq!(f.rows.len(), 25);
        assert_eq!(f.skipped.len(), 8);
        assert_eq!(f.skipped_count(SkipReason::ComplexAllele), 8);
        assert_eq!(f.scores[0].name, "complex_variants_PGS000021");
        let first = &f.skipped[0];
        assert_eq!(first.line, 2);
        assert!(first.detail.contains("is_diplotype"), "{}", first.detail);
        assert!(first.detail.contains("HLA-DR3/HLA-DR4"), "{}", first.detail);
        let haplotype = &f.skipped[5];
        assert!(
            haplotype.detail.contains("is_haplotype"),
            "{}",
            haplotype.detail
        );
        assert_eq!(f.rows[0].id.as_deref(), Some("rs2476601"));
        assert_eq!(f.rows[0].line, 10);
    }

    #[test]
    fn custom_files() {
        let f = scorefile("custom.txt");
        assert_eq!(f.kind, ScoringFileKind::Custom);
        assert_eq!(f.scores[0].name, "test");
        assert_eq!(f.scores[0].genome_build.as_deref(), Some("GRCh37"));
        assert_eq!(f.rows.len(), 1);
        let r = &f.rows[0];
        assert_eq!(r.locus(), Some((&Chrom::parse("1"), 10397)));
        assert_eq!(
            (r.effect_allele.as_str(), r.other_allele.as_deref()),
            ("C", Some("A"))
        );
        assert_eq!(r.weights, [-2.76e-2]);
        assert_eq!(r.id, None);

        let f = scorefile("custom_no_oa.txt");
        assert_eq!(f.scores[0].name, "test2");
        assert_eq!(
            f.scores[0].pgs_name.as_deref(),
            Some("test2"),
            "trailing tabs trimmed"
        );
        assert_eq!(f.scores[0].genome_build.as_deref(), Some("GRCh37"));
        assert_eq!(f.rows.len(), 1);
        assert_eq!(f.rows[0].other_allele, None);

        let f = scorefile("customgrch37.txt");
        assert_eq!(f.scores[0].name, "custom");
        assert_eq!(f.scores[0].pgs_name.as_deref(), Some("testlift"));
        assert_eq!(f.rows.len(), 2, "last line has no newline");
        assert_eq!(f.rows[1].weights, [0.040436175688854]);

        let f = scorefile("PGS001229_22_duplicate.txt");
        assert_eq!(f.scores[0].name, "duplicatetest");
        assert_eq!(f.rows.len(), 8);
    }

    #[test]
    fn plink_style_multi_score_file() {
        let f = scorefile("multiscore.txt");
        assert_eq!(f.kind, ScoringFileKind::PlinkStyle);
        let names: Vec<&str> = f.scores.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["PGS001229_22", "second_score"]);
        assert_eq!(f.rows.len(), 829);
        let r = &f.rows[0];
        assert_eq!(r.id.as_deref(), Some("22:17080378:G:A"));
        assert_eq!(r.locus(), Some((&Chrom::parse("22"), 17080378)));
        assert_eq!(r.effect_allele, "G");
        assert_eq!(r.other_allele.as_deref(), Some("A"));
        assert_eq!(r.weights, [0.01045457, 0.01045457]);
        // Effect allele is the ID's second allele.
        let last = f.rows.last().unwrap();
        assert_eq!(last.id.as_deref(), Some("22:51174939:C:T"));
        assert_eq!(
            (last.effect_allele.as_str(), last.other_allele.as_deref()),
            ("T", Some("C"))
        );

        let f = read(&data("pgs/cineca_22_additive_0.scorefile.gz")).unwrap();
        let names: Vec<&str> = f.scores.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["PGS001229", "duplicatetest"]);
        assert_eq!(f.rows.len(), 782);
        assert_eq!(f.rows[0].weights, [1.045457e-02, 0.0]);
    }

    #[test]
    fn scorefile_without_identifiers_is_refused() {
        let err = read(&data("scorefiles/invalid_scorefile.txt")).unwrap_err();
        assert!(
            matches!(err, ScoreFileError::NoVariantIdentifiers { .. }),
            "{err}"
        );
        let text = err.to_string();
        assert!(text.contains("invalid_scorefile.txt"), "{text}");
        assert!(text.contains("no usable variant identifiers"), "{text}");
        assert!(
            text.contains("chr_name+chr_position, hm_chr+hm_pos, or rsID"),
            "{text}"
        );
    }

    #[test]
    fn harmonised_file_without_positions_is_refused() {
        let err = read(&data("scorefiles/bad_harmonised.txt")).unwrap_err();
        assert!(
            matches!(err, ScoreFileError::NoHarmonisedPositions { rows: 3, .. }),
            "{err}"
        );
        let text = err.to_string();
        assert!(text.contains("bad_harmonised.txt"), "{text}");
        assert!(text.contains("harmonisation gave no positions"), "{text}");
        assert!(text.contains("GRCh38"), "{text}");
    }

    #[test]
    fn some_unplaced_harmonised_rows_are_skipped() {
        let f = parse_ok(
            "#HmPOS_build=GRCh38\n\
             rsID\teffect_allele\teffect_weight\thm_rsID\thm_chr\thm_pos\thm_inferOtherAllele\n\
             rs1\tA\t0.5\trs1\t1\t100\tG\n\
             rs2\tC\t0.5\t\t\t\t\n\
             .\tT\t0.5\trs3\t2\t200\tA/G\n",
        );
        assert_eq!(f.rows.len(), 2);
        assert_eq!(
            f.rows[0].other_allele.as_deref(),
            Some("G"),
            "from hm_inferOtherAllele"
        );
        assert_eq!(f.rows[1].other_allele, None, "a list is not one allele");
        assert_eq!(
            f.rows[1].id.as_deref(),
            Some("rs3"),
            "hm_rsID fills a missing rsID"
        );
        assert_eq!(f.skipped.len(), 1);
        assert_eq!(f.skipped[0].line, 4);
        assert_eq!(f.skipped[0].reason, SkipReason::NoPosition);
        assert_eq!(f.scores[0].genome_build.as_deref(), Some("GRCh38"));
        assert_eq!(f.scores[0].name, "edge");
    }

    #[test]
    fn dosage_and_interaction_rows_are_reported() {
        let f = parse_ok(
            "chr_name\tchr_position\teffect_allele\teffect_weight\tis_interaction\tdosage_0_weight\tdosage_1_weight\tdosage_2_weight\n\
             1\t100\tA\t0.1\tFalse\t\t\t\n\
             1\t200\tA\t\tFalse\t0\t0.2\t0.5\n\
             1\t300\tA\t0.3\tTrue\t\t\t\n",
        );
        assert_eq!(f.rows.len(), 1);
        assert_eq!(f.skipped_count(SkipReason::DosageWeights), 1);
        assert_eq!(f.skipped_count(SkipReason::Interaction), 1);
        assert_eq!(f.skipped[0].line, 3);
        assert!(f.skipped[0].detail.contains("dosage_1_weight=0.2"));
        assert_eq!(f.skipped[1].line, 4);
    }

    #[test]
    fn all_rows_skipped_is_an_error() {
        let err = parse_err(
            "rsID\teffect_allele\teffect_weight\tis_haplotype\n\
             rs1\tHLA-A*24\t0.4\tTRUE\n",
        );
        assert!(
            matches!(err, ScoreFileError::NoScorableRows { skipped: 1, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("1 complex allele"), "{err}");
    }

    #[test]
    fn bad_weights_are_refused_with_line_and_column() {
        for bad in ["NaN", "nan", "inf", "-Infinity", "abc", ""] {
            let err = parse_err(&format!(
                "chr_name\tchr_position\teffect_allele\teffect_weight\n\
                 1\t100\tA\t0.1\n\
                 1\t200\tC\t{bad}\n"
            ));
            match &err {
                ScoreFileError::BadValue {
                    line,
                    column,
                    value,
                    ..
                } => {
                    assert_eq!(
                        (*line, column.as_str(), value.as_str()),
                        (3, "effect_weight", bad)
                    );
                }
                other => panic!("unexpected error {other}"),
            }
            let text = err.to_string();
            assert!(
                text.contains("edge.txt: line 3: column effect_weight"),
                "{text}"
            );
            assert!(text.contains("a finite number"), "{text}");
        }
    }

    #[test]
    fn bad_position_and_boolean_are_refused() {
        let err =
            parse_err("chr_name\tchr_position\teffect_allele\teffect_weight\n1\t12x\tA\t0.1\n");
        assert!(
            err.to_string()
                .contains("column chr_position: invalid value '12x'"),
            "{err}"
        );
        let err =
            parse_err("rsID\teffect_allele\teffect_weight\tis_dominant\nrs1\tA\t0.1\tmaybe\n");
        assert!(
            err.to_string()
                .contains("column is_dominant: invalid value 'maybe'"),
            "{err}"
        );
    }

    #[test]
    fn missing_columns_are_listed_with_what_was_found() {
        let err = parse_err("rsID\tchr_name\tchr_position\teffect_weight\nrs1\t1\t100\t0.5\n");
        match &err {
            ScoreFileError::MissingColumns {
                line,
                missing,
                found,
                ..
            } => {
                assert_eq!(*line, 1);
                assert_eq!(missing, &["effect_allele"]);
                assert_eq!(
                    found,
                    &["rsID", "chr_name", "chr_position", "effect_weight"]
                );
            }
            other => panic!("unexpected error {other}"),
        }
        assert!(
            err.to_string().contains("missing column(s) effect_allele"),
            "{err}"
        );

        let err = parse_err("chr_name\tchr_position\teffect_allele\n1\t100\tA\n");
        assert!(
            matches!(&err, ScoreFileError::MissingColumns { missing, .. } if missing == &["effect_weight"]),
            "{err}"
        );

        let err = parse_err("ID effect_allele\nrs1 A\n");
        assert!(
            matches!(err, ScoreFileError::MissingColumns { .. }),
            "{err}"
        );

        let err = parse_err("effect_allele\teffect_weight\nA\t0.1\n");
        assert!(
            matches!(err, ScoreFileError::NoVariantIdentifiers { .. }),
            "{err}"
        );
    }

    #[test]
    fn empty_files_are_refused() {
        assert!(matches!(parse_err(""), ScoreFileError::NoHeader { .. }));
        assert!(matches!(
            parse_err("#pgs_id=x\n\n"),
            ScoreFileError::NoHeader { .. }
        ));
        let err = parse_err("#pgs_id=x\nrsID\teffect_allele\teffect_weight\n\n");
        assert!(matches!(err, ScoreFileError::NoDataRows { .. }), "{err}");
    }

    #[test]
    fn crlf_trailing_whitespace_and_lowercase_alleles() {
        let f = parse_ok(
            "#pgs_id=PGS999999 \r\n\
             #genome_build=GRCh38\t\r\n\
             chr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\r\n\
             chr1\t100\ta\tg\t0.25 \r\n\
             1\t200\tc\tt\t-1e-3\t\r\n",
        );
        assert_eq!(f.scores[0].name, "PGS999999");
        assert_eq!(f.scores[0].genome_build.as_deref(), Some("GRCh38"));
        assert_eq!(f.rows.len(), 2);
        let r = &f.rows[0];
        assert_eq!(r.chrom, Some(Chrom::parse("1")));
        assert_eq!(
            (r.effect_allele.as_str(), r.other_allele.as_deref()),
            ("A", Some("G"))
        );
        assert_eq!(r.weights, [0.25]);
        assert_eq!(f.rows[1].weights, [-1e-3]);
        assert_eq!(f.rows[1].line, 5);
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        let f =
            parse_ok("\u{feff}#pgs_id=PGS000042\nrsID\teffect_allele\teffect_weight\nrs1\tA\t1\n");
        assert_eq!(f.scores[0].name, "PGS000042");
    }

    #[test]
    fn extra_non_empty_fields_are_refused() {
        let err = parse_err("rsID\teffect_allele\teffect_weight\nrs1\tA\t0.1\tsurprise\n");
        assert!(
            matches!(
                err,
                ScoreFileError::FieldCount {
                    line: 2,
                    expected: 3,
                    found: 4,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn gzip_is_detected_by_content_not_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plain_name.txt");
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&path).unwrap(),
            flate2::Compression::default(),
        );
        gz.write_all(b"#pgs_name=zipped\nrsID\teffect_allele\teffect_weight\nrs1\tA\t0.1\n")
            .unwrap();
        gz.finish().unwrap();
        let f = read(&path).unwrap();
        assert_eq!(f.scores[0].name, "zipped");
        assert_eq!(f.rows[0].id.as_deref(), Some("rs1"));

        // And a plain file named .gz is read as text.
        let path = dir.path().join("not_really.txt.gz");
        std::fs::write(&path, "rsID\teffect_allele\teffect_weight\nrs2\tC\t0.2\n").unwrap();
        let f = read(&path).unwrap();
        assert_eq!(f.scores[0].name, "not_really");
        assert_eq!(f.rows[0].id.as_deref(), Some("rs2"));
    }

    #[test]
    fn plink_style_whitespace_and_positional_ids() {
        let f = parse_ok(
            "SNP  A1   scoreA scoreB\n\
             1:100:A:G  g  0.1 0.2\n\
             rs5   T  0.3 0.4\n\
             chr2:300  c  0.5 0.6\n\
             3:400:AT:A  T  0.7 0.8\n",
        );
        assert_eq!(f.kind, ScoringFileKind::PlinkStyle);
        assert_eq!(f.scores.len(), 2);
        assert_eq!(f.scores[1].name, "scoreB");
        let r = &f.rows;
        assert_eq!(r[0].locus(), Some((&Chrom::parse("1"), 100)));
        assert_eq!(r[0].other_allele.as_deref(), Some("A"));
        assert_eq!(r[0].effect_allele, "G");
        assert_eq!((r[1].chrom.as_ref(), r[1].pos), (None, None));
        assert_eq!(r[2].locus(), Some((&Chrom::parse("2"), 300)));
        assert_eq!(r[2].other_allele, None);
        // The effect allele is neither of the ID's alleles: no other allele.
        assert_eq!(r[3].other_allele, None);
        assert_eq!(r[3].weights, [0.7, 0.8]);
    }

    #[test]
    fn regression_plink_style_single_column_is_named_by_its_header() {
        // plink2 `header-read` names the score after the column; so do we.
        let f = parse_ok("ID\teffect_allele\tPGS000123\nrs1\tA\t0.1\n");
        assert_eq!(f.scores.len(), 1);
        assert_eq!(f.scores[0].name, "PGS000123");
        let err = parse_err("ID\teffect_allele\tw\trs\nrs1\tA\t0.1\tx\n");
        assert!(
            err.to_string().contains("column rs: invalid value 'x'"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_columns_are_refused() {
        let err = parse_err("ID effect_allele s1 s1\nrs1 A 0.1 0.2\n");
        assert!(
            matches!(err, ScoreFileError::DuplicateColumn { .. }),
            "{err}"
        );
    }

    #[test]
    fn read_many_requires_unique_score_names() {
        let a = data("scorefiles/PGS001229_22.txt");
        let b = data("scorefiles/custom.txt");
        let files = read_many(&[a.clone(), b]).unwrap();
        assert_eq!(files.len(), 2);

        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("copy.txt");
        std::fs::copy(&a, &copy).unwrap();
        let err = read_many(&[a.clone(), copy.clone()]).unwrap_err();
        match &err {
            ScoreFileError::DuplicateScoreName {
                name,
                first,
                second,
            } => {
                assert_eq!(name, "PGS001229");
                assert_eq!((first, second), (&a, &copy));
            }
            other => panic!("unexpected error {other}"),
        }
        assert!(err.to_string().contains("copy.txt"));
    }

    #[test]
    fn allele_and_id_helpers() {
        assert!(is_plain_allele("ACGTN"));
        assert!(is_plain_allele("-"));
        assert!(!is_plain_allele(""));
        assert!(!is_plain_allele("A/G"));
        assert!(!is_plain_allele("a"), "callers uppercase first");
        assert_eq!(single_allele(" t "), Some("T".to_string()));
        assert_eq!(single_allele("."), None);
        let p = parse_positional_id("X:5:A:C").unwrap();
        assert_eq!((p.chrom, p.pos, p.alleles), ("X", 5, Some(("A", "C"))));
        assert!(parse_positional_id("rs123").is_none());
        assert!(parse_positional_id("1:2:3").is_none());
        assert!(parse_positional_id("1:0").is_none());
        assert_eq!(
            file_stem(Path::new("/a/PGS000001_hmPOS_GRCh38.txt.gz")),
            "PGS000001_hmPOS_GRCh38"
        );
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("False"), Some(false));
        assert_eq!(parse_bool(""), Some(false));
        assert_eq!(parse_bool("yes!"), None);
    }
}
