//! The review queue on the CS page (`/admin/reviews`): orders waiting for a person, newest
//! first, filtered by status, grade, reason and date; a decision per order (承認 approve /
//! 不正確定 confirm fraud with a reason / 保留 hold with a memo); the block candidates with a
//! one-click add; the webhook delivery log.
//!
//! Decisions go through the same code as `POST /v1/reviews/{order_id}`
//! ([`crate::routes::reviews::take_decision`]) with the session's name, so the page and the
//! API record the same things. Every stored text (addresses, memos, reasons) is written by
//! maud, escaped: an address that holds markup is shown as text.

use super::{accept, html, page, page_or_failed, HasCsrf, LoggedIn};
use crate::error::ApiError;
use crate::listing::decision_loop;
use crate::lists::Which;
use crate::routes::lists::{add_entry, AddEntry};
use crate::routes::reviews::{
    candidates_for, rfc3339, take_decision, DecisionRequest, ReviewsQuery,
};
use crate::state::AppState;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use banchi::watchlist::ReasonCode;
use banchi_decisions::record::{
    Candidate, Counts, DeliveryLog, Review, ReviewDecision, ReviewStatus,
};
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

/// Orders per page of the queue.
const PAGE_SIZE: usize = 50;

/// Candidates shown.
const CANDIDATES: usize = 50;

/// Delivery-log rows shown.
const DELIVERIES: usize = 50;

/// The routes of this page.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/reviews", get(queue))
        .route("/admin/reviews/decide", post(decide))
        .route("/admin/candidates/add", post(add_candidate))
}

/// What the page shows.
struct Queue {
    who: String,
    csrf: String,
    notice: Option<page::Notice>,
    filters: ReviewsQuery,
    rows: Vec<Review>,
    next_after: Option<String>,
    counts: Counts,
    candidates: Vec<Candidate>,
    deliveries: Vec<DeliveryLog>,
}

/// `GET /admin/reviews?status=&grade=&reason=&from=&to=&after=`.
async fn queue(
    State(state): State<AppState>,
    user: LoggedIn,
    query: Result<Query<ReviewsQuery>, QueryRejection>,
) -> Response {
    let filters = query.map(|Query(q)| q).unwrap_or_default();
    let answer = queue_page(&state, &user, filters, None).await;
    page_or_failed(&state, &user, answer)
}

async fn queue_page(
    state: &AppState,
    user: &LoggedIn,
    mut filters: ReviewsQuery,
    notice: Option<page::Notice>,
) -> Result<Response, ApiError> {
    let decisions = decision_loop(state)?;
    filters.limit = Some(PAGE_SIZE);
    let q = filters.to_query()?;
    let store = &decisions.store;
    let (rows, counts, candidates, deliveries) = tokio::try_join!(
        async {
            store
                .reviews(q)
                .await
                .map_err(crate::listing::decisions_error)
        },
        async {
            store
                .counts()
                .await
                .map_err(crate::listing::decisions_error)
        },
        candidates_for(state, CANDIDATES),
        async {
            store
                .deliveries(DELIVERIES)
                .await
                .map_err(crate::listing::decisions_error)
        },
    )?;
    let next_after = (rows.len() == PAGE_SIZE)
        .then(|| rows.last().map(|r| r.order_id.clone()))
        .flatten();
    let q = Queue {
        who: user.session.identity.name.clone(),
        csrf: user.session.csrf.clone(),
        notice,
        filters,
        rows,
        next_after,
        counts,
        candidates,
        deliveries,
    };
    Ok(html(StatusCode::OK, render(&q)))
}

#[derive(Debug, Deserialize)]
struct DecideForm {
    csrf: String,
    order_id: String,
    decision: String,
    reason: Option<String>,
    memo: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CandidateForm {
    csrf: String,
    address: String,
    outcomes: u32,
}

impl HasCsrf for DecideForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl HasCsrf for CandidateForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /admin/reviews/decide`: `POST /v1/reviews/{order_id}` as the logged-in name.
async fn decide(
    State(state): State<AppState>,
    user: LoggedIn,
    form: Result<Form<DecideForm>, FormRejection>,
) -> Response {
    let answer = async {
        let form = accept(&user, form)?;
        let decision = ReviewDecision::parse(&form.decision)
            .ok_or_else(|| ApiError::Unprocessable("unknown decision".into()))?;
        let req = DecisionRequest {
            decision,
            reason: form.reason.filter(|r| !r.trim().is_empty()),
            memo: form.memo,
        };
        let name = user.session.identity.name.clone();
        let done = take_decision(&state, form.order_id.clone(), req, name).await?;
        let mut message = format!(
            "{} {}: {}",
            form.order_id,
            decision_ja(decision),
            decision.as_str()
        );
        if let Some(l) = &done.listed {
            message.push_str(&format!(
                " — 不正リスト fraud list: {} ({})",
                l.id.as_deref().unwrap_or("-"),
                l.status
            ));
        }
        queue_page(
            &state,
            &user,
            ReviewsQuery::default(),
            Some(page::Notice::Done(message)),
        )
        .await
    };
    page_or_failed(&state, &user, answer.await)
}

/// `POST /admin/candidates/add`: lists a candidate's delivery point (through four eyes when
/// on), as the logged-in name.
async fn add_candidate(
    State(state): State<AppState>,
    user: LoggedIn,
    form: Result<Form<CandidateForm>, FormRejection>,
) -> Response {
    let answer = async {
        let form = accept(&user, form)?;
        let name = user.session.identity.name.clone();
        let req = AddEntry {
            address: form.address,
            reason: ReasonCode::Chargeback,
            memo: Some(format!(
                "block candidate: {} fraud outcomes; added by {name}",
                form.outcomes
            )),
            id: None,
        };
        let edited = add_entry(&state, Which::Fraud, req, name).await?;
        let message = format!(
            "不正リストに登録しました Added to the fraud list: {} ({})",
            edited.id, edited.status
        );
        queue_page(
            &state,
            &user,
            ReviewsQuery::default(),
            Some(page::Notice::Done(message)),
        )
        .await
    };
    page_or_failed(&state, &user, answer.await)
}

fn decision_ja(d: ReviewDecision) -> &'static str {
    match d {
        ReviewDecision::Approve => "承認",
        ReviewDecision::ConfirmFraud => "不正確定",
        ReviewDecision::Hold => "保留",
    }
}

fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

/// The parsed parts of an answer kept as JSON, as `label value` pairs.
fn parsed_parts(detail: Option<&str>) -> Vec<(&'static str, String)> {
    let Some(v) = detail.and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok()) else {
        return Vec::new();
    };
    let a = &v["address"];
    [
        ("都道府県", "prefecture"),
        ("市区町村", "city"),
        ("町域", "town"),
        ("丁目", "chome"),
        ("番地", "banchi"),
        ("号", "go"),
        ("建物", "building"),
        ("階", "floor"),
        ("部屋", "room"),
    ]
    .into_iter()
    .filter_map(|(ja, k)| match &a[k] {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some((ja, s.clone())),
        other => Some((ja, other.to_string())),
    })
    .collect()
}

/// The reasons' Japanese sentences from the kept answer.
fn reason_sentences(detail: Option<&str>) -> Vec<String> {
    let Some(v) = detail.and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok()) else {
        return Vec::new();
    };
    v["reasons"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .filter_map(|r| {
                    Some(format!(
                        "{} (+{})",
                        r["ja"].as_str()?,
                        r["points"].as_u64().unwrap_or(0)
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn review_row(csrf: &str, r: &Review) -> Markup {
    let undecided = r.status.is_some_and(ReviewStatus::is_undecided);
    html! {
        article.review data-order=(r.order_id) {
            header {
                strong.order { (r.order_id) }
                " "
                span.when { (rfc3339(r.at_ms)) }
                " "
                span.score { "スコア score " (r.score) }
                " "
                span class=(format!("action {}", r.action)) { (r.action) }
                " "
                @if let Some(s) = r.status { span class=(format!("status {}", s.as_str())) { (s.label_ja()) " " (s.as_str()) } }
            }
            p.address { (r.address) }
            dl.facts {
                dt { "グレード grades" }
                dd {
                    (r.fraud_grade.as_deref().unwrap_or("-")) " / " (r.forwarder_grade.as_deref().unwrap_or("-"))
                }
                dt { "一致 matches" }
                dd { @if r.entry_ids.is_empty() { "-" } @else { (r.entry_ids.join(", ")) } }
                dt { "理由 reasons" }
                dd { (r.reasons.join(", ")) }
                @let parts = parsed_parts(r.detail.as_deref());
                @if !parts.is_empty() {
                    dt { "解析 parsed" }
                    dd { @for (ja, v) in &parts { span.part { (ja) " " (v) } " " } }
                }
                @let sentences = reason_sentences(r.detail.as_deref());
                @if !sentences.is_empty() {
                    dt { "詳細 detail" }
                    dd { ul { @for s in &sentences { li { (s) } } } }
                }
                @if let Some(by) = &r.decided_by {
                    dt { "判断 decided" }
                    dd {
                        (by) " " (r.decided_at_ms.map(rfc3339).unwrap_or_default())
                        @if let Some(reason) = &r.decision_reason { " " (reason) }
                        @if let Some(memo) = &r.decision_memo { " — " (memo) }
                    }
                }
                @if let Some(entry) = &r.listed_entry {
                    dt { "登録 listed" }
                    dd { "fraud " (entry) }
                }
            }
            @if undecided {
                div.decide {
                    form method="post" action="/admin/reviews/decide" {
                        (csrf_field(csrf))
                        input type="hidden" name="order_id" value=(r.order_id);
                        input type="hidden" name="decision" value="approve";
                        input type="text" name="memo" placeholder="メモ memo" aria-label="メモ memo" maxlength="1000";
                        button.approve type="submit" { "承認 " span.en { "Approve" } }
                    }
                    form method="post" action="/admin/reviews/decide" {
                        (csrf_field(csrf))
                        input type="hidden" name="order_id" value=(r.order_id);
                        input type="hidden" name="decision" value="confirm_fraud";
                        select name="reason" aria-label="理由 reason" {
                            @for code in ReasonCode::ALL {
                                @if code != ReasonCode::Forwarding {
                                    option value=(code.as_str()) { (code.as_str()) }
                                }
                            }
                        }
                        input type="text" name="memo" placeholder="メモ memo" aria-label="メモ memo" maxlength="1000";
                        button.confirm-fraud type="submit" { "不正確定 " span.en { "Confirm fraud" } }
                    }
                    form method="post" action="/admin/reviews/decide" {
                        (csrf_field(csrf))
                        input type="hidden" name="order_id" value=(r.order_id);
                        input type="hidden" name="decision" value="hold";
                        input type="text" name="memo" required placeholder="保留の理由 memo" aria-label="保留メモ memo" maxlength="1000";
                        button.hold type="submit" { "保留 " span.en { "Hold" } }
                    }
                }
            }
        }
    }
}

fn filters_form(f: &ReviewsQuery) -> Markup {
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let status = v(&f.status);
    html! {
        form.filters method="get" action="/admin/reviews" {
            select name="status" aria-label="状態 status" {
                @for (value, label) in [("open", "未対応 open"), ("held", "保留 held"), ("decided", "判断済 decided"), ("all", "すべて all")] {
                    option value=(value) selected[status == value] { (label) }
                }
            }
            select name="grade" aria-label="グレード grade" {
                option value="" { "グレード grade" }
                @for g in ["danger", "caution", "warning", "forwarding_service", "possible"] {
                    option value=(g) selected[f.grade.as_deref() == Some(g)] { (g) }
                }
            }
            input type="text" name="reason" value=(v(&f.reason)) placeholder="理由コード reason code" aria-label="理由 reason";
            input type="date" name="from" value=(v(&f.from)) aria-label="から from";
            input type="date" name="to" value=(v(&f.to)) aria-label="まで to";
            button type="submit" { "絞り込み " span.en { "Filter" } }
        }
    }
}

fn next_link(f: &ReviewsQuery, after: &str) -> String {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for (k, v) in [
        ("status", &f.status),
        ("grade", &f.grade),
        ("reason", &f.reason),
        ("from", &f.from),
        ("to", &f.to),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            pairs.push((k, v));
        }
    }
    pairs.push(("after", after));
    let query = query_string(&pairs);
    format!("/admin/reviews?{query}")
}

/// `k=v&…`, percent-encoded.
fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", percent(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn percent(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn candidates_section(csrf: &str, cs: &[Candidate]) -> Markup {
    html! {
        section #candidates {
            h2 { "ブロック候補 " span.en { "Block candidates" } }
            @if cs.is_empty() {
                p.hint { "候補はありません。 " span.en { "No candidates." } }
            } @else {
                table {
                    thead { tr { th { "住所 address" } th { "不正結果 fraud outcomes" } th { "速度→CB velocity→chargeback" } th { "注文 orders" } th {} } }
                    tbody {
                        @for c in cs {
                            tr {
                                td { (c.address) }
                                td { (c.fraud_outcomes) }
                                td { @if c.velocity_then_chargeback { "✔" } }
                                td { (c.orders.join(", ")) }
                                td {
                                    form method="post" action="/admin/candidates/add" {
                                        (csrf_field(csrf))
                                        input type="hidden" name="address" value=(c.address);
                                        input type="hidden" name="outcomes" value=(c.fraud_outcomes);
                                        button type="submit" { "登録 " span.en { "Add" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn render(q: &Queue) -> Markup {
    let csrf = q.csrf.as_str();
    html! {
        (DOCTYPE)
        html lang="ja" {
            (page::head_for(Some(csrf)))
            body {
                header {
                    h1 { "レビュー待ち " span.en { "Review queue" } }
                    nav { a href="/admin" { "← 住所チェック・リスト CS console" } }
                    span.who { (q.who) }
                }
                @match &q.notice {
                    Some(page::Notice::Done(m)) => { p.notice.done #notice role="status" { (m) } }
                    Some(page::Notice::Failed(m)) => { p.notice.failed #notice role="alert" { (m) } }
                    None => {}
                }
                p.counts #counts {
                    "未対応 open " strong #open-count { (q.counts.open) }
                    " · 保留 held " (q.counts.held)
                    " · 記録 recorded " (q.counts.decisions)
                    " · 未配信 undelivered events " (q.counts.undelivered)
                }
                (filters_form(&q.filters))
                section #queue {
                    @if q.rows.is_empty() {
                        p.hint #queue-empty { "該当する注文はありません。 " span.en { "No orders." } }
                    }
                    @for r in &q.rows { (review_row(csrf, r)) }
                    @if let Some(after) = &q.next_after {
                        p { a #next href=(next_link(&q.filters, after)) { "次へ " span.en { "Next" } } }
                    }
                }
                (candidates_section(csrf, &q.candidates))
                (crate::webhooks::page::delivery_log(&q.deliveries))
            }
        }
    }
}
