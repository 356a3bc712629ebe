//! `POST /v1/lists/{list}/import?dry_run=true|false`: many entries from one CSV body.
//!
//! The body (`Content-Type: text/csv`, UTF-8, at most `max_batch_bytes` and
//! `max_batch_items` rows) has a header with `address` and `reason` columns, and optionally
//! `memo` and `id`; other columns are ignored. Every row is answered, in order, by its line:
//!
//! * `add` — the row would be (or was) registered: its normalized delivery-point `key` and the
//!   `id` it gets;
//! * `duplicate` — its delivery point is already an active entry of the list, or an earlier
//!   row of this import (`duplicate_of` names the entry id or the earlier line);
//! * `reject` — why not (`error`: no address, unknown reason, not a block, id taken …).
//!
//! `dry_run=true` (the default) writes nothing: it shows what an import would do. With
//! `dry_run=false` the `add` rows are registered in one write of the file (who = the token's
//! name), in force for the next request like any edit ([`crate::edits`]). Answers never quote
//! an address; rows are named by their line in the body.

use crate::auth::{Identity, Scope};
use crate::body::{is_media_type, read_limited};
use crate::edits;
use crate::error::{list_error, ApiError};
use crate::lists::{LoadedLists, Which};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::Json;
use banchi::error::ListError;
use banchi::watchlist::manage::NewEntry;
use banchi::watchlist::{Grade, ListFile, ReasonCode};
use banchi::Parser;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::SystemTime;
use utoipa::{IntoParams, ToSchema};

/// `?dry_run=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// `true` (default): report only; `false`: register the `add` rows.
    pub dry_run: Option<bool>,
}

/// What happened to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Registered (or would be).
    Add,
    /// Already listed, or repeated in the body.
    Duplicate,
    /// Not registrable.
    Reject,
}

/// One row of the report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportRow {
    /// Line of the row in the body (the header is line 1).
    pub line: u64,
    /// What happened to it.
    pub outcome: Outcome,
    /// The normalized delivery-point key (when the address parsed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The id it gets (`add`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The active entry, or `line N` of this body, at the same delivery point (`duplicate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// Why it was rejected (`reject`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The answer of an import.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    /// True when nothing was written.
    pub dry_run: bool,
    /// Rows registered (or that would be).
    pub added: usize,
    /// Rows already listed or repeated.
    pub duplicates: usize,
    /// Rows refused.
    pub rejected: usize,
    /// Every row, in body order.
    pub rows: Vec<ImportRow>,
    /// The lists' version holding the import (`null` on a dry run).
    pub lists_version: Option<String>,
}

/// One data row of the body.
#[derive(Debug, Clone)]
struct BodyRow {
    line: u64,
    address: String,
    reason: String,
    memo: Option<String>,
    id: Option<String>,
}

/// Reads the CSV body into rows (422 for a body without the needed columns or over the row
/// limit, 400 for one that is not CSV).
fn read_rows(bytes: &[u8], max_rows: usize) -> Result<Vec<BodyRow>, ApiError> {
    if std::str::from_utf8(bytes).is_err() {
        return Err(ApiError::BadRequest("the body is not valid UTF-8".into()));
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let malformed = |e: csv::Error| {
        let at = e.position().map_or(0, csv::Position::line);
        ApiError::BadRequest(format!("malformed CSV at line {at}"))
    };
    let header = rdr.headers().map_err(malformed)?.clone();
    let column = |name: &str| {
        header.iter().position(|h| {
            h.trim_start_matches('\u{feff}')
                .trim()
                .eq_ignore_ascii_case(name)
        })
    };
    let (Some(address), Some(reason)) = (column("address"), column("reason")) else {
        return Err(ApiError::Unprocessable(
            "the CSV header needs `address` and `reason` columns (`memo`, `id` optional)".into(),
        ));
    };
    let (memo, id) = (column("memo"), column("id"));
    let mut rows = Vec::new();
    for record in rdr.records() {
        let record = record.map_err(malformed)?;
        if rows.len() == max_rows {
            return Err(ApiError::PayloadTooLarge(format!(
                "more than {max_rows} rows (max_batch_items)"
            )));
        }
        let cell = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        rows.push(BodyRow {
            line: record.position().map_or(0, csv::Position::line),
            address: cell(Some(address)).unwrap_or_default(),
            reason: cell(Some(reason)).unwrap_or_default(),
            memo: cell(memo),
            id: cell(id),
        });
    }
    Ok(rows)
}

/// The id of an active entry of `which` at `address`'s delivery point, if any.
fn listed_at(lists: &LoadedLists, which: Which, address: banchi::Address) -> Option<String> {
    let s = lists.screener.screen_address(address);
    let (result, same_point) = match which {
        Which::Fraud => (s.fraud, Grade::Danger),
        Which::Forwarders => (s.forwarder, Grade::ForwardingService),
    };
    result
        .matches
        .into_iter()
        .find(|m| m.grade == same_point)
        .map(|m| m.id)
}

/// Classifies every row against `file` and the active `lists`, registering the `add` rows in
/// `file` (in memory: the caller saves it, or drops it on a dry run). Returns the report rows
/// and the ids added.
fn classify(
    rows: &[BodyRow],
    file: &mut ListFile,
    lists: &LoadedLists,
    which: Which,
    parser: &Parser,
    by: &str,
) -> Result<(Vec<ImportRow>, Vec<String>), ApiError> {
    let now = SystemTime::now();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut report = Vec::with_capacity(rows.len());
    let mut added = Vec::new();
    for row in rows {
        let mut out = ImportRow {
            line: row.line,
            outcome: Outcome::Reject,
            key: None,
            id: None,
            duplicate_of: None,
            error: None,
        };
        let reject = |out: &mut ImportRow, e: ListError| -> Result<(), ApiError> {
            if let ListError::Watchlist(_) = e {
                return Err(list_error(e));
            }
            out.error = Some(e.to_string());
            Ok(())
        };
        if row.address.is_empty() {
            reject(&mut out, ListError::Empty("address"))?;
            report.push(out);
            continue;
        }
        let reason = match row.reason.parse::<ReasonCode>() {
            Ok(r) => r,
            Err(e) => {
                reject(&mut out, e)?;
                report.push(out);
                continue;
            }
        };
        let address = match parser.parse(&row.address) {
            Ok(a) => a,
            Err(e) => {
                reject(&mut out, e.into())?;
                report.push(out);
                continue;
            }
        };
        out.key = Some(address.key.clone());
        if let Some(first) = seen.get(&address.key) {
            out.outcome = Outcome::Duplicate;
            out.duplicate_of = Some(format!("line {first}"));
        } else if let Some(id) = listed_at(lists, which, address) {
            out.outcome = Outcome::Duplicate;
            out.duplicate_of = Some(id);
        } else {
            let new = NewEntry {
                id: row.id.as_deref(),
                address: &row.address,
                reason,
                by,
                memo: row.memo.as_deref(),
            };
            match file.add(parser, &new, now) {
                Ok(id) => {
                    out.outcome = Outcome::Add;
                    out.id = Some(id.clone());
                    added.push(id);
                    if let Some(key) = &out.key {
                        seen.insert(key.clone(), row.line);
                    }
                }
                Err(e) => reject(&mut out, e)?,
            }
        }
        report.push(out);
    }
    Ok((report, added))
}

fn report(dry_run: bool, rows: Vec<ImportRow>, lists_version: Option<String>) -> ImportReport {
    let count = |o: Outcome| rows.iter().filter(|r| r.outcome == o).count();
    ImportReport {
        dry_run,
        added: count(Outcome::Add),
        duplicates: count(Outcome::Duplicate),
        rejected: count(Outcome::Reject),
        rows,
        lists_version,
    }
}

/// Imports entries from a CSV body (see the module documentation).
#[utoipa::path(post, path = "/v1/lists/{list}/import",
    params(("list" = String, Path), ImportQuery),
    request_body(content = String, content_type = "text/csv",
        description = "CSV with `address`, `reason` (and optional `memo`, `id`) columns"),
    responses((status = 200, body = ImportReport), (status = 409, body = crate::error::ErrorBody),
              (status = 413, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn import(
    State(state): State<AppState>,
    who: Identity,
    Path(list): Path<String>,
    query: Result<Query<ImportQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ImportReport>, ApiError> {
    who.require(Scope::Admin)?;
    let Query(query) = query
        .map_err(|_| ApiError::BadRequest("the query string is malformed (dry_run)".into()))?;
    let dry_run = query.dry_run.unwrap_or(true);
    let (which, source) = super::lists::editable(&state, &list)?;
    if !is_media_type(&headers, "text/csv") {
        return Err(ApiError::UnsupportedMediaType(
            "send the body as Content-Type: text/csv".into(),
        ));
    }
    let bytes = read_limited(body, state.settings.max_batch_bytes).await?;
    let rows = read_rows(&bytes, state.settings.max_batch_items)?;
    let by = who.name.clone();
    let path = match source {
        super::lists::Source::File(path) => path,
        super::lists::Source::Store(replica) => {
            return import_to_store(&state, &replica, which, rows, dry_run, &who.name).await;
        }
    };
    if dry_run {
        // What the import would do, on the file as it is now (never written).
        let lists = state.lists()?;
        let rows = super::lists::blocking(move || {
            let mut file = ListFile::open(&path).map_err(list_error)?;
            let parser = *lists.screener.parser();
            classify(&rows, &mut file, &lists, which, &parser, &by).map(|(rows, _)| rows)
        })
        .await?;
        return Ok(Json(report(true, rows, None)));
    }
    // The import itself, under the writer lock (nothing is written when no row is added).
    let edit_state = state.clone();
    let (done, lists_version) = super::lists::blocking(move || {
        edits::apply(&edit_state, which, &path, |file, parser| {
            let lists = edit_state.lists()?;
            classify(&rows, file, &lists, which, parser, &by)
        })
    })
    .await?;
    let lists_version = edits::finish(&state, lists_version).await?;
    let answer = report(false, done, Some(lists_version));
    tracing::info!(list = %list, by = %who.name, added = answer.added, "list import");
    Ok(Json(answer))
}

/// The import with `--store postgres`: the rows are checked against the list as the store
/// holds it (the same `classify` as for a file), and the rows it adds are inserted as new
/// entries in one transaction — refused whole (409) when one of their ids was taken in the
/// meantime.
async fn import_to_store(
    state: &AppState,
    replica: &crate::replica::Replica,
    which: Which,
    rows: Vec<BodyRow>,
    dry_run: bool,
    by: &str,
) -> Result<Json<ImportReport>, ApiError> {
    use crate::replica::{list_name, store_error};
    if !dry_run {
        super::lists::writable_in_store(replica, which).await?;
    }
    let list = list_name(which);
    let mut file = replica.store().list_file(list).await.map_err(store_error)?;
    let lists = state.lists()?;
    let parser = *lists.screener.parser();
    let before = file.rows().len();
    let who = by.to_owned();
    let (done, mut file) = super::lists::blocking(move || {
        let (done, _) = classify(&rows, &mut file, &lists, which, &parser, &who)?;
        Ok((done, file))
    })
    .await?;
    if dry_run {
        return Ok(Json(report(true, done, None)));
    }
    let added: Vec<Vec<String>> = file.rows().get(before..).unwrap_or_default().to_vec();
    if added.is_empty() {
        let version = state.lists()?.version.clone();
        return Ok(Json(report(false, done, Some(version))));
    }
    let header = file.header().to_vec();
    file =
        ListFile::from_rows(std::path::Path::new("<import>"), header, added).map_err(list_error)?;
    let written = replica
        .store()
        .insert_new(list, &file, &parser, by)
        .await
        .map_err(store_error)?;
    let version = crate::follow::in_force_through(state, replica, written.seq, None).await?;
    let answer = report(false, done, Some(version));
    tracing::info!(
        list = list.as_str(),
        by,
        added = answer.added,
        "list import"
    );
    Ok(Json(answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_by_line_with_their_cells_trimmed() {
        let body = "\u{feff}Address,reason,memo,extra\n\
            東京都中央区銀座4-6-16 架空ハイツ301号室 , chargeback ,,x\n\
            \"大阪府大阪市北区梅田3-1-1\n架空タワー1205\",resale,note\n\
            ,other\n";
        let rows = read_rows(body.as_bytes(), 10).unwrap();
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 3, 5]);
        assert_eq!(rows[0].address, "東京都中央区銀座4-6-16 架空ハイツ301号室");
        assert_eq!(rows[0].reason, "chargeback");
        assert_eq!(rows[0].memo, None);
        assert_eq!(rows[1].memo.as_deref(), Some("note"));
        assert_eq!(rows[2].address, "");
        assert!(rows.iter().all(|r| r.id.is_none()));
    }

    #[test]
    fn a_body_without_the_columns_or_over_the_limit_is_refused() {
        let no_reason = read_rows(b"address\nx\n", 10).unwrap_err();
        assert!(
            matches!(no_reason, ApiError::Unprocessable(_)),
            "{no_reason:?}"
        );
        let many = "address,reason\n".to_owned() + &"a,other\n".repeat(3);
        assert!(matches!(
            read_rows(many.as_bytes(), 2).unwrap_err(),
            ApiError::PayloadTooLarge(_)
        ));
        assert!(matches!(
            read_rows(b"address,reason\n\xff,other\n", 2).unwrap_err(),
            ApiError::BadRequest(_)
        ));
    }
}
