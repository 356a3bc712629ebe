//! Request bodies: JSON read under a size limit, with each failure mapped to its status.
//!
//! * not `application/json` → 415; larger than the limit → 413;
//! * not UTF-8 or not JSON (syntax) → 400; JSON that does not fit the schema → 422.
//!
//! Messages name the position and the kind of problem only: serde's own messages can quote
//! the offending value (an address), so they are not passed on, except for a missing field,
//! whose message holds only the field's name.

use crate::error::ApiError;
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap};
use serde::de::DeserializeOwned;

/// A JSON body of at most `max_body_bytes`, deserialized into `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        if !is_media_type(req.headers(), "application/json") {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as Content-Type: application/json".into(),
            ));
        }
        let bytes = read_limited(req.into_body(), state.settings.max_body_bytes).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// True when the request's content type is `media` (parameters such as charset ignored).
pub fn is_media_type(headers: &HeaderMap, media: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(media))
}

/// Reads a whole body, refusing more than `limit` bytes with 413.
pub async fn read_limited(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::PayloadTooLarge(format!(
            "the body is larger than the limit of {limit} bytes"
        ))
    };
    match axum::body::to_bytes(body, limit).await {
        Ok(b) => Ok(b),
        Err(e) => {
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            while let Some(s) = source {
                if s.is::<http_body_util::LengthLimitError>() {
                    return Err(too_large());
                }
                source = s.source();
            }
            Err(ApiError::BadRequest("the body could not be read".into()))
        }
    }
}

/// Parses JSON bytes into `T` (see the module documentation for the statuses).
pub fn parse_json<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, ApiError> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(ApiError::BadRequest("the body is not valid UTF-8".into()));
    };
    parse_json_str(text)
}

/// Parses JSON text already known to be UTF-8 into `T` (its strings are not checked again).
pub fn parse_json_str<'a, T: serde::Deserialize<'a>>(text: &'a str) -> Result<T, ApiError> {
    serde_json::from_str(text).map_err(|e| json_error(&e))
}

/// A serde_json error as an [`ApiError`], without quoting any value.
pub fn json_error(e: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    let at = format!("line {} column {}", e.line(), e.column());
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::BadRequest(format!("malformed JSON at {at}"))
        }
        Category::Data => {
            let text = e.to_string();
            if let Some(field) = text
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split('`').next())
            {
                ApiError::Unprocessable(format!("missing field `{field}` at {at}"))
            } else {
                ApiError::Unprocessable(format!(
                    "a field is unknown or has the wrong type or value at {at}"
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Req {
        address: String,
        n: Option<u32>,
    }

    #[test]
    fn each_failure_has_its_status_and_quotes_nothing() {
        let e = parse_json::<Req>(b"{\"address\": ").unwrap_err();
        assert_eq!(e.status().as_u16(), 400);
        let e = parse_json::<Req>(b"\xff\xfe").unwrap_err();
        assert_eq!(e.to_string(), "the body is not valid UTF-8");
        let e = parse_json::<Req>(b"{}").unwrap_err();
        assert_eq!(e.status().as_u16(), 422);
        assert!(e.to_string().starts_with("missing field `address`"), "{e}");
        let e = parse_json::<Req>(
            "{\"address\": \"東京都中央区銀座4-6-16\", \"n\": \"東京都\"}".as_bytes(),
        )
        .unwrap_err();
        assert_eq!(e.status().as_u16(), 422);
        assert!(!e.to_string().contains("東京"), "{e}");
        assert!(parse_json::<Req>(b"{\"address\": \"x\"}").is_ok());
    }

    #[tokio::test]
    async fn bodies_over_the_limit_are_413() {
        let e = read_limited(Body::from(vec![b'a'; 100]), 10)
            .await
            .unwrap_err();
        assert_eq!(e.status().as_u16(), 413);
        assert_eq!(read_limited(Body::from("abc"), 10).await.unwrap(), "abc");
    }
}
