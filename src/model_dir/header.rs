//! The part of `config.json` every model directory shares: one JSON parse, the modality
//! (`"modality": "image"` marks an imaging model; a genomic model has none, as in format
//! version 1), and the format-version check. Each modality then reads its own fields from
//! the parsed value.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::{ModelDirError, CONFIG_FILE};
use crate::util::PathIoError;

/// The `modality` field of an imaging model's `config.json`.
pub const IMAGE_MODALITY: &str = "image";

/// What a model directory's model reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Modality {
    /// Genotypes scored into the genomic image, plus covariates.
    Genomic,
    /// 2D medical images.
    Image,
}

/// A parsed `config.json` whose modality is known and whose fields are not yet read.
pub struct RawConfig {
    /// The file, for messages.
    pub path: PathBuf,
    /// Which modality wrote it.
    pub modality: Modality,
    /// The whole document.
    pub value: serde_json::Value,
}

impl RawConfig {
    /// Reads `dir/config.json`.
    pub fn read(dir: &Path) -> Result<RawConfig, ModelDirError> {
        let path = dir.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).map_err(PathIoError::on(&path))?;
        RawConfig::parse(&path, &text)
    }

    /// Parses a `config.json` text (`path` names it in messages).
    pub fn parse(path: &Path, text: &str) -> Result<RawConfig, ModelDirError> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| invalid(path, format!("not a medgem-prs model config: {e}")))?;
        let modality = if value.get("modality").and_then(|m| m.as_str()) == Some(IMAGE_MODALITY) {
            Modality::Image
        } else {
            Modality::Genomic
        };
        Ok(RawConfig {
            path: path.to_path_buf(),
            modality,
            value,
        })
    }

    /// An error about this file.
    pub fn invalid(&self, message: impl Into<String>) -> ModelDirError {
        invalid(&self.path, message.into())
    }

    /// The typed config; `what` names the kind in the message when the fields do not fit.
    pub fn fields<T: DeserializeOwned>(self, what: &str) -> Result<T, ModelDirError> {
        let path = self.path;
        serde_json::from_value(self.value)
            .map_err(|e| invalid(&path, format!("not a medgem-prs {what}config: {e}")))
    }

    /// Refuses a format version this build does not read; `what` names the kind.
    pub fn check_version(&self, found: u32, reads: u32, what: &str) -> Result<(), ModelDirError> {
        check_version(&self.path, found, reads, what)
    }

    /// The typed config ([`RawConfig::fields`]) whose format version (`version` of it)
    /// must be `reads`: the one read path of every modality.
    pub fn typed<T: DeserializeOwned>(
        self,
        what: &str,
        version: impl Fn(&T) -> u32,
        reads: u32,
    ) -> Result<T, ModelDirError> {
        let path = self.path.clone();
        let c: T = self.fields(what)?;
        check_version(&path, version(&c), reads, what)?;
        Ok(c)
    }
}

fn check_version(path: &Path, found: u32, reads: u32, what: &str) -> Result<(), ModelDirError> {
    if found == reads {
        Ok(())
    } else {
        Err(invalid(
            path,
            format!("{what}format version {found} (this build reads version {reads})"),
        ))
    }
}

fn invalid(path: &Path, message: String) -> ModelDirError {
    ModelDirError::Invalid {
        path: path.to_path_buf(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_the_modalities_apart_from_one_parse() {
        let p = Path::new("m/config.json");
        let g = RawConfig::parse(p, r#"{"format_version": 2}"#).unwrap();
        assert_eq!(g.modality, Modality::Genomic);
        let i = RawConfig::parse(p, r#"{"format_version": 1, "modality": "image"}"#).unwrap();
        assert_eq!(i.modality, Modality::Image);
        let e = RawConfig::parse(p, "{").err().unwrap().to_string();
        assert!(
            e.starts_with("m/config.json: not a medgem-prs model config"),
            "{e}"
        );
        let e = g.check_version(2, 3, "model ").unwrap_err().to_string();
        assert_eq!(
            e,
            "m/config.json: model format version 2 (this build reads version 3)"
        );
    }
}
