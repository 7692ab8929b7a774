//! medgem-prs: genomic disease-risk prediction.
//!
//! The library is the pipeline of ARCHITECTURE.md, one module per step, each importing only
//! the modules before it:
//!
//! - [`io`] streams genotypes (VCF/BCF, BGEN, PLINK) behind one trait; [`imaging`] decodes
//!   and prepares 2D medical images; [`pheno`] reads phenotype tables;
//! - [`gwas`] runs per-variant association tests like plink2 `--glm`;
//! - [`panel`] parses scoring files, matches them to the genotypes with the PGS Catalog
//!   Calculator's rules, and builds P+T panels from summary statistics;
//! - [`score`] computes linear polygenic scores with plink2 `--score` arithmetic;
//! - [`encode`] renders the scores into the genomic image (Med-Gemini-Polygenic, arXiv
//!   2405.03162) and the covariates into tabular features; [`plot`] draws line plots;
//! - [`model`] is the transformer (plug-in encoders, burn core, CPU engine, inference);
//!   [`train`] trains it; [`model_dir`] writes and reads model directories;
//! - [`eval`] compares a model with the linear baselines; [`report`] writes the main job's
//!   report; [`defaults`] holds the embedded default panel and model;
//! - [`sim`] makes synthetic biobanks and radiograph phantoms, and nothing imports it.
//!
//! Below them all: [`rng`], [`util`] (atomic outputs, the path-naming I/O error) and
//! [`genome`]. The binary in `src/main.rs` only parses arguments, validates them and
//! dispatches here.

#![warn(missing_docs)]

pub mod defaults;
pub mod encode;
pub mod eval;
pub mod genome;
pub mod gwas;
pub mod imaging;
pub mod io;
pub mod model;
pub mod model_dir;
pub mod panel;
pub mod pheno;
pub mod plot;
pub mod report;
pub mod rng;
pub mod score;
pub mod sim;
pub mod train;
pub mod util;
