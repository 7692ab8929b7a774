//! SVG serialisation of the shapes (SVG 1.1: `polyline`, `line`, `rect`, `circle`, `text`),
//! with XML escaping; the same plot always gives the same bytes.

use std::fmt::Write as _;

use super::font::*;
use super::scene::*;

/// SVG text size: a monospace font's advance is about 0.6 em, 12 units at 20 = [`CHAR_W`], and
/// its cap height (about 0.72 em) is close to [`TEXT_H`].
pub const SVG_FONT_SIZE: f64 = 20.0;
pub(super) const SVG_FONT_FAMILY: &str = "'DejaVu Sans Mono', Menlo, Consolas, monospace";

/// A number in SVG output.
pub(super) fn num(x: f64) -> String {
    tick(x)
}

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
