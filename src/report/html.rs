//! `report.html`: one self-contained page (inline CSS, SVG charts and base64 PNG images, no
//! scripts, no network), so that it opens offline and can be archived with the results.

use std::fmt::Write as _;

use super::{base64, percentile, prevalence, Scored};
use crate::encode::png::{average_rgb, sample_rgb};

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;\
color:#222;background:#fff}h1{margin-bottom:.2em}h2{border-bottom:1px solid #ccc;\
padding-bottom:.2em;margin-top:1.6em}table{border-collapse:collapse;margin:.5em 0}\
td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;font-size:.9em}\
th{background:#f3f3f3}.banner{padding:.8em 1em;border-radius:6px;margin:1em 0}\
.warn{background:#fff3cd;border:1px solid #e0c060}.info{background:#e8f1fb;border:1px solid #8fb3dc}\
.grid{display:flex;flex-wrap:wrap;gap:10px}.cell{border:1px solid #eee;padding:4px;\
font-size:.8em}img.pix{image-rendering:pixelated;border:1px solid #999}.bad{color:#b00}";

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A small histogram of `values` over `[lo, hi]` as inline SVG, with an optional marker.
fn histogram(values: &[f64], lo: f64, hi: f64, marker: Option<f64>, colour: &str) -> String {
    const BINS: usize = 24;
    let (w, h) = (200.0, 60.0);
    let mut counts = [0usize; BINS];
    for &v in values.iter().filter(|v| v.is_finite()) {
        let b = (((v - lo) / (hi - lo)) * BINS as f64).floor();
        counts[(b.max(0.0) as usize).min(BINS - 1)] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{}\" role=\"img\">",
        h + 12.0
    );
    let bw = w / BINS as f64;
    for (b, &c) in counts.iter().enumerate() {
        let bh = h * c as f64 / top;
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{colour}\"/>",
            b as f64 * bw,
            h - bh,
            bw - 1.0
        );
    }
    if let Some(m) = marker.filter(|m| (lo..=hi).contains(m)) {
        let x = (m - lo) / (hi - lo) * w;
        let _ = write!(
            svg,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"0\" y2=\"{h}\" stroke=\"#c00\" stroke-width=\"2\"/>"
        );
    }
    let _ = write!(
        svg,
        "<text x=\"0\" y=\"{}\" font-size=\"10\">{}</text><text x=\"{w}\" y=\"{}\" font-size=\"10\" \
         text-anchor=\"end\">{}</text></svg>",
        h + 11.0,
        short(lo),
        h + 11.0,
        short(hi)
    );
    svg
}

fn short(x: f64) -> String {
    if x.abs() >= 0.1 || x == 0.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.3}")
    }
}

/// Horizontal bars of `(label, value)` on a common scale, as inline SVG.
fn bars(rows: &[(String, f64, String)], max: f64) -> String {
    let row_h = 16.0;
    let (label_w, bar_w) = (190.0, 320.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\">",
        label_w + bar_w + 90.0,
        row_h * rows.len() as f64 + 4.0
    );
    for (i, (label, value, text)) in rows.iter().enumerate() {
        let y = i as f64 * row_h;
        let len = (value / max.max(1e-12)).clamp(0.0, 1.0) * bar_w;
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{:.1}\" font-size=\"11\">{}</text><rect x=\"{label_w}\" y=\"{:.1}\" \
             width=\"{len:.1}\" height=\"{:.1}\" fill=\"#4a7fb5\"/><text x=\"{:.1}\" y=\"{:.1}\" \
             font-size=\"11\">{}</text>",
            y + 12.0,
            escape(label),
            y + 2.0,
            row_h - 4.0,
            label_w + len + 4.0,
            y + 12.0,
            escape(text)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn png_img(png: std::io::Result<Vec<u8>>, alt: &str) -> String {
    match png {
        Ok(bytes) => format!(
            "<img class=\"pix\" alt=\"{}\" src=\"data:image/png;base64,{}\"/>",
            escape(alt),
            base64(&bytes)
        ),
        Err(e) => format!("<p class=\"bad\">image could not be encoded: {e}</p>"),
    }
}

/// The score column shown per trait: the least stringent threshold (most variants).
fn primary_column(scored: &Scored, t: usize) -> usize {
    let channels = scored.scores.channels.len();
    t * channels + channels - 1
}

/// The whole page.
pub fn render(scored: &Scored) -> String {
    let s = &scored.scores;
    let n = s.n_samples();
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>medgem-prs report</title>\
         <style>{STYLE}</style></head><body><h1>medgem-prs report</h1><p>{} samples from <code>{}</code> ({}), \
         medgem-prs {}</p>",
        n,
        escape(&scored.genotypes),
        escape(&scored.genotype_format),
        env!("CARGO_PKG_VERSION")
    );
    if scored.synthetic_default {
        page.push_str(
            "<div class=\"banner warn\"><b>Built-in default, trained on synthetic data.</b> The \
             panel and model were derived from a simulated biobank (<code>medgem-prs simulate</code>). \
             These numbers mean nothing for real people. Not for clinical use.</div>",
        );
    }
    match &scored.model {
        None => page.push_str(
            "<div class=\"banner info\"><b>Linear scores only.</b> No model was given, so this \
             report shows the panel's linear polygenic scores, with z-scores and percentiles \
             against this cohort itself. There are no risk predictions.</div>",
        ),
        Some(m) if !m.covariates => page.push_str(
            "<div class=\"banner info\">No covariates were given (<code>--covariates</code>): \
             age, sex and BMI were treated as missing, through the model's missing-value path.</div>",
        ),
        Some(_) => {}
    }

    // Inputs.
    page.push_str("<h2>Inputs</h2><table>");
    let mut row = |k: &str, v: String| {
        let _ = write!(page, "<tr><th>{k}</th><td>{v}</td></tr>");
    };
    row(
        "Panel",
        format!(
            "{} ({} traits × {} thresholds, {}), sha256 <code>{}</code>",
            escape(&scored.manifest.name),
            s.traits.len(),
            s.channels.len(),
            escape(&scored.manifest.genome_build),
            scored.panel_sha256
        ),
    );
    match &scored.model {
        Some(m) => {
            row(
                "Model",
                format!(
                    "{} ({}); trained on: {}; mean validation AUC {:.3}",
                    escape(&m.config.name),
                    escape(&m.label),
                    escape(&m.config.training.data_description),
                    m.config.metrics.mean_validation_auc
                ),
            );
            row(
                "Covariates",
                if m.covariates {
                    "given".into()
                } else {
                    "missing (model's missing-value path)".into()
                },
            );
        }
        None => row("Model", "none (linear scores only)".into()),
    }
    row(
        "Reference for z and percentiles",
        format!(
            "{} ({} samples; percentiles under a normal approximation)",
            scored.reference.source, scored.reference.n_samples
        ),
    );
    page.push_str("</table>");

    // Match summary.
    let rows = super::match_rows(&s.summary);
    let failing = rows.iter().filter(|r| !r.4).count();
    let (total, matched) = rows.iter().fold((0, 0), |(t, m), r| (t + r.1, m + r.2));
    let _ = write!(
        page,
        "<h2>Variant matching</h2><p>{} scoring files; {matched} of {total} scoring rows matched \
         ({:.1}%); {failing} files below the minimum overlap.</p><details{}><summary>Per scoring file\
         </summary><table><tr><th>score</th><th>rows</th><th>matched</th><th>match rate</th><th>pass</th></tr>",
        rows.len(),
        100.0 * matched as f64 / total.max(1) as f64,
        if failing > 0 { " open" } else { "" }
    );
    for (score, total, matched, rate, pass) in &rows {
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{total}</td><td>{matched}</td><td>{:.1}%</td><td{}>{}</td></tr>",
            escape(score),
            100.0 * rate,
            if *pass { "" } else { " class=\"bad\"" },
            if *pass { "yes" } else { "no" }
        );
    }
    page.push_str("</table></details>");

    // Score distributions.
    let _ = write!(
        page,
        "<h2>Score distributions</h2><p>z-scores of each trait's score at the least stringent \
         threshold ({}), against the {} reference; the full table is <code>scores.tsv</code>.</p>\
         <div class=\"grid\">",
        escape(s.channels.last().map(String::as_str).unwrap_or("")),
        scored.reference.source
    );
    for (t, trait_id) in s.traits.iter().enumerate() {
        let k = primary_column(scored, t);
        let z: Vec<f64> = (0..n).map(|i| scored.reference.z(k, s.row(i)[k])).collect();
        let _ = write!(
            page,
            "<div class=\"cell\"><b>{}</b><br>{}</div>",
            escape(trait_id),
            histogram(&z, -4.0, 4.0, Some(0.0), "#6c8ebf")
        );
    }
    page.push_str("</div>");

    if let Some(m) = &scored.model {
        let outcomes = scored.outcomes();
        let k = outcomes.len();
        let _ = write!(
            page,
            "<h2>Risk distributions</h2><p>Predicted probability per outcome; the red line is the \
             reference prevalence (training split), where the outcome has one. Zero-shot outcomes \
             (never trained, queried from their anchor traits) are not calibrated.</p><div class=\"grid\">"
        );
        for (o, info) in outcomes.iter().enumerate() {
            let p: Vec<f64> = (0..n)
                .map(|i| f64::from(m.probabilities[i * k + o]))
                .collect();
            let hi = p.iter().copied().fold(0.0f64, f64::max).max(0.05);
            let _ = write!(
                page,
                "<div class=\"cell\"><b>{}</b> ({}){}<br>{}</div>",
                escape(&info.name),
                escape(&info.id),
                if info.trained { "" } else { ", zero-shot" },
                histogram(&p, 0.0, hi, prevalence(info), "#b5834a")
            );
        }
        page.push_str("</div>");

        let _ = write!(
            page,
            "<h2>Cohort-average genomic image</h2><p>Each 8×8 tile is one trait (row-major, in the \
             panel's tile order); the red, green and blue channels are the thresholds {}. Mid-grey \
             is the reference mean.</p>{}<details><summary>Tile order</summary><ol start=\"0\">",
            escape(&s.channels.join(", ")),
            png_img(average_rgb(&m.images, 6).to_png(), "cohort-average genomic image")
        );
        for t in &m.images.layout.tile_order {
            let _ = write!(page, "<li>{}</li>", escape(t));
        }
        page.push_str("</ol></details>");

        for id in &scored.show_samples {
            let Some(i) = s.sample_ids.iter().position(|x| x == id) else {
                continue;
            };
            let _ = write!(
                page,
                "<h2>Sample {}</h2>{}",
                escape(id),
                png_img(sample_rgb(&m.images, i, 6).to_png(), id)
            );
            let risk: Vec<(String, f64, String)> = outcomes
                .iter()
                .enumerate()
                .map(|(o, info)| {
                    let p = f64::from(m.probabilities[i * k + o]);
                    let rr = prevalence(info)
                        .map(|prev| format!(", RR {:.2}", p / prev))
                        .unwrap_or_default();
                    (info.id.clone(), p, format!("{p:.3}{rr}"))
                })
                .collect();
            let _ = write!(page, "<h3>Risk profile</h3>{}", bars(&risk, 1.0));
            sample_scores(&mut page, scored, i);
        }
    } else {
        for id in &scored.show_samples {
            if let Some(i) = s.sample_ids.iter().position(|x| x == id) {
                let _ = write!(page, "<h2>Sample {}</h2>", escape(id));
                sample_scores(&mut page, scored, i);
            }
        }
    }
    page.push_str(
        "<h2>About</h2><p>Linear scores are computed as plink2 <code>--score</code> computes them \
         (sum of effect weight × dosage over matched variants, mean imputation of missing calls). \
         The genomic image and transformer follow Med-Gemini-Polygenic (Yang et al. 2024, \
         arXiv 2405.03162). Machine-readable results: <code>scores.tsv</code> and \
         <code>report.json</code>.</p></body></html>\n",
    );
    page
}

fn sample_scores(page: &mut String, scored: &Scored, i: usize) {
    let s = &scored.scores;
    let _ = write!(
        page,
        "<h3>Trait scores</h3><table><tr><th>trait</th><th>score</th><th>z</th><th>percentile</th></tr>"
    );
    for (t, trait_id) in s.traits.iter().enumerate() {
        let k = primary_column(scored, t);
        let x = s.row(i)[k];
        let z = scored.reference.z(k, x);
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{x:.4}</td><td>{z:.2}</td><td>{:.1}</td></tr>",
            escape(trait_id),
            percentile(z)
        );
    }
    page.push_str("</table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn histogram_counts_every_value_once() {
        let svg = histogram(&[-10.0, 0.0, 0.1, 10.0], -1.0, 1.0, Some(0.0), "#000");
        assert_eq!(svg.matches("<rect").count(), 24);
        assert!(svg.contains("<line"), "marker drawn");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }
}
