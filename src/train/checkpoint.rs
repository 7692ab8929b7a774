//! Training checkpoints, written after every epoch so that an interrupted run (a cluster job
//! past its wall-clock limit, a lost machine) continues where it stopped and ends with the
//! same weights as a run that was never interrupted.
//!
//! Layout of the checkpoint directory:
//!
//! ```text
//! state.json            what has been done (see CheckpointState); names the epoch folder
//! epoch-0003/model.mpk      current weights
//! epoch-0003/optimizer.mpk  AdamW moments and step counts
//! epoch-0003/best.mpk       weights of the best epoch so far
//! ```
//!
//! Each epoch's files go to a new folder and `state.json` is replaced atomically last, so a
//! crash at any point leaves either the previous checkpoint or the new one, never a mix. No
//! random-generator state is stored: shuffling and dropout are re-seeded from the run seed
//! and the epoch number at the start of every epoch.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{EpochSummary, TrainError};

/// Version of the checkpoint layout.
pub const CHECKPOINT_FORMAT: u32 = 1;

const STATE_FILE: &str = "state.json";
/// Stem of the current weights inside an epoch folder.
pub const MODEL_STEM: &str = "model";
/// Stem of the optimizer state inside an epoch folder.
pub const OPTIMIZER_STEM: &str = "optimizer";
/// Stem of the best weights inside an epoch folder.
pub const BEST_STEM: &str = "best";

/// Progress of a run, as stored in `state.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointState {
    /// [`CHECKPOINT_FORMAT`] at writing time.
    pub format: u32,
    /// Everything that determines the run's result (configs and a digest of the data), for
    /// people reading the file.
    pub setup: serde_json::Value,
    /// SHA-256 of `setup` as serialised when the run started; a checkpoint is only resumed
    /// by an identical setup. (Compared as a digest because JSON numbers need not parse
    /// back to the very same `f64`.)
    pub setup_digest: String,
    /// Epochs completed.
    pub epochs_done: usize,
    /// Optimiser steps taken (the learning-rate schedule position).
    pub step: usize,
    /// Best mean validation AUC so far and its 0-based epoch. Stored as text that parses
    /// back to the same `f64`, because the next epoch is compared against it.
    #[serde(with = "exact_f64")]
    pub best_mean_auc: Option<f64>,
    /// 0-based epoch of `best_mean_auc` (whose weights are `best.mpk`); `None` before the
    /// first epoch.
    pub best_epoch: Option<usize>,
    /// Epochs since the best one (early stopping counter).
    pub epochs_since_best: usize,
    /// True when early stopping ended the run.
    pub stopped_early: bool,
    /// One entry per completed epoch.
    pub history: Vec<EpochSummary>,
    /// Folder, relative to the checkpoint directory, holding this state's weight files.
    pub epoch_dir: String,
}

/// `Option<f64>` as a decimal string that parses back bit for bit (Rust's float formatting
/// is shortest-round-trip and its parsing correctly rounded).
mod exact_f64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.serialize_str(&format!("{v:?}")),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| text.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}

fn io_error(path: &Path, what: &str, e: impl std::fmt::Display) -> TrainError {
    TrainError::Checkpoint {
        path: path.to_path_buf(),
        message: format!("{what}: {e}"),
    }
}

/// Folder name for the files written after `epochs_done` epochs.
pub fn epoch_dir_name(epochs_done: usize) -> String {
    format!("epoch-{epochs_done:04}")
}

/// Creates (emptying if needed) the folder for the next checkpoint's weight files.
pub fn prepare_epoch_dir(dir: &Path, epochs_done: usize) -> Result<PathBuf, TrainError> {
    let path = dir.join(epoch_dir_name(epochs_done));
    if path.exists() {
        fs::remove_dir_all(&path).map_err(|e| io_error(&path, "cannot clear folder", e))?;
    }
    fs::create_dir_all(&path).map_err(|e| io_error(&path, "cannot create folder", e))?;
    Ok(path)
}

/// Reads `dir/state.json`; `None` when there is no checkpoint yet.
pub fn read_state(dir: &Path) -> Result<Option<CheckpointState>, TrainError> {
    let path = dir.join(STATE_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let text = fs::read_to_string(&path).map_err(|e| io_error(&path, "cannot read", e))?;
    let state: CheckpointState =
        serde_json::from_str(&text).map_err(|e| io_error(&path, "not a checkpoint state", e))?;
    if state.format != CHECKPOINT_FORMAT {
        return Err(io_error(
            &path,
            "unsupported checkpoint format",
            format!("{} (expected {CHECKPOINT_FORMAT})", state.format),
        ));
    }
    Ok(Some(state))
}

/// Commits `state` (whose weight files are already in `state.epoch_dir`) and removes the
/// folders of older checkpoints.
pub fn commit_state(dir: &Path, state: &CheckpointState) -> Result<(), TrainError> {
    let path = dir.join(STATE_FILE);
    let partial = dir.join("state.json-partial");
    let text = serde_json::to_string_pretty(state).expect("checkpoint state serialises");
    fs::write(&partial, text).map_err(|e| io_error(&partial, "cannot write", e))?;
    fs::rename(&partial, &path).map_err(|e| io_error(&path, "cannot write", e))?;
    let entries = fs::read_dir(dir).map_err(|e| io_error(dir, "cannot list", e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("epoch-") && name != state.epoch_dir {
            // Stale folders only cost disk space; failing to remove one is not an error.
            let _ = fs::remove_dir_all(entry.path());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(epochs_done: usize) -> CheckpointState {
        CheckpointState {
            format: CHECKPOINT_FORMAT,
            setup: serde_json::json!({"seed": 1}),
            setup_digest: "ab".into(),
            epochs_done,
            step: 10 * epochs_done,
            // Does not survive a round trip through a JSON number.
            best_mean_auc: Some(0.0018589734964313369),
            best_epoch: Some(0),
            epochs_since_best: 1,
            stopped_early: false,
            history: Vec::new(),
            epoch_dir: epoch_dir_name(epochs_done),
        }
    }

    #[test]
    fn commit_replaces_state_and_prunes_old_folders() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_state(dir.path()).unwrap(), None);
        prepare_epoch_dir(dir.path(), 1).unwrap();
        commit_state(dir.path(), &state(1)).unwrap();
        let second = prepare_epoch_dir(dir.path(), 2).unwrap();
        fs::write(second.join("x"), "1").unwrap();
        // Until the commit, the first checkpoint is the valid one.
        assert_eq!(read_state(dir.path()).unwrap().unwrap().epochs_done, 1);
        commit_state(dir.path(), &state(2)).unwrap();
        assert_eq!(read_state(dir.path()).unwrap(), Some(state(2)));
        assert!(!dir.path().join("epoch-0001").exists());
        assert!(second.join("x").exists());
    }

    #[test]
    fn rejects_unknown_format_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = state(1);
        s.format = 99;
        commit_state(dir.path(), &s).unwrap();
        let err = read_state(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("state.json") && err.contains("format"),
            "{err}"
        );
        fs::write(dir.path().join("state.json"), "{").unwrap();
        assert!(read_state(dir.path()).is_err());
    }
}
