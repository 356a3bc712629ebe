//! Edits made outside the server (`banchi list …`, `banchi index build`) picked up without a
//! signal.
//!
//! The directories holding the list files are watched (the `notify` crate: inotify on
//! Linux), not the files: every writer replaces a list by renaming a finished temp file over
//! it, which a watch on the old file would miss. Events for other names — the writers'
//! `.NAME.*.tmp` files, the lock file — are ignored, so a half-written file is never read;
//! the edit journal `.NAME.journal` is watched too (appended by another server). A burst of
//! events is folded into one check after [`DEBOUNCE`]; the check reads each list file (and
//! journal) and reloads only when its version differs from the version in force (the
//! server's own edits and folds, already in force, cause no reload). A failed reload keeps the
//! lists in force, as SIGHUP does; SIGHUP still reloads at once.

use crate::lists::Which;
use crate::state::AppState;
use banchi::watchlist::journal;
use notify::{EventKind, RecursiveMode, Watcher};
use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Quiet time after the last event before the files are checked.
pub const DEBOUNCE: Duration = Duration::from_millis(250);

/// The directory a list file lives in (`.` for a bare file name).
fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Starts watching the list files of `state` (nothing to watch: the bundled list only). A
/// watch that cannot be set up is logged and left out: SIGHUP still reloads.
pub fn spawn(state: &AppState) {
    let files: Vec<(Which, PathBuf)> = [
        (Which::Fraud, state.sources.fraud.clone()),
        (Which::Forwarders, state.sources.forwarders.clone()),
    ]
    .into_iter()
    .filter_map(|(which, path)| path.map(|p| (which, p)))
    .collect();
    if files.is_empty() {
        return;
    }
    // The list files and their edit journals (appended by another server).
    let names: HashSet<OsString> = files
        .iter()
        .flat_map(|(_, p)| [p.clone(), journal::journal_path(p)])
        .filter_map(|p| p.file_name().map(OsString::from))
        .collect();
    // One slot: an event while a check is queued is already covered by it.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
    let handler = move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if matches!(event.kind, EventKind::Access(_)) {
            return;
        }
        let ours = event
            .paths
            .iter()
            .any(|p| p.file_name().is_some_and(|n| names.contains(n)));
        if ours {
            let _ = tx.try_send(());
        }
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch the list files; reload them with SIGHUP");
            return;
        }
    };
    let directories: HashSet<PathBuf> = files.iter().map(|(_, p)| directory_of(p)).collect();
    for dir in &directories {
        if let Err(e) = watcher.watch(dir, RecursiveMode::NonRecursive) {
            tracing::warn!(error = %e, "cannot watch a list directory; reload with SIGHUP");
        }
    }
    let state = state.clone();
    tokio::spawn(async move {
        // The watcher lives as long as this task.
        let _watcher = watcher;
        while rx.recv().await.is_some() {
            tokio::time::sleep(DEBOUNCE).await;
            while rx.try_recv().is_ok() {}
            if changed_outside(&state, &files).await {
                match state.reload().await {
                    Ok(()) => tracing::info!(
                        lists_version = %state.lists().map(|l| l.version.clone()).unwrap_or_default(),
                        "lists reloaded (a list file changed)"
                    ),
                    Err(e) => {
                        tracing::error!(error = %e, "reload failed; the previous lists stay")
                    }
                }
            }
        }
    });
}

/// The version of the list at `path` as a load would report it (`None`: unreadable).
fn list_version(path: &Path) -> Option<u32> {
    match banchi::watchlist::file::looks_like_index(path) {
        Ok(true) => std::fs::read(path).ok().map(|b| crc32fast::hash(&b)),
        Ok(false) => journal::version_of(path).ok().flatten(),
        Err(_) => None,
    }
}

/// True when a list file's version differs from the version in force (lists not loaded yet:
/// false, the first load reads the files anyway).
async fn changed_outside(state: &AppState, files: &[(Which, PathBuf)]) -> bool {
    let Ok(lists) = state.lists() else {
        return false;
    };
    // A list whose files are what the server's own editor last wrote (its edits and folds)
    // has not changed outside: no need to read it.
    let files: Vec<(Which, PathBuf)> = files
        .iter()
        .filter(|(which, _)| {
            let editor = state.editor(*which);
            !editor.as_ref().is_some_and(|e| {
                e.is_current().unwrap_or(false) && Some(e.version()) == lists.crc(*which)
            })
        })
        .cloned()
        .collect();
    let on_disk = tokio::task::spawn_blocking(move || {
        files
            .into_iter()
            .map(|(which, path)| (which, list_version(&path)))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    on_disk
        .into_iter()
        .any(|(which, crc)| crc.is_some() && crc != lists.crc(which))
}
