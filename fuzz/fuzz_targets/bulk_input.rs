//! Arbitrary bytes as a bulk screening input (`bulk::screen_stream`: format sniffing, header
//! and column detection, record joining, per-row parse and screen, output), as CSV, TSV and
//! JSONL (chosen by the first byte). Also drives the public record reader alone. Errors are
//! fine; panics, hangs and blow-ups are not.
#![no_main]

use banchi::bulk::split::RecordReader;
use banchi::bulk::{self, Format, Options};
use banchi::watchlist::{ListKind, Watchlist};
use banchi::{Config, Parser, Scorer, Screener};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

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

fuzz_target!(|data: &[u8]| {
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
    let _ = bulk::screen_stream(
        body,
        &mut out,
        format,
        &Options::default(),
        screener(),
        &scorer,
    );

    let mut reader = RecordReader::new(body, format == Format::Csv, format.delimiter());
    let mut consumed = 0u64;
    while let Ok(Some(rec)) = reader.next_record() {
        consumed += rec.consumed;
        assert!(
            consumed <= body.len() as u64,
            "reader consumed more than its input"
        );
    }
});
