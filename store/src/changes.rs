//! The change log after a sequence number, and the wake-up when a change commits.
//!
//! A replica holds the lists as of change N. It asks for every change after N
//! ([`Store::changes_after`]) when a `NOTIFY` arrives ([`Listener`]) and on a short poll
//! besides: notifications are an optimisation, the sequence number is the truth. A change
//! committed while a replica was cut off from the database is applied when it reconnects,
//! because it asks "after N" again. Sequence numbers are handed out under one row lock
//! ([`crate::edit`]), so no change with a smaller number can commit after a larger one has
//! been seen.

use crate::edit::CHANNEL;
use crate::error::StoreError;
use crate::{digest_from_sql, ListName, Store};
use banchi::watchlist::journal::Digest;
use std::str::FromStr;
use std::sync::Arc;
use tokio::sync::Notify;

/// One committed change: the entry's full image after it and the list's digest then.
#[derive(Debug, Clone)]
pub struct Change {
    /// Sequence number (commit order).
    pub seq: i64,
    /// The list.
    pub list: ListName,
    /// The entry's id.
    pub id: String,
    /// The list's columns when it was made.
    pub header: Vec<String>,
    /// The entry's cells after it.
    pub cells: Vec<String>,
    /// The list's digest after it.
    pub digest: Digest,
}

impl Store {
    /// Up to `limit` changes after `seq`, oldest first.
    pub async fn changes_after(&self, seq: i64, limit: i64) -> Result<Vec<Change>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT seq, list, id, header, cells, digest FROM banchi_changes
                  WHERE seq > $1 ORDER BY seq LIMIT $2",
                &[&seq, &limit],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Change {
                    seq: r.get(0),
                    list: ListName::from_str(r.get::<_, &str>(1))?,
                    id: r.get(2),
                    header: r.get(3),
                    cells: r.get(4),
                    digest: digest_from_sql(r.get(5)),
                })
            })
            .collect()
    }

    /// The last committed change's number (0: none yet).
    pub async fn last_seq(&self) -> Result<i64, StoreError> {
        let client = self.client().await?;
        Ok(client
            .query_one("SELECT seq FROM banchi_sequence", &[])
            .await?
            .get(0))
    }
}

/// A `LISTEN banchi_changes` connection of its own that wakes [`Listener::notified`] on
/// every commit. It does not reconnect by itself: when [`Listener::is_closed`], make a new
/// one (the follower does, with backoff) and ask for the changes after the last one held.
#[derive(Debug)]
pub struct Listener {
    _client: tokio_postgres::Client,
    wake: Arc<Notify>,
    driver: tokio::task::JoinHandle<()>,
}

impl Listener {
    /// Connects and listens.
    pub async fn start(store: &Store) -> Result<Listener, StoreError> {
        let wake = Arc::new(Notify::new());
        let on_message = {
            let wake = Arc::clone(&wake);
            move |m| {
                if let tokio_postgres::AsyncMessage::Notification(_) = m {
                    wake.notify_one();
                }
            }
        };
        let (client, driver) = crate::connect::dedicated(store.url(), on_message).await?;
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
        Ok(Listener {
            _client: client,
            wake,
            driver,
        })
    }

    /// Resolves at the next notification (one that came since the last call counts).
    pub async fn notified(&self) {
        self.wake.notified().await
    }

    /// True once the connection has ended.
    pub fn is_closed(&self) -> bool {
        self.driver.is_finished()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.driver.abort();
    }
}
