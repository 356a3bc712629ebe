//! The review queue over the API: `GET /v1/reviews` (orders waiting for a person, newest
//! first), `POST /v1/reviews/{order_id}` (approve / confirm fraud / hold), and `GET
//! /v1/decisions/candidates` (delivery points the outcomes say should be listed). Admin
//! tokens; the CS page offers the same ([`crate::admin::reviews`]).
//!
//! Confirming fraud lists the order's delivery point on the fraud list first
//! ([`crate::listing`]: once, through the list rules, four eyes included), then records the
//! decision; a list that refuses the address leaves the order undecided.

use crate::auth::{Identity, Scope};
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::listing::{decision_loop, decisions_error, list_order, listed_already, Listed};
use crate::state::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use banchi::watchlist::ReasonCode;
use banchi_decisions::record::{
    Candidate, CandidateQuery, Decide, Review, ReviewDecision, ReviewQuery, ReviewStatus,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::time::{Duration, UNIX_EPOCH};
use utoipa::{IntoParams, ToSchema};

/// Most orders one page lists.
pub const MAX_PAGE: usize = 500;

/// Longest memo or reason text kept, characters.
pub const MAX_MEMO_CHARS: usize = 1000;

/// `?status=&grade=&reason=&from=&to=&limit=&after=`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReviewsQuery {
    /// `open` (default), `held`, `approved`, `confirmed_fraud`, `decided` (the last two) or
    /// `all`; several separated by commas.
    pub status: Option<String>,
    /// Only orders with this grade (`danger`, `caution`, `warning`, `forwarding_service`,
    /// `possible`).
    pub grade: Option<String>,
    /// Only orders with this reason code (e.g. `velocity`).
    pub reason: Option<String>,
    /// Screened at or after (`2026-12-01`, `2026-12-01T09:00:00Z`, Unix seconds).
    pub from: Option<String>,
    /// Screened before (same forms).
    pub to: Option<String>,
    /// Orders per page, 1–500 (default 50).
    pub limit: Option<usize>,
    /// The last order id of the previous page.
    pub after: Option<String>,
}

/// Milliseconds of a time given as a date, an RFC 3339 time (offset ignored: UTC) or Unix
/// seconds.
pub(crate) fn parse_time_ms(field: &str, s: &str) -> Result<i64, ApiError> {
    banchi::bulk::velocity::parse_time_minutes(s)
        .map(|m| i64::from(m) * 60_000)
        .ok_or_else(|| {
            ApiError::Unprocessable(format!(
                "{field} is a date (2026-12-01), a time (2026-12-01T09:00:00Z) or Unix seconds"
            ))
        })
}

/// The statuses a `status` parameter names.
pub(crate) fn parse_statuses(s: Option<&str>) -> Result<Vec<ReviewStatus>, ApiError> {
    let Some(s) = s.filter(|s| !s.is_empty()) else {
        return Ok(vec![ReviewStatus::Open]);
    };
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim) {
        match part {
            "all" => out.extend(ReviewStatus::ALL),
            "decided" => out.extend([ReviewStatus::Approved, ReviewStatus::ConfirmedFraud]),
            other => out.push(ReviewStatus::parse(other).ok_or_else(|| {
                ApiError::Unprocessable(
                    "status is open, held, approved, confirmed_fraud, decided or all".into(),
                )
            })?),
        }
    }
    out.sort_by_key(|s| *s as u8);
    out.dedup();
    Ok(out)
}

impl ReviewsQuery {
    /// The store's query, checked.
    pub(crate) fn to_query(&self) -> Result<ReviewQuery, ApiError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ApiError::Unprocessable(format!(
                "limit must be 1–{MAX_PAGE}"
            )));
        }
        fn word(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|s| !s.is_empty())
        }
        Ok(ReviewQuery {
            statuses: parse_statuses(self.status.as_deref())?,
            grade: word(&self.grade).map(str::to_owned),
            reason: word(&self.reason).map(str::to_owned),
            from_ms: word(&self.from)
                .map(|s| parse_time_ms("from", s))
                .transpose()?,
            to_ms: word(&self.to).map(|s| parse_time_ms("to", s)).transpose()?,
            limit,
            after: word(&self.after).map(str::to_owned),
        })
    }
}

/// RFC 3339 (UTC) of a time in Unix milliseconds (the decision store's times).
pub fn rfc3339(ms: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    banchi::watchlist::manage::rfc3339_utc(t)
}

/// Grades of an order.
#[derive(Debug, Serialize, ToSchema)]
pub struct Grades {
    /// Against the fraud list.
    pub fraud: Option<String>,
    /// Against the forwarder list.
    pub forwarder: Option<String>,
}

/// One order of the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewOut {
    /// The shop's order id.
    pub order_id: String,
    /// When it was screened (RFC 3339, UTC).
    pub screened_at: String,
    /// `open`, `held`, `approved` or `confirmed_fraud`; null for an order never sent to
    /// review.
    pub status: Option<&'static str>,
    /// The address as given.
    pub address: String,
    /// Its delivery-point key.
    pub key: Option<String>,
    /// 0–100.
    pub score: u32,
    /// `allow`, `review` or `block`.
    pub action: String,
    /// Its grades.
    pub grades: Grades,
    /// Reason codes.
    pub reasons: Vec<String>,
    /// Matched entries (`fraud:F12`).
    pub entry_ids: Vec<String>,
    /// The lists' version it was graded on.
    pub lists_version: String,
    /// Who decided or held it.
    pub decided_by: Option<String>,
    /// When (RFC 3339).
    pub decided_at: Option<String>,
    /// The reason given with `confirm_fraud`.
    pub decision_reason: Option<String>,
    /// The memo given.
    pub decision_memo: Option<String>,
    /// The fraud entry listing this order's delivery point.
    pub listed_entry: Option<String>,
    /// The buyer fields kept (only when `[decisions] keep_buyer_fields` names them).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub buyer: Option<banchi_decisions::record::BuyerFields>,
    /// The screening answer as it was given (parsed address, matches, reasons, velocity).
    #[schema(value_type = Option<Object>)]
    pub answer: Option<Box<RawValue>>,
}

impl From<Review> for ReviewOut {
    fn from(r: Review) -> ReviewOut {
        let b = &r.buyer;
        let kept = b.name.is_some() || b.phone.is_some() || b.email.is_some();
        ReviewOut {
            screened_at: rfc3339(r.at_ms),
            status: r.status.map(ReviewStatus::as_str),
            grades: Grades {
                fraud: r.fraud_grade,
                forwarder: r.forwarder_grade,
            },
            decided_at: r.decided_at_ms.map(rfc3339),
            answer: r.detail.and_then(|d| RawValue::from_string(d).ok()),
            buyer: kept.then_some(r.buyer),
            order_id: r.order_id,
            address: r.address,
            key: r.key,
            score: r.score,
            action: r.action,
            reasons: r.reasons,
            entry_ids: r.entry_ids,
            lists_version: r.lists_version,
            decided_by: r.decided_by,
            decision_reason: r.decision_reason,
            decision_memo: r.decision_memo,
            listed_entry: r.listed_entry,
        }
    }
}

/// A page of the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewsPage {
    /// Newest first.
    pub reviews: Vec<ReviewOut>,
    /// Pass as `after` for the next page (null on the last page).
    pub next_after: Option<String>,
}

/// Lists the review queue, newest first.
#[utoipa::path(get, path = "/v1/reviews", params(ReviewsQuery),
    responses((status = 200, body = ReviewsPage), (status = 403, body = crate::error::ErrorBody),
              (status = 404, description = "Decisions are not recorded, or `after` names no order", body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    who: Identity,
    query: Result<Query<ReviewsQuery>, QueryRejection>,
) -> Result<Json<ReviewsPage>, ApiError> {
    who.require(Scope::Admin)?;
    let Query(query) = query.map_err(|_| {
        ApiError::BadRequest(
            "the query string is malformed (status, grade, reason, from, to, limit, after)".into(),
        )
    })?;
    let q = query.to_query()?;
    let limit = q.limit;
    let decisions = decision_loop(&state)?;
    let rows = decisions.store.reviews(q).await.map_err(decisions_error)?;
    let next_after = (rows.len() == limit)
        .then(|| rows.last().map(|r| r.order_id.clone()))
        .flatten();
    Ok(Json(ReviewsPage {
        reviews: rows.into_iter().map(ReviewOut::from).collect(),
        next_after,
    }))
}

/// `POST /v1/reviews/{order_id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `approve`, `confirm_fraud` or `hold`.
    #[schema(value_type = String)]
    pub decision: ReviewDecision,
    /// With `confirm_fraud`: the list's reason code (`chargeback`, `credit_master`,
    /// `resale`, `unpaid`, `other`).
    pub reason: Option<String>,
    /// Free text (required with `hold`), at most 1,000 characters.
    pub memo: Option<String>,
}

/// The answer to a decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct Decided {
    /// The order after the decision.
    pub review: ReviewOut,
    /// With `confirm_fraud`: the fraud entry (`{id, status}`; status `pending` under four
    /// eyes), or the entry that listed the point already.
    #[schema(value_type = Option<Object>)]
    pub listed: Option<ListedOut>,
}

/// The fraud entry an order's delivery point is listed by.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListedOut {
    /// Its id.
    pub id: Option<String>,
    /// `active`, `pending`, or `already_listed`.
    pub status: String,
}

impl From<Listed> for ListedOut {
    fn from(l: Listed) -> ListedOut {
        match l {
            Listed::Added { id, status } => ListedOut {
                id: Some(id),
                status,
            },
            Listed::Already(id) => ListedOut {
                id,
                status: "already_listed".into(),
            },
        }
    }
}

/// A memo or reason, trimmed, within [`MAX_MEMO_CHARS`].
pub(crate) fn checked_text(field: &str, s: Option<String>) -> Result<Option<String>, ApiError> {
    let s = s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    if s.as_ref()
        .is_some_and(|s| s.chars().count() > MAX_MEMO_CHARS)
    {
        return Err(ApiError::Unprocessable(format!(
            "{field} is at most {MAX_MEMO_CHARS} characters"
        )));
    }
    Ok(s)
}

/// The list reason of a "confirm fraud".
pub(crate) fn fraud_reason(s: Option<&str>) -> Result<ReasonCode, ApiError> {
    let bad = || {
        ApiError::Unprocessable(
            "confirm_fraud needs a reason: chargeback, credit_master, resale, unpaid or other"
                .into(),
        )
    };
    let code: ReasonCode = s.ok_or_else(bad)?.parse().map_err(|_| bad())?;
    if code == ReasonCode::Forwarding {
        return Err(bad());
    }
    Ok(code)
}

/// Takes a decision on an order: `{order_id}` must be open or held.
pub async fn take_decision(
    state: &AppState,
    order_id: String,
    req: DecisionRequest,
    by: String,
) -> Result<Decided, ApiError> {
    let decisions = decision_loop(state)?;
    let memo = checked_text("memo", req.memo)?;
    let reason = match req.decision {
        ReviewDecision::ConfirmFraud => Some(fraud_reason(req.reason.as_deref())?),
        _ => None,
    };
    if req.decision == ReviewDecision::Hold && memo.is_none() {
        return Err(ApiError::Unprocessable("hold needs a memo".into()));
    }
    let order = decisions
        .store
        .order(order_id.clone())
        .await
        .map_err(decisions_error)?
        .ok_or_else(|| {
            ApiError::NotFound(banchi_decisions::DecisionsError::NotFound.to_string())
        })?;
    banchi_decisions::record::undecided(&order).map_err(decisions_error)?;
    let listed = match reason {
        Some(code) => {
            let mut note = format!("order {order_id}: fraud confirmed by {by}");
            if let Some(m) = &memo {
                note.push_str(": ");
                note.push_str(m);
            }
            Some(list_order(state, decisions, &order, code, note, by.clone()).await?)
        }
        None => None,
    };
    let review = decisions
        .store
        .decide(
            order_id,
            Decide {
                decision: req.decision,
                by: by.clone(),
                reason: reason.map(|r| r.as_str().to_owned()),
                memo,
                at_ms: banchi_decisions::now_ms(),
            },
        )
        .await
        .map_err(decisions_error)?;
    tracing::info!(order_id = %review.order_id, decision = req.decision.as_str(), by = %by, "review decided");
    Ok(Decided {
        review: review.into(),
        listed: listed.map(ListedOut::from),
    })
}

/// Approves, confirms fraud on, or holds an order of the queue (who = the token's name).
#[utoipa::path(post, path = "/v1/reviews/{order_id}", params(("order_id" = String, Path)),
    request_body = DecisionRequest,
    responses((status = 200, body = Decided),
              (status = 404, description = "No such order recorded (or expired)", body = crate::error::ErrorBody),
              (status = 409, description = "Not in the queue, or decided already", body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn decide(
    State(state): State<AppState>,
    who: Identity,
    Path(order_id): Path<String>,
    JsonBody(req): JsonBody<DecisionRequest>,
) -> Result<Json<Decided>, ApiError> {
    who.require(Scope::Admin)?;
    take_decision(&state, order_id, req, who.name.clone())
        .await
        .map(Json)
}

/// `?limit=`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CandidatesQuery {
    /// Most candidates, 1–500 (default 100).
    pub limit: Option<usize>,
}

/// Block candidates not on the fraud list yet, most fraud outcomes first.
pub async fn candidates_for(state: &AppState, limit: usize) -> Result<Vec<Candidate>, ApiError> {
    let decisions = decision_loop(state)?;
    let s = &decisions.section;
    let since_ms = banchi_decisions::now_ms() - i64::from(s.candidate_window_days) * 86_400_000;
    let found = decisions
        .store
        .candidates(CandidateQuery {
            min_fraud_outcomes: s.candidate_outcomes,
            since_ms,
            // Some of them may be listed already.
            limit: limit.saturating_mul(2),
        })
        .await
        .map_err(decisions_error)?;
    let mut out = Vec::with_capacity(found.len().min(limit));
    for c in found {
        if out.len() == limit {
            break;
        }
        if listed_already(state, &c.address)?.is_none() {
            out.push(c);
        }
    }
    Ok(out)
}

/// Delivery points with `candidate_outcomes` or more fraud outcomes (or a velocity burst
/// followed by a chargeback) in `candidate_window_days`, not on the fraud list.
#[utoipa::path(get, path = "/v1/decisions/candidates", params(CandidatesQuery),
    responses((status = 200, description = "Candidates", body = Vec<Object>),
              (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn candidates(
    State(state): State<AppState>,
    who: Identity,
    query: Result<Query<CandidatesQuery>, QueryRejection>,
) -> Result<Json<Vec<Candidate>>, ApiError> {
    who.require(Scope::Admin)?;
    let Query(q) =
        query.map_err(|_| ApiError::BadRequest("the query string is malformed (limit)".into()))?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::Unprocessable(format!(
            "limit must be 1–{MAX_PAGE}"
        )));
    }
    candidates_for(&state, limit).await.map(Json)
}
