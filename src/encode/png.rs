//! PNG output of genomic images, for people to look at (`encode --png DIR`).
//!
//! The files are 8-bit truecolour PNGs (W3C, "Portable Network Graphics (PNG)
//! Specification", 3rd edition) written by the `image` crate's encoder; this module only
//! builds the pixels. Channels map to colours in threshold order: R, G, B = the first, second and
//! third threshold; a one-channel image is grey, a two-channel one has a neutral blue,
//! and channels past the third are not shown.

use std::io;
use std::path::{Path, PathBuf};

use image::ImageEncoder;

use super::image::{Images, NEUTRAL};
use super::EncodeError;
use crate::util::OutputSet;

/// The eight bytes every PNG file starts with.
pub const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
/// Width and height must fit in 31 bits (PNG specification, 11.2.2).
const MAX_DIMENSION: usize = (1 << 31) - 1;
/// Bytes per RGB pixel.
const RGB: usize = 3;

/// An 8-bit RGB image, rows top to bottom, pixels interleaved `R G B`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RgbImage {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// `height × width × 3` bytes, `R G B` per pixel.
    pub data: Vec<u8>,
}

impl RgbImage {
    /// From channel planes (`C × H × W`); see the module documentation for the colours.
    pub fn from_planes(planes: &[u8], channels: usize, height: usize, width: usize) -> RgbImage {
        let plane = height * width;
        assert_eq!(planes.len(), channels * plane, "planes are C × H × W");
        let mut data = vec![0u8; plane * RGB];
        for (p, px) in data.chunks_exact_mut(RGB).enumerate() {
            let at = |c: usize| planes[c * plane + p];
            let rgb = match channels {
                0 => [NEUTRAL; RGB],
                1 => [at(0); RGB],
                2 => [at(0), at(1), NEUTRAL],
                _ => [at(0), at(1), at(2)],
            };
            px.copy_from_slice(&rgb);
        }
        RgbImage {
            width,
            height,
            data,
        }
    }

    /// Nearest-neighbour enlargement by `factor` (so that 8×8 tiles are visible).
    pub fn upscale(&self, factor: usize) -> RgbImage {
        if factor <= 1 {
            return self.clone();
        }
        let width = self.width * factor;
        let mut data = Vec::with_capacity(self.data.len() * factor * factor);
        for y in 0..self.height {
            let src = &self.data[y * self.width * RGB..(y + 1) * self.width * RGB];
            let start = data.len();
            for px in src.chunks_exact(RGB) {
                for _ in 0..factor {
                    data.extend_from_slice(px);
                }
            }
            for _ in 1..factor {
                data.extend_from_within(start..start + width * RGB);
            }
        }
        RgbImage {
            width,
            height: self.height * factor,
            data,
        }
    }

    /// The PNG file of this image.
    pub fn to_png(&self) -> io::Result<Vec<u8>> {
        encode_png(self.width, self.height, &self.data)
    }
}

/// Encodes an 8-bit RGB image (`rgb` interleaved, rows top to bottom) as a PNG file.
pub fn encode_png(width: usize, height: usize, rgb: &[u8]) -> io::Result<Vec<u8>> {
    let invalid = |m: String| io::Error::new(io::ErrorKind::InvalidInput, m);
    if width == 0 || height == 0 || width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(invalid(format!(
            "a PNG image needs a width and height in 1..2^31, got {width}×{height}"
        )));
    }
    let row = width * RGB;
    if rgb.len() != row * height {
        return Err(invalid(format!(
            "{} bytes of pixels for a {width}×{height} RGB image (expected {})",
            rgb.len(),
            row * height
        )));
    }
    let mut out = Vec::with_capacity(rgb.len() / 4 + 64);
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            rgb,
            width as u32,
            height as u32,
            image::ExtendedColorType::Rgb8,
        )
        .map_err(io::Error::other)?;
    Ok(out)
}

/// Writes an 8-bit RGB image as a PNG file, atomically.
pub fn write_png(path: &Path, width: usize, height: usize, rgb: &[u8]) -> Result<(), EncodeError> {
    let bytes = encode_png(width, height, rgb).map_err(|e| EncodeError::io(path, e))?;
    let mut set = OutputSet::new();
    set.write_with(path, |w| w.write_all(&bytes))
        .map_err(|e| EncodeError::io(path, e))?;
    set.commit().map_err(|e| EncodeError::io(path, e))?;
    Ok(())
}

/// One sample's image in RGB, enlarged `upscale` times.
pub fn sample_rgb(images: &Images, sample: usize, upscale: usize) -> RgbImage {
    let l = &images.layout;
    RgbImage::from_planes(images.image(sample), l.channels, l.height(), l.width()).upscale(upscale)
}

/// The cohort-average image (each pixel the rounded mean over samples) in RGB, enlarged
/// `upscale` times; neutral when there are no samples.
pub fn average_rgb(images: &Images, upscale: usize) -> RgbImage {
    let l = &images.layout;
    let len = l.image_len();
    let mut sum = vec![0u64; len];
    for i in 0..images.len() {
        for (s, &p) in sum.iter_mut().zip(images.image(i)) {
            *s += u64::from(p);
        }
    }
    let n = images.len() as u64;
    let mean: Vec<u8> = sum
        .iter()
        .map(|&s| (s + n / 2).checked_div(n).map_or(NEUTRAL, |m| m as u8))
        .collect();
    RgbImage::from_planes(&mean, l.channels, l.height(), l.width()).upscale(upscale)
}

/// Writes the cohort-average image to `path`.
pub fn write_average_png(path: &Path, images: &Images, upscale: usize) -> Result<(), EncodeError> {
    let img = average_rgb(images, upscale);
    write_png(path, img.width, img.height, &img.data)
}

/// Writes the images of `samples` (indices into `images.ids`) as `DIR/<id>.png`, all or
/// none. Characters of an id that are unsafe in file names become `_`; ids that then
/// collide get `_<index>` appended. Returns the paths in `samples` order.
pub fn write_sample_pngs(
    dir: &Path,
    images: &Images,
    samples: &[usize],
    upscale: usize,
) -> Result<Vec<PathBuf>, EncodeError> {
    let mut set = OutputSet::new();
    let mut paths = Vec::with_capacity(samples.len());
    let mut taken = std::collections::HashSet::new();
    for &i in samples {
        let base = safe_file_name(&images.ids[i]);
        let mut name = base.clone();
        let mut extra = i;
        while !taken.insert(name.clone()) {
            name = format!("{base}_{extra}");
            extra += images.len();
        }
        let path = dir.join(format!("{name}.png"));
        let bytes = sample_rgb(images, i, upscale)
            .to_png()
            .map_err(|e| EncodeError::io(&path, e))?;
        set.write_with(&path, |w| w.write_all(&bytes))
            .map_err(|e| EncodeError::io(&path, e))?;
        paths.push(path);
    }
    set.commit().map_err(|e| EncodeError::io(dir, e))?;
    Ok(paths)
}

/// A sample id as a file name: letters, digits, `-`, `_` and `.` kept (not leading dots).
fn safe_file_name(id: &str) -> String {
    let s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_start_matches('.');
    if s.is_empty() {
        "_".to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::image::ImageLayout;
    use crate::encode::FillMode;

    /// Decodes a PNG with the `image` crate: checks the signature and that the file is
    /// 8-bit RGB, and returns (width, height, pixels).
    fn decode(png: &[u8]) -> (usize, usize, Vec<u8>) {
        assert_eq!(&png[..8], &SIGNATURE);
        let img = image::load_from_memory_with_format(png, image::ImageFormat::Png).unwrap();
        assert_eq!(img.color(), image::ColorType::Rgb8, "8-bit RGB");
        let rgb = img.to_rgb8();
        (rgb.width() as usize, rgb.height() as usize, rgb.into_raw())
    }

    fn gradient(width: usize, height: usize) -> Vec<u8> {
        (0..width * height * 3)
            .map(|i| ((i * 37 + i / 7) % 256) as u8)
            .collect()
    }

    #[test]
    fn png_round_trips() {
        for (w, h) in [(1, 1), (8, 8), (24, 16), (100, 3)] {
            let rgb = gradient(w, h);
            let png = encode_png(w, h, &rgb).unwrap();
            assert_eq!(decode(&png), (w, h, rgb));
        }
        let e = encode_png(0, 5, &[]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        let e = encode_png(2, 2, &[0; 11]).unwrap_err();
        assert!(e.to_string().contains("11 bytes"), "{e}");
    }

    #[test]
    fn write_png_is_atomic_and_readable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/x.png");
        let rgb = gradient(5, 4);
        write_png(&path, 5, 4, &rgb).unwrap();
        assert_eq!(decode(&std::fs::read(&path).unwrap()), (5, 4, rgb));
        // A failed write leaves nothing behind.
        let bad = dir.path().join("bad.png");
        assert!(write_png(&bad, 5, 4, &[1, 2, 3]).is_err());
        assert!(!bad.exists());
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["x.png"]);
    }

    #[test]
    fn planes_become_rgb_and_upscale() {
        // 2×2 image, channels 10.., 20.., 30.. and a fourth not shown.
        let planes: Vec<u8> = [
            10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33, 40, 41, 42, 43,
        ]
        .to_vec();
        let img = RgbImage::from_planes(&planes[..12], 3, 2, 2);
        assert_eq!(img.data, [10, 20, 30, 11, 21, 31, 12, 22, 32, 13, 23, 33]);
        assert_eq!(RgbImage::from_planes(&planes, 4, 2, 2), img);
        let grey = RgbImage::from_planes(&planes[..4], 1, 2, 2);
        assert_eq!(&grey.data[..6], &[10, 10, 10, 11, 11, 11]);
        let two = RgbImage::from_planes(&planes[..8], 2, 2, 2);
        assert_eq!(&two.data[..3], &[10, 20, NEUTRAL]);
        let up = img.upscale(3);
        assert_eq!((up.width, up.height), (6, 6));
        for y in 0..6 {
            for x in 0..6 {
                let src = ((y / 3) * 2 + x / 3) * 3;
                assert_eq!(&up.data[(y * 6 + x) * 3..][..3], &img.data[src..src + 3]);
            }
        }
        assert_eq!(img.upscale(1), img);
    }

    fn images() -> Images {
        let layout = ImageLayout::new(vec!["a".into()], 3);
        let n = 3;
        let len = layout.image_len();
        let mut pixels = vec![0u8; n * len];
        for (i, img) in pixels.chunks_mut(len).enumerate() {
            for (p, v) in img.iter_mut().enumerate() {
                *v = (i * 100 + p % 50) as u8;
            }
        }
        Images {
            ids: vec!["fam 1/a".into(), "fam_1_a".into(), "..".into()],
            layout,
            mode: FillMode::Uniform,
            pixels,
        }
    }

    #[test]
    fn sample_and_average_images() {
        let im = images();
        let dir = tempfile::tempdir().unwrap();
        let paths = write_sample_pngs(dir.path(), &im, &[0, 1, 2], 4).unwrap();
        let names: Vec<String> = paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["fam_1_a.png", "fam_1_a_1.png", "_.png"]);
        for (i, p) in paths.iter().enumerate() {
            let (w, h, rgb) = decode(&std::fs::read(p).unwrap());
            assert_eq!((w, h), (32, 32));
            assert_eq!(rgb, sample_rgb(&im, i, 4).data);
            // Pixel (0, 0): channels 0, 1, 2 at plane offset 0, 64, 128.
            assert_eq!(
                &rgb[..3],
                &[(i * 100) as u8, (i * 100 + 14) as u8, (i * 100 + 28) as u8]
            );
        }
        let avg = average_rgb(&im, 1);
        // Mean of 0, 100, 200 (+ p % 50) is 100 (+ p % 50).
        assert_eq!(&avg.data[..3], &[100, 114, 128]);
        let path = dir.path().join("average.png");
        write_average_png(&path, &im, 2).unwrap();
        let (w, h, rgb) = decode(&std::fs::read(&path).unwrap());
        assert_eq!((w, h), (16, 16));
        assert_eq!(rgb, average_rgb(&im, 2).data);
        let none = Images {
            ids: Vec::new(),
            pixels: Vec::new(),
            ..im
        };
        assert!(average_rgb(&none, 1).data.iter().all(|&p| p == NEUTRAL));
    }
}
