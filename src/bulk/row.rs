//! One record's work on a worker thread, in two steps around the velocity count:
//!
//! 1. [`Ctx::screen_rows`]: cut its fields, screen and score its address, note its velocity
//!    inputs (keyed hashes of the delivery point and the buyer name, the order time);
//! 2. [`Ctx::format_rows`]: add the velocity reason when the count reached the threshold,
//!    write its output line (input columns kept, verdict columns added) in the output
//!    encoding, and tally it.
//!
//! Both run in parallel over pieces of a chunk; nothing is screened twice. The parse, grades
//! and score are dropped in step 2, on a worker.

use super::columns::{Keys, Resolved};
use super::encode::OutputEncoding;
use super::format::{append_verdict, push_field, Format, Verdict, VERDICT_BYTES};
use super::split::{self, FieldSplitter, Problem, Record};
use super::velocity::{self, Hashing, Observation};
use super::Summary;
use crate::address::Level;
use crate::score::{Buyer, Score, Scorer};
use crate::screen::{Screener, Screening};
use crate::watchlist::Grade;

/// One row after screening, before formatting.
#[derive(Debug, Default)]
pub(super) struct Row {
    /// Output bytes of the input columns (CSV/TSV: fields and delimiters; JSONL: the object
    /// without its closing brace) — unless `verbatim`.
    pub(super) prefix: Vec<u8>,
    /// The input columns are the record's bytes as they are (no copy made).
    pub(super) verbatim: bool,
    /// JSONL: the object already has members (a comma is needed).
    pub(super) jsonl_comma: bool,
    /// Record could not be read.
    pub(super) read_error: bool,
    pub(super) error: Option<String>,
    pub(super) screening: Option<Screening>,
    pub(super) score: Option<Score>,
    pub(super) key: Option<u64>,
    pub(super) name: Option<u32>,
    pub(super) time: Option<u32>,
    pub(super) line: u64,
    pub(super) velocity_hit: bool,
}

/// Everything the workers share.
pub(super) struct Ctx<'a> {
    pub(super) screener: &'a Screener,
    pub(super) scorer: &'a Scorer,
    pub(super) format: Format,
    pub(super) out_format: Format,
    pub(super) encoding: OutputEncoding,
    /// The output's column names (for naming a column in an `error`).
    pub(super) out_header: Vec<String>,
    pub(super) cols: Resolved,
    pub(super) keys: Keys,
    pub(super) velocity_on: bool,
    pub(super) min_names: u32,
    pub(super) hashing: Hashing,
    /// The time of a row without an order time (the run's start, in minutes), when rows
    /// must all have one (velocity state); `None`: such rows have none.
    pub(super) default_time: Option<u32>,
}

/// Formatted rows of one stretch of a chunk: their output lines back to back (one buffer,
/// in the output encoding) and what the summary counts of them.
pub(super) struct Piece {
    pub(super) buf: Vec<u8>,
    pub(super) tally: Summary,
}

/// Screened rows of one stretch of a chunk and their velocity observations (rows with a
/// delivery point and a name, in order).
pub(super) struct Screened {
    pub(super) rows: Vec<Row>,
    pub(super) observations: Vec<Observation>,
}

/// Field text of a row, when valid UTF-8 and not empty.
fn text(b: Option<&[u8]>) -> Option<&str> {
    b.and_then(|b| std::str::from_utf8(b).ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

impl Ctx<'_> {
    /// The velocity observation of a record an earlier run wrote (resume replay): parsed, not
    /// formatted. `index` is its row index in the input.
    pub(super) fn replay_observation(
        &self,
        sp: &mut FieldSplitter,
        r: &Record,
        index: u64,
    ) -> Option<Observation> {
        let row = self.screen_record(sp, r);
        observation(&row, index)
    }

    fn screen_record(&self, sp: &mut FieldSplitter, r: &Record) -> Row {
        match self.format {
            Format::Jsonl => self.screen_jsonl(r),
            _ => self.screen_delimited(sp, r),
        }
    }

    fn screen_delimited(&self, sp: &mut FieldSplitter, r: &Record) -> Row {
        let mut row = Row {
            line: r.line,
            ..Row::default()
        };
        let width = self.cols.width;
        // An over-long record's bytes were dropped: splitting the empty rest resets `sp`.
        let n = sp.split(&r.bytes);
        let blank = r.bytes.is_empty() && r.problem.is_none();
        let utf8 = std::str::from_utf8(&r.bytes).is_ok();
        let problem = match r.problem {
            Some(Problem::UnterminatedQuote) => Some("a quote is not closed".to_owned()),
            Some(Problem::TooLong) => Some(format!(
                "the row is longer than {} bytes; its fields were dropped",
                split::MAX_RECORD_BYTES
            )),
            None if blank && width > 1 => Some("an empty line".to_owned()),
            None if blank => None,
            None if n != width => Some(if n > width {
                format!("{n} fields, the header has {width}; the extra fields are joined into the last column")
            } else {
                format!("{n} fields, the header has {width}")
            }),
            None => None,
        };
        // Input columns: verbatim when the row is sound, else rebuilt to the header's width.
        if problem.is_none() && utf8 && self.out_format == self.format {
            row.verbatim = true;
        } else {
            self.rebuild(sp, n, &mut row.prefix);
        }
        if let Some(p) = problem {
            row.read_error = true;
            row.error = Some(format!("line {}: {p}", r.line));
            return row;
        }
        let mut notes = Vec::new();
        if !utf8 {
            notes.push("not valid UTF-8 (replaced with U+FFFD)".to_owned());
        }
        // The address: one column or several joined.
        let mut address = String::new();
        let mut bad_address = false;
        for &i in &self.cols.address {
            match sp.field(i).map(std::str::from_utf8) {
                Some(Ok(s)) => {
                    let s = s.trim();
                    if !s.is_empty() {
                        if !address.is_empty() {
                            address.push(' ');
                        }
                        address.push_str(s);
                    }
                }
                Some(Err(_)) => bad_address = true,
                None => {}
            }
        }
        if bad_address {
            row.read_error = true;
            row.error = Some(format!(
                "line {}: the address is not valid UTF-8 (Shift_JIS or EUC-JP? give the input encoding)",
                r.line
            ));
            return row;
        }
        let field = |i: Option<usize>| text(i.and_then(|i| sp.field(i)));
        let buyer = Buyer {
            name: field(self.cols.name),
            phone: field(self.cols.phone),
            email: field(self.cols.email),
        };
        let time = field(self.cols.time)
            .and_then(velocity::parse_time_minutes)
            .or(self.default_time);
        let postal = field(self.cols.postal);
        self.finish_row(&mut row, &address, postal, &buyer, time, notes);
        row
    }

    /// Writes `n` split fields as output columns, padded or folded to the header's width.
    fn rebuild(&self, sp: &FieldSplitter, n: usize, out: &mut Vec<u8>) {
        let width = self.cols.width.max(1);
        let d = self.out_format.delimiter();
        for i in 0..width {
            if i > 0 {
                out.push(d);
            }
            if i + 1 == width && n > width {
                // Extra fields folded into the last column, joined with the delimiter.
                let mut joined = Vec::new();
                for j in i..n {
                    if j > i {
                        joined.push(d);
                    }
                    joined.extend_from_slice(sp.field(j).unwrap_or(b""));
                }
                push_field(
                    out,
                    String::from_utf8_lossy(&joined).as_bytes(),
                    self.out_format,
                );
            } else {
                let f = sp.field(i).unwrap_or(b"");
                push_field(out, String::from_utf8_lossy(f).as_bytes(), self.out_format);
            }
        }
    }

    fn screen_jsonl(&self, r: &Record) -> Row {
        let mut row = Row {
            line: r.line,
            ..Row::default()
        };
        let parsed = match r.problem {
            Some(_) => Err(format!(
                "the line is longer than {} bytes; its content was dropped",
                split::MAX_RECORD_BYTES
            )),
            None => serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&r.bytes)
                .map_err(|e| {
                    format!(
                        "not a JSON object ({:?} error at column {})",
                        e.classify(),
                        e.column()
                    )
                }),
        };
        let obj = match parsed {
            Ok(o) => o,
            Err(msg) => {
                row.read_error = true;
                row.error = Some(format!("line {}: {msg}", r.line));
                row.prefix = self.jsonl_error_prefix(r);
                row.jsonl_comma = true;
                return row;
            }
        };
        // Output: the input object as written, minus its closing brace.
        let trimmed = trim_ascii(&r.bytes);
        let inner = trimmed.strip_suffix(b"}").unwrap_or(trimmed);
        if self.out_format == Format::Jsonl {
            row.prefix = inner.to_vec();
            row.jsonl_comma = !obj.is_empty();
        } else {
            push_field(&mut row.prefix, trimmed, self.out_format);
        }
        let get = |names: &[String]| -> Option<String> {
            names.iter().find_map(|k| match obj.get(k) {
                Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {
                    Some(s.trim().to_owned())
                }
                Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                _ => None,
            })
        };
        let address = if self.keys.join_address {
            let parts: Vec<String> = self
                .keys
                .address
                .iter()
                .filter_map(|k| get(std::slice::from_ref(k)))
                .collect();
            parts.join(" ")
        } else {
            get(&self.keys.address).unwrap_or_default()
        };
        let (name, phone, email, time, postal) = (
            get(&self.keys.name),
            get(&self.keys.phone),
            get(&self.keys.email),
            get(&self.keys.time),
            get(&self.keys.postal),
        );
        let buyer = Buyer {
            name: name.as_deref(),
            phone: phone.as_deref(),
            email: email.as_deref(),
        };
        let time = time
            .as_deref()
            .and_then(velocity::parse_time_minutes)
            .or(self.default_time);
        self.finish_row(
            &mut row,
            &address,
            postal.as_deref(),
            &buyer,
            time,
            Vec::new(),
        );
        row
    }

    fn jsonl_error_prefix(&self, r: &Record) -> Vec<u8> {
        let raw = String::from_utf8_lossy(&r.bytes);
        if self.out_format == Format::Jsonl {
            let mut p = format!("{{\"line\":{},\"raw\":", r.line).into_bytes();
            p.extend_from_slice(
                serde_json::to_string(raw.as_ref())
                    .unwrap_or_default()
                    .as_bytes(),
            );
            p
        } else {
            let mut p = Vec::new();
            push_field(&mut p, raw.as_bytes(), self.out_format);
            p
        }
    }

    pub(super) fn finish_row(
        &self,
        row: &mut Row,
        address: &str,
        postal: Option<&str>,
        buyer: &Buyer<'_>,
        time: Option<u32>,
        mut notes: Vec<String>,
    ) {
        let s = self.screener.check_with_postal(address, postal);
        if let Some(e) = &s.error {
            notes.push(format!("address: {e}"));
        }
        let score = self.scorer.score(&s, buyer);
        if self.velocity_on {
            if let Some(a) = s.address.as_ref().filter(|a| a.level >= Level::Block) {
                row.key = Some(self.hashing.point(&a.key));
            }
            row.name = buyer.name.and_then(|n| self.hashing.name(n));
            row.time = time;
        }
        if !notes.is_empty() {
            row.error = Some(format!("line {}: {}", row.line, notes.join("; ")));
        }
        row.screening = Some(s);
        row.score = Some(score);
    }

    /// Step 1: screens a stretch of records (the `first`-th row of the input onwards).
    pub(super) fn screen_rows(&self, records: &[Record], first: u64) -> Screened {
        let mut sp = FieldSplitter::new(self.format.delimiter(), self.format == Format::Csv);
        let mut out = Screened {
            rows: Vec::with_capacity(records.len()),
            observations: Vec::new(),
        };
        for (i, r) in (first..).zip(records) {
            let row = self.screen_record(&mut sp, r);
            if self.velocity_on {
                out.observations.extend(observation(&row, i));
            }
            out.rows.push(row);
        }
        out
    }

    /// Step 2: formats screened rows (`records` are their records, `names` the velocity
    /// count of each, 0 when none) into one buffer in the output encoding, and tallies them.
    pub(super) fn format_rows(&self, rows: Vec<Row>, records: &[Record], names: &[u32]) -> Piece {
        let mut piece = Piece {
            buf: Vec::with_capacity(records.iter().map(|r| r.bytes.len() + VERDICT_BYTES).sum()),
            tally: Summary::default(),
        };
        let mut line = Vec::new();
        for (i, mut row) in rows.into_iter().enumerate() {
            let count = names.get(i).copied().unwrap_or(0);
            if self.velocity_on && count >= self.min_names && count > 0 {
                if let Some(score) = row.score.as_mut() {
                    self.scorer.add_velocity(score, count, self.min_names);
                    row.velocity_hit = true;
                }
            }
            let record = records.get(i).map_or(&[][..], |r| r.bytes.as_slice());
            if self.encoding.is_utf8() {
                self.write_line(&row, record, &mut piece.buf);
            } else {
                line.clear();
                self.write_line(&row, record, &mut line);
                let start = piece.buf.len();
                if !self.encoding.encode_into(&line, &mut piece.buf) {
                    // Some character became 〓: say in which columns, then write it again.
                    piece.buf.truncate(start);
                    self.name_unmappable(&mut row, &line);
                    line.clear();
                    self.write_line(&row, record, &mut line);
                    self.encoding.encode_into(&line, &mut piece.buf);
                    piece.tally.unmappable_rows += 1;
                }
            }
            tally(&mut piece.tally, &row);
        }
        piece
    }

    fn write_line(&self, row: &Row, record: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(if row.verbatim { record } else { &row.prefix });
        self.append_verdict(row, out);
    }

    /// Adds to the row's `error` the columns of its UTF-8 `line` that the output encoding
    /// cannot hold.
    fn name_unmappable(&self, row: &mut Row, line: &[u8]) {
        let columns: Vec<&str> = if self.out_format == Format::Jsonl {
            vec!["(the JSON object)"]
        } else {
            let mut sp =
                FieldSplitter::new(self.out_format.delimiter(), self.out_format == Format::Csv);
            let body = line.strip_suffix(b"\n").unwrap_or(line);
            let n = sp.split(body);
            (0..n)
                .filter(|&i| !self.encoding.can_hold(sp.field(i).unwrap_or(b"")))
                .map(|i| self.out_header.get(i).map_or("?", String::as_str))
                .collect()
        };
        let note = format!(
            "characters {} cannot hold written as {} in column {}",
            self.encoding.name(),
            super::encode::STAND_IN,
            columns.join(", ")
        );
        row.error = Some(match row.error.take() {
            Some(e) => format!("{e}; {note}"),
            None => format!("line {}: {note}", row.line),
        });
    }

    /// The verdict columns of a row and the line break, appended to `out`.
    fn append_verdict(&self, row: &Row, out: &mut Vec<u8>) {
        let screening = row.screening.as_ref();
        let normalized = screening
            .and_then(|s| s.address.as_ref())
            .map(|a| a.normalized_text());
        let verdict = Verdict {
            grade: screening.and_then(|s| s.fraud.grade).map(Grade::as_str),
            forwarder: screening.and_then(|s| s.forwarder.grade).map(Grade::as_str),
            score: row.score.as_ref(),
            normalized: normalized.as_deref(),
            error: row.error.as_deref(),
        };
        append_verdict(&verdict, self.out_format, row.jsonl_comma, out);
    }
}

/// A row's velocity observation: it has a delivery point and a buyer name.
pub(super) fn observation(row: &Row, index: u64) -> Option<Observation> {
    Some(Observation {
        index,
        key: row.key?,
        name: row.name?,
        time: row.time,
    })
}

/// Counts a formatted row into the summary.
fn tally(s: &mut Summary, row: &Row) {
    s.rows += 1;
    if row.read_error {
        s.read_errors += 1;
        return;
    }
    let sc = row.screening.as_ref();
    if let Some(sc) = sc {
        if sc.address.is_none() {
            s.address_errors += 1;
        }
        s.fraud[match sc.fraud.grade {
            Some(Grade::Danger) => 1,
            Some(Grade::Caution) => 2,
            Some(Grade::Warning) => 3,
            _ => 0,
        }] += 1;
        s.forwarder[match sc.forwarder.grade {
            Some(Grade::ForwardingService) => 1,
            Some(Grade::Possible) => 2,
            _ => 0,
        }] += 1;
    }
    if let Some(score) = &row.score {
        s.levels[score.level as usize] += 1;
        if score.alert {
            s.alerts += 1;
        }
    }
    if row.velocity_hit {
        s.velocity += 1;
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    b.get(start..end).unwrap_or(&[])
}
