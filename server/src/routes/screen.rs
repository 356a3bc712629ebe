//! `POST /v1/screen` and `POST /v1/screen/batch`: orders in, scores and grades out.
//!
//! One order is parsed, graded against the active lists, scored, counted in the velocity
//! window (in memory, or in Redis with `--velocity redis`: one round trip per order, one
//! pipeline per batch chunk; Redis unreachable → the order is answered without velocity and
//! with the signal `velocity_unavailable`) and answered with an `action` from the configured
//! thresholds. A batch is a JSON
//! array (checked whole, then answered as a JSON array streamed a chunk of orders at a time)
//! or NDJSON (answered as NDJSON, streamed while the request streams in); answers keep input
//! order and a bad item gets an `error` while the others are answered. Items are screened in parallel, then counted for velocity in input order, so a
//! batch counts as the same orders sent one by one.

use crate::body::{is_media_type, json_error, parse_json, parse_json_str, read_limited, JsonBody};
use crate::decisions::DecisionLoop;
use crate::error::{ApiError, ItemError};
use crate::lists::LoadedLists;
use crate::middleware::{InFlight, OrderId};
use crate::state::AppState;
use crate::velocity_redis::{RedisVelocity, Unavailable};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use banchi::score::{Reason, Score};
use banchi::watchlist::{Basis, Grade, ListResult};
use banchi::{Address, Buyer, Level, Screening};
use banchi_decisions::record::{BuyerFields, Decision};
use rayon::prelude::*;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::time::Instant;
use utoipa::ToSchema;

/// One order to screen.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreenRequest {
    /// The shop's order id, echoed back and written to the access log.
    pub order_id: Option<String>,
    /// The shipping address: one string, or its parts.
    #[serde(deserialize_with = "AddressInput::deserialize_either")]
    pub address: AddressInput,
    /// Recipient's or buyer's name (dummy names and velocity).
    pub name: Option<String>,
    /// Phone number (dummy numbers).
    pub phone: Option<String>,
    /// E-mail (dummy addresses).
    pub email: Option<String>,
    /// When the order was placed (RFC 3339); accepted for the record, the velocity window
    /// uses the server's clock.
    pub ordered_at: Option<String>,
}

/// An address as one string or as parts.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum AddressInput {
    /// The whole address in one string.
    Text(String),
    /// The address in the parts a checkout form has.
    Parts(AddressParts),
}

/// Address parts, joined in this order (a prefecture or city repeated at the start of the
/// next part is written once).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressParts {
    /// 郵便番号, e.g. `104-0061`.
    pub postal_code: Option<String>,
    /// 都道府県.
    pub prefecture: Option<String>,
    /// 市区町村.
    pub city: Option<String>,
    /// Town and block number.
    pub line1: String,
    /// Building, floor, room.
    pub line2: Option<String>,
}

impl AddressInput {
    /// The address as one string.
    pub fn joined(&self) -> Cow<'_, str> {
        match self {
            AddressInput::Text(s) => Cow::Borrowed(s),
            AddressInput::Parts(p) => Cow::Owned(p.joined()),
        }
    }

    /// Reads a string or an object of parts, as the derived (untagged) `Deserialize` does,
    /// but from the first token: the derived one buffers every address into serde's generic
    /// `Content` and then tries each variant on it.
    pub(crate) fn deserialize_either<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<AddressInput, D::Error> {
        struct Either;
        impl<'de> Visitor<'de> for Either {
            type Value = AddressInput;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an address string or an object of address parts")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<AddressInput, E> {
                Ok(AddressInput::Text(v.to_owned()))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<AddressInput, E> {
                Ok(AddressInput::Text(v))
            }

            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<AddressInput, A::Error> {
                AddressParts::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(AddressInput::Parts)
            }
        }
        d.deserialize_any(Either)
    }
}

impl AddressParts {
    /// The parts joined in order; a prefecture or city that the following part starts with
    /// again is left out, so it is one prefecture, not a `duplicated_prefecture`.
    pub fn joined(&self) -> String {
        let given = |o: &Option<String>| {
            o.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let line1 = self.line1.trim();
        let city = given(&self.city);
        let mut out = String::with_capacity(96);
        if let Some(pc) = given(&self.postal_code) {
            out.push('〒');
            out.push_str(&pc);
            out.push(' ');
        }
        if let Some(pref) = given(&self.prefecture) {
            let next = city.as_deref().unwrap_or(line1);
            if !next.starts_with(&pref) {
                out.push_str(&pref);
            }
        }
        if let Some(c) = &city {
            if !line1.starts_with(c.as_str()) {
                out.push_str(c);
            }
        }
        out.push_str(line1);
        if let Some(l2) = given(&self.line2) {
            out.push(' ');
            out.push_str(&l2);
        }
        out
    }
}

/// `allow`, `review` or `block`, from the score and the configured thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Below `review_from`.
    Allow,
    /// From `review_from`.
    Review,
    /// From `block_from`.
    Block,
}

impl Action {
    /// The action for a score.
    pub fn of(score: u32, review_from: u32, block_from: u32) -> Action {
        if score >= block_from {
            Action::Block
        } else if score >= review_from {
            Action::Review
        } else {
            Action::Allow
        }
    }

    /// `allow`, `review` or `block`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Review => "review",
            Action::Block => "block",
        }
    }
}

/// One matched list record (its id and reason; never the record's address).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchOut {
    /// The list entry's id.
    pub id: String,
    /// Its reason code.
    pub reason: Option<String>,
    /// The grade this record gives.
    pub grade: &'static str,
    /// `same_unit`, `same_block` or `near`.
    pub matched: &'static str,
    /// The finer basis (`same_room`, `unit_differs`, `near_banchi`, …).
    pub basis: &'static str,
    /// Banchi difference for a near match.
    pub distance: Option<u32>,
    /// Forwarding service (forwarder list).
    pub service: Option<String>,
}

/// The grade against one list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListOut {
    /// `danger` / `caution` / `warning` (fraud), `forwarding_service` / `possible`
    /// (forwarders), or null.
    pub grade: Option<&'static str>,
    /// ★★★ / ★★ / ★ for fraud grades.
    pub stars: Option<&'static str>,
    /// The grade in Japanese (危険, 注意, 警戒, 海外転送サービス, …).
    pub label_ja: Option<&'static str>,
    /// The records behind the grade (at most `max_matches`).
    pub matches: Vec<MatchOut>,
    /// Grades raised without a record (e.g. `trailing_customer_id`).
    pub signals: Vec<&'static str>,
    /// True when more records matched than are listed.
    pub truncated: bool,
}

fn coarse(basis: Basis) -> &'static str {
    match basis {
        Basis::SameRoom
        | Basis::SameFlat
        | Basis::SameFloor
        | Basis::SameCustomerId
        | Basis::SameHouse => "same_unit",
        Basis::UnitDiffers | Basis::UnitMissing | Basis::SameBlock => "same_block",
        Basis::NearBanchi | Basis::OtherGo => "near",
    }
}

impl From<ListResult> for ListOut {
    /// Moves the listed records' strings over (an answer is written once, from its own
    /// screening).
    fn from(r: ListResult) -> ListOut {
        let stars = |g: Grade| Some(g.stars()).filter(|s| !s.is_empty());
        ListOut {
            grade: r.grade.map(Grade::as_str),
            stars: r.grade.and_then(stars),
            label_ja: r.grade.map(Grade::label_ja),
            matches: r
                .matches
                .into_iter()
                .map(|m| MatchOut {
                    grade: m.grade.as_str(),
                    matched: coarse(m.matched),
                    basis: m.matched.as_str(),
                    distance: m.distance,
                    id: m.id,
                    reason: m.reason,
                    service: m.service,
                })
                .collect(),
            signals: r.signals.iter().map(|s| s.as_str()).collect(),
            truncated: r.truncated,
        }
    }
}

/// The answer for one order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScreenResponse {
    /// The order id sent.
    pub order_id: Option<String>,
    /// 0–100.
    pub score: u32,
    /// `low`, `medium` or `high`.
    pub level: &'static str,
    /// Score at or above the alert threshold.
    pub alert: bool,
    /// What to do with the order.
    pub action: Action,
    /// Grade against the fraud list.
    pub fraud: ListOut,
    /// Grade against the forwarder list.
    pub forwarder: ListOut,
    /// The parsed address (the `/v1/normalize` fields); null when it did not parse.
    #[schema(value_type = Option<Object>)]
    pub address: Option<Address>,
    /// Why the address did not parse.
    pub address_error: Option<String>,
    /// Every signal that added points: `{code, points, ja, en}`.
    #[schema(value_type = Vec<Object>)]
    pub reasons: Vec<Reason>,
    /// Conditions of this answer that added no points; absent when none. Now only
    /// `velocity_unavailable`: the shared velocity window (`--velocity redis`) could not be
    /// reached, so the order was scored without velocity.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Option<Vec<String>>)]
    pub signals: Vec<&'static str>,
    /// Version of the lists this answer was graded on.
    pub lists_version: String,
    /// Time spent on this order, microseconds.
    pub took_us: u64,
}

/// An order screened and scored, before velocity (which needs input order).
struct Screened {
    order_id: Option<String>,
    name: Option<String>,
    /// Kept for the decision store (only when configured to keep buyer fields).
    phone: Option<String>,
    email: Option<String>,
    screening: Screening,
    score: Score,
    /// Conditions without points (`velocity_unavailable`).
    signals: Vec<&'static str>,
    started: Instant,
}

/// The signal of an order scored without velocity because Redis could not be reached.
pub const VELOCITY_UNAVAILABLE: &str = "velocity_unavailable";

fn screen_order(lists: &LoadedLists, state: &AppState, req: ScreenRequest) -> Screened {
    let started = Instant::now();
    let screening = lists.screener.check(&req.address.joined());
    let buyer = Buyer {
        name: req.name.as_deref(),
        phone: req.phone.as_deref(),
        email: req.email.as_deref(),
    };
    let score = state.scorer.score(&screening, &buyer);
    Screened {
        order_id: req.order_id,
        name: req.name,
        phone: req.phone,
        email: req.email,
        screening,
        score,
        signals: Vec::new(),
        started,
    }
}

/// The delivery-point key and name an order is counted under, when it is counted at all (a
/// name, an address parsed to the block).
fn velocity_input(s: &Screened) -> Option<(&str, &str)> {
    match (&s.screening.address, s.name.as_deref()) {
        (Some(a), Some(name)) if a.level >= Level::Block => Some((a.key.as_str(), name)),
        _ => None,
    }
}

/// Counts the order in the in-process velocity window and adds the signal to its score.
/// Runs in input order (one order at a time), so a batch counts as the same orders sent one
/// by one.
fn count_velocity(state: &AppState, s: &mut Screened) {
    if let Some((key, name)) = velocity_input(s) {
        let names = state.velocity.observe(key, name);
        state
            .scorer
            .add_velocity(&mut s.score, names, state.velocity.min_names());
    }
}

/// The orders of `screened` to count in Redis, in input order: (position, hashed point and
/// name). None when velocity is off.
fn shared_orders(
    state: &AppState,
    shared: &RedisVelocity,
    screened: &[&mut Screened],
) -> Vec<(usize, (u64, u32))> {
    if state.velocity.min_names() == 0 {
        return Vec::new();
    }
    screened
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let (key, name) = velocity_input(s)?;
            Some((i, shared.hash(key, name)?))
        })
        .collect()
}

/// Adds Redis's counts to the orders' scores, or `velocity_unavailable` to each order that
/// should have been counted.
fn apply_shared(
    state: &AppState,
    screened: &mut [&mut Screened],
    orders: &[(usize, (u64, u32))],
    counts: Result<Vec<u32>, Unavailable>,
) {
    match counts {
        Ok(counts) => {
            for (&(i, _), names) in orders.iter().zip(counts) {
                if let Some(s) = screened.get_mut(i) {
                    state
                        .scorer
                        .add_velocity(&mut s.score, names, state.velocity.min_names());
                }
            }
        }
        Err(_) => {
            state.metrics.velocity_unavailable(orders.len() as u64);
            for &(i, _) in orders {
                if let Some(s) = screened.get_mut(i) {
                    s.signals.push(VELOCITY_UNAVAILABLE);
                }
            }
        }
    }
}

/// Counts orders in input order: in memory, or in Redis in one round trip (an async caller).
async fn count_velocity_async(state: &AppState, mut screened: Vec<&mut Screened>) {
    let Some(shared) = state.shared_velocity() else {
        for s in screened {
            count_velocity(state, s);
        }
        return;
    };
    let orders = shared_orders(state, shared, &screened);
    if orders.is_empty() {
        return;
    }
    let hashes: Vec<(u64, u32)> = orders.iter().map(|o| o.1).collect();
    let counts = shared.observe(&hashes).await;
    apply_shared(state, &mut screened, &orders, counts);
}

/// [`count_velocity_async`] from a blocking thread (a batch's screening task).
fn count_velocity_blocking(state: &AppState, mut screened: Vec<&mut Screened>) {
    let Some(shared) = state.shared_velocity() else {
        for s in screened {
            count_velocity(state, s);
        }
        return;
    };
    let orders = shared_orders(state, shared, &screened);
    if orders.is_empty() {
        return;
    }
    let hashes: Vec<(u64, u32)> = orders.iter().map(|o| o.1).collect();
    let counts = match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle.block_on(shared.observe(&hashes)),
        Err(_) => Err(Unavailable("no runtime".into())),
    };
    apply_shared(state, &mut screened, &orders, counts);
}

/// Writes the answer of an order already counted for velocity (any order, any thread), and
/// hands it to the decision store when one is configured.
fn answer(lists: &LoadedLists, state: &AppState, s: Screened) -> ScreenResponse {
    let Screened {
        order_id,
        name,
        phone,
        email,
        screening,
        score,
        signals,
        started,
    } = s;
    let action = Action::of(
        score.score,
        state.settings.review_from,
        state.settings.block_from,
    );
    let m = &state.metrics;
    m.action(action.as_str());
    if let Some(g) = screening.fraud.grade {
        m.grade("fraud", g.as_str());
    }
    if let Some(g) = screening.forwarder.grade {
        m.grade("forwarders", g.as_str());
    }
    let answer = ScreenResponse {
        order_id,
        score: score.score,
        level: score.level.as_str(),
        alert: score.alert,
        action,
        fraud: ListOut::from(screening.fraud),
        forwarder: ListOut::from(screening.forwarder),
        address_error: screening.error,
        address: screening.address,
        reasons: score.reasons,
        signals,
        lists_version: lists.version.clone(),
        took_us: started.elapsed().as_micros() as u64,
    };
    if let Some(decisions) = state.decisions() {
        let buyer = BuyerFields { name, phone, email };
        decisions.offer(decision_of(decisions, &answer, screening.input, buyer));
    }
    answer
}

/// The record of an answered order: the address as given (`input`), the buyer fields only as
/// configured, the answer's JSON only for an order that goes to review; only the webhook
/// events' fields for an order without an `order_id` (or with recording off).
fn decision_of(
    decisions: &DecisionLoop,
    answer: &ScreenResponse,
    input: String,
    buyer: BuyerFields,
) -> Decision {
    let order_id = answer.order_id.clone().unwrap_or_default();
    let record = decisions.records() && !order_id.is_empty();
    let review = record && decisions.reviews(answer.action.as_str());
    let ids = |list: &str, out: &ListOut| {
        out.matches
            .iter()
            .map(|m| format!("{list}:{}", m.id))
            .collect::<Vec<_>>()
    };
    let mut entry_ids = ids("fraud", &answer.fraud);
    entry_ids.extend(ids("forwarders", &answer.forwarder));
    let [name, phone, email] = decisions.keeps();
    Decision {
        order_id,
        at_ms: banchi_decisions::now_ms(),
        address: if record { input } else { String::new() },
        key: answer.address.as_ref().map(|a| a.key.clone()),
        score: answer.score,
        action: answer.action.as_str().to_owned(),
        fraud_grade: answer.fraud.grade.map(str::to_owned),
        forwarder_grade: answer.forwarder.grade.map(str::to_owned),
        reasons: answer
            .reasons
            .iter()
            .map(|r| r.code.as_str().to_owned())
            .collect(),
        entry_ids,
        lists_version: answer.lists_version.clone(),
        buyer: BuyerFields {
            name: buyer.name.filter(|_| name && record),
            phone: buyer.phone.filter(|_| phone && record),
            email: buyer.email.filter(|_| email && record),
        },
        review,
        detail: if review {
            serde_json::to_string(answer).ok()
        } else {
            None
        },
    }
}

/// Screens one order.
#[utoipa::path(
    post,
    path = "/v1/screen",
    request_body = ScreenRequest,
    responses(
        (status = 200, description = "The order's score, action and grades", body = ScreenResponse),
        (status = 400, description = "Malformed JSON or not UTF-8", body = crate::error::ErrorBody),
        (status = 401, description = "No or unknown bearer token", body = crate::error::ErrorBody),
        (status = 413, description = "Body over `max_body_bytes`", body = crate::error::ErrorBody),
        (status = 415, description = "Not application/json", body = crate::error::ErrorBody),
        (status = 422, description = "JSON that does not fit the schema", body = crate::error::ErrorBody),
        (status = 429, description = "Too many requests in flight", body = crate::error::ErrorBody),
        (status = 503, description = "Lists not loaded yet, or timeout", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn screen(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<ScreenRequest>,
) -> Result<Response, ApiError> {
    let lists = state.lists()?;
    let mut screened = screen_order(&lists, &state, req);
    count_velocity_async(&state, vec![&mut screened]).await;
    let answer = answer(&lists, &state, screened);
    let order_id = answer.order_id.clone();
    let mut res = Json(answer).into_response();
    if let Some(id) = order_id {
        res.extensions_mut().insert(OrderId(id));
    }
    Ok(res)
}

/// One item of a batch answer: the order's answer, or its error.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum BatchItem {
    /// Screened.
    Screened(Box<ScreenResponse>),
    /// This item could not be read.
    Failed {
        /// Its position in the batch, from 0.
        index: usize,
        /// What was wrong.
        error: ItemError,
    },
}

/// Answers written into one buffer together: big enough that a batch's answers are a few
/// dozen buffers (no per-answer allocation, no final copy into one body), small enough that
/// rayon still splits a batch evenly over the cores.
const ANSWERS_PER_BUFFER: usize = 64;

/// How a batch's answers are framed: as the items of one JSON array, or one per NDJSON line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// `,` between answers (the caller writes the brackets).
    Array,
    /// `\n` after each answer.
    Lines,
}

/// Screens items and writes their answers as JSON: screening and writing run on all cores,
/// only the velocity count runs in input order between them. Returns the answers in input
/// order, framed, in consecutive buffers of [`ANSWERS_PER_BUFFER`] answers (concatenated,
/// they are the body); `first_index` is the first item's position in the whole batch.
fn screen_items(
    lists: &LoadedLists,
    state: &AppState,
    first_index: usize,
    items: Vec<Result<ScreenRequest, ApiError>>,
    framing: Framing,
) -> Vec<Bytes> {
    let mut screened: Vec<Result<Screened, ApiError>> = items
        .into_par_iter()
        .map(|item| item.map(|req| screen_order(lists, state, req)))
        .collect();
    count_velocity_blocking(state, screened.iter_mut().flatten().collect());
    let buffer = || Vec::with_capacity(ANSWERS_PER_BUFFER * 1024);
    screened
        .into_par_iter()
        .enumerate()
        .fold_chunks(ANSWERS_PER_BUFFER, buffer, |mut out, (i, s)| {
            let index = first_index + i;
            if framing == Framing::Array && index > 0 {
                out.push(b',');
            }
            let item = match s {
                Ok(s) => BatchItem::Screened(Box::new(answer(lists, state, s))),
                Err(e) => BatchItem::Failed {
                    index,
                    error: e.item(),
                },
            };
            write_json(&mut out, &item);
            if framing == Framing::Lines {
                out.push(b'\n');
            }
            out
        })
        .map(Bytes::from)
        .collect()
}

/// Appends one batch item as JSON. Our answers always serialize; should one not, the item
/// says so rather than vanish from the batch.
fn write_json(out: &mut Vec<u8>, item: &BatchItem) {
    let start = out.len();
    if sonic_rs::to_writer(&mut *out, item).is_err() {
        out.truncate(start);
        out.extend_from_slice(
            br#"{"error":{"code":"internal","message":"the answer could not be written"}}"#,
        );
    }
}

/// One item of a JSON-array batch (the body's UTF-8 was checked as a whole).
fn parse_item(raw: &RawValue) -> Result<ScreenRequest, ApiError> {
    parse_json_str(raw.get())
}

/// Screens many orders: a JSON array (answered as an array) or NDJSON (answered as NDJSON,
/// streamed). At most `max_batch_items` items; answers in input order.
#[utoipa::path(
    post,
    path = "/v1/screen/batch",
    request_body(content = Vec<ScreenRequest>, description = "JSON array, or NDJSON with Content-Type application/x-ndjson"),
    responses(
        (status = 200, description = "One answer per item, in order; a bad item has `index` and `error`", body = Vec<BatchItem>),
        (status = 413, description = "More than `max_batch_items` items or `max_batch_bytes` bytes", body = crate::error::ErrorBody),
        (status = 415, description = "Neither application/json nor application/x-ndjson", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn batch(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let lists = state.lists()?;
    if is_media_type(req.headers(), "application/x-ndjson") {
        return Ok(ndjson(state, lists, req));
    }
    if !is_media_type(req.headers(), "application/json") {
        return Err(ApiError::UnsupportedMediaType(
            "send a JSON array (application/json) or NDJSON (application/x-ndjson)".into(),
        ));
    }
    let permit = req.extensions().get::<InFlight>().cloned();
    let bytes = read_limited(req.into_body(), state.settings.max_batch_bytes).await?;
    let max = state.settings.max_batch_items;
    // The whole array is read and its items parsed before anything is answered, so that a
    // malformed array or one over the limit gets its status; the answers then stream out a
    // chunk at a time while later chunks are screened (writing a 10,000-answer body takes as
    // long as screening a tenth of it: done after, it would leave a core idle).
    let items = tokio::task::spawn_blocking(move || {
        let raw: Vec<&RawValue> = parse_json(&bytes)?;
        if raw.len() > max {
            return Err(ApiError::PayloadTooLarge(format!(
                "the batch has more than {max} items"
            )));
        }
        Ok(raw
            .par_iter()
            .map(|r| parse_item(r))
            .collect::<Vec<Result<ScreenRequest, ApiError>>>())
    })
    .await
    .map_err(|_| ApiError::Internal)??;
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(ARRAY_CHUNK / ANSWERS_PER_BUFFER * 2);
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let _ = tx.blocking_send(Bytes::from_static(b"["));
        let mut items = items.into_iter();
        let mut first = 0;
        loop {
            let chunk: Vec<_> = items.by_ref().take(ARRAY_CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            let count = chunk.len();
            for out in screen_items(&lists, &state, first, chunk, Framing::Array) {
                if tx.blocking_send(out).is_err() {
                    return; // the client went away
                }
            }
            first += count;
        }
        let _ = tx.blocking_send(Bytes::from_static(b"]"));
    });
    let mut res = Body::from_stream(answer_stream(rx)).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(res)
}

/// The body of a streamed answer: what the screening task sends, until it drops its sender.
fn answer_stream(
    rx: tokio::sync::mpsc::Receiver<Bytes>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::convert::Infallible>> {
    futures_util::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|b| (Ok(b), rx)) },
    )
}

/// Items of a JSON-array batch screened together before their answers are sent.
const ARRAY_CHUNK: usize = 2048;

/// Lines screened together while streaming NDJSON.
const NDJSON_CHUNK: usize = 512;

/// Streams an NDJSON batch: lines are read as they arrive, screened a chunk at a time and
/// written back in order. Limits (line length, item count, total bytes, time between reads)
/// end the stream with one error line, since the status was sent already.
fn ndjson(state: AppState, lists: std::sync::Arc<LoadedLists>, req: Request) -> Response {
    use futures_util::StreamExt;
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(4);
    let permit = req.extensions().get::<InFlight>().cloned();
    let mut body = req.into_body().into_data_stream();
    tokio::spawn(async move {
        let _permit = permit;
        let max_line = state.settings.max_body_bytes;
        let max_items = state.settings.max_batch_items;
        let max_bytes = state.settings.max_batch_bytes;
        let wait = state.settings.request_timeout;
        let mut pending: Vec<u8> = Vec::new();
        let mut lines: Vec<Vec<u8>> = Vec::new();
        let (mut index, mut total) = (0usize, 0usize);
        let mut ended = false;
        let fail = |e: ApiError| {
            let line = serde_json::json!({ "error": e.item() }).to_string() + "\n";
            Bytes::from(line)
        };
        loop {
            let next = if ended {
                None
            } else {
                match tokio::time::timeout(wait, body.next()).await {
                    Ok(Some(Ok(chunk))) => Some(chunk),
                    Ok(None) => None,
                    Ok(Some(Err(_))) => {
                        let _ = tx
                            .send(fail(ApiError::BadRequest(
                                "the body could not be read".into(),
                            )))
                            .await;
                        return;
                    }
                    Err(_) => {
                        let _ = tx.send(fail(ApiError::Timeout)).await;
                        return;
                    }
                }
            };
            match next {
                Some(chunk) => {
                    total += chunk.len();
                    if total > max_bytes {
                        let _ = tx
                            .send(fail(ApiError::PayloadTooLarge(format!(
                                "the stream is larger than {max_bytes} bytes"
                            ))))
                            .await;
                        return;
                    }
                    pending.extend_from_slice(&chunk);
                    while let Some(pos) = pending.iter().position(|&b| b == b'\n') {
                        let line: Vec<u8> = pending.drain(..=pos).collect();
                        lines.push(line);
                    }
                    if pending.len() > max_line {
                        let _ = tx
                            .send(fail(ApiError::PayloadTooLarge(format!(
                                "a line is longer than {max_line} bytes"
                            ))))
                            .await;
                        return;
                    }
                }
                None => {
                    ended = true;
                    if !pending.is_empty() {
                        lines.push(std::mem::take(&mut pending));
                    }
                }
            }
            lines.retain(|l| !l.trim_ascii().is_empty());
            if lines.len() < NDJSON_CHUNK && !ended {
                continue;
            }
            if index + lines.len() > max_items {
                let _ = tx
                    .send(fail(ApiError::PayloadTooLarge(format!(
                        "the batch has more than {max_items} items"
                    ))))
                    .await;
                return;
            }
            let items: Vec<Result<ScreenRequest, ApiError>> = lines
                .drain(..)
                .map(|l| {
                    if l.len() > max_line {
                        Err(ApiError::PayloadTooLarge(format!(
                            "the line is longer than {max_line} bytes"
                        )))
                    } else {
                        serde_json::from_slice(&l).map_err(|e| {
                            if std::str::from_utf8(&l).is_err() {
                                ApiError::BadRequest("the line is not valid UTF-8".into())
                            } else {
                                json_error(&e)
                            }
                        })
                    }
                })
                .collect();
            let count = items.len();
            let (st, ls) = (state.clone(), lists.clone());
            let first = index;
            let Ok(answers) = tokio::task::spawn_blocking(move || {
                screen_items(&ls, &st, first, items, Framing::Lines)
            })
            .await
            else {
                let _ = tx.send(fail(ApiError::Internal)).await;
                return;
            };
            index += count;
            for out in answers {
                if tx.send(out).await.is_err() {
                    return; // the client went away
                }
            }
            if ended {
                return;
            }
        }
    });
    let mut res = Body::from_stream(answer_stream(rx)).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_a_string_or_parts_and_nothing_else() {
        let read = |json: &str| serde_json::from_str::<ScreenRequest>(json).map(|r| r.address);
        match read(r#"{"address": "東京都中央区銀座4-6-16"}"#) {
            Ok(AddressInput::Text(t)) => assert_eq!(t, "東京都中央区銀座4-6-16"),
            other => panic!("{other:?}"),
        }
        // An escaped string is read whole (serde hands it over owned).
        match read(r#"{"address": "\u6771\u4eac\u90fd"}"#) {
            Ok(AddressInput::Text(t)) => assert_eq!(t, "東京都"),
            other => panic!("{other:?}"),
        }
        match read(r#"{"address": {"prefecture": "東京都", "line1": "中央区銀座4-6-16"}}"#)
        {
            Ok(AddressInput::Parts(p)) => {
                assert_eq!(p.prefecture.as_deref(), Some("東京都"));
                assert_eq!(p.line1, "中央区銀座4-6-16");
            }
            other => panic!("{other:?}"),
        }
        for bad in [
            r#"{"address": 12}"#,
            r#"{"address": ["東京都"]}"#,
            r#"{"address": null}"#,
            r#"{"address": {"city": "中央区"}}"#,
            r#"{"address": {"line1": "銀座4-6-16", "line3": "x"}}"#,
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }

    fn parts(
        pref: Option<&str>,
        city: Option<&str>,
        line1: &str,
        line2: Option<&str>,
    ) -> AddressParts {
        AddressParts {
            postal_code: None,
            prefecture: pref.map(Into::into),
            city: city.map(Into::into),
            line1: line1.into(),
            line2: line2.map(Into::into),
        }
    }

    #[test]
    fn parts_join_in_order_without_repeating_the_prefecture() {
        let p = parts(
            Some("東京都"),
            Some("中央区"),
            "銀座4-6-16",
            Some("銀座ビル301"),
        );
        assert_eq!(p.joined(), "東京都中央区銀座4-6-16 銀座ビル301");
        let repeated = parts(Some("東京都"), None, "東京都中央区銀座4-6-16", None);
        assert_eq!(repeated.joined(), "東京都中央区銀座4-6-16");
        let city_repeated = parts(Some("東京都"), Some("中央区"), "中央区銀座4-6-16", None);
        assert_eq!(city_repeated.joined(), "東京都中央区銀座4-6-16");
        let with_code = AddressParts {
            postal_code: Some("104-0061".into()),
            ..parts(None, None, "東京都中央区銀座4-6-16", Some(" "))
        };
        assert_eq!(with_code.joined(), "〒104-0061 東京都中央区銀座4-6-16");
    }

    #[test]
    fn actions_follow_the_thresholds() {
        assert_eq!(Action::of(0, 31, 71), Action::Allow);
        assert_eq!(Action::of(30, 31, 71), Action::Allow);
        assert_eq!(Action::of(31, 31, 71), Action::Review);
        assert_eq!(Action::of(71, 31, 71), Action::Block);
        assert_eq!(Action::of(100, 50, 50), Action::Block);
    }

    #[test]
    fn bases_map_to_three_kinds() {
        assert_eq!(coarse(Basis::SameRoom), "same_unit");
        assert_eq!(coarse(Basis::UnitDiffers), "same_block");
        assert_eq!(coarse(Basis::NearBanchi), "near");
    }
}
