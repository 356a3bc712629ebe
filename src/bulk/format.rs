//! The three formats bulk mode reads and writes — CSV, TSV, JSONL — and how a row's verdict
//! columns are written in each: field quoting, the header line, the added columns.
//!
//! Byte-level and allocation-free where it runs per row (a score is written from a stack
//! buffer, reason codes straight into the line); knows nothing of screening or the pipeline.

use crate::score::Score;
use std::path::Path;

/// Columns appended to every row, in this order.
pub const ADDED_COLUMNS: [&str; 7] = [
    "grade",
    "forwarder",
    "score",
    "level",
    "reasons",
    "normalized",
    "error",
];

/// Input and output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated, RFC 4180 quoting.
    Csv,
    /// Tab-separated, no quoting.
    Tsv,
    /// One JSON object per line.
    Jsonl,
}

impl Format {
    /// From a file extension: `.csv`, `.tsv`/`.tab`, `.jsonl`/`.ndjson`.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "tsv" | "tab" => Some(Format::Tsv),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            _ => None,
        }
    }

    /// The field delimiter (CSV/TSV).
    pub fn delimiter(self) -> u8 {
        match self {
            Format::Tsv => b'\t',
            _ => b',',
        }
    }

    /// `csv`, `tsv` or `jsonl`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Jsonl => "jsonl",
        }
    }
}

/// The added columns of one row, borrowed from its screening and score.
#[derive(Debug, Default)]
pub(super) struct Verdict<'a> {
    pub(super) grade: Option<&'a str>,
    pub(super) forwarder: Option<&'a str>,
    pub(super) score: Option<&'a Score>,
    pub(super) normalized: Option<&'a str>,
    pub(super) error: Option<&'a str>,
}

/// Writes the header line: `fields` in `format` (nothing for JSONL, which has no header).
pub(super) fn header_line(fields: &[String], format: Format) -> Vec<u8> {
    let mut out = Vec::new();
    if format == Format::Jsonl {
        return out;
    }
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(format.delimiter());
        }
        push_field(&mut out, f.as_bytes(), format);
    }
    out.push(b'\n');
    out
}

/// Appends the verdict columns ([`ADDED_COLUMNS`]) and the line break to `out`, which holds
/// the row's input columns: CSV/TSV fields after a delimiter each; for JSONL, members spliced
/// into the input object (`out` holds it without its closing brace; `comma`: it already has
/// members).
pub(super) fn append_verdict(v: &Verdict<'_>, format: Format, comma: bool, out: &mut Vec<u8>) {
    out.reserve(VERDICT_BYTES);
    match format {
        Format::Jsonl => {
            use serde_json::json;
            let added = json!({
                "grade": v.grade,
                "forwarder": v.forwarder,
                "score": v.score.map(|s| s.score),
                "level": v.score.map(|s| s.level.as_str()),
                "reasons": v.score.map(|s| s.reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>()),
                "normalized": v.normalized,
                "error": v.error,
            });
            // `added` is an object; splice its members into the input object.
            let text = serde_json::to_string(&added).unwrap_or_else(|_| "{}".into());
            let members = text
                .strip_prefix('{')
                .and_then(|t| t.strip_suffix('}'))
                .unwrap_or("");
            if out.is_empty() {
                out.push(b'{');
            } else if comma {
                out.push(b',');
            }
            out.extend_from_slice(members.as_bytes());
            out.push(b'}');
        }
        f => {
            let d = f.delimiter();
            let mut score_buf = [0u8; 3];
            let score = v.score.map(|s| decimal(s.score, &mut score_buf));
            let fields: [Option<&str>; 7] = [
                v.grade,
                v.forwarder,
                score,
                v.score.map(|s| s.level.as_str()),
                None,
                v.normalized,
                v.error,
            ];
            for (i, field) in fields.iter().enumerate() {
                out.push(d);
                if i == 4 {
                    if let Some(s) = v.score {
                        for (j, r) in s.reasons.iter().enumerate() {
                            if j > 0 {
                                out.push(b';');
                            }
                            out.extend_from_slice(r.code.as_str().as_bytes());
                        }
                    }
                } else if let Some(field) = field {
                    push_field(out, field.as_bytes(), f);
                }
            }
        }
    }
    out.push(b'\n');
}

/// Room reserved for the verdict columns of a row (they are rarely longer).
pub(super) const VERDICT_BYTES: usize = 224;

/// A score (0–100) as decimal text, without allocating.
fn decimal(n: u32, buf: &mut [u8; 3]) -> &str {
    let n = n.min(999);
    let digits = [(n / 100) as u8, (n / 10 % 10) as u8, (n % 10) as u8];
    let skip = if n >= 100 {
        0
    } else if n >= 10 {
        1
    } else {
        2
    };
    for (b, d) in buf.iter_mut().zip(digits) {
        *b = b'0' + d;
    }
    std::str::from_utf8(&buf[skip..]).unwrap_or("0")
}

/// Appends one field: CSV quotes it when needed; TSV turns tabs and line breaks into spaces.
pub(super) fn push_field(out: &mut Vec<u8>, field: &[u8], format: Format) {
    match format {
        Format::Tsv => out.extend(field.iter().map(|&c| match c {
            b'\t' | b'\n' | b'\r' => b' ',
            c => c,
        })),
        _ => {
            let needs = field
                .iter()
                .any(|&c| matches!(c, b',' | b'"' | b'\n' | b'\r'));
            if needs {
                out.push(b'"');
                for &c in field {
                    if c == b'"' {
                        out.push(b'"');
                    }
                    out.push(c);
                }
                out.push(b'"');
            } else {
                out.extend_from_slice(field);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_matches_to_string() {
        let mut buf = [0u8; 3];
        for n in 0..=999 {
            assert_eq!(decimal(n, &mut buf), n.to_string());
        }
    }
}
