//! Scoring files and their matching against genotype files.

pub mod scorefile;
