//! Placeholder: replaced by the real reader.

use std::path::Path;

use super::{GenotypeSource, OpenOptions, ReadError};

pub struct BgenSource;

impl BgenSource {
    pub fn open(path: &Path, _options: &OpenOptions) -> Result<BgenSource, ReadError> {
        Err(ReadError::Unsupported {
            path: path.to_path_buf(),
            message: "reader not built yet".into(),
        })
    }
}

impl GenotypeSource for BgenSource {
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

/// Placeholder until the reader lands.
pub fn write_bgi(bgen: &Path, _out: &Path) -> Result<u64, ReadError> {
    Err(ReadError::Unsupported {
        path: bgen.to_path_buf(),
        message: "not built yet".into(),
    })
}
