//! Putting an order's delivery point on the fraud list — what "confirm fraud", a chargeback
//! outcome and a block candidate all do — once per order, through the list rules.
//!
//! Once: the decision store hands the listing of an order to one caller at a time
//! ([`banchi_decisions::Decisions::claim_listing`]), so the same chargeback posted five times
//! (or at once from five threads) adds one entry. A point the fraud list already holds (a
//! same-unit match) is not added again: the order is linked to that entry. Through the list
//! rules: the entry is added as `POST /v1/lists/fraud/entries` adds one
//! ([`crate::routes::lists::add_entry`]: the address must resolve to a block, the history
//! names who, four eyes applies when configured), with the order id in its memo.

use crate::decisions::DecisionLoop;
use crate::error::ApiError;
use crate::lists::Which;
use crate::routes::lists::{add_entry, AddEntry};
use crate::state::AppState;
use banchi::watchlist::ReasonCode;
use banchi_decisions::record::Review;
use banchi_decisions::DecisionsError;

/// What listing an order did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listed {
    /// A new entry (its id and status: `active`, or `pending` under four eyes).
    Added {
        /// The entry's id.
        id: String,
        /// `active` or `pending`.
        status: String,
    },
    /// The point was listed already (by this order before, or by an entry with the same
    /// unit): that entry's id, when known.
    Already(Option<String>),
}

impl Listed {
    /// The entry's id, when there is one.
    pub fn entry_id(&self) -> Option<&str> {
        match self {
            Listed::Added { id, .. } => Some(id),
            Listed::Already(id) => id.as_deref(),
        }
    }
}

/// The API's answer for a store error.
pub fn decisions_error(e: DecisionsError) -> ApiError {
    match e {
        DecisionsError::NotFound => ApiError::NotFound(DecisionsError::NotFound.to_string()),
        e @ (DecisionsError::NotInQueue | DecisionsError::AlreadyDecided(_)) => {
            ApiError::Conflict(e.to_string())
        }
        e if e.is_unavailable() => {
            tracing::warn!(error = %e, "decision store unavailable");
            ApiError::Unavailable("the decision store cannot be reached; try again".into())
        }
        e => {
            tracing::error!(error = %e, "decision store call failed");
            ApiError::Internal
        }
    }
}

/// The decision store, or 404 naming the setting that turns it on.
pub fn decision_loop(state: &AppState) -> Result<&std::sync::Arc<DecisionLoop>, ApiError> {
    state.decisions().filter(|d| d.records()).ok_or_else(|| {
        ApiError::NotFound(
            "decisions are not recorded on this server ([decisions] enabled = true)".into(),
        )
    })
}

/// The id of an active fraud entry with the same unit as `address`, if the lists in force
/// hold one.
pub(crate) fn listed_already(state: &AppState, address: &str) -> Result<Option<String>, ApiError> {
    let lists = state.lists()?;
    let screening = lists.screener.check(address);
    Ok(screening.fraud.same_unit().map(|m| m.id.clone()))
}

/// Lists `order`'s delivery point on the fraud list, once (see the module documentation).
pub async fn list_order(
    state: &AppState,
    decisions: &DecisionLoop,
    order: &Review,
    reason: ReasonCode,
    memo: String,
    by: String,
) -> Result<Listed, ApiError> {
    if order.listed_entry.is_some() {
        return Ok(Listed::Already(order.listed_entry.clone()));
    }
    if order.address.trim().is_empty() {
        return Err(ApiError::Unprocessable(
            "the order was recorded without its address; it cannot be listed".into(),
        ));
    }
    let store = &decisions.store;
    if !store
        .claim_listing(order.order_id.clone())
        .await
        .map_err(decisions_error)?
    {
        // Listed, or being listed, by another call.
        let now = store
            .order(order.order_id.clone())
            .await
            .map_err(decisions_error)?;
        return Ok(Listed::Already(now.and_then(|o| o.listed_entry)));
    }
    let result = match listed_already(state, &order.address) {
        Ok(Some(id)) => Ok(Listed::Already(Some(id))),
        Ok(None) => {
            let req = AddEntry {
                address: order.address.clone(),
                reason,
                memo: Some(memo),
                id: None,
            };
            add_entry(state, Which::Fraud, req, by)
                .await
                .map(|e| Listed::Added {
                    id: e.id,
                    status: e.status,
                })
        }
        Err(e) => Err(e),
    };
    match &result {
        Ok(listed) => {
            let id = listed.entry_id().unwrap_or_default().to_owned();
            store
                .set_listing(order.order_id.clone(), id)
                .await
                .map_err(decisions_error)?;
        }
        Err(_) => {
            let _ = store.release_listing(order.order_id.clone()).await;
        }
    }
    result
}
