//! `banchi serve --store postgres`: keeping the lists a replica of the PostgreSQL store
//! ([`banchi_store`]), within a second of every committed change.
//!
//! - **Start** ([`load`]): per list the newest index snapshot (none yet: this replica
//!   builds and stores it under the store's advisory lock, or builds its own copy when
//!   another replica holds the lock), then every change after it, laid over it as the
//!   overlay of edits the file-backed server uses ([`crate::pending::Pending`], numbered by
//!   the change log's sequence).
//! - **Follow** ([`spawn`]): a `LISTEN` connection wakes the follower on every commit, and it
//!   polls every [`POLL`] besides; either way it asks for the changes after the last one
//!   applied, so a notification lost while the database was unreachable costs nothing. More
//!   than [`MAX_OVERLAY`] changes behind (an import), it loads the lists whole.
//! - **Snapshots**: once edits have been quiet for [`SETTLE`], the follower tries to build
//!   a new snapshot (one replica wins the lock and swaps the index it built in); the others
//!   see the newer snapshot and load it. The overlay then sheds the changes it covers.
//! - **Edits** (`/v1/lists/…`, `/admin`): one transaction in the store ([`banchi_store::edit`]),
//!   then [`catch_up`] applies everything up to it before the call answers, so the
//!   answer's `lists_version` holds the edit and every change committed before it.
//! - **Outage**: while the store is unreachable the replica screens on the lists it holds;
//!   [`Replica::status`](crate::replica::Replica::status) (in `/readyz` and `/metrics`) says `stale`, since when and the last
//!   change applied; edits answer 503. It catches up by sequence number when the store is
//!   back. Screening never waits on the store.

use crate::error::ApiError;
use crate::lists::{LoadError, LoadedLists};
use crate::replica::{store_error, which, Replica};
use crate::state::AppState;
use banchi::watchlist::{ListKind, Watchlist};
use banchi_store::changes::Listener;
use banchi_store::snapshot::index_rows;
use banchi_store::{Change, ListName, Store, StoreError};
use std::sync::atomic::Ordering;
use std::sync::PoisonError;
use std::time::{Duration, Instant};

/// The safety-net poll of the change log.
pub const POLL: Duration = Duration::from_millis(500);
/// Quiet time after the last change before a new snapshot is tried.
pub const SETTLE: Duration = Duration::from_secs(2);
/// Changes laid over the base lists at most; further behind, the lists are loaded whole.
pub const MAX_OVERLAY: i64 = 10_000;

/// Applies every committed change after the last one in force (see the module
/// documentation); the lists are loaded whole when too far behind.
pub async fn catch_up(state: &AppState, replica: &Replica) -> Result<(), StoreError> {
    let _one = replica.catching_up.lock().await;
    loop {
        let after = replica.applied();
        let changes = replica
            .store()
            .changes_after(after, MAX_OVERLAY + 1)
            .await?;
        // A database restored from a backup, or failed over to a replica that missed
        // the last commits, is behind what is in force here: load it whole.
        let behind = changes.is_empty() && replica.store().last_seq().await? < after;
        if changes.is_empty() && !behind {
            return Ok(());
        }
        if behind || changes.len() as i64 > MAX_OVERLAY {
            tracing::warn!(
                seq = after,
                "the store is behind or far ahead of the lists in force: loading them whole"
            );
            let (lists, seq) = load_lists(state, replica).await.map_err(|e| match e {
                LoadError::Store(e) => e,
                other => StoreError::Pool(other.to_string()),
            })?;
            state.install(lists);
            replica.applied.store(seq, Ordering::Release);
            continue;
        }
        apply(state, &changes)?;
        let last = changes.last().map_or(after, |c| c.seq);
        replica.applied.store(last, Ordering::Release);
        *replica
            .last_change
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
    }
}

/// Puts `changes` (in sequence order, after the last applied) in force.
fn apply(state: &AppState, changes: &[Change]) -> Result<(), StoreError> {
    let rows = changes.iter().map(|c| {
        (
            which(c.list),
            u64::try_from(c.seq).unwrap_or(0),
            c.header.as_slice(),
            c.id.as_str(),
            c.cells.as_slice(),
            c.digest.version(),
        )
    });
    state
        .put_changes_in_force(rows)
        .map_err(|_| StoreError::Pool("building the overlay of recent changes failed".into()))
}

/// After an edit committed as `change`: everything up to it in force, and the
/// `lists_version` that holds it.
pub async fn in_force(
    state: &AppState,
    replica: &Replica,
    change: &Change,
) -> Result<String, ApiError> {
    in_force_through(state, replica, change.seq, Some(change)).await
}

/// After changes up to `seq` committed here: everything up to them in force, and the
/// `lists_version` that holds them. `alone`, the last change when it is the only one,
/// is laid on directly should the store go away before the catch-up.
pub async fn in_force_through(
    state: &AppState,
    replica: &Replica,
    seq: i64,
    alone: Option<&Change>,
) -> Result<String, ApiError> {
    match catch_up(state, replica).await {
        Ok(()) => {}
        // The store went away between the commit and the catch-up: the change itself is
        // in hand, and when it is the next one it can be laid on directly.
        Err(e) if alone.is_some_and(|c| c.seq == seq && replica.applied() + 1 == seq) => {
            let Some(change) = alone else {
                return Err(store_error(e));
            };
            tracing::warn!(error = %e, "catching up after an edit failed; applying the edit alone");
            let _one = replica.catching_up.lock().await;
            if replica.applied() + 1 == change.seq {
                apply(state, std::slice::from_ref(change)).map_err(store_error)?;
                replica.applied.store(change.seq, Ordering::Release);
            }
        }
        Err(e) => return Err(store_error(e)),
    }
    if replica.applied() < seq {
        return Err(ApiError::Unavailable(
            "the edit is committed but this replica could not catch up with it yet; it will shortly".into(),
        ));
    }
    Ok(state.lists()?.version.clone())
}

/// Loads the lists from the store: each list's snapshot (built when there is none, or when
/// it cannot be used) and the changes after it. Returns the lists and the last change they
/// hold.
pub async fn load(state: &AppState, replica: &Replica) -> Result<LoadedLists, LoadError> {
    let _one = replica.catching_up.lock().await;
    replica.store().check_schema().await?;
    let (lists, seq) = load_lists(state, replica).await?;
    replica.applied.store(seq, Ordering::Release);
    Ok(lists)
}

async fn load_lists(state: &AppState, replica: &Replica) -> Result<(LoadedLists, i64), LoadError> {
    let store = replica.store();
    let parser = banchi::Parser::new();
    // A list the store does not hold now has no change up to here: its changes, if one
    // creates it meanwhile, come after this number.
    let start = store.last_seq().await?;
    let mut bases = [None, None];
    let mut base_seq = [start, start];
    for list in ListName::ALL {
        let slot = which(list).slot();
        if let Some((watchlist, seq, version)) = base_of(store, list, &parser).await? {
            bases[slot] = Some((watchlist, version));
            base_seq[slot] = seq;
        }
    }
    let [fraud, forwarders] = bases;
    let fraud = Some(match fraud {
        Some(f) => f,
        None => empty_fraud(&parser)?,
    });
    let mut base = LoadedLists::from_lists(fraud, forwarders, &state.settings.config)?;
    if state.pending_caution() {
        for list in ListName::ALL {
            if let Some((header, rows)) = store.pending_adds(list).await? {
                base.pending_adds.push((which(list), header, rows));
            }
        }
    }
    // Changes after the older base, each list's after its own.
    let from = base_seq[0].min(base_seq[1]);
    let mut changes = Vec::new();
    loop {
        let after = changes.last().map_or(from, |c: &Change| c.seq);
        let batch = store.changes_after(after, 50_000).await?;
        if batch.is_empty() {
            break;
        }
        changes.extend(batch);
    }
    let newest = store.last_seq().await?;
    let last = changes.last().map_or(newest.max(from), |c| c.seq);
    changes.retain(|c| c.seq > base_seq[which(c.list).slot()]);
    *replica.base.lock().unwrap_or_else(PoisonError::into_inner) = base_seq;
    let lists = state
        .lists_with_changes(
            base,
            changes.iter().map(|c| {
                (
                    which(c.list),
                    u64::try_from(c.seq).unwrap_or(0),
                    c.header.as_slice(),
                    c.id.as_str(),
                    c.cells.as_slice(),
                    c.digest.version(),
                )
            }),
        )
        .map_err(|e| LoadError::Store(StoreError::Watchlist(e)))?;
    Ok((lists, last))
}

/// An empty fraud list (the store has none yet): what the first add extends, with the
/// version the store gives a new list.
fn empty_fraud(parser: &banchi::Parser) -> Result<(Watchlist, u32), LoadError> {
    let header = banchi::watchlist::manage::managed_header(Vec::new());
    let digest = banchi::watchlist::journal::Digest::with_header(&header);
    let csv = header.join(",") + "\n";
    let list = Watchlist::from_csv_reader(csv.as_bytes(), ListKind::Fraud, parser)
        .map_err(|e| LoadError::Store(StoreError::Watchlist(e)))?;
    Ok((list, digest.version()))
}

/// `list`'s base: its snapshot, or one built now (and stored, unless another replica is
/// building it); `None` when the store has never held the list.
async fn base_of(
    store: &Store,
    list: ListName,
    parser: &banchi::Parser,
) -> Result<Option<(Watchlist, i64, u32)>, LoadError> {
    match store.load_snapshot(list).await {
        Ok(Some(s)) => return Ok(Some((s.watchlist, s.seq, s.digest.version()))),
        Ok(None) => {}
        Err(e @ StoreError::Snapshot { .. }) => {
            tracing::error!(error = %e, "rebuilding the snapshot from the rows");
        }
        Err(e) => return Err(LoadError::Store(e)),
    }
    if let Some((_, Some(built))) = store.build_snapshot(list, parser).await? {
        return Ok(Some((built.watchlist, built.seq, built.digest.version())));
    }
    // Another replica is building it: an index of our own meanwhile.
    let Some(rows) = store.rows(list).await? else {
        return Ok(None);
    };
    let (seq, version) = (rows.seq, rows.digest.version());
    let parser = *parser;
    let watchlist = tokio::task::spawn_blocking(move || index_rows(list, rows, &parser))
        .await
        .map_err(|e| LoadError::Store(StoreError::Pool(e.to_string())))??;
    Ok(Some((watchlist, seq, version)))
}

/// Starts the follower (see the module documentation).
pub fn spawn(state: &AppState, replica: std::sync::Arc<Replica>) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut listener: Option<Listener> = None;
        let mut backoff = POLL;
        let mut next_listen = Instant::now();
        loop {
            if listener.as_ref().is_none_or(Listener::is_closed) && Instant::now() >= next_listen {
                match Listener::start(replica.store()).await {
                    Ok(l) => {
                        listener = Some(l);
                        backoff = POLL;
                    }
                    Err(e) => {
                        listener = None;
                        tracing::debug!(error = %e, "listening for list changes failed; polling");
                        next_listen = Instant::now() + backoff;
                        backoff = (backoff * 2).min(Duration::from_secs(10));
                    }
                }
            }
            match &listener {
                Some(l) if !l.is_closed() => {
                    tokio::select! {
                        _ = l.notified() => {}
                        _ = tokio::time::sleep(POLL) => {}
                    }
                }
                _ => tokio::time::sleep(POLL).await,
            }
            if !state.is_ready() {
                continue;
            }
            match catch_up(&state, &replica).await {
                Ok(()) => replica.set_current(&state.metrics),
                Err(e) if e.is_unavailable() => {
                    replica.set_stale(&state.metrics, &e);
                    continue;
                }
                Err(e) => {
                    tracing::error!(error = %e, "applying list changes failed; retrying");
                    continue;
                }
            }
            if let Err(e) = snapshots(&state, &replica).await {
                if !e.is_unavailable() {
                    tracing::warn!(error = %e, "index snapshot");
                }
            }
        }
    });
}

/// Once edits have settled: builds a newer snapshot (if this replica wins the lock) or
/// loads one another replica stored, and lets the overlay go of what it covers.
async fn snapshots(state: &AppState, replica: &Replica) -> Result<(), StoreError> {
    let settled = replica
        .last_change
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .is_some_and(|t| t.elapsed() >= SETTLE);
    let base = *replica.base.lock().unwrap_or_else(PoisonError::into_inner);
    for list in ListName::ALL {
        let slot = which(list).slot();
        let stored = replica.store().snapshot_seq(list).await?.unwrap_or(0);
        let newer = if stored > base[slot] {
            replica.store().load_snapshot(list).await.ok().flatten()
        } else if settled && replica.applied() > base[slot] {
            let parser = banchi::Parser::new();
            match replica.store().build_snapshot(list, &parser).await? {
                Some((_, Some(built))) => Some(built),
                _ => None,
            }
        } else {
            None
        };
        let Some(snap) = newer else { continue };
        if snap.seq <= base[slot] {
            continue;
        }
        let _one = replica.catching_up.lock().await;
        let current = state
            .lists()
            .map_err(|_| StoreError::Pool("lists not loaded".into()))?;
        let rebuilt = current.with_base(which(list), snap.watchlist);
        state.install_rebuilt_list(which(list), rebuilt, u64::try_from(snap.seq).unwrap_or(0));
        replica.base.lock().unwrap_or_else(PoisonError::into_inner)[slot] = snap.seq;
        tracing::debug!(list = list.as_str(), seq = snap.seq, "snapshot in force");
    }
    Ok(())
}
