//! Tabix and CSI indexes, used to jump over BGZF blocks that hold no wanted site.
//!
//! Both are binning indexes (tabix: htslib's `tabix.pdf`; CSI: `CSIv1.pdf`): for each
//! reference sequence they map genomic bins to chunks of virtual file offsets. A query for
//! `[q, ∞)` on one chromosome gives chunks whose first start is at or before the first
//! record that overlaps `q` or anything after it, so a sorted file can be entered there
//! without missing a record at or beyond `q`.

use std::collections::HashMap;
use std::io;
use std::path::Path;

use noodles::bgzf::VirtualPosition;
use noodles::core::region::Interval;
use noodles::csi::BinningIndex;

use crate::genome::{Chrom, Position};
use crate::io::{with_extension_appended, Location, ReadError, SiteFilter};

/// Where a reader should go next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Jump {
    /// Keep reading sequentially.
    Stay,
    /// Seek forward to this virtual position.
    Seek(VirtualPosition),
    /// Nothing further in the file is wanted.
    End,
}

/// A reader's view of its BGZF input, as the index walk in [`IndexCursor`] needs it. BCF
/// reads the [`Stream`](super::stream::Stream) directly; VCF text reads it through a line
/// buffer that a seek must empty.
pub(crate) trait Seekable {
    /// Virtual position of the next unread record; `None` for input that is not BGZF.
    fn next_position(&mut self) -> io::Result<Option<VirtualPosition>>;
    /// Whether going from `here` to `target` is worth a seek rather than reading on.
    fn worth_seeking(&self, here: VirtualPosition, target: VirtualPosition) -> bool;
    /// Moves to `target`, dropping whatever was buffered.
    fn seek_to(&mut self, target: VirtualPosition) -> io::Result<()>;
}

/// The index-driven walk shared by the VCF text and BCF readers: the optional index, whether
/// reading has started or finished, and how many seeks were taken. Without an index it only
/// tracks the end of the file.
pub(crate) struct IndexCursor {
    index: Option<SiteIndex>,
    started: bool,
    finished: bool,
    /// Index seeks taken, for tests that check the index is used.
    seeks: u64,
}

impl IndexCursor {
    pub(crate) fn new(index: Option<SiteIndex>) -> IndexCursor {
        IndexCursor {
            index,
            started: false,
            finished: false,
            seeks: 0,
        }
    }

    pub(crate) fn has_index(&self) -> bool {
        self.index.is_some()
    }

    pub(crate) fn seeks(&self) -> u64 {
        self.seeks
    }

    /// Whether record (or line) numbers are still exact: a seek loses count of them.
    pub(crate) fn counting(&self) -> bool {
        self.seeks == 0
    }

    /// Marks the end of the file, after which no further record is read.
    pub(crate) fn finish(&mut self) {
        self.finished = true;
    }

    /// Called before looking for the next record: on the first call, enters the file at the
    /// first wanted site. `false` when nothing further is to be read.
    pub(crate) fn resume(
        &mut self,
        input: &mut impl Seekable,
        filter: &SiteFilter,
    ) -> io::Result<bool> {
        if self.finished {
            return Ok(false);
        }
        if self.started {
            return Ok(true);
        }
        self.started = true;
        self.go(input, |index, here| index.initial(filter, here))
    }

    /// Called after a record at `chrom:pos` that `filter` does not want: seeks over what
    /// holds no wanted site. `false` when nothing further is wanted.
    pub(crate) fn after_unwanted(
        &mut self,
        input: &mut impl Seekable,
        filter: &SiteFilter,
        chrom: &Chrom,
        pos: Position,
    ) -> io::Result<bool> {
        self.go(input, |index, here| {
            index.after_unwanted(filter, chrom, pos, here)
        })
    }

    /// Asks the index where to go from the current position and goes there.
    fn go(
        &mut self,
        input: &mut impl Seekable,
        decide: impl FnOnce(&mut SiteIndex, VirtualPosition) -> Jump,
    ) -> io::Result<bool> {
        let Some(index) = self.index.as_mut() else {
            return Ok(true);
        };
        let Some(here) = input.next_position()? else {
            return Ok(true);
        };
        match decide(index, here) {
            Jump::Stay => {}
            Jump::End => {
                self.finished = true;
                return Ok(false);
            }
            Jump::Seek(target) => {
                if input.worth_seeking(here, target) {
                    input.seek_to(target)?;
                    self.seeks += 1;
                }
            }
        }
        Ok(true)
    }
}

enum Kind {
    Tabix(noodles::tabix::Index),
    Csi(noodles::csi::Index),
}

/// A loaded index with its reference sequence names normalised through [`Chrom::parse`],
/// so that a file written with `chr22` serves a filter holding `22`.
pub(crate) struct SiteIndex {
    kind: Kind,
    /// Chromosome of each reference sequence id, in file order.
    chroms: Vec<Chrom>,
    ids: HashMap<Chrom, usize>,
    /// log2 of the genomic window of the linear index and finest bins (16 KiB by default).
    window_shift: u8,
    /// Last CSI query, `(id, position, answer)`: records between a seek target and the
    /// wanted position ask the same question again.
    cache: Option<(usize, Position, Option<VirtualPosition>)>,
}

impl SiteIndex {
    /// Loads `<data>.tbi` or `<data>.csi` if either exists. `contigs` names the reference
    /// sequences for an index without names of its own (CSI for BCF: the BCF header's
    /// contig dictionary).
    pub(crate) fn find(data: &Path, contigs: &[String]) -> Result<Option<SiteIndex>, ReadError> {
        let tbi = with_extension_appended(data, "tbi");
        if tbi.is_file() {
            let index = noodles::tabix::fs::read(&tbi).map_err(|e| index_error(&tbi, e))?;
            return SiteIndex::new(Kind::Tabix(index), &tbi, contigs).map(Some);
        }
        let csi = with_extension_appended(data, "csi");
        if csi.is_file() {
            let index = noodles::csi::fs::read(&csi).map_err(|e| index_error(&csi, e))?;
            return SiteIndex::new(Kind::Csi(index), &csi, contigs).map(Some);
        }
        Ok(None)
    }

    fn new(kind: Kind, path: &Path, contigs: &[String]) -> Result<SiteIndex, ReadError> {
        let index: &dyn BinningIndex = match &kind {
            Kind::Tabix(i) => i,
            Kind::Csi(i) => i,
        };
        let names: Vec<String> = match index.header() {
            Some(h) => h
                .reference_sequence_names()
                .iter()
                .map(|n| String::from_utf8_lossy(n.as_ref()).into_owned())
                .collect(),
            None => contigs.to_vec(),
        };
        if names.is_empty() && index.reference_sequences().next().is_some() {
            return Err(ReadError::malformed(
                path,
                Location::Header,
                "index has no reference sequence names and the file header has no contigs",
            ));
        }
        let chroms: Vec<Chrom> = names.iter().map(|n| Chrom::parse(n)).collect();
        let mut ids = HashMap::with_capacity(chroms.len());
        for (i, c) in chroms.iter().enumerate() {
            ids.entry(c.clone()).or_insert(i);
        }
        let window_shift = index.min_shift();
        Ok(SiteIndex {
            kind,
            chroms,
            ids,
            window_shift,
            cache: None,
        })
    }

    fn binning(&self) -> &dyn BinningIndex {
        match &self.kind {
            Kind::Tabix(i) => i,
            Kind::Csi(i) => i,
        }
    }

    /// The virtual position at or before the first record on reference `id` that overlaps
    /// `from` or anything after it; `None` when no record does.
    ///
    /// Tabix: the linear index entry of `from`'s window. Every writer fills an empty window
    /// with a neighbour's offset that is no later than the next record (htslib: the previous
    /// window's; noodles: the next record's), and records in later windows start later in a
    /// sorted file, so the entry is a safe place to enter; past the last entry no record
    /// reaches. CSI has no linear index and its per-bin offsets can overshoot a long record
    /// held in a parent bin, so it queries all bins overlapping `[from, ∞)`.
    fn first_offset(&mut self, id: usize, from: Position) -> Option<VirtualPosition> {
        if let Kind::Tabix(index) = &self.kind {
            let linear = index.reference_sequences().get(id)?.index();
            if !linear.is_empty() {
                let window = usize::try_from((from.max(1) - 1) >> self.window_shift).ok()?;
                return linear.get(window).copied();
            }
        }
        if let Some((cid, cpos, answer)) = self.cache {
            if cid == id && cpos == from {
                return answer;
            }
        }
        let answer = usize::try_from(from)
            .ok()
            .and_then(noodles::core::Position::new)
            .and_then(|start| {
                self.binning()
                    .query(id, Interval::from(start..))
                    .ok()?
                    .first()
                    .map(|chunk| chunk.start())
            });
        self.cache = Some((id, from, answer));
        answer
    }

    /// How many windows ahead a wanted position must lie before the index is asked: a
    /// tabix look-up is one array read, a CSI query walks every bin to the end.
    fn lookahead_windows(&self) -> u64 {
        match self.kind {
            Kind::Tabix(_) => 0,
            Kind::Csi(_) => 1,
        }
    }

    /// Where to start reading before the first record: at the first wanted chromosome's
    /// first wanted position, or nowhere if the index holds no wanted chromosome.
    pub(crate) fn initial(&mut self, filter: &SiteFilter, here: VirtualPosition) -> Jump {
        if filter.chroms().is_none() {
            return Jump::Stay;
        }
        self.next_chromosome(filter, 0, here)
    }

    /// Where to go after a record at `chrom:pos` that `filter` does not want.
    pub(crate) fn after_unwanted(
        &mut self,
        filter: &SiteFilter,
        chrom: &Chrom,
        pos: Position,
        here: VirtualPosition,
    ) -> Jump {
        let Some(&id) = self.ids.get(chrom) else {
            // A chromosome the index does not know: nothing to say about what follows.
            return Jump::Stay;
        };
        if filter.wants_chrom(chrom) {
            if let Some(next) = filter.next_wanted(chrom, pos) {
                // Within the current window (or the next, for CSI) no seek can skip a
                // block that reading on would not also pass quickly.
                if next >> self.window_shift
                    <= (pos >> self.window_shift) + self.lookahead_windows()
                {
                    return Jump::Stay;
                }
                return match self.first_offset(id, next) {
                    Some(target) if target > here => Jump::Seek(target),
                    Some(_) => Jump::Stay,
                    None => self.next_chromosome(filter, id + 1, here),
                };
            }
        }
        self.next_chromosome(filter, id + 1, here)
    }

    /// The first wanted site on a chromosome with id `from_id` or later.
    fn next_chromosome(
        &mut self,
        filter: &SiteFilter,
        from_id: usize,
        here: VirtualPosition,
    ) -> Jump {
        for id in from_id..self.chroms.len() {
            let chrom = self.chroms[id].clone();
            if !filter.wants_chrom(&chrom) {
                continue;
            }
            let Some(first) = filter.next_wanted(&chrom, 1) else {
                continue;
            };
            if let Some(target) = self.first_offset(id, first) {
                return if target > here {
                    Jump::Seek(target)
                } else {
                    Jump::Stay
                };
            }
        }
        Jump::End
    }
}

fn index_error(path: &Path, e: std::io::Error) -> ReadError {
    ReadError::malformed(path, Location::Header, format!("invalid index: {e}"))
}
