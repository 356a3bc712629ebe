//! Bulk screening: a whole shipping list in, the same list with verdict columns out.
//!
//! Operations teams re-screen hundreds of thousands of orders before dispatch; this module
//! does it streaming, in parallel and without losing a row:
//!
//! * **Formats** — CSV, TSV (no quoting) or JSONL, from the file extension or given
//!   ([`Format`]). CSV/TSV need a header row; the address is one column or several joined with
//!   a space ([`Columns`]), found by name (`address`, `住所`, `お届け先住所`, …).
//! * **Output** — every input column as it was (well-formed CSV rows are copied byte for byte),
//!   then [`ADDED_COLUMNS`]: `grade` (fraud), `forwarder`, `score`, `level`, `reasons` (codes
//!   joined with `;`), `normalized`, `error`. JSONL objects get the same keys appended.
//! * **No row lost** — each input record ([`split`]) yields exactly one output row; a record
//!   that cannot be read (open quote, wrong column count, over-long line, invalid UTF-8, not a
//!   JSON object) still gets its row, with `error` naming the line and the problem and the
//!   input columns kept as far as they could be read.
//! * **Streaming and ordered** — a reader thread cuts records into chunks of
//!   [`Options::chunk_rows`]; each chunk is parsed, screened, scored and formatted on all
//!   cores (rayon), a few pieces per thread, each piece's lines in one buffer with a small
//!   mark per row (the parse and score are dropped on the worker that made them). A finisher
//!   thread counts velocity over the marks in input order ([`velocity`]) — screening again
//!   from its record the rare row that velocity raises — tallies, and hands the buffers to a
//!   writer thread. At most a few chunks are in flight, so memory stays flat whatever the
//!   file size.
//! * **Interruptible and resumable** — when the stop flag is raised (Ctrl-C in the CLI), no
//!   new chunk is read, the chunks read are finished and written, and [`Summary::interrupted`]
//!   says so; the output then holds whole rows only. With [`Options::resume`] an existing
//!   output is checked ([`resume`]), cut after its last complete row, and the run continues
//!   from the next input record — replaying the velocity counts of the skipped rows so the
//!   result equals an uninterrupted run's.
//!
//! Nothing here prints: the caller gets a [`Summary`] and progress callbacks, and error texts
//! name line numbers, never row contents.

pub mod resume;
pub mod split;
pub mod velocity;

use crate::address::{Address, Level};
use crate::config::VelocitySettings;
use crate::error::BulkError;
use crate::score::{Buyer, Score, Scorer};
use crate::screen::{Screener, Screening};
use crate::watchlist::{Grade, MatchOptions};
use rayon::prelude::*;
use split::{FieldSplitter, Problem, Record, RecordReader};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};
use velocity::Velocity;

/// Columns appended to every row, in this order.
pub const ADDED_COLUMNS: [&str; 7] = [
    "grade",
    "forwarder",
    "score",
    "level",
    "reasons",
    "normalized",
    "error",
];

/// Header names taken as the address column when none is given (compared case-insensitively).
pub const ADDRESS_NAMES: &[&str] = &[
    "address",
    "住所",
    "shipping_address",
    "delivery_address",
    "お届け先住所",
    "配送先住所",
    "送付先住所",
];
/// Header names taken as the buyer name.
pub const NAME_NAMES: &[&str] = &[
    "name",
    "氏名",
    "名前",
    "buyer_name",
    "customer_name",
    "recipient",
    "recipient_name",
    "お届け先氏名",
    "配送先氏名",
    "購入者名",
];
/// Header names taken as the phone number.
pub const PHONE_NAMES: &[&str] = &[
    "phone",
    "tel",
    "telephone",
    "phone_number",
    "電話番号",
    "お届け先電話番号",
];
/// Header names taken as the e-mail address.
pub const EMAIL_NAMES: &[&str] = &["email", "e-mail", "mail", "メールアドレス"];
/// Header names taken as the order time (enables the time window of velocity).
pub const TIME_NAMES: &[&str] = &[
    "order_time",
    "ordered_at",
    "order_date",
    "created_at",
    "注文日時",
    "注文日",
];

/// Input and output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated, RFC 4180 quoting.
    Csv,
    /// Tab-separated, no quoting.
    Tsv,
    /// One JSON object per line.
    Jsonl,
}

impl Format {
    /// From a file extension: `.csv`, `.tsv`/`.tab`, `.jsonl`/`.ndjson`.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "tsv" | "tab" => Some(Format::Tsv),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            _ => None,
        }
    }

    /// The field delimiter (CSV/TSV).
    pub fn delimiter(self) -> u8 {
        match self {
            Format::Tsv => b'\t',
            _ => b',',
        }
    }

    /// `csv`, `tsv` or `jsonl`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Jsonl => "jsonl",
        }
    }
}

/// Which columns (CSV/TSV header names, JSONL keys) hold what. Empty or `None`: found by the
/// default names above.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    /// Address columns, joined with a space in this order.
    pub address: Vec<String>,
    /// Buyer name.
    pub name: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Order time.
    pub time: Option<String>,
}

/// Options of a run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Input format (`None`: from the input's extension, else CSV).
    pub format: Option<Format>,
    /// Output format (`None`: the input's).
    pub output_format: Option<Format>,
    /// Column names.
    pub columns: Columns,
    /// Continue an existing output instead of overwriting it.
    pub resume: bool,
    /// Rows per parallel chunk.
    pub chunk_rows: usize,
    /// Velocity settings.
    pub velocity: VelocitySettings,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            format: None,
            output_format: None,
            columns: Columns::default(),
            resume: false,
            chunk_rows: 8192,
            velocity: VelocitySettings::default(),
        }
    }
}

/// Progress reported after each chunk.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Rows written so far by this run.
    pub rows: u64,
    /// Input bytes read so far (including skipped ones when resuming).
    pub bytes: u64,
    /// Time since the start.
    pub elapsed: Duration,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Rows written by this run.
    pub rows: u64,
    /// Rows found complete in the output and skipped (`--resume`).
    pub resumed_from: u64,
    /// Rows that could not be read (malformed records).
    pub read_errors: u64,
    /// Rows whose address did not parse.
    pub address_errors: u64,
    /// Fraud grades: none, danger, caution, warning.
    pub fraud: [u64; 4],
    /// Forwarder grades: none, forwarding_service, possible.
    pub forwarder: [u64; 3],
    /// Levels: low, medium, high (rows with a score).
    pub levels: [u64; 3],
    /// Rows at or above the alert threshold.
    pub alerts: u64,
    /// Rows raised by velocity.
    pub velocity: u64,
    /// Line number of the last input record written (0: none).
    pub last_line: u64,
    /// True when the run stopped on the stop flag before the end of the input.
    pub interrupted: bool,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl Summary {
    /// Rows per second of this run.
    pub fn rows_per_sec(&self) -> f64 {
        self.rows as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Column positions resolved against the header.
#[derive(Debug, Clone, Default)]
struct Resolved {
    address: Vec<usize>,
    name: Option<usize>,
    phone: Option<usize>,
    email: Option<usize>,
    time: Option<usize>,
    width: usize,
}

/// JSONL keys resolved (JSONL has no header: names are looked up per row).
#[derive(Debug, Clone, Default)]
struct Keys {
    address: Vec<String>,
    /// Several address keys given: join them (else the first one present is the address).
    join_address: bool,
    name: Vec<String>,
    phone: Vec<String>,
    email: Vec<String>,
    time: Vec<String>,
}

fn find(header: &[String], wanted: &[&str]) -> Option<usize> {
    wanted
        .iter()
        .find_map(|w| header.iter().position(|h| h.trim().eq_ignore_ascii_case(w)))
}

fn resolve(header: &[String], c: &Columns) -> Result<Resolved, BulkError> {
    let named = |name: &str| {
        header
            .iter()
            .position(|h| h.trim() == name.trim())
            .or_else(|| find(header, &[name]))
            .ok_or_else(|| BulkError::UnknownColumn(name.to_owned()))
    };
    let address = if c.address.is_empty() {
        match find(header, ADDRESS_NAMES) {
            Some(i) => vec![i],
            None => {
                return Err(BulkError::NoAddressColumn {
                    wanted: ADDRESS_NAMES.join(", "),
                    header: header.join(", "),
                })
            }
        }
    } else {
        c.address
            .iter()
            .map(|n| named(n))
            .collect::<Result<_, _>>()?
    };
    let opt = |given: &Option<String>, defaults: &[&str]| -> Result<Option<usize>, BulkError> {
        match given {
            Some(n) => named(n).map(Some),
            None => Ok(find(header, defaults)),
        }
    };
    Ok(Resolved {
        address,
        name: opt(&c.name, NAME_NAMES)?,
        phone: opt(&c.phone, PHONE_NAMES)?,
        email: opt(&c.email, EMAIL_NAMES)?,
        time: opt(&c.time, TIME_NAMES)?,
        width: header.len(),
    })
}

fn keys(c: &Columns) -> Keys {
    let list = |given: &Option<String>, defaults: &[&str]| match given {
        Some(n) => vec![n.clone()],
        None => defaults.iter().map(|s| s.to_string()).collect(),
    };
    Keys {
        address: if c.address.is_empty() {
            ADDRESS_NAMES.iter().map(|s| s.to_string()).collect()
        } else {
            c.address.clone()
        },
        join_address: c.address.len() > 1,
        name: list(&c.name, NAME_NAMES),
        phone: list(&c.phone, PHONE_NAMES),
        email: list(&c.email, EMAIL_NAMES),
        time: list(&c.time, TIME_NAMES),
    }
}

/// One row after screening, before formatting.
#[derive(Debug, Default)]
struct Row {
    /// Output bytes of the input columns (CSV/TSV: fields and delimiters; JSONL: the object
    /// without its closing brace).
    prefix: Vec<u8>,
    /// JSONL: the object already has members (a comma is needed).
    jsonl_comma: bool,
    /// Record could not be read.
    read_error: bool,
    error: Option<String>,
    screening: Option<Screening>,
    score: Option<Score>,
    key: Option<u64>,
    name: Option<u32>,
    time: Option<u32>,
    line: u64,
    velocity_hit: bool,
}

/// Everything the workers share.
struct Ctx<'a> {
    screener: &'a Screener,
    scorer: &'a Scorer,
    format: Format,
    out_format: Format,
    cols: Resolved,
    keys: Keys,
    velocity_on: bool,
    min_names: u32,
}

/// Screens a file into another (see the module documentation). `stop` is polled between
/// chunks; `progress` is called after each chunk.
pub fn screen_file(
    input: &Path,
    output: &Path,
    opts: &Options,
    screener: &Screener,
    scorer: &Scorer,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Summary, BulkError> {
    let in_io = |source| BulkError::Io {
        path: input.to_owned(),
        source,
    };
    let out_io = |source| BulkError::Io {
        path: output.to_owned(),
        source,
    };
    let format = opts
        .format
        .or_else(|| Format::from_path(input))
        .unwrap_or(Format::Csv);
    let out_format = opts
        .output_format
        .or_else(|| Format::from_path(output))
        .unwrap_or(format);
    let file = File::open(input).map_err(in_io)?;
    let reader = BufReader::with_capacity(1 << 20, file);

    let mut prepared = prepare(reader, format, out_format, opts)?;
    let header_line = prepared.header_bytes(out_format);

    // The output: fresh, or resumed after its last complete row.
    let mut skip = 0u64;
    let exists = output.exists()
        && std::fs::metadata(output)
            .map(|m| m.len() > 0)
            .unwrap_or(false);
    let out_file = if opts.resume && exists {
        let want = prepared.out_header(out_format);
        let scanned = resume::scan(output, out_format, want.as_deref())?;
        let mut f = OpenOptions::new()
            .write(true)
            .open(output)
            .map_err(out_io)?;
        match scanned {
            Some(p) => {
                f.set_len(p.end).map_err(out_io)?;
                f.seek(io::SeekFrom::End(0)).map_err(out_io)?;
                skip = p.rows;
                if p.end == 0 {
                    f.write_all(&header_line).map_err(out_io)?;
                }
            }
            None => {
                f.write_all(&header_line).map_err(out_io)?;
            }
        }
        f
    } else {
        let mut f = File::create(output).map_err(out_io)?;
        f.write_all(&header_line).map_err(out_io)?;
        f
    };
    let writer = BufWriter::with_capacity(1 << 20, out_file);
    prepared.skip = skip;
    let summary = prepared.run(writer, screener, scorer, opts, stop, progress);
    summary.map_err(|e| match e {
        RunError::Read(source) => BulkError::Io {
            path: input.to_owned(),
            source,
        },
        RunError::Write(source) => BulkError::Io {
            path: output.to_owned(),
            source,
        },
    })
}

/// Screens CSV/TSV/JSONL from a reader into a writer (no resume): the library entry point
/// for in-memory data and benchmarks. The header row is written too.
pub fn screen_stream<R: BufRead + Send, W: Write + Send>(
    reader: R,
    mut writer: W,
    format: Format,
    opts: &Options,
    screener: &Screener,
    scorer: &Scorer,
) -> Result<Summary, BulkError> {
    let out_format = opts.output_format.unwrap_or(format);
    let prepared = prepare(reader, format, out_format, opts)?;
    let pseudo = PathBuf::from("<stream>");
    writer
        .write_all(&prepared.header_bytes(out_format))
        .map_err(|source| BulkError::Io {
            path: pseudo.clone(),
            source,
        })?;
    let stop = AtomicBool::new(false);
    prepared
        .run(writer, screener, scorer, opts, &stop, &mut |_| {})
        .map_err(|e| BulkError::Io {
            path: pseudo,
            source: match e {
                RunError::Read(s) | RunError::Write(s) => s,
            },
        })
}

/// Work for the finisher thread, in input order.
enum Finish {
    /// Rows an earlier run wrote: only their velocity counts.
    Replay(Vec<Row>),
    /// Screened, formatted pieces of a chunk; the chunk's records (from `fresh_from` on they
    /// are the pieces' rows, for screening again the rare row that velocity raises); the
    /// input line of the last one.
    Rows {
        pieces: Vec<Piece>,
        records: Vec<Record>,
        fresh_from: usize,
        last_line: u64,
    },
}

enum RunError {
    Read(io::Error),
    Write(io::Error),
}

/// A reader positioned after the header, with the columns resolved.
struct Prepared<R> {
    records: RecordReader<R>,
    format: Format,
    header: Vec<String>,
    cols: Resolved,
    keys: Keys,
    header_consumed: u64,
    skip: u64,
}

fn prepare<R: BufRead>(
    reader: R,
    format: Format,
    out_format: Format,
    opts: &Options,
) -> Result<Prepared<R>, BulkError> {
    let _ = out_format;
    let mut records = RecordReader::new(reader, format == Format::Csv, format.delimiter());
    let mut header = Vec::new();
    let mut cols = Resolved::default();
    let mut header_consumed = 0;
    if format != Format::Jsonl {
        let rec = records
            .next_record()
            .map_err(|e| BulkError::BadHeader(e.to_string()))?
            .ok_or(BulkError::NoHeader)?;
        if rec.problem.is_some() {
            return Err(BulkError::BadHeader(
                "an open quote or an over-long line".into(),
            ));
        }
        header_consumed = rec.consumed;
        let mut sp = FieldSplitter::new(format.delimiter(), format == Format::Csv);
        let n = sp.split(&rec.bytes);
        header = (0..n)
            .map(|i| String::from_utf8_lossy(sp.field(i).unwrap_or(b"")).into_owned())
            .collect();
        if header.is_empty() || header.iter().all(|h| h.trim().is_empty()) {
            return Err(BulkError::NoHeader);
        }
        cols = resolve(&header, &opts.columns)?;
        records.expected_fields = header.len();
    }
    Ok(Prepared {
        records,
        format,
        header,
        cols,
        keys: keys(&opts.columns),
        header_consumed,
        skip: 0,
    })
}

impl<R: BufRead + Send> Prepared<R> {
    /// The output header fields (CSV/TSV output), `None` for JSONL output.
    fn out_header(&self, out_format: Format) -> Option<Vec<String>> {
        if out_format == Format::Jsonl {
            return None;
        }
        let mut h = if self.format == Format::Jsonl {
            vec!["input".to_owned()]
        } else {
            self.header.clone()
        };
        h.extend(ADDED_COLUMNS.iter().map(|s| s.to_string()));
        Some(h)
    }

    fn header_bytes(&self, out_format: Format) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(h) = self.out_header(out_format) {
            for (i, f) in h.iter().enumerate() {
                if i > 0 {
                    out.push(out_format.delimiter());
                }
                push_field(&mut out, f.as_bytes(), out_format);
            }
            out.push(b'\n');
        }
        out
    }

    fn run<W: Write + Send>(
        self,
        writer: W,
        screener: &Screener,
        scorer: &Scorer,
        opts: &Options,
        stop: &AtomicBool,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Summary, RunError> {
        let started = Instant::now();
        let out_format = opts.output_format.unwrap_or(self.format);
        let time_known = match self.format {
            Format::Jsonl => true,
            _ => self.cols.time.is_some(),
        };
        let name_known = match self.format {
            Format::Jsonl => true,
            _ => self.cols.name.is_some(),
        };
        let v = &opts.velocity;
        let velocity_on = name_known && v.min_names > 0;
        let mut velocity = Velocity::new(
            v.min_names,
            v.window_rows,
            if time_known { v.window_hours } else { 0 },
        );
        // Rows carry grades and reason codes, never record ids: the grade-only lookup.
        let screener = &screener.clone().with_options(MatchOptions {
            max_matches: 0,
            ..screener.options()
        });
        let ctx = Ctx {
            screener,
            scorer,
            format: self.format,
            out_format,
            cols: self.cols.clone(),
            keys: self.keys.clone(),
            velocity_on,
            min_names: v.min_names,
        };
        let chunk_rows = opts.chunk_rows.max(1);
        let skip = self.skip;
        let mut records = self.records;
        let mut summary = Summary {
            resumed_from: skip,
            ..Summary::default()
        };
        let mut bytes = self.header_consumed;

        std::thread::scope(|scope| -> Result<Summary, RunError> {
            let (tx_in, rx_in) = sync_channel::<io::Result<Vec<Record>>>(2);
            let reader = scope.spawn(move || -> bool {
                loop {
                    if stop.load(Ordering::SeqCst) {
                        return false;
                    }
                    let mut chunk = Vec::with_capacity(chunk_rows);
                    while chunk.len() < chunk_rows {
                        match records.next_record() {
                            Ok(Some(r)) => chunk.push(r),
                            Ok(None) => break,
                            Err(e) => {
                                let _ = tx_in.send(Err(e));
                                return false;
                            }
                        }
                    }
                    let last = chunk.len() < chunk_rows;
                    if !chunk.is_empty() && tx_in.send(Ok(chunk)).is_err() {
                        return false;
                    }
                    if last {
                        return true;
                    }
                }
            });
            let (tx_out, rx_out) = sync_channel::<Vec<Vec<u8>>>(2);
            let mut writer = writer;
            let write_thread = scope.spawn(move || -> io::Result<()> {
                for lines in rx_out {
                    for line in lines {
                        writer.write_all(&line)?;
                    }
                }
                writer.flush()
            });

            // Velocity needs the rows in input order: a finisher thread counts them (and
            // formats again the few rows it raises), tallies and hands the lines to the
            // writer, while the workers screen the next chunk.
            let (tx_done, rx_done) = sync_channel::<Finish>(2);
            let ctx = &ctx;
            let finisher = scope.spawn(move || -> Summary {
                for msg in rx_done {
                    match msg {
                        Finish::Replay(rows) => {
                            for r in &rows {
                                velocity.observe(r.key, r.name, r.time);
                            }
                        }
                        Finish::Rows {
                            pieces,
                            records,
                            fresh_from,
                            last_line,
                        } => {
                            let mut index = fresh_from;
                            let mut lines = Vec::with_capacity(pieces.len());
                            for mut piece in pieces {
                                let mut raised = Vec::new();
                                for (i, m) in piece.marks.iter_mut().enumerate() {
                                    let names = velocity.observe(m.key, m.name, m.time);
                                    if ctx.velocity_on
                                        && names >= ctx.min_names
                                        && m.level.is_some()
                                    {
                                        raised.push((i, names));
                                    }
                                }
                                for &(i, names) in &raised {
                                    let record = &records[index + i];
                                    let (line, mark) = ctx.raise_velocity(record, names);
                                    piece.splice(i, &line, mark);
                                }
                                for m in &piece.marks {
                                    tally(&mut summary, m);
                                }
                                index += piece.marks.len();
                                lines.push(piece.buf);
                            }
                            summary.last_line = last_line;
                            if tx_out.send(lines).is_err() {
                                break;
                            }
                        }
                    }
                }
                summary
            });

            let mut index = 0u64;
            let mut rows_done = 0u64;
            let mut read_error = None;
            for chunk in rx_in {
                let chunk = match chunk {
                    Ok(c) => c,
                    Err(e) => {
                        read_error = Some(e);
                        break;
                    }
                };
                bytes += chunk.iter().map(|r| r.consumed).sum::<u64>();
                let first = index;
                index += chunk.len() as u64;
                // Rows an earlier run wrote: only replay their velocity counts.
                let fresh_from = skip.saturating_sub(first).min(chunk.len() as u64) as usize;
                if fresh_from > 0 && ctx.velocity_on {
                    let replay: Vec<Row> = chunk[..fresh_from]
                        .par_iter()
                        .map(|r| ctx.velocity_inputs(r))
                        .collect();
                    if tx_done.send(Finish::Replay(replay)).is_err() {
                        break;
                    }
                }
                let fresh = &chunk[fresh_from..];
                let Some(last) = fresh.last() else {
                    continue;
                };
                // Screened and formatted in one parallel pass, in a few pieces per thread,
                // each with one field splitter (building one is not free).
                let piece = fresh
                    .len()
                    .div_ceil(rayon::current_num_threads() * 4)
                    .max(1);
                let pieces: Vec<Piece> = fresh
                    .par_chunks(piece)
                    .map(|records| ctx.screen_piece(records))
                    .collect();
                rows_done += fresh.len() as u64;
                let last_line = last.line;
                let msg = Finish::Rows {
                    pieces,
                    records: chunk,
                    fresh_from,
                    last_line,
                };
                if tx_done.send(msg).is_err() {
                    break;
                }
                progress(&Progress {
                    rows: rows_done,
                    bytes,
                    elapsed: started.elapsed(),
                });
            }
            drop(tx_done);
            let finished = finisher.join();
            let reached_end = reader.join().unwrap_or(false);
            let written = write_thread
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("writer thread failed")));
            written.map_err(RunError::Write)?;
            let mut summary = finished
                .map_err(|_| RunError::Write(io::Error::other("finisher thread failed")))?;
            if let Some(e) = read_error {
                return Err(RunError::Read(e));
            }
            summary.interrupted = !reached_end && stop.load(Ordering::SeqCst);
            summary.elapsed = started.elapsed();
            Ok(summary)
        })
    }
}

/// What the finisher keeps of a screened row: its velocity inputs and what the summary counts.
/// (The row itself — parse, grades, score — is dropped on the worker that made it.)
#[derive(Debug, Clone, Copy)]
struct Mark {
    /// Offset of the row's line in its piece's buffer.
    start: usize,
    key: Option<u64>,
    name: Option<u32>,
    time: Option<u32>,
    read_error: bool,
    screened: bool,
    address_error: bool,
    fraud: Option<Grade>,
    forwarder: Option<Grade>,
    level: Option<usize>,
    alert: bool,
    velocity_hit: bool,
}

impl Mark {
    fn of(row: &Row, start: usize) -> Mark {
        let sc = row.screening.as_ref();
        Mark {
            start,
            key: row.key,
            name: row.name,
            time: row.time,
            read_error: row.read_error,
            screened: sc.is_some(),
            address_error: sc.is_some_and(|s| s.address.is_none()),
            fraud: sc.and_then(|s| s.fraud.grade),
            forwarder: sc.and_then(|s| s.forwarder.grade),
            level: row.score.as_ref().map(|s| s.level as usize),
            alert: row.score.as_ref().is_some_and(|s| s.alert),
            velocity_hit: row.velocity_hit,
        }
    }
}

/// Screened rows of one stretch of a chunk: their output lines back to back, and a mark each.
struct Piece {
    buf: Vec<u8>,
    marks: Vec<Mark>,
}

impl Piece {
    /// Replaces row `i`'s line with `line` and its mark with `mark`.
    fn splice(&mut self, i: usize, line: &[u8], mut mark: Mark) {
        let start = self.marks[i].start;
        let end = self.marks.get(i + 1).map_or(self.buf.len(), |m| m.start);
        self.buf.splice(start..end, line.iter().copied());
        mark.start = start;
        self.marks[i] = mark;
        let shift = line.len() as isize - (end - start) as isize;
        for m in &mut self.marks[i + 1..] {
            m.start = (m.start as isize + shift) as usize;
        }
    }
}

fn tally(s: &mut Summary, m: &Mark) {
    s.rows += 1;
    if m.read_error {
        s.read_errors += 1;
        return;
    }
    if m.address_error {
        s.address_errors += 1;
    }
    if m.screened {
        s.fraud[match m.fraud {
            Some(Grade::Danger) => 1,
            Some(Grade::Caution) => 2,
            Some(Grade::Warning) => 3,
            _ => 0,
        }] += 1;
        s.forwarder[match m.forwarder {
            Some(Grade::ForwardingService) => 1,
            Some(Grade::Possible) => 2,
            _ => 0,
        }] += 1;
    }
    if let Some(level) = m.level {
        s.levels[level] += 1;
        if m.alert {
            s.alerts += 1;
        }
    }
    if m.velocity_hit {
        s.velocity += 1;
    }
}

/// Field text of a row, when valid UTF-8 and not empty.
fn text(b: Option<&[u8]>) -> Option<&str> {
    b.and_then(|b| std::str::from_utf8(b).ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

impl Ctx<'_> {
    /// Parses just enough of a record for velocity (resume replay).
    fn velocity_inputs(&self, r: &Record) -> Row {
        let mut sp = FieldSplitter::new(self.format.delimiter(), self.format == Format::Csv);
        let row = self.screen_record(&mut sp, r);
        Row {
            key: row.key,
            name: row.name,
            time: row.time,
            ..Row::default()
        }
    }

    fn screen_record(&self, sp: &mut FieldSplitter, r: &Record) -> Row {
        match self.format {
            Format::Jsonl => self.screen_jsonl(r),
            _ => self.screen_delimited(sp, r),
        }
    }

    fn screen_delimited(&self, sp: &mut FieldSplitter, r: &Record) -> Row {
        let mut row = Row {
            line: r.line,
            ..Row::default()
        };
        let width = self.cols.width;
        // An over-long record's bytes were dropped: splitting the empty rest resets `sp`.
        let n = sp.split(&r.bytes);
        let blank = r.bytes.is_empty() && r.problem.is_none();
        let utf8 = std::str::from_utf8(&r.bytes).is_ok();
        let problem = match r.problem {
            Some(Problem::UnterminatedQuote) => Some("a quote is not closed".to_owned()),
            Some(Problem::TooLong) => Some(format!(
                "the row is longer than {} bytes; its fields were dropped",
                split::MAX_RECORD_BYTES
            )),
            None if blank && width > 1 => Some("an empty line".to_owned()),
            None if blank => None,
            None if n != width => Some(if n > width {
                format!("{n} fields, the header has {width}; the extra fields are joined into the last column")
            } else {
                format!("{n} fields, the header has {width}")
            }),
            None => None,
        };
        // Input columns: verbatim when the row is sound, else rebuilt to the header's width.
        if problem.is_none() && utf8 && self.out_format == self.format {
            row.prefix = r.bytes.clone();
        } else {
            self.rebuild(sp, n, &mut row.prefix);
        }
        if let Some(p) = problem {
            row.read_error = true;
            row.error = Some(format!("line {}: {p}", r.line));
            return row;
        }
        let mut notes = Vec::new();
        if !utf8 {
            notes.push("not valid UTF-8 (replaced with U+FFFD)".to_owned());
        }
        // The address: one column or several joined.
        let mut address = String::new();
        let mut bad_address = false;
        for &i in &self.cols.address {
            match sp.field(i).map(std::str::from_utf8) {
                Some(Ok(s)) => {
                    let s = s.trim();
                    if !s.is_empty() {
                        if !address.is_empty() {
                            address.push(' ');
                        }
                        address.push_str(s);
                    }
                }
                Some(Err(_)) => bad_address = true,
                None => {}
            }
        }
        if bad_address {
            row.read_error = true;
            row.error = Some(format!("line {}: the address is not valid UTF-8", r.line));
            return row;
        }
        let field = |i: Option<usize>| text(i.and_then(|i| sp.field(i)));
        let buyer = Buyer {
            name: field(self.cols.name),
            phone: field(self.cols.phone),
            email: field(self.cols.email),
        };
        let time = field(self.cols.time).and_then(velocity::parse_time_minutes);
        self.finish_row(&mut row, &address, &buyer, time, notes);
        row
    }

    /// Writes `n` split fields as output columns, padded or folded to the header's width.
    fn rebuild(&self, sp: &FieldSplitter, n: usize, out: &mut Vec<u8>) {
        let width = self.cols.width.max(1);
        let d = self.out_format.delimiter();
        for i in 0..width {
            if i > 0 {
                out.push(d);
            }
            if i + 1 == width && n > width {
                // Extra fields folded into the last column, joined with the delimiter.
                let mut joined = Vec::new();
                for j in i..n {
                    if j > i {
                        joined.push(d);
                    }
                    joined.extend_from_slice(sp.field(j).unwrap_or(b""));
                }
                push_field(
                    out,
                    String::from_utf8_lossy(&joined).as_bytes(),
                    self.out_format,
                );
            } else {
                let f = sp.field(i).unwrap_or(b"");
                push_field(out, String::from_utf8_lossy(f).as_bytes(), self.out_format);
            }
        }
    }

    fn screen_jsonl(&self, r: &Record) -> Row {
        let mut row = Row {
            line: r.line,
            ..Row::default()
        };
        let parsed = match r.problem {
            Some(_) => Err(format!(
                "the line is longer than {} bytes; its content was dropped",
                split::MAX_RECORD_BYTES
            )),
            None => serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&r.bytes)
                .map_err(|e| {
                    format!(
                        "not a JSON object ({:?} error at column {})",
                        e.classify(),
                        e.column()
                    )
                }),
        };
        let obj = match parsed {
            Ok(o) => o,
            Err(msg) => {
                row.read_error = true;
                row.error = Some(format!("line {}: {msg}", r.line));
                row.prefix = self.jsonl_error_prefix(r);
                row.jsonl_comma = true;
                return row;
            }
        };
        // Output: the input object as written, minus its closing brace.
        let trimmed = trim_ascii(&r.bytes);
        let inner = trimmed.strip_suffix(b"}").unwrap_or(trimmed);
        if self.out_format == Format::Jsonl {
            row.prefix = inner.to_vec();
            row.jsonl_comma = !obj.is_empty();
        } else {
            push_field(&mut row.prefix, trimmed, self.out_format);
        }
        let get = |names: &[String]| -> Option<String> {
            names.iter().find_map(|k| match obj.get(k) {
                Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {
                    Some(s.trim().to_owned())
                }
                Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                _ => None,
            })
        };
        let address = if self.keys.join_address {
            let parts: Vec<String> = self
                .keys
                .address
                .iter()
                .filter_map(|k| get(std::slice::from_ref(k)))
                .collect();
            parts.join(" ")
        } else {
            get(&self.keys.address).unwrap_or_default()
        };
        let (name, phone, email, time) = (
            get(&self.keys.name),
            get(&self.keys.phone),
            get(&self.keys.email),
            get(&self.keys.time),
        );
        let buyer = Buyer {
            name: name.as_deref(),
            phone: phone.as_deref(),
            email: email.as_deref(),
        };
        let time = time.as_deref().and_then(velocity::parse_time_minutes);
        self.finish_row(&mut row, &address, &buyer, time, Vec::new());
        row
    }

    fn jsonl_error_prefix(&self, r: &Record) -> Vec<u8> {
        let raw = String::from_utf8_lossy(&r.bytes);
        if self.out_format == Format::Jsonl {
            let mut p = format!("{{\"line\":{},\"raw\":", r.line).into_bytes();
            p.extend_from_slice(
                serde_json::to_string(raw.as_ref())
                    .unwrap_or_default()
                    .as_bytes(),
            );
            p
        } else {
            let mut p = Vec::new();
            push_field(&mut p, raw.as_bytes(), self.out_format);
            p
        }
    }

    fn finish_row(
        &self,
        row: &mut Row,
        address: &str,
        buyer: &Buyer<'_>,
        time: Option<u32>,
        mut notes: Vec<String>,
    ) {
        let s = self.screener.check(address);
        if let Some(e) = &s.error {
            notes.push(format!("address: {e}"));
        }
        let score = self.scorer.score(&s, buyer);
        if self.velocity_on {
            if let Some(a) = s.address.as_ref().filter(|a| a.level >= Level::Block) {
                row.key = Some(velocity::stable_hash(&a.key));
            }
            row.name = buyer.name.and_then(velocity::name_hash);
            row.time = time;
        }
        if !notes.is_empty() {
            row.error = Some(format!("line {}: {}", row.line, notes.join("; ")));
        }
        row.screening = Some(s);
        row.score = Some(score);
    }

    /// Screens and formats a stretch of records into one buffer (one allocation for all
    /// their lines), with a mark per row.
    fn screen_piece(&self, records: &[Record]) -> Piece {
        let mut sp = FieldSplitter::new(self.format.delimiter(), self.format == Format::Csv);
        let mut piece = Piece {
            buf: Vec::with_capacity(records.iter().map(|r| r.bytes.len() + VERDICT_BYTES).sum()),
            marks: Vec::with_capacity(records.len()),
        };
        for r in records {
            let row = self.screen_record(&mut sp, r);
            let start = piece.buf.len();
            piece.buf.extend_from_slice(&row.prefix);
            self.append_verdict(&row, &mut piece.buf);
            piece.marks.push(Mark::of(&row, start));
        }
        piece
    }

    /// A row that velocity raised: screened again from its record, with the velocity reason
    /// added; its output line and mark.
    fn raise_velocity(&self, record: &Record, names: u32) -> (Vec<u8>, Mark) {
        let mut sp = FieldSplitter::new(self.format.delimiter(), self.format == Format::Csv);
        let mut row = self.screen_record(&mut sp, record);
        if let Some(score) = row.score.as_mut() {
            self.scorer.add_velocity(score, names, self.min_names);
            row.velocity_hit = true;
        }
        let mut line = std::mem::take(&mut row.prefix);
        self.append_verdict(&row, &mut line);
        let mark = Mark::of(&row, 0);
        (line, mark)
    }

    /// The verdict columns of a row and the line break, appended to `out`.
    fn append_verdict(&self, row: &Row, out: &mut Vec<u8>) {
        let grade = row
            .screening
            .as_ref()
            .and_then(|s| s.fraud.grade)
            .map(Grade::as_str);
        let forwarder = row
            .screening
            .as_ref()
            .and_then(|s| s.forwarder.grade)
            .map(Grade::as_str);
        let normalized = row
            .screening
            .as_ref()
            .and_then(|s| s.address.as_ref())
            .map(normalized_text);
        out.reserve(VERDICT_BYTES);
        match self.out_format {
            Format::Jsonl => {
                use serde_json::json;
                let added = json!({
                    "grade": grade,
                    "forwarder": forwarder,
                    "score": row.score.as_ref().map(|s| s.score),
                    "level": row.score.as_ref().map(|s| s.level.as_str()),
                    "reasons": row.score.as_ref().map(|s| s.reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>()),
                    "normalized": normalized,
                    "error": row.error,
                });
                // `added` is an object; splice its members into the input object.
                let text = serde_json::to_string(&added).unwrap_or_else(|_| "{}".into());
                let members = text
                    .strip_prefix('{')
                    .and_then(|t| t.strip_suffix('}'))
                    .unwrap_or("");
                if out.is_empty() {
                    out.push(b'{');
                } else if row.jsonl_comma {
                    out.push(b',');
                }
                out.extend_from_slice(members.as_bytes());
                out.push(b'}');
            }
            f => {
                let d = f.delimiter();
                let mut score_buf = [0u8; 3];
                let score = row.score.as_ref().map(|s| decimal(s.score, &mut score_buf));
                let fields: [Option<&str>; 7] = [
                    grade,
                    forwarder,
                    score,
                    row.score.as_ref().map(|s| s.level.as_str()),
                    None,
                    normalized.as_deref(),
                    row.error.as_deref(),
                ];
                for (i, v) in fields.iter().enumerate() {
                    out.push(d);
                    if i == 4 {
                        if let Some(s) = &row.score {
                            for (j, r) in s.reasons.iter().enumerate() {
                                if j > 0 {
                                    out.push(b';');
                                }
                                out.extend_from_slice(r.code.as_str().as_bytes());
                            }
                        }
                    } else if let Some(v) = v {
                        push_field(out, v.as_bytes(), f);
                    }
                }
            }
        }
        out.push(b'\n');
    }
}

/// Room reserved for the verdict columns of a row (they are rarely longer).
const VERDICT_BYTES: usize = 224;

/// A score (0–100) as decimal text, without allocating.
fn decimal(n: u32, buf: &mut [u8; 3]) -> &str {
    let n = n.min(999);
    let digits = [(n / 100) as u8, (n / 10 % 10) as u8, (n % 10) as u8];
    let skip = if n >= 100 {
        0
    } else if n >= 10 {
        1
    } else {
        2
    };
    for (b, d) in buf.iter_mut().zip(digits) {
        *b = b'0' + d;
    }
    std::str::from_utf8(&buf[skip..]).unwrap_or("0")
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    b.get(start..end).unwrap_or(&[])
}

/// Appends one field: CSV quotes it when needed; TSV turns tabs and line breaks into spaces.
fn push_field(out: &mut Vec<u8>, field: &[u8], format: Format) {
    match format {
        Format::Tsv => out.extend(field.iter().map(|&c| match c {
            b'\t' | b'\n' | b'\r' => b' ',
            c => c,
        })),
        _ => {
            let needs = field
                .iter()
                .any(|&c| matches!(c, b',' | b'"' | b'\n' | b'\r'));
            if needs {
                out.push(b'"');
                for &c in field {
                    if c == b'"' {
                        out.push(b'"');
                    }
                    out.push(c);
                }
                out.push(b'"');
            } else {
                out.extend_from_slice(field);
            }
        }
    }
}

/// The address written back from its parts: `東京都中央区銀座4丁目6-16 銀座ビル 3F 301号室`.
pub fn normalized_text(a: &Address) -> String {
    let mut s = String::with_capacity(64);
    for p in [&a.prefecture, &a.city, &a.town].into_iter().flatten() {
        s.push_str(p);
    }
    if let Some(c) = a.chome {
        s.push_str(&c.to_string());
        s.push_str("丁目");
    }
    match (&a.banchi, &a.go) {
        (Some(b), Some(g)) => {
            s.push_str(b);
            s.push('-');
            s.push_str(g);
        }
        (Some(b), None) => s.push_str(b),
        (None, Some(g)) => s.push_str(g),
        (None, None) => {}
    }
    if let Some(b) = &a.building {
        s.push(' ');
        s.push_str(b);
    }
    if let Some(f) = &a.floor {
        s.push(' ');
        s.push_str(f);
        s.push('F');
    }
    if let Some(r) = &a.room {
        s.push(' ');
        s.push_str(r);
        s.push_str("号室");
    }
    if let Some(c) = &a.customer_id {
        s.push_str(" [");
        s.push_str(c);
        s.push(']');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_matches_to_string() {
        let mut buf = [0u8; 3];
        for n in 0..=999 {
            assert_eq!(decimal(n, &mut buf), n.to_string());
        }
    }
}
