//! Reloading the lists whole: from their files (SIGHUP, `POST /v1/admin/reload`, the file
//! watch, the background rebuild after API edits) or, with `--store postgres`, from the
//! store ([`crate::follow::load`]: snapshots and the changes after them). Methods of
//! [`AppState`] kept apart from the state itself, so that the state does not import the
//! loaders that read it.

use crate::lists::{LoadError, LoadedLists};
use crate::state::AppState;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Quiet time after an API edit before the background rebuild (edits meanwhile coalesce).
const REBUILD_DELAY: Duration = Duration::from_millis(200);

impl AppState {
    /// Loads the lists from their files off the async threads and swaps them in; on failure
    /// the active lists stay. One reload runs at a time. Edits made through the API while it
    /// reads stay in force (in the overlay) across the swap.
    pub async fn reload(&self) -> Result<(), LoadError> {
        let _one_at_a_time = self.reload_lock.lock().await;
        self.reload_locked().await
    }

    /// [`AppState::reload`] with `reload_lock` held: folds the lists' edit journals into
    /// their CSVs first ([`AppState::fold_journals`]), then reads the files.
    async fn reload_locked(&self) -> Result<(), LoadError> {
        if let Some(replica) = &self.replica {
            // From the store: its snapshots and the changes after them (no files).
            return match crate::follow::load(self, replica).await {
                Ok(lists) => {
                    self.install(lists);
                    self.metrics.reload(true);
                    self.metrics.store(false, replica.applied());
                    Ok(())
                }
                Err(e) => {
                    self.metrics.reload(false);
                    Err(e)
                }
            };
        }
        let snapshot = self.pending().seq();
        let state = self.clone();
        let loaded = tokio::task::spawn_blocking(move || {
            state.fold_journals();
            LoadedLists::load_with(
                &state.sources,
                &state.settings.config,
                state.pending_caution(),
            )
        })
        .await
        .map_err(|e| LoadError::Io {
            path: "<reload task>".into(),
            source: std::io::Error::other(e.to_string()),
        })?;
        match loaded {
            Ok(lists) => {
                self.install_rebuilt(lists, snapshot);
                self.metrics.reload(true);
                self.spawn_editor_warm_up();
                Ok(())
            }
            Err(e) => {
                self.metrics.reload(false);
                Err(e)
            }
        }
    }

    /// Rebuilds the base lists from the files in the background, shortly (so edits close
    /// together share one rebuild) and after any rebuild running now. At most one rebuild
    /// waits at a time.
    pub fn schedule_rebuild(&self) {
        if self.replica.is_some() {
            // The store's follower rebuilds (snapshots) once edits settle.
            return;
        }
        if self.rebuild_queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let state = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(REBUILD_DELAY).await;
            let _one_at_a_time = state.reload_lock.lock().await;
            // Edits from here on queue the next rebuild.
            state.rebuild_queued.store(false, Ordering::Release);
            match state.reload_locked().await {
                Ok(()) => tracing::debug!("lists rebuilt with the recent edits"),
                Err(e) => tracing::error!(
                    error = %e,
                    "rebuilding the lists failed; the recent edits stay in force from the overlay"
                ),
            }
        });
    }
}
