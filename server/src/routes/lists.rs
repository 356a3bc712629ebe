//! `/v1/lists/{list}/entries…`: the CS team's list files over the API (admin tokens), with
//! the same files and rules as `banchi list` ([`banchi::watchlist::ListFile`]).
//!
//! An edit takes the list's writer lock, changes the file (atomic replace, fsync'd by the
//! library) and puts the edited entry in force before answering ([`crate::edits`]: an overlay
//! of recent edits over the loaded lists, no rebuild): the edit is durable and every request
//! that starts after the answer sees it; requests in flight finish on the previous version.
//! The lists are rebuilt from the files in the background. A list given as an index file is
//! read-only (409).

use crate::auth::{Identity, Scope};
use crate::body::JsonBody;
use crate::edits;
use crate::error::{list_error, ApiError};
use crate::lists::Which;
use crate::replica::{list_name, store_error, Replica};
use crate::state::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use banchi::watchlist::manage::{EntryView, NewEntry};
use banchi::watchlist::{ReasonCode, StatusEdit};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;
use utoipa::{IntoParams, ToSchema};

/// Most entries one page lists.
pub const MAX_PAGE: usize = 1000;

/// The list named `{list}` and its file, refusing index files with 409.
pub(crate) fn editable(state: &AppState, list: &str) -> Result<(Which, Source), ApiError> {
    let which = Which::from_name(list)
        .ok_or_else(|| ApiError::NotFound("the list is `fraud` or `forwarders`".into()))?;
    if let Some(replica) = &state.replica {
        return Ok((which, Source::Store(Arc::clone(replica))));
    }
    let path = match which {
        Which::Fraud => state.sources.fraud.clone(),
        Which::Forwarders => state.sources.forwarders.clone(),
    }
    .ok_or_else(|| {
        ApiError::NotFound(format!("no {list} list file is configured (--{list} FILE)"))
    })?;
    let index = banchi::watchlist::file::looks_like_index(&path).map_err(|e| {
        tracing::error!(error = %e, "reading a list file failed");
        ApiError::Internal
    })?;
    if index {
        return Err(ApiError::Conflict(format!(
            "the {list} list was given as an index file, which is read-only; serve its CSV to edit it"
        )));
    }
    Ok((which, Source::File(path)))
}

/// Where an editable list lives: its CSV (with the journal), or the PostgreSQL store.
pub(crate) enum Source {
    /// The list CSV at this path.
    File(PathBuf),
    /// The store (`--store postgres`).
    Store(Arc<Replica>),
}

/// Refuses an edit of a list the store does not hold yet where that would hide the list in
/// force (the forwarders: the bundled list until one is imported).
pub(crate) async fn writable_in_store(replica: &Replica, which: Which) -> Result<(), ApiError> {
    if which == Which::Forwarders
        && !replica
            .store()
            .has_list(list_name(which))
            .await
            .map_err(store_error)?
    {
        return Err(ApiError::Conflict(
            "the forwarders list is not in the store (the bundled list is served): import it first with `banchi store import data/forwarders.csv --list forwarders`".into(),
        ));
    }
    Ok(())
}

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError::Internal)?
}

/// A page's `limit` (default 100), checked with its `status` filter: 422 unless the limit is
/// 1–[`MAX_PAGE`] and the status, if any, `active` or `disabled`. What the entries page and
/// the search ask.
pub(crate) fn page_limit(limit: Option<usize>, status: Option<&str>) -> Result<usize, ApiError> {
    let limit = limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::Unprocessable(format!(
            "limit must be 1–{MAX_PAGE}"
        )));
    }
    if let Some(s) = status {
        if s != "active" && s != "disabled" {
            return Err(ApiError::Unprocessable(
                "status is `active` or `disabled`".into(),
            ));
        }
    }
    Ok(limit)
}

/// `?status=&limit=&after=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// `active` or `disabled` (default: both).
    pub status: Option<String>,
    /// Entries per page, 1–1000 (default 100).
    pub limit: Option<usize>,
    /// The last id of the previous page.
    pub after: Option<String>,
}

/// One page of entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntriesPage {
    /// Entries in file order.
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<EntryView>,
    /// Pass as `after` for the next page (null on the last page).
    pub next_after: Option<String>,
}

/// Lists entries, a page at a time.
#[utoipa::path(get, path = "/v1/lists/{list}/entries", params(("list" = String, Path), Page),
    responses((status = 200, body = EntriesPage), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn entries(
    State(state): State<AppState>,
    who: Identity,
    Path(list): Path<String>,
    page: Result<Query<Page>, QueryRejection>,
) -> Result<Json<EntriesPage>, ApiError> {
    who.require(Scope::Admin)?;
    let Query(page) = page.map_err(|_| {
        ApiError::BadRequest("the query string is malformed (status, limit, after)".into())
    })?;
    let (which, source) = editable(&state, &list)?;
    let limit = page_limit(page.limit, page.status.as_deref())?;
    let path = match source {
        Source::File(path) => path,
        Source::Store(replica) => {
            let (entries, more) = replica
                .store()
                .page(
                    list_name(which),
                    page.after.as_deref(),
                    limit,
                    page.status.as_deref(),
                )
                .await
                .map_err(store_error)?
                .ok_or_else(|| ApiError::NotFound("`after` names no entry".into()))?;
            let next_after = more.then(|| entries.last().map(|e| e.id.clone())).flatten();
            return Ok(Json(EntriesPage {
                entries,
                next_after,
            }));
        }
    };
    let shared = state.clone();
    let (entries, more) = blocking(move || {
        let status = page.status.as_deref();
        crate::edits::read(&shared, which, &path, |editor| {
            editor.page(page.after.as_deref(), limit, |e| {
                status.is_none_or(|s| e.status == s)
            })
        })
    })
    .await?
    .ok_or_else(|| ApiError::NotFound("`after` names no entry".into()))?;
    let next_after = if more {
        entries.last().map(|e| e.id.clone())
    } else {
        None
    };
    Ok(Json(EntriesPage {
        entries,
        next_after,
    }))
}

/// One entry with its history.
#[utoipa::path(get, path = "/v1/lists/{list}/entries/{id}",
    params(("list" = String, Path), ("id" = String, Path)),
    responses((status = 200, description = "The entry with its history", body = Object),
              (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn entry(
    State(state): State<AppState>,
    who: Identity,
    Path((list, id)): Path<(String, String)>,
) -> Result<Json<EntryView>, ApiError> {
    who.require(Scope::Admin)?;
    let found = match editable(&state, &list)? {
        (which, Source::Store(replica)) => replica
            .store()
            .entry(list_name(which), &id)
            .await
            .map_err(store_error)?,
        (which, Source::File(path)) => {
            let shared = state.clone();
            blocking(move || crate::edits::read(&shared, which, &path, |e| e.get(&id))).await?
        }
    };
    found
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("no entry with this id".into()))
}

/// `POST /v1/lists/{list}/entries`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddEntry {
    /// The address; it must resolve to at least a block.
    pub address: String,
    /// `chargeback`, `credit_master`, `resale`, `unpaid`, `forwarding` or `other`.
    #[schema(value_type = String)]
    pub reason: ReasonCode,
    /// Free text.
    pub memo: Option<String>,
    /// Id to use (default: the next free number).
    pub id: Option<String>,
}

/// The answer to an edit.
#[derive(Debug, Serialize, ToSchema)]
pub struct Edited {
    /// The entry's id.
    pub id: String,
    /// The delivery-point key the entry matches on (add only).
    pub key: Option<String>,
    /// The entry's status now.
    pub status: String,
    /// The lists' version that holds the edit.
    pub lists_version: String,
}

/// Adds an entry (who = the token's name); answers once it is written and active.
#[utoipa::path(post, path = "/v1/lists/{list}/entries", params(("list" = String, Path)),
    request_body = AddEntry,
    responses((status = 200, body = Edited), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn add(
    State(state): State<AppState>,
    who: Identity,
    Path(list): Path<String>,
    JsonBody(req): JsonBody<AddEntry>,
) -> Result<Json<Edited>, ApiError> {
    who.require(Scope::Admin)?;
    let which = Which::from_name(&list)
        .ok_or_else(|| ApiError::NotFound("the list is `fraud` or `forwarders`".into()))?;
    add_entry(&state, which, req, who.name.clone()).await.map(Json)
}

/// Adds an entry through the list rules (four eyes included) and puts it in force.
///
/// What `POST /v1/lists/{list}/entries` does, for any caller that registers an entry on
/// someone's behalf (`by`: the name recorded in the entry's history): the address must reach
/// a block, the id must be free; the entry is written durably (the list's journal, or the
/// store's transaction) and in force before this returns — so the next request grades with
/// it. Errors as the endpoint answers them (404 no such list file, 409 an index file, 422 an
/// address that reaches no block or an id taken, 503 the store unreachable).
pub(crate) async fn add_entry(
    state: &AppState,
    which: Which,
    req: AddEntry,
    by: String,
) -> Result<Edited, ApiError> {
    let (which, source) = editable(state, which.name())?;
    let parser = *state.lists()?.screener.parser();
    let key = parser
        .parse(&req.address)
        .map(|a| a.key)
        .map_err(|e| list_error(e.into()))?;
    let path = match source {
        Source::File(path) => path,
        Source::Store(replica) => {
            writable_in_store(&replica, which).await?;
            let new = NewEntry {
                id: req.id.as_deref(),
                address: &req.address,
                reason: req.reason,
                by: &by,
                memo: req.memo.as_deref(),
            };
            let change = replica
                .store()
                .add(list_name(which), &parser, &new, SystemTime::now())
                .await
                .map_err(store_error)?;
            let lists_version = crate::follow::in_force(state, &replica, &change).await?;
            tracing::info!(list = which.name(), id = %change.id, by = %by, seq = change.seq, "list entry added");
            return Ok(Edited {
                id: change.id,
                key: Some(key),
                status: "active".into(),
                lists_version,
            });
        }
    };
    let edit_state = state.clone();
    let who = by.clone();
    let (id, lists_version) = blocking(move || {
        edits::edit(&edit_state, which, &path, |editor, parser| {
            let new = NewEntry {
                id: req.id.as_deref(),
                address: &req.address,
                reason: req.reason,
                by: &who,
                memo: req.memo.as_deref(),
            };
            let id = editor
                .add(parser, &new, SystemTime::now())
                .map_err(list_error)?;
            Ok((id.clone(), id))
        })
    })
    .await?;
    let lists_version = edits::finish(state, lists_version).await?;
    tracing::info!(list = which.name(), id = %id, by = %by, "list entry added");
    Ok(Edited {
        id,
        key: Some(key),
        status: "active".into(),
        lists_version,
    })
}

/// `PATCH /v1/lists/{list}/entries/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetStatus {
    /// True to stop the entry matching, false to let it match again.
    pub disabled: bool,
    /// Why.
    pub memo: Option<String>,
}

/// Disables or enables an entry; answers once it is written and in force.
#[utoipa::path(patch, path = "/v1/lists/{list}/entries/{id}",
    params(("list" = String, Path), ("id" = String, Path)), request_body = SetStatus,
    responses((status = 200, body = Edited), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_status(
    State(state): State<AppState>,
    who: Identity,
    Path((list, id)): Path<(String, String)>,
    JsonBody(req): JsonBody<SetStatus>,
) -> Result<Json<Edited>, ApiError> {
    who.require(Scope::Admin)?;
    let (which, source) = editable(&state, &list)?;
    let by = who.name.clone();
    let entry_id = id.clone();
    let disabled = req.disabled;
    let status = if disabled { "disabled" } else { "active" };
    let path = match source {
        Source::File(path) => path,
        Source::Store(replica) => {
            writable_in_store(&replica, which).await?;
            let change = replica
                .store()
                .set_status(
                    list_name(which),
                    &id,
                    &by,
                    req.memo.as_deref(),
                    disabled,
                    SystemTime::now(),
                )
                .await
                .map_err(store_error)?;
            let lists_version = crate::follow::in_force(&state, &replica, &change).await?;
            tracing::info!(list = %list, id = %id, by = %who.name, status, seq = change.seq, "list entry changed");
            return Ok(Json(Edited {
                id,
                key: None,
                status: status.into(),
                lists_version,
            }));
        }
    };
    let edit_state = state.clone();
    let ((), lists_version) = blocking(move || {
        edits::edit(&edit_state, which, &path, |editor, _| {
            let memo = req.memo.as_deref();
            let now = SystemTime::now();
            if req.disabled {
                editor.disable(&entry_id, &by, memo, now)
            } else {
                editor.enable(&entry_id, &by, memo, now)
            }
            .map_err(list_error)?;
            Ok(((), entry_id))
        })
    })
    .await?;
    let lists_version = edits::finish(&state, lists_version).await?;
    tracing::info!(list = %list, id = %id, by = %who.name, status, "list entry changed");
    Ok(Json(Edited {
        id,
        key: None,
        status: status.into(),
        lists_version,
    }))
}
