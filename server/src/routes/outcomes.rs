//! `POST /v1/orders/{order_id}/outcome`: what the platform learnt of an order after it
//! shipped (a chargeback weeks later, fraud, unpaid, legit, refunded).
//!
//! A `chargeback`, `fraud` or `unpaid` outcome lists the order's delivery point on the fraud
//! list with that reason ([`crate::listing`]: once, however often the call is repeated; into
//! the four-eyes queue when that is on). Every new outcome raises the `outcome` webhook
//! event. An order that was never recorded, or whose record expired, is 404. Tokens: `admin`
//! or `outcome` (a platform's back office).

use crate::auth::{Identity, Scope};
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::listing::{decision_loop, decisions_error, list_order};
use crate::routes::reviews::{parse_time_ms, ListedOut};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::Json;
use banchi::watchlist::ReasonCode;
use banchi_decisions::record::Outcome;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /v1/orders/{order_id}/outcome`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeRequest {
    /// `chargeback`, `fraud`, `unpaid`, `legit` or `refunded`.
    #[schema(value_type = String)]
    pub outcome: Outcome,
    /// When it happened (`2026-12-01`, RFC 3339, Unix seconds; default now).
    pub at: Option<String>,
}

/// The answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeRecorded {
    /// The order.
    pub order_id: String,
    /// The outcome recorded.
    #[schema(value_type = String)]
    pub outcome: Outcome,
    /// False when this outcome of this order was reported before (nothing new was done).
    pub first: bool,
    /// The fraud entry listing the order's delivery point (chargeback, fraud, unpaid).
    #[schema(value_type = Option<Object>)]
    pub listed: Option<ListedOut>,
}

/// The list reason an outcome lists with.
fn list_reason(o: Outcome) -> Option<ReasonCode> {
    match o {
        Outcome::Chargeback => Some(ReasonCode::Chargeback),
        Outcome::Unpaid => Some(ReasonCode::Unpaid),
        Outcome::Fraud => Some(ReasonCode::Other),
        Outcome::Legit | Outcome::Refunded => None,
    }
}

/// Records an order's outcome (who = the token's name).
#[utoipa::path(post, path = "/v1/orders/{order_id}/outcome", params(("order_id" = String, Path)),
    request_body = OutcomeRequest,
    responses((status = 200, body = OutcomeRecorded),
              (status = 404, description = "The order was never recorded, or its record expired", body = crate::error::ErrorBody),
              (status = 422, description = "Unknown outcome or bad time", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn outcome(
    State(state): State<AppState>,
    who: Identity,
    Path(order_id): Path<String>,
    JsonBody(req): JsonBody<OutcomeRequest>,
) -> Result<Json<OutcomeRecorded>, ApiError> {
    who.require(Scope::Outcome)?;
    let decisions = decision_loop(&state)?;
    let now = banchi_decisions::now_ms();
    let at_ms = match req.at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => parse_time_ms("at", s)?,
        None => now,
    };
    let recorded = decisions
        .store
        .outcome(order_id.clone(), req.outcome, at_ms, who.name.clone())
        .await
        .map_err(decisions_error)?;
    if recorded.first {
        let events = decisions
            .hooks
            .for_outcome(&recorded.order, req.outcome, at_ms, now);
        if !events.is_empty() {
            decisions
                .store
                .enqueue(events)
                .await
                .map_err(decisions_error)?;
            decisions.wake.notify_one();
        }
    }
    // Listed even on a repeated call when an earlier one failed to list: the store's claim
    // makes it once.
    let listed = match list_reason(req.outcome) {
        Some(reason) => {
            let memo = format!(
                "order {order_id}: outcome {} reported by {}",
                req.outcome.as_str(),
                who.name
            );
            Some(
                list_order(
                    &state,
                    decisions,
                    &recorded.order,
                    reason,
                    memo,
                    who.name.clone(),
                )
                .await?,
            )
        }
        None => None,
    };
    tracing::info!(order_id = %order_id, outcome = req.outcome.as_str(), first = recorded.first, by = %who.name, "outcome recorded");
    Ok(Json(OutcomeRecorded {
        order_id,
        outcome: req.outcome,
        first: recorded.first,
        listed: listed.map(ListedOut::from),
    }))
}
