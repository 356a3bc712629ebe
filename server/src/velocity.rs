//! Velocity across API calls: one delivery point receiving orders under several names.
//!
//! The bulk mode counts names per delivery point over the rows of one file
//! ([`banchi::bulk::velocity`]); a server sees one order per call, so it keeps a window of
//! its own, in memory, per process (several processes behind a balancer each count their own
//! share of the orders; `--velocity redis` runs this rule in Redis instead, shared by them:
//! [`crate::velocity_redis`]).
//!
//! # Memory cap and eviction
//!
//! Delivery points ([`banchi::Address::key`], hashed) are kept in two generations. The
//! current one takes every delivery point seen; it becomes the previous one (and the previous
//! one is dropped whole) when it is half a time window old **or** holds `max_keys / 2`
//! delivery points. So at most `max_keys` delivery points are remembered whatever the
//! traffic — about 64 bytes each (key, four name hashes with their times, map overhead):
//! 200,000 by default, ~13 MB. A delivery point seen again is moved into the current
//! generation. Under heavy traffic the window therefore shrinks to the last `max_keys / 2`
//! to `max_keys` delivery points, never grows.
//!
//! Per delivery point at most [`MAX_NAMES`] name hashes are kept, each with the time it was
//! last seen; names older than the time window are not counted. Only hashes are stored:
//! neither addresses nor names are kept in memory.
//!
//! # Kept on disk (`banchi serve --velocity-state FILE`)
//!
//! [`VelocityWindow::keep_in`] moves the window into the bulk mode's state
//! ([`banchi::bulk::state::Store`], SQLite in WAL mode, keyed hashes, file mode 0600): each
//! order is counted and recorded in one transaction ([`StoreWriter::observe_one`], one writer
//! connection behind a mutex), so the window survives restarts and is shared with `banchi
//! screen --velocity-state` runs on the same file. It is bounded by time (the configured
//! window, pruned when opened), not by `velocity_max_keys`. A failed write is logged and the
//! order counted as the first name seen (the answer never fails on it).

use banchi::bulk::state::{now_minutes, StateError, Store, StoreWriter};
use banchi::bulk::velocity::Hashing;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Most names remembered per delivery point.
pub const MAX_NAMES: usize = 4;

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    /// (name hash, seconds since start when last seen).
    names: [(u32, u32); MAX_NAMES],
    len: u8,
}

#[derive(Debug, Default)]
struct Generations {
    current: HashMap<u64, Slot>,
    previous: HashMap<u64, Slot>,
    current_since: u32,
}

/// The window (see the module documentation). `Send + Sync`; one lock per observation.
#[derive(Debug)]
pub struct VelocityWindow {
    min_names: u32,
    window_secs: u32,
    max_keys: usize,
    start: Instant,
    inner: Mutex<Generations>,
    /// The on-disk window, when kept there (then `inner` is unused).
    store: OnceLock<OnDisk>,
}

/// Why the window could not be kept in a state file.
#[derive(Debug, thiserror::Error)]
pub enum KeepError {
    /// The state file could not be opened for writing.
    #[error(transparent)]
    State(#[from] StateError),
    /// [`VelocityWindow::keep_in`] was called before.
    #[error("the velocity window is kept in a state file already")]
    AlreadyKept,
}

/// The window kept in a velocity state file.
struct OnDisk {
    writer: Mutex<StoreWriter>,
    hashing: Hashing,
}

impl std::fmt::Debug for OnDisk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnDisk").finish_non_exhaustive()
    }
}

impl VelocityWindow {
    /// A window: `min_names` different names raise the signal (0 turns it off), counted
    /// within `window` and over at most `max_keys` delivery points.
    pub fn new(min_names: u32, window: Duration, max_keys: usize) -> VelocityWindow {
        VelocityWindow {
            min_names,
            window_secs: u32::try_from(window.as_secs()).unwrap_or(u32::MAX).max(1),
            max_keys: max_keys.max(2),
            start: Instant::now(),
            inner: Mutex::new(Generations::default()),
            store: OnceLock::new(),
        }
    }

    /// Keeps the window in `store` from now on (see the module documentation). Once: a
    /// second store is refused.
    pub fn keep_in(&self, store: &Store) -> Result<(), KeepError> {
        if self.on_disk() {
            return Err(KeepError::AlreadyKept);
        }
        let on_disk = OnDisk {
            writer: Mutex::new(store.writer()?),
            hashing: store.hashing(),
        };
        self.store.set(on_disk).map_err(|_| KeepError::AlreadyKept)
    }

    /// True when the window is kept in a state file.
    pub fn on_disk(&self) -> bool {
        self.store.get().is_some()
    }

    /// The threshold.
    pub fn min_names(&self) -> u32 {
        self.min_names
    }

    /// Delivery points remembered now (at most `max_keys`).
    pub fn remembered(&self) -> usize {
        let g = self.lock();
        g.current.len() + g.previous.len()
    }

    /// Counts an order for `key` (a delivery-point key) under `name`; returns how many
    /// different names the delivery point has within the window, this one included (0 when
    /// the signal is off or the name is empty).
    pub fn observe(&self, key: &str, name: &str) -> u32 {
        if let Some(disk) = self.store.get() {
            return self.observe_on_disk(disk, key, name);
        }
        let now = u32::try_from(self.start.elapsed().as_secs()).unwrap_or(u32::MAX);
        let hashing = Hashing::default();
        self.observe_at(hashing.point(key), hashing.name(name), now)
    }

    fn observe_on_disk(&self, disk: &OnDisk, key: &str, name: &str) -> u32 {
        let Some(name) = disk.hashing.name(name) else {
            return 0;
        };
        if self.min_names == 0 {
            return 0;
        }
        let point = disk.hashing.point(key);
        let mut writer = disk.writer.lock().unwrap_or_else(|p| p.into_inner());
        match writer.observe_one(point, name, now_minutes()) {
            Ok(names) => names,
            Err(e) => {
                tracing::error!(error = %e, "recording an order in the velocity state failed");
                1
            }
        }
    }

    /// [`VelocityWindow::observe`] with the key hashed and the time given (seconds since the
    /// window was made): what the tests drive.
    pub fn observe_at(&self, key: u64, name: Option<u32>, now: u32) -> u32 {
        let Some(name) = name else { return 0 };
        if self.min_names == 0 {
            return 0;
        }
        let mut g = self.lock();
        let half_window = (self.window_secs / 2).max(1);
        if now.saturating_sub(g.current_since) >= half_window
            || g.current.len() >= self.max_keys / 2
        {
            g.previous = std::mem::take(&mut g.current);
            g.current_since = now;
        }
        let moved = g.previous.remove(&key);
        let slot = g
            .current
            .entry(key)
            .or_insert_with(|| moved.unwrap_or_default());
        let oldest_counted = now.saturating_sub(self.window_secs);
        // Forget names outside the time window.
        let mut kept = 0usize;
        for i in 0..usize::from(slot.len) {
            let entry = slot.names[i];
            if entry.1 >= oldest_counted {
                slot.names[kept] = entry;
                kept += 1;
            }
        }
        slot.len = kept as u8;
        let live = &mut slot.names[..kept];
        if let Some(entry) = live.iter_mut().find(|(h, _)| *h == name) {
            entry.1 = now;
        } else if kept < MAX_NAMES {
            slot.names[kept] = (name, now);
            slot.len += 1;
        } else if let Some(oldest) = live.iter_mut().min_by_key(|(_, t)| *t) {
            *oldest = (name, now);
        }
        u32::from(slot.len)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generations> {
        // A panic while holding the lock leaves counts, not broken invariants: keep going.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window() -> VelocityWindow {
        VelocityWindow::new(3, Duration::from_secs(3600), 100)
    }

    #[test]
    fn counts_different_names_at_one_delivery_point() {
        let w = window();
        assert_eq!(w.observe("13102|銀座|4|6|16||301", "山田 太郎"), 1);
        assert_eq!(
            w.observe("13102|銀座|4|6|16||301", "山田太郎"),
            1,
            "spaces ignored"
        );
        assert_eq!(w.observe("13102|銀座|4|6|16||301", "佐藤花子"), 2);
        assert_eq!(
            w.observe("13102|銀座|4|6|16||302", "鈴木一郎"),
            1,
            "other room"
        );
        assert_eq!(w.observe("13102|銀座|4|6|16||301", "鈴木一郎"), 3);
        assert_eq!(w.observe("13102|銀座|4|6|16||301", ""), 0, "no name");
    }

    #[test]
    fn names_outside_the_time_window_are_not_counted() {
        let w = window();
        assert_eq!(w.observe_at(1, Some(10), 0), 1);
        assert_eq!(w.observe_at(1, Some(11), 100), 2);
        // 3,600 s after the first name it no longer counts.
        assert_eq!(w.observe_at(1, Some(12), 3_650), 2);
        assert_eq!(w.observe_at(1, Some(13), 3_700), 3);
    }

    #[test]
    fn memory_is_capped_and_old_points_evicted() {
        let w = VelocityWindow::new(2, Duration::from_secs(86_400), 10);
        for key in 0..1_000u64 {
            w.observe_at(key, Some(1), 5);
            assert!(w.remembered() <= 10, "{} remembered", w.remembered());
        }
        // The first keys are gone: a second name there counts as the first again.
        assert_eq!(w.observe_at(0, Some(2), 6), 1);
        // The latest key is still there.
        assert_eq!(w.observe_at(999, Some(2), 6), 2);
    }

    #[test]
    fn a_point_seen_again_survives_rotation() {
        let w = VelocityWindow::new(2, Duration::from_secs(100), 1_000);
        assert_eq!(w.observe_at(7, Some(1), 0), 1);
        // Half a window later the generation rotates; the point moves along.
        assert_eq!(w.observe_at(7, Some(2), 60), 2);
        assert_eq!(w.observe_at(8, Some(1), 120), 1);
        // Rotated again: still found; the name of t=0 is now outside the 100 s window.
        assert_eq!(w.observe_at(7, Some(3), 121), 2);
    }

    #[test]
    fn kept_on_disk_the_window_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("velocity.db");
        let point = "13102|銀座|4|6|16||301";
        {
            let w = window();
            w.keep_in(&Store::open(&path, None, 60).unwrap()).unwrap();
            assert!(w.on_disk());
            assert_eq!(w.observe(point, "山田太郎"), 1);
            assert_eq!(w.observe(point, "佐藤花子"), 2);
            assert_eq!(w.remembered(), 0, "nothing kept in memory");
            let again = Store::open(&path, None, 60).unwrap();
            assert!(w.keep_in(&again).is_err(), "one store only");
        }
        // Another process (or a restart) on the same file counts on.
        let w = window();
        w.keep_in(&Store::open(&path, None, 60).unwrap()).unwrap();
        assert_eq!(w.observe(point, "鈴木一郎"), 3);
        assert_eq!(w.observe("13102|銀座|4|6|16||302", "鈴木一郎"), 1);
        assert_eq!(w.observe(point, ""), 0, "no name");
    }

    #[test]
    fn at_most_four_names_and_off_when_zero() {
        let w = VelocityWindow::new(3, Duration::from_secs(3600), 100);
        for n in 0..10 {
            w.observe_at(1, Some(n), 1);
        }
        assert_eq!(w.observe_at(1, Some(99), 2), MAX_NAMES as u32);
        let off = VelocityWindow::new(0, Duration::from_secs(3600), 100);
        assert_eq!(off.observe_at(1, Some(1), 0), 0);
    }
}
