//! Tabular features beside the genomic image: age, sex, BMI and principal components.
//!
//! Med-Gemini-Polygenic gave each participant's age, sex and BMI with the image; the
//! non-linear interplay of genomics and these demographics is where the paper found its
//! gain. Features are standardised with the training split's means and standard
//! deviations ([`TabularSchema`], stored in the model's `config.json`). A missing value
//! (an `NA`, a participant absent from the table, or a column the table lacks) becomes
//! value 0 with `present` 0, so the model can learn what missingness means instead of
//! seeing an imputed number.

use serde::{Deserialize, Serialize};

use crate::pheno::{PhenoTable, SEX};

/// The demographics every schema has, in this order (ARCHITECTURE.md, "Phenotype table").
pub const DEMOGRAPHICS: [&str; 3] = ["age", SEX, "bmi"];
/// Principal-component columns are named `PC1`, `PC2`, ...
const PC_PREFIX: &str = "PC";

/// Feature names and their standardisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TabularSchema {
    /// `age`, `sex` (0 = female, 1 = male), `bmi`, then the table's `PC1..PCk` by number.
    pub names: Vec<String>,
    /// Mean of each feature over its observed values in the fitting rows (the training split),
    /// in the feature's own units (years, 0/1, kg/m², PC units); 0 for a feature never observed.
    pub means: Vec<f64>,
    /// Sample standard deviations (n − 1); 0 when fewer than two values differ, and
    /// such a feature standardises to 0.
    pub sds: Vec<f64>,
}

impl TabularSchema {
    /// Features in the schema (3 demographics plus the principal components).
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the schema has no features (never the case for a fitted schema, which always
    /// holds the 3 demographics).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The standardised value of feature `f`.
    pub fn standardise(&self, f: usize, x: f64) -> f64 {
        if self.sds[f] > 0.0 {
            (x - self.means[f]) / self.sds[f]
        } else {
            0.0
        }
    }
}

/// Features of a set of samples, sample-major: feature `f` of sample `i` is at
/// `i * n_features + f`.
#[derive(Clone, Debug, PartialEq)]
pub struct Tabular {
    /// Features per sample (`TabularSchema::len`).
    pub n_features: usize,
    /// Standardised values; 0 where missing.
    pub values: Vec<f32>,
    /// 1 where the value was observed, 0 where missing.
    pub present: Vec<f32>,
}

impl Tabular {
    /// Features of `n` samples with nothing observed (no covariate table given).
    pub fn missing(n: usize, schema: &TabularSchema) -> Tabular {
        Tabular {
            n_features: schema.len(),
            values: vec![0.0; n * schema.len()],
            present: vec![0.0; n * schema.len()],
        }
    }

    /// Samples held: `values.len() / n_features` (0 when there are no features).
    pub fn n_samples(&self) -> usize {
        self.values.len().checked_div(self.n_features).unwrap_or(0)
    }
}

/// The `PCk` columns of a table, ordered by `k`.
pub fn pc_columns(table: &PhenoTable) -> Vec<String> {
    let mut pcs: Vec<(u32, &String)> = table
        .names()
        .iter()
        .filter_map(|n| {
            let k = n.strip_prefix(PC_PREFIX)?;
            if k.is_empty() || !k.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some((k.parse().ok()?, n))
        })
        .collect();
    pcs.sort();
    pcs.into_iter().map(|(_, n)| n.clone()).collect()
}

/// The schema of `table`'s demographics and principal components, with means and
/// standard deviations over the observed values of `rows` (indices into
/// `table.iids()`, e.g. the training split). A feature with no observed value (or a
/// column the table lacks) gets mean 0 and sd 0.
///
/// # Panics
/// If a row index is out of range.
pub fn fit(table: &PhenoTable, rows: &[usize]) -> TabularSchema {
    let mut names: Vec<String> = DEMOGRAPHICS.iter().map(|s| s.to_string()).collect();
    names.extend(pc_columns(table));
    let mut means = Vec::with_capacity(names.len());
    let mut sds = Vec::with_capacity(names.len());
    for name in &names {
        let observed: Vec<f64> = match table.column(name) {
            Some(col) => rows.iter().filter_map(|&r| col[r]).collect(),
            None => Vec::new(),
        };
        let n = observed.len() as f64;
        let mean = if observed.is_empty() {
            0.0
        } else {
            observed.iter().sum::<f64>() / n
        };
        let constant = observed.windows(2).all(|w| w[0] == w[1]);
        let sd = if constant {
            0.0
        } else {
            (observed.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        };
        means.push(mean);
        sds.push(sd);
    }
    TabularSchema { names, means, sds }
}

/// The standardised features of the samples `ids` (genotype sample ids, matched to the
/// table's `IID`s). Samples absent from the table, `NA` values, and features whose
/// column the table lacks are missing: value 0, present 0.
pub fn features(table: &PhenoTable, ids: &[String], schema: &TabularSchema) -> Tabular {
    let rows = table.row_index();
    let columns: Vec<Option<&[Option<f64>]>> =
        schema.names.iter().map(|n| table.column(n)).collect();
    let mut out = Tabular::missing(ids.len(), schema);
    let nf = schema.len();
    for (i, id) in ids.iter().enumerate() {
        let Some(&r) = rows.get(id.as_str()) else {
            continue;
        };
        for (f, col) in columns.iter().enumerate() {
            if let Some(x) = col.and_then(|c| c[r]) {
                out.values[i * nf + f] = schema.standardise(f, x) as f32;
                out.present[i * nf + f] = 1.0;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn table(text: &str) -> PhenoTable {
        PhenoTable::parse(Path::new("pheno.tsv"), text).unwrap()
    }

    #[test]
    fn standardises_on_the_given_rows() {
        let t = table(
            "IID\tage\tsex\tbmi\tPC2\tPC10\tPC1\tPCx\tcad\n\
             a\t40\tF\t20\t1\t0\t5\t9\t1\n\
             b\t60\tM\t30\t3\t0\t5\t9\t0\n\
             c\t50\tM\tNA\t2\t0\t5\t9\t1\n\
             d\t1000\tF\t1000\t0\t0\t0\t9\t0\n",
        );
        // Fitted on a, b, c only: d's extreme values must not enter the statistics.
        let s = fit(&t, &[0, 1, 2]);
        assert_eq!(s.names, ["age", "sex", "bmi", "PC1", "PC2", "PC10"]);
        assert_eq!(s.means[0], 50.0);
        assert_eq!(s.sds[0], 10.0);
        assert!((s.means[1] - 2.0 / 3.0).abs() < 1e-12);
        // bmi: only a and b observed.
        assert_eq!(s.means[2], 25.0);
        assert!((s.sds[2] - 50f64.sqrt()).abs() < 1e-12);
        // PC1 and PC10 are constant on the training rows.
        assert_eq!((s.means[3], s.sds[3]), (5.0, 0.0));
        assert_eq!(s.sds[5], 0.0);

        let ids: Vec<String> = ["c", "zz", "d"].iter().map(|s| s.to_string()).collect();
        let f = features(&t, &ids, &s);
        assert_eq!(f.n_features, 6);
        assert_eq!(f.n_samples(), 3);
        let c = &f.values[0..6];
        assert_eq!(c[0], 0.0);
        assert!((c[1] - ((1.0 - 2.0 / 3.0) / s.sds[1]) as f32).abs() < 1e-6);
        // c's bmi is NA: missing.
        assert_eq!((c[2], f.present[2]), (0.0, 0.0));
        assert_eq!(&f.present[0..6], &[1.0, 1.0, 0.0, 1.0, 1.0, 1.0]);
        // A constant feature standardises to 0 but is present.
        assert_eq!((c[3], f.present[3]), (0.0, 1.0));
        // zz is not in the table: everything missing.
        assert!(f.values[6..12].iter().all(|&v| v == 0.0));
        assert!(f.present[6..12].iter().all(|&p| p == 0.0));
        // d: (1000 − 50) / 10.
        assert_eq!(f.values[12], 95.0);
        assert_eq!(f.values[13 + 1], ((1000.0 - 25.0) / 50f64.sqrt()) as f32);
    }

    #[test]
    fn absent_columns_are_missing() {
        let train = table("IID\tage\tsex\tbmi\tPC1\na\t40\tF\t20\t1\nb\t60\tM\t30\t-1\n");
        let s = fit(&train, &[0, 1]);
        assert_eq!(s.names, ["age", "sex", "bmi", "PC1"]);
        // A covariate file with only age and sex.
        let other = table("IID\tsex\tage\nx\tM\t50\n");
        let f = features(&other, &["x".to_string()], &s);
        assert_eq!(f.present, [1.0, 1.0, 0.0, 0.0]);
        assert_eq!(f.values[0], 0.0);
        assert!((f.values[1] - (0.5 / 0.5f64.sqrt()) as f32).abs() < 1e-6);
        // A training table without bmi: the feature is kept, with no statistics.
        let no_bmi = table("IID\tage\tsex\na\t40\tF\nb\t60\tM\n");
        let s = fit(&no_bmi, &[0, 1]);
        assert_eq!(s.names, ["age", "sex", "bmi"]);
        assert_eq!((s.means[2], s.sds[2]), (0.0, 0.0));
        let f = features(&train, &["a".to_string()], &s);
        assert_eq!(f.present, [1.0, 1.0, 1.0]);
        assert_eq!(f.values[2], 0.0);
        let m = Tabular::missing(2, &s);
        assert_eq!((m.values.len(), m.present.iter().sum::<f32>()), (6, 0.0));
    }

    #[test]
    fn schema_round_trips_through_json() {
        let t = table("IID\tage\tsex\tbmi\na\t40\tF\t20\nb\t60\tM\t30\n");
        let s = fit(&t, &[0, 1]);
        let json = serde_json::to_string(&s).unwrap();
        let back: TabularSchema = serde_json::from_str(&json).unwrap();
        assert_eq!(back.names, s.names);
        // serde_json parses floats to within 1 ulp unless its `float_roundtrip` feature
        // is on.
        for (a, b) in back
            .means
            .iter()
            .chain(&back.sds)
            .zip(s.means.iter().chain(&s.sds))
        {
            assert!((a - b).abs() <= 4.0 * f64::EPSILON * b.abs(), "{a} vs {b}");
        }
    }
}
