//! The rasteriser: shapes onto an RGB canvas at an integer scale, with anti-aliased strokes
//! (distance to segment), dashes, filled rectangles, discs and bitmap text.

use super::font::*;
use super::scene::*;
use super::*;

/// Distance from `p` to the segment `a`–`b`.
pub(super) fn segment_distance(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (a.0 + t * dx, a.1 + t * dy);
    ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt()
}

/// The "on" pieces of a polyline dashed `on`, `off` (the pattern runs on across vertices, as
/// SVG's `stroke-dasharray` does).
pub(super) fn dash_segments(
    points: &[(f64, f64)],
    on: f64,
    off: f64,
) -> Vec<((f64, f64), (f64, f64))> {
    let period = on + off;
    let mut out = Vec::new();
    if !(on > 0.0 && off >= 0.0) {
        return out;
    }
    let mut phase = 0.0;
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        let at = |t: f64| (a.0 + (b.0 - a.0) * t / len, a.1 + (b.1 - a.1) * t / len);
        let mut t = 0.0;
        while t < len {
            let drawing = phase < on;
            let step = (if drawing { on } else { period } - phase).min(len - t);
            if drawing {
                out.push((at(t), at(t + step)));
            }
            t += step;
            phase += step;
            if phase >= period {
                phase = 0.0;
            }
        }
    }
    out
}

/// Pixel indices `lo..hi` covering `[from, to]`, clipped to `0..n`.
pub(super) fn pixel_span(from: f64, to: f64, n: usize) -> Option<(usize, usize)> {
    let lo = from.floor().max(0.0);
    let hi = to.ceil().min(n as f64);
    (lo < hi).then_some((lo as usize, hi as usize))
}

/// The raster being drawn: linear RGB values 0..=255 as `f32` (so that many partial blends do
/// not accumulate rounding), and a coverage mask for lines, so that a polyline's overlapping
/// segments and round joins are blended once rather than darkening where they overlap.
pub(super) struct Raster {
    /// Canvas width in pixels.
    pub(super) width: usize,
    /// Canvas height in pixels.
    pub(super) height: usize,
    /// Pixels per user unit.
    scale: usize,
    /// `height × width × 3` channel values, `R G B` per pixel.
    rgb: Vec<f32>,
    /// Per-pixel coverage of the line being stroked, cleared as it is blended.
    mask: Vec<f32>,
}

impl Raster {
    /// A white canvas of [`WIDTH`] × [`HEIGHT`] user units at `scale` pixels per unit.
    pub(super) fn new(scale: usize) -> Raster {
        let (width, height) = (WIDTH * scale, HEIGHT * scale);
        Raster {
            width,
            height,
            scale,
            rgb: vec![255.0; width * height * 3],
            mask: vec![0.0; width * height],
        }
    }

    /// Draws one shape over what is there (shapes come back to front); an outline is four
    /// filled rectangles, text is in [`INK`].
    pub(super) fn draw(&mut self, shape: &Shape) {
        match shape {
            Shape::Rect {
                x0,
                y0,
                x1,
                y1,
                colour,
            } => self.fill_rect((*x0, *y0), (*x1, *y1), *colour),
            Shape::Outline {
                x0,
                y0,
                x1,
                y1,
                width,
                colour,
            } => {
                let h = width / 2.0;
                self.fill_rect((x0 - h, y0 - h), (x1 + h, y0 + h), *colour);
                self.fill_rect((x0 - h, y1 - h), (x1 + h, y1 + h), *colour);
                self.fill_rect((x0 - h, y0 + h), (x0 + h, y1 - h), *colour);
                self.fill_rect((x1 - h, y0 + h), (x1 + h, y1 - h), *colour);
            }
            Shape::Line {
                points,
                width,
                colour,
                dash,
                ..
            } => self.stroke(points, *width, *colour, *dash),
            Shape::Circle { cx, cy, r, colour } => self.circle((*cx, *cy), *r, *colour),
            Shape::Text {
                left,
                top,
                text,
                rotated,
                ..
            } => self.text((*left, *top), text, INK, *rotated),
        }
    }

    /// Mixes `colour` into pixel `i` with opacity `a`.
    pub(super) fn blend(&mut self, i: usize, colour: [u8; 3], a: f32) {
        for (v, c) in self.rgb[3 * i..3 * i + 3].iter_mut().zip(colour) {
            *v += (f32::from(c) - *v) * a;
        }
    }

    /// A filled rectangle (corners in user units), edges anti-aliased by the covered area.
    pub(super) fn fill_rect(
        &mut self,
        (x0, y0): (f64, f64),
        (x1, y1): (f64, f64),
        colour: [u8; 3],
    ) {
        let s = self.scale as f64;
        let (x0, x1, y0, y1) = (x0 * s, x1 * s, y0 * s, y1 * s);
        let (Some((px0, px1)), Some((py0, py1))) = (
            pixel_span(x0, x1, self.width),
            pixel_span(y0, y1, self.height),
        ) else {
            return;
        };
        for py in py0..py1 {
            let cy = (y1.min(py as f64 + 1.0) - y0.max(py as f64)).max(0.0);
            for px in px0..px1 {
                let cx = (x1.min(px as f64 + 1.0) - x0.max(px as f64)).max(0.0);
                self.blend(py * self.width + px, colour, (cx * cy) as f32);
            }
        }
    }

    /// A line `width` user units wide through `points`, with round caps and joins; coverage
    /// from each pixel centre's distance to the nearest segment.
    pub(super) fn stroke(
        &mut self,
        points: &[(f64, f64)],
        width: f64,
        colour: [u8; 3],
        dash: Option<(f64, f64)>,
    ) {
        let s = self.scale as f64;
        let segments = match dash {
            Some((on, off)) => dash_segments(points, on, off),
            None => points.windows(2).map(|w| (w[0], w[1])).collect(),
        };
        let half = width * s / 2.0;
        let reach = half + 1.0;
        let (mut bx0, mut by0, mut bx1, mut by1) = (self.width, self.height, 0, 0);
        for (a, b) in segments {
            let (a, b) = ((a.0 * s, a.1 * s), (b.0 * s, b.1 * s));
            let (Some((x0, x1)), Some((y0, y1))) = (
                pixel_span(a.0.min(b.0) - reach, a.0.max(b.0) + reach, self.width),
                pixel_span(a.1.min(b.1) - reach, a.1.max(b.1) + reach, self.height),
            ) else {
                continue;
            };
            (bx0, by0, bx1, by1) = (bx0.min(x0), by0.min(y0), bx1.max(x1), by1.max(y1));
            for y in y0..y1 {
                for x in x0..x1 {
                    let d = segment_distance((x as f64 + 0.5, y as f64 + 0.5), a, b);
                    let c = (half + 0.5 - d).clamp(0.0, 1.0) as f32;
                    let m = &mut self.mask[y * self.width + x];
                    *m = m.max(c);
                }
            }
        }
        for y in by0..by1 {
            for x in bx0..bx1 {
                let i = y * self.width + x;
                let a = std::mem::take(&mut self.mask[i]);
                if a > 0.0 {
                    self.blend(i, colour, a);
                }
            }
        }
    }

    /// A filled circle (centre and radius in user units), edge anti-aliased.
    pub(super) fn circle(&mut self, (cx, cy): (f64, f64), r: f64, colour: [u8; 3]) {
        let s = self.scale as f64;
        let (cx, cy, r) = (cx * s, cy * s, r * s);
        let (Some((x0, x1)), Some((y0, y1))) = (
            pixel_span(cx - r - 1.0, cx + r + 1.0, self.width),
            pixel_span(cy - r - 1.0, cy + r + 1.0, self.height),
        ) else {
            return;
        };
        for y in y0..y1 {
            for x in x0..x1 {
                let d = ((x as f64 + 0.5 - cx).powi(2) + (y as f64 + 0.5 - cy).powi(2)).sqrt();
                let a = (r + 0.5 - d).clamp(0.0, 1.0) as f32;
                if a > 0.0 {
                    self.blend(y * self.width + x, colour, a);
                }
            }
        }
    }

    /// Bitmap text with its box's top-left corner at `left`, `top` (user units). Rotated text
    /// is drawn into its own buffer and transposed onto the canvas, turned 90° counter-clockwise
    /// (reading bottom to top). Pixels off the canvas are dropped.
    pub(super) fn text(
        &mut self,
        (left, top): (f64, f64),
        text: &str,
        colour: [u8; 3],
        rotated: bool,
    ) {
        let (w, h, ink) = text_mask(text, TEXT_SCALE * self.scale);
        let s = self.scale as f64;
        let (left, top) = ((left * s).round() as i64, (top * s).round() as i64);
        for v in 0..h {
            for u in (0..w).filter(|&u| ink[v * w + u]) {
                let (x, y) = if rotated {
                    (left + v as i64, top + (w - 1 - u) as i64)
                } else {
                    (left + u as i64, top + v as i64)
                };
                if (0..self.width as i64).contains(&x) && (0..self.height as i64).contains(&y) {
                    self.blend(y as usize * self.width + x as usize, colour, 1.0);
                }
            }
        }
    }

    /// The 8-bit RGB pixels, each channel rounded to the nearest integer.
    pub(super) fn into_rgb(self) -> Vec<u8> {
        self.rgb
            .into_iter()
            .map(|v| v.round().clamp(0.0, 255.0) as u8)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::fixtures::pixel;

    #[test]
    fn text_ink_stays_in_its_box() {
        let mut raster = Raster::new(1);
        raster.text((100.0, 50.0), "AUC", INK, false);
        let rgb = raster.into_rgb();
        let width = 3.0 * CHAR_W - TEXT_SCALE as f64;
        assert_eq!(text_width("AUC"), width);
        let (x0, x1, y0, y1) = (100, 100 + width as usize, 50, 50 + TEXT_H as usize);
        let mut per_letter = [0usize; 3];
        for y in 0..HEIGHT {
            for x in 0..WIDTH {
                if pixel(&rgb, WIDTH, x, y) == WHITE {
                    continue;
                }
                assert!(
                    (x0..x1).contains(&x) && (y0..y1).contains(&y),
                    "ink at {x},{y}"
                );
                per_letter[(x - x0) / CHAR_W as usize] += 1;
            }
        }
        assert!(per_letter.iter().all(|&n| n > 0), "{per_letter:?}");
    }

    #[test]
    fn rotated_text_is_the_text_turned_counter_clockwise() {
        let (w, h, ink) = text_mask("AUC", TEXT_SCALE);
        let mut raster = Raster::new(1);
        raster.text((20.0, 100.0), "AUC", INK, true);
        let rgb = raster.into_rgb();
        for y in 0..HEIGHT {
            for x in 0..WIDTH {
                let inked = pixel(&rgb, WIDTH, x, y) != WHITE;
                let expected = (20..20 + h).contains(&x)
                    && (100..100 + w).contains(&y)
                    && ink[(x - 20) * w + (w - 1 - (y - 100))];
                assert_eq!(inked, expected, "{x},{y}");
            }
        }
        // The first letter is at the bottom.
        let a_rows = (100 + w - CHAR_W as usize)..(100 + w);
        assert!((20..20 + h).any(|x| a_rows.clone().any(|y| pixel(&rgb, WIDTH, x, y) != WHITE)));
    }
}
