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
//!   [`Options::chunk_rows`]; each chunk goes through three parallel steps on all cores
//!   (rayon), a few pieces per thread: screen and score every row (`row`), count velocity
//!   with the window sharded by delivery point ([`velocity::Window`]: each point's rows in
//!   input order), then add the velocity reason where it counts and format every row into
//!   one buffer per piece, in the output encoding ([`encode`]). No row is screened twice and
//!   no step does per-row work on one thread, so a list where every row hits velocity runs
//!   as fast as one where none does. A writer thread writes the buffers in order (and commits
//!   the velocity state, [`state`]). At most a few chunks are in flight, so memory stays
//!   flat whatever the file size.
//! * **Interruptible and resumable** — when the stop flag is raised (Ctrl-C in the CLI), no
//!   new chunk is read, the chunks read are finished and written, and [`Summary::interrupted`]
//!   says so; the output then holds whole rows only. With [`Options::resume`] an existing
//!   output is checked ([`resume`]), cut after its last complete row, and the run continues
//!   from the next input record — replaying the velocity counts of the skipped rows so the
//!   result equals an uninterrupted run's.
//!
//! Layout: [`columns`] (which input column holds what), [`split`] (records and fields),
//! `row` (one record's work on a worker: screen and score, then its output line),
//! [`format`] (CSV/TSV/JSONL fields and the verdict columns), [`encode`] (output text
//! encoding), [`velocity`] (the window), [`state`] (the window kept across runs),
//! [`resume`], [`table`] (rows already in memory, for columnar callers); this file runs the
//! pipeline (reader thread, parallel steps, writer thread).
//!
//! Nothing here prints: the caller gets a [`Summary`] and progress callbacks, and error texts
//! name line numbers, never row contents.

pub mod columns;
pub mod encode;
pub mod format;
pub mod resume;
mod row;
pub mod split;
pub mod state;
pub mod table;
pub mod velocity;

pub use columns::{Columns, ADDRESS_NAMES, EMAIL_NAMES, NAME_NAMES, PHONE_NAMES, TIME_NAMES};
pub use encode::OutputEncoding;
pub use format::{Format, ADDED_COLUMNS};

use crate::config::VelocitySettings;
use crate::error::BulkError;
use crate::score::Scorer;
use crate::screen::Screener;
use columns::{keys, resolve, Keys, Resolved};
use rayon::prelude::*;
use row::{Ctx, Piece, Screened};
use split::{FieldSplitter, Record, RecordReader};
use state::Store;
use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::time::{Duration, Instant};
use velocity::{Hashing, Observation, Window};

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
    /// Input text encoding for [`screen_file`] (`None`: UTF-8, read as bytes — a row that is
    /// not valid UTF-8 gets an `error`). Any other, e.g. Shift_JIS as Excel exports it, is
    /// decoded to UTF-8 while streaming (a byte-order mark wins over it; undecodable bytes
    /// become U+FFFD).
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// Output text encoding (`None`: the input's, see [`OutputEncoding::for_input`]). JSONL
    /// output is always UTF-8.
    pub output_encoding: Option<OutputEncoding>,
    /// The velocity window kept across runs (`--velocity-state`): counts see the orders of
    /// earlier runs, and this run's are added.
    pub velocity_state: Option<Arc<Store>>,
    /// Delivery-point keys ([`crate::Address::key`]) that never raise velocity (a company's
    /// mail room, a dormitory).
    pub velocity_allow: Vec<String>,
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
            encoding: None,
            output_encoding: None,
            velocity_state: None,
            velocity_allow: Vec::new(),
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
    /// Rows where a character the output encoding cannot hold was written as 〓 (their
    /// `error` names the columns).
    pub unmappable_rows: u64,
    /// The header had such a character.
    pub header_unmappable: bool,
    /// The output's encoding.
    pub output_encoding: Option<OutputEncoding>,
    /// True when the run stopped on the stop flag before the end of the input.
    pub interrupted: bool,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl Summary {
    /// Adds the row counts of `other` (a piece's tally).
    fn add(&mut self, other: &Summary) {
        self.rows += other.rows;
        self.read_errors += other.read_errors;
        self.address_errors += other.address_errors;
        for (a, b) in self.fraud.iter_mut().zip(other.fraud) {
            *a += b;
        }
        for (a, b) in self.forwarder.iter_mut().zip(other.forwarder) {
            *a += b;
        }
        for (a, b) in self.levels.iter_mut().zip(other.levels) {
            *a += b;
        }
        self.alerts += other.alerts;
        self.velocity += other.velocity;
        self.unmappable_rows += other.unmappable_rows;
    }

    /// Rows per second of this run.
    pub fn rows_per_sec(&self) -> f64 {
        self.rows as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
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
    let mut file = File::open(input).map_err(in_io)?;
    // A UTF-8 byte-order mark: the default output keeps it.
    let mut head = [0u8; 3];
    let got = read_up_to(&mut file, &mut head).map_err(in_io)?;
    let has_bom = head.get(..got) == Some(&b"\xEF\xBB\xBF"[..]);
    file.seek(io::SeekFrom::Start(0)).map_err(in_io)?;
    let encoding = output_encoding(opts, out_format, has_bom)?;
    let source: Box<dyn io::Read + Send> = match opts.encoding {
        Some(enc) if enc != encoding_rs::UTF_8 => Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(enc))
                .build(file),
        ),
        _ => Box::new(file),
    };
    let reader = BufReader::with_capacity(1 << 20, source);

    let mut prepared = prepare(reader, format, opts)?;
    let (header_line, header_clean) = prepared.header_bytes(out_format, encoding);

    // The output: fresh, or resumed after its last complete row.
    let mut skip = 0u64;
    let exists = output.exists()
        && std::fs::metadata(output)
            .map(|m| m.len() > 0)
            .unwrap_or(false);
    let out_file = if opts.resume && exists {
        let want: Option<Vec<Vec<u8>>> = prepared.out_header(out_format).map(|h| {
            h.iter()
                .map(|f| {
                    let mut v = Vec::new();
                    encoding.encode_into(f.as_bytes(), &mut v);
                    v
                })
                .collect()
        });
        let scanned = resume::scan(output, out_format, want.as_deref())?;
        let mut f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(output)
            .map_err(out_io)?;
        let mut first = [0u8; 3];
        let n = read_up_to(&mut f, &mut first).map_err(out_io)?;
        if scanned.is_some_and(|p| p.end > 0)
            && (first.get(..n) == Some(encoding.bom())) != (n >= 3 && !encoding.bom().is_empty())
        {
            return Err(BulkError::Resume(
                "the existing output's byte-order mark differs from this run's output encoding"
                    .into(),
            ));
        }
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
    let sync = opts
        .velocity_state
        .is_some()
        .then(|| out_file.try_clone())
        .transpose();
    let sync = sync.map_err(out_io)?;
    let writer = BufWriter::with_capacity(1 << 20, out_file);
    prepared.skip = skip;
    let run_id = opts
        .velocity_state
        .as_ref()
        .map(|store| store.run_id(&std::path::absolute(output).unwrap_or(output.to_owned())));
    let summary = prepared.run(
        Sink {
            writer,
            sync,
            run_id,
        },
        Setup {
            screener,
            scorer,
            opts,
            encoding,
        },
        stop,
        progress,
    );
    summary
        .map(|mut s| {
            s.header_unmappable = !header_clean;
            s
        })
        .map_err(|e| match e {
            RunError::Read(source) => BulkError::Io {
                path: input.to_owned(),
                source,
            },
            RunError::Write(source) => BulkError::Io {
                path: output.to_owned(),
                source,
            },
            RunError::Bulk(e) => e,
        })
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while let Some(rest) = buf.get_mut(n..).filter(|b| !b.is_empty()) {
        match r.read(rest) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The output encoding of a run: given, or the input's; JSONL is UTF-8 only.
fn output_encoding(
    opts: &Options,
    out_format: Format,
    input_has_bom: bool,
) -> Result<OutputEncoding, BulkError> {
    let chosen = opts
        .output_encoding
        .unwrap_or_else(|| OutputEncoding::for_input(opts.encoding, input_has_bom));
    if out_format == Format::Jsonl {
        return match opts.output_encoding {
            Some(e) if e != OutputEncoding::Utf8 => Err(BulkError::Unsupported(format!(
                "JSONL output is UTF-8 (RFC 8259); --output-encoding {} applies to CSV and TSV",
                e.name()
            ))),
            _ => Ok(OutputEncoding::Utf8),
        };
    }
    Ok(chosen)
}

/// Screens CSV/TSV/JSONL from a reader into a writer (no resume): the library entry point
/// for in-memory data and benchmarks. The header row is written too. The input is UTF-8 (a
/// BOM is skipped); the output is in [`Options::output_encoding`] (default UTF-8).
pub fn screen_stream<R: BufRead + Send, W: Write + Send>(
    reader: R,
    mut writer: W,
    format: Format,
    opts: &Options,
    screener: &Screener,
    scorer: &Scorer,
) -> Result<Summary, BulkError> {
    let out_format = opts.output_format.unwrap_or(format);
    let encoding = output_encoding(opts, out_format, false)?;
    let prepared = prepare(reader, format, opts)?;
    let pseudo = PathBuf::from("<stream>");
    let (header, header_clean) = prepared.header_bytes(out_format, encoding);
    writer.write_all(&header).map_err(|source| BulkError::Io {
        path: pseudo.clone(),
        source,
    })?;
    let stop = AtomicBool::new(false);
    prepared
        .run(
            Sink {
                writer,
                sync: None,
                run_id: None,
            },
            Setup {
                screener,
                scorer,
                opts,
                encoding,
            },
            &stop,
            &mut |_| {},
        )
        .map(|mut s| {
            s.header_unmappable = !header_clean;
            s
        })
        .map_err(|e| match e {
            RunError::Read(s) | RunError::Write(s) => BulkError::Io {
                path: pseudo,
                source: s,
            },
            RunError::Bulk(e) => e,
        })
}

/// Where a run writes: the output, the file to fsync before each velocity-state commit, and
/// the run's id in the state.
struct Sink<W> {
    writer: W,
    sync: Option<File>,
    run_id: Option<String>,
}

/// What a run screens with.
struct Setup<'a> {
    screener: &'a Screener,
    scorer: &'a Scorer,
    opts: &'a Options,
    encoding: OutputEncoding,
}

/// One chunk for the writer thread: its lines, and its velocity observations for the state.
struct Written {
    lines: Vec<Vec<u8>>,
    observations: Vec<Observation>,
    rows: u64,
}

enum RunError {
    Read(io::Error),
    Write(io::Error),
    Bulk(BulkError),
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
    opts: &Options,
) -> Result<Prepared<R>, BulkError> {
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

    /// The header line in the output encoding (BOM included); false when a character of it
    /// became 〓.
    fn header_bytes(&self, out_format: Format, encoding: OutputEncoding) -> (Vec<u8>, bool) {
        let line = self
            .out_header(out_format)
            .map_or_else(Vec::new, |h| format::header_line(&h, out_format));
        let mut out = encoding.bom().to_vec();
        let clean = encoding.encode_into(&line, &mut out);
        (out, clean)
    }

    fn run<W: Write + Send>(
        self,
        sink: Sink<W>,
        setup: Setup<'_>,
        stop: &AtomicBool,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Summary, RunError> {
        let Setup {
            screener,
            scorer,
            opts,
            encoding,
        } = setup;
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
        let store = opts.velocity_state.as_deref().filter(|_| velocity_on);
        let chunk_rows = opts.chunk_rows.max(1);
        // With a state every row has a time (its order time, else the run's start) and the
        // state's window; the row window only bounds memory, and must outlast the chunks in
        // flight to the state (points leave memory only once committed).
        let (window_minutes, window_rows, default_time, hashing) = match store {
            Some(st) => (
                Some(st.window_minutes()),
                v.window_rows.max(16 * chunk_rows as u64),
                Some(state::now_minutes()),
                st.hashing(),
            ),
            None => (
                time_known.then(|| v.window_hours.saturating_mul(60)),
                v.window_rows,
                None,
                Hashing::default(),
            ),
        };
        let shards = (rayon::current_num_threads() * 2).max(1);
        let mut window = Window::new(shards, v.min_names, window_rows, window_minutes);
        let mut lookups = match store {
            Some(st) => (0..shards)
                .map(|_| st.reader())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| RunError::Bulk(e.into()))?,
            None => Vec::new(),
        };
        let allowed: HashSet<u64> = opts
            .velocity_allow
            .iter()
            .map(|k| hashing.point(k))
            .collect();
        // Rows carry grades and reason codes, never record ids: the grade-only lookup.
        let screener = &screener.grades_only();
        let out_header = self.out_header(out_format).unwrap_or_default();
        let ctx = Ctx {
            screener,
            scorer,
            format: self.format,
            out_format,
            encoding,
            out_header,
            cols: self.cols.clone(),
            keys: self.keys.clone(),
            velocity_on,
            min_names: v.min_names,
            hashing,
            default_time,
        };
        let skip = self.skip;
        // With a state, the rows of the output its last commit did not cover are replayed
        // into it; the others are in it already.
        let mut state_writer = match store {
            Some(st) => Some(st.writer().map_err(|e| RunError::Bulk(e.into()))?),
            None => None,
        };
        let committed = match (&mut state_writer, &sink.run_id) {
            (Some(w), Some(id)) => {
                let rows = w.rows_committed(id).map_err(|e| RunError::Bulk(e.into()))?;
                if skip == 0 || rows > skip {
                    // A fresh output, or a state that ran ahead of it (not resumable from):
                    // count this run from the start.
                    0
                } else {
                    rows
                }
            }
            _ => 0,
        };
        let replay_from = if store.is_some() { committed } else { 0 };
        let mut records = self.records;
        let mut summary = Summary {
            resumed_from: skip,
            output_encoding: Some(encoding),
            ..Summary::default()
        };
        let mut bytes = self.header_consumed;
        let Sink {
            writer,
            sync,
            run_id,
        } = sink;

        let result = std::thread::scope(|scope| -> Result<Summary, RunError> {
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
            // The writer writes each chunk's lines; with a state it then makes them durable
            // and commits the chunk's velocity observations and the run's row count in one
            // transaction — so the state never holds rows the output lacks, and a resumed
            // run replays the few the state lacks.
            let (tx_out, rx_out) = sync_channel::<Written>(2);
            let mut writer = writer;
            let write_thread = scope.spawn(move || -> Result<(), RunError> {
                let mut rows_out = committed;
                for chunk in rx_out {
                    for line in &chunk.lines {
                        writer.write_all(line).map_err(RunError::Write)?;
                    }
                    rows_out += chunk.rows;
                    if let Some(w) = state_writer.as_mut() {
                        writer.flush().map_err(RunError::Write)?;
                        if let Some(f) = &sync {
                            f.sync_data().map_err(RunError::Write)?;
                        }
                        w.commit(
                            &chunk.observations,
                            run_id.as_deref().map(|id| (id, rows_out)),
                        )
                        .map_err(|e| RunError::Bulk(e.into()))?;
                    }
                }
                writer.flush().map_err(RunError::Write)
            });

            let ctx = &ctx;
            let allowed = &allowed;
            let mut index = 0u64;
            let mut rows_done = 0u64;
            let mut failure = None;
            for chunk in rx_in {
                let chunk = match chunk {
                    Ok(c) => c,
                    Err(e) => {
                        failure = Some(RunError::Read(e));
                        break;
                    }
                };
                bytes += chunk.iter().map(|r| r.consumed).sum::<u64>();
                let first = index;
                index += chunk.len() as u64;
                let piece = chunk
                    .len()
                    .div_ceil(rayon::current_num_threads() * 4)
                    .max(1);
                // Rows an earlier run wrote: only their velocity counts (without a state),
                // or those its last state commit missed (with one).
                let fresh_from = skip.saturating_sub(first).min(chunk.len() as u64) as usize;
                let replay_start =
                    replay_from.saturating_sub(first).min(fresh_from as u64) as usize;
                if ctx.velocity_on && replay_start < fresh_from {
                    let base = first + replay_start as u64;
                    let replayed: Vec<Vec<Observation>> = chunk[replay_start..fresh_from]
                        .par_chunks(piece)
                        .enumerate()
                        .map(|(p, records)| {
                            let mut sp = FieldSplitter::new(
                                ctx.format.delimiter(),
                                ctx.format == Format::Csv,
                            );
                            let at = base + (p * piece) as u64;
                            (at..)
                                .zip(records)
                                .filter_map(|(i, r)| ctx.replay_observation(&mut sp, r, i))
                                .filter(|o| !allowed.contains(&o.key))
                                .collect()
                        })
                        .collect();
                    // Counted in memory (the state may not have committed them yet when the
                    // next rows look their points up), and committed with a state.
                    let runs: Vec<&[Observation]> = replayed.iter().map(Vec::as_slice).collect();
                    window.observe_chunk(&runs, &mut lookups);
                    if store.is_some() {
                        let msg = Written {
                            lines: Vec::new(),
                            observations: replayed.concat(),
                            rows: (fresh_from - replay_start) as u64,
                        };
                        if tx_out.send(msg).is_err() {
                            break;
                        }
                    }
                }
                let fresh = &chunk[fresh_from..];
                let Some(last) = fresh.last() else {
                    continue;
                };
                let fresh_first = first + fresh_from as u64;
                // 1. Screen and score, in parallel.
                let mut screened: Vec<Screened> = fresh
                    .par_chunks(piece)
                    .enumerate()
                    .map(|(p, records)| ctx.screen_rows(records, fresh_first + (p * piece) as u64))
                    .collect();
                if !allowed.is_empty() {
                    for s in &mut screened {
                        s.observations.retain(|o| !allowed.contains(&o.key));
                    }
                }
                // 2. Velocity, sharded by delivery point (each point's rows in order).
                let counts = if ctx.velocity_on {
                    let runs: Vec<&[Observation]> =
                        screened.iter().map(|s| s.observations.as_slice()).collect();
                    let counts = window.observe_chunk(&runs, &mut lookups);
                    if let Some(e) = lookups.iter_mut().find_map(|l| l.take_error()) {
                        failure = Some(RunError::Bulk(e.into()));
                        break;
                    }
                    counts
                } else {
                    Vec::new()
                };
                // 3. Velocity reason, output lines, tally, in parallel.
                let observations: Vec<Observation> = if store.is_some() {
                    screened
                        .iter()
                        .flat_map(|s| s.observations.iter().copied())
                        .collect()
                } else {
                    Vec::new()
                };
                let pieces: Vec<Piece> = screened
                    .into_par_iter()
                    .zip(fresh.par_chunks(piece))
                    .enumerate()
                    .map(|(p, (s, records))| {
                        let names = names_per_row(
                            &s.observations,
                            counts.get(p).map_or(&[][..], Vec::as_slice),
                            fresh_first + (p * piece) as u64,
                            records.len(),
                        );
                        ctx.format_rows(s.rows, records, &names)
                    })
                    .collect();
                let mut lines = Vec::with_capacity(pieces.len());
                for p in pieces {
                    summary.add(&p.tally);
                    lines.push(p.buf);
                }
                rows_done += fresh.len() as u64;
                summary.last_line = last.line;
                let msg = Written {
                    lines,
                    observations,
                    rows: fresh.len() as u64,
                };
                if tx_out.send(msg).is_err() {
                    break;
                }
                progress(&Progress {
                    rows: rows_done,
                    bytes,
                    elapsed: started.elapsed(),
                });
            }
            drop(tx_out);
            let reached_end = reader.join().unwrap_or(false);
            let written = write_thread
                .join()
                .unwrap_or_else(|_| Err(RunError::Write(io::Error::other("writer thread failed"))));
            written?;
            if let Some(e) = failure {
                return Err(e);
            }
            summary.interrupted = !reached_end && stop.load(Ordering::SeqCst);
            summary.elapsed = started.elapsed();
            Ok(summary)
        });
        // The run's connections are closed: fold the write-ahead log into the database so
        // that the state is one file again between runs.
        drop(lookups);
        if let Some(st) = store {
            st.checkpoint().map_err(|e| RunError::Bulk(e.into()))?;
        }
        result
    }
}

/// The velocity count of each row of a piece (`len` rows from input row `first`), from its
/// observations and their counts; 0 for rows that took no part.
fn names_per_row(observations: &[Observation], counts: &[u32], first: u64, len: usize) -> Vec<u32> {
    let mut names = vec![0u32; len];
    for (o, &c) in observations.iter().zip(counts) {
        if let Some(n) = o
            .index
            .checked_sub(first)
            .and_then(|i| names.get_mut(i as usize))
        {
            *n = c;
        }
    }
    names
}
