//! Genome coordinates shared by every format: chromosome names, positions and regions.
//!
//! Genotype and scoring files disagree on how they spell chromosomes (`chr1`, `01`, `1`;
//! `X`/`23`; `MT`/`M`/`26`). Everything in medgem-prs compares chromosomes through
//! [`Chrom`], which normalises these spellings once at parse time.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A 1-based genome position, as written in VCF, BGEN, `.bim` and PGS Catalog files.
pub type Position = u64;

/// A normalised chromosome name.
///
/// `chr1`, `CHR01` and `1` are the same chromosome; so are `X`/`23`, `Y`/`24`, `XY`/`25`
/// (plink's pseudo-autosomal code) and `MT`/`M`/`26`. Other contig names are kept as written
/// (minus a `chr` prefix) and sort after the standard chromosomes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Chrom {
    rank: u32,
    name: Box<str>,
}

/// Rank given to contigs that are not one of the standard human chromosomes.
const OTHER_RANK: u32 = 1000;

impl Chrom {
    /// Normalises a chromosome name. Never fails: unknown contigs keep their spelling.
    pub fn parse(raw: &str) -> Chrom {
        let trimmed = raw.trim();
        let stripped = if trimmed.len() > 3 && trimmed[..3].eq_ignore_ascii_case("chr") {
            &trimmed[3..]
        } else {
            trimmed
        };
        if !stripped.is_empty() && stripped.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(n) = stripped.parse::<u32>() {
                return match n {
                    1..=22 => Chrom {
                        rank: n,
                        name: n.to_string().into(),
                    },
                    23 => Self::named("X", 23),
                    24 => Self::named("Y", 24),
                    25 => Self::named("XY", 25),
                    26 => Self::named("MT", 26),
                    _ => Chrom {
                        rank: OTHER_RANK,
                        name: n.to_string().into(),
                    },
                };
            }
        }
        let upper = stripped.to_ascii_uppercase();
        match upper.as_str() {
            "X" => Self::named("X", 23),
            "Y" => Self::named("Y", 24),
            "XY" | "PAR" => Self::named("XY", 25),
            "M" | "MT" => Self::named("MT", 26),
            _ => Chrom {
                rank: OTHER_RANK,
                name: stripped.into(),
            },
        }
    }

    fn named(name: &str, rank: u32) -> Chrom {
        Chrom {
            rank,
            name: name.into(),
        }
    }

    /// The canonical spelling: `1`..`22`, `X`, `Y`, `XY`, `MT`, or the contig as written.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// True for chromosomes where plink2 treats every sample as haploid (Y and MT).
    pub fn is_haploid(&self) -> bool {
        self.rank == 24 || self.rank == 26
    }

    /// True for chromosome X.
    pub fn is_x(&self) -> bool {
        self.rank == 23
    }

    /// The spellings a genotype file may use for this chromosome, for index look-ups.
    pub fn aliases(&self) -> Vec<String> {
        let mut out = vec![self.name.to_string(), format!("chr{}", self.name)];
        match self.rank {
            1..=9 => out.push(format!("0{}", self.rank)),
            23..=25 => out.push(self.rank.to_string()),
            26 => {
                out.push("M".into());
                out.push("chrM".into());
                out.push("26".into());
            }
            _ => {}
        }
        out
    }
}

impl fmt::Display for Chrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl Ord for Chrom {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank
            .cmp(&other.rank)
            .then_with(|| self.name.cmp(&other.name))
    }
}

impl PartialOrd for Chrom {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A genomic interval `CHR[:START-END]`, 1-based and inclusive at both ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    /// Chromosome of the interval, normalised through [`Chrom::parse`].
    pub chrom: Chrom,
    /// First position in the interval, 1-based and inclusive (at least 1).
    pub start: Position,
    /// Last position in the interval, 1-based and inclusive; `Position::MAX` when the region
    /// is open-ended (`CHR` or `CHR:START-`).
    pub end: Position,
}

/// Why a `--region` string was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid region '{text}': {reason} (expected CHR, CHR:START-END or CHR:START-)")]
pub struct RegionParseError {
    text: String,
    reason: &'static str,
}

impl Region {
    /// The whole of one chromosome.
    pub fn whole(chrom: Chrom) -> Region {
        Region {
            chrom,
            start: 1,
            end: Position::MAX,
        }
    }

    /// True when `pos` (1-based) on `chrom` lies in `start..=end`.
    pub fn contains(&self, chrom: &Chrom, pos: Position) -> bool {
        *chrom == self.chrom && pos >= self.start && pos <= self.end
    }
}

impl FromStr for Region {
    type Err = RegionParseError;

    fn from_str(text: &str) -> Result<Region, RegionParseError> {
        let err = |reason| RegionParseError {
            text: text.to_string(),
            reason,
        };
        let (chrom, range) = match text.rsplit_once(':') {
            Some((c, r)) => (c, Some(r)),
            None => (text, None),
        };
        if chrom.trim().is_empty() {
            return Err(err("empty chromosome"));
        }
        let chrom = Chrom::parse(chrom);
        let Some(range) = range else {
            return Ok(Region::whole(chrom));
        };
        let range = range.replace(',', "");
        let (start, end) = match range.split_once('-') {
            Some((s, e)) => (s, e),
            None => (range.as_str(), range.as_str()),
        };
        let start: Position = start.parse().map_err(|_| err("start is not a number"))?;
        let end: Position = if end.is_empty() {
            Position::MAX
        } else {
            end.parse().map_err(|_| err("end is not a number"))?
        };
        if start == 0 {
            return Err(err("positions are 1-based"));
        }
        if end < start {
            return Err(err("end is before start"));
        }
        Ok(Region { chrom, start, end })
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == 1 && self.end == Position::MAX {
            write!(f, "{}", self.chrom)
        } else if self.end == Position::MAX {
            write!(f, "{}:{}-", self.chrom, self.start)
        } else {
            write!(f, "{}:{}-{}", self.chrom, self.start, self.end)
        }
    }
}

/// Reverse complement of a single-strand allele (A<->T, C<->G), used to detect strand flips.
/// Returns `None` for alleles that contain anything other than A, C, G, T.
pub fn complement(allele: &str) -> Option<String> {
    allele
        .bytes()
        .map(|b| match b.to_ascii_uppercase() {
            b'A' => Some('T'),
            b'T' => Some('A'),
            b'C' => Some('G'),
            b'G' => Some('C'),
            _ => None,
        })
        .collect()
}

/// True for A/T and C/G SNPs, whose strand cannot be told from the alleles alone.
pub fn is_strand_ambiguous(a: &str, b: &str) -> bool {
    a.len() == 1 && complement(a).is_some_and(|c| c.eq_ignore_ascii_case(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chromosome_spellings_normalise() {
        assert_eq!(Chrom::parse("chr1"), Chrom::parse("1"));
        assert_eq!(Chrom::parse("01"), Chrom::parse("1"));
        assert_eq!(Chrom::parse("CHR01"), Chrom::parse("1"));
        assert_eq!(Chrom::parse("23"), Chrom::parse("X"));
        assert_eq!(Chrom::parse("chrX"), Chrom::parse("x"));
        assert_eq!(Chrom::parse("24"), Chrom::parse("Y"));
        assert_eq!(Chrom::parse("M"), Chrom::parse("MT"));
        assert_eq!(Chrom::parse("chrM"), Chrom::parse("26"));
        assert_eq!(Chrom::parse("25").as_str(), "XY");
        assert_eq!(Chrom::parse("chr22").as_str(), "22");
        assert_eq!(Chrom::parse("GL000192.1").as_str(), "GL000192.1");
        assert_ne!(Chrom::parse("1"), Chrom::parse("11"));
    }

    #[test]
    fn chromosomes_sort_naturally() {
        let mut v: Vec<Chrom> = ["X", "10", "2", "MT", "1", "Y", "chr22"]
            .iter()
            .map(|s| Chrom::parse(s))
            .collect();
        v.sort();
        let names: Vec<&str> = v.iter().map(|c| c.as_str()).collect();
        assert_eq!(names, ["1", "2", "10", "22", "X", "Y", "MT"]);
    }

    #[test]
    fn regions_parse() {
        let r: Region = "chr22:100-200".parse().unwrap();
        assert_eq!(r.chrom.as_str(), "22");
        assert_eq!((r.start, r.end), (100, 200));
        assert!(r.contains(&Chrom::parse("22"), 150));
        assert!(!r.contains(&Chrom::parse("22"), 201));
        let whole: Region = "X".parse().unwrap();
        assert!(whole.contains(&Chrom::parse("23"), 5_000_000));
        let open: Region = "1:1,000-".parse().unwrap();
        assert_eq!((open.start, open.end), (1000, Position::MAX));
        assert!("1:200-100".parse::<Region>().is_err());
        assert!("1:a-b".parse::<Region>().is_err());
        assert!("1:0-5".parse::<Region>().is_err());
        assert!(":5-6".parse::<Region>().is_err());
    }

    #[test]
    fn strand_helpers() {
        assert_eq!(complement("ACGT").as_deref(), Some("TGCA"));
        assert_eq!(complement("AN"), None);
        assert!(is_strand_ambiguous("A", "T"));
        assert!(is_strand_ambiguous("c", "G"));
        assert!(!is_strand_ambiguous("A", "G"));
        assert!(!is_strand_ambiguous("AT", "TA"));
    }
}

/// Canonical name of a human genome build written in a header (`GRCh37`, `hg19`, `b37`,
/// `GRCh38.p14`, `hg38`, ...). `None` for unknown or "not reported" (`NR`).
pub fn normalize_build(text: &str) -> Option<&'static str> {
    let t = text.trim().to_ascii_lowercase();
    let t = t.rsplit(['/', '\\']).next().unwrap_or(&t);
    if t.contains("grch37") || t.contains("hg19") || t.starts_with("b37") || t.contains("hs37") {
        Some("GRCh37")
    } else if t.contains("grch38")
        || t.contains("hg38")
        || t.starts_with("b38")
        || t.contains("hs38")
    {
        Some("GRCh38")
    } else if t.contains("ncbi36") || t.contains("hg18") || t.contains("grch36") {
        Some("NCBI36")
    } else {
        None
    }
}

/// The build a contig length belongs to, for the chromosomes whose lengths differ between
/// GRCh37 and GRCh38 (lengths from the assemblies' reports).
pub fn build_from_contig_length(chrom: &Chrom, length: u64) -> Option<&'static str> {
    const LENGTHS: [(&str, u64, u64); 4] = [
        ("1", 249_250_621, 248_956_422),
        ("2", 243_199_373, 242_193_529),
        ("22", 51_304_566, 50_818_468),
        ("X", 155_270_560, 156_040_895),
    ];
    LENGTHS
        .iter()
        .find(|(c, _, _)| chrom.as_str() == *c)
        .and_then(|&(_, b37, b38)| match length {
            l if l == b37 => Some("GRCh37"),
            l if l == b38 => Some("GRCh38"),
            _ => None,
        })
}

#[cfg(test)]
mod build_tests {
    use super::*;

    #[test]
    fn builds_normalise() {
        assert_eq!(normalize_build("GRCh37"), Some("GRCh37"));
        assert_eq!(normalize_build("hg19"), Some("GRCh37"));
        assert_eq!(normalize_build("file:///ref/hs37d5.fa"), Some("GRCh37"));
        assert_eq!(normalize_build("GRCh38.p14"), Some("GRCh38"));
        assert_eq!(normalize_build("NR"), None);
        assert_eq!(
            build_from_contig_length(&Chrom::parse("chr1"), 248_956_422),
            Some("GRCh38")
        );
        assert_eq!(
            build_from_contig_length(&Chrom::parse("22"), 51_174_940),
            None
        );
    }
}
