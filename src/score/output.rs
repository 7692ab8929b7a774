//! The files `prs` writes, and `merge` reads back: plink2-style `.sscore` and
//! `.sscore.vars`, the match log and the per-score summary.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

use crate::panel::matching::{Candidate, MatchStatus, RowRef};
use crate::panel::scorefile::{EffectType, ScoringFile};
use crate::score::{ScoreResult, ScoreSummary};
use crate::util::{fmt_f64, with_suffix, OutputSet};

/// One sample's line of a `.sscore` file.
#[derive(Clone, Debug, PartialEq)]
pub struct SscoreRow {
    /// Family ID (`#FID` column), when the table has one.
    pub fid: Option<String>,
    /// Individual ID (`IID`), the sample ID of the genotype file or its part after `--id-delim`.
    pub iid: String,
    /// plink2 `ALLELE_CT`: alleles observed over the variants used.
    pub allele_ct: u32,
    /// plink2 `DENOM`: alleles over the variants used, observed or missing; the divisor of
    /// the `_AVG` columns.
    pub denom: u32,
    /// plink2 `NAMED_ALLELE_DOSAGE_SUM`: summed dosage of the scored alleles over observed
    /// calls.
    pub named_allele_dosage_sum: f64,
    /// One per score; averages are `sum / denom`.
    pub sums: Vec<f64>,
}

/// A plink2-style score table: `#[FID] IID ALLELE_CT DENOM NAMED_ALLELE_DOSAGE_SUM`, then
/// `<SCORE>_AVG` for every score, then `<SCORE>_SUM` for every score (plink2's column order
/// with `cols=+scoresums,+denom`).
#[derive(Clone, Debug, PartialEq)]
pub struct Sscore {
    /// True when the table starts with `#FID IID` rather than `#IID`.
    pub has_fid: bool,
    /// Score names, in column order (the `<SCORE>` of `<SCORE>_AVG` and `<SCORE>_SUM`).
    pub score_names: Vec<String>,
    /// One row per sample, in file order (genotype-file order when built from a run).
    pub rows: Vec<SscoreRow>,
}

/// Errors reading or merging `.sscore` files and their companions.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] crate::util::PathIoError),
    /// A `.sscore`, `.sscore.vars` or summary line does not have the expected columns or
    /// values.
    #[error("{path}: line {line}: {message}")]
    Malformed {
        /// File being read.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong with the line.
        message: String,
    },
    /// The shards cannot be merged: none given, different score names or FID layout, or two
    /// shards sharing a sample that also share a variant (a shard given twice).
    #[error("cannot merge: {0}")]
    Merge(String),
}

fn io_err(path: &Path) -> impl Fn(io::Error) -> OutputError + '_ {
    move |source| {
        OutputError::Io(crate::util::PathIoError {
            path: path.to_path_buf(),
            source,
        })
    }
}

impl Sscore {
    /// Builds the table from a scoring run. With `id_delim`, sample IDs written `FID<d>IID`
    /// (as plink2 `--export vcf` writes them) are split back into FID and IID columns.
    pub fn from_result(result: &ScoreResult, id_delim: Option<char>) -> Sscore {
        let k = result.n_scores();
        let rows = result
            .sample_ids
            .iter()
            .enumerate()
            .map(|(s, id)| {
                let (fid, iid) = match id_delim.and_then(|d| id.split_once(d)) {
                    Some((f, i)) => (Some(f.to_string()), i.to_string()),
                    None if id_delim.is_some() => (Some(id.clone()), id.clone()),
                    None => (None, id.clone()),
                };
                SscoreRow {
                    fid,
                    iid,
                    allele_ct: result.allele_ct[s],
                    denom: result.denom[s],
                    named_allele_dosage_sum: result.named_allele_dosage_sum[s],
                    sums: result.sums[s * k..(s + 1) * k].to_vec(),
                }
            })
            .collect();
        Sscore {
            has_fid: id_delim.is_some(),
            score_names: result.score_names.clone(),
            rows,
        }
    }

    /// Writes the table as a tab-separated `.sscore`: the header, then per sample the ID
    /// columns, `ALLELE_CT`, `DENOM`, `NAMED_ALLELE_DOSAGE_SUM`, every `<SCORE>_AVG`
    /// (`SUM / DENOM`) and every `<SCORE>_SUM`, with round-trip float formatting.
    pub fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        let mut header = String::from(if self.has_fid { "#FID\tIID" } else { "#IID" });
        header.push_str("\tALLELE_CT\tDENOM\tNAMED_ALLELE_DOSAGE_SUM");
        for n in &self.score_names {
            header.push_str(&format!("\t{n}_AVG"));
        }
        for n in &self.score_names {
            header.push_str(&format!("\t{n}_SUM"));
        }
        writeln!(w, "{header}")?;
        let mut line = String::new();
        for r in &self.rows {
            line.clear();
            if self.has_fid {
                line.push_str(r.fid.as_deref().unwrap_or(&r.iid));
                line.push('\t');
            }
            line.push_str(&r.iid);
            line.push_str(&format!(
                "\t{}\t{}\t{}",
                r.allele_ct,
                r.denom,
                fmt_f64(r.named_allele_dosage_sum)
            ));
            for s in &r.sums {
                line.push('\t');
                line.push_str(&fmt_f64(*s / f64::from(r.denom)));
            }
            for s in &r.sums {
                line.push('\t');
                line.push_str(&fmt_f64(*s));
            }
            writeln!(w, "{line}")?;
        }
        Ok(())
    }

    /// Reads a `.sscore` written by `prs` (or by plink2 with `cols=+scoresums,+denom`).
    pub fn read(path: &Path) -> Result<Sscore, OutputError> {
        let text = std::fs::read_to_string(path).map_err(io_err(path))?;
        let mut lines = text.lines();
        let header: Vec<&str> = lines
            .next()
            .ok_or_else(|| OutputError::Malformed {
                path: path.to_path_buf(),
                line: 1,
                message: "empty file (expected a .sscore header)".into(),
            })?
            .split('\t')
            .collect();
        let bad = |line: u64, message: String| OutputError::Malformed {
            path: path.to_path_buf(),
            line,
            message,
        };
        let has_fid = header.first() == Some(&"#FID");
        let id_cols = if has_fid { 2 } else { 1 };
        let fixed = ["ALLELE_CT", "DENOM", "NAMED_ALLELE_DOSAGE_SUM"];
        if header.len() < id_cols + 3 || header[id_cols..id_cols + 3] != fixed {
            return Err(bad(
                1,
                format!(
                    "expected columns #[FID] IID {} then <SCORE>_AVG and <SCORE>_SUM columns",
                    fixed.join(" ")
                ),
            ));
        }
        let score_cols = &header[id_cols + 3..];
        let sum_names: Vec<String> = score_cols
            .iter()
            .filter_map(|c| c.strip_suffix("_SUM").map(|s| s.to_string()))
            .collect();
        let sum_index: Vec<usize> = score_cols
            .iter()
            .enumerate()
            .filter(|(_, c)| c.ends_with("_SUM"))
            .map(|(i, _)| id_cols + 3 + i)
            .collect();
        if sum_names.is_empty() {
            return Err(bad(
                1,
                "no <SCORE>_SUM columns (write them with prs, or plink2 cols=+scoresums)".into(),
            ));
        }
        let mut rows = Vec::new();
        for (i, line) in lines.enumerate() {
            let line_no = i as u64 + 2;
            if line.is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() != header.len() {
                return Err(bad(
                    line_no,
                    format!("expected {} columns, found {}", header.len(), f.len()),
                ));
            }
            let num = |j: usize| -> Result<f64, OutputError> {
                f[j].parse::<f64>().map_err(|_| {
                    bad(
                        line_no,
                        format!("column {} '{}' is not a number", header[j], f[j]),
                    )
                })
            };
            let int = |j: usize| -> Result<u32, OutputError> {
                f[j].parse::<u32>().map_err(|_| {
                    bad(
                        line_no,
                        format!("column {} '{}' is not a count", header[j], f[j]),
                    )
                })
            };
            rows.push(SscoreRow {
                fid: has_fid.then(|| f[0].to_string()),
                iid: f[id_cols - 1].to_string(),
                allele_ct: int(id_cols)?,
                denom: int(id_cols + 1)?,
                named_allele_dosage_sum: num(id_cols + 2)?,
                sums: sum_index
                    .iter()
                    .map(|&j| num(j))
                    .collect::<Result<_, _>>()?,
            });
        }
        Ok(Sscore {
            has_fid,
            score_names: sum_names,
            rows,
        })
    }
}

/// The summary table's header.
const SUMMARY_HEADER: &str = "score\tfile\tgenome_build\tn_rows\tn_matched\tn_unmatched\tn_excluded_ambiguous\tn_excluded_multiallelic\tn_excluded_strand_flip\tn_excluded_duplicate\tn_not_scorable\tmatch_rate\tpass";

/// Writes `PREFIX.summary.tsv`: one row per score, with `match_rate` to 6 decimals
/// (`NA` when the score had no in-scope rows).
pub fn write_summary(w: &mut dyn Write, summary: &[ScoreSummary]) -> io::Result<()> {
    writeln!(w, "{SUMMARY_HEADER}")?;
    for s in summary {
        writeln!(
            w,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            s.score,
            s.file,
            s.genome_build,
            s.n_rows,
            s.n_matched,
            s.n_unmatched,
            s.n_excluded_ambiguous,
            s.n_excluded_multiallelic,
            s.n_excluded_strand_flip,
            s.n_excluded_duplicate,
            s.n_not_scorable,
            if s.match_rate.is_nan() {
                "NA".to_string()
            } else {
                format!("{:.6}", s.match_rate)
            },
            s.pass
        )?;
    }
    Ok(())
}

/// Reads a `PREFIX.summary.tsv` written by [`write_summary`] (for `merge`).
pub fn read_summary(path: &Path) -> Result<Vec<ScoreSummary>, OutputError> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let bad = || OutputError::Malformed {
            path: path.to_path_buf(),
            line: i as u64 + 1,
            message: format!("expected the columns {SUMMARY_HEADER}"),
        };
        if f.len() != 13 {
            return Err(bad());
        }
        let n = |j: usize| f[j].parse::<u64>().map_err(|_| bad());
        out.push(ScoreSummary {
            score: f[0].into(),
            file: f[1].into(),
            genome_build: f[2].into(),
            n_rows: n(3)?,
            n_matched: n(4)?,
            n_unmatched: n(5)?,
            n_excluded_ambiguous: n(6)?,
            n_excluded_multiallelic: n(7)?,
            n_excluded_strand_flip: n(8)?,
            n_excluded_duplicate: n(9)?,
            n_not_scorable: n(10)?,
            match_rate: f[11].parse().unwrap_or(f64::NAN),
            pass: f[12] == "true",
        });
    }
    Ok(out)
}

const MATCH_HEADER: &str = "file\tline\tscores\tchr_name\tchr_position\tvariant_id\teffect_allele\tother_allele\teffect_type\ttarget_id\ttarget_chrom\ttarget_pos\tREF\tALT\tmatch_type\tis_multiallelic\tambiguous\tmatch_flipped\tbest_match\tduplicate_best_match\tduplicate_ID\texclude_reason\tmatch_status";

/// Writes the match log: one line per candidate, and one `unmatched` line for each row
/// that found none, in scoring-file order.
pub fn write_match_log(
    w: &mut dyn Write,
    files: &[ScoringFile],
    result: &ScoreResult,
) -> io::Result<()> {
    let mut enc = GzEncoder::new(w, flate2::Compression::fast());
    writeln!(enc, "{MATCH_HEADER}")?;
    let mut by_row: HashMap<RowRef, Vec<&Candidate>> = HashMap::new();
    for c in &result.matches.candidates {
        by_row.entry(c.row).or_default().push(c);
    }
    let na = || "NA".to_string();
    for outcome in &result.matches.rows {
        let file = &files[outcome.row.file as usize];
        let row = &file.rows[outcome.row.row as usize];
        let scores: Vec<&str> = file.scores.iter().map(|s| s.name.as_str()).collect();
        let prefix = format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            file.path.display(),
            row.line,
            scores.join(","),
            row.chrom.as_ref().map(|c| c.to_string()).unwrap_or_else(na),
            row.pos.map(|p| p.to_string()).unwrap_or_else(na),
            row.id.clone().unwrap_or_else(na),
            row.effect_allele,
            row.other_allele.clone().unwrap_or_else(na),
            match row.effect_type {
                EffectType::Additive => "additive",
                EffectType::Dominant => "dominant",
                EffectType::Recessive => "recessive",
            }
        );
        match by_row.get(&outcome.row) {
            None => writeln!(
                enc,
                "{prefix}\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\t{}",
                MatchStatus::Unmatched.as_str()
            )?,
            Some(cands) => {
                for c in cands {
                    writeln!(
                        enc,
                        "{prefix}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        c.site.positional_id(),
                        c.site.chrom,
                        c.site.pos,
                        c.site.ref_allele,
                        c.site.alt_alleles[c.alt_index - 1..]
                            .first()
                            .map(|s| s.as_str())
                            .unwrap_or("."),
                        c.match_type,
                        c.is_multiallelic,
                        c.ambiguous,
                        c.match_type.is_flip(),
                        c.best_match,
                        c.duplicate_best_match,
                        c.duplicate_id,
                        c.exclude.map(|e| e.as_str()).unwrap_or("NA"),
                        c.status().as_str()
                    )?;
                }
            }
        }
    }
    enc.finish()?;
    Ok(())
}

/// Writes all four outputs of a scoring run under `prefix`, all or nothing.
pub fn write_all(
    prefix: &Path,
    files: &[ScoringFile],
    result: &ScoreResult,
    id_delim: Option<char>,
) -> io::Result<Vec<PathBuf>> {
    let mut set = OutputSet::new();
    set.write_with(&with_suffix(prefix, ".sscore"), |w| {
        Sscore::from_result(result, id_delim).write(w)
    })?;
    set.write_with(&with_suffix(prefix, ".sscore.vars"), |w| {
        for v in &result.used_variants {
            writeln!(w, "{v}")?;
        }
        Ok(())
    })?;
    set.write_with(&with_suffix(prefix, ".match.tsv.gz"), |w| {
        write_match_log(w, files, result)
    })?;
    set.write_with(&with_suffix(prefix, ".summary.tsv"), |w| {
        write_summary(w, &result.summary)
    })?;
    set.commit()
}

fn read_lines(path: &Path) -> Result<Vec<String>, OutputError> {
    let f = File::open(path).map_err(io_err(path))?;
    BufReader::new(f)
        .lines()
        .collect::<Result<_, _>>()
        .map_err(io_err(path))
}

/// Merges the outputs of shards scored by region and/or by sample chunk.
///
/// Each sample's sums, allele counts and denominators are added over the shards that hold
/// it, so region shards sum and sample shards concatenate (and a region × sample grid does
/// both). Two shards that share a sample must have used disjoint variants, which catches
/// a shard given twice. Averages are recomputed from the merged sums.
pub fn merge(prefixes: &[PathBuf], out: &Path) -> Result<Vec<PathBuf>, OutputError> {
    if prefixes.is_empty() {
        return Err(OutputError::Merge("no shards given".into()));
    }
    let mut tables = Vec::new();
    let mut vars = Vec::new();
    for p in prefixes {
        tables.push(Sscore::read(&with_suffix(p, ".sscore"))?);
        vars.push(read_lines(&with_suffix(p, ".sscore.vars"))?);
    }
    let first = &tables[0];
    for (t, p) in tables.iter().zip(prefixes).skip(1) {
        if t.score_names != first.score_names || t.has_fid != first.has_fid {
            return Err(OutputError::Merge(format!(
                "{} has scores [{}] but {} has [{}]; shards must come from the same scoring files",
                with_suffix(p, ".sscore").display(),
                t.score_names.join(", "),
                with_suffix(&prefixes[0], ".sscore").display(),
                first.score_names.join(", ")
            )));
        }
    }
    // Shards sharing a sample must not share a variant.
    let var_sets: Vec<HashSet<&str>> = vars
        .iter()
        .map(|v| v.iter().map(|s| s.as_str()).collect())
        .collect();
    let sample_sets: Vec<HashSet<(Option<&str>, &str)>> = tables
        .iter()
        .map(|t| {
            t.rows
                .iter()
                .map(|r| (r.fid.as_deref(), r.iid.as_str()))
                .collect()
        })
        .collect();
    for i in 0..tables.len() {
        for j in i + 1..tables.len() {
            if sample_sets[i].is_disjoint(&sample_sets[j]) {
                continue;
            }
            if let Some(v) = var_sets[i].intersection(&var_sets[j]).next() {
                return Err(OutputError::Merge(format!(
                    "{} and {} share samples and also both used variant {v}: the same region was scored twice",
                    prefixes[i].display(),
                    prefixes[j].display()
                )));
            }
        }
    }
    let mut order: Vec<(Option<String>, String)> = Vec::new();
    let mut merged: HashMap<(Option<String>, String), SscoreRow> = HashMap::new();
    for t in &tables {
        for r in &t.rows {
            let key = (r.fid.clone(), r.iid.clone());
            match merged.get_mut(&key) {
                Some(m) => {
                    m.allele_ct += r.allele_ct;
                    m.denom += r.denom;
                    m.named_allele_dosage_sum += r.named_allele_dosage_sum;
                    for (a, b) in m.sums.iter_mut().zip(&r.sums) {
                        *a += b;
                    }
                }
                None => {
                    order.push(key.clone());
                    merged.insert(key, r.clone());
                }
            }
        }
    }
    let table = Sscore {
        has_fid: first.has_fid,
        score_names: first.score_names.clone(),
        rows: order
            .into_iter()
            .map(|k| merged.remove(&k).expect("every key was inserted"))
            .collect(),
    };
    // Region groups: shards with identical variant lists scored the same region (sample
    // chunks); count their summaries and match logs once.
    let mut distinct: Vec<usize> = Vec::new();
    for i in 0..prefixes.len() {
        if !distinct.iter().any(|&j| vars[j] == vars[i]) {
            distinct.push(i);
        }
    }
    let mut summary: Vec<ScoreSummary> = Vec::new();
    for &i in &distinct {
        for s in read_summary(&with_suffix(&prefixes[i], ".summary.tsv"))? {
            match summary.iter_mut().find(|m| m.score == s.score) {
                Some(m) => {
                    m.n_rows += s.n_rows;
                    m.n_matched += s.n_matched;
                    m.n_unmatched += s.n_unmatched;
                    m.n_excluded_ambiguous += s.n_excluded_ambiguous;
                    m.n_excluded_multiallelic += s.n_excluded_multiallelic;
                    m.n_excluded_strand_flip += s.n_excluded_strand_flip;
                    m.n_excluded_duplicate += s.n_excluded_duplicate;
                    m.pass &= s.pass;
                }
                None => summary.push(s),
            }
        }
    }
    for s in &mut summary {
        s.match_rate = if s.n_rows == 0 {
            f64::NAN
        } else {
            s.n_matched as f64 / s.n_rows as f64
        };
    }
    let mut set = OutputSet::new();
    set.write_with(&with_suffix(out, ".sscore"), |w| table.write(w))
        .map_err(io_err(out))?;
    set.write_with(&with_suffix(out, ".sscore.vars"), |w| {
        for &i in &distinct {
            for v in &vars[i] {
                writeln!(w, "{v}")?;
            }
        }
        Ok(())
    })
    .map_err(io_err(out))?;
    set.write_with(&with_suffix(out, ".summary.tsv"), |w| {
        write_summary(w, &summary)
    })
    .map_err(io_err(out))?;
    // Match logs: concatenate the distinct regions' logs under one header.
    let mut logs = Vec::new();
    for &i in &distinct {
        let p = with_suffix(&prefixes[i], ".match.tsv.gz");
        let mut text = String::new();
        MultiGzDecoder::new(File::open(&p).map_err(io_err(&p))?)
            .read_to_string(&mut text)
            .map_err(io_err(&p))?;
        logs.push(text);
    }
    set.write_with(&with_suffix(out, ".match.tsv.gz"), |w| {
        let mut enc = GzEncoder::new(w, flate2::Compression::fast());
        writeln!(enc, "{MATCH_HEADER}")?;
        for text in &logs {
            for line in text.lines().skip(1) {
                writeln!(enc, "{line}")?;
            }
        }
        enc.finish()?;
        Ok(())
    })
    .map_err(io_err(out))?;
    set.commit().map_err(io_err(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(ids: &[&str], sums: &[f64]) -> Sscore {
        Sscore {
            has_fid: false,
            score_names: vec!["A".into()],
            rows: ids
                .iter()
                .zip(sums)
                .map(|(id, s)| SscoreRow {
                    fid: None,
                    iid: id.to_string(),
                    allele_ct: 4,
                    denom: 4,
                    named_allele_dosage_sum: 1.0,
                    sums: vec![*s],
                })
                .collect(),
        }
    }

    fn write_shard(dir: &Path, name: &str, t: &Sscore, vars: &[&str]) -> PathBuf {
        let prefix = dir.join(name);
        let mut f = File::create(with_suffix(&prefix, ".sscore")).unwrap();
        t.write(&mut f).unwrap();
        std::fs::write(with_suffix(&prefix, ".sscore.vars"), vars.join("\n") + "\n").unwrap();
        let mut f = File::create(with_suffix(&prefix, ".summary.tsv")).unwrap();
        write_summary(
            &mut f,
            &[ScoreSummary {
                score: "A".into(),
                file: "a.txt".into(),
                genome_build: "GRCh37".into(),
                n_rows: 2,
                n_matched: 2,
                match_rate: 1.0,
                pass: true,
                ..Default::default()
            }],
        )
        .unwrap();
        let mut enc = GzEncoder::new(
            File::create(with_suffix(&prefix, ".match.tsv.gz")).unwrap(),
            flate2::Compression::fast(),
        );
        writeln!(enc, "{MATCH_HEADER}").unwrap();
        enc.finish().unwrap();
        prefix
    }

    #[test]
    fn sscore_round_trips() {
        let t = table(&["s1", "s2"], &[0.1 + 0.2, -1e-9]);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.sscore");
        t.write(&mut File::create(&p).unwrap()).unwrap();
        assert_eq!(Sscore::read(&p).unwrap(), t);
    }

    #[test]
    fn merge_sums_regions_and_concatenates_samples() {
        let dir = tempfile::tempdir().unwrap();
        let a = write_shard(
            dir.path(),
            "r1",
            &table(&["s1", "s2"], &[1.0, 2.0]),
            &["1:1:A:G"],
        );
        let b = write_shard(
            dir.path(),
            "r2",
            &table(&["s1", "s2"], &[0.5, 0.25]),
            &["2:1:A:G"],
        );
        let out = dir.path().join("m");
        merge(&[a.clone(), b], &out).unwrap();
        let m = Sscore::read(&with_suffix(&out, ".sscore")).unwrap();
        assert_eq!(m.rows[0].sums, vec![1.5]);
        assert_eq!(m.rows[1].sums, vec![2.25]);
        assert_eq!(m.rows[0].denom, 8);
        let s = read_summary(&with_suffix(&out, ".summary.tsv")).unwrap();
        assert_eq!(s[0].n_rows, 4);

        let c = write_shard(dir.path(), "c2", &table(&["s3"], &[7.0]), &["1:1:A:G"]);
        let out2 = dir.path().join("m2");
        merge(&[a.clone(), c], &out2).unwrap();
        let m = Sscore::read(&with_suffix(&out2, ".sscore")).unwrap();
        assert_eq!(m.rows.len(), 3);
        assert_eq!(m.rows[2].sums, vec![7.0]);
        let s = read_summary(&with_suffix(&out2, ".summary.tsv")).unwrap();
        assert_eq!(s[0].n_rows, 2, "sample chunks of one region count once");
    }

    #[test]
    fn regression_same_shard_twice_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let a = write_shard(dir.path(), "r1", &table(&["s1"], &[1.0]), &["1:1:A:G"]);
        let out = dir.path().join("m");
        let err = merge(&[a.clone(), a], &out).unwrap_err().to_string();
        assert!(err.contains("scored twice"), "{err}");
        assert!(!with_suffix(&out, ".sscore").exists());
    }
}
