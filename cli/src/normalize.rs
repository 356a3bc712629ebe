//! `banchi normalize`: addresses in, one JSON line each out, in input order.
//!
//! With no argument it streams stdin: lines are read in chunks, parsed in parallel (rayon)
//! and written in order, so memory stays flat whatever the input size. A line that cannot be
//! parsed (blank, too long, invalid UTF-8, not an address) still yields its line, with the
//! `error` field set.

use anyhow::{Context, Result};
use banchi::{Address, ParseError, Parser};
use rayon::prelude::*;
use serde::Serialize;
use std::io::{self, BufWriter, Write};

/// Arguments of `banchi normalize`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  banchi normalize '東京都中央区銀座４丁目６番１６号 銀座ビル3F'\n  banchi normalize < addresses.txt > parsed.jsonl\n\nExit status: 0 when every line was read and answered (lines that do not parse carry an\n`error` field), 2 on a usage or I/O error."
)]
pub struct Args {
    /// Addresses to parse; with none, one address per line is read from stdin.
    pub addresses: Vec<String>,
}

/// One output line: the address fields, or nulls and an error.
#[derive(Debug, Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    address: Address,
    error: Option<&'a str>,
}

/// Lines parsed per parallel batch when streaming stdin.
const BATCH: usize = 8192;

/// Runs `banchi normalize`.
pub fn run(args: Args) -> Result<u8> {
    let parser = Parser::new();
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if !args.addresses.is_empty() {
        for a in &args.addresses {
            let line = to_json(&parser, a.as_bytes());
            if write_line(&mut out, &line)? {
                return Ok(super::EXIT_OK);
            }
        }
        out.flush().ok();
        return Ok(super::EXIT_OK);
    }
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let mut batch: Vec<Vec<u8>> = Vec::with_capacity(BATCH);
    loop {
        super::lines::read_batch(&mut input, &mut batch, BATCH)?;
        if batch.is_empty() {
            break;
        }
        let lines: Vec<String> = batch.par_iter().map(|b| to_json(&parser, b)).collect();
        for line in &lines {
            if write_line(&mut out, line)? {
                return Ok(super::EXIT_OK);
            }
        }
        if batch.len() < BATCH {
            break;
        }
    }
    out.flush().ok();
    Ok(super::EXIT_OK)
}

/// Writes one line; `Ok(true)` when the reader went away (broken pipe: stop quietly).
fn write_line(out: &mut impl Write, line: &str) -> Result<bool> {
    match writeln!(out, "{line}") {
        Ok(()) => Ok(false),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(true),
        Err(e) => Err(e).context("writing stdout"),
    }
}

fn to_json(parser: &Parser, raw: &[u8]) -> String {
    let (input, result) = match std::str::from_utf8(raw) {
        Ok(s) => (s.to_owned(), parser.parse(s)),
        Err(_) => (
            String::from_utf8_lossy(raw).into_owned(),
            Err(ParseError::InvalidUtf8),
        ),
    };
    let (address, error) = match result {
        Ok(a) => (a, None),
        Err(e) => (
            Address {
                input,
                ..Address::default()
            },
            Some(e.to_string()),
        ),
    };
    let line = Line {
        address,
        error: error.as_deref(),
    };
    serde_json::to_string(&line)
        .unwrap_or_else(|e| format!("{{\"error\":\"serialisation failed: {e}\"}}"))
}
