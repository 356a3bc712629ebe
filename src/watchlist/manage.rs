//! The list file a CS team maintains: add, disable, enable, show — with who, when and why.
//!
//! The file is an ordinary list CSV (so [`super::Watchlist`] loads it as it is) with these
//! columns, in this order for a new file:
//!
//! | column | content |
//! | --- | --- |
//! | `id` | unique id (`1`, `2`, … unless given) |
//! | `address` | the address as registered (not rewritten) |
//! | `reason` | `chargeback`, `credit_master`, `resale`, `unpaid`, `forwarding` or `other` |
//! | `status` | `active`, `disabled` (disabled rows stay in the file and never match) or `pending` (an add waiting for a second person's approval: never matches) |
//! | `registered_by` | who added the entry |
//! | `registered_at` | when, UTC, RFC 3339 (`2026-11-22T03:35:20Z`) |
//! | `memo` | free text given when adding |
//! | `history` | JSON array of events `{"at","action","by","memo"}`, `action` one of `add`, `disable`, `enable`, `approve`, `reject` |
//! | `pending` | the change waiting for approval (`add`, `disable` or `enable`), empty when none |
//!
//! **Four eyes.** On a list where one person's change must be approved by another, an add,
//! disable or enable is written *pending* ([`pending_new_row`], [`pending_status_change`]):
//! its event goes into the history and its action into `pending`, but it does not take
//! effect — a pending add has status `pending` (the loader never indexes it), a pending
//! disable leaves the entry `active` (it still matches), a pending enable leaves it
//! `disabled`. Another person — a different name than the history gives for the change —
//! approves it ([`review`], [`Verdict::Approve`]: the change takes effect) or rejects it
//! ([`Verdict::Reject`]: the entry stays as it was; a rejected add is `disabled`, kept with
//! its history, since nothing is ever deleted). Both names stay in the history. While a
//! change is pending the entry takes no other change ([`ListError::PendingChange`]).
//! The column is added on a list's first write, like the other management columns; a list
//! without it has no pending change.
//!
//! An existing plain list (just `id,address,…`) can be managed too: missing management
//! columns are appended on the first write, other columns are kept as they are. Every write
//! replaces the file atomically ([`super::atomic`]): a reader never sees half a list, a crash
//! never loses the previous one. Writers serialize on [`ListFile::lock`] (an advisory lock on
//! a `.NAME.lock` file beside the list, released by the OS when its holder exits or is
//! killed), so two concurrent changes never overwrite each other.

use super::atomic::write_atomic;
use super::key::BlockKey;
use super::load::{cell, column_name, csv_error, Lines};
use super::RejectReason;
use crate::error::{ListError, WatchlistError};
use crate::parse::Parser;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Why an entry was listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// A chargeback on an order shipped here.
    Chargeback,
    /// Card testing / credit master attacks.
    CreditMaster,
    /// Goods resold (転売).
    Resale,
    /// Unpaid deferred payment.
    Unpaid,
    /// Forwarding to another country.
    Forwarding,
    /// Anything else (say what in the memo).
    Other,
}

impl ReasonCode {
    /// Every code, in documentation order.
    pub const ALL: [ReasonCode; 6] = [
        ReasonCode::Chargeback,
        ReasonCode::CreditMaster,
        ReasonCode::Resale,
        ReasonCode::Unpaid,
        ReasonCode::Forwarding,
        ReasonCode::Other,
    ];

    /// The code as written in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::Chargeback => "chargeback",
            ReasonCode::CreditMaster => "credit_master",
            ReasonCode::Resale => "resale",
            ReasonCode::Unpaid => "unpaid",
            ReasonCode::Forwarding => "forwarding",
            ReasonCode::Other => "other",
        }
    }
}

impl std::str::FromStr for ReasonCode {
    type Err = ListError;
    fn from_str(s: &str) -> Result<Self, ListError> {
        let t = s.trim().to_ascii_lowercase().replace('-', "_");
        ReasonCode::ALL
            .into_iter()
            .find(|c| c.as_str() == t)
            .ok_or_else(|| ListError::UnknownReason(s.to_owned()))
    }
}

/// What happened to an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Registered.
    Add,
    /// Stopped matching.
    Disable,
    /// Matching again.
    Enable,
    /// A pending change approved by a second person (four eyes): it took effect.
    Approve,
    /// A pending change rejected by a second person: the entry stayed as it was.
    Reject,
}

impl Action {
    /// The name written in the history.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Disable => "disable",
            Action::Enable => "enable",
            Action::Approve => "approve",
            Action::Reject => "reject",
        }
    }
}

/// One line of an entry's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// UTC, RFC 3339.
    pub at: String,
    /// What was done.
    pub action: Action,
    /// Who did it.
    pub by: String,
    /// Why, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
}

/// Management columns, in the order a new file has them.
const MANAGED: [&str; 9] = [
    "id",
    "address",
    "reason",
    "status",
    "registered_by",
    "registered_at",
    "memo",
    "history",
    PENDING,
];

/// The column naming an entry's change waiting for approval (four eyes; see the module
/// documentation).
pub const PENDING: &str = "pending";

/// One entry of a managed list, as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryView {
    /// Id.
    pub id: String,
    /// The address as registered.
    pub address: String,
    /// Reason code (or free text in a list not made by `list add`).
    pub reason: String,
    /// `active`, `disabled` or `pending` (an add waiting for approval).
    pub status: String,
    /// Who registered it.
    pub registered_by: String,
    /// When (UTC).
    pub registered_at: String,
    /// Memo.
    pub memo: String,
    /// Events, oldest first.
    pub history: Vec<Event>,
    /// The change waiting for a second person's approval (four eyes), if any: `add`,
    /// `disable` or `enable`. Absent from the JSON when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<Action>,
}

impl EntryView {
    /// True when the entry is in `status` as a page or a search filters by it: `active`,
    /// `disabled`, or `pending` — any change waiting for approval (a pending add, and an
    /// active entry with a pending disable or a disabled one with a pending enable).
    pub fn has_status(&self, status: &str) -> bool {
        if status == "pending" {
            self.pending.is_some()
        } else {
            self.status == status
        }
    }
}

/// What to register.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    /// Id to use; `None` picks the next free number.
    pub id: Option<&'a str>,
    /// The address; it must parse to at least a block.
    pub address: &'a str,
    /// Why.
    pub reason: ReasonCode,
    /// Who registers it.
    pub by: &'a str,
    /// Free text.
    pub memo: Option<&'a str>,
}

/// A managed list file in memory.
#[derive(Debug, Clone)]
pub struct ListFile {
    path: PathBuf,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// An exclusive lock on a list file for one read-change-write; released when dropped (or
/// when the process holding it dies: it is an OS file lock, never a stale marker file).
#[derive(Debug)]
pub struct ListLock {
    _file: std::fs::File,
}

impl ListFile {
    /// Takes the writers' lock of the list at `path`, waiting for another writer to finish.
    /// Hold it from [`ListFile::open`] to [`ListFile::save`] (and any index rebuilt from the
    /// list): changes made under it are never lost to a concurrent writer. Readers need no
    /// lock — every write is an atomic rename.
    pub fn lock(path: &Path) -> Result<ListLock, ListError> {
        let name = path.file_name().unwrap_or(path.as_os_str());
        let mut lock_name = std::ffi::OsString::from(".");
        lock_name.push(name);
        lock_name.push(".lock");
        let lock_path = path.with_file_name(lock_name);
        let io = |source| WatchlistError::Io {
            path: lock_path.clone(),
            source,
        };
        let file = super::atomic::private_options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io)?;
        file.lock().map_err(io)?;
        Ok(ListLock { _file: file })
    }

    /// The columns of a new list.
    pub(crate) fn new_header() -> Vec<String> {
        MANAGED.iter().map(|s| s.to_string()).collect()
    }

    /// Reads the list at `path` with its edit journal applied ([`super::journal`]); a file
    /// that does not exist yet is an empty list.
    pub fn open(path: &Path) -> Result<ListFile, ListError> {
        Self::open_with_crc(path).map(|(list, _)| list)
    }

    /// [`ListFile::open`], with the list's version ([`super::journal::Digest`] of its
    /// content with the journal applied; `None` when there is neither a file nor a journal
    /// yet). A service compares it with the version it has loaded to learn whether the list
    /// was changed by someone else since.
    pub fn open_with_crc(path: &Path) -> Result<(ListFile, Option<u32>), ListError> {
        let list = super::journal::read_list(path)?;
        if list.is_absent() {
            let empty = ListFile {
                path: path.to_owned(),
                header: MANAGED.iter().map(|s| s.to_string()).collect(),
                rows: Vec::new(),
            };
            return Ok((empty, None));
        }
        let file = Self::from_bytes(path, &list.bytes)?;
        let version = file.digest().version();
        Ok((file, Some(version)))
    }

    /// The digest of the rows held (the list's version, see [`super::journal::Digest`]).
    /// The digest of the list's content (its `lists_version` part, [`super::journal::Digest`]).
    pub fn digest(&self) -> super::journal::Digest {
        let mut digest = super::journal::Digest::with_header(&self.header);
        for row in &self.rows {
            digest.add(row);
        }
        digest
    }

    /// The list held in `bytes` (read from `path`).
    fn from_bytes(path: &Path, bytes: &[u8]) -> Result<ListFile, ListError> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(bytes);
        let mut lines = Lines::new(bytes);
        let header: Vec<String> = rdr
            .headers()
            .map_err(|e| csv_error(e, &mut lines))?
            .iter()
            .map(column_name)
            .collect();
        if header.iter().all(|h| h.is_empty()) {
            return Err(WatchlistError::EmptyCsv.into());
        }
        require_columns(&header)?;
        let mut list = ListFile {
            path: path.to_owned(),
            header,
            rows: Vec::new(),
        };
        let mut seen = std::collections::HashMap::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| csv_error(e, &mut lines))?;
            let line = rec.position().map_or(0, |p| lines.at(p.byte()));
            let row: Vec<String> = rec.iter().map(str::to_owned).collect();
            let id = list.cell(&row, "id").trim().to_owned();
            if let Some(first) = seen.insert(id.clone(), line) {
                return Err(WatchlistError::DuplicateId {
                    id,
                    first,
                    second: line,
                }
                .into());
            }
            list.rows.push(row);
        }
        Ok(list)
    }

    fn cell<'a>(&self, row: &'a [String], name: &str) -> &'a str {
        cell(&self.header, row, name)
    }

    /// Adds the management columns a plain list lacks.
    pub(crate) fn ensure_columns(&mut self) {
        self.header = managed_header(std::mem::take(&mut self.header));
        for r in &mut self.rows {
            r.resize(self.header.len(), String::new());
        }
    }

    fn find(&self, id: &str) -> Option<usize> {
        let id = id.trim();
        self.rows
            .iter()
            .position(|r| self.cell(r, "id").trim() == id)
    }

    fn view(&self, row: &[String]) -> EntryView {
        view(&self.header, row)
    }

    /// Every entry, in file order.
    pub fn entries(&self) -> Vec<EntryView> {
        self.rows.iter().map(|r| self.view(r)).collect()
    }

    /// The entry with this id.
    pub fn get(&self, id: &str) -> Option<EntryView> {
        self.find(id)
            .and_then(|i| self.rows.get(i))
            .map(|r| self.view(r))
    }

    /// Registers an entry after checking the address can be indexed as the loader indexes a
    /// row: a municipality and a block number, under its gazetteer town or a fallback key
    /// (see [`super::key`]). Returns its id.
    pub fn add(
        &mut self,
        parser: &Parser,
        new: &NewEntry<'_>,
        now: SystemTime,
    ) -> Result<String, ListError> {
        self.add_with(parser, new, now, false)
    }

    /// [`ListFile::add`] under four eyes: the entry is registered pending
    /// ([`pending_new_row`]) and never matches until another person approves it.
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
        check_new(parser, new)?;
        let id = self.entry_id(new.id)?;
        self.ensure_columns();
        let row = if pending {
            pending_new_row(&self.header, new, &id, now)
        } else {
            new_row(&self.header, new, &id, now)
        };
        self.rows.push(row);
        Ok(id)
    }

    /// The id of a new entry ([`entry_id`]).
    fn entry_id(&self, requested: Option<&str>) -> Result<String, ListError> {
        let max_numeric = || {
            self.rows
                .iter()
                .filter_map(|r| self.cell(r, "id").trim().parse::<u64>().ok())
                .max()
                .unwrap_or(0)
        };
        entry_id(requested, max_numeric, |id| Ok(self.find(id).is_some()))
    }

    /// Writes the list back, atomically, and removes its edit journal (folded in: the list
    /// was read with it applied). Hold [`ListFile::lock`] from the open to here.
    pub fn save(&self) -> Result<(), ListError> {
        self.save_with_crc().map(drop)
    }

    /// [`ListFile::save`], returning the list's version ([`super::journal::Digest`] of the
    /// rows written) without reading the file back.
    pub fn save_with_crc(&self) -> Result<u32, ListError> {
        let buf = self.to_csv()?;
        write_atomic(&self.path, |w| std::io::Write::write_all(w, &buf)).map_err(|source| {
            WatchlistError::Io {
                path: self.path.clone(),
                source,
            }
        })?;
        // The list was read with its journal applied and written whole: the journal is folded
        // in. (A crash before this leaves images the file already holds: harmless.)
        super::journal::remove(&self.path)?;
        Ok(self.digest().version())
    }

    /// The columns, in file order.
    /// The list as CSV bytes, exactly as [`ListFile::save`] writes them.
    pub fn to_csv(&self) -> Result<Vec<u8>, ListError> {
        let mut buf = Vec::new();
        {
            let mut w = csv::Writer::from_writer(&mut buf);
            let io = |e: csv::Error| WatchlistError::Io {
                path: self.path.clone(),
                source: std::io::Error::other(e.to_string()),
            };
            w.write_record(&self.header).map_err(io)?;
            for r in &self.rows {
                w.write_record(r).map_err(io)?;
            }
            w.flush().map_err(|source| WatchlistError::Io {
                path: self.path.clone(),
                source,
            })?;
        }
        Ok(buf)
    }

    /// A list held elsewhere (the PostgreSQL store's rows), to be written to `path` or read
    /// as CSV: `header` needs `id` and `address`, ids must be unique, and every row is
    /// padded or cut to the header's width.
    pub fn from_rows(
        path: &Path,
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    ) -> Result<ListFile, ListError> {
        require_columns(&header)?;
        let mut list = ListFile {
            path: path.to_owned(),
            header,
            rows: Vec::with_capacity(rows.len()),
        };
        let mut seen = std::collections::HashSet::new();
        for mut row in rows {
            row.resize(list.header.len(), String::new());
            let id = list.cell(&row, "id").trim().to_owned();
            if !seen.insert(id.clone()) {
                return Err(ListError::DuplicateId(id));
            }
            list.rows.push(row);
        }
        Ok(list)
    }

    /// Every row, in file order (cells in the order of [`ListFile::header`]).
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The cells of entry `id`, in the order of [`ListFile::header`].
    pub fn row(&self, id: &str) -> Option<&[String]> {
        self.find(id)
            .and_then(|i| self.rows.get(i))
            .map(Vec::as_slice)
    }

    /// The file this list reads from and writes to.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Refuses a header without the columns every list needs (`id`, `address`).
fn require_columns(header: &[String]) -> Result<(), ListError> {
    for required in ["id", "address"] {
        if !header.iter().any(|h| h == required) {
            return Err(WatchlistError::MissingColumn {
                column: required,
                header: header.join(","),
            }
            .into());
        }
    }
    Ok(())
}

/// `header` with the management columns it lacks added at its end (empty in every row that
/// lacks them: an entry never edited).
pub fn managed_header(mut header: Vec<String>) -> Vec<String> {
    for name in MANAGED {
        if !header.iter().any(|h| h == name) {
            header.push(name.to_owned());
        }
    }
    header
}

/// The pending adds (status `pending`: four eyes, waiting for approval) of the list CSV in
/// `bytes` (read with its journal applied), cells in the order of the header returned. No
/// index holds them; a service that grades them (`pending_grade = "caution"`) reads them
/// with this — one pass over the rows, no address parsed.
pub fn pending_adds(bytes: &[u8]) -> Result<(Vec<String>, Vec<Vec<String>>), WatchlistError> {
    let mut csv = super::load::ListCsv::open(bytes, true)?;
    let header = csv.header.clone();
    let Some(status) = csv.column("status") else {
        return Ok((header, Vec::new()));
    };
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    while csv.read(&mut record)? {
        if super::load::text_cell(&record, Some(status)).is_some_and(|s| s.trim() == "pending") {
            let mut row: Vec<String> = record
                .iter()
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            row.resize(header.len(), String::new());
            rows.push(row);
        }
    }
    Ok((header, rows))
}

/// The entry held in `row`.
pub fn view(header: &[String], row: &[String]) -> EntryView {
    let status = cell(header, row, "status").trim();
    EntryView {
        id: cell(header, row, "id").trim().to_owned(),
        address: cell(header, row, "address").to_owned(),
        reason: cell(header, row, "reason").to_owned(),
        status: if status.eq_ignore_ascii_case("disabled") {
            "disabled".into()
        } else if status.eq_ignore_ascii_case("pending") {
            "pending".into()
        } else {
            "active".into()
        },
        pending: pending_of(header, row),
        registered_by: cell(header, row, "registered_by").to_owned(),
        registered_at: cell(header, row, "registered_at").to_owned(),
        memo: cell(header, row, "memo").to_owned(),
        history: serde_json::from_str(cell(header, row, "history")).unwrap_or_default(),
    }
}

/// Checks what [`ListFile::add`] registers, before an id is chosen: someone to record, and
/// an address the loader can index (a municipality and a block number, under its gazetteer
/// town or a fallback key).
pub fn check_new(parser: &Parser, new: &NewEntry<'_>) -> Result<(), ListError> {
    if new.by.trim().is_empty() {
        return Err(ListError::Empty("registered_by"));
    }
    let addr = parser.parse(new.address)?;
    // The loader's own rule: an exact or a fallback key, else the reason it has none.
    if let Err(e) = BlockKey::for_list(&addr) {
        return Err(match super::reject_reason(e, &addr) {
            RejectReason::NoMunicipality(level) | RejectReason::NoBlockNumber(level) => {
                ListError::NotABlock(level)
            }
            other => ListError::NotIndexable(other),
        });
    }
    Ok(())
}

/// The row of a new entry `id` (checked by [`check_new`]), cells in the order of `header`
/// (which has the management columns).
pub fn new_row(header: &[String], new: &NewEntry<'_>, id: &str, now: SystemTime) -> Vec<String> {
    let at = rfc3339_utc(now);
    let memo = new.memo.map(str::trim).filter(|m| !m.is_empty());
    let history = vec![Event {
        at: at.clone(),
        action: Action::Add,
        by: new.by.trim().to_owned(),
        memo: memo.map(str::to_owned),
    }];
    let history = serde_json::to_string(&history).unwrap_or_else(|_| "[]".into());
    let mut row = vec![String::new(); header.len()];
    for (name, value) in [
        ("id", id.to_owned()),
        ("address", new.address.trim().to_owned()),
        ("reason", new.reason.as_str().to_owned()),
        ("status", "active".to_owned()),
        ("registered_by", new.by.trim().to_owned()),
        ("registered_at", at),
        ("memo", memo.unwrap_or("").to_owned()),
        ("history", history),
    ] {
        if let Some(slot) = header
            .iter()
            .position(|h| h == name)
            .and_then(|i| row.get_mut(i))
        {
            *slot = value;
        }
    }
    row
}

/// The id of a new entry, by one rule for a list held whole ([`ListFile::add`]) and a list
/// edited through its journal ([`super::ListEditor::add`]): the id asked for, trimmed
/// (refused when empty or `taken`), else the first number above `max_numeric()` (the largest
/// numeric id) that is not `taken`.
pub fn entry_id(
    requested: Option<&str>,
    max_numeric: impl FnOnce() -> u64,
    mut taken: impl FnMut(&str) -> Result<bool, ListError>,
) -> Result<String, ListError> {
    match requested.map(str::trim) {
        Some("") => Err(ListError::Empty("id")),
        Some(id) if taken(id)? => Err(ListError::DuplicateId(id.to_owned())),
        Some(id) => Ok(id.to_owned()),
        None => {
            let mut n = max_numeric().saturating_add(1);
            while taken(&n.to_string())? {
                n = n.saturating_add(1);
            }
            Ok(n.to_string())
        }
    }
}

/// Disabling and enabling an entry: one implementation for a list held whole
/// ([`ListFile`], the change written by [`ListFile::save`]) and a list edited through its
/// journal ([`super::ListEditor`], the changed row appended to the journal at once). The row
/// rules are [`status_change`]'s; a list only finds a row and keeps the changed one.
pub trait StatusEdit: sealed::StatusRows {
    /// Stops an entry matching; it stays in the file with its history.
    fn disable(
        &mut self,
        id: &str,
        by: &str,
        memo: Option<&str>,
        now: SystemTime,
    ) -> Result<(), ListError> {
        set_status(self, id, by, memo, now, Action::Disable)
    }

    /// Lets a disabled entry match again.
    fn enable(
        &mut self,
        id: &str,
        by: &str,
        memo: Option<&str>,
        now: SystemTime,
    ) -> Result<(), ListError> {
        set_status(self, id, by, memo, now, Action::Enable)
    }

    /// Asks for a disable (`disable`) or an enable of entry `id` under four eyes: the change
    /// is recorded as pending ([`pending_status_change`]) and takes effect only once another
    /// person approves it ([`StatusEdit::review`]).
    fn request_status(
        &mut self,
        id: &str,
        disable: bool,
        by: &str,
        memo: Option<&str>,
        now: SystemTime,
    ) -> Result<(), ListError> {
        let action = if disable {
            Action::Disable
        } else {
            Action::Enable
        };
        change_row(self, id, |header, row| {
            pending_status_change(header, row, by, memo, now, action)
        })
    }

    /// Approves or rejects entry `id`'s pending change as `by`, who must not be the person
    /// who made it ([`review`]).
    fn review(
        &mut self,
        id: &str,
        verdict: Verdict,
        by: &str,
        memo: Option<&str>,
        now: SystemTime,
    ) -> Result<(), ListError> {
        change_row(self, id, |header, row| {
            review(header, row, verdict, by, memo, now)
        })
    }
}

pub(crate) mod sealed {
    use crate::error::ListError;

    /// What [`super::StatusEdit`] needs of a list (outside this crate it cannot be named,
    /// so only this crate's lists implement it).
    pub trait StatusRows {
        /// The columns, in file order.
        fn status_header(&self) -> &[String];
        /// The cells of entry `id` (`None`: no such entry).
        fn status_row(&self, id: &str) -> Result<Option<Vec<String>>, ListError>;
        /// Adds the management columns the list lacks; true when it added any.
        fn add_status_columns(&mut self) -> bool;
        /// Keeps `changed`, the new cells of entry `id`, whose cells were `old`.
        fn keep_change(
            &mut self,
            id: &str,
            old: &[String],
            changed: Vec<String>,
        ) -> Result<(), ListError>;
    }
}

/// Disables or enables entry `id` of `list` (see [`StatusEdit`]).
fn set_status<L: sealed::StatusRows + ?Sized>(
    list: &mut L,
    id: &str,
    by: &str,
    memo: Option<&str>,
    now: SystemTime,
    action: Action,
) -> Result<(), ListError> {
    change_row(list, id, |header, row| {
        status_change(header, row, by, memo, now, action)
    })
}

/// Changes entry `id` of `list` by `rule` (the new cells of a row, given the header and the
/// row; the rules of this module), keeping the changed row.
fn change_row<L: sealed::StatusRows + ?Sized>(
    list: &mut L,
    id: &str,
    rule: impl Fn(&[String], &[String]) -> Result<Vec<String>, ListError>,
) -> Result<(), ListError> {
    let row = list
        .status_row(id)?
        .ok_or_else(|| ListError::UnknownId(id.to_owned()))?;
    // Checked before any column is added: a refused change leaves the list as it was.
    let mut changed = rule(list.status_header(), &row)?;
    if list.add_status_columns() {
        changed = rule(list.status_header(), &row)?;
    }
    list.keep_change(id, &row, changed)
}

impl StatusEdit for ListFile {}

impl sealed::StatusRows for ListFile {
    fn status_header(&self) -> &[String] {
        &self.header
    }

    fn status_row(&self, id: &str) -> Result<Option<Vec<String>>, ListError> {
        Ok(self.find(id).and_then(|i| self.rows.get(i)).cloned())
    }

    fn add_status_columns(&mut self) -> bool {
        let before = self.header.len();
        self.ensure_columns();
        self.header.len() != before
    }

    fn keep_change(
        &mut self,
        id: &str,
        _old: &[String],
        changed: Vec<String>,
    ) -> Result<(), ListError> {
        if let Some(slot) = self.find(id).and_then(|i| self.rows.get_mut(i)) {
            *slot = changed;
        }
        Ok(())
    }
}

/// `row` (cells in the order of `header`) disabled or enabled by `by`, with the event added
/// to its history; an error when it is in that state already.
pub fn status_change(
    header: &[String],
    row: &[String],
    by: &str,
    memo: Option<&str>,
    now: SystemTime,
    action: Action,
) -> Result<Vec<String>, ListError> {
    let (current, target) = checked_status_change(header, row, by, action)?;
    let history = with_event(current.history, now, action, by, memo);
    Ok(set_cells(
        header,
        row,
        [("status", target.to_owned()), ("history", history)],
    ))
}

/// What [`status_change`] and [`pending_status_change`] both check: someone to record, no
/// change pending already, and an entry not in the target state already. Returns the entry
/// and the status `action` leads to.
fn checked_status_change(
    header: &[String],
    row: &[String],
    by: &str,
    action: Action,
) -> Result<(EntryView, &'static str), ListError> {
    if by.trim().is_empty() {
        return Err(ListError::Empty("by"));
    }
    let current = view(header, row);
    if current.pending.is_some() {
        return Err(ListError::PendingChange(current.id));
    }
    let target = if action == Action::Disable {
        "disabled"
    } else {
        "active"
    };
    // A rejected add is `disabled`; a pending add is pending (above): only these two.
    if current.status == target {
        return Err(ListError::AlreadyInState {
            id: current.id,
            status: target,
        });
    }
    Ok((current, target))
}

/// `history` with the event `action` by `by` (memo trimmed, dropped when empty) added, as
/// the JSON the `history` cell holds.
fn with_event(
    mut history: Vec<Event>,
    now: SystemTime,
    action: Action,
    by: &str,
    memo: Option<&str>,
) -> String {
    history.push(Event {
        at: rfc3339_utc(now),
        action,
        by: by.trim().to_owned(),
        memo: memo
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_owned),
    });
    serde_json::to_string(&history).unwrap_or_else(|_| "[]".into())
}

/// `row` padded to `header`'s width with the named cells set (a name `header` lacks is
/// skipped).
fn set_cells<const N: usize>(
    header: &[String],
    row: &[String],
    cells: [(&str, String); N],
) -> Vec<String> {
    let mut changed = row.to_vec();
    changed.resize(header.len(), String::new());
    for (name, value) in cells {
        if let Some(slot) = header
            .iter()
            .position(|h| h == name)
            .and_then(|i| changed.get_mut(i))
        {
            *slot = value;
        }
    }
    changed
}

/// The change waiting for approval in `row` (its `pending` cell), if any.
pub fn pending_of(header: &[String], row: &[String]) -> Option<Action> {
    match cell(header, row, PENDING).trim() {
        "add" => Some(Action::Add),
        "disable" => Some(Action::Disable),
        "enable" => Some(Action::Enable),
        _ => None,
    }
}

/// The row of a new entry `id` registered under four eyes: [`new_row`]'s cells with status
/// `pending` (never indexed) and `add` waiting for approval ([`review`]).
pub fn pending_new_row(
    header: &[String],
    new: &NewEntry<'_>,
    id: &str,
    now: SystemTime,
) -> Vec<String> {
    let row = new_row(header, new, id, now);
    set_cells(
        header,
        &row,
        [
            ("status", "pending".to_owned()),
            (PENDING, Action::Add.as_str().to_owned()),
        ],
    )
}

/// `row` with a disable or an enable by `by` asked for under four eyes: the event is in the
/// history and the action waits in `pending`, the status is unchanged (a pending disable
/// still matches, a pending enable still does not) until another person approves it
/// ([`review`]). The same refusals as [`status_change`].
pub fn pending_status_change(
    header: &[String],
    row: &[String],
    by: &str,
    memo: Option<&str>,
    now: SystemTime,
    action: Action,
) -> Result<Vec<String>, ListError> {
    let (current, _) = checked_status_change(header, row, by, action)?;
    let history = with_event(current.history, now, action, by, memo);
    Ok(set_cells(
        header,
        row,
        [("history", history), (PENDING, action.as_str().to_owned())],
    ))
}

/// A second person's decision on a pending change (four eyes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The change takes effect.
    Approve,
    /// The change is dropped: the entry stays as it was (a rejected add: `disabled`).
    Reject,
}

/// True when `a` and `b` name the same person: equal once trimmed, ASCII letters compared
/// without case (`Alice` approving `alice`'s change is refused).
pub fn same_person(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Who made the change waiting in `entry` (`pending`): the last history event of that
/// action, else — an add — who registered the entry. `None` when neither tells.
pub fn requested_by(entry: &EntryView, pending: Action) -> Option<&str> {
    entry
        .history
        .iter()
        .rev()
        .find(|e| e.action == pending)
        .map(|e| e.by.as_str())
        .or_else(|| (pending == Action::Add).then_some(entry.registered_by.as_str()))
        .filter(|by| !by.trim().is_empty())
}

/// `row`'s pending change approved or rejected by `by` (with the `approve` / `reject` event
/// in its history, `pending` emptied). Refused when nothing is pending
/// ([`ListError::NotPending`]), when `by` is empty, and when `by` is the person who made
/// the change ([`ListError::OwnChange`], by [`same_person`]) — or when the history does not
/// say who did: four eyes need two known names.
///
/// Approved: an add becomes `active`, a disable `disabled`, an enable `active`. Rejected: a
/// pending add becomes `disabled` (the entry is kept, with its history); a pending disable
/// or enable leaves the status as it is.
pub fn review(
    header: &[String],
    row: &[String],
    verdict: Verdict,
    by: &str,
    memo: Option<&str>,
    now: SystemTime,
) -> Result<Vec<String>, ListError> {
    if by.trim().is_empty() {
        return Err(ListError::Empty("by"));
    }
    let current = view(header, row);
    let Some(pending) = current.pending else {
        return Err(ListError::NotPending(current.id));
    };
    match requested_by(&current, pending) {
        Some(requester) if !same_person(requester, by) => {}
        _ => return Err(ListError::OwnChange(current.id)),
    }
    let status = match (verdict, pending) {
        (Verdict::Approve, Action::Disable) | (Verdict::Reject, Action::Add) => "disabled",
        (Verdict::Approve, _) => "active",
        (Verdict::Reject, _) => current.status.as_str(),
    }
    .to_owned();
    let action = match verdict {
        Verdict::Approve => Action::Approve,
        Verdict::Reject => Action::Reject,
    };
    let history = with_event(current.history, now, action, by, memo);
    Ok(set_cells(
        header,
        row,
        [
            ("status", status),
            ("history", history),
            (PENDING, String::new()),
        ],
    ))
}

/// `2026-11-22T03:35:20Z` for a time (UTC, whole seconds; times before 1970 print as 1970).
pub fn rfc3339_utc(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps() {
        let at = |s| rfc3339_utc(SystemTime::UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_795_318_520), "2026-11-22T03:35:20Z");
        assert_eq!(at(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn reason_codes_parse() {
        assert_eq!(
            "credit-master".parse::<ReasonCode>().unwrap(),
            ReasonCode::CreditMaster
        );
        assert_eq!(
            " Chargeback ".parse::<ReasonCode>().unwrap(),
            ReasonCode::Chargeback
        );
        assert!(matches!(
            "fraud".parse::<ReasonCode>(),
            Err(ListError::UnknownReason(_))
        ));
        for c in ReasonCode::ALL {
            assert_eq!(c.as_str().parse::<ReasonCode>().unwrap(), c);
        }
    }

    #[test]
    fn disable_and_enable_keep_history() {
        let dir = std::env::temp_dir().join(format!("banchi-manage-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("plain.csv");
        std::fs::write(&path, "id,address,note\n7,東京都中央区銀座4-6-16,keep me\n").unwrap();
        let mut l = ListFile::open(&path).unwrap();
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_318_520);
        assert!(matches!(
            l.disable("nope", "bob", None, t),
            Err(ListError::UnknownId(_))
        ));
        assert!(matches!(
            l.enable("7", "bob", None, t),
            Err(ListError::AlreadyInState { .. })
        ));
        l.disable("7", "bob", Some("customer proved identity"), t)
            .unwrap();
        l.save().unwrap();
        let l2 = ListFile::open(&path).unwrap();
        let e = l2.get("7").unwrap();
        assert_eq!(e.status, "disabled");
        assert_eq!(e.history.len(), 1);
        assert_eq!(e.history[0].action, Action::Disable);
        assert_eq!(
            e.history[0].memo.as_deref(),
            Some("customer proved identity")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("id,address,note,reason,status,"), "{text}");
        assert!(text.contains("keep me"));
        let mut l3 = l2.clone();
        l3.enable("7", "carol", None, t).unwrap();
        assert_eq!(l3.get("7").unwrap().history.len(), 2);
        assert_eq!(l3.get("7").unwrap().status, "active");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Rows indexed when `list` is loaded as a fraud list (what screening would match).
    fn indexed(list: &ListFile) -> u64 {
        let bytes = list.to_csv().unwrap();
        let w = super::super::Watchlist::from_csv_reader(
            bytes.as_slice(),
            super::super::ListKind::Fraud,
            &Parser::new(),
        )
        .unwrap();
        w.report().indexed
    }

    fn four_eyes_list() -> (tempfile::TempDir, ListFile) {
        let dir = tempfile::tempdir().unwrap();
        let list = ListFile::open(&dir.path().join("fraud.csv")).unwrap();
        (dir, list)
    }

    const GINZA: &str = "東京都中央区銀座4-6-16 架空ハイツ301号室";

    fn ginza(by: &str) -> NewEntry<'_> {
        NewEntry {
            id: None,
            address: GINZA,
            reason: ReasonCode::Chargeback,
            by,
            memo: Some("case 1"),
        }
    }

    #[test]
    fn a_pending_add_waits_for_another_person() {
        let (_dir, mut l) = four_eyes_list();
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_318_520);
        let id = l.add_pending(&Parser::new(), &ginza("alice"), t).unwrap();
        let e = l.get(&id).unwrap();
        assert_eq!(
            (e.status.as_str(), e.pending),
            ("pending", Some(Action::Add))
        );
        assert_eq!(indexed(&l), 0, "a pending add never matches");
        // No other change while it waits; the same person (any case, spaces) cannot review.
        assert!(matches!(
            l.disable(&id, "bob", None, t),
            Err(ListError::PendingChange(_))
        ));
        for me in ["alice", " Alice "] {
            assert!(matches!(
                l.review(&id, Verdict::Approve, me, None, t),
                Err(ListError::OwnChange(_))
            ));
            assert!(matches!(
                l.review(&id, Verdict::Reject, me, None, t),
                Err(ListError::OwnChange(_))
            ));
        }
        assert!(matches!(
            l.review(&id, Verdict::Approve, " ", None, t),
            Err(ListError::Empty(_))
        ));
        l.review(&id, Verdict::Approve, "bob", Some("checked"), t)
            .unwrap();
        let e = l.get(&id).unwrap();
        assert_eq!((e.status.as_str(), e.pending), ("active", None));
        let who: Vec<_> = e
            .history
            .iter()
            .map(|h| (h.action, h.by.as_str()))
            .collect();
        assert_eq!(who, [(Action::Add, "alice"), (Action::Approve, "bob")]);
        assert_eq!(indexed(&l), 1);
        assert!(matches!(
            l.review(&id, Verdict::Approve, "carol", None, t),
            Err(ListError::NotPending(_))
        ));
    }

    #[test]
    fn pending_adds_are_read_from_the_csv() {
        let (_dir, mut l) = four_eyes_list();
        let t = SystemTime::UNIX_EPOCH;
        l.add(&Parser::new(), &ginza("alice"), t).unwrap();
        let id = l.add_pending(&Parser::new(), &ginza("alice"), t).unwrap();
        let (header, rows) = pending_adds(&l.to_csv().unwrap()).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(view(&header, &rows[0]).id, id);
        let (_, none) = pending_adds(b"id,address\n1,x\n").unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn a_rejected_add_is_kept_disabled_with_both_names() {
        let (_dir, mut l) = four_eyes_list();
        let t = SystemTime::UNIX_EPOCH;
        let id = l.add_pending(&Parser::new(), &ginza("alice"), t).unwrap();
        l.review(&id, Verdict::Reject, "bob", Some("not ours"), t)
            .unwrap();
        let e = l.get(&id).unwrap();
        assert_eq!((e.status.as_str(), e.pending), ("disabled", None));
        assert_eq!(e.history.len(), 2);
        assert_eq!(e.history[1].action, Action::Reject);
        assert_eq!(e.history[1].memo.as_deref(), Some("not ours"));
        assert_eq!(indexed(&l), 0);
    }

    #[test]
    fn pending_disable_and_enable_take_effect_only_when_approved() {
        let (_dir, mut l) = four_eyes_list();
        let t = SystemTime::UNIX_EPOCH;
        let id = l.add(&Parser::new(), &ginza("alice"), t).unwrap();
        l.request_status(&id, true, "alice", Some("refunded"), t)
            .unwrap();
        let e = l.get(&id).unwrap();
        assert_eq!(
            (e.status.as_str(), e.pending),
            ("active", Some(Action::Disable))
        );
        assert_eq!(indexed(&l), 1, "a pending disable still matches");
        assert!(matches!(
            l.request_status(&id, false, "bob", None, t),
            Err(ListError::PendingChange(_))
        ));
        // Rejected: still active; asked again and approved: disabled.
        l.review(&id, Verdict::Reject, "bob", None, t).unwrap();
        assert_eq!(l.get(&id).unwrap().status, "active");
        assert_eq!(indexed(&l), 1);
        l.request_status(&id, true, "alice", None, t).unwrap();
        l.review(&id, Verdict::Approve, "bob", None, t).unwrap();
        assert_eq!(l.get(&id).unwrap().status, "disabled");
        assert_eq!(indexed(&l), 0);
        // A pending enable leaves it disabled until approved, by someone else than bob.
        assert!(matches!(
            l.request_status(&id, true, "bob", None, t),
            Err(ListError::AlreadyInState { .. })
        ));
        l.request_status(&id, false, "bob", None, t).unwrap();
        assert_eq!(indexed(&l), 0, "a pending enable does not match yet");
        assert!(matches!(
            l.review(&id, Verdict::Approve, "BOB", None, t),
            Err(ListError::OwnChange(_))
        ));
        l.review(&id, Verdict::Approve, "alice", None, t).unwrap();
        assert_eq!(indexed(&l), 1);
        let actions: Vec<_> = l
            .get(&id)
            .unwrap()
            .history
            .iter()
            .map(|h| h.action.as_str())
            .collect();
        assert_eq!(
            actions,
            ["add", "disable", "reject", "disable", "approve", "enable", "approve"]
        );
    }

    #[test]
    fn a_list_without_the_pending_column_loads_and_gains_it_on_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.csv");
        std::fs::write(
            &path,
            "id,address,reason,status,registered_by,registered_at,memo,history
             1,東京都中央区銀座4-6-16,chargeback,active,alice,2026-01-01T00:00:00Z,,[]
",
        )
        .unwrap();
        let mut l = ListFile::open(&path).unwrap();
        assert_eq!(l.get("1").unwrap().pending, None);
        l.request_status("1", true, "alice", None, SystemTime::UNIX_EPOCH)
            .unwrap();
        assert_eq!(l.header().last().map(String::as_str), Some(PENDING));
        assert_eq!(l.get("1").unwrap().pending, Some(Action::Disable));
    }

    #[test]
    fn next_id_skips_used_numbers() {
        let l = ListFile {
            path: "x".into(),
            header: vec!["id".into(), "address".into()],
            rows: vec![
                vec!["3".into(), String::new()],
                vec!["A9".into(), String::new()],
            ],
        };
        assert_eq!(l.entry_id(None).unwrap(), "4");
    }
}
