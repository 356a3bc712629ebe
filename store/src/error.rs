//! What can go wrong with the store, each message naming what to do. Messages never carry
//! the database password or a list row's address.

use banchi::error::{ListError, WatchlistError};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No URL in the environment.
    #[error(
        "no database URL: set BANCHI_DATABASE_URL, or BANCHI_DATABASE_URL_FILE naming a file that holds it"
    )]
    NoUrl,
    /// The URL does not parse (the message never quotes it: it may hold a password).
    #[error("the database URL is not valid: {0}")]
    BadUrl(String),
    /// A file the store reads (URL file, CA certificate).
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// TLS set-up.
    #[error("TLS to PostgreSQL: {0}")]
    Tls(String),
    /// PostgreSQL could not be reached or refused the login.
    #[error("cannot connect to PostgreSQL at {target}: {message}")]
    Connect {
        /// `host:port/database`, never the password.
        target: String,
        /// Why.
        message: String,
    },
    /// A query failed.
    #[error("PostgreSQL: {}", db_message(.0))]
    Db(#[from] tokio_postgres::Error),
    /// No banchi tables.
    #[error("the database has no banchi schema: run `banchi store migrate` (as the role owning the tables)")]
    NoSchema,
    /// The tables are older than this build.
    #[error("the banchi schema is at version {found}, this banchi needs {known}: run `banchi store migrate` (as the role owning the tables)")]
    SchemaOld {
        /// Version in the database.
        found: i32,
        /// Version this build knows.
        known: i32,
    },
    /// The tables were made by a newer banchi.
    #[error("the banchi schema is at version {found}, newer than this banchi knows ({known}): run a banchi at least as new as the one that migrated it")]
    SchemaNewer {
        /// Version in the database.
        found: i32,
        /// Version this build knows.
        known: i32,
    },
    /// A snapshot's bytes do not open as an index.
    #[error("the {list} list's index snapshot at change {seq} is unusable ({source}); it is rebuilt from the rows by `banchi store snapshot --list {list}` or by any replica")]
    Snapshot {
        /// `fraud` or `forwarders`.
        list: &'static str,
        /// The change it covers.
        seq: i64,
        /// Why.
        source: WatchlistError,
    },
    /// The list's columns and a file's do not fit together.
    #[error("the {list} list in the store has no column{plural} {missing}: export it, add the column{plural} to the file and import that into an empty database")]
    Columns {
        /// `fraud` or `forwarders`.
        list: &'static str,
        /// The file's columns the store lacks.
        missing: String,
        /// `s` when several.
        plural: &'static str,
    },
    /// A list rule refused the change (unknown id, duplicate id, not a block …).
    #[error(transparent)]
    List(#[from] ListError),
    /// A list could not be read or indexed.
    #[error(transparent)]
    Watchlist(#[from] WatchlistError),
    /// No connection from the pool.
    #[error("no database connection: {0}")]
    Pool(String),
    /// A list name other than the two.
    #[error("unknown list `{0}`: the lists are `fraud` and `forwarders`")]
    UnknownList(String),
}

/// The server's message and SQLSTATE for a database error (the client library's own
/// `Display` says only "db error"); never the detail, which can quote a row.
fn db_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

impl StoreError {
    /// True when the database could not be reached (as opposed to refusing what was asked):
    /// the server answers 503 and keeps screening on the lists it holds.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Connect { .. } | StoreError::Pool(_) => true,
            // No answer, or an answer that says the server cannot serve now: connection
            // exceptions (08), shutting down or starting up (57P01–57P03), too many
            // connections (53300).
            StoreError::Db(e) => match e.as_db_error() {
                None => true,
                Some(db) => {
                    let code = db.code().code();
                    e.is_closed()
                        || code.starts_with("08")
                        || code.starts_with("57P")
                        || code == "53300"
                }
            },
            _ => false,
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => StoreError::Db(e),
            other => StoreError::Pool(other.to_string()),
        }
    }
}
