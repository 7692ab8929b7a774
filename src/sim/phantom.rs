//! Synthetic radiograph-like phantoms with known findings, for tests and demos of the
//! imaging path (`simulate-images`).
//!
//! No real chest X-rays can be shipped, so this draws small frontal "chest films" whose
//! labels are true by construction: a body outline, two dark lung fields, a bright
//! mediastinum and spine, a heart silhouette, faint rib arcs and clavicles, smooth texture
//! and Gaussian noise, every part jittered per image (position, scale, rotation,
//! brightness, contrast). Four findings are then drawn independently and painted where a
//! radiologist would look for them (see [`FINDINGS`]).
//!
//! Every image is a pure function of `(seed, index)`: the anatomy, each lesion, the
//! finding draws and the noise come from their own [`Rng::stream`]s, so images can be
//! made in parallel, in any order, and [`phantom_with`] can switch one finding on or off
//! while the anatomy and the noise stay exactly the same.
//!
//! Coordinates: the image spans [-1, 1] in both directions, `x` to the right (columns),
//! `y` down (rows). The view is postero-anterior, so the patient's right lung is on the
//! image's left.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::InMemDicomObject;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::rng::{derive, Rng};
use crate::util::{StageError, StagedDir};

/// The findings a phantom can carry, in label order (the columns of `labels.tsv`):
///
/// - `nodule`: a small bright round opacity inside a lung, 6-9 % of the image side in
///   radius.
/// - `effusion`: bright fluid filling the base of one or both lungs up to a meniscus
///   that climbs the lateral chest wall.
/// - `cardiomegaly`: a heart silhouette markedly wider than normal (cardiothoracic ratio
///   0.57-0.68 against 0.42-0.50).
/// - `pneumothorax`: a dark rim of air without lung markings around the apex and
///   lateral edge of one lung, which has collapsed towards the hilum behind a thin
///   bright pleural line.
pub const FINDINGS: [&str; 4] = ["nodule", "effusion", "cardiomegaly", "pneumothorax"];

/// Prevalence of each finding (independent Bernoulli draws), in [`FINDINGS`] order.
pub const PREVALENCE: [f64; 4] = [0.30, 0.30, 0.30, 0.25];

/// Smallest image side `write_phantoms` accepts: below it, a nodule is a pixel or two.
pub const MIN_SIZE: usize = 16;
/// Largest image side `write_phantoms` accepts (64 MB of PNGs per thousand images).
pub const MAX_SIZE: usize = 1024;

/// Stream label of everything a phantom draws ("phantom").
const TAG: u64 = 0x7068_616e_746f_6d00;
/// Sub-streams of one phantom: the anatomy, the finding draws, the noise, one per lesion.
const ANATOMY: u64 = 0;
const DRAWS: u64 = 1;
const NOISE: u64 = 2;
const LESION: u64 = 10;
/// Sub-streams of the DICOM UIDs.
const UID_STREAM: u64 = 20;

// The generative model's parameters, shared by the generator and the README it writes.
// Ranges are uniform draws; lengths are in image half-widths (the image spans [-1, 1]).
/// Overall scale of the anatomy.
const SCALE: (f32, f32) = (0.88, 1.06);
/// Largest rotation of the anatomy, degrees either way.
const MAX_ROTATION_DEG: f32 = 4.0;
/// Largest shift of the anatomy, half-widths either way.
const MAX_SHIFT: f32 = 0.05;
/// Cardiothoracic ratio (heart width over the distance between the outer lung edges).
const CTR_NORMAL: (f32, f32) = (0.42, 0.50);
const CTR_ENLARGED: (f32, f32) = (0.57, 0.68);
/// Nodule radius as a fraction of the image side, and its added intensity.
const NODULE_RADIUS: (f32, f32) = (0.06, 0.09);
const NODULE_CONTRAST: (f32, f32) = (0.35, 0.50);
/// Effusion: fluid height as a fraction of the lung height, chance it is bilateral, and
/// how far the meniscus climbs at the chest wall (half-widths).
const EFFUSION_HEIGHT: (f32, f32) = (0.15, 0.35);
const EFFUSION_BILATERAL: f64 = 0.2;
const MENISCUS: (f32, f32) = (0.06, 0.14);
/// Pneumothorax: size of the collapsed lung relative to the lung, how much darker the
/// free air is than aerated lung, and how much denser the collapsed lung is.
const PTX_COLLAPSE: (f32, f32) = (0.62, 0.80);
const PTX_DARKNESS: (f32, f32) = (0.14, 0.20);
const PTX_DENSITY: (f32, f32) = (0.04, 0.07);
/// Global display jitter: additive brightness either way, multiplicative contrast, and
/// the standard deviation of the pixel noise (intensities in [0, 1]).
const BRIGHTNESS: f32 = 0.08;
const CONTRAST: (f32, f32) = (0.80, 1.20);
const NOISE_SD: (f32, f32) = (0.012, 0.030);

/// One synthetic radiograph: `size × size` 8-bit gray pixels, row-major, and its labels
/// in [`FINDINGS`] order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phantom {
    /// `size × size` 8-bit gray intensities, row-major (0 black, 255 white).
    pub pixels: Vec<u8>,
    /// Whether each finding was painted, in `FINDINGS` order.
    pub findings: [bool; 4],
}

/// The findings of phantom `index` under `seed`: independent Bernoulli draws with the
/// [`PREVALENCE`]s.
pub fn draw_findings(seed: u64, index: u64) -> [bool; 4] {
    let mut rng = Rng::stream(seed, &[TAG, index, DRAWS]);
    PREVALENCE.map(|p| rng.bernoulli(p))
}

/// Phantom `index` of the set made with `seed`: its findings drawn with [`draw_findings`],
/// then drawn by [`phantom_with`].
pub fn phantom(size: usize, seed: u64, index: u64) -> Phantom {
    phantom_with(size, seed, index, draw_findings(seed, index))
}

/// Phantom `index` with the given findings instead of drawn ones: the anatomy, every
/// lesion's shape and the noise depend only on `(seed, index)`, so two calls that differ
/// in one finding differ only where that lesion is.
pub fn phantom_with(size: usize, seed: u64, index: u64, findings: [bool; 4]) -> Phantom {
    let anatomy = Anatomy::draw(&mut Rng::stream(seed, &[TAG, index, ANATOMY]));
    let lesion = |k: u64| Rng::stream(seed, &[TAG, index, LESION + k]);
    let lesions = Lesions {
        nodule: findings[0].then(|| Nodule::draw(&mut lesion(0), &anatomy)),
        effusion: findings[1].then(|| Effusion::draw(&mut lesion(1), &anatomy)),
        heart_a: if findings[2] {
            anatomy.heart_half_width(uniform(&mut lesion(2), CTR_ENLARGED))
        } else {
            anatomy.heart_half_width(anatomy.ctr)
        },
        pneumothorax: findings[3].then(|| Pneumothorax::draw(&mut lesion(3), &anatomy)),
    };
    let mut noise = Rng::stream(seed, &[TAG, index, NOISE]);
    Phantom {
        pixels: render(size, &anatomy, &lesions, &mut noise),
        findings,
    }
}

fn uniform(rng: &mut Rng, (lo, hi): (f32, f32)) -> f32 {
    lo + (hi - lo) * rng.uniform() as f32
}

fn symmetric(rng: &mut Rng, max: f32) -> f32 {
    max * (2.0 * rng.uniform() as f32 - 1.0)
}

/// Hermite smoothstep of `t` clamped to [0, 1].
fn smooth(t: f32) -> f32 {
    let t = t.clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Membership of a point at signed distance `d` (negative inside) of a shape whose edge
/// is blurred over `edge`: anti-aliasing, so shapes look the same at every size.
fn inside(d: f32, edge: f32) -> f32 {
    smooth(0.5 - d / edge)
}

/// A thin line's profile at distance `d` from its centre line.
fn ridge(d: f32, half_width: f32) -> f32 {
    smooth(1.0 - d.abs() / half_width)
}

/// An axis-aligned ellipse (in anatomy coordinates).
#[derive(Clone, Copy, Debug)]
struct Ellipse {
    cx: f32,
    cy: f32,
    a: f32,
    b: f32,
}

impl Ellipse {
    /// Approximate signed distance to the outline (exact on the axes).
    fn dist(&self, x: f32, y: f32) -> f32 {
        let u = (x - self.cx) / self.a;
        let v = (y - self.cy) / self.b;
        ((u * u + v * v).sqrt() - 1.0) * self.a.min(self.b)
    }

    /// Like [`Ellipse::dist`], with a fuller lower half (a lung's base, whose
    /// costophrenic angles are sharper than an ellipse's).
    fn dist_lung(&self, x: f32, y: f32) -> f32 {
        let u = (x - self.cx) / self.a;
        let v = (y - self.cy) / self.b;
        let vv = if v > 0.0 { v * v * v } else { v * v };
        ((u * u + vv).sqrt() - 1.0) * self.a.min(self.b)
    }
}

/// A plane wave `amp · cos(fx·u + fy·v + phase)` in image coordinates, evaluated through
/// per-column and per-row tables (cos(a + b) = cos a cos b − sin a sin b) so that texture
/// costs two multiplications per pixel and wave.
#[derive(Clone, Copy, Debug)]
struct Wave {
    fx: f32,
    fy: f32,
    phase: f32,
    amp: f32,
}

impl Wave {
    fn draw(rng: &mut Rng, cycles: (f32, f32), amp: f32) -> Wave {
        // `cycles` across the image (2 half-widths) → radians per half-width = π·cycles.
        let k = std::f32::consts::PI * uniform(rng, cycles);
        let dir = std::f32::consts::TAU * rng.uniform() as f32;
        Wave {
            fx: k * dir.cos(),
            fy: k * dir.sin(),
            phase: std::f32::consts::TAU * rng.uniform() as f32,
            amp,
        }
    }
}

/// Tables of a sum of waves on an `n × n` grid.
struct WaveField {
    /// Per wave: amp·cos and amp·sin of the column term, cos and sin of the row term.
    cols: Vec<(Vec<f32>, Vec<f32>)>,
    rows: Vec<(Vec<f32>, Vec<f32>)>,
}

impl WaveField {
    fn new(waves: &[Wave], coord: &[f32]) -> WaveField {
        let cols = waves
            .iter()
            .map(|w| {
                let arg = |u: f32| w.fx * u + w.phase;
                (
                    coord.iter().map(|&u| w.amp * arg(u).cos()).collect(),
                    coord.iter().map(|&u| w.amp * arg(u).sin()).collect(),
                )
            })
            .collect();
        let rows = waves
            .iter()
            .map(|w| {
                (
                    coord.iter().map(|&v| (w.fy * v).cos()).collect(),
                    coord.iter().map(|&v| (w.fy * v).sin()).collect(),
                )
            })
            .collect();
        WaveField { cols, rows }
    }

    fn at(&self, px: usize, py: usize) -> f32 {
        self.cols
            .iter()
            .zip(&self.rows)
            .map(|((cc, cs), (rc, rs))| cc[px] * rc[py] - cs[px] * rs[py])
            .sum()
    }
}

/// The normal anatomy and display of one phantom.
#[derive(Clone, Debug)]
struct Anatomy {
    /// Pose: image → anatomy is `R(−θ)·(p − shift) / scale`.
    shift: (f32, f32),
    scale: f32,
    cos: f32,
    sin: f32,
    body: Ellipse,
    /// `[image left (patient's right), image right]`.
    lungs: [Ellipse; 2],
    /// Heart centre and half-height; its half-width comes from the cardiothoracic ratio.
    heart_cx: f32,
    heart_cy: f32,
    heart_b: f32,
    /// This phantom's normal cardiothoracic ratio.
    ctr: f32,
    spine_half: f32,
    rib_y0: f32,
    rib_spacing: f32,
    rib_curve: f32,
    rib_half: f32,
    rib_amp: f32,
    ribs: usize,
    /// Clavicles: medial end, lateral end (image-right side; mirrored on the left).
    clavicle: [(f32, f32); 2],
    /// Intensities in [0, 1] before the display jitter.
    air: f32,
    tissue: f32,
    lung_depth: f32,
    brightness: f32,
    contrast: f32,
    noise_sd: f32,
    /// Smooth body texture and lung (vascular) markings.
    low: [Wave; 4],
    markings: [Wave; 6],
}

impl Anatomy {
    fn draw(rng: &mut Rng) -> Anatomy {
        let theta = symmetric(rng, MAX_ROTATION_DEG).to_radians();
        let shift = (symmetric(rng, MAX_SHIFT), symmetric(rng, MAX_SHIFT));
        let scale = uniform(rng, SCALE);
        let body = Ellipse {
            cx: symmetric(rng, 0.02),
            cy: uniform(rng, (0.20, 0.30)),
            a: uniform(rng, (0.86, 0.94)),
            b: uniform(rng, (1.18, 1.30)),
        };
        // Lungs nearly mirror each other: a shared shape, small differences per side.
        let (cx, cy) = (uniform(rng, (0.37, 0.43)), uniform(rng, (-0.10, -0.02)));
        let (a, b) = (uniform(rng, (0.26, 0.31)), uniform(rng, (0.54, 0.62)));
        let mut lung = |side: f32| Ellipse {
            cx: side * (cx + symmetric(rng, 0.015)),
            cy: cy + symmetric(rng, 0.015),
            a: a + symmetric(rng, 0.01),
            b: b + symmetric(rng, 0.02),
        };
        let lungs = [lung(-1.0), lung(1.0)];
        let heart_cx = uniform(rng, (0.04, 0.10));
        let heart_cy = uniform(rng, (0.12, 0.18));
        let heart_b = uniform(rng, (0.29, 0.34));
        let ctr = uniform(rng, CTR_NORMAL);
        let spine_half = uniform(rng, (0.055, 0.075));
        let rib_y0 = uniform(rng, (-0.80, -0.72));
        let rib_spacing = uniform(rng, (0.13, 0.15));
        let rib_curve = uniform(rng, (1.0, 1.5));
        let rib_half = uniform(rng, (0.022, 0.032));
        let rib_amp = uniform(rng, (0.05, 0.08));
        let clav_y = uniform(rng, (-0.76, -0.68));
        let clavicle = [
            (0.08, clav_y),
            (
                uniform(rng, (0.58, 0.66)),
                clav_y - uniform(rng, (0.06, 0.12)),
            ),
        ];
        let air = uniform(rng, (0.02, 0.08));
        let tissue = uniform(rng, (0.48, 0.56));
        let lung_depth = uniform(rng, (0.28, 0.34));
        let brightness = symmetric(rng, BRIGHTNESS);
        let contrast = uniform(rng, CONTRAST);
        let noise_sd = uniform(rng, NOISE_SD);
        let low = std::array::from_fn(|_| Wave::draw(rng, (0.5, 2.0), 0.012));
        let markings = std::array::from_fn(|_| Wave::draw(rng, (5.0, 9.0), 0.008));
        Anatomy {
            shift,
            scale,
            cos: theta.cos(),
            sin: theta.sin(),
            body,
            lungs,
            heart_cx,
            heart_cy,
            heart_b,
            ctr,
            spine_half,
            rib_y0,
            rib_spacing,
            rib_curve,
            rib_half,
            rib_amp,
            ribs: 9,
            clavicle,
            air,
            tissue,
            lung_depth,
            brightness,
            contrast,
            noise_sd,
            low,
            markings,
        }
    }

    /// Distance between the outer edges of the lungs (the thoracic width of the ratio).
    fn thoracic_width(&self) -> f32 {
        let [l, r] = self.lungs;
        (r.cx + r.a) - (l.cx - l.a)
    }

    /// Heart half-width giving cardiothoracic ratio `ctr`.
    fn heart_half_width(&self, ctr: f32) -> f32 {
        0.5 * ctr * self.thoracic_width()
    }

    /// Image coordinates → anatomy coordinates.
    fn to_anatomy(&self, u: f32, v: f32) -> (f32, f32) {
        let (du, dv) = (u - self.shift.0, v - self.shift.1);
        (
            (self.cos * du + self.sin * dv) / self.scale,
            (-self.sin * du + self.cos * dv) / self.scale,
        )
    }

    /// Ribs and clavicles: bone over the chest, at `(x, y)`.
    fn bones(&self, x: f32, y: f32) -> f32 {
        let ax = x.abs();
        let mut bone = 0.0;
        if (0.08..0.85).contains(&ax) {
            // Rib k's centre line is y0 + k·spacing + curve·(|x| − 0.45)²: arcs that rise
            // from the spine and fall towards the chest wall.
            let base = self.rib_y0 + self.rib_curve * (ax - 0.45) * (ax - 0.45);
            let k = ((y - base) / self.rib_spacing).round();
            if k >= 0.0 && (k as usize) < self.ribs {
                let d = y - base - k * self.rib_spacing;
                let fade = smooth((ax - 0.08) / 0.12) * smooth((0.85 - ax) / 0.1);
                bone += self.rib_amp * fade * ridge(d, self.rib_half);
            }
        }
        let [(x0, y0), (x1, y1)] = self.clavicle;
        let (dx, dy) = (x1 - x0, y1 - y0);
        let t = (((ax - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
        let d = ((ax - x0 - t * dx).powi(2) + (y - y0 - t * dy).powi(2)).sqrt();
        bone + 0.10 * ridge(d, 0.035)
    }
}

/// The lesions of one phantom (`None`: absent); `heart_a` is the heart's half-width,
/// normal or enlarged.
struct Lesions {
    nodule: Option<Nodule>,
    effusion: Option<Effusion>,
    heart_a: f32,
    pneumothorax: Option<Pneumothorax>,
}

#[derive(Clone, Copy, Debug)]
struct Nodule {
    cx: f32,
    cy: f32,
    r: f32,
    amp: f32,
}

impl Nodule {
    fn draw(rng: &mut Rng, an: &Anatomy) -> Nodule {
        let lung = an.lungs[rng.below(2) as usize];
        // Radius as a fraction of the side → half-widths (the side is 2).
        let r = 2.0 * uniform(rng, NODULE_RADIUS) / an.scale;
        // A point of the lung's upper two thirds, away from the outline and clear of the
        // largest heart any phantom can have (so that cardiomegaly never hides it).
        let heart_a = an.heart_half_width(CTR_ENLARGED.1) + r;
        let heart_b = an.heart_b + r;
        let (mut x, mut y) = (lung.cx, lung.cy - 0.4 * lung.b);
        for _ in 0..64 {
            let (u, v) = (symmetric(rng, 0.6), uniform(rng, (-0.75, 0.3)));
            let (px, py) = (lung.cx + u * lung.a, lung.cy + v * lung.b);
            let (hx, hy) = ((px - an.heart_cx) / heart_a, (py - an.heart_cy) / heart_b);
            if u * u + v * v < 0.36 && hx * hx + hy * hy > 1.0 {
                (x, y) = (px, py);
                break;
            }
        }
        Nodule {
            cx: x,
            cy: y,
            r,
            amp: uniform(rng, NODULE_CONTRAST),
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Effusion {
    /// Per lung: the fluid level (y) at the lung's middle, or `None`.
    level: [Option<f32>; 2],
    meniscus: f32,
}

impl Effusion {
    fn draw(rng: &mut Rng, an: &Anatomy) -> Effusion {
        let bilateral = rng.bernoulli(EFFUSION_BILATERAL);
        let side = rng.below(2) as usize;
        let meniscus = uniform(rng, MENISCUS);
        let mut level = [None; 2];
        for (i, l) in level.iter_mut().enumerate() {
            let height = uniform(rng, EFFUSION_HEIGHT);
            if bilateral || i == side {
                let lung = an.lungs[i];
                *l = Some(lung.cy + lung.b - height * 2.0 * lung.b);
            }
        }
        Effusion { level, meniscus }
    }
}

#[derive(Clone, Copy, Debug)]
struct Pneumothorax {
    side: usize,
    /// The collapsed lung, shrunk towards the hilum (medially and down).
    collapsed: Ellipse,
    darkness: f32,
    density: f32,
}

impl Pneumothorax {
    fn draw(rng: &mut Rng, an: &Anatomy) -> Pneumothorax {
        let side = rng.below(2) as usize;
        let k = uniform(rng, PTX_COLLAPSE);
        let lung = an.lungs[side];
        let medial = if side == 0 { 1.0 } else { -1.0 };
        Pneumothorax {
            side,
            collapsed: Ellipse {
                cx: lung.cx + medial * 0.9 * lung.a * (1.0 - k),
                cy: lung.cy + 0.7 * lung.b * (1.0 - k),
                a: lung.a * k,
                b: lung.b * k,
            },
            darkness: uniform(rng, PTX_DARKNESS),
            density: uniform(rng, PTX_DENSITY),
        }
    }
}

/// Draws the phantom's pixels.
fn render(size: usize, an: &Anatomy, les: &Lesions, noise: &mut Rng) -> Vec<u8> {
    let inv = 2.0 / size as f32;
    let coord: Vec<f32> = (0..size).map(|i| (i as f32 + 0.5) * inv - 1.0).collect();
    let low = WaveField::new(&an.low, &coord);
    let markings = WaveField::new(&an.markings, &coord);
    // One pixel in anatomy units: shapes are blurred over about a pixel.
    let pix = inv / an.scale;
    let edge = 1.2 * pix;
    let heart = Ellipse {
        cx: an.heart_cx,
        cy: an.heart_cy,
        a: les.heart_a,
        b: an.heart_b,
    };
    let mut out = Vec::with_capacity(size * size);
    let mut spare: Option<f32> = None;
    for (py, &v_img) in coord.iter().enumerate() {
        for (px, &u_img) in coord.iter().enumerate() {
            let (x, y) = an.to_anatomy(u_img, v_img);
            let body = inside(an.body.dist(x, y), edge);
            let heart_m = inside(heart.dist(x, y), edge);
            let mut value = an.air + (an.tissue * (1.0 + 0.08 * y) - an.air) * body;
            value += 0.03 * heart_m * body;
            value += 0.12 * inside(x.abs() - an.spine_half, edge) * body;
            let mut aerated = 0.0; // lung that shows markings
            let mut pleural = 0.0;
            let mut lung_any = 0.0;
            for (i, lung) in an.lungs.iter().enumerate() {
                let d = lung.dist_lung(x, y);
                if d > 2.0 * edge {
                    continue;
                }
                let raw = inside(d, edge);
                lung_any += raw;
                let mut lung_m = raw * (1.0 - heart_m);
                if let Some(eff) = &les.effusion {
                    if let Some(level) = eff.level[i] {
                        // 0 at the lung's middle, 1 at its lateral edge.
                        let lateral = if i == 0 { lung.cx - x } else { x - lung.cx };
                        let t = (lateral / lung.a).clamp(0.0, 1.0);
                        let top = level - eff.meniscus * t * t;
                        let fluid = inside(top - y, 1.5 * edge);
                        lung_m *= 1.0 - fluid;
                        value += 0.02 * raw * fluid;
                    }
                }
                // Share of this point that is free pleural air.
                let mut air = 0.0;
                if let Some(ptx) = &les.pneumothorax {
                    if ptx.side == i {
                        let dc = ptx.collapsed.dist(x, y);
                        air = 1.0 - inside(dc, edge);
                        // Free air is darker than lung; the collapsed lung, holding less
                        // air, is denser.
                        value -= ptx.darkness * air * lung_m;
                        value += ptx.density * (1.0 - air) * lung_m;
                        pleural += lung_m * ridge(dc, pix.max(0.012));
                    }
                }
                value -= an.lung_depth * lung_m;
                aerated += lung_m * (1.0 - air);
            }
            value += an.bones(x, y) * body * (0.5 + 0.5 * lung_any.min(1.0));
            value += markings.at(px, py) * aerated;
            value += low.at(px, py) * body;
            value += 0.12 * pleural;
            if let Some(n) = &les.nodule {
                let d2 = ((x - n.cx).powi(2) + (y - n.cy).powi(2)) / (n.r * n.r);
                if d2 < 1.0 {
                    value += n.amp * (1.0 - d2).sqrt();
                }
            }
            value = (value - 0.35) * an.contrast + 0.35 + an.brightness;
            // Box–Muller, both deviates used.
            let z = match spare.take() {
                Some(z) => z,
                None => {
                    let r = (-2.0 * noise.uniform_open0().ln()).sqrt() as f32;
                    let phi = std::f32::consts::TAU * noise.uniform() as f32;
                    spare = Some(r * phi.sin());
                    r * phi.cos()
                }
            };
            value += an.noise_sd * z;
            out.push((value * 255.0).round().clamp(0.0, 255.0) as u8);
        }
    }
    out
}

/// File format of the written phantoms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhantomFormat {
    /// 8-bit grayscale PNG (`.png`).
    Png,
    /// DICOM Part 10 digital X-ray for presentation, 12 bits stored (`.dcm`), for
    /// exercising the DICOM reader and its window.
    Dicom,
}

impl PhantomFormat {
    /// File extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            PhantomFormat::Png => "png",
            PhantomFormat::Dicom => "dcm",
        }
    }

    fn name(self) -> &'static str {
        match self {
            PhantomFormat::Png => "png",
            PhantomFormat::Dicom => "dicom",
        }
    }
}

/// What `write_phantoms` makes: phantoms `1..=count` of `seed`, `size × size` pixels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhantomRequest {
    /// Phantoms to make, numbered `1..=count`.
    pub count: usize,
    /// Image side in pixels, `MIN_SIZE..=MAX_SIZE`.
    pub size: usize,
    /// Seed of the whole set: each image is a pure function of `(seed, index)`.
    pub seed: u64,
    /// PNG or DICOM files.
    pub format: PhantomFormat,
}

impl PhantomRequest {
    /// Checks the request before any work starts.
    pub fn validate(&self) -> Result<(), PhantomError> {
        if self.count == 0 {
            return Err(PhantomError::Invalid(
                "count must be at least 1".to_string(),
            ));
        }
        if !(MIN_SIZE..=MAX_SIZE).contains(&self.size) {
            return Err(PhantomError::Invalid(format!(
                "size {} is out of range (expected {MIN_SIZE} to {MAX_SIZE} pixels)",
                self.size
            )));
        }
        Ok(())
    }
}

/// What a run wrote, for the closing message.
#[derive(Clone, Debug, PartialEq)]
pub struct PhantomSummary {
    /// The output directory (holding `images/`, `labels.tsv`, `README.md`).
    pub out: PathBuf,
    /// Phantoms written.
    pub count: usize,
    /// Images carrying each finding, in [`FINDINGS`] order.
    pub positives: [usize; 4],
    /// Wall-clock seconds of the run.
    pub seconds: f64,
}

/// Everything that can stop `write_phantoms`.
#[derive(Debug, thiserror::Error)]
pub enum PhantomError {
    /// A request that cannot be made: a count of 0, a size outside
    /// `MIN_SIZE..=MAX_SIZE`, or an output path that exists and is not a directory.
    #[error("{0}")]
    Invalid(String),
    /// The output directory exists and already holds files (phantom sets are never
    /// overwritten).
    #[error("{}: output directory exists and is not empty", path.display())]
    NotEmpty {
        /// The output directory.
        path: PathBuf,
    },
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] crate::util::PathIoError),
    /// The PNG encoder failed on an image.
    #[error("{}: cannot write png: {source}", path.display())]
    Png {
        /// The image's final path in the output directory.
        path: PathBuf,
        /// The `image` crate's error.
        #[source]
        source: image::ImageError,
    },
    /// A DICOM file could not be built or written.
    #[error("{}: cannot write dicom: {message}", path.display())]
    Dicom {
        /// The image's final path in the output directory.
        path: PathBuf,
        /// What went wrong (dicom-rs's message, or a size that does not fit the header).
        message: String,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> PhantomError + '_ {
    move |source| {
        PhantomError::Io(crate::util::PathIoError {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Writes `pixels` (`size × size`, row-major) as an 8-bit grayscale PNG.
pub fn write_png(pixels: &[u8], size: usize, path: &Path) -> Result<(), PhantomError> {
    image::save_buffer_with_format(
        path,
        pixels,
        size as u32,
        size as u32,
        image::ExtendedColorType::L8,
        image::ImageFormat::Png,
    )
    .map_err(|source| PhantomError::Png {
        path: path.to_path_buf(),
        source,
    })
}

/// Root of the phantoms' DICOM UIDs: `2.25.` followed by the decimal value of a UUID
/// (ITU-T X.667), which needs no registered organisation root.
const UID_ROOT: &str = "2.25.";

/// A deterministic UID for phantom `index` of `seed`: a version-8 (custom) UUID made of
/// two derived 64-bit words, under [`UID_ROOT`] (at most 44 characters).
fn uid(seed: u64, index: u64, kind: u64) -> String {
    let hi = derive(seed, &[TAG, index, UID_STREAM, kind, 0]);
    let lo = derive(seed, &[TAG, index, UID_STREAM, kind, 1]);
    let mut v = (u128::from(hi) << 64) | u128::from(lo);
    // Version 8 in bits 76-79, variant 0b10 in bits 62-63 (RFC 9562).
    v = (v & !(0xF_u128 << 76)) | (0x8_u128 << 76);
    v = (v & !(0x3_u128 << 62)) | (0x2_u128 << 62);
    format!("{UID_ROOT}{v}")
}

/// Writes phantom `index` of `seed` (`pixels`: `size × size`, 8-bit) as a DICOM Part 10
/// file: Digital X-Ray Image Storage – For Presentation, explicit VR little endian,
/// MONOCHROME2, 16 bits allocated and 12 stored (value = pixel · 16, 0..4080), window
/// centre 2040 and width 4080; PatientID and PatientName are the file's stem. UIDs are
/// derived from `(seed, index)`, so rewriting a set gives byte-identical files.
pub fn write_dicom(
    pixels: &[u8],
    size: usize,
    seed: u64,
    index: u64,
    findings: [bool; 4],
    path: &Path,
) -> Result<(), PhantomError> {
    let err = |message: String| PhantomError::Dicom {
        path: path.to_path_buf(),
        message,
    };
    let rows = u16::try_from(size).map_err(|_| err(format!("{size} rows do not fit")))?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let shown: Vec<&str> = FINDINGS
        .iter()
        .zip(findings)
        .filter(|(_, f)| *f)
        .map(|(n, _)| *n)
        .collect();
    let comments = format!(
        "synthetic medgem-prs phantom {index} of seed {seed}; findings: {}",
        if shown.is_empty() {
            "none".to_string()
        } else {
            shown.join(", ")
        }
    );
    let strs = |v: &[&str]| PrimitiveValue::Strs(v.iter().map(|s| s.to_string()).collect());
    let spacing = format!("{:.4}", 400.0 / size as f64);
    let stored: Vec<u16> = pixels.iter().map(|&p| u16::from(p) * 16).collect();
    let e = DataElement::new;
    let obj = InMemDicomObject::from_element_iter([
        e(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 100".into()),
        e(tags::IMAGE_TYPE, VR::CS, strs(&["DERIVED", "PRIMARY"])),
        e(
            tags::SOP_CLASS_UID,
            VR::UI,
            uids::DIGITAL_X_RAY_IMAGE_STORAGE_FOR_PRESENTATION.into(),
        ),
        e(tags::SOP_INSTANCE_UID, VR::UI, uid(seed, index, 0).into()),
        e(tags::STUDY_DATE, VR::DA, PrimitiveValue::Empty),
        e(tags::STUDY_TIME, VR::TM, PrimitiveValue::Empty),
        e(tags::ACCESSION_NUMBER, VR::SH, PrimitiveValue::Empty),
        e(tags::MODALITY, VR::CS, "DX".into()),
        e(
            tags::PRESENTATION_INTENT_TYPE,
            VR::CS,
            "FOR PRESENTATION".into(),
        ),
        e(tags::MANUFACTURER, VR::LO, "medgem-prs".into()),
        e(
            tags::REFERRING_PHYSICIAN_NAME,
            VR::PN,
            PrimitiveValue::Empty,
        ),
        e(
            tags::SERIES_DESCRIPTION,
            VR::LO,
            "synthetic chest phantom".into(),
        ),
        e(tags::PATIENT_NAME, VR::PN, stem.as_str().into()),
        e(tags::PATIENT_ID, VR::LO, stem.as_str().into()),
        e(tags::PATIENT_BIRTH_DATE, VR::DA, PrimitiveValue::Empty),
        e(tags::PATIENT_SEX, VR::CS, PrimitiveValue::Empty),
        e(tags::BODY_PART_EXAMINED, VR::CS, "CHEST".into()),
        e(tags::VIEW_POSITION, VR::CS, "PA".into()),
        e(tags::STUDY_INSTANCE_UID, VR::UI, uid(seed, index, 1).into()),
        e(
            tags::SERIES_INSTANCE_UID,
            VR::UI,
            uid(seed, index, 2).into(),
        ),
        e(tags::STUDY_ID, VR::SH, PrimitiveValue::Empty),
        e(tags::SERIES_NUMBER, VR::IS, "1".into()),
        e(tags::INSTANCE_NUMBER, VR::IS, index.to_string().into()),
        e(tags::PATIENT_ORIENTATION, VR::CS, strs(&["L", "F"])),
        e(tags::IMAGE_LATERALITY, VR::CS, "U".into()),
        e(tags::IMAGE_COMMENTS, VR::LT, comments.into()),
        e(tags::SAMPLES_PER_PIXEL, VR::US, 1_u16.into()),
        e(
            tags::PHOTOMETRIC_INTERPRETATION,
            VR::CS,
            "MONOCHROME2".into(),
        ),
        e(tags::ROWS, VR::US, rows.into()),
        e(tags::COLUMNS, VR::US, rows.into()),
        e(tags::PIXEL_SPACING, VR::DS, strs(&[&spacing, &spacing])),
        e(
            tags::IMAGER_PIXEL_SPACING,
            VR::DS,
            strs(&[&spacing, &spacing]),
        ),
        e(tags::BITS_ALLOCATED, VR::US, 16_u16.into()),
        e(tags::BITS_STORED, VR::US, 12_u16.into()),
        e(tags::HIGH_BIT, VR::US, 11_u16.into()),
        e(tags::PIXEL_REPRESENTATION, VR::US, 0_u16.into()),
        e(tags::BURNED_IN_ANNOTATION, VR::CS, "NO".into()),
        e(tags::PIXEL_INTENSITY_RELATIONSHIP, VR::CS, "LOG".into()),
        e(
            tags::PIXEL_INTENSITY_RELATIONSHIP_SIGN,
            VR::SS,
            (-1_i16).into(),
        ),
        e(tags::WINDOW_CENTER, VR::DS, "2040".into()),
        e(tags::WINDOW_WIDTH, VR::DS, "4080".into()),
        e(tags::RESCALE_INTERCEPT, VR::DS, "0".into()),
        e(tags::RESCALE_SLOPE, VR::DS, "1".into()),
        e(tags::RESCALE_TYPE, VR::LO, "US".into()),
        e(tags::LOSSY_IMAGE_COMPRESSION, VR::CS, "00".into()),
        e(tags::PRESENTATION_LUT_SHAPE, VR::CS, "IDENTITY".into()),
        e(tags::PIXEL_DATA, VR::OW, PrimitiveValue::U16(stored.into())),
    ]);
    let file = obj
        .with_meta(FileMetaTableBuilder::new().transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN))
        .map_err(|e| err(e.to_string()))?;
    file.write_to_file(path).map_err(|e| err(e.to_string()))
}

/// Name of phantom `index` in a set of `count`: `phantom_000001.png`, zero-padded to at
/// least six digits so that names sort in index order.
pub fn file_name(index: u64, count: usize, format: PhantomFormat) -> String {
    let width = count.to_string().len().max(6);
    format!("phantom_{index:0width$}.{}", format.extension())
}

/// Writes phantoms `1..=count` of `req.seed` into `out`: `images/phantom_NNNNNN.png` (or
/// `.dcm`), `labels.tsv` (`image` then one 0/1 column per finding) and a README.md that
/// documents the generative model. Atomic: everything is written into a temporary
/// directory beside `out` and renamed at the end, so a failed run leaves nothing; an
/// existing non-empty `out` is refused.
pub fn write_phantoms(
    req: &PhantomRequest,
    out: &Path,
    progress: bool,
) -> Result<PhantomSummary, PhantomError> {
    req.validate()?;
    let write_one = |p: &Phantom, index: u64, path: &Path| match req.format {
        PhantomFormat::Png => write_png(&p.pixels, req.size, path),
        PhantomFormat::Dicom => write_dicom(&p.pixels, req.size, req.seed, index, p.findings, path),
    };
    write_set(req, out, progress, &write_one)
}

/// Writer of one image file: the phantom, its index and the destination.
type WriteOne<'a> = dyn Fn(&Phantom, u64, &Path) -> Result<(), PhantomError> + Sync + 'a;

/// An error about a file in the staging directory, reported under its final name.
fn relocate(e: PhantomError, staging: &Path, out: &Path) -> PhantomError {
    let fix = |path: PathBuf| match path.strip_prefix(staging) {
        Ok(rel) => out.join(rel),
        Err(_) => path,
    };
    match e {
        PhantomError::Io(crate::util::PathIoError { path, source }) => {
            PhantomError::Io(crate::util::PathIoError {
                path: fix(path),
                source,
            })
        }
        PhantomError::Png { path, source } => PhantomError::Png {
            path: fix(path),
            source,
        },
        PhantomError::Dicom { path, message } => PhantomError::Dicom {
            path: fix(path),
            message,
        },
        other => other,
    }
}

/// [`write_phantoms`] with the image writer passed in (tests make it fail).
fn write_set(
    req: &PhantomRequest,
    out: &Path,
    progress: bool,
    write_one: &WriteOne<'_>,
) -> Result<PhantomSummary, PhantomError> {
    let start = Instant::now();
    if out.exists() {
        if !out.is_dir() {
            return Err(PhantomError::Invalid(format!(
                "{}: exists and is not a directory",
                out.display()
            )));
        }
        if std::fs::read_dir(out)
            .map_err(io_err(out))?
            .next()
            .is_some()
        {
            return Err(PhantomError::NotEmpty {
                path: out.to_path_buf(),
            });
        }
    }
    let staging = StagedDir::new(out, "phantoms", false).map_err(|e| match e {
        StageError::NotEmpty { path } => PhantomError::NotEmpty { path },
        StageError::Io(e) => PhantomError::Io(e),
    })?;
    let images = staging.path().join("images");
    std::fs::create_dir(&images).map_err(io_err(&images))?;

    let pb = if progress {
        let pb = ProgressBar::new(req.count as u64);
        pb.set_style(
            ProgressStyle::with_template(
                "{prefix:>10} [{bar:40}] {pos}/{len} ({elapsed}, eta {eta})",
            )
            .expect("valid template"),
        );
        pb.set_prefix("phantoms");
        pb
    } else {
        ProgressBar::hidden()
    };
    let labels: Vec<[bool; 4]> = (1..=req.count as u64)
        .into_par_iter()
        .map(|index| {
            let p = phantom(req.size, req.seed, index);
            let path = images.join(file_name(index, req.count, req.format));
            write_one(&p, index, &path)?;
            pb.inc(1);
            Ok(p.findings)
        })
        .collect::<Result<_, PhantomError>>()
        .map_err(|e| relocate(e, staging.path(), out))?;
    pb.finish_and_clear();

    let mut positives = [0usize; 4];
    let mut tsv = format!("image\t{}\n", FINDINGS.join("\t"));
    for (i, f) in labels.iter().enumerate() {
        tsv.push_str(&file_name(i as u64 + 1, req.count, req.format));
        for (k, &on) in f.iter().enumerate() {
            positives[k] += usize::from(on);
            tsv.push_str(if on { "\t1" } else { "\t0" });
        }
        tsv.push('\n');
    }
    std::fs::write(staging.path().join("labels.tsv"), tsv)
        .map_err(io_err(&out.join("labels.tsv")))?;
    std::fs::write(
        staging.path().join("README.md"),
        readme(req, out, &positives),
    )
    .map_err(io_err(&out.join("README.md")))?;
    // A temporary directory is private (0700); the output is an ordinary directory.
    // Move the finished directory into place (an existing `out` is empty).
    staging.commit()?;
    Ok(PhantomSummary {
        out: out.to_path_buf(),
        count: req.count,
        positives,
        seconds: start.elapsed().as_secs_f64(),
    })
}

fn range(r: (f32, f32)) -> String {
    format!("{}–{}", r.0, r.1)
}

/// The README.md of a phantom set: what was made, how, and with which parameters.
fn readme(req: &PhantomRequest, out: &Path, positives: &[usize; 4]) -> String {
    let mut s = String::new();
    let ext = req.format.extension();
    let _ = writeln!(s, "# Synthetic chest radiograph phantoms\n");
    let _ = writeln!(
        s,
        "{} synthetic {}×{} frontal chest \"radiographs\" with known findings, made by \
         medgem-prs {} for testing and demonstrating its imaging path. They are drawings, \
         not images of people: **not for clinical use**, and a model trained on them \
         learns nothing about real radiographs.\n",
        req.count,
        req.size,
        req.size,
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(s, "Made with:\n");
    let _ = writeln!(
        s,
        "    medgem-prs simulate-images --count {} --size {} --seed {} --format {} --out {}\n",
        req.count,
        req.size,
        req.seed,
        req.format.name(),
        out.display()
    );
    let _ = writeln!(
        s,
        "The same command gives identical files: phantom *i* is a pure function of the \
         seed and *i*, so images can be generated in any order and in parallel.\n"
    );
    let _ = writeln!(s, "## Files\n");
    let _ = writeln!(
        s,
        "- `images/phantom_NNNNNN.{ext}`: one image per phantom, numbered from 1."
    );
    match req.format {
        PhantomFormat::Png => {
            let _ = writeln!(s, "  8-bit grayscale PNG; brighter = denser.");
        }
        PhantomFormat::Dicom => {
            let _ = writeln!(
                s,
                "  DICOM Part 10, Digital X-Ray Image Storage – For Presentation, explicit VR \
                 little endian, MONOCHROME2, 16 bits allocated / 12 stored (stored value = \
                 8-bit intensity × 16, 0–4080), rescale slope 1 and intercept 0, window \
                 centre 2040 and width 4080. UIDs are `2.25.` UUIDs derived from the seed \
                 and the index; PatientID is the file's stem; ImageComments lists the \
                 findings."
            );
        }
    }
    let _ = writeln!(
        s,
        "- `labels.tsv`: tab-separated with a header line; column `image` is the file \
         name inside `images/`, then one column per finding ({}), 1 if the phantom \
         carries it, else 0.",
        FINDINGS.map(|f| format!("`{f}`")).join(", ")
    );
    let _ = writeln!(s, "- `README.md`: this file.\n");
    let _ = writeln!(s, "## Findings\n");
    let _ = writeln!(s, "| finding | prevalence | images | how it looks |");
    let _ = writeln!(s, "|---|---|---|---|");
    let looks = [
        format!(
            "bright round opacity in the upper two thirds of one lung, radius {} of the \
             image side, {} brighter at its centre",
            range(NODULE_RADIUS),
            range(NODULE_CONTRAST)
        ),
        format!(
            "fluid as dense as soft tissue filling the base of one lung (of both in {:.0} % of \
             cases), {} of the lung height, its meniscus climbing {} half-widths at the \
             chest wall",
            EFFUSION_BILATERAL * 100.0,
            range(EFFUSION_HEIGHT),
            range(MENISCUS)
        ),
        format!(
            "heart silhouette widened to a cardiothoracic ratio of {} (normal: {})",
            range(CTR_ENLARGED),
            range(CTR_NORMAL)
        ),
        format!(
            "one lung collapsed to {} of its size towards the hilum and {} denser: the \
             rim of air at the apex and chest wall is {} darker than lung and has no lung \
             markings, behind a thin bright pleural line",
            range(PTX_COLLAPSE),
            range(PTX_DENSITY),
            range(PTX_DARKNESS)
        ),
    ];
    for k in 0..FINDINGS.len() {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            FINDINGS[k], PREVALENCE[k], positives[k], looks[k]
        );
    }
    let _ = writeln!(
        s,
        "\nFindings are independent Bernoulli draws; an image may carry several or none.\n"
    );
    let _ = writeln!(s, "## Generative model\n");
    let _ = writeln!(
        s,
        "Coordinates run from −1 to 1 across the image (half-widths). Each phantom draws \
         its anatomy: a body ellipse of soft tissue on a dark background; two lung fields \
         (nearly mirror images: ellipses with fuller bases, centres ±0.37–0.43, \
         half-widths 0.26–0.31, half-heights 0.54–0.62, drawn 0.28–0.34 darker than soft \
         tissue); a bright spine band; a heart ellipse right of the image's midline (the \
         patient's left) whose width follows the cardiothoracic ratio; nine faint rib \
         arcs per side and two clavicles; smooth low-frequency texture over the body and \
         finer vascular markings in aerated lung. The whole anatomy is scaled by {}, \
         rotated by up to ±{}° and shifted by up to ±{} half-widths. Display: contrast × \
         {} around 0.35, brightness ±{}, then Gaussian noise with a standard deviation of \
         {} (intensities in [0, 1], then × 255 and rounded). The display jitter makes the \
         global mean a weak cue: findings must be found where they are.\n",
        range(SCALE),
        MAX_ROTATION_DEG,
        MAX_SHIFT,
        range(CONTRAST),
        BRIGHTNESS,
        range(NOISE_SD)
    );
    let _ = writeln!(
        s,
        "The anatomy, each lesion, the finding draws and the noise use separate random \
         streams, so the same phantom with a finding switched off differs only where the \
         lesion was (`medgem_prs::sim::phantom::phantom_with`)."
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Area under the ROC curve of `score` for `label` (ties count a half).
    fn auc(score: &[f64], label: &[bool]) -> f64 {
        let (mut wins, mut pairs) = (0.0, 0.0);
        for (i, &a) in score.iter().enumerate() {
            if !label[i] {
                continue;
            }
            for (j, &b) in score.iter().enumerate() {
                if label[j] {
                    continue;
                }
                pairs += 1.0;
                wins += if a > b {
                    1.0
                } else if a == b {
                    0.5
                } else {
                    0.0
                };
            }
        }
        wins / pairs
    }

    /// Mean intensity of the pixels with fractional coordinates in the given boxes.
    fn mean_box(p: &[u8], size: usize, cols: (f64, f64), rows: (f64, f64)) -> f64 {
        let (mut sum, mut n) = (0.0, 0.0);
        for r in (rows.0 * size as f64) as usize..(rows.1 * size as f64) as usize {
            for c in (cols.0 * size as f64) as usize..(cols.1 * size as f64) as usize {
                sum += f64::from(p[r * size + c]);
                n += 1.0;
            }
        }
        sum / n
    }

    #[test]
    fn deterministic_per_seed_and_index() {
        let a = phantom(64, 7, 3);
        assert_eq!(a, phantom(64, 7, 3));
        assert_eq!(a.pixels.len(), 64 * 64);
        assert_ne!(a.pixels, phantom(64, 8, 3).pixels);
        assert_ne!(a.pixels, phantom(64, 7, 4).pixels);
        // Parallel generation gives the same images as serial.
        let serial: Vec<Phantom> = (0..16).map(|i| phantom(32, 1, i)).collect();
        let parallel: Vec<Phantom> = (0..16).into_par_iter().map(|i| phantom(32, 1, i)).collect();
        assert_eq!(serial, parallel);
    }

    #[test]
    fn prevalences_match() {
        let n = 2000;
        let mut counts = [0usize; 4];
        for i in 0..n {
            for (c, f) in counts.iter_mut().zip(draw_findings(11, i)) {
                *c += usize::from(f);
            }
        }
        for k in 0..4 {
            let p = counts[k] as f64 / n as f64;
            // 4 standard errors at n = 2000 is about 0.04.
            assert!((p - PREVALENCE[k]).abs() < 0.04, "{}: {p}", FINDINGS[k]);
        }
        // phantom() labels are those draws.
        assert_eq!(phantom(32, 11, 5).findings, draw_findings(11, 5));
    }

    /// Pixels that change when finding `k` is switched on, as (row, col, difference).
    fn changes(size: usize, seed: u64, index: u64, k: usize) -> Vec<(f64, f64, f64)> {
        let mut f = [false; 4];
        let off = phantom_with(size, seed, index, f);
        f[k] = true;
        let on = phantom_with(size, seed, index, f);
        (0..size * size)
            .filter_map(|i| {
                let d = f64::from(on.pixels[i]) - f64::from(off.pixels[i]);
                (d.abs() >= 8.0).then(|| ((i / size) as f64, (i % size) as f64, d))
            })
            .collect()
    }

    #[test]
    fn each_finding_changes_its_own_region() {
        let size = 64;
        let s = size as f64;
        for index in 0..40 {
            let mean = |c: &[(f64, f64, f64)], f: fn(&(f64, f64, f64)) -> f64| {
                c.iter().map(f).sum::<f64>() / c.len() as f64
            };
            // Nodule: a small bright disc.
            let c = changes(size, 3, index, 0);
            assert!(!c.is_empty(), "nodule {index} invisible");
            assert!(c.iter().all(|x| x.2 > 0.0), "nodule {index} darkens");
            let (r0, c0) = (mean(&c, |x| x.0), mean(&c, |x| x.1));
            let spread = c
                .iter()
                .map(|x| ((x.0 - r0).powi(2) + (x.1 - c0).powi(2)).sqrt())
                .fold(0.0, f64::max);
            assert!(spread <= 0.09 * s, "nodule {index}: spread {spread}");
            assert!(
                (0.1 * s..0.75 * s).contains(&r0),
                "nodule {index}: row {r0}"
            );
            // Effusion: brighter, in the lower chest, beside the midline.
            let c = changes(size, 3, index, 1);
            assert!(c.len() > 20, "effusion {index}: {} pixels", c.len());
            assert!(mean(&c, |x| x.2) > 30.0, "effusion {index} too faint");
            let row = mean(&c, |x| x.0);
            assert!(row > 0.55 * s, "effusion {index}: row {row}");
            // Cardiomegaly: brighter, beside the heart, near the midline.
            let c = changes(size, 3, index, 2);
            assert!(c.len() > 20, "cardiomegaly {index}: {} pixels", c.len());
            assert!(mean(&c, |x| x.2) > 0.0);
            let (row, col) = (mean(&c, |x| x.0), mean(&c, |x| x.1));
            assert!(
                (0.45 * s..0.8 * s).contains(&row),
                "cardiomegaly {index}: {row}"
            );
            assert!(
                (col - 0.5 * s).abs() < 0.2 * s,
                "cardiomegaly {index}: {col}"
            );
            // Pneumothorax: free air darkens the upper and outer part of one lung (the
            // collapsed lung and the pleural line brighten elsewhere).
            let c: Vec<_> = changes(size, 3, index, 3)
                .into_iter()
                .filter(|x| x.2 < 0.0)
                .collect();
            assert!(c.len() > 20, "pneumothorax {index}: {} pixels", c.len());
            let (row, col) = (mean(&c, |x| x.0), mean(&c, |x| x.1));
            assert!(row < 0.5 * s, "pneumothorax {index}: row {row}");
            assert!(
                (col - 0.5 * s).abs() > 0.1 * s,
                "pneumothorax {index}: col {col}"
            );
        }
    }

    /// Hand-made statistics, one per finding, that a reader could compute without
    /// knowing where this phantom's organs are.
    fn statistics(p: &[u8], size: usize) -> [f64; 4] {
        let at = |r: usize, c: usize| f64::from(p[r * size + c]);
        let frac = |f: f64| (f * size as f64) as usize;
        let m = |cols, rows| mean_box(p, size, cols, rows);
        // Middle of each lung field, image left then right.
        let mid = [(0.22, 0.34), (0.66, 0.78)];
        let lung_level = [m(mid[0], (0.40, 0.50)), m(mid[1], (0.40, 0.50))];
        // Nodule: the strongest small bright blob in the lung fields (left and right of
        // the mediastinum): the mean of 3 × 3 pixels against the ring of pixels 5 away,
        // seven eighths of which must be darker (a rib or an edge is bright along more
        // of the ring).
        let mut nodule = f64::MIN;
        for r in frac(0.2)..frac(0.75) {
            for c in (frac(0.12)..frac(0.43)).chain(frac(0.57)..frac(0.88)) {
                let inner = (0..9)
                    .map(|i| at(r + i / 3 - 1, c + i % 3 - 1))
                    .sum::<f64>()
                    / 9.0;
                let mut ring = Vec::with_capacity(40);
                for d in 0..10 {
                    let (rr, cc) = (r + d - 5, c + d - 5);
                    ring.extend([
                        at(r - 5, cc + 1),
                        at(r + 5, cc),
                        at(rr, c - 5),
                        at(rr + 1, c + 5),
                    ]);
                }
                ring.sort_by(f64::total_cmp);
                nodule = nodule.max(inner - ring[35]);
            }
        }
        // Effusion: the lower lung field against the middle of the same lung.
        let effusion = mid
            .iter()
            .zip(lung_level)
            .map(|(&c, level)| m(c, (0.66, 0.72)) - level)
            .fold(f64::MIN, f64::max);
        // Cardiomegaly: the narrower half of the bright run through the heart's widest
        // row, from the midline out to where the lung starts (the narrower half is the
        // one an effusion did not hide).
        let lung = (lung_level[0] + lung_level[1]) / 2.0;
        let threshold = lung + 0.3 * (at(frac(0.57), size / 2) - lung);
        let row = |r: usize, c: usize| (r - 1..=r + 1).map(|rr| at(rr, c)).sum::<f64>() / 3.0;
        let half = |dir: isize| {
            let mut c = (size / 2) as isize;
            let mut n = 0;
            while c >= 0 && (c as usize) < size && row(frac(0.57), c as usize) > threshold {
                n += 1;
                c += dir;
            }
            n
        };
        let cardiomegaly = f64::from(half(-1).min(half(1)));
        // Pneumothorax: the darker quarter of each upper lung field (free air is darker
        // than any lung), one side against the other.
        let dark_quarter = |cols: (f64, f64)| {
            let mut v: Vec<f64> = (frac(0.15)..frac(0.5))
                .flat_map(|r| (frac(cols.0)..frac(cols.1)).map(move |c| (r, c)))
                .map(|(r, c)| at(r, c))
                .collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 4]
        };
        let pneumothorax = (dark_quarter((0.16, 0.42)) - dark_quarter((0.58, 0.84))).abs();
        [nodule, effusion, cardiomegaly, pneumothorax]
    }

    #[test]
    fn findings_are_learnable_and_not_given_away_by_the_global_mean() {
        let size = 64;
        let n = 400;
        let phantoms: Vec<Phantom> = (0..n)
            .into_par_iter()
            .map(|i| phantom(size, 17, i))
            .collect();
        let stats: Vec<[f64; 4]> = phantoms
            .iter()
            .map(|p| statistics(&p.pixels, size))
            .collect();
        let global: Vec<f64> = phantoms
            .iter()
            .map(|p| p.pixels.iter().map(|&v| f64::from(v)).sum::<f64>())
            .collect();
        for k in 0..4 {
            let label: Vec<bool> = phantoms.iter().map(|p| p.findings[k]).collect();
            let score: Vec<f64> = stats.iter().map(|s| s[k]).collect();
            let a = auc(&score, &label);
            assert!(a > 0.9, "{}: auc {a:.3} of its statistic", FINDINGS[k]);
            let g = auc(&global, &label);
            assert!(
                (g - 0.5).abs() < 0.15,
                "{}: the global mean alone gives auc {g:.3}",
                FINDINGS[k]
            );
        }
    }

    fn read_labels(path: &Path) -> Vec<(String, [bool; 4])> {
        let text = std::fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            "image\tnodule\teffusion\tcardiomegaly\tpneumothorax"
        );
        lines
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                assert_eq!(f.len(), 5, "{l}");
                let mut labels = [false; 4];
                for k in 0..4 {
                    labels[k] = match f[k + 1] {
                        "1" => true,
                        "0" => false,
                        other => panic!("label {other}"),
                    };
                }
                (f[0].to_string(), labels)
            })
            .collect()
    }

    /// Entries of `dir` other than `keep` (temporary directories left behind).
    fn leftovers(dir: &Path, keep: &[&str]) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !keep.contains(&n.as_str()))
            .collect()
    }

    #[test]
    fn writes_png_set_with_labels_and_readme() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("phantoms");
        let req = PhantomRequest {
            count: 7,
            size: 32,
            seed: 9,
            format: PhantomFormat::Png,
        };
        let summary = write_phantoms(&req, &out, false).unwrap();
        assert_eq!(summary.count, 7);
        let labels = read_labels(&out.join("labels.tsv"));
        assert_eq!(labels.len(), 7);
        let mut positives = [0; 4];
        for (i, (name, f)) in labels.iter().enumerate() {
            let index = i as u64 + 1;
            assert_eq!(name, &format!("phantom_{index:06}.png"));
            let expected = phantom(32, 9, index);
            assert_eq!(f, &expected.findings);
            let decoded = image::open(out.join("images").join(name)).unwrap();
            assert_eq!(decoded.color(), image::ColorType::L8);
            assert_eq!(decoded.into_luma8().into_raw(), expected.pixels);
            for k in 0..4 {
                positives[k] += usize::from(f[k]);
            }
        }
        assert_eq!(summary.positives, positives);
        let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
        assert!(readme.contains("--count 7 --size 32 --seed 9 --format png"));
        assert!(readme.contains("cardiothoracic ratio"));
        assert_eq!(leftovers(dir.path(), &["phantoms"]), Vec::<String>::new());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&out).unwrap().permissions().mode();
            assert_eq!(mode & 0o055, 0o055, "mode {mode:o}");
        }
        // An existing empty directory is fine; names widen past 999 999 images.
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        let one = PhantomRequest { count: 1, ..req };
        write_phantoms(&one, &empty, false).unwrap();
        assert!(empty.join("images/phantom_000001.png").exists());
        assert_eq!(
            file_name(12, 1_234_567, PhantomFormat::Dicom),
            "phantom_0000012.dcm"
        );
    }

    #[test]
    fn refuses_non_empty_output_and_leaves_nothing_on_error() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("keep.txt"), "x").unwrap();
        let req = PhantomRequest {
            count: 3,
            size: 16,
            seed: 1,
            format: PhantomFormat::Png,
        };
        let e = write_phantoms(&req, &out, false).unwrap_err();
        assert!(matches!(e, PhantomError::NotEmpty { .. }), "{e}");
        assert!(e.to_string().contains("not empty"), "{e}");
        assert_eq!(std::fs::read_to_string(out.join("keep.txt")).unwrap(), "x");
        assert_eq!(leftovers(dir.path(), &["out"]), Vec::<String>::new());
        // Invalid requests.
        let fresh = dir.path().join("fresh");
        for bad in [
            PhantomRequest {
                count: 0,
                ..req.clone()
            },
            PhantomRequest {
                size: 8,
                ..req.clone()
            },
            PhantomRequest {
                size: 4096,
                ..req.clone()
            },
        ] {
            assert!(matches!(
                write_phantoms(&bad, &fresh, false),
                Err(PhantomError::Invalid(_))
            ));
        }
        // A failure half-way removes the staging directory and names the final file.
        let fail = |p: &Phantom, index: u64, path: &Path| {
            if index == 2 {
                Err(PhantomError::Io(crate::util::PathIoError {
                    path: path.to_path_buf(),
                    source: io::Error::other("disk full"),
                }))
            } else {
                write_png(&p.pixels, 16, path)
            }
        };
        let e = write_set(&req, &fresh, false, &fail).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: disk full",
                fresh.join("images/phantom_000002.png").display()
            )
        );
        assert_eq!(leftovers(dir.path(), &["out"]), Vec::<String>::new());
    }

    #[test]
    fn dicom_reads_back() {
        use dicom_dictionary_std::tags;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("dcm");
        let req = PhantomRequest {
            count: 3,
            size: 24,
            seed: 4,
            format: PhantomFormat::Dicom,
        };
        write_phantoms(&req, &out, false).unwrap();
        let labels = read_labels(&out.join("labels.tsv"));
        let mut uids = std::collections::HashSet::new();
        for (i, (name, f)) in labels.iter().enumerate() {
            let index = i as u64 + 1;
            assert_eq!(name, &format!("phantom_{index:06}.dcm"));
            let expected = phantom(24, 4, index);
            assert_eq!(f, &expected.findings);
            let obj = dicom_object::open_file(out.join("images").join(name)).unwrap();
            assert_eq!(
                obj.meta().transfer_syntax(),
                uids::EXPLICIT_VR_LITTLE_ENDIAN
            );
            assert_eq!(
                obj.meta().media_storage_sop_class_uid(),
                uids::DIGITAL_X_RAY_IMAGE_STORAGE_FOR_PRESENTATION
            );
            let int = |tag| obj.element(tag).unwrap().to_int::<i64>().unwrap();
            let float = |tag| obj.element(tag).unwrap().to_float64().unwrap();
            let text = |tag| {
                obj.element(tag)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .trim_end_matches(['\0', ' '])
                    .to_string()
            };
            assert_eq!((int(tags::ROWS), int(tags::COLUMNS)), (24, 24));
            assert_eq!(int(tags::BITS_ALLOCATED), 16);
            assert_eq!(int(tags::BITS_STORED), 12);
            assert_eq!(int(tags::HIGH_BIT), 11);
            assert_eq!(int(tags::PIXEL_REPRESENTATION), 0);
            assert_eq!(int(tags::SAMPLES_PER_PIXEL), 1);
            assert_eq!(float(tags::WINDOW_CENTER), 2040.0);
            assert_eq!(float(tags::WINDOW_WIDTH), 4080.0);
            assert_eq!(float(tags::RESCALE_SLOPE), 1.0);
            assert_eq!(float(tags::RESCALE_INTERCEPT), 0.0);
            assert_eq!(text(tags::PHOTOMETRIC_INTERPRETATION), "MONOCHROME2");
            assert_eq!(text(tags::MODALITY), "DX");
            assert_eq!(text(tags::PATIENT_ID), format!("phantom_{index:06}"));
            let bytes = obj.element(tags::PIXEL_DATA).unwrap().to_bytes().unwrap();
            let expected_bytes: Vec<u8> = expected
                .pixels
                .iter()
                .flat_map(|&p| (u16::from(p) * 16).to_le_bytes())
                .collect();
            assert_eq!(bytes.as_ref(), expected_bytes.as_slice());
            for tag in [
                tags::SOP_INSTANCE_UID,
                tags::STUDY_INSTANCE_UID,
                tags::SERIES_INSTANCE_UID,
            ] {
                let uid = text(tag);
                assert!(uid.starts_with("2.25.") && uid.len() <= 64, "{uid}");
                assert!(uid[5..].bytes().all(|b| b.is_ascii_digit()), "{uid}");
                assert!(uid.len() == 5 || !uid[5..].starts_with('0'), "{uid}");
                assert!(uids.insert(uid), "duplicate uid");
            }
            assert_eq!(
                obj.meta()
                    .media_storage_sop_instance_uid()
                    .trim_end_matches('\0'),
                text(tags::SOP_INSTANCE_UID)
            );
        }
        // Rewriting gives identical files (deterministic UIDs).
        let again = dir.path().join("again");
        write_phantoms(&req, &again, false).unwrap();
        let name = file_name(2, 3, PhantomFormat::Dicom);
        assert_eq!(
            std::fs::read(out.join("images").join(&name)).unwrap(),
            std::fs::read(again.join("images").join(&name)).unwrap()
        );
    }
}
