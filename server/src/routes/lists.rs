//! `/v1/lists/{list}/entries…`: the CS team's list files over the API (admin tokens), with
//! the same files and rules as `banchi list` ([`banchi::watchlist::ListFile`]).
//!
//! An edit takes the list's writer lock, changes the file (atomic replace, fsync'd by the
//! library) and puts the edited entry in force before answering ([`crate::edits`]: an overlay
//! of recent edits over the loaded lists, no rebuild): the edit is durable and every request
//! that starts after the answer sees it; requests in flight finish on the previous version.
//! The lists are rebuilt from the files in the background. A list given as an index file is
//! read-only (409).
//!
//! **Four eyes** (`[four_eyes] lists = […]`, [`crate::settings::FourEyes`]): on such a list
//! an add, disable or enable is written *pending* (the library's rules,
//! [`banchi::watchlist::manage`]) and answered `200` with `status: "pending"`; it takes
//! effect once an admin with another name approves it (`POST …/entries/{id}/approve`), or
//! is dropped by `…/reject`. Reviewing one's own change answers `403`, an entry with no
//! pending change `409`, a second change while one is pending `409`.

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
use banchi::watchlist::manage::{EntryView, NewEntry, Verdict};
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
/// 1–[`MAX_PAGE`] and the status, if any, `active`, `disabled` or `pending` (a change waiting
/// for approval, [`EntryView::has_status`]). What the entries page and the search ask.
pub(crate) fn page_limit(limit: Option<usize>, status: Option<&str>) -> Result<usize, ApiError> {
    let limit = limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::Unprocessable(format!(
            "limit must be 1–{MAX_PAGE}"
        )));
    }
    if let Some(s) = status {
        if !matches!(s, "active" | "disabled" | "pending") {
            return Err(ApiError::Unprocessable(
                "status is `active`, `disabled` or `pending`".into(),
            ));
        }
    }
    Ok(limit)
}

/// `?status=&limit=&after=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// `active`, `disabled` or `pending` (entries with a change waiting for a second
    /// person's approval; default: all).
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
                status.is_none_or(|s| e.has_status(s))
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
    /// The entry's status now: `active`, `disabled`, or `pending` (four eyes: the change
    /// waits for a second person's approval and is not in force yet).
    pub status: String,
    /// The lists' version that holds the edit.
    pub lists_version: String,
}

/// Adds an entry (who = the token's name); answers once it is written and active (on a
/// four-eyes list: written pending, `status: "pending"`, active once another admin approves
/// it).
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
    add_entry(&state, which, req, who.name.clone())
        .await
        .map(Json)
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
    let pending = state.settings.four_eyes.covers(which.name());
    let status = if pending { "pending" } else { "active" };
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
            let store = replica.store();
            let (list, now) = (list_name(which), SystemTime::now());
            let change = if pending {
                store.add_pending(list, &parser, &new, now).await
            } else {
                store.add(list, &parser, &new, now).await
            }
            .map_err(store_error)?;
            let lists_version = crate::follow::in_force(state, &replica, &change).await?;
            tracing::info!(list = which.name(), id = %change.id, by = %by, status, seq = change.seq, "list entry added");
            return Ok(Edited {
                id: change.id,
                key: Some(key),
                status: status.into(),
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
            let now = SystemTime::now();
            let id = if pending {
                editor.add_pending(parser, &new, now)
            } else {
                editor.add(parser, &new, now)
            }
            .map_err(list_error)?;
            Ok((id.clone(), id))
        })
    })
    .await?;
    let lists_version = edits::finish(state, lists_version).await?;
    tracing::info!(list = which.name(), id = %id, by = %by, status, "list entry added");
    Ok(Edited {
        id,
        key: Some(key),
        status: status.into(),
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

/// Disables or enables an entry; answers once it is written and in force (on a four-eyes
/// list: written pending, `status: "pending"`, in force once another admin approves it).
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
    let pending = state.settings.four_eyes.covers(which.name());
    let status = match (pending, disabled) {
        (true, _) => "pending",
        (false, true) => "disabled",
        (false, false) => "active",
    };
    let path = match source {
        Source::File(path) => path,
        Source::Store(replica) => {
            writable_in_store(&replica, which).await?;
            let store = replica.store();
            let (name, memo, now) = (list_name(which), req.memo.as_deref(), SystemTime::now());
            let change = if pending {
                store
                    .request_status(name, &id, &by, memo, disabled, now)
                    .await
            } else {
                store.set_status(name, &id, &by, memo, disabled, now).await
            }
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
            if pending {
                editor.request_status(&entry_id, req.disabled, &by, memo, now)
            } else if req.disabled {
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

/// `POST /v1/lists/{list}/entries/{id}/approve` and `…/reject`: an optional JSON body.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// Why (kept in the entry's history).
    pub memo: Option<String>,
}

/// The optional body of an approve or a reject: none, or `{memo?}` as JSON (the limits and
/// statuses of every JSON body, [`crate::body`]).
pub struct OptionalReview(pub Review);

impl axum::extract::FromRequest<AppState> for OptionalReview {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, ApiError> {
        let json = crate::body::is_media_type(req.headers(), "application/json");
        let bytes =
            crate::body::read_limited(req.into_body(), state.settings.max_body_bytes).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalReview(Review::default()));
        }
        if !json {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as Content-Type: application/json".into(),
            ));
        }
        crate::body::parse_json(&bytes).map(OptionalReview)
    }
}

/// Approves an entry's pending change (four eyes): it takes effect at once. The approver's
/// name (the token's) must differ from the name of whoever made the change (403).
#[utoipa::path(post, path = "/v1/lists/{list}/entries/{id}/approve",
    params(("list" = String, Path), ("id" = String, Path)), request_body(content = Option<Review>, description = "Optional: a memo"),
    responses((status = 200, body = Edited),
              (status = 403, description = "The same name made the change", body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody),
              (status = 409, description = "No change is pending", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn approve(
    State(state): State<AppState>,
    who: Identity,
    Path((list, id)): Path<(String, String)>,
    OptionalReview(req): OptionalReview,
) -> Result<Json<Edited>, ApiError> {
    who.require(Scope::Admin)?;
    review_entry(
        &state,
        &list,
        id,
        Verdict::Approve,
        who.name.clone(),
        req.memo,
    )
    .await
    .map(Json)
}

/// Rejects an entry's pending change (four eyes): the entry stays as it was (a rejected add
/// is kept `disabled`, with its history). Not by whoever made the change (403).
#[utoipa::path(post, path = "/v1/lists/{list}/entries/{id}/reject",
    params(("list" = String, Path), ("id" = String, Path)), request_body(content = Option<Review>, description = "Optional: a memo"),
    responses((status = 200, body = Edited),
              (status = 403, description = "The same name made the change", body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody),
              (status = 409, description = "No change is pending", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn reject(
    State(state): State<AppState>,
    who: Identity,
    Path((list, id)): Path<(String, String)>,
    OptionalReview(req): OptionalReview,
) -> Result<Json<Edited>, ApiError> {
    who.require(Scope::Admin)?;
    review_entry(
        &state,
        &list,
        id,
        Verdict::Reject,
        who.name.clone(),
        req.memo,
    )
    .await
    .map(Json)
}

/// Approves or rejects entry `id`'s pending change on the list named `list` as `by` (the
/// library's `review`: never by the person who made it) and puts the outcome in force
/// before answering. What the endpoints and the CS page's buttons do.
pub(crate) async fn review_entry(
    state: &AppState,
    list: &str,
    id: String,
    verdict: Verdict,
    by: String,
    memo: Option<String>,
) -> Result<Edited, ApiError> {
    let (which, source) = editable(state, list)?;
    let verb = match verdict {
        Verdict::Approve => "approved",
        Verdict::Reject => "rejected",
    };
    let path = match source {
        Source::File(path) => path,
        Source::Store(replica) => {
            writable_in_store(&replica, which).await?;
            let change = replica
                .store()
                .review(
                    list_name(which),
                    &id,
                    verdict,
                    &by,
                    memo.as_deref(),
                    SystemTime::now(),
                )
                .await
                .map_err(store_error)?;
            let lists_version = crate::follow::in_force(state, &replica, &change).await?;
            let status = banchi::watchlist::manage::view(&change.header, &change.cells).status;
            tracing::info!(list = which.name(), id = %change.id, by = %by, seq = change.seq, "list change {verb}");
            return Ok(Edited {
                id: change.id,
                key: None,
                status,
                lists_version,
            });
        }
    };
    let edit_state = state.clone();
    let entry_id = id.clone();
    let who = by.clone();
    let (status, lists_version) = blocking(move || {
        edits::edit(&edit_state, which, &path, |editor, _| {
            editor
                .review(&entry_id, verdict, &who, memo.as_deref(), SystemTime::now())
                .map_err(list_error)?;
            let status = editor
                .get(&entry_id)
                .map_err(list_error)?
                .map(|e| e.status)
                .ok_or(ApiError::Internal)?;
            Ok((status, entry_id))
        })
    })
    .await?;
    let lists_version = edits::finish(state, lists_version).await?;
    tracing::info!(list = which.name(), id = %id, by = %by, "list change {verb}");
    Ok(Edited {
        id,
        key: None,
        status,
        lists_version,
    })
}
