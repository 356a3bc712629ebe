//! Rows edited through the API and not yet in the base lists: each edited row's current
//! cells, numbered by edit, from which the overlay laid over the base lists is built
//! ([`Pending::overlay`]). [`crate::state::AppState`] holds one under its swap mutex;
//! [`crate::edits`] records an edit here and a background rebuild forgets the rows it read
//! from the files ([`Pending::forget_through`]).

use crate::lists::Which;
use banchi::error::WatchlistError;
use banchi::watchlist::Overlay;
use banchi::Parser;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Rows edited through the API and not yet in the base lists (see the module documentation).
#[derive(Debug, Default)]
pub struct Pending {
    /// Number of the last edit (0: none yet).
    seq: u64,
    fraud: PendingList,
    forwarders: PendingList,
}

/// One list's pending rows.
#[derive(Debug, Default)]
struct PendingList {
    /// The file's header when last edited.
    header: Vec<String>,
    /// Id → (number of its last edit, its cells now, one per header column).
    rows: BTreeMap<String, (u64, Vec<String>)>,
}

impl PendingList {
    /// Forgets the rows numbered `seq` or below (the base lists hold them now) — with
    /// `keep_pending`, except pending adds (status `pending`, four eyes), which no index
    /// holds: they stay in the overlay until their status changes.
    fn forget_through(&mut self, seq: u64, keep_pending: bool) {
        let status = self.header.iter().position(|h| h == "status");
        self.rows.retain(|_, (n, cells)| {
            *n > seq
                || keep_pending
                    && status
                        .and_then(|i| cells.get(i))
                        .is_some_and(|s| s.trim() == "pending")
        });
    }
}

impl Pending {
    /// Number of the last edit recorded.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    fn list(&self, which: Which) -> &PendingList {
        match which {
            Which::Fraud => &self.fraud,
            Which::Forwarders => &self.forwarders,
        }
    }

    fn list_mut(&mut self, which: Which) -> &mut PendingList {
        match which {
            Which::Fraud => &mut self.fraud,
            Which::Forwarders => &mut self.forwarders,
        }
    }

    /// True when `which` has rows not yet in its base list.
    pub fn has(&self, which: Which) -> bool {
        !self.list(which).rows.is_empty()
    }

    /// Records the current cells of entry `id` of `which` (a file with `header`) as one edit.
    pub fn record(&mut self, which: Which, header: &[String], id: &str, row: &[String]) -> u64 {
        let seq = self.seq + 1;
        self.record_change(seq, which, header, id, row);
        seq
    }

    /// Records entry `id`'s cells as change `seq` of the store's change log (numbers only
    /// grow: the store hands them out in commit order).
    pub fn record_change(
        &mut self,
        seq: u64,
        which: Which,
        header: &[String],
        id: &str,
        row: &[String],
    ) {
        self.seq = self.seq.max(seq);
        let list = self.list_mut(which);
        if list.header != header {
            // A plain list gains the management columns on its first write (at the end):
            // rows recorded before keep their cells and get empty ones for the new columns.
            list.header = header.to_vec();
            for (_, cells) in list.rows.values_mut() {
                cells.resize(header.len(), String::new());
            }
        }
        let mut cells = row.to_vec();
        cells.resize(list.header.len(), String::new());
        list.rows.insert(id.trim().to_owned(), (seq, cells));
    }

    /// Forgets `which`'s edits numbered up to `seq` (a snapshot of that list covers them).
    /// Pending adds (four eyes) stay: no snapshot holds them, and every change of one comes
    /// through the change log (a newer row replaces it).
    pub fn forget_list_through(&mut self, which: Which, seq: u64) {
        self.list_mut(which).forget_through(seq, true);
    }

    /// Forgets the edits numbered up to `seq` (a rebuild that read the files after them has
    /// them in its base lists).
    pub fn forget_through(&mut self, seq: u64) {
        for list in [&mut self.fraud, &mut self.forwarders] {
            list.forget_through(seq, false);
        }
    }

    /// The overlay of `which`'s pending rows (`None` when there are none).
    pub fn overlay(
        &self,
        which: Which,
        parser: &Parser,
        pending_caution: bool,
    ) -> Result<Option<Arc<Overlay>>, WatchlistError> {
        let list = self.list(which);
        if list.rows.is_empty() {
            return Ok(None);
        }
        let rows = list.rows.values().map(|(_, cells)| cells.as_slice());
        Overlay::from_rows_with(which.kind(), &list.header, rows, parser, pending_caution)
            .map(|o| Some(Arc::new(o)))
    }

    /// Records `rows` (cells in the order of `header`), the pending adds the base lists of
    /// `which` hold (four eyes, `pending_grade = "caution"`: no index holds them, so they are
    /// graded from the overlay), unless a row of the id is recorded already (an edit newer
    /// than the base). Numbered 0: a rebuild from the files forgets them and seeds its own
    /// ([`Pending::forget_through`]); a store snapshot keeps them until a change replaces
    /// them ([`Pending::forget_list_through`]). Cells are matched to the recorded rows'
    /// columns by name.
    pub fn seed(&mut self, which: Which, header: &[String], rows: &[Vec<String>]) {
        let list = self.list_mut(which);
        if list.header.is_empty() {
            list.header = header.to_vec();
        }
        let id_col = header.iter().position(|h| h == "id");
        for row in rows {
            let Some(id) = id_col
                .and_then(|i| row.get(i))
                .map(|id| id.trim().to_owned())
            else {
                continue;
            };
            if list.rows.contains_key(&id) {
                continue;
            }
            let cells = list
                .header
                .iter()
                .map(|name| {
                    header
                        .iter()
                        .position(|h| h == name)
                        .and_then(|i| row.get(i))
                        .cloned()
                        .unwrap_or_default()
                })
                .collect();
            list.rows.insert(id, (0, cells));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn rows_are_numbered_padded_and_forgotten_once_rebuilt() {
        let mut p = Pending::default();
        let plain = cells(&["id", "address", "reason"]);
        let a = p.record(
            Which::Fraud,
            &plain,
            "F1",
            &cells(&[
                "F1",
                "東京都中央区銀座4-6-16 架空ハイツ301号室",
                "chargeback",
            ]),
        );
        let managed = cells(&["id", "address", "reason", "status"]);
        let b = p.record(
            Which::Fraud,
            &managed,
            " F2 ",
            &cells(&[
                "F2",
                "大阪府大阪市北区梅田3-1-1 架空タワー1205",
                "resale",
                "active",
            ]),
        );
        assert_eq!((a, b, p.seq()), (1, 2, 2));
        assert!(p.has(Which::Fraud) && !p.has(Which::Forwarders));
        let f1 = p.fraud.rows.get("F1").map(|(_, c)| c.len());
        assert_eq!(f1, Some(4), "the older row is padded to the new header");
        assert!(p.fraud.rows.contains_key("F2"), "ids are trimmed");

        let parser = Parser::new();
        let overlay = p.overlay(Which::Fraud, &parser, false).unwrap().unwrap();
        assert_eq!((overlay.len(), overlay.active()), (2, 2));
        assert!(p
            .overlay(Which::Forwarders, &parser, false)
            .unwrap()
            .is_none());

        p.forget_through(1);
        assert_eq!(p.fraud.rows.keys().collect::<Vec<_>>(), ["F2"]);
        p.forget_through(p.seq());
        assert!(!p.has(Which::Fraud));
    }
}
