//! The default panel and model, built into the binary.
//!
//! They are the repository's `models/default`, which carries its panel in `panel/` (also
//! reachable as `panels/default`; trained on a synthetic biobank from `simulate`, see
//! `models/default/MODEL_CARD.md`), embedded by `build.rs` so
//! that the binary needs no data files. burn reads weights from a path, so the files are
//! unpacked into a private temporary directory, removed when [`Defaults`] is dropped.

use std::path::{Path, PathBuf};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// Directory of the default model inside the repository and the unpacked tree.
pub const MODEL_DIR: &str = "models/default";
/// Directory of the default panel inside the repository and the unpacked tree: the model
/// directory's own copy.
pub const PANEL_DIR: &str = "models/default/panel";

/// Whether this binary was built with a default model and panel.
pub fn available() -> bool {
    let has = |prefix: &str| embedded::FILES.iter().any(|(p, _)| p.starts_with(prefix));
    has(MODEL_DIR) && has(PANEL_DIR)
}

/// The embedded files: (path relative to the repository, contents).
pub fn files() -> &'static [(&'static str, &'static [u8])] {
    embedded::FILES
}

/// The default panel and model, unpacked.
#[derive(Debug)]
pub struct Defaults {
    dir: tempfile::TempDir,
}

impl Defaults {
    /// Unpacks the embedded files into a new temporary directory.
    pub fn unpack() -> std::io::Result<Defaults> {
        if !available() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "this binary was built without a default panel and model",
            ));
        }
        let dir = tempfile::Builder::new()
            .prefix("medgem-prs-default-")
            .tempdir()?;
        for (path, bytes) in embedded::FILES {
            let target = dir.path().join(path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&target, bytes)?;
        }
        Ok(Defaults { dir })
    }

    /// The default model directory.
    pub fn model_dir(&self) -> PathBuf {
        self.dir.path().join(MODEL_DIR)
    }

    /// The default panel directory.
    pub fn panel_dir(&self) -> PathBuf {
        self.dir.path().join(PANEL_DIR)
    }

    /// Root of the unpacked tree.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_files_are_the_repository_defaults() {
        assert!(
            available(),
            "models/default (with its panel) must be embedded"
        );
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for (path, bytes) in files() {
            let on_disk = std::fs::read(root.join(path)).unwrap();
            assert!(on_disk == *bytes, "{path} differs from the repository copy");
        }
        for needed in [
            "models/default/config.json",
            "models/default/model.mpk",
            "models/default/MODEL_CARD.md",
            "models/default/panel/manifest.toml",
        ] {
            assert!(files().iter().any(|(p, _)| *p == needed), "{needed}");
        }
    }

    #[test]
    fn unpacked_defaults_hold_a_readable_model_and_its_panel() {
        let defaults = Defaults::unpack().unwrap();
        let config = crate::model_dir::GenomicModelConfig::read(&defaults.model_dir()).unwrap();
        let sha = crate::panel::manifest::panel_sha256(&defaults.panel_dir()).unwrap();
        assert_eq!(sha, config.panel.sha256);
        let root = defaults.root().to_path_buf();
        drop(defaults);
        assert!(!root.exists(), "the temporary copy is removed");
    }
}
