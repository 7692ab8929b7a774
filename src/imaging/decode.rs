//! Reading PNG, JPEG and DICOM files into a [`Picture`] of display intensities in [0, 1].
//!
//! The format is recognised by content, not by name: PNG by its 8-byte signature, JPEG by
//! its SOI marker (`FF D8 FF`), DICOM by the `DICM` prefix after the 128-byte preamble
//! (DICOM PS3.10 §7.1), by `DICM` at byte 0 (a file whose preamble was stripped), or by a
//! bare data set that starts with a group 0008 element and has no file meta information
//! at all (as some archives store them). The file name's extension is only consulted when
//! the content is not recognised.
//!
//! PNG and JPEG go through the `image` crate; DICOM goes through dicom-rs, which also
//! undoes the RLE (PS3.5 Annex G) and JPEG (PS3.5 §8.2.1) compressions it was built with.
//! DICOM stored values are turned into display intensities by the grayscale pipeline of
//! PS3.3 C.11: the Modality LUT (here the linear rescale of C.11.1) and then the VOI LUT
//! (here the linear window function of C.11.2.1.2.1), with MONOCHROME1 inverted
//! (C.7.6.3.1.2) so that larger values are always brighter.

use std::path::Path;

use dicom_dictionary_std::tags;
use dicom_object::file::ReadPreamble;
use dicom_object::{DefaultDicomObject, OpenFileOptions};
use dicom_pixeldata::{PixelDecoder, PixelRepresentation, PlanarConfiguration};
use image::{DynamicImage, ImageFormat};

use super::{ImagingError, Picture, Window};

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
const JPEG_SOI: [u8; 3] = [0xFF, 0xD8, 0xFF];
const EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1";
const IMPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2";

/// The container formats this module reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Png,
    Jpeg,
    /// A DICOM file with its file meta information (PS3.10 §7.1), with or without the
    /// 128-byte preamble.
    Dicom,
    /// A bare DICOM data set without file meta information, in little-endian explicit
    /// (`explicit == true`) or implicit VR.
    DicomBare {
        explicit: bool,
    },
}

fn decode_error(path: &Path, message: impl Into<String>) -> ImagingError {
    ImagingError::Decode {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, ImagingError> {
    std::fs::read(path).map_err(|source| {
        ImagingError::Io(crate::util::PathIoError {
            path: path.to_path_buf(),
            source,
        })
    })
}

/// Recognises the format from the first bytes of the file.
fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&PNG_SIGNATURE) {
        return Some(Format::Png);
    }
    if bytes.starts_with(&JPEG_SOI) {
        return Some(Format::Jpeg);
    }
    if bytes.len() >= 132 && &bytes[128..132] == b"DICM" {
        return Some(Format::Dicom);
    }
    if bytes.starts_with(b"DICM") {
        return Some(Format::Dicom);
    }
    // A bare data set: its first element is almost always of group 0008 (identifying
    // attributes such as Specific Character Set, SOP Class UID, Modality), little
    // endian. In explicit VR the two bytes after the tag are the VR's letters (PS3.5
    // §7.1.2); in implicit VR they are the low half of a 32-bit length (PS3.5 §7.1.3),
    // which for a group 0008 element is small.
    if bytes.len() >= 8 && bytes[0] == 0x08 && bytes[1] == 0x00 {
        if dicom_core::VR::from_binary([bytes[4], bytes[5]]).is_some() {
            return Some(Format::DicomBare { explicit: true });
        }
        let len = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        if len < 1 << 16 {
            return Some(Format::DicomBare { explicit: false });
        }
    }
    None
}

/// The format suggested by the file name's extension, the fallback when the content is
/// not recognised.
fn format_from_extension(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "png" => Some(Format::Png),
        "jpg" | "jpeg" | "jpe" | "jfif" => Some(Format::Jpeg),
        "dcm" | "dicom" | "dic" => Some(Format::Dicom),
        _ => None,
    }
}

/// Reads a PNG, JPEG or DICOM image as display intensities in [0, 1].
///
/// The format is recognised by content (PNG signature, JPEG SOI marker, DICOM `DICM`
/// magic per PS3.10 §7.1, with or without the preamble, or a bare data set), the
/// extension being only a fallback hint.
///
/// PNG and JPEG: 8- or 16-bit gray, gray+alpha, RGB or RGBA; alpha is dropped, gray gives
/// one channel and colour three; values are divided by the maximum of their bit depth.
///
/// DICOM: the first frame, through [`read_dicom`] and [`DicomPixels::to_picture`]
/// (Modality LUT of PS3.3 C.11.1, VOI window of C.11.2.1.2.1, MONOCHROME1 inverted).
/// `window` overrides the file's own VOI window; it is ignored for PNG, JPEG and colour
/// DICOM, whose values are already display values.
pub fn read_picture(path: &Path, window: Option<Window>) -> Result<Picture, ImagingError> {
    let bytes = read_bytes(path)?;
    match detect(path, &bytes)? {
        Format::Png => decode_raster(path, &bytes, ImageFormat::Png),
        Format::Jpeg => decode_raster(path, &bytes, ImageFormat::Jpeg),
        format @ (Format::Dicom | Format::DicomBare { .. }) => {
            Ok(dicom_from_bytes(path, &bytes, format)?.to_picture(window))
        }
    }
}

fn detect(path: &Path, bytes: &[u8]) -> Result<Format, ImagingError> {
    if let Some(format) = sniff(bytes) {
        return Ok(format);
    }
    if bytes.is_empty() {
        return Err(decode_error(
            path,
            "empty file: expected a PNG, JPEG or DICOM image",
        ));
    }
    if let Some(format) = format_from_extension(path) {
        return Ok(format);
    }
    Err(decode_error(
        path,
        format!(
            "unrecognised content ({} bytes): expected a PNG (signature 89 50 4E 47), \
             JPEG (marker FF D8 FF) or DICOM file ('DICM' at byte 128)",
            bytes.len()
        ),
    ))
}

/// Decodes PNG or JPEG bytes into a picture.
fn decode_raster(path: &Path, bytes: &[u8], format: ImageFormat) -> Result<Picture, ImagingError> {
    let name = match format {
        ImageFormat::Png => "png",
        _ => "jpeg",
    };
    let image = image::load_from_memory_with_format(bytes, format).map_err(|e| {
        let hint = match format {
            ImageFormat::Png if !bytes.starts_with(&PNG_SIGNATURE) => {
                " (the file does not start with the PNG signature)"
            }
            ImageFormat::Jpeg if !bytes.starts_with(&JPEG_SOI) => {
                " (the file does not start with the JPEG SOI marker)"
            }
            _ => "",
        };
        decode_error(
            path,
            format!("{name}: cannot decode a {name} image{hint}: {e}"),
        )
    })?;
    Ok(picture_from_image(image))
}

/// Converts a decoded raster image to intensities in [0, 1]: gray (with or without
/// alpha) to one channel, colour (with or without alpha) to three, alpha dropped, each
/// value divided by the maximum of its bit depth.
fn picture_from_image(image: DynamicImage) -> Picture {
    let width = image.width() as usize;
    let height = image.height() as usize;
    fn scaled<T: Copy + Into<f32>>(raw: &[T], stride: usize, keep: usize, max: f32) -> Vec<f32> {
        raw.chunks_exact(stride)
            .flat_map(|px| px[..keep].iter().map(move |&v| v.into() / max))
            .collect()
    }
    let (channels, values) = match &image {
        DynamicImage::ImageLuma8(b) => (1, scaled(b.as_raw(), 1, 1, 255.0)),
        DynamicImage::ImageLumaA8(b) => (1, scaled(b.as_raw(), 2, 1, 255.0)),
        DynamicImage::ImageRgb8(b) => (3, scaled(b.as_raw(), 3, 3, 255.0)),
        DynamicImage::ImageRgba8(b) => (3, scaled(b.as_raw(), 4, 3, 255.0)),
        DynamicImage::ImageLuma16(b) => (1, scaled(b.as_raw(), 1, 1, 65535.0)),
        DynamicImage::ImageLumaA16(b) => (1, scaled(b.as_raw(), 2, 1, 65535.0)),
        DynamicImage::ImageRgb16(b) => (3, scaled(b.as_raw(), 3, 3, 65535.0)),
        DynamicImage::ImageRgba16(b) => (3, scaled(b.as_raw(), 4, 3, 65535.0)),
        other if other.color().has_color() => {
            let rgb = other.to_rgb32f();
            (3, rgb.as_raw().iter().map(|v| v.clamp(0.0, 1.0)).collect())
        }
        other => {
            let gray = other.to_luma32f();
            (1, gray.as_raw().iter().map(|v| v.clamp(0.0, 1.0)).collect())
        }
    };
    Picture {
        width,
        height,
        channels,
        values,
    }
}

/// The pixel data of a DICOM image and the attributes needed to display it.
///
/// `stored` holds the stored values of the first frame (PS3.3 C.7.6.3.1: after masking
/// to Bits Stored and sign extension for Pixel Representation 1), row-major with samples
/// interleaved (Planar Configuration 0, whatever the file used).
#[derive(Clone, Debug, PartialEq)]
pub struct DicomPixels {
    /// Rows (0028,0010): the image height in pixels.
    pub rows: usize,
    /// Columns (0028,0011): the image width in pixels.
    pub columns: usize,
    /// Samples per Pixel (0028,0002): 1 for monochrome, 3 for colour.
    pub samples_per_pixel: usize,
    /// Bits Allocated (0028,0100) per sample in the file's pixel data.
    pub bits_allocated: u16,
    /// 0 unsigned, 1 two's complement (PS3.3 C.7.6.3.1).
    pub pixel_representation: u16,
    /// MONOCHROME1, MONOCHROME2 or RGB (PS3.3 C.7.6.3.1.2), as decoded (compressed YBR
    /// colour is delivered as RGB by the decoder).
    pub photometric: String,
    /// Transfer Syntax UID (0002,0010) of the file.
    pub transfer_syntax: String,
    /// Modality (0008,0060), e.g. CT, MR, CR.
    pub modality: Option<String>,
    /// Rescale Slope (0028,1053), 1 when absent.
    pub rescale_slope: f64,
    /// Rescale Intercept (0028,1052), 0 when absent.
    pub rescale_intercept: f64,
    /// The first Window Center/Width (0028,1050)/(0028,1051) pair, if present.
    pub window: Option<Window>,
    /// Stored values of the first frame, `rows × columns × samples_per_pixel`, row-major,
    /// samples interleaved (see the type's documentation).
    pub stored: Vec<f64>,
}

impl DicomPixels {
    /// The output of the Modality LUT, `slope · stored + intercept` (DICOM PS3.3 C.11.1,
    /// the linear transformation given by Rescale Slope and Rescale Intercept): values
    /// in modality units such as Hounsfield units for CT, on which VOI windows are defined.
    pub fn modality_values(&self) -> Vec<f64> {
        self.stored
            .iter()
            .map(|&v| self.rescale_slope * v + self.rescale_intercept)
            .collect()
    }

    /// Display intensities in [0, 1].
    ///
    /// Monochrome: the modality values (PS3.3 C.11.1) through the linear VOI window
    /// function of PS3.3 C.11.2.1.2.1, with `y_min = 0`, `y_max = 1`:
    /// `x ≤ c − 0.5 − (w − 1)/2 → 0`, `x > c − 0.5 + (w − 1)/2 → 1`, otherwise
    /// `((x − (c − 0.5)) / (w − 1) + 0.5)`. The window is `window`, else the file's own,
    /// else the one that spans the modality values exactly (min → 0, max → 1). A width
    /// below 1, which C.11.2.1.2.1 forbids, is treated as 1 (a threshold at `c − 0.5`).
    /// MONOCHROME1 is inverted (`1 − y`), since its minimum is meant to be shown white
    /// (PS3.3 C.7.6.3.1.2).
    ///
    /// RGB (three samples per pixel): the stored values divided by `2^bits_allocated − 1`,
    /// no window (the VOI LUT applies to grayscale only, PS3.3 C.11.2).
    pub fn to_picture(&self, window: Option<Window>) -> Picture {
        let is_colour = self.samples_per_pixel == 3;
        let values = if is_colour {
            let max = ((1u64 << u32::from(self.bits_allocated.clamp(1, 32))) - 1) as f64;
            self.stored
                .iter()
                .map(|&v| (v / max).clamp(0.0, 1.0) as f32)
                .collect()
        } else {
            let modality = self.modality_values();
            let window = window
                .or(self.window)
                .unwrap_or_else(|| full_range_window(&modality));
            let invert = self.photometric.trim() == "MONOCHROME1";
            modality
                .iter()
                .map(|&x| {
                    let y = voi_linear(x, window);
                    (if invert { 1.0 - y } else { y }) as f32
                })
                .collect()
        };
        Picture {
            width: self.columns,
            height: self.rows,
            channels: if is_colour { 3 } else { 1 },
            values,
        }
    }
}

/// The linear VOI LUT function of DICOM PS3.3 C.11.2.1.2.1 mapped to [0, 1].
fn voi_linear(x: f64, window: Window) -> f64 {
    let c = window.center;
    let w = window.width.max(1.0);
    let low = c - 0.5 - (w - 1.0) / 2.0;
    let high = c - 0.5 + (w - 1.0) / 2.0;
    if x <= low {
        0.0
    } else if x > high {
        1.0
    } else {
        ((x - (c - 0.5)) / (w - 1.0) + 0.5).clamp(0.0, 1.0)
    }
}

/// The window whose linear function (PS3.3 C.11.2.1.2.1) maps the smallest value to 0
/// and the largest to 1: `w − 1 = max − min`, `c − 0.5 = (min + max)/2`.
fn full_range_window(values: &[f64]) -> Window {
    let (min, max) = values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if min > max {
        return Window {
            center: 0.5,
            width: 1.0,
        };
    }
    Window {
        center: (min + max) / 2.0 + 0.5,
        width: max - min + 1.0,
    }
}

/// Reads the first frame of a DICOM image (PS3.10 file, with or without preamble, or a
/// bare little-endian data set) with the attributes that display it.
///
/// Native and compressed pixel data are decoded by dicom-pixeldata (compressed transfer
/// syntaxes as far as its RLE and JPEG codecs go; JPEG 2000 and JPEG-LS are not built
/// in). Only MONOCHROME1, MONOCHROME2 and RGB (PS3.3 C.7.6.3.1.2) are accepted. Stored
/// values are extracted per PS3.5 §8.1.1 / PS3.3 C.7.6.3.1: the Bits Stored bits ending
/// at High Bit, sign-extended when Pixel Representation is 1.
pub fn read_dicom(path: &Path) -> Result<DicomPixels, ImagingError> {
    let bytes = read_bytes(path)?;
    let format = match sniff(&bytes) {
        Some(format @ (Format::Dicom | Format::DicomBare { .. })) => format,
        Some(Format::Png) => {
            return Err(decode_error(
                path,
                "dicom: this is a PNG file, expected DICOM ('DICM' at byte 128)",
            ))
        }
        Some(Format::Jpeg) => {
            return Err(decode_error(
                path,
                "dicom: this is a JPEG file, expected DICOM ('DICM' at byte 128)",
            ))
        }
        None => Format::Dicom,
    };
    dicom_from_bytes(path, &bytes, format)
}

/// A minimal file meta group (PS3.10 §7.1) naming only the transfer syntax, put in front
/// of a bare data set so that dicom-rs can read it like a file.
fn synthetic_meta(transfer_syntax: &str) -> Vec<u8> {
    let mut uid = transfer_syntax.as_bytes().to_vec();
    if uid.len() % 2 == 1 {
        uid.push(0);
    }
    let mut element = vec![0x02, 0x00, 0x10, 0x00, b'U', b'I'];
    element.extend_from_slice(&(uid.len() as u16).to_le_bytes());
    element.extend_from_slice(&uid);
    let mut meta = b"DICM".to_vec();
    meta.extend_from_slice(&[0x02, 0x00, 0x00, 0x00, b'U', b'L', 0x04, 0x00]);
    meta.extend_from_slice(&(element.len() as u32).to_le_bytes());
    meta.extend_from_slice(&element);
    meta
}

fn open_dicom(
    path: &Path,
    bytes: &[u8],
    format: Format,
) -> Result<DefaultDicomObject, ImagingError> {
    let options = OpenFileOptions::new().read_preamble(ReadPreamble::Never);
    let result = match format {
        Format::DicomBare { explicit } => {
            let ts = if explicit {
                EXPLICIT_VR_LITTLE_ENDIAN
            } else {
                IMPLICIT_VR_LITTLE_ENDIAN
            };
            let meta = synthetic_meta(ts);
            options.from_reader(std::io::Read::chain(meta.as_slice(), bytes))
        }
        _ => {
            let start = if bytes.len() >= 132 && &bytes[128..132] == b"DICM" {
                128
            } else {
                0
            };
            options.from_reader(&bytes[start..])
        }
    };
    result.map_err(|e| {
        let has_magic =
            bytes.starts_with(b"DICM") || (bytes.len() >= 132 && &bytes[128..132] == b"DICM");
        let hint = match format {
            Format::DicomBare { .. } => " (bare data set without file meta information)",
            _ if has_magic => "",
            _ if bytes.len() < 132 => " (file too short for the 128-byte preamble and 'DICM')",
            _ => " (no 'DICM' magic at byte 128)",
        };
        decode_error(
            path,
            format!(
                "dicom: cannot read the DICOM data set{hint}: {}",
                error_chain(&e)
            ),
        )
    })
}

/// Formats an error with its sources, which carry the useful detail in dicom-rs.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let s = e.to_string();
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        source = e.source();
    }
    text
}

fn dicom_from_bytes(
    path: &Path,
    bytes: &[u8],
    format: Format,
) -> Result<DicomPixels, ImagingError> {
    let object = open_dicom(path, bytes, format)?;
    let err = |message: String| decode_error(path, message);
    let transfer_syntax = object.meta().transfer_syntax().to_string();
    if object.get(tags::PIXEL_DATA).is_none() {
        return Err(err(
            "dicom: no pixel data (7FE0,0010); expected an image object".to_string(),
        ));
    }
    let modality = object
        .get(tags::MODALITY)
        .and_then(|e| e.to_str().ok())
        .map(|s| {
            s.trim_matches(|c: char| c.is_whitespace() || c == '\0')
                .to_string()
        })
        .filter(|s| !s.is_empty());

    let decoded = object.decode_pixel_data_frame(0).map_err(|e| {
        err(format!(
            "dicom: cannot decode the pixel data (transfer syntax {transfer_syntax}): {}",
            error_chain(&e)
        ))
    })?;
    let photometric = decoded.photometric_interpretation().to_string();
    let samples_per_pixel = usize::from(decoded.samples_per_pixel());
    match (photometric.as_str(), samples_per_pixel) {
        ("MONOCHROME1" | "MONOCHROME2", 1) | ("RGB", 3) => {}
        ("MONOCHROME1" | "MONOCHROME2" | "RGB", n) => {
            return Err(err(format!(
                "dicom: {photometric} with {n} samples per pixel (expected 1 for \
                 MONOCHROME1/MONOCHROME2, 3 for RGB)"
            )))
        }
        _ => {
            return Err(err(format!(
                "dicom: unsupported photometric interpretation {photometric} (expected \
                 MONOCHROME1, MONOCHROME2 or RGB)"
            )))
        }
    }
    let rows = decoded.rows() as usize;
    let columns = decoded.columns() as usize;
    if rows == 0 || columns == 0 {
        return Err(err(format!(
            "dicom: empty image ({rows} rows × {columns} columns)"
        )));
    }
    let layout = SampleLayout {
        pixels: rows * columns,
        samples_per_pixel,
        bits_allocated: decoded.bits_allocated(),
        bits_stored: decoded.bits_stored(),
        high_bit: decoded.high_bit(),
        signed: decoded.pixel_representation() == PixelRepresentation::Signed,
        planar: decoded.planar_configuration() == PlanarConfiguration::PixelFirst,
    };
    let stored = layout.unpack(decoded.data()).map_err(err)?;
    let rescale = decoded
        .rescale()
        .ok()
        .and_then(|r| r.first().copied())
        .map(|r| (r.slope, r.intercept))
        .unwrap_or((1.0, 0.0));
    let window = decoded
        .window()
        .ok()
        .flatten()
        .and_then(|w| w.first().copied())
        .map(|w| Window {
            center: w.center,
            width: w.width,
        });
    Ok(DicomPixels {
        rows,
        columns,
        samples_per_pixel,
        bits_allocated: layout.bits_allocated,
        pixel_representation: u16::from(layout.signed),
        photometric,
        transfer_syntax,
        modality,
        rescale_slope: rescale.0,
        rescale_intercept: rescale.1,
        window,
        stored,
    })
}

/// How the samples of one frame of native pixel data are laid out (PS3.5 §8.1.1,
/// PS3.3 C.7.6.3.1).
struct SampleLayout {
    pixels: usize,
    samples_per_pixel: usize,
    bits_allocated: u16,
    bits_stored: u16,
    high_bit: u16,
    signed: bool,
    /// Planar Configuration 1: all red values, then all green, then all blue.
    planar: bool,
}

impl SampleLayout {
    /// The stored values, interleaved by pixel.
    fn unpack(&self, data: &[u8]) -> Result<Vec<f64>, String> {
        let samples = self.pixels * self.samples_per_pixel;
        // dicom-pixeldata expands 1-bit samples to one byte of 0 or 255 each.
        let bytes_per_sample = match self.bits_allocated {
            1 | 8 => 1,
            16 => 2,
            32 => 4,
            b => {
                return Err(format!(
                    "dicom: unsupported Bits Allocated {b} (expected 1, 8, 16 or 32)"
                ))
            }
        };
        let needed = samples * bytes_per_sample;
        if data.len() < needed {
            return Err(format!(
                "dicom: pixel data too short: {} bytes, expected {needed} for {} pixels × \
                 {} samples × {} bits",
                data.len(),
                self.pixels,
                self.samples_per_pixel,
                self.bits_allocated
            ));
        }
        let raw = |i: usize| -> u64 {
            let b = &data[i * bytes_per_sample..(i + 1) * bytes_per_sample];
            match bytes_per_sample {
                1 => u64::from(b[0]),
                2 => u64::from(u16::from_ne_bytes([b[0], b[1]])),
                _ => u64::from(u32::from_ne_bytes([b[0], b[1], b[2], b[3]])),
            }
        };
        let value = |i: usize| -> f64 {
            if self.bits_allocated == 1 {
                return if raw(i) != 0 { 1.0 } else { 0.0 };
            }
            let allocated = u32::from(self.bits_allocated);
            let stored = u32::from(self.bits_stored).clamp(1, allocated);
            // The stored bits end at High Bit (normally Bits Stored − 1).
            let high = u32::from(self.high_bit).clamp(stored - 1, allocated - 1);
            let shift = high + 1 - stored;
            let mask = (1u64 << stored) - 1;
            let v = (raw(i) >> shift) & mask;
            if self.signed && v >> (stored - 1) & 1 == 1 {
                (v as i64 - (1i64 << stored)) as f64
            } else {
                v as f64
            }
        };
        let spp = self.samples_per_pixel;
        Ok(if self.planar && spp > 1 {
            (0..samples)
                .map(|k| value((k % spp) * self.pixels + k / spp))
                .collect()
        } else {
            (0..samples).map(value).collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::value::PixelFragmentSequence;
    use dicom_core::{DataElement, PrimitiveValue, VR};
    use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
    use image::{ImageBuffer, Luma, LumaA, Rgb, Rgba};
    use std::path::PathBuf;

    fn data_dir() -> PathBuf {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/dicom"))
    }

    fn truth() -> serde_json::Value {
        let text = std::fs::read_to_string(data_dir().join("dicom_truth.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    /// The window values of the truth file: a number as text, or "None" for absent.
    fn optional_number(v: &serde_json::Value) -> Option<f64> {
        match v.as_str() {
            Some("None") => None,
            Some(s) => Some(s.trim().parse().unwrap()),
            None => v.as_f64(),
        }
    }

    #[test]
    fn dicom_files_match_truth() {
        let truth = truth();
        let files = truth.as_object().unwrap();
        assert_eq!(files.len(), 2);
        for (name, t) in files {
            let path = data_dir().join(name);
            let px = read_dicom(&path).unwrap_or_else(|e| panic!("{e}"));
            let num = |k: &str| t[k].as_f64().unwrap_or_else(|| panic!("{name}: {k}"));
            assert_eq!(px.rows as f64, num("rows"), "{name}");
            assert_eq!(px.columns as f64, num("columns"), "{name}");
            assert_eq!(
                f64::from(px.bits_allocated),
                num("bits_allocated"),
                "{name}"
            );
            assert_eq!(
                f64::from(px.pixel_representation),
                num("pixel_representation"),
                "{name}"
            );
            assert_eq!(px.transfer_syntax, t["transfer_syntax"].as_str().unwrap());
            assert_eq!(px.modality.as_deref(), t["modality"].as_str(), "{name}");
            assert_eq!(px.rescale_slope, num("rescale_slope"), "{name}");
            assert_eq!(px.rescale_intercept, num("rescale_intercept"), "{name}");
            assert_eq!(px.samples_per_pixel, 1);
            assert_eq!(px.stored.len(), px.rows * px.columns);

            let min = px.stored.iter().copied().fold(f64::INFINITY, f64::min);
            let max = px.stored.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let mean = px.stored.iter().sum::<f64>() / px.stored.len() as f64;
            assert_eq!(min, num("stored_min"), "{name}");
            assert_eq!(max, num("stored_max"), "{name}");
            assert!(close(mean, num("stored_mean"), 1e-9), "{name}: mean {mean}");
            assert_eq!(px.stored[0], num("stored_pixel_0_0"), "{name}");
            // "center" is the pixel at row rows/2, column columns/2 (integer division),
            // i.e. index (rows/2)·columns + columns/2 of the row-major values. Both sizes
            // are even, and the other candidates for "the centre" ((rows/2 − 1,
            // columns/2 − 1), (rows/2 − 1, columns/2), (rows/2, columns/2 − 1)) all hold
            // different values, so this is the only reading that matches the truth.
            let at = |r: usize, c: usize| px.stored[r * px.columns + c];
            let (r, c) = (px.rows / 2, px.columns / 2);
            assert_eq!(at(r, c), num("stored_pixel_center"), "{name}");
            let others = [at(r - 1, c - 1), at(r - 1, c), at(r, c - 1)];
            assert!(
                others.iter().all(|&v| v != num("stored_pixel_center")),
                "{name}: the centre index is ambiguous"
            );

            let modality = px.modality_values();
            let lut_mean = modality.iter().sum::<f64>() / modality.len() as f64;
            assert!(
                close(lut_mean, num("modality_lut_mean"), 1e-9),
                "{name}: modality mean {lut_mean}"
            );

            let wc = optional_number(&t["window_center"]);
            let ww = optional_number(&t["window_width"]);
            assert_eq!(px.window.map(|w| w.center), wc, "{name}");
            assert_eq!(px.window.map(|w| w.width), ww, "{name}");

            // And the display picture through read_picture.
            let picture = read_picture(&path, None).unwrap();
            assert_eq!((picture.width, picture.height), (px.columns, px.rows));
            assert_eq!(picture.channels, 1);
            assert!(picture.values.iter().all(|v| (0.0..=1.0).contains(v)));
            if px.window.is_none() {
                // Full-range default window: min → 0, max → 1.
                let lo = picture.values.iter().copied().fold(f32::INFINITY, f32::min);
                let hi = picture
                    .values
                    .iter()
                    .copied()
                    .fold(f32::NEG_INFINITY, f32::max);
                assert_eq!((lo, hi), (0.0, 1.0), "{name}");
            }
        }
    }

    #[test]
    fn dicom_without_preamble_or_meta_reads_the_same() {
        let path = data_dir().join("CT_small.dcm");
        let bytes = std::fs::read(&path).unwrap();
        let reference = read_dicom(&path).unwrap();
        let dir = tempfile::tempdir().unwrap();

        // Preamble stripped: the file starts with "DICM".
        let no_preamble = dir.path().join("no_preamble.bin");
        std::fs::write(&no_preamble, &bytes[128..]).unwrap();
        assert_eq!(read_dicom(&no_preamble).unwrap(), reference);

        // File meta group stripped too: a bare explicit-VR little-endian data set. The
        // group length (0002,0000) is the UL value after the 8-byte element header.
        let group_len = u32::from_le_bytes(bytes[140..144].try_into().unwrap()) as usize;
        let bare = dir.path().join("bare.bin");
        std::fs::write(&bare, &bytes[144 + group_len..]).unwrap();
        let px = read_dicom(&bare).unwrap();
        assert_eq!(px.stored, reference.stored);
        assert_eq!(px.rescale_intercept, reference.rescale_intercept);
        assert_eq!(px.transfer_syntax, EXPLICIT_VR_LITTLE_ENDIAN);
        let picture = read_picture(&bare, None).unwrap();
        assert_eq!(picture, reference.to_picture(None));
    }

    fn hand_made(stored: Vec<f64>, photometric: &str) -> DicomPixels {
        DicomPixels {
            rows: 1,
            columns: stored.len(),
            samples_per_pixel: 1,
            bits_allocated: 16,
            pixel_representation: 1,
            photometric: photometric.to_string(),
            transfer_syntax: EXPLICIT_VR_LITTLE_ENDIAN.to_string(),
            modality: Some("CT".to_string()),
            rescale_slope: 1.0,
            rescale_intercept: -1024.0,
            window: None,
            stored,
        }
    }

    #[test]
    fn windowing_clamps_and_centres() {
        // Modality values -1024 + stored: -1000, 0, 40, 80, 1000 HU.
        let px = hand_made(vec![24.0, 1024.0, 1064.0, 1104.0, 2024.0], "MONOCHROME2");
        assert_eq!(px.modality_values(), vec![-1000.0, 0.0, 40.0, 80.0, 1000.0]);
        let window = Window {
            center: 40.0,
            width: 80.0,
        };
        let v = px.to_picture(Some(window)).values;
        assert_eq!(v[0], 0.0, "below the window clamps to 0");
        assert_eq!(v[4], 1.0, "above the window clamps to 1");
        assert!((v[2] - 0.5).abs() < 0.01, "centre maps to ~0.5: {}", v[2]);
        // Exactly per C.11.2.1.2.1: ((40 − 39.5)/79 + 0.5).
        assert!((f64::from(v[2]) - (0.5 / 79.0 + 0.5)).abs() < 1e-6);
        // Edges: x ≤ c − 0.5 − (w−1)/2 = 0 → 0; x > c − 0.5 + (w−1)/2 = 79 → 1.
        assert_eq!(v[1], 0.0);
        assert_eq!(v[3], 1.0);

        // The file's window is used when no argument is given; the argument wins.
        let mut with_file_window = px.clone();
        with_file_window.window = Some(Window {
            center: 0.0,
            width: 2000.0,
        });
        let v = with_file_window.to_picture(None).values;
        assert_eq!(v[0], 0.0);
        assert!((v[1] - 0.5).abs() < 1e-3);
        assert_eq!(v[4], 1.0);
        assert_eq!(
            with_file_window.to_picture(Some(window)).values[2],
            px.to_picture(Some(window)).values[2]
        );

        // No window at all: min..max of the modality values.
        let v = px.to_picture(None).values;
        assert_eq!(v[0], 0.0);
        assert_eq!(v[4], 1.0);
        assert!((v[1] - 0.5).abs() < 1e-6);

        // Width 1 is a threshold at c − 0.5.
        let thr = px.to_picture(Some(Window {
            center: 40.0,
            width: 1.0,
        }));
        assert_eq!(thr.values, vec![0.0, 0.0, 1.0, 1.0, 1.0]);
    }

    #[test]
    fn monochrome1_is_inverted() {
        let m2 = hand_made(vec![0.0, 100.0, 250.0, 400.0], "MONOCHROME2");
        let m1 = hand_made(vec![0.0, 100.0, 250.0, 400.0], "MONOCHROME1");
        let a = m2.to_picture(None).values;
        let b = m1.to_picture(None).values;
        assert_eq!(b[0], 1.0);
        assert_eq!(b[3], 0.0);
        for (x, y) in a.iter().zip(&b) {
            assert!((x + y - 1.0).abs() < 1e-6);
        }
    }

    #[test]
    fn colour_dicom_is_scaled_not_windowed() {
        let px = DicomPixels {
            rows: 1,
            columns: 2,
            samples_per_pixel: 3,
            bits_allocated: 8,
            pixel_representation: 0,
            photometric: "RGB".into(),
            transfer_syntax: EXPLICIT_VR_LITTLE_ENDIAN.into(),
            modality: None,
            rescale_slope: 1.0,
            rescale_intercept: 0.0,
            window: None,
            stored: vec![0.0, 51.0, 255.0, 255.0, 102.0, 0.0],
        };
        let p = px.to_picture(Some(Window {
            center: 10.0,
            width: 2.0,
        }));
        assert_eq!(p.channels, 3);
        assert_eq!(p.values, vec![0.0, 0.2, 1.0, 1.0, 0.4, 0.0]);
    }

    /// Writes a DICOM file with the given pixel attributes and Pixel Data element.
    fn write_dicom(
        path: &Path,
        transfer_syntax: &str,
        photometric: &str,
        (rows, columns, spp): (u16, u16, u16),
        (bits_allocated, bits_stored, signed): (u16, u16, bool),
        planar: Option<u16>,
        pixel_data: DataElement<InMemDicomObject>,
    ) {
        let mut obj = InMemDicomObject::new_empty();
        let uid = |s: &str| PrimitiveValue::from(s);
        obj.put(DataElement::new(
            tags::SOP_CLASS_UID,
            VR::UI,
            uid("1.2.840.10008.5.1.4.1.1.7"),
        ));
        obj.put(DataElement::new(
            tags::SOP_INSTANCE_UID,
            VR::UI,
            uid("1.2.3.4.5"),
        ));
        obj.put(DataElement::new(tags::MODALITY, VR::CS, uid("OT")));
        let us = |v: u16| PrimitiveValue::from(v);
        obj.put(DataElement::new(tags::SAMPLES_PER_PIXEL, VR::US, us(spp)));
        obj.put(DataElement::new(
            tags::PHOTOMETRIC_INTERPRETATION,
            VR::CS,
            uid(photometric),
        ));
        if let Some(p) = planar {
            obj.put(DataElement::new(tags::PLANAR_CONFIGURATION, VR::US, us(p)));
        }
        obj.put(DataElement::new(tags::ROWS, VR::US, us(rows)));
        obj.put(DataElement::new(tags::COLUMNS, VR::US, us(columns)));
        obj.put(DataElement::new(
            tags::BITS_ALLOCATED,
            VR::US,
            us(bits_allocated),
        ));
        obj.put(DataElement::new(tags::BITS_STORED, VR::US, us(bits_stored)));
        obj.put(DataElement::new(
            tags::HIGH_BIT,
            VR::US,
            us(bits_stored - 1),
        ));
        obj.put(DataElement::new(
            tags::PIXEL_REPRESENTATION,
            VR::US,
            us(u16::from(signed)),
        ));
        obj.put(pixel_data);
        let file = obj
            .with_meta(FileMetaTableBuilder::new().transfer_syntax(transfer_syntax))
            .unwrap();
        file.write_to_file(path).unwrap();
    }

    fn native_pixels(bytes: Vec<u8>) -> DataElement<InMemDicomObject> {
        DataElement::new(tags::PIXEL_DATA, VR::OB, PrimitiveValue::from(bytes))
    }

    #[test]
    fn native_dicom_variants() {
        let dir = tempfile::tempdir().unwrap();

        // MONOCHROME1, 12 bits stored in 16, signed: -2048, -1, 0, 2047.
        let values: [i16; 4] = [-2048, -1, 0, 2047];
        let bytes: Vec<u8> = values
            .iter()
            .flat_map(|v| ((*v as u16) & 0x0FFF).to_ne_bytes())
            .collect();
        let path = dir.path().join("m1.dcm");
        write_dicom(
            &path,
            EXPLICIT_VR_LITTLE_ENDIAN,
            "MONOCHROME1",
            (2, 2, 1),
            (16, 12, true),
            None,
            native_pixels(bytes),
        );
        let px = read_dicom(&path).unwrap();
        assert_eq!(px.stored, vec![-2048.0, -1.0, 0.0, 2047.0]);
        assert_eq!(px.photometric, "MONOCHROME1");
        assert_eq!(px.modality.as_deref(), Some("OT"));
        assert_eq!((px.rescale_slope, px.rescale_intercept), (1.0, 0.0));
        assert_eq!(px.window, None);
        let p = read_picture(&path, None).unwrap();
        assert_eq!(p.values[0], 1.0, "MONOCHROME1 minimum is white");
        assert_eq!(p.values[3], 0.0);

        // RGB, planar configuration 1 (R plane, G plane, B plane).
        let path = dir.path().join("rgb.dcm");
        write_dicom(
            &path,
            EXPLICIT_VR_LITTLE_ENDIAN,
            "RGB",
            (1, 2, 3),
            (8, 8, false),
            Some(1),
            native_pixels(vec![255, 0, 0, 255, 51, 102]),
        );
        let px = read_dicom(&path).unwrap();
        assert_eq!(px.stored, vec![255.0, 0.0, 51.0, 0.0, 255.0, 102.0]);
        let p = read_picture(&path, None).unwrap();
        assert_eq!((p.width, p.height, p.channels), (2, 1, 3));
        assert_eq!(p.values, vec![1.0, 0.0, 0.2, 0.0, 1.0, 0.4]);

        // Unsupported photometric interpretation.
        let path = dir.path().join("ybr.dcm");
        write_dicom(
            &path,
            EXPLICIT_VR_LITTLE_ENDIAN,
            "YBR_FULL",
            (1, 1, 3),
            (8, 8, false),
            None,
            native_pixels(vec![1, 2, 3, 0]),
        );
        let e = read_dicom(&path).unwrap_err().to_string();
        assert!(e.contains("ybr.dcm"), "{e}");
        assert!(
            e.contains(
                "dicom: unsupported photometric interpretation YBR_FULL \
                 (expected MONOCHROME1, MONOCHROME2 or RGB)"
            ),
            "{e}"
        );

        // No pixel data.
        let path = dir.path().join("nopixels.dcm");
        let mut obj = InMemDicomObject::new_empty();
        obj.put(DataElement::new(
            tags::SOP_CLASS_UID,
            VR::UI,
            PrimitiveValue::from("1.2.3"),
        ));
        obj.put(DataElement::new(
            tags::SOP_INSTANCE_UID,
            VR::UI,
            PrimitiveValue::from("1.2.3.4"),
        ));
        obj.with_meta(FileMetaTableBuilder::new().transfer_syntax(EXPLICIT_VR_LITTLE_ENDIAN))
            .unwrap()
            .write_to_file(&path)
            .unwrap();
        let e = read_picture(&path, None).unwrap_err().to_string();
        assert!(
            e.contains("nopixels.dcm") && e.contains("dicom: no pixel data"),
            "{e}"
        );
    }

    /// RLE encoding of one byte segment per PS3.5 G.3.1, as literal runs of ≤ 128 bytes.
    fn rle_literal(segment: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for chunk in segment.chunks(128) {
            out.push((chunk.len() - 1) as u8);
            out.extend_from_slice(chunk);
        }
        if out.len() % 2 == 1 {
            out.push(0);
        }
        out
    }

    #[test]
    fn rle_compressed_dicom() {
        // 16-bit unsigned MONOCHROME2, 2×3: two segments, most significant byte first
        // (PS3.5 G.2).
        let values: [u16; 6] = [0, 1, 258, 1000, 4095, 300];
        let high: Vec<u8> = values.iter().map(|v| (v >> 8) as u8).collect();
        let low: Vec<u8> = values.iter().map(|v| (v & 0xFF) as u8).collect();
        let seg1 = rle_literal(&high);
        let seg2 = rle_literal(&low);
        let mut header = [0u32; 16];
        header[0] = 2;
        header[1] = 64;
        header[2] = 64 + seg1.len() as u32;
        let mut frame: Vec<u8> = header.iter().flat_map(|v| v.to_le_bytes()).collect();
        frame.extend(seg1);
        frame.extend(seg2);
        let element = DataElement::new(
            tags::PIXEL_DATA,
            VR::OB,
            PixelFragmentSequence::new(Vec::<u32>::new(), vec![frame]),
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rle.dcm");
        write_dicom(
            &path,
            "1.2.840.10008.1.2.5",
            "MONOCHROME2",
            (2, 3, 1),
            (16, 12, false),
            None,
            element,
        );
        let px = read_dicom(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(px.transfer_syntax, "1.2.840.10008.1.2.5");
        assert_eq!(
            px.stored,
            values.iter().map(|&v| f64::from(v)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn jpeg_baseline_compressed_dicom() {
        // A smooth 8-bit gray image, JPEG baseline (1.2.840.10008.1.2.4.50).
        let (w, h) = (16u32, 8u32);
        let img = ImageBuffer::from_fn(w, h, |x, y| Luma([(x * 12 + y * 4) as u8]));
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95)
            .encode_image(&img)
            .unwrap();
        if jpeg.len() % 2 == 1 {
            jpeg.push(0);
        }
        let element = DataElement::new(
            tags::PIXEL_DATA,
            VR::OB,
            PixelFragmentSequence::new(Vec::<u32>::new(), vec![jpeg]),
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jpeg.dcm");
        write_dicom(
            &path,
            "1.2.840.10008.1.2.4.50",
            "MONOCHROME2",
            (h as u16, w as u16, 1),
            (8, 8, false),
            None,
            element,
        );
        let px = read_dicom(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((px.rows, px.columns), (8, 16));
        for (got, want) in px.stored.iter().zip(img.as_raw()) {
            assert!((got - f64::from(*want)).abs() <= 4.0, "{got} vs {want}");
        }
    }

    fn assert_values(p: &Picture, want: &[f32], tol: f32) {
        assert_eq!(p.values.len(), want.len());
        for (i, (a, b)) in p.values.iter().zip(want).enumerate() {
            assert!((a - b).abs() <= tol, "value {i}: {a} vs {b}");
        }
    }

    #[test]
    fn png_round_trips() {
        let dir = tempfile::tempdir().unwrap();

        let gray = ImageBuffer::from_raw(3, 2, vec![0u8, 51, 102, 153, 204, 255]).unwrap();
        let path = dir.path().join("gray.png");
        DynamicImage::ImageLuma8(gray).save(&path).unwrap();
        let p = read_picture(&path, None).unwrap();
        assert_eq!((p.width, p.height, p.channels), (3, 2, 1));
        assert_values(&p, &[0.0, 0.2, 0.4, 0.6, 0.8, 1.0], 1e-6);

        let gray16: ImageBuffer<Luma<u16>, _> =
            ImageBuffer::from_raw(2, 2, vec![0u16, 1, 32768, 65535]).unwrap();
        let path = dir.path().join("gray16.png");
        DynamicImage::ImageLuma16(gray16).save(&path).unwrap();
        let p = read_picture(&path, None).unwrap();
        assert_eq!((p.width, p.height, p.channels), (2, 2, 1));
        assert_values(&p, &[0.0, 1.0 / 65535.0, 32768.0 / 65535.0, 1.0], 1e-7);

        let gray_alpha: ImageBuffer<LumaA<u8>, _> =
            ImageBuffer::from_raw(2, 1, vec![255u8, 0, 51, 128]).unwrap();
        let path = dir.path().join("gray_alpha.png");
        DynamicImage::ImageLumaA8(gray_alpha).save(&path).unwrap();
        let p = read_picture(&path, None).unwrap();
        assert_eq!(p.channels, 1);
        assert_values(&p, &[1.0, 0.2], 1e-6);

        let rgb: ImageBuffer<Rgb<u8>, _> =
            ImageBuffer::from_raw(2, 1, vec![255u8, 0, 51, 0, 102, 255]).unwrap();
        let path = dir.path().join("rgb.png");
        DynamicImage::ImageRgb8(rgb).save(&path).unwrap();
        let p = read_picture(&path, None).unwrap();
        assert_eq!((p.width, p.height, p.channels), (2, 1, 3));
        assert_values(&p, &[1.0, 0.0, 0.2, 0.0, 0.4, 1.0], 1e-6);

        let rgba: ImageBuffer<Rgba<u8>, _> =
            ImageBuffer::from_raw(1, 2, vec![255u8, 51, 0, 0, 0, 102, 255, 255]).unwrap();
        let path = dir.path().join("rgba.png");
        DynamicImage::ImageRgba8(rgba).save(&path).unwrap();
        let p = read_picture(&path, None).unwrap();
        assert_eq!((p.width, p.height, p.channels), (1, 2, 3));
        assert_values(&p, &[1.0, 0.2, 0.0, 0.0, 0.4, 1.0], 1e-6);

        let rgb16: ImageBuffer<Rgb<u16>, _> =
            ImageBuffer::from_raw(1, 1, vec![65535u16, 0, 13107]).unwrap();
        let path = dir.path().join("rgb16.png");
        DynamicImage::ImageRgb16(rgb16).save(&path).unwrap();
        let p = read_picture(&path, None).unwrap();
        assert_values(&p, &[1.0, 0.0, 0.2], 1e-6);

        // Content wins over the name: a PNG called .dcm still reads as PNG.
        let renamed = dir.path().join("actually_png.dcm");
        std::fs::copy(&path, &renamed).unwrap();
        assert_eq!(read_picture(&renamed, None).unwrap(), p);
    }

    #[test]
    fn jpeg_round_trip_within_tolerance() {
        let dir = tempfile::tempdir().unwrap();
        let (w, h) = (32u32, 24u32);
        let rgb = ImageBuffer::from_fn(w, h, |x, y| {
            Rgb([(x * 8) as u8, (y * 10) as u8, (255 - x * 4) as u8])
        });
        let path = dir.path().join("colour.jpg");
        let mut file = std::fs::File::create(&path).unwrap();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut file, 95)
            .encode_image(&rgb)
            .unwrap();
        drop(file);
        let p = read_picture(&path, None).unwrap();
        assert_eq!((p.width, p.height, p.channels), (32, 24, 3));
        let want: Vec<f32> = rgb.as_raw().iter().map(|&v| f32::from(v) / 255.0).collect();
        assert_values(&p, &want, 0.06);

        let gray = ImageBuffer::from_fn(w, h, |x, y| Luma([(x * 4 + y * 4) as u8]));
        let path = dir.path().join("gray.jpeg");
        DynamicImage::ImageLuma8(gray.clone()).save(&path).unwrap();
        let p = read_picture(&path, None).unwrap();
        assert_eq!(p.channels, 1);
        let want: Vec<f32> = gray
            .as_raw()
            .iter()
            .map(|&v| f32::from(v) / 255.0)
            .collect();
        assert_values(&p, &want, 0.06);
    }

    #[test]
    fn clear_errors_for_non_images_and_truncated_files() {
        let dir = tempfile::tempdir().unwrap();

        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "this is not an image\n").unwrap();
        let e = read_picture(&text, None).unwrap_err().to_string();
        assert!(e.contains("notes.txt"), "{e}");
        assert!(e.contains("expected a PNG") && e.contains("DICOM"), "{e}");

        let empty = dir.path().join("empty.bin");
        std::fs::write(&empty, b"").unwrap();
        let e = read_picture(&empty, None).unwrap_err().to_string();
        assert!(e.contains("empty file"), "{e}");

        let missing = dir.path().join("missing.png");
        let e = read_picture(&missing, None).unwrap_err();
        assert!(matches!(e, ImagingError::Io(..)), "{e}");
        assert!(e.to_string().contains("missing.png"));

        // A truncated PNG.
        let img = ImageBuffer::from_fn(64, 64, |x, y| Luma([(x ^ y) as u8]));
        let mut png = Vec::new();
        DynamicImage::ImageLuma8(img)
            .write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        let cut = dir.path().join("cut.png");
        std::fs::write(&cut, &png[..png.len() / 2]).unwrap();
        let e = read_picture(&cut, None).unwrap_err().to_string();
        assert!(
            e.contains("cut.png") && e.contains("png: cannot decode"),
            "{e}"
        );

        // A text file named .png: the extension hint gives a PNG error.
        let fake = dir.path().join("fake.png");
        std::fs::write(&fake, "hello").unwrap();
        let e = read_picture(&fake, None).unwrap_err().to_string();
        assert!(e.contains("does not start with the PNG signature"), "{e}");

        // A truncated DICOM file.
        let bytes = std::fs::read(data_dir().join("MR_small.dcm")).unwrap();
        let cut = dir.path().join("cut.dcm");
        std::fs::write(&cut, &bytes[..bytes.len() - 1000]).unwrap();
        let e = read_picture(&cut, None).unwrap_err().to_string();
        assert!(e.contains("cut.dcm") && e.contains("dicom:"), "{e}");

        // read_dicom refuses a PNG.
        let e = read_dicom(&dir.path().join("gray_ok.png")).unwrap_err();
        assert!(matches!(e, ImagingError::Io(..)));
        let p = dir.path().join("gray_ok.png");
        std::fs::write(&p, &png).unwrap();
        let e = read_dicom(&p).unwrap_err().to_string();
        assert!(e.contains("this is a PNG file, expected DICOM"), "{e}");
    }
}
