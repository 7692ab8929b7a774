//! Placeholder: replaced by the real reader.

use std::path::Path;

use super::{GenotypeSource, OpenOptions, ReadError};

pub struct PlinkSource;

impl PlinkSource {
    pub fn open(path: &Path, _options: &OpenOptions) -> Result<PlinkSource, ReadError> {
        Err(ReadError::Unsupported {
            path: path.to_path_buf(),
            message: "reader not built yet".into(),
        })
    }
}

impl GenotypeSource for PlinkSource {
    fn path(&self) -> &Path {
        unimplemented!()
    }
    fn format_name(&self) -> String {
        unimplemented!()
    }
    fn sample_ids(&self) -> &[String] {
        unimplemented!()
    }
    fn next_site(&mut self, _f: &super::SiteFilter) -> Result<Option<super::Site>, ReadError> {
        unimplemented!()
    }
    fn payload(&mut self) -> Result<Box<dyn super::Payload>, ReadError> {
        unimplemented!()
    }
    fn location(&self) -> super::Location {
        unimplemented!()
    }
}
