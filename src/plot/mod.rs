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
//! fonts, which the build and CI machines lack, and its output bytes change with its version.
//! Our font and rasteriser give byte-identical SVG and PNG plots on every machine, and report
//! pages that open offline. [`scene`] lays a plot out as shapes, [`svg`] writes them as an SVG
//! document, [`raster`] draws them as pixels with the bitmap font of [`font`].

mod font;
mod raster;
mod scene;
mod svg;

pub use self::scene::{LinePlot, Series};

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

#[cfg(test)]
mod tests {
    use super::font::*;
    use super::raster::*;
    use super::scene::*;
    use super::svg::*;
    use super::*;

    /// A ROC-like plot with two series.
    fn roc() -> LinePlot {
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

    fn pixel(rgb: &[u8], width: usize, x: usize, y: usize) -> [u8; 3] {
        let i = 3 * (y * width + x);
        [rgb[i], rgb[i + 1], rgb[i + 2]]
    }

    fn near(a: [u8; 3], b: [u8; 3], tolerance: u8) -> bool {
        a.iter().zip(b).all(|(&x, y)| x.abs_diff(y) <= tolerance)
    }

    /// Pixels of (nearly) `colour` within `radius` of user-unit position `at`.
    fn count_near(
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

    #[test]
    fn png_decodes_to_the_reported_size_and_scale_2_doubles_it() {
        let plot = roc();
        let mut sizes = Vec::new();
        for scale in [1, 2] {
            let (w, h, rgb) = plot.to_rgb(scale);
            assert_eq!(rgb.len(), w * h * 3);
            let png = plot.to_png(scale).unwrap();
            let mut reader = png::Decoder::new(png.as_slice()).read_info().unwrap();
            let mut buf = vec![0; reader.output_buffer_size()];
            let info = reader.next_frame(&mut buf).unwrap();
            assert_eq!((info.width as usize, info.height as usize), (w, h));
            assert_eq!(info.color_type, png::ColorType::Rgb);
            assert_eq!(&buf[..info.buffer_size()], rgb.as_slice());
            sizes.push((w, h));
        }
        assert_eq!(sizes[0], (WIDTH, HEIGHT));
        assert_eq!(sizes[1], (2 * WIDTH, 2 * HEIGHT));
        assert_eq!(plot.to_rgb(0).0, WIDTH, "scale 0 is taken as 1");
    }

    #[test]
    fn series_colour_appears_at_its_middle_point_and_not_without_it() {
        let plot = roc();
        let axes = Axes::new(plot.x_range, plot.y_range);
        let middle = axes.map(plot.series[0].points[1]).unwrap();
        for scale in [1, 2] {
            let n = count_near(&plot, scale, middle, 2 * scale, PALETTE[0]);
            assert!(
                n >= 3,
                "scale {scale}: {n} pixels of the series colour at its point"
            );
        }
        let mut without = plot.clone();
        without.series.remove(0);
        let (_, _, rgb) = without.to_rgb(1);
        let left = rgb
            .chunks_exact(3)
            .filter(|p| near([p[0], p[1], p[2]], PALETTE[0], 24))
            .count();
        assert_eq!(left, 0, "pixels of a removed series' colour");
        // The other series is still there.
        let other = axes.map(plot.series[1].points[1]).unwrap();
        assert!(count_near(&without, 1, other, 3, PALETTE[1]) >= 3);
    }

    #[test]
    fn text_ink_stays_in_its_box_and_every_glyph_differs() {
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

        for a in FIRST_GLYPH..=LAST_GLYPH {
            assert_eq!(
                *glyph(a) == [0; GLYPH_COLS],
                a == b' ',
                "glyph {:?}",
                a as char
            );
            assert!(
                glyph(a).iter().all(|&c| c >> GLYPH_ROWS == 0),
                "{:?} row 8",
                a as char
            );
            for b in a + 1..=LAST_GLYPH {
                assert_ne!(glyph(a), glyph(b), "{:?} and {:?}", a as char, b as char);
            }
        }
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

    #[test]
    fn characters_the_font_lacks_become_close_ascii() {
        assert_eq!(
            raster_text("AUC 0.79–0.83 — 2×3 π"),
            "AUC 0.79-0.83 - 2x3 p"
        );
        assert_eq!(raster_text("naïve ≥ 5…"), "naive >= 5...");
        assert_eq!(raster_text("漢\t"), "? ");
        // Cutting counts what the raster draws and keeps what the SVG shows.
        let cut = fit("αβ–x".repeat(20).as_str(), 10.0 * CHAR_W);
        assert!(cut.ends_with(ELLIPSIS) && cut.starts_with("αβ–x"), "{cut}");
        assert!(text_width(&cut) <= 10.0 * CHAR_W);
    }

    #[test]
    fn ticks_have_at_most_two_decimals() {
        let ticks: Vec<String> = [0.0, 0.2, 0.6000000000000001, 1.0, -0.004, 250.0, 0.015]
            .iter()
            .map(|&v| tick(v))
            .collect();
        assert_eq!(
            ticks,
            ["0", "0.2", "0.6", "1", "0", "250", "0.01"].map(String::from)
        );
        let svg = roc().to_svg();
        for t in ["0", "0.2", "0.4", "0.6", "0.8", "1"] {
            assert!(svg.contains(&format!(">{t}</text>")), "tick {t}");
        }
    }

    #[test]
    fn svg_has_a_polyline_per_series_escaped_labels_and_is_deterministic() {
        let mut plot = roc();
        plot.series.push(Series {
            label: "a<b & \"c\" 'd'".into(),
            points: vec![(0.5, 0.5), (0.6, 0.6)],
            color: PALETTE[2],
            markers: false,
            dashed: false,
        });
        plot.title = "<script>&".into();
        let svg = plot.to_svg();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"560\" height=\"480\" viewBox=\"0 0 560 480\""));
        assert!(svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<polyline").count(), plot.series.len());
        assert!(svg.contains(">model  AUC 0.812 (0.79–0.83)</text>"));
        assert!(svg.contains(">PRS only  AUC 0.701</text>"));
        assert!(svg.contains(">a&lt;b &amp; &quot;c&quot; &apos;d&apos;</text>"));
        assert!(svg.contains("&lt;script&gt;&amp;"));
        assert!(!svg.contains("<script") && !svg.contains("a<b"));
        assert!(
            svg.contains("stroke-dasharray"),
            "dashed series and diagonal"
        );
        assert_eq!(
            svg.matches("<circle").count(),
            4 + 1,
            "markers and legend marker"
        );
        assert!(svg.contains(&hex(PALETTE[0])));
        assert_eq!(svg, plot.to_svg());
        assert_eq!(plot.to_rgb(1), plot.to_rgb(1));
    }

    #[test]
    fn out_of_range_points_are_clamped_into_the_plot_area() {
        let mut plot = roc();
        plot.diagonal = false;
        plot.series = vec![Series {
            label: "wild".into(),
            points: vec![
                (-1.0, 2.0),
                (0.5, 0.5),
                (3.0, -5.0),
                (f64::NAN, 0.2),
                (0.6, f64::INFINITY),
            ],
            color: PALETTE[0],
            markers: true,
            dashed: false,
        }];
        let svg = plot.to_svg();
        let line = svg.lines().find(|l| l.starts_with("<polyline")).unwrap();
        let points = line
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let coords: Vec<(f64, f64)> = points
            .split(' ')
            .map(|p| {
                let (x, y) = p.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect();
        assert_eq!(coords.len(), 4, "the NaN point is skipped");
        assert_eq!(coords[0], (PLOT_LEFT, PLOT_TOP));
        assert_eq!(coords[2], (PLOT_RIGHT, PLOT_BOTTOM));
        assert_eq!(coords[3].1, PLOT_TOP);

        // The raster: the colour at the clamped corner, none outside the plot area (beyond
        // half a marker).
        assert!(count_near(&plot, 1, (PLOT_LEFT, PLOT_TOP), 2, PALETTE[0]) > 0);
        let (w, h, rgb) = plot.to_rgb(1);
        let margin = MARKER_RADIUS + 1.0;
        for y in 0..h {
            for x in 0..w {
                if near(pixel(&rgb, w, x, y), PALETTE[0], 40) {
                    let (x, y) = (x as f64 + 0.5, y as f64 + 0.5);
                    assert!(
                        x > PLOT_LEFT - margin
                            && x < PLOT_RIGHT + margin
                            && y > PLOT_TOP - margin
                            && y < PLOT_BOTTOM + margin,
                        "series colour at {x},{y}"
                    );
                }
            }
        }
    }

    #[test]
    fn empty_and_degenerate_plots_render() {
        let empty = LinePlot {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            x_range: (1.0, 1.0),
            y_range: (f64::NAN, f64::INFINITY),
            diagonal: true,
            series: Vec::new(),
        };
        let svg = empty.to_svg();
        assert!(!svg.contains("<polyline"));
        assert!(empty.to_png(1).is_ok());

        let mut plot = roc();
        plot.title = "a very long title ".repeat(10);
        plot.y_label = "a very long axis label ".repeat(10);
        plot.series[0].points.clear();
        plot.series[1].points.truncate(1);
        plot.series.extend((0..30).map(|i| Series {
            label: format!("series {i} with a label far too long to fit in the legend box"),
            points: vec![(0.1, 0.1 * f64::from(i % 10))],
            color: PALETTE[i as usize % PALETTE.len()],
            markers: false,
            dashed: i % 2 == 0,
        }));
        let svg = plot.to_svg();
        assert!(
            svg.contains(">(18 more)</text>"),
            "legend rows beyond the plot area"
        );
        assert!(svg.contains("a very long title a very long title"));
        let (w, h, rgb) = plot.to_rgb(2);
        assert_eq!(rgb.len(), w * h * 3);
        assert!(plot.to_png(2).is_ok());
    }
}
