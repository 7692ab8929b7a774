//! Participant images for mixed genomic + imaging models: one medical image per
//! participant, found through a table that maps each `IID` to a file in an images folder.
//!
//! The image enters the same token sequence as the genomic image and the covariates
//! ([`crate::model::ScanInput`]): its patches get their own projection (with the
//! convolutional stem of imaging models) and position embeddings. The table is any TSV with
//! an `IID` and an `image` column (other columns are ignored), so a phenotype table that
//! names each participant's radiograph serves as it is.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{ModelDirError, TableText};
use crate::imaging::{load_images, ImageSpec};
use crate::util::PathIoError;

/// How a mixed model's participant images are prepared and cut: recorded in `config.json`
/// so prediction prepares them exactly as training did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScanSpec {
    /// Decoding and resizing of every image.
    pub image: ImageSpec,
    /// Patch side in pixels (`image.size` is a multiple).
    pub patch: usize,
    /// Feature maps of the convolutional stem in front of the patch projection; 0: none.
    pub stem_features: usize,
}

impl ScanSpec {
    /// `[C, S, S]` of the prepared images.
    pub fn shape(&self) -> [usize; 3] {
        [self.image.channels, self.image.size, self.image.size]
    }
}

/// The images folder and the `IID → image` table of a cohort.
#[derive(Clone, Debug)]
pub struct ParticipantImages {
    /// The folder the table's image names are relative to.
    pub dir: PathBuf,
    /// The table, named in messages.
    pub table: PathBuf,
    /// Image file name and table line (1-based) of each participant.
    by_iid: HashMap<String, (String, usize)>,
}

impl ParticipantImages {
    /// Reads the table (tab-separated, a header with `IID` and `image` columns, each IID
    /// once); errors name the table and line.
    pub fn read(dir: &Path, table: &Path) -> Result<ParticipantImages, ModelDirError> {
        if !dir.is_dir() {
            return Err(ModelDirError::Invalid {
                path: dir.to_path_buf(),
                message: "not a folder (expected the folder of participant images)".into(),
            });
        }
        let text = std::fs::read_to_string(table).map_err(PathIoError::on(table))?;
        ParticipantImages::parse(dir, table, &text)
    }

    /// [`ParticipantImages::read`] on the table's text.
    pub fn parse(dir: &Path, table: &Path, text: &str) -> Result<ParticipantImages, ModelDirError> {
        let t = TableText::new(table, text, "a header with 'IID' and 'image'")?;
        let find = |name: &str| {
            t.columns
                .iter()
                .position(|c| c.trim_start_matches('#') == name)
                .ok_or_else(|| {
                    t.error(
                        1,
                        format!(
                            "no '{name}' column (expected a header with 'IID' and 'image', found {})",
                            t.columns.join(", ")
                        ),
                    )
                })
        };
        let (iid_col, image_col) = (find("IID")?, find("image")?);
        let mut by_iid = HashMap::new();
        for row in t.rows() {
            let (line, fields) = row?;
            let (iid, image) = (fields[iid_col], fields[image_col]);
            if iid.is_empty() || image.is_empty() || image == "NA" {
                // A participant without an image is simply not listed.
                continue;
            }
            if let Some((_, first)) = by_iid.insert(iid.to_string(), (image.to_string(), line)) {
                return Err(t.error(
                    line,
                    format!("IID '{iid}' is listed twice (first on line {first}); expected one image per participant"),
                ));
            }
        }
        if by_iid.is_empty() {
            return Err(t.error(2, "no participant has an image".into()));
        }
        Ok(ParticipantImages {
            dir: dir.to_path_buf(),
            table: table.to_path_buf(),
            by_iid,
        })
    }

    /// Number of participants with an image.
    pub fn len(&self) -> usize {
        self.by_iid.len()
    }

    /// Whether no participant has an image (never true for a table that was read).
    pub fn is_empty(&self) -> bool {
        self.by_iid.is_empty()
    }

    /// The image file of every participant in `ids`: a participant the table does not list,
    /// or a listed file that does not exist, is an error naming both.
    pub fn paths(&self, ids: &[String]) -> Result<Vec<PathBuf>, ModelDirError> {
        ids.iter()
            .map(|iid| {
                let (name, line) =
                    self.by_iid
                        .get(iid)
                        .ok_or_else(|| ModelDirError::NoParticipantImage {
                            table: self.table.clone(),
                            iid: iid.clone(),
                        })?;
                let path = self.dir.join(name);
                if path.is_file() {
                    Ok(path)
                } else {
                    Err(ModelDirError::Table {
                        path: self.table.clone(),
                        line: *line,
                        message: format!(
                            "image '{name}' of IID '{iid}' does not exist in {}",
                            self.dir.display()
                        ),
                    })
                }
            })
            .collect()
    }

    /// Model pixels `ids.len() × C × S × S` of the participants `ids`, in that order.
    pub fn pixels(
        &self,
        ids: &[String],
        spec: &ImageSpec,
        progress: bool,
    ) -> Result<Vec<u8>, ModelDirError> {
        let paths = self.paths(ids)?;
        Ok(load_images(&paths, spec, progress)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ParticipantImages, ModelDirError> {
        ParticipantImages::parse(Path::new("imgs"), Path::new("t.tsv"), text)
    }

    #[test]
    fn reads_iid_and_image_among_other_columns() {
        let p = parse("#IID\tage\timage\nA\t50\ta.png\nB\t60\tNA\nC\t70\tc.png\n").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p.by_iid["C"], ("c.png".to_string(), 4));
        assert!(!p.by_iid.contains_key("B"));
    }

    #[test]
    fn missing_column_duplicate_iid_and_ragged_lines_name_the_line() {
        let e = parse("IID\tfile\nA\ta.png\n").unwrap_err().to_string();
        assert!(e.contains("t.tsv: line 1: no 'image' column"), "{e}");
        let e = parse("IID\timage\nA\ta.png\nA\tb.png\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 3: IID 'A' is listed twice (first on line 2)"),
            "{e}"
        );
        let e = parse("IID\timage\nA\n").unwrap_err().to_string();
        assert!(e.contains("line 2: 1 fields, expected 2"), "{e}");
        let e = parse("IID\timage\n").unwrap_err().to_string();
        assert!(e.contains("no participant has an image"), "{e}");
    }

    #[test]
    fn a_participant_without_an_image_is_named() {
        let p = parse("IID\timage\nA\ta.png\n").unwrap();
        let e = p.paths(&["B".to_string()]).unwrap_err().to_string();
        assert_eq!(
            e,
            "t.tsv: no image for participant 'B' (expected a line 'B <image file>')"
        );
        let e = p.paths(&["A".to_string()]).unwrap_err().to_string();
        assert!(
            e.contains("line 2: image 'a.png' of IID 'A' does not exist in imgs"),
            "{e}"
        );
    }
}
