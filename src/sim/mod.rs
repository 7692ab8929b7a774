//! The synthetic biobank behind `simulate`.

pub mod architecture;
pub mod haplotypes;
pub mod phenotypes;
pub mod rng;
