//! Helpers shared by the integration tests, which run the real binary on real files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `train` options of a tiny, quick model for tests that need a trained model directory,
/// not a good one.
pub const TINY_MODEL: [&str; 12] = [
    "--epochs",
    "2",
    "--d-model",
    "16",
    "--heads",
    "2",
    "--layers",
    "1",
    "--d-ff",
    "32",
    "--batch-size",
    "128",
];

/// `../shared/data`, the conformance files written by others.
pub fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel)
}

/// A per-process scratch path under Cargo's test temporary directory.
pub fn tmp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()))
}

/// A path inside this repository, as a string for command lines.
pub fn repo(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_medgem-prs"))
}

/// Runs the binary and returns its output, printing stderr on failure for diagnosis.
pub fn run_ok(args: &[&str]) -> Output {
    let out = bin().args(args).output().expect("binary runs");
    assert!(
        out.status.success(),
        "medgem-prs {:?} failed:\n{}",
        args,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs the binary expecting exit code 2 (bad input) and returns stderr.
pub fn run_bad(args: &[&str]) -> String {
    let out = bin().args(args).output().expect("binary runs");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(
        out.status.code(),
        Some(2),
        "medgem-prs {:?} should exit 2; stderr:\n{}",
        args,
        err
    );
    err
}

/// A parsed `.sscore` table: header and rows of fields.
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn read(path: &Path) -> Table {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut lines = text.lines();
        let header = lines
            .next()
            .expect("header")
            .split('\t')
            .map(String::from)
            .collect();
        let rows = lines
            .filter(|l| !l.is_empty())
            .map(|l| l.split('\t').map(String::from).collect())
            .collect();
        Table { header, rows }
    }

    pub fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.header))
    }

    pub fn f64s(&self, name: &str) -> Vec<f64> {
        let c = self.col(name);
        self.rows.iter().map(|r| r[c].parse().unwrap()).collect()
    }

    pub fn strings(&self, name: &str) -> Vec<String> {
        let c = self.col(name);
        self.rows.iter().map(|r| r[c].clone()).collect()
    }
}

/// Whether a Debian tool is on PATH. In CI (`CI` set) a missing tool is a failure, since
/// `.ci/run` installs it; elsewhere the caller skips with a note.
pub fn have_tool(name: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is required in CI (.ci/run installs it)"
        );
        eprintln!("note: {name} not installed; skipping this comparison");
    }
    found
}

/// Relative difference, safe at zero.
pub fn rel_diff(a: f64, b: f64) -> f64 {
    let d = (a - b).abs();
    if d == 0.0 {
        0.0
    } else {
        d / a.abs().max(b.abs())
    }
}

/// Knuth's MMIX linear congruential generator: deterministic on every platform.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Standard normal by Box–Muller.
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// AUC by the Mann–Whitney statistic (ties count one half).
pub fn auc(score: &[f64], label: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..score.len()).collect();
    idx.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    let mut ranks = vec![0.0; score.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && score[idx[j + 1]] == score[idx[i]] {
            j += 1;
        }
        for k in i..=j {
            ranks[idx[k]] = (i + j) as f64 / 2.0 + 1.0;
        }
        i = j + 1;
    }
    let n1 = label.iter().filter(|&&l| l).count() as f64;
    let n0 = label.len() as f64 - n1;
    let r1: f64 = ranks
        .iter()
        .zip(label)
        .filter(|(_, &l)| l)
        .map(|(r, _)| r)
        .sum();
    (r1 - n1 * (n1 + 1.0) / 2.0) / (n1 * n0)
}

/// The in-distribution (trained) outcomes of ARCHITECTURE.md.
pub const TRAINED_OUTCOMES: [&str; 8] = [
    "cad",
    "stroke",
    "t2d",
    "glaucoma",
    "copd",
    "ra",
    "mdd",
    "mortality",
];

/// The out-of-distribution (zero-shot) outcomes of ARCHITECTURE.md.
pub const ZERO_SHOT_OUTCOMES: [&str; 6] = [
    "hypertension",
    "hypercholesterolemia",
    "af",
    "diabetic_retinopathy",
    "asthma",
    "pneumonia",
];
