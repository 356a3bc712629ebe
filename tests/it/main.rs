//! The library's integration tests, as one test binary (one link of the library instead of
//! one per file): each module is one subject, shared set-up lives in `tests/support/` (also
//! used by the examples) and `tests/fuzz_checks/` (also used by the fuzz targets).
//!
//! Run one subject with a filter: `cargo test --profile ci --test it notations::`.

#[path = "../fuzz_checks/mod.rs"]
mod fuzz_checks;
#[path = "../support/mod.rs"]
mod support;

mod accuracy;
mod conformance;
mod fuzz_regressions;
mod handmade;
mod hostile;
mod kanji_variants;
mod notations;
mod postal;
mod properties;
mod score;
mod screen_bulk;
mod screen_state;
mod town_forms;
mod units;
mod watchlist;
mod watchlist_index;
