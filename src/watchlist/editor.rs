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
use super::journal::{self, Digest, FileIdentity, Journal, ListBytes};
use super::load::{cell, text_cell, ListCsv};
use super::manage::sealed::StatusRows;
use super::manage::{self, EntryView, ListLock, NewEntry, StatusEdit};
use super::ListFile;
use crate::error::{ListError, WatchlistError};
use crate::parse::Parser;
use std::hash::{Hash, Hasher};
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What an edit needs of a list (see the module documentation).
#[derive(Debug, Clone)]
pub struct ListEditor {
    path: PathBuf,
    /// The columns of the rows this editor writes: [`ListEditor::read_header`] with the
    /// management columns it lacks.
    header: Vec<String>,
    /// The columns a reader sees now: the CSV's, then the journal's own
    /// ([`journal::read_header`]). Shorter than `header` for a plain list until its first
    /// edit, whose image brings the management columns (no rewrite of the CSV).
    read_header: Vec<String>,
    /// The CSV the offsets point into (`None`: no CSV, the journal alone).
    csv: Option<FileIdentity>,
    /// The journal as read and appended to since.
    journal: Journal,
    /// (hash of the trimmed id, byte offset of its record in the CSV), sorted.
    ids: Vec<(u64, u64)>,
    /// The largest numeric id in the CSV and the journal.
    max_numeric_id: u64,
    /// The digest of the list's content: its version.
    digest: Digest,
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
    /// A plain list (without the management columns) is edited the same way: its first
    /// image brings them ([`journal::read_header`]).
    pub fn open(path: &Path) -> Result<ListEditor, ListError> {
        let list = journal::read_list(path)?;
        Self::index(path, &list, list.csv_bytes(), list.csv)
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
        let mut digest = Digest::with_header(&header);
        if !csv.iter().all(u8::is_ascii_whitespace) {
            let mut rows = ListCsv::open(csv, true)?;
            let id_col = rows.column("id");
            header = journal::read_header(&rows.header, &list.journal);
            digest = Digest::with_header(&header);
            let mut record = csv::ByteRecord::new();
            while rows.read(&mut record)? {
                let Some(id) = text_cell(&record, id_col) else {
                    continue;
                };
                if let Ok(n) = id.trim().parse::<u64>() {
                    max_numeric_id = max_numeric_id.max(n);
                }
                // A journalled row counts as its image (below), as the reader applies it.
                if !list.journal.contains(id) {
                    digest.add(&record);
                }
                let offset = record.position().map_or(0, csv::Position::byte);
                ids.push((id_hash(id), offset));
            }
            ids.sort_unstable();
        }
        for (id, row) in list.journal.rows_for(&header) {
            if let Ok(n) = id.parse::<u64>() {
                max_numeric_id = max_numeric_id.max(n);
            }
            digest.add(&row);
        }
        Ok(ListEditor {
            path: path.to_owned(),
            header: manage::managed_header(header.clone()),
            read_header: header,
            csv: identity,
            journal: list.journal.clone(),
            ids,
            max_numeric_id,
            digest,
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

    /// The list's version ([`Digest`]; as [`journal::ListBytes::version`] gives it).
    pub fn version(&self) -> u32 {
        self.digest.version()
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
        self.csv_row(id)
    }

    /// The cells of entry `id` in the CSV (without the journal).
    fn csv_row(&self, id: &str) -> Result<Option<Vec<String>>, ListError> {
        Ok(self.csv_find(id)?.map(|(_, row)| row))
    }

    /// The byte offset and cells of entry `id`'s record in the CSV (without the journal).
    fn csv_find(&self, id: &str) -> Result<Option<(u64, Vec<String>)>, ListError> {
        let id = id.trim();
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
                if cell(&self.header, &row, "id").trim() == id {
                    return Ok(Some((offset, row)));
                }
            }
        }
        Ok(None)
    }

    /// Up to `limit` entries that `keep` accepts, in the order every reader sees them (the
    /// CSV's rows, each replaced by its journalled image, then the ids only the journal
    /// has), starting after entry `after` (`None`: from the first); and whether another
    /// accepted entry follows. `None` when `after` names no entry. Reads the CSV from the
    /// `after` row's offset onwards, only as far as the page needs.
    pub fn page(
        &self,
        after: Option<&str>,
        limit: usize,
        keep: impl Fn(&EntryView) -> bool,
    ) -> Result<Option<(Vec<EntryView>, bool)>, ListError> {
        let after = after.map(str::trim);
        // Where the CSV part starts: its first record, or the `after` row (skipped).
        let (csv_from, mut skip_first) = match after {
            None => (self.ids.iter().map(|&(_, offset)| offset).min(), false),
            Some(id) => match self.csv_find(id)? {
                Some((offset, _)) => (Some(offset), true),
                None if self.journal.contains(id) => (None, false),
                None => return Ok(None),
            },
        };
        let mut page = Vec::new();
        let mut more = false;
        let mut take = |row: &[String], page: &mut Vec<EntryView>| {
            let entry = manage::view(&self.header, row);
            if !keep(&entry) {
                return true;
            }
            if page.len() == limit {
                more = true;
                return false;
            }
            page.push(entry);
            true
        };
        let mut going = true;
        if let Some(offset) = csv_from {
            let file = std::fs::File::open(&self.path).map_err(io_error(&self.path))?;
            let mut rows = self.rows_at(file, offset, 64 * 1024)?;
            let mut record = csv::StringRecord::new();
            while going {
                let Some(mut row) = self.next_row(&mut rows, &mut record, offset)? else {
                    break;
                };
                if std::mem::take(&mut skip_first) {
                    continue;
                }
                let id = cell(&self.header, &row, "id").trim();
                if let Some(image) = self.journal.row_for(id, &self.header) {
                    row = image;
                }
                going = take(&row, &mut page);
            }
        }
        // Then the ids only the journal has, after `after` when it is one of them.
        let mut started = csv_from.is_some() || after.is_none();
        for (id, row) in self.journal.rows_for(&self.header) {
            if !going {
                break;
            }
            if self.csv_find(id)?.is_some() {
                continue;
            }
            if !started {
                started = after == Some(id);
                continue;
            }
            going = take(&row, &mut page);
        }
        Ok(Some((page, more)))
    }

    /// The record starting at byte `offset` of the CSV.
    fn read_row(
        &self,
        file: &mut std::fs::File,
        offset: u64,
    ) -> Result<Option<Vec<String>>, ListError> {
        let mut rows = self.rows_at(file, offset, 8 * 1024)?;
        self.next_row(&mut rows, &mut csv::StringRecord::new(), offset)
    }

    /// A reader of the CSV's records from byte `offset` (a record's start) on.
    fn rows_at<R: Read + Seek>(
        &self,
        mut file: R,
        offset: u64,
        buffer: usize,
    ) -> Result<csv::Reader<BufReader<R>>, ListError> {
        file.seek(SeekFrom::Start(offset))
            .map_err(io_error(&self.path))?;
        Ok(csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(BufReader::with_capacity(buffer, file)))
    }

    /// The next record of `rows` (read from byte `from` on) as cells in the order of
    /// [`ListEditor::header`], padded; `None` at the end of the CSV.
    fn next_row<R: Read>(
        &self,
        rows: &mut csv::Reader<BufReader<R>>,
        record: &mut csv::StringRecord,
        from: u64,
    ) -> Result<Option<Vec<String>>, ListError> {
        let found = rows.read_record(record).map_err(|_| {
            ListError::from(WatchlistError::Csv {
                line: 0,
                message: format!("unreadable row after byte {from} (changed under the lock?)"),
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
        self.add_with(parser, new, now, false)
    }

    /// [`ListFile::add_pending`], appended to the journal: the entry waits for another
    /// person's approval (four eyes) and never matches until then. Returns the new id.
    pub fn add_pending(
        &mut self,
        parser: &Parser,
        new: &NewEntry<'_>,
        now: SystemTime,
    ) -> Result<String, ListError> {
        self.add_with(parser, new, now, true)
    }

    fn add_with(
        &mut self,
        parser: &Parser,
        new: &NewEntry<'_>,
        now: SystemTime,
        pending: bool,
    ) -> Result<String, ListError> {
        manage::check_new(parser, new)?;
        let id = manage::entry_id(
            new.id,
            || self.max_numeric_id,
            |id| Ok(self.row(id)?.is_some()),
        )?;
        let row = if pending {
            manage::pending_new_row(&self.header, new, &id, now)
        } else {
            manage::new_row(&self.header, new, &id, now)
        };
        self.append(None, &row)?;
        Ok(id)
    }

    /// Appends the image of `row` (replacing `old`, the row as it was) to the journal,
    /// durably.
    fn append(&mut self, old: Option<&[String]>, row: &[String]) -> Result<(), ListError> {
        self.journal.append(&self.path, &self.header, row)?;
        // Readers now see this image's columns (a plain list's first edit).
        if self.read_header != self.header {
            self.set_read_header(self.header.clone());
        }
        if let Some(old) = old {
            self.digest.remove(old);
        }
        self.digest.add(row);
        if let Ok(n) = cell(&self.header, row, "id").trim().parse::<u64>() {
            self.max_numeric_id = self.max_numeric_id.max(n);
        }
        Ok(())
    }

    /// Readers now see the columns `read_header` (a superset of the ones they saw): the
    /// version counts the new header, and rows are written with its management columns.
    fn set_read_header(&mut self, read_header: Vec<String>) {
        if read_header == self.read_header {
            return;
        }
        self.digest.replace_header(&self.read_header, &read_header);
        self.header = manage::managed_header(read_header.clone());
        self.read_header = read_header;
    }

    /// Folds the journal of the list at `path` into its CSV: writes the CSV with the journal
    /// applied beside it (no lock held: seconds on a million rows), then, under the writer
    /// lock, renames it into place and keeps only the journal lines appended meanwhile.
    /// Returns the lock (still held) and the editor of the folded list, or `None` when there was nothing to fold or someone else replaced the CSV or its
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
            editor.set_read_header(journal::read_header(&editor.read_header, &rest));
            for (id, row) in rest.rows_for(&editor.header) {
                if let Ok(n) = id.parse::<u64>() {
                    editor.max_numeric_id = editor.max_numeric_id.max(n);
                }
                // The folded CSV's row gives way to the image, as the reader applies it.
                if let Some(old) = editor.csv_row(id)? {
                    editor.digest.remove(&old);
                }
                editor.digest.add(&row);
            }
            editor.journal = rest.without_tail();
        }
        Ok(Some(Folded { lock, editor }))
    }
}

/// A disable or an enable appends the changed row to the journal.
impl StatusEdit for ListEditor {}

impl StatusRows for ListEditor {
    fn status_header(&self) -> &[String] {
        &self.header
    }

    fn status_row(&self, id: &str) -> Result<Option<Vec<String>>, ListError> {
        self.row(id)
    }

    /// None: a list edited through its journal already has them (else [`Self::append`]
    /// refuses the change).
    fn add_status_columns(&mut self) -> bool {
        false
    }

    fn keep_change(
        &mut self,
        _id: &str,
        old: &[String],
        changed: Vec<String>,
    ) -> Result<(), ListError> {
        self.append(Some(old), &changed)
    }
}

/// A fold done ([`ListEditor::fold`]).
#[derive(Debug)]
pub struct Folded {
    /// The writer lock, still held: install `editor` before dropping it.
    pub lock: ListLock,
    /// The editor of the folded list (its version is the one before: the same entries).
    pub editor: ListEditor,
}

/// The header `list` is read with: its CSV's, else its journal's, else a new list's.
fn header_of(list: &ListBytes) -> Result<Vec<String>, ListError> {
    let bytes = list.bytes.as_slice();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(ListFile::new_header());
    }
    Ok(ListCsv::open(bytes, true)?.header)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watchlist::{Grade, ListKind, MatchOptions, ReasonCode, Watchlist};
    use std::time::Duration;

    /// Fictional flats at real blocks of 銀座 and 梅田, in a managed list.
    const CSV: &str = "id,address,reason,status,registered_by,registered_at,memo,history\n\
        1,東京都中央区銀座4-6-16 架空ハイツ301号室,chargeback,active,alice,2026-11-22T03:35:20Z,,[]\n\
        2,大阪府大阪市北区梅田3-1-1 架空タワー1205号室,resale,active,alice,2026-11-22T03:35:20Z,,[]\n";

    const NEW: &str = "大阪府大阪市北区梅田3-1-1 架空タワー1206号室";

    fn scratch(csv: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fraud.csv");
        std::fs::write(&path, csv).unwrap();
        (dir, path)
    }

    fn entry<'a>(address: &'a str, id: Option<&'a str>) -> NewEntry<'a> {
        NewEntry {
            id,
            address,
            reason: ReasonCode::Unpaid,
            by: "alice",
            memo: Some("journal test"),
        }
    }

    fn t() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_318_520)
    }

    fn grade(path: &Path, address: &str) -> Option<Grade> {
        let parser = Parser::new();
        let list = Watchlist::from_csv_path(path, ListKind::Fraud, &parser).unwrap();
        list.fraud_grade(&parser.parse(address).unwrap(), &MatchOptions::default())
    }

    #[test]
    fn edits_are_journalled_and_every_reader_sees_them() {
        let (_dir, path) = scratch(CSV);
        let parser = Parser::new();
        let mut editor = ListEditor::open(&path).unwrap();
        assert!(editor.is_current().unwrap());
        let v0 = editor.version();
        assert_eq!(journal::version_of(&path).unwrap(), Some(v0));

        let id = editor.add(&parser, &entry(NEW, None), t()).unwrap();
        assert_eq!(id, "3", "the next free number");
        editor.disable("1", "bob", Some("refunded"), t()).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            CSV,
            "the CSV is not rewritten"
        );
        let journal_text = std::fs::read_to_string(journal::journal_path(&path)).unwrap();
        assert_eq!(journal_text.lines().count(), 2);
        assert!(
            editor.is_current().unwrap(),
            "its own appends keep it current"
        );

        // The version follows every edit, as any reader computes it.
        let v2 = editor.version();
        assert_ne!(v2, v0);
        assert_eq!(journal::version_of(&path).unwrap(), Some(v2));

        // The loader and the list file read the journal.
        assert_eq!(grade(&path, NEW), Some(Grade::Danger));
        assert_eq!(
            grade(&path, "東京都中央区銀座4-6-16 架空ハイツ301号室"),
            None
        );
        let (file, version) = ListFile::open_with_crc(&path).unwrap();
        assert_eq!(version, Some(v2));
        let disabled = file.get("1").unwrap();
        assert_eq!(disabled.status, "disabled");
        assert_eq!(disabled.history.len(), 1);
        assert_eq!(disabled.history[0].memo.as_deref(), Some("refunded"));
        assert_eq!(file.get("3").unwrap().registered_by, "alice");
        assert_eq!(
            file.entries()
                .iter()
                .map(|e| e.id.as_str())
                .collect::<Vec<_>>(),
            ["1", "2", "3"]
        );

        // The same rules as the list file.
        assert!(matches!(
            editor.disable("1", "bob", None, t()),
            Err(ListError::AlreadyInState { .. })
        ));
        assert!(matches!(
            editor.add(&parser, &entry(NEW, Some("2")), t()),
            Err(ListError::DuplicateId(_))
        ));
        assert!(matches!(
            editor.add(&parser, &entry(NEW, Some("3")), t()),
            Err(ListError::DuplicateId(_))
        ));
        assert!(matches!(
            editor.enable("9", "bob", None, t()),
            Err(ListError::UnknownId(_))
        ));
        assert!(matches!(
            editor.add(&parser, &entry("東京都中央区", None), t()),
            Err(ListError::NotABlock(_))
        ));
        editor.enable("1", "carol", None, t()).unwrap();
        assert_eq!(editor.get("1").unwrap().unwrap().history.len(), 2);
        assert_eq!(editor.add(&parser, &entry(NEW, None), t()).unwrap(), "4");

        // Read again from the files: the same state.
        let again = ListEditor::open(&path).unwrap();
        assert_eq!(again.version(), editor.version());
        assert_eq!(again.journalled(), 3);
        assert_eq!(again.get("1").unwrap(), editor.get("1").unwrap());
    }

    #[test]
    fn a_write_by_someone_else_makes_it_stale() {
        let (_dir, path) = scratch(CSV);
        let parser = Parser::new();
        let mut editor = ListEditor::open(&path).unwrap();
        editor.add(&parser, &entry(NEW, None), t()).unwrap();
        // `banchi list disable` meanwhile: reads the journal, rewrites the CSV, folds it.
        let mut file = ListFile::open(&path).unwrap();
        file.disable("3", "cli", None, t()).unwrap();
        file.save().unwrap();
        assert!(!journal::journal_path(&path).exists());
        assert!(!editor.is_current().unwrap());
        let mut editor = ListEditor::open(&path).unwrap();
        assert_eq!(editor.get("3").unwrap().unwrap().status, "disabled");
        editor.enable("3", "api", None, t()).unwrap();
        let file = ListFile::open(&path).unwrap();
        let e = file.get("3").unwrap();
        assert_eq!(e.status, "active");
        assert_eq!(e.history.len(), 3, "add (API), disable (CLI), enable (API)");
    }

    #[test]
    fn folding_writes_the_journal_into_the_csv_and_keeps_the_version() {
        let (_dir, path) = scratch(CSV);
        let parser = Parser::new();
        let mut editor = ListEditor::open(&path).unwrap();
        assert!(
            ListEditor::fold(&path).unwrap().is_none(),
            "nothing to fold"
        );
        editor.add(&parser, &entry(NEW, None), t()).unwrap();
        editor.disable("2", "bob", None, t()).unwrap();
        let before = ListFile::open(&path).unwrap().entries();
        let version = editor.version();

        let folded = ListEditor::fold(&path).unwrap().unwrap();
        drop(folded.lock);
        assert!(!journal::journal_path(&path).exists());
        assert_eq!(ListFile::open(&path).unwrap().entries(), before);
        assert_eq!(
            folded.editor.version(),
            version,
            "same entries, same version"
        );
        assert_eq!(journal::version_of(&path).unwrap(), Some(version));
        assert!(folded.editor.is_current().unwrap());
        assert!(
            !editor.is_current().unwrap(),
            "the old editor knows the old CSV"
        );
        let mut editor = folded.editor;
        assert_eq!(editor.get("2").unwrap().unwrap().status, "disabled");
        editor.enable("2", "bob", None, t()).unwrap();
        assert_eq!(journal::version_of(&path).unwrap(), Some(editor.version()));
    }

    #[test]
    fn edits_made_while_a_fold_writes_stay_in_the_journal() {
        let (_dir, path) = scratch(CSV);
        let parser = Parser::new();
        let mut editor = ListEditor::open(&path).unwrap();
        editor.add(&parser, &entry(NEW, None), t()).unwrap();
        // Hold the lock so the fold waits after writing the folded CSV aside.
        let lock = ListFile::lock(&path).unwrap();
        let folding = {
            let path = path.clone();
            std::thread::spawn(move || ListEditor::fold(&path).map(|f| f.map(|f| f.editor)))
        };
        std::thread::sleep(Duration::from_millis(300));
        editor.disable("1", "bob", None, t()).unwrap();
        let version = editor.version();
        drop(lock);
        let folded = folding.join().unwrap().unwrap().unwrap();
        assert_eq!(folded.version(), version);
        assert!(folded.is_current().unwrap());
        assert_eq!(journal::version_of(&path).unwrap(), Some(version));
        let file = ListFile::open(&path).unwrap();
        assert_eq!(file.get("1").unwrap().status, "disabled");
        assert_eq!(file.get("3").unwrap().status, "active");
        let csv = std::fs::read_to_string(&path).unwrap();
        assert!(csv.contains(NEW), "the first edit is folded in");
    }

    /// Every entry `keep` accepts, walking the editor's pages of `limit` as a client does.
    fn walk_pages(
        editor: &ListEditor,
        limit: usize,
        keep: impl Fn(&EntryView) -> bool + Copy,
    ) -> Vec<String> {
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let (page, more) = editor.page(after.as_deref(), limit, keep).unwrap().unwrap();
            assert!(page.len() <= limit);
            seen.extend(page.iter().map(|e| e.id.clone()));
            if !more {
                return seen;
            }
            after = page.last().map(|e| e.id.clone());
        }
    }

    #[test]
    fn pages_follow_the_order_every_reader_sees() {
        let (_dir, path) = scratch(CSV);
        let parser = Parser::new();
        let mut editor = ListEditor::open(&path).unwrap();
        editor.add(&parser, &entry(NEW, None), t()).unwrap();
        editor.disable("1", "bob", None, t()).unwrap();
        editor
            .add(
                &parser,
                &entry("大阪府大阪市北区梅田3-1-1 架空タワー1207号室", Some("x9")),
                t(),
            )
            .unwrap();
        editor.disable("x9", "bob", None, t()).unwrap();
        let file = ListFile::open(&path).unwrap();
        let all: Vec<String> = file.entries().into_iter().map(|e| e.id).collect();
        assert_eq!(all, ["1", "2", "3", "x9"]);
        for limit in 1..=5 {
            assert_eq!(walk_pages(&editor, limit, |_| true), all, "limit {limit}");
            assert_eq!(
                walk_pages(&editor, limit, |e| e.status == "disabled"),
                ["1", "x9"],
                "limit {limit}"
            );
        }
        let (page, more) = editor.page(Some("2"), 10, |_| true).unwrap().unwrap();
        assert_eq!(
            page.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["3", "x9"]
        );
        assert!(!more);
        assert_eq!(
            page[1].status, "disabled",
            "the journal's image, not the CSV's row"
        );
        assert!(editor.page(Some("nope"), 10, |_| true).unwrap().is_none());
        // After a fold the same pages come from the CSV alone.
        let folded = ListEditor::fold(&path).unwrap().unwrap().editor;
        assert_eq!(walk_pages(&folded, 2, |_| true), all);
    }

    #[test]
    fn a_plain_list_is_edited_through_the_journal_too() {
        const PLAIN: &str = "id,address,reason\n\
            7,東京都中央区銀座4-6-16 架空ハイツ301号室,chargeback\n\
            8,大阪府大阪市北区梅田3-1-1 架空タワー1205号室,resale\n";
        let (_dir, path) = scratch(PLAIN);
        let parser = Parser::new();
        let mut editor = ListEditor::open(&path).unwrap();
        let v0 = editor.version();
        assert_eq!(journal::version_of(&path).unwrap(), Some(v0));

        editor.disable("7", "bob", Some("refunded"), t()).unwrap();
        let id = editor.add(&parser, &entry(NEW, None), t()).unwrap();
        assert_eq!(id, "9");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            PLAIN,
            "the CSV is not rewritten, not even to gain the management columns"
        );
        assert_ne!(editor.version(), v0);
        assert_eq!(journal::version_of(&path).unwrap(), Some(editor.version()));
        assert_eq!(ListEditor::open(&path).unwrap().version(), editor.version());

        // Every reader sees the management columns, the untouched row with their defaults.
        let file = ListFile::open(&path).unwrap();
        let seven = file.get("7").unwrap();
        assert_eq!(seven.status, "disabled");
        assert_eq!(seven.history.len(), 1, "{:?}", seven.history);
        assert_eq!(file.get("8").unwrap().status, "active");
        assert_eq!(file.get("9").unwrap().registered_by, "alice");
        assert_eq!(
            grade(&path, "東京都中央区銀座4-6-16 架空ハイツ301号室"),
            None
        );
        assert_eq!(
            grade(&path, "大阪府大阪市北区梅田3-1-1 架空タワー1205号室"),
            Some(Grade::Danger)
        );
        assert_eq!(grade(&path, NEW), Some(Grade::Danger));

        // Folding writes the columns into the CSV, every row padded to the header.
        let folded = ListEditor::fold(&path).unwrap().unwrap();
        assert_eq!(folded.editor.version(), editor.version());
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        assert!(header.starts_with("id,address,reason,status,"), "{text}");
        let fields = |line: &str| {
            csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(line.as_bytes())
                .records()
                .next()
                .unwrap()
                .unwrap()
                .len()
        };
        for line in lines {
            assert_eq!(fields(line), fields(header), "{line}");
        }
        assert_eq!(journal::version_of(&path).unwrap(), Some(editor.version()));
        assert_eq!(
            grade(&path, "大阪府大阪市北区梅田3-1-1 架空タワー1205号室"),
            Some(Grade::Danger)
        );
    }
}
