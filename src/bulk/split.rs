//! Cutting an input file into records, and records into fields, without ever losing a row.
//!
//! # What a record is — one definition
//!
//! The pipeline, `--resume` (which re-reads the output) and the fuzz checks all cut records
//! with [`RecordReader`], and the cut depends on the bytes alone — never on the header's
//! width or anything else learnt while reading:
//!
//! * TSV and JSONL: a record is one physical line.
//! * CSV: RFC 4180, as Excel and the `csv` crate read it (and as [`FieldSplitter`] splits it):
//!   a field is quoted when its first byte is `"`; inside it a line break is content and `""`
//!   is a quote; the field ends at a `"` not followed by `"`. A `"` elsewhere in a field is an
//!   ordinary character. A record ends at the first line break outside a quoted field, so
//!   `"\n\n"` is one record of one field, whatever the header says (the row then gets its
//!   `error`: one field where the header has more).
//!
//! Issue 13 found the two readings disagreeing: records were joined over lines only when the
//! join gave the header's number of fields, so the same bytes were one record to a reader that
//! knew the header and three to one that did not; `--resume` reads the output with another
//! width than the input, so it could skip or repeat rows. RFC 4180 is the reading that the
//! programs producing and opening these files share, and it needs no context: that is the one
//! kept.
//!
//! Memory stays bounded whatever the input: a quoted field that is still open after
//! [`MAX_JOIN_LINES`] lines or [`MAX_RECORD_BYTES`] bytes, or at the end of the input, is not
//! a record — the first line alone becomes a malformed record ([`Problem::UnterminatedQuote`])
//! and reading goes on at the next line (a stray quote costs one row, not the rest of the
//! file). A line longer than [`MAX_RECORD_BYTES`] is skipped to its end and reported
//! ([`Problem::TooLong`]).
//!
//! The cut is deterministic: the same bytes give the same records, which `--resume` relies on
//! to skip the rows an earlier run wrote.

use std::collections::VecDeque;
use std::io::{self, BufRead};

/// Longest record kept, in bytes (a 100 kB field fits; a runaway line does not).
pub const MAX_RECORD_BYTES: usize = 1 << 20;
/// Most physical lines one CSV record may span.
pub const MAX_JOIN_LINES: usize = 64;

/// Why a record could not be read as a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// A quote opened on this line is never closed (within the limits above).
    UnterminatedQuote,
    /// The line is longer than [`MAX_RECORD_BYTES`]; its content was dropped.
    TooLong,
}

/// One physical line: its number (1-based) and bytes without the line break.
#[derive(Debug, Clone)]
struct Line {
    number: u64,
    bytes: Vec<u8>,
    too_long: bool,
    terminated: bool,
}

/// One record: the line it starts on, its bytes (lines joined with `\n`), how many bytes of
/// the input it took, and what was wrong with it.
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// 1-based line number where the record starts.
    pub line: u64,
    /// The record's bytes, without the final line break.
    pub bytes: Vec<u8>,
    /// Input bytes consumed (for progress).
    pub consumed: u64,
    /// Set when the record is malformed.
    pub problem: Option<Problem>,
    /// True when the record's last line ended with a line break (false only at the very end
    /// of an input that has no final line break).
    pub terminated: bool,
}

/// Reads physical lines with a length cap.
struct LineReader<R> {
    inner: R,
    next_number: u64,
    first: bool,
}

impl<R: BufRead> LineReader<R> {
    fn new(inner: R) -> Self {
        LineReader {
            inner,
            next_number: 1,
            first: true,
        }
    }

    /// The next line, `None` at the end of input. Returns the bytes consumed too.
    fn next_line(&mut self) -> io::Result<Option<(Line, u64)>> {
        let mut bytes = Vec::new();
        let mut consumed = 0u64;
        let mut too_long = false;
        let mut saw_any = false;
        let mut terminated = false;
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                break;
            }
            saw_any = true;
            let (take, done) = match memchr_newline(buf) {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            let content = &buf[..if done { take - 1 } else { take }];
            if !too_long {
                if bytes.len() + content.len() > MAX_RECORD_BYTES {
                    too_long = true;
                    bytes = Vec::new();
                } else {
                    bytes.extend_from_slice(content);
                }
            }
            self.inner.consume(take);
            consumed += take as u64;
            if done {
                terminated = true;
                break;
            }
        }
        if !saw_any {
            return Ok(None);
        }
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        if self.first {
            self.first = false;
            if bytes.starts_with(b"\xEF\xBB\xBF") {
                bytes.drain(..3);
            }
        }
        let number = self.next_number;
        self.next_number += 1;
        Ok(Some((
            Line {
                number,
                bytes,
                too_long,
                terminated,
            },
            consumed,
        )))
    }
}

fn memchr_newline(buf: &[u8]) -> Option<usize> {
    buf.iter().position(|&b| b == b'\n')
}

/// Splits records into fields (CSV with quotes, or TSV without), reusing its buffers.
#[derive(Debug)]
pub struct FieldSplitter {
    rdr: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    n: usize,
}

impl FieldSplitter {
    /// A splitter for `delimiter`; `quoting` is false for TSV.
    pub fn new(delimiter: u8, quoting: bool) -> Self {
        let rdr = csv_core::ReaderBuilder::new()
            .delimiter(delimiter)
            .quoting(quoting)
            .terminator(csv_core::Terminator::Any(b'\n'))
            .build();
        FieldSplitter {
            rdr,
            out: Vec::new(),
            ends: vec![0; 32],
            n: 0,
        }
    }

    /// Splits one record (no final line break); returns the number of fields.
    pub fn split(&mut self, record: &[u8]) -> usize {
        use csv_core::ReadRecordResult as R;
        self.rdr.reset();
        self.out.clear();
        self.out.resize(record.len() + 8, 0);
        let mut input = record;
        let (mut nout, mut nends) = (0usize, 0usize);
        loop {
            let (res, i, o, e) =
                self.rdr
                    .read_record(input, &mut self.out[nout..], &mut self.ends[nends..]);
            input = &input[i..];
            nout += o;
            nends += e;
            match res {
                R::InputEmpty => {}
                R::OutputFull => {
                    let len = self.out.len();
                    self.out.resize(len * 2 + 8, 0);
                }
                R::OutputEndsFull => {
                    let len = self.ends.len();
                    self.ends.resize(len * 2, 0);
                }
                R::Record | R::End => break,
            }
        }
        self.n = nends;
        nends
    }

    /// Field `i` of the last split record, as bytes.
    pub fn field(&self, i: usize) -> Option<&[u8]> {
        if i >= self.n {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.out.get(start..self.ends[i])
    }

    /// Number of fields of the last split record.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True when the last split record had no field.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
}

/// Where a CSV record stands after some of its bytes: the quoting state of RFC 4180.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    /// At the start of a field.
    FieldStart,
    /// In a field that did not start with a quote (quotes are plain characters).
    Unquoted,
    /// In a quoted field: delimiters and line breaks are content.
    Quoted,
    /// In a quoted field, just after a quote: `"` makes it an escaped quote, anything else
    /// closes the field.
    QuoteInQuoted,
}

impl Quoting {
    /// The state after `bytes` (a line without its line break).
    fn after(mut self, bytes: &[u8], delimiter: u8) -> Quoting {
        use Quoting::*;
        if self != Quoted && !bytes.contains(&b'"') {
            // No quote: the line cannot open a quoted field.
            return Unquoted;
        }
        for &b in bytes {
            self = match (self, b) {
                (FieldStart, b'"') => Quoted,
                (FieldStart | Unquoted | QuoteInQuoted, d) if d == delimiter => FieldStart,
                (FieldStart | Unquoted, _) => Unquoted,
                (Quoted, b'"') => QuoteInQuoted,
                (Quoted, _) => Quoted,
                (QuoteInQuoted, b'"') => Quoted,
                (QuoteInQuoted, _) => Unquoted,
            };
        }
        self
    }
}

/// Cuts an input into records (see the module documentation).
pub struct RecordReader<R> {
    lines: LineReader<R>,
    pending: VecDeque<(Line, u64)>,
    /// CSV: a quoted field may span lines.
    quoting: bool,
    delimiter: u8,
}

impl<R: BufRead> RecordReader<R> {
    /// A reader; `quoting` for CSV (quoted fields may hold line breaks), with its delimiter.
    pub fn new(inner: R, quoting: bool, delimiter: u8) -> Self {
        RecordReader {
            lines: LineReader::new(inner),
            pending: VecDeque::new(),
            quoting,
            delimiter,
        }
    }

    fn line(&mut self) -> io::Result<Option<(Line, u64)>> {
        match self.pending.pop_front() {
            Some(l) => Ok(Some(l)),
            None => self.lines.next_line(),
        }
    }

    /// The next record, `None` at the end of input.
    pub fn next_record(&mut self) -> io::Result<Option<Record>> {
        let Some((first, consumed)) = self.line()? else {
            return Ok(None);
        };
        if first.too_long {
            return Ok(Some(Record {
                line: first.number,
                bytes: Vec::new(),
                consumed,
                problem: Some(Problem::TooLong),
                terminated: first.terminated,
            }));
        }
        let mut state = if self.quoting {
            Quoting::FieldStart.after(&first.bytes, self.delimiter)
        } else {
            Quoting::Unquoted
        };
        if state != Quoting::Quoted {
            return Ok(Some(Record {
                line: first.number,
                bytes: first.bytes,
                consumed,
                problem: None,
                terminated: first.terminated,
            }));
        }
        // A quoted field is open at the line break: the record goes on until it closes.
        let mut taken: Vec<(Line, u64)> = Vec::new();
        let mut joined = first.bytes.clone();
        let mut closed = false;
        while taken.len() + 1 < MAX_JOIN_LINES {
            let Some((next, c)) = self.line()? else {
                break;
            };
            if next.too_long || joined.len() + 1 + next.bytes.len() > MAX_RECORD_BYTES {
                taken.push((next, c));
                break;
            }
            joined.push(b'\n');
            joined.extend_from_slice(&next.bytes);
            state = state.after(&next.bytes, self.delimiter);
            taken.push((next, c));
            if state != Quoting::Quoted {
                closed = true;
                break;
            }
        }
        if closed {
            let consumed = consumed + taken.iter().map(|(_, c)| c).sum::<u64>();
            let terminated = taken.last().is_none_or(|(l, _)| l.terminated);
            return Ok(Some(Record {
                line: first.number,
                bytes: joined,
                consumed,
                problem: None,
                terminated,
            }));
        }
        // Never closed within the limits: the first line alone is malformed; re-read the
        // others.
        for t in taken.into_iter().rev() {
            self.pending.push_front(t);
        }
        Ok(Some(Record {
            line: first.number,
            bytes: first.bytes,
            consumed,
            problem: Some(Problem::UnterminatedQuote),
            terminated: first.terminated,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(input: &str) -> Vec<Record> {
        records_of(input.as_bytes())
    }

    fn records_of(input: &[u8]) -> Vec<Record> {
        let mut r = RecordReader::new(input, true, b',');
        let mut out = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            out.push(rec);
        }
        out
    }

    #[test]
    fn multi_line_quoted_field_is_one_record() {
        let r = records("a,\"b\nc\",d\ne,f,g\n");
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].bytes, b"a,\"b\nc\",d");
        assert_eq!(r[0].problem, None);
        assert_eq!(r[1].line, 3);
    }

    #[test]
    fn issue_13_fuzz_finding_is_one_record_whatever_the_header() {
        // `,address` then `"\n\n"`: RFC 4180 reads one field over three lines.
        let r = records(",address\n\"\n\n\"");
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].bytes, b"\"\n\n\"");
        assert_eq!(r[1].problem, None);
        assert!(!r[1].terminated);
        let mut sp = FieldSplitter::new(b',', true);
        assert_eq!(sp.split(&r[1].bytes), 1);
        assert_eq!(sp.field(0), Some(&b"\n\n"[..]));
    }

    #[test]
    fn quotes_inside_an_unquoted_field_are_characters() {
        let r = records("a,b\"c,d\ne,f,g\n");
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].problem, None);
        // A quoted field closed and followed by more text, then a quote: still closed.
        let r = records("\"a\"b\",c\nd\n");
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].bytes, b"\"a\"b\",c");
    }

    #[test]
    fn unterminated_quote_costs_one_line_only() {
        let r = records("a,\"b,c\nd,e,f\ng,h,i\n");
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].problem, Some(Problem::UnterminatedQuote));
        assert_eq!(r[1].bytes, b"d,e,f");
        assert_eq!(r[1].line, 2);
        assert_eq!(r[2].line, 3);
        // Two lines that close each other's quote are one record, whatever its width.
        let r = records("a,\"b\nc,\"d\ne,f,g\n");
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].problem, None);
        assert_eq!(r[0].bytes, b"a,\"b\nc,\"d");
        // A quote still open after MAX_JOIN_LINES lines.
        let tail = "x\n".repeat(MAX_JOIN_LINES + 1);
        let r = records(&format!("\"open\n{tail}"));
        assert_eq!(r.len(), MAX_JOIN_LINES + 2);
        assert_eq!(r[0].problem, Some(Problem::UnterminatedQuote));
        assert!(r[1..].iter().all(|x| x.problem.is_none()));
    }

    #[test]
    fn crlf_bom_and_no_final_newline() {
        let r = records("\u{feff}h1,h2\r\nx,y");
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].bytes, b"h1,h2");
        assert_eq!(r[1].bytes, b"x,y");
        assert_eq!(r.iter().map(|x| x.consumed).sum::<u64>(), 13);
        assert!(r[0].terminated && !r[1].terminated);
    }

    #[test]
    fn overlong_line_is_reported_not_kept() {
        let long = "x".repeat(MAX_RECORD_BYTES + 10);
        let r = records(&format!("a,b\n{long}\nc,d\n"));
        assert_eq!(r.len(), 3);
        assert_eq!(r[1].problem, Some(Problem::TooLong));
        assert!(r[1].bytes.is_empty());
        assert_eq!(r[2].bytes, b"c,d");
    }

    /// Records csv_core finds in `input` (it skips empty lines).
    fn csv_core_records(input: &[u8]) -> usize {
        use csv_core::ReadRecordResult as R;
        let mut rdr = csv_core::ReaderBuilder::new()
            .terminator(csv_core::Terminator::Any(b'\n'))
            .build();
        let (mut out, mut ends) = (
            vec![0u8; input.len() * 2 + 16],
            vec![0usize; input.len() + 4],
        );
        let (mut input, mut n) = (input, 0);
        loop {
            let (res, i, _, _) = rdr.read_record(input, &mut out, &mut ends);
            input = &input[i..];
            match res {
                R::Record => n += 1,
                R::End => return n,
                R::InputEmpty | R::OutputFull | R::OutputEndsFull => {}
            }
        }
    }

    #[test]
    fn records_agree_with_csv_core() {
        // Every input over a small alphabet, up to 7 bytes: where no quote is left open, the
        // non-empty records are exactly the ones csv_core reads.
        let alphabet = [b'a', b',', b'"', b'\n'];
        for len in 0..=7u32 {
            for code in 0..4usize.pow(len) {
                let input: Vec<u8> = (0..len)
                    .map(|i| alphabet[code / 4usize.pow(i) % 4])
                    .collect();
                let ours = records_of(&input);
                if ours.iter().any(|r| r.problem.is_some()) {
                    continue;
                }
                let non_empty = ours.iter().filter(|r| !r.bytes.is_empty()).count();
                assert_eq!(non_empty, csv_core_records(&input), "{input:?}");
            }
        }
    }

    #[test]
    fn fields_are_unquoted() {
        let mut s = FieldSplitter::new(b',', true);
        assert_eq!(s.split(b"a,\"b,\"\"c\"\"\",,d"), 4);
        assert_eq!(s.field(1), Some(&b"b,\"c\""[..]));
        assert_eq!(s.field(2), Some(&b""[..]));
        assert_eq!(s.field(4), None);
        let mut t = FieldSplitter::new(b'\t', false);
        assert_eq!(t.split(b"a\t\"b\tc"), 3);
        assert_eq!(t.field(1), Some(&b"\"b"[..]));
    }
}
