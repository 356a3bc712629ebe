//! `banchi.Screener` and `banchi.Screening`: addresses screened against a fraud list and a
//! forwarding-warehouse list, and scored — the library's [`banchi::Screener`] and
//! [`banchi::Scorer`] behind a Python class.
//!
//! A `Screener` is built once (lists memory-mapped or loaded, configuration read) and is
//! immutable: it is shared by threads as it is, and `check_many` / `screen_arrow` release the
//! GIL while the library works on all cores. Lists are opened exactly as `banchi check` and
//! `banchi screen` open them (`--fraud`, `--forwarders`, `--no-forwarders`, `--near`,
//! `--config`), so the verdicts are the CLI's.

use crate::address::{address_dict, PyAddress};
use crate::errors::{config_error, list_error, ListError};
use crate::pyjson::to_python;
use banchi::config::Config;
use banchi::score::{Buyer, RiskLevel, Score};
use banchi::watchlist::{ListKind, ListResult, MatchOptions, Watchlist};
use banchi::{Parser, Scorer, Screener, Screening};
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyType};
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// Screens addresses against a fraud list and a forwarding-warehouse list, with a 0–100
/// risk score.
///
/// ``Screener(fraud=PATH, forwarders=PATH, config=PATH)`` takes a list CSV or an index file
/// built by ``banchi index build``, as the CLI does; ``forwarders=None`` uses the bundled
/// warehouse list (``no_forwarders=True``: none). ``Screener.from_lists`` builds the lists
/// from rows in memory. A list that cannot be read raises ``banchi.ListError`` naming the
/// line (never the address); a missing file raises ``FileNotFoundError``.
#[pyclass(module = "banchi", frozen, name = "Screener")]
#[derive(Debug)]
pub struct PyScreener {
    /// What `check` answers with; shared with the `check_many` results that read their
    /// matches late.
    pub(crate) checker: Arc<Checker>,
    /// The same lists graded only (no list of matches): what `check_many` runs, as the CLI's
    /// bulk runs do.
    grades: Screener,
    pub(crate) config: Config,
}

/// The lists with the configured match options, and the scorer.
#[derive(Debug)]
pub(crate) struct Checker {
    pub(crate) screener: Screener,
    pub(crate) scorer: Scorer,
}

/// Where a list comes from.
enum Source {
    File(PathBuf),
    Rows(Vec<u8>),
}

impl PyScreener {
    fn build(
        py: Python<'_>,
        fraud: Option<Source>,
        forwarders: Option<Source>,
        config: Option<PathBuf>,
        no_forwarders: bool,
        near: Option<u32>,
    ) -> PyResult<Self> {
        let config = match &config {
            Some(p) => Config::from_path(p).map_err(config_error)?,
            None => Config::default(),
        };
        let options = MatchOptions {
            near_distance: near.unwrap_or(config.matching.near_distance),
            ..config.matching.options()
        };
        let parser = Parser::new();
        // Opening a large list parses or walks it on all cores: without the GIL.
        let loaded: Result<(Option<Watchlist>, Option<Watchlist>), PyErrText> = py.detach(|| {
            let fraud = fraud
                .map(|s| open_list(s, ListKind::Fraud, &parser))
                .transpose()?;
            let forwarders = if no_forwarders {
                None
            } else {
                Some(match forwarders {
                    Some(s) => open_list(s, ListKind::Forwarder, &parser)?,
                    None => Watchlist::bundled_forwarders(&parser)
                        .map_err(|e| PyErrText::List("bundled forwarder".into(), e))?,
                })
            };
            Ok((fraud, forwarders))
        });
        let (fraud, forwarders) = loaded.map_err(PyErrText::into_py)?;
        let mut screener = Screener::new(parser).with_options(options);
        if let Some(f) = fraud {
            screener = screener.with_fraud(f);
        }
        if let Some(f) = forwarders {
            screener = screener.with_forwarders(f);
        }
        let grades = screener.grades_only();
        Ok(PyScreener {
            checker: Arc::new(Checker {
                screener,
                scorer: Scorer::new(&config),
            }),
            grades,
            config,
        })
    }
}

/// A list error built without the GIL, raised once it is held again.
enum PyErrText {
    List(String, banchi::error::WatchlistError),
    WrongKind(String),
}

impl PyErrText {
    fn into_py(self) -> PyErr {
        match self {
            PyErrText::List(what, e) => list_error(&what, e),
            PyErrText::WrongKind(message) => ListError::new_err(message),
        }
    }
}

/// Opens one list, refusing an index of the other kind (as the CLI does).
fn open_list(source: Source, kind: ListKind, parser: &Parser) -> Result<Watchlist, PyErrText> {
    let what = kind.as_str().to_owned();
    let list = match &source {
        Source::File(path) => Watchlist::open(path, kind, parser),
        Source::Rows(csv) => Watchlist::from_csv_reader(csv.as_slice(), kind, parser),
    }
    .map_err(|e| PyErrText::List(what, e))?;
    if list.kind() != kind {
        let name = match &source {
            Source::File(p) => p.display().to_string(),
            Source::Rows(_) => "the rows".to_owned(),
        };
        return Err(PyErrText::WrongKind(format!(
            "{name} is an index of a {} list, not a {} list (rebuild it with `banchi index build --kind {}`)",
            list.kind().as_str(),
            kind.as_str(),
            kind.as_str()
        )));
    }
    Ok(list)
}

#[pymethods]
impl PyScreener {
    #[new]
    #[pyo3(signature = (fraud = None, forwarders = None, config = None, *, no_forwarders = false, near = None))]
    fn new(
        py: Python<'_>,
        fraud: Option<PathBuf>,
        forwarders: Option<PathBuf>,
        config: Option<PathBuf>,
        no_forwarders: bool,
        near: Option<u32>,
    ) -> PyResult<Self> {
        PyScreener::build(
            py,
            fraud.map(Source::File),
            forwarders.map(Source::File),
            config,
            no_forwarders,
            near,
        )
    }

    /// A screener over lists given as rows in memory: a list of dicts (the list CSV's
    /// columns: ``address`` required, ``id``, ``reason``, ``service`` for forwarders, any
    /// other kept as metadata), a list of address strings, or a pyarrow / Polars / pandas
    /// table with those columns. The rows are loaded exactly as a list CSV with those
    /// columns would be; errors count a header line, so ``rows[0]`` is ``line 2``.
    #[classmethod]
    #[pyo3(signature = (fraud = None, forwarders = None, config = None, *, no_forwarders = false, near = None))]
    fn from_lists(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        fraud: Option<&Bound<'_, PyAny>>,
        forwarders: Option<&Bound<'_, PyAny>>,
        config: Option<PathBuf>,
        no_forwarders: bool,
        near: Option<u32>,
    ) -> PyResult<Self> {
        let fraud = fraud.map(rows_csv).transpose()?.map(Source::Rows);
        let forwarders = forwarders.map(rows_csv).transpose()?.map(Source::Rows);
        PyScreener::build(py, fraud, forwarders, config, no_forwarders, near)
    }

    /// Screens and scores one address. Never raises on a bad address: the screening then has
    /// ``error`` set and no grades. ``name``, ``phone``, ``email`` feed the dummy-buyer
    /// signals; ``postal_code`` is checked against the address.
    #[pyo3(signature = (address, name = None, phone = None, email = None, postal_code = None))]
    fn check(
        &self,
        address: &str,
        name: Option<&str>,
        phone: Option<&str>,
        email: Option<&str>,
        postal_code: Option<&str>,
    ) -> PyScreening {
        let Checker { screener, scorer } = &*self.checker;
        let inner = screener.check_with_postal(address, postal_code);
        let score = scorer.score(&inner, &Buyer { name, phone, email });
        PyScreening::new(inner, score, None)
    }

    /// Screens many addresses on all cores with the GIL released; results in input order. A
    /// ``None`` gives a screening with ``error`` set (like an empty CSV cell). ``names``,
    /// ``phones``, ``emails``: optional sequences of the same length (``None`` items allowed).
    /// Each result equals ``check``'s; grades and score are computed here, a graded result's
    /// ``matches`` (record ids, reasons) when first read — as ``banchi screen`` grades a file
    /// without listing the records.
    #[pyo3(signature = (addresses, names = None, phones = None, emails = None))]
    fn check_many<'py>(
        &self,
        py: Python<'py>,
        addresses: &Bound<'py, PyAny>,
        names: Option<&Bound<'py, PyAny>>,
        phones: Option<&Bound<'py, PyAny>>,
        emails: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        // The str objects are held (so the list may change under us without freeing them)
        // and read in place: no copy of the texts.
        let held = strings(addresses, "addresses")?;
        let n = held.len();
        let column = |v: Option<&Bound<'py, PyAny>>,
                      what: &str|
         -> PyResult<Vec<Option<Bound<'py, PyString>>>> {
            match v {
                None => Ok(Vec::new()),
                Some(v) => {
                    let t = strings(v, what)?;
                    if t.len() != n {
                        return Err(pyo3::exceptions::PyValueError::new_err(format!(
                            "{what} has {} items, addresses has {n}",
                            t.len()
                        )));
                    }
                    Ok(t)
                }
            }
        };
        let (names, phones, emails) = (
            column(names, "names")?,
            column(phones, "phones")?,
            column(emails, "emails")?,
        );
        let (addresses, names, phones, emails) = (
            borrowed(&held)?,
            borrowed(&names)?,
            borrowed(&phones)?,
            borrowed(&emails)?,
        );
        let results: Vec<PyScreening> = py.detach(|| {
            addresses
                .par_iter()
                .enumerate()
                .map(|(i, a)| {
                    let inner = self.grades.check(a.unwrap_or(""));
                    let buyer = Buyer {
                        name: at(&names, i),
                        phone: at(&phones, i),
                        email: at(&emails, i),
                    };
                    let score = self.checker.scorer.score(&inner, &buyer);
                    let graded = inner.fraud.grade.is_some() || inner.forwarder.grade.is_some();
                    PyScreening::new(inner, score, graded.then(|| Arc::clone(&self.checker)))
                })
                .collect()
        });
        let items = results
            .into_iter()
            .map(|r| Bound::new(py, r).map(untracked))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }

    /// Screens an Arrow table (pyarrow, Polars, DuckDB … — anything with
    /// ``__arrow_c_stream__`` or ``__arrow_c_array__``) and returns it with the verdict
    /// columns of ``banchi screen`` appended: ``grade, forwarder, score, level, reasons,
    /// normalized, error`` — strings exactly as the CLI writes them in CSV, empty where it
    /// writes nothing — plus ``velocity_key`` when asked. One output row per input row, in
    /// order; a null address gives the row an ``error``. Velocity is counted over the table
    /// in row order when ``name_column`` is given (``velocity=False``: never). ``error`` names ``line N`` as the CLI
    /// would on this table written as a CSV with a header (row 0 is line ``first_line``,
    /// 2 by default; ``line_column`` gives each row's own number; ``first_line=None``: no
    /// prefix). Columns already named like a verdict column are replaced.
    ///
    /// Returns a ``pyarrow.Table`` when pyarrow is installed, else an object with
    /// ``__arrow_c_stream__`` (read it with ``polars.from_arrow`` or ``duckdb``).
    #[pyo3(signature = (table, address_column = None, *, name_column = None, phone_column = None, email_column = None, time_column = None, postal_column = None, line_column = None, first_line = Some(2), velocity = true, velocity_key = false))]
    #[allow(clippy::too_many_arguments)]
    fn screen_arrow<'py>(
        &self,
        py: Python<'py>,
        table: &Bound<'py, PyAny>,
        address_column: Option<&Bound<'py, PyAny>>,
        name_column: Option<String>,
        phone_column: Option<String>,
        email_column: Option<String>,
        time_column: Option<String>,
        postal_column: Option<String>,
        line_column: Option<String>,
        first_line: Option<u64>,
        velocity: bool,
        velocity_key: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let address = match address_column {
            None => vec!["address".to_owned()],
            Some(a) if a.is_instance_of::<PyString>() => vec![a.extract::<String>()?],
            Some(a) => a.extract::<Vec<String>>().map_err(|_| {
                PyTypeError::new_err("address_column is a column name or a list of names")
            })?,
        };
        let spec = crate::table::Spec {
            address,
            name: name_column,
            phone: phone_column,
            email: email_column,
            time: time_column,
            postal: postal_column,
            line: line_column,
            first_line,
            velocity,
            velocity_key,
        };
        crate::table::screen_arrow(
            py,
            &self.checker.screener,
            &self.checker.scorer,
            &self.config,
            table,
            &spec,
        )
    }

    /// The fraud list's load report (row counts, rejected rows by line number), or None
    /// without a fraud list.
    #[getter]
    fn fraud_report(&self) -> Option<String> {
        self.checker
            .screener
            .fraud()
            .map(|l| l.report().summary(10))
    }

    /// The forwarder list's load report, or None without one.
    #[getter]
    fn forwarder_report(&self) -> Option<String> {
        self.checker
            .screener
            .forwarders()
            .map(|l| l.report().summary(10))
    }

    /// Entries indexed in the fraud list (0 without one).
    #[getter]
    fn fraud_entries(&self) -> usize {
        self.checker.screener.fraud().map_or(0, Watchlist::len)
    }

    /// The configuration in force, as TOML (what ``banchi config show`` prints).
    #[getter]
    fn config_toml(&self) -> String {
        self.config.to_toml_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "banchi.Screener(fraud entries={}, forwarder entries={})",
            self.checker.screener.fraud().map_or(0, Watchlist::len),
            self.checker.screener.forwarders().map_or(0, Watchlist::len)
        )
    }
}

/// Item `i` of an optional column.
fn at<'a>(column: &[Option<&'a str>], i: usize) -> Option<&'a str> {
    column.get(i).copied().flatten()
}

/// A sequence of `str | None`, each str held (a new reference) so that it outlives any
/// change to the sequence while the GIL is released.
fn strings<'py>(
    seq: &Bound<'py, PyAny>,
    what: &str,
) -> PyResult<Vec<Option<Bound<'py, PyString>>>> {
    if seq.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(format!(
            "{what} is one str: give a list of str"
        )));
    }
    let mut out = Vec::with_capacity(seq.len().unwrap_or(0));
    for (i, item) in seq.try_iter()?.enumerate() {
        let item = item?;
        if item.is_none() {
            out.push(None);
        } else if item.is_instance_of::<PyString>() {
            out.push(Some(item.cast_into::<PyString>()?));
        } else {
            return Err(PyTypeError::new_err(format!(
                "{what}[{i}] is {}, not str or None",
                item.get_type().name()?
            )));
        }
    }
    Ok(out)
}

/// The UTF-8 text of held strs, read in place (CPython keeps a str's UTF-8 form with the
/// object, so it lives as long as `held`). A lone surrogate raises `UnicodeEncodeError`.
fn borrowed<'a>(held: &'a [Option<Bound<'_, PyString>>]) -> PyResult<Vec<Option<&'a str>>> {
    held.iter()
        .map(|s| s.as_ref().map(|s| s.to_str()).transpose())
        .collect()
}

/// In-memory list rows as the bytes of a list CSV (header from the union of the columns,
/// in order of first appearance).
fn rows_csv(rows: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    // Tables of the usual libraries as a list of dicts.
    let rows = if rows.hasattr("to_pylist")? {
        rows.call_method0("to_pylist")?
    } else if rows.hasattr("to_dicts")? {
        rows.call_method0("to_dicts")?
    } else if rows.hasattr("to_dict")? && rows.hasattr("columns")? {
        rows.call_method1("to_dict", ("records",))?
    } else {
        rows.clone()
    };
    if rows.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "list rows are a list of dicts or of address strings, not one str",
        ));
    }
    let mut columns: Vec<String> = Vec::new();
    let mut records: Vec<Vec<(usize, String)>> = Vec::new();
    for (i, row) in rows.try_iter()?.enumerate() {
        let row = row?;
        let mut record = Vec::new();
        if let Ok(s) = row.cast::<PyString>() {
            record.push((
                column_index(&mut columns, "address"),
                s.to_str()?.to_owned(),
            ));
        } else if let Ok(d) = row.cast::<PyDict>() {
            for (k, v) in d.iter() {
                let key: String = k.str()?.extract()?;
                let value = cell_text(&v).ok_or_else(|| {
                    PyTypeError::new_err(format!(
                        "rows[{i}]: column `{key}` holds a {}, not text or a number",
                        v.get_type()
                            .name()
                            .map(|n| n.to_string())
                            .unwrap_or_default()
                    ))
                })?;
                record.push((column_index(&mut columns, &key), value));
            }
        } else {
            return Err(PyTypeError::new_err(format!(
                "rows[{i}] is {}, not a dict or a str",
                row.get_type().name()?
            )));
        }
        records.push(record);
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| PyRuntimeError::new_err(format!("writing list rows: {e}"));
    w.write_record(&columns).map_err(csv_err)?;
    let mut line = vec![String::new(); columns.len()];
    for record in records {
        line.iter_mut().for_each(String::clear);
        for (c, value) in record {
            if let Some(cell) = line.get_mut(c) {
                *cell = value;
            }
        }
        w.write_record(&line).map_err(csv_err)?;
    }
    w.into_inner()
        .map_err(|e| PyRuntimeError::new_err(format!("writing list rows: {e}")))
}

fn column_index(columns: &mut Vec<String>, name: &str) -> usize {
    match columns.iter().position(|c| c == name) {
        Some(i) => i,
        None => {
            columns.push(name.to_owned());
            columns.len() - 1
        }
    }
}

/// A row's cell as text: str as it is, numbers written out, None / NaN empty.
fn cell_text(v: &Bound<'_, PyAny>) -> Option<String> {
    if v.is_none() {
        return Some(String::new());
    }
    if let Ok(s) = v.cast::<PyString>() {
        return s.to_str().ok().map(str::to_owned);
    }
    if let Ok(f) = v.extract::<f64>() {
        if f.is_nan() {
            return Some(String::new());
        }
    }
    if v.is_instance_of::<pyo3::types::PyInt>() || v.is_instance_of::<pyo3::types::PyFloat>() {
        return v.str().ok().and_then(|s| s.extract().ok());
    }
    None
}

/// One screened address: its grades, score, reasons and parse.
///
/// The screening lives on the Rust heap (boxed where it was made, on a worker thread): the
/// Python object itself is a pointer, cheap to allocate by the million.
#[pyclass(module = "banchi", frozen, name = "Screening")]
#[derive(Debug, Clone)]
pub struct PyScreening(Box<Checked>);

/// What a `Screening` holds.
#[derive(Debug, Clone)]
pub struct Checked {
    inner: Screening,
    score: Score,
    /// Set when `inner` was graded without its list of matches: the lists to read them from.
    lists: Option<Arc<Checker>>,
    /// The fraud and forwarder results with their matches, and the score naming them, once
    /// read.
    full: OnceLock<Full>,
}

/// A late-read screening's results with their matches, and its score naming them.
#[derive(Debug, Clone)]
struct Full {
    fraud: ListResult,
    forwarder: ListResult,
    score: Score,
}

impl PyScreening {
    fn new(inner: Screening, score: Score, lists: Option<Arc<Checker>>) -> Self {
        PyScreening(Box::new(Checked {
            inner,
            score,
            lists,
            full: OnceLock::new(),
        }))
    }
}

impl Checked {
    /// The fraud and forwarder results with their matches and the score naming them
    /// (`check`'s), looked up on first use for a result graded without them.
    fn results(&self) -> (&ListResult, &ListResult, &Score) {
        match (&self.lists, &self.inner.address) {
            (Some(lists), Some(address)) => {
                let full = self.full.get_or_init(|| {
                    let (fraud, forwarder) = lists.screener.screen_lists(address);
                    let mut score = self.score.clone();
                    lists.scorer.name_matches(&mut score, &fraud, &forwarder);
                    Full {
                        fraud,
                        forwarder,
                        score,
                    }
                });
                (&full.fraud, &full.forwarder, &full.score)
            }
            _ => (&self.inner.fraud, &self.inner.forwarder, &self.score),
        }
    }
}

impl std::ops::Deref for PyScreening {
    type Target = Checked;
    fn deref(&self) -> &Checked {
        &self.0
    }
}

/// `obj` taken out of the cyclic garbage collector's care. PyO3 makes every class a GC
/// container, so a million results from `check_many` cost the collector a million objects
/// to traverse (0.6 s per million addresses, measured). An object that holds no Python
/// object cannot be part of a cycle — CPython untracks such tuples and dicts itself — and
/// `PyObject_GC_UnTrack` on an untracked object (PyO3's dealloc calls it) does nothing.
fn untracked<T: pyo3::PyClass>(obj: Bound<'_, T>) -> Bound<'_, T> {
    // SAFETY: `obj` is a live object of a GC type (PyO3 sets Py_TPFLAGS_HAVE_GC on every
    // class) and the GIL is held (we have a `Bound`).
    unsafe { pyo3::ffi::PyObject_GC_UnTrack(obj.as_ptr().cast()) };
    obj
}

#[pymethods]
impl PyScreening {
    /// The address as given.
    #[getter]
    fn input(&self) -> &str {
        &self.inner.input
    }
    /// Fraud grade: ``danger``, ``caution``, ``warning`` or None.
    #[getter]
    fn grade(&self) -> Option<&'static str> {
        self.inner.fraud.grade.map(|g| g.as_str())
    }
    /// Forwarder grade: ``forwarding_service``, ``possible`` or None.
    #[getter]
    fn forwarder(&self) -> Option<&'static str> {
        self.inner.forwarder.grade.map(|g| g.as_str())
    }
    /// The fraud grade's stars as webコレクト shows them (``★★★``), empty without a grade.
    #[getter]
    fn stars(&self) -> &'static str {
        self.inner.fraud.grade.map_or("", |g| g.stars())
    }
    /// Japanese labels of the two grades (``★★★危険``, ``海外転送サービス``), None without.
    #[getter]
    fn labels(&self) -> (Option<&'static str>, Option<&'static str>) {
        (
            self.inner.fraud.grade.map(|g| g.label_ja()),
            self.inner.forwarder.grade.map(|g| g.label_ja()),
        )
    }
    /// Risk score, 0–100.
    #[getter]
    fn score(&self) -> u32 {
        self.score.score
    }
    /// ``low``, ``medium`` or ``high``.
    #[getter]
    fn level(&self) -> &'static str {
        self.score.level.as_str()
    }
    /// Score at or above the alert threshold.
    #[getter]
    fn alert(&self) -> bool {
        self.score.alert
    }
    /// What to do with the order: ``allow`` (low), ``review`` (medium), ``block`` (high) —
    /// the actions ``banchi serve`` answers with its default thresholds.
    #[getter]
    fn action(&self) -> &'static str {
        action(self.score.level)
    }
    /// Every signal that added points: dicts ``{code, points, ja, en}``.
    #[getter]
    fn reasons<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_of(py, &self.results().2.reasons)
    }
    /// The reason codes, in order (the ``reasons`` column of ``banchi screen``).
    #[getter]
    fn reason_codes(&self) -> Vec<&'static str> {
        self.score.reasons.iter().map(|r| r.code.as_str()).collect()
    }
    /// The matched list records, fraud first: dicts with ``list`` (``fraud`` or
    /// ``forwarder``), ``id``, ``reason``, ``grade``, ``matched``, ``block`` … — never the
    /// record's address.
    #[getter]
    fn matches<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        let (fraud, forwarder, _) = self.results();
        for (list, result) in [("fraud", fraud), ("forwarder", forwarder)] {
            append_matches(py, &out, list, result)?;
        }
        Ok(out)
    }
    /// The parsed address, None when the input did not parse.
    #[getter]
    fn address(&self) -> Option<PyAddress> {
        self.inner.address.clone().map(PyAddress::from)
    }
    /// The address written back from its parts, None when it did not parse.
    #[getter]
    fn normalized(&self) -> Option<String> {
        self.inner.address.as_ref().map(|a| a.normalized_text())
    }
    /// Why the address did not parse (None when it did).
    #[getter]
    fn error(&self) -> Option<&str> {
        self.inner.error.as_deref()
    }

    /// The object ``banchi check --json`` prints for this address, plus ``action``.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let base = serde_json::to_value(&self.inner)
            .map_err(|e| PyRuntimeError::new_err(format!("serialising a screening: {e}")))?;
        let dict = to_python(py, &base)?.cast_into::<PyDict>()?;
        let (fraud, forwarder, score) = self.results();
        if self.lists.is_some() {
            dict.set_item("fraud", json_of(py, fraud)?)?;
            dict.set_item("forwarder", json_of(py, forwarder)?)?;
        }
        if let Some(a) = &self.inner.address {
            dict.set_item("address", address_dict(py, a)?)?;
        }
        dict.set_item("score", self.score.score)?;
        dict.set_item("level", self.score.level.as_str())?;
        dict.set_item("alert", self.score.alert)?;
        dict.set_item("reasons", json_of(py, &score.reasons)?)?;
        dict.set_item("action", action(self.score.level))?;
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        format!(
            "banchi.Screening(grade={:?}, forwarder={:?}, score={}, level={:?})",
            self.grade().unwrap_or("None"),
            self.forwarder().unwrap_or("None"),
            self.score.score,
            self.score.level.as_str()
        )
    }
}

fn action(level: RiskLevel) -> &'static str {
    match level {
        RiskLevel::Low => "allow",
        RiskLevel::Medium => "review",
        RiskLevel::High => "block",
    }
}

fn json_of<'py, T: serde::Serialize>(py: Python<'py>, v: &T) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(v)
        .map_err(|e| PyRuntimeError::new_err(format!("serialising: {e}")))?;
    to_python(py, &value)
}

fn append_matches(
    py: Python<'_>,
    out: &Bound<'_, PyList>,
    list: &str,
    result: &ListResult,
) -> PyResult<()> {
    for m in &result.matches {
        let d = json_of(py, m)?.cast_into::<PyDict>()?;
        d.set_item("list", list)?;
        out.append(d)?;
    }
    Ok(())
}
