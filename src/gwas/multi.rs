//! Many quantitative phenotypes tested in one pass over the genotypes.
//!
//! For phenotypes that share their analysed samples and covariates, the least-squares
//! test of every variant needs only three numbers per (variant, phenotype): `g·g`, `r·r`
//! and `r·y_resid`, where `r` is the genotype with the covariates projected out
//! (Frisch–Waugh–Lovell; see [`LinearBasis`]). A batch of variants is therefore
//! residualised with two small matrix products against the covariate basis, and tested
//! against all phenotypes at once with one product `R · Y`, which is what makes a
//! biobank-wide scan of thousands of traits cost little more than one trait. The numbers
//! are those of the one-phenotype path, which remains the reference.
//!
//! Variants with a missing call among the analysed samples are refitted exactly on their
//! own sample subset, as [`super::run`] does. Binary phenotypes are not batched: each runs
//! through [`super::run`] (logistic regression).

use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::regress::{Estimate, LinearBasis};
use super::{build_model, format_row, GwasError, GwasOptions, GwasSummary, Model, BATCH_SITES};
use crate::io::{Dosages, GenotypeSource, Payload, Site, SiteFilter};
use crate::util::OutputSet;

/// Variants residualised and multiplied together by one rayon task.
const TASK_COLUMNS: usize = 32;
/// gzip level of `.gz` outputs: fast, since association tables compress well anyway.
const GZ_LEVEL: u32 = 1;

/// Tests each phenotype of `phenotypes` against every variant of `source`, writing one
/// table per phenotype to the matching path of `outs` (gzip when the path ends in `.gz`).
/// All tables are committed together, or none.
///
/// Quantitative phenotypes with the same analysed samples share one pass; binary ones
/// (and other sample sets) each take their own pass. `options.phenotype` is ignored.
pub fn run_many(
    open: &mut dyn FnMut() -> Result<Box<dyn GenotypeSource>, GwasError>,
    table: &crate::pheno::PhenoTable,
    options: &GwasOptions,
    phenotypes: &[String],
    outs: &[PathBuf],
) -> Result<Vec<GwasSummary>, GwasError> {
    assert_eq!(phenotypes.len(), outs.len(), "one output per phenotype");
    let mut source = open()?;
    // Validate every phenotype before any output is created.
    let mut models = Vec::with_capacity(phenotypes.len());
    for name in phenotypes {
        let mut o = options.clone();
        o.phenotype = name.clone();
        models.push(build_model(source.as_ref(), table, &o)?);
    }
    // Group batched phenotypes by their sample set.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, m) in models.iter().enumerate() {
        if m.binary {
            groups.push(vec![i]);
            continue;
        }
        match groups
            .iter_mut()
            .find(|g| !models[g[0]].binary && models[g[0]].samples == m.samples)
        {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    let mut set = OutputSet::new();
    let mut summaries = vec![GwasSummary::default(); phenotypes.len()];
    for (gi, group) in groups.iter().enumerate() {
        if gi > 0 {
            source = open()?;
        }
        let mut writers = Vec::with_capacity(group.len());
        for &i in group {
            let file = set.create(&outs[i]).map_err(|e| write_err(&outs[i], e))?;
            let file = file
                .as_file()
                .try_clone()
                .map_err(|e| write_err(&outs[i], e))?;
            writers.push(TableWriter::new(&outs[i], file));
        }
        let group_models: Vec<&Model> = group.iter().map(|&i| &models[i]).collect();
        let group_summaries = if group_models[0].binary {
            let mut w = writers.pop().expect("one writer");
            let mut o = options.clone();
            o.phenotype = phenotypes[group[0]].clone();
            let s = super::stream(
                source.as_mut(),
                group_models[0],
                &o,
                &mut w,
                &outs[group[0]],
            )?;
            w.finish()?;
            vec![s]
        } else {
            let s = stream_many(source.as_mut(), &group_models, options, &mut writers)?;
            for w in writers {
                w.finish()?;
            }
            s
        };
        for (&i, s) in group.iter().zip(group_summaries) {
            summaries[i] = s;
        }
    }
    set.commit().map_err(|e| write_err(&outs[0], e))?;
    Ok(summaries)
}

fn write_err(path: &Path, source: std::io::Error) -> GwasError {
    GwasError::Write(crate::util::PathIoError {
        path: path.to_path_buf(),
        source,
    })
}

/// A buffered table file, gzip-compressed when its name ends in `.gz`.
struct TableWriter {
    path: PathBuf,
    inner: Box<dyn Write + Send>,
}

impl TableWriter {
    fn new(path: &Path, file: std::fs::File) -> TableWriter {
        let buffered = std::io::BufWriter::with_capacity(1 << 20, file);
        let inner: Box<dyn Write + Send> = if path.extension().is_some_and(|e| e == "gz") {
            Box::new(flate2::write::GzEncoder::new(
                buffered,
                flate2::Compression::new(GZ_LEVEL),
            ))
        } else {
            Box::new(buffered)
        };
        TableWriter {
            path: path.to_path_buf(),
            inner,
        }
    }

    fn finish(mut self) -> Result<(), GwasError> {
        self.inner.flush().map_err(|e| write_err(&self.path, e))?;
        // Dropping a GzEncoder writes its trailer; make it explicit so errors surface.
        let inner = std::mem::replace(&mut self.inner, Box::new(std::io::sink()));
        drop(inner);
        Ok(())
    }
}

impl Write for TableWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// One tested (site, ALT allele): its genotype over the analysed samples when complete.
struct Column {
    site: usize,
    allele: usize,
    freq: f64,
    n: usize,
    /// `None` when some analysed sample has no call (tested exactly, per phenotype).
    g: Option<Vec<f64>>,
    /// Per phenotype, filled by the exact path for incomplete columns.
    exact: Vec<Option<Estimate>>,
}

/// One pass testing all `models` (same samples and covariates, quantitative).
fn stream_many(
    source: &mut dyn GenotypeSource,
    models: &[&Model],
    options: &GwasOptions,
    writers: &mut [TableWriter],
) -> Result<Vec<GwasSummary>, GwasError> {
    let n_pheno = models.len();
    let samples = &models[0].samples;
    let n = samples.len();
    let bases: Vec<&LinearBasis> = models
        .iter()
        .map(|m| m.basis.as_ref().expect("quantitative"))
        .collect();
    let q = bases[0].q();
    let k = q.len();
    // Q as k × n row-major, Y_resid as P × n row-major.
    let q_mat: Vec<f64> = q.iter().flatten().copied().collect();
    let y_mat: Vec<f64> = bases
        .iter()
        .flat_map(|b| b.y_resid().iter().copied())
        .collect();

    let mut summaries: Vec<GwasSummary> = models
        .iter()
        .map(|m| GwasSummary {
            n_samples: m.samples.len(),
            ..GwasSummary::default()
        })
        .collect();
    let header = super::HEADER.join("\t");
    for w in writers.iter_mut() {
        writeln!(w, "{header}").map_err(|e| write_err(&w.path, e))?;
    }
    let bar = crate::util::spinner(options.progress);
    let filter = SiteFilter::all().with_region(options.region.clone());
    let mut batch: Vec<(Site, Box<dyn Payload>)> = Vec::with_capacity(BATCH_SITES);
    let mut n_sites = 0u64;
    loop {
        let next = source.next_site(&filter)?;
        let done = next.is_none();
        if let Some(site) = next {
            n_sites += 1;
            let payload = source.payload()?;
            batch.push((site, payload));
        }
        if batch.len() >= BATCH_SITES || (done && !batch.is_empty()) {
            let sites: Vec<Site> = batch.iter().map(|(s, _)| s.clone()).collect();
            // Decode and collect columns in parallel.
            let per_site: Vec<Vec<Column>> = std::mem::take(&mut batch)
                .into_par_iter()
                .enumerate()
                .map_init(Dosages::new, |d, (si, (site, payload))| {
                    columns_of(si, &site, payload.as_ref(), d, models)
                })
                .collect::<Result<_, _>>()?;
            let mut columns: Vec<Column> = per_site.into_iter().flatten().collect();
            let complete: Vec<usize> = (0..columns.len())
                .filter(|&j| columns[j].g.is_some())
                .collect();
            // Sufficient statistics of complete columns, TASK_COLUMNS at a time.
            let stats: Vec<(f64, f64, Vec<f64>)> = complete
                .par_chunks(TASK_COLUMNS)
                .flat_map_iter(|chunk| {
                    let gs: Vec<&[f64]> = chunk
                        .iter()
                        .map(|&j| columns[j].g.as_deref().expect("complete"))
                        .collect();
                    products(&gs, &q_mat, k, &y_mat, n_pheno, n)
                })
                .collect();
            let mut results: Vec<Vec<Option<Estimate>>> = columns
                .iter_mut()
                .map(|c| std::mem::take(&mut c.exact))
                .collect();
            for (&j, (norm0, gg, gy)) in complete.iter().zip(&stats) {
                results[j] = bases
                    .iter()
                    .zip(gy)
                    .map(|(b, &gy)| b.estimate(n, *norm0, *gg, gy))
                    .collect();
            }
            // Format each phenotype's rows in parallel, then write them in order.
            let texts: Vec<(String, u64)> = (0..n_pheno)
                .into_par_iter()
                .map(|p| {
                    let mut text = String::with_capacity(columns.len() * 96);
                    let mut na = 0;
                    for (c, r) in columns.iter().zip(&results) {
                        let site = &sites[c.site];
                        let alt = &site.alt_alleles[c.allele];
                        text.push_str(&format_row(site, alt, c.freq, c.n, r[p], None));
                        na += u64::from(r[p].is_none());
                    }
                    (text, na)
                })
                .collect();
            let write_texts = |(w, (text, _)): (&mut TableWriter, &(String, u64))| {
                w.write_all(text.as_bytes())
                    .map_err(|e| write_err(&w.path, e))
            };
            writers
                .par_iter_mut()
                .zip(&texts)
                .map(write_texts)
                .collect::<Result<Vec<()>, _>>()?;
            for (s, (_, na)) in summaries.iter_mut().zip(&texts) {
                s.n_tests += columns.len() as u64;
                s.n_na += na;
            }
            bar.set_message(format!(
                "{n_sites} sites tested against {n_pheno} phenotypes"
            ));
        }
        if done {
            break;
        }
    }
    bar.finish_and_clear();
    for s in &mut summaries {
        s.n_sites = n_sites;
    }
    Ok(summaries)
}

/// Decodes one site into its tested columns; incomplete ones are tested exactly here.
fn columns_of(
    si: usize,
    site: &Site,
    payload: &dyn Payload,
    dosages: &mut Dosages,
    models: &[&Model],
) -> Result<Vec<Column>, GwasError> {
    payload.decode(dosages)?;
    let samples = &models[0].samples;
    let ploidy = dosages.ploidy();
    let mut out = Vec::with_capacity(site.alt_alleles.len());
    for a in 0..site.alt_alleles.len() {
        let dose = dosages.allele(a + 1);
        let mut g = Vec::with_capacity(samples.len());
        let mut present = Vec::with_capacity(samples.len());
        let (mut dose_sum, mut ploidy_sum) = (0.0, 0.0);
        for (i, &s) in samples.iter().enumerate() {
            let d = dose[s];
            if d.is_nan() {
                continue;
            }
            present.push(i);
            g.push(d);
            dose_sum += d;
            ploidy_sum += f64::from(ploidy[s]);
        }
        let freq = if ploidy_sum > 0.0 {
            dose_sum / ploidy_sum
        } else {
            f64::NAN
        };
        let n = g.len();
        if n == samples.len() {
            out.push(Column {
                site: si,
                allele: a,
                freq,
                n,
                g: Some(g),
                exact: Vec::new(),
            });
            continue;
        }
        let exact = models
            .iter()
            .map(|m| {
                if n == 0 {
                    return None;
                }
                let y: Vec<f64> = present.iter().map(|&i| m.y[i]).collect();
                let cols: Vec<Vec<f64>> = m
                    .covariates
                    .iter()
                    .map(|c| present.iter().map(|&i| c[i]).collect())
                    .collect();
                LinearBasis::new(&cols, &y).and_then(|b| b.test(&g))
            })
            .collect();
        out.push(Column {
            site: si,
            allele: a,
            freq,
            n,
            g: None,
            exact,
        });
    }
    Ok(out)
}

/// For genotype columns `gs` (each of length `n`): `g·g`, then the residual `r = g − Q Qᵀ g`
/// (projected twice, as [`LinearBasis::test`] does) gives `r·r` and `r·y_p` for each of the
/// `p` residualised phenotypes. `q` is k × n and `y` is p × n, both row-major.
fn products(
    gs: &[&[f64]],
    q: &[f64],
    k: usize,
    y: &[f64],
    p: usize,
    n: usize,
) -> Vec<(f64, f64, Vec<f64>)> {
    let b = gs.len();
    // R: b × n row-major.
    let mut r: Vec<f64> = Vec::with_capacity(b * n);
    for g in gs {
        r.extend_from_slice(g);
    }
    let norm0: Vec<f64> = gs.iter().map(|g| g.iter().map(|x| x * x).sum()).collect();
    let mut qtr = vec![0.0; k * b];
    for _ in 0..2 {
        // QtR (k × b) = Q (k × n) · Rᵀ (n × b).
        gemm(k, n, b, 1.0, q, (n, 1), &r, (1, n), 0.0, &mut qtr, (b, 1));
        // R (b × n) −= (QtR)ᵀ (b × k) · Q (k × n).
        gemm(b, k, n, -1.0, &qtr, (1, b), q, (n, 1), 1.0, &mut r, (n, 1));
    }
    // RY (b × p) = R (b × n) · Yᵀ (n × p).
    let mut ry = vec![0.0; b * p];
    gemm(b, n, p, 1.0, &r, (n, 1), y, (1, n), 0.0, &mut ry, (p, 1));
    (0..b)
        .map(|j| {
            let row = &r[j * n..(j + 1) * n];
            let gg = row.iter().map(|x| x * x).sum();
            (norm0[j], gg, ry[j * p..(j + 1) * p].to_vec())
        })
        .collect()
}

/// `C = alpha · A · B + beta · C` for an m × k matrix A, a k × n matrix B and an m × n
/// matrix C, each given with its (row stride, column stride) in elements.
#[allow(clippy::too_many_arguments)]
fn gemm(
    m: usize,
    k: usize,
    n: usize,
    alpha: f64,
    a: &[f64],
    (rsa, csa): (usize, usize),
    bm: &[f64],
    (rsb, csb): (usize, usize),
    beta: f64,
    c: &mut [f64],
    (rsc, csc): (usize, usize),
) {
    let last = |rows: usize, cols: usize, rs: usize, cs: usize| {
        if rows == 0 || cols == 0 {
            0
        } else {
            (rows - 1) * rs + (cols - 1) * cs + 1
        }
    };
    assert!(a.len() >= last(m, k, rsa, csa), "A out of bounds");
    assert!(bm.len() >= last(k, n, rsb, csb), "B out of bounds");
    assert!(c.len() >= last(m, n, rsc, csc), "C out of bounds");
    // SAFETY: the assertions above keep every element the strides address inside the
    // slices, and `c` is borrowed mutably, so it aliases neither `a` nor `bm`.
    unsafe {
        matrixmultiply::dgemm(
            m,
            k,
            n,
            alpha,
            a.as_ptr(),
            rsa as isize,
            csa as isize,
            bm.as_ptr(),
            rsb as isize,
            csb as isize,
            beta,
            c.as_mut_ptr(),
            rsc as isize,
            csc as isize,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batched_products_equal_the_one_column_path() {
        let n = 97;
        let mut rng = crate::rng::Rng::new(3);
        let age: Vec<f64> = (0..n).map(|_| 40.0 + 30.0 * rng.uniform()).collect();
        let sex: Vec<f64> = (0..n)
            .map(|_| f64::from(u8::from(rng.bernoulli(0.5))))
            .collect();
        let cols = vec![vec![1.0; n], age.clone(), sex.clone()];
        let ys: Vec<Vec<f64>> = (0..3)
            .map(|p| {
                (0..n)
                    .map(|i| rng.normal() + 0.01 * p as f64 * age[i])
                    .collect()
            })
            .collect();
        let bases: Vec<LinearBasis> = ys
            .iter()
            .map(|y| LinearBasis::new(&cols, y).unwrap())
            .collect();
        let gs: Vec<Vec<f64>> = (0..5)
            .map(|j| {
                (0..n)
                    .map(|i| {
                        if j == 4 {
                            1.0
                        } else {
                            rng.below(3) as f64 + 0.1 * sex[i]
                        }
                    })
                    .collect()
            })
            .collect();
        let q: Vec<f64> = bases[0].q().iter().flatten().copied().collect();
        let y: Vec<f64> = bases.iter().flat_map(|b| b.y_resid().to_vec()).collect();
        let refs: Vec<&[f64]> = gs.iter().map(|g| g.as_slice()).collect();
        let stats = products(&refs, &q, 3, &y, 3, n);
        for (j, (norm0, gg, gy)) in stats.iter().enumerate() {
            for (p, b) in bases.iter().enumerate() {
                let batched = b.estimate(n, *norm0, *gg, gy[p]);
                let single = b.test(&gs[j]);
                match (batched, single) {
                    (Some(x), Some(y)) => {
                        assert!((x.beta - y.beta).abs() < 1e-10 * (1.0 + y.beta.abs()));
                        assert!((x.se - y.se).abs() < 1e-10 * y.se);
                        assert!((x.p - y.p).abs() < 1e-9);
                    }
                    (None, None) => assert_eq!(j, 4, "only the constant column is untestable"),
                    other => panic!("column {j} phenotype {p}: {other:?}"),
                }
            }
        }
    }
}
