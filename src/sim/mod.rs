//! The synthetic biobank behind `simulate`.
//!
//! No real biobank can be shipped, so the engine makes one that is realistic where it
//! matters for polygenic prediction: genotypes with realistic frequencies and LD
//! ([`haplotypes`]), traits whose genetics are shared within and across clusters and the 14
//! outcomes of ARCHITECTURE.md as liability-threshold diseases ([`architecture`],
//! [`phenotypes`]), optional non-linear epidemiology, and the paper's route from GWAS to
//! panel: `gwas` and `panel build` run on the discovery split.
//!
//! The run streams: genotypes are generated a block of variants at a time, written to
//! every format, and folded into the samples' polygenic components, so memory is samples ×
//! (components + one block), never samples × variants.

pub mod architecture;
pub mod haplotypes;
pub mod phantom;
pub mod phenotypes;
pub mod readme;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::genome::Chrom;
use crate::io::plink::Sex;
use crate::io::write::{GenotypeWriter, HaplotypeBlock, VariantInfo, WriteError, WriterSet};
use crate::rng::Rng;
use crate::util::{StageError, StagedDir};
use architecture::{factor_names, make_traits, TraitDef, OUTCOMES};
use haplotypes::{layout_variants, HaplotypeModel, MosaicGenerator, VariantTable};
use phenotypes::{build_cohort, standardize, Architecture, Cohort, Components, SPLITS};

/// Genome build of the simulated coordinates.
pub const GENOME_BUILD: &str = "GRCh37";

/// Which genotype files to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Formats {
    /// `genotypes.vcf.gz`: phased `GT` calls, GRCh37 contigs in the header.
    pub vcf: bool,
    /// `genotypes.bgen` with its `.bgen.bgi` index and `.sample` file.
    pub bgen: bool,
    /// PLINK 1 `genotypes.bed`/`.bim`/`.fam`.
    pub bed: bool,
}

impl Default for Formats {
    fn default() -> Self {
        Formats {
            vcf: true,
            bgen: true,
            bed: true,
        }
    }
}

/// How the discovery-split panel is built.
#[derive(Clone, Debug, PartialEq)]
pub struct PanelSettings {
    /// p-value thresholds of the scoring files.
    pub thresholds: Vec<f64>,
    /// Clumping r² threshold (plink 1.9 `--clump-r2`).
    pub clump_r2: f64,
    /// Clumping window in kilobases (plink 1.9 `--clump-kb`).
    pub clump_kb: f64,
    /// Discovery samples used as the LD reference for clumping.
    pub ld_samples: usize,
}

impl Default for PanelSettings {
    fn default() -> Self {
        PanelSettings {
            thresholds: vec![5e-8, 1e-5, 1e-3],
            clump_r2: 0.1,
            clump_kb: 250.0,
            ld_samples: 5_000,
        }
    }
}

/// Everything that defines a simulated biobank. Equal configurations give identical files.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Samples (individuals) to simulate, across all four splits.
    pub n_samples: usize,
    /// Biallelic autosomal variants, spread over chromosomes 1–22.
    pub n_variants: usize,
    /// Quantitative traits (the panel's tiles), generated in genetically correlated clusters.
    pub n_traits: usize,
    /// Seed of every random draw: the same configuration and seed give identical files.
    pub seed: u64,
    /// Additive liabilities only, or with the non-linear epidemiology of
    /// `phenotypes` (sex- and age-dependent genetic effects, gene × BMI, interactions
    /// between liabilities).
    pub architecture: Architecture,
    /// Multiplies every non-linear term (1 = the documented sizes).
    pub strength: f64,
    /// The founder-mosaic model that generates genotypes with realistic frequencies and LD.
    pub haplotypes: HaplotypeModel,
    /// Fractions of discovery, train, validation and test.
    pub split_fractions: [f64; 4],
    /// Causal variants of each genetic factor, each trait's private score and each
    /// outcome's private score (capped at a quarter of the variants).
    pub causal_per_factor: usize,
    /// Causal variants of each trait's private genetic score (and of BMI's own).
    pub causal_per_trait: usize,
    /// Causal variants of each outcome's private genetic score.
    pub causal_per_outcome: usize,
    /// Genotype files to write.
    pub formats: Formats,
    /// `None`: no GWAS and no panel.
    pub panel: Option<PanelSettings>,
    /// Variants generated and written together.
    pub block_variants: usize,
    /// Progress bars and status lines on stderr.
    pub progress: bool,
    /// Replace an existing non-empty output directory.
    pub force: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            n_samples: 10_000,
            n_variants: 20_000,
            n_traits: 64,
            seed: 1,
            architecture: Architecture::Nonlinear,
            strength: 1.0,
            haplotypes: HaplotypeModel::default(),
            split_fractions: [0.4, 0.4, 0.08, 0.12],
            causal_per_factor: 150,
            causal_per_trait: 60,
            causal_per_outcome: 60,
            formats: Formats::default(),
            panel: Some(PanelSettings::default()),
            block_variants: 512,
            progress: false,
            force: false,
        }
    }
}

/// Everything that can stop a simulation.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The configuration cannot be simulated (too few samples or variants, bad split
    /// fractions, a panel without a discovery split or genotype files, ...), or the output
    /// directory is not empty and `force` is off.
    #[error("{0}")]
    Config(String),
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] crate::util::PathIoError),
    /// A genotype file could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The discovery-split GWAS for the panel failed.
    #[error(transparent)]
    Gwas(#[from] crate::gwas::GwasError),
    /// The simulated phenotype table could not be read back for the GWAS.
    #[error(transparent)]
    Pheno(#[from] crate::pheno::PhenoError),
    /// Building the P+T panel from the GWAS results failed.
    #[error(transparent)]
    Panel(#[from] crate::panel::PanelError),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SimError + '_ {
    move |source| {
        SimError::Io(crate::util::PathIoError {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// What a run produced, for the closing message.
#[derive(Clone, Debug)]
pub struct SimSummary {
    /// The output directory the simulation was moved into.
    pub out: PathBuf,
    /// The genotype files written, at their final paths.
    pub files: Vec<PathBuf>,
    /// Seconds from the start until the genotypes were written (variant layout, effects,
    /// generation, all formats).
    pub seconds_genotypes: f64,
    /// Seconds of the discovery-split GWAS (0 without a panel).
    pub seconds_gwas: f64,
    /// Seconds of the P+T panel build (0 without a panel).
    pub seconds_panel: f64,
    /// Seconds of the whole run.
    pub seconds_total: f64,
}

/// The causal variants of one polygenic component, sorted by variant index.
pub struct Component {
    /// `factor:<name>`, `trait:<id>`, `outcome:<id>` or `bmi_private`.
    pub name: String,
    /// `(variant index, effect per alternate allele)`, effects before standardisation of the
    /// component.
    pub variants: Vec<(u32, f32)>,
}

impl SimConfig {
    /// Refuses configurations that cannot be simulated, before anything is written.
    pub fn validate(&self) -> Result<(), SimError> {
        let bad = |m: String| Err(SimError::Config(m));
        if self.n_samples < 10 {
            return bad(format!(
                "--samples {}: at least 10 samples are needed",
                self.n_samples
            ));
        }
        if self.n_variants < 22 * 4 {
            return bad(format!(
                "--variants {}: at least 88 variants are needed (4 per autosome)",
                self.n_variants
            ));
        }
        if self.n_traits == 0 {
            return bad("--traits must be at least 1".into());
        }
        if self
            .split_fractions
            .iter()
            .any(|f| !f.is_finite() || *f < 0.0)
            || self.split_fractions.iter().sum::<f64>() <= 0.0
        {
            return bad(format!(
                "--split-fractions {:?}: expected four non-negative fractions (discovery, train, validation, test)",
                self.split_fractions
            ));
        }
        if self.panel.is_some() && self.split_fractions[0] == 0.0 {
            return bad("the panel is built on the discovery split, whose fraction is 0 (or use --no-panel)".into());
        }
        if self.panel.is_some() && !(self.formats.bed || self.formats.bgen || self.formats.vcf) {
            return bad(
                "the panel needs genotypes: write at least one format, or use --no-panel".into(),
            );
        }
        if !(self.strength.is_finite() && self.strength >= 0.0) {
            return bad(format!(
                "--interaction-strength {}: expected a non-negative number",
                self.strength
            ));
        }
        if self.haplotypes.founders < 2 || self.haplotypes.founders > u16::MAX as usize {
            return bad(format!(
                "--founders {}: expected 2 to 65535",
                self.haplotypes.founders
            ));
        }
        Ok(())
    }
}

/// Sample IDs: `S000001`, …
pub fn sample_ids(n: usize) -> Vec<String> {
    let width = n.to_string().len().max(6);
    (1..=n).map(|i| format!("S{i:0width$}")).collect()
}

/// Draws the causal variants and effects of every component: genetic factors, then one per
/// trait, then one per outcome, then BMI's own. Effects follow the LDAK-style frequency
/// dependence `β ~ N(0, 1) · [2p(1 − p)]^−0.25` (Speed et al. 2017).
pub fn draw_components(
    table: &VariantTable,
    traits: &[TraitDef],
    config: &SimConfig,
) -> Vec<Component> {
    let cap = (table.len() / 4).max(1);
    let mut specs: Vec<(String, usize)> = factor_names()
        .into_iter()
        .map(|f| (format!("factor:{f}"), config.causal_per_factor.min(cap)))
        .collect();
    specs.extend(
        traits
            .iter()
            .map(|t| (format!("trait:{}", t.id), config.causal_per_trait.min(cap))),
    );
    specs.extend(OUTCOMES.iter().map(|o| {
        (
            format!("outcome:{}", o.id),
            config.causal_per_outcome.min(cap),
        )
    }));
    specs.push(("bmi_private".to_string(), config.causal_per_trait.min(cap)));
    specs
        .into_par_iter()
        .enumerate()
        .map(|(ci, (name, count))| {
            let mut rng = Rng::stream(config.seed, &[0x6361_7573, ci as u64]); // "caus"
            let mut chosen = HashSet::with_capacity(count);
            while chosen.len() < count {
                chosen.insert(rng.below(table.len() as u64) as u32);
            }
            let mut variants: Vec<u32> = chosen.into_iter().collect();
            variants.sort_unstable();
            let variants = variants
                .into_iter()
                .map(|v| {
                    let p = f64::from(table.alt_freq[v as usize]);
                    let beta = rng.normal() * (2.0 * p * (1.0 - p)).powf(-0.25);
                    (v, beta as f32)
                })
                .collect();
            Component { name, variants }
        })
        .collect()
}

/// Adds each component's contribution from a block of haplotypes (variants `range`).
fn accumulate(
    components: &[Component],
    acc: &mut [Vec<f32>],
    range: std::ops::Range<usize>,
    haplotypes: &[u8],
    n: usize,
) {
    acc.par_iter_mut().zip(components).for_each(|(sum, c)| {
        let lo = c
            .variants
            .partition_point(|&(v, _)| (v as usize) < range.start);
        let hi = c
            .variants
            .partition_point(|&(v, _)| (v as usize) < range.end);
        for &(v, beta) in &c.variants[lo..hi] {
            let row = &haplotypes[(v as usize - range.start) * 2 * n..][..2 * n];
            for (s, h) in sum.iter_mut().zip(row.chunks_exact(2)) {
                *s += beta * f32::from(h[0] + h[1]);
            }
        }
    });
}

fn bar(progress: bool, len: u64, what: &str) -> ProgressBar {
    if !progress {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(
            "{prefix:>10} [{bar:40}] {pos}/{len} {msg} ({elapsed}, eta {eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    pb.set_prefix(what.to_string());
    pb
}

/// Generates the genotypes, writes them and returns the standardized components.
fn genotypes_pass(
    config: &SimConfig,
    table: &VariantTable,
    components: &[Component],
    samples: &[String],
    male: &[bool],
    dir: &Path,
) -> Result<(Vec<Vec<f32>>, Vec<PathBuf>), SimError> {
    let n = samples.len();
    let sexes: Vec<Sex> = male
        .iter()
        .map(|&m| if m { Sex::Male } else { Sex::Female })
        .collect();
    let mut writers = WriterSet::default();
    if config.formats.vcf {
        let contigs = haplotypes::GRCH37_AUTOSOME_LENGTHS
            .iter()
            .enumerate()
            .map(|(i, &l)| (Chrom::parse(&(i + 1).to_string()), l))
            .collect();
        let options = crate::io::vcf::VcfWriterOptions {
            genome_build: Some(GENOME_BUILD.to_string()),
            contigs,
            ..Default::default()
        };
        writers.push(Box::new(crate::io::vcf::VcfWriter::create(
            &dir.join("genotypes.vcf.gz"),
            samples,
            &options,
        )?));
    }
    if config.formats.bgen {
        writers.push(Box::new(crate::io::bgen::BgenWriter::create(
            &dir.join("genotypes.bgen"),
            samples,
            Some(&sexes),
            &Default::default(),
        )?));
    }
    if config.formats.bed {
        writers.push(Box::new(crate::io::plink::PlinkWriter::create(
            &dir.join("genotypes"),
            samples,
            Some(&sexes),
        )?));
    }
    let mut acc: Vec<Vec<f32>> = vec![vec![0.0; n]; components.len()];
    let pb = bar(config.progress, table.len() as u64, "genotypes");
    let mut block = HaplotypeBlock {
        variants: Vec::new(),
        n_samples: n,
        haplotypes: Vec::new(),
    };
    for chrom in 1..=22u8 {
        pb.set_message(format!("chr{chrom}"));
        let mut generator = MosaicGenerator::new(table, chrom, n, &config.haplotypes, config.seed);
        loop {
            let range = generator.next_block(config.block_variants, &mut block.haplotypes);
            if range.is_empty() {
                break;
            }
            block.variants.clear();
            block.variants.extend(range.clone().map(|v| VariantInfo {
                chrom: table.chrom_of(v),
                pos: table.pos[v],
                id: table.id(v),
                ref_allele: (table.ref_allele[v] as char).to_string(),
                alt_allele: (table.alt_allele[v] as char).to_string(),
            }));
            writers.write_block(&block)?;
            accumulate(components, &mut acc, range.clone(), &block.haplotypes, n);
            pb.inc(range.len() as u64);
        }
    }
    pb.finish_and_clear();
    let files = Box::new(writers).finish()?;
    // Standardize each component over the cohort.
    acc.par_iter_mut().for_each(|c| {
        let mut v: Vec<f64> = c.iter().map(|&x| f64::from(x)).collect();
        standardize(&mut v);
        for (x, y) in c.iter_mut().zip(v) {
            *x = y as f32;
        }
    });
    Ok((acc, files))
}

/// Splits the standardized component scores into the roles [`build_cohort`] expects.
fn into_components(mut acc: Vec<Vec<f32>>, n_traits: usize) -> Components {
    let n_factors = factor_names().len();
    let bmi_private = acc.pop().expect("bmi component");
    let outcome_private = acc.split_off(n_factors + n_traits);
    let trait_private = acc.split_off(n_factors);
    Components {
        factors: acc,
        trait_private,
        outcome_private,
        bmi_private,
    }
}

fn fmt_fixed(x: f64, decimals: usize) -> String {
    format!("{x:.decimals$}")
}

/// phenotypes.tsv: IID age sex bmi split, the outcomes, then the traits (BMI is `bmi`).
fn write_phenotypes(
    path: &Path,
    samples: &[String],
    traits: &[TraitDef],
    c: &Cohort,
) -> Result<(), SimError> {
    let mut text = String::with_capacity(samples.len() * (40 + 10 * traits.len()));
    text.push_str("IID\tage\tsex\tbmi\tsplit");
    for o in &OUTCOMES {
        let _ = write!(text, "\t{}", o.id);
    }
    let trait_cols: Vec<usize> = (0..traits.len())
        .filter(|&t| traits[t].id != "bmi")
        .collect();
    for &t in &trait_cols {
        let _ = write!(text, "\t{}", traits[t].id);
    }
    text.push('\n');
    for (i, id) in samples.iter().enumerate() {
        let _ = write!(
            text,
            "{id}\t{}\t{}\t{}\t{}",
            fmt_fixed(c.age[i], 1),
            if c.male[i] { "M" } else { "F" },
            fmt_fixed(c.bmi[i], 2),
            SPLITS[c.split[i] as usize]
        );
        for o in 0..OUTCOMES.len() {
            let _ = write!(text, "\t{}", c.outcome_status[o][i]);
        }
        for &t in &trait_cols {
            let _ = write!(text, "\t{}", fmt_fixed(c.trait_values[t][i], 5));
        }
        text.push('\n');
    }
    std::fs::write(path, text).map_err(io_err(path))
}

/// outcomes.toml: the 14 outcomes as a user would define them (DESIGN.md, "Outcome
/// definitions"): id, name, trained or zero-shot, and anchors by trait id and sign only —
/// never the weights the liabilities are built from, which are the simulation's truth.
/// Anchors the simulated traits lack are left out (a zero-shot outcome with none left is
/// left out). A zero-shot outcome's prevalence is its observed case fraction in the
/// discovery split, what a registry would tell a user; the generative prevalence is not used.
fn write_outcomes(path: &Path, traits: &[TraitDef], c: &Cohort) -> Result<(), SimError> {
    let mut text = String::from(
        "# Outcome definitions (medgem-prs train/predict/score/evaluate --outcomes).\n\
         # Anchors: panel trait ids; '-' = inversely related; ':w' would give a weight.\n\
         # Written by `medgem-prs simulate` with names and signs only.\n",
    );
    for (k, o) in OUTCOMES.iter().enumerate() {
        let anchors: Vec<String> = o
            .anchors
            .iter()
            .filter(|(a, _)| traits.iter().any(|t| t.id == *a))
            .map(|(a, w)| {
                if *w < 0.0 {
                    format!("\"-{a}\"")
                } else {
                    format!("\"{a}\"")
                }
            })
            .collect();
        if !o.in_distribution && anchors.is_empty() {
            continue;
        }
        let _ = write!(
            text,
            "\n[[outcome]]\nid = \"{}\"\nname = \"{}\"\ntrained = {}\nanchors = [{}]\n",
            o.id,
            o.name,
            o.in_distribution,
            anchors.join(", ")
        );
        if !o.in_distribution {
            let (mut cases, mut n) = (0usize, 0usize);
            for (i, &split) in c.split.iter().enumerate() {
                if split == 0 {
                    n += 1;
                    cases += usize::from(c.outcome_status[k][i] == 1);
                }
            }
            if cases > 0 && cases < n {
                let _ = writeln!(
                    text,
                    "prevalence = {:.4}   # case fraction in the discovery split",
                    cases as f64 / n as f64
                );
            }
        }
    }
    std::fs::write(path, text).map_err(io_err(path))
}

/// splits.tsv (IID split) and truth.tsv (latent genetic values and liabilities).
fn write_truth(
    dir: &Path,
    samples: &[String],
    traits: &[TraitDef],
    c: &Cohort,
) -> Result<(), SimError> {
    let mut splits = String::from("IID\tsplit\n");
    for (id, s) in samples.iter().zip(&c.split) {
        let _ = writeln!(splits, "{id}\t{}", SPLITS[*s as usize]);
    }
    let path = dir.join("splits.tsv");
    std::fs::write(&path, splits).map_err(io_err(&path))?;

    let mut text = String::from("IID\tsplit");
    for t in traits {
        let _ = write!(text, "\tg_{}", t.id);
    }
    for o in &OUTCOMES {
        let _ = write!(text, "\tgliab_{}\tliab_{}", o.id, o.id);
    }
    text.push('\n');
    for (i, id) in samples.iter().enumerate() {
        let _ = write!(text, "{id}\t{}", SPLITS[c.split[i] as usize]);
        for g in &c.trait_genetic {
            let _ = write!(text, "\t{}", fmt_fixed(g[i], 5));
        }
        for o in 0..OUTCOMES.len() {
            let _ = write!(
                text,
                "\t{}\t{}",
                fmt_fixed(c.outcome_genetic[o][i], 5),
                fmt_fixed(c.outcome_liability[o][i], 5)
            );
        }
        text.push('\n');
    }
    let path = dir.join("truth.tsv");
    std::fs::write(&path, text).map_err(io_err(&path))
}

/// interactions.tsv: the form of every outcome's non-additive liability terms (see
/// `phenotypes`), with their coefficients: truth, for measuring how much of the learnable
/// non-linear signal a model captures (`evaluate --oracle-form`), never a model input.
/// `term` is `sex` (G × sex, ±1), `age` (G × (55 − age)/10), `sex_age` (their product,
/// from multiplying the two modifiers), `bmi` (G × BMI z-score) or `outcome` (G × the
/// genetic liability of the outcome in `with`); G is the outcome's genetic liability.
/// An additive cohort has the header only.
fn write_interactions(dir: &Path, config: &SimConfig) -> Result<(), SimError> {
    let s = match config.architecture {
        Architecture::Additive => 0.0,
        Architecture::Nonlinear => config.strength,
    };
    let mut text = String::from(
        "# interaction form of the simulated liabilities (truth: for measuring, never a model input)\n\
         outcome\tterm\twith\tcoefficient\n",
    );
    if s != 0.0 {
        for o in &OUTCOMES {
            let mut line = |term: &str, with: &str, c: f64| {
                if c != 0.0 {
                    let _ = writeln!(text, "{}\t{term}\t{with}\t{}", o.id, fmt_fixed(c, 5));
                }
            };
            line("sex", ".", s * o.sex_genetic);
            line("age", ".", s * o.age_genetic);
            line("sex_age", ".", s * s * o.sex_genetic * o.age_genetic);
            line("bmi", ".", s * o.bmi_genetic);
            for (other, k) in o.liability_interactions {
                line("outcome", other, s * k);
            }
        }
    }
    let path = dir.join("interactions.tsv");
    std::fs::write(&path, text).map_err(io_err(&path))
}

/// truth_variants.tsv: every causal variant of every component with its raw effect.
fn write_causal(
    dir: &Path,
    table: &VariantTable,
    components: &[Component],
) -> Result<(), SimError> {
    let mut text = String::from("ID\tCHROM\tPOS\tcomponent\teffect\n");
    for c in components {
        for &(v, beta) in &c.variants {
            let v = v as usize;
            let _ = writeln!(
                text,
                "{}\t{}\t{}\t{}\t{}",
                table.id(v),
                table.chrom[v],
                table.pos[v],
                c.name,
                beta
            );
        }
    }
    let path = dir.join("truth_variants.tsv");
    std::fs::write(&path, text).map_err(io_err(&path))
}

/// parameters.json: the configuration and every parameter of the generative model, for
/// scripts (the README shows the same in prose and tables).
fn write_parameters(dir: &Path, config: &SimConfig, traits: &[TraitDef]) -> Result<(), SimError> {
    use serde_json::{json, Map, Value};
    let names = factor_names();
    let traits_json: Vec<Value> = traits
        .iter()
        .map(|t| {
            let loadings: Map<String, Value> = names
                .iter()
                .zip(&t.loadings)
                .map(|(f, l)| (f.clone(), json!(l)))
                .collect();
            json!({
                "id": t.id, "name": t.name, "cluster": t.cluster, "h2": t.h2,
                "loadings": loadings, "private_loading": t.private_loading(),
                "age_effect": t.age_effect, "male_effect": t.male_effect,
            })
        })
        .collect();
    let outcomes_json: Vec<Value> = OUTCOMES
        .iter()
        .map(|o| {
            let rg: Map<String, Value> = OUTCOMES
                .iter()
                .map(|b| {
                    (
                        b.id.to_string(),
                        json!(phenotypes::outcome_rg(o, b, traits)),
                    )
                })
                .collect();
            json!({
                "id": o.id, "name": o.name, "in_distribution": o.in_distribution,
                "prevalence": o.prevalence, "h2": o.h2, "anchors": o.anchors,
                "private_weight": o.private_weight, "age": o.age, "male": o.male, "bmi": o.bmi,
                "sex_genetic": o.sex_genetic, "age_genetic": o.age_genetic,
                "bmi_genetic": o.bmi_genetic, "liability_interactions": o.liability_interactions,
                "genetic_correlation": rg,
            })
        })
        .collect();
    let h = &config.haplotypes;
    let value = json!({
        "tool": format!("medgem-prs {}", env!("CARGO_PKG_VERSION")),
        "genome_build": GENOME_BUILD,
        "samples": config.n_samples, "variants": config.n_variants, "traits_count": config.n_traits,
        "seed": config.seed, "architecture": config.architecture.as_str(),
        "interaction_strength": config.strength, "split_fractions": config.split_fractions,
        "splits": SPLITS,
        "haplotypes": {
            "founders": h.founders, "spacing_bp": h.spacing_bp, "ld_scale_bp": h.ld_scale_bp,
            "switch_scale_bp": h.switch_scale_bp, "latent_axes": h.latent_axes, "min_maf": h.min_maf,
        },
        "causal": {
            "per_factor": config.causal_per_factor, "per_trait": config.causal_per_trait,
            "per_outcome": config.causal_per_outcome,
        },
        "factors": names,
        "traits": traits_json,
        "outcomes": outcomes_json,
        "panel": config.panel.as_ref().map(|p| json!({
            "thresholds": p.thresholds, "clump_r2": p.clump_r2, "clump_kb": p.clump_kb,
            "ld_samples": p.ld_samples,
        })),
    });
    let path = dir.join("parameters.json");
    let text = serde_json::to_string_pretty(&value).expect("serializable");
    std::fs::write(&path, text + "\n").map_err(io_err(&path))
}

/// Stages the output directory beside `out`, refusing to clobber results unless `force`.
fn staging_dir(out: &Path, force: bool) -> Result<StagedDir, SimError> {
    StagedDir::new(out, "simulate", force).map_err(|e| match e {
        StageError::NotEmpty { path } => SimError::Config(format!(
            "{}: output directory exists and is not empty (use --force to replace it)",
            path.display()
        )),
        StageError::Io(e) => SimError::Io(e),
    })
}

/// Runs the whole simulation into `out`, atomically: a failed run leaves nothing there.
pub fn simulate(config: &SimConfig, out: &Path) -> Result<SimSummary, SimError> {
    config.validate()?;
    let start = std::time::Instant::now();
    let staging = staging_dir(out, config.force)?;
    let dir = staging.path().to_path_buf();
    let say = |m: String| {
        if config.progress {
            eprintln!("medgem-prs simulate: {m}");
        }
    };

    let table = layout_variants(config.n_variants, &config.haplotypes, config.seed);
    let traits = make_traits(config.n_traits, config.seed);
    let components = draw_components(&table, &traits, config);
    let samples = sample_ids(config.n_samples);
    // Sex is drawn before genotypes so that the .fam and .sample files carry it; the
    // cohort model draws the same values from the same stream.
    let male = phenotypes::draw_sexes(config.n_samples, config.seed);
    say(format!(
        "{} samples × {} variants, {} traits, {} architecture, seed {}",
        config.n_samples,
        config.n_variants,
        config.n_traits,
        config.architecture.as_str(),
        config.seed
    ));
    let (acc, mut files) = genotypes_pass(config, &table, &components, &samples, &male, &dir)?;
    let seconds_genotypes = start.elapsed().as_secs_f64();
    let comps = into_components(acc, traits.len());
    let cohort = build_cohort(
        &traits,
        &comps,
        config.architecture,
        config.strength,
        config.split_fractions,
        config.seed,
    );
    debug_assert_eq!(cohort.male, male);
    let pheno_path = dir.join("phenotypes.tsv");
    write_phenotypes(&pheno_path, &samples, &traits, &cohort)?;
    write_outcomes(&dir.join("outcomes.toml"), &traits, &cohort)?;
    write_truth(&dir, &samples, &traits, &cohort)?;
    write_interactions(&dir, config)?;
    write_causal(&dir, &table, &components)?;
    write_parameters(&dir, config, &traits)?;

    let (mut seconds_gwas, mut seconds_panel) = (0.0, 0.0);
    if let Some(panel) = &config.panel {
        let t0 = std::time::Instant::now();
        let geno = if config.formats.bed {
            dir.join("genotypes.bed")
        } else if config.formats.bgen {
            dir.join("genotypes.bgen")
        } else {
            dir.join("genotypes.vcf.gz")
        };
        let gwas_dir = dir.join("gwas");
        std::fs::create_dir_all(&gwas_dir).map_err(io_err(&gwas_dir))?;
        let table_p = crate::pheno::PhenoTable::read(&pheno_path)?;
        let discovery: Vec<String> = samples
            .iter()
            .zip(&cohort.split)
            .filter(|(_, &s)| s == 0)
            .map(|(id, _)| id.clone())
            .collect();
        let options = crate::gwas::GwasOptions {
            covariates: vec!["age".into(), "sex".into()],
            trait_type: crate::gwas::TraitType::Quantitative,
            keep: Some(discovery.iter().cloned().collect()),
            progress: config.progress,
            ..Default::default()
        };
        let names: Vec<String> = traits.iter().map(|t| t.id.clone()).collect();
        let outs: Vec<PathBuf> = names
            .iter()
            .map(|t| gwas_dir.join(format!("{t}.tsv.gz")))
            .collect();
        say(format!(
            "gwas of {} traits on the {} discovery samples (covariates age, sex)",
            names.len(),
            discovery.len()
        ));
        let open_options = crate::io::OpenOptions {
            threads: rayon::current_num_threads(),
            ..Default::default()
        };
        let mut open = || Ok(crate::io::open(&geno, &open_options)?);
        crate::gwas::run_many(&mut open, &table_p, &options, &names, &outs)?;
        seconds_gwas = t0.elapsed().as_secs_f64();

        let t1 = std::time::Instant::now();
        say(format!(
            "panel build: P+T at {:?}, LD from {} discovery samples",
            panel.thresholds,
            panel.ld_samples.min(discovery.len())
        ));
        let inputs: Vec<crate::panel::build::TraitSumstats> = traits
            .iter()
            .zip(&outs)
            .map(|(t, path)| crate::panel::build::TraitSumstats {
                id: t.id.clone(),
                name: t.name.clone(),
                cluster: Some(t.cluster.clone()),
                path: path.clone(),
            })
            .collect();
        let build = crate::panel::build::BuildOptions {
            name: format!("simulate-seed{}", config.seed),
            thresholds: panel.thresholds.clone(),
            clump_r2: panel.clump_r2,
            clump_kb: panel.clump_kb,
            ld_samples: Some(discovery.into_iter().take(panel.ld_samples).collect()),
            genome_build: Some(GENOME_BUILD.to_string()),
            threads: None,
            progress: config.progress,
            force: false,
        };
        crate::panel::build::build_panel(
            &inputs,
            &geno,
            &open_options,
            &build,
            &dir.join("panel"),
        )?;
        seconds_panel = t1.elapsed().as_secs_f64();
    }

    let readme = readme::render(config, &traits, &table, &cohort, &components);
    let readme_path = dir.join("README.md");
    std::fs::write(&readme_path, readme).map_err(io_err(&readme_path))?;

    // Move the finished directory into place.
    let staged = staging.commit()?;
    files = files
        .iter()
        .filter_map(|f| f.strip_prefix(&staged).ok().map(|r| out.join(r)))
        .collect();
    Ok(SimSummary {
        out: out.to_path_buf(),
        files,
        seconds_genotypes,
        seconds_gwas,
        seconds_panel,
        seconds_total: start.elapsed().as_secs_f64(),
    })
}
