//! Reading a list's entries: one by id, a page after an id, or all of them as of one change
//! (for an index or an export), each answer from one consistent view of the database.

use crate::error::StoreError;
use crate::{digest_from_sql, ListName, Store};
use banchi::watchlist::journal::Digest;
use banchi::watchlist::manage::{view, EntryView};
use futures_util::TryStreamExt;
use tokio_postgres::GenericClient;

/// A list's own row: its columns, digest and counters.
#[derive(Debug, Clone)]
pub struct ListMeta {
    /// Columns, in CSV order.
    pub header: Vec<String>,
    /// Digest of the content (`lists_version`'s part).
    pub digest: Digest,
    /// Largest numeric id.
    pub max_numeric: i64,
    /// Position the next new row takes.
    pub next_position: i64,
}

/// Every row of a list as of change `seq`.
#[derive(Debug, Clone)]
pub struct ListRows {
    /// Columns, in CSV order.
    pub header: Vec<String>,
    /// Rows in list order, each padded to the header's width.
    pub rows: Vec<Vec<String>>,
    /// The last change they include.
    pub seq: i64,
    /// Their digest.
    pub digest: Digest,
}

/// The list's row, `None` when the list was never written; `lock` takes its row lock
/// (writers, inside their transaction).
pub(crate) async fn meta<C: GenericClient>(
    client: &C,
    list: ListName,
    lock: bool,
) -> Result<Option<ListMeta>, StoreError> {
    let sql = if lock {
        "SELECT header, digest, max_numeric, next_position FROM banchi_lists WHERE list = $1 FOR UPDATE"
    } else {
        "SELECT header, digest, max_numeric, next_position FROM banchi_lists WHERE list = $1"
    };
    let row = client.query_opt(sql, &[&list.as_str()]).await?;
    Ok(row.map(|r| ListMeta {
        header: r.get(0),
        digest: digest_from_sql(r.get(1)),
        max_numeric: r.get(2),
        next_position: r.get(3),
    }))
}

/// The cells of entry `id` (padded to `width`), `lock` taking its row lock.
pub(crate) async fn cells<C: GenericClient>(
    client: &C,
    list: ListName,
    id: &str,
    lock: bool,
) -> Result<Option<Vec<String>>, StoreError> {
    let sql = if lock {
        "SELECT cells FROM banchi_entries WHERE list = $1 AND id = $2 FOR UPDATE"
    } else {
        "SELECT cells FROM banchi_entries WHERE list = $1 AND id = $2"
    };
    let row = client.query_opt(sql, &[&list.as_str(), &id.trim()]).await?;
    Ok(row.map(|r| r.get(0)))
}

impl Store {
    /// True when `list` has been written to the store (imported or edited).
    pub async fn has_list(&self, list: ListName) -> Result<bool, StoreError> {
        let client = self.client().await?;
        Ok(meta(&**client, list, false).await?.is_some())
    }

    /// `list`'s rows as a list file held in memory (what the server's import checks rows
    /// against); an empty list with the management columns when never written.
    pub async fn list_file(
        &self,
        list: ListName,
    ) -> Result<banchi::watchlist::ListFile, StoreError> {
        let path = std::path::Path::new("<store>");
        match self.rows(list).await? {
            Some(rows) => Ok(banchi::watchlist::ListFile::from_rows(
                path,
                rows.header,
                rows.rows,
            )?),
            None => Ok(banchi::watchlist::ListFile::from_rows(
                path,
                banchi::watchlist::manage::managed_header(Vec::new()),
                Vec::new(),
            )?),
        }
    }

    /// `list`'s active and disabled entries and its last change (`None`: not in the store).
    pub async fn counts(
        &self,
        list: ListName,
    ) -> Result<Option<(i64, i64, Option<i64>)>, StoreError> {
        let client = self.client().await?;
        if meta(&**client, list, false).await?.is_none() {
            return Ok(None);
        }
        let r = client
            .query_one(
                "SELECT count(*) FILTER (WHERE status <> 'disabled'), count(*) FILTER (WHERE status = 'disabled'),
                        (SELECT max(seq) FROM banchi_changes WHERE list = $1)
                   FROM banchi_entries WHERE list = $1",
                &[&list.as_str()],
            )
            .await?;
        Ok(Some((r.get(0), r.get(1), r.get(2))))
    }

    /// The on-disk size of banchi's tables with their indexes and TOAST, bytes.
    pub async fn size_bytes(&self) -> Result<i64, StoreError> {
        let client = self.client().await?;
        Ok(client
            .query_one(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
                  WHERE c.relkind = 'r' AND c.relname LIKE 'banchi\\_%'",
                &[],
            )
            .await?
            .get(0))
    }

    /// The pending adds of `list` (status `pending`: four eyes, waiting for approval) with
    /// the list's header; `None` when the store does not hold the list. No snapshot indexes
    /// them: a replica grading them `caution` (`pending_grade = "caution"`) reads them here.
    pub async fn pending_adds(
        &self,
        list: ListName,
    ) -> Result<Option<(Vec<String>, Vec<Vec<String>>)>, StoreError> {
        let client = self.client().await?;
        let Some(meta) = meta(&**client, list, false).await? else {
            return Ok(None);
        };
        let rows = client
            .query(
                "SELECT cells FROM banchi_entries WHERE list = $1 AND status = 'pending' ORDER BY position",
                &[&list.as_str()],
            )
            .await?;
        let rows = rows.iter().map(|r| r.get::<_, Vec<String>>(0)).collect();
        Ok(Some((meta.header, rows)))
    }

    /// The entry `id` of `list` as shown (history included).
    pub async fn entry(&self, list: ListName, id: &str) -> Result<Option<EntryView>, StoreError> {
        let client = self.client().await?;
        let Some(meta) = meta(&**client, list, false).await? else {
            return Ok(None);
        };
        Ok(cells(&**client, list, id, false)
            .await?
            .map(|row| view(&meta.header, &row)))
    }

    /// Up to `limit` entries of `list` after entry `after` (from the first when `None`) in
    /// list order, those with `status` only when given (`pending`: those with a change
    /// waiting for approval, four eyes); and whether more follow. `None`
    /// when `after` names no entry.
    pub async fn page(
        &self,
        list: ListName,
        after: Option<&str>,
        limit: usize,
        status: Option<&str>,
    ) -> Result<Option<(Vec<EntryView>, bool)>, StoreError> {
        let client = self.client().await?;
        let Some(meta) = meta(&**client, list, false).await? else {
            return Ok(after.is_none().then(|| (Vec::new(), false)));
        };
        let from = match after {
            None => -1,
            Some(id) => {
                let row = client
                    .query_opt(
                        "SELECT position FROM banchi_entries WHERE list = $1 AND id = $2",
                        &[&list.as_str(), &id.trim()],
                    )
                    .await?;
                match row {
                    Some(r) => r.get::<_, i64>(0),
                    None => return Ok(None),
                }
            }
        };
        let take = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
        let rows = client
            .query(
                "SELECT cells FROM banchi_entries
                  WHERE list = $1 AND position > $2
                    AND ($3::text IS NULL OR (CASE WHEN $3 = 'pending' THEN pending <> '' ELSE status = $3 END))
                  ORDER BY position LIMIT $4",
                &[&list.as_str(), &from, &status, &take],
            )
            .await?;
        let more = rows.len() > limit;
        let entries = rows
            .iter()
            .take(limit)
            .map(|r| view(&meta.header, &r.get::<_, Vec<String>>(0)))
            .collect();
        Ok(Some((entries, more)))
    }

    /// Every row of `list` and the change they are as of, read in one repeatable-read
    /// transaction (`None`: the list was never written).
    pub async fn rows(&self, list: ListName) -> Result<Option<ListRows>, StoreError> {
        let mut client = self.client().await?;
        let client: &mut tokio_postgres::Client = &mut client;
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let seq: i64 = tx
            .query_one("SELECT seq FROM banchi_sequence", &[])
            .await?
            .get(0);
        let Some(meta) = meta(&tx, list, false).await? else {
            return Ok(None);
        };
        let width = meta.header.len();
        let stream = tx
            .query_raw(
                "SELECT cells FROM banchi_entries WHERE list = $1 ORDER BY position",
                &[&list.as_str()],
            )
            .await?;
        let rows: Vec<Vec<String>> = stream
            .map_ok(|r| {
                let mut cells: Vec<String> = r.get(0);
                cells.resize(width, String::new());
                cells
            })
            .try_collect()
            .await?;
        tx.commit().await?;
        Ok(Some(ListRows {
            header: meta.header,
            rows,
            seq,
            digest: meta.digest,
        }))
    }
}
