//! `POST /v1/lists/{list}/search` `{q}`: find entries by id or by normalized address prefix
//! (admin tokens). The query travels in the body, never in the URL (proxies log URLs).
//! Matching is [`crate::list_search`]'s; the list file is read as the other list endpoints
//! read it.

use crate::auth::{Identity, Scope};
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::list_search::{self, Hit, Needle};
use crate::replica::{list_name, store_error};
use crate::routes::lists::Source;
use crate::routes::lists::{blocking, editable, page_limit};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /v1/lists/{list}/search`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// An entry id, or an address (any notation; matched at the level it parses to).
    pub q: String,
    /// `active` or `disabled` (default: both).
    pub status: Option<String>,
    /// Entries per page, 1–1000 (default 100).
    pub limit: Option<usize>,
    /// `next_after` of the previous page.
    pub after: Option<String>,
}

/// One page of entries found.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchPage {
    /// The level the address in `q` parsed to (`prefecture` … `unit`), null when `q` was
    /// taken as an id only.
    pub level: Option<&'static str>,
    /// Entries in file order, each with `key` and `matched_by` (`id` or `address`).
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<Hit>,
    /// Pass as `after` for the next page (null on the last page).
    pub next_after: Option<String>,
}

/// Searches a list by id or address prefix.
#[utoipa::path(post, path = "/v1/lists/{list}/search", params(("list" = String, Path)),
    request_body = SearchRequest,
    responses((status = 200, body = SearchPage), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn search(
    State(state): State<AppState>,
    who: Identity,
    Path(list): Path<String>,
    JsonBody(req): JsonBody<SearchRequest>,
) -> Result<Json<SearchPage>, ApiError> {
    who.require(Scope::Admin)?;
    let (which, source) = editable(&state, &list)?;
    let limit = page_limit(req.limit, req.status.as_deref())?;
    let parser = *state.lists()?.screener.parser();
    let needle = Needle::new(&parser, &req.q);
    let level = needle.level();
    let shared = state.clone();
    let found = blocking(move || {
        // A page of entries: through the cached editor (each under the lock: edits go on
        // between), or from the store.
        let read_page = |after: Option<&str>, limit: usize| match &source {
            Source::File(path) => {
                crate::edits::read(&shared, which, path, |e| e.page(after, limit, |_| true))
            }
            Source::Store(replica) => tokio::runtime::Handle::current()
                .block_on(replica.store().page(list_name(which), after, limit, None))
                .map_err(store_error),
        };
        // An id alone: one lookup, not a pass over the list.
        if let (Some(id), None) = (needle.id_only(), req.after.as_deref()) {
            let entry = match &source {
                Source::File(path) => crate::edits::read(&shared, which, path, |e| e.get(id))?,
                Source::Store(replica) => tokio::runtime::Handle::current()
                    .block_on(replica.store().entry(list_name(which), id))
                    .map_err(store_error)?,
            };
            return Ok(list_search::search(
                &parser,
                entry.into_iter().collect(),
                &needle,
                req.status.as_deref(),
                None,
                limit,
            )?);
        }
        list_search::search_chunks(
            &parser,
            &needle,
            req.status.as_deref(),
            req.after.as_deref(),
            limit,
            |after| read_page(after, list_search::CHUNK),
        )
    })
    .await?;
    Ok(Json(SearchPage {
        level,
        entries: found.hits,
        next_after: found.next_after,
    }))
}
