//! `/v1/admin/*`: operations for `admin` tokens that are not list edits.

use crate::auth::{Identity, Scope};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// Answer of a reload.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reloaded {
    /// The lists' version now active.
    pub lists_version: String,
}

/// Reloads the lists from their files now (as SIGHUP does); on failure the previous lists
/// stay active and the answer is 409.
#[utoipa::path(
    post,
    path = "/v1/admin/reload",
    responses(
        (status = 200, body = Reloaded),
        (status = 403, description = "Not an admin token", body = crate::error::ErrorBody),
        (status = 409, description = "A list file could not be loaded; the previous lists stay", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn reload(
    State(state): State<AppState>,
    who: Identity,
) -> Result<Json<Reloaded>, ApiError> {
    who.require(Scope::Admin)?;
    state.reload().await.map_err(|e| {
        tracing::error!(error = %e, by = %who.name, "reload failed; the previous lists stay");
        ApiError::Conflict(
            "a list file could not be loaded; the previous lists stay (the server log says why)"
                .into(),
        )
    })?;
    tracing::info!(by = %who.name, "lists reloaded");
    Ok(Json(Reloaded {
        lists_version: state.lists()?.version.clone(),
    }))
}
