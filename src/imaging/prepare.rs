//! Turning a [`Picture`] into the model's fixed `[C, S, S]` grid of bytes.
//!
//! Every image, whatever its size, shape or colour, must reach the patch encoder as the
//! same grid, and prediction must see images exactly as training did; so the steps are
//! fixed and deterministic:
//!
//! 1. colour conversion to the spec's channel count: RGB → gray by the Rec. 601 luma
//!    weights `0.299 R + 0.587 G + 0.114 B` (ITU-R BT.601, the same luminance that DICOM
//!    uses for YBR, PS3.3 C.7.6.3.1.2), gray → RGB by replication;
//! 2. letterboxing to a square, centred, padded with 0 (black), so the aspect ratio — and
//!    with it anatomy such as the cardiothoracic ratio of a chest X-ray — is preserved;
//! 3. resampling the square to `size × size`: area averaging when shrinking (each output
//!    pixel is the mean of the input area it covers, fractional pixels weighted by their
//!    coverage, so that fine detail is averaged rather than aliased), bilinear
//!    interpolation (pixel centres at half-integers) when enlarging, a plain copy when the
//!    size already matches;
//! 4. quantisation of each value `v ∈ [0, 1]` to `round(255 v)`, clamped to 0..=255.

use std::path::Path;

use super::decode::read_picture;
use super::{ImageSpec, ImagingError, Picture};

/// Rec. 601 luma weights (ITU-R BT.601) for RGB → gray.
const LUMA_601: [f64; 3] = [0.299, 0.587, 0.114];

fn check_spec(spec: &ImageSpec) -> Result<(), ImagingError> {
    if spec.size == 0 {
        return Err(ImagingError::Invalid(
            "image spec: size must be at least 1 pixel".to_string(),
        ));
    }
    if spec.channels != 1 && spec.channels != 3 {
        return Err(ImagingError::Invalid(format!(
            "image spec: channels is {}, expected 1 (grayscale) or 3 (RGB)",
            spec.channels
        )));
    }
    Ok(())
}

fn check_picture(picture: &Picture) -> Result<(), ImagingError> {
    if picture.width == 0 || picture.height == 0 {
        return Err(ImagingError::Invalid(format!(
            "picture is empty ({}×{} pixels)",
            picture.width, picture.height
        )));
    }
    if picture.channels != 1 && picture.channels != 3 {
        return Err(ImagingError::Invalid(format!(
            "picture has {} channels, expected 1 (grayscale) or 3 (RGB)",
            picture.channels
        )));
    }
    let expected = picture.width * picture.height * picture.channels;
    if picture.values.len() != expected {
        return Err(ImagingError::Invalid(format!(
            "picture has {} values, expected {expected} for {}×{} pixels × {} channels",
            picture.values.len(),
            picture.width,
            picture.height,
            picture.channels
        )));
    }
    Ok(())
}

/// Converts a picture to the model's input: `spec.channels × spec.size × spec.size`
/// bytes, channel-major (all of channel 0 row by row, then channel 1, …).
///
/// Colour is converted first (RGB → gray by Rec. 601 luma, gray → RGB by replication),
/// then the picture is letterboxed to a centred square padded with 0 and resampled to
/// `size × size` (area averaging when shrinking, bilinear when enlarging); each value is
/// stored as `round(255 · v)` clamped to 0..=255. Errors if `spec.size` is 0, if
/// `spec.channels` is not 1 or 3, or if the picture is empty or inconsistent.
pub fn to_model_pixels(picture: &Picture, spec: &ImageSpec) -> Result<Vec<u8>, ImagingError> {
    check_spec(spec)?;
    check_picture(picture)?;
    let planes = channel_planes(picture, spec.channels);
    let (w, h) = (picture.width, picture.height);
    let side = w.max(h);
    // Letterbox offsets: the picture sits in the middle of the side × side square.
    let x0 = (side - w) / 2;
    let y0 = (side - h) / 2;
    let weights = resample_weights(side, spec.size);
    let size = spec.size;
    let mut out = Vec::with_capacity(spec.channels * size * size);
    for plane in &planes {
        // Horizontal pass over the picture's rows: h × size.
        let mut across = vec![0.0f64; h * size];
        for r in 0..h {
            let row = &plane[r * w..(r + 1) * w];
            for (j, taps) in weights.iter().enumerate() {
                across[r * size + j] = taps
                    .iter()
                    .filter_map(|&(k, wt)| {
                        k.checked_sub(x0).filter(|&x| x < w).map(|x| row[x] * wt)
                    })
                    .sum();
            }
        }
        // Vertical pass: size × size; rows outside the picture are the zero padding.
        for taps in &weights {
            let mut line = vec![0.0f64; size];
            for &(k, wt) in taps {
                let Some(r) = k.checked_sub(y0).filter(|&r| r < h) else {
                    continue;
                };
                for (acc, &v) in line.iter_mut().zip(&across[r * size..(r + 1) * size]) {
                    *acc += v * wt;
                }
            }
            out.extend(line.into_iter().map(quantise));
        }
    }
    Ok(out)
}

/// `round(255 v)` clamped to a byte; NaN becomes 0.
fn quantise(v: f64) -> u8 {
    (v * 255.0).round().clamp(0.0, 255.0) as u8
}

/// The picture's values as `channels` planes of `height × width` values each, after
/// colour conversion (Rec. 601 luma for RGB → gray, replication for gray → RGB).
fn channel_planes(picture: &Picture, channels: usize) -> Vec<Vec<f64>> {
    let n = picture.width * picture.height;
    let v = &picture.values;
    match (picture.channels, channels) {
        (1, 1) => vec![v.iter().map(|&x| f64::from(x)).collect()],
        (1, _) => {
            let gray: Vec<f64> = v.iter().map(|&x| f64::from(x)).collect();
            vec![gray.clone(), gray.clone(), gray]
        }
        (_, 1) => vec![v
            .chunks_exact(3)
            .map(|p| {
                LUMA_601[0] * f64::from(p[0])
                    + LUMA_601[1] * f64::from(p[1])
                    + LUMA_601[2] * f64::from(p[2])
            })
            .collect()],
        _ => (0..3)
            .map(|c| (0..n).map(|i| f64::from(v[i * 3 + c])).collect())
            .collect(),
    }
}

/// For each of the `to` output positions along one axis, the input positions (of `from`)
/// it reads and their weights, which sum to 1.
///
/// Shrinking (`to < from`): area averaging. Output `i` covers the input interval
/// `[i·s, (i+1)·s)` with `s = from/to`; input pixel `k` (covering `[k, k+1)`) gets the
/// weight `|[k, k+1) ∩ [i·s, (i+1)·s)| / s`.
///
/// Enlarging (`to > from`): bilinear, with pixel centres at half-integers: output `i`
/// sits at input coordinate `(i + 0.5)·from/to − 0.5`, clamped to the edge pixels, and
/// reads its two neighbours.
fn resample_weights(from: usize, to: usize) -> Vec<Vec<(usize, f64)>> {
    if from == to {
        return (0..to).map(|i| vec![(i, 1.0)]).collect();
    }
    let scale = from as f64 / to as f64;
    if to < from {
        (0..to)
            .map(|i| {
                let a = i as f64 * scale;
                let b = ((i + 1) as f64 * scale).min(from as f64);
                let first = a.floor() as usize;
                let last = (b.ceil() as usize).min(from);
                (first..last)
                    .filter_map(|k| {
                        let overlap = b.min((k + 1) as f64) - a.max(k as f64);
                        (overlap > 0.0).then_some((k, overlap / scale))
                    })
                    .collect()
            })
            .collect()
    } else {
        (0..to)
            .map(|i| {
                let x = ((i as f64 + 0.5) * scale - 0.5).clamp(0.0, (from - 1) as f64);
                let k0 = x.floor() as usize;
                let t = x - k0 as f64;
                let k1 = (k0 + 1).min(from - 1);
                if t == 0.0 || k1 == k0 {
                    vec![(k0, 1.0)]
                } else {
                    vec![(k0, 1.0 - t), (k1, t)]
                }
            })
            .collect()
    }
}

/// Reads an image file and prepares it for the model: [`read_picture`] with the spec's
/// DICOM window (PS3.3 C.11.2.1.2; `None` keeps the file's own) followed by
/// [`to_model_pixels`]. The spec is checked before the file is read.
pub fn load(path: &Path, spec: &ImageSpec) -> Result<Vec<u8>, ImagingError> {
    check_spec(spec)?;
    let picture = read_picture(path, spec.window)?;
    to_model_pixels(&picture, spec).map_err(|e| match e {
        ImagingError::Invalid(message) => ImagingError::Decode {
            path: path.to_path_buf(),
            message,
        },
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gray(width: usize, height: usize, values: Vec<f32>) -> Picture {
        Picture {
            width,
            height,
            channels: 1,
            values,
        }
    }

    fn spec(size: usize, channels: usize) -> ImageSpec {
        ImageSpec {
            size,
            channels,
            window: None,
        }
    }

    #[test]
    fn identity_when_size_matches() {
        let values: Vec<f32> = (0..16).map(|i| i as f32 / 15.0).collect();
        let p = gray(4, 4, values.clone());
        let out = to_model_pixels(&p, &spec(4, 1)).unwrap();
        let want: Vec<u8> = values.iter().map(|v| (v * 255.0).round() as u8).collect();
        assert_eq!(out, want);

        // RGB stays channel-major: all of R, then G, then B.
        let rgb = Picture {
            width: 2,
            height: 1,
            channels: 3,
            values: vec![1.0, 0.0, 0.2, 0.0, 1.0, 0.4],
        };
        // Letterboxed to 2×2: the picture row sits at row 0 (offset (2−1)/2 = 0).
        let out = to_model_pixels(&rgb, &spec(2, 3)).unwrap();
        assert_eq!(out, vec![255, 0, 0, 0, 0, 255, 0, 0, 51, 102, 0, 0]);
    }

    #[test]
    fn checkerboard_shrinks_to_block_means() {
        // 4×4 of 2×2 blocks with values a, b / c, d, each block a checkerboard of two
        // levels, so every 2×2 output pixel is the mean of its block.
        let mut values = vec![0.0f32; 16];
        for y in 0..4 {
            for x in 0..4 {
                let block = (y / 2) * 2 + x / 2;
                let check = (x + y) % 2 == 0;
                let (hi, lo) = [(1.0, 0.0), (1.0, 0.6), (0.4, 0.0), (0.8, 0.2)][block];
                values[y * 4 + x] = if check { hi } else { lo };
            }
        }
        let out = to_model_pixels(&gray(4, 4, values), &spec(2, 1)).unwrap();
        let want: Vec<u8> = [0.5f64, 0.8, 0.2, 0.5]
            .iter()
            .map(|v| (v * 255.0).round() as u8)
            .collect();
        assert_eq!(out, want);

        // A plain 2-level checkerboard averages to mid-gray everywhere.
        let board: Vec<f32> = (0..16).map(|i| ((i % 4 + i / 4) % 2) as f32).collect();
        let out = to_model_pixels(&gray(4, 4, board), &spec(2, 1)).unwrap();
        assert_eq!(out, vec![128; 4]);
    }

    #[test]
    fn fractional_area_coverage() {
        // 3 → 2: output 0 covers [0, 1.5): (v0 + 0.5 v1)/1.5.
        let w = resample_weights(3, 2);
        assert_eq!(w[0], vec![(0, 1.0 / 1.5), (1, 0.5 / 1.5)]);
        assert_eq!(w[1], vec![(1, 0.5 / 1.5), (2, 1.0 / 1.5)]);
        for taps in resample_weights(7, 3)
            .iter()
            .chain(&resample_weights(5, 13))
        {
            let sum: f64 = taps.iter().map(|t| t.1).sum();
            assert!((sum - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn constant_image_stays_constant() {
        for &(w, h) in &[(5usize, 5usize), (7, 7), (1, 1), (13, 13)] {
            let p = gray(w, h, vec![0.6; w * h]);
            for size in [1usize, 2, 3, 4, 8, 16, 31] {
                let out = to_model_pixels(&p, &spec(size, 1)).unwrap();
                assert_eq!(out.len(), size * size);
                assert!(out.iter().all(|&v| v == 153), "{w}×{h} → {size}: {out:?}");
                let out = to_model_pixels(&p, &spec(size, 3)).unwrap();
                assert!(out.iter().all(|&v| v == 153));
            }
        }
    }

    #[test]
    fn letterbox_centres_with_zero_bands() {
        // A 4 wide × 2 high white picture → 4×4: rows 0 and 3 black, rows 1–2 white.
        let out = to_model_pixels(&gray(4, 2, vec![1.0; 8]), &spec(4, 1)).unwrap();
        let mut want = vec![0u8; 16];
        want[4..12].fill(255);
        assert_eq!(out, want);

        // A 2 wide × 6 high picture → 6×6 → 3×3: the middle column is white, the side
        // columns black.
        let out = to_model_pixels(&gray(2, 6, vec![1.0; 12]), &spec(3, 1)).unwrap();
        assert_eq!(out, vec![0, 255, 0, 0, 255, 0, 0, 255, 0]);

        // Enlarging a tall picture keeps the picture in the middle and the bands black.
        let out = to_model_pixels(&gray(1, 3, vec![1.0; 3]), &spec(9, 1)).unwrap();
        for row in out.chunks(9) {
            assert_eq!(&row[..2], &[0, 0]);
            assert_eq!(&row[7..], &[0, 0]);
            assert_eq!(row[4], 255);
        }
    }

    #[test]
    fn colour_conversion() {
        // Pure red, green, blue and white → Rec. 601 luma.
        let rgb = Picture {
            width: 2,
            height: 2,
            channels: 3,
            values: vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0],
        };
        let out = to_model_pixels(&rgb, &spec(2, 1)).unwrap();
        assert_eq!(out, vec![76, 150, 29, 255]); // 0.299, 0.587, 0.114 × 255, rounded

        // Gray → RGB replicates the plane.
        let g = gray(2, 1, vec![0.2, 0.4]);
        let out = to_model_pixels(&g, &spec(2, 3)).unwrap();
        let plane = vec![51, 102, 0, 0];
        assert_eq!(out, [plane.clone(), plane.clone(), plane].concat());
    }

    #[test]
    fn bilinear_gradient_stays_monotone() {
        let n = 5;
        let values: Vec<f32> = (0..n * n)
            .map(|i| (i % n) as f32 / (n - 1) as f32)
            .collect();
        let out = to_model_pixels(&gray(n, n, values), &spec(23, 1)).unwrap();
        for row in out.chunks(23) {
            assert!(row.windows(2).all(|p| p[0] <= p[1]), "{row:?}");
            assert_eq!(row[0], 0);
            assert_eq!(row[22], 255);
            assert!(row[11] > 100 && row[11] < 155);
        }
        // Every row of a horizontal gradient is the same.
        assert!(out.chunks(23).all(|r| r == &out[..23]));
    }

    #[test]
    fn invalid_specs_and_pictures_are_refused() {
        let p = gray(2, 2, vec![0.0; 4]);
        let e = to_model_pixels(&p, &spec(0, 1)).unwrap_err().to_string();
        assert!(e.contains("size must be at least 1"), "{e}");
        let e = to_model_pixels(&p, &spec(8, 2)).unwrap_err().to_string();
        assert!(e.contains("expected 1 (grayscale) or 3 (RGB)"), "{e}");
        let bad = gray(3, 2, vec![0.0; 4]);
        let e = to_model_pixels(&bad, &spec(8, 1)).unwrap_err().to_string();
        assert!(e.contains("expected 6"), "{e}");
        let e = load(Path::new("/nonexistent/x.png"), &spec(0, 1)).unwrap_err();
        assert!(matches!(e, ImagingError::Invalid(_)));
    }

    #[test]
    fn load_reads_and_prepares() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.png");
        let img = image::GrayImage::from_raw(2, 2, vec![0, 255, 255, 0]).unwrap();
        img.save(&path).unwrap();
        assert_eq!(load(&path, &spec(2, 1)).unwrap(), vec![0, 255, 255, 0]);
        assert_eq!(load(&path, &spec(1, 1)).unwrap(), vec![128]);

        let ct = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/dicom/CT_small.dcm"
        ));
        let out = load(ct, &spec(32, 3)).unwrap();
        assert_eq!(out.len(), 3 * 32 * 32);
        assert!(out.iter().any(|&v| v > 0));
    }
}
