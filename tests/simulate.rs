//! `simulate` end to end: one small nonlinear biobank (with its GWAS and panel) and one
//! additive one, checked against the acceptance list and against plink2.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{auc, run_bad, run_ok};
use medgem_prs::io::{self, Dosages, OpenOptions, SiteFilter};

/// The size and architecture shared by the test cohorts: 6,000 samples, 6,000 variants, 16
/// traits, few causal variants (so that GWAS has power at this size).
const SMALL: &[&str] = &[
    "simulate",
    "--samples",
    "6000",
    "--variants",
    "6000",
    "--traits",
    "16",
    "--seed",
    "11",
    "--causal-per-factor",
    "20",
    "--causal-per-trait",
    "10",
    "--causal-per-outcome",
    "10",
];

/// The nonlinear cohort: large enough that GWAS has power at the test's small causal
/// counts, small enough for CI.
fn cohort() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("sim-nonlinear-{}", std::process::id()));
        let d = dir.display().to_string();
        run_ok(&[SMALL, &["--ld-samples", "2000", "--out", &d, "--quiet"]].concat());
        dir
    })
}

fn additive_cohort() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("sim-additive-{}", std::process::id()));
        let d = dir.display().to_string();
        run_ok(&[
            "simulate",
            "--samples",
            "6000",
            "--variants",
            "1000",
            "--traits",
            "16",
            "--seed",
            "11",
            "--architecture",
            "additive",
            "--no-panel",
            "--formats",
            "bed",
            "--out",
            &d,
            "--quiet",
        ]);
        dir
    })
}

/// A TSV (optionally gzipped) as a header and rows.
fn read_tsv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut text = String::new();
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::MultiGzDecoder::new(file)
            .read_to_string(&mut text)
            .unwrap();
    } else {
        std::io::BufReader::new(file)
            .read_to_string(&mut text)
            .unwrap();
    }
    let mut lines = text.lines().filter(|l| !l.starts_with("##"));
    let header = lines
        .next()
        .unwrap()
        .split(['\t', ' '])
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let rows = lines
        .map(|l| {
            l.split(['\t', ' '])
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .collect();
    (header, rows)
}

fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or(f64::NAN)
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    sab / (saa * sbb).sqrt()
}

/// OLS coefficients (intercept first) by normal equations, solved with the library's
/// Cholesky factorisation.
fn ols(cols: &[Vec<f64>], y: &[f64]) -> Vec<f64> {
    use medgem_prs::gwas::regress::{cholesky, cholesky_solve};
    let mut x = vec![vec![1.0; y.len()]];
    x.extend_from_slice(cols);
    let p = x.len();
    let dot = |a: &[f64], b: &[f64]| -> f64 { a.iter().zip(b).map(|(u, v)| u * v).sum() };
    let xtx: Vec<f64> = (0..p * p).map(|k| dot(&x[k / p], &x[k % p])).collect();
    let xty: Vec<f64> = x.iter().map(|c| dot(c, y)).collect();
    cholesky_solve(&cholesky(&xtx, p).expect("full rank"), p, &xty)
}

fn standardized(v: &[f64]) -> Vec<f64> {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n).sqrt();
    v.iter().map(|x| (x - m) / sd).collect()
}

#[test]
fn simulate_writes_every_output_consistently() {
    let dir = cohort();
    for f in [
        "genotypes.vcf.gz",
        "genotypes.vcf.gz.tbi",
        "genotypes.bgen",
        "genotypes.bgen.bgi",
        "genotypes.sample",
        "genotypes.bed",
        "genotypes.bim",
        "genotypes.fam",
        "phenotypes.tsv",
        "splits.tsv",
        "truth.tsv",
        "truth_variants.tsv",
        "interactions.tsv",
        "parameters.json",
        "README.md",
        "panel/manifest.toml",
    ] {
        assert!(dir.join(f).is_file(), "missing {f}");
    }
    let (header, rows) = read_tsv(&dir.join("phenotypes.tsv"));
    assert_eq!(rows.len(), 6000);
    for c in [
        "IID",
        "age",
        "sex",
        "bmi",
        "split",
        "cad",
        "stroke",
        "t2d",
        "glaucoma",
        "copd",
        "ra",
        "mdd",
        "mortality",
        "hypertension",
        "hypercholesterolemia",
        "af",
        "diabetic_retinopathy",
        "asthma",
        "pneumonia",
    ] {
        col(&header, c);
    }
    let split = col(&header, "split");
    let splits: HashSet<&str> = rows.iter().map(|r| r[split].as_str()).collect();
    assert_eq!(
        splits,
        HashSet::from(["discovery", "train", "validation", "test"])
    );
    // Prevalences sit at their parameters.
    let params: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("parameters.json")).unwrap())
            .unwrap();
    for o in params["outcomes"].as_array().unwrap() {
        let id = o["id"].as_str().unwrap();
        let c = col(&header, id);
        let prev = rows.iter().filter(|r| r[c] == "1").count() as f64 / rows.len() as f64;
        let want = o["prevalence"].as_f64().unwrap();
        assert!(
            (prev - want).abs() < 0.005,
            "{id}: prevalence {prev} vs {want}"
        );
    }
    // The three formats hold the same genotypes.
    let opts = OpenOptions::default();
    let mut sources: Vec<_> = ["genotypes.vcf.gz", "genotypes.bgen", "genotypes.bed"]
        .iter()
        .map(|f| io::open(&dir.join(f), &opts).unwrap())
        .collect();
    let ids: Vec<Vec<String>> = sources.iter().map(|s| s.sample_ids().to_vec()).collect();
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[0], ids[2]);
    let filter = SiteFilter::all();
    let mut n_sites = 0;
    loop {
        let mut got = Vec::new();
        for s in sources.iter_mut() {
            match s.next_site(&filter).unwrap() {
                Some(site) => {
                    let mut d = Dosages::new();
                    s.payload().unwrap().decode(&mut d).unwrap();
                    got.push(Some((
                        site.chrom.clone(),
                        site.pos,
                        site.ref_allele.clone(),
                        d.allele(1).to_vec(),
                    )));
                }
                None => got.push(None),
            }
        }
        if got[0].is_none() {
            assert!(got.iter().all(|g| g.is_none()));
            break;
        }
        assert_eq!(got[0], got[1], "VCF vs BGEN at site {n_sites}");
        assert_eq!(got[0], got[2], "VCF vs bed at site {n_sites}");
        n_sites += 1;
        if n_sites == 300 {
            break;
        }
    }
    assert_eq!(n_sites, 300);
}

#[test]
fn same_seed_gives_identical_files() {
    let dir = cohort();
    let again =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sim-again-{}", std::process::id()));
    let a = again.display().to_string();
    run_ok(
        &[
            SMALL,
            &[
                "--no-panel",
                "--formats",
                "bed",
                "--threads",
                "1",
                "--out",
                &a,
                "--quiet",
            ],
        ]
        .concat(),
    );
    for f in [
        "genotypes.bed",
        "genotypes.bim",
        "genotypes.fam",
        "phenotypes.tsv",
        "truth.tsv",
    ] {
        assert!(
            std::fs::read(dir.join(f)).unwrap() == std::fs::read(again.join(f)).unwrap(),
            "{f} differs"
        );
    }
    std::fs::remove_dir_all(&again).unwrap();
}

#[test]
fn ld_decays_with_distance_in_the_written_genotypes() {
    let dir = cohort();
    let mut src = io::open(&dir.join("genotypes.bed"), &OpenOptions::default()).unwrap();
    let filter = SiteFilter::all();
    let mut chr1: Vec<(u64, Vec<f64>)> = Vec::new();
    while let Some(site) = src.next_site(&filter).unwrap() {
        if site.chrom.as_str() != "1" {
            break;
        }
        let mut d = Dosages::new();
        src.payload().unwrap().decode(&mut d).unwrap();
        let g = d.allele(1)[..2000].to_vec();
        let f = g.iter().sum::<f64>() / 4000.0;
        if (0.05..0.95).contains(&f) {
            chr1.push((site.pos, g));
        }
    }
    let r2 = |a: &[f64], b: &[f64]| correlation(a, b).powi(2);
    let (mut near, mut far, mut nn, mut nf) = (0.0, 0.0, 0, 0);
    for i in 0..chr1.len() {
        if i + 1 < chr1.len() {
            near += r2(&chr1[i].1, &chr1[i + 1].1);
            nn += 1;
        }
        if let Some(j) = (i + 1..chr1.len()).find(|&j| chr1[j].0 > chr1[i].0 + 2_000_000) {
            far += r2(&chr1[i].1, &chr1[j].1);
            nf += 1;
        }
    }
    let (near, far) = (near / nn as f64, far / nf as f64);
    eprintln!(
        "chr1 common variants: neighbour r² {near:.3}, ≥2 Mb apart {far:.4} ({nn}/{nf} pairs)"
    );
    assert!(nf > 100);
    assert!(
        near > 0.08 && near > 20.0 * far,
        "neighbour r² {near} vs distant {far}"
    );
}

/// Causal variants of each trait: those of its private score and of every factor it loads on.
fn causal_by_trait(dir: &Path) -> HashMap<String, Vec<(String, u64)>> {
    let params: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("parameters.json")).unwrap())
            .unwrap();
    let (h, rows) = read_tsv(&dir.join("truth_variants.tsv"));
    let (cc, cchr, cpos) = (col(&h, "component"), col(&h, "CHROM"), col(&h, "POS"));
    let mut by_component: HashMap<String, Vec<(String, u64)>> = HashMap::new();
    for r in &rows {
        by_component
            .entry(r[cc].clone())
            .or_default()
            .push((r[cchr].clone(), r[cpos].parse().unwrap()));
    }
    let mut out = HashMap::new();
    for t in params["traits"].as_array().unwrap() {
        let id = t["id"].as_str().unwrap().to_string();
        let mut v = by_component[&format!("trait:{id}")].clone();
        for (f, l) in t["loadings"].as_object().unwrap() {
            if l.as_f64().unwrap() != 0.0 {
                v.extend(by_component[&format!("factor:{f}")].iter().cloned());
            }
        }
        out.insert(id, v);
    }
    out
}

#[test]
fn gwas_recovers_causal_variants() {
    let dir = cohort();
    let causal = causal_by_trait(dir);
    let (mut hits, mut near_causal) = (0, 0);
    for (trait_id, sites) in &causal {
        let (h, rows) = read_tsv(&dir.join(format!("gwas/{trait_id}.tsv.gz")));
        let (cchr, cpos, cp) = (col(&h, "CHROM"), col(&h, "POS"), col(&h, "P"));
        assert_eq!(rows.len(), 6000, "{trait_id}");
        for r in rows.iter().filter(|r| num(&r[cp]) < 5e-8) {
            hits += 1;
            let pos: u64 = r[cpos].parse().unwrap();
            if sites
                .iter()
                .any(|(c, p)| *c == r[cchr] && p.abs_diff(pos) <= 250_000)
            {
                near_causal += 1;
            }
        }
    }
    eprintln!(
        "{hits} genome-wide significant results, {near_causal} within 250 kb of a causal variant"
    );
    assert!(hits >= 50, "only {hits} genome-wide significant results");
    assert!(
        near_causal as f64 >= 0.95 * hits as f64,
        "{near_causal}/{hits} near a causal variant"
    );
}

#[test]
fn panel_scores_predict_traits_and_outcomes_in_the_test_split() {
    let dir = cohort();
    let manifest = medgem_prs::panel::manifest::Manifest::read(&dir.join("panel")).unwrap();
    assert_eq!(manifest.traits.len(), 16);
    assert_eq!(manifest.thresholds, vec![5e-8, 1e-5, 1e-3]);
    // Score every trait at the loosest threshold in one pass.
    let files: Vec<String> = manifest
        .traits
        .iter()
        .map(|t| {
            dir.join("panel")
                .join(&t.scores.last().unwrap().file)
                .display()
                .to_string()
        })
        .collect();
    let out = dir.join("panel_prs");
    let o = out.display().to_string();
    let mut args = vec!["prs", "--quiet"];
    let geno = dir.join("genotypes.bed").display().to_string();
    args.push(&geno);
    args.push("--scores");
    args.extend(files.iter().map(|s| s.as_str()));
    args.extend(["--out", &o]);
    run_ok(&args);
    let (sh, srows) = read_tsv(&dir.join("panel_prs.sscore"));
    let (ph, prows) = read_tsv(&dir.join("phenotypes.tsv"));
    let split = col(&ph, "split");
    let row_of: HashMap<&str, usize> = prows
        .iter()
        .enumerate()
        .map(|(i, r)| (r[0].as_str(), i))
        .collect();
    let test: Vec<(usize, usize)> = srows
        .iter()
        .enumerate()
        .filter_map(|(si, r)| {
            let pi = row_of[r[0].as_str()];
            (prows[pi][split] == "test").then_some((si, pi))
        })
        .collect();
    assert!(test.len() > 500);
    let score_of = |trait_id: &str| -> Vec<f64> {
        let t = manifest.traits.iter().find(|t| t.id == trait_id).unwrap();
        // Score columns are named after the scoring file (its pgs_name).
        let file = &t.scores.last().unwrap().file;
        let name = format!(
            "{}_SUM",
            file.trim_end_matches(".gz").trim_end_matches(".txt")
        );
        let c = col(&sh, &name);
        test.iter().map(|&(si, _)| num(&srows[si][c])).collect()
    };
    let mut rs = Vec::new();
    for t in &manifest.traits {
        let c = col(&ph, &t.id);
        let y: Vec<f64> = test.iter().map(|&(_, pi)| num(&prows[pi][c])).collect();
        let r = correlation(&score_of(&t.id), &y);
        rs.push((t.id.clone(), r));
    }
    eprintln!("test-split r(PRS, trait): {rs:?}");
    let mean_r = rs.iter().map(|(_, r)| r).sum::<f64>() / rs.len() as f64;
    assert!(mean_r > 0.15, "mean r {mean_r}");
    assert!(rs.iter().filter(|(_, r)| *r > 0.05).count() >= 14, "{rs:?}");
    // Each outcome's main anchor PRS (signed by its weight) predicts the outcome.
    let params: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("parameters.json")).unwrap())
            .unwrap();
    let mut aucs = Vec::new();
    for o in params["outcomes"].as_array().unwrap() {
        let id = o["id"].as_str().unwrap();
        let anchors = o["anchors"].as_array().unwrap();
        let present: Vec<(&str, f64)> = anchors
            .iter()
            .map(|a| (a[0].as_str().unwrap(), a[1].as_f64().unwrap()))
            .filter(|(a, _)| manifest.traits.iter().any(|t| t.id == *a))
            .collect();
        let mut s = vec![0.0; test.len()];
        for (a, w) in &present {
            for (x, v) in s.iter_mut().zip(standardized(&score_of(a))) {
                *x += w * v;
            }
        }
        let c = col(&ph, id);
        let label: Vec<bool> = test.iter().map(|&(_, pi)| prows[pi][c] == "1").collect();
        aucs.push((id.to_string(), auc(&s, &label)));
    }
    eprintln!("test-split AUC of anchor PRS: {aucs:?}");
    let above = aucs.iter().filter(|(_, a)| *a > 0.55).count();
    assert!(
        above >= 11,
        "anchor PRS AUC > 0.55 for only {above} of 14 outcomes: {aucs:?}"
    );
}

/// Coefficients of gene×BMI, gene×sex and gene×age in each outcome's liability.
fn interaction_coefficients(dir: &Path) -> HashMap<String, [f64; 3]> {
    let (th, trows) = read_tsv(&dir.join("truth.tsv"));
    let (ph, prows) = read_tsv(&dir.join("phenotypes.tsv"));
    let age = standardized(
        &prows
            .iter()
            .map(|r| num(&r[col(&ph, "age")]))
            .collect::<Vec<_>>(),
    );
    let bmi = standardized(
        &prows
            .iter()
            .map(|r| num(&r[col(&ph, "bmi")]))
            .collect::<Vec<_>>(),
    );
    let sex: Vec<f64> = prows
        .iter()
        .map(|r| f64::from(u8::from(r[col(&ph, "sex")] == "M")))
        .collect();
    let mut out = HashMap::new();
    for h in th.iter().filter(|h| h.starts_with("gliab_")) {
        let id = h.trim_start_matches("gliab_");
        let g: Vec<f64> = trows.iter().map(|r| num(&r[col(&th, h)])).collect();
        let l: Vec<f64> = trows
            .iter()
            .map(|r| num(&r[col(&th, &format!("liab_{id}"))]))
            .collect();
        let prod = |v: &[f64]| -> Vec<f64> { g.iter().zip(v).map(|(a, b)| a * b).collect() };
        let b = ols(
            &[
                g.clone(),
                age.clone(),
                sex.clone(),
                bmi.clone(),
                prod(&bmi),
                prod(&sex),
                prod(&age),
            ],
            &l,
        );
        out.insert(id.to_string(), [b[5], b[6], b[7]]);
    }
    out
}

#[test]
fn additive_architecture_produces_no_interaction_effects() {
    let add = interaction_coefficients(additive_cohort());
    assert_eq!(add.len(), 14);
    for (id, b) in &add {
        assert!(
            b.iter().all(|x| x.abs() < 0.04),
            "{id}: additive interactions {b:?}"
        );
    }
    let non = interaction_coefficients(cohort());
    let strong = non
        .values()
        .filter(|b| b.iter().any(|x| x.abs() > 0.1))
        .count();
    assert!(
        strong >= 10,
        "nonlinear: only {strong} outcomes show interactions: {non:?}"
    );
    assert!(non["cad"][1] > 0.3, "cad gene×sex {:?}", non["cad"]);
}

/// interactions.tsv, the form `evaluate --oracle-form` builds oracle_form from: the terms
/// of every outcome whose liability has them, none for an additive cohort.
#[test]
fn interactions_tsv_lists_the_form_of_the_nonlinear_terms_only() {
    let terms = |dir: &Path| -> Vec<(String, String, String)> {
        let text = std::fs::read_to_string(dir.join("interactions.tsv")).unwrap();
        let mut lines = text.lines().filter(|l| !l.starts_with('#'));
        assert_eq!(lines.next(), Some("outcome\tterm\twith\tcoefficient"));
        lines
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                assert_eq!(f.len(), 4, "{l}");
                assert!(num(f[3]) != 0.0, "{l}");
                (f[0].into(), f[1].into(), f[2].into())
            })
            .collect()
    };
    assert!(terms(additive_cohort()).is_empty());
    let non = terms(cohort());
    let outcomes: std::collections::HashSet<&str> = non.iter().map(|t| t.0.as_str()).collect();
    assert!(outcomes.len() >= 10, "{outcomes:?}");
    assert!(
        non.contains(&("cad".into(), "sex".into(), ".".into())),
        "{non:?}"
    );
    assert!(
        non.iter().any(|t| t.1 == "outcome" && t.2 != "."),
        "{non:?}"
    );
}

fn have_tool(name: &str) -> bool {
    let ok = Command::new(name).arg("--version").output().is_ok();
    if !ok {
        eprintln!("SKIPPED: {name} is not on PATH (CI installs it)");
    }
    ok
}

#[test]
fn gwas_matches_plink2_glm_on_the_simulated_cohort() {
    if !have_tool("plink2") {
        return;
    }
    let dir = cohort();
    let work = dir.join("plink2_check");
    std::fs::create_dir_all(&work).unwrap();
    let (ph, prows) = read_tsv(&dir.join("phenotypes.tsv"));
    let traits = ["ldl_c", "sbp", "iop"];
    // The .fam has FID = IID, so plink2's files carry both.
    let mut pheno = String::from("#FID\tIID\t");
    pheno.push_str(&traits.join("\t"));
    pheno.push('\n');
    let mut covar = String::from("#FID\tIID\tage\tsex\n");
    let mut keep = String::new();
    for r in &prows {
        pheno.push_str(&format!("{}\t{}", r[0], r[0]));
        for t in traits {
            pheno.push('\t');
            pheno.push_str(&r[col(&ph, t)]);
        }
        pheno.push('\n');
        let sex = if r[col(&ph, "sex")] == "M" { 1 } else { 0 };
        covar.push_str(&format!(
            "{}\t{}\t{}\t{sex}\n",
            r[0],
            r[0],
            r[col(&ph, "age")]
        ));
        if r[col(&ph, "split")] == "discovery" {
            keep.push_str(&format!("{}\t{}\n", r[0], r[0]));
        }
    }
    std::fs::write(work.join("pheno.tsv"), pheno).unwrap();
    std::fs::write(work.join("covar.tsv"), covar).unwrap();
    std::fs::write(work.join("keep.txt"), keep).unwrap();
    let out = Command::new("plink2")
        .arg("--bfile")
        .arg(dir.join("genotypes"))
        .arg("--pheno")
        .arg(work.join("pheno.tsv"))
        .arg("--covar")
        .arg(work.join("covar.tsv"))
        .arg("--keep")
        .arg(work.join("keep.txt"))
        .args(["--glm", "hide-covar", "--threads", "2", "--out"])
        .arg(work.join("p"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "plink2: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    for t in traits {
        let (h, ours) = read_tsv(&dir.join(format!("gwas/{t}.tsv.gz")));
        let (ph2, theirs) = read_tsv(&work.join(format!("p.{t}.glm.linear")));
        let ours_by: HashMap<&str, &Vec<String>> = ours
            .iter()
            .map(|r| (r[col(&h, "ID")].as_str(), r))
            .collect();
        let (mut b1, mut b2, mut l1, mut l2) = (vec![], vec![], vec![], vec![]);
        for r in &theirs {
            let Some(o) = ours_by.get(r[col(&ph2, "ID")].as_str()) else {
                continue;
            };
            // plink2 2.00a3.5 tests the minor allele; ours always tests ALT.
            let flip = if r[col(&ph2, "A1")] == o[col(&h, "A1")] {
                1.0
            } else {
                -1.0
            };
            assert_eq!(r[col(&ph2, "ALT")], o[col(&h, "ALT")]);
            let (pb, pp) = (flip * num(&r[col(&ph2, "BETA")]), num(&r[col(&ph2, "P")]));
            let (ob, op) = (num(&o[col(&h, "BETA")]), num(&o[col(&h, "P")]));
            if [pb, pp, ob, op].iter().all(|x| x.is_finite()) && pp > 0.0 && op > 0.0 {
                b1.push(ob);
                b2.push(pb);
                l1.push(-op.log10());
                l2.push(-pp.log10());
            }
        }
        let (rb, rp) = (correlation(&b1, &b2), correlation(&l1, &l2));
        eprintln!(
            "{t}: {} variants, r(BETA) {rb:.6}, r(-log10 P) {rp:.6}",
            b1.len()
        );
        assert!(b1.len() > 5_900, "{t}: only {} compared", b1.len());
        assert!(
            rb > 0.999 && rp > 0.999,
            "{t}: r(BETA) {rb}, r(-log10 P) {rp}"
        );
    }
}

#[test]
fn bad_simulate_options_exit_2_before_writing() {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sim-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("keep.txt"), "x").unwrap();
    let d = dir.display().to_string();
    let err = run_bad(&[
        "simulate",
        "--samples",
        "100",
        "--variants",
        "200",
        "--out",
        &d,
    ]);
    assert!(
        err.contains("not empty") && err.contains("--force"),
        "{err}"
    );
    let fresh = dir.join("new").display().to_string();
    let err = run_bad(&["simulate", "--architecture", "quadratic", "--out", &fresh]);
    assert!(err.contains("nonlinear or additive"), "{err}");
    let err = run_bad(&["simulate", "--split-fractions", "0.5,0.5", "--out", &fresh]);
    assert!(err.contains("expected 4 fractions"), "{err}");
    let err = run_bad(&["simulate", "--variants", "10", "--out", &fresh]);
    assert!(err.contains("at least 88"), "{err}");
    assert!(!dir.join("new").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
