//! Training-time augmentation of prepared `[C, H, W]` pixel grids.
//!
//! A model that sees every training image in one exact position, size and exposure
//! learns those accidents; real radiographs vary in all of them. Each image of a batch is
//! therefore perturbed by one random affine transform (flips, a small rotation, shift and
//! scale, all about the image centre) and a random brightness and contrast, drawn from
//! [`Augmentation`]'s ranges. Every channel of an image gets the same transform, so the
//! channels stay aligned.
//!
//! Resampling maps each output pixel back into the input (inverse mapping) and
//! interpolates bilinearly; positions outside the image take the nearest edge pixel.
//! Transforms without rotation, shift or scaling (plain flips) copy pixels exactly.
//! Randomness comes from [`Rng`] streams, so a training run is reproducible and a batch
//! augments its images in parallel with the same result as serially.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::imaging::ImagingError;
use crate::rng::Rng;

/// Ranges of the random perturbations; each image draws its own transform from them.
///
/// Recorded in the model's configuration, so a run can be repeated exactly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Augmentation {
    /// Probability of mirroring left-right.
    pub flip_horizontal: f32,
    /// Probability of mirroring top-bottom.
    pub flip_vertical: f32,
    /// Rotation uniform in ±this many degrees.
    pub max_rotation_deg: f32,
    /// Shift in each direction uniform in ±this fraction of the side.
    pub max_shift: f32,
    /// Scale uniform in [1 − this, 1 + this] (0.1 → [0.9, 1.1]).
    pub max_scale: f32,
    /// Brightness added, uniform in ±this, in [0, 1] intensity units (× 255 on pixels).
    pub max_brightness: f32,
    /// Contrast factor around the image mean, uniform in [1 − this, 1 + this].
    pub max_contrast: f32,
}

impl Default for Augmentation {
    /// Mild perturbations that keep a radiograph plausible: left-right flips (a mirrored
    /// film is still a chest film; an upside-down one is not), ±5° rotation, 5 % shift
    /// and scale, ±0.05 brightness, ±10 % contrast.
    fn default() -> Self {
        Augmentation {
            flip_horizontal: 0.5,
            flip_vertical: 0.0,
            max_rotation_deg: 5.0,
            max_shift: 0.05,
            max_scale: 0.05,
            max_brightness: 0.05,
            max_contrast: 0.1,
        }
    }
}

/// Uniform in ±`max`.
fn symmetric(rng: &mut Rng, max: f32) -> f32 {
    max * (2.0 * rng.uniform() as f32 - 1.0)
}

impl Augmentation {
    /// No perturbation at all (evaluation, or training without augmentation).
    pub fn none() -> Self {
        Augmentation {
            flip_horizontal: 0.0,
            flip_vertical: 0.0,
            max_rotation_deg: 0.0,
            max_shift: 0.0,
            max_scale: 0.0,
            max_brightness: 0.0,
            max_contrast: 0.0,
        }
    }

    /// True when every transform drawn leaves the image unchanged.
    pub fn is_identity(&self) -> bool {
        self.flip_horizontal <= 0.0
            && self.flip_vertical <= 0.0
            && self.max_rotation_deg == 0.0
            && self.max_shift == 0.0
            && self.max_scale == 0.0
            && self.max_brightness == 0.0
            && self.max_contrast == 0.0
    }

    /// Checks that the ranges make sense (probabilities in [0, 1], scale and contrast
    /// that stay positive), for configurations read from files or the command line.
    pub fn validate(&self) -> Result<(), ImagingError> {
        let check = |name: &str, v: f32, ok: bool, expected: &str| {
            if v.is_finite() && ok {
                Ok(())
            } else {
                Err(ImagingError::Invalid(format!(
                    "augmentation {name} {v}: expected {expected}"
                )))
            }
        };
        let prob = |v: f32| (0.0..=1.0).contains(&v);
        check(
            "flip_horizontal",
            self.flip_horizontal,
            prob(self.flip_horizontal),
            "a probability in [0, 1]",
        )?;
        check(
            "flip_vertical",
            self.flip_vertical,
            prob(self.flip_vertical),
            "a probability in [0, 1]",
        )?;
        check(
            "max_rotation_deg",
            self.max_rotation_deg,
            (0.0..=180.0).contains(&self.max_rotation_deg),
            "0 to 180 degrees",
        )?;
        check(
            "max_shift",
            self.max_shift,
            (0.0..=1.0).contains(&self.max_shift),
            "a fraction in [0, 1]",
        )?;
        check(
            "max_scale",
            self.max_scale,
            (0.0..1.0).contains(&self.max_scale),
            "a fraction in [0, 1)",
        )?;
        check(
            "max_brightness",
            self.max_brightness,
            (0.0..=1.0).contains(&self.max_brightness),
            "a value in [0, 1]",
        )?;
        check(
            "max_contrast",
            self.max_contrast,
            (0.0..1.0).contains(&self.max_contrast),
            "a fraction in [0, 1)",
        )
    }

    /// Draws one transform. Always consumes the same seven numbers, so the stream stays
    /// aligned whatever the ranges.
    pub fn sample(&self, rng: &mut Rng) -> Transform {
        let flip_horizontal = rng.bernoulli(f64::from(self.flip_horizontal));
        let flip_vertical = rng.bernoulli(f64::from(self.flip_vertical));
        let rotation_deg = symmetric(rng, self.max_rotation_deg);
        let shift = [
            symmetric(rng, self.max_shift),
            symmetric(rng, self.max_shift),
        ];
        let scale = 1.0 + symmetric(rng, self.max_scale);
        let brightness = symmetric(rng, self.max_brightness);
        let contrast = 1.0 + symmetric(rng, self.max_contrast);
        Transform {
            flip_horizontal,
            flip_vertical,
            rotation_deg,
            shift,
            scale,
            brightness,
            contrast,
        }
    }

    /// Perturbs one channel-major `[C, H, W]` image in place with a transform drawn from
    /// `rng`.
    ///
    /// # Panics
    /// If `pixels.len()` is not `C·H·W`.
    pub fn apply(&self, pixels: &mut [u8], shape: [usize; 3], rng: &mut Rng) {
        let [c, h, w] = shape;
        assert_eq!(pixels.len(), c * h * w, "pixels are C × H × W");
        if self.is_identity() {
            return;
        }
        self.sample(rng).apply(pixels, shape);
    }

    /// Perturbs consecutive `[C, H, W]` images of a batch, image `i` with its own stream
    /// `Rng::stream(seed, labels + [i])`, in parallel; the result does not depend on the
    /// number of threads.
    ///
    /// # Panics
    /// If `pixels.len()` is not a multiple of `C·H·W`.
    pub fn apply_batch(&self, pixels: &mut [u8], shape: [usize; 3], seed: u64, labels: &[u64]) {
        let per: usize = shape.iter().product();
        if per == 0 || self.is_identity() {
            return;
        }
        assert_eq!(pixels.len() % per, 0, "pixels are N × C × H × W");
        pixels
            .par_chunks_mut(per)
            .enumerate()
            .for_each(|(i, image)| {
                let mut stream = labels.to_vec();
                stream.push(i as u64);
                self.apply(image, shape, &mut Rng::stream(seed, &stream));
            });
    }
}

/// One drawn perturbation. The geometric part is applied about the image centre in the
/// order flip, scale, rotate, shift; then contrast around the mean and brightness.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Transform {
    /// Mirror left-right.
    pub flip_horizontal: bool,
    /// Mirror top-bottom.
    pub flip_vertical: bool,
    /// Degrees; positive turns clockwise as displayed (rows run down).
    pub rotation_deg: f32,
    /// Fractions of the width and the height; positive moves right and down.
    pub shift: [f32; 2],
    /// Zoom factor about the centre; above 1 enlarges the content.
    pub scale: f32,
    /// Added, in [0, 1] intensity units.
    pub brightness: f32,
    /// Factor applied to each channel's deviations from its own mean (1: unchanged).
    pub contrast: f32,
}

impl Transform {
    /// The transform that changes nothing.
    pub fn identity() -> Transform {
        Transform {
            flip_horizontal: false,
            flip_vertical: false,
            rotation_deg: 0.0,
            shift: [0.0, 0.0],
            scale: 1.0,
            brightness: 0.0,
            contrast: 1.0,
        }
    }

    /// Applies the transform to one `[C, H, W]` image in place.
    ///
    /// # Panics
    /// If `pixels.len()` is not `C·H·W`.
    pub fn apply(&self, pixels: &mut [u8], shape: [usize; 3]) {
        let [c, h, w] = shape;
        assert_eq!(pixels.len(), c * h * w, "pixels are C × H × W");
        let plane = h * w;
        if plane == 0 {
            return;
        }
        let photometric = self.brightness != 0.0 || self.contrast != 1.0;
        let resample = self.rotation_deg != 0.0 || self.shift != [0.0, 0.0] || self.scale != 1.0;
        if !resample {
            if self.flip_horizontal || self.flip_vertical {
                flip(pixels, shape, self.flip_horizontal, self.flip_vertical);
            }
            if photometric {
                for ch in pixels.chunks_exact_mut(plane) {
                    let values: Vec<f32> = ch.iter().map(|&p| f32::from(p)).collect();
                    self.photometric(&values, ch);
                }
            }
            return;
        }
        let values = self.resample(pixels, shape);
        for (ch, v) in pixels
            .chunks_exact_mut(plane)
            .zip(values.chunks_exact(plane))
        {
            if photometric {
                self.photometric(v, ch);
            } else {
                for (p, &x) in ch.iter_mut().zip(v) {
                    *p = to_u8(x);
                }
            }
        }
    }

    /// Bilinear inverse mapping of every channel; returns `[C, H, W]` values in 0..=255.
    fn resample(&self, pixels: &[u8], [c, h, w]: [usize; 3]) -> Vec<f32> {
        let plane = h * w;
        let (cx, cy) = ((w as f32 - 1.0) / 2.0, (h as f32 - 1.0) / 2.0);
        let (sin, cos) = self.rotation_deg.to_radians().sin_cos();
        let (tx, ty) = (self.shift[0] * w as f32, self.shift[1] * h as f32);
        let fx = if self.flip_horizontal { -1.0 } else { 1.0 };
        let fy = if self.flip_vertical { -1.0 } else { 1.0 };
        let inv_scale = 1.0 / self.scale;
        let (wmax, hmax) = ((w - 1) as f32, (h - 1) as f32);
        let mut out = vec![0.0f32; c * plane];
        for y in 0..h {
            for x in 0..w {
                // Undo the shift, the rotation, the scale, then the flip.
                let (dx, dy) = (x as f32 - cx - tx, y as f32 - cy - ty);
                let (rx, ry) = (cos * dx + sin * dy, -sin * dx + cos * dy);
                let sx = (cx + fx * rx * inv_scale).clamp(0.0, wmax);
                let sy = (cy + fy * ry * inv_scale).clamp(0.0, hmax);
                let (x0, y0) = (sx.floor() as usize, sy.floor() as usize);
                let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
                let (ax, ay) = (sx - x0 as f32, sy - y0 as f32);
                for ch in 0..c {
                    let src = &pixels[ch * plane..(ch + 1) * plane];
                    let at = |xx: usize, yy: usize| f32::from(src[yy * w + xx]);
                    let top = at(x0, y0) + ax * (at(x1, y0) - at(x0, y0));
                    let bottom = at(x0, y1) + ax * (at(x1, y1) - at(x0, y1));
                    out[ch * plane + y * w + x] = top + ay * (bottom - top);
                }
            }
        }
        out
    }

    /// Contrast around the channel's mean, then brightness; rounds into `out`.
    fn photometric(&self, values: &[f32], out: &mut [u8]) {
        let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / values.len() as f64;
        let mean = mean as f32;
        let add = self.brightness * 255.0;
        for (p, &v) in out.iter_mut().zip(values) {
            *p = to_u8((v - mean) * self.contrast + mean + add);
        }
    }
}

fn to_u8(v: f32) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

/// Exact mirroring of every channel.
fn flip(pixels: &mut [u8], [c, h, w]: [usize; 3], horizontal: bool, vertical: bool) {
    let plane = h * w;
    for ch in 0..c {
        let img = &mut pixels[ch * plane..(ch + 1) * plane];
        if horizontal {
            for row in img.chunks_exact_mut(w) {
                row.reverse();
            }
        }
        if vertical {
            for y in 0..h / 2 {
                let (top, bottom) = img.split_at_mut((h - 1 - y) * w);
                top[y * w..(y + 1) * w].swap_with_slice(&mut bottom[..w]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(shape: [usize; 3], seed: u64) -> Vec<u8> {
        let mut rng = Rng::new(seed);
        (0..shape.iter().product::<usize>())
            .map(|_| rng.below(256) as u8)
            .collect()
    }

    fn only(f: impl FnOnce(&mut Augmentation)) -> Augmentation {
        let mut a = Augmentation::none();
        f(&mut a);
        a
    }

    #[test]
    fn none_leaves_pixels_unchanged() {
        let shape = [3, 16, 12];
        let original = image(shape, 1);
        let mut px = original.clone();
        let a = Augmentation::none();
        assert!(a.is_identity());
        assert!(!Augmentation::default().is_identity());
        a.apply(&mut px, shape, &mut Rng::new(2));
        assert_eq!(px, original);
        let mut batch = [original.clone(), original.clone()].concat();
        a.apply_batch(&mut batch, shape, 3, &[1, 2]);
        assert_eq!(batch, [original.clone(), original].concat());
    }

    #[test]
    fn horizontal_flip_mirrors_exactly_and_twice_is_identity() {
        let shape = [2, 5, 7];
        let original = image(shape, 4);
        let a = only(|a| a.flip_horizontal = 1.0);
        let mut px = original.clone();
        a.apply(&mut px, shape, &mut Rng::new(5));
        for ch in 0..2 {
            for y in 0..5 {
                for x in 0..7 {
                    assert_eq!(px[ch * 35 + y * 7 + x], original[ch * 35 + y * 7 + 6 - x]);
                }
            }
        }
        a.apply(&mut px, shape, &mut Rng::new(6));
        assert_eq!(px, original);
        // Vertical, odd and even heights.
        for h in [4, 5] {
            let shape = [1, h, 3];
            let original = image(shape, 7);
            let v = only(|a| a.flip_vertical = 1.0);
            let mut px = original.clone();
            v.apply(&mut px, shape, &mut Rng::new(8));
            for y in 0..h {
                assert_eq!(px[y * 3..y * 3 + 3], original[(h - 1 - y) * 3..(h - y) * 3]);
            }
            v.apply(&mut px, shape, &mut Rng::new(9));
            assert_eq!(px, original);
        }
    }

    #[test]
    fn zero_rotation_shift_and_unit_scale_is_identity() {
        let shape = [1, 9, 9];
        let original = image(shape, 11);
        let mut px = original.clone();
        Transform::identity().apply(&mut px, shape);
        assert_eq!(px, original);
        // A full turn goes through the bilinear path and lands on the same pixels.
        let turn = Transform {
            rotation_deg: 360.0,
            ..Transform::identity()
        };
        let mut px = original.clone();
        turn.apply(&mut px, shape);
        assert_eq!(px, original);
        // So does a horizontal flip with a full turn: it equals the exact mirror.
        let flipped = Transform {
            flip_horizontal: true,
            rotation_deg: 360.0,
            ..Transform::identity()
        };
        let mut a = original.clone();
        flipped.apply(&mut a, shape);
        let mut b = original;
        flip(&mut b, shape, true, false);
        assert_eq!(a, b);
    }

    #[test]
    fn reproducible_for_the_same_stream() {
        let shape = [3, 20, 20];
        let original = image(shape, 12);
        let a = Augmentation {
            flip_vertical: 0.5,
            ..Augmentation::default()
        };
        let run = |seed| {
            let mut px = original.clone();
            a.apply(&mut px, shape, &mut Rng::new(seed));
            px
        };
        assert_eq!(run(13), run(13));
        assert!((14..24).any(|s| run(s) != run(13)));
        // A batch equals its images augmented one by one with their streams.
        let batch: Vec<u8> = (0..4).flat_map(|i| image(shape, 20 + i)).collect();
        let mut par = batch.clone();
        a.apply_batch(&mut par, shape, 99, &[3, 4]);
        let per = 3 * 20 * 20;
        for i in 0..4 {
            let mut one = batch[i * per..(i + 1) * per].to_vec();
            a.apply(&mut one, shape, &mut Rng::stream(99, &[3, 4, i as u64]));
            assert_eq!(one, par[i * per..(i + 1) * per]);
        }
    }

    #[test]
    fn output_stays_in_range_with_same_length() {
        let a = Augmentation {
            flip_horizontal: 0.5,
            flip_vertical: 0.5,
            max_rotation_deg: 30.0,
            max_shift: 0.3,
            max_scale: 0.5,
            max_brightness: 0.8,
            max_contrast: 0.9,
        };
        a.validate().unwrap();
        let shape = [3, 13, 17];
        let mut rng = Rng::new(15);
        for s in 0..50 {
            let mut px = image(shape, 100 + s);
            a.apply(&mut px, shape, &mut rng);
            assert_eq!(px.len(), 3 * 13 * 17);
        }
        // Extremes saturate instead of wrapping.
        let bright = Transform {
            brightness: 1.0,
            ..Transform::identity()
        };
        let mut px = vec![0, 128, 255, 255];
        bright.apply(&mut px, [1, 2, 2]);
        assert_eq!(px, vec![255; 4]);
        let steep = Transform {
            contrast: 3.0,
            ..Transform::identity()
        };
        let mut px = vec![0, 128, 255, 255];
        steep.apply(&mut px, [1, 2, 2]);
        // Mean 159.5: 128 → 65; the ends saturate.
        assert_eq!(px, vec![0, 65, 255, 255]);
    }

    #[test]
    fn geometry_moves_content_the_expected_way() {
        // A bright dot right of centre: a 90° turn moves it below centre (rows run down),
        // a shift moves it by the fraction of the side, scale 2 doubles its distance.
        let shape = [1, 11, 11];
        let dot = |x: usize, y: usize| {
            let mut px = vec![0u8; 121];
            px[y * 11 + x] = 255;
            px
        };
        let brightest = |px: &[u8]| {
            let i = (0..121).max_by_key(|&i| px[i]).unwrap();
            (i % 11, i / 11)
        };
        let mut px = dot(8, 5);
        Transform {
            rotation_deg: 90.0,
            ..Transform::identity()
        }
        .apply(&mut px, shape);
        assert_eq!(brightest(&px), (5, 8));
        let mut px = dot(5, 5);
        Transform {
            shift: [2.0 / 11.0, -3.0 / 11.0],
            ..Transform::identity()
        }
        .apply(&mut px, shape);
        assert_eq!(brightest(&px), (7, 2));
        assert_eq!(px[2 * 11 + 7], 255);
        let mut px = dot(7, 5);
        Transform {
            scale: 2.0,
            ..Transform::identity()
        }
        .apply(&mut px, shape);
        assert_eq!(brightest(&px), (9, 5));
    }

    #[test]
    fn contrast_is_around_the_mean_and_validation_rejects_nonsense() {
        let mut px = vec![100, 200];
        Transform {
            contrast: 0.5,
            ..Transform::identity()
        }
        .apply(&mut px, [1, 1, 2]);
        assert_eq!(px, vec![125, 175]);
        assert!(Augmentation::default().validate().is_ok());
        assert!(only(|a| a.flip_horizontal = 1.5).validate().is_err());
        assert!(only(|a| a.max_scale = 1.0).validate().is_err());
        assert!(only(|a| a.max_shift = f32::NAN).validate().is_err());
        let json = serde_json::to_string(&Augmentation::default()).unwrap();
        let back: Augmentation = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Augmentation::default());
    }
}
