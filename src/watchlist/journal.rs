//! The edit journal beside a list CSV: recent edits appended, never the whole list rewritten.
//!
//! Rewriting a million-row list for every edit costs about a second; appending the edited
//! row costs one `write` and one `fsync`. The journal of `DIR/NAME` is `DIR/.NAME.journal`
//! (beside the writers' `.NAME.lock`), mode 0600, one line per edit:
//!
//! ```text
//! {"header":["id","address",…],"row":["7","東京都…",…]}
//! ```
//!
//! the full current cells of the edited row (a *row image*) with the header they belong to.
//! Lines are appended under the list's writer lock ([`super::ListFile::lock`]).
//!
//! **Replay** ([`read_list`], the one function every reader of a list CSV goes through): the
//! last image of an id replaces that id's row where it stands; an id the CSV lacks is added
//! after the last row, in journal order. Cells are matched to the CSV's columns by name.
//! Replaying is idempotent, so a crash anywhere is safe: an image applied twice (the CSV
//! already holds it) changes nothing. A last line without its newline (a crash mid-append) is
//! ignored, and cut off by the next append. A complete line that is not a row image is an
//! error naming its line ([`WatchlistError::Journal`]): an edit is never dropped silently.
//!
//! **Folding**: [`super::ListFile::save`] writes the CSV with the journal applied and then
//! removes the journal; a service folds it in the background ([`super::editor`]).
//!
//! **Version**: [`ListBytes::version`] is a [`Digest`] of the list's content with the journal
//! applied — of its rows' cells, not of the files' bytes — so every edit changes it, the same
//! entries give the same version after a restart, and a fold (same entries) keeps it.
//!
//! Reading order: the journal first, then the CSV. A fold renames the new CSV in before it
//! removes the journal, so a reader never pairs an old CSV with a journal already folded
//! away (at worst a new CSV with the images it already holds: harmless).

use super::load::{cell, text_cell, ListCsv};
use crate::error::WatchlistError;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// One journal line: a row image and the header it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    header: Vec<String>,
    row: Vec<String>,
}

/// `DIR/.NAME.journal` for the list `DIR/NAME`.
pub fn journal_path(list: &Path) -> PathBuf {
    let name = list.file_name().unwrap_or(list.as_os_str());
    let mut journal_name = std::ffi::OsString::from(".");
    journal_name.push(name);
    journal_name.push(".journal");
    list.with_file_name(journal_name)
}

/// What identifies one version of a file on disk: a writer replaces a list by renaming a new
/// file over it (a new inode), and a journal only grows until it is folded away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileIdentity {
    /// Length in bytes.
    pub len: u64,
    /// Modification time.
    pub modified: Option<std::time::SystemTime>,
    /// Inode (0 where the platform has none).
    pub inode: u64,
}

impl FileIdentity {
    /// The identity of an open file.
    pub fn of(meta: &std::fs::Metadata) -> FileIdentity {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        FileIdentity {
            len: meta.len(),
            modified: meta.modified().ok(),
            inode,
        }
    }

    /// The identity of the file at `path` now (`None`: no file).
    pub fn at(path: &Path) -> Result<Option<FileIdentity>, WatchlistError> {
        match std::fs::metadata(path) {
            Ok(meta) => Ok(Some(FileIdentity::of(&meta))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(WatchlistError::Io {
                path: path.to_owned(),
                source,
            }),
        }
    }
}

/// A list's journal as read: the last image of each id, in the order ids first appear.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    /// (header, row) of each journalled id, first-appearance order.
    images: Vec<(Vec<String>, Vec<String>)>,
    /// Trimmed id → index in `images`.
    by_id: HashMap<String, usize>,
    /// Bytes up to and including the last newline (what is replayed).
    valid_len: u64,
    /// Bytes in the file (more than `valid_len` after a crash mid-append).
    file_len: u64,
    /// CRC-32 of the complete lines as read (before any append through this value).
    crc: u32,
}

impl Journal {
    /// Reads the journal of the list at `list` (none: an empty journal), with its complete
    /// lines' bytes.
    pub fn read(list: &Path) -> Result<(Journal, Vec<u8>), WatchlistError> {
        let path = journal_path(list);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Journal::default(), Vec::new()))
            }
            Err(source) => return Err(WatchlistError::Io { path, source }),
        };
        Journal::parse(&path, bytes)
    }

    /// The journal held in `bytes` (the content of the journal file `path`), with its
    /// complete lines' bytes.
    pub(crate) fn parse(
        path: &Path,
        mut bytes: Vec<u8>,
    ) -> Result<(Journal, Vec<u8>), WatchlistError> {
        let file_len = bytes.len() as u64;
        let valid = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        bytes.truncate(valid);
        let mut journal = Journal {
            file_len,
            valid_len: valid as u64,
            crc: crc32fast::hash(&bytes),
            ..Journal::default()
        };
        for (n, text) in bytes.split(|&b| b == b'\n').enumerate() {
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let line: Line = serde_json::from_slice(text).map_err(|_| WatchlistError::Journal {
                path: path.to_owned(),
                line: n as u64 + 1,
            })?;
            journal.push(line.header, line.row);
        }
        Ok((journal, bytes))
    }

    /// This journal once its torn last line is cut off (the file rewritten with the
    /// complete lines only).
    pub(crate) fn without_tail(mut self) -> Journal {
        self.file_len = self.valid_len;
        self
    }

    /// CRC-32 of the complete lines as read.
    pub fn crc(&self) -> u32 {
        self.crc
    }

    /// Records one image (the last one of an id wins).
    fn push(&mut self, header: Vec<String>, row: Vec<String>) {
        let id = cell(&header, &row, "id").trim().to_owned();
        match self.by_id.get(&id) {
            Some(&i) => {
                if let Some(slot) = self.images.get_mut(i) {
                    *slot = (header, row);
                }
            }
            None => {
                self.by_id.insert(id, self.images.len());
                self.images.push((header, row));
            }
        }
    }

    /// True when no edit is journalled.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// Journalled ids.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// Bytes of complete lines.
    pub fn valid_len(&self) -> u64 {
        self.valid_len
    }

    /// Bytes in the file.
    pub fn file_len(&self) -> u64 {
        self.file_len
    }

    /// True when `id` has an image.
    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id.trim())
    }

    /// The last image of `id`, its cells in the order of `header`.
    pub fn row_for(&self, id: &str, header: &[String]) -> Option<Vec<String>> {
        let &i = self.by_id.get(id.trim())?;
        let (h, row) = self.images.get(i)?;
        Some(reorder(h, row, header))
    }

    /// Every journalled row, first-appearance order, cells in the order of `header`, with
    /// its trimmed id.
    pub fn rows_for<'a>(
        &'a self,
        header: &'a [String],
    ) -> impl Iterator<Item = (&'a str, Vec<String>)> + 'a {
        self.images
            .iter()
            .map(move |(h, row)| (cell(h, row, "id").trim(), reorder(h, row, header)))
    }

    /// The header of the last image (what a journal without its CSV is read with).
    pub(crate) fn last_header(&self) -> Option<&[String]> {
        self.images.last().map(|(h, _)| h.as_slice())
    }

    /// Appends the image of `row` (cells in the order of `header`) to the journal of the
    /// list at `list`, durably (one write, then fsync), cutting off a torn last line first.
    /// Call it under the list's writer lock, on a journal read under that lock. Returns the
    /// bytes appended.
    pub fn append(
        &mut self,
        list: &Path,
        header: &[String],
        row: &[String],
    ) -> Result<Vec<u8>, WatchlistError> {
        let path = journal_path(list);
        let io = |source| WatchlistError::Io {
            path: path.clone(),
            source,
        };
        let line = Line {
            header: header.to_vec(),
            row: row.to_vec(),
        };
        let mut bytes = serde_json::to_vec(&line).map_err(|e| io(std::io::Error::other(e)))?;
        bytes.push(b'\n');
        let mut file = super::atomic::private_options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        let created = file.metadata().map_err(io)?.len() == 0 && self.file_len == 0;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(io)?;
        }
        if self.file_len != self.valid_len {
            file.set_len(self.valid_len).map_err(io)?;
        }
        file.seek(SeekFrom::Start(self.valid_len)).map_err(io)?;
        file.write_all(&bytes).map_err(io)?;
        file.sync_data().map_err(io)?;
        if created {
            super::atomic::sync_parent(&path).map_err(io)?;
        }
        self.valid_len += bytes.len() as u64;
        self.file_len = self.valid_len;
        self.push(line.header, line.row);
        Ok(bytes)
    }
}

/// Removes the journal of the list at `list` (after a fold); none is fine.
pub fn remove(list: &Path) -> Result<(), WatchlistError> {
    let path = journal_path(list);
    match std::fs::remove_file(&path) {
        Ok(()) => super::atomic::sync_parent(&path).map_err(|source| WatchlistError::Io {
            path: path.clone(),
            source,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(WatchlistError::Io { path, source }),
    }
}

/// `row` (cells in the order of `from`) with its cells in the order of `to`, matched by
/// column name (a column `row` lacks is empty).
fn reorder(from: &[String], row: &[String], to: &[String]) -> Vec<String> {
    if from == to {
        let mut cells = row.to_vec();
        cells.resize(to.len(), String::new());
        return cells;
    }
    to.iter()
        .map(|name| cell(from, row, name).to_owned())
        .collect()
}

/// A list CSV read with its journal applied (see the module documentation).
#[derive(Debug)]
pub struct ListBytes {
    /// The CSV's bytes with the journal applied (the CSV's own bytes when the journal is
    /// empty).
    pub bytes: Vec<u8>,
    /// The CSV as read (`None`: there is no CSV).
    pub csv: Option<FileIdentity>,
    /// The journal as read.
    pub journal: Journal,
    /// The CSV's own bytes when the journal changed them (`None`: `bytes` are the CSV's).
    pub raw: Option<Vec<u8>>,
}

impl ListBytes {
    /// True when there is neither a CSV nor a journal.
    pub fn is_absent(&self) -> bool {
        self.csv.is_none() && self.journal.is_empty()
    }

    /// The CSV's own bytes (without the journal).
    pub fn csv_bytes(&self) -> &[u8] {
        self.raw.as_deref().unwrap_or(&self.bytes)
    }

    /// The list's version: the [`Digest`] of its content with the journal applied (one
    /// pass over the rows; `None` when there is neither a CSV nor a journal).
    pub fn version(&self) -> Result<Option<u32>, WatchlistError> {
        if self.is_absent() {
            return Ok(None);
        }
        Digest::of_csv(&self.bytes).map(|d| Some(d.version()))
    }
}

/// The version of a list's content: a sum of a hash of every row's cells and of the header
/// (64-bit FNV-1a, mixed), shown as 32 bits. It depends on the cells only — not on CSV
/// quoting, row order or whether an edit sits in the journal or was folded into the CSV — so
/// a fold keeps it, a restart keeps it, and any edit changes it (an edit always changes a
/// row: its status, its history). An editor updates it per edit: minus the old row, plus the
/// new.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Digest {
    sum: u64,
}

impl Digest {
    /// The digest of an empty list with this header.
    pub fn with_header<C: AsRef<[u8]>>(header: impl IntoIterator<Item = C>) -> Digest {
        Digest {
            sum: header_term(header),
        }
    }

    /// Counts the header `old` (counted in by [`Digest::with_header`]) out and `new` in: a
    /// plain list's first journalled edit brings the management columns.
    pub fn replace_header<C: AsRef<[u8]>>(
        &mut self,
        old: impl IntoIterator<Item = C>,
        new: impl IntoIterator<Item = C>,
    ) {
        self.sum = self
            .sum
            .wrapping_sub(header_term(old))
            .wrapping_add(header_term(new));
    }

    /// The digest as a whole 64-bit number, to be kept elsewhere (the PostgreSQL store keeps
    /// each list's beside its rows) and restored with [`Digest::from_bits`].
    pub fn bits(&self) -> u64 {
        self.sum
    }

    /// The digest [`Digest::bits`] gave.
    pub fn from_bits(sum: u64) -> Digest {
        Digest { sum }
    }

    /// Counts a row in.
    pub fn add<C: AsRef<[u8]>>(&mut self, row: impl IntoIterator<Item = C>) {
        self.sum = self.sum.wrapping_add(mix(hash_cells(row)));
    }

    /// Counts a row out (one counted in before).
    pub fn remove<C: AsRef<[u8]>>(&mut self, row: impl IntoIterator<Item = C>) {
        self.sum = self.sum.wrapping_sub(mix(hash_cells(row)));
    }

    /// The digest of the list CSV in `bytes` (header names normalized as the loader does).
    pub fn of_csv(bytes: &[u8]) -> Result<Digest, WatchlistError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Digest::default());
        }
        let mut rows = ListCsv::open(bytes, true)?;
        let mut digest = Digest::with_header(&rows.header);
        let mut record = csv::ByteRecord::new();
        while rows.read(&mut record)? {
            digest.add(&record);
        }
        Ok(digest)
    }

    /// The version shown (`lists_version`'s part for this list).
    pub fn version(&self) -> u32 {
        (self.sum ^ (self.sum >> 32)) as u32
    }
}

/// FNV-1a 64 over the cells, each followed by a unit separator; trailing empty cells do not
/// count (a short row reads as padded).
fn hash_cells<C: AsRef<[u8]>>(cells: impl IntoIterator<Item = C>) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    // Empty cells seen and not hashed yet: hashed only when a non-empty cell follows.
    let mut empties = 0usize;
    for cell in cells {
        let cell = cell.as_ref();
        if cell.is_empty() {
            empties += 1;
            continue;
        }
        for _ in 0..std::mem::take(&mut empties) {
            h = (h ^ 0x1f).wrapping_mul(PRIME);
        }
        for &b in cell.iter().chain(std::iter::once(&0x1f)) {
            h = (h ^ u64::from(b)).wrapping_mul(PRIME);
        }
    }
    h
}

/// What a header adds to a [`Digest`] (told apart from a row holding the same cells).
fn header_term<C: AsRef<[u8]>>(header: impl IntoIterator<Item = C>) -> u64 {
    mix(hash_cells(header) ^ 0x6865_6164_6572)
}

/// A finalizer (splitmix64) so that sums of row hashes do not cancel by structure.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Reads the list CSV at `path` with its journal applied: what every reader of a list CSV
/// reads (the loader, [`super::ListFile::open`], a service). A missing CSV reads as empty
/// (no bytes) unless a journal exists, whose rows then follow their header.
pub fn read_list(path: &Path) -> Result<ListBytes, WatchlistError> {
    let (journal, _) = Journal::read(path)?;
    let io = |source| WatchlistError::Io {
        path: path.to_owned(),
        source,
    };
    let (csv, identity) = match std::fs::File::open(path) {
        Ok(mut file) => {
            let identity = FileIdentity::of(&file.metadata().map_err(io)?);
            let mut bytes = Vec::with_capacity(usize::try_from(identity.len).unwrap_or(0));
            file.read_to_end(&mut bytes).map_err(io)?;
            (bytes, Some(identity))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Vec::new(), None),
        Err(e) => return Err(io(e)),
    };
    let (bytes, raw) = if journal.is_empty() {
        (csv, None)
    } else {
        let merged = apply(&csv, &journal)?;
        (merged, Some(csv))
    };
    Ok(ListBytes {
        bytes,
        csv: identity,
        journal,
        raw,
    })
}

/// The version of the list at `path` ([`ListBytes::version`]; `None`: neither a CSV nor a
/// journal).
pub fn version_of(path: &Path) -> Result<Option<u32>, WatchlistError> {
    read_list(path)?.version()
}

/// The header a list is read with: its CSV's columns, then any column of a journalled image
/// that the CSV lacks (in the order the images name them). A plain list's first edit through
/// the journal brings the management columns this way, without rewriting the CSV: its rows
/// read as if padded with empty cells, which is what those columns hold for an entry never
/// edited.
pub(crate) fn read_header(csv_header: &[String], journal: &Journal) -> Vec<String> {
    let mut header = csv_header.to_vec();
    for (h, _) in &journal.images {
        for name in h {
            if !header.contains(name) {
                header.push(name.clone());
            }
        }
    }
    header
}

/// `csv` with `journal` applied: each journalled id's row replaced where it stands (its
/// bytes, up to the next row, give way to the image written as one CSV record), new ids
/// after the last row. Other rows are copied byte for byte — padded with empty cells when
/// the journal brings columns the CSV lacks ([`read_header`]).
fn apply(csv: &[u8], journal: &Journal) -> Result<Vec<u8>, WatchlistError> {
    let mut out = Vec::with_capacity(csv.len() + journal.len() * 256);
    // The ids whose image replaced their CSV row; the other images follow the last row.
    let mut placed: HashSet<&str> = HashSet::new();
    let header = if csv.iter().all(u8::is_ascii_whitespace) {
        // No CSV: the journal's rows under its own header.
        let header = journal.last_header().unwrap_or_default().to_vec();
        write_record(&mut out, &header)?;
        header
    } else {
        replace_rows(csv, journal, &mut out, &mut placed)?
    };
    for (id, row) in journal.rows_for(&header) {
        if !placed.contains(id) {
            write_record(&mut out, &row)?;
        }
    }
    Ok(out)
}

/// Copies `csv` to `out` with each journalled id's row replaced by its image (in the order
/// of the returned read header, [`read_header`]), noting those ids in `placed`; ends `out`
/// with a newline.
fn replace_rows<'j>(
    csv: &[u8],
    journal: &'j Journal,
    out: &mut Vec<u8>,
    placed: &mut HashSet<&'j str>,
) -> Result<Vec<String>, WatchlistError> {
    let mut rows = ListCsv::open(csv, true)?;
    let id_col = rows.column("id");
    let header = read_header(&rows.header, journal);
    // Cells each CSV row lacks (the columns only the journal has).
    let padding = header.len() - rows.header.len();
    let offset = |byte: u64| usize::try_from(byte).unwrap_or(csv.len()).min(csv.len());
    // Everything before the first record (the header) is copied as it is, or written anew
    // with the journal's columns.
    let mut region_start = offset(rows.position().byte());
    if padding == 0 {
        out.extend_from_slice(csv.get(..region_start).unwrap_or_default());
    } else {
        write_record(out, &header)?;
    }
    // The image replacing the record whose region starts at `region_start`.
    let mut image: Option<Vec<String>> = None;
    let mut record = csv::ByteRecord::new();
    // Whether the region ending at the next record holds a record (not the header's tail).
    let mut in_record = false;
    loop {
        let more = rows.read(&mut record)?;
        // A record's region runs to the start of the next one (or the end of the CSV).
        let region_end = match record.position() {
            Some(p) if more => offset(p.byte()),
            _ => csv.len(),
        };
        let region = csv.get(region_start..region_end).unwrap_or_default();
        match image.take() {
            Some(row) => write_record(out, &row)?,
            None if padding > 0 && in_record => pad_record(out, region, padding),
            None => out.extend_from_slice(region),
        }
        region_start = region_end;
        if !more {
            break;
        }
        in_record = true;
        let id = text_cell(&record, id_col).map(str::trim);
        if let Some((id, row)) = id.and_then(|id| Some((id, journal.row_for(id, &header)?))) {
            if let Some((key, _)) = journal.by_id.get_key_value(id) {
                placed.insert(key.as_str());
            }
            image = Some(row);
        }
    }
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    Ok(header)
}

/// Copies one record's region (the record, its line end, any blank lines after it) with
/// `padding` empty cells added before its line end.
fn pad_record(out: &mut Vec<u8>, region: &[u8], padding: usize) {
    let end = region
        .iter()
        .rposition(|&b| b != b'\n' && b != b'\r')
        .map_or(0, |i| i + 1);
    let Some(record) = region.get(..end).filter(|r| !r.is_empty()) else {
        out.extend_from_slice(region);
        return;
    };
    out.extend_from_slice(record);
    out.resize(out.len() + padding, b',');
    out.push(b'\n');
}

/// Writes one CSV record (with its `\n`) to `out`.
fn write_record(out: &mut Vec<u8>, cells: &[String]) -> Result<(), WatchlistError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |source| WatchlistError::Io {
        path: "<journal>".into(),
        source,
    };
    w.write_record(cells)
        .map_err(|e| io(std::io::Error::other(e.to_string())))?;
    let bytes = w
        .into_inner()
        .map_err(|e| io(std::io::Error::other(e.to_string())))?;
    out.extend_from_slice(&bytes);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fictional flats at real blocks of 銀座 and 梅田.
    const CSV: &str = "id,address,reason,status\n\
        1,東京都中央区銀座4-6-16 架空ハイツ301号室,chargeback,active\n\
        2,大阪府大阪市北区梅田3-1-1 架空タワー1205号室,resale,active\n";

    fn cells(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    fn header() -> Vec<String> {
        cells(&["id", "address", "reason", "status"])
    }

    fn scratch() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fraud.csv");
        std::fs::write(&path, CSV).unwrap();
        (dir, path)
    }

    fn merged(path: &Path) -> String {
        String::from_utf8(read_list(path).unwrap().bytes).unwrap()
    }

    #[test]
    fn the_journal_sits_beside_the_list() {
        assert_eq!(
            journal_path(Path::new("/srv/lists/fraud.csv")),
            Path::new("/srv/lists/.fraud.csv.journal")
        );
        assert_eq!(
            journal_path(Path::new("fraud.csv")),
            Path::new(".fraud.csv.journal")
        );
    }

    #[test]
    fn images_replace_rows_where_they_stand_and_new_ids_follow() {
        let (_dir, path) = scratch();
        let untouched = read_list(&path).unwrap();
        assert_eq!(
            untouched.bytes,
            CSV.as_bytes(),
            "no journal: the CSV's bytes"
        );
        let before = untouched.version().unwrap().unwrap();

        let mut journal = Journal::read(&path).unwrap().0;
        let disabled = cells(&[
            "1",
            "東京都中央区銀座4-6-16 架空ハイツ301号室",
            "chargeback",
            "disabled",
        ]);
        let added = cells(&[
            "3",
            "大阪府大阪市北区梅田3-1-1 架空タワー1206号室",
            "unpaid",
            "active",
        ]);
        journal.append(&path, &header(), &disabled).unwrap();
        journal.append(&path, &header(), &added).unwrap();
        let text = merged(&path);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert_eq!(
            lines[1],
            "1,東京都中央区銀座4-6-16 架空ハイツ301号室,chargeback,disabled"
        );
        assert!(lines[2].starts_with("2,"), "other rows keep their place");
        assert!(lines[3].starts_with("3,"), "a new id follows the last row");

        // The version follows the content: changed by the edits, the same once folded
        // (other bytes: quoted differently), whatever the quoting.
        let read = read_list(&path).unwrap();
        let after = read.version().unwrap().unwrap();
        assert_ne!(after, before);
        assert_eq!(version_of(&path).unwrap(), Some(after));
        let quoted = text.replace("chargeback,disabled", "\"chargeback\",\"disabled\"");
        std::fs::write(&path, &quoted).unwrap();
        remove(&path).unwrap();
        assert_eq!(
            version_of(&path).unwrap(),
            Some(after),
            "folded: same version"
        );
        std::fs::write(&path, CSV).unwrap();
        assert_eq!(
            version_of(&path).unwrap(),
            Some(before),
            "same entries, same version"
        );
    }

    #[test]
    fn the_digest_counts_every_cell_and_the_header() {
        let row = cells(&["1", "東京都中央区銀座4-6-16", "chargeback", "active"]);
        let mut a = Digest::with_header(header());
        a.add(&row);
        let mut padded = row.clone();
        padded.push(String::new());
        let mut b = Digest::with_header(header());
        b.add(&padded);
        assert_eq!(a, b, "a trailing empty cell is no change");
        let mut disabled = row.clone();
        disabled[3] = "disabled".into();
        let mut c = a;
        c.remove(&row);
        c.add(&disabled);
        assert_ne!(c.version(), a.version());
        c.remove(&disabled);
        c.add(&row);
        assert_eq!(c, a, "minus the old row, plus the new");
        // Cells do not run into each other; the header counts.
        let mut split = Digest::with_header(header());
        split.add(cells(&["12", "3"]));
        let mut joined = Digest::with_header(header());
        joined.add(cells(&["1", "23"]));
        assert_ne!(split, joined);
        assert_ne!(
            Digest::with_header(header()),
            Digest::with_header(cells(&["id"]))
        );
        // Rows count in any order.
        let other = cells(&["2", "大阪府大阪市北区梅田3-1-1", "resale", "active"]);
        let (mut x, mut y) = (Digest::default(), Digest::default());
        x.add(&row);
        x.add(&other);
        y.add(&other);
        y.add(&row);
        assert_eq!(x, y);
    }

    #[test]
    fn replaying_is_idempotent_and_the_last_image_wins() {
        let (_dir, path) = scratch();
        let mut journal = Journal::read(&path).unwrap().0;
        let row = |status: &str| {
            cells(&[
                "2",
                "大阪府大阪市北区梅田3-1-1 架空タワー1205号室",
                "resale",
                status,
            ])
        };
        journal.append(&path, &header(), &row("disabled")).unwrap();
        journal.append(&path, &header(), &row("active")).unwrap();
        journal.append(&path, &header(), &row("disabled")).unwrap();
        let once = merged(&path);
        assert_eq!(once.lines().count(), 3);
        assert!(once.contains("resale,disabled"), "{once}");
        // A fold that crashed before removing the journal: the CSV holds the images already.
        std::fs::write(&path, &once).unwrap();
        assert_eq!(merged(&path), once);
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_cut_off_by_the_next_append() {
        let (_dir, path) = scratch();
        let mut journal = Journal::read(&path).unwrap().0;
        let row = cells(&[
            "2",
            "大阪府大阪市北区梅田3-1-1 架空タワー1205号室",
            "resale",
            "disabled",
        ]);
        journal.append(&path, &header(), &row).unwrap();
        let complete = std::fs::read(journal_path(&path)).unwrap();
        // A crash mid-append: half a line, no newline.
        let mut torn = complete.clone();
        torn.extend_from_slice(br#"{"header":["id","address"],"row":["9","#);
        std::fs::write(journal_path(&path), &torn).unwrap();
        let read = read_list(&path).unwrap();
        assert_eq!(read.journal.len(), 1);
        assert_eq!(read.journal.valid_len(), complete.len() as u64);
        assert_eq!(read.journal.file_len(), torn.len() as u64);
        assert!(!String::from_utf8(read.bytes).unwrap().contains("\n9,"));

        let mut journal = read.journal;
        let added = cells(&[
            "3",
            "大阪府大阪市北区梅田3-1-1 架空タワー1206号室",
            "unpaid",
            "active",
        ]);
        journal.append(&path, &header(), &added).unwrap();
        let after = std::fs::read_to_string(journal_path(&path)).unwrap();
        assert_eq!(after.lines().count(), 2, "the torn line is gone: {after}");
        assert!(after.ends_with('\n'));
        assert_eq!(Journal::read(&path).unwrap().0.len(), 2);
    }

    #[test]
    fn a_damaged_complete_line_is_an_error_naming_it() {
        let (_dir, path) = scratch();
        std::fs::write(journal_path(&path), "not json\n").unwrap();
        let e = read_list(&path).unwrap_err();
        assert!(
            matches!(e, WatchlistError::Journal { line: 1, .. }),
            "{e:?}"
        );
    }

    #[test]
    fn cells_follow_the_csv_columns_by_name() {
        let (_dir, path) = scratch();
        let mut journal = Journal::read(&path).unwrap().0;
        // An image written with the columns in another order and one more column.
        let other = cells(&["status", "id", "memo", "address", "reason"]);
        let row = cells(&[
            "disabled",
            "1",
            "refunded",
            "東京都中央区銀座4-6-16 架空ハイツ301号室",
            "chargeback",
        ]);
        journal.append(&path, &other, &row).unwrap();
        let text = merged(&path);
        // The column the CSV lacks is read after its own, the other rows empty in it.
        assert_eq!(
            text,
            "id,address,reason,status,memo\n\
             1,東京都中央区銀座4-6-16 架空ハイツ301号室,chargeback,disabled,refunded\n\
             2,大阪府大阪市北区梅田3-1-1 架空タワー1205号室,resale,active,\n"
        );
        let list = read_list(&path).unwrap();
        let mut digest = Digest::of_csv(list.csv_bytes()).unwrap();
        digest.replace_header(
            header(),
            cells(&["id", "address", "reason", "status", "memo"]),
        );
        digest.remove(cells(&[
            "1",
            "東京都中央区銀座4-6-16 架空ハイツ301号室",
            "chargeback",
            "active",
        ]));
        digest.add(row_in_csv_order(&row));
        assert_eq!(
            list.version().unwrap(),
            Some(digest.version()),
            "the version counts the wider header and the image; untouched rows hash the same padded"
        );
    }

    /// `row` (cells in the order status, id, memo, address, reason) in the merged order.
    fn row_in_csv_order(row: &[String]) -> Vec<String> {
        [1, 3, 4, 0, 2].iter().map(|&i| row[i].clone()).collect()
    }

    #[test]
    fn a_journal_without_its_csv_reads_under_its_own_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.csv");
        assert!(read_list(&path).unwrap().is_absent());
        assert_eq!(version_of(&path).unwrap(), None);
        let mut journal = Journal::default();
        let row = cells(&[
            "1",
            "東京都中央区銀座4-6-16 架空ハイツ301号室",
            "chargeback",
            "active",
        ]);
        journal.append(&path, &header(), &row).unwrap();
        let text = merged(&path);
        assert_eq!(
            text,
            "id,address,reason,status\n1,東京都中央区銀座4-6-16 架空ハイツ301号室,chargeback,active\n"
        );
        remove(&path).unwrap();
        remove(&path).unwrap();
        assert!(read_list(&path).unwrap().is_absent());
    }

    #[test]
    fn a_csv_without_a_final_newline_gets_one_before_new_rows() {
        let (_dir, path) = scratch();
        std::fs::write(&path, CSV.trim_end()).unwrap();
        let mut journal = Journal::default();
        let added = cells(&[
            "3",
            "大阪府大阪市北区梅田3-1-1 架空タワー1206号室",
            "unpaid",
            "active",
        ]);
        journal.append(&path, &header(), &added).unwrap();
        let text = merged(&path);
        assert!(text.contains("active\n3,"), "{text}");
    }

    #[cfg(unix)]
    #[test]
    fn the_journal_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let (_dir, path) = scratch();
        std::fs::write(journal_path(&path), "").unwrap();
        std::fs::set_permissions(journal_path(&path), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        let mut journal = Journal::default();
        let row = cells(&[
            "1",
            "東京都中央区銀座4-6-16 架空ハイツ301号室",
            "chargeback",
            "disabled",
        ]);
        journal.append(&path, &header(), &row).unwrap();
        let mode = std::fs::metadata(journal_path(&path))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
