//! Why a decision-store call failed: the order's state (for the API's 404/409) or the
//! database (for its 503/500). Messages never hold an address or a buyer field.

use crate::record::ReviewStatus;

/// A failed call.
#[derive(Debug, thiserror::Error)]
pub enum DecisionsError {
    /// No order with this id was recorded, or its record was pruned.
    #[error("no order with this id was recorded, or its record has expired (retention)")]
    NotFound,
    /// The order was recorded but never went to the review queue.
    #[error("this order was not sent to review (its action was not one of review_actions)")]
    NotInQueue,
    /// The order was approved or confirmed fraud already.
    #[error("this order was decided already ({})", .0.as_str())]
    AlreadyDecided(ReviewStatus),
    /// The SQLite file.
    #[error("decision store (SQLite): {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Creating or securing the SQLite file.
    #[error("decision store {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The PostgreSQL store.
    #[error("decision store (PostgreSQL): {0}")]
    Store(#[from] banchi_store::StoreError),
    /// A blocking task did not finish.
    #[error("decision store: a worker task failed")]
    Task,
}

impl DecisionsError {
    /// True for the database being unreachable (the API answers 503), as opposed to a bug
    /// or a refused call.
    pub fn is_unavailable(&self) -> bool {
        match self {
            DecisionsError::Store(e) => e.is_unavailable(),
            DecisionsError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ),
            _ => false,
        }
    }
}

impl From<tokio_postgres::Error> for DecisionsError {
    fn from(e: tokio_postgres::Error) -> Self {
        DecisionsError::Store(banchi_store::StoreError::from(e))
    }
}
