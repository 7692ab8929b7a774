//! medgem-prs: genomic disease-risk prediction.
//!
//! The library follows the pipeline: [`io`] reads genotypes (VCF/BCF, BGEN, PLINK) behind one
//! streaming trait, [`panel`] parses scoring files and matches them to the genotypes with
//! the PGS Catalog Calculator's rules, [`score`] computes linear polygenic scores with
//! plink2 `--score` arithmetic, and [`encode`] turns them into the genomic image and the
//! tabular features; [`pheno`] reads phenotype tables and [`gwas`] runs per-variant
//! association tests like plink2 `--glm`. The binary in `src/main.rs` only
//! parses arguments and dispatches here.

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
pub mod report;
pub mod rng;
pub mod score;
pub mod sim;
pub mod train;
pub mod util;
