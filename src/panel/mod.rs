//! Panels: scoring files, their matching against genotype files, and the making of panels
//! from GWAS summary statistics (P+T: LD clumping plus p-value thresholds) or from PGS
//! Catalog scoring files.

pub mod build;
pub mod clump;
pub mod manifest;
pub mod matching;
pub mod scorefile;
pub mod sumstats;

use std::path::{Path, PathBuf};

use crate::io::ReadError;
use scorefile::ScoreFileError;

/// Everything that can stop reading summary statistics, clumping, or building, importing
/// and reading a panel.
#[derive(Debug, thiserror::Error)]
pub enum PanelError {
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] crate::util::PathIoError),
    /// A bad line or value in an input file.
    #[error("{path}: line {line}: {message}")]
    Malformed {
        /// File the line is in.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong with the line.
        message: String,
    },
    /// A file that is unusable as a whole (wrong layout, no rows, inconsistent contents).
    #[error("{path}: {message}")]
    Invalid {
        /// The unusable file.
        path: PathBuf,
        /// Why it cannot be used.
        message: String,
    },
    /// A bad option value or combination.
    #[error("{0}")]
    Options(String),
    /// The genotype file used as LD reference for clumping could not be opened or read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// A scoring file (PGS Catalog format or a panel's) could not be parsed.
    #[error(transparent)]
    ScoreFile(#[from] ScoreFileError),
}

impl PanelError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> PanelError {
        PanelError::Io(crate::util::PathIoError {
            path: path.to_path_buf(),
            source,
        })
    }

    pub(crate) fn malformed(path: &Path, line: u64, message: impl Into<String>) -> PanelError {
        PanelError::Malformed {
            path: path.to_path_buf(),
            line,
            message: message.into(),
        }
    }

    pub(crate) fn invalid(path: &Path, message: impl Into<String>) -> PanelError {
        PanelError::Invalid {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}
