//! Edits: an add, a disable or an enable of one entry, each one transaction that writes the
//! row, its image in the change log and the list's new digest, then `NOTIFY`s on commit.
//!
//! The row rules are the library's ([`banchi::watchlist::manage`]: `check_new`,
//! `entry_id`, `new_row`, `status_change`, and for four eyes `pending_new_row`,
//! `pending_status_change`, `review`), so the store refuses and writes exactly what
//! `banchi list` and the file-backed server do. Every writer first locks the one row of
//! `banchi_sequence` and takes the next number there: writers commit one after another, in
//! sequence order (an edit takes milliseconds; lists are edited by people).

use crate::changes::Change;
use crate::error::StoreError;
use crate::rows::{cells, meta, ListMeta};
use crate::{digest_to_sql, ListName, Store};
use banchi::watchlist::journal::Digest;
use banchi::watchlist::manage::{
    check_new, entry_id, managed_header, new_row, pending_new_row, pending_status_change, review,
    status_change, view, Action, NewEntry, Verdict,
};
use banchi::Parser;
use std::time::SystemTime;
use tokio_postgres::Transaction;

/// The notification channel every replica listens on; the payload is the sequence number.
pub const CHANNEL: &str = "banchi_changes";

/// A write under way: the transaction, the sequence number it took and the list's row.
pub(crate) struct Writer<'c> {
    pub(crate) tx: Transaction<'c>,
    pub(crate) seq: i64,
    pub(crate) list: ListName,
    pub(crate) meta: ListMeta,
}

impl<'c> Writer<'c> {
    /// Starts a write to `list`: the sequence lock, then the list's row (made when absent,
    /// with the management columns).
    pub(crate) async fn begin(
        client: &'c mut tokio_postgres::Client,
        list: ListName,
    ) -> Result<Writer<'c>, StoreError> {
        let tx = client.transaction().await?;
        let seq: i64 = tx
            .query_one("SELECT seq FROM banchi_sequence FOR UPDATE", &[])
            .await?
            .get(0);
        let meta = match meta(&tx, list, true).await? {
            Some(m) => m,
            None => {
                let header = managed_header(Vec::new());
                let digest = Digest::with_header(&header);
                tx.execute(
                    "INSERT INTO banchi_lists (list, header, digest) VALUES ($1, $2, $3)",
                    &[&list.as_str(), &header, &digest_to_sql(digest)],
                )
                .await?;
                ListMeta {
                    header,
                    digest,
                    max_numeric: 0,
                    next_position: 0,
                }
            }
        };
        Ok(Writer {
            tx,
            seq,
            list,
            meta,
        })
    }

    /// Gives the list the management columns it lacks (a plain list's first edit): rows
    /// stored before read as padded with empty cells, which a digest does not count.
    pub(crate) fn ensure_columns(&mut self) {
        let wide = managed_header(self.meta.header.clone());
        if wide != self.meta.header {
            self.meta.digest.replace_header(&self.meta.header, &wide);
            self.meta.header = wide;
        }
    }

    /// Writes entry `id`'s new cells `row` (replacing `old`, or a new entry with `key`) and
    /// its change-log image; returns the change.
    pub(crate) async fn write(
        &mut self,
        id: &str,
        old: Option<&[String]>,
        row: Vec<String>,
        key: Option<&str>,
        who: &str,
    ) -> Result<Change, StoreError> {
        let d = Derived::of(&self.meta.header, &row);
        let list = self.list.as_str();
        match old {
            Some(old) => {
                self.meta.digest.remove(old);
                self.tx
                    .execute(
                        "UPDATE banchi_entries SET cells = $3, address = $4, reason = $5, memo = $6,
                                service = $7, status = $8, who = $9, at = $10, pending = $11
                          WHERE list = $1 AND id = $2",
                        &[&list, &id, &row, &d.address, &d.reason, &d.memo, &d.service, &d.status, &d.who, &d.at, &d.pending],
                    )
                    .await?;
            }
            None => {
                let position = self.meta.next_position;
                self.meta.next_position += 1;
                if let Ok(n) = id.parse::<i64>() {
                    self.meta.max_numeric = self.meta.max_numeric.max(n);
                }
                self.tx
                    .execute(
                        "INSERT INTO banchi_entries
                           (list, id, position, address, key, reason, memo, service, status, who, at, cells, pending)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                        &[&list, &id, &position, &d.address, &key, &d.reason, &d.memo, &d.service, &d.status, &d.who, &d.at, &row, &d.pending],
                    )
                    .await?;
            }
        }
        self.meta.digest.add(&row);
        self.seq += 1;
        self.tx
            .execute(
                "INSERT INTO banchi_changes (seq, list, id, header, cells, digest, who)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &self.seq,
                    &list,
                    &id,
                    &self.meta.header,
                    &row,
                    &digest_to_sql(self.meta.digest),
                    &who,
                ],
            )
            .await?;
        Ok(Change {
            seq: self.seq,
            list: self.list,
            id: id.to_owned(),
            header: self.meta.header.clone(),
            cells: row,
            digest: self.meta.digest,
        })
    }

    /// Stores the list's row and the sequence number, notifies and commits.
    pub(crate) async fn commit(self) -> Result<i64, StoreError> {
        let m = &self.meta;
        self.tx
            .execute(
                "UPDATE banchi_lists SET header = $2, digest = $3, max_numeric = $4, next_position = $5
                  WHERE list = $1",
                &[&self.list.as_str(), &m.header, &digest_to_sql(m.digest), &m.max_numeric, &m.next_position],
            )
            .await?;
        self.tx
            .execute("UPDATE banchi_sequence SET seq = $1", &[&self.seq])
            .await?;
        self.tx
            .execute(
                "SELECT pg_notify($1, $2)",
                &[&CHANNEL, &self.seq.to_string()],
            )
            .await?;
        self.tx.commit().await?;
        Ok(self.seq)
    }
}

/// The history's action of a disable (`true`) or an enable (`false`).
fn status_action(disable: bool) -> Action {
    if disable {
        Action::Disable
    } else {
        Action::Enable
    }
}

/// The columns of `banchi_entries` read from a row's cells.
pub(crate) struct Derived {
    pub(crate) address: String,
    pub(crate) reason: String,
    pub(crate) memo: String,
    pub(crate) service: String,
    pub(crate) status: String,
    pub(crate) who: String,
    pub(crate) at: String,
    /// The change waiting for approval (four eyes), empty when none.
    pub(crate) pending: String,
}

impl Derived {
    pub(crate) fn of(header: &[String], row: &[String]) -> Derived {
        let v = view(header, row);
        let service = header
            .iter()
            .position(|h| h == "service")
            .and_then(|i| row.get(i))
            .cloned()
            .unwrap_or_default();
        Derived {
            address: v.address,
            reason: v.reason,
            memo: v.memo,
            service,
            status: v.status,
            who: v.registered_by,
            at: v.registered_at,
            pending: v.pending.map_or("", Action::as_str).to_owned(),
        }
    }
}

impl Store {
    /// Registers `new` in `list` (the rules of `banchi list add`); returns the change, whose
    /// `id` is the entry's.
    pub async fn add(
        &self,
        list: ListName,
        parser: &Parser,
        new: &NewEntry<'_>,
        now: SystemTime,
    ) -> Result<Change, StoreError> {
        self.add_with(list, parser, new, now, false).await
    }

    /// [`Store::add`] under four eyes: the entry is registered pending (the library's
    /// `pending_new_row`) and never matches until another person approves it
    /// ([`Store::review`]).
    pub async fn add_pending(
        &self,
        list: ListName,
        parser: &Parser,
        new: &NewEntry<'_>,
        now: SystemTime,
    ) -> Result<Change, StoreError> {
        self.add_with(list, parser, new, now, true).await
    }

    async fn add_with(
        &self,
        list: ListName,
        parser: &Parser,
        new: &NewEntry<'_>,
        now: SystemTime,
        pending: bool,
    ) -> Result<Change, StoreError> {
        check_new(parser, new)?;
        let key = parser.parse(new.address).ok().map(|a| a.key);
        let mut client = self.client().await?;
        let mut w = Writer::begin(&mut client, list).await?;
        let requested_taken = match new.id.map(str::trim) {
            Some(id) if !id.is_empty() => cells(&w.tx, list, id, false).await?.is_some(),
            _ => false,
        };
        let requested = new.id.map(str::trim);
        let max = u64::try_from(w.meta.max_numeric).unwrap_or(0);
        // Ids above the largest numeric one are free: it is kept on every insert.
        let id = entry_id(
            new.id,
            || max,
            |id| Ok(requested == Some(id) && requested_taken),
        )?;
        w.ensure_columns();
        let row = if pending {
            pending_new_row(&w.meta.header, new, &id, now)
        } else {
            new_row(&w.meta.header, new, &id, now)
        };
        let change = w.write(&id, None, row, key.as_deref(), new.by).await?;
        w.commit().await?;
        Ok(change)
    }

    /// Disables (`disable`) or enables entry `id` of `list` (the rules of `banchi list
    /// disable/enable`); returns the change.
    pub async fn set_status(
        &self,
        list: ListName,
        id: &str,
        by: &str,
        memo: Option<&str>,
        disable: bool,
        now: SystemTime,
    ) -> Result<Change, StoreError> {
        self.change_row(list, id, by, |header, row| {
            status_change(header, row, by, memo, now, status_action(disable))
        })
        .await
    }

    /// Asks for a disable (`disable`) or an enable of entry `id` of `list` under four eyes:
    /// recorded as pending (the library's `pending_status_change`: the status stays as it
    /// is) until another person approves it ([`Store::review`]); returns the change.
    pub async fn request_status(
        &self,
        list: ListName,
        id: &str,
        by: &str,
        memo: Option<&str>,
        disable: bool,
        now: SystemTime,
    ) -> Result<Change, StoreError> {
        self.change_row(list, id, by, |header, row| {
            pending_status_change(header, row, by, memo, now, status_action(disable))
        })
        .await
    }

    /// Approves or rejects entry `id`'s pending change as `by` (the library's `review`: never
    /// the person who made it); returns the change.
    pub async fn review(
        &self,
        list: ListName,
        id: &str,
        verdict: Verdict,
        by: &str,
        memo: Option<&str>,
        now: SystemTime,
    ) -> Result<Change, StoreError> {
        self.change_row(list, id, by, |header, row| {
            review(header, row, verdict, by, memo, now)
        })
        .await
    }

    /// Changes entry `id` of `list` by `rule` (one of the library's row rules, given the
    /// header and the row) in one transaction; returns the change.
    async fn change_row(
        &self,
        list: ListName,
        id: &str,
        by: &str,
        rule: impl Fn(&[String], &[String]) -> Result<Vec<String>, banchi::error::ListError>,
    ) -> Result<Change, StoreError> {
        let id = id.trim();
        let mut client = self.client().await?;
        let mut w = Writer::begin(&mut client, list).await?;
        let Some(old) = cells(&w.tx, list, id, true).await? else {
            return Err(banchi::error::ListError::UnknownId(id.to_owned()).into());
        };
        // Checked before any column is added: a refused change leaves the list as it was.
        rule(&w.meta.header, &old)?;
        w.ensure_columns();
        let row = rule(&w.meta.header, &old)?;
        let change = w.write(id, Some(&old), row, None, by).await?;
        w.commit().await?;
        Ok(change)
    }
}
