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
//! Layout: [`columns`] (which input column holds what), [`split`] (records and fields),
//! `row` (one record's work on a worker: screen, score, its output line and mark),
//! [`format`] (CSV/TSV/JSONL fields and the verdict columns), [`velocity`], [`resume`]; this
//! file runs the pipeline (reader, workers, finisher, writer threads).
//!
//! Nothing here prints: the caller gets a [`Summary`] and progress callbacks, and error texts
//! name line numbers, never row contents.

pub mod columns;
pub mod format;
pub mod resume;
mod row;
pub mod split;
pub mod velocity;

pub use columns::{Columns, ADDRESS_NAMES, EMAIL_NAMES, NAME_NAMES, PHONE_NAMES, TIME_NAMES};
pub use format::{Format, ADDED_COLUMNS};

use crate::config::VelocitySettings;
use crate::error::BulkError;
use crate::score::Scorer;
use crate::screen::Screener;
use crate::watchlist::{Grade, MatchOptions};
use columns::{keys, resolve, Keys, Resolved};
use rayon::prelude::*;
use row::{Ctx, Mark, Piece, Row};
use split::{FieldSplitter, Record, RecordReader};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};
use velocity::Velocity;

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
    /// become U+FFFD); the output is always UTF-8.
    pub encoding: Option<&'static encoding_rs::Encoding>,
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
    let prepared = prepare(reader, format, opts)?;
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
        self.out_header(out_format)
            .map_or_else(Vec::new, |h| format::header_line(&h, out_format))
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
