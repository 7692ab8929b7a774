//! `gwas` against plink2 `--glm` on the CINECA synthetic chr22 subset (2504 samples, 829
//! variants, three of them with missing calls), with seeded synthetic phenotypes that
//! carry a real genetic effect, missing values and age/sex covariates.

mod common;

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// Index (in file order) of the variant whose genotypes drive the simulated traits.
const CAUSAL_VARIANT: usize = 100;

/// Sample IDs and the ALT allele counts of one variant, read from the VCF's text.
fn samples_and_genotypes(vcf: &Path, variant: usize) -> (Vec<String>, Vec<f64>) {
    let file = std::fs::File::open(vcf).unwrap();
    let reader = std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file));
    let mut ids = Vec::new();
    let mut seen = 0;
    for line in reader.lines() {
        let line = line.unwrap();
        if line.starts_with("##") {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if line.starts_with("#CHROM") {
            ids = fields[9..].iter().map(|s| s.to_string()).collect();
            continue;
        }
        if seen == variant {
            let g = fields[9..]
                .iter()
                .map(|gt| {
                    gt.split(':')
                        .next()
                        .unwrap()
                        .split(['/', '|'])
                        .filter(|a| *a == "1")
                        .count() as f64
                })
                .collect();
            return (ids, g);
        }
        seen += 1;
    }
    panic!("{}: fewer than {variant} variants", vcf.display());
}

struct Files {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    ours: PathBuf,
    plink_pheno: PathBuf,
    plink_covar: PathBuf,
}

/// Writes our phenotype table (sex as F/M) and plink2's #IID-headed phenotype and
/// covariate files (sex 0/1) holding the same values.
fn write_phenotypes(vcf: &Path) -> Files {
    let (ids, g) = samples_and_genotypes(vcf, CAUSAL_VARIANT);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let mut rng = Lcg(20240611);
    let mut ours = String::from("IID\tage\tsex\tbmi\tq\tb\n");
    let mut pheno = String::from("#IID\tq\tb\n");
    let mut covar = String::from("#IID\tage\tsex\n");
    for (i, (id, &g)) in ids.iter().zip(&g).enumerate() {
        let age = 40.0 + (30.0 * rng.uniform()).floor();
        let male = rng.uniform() < 0.5;
        let sex = if male { 1.0 } else { 0.0 };
        let bmi = 18.0 + 15.0 * rng.uniform();
        let q = 0.35 * g + 0.02 * age + 0.3 * sex + rng.normal();
        let liability = 0.6 * g + 0.04 * (age - 55.0) - 0.2 * sex + rng.normal();
        let b = if liability > 0.4 { 1 } else { 0 };
        // Some missing values: phenotypes and a covariate.
        let age_s = if i % 131 == 7 {
            "NA".to_string()
        } else {
            age.to_string()
        };
        let q_s = if i % 97 == 3 {
            "NA".to_string()
        } else {
            q.to_string()
        };
        let b_s = if i % 89 == 5 {
            "NA".to_string()
        } else {
            b.to_string()
        };
        let sex_letter = if male { "M" } else { "F" };
        ours.push_str(&format!(
            "{id}\t{age_s}\t{sex_letter}\t{bmi}\t{q_s}\t{b_s}\n"
        ));
        pheno.push_str(&format!("{id}\t{q_s}\t{b_s}\n"));
        covar.push_str(&format!("{id}\t{age_s}\t{sex}\n"));
    }
    let w = |name: &str, text: &str| {
        let p = d.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    Files {
        ours: w("pheno.tsv", &ours),
        plink_pheno: w("plink.pheno", &pheno),
        plink_covar: w("plink.covar", &covar),
        dir: d,
        _dir: dir,
    }
}

/// Rows of a table keyed by CHROM:POS:REF:ALT.
fn by_variant(t: &Table) -> HashMap<String, usize> {
    let key = |r: &Vec<String>| {
        let c = |n: &str| r[t.col(n)].clone();
        format!("{}:{}:{}:{}", c("#CHROM"), c("POS"), c("REF"), c("ALT"))
    };
    t.rows
        .iter()
        .enumerate()
        .map(|(i, r)| (key(r), i))
        .collect()
}

fn close(a: f64, b: f64, rel: f64, abs: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()) + abs
}

/// -log10 P, within `tol` absolute or relative.
fn p_close(a: f64, b: f64, tol: f64) -> bool {
    let (la, lb) = (-a.log10(), -b.log10());
    (la - lb).abs() <= tol || close(la, lb, tol, 0.0)
}

/// Compares our table with plink2's; returns (variants compared, the strongest -log10 P,
/// the largest relative BETA difference).
fn compare(ours: &Path, plink: &Path, binary: bool) -> (usize, f64, f64) {
    let mut o = Table::read(ours);
    // Our header says CHROM; plink2's says #CHROM.
    let c = o.col("CHROM");
    o.header[c] = "#CHROM".into();
    let p = Table::read(plink);
    let ours_at = by_variant(&o);
    // Samples with phenotype and covariates: N of the variants without missing calls.
    let full_n = p
        .rows
        .iter()
        .map(|r| r[p.col("OBS_CT")].clone())
        .max_by_key(|s| s.parse::<u64>().unwrap())
        .unwrap();
    let mut compared = 0;
    let mut best = 0f64;
    let mut worst_beta = 0f64;
    for row in &p.rows {
        let f = |n: &str| row[p.col(n)].clone();
        let key = format!("{}:{}:{}:{}", f("#CHROM"), f("POS"), f("REF"), f("ALT"));
        let i = *ours_at
            .get(&key)
            .unwrap_or_else(|| panic!("{key}: in plink2's output but not ours"));
        let g = |n: &str| o.rows[i][o.col(n)].clone();
        assert_eq!(g("N"), f("OBS_CT"), "{key}: N");
        if f("ERRCODE") != "." {
            continue;
        }
        let num = |s: String| -> f64 { s.parse().unwrap_or_else(|_| panic!("{key}: '{s}'")) };
        let (b, se, pv) = (num(g("BETA")), num(g("SE")), num(g("P")));
        // plink2 prints 6 significant digits; for logistic models it prints the odds
        // ratio, so compare exp(BETA) with it (ln of a rounded OR near 1 loses the
        // relative precision of a small BETA).
        let (ours_b, pb, pse) = if binary {
            (b.exp(), num(f("OR")), num(f("LOG(OR)_SE")))
        } else {
            (b, num(f("BETA")), num(f("SE")))
        };
        assert!(
            close(ours_b, pb, 1e-4, 1e-6),
            "{key}: BETA {ours_b} vs plink2 {pb} (row {:?})",
            o.rows[i]
        );
        // plink2 2.00a3.5's logistic SE differs by up to ~7e-4 (relative) from the exact
        // inverse-information SE at variants with missing calls (an independent Newton fit
        // on the same subset agrees with ours to 1e-15), so those get a looser tolerance.
        let refit = binary && f("OBS_CT") != full_n;
        let (se_tol, p_tol) = if refit { (2e-3, 1e-2) } else { (1e-4, 1e-3) };
        assert!(
            close(se, pse, se_tol, 0.0),
            "{key}: SE {se} vs plink2 {pse} (ours {:?}, plink2 {row:?})",
            o.rows[i]
        );
        assert!(
            p_close(pv, num(f("P")), p_tol),
            "{key}: P {pv} vs plink2 {}",
            f("P")
        );
        assert!(
            close(num(g("A1_FREQ")), num(f("A1_FREQ")), 1e-4, 1e-6),
            "{key}: A1_FREQ"
        );
        if binary {
            assert_eq!(g("FIRTH_YN"), f("FIRTH?"), "{key}: Firth fallback");
        }
        assert_eq!(g("A1"), f("A1"));
        compared += 1;
        best = best.max(-pv.log10());
        worst_beta = worst_beta.max((ours_b - pb).abs() / ours_b.abs().max(pb.abs()));
    }
    (compared, best, worst_beta)
}

#[test]
fn gwas_matches_plink2_glm() {
    if !have_tool("plink2") {
        return;
    }
    let vcf = shared("pgs/cineca_synthetic_subset.vcf.gz");
    let files = write_phenotypes(&vcf);
    let out = |name: &str| files.dir.join(name).display().to_string();
    let pheno = files.ours.display().to_string();
    let vcf_s = vcf.display().to_string();
    for (trait_name, extra) in [("q", None), ("b", Some("--binary"))] {
        let mut args = vec![
            "gwas",
            &vcf_s,
            "--phenotypes",
            &pheno,
            "--pheno",
            trait_name,
            "--covar",
            "age,sex",
            "--quiet",
            "--threads",
            "2",
        ];
        let dest = out(&format!("ours.{trait_name}.tsv"));
        args.extend(["--out", &dest]);
        args.extend(extra);
        run_ok(&args);
    }
    let prefix = out("plink");
    let status = Command::new("plink2")
        .args(["--vcf", &vcf_s, "--pheno"])
        .arg(&files.plink_pheno)
        .arg("--covar")
        .arg(&files.plink_covar)
        .args([
            "--glm",
            "hide-covar",
            "cols=+a1freq",
            "--1",
            "--threads",
            "1",
            "--out",
            &prefix,
        ])
        .output()
        .expect("plink2 runs");
    assert!(
        status.status.success(),
        "plink2 failed:\n{}",
        String::from_utf8_lossy(&status.stdout)
    );
    let (n, best, worst) = compare(
        &files.dir.join("ours.q.tsv"),
        &files.dir.join("plink.q.glm.linear"),
        false,
    );
    eprintln!(
        "linear: {n} variants agree; strongest -log10 P {best:.1}; max rel BETA diff {worst:.2e}"
    );
    assert!(n >= 800, "only {n} linear results compared");
    assert!(
        best > 10.0,
        "the causal variant should stand out (best -log10 P {best})"
    );
    let (n, best, worst) = compare(
        &files.dir.join("ours.b.tsv"),
        &files.dir.join("plink.b.glm.logistic.hybrid"),
        true,
    );
    eprintln!(
        "logistic: {n} variants agree; strongest -log10 P {best:.1}; max rel OR diff {worst:.2e}"
    );
    assert!(n >= 800, "only {n} logistic results compared");
    assert!(
        best > 10.0,
        "the causal variant should stand out (best -log10 P {best})"
    );
}

#[test]
fn missing_phenotype_column_is_refused_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let pheno = dir.path().join("pheno.tsv");
    std::fs::write(&pheno, "IID\tage\tsex\nHG00096_HG00096\t50\tF\n").unwrap();
    let dest = dir.path().join("out").join("gwas.tsv");
    let err = run_bad(&[
        "gwas",
        &shared("pgs/cineca_synthetic_subset.vcf.gz")
            .display()
            .to_string(),
        "--phenotypes",
        &pheno.display().to_string(),
        "--pheno",
        "t2d",
        "--out",
        &dest.display().to_string(),
        "--quiet",
    ]);
    assert!(err.contains("no phenotype column 't2d'"), "{err}");
    assert!(err.contains("pheno.tsv"), "{err}");
    assert!(err.contains("available: age, sex"), "{err}");
    assert!(!dest.exists());
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        left,
        vec![std::ffi::OsString::from("pheno.tsv")],
        "{left:?}"
    );
}
