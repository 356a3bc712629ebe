//! Cutting an input file into records, and records into fields, without ever losing a row.
//!
//! A record is one physical line, except in CSV where a quoted field may hold line breaks.
//! A quote left open would otherwise swallow the rest of the file into one field, so a CSV
//! line with an odd number of `"` is joined with the following lines only while the result
//! stays within [`MAX_JOIN_LINES`] lines and [`MAX_RECORD_BYTES`] bytes, closes its quote and
//! has exactly the header's number of fields; otherwise the first line alone becomes a
//! malformed record ([`Problem::UnterminatedQuote`]) and reading goes on at the next line.
//! A line longer than [`MAX_RECORD_BYTES`] is skipped to its end and reported
//! ([`Problem::TooLong`]): memory stays bounded whatever the input.
//!
//! The cut is deterministic: the same input gives the same records, which `--resume` relies
//! on to skip the rows an earlier run wrote.

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

/// Cuts an input into records (see the module documentation).
pub struct RecordReader<R> {
    lines: LineReader<R>,
    pending: VecDeque<(Line, u64)>,
    /// CSV: join lines while a quote is open.
    join_quotes: bool,
    /// Fields a joined record must have (0: any, while reading the header).
    pub expected_fields: usize,
    splitter: FieldSplitter,
}

impl<R: BufRead> RecordReader<R> {
    /// A reader; `join_quotes` for CSV, with the delimiter used to count fields.
    pub fn new(inner: R, join_quotes: bool, delimiter: u8) -> Self {
        RecordReader {
            lines: LineReader::new(inner),
            pending: VecDeque::new(),
            join_quotes,
            expected_fields: 0,
            splitter: FieldSplitter::new(delimiter, join_quotes),
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
        if !self.join_quotes || quotes(&first.bytes).is_multiple_of(2) {
            return Ok(Some(Record {
                line: first.number,
                bytes: first.bytes,
                consumed,
                problem: None,
                terminated: first.terminated,
            }));
        }
        // An open quote: try to close it on the following lines.
        let mut taken: Vec<(Line, u64)> = Vec::new();
        let mut joined = first.bytes.clone();
        let mut parity = 1usize;
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
            parity += quotes(&next.bytes);
            taken.push((next, c));
            if parity.is_multiple_of(2) {
                closed = true;
                break;
            }
        }
        if closed
            && (self.expected_fields == 0 || self.splitter.split(&joined) == self.expected_fields)
        {
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
        // Not a multi-line record: the first line alone is malformed; re-read the others.
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

fn quotes(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'"').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(input: &str, expected: usize) -> Vec<Record> {
        let mut r = RecordReader::new(input.as_bytes(), true, b',');
        r.expected_fields = expected;
        let mut out = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            out.push(rec);
        }
        out
    }

    #[test]
    fn multi_line_quoted_field_is_one_record() {
        let r = records("a,\"b\nc\",d\ne,f,g\n", 3);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].bytes, b"a,\"b\nc\",d");
        assert_eq!(r[0].problem, None);
        assert_eq!(r[1].line, 3);
    }

    #[test]
    fn unterminated_quote_costs_one_line_only() {
        let r = records("a,\"b,c\nd,e,f\ng,h,i\n", 3);
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].problem, Some(Problem::UnterminatedQuote));
        assert_eq!(r[1].bytes, b"d,e,f");
        assert_eq!(r[1].line, 2);
        assert_eq!(r[2].line, 3);
        // Two broken lines that would close each other's quote but give the wrong width.
        let r = records("a,\"b\nc,\"d\ne,f,g\n", 3);
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].problem, Some(Problem::UnterminatedQuote));
        assert_eq!(r[1].problem, Some(Problem::UnterminatedQuote));
        assert_eq!(r[2].problem, None);
    }

    #[test]
    fn crlf_bom_and_no_final_newline() {
        let r = records("\u{feff}h1,h2\r\nx,y", 0);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].bytes, b"h1,h2");
        assert_eq!(r[1].bytes, b"x,y");
        assert_eq!(r.iter().map(|x| x.consumed).sum::<u64>(), 13);
        assert!(r[0].terminated && !r[1].terminated);
    }

    #[test]
    fn overlong_line_is_reported_not_kept() {
        let long = "x".repeat(MAX_RECORD_BYTES + 10);
        let r = records(&format!("a,b\n{long}\nc,d\n"), 2);
        assert_eq!(r.len(), 3);
        assert_eq!(r[1].problem, Some(Problem::TooLong));
        assert!(r[1].bytes.is_empty());
        assert_eq!(r[2].bytes, b"c,d");
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
