//! `--resume`: how far an earlier run got, read from its output file.
//!
//! The output is written in whole rows, one chunk at a time, so an interrupted run (Ctrl-C)
//! leaves complete rows; a killed one may leave half a row at the end. This module counts the
//! complete rows — each must end with a line break and have the full column count (CSV/TSV)
//! or be a JSON object (JSONL) — and the byte offset where they end; the caller cuts the file
//! there and skips that many input records. Rows are cut by the same [`RecordReader`] as the
//! input (one definition of a record, see [`super::split`]). The header must be the one this
//! run would write, byte for byte in the output's encoding, so a different input, column set
//! or output encoding is refused rather than mixed in.

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

/// Reads an existing output. `header` is the header row this run writes, as its fields' bytes
/// in the output encoding (CSV/TSV; `None` for JSONL). An empty file gives `None`: start
/// afresh.
pub fn scan(
    path: &Path,
    format: Format,
    header: Option<&[Vec<u8>]>,
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
            scan_delimited(BufReader::new(file), format, Some(want)).map(Some)
        }
    }
}

/// Counts the complete rows of an output held in memory (or any reader). `header`: the
/// fields the header row must have (`None`: whatever header it has, which sets the width).
/// What the fuzz checks use to hold the pipeline and `--resume` to one count.
pub fn scan_reader(
    r: impl Read,
    format: Format,
    header: Option<&[Vec<u8>]>,
) -> Result<Progress, BulkError> {
    match format {
        Format::Jsonl => scan_jsonl(BufReader::new(r))
            .map_err(|e| BulkError::Resume(format!("reading the existing output: {e}"))),
        Format::Csv | Format::Tsv => scan_delimited(r, format, header),
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

fn scan_delimited(
    r: impl Read,
    format: Format,
    header: Option<&[Vec<u8>]>,
) -> Result<Progress, BulkError> {
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
    let same = header.is_none_or(|want| {
        want.len() == n && (0..n).all(|i| sp.field(i) == want.get(i).map(Vec::as_slice))
    });
    if !first.terminated || first.problem.is_some() || !same {
        return Err(BulkError::Resume(
            "the existing output's header differs from this run's (another input, format or \
             column set?); remove it or write elsewhere"
                .into(),
        ));
    }
    let width = n;
    let mut p = Progress {
        rows: 0,
        end: first.consumed,
    };
    while let Some(rec) = records.next_record().map_err(io)? {
        if rec.problem.is_some() || !rec.terminated || sp.split(&rec.bytes) != width {
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

    fn h() -> Option<Vec<Vec<u8>>> {
        Some(vec![b"a".to_vec(), b"b".to_vec()])
    }

    #[test]
    fn counts_complete_rows_only() {
        let data = "a,b\n1,2\n\"x\ny\",3\n4,";
        let p = scan_delimited(data.as_bytes(), Format::Csv, h().as_deref()).unwrap();
        assert_eq!(p.rows, 2);
        assert_eq!(p.end, "a,b\n1,2\n\"x\ny\",3\n".len() as u64);
        let p = scan_delimited("a,b\n1,2\n3".as_bytes(), Format::Csv, h().as_deref()).unwrap();
        assert_eq!((p.rows, p.end), (1, 8));
        let p = scan_delimited("a,b\n1,2\n3,4".as_bytes(), Format::Csv, h().as_deref()).unwrap();
        assert_eq!((p.rows, p.end), (1, 8), "no final newline: maybe cut");
        let p = scan_delimited("a,b\n1,2\n3,4\n".as_bytes(), Format::Csv, h().as_deref()).unwrap();
        assert_eq!((p.rows, p.end), (2, 12));
    }

    #[test]
    fn other_header_is_refused() {
        assert!(scan_delimited("a,c\n1,2\n".as_bytes(), Format::Csv, h().as_deref()).is_err());
    }

    #[test]
    fn jsonl_stops_at_a_cut_line() {
        let p = scan_jsonl("{\"a\":1}\n{\"a\":2}\n{\"a\":".as_bytes()).unwrap();
        assert_eq!((p.rows, p.end), (2, 16));
    }
}
