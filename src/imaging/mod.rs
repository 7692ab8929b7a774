//! 2D medical images as a second modality (Med-Gemini-2D's territory: chest X-ray,
//! dermatology, ophthalmology, histopathology), read by the same transformer core as the
//! genomic image.
//!
//! [`decode`] reads PNG, JPEG and DICOM into a [`Picture`] of display intensities,
//! [`prepare`] turns a picture into the model's fixed `[C, S, S]` pixel grid, and
//! [`folder`] lists and loads a folder of images in parallel. Training-time augmentation is
//! the model's (`model::augment`): this module only decodes and prepares. The plug-in encoder that cuts them
//! into patch tokens is `model::encoders::PatchEncoder`, the same one that reads the
//! genomic image.

pub mod decode;
pub mod folder;
pub mod prepare;

pub use self::folder::{list_images, load_images, IMAGE_EXTENSIONS};

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Errors of image decoding and preparation.
#[derive(Debug, Error)]
pub enum ImagingError {
    #[error("{}: {message}", path.display())]
    Decode { path: PathBuf, message: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: line {line}: {message}", path.display())]
    Table {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{0}")]
    Invalid(String),
}

/// A decoded picture: `height × width` pixels of `channels` interleaved values (1 gray or
/// 3 RGB), row-major, as display intensities in [0, 1] (DICOM after the modality LUT and
/// the VOI window).
#[derive(Clone, Debug, PartialEq)]
pub struct Picture {
    pub width: usize,
    pub height: usize,
    pub channels: usize,
    pub values: Vec<f32>,
}

/// A VOI window (DICOM PS3.3 C.11.2.1.2): centre and width in modality units (e.g. HU).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub center: f64,
    pub width: f64,
}

/// How every image is turned into model input; recorded in the model's `config.json` so
/// prediction prepares images exactly as training did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageSpec {
    /// Side of the square model input in pixels.
    pub size: usize,
    /// 1 (grayscale) or 3 (RGB).
    pub channels: usize,
    /// DICOM window to apply instead of the file's own (`None`: the file's window, else
    /// the full range of the modality values).
    pub window: Option<Window>,
}
