//! Infrastructure every pipeline module may use: number formatting that round-trips,
//! progress spinners, atomic output (files that appear together or not at all, and
//! directories staged beside their destination), the one path-naming I/O error, and the
//! one gzip-or-plain text opener. It imports nothing from the crate (ARCHITECTURE.md).

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use indicatif::{ProgressBar, ProgressStyle};
use tempfile::NamedTempFile;

/// Formats a float so that it reads back to the same `f64` (shortest round-trip digits), in
/// plain notation for ordinary magnitudes and scientific notation for very small or large
/// ones. plink2 prints 6 significant digits; we keep every digit so that sharded results
/// merge exactly.
pub fn fmt_f64(x: f64) -> String {
    if x == 0.0 {
        return "0".to_string();
    }
    if x.is_nan() {
        return "NA".to_string();
    }
    let a = x.abs();
    if (1e-5..1e15).contains(&a) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// A spinner on stderr for streaming work whose length is unknown (the number of records in
/// a compressed genotype file), or a hidden bar when `enabled` is false (`--quiet`).
/// indicatif draws nothing when stderr is not a terminal, so pipeline logs stay clean.
pub fn spinner(enabled: bool) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}").expect("valid template"),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// A set of output files that appear together or not at all.
///
/// Each file is written under a temporary name in its destination folder; [`commit`]
/// renames them all into place. Dropping the set without committing deletes the temporary
/// files, so a failed run leaves no partial output.
///
/// [`commit`]: OutputSet::commit
#[derive(Default)]
pub struct OutputSet {
    pending: Vec<(NamedTempFile, PathBuf)>,
}

impl OutputSet {
    /// An empty set; nothing is written until [`OutputSet::create`] is called.
    pub fn new() -> OutputSet {
        OutputSet::default()
    }

    /// Creates a temporary file that will become `dest` on commit.
    pub fn create(&mut self, dest: &Path) -> io::Result<&mut NamedTempFile> {
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&dir)?;
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        // Output files are ordinary, readable files (a temporary file is created 0600).
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
        let tmp = builder.tempfile_in(&dir)?;
        self.pending.push((tmp, dest.to_path_buf()));
        Ok(&mut self.pending.last_mut().expect("just pushed").0)
    }

    /// Writes a whole file from a closure.
    pub fn write_with<F>(&mut self, dest: &Path, f: F) -> io::Result<()>
    where
        F: FnOnce(&mut dyn Write) -> io::Result<()>,
    {
        let tmp = self.create(dest)?;
        let mut w = io::BufWriter::new(tmp.as_file_mut());
        f(&mut w)?;
        w.flush()?;
        Ok(())
    }

    /// Moves every file into place.
    pub fn commit(self) -> io::Result<Vec<PathBuf>> {
        let mut done = Vec::with_capacity(self.pending.len());
        for (tmp, dest) in self.pending {
            tmp.as_file().sync_all()?;
            tmp.persist(&dest).map_err(|e| e.error)?;
            done.push(dest);
        }
        Ok(done)
    }
}

/// `PREFIX` + `suffix` (plink-style output naming: `out` -> `out.sscore`).
pub fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut s = prefix.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// An I/O error on a named file or directory: the one error variant every module wraps
/// (as `Io(#[from] PathIoError)`), so that every message names the path.
///
/// Its message is `PATH: what the operating system said`, and it reports no further
/// source: the binary prints the error chain (`{:#}`), which would otherwise repeat the
/// operating system's words.
#[derive(Debug)]
pub struct PathIoError {
    /// The file or directory the operation was on.
    pub path: PathBuf,
    /// What the operating system said.
    pub source: io::Error,
}

impl std::fmt::Display for PathIoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.source)
    }
}

impl std::error::Error for PathIoError {}

impl PathIoError {
    /// The error of an operation on `path`.
    pub fn new(path: &Path, source: io::Error) -> PathIoError {
        PathIoError {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A `map_err` adapter: `fs::read(p).map_err(PathIoError::on(p))`.
    pub fn on(path: &Path) -> impl FnOnce(io::Error) -> PathIoError + '_ {
        move |source| PathIoError::new(path, source)
    }
}

/// The first two bytes of every gzip member (RFC 1952, 2.3.1); BGZF files are gzip too.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Read buffer of [`open_text`]: large enough that decompression, not system calls,
/// dominates on multi-gigabyte summary statistics.
const TEXT_READ_BUFFER: usize = 1 << 18;

/// Opens a text file for line-by-line reading, decompressing it when it starts with the
/// gzip magic bytes (plain gzip and bgzip alike, several members included), whatever its
/// name says: PGS Catalog and GWAS Catalog downloads are `.gz`, users' files often are
/// renamed.
pub fn open_text(path: &Path) -> Result<Box<dyn BufRead>, PathIoError> {
    let io = PathIoError::on(path);
    let mut file = File::open(path).map_err(PathIoError::on(path))?;
    let mut magic = [0u8; 2];
    let mut got = 0;
    while got < magic.len() {
        match file.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(e)),
        }
    }
    let file = File::open(path).map_err(PathIoError::on(path))?;
    Ok(if got == 2 && magic == GZIP_MAGIC {
        Box::new(BufReader::with_capacity(
            TEXT_READ_BUFFER,
            MultiGzDecoder::new(file),
        ))
    } else {
        Box::new(BufReader::with_capacity(TEXT_READ_BUFFER, file))
    })
}

/// Why a [`StagedDir`] could not be made or put in place.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// The destination exists with files in it and replacing was not asked for.
    #[error("{}: output directory exists and is not empty", path.display())]
    NotEmpty {
        /// The destination directory.
        path: PathBuf,
    },
    /// Creating, listing, removing or renaming failed.
    #[error(transparent)]
    Io(#[from] PathIoError),
}

/// An output directory built beside its destination and renamed into place when complete,
/// so that a failed run leaves nothing behind (the "no half-written files" rule of
/// ARCHITECTURE.md). Dropping it without [`commit`](StagedDir::commit) deletes it.
pub struct StagedDir {
    dir: tempfile::TempDir,
    out: PathBuf,
    replace: bool,
}

impl StagedDir {
    /// Stages `out`: refuses a non-empty `out` unless `replace`, then creates a hidden
    /// `.NAME.tmp-XXXX` directory in `out`'s parent (the same file system, so the final
    /// rename is atomic). `default_name` names it when `out` has no file name.
    pub fn new(out: &Path, default_name: &str, replace: bool) -> Result<StagedDir, StageError> {
        if out.exists() {
            let non_empty = fs::read_dir(out)
                .map_err(PathIoError::on(out))?
                .next()
                .is_some();
            if non_empty && !replace {
                return Err(StageError::NotEmpty {
                    path: out.to_path_buf(),
                });
            }
        }
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(PathIoError::on(&parent))?;
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| default_name.into());
        let dir = tempfile::Builder::new()
            .prefix(&format!(".{name}.tmp-"))
            .tempdir_in(&parent)
            .map_err(PathIoError::on(&parent))?;
        Ok(StagedDir {
            dir,
            out: out.to_path_buf(),
            replace,
        })
    }

    /// Where to write the files while staging.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The destination.
    pub fn out(&self) -> &Path {
        &self.out
    }

    /// Moves the staged directory into place (replacing `out` when staged with `replace`,
    /// or when it is an empty directory), readable by all (0755), and returns the path it was staged at, so that
    /// callers can rewrite staged file paths to their final ones.
    pub fn commit(self) -> Result<PathBuf, PathIoError> {
        // A temporary directory is created 0700; results are ordinary, readable folders.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(self.dir.path(), fs::Permissions::from_mode(0o755))
                .map_err(PathIoError::on(&self.out))?;
        }
        let staged = self.dir.keep();
        if self.out.exists() {
            if self.replace {
                fs::remove_dir_all(&self.out).map_err(PathIoError::on(&self.out))?;
            } else {
                fs::remove_dir(&self.out).map_err(PathIoError::on(&self.out))?;
            }
        }
        fs::rename(&staged, &self.out).map_err(PathIoError::on(&self.out))?;
        Ok(staged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: outputs were left with the temporary file's 0600 mode.
    #[cfg(unix)]
    #[test]
    fn committed_outputs_are_world_readable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.tsv");
        let mut set = OutputSet::new();
        set.write_with(&dest, |w| w.write_all(b"x\n")).unwrap();
        set.commit().unwrap();
        let mode = fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o044, 0o044, "mode {mode:o}");
    }

    #[test]
    fn floats_round_trip() {
        for x in [0.54502, 1e-7, -3.3e20, 0.1 + 0.2, 123456.789, -0.000348478] {
            let s = fmt_f64(x);
            assert_eq!(s.parse::<f64>().unwrap(), x, "{s}");
        }
        assert_eq!(fmt_f64(0.0), "0");
        assert_eq!(fmt_f64(2.5), "2.5");
        assert_eq!(fmt_f64(1e-7), "1e-7");
    }

    #[test]
    fn output_set_is_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        let b = dir.path().join("sub/b.txt");
        {
            let mut set = OutputSet::new();
            set.write_with(&a, |w| w.write_all(b"x")).unwrap();
            set.write_with(&b, |w| w.write_all(b"y")).unwrap();
            // dropped without commit
        }
        assert!(!a.exists() && !b.exists());
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "only the created sub folder remains");
        let mut set = OutputSet::new();
        set.write_with(&a, |w| w.write_all(b"x")).unwrap();
        set.write_with(&b, |w| w.write_all(b"y")).unwrap();
        set.commit().unwrap();
        assert_eq!(fs::read_to_string(&a).unwrap(), "x");
        assert_eq!(fs::read_to_string(&b).unwrap(), "y");
    }

    /// Regression: the binary prints the error chain, and the path error used to repeat
    /// the operating system's message ("no such file: no such file").
    #[test]
    fn io_errors_name_the_file_once() {
        let e = PathIoError::new(
            Path::new("/x/y.tsv"),
            io::Error::new(io::ErrorKind::NotFound, "no such file"),
        );
        assert_eq!(format!("{e}"), "/x/y.tsv: no such file");
        assert!(std::error::Error::source(&e).is_none());
    }

    #[test]
    fn text_opener_reads_gzip_by_content_and_plain_text_whatever_the_name() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("a.txt");
        let mut enc = flate2::write::GzEncoder::new(
            fs::File::create(&gz).unwrap(),
            flate2::Compression::default(),
        );
        enc.write_all(b"one\ntwo\n").unwrap();
        enc.finish().unwrap();
        let plain = dir.path().join("b.txt.gz");
        fs::write(&plain, "three\n").unwrap();
        let lines = |p: &Path| -> Vec<String> {
            open_text(p).unwrap().lines().map(|l| l.unwrap()).collect()
        };
        assert_eq!(lines(&gz), ["one", "two"]);
        assert_eq!(lines(&plain), ["three"]);
        let short = dir.path().join("c.txt");
        fs::write(&short, "x").unwrap();
        assert_eq!(lines(&short), ["x"]);
        let e = open_text(&dir.path().join("missing")).err().unwrap();
        assert!(e.to_string().contains("missing"), "{e}");
    }

    #[test]
    fn staged_dir_appears_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("model");
        // Dropped without commit: nothing is left, not even the staging directory.
        {
            let staged = StagedDir::new(&out, "model", false).unwrap();
            fs::write(staged.path().join("config.json"), "{}").unwrap();
        }
        assert!(!out.exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        // Committed: the files are at their final place, readable by all.
        let staged = StagedDir::new(&out, "model", false).unwrap();
        fs::write(staged.path().join("config.json"), "{}").unwrap();
        staged.commit().unwrap();
        assert_eq!(fs::read_to_string(out.join("config.json")).unwrap(), "{}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&out).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o755);
        }
        // A non-empty destination is refused unless replacing.
        let e = StagedDir::new(&out, "model", false).err().unwrap();
        assert!(matches!(e, StageError::NotEmpty { .. }), "{e}");
        assert!(e
            .to_string()
            .ends_with("output directory exists and is not empty"));
        let staged = StagedDir::new(&out, "model", true).unwrap();
        fs::write(staged.path().join("new"), "1").unwrap();
        staged.commit().unwrap();
        assert!(out.join("new").exists() && !out.join("config.json").exists());
        // An empty destination directory is replaced.
        let empty = dir.path().join("empty");
        fs::create_dir(&empty).unwrap();
        StagedDir::new(&empty, "x", false)
            .unwrap()
            .commit()
            .unwrap();
        assert!(empty.is_dir());
    }
}
