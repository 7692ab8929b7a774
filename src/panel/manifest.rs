//! The panel manifest, `manifest.toml`: what a panel directory holds and how it was made.
//!
//! A panel directory (ARCHITECTURE.md, "Files") holds `manifest.toml` and one PGS Catalog
//! scoring file per trait × p-value threshold. The manifest names the panel and its genome
//! build, lists the traits (id, name, cluster) with their scoring files, the thresholds
//! (the image's channels; empty for imported panels, whose traits have one score each),
//! the order of the traits' tiles in the genomic image, and the provenance.
//!
//! ```toml
//! manifest_version = 1
//! name = "demo"
//! genome_build = "GRCh37"
//! thresholds = [5e-8, 1e-5, 0.001]
//! tile_order = ["ldl", "cad"]
//!
//! [provenance]
//! tool = "medgem-prs 0.1.0"
//! method = "P+T: plink 1.9 clumping r2=0.1 kb=250 ld_ref=ref.bed, thresholds 5e-8,1e-5,1e-3"
//! sources = ["cad.tsv.gz", "ldl.tsv.gz"]
//!
//! [[traits]]
//! id = "cad"
//! name = "Coronary artery disease"
//! cluster = "cardiometabolic"
//! [[traits.scores]]
//! threshold = 5e-8
//! file = "cad_p5e-8.txt.gz"
//! variants = 41
//! ```
//!
//! Models record [`panel_sha256`] so that a model is never applied to another panel
//! than the one it was trained on.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::panel::PanelError;
use crate::util::OutputSet;

/// File name of the manifest inside a panel directory.
pub const MANIFEST_FILE: &str = "manifest.toml";
/// The manifest layout this version writes and reads.
pub const MANIFEST_VERSION: u32 = 1;

fn default_version() -> u32 {
    MANIFEST_VERSION
}

/// A panel's manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Manifest layout version; [`MANIFEST_VERSION`] when the key is absent.
    #[serde(default = "default_version")]
    pub manifest_version: u32,
    /// Panel name (must not be blank), shown in reports and recorded with models trained on it.
    pub name: String,
    /// `GRCh37`, `GRCh38`, or `unknown`.
    pub genome_build: String,
    /// p-value thresholds, ascending; empty for imported panels.
    #[serde(default)]
    pub thresholds: Vec<f64>,
    /// Trait ids in the order their tiles are laid out in the genomic image.
    pub tile_order: Vec<String>,
    /// How and from what the panel was made (`[provenance]`).
    pub provenance: Provenance,
    /// The panel's traits (`[[traits]]`), each with its scoring files.
    pub traits: Vec<TraitEntry>,
}

/// How the panel was made.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The tool and its version, e.g. `medgem-prs 0.1.0`.
    pub tool: String,
    /// The method and its parameters.
    pub method: String,
    /// File names of the inputs: summary statistics, or imported scoring files.
    #[serde(default)]
    pub sources: Vec<String>,
}

/// One trait of the panel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraitEntry {
    /// Unique; used in file and column names.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Group of related traits (e.g. `cardiometabolic`), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// One score per threshold (in threshold order), or one unthresholded score.
    pub scores: Vec<ScoreEntry>,
}

/// One scoring file of a trait.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreEntry {
    /// The p-value threshold of the variants, `None` for an imported score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// Scoring file name, relative to the panel directory.
    pub file: String,
    /// Variants with a non-zero weight.
    pub variants: u64,
}

impl Manifest {
    /// The files that make up the panel, relative to its directory: the manifest, then
    /// every scoring file in manifest order (what [`panel_sha256`] hashes).
    pub fn files(&self) -> Vec<String> {
        let mut names = vec![MANIFEST_FILE.to_string()];
        names.extend(
            self.traits
                .iter()
                .flat_map(|t| t.scores.iter().map(|s| s.file.clone())),
        );
        names
    }

    /// Reads and checks `dir/manifest.toml`: the scoring files exist inside `dir`, trait
    /// ids are unique, every score's threshold is one of the panel's thresholds, and the
    /// tile order lists every trait exactly once.
    pub fn read(dir: &Path) -> Result<Manifest, PanelError> {
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| PanelError::io(&path, e))?;
        let manifest: Manifest = toml::from_str(&text)
            .map_err(|e| PanelError::invalid(&path, format!("not a valid panel manifest: {e}")))?;
        manifest.validate(dir)?;
        Ok(manifest)
    }

    /// Writes `dir/manifest.toml` atomically.
    pub fn write(&self, dir: &Path) -> Result<PathBuf, PanelError> {
        let path = dir.join(MANIFEST_FILE);
        let text = self.to_toml(&path)?;
        let mut set = OutputSet::new();
        set.write_with(&path, |w| w.write_all(text.as_bytes()))
            .map_err(|e| PanelError::io(&path, e))?;
        set.commit().map_err(|e| PanelError::io(&path, e))?;
        Ok(path)
    }

    /// The manifest as TOML text; `path` names it in errors.
    pub fn to_toml(&self, path: &Path) -> Result<String, PanelError> {
        toml::to_string(self)
            .map_err(|e| PanelError::invalid(path, format!("cannot write the manifest: {e}")))
    }

    /// Paths of every scoring file, trait by trait in manifest order.
    pub fn score_paths(&self, dir: &Path) -> Vec<PathBuf> {
        self.traits
            .iter()
            .flat_map(|t| t.scores.iter().map(|s| dir.join(&s.file)))
            .collect()
    }

    /// The trait with this id.
    pub fn trait_by_id(&self, id: &str) -> Option<&TraitEntry> {
        self.traits.iter().find(|t| t.id == id)
    }

    /// Checks the manifest against the directory it describes.
    pub fn validate(&self, dir: &Path) -> Result<(), PanelError> {
        let path = dir.join(MANIFEST_FILE);
        let bad = |m: String| Err(PanelError::invalid(&path, m));
        if self.manifest_version != MANIFEST_VERSION {
            return bad(format!(
                "manifest_version {} is not supported (this medgem-prs reads version {MANIFEST_VERSION})",
                self.manifest_version
            ));
        }
        if self.name.trim().is_empty() {
            return bad("the panel has no name".into());
        }
        if self.traits.is_empty() {
            return bad("the panel has no traits".into());
        }
        for w in self.thresholds.windows(2) {
            if w[0] >= w[1] {
                return bad(format!(
                    "thresholds must be ascending and distinct, found {} before {}",
                    w[0], w[1]
                ));
            }
        }
        let mut ids = HashSet::new();
        let mut files = HashSet::new();
        for t in &self.traits {
            check_id(&t.id).map_err(|m| PanelError::invalid(&path, m))?;
            if !ids.insert(t.id.as_str()) {
                return bad(format!("trait id '{}' is used twice", t.id));
            }
            if t.scores.is_empty() {
                return bad(format!("trait '{}' has no scoring file", t.id));
            }
            for s in &t.scores {
                match s.threshold {
                    Some(th) if !self.thresholds.contains(&th) => {
                        return bad(format!(
                            "trait '{}': threshold {th} of {} is not one of the panel's thresholds",
                            t.id, s.file
                        ));
                    }
                    None if !self.thresholds.is_empty() => {
                        return bad(format!(
                            "trait '{}': {} has no threshold, but the panel is thresholded",
                            t.id, s.file
                        ));
                    }
                    _ => {}
                }
                let rel = Path::new(&s.file);
                let inside = !s.file.is_empty()
                    && rel.components().all(|c| matches!(c, Component::Normal(_)));
                if !inside {
                    return bad(format!(
                        "trait '{}': scoring file '{}' must be a relative path inside the panel directory",
                        t.id, s.file
                    ));
                }
                if !files.insert(s.file.as_str()) {
                    return bad(format!("scoring file '{}' is listed twice", s.file));
                }
                if !dir.join(rel).is_file() {
                    return bad(format!(
                        "trait '{}': scoring file {} does not exist",
                        t.id,
                        dir.join(rel).display()
                    ));
                }
            }
        }
        let mut order = HashSet::new();
        for id in &self.tile_order {
            if !ids.contains(id.as_str()) {
                return bad(format!("tile_order names '{id}', which is not a trait"));
            }
            if !order.insert(id.as_str()) {
                return bad(format!("tile_order names '{id}' twice"));
            }
        }
        if order.len() != ids.len() {
            let missing: Vec<&str> = self
                .traits
                .iter()
                .map(|t| t.id.as_str())
                .filter(|id| !order.contains(id))
                .collect();
            return bad(format!(
                "tile_order leaves out trait(s) {}",
                missing.join(", ")
            ));
        }
        Ok(())
    }
}

/// Checks that a trait id can name files and columns: letters, digits, `_`, `-` and
/// `.`, not starting with `.`.
pub fn check_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid trait id '{id}' (expected letters, digits, '_', '-' or '.', not starting with '.')"
        ))
    }
}

/// SHA-256 of a panel: the manifest, then every scoring file in manifest order. Each file
/// contributes its name relative to the panel directory, a zero byte, its length as 8
/// little-endian bytes, and its bytes; the result is lowercase hex. The manifest is
/// validated first, so a panel with missing files has no hash.
pub fn panel_sha256(dir: &Path) -> Result<String, PanelError> {
    let names = Manifest::read(dir)?.files();
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    for name in &names {
        let path = dir.join(name);
        let mut file = std::fs::File::open(&path).map_err(|e| PanelError::io(&path, e))?;
        let len = file.metadata().map_err(|e| PanelError::io(&path, e))?.len();
        hasher.update(name.as_bytes());
        hasher.update([0u8]);
        hasher.update(len.to_le_bytes());
        loop {
            let n = file.read(&mut buf).map_err(|e| PanelError::io(&path, e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(dir: &Path) -> Manifest {
        for f in ["a_p1e-8.txt", "a_p1e-3.txt", "b_p1e-8.txt", "b_p1e-3.txt"] {
            std::fs::write(dir.join(f), f).unwrap();
        }
        let scores = |id: &str| {
            vec![
                ScoreEntry {
                    threshold: Some(1e-8),
                    file: format!("{id}_p1e-8.txt"),
                    variants: 3,
                },
                ScoreEntry {
                    threshold: Some(1e-3),
                    file: format!("{id}_p1e-3.txt"),
                    variants: 30,
                },
            ]
        };
        Manifest {
            manifest_version: MANIFEST_VERSION,
            name: "demo".into(),
            genome_build: "GRCh37".into(),
            thresholds: vec![1e-8, 1e-3],
            tile_order: vec!["b".into(), "a".into()],
            provenance: Provenance {
                tool: "medgem-prs test".into(),
                method: "P+T".into(),
                sources: vec!["a.tsv".into(), "b.tsv".into()],
            },
            traits: vec![
                TraitEntry {
                    id: "a".into(),
                    name: "Trait A".into(),
                    cluster: Some("x".into()),
                    scores: scores("a"),
                },
                TraitEntry {
                    id: "b".into(),
                    name: "Trait B".into(),
                    cluster: None,
                    scores: scores("b"),
                },
            ],
        }
    }

    #[test]
    fn round_trips_through_toml() {
        let dir = tempfile::tempdir().unwrap();
        let m = sample(dir.path());
        m.write(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join(MANIFEST_FILE)).unwrap();
        assert!(text.contains("name = \"demo\""), "{text}");
        assert!(text.contains("[[traits.scores]]"), "{text}");
        assert_eq!(Manifest::read(dir.path()).unwrap(), m);
    }

    #[test]
    fn validation_names_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let base = sample(dir.path());
        let check = |m: Manifest, expected: &str| {
            m.write(dir.path()).unwrap();
            let e = Manifest::read(dir.path()).unwrap_err().to_string();
            assert!(e.contains("manifest.toml"), "{e}");
            assert!(e.contains(expected), "{e}");
        };
        let mut m = base.clone();
        m.traits[1].id = "a".into();
        m.tile_order = vec!["a".into(), "a".into()];
        check(m, "trait id 'a' is used twice");
        let mut m = base.clone();
        m.tile_order = vec!["a".into()];
        check(m, "tile_order leaves out trait(s) b");
        let mut m = base.clone();
        m.tile_order.push("c".into());
        check(m, "tile_order names 'c', which is not a trait");
        let mut m = base.clone();
        m.traits[0].scores[0].file = "gone.txt".into();
        check(m, "does not exist");
        let mut m = base.clone();
        m.traits[0].scores[0].file = "../a_p1e-8.txt".into();
        check(m, "inside the panel directory");
        let mut m = base.clone();
        m.traits[0].scores[0].threshold = Some(0.5);
        check(m, "not one of the panel's thresholds");
        let mut m = base.clone();
        m.traits[0].id = "a/b".into();
        m.tile_order[1] = "a/b".into();
        check(m, "invalid trait id 'a/b'");
        std::fs::write(dir.path().join(MANIFEST_FILE), "name = 3").unwrap();
        let e = Manifest::read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("not a valid panel manifest"), "{e}");
    }

    #[test]
    fn sha256_covers_manifest_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let m = sample(dir.path());
        m.write(dir.path()).unwrap();
        let h1 = panel_sha256(dir.path()).unwrap();
        assert_eq!(h1.len(), 64);
        assert_eq!(panel_sha256(dir.path()).unwrap(), h1);
        std::fs::write(dir.path().join("b_p1e-3.txt"), "changed").unwrap();
        let h2 = panel_sha256(dir.path()).unwrap();
        assert_ne!(h1, h2);
        let mut m2 = m.clone();
        m2.name = "other".into();
        m2.write(dir.path()).unwrap();
        assert_ne!(panel_sha256(dir.path()).unwrap(), h2);
        // A file outside the manifest does not count.
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        m2.write(dir.path()).unwrap();
        let h3 = panel_sha256(dir.path()).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "y").unwrap();
        assert_eq!(panel_sha256(dir.path()).unwrap(), h3);
    }
}
