//! Simple 2-D line plots (ROC curves, calibration plots), drawn from one description both as
//! an SVG document and as an RGB raster / PNG.
//!
//! The SVG goes into the HTML report, where it stays sharp at any zoom and its text can be
//! searched and copied; the PNG is for places without a browser (slides, e-mail, journal
//! submission systems). Both are drawn from the same list of shapes in the same user units
//! ([`WIDTH`] × [`HEIGHT`], one raster pixel per unit at scale 1), so the two pictures agree in
//! geometry. The only difference is the text: the SVG names a monospace font whose advance
//! (0.6 em at [`SVG_FONT_SIZE`]) matches the embedded 5 × 7 bitmap font the raster uses, so
//! layouts computed from the bitmap font fit both.
//!
//! Data are clamped into the axis ranges rather than cut at the frame, so a curve that leaves
//! the range still shows where it went (along the edge) and nothing is drawn over the labels.
//!
//! We keep our own plotting code rather than a plotting crate: a crate draws text with system
//! fonts, which the build and CI machines lack, and its output bytes change with its version
//! (so would every report and golden file). Our font and rasteriser give byte-identical SVG and
//! PNG plots on every machine, and self-contained report pages that open offline (the SVG is
//! inlined, nothing is fetched). The SVG uses only SVG 1.1 (W3C Recommendation, "Scalable
//! Vector Graphics (SVG) 1.1 (Second Edition)", 2011): the basic shapes of chapter 9, `text`
//! with `text-anchor` (10.9.1) and `xml:space="preserve"` (10.15), and the stroke properties of
//! 11.4; the rasteriser follows the same rules (round caps and joins, a dash pattern that runs
//! on across vertices), so the two pictures agree.
//!
//! Layout: `scene` lays a plot out as shapes in user units, `svg` writes them as an SVG
//! document, `raster` draws them as pixels, with the 5 × 7 bitmap font, text measurement and
//! character fallbacks of `font`. This module sits above `encode` (the PNG encoder) and below
//! the pipeline modules that draw plots (`eval`, `report`); it uses nothing of theirs.

mod font;
mod raster;
mod scene;
mod svg;

pub use self::scene::{LinePlot, Series};
pub use self::svg::SVG_FONT_SIZE;

/// Canvas width in SVG user units (raster pixels at scale 1).
pub const WIDTH: usize = 560;
/// Canvas height in SVG user units (raster pixels at scale 1).
pub const HEIGHT: usize = 480;
/// Largest raster scale [`LinePlot::to_rgb`] honours: a scale-8 raster is already 4480 × 3840
/// pixels (52 MB of RGB), more than any screen or print needs.
pub const MAX_SCALE: usize = 8;

/// Okabe–Ito colours (Okabe & Ito, "Color Universal Design", 2008), which stay distinguishable
/// under the common forms of colour blindness, ordered so that the first few are also the
/// most distinct on white: blue, vermillion, bluish green, reddish purple, orange, sky blue,
/// black, yellow (yellow last: it is faint on white).
pub const PALETTE: [[u8; 3]; 8] = [
    [0, 114, 178],
    [213, 94, 0],
    [0, 158, 115],
    [204, 121, 167],
    [230, 159, 0],
    [86, 180, 233],
    [0, 0, 0],
    [240, 228, 66],
];

/// Plots and pixel probes shared by the submodules' tests.
#[cfg(test)]
mod fixtures {
    use super::*;

    /// A ROC-like plot with two series.
    pub(super) fn roc() -> LinePlot {
        LinePlot {
            title: "ROC: coronary artery disease".into(),
            x_label: "False positive rate".into(),
            y_label: "True positive rate".into(),
            x_range: (0.0, 1.0),
            y_range: (0.0, 1.0),
            diagonal: true,
            series: vec![
                Series {
                    label: "model  AUC 0.812 (0.79–0.83)".into(),
                    points: vec![(0.0, 0.0), (0.1, 0.5), (0.3, 0.8), (1.0, 1.0)],
                    color: PALETTE[0],
                    markers: false,
                    dashed: false,
                },
                Series {
                    label: "PRS only  AUC 0.701".into(),
                    points: vec![(0.0, 0.0), (0.4, 0.6), (0.7, 0.9), (1.0, 1.0)],
                    color: PALETTE[1],
                    markers: true,
                    dashed: true,
                },
            ],
        }
    }

    pub(super) fn pixel(rgb: &[u8], width: usize, x: usize, y: usize) -> [u8; 3] {
        let i = 3 * (y * width + x);
        [rgb[i], rgb[i + 1], rgb[i + 2]]
    }

    pub(super) fn near(a: [u8; 3], b: [u8; 3], tolerance: u8) -> bool {
        a.iter().zip(b).all(|(&x, y)| x.abs_diff(y) <= tolerance)
    }

    /// Pixels of (nearly) `colour` within `radius` of user-unit position `at`.
    pub(super) fn count_near(
        plot: &LinePlot,
        scale: usize,
        at: (f64, f64),
        radius: usize,
        colour: [u8; 3],
    ) -> usize {
        let (w, h, rgb) = plot.to_rgb(scale);
        let (cx, cy) = (
            (at.0 * scale as f64) as usize,
            (at.1 * scale as f64) as usize,
        );
        let mut n = 0;
        for y in cy.saturating_sub(radius)..(cy + radius + 1).min(h) {
            for x in cx.saturating_sub(radius)..(cx + radius + 1).min(w) {
                n += usize::from(near(pixel(&rgb, w, x, y), colour, 12));
            }
        }
        n
    }
}
