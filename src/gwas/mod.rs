//! Per-variant association tests, in the manner of plink2 `--glm`.
//!
//! Each variant's ALT dosage (additive coding) is tested in the model
//! `phenotype ~ intercept + covariates + dosage`:
//!
//! * a quantitative phenotype by ordinary least squares, with the t test on N − p degrees
//!   of freedom ([`regress::LinearBasis`]);
//! * a binary phenotype (0/1) by logistic regression and the Wald z test, falling back to
//!   Firth's penalised regression when Newton–Raphson does not converge (separation), as
//!   plink2's `--glm firth-fallback` does. BETA is then the log-odds ratio per ALT allele.
//!
//! Samples are those present in both the genotype file and the phenotype table with the
//! phenotype and every covariate non-missing. As in plink2, samples with a missing call at
//! a variant are dropped for that variant only, so N varies between variants; such a
//! variant is refitted on its own sample subset. Multi-allelic sites get one row per ALT
//! allele, each tested alone (plink2 instead adds the other ALT alleles as covariates).
//!
//! Genotypes are streamed: payloads of a batch of sites are decoded and tested in
//! parallel, and rows are written in file order, so memory is samples × batch.

pub mod multi;
pub mod regress;

pub use multi::run_many;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::genome::Region;
use crate::io::{Dosages, GenotypeSource, Payload, ReadError, Site, SiteFilter};
use crate::pheno::PhenoTable;
use crate::util::{fmt_f64, OutputSet};
use regress::{Estimate, LinearBasis};

/// Sites decoded and tested together in one parallel batch.
const BATCH_SITES: usize = 256;
/// Sample IDs shown when genotype and phenotype IDs do not overlap.
const ID_EXAMPLES: usize = 3;

/// The columns every `gwas` output starts with (ARCHITECTURE.md).
pub const HEADER: [&str; 11] = [
    "CHROM", "POS", "ID", "REF", "ALT", "A1", "A1_FREQ", "N", "BETA", "SE", "P",
];

/// How the phenotype is modelled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TraitType {
    /// Binary when every non-missing value is 0 or 1, else quantitative.
    #[default]
    Auto,
    /// Linear regression (ordinary least squares) with a t test, like plink2 `.glm.linear`.
    Quantitative,
    /// Logistic regression with a Wald test and Firth fallback, like plink2 `--glm
    /// firth-fallback`; every non-missing value must be 0 (control) or 1 (case).
    Binary,
}

/// What to test.
#[derive(Clone, Debug, Default)]
pub struct GwasOptions {
    /// Phenotype column of the table.
    pub phenotype: String,
    /// Covariate columns (`sex` is coded 0 = female, 1 = male).
    pub covariates: Vec<String>,
    /// Quantitative, binary, or decided from the phenotype's values (default).
    pub trait_type: TraitType,
    /// Only test variants in this region.
    pub region: Option<Region>,
    /// Genotype sample IDs are written `FID<delim>IID`: match the part after the first
    /// delimiter to the table's IID (plink2's `--id-delim`). IDs without it match whole.
    pub id_delim: Option<char>,
    /// Only analyse these samples (table IIDs), like plink2's `--keep`.
    pub keep: Option<HashSet<String>>,
    /// Show a progress spinner on stderr.
    pub progress: bool,
}

/// Everything that can stop an association run.
#[derive(Debug, thiserror::Error)]
pub enum GwasError {
    /// The genotype file could not be opened, read or decoded.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// A file could not be read or written.
    #[error(transparent)]
    Write(#[from] crate::util::PathIoError),
    /// The phenotype table has no column named [`GwasOptions::phenotype`].
    #[error("{path}: no phenotype column '{name}' (available: {available})")]
    PhenotypeNotFound {
        /// Phenotype table.
        path: PathBuf,
        /// The requested column.
        name: String,
        /// The table's numeric columns, joined with `, `.
        available: String,
    },
    /// The phenotype table has no column for one of [`GwasOptions::covariates`].
    #[error("{path}: no covariate column '{name}' (available: {available})")]
    CovariateNotFound {
        /// Phenotype table.
        path: PathBuf,
        /// The requested covariate.
        name: String,
        /// The table's numeric columns, joined with `, `.
        available: String,
    },
    /// The phenotype column is also listed as a covariate.
    #[error("{path}: '{name}' is both the phenotype and a covariate")]
    PhenotypeIsCovariate {
        /// Phenotype table.
        path: PathBuf,
        /// The column named twice.
        name: String,
    },
    /// A covariate is listed more than once (it would make the design collinear).
    #[error("{path}: covariate '{name}' is listed twice")]
    DuplicateCovariate {
        /// Phenotype table.
        path: PathBuf,
        /// The repeated covariate.
        name: String,
    },
    /// [`TraitType::Binary`] was asked for but the phenotype has a value other than 0 or 1.
    #[error("{path}: phenotype '{name}' is not binary: found value {value} (expected 0, 1 or NA)")]
    NotBinary {
        /// Phenotype table.
        path: PathBuf,
        /// The phenotype column.
        name: String,
        /// The first value found that is neither 0 nor 1.
        value: f64,
    },
    /// No genotype sample ID (after `--id-delim` splitting) is an IID of the phenotype
    /// table.
    #[error("no sample of {genotypes} is in {phenotypes}: genotype IDs look like {genotype_examples}, phenotype IIDs like {pheno_examples}{hint}")]
    NoOverlap {
        /// Genotype file.
        genotypes: PathBuf,
        /// Phenotype table.
        phenotypes: PathBuf,
        /// The first few genotype sample IDs, quoted and joined with `, `.
        genotype_examples: String,
        /// The first few phenotype IIDs, quoted and joined with `, `.
        pheno_examples: String,
        /// A suggestion (`--id-delim _` when the genotype IDs contain `_`), or empty.
        hint: String,
    },
    /// After dropping samples missing the phenotype or a covariate (or outside `keep`),
    /// no more samples remain than the model has parameters (intercept, covariates,
    /// genotype).
    #[error("{path}: only {n} samples have genotypes, phenotype '{name}' and all covariates, fewer than needed for {params} parameters")]
    TooFewSamples {
        /// Phenotype table.
        path: PathBuf,
        /// The phenotype column.
        name: String,
        /// Samples left.
        n: usize,
        /// Parameters of the model: covariates + 2.
        params: usize,
    },
    /// Every analysed sample has the same phenotype value, so nothing can be estimated.
    #[error(
        "{path}: phenotype '{name}' has a single value ({value}) among the {n} analysed samples"
    )]
    ConstantPhenotype {
        /// Phenotype table.
        path: PathBuf,
        /// The phenotype column.
        name: String,
        /// The one value.
        value: f64,
        /// Analysed samples.
        n: usize,
    },
    /// The intercept and covariates are linearly dependent over the analysed samples
    /// (a constant covariate, or one that is a combination of others).
    #[error("{path}: covariates {names} are collinear (one is a linear combination of the others, or constant) among the {n} analysed samples")]
    CollinearCovariates {
        /// Phenotype table.
        path: PathBuf,
        /// All covariates, joined with `, ` (which one is redundant is not determined).
        names: String,
        /// Analysed samples.
        n: usize,
    },
}

/// What a run did, for the closing message.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GwasSummary {
    /// True when the phenotype was modelled as binary (logistic/Firth).
    pub binary: bool,
    /// Samples in the model (before per-variant genotype missingness).
    pub n_samples: usize,
    /// Analysed samples with phenotype 1 (binary runs only; 0 otherwise).
    pub n_cases: usize,
    /// Analysed samples with phenotype 0 (binary runs only; 0 otherwise).
    pub n_controls: usize,
    /// Genotype sites read (in the region, if one was given), multi-allelic or not.
    pub n_sites: u64,
    /// Rows written (one per ALT allele).
    pub n_tests: u64,
    /// Rows whose BETA/SE/P are NA (monomorphic, collinear, or no fit converged).
    pub n_na: u64,
    /// Binary rows fitted by Firth's method after logistic regression failed.
    pub n_firth: u64,
}

/// The model fixed for the whole run.
struct Model {
    binary: bool,
    /// Genotype-file index of each analysed sample.
    samples: Vec<usize>,
    y: Vec<f64>,
    /// Intercept, then the covariates, over the analysed samples.
    covariates: Vec<Vec<f64>>,
    /// Least-squares basis for the full sample set (quantitative only).
    basis: Option<LinearBasis>,
    /// Covariate-only logistic estimate, the starting point of each variant's fit.
    null_beta: Vec<f64>,
}

/// One output row.
struct Row {
    text: String,
    na: bool,
    firth: bool,
}

/// Tests every variant of `source` (in `options.region`) and writes the table to `out`,
/// atomically.
pub fn run(
    source: &mut dyn GenotypeSource,
    table: &PhenoTable,
    options: &GwasOptions,
    out: &Path,
) -> Result<GwasSummary, GwasError> {
    let write_err = |source| {
        GwasError::Write(crate::util::PathIoError {
            path: out.to_path_buf(),
            source,
        })
    };
    // Check the configuration before creating anything.
    let model = build_model(source, table, options)?;
    let mut set = OutputSet::new();
    let file = set.create(out).map_err(write_err)?;
    let mut w = std::io::BufWriter::new(file.as_file_mut());
    let summary = stream(source, &model, options, &mut w, out)?;
    w.flush().map_err(write_err)?;
    drop(w);
    set.commit().map_err(write_err)?;
    Ok(summary)
}

/// Like [`run`], writing to any writer; `out` names it in messages.
pub fn run_to(
    source: &mut dyn GenotypeSource,
    table: &PhenoTable,
    options: &GwasOptions,
    w: &mut dyn Write,
    out: &Path,
) -> Result<GwasSummary, GwasError> {
    let model = build_model(source, table, options)?;
    stream(source, &model, options, w, out)
}

/// Tests every wanted site and writes the rows in file order.
fn stream(
    source: &mut dyn GenotypeSource,
    model: &Model,
    options: &GwasOptions,
    w: &mut dyn Write,
    out: &Path,
) -> Result<GwasSummary, GwasError> {
    let write_err = |source| {
        GwasError::Write(crate::util::PathIoError {
            path: out.to_path_buf(),
            source,
        })
    };
    let mut summary = GwasSummary {
        binary: model.binary,
        n_samples: model.samples.len(),
        ..GwasSummary::default()
    };
    if model.binary {
        summary.n_cases = model.y.iter().filter(|&&v| v > 0.5).count();
        summary.n_controls = model.y.len() - summary.n_cases;
    }
    let mut header = HEADER.join("\t");
    if model.binary {
        header.push_str("\tFIRTH_YN");
    }
    writeln!(w, "{header}").map_err(write_err)?;

    let bar = crate::util::spinner(options.progress);
    let filter = SiteFilter::all().with_region(options.region.clone());
    let mut batch: Vec<(Site, Box<dyn Payload>)> = Vec::with_capacity(BATCH_SITES);
    loop {
        let next = source.next_site(&filter)?;
        let done = next.is_none();
        if let Some(site) = next {
            summary.n_sites += 1;
            let payload = source.payload()?;
            batch.push((site, payload));
        }
        if batch.len() >= BATCH_SITES || (done && !batch.is_empty()) {
            let rows: Vec<Vec<Row>> = std::mem::take(&mut batch)
                .into_par_iter()
                .map_init(Dosages::new, |d, (site, payload)| {
                    test_site(model, &site, payload.as_ref(), d)
                })
                .collect::<Result<_, _>>()?;
            for row in rows.iter().flatten() {
                w.write_all(row.text.as_bytes()).map_err(write_err)?;
                summary.n_tests += 1;
                summary.n_na += u64::from(row.na);
                summary.n_firth += u64::from(row.firth);
            }
            bar.set_message(format!(
                "{} sites tested, {} rows",
                summary.n_sites, summary.n_tests
            ));
        }
        if done {
            break;
        }
    }
    bar.finish_and_clear();
    Ok(summary)
}

/// The key a genotype sample ID is matched by.
fn match_key(id: &str, delim: Option<char>) -> &str {
    match delim.and_then(|d| id.split_once(d)) {
        Some((_, iid)) => iid,
        None => id,
    }
}

fn examples<'a>(ids: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<String> = ids.take(ID_EXAMPLES).map(|s| format!("'{s}'")).collect();
    v.join(", ")
}

/// Resolves columns and samples, decides the trait type and fits the covariate-only parts.
fn build_model(
    source: &dyn GenotypeSource,
    table: &PhenoTable,
    options: &GwasOptions,
) -> Result<Model, GwasError> {
    let path = table.path().to_path_buf();
    let available = || table.names().join(", ");
    let pheno = table
        .column(&options.phenotype)
        .ok_or_else(|| GwasError::PhenotypeNotFound {
            path: path.clone(),
            name: options.phenotype.clone(),
            available: available(),
        })?;
    let mut covars = Vec::with_capacity(options.covariates.len());
    for (i, name) in options.covariates.iter().enumerate() {
        if *name == options.phenotype {
            return Err(GwasError::PhenotypeIsCovariate {
                path,
                name: name.clone(),
            });
        }
        if options.covariates[..i].contains(name) {
            return Err(GwasError::DuplicateCovariate {
                path,
                name: name.clone(),
            });
        }
        covars.push(
            table
                .column(name)
                .ok_or_else(|| GwasError::CovariateNotFound {
                    path: path.clone(),
                    name: name.clone(),
                    available: available(),
                })?,
        );
    }
    let is_01 = |v: f64| v == 0.0 || v == 1.0;
    let binary = match options.trait_type {
        TraitType::Quantitative => false,
        TraitType::Auto => pheno.iter().flatten().all(|&v| is_01(v)),
        TraitType::Binary => {
            if let Some(&value) = pheno.iter().flatten().find(|&&v| !is_01(v)) {
                return Err(GwasError::NotBinary {
                    path,
                    name: options.phenotype.clone(),
                    value,
                });
            }
            true
        }
    };

    // Samples in both files, in genotype-file order.
    let row_of: HashMap<&str, usize> = table
        .iids()
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let ids = source.sample_ids();
    let mut any_overlap = false;
    let mut samples = Vec::new();
    let mut y = Vec::new();
    let mut rows = Vec::new();
    for (gi, id) in ids.iter().enumerate() {
        let key = match_key(id, options.id_delim);
        let Some(&r) = row_of.get(key) else {
            continue;
        };
        any_overlap = true;
        if options.keep.as_ref().is_some_and(|k| !k.contains(key)) {
            continue;
        }
        let Some(v) = pheno[r] else { continue };
        if covars.iter().any(|c| c[r].is_none()) {
            continue;
        }
        samples.push(gi);
        y.push(v);
        rows.push(r);
    }
    if !any_overlap {
        let hint = match options.id_delim {
            None if ids.iter().any(|s| s.contains('_')) => {
                "; if the genotype IDs are FID_IID, try --id-delim _".to_string()
            }
            _ => String::new(),
        };
        return Err(GwasError::NoOverlap {
            genotypes: source.path().to_path_buf(),
            phenotypes: path,
            genotype_examples: examples(ids.iter().map(|s| s.as_str())),
            pheno_examples: examples(table.iids().iter().map(|s| s.as_str())),
            hint,
        });
    }
    let params = covars.len() + 2;
    if samples.len() <= params {
        return Err(GwasError::TooFewSamples {
            path,
            name: options.phenotype.clone(),
            n: samples.len(),
            params,
        });
    }
    if y.iter().all(|&v| v == y[0]) {
        return Err(GwasError::ConstantPhenotype {
            path,
            name: options.phenotype.clone(),
            value: y[0],
            n: y.len(),
        });
    }
    let mut columns = vec![vec![1.0; samples.len()]];
    for c in &covars {
        columns.push(rows.iter().map(|&r| c[r].expect("checked")).collect());
    }
    let collinear = || GwasError::CollinearCovariates {
        path: path.clone(),
        names: options.covariates.join(", "),
        n: samples.len(),
    };
    let basis = LinearBasis::new(&columns, &y).ok_or_else(collinear)?;
    let (basis, null_beta) = if binary {
        let start = vec![0.0; columns.len()];
        let null = regress::logistic(&columns, &y, &start)
            .map(|f| f.beta)
            .unwrap_or(start);
        (None, null)
    } else {
        (Some(basis), Vec::new())
    };
    Ok(Model {
        binary,
        samples,
        y,
        covariates: columns,
        basis,
        null_beta,
    })
}

/// Decodes one site and tests each of its ALT alleles.
fn test_site(
    model: &Model,
    site: &Site,
    payload: &dyn Payload,
    dosages: &mut Dosages,
) -> Result<Vec<Row>, GwasError> {
    payload.decode(dosages)?;
    let ploidy = dosages.ploidy();
    let mut rows = Vec::with_capacity(site.alt_alleles.len());
    for (a, alt) in site.alt_alleles.iter().enumerate() {
        let dose = dosages.allele(a + 1);
        // Analysed samples with a call here (positions into `model.samples`).
        let mut present = Vec::with_capacity(model.samples.len());
        let mut g = Vec::with_capacity(model.samples.len());
        let (mut dose_sum, mut ploidy_sum) = (0.0, 0.0);
        for (i, &s) in model.samples.iter().enumerate() {
            let d = dose[s];
            if d.is_nan() {
                continue;
            }
            present.push(i);
            g.push(d);
            dose_sum += d;
            ploidy_sum += f64::from(ploidy[s]);
        }
        let n = g.len();
        let complete = n == model.samples.len();
        let subset = |v: &[f64]| -> Vec<f64> { present.iter().map(|&i| v[i]).collect() };
        let (estimate, firth) = if n == 0 {
            (None, false)
        } else if model.binary {
            let (y, mut x) = if complete {
                (model.y.clone(), model.covariates.clone())
            } else {
                (
                    subset(&model.y),
                    model.covariates.iter().map(|c| subset(c)).collect(),
                )
            };
            x.push(g);
            test_binary(model, &x, &y)
        } else if complete {
            (model.basis.as_ref().expect("quantitative").test(&g), false)
        } else {
            let y = subset(&model.y);
            let cols: Vec<Vec<f64>> = model.covariates.iter().map(|c| subset(c)).collect();
            (LinearBasis::new(&cols, &y).and_then(|b| b.test(&g)), false)
        };
        let freq = if ploidy_sum > 0.0 {
            dose_sum / ploidy_sum
        } else {
            f64::NAN
        };
        let text = format_row(site, alt, freq, n, estimate, model.binary.then_some(firth));
        rows.push(Row {
            text,
            na: estimate.is_none(),
            firth,
        });
    }
    Ok(rows)
}

/// One output row: the [`HEADER`] columns, then FIRTH_YN when `firth` is given.
fn format_row(
    site: &Site,
    alt: &str,
    freq: f64,
    n: usize,
    estimate: Option<Estimate>,
    firth: Option<bool>,
) -> String {
    let mut text = String::with_capacity(96);
    let _ = write!(
        text,
        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        site.chrom,
        site.pos,
        site.id,
        site.ref_allele,
        alt,
        alt,
        fmt_f64(freq),
        n
    );
    match estimate {
        Some(e) => {
            let _ = write!(
                text,
                "\t{}\t{}\t{}",
                fmt_f64(e.beta),
                fmt_f64(e.se),
                fmt_f64(e.p)
            );
        }
        None => text.push_str("\tNA\tNA\tNA"),
    }
    if let Some(firth) = firth {
        text.push_str(if firth { "\tY" } else { "\tN" });
    }
    text.push('\n');
    text
}

/// Logistic regression of one variant, with the Firth fallback. Returns the estimate (if
/// any fit succeeded) and whether Firth's method produced it.
fn test_binary(model: &Model, x: &[Vec<f64>], y: &[f64]) -> (Option<Estimate>, bool) {
    let p = x.len();
    if y.len() <= p || y.iter().all(|&v| v == y[0]) {
        return (None, false);
    }
    // A genotype that is a combination of the covariates (monomorphic) has no estimate.
    if LinearBasis::new(x, &vec![0.0; y.len()]).is_none() {
        return (None, false);
    }
    let mut start = model.null_beta.clone();
    start.push(0.0);
    if let Some(e) = regress::logistic(x, y, &start).and_then(|f| f.last()) {
        return (Some(e), false);
    }
    let zero = vec![0.0; p];
    match regress::firth(x, y, &zero).and_then(|f| f.last()) {
        Some(e) => (Some(e), true),
        None => (None, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genome::Chrom;
    use crate::io::Location;

    /// An in-memory genotype source: dosages of ALT allele 1 per site (`NaN` = missing).
    struct Mem {
        ids: Vec<String>,
        sites: Vec<(Site, Vec<f64>)>,
        next: usize,
    }

    struct MemPayload(Vec<f64>);

    impl Payload for MemPayload {
        fn decode(&self, out: &mut Dosages) -> Result<(), ReadError> {
            out.reset(self.0.len(), 2);
            for (s, &d) in self.0.iter().enumerate() {
                out.set(1, s, d);
            }
            out.fill_reference_from_alts();
            Ok(())
        }
    }

    impl GenotypeSource for Mem {
        fn path(&self) -> &Path {
            Path::new("mem.vcf")
        }
        fn format_name(&self) -> String {
            "memory".into()
        }
        fn sample_ids(&self) -> &[String] {
            &self.ids
        }
        fn next_site(&mut self, filter: &SiteFilter) -> Result<Option<Site>, ReadError> {
            while self.next < self.sites.len() {
                self.next += 1;
                let s = &self.sites[self.next - 1].0;
                if filter.wants(&s.chrom, s.pos) {
                    return Ok(Some(s.clone()));
                }
            }
            Ok(None)
        }
        fn payload(&mut self) -> Result<Box<dyn Payload>, ReadError> {
            Ok(Box::new(MemPayload(self.sites[self.next - 1].1.clone())))
        }
        fn location(&self) -> Location {
            Location::Record(self.next as u64)
        }
    }

    fn site(pos: u64) -> Site {
        Site {
            chrom: Chrom::parse("1"),
            pos,
            id: format!("v{pos}"),
            ref_allele: "A".into(),
            alt_alleles: vec!["G".into()],
        }
    }

    fn run_mem(source: &mut Mem, table: &str, options: &GwasOptions) -> Result<String, GwasError> {
        let t = PhenoTable::parse(Path::new("p.tsv"), table).unwrap();
        let mut out = Vec::new();
        run_to(source, &t, options, &mut out, Path::new("out.tsv"))?;
        Ok(String::from_utf8(out).unwrap())
    }

    fn field(text: &str, row: usize, col: &str) -> String {
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
        let c = header.iter().position(|h| *h == col).unwrap();
        lines
            .nth(row)
            .unwrap()
            .split('\t')
            .nth(c)
            .unwrap()
            .to_string()
    }

    #[test]
    fn missing_calls_are_dropped_per_variant_and_match_a_refit() {
        let ids: Vec<String> = (0..8).map(|i| format!("F{i}_S{i}")).collect();
        let g1 = vec![0.0, 1.0, 2.0, 1.0, 0.0, 2.0, 1.0, 1.0];
        let mut g2 = g1.clone();
        g2[3] = f64::NAN;
        let mut source = Mem {
            ids,
            sites: vec![(site(10), g1.clone()), (site(20), g2)],
            next: 0,
        };
        let y = [1.0, 2.1, 3.2, 1.9, 0.8, 3.1, 2.4, 1.7];
        let age = [30.0, 41.0, 52.0, 33.0, 60.0, 45.0, 38.0, 49.0];
        let mut table = String::from("IID\ty\tage\n");
        for i in 0..8 {
            table.push_str(&format!("S{i}\t{}\t{}\n", y[i], age[i]));
        }
        let options = GwasOptions {
            phenotype: "y".into(),
            covariates: vec!["age".into()],
            id_delim: Some('_'),
            ..GwasOptions::default()
        };
        let text = run_mem(&mut source, &table, &options).unwrap();
        assert_eq!(text.lines().next().unwrap(), HEADER.join("\t"));
        assert_eq!(field(&text, 0, "N"), "8");
        assert_eq!(field(&text, 1, "N"), "7");
        // The second row equals a fit on the 7 samples with a call.
        let keep: Vec<usize> = (0..8).filter(|&i| i != 3).collect();
        let cols = vec![vec![1.0; 7], keep.iter().map(|&i| age[i]).collect()];
        let yy: Vec<f64> = keep.iter().map(|&i| y[i]).collect();
        let gg: Vec<f64> = keep.iter().map(|&i| g1[i]).collect();
        let want = LinearBasis::new(&cols, &yy).unwrap().test(&gg).unwrap();
        assert_eq!(field(&text, 1, "BETA"), fmt_f64(want.beta));
        assert_eq!(field(&text, 1, "SE"), fmt_f64(want.se));
        assert_eq!(field(&text, 1, "A1_FREQ"), fmt_f64(7.0 / 14.0));
        assert_ne!(field(&text, 0, "BETA"), field(&text, 1, "BETA"));
    }

    #[test]
    fn binary_traits_use_logistic_with_firth_fallback() {
        let ids: Vec<String> = (0..12).map(|i| format!("s{i}")).collect();
        let y = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        // Site 1 separates cases from controls; site 2 does not; site 3 is monomorphic.
        let sep = vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 1.0, 1.0, 2.0, 1.0];
        let mixed = vec![0.0, 1.0, 0.0, 2.0, 0.0, 1.0, 1.0, 2.0, 0.0, 1.0, 2.0, 1.0];
        let mono = vec![1.0; 12];
        let mut source = Mem {
            ids: ids.clone(),
            sites: vec![(site(1), sep), (site(2), mixed.clone()), (site(3), mono)],
            next: 0,
        };
        let mut table = String::from("IID\tcase\n");
        for (i, v) in y.iter().enumerate() {
            table.push_str(&format!("s{i}\t{v}\n"));
        }
        let options = GwasOptions {
            phenotype: "case".into(),
            ..GwasOptions::default()
        };
        let text = run_mem(&mut source, &table, &options).unwrap();
        assert!(text.lines().next().unwrap().ends_with("\tP\tFIRTH_YN"));
        assert_eq!(field(&text, 0, "FIRTH_YN"), "Y");
        assert!(field(&text, 0, "BETA").parse::<f64>().unwrap() > 0.0);
        assert_eq!(field(&text, 1, "FIRTH_YN"), "N");
        let x = vec![vec![1.0; 12], mixed];
        let fit = regress::logistic(&x, &y, &[0.0, 0.0]).unwrap();
        let b: f64 = field(&text, 1, "BETA").parse().unwrap();
        assert!((b - fit.beta[1]).abs() < 1e-9);
        assert_eq!(field(&text, 2, "BETA"), "NA");
        assert_eq!(field(&text, 2, "P"), "NA");
    }

    #[test]
    fn configuration_errors_are_typed() {
        let mk = || Mem {
            ids: vec!["FAM_a".into(), "FAM_b".into()],
            sites: vec![],
            next: 0,
        };
        let table = "IID\ty\tage\na\t1.5\t3\nb\t2.5\t4\n";
        let opt = |p: &str, c: &[&str]| GwasOptions {
            phenotype: p.into(),
            covariates: c.iter().map(|s| s.to_string()).collect(),
            id_delim: Some('_'),
            ..GwasOptions::default()
        };
        let e = run_mem(&mut mk(), table, &opt("bmi", &[])).unwrap_err();
        assert!(matches!(e, GwasError::PhenotypeNotFound { .. }));
        assert!(e
            .to_string()
            .contains("p.tsv: no phenotype column 'bmi' (available: y, age)"));
        let e = run_mem(&mut mk(), table, &opt("y", &["pc1"])).unwrap_err();
        assert!(matches!(e, GwasError::CovariateNotFound { .. }));
        let e = run_mem(&mut mk(), table, &opt("y", &["age"])).unwrap_err();
        assert!(
            matches!(
                e,
                GwasError::TooFewSamples {
                    n: 2,
                    params: 3,
                    ..
                }
            ),
            "{e}"
        );
        let mut o = opt("y", &[]);
        o.trait_type = TraitType::Binary;
        let e = run_mem(&mut mk(), table, &o).unwrap_err();
        assert!(matches!(e, GwasError::NotBinary { .. }));
        let mut o = opt("y", &[]);
        o.id_delim = None;
        let e = run_mem(&mut mk(), table, &o).unwrap_err().to_string();
        assert!(
            e.contains("'FAM_a'") && e.contains("'a'") && e.contains("--id-delim _"),
            "{e}"
        );
        let e = run_mem(&mut mk(), table, &opt("y", &["y"])).unwrap_err();
        assert!(matches!(e, GwasError::PhenotypeIsCovariate { .. }));
    }
}
