//! Every route, in one place: what needs no token, what needs one, and the layers around
//! them. The CS page's routes (`/admin/…`, session cookie, no bearer token) are listed in
//! [`crate::admin::router`].

use crate::admin;
use crate::error::ApiError;
use crate::middleware;
use crate::openapi;
use crate::routes::{
    admin_api, health, import, lists, normalize, outcomes, reviews, screen, search,
};
use crate::state::AppState;
use axum::http::{header, HeaderValue};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// The whole application.
pub fn router(state: AppState) -> Router {
    // `/v1`: token first (an unauthenticated call takes no slot), then the in-flight limit,
    // then the timeout (route layers run outermost-last-added).
    let v1 = Router::new()
        .route("/v1/screen", post(screen::screen))
        .route("/v1/screen/batch", post(screen::batch))
        .route("/v1/normalize", post(normalize::normalize))
        .route("/v1/admin/reload", post(admin_api::reload))
        .route(
            "/v1/lists/{list}/entries",
            get(lists::entries).post(lists::add),
        )
        .route(
            "/v1/lists/{list}/entries/{id}",
            get(lists::entry).patch(lists::set_status),
        )
        .route(
            "/v1/lists/{list}/entries/{id}/approve",
            post(lists::approve),
        )
        .route("/v1/lists/{list}/entries/{id}/reject", post(lists::reject))
        .route("/v1/lists/{list}/import", post(import::import))
        .route("/v1/lists/{list}/search", post(search::search))
        .route("/v1/reviews", get(reviews::list))
        .route("/v1/reviews/{order_id}", post(reviews::decide))
        .route("/v1/orders/{order_id}/outcome", post(outcomes::outcome))
        .route("/v1/decisions/candidates", get(reviews::candidates))
        .route_layer(from_fn_with_state(state.clone(), middleware::timeout))
        .route_layer(from_fn_with_state(state.clone(), middleware::limit))
        .route_layer(from_fn_with_state(state.clone(), middleware::authenticate));
    Router::new()
        .route("/", get(health::about))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(openapi::serve))
        .merge(v1)
        .merge(admin::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(CatchPanicLayer::custom(panicked))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(from_fn_with_state(state.clone(), middleware::observe))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a handler panicked");
    ApiError::Internal.into_response()
}
