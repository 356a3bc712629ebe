//! Arrow tables in and out through the Arrow PyCapsule interface — the C data and C stream
//! interfaces wrapped in capsules — so that pyarrow, Polars, DuckDB and Spark's batches all
//! work without the package depending on any of them.
//!
//! * In: an object's `__arrow_c_stream__()` (a table, a reader, a Polars frame, a DuckDB
//!   result) or `__arrow_c_array__()` (a record batch) is imported without copying
//!   ([`import_table`]); its text columns are read through [`TextColumn`] whatever their
//!   layout (`string`, `large_string`, `string_view`, dictionary of strings, all-null).
//! * Out: [`PyArrowStream`] holds the result batches and hands them out once through its own
//!   `__arrow_c_stream__`, which `pyarrow.table()`, `polars.from_arrow()` and DuckDB read.

use crate::errors::arrow_error;
use arrow_array::cast::AsArray;
use arrow_array::ffi::{from_ffi, FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::ffi_stream::{FFI_ArrowArrayStream, RecordBatchStreamReader};
use arrow_array::types::{Int32Type, Int64Type, UInt32Type, UInt64Type};
use arrow_array::{
    Array, ArrayRef, LargeStringArray, RecordBatch, RecordBatchIterator, RecordBatchOptions,
    RecordBatchReader, StringArray, StringViewArray, StructArray,
};
use arrow_schema::{ArrowError, DataType, SchemaRef};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyCapsuleMethods, PyTuple};
use std::ffi::CStr;
use std::sync::Mutex;

const STREAM: &CStr = c"arrow_array_stream";
const SCHEMA: &CStr = c"arrow_schema";
const ARRAY: &CStr = c"arrow_array";

/// An imported table: its schema and its record batches, in order.
pub struct Table {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

/// Imports any object of the Arrow PyCapsule interface (zero-copy).
pub fn import_table(obj: &Bound<'_, PyAny>) -> PyResult<Table> {
    if obj.hasattr("__arrow_c_stream__")? {
        let capsule = obj.call_method0("__arrow_c_stream__")?;
        let capsule = capsule
            .cast_into::<PyCapsule>()
            .map_err(|_| arrow_error("__arrow_c_stream__ did not return a PyCapsule"))?;
        let ptr = capsule.pointer_checked(Some(STREAM))?;
        // SAFETY: the capsule is named `arrow_array_stream`, so by the PyCapsule interface it
        // holds an `ArrowArrayStream`; `from_raw` moves it out and leaves a released one in
        // the capsule, which the capsule's destructor then ignores.
        let stream = unsafe { FFI_ArrowArrayStream::from_raw(ptr.cast().as_ptr()) };
        let reader = RecordBatchStreamReader::try_new(stream).map_err(from_arrow)?;
        let schema = reader.schema();
        let batches = reader.collect::<Result<Vec<_>, _>>().map_err(from_arrow)?;
        return Ok(Table { schema, batches });
    }
    if obj.hasattr("__arrow_c_array__")? {
        let pair = obj.call_method0("__arrow_c_array__")?;
        let pair = pair
            .cast_into::<PyTuple>()
            .map_err(|_| arrow_error("__arrow_c_array__ did not return a tuple"))?;
        let schema_capsule = pair.get_item(0)?.cast_into::<PyCapsule>()?;
        let array_capsule = pair.get_item(1)?.cast_into::<PyCapsule>()?;
        let schema_ptr = schema_capsule.pointer_checked(Some(SCHEMA))?;
        let array_ptr = array_capsule.pointer_checked(Some(ARRAY))?;
        // SAFETY: capsules named `arrow_schema` / `arrow_array` hold an ArrowSchema and an
        // ArrowArray (PyCapsule interface). The array is moved out (its capsule keeps a
        // released one); the schema is only borrowed while its capsule is alive.
        let (data, field) = unsafe {
            let array = FFI_ArrowArray::from_raw(array_ptr.cast().as_ptr());
            let schema: &FFI_ArrowSchema = &*schema_ptr.cast::<FFI_ArrowSchema>().as_ptr();
            let field = arrow_schema::Field::try_from(schema).map_err(from_arrow)?;
            (from_ffi(array, schema).map_err(from_arrow)?, field)
        };
        let DataType::Struct(fields) = data.data_type().clone() else {
            return Err(arrow_error(
                "__arrow_c_array__ gave a plain array, not a record batch (a struct array)",
            ));
        };
        let schema = std::sync::Arc::new(
            arrow_schema::Schema::new(fields).with_metadata(field.metadata().clone()),
        );
        let rows = data.len();
        let (_, columns, _) = StructArray::from(data).into_parts();
        let batch = RecordBatch::try_new_with_options(
            schema.clone(),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(rows)),
        )
        .map_err(from_arrow)?;
        return Ok(Table {
            schema,
            batches: vec![batch],
        });
    }
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "{} is not an Arrow table: it has neither __arrow_c_stream__ nor __arrow_c_array__ \
         (pyarrow, Polars and DuckDB results have them)",
        obj.get_type().name()?
    )))
}

fn from_arrow(e: ArrowError) -> PyErr {
    arrow_error(format!("reading the Arrow table: {e}"))
}

/// A text column of one batch, whatever its Arrow layout.
pub enum TextColumn<'a> {
    /// `string` (32-bit offsets).
    Utf8(&'a StringArray),
    /// `large_string`.
    Large(&'a LargeStringArray),
    /// `string_view` (Polars' layout).
    View(&'a StringViewArray),
    /// A dictionary of strings (pandas categoricals): each row's value index, None for null.
    Dictionary(Vec<Option<usize>>, Box<TextColumn<'a>>),
    /// A column of type `null`.
    Null,
}

impl<'a> TextColumn<'a> {
    /// The column `array` as text; `None` when it is not text.
    pub fn of(array: &'a ArrayRef) -> Option<TextColumn<'a>> {
        Some(match array.data_type() {
            DataType::Utf8 => TextColumn::Utf8(array.as_string_opt::<i32>()?),
            DataType::LargeUtf8 => TextColumn::Large(array.as_string_opt::<i64>()?),
            DataType::Utf8View => TextColumn::View(array.as_string_view_opt()?),
            DataType::Null => TextColumn::Null,
            DataType::Dictionary(_, _) => {
                let dict = array.as_any_dictionary_opt()?;
                let values = TextColumn::of(dict.values())?;
                let keys = dict.keys();
                let index = dict
                    .normalized_keys()
                    .into_iter()
                    .enumerate()
                    .map(|(i, k)| keys.is_valid(i).then_some(k))
                    .collect();
                TextColumn::Dictionary(index, Box::new(values))
            }
            _ => return None,
        })
    }

    /// Row `i`; `None` for a null.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            TextColumn::Utf8(a) => (i < a.len() && a.is_valid(i)).then(|| a.value(i)),
            TextColumn::Large(a) => (i < a.len() && a.is_valid(i)).then(|| a.value(i)),
            TextColumn::View(a) => (i < a.len() && a.is_valid(i)).then(|| a.value(i)),
            TextColumn::Dictionary(index, values) => {
                index.get(i).copied().flatten().and_then(|k| values.get(k))
            }
            TextColumn::Null => None,
        }
    }
}

/// Row numbers from an integer column (`line_column`); `None` for a null or a negative.
pub fn line_numbers(array: &ArrayRef) -> Option<Vec<Option<u64>>> {
    let n = array.len();
    let valid = |i: usize| array.is_valid(i);
    Some(match array.data_type() {
        DataType::Int64 => {
            let a = array.as_primitive_opt::<Int64Type>()?;
            (0..n)
                .map(|i| valid(i).then(|| u64::try_from(a.value(i)).ok()).flatten())
                .collect()
        }
        DataType::Int32 => {
            let a = array.as_primitive_opt::<Int32Type>()?;
            (0..n)
                .map(|i| valid(i).then(|| u64::try_from(a.value(i)).ok()).flatten())
                .collect()
        }
        DataType::UInt64 => {
            let a = array.as_primitive_opt::<UInt64Type>()?;
            (0..n).map(|i| valid(i).then(|| a.value(i))).collect()
        }
        DataType::UInt32 => {
            let a = array.as_primitive_opt::<UInt32Type>()?;
            (0..n)
                .map(|i| valid(i).then(|| u64::from(a.value(i))))
                .collect()
        }
        _ => return None,
    })
}

/// Result batches, handed out once through the Arrow C stream interface.
#[pyclass(module = "banchi", frozen, name = "ArrowStream")]
pub struct PyArrowStream {
    schema: SchemaRef,
    batches: Mutex<Option<Vec<RecordBatch>>>,
}

impl PyArrowStream {
    pub fn new(schema: SchemaRef, batches: Vec<RecordBatch>) -> Self {
        PyArrowStream {
            schema,
            batches: Mutex::new(Some(batches)),
        }
    }
}

#[pymethods]
impl PyArrowStream {
    /// The batches as an `ArrowArrayStream` capsule (once: a second call raises).
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        // The schema is fixed: a requested one is not applied (the interface allows that).
        let _ = requested_schema;
        let batches = self
            .batches
            .lock()
            .map_err(|_| arrow_error("the result stream is unusable"))?
            .take()
            .ok_or_else(|| arrow_error("this result was read already (it streams once)"))?;
        let reader: Box<dyn RecordBatchReader + Send> = Box::new(RecordBatchIterator::new(
            batches.into_iter().map(Ok),
            self.schema.clone(),
        ));
        PyCapsule::new_with_value(py, FFI_ArrowArrayStream::new(reader), STREAM)
    }

    /// Column names of the result.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    fn __repr__(&self) -> String {
        format!("banchi.ArrowStream(columns={:?})", self.column_names())
    }
}
