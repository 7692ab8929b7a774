//! Sample-ID list files (`--samples`, `--keep`, `--ld-samples`), read by one rule: plink2's
//! `--keep` rule.
//!
//! - Blank lines and lines starting with `#` (such as a `#FID IID` or `#IID` header) are
//!   skipped.
//! - A first line `FID IID ...` or `IID` is a header.
//! - A line with one column is an IID; a line with two or more columns is `FID IID ...`,
//!   and its second column is the IID.
//!
//! IDs keep the file's order; a repeated ID is kept once, where it first appears. The file
//! may be gzip-compressed.

use std::collections::HashSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use crate::util::{open_text, PathIoError};

/// Why a sample-ID list cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SampleIdsError {
    /// The file could not be read.
    #[error(transparent)]
    Io(#[from] PathIoError),
    /// The file holds no ID: it is empty, or has only blank lines, comments and a header.
    #[error("{}: lists no sample ids (expected one IID, or FID IID, per line)", path.display())]
    Empty {
        /// The file read.
        path: PathBuf,
    },
}

/// Reads the sample IDs (IIDs) of a sample-ID list file, by the rule of the module
/// documentation.
pub fn read_sample_ids(path: &Path) -> Result<Vec<String>, SampleIdsError> {
    let reader = open_text(path)?;
    let mut ids = Vec::new();
    let mut seen = HashSet::new();
    let mut first = true;
    for line in reader.lines() {
        let line = line.map_err(PathIoError::on(path))?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let is_first = std::mem::replace(&mut first, false);
        let iid = match fields.as_slice() {
            ["IID"] | ["FID", "IID", ..] if is_first => continue,
            [iid] | [_, iid, ..] => *iid,
            [] => continue,
        };
        if seen.insert(iid.to_string()) {
            ids.push(iid.to_string());
        }
    }
    if ids.is_empty() {
        return Err(SampleIdsError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<String>, SampleIdsError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ids.txt");
        std::fs::write(&path, text).unwrap();
        read_sample_ids(&path)
    }

    #[test]
    fn one_column_is_the_iid() {
        assert_eq!(read("s1\ns2\n\ns3\n").unwrap(), ["s1", "s2", "s3"]);
    }

    #[test]
    fn two_or_more_columns_are_fid_iid() {
        assert_eq!(
            read("fam1 s1\nfam1\ts2\textra\nfam2  s3\n").unwrap(),
            ["s1", "s2", "s3"]
        );
        // Files may mix both forms, as plink2 allows.
        assert_eq!(read("s1\nfam s2\n").unwrap(), ["s1", "s2"]);
    }

    #[test]
    fn headers_and_comments_are_skipped() {
        assert_eq!(
            read("#FID\tIID\nf s1\n# note\nf s2\n").unwrap(),
            ["s1", "s2"]
        );
        assert_eq!(read("#IID\ns1\n").unwrap(), ["s1"]);
        assert_eq!(read("FID IID\nf s1\n").unwrap(), ["s1"]);
        assert_eq!(read("IID\ns1\n").unwrap(), ["s1"]);
        // Only a first line is a header: later, `IID` is an ID like any other.
        assert_eq!(read("s1\nIID\n").unwrap(), ["s1", "IID"]);
    }

    #[test]
    fn order_is_kept_and_duplicates_are_dropped() {
        assert_eq!(read("s3\ns1\ns3\nf s1\ns2\n").unwrap(), ["s3", "s1", "s2"]);
    }

    #[test]
    fn a_file_without_ids_is_refused_naming_it() {
        for text in ["", "\n\n", "#FID IID\n", "FID IID\n", "IID\n# nothing\n"] {
            let err = read(text).unwrap_err();
            assert!(matches!(err, SampleIdsError::Empty { .. }), "{text:?}");
            let message = err.to_string();
            assert!(
                message.contains("ids.txt") && message.contains("lists no sample ids"),
                "{message}"
            );
        }
    }

    #[test]
    fn a_missing_file_is_an_io_error_naming_it() {
        let err = read_sample_ids(Path::new("/no/such/ids.txt")).unwrap_err();
        assert!(matches!(err, SampleIdsError::Io(_)), "{err:?}");
        assert!(err.to_string().contains("/no/such/ids.txt"), "{err}");
    }

    #[test]
    fn gzip_files_are_read() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ids.txt.gz");
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&path).unwrap(),
            flate2::Compression::default(),
        );
        gz.write_all(b"f s1\nf s2\n").unwrap();
        gz.finish().unwrap();
        assert_eq!(read_sample_ids(&path).unwrap(), ["s1", "s2"]);
    }
}
