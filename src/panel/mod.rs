//! Scoring files and their matching against genotype files.

pub mod matching;
pub mod scorefile;
