//! `POST /v1/normalize`: the parser alone. POST, so addresses never appear in URLs (which
//! proxies log).

use crate::body::JsonBody;
use crate::error::ApiError;
use crate::routes::screen::AddressInput;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use banchi::Address;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The address to parse.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NormalizeRequest {
    /// One string or parts, as in `/v1/screen`.
    #[serde(deserialize_with = "AddressInput::deserialize_either")]
    pub address: AddressInput,
}

/// The parts (as `banchi normalize` prints them), or an `error` when the address did not
/// parse.
#[derive(Debug, Serialize, ToSchema)]
pub struct NormalizeResponse {
    /// The parsed address: prefecture, city, town, chome, banchi, go, building, floor, room,
    /// customer_id, level, key, city_code, anomalies, input.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub address: Address,
    /// Why it did not parse (null when it did).
    pub error: Option<String>,
    /// The address written back from its parts.
    pub normalized: Option<String>,
}

/// Parses one address.
#[utoipa::path(
    post,
    path = "/v1/normalize",
    request_body = NormalizeRequest,
    responses(
        (status = 200, description = "The parts, or `error` when it did not parse", body = NormalizeResponse),
        (status = 401, description = "No or unknown bearer token", body = crate::error::ErrorBody),
        (status = 422, description = "JSON that does not fit the schema", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn normalize(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<NormalizeRequest>,
) -> Result<Json<NormalizeResponse>, ApiError> {
    let lists = state.lists()?;
    let input = req.address.joined();
    Ok(Json(match lists.screener.parser().parse(&input) {
        Ok(address) => NormalizeResponse {
            normalized: Some(address.normalized_text()),
            address,
            error: None,
        },
        Err(e) => NormalizeResponse {
            address: Address {
                input: input.into_owned(),
                ..Address::default()
            },
            error: Some(e.to_string()),
            normalized: None,
        },
    }))
}
