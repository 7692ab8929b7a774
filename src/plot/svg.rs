//! SVG serialisation of the shapes (SVG 1.1: `polyline`, `line`, `rect`, `circle`, `text`),
//! with XML escaping; the same plot always gives the same bytes.

use std::fmt::Write as _;

use super::font::*;
use super::scene::*;

/// SVG text size: a monospace font's advance is about 0.6 em, 12 units at 20, the advance of
/// the raster's bitmap font (6 font pixels at 2 units each), and its cap height (about 0.72 em)
/// is close to the bitmap font's 14-unit line (7 rows at 2 units).
pub const SVG_FONT_SIZE: f64 = 20.0;
/// SVG font list: common monospace fonts (the advance of each is 0.6 em), then the generic
/// family, so any viewer finds one whose widths match the layout.
pub(super) const SVG_FONT_FAMILY: &str = "'DejaVu Sans Mono', Menlo, Consolas, monospace";

/// A number in SVG output.
pub(super) fn num(x: f64) -> String {
    tick(x)
}

/// An sRGB colour as an SVG `#rrggbb` colour value.
pub(super) fn hex(c: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// XML text and attribute escaping.
pub(super) fn escape(s: &str) -> String {
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

impl Shape {
    /// Appends this shape as one SVG 1.1 element and a line break: `rect` (9.2), `circle`
    /// (9.3), `line` (9.5), `polyline` (9.6) or `text` (10.4); empty text writes nothing.
    pub(super) fn write_svg(&self, svg: &mut String) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::fixtures::roc;
    use crate::plot::PALETTE;

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
}
