//! GWAS summary statistics, in the three layouts `panel build` reads.
//!
//! The layout is recognised from the column header, never from the file name:
//!
//! * **this project's `gwas` output**: `CHROM POS ID REF ALT A1 A1_FREQ N BETA SE P
//!   [FIRTH_YN]`. The effect allele is `A1`, the other allele the other of REF/ALT.
//! * **plink2 `--glm` output** (`.glm.linear`, `.glm.logistic[.hybrid]`, `.glm.firth`):
//!   `#CHROM POS ID REF ALT [PROVISIONAL_REF?] A1 [OMITTED] [A1_FREQ] [FIRTH?] [TEST]
//!   OBS_CT BETA|OR SE|LOG(OR)_SE ... P|LOG10_P ERRCODE`, as documented at
//!   <https://www.cog-genomics.org/plink/2.0/formats#glm_linear>. When there is a `TEST`
//!   column only the `ADD` rows (the variant's additive effect) are kept; covariate rows
//!   are counted and dropped. An odds ratio becomes `BETA = ln(OR)`; `LOG(OR)_SE` is
//!   already on that scale. `LOG10_P` holds −log10 p (plink2's `cols=` option `log10`).
//!   The other allele is `OMITTED` when the column exists, else the other of REF/ALT.
//! * **GWAS-SSF**, the GWAS Catalog's summary-statistics format
//!   (<https://github.com/EBISPOT/gwas-summary-statistics-standard>, v1.0):
//!   `chromosome base_pair_location effect_allele other_allele beta|odds_ratio|hazard_ratio
//!   standard_error effect_allele_frequency p_value|neg_log_10_p_value`, then optional
//!   columns such as `variant_id`, `rsid` and `n`. Chromosomes are 1–25 with X = 23,
//!   Y = 24 and MT = 25 (not plink's 25 = XY). Odds and hazard ratios become their
//!   natural logarithm, and `standard_error` is taken to be on that log scale.
//!
//! Missing values are `NA`, `#NA` (GWAS-SSF), `.`, `nan` or an empty field. A row whose
//! effect or p-value is missing is skipped and counted ([`Sumstats::n_missing`]): plink2
//! writes such rows for monomorphic or collinear variants. Anything else that does not
//! parse is an error naming the file, the line and the column.
//!
//! Files may be gzip- or bgzip-compressed (recognised by their magic bytes) and are read
//! line by line, so [`for_each_sumstat`] never holds a whole genome's rows.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use crate::genome::{Chrom, Position};
use crate::panel::PanelError;

/// One variant's association with a trait.
#[derive(Clone, Debug, PartialEq)]
pub struct SumStat {
    /// Chromosome (`CHROM`/`#CHROM`, or GWAS-SSF `chromosome` with 23/24/25 = X/Y/MT).
    pub chrom: Chrom,
    /// 1-based position (`POS`, or GWAS-SSF `base_pair_location`) in the file's genome build.
    pub pos: Position,
    /// Variant ID (rsID when the file has one); `.` when the file gives none.
    pub id: String,
    /// Uppercased.
    pub effect_allele: String,
    /// Uppercased.
    pub other_allele: String,
    /// Effect per copy of the effect allele: the regression coefficient, or the log of an
    /// odds or hazard ratio.
    pub beta: f64,
    /// Standard error of `beta`, when the file gives one.
    pub se: Option<f64>,
    /// Two-sided p-value of the association (`P`, `p_value`, or `10^-x` from `LOG10_P` /
    /// `neg_log_10_p_value`).
    pub p: f64,
    /// Frequency of the effect allele.
    pub eaf: Option<f64>,
    /// Sample size for this variant.
    pub n: Option<u64>,
}

impl SumStat {
    /// The association z-score, `beta / se`, or when there is no usable standard error the
    /// normal quantile of the two-sided p-value with the sign of `beta`. `None` when
    /// neither is available (a zero standard error and a zero beta).
    pub fn z(&self) -> Option<f64> {
        if let Some(se) = self.se.filter(|&s| s > 0.0) {
            return Some(self.beta / se);
        }
        if self.beta == 0.0 {
            return Some(0.0);
        }
        use statrs::distribution::{ContinuousCDF, Normal};
        let normal = Normal::standard();
        let z = normal.inverse_cdf(1.0 - self.p / 2.0);
        z.is_finite().then(|| z.copysign(self.beta))
    }
}

/// Which layout a file was read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SumstatsFormat {
    /// This project's `gwas` output.
    Gwas,
    /// plink2 `--glm` output.
    Plink2Glm,
    /// The GWAS Catalog's GWAS-SSF.
    GwasSsf,
}

impl SumstatsFormat {
    /// The layout's name in messages and reports: `medgem-prs gwas`, `plink2 --glm` or
    /// `GWAS-SSF`.
    pub fn as_str(self) -> &'static str {
        match self {
            SumstatsFormat::Gwas => "medgem-prs gwas",
            SumstatsFormat::Plink2Glm => "plink2 --glm",
            SumstatsFormat::GwasSsf => "GWAS-SSF",
        }
    }
}

/// What reading a file found, besides its rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SumstatsSummary {
    /// The layout the header was recognised as.
    pub format: SumstatsFormat,
    /// Rows handed on.
    pub n_rows: u64,
    /// Rows skipped because the effect or the p-value is missing.
    pub n_missing: u64,
    /// plink2 rows of another test than `ADD` (covariates, interaction terms).
    pub n_other_tests: u64,
}

/// A whole summary-statistics file.
#[derive(Clone, Debug)]
pub struct Sumstats {
    /// The file read.
    pub path: PathBuf,
    /// The layout the header was recognised as.
    pub format: SumstatsFormat,
    /// Usable rows in file order (rows with a missing effect or p-value are left out).
    pub rows: Vec<SumStat>,
    /// Rows skipped because the effect or the p-value is missing.
    pub n_missing: u64,
    /// plink2 rows of another test than `ADD`.
    pub n_other_tests: u64,
}

/// Reads a whole summary-statistics file into memory.
pub fn read_sumstats(path: &Path) -> Result<Sumstats, PanelError> {
    let mut rows = Vec::new();
    let summary = for_each_sumstat(path, |row| {
        rows.push(row);
        Ok(())
    })?;
    Ok(Sumstats {
        path: path.to_path_buf(),
        format: summary.format,
        rows,
        n_missing: summary.n_missing,
        n_other_tests: summary.n_other_tests,
    })
}

/// Streams a summary-statistics file, handing each usable row to `visit` in file order.
pub fn for_each_sumstat<F>(path: &Path, mut visit: F) -> Result<SumstatsSummary, PanelError>
where
    F: FnMut(SumStat) -> Result<(), PanelError>,
{
    let mut reader = open_text(path)?;
    let mut buf = String::new();
    let mut line_no = 0u64;
    // The header: the first line that is not empty and not a `##` comment.
    let (layout, header_line) = loop {
        buf.clear();
        if reader
            .read_line(&mut buf)
            .map_err(|e| PanelError::io(path, e))?
            == 0
        {
            return Err(PanelError::invalid(
                path,
                "no column header (the file is empty)",
            ));
        }
        line_no += 1;
        let text = buf
            .trim_end_matches(['\n', '\r'])
            .trim_start_matches('\u{feff}');
        if text.trim().is_empty() || text.starts_with("##") {
            continue;
        }
        break (Layout::new(path, line_no, text)?, line_no);
    };
    let mut summary = SumstatsSummary {
        format: layout.format,
        n_rows: 0,
        n_missing: 0,
        n_other_tests: 0,
    };
    let mut chrom_cache: Option<(String, Chrom)> = None;
    let mut line = String::new();
    loop {
        line.clear();
        if reader
            .read_line(&mut line)
            .map_err(|e| PanelError::io(path, e))?
            == 0
        {
            break;
        }
        line_no += 1;
        let text = line.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        let mut fields: Vec<&str> = Vec::with_capacity(layout.n_columns);
        match layout.separator {
            Separator::Tab => fields.extend(text.split('\t')),
            Separator::Whitespace => fields.extend(text.split_ascii_whitespace()),
        }
        if fields.len() != layout.n_columns {
            return Err(PanelError::malformed(
                path,
                line_no,
                format!(
                    "{} fields, but the header (line {header_line}) has {} columns",
                    fields.len(),
                    layout.n_columns
                ),
            ));
        }
        match layout.row(path, line_no, &fields, &mut chrom_cache)? {
            Parsed::Row(row) => {
                summary.n_rows += 1;
                visit(row)?;
            }
            Parsed::Missing => summary.n_missing += 1,
            Parsed::OtherTest => summary.n_other_tests += 1,
        }
    }
    Ok(summary)
}

/// Opens a text file, decompressing it when it starts with the gzip magic bytes.
pub(crate) fn open_text(path: &Path) -> Result<Box<dyn BufRead>, PanelError> {
    Ok(crate::util::open_text(path)?)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Separator {
    Tab,
    Whitespace,
}

/// How the effect is reported.
#[derive(Clone, Copy, Debug)]
enum Effect {
    Beta(usize),
    /// Odds or hazard ratio: the effect is its natural logarithm.
    Ratio(usize),
}

/// How the p-value is reported.
#[derive(Clone, Copy, Debug)]
enum PValue {
    P(usize),
    /// −log10 p.
    NegLog10(usize),
}

/// How the alleles are reported.
#[derive(Clone, Copy, Debug)]
enum Alleles {
    /// plink-style REF, ALT (comma-separated list) and the tested allele A1, with plink2's
    /// optional OMITTED allele.
    RefAltA1 {
        reference: usize,
        alt: usize,
        a1: usize,
        omitted: Option<usize>,
    },
    /// GWAS-SSF effect_allele and other_allele.
    EffectOther { effect: usize, other: usize },
}

/// Where each needed column sits.
#[derive(Debug)]
struct Layout {
    format: SumstatsFormat,
    separator: Separator,
    n_columns: usize,
    names: Vec<String>,
    chrom: usize,
    pos: usize,
    /// Variant ID columns in order of preference.
    ids: Vec<usize>,
    alleles: Alleles,
    effect: Effect,
    se: Option<usize>,
    p: PValue,
    eaf: Option<usize>,
    n: Option<usize>,
    test: Option<usize>,
}

/// The result of one data row.
enum Parsed {
    Row(SumStat),
    Missing,
    OtherTest,
}

impl Layout {
    fn new(path: &Path, line: u64, text: &str) -> Result<Layout, PanelError> {
        let separator = if text.contains('\t') {
            Separator::Tab
        } else {
            Separator::Whitespace
        };
        let names: Vec<String> = match separator {
            Separator::Tab => text.split('\t').map(|s| s.trim().to_string()).collect(),
            Separator::Whitespace => text.split_ascii_whitespace().map(String::from).collect(),
        };
        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, name) in names.iter().enumerate() {
            if index.insert(name.to_ascii_lowercase(), i).is_some() {
                return Err(PanelError::malformed(
                    path,
                    line,
                    format!("column '{name}' appears more than once in the header"),
                ));
            }
        }
        let col = |name: &str| index.get(name).copied();
        let first = names[0].to_ascii_lowercase();
        let format = if first == "#chrom" {
            SumstatsFormat::Plink2Glm
        } else if first == "chrom" {
            SumstatsFormat::Gwas
        } else if col("chromosome").is_some() && col("base_pair_location").is_some() {
            SumstatsFormat::GwasSsf
        } else {
            return Err(PanelError::malformed(
                path,
                line,
                format!(
                    "unrecognised summary-statistics header '{}' (expected medgem-prs gwas output \
                     starting CHROM POS ID REF ALT A1, plink2 --glm output starting #CHROM, or \
                     GWAS-SSF with chromosome and base_pair_location)",
                    names.join(" ")
                ),
            ));
        };
        let mut missing: Vec<&str> = Vec::new();
        let mut need = |name: &'static str, found: Option<usize>| {
            if found.is_none() {
                missing.push(name);
            }
            found.unwrap_or(0)
        };
        let layout = match format {
            SumstatsFormat::Gwas | SumstatsFormat::Plink2Glm => {
                let chrom = 0;
                let pos = need("POS", col("pos"));
                let id = need("ID", col("id"));
                let reference = need("REF", col("ref"));
                let alt = need("ALT", col("alt"));
                let a1 = need("A1", col("a1"));
                let effect = match (col("beta"), col("or")) {
                    (Some(i), _) => Effect::Beta(i),
                    (None, Some(i)) => Effect::Ratio(i),
                    (None, None) => {
                        need("BETA or OR", None);
                        Effect::Beta(0)
                    }
                };
                let p = match (col("p"), col("log10_p")) {
                    (Some(i), _) => PValue::P(i),
                    (None, Some(i)) => PValue::NegLog10(i),
                    (None, None) => {
                        need("P or LOG10_P", None);
                        PValue::P(0)
                    }
                };
                let se = match effect {
                    Effect::Beta(_) => col("se"),
                    Effect::Ratio(_) => col("log(or)_se").or_else(|| col("se")),
                };
                Layout {
                    format,
                    separator,
                    n_columns: names.len(),
                    chrom,
                    pos,
                    ids: vec![id],
                    alleles: Alleles::RefAltA1 {
                        reference,
                        alt,
                        a1,
                        omitted: col("omitted"),
                    },
                    effect,
                    se,
                    p,
                    eaf: col("a1_freq"),
                    n: col("n").or_else(|| col("obs_ct")),
                    test: col("test"),
                    names: names.clone(),
                }
            }
            SumstatsFormat::GwasSsf => {
                let chrom = need("chromosome", col("chromosome"));
                let pos = need("base_pair_location", col("base_pair_location"));
                let effect_allele = need("effect_allele", col("effect_allele"));
                let other = need("other_allele", col("other_allele"));
                let effect = match (col("beta"), col("odds_ratio"), col("hazard_ratio")) {
                    (Some(i), _, _) => Effect::Beta(i),
                    (None, Some(i), _) | (None, None, Some(i)) => Effect::Ratio(i),
                    (None, None, None) => {
                        need("beta, odds_ratio or hazard_ratio", None);
                        Effect::Beta(0)
                    }
                };
                let p = match (col("p_value"), col("neg_log_10_p_value")) {
                    (Some(i), _) => PValue::P(i),
                    (None, Some(i)) => PValue::NegLog10(i),
                    (None, None) => {
                        need("p_value or neg_log_10_p_value", None);
                        PValue::P(0)
                    }
                };
                Layout {
                    format,
                    separator,
                    n_columns: names.len(),
                    chrom,
                    pos,
                    ids: [col("rsid"), col("variant_id")]
                        .into_iter()
                        .flatten()
                        .collect(),
                    alleles: Alleles::EffectOther {
                        effect: effect_allele,
                        other,
                    },
                    effect,
                    se: col("standard_error"),
                    p,
                    eaf: col("effect_allele_frequency"),
                    n: col("n"),
                    test: None,
                    names: names.clone(),
                }
            }
        };
        if !missing.is_empty() {
            return Err(PanelError::malformed(
                path,
                line,
                format!(
                    "{} header lacks column(s) {} (found: {})",
                    format.as_str(),
                    missing.join(", "),
                    names.join(" ")
                ),
            ));
        }
        Ok(layout)
    }

    fn row(
        &self,
        path: &Path,
        line: u64,
        fields: &[&str],
        chrom_cache: &mut Option<(String, Chrom)>,
    ) -> Result<Parsed, PanelError> {
        let field = |i: usize| fields[i].trim();
        let bad = |i: usize, expected: &str| {
            PanelError::malformed(
                path,
                line,
                format!(
                    "column {}: invalid value '{}' (expected {expected})",
                    self.names[i],
                    field(i)
                ),
            )
        };
        if let Some(t) = self.test {
            if !field(t).eq_ignore_ascii_case("ADD") {
                return Ok(Parsed::OtherTest);
            }
        }
        let (effect_col, p_col) = match (self.effect, self.p) {
            (Effect::Beta(e) | Effect::Ratio(e), PValue::P(p) | PValue::NegLog10(p)) => (e, p),
        };
        if is_missing(field(effect_col)) || is_missing(field(p_col)) {
            return Ok(Parsed::Missing);
        }
        let number = |i: usize| -> Result<f64, PanelError> {
            field(i)
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(i, "a finite number"))
        };
        let optional = |i: Option<usize>| -> Result<Option<f64>, PanelError> {
            match i {
                Some(i) if !is_missing(field(i)) => number(i).map(Some),
                _ => Ok(None),
            }
        };
        let beta = match self.effect {
            Effect::Beta(i) => number(i)?,
            Effect::Ratio(i) => {
                let ratio = number(i)?;
                if ratio <= 0.0 {
                    return Err(bad(i, "a ratio above 0"));
                }
                ratio.ln()
            }
        };
        let p = match self.p {
            PValue::P(i) => {
                let p = number(i)?;
                if !(0.0..=1.0).contains(&p) {
                    return Err(bad(i, "a p-value between 0 and 1"));
                }
                p
            }
            PValue::NegLog10(i) => {
                let v = number(i)?;
                if v < 0.0 {
                    return Err(bad(i, "-log10 p of at least 0"));
                }
                10f64.powf(-v)
            }
        };
        let se = optional(self.se)?;
        if let (Some(s), Some(i)) = (se, self.se) {
            if s < 0.0 {
                return Err(bad(i, "a standard error of at least 0"));
            }
        }
        let eaf = optional(self.eaf)?;
        if let (Some(f), Some(i)) = (eaf, self.eaf) {
            if !(0.0..=1.0).contains(&f) {
                return Err(bad(i, "an allele frequency between 0 and 1"));
            }
        }
        let n = match optional(self.n)? {
            Some(v) if v >= 0.0 => Some(v.round() as u64),
            Some(_) => return Err(bad(self.n.expect("value came from a column"), "a count")),
            None => None,
        };
        let pos = field(self.pos)
            .parse::<Position>()
            .map_err(|_| bad(self.pos, "a position"))?;
        let chrom_text = field(self.chrom);
        if is_missing(chrom_text) {
            return Err(bad(self.chrom, "a chromosome"));
        }
        let chrom = match chrom_cache {
            Some((text, c)) if text == chrom_text => c.clone(),
            _ => {
                let c = if self.format == SumstatsFormat::GwasSsf && chrom_text == "25" {
                    // GWAS-SSF numbers the mitochondrial genome 25.
                    Chrom::parse("MT")
                } else {
                    Chrom::parse(chrom_text)
                };
                *chrom_cache = Some((chrom_text.to_string(), c.clone()));
                c
            }
        };
        let allele = |i: usize| -> Result<String, PanelError> {
            let a = field(i);
            if is_missing(a) {
                return Err(bad(i, "an allele"));
            }
            Ok(a.to_ascii_uppercase())
        };
        let (effect_allele, other_allele) = match self.alleles {
            Alleles::EffectOther { effect, other } => (allele(effect)?, allele(other)?),
            Alleles::RefAltA1 {
                reference,
                alt,
                a1,
                omitted,
            } => {
                let r = allele(reference)?;
                let alts = allele(alt)?;
                let a = allele(a1)?;
                let alts: Vec<&str> = alts.split(',').collect();
                let omitted = match omitted {
                    Some(i) if !is_missing(field(i)) => Some(allele(i)?),
                    _ => None,
                };
                let other = if a == r {
                    match (omitted, alts.as_slice()) {
                        (Some(o), _) => o,
                        (None, [single]) => single.to_string(),
                        (None, _) => {
                            return Err(PanelError::malformed(
                                path,
                                line,
                                format!(
                                "A1 '{a}' is the REF allele and ALT lists several alleles ({}), \
                                     so the other allele is unknown (expected an OMITTED column)",
                                alts.join(",")
                            ),
                            ))
                        }
                    }
                } else if alts.contains(&a.as_str()) {
                    omitted.unwrap_or(r)
                } else {
                    return Err(PanelError::malformed(
                        path,
                        line,
                        format!(
                            "A1 '{a}' is neither the REF allele '{r}' nor an ALT allele ({})",
                            alts.join(",")
                        ),
                    ));
                };
                (a, other)
            }
        };
        let id = self
            .ids
            .iter()
            .map(|&i| field(i))
            .find(|v| !is_missing(v))
            .unwrap_or(".")
            .to_string();
        Ok(Parsed::Row(SumStat {
            chrom,
            pos,
            id,
            effect_allele,
            other_allele,
            beta,
            se,
            p,
            eaf,
            n,
        }))
    }
}

/// The spellings of a missing value across the three formats.
fn is_missing(value: &str) -> bool {
    value.is_empty()
        || value == "."
        || value == "#NA"
        || value.eq_ignore_ascii_case("NA")
        || value.eq_ignore_ascii_case("nan")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn data(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/sumstats")
            .join(rel)
    }

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn reads_our_gwas_output() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "t.tsv",
            "CHROM\tPOS\tID\tREF\tALT\tA1\tA1_FREQ\tN\tBETA\tSE\tP\n\
             22\t100\trs1\tA\tG\tG\t0.25\t500\t0.5\t0.1\t1e-6\n\
             22\t200\trs2\tC\tT\tT\t0\t500\tNA\tNA\tNA\n\
             22\t300\t.\tc\tcat\tCAT\t0.5\t498\t-0.25\t0.2\t0.2\n",
        );
        let s = read_sumstats(&p).unwrap();
        assert_eq!(s.format, SumstatsFormat::Gwas);
        assert_eq!(s.n_missing, 1);
        assert_eq!(s.rows.len(), 2);
        let r = &s.rows[0];
        assert_eq!((r.chrom.as_str(), r.pos, r.id.as_str()), ("22", 100, "rs1"));
        assert_eq!(
            (r.effect_allele.as_str(), r.other_allele.as_str()),
            ("G", "A")
        );
        assert_eq!((r.beta, r.se, r.p), (0.5, Some(0.1), 1e-6));
        assert_eq!((r.eaf, r.n), (Some(0.25), Some(500)));
        let r = &s.rows[1];
        assert_eq!(
            (r.effect_allele.as_str(), r.other_allele.as_str()),
            ("CAT", "C")
        );
        assert_eq!(r.id, ".");
    }

    #[test]
    fn reads_plink2_linear_with_covariate_rows() {
        let s = read_sumstats(&data("plink2_covar.PHENO1.glm.linear")).unwrap();
        assert_eq!(s.format, SumstatsFormat::Plink2Glm);
        // Every variant has an ADD row and an AGE row.
        assert_eq!(s.n_other_tests, s.rows.len() as u64);
        let r = &s.rows[0];
        assert_eq!((r.id.as_str(), r.pos), ("snp0", 16050000));
        // REF C, ALT A, A1 A.
        assert_eq!(
            (r.effect_allele.as_str(), r.other_allele.as_str()),
            ("A", "C")
        );
        assert_eq!((r.beta, r.se, r.p), (-0.0546193, Some(0.0949957), 0.56577));
        assert_eq!(r.n, Some(287));
        assert!(r.eaf.is_none());
    }

    #[test]
    fn reads_plink2_logistic_odds_ratios() {
        let s = read_sumstats(&data("plink2.PHENO1.glm.logistic.hybrid")).unwrap();
        assert_eq!(s.format, SumstatsFormat::Plink2Glm);
        assert_eq!(s.n_other_tests, 0);
        let r = &s.rows[0];
        // A1 is the REF allele here: the other allele is ALT.
        assert_eq!(
            (r.effect_allele.as_str(), r.other_allele.as_str()),
            ("C", "A")
        );
        assert!((r.beta - 1.03168f64.ln()).abs() < 1e-15);
        assert_eq!(r.se, Some(0.171562));
        assert_eq!(r.p, 0.855727);
    }

    #[test]
    fn plink2_na_rows_are_skipped_and_counted() {
        // snp5 is monomorphic: plink2 writes NA with CONST_OMITTED_ALLELE.
        let s = read_sumstats(&data("plink2_na.PHENO1.glm.linear")).unwrap();
        assert_eq!(s.n_missing, 1);
        assert_eq!(s.rows.len(), 9);
        assert!(s.rows.iter().all(|r| r.id != "snp5"));
    }

    #[test]
    fn reads_plink2_log10_p_and_a1_freq() {
        let s = read_sumstats(&data("plink2_log10.PHENO1.glm.logistic.hybrid")).unwrap();
        let r = &s.rows[0];
        assert!((r.p - 10f64.powf(-0.067665)).abs() < 1e-15);
        assert_eq!(r.eaf, Some(0.429329));
        assert_eq!(r.beta, 0.0311928);
    }

    #[test]
    fn reads_gwas_ssf_gzipped() {
        let s = read_sumstats(&data("gwas_ssf.tsv.gz")).unwrap();
        assert_eq!(s.format, SumstatsFormat::GwasSsf);
        assert_eq!(s.n_missing, 1);
        let r = &s.rows[0];
        assert_eq!(r.id, "rs2192430");
        assert_eq!(
            (r.effect_allele.as_str(), r.other_allele.as_str()),
            ("G", "A")
        );
        assert_eq!((r.eaf, r.n), (Some(0.31), Some(10000)));
        // No rsid: the variant_id is the ID.
        assert!(s.rows.iter().any(|r| r.id == "22_17318864_C_A"));
        // Chromosome 25 is MT in GWAS-SSF; 23 is X.
        assert!(s.rows.iter().any(|r| r.chrom.as_str() == "MT"));
        assert!(s.rows.iter().any(|r| r.chrom.as_str() == "X"));
    }

    #[test]
    fn gwas_ssf_odds_ratio_and_neg_log10() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "or.tsv",
            "chromosome\tbase_pair_location\teffect_allele\tother_allele\todds_ratio\tstandard_error\teffect_allele_frequency\tneg_log_10_p_value\n\
             1\t1000\tA\tG\t2.0\t0.1\t0.3\t8\n",
        );
        let s = read_sumstats(&p).unwrap();
        let r = &s.rows[0];
        assert!((r.beta - 2f64.ln()).abs() < 1e-15);
        assert!((r.p - 1e-8).abs() < 1e-22);
        assert_eq!(r.id, ".");
    }

    #[test]
    fn bad_rows_name_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let head = "CHROM\tPOS\tID\tREF\tALT\tA1\tA1_FREQ\tN\tBETA\tSE\tP\n";
        let good = "1\t5\tr\tA\tG\tG\t0.1\t10\t0.1\t0.1\t0.5\n";
        let cases = [
            (
                "1\t5\tr\tA\tG\tG\t0.1\t10\t0.1\t0.1\t1.5\n",
                "column P: invalid value '1.5'",
            ),
            ("1\tx\tr\tA\tG\tG\t0.1\t10\t0.1\t0.1\t0.5\n", "column POS"),
            ("1\t5\tr\tA\tG\tG\t0.1\t10\tbig\t0.1\t0.5\n", "column BETA"),
            (
                "1\t5\tr\tA\tG\tT\t0.1\t10\t0.1\t0.1\t0.5\n",
                "A1 'T' is neither",
            ),
            (
                "1\t5\tr\tA\tG\tG\t0.1\t10\t0.1\t0.5\n",
                "10 fields, but the header",
            ),
        ];
        for (row, expected) in cases {
            let p = write(&dir, "bad.tsv", &format!("{head}{good}{row}"));
            let e = read_sumstats(&p).unwrap_err().to_string();
            assert!(e.contains("bad.tsv: line 3:"), "{e}");
            assert!(e.contains(expected), "{e}");
        }
    }

    #[test]
    fn unknown_or_incomplete_headers_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "x.tsv", "SNP\tA1\tBETA\tP\nrs1\tA\t0.1\t0.5\n");
        let e = read_sumstats(&p).unwrap_err().to_string();
        assert!(e.contains("unrecognised summary-statistics header"), "{e}");
        let p = write(
            &dir,
            "y.tsv",
            "#CHROM\tPOS\tID\tREF\tALT\tA1\tOBS_CT\tT_STAT\tP\n",
        );
        let e = read_sumstats(&p).unwrap_err().to_string();
        assert!(e.contains("lacks column(s) BETA or OR"), "{e}");
        let p = write(&dir, "z.tsv", "");
        assert!(read_sumstats(&p).unwrap_err().to_string().contains("empty"));
    }

    #[test]
    fn multiallelic_plink2_rows_use_omitted() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "m.glm.linear",
            "#CHROM\tPOS\tID\tREF\tALT\tA1\tOMITTED\tTEST\tOBS_CT\tBETA\tSE\tT_STAT\tP\tERRCODE\n\
             1\t10\tm\tA\tC,G\tG\tA\tADD\t100\t0.1\t0.1\t1\t0.3\t.\n\
             1\t10\tm\tA\tC,G\tA\tC\tADD\t100\t0.1\t0.1\t1\t0.3\t.\n",
        );
        let s = read_sumstats(&p).unwrap();
        assert_eq!(s.rows[0].other_allele, "A");
        assert_eq!(s.rows[1].other_allele, "C");
        let p = write(
            &dir,
            "n.glm.linear",
            "#CHROM\tPOS\tID\tREF\tALT\tA1\tTEST\tOBS_CT\tBETA\tSE\tT_STAT\tP\tERRCODE\n\
             1\t10\tm\tA\tC,G\tA\tADD\t100\t0.1\t0.1\t1\t0.3\t.\n",
        );
        let e = read_sumstats(&p).unwrap_err().to_string();
        assert!(e.contains("other allele is unknown"), "{e}");
    }

    #[test]
    fn z_scores_fall_back_to_p_values() {
        let mut s = SumStat {
            chrom: Chrom::parse("1"),
            pos: 1,
            id: ".".into(),
            effect_allele: "A".into(),
            other_allele: "G".into(),
            beta: -0.2,
            se: Some(0.1),
            p: 0.05,
            eaf: None,
            n: None,
        };
        assert_eq!(s.z(), Some(-2.0));
        s.se = None;
        let z = s.z().unwrap();
        assert!((z + 1.959963984540054).abs() < 1e-9, "{z}");
    }

    #[test]
    fn whitespace_separated_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.txt.gz");
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&p).unwrap(),
            flate2::Compression::fast(),
        );
        gz.write_all(
            b"CHROM POS ID REF ALT A1 A1_FREQ N BETA SE P\n1  5 r A G G 0.1 10 0.1 0.1 0.5\n",
        )
        .unwrap();
        gz.finish().unwrap();
        let s = read_sumstats(&p).unwrap();
        assert_eq!(s.rows.len(), 1);
        assert_eq!(s.rows[0].p, 0.5);
    }
}
