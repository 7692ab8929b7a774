//! Allele frequencies for mean imputation, read from plink2 `.afreq` or plink 1.9 `.frq`
//! files (`--read-freq`), as plink2 `--score` accepts them.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::io::Site;

/// Why a frequency file was refused.
#[derive(Debug, thiserror::Error)]
pub enum FreqError {
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] crate::util::PathIoError),
    /// A header or data line of the `.afreq`/`.frq` file cannot be parsed.
    #[error("{path}: line {line}: {message}")]
    Malformed {
        /// Frequency file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong with the line.
        message: String,
    },
}

/// Allele frequencies keyed by variant ID: for each variant, its alleles and their
/// frequencies.
#[derive(Clone, Debug, Default)]
pub struct FreqTable {
    by_id: HashMap<String, Vec<(String, f64)>>,
}

impl FreqTable {
    /// Reads a plink2 `.afreq` (`#CHROM ID REF ALT [PROVISIONAL_REF?] ALT_FREQS OBS_CT`) or a
    /// plink 1.9 `.frq` (`CHR SNP A1 A2 MAF NCHROBS`) file; the header tells which.
    pub fn read(path: &Path) -> Result<FreqTable, FreqError> {
        let io_err = |source| {
            FreqError::Io(crate::util::PathIoError {
                path: path.to_path_buf(),
                source,
            })
        };
        let reader = BufReader::new(File::open(path).map_err(io_err)?);
        let mut lines = reader.lines();
        let header = match lines.next() {
            Some(l) => l.map_err(io_err)?,
            None => {
                return Err(FreqError::Malformed {
                    path: path.to_path_buf(),
                    line: 1,
                    message: "empty file (expected a plink2 .afreq or plink 1.9 .frq header)"
                        .into(),
                })
            }
        };
        let cols: Vec<String> = header
            .trim_start_matches('#')
            .split_whitespace()
            .map(|s| s.to_ascii_uppercase())
            .collect();
        let find = |name: &str| cols.iter().position(|c| c == name);
        enum Kind {
            Afreq {
                id: usize,
                r: usize,
                a: usize,
                f: usize,
            },
            Frq {
                id: usize,
                a1: usize,
                a2: usize,
                maf: usize,
            },
        }
        let kind = if let (Some(id), Some(r), Some(a), Some(f)) =
            (find("ID"), find("REF"), find("ALT"), find("ALT_FREQS"))
        {
            Kind::Afreq { id, r, a, f }
        } else if let (Some(id), Some(a1), Some(a2), Some(maf)) =
            (find("SNP"), find("A1"), find("A2"), find("MAF"))
        {
            Kind::Frq { id, a1, a2, maf }
        } else {
            return Err(FreqError::Malformed {
                path: path.to_path_buf(),
                line: 1,
                message: format!(
                    "unrecognised header '{}' (expected plink2 .afreq columns ID REF ALT ALT_FREQS, or plink 1.9 .frq columns SNP A1 A2 MAF)",
                    header.trim()
                ),
            });
        };
        let mut by_id = HashMap::new();
        for (i, line) in lines.enumerate() {
            let line_no = i as u64 + 2;
            let line = line.map_err(io_err)?;
            if line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let bad = |message: String| FreqError::Malformed {
                path: path.to_path_buf(),
                line: line_no,
                message,
            };
            let get = |i: usize| {
                fields
                    .get(i)
                    .copied()
                    .ok_or_else(|| bad(format!("expected at least {} columns", i + 1)))
            };
            let parse = |s: &str| -> Result<f64, FreqError> {
                match s.parse::<f64>() {
                    Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
                    _ => Err(bad(format!(
                        "frequency '{s}' is not a number between 0 and 1"
                    ))),
                }
            };
            let (id, alleles) = match kind {
                Kind::Afreq { id, r, a, f } => {
                    let alts: Vec<&str> = get(a)?.split(',').collect();
                    let freqs: Vec<f64> =
                        get(f)?.split(',').map(parse).collect::<Result<_, _>>()?;
                    if alts.len() != freqs.len() {
                        return Err(bad(format!(
                            "{} ALT alleles but {} ALT_FREQS values",
                            alts.len(),
                            freqs.len()
                        )));
                    }
                    let alt_sum: f64 = freqs.iter().sum();
                    let mut v = vec![(get(r)?.to_ascii_uppercase(), 1.0 - alt_sum)];
                    v.extend(alts.iter().map(|s| s.to_ascii_uppercase()).zip(freqs));
                    (get(id)?.to_string(), v)
                }
                Kind::Frq { id, a1, a2, maf } => {
                    let f = parse(get(maf)?)?;
                    (
                        get(id)?.to_string(),
                        vec![
                            (get(a1)?.to_ascii_uppercase(), f),
                            (get(a2)?.to_ascii_uppercase(), 1.0 - f),
                        ],
                    )
                }
            };
            by_id.insert(id, alleles);
        }
        Ok(FreqTable { by_id })
    }

    /// Frequency of `allele` at `site`, looked up by the site's ID, then by its positional
    /// ID `CHR:POS:REF:ALT`.
    pub fn get(&self, site: &Site, allele: &str) -> Option<f64> {
        let entry = self
            .by_id
            .get(&site.id)
            .or_else(|| self.by_id.get(&site.positional_id()))?;
        entry
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(allele))
            .map(|(_, f)| *f)
    }

    /// Number of variant IDs with frequencies.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// True when the file held no variant.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genome::Chrom;
    use std::io::Write;

    fn site(id: &str) -> Site {
        Site {
            chrom: Chrom::parse("1"),
            pos: 10,
            id: id.into(),
            ref_allele: "A".into(),
            alt_alleles: vec!["G".into()],
        }
    }

    #[test]
    fn reads_afreq_and_frq() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.afreq");
        let mut f = File::create(&p).unwrap();
        writeln!(
            f,
            "#CHROM\tID\tREF\tALT\tPROVISIONAL_REF?\tALT_FREQS\tOBS_CT"
        )
        .unwrap();
        writeln!(f, "1\trs1\tA\tG\tY\t0.25\t100").unwrap();
        writeln!(f, "1\t1:10:A:G\tA\tG\tY\t0.5\t100").unwrap();
        drop(f);
        let t = FreqTable::read(&p).unwrap();
        assert_eq!(t.get(&site("rs1"), "G"), Some(0.25));
        assert_eq!(t.get(&site("rs1"), "A"), Some(0.75));
        assert_eq!(t.get(&site("."), "G"), Some(0.5));
        assert_eq!(
            t.get(&site("rs9"), "G"),
            Some(0.5),
            "falls back to CHR:POS:REF:ALT"
        );
        assert_eq!(t.get(&site("rs9"), "T"), None);

        let p = dir.path().join("x.frq");
        std::fs::write(
            &p,
            " CHR  SNP   A1   A2  MAF  NCHROBS\n 1 rs1 G A 0.1 200\n",
        )
        .unwrap();
        let t = FreqTable::read(&p).unwrap();
        assert_eq!(t.get(&site("rs1"), "G"), Some(0.1));
    }

    #[test]
    fn refuses_bad_frequencies() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.afreq");
        std::fs::write(
            &p,
            "#CHROM\tID\tREF\tALT\tALT_FREQS\tOBS_CT\n1\trs1\tA\tG\tnan\t3\n",
        )
        .unwrap();
        let e = FreqTable::read(&p).unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
        let p = dir.path().join("y.txt");
        std::fs::write(&p, "a b c\n").unwrap();
        assert!(FreqTable::read(&p)
            .unwrap_err()
            .to_string()
            .contains("unrecognised header"));
    }
}
