//! Screeners and bulk runs the integration tests build again and again: a screener over a
//! small fraud list plus the bundled forwarding warehouses, and a bulk screen of a file that
//! can be stopped after N chunks (as Ctrl-C does) to test resuming.

use banchi::bulk::{self, Options};
use banchi::config::Config;
use banchi::watchlist::{ListKind, Watchlist};
use banchi::{Parser, Scorer, Screener};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// A screener over the fraud list `csv` (id,address,reason…) and the bundled forwarders.
pub fn screener_with_fraud(csv: &str) -> Screener {
    let parser = Parser::new();
    let fraud = Watchlist::from_csv_reader(csv.as_bytes(), ListKind::Fraud, &parser)
        .expect("the fixture list loads");
    let forwarders = Watchlist::bundled_forwarders(&parser).expect("the bundled list loads");
    Screener::new(parser)
        .with_fraud(fraud)
        .with_forwarders(forwarders)
}

/// `bulk::screen_file` with the default scorer, stopped (as by Ctrl-C) once `stop_after`
/// chunks have been written, or run to the end with `None`.
pub fn screen_file_stopping(
    input: &Path,
    output: &Path,
    opts: &Options,
    screener: &Screener,
    stop_after: Option<usize>,
) -> bulk::Summary {
    let stop = AtomicBool::new(false);
    let mut chunks = 0;
    let mut progress = |_: &bulk::Progress| {
        chunks += 1;
        if stop_after.is_some_and(|n| chunks >= n) {
            stop.store(true, Ordering::SeqCst);
        }
    };
    bulk::screen_file(
        input,
        output,
        opts,
        screener,
        &Scorer::new(&Config::default()),
        &stop,
        &mut progress,
    )
    .expect("bulk screening runs")
}
