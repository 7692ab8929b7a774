//! Placeholder types; the real parser replaces this file.
use crate::genome::{Chrom, Position};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EffectType {
    Additive,
    Dominant,
    Recessive,
}
#[derive(Clone, Debug, Default)]
pub struct ScoreMeta {
    pub name: String,
    pub pgs_id: Option<String>,
    pub pgs_name: Option<String>,
    pub trait_reported: Option<String>,
    pub trait_mapped: Option<String>,
    pub trait_efo: Option<String>,
    pub genome_build: Option<String>,
    pub original_build: Option<String>,
    pub weight_type: Option<String>,
    pub format_version: Option<String>,
    pub variants_number: Option<u64>,
    pub header: Vec<(String, String)>,
}
#[derive(Clone, Debug)]
pub struct ScoreRow {
    pub line: u64,
    pub id: Option<String>,
    pub chrom: Option<Chrom>,
    pub pos: Option<Position>,
    pub effect_allele: String,
    pub other_allele: Option<String>,
    pub effect_type: EffectType,
    pub weights: Vec<f64>,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkipReason {
    ComplexAllele,
    DosageWeights,
    Interaction,
    NoPosition,
}
#[derive(Clone, Debug)]
pub struct SkippedRow {
    pub line: u64,
    pub reason: SkipReason,
    pub detail: String,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScoringFileKind {
    PgsCatalog,
    PgsCatalogHarmonised,
    Custom,
    PlinkStyle,
}
#[derive(Clone, Debug)]
pub struct ScoringFile {
    pub path: PathBuf,
    pub kind: ScoringFileKind,
    pub scores: Vec<ScoreMeta>,
    pub rows: Vec<ScoreRow>,
    pub skipped: Vec<SkippedRow>,
}
#[derive(Debug, thiserror::Error)]
pub enum ScoreFileError {
    #[error("{path}: not built")]
    Todo { path: PathBuf },
}
pub fn read(path: &Path) -> Result<ScoringFile, ScoreFileError> {
    Err(ScoreFileError::Todo { path: path.into() })
}
pub fn read_many(paths: &[PathBuf]) -> Result<Vec<ScoringFile>, ScoreFileError> {
    paths.iter().map(|p| read(p)).collect()
}
