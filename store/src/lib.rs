//! banchi's lists in PostgreSQL, for several `banchi serve` replicas sharing one truth.
//!
//! The embedded default keeps each list in a CSV file with its edit journal beside it; that
//! serves one machine. With `--store postgres` the rows live in PostgreSQL instead, and
//! every replica — on any host — applies every committed change:
//!
//! - **Rows** (`banchi_entries`): the list CSV's cells per entry, plus the columns operators
//!   query (address, key, reason, memo, service, status, who, when). Edits apply the
//!   library's row rules ([`banchi::watchlist::manage`]), so an entry added here is the row
//!   `banchi list add` would have written.
//! - **Change log** (`banchi_changes`): per committed change its sequence number, the row's
//!   full image, the list's digest after it ([`banchi::watchlist::journal::Digest`], so
//!   `lists_version` means what it means for files), who and when — written in the same
//!   transaction as the row, with `NOTIFY banchi_changes` on commit. Sequence numbers are
//!   handed out under one row lock, so their order is commit order, and "every change after
//!   N" never skips one committed late ([`changes`]).
//! - **Snapshots** (`banchi_snapshots`): per list an index file's bytes and the sequence
//!   number it covers, rebuilt by one replica at a time under an advisory lock
//!   ([`snapshot`]); a starting replica loads it and lays the changes after it over it.
//! - **Decisions** (`banchi_decisions`, `banchi_outcomes`, `banchi_webhook_outbox`): the
//!   tables of `banchi-decisions`' PostgreSQL backend (the review queue, outcomes, the webhook
//!   outbox every replica shares), created by migration 3; that crate queries them over
//!   [`Store::client`].
//!
//! Modules: [`url`] (where the database is; never logged), [`connect`] (pool, TLS),
//! [`migrate`] (versioned schema), [`rows`] (reading entries), [`edit`] (add, disable,
//! enable in one transaction each), [`transfer`] (import and export of list CSVs),
//! [`changes`] (the log after a sequence number; `LISTEN`), [`snapshot`].
//!
//! The library stays free of all this: it knows rows, digests and index images; this crate
//! knows where they are kept.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod changes;
pub mod connect;
pub mod edit;
pub mod error;
pub mod migrate;
pub mod rows;
pub mod snapshot;
pub mod transfer;
pub mod url;

pub use changes::Change;
pub use error::StoreError;
pub use url::DatabaseUrl;

use banchi::watchlist::ListKind;

/// One of the two lists the store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListName {
    /// Past fraud (`fraud`).
    Fraud,
    /// Forwarding warehouses (`forwarders`).
    Forwarders,
}

impl ListName {
    /// Both lists.
    pub const ALL: [ListName; 2] = [ListName::Fraud, ListName::Forwarders];

    /// `fraud` or `forwarders`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            ListName::Fraud => "fraud",
            ListName::Forwarders => "forwarders",
        }
    }

    /// The library's kind of list.
    pub fn kind(self) -> ListKind {
        match self {
            ListName::Fraud => ListKind::Fraud,
            ListName::Forwarders => ListKind::Forwarder,
        }
    }
}

impl std::str::FromStr for ListName {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<ListName, StoreError> {
        match s {
            "fraud" => Ok(ListName::Fraud),
            "forwarders" => Ok(ListName::Forwarders),
            other => Err(StoreError::UnknownList(other.to_owned())),
        }
    }
}

/// The store: a pool of connections to one database (see the crate documentation).
/// Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Store {
    pool: deadpool_postgres::Pool,
    url: DatabaseUrl,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("target", &self.url.target())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// A store over the database at `url`, not yet connected (see [`Store::open`]).
    pub fn new(url: DatabaseUrl) -> Result<Store, StoreError> {
        Ok(Store {
            pool: connect::pool(&url)?,
            url,
        })
    }

    /// A store over the database at `url` whose schema is this build's: connects once and
    /// refuses a database without banchi's tables, or migrated to another version, with
    /// the command that fixes it.
    pub async fn open(url: DatabaseUrl) -> Result<Store, StoreError> {
        let store = Store::new(url)?;
        let client = store.client().await?;
        migrate::check(&client).await?;
        Ok(store)
    }

    /// Refuses a database whose schema is not this build's (see [`Store::open`]).
    pub async fn check_schema(&self) -> Result<(), StoreError> {
        let client = self.client().await?;
        migrate::check(&client).await
    }

    /// `host:port/database` (no password): what logs and messages show.
    pub fn target(&self) -> String {
        self.url.target()
    }

    /// The URL (for connections of one's own: [`changes::Listener`]).
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// A pooled connection; an unreachable database is [`StoreError::Connect`]. Public for
    /// the crates keeping their own tables in this database (`banchi-decisions`).
    pub async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(|e| match e {
            deadpool_postgres::PoolError::Backend(e) if e.as_db_error().is_none() => {
                StoreError::Connect {
                    target: self.url.target(),
                    message: e.to_string(),
                }
            }
            other => StoreError::from(other),
        })
    }

    /// Applies the migrations the database lacks (as the tables' owner); returns those
    /// applied.
    pub async fn migrate(&self) -> Result<Vec<migrate::Migration>, StoreError> {
        let mut client = self.client().await?;
        migrate::migrate(&mut client).await
    }

    /// The schema version recorded (0: none).
    pub async fn schema_version(&self) -> Result<i32, StoreError> {
        let client = self.client().await?;
        migrate::version(&client).await
    }
}

/// A digest kept as PostgreSQL's `bigint` (the same 64 bits).
pub(crate) fn digest_to_sql(d: banchi::watchlist::journal::Digest) -> i64 {
    d.bits() as i64
}

/// A digest read back from `bigint`.
pub(crate) fn digest_from_sql(v: i64) -> banchi::watchlist::journal::Digest {
    banchi::watchlist::journal::Digest::from_bits(v as u64)
}
