//! What each fuzz target checks, in one place: the `cargo fuzz` targets in `fuzz/` include
//! this file (`#[path]`), and `tests/it/fuzz_regressions.rs` runs the kept corpus
//! (`tests/data/fuzz/<target>/`) through the same functions on every `cargo test`. An `Err`
//! from the library is a pass; a panic (or a broken invariant, asserted here) is a finding.
//!
//! Not a test crate of its own: Cargo builds only the `.rs` files directly in `tests/`.

#![allow(dead_code)]

use banchi::bulk::split::RecordReader;
use banchi::bulk::{self, resume, Format, Options};
use banchi::normalize::{fold, normalize};
use banchi::watchlist::{file, ListKind, Watchlist};
use banchi::{Config, ParseError, Parser, Scorer, Screener, MAX_INPUT_BYTES};
use std::path::Path;
use std::sync::OnceLock;

/// `parse`: arbitrary bytes → UTF-8 (lossy, so every input reaches the parser) → normalize,
/// fold and `Parser::parse`; the contract the property tests check.
pub fn parse(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let display = normalize(&s);
    let _ = fold(&display);
    match Parser::new().parse(&s) {
        Err(ParseError::TooLong { len, max }) => {
            assert!(len == s.len() && max == MAX_INPUT_BYTES && len > max)
        }
        Err(_) => assert!(s.len() <= MAX_INPUT_BYTES),
        Ok(a) => {
            assert!(s.len() <= MAX_INPUT_BYTES);
            assert_eq!(a.key, a.compute_key());
        }
    }
}

/// `list_csv`: arbitrary bytes as a list CSV (forwarder list when the first byte is odd,
/// fraud list otherwise). A list that loads must survive being written as an index (to
/// `scratch`) and opened again.
pub fn list_csv(data: &[u8], scratch: &Path) {
    let parser = Parser::new();
    let kind = if data.first().is_some_and(|b| b & 1 == 1) {
        ListKind::Forwarder
    } else {
        ListKind::Fraud
    };
    if let Ok(list) = Watchlist::from_csv_reader(data, kind, &parser) {
        list.write_index(scratch).expect("write a loaded list");
        let back = Watchlist::open_index(scratch).expect("reopen a written index");
        assert_eq!(back.len(), list.len());
    }
}

/// The envelope `watchlist::file::write_index` puts around a body (rebuilt here:
/// `write_index` fsyncs, which would cut a fuzzer's execution rate a hundredfold).
pub fn envelope(body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(file::HEADER_LEN + body.len());
    v.extend_from_slice(&file::MAGIC);
    v.extend_from_slice(&file::VERSION.to_le_bytes());
    v.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    v.extend_from_slice(&(body.len() as u64).to_le_bytes());
    assert_eq!(v.len(), file::HEADER_LEN, "envelope layout changed");
    v.extend_from_slice(body);
    v
}

/// `index_file`: arbitrary bytes as an index file at `scratch` (`Watchlist::open_index`:
/// envelope, checksum, layout, full FST walk). First byte even: the rest is the whole file;
/// odd: the rest is the body, wrapped in a valid envelope and CRC — random bytes almost never
/// pass a CRC, so this mode is what reaches the layout and FST checks.
pub fn index_file(data: &[u8], scratch: &Path) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 1 {
        std::fs::write(scratch, envelope(rest)).expect("write temp file");
    } else {
        std::fs::write(scratch, rest).expect("write temp file");
    }
    if let Ok(list) = Watchlist::open_index(scratch) {
        // An index that opens was walked whole; reading it again must not panic.
        let _ = (
            list.len(),
            list.blocks(),
            list.kind(),
            list.columns().len(),
            list.body_size(),
        );
    }
}

/// A fictional one-row fraud list, built once.
fn screener() -> &'static Screener {
    static S: OnceLock<Screener> = OnceLock::new();
    S.get_or_init(|| {
        let parser = Parser::new();
        let csv =
            "id,address,reason\nF1,東京都世田谷区三軒茶屋2-11-5 コーポ黒猫201号室,chargeback\n";
        let fraud = Watchlist::from_csv_reader(csv.as_bytes(), ListKind::Fraud, &parser)
            .expect("fixture list");
        Screener::new(parser).with_fraud(fraud)
    })
}

/// `bulk_input`: arbitrary bytes as a shipping list (first byte % 3: CSV, TSV, JSONL) through
/// `bulk::screen_stream`, then through the record reader alone, then its output through the
/// `--resume` scan. One definition of a record (`bulk::split`): a list that screens gives
/// exactly one output row per input record (the header aside), and the resume scan counts
/// exactly those rows, up to the end of the output.
pub fn bulk_input(data: &[u8]) {
    let (format, body) = match data.split_first() {
        Some((b, rest)) => (
            match b % 3 {
                0 => Format::Csv,
                1 => Format::Tsv,
                _ => Format::Jsonl,
            },
            rest,
        ),
        None => (Format::Csv, data),
    };
    let scorer = Scorer::new(&Config::default());
    let mut out = Vec::new();
    let screened = bulk::screen_stream(
        body,
        &mut out,
        format,
        &Options::default(),
        screener(),
        &scorer,
    );

    let mut reader = RecordReader::new(body, format == Format::Csv, format.delimiter());
    let mut consumed = 0u64;
    let mut records = 0u64;
    while let Ok(Some(rec)) = reader.next_record() {
        consumed += rec.consumed;
        records += 1;
        assert!(
            consumed <= body.len() as u64,
            "reader consumed more than its input"
        );
    }
    if let Ok(summary) = screened {
        let header = u64::from(format != Format::Jsonl);
        assert_eq!(
            summary.rows + header,
            records,
            "{} rows from {records} records",
            summary.rows
        );
        let scan = resume::scan_reader(&out[..], format, None).expect("the output scans");
        assert_eq!(scan.rows, summary.rows, "resume counts other rows");
        assert_eq!(scan.end, out.len() as u64, "resume would cut the output");
    }
}
