//! `banchi.Parser` and `banchi.Address`: one address string into its canonical parts.
//!
//! `Address` wraps the library's [`banchi::Address`] unchanged; its attributes are the fields
//! of the JSON schema (README, "JSON schema") and `to_dict()` is the object `banchi normalize`
//! prints for the address, so Python and the CLI cannot drift apart.

use crate::errors::parse_error;
use crate::pyjson::to_python;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Parses Japanese addresses against the embedded gazetteer.
///
/// Cheap to create (the gazetteer is compiled into the module) and safe to share between
/// threads.
///
/// >>> banchi.Parser().parse("東京都中央区銀座４丁目６番１６号 銀座ビル３Ｆ").town
/// '銀座'
#[pyclass(module = "banchi", frozen, name = "Parser")]
#[derive(Debug, Clone, Copy, Default)]
pub struct PyParser {
    inner: banchi::Parser,
}

#[pymethods]
impl PyParser {
    #[new]
    fn new() -> Self {
        PyParser::default()
    }

    /// Parses one address. `postal_code` is a postal code given beside it (checked against
    /// the address, `postal_code_mismatch`; it also finds a prefecture or city left out).
    ///
    /// Raises `banchi.ParseError` when the text is empty, over 1,024 bytes, or names no
    /// place the gazetteer knows.
    #[pyo3(signature = (text, postal_code = None))]
    fn parse(&self, text: &str, postal_code: Option<&str>) -> PyResult<PyAddress> {
        self.inner
            .parse_with_postal(text, postal_code)
            .map(PyAddress::from)
            .map_err(|e| parse_error(&e))
    }

    fn __repr__(&self) -> &'static str {
        "banchi.Parser()"
    }
}

/// The canonical parts of one address (the fields of the JSON schema).
#[pyclass(module = "banchi", frozen, name = "Address")]
#[derive(Debug, Clone)]
pub struct PyAddress {
    inner: banchi::Address,
}

impl From<banchi::Address> for PyAddress {
    fn from(inner: banchi::Address) -> Self {
        PyAddress { inner }
    }
}

#[pymethods]
impl PyAddress {
    /// The input as given.
    #[getter]
    fn input(&self) -> &str {
        &self.inner.input
    }
    /// 都道府県, e.g. `東京都`.
    #[getter]
    fn prefecture(&self) -> Option<&str> {
        self.inner.prefecture.as_deref()
    }
    /// Municipality with its designated city or 郡: `中央区`, `札幌市中央区`.
    #[getter]
    fn city(&self) -> Option<&str> {
        self.inner.city.as_deref()
    }
    /// Town / 大字 without the chome, as the gazetteer spells it.
    #[getter]
    fn town(&self) -> Option<&str> {
        self.inner.town.as_deref()
    }
    /// 丁目.
    #[getter]
    fn chome(&self) -> Option<u32> {
        self.inner.chome
    }
    /// 番地 (a string: `イ92`, `3-5` exist).
    #[getter]
    fn banchi(&self) -> Option<&str> {
        self.inner.banchi.as_deref()
    }
    /// 号.
    #[getter]
    fn go(&self) -> Option<&str> {
        self.inner.go.as_deref()
    }
    /// Building name, normalized.
    #[getter]
    fn building(&self) -> Option<&str> {
        self.inner.building.as_deref()
    }
    /// Floor: `3`, `B1`.
    #[getter]
    fn floor(&self) -> Option<&str> {
        self.inner.floor.as_deref()
    }
    /// Room: `301`, `A101`.
    #[getter]
    fn room(&self) -> Option<&str> {
        self.inner.room.as_deref()
    }
    /// Forwarding-service customer number after the address (`PM12345`).
    #[getter]
    fn customer_id(&self) -> Option<&str> {
        self.inner.customer_id.as_deref()
    }
    /// How far it resolved: `none`, `prefecture`, `city`, `town`, `block`, `unit`.
    #[getter]
    fn level(&self) -> &'static str {
        self.inner.level.as_str()
    }
    /// Canonical delivery point `CODE|TOWN|CHOME|BANCHI|GO|FLOOR|ROOM`.
    #[getter]
    fn key(&self) -> &str {
        &self.inner.key
    }
    /// JIS X 0402 municipality code.
    #[getter]
    fn city_code(&self) -> Option<&str> {
        self.inner.city_code.as_deref()
    }
    /// The postal code written or given, as `104-0061`.
    #[getter]
    fn postal_code(&self) -> Option<&str> {
        self.inner.postal_code.as_deref()
    }
    /// Anomaly codes (`duplicated_prefecture`, `unknown_town`, …), sorted.
    #[getter]
    fn anomalies(&self) -> Vec<&'static str> {
        self.inner.anomalies.iter().map(|a| a.code()).collect()
    }
    /// Always `None` on a parsed address (the JSON schema's `error` field).
    #[getter]
    fn error(&self) -> Option<&str> {
        None
    }
    /// The address written back from its parts (the `normalized` column of `banchi screen`).
    #[getter]
    fn normalized(&self) -> String {
        self.inner.normalized_text()
    }

    /// The JSON schema's object, as `banchi normalize` prints it.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = address_dict(py, &self.inner)?;
        dict.set_item("error", py.None())?;
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        format!(
            "banchi.Address(level={:?}, key={:?})",
            self.inner.level.as_str(),
            self.inner.key
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyAddress>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.input.hash(&mut h);
        self.inner.key.hash(&mut h);
        h.finish()
    }
}

/// The serde form of an address as a Python dict.
pub fn address_dict<'py>(py: Python<'py>, a: &banchi::Address) -> PyResult<Bound<'py, PyDict>> {
    let value = serde_json::to_value(a).map_err(|e| {
        pyo3::exceptions::PyRuntimeError::new_err(format!("serialising an address: {e}"))
    })?;
    let object = to_python(py, &value)?;
    object.cast_into::<PyDict>().map_err(PyErr::from)
}
