//! `banchi._banchi`: the native module of the Python package `banchi` (PyO3, abi3 for
//! CPython 3.11 and later), built by maturin from `python/pyproject.toml`.
//!
//! Data teams re-screen order history in Python and on Spark; this module gives them the
//! library itself — not a re-implementation — so that every verdict equals the CLI's:
//!
//! * [`address`] — `Parser`, `Address`;
//! * [`screening`] — `Screener` (lists from files or rows), `Screening`, `check_many`;
//! * [`table`] — `Screener.screen_arrow` over Arrow tables, with the library's bulk cells;
//! * [`arrow_io`] — the Arrow PyCapsule interface in and out;
//! * [`errors`] — the exceptions; [`pyjson`] — serde output as Python objects.
//!
//! The Python side (`python/banchi/`) re-exports these and adds `banchi.spark`.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod address;
mod arrow_io;
mod errors;
mod pyjson;
mod screening;
mod table;

use pyo3::prelude::*;

/// The allocator of everything this module allocates in Rust (Python's objects keep
/// Python's). `check_many` and `screen_arrow` allocate a few small strings per row on every
/// core, and glibc's malloc spent an eighth of `screen_arrow`'s time in its locks and
/// consolidation (perf, 1M rows); mimalloc, as the CLI uses, keeps a heap per thread. Memory
/// handed to Arrow consumers is freed through the Arrow release callbacks, i.e. by this
/// module, so allocation and release never cross allocators.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[pymodule]
fn _banchi(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<address::PyParser>()?;
    m.add_class::<address::PyAddress>()?;
    m.add_class::<screening::PyScreener>()?;
    m.add_class::<screening::PyScreening>()?;
    m.add_class::<arrow_io::PyArrowStream>()?;
    errors::register(m)?;
    m.add("VERDICT_COLUMNS", banchi::bulk::ADDED_COLUMNS.to_vec())?;
    m.add("VELOCITY_KEY", table::VELOCITY_KEY)?;
    m.add("MAX_INPUT_BYTES", banchi::MAX_INPUT_BYTES)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
