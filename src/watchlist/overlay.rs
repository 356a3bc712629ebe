//! Recent edits of a list, laid over its index until the index is rebuilt.
//!
//! Rebuilding the index of a million-row list takes seconds (every address is parsed again),
//! but an edit made through a service must be in force for the next request. An [`Overlay`]
//! holds the current rows of the entries edited since the index was built — a list of a few
//! rows, built in well under a millisecond — and grades beside that index:
//!
//! * the index's records whose id was edited are *superseded*: they no longer count (a
//!   disabled entry stops matching, a re-enabled or re-registered one is graded from its row
//!   here);
//! * the edited rows that are active match as any record does.
//!
//! The result is the one a rebuilt index would give: the same matches, worst first, the same
//! grade and cap.
//!
//! Built with `pending_caution` ([`Overlay::from_rows_with`]), the overlay also grades its
//! *pending adds* — rows with status `pending`, waiting for a second person's approval (four
//! eyes, [`super::manage`]), which no index holds — at most `caution`: a service that wants
//! an order to a pending entry looked at keeps every pending add in its overlay. The overlay is immutable; a service builds a new one per edit and swaps it
//! in with the index it belongs to, so a lookup sees one consistent state.

use super::grade::{Grade, ListResult, MatchOptions, Signal};
use super::{ListKind, Watchlist};
use crate::address::Address;
use crate::error::WatchlistError;
use crate::parse::Parser;
use std::collections::HashSet;

/// Edited rows over an index (see the module documentation).
#[derive(Debug)]
pub struct Overlay {
    /// The edited rows as a small list (disabled rows are left out of it by the loader).
    edited: Watchlist,
    /// Ids of the edited entries, trimmed: their records in the index no longer count.
    superseded: HashSet<String>,
    /// The pending adds among the edited rows, as active rows, graded at most `caution`
    /// (`None`: not asked for, or none).
    capped: Option<Watchlist>,
}

impl Overlay {
    /// Builds the overlay of `rows` (cells in the order of `header`, the list file's header).
    /// Rows that do not resolve to a block are left out, as the index leaves them out.
    pub fn from_rows<'r>(
        kind: ListKind,
        header: &[String],
        rows: impl IntoIterator<Item = &'r [String]>,
        parser: &Parser,
    ) -> Result<Overlay, WatchlistError> {
        Self::from_rows_with(kind, header, rows, parser, false)
    }

    /// [`Overlay::from_rows`]; with `pending_caution`, the pending adds among `rows` (status
    /// `pending`) grade at most `caution` instead of not at all.
    pub fn from_rows_with<'r>(
        kind: ListKind,
        header: &[String],
        rows: impl IntoIterator<Item = &'r [String]>,
        parser: &Parser,
        pending_caution: bool,
    ) -> Result<Overlay, WatchlistError> {
        let id_column = header.iter().position(|h| h.trim() == "id");
        let status_column = header.iter().position(|h| h.trim() == "status");
        let mut superseded = HashSet::new();
        let mut pending = Vec::new();
        let mut csv_bytes = Vec::new();
        {
            let mut w = csv::Writer::from_writer(&mut csv_bytes);
            w.write_record(header).map_err(csv_io)?;
            for row in rows {
                if let Some(id) = id_column.and_then(|i| row.get(i)) {
                    superseded.insert(id.trim().to_owned());
                }
                let status = status_column.and_then(|i| row.get(i));
                if pending_caution && status.is_some_and(|s| s.trim() == "pending") {
                    let mut active = row.to_vec();
                    if let Some(cell) = status_column.and_then(|i| active.get_mut(i)) {
                        *cell = "active".into();
                    }
                    pending.push(active);
                }
                w.write_record(row).map_err(csv_io)?;
            }
            w.flush().map_err(flush_io)?;
        }
        let edited = Watchlist::from_csv_reader(csv_bytes.as_slice(), kind, parser)?;
        let capped = if pending.is_empty() {
            None
        } else {
            let mut bytes = Vec::new();
            {
                let mut w = csv::Writer::from_writer(&mut bytes);
                w.write_record(header).map_err(csv_io)?;
                for row in &pending {
                    w.write_record(row).map_err(csv_io)?;
                }
                w.flush().map_err(flush_io)?;
            }
            Some(Watchlist::from_csv_reader(bytes.as_slice(), kind, parser)?)
        };
        Ok(Overlay {
            edited,
            superseded,
            capped,
        })
    }

    /// Edited entries (active or not).
    pub fn len(&self) -> usize {
        self.superseded.len()
    }

    /// True when no entry was edited.
    pub fn is_empty(&self) -> bool {
        self.superseded.is_empty()
    }

    /// Edited entries that match (active ones that resolved to a block).
    pub fn active(&self) -> usize {
        self.edited.len()
    }

    /// The list kind the overlay grades as.
    pub fn kind(&self) -> ListKind {
        self.edited.kind()
    }

    /// Grades `addr` against `base` (the index, if any) with this overlay laid over it:
    /// [`Watchlist::screen_fraud`] or [`Watchlist::screen_forwarder`] by the overlay's kind.
    pub fn screen(
        &self,
        base: Option<&Watchlist>,
        addr: &Address,
        opts: &MatchOptions,
    ) -> ListResult {
        let kind = self.kind();
        // Ask the index for enough matches that, once the superseded ones are dropped, the
        // cap can still be filled: the grade of the rest is then the grade of what is listed
        // (matches come worst first; anything left unlisted is no worse).
        let widened = MatchOptions {
            max_matches: opts
                .max_matches
                .max(1)
                .saturating_add(self.superseded.len()),
            ..*opts
        };
        let run = |list: &Watchlist| match kind {
            ListKind::Fraud => list.screen_fraud(addr, &widened),
            ListKind::Forwarder => list.screen_forwarder(addr, &widened),
        };
        let mut res = base.map(run).unwrap_or_default();
        res.matches
            .retain(|m| !self.superseded.contains(m.id.trim()));
        let mine = run(&self.edited);
        res.matches.extend(mine.matches);
        if let Some(capped) = &self.capped {
            // Pending adds: listed and graded, `caution` at most.
            res.matches
                .extend(run(capped).matches.into_iter().map(|mut m| {
                    if m.grade.severity() > Grade::Caution.severity() {
                        m.grade = Grade::Caution;
                    }
                    m
                }));
        }
        for s in mine.signals {
            if !res.signals.contains(&s) {
                res.signals.push(s);
            }
        }
        let mut grade = None;
        for g in res
            .matches
            .iter()
            .map(|m| m.grade)
            .chain(res.signals.iter().map(|s| signal_grade(*s)))
        {
            if grade.is_none_or(|w: Grade| g.severity() > w.severity()) {
                grade = Some(g);
            }
        }
        res.grade = grade;
        // Worst first, then closest, as the index orders them (stable: ties keep index
        // records before edited rows).
        res.matches.sort_by_key(|m| {
            (
                std::cmp::Reverse(m.grade.severity()),
                m.distance.unwrap_or(0),
            )
        });
        let cut = res.matches.len() > opts.max_matches;
        res.matches.truncate(opts.max_matches);
        res.truncated = if opts.max_matches == 0 {
            // The grade-only form: no matches listed, `truncated` whenever one matched.
            res.grade.is_some()
        } else {
            res.truncated || mine.truncated || cut
        };
        res
    }
}

fn csv_io(e: csv::Error) -> WatchlistError {
    WatchlistError::Io {
        path: "<overlay>".into(),
        source: std::io::Error::other(e.to_string()),
    }
}

fn flush_io(source: std::io::Error) -> WatchlistError {
    WatchlistError::Io {
        path: "<overlay>".into(),
        source,
    }
}

/// The grade a signal raises (as [`Watchlist::screen_forwarder`] raises it).
fn signal_grade(signal: Signal) -> Grade {
    match signal {
        Signal::TrailingCustomerId => Grade::Possible,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Vec<String> {
        ["id", "address", "reason", "status"]
            .map(str::to_owned)
            .to_vec()
    }

    fn row(id: &str, address: &str, status: &str) -> Vec<String> {
        vec![
            id.into(),
            address.into(),
            "chargeback".into(),
            status.into(),
        ]
    }

    fn base(parser: &Parser) -> Watchlist {
        let csv = "id,address,reason,status\n\
            F1,東京都中央区銀座4-6-16 架空ハイツ301号室,chargeback,active\n\
            F2,東京都中央区銀座4-6-16 架空ハイツ302号室,resale,active\n";
        Watchlist::from_csv_reader(csv.as_bytes(), ListKind::Fraud, parser).unwrap()
    }

    fn ids(r: &ListResult) -> Vec<&str> {
        r.matches.iter().map(|m| m.id.as_str()).collect()
    }

    #[test]
    fn a_disabled_entry_stops_matching_and_an_added_one_matches() {
        let parser = Parser::new();
        let base = base(&parser);
        let opts = MatchOptions::default();
        let room301 = parser.parse("東京都中央区銀座4-6-16 301").unwrap();
        let before = base.screen_fraud(&room301, &opts);
        assert_eq!(before.grade, Some(Grade::Danger));

        let edits = [
            row("F1", "東京都中央区銀座4-6-16 架空ハイツ301号室", "disabled"),
            row("F3", "大阪府大阪市北区梅田3-1-1 架空タワー1205", "active"),
        ];
        let overlay = Overlay::from_rows(
            ListKind::Fraud,
            &header(),
            edits.iter().map(Vec::as_slice),
            &parser,
        )
        .unwrap();
        assert_eq!((overlay.len(), overlay.active()), (2, 1));
        // F1 is gone; F2 (another room of the block) still grades the address.
        let after = overlay.screen(Some(&base), &room301, &opts);
        assert_eq!(ids(&after), ["F2"]);
        assert_eq!(after.grade, Some(Grade::Caution));
        // The added entry matches on its own.
        let umeda = parser
            .parse("大阪府大阪市北区梅田三丁目1番1号 1205")
            .unwrap();
        assert_eq!(base.screen_fraud(&umeda, &opts).grade, None);
        let hit = overlay.screen(Some(&base), &umeda, &opts);
        assert_eq!(hit.grade, Some(Grade::Danger));
        assert_eq!(ids(&hit), ["F3"]);
        // With no index at all, the overlay alone grades.
        assert_eq!(
            overlay.screen(None, &umeda, &opts).grade,
            Some(Grade::Danger)
        );
    }

    #[test]
    fn a_pending_add_grades_nothing_or_caution_at_most() {
        let parser = Parser::new();
        let base = base(&parser);
        let opts = MatchOptions::default();
        let edits = [row(
            "F3",
            "大阪府大阪市北区梅田3-1-1 架空タワー1205",
            "pending",
        )];
        let rows = || edits.iter().map(Vec::as_slice);
        let umeda = parser
            .parse("大阪府大阪市北区梅田三丁目1番1号 1205")
            .unwrap();
        let none = Overlay::from_rows(ListKind::Fraud, &header(), rows(), &parser).unwrap();
        assert_eq!(none.screen(Some(&base), &umeda, &opts).grade, None);
        let capped =
            Overlay::from_rows_with(ListKind::Fraud, &header(), rows(), &parser, true).unwrap();
        let hit = capped.screen(Some(&base), &umeda, &opts);
        assert_eq!(hit.grade, Some(Grade::Caution), "same flat: danger capped");
        assert_eq!(ids(&hit), ["F3"]);
        assert!(hit.matches.iter().all(|m| m.grade == Grade::Caution));
        // Grade-only lookups agree.
        let grade_only = MatchOptions {
            max_matches: 0,
            ..opts
        };
        assert_eq!(
            capped.screen(Some(&base), &umeda, &grade_only).grade,
            Some(Grade::Caution)
        );
        // A lower grade stays lower: near the block is a warning.
        let near = parser.parse("大阪府大阪市北区梅田三丁目2番1号").unwrap();
        assert_eq!(
            capped.screen(Some(&base), &near, &opts).grade,
            Some(Grade::Warning)
        );
    }

    #[test]
    fn the_result_equals_a_rebuilt_index() {
        let parser = Parser::new();
        let base = base(&parser);
        let edits = [row(
            "F2",
            "東京都中央区銀座4-6-16 架空ハイツ301号室",
            "active",
        )];
        let overlay = Overlay::from_rows(
            ListKind::Fraud,
            &header(),
            edits.iter().map(Vec::as_slice),
            &parser,
        )
        .unwrap();
        let rebuilt = Watchlist::from_csv_reader(
            "id,address,reason,status\n\
             F1,東京都中央区銀座4-6-16 架空ハイツ301号室,chargeback,active\n\
             F2,東京都中央区銀座4-6-16 架空ハイツ301号室,chargeback,active\n"
                .as_bytes(),
            ListKind::Fraud,
            &parser,
        )
        .unwrap();
        for max_matches in [0, 1, 50] {
            let opts = MatchOptions {
                max_matches,
                ..MatchOptions::default()
            };
            for q in [
                "東京都中央区銀座4-6-16 301",
                "東京都中央区銀座4-6-16 302",
                "東京都中央区銀座4-6-17",
                "東京都中央区銀座5-1-1",
            ] {
                let a = parser.parse(q).unwrap();
                let want = rebuilt.screen_fraud(&a, &opts);
                let got = overlay.screen(Some(&base), &a, &opts);
                assert_eq!(got.grade, want.grade, "{q} cap {max_matches}");
                assert_eq!(got.truncated, want.truncated, "{q} cap {max_matches}");
                let mut g = ids(&got);
                let mut w = ids(&want);
                g.sort_unstable();
                w.sort_unstable();
                assert_eq!(g, w, "{q} cap {max_matches}");
            }
        }
    }

    #[test]
    fn forwarder_signals_survive_the_overlay() {
        let parser = Parser::new();
        let base = Watchlist::bundled_forwarders(&parser).unwrap();
        let header = ["id", "address", "service", "status"].map(str::to_owned);
        let edits = [vec![
            "W1".to_owned(),
            "東京都中央区銀座4-6-16".to_owned(),
            "架空転送".to_owned(),
            "active".to_owned(),
        ]];
        let overlay = Overlay::from_rows(
            ListKind::Forwarder,
            &header,
            edits.iter().map(Vec::as_slice),
            &parser,
        )
        .unwrap();
        let opts = MatchOptions::default();
        let a = parser.parse("東京都中央区銀座4-6-16 PM12345").unwrap();
        let want = base.screen_forwarder(&a, &opts);
        let got = overlay.screen(Some(&base), &a, &opts);
        assert_eq!(got.signals, want.signals);
        assert_eq!(got.grade, Some(Grade::ForwardingService));
        assert!(ids(&got).contains(&"W1"));
    }
}
