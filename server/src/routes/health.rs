//! Endpoints that need no token: `/` (versions), `/healthz` (alive), `/readyz` (lists
//! loaded) and `/metrics` (Prometheus); `/openapi.json`, which needs none either, is served
//! by [`crate::openapi`] beside the document it lists them in. They say nothing about list
//! contents beyond counts and versions.

use crate::error::ApiError;
use crate::lists::ListInfo;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// `GET /`.
#[derive(Debug, Serialize, ToSchema)]
pub struct About {
    /// `banchi`.
    pub name: &'static str,
    /// Server crate version.
    pub version: &'static str,
    /// API version prefix.
    pub api: &'static str,
    /// Active lists' version (null until loaded).
    pub lists_version: Option<String>,
}

/// Names and versions.
#[utoipa::path(get, path = "/", responses((status = 200, body = About)))]
pub async fn about(State(state): State<AppState>) -> Json<About> {
    Json(About {
        name: "banchi",
        version: env!("CARGO_PKG_VERSION"),
        api: "v1",
        lists_version: state.lists().ok().map(|l| l.version.clone()),
    })
}

/// `GET /healthz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
}

/// Alive (answers as long as the process serves).
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// `GET /readyz` once ready.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    /// `ready`, or `stale` while the list store cannot be reached (still serving).
    pub status: &'static str,
    /// The active lists' version.
    pub lists_version: String,
    /// Each list's entries and version.
    pub lists: Vec<ListInfo>,
    /// With `--store postgres`: `current` or `stale` (the store cannot be reached; the
    /// lists held are screened on), the last change applied, since when stale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<crate::replica::StoreStatus>,
}

/// Ready once the lists are loaded (503 `not_ready` before). A replica of the list store
/// stays ready while the store is unreachable (`store.state` = `stale`): it screens on the
/// lists it holds.
#[utoipa::path(get, path = "/readyz", responses(
    (status = 200, body = Ready),
    (status = 503, description = "Lists still loading", body = crate::error::ErrorBody)
))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Ready>, ApiError> {
    let lists = state.lists()?;
    let store = state.replica.as_ref().map(|r| r.status());
    Ok(Json(Ready {
        status: match &store {
            Some(s) if s.state == "stale" => "stale",
            _ => "ready",
        },
        lists_version: lists.version.clone(),
        lists: lists.info.clone(),
        store,
    }))
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    state
        .metrics
        .velocity_connected(state.shared_velocity().is_some_and(|v| v.connected()));
    let mut res = state.metrics.encode().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    res
}
