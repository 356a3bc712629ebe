//! What runs around every request: request id, error rendering, access log and metrics
//! ([`observe`]); for `/v1` also the token check ([`authenticate`]), the in-flight limit
//! ([`limit`]) and the timeout ([`timeout`]).
//!
//! The access log line (`target: banchi_server::access`, level INFO) carries the request id,
//! method, route template, status, latency and the order id a screening handler reports
//! ([`OrderId`]) — never the body, an address, a name, a phone or an e-mail.

use crate::auth::Identity;
use crate::error::{render, ApiError, ErrorInfo};
use crate::state::AppState;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;

/// The request id, in the request's extensions for handlers that need it.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The order id a handler answered for, put on the response for the access log.
#[derive(Debug, Clone)]
pub struct OrderId(pub String);

/// Longest order id written to the access log (longer ones are cut).
const MAX_LOGGED_ORDER_ID: usize = 64;

/// Request id, error body, access log, metrics.
pub async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = state.next_request_id();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut res = next.run(req).await;
    if let Some(info) = res.extensions_mut().remove::<ErrorInfo>() {
        res = render(&info.error, &id);
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    state.metrics.request(&route, status, elapsed.as_secs_f64());
    let order_id = res.extensions().get::<OrderId>().map(|o| {
        let cut: String =
            o.0.chars()
                .filter(|c| !c.is_control())
                .take(MAX_LOGGED_ORDER_ID)
                .collect();
        cut
    });
    tracing::info!(
        target: "banchi_server::access",
        request_id = %id,
        method = %method,
        route = %route,
        status,
        latency_us = elapsed.as_micros() as u64,
        order_id = order_id.as_deref().unwrap_or(""),
    );
    res
}

/// Requires a bearer token (any scope) and puts the caller's [`Identity`] in the request.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    match state.tokens.authenticate(req.headers()) {
        Ok(identity) => {
            req.extensions_mut().insert(identity);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

/// Answers 429 at once when `max_in_flight` requests are being handled already, instead of
/// queueing them.
pub async fn limit(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    match state.in_flight.clone().try_acquire_owned() {
        Ok(permit) => {
            // Shared with the handler: a streamed answer keeps a clone until its body is done.
            let permit = InFlight(std::sync::Arc::new(permit));
            req.extensions_mut().insert(permit.clone());
            let res = next.run(req).await;
            drop(permit);
            res
        }
        Err(_) => ApiError::TooManyRequests.into_response(),
    }
}

/// A `/v1` request's in-flight permit (see [`limit`]).
#[derive(Debug, Clone)]
pub struct InFlight(pub std::sync::Arc<tokio::sync::OwnedSemaphorePermit>);

/// Answers 503 `timeout` when the handler has not answered within the configured time.
pub async fn timeout(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(state.settings.request_timeout, next.run(req)).await {
        Ok(res) => res,
        Err(_) => ApiError::Timeout.into_response(),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Identity {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Identity>()
            .cloned()
            .ok_or(ApiError::Unauthorized)
    }
}
