//! Reading a list CSV into a [`WatchlistBuilder`], parsing the addresses in parallel.
//!
//! Columns (names matched case-insensitively, surrounding spaces and a BOM ignored):
//!
//! * `address` — required; parsed with [`Parser`]; a row must resolve to a municipality and a
//!   block number: to a block of a gazetteer town (exact key), or — its town unknown or not
//!   written — to a fallback key (see [`super::key`]). Only a row with no municipality, no
//!   block number, or an ambiguous municipality is rejected.
//! * `id` — optional; unique when given (a repeat is an error). Without the column, a row's id
//!   is its line number.
//! * `reason` — optional, returned on a match.
//! * `service` — the forwarding-service name; required for [`ListKind::Forwarder`] lists.
//! * `status` — optional; `disabled` keeps the row out of the index (counted as disabled), and
//!   so does `pending` (an add waiting for a second person's approval, [`super::manage`]).
//! * `history` — list-management history (see [`super::manage`]); not indexed.
//! * anything else — metadata, returned with every match on the row.
//!
//! Malformed CSV (unequal field counts, broken quoting, bad UTF-8) is an error naming the line;
//! a row that parses but cannot be indexed is reported by line number in the
//! [`LoadReport`](super::LoadReport), never dropped silently and never echoed.

use super::{Entry, ListKind, WatchlistBuilder};
use crate::error::WatchlistError;
use crate::parse::Parser;
use rayon::prelude::*;
use std::collections::HashMap;

/// Rows parsed per parallel batch: big enough to keep every core busy, small enough to bound
/// the memory of raw rows in flight.
const BATCH: usize = 32 * 1024;

/// Known column positions in a list CSV header.
#[derive(Debug, Clone)]
pub(crate) struct Columns {
    pub address: usize,
    pub id: Option<usize>,
    pub reason: Option<usize>,
    pub service: Option<usize>,
    pub status: Option<usize>,
    /// (position, name) of every metadata column.
    pub metadata: Vec<(usize, String)>,
}

/// Normalized column name: trimmed, BOM removed, ASCII lower-case.
pub(crate) fn column_name(raw: &str) -> String {
    raw.trim_start_matches('\u{feff}')
        .trim()
        .to_ascii_lowercase()
}

impl Columns {
    /// Finds the columns of `header`.
    pub(crate) fn find(
        header: &csv::StringRecord,
        kind: ListKind,
    ) -> Result<Columns, WatchlistError> {
        let names: Vec<String> = header.iter().map(column_name).collect();
        let mut seen = HashMap::new();
        for (i, n) in names.iter().enumerate() {
            if seen.insert(n.as_str(), i).is_some() {
                return Err(WatchlistError::DuplicateColumn(n.clone()));
            }
        }
        let pos = |n: &str| seen.get(n).copied();
        let header_text = || names.join(",");
        let address = pos("address").ok_or_else(|| WatchlistError::MissingColumn {
            column: "address",
            header: header_text(),
        })?;
        let service = pos("service");
        if kind == ListKind::Forwarder && service.is_none() {
            return Err(WatchlistError::MissingColumn {
                column: "service",
                header: header_text(),
            });
        }
        let known = [
            "address", "id", "reason", "service", "status", "history", "pending",
        ];
        let metadata = names
            .iter()
            .enumerate()
            .filter(|(_, n)| !known.contains(&n.as_str()) && !n.is_empty())
            .map(|(i, n)| (i, n.clone()))
            .collect();
        Ok(Columns {
            address,
            id: pos("id"),
            reason: pos("reason"),
            service,
            status: pos("status"),
            metadata,
        })
    }
}

/// Turns the byte offsets the CSV reader reports into 1-based line numbers. (The reader's own
/// line count skips blank lines; the byte offset does not.) Offsets must be asked for in
/// ascending order, as the reader produces them.
pub(crate) struct Lines<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Lines {
            bytes,
            pos: 0,
            line: 1,
        }
    }

    /// The line of the record the reader says starts at byte `offset`. The reader reports
    /// the offset *before* the blank lines it skipped, so those are stepped over here.
    pub(crate) fn at(&mut self, offset: u64) -> u64 {
        let mut to = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        while matches!(self.bytes.get(to), Some(b'\n' | b'\r')) {
            to += 1;
        }
        if to > self.pos {
            self.line += memchr_count(&self.bytes[self.pos..to]);
            self.pos = to;
        }
        self.line
    }
}

fn memchr_count(b: &[u8]) -> u64 {
    b.iter().filter(|&&c| c == b'\n').count() as u64
}

/// Translates a CSV reader error into a typed error with its line.
pub(crate) fn csv_error(e: csv::Error, lines: &mut Lines<'_>) -> WatchlistError {
    if let csv::ErrorKind::Io(_) = e.kind() {
        if let csv::ErrorKind::Io(io) = e.into_kind() {
            return WatchlistError::Io {
                path: "<list>".into(),
                source: io,
            };
        }
        return WatchlistError::EmptyCsv;
    }
    let line = e.position().map_or(lines.line, |p| lines.at(p.byte()));
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "the row has {len} fields, the header {expected_len} (a stray or unclosed quote?)"
        ),
        csv::ErrorKind::Utf8 { err, .. } => format!("not UTF-8 (field {})", err.field() + 1),
        _ => "unreadable row".to_string(),
    };
    WatchlistError::Csv { line, message }
}

/// A list CSV opened for reading by row: its normalized header ([`column_name`]) read, its
/// errors naming their lines ([`csv_error`]). What the journal's replay, the digest, the
/// editor and [`super::ListFile`] read a list through.
pub(crate) struct ListCsv<'a> {
    rdr: csv::Reader<&'a [u8]>,
    lines: Lines<'a>,
    /// The column names, normalized.
    pub header: Vec<String>,
}

impl<'a> ListCsv<'a> {
    /// Opens the CSV in `bytes` and reads its header; `flexible`: rows may have more or
    /// fewer fields than the header.
    pub(crate) fn open(bytes: &'a [u8], flexible: bool) -> Result<Self, WatchlistError> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(flexible)
            .from_reader(bytes);
        let mut lines = Lines::new(bytes);
        let header = rdr
            .headers()
            .map_err(|e| csv_error(e, &mut lines))?
            .iter()
            .map(column_name)
            .collect();
        Ok(ListCsv { rdr, lines, header })
    }

    /// Reads the next record into `record`; false at the end.
    pub(crate) fn read(&mut self, record: &mut csv::ByteRecord) -> Result<bool, WatchlistError> {
        self.rdr
            .read_byte_record(record)
            .map_err(|e| csv_error(e, &mut self.lines))
    }

    /// The reader's position (after the header: where the first record starts).
    pub(crate) fn position(&self) -> &csv::Position {
        self.rdr.position()
    }

    /// The position of the column `name` in the header.
    pub(crate) fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

/// The cell at `col` of `record` as text (`None`: no such column or not UTF-8), untrimmed.
pub(crate) fn text_cell(record: &csv::ByteRecord, col: Option<usize>) -> Option<&str> {
    col.and_then(|i| record.get(i))
        .and_then(|b| std::str::from_utf8(b).ok())
}

/// The cell `name` of `row` (cells in the order of `header`); `""` when absent.
/// The one reading of a named cell of a row held as strings ([`text_cell`] reads a record).
pub(crate) fn cell<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    header
        .iter()
        .position(|h| h == name)
        .and_then(|i| row.get(i))
        .map_or("", String::as_str)
}

/// One raw data row.
struct Row {
    line: u64,
    address: String,
    entry: Entry,
}

/// Reads a whole list CSV into a builder.
pub(crate) fn read_csv(
    bytes: &[u8],
    kind: ListKind,
    parser: &Parser,
) -> Result<WatchlistBuilder, WatchlistError> {
    let mut lines = Lines::new(bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let header = rdr.headers().map_err(|e| csv_error(e, &mut lines))?.clone();
    if header.is_empty() || header.iter().all(|h| h.trim().is_empty()) {
        return Err(WatchlistError::EmptyCsv);
    }
    let cols = Columns::find(&header, kind)?;
    let names = cols.metadata.iter().map(|(_, n)| n.clone()).collect();
    let mut builder = WatchlistBuilder::new(kind, names);
    let mut ids: HashMap<String, u64> = HashMap::new();
    let mut batch: Vec<Row> = Vec::with_capacity(BATCH);
    let mut record = csv::StringRecord::new();
    loop {
        let more = rdr
            .read_record(&mut record)
            .map_err(|e| csv_error(e, &mut lines))?;
        if !more {
            break;
        }
        let line = record.position().map_or(lines.line, |p| lines.at(p.byte()));
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).map(str::trim);
        // A pending add (four eyes, [`super::manage`]) waits for approval: not indexed.
        let disabled = cell(cols.status).is_some_and(|s| {
            s.eq_ignore_ascii_case("disabled") || s.eq_ignore_ascii_case("pending")
        });
        let id = match cell(cols.id) {
            Some(id) => id.to_owned(),
            None => line.to_string(),
        };
        if !id.is_empty() {
            if let Some(&first) = ids.get(&id) {
                return Err(WatchlistError::DuplicateId {
                    id,
                    first,
                    second: line,
                });
            }
            ids.insert(id.clone(), line);
        }
        if disabled {
            builder.add_disabled();
            continue;
        }
        let opt = |i: Option<usize>| cell(i).filter(|s| !s.is_empty()).map(str::to_owned);
        let entry = Entry {
            id,
            reason: opt(cols.reason),
            service: opt(cols.service),
            metadata: cols
                .metadata
                .iter()
                .map(|(i, _)| record.get(*i).unwrap_or("").trim().to_owned())
                .collect(),
        };
        batch.push(Row {
            line,
            address: record.get(cols.address).unwrap_or("").to_owned(),
            entry,
        });
        if batch.len() == BATCH {
            flush(&mut batch, &mut builder, parser);
        }
    }
    flush(&mut batch, &mut builder, parser);
    Ok(builder)
}

/// Parses and encodes a batch in parallel, then adds the results in line order.
fn flush(batch: &mut Vec<Row>, builder: &mut WatchlistBuilder, parser: &Parser) {
    let encoded: Vec<_> = batch
        .par_iter()
        .map(|row| {
            if row.address.contains(['\n', '\r']) {
                return Err(super::RejectReason::MultilineAddress);
            }
            let addr = parser
                .parse(&row.address)
                .map_err(|e| super::RejectReason::from_parse_error(&e))?;
            WatchlistBuilder::encode(&row.entry, &addr)
        })
        .collect();
    for (row, enc) in batch.iter().zip(encoded) {
        // The outcome is recorded in the builder's report either way.
        let _ = builder.push(row.line, enc);
    }
    batch.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(csv: &str, kind: ListKind) -> Result<WatchlistBuilder, WatchlistError> {
        read_csv(csv.as_bytes(), kind, &Parser::new())
    }

    #[test]
    fn address_column_is_required() {
        let e = load("id,reason\n1,x\n", ListKind::Fraud).unwrap_err();
        assert!(matches!(
            e,
            WatchlistError::MissingColumn {
                column: "address",
                ..
            }
        ));
        assert!(e.to_string().contains("id,reason"));
    }

    #[test]
    fn service_column_is_required_for_forwarders() {
        let e = load("id,address\n", ListKind::Forwarder).unwrap_err();
        assert!(matches!(
            e,
            WatchlistError::MissingColumn {
                column: "service",
                ..
            }
        ));
        assert!(load("id,address\n", ListKind::Fraud).is_ok());
    }

    #[test]
    fn empty_file_is_an_error() {
        assert!(matches!(
            load("", ListKind::Fraud),
            Err(WatchlistError::EmptyCsv)
        ));
    }

    #[test]
    fn duplicate_columns_and_ids_are_errors() {
        let e = load("id,Address, address \n", ListKind::Fraud).unwrap_err();
        assert!(matches!(e, WatchlistError::DuplicateColumn(ref c) if c == "address"));
        let e = load("id,address\nA,x\nB,y\nA,z\n", ListKind::Fraud).unwrap_err();
        match e {
            WatchlistError::DuplicateId { id, first, second } => {
                assert_eq!((id.as_str(), first, second), ("A", 2, 4));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn unequal_rows_name_the_line() {
        let e = load(
            "id,address,reason\n1,x,y\n2,\"broken,z\n3,q,r\n",
            ListKind::Fraud,
        )
        .unwrap_err();
        match e {
            WatchlistError::Csv { line, message } => {
                assert_eq!(line, 3);
                assert!(message.contains("quote"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn bad_utf8_is_an_error() {
        let bytes = b"id,address\n1,\xff\xfe\n";
        let e = read_csv(&bytes[..], ListKind::Fraud, &Parser::new()).unwrap_err();
        assert!(matches!(e, WatchlistError::Csv { line: 2, .. }), "{e:?}");
    }

    #[test]
    fn every_row_is_accounted_for() {
        // The addresses here do not resolve to a block (or the parser is not there yet):
        // every row must still be counted, by line number.
        let csv =
            "\u{feff}ID,address,status,memo\n1,,active,a\n2,どこか,disabled,b\n3,\"x\ny\",,c\n";
        let b = load(csv, ListKind::Fraud).unwrap();
        let list = b.build().unwrap();
        let r = list.report();
        assert_eq!(r.rows, 3);
        assert_eq!(r.disabled, 1);
        assert!(r.is_consistent());
        let lines: Vec<u64> = r.rejected.iter().map(|x| x.line).collect();
        assert!(lines.contains(&2) && lines.contains(&4), "{lines:?}");
        let multi = r.rejected.iter().find(|x| x.line == 4).unwrap();
        assert_eq!(multi.reason, super::super::RejectReason::MultilineAddress);
        assert_eq!(list.columns(), ["memo".to_string()]);
    }

    #[test]
    fn single_column_rows_are_counted_by_line() {
        let b = load(
            "address\nnowhere at all\n\nstill nowhere\n",
            ListKind::Fraud,
        )
        .unwrap();
        let list = b.build().unwrap();
        let r = list.report();
        assert_eq!((r.rows, r.indexed), (2, 0));
        let lines: Vec<u64> = r.rejected.iter().map(|x| x.line).collect();
        assert_eq!(lines, vec![2, 4]);
    }
}
