//! Risk score: one 0–100 number per order, a level and the reasons behind it.
//!
//! Merchants need one figure they can set a rule on, not three raw grades. The score is the
//! sum of the points of every signal present, capped at 100; each signal's points are a
//! [`Weights`] field (config file, see [`crate::config`]). Signals:
//!
//! * the fraud grade (★★★危険 / ★★注意 / ★警戒) and the forwarder grade
//!   (海外転送サービス / 可能性) of the [`Screening`];
//! * the parser's anomalies (duplicated prefecture, unknown town, missing block number,
//!   trailing customer ID, …) and an address that did not parse at all;
//! * facility destinations — held at a depot (営業所止め/営業所留め), at a post office (局留め),
//!   a PO box (私書箱), a convenience store pick-up (コンビニ受取), care of (気付),
//!   a household (様方) — found in the input text or the parsed building name;
//! * buyer fields when the caller has them ([`Buyer`]): dummy names, phones, e-mails;
//! * velocity — one delivery point receiving orders under several names — added by the
//!   caller who sees the batch ([`Scorer::add_velocity`], see [`crate::bulk::velocity`]).
//!
//! Levels, as the payment industry uses them: `low` 0–30, `medium` 31–70, `high` 71–100
//! (thresholds configurable); `alert` is a score at or above the alert threshold (10 by
//! default, as merchants know from webコレクト's attribute score).
//!
//! Every reason has a stable snake_case [`ReasonCode`] and a sentence in Japanese and English.
//! Sentences name list record ids and counts, never the address or buyer data.
//!
//! ```
//! use banchi::score::{Buyer, Scorer};
//! use banchi::{config::Config, Parser, Screener};
//!
//! let screener = Screener::new(Parser::new());
//! let scorer = Scorer::new(&Config::default());
//! let s = screener.check("東京都中央区銀座4-6-16 ヤマト運輸銀座営業所止め");
//! let buyer = Buyer { phone: Some("00-0000-0000"), ..Buyer::default() };
//! let score = scorer.score(&s, &buyer);
//! assert_eq!(score.score, 40); // office pick-up 20 + dummy phone 20
//! assert_eq!(score.level.as_str(), "medium");
//! assert!(score.alert);
//! ```

use crate::address::Anomaly;
use crate::config::{Config, ScoreSettings, Weights};
use crate::screen::Screening;
use crate::watchlist::{Grade, ListResult, Signal};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Serialize;
use std::borrow::Cow;
use std::fmt;

/// Risk level of a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// 0–30 by default: approve.
    Low,
    /// 31–70: review.
    Medium,
    /// 71–100: hold or block.
    High,
}

impl RiskLevel {
    /// `low`, `medium` or `high`.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Low => "low",
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
        }
    }

    /// 低 / 中 / 高.
    pub fn label_ja(self) -> &'static str {
        match self {
            RiskLevel::Low => "低",
            RiskLevel::Medium => "中",
            RiskLevel::High => "高",
        }
    }

    /// The level of `score` under `settings`.
    pub fn of(score: u32, settings: &ScoreSettings) -> RiskLevel {
        if score >= settings.high_from {
            RiskLevel::High
        } else if score >= settings.medium_from {
            RiskLevel::Medium
        } else {
            RiskLevel::Low
        }
    }
}

impl fmt::Display for RiskLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Stable code of a reason (its snake_case name is what JSON and CSV carry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// Fraud list ★★★危険.
    FraudDanger,
    /// Fraud list ★★注意.
    FraudCaution,
    /// Fraud list ★警戒.
    FraudWarning,
    /// A listed forwarding warehouse.
    ForwardingService,
    /// Possibly a forwarding service.
    ForwardingPossible,
    /// Anomaly: prefecture written twice.
    DuplicatedPrefecture,
    /// Anomaly: municipality written twice.
    DuplicatedCity,
    /// Anomaly: town unknown.
    UnknownTown,
    /// Anomaly: no block number.
    MissingBlockNumber,
    /// Anomaly: customer ID after the address.
    TrailingCustomerId,
    /// Anomaly: ambiguous place.
    Ambiguous,
    /// Anomaly: prefecture does not hold the municipality.
    PrefectureMismatch,
    /// Anomaly: the town is not written.
    MissingTown,
    /// Anomaly: the town was read through a look-alike kanji.
    FuzzyTown,
    /// Anomaly: the municipality was read through a look-alike kanji.
    FuzzyCity,
    /// Anomaly: the postal code does not belong to the town.
    PostalCodeMismatch,
    /// The address did not parse.
    UnparseableAddress,
    /// 営業所止め / 営業所留め.
    OfficePickup,
    /// 局留め.
    PostOfficeHold,
    /// 私書箱.
    PoBox,
    /// コンビニ受取.
    ConvenienceStorePickup,
    /// 気付.
    CareOf,
    /// 様方.
    SamaKata,
    /// Dummy buyer name.
    DummyName,
    /// Dummy phone number.
    DummyPhone,
    /// Dummy e-mail.
    DummyEmail,
    /// Several names at one delivery point.
    Velocity,
}

impl ReasonCode {
    /// The snake_case code.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::FraudDanger => "fraud_danger",
            ReasonCode::FraudCaution => "fraud_caution",
            ReasonCode::FraudWarning => "fraud_warning",
            ReasonCode::ForwardingService => "forwarding_service",
            ReasonCode::ForwardingPossible => "forwarding_possible",
            ReasonCode::DuplicatedPrefecture => "duplicated_prefecture",
            ReasonCode::DuplicatedCity => "duplicated_city",
            ReasonCode::UnknownTown => "unknown_town",
            ReasonCode::MissingBlockNumber => "missing_block_number",
            ReasonCode::TrailingCustomerId => "trailing_customer_id",
            ReasonCode::Ambiguous => "ambiguous",
            ReasonCode::PrefectureMismatch => "prefecture_mismatch",
            ReasonCode::MissingTown => "missing_town",
            ReasonCode::FuzzyTown => "fuzzy_town",
            ReasonCode::FuzzyCity => "fuzzy_city",
            ReasonCode::PostalCodeMismatch => "postal_code_mismatch",
            ReasonCode::UnparseableAddress => "unparseable_address",
            ReasonCode::OfficePickup => "office_pickup",
            ReasonCode::PostOfficeHold => "post_office_hold",
            ReasonCode::PoBox => "po_box",
            ReasonCode::ConvenienceStorePickup => "convenience_store_pickup",
            ReasonCode::CareOf => "care_of",
            ReasonCode::SamaKata => "sama_kata",
            ReasonCode::DummyName => "dummy_name",
            ReasonCode::DummyPhone => "dummy_phone",
            ReasonCode::DummyEmail => "dummy_email",
            ReasonCode::Velocity => "velocity",
        }
    }

    /// The weight of this signal.
    fn weight(self, w: &Weights) -> u32 {
        match self {
            ReasonCode::FraudDanger => w.fraud_danger,
            ReasonCode::FraudCaution => w.fraud_caution,
            ReasonCode::FraudWarning => w.fraud_warning,
            ReasonCode::ForwardingService => w.forwarding_service,
            ReasonCode::ForwardingPossible => w.forwarding_possible,
            ReasonCode::DuplicatedPrefecture => w.duplicated_prefecture,
            ReasonCode::DuplicatedCity => w.duplicated_city,
            ReasonCode::UnknownTown => w.unknown_town,
            ReasonCode::MissingBlockNumber => w.missing_block_number,
            ReasonCode::TrailingCustomerId => w.trailing_customer_id,
            ReasonCode::Ambiguous => w.ambiguous,
            ReasonCode::PrefectureMismatch => w.prefecture_mismatch,
            ReasonCode::MissingTown => w.missing_town,
            ReasonCode::FuzzyTown => w.fuzzy_town,
            ReasonCode::FuzzyCity => w.fuzzy_city,
            ReasonCode::PostalCodeMismatch => w.postal_code_mismatch,
            ReasonCode::UnparseableAddress => w.unparseable_address,
            ReasonCode::OfficePickup => w.office_pickup,
            ReasonCode::PostOfficeHold => w.post_office_hold,
            ReasonCode::PoBox => w.po_box,
            ReasonCode::ConvenienceStorePickup => w.convenience_store_pickup,
            ReasonCode::CareOf => w.care_of,
            ReasonCode::SamaKata => w.sama_kata,
            ReasonCode::DummyName => w.dummy_name,
            ReasonCode::DummyPhone => w.dummy_phone,
            ReasonCode::DummyEmail => w.dummy_email,
            ReasonCode::Velocity => w.velocity,
        }
    }

    /// The fixed sentences (ja, en) of codes that carry no detail.
    fn sentences(self) -> (&'static str, &'static str) {
        match self {
            ReasonCode::FraudDanger => (
                "過去の不正利用と同じ配送先です（★★★危険）",
                "same delivery point as a past fraud (danger)",
            ),
            ReasonCode::FraudCaution => (
                "過去の不正利用と同じ番地です（★★注意）",
                "same block as a past fraud (caution)",
            ),
            ReasonCode::FraudWarning => (
                "過去の不正利用の近くの番地です（★警戒）",
                "a block near a past fraud (warning)",
            ),
            ReasonCode::ForwardingService => (
                "海外転送サービスの住所です",
                "the address of an overseas forwarding service",
            ),
            ReasonCode::ForwardingPossible => (
                "海外転送サービスの可能性があります",
                "possibly an overseas forwarding service",
            ),
            ReasonCode::DuplicatedPrefecture => (
                "都道府県が二重に書かれています",
                "the prefecture is written twice",
            ),
            ReasonCode::DuplicatedCity => (
                "市区町村が二重に書かれています",
                "the municipality is written twice",
            ),
            ReasonCode::UnknownTown => (
                "町名が住所データにありません",
                "the town is not in the gazetteer",
            ),
            ReasonCode::MissingBlockNumber => {
                ("番地がありません", "the block number (banchi) is missing")
            }
            ReasonCode::TrailingCustomerId => (
                "住所の後に会員番号のような文字列があります",
                "a customer-ID-like token follows the address",
            ),
            ReasonCode::Ambiguous => ("地名が一つに決まりません", "the place name is ambiguous"),
            ReasonCode::PrefectureMismatch => (
                "都道府県と市区町村が一致しません",
                "the prefecture does not hold the municipality",
            ),
            ReasonCode::MissingTown => (
                "町名が書かれていません",
                "the town is not written and the municipality has several",
            ),
            ReasonCode::FuzzyTown => (
                "町名に似た字の書き違いがあります",
                "the town is written with a look-alike kanji",
            ),
            ReasonCode::FuzzyCity => (
                "市区町村名に似た字の書き違いがあります",
                "the municipality is written with a look-alike kanji",
            ),
            ReasonCode::PostalCodeMismatch => (
                "郵便番号が住所と一致しません",
                "the postal code does not belong to the address",
            ),
            ReasonCode::UnparseableAddress => {
                ("住所として読めません", "the address could not be read")
            }
            ReasonCode::OfficePickup => (
                "営業所止め（営業所留め）の配送先です",
                "held for pick-up at a carrier's depot",
            ),
            ReasonCode::PostOfficeHold => ("郵便局留めの配送先です", "held at a post office"),
            ReasonCode::PoBox => ("私書箱宛てです", "a post-office box"),
            ReasonCode::ConvenienceStorePickup => (
                "コンビニ受取の配送先です",
                "collected at a convenience store",
            ),
            ReasonCode::CareOf => ("気付の宛先です", "addressed care of someone else"),
            ReasonCode::SamaKata => (
                "様方の宛先です（他人の世帯気付）",
                "addressed to another household (様方)",
            ),
            ReasonCode::DummyName => (
                "購入者名がダミーのようです",
                "the buyer name looks like a dummy",
            ),
            ReasonCode::DummyPhone => (
                "電話番号がダミーのようです",
                "the phone number looks like a dummy",
            ),
            ReasonCode::DummyEmail => (
                "メールアドレスがダミーのようです",
                "the e-mail address looks like a dummy",
            ),
            ReasonCode::Velocity => (
                "同じ配送先に複数の名前で注文があります",
                "one delivery point receives orders under several names",
            ),
        }
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One signal that raised the score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// Stable code.
    pub code: ReasonCode,
    /// Points it added (before the cap at 100).
    pub points: u32,
    /// Japanese sentence.
    pub ja: Cow<'static, str>,
    /// English sentence.
    pub en: Cow<'static, str>,
}

/// The score of one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Score {
    /// 0–100.
    pub score: u32,
    /// Level of the score.
    pub level: RiskLevel,
    /// True when the score reaches the alert threshold.
    pub alert: bool,
    /// Every signal that added points, most points first (ties in code order).
    pub reasons: Vec<Reason>,
}

impl Score {
    /// The reason codes joined with `;` (the bulk output's `reasons` column).
    pub fn codes(&self) -> String {
        let mut s = String::new();
        for (i, r) in self.reasons.iter().enumerate() {
            if i > 0 {
                s.push(';');
            }
            s.push_str(r.code.as_str());
        }
        s
    }

    /// True when a reason with this code is listed.
    pub fn has(&self, code: ReasonCode) -> bool {
        self.reasons.iter().any(|r| r.code == code)
    }
}

/// Buyer fields of an order, when the caller has them. Empty strings count as absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Buyer<'a> {
    /// The recipient's or buyer's name.
    pub name: Option<&'a str>,
    /// Phone number.
    pub phone: Option<&'a str>,
    /// E-mail address.
    pub email: Option<&'a str>,
}

/// Facility kinds in pattern-table order.
const FACILITY_PATTERNS: &[(&str, ReasonCode)] = &[
    ("営業所止め", ReasonCode::OfficePickup),
    ("営業所止", ReasonCode::OfficePickup),
    ("営業所留め", ReasonCode::OfficePickup),
    ("営業所留", ReasonCode::OfficePickup),
    ("営業所どめ", ReasonCode::OfficePickup),
    ("営業所受取", ReasonCode::OfficePickup),
    ("営業所受け取り", ReasonCode::OfficePickup),
    ("センター止め", ReasonCode::OfficePickup),
    ("センター留め", ReasonCode::OfficePickup),
    ("支店止め", ReasonCode::OfficePickup),
    ("支店留め", ReasonCode::OfficePickup),
    ("局留め", ReasonCode::PostOfficeHold),
    ("局留", ReasonCode::PostOfficeHold),
    ("局止め", ReasonCode::PostOfficeHold),
    ("局どめ", ReasonCode::PostOfficeHold),
    ("私書箱", ReasonCode::PoBox),
    ("私書函", ReasonCode::PoBox),
    ("P.O.BOX", ReasonCode::PoBox),
    ("P.O. BOX", ReasonCode::PoBox),
    ("PO BOX", ReasonCode::PoBox),
    ("POBOX", ReasonCode::PoBox),
    ("コンビニ受取", ReasonCode::ConvenienceStorePickup),
    ("コンビニ受け取り", ReasonCode::ConvenienceStorePickup),
    ("コンビニ留め", ReasonCode::ConvenienceStorePickup),
    ("コンビニ止め", ReasonCode::ConvenienceStorePickup),
    ("店頭受取", ReasonCode::ConvenienceStorePickup),
    ("店頭受け取り", ReasonCode::ConvenienceStorePickup),
    ("気付", ReasonCode::CareOf),
    ("気附", ReasonCode::CareOf),
    ("C/O ", ReasonCode::CareOf),
    ("様方", ReasonCode::SamaKata),
];

/// Computes scores. Built once from a [`Config`]; `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Scorer {
    weights: Weights,
    settings: ScoreSettings,
    /// `None` only if the fixed pattern table failed to build (it does not).
    facilities: Option<AhoCorasick>,
}

impl Scorer {
    /// A scorer with the configuration's weights and thresholds.
    pub fn new(config: &Config) -> Scorer {
        let patterns: Vec<&str> = FACILITY_PATTERNS.iter().map(|(p, _)| *p).collect();
        // A fixed table of short literal patterns always builds.
        let facilities = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns)
            .ok();
        Scorer {
            weights: config.weights.clone(),
            settings: config.score.clone(),
            facilities,
        }
    }

    /// The thresholds in force.
    pub fn settings(&self) -> &ScoreSettings {
        &self.settings
    }

    /// Scores one screened order with the buyer fields given.
    pub fn score(&self, s: &Screening, buyer: &Buyer<'_>) -> Score {
        let mut out = Builder::new(self);

        // Watchlist grades.
        for (code, detail) in list_reasons(&s.fraud, &s.forwarder) {
            out.add_detail(code, &detail);
        }
        let forwarder_counts_id = s.forwarder.signals.contains(&Signal::TrailingCustomerId);

        // The address itself.
        match &s.address {
            None => out.add(ReasonCode::UnparseableAddress),
            Some(a) => {
                for &an in &a.anomalies {
                    let code = match an {
                        Anomaly::DuplicatedPrefecture => ReasonCode::DuplicatedPrefecture,
                        Anomaly::DuplicatedCity => ReasonCode::DuplicatedCity,
                        Anomaly::UnknownTown => ReasonCode::UnknownTown,
                        Anomaly::MissingBlockNumber => ReasonCode::MissingBlockNumber,
                        Anomaly::TrailingCustomerId if forwarder_counts_id => continue,
                        Anomaly::TrailingCustomerId => ReasonCode::TrailingCustomerId,
                        Anomaly::Ambiguous => ReasonCode::Ambiguous,
                        Anomaly::PrefectureMismatch => ReasonCode::PrefectureMismatch,
                        Anomaly::MissingTown => ReasonCode::MissingTown,
                        Anomaly::FuzzyTown => ReasonCode::FuzzyTown,
                        Anomaly::FuzzyCity => ReasonCode::FuzzyCity,
                        Anomaly::PostalCodeMismatch => ReasonCode::PostalCodeMismatch,
                    };
                    out.add(code);
                }
            }
        }
        let building = s.address.as_ref().and_then(|a| a.building.as_deref());
        for code in self.facilities_in(&s.input, building) {
            out.add(code);
        }

        // Buyer fields.
        if buyer.name.is_some_and(dummy_name) {
            out.add(ReasonCode::DummyName);
        }
        if buyer.phone.is_some_and(dummy_phone) {
            out.add(ReasonCode::DummyPhone);
        }
        if buyer.email.is_some_and(dummy_email) {
            out.add(ReasonCode::DummyEmail);
        }
        out.finish()
    }

    /// Names the matched records in `score`'s list reasons (`fraud_danger: F0001`), from the
    /// list results with their matches: for a score made from a screening graded without its
    /// matches (`max_matches = 0`, as bulk runs grade), this gives exactly the score of the
    /// screening with them. Points, level and order do not change.
    pub fn name_matches(&self, score: &mut Score, fraud: &ListResult, forwarder: &ListResult) {
        for (code, detail) in list_reasons(fraud, forwarder) {
            if let Some(r) = score.reasons.iter_mut().find(|r| r.code == code) {
                (r.ja, r.en) = sentences_with(code, &detail);
            }
        }
    }

    /// Adds the velocity reason to `score` when `names` (different names seen at the delivery
    /// point within the window, this order's included) reaches `min_names`; recomputes the
    /// total and the level. Does nothing when `min_names` is 0.
    pub fn add_velocity(&self, score: &mut Score, names: u32, min_names: u32) {
        if min_names == 0 || names < min_names || score.has(ReasonCode::Velocity) {
            return;
        }
        let mut b = Builder {
            scorer: self,
            reasons: std::mem::take(&mut score.reasons),
        };
        let n = names.to_string();
        b.add_sentences(
            ReasonCode::Velocity,
            Cow::Owned(format!("同じ配送先に{n}通りの名前で注文があります")),
            Cow::Owned(format!(
                "this delivery point received orders under {n} different names"
            )),
        );
        *score = b.finish();
    }

    /// Facility kinds named in the input or the building, in code order, without repeats.
    pub fn facilities_in(&self, input: &str, building: Option<&str>) -> Vec<ReasonCode> {
        let mut found: Vec<ReasonCode> = Vec::new();
        let Some(ac) = &self.facilities else {
            return Vec::new();
        };
        let mut scan = |text: &str| {
            for m in ac.find_iter(text) {
                if let Some((_, code)) = FACILITY_PATTERNS.get(m.pattern().as_usize()) {
                    if !found.contains(code) {
                        found.push(*code);
                    }
                }
            }
        };
        if has_halfwidth_or_fullwidth_ascii(input) {
            scan(&crate::normalize::normalize(input));
        } else {
            scan(input);
        }
        if let Some(b) = building {
            // The building is shown as written; facility words are matched in modern kanji.
            if crate::normalize::has_old_kanji(b) {
                scan(&b.chars().map(crate::normalize::modern).collect::<String>());
            } else {
                scan(b);
            }
        }
        found.sort();
        found
    }
}

/// Half-width katakana (U+FF61–FF9F) or full-width Latin letters and `/` `.`: the input needs
/// its display normalization before the facility words can be seen. Full-width digits and
/// hyphens, common in addresses, are no reason to normalize again.
fn has_halfwidth_or_fullwidth_ascii(s: &str) -> bool {
    s.chars().any(|c| {
        matches!(c, '\u{FF61}'..='\u{FF9F}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' | '．' | '／')
    })
}

/// Accumulates reasons, then sums and caps.
struct Builder<'a> {
    scorer: &'a Scorer,
    reasons: Vec<Reason>,
}

impl<'a> Builder<'a> {
    fn new(scorer: &'a Scorer) -> Self {
        Builder {
            scorer,
            reasons: Vec::new(),
        }
    }

    fn add(&mut self, code: ReasonCode) {
        let (ja, en) = code.sentences();
        self.add_sentences(code, Cow::Borrowed(ja), Cow::Borrowed(en));
    }

    /// Adds the code's sentence followed by a detail (record ids, a service name).
    fn add_detail(&mut self, code: ReasonCode, detail: &str) {
        let (ja, en) = sentences_with(code, detail);
        self.add_sentences(code, ja, en);
    }

    fn add_sentences(&mut self, code: ReasonCode, ja: Cow<'static, str>, en: Cow<'static, str>) {
        let points = code.weight(&self.scorer.weights);
        if points == 0 || self.reasons.iter().any(|r| r.code == code) {
            return;
        }
        self.reasons.push(Reason {
            code,
            points,
            ja,
            en,
        });
    }

    fn finish(mut self) -> Score {
        self.reasons
            .sort_by(|a, b| b.points.cmp(&a.points).then(a.code.cmp(&b.code)));
        let total = self
            .reasons
            .iter()
            .fold(0u32, |t, r| t.saturating_add(r.points))
            .min(100);
        let settings = &self.scorer.settings;
        Score {
            score: total,
            level: RiskLevel::of(total, settings),
            alert: total >= settings.alert_threshold && total > 0,
            reasons: self.reasons,
        }
    }
}

/// The reasons of the two list grades, each with the records it names (ids for the fraud
/// list, service names for the forwarder list; empty without matches).
fn list_reasons(
    fraud: &ListResult,
    forwarder: &ListResult,
) -> impl Iterator<Item = (ReasonCode, String)> {
    let fraud = fraud.grade.map(|g| {
        let code = match g {
            Grade::Danger => ReasonCode::FraudDanger,
            Grade::Caution => ReasonCode::FraudCaution,
            _ => ReasonCode::FraudWarning,
        };
        (code, ids_of(fraud, g))
    });
    let forwarder = forwarder.grade.map(|g| {
        let code = match g {
            Grade::ForwardingService => ReasonCode::ForwardingService,
            _ => ReasonCode::ForwardingPossible,
        };
        (code, services_of(forwarder, g))
    });
    fraud.into_iter().chain(forwarder)
}

/// A reason's two sentences, followed by `detail` when there is one.
fn sentences_with(code: ReasonCode, detail: &str) -> (Cow<'static, str>, Cow<'static, str>) {
    let (ja, en) = code.sentences();
    if detail.is_empty() {
        (Cow::Borrowed(ja), Cow::Borrowed(en))
    } else {
        (
            Cow::Owned(format!("{ja}：{detail}")),
            Cow::Owned(format!("{en}: {detail}")),
        )
    }
}

/// Ids of the matches with grade `g` (at most three, then `…`).
fn ids_of(r: &ListResult, g: Grade) -> String {
    let ids: Vec<&str> = r
        .matches
        .iter()
        .filter(|m| m.grade == g)
        .map(|m| m.id.as_str())
        .collect();
    join_few(&ids)
}

/// Service names of the matches with grade `g`.
fn services_of(r: &ListResult, g: Grade) -> String {
    let mut names: Vec<&str> = r
        .matches
        .iter()
        .filter(|m| m.grade == g)
        .map(|m| m.service.as_deref().unwrap_or(m.id.as_str()))
        .collect();
    names.dedup();
    join_few(&names)
}

fn join_few(items: &[&str]) -> String {
    let mut s = items.iter().take(3).copied().collect::<Vec<_>>().join(", ");
    if items.len() > 3 {
        s.push_str(", …");
    }
    s
}

/// Characters of a value with spaces (ASCII, ideographic) and common separators removed,
/// full-width ASCII folded, lower-cased.
fn compact(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            let c = match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                _ => c,
            };
            (!c.is_whitespace() && c != '\u{3000}').then(|| c.to_ascii_lowercase())
        })
        .collect()
}

/// True when every character is the same one (`ああああ`, `xxxx`, `0000`); needs two or more.
fn all_same(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => s.chars().count() >= 2 && chars.all(|c| c == first),
        None => false,
    }
}

/// Names that stand for "nobody": test and sample words, one character repeated, no letter at
/// all.
pub fn dummy_name(name: &str) -> bool {
    let n = compact(name);
    if n.is_empty() {
        return false;
    }
    const WORDS: &[&str] = &[
        "test",
        "tester",
        "testuser",
        "dummy",
        "sample",
        "example",
        "none",
        "null",
        "unknown",
        "noname",
        "テスト",
        "てすと",
        "ダミー",
        "サンプル",
        "なし",
        "無し",
        "不明",
        "名無し",
        "ななし",
        "未定",
        "山田太郎",
        "山田花子",
        "やまだたろう",
        "ヤマダタロウ",
    ];
    let stripped: String = n.trim_end_matches(['様', 'さ', 'ま']).to_owned();
    if WORDS.contains(&n.as_str()) || WORDS.contains(&stripped.as_str()) {
        return true;
    }
    if n.starts_with("test") || n.starts_with("テスト") || n.starts_with("ダミー") {
        return true;
    }
    if all_same(&n) {
        return true;
    }
    // Only digits and punctuation: no name at all.
    n.chars()
        .all(|c| c.is_ascii_digit() || c.is_ascii_punctuation())
}

/// Phone numbers that stand for "none": every digit the same, the subscriber part all one
/// digit (090-0000-0000, 03-1111-1111), counting sequences (0123456789), or a length no
/// Japanese number has (fewer than 10 digits, more than 11). `+81` is read as a leading 0.
pub fn dummy_phone(phone: &str) -> bool {
    // Digits of the compacted number (full width folded, white space dropped), on the stack:
    // this runs on every order of a bulk screen.
    let mut buf = [0u8; 16];
    let mut len = 0usize;
    let mut head = [0u8; 3];
    let mut seen = 0usize;
    for c in phone.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        if c.is_whitespace() {
            continue;
        }
        if seen < head.len() {
            head[seen] = if c.is_ascii() { c as u8 } else { 0 };
        }
        seen += 1;
        if c.is_ascii_digit() {
            if len == buf.len() {
                return true; // far longer than any Japanese number
            }
            buf[len] = c as u8;
            len += 1;
        }
    }
    if seen == 0 {
        return false;
    }
    let mut digits = &buf[..len];
    let mut with_zero = [0u8; 16];
    if head == *b"+81" || (head[..2] == *b"81" && digits.len() > 11) {
        // +81 90… → 090…
        let rest = digits.get(2..).unwrap_or(&[]);
        with_zero[0] = b'0';
        with_zero[1..=rest.len()].copy_from_slice(rest);
        digits = &with_zero[..=rest.len()];
    }
    if digits.len() < 10 || digits.len() > 11 {
        return true;
    }
    let all_same = |d: &[u8]| d.len() >= 2 && d.iter().all(|&x| x == d[0]);
    let no_zeros = &digits[digits.iter().take_while(|&&x| x == b'0').count()..];
    if all_same(digits) || all_same(no_zeros) {
        return true;
    }
    // The last eight digits are the exchange + subscriber part of both 10- and 11-digit
    // numbers; all one digit there is a placeholder (090-0000-0000, 03-1111-1111).
    if all_same(&digits[digits.len() - 8..]) {
        return true;
    }
    const SEQUENCES: [&[u8]; 4] = [b"0123456789", b"1234567890", b"9876543210", b"0987654321"];
    SEQUENCES
        .iter()
        .any(|s| digits.windows(s.len()).any(|w| w == *s))
}

/// E-mail addresses that reach nobody: reserved or test domains (example.com/.net/.org/.jp,
/// test.com, *.test, *.invalid, localhost), test local parts (test@, dummy@, sample@, one
/// character repeated), or no `local@domain.tld` shape at all.
pub fn dummy_email(email: &str) -> bool {
    let e = compact(email);
    if e.is_empty() {
        return false;
    }
    let Some((local, domain)) = e.rsplit_once('@') else {
        return true;
    };
    if local.is_empty() || !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.')
    {
        return true;
    }
    const DOMAINS: &[&str] = &[
        "example.com",
        "example.net",
        "example.org",
        "example.jp",
        "example.co.jp",
        "test.com",
        "test.jp",
        "test.co.jp",
        "sample.com",
        "dummy.com",
        "xxx.com",
        "aaa.com",
        "localhost.localdomain",
    ];
    let reserved_parent = DOMAINS[..5].iter().any(|d| {
        domain
            .strip_suffix(d)
            .is_some_and(|rest| rest.ends_with('.'))
    });
    if DOMAINS.contains(&domain)
        || reserved_parent
        || domain.ends_with(".test")
        || domain.ends_with(".invalid")
        || domain.ends_with(".example")
        || domain.ends_with(".localhost")
    {
        return true;
    }
    const LOCALS: &[&str] = &[
        "test", "dummy", "sample", "none", "null", "noreply", "nomail",
    ];
    LOCALS.contains(&local) || all_same(local)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_thresholds() {
        let s = ScoreSettings::default();
        assert_eq!(RiskLevel::of(0, &s), RiskLevel::Low);
        assert_eq!(RiskLevel::of(30, &s), RiskLevel::Low);
        assert_eq!(RiskLevel::of(31, &s), RiskLevel::Medium);
        assert_eq!(RiskLevel::of(70, &s), RiskLevel::Medium);
        assert_eq!(RiskLevel::of(71, &s), RiskLevel::High);
        assert_eq!(RiskLevel::of(100, &s), RiskLevel::High);
    }

    #[test]
    fn dummy_phones() {
        for p in [
            "00-0000-0000",
            "000-0000-0000",
            "090-0000-0000",
            "03-1111-1111",
            "0120-123-456-789-0",
            "1234",
            "+81 00-0000-0000",
            "０９０－１１１１－１１１１",
            "090-1234-5678-9999",
        ] {
            assert!(dummy_phone(p), "{p}");
        }
        for p in [
            "090-2468-1357",
            "03-5555-0123",
            "+81 90-2468-1357",
            "81 90 2468 1357",
            "",
        ] {
            assert!(!dummy_phone(p), "{p}");
        }
    }

    #[test]
    fn dummy_emails() {
        for e in [
            "test@test.com",
            "taro@example.com",
            "a@example.co.jp",
            "aaaa@gmail.com",
            "no-at-sign",
            "x@localhost",
            "someone@shop.test",
            "hanako@mail.example.co.jp",
        ] {
            assert!(dummy_email(e), "{e}");
        }
        for e in ["kuroneko.hanako@mail.co.jp", "t.yamane@gmail.com", ""] {
            assert!(!dummy_email(e), "{e}");
        }
    }

    #[test]
    fn dummy_names() {
        for n in [
            "テスト",
            "test user",
            "ああああ",
            "ｘｘｘ",
            "山田 太郎",
            "1234",
            "ダミー様",
        ] {
            assert!(dummy_name(n), "{n}");
        }
        for n in ["黒猫 花子", "Hanako Kuroneko", "佐藤一郎", ""] {
            assert!(!dummy_name(n), "{n}");
        }
    }

    #[test]
    fn facility_words_are_found_in_any_width() {
        let s = Scorer::new(&Config::default());
        assert_eq!(
            s.facilities_in("東京都中央区銀座4-6-16 ヤマト運輸銀座営業所止め", None),
            vec![ReasonCode::OfficePickup]
        );
        assert_eq!(
            s.facilities_in("札幌中央郵便局留", None),
            vec![ReasonCode::PostOfficeHold]
        );
        assert_eq!(
            s.facilities_in("ｺﾝﾋﾞﾆ受取 ファミリーマート", None),
            vec![ReasonCode::ConvenienceStorePickup]
        );
        assert_eq!(
            s.facilities_in("大和市南林間1-8-17", Some("黒猫商事気付")),
            vec![ReasonCode::CareOf]
        );
        assert_eq!(
            s.facilities_in("p.o.box 12 様方", None),
            vec![ReasonCode::PoBox, ReasonCode::SamaKata]
        );
        assert!(s.facilities_in("東京都中央区銀座4-6-16", None).is_empty());
    }
}
