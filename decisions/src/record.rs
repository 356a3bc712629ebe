//! The rows of the decision store, as both backends read and write them.
//!
//! A [`Decision`] is one screened order as the server answered it (written by the server's
//! recorder, in batches); a [`Review`] is the same row read back with its place in the review
//! queue; an [`Outcome`] is what the platform learnt of the order later; a [`Candidate`] is a
//! delivery point the outcomes say should be listed; an [`OutboxEvent`] is a webhook event
//! waiting for delivery and a [`DeliveryLog`] row what became of it. Times are Unix
//! milliseconds throughout.

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The buyer fields kept with a decision — only when the server is configured to keep them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuyerFields {
    /// Recipient's or buyer's name.
    pub name: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
}

/// One screened order, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The shop's order id (the row's key: the order screened again replaces the row's
    /// screening, never its review decision).
    pub order_id: String,
    /// When it was screened.
    pub at_ms: i64,
    /// The address as given (what a reviewer reads and "confirm fraud" lists).
    pub address: String,
    /// Its delivery-point key, when it parsed to a block.
    pub key: Option<String>,
    /// 0–100.
    pub score: u32,
    /// `allow`, `review` or `block`.
    pub action: String,
    /// Grade against the fraud list.
    pub fraud_grade: Option<String>,
    /// Grade against the forwarder list.
    pub forwarder_grade: Option<String>,
    /// Reason codes, most points first.
    pub reasons: Vec<String>,
    /// Matched entries as `list:id` (`fraud:F12`, `forwarders:W3`).
    pub entry_ids: Vec<String>,
    /// The lists' version the order was graded on.
    pub lists_version: String,
    /// Buyer fields (empty unless configured).
    pub buyer: BuyerFields,
    /// True when the order goes to the review queue (its action is one of
    /// `review_actions`).
    pub review: bool,
    /// The answer as JSON (parsed address, matches, reasons, velocity), kept for reviewed
    /// orders only.
    pub detail: Option<String>,
}

/// Where an order stands in the review queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// Waiting for a person.
    Open,
    /// 保留: put aside with a memo; still to decide.
    Held,
    /// 承認: the order may ship.
    Approved,
    /// 不正確定: fraud; its delivery point was added to the fraud list.
    ConfirmedFraud,
}

impl ReviewStatus {
    /// Every status.
    pub const ALL: [ReviewStatus; 4] = [
        ReviewStatus::Open,
        ReviewStatus::Held,
        ReviewStatus::Approved,
        ReviewStatus::ConfirmedFraud,
    ];

    /// The snake_case name, as stored and as the API says it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Open => "open",
            ReviewStatus::Held => "held",
            ReviewStatus::Approved => "approved",
            ReviewStatus::ConfirmedFraud => "confirmed_fraud",
        }
    }

    /// Reads a stored or requested name.
    pub fn parse(s: &str) -> Option<ReviewStatus> {
        ReviewStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// True while a decision can still be taken (open or held).
    pub fn is_undecided(self) -> bool {
        matches!(self, ReviewStatus::Open | ReviewStatus::Held)
    }

    /// The label on the CS page.
    pub fn label_ja(self) -> &'static str {
        match self {
            ReviewStatus::Open => "未対応",
            ReviewStatus::Held => "保留",
            ReviewStatus::Approved => "承認",
            ReviewStatus::ConfirmedFraud => "不正確定",
        }
    }
}

/// A reviewer's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// 承認.
    Approve,
    /// 不正確定 (a reason is required).
    ConfirmFraud,
    /// 保留 (a memo is required).
    Hold,
}

impl ReviewDecision {
    /// The status the decision leaves the order in.
    pub fn status(self) -> ReviewStatus {
        match self {
            ReviewDecision::Approve => ReviewStatus::Approved,
            ReviewDecision::ConfirmFraud => ReviewStatus::ConfirmedFraud,
            ReviewDecision::Hold => ReviewStatus::Held,
        }
    }

    /// `approve`, `confirm_fraud` or `hold`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewDecision::Approve => "approve",
            ReviewDecision::ConfirmFraud => "confirm_fraud",
            ReviewDecision::Hold => "hold",
        }
    }

    /// Reads `approve`, `confirm_fraud` or `hold`.
    pub fn parse(s: &str) -> Option<ReviewDecision> {
        [
            ReviewDecision::Approve,
            ReviewDecision::ConfirmFraud,
            ReviewDecision::Hold,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}

/// A decision to record: who took it, when, and its reason or memo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decide {
    /// What was decided.
    pub decision: ReviewDecision,
    /// The reviewer (a token's or login's name).
    pub by: String,
    /// Why (confirm fraud).
    pub reason: Option<String>,
    /// A memo (hold; free text with the others).
    pub memo: Option<String>,
    /// When.
    pub at_ms: i64,
}

/// What the platform learnt of an order after it shipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The card holder disputed the payment.
    Chargeback,
    /// Fraud established otherwise.
    Fraud,
    /// Never paid (cash on delivery refused, convenience-store payment not made).
    Unpaid,
    /// A good order.
    Legit,
    /// Refunded.
    Refunded,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Outcome; 5] = [
        Outcome::Chargeback,
        Outcome::Fraud,
        Outcome::Unpaid,
        Outcome::Legit,
        Outcome::Refunded,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Chargeback => "chargeback",
            Outcome::Fraud => "fraud",
            Outcome::Unpaid => "unpaid",
            Outcome::Legit => "legit",
            Outcome::Refunded => "refunded",
        }
    }

    /// Reads a name.
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// True for the outcomes that list the order's delivery point (chargeback, fraud,
    /// unpaid) and count towards block candidates.
    pub fn lists(self) -> bool {
        matches!(self, Outcome::Chargeback | Outcome::Fraud | Outcome::Unpaid)
    }
}

/// An order read back, with its place in the review queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    /// The shop's order id.
    pub order_id: String,
    /// When it was (last) screened.
    pub at_ms: i64,
    /// The address as given.
    pub address: String,
    /// Its delivery-point key.
    pub key: Option<String>,
    /// 0–100.
    pub score: u32,
    /// `allow`, `review` or `block`.
    pub action: String,
    /// Grade against the fraud list.
    pub fraud_grade: Option<String>,
    /// Grade against the forwarder list.
    pub forwarder_grade: Option<String>,
    /// Reason codes.
    pub reasons: Vec<String>,
    /// Matched entries (`list:id`).
    pub entry_ids: Vec<String>,
    /// The lists' version it was graded on.
    pub lists_version: String,
    /// Buyer fields, when kept.
    pub buyer: BuyerFields,
    /// In the queue: its status; `None` for an order that never went to review.
    pub status: Option<ReviewStatus>,
    /// Who decided (or held) it.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at_ms: Option<i64>,
    /// The reason given with `confirm_fraud`.
    pub decision_reason: Option<String>,
    /// The memo given with the decision.
    pub decision_memo: Option<String>,
    /// The fraud-list entry added for this order (confirm fraud or an outcome).
    pub listed_entry: Option<String>,
    /// The answer as JSON (reviewed orders).
    pub detail: Option<String>,
}

/// Which orders of the queue to read: newest first, a page at a time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewQuery {
    /// Only these statuses (empty: open).
    pub statuses: Vec<ReviewStatus>,
    /// Only orders with this grade (fraud or forwarder).
    pub grade: Option<String>,
    /// Only orders with this reason code.
    pub reason: Option<String>,
    /// Screened at or after.
    pub from_ms: Option<i64>,
    /// Screened before.
    pub to_ms: Option<i64>,
    /// Most rows (the caller bounds it).
    pub limit: usize,
    /// The last order id of the previous page.
    pub after: Option<String>,
}

/// What recording an outcome did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeRecorded {
    /// False when the same outcome of the same order was recorded before (a repeated call).
    pub first: bool,
    /// The order.
    pub order: Review,
}

/// A delivery point that the outcomes say should be on the fraud list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// The delivery-point key.
    pub key: String,
    /// The newest address written for it.
    pub address: String,
    /// Orders there with a chargeback, fraud or unpaid outcome in the window.
    pub fraud_outcomes: u32,
    /// Those orders' ids (at most 20).
    pub orders: Vec<String>,
    /// An order there was scored with `velocity` and a chargeback followed.
    pub velocity_then_chargeback: bool,
    /// The newest outcome's time.
    pub last_outcome_ms: i64,
}

/// Which delivery points are block candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CandidateQuery {
    /// Fraud outcomes (distinct orders) that make a candidate.
    pub min_fraud_outcomes: u32,
    /// Outcomes received at or after this time count.
    pub since_ms: i64,
    /// Most candidates.
    pub limit: usize,
}

/// A webhook event to deliver to one URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    /// The event's id (the same for every URL it goes to; receivers dedupe on it).
    pub event_id: String,
    /// Where it goes.
    pub url: String,
    /// Its type (`danger`, `block`, `review`, `forwarding_service`, `outcome`).
    pub event: String,
    /// The JSON body, exactly as signed and sent.
    pub body: String,
    /// When it was queued.
    pub created_at_ms: i64,
}

/// An event due for (another) delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Row id in the outbox.
    pub id: i64,
    /// The event's id.
    pub event_id: String,
    /// Where it goes.
    pub url: String,
    /// The JSON body.
    pub body: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// When it was queued.
    pub created_at_ms: i64,
}

/// What became of one event at one URL (the page's delivery log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryLog {
    /// The event's id.
    pub event_id: String,
    /// Where it goes.
    pub url: String,
    /// Its type.
    pub event: String,
    /// When it was queued.
    pub created_at_ms: i64,
    /// Attempts made.
    pub attempts: u32,
    /// When it was delivered (a 2xx).
    pub delivered_at_ms: Option<i64>,
    /// When delivery was given up.
    pub failed_at_ms: Option<i64>,
    /// The next attempt, while neither.
    pub next_at_ms: Option<i64>,
    /// The last HTTP status.
    pub last_status: Option<u16>,
    /// The last error (no body, no secret).
    pub last_error: Option<String>,
}

/// Rows removed by a pruning pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Pruned {
    /// Decisions older than the retention.
    pub decisions: u64,
    /// Outcomes of those orders, or older than the retention.
    pub outcomes: u64,
    /// Delivered or abandoned webhook events older than the retention.
    pub events: u64,
}

/// Counts for the page and `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Orders recorded.
    pub decisions: u64,
    /// Open reviews.
    pub open: u64,
    /// Held reviews.
    pub held: u64,
    /// Webhook events not yet delivered nor abandoned.
    pub undelivered: u64,
}

/// Refuses a decision on an order outside the queue (`NotInQueue`) or decided already
/// (`AlreadyDecided`).
pub fn undecided(r: &Review) -> Result<(), crate::DecisionsError> {
    match r.status {
        None => Err(crate::DecisionsError::NotInQueue),
        Some(s) if !s.is_undecided() => Err(crate::DecisionsError::AlreadyDecided(s)),
        Some(_) => Ok(()),
    }
}

/// Joins codes or ids for a text column (` `-separated; none of them holds a space).
pub(crate) fn join_words(words: &[String]) -> String {
    words.join(" ")
}

/// Splits a text column back into codes or ids.
pub(crate) fn split_words(s: &str) -> Vec<String> {
    s.split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in ReviewStatus::ALL {
            assert_eq!(ReviewStatus::parse(s.as_str()), Some(s));
        }
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
        for d in ["approve", "confirm_fraud", "hold"] {
            assert_eq!(
                ReviewDecision::parse(d).map(ReviewDecision::as_str),
                Some(d)
            );
        }
        assert_eq!(Outcome::parse("chargeback ").map(Outcome::lists), None);
        assert!(Outcome::Unpaid.lists() && !Outcome::Legit.lists());
        assert_eq!(
            split_words(&join_words(&["a".into(), "b".into()])),
            ["a", "b"]
        );
        assert!(split_words("").is_empty());
    }
}
