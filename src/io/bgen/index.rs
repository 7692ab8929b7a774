//! bgenix `.bgi` indexes: finding wanted variants' offsets, and writing an index.
//!
//! A `.bgi` file is an SQLite database written by bgenix (part of the BGEN reference
//! implementation). Its `Variant` table lists every variant's chromosome and position as
//! written in the BGEN file, with the byte offset and size of the whole variant block;
//! its `Metadata` table records the indexed file's size and first 1,000 bytes, which we
//! compare to refuse an index that belongs to another version of the file.

use std::io::Read;
use std::path::Path;
use std::time::UNIX_EPOCH;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::{BgenFile, RawVariant};
use crate::genome::{Chrom, Position};
use crate::io::{Location, ReadError, SiteFilter};

/// bgenix keeps this many leading bytes of the indexed file to recognise it later.
const FINGERPRINT_BYTES: usize = 1000;

const CREATE_METADATA: &str = "CREATE TABLE Metadata ( filename TEXT NOT NULL, file_size INT NOT NULL, last_write_time INT NOT NULL, first_1000_bytes BLOB NOT NULL, index_creation_time INT NOT NULL)";

const CREATE_VARIANT: &str = "CREATE TABLE Variant (  chromosome TEXT NOT NULL,  position INT NOT NULL,  rsid TEXT NOT NULL,  number_of_alleles INT NOT NULL,  allele1 TEXT NOT NULL,  allele2 TEXT NULL,  file_start_position INT NOT NULL,  size_in_bytes INT NOT NULL,  PRIMARY KEY (chromosome, position, rsid, allele1, allele2, file_start_position )) WITHOUT ROWID";

/// A variant the index says the filter wants: where it starts, and what the index says
/// it is (checked against the file when read).
#[derive(Clone, Debug)]
pub(crate) struct PlannedVariant {
    pub(crate) offset: u64,
    pub(crate) chrom: String,
    pub(crate) pos: Position,
}

fn index_error(bgi: &Path, message: impl Into<String>) -> ReadError {
    ReadError::malformed(bgi, Location::Header, message)
}

fn sql_error(bgi: &Path, doing: &str, e: rusqlite::Error) -> ReadError {
    index_error(bgi, format!("cannot {doing}: {e}"))
}

/// The first bytes of a file, for the index fingerprint.
fn fingerprint(path: &Path) -> Result<Vec<u8>, ReadError> {
    let file = std::fs::File::open(path).map_err(|e| ReadError::io(path, e))?;
    let mut head = Vec::with_capacity(FINGERPRINT_BYTES);
    file.take(FINGERPRINT_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| ReadError::io(path, e))?;
    Ok(head)
}

/// Asks the index for the offsets of the variants `filter` wants, in file order.
///
/// Chromosome spellings differ between files (`01`, `1`, `chr1`), so the distinct
/// spellings in the index are listed first (one B-tree seek each) and every spelling that
/// [`Chrom::parse`]s to a wanted chromosome is queried for the wanted position range;
/// exact positions are then checked in Rust with `filter.wants`.
pub(crate) fn plan(
    bgi: &Path,
    bgen: &BgenFile,
    filter: &SiteFilter,
) -> Result<Vec<PlannedVariant>, ReadError> {
    let conn = Connection::open_with_flags(
        bgi,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| sql_error(bgi, "open the index", e))?;
    check_metadata(&conn, bgi, bgen)?;

    let mut spellings = Vec::new();
    {
        let mut next = conn
            .prepare("SELECT MIN(chromosome) FROM Variant WHERE chromosome > ?1")
            .map_err(|e| sql_error(bgi, "read the Variant table", e))?;
        let mut after = String::new();
        while let Some(chrom) = next
            .query_row([&after], |row| row.get::<_, Option<String>>(0))
            .map_err(|e| sql_error(bgi, "list chromosomes", e))?
        {
            spellings.push(chrom.clone());
            after = chrom;
        }
    }

    let wanted = filter.chroms();
    let mut stmt = conn
        .prepare(
            "SELECT position, file_start_position FROM Variant \
             WHERE chromosome = ?1 AND position BETWEEN ?2 AND ?3",
        )
        .map_err(|e| sql_error(bgi, "read the Variant table", e))?;
    let mut plan = Vec::new();
    for spelling in spellings {
        let chrom = Chrom::parse(&spelling);
        if wanted.as_ref().is_some_and(|w| !w.contains(&chrom)) {
            continue;
        }
        let Some(lo) = filter.next_wanted(&chrom, 0) else {
            continue;
        };
        let mut hi = filter.region().map_or(Position::MAX, |r| r.end);
        if let Some(&last) = filter.positions_on(&chrom).and_then(|p| p.last()) {
            hi = hi.min(last);
        }
        let to_sql = |p: Position| i64::try_from(p).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![spelling, to_sql(lo), to_sql(hi)], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
            })
            .map_err(|e| sql_error(bgi, "query the Variant table", e))?;
        for row in rows {
            let (pos, offset) = row.map_err(|e| sql_error(bgi, "read a Variant row", e))?;
            let (Ok(pos), Ok(offset)) = (u64::try_from(pos), u64::try_from(offset)) else {
                return Err(index_error(
                    bgi,
                    format!("negative position or offset in Variant row ({pos}, {offset})"),
                ));
            };
            if filter.wants(&chrom, pos) {
                plan.push(PlannedVariant {
                    offset,
                    chrom: spelling.clone(),
                    pos,
                });
            }
        }
    }
    plan.sort_by_key(|v| v.offset);
    plan.dedup_by_key(|v| v.offset);
    if let Some(bad) = plan.iter().find(|v| v.offset >= bgen.len()) {
        return Err(index_error(
            bgi,
            format!(
                "lists a variant at byte {} but {} has {} bytes; rebuild the index",
                bad.offset,
                bgen.path().display(),
                bgen.len()
            ),
        ));
    }
    Ok(plan)
}

/// Refuses an index made for another file (size or first bytes differ). Indexes written
/// by old bgenix versions have no Metadata table and are trusted.
fn check_metadata(conn: &Connection, bgi: &Path, bgen: &BgenFile) -> Result<(), ReadError> {
    let has_metadata: bool = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'Metadata'",
            [],
            |row| row.get::<_, i64>(0),
        )
        .map_err(|e| sql_error(bgi, "read the index schema", e))?
        > 0;
    if !has_metadata {
        return Ok(());
    }
    let row = conn
        .query_row(
            "SELECT file_size, first_1000_bytes FROM Metadata",
            [],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?)),
        )
        .optional()
        .map_err(|e| sql_error(bgi, "read the Metadata table", e))?;
    let Some((size, head)) = row else {
        return Ok(());
    };
    let stale = |what: &str| {
        index_error(
            bgi,
            format!(
                "was made for another version of {} ({what} differs); rebuild the index",
                bgen.path().display()
            ),
        )
    };
    if u64::try_from(size).ok() != Some(bgen.len()) {
        return Err(stale("file size"));
    }
    if head != fingerprint(bgen.path())? {
        return Err(stale("the first 1000 bytes"));
    }
    Ok(())
}

/// Writes a bgenix-compatible `.bgi` index of `bgen` to `out`, returning the number of
/// variants indexed.
///
/// The tables are those bgenix creates (`Metadata`, and `Variant` with one row per
/// variant: chromosome, position and rsid as written, allele count, the first two alleles,
/// and the byte offset and size of the whole variant block), so bgenix, plink-era tools
/// and this reader can all use it. The index is written under a temporary name in the
/// destination folder and renamed into place, so a reader never sees half an index.
pub fn write_bgi(bgen: &Path, out: &Path) -> Result<u64, ReadError> {
    let mut file = BgenFile::open(bgen)?;
    let head = fingerprint(bgen)?;
    let mtime = std::fs::metadata(bgen)
        .and_then(|m| m.modified())
        .map_err(|e| ReadError::io(bgen, e))?
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());

    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = out
        .file_name()
        .map_or_else(|| "index".into(), |n| n.to_string_lossy().into_owned());
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| ReadError::io(out, e))?;
    let fail = |doing: &str, e: rusqlite::Error| sql_error(out, doing, e);

    let mut conn = Connection::open(tmp.path()).map_err(|e| fail("create the index", e))?;
    conn.execute_batch("PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF;")
        .map_err(|e| fail("configure the index", e))?;
    let tx = conn
        .transaction()
        .map_err(|e| fail("start writing the index", e))?;
    tx.execute(CREATE_METADATA, [])
        .map_err(|e| fail("create the Metadata table", e))?;
    tx.execute(CREATE_VARIANT, [])
        .map_err(|e| fail("create the Variant table", e))?;
    tx.execute(
        "INSERT INTO Metadata (filename, file_size, last_write_time, first_1000_bytes, index_creation_time) \
         VALUES (?1, ?2, ?3, ?4, CURRENT_TIMESTAMP)",
        params![
            bgen.to_string_lossy(),
            i64::try_from(file.len()).unwrap_or(i64::MAX),
            i64::try_from(mtime).unwrap_or(i64::MAX),
            head
        ],
    )
    .map_err(|e| fail("write the Metadata table", e))?;

    let mut count = 0u64;
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO Variant (chromosome, position, rsid, number_of_alleles, allele1, allele2, file_start_position, size_in_bytes) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(|e| fail("write the Variant table", e))?;
        let mut rec = RawVariant::default();
        file.rewind()?;
        for ordinal in 1..=u64::from(file.header.n_variants) {
            file.begin_variant(Some(ordinal));
            let start = file.position();
            let block = file.read_variant(&mut rec)?;
            let end = block.start + block.len;
            file.seek_to(end)?;
            insert
                .execute(params![
                    rec.chrom,
                    rec.pos,
                    rec.rsid,
                    rec.alleles.len() as i64,
                    rec.alleles.first().map_or("", String::as_str),
                    // The primary key of a WITHOUT ROWID table cannot hold NULL.
                    rec.alleles.get(1).map_or("", String::as_str),
                    start as i64,
                    (end - start) as i64,
                ])
                .map_err(|e| fail("write a Variant row", e))?;
            count += 1;
        }
    }
    tx.commit().map_err(|e| fail("finish the index", e))?;
    conn.close().map_err(|(_, e)| fail("close the index", e))?;
    tmp.persist(out).map_err(|e| ReadError::io(out, e.error))?;
    Ok(count)
}
