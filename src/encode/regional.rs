//! The `regional` tile fill: a trait's score split into partial scores over genomic
//! segments (ARCHITECTURE.md, "The genomic image").
//!
//! The paper fills all 64 pixels of a trait's tile with one number, which throws away
//! where in the genome the score comes from. Here the variants of each scoring file
//! (one trait × threshold), sorted by genome position, are cut into [`SEGMENTS`]
//! contiguous segments of as near equal variant counts as possible, and pixel `k` holds
//! the partial score over segment `k`. The partial scores sum to the trait's score.
//!
//! The partial scores reuse plink2's `--score` arithmetic unchanged
//! ([`crate::score::compute`]): each scoring file becomes an in-memory file with 64 score
//! columns, where a row's weight sits in the column of its segment and the others are 0
//! (a one-hot weight vector). Matching, allele flips, mean imputation of missing calls and
//! dominant/recessive models are then exactly those of the whole score, and since
//! `compute` skips zero weights, the arithmetic costs about as much as the whole score's.

use std::cmp::Ordering;

use crate::panel::scorefile::{ScoreMeta, ScoreRow, ScoringFile};

/// Segments per trait and threshold: one per pixel of an 8×8 tile.
pub const SEGMENTS: usize = 64;

/// Separates a score's name from its segment number in segmented files (`cad_p5e-8_s12`).
const SEGMENT_SUFFIX: &str = "_s";

/// The segment of each row of `file` (by row index), in `0..segments`.
///
/// Rows are ordered by chromosome and position; rows at the same locus form one variant
/// and share a segment. Variant `g` of `n` goes to segment `g × segments / n`, so segments
/// are contiguous in the genome and hold ⌊n / segments⌋ or ⌈n / segments⌉ variants; with
/// fewer variants than segments, the variants spread over the tile and the other segments
/// stay empty. Rows without a position (matched by rsID alone) come last, each its own
/// variant, in file order.
pub fn row_segments(file: &ScoringFile, segments: usize) -> Vec<usize> {
    assert!(segments > 0, "at least one segment");
    let rows = &file.rows;
    let mut order: Vec<usize> = (0..rows.len()).collect();
    // Stable: rows at one locus keep their file order.
    order.sort_by(|&a, &b| match (rows[a].locus(), rows[b].locus()) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(&b),
    });
    let same_locus =
        |a: &ScoreRow, b: &ScoreRow| matches!((a.locus(), b.locus()), (Some(x), Some(y)) if x == y);
    let mut variant = Vec::with_capacity(order.len());
    let mut g = 0usize;
    for (j, &r) in order.iter().enumerate() {
        if j > 0 && !same_locus(&rows[order[j - 1]], &rows[r]) {
            g += 1;
        }
        variant.push(g);
    }
    let n_variants = g + 1;
    let mut segment = vec![0; rows.len()];
    for (&r, &v) in order.iter().zip(&variant) {
        segment[r] = v * segments / n_variants;
    }
    segment
}

/// A copy of a one-score file with `segments` scores: row `r`'s weight moves to the
/// column of its segment ([`row_segments`]), every other column is 0. Score `k` is named
/// `<name>_s<k>`. Skipped rows are kept, so match accounting is that of the original.
///
/// # Panics
/// If `file` does not hold exactly one score.
pub fn segmented_file(file: &ScoringFile, segments: usize) -> ScoringFile {
    assert_eq!(file.scores.len(), 1, "segmented_file takes one-score files");
    let meta = &file.scores[0];
    let scores: Vec<ScoreMeta> = (0..segments)
        .map(|k| ScoreMeta {
            name: format!("{}{SEGMENT_SUFFIX}{k}", meta.name),
            ..meta.clone()
        })
        .collect();
    let rows = file
        .rows
        .iter()
        .zip(row_segments(file, segments))
        .map(|(row, s)| {
            let mut weights = vec![0.0; segments];
            weights[s] = row.weights[0];
            ScoreRow {
                weights,
                ..row.clone()
            }
        })
        .collect();
    ScoringFile {
        path: file.path.clone(),
        kind: file.kind,
        scores,
        rows,
        skipped: file.skipped.clone(),
    }
}

/// The name of the score a segment score came from: `cad_p5e-8_s12` → `cad_p5e-8`.
pub fn original_name(name: &str) -> &str {
    match name.rsplit_once(SEGMENT_SUFFIX) {
        Some((base, k)) if !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genome::Chrom;
    use crate::panel::scorefile::{EffectType, ScoringFileKind};
    use std::path::PathBuf;

    fn row(line: u64, chrom: Option<&str>, pos: Option<u64>, w: f64) -> ScoreRow {
        ScoreRow {
            line,
            id: Some(format!("rs{line}")),
            chrom: chrom.map(Chrom::parse),
            pos,
            effect_allele: "A".into(),
            other_allele: Some("G".into()),
            effect_type: EffectType::Additive,
            weights: vec![w],
        }
    }

    fn file(rows: Vec<ScoreRow>) -> ScoringFile {
        ScoringFile {
            path: PathBuf::from("t.txt"),
            kind: ScoringFileKind::Custom,
            scores: vec![ScoreMeta {
                name: "t_p1e-3".into(),
                ..Default::default()
            }],
            rows,
            skipped: Vec::new(),
        }
    }

    #[test]
    fn segments_are_contiguous_and_balanced() {
        // 200 variants on two chromosomes, written out of order.
        let rows: Vec<ScoreRow> = (0..200u64)
            .rev()
            .map(|i| {
                let chrom = if i < 120 { "2" } else { "10" };
                row(i, Some(chrom), Some(1000 + i * 7), 1.0)
            })
            .collect();
        let f = file(rows);
        let seg = row_segments(&f, SEGMENTS);
        let mut counts = [0usize; SEGMENTS];
        for &s in &seg {
            counts[s] += 1;
        }
        // 200 / 64 = 3.125: every segment holds 3 or 4 variants.
        assert!(counts.iter().all(|&c| c == 3 || c == 4), "{counts:?}");
        assert_eq!(counts.iter().sum::<usize>(), 200);
        // Genome order: chromosome 2 before 10, positions ascending, segments ascending.
        let mut by_locus: Vec<(Chrom, u64, usize)> = f
            .rows
            .iter()
            .zip(&seg)
            .map(|(r, &s)| (r.chrom.clone().unwrap(), r.pos.unwrap(), s))
            .collect();
        by_locus.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        assert_eq!(by_locus[0].0, Chrom::parse("2"));
        assert!(by_locus.windows(2).all(|w| w[0].2 <= w[1].2));
        assert_eq!(by_locus[0].2, 0);
        assert_eq!(by_locus[199].2, SEGMENTS - 1);
    }

    #[test]
    fn rows_at_one_locus_share_a_segment_and_unplaced_rows_come_last() {
        let mut rows = vec![
            row(1, None, None, 1.0),
            row(2, Some("1"), Some(500), 1.0),
            row(3, Some("1"), Some(100), 1.0),
            row(4, Some("1"), Some(100), 2.0),
        ];
        rows[3].effect_allele = "T".into();
        let seg = row_segments(&file(rows), 4);
        // Variants: 1:100 (two rows), 1:500, then the unplaced row: 3 variants over 4
        // segments at 0, 4/3, 8/3.
        assert_eq!(seg, vec![2, 1, 0, 0]);
    }

    #[test]
    fn few_variants_spread_over_the_tile() {
        let f = file(
            (0..3)
                .map(|i| row(i, Some("1"), Some(10 * i + 1), 1.0))
                .collect(),
        );
        assert_eq!(row_segments(&f, SEGMENTS), vec![0, 21, 42]);
        let f = file(vec![row(1, Some("1"), Some(5), 1.0)]);
        assert_eq!(row_segments(&f, SEGMENTS), vec![0]);
    }

    #[test]
    fn segmented_file_is_one_hot_and_named() {
        let f = file(
            (0..130)
                .map(|i| row(i, Some("3"), Some(i + 1), 0.5 + i as f64))
                .collect(),
        );
        let s = segmented_file(&f, SEGMENTS);
        assert_eq!(s.scores.len(), SEGMENTS);
        assert_eq!(s.scores[0].name, "t_p1e-3_s0");
        assert_eq!(s.scores[63].name, "t_p1e-3_s63");
        let seg = row_segments(&f, SEGMENTS);
        for ((orig, new), &k) in f.rows.iter().zip(&s.rows).zip(&seg) {
            assert_eq!(new.weights.len(), SEGMENTS);
            assert_eq!(new.weights[k], orig.weights[0]);
            assert_eq!(new.weights.iter().filter(|&&w| w != 0.0).count(), 1);
            assert_eq!(
                (new.line, &new.chrom, new.pos),
                (orig.line, &orig.chrom, orig.pos)
            );
        }
        assert_eq!(original_name(&s.scores[17].name), "t_p1e-3");
        assert_eq!(original_name("x_s"), "x_s");
        assert_eq!(original_name("a_sb"), "a_sb");
    }
}
