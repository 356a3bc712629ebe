//! The velocity window kept across runs: `screen --velocity-state FILE`, `banchi velocity`,
//! and what `banchi serve` can use instead of its in-memory window.
//!
//! A fraud ring spreading its orders over several days' lists is only seen if today's run
//! remembers yesterday's: this module keeps, per delivery point, the names seen there with
//! their times, in an embedded SQLite database (compiled in by `rusqlite`'s `bundled`
//! feature: one file, transactions, safe concurrent readers and one writer at a time, no
//! server).
//!
//! * **No address and no name in clear.** Points and names are stored as keyed hashes
//!   (SipHash-2-4, [`Hashing`]) — names after [`super::velocity::name_key`] (NFKC, spaces,
//!   case). The 128-bit key lives in its own file (mode 0600, created at first use, named
//!   in the configuration, by default `FILE.key`), never in the database; without it the
//!   database cannot be tested against a guessed address. The database is created with mode
//!   0600 (SQLite gives its WAL files the same mode). A check value tells a wrong key file.
//! * **Crash-safe and resumable.** WAL mode; the bulk pipeline's writer thread commits once
//!   per chunk (8,192 rows), after that chunk's output lines are written and fsynced, with
//!   the number of output rows the run has reached — so the state never holds rows the
//!   output lacks, a killed run leaves it at a chunk boundary, and `--resume` replays the
//!   rows between the state's count and the output's. A commit holds the write lock for
//!   milliseconds: another `screen` or `serve` on the same file waits that long (busy
//!   timeout 30 s), not a whole run.
//! * **Window.** Entries older than the configured window (`velocity.state_window`, hours or
//!   days) before now are pruned when the store is opened and by `banchi velocity prune`.
//!   A row's time is its order time, else the run's start.
//!
//! Schema: `names(point, name, seen)` (keyed hashes as integers, `seen` in minutes since
//! 1970; one row per point and name, the last time seen), `runs(run, rows)` (rows committed
//! per output file, its path hashed), `meta(k, v)` (schema version, key check).

use super::velocity::{Hashing, Observation, PastNames, Slot, MAX_NAMES};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;

/// Schema version written in `meta`.
const SCHEMA_VERSION: &str = "1";
/// How long a connection waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the velocity state could not be used.
#[derive(Debug, Error)]
pub enum StateError {
    /// The database failed.
    #[error("velocity state {path}: {source}")]
    Database {
        /// The database file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: rusqlite::Error,
    },
    /// The key file could not be read or created, or is not private.
    #[error("velocity state key file {path}: {reason}")]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The key file is not the one the database was written with.
    #[error("velocity state {0}: the key file is not the one this state was written with")]
    WrongKey(PathBuf),
    /// Creating the database file failed.
    #[error("velocity state {path}: {source}")]
    Io {
        /// The database file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// The store: a database file and its key.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    hashing: Hashing,
    window_minutes: u32,
    pruned: u64,
}

/// What `banchi velocity show` prints: counts, never names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Delivery points remembered.
    pub points: u64,
    /// (point, name) entries.
    pub entries: u64,
    /// Oldest and newest time, minutes since 1970.
    pub oldest: Option<u32>,
    /// Newest time.
    pub newest: Option<u32>,
    /// The points with the most names: (point hash, names, last seen).
    pub busiest: Vec<(u64, u64, u32)>,
}

/// Minutes since 1970 now.
pub fn now_minutes() -> u32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    u32::try_from(secs / 60).unwrap_or(u32::MAX)
}

impl Store {
    /// Opens (or creates) the state at `path` with its key file (`None`: `path` + `.key`),
    /// counting names within `window_minutes`; prunes older entries.
    pub fn open(
        path: &Path,
        key_file: Option<&Path>,
        window_minutes: u32,
    ) -> Result<Store, StateError> {
        let key_path = key_file.map_or_else(|| default_key_file(path), Path::to_path_buf);
        let key = read_or_create_key(&key_path, !path.exists())?;
        create_private(path)?;
        let store = Store {
            path: path.to_owned(),
            hashing: Hashing::with_key(key),
            window_minutes,
            pruned: 0,
        };
        let conn = store.connect(false)?;
        let db = |source| StateError::Database {
            path: path.to_owned(),
            source,
        };
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS names(
                 point INTEGER NOT NULL, name INTEGER NOT NULL, seen INTEGER NOT NULL,
                 PRIMARY KEY(point, name)) WITHOUT ROWID;
             CREATE INDEX IF NOT EXISTS names_seen ON names(seen);
             CREATE TABLE IF NOT EXISTS runs(
                 run TEXT PRIMARY KEY, rows INTEGER NOT NULL, updated INTEGER NOT NULL);",
        )
        .map_err(db)?;
        let check = format!("{:016x}", store.hashing.tag("banchi velocity state"));
        let tx = conn.unchecked_transaction().map_err(db)?;
        let found: Option<String> = tx
            .query_row("SELECT v FROM meta WHERE k = 'key_check'", [], |r| r.get(0))
            .optional()
            .map_err(db)?;
        match found {
            Some(f) if f != check => return Err(StateError::WrongKey(path.to_owned())),
            Some(_) => {}
            None => {
                tx.execute(
                    "INSERT INTO meta(k, v) VALUES ('key_check', ?1), ('schema', ?2)",
                    params![check, SCHEMA_VERSION],
                )
                .map_err(db)?;
            }
        }
        tx.commit().map_err(db)?;
        let mut store = store;
        store.pruned = store.prune_with(&conn, now_minutes())?;
        Ok(store)
    }

    /// The keyed hashing of this state.
    pub fn hashing(&self) -> Hashing {
        self.hashing
    }

    /// The window, in minutes.
    pub fn window_minutes(&self) -> u32 {
        self.window_minutes
    }

    /// Entries pruned when the store was opened.
    pub fn pruned_at_open(&self) -> u64 {
        self.pruned
    }

    /// The id of a run writing `output` (its path, hashed).
    pub fn run_id(&self, output: &Path) -> String {
        format!("{:016x}", self.hashing.tag(&output.to_string_lossy()))
    }

    fn connect(&self, read_only: bool) -> Result<Connection, StateError> {
        let db = |source| StateError::Database {
            path: self.path.clone(),
            source,
        };
        let flags = if read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX
        };
        let conn = Connection::open_with_flags(&self.path, flags).map_err(db)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(db)?;
        if !read_only {
            // WAL: readers never block the writer nor see half a commit; NORMAL sync keeps
            // the file consistent on a crash (a power cut may lose the last commits, which
            // `--resume` then replays from the output).
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(db)?;
            conn.pragma_update(None, "synchronous", "NORMAL")
                .map_err(db)?;
        }
        Ok(conn)
    }

    /// A read connection: the lookups of one shard of the window.
    pub fn reader(&self) -> Result<Reader, StateError> {
        Ok(Reader {
            conn: self.connect(true)?,
            path: self.path.clone(),
            error: None,
        })
    }

    /// The write connection of a run.
    pub fn writer(&self) -> Result<StoreWriter, StateError> {
        Ok(StoreWriter {
            conn: self.connect(false)?,
            path: self.path.clone(),
            window_minutes: self.window_minutes,
        })
    }

    fn prune_with(&self, conn: &Connection, now: u32) -> Result<u64, StateError> {
        let oldest = i64::from(now) - i64::from(self.window_minutes);
        let n = conn
            .execute("DELETE FROM names WHERE seen < ?1", params![oldest])
            .map_err(|source| StateError::Database {
                path: self.path.clone(),
                source,
            })?;
        Ok(n as u64)
    }

    /// Copies the write-ahead log into the database and truncates it (after a run; waits for
    /// other connections' transactions up to the busy timeout).
    pub fn checkpoint(&self) -> Result<(), StateError> {
        let conn = self.connect(false)?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|source| StateError::Database {
                path: self.path.clone(),
                source,
            })
    }

    /// Deletes the entries older than the window before `now` (minutes); returns how many.
    pub fn prune(&self, now: u32) -> Result<u64, StateError> {
        let conn = self.connect(false)?;
        self.prune_with(&conn, now)
    }

    /// Forgets a delivery point (its key, [`crate::Address::key`]); returns the entries
    /// deleted.
    pub fn forget(&self, point_key: &str) -> Result<u64, StateError> {
        let conn = self.connect(false)?;
        let point = self.hashing.point(point_key) as i64;
        conn.execute("DELETE FROM names WHERE point = ?1", params![point])
            .map(|n| n as u64)
            .map_err(|source| StateError::Database {
                path: self.path.clone(),
                source,
            })
    }

    /// Counts, and the `top` points with the most names.
    pub fn stats(&self, top: usize) -> Result<Stats, StateError> {
        let conn = self.connect(true)?;
        let db = |source| StateError::Database {
            path: self.path.clone(),
            source,
        };
        let (entries, oldest, newest): (i64, Option<i64>, Option<i64>) = conn
            .query_row(
                "SELECT count(*), min(seen), max(seen) FROM names",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(db)?;
        let points: i64 = conn
            .query_row("SELECT count(DISTINCT point) FROM names", [], |r| r.get(0))
            .map_err(db)?;
        let mut stmt = conn
            .prepare(
                "SELECT point, count(*) AS n, max(seen) FROM names GROUP BY point
                 ORDER BY n DESC, point LIMIT ?1",
            )
            .map_err(db)?;
        let busiest = stmt
            .query_map(params![top as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)? as u64,
                    r.get::<_, i64>(1)? as u64,
                    r.get::<_, i64>(2)? as u32,
                ))
            })
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)?;
        Ok(Stats {
            points: points as u64,
            entries: entries as u64,
            oldest: oldest.map(|t| t as u32),
            newest: newest.map(|t| t as u32),
            busiest,
        })
    }
}

/// Lookups of points not in memory (one per shard of the window).
pub struct Reader {
    conn: Connection,
    path: PathBuf,
    error: Option<StateError>,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").field("path", &self.path).finish()
    }
}

impl Reader {
    /// The first error a lookup met (lookups after it return nothing).
    pub fn take_error(&mut self) -> Option<StateError> {
        self.error.take()
    }

    fn lookup(&self, key: u64, cap: usize) -> Result<Slot, rusqlite::Error> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT name, seen FROM names WHERE point = ?1 ORDER BY seen DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![key as i64, cap as i64], |r| {
            Ok((r.get::<_, i64>(0)? as u32, r.get::<_, i64>(1)? as u32))
        })?;
        let entries = rows.collect::<Result<Vec<_>, _>>()?;
        Ok(Slot::from_entries(entries))
    }
}

impl PastNames for Reader {
    fn names(&mut self, key: u64, cap: usize) -> Option<Slot> {
        if self.error.is_some() {
            return None;
        }
        match self.lookup(key, cap.clamp(1, MAX_NAMES)) {
            Ok(slot) if slot.entries().is_empty() => None,
            Ok(slot) => Some(slot),
            Err(source) => {
                self.error = Some(StateError::Database {
                    path: self.path.clone(),
                    source,
                });
                None
            }
        }
    }
}

/// The write connection: commits observations.
pub struct StoreWriter {
    conn: Connection,
    path: PathBuf,
    window_minutes: u32,
}

impl std::fmt::Debug for StoreWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreWriter")
            .field("path", &self.path)
            .finish()
    }
}

impl StoreWriter {
    fn db(&self, source: rusqlite::Error) -> StateError {
        StateError::Database {
            path: self.path.clone(),
            source,
        }
    }

    /// Rows of the output `run` the state holds.
    pub fn rows_committed(&mut self, run: &str) -> Result<u64, StateError> {
        self.conn
            .query_row("SELECT rows FROM runs WHERE run = ?1", params![run], |r| {
                r.get::<_, i64>(0)
            })
            .optional()
            .map(|n| n.map_or(0, |n| n.max(0) as u64))
            .map_err(|e| self.db(e))
    }

    /// Adds observations (in input order: a name's time is its last row's) and, when given,
    /// sets the run's row count — one transaction.
    pub fn commit(
        &mut self,
        observations: &[Observation],
        run: Option<(&str, u64)>,
    ) -> Result<(), StateError> {
        let result = (|| -> Result<(), rusqlite::Error> {
            let tx = self.conn.transaction()?;
            {
                let mut upsert = tx.prepare_cached(
                    "INSERT INTO names(point, name, seen) VALUES (?1, ?2, ?3)
                     ON CONFLICT(point, name) DO UPDATE SET seen = excluded.seen",
                )?;
                for o in observations {
                    upsert.execute(params![
                        o.key as i64,
                        i64::from(o.name),
                        i64::from(o.time.unwrap_or(0))
                    ])?;
                }
                if let Some((id, rows)) = run {
                    tx.execute(
                        "INSERT INTO runs(run, rows, updated) VALUES (?1, ?2, ?3)
                         ON CONFLICT(run) DO UPDATE SET rows = excluded.rows,
                                                        updated = excluded.updated",
                        params![id, rows as i64, i64::from(now_minutes())],
                    )?;
                }
            }
            tx.commit()
        })();
        result.map_err(|e| self.db(e))
    }

    /// One order at a time (`banchi serve`): counts the different names at `point` within
    /// the window of `time` (this one included, at most [`MAX_NAMES`] told apart), then
    /// records it — one transaction.
    pub fn observe_one(&mut self, point: u64, name: u32, time: u32) -> Result<u32, StateError> {
        let window = self.window_minutes;
        let result = (|| -> Result<u32, rusqlite::Error> {
            let tx = self.conn.transaction()?;
            let mut slot = {
                let mut stmt = tx.prepare_cached(
                    "SELECT name, seen FROM names WHERE point = ?1 ORDER BY seen DESC LIMIT ?2",
                )?;
                let rows = stmt.query_map(params![point as i64, MAX_NAMES as i64], |r| {
                    Ok((r.get::<_, i64>(0)? as u32, r.get::<_, i64>(1)? as u32))
                })?;
                Slot::from_entries(rows.collect::<Result<Vec<_>, _>>()?)
            };
            slot.add(name, time, MAX_NAMES);
            tx.execute(
                "INSERT INTO names(point, name, seen) VALUES (?1, ?2, ?3)
                 ON CONFLICT(point, name) DO UPDATE SET seen = excluded.seen",
                params![point as i64, i64::from(name), i64::from(time)],
            )?;
            tx.commit()?;
            Ok(slot
                .entries()
                .iter()
                .filter(|(_, t)| t.abs_diff(time) <= window)
                .count() as u32)
        })();
        result.map_err(|e| self.db(e))
    }
}

/// `FILE.key` beside the database.
pub fn default_key_file(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".key");
    PathBuf::from(name)
}

/// Creates an empty file with mode 0600 when none exists (SQLite then fills it in).
fn create_private(path: &Path) -> Result<(), StateError> {
    let io = |source| StateError::Io {
        path: path.to_owned(),
        source,
    };
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io(e)),
    }
}

/// Reads an existing key file (32 hex digits, mode 0600: one others can read is refused) of
/// the kind a state keeps beside it — what `banchi serve --velocity redis` shares between
/// replicas. Never creates one.
pub fn read_key_file(path: &Path) -> Result<Hashing, StateError> {
    if !path.exists() {
        return Err(StateError::KeyFile {
            path: path.to_owned(),
            reason: "missing".into(),
        });
    }
    read_or_create_key(path, false).map(Hashing::with_key)
}

/// Reads the key (32 hex digits); creates it (mode 0600, random) when missing and the
/// database is new. A key file others can read is refused.
fn read_or_create_key(path: &Path, new_state: bool) -> Result<[u8; 16], StateError> {
    let bad = |reason: String| StateError::KeyFile {
        path: path.to_owned(),
        reason,
    };
    if !path.exists() {
        if !new_state {
            return Err(bad(
                "missing, and the state exists: without its key the state cannot be read".into(),
            ));
        }
        let mut key = [0u8; 16];
        getrandom::fill(&mut key).map_err(|e| bad(format!("no random key: {e}")))?;
        let text: String = key.iter().map(|b| format!("{b:02x}")).collect();
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(|e| bad(e.to_string()))?;
        std::io::Write::write_all(&mut f, format!("{text}\n").as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| bad(e.to_string()))?;
        return Ok(key);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| bad(e.to_string()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(bad(format!(
                "mode {:o}: others can read it (chmod 600)",
                mode & 0o777
            )));
        }
    }
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let text = text.trim();
    let mut key = [0u8; 16];
    if text.len() != 32 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad("not 32 hexadecimal digits".into()));
    }
    for (k, i) in key.iter_mut().zip((0..32).step_by(2)) {
        *k = text
            .get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .ok_or_else(|| bad("not 32 hexadecimal digits".into()))?;
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(key: u64, name: u32, time: u32) -> Observation {
        Observation {
            index: 0,
            key,
            name,
            time: Some(time),
        }
    }

    #[test]
    fn files_are_private_and_key_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("v.db");
        let store = Store::open(&db, None, 60).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in [db.clone(), default_key_file(&db)] {
                let mode = std::fs::metadata(&f).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600, "{}", f.display());
            }
        }
        drop(store);
        // Another key for the same database is refused.
        let other = dir.path().join("other.key");
        std::fs::write(&other, format!("{}\n", "ab".repeat(16))).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(matches!(
                Store::open(&db, Some(&other), 60),
                Err(StateError::KeyFile { .. })
            ));
            std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        assert!(matches!(
            Store::open(&db, Some(&other), 60),
            Err(StateError::WrongKey(_))
        ));
        // A state whose key file is gone cannot be read.
        std::fs::remove_file(default_key_file(&db)).unwrap();
        assert!(matches!(
            Store::open(&db, None, 60),
            Err(StateError::KeyFile { .. })
        ));
    }

    #[test]
    fn commits_are_read_back_pruned_and_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("v.db");
        let store = Store::open(&db, None, 60).unwrap();
        let p = store.hashing().point("13102|銀座|4|6|16||301");
        let now = now_minutes();
        let mut w = store.writer().unwrap();
        w.commit(
            &[
                obs(p, 1, now - 200),
                obs(p, 2, now - 10),
                obs(p, 3, now - 5),
            ],
            Some(("run", 3)),
        )
        .unwrap();
        assert_eq!(w.rows_committed("run").unwrap(), 3);
        assert_eq!(w.rows_committed("other").unwrap(), 0);
        let mut r = store.reader().unwrap();
        let slot = r.names(p, 2).unwrap();
        assert_eq!(slot.entries(), &[(3, now - 5), (2, now - 10)]);
        assert!(r.names(p ^ 1, 4).is_none());
        let stats = store.stats(5).unwrap();
        assert_eq!((stats.points, stats.entries), (1, 3));
        assert_eq!(stats.busiest, vec![(p, 3, now - 5)]);
        // The entry of 200 minutes ago is out of the 60-minute window.
        assert_eq!(store.prune(now).unwrap(), 1);
        assert_eq!(store.stats(5).unwrap().entries, 2);
        assert_eq!(store.forget("13102|銀座|4|6|16||301").unwrap(), 2);
        assert_eq!(store.stats(5).unwrap().entries, 0);
        // Nothing in the file is an address or a name.
        drop((w, r));
        store.checkpoint().unwrap();
        let wal = std::fs::metadata(dir.path().join("v.db-wal")).map_or(0, |m| m.len());
        assert_eq!(wal, 0, "the log is folded in");
        let bytes = std::fs::read(&db).unwrap();
        assert!(!bytes.windows("銀座".len()).any(|w| w == "銀座".as_bytes()));
    }

    #[test]
    fn one_order_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("v.db"), None, 60).unwrap();
        let mut w = store.writer().unwrap();
        let t = now_minutes();
        assert_eq!(w.observe_one(9, 1, t).unwrap(), 1);
        assert_eq!(w.observe_one(9, 2, t + 1).unwrap(), 2);
        assert_eq!(w.observe_one(9, 1, t + 2).unwrap(), 2);
        assert_eq!(
            w.observe_one(9, 3, t + 100).unwrap(),
            1,
            "others out of the window"
        );
    }
}
