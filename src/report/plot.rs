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

use std::fmt::Write as _;

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

/// Plot-area edges in user units. They lie on half units and the area is a multiple of
/// [`TICK_INTERVALS`] wide and high, so the 1-unit frame and grid lines fall on whole pixels at
/// every integer scale (crisp, not smeared over two pixels).
const PLOT_LEFT: f64 = 84.5;
const PLOT_RIGHT: f64 = 534.5;
const PLOT_TOP: f64 = 44.5;
const PLOT_BOTTOM: f64 = 414.5;
/// Ticks at 0, 0.2, …, 1 of each range.
const TICK_INTERVALS: usize = 5;
/// Outward tick marks, and the gap between a tick mark and its label.
const TICK_LENGTH: f64 = 5.0;
const TICK_LABEL_GAP: f64 = 4.0;
/// Top of the title's text box.
const TITLE_TOP: f64 = 14.0;
/// Top of the x-axis label's text box (below the tick labels).
const X_LABEL_TOP: f64 = 449.0;
/// Preferred left edge of the rotated y-axis label; it moves left when tick labels are long.
const Y_LABEL_LEFT: f64 = 14.0;
/// Gap between the y-axis label and the longest y tick label.
const Y_LABEL_GAP: f64 = 6.0;
/// Text keeps at least this far from the canvas edges.
const EDGE_PAD: f64 = 6.0;
/// Data lines: width, dash pattern (on, off) and marker radius.
const LINE_WIDTH: f64 = 2.0;
const DASH: (f64, f64) = (8.0, 5.0);
const MARKER_RADIUS: f64 = 3.5;
/// The y = x reference line: thinner, finer dashes and grey, so it reads as a guide.
const DIAGONAL_WIDTH: f64 = 1.5;
const DIAGONAL_DASH: (f64, f64) = (6.0, 4.0);
/// Frame, grid and tick lines.
const THIN: f64 = 1.0;
/// Legend box: distance from the plot area's lower-right corner, inner padding (the
/// vertical one on a half unit so that row centres, and so the 2-unit swatches, are on whole
/// units), row height, swatch length and the gap between swatch and label.
const LEGEND_INSET: f64 = 10.0;
const LEGEND_PAD_X: f64 = 8.0;
const LEGEND_PAD_Y: f64 = 4.5;
const LEGEND_ROW: f64 = 22.0;
const SWATCH: f64 = 28.0;
const SWATCH_GAP: f64 = 8.0;

const WHITE: [u8; 3] = [255, 255, 255];
const INK: [u8; 3] = [34, 34, 34];
const AXIS: [u8; 3] = [0, 0, 0];
const GRID: [u8; 3] = [225, 225, 225];
const DIAGONAL: [u8; 3] = [150, 150, 150];
const LEGEND_BORDER: [u8; 3] = [170, 170, 170];

/// The bitmap font: 5 × 7 glyphs on a 6-column advance (one blank column between letters).
const GLYPH_COLS: usize = 5;
const GLYPH_ROWS: usize = 7;
const GLYPH_ADVANCE: usize = 6;
/// User units per font pixel: a 5 × 7 glyph at 1 unit per pixel is too small to read on a
/// 560-unit canvas, at 2 it is the size of ordinary 10-point text in a report.
const TEXT_SCALE: usize = 2;
/// Height of a line of text and width of one character, in user units.
const TEXT_H: f64 = (GLYPH_ROWS * TEXT_SCALE) as f64;
const CHAR_W: f64 = (GLYPH_ADVANCE * TEXT_SCALE) as f64;
/// SVG text size: a monospace font's advance is about 0.6 em, 12 units at 20 = [`CHAR_W`], and
/// its cap height (about 0.72 em) is close to [`TEXT_H`].
pub const SVG_FONT_SIZE: f64 = 20.0;
const SVG_FONT_FAMILY: &str = "'DejaVu Sans Mono', Menlo, Consolas, monospace";
/// What a truncated text ends with.
const ELLIPSIS: &str = "...";

/// The first glyph in [`FONT`] is ASCII 32 (space), the last 126 (`~`).
const FIRST_GLYPH: u8 = b' ';
const LAST_GLYPH: u8 = b'~';

/// The classic 5 × 7 glyphs of printable ASCII (32..=126), one byte per column from left to
/// right, bit 0 the top row.
#[rustfmt::skip]
const FONT: [[u8; GLYPH_COLS]; (LAST_GLYPH - FIRST_GLYPH + 1) as usize] = [
    [0x00, 0x00, 0x00, 0x00, 0x00], // ' '
    [0x00, 0x00, 0x5F, 0x00, 0x00], // '!'
    [0x00, 0x07, 0x00, 0x07, 0x00], // '"'
    [0x14, 0x7F, 0x14, 0x7F, 0x14], // '#'
    [0x24, 0x2A, 0x7F, 0x2A, 0x12], // '$'
    [0x23, 0x13, 0x08, 0x64, 0x62], // '%'
    [0x36, 0x49, 0x55, 0x22, 0x50], // '&'
    [0x00, 0x00, 0x07, 0x00, 0x00], // '\''
    [0x00, 0x1C, 0x22, 0x41, 0x00], // '('
    [0x00, 0x41, 0x22, 0x1C, 0x00], // ')'
    [0x14, 0x08, 0x3E, 0x08, 0x14], // '*'
    [0x08, 0x08, 0x3E, 0x08, 0x08], // '+'
    [0x00, 0x50, 0x30, 0x00, 0x00], // ','
    [0x08, 0x08, 0x08, 0x08, 0x08], // '-'
    [0x00, 0x60, 0x60, 0x00, 0x00], // '.'
    [0x20, 0x10, 0x08, 0x04, 0x02], // '/'
    [0x3E, 0x51, 0x49, 0x45, 0x3E], // '0'
    [0x00, 0x42, 0x7F, 0x40, 0x00], // '1'
    [0x42, 0x61, 0x51, 0x49, 0x46], // '2'
    [0x21, 0x41, 0x45, 0x4B, 0x31], // '3'
    [0x18, 0x14, 0x12, 0x7F, 0x10], // '4'
    [0x27, 0x45, 0x45, 0x45, 0x39], // '5'
    [0x3C, 0x4A, 0x49, 0x49, 0x30], // '6'
    [0x01, 0x71, 0x09, 0x05, 0x03], // '7'
    [0x36, 0x49, 0x49, 0x49, 0x36], // '8'
    [0x06, 0x49, 0x49, 0x29, 0x1E], // '9'
    [0x00, 0x36, 0x36, 0x00, 0x00], // ':'
    [0x00, 0x56, 0x36, 0x00, 0x00], // ';'
    [0x08, 0x14, 0x22, 0x41, 0x00], // '<'
    [0x14, 0x14, 0x14, 0x14, 0x14], // '='
    [0x00, 0x41, 0x22, 0x14, 0x08], // '>'
    [0x02, 0x01, 0x51, 0x09, 0x06], // '?'
    [0x32, 0x49, 0x79, 0x41, 0x3E], // '@'
    [0x7E, 0x11, 0x11, 0x11, 0x7E], // 'A'
    [0x7F, 0x49, 0x49, 0x49, 0x36], // 'B'
    [0x3E, 0x41, 0x41, 0x41, 0x22], // 'C'
    [0x7F, 0x41, 0x41, 0x22, 0x1C], // 'D'
    [0x7F, 0x49, 0x49, 0x49, 0x41], // 'E'
    [0x7F, 0x09, 0x09, 0x09, 0x01], // 'F'
    [0x3E, 0x41, 0x49, 0x49, 0x7A], // 'G'
    [0x7F, 0x08, 0x08, 0x08, 0x7F], // 'H'
    [0x00, 0x41, 0x7F, 0x41, 0x00], // 'I'
    [0x20, 0x40, 0x41, 0x3F, 0x01], // 'J'
    [0x7F, 0x08, 0x14, 0x22, 0x41], // 'K'
    [0x7F, 0x40, 0x40, 0x40, 0x40], // 'L'
    [0x7F, 0x02, 0x0C, 0x02, 0x7F], // 'M'
    [0x7F, 0x04, 0x08, 0x10, 0x7F], // 'N'
    [0x3E, 0x41, 0x41, 0x41, 0x3E], // 'O'
    [0x7F, 0x09, 0x09, 0x09, 0x06], // 'P'
    [0x3E, 0x41, 0x51, 0x21, 0x5E], // 'Q'
    [0x7F, 0x09, 0x19, 0x29, 0x46], // 'R'
    [0x46, 0x49, 0x49, 0x49, 0x31], // 'S'
    [0x01, 0x01, 0x7F, 0x01, 0x01], // 'T'
    [0x3F, 0x40, 0x40, 0x40, 0x3F], // 'U'
    [0x1F, 0x20, 0x40, 0x20, 0x1F], // 'V'
    [0x3F, 0x40, 0x38, 0x40, 0x3F], // 'W'
    [0x63, 0x14, 0x08, 0x14, 0x63], // 'X'
    [0x07, 0x08, 0x70, 0x08, 0x07], // 'Y'
    [0x61, 0x51, 0x49, 0x45, 0x43], // 'Z'
    [0x00, 0x7F, 0x41, 0x41, 0x00], // '['
    [0x02, 0x04, 0x08, 0x10, 0x20], // '\\'
    [0x00, 0x41, 0x41, 0x7F, 0x00], // ']'
    [0x04, 0x02, 0x01, 0x02, 0x04], // '^'
    [0x40, 0x40, 0x40, 0x40, 0x40], // '_'
    [0x00, 0x01, 0x02, 0x04, 0x00], // '`'
    [0x20, 0x54, 0x54, 0x54, 0x78], // 'a'
    [0x7F, 0x48, 0x44, 0x44, 0x38], // 'b'
    [0x38, 0x44, 0x44, 0x44, 0x20], // 'c'
    [0x38, 0x44, 0x44, 0x48, 0x7F], // 'd'
    [0x38, 0x54, 0x54, 0x54, 0x18], // 'e'
    [0x08, 0x7E, 0x09, 0x01, 0x02], // 'f'
    [0x0C, 0x52, 0x52, 0x52, 0x3E], // 'g'
    [0x7F, 0x08, 0x04, 0x04, 0x78], // 'h'
    [0x00, 0x44, 0x7D, 0x40, 0x00], // 'i'
    [0x20, 0x40, 0x44, 0x3D, 0x00], // 'j'
    [0x7F, 0x10, 0x28, 0x44, 0x00], // 'k'
    [0x00, 0x41, 0x7F, 0x40, 0x00], // 'l'
    [0x7C, 0x04, 0x18, 0x04, 0x78], // 'm'
    [0x7C, 0x08, 0x04, 0x04, 0x78], // 'n'
    [0x38, 0x44, 0x44, 0x44, 0x38], // 'o'
    [0x7C, 0x14, 0x14, 0x14, 0x08], // 'p'
    [0x08, 0x14, 0x14, 0x18, 0x7C], // 'q'
    [0x7C, 0x08, 0x04, 0x04, 0x08], // 'r'
    [0x48, 0x54, 0x54, 0x54, 0x20], // 's'
    [0x04, 0x3F, 0x44, 0x40, 0x20], // 't'
    [0x3C, 0x40, 0x40, 0x20, 0x7C], // 'u'
    [0x1C, 0x20, 0x40, 0x20, 0x1C], // 'v'
    [0x3C, 0x40, 0x30, 0x40, 0x3C], // 'w'
    [0x44, 0x28, 0x10, 0x28, 0x44], // 'x'
    [0x0C, 0x50, 0x50, 0x50, 0x3C], // 'y'
    [0x44, 0x64, 0x54, 0x4C, 0x44], // 'z'
    [0x00, 0x08, 0x36, 0x41, 0x00], // '{'
    [0x00, 0x00, 0x7F, 0x00, 0x00], // '|'
    [0x00, 0x41, 0x36, 0x08, 0x00], // '}'
    [0x08, 0x04, 0x08, 0x10, 0x08], // '~'
];

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
    pub title: String,
    pub x_label: String,
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
    fn scene(&self) -> Vec<Shape> {
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
    fn legend(&self, shapes: &mut Vec<Shape>) {
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
struct Axes {
    x: (f64, f64),
    y: (f64, f64),
}

impl Axes {
    fn new(x: (f64, f64), y: (f64, f64)) -> Axes {
        Axes {
            x: usable(x),
            y: usable(y),
        }
    }

    /// Data value at fraction `f` of the x range.
    fn x_at(&self, f: f64) -> f64 {
        self.x.0 + f * (self.x.1 - self.x.0)
    }

    fn y_at(&self, f: f64) -> f64 {
        self.y.0 + f * (self.y.1 - self.y.0)
    }

    /// User-unit position of a data point, clamped into the plot area; `None` for NaN.
    fn map(&self, (x, y): (f64, f64)) -> Option<(f64, f64)> {
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
    fn diagonal(&self) -> Option<[(f64, f64); 2]> {
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
fn usable((lo, hi): (f64, f64)) -> (f64, f64) {
    if lo.is_finite() && hi.is_finite() && lo != hi {
        (lo, hi)
    } else if lo.is_finite() {
        (lo - 0.5, lo + 0.5)
    } else {
        (0.0, 1.0)
    }
}

/// Where `v` (clamped into the range) lies in `range`, 0 at its start and 1 at its end.
fn fraction(v: f64, (lo, hi): (f64, f64)) -> f64 {
    let f = (v.clamp(lo.min(hi), lo.max(hi)) - lo) / (hi - lo);
    if f.is_finite() {
        f.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// `x` with at most two decimals and no trailing zeros: tick labels and SVG coordinates.
fn tick(x: f64) -> String {
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

/// A number in SVG output.
fn num(x: f64) -> String {
    tick(x)
}

fn hex(c: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// XML text and attribute escaping.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// Control characters (line breaks, tabs: XML 1.0 does not allow most of them, and one line
/// of text cannot show them) as spaces.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// What the raster font draws for `c`: itself for printable ASCII, else a close ASCII
/// replacement, else `?`.
fn fallback(c: char) -> &'static str {
    match c {
        '\u{2010}'..='\u{2015}' | '\u{2212}' => "-",
        '\u{00d7}' => "x",
        '\u{03c0}' => "p",
        '\u{03b1}' => "a",
        '\u{03b2}' => "b",
        '\u{00b5}' | '\u{03bc}' => "u",
        '\u{00b0}' => "o",
        '\u{00b1}' => "+-",
        '\u{2264}' => "<=",
        '\u{2265}' => ">=",
        '\u{2260}' => "!=",
        '\u{2248}' => "~",
        '\u{2026}' => "...",
        '\u{00b7}' => ".",
        '\u{2022}' => "*",
        '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{2032}' | '\u{00b4}' => "'",
        '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{2033}' | '\u{00ab}' | '\u{00bb}' => "\"",
        '\u{00e0}'..='\u{00e5}' => "a",
        '\u{00c0}'..='\u{00c5}' => "A",
        '\u{00e6}' => "ae",
        '\u{00c6}' => "AE",
        '\u{00e7}' => "c",
        '\u{00c7}' => "C",
        '\u{00e8}'..='\u{00eb}' => "e",
        '\u{00c8}'..='\u{00cb}' => "E",
        '\u{00ec}'..='\u{00ef}' => "i",
        '\u{00cc}'..='\u{00cf}' => "I",
        '\u{00f1}' => "n",
        '\u{00d1}' => "N",
        '\u{00f2}'..='\u{00f6}' | '\u{00f8}' => "o",
        '\u{00d2}'..='\u{00d6}' | '\u{00d8}' => "O",
        '\u{00f9}'..='\u{00fc}' => "u",
        '\u{00d9}'..='\u{00dc}' => "U",
        '\u{00fd}' | '\u{00ff}' => "y",
        '\u{00dd}' => "Y",
        '\u{00df}' => "ss",
        _ if c.is_whitespace() || c.is_control() => " ",
        _ => "?",
    }
}

/// `text` in the raster font's characters (printable ASCII only).
fn raster_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if (char::from(FIRST_GLYPH)..=char::from(LAST_GLYPH)).contains(&c) {
            out.push(c);
        } else {
            out.push_str(fallback(c));
        }
    }
    out
}

/// Width in user units of `n` characters of the raster font (no gap after the last).
fn chars_width(n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        n as f64 * CHAR_W - TEXT_SCALE as f64
    }
}

/// Width in user units of `text` as the raster font draws it.
fn text_width(text: &str) -> f64 {
    chars_width(raster_text(text).len())
}

/// `text` (control characters as spaces) cut so that it is at most `max_width` user units wide
/// in the raster font, ending in [`ELLIPSIS`] when cut.
fn fit(text: &str, max_width: f64) -> String {
    let text = clean(text);
    if text_width(&text) <= max_width {
        return text;
    }
    let budget = ((max_width + TEXT_SCALE as f64) / CHAR_W).floor() as usize;
    let budget = budget.saturating_sub(ELLIPSIS.len());
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let n = raster_text(c.encode_utf8(&mut [0; 4])).len();
        if used + n > budget {
            break;
        }
        used += n;
        out.push(c);
    }
    out.push_str(ELLIPSIS);
    out
}

/// A horizontal text shape for `text` at `top`, `x` being its left edge, centre or right edge
/// by `anchor`; fitted to the canvas width and moved inside the canvas.
fn label(text: &str, x: f64, top: f64, anchor: Anchor) -> Shape {
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
enum Anchor {
    Start,
    Middle,
    End,
}

/// What a plot is made of, in user units.
#[derive(Clone, Debug, PartialEq)]
enum Shape {
    /// A filled axis-aligned rectangle.
    Rect {
        x0: f64,
        y0: f64,
        x1: f64,
        y1: f64,
        colour: [u8; 3],
    },
    /// A rectangle's outline, the stroke centred on its edges.
    Outline {
        x0: f64,
        y0: f64,
        x1: f64,
        y1: f64,
        width: f64,
        colour: [u8; 3],
    },
    /// An open line through `points` with round caps and joins; `series` marks a data series
    /// (an SVG `<polyline>`; other lines are two-point `<line>`s).
    Line {
        points: Vec<(f64, f64)>,
        width: f64,
        colour: [u8; 3],
        dash: Option<(f64, f64)>,
        series: bool,
    },
    Circle {
        cx: f64,
        cy: f64,
        r: f64,
        colour: [u8; 3],
    },
    /// Text whose bitmap-font box is `width` × [`TEXT_H`] with its top-left corner at (`left`,
    /// `top`); rotated text reads bottom to top and its box is [`TEXT_H`] × `width`.
    Text {
        left: f64,
        top: f64,
        width: f64,
        text: String,
        anchor: Anchor,
        rotated: bool,
    },
}

impl Shape {
    fn write_svg(&self, svg: &mut String) {
        match self {
            Shape::Rect {
                x0,
                y0,
                x1,
                y1,
                colour,
            } => {
                let _ = writeln!(
                    svg,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>",
                    num(*x0),
                    num(*y0),
                    num(x1 - x0),
                    num(y1 - y0),
                    hex(*colour)
                );
            }
            Shape::Outline {
                x0,
                y0,
                x1,
                y1,
                width,
                colour,
            } => {
                let _ = writeln!(
                    svg,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" \
                     stroke=\"{}\" stroke-width=\"{}\"/>",
                    num(*x0),
                    num(*y0),
                    num(x1 - x0),
                    num(y1 - y0),
                    hex(*colour),
                    num(*width)
                );
            }
            Shape::Line {
                points,
                width,
                colour,
                dash,
                series,
            } => {
                let style = format!(
                    "fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" stroke-linecap=\"round\" \
                     stroke-linejoin=\"round\"{}",
                    hex(*colour),
                    num(*width),
                    match dash {
                        Some((on, off)) =>
                            format!(" stroke-dasharray=\"{} {}\"", num(*on), num(*off)),
                        None => String::new(),
                    }
                );
                match (series, points.as_slice()) {
                    (false, [(x1, y1), (x2, y2)]) => {
                        let _ = writeln!(
                            svg,
                            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" {style}/>",
                            num(*x1),
                            num(*y1),
                            num(*x2),
                            num(*y2)
                        );
                    }
                    _ => {
                        let coords: Vec<String> = points
                            .iter()
                            .map(|(x, y)| format!("{},{}", num(*x), num(*y)))
                            .collect();
                        let class = if *series { " class=\"series\"" } else { "" };
                        let _ = writeln!(
                            svg,
                            "<polyline{class} points=\"{}\" {style}/>",
                            coords.join(" ")
                        );
                    }
                }
            }
            Shape::Circle { cx, cy, r, colour } => {
                let _ = writeln!(
                    svg,
                    "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\"/>",
                    num(*cx),
                    num(*cy),
                    num(*r),
                    hex(*colour)
                );
            }
            Shape::Text {
                left,
                top,
                width,
                text,
                anchor,
                rotated,
            } => {
                if text.is_empty() {
                    return;
                }
                let body = escape(text);
                let fill = hex(INK);
                if *rotated {
                    // Baseline at the box's right edge, centred along its height.
                    let _ = writeln!(
                        svg,
                        "<text transform=\"translate({} {}) rotate(-90)\" \
                         text-anchor=\"middle\" fill=\"{fill}\">{body}</text>",
                        num(left + TEXT_H),
                        num(top + width / 2.0)
                    );
                } else {
                    let (x, name) = match anchor {
                        Anchor::Start => (*left, "start"),
                        Anchor::Middle => (left + width / 2.0, "middle"),
                        Anchor::End => (left + width, "end"),
                    };
                    let _ = writeln!(
                        svg,
                        "<text x=\"{}\" y=\"{}\" text-anchor=\"{name}\" fill=\"{fill}\">{body}</text>",
                        num(x),
                        num(top + TEXT_H)
                    );
                }
            }
        }
    }
}

/// The glyph of a printable ASCII byte (`?` for any other).
fn glyph(b: u8) -> &'static [u8; GLYPH_COLS] {
    let i = if (FIRST_GLYPH..=LAST_GLYPH).contains(&b) {
        b - FIRST_GLYPH
    } else {
        b'?' - FIRST_GLYPH
    };
    &FONT[usize::from(i)]
}

/// `text` in the raster font with each font pixel `px` × `px` raster pixels: `(width, height,
/// ink)`, ink row-major.
fn text_mask(text: &str, px: usize) -> (usize, usize, Vec<bool>) {
    let chars = raster_text(text);
    let n = chars.len();
    let width = if n == 0 {
        0
    } else {
        (n * GLYPH_ADVANCE - (GLYPH_ADVANCE - GLYPH_COLS)) * px
    };
    let height = GLYPH_ROWS * px;
    let mut ink = vec![false; width * height];
    for (i, b) in chars.bytes().enumerate() {
        for (col, bits) in glyph(b).iter().enumerate() {
            for row in (0..GLYPH_ROWS).filter(|r| bits >> r & 1 == 1) {
                let x0 = (i * GLYPH_ADVANCE + col) * px;
                for y in row * px..(row + 1) * px {
                    ink[y * width + x0..y * width + x0 + px].fill(true);
                }
            }
        }
    }
    (width, height, ink)
}

/// Distance from `p` to the segment `a`–`b`.
fn segment_distance(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
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
fn dash_segments(points: &[(f64, f64)], on: f64, off: f64) -> Vec<((f64, f64), (f64, f64))> {
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
fn pixel_span(from: f64, to: f64, n: usize) -> Option<(usize, usize)> {
    let lo = from.floor().max(0.0);
    let hi = to.ceil().min(n as f64);
    (lo < hi).then_some((lo as usize, hi as usize))
}

/// The raster being drawn: linear RGB values 0..=255 as `f32` (so that many partial blends do
/// not accumulate rounding), and a coverage mask for lines, so that a polyline's overlapping
/// segments and round joins are blended once rather than darkening where they overlap.
struct Raster {
    width: usize,
    height: usize,
    scale: usize,
    rgb: Vec<f32>,
    mask: Vec<f32>,
}

impl Raster {
    fn new(scale: usize) -> Raster {
        let (width, height) = (WIDTH * scale, HEIGHT * scale);
        Raster {
            width,
            height,
            scale,
            rgb: vec![255.0; width * height * 3],
            mask: vec![0.0; width * height],
        }
    }

    fn draw(&mut self, shape: &Shape) {
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
    fn blend(&mut self, i: usize, colour: [u8; 3], a: f32) {
        for (v, c) in self.rgb[3 * i..3 * i + 3].iter_mut().zip(colour) {
            *v += (f32::from(c) - *v) * a;
        }
    }

    /// A filled rectangle (corners in user units), edges anti-aliased by the covered area.
    fn fill_rect(&mut self, (x0, y0): (f64, f64), (x1, y1): (f64, f64), colour: [u8; 3]) {
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
    fn stroke(
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
    fn circle(&mut self, (cx, cy): (f64, f64), r: f64, colour: [u8; 3]) {
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
    fn text(&mut self, (left, top): (f64, f64), text: &str, colour: [u8; 3], rotated: bool) {
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

    fn into_rgb(self) -> Vec<u8> {
        self.rgb
            .into_iter()
            .map(|v| v.round().clamp(0.0, 255.0) as u8)
            .collect()
    }
}

#[cfg(test)]
mod tests {
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
