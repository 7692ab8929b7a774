//! What a plot shows: its series, axes and layout, turned into one list of shapes in user
//! units that the SVG writer and the rasteriser both draw.

use std::fmt::Write as _;

use super::font::*;
use super::raster::*;
use super::svg::*;
use super::*;

/// Plot-area edges in user units. They lie on half units and the area is a multiple of
/// [`TICK_INTERVALS`] wide and high, so the 1-unit frame and grid lines fall on whole pixels at
/// every integer scale (crisp, not smeared over two pixels).
pub(super) const PLOT_LEFT: f64 = 84.5;
/// Right edge of the plot area (see [`PLOT_LEFT`]).
pub(super) const PLOT_RIGHT: f64 = 534.5;
/// Top edge of the plot area (see [`PLOT_LEFT`]).
pub(super) const PLOT_TOP: f64 = 44.5;
/// Bottom edge of the plot area (see [`PLOT_LEFT`]).
pub(super) const PLOT_BOTTOM: f64 = 414.5;
/// Ticks at 0, 0.2, …, 1 of each range.
pub(super) const TICK_INTERVALS: usize = 5;
/// Length of the outward tick marks.
pub(super) const TICK_LENGTH: f64 = 5.0;
/// Gap between a tick mark and its label.
pub(super) const TICK_LABEL_GAP: f64 = 4.0;
/// Top of the title's text box.
pub(super) const TITLE_TOP: f64 = 14.0;
/// Top of the x-axis label's text box (below the tick labels).
pub(super) const X_LABEL_TOP: f64 = 449.0;
/// Preferred left edge of the rotated y-axis label; it moves left when tick labels are long.
pub(super) const Y_LABEL_LEFT: f64 = 14.0;
/// Gap between the y-axis label and the longest y tick label.
pub(super) const Y_LABEL_GAP: f64 = 6.0;
/// Text keeps at least this far from the canvas edges.
pub(super) const EDGE_PAD: f64 = 6.0;
/// Width of data lines (series and their legend samples).
pub(super) const LINE_WIDTH: f64 = 2.0;
/// Dash pattern of dashed series (on, off), as SVG's `stroke-dasharray`.
pub(super) const DASH: (f64, f64) = (8.0, 5.0);
/// Radius of a series' point markers.
pub(super) const MARKER_RADIUS: f64 = 3.5;
/// The y = x reference line: thinner, finer dashes and grey, so it reads as a guide.
pub(super) const DIAGONAL_WIDTH: f64 = 1.5;
/// Dash pattern of the y = x reference line (on, off).
pub(super) const DIAGONAL_DASH: (f64, f64) = (6.0, 4.0);
/// Frame, grid and tick lines.
pub(super) const THIN: f64 = 1.0;
/// Legend box: distance from the plot area's lower-right corner, inner padding (the
/// vertical one on a half unit so that row centres, and so the 2-unit swatches, are on whole
/// units), row height, swatch length and the gap between swatch and label.
pub(super) const LEGEND_INSET: f64 = 10.0;
/// Legend box: horizontal inner padding.
pub(super) const LEGEND_PAD_X: f64 = 8.0;
/// Legend box: vertical inner padding (on a half unit, see [`LEGEND_INSET`]).
pub(super) const LEGEND_PAD_Y: f64 = 4.5;
/// Legend box: height of one row.
pub(super) const LEGEND_ROW: f64 = 22.0;
/// Legend box: length of a series' line sample.
pub(super) const SWATCH: f64 = 28.0;
/// Legend box: gap between the line sample and the label.
pub(super) const SWATCH_GAP: f64 = 8.0;

/// Background and legend fill.
pub(super) const WHITE: [u8; 3] = [255, 255, 255];
/// Text: a near-black that is softer on white than pure black.
pub(super) const INK: [u8; 3] = [34, 34, 34];
/// Frame and tick marks.
pub(super) const AXIS: [u8; 3] = [0, 0, 0];
/// Grid lines: light, so that they guide the eye without competing with the data.
pub(super) const GRID: [u8; 3] = [225, 225, 225];
/// The y = x reference line.
pub(super) const DIAGONAL: [u8; 3] = [150, 150, 150];
/// The legend box's outline.
pub(super) const LEGEND_BORDER: [u8; 3] = [170, 170, 170];

/// One curve of a [`LinePlot`].
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend text, e.g. `model  AUC 0.812 (0.79–0.83)`. The SVG keeps every character; the
    /// raster replaces those its font lacks (see [`LinePlot`]). Too long a label is cut to fit
    /// the legend and ends in `...`.
    pub label: String,
    /// `(x, y)` in data units, in drawing order. Values outside the plot's ranges are clamped
    /// to its edges; points with a NaN coordinate are skipped.
    pub points: Vec<(f64, f64)>,
    /// Line (and marker) colour, sRGB; [`PALETTE`] holds colour-blind safe ones.
    pub color: [u8; 3],
    /// A filled circle at every point: for curves of few points (calibration bins), where the
    /// points are the data and the line only guides the eye.
    pub markers: bool,
    /// A dashed line: tells apart series that must share a colour, also in grey-scale print.
    pub dashed: bool,
}

/// A 2-D line plot: a frame with ticks at 0, 0.2, …, 1 of each range, light grid lines,
/// optional y = x reference line, the series, and a legend in the lower-right corner of the
/// plot area (drawn only when there are series).
///
/// Text is kept as given in the SVG (XML-escaped). The raster font covers printable ASCII;
/// other characters become a close ASCII replacement (`–` and `—` → `-`, `×` → `x`, `π` → `p`,
/// accented Latin letters → the plain letter, …) or `?`. Texts too long for the canvas are cut
/// and end in `...`, the same in both outputs.
#[derive(Clone, Debug, PartialEq)]
pub struct LinePlot {
    /// Title above the plot area (the SVG's `<title>` too).
    pub title: String,
    /// Label under the x axis.
    pub x_label: String,
    /// Label beside the y axis, drawn turned counter-clockwise.
    pub y_label: String,
    /// Data values at the left and right edges of the plot area. A range of zero width or with
    /// a non-finite end is replaced by one unit around its start (or 0..1), so that a
    /// degenerate input still gives a picture rather than a division by zero.
    pub x_range: (f64, f64),
    /// Data values at the bottom and top edges, as [`LinePlot::x_range`].
    pub y_range: (f64, f64),
    /// A grey dashed y = x reference line (where the two ranges overlap): the chance line of a
    /// ROC curve, perfect calibration in a calibration plot.
    pub diagonal: bool,
    /// The curves, drawn in order (later ones on top) and listed in the legend.
    pub series: Vec<Series>,
}

impl LinePlot {
    /// A standalone SVG document (`width`, `height` and `viewBox` set to the canvas), for
    /// inline use in HTML or saving as a `.svg` file. The same plot always gives the same
    /// string, so reports can be compared byte for byte.
    pub fn to_svg(&self) -> String {
        let mut svg = String::new();
        // Spaces are kept as given (labels align numbers with runs of spaces), as in the
        // raster; SVG would otherwise collapse them.
        let _ = write!(
            svg,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
             viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"{SVG_FONT_FAMILY}\" \
             font-size=\"{}\" xml:space=\"preserve\" style=\"white-space:pre\" \
             role=\"img\">\n<title>{}</title>\n\
             <rect width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"{}\"/>\n",
            num(SVG_FONT_SIZE),
            escape(&clean(&self.title)),
            hex(WHITE)
        );
        for shape in self.scene() {
            shape.write_svg(&mut svg);
        }
        svg.push_str("</svg>\n");
        svg
    }

    /// The same picture as [`LinePlot::to_svg`] as 8-bit RGB, rows top to bottom: `(width,
    /// height, pixels)`. At `scale` 1 one pixel is one SVG user unit, at 2 the raster is twice
    /// as wide and high (for print or high-density screens). A scale of 0 is taken as 1 and
    /// one above [`MAX_SCALE`] as [`MAX_SCALE`].
    pub fn to_rgb(&self, scale: usize) -> (usize, usize, Vec<u8>) {
        let mut raster = Raster::new(scale.clamp(1, MAX_SCALE));
        for shape in self.scene() {
            raster.draw(&shape);
        }
        (raster.width, raster.height, raster.into_rgb())
    }

    /// [`LinePlot::to_rgb`] encoded as a PNG file.
    pub fn to_png(&self, scale: usize) -> std::io::Result<Vec<u8>> {
        let (width, height, rgb) = self.to_rgb(scale);
        crate::encode::png::encode_png(width, height, &rgb)
    }

    /// The picture as shapes in user units, back to front: what both outputs draw.
    pub(super) fn scene(&self) -> Vec<Shape> {
        let axes = Axes::new(self.x_range, self.y_range);
        let mut shapes = Vec::new();
        let step_x = (PLOT_RIGHT - PLOT_LEFT) / TICK_INTERVALS as f64;
        let step_y = (PLOT_BOTTOM - PLOT_TOP) / TICK_INTERVALS as f64;
        let half = THIN / 2.0;

        for k in 1..TICK_INTERVALS {
            let x = PLOT_LEFT + k as f64 * step_x;
            let y = PLOT_BOTTOM - k as f64 * step_y;
            shapes.push(Shape::Rect {
                x0: x - half,
                y0: PLOT_TOP,
                x1: x + half,
                y1: PLOT_BOTTOM,
                colour: GRID,
            });
            shapes.push(Shape::Rect {
                x0: PLOT_LEFT,
                y0: y - half,
                x1: PLOT_RIGHT,
                y1: y + half,
                colour: GRID,
            });
        }
        shapes.push(Shape::Outline {
            x0: PLOT_LEFT,
            y0: PLOT_TOP,
            x1: PLOT_RIGHT,
            y1: PLOT_BOTTOM,
            width: THIN,
            colour: AXIS,
        });

        let mut tick_label_left = PLOT_LEFT;
        for k in 0..=TICK_INTERVALS {
            let f = k as f64 / TICK_INTERVALS as f64;
            let x = PLOT_LEFT + k as f64 * step_x;
            let y = PLOT_BOTTOM - k as f64 * step_y;
            shapes.push(Shape::Rect {
                x0: x - half,
                y0: PLOT_BOTTOM,
                x1: x + half,
                y1: PLOT_BOTTOM + TICK_LENGTH,
                colour: AXIS,
            });
            shapes.push(Shape::Rect {
                x0: PLOT_LEFT - TICK_LENGTH,
                y0: y - half,
                x1: PLOT_LEFT,
                y1: y + half,
                colour: AXIS,
            });
            let top = PLOT_BOTTOM + TICK_LENGTH + TICK_LABEL_GAP;
            shapes.push(label(&tick(axes.x_at(f)), x, top, Anchor::Middle));
            let right = PLOT_LEFT - TICK_LENGTH - TICK_LABEL_GAP;
            let text = label(&tick(axes.y_at(f)), right, y - TEXT_H / 2.0, Anchor::End);
            if let Shape::Text { left, .. } = text {
                tick_label_left = tick_label_left.min(left);
            }
            shapes.push(text);
        }

        if self.diagonal {
            if let Some(line) = axes.diagonal() {
                shapes.push(Shape::Line {
                    points: line.to_vec(),
                    width: DIAGONAL_WIDTH,
                    colour: DIAGONAL,
                    dash: Some(DIAGONAL_DASH),
                    series: false,
                });
            }
        }

        for series in &self.series {
            let points: Vec<(f64, f64)> =
                series.points.iter().filter_map(|&p| axes.map(p)).collect();
            if points.is_empty() {
                continue;
            }
            if series.markers {
                shapes.extend(points.iter().map(|&(cx, cy)| Shape::Circle {
                    cx,
                    cy,
                    r: MARKER_RADIUS,
                    colour: series.color,
                }));
            }
            // The line goes over its markers' centres; drawn before them it would be hidden.
            let at = shapes.len() - if series.markers { points.len() } else { 0 };
            shapes.insert(
                at,
                Shape::Line {
                    points,
                    width: LINE_WIDTH,
                    colour: series.color,
                    dash: series.dashed.then_some(DASH),
                    series: true,
                },
            );
        }

        self.legend(&mut shapes);

        let centre_x = (PLOT_LEFT + PLOT_RIGHT) / 2.0;
        shapes.push(label(&self.title, centre_x, TITLE_TOP, Anchor::Middle));
        shapes.push(label(&self.x_label, centre_x, X_LABEL_TOP, Anchor::Middle));
        // Rotated: the text's width runs along the canvas height.
        let y_label = fit(&self.y_label, HEIGHT as f64 - 2.0 * EDGE_PAD);
        let length = text_width(&y_label);
        let top = ((PLOT_TOP + PLOT_BOTTOM) / 2.0 - length / 2.0)
            .round()
            .clamp(EDGE_PAD, HEIGHT as f64 - EDGE_PAD - length);
        let left = (tick_label_left - Y_LABEL_GAP - TEXT_H)
            .floor()
            .clamp(EDGE_PAD, Y_LABEL_LEFT);
        shapes.push(Shape::Text {
            left,
            top,
            width: length,
            text: y_label,
            anchor: Anchor::Middle,
            rotated: true,
        });
        shapes
    }

    /// The legend box in the lower-right corner of the plot area. When the series outnumber
    /// the rows that fit in the plot area, the last row says how many were left out.
    pub(super) fn legend(&self, shapes: &mut Vec<Shape>) {
        if self.series.is_empty() {
            return;
        }
        let plot_w = PLOT_RIGHT - PLOT_LEFT;
        let max_label = plot_w - 2.0 * (LEGEND_INSET + LEGEND_PAD_X) - SWATCH - SWATCH_GAP;
        let max_rows =
            ((PLOT_BOTTOM - PLOT_TOP - 2.0 * (LEGEND_INSET + LEGEND_PAD_Y)) / LEGEND_ROW) as usize;
        let mut rows: Vec<(Option<&Series>, String)> = self
            .series
            .iter()
            .map(|s| (Some(s), fit(&s.label, max_label)))
            .collect();
        if rows.len() > max_rows {
            let shown = max_rows.saturating_sub(1);
            let more = format!("({} more)", rows.len() - shown);
            rows.truncate(shown);
            rows.push((None, more));
        }
        let widest = rows.iter().map(|(_, t)| text_width(t)).fold(0.0, f64::max);
        let width = 2.0 * LEGEND_PAD_X + SWATCH + SWATCH_GAP + widest;
        let height = 2.0 * LEGEND_PAD_Y + rows.len() as f64 * LEGEND_ROW;
        let x1 = PLOT_RIGHT - LEGEND_INSET;
        let y1 = PLOT_BOTTOM - LEGEND_INSET;
        let (x0, y0) = (x1 - width, y1 - height);
        shapes.push(Shape::Rect {
            x0,
            y0,
            x1,
            y1,
            colour: WHITE,
        });
        shapes.push(Shape::Outline {
            x0,
            y0,
            x1,
            y1,
            width: THIN,
            colour: LEGEND_BORDER,
        });
        for (i, (series, text)) in rows.into_iter().enumerate() {
            let mid = y0 + LEGEND_PAD_Y + (i as f64 + 0.5) * LEGEND_ROW;
            let swatch_x = x0 + LEGEND_PAD_X;
            if let Some(s) = series {
                shapes.push(Shape::Line {
                    points: vec![(swatch_x, mid), (swatch_x + SWATCH, mid)],
                    width: LINE_WIDTH,
                    colour: s.color,
                    dash: s.dashed.then_some(DASH),
                    series: false,
                });
                if s.markers {
                    shapes.push(Shape::Circle {
                        cx: swatch_x + SWATCH / 2.0,
                        cy: mid,
                        r: MARKER_RADIUS,
                        colour: s.color,
                    });
                }
            }
            let width = text_width(&text);
            shapes.push(Shape::Text {
                left: swatch_x + SWATCH + SWATCH_GAP,
                top: (mid - TEXT_H / 2.0).round(),
                width,
                text,
                anchor: Anchor::Start,
                rotated: false,
            });
        }
    }
}

/// The ranges of the two axes and the map from data to user units.
pub(super) struct Axes {
    /// The x range (left, right), made usable by [`usable`].
    x: (f64, f64),
    /// The y range (bottom, top), made usable by [`usable`].
    y: (f64, f64),
}

impl Axes {
    /// The axes of a plot with these data ranges (degenerate ones replaced, see [`usable`]).
    pub(super) fn new(x: (f64, f64), y: (f64, f64)) -> Axes {
        Axes {
            x: usable(x),
            y: usable(y),
        }
    }

    /// Data value at fraction `f` of the x range.
    pub(super) fn x_at(&self, f: f64) -> f64 {
        self.x.0 + f * (self.x.1 - self.x.0)
    }

    /// Data value at fraction `f` of the y range.
    pub(super) fn y_at(&self, f: f64) -> f64 {
        self.y.0 + f * (self.y.1 - self.y.0)
    }

    /// User-unit position of a data point, clamped into the plot area; `None` for NaN.
    pub(super) fn map(&self, (x, y): (f64, f64)) -> Option<(f64, f64)> {
        if x.is_nan() || y.is_nan() {
            return None;
        }
        let fx = fraction(x, self.x);
        let fy = fraction(y, self.y);
        Some((
            PLOT_LEFT + fx * (PLOT_RIGHT - PLOT_LEFT),
            PLOT_BOTTOM - fy * (PLOT_BOTTOM - PLOT_TOP),
        ))
    }

    /// The part of y = x inside both ranges, in user units.
    pub(super) fn diagonal(&self) -> Option<[(f64, f64); 2]> {
        let lo = self.x.0.min(self.x.1).max(self.y.0.min(self.y.1));
        let hi = self.x.0.max(self.x.1).min(self.y.0.max(self.y.1));
        if lo < hi {
            Some([self.map((lo, lo))?, self.map((hi, hi))?])
        } else {
            None
        }
    }
}

/// A range that can be divided by: see [`LinePlot::x_range`].
pub(super) fn usable((lo, hi): (f64, f64)) -> (f64, f64) {
    if lo.is_finite() && hi.is_finite() && lo != hi {
        (lo, hi)
    } else if lo.is_finite() {
        (lo - 0.5, lo + 0.5)
    } else {
        (0.0, 1.0)
    }
}

/// Where `v` (clamped into the range) lies in `range`, 0 at its start and 1 at its end.
pub(super) fn fraction(v: f64, (lo, hi): (f64, f64)) -> f64 {
    let f = (v.clamp(lo.min(hi), lo.max(hi)) - lo) / (hi - lo);
    if f.is_finite() {
        f.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// `x` with at most two decimals and no trailing zeros: tick labels and SVG coordinates.
pub(super) fn tick(x: f64) -> String {
    let mut s = format!("{x:.2}");
    if s.contains('.') {
        let trimmed = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(trimmed);
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

/// A horizontal text shape for `text` at `top`, `x` being its left edge, centre or right edge
/// by `anchor`; fitted to the canvas width and moved inside the canvas.
pub(super) fn label(text: &str, x: f64, top: f64, anchor: Anchor) -> Shape {
    let text = fit(text, WIDTH as f64 - 2.0 * EDGE_PAD);
    let width = text_width(&text);
    let left = match anchor {
        Anchor::Start => x,
        Anchor::Middle => x - width / 2.0,
        Anchor::End => x - width,
    };
    let left = left
        .round()
        .clamp(EDGE_PAD, WIDTH as f64 - EDGE_PAD - width);
    Shape::Text {
        left,
        top: top.round(),
        width,
        text,
        anchor,
        rotated: false,
    }
}

/// How SVG text is anchored: text in the viewer's font may be a little wider or narrower than
/// in the bitmap font, and centred text should stay centred.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Anchor {
    /// `left` is the text's left edge (SVG `text-anchor="start"`).
    Start,
    /// The text is centred on its box (`text-anchor="middle"`).
    Middle,
    /// The box's right edge is the text's end (`text-anchor="end"`).
    End,
}

/// What a plot is made of, in user units.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Shape {
    /// A filled axis-aligned rectangle.
    Rect {
        /// Left edge.
        x0: f64,
        /// Top edge.
        y0: f64,
        /// Right edge.
        x1: f64,
        /// Bottom edge.
        y1: f64,
        /// Fill colour, sRGB.
        colour: [u8; 3],
    },
    /// A rectangle's outline, the stroke centred on its edges.
    Outline {
        /// Left edge (the stroke's centre line).
        x0: f64,
        /// Top edge.
        y0: f64,
        /// Right edge.
        x1: f64,
        /// Bottom edge.
        y1: f64,
        /// Stroke width.
        width: f64,
        /// Stroke colour, sRGB.
        colour: [u8; 3],
    },
    /// An open line through `points` with round caps and joins; `series` marks a data series
    /// (an SVG `<polyline>`; other lines are two-point `<line>`s).
    Line {
        /// Vertices in drawing order.
        points: Vec<(f64, f64)>,
        /// Stroke width.
        width: f64,
        /// Stroke colour, sRGB.
        colour: [u8; 3],
        /// Dash pattern (on, off), or `None` for a solid line.
        dash: Option<(f64, f64)>,
        /// Whether this is a data series (written as `<polyline class="series">`).
        series: bool,
    },
    /// A filled disc: a point marker.
    Circle {
        /// Centre, x.
        cx: f64,
        /// Centre, y.
        cy: f64,
        /// Radius.
        r: f64,
        /// Fill colour, sRGB.
        colour: [u8; 3],
    },
    /// Text whose bitmap-font box is `width` × [`TEXT_H`] with its top-left corner at (`left`,
    /// `top`); rotated text reads bottom to top and its box is [`TEXT_H`] × `width`.
    Text {
        /// Left edge of the box.
        left: f64,
        /// Top edge of the box.
        top: f64,
        /// Length of the text in the bitmap font ([`text_width`]).
        width: f64,
        /// The text, as the SVG shows it (the raster draws its [`raster_text`]).
        text: String,
        /// Where the SVG anchors the text in its box.
        anchor: Anchor,
        /// Turned 90° counter-clockwise (the y-axis label).
        rotated: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::fixtures::*;

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
