//! The embedded 5 × 7 bitmap font (printable ASCII), text measurement and fitting, and the
//! ASCII fallbacks of characters it lacks. The SVG names a monospace font with the same
//! advance, so layouts computed here fit both pictures.

/// Columns of a glyph, one byte each in [`FONT`]. The bitmap font has 5 × 7 glyphs on a
/// 6-column advance (one blank column between letters).
pub(super) const GLYPH_COLS: usize = 5;
/// Rows of a glyph: bits 0 (top) to 6 of each column byte.
pub(super) const GLYPH_ROWS: usize = 7;
/// Font pixels from one character's left edge to the next's.
pub(super) const GLYPH_ADVANCE: usize = 6;
/// User units per font pixel: a 5 × 7 glyph at 1 unit per pixel is too small to read on a
/// 560-unit canvas, at 2 it is the size of ordinary 10-point text in a report.
pub(super) const TEXT_SCALE: usize = 2;
/// Height of a line of text, in user units.
pub(super) const TEXT_H: f64 = (GLYPH_ROWS * TEXT_SCALE) as f64;
/// Advance of one character (its width plus the gap to the next), in user units.
pub(super) const CHAR_W: f64 = (GLYPH_ADVANCE * TEXT_SCALE) as f64;

/// What a truncated text ends with.
pub(super) const ELLIPSIS: &str = "...";

/// The first glyph in [`FONT`] is ASCII 32 (space), the last 126 (`~`).
pub(super) const FIRST_GLYPH: u8 = b' ';
/// The last glyph in [`FONT`], ASCII 126 (`~`).
pub(super) const LAST_GLYPH: u8 = b'~';

/// The classic 5 × 7 glyphs of printable ASCII (32..=126), one byte per column from left to
/// right, bit 0 the top row.
#[rustfmt::skip]
pub(super) const FONT: [[u8; GLYPH_COLS]; (LAST_GLYPH - FIRST_GLYPH + 1) as usize] = [
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

/// Control characters (line breaks, tabs: XML 1.0 does not allow most of them, and one line
/// of text cannot show them) as spaces.
pub(super) fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// What the raster font draws for `c`: itself for printable ASCII, else a close ASCII
/// replacement, else `?`.
pub(super) fn fallback(c: char) -> &'static str {
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
pub(super) fn raster_text(text: &str) -> String {
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
pub(super) fn chars_width(n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        n as f64 * CHAR_W - TEXT_SCALE as f64
    }
}

/// Width in user units of `text` as the raster font draws it.
pub(super) fn text_width(text: &str) -> f64 {
    chars_width(raster_text(text).len())
}

/// `text` (control characters as spaces) cut so that it is at most `max_width` user units wide
/// in the raster font, ending in [`ELLIPSIS`] when cut.
pub(super) fn fit(text: &str, max_width: f64) -> String {
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

/// The glyph of a printable ASCII byte (`?` for any other).
pub(super) fn glyph(b: u8) -> &'static [u8; GLYPH_COLS] {
    let i = if (FIRST_GLYPH..=LAST_GLYPH).contains(&b) {
        b - FIRST_GLYPH
    } else {
        b'?' - FIRST_GLYPH
    };
    &FONT[usize::from(i)]
}

/// `text` in the raster font with each font pixel `px` × `px` raster pixels: `(width, height,
/// ink)`, ink row-major.
pub(super) fn text_mask(text: &str, px: usize) -> (usize, usize, Vec<bool>) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_glyph_differs_and_fits_in_seven_rows() {
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
}
