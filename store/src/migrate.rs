//! The schema, under versioned migrations compiled into the binary.
//!
//! `banchi store migrate` applies the ones the database lacks, in one transaction under an
//! advisory lock (two migrating at once wait for each other), recording each in
//! `banchi_schema_migrations`. Everything else checks the recorded version first
//! ([`check`]): a database without the tables, or behind this build, names `banchi store
//! migrate`; one ahead of it (migrated by a newer banchi) is refused, never guessed at.
//! Migrations run as the role owning the tables; the server's role needs only `SELECT`,
//! `INSERT` and `UPDATE` on them (README, "Several replicas").

use crate::error::StoreError;

/// One migration: its version, name and SQL.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Schema version after it.
    pub version: i32,
    /// What it does.
    pub name: &'static str,
    sql: &'static str,
}

/// Every migration, oldest first (versions count up from 1 without a gap: see the test).
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "lists, entries, change log, snapshots",
        sql: include_str!("../migrations/0001_lists.sql"),
    },
    Migration {
        version: 2,
        name: "four eyes: the pending change of an entry",
        sql: include_str!("../migrations/0002_four_eyes.sql"),
    },
    Migration {
        version: 3,
        name: "decisions, outcomes, webhook outbox",
        sql: include_str!("../migrations/0003_decisions.sql"),
    },
];

/// The schema version this build reads and writes.
pub const SCHEMA_VERSION: i32 = 3;

/// Key of the advisory lock migrations hold.
const MIGRATE_LOCK: i64 = 0x6261_6e63_6869_0001;

/// Applies the migrations the database lacks; returns the ones applied.
pub(crate) async fn migrate(
    client: &mut tokio_postgres::Client,
) -> Result<Vec<Migration>, StoreError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS banchi_schema_migrations (
             version    integer PRIMARY KEY,
             name       text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .await?;
    let current: Option<i32> = tx
        .query_one("SELECT max(version) FROM banchi_schema_migrations", &[])
        .await?
        .get(0);
    let current = current.unwrap_or(0);
    if current > SCHEMA_VERSION {
        return Err(StoreError::SchemaNewer {
            found: current,
            known: SCHEMA_VERSION,
        });
    }
    let mut applied = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.batch_execute(m.sql).await?;
        tx.execute(
            "INSERT INTO banchi_schema_migrations (version, name) VALUES ($1, $2)",
            &[&m.version, &m.name],
        )
        .await?;
        applied.push(*m);
    }
    tx.commit().await?;
    Ok(applied)
}

/// The schema version recorded in the database (0: no banchi tables).
pub(crate) async fn version(client: &tokio_postgres::Client) -> Result<i32, StoreError> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('banchi_schema_migrations') IS NOT NULL",
            &[],
        )
        .await?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let v: Option<i32> = client
        .query_one("SELECT max(version) FROM banchi_schema_migrations", &[])
        .await?
        .get(0);
    Ok(v.unwrap_or(0))
}

/// Refuses a database whose schema is not [`SCHEMA_VERSION`] (see the module documentation).
pub(crate) async fn check(client: &tokio_postgres::Client) -> Result<(), StoreError> {
    match version(client).await? {
        0 => Err(StoreError::NoSchema),
        v if v < SCHEMA_VERSION => Err(StoreError::SchemaOld {
            found: v,
            known: SCHEMA_VERSION,
        }),
        v if v > SCHEMA_VERSION => Err(StoreError::SchemaNewer {
            found: v,
            known: SCHEMA_VERSION,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_count_up_from_one_to_the_schema_version() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i32 + 1, "{}", m.name);
            assert!(!m.sql.trim().is_empty());
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }
}
