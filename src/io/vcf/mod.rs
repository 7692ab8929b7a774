//! VCF, bgzipped VCF and BCF genotypes.
//!
//! Plain VCF, BGZF-compressed VCF (`bgzip`), ordinary gzip and BCF are all opened through
//! [`VcfSource::open`]; the format is recognised by content. BGZF blocks are inflated on
//! `OpenOptions::threads` threads (noodles' multithreaded reader), and a tabix (`.tbi`) or
//! CSI (`.csi`) index beside a BGZF file lets the reader seek to a region and over
//! stretches that hold no wanted position.
//!
//! Records the [`SiteFilter`] does not want cost a CHROM/POS parse; wanted records keep
//! their FORMAT and sample bytes in a [`Payload`] that decodes dosages from `DS`, `GP` or
//! `GT` (see [`DosageField`]) on whichever thread the caller likes.

mod bcf;
mod genotypes;
mod index;
mod stream;
mod text;
mod writer;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use self::bcf::BcfReader;
use self::index::IndexCursor;
use self::stream::Stream;
use self::text::TextReader;
pub use self::writer::{VcfWriter, VcfWriterOptions, DEFAULT_VCF_COMPRESSION_LEVEL};
use crate::genome::Chrom;

use super::{
    detect_format, DosageField, Format, GenotypeSource, Location, OpenOptions, Payload, ReadError,
    Site, SiteFilter,
};

/// What payloads need from their reader: the file (for messages), the header's samples
/// and the dosage field option.
pub(crate) struct Shared {
    pub(crate) path: PathBuf,
    pub(crate) samples: Vec<String>,
    pub(crate) field: DosageField,
    /// Genome build stated by `##reference` or implied by contig lengths.
    pub(crate) genome_build: Option<&'static str>,
}

impl Shared {
    /// A message about one sample (0-based `sample`), named by its 1-based number and ID.
    pub(crate) fn about_sample(&self, sample: usize, message: impl std::fmt::Display) -> String {
        format!(
            "sample {} ({}): {message}",
            sample + 1,
            self.samples[sample]
        )
    }
}

/// The genome build a VCF/BCF header states (`##reference=...`, a contig's `assembly`) or
/// implies through the lengths of chromosomes whose length differs between builds.
pub(crate) fn header_genome_build(header: &noodles::vcf::Header) -> Option<&'static str> {
    use noodles::vcf::header::record::value::Collection;
    if let Some(Collection::Unstructured(values)) = header.other_records().get("reference") {
        if let Some(b) = values
            .iter()
            .find_map(|v| crate::genome::normalize_build(v))
        {
            return Some(b);
        }
    }
    header.contigs().iter().find_map(|(name, contig)| {
        contig.length().and_then(|len| {
            crate::genome::build_from_contig_length(&Chrom::parse(name), len as u64)
        })
    })
}

enum Reader {
    Text(TextReader),
    Bcf(BcfReader),
}

/// A VCF, VCF.gz or BCF file read as a [`GenotypeSource`].
pub struct VcfSource {
    reader: Reader,
}

impl VcfSource {
    /// Opens a VCF (plain, BGZF or gzip) or BCF file, recognised by content, and reads its
    /// header. A `.tbi` or `.csi` index beside a BGZF file is used for seeking.
    pub fn open(path: &Path, options: &OpenOptions) -> Result<VcfSource, ReadError> {
        let (format, path) = detect_format(path)?;
        let threads = options.threads.max(1);
        let stream = Stream::open(&path, threads)?;
        let reader = match format {
            Format::Vcf => Reader::Text(TextReader::open(&path, stream, options.dosage_field)?),
            Format::Bcf => Reader::Bcf(BcfReader::open(&path, stream, options.dosage_field)?),
            Format::Bgen | Format::PlinkBed => {
                return Err(ReadError::Unsupported {
                    path,
                    message: "not a VCF or BCF file".into(),
                })
            }
        };
        Ok(VcfSource { reader })
    }

    fn shared(&self) -> &Shared {
        match &self.reader {
            Reader::Text(r) => r.shared(),
            Reader::Bcf(r) => r.shared(),
        }
    }

    fn cursor(&self) -> &IndexCursor {
        match &self.reader {
            Reader::Text(r) => r.cursor(),
            Reader::Bcf(r) => r.cursor(),
        }
    }

    /// Whether a tabix or CSI index was found and is used for seeking.
    pub fn has_index(&self) -> bool {
        self.cursor().has_index()
    }

    /// Index seeks taken so far, for diagnostics: 0 means every block was read.
    pub fn index_seeks(&self) -> u64 {
        self.cursor().seeks()
    }
}

impl GenotypeSource for VcfSource {
    fn path(&self) -> &Path {
        &self.shared().path
    }

    fn format_name(&self) -> String {
        match &self.reader {
            Reader::Text(_) => "VCF".into(),
            Reader::Bcf(_) => "BCF".into(),
        }
    }

    fn sample_ids(&self) -> &[String] {
        &self.shared().samples
    }

    fn next_site(&mut self, filter: &SiteFilter) -> Result<Option<Site>, ReadError> {
        match &mut self.reader {
            Reader::Text(r) => r.next_site(filter),
            Reader::Bcf(r) => r.next_site(filter),
        }
    }

    fn payload(&mut self) -> Result<Box<dyn Payload>, ReadError> {
        match &mut self.reader {
            Reader::Text(r) => r.payload(),
            Reader::Bcf(r) => r.payload(),
        }
    }

    fn location(&self) -> Location {
        match &self.reader {
            Reader::Text(r) => r.location(),
            Reader::Bcf(r) => r.location(),
        }
    }

    fn genome_build(&self) -> Option<&'static str> {
        self.shared().genome_build
    }
}
