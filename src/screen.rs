//! Screening: one address string in, its parse and its grades against every list out.
//!
//! A [`Screener`] is built once — a [`Parser`], an optional fraud list, an optional forwarder
//! list — and shared across threads (`Send + Sync`); [`Screener::check`] screens one address,
//! [`Screener::check_many`] a batch on all cores. The result, [`Screening`], serializes to the
//! JSON the CLI prints:
//!
//! ```json
//! {"input": "…", "address": {…}, "fraud": {"grade": "danger", "matches": [{"id": "…", …}]},
//!  "forwarder": {"grade": null, "matches": []}}
//! ```
//!
//! [`Screening`] is `#[non_exhaustive]` so later signals (a risk score) can be added to it
//! without breaking callers.

use crate::address::Address;
use crate::error::ParseError;
use crate::parse::Parser;
use crate::watchlist::{ListResult, MatchOptions, Overlay, Watchlist};
use rayon::prelude::*;
use serde::Serialize;
use std::sync::Arc;

/// One screened address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Screening {
    /// The input as given.
    pub input: String,
    /// The parsed address, `None` when the input did not parse.
    pub address: Option<Address>,
    /// Why the input did not parse (`null` when it did).
    pub error: Option<String>,
    /// Grade against the fraud list (no grade when no fraud list is loaded).
    pub fraud: ListResult,
    /// Grade against the forwarding-warehouse list.
    pub forwarder: ListResult,
}

impl Screening {
    /// The worst of the two grades' severities (0 when neither list matched): a quick "should
    /// a person look at this order" test.
    pub fn alert_level(&self) -> u8 {
        let s = |r: &ListResult| r.grade.map_or(0, |g| g.severity());
        s(&self.fraud).max(s(&self.forwarder))
    }
}

/// Screens addresses against a fraud list and a forwarding-warehouse list.
///
/// ```
/// use banchi::watchlist::{ListKind, Watchlist};
/// use banchi::{Parser, Screener};
///
/// let parser = Parser::new();
/// let csv = "id,address,reason\nF1,東京都中央区銀座4-6-16 銀座ビル301号室,chargeback\n";
/// let fraud = Watchlist::from_csv_reader(csv.as_bytes(), ListKind::Fraud, &parser)?;
/// let screener = Screener::new(parser)
///     .with_fraud(fraud)
///     .with_forwarders(Watchlist::bundled_forwarders(&parser)?);
///
/// let s = screener.check("東京都中央区銀座四丁目6番16号 301");
/// println!("{}", serde_json::to_string(&s).unwrap());
/// let batch = screener.check_many(&["東京都中央区銀座4-6-16", "神奈川県大和市南林間1-8-17"]);
/// assert_eq!(batch.len(), 2);
/// # Ok::<(), banchi::error::WatchlistError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Screener {
    parser: Parser,
    fraud: Option<Arc<Watchlist>>,
    forwarders: Option<Arc<Watchlist>>,
    /// Recent edits of the fraud list, graded over `fraud` ([`Overlay`]).
    fraud_overlay: Option<Arc<Overlay>>,
    /// Recent edits of the forwarder list, graded over `forwarders`.
    forwarder_overlay: Option<Arc<Overlay>>,
    options: MatchOptions,
}

impl Screener {
    /// A screener with no lists yet.
    pub fn new(parser: Parser) -> Self {
        Screener {
            parser,
            fraud: None,
            forwarders: None,
            fraud_overlay: None,
            forwarder_overlay: None,
            options: MatchOptions::default(),
        }
    }

    /// Screens against this fraud list.
    pub fn with_fraud(mut self, list: impl Into<Arc<Watchlist>>) -> Self {
        self.fraud = Some(list.into());
        self
    }

    /// Screens against this forwarding-warehouse list.
    pub fn with_forwarders(mut self, list: impl Into<Arc<Watchlist>>) -> Self {
        self.forwarders = Some(list.into());
        self
    }

    /// Grades the fraud list with these recent edits laid over it (`None` removes them): what
    /// a service does between an edit and the rebuild of the list's index ([`Overlay`]).
    pub fn with_fraud_overlay(mut self, overlay: Option<Arc<Overlay>>) -> Self {
        self.fraud_overlay = overlay;
        self
    }

    /// Grades the forwarder list with these recent edits laid over it (`None` removes them).
    pub fn with_forwarder_overlay(mut self, overlay: Option<Arc<Overlay>>) -> Self {
        self.forwarder_overlay = overlay;
        self
    }

    /// Uses these lookup options (near distance, match cap).
    pub fn with_options(mut self, options: MatchOptions) -> Self {
        self.options = options;
        self
    }

    /// The lookup options in use.
    pub fn options(&self) -> MatchOptions {
        self.options
    }

    /// The same lists graded only: each [`ListResult`] has its grade (and signals) but no
    /// list of matches (`max_matches = 0`), the FST walk without the record scan. What bulk
    /// runs use — their rows carry grades and reason codes, never record ids; the grades are
    /// those of `self` (tested in `watchlist/grade.rs`).
    pub fn grades_only(&self) -> Screener {
        self.clone().with_options(MatchOptions {
            max_matches: 0,
            ..self.options
        })
    }

    /// The parser.
    pub fn parser(&self) -> &Parser {
        &self.parser
    }

    /// The fraud list, if any.
    pub fn fraud(&self) -> Option<&Watchlist> {
        self.fraud.as_deref()
    }

    /// The forwarder list, if any.
    pub fn forwarders(&self) -> Option<&Watchlist> {
        self.forwarders.as_deref()
    }

    /// Parses and screens one address. Never fails: an unparseable input gives a screening
    /// with `address: None`, an `error` and no grades.
    pub fn check(&self, input: &str) -> Screening {
        self.check_with_postal(input, None)
    }

    /// [`Screener::check`] with the postal code given beside the address (see
    /// [`Parser::parse_with_postal`]).
    pub fn check_with_postal(&self, input: &str, postal_code: Option<&str>) -> Screening {
        match self.parser.parse_with_postal(input, postal_code) {
            Ok(address) => self.screen_address(address),
            Err(e) => Self::failed(input.to_owned(), &e),
        }
    }

    /// Like [`Screener::check`] for raw bytes (a line read from a file): bytes that are not
    /// UTF-8 give a screening with the [`ParseError::InvalidUtf8`] error.
    pub fn check_bytes(&self, input: &[u8]) -> Screening {
        match std::str::from_utf8(input) {
            Ok(s) => self.check(s),
            Err(_) => Self::failed(
                String::from_utf8_lossy(input).into_owned(),
                &ParseError::InvalidUtf8,
            ),
        }
    }

    fn failed(input: String, e: &ParseError) -> Screening {
        Screening {
            input,
            address: None,
            error: Some(e.to_string()),
            fraud: ListResult::default(),
            forwarder: ListResult::default(),
        }
    }

    /// Screens many addresses on all cores; results are in input order.
    pub fn check_many(&self, inputs: &[&str]) -> Vec<Screening> {
        inputs.par_iter().map(|s| self.check(s)).collect()
    }

    /// Screens an address parsed already.
    pub fn screen_address(&self, address: Address) -> Screening {
        let (fraud, forwarder) = self.screen_lists(&address);
        Screening {
            input: address.input.clone(),
            address: Some(address),
            error: None,
            fraud,
            forwarder,
        }
    }

    /// The fraud and forwarder results of an address parsed already (what
    /// [`Screener::screen_address`] puts in its [`Screening`]).
    pub fn screen_lists(&self, address: &Address) -> (ListResult, ListResult) {
        let opts = &self.options;
        let fraud = match (&self.fraud_overlay, &self.fraud) {
            (Some(o), base) => o.screen(base.as_deref(), address, opts),
            (None, Some(l)) => l.screen_fraud(address, opts),
            (None, None) => ListResult::default(),
        };
        let forwarder = match (&self.forwarder_overlay, &self.forwarders) {
            (Some(o), base) => o.screen(base.as_deref(), address, opts),
            (None, Some(l)) => l.screen_forwarder(address, opts),
            (None, None) => ListResult::default(),
        };
        (fraud, forwarder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watchlist::test_support::addr;
    use crate::watchlist::{Entry, Grade, ListKind, WatchlistBuilder};

    fn fraud_list() -> Watchlist {
        let mut b = WatchlistBuilder::new(ListKind::Fraud, vec![]);
        let e = Entry {
            id: "F1".into(),
            reason: Some("chargeback".into()),
            ..Entry::default()
        };
        b.add(2, &e, &addr(Some(4), "6", Some("16"), None, Some("301")))
            .unwrap();
        b.build().unwrap()
    }

    #[test]
    fn screener_is_send_sync() {
        fn check<T: Send + Sync>() {}
        check::<Screener>();
        check::<Screening>();
    }

    #[test]
    fn screens_a_parsed_address() {
        let s = Screener::new(Parser::new()).with_fraud(fraud_list());
        let mut a = addr(Some(4), "6", Some("16"), None, Some("301"));
        a.input = "銀座4-6-16-301".into();
        let r = s.screen_address(a);
        assert_eq!(r.fraud.grade, Some(Grade::Danger));
        assert_eq!(r.forwarder.grade, None);
        assert_eq!(r.alert_level(), 3);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["input"], "銀座4-6-16-301");
        assert_eq!(v["address"]["town"], "銀座");
        assert_eq!(v["fraud"]["grade"], "danger");
        assert_eq!(v["fraud"]["matches"][0]["id"], "F1");
        assert_eq!(v["forwarder"]["grade"], serde_json::Value::Null);
        assert_eq!(v["error"], serde_json::Value::Null);
    }

    #[test]
    fn bad_input_yields_an_error_field() {
        let s = Screener::new(Parser::new()).with_fraud(fraud_list());
        let r = s.check("   ");
        assert!(r.address.is_none());
        assert!(r.error.is_some());
        assert_eq!(r.alert_level(), 0);
        let bad = s.check_bytes(b"\xff\xfe");
        assert_eq!(bad.error.as_deref(), Some("input is not valid UTF-8"));
        let many = s.check_many(&["", "  ", "x"]);
        assert_eq!(many.len(), 3);
        assert_eq!(many[2].input, "x");
    }
}
