//! Matching scoring-file rows to genotype sites with the PGS Catalog Calculator's rules.
//!
//! The rules follow `pgscatalog.match` (the matcher behind pgsc_calc):
//!
//! * a multi-allelic site is split into one (REF, ALT) pair per ALT allele;
//! * each row is compared on chromosome and position with every pair, and every way the
//!   alleles can line up is a candidate, ranked refalt > altref > refalt_flip > altref_flip >
//!   no_oa_ref > no_oa_alt > no_oa_ref_flip > no_oa_alt_flip (the `no_oa` kinds are for rows
//!   without an other allele);
//! * the best-ranked candidate of a row is its best match; when several candidates tie, the
//!   first in file order is kept (`duplicate_best_match`);
//! * when several rows of one scoring file best-match the same site, all of them are
//!   excluded (`duplicate_ID`);
//! * strand-ambiguous sites (REF is the complement of ALT), multi-allelic sites and strand
//!   flips are excluded unless the user keeps them.
//!
//! Rows without a position (plink-style `ID allele weight` files) are matched on the
//! variant ID instead, as plink2 `--score` does, with the same allele rules.
//!
//! Genotype files are streamed, so matching is resolved one position at a time: all
//! candidates of a row sit at one chromosome position, and a sorted file presents them
//! together. [`Matcher::resolve`] is called with the sites of one position.

use std::collections::HashMap;
use std::fmt;

use crate::genome::{Chrom, Position, Region};
use crate::io::{Site, SiteFilter};
use crate::panel::scorefile::{EffectType, ScoringFile};

/// The ways a row's alleles can line up with a site, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchType {
    /// Effect allele is REF and other allele is ALT, as written (pgsc_calc `refalt`).
    RefAlt,
    /// Effect allele is ALT and other allele is REF, as written (`altref`).
    AltRef,
    /// After complementing both row alleles (opposite strand), effect is REF and other is ALT
    /// (`refalt_flip`).
    RefAltFlip,
    /// After complementing both row alleles, effect is ALT and other is REF (`altref_flip`).
    AltRefFlip,
    /// Row has no other allele; its effect allele is REF (`no_oa_ref`).
    NoOaRef,
    /// Row has no other allele; its effect allele is ALT (`no_oa_alt`).
    NoOaAlt,
    /// Row has no other allele; its complemented effect allele is REF (`no_oa_ref_flip`).
    NoOaRefFlip,
    /// Row has no other allele; its complemented effect allele is ALT (`no_oa_alt_flip`).
    NoOaAltFlip,
}

impl MatchType {
    /// pgsc_calc's `match_type` spelling: `refalt`, `altref`, `refalt_flip`, ..., `no_oa_alt_flip`.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchType::RefAlt => "refalt",
            MatchType::AltRef => "altref",
            MatchType::RefAltFlip => "refalt_flip",
            MatchType::AltRefFlip => "altref_flip",
            MatchType::NoOaRef => "no_oa_ref",
            MatchType::NoOaAlt => "no_oa_alt",
            MatchType::NoOaRefFlip => "no_oa_ref_flip",
            MatchType::NoOaAltFlip => "no_oa_alt_flip",
        }
    }

    /// True for the `*_flip` kinds, which only match after complementing the row's alleles
    /// (the scoring file is reported on the other strand).
    pub fn is_flip(self) -> bool {
        matches!(
            self,
            MatchType::RefAltFlip
                | MatchType::AltRefFlip
                | MatchType::NoOaRefFlip
                | MatchType::NoOaAltFlip
        )
    }

    /// Whether the effect allele is the site's REF (else the ALT of the pair).
    fn effect_is_ref(self) -> bool {
        matches!(
            self,
            MatchType::RefAlt | MatchType::RefAltFlip | MatchType::NoOaRef | MatchType::NoOaRefFlip
        )
    }
}

impl fmt::Display for MatchType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a best match was not used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExcludeReason {
    /// The site is strand-ambiguous (REF is the complement of ALT, e.g. A/T or C/G) and
    /// `keep_ambiguous` is off.
    Ambiguous,
    /// The site has several ALT alleles and `keep_multiallelic` is off.
    Multiallelic,
    /// The match needed the row's alleles complemented and `ignore_strand_flips` is on.
    StrandFlip,
    /// Several rows of the same scoring file best-match the same site; all of them are dropped
    /// (pgsc_calc `duplicate_ID`).
    DuplicateId,
}

impl ExcludeReason {
    /// The spelling written to the match log's `exclude_reason`: `ambiguous`, `multiallelic`,
    /// `strand_flip` or `duplicate_id`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExcludeReason::Ambiguous => "ambiguous",
            ExcludeReason::Multiallelic => "multiallelic",
            ExcludeReason::StrandFlip => "strand_flip",
            ExcludeReason::DuplicateId => "duplicate_id",
        }
    }
}

/// What became of a scoring row, as pgsc_calc's `match_status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatchStatus {
    /// The row's best match is used in the score.
    Matched,
    /// The row's best match was found but excluded (see [`ExcludeReason`]).
    Excluded,
    /// The candidate is not the row's best match (another match type ranked higher, or a
    /// tied duplicate came first in file order).
    NotBest,
    /// No site of the genotype file lines up with the row.
    Unmatched,
}

impl MatchStatus {
    /// pgsc_calc's `match_status` spelling: `matched`, `excluded`, `not_best`, `unmatched`.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchStatus::Matched => "matched",
            MatchStatus::Excluded => "excluded",
            MatchStatus::NotBest => "not_best",
            MatchStatus::Unmatched => "unmatched",
        }
    }
}

/// User choices that change which matches are kept.
#[derive(Clone, Debug)]
pub struct MatchOptions {
    /// Keep matches to strand-ambiguous sites (A/T, C/G), like pgsc_calc `--keep_ambiguous`.
    pub keep_ambiguous: bool,
    /// Keep matches to multi-allelic sites, like pgsc_calc `--keep_multiallelic`.
    pub keep_multiallelic: bool,
    /// Exclude matches that need the row's alleles complemented, like pgsc_calc
    /// `--ignore_strand_flips` (by default flips are used).
    pub ignore_strand_flips: bool,
}

/// A row of one scoring file: `(file index, row index)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RowRef {
    /// 0-based index of the scoring file, in the order the files were given.
    pub file: u32,
    /// 0-based index of the row within that file's `rows`.
    pub row: u32,
}

/// One way a row lines up with a site: a row of `PREFIX.match.tsv.gz`.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// The scoring row this candidate is for.
    pub row: RowRef,
    /// The site, as read from the genotype file.
    pub site: Site,
    /// Index of the ALT allele of the (REF, ALT) pair, 1-based as in [`crate::io::Dosages`].
    pub alt_index: usize,
    /// How the row's alleles line up with the (REF, ALT) pair.
    pub match_type: MatchType,
    /// Allele index of the effect allele in the site.
    pub effect_allele_index: usize,
    /// The site has more than one ALT allele.
    pub is_multiallelic: bool,
    /// The site is strand-ambiguous: its ALT is the complement of its REF.
    pub ambiguous: bool,
    /// This candidate is the row's best match (lowest [`MatchType`]; the first in file order
    /// when several tie).
    pub best_match: bool,
    /// Several candidates of the row tied for the best match type (pgsc_calc
    /// `duplicate_best_match`); only the first keeps `best_match`.
    pub duplicate_best_match: bool,
    /// Another row of the same scoring file best-matches the same site (pgsc_calc
    /// `duplicate_ID`); the match is excluded.
    pub duplicate_id: bool,
    /// Why the best match is not used, if it is not.
    pub exclude: Option<ExcludeReason>,
}

impl Candidate {
    /// The candidate's `match_status`: not best, excluded or matched.
    pub fn status(&self) -> MatchStatus {
        match (self.best_match, self.exclude) {
            (false, _) => MatchStatus::NotBest,
            (true, Some(_)) => MatchStatus::Excluded,
            (true, None) => MatchStatus::Matched,
        }
    }
}

/// A scoring row applied to a site: score the dosage of `allele` with the row's weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppliedRow {
    /// The scoring row to apply.
    pub row: RowRef,
    /// Allele index at the site (0 = REF) whose dosage is multiplied by the row's weights.
    pub allele: usize,
    /// How the row's weight applies to the dosage (additive, dominant, recessive).
    pub effect_type: EffectType,
}

/// Candidates of two separate stretches of the genotype file claimed the same row.
#[derive(Debug, thiserror::Error)]
#[error("{file}: line {line} matches variants at two separate places in the genotype file ({first} and {second}); sort the genotype file by position (bcftools sort) or remove duplicated variant ids")]
pub struct SplitMatchError {
    /// Path of the scoring file, as given.
    pub file: String,
    /// 1-based line of the row in the scoring file.
    pub line: u64,
    /// Where the first group of candidates was read: the reader's location and the site's
    /// `CHR:POS:REF:ALT`.
    pub first: String,
    /// Where the second, separate group was read.
    pub second: String,
}

/// The final outcome of one row.
#[derive(Clone, Copy, Debug, Default)]
struct RowState {
    /// Group in which the row found candidates (to detect unsorted input).
    group: Option<u64>,
    status: Option<MatchStatus>,
    exclude: Option<ExcludeReason>,
}

/// Streams match decisions for a set of scoring files.
pub struct Matcher<'a> {
    files: &'a [ScoringFile],
    options: MatchOptions,
    by_position: HashMap<(Chrom, Position), Vec<RowRef>>,
    by_id: HashMap<String, Vec<RowRef>>,
    /// Rows counted for each file (rows outside `--region` are not).
    in_scope: Vec<Vec<bool>>,
    state: Vec<Vec<RowState>>,
    candidates: Vec<Candidate>,
    group_counter: u64,
    /// Where each position group with candidates was read, for messages.
    group_locations: HashMap<u64, String>,
}

impl<'a> Matcher<'a> {
    /// Indexes the rows of `files`; with a region, rows outside it are out of scope (they
    /// belong to another shard) and do not count towards the match rate.
    pub fn new(files: &'a [ScoringFile], options: MatchOptions, region: Option<&Region>) -> Self {
        let mut by_position: HashMap<(Chrom, Position), Vec<RowRef>> = HashMap::new();
        let mut by_id: HashMap<String, Vec<RowRef>> = HashMap::new();
        let mut in_scope = Vec::with_capacity(files.len());
        let mut state = Vec::with_capacity(files.len());
        for (f, file) in files.iter().enumerate() {
            let mut scope = vec![false; file.rows.len()];
            for (r, row) in file.rows.iter().enumerate() {
                let rr = RowRef {
                    file: f as u32,
                    row: r as u32,
                };
                match (&row.chrom, row.pos) {
                    (Some(c), Some(p)) => {
                        if region.is_some_and(|reg| !reg.contains(c, p)) {
                            continue;
                        }
                        by_position.entry((c.clone(), p)).or_default().push(rr);
                    }
                    _ => match &row.id {
                        Some(id) => by_id.entry(id.clone()).or_default().push(rr),
                        None => continue,
                    },
                }
                scope[r] = true;
            }
            state.push(vec![RowState::default(); file.rows.len()]);
            in_scope.push(scope);
        }
        Matcher {
            files,
            options,
            by_position,
            by_id,
            in_scope,
            state,
            candidates: Vec::new(),
            group_counter: 0,
            group_locations: HashMap::new(),
        }
    }

    /// The sites worth reading: the rows' positions, or every site when some rows can only
    /// be matched by ID.
    pub fn site_filter(&self, region: Option<Region>) -> SiteFilter {
        let filter = SiteFilter::all().with_region(region);
        if self.by_id.is_empty() {
            filter.with_positions(self.by_position.keys().cloned())
        } else {
            filter
        }
    }

    /// Whether any row could match `site`, so that its genotypes are worth keeping until
    /// its position is resolved.
    pub fn has_candidates(&self, site: &Site) -> bool {
        self.rows_for(site).any(|rr| {
            let row = &self.files[rr.file as usize].rows[rr.row as usize];
            (1..site.allele_count().max(2)).any(|alt| {
                !match_types(
                    &row.effect_allele,
                    row.other_allele.as_deref(),
                    &site.ref_allele,
                    site.alt_alleles
                        .get(alt - 1)
                        .map(|s| s.as_str())
                        .unwrap_or("."),
                )
                .is_empty()
            })
        })
    }

    fn rows_for<'s>(&'s self, site: &Site) -> impl Iterator<Item = RowRef> + 's {
        let by_pos = self
            .by_position
            .get(&(site.chrom.clone(), site.pos))
            .map(|v| v.as_slice())
            .unwrap_or(&[]);
        let by_id = if self.by_id.is_empty() {
            &[][..]
        } else {
            self.by_id
                .get(&site.id)
                .map(|v| v.as_slice())
                .unwrap_or(&[])
        };
        by_pos.iter().chain(by_id.iter()).copied()
    }

    /// Resolves every candidate among `sites` (the sites read at one position, in file
    /// order; `locations` says where each came from, for messages) and returns, per site,
    /// the rows to apply to it.
    pub fn resolve(
        &mut self,
        sites: &[Site],
        locations: &[String],
    ) -> Result<Vec<Vec<AppliedRow>>, SplitMatchError> {
        self.group_counter += 1;
        let group = self.group_counter;
        // 1. every candidate, in the order pgscatalog.match concatenates them: by match
        //    type, then by site order.
        let mut cands: Vec<(usize, Candidate)> = Vec::new();
        for (si, site) in sites.iter().enumerate() {
            let rows: Vec<RowRef> = self.rows_for(site).collect();
            let is_multiallelic = site.alt_alleles.len() > 1;
            let n_alts = site.alt_alleles.len().max(1);
            for rr in rows {
                let row = &self.files[rr.file as usize].rows[rr.row as usize];
                for alt in 1..=n_alts {
                    let alt_allele = site
                        .alt_alleles
                        .get(alt - 1)
                        .map(|s| s.as_str())
                        .unwrap_or(".");
                    for mt in match_types(
                        &row.effect_allele,
                        row.other_allele.as_deref(),
                        &site.ref_allele,
                        alt_allele,
                    ) {
                        let ambiguous = flip(&site.ref_allele) == alt_allele;
                        cands.push((
                            si,
                            Candidate {
                                row: rr,
                                site: site.clone(),
                                alt_index: alt,
                                match_type: mt,
                                effect_allele_index: if mt.effect_is_ref() { 0 } else { alt },
                                is_multiallelic,
                                ambiguous,
                                best_match: false,
                                duplicate_best_match: false,
                                duplicate_id: false,
                                exclude: None,
                            },
                        ));
                    }
                }
            }
        }
        cands.sort_by_key(|(si, c)| (c.match_type, *si));

        // A row must find all its candidates in one stretch of the file.
        for (si, c) in &cands {
            let st = &mut self.state[c.row.file as usize][c.row.row as usize];
            match st.group {
                Some(g) if g != group => {
                    let file = &self.files[c.row.file as usize];
                    return Err(SplitMatchError {
                        file: file.path.display().to_string(),
                        line: file.rows[c.row.row as usize].line,
                        first: self.group_locations.get(&g).cloned().unwrap_or_default(),
                        second: locations.get(*si).cloned().unwrap_or_default(),
                    });
                }
                _ => st.group = Some(group),
            }
        }
        if let Some((si, _)) = cands.first() {
            self.group_locations
                .insert(group, locations.get(*si).cloned().unwrap_or_default());
        }

        // 2. best match: the lowest match type of each row.
        let mut best_type: HashMap<RowRef, MatchType> = HashMap::new();
        for (_, c) in &cands {
            best_type
                .entry(c.row)
                .and_modify(|t| *t = (*t).min(c.match_type))
                .or_insert(c.match_type);
        }
        for (_, c) in cands.iter_mut() {
            c.best_match = best_type[&c.row] == c.match_type;
        }
        // 3. duplicate best matches: keep the first.
        let mut best_count: HashMap<RowRef, usize> = HashMap::new();
        for (_, c) in cands.iter().filter(|(_, c)| c.best_match) {
            *best_count.entry(c.row).or_default() += 1;
        }
        let mut seen_best: HashMap<RowRef, bool> = HashMap::new();
        for (_, c) in cands.iter_mut() {
            if c.best_match && best_count[&c.row] > 1 {
                c.duplicate_best_match = true;
                let first = !seen_best.contains_key(&c.row);
                seen_best.insert(c.row, true);
                c.best_match = first;
            }
        }
        // 4. duplicate IDs: several rows of one file best-matching the same site.
        //    pgscatalog counts within (accession, ID, best_match, duplicate_best_match).
        let mut id_count: HashMap<(u32, usize, bool), usize> = HashMap::new();
        for (si, c) in cands.iter().filter(|(_, c)| c.best_match) {
            *id_count
                .entry((c.row.file, *si, c.duplicate_best_match))
                .or_default() += 1;
        }
        for (si, c) in cands.iter_mut() {
            if c.best_match && id_count[&(c.row.file, *si, c.duplicate_best_match)] > 1 {
                c.duplicate_id = true;
                c.exclude = Some(ExcludeReason::DuplicateId);
            }
        }
        // 5. ambiguous, multi-allelic and flipped matches.
        for (_, c) in cands.iter_mut() {
            if c.exclude.is_some() {
                continue;
            }
            if c.ambiguous && !self.options.keep_ambiguous {
                c.exclude = Some(ExcludeReason::Ambiguous);
            } else if c.is_multiallelic && !self.options.keep_multiallelic {
                c.exclude = Some(ExcludeReason::Multiallelic);
            } else if c.match_type.is_flip() && self.options.ignore_strand_flips {
                c.exclude = Some(ExcludeReason::StrandFlip);
            }
        }

        // 6. outcome per row and rows to apply per site.
        let mut applied: Vec<Vec<AppliedRow>> = vec![Vec::new(); sites.len()];
        for (si, c) in &cands {
            let st = &mut self.state[c.row.file as usize][c.row.row as usize];
            let status = c.status();
            if status == MatchStatus::Matched {
                let row = &self.files[c.row.file as usize].rows[c.row.row as usize];
                applied[*si].push(AppliedRow {
                    row: c.row,
                    allele: c.effect_allele_index,
                    effect_type: row.effect_type,
                });
            }
            if c.best_match {
                st.status = Some(status);
                st.exclude = c.exclude;
            } else if st.status.is_none() {
                st.status = Some(MatchStatus::NotBest);
            }
        }
        // Keep the log in row order within the group for readability.
        cands.sort_by_key(|(si, c)| (c.row, *si, c.match_type));
        self.candidates.extend(cands.into_iter().map(|(_, c)| c));
        Ok(applied)
    }

    /// Final accounting, once the genotype file has been read to the end.
    pub fn finish(self) -> MatchReport {
        let mut rows = Vec::new();
        for (f, file) in self.files.iter().enumerate() {
            for r in 0..file.rows.len() {
                if !self.in_scope[f][r] {
                    continue;
                }
                let st = self.state[f][r];
                rows.push(RowOutcome {
                    row: RowRef {
                        file: f as u32,
                        row: r as u32,
                    },
                    status: match st.status {
                        Some(MatchStatus::NotBest) | None => MatchStatus::Unmatched,
                        Some(s) => s,
                    },
                    exclude: st.exclude,
                });
            }
        }
        MatchReport {
            candidates: self.candidates,
            rows,
        }
    }
}

/// What matching found, for the match log and the summary.
pub struct MatchReport {
    /// Every candidate, grouped by position in file order.
    pub candidates: Vec<Candidate>,
    /// One outcome per in-scope row.
    pub rows: Vec<RowOutcome>,
}

/// The outcome of one in-scope scoring row after the whole genotype file was read.
#[derive(Clone, Copy, Debug)]
pub struct RowOutcome {
    /// Which scoring file and row this is.
    pub row: RowRef,
    /// Its final status: `matched`, `excluded` or `unmatched` (never `not_best`, which only
    /// candidates carry).
    pub status: MatchStatus,
    /// Why its best match was excluded, when `status` is `excluded`.
    pub exclude: Option<ExcludeReason>,
}

/// Complements a DNA allele base by base (A<->T, C<->G) as pgscatalog does; alleles that are
/// not pure ACGT are returned unchanged.
pub fn flip(allele: &str) -> String {
    if !allele.is_empty()
        && allele
            .bytes()
            .all(|b| matches!(b, b'A' | b'C' | b'G' | b'T'))
    {
        crate::genome::complement(allele).unwrap_or_else(|| allele.to_string())
    } else {
        allele.to_string()
    }
}

/// Every way a row's alleles line up with one (REF, ALT) pair.
fn match_types(effect: &str, other: Option<&str>, reference: &str, alt: &str) -> Vec<MatchType> {
    let mut out = Vec::new();
    let fe = flip(effect);
    match other {
        Some(other) => {
            let fo = flip(other);
            if effect == reference && other == alt {
                out.push(MatchType::RefAlt);
            }
            if effect == alt && other == reference {
                out.push(MatchType::AltRef);
            }
            if fe == reference && fo == alt {
                out.push(MatchType::RefAltFlip);
            }
            if fe == alt && fo == reference {
                out.push(MatchType::AltRefFlip);
            }
        }
        None => {
            if effect == reference {
                out.push(MatchType::NoOaRef);
            }
            if effect == alt {
                out.push(MatchType::NoOaAlt);
            }
            if fe == reference {
                out.push(MatchType::NoOaRefFlip);
            }
            if fe == alt {
                out.push(MatchType::NoOaAltFlip);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::panel::scorefile::{ScoreMeta, ScoreRow, ScoringFileKind};
    use std::path::PathBuf;

    fn row(line: u64, pos: u64, ea: &str, oa: Option<&str>) -> ScoreRow {
        ScoreRow {
            line,
            id: None,
            chrom: Some(Chrom::parse("1")),
            pos: Some(pos),
            effect_allele: ea.into(),
            other_allele: oa.map(|s| s.into()),
            effect_type: EffectType::Additive,
            weights: vec![1.0],
        }
    }

    fn file(rows: Vec<ScoreRow>) -> ScoringFile {
        ScoringFile {
            path: PathBuf::from("s.txt"),
            kind: ScoringFileKind::Custom,
            scores: vec![ScoreMeta {
                name: "s".into(),
                ..Default::default()
            }],
            rows,
            skipped: vec![],
        }
    }

    fn site(pos: u64, r: &str, alts: &[&str]) -> Site {
        Site {
            chrom: Chrom::parse("chr1"),
            pos,
            id: format!("v{pos}"),
            ref_allele: r.into(),
            alt_alleles: alts.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn opts() -> MatchOptions {
        MatchOptions {
            keep_ambiguous: false,
            keep_multiallelic: false,
            ignore_strand_flips: false,
        }
    }

    #[test]
    fn match_type_ranking() {
        assert_eq!(
            match_types("A", Some("G"), "A", "G"),
            vec![MatchType::RefAlt]
        );
        assert_eq!(
            match_types("G", Some("A"), "A", "G"),
            vec![MatchType::AltRef]
        );
        assert_eq!(
            match_types("T", Some("C"), "A", "G"),
            vec![MatchType::RefAltFlip]
        );
        assert_eq!(
            match_types("C", Some("T"), "A", "G"),
            vec![MatchType::AltRefFlip]
        );
        // A/T: refalt and altref_flip both hold; refalt ranks first.
        assert_eq!(
            match_types("A", Some("T"), "A", "T"),
            vec![MatchType::RefAlt, MatchType::AltRefFlip]
        );
        assert_eq!(match_types("G", None, "A", "G"), vec![MatchType::NoOaAlt]);
        assert_eq!(
            match_types("C", None, "A", "G"),
            vec![MatchType::NoOaAltFlip]
        );
        assert!(match_types("C", Some("A"), "A", "G").is_empty());
    }

    #[test]
    fn flips_and_ambiguity_are_labelled() {
        let files = vec![file(vec![
            row(1, 100, "T", Some("C")), // flip of A/G
            row(2, 200, "A", Some("T")), // ambiguous site
            row(3, 300, "G", Some("A")), // plain altref
        ])];
        let mut m = Matcher::new(&files, opts(), None);
        let a = m
            .resolve(&[site(100, "A", &["G"])], &["l1".into()])
            .unwrap();
        assert_eq!(
            a[0],
            vec![AppliedRow {
                row: RowRef { file: 0, row: 0 },
                allele: 0,
                effect_type: EffectType::Additive
            }]
        );
        let a = m
            .resolve(&[site(200, "A", &["T"])], &["l2".into()])
            .unwrap();
        assert!(a[0].is_empty(), "ambiguous excluded by default");
        let a = m
            .resolve(&[site(300, "A", &["G"])], &["l3".into()])
            .unwrap();
        assert_eq!(a[0][0].allele, 1);
        let rep = m.finish();
        let statuses: Vec<MatchStatus> = rep.rows.iter().map(|r| r.status).collect();
        assert_eq!(
            statuses,
            vec![
                MatchStatus::Matched,
                MatchStatus::Excluded,
                MatchStatus::Matched
            ]
        );
        assert_eq!(rep.rows[1].exclude, Some(ExcludeReason::Ambiguous));

        let mut o = opts();
        o.keep_ambiguous = true;
        o.ignore_strand_flips = true;
        let mut m = Matcher::new(&files, o, None);
        assert!(m
            .resolve(&[site(100, "A", &["G"])], &["l1".into()])
            .unwrap()[0]
            .is_empty());
        assert_eq!(
            m.resolve(&[site(200, "A", &["T"])], &["l2".into()])
                .unwrap()[0]
                .len(),
            1
        );
    }

    #[test]
    fn multiallelic_sites_split_and_exclude() {
        let files = vec![file(vec![row(1, 100, "C", Some("A"))])];
        let s = site(100, "A", &["G", "C"]);
        let mut m = Matcher::new(&files, opts(), None);
        assert!(m.resolve(std::slice::from_ref(&s), &["l".into()]).unwrap()[0].is_empty());
        assert_eq!(
            m.finish().rows[0].exclude,
            Some(ExcludeReason::Multiallelic)
        );
        let mut o = opts();
        o.keep_multiallelic = true;
        let mut m = Matcher::new(&files, o, None);
        let a = m.resolve(&[s], &["l".into()]).unwrap();
        assert_eq!(a[0][0].allele, 2, "effect allele C is allele 2");
    }

    #[test]
    fn duplicate_best_match_keeps_first_site() {
        // Two biallelic records at one position, both matching a no-other-allele row.
        let files = vec![file(vec![row(1, 100, "G", None)])];
        let mut m = Matcher::new(&files, opts(), None);
        let a = m
            .resolve(
                &[site(100, "A", &["G"]), site(100, "T", &["G"])],
                &["a".into(), "b".into()],
            )
            .unwrap();
        assert_eq!(a[0].len(), 1);
        assert!(a[1].is_empty());
        let rep = m.finish();
        assert!(rep.candidates.iter().all(|c| c.duplicate_best_match));
        assert_eq!(rep.candidates.iter().filter(|c| c.best_match).count(), 1);
    }

    #[test]
    fn duplicate_ids_exclude_both_rows() {
        // Two rows of one file (e.g. after liftover) best-match the same site.
        let files = vec![file(vec![
            row(1, 100, "G", Some("A")),
            row(2, 100, "A", Some("G")),
        ])];
        let mut m = Matcher::new(&files, opts(), None);
        let a = m.resolve(&[site(100, "A", &["G"])], &["a".into()]).unwrap();
        assert!(a[0].is_empty());
        let rep = m.finish();
        assert!(rep
            .rows
            .iter()
            .all(|r| r.exclude == Some(ExcludeReason::DuplicateId)));
    }

    #[test]
    fn same_site_in_two_files_is_not_a_duplicate() {
        let files = vec![
            file(vec![row(1, 100, "G", Some("A"))]),
            file(vec![row(1, 100, "A", Some("G"))]),
        ];
        let mut m = Matcher::new(&files, opts(), None);
        let mut a = m.resolve(&[site(100, "A", &["G"])], &["a".into()]).unwrap();
        a[0].sort_by_key(|r| r.row);
        assert_eq!(a[0].len(), 2);
        assert_eq!(a[0][0].allele, 1);
        assert_eq!(a[0][1].allele, 0);
    }

    #[test]
    fn regression_unsorted_input_is_refused() {
        let files = vec![file(vec![row(7, 100, "G", Some("A"))])];
        let mut m = Matcher::new(&files, opts(), None);
        m.resolve(&[site(100, "A", &["G"])], &["line 3".into()])
            .unwrap();
        let err = m
            .resolve(&[site(100, "A", &["G"])], &["line 9".into()])
            .unwrap_err();
        assert!(err.to_string().contains("line 7"));
        assert!(err.to_string().contains("line 9"));
    }

    #[test]
    fn region_limits_scope() {
        let files = vec![file(vec![
            row(1, 100, "G", Some("A")),
            row(2, 5000, "G", Some("A")),
        ])];
        let region: Region = "1:1-1000".parse().unwrap();
        let m = Matcher::new(&files, opts(), Some(&region));
        assert_eq!(m.finish().rows.len(), 1);
    }
}
