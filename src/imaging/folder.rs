//! Folders of images: which files are images, and their model pixels decoded in parallel.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use super::{prepare, ImageSpec, ImagingError};

/// File extensions taken as images when a folder is listed (files without an extension
/// are read too: DICOM files often have none).
pub const IMAGE_EXTENSIONS: [&str; 5] = ["png", "jpg", "jpeg", "dcm", "dicom"];

/// The image files of a folder, sorted by name: files with an image extension
/// ([`IMAGE_EXTENSIONS`]) or none, leaving out hidden files and `DICOMDIR`.
pub fn list_images(dir: &Path) -> Result<Vec<PathBuf>, ImagingError> {
    let io = |source| {
        ImagingError::Io(crate::util::PathIoError {
            path: dir.to_path_buf(),
            source,
        })
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if !path.is_file() || name.starts_with('.') || name.eq_ignore_ascii_case("DICOMDIR") {
            continue;
        }
        let wanted = match path.extension() {
            None => true,
            Some(e) => IMAGE_EXTENSIONS.contains(&e.to_string_lossy().to_lowercase().as_str()),
        };
        if wanted {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(ImagingError::Invalid(format!(
            "{}: no image files (expected {} or DICOM files without an extension)",
            dir.display(),
            IMAGE_EXTENSIONS.join(", ")
        )));
    }
    Ok(files)
}

/// Model pixels of every image, `paths.len() × C × S × S`, decoded in parallel. The
/// first failing file (in `paths` order) is the error.
pub fn load_images(
    paths: &[PathBuf],
    spec: &ImageSpec,
    progress: bool,
) -> Result<Vec<u8>, ImagingError> {
    let bar = if progress {
        let bar = ProgressBar::new(paths.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("reading images {bar:30} {pos}/{len} {per_sec}")
                .expect("valid template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let images: Vec<Vec<u8>> = paths
        .par_iter()
        .map(|p| {
            let pixels = prepare::load(p, spec);
            bar.inc(1);
            pixels
        })
        .collect::<Result<_, _>>()?;
    bar.finish_and_clear();
    Ok(images.concat())
}
