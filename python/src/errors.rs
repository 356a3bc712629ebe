//! The Python exceptions of the package and how the library's typed errors become them.
//!
//! Every exception carries the library's own message, which names files and line numbers but
//! never an address or a buyer field (the library's privacy rule holds in Python too):
//!
//! * `banchi.BanchiError` (a `ValueError`) — the base of them all;
//! * `banchi.ParseError` — `Parser.parse` on text that is not an address;
//! * `banchi.ListError` — a fraud or forwarder list (CSV, index file or rows) refused;
//! * `banchi.ConfigError` — a configuration file refused;
//! * `banchi.ArrowError` — a table that cannot be read (no such column, not text, a broken
//!   Arrow stream).
//!
//! A missing file is an `OSError` (`FileNotFoundError` …) naming the path, as Python's own
//! `open` raises it.

use banchi::error::{ConfigError as LibConfigError, ParseError as LibParseError, WatchlistError};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

pyo3::create_exception!(
    banchi,
    BanchiError,
    PyValueError,
    "Base of every banchi error (a ValueError)."
);
pyo3::create_exception!(
    banchi,
    ParseError,
    BanchiError,
    "The text is not an address banchi can parse (empty, too long, no place recognised)."
);
pyo3::create_exception!(
    banchi,
    ListError,
    BanchiError,
    "A fraud or forwarder list was refused; the message names the line, never the address."
);
pyo3::create_exception!(
    banchi,
    ConfigError,
    BanchiError,
    "A configuration file was refused (unknown key, levels out of order)."
);
pyo3::create_exception!(
    banchi,
    ArrowError,
    BanchiError,
    "An Arrow table could not be read or written (no such column, a column that is not text)."
);

/// A parse failure as `banchi.ParseError`.
pub fn parse_error(e: &LibParseError) -> PyErr {
    ParseError::new_err(e.to_string())
}

/// A list failure as `banchi.ListError`, or the `OSError` of a file that cannot be read.
pub fn list_error(what: &str, e: WatchlistError) -> PyErr {
    match e {
        WatchlistError::Io { path, source } => {
            let message = format!("{what} list {}: {source}", path.display());
            let io: PyErr = source.into();
            Python::attach(|py| {
                let typed = io.get_type(py);
                PyErr::from_type(typed, message)
            })
        }
        other => ListError::new_err(format!("{what} list: {other}")),
    }
}

/// A configuration failure as `banchi.ConfigError` (an unreadable file as `OSError`).
pub fn config_error(e: LibConfigError) -> PyErr {
    match e {
        LibConfigError::Io { path, source } => {
            let message = format!("configuration {}: {source}", path.display());
            let io: PyErr = source.into();
            Python::attach(|py| PyErr::from_type(io.get_type(py), message))
        }
        other => ConfigError::new_err(other.to_string()),
    }
}

/// An Arrow failure as `banchi.ArrowError`.
pub fn arrow_error(message: impl Into<String>) -> PyErr {
    ArrowError::new_err(message.into())
}

/// Registers the exceptions on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("BanchiError", py.get_type::<BanchiError>())?;
    m.add("ParseError", py.get_type::<ParseError>())?;
    m.add("ListError", py.get_type::<ListError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("ArrowError", py.get_type::<ArrowError>())?;
    Ok(())
}
