//! Edits of a big list without reading or rewriting it: what a service keeps in memory so
//! that an edit costs one journal append ([`super::journal`]).
//!
//! [`ListFile`] holds every row and rewrites the whole file: about a second per edit on a
//! million-row list. A [`ListEditor`] holds only what an edit needs — the header, the byte
//! offset of each id's row in the CSV (16 bytes per row: a hash of the id and the offset,
//! sorted), the largest numeric id, the journal's images — and reads the one row an edit
//! changes from the CSV. An edit goes through the same row rules as [`ListFile`] (the same
//! checks, the same history) and is appended to the journal with one `write` + `fsync`.
//!
//! The editor is valid while the files are what it read: [`ListEditor::is_current`] compares
//! the CSV's identity (length, modification time, inode) and the journal's length with what
//! it saw; a service re-opens it when they differ (someone else edited the list).
//! Hold [`ListFile::lock`] around the check and the edit, as any writer does.
//!
//! [`ListEditor::fold`] writes the CSV with the journal applied and removes the journal, taking
//! the lock only for the rename: the big write happens before, so edits are not held up by it.

use super::atomic::{write_aside, write_atomic};
use super::journal::{self, FileIdentity, Journal, ListBytes};
use super::manage::{self, Action, EntryView, ListLock, NewEntry};
use super::ListFile;
use crate::error::{ListError, WatchlistError};
use crate::parse::Parser;
use std::hash::{Hash, Hasher};
use std::io::{BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What an edit needs of a list (see the module documentation).
#[derive(Debug, Clone)]
pub struct ListEditor {
    path: PathBuf,
    /// The CSV's columns (with the management columns).
    header: Vec<String>,
    /// The CSV the offsets point into (`None`: no CSV, the journal alone).
    csv: Option<FileIdentity>,
    /// The journal as read and appended to since.
    journal: Journal,
    /// (hash of the trimmed id, byte offset of its record in the CSV), sorted.
    ids: Vec<(u64, u64)>,
    /// The largest numeric id in the CSV and the journal.
    max_numeric_id: u64,
    /// CRC-32 of the CSV's bytes then the journal's: the list's version.
    hasher: crc32fast::Hasher,
}

/// The editor's hash of an id (in memory only: any fixed hash works).
fn id_hash(id: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    id.trim().hash(&mut h);
    h.finish()
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> ListError + '_ {
    move |source| {
        WatchlistError::Io {
            path: path.to_owned(),
            source,
        }
        .into()
    }
}

impl ListEditor {
    /// Reads the list at `path` (CSV and journal) once: about a second on a million rows.
    /// A plain list (without the management columns) cannot be edited through the journal
    /// ([`ListEditor::is_managed`]): [`ListEditor::manage`] it first.
    pub fn open(path: &Path) -> Result<ListEditor, ListError> {
        let list = journal::read_list(path)?;
        Self::index(path, &list, list.csv_bytes(), list.csv)
    }

    /// [`ListEditor::open`], after giving a plain list its management columns (one full
    /// write through [`ListFile`], as its first edit by `banchi list` would). Hold the
    /// list's writer lock.
    pub fn manage(path: &Path) -> Result<ListEditor, ListError> {
        let editor = Self::open(path)?;
        if editor.is_managed() {
            return Ok(editor);
        }
        let mut file = ListFile::open(path)?;
        file.ensure_columns();
        file.save()?;
        Self::open(path)
    }

    /// True when the list has the management columns (edits can be journalled).
    pub fn is_managed(&self) -> bool {
        manage::is_managed(&self.header)
    }

    /// The editor of `list` (read from `path`) whose CSV is `csv` (identity `identity`).
    fn index(
        path: &Path,
        list: &ListBytes,
        csv: &[u8],
        identity: Option<FileIdentity>,
    ) -> Result<ListEditor, ListError> {
        let mut header = header_of(list)?;
        let mut ids = Vec::new();
        let mut max_numeric_id = 0u64;
        if !csv.iter().all(u8::is_ascii_whitespace) {
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(true)
                .flexible(true)
                .from_reader(csv);
            let mut lines = super::load::Lines::new(csv);
            header = rdr
                .headers()
                .map_err(|e| super::load::csv_error(e, &mut lines))?
                .iter()
                .map(super::load::column_name)
                .collect();
            let id_col = header.iter().position(|h| h == "id");
            let mut record = csv::ByteRecord::new();
            while rdr
                .read_byte_record(&mut record)
                .map_err(|e| super::load::csv_error(e, &mut lines))?
            {
                let Some(id) = id_col
                    .and_then(|i| record.get(i))
                    .and_then(|b| std::str::from_utf8(b).ok())
                else {
                    continue;
                };
                if let Ok(n) = id.trim().parse::<u64>() {
                    max_numeric_id = max_numeric_id.max(n);
                }
                let offset = record.position().map_or(0, csv::Position::byte);
                ids.push((id_hash(id), offset));
            }
            ids.sort_unstable();
        }
        for (id, _) in list.journal.rows_for(&header) {
            if let Ok(n) = id.parse::<u64>() {
                max_numeric_id = max_numeric_id.max(n);
            }
        }
        Ok(ListEditor {
            path: path.to_owned(),
            header,
            csv: identity,
            journal: list.journal.clone(),
            ids,
            max_numeric_id,
            hasher: list.hasher.clone(),
        })
    }

    /// True while the files are what this editor read and wrote (no one else changed them).
    pub fn is_current(&self) -> Result<bool, ListError> {
        if FileIdentity::at(&self.path)? != self.csv {
            return Ok(false);
        }
        let journal_len =
            FileIdentity::at(&journal::journal_path(&self.path))?.map_or(0, |f| f.len);
        Ok(journal_len == self.journal.file_len())
    }

    /// The list's version: CRC-32 of the CSV then the journal (as [`journal::read_list`]
    /// gives it).
    pub fn version(&self) -> u32 {
        self.hasher.clone().finalize()
    }

    /// The columns, in file order.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// Entries edited since the CSV was last written whole (the journal's ids).
    pub fn journalled(&self) -> usize {
        self.journal.len()
    }

    /// The file this editor reads and appends to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cells of entry `id` now (journal first, then the CSV), in the order of
    /// [`ListEditor::header`].
    pub fn row(&self, id: &str) -> Result<Option<Vec<String>>, ListError> {
        let id = id.trim();
        if let Some(row) = self.journal.row_for(id, &self.header) {
            return Ok(Some(row));
        }
        let hash = id_hash(id);
        let from = self.ids.partition_point(|&(h, _)| h < hash);
        let candidates = self.ids.get(from..).unwrap_or_default();
        let mut file = None;
        for &(_, offset) in candidates.iter().take_while(|&&(h, _)| h == hash) {
            let file = match &mut file {
                Some(f) => f,
                None => file.insert(std::fs::File::open(&self.path).map_err(io_error(&self.path))?),
            };
            if let Some(row) = self.read_row(file, offset)? {
                if manage::cell(&self.header, &row, "id").trim() == id {
                    return Ok(Some(row));
                }
            }
        }
        Ok(None)
    }

    /// The record starting at byte `offset` of the CSV.
    fn read_row(
        &self,
        file: &mut std::fs::File,
        offset: u64,
    ) -> Result<Option<Vec<String>>, ListError> {
        file.seek(SeekFrom::Start(offset))
            .map_err(io_error(&self.path))?;
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(BufReader::with_capacity(8 * 1024, file));
        let mut record = csv::StringRecord::new();
        let found = rdr.read_record(&mut record).map_err(|_| {
            ListError::from(WatchlistError::Csv {
                line: 0,
                message: format!("unreadable row at byte {offset} (changed under the lock?)"),
            })
        })?;
        if !found {
            return Ok(None);
        }
        let mut row: Vec<String> = record.iter().map(str::to_owned).collect();
        row.resize(self.header.len(), String::new());
        Ok(Some(row))
    }

    /// The entry with this id.
    pub fn get(&self, id: &str) -> Result<Option<EntryView>, ListError> {
        Ok(self.row(id)?.map(|r| manage::view(&self.header, &r)))
    }

    /// [`ListFile::add`], appended to the journal. Returns the new id.
    pub fn add(
        &mut self,
        parser: &Parser,
        new: &NewEntry<'_>,
        now: SystemTime,
    ) -> Result<String, ListError> {
        manage::check_new(parser, new)?;
        let id = match new.id.map(str::trim) {
            Some("") => return Err(ListError::Empty("id")),
            Some(id) => {
                if self.row(id)?.is_some() {
                    return Err(ListError::DuplicateId(id.to_owned()));
                }
                id.to_owned()
            }
            None => self.next_id()?,
        };
        let row = manage::new_row(&self.header, new, &id, now);
        self.append(&row)?;
        Ok(id)
    }

    fn next_id(&self) -> Result<String, ListError> {
        let mut n = self.max_numeric_id.saturating_add(1);
        while self.row(&n.to_string())?.is_some() {
            n = n.saturating_add(1);
        }
        Ok(n.to_string())
    }

    /// [`ListFile::disable`], appended to the journal.
    pub fn disable(
        &mut self,
        id: &str,
        by: &str,
        memo: Option<&str>,
        now: SystemTime,
    ) -> Result<(), ListError> {
        self.set_status(id, by, memo, now, Action::Disable)
    }

    /// [`ListFile::enable`], appended to the journal.
    pub fn enable(
        &mut self,
        id: &str,
        by: &str,
        memo: Option<&str>,
        now: SystemTime,
    ) -> Result<(), ListError> {
        self.set_status(id, by, memo, now, Action::Enable)
    }

    fn set_status(
        &mut self,
        id: &str,
        by: &str,
        memo: Option<&str>,
        now: SystemTime,
        action: Action,
    ) -> Result<(), ListError> {
        let row = self
            .row(id)?
            .ok_or_else(|| ListError::UnknownId(id.to_owned()))?;
        let changed = manage::status_change(&self.header, &row, by, memo, now, action)?;
        self.append(&changed)
    }

    /// Appends the image of `row` to the journal, durably.
    fn append(&mut self, row: &[String]) -> Result<(), ListError> {
        if !self.is_managed() {
            return Err(WatchlistError::MissingColumn {
                column: "status",
                header: self.header.join(","),
            }
            .into());
        }
        let bytes = self.journal.append(&self.path, &self.header, row)?;
        self.hasher.update(&bytes);
        if let Ok(n) = manage::cell(&self.header, row, "id").trim().parse::<u64>() {
            self.max_numeric_id = self.max_numeric_id.max(n);
        }
        Ok(())
    }

    /// Folds the journal of the list at `path` into its CSV: writes the CSV with the journal
    /// applied beside it (no lock held: seconds on a million rows), then, under the writer
    /// lock, renames it into place and keeps only the journal lines appended meanwhile.
    /// Returns the lock (still held), the editor of the folded list and the version before,
    /// or `None` when there was nothing to fold or someone else replaced the CSV or its
    /// journal meanwhile (nothing written).
    pub fn fold(path: &Path) -> Result<Option<Folded>, ListError> {
        if Journal::read(path)?.0.is_empty() {
            return Ok(None);
        }
        let list = journal::read_list(path)?;
        if list.journal.is_empty() {
            return Ok(None);
        }
        let aside = write_aside(path, |w| std::io::Write::write_all(w, &list.bytes))
            .map_err(io_error(path))?;
        let identity = FileIdentity::of(aside.metadata());
        let folded = ListBytes {
            bytes: Vec::new(),
            version: 0,
            hasher: {
                let mut h = crc32fast::Hasher::new();
                h.update(&list.bytes);
                h
            },
            csv: Some(identity),
            journal: Journal::default(),
            raw: None,
        };
        let mut editor = Self::index(path, &folded, &list.bytes, Some(identity))?;
        let lock = ListFile::lock(path)?;
        if FileIdentity::at(path)? != list.csv {
            return Ok(None);
        }
        let journal_path = journal::journal_path(path);
        let now = match std::fs::read(&journal_path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io_error(&journal_path)(e)),
        };
        let folded_len = usize::try_from(list.journal.valid_len()).unwrap_or(usize::MAX);
        let prefix_same = now
            .get(..folded_len)
            .is_some_and(|p| crc32fast::hash(p) == list.journal.crc());
        if !prefix_same {
            return Ok(None);
        }
        // The version before the fold: the CSV read, then the journal as it is now.
        let mut before = crc32fast::Hasher::new();
        before.update(list.csv_bytes());
        before.update(now.get(..journal_complete_len(&now)).unwrap_or_default());
        let before = before.finalize();
        aside.commit().map_err(io_error(path))?;
        let (rest, rest_bytes) = Journal::parse(
            &journal_path,
            now.get(folded_len..).unwrap_or_default().to_vec(),
        )?;
        if rest.is_empty() {
            journal::remove(path)?;
            editor.journal = Journal::default();
        } else {
            write_atomic(&journal_path, |w| std::io::Write::write_all(w, &rest_bytes))
                .map_err(io_error(&journal_path))?;
            editor.hasher.update(&rest_bytes);
            for (id, _) in rest.rows_for(&editor.header) {
                if let Ok(n) = id.parse::<u64>() {
                    editor.max_numeric_id = editor.max_numeric_id.max(n);
                }
            }
            editor.journal = rest.without_tail();
        }
        Ok(Some(Folded {
            lock,
            editor,
            before,
        }))
    }
}

/// A fold done ([`ListEditor::fold`]).
#[derive(Debug)]
pub struct Folded {
    /// The writer lock, still held: install `editor` before dropping it.
    pub lock: ListLock,
    /// The editor of the folded list.
    pub editor: ListEditor,
    /// The list's version just before the fold (the same entries as `editor.version()`).
    pub before: u32,
}

/// Bytes of `journal` up to and including its last newline.
fn journal_complete_len(journal: &[u8]) -> usize {
    journal
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
}

/// The header `list` is read with: its CSV's, else its journal's, else a new list's.
fn header_of(list: &ListBytes) -> Result<Vec<String>, ListError> {
    let bytes = list.bytes.as_slice();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(ListFile::new_header());
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let mut lines = super::load::Lines::new(bytes);
    Ok(rdr
        .headers()
        .map_err(|e| super::load::csv_error(e, &mut lines))?
        .iter()
        .map(super::load::column_name)
        .collect())
}
