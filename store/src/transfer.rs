//! List CSVs in and out: `banchi store import LIST.csv --list fraud` and `banchi store
//! export --list fraud -o LIST.csv`.
//!
//! An import reads the file as every reader of a list does (its edit journal applied,
//! [`ListFile::open`]) and writes, in one transaction, each row that is new or differs from
//! the stored one — a change-log image each, like any edit — and leaves rows it does not
//! mention as they are: importing the same file twice changes nothing the second time. New
//! rows go in by `COPY` (a million in seconds). Into an empty list the file's columns are
//! taken as they are; into a list with rows, the file's columns must be the list's (by name,
//! any order).
//!
//! An export writes the rows in list order with the columns as stored, the way `banchi list`
//! writes a list (atomically, mode 0600): a file imported and exported again has the same
//! bytes, row for row, when banchi wrote it (the header's names are the loader's, trimmed).

use crate::changes::Change;
use crate::edit::{Derived, Writer};
use crate::error::StoreError;
use crate::{digest_to_sql, ListName, Store};
use banchi::watchlist::journal::Digest;
use banchi::watchlist::ListFile;
use banchi::Parser;
use futures_util::pin_mut;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::Path;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Rows new to the list.
    pub added: u64,
    /// Rows whose cells differed.
    pub updated: u64,
    /// Rows already there as they are.
    pub unchanged: u64,
    /// The last change written (unchanged when nothing was).
    pub seq: i64,
}

impl Store {
    /// Imports `file`'s rows into `list` (see the module documentation), `who` recorded in
    /// the change log.
    pub async fn import(
        &self,
        list: ListName,
        file: &ListFile,
        parser: &Parser,
        who: &str,
    ) -> Result<ImportReport, StoreError> {
        self.import_rows(list, file, parser, who, false).await
    }

    /// Adds `file`'s rows to `list` as new entries — the server's import, whose rows were
    /// checked against the list as read — refusing the whole import when any id has been
    /// taken since ([`banchi::error::ListError::DuplicateId`]: nothing is written).
    pub async fn insert_new(
        &self,
        list: ListName,
        file: &ListFile,
        parser: &Parser,
        who: &str,
    ) -> Result<ImportReport, StoreError> {
        self.import_rows(list, file, parser, who, true).await
    }

    async fn import_rows(
        &self,
        list: ListName,
        file: &ListFile,
        parser: &Parser,
        who: &str,
        only_new: bool,
    ) -> Result<ImportReport, StoreError> {
        let mut client = self.client().await?;
        let mut w = Writer::begin(&mut client, list).await?;
        let fresh = w.meta.next_position == 0;
        if fresh {
            w.meta.header = file.header().to_vec();
            w.meta.digest = Digest::with_header(&w.meta.header);
        }
        // Where each of the list's columns is in the file.
        let from_file: Vec<Option<usize>> = w
            .meta
            .header
            .iter()
            .map(|h| file.header().iter().position(|f| f == h))
            .collect();
        let missing: Vec<&str> = file
            .header()
            .iter()
            .filter(|f| !w.meta.header.contains(f))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(StoreError::Columns {
                list: list.as_str(),
                plural: if missing.len() > 1 { "s" } else { "" },
                missing: missing.join(", "),
            });
        }
        let id_at = w.meta.header.iter().position(|h| h == "id");
        let existing: HashMap<String, Vec<String>> = if fresh {
            HashMap::new()
        } else {
            w.tx.query(
                "SELECT id, cells FROM banchi_entries WHERE list = $1",
                &[&list.as_str()],
            )
            .await?
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
        };
        let width = w.meta.header.len();
        let rows: Vec<Vec<String>> = file
            .rows()
            .iter()
            .map(|row| {
                from_file
                    .iter()
                    .map(|i| i.and_then(|i| row.get(i)).cloned().unwrap_or_default())
                    .collect()
            })
            .collect();
        let mut report = ImportReport {
            seq: w.seq,
            ..ImportReport::default()
        };
        let mut new_rows = Vec::new();
        for row in rows {
            let id = id_at
                .and_then(|i| row.get(i))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default();
            match existing.get(&id) {
                Some(_) if only_new => {
                    return Err(banchi::error::ListError::DuplicateId(id).into());
                }
                Some(old) if same_cells(old, &row, width) => report.unchanged += 1,
                Some(old) => {
                    w.write(&id, Some(old), row, None, who).await?;
                    report.updated += 1;
                }
                None => new_rows.push((id, row)),
            }
        }
        report.added = new_rows.len() as u64;
        copy_new_rows(&mut w, new_rows, parser, who).await?;
        report.seq = w.seq;
        if report.added + report.updated > 0 || fresh {
            w.commit().await?;
        }
        Ok(report)
    }

    /// Writes `list` to `path` as a list CSV (see the module documentation); returns the
    /// number of rows (`None`: the list was never written, and no file is made).
    pub async fn export(&self, list: ListName, path: &Path) -> Result<Option<usize>, StoreError> {
        let Some(rows) = self.rows(list).await? else {
            return Ok(None);
        };
        let n = rows.rows.len();
        let file = ListFile::from_rows(path, rows.header, rows.rows)?;
        file.save()?;
        Ok(Some(n))
    }
}

/// True when `a` and `b` hold the same cells (trailing empty cells not counted).
fn same_cells(a: &[String], b: &[String], width: usize) -> bool {
    (0..width).all(|i| a.get(i).map_or("", String::as_str) == b.get(i).map_or("", String::as_str))
}

/// Inserts `rows` (new ids) with `COPY`, each with its change-log image, in order.
async fn copy_new_rows(
    w: &mut Writer<'_>,
    rows: Vec<(String, Vec<String>)>,
    parser: &Parser,
    who: &str,
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let header = w.meta.header.clone();
    // Keys and derived columns on all cores: a million rows parse in seconds.
    let derived: Vec<(Option<String>, Derived)> = rows
        .par_iter()
        .map(|(_, row)| {
            let d = Derived::of(&header, row);
            let key = parser.parse(&d.address).ok().map(|a| a.key);
            (key, d)
        })
        .collect();
    let list = w.list.as_str();
    let entries_sink = w
        .tx
        .copy_in(
            "COPY banchi_entries (list, id, position, address, key, reason, memo, service, status, who, at, cells, pending)
             FROM STDIN (FORMAT binary)",
        )
        .await?;
    let entries = BinaryCopyInWriter::new(
        entries_sink,
        &[
            Type::TEXT,
            Type::TEXT,
            Type::INT8,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT_ARRAY,
            Type::TEXT,
        ],
    );
    pin_mut!(entries);
    let mut changes = Vec::with_capacity(rows.len());
    for ((id, row), (key, d)) in rows.into_iter().zip(derived) {
        let position = w.meta.next_position;
        w.meta.next_position += 1;
        if let Ok(n) = id.parse::<i64>() {
            w.meta.max_numeric = w.meta.max_numeric.max(n);
        }
        entries
            .as_mut()
            .write(&[
                &list, &id, &position, &d.address, &key, &d.reason, &d.memo, &d.service, &d.status,
                &d.who, &d.at, &row, &d.pending,
            ])
            .await?;
        w.meta.digest.add(&row);
        w.seq += 1;
        changes.push(Change {
            seq: w.seq,
            list: w.list,
            id,
            header: Vec::new(),
            cells: row,
            digest: w.meta.digest,
        });
    }
    entries.finish().await?;
    let changes_sink = w
        .tx
        .copy_in(
            "COPY banchi_changes (seq, list, id, header, cells, digest, who) FROM STDIN (FORMAT binary)",
        )
        .await?;
    let log = BinaryCopyInWriter::new(
        changes_sink,
        &[
            Type::INT8,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT_ARRAY,
            Type::TEXT_ARRAY,
            Type::INT8,
            Type::TEXT,
        ],
    );
    pin_mut!(log);
    for c in &changes {
        log.as_mut()
            .write(&[
                &c.seq,
                &list,
                &c.id,
                &header,
                &c.cells,
                &digest_to_sql(c.digest),
                &who,
            ])
            .await?;
    }
    log.finish().await?;
    Ok(())
}
