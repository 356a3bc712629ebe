//! Index snapshots: per list, an index file's bytes (the library's format: magic, version,
//! CRC-32, body) and the change-log number it covers.
//!
//! Building one reads every row in one repeatable-read transaction (so the rows and the
//! number agree), indexes them as `banchi index build` would and stores the bytes, replacing
//! an older snapshot. One replica at a time builds (a session advisory lock per list, let go
//! when the builder's connection ends, crash included); the others skip. A starting replica
//! loads the newest snapshot ([`Store::load_snapshot`]) — every block walked, the checksum
//! checked: altered bytes are refused, never misread — and applies the changes after it.

use crate::error::StoreError;
use crate::rows::ListRows;
use crate::{digest_from_sql, digest_to_sql, ListName, Store};
use banchi::watchlist::journal::Digest;
use banchi::watchlist::{ListFile, Watchlist};
use banchi::Parser;
use std::path::Path;
use std::time::Instant;

/// A loaded snapshot.
#[derive(Debug)]
pub struct Snapshot {
    /// The change it covers.
    pub seq: i64,
    /// The list's digest at that change.
    pub digest: Digest,
    /// The index.
    pub watchlist: Watchlist,
}

/// What `banchi store status` shows of a snapshot.
#[derive(Debug, Clone)]
pub struct SnapshotInfo {
    /// The list.
    pub list: ListName,
    /// The change it covers.
    pub seq: i64,
    /// Rows it was built from.
    pub entries: i64,
    /// Size of the index image.
    pub bytes: i64,
    /// Time its build took.
    pub build_ms: i64,
}

/// Key of the advisory lock a list's snapshot builder holds.
fn lock_key(list: ListName) -> i64 {
    match list {
        ListName::Fraud => 0x6261_6e63_6869_0101,
        ListName::Forwarders => 0x6261_6e63_6869_0102,
    }
}

/// Indexes `rows` of `list` (as `banchi index build` indexes a CSV).
pub fn index_rows(
    list: ListName,
    rows: ListRows,
    parser: &Parser,
) -> Result<Watchlist, StoreError> {
    let file = ListFile::from_rows(Path::new("<store>"), rows.header, rows.rows)?;
    let csv = file.to_csv()?;
    drop(file);
    Ok(Watchlist::from_csv_reader(
        csv.as_slice(),
        list.kind(),
        parser,
    )?)
}

impl Store {
    /// The newest snapshot of `list` (`None`: none stored yet). Bytes that do not open as an
    /// index of this build's format are [`StoreError::Snapshot`].
    pub async fn load_snapshot(&self, list: ListName) -> Result<Option<Snapshot>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT seq, digest, image FROM banchi_snapshots WHERE list = $1",
                &[&list.as_str()],
            )
            .await?;
        drop(client);
        let Some(row) = row else { return Ok(None) };
        let seq: i64 = row.get(0);
        let digest = digest_from_sql(row.get(1));
        let image: Vec<u8> = row.get(2);
        drop(row);
        let watchlist = tokio::task::spawn_blocking(move || Watchlist::from_index_image(image))
            .await
            .map_err(|e| StoreError::Pool(e.to_string()))?
            .map_err(|source| StoreError::Snapshot {
                list: list.as_str(),
                seq,
                source,
            })?;
        if watchlist.kind() != list.kind() {
            return Err(StoreError::Snapshot {
                list: list.as_str(),
                seq,
                source: banchi::error::IndexError::Malformed("an index of the other list").into(),
            });
        }
        Ok(Some(Snapshot {
            seq,
            digest,
            watchlist,
        }))
    }

    /// The change the stored snapshot of `list` covers (`None`: none), without its bytes.
    pub async fn snapshot_seq(&self, list: ListName) -> Result<Option<i64>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT seq FROM banchi_snapshots WHERE list = $1",
                &[&list.as_str()],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// Every stored snapshot's figures.
    pub async fn snapshots(&self) -> Result<Vec<SnapshotInfo>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT list, seq, entries, octet_length(image)::bigint, build_ms
                   FROM banchi_snapshots ORDER BY list",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(SnapshotInfo {
                    list: r.get::<_, &str>(0).parse()?,
                    seq: r.get(1),
                    entries: r.get(2),
                    bytes: r.get(3),
                    build_ms: r.get(4),
                })
            })
            .collect()
    }

    /// Builds and stores a snapshot of `list` as of its newest change, unless another
    /// replica is building one (`None`), the list was never written (`None`), or the stored
    /// one is as new (returned as it is, with its figures). Returns the index built, too,
    /// so that the builder swaps it in without loading it back.
    pub async fn build_snapshot(
        &self,
        list: ListName,
        parser: &Parser,
    ) -> Result<Option<(SnapshotInfo, Option<Snapshot>)>, StoreError> {
        let lock = self.client().await?;
        let got: bool = lock
            .query_one("SELECT pg_try_advisory_lock($1)", &[&lock_key(list)])
            .await?
            .get(0);
        if !got {
            return Ok(None);
        }
        let built = self.build_locked(list, parser).await;
        // The lock goes with the session anyway; let go of it now so the connection can
        // return to the pool clean.
        let unlocked = lock
            .query_one("SELECT pg_advisory_unlock($1)", &[&lock_key(list)])
            .await;
        let built = built?;
        unlocked?;
        Ok(built)
    }

    async fn build_locked(
        &self,
        list: ListName,
        parser: &Parser,
    ) -> Result<Option<(SnapshotInfo, Option<Snapshot>)>, StoreError> {
        let stored = self.snapshot_seq(list).await?;
        let newest = self.last_list_seq(list).await?;
        if let (Some(s), Some(n)) = (stored, newest) {
            if s >= n {
                let info = self.snapshots().await?.into_iter().find(|i| i.list == list);
                return Ok(info.map(|i| (i, None)));
            }
        }
        let Some(rows) = self.rows(list).await? else {
            return Ok(None);
        };
        let started = Instant::now();
        let (seq, digest, entries) = (rows.seq, rows.digest, rows.rows.len() as i64);
        let parser = *parser;
        let (watchlist, image) = tokio::task::spawn_blocking(move || {
            let list_index = index_rows(list, rows, &parser)?;
            let image = list_index.index_image();
            Ok::<_, StoreError>((list_index, image))
        })
        .await
        .map_err(|e| StoreError::Pool(e.to_string()))??;
        let build_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let bytes = image.len() as i64;
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO banchi_snapshots (list, seq, digest, entries, image, build_ms)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (list) DO UPDATE SET seq = EXCLUDED.seq, digest = EXCLUDED.digest,
                     entries = EXCLUDED.entries, image = EXCLUDED.image,
                     build_ms = EXCLUDED.build_ms, built_at = now()
                  WHERE banchi_snapshots.seq < EXCLUDED.seq",
                &[
                    &list.as_str(),
                    &seq,
                    &digest_to_sql(digest),
                    &entries,
                    &image,
                    &build_ms,
                ],
            )
            .await?;
        tracing::info!(
            list = list.as_str(),
            seq,
            entries,
            bytes,
            build_ms,
            "index snapshot stored"
        );
        let info = SnapshotInfo {
            list,
            seq,
            entries,
            bytes,
            build_ms,
        };
        Ok(Some((
            info,
            Some(Snapshot {
                seq,
                digest,
                watchlist,
            }),
        )))
    }

    /// The number of the last change to `list` (`None`: none).
    pub async fn last_list_seq(&self, list: ListName) -> Result<Option<i64>, StoreError> {
        let client = self.client().await?;
        Ok(client
            .query_one(
                "SELECT max(seq) FROM banchi_changes WHERE list = $1",
                &[&list.as_str()],
            )
            .await?
            .get(0))
    }
}
