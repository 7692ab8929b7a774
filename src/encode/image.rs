//! The genomic image: tile layout, normalisation and rendering.
//!
//! As in Med-Gemini-Polygenic (arXiv 2405.03162), each trait owns one 8×8 tile, the
//! channels are the p-value thresholds, and pixels lie in [0, 255]. Scores are first
//! standardised with statistics of the training split ([`NormStats`]), then mapped
//! linearly so that ±3 standard deviations span the pixel range ([`pixel`]); the mean
//! maps to the neutral value 128, which also fills grid cells that hold no trait.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::regional::SEGMENTS;
use super::{index_of, EncodeError, FillMode, PanelScores};

/// Pixels per tile side: a tile is one vision-transformer patch of 8×8 pixels.
pub const TILE: usize = 8;
/// Standard deviations that map to the edges of the pixel range.
pub const Z_RANGE: f64 = 3.0;
/// Half the pixel range: `pixel = 127.5 + 127.5 × z / 3`.
const HALF_RANGE: f64 = 127.5;
/// The pixel of z = 0: the cohort mean, and empty grid cells.
pub const NEUTRAL: u8 = 128;

// The regional fill puts one segment in each pixel of a tile.
const _: () = assert!(SEGMENTS == TILE * TILE);

/// Where each trait's tile sits: a near-square grid of tiles, filled row by row in tile
/// order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageLayout {
    /// Trait ids; tile `i` belongs to `tile_order[i]`.
    pub tile_order: Vec<String>,
    /// Tiles per grid row: ⌈√T⌉.
    pub grid_w: usize,
    /// Grid rows: ⌈T / grid_w⌉.
    pub grid_h: usize,
    /// Channels (p-value thresholds).
    pub channels: usize,
    /// Pixels per tile side ([`TILE`]).
    pub tile: usize,
}

impl ImageLayout {
    /// The layout of `tile_order.len()` tiles with `channels` channels.
    pub fn new(tile_order: Vec<String>, channels: usize) -> ImageLayout {
        let t = tile_order.len();
        let grid_w = ceil_sqrt(t);
        let grid_h = if t == 0 { 0 } else { t.div_ceil(grid_w) };
        ImageLayout {
            tile_order,
            grid_w,
            grid_h,
            channels,
            tile: TILE,
        }
    }

    /// The layout of a panel's scores: its traits in tile order, its channels.
    pub fn for_scores(scores: &PanelScores) -> ImageLayout {
        ImageLayout::new(scores.traits.clone(), scores.channels.len())
    }

    /// Image height in pixels: `tile × grid_h`.
    pub fn height(&self) -> usize {
        self.tile * self.grid_h
    }

    /// Image width in pixels: `tile × grid_w`.
    pub fn width(&self) -> usize {
        self.tile * self.grid_w
    }

    /// Bytes of one image: channels × height × width.
    pub fn image_len(&self) -> usize {
        self.channels * self.height() * self.width()
    }

    /// The tile of a trait.
    pub fn tile_index(&self, trait_id: &str) -> Option<usize> {
        self.tile_order.iter().position(|t| t == trait_id)
    }

    /// Top-left pixel `(y, x)` of a tile: tile `i` sits at grid row `i / grid_w`, column
    /// `i % grid_w`.
    pub fn tile_origin(&self, tile: usize) -> (usize, usize) {
        (
            (tile / self.grid_w) * self.tile,
            (tile % self.grid_w) * self.tile,
        )
    }
}

/// ⌈√n⌉ in integers (exact for every `usize`).
fn ceil_sqrt(n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    let mut r = (n as f64).sqrt() as usize;
    while r * r > n {
        r -= 1;
    }
    while r * r < n {
        r += 1;
    }
    r
}

/// The pixel of a standardised score: `clamp(round(127.5 + 127.5 × z / 3), 0, 255)`, so
/// that ±3 sd span [0, 255] and z = 0 gives [`NEUTRAL`]. A NaN z gives [`NEUTRAL`].
pub fn pixel(z: f64) -> u8 {
    if z.is_nan() {
        return NEUTRAL;
    }
    (HALF_RANGE + HALF_RANGE * z / Z_RANGE)
        .round()
        .clamp(0.0, 255.0) as u8
}

/// Per-score means and standard deviations from the training split, stored in the
/// model's `config.json` so that new samples are encoded exactly as the training ones.
///
/// Columns follow [`PanelScores::column`]: trait × channel (uniform), or trait × channel
/// × segment (regional).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NormStats {
    /// The fill the statistics were fitted for: one column per trait × channel (uniform), or
    /// one per trait × channel × segment (regional).
    pub mode: FillMode,
    /// Trait ids in tile order.
    pub traits: Vec<String>,
    /// Channel labels ([`PanelScores::channels`]).
    pub channels: Vec<String>,
    /// Samples the statistics were computed on.
    pub n_samples: usize,
    /// Mean of each score column over the fitting samples (raw score units).
    pub mean: Vec<f64>,
    /// Sample standard deviation (n − 1); 0 for constant columns and single samples,
    /// which then standardise to z = 0.
    pub sd: Vec<f64>,
}

impl NormStats {
    /// Columns per trait and channel: 1 (uniform) or 64 (regional).
    pub fn segments(&self) -> usize {
        self.mode.segments()
    }

    /// The standardised value of `x` in column `k`; 0 where the column has no spread.
    pub fn z(&self, k: usize, x: f64) -> f64 {
        let sd = self.sd[k];
        if sd > 0.0 {
            (x - self.mean[k]) / sd
        } else {
            0.0
        }
    }

    /// Fails unless `scores` have the traits and channels these statistics were fitted on.
    pub fn check(&self, scores: &PanelScores) -> Result<(), EncodeError> {
        if self.traits != scores.traits {
            return Err(EncodeError::Mismatch(format!(
                "the normalisation statistics are for {} traits ({}), the scores for {} ({}): \
                 the model was trained on another panel",
                self.traits.len(),
                preview(&self.traits),
                scores.traits.len(),
                preview(&scores.traits)
            )));
        }
        if self.channels != scores.channels {
            return Err(EncodeError::Mismatch(format!(
                "the normalisation statistics have channels {}, the scores {}",
                self.channels.join(","),
                scores.channels.join(",")
            )));
        }
        let columns = self.traits.len() * self.channels.len() * self.segments();
        if self.mean.len() != columns || self.sd.len() != columns {
            return Err(EncodeError::Mismatch(format!(
                "the normalisation statistics hold {} means and {} sds, expected {columns} ({} traits × {} channels × {} segments)",
                self.mean.len(),
                self.sd.len(),
                self.traits.len(),
                self.channels.len(),
                self.segments()
            )));
        }
        Ok(())
    }
}

fn preview(ids: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut s = ids
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > SHOWN {
        s.push_str(", ...");
    }
    s
}

/// Means and standard deviations of every score column over the samples `rows` (indices
/// into `scores.sample_ids`, e.g. the training split).
///
/// Two passes (mean, then squared deviations) keep the variance accurate when the mean
/// is large against the spread; a column whose values are all equal gets sd 0.
///
/// # Panics
/// If a row index is out of range.
pub fn fit(scores: &PanelScores, rows: &[usize]) -> Result<NormStats, EncodeError> {
    if rows.is_empty() {
        return Err(EncodeError::NoSamples);
    }
    let k = scores.n_columns();
    let n = rows.len() as f64;
    let mut sum = vec![0.0; k];
    let mut min = vec![f64::INFINITY; k];
    let mut max = vec![f64::NEG_INFINITY; k];
    for &r in rows {
        for (((s, lo), hi), &x) in sum
            .iter_mut()
            .zip(min.iter_mut())
            .zip(max.iter_mut())
            .zip(scores.row(r))
        {
            *s += x;
            *lo = lo.min(x);
            *hi = hi.max(x);
        }
    }
    let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
    let mut ss = vec![0.0; k];
    for &r in rows {
        for ((acc, &m), &x) in ss.iter_mut().zip(&mean).zip(scores.row(r)) {
            let d = x - m;
            *acc += d * d;
        }
    }
    let sd = ss
        .iter()
        .zip(min.iter().zip(&max))
        .map(|(&s, (lo, hi))| {
            if rows.len() < 2 || lo == hi {
                0.0
            } else {
                (s / (n - 1.0)).sqrt()
            }
        })
        .collect();
    Ok(NormStats {
        mode: scores.mode,
        traits: scores.traits.clone(),
        channels: scores.channels.clone(),
        n_samples: rows.len(),
        mean,
        sd,
    })
}

/// Rendered images of a set of samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Images {
    /// Sample ids, one per image, in the order of the scores rendered.
    pub ids: Vec<String>,
    /// Where each trait's tile sits, and the `C × H × W` shape of every image.
    pub layout: ImageLayout,
    /// The fill the pixels were rendered with.
    pub mode: FillMode,
    /// `n × C × H × W`, channel-major per sample (one plane per channel).
    pub pixels: Vec<u8>,
}

impl Images {
    /// Images (samples).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// One sample's `C × H × W` image.
    pub fn image(&self, sample: usize) -> &[u8] {
        let len = self.layout.image_len();
        &self.pixels[sample * len..(sample + 1) * len]
    }

    /// The pixel of `sample` in channel `c` at row `y`, column `x`.
    pub fn pixel(&self, sample: usize, c: usize, y: usize, x: usize) -> u8 {
        let (h, w) = (self.layout.height(), self.layout.width());
        self.image(sample)[(c * h + y) * w + x]
    }
}

/// Renders the images of every sample of `scores`.
///
/// `mode` must be the mode `stats` were fitted in. Regional scores can render uniform
/// images (their segments are summed back into the trait's score; fit the statistics on
/// [`PanelScores::to_uniform`]); uniform scores cannot render regional ones. In regional
/// mode, pixel `k` of a tile (row `k / 8`, column `k % 8`) holds segment `k`, so a tile
/// reads along the genome row by row.
pub fn render(
    scores: &PanelScores,
    stats: &NormStats,
    layout: &ImageLayout,
    mode: FillMode,
) -> Result<Images, EncodeError> {
    if stats.mode != mode {
        return Err(EncodeError::Mismatch(format!(
            "the normalisation statistics were fitted for the {} fill, not {mode}",
            stats.mode
        )));
    }
    if scores.mode == FillMode::Uniform && mode == FillMode::Regional {
        return Err(EncodeError::Mismatch(
            "regional images need regional scores (these scores are uniform)".into(),
        ));
    }
    stats.check(scores)?;
    let n_channels = scores.channels.len();
    if layout.channels != n_channels {
        return Err(EncodeError::Mismatch(format!(
            "the image layout has {} channels, the scores {n_channels}",
            layout.channels
        )));
    }
    let tiles = index_of(&layout.tile_order);
    let tile_of: Vec<usize> = scores
        .traits
        .iter()
        .map(|t| {
            tiles.get(t.as_str()).copied().ok_or_else(|| {
                EncodeError::Mismatch(format!("trait '{t}' has no tile in the image layout"))
            })
        })
        .collect::<Result<_, _>>()?;

    let (h, w) = (layout.height(), layout.width());
    let plane = h * w;
    let image_len = layout.image_len();
    let score_segments = scores.segments();
    let out_segments = mode.segments();
    let mut pixels = vec![NEUTRAL; scores.n_samples() * image_len];
    if image_len > 0 {
        pixels
            .par_chunks_mut(image_len)
            .enumerate()
            .for_each(|(i, image)| {
                let row = scores.row(i);
                for (t, &tile) in tile_of.iter().enumerate() {
                    let (y0, x0) = layout.tile_origin(tile);
                    for c in 0..n_channels {
                        let col = (t * n_channels + c) * score_segments;
                        let stat = (t * n_channels + c) * out_segments;
                        let image = &mut image[c * plane..(c + 1) * plane];
                        if out_segments == 1 {
                            let x: f64 = row[col..col + score_segments].iter().sum();
                            let p = pixel(stats.z(stat, x));
                            for y in y0..y0 + TILE {
                                image[y * w + x0..y * w + x0 + TILE].fill(p);
                            }
                        } else {
                            for k in 0..SEGMENTS {
                                let p = pixel(stats.z(stat + k, row[col + k]));
                                image[(y0 + k / TILE) * w + x0 + k % TILE] = p;
                            }
                        }
                    }
                }
            });
    }
    Ok(Images {
        ids: scores.sample_ids.clone(),
        layout: layout.clone(),
        mode,
        pixels,
    })
}

/// The table of `encode --out`: `IID`, then each tile's mean pixel value per channel
/// (`<trait>_c<k>`, two decimals): for the uniform fill the tile's one value, for the
/// regional fill its segments' mean. One column per pixel would be 64 times wider.
pub fn tile_table(images: &Images) -> String {
    use std::fmt::Write as _;
    let layout = &images.layout;
    let mut text = String::from("IID");
    for t in &layout.tile_order {
        for c in 0..layout.channels {
            let _ = write!(text, "\t{t}_c{}", c + 1);
        }
    }
    text.push('\n');
    for (i, id) in images.ids.iter().enumerate() {
        text.push_str(id);
        for (tile, _) in layout.tile_order.iter().enumerate() {
            let (y0, x0) = layout.tile_origin(tile);
            for c in 0..layout.channels {
                let mut sum = 0u32;
                for y in y0..y0 + layout.tile {
                    for x in x0..x0 + layout.tile {
                        sum += u32::from(images.pixel(i, c, y, x));
                    }
                }
                let mean = f64::from(sum) / (layout.tile * layout.tile) as f64;
                let _ = write!(text, "\t{mean:.2}");
            }
        }
        text.push('\n');
    }
    text
}

/// Writes [`tile_table`] to `path`, atomically.
pub fn write_tile_table(path: &std::path::Path, images: &Images) -> Result<(), EncodeError> {
    let text = tile_table(images);
    let mut set = crate::util::OutputSet::new();
    set.write_with(path, |w| w.write_all(text.as_bytes()))
        .map_err(|e| EncodeError::io(path, e))?;
    set.commit().map_err(|e| EncodeError::io(path, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn ids(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}")).collect()
    }

    /// Random scores of `n` samples over `t` traits and 3 channels.
    fn scores(n: usize, t: usize, mode: FillMode, seed: u64) -> PanelScores {
        let mut rng = Rng::new(seed);
        let mut ps = PanelScores {
            sample_ids: ids("s", n),
            traits: ids("t", t),
            channels: vec!["p5e-8".into(), "p1e-5".into(), "p1e-3".into()],
            mode,
            values: Vec::new(),
            summary: Vec::new(),
        };
        ps.values = (0..n * ps.n_columns())
            .map(|k| 10.0 + (k % 7) as f64 + rng.normal())
            .collect();
        ps
    }

    #[test]
    fn layout_math() {
        for (t, w, h) in [(1, 1, 1), (7, 3, 3), (64, 8, 8), (65, 9, 8), (7415, 87, 86)] {
            let l = ImageLayout::new(ids("t", t), 3);
            assert_eq!((l.grid_w, l.grid_h), (w, h), "T = {t}");
            assert_eq!((l.width(), l.height()), (8 * w, 8 * h));
            assert_eq!(l.image_len(), 3 * 64 * w * h);
            assert!(l.grid_w * l.grid_h >= t && l.grid_w * (l.grid_h - 1) < t);
        }
        let l = ImageLayout::new(ids("t", 7), 3);
        assert_eq!(l.tile_index("t5"), Some(5));
        assert_eq!(l.tile_index("x"), None);
        assert_eq!(l.tile_origin(0), (0, 0));
        assert_eq!(l.tile_origin(2), (0, 16));
        assert_eq!(l.tile_origin(5), (8, 16));
        assert_eq!(l.tile_origin(6), (16, 0));
        let l = ImageLayout::new(ids("t", 7415), 3);
        assert_eq!(l.tile_origin(7414), (85 * 8, 19 * 8));
        assert_eq!(ceil_sqrt(0), 0);
        for n in 1..5000usize {
            let r = ceil_sqrt(n);
            assert!(r * r >= n && (r - 1) * (r - 1) < n, "{n}");
        }
    }

    #[test]
    fn pixel_mapping_spans_three_sd_and_clamps() {
        assert_eq!(pixel(0.0), NEUTRAL);
        assert_eq!(pixel(3.0), 255);
        assert_eq!(pixel(-3.0), 0);
        assert_eq!(pixel(1.0), 170);
        assert_eq!(pixel(-1.0), 85);
        assert_eq!(pixel(1.5), 191);
        assert_eq!(pixel(-2.99), 0);
        assert_eq!(pixel(42.0), 255);
        assert_eq!(pixel(-1e300), 0);
        assert_eq!(pixel(f64::INFINITY), 255);
        assert_eq!(pixel(f64::NAN), NEUTRAL);
        let mut last = 0;
        for k in -400..=400 {
            let p = pixel(k as f64 / 100.0);
            assert!(p >= last);
            last = p;
        }
    }

    #[test]
    fn fit_uses_only_the_given_rows() {
        let mut ps = scores(5, 2, FillMode::Uniform, 1);
        // Column 0: 1, 2, 3 on the training rows; a huge value on row 3, left out.
        let k = ps.n_columns();
        for (i, x) in [(0, 1.0), (1, 2.0), (2, 3.0), (3, 1e9), (4, 5.0)] {
            ps.values[i * k] = x;
        }
        // Column 4: constant on the training rows.
        for i in 0..3 {
            ps.values[i * k + 4] = 1.0 / 3.0;
        }
        let s = fit(&ps, &[0, 1, 2]).unwrap();
        assert_eq!(s.n_samples, 3);
        assert_eq!(s.mean[0], 2.0);
        assert_eq!(s.sd[0], 1.0);
        assert_eq!(s.sd[4], 0.0);
        assert_eq!(s.z(4, 7.0), 0.0);
        assert_eq!(s.z(0, 3.5), 1.5);
        let one = fit(&ps, &[4]).unwrap();
        assert!(one.sd.iter().all(|&sd| sd == 0.0));
        assert!(matches!(fit(&ps, &[]), Err(EncodeError::NoSamples)));
        // The two-pass variance stays exact with a large offset.
        let mut big = ps.clone();
        for (i, x) in [(0, 1e12 + 1.0), (1, 1e12 + 2.0), (2, 1e12 + 3.0)] {
            big.values[i * k] = x;
        }
        assert_eq!(fit(&big, &[0, 1, 2]).unwrap().sd[0], 1.0);
    }

    #[test]
    fn uniform_tiles_hold_the_standardised_score() {
        let ps = scores(4, 7, FillMode::Uniform, 2);
        let stats = fit(&ps, &[0, 1, 2, 3]).unwrap();
        // Tiles in reverse trait order.
        let layout = ImageLayout::new(ps.traits.iter().rev().cloned().collect(), 3);
        let img = render(&ps, &stats, &layout, FillMode::Uniform).unwrap();
        assert_eq!(img.ids, ps.sample_ids);
        assert_eq!(img.pixels.len(), 4 * 3 * 24 * 24);
        for i in 0..4 {
            for (t, id) in ps.traits.iter().enumerate() {
                let (y0, x0) = layout.tile_origin(layout.tile_index(id).unwrap());
                assert_eq!((y0, x0), layout.tile_origin(6 - t));
                for c in 0..3 {
                    let k = ps.column(t, c, 0);
                    let want = pixel((ps.row(i)[k] - stats.mean[k]) / stats.sd[k]);
                    for y in y0..y0 + 8 {
                        for x in x0..x0 + 8 {
                            assert_eq!(img.pixel(i, c, y, x), want);
                        }
                    }
                }
            }
            // The two empty cells of the 3×3 grid stay neutral.
            for c in 0..3 {
                for y in 16..24 {
                    for x in 8..24 {
                        assert_eq!(img.pixel(i, c, y, x), NEUTRAL);
                    }
                }
            }
        }
        // Standardised scores spread over the pixel range.
        assert!(img.pixels.iter().any(|&p| p < 100) && img.pixels.iter().any(|&p| p > 156));
    }

    #[test]
    fn regional_pixels_hold_the_segments_in_genome_order() {
        let ps = scores(3, 5, FillMode::Regional, 3);
        let stats = fit(&ps, &[0, 1, 2]).unwrap();
        assert_eq!(stats.mean.len(), 5 * 3 * 64);
        let layout = ImageLayout::for_scores(&ps);
        let img = render(&ps, &stats, &layout, FillMode::Regional).unwrap();
        for i in 0..3 {
            for t in 0..5 {
                let (y0, x0) = layout.tile_origin(t);
                for c in 0..3 {
                    for s in 0..64 {
                        let k = ps.column(t, c, s);
                        let want = pixel(stats.z(k, ps.row(i)[k]));
                        assert_eq!(img.pixel(i, c, y0 + s / 8, x0 + s % 8), want);
                    }
                }
            }
        }
        // Uniform images from regional scores equal those from the summed scores.
        let uni = ps.to_uniform();
        let ustats = fit(&uni, &[0, 1, 2]).unwrap();
        let a = render(&ps, &ustats, &layout, FillMode::Uniform).unwrap();
        let b = render(&uni, &ustats, &layout, FillMode::Uniform).unwrap();
        assert_eq!(a.pixels, b.pixels);
        assert_eq!(a.mode, FillMode::Uniform);
    }

    #[test]
    fn mismatches_are_refused() {
        let ps = scores(3, 4, FillMode::Uniform, 4);
        let stats = fit(&ps, &[0, 1, 2]).unwrap();
        let layout = ImageLayout::for_scores(&ps);
        let e = render(&ps, &stats, &layout, FillMode::Regional).unwrap_err();
        assert!(e.to_string().contains("fitted for the uniform fill"), "{e}");
        let reg = scores(3, 4, FillMode::Regional, 4);
        let mut rstats = fit(&reg, &[0, 1]).unwrap();
        let e = render(&ps, &rstats, &layout, FillMode::Regional).unwrap_err();
        assert!(e.to_string().contains("need regional scores"), "{e}");
        rstats.sd.pop();
        let e = render(&reg, &rstats, &layout, FillMode::Regional).unwrap_err();
        assert!(e.to_string().contains("767 sds, expected 768"), "{e}");
        let mut other = ps.clone();
        other.traits[2] = "zz".into();
        let e = render(&other, &stats, &layout, FillMode::Uniform).unwrap_err();
        assert!(e.to_string().contains("trained on another panel"), "{e}");
        let mut other_stats = stats.clone();
        other_stats.traits[2] = "zz".into();
        other.values = ps.values.clone();
        let e = render(&other, &other_stats, &layout, FillMode::Uniform).unwrap_err();
        assert!(e.to_string().contains("trait 'zz' has no tile"), "{e}");
        let two = ImageLayout::new(ps.traits.clone(), 2);
        let e = render(&ps, &stats, &two, FillMode::Uniform).unwrap_err();
        assert!(e.to_string().contains("2 channels, the scores 3"), "{e}");
    }

    #[test]
    fn stats_round_trip_through_json() {
        let ps = scores(6, 3, FillMode::Regional, 5);
        let stats = fit(&ps, &[0, 2, 4]).unwrap();
        let json = serde_json::to_string(&stats).unwrap();
        assert!(json.contains("\"mode\":\"regional\""), "{}", &json[..80]);
        let back: NormStats = serde_json::from_str(&json).unwrap();
        assert_eq!(
            (&back.traits, &back.channels, back.mode),
            (&stats.traits, &stats.channels, stats.mode)
        );
        // serde_json reads floats to within 1 ulp unless `float_roundtrip` is enabled.
        for (a, b) in back
            .mean
            .iter()
            .chain(&back.sd)
            .zip(stats.mean.iter().chain(&stats.sd))
        {
            assert!((a - b).abs() <= 4.0 * f64::EPSILON * b.abs());
        }
    }

    /// Render speed at T = 64 (`cargo test --lib encode::image -- --ignored --nocapture`).
    #[test]
    #[ignore]
    fn render_speed() {
        let n = 2_000;
        for mode in [FillMode::Uniform, FillMode::Regional] {
            let ps = scores(n, 64, mode, 6);
            let rows: Vec<usize> = (0..n).collect();
            let t0 = std::time::Instant::now();
            let stats = fit(&ps, &rows).unwrap();
            let fit_s = t0.elapsed().as_secs_f64();
            let layout = ImageLayout::for_scores(&ps);
            let t0 = std::time::Instant::now();
            let img = render(&ps, &stats, &layout, mode).unwrap();
            let render_s = t0.elapsed().as_secs_f64();
            assert_eq!(img.pixels.len(), n * 3 * 64 * 64);
            eprintln!(
                "{mode}: fit {:.0} samples/s, render {:.0} samples/s ({} threads)",
                n as f64 / fit_s,
                n as f64 / render_s,
                rayon::current_num_threads()
            );
        }
    }
}
