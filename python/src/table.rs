//! `Screener.screen_arrow`: an Arrow table in, the same table with the verdict columns of
//! `banchi screen` out — the cells come from the library's [`banchi::bulk::table`], which
//! renders them with the CLI's own CSV code, so they are exactly what the CLI writes.
//!
//! The table is imported without copying; its batches are screened in groups of at least
//! [`GROUP_ROWS`] rows (small batches from DuckDB or Spark still fill every core) with the GIL
//! released, in row order (velocity counts across the whole table); each output batch is its
//! input batch's columns (shared, not copied) plus the verdict columns.

use crate::arrow_io::{import_table, line_numbers, PyArrowStream, TextColumn};
use crate::errors::arrow_error;
use arrow_array::{ArrayRef, RecordBatch, RecordBatchOptions, StringArray};
use arrow_schema::{DataType, Field, Schema};
use banchi::bulk::table::{Fields, TableOptions, TableScreener, Verdicts};
use banchi::bulk::ADDED_COLUMNS;
use banchi::config::Config;
use banchi::{Scorer, Screener};
use pyo3::prelude::*;
use std::sync::Arc;

/// Rows screened per call into the library (batches are grouped up to at least this).
const GROUP_ROWS: usize = 65_536;

/// The column holding each row's delivery-point key, when asked for.
pub const VELOCITY_KEY: &str = "velocity_key";

/// Which columns hold what, and how errors name rows.
#[derive(Debug, Clone)]
pub struct Spec {
    pub address: Vec<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub time: Option<String>,
    pub postal: Option<String>,
    pub line: Option<String>,
    pub first_line: Option<u64>,
    /// Count velocity when a name column is given.
    pub velocity: bool,
    pub velocity_key: bool,
}

/// Column positions resolved against the schema.
struct Positions {
    address: Vec<usize>,
    name: Option<usize>,
    phone: Option<usize>,
    email: Option<usize>,
    time: Option<usize>,
    postal: Option<usize>,
    line: Option<usize>,
}

/// A column named by the caller: the exact name, else the one name equal ignoring case (as
/// the CLI resolves `--address-column` and friends).
fn position(schema: &Schema, name: &str) -> PyResult<usize> {
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    if let Some(i) = names.iter().position(|n| n.trim() == name.trim()) {
        return Ok(i);
    }
    let folded: Vec<usize> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| n.trim().eq_ignore_ascii_case(name.trim()))
        .map(|(i, _)| i)
        .collect();
    match folded.as_slice() {
        [one] => Ok(*one),
        _ => Err(arrow_error(format!(
            "column `{name}` is not in the table (columns: {})",
            names.join(", ")
        ))),
    }
}

impl Positions {
    fn resolve(schema: &Schema, spec: &Spec) -> PyResult<Positions> {
        let opt = |n: &Option<String>| n.as_deref().map(|n| position(schema, n)).transpose();
        if spec.address.is_empty() {
            return Err(arrow_error("address_column names no column"));
        }
        Ok(Positions {
            address: spec
                .address
                .iter()
                .map(|n| position(schema, n))
                .collect::<PyResult<_>>()?,
            name: opt(&spec.name)?,
            phone: opt(&spec.phone)?,
            email: opt(&spec.email)?,
            time: opt(&spec.time)?,
            postal: opt(&spec.postal)?,
            line: opt(&spec.line)?,
        })
    }

    /// Every text column position (for the type check).
    fn text_columns(&self) -> impl Iterator<Item = usize> + '_ {
        self.address.iter().copied().chain(
            [self.name, self.phone, self.email, self.time, self.postal]
                .into_iter()
                .flatten(),
        )
    }
}

/// One batch's columns as text.
struct BatchText<'a> {
    rows: usize,
    address: Vec<TextColumn<'a>>,
    name: Option<TextColumn<'a>>,
    phone: Option<TextColumn<'a>>,
    email: Option<TextColumn<'a>>,
    time: Option<TextColumn<'a>>,
    postal: Option<TextColumn<'a>>,
    line: Option<Vec<Option<u64>>>,
}

impl<'a> BatchText<'a> {
    fn of(batch: &'a RecordBatch, at: &Positions) -> Result<BatchText<'a>, String> {
        let text = |i: usize| -> Result<TextColumn<'a>, String> {
            let array = batch.column(i);
            TextColumn::of(array).ok_or_else(|| {
                format!(
                    "column `{}` is {}, not text: cast it to a string first",
                    batch.schema().field(i).name(),
                    array.data_type()
                )
            })
        };
        let opt = |i: Option<usize>| i.map(text).transpose();
        let line = match at.line {
            Some(i) => Some(line_numbers(batch.column(i)).ok_or_else(|| {
                format!(
                    "line column `{}` is {}, not an integer",
                    batch.schema().field(i).name(),
                    batch.column(i).data_type()
                )
            })?),
            None => None,
        };
        Ok(BatchText {
            rows: batch.num_rows(),
            address: at
                .address
                .iter()
                .map(|&i| text(i))
                .collect::<Result<_, _>>()?,
            name: opt(at.name)?,
            phone: opt(at.phone)?,
            email: opt(at.email)?,
            time: opt(at.time)?,
            postal: opt(at.postal)?,
            line,
        })
    }
}

/// Screens `table` with `screener` and `scorer` (the velocity window as `config` sets it):
/// what `Screener.screen_arrow` runs.
pub fn screen_arrow<'py>(
    py: Python<'py>,
    screener: &Screener,
    scorer: &Scorer,
    config: &Config,
    table: &Bound<'py, PyAny>,
    spec: &Spec,
) -> PyResult<Bound<'py, PyAny>> {
    let input = import_table(table)?;
    let at = Positions::resolve(&input.schema, spec)?;
    for i in at.text_columns() {
        let t = input.schema.field(i).data_type();
        let text = matches!(
            t,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null
        ) || matches!(t, DataType::Dictionary(_, v) if matches!(**v, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View));
        if !text {
            return Err(arrow_error(format!(
                "column `{}` is {t}, not text: cast it to a string first",
                input.schema.field(i).name()
            )));
        }
    }
    // Input columns kept: all but those named like a verdict column (a re-screen replaces them).
    let added: Vec<&str> = ADDED_COLUMNS
        .iter()
        .copied()
        .chain(spec.velocity_key.then_some(VELOCITY_KEY))
        .collect();
    let kept: Vec<usize> = (0..input.schema.fields().len())
        .filter(|&i| !added.contains(&input.schema.field(i).name().as_str()))
        .collect();
    let mut fields: Vec<Field> = kept
        .iter()
        .map(|&i| input.schema.field(i).clone())
        .collect();
    fields.extend(
        ADDED_COLUMNS
            .iter()
            .map(|name| Field::new(*name, DataType::Utf8, false)),
    );
    if spec.velocity_key {
        fields.push(Field::new(VELOCITY_KEY, DataType::Utf8, true));
    }
    let schema = Arc::new(Schema::new(fields).with_metadata(input.schema.metadata().clone()));
    let options = TableOptions {
        velocity: config.velocity.clone(),
        names: spec.name.is_some() && spec.velocity,
        times: spec.time.is_some(),
        keys: spec.velocity_key,
    };

    let batches = &input.batches;
    let result: Result<Vec<RecordBatch>, String> = py.detach(|| {
        let texts = batches
            .iter()
            .map(|b| BatchText::of(b, &at))
            .collect::<Result<Vec<_>, _>>()?;
        let mut run = TableScreener::new(screener, scorer, options);
        let mut out = Vec::with_capacity(batches.len());
        let mut first_row = 0u64;
        let mut start = 0;
        while start < texts.len() {
            // A group of whole batches of at least GROUP_ROWS rows (or the rest).
            let mut end = start;
            let mut rows = 0;
            while end < texts.len() && (rows < GROUP_ROWS || end == start) {
                rows += texts.get(end).map_or(0, |t| t.rows);
                end += 1;
            }
            let group = texts.get(start..end).unwrap_or(&[]);
            let verdicts = screen_group(&mut run, group, first_row, spec.first_line);
            let mut offset = 0;
            for (batch, t) in batches.get(start..end).unwrap_or(&[]).iter().zip(group) {
                out.push(output_batch(
                    &schema, batch, &kept, &verdicts, offset, t.rows, spec,
                )?);
                offset += t.rows;
            }
            first_row += rows as u64;
            start = end;
        }
        Ok(out)
    });
    let out = result.map_err(arrow_error)?;
    let stream = Bound::new(py, PyArrowStream::new(schema, out))?;
    match py.import("pyarrow") {
        Ok(pa) => pa.call_method1("table", (stream,)),
        Err(_) => Ok(stream.into_any()),
    }
}

/// Screens a group of batches in one call (rows from `first_row` of the table on).
fn screen_group(
    run: &mut TableScreener,
    group: &[BatchText<'_>],
    first_row: u64,
    first_line: Option<u64>,
) -> Verdicts {
    let rows: usize = group.iter().map(|t| t.rows).sum();
    let width = group.first().map_or(1, |t| t.address.len()).max(1);
    let mut parts: Vec<Option<&str>> = Vec::with_capacity(rows * width);
    for t in group {
        for i in 0..t.rows {
            parts.extend(t.address.iter().map(|c| c.get(i)));
        }
    }
    let mut fields = Vec::with_capacity(rows);
    let mut row = 0u64;
    let mut address = parts.chunks(width);
    for t in group {
        for i in 0..t.rows {
            let line = match &t.line {
                Some(lines) => lines.get(i).copied().flatten(),
                None => first_line.map(|f| f + first_row + row),
            };
            fields.push(Fields {
                address: address.next().unwrap_or(&[]),
                postal: get(&t.postal, i),
                name: get(&t.name, i),
                phone: get(&t.phone, i),
                email: get(&t.email, i),
                time: get(&t.time, i),
                line,
            });
            row += 1;
        }
    }
    run.screen(&fields)
}

/// Row `i` of an optional column.
fn get<'a>(column: &Option<TextColumn<'a>>, i: usize) -> Option<&'a str> {
    column.as_ref().and_then(|c| c.get(i))
}

/// One output batch: the kept input columns and the verdict cells of its rows.
fn output_batch(
    schema: &Arc<Schema>,
    batch: &RecordBatch,
    kept: &[usize],
    verdicts: &Verdicts,
    offset: usize,
    rows: usize,
    spec: &Spec,
) -> Result<RecordBatch, String> {
    let mut columns: Vec<ArrayRef> = kept.iter().map(|&i| batch.column(i).clone()).collect();
    for column in &verdicts.columns {
        let cells = (offset..offset + rows).map(|i| column.get(i).unwrap_or(""));
        columns.push(Arc::new(StringArray::from_iter_values(cells)));
    }
    if spec.velocity_key {
        let keys = verdicts.keys.get(offset..offset + rows).unwrap_or(&[]);
        columns.push(Arc::new(StringArray::from_iter(
            keys.iter().map(|k| k.as_deref()),
        )));
    }
    RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )
    .map_err(|e| format!("building the result batch: {e}"))
}
