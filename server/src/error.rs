//! One error type for every way a request can fail, and the one place it becomes a response.
//!
//! Every failure answers `{"error": {"code", "message", "request_id"}}` with the status its
//! [`ApiError`] variant maps to ([`ApiError::status`]). Messages are written here, never
//! copied from the request: an address, a name or a phone never ends up in an error (or in
//! the access log that records the code).
//!
//! A handler's error response carries an [`ErrorInfo`] extension; the request middleware
//! ([`crate::middleware::observe`]) renders the body once it knows the request id.
//!
//! A library list error becomes an [`ApiError`] here too ([`list_error`]): the list routes,
//! the edits under them and the import share the one mapping.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use banchi::error::ListError;
use serde::Serialize;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON (syntax) or not UTF-8, or a query parameter is unreadable.
    #[error("{0}")]
    BadRequest(String),
    /// No bearer token, or one that is not configured.
    #[error("a valid bearer token is required (Authorization: Bearer …)")]
    Unauthorized,
    /// The token is valid but lacks the scope this endpoint needs.
    #[error("this token's scope does not allow this endpoint (needs `{0}`)")]
    Forbidden(&'static str),
    /// No such endpoint or resource.
    #[error("{0}")]
    NotFound(String),
    /// The endpoint exists but not with this method.
    #[error("method not allowed on this endpoint")]
    MethodNotAllowed,
    /// The request conflicts with the server's state (e.g. editing a read-only list).
    #[error("{0}")]
    Conflict(String),
    /// The body or the batch is larger than the configured limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The body is not `application/json` (or NDJSON where accepted).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Well-formed JSON that does not fit the request schema.
    #[error("{0}")]
    Unprocessable(String),
    /// Too many requests in flight: retry later.
    #[error("too many requests in flight; retry shortly")]
    TooManyRequests,
    /// The lists are not loaded yet.
    #[error("the lists are still loading; retry shortly")]
    NotReady,
    /// The request did not finish within the configured time.
    #[error("the request took longer than the configured timeout")]
    Timeout,
    /// Something the request needs is down (the list store): retry later.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or an I/O failure on the server's side (details go to the server log only).
    #[error("internal error; the server log has the details under this request id")]
    Internal,
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotReady | ApiError::Timeout | ApiError::Unavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Unprocessable(_) => "invalid_request",
            ApiError::TooManyRequests => "too_many_requests",
            ApiError::NotReady => "not_ready",
            ApiError::Timeout => "timeout",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal => "internal",
        }
    }

    /// The error as it appears inside a batch answer (`{code, message}`, no request id).
    pub fn item(&self) -> ItemError {
        ItemError {
            code: self.code(),
            message: self.to_string(),
        }
    }
}

/// A library list error as an API error (messages name ids and levels, never addresses).
pub fn list_error(e: ListError) -> ApiError {
    match e {
        ListError::UnknownId(_) => ApiError::NotFound("no entry with this id".into()),
        ListError::DuplicateId(_)
        | ListError::AlreadyInState { .. }
        | ListError::PendingChange(_)
        | ListError::NotPending(_) => ApiError::Conflict(e.to_string()),
        ListError::OwnChange(_) => ApiError::Forbidden(
            "four eyes: a change is approved or rejected by another person than the one who made it",
        ),
        ListError::NotABlock(_)
        | ListError::Unparseable(_)
        | ListError::Empty(_)
        | ListError::UnknownReason(_)
        | ListError::NotIndexable(_) => ApiError::Unprocessable(e.to_string()),
        ListError::Watchlist(w) => {
            tracing::error!(error = %w, "list file operation failed");
            ApiError::Internal
        }
    }
}

/// A failed batch item's `error`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemError {
    /// Stable code, as in [`ApiError::code`].
    pub code: &'static str,
    /// What went wrong, in English, without the item's content.
    pub message: String,
}

/// The error carried on a response until the request middleware renders it.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    /// What failed.
    pub error: ApiError,
}

/// The rendered error body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// `error` of an [`ErrorBody`].
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable code (`bad_request`, `unauthorized`, …).
    pub code: String,
    /// What went wrong, in English.
    pub message: String,
    /// The request id, also in the `x-request-id` header and the access log.
    pub request_id: String,
}

/// Renders an error as the final response, with its request id.
pub fn render(error: &ApiError, request_id: &str) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: error.code().to_owned(),
            message: error.to_string(),
            request_id: request_id.to_owned(),
        },
    };
    let text = serde_json::to_string(&body).unwrap_or_else(|_| String::from("{}"));
    let mut res = (error.status(), text).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if matches!(error, ApiError::TooManyRequests | ApiError::NotReady) {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    if matches!(error, ApiError::Unauthorized) {
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // Rendered without a request id here; `middleware::observe` renders it again with one.
        let mut res = render(&self, "");
        res.extensions_mut().insert(ErrorInfo { error: self });
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Which error gives which status and code: the table clients rely on.
    #[test]
    fn statuses_and_codes() {
        let table = [
            (ApiError::BadRequest("x".into()), 400, "bad_request"),
            (ApiError::Unauthorized, 401, "unauthorized"),
            (ApiError::Forbidden("admin"), 403, "forbidden"),
            (ApiError::NotFound("x".into()), 404, "not_found"),
            (ApiError::MethodNotAllowed, 405, "method_not_allowed"),
            (ApiError::Conflict("x".into()), 409, "conflict"),
            (
                ApiError::PayloadTooLarge("x".into()),
                413,
                "payload_too_large",
            ),
            (
                ApiError::UnsupportedMediaType("x".into()),
                415,
                "unsupported_media_type",
            ),
            (ApiError::Unprocessable("x".into()), 422, "invalid_request"),
            (ApiError::TooManyRequests, 429, "too_many_requests"),
            (ApiError::NotReady, 503, "not_ready"),
            (ApiError::Timeout, 503, "timeout"),
            (ApiError::Internal, 500, "internal"),
        ];
        for (e, status, code) in table {
            assert_eq!(e.status().as_u16(), status, "{e:?}");
            assert_eq!(e.code(), code);
        }
    }

    #[test]
    fn rendered_body_has_code_message_and_id() {
        let res = render(&ApiError::TooManyRequests, "req-1");
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.headers()[header::RETRY_AFTER], "1");
    }
}
