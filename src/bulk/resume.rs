//! `--resume`: how far an earlier run got, read from its output file.
//!
//! The output is written in whole rows, one chunk at a time, so an interrupted run (Ctrl-C)
//! leaves complete rows; a killed one may leave half a row at the end. This module counts the
//! complete rows — each must end with a line break and have the full column count (CSV/TSV)
//! or be a JSON object (JSONL) — and the byte offset where they end; the caller cuts the file
//! there and skips that many input records. The header must be the one this run would write,
//! so a different input or column set is refused rather than mixed in.

use super::split::{FieldSplitter, RecordReader};
use super::Format;
use crate::error::BulkError;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// What an existing output holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Complete data rows (the header not counted).
    pub rows: u64,
    /// Byte offset just after the last complete row (or the header).
    pub end: u64,
}

/// Reads an existing output. `header` is the header row this run writes (CSV/TSV; `None`
/// for JSONL). An empty file gives `None`: start afresh.
pub fn scan(
    path: &Path,
    format: Format,
    header: Option<&[String]>,
) -> Result<Option<Progress>, BulkError> {
    let io = |source| BulkError::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    if file.metadata().map_err(io)?.len() == 0 {
        return Ok(None);
    }
    match format {
        Format::Jsonl => scan_jsonl(BufReader::new(file)).map(Some).map_err(io),
        Format::Csv | Format::Tsv => {
            let want = header.unwrap_or(&[]);
            scan_delimited(BufReader::new(file), format, want).map(Some)
        }
    }
}

fn scan_jsonl(mut r: impl BufRead) -> std::io::Result<Progress> {
    let mut p = Progress { rows: 0, end: 0 };
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = r.read_until(b'\n', &mut line)?;
        if n == 0 || line.last() != Some(&b'\n') {
            break;
        }
        let ok =
            serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&line).is_ok();
        if !ok {
            break;
        }
        p.rows += 1;
        p.end += n as u64;
    }
    Ok(p)
}

fn scan_delimited(r: impl Read, format: Format, header: &[String]) -> Result<Progress, BulkError> {
    let csv = format == Format::Csv;
    let mut records = RecordReader::new(BufReader::new(r), csv, format.delimiter());
    let mut sp = FieldSplitter::new(format.delimiter(), csv);
    let io = |e: std::io::Error| BulkError::Resume(format!("reading the existing output: {e}"));
    let Some(first) = records.next_record().map_err(io)? else {
        return Err(BulkError::Resume(
            "the existing output has no complete header row".into(),
        ));
    };
    let n = sp.split(&first.bytes);
    let got: Vec<String> = (0..n)
        .map(|i| String::from_utf8_lossy(sp.field(i).unwrap_or(b"")).into_owned())
        .collect();
    if !first.terminated || first.problem.is_some() || got != header {
        return Err(BulkError::Resume(
            "the existing output's header differs from this run's (another input, format or \
             column set?); remove it or write elsewhere"
                .into(),
        ));
    }
    records.expected_fields = header.len();
    let mut p = Progress {
        rows: 0,
        end: first.consumed,
    };
    while let Some(rec) = records.next_record().map_err(io)? {
        if rec.problem.is_some() || !rec.terminated || sp.split(&rec.bytes) != header.len() {
            break;
        }
        p.rows += 1;
        p.end += rec.consumed;
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h() -> Vec<String> {
        ["a", "b"].iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn counts_complete_rows_only() {
        let data = "a,b\n1,2\n\"x\ny\",3\n4,";
        let p = scan_delimited(data.as_bytes(), Format::Csv, &h()).unwrap();
        assert_eq!(p.rows, 2);
        assert_eq!(p.end, "a,b\n1,2\n\"x\ny\",3\n".len() as u64);
        let p = scan_delimited("a,b\n1,2\n3".as_bytes(), Format::Csv, &h()).unwrap();
        assert_eq!((p.rows, p.end), (1, 8));
        let p = scan_delimited("a,b\n1,2\n3,4".as_bytes(), Format::Csv, &h()).unwrap();
        assert_eq!((p.rows, p.end), (1, 8), "no final newline: maybe cut");
        let p = scan_delimited("a,b\n1,2\n3,4\n".as_bytes(), Format::Csv, &h()).unwrap();
        assert_eq!((p.rows, p.end), (2, 12));
    }

    #[test]
    fn other_header_is_refused() {
        assert!(scan_delimited("a,c\n1,2\n".as_bytes(), Format::Csv, &h()).is_err());
    }

    #[test]
    fn jsonl_stops_at_a_cut_line() {
        let p = scan_jsonl("{\"a\":1}\n{\"a\":2}\n{\"a\":".as_bytes()).unwrap();
        assert_eq!((p.rows, p.end), (2, 16));
    }
}
