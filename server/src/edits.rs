//! List edits through the API, durable and in force for the next request within
//! milliseconds, without reading, rewriting or re-indexing the list.
//!
//! An add, disable or enable ([`edit`]) runs under the list file's writer lock
//! ([`ListFile::lock`], the same lock `banchi list` takes) on the list's cached
//! [`ListEditor`]: the header, each id's place in the CSV and the journal's rows, kept in
//! memory between edits. The edit reads the one row it changes, appends the row's new image
//! to the list's edit journal ([`banchi::watchlist::journal`]) with one `write` + `fsync` —
//! durable — and then records the row in [`Pending`](crate::pending::Pending) and swaps in a
//! new [`LoadedLists`] before the call answers: the same base lists, an
//! [`Overlay`](banchi::watchlist::Overlay) of every row edited since they were read, and the
//! list's new version (CRC of the CSV then the journal, continued over the appended bytes). A request that starts after the answer grades with the edit; one
//! in flight finishes on the lists it started with.
//!
//! The cached editor is valid while the CSV's identity (length, modification time, inode)
//! and the journal's length are what it last saw; otherwise (`banchi list` or another server
//! wrote the list) it is read again first — the slow path, about a second on a million rows —
//! and when the list's version then differs from the one in force, the lists are reloaded
//! whole before the call answers ([`finish`]). An import ([`apply`]) goes through
//! [`ListFile`]: it reads the list whole and rewrites it, folding the journal.
//!
//! The base lists are rebuilt from the files in the background ([`AppState::schedule_rebuild`]:
//! shortly after an edit, one rebuild at a time, edits meanwhile coalesced into the next); the
//! rebuild first folds the journal into the CSV ([`AppState::fold_journals`]: the CSV is
//! written aside without the lock, the lock is held only for the rename). Every edit carries
//! a sequence number; a rebuild notes the last number before it reads the files, and when it
//! swaps in, the rows edited after that number stay in the overlay while the others, now in
//! the base, leave it ([`Pending::forget_through`](crate::pending::Pending::forget_through)).

use crate::error::{list_error, ApiError};
use crate::lists::{LoadedLists, Which};
use crate::state::AppState;
use banchi::error::ListError;
use banchi::watchlist::manage::ListLock;
use banchi::watchlist::{ListEditor, ListFile};
use banchi::Parser;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Runs `change` on the list file of `which` at `path` under the file's writer lock, writes
/// the file back durably and puts the entries whose ids `change` returns in force before
/// returning what `change` returned and the new `lists_version` (`change` returning no id:
/// nothing is written). Blocking: run it off the async threads, then hand the version to
/// [`finish`].
///
/// When the file was changed outside the server since the lists were read (`banchi list`,
/// not reloaded yet), an overlay of this edit alone would pair the new version with lists
/// that miss the other change: the version is then `None` and [`finish`] reloads the lists
/// whole before answering.
pub fn apply<T>(
    state: &AppState,
    which: Which,
    path: &Path,
    change: impl FnOnce(&mut ListFile, &Parser) -> Result<(T, Vec<String>), ApiError>,
) -> Result<(T, Option<String>), ApiError> {
    let mut edit = Locked::take(state, path)?;
    let (mut file, read_crc) = ListFile::open_with_crc(path).map_err(list_error)?;
    edit.read();
    let (out, ids) = change(&mut file, &edit.parser())?;
    if ids.is_empty() {
        // Nothing changed (an import of duplicates only): nothing to write.
        return Ok((out, Some(edit.lists.version.clone())));
    }
    let crc = file.save_with_crc().map_err(list_error)?;
    edit.written();
    if read_crc != edit.lists.crc(which) {
        return Ok(changed_outside(out));
    }
    let version = state.put_in_force(which, &file, &ids, crc)?;
    edit.log(which, None);
    Ok((out, Some(version)))
}

/// Runs `change` (an add, disable or enable of one entry, returning what to answer and the
/// entry's id) on the cached [`ListEditor`] of `which` at `path` under the file's writer lock
/// — the change is appended to the list's journal, fsync'd — and puts the entry in force
/// before returning what `change` returned and the new `lists_version` (see the module
/// documentation). Blocking: run it off the async threads, then hand the version to
/// [`finish`] (`None`: the list was changed outside the server; reload it whole).
pub fn edit<T>(
    state: &AppState,
    which: Which,
    path: &Path,
    change: impl FnOnce(&mut ListEditor, &Parser) -> Result<(T, String), ApiError>,
) -> Result<(T, Option<String>), ApiError> {
    let mut edit = Locked::take(state, path)?;
    let mut slot = state.editor(which);
    let editor = current_editor(&mut slot, path)?;
    // The list as read differs from the lists in force: changed outside the server.
    let outside = Some(editor.version()) != edit.lists.crc(which);
    edit.read();
    let (out, id) = change(editor, &edit.parser())?;
    edit.written();
    if outside {
        return Ok(changed_outside(out));
    }
    let row = editor
        .row(&id)
        .map_err(list_error)?
        .ok_or(ApiError::Internal)?;
    let version = state.put_rows_in_force(
        which,
        editor.header(),
        [(id.as_str(), row.as_slice())],
        editor.version(),
    )?;
    edit.log(which, Some(editor.journalled()));
    Ok((out, Some(version)))
}

/// An edit under way: the list's writer lock, the lists in force when it was taken, and when
/// each step ended (for the edit's debug line).
struct Locked {
    _writer: ListLock,
    lists: Arc<LoadedLists>,
    started: Instant,
    locked: Duration,
    read: Duration,
    written: Duration,
}

impl Locked {
    /// Takes the writer lock of the list at `path`, then the lists in force — read under the
    /// lock: every edit before this one is in force already.
    fn take(state: &AppState, path: &Path) -> Result<Locked, ApiError> {
        let started = Instant::now();
        let writer = ListFile::lock(path).map_err(list_error)?;
        let lists = state.lists()?;
        let locked = started.elapsed();
        Ok(Locked {
            _writer: writer,
            lists,
            started,
            locked,
            read: locked,
            written: locked,
        })
    }

    /// The parser of the lists in force.
    fn parser(&self) -> Parser {
        *self.lists.screener.parser()
    }

    /// The list is read.
    fn read(&mut self) {
        self.read = self.started.elapsed();
    }

    /// The edit is written.
    fn written(&mut self) {
        self.written = self.started.elapsed();
    }

    /// The edit's debug line, once it is in force (`journalled`: the journal's images, for
    /// an edit through the editor).
    fn log(&self, which: Which, journalled: Option<usize>) {
        tracing::debug!(
            list = which.name(),
            lock_ms = self.locked.as_millis() as u64,
            read_ms = (self.read - self.locked).as_millis() as u64,
            write_ms = (self.written - self.read).as_millis() as u64,
            in_force_ms = (self.started.elapsed() - self.written).as_millis() as u64,
            journalled,
            "list edit"
        );
    }
}

/// What an edit answers when the list was changed outside the server since the lists in
/// force were read: `out` without a version ([`finish`] reloads the lists whole).
fn changed_outside<T>(out: T) -> (T, Option<String>) {
    tracing::info!("the list file changed outside the server: reloading it whole");
    (out, None)
}

/// The cached editor in `slot` if the files are still what it read, else the list at `path`
/// read again (someone else wrote it since, or it was never read: about a second on a
/// million rows). Call it under the list's writer lock.
fn current_editor<'s>(
    slot: &'s mut Option<ListEditor>,
    path: &Path,
) -> Result<&'s mut ListEditor, ApiError> {
    let current = match slot.as_ref() {
        Some(editor) => editor.is_current().map_err(list_error)?,
        None => false,
    };
    if !current {
        // The stale editor goes first: no two copies of its offsets (16 MB a million rows).
        *slot = None;
        *slot = Some(ListEditor::open(path).map_err(list_error)?);
    }
    slot.as_mut().ok_or(ApiError::Internal)
}

/// Runs `read` on the cached editor of `which` at `path` (read again first if stale): what
/// an entry or a page of entries is read through — a lookup in the journal and reads at
/// rows' offsets in the CSV, not the whole list. Takes the writer lock so that no writer
/// replaces the files mid-read. Blocking.
pub fn read<T>(
    state: &AppState,
    which: Which,
    path: &Path,
    read: impl FnOnce(&ListEditor) -> Result<T, ListError>,
) -> Result<T, ApiError> {
    let _writer = ListFile::lock(path).map_err(list_error)?;
    let mut slot = state.editor(which);
    read(current_editor(&mut slot, path)?).map_err(list_error)
}

/// After [`apply`]: reloads the lists first when the edit could not be laid over them, and
/// queues the background rebuild. Returns the `lists_version` holding the edit.
pub async fn finish(state: &AppState, version: Option<String>) -> Result<String, ApiError> {
    let version = match version {
        Some(v) => v,
        None => {
            state.reload().await.map_err(|e| {
                tracing::error!(error = %e, "reloading the lists after an edit failed");
                ApiError::Internal
            })?;
            state.lists()?.version.clone()
        }
    };
    state.schedule_rebuild();
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Tokens;
    use crate::lists::LoadedLists;
    use crate::settings::Settings;
    use banchi::watchlist::manage::NewEntry;
    use banchi::watchlist::{Grade, ReasonCode, StatusEdit};
    use std::time::SystemTime;

    /// A fictional fraud record at a real block of 銀座.
    const FRAUD_CSV: &str =
        "id,address,reason\nF1,東京都中央区銀座4-6-16 架空ハイツ301号室,chargeback\n";

    /// A fictional flat at a real block of 梅田, not in the list.
    const UMEDA: &str = "大阪府大阪市北区梅田三丁目1番1号 架空タワー1205号室";

    fn state_over(dir: &Path) -> (AppState, std::path::PathBuf) {
        let path = dir.join("fraud.csv");
        std::fs::write(&path, FRAUD_CSV).unwrap();
        let mut settings = Settings::for_tests();
        settings.fraud = Some(path.clone());
        let tokens = Tokens::parse_file(
            "admin admin-token-0123456789ab alice\n",
            Path::new("tokens"),
        )
        .unwrap();
        (AppState::new(settings, tokens), path)
    }

    /// A runtime and a state over a fresh fraud list in a scratch folder (not loaded yet).
    fn started() -> (
        tokio::runtime::Runtime,
        tempfile::TempDir,
        AppState,
        std::path::PathBuf,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (state, path) = state_over(dir.path());
        (rt, dir, state, path)
    }

    fn add(state: &AppState, path: &Path, address: &str) -> (String, String) {
        edit(state, Which::Fraud, path, |editor, parser| {
            let new = NewEntry {
                id: None,
                address,
                reason: ReasonCode::Chargeback,
                by: "alice",
                memo: None,
            };
            let id = editor
                .add(parser, &new, SystemTime::now())
                .map_err(list_error)?;
            Ok((id.clone(), id))
        })
        .map(|(id, version)| (id, version.expect("no change outside the server")))
        .unwrap()
    }

    fn set_disabled(state: &AppState, path: &Path, id: &str, disabled: bool) -> Option<String> {
        edit(state, Which::Fraud, path, |editor, _| {
            if disabled {
                editor.disable(id, "alice", Some("refunded"), SystemTime::now())
            } else {
                editor.enable(id, "alice", None, SystemTime::now())
            }
            .map_err(list_error)?;
            Ok(((), id.to_owned()))
        })
        .unwrap()
        .1
    }

    /// The fraud part of `lists_version` for the list at `path` as any reader computes it.
    fn file_version(path: &Path) -> String {
        let v = banchi::watchlist::journal::version_of(path)
            .unwrap()
            .unwrap();
        format!("{v:08x}")
    }

    fn journal_lines(path: &Path) -> usize {
        std::fs::read_to_string(banchi::watchlist::journal::journal_path(path))
            .map_or(0, |t| t.lines().count())
    }

    fn grade(lists: &LoadedLists, address: &str) -> Option<Grade> {
        lists.screener.check(address).fraud.grade
    }

    #[test]
    fn an_edit_is_in_force_at_once_and_survives_every_rebuild() {
        let (rt, _dir, state, path) = started();
        rt.block_on(state.reload()).unwrap();
        let before = state.lists().unwrap();
        assert_eq!(grade(&before, UMEDA), None);
        // Lists a slow rebuild read from the files before the edit.
        let stale = LoadedLists::load(&state.sources, &state.settings.config).unwrap();

        let csv_before = std::fs::read(&path).unwrap();
        let (id, version) = add(&state, &path, UMEDA);
        let csv_after_first_edit = std::fs::read(&path).unwrap();
        assert_eq!(
            csv_after_first_edit, csv_before,
            "the plain list is not rewritten: the journal's image brings its columns"
        );
        assert_eq!(
            journal_lines(&path),
            1,
            "the edit is appended to the journal"
        );
        let now = state.lists().unwrap();
        assert_eq!(
            now.pending_edits(Which::Fraud),
            1,
            "graded from the overlay"
        );
        assert_eq!(grade(&now, UMEDA), Some(Grade::Danger));
        assert_eq!(
            grade(&now, "東京都中央区銀座4-6-16 301"),
            Some(Grade::Danger)
        );
        assert_eq!(now.version, version);
        assert_ne!(now.version, before.version);
        assert_eq!(
            now.info[0].version,
            file_version(&path),
            "the version is the list's as any reader computes it"
        );
        // A request that started before the edit finishes on its lists.
        assert_eq!(grade(&before, UMEDA), None);

        // The second edit reads nothing and rewrites nothing: the CSV stays as it was.
        let second = set_disabled(&state, &path, &id, true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), csv_after_first_edit);
        assert_eq!(journal_lines(&path), 2);
        assert_eq!(grade(&state.lists().unwrap(), UMEDA), None);
        let third = set_disabled(&state, &path, &id, false).unwrap();
        assert!(second != version && third != second && third != version);
        assert_eq!(state.lists().unwrap().info[0].version, file_version(&path));

        // The slow rebuild swaps in after the edits: they stay in force.
        state.install_rebuilt(stale, 0);
        let after_stale = state.lists().unwrap();
        assert_eq!(after_stale.pending_edits(Which::Fraud), 1);
        assert_eq!(grade(&after_stale, UMEDA), Some(Grade::Danger));
        assert_eq!(after_stale.version, third);

        // A rebuild folds the journal into the CSV and reads it: the edits are in the base,
        // the version is the same (same entries).
        rt.block_on(state.reload()).unwrap();
        assert_eq!(journal_lines(&path), 0, "folded");
        assert!(!banchi::watchlist::journal::journal_path(&path).exists());
        let rebuilt = state.lists().unwrap();
        assert_eq!(rebuilt.pending_edits(Which::Fraud), 0);
        assert_eq!(grade(&rebuilt, UMEDA), Some(Grade::Danger));
        assert_eq!(rebuilt.version, third, "same entries, same version");
        // A restart over the same files: the same version.
        let mut settings = Settings::for_tests();
        settings.fraud = Some(path.clone());
        let restarted = AppState::new(settings, Tokens::default());
        rt.block_on(restarted.reload()).unwrap();
        assert_eq!(restarted.lists().unwrap().version, third);

        // Edits go on from the folded file without reading it again.
        let disabled_version = set_disabled(&state, &path, &id, true).unwrap();
        let now = state.lists().unwrap();
        assert_eq!(now.pending_edits(Which::Fraud), 1);
        assert_eq!(grade(&now, UMEDA), None);
        assert_ne!(disabled_version, third);
        rt.block_on(state.reload()).unwrap();
        assert_eq!(grade(&state.lists().unwrap(), UMEDA), None);
        assert_eq!(state.lists().unwrap().version, disabled_version);

        // A change made outside the server and not loaded yet: the edit is not laid over
        // lists that miss it (`None`: the caller reloads them whole).
        {
            let _writer = ListFile::lock(&path).unwrap();
            let mut outside = ListFile::open(&path).unwrap();
            outside.enable(&id, "bob", None, SystemTime::now()).unwrap();
            outside.save().unwrap();
        }
        assert_eq!(set_disabled(&state, &path, &id, true), None);
        let reloaded = rt.block_on(finish(&state, None)).unwrap();
        assert_eq!(reloaded, state.lists().unwrap().version);
        assert_eq!(grade(&state.lists().unwrap(), UMEDA), None);
        // Nothing lost: add (API), disable (API), enable (API), disable (API), enable
        // (outside), disable (API).
        let history = ListFile::open(&path).unwrap().get(&id).unwrap().history;
        assert_eq!(history.len(), 6, "{history:?}");
        assert_eq!(history[4].by, "bob");
    }

    #[test]
    fn an_entry_is_read_through_the_editor_journal_csv_and_outside_edits_alike() {
        let (rt, _dir, state, path) = started();
        rt.block_on(state.reload()).unwrap();
        let read = |id: &str| read(&state, Which::Fraud, &path, |e| e.get(id)).unwrap();
        // Straight from the CSV (the editor read once), and an id nobody has.
        let first = read("F1").expect("in the CSV");
        assert_eq!((first.status.as_str(), first.history.len()), ("active", 0));
        assert!(read("F404").is_none());
        // A journalled edit is read back with its history.
        let (id, _) = add(&state, &path, UMEDA);
        set_disabled(&state, &path, &id, true).unwrap();
        let added = read(&id).expect("journalled");
        assert_eq!(added.status, "disabled");
        assert_eq!(added.history.len(), 2, "{:?}", added.history);
        // An edit made outside the server: the editor is stale and read again.
        {
            let _writer = ListFile::lock(&path).unwrap();
            let mut outside = ListFile::open(&path).unwrap();
            outside
                .disable("F1", "bob", None, SystemTime::now())
                .unwrap();
            outside.save().unwrap();
        }
        let first = read("F1").unwrap();
        assert_eq!(first.status, "disabled");
        assert_eq!(first.history.last().unwrap().by, "bob");
        assert_eq!(
            read(&id).unwrap().status,
            "disabled",
            "folded by the outside save"
        );
    }

    #[test]
    fn an_import_rewrites_the_list_and_folds_the_journal() {
        let (rt, _dir, state, path) = started();
        rt.block_on(state.reload()).unwrap();
        let (id, _) = add(&state, &path, UMEDA);
        assert_eq!(journal_lines(&path), 1);
        let ((), version) = apply(&state, Which::Fraud, &path, |file, _| {
            file.disable(&id, "alice", None, SystemTime::now())
                .map_err(list_error)?;
            Ok(((), vec![id.clone()]))
        })
        .unwrap();
        let version = version.expect("no change outside the server");
        assert!(!banchi::watchlist::journal::journal_path(&path).exists());
        assert_eq!(version, state.lists().unwrap().version);
        assert_eq!(state.lists().unwrap().info[0].version, file_version(&path));
        assert_eq!(grade(&state.lists().unwrap(), UMEDA), None);
        // The next API edit finds the editor stale and reads the list again.
        let enabled = set_disabled(&state, &path, &id, false).unwrap();
        assert_ne!(enabled, version);
        assert_eq!(grade(&state.lists().unwrap(), UMEDA), Some(Grade::Danger));
    }

    #[cfg(unix)]
    #[test]
    fn list_files_written_by_the_server_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let (rt, _dir, state, path) = started();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        rt.block_on(state.reload()).unwrap();
        add(&state, &path, UMEDA);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        // The edit went to the journal; the rebuild folds it into the CSV, replacing it.
        assert_eq!(
            mode(&banchi::watchlist::journal::journal_path(&path)),
            0o600
        );
        rt.block_on(state.reload()).unwrap();
        assert_eq!(journal_lines(&path), 0, "folded");
        assert_eq!(mode(&path), 0o600);
    }
}
