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
    /// A file is not a readable PNG, JPEG or DICOM image, or its picture cannot be
    /// prepared (empty, wrong channel count).
    #[error("{}: {message}", path.display())]
    Decode {
        /// The image file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] crate::util::PathIoError),
    /// Settings or data that do not describe a valid image: an image spec with size 0 or
    /// channels other than 1 or 3, an inconsistent `Picture`, out-of-range augmentation
    /// settings, or a folder with no image files.
    #[error("{0}")]
    Invalid(String),
}

/// A decoded picture: `height × width` pixels of `channels` interleaved values (1 gray or
/// 3 RGB), row-major, as display intensities in [0, 1] (DICOM after the modality LUT and
/// the VOI window).
#[derive(Clone, Debug, PartialEq)]
pub struct Picture {
    /// Columns of pixels.
    pub width: usize,
    /// Rows of pixels.
    pub height: usize,
    /// Values per pixel: 1 (gray) or 3 (RGB).
    pub channels: usize,
    /// `height × width × channels` intensities in [0, 1], row-major, channels interleaved.
    pub values: Vec<f32>,
}

/// A VOI window (DICOM PS3.3 C.11.2.1.2): centre and width in modality units (e.g. HU).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// Window Center (0028,1050), in modality units.
    pub center: f64,
    /// Window Width (0028,1051), in modality units; values below 1 are treated as 1.
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
