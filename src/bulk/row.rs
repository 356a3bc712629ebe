//! One record's work on a worker thread: cut its fields, screen and score its address, write
//! its output line (input columns kept, verdict columns added) and keep the small [`Mark`]
//! the finisher needs (velocity inputs, what the summary counts). The parse, grades and score
//! are dropped here, on the thread that made them.

use super::columns::{Keys, Resolved};
use super::format::{append_verdict, push_field, Format, Verdict, VERDICT_BYTES};
use super::split::{self, FieldSplitter, Problem, Record};
use super::velocity;
use crate::address::Level;
use crate::score::{Buyer, Score, Scorer};
use crate::screen::{Screener, Screening};
use crate::watchlist::Grade;

/// One row after screening, before formatting.
#[derive(Debug, Default)]
pub(super) struct Row {
    /// Output bytes of the input columns (CSV/TSV: fields and delimiters; JSONL: the object
    /// without its closing brace).
    pub(super) prefix: Vec<u8>,
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
    pub(super) cols: Resolved,
    pub(super) keys: Keys,
    pub(super) velocity_on: bool,
    pub(super) min_names: u32,
}

/// What the finisher keeps of a screened row: its velocity inputs and what the summary counts.
/// (The row itself — parse, grades, score — is dropped on the worker that made it.)
#[derive(Debug, Clone, Copy)]
pub(super) struct Mark {
    /// Offset of the row's line in its piece's buffer.
    pub(super) start: usize,
    pub(super) key: Option<u64>,
    pub(super) name: Option<u32>,
    pub(super) time: Option<u32>,
    pub(super) read_error: bool,
    pub(super) screened: bool,
    pub(super) address_error: bool,
    pub(super) fraud: Option<Grade>,
    pub(super) forwarder: Option<Grade>,
    pub(super) level: Option<usize>,
    pub(super) alert: bool,
    pub(super) velocity_hit: bool,
}

impl Mark {
    fn of(row: &Row, start: usize) -> Mark {
        let sc = row.screening.as_ref();
        Mark {
            start,
            key: row.key,
            name: row.name,
            time: row.time,
            read_error: row.read_error,
            screened: sc.is_some(),
            address_error: sc.is_some_and(|s| s.address.is_none()),
            fraud: sc.and_then(|s| s.fraud.grade),
            forwarder: sc.and_then(|s| s.forwarder.grade),
            level: row.score.as_ref().map(|s| s.level as usize),
            alert: row.score.as_ref().is_some_and(|s| s.alert),
            velocity_hit: row.velocity_hit,
        }
    }
}

/// Screened rows of one stretch of a chunk: their output lines back to back, and a mark each.
pub(super) struct Piece {
    pub(super) buf: Vec<u8>,
    pub(super) marks: Vec<Mark>,
}

impl Piece {
    /// Replaces row `i`'s line with `line` and its mark with `mark`.
    pub(super) fn splice(&mut self, i: usize, line: &[u8], mut mark: Mark) {
        let start = self.marks[i].start;
        let end = self.marks.get(i + 1).map_or(self.buf.len(), |m| m.start);
        self.buf.splice(start..end, line.iter().copied());
        mark.start = start;
        self.marks[i] = mark;
        let shift = line.len() as isize - (end - start) as isize;
        for m in &mut self.marks[i + 1..] {
            m.start = (m.start as isize + shift) as usize;
        }
    }
}

/// Field text of a row, when valid UTF-8 and not empty.
fn text(b: Option<&[u8]>) -> Option<&str> {
    b.and_then(|b| std::str::from_utf8(b).ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

impl Ctx<'_> {
    /// Parses just enough of a record for velocity (resume replay).
    pub(super) fn velocity_inputs(&self, r: &Record) -> Row {
        let mut sp = FieldSplitter::new(self.format.delimiter(), self.format == Format::Csv);
        let row = self.screen_record(&mut sp, r);
        Row {
            key: row.key,
            name: row.name,
            time: row.time,
            ..Row::default()
        }
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
            row.prefix = r.bytes.clone();
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
        let time = field(self.cols.time).and_then(velocity::parse_time_minutes);
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
        let time = time.as_deref().and_then(velocity::parse_time_minutes);
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

    fn finish_row(
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
                row.key = Some(velocity::stable_hash(&a.key));
            }
            row.name = buyer.name.and_then(velocity::name_hash);
            row.time = time;
        }
        if !notes.is_empty() {
            row.error = Some(format!("line {}: {}", row.line, notes.join("; ")));
        }
        row.screening = Some(s);
        row.score = Some(score);
    }

    /// Screens and formats a stretch of records into one buffer (one allocation for all
    /// their lines), with a mark per row.
    pub(super) fn screen_piece(&self, records: &[Record]) -> Piece {
        let mut sp = FieldSplitter::new(self.format.delimiter(), self.format == Format::Csv);
        let mut piece = Piece {
            buf: Vec::with_capacity(records.iter().map(|r| r.bytes.len() + VERDICT_BYTES).sum()),
            marks: Vec::with_capacity(records.len()),
        };
        for r in records {
            let row = self.screen_record(&mut sp, r);
            let start = piece.buf.len();
            piece.buf.extend_from_slice(&row.prefix);
            self.append_verdict(&row, &mut piece.buf);
            piece.marks.push(Mark::of(&row, start));
        }
        piece
    }

    /// A row that velocity raised: screened again from its record, with the velocity reason
    /// added; its output line and mark.
    pub(super) fn raise_velocity(&self, record: &Record, names: u32) -> (Vec<u8>, Mark) {
        let mut sp = FieldSplitter::new(self.format.delimiter(), self.format == Format::Csv);
        let mut row = self.screen_record(&mut sp, record);
        if let Some(score) = row.score.as_mut() {
            self.scorer.add_velocity(score, names, self.min_names);
            row.velocity_hit = true;
        }
        let mut line = std::mem::take(&mut row.prefix);
        self.append_verdict(&row, &mut line);
        let mark = Mark::of(&row, 0);
        (line, mark)
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
