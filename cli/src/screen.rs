//! `banchi screen`: re-screen a whole shipping list (CSV, TSV or JSONL) into a copy with verdict
//! columns — the bulk front of [`banchi::bulk`].
//!
//! This module only wires the command line to the library: lists and configuration loading,
//! the progress bar (stderr, only on a terminal), Ctrl-C (finish the rows in flight, leave a
//! valid output, say how far it got), the summary table and the exit status.

use super::config::load_config;
use super::lists::ListArgs;
use anyhow::{bail, Context, Result};
use banchi::bulk::{self, Columns, Format, Options, OutputEncoding, Summary};
use banchi::config::Config;
use banchi::Scorer;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use unicode_width::UnicodeWidthStr;

/// Exit status after Ctrl-C (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Arguments of `banchi screen`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Output: every input column, then grade, forwarder, score, level, reasons, normalized, error.
Every input row gives exactly one output row, in input order; a row that cannot be read keeps
what could be read of its columns and says why in `error` (by line number).

Examples:
  banchi screen data/sample_orders.csv -o /tmp/out.csv --fraud data/sample_fraud.csv
  banchi screen orders.tsv -o checked.tsv --fraud fraud.idx --address-column 住所1 --address-column 住所2
  banchi screen orders.jsonl -o checked.jsonl --fraud fraud.idx --config banchi.toml --fail-on high
  banchi screen big.csv -o out.csv --fraud fraud.idx --resume     # continue after Ctrl-C
  banchi screen excel_export.csv -o out.csv --fraud fraud.idx --encoding shift_jis
  banchi screen today.csv -o out.csv --fraud fraud.idx --velocity-state velocity.db

Columns found by name when not given: address/住所/お届け先住所, name/氏名, phone/電話番号,
email/メールアドレス, order_time/注文日時 (buyer columns and the time are optional).

Exit status: 0 done; 1 with --fail-on when a row reached it; 2 usage, list or I/O error;
130 interrupted (the output holds whole rows; rerun with --resume).")]
pub struct Args {
    /// Shipping list to screen (.csv, .tsv, .jsonl).
    pub input: PathBuf,
    /// Where to write the screened list.
    #[arg(short, long, value_name = "OUTPUT")]
    pub output: PathBuf,
    #[command(flatten)]
    pub lists: ListArgs,
    /// Column holding the address; repeat to join several columns with a space.
    #[arg(long, value_name = "NAME")]
    pub address_column: Vec<String>,
    /// Column holding the buyer's name (dummy names, velocity).
    #[arg(long, value_name = "NAME")]
    pub name_column: Option<String>,
    /// Column holding the phone number.
    #[arg(long, value_name = "NAME")]
    pub phone_column: Option<String>,
    /// Column holding the e-mail address.
    #[arg(long, value_name = "NAME")]
    pub email_column: Option<String>,
    /// Column holding the order time (velocity time window).
    #[arg(long, value_name = "NAME")]
    pub time_column: Option<String>,
    /// Column holding the postal code, checked against the address (postal_code_mismatch)
    /// and used to find a prefecture or municipality it leaves out.
    #[arg(long, value_name = "NAME")]
    pub postal_column: Option<String>,
    /// Input format; default from the extension (CSV when unknown).
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Output format; default from the output's extension, else the input's.
    #[arg(long, value_enum)]
    pub output_format: Option<FormatArg>,
    /// Input text encoding: utf-8 (default), shift_jis (also sjis, cp932, windows-31j),
    /// euc-jp, or any WHATWG label. Decoded to UTF-8 while reading.
    #[arg(long, value_name = "NAME", value_parser = parse_encoding)]
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// Output text encoding: utf-8, utf-8-bom (what Excel recognises as UTF-8) or cp932
    /// (Shift_JIS, what Japanese Excel reads; also euc-jp). Default: the input's — a
    /// Shift_JIS list comes back Shift_JIS, a UTF-8 list with a BOM keeps it. A character
    /// the encoding cannot hold is written as 〓 and the row's `error` names the column.
    #[arg(long, value_name = "NAME", value_parser = parse_output_encoding)]
    pub output_encoding: Option<OutputEncoding>,
    /// Keep the velocity window across runs in this file (SQLite; points and names only as
    /// keyed hashes, the key in its own file): today's list sees earlier runs' orders within
    /// `velocity.state_window`. Inspect it with `banchi velocity show`.
    #[arg(long, value_name = "FILE")]
    pub velocity_state: Option<PathBuf>,
    /// Continue an interrupted run: keep the complete rows of OUTPUT and screen the rest.
    #[arg(long)]
    pub resume: bool,
    /// Configuration file (weights, thresholds, near distance); see `banchi config show`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Exit with status 1 when any row reaches one of these: alert (score at or above the
    /// alert threshold), medium, high, or a grade or worse within its list (danger, caution,
    /// warning, forwarding_service, possible). Repeatable.
    #[arg(long, value_name = "WHAT")]
    pub fail_on: Vec<FailOn>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// No progress bar and no summary.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `--encoding`: a WHATWG label (`shift_jis`, `sjis`, `euc-jp`, `utf-8` …) or `cp932`.
fn parse_encoding(label: &str) -> Result<&'static encoding_rs::Encoding, String> {
    let label = label.trim();
    // Windows' name for its Shift_JIS, which WHATWG lists as ms932 / windows-31j.
    if label.eq_ignore_ascii_case("cp932") {
        return Ok(encoding_rs::SHIFT_JIS);
    }
    encoding_rs::Encoding::for_label(label.as_bytes())
        .ok_or_else(|| format!("unknown encoding `{label}` (utf-8, shift_jis, euc-jp, …)"))
}

/// `--output-encoding`.
fn parse_output_encoding(label: &str) -> Result<OutputEncoding, String> {
    OutputEncoding::from_name(label).ok_or_else(|| {
        format!(
            "unknown output encoding `{}` (utf-8, utf-8-bom, cp932, euc-jp)",
            label.trim()
        )
    })
}

/// `--format` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    /// Comma-separated with quotes.
    Csv,
    /// Tab-separated.
    Tsv,
    /// One JSON object per line.
    Jsonl,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Csv => Format::Csv,
            FormatArg::Tsv => Format::Tsv,
            FormatArg::Jsonl => Format::Jsonl,
        }
    }
}

/// What `--fail-on` tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Score at or above the alert threshold.
    Alert,
    /// Level medium or high.
    Medium,
    /// Level high.
    High,
    /// A grade or worse within its list.
    Grade(banchi::Grade),
}

impl std::str::FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<FailOn, String> {
        use banchi::Grade;
        Ok(match s.trim() {
            "alert" => FailOn::Alert,
            "medium" => FailOn::Medium,
            "high" => FailOn::High,
            "danger" => FailOn::Grade(Grade::Danger),
            "caution" => FailOn::Grade(Grade::Caution),
            "warning" => FailOn::Grade(Grade::Warning),
            "forwarding_service" => FailOn::Grade(Grade::ForwardingService),
            "possible" => FailOn::Grade(Grade::Possible),
            other => {
                return Err(format!(
                    "unknown `{other}` (alert, medium, high, danger, caution, warning, \
                     forwarding_service, possible)"
                ))
            }
        })
    }
}

impl FailOn {
    /// True when the run's counts reach this.
    pub fn reached(self, s: &Summary) -> bool {
        use banchi::Grade;
        match self {
            FailOn::Alert => s.alerts > 0,
            FailOn::Medium => s.levels[1] + s.levels[2] > 0,
            FailOn::High => s.levels[2] > 0,
            FailOn::Grade(Grade::Danger) => s.fraud[1] > 0,
            FailOn::Grade(Grade::Caution) => s.fraud[1] + s.fraud[2] > 0,
            FailOn::Grade(Grade::Warning) => s.fraud[1..].iter().sum::<u64>() > 0,
            FailOn::Grade(Grade::ForwardingService) => s.forwarder[1] > 0,
            FailOn::Grade(Grade::Possible) => s.forwarder[1..].iter().sum::<u64>() > 0,
        }
    }
}

static STOP: AtomicBool = AtomicBool::new(false);

/// Runs `banchi screen`.
pub fn run(args: Args) -> Result<u8> {
    if let Some(n) = args.threads {
        if n == 0 {
            bail!("--threads must be at least 1");
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("setting up the worker threads")?;
    }
    if args.input == args.output {
        bail!("the output must not be the input file");
    }
    let config = load_config(args.config.as_ref())?;
    let screener = args.lists.screener(&config)?;
    let scorer = Scorer::new(&config);
    let velocity_state = match &args.velocity_state {
        Some(path) => Some(std::sync::Arc::new(super::velocity::open_store(
            path, &config,
        )?)),
        None => None,
    };
    let velocity_allow = super::velocity::allowlist_keys(&config)?;
    let opts = Options {
        format: args.format.map(Format::from),
        output_format: args.output_format.map(Format::from),
        columns: Columns {
            address: args.address_column.clone(),
            name: args.name_column.clone(),
            phone: args.phone_column.clone(),
            email: args.email_column.clone(),
            time: args.time_column.clone(),
            postal: args.postal_column.clone(),
        },
        resume: args.resume,
        encoding: args.encoding,
        output_encoding: args.output_encoding,
        velocity_state,
        velocity_allow,
        velocity: config.velocity.clone(),
        ..Options::default()
    };

    // Ctrl-C: finish the chunks in flight and stop; a second Ctrl-C exits at once.
    let _ = ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
        eprintln!("\nbanchi: stopping after the rows in flight (Ctrl-C again to abort)…");
    });

    let total = std::fs::metadata(&args.input).map(|m| m.len()).unwrap_or(0);
    let bar = if !args.quiet && std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{bar:30.cyan/blue} {percent:>3}% {msg} ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Some(bar)
    } else {
        None
    };
    let mut on_progress = |p: &bulk::Progress| {
        if let Some(bar) = &bar {
            bar.set_position(p.bytes);
            let rate = p.rows as f64 / p.elapsed.as_secs_f64().max(1e-9);
            bar.set_message(format!(
                "{} rows, {} rows/s",
                group(p.rows),
                group(rate as u64)
            ));
        }
    };
    let summary = bulk::screen_file(
        &args.input,
        &args.output,
        &opts,
        &screener,
        &scorer,
        &STOP,
        &mut on_progress,
    );
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let summary = summary?;
    if !args.quiet {
        eprint!("{}", table(&summary, &config, &args));
    }
    if summary.interrupted {
        eprintln!(
            "banchi: interrupted: {} rows written this run ({} in all), input read up to line {}; \
             the output holds whole rows — rerun with --resume to continue",
            group(summary.rows),
            group(summary.rows + summary.resumed_from),
            summary.last_line
        );
        return Ok(EXIT_INTERRUPTED);
    }
    Ok(if args.fail_on.iter().any(|f| f.reached(&summary)) {
        super::EXIT_ALERT
    } else {
        super::EXIT_OK
    })
}

/// `1234567` → `1,234,567`.
fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The summary table printed on stderr at the end.
fn table(s: &Summary, config: &Config, args: &Args) -> String {
    let mut t = String::new();
    let pct = |n: u64| {
        if s.rows == 0 {
            0.0
        } else {
            100.0 * n as f64 / s.rows as f64
        }
    };
    let mut line = |label: &str, n: u64| {
        // Pad by display width: a kanji takes two terminal columns.
        let pad = 36usize.saturating_sub(label.width());
        t.push_str(&format!(
            "  {label}{:pad$} {:>12} {:>7.2} %\n",
            "",
            group(n),
            pct(n)
        ));
    };
    line("fraud ★★★危険 danger", s.fraud[1]);
    line("fraud ★★注意 caution", s.fraud[2]);
    line("fraud ★警戒 warning", s.fraud[3]);
    line("forwarder 海外転送 forwarding_service", s.forwarder[1]);
    line("forwarder 可能性 possible", s.forwarder[2]);
    line("level high", s.levels[2]);
    line("level medium", s.levels[1]);
    line("level low", s.levels[0]);
    line(
        &format!("alerts (score >= {})", config.score.alert_threshold),
        s.alerts,
    );
    line("velocity (several names, one point)", s.velocity);
    line("unreadable rows (error)", s.read_errors);
    line("addresses not parsed (error)", s.address_errors);
    if s.unmappable_rows > 0 || s.header_unmappable {
        line(
            &format!(
                "characters written as 〓 ({})",
                s.output_encoding.map_or("", OutputEncoding::name)
            ),
            s.unmappable_rows,
        );
    }
    if s.header_unmappable {
        t.push_str("  the header itself has characters written as 〓\n");
    }
    let head = format!(
        "banchi screen: {} rows in {:.2} s ({} rows/s) -> {}{}\n",
        group(s.rows),
        s.elapsed.as_secs_f64(),
        group(s.rows_per_sec() as u64),
        args.output.display(),
        if s.resumed_from > 0 {
            format!(" (resumed after {} rows)", group(s.resumed_from))
        } else {
            String::new()
        }
    );
    head + &t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_on_values() {
        assert_eq!("alert".parse::<FailOn>(), Ok(FailOn::Alert));
        assert!("purple".parse::<FailOn>().is_err());
        let mut s = Summary {
            rows: 3,
            ..Summary::default()
        };
        assert!(!FailOn::Alert.reached(&s));
        s.levels[1] = 1;
        assert!(FailOn::Medium.reached(&s));
        assert!(!FailOn::High.reached(&s));
        s.fraud[3] = 1;
        assert!(FailOn::Grade(banchi::Grade::Warning).reached(&s));
        assert!(!FailOn::Grade(banchi::Grade::Caution).reached(&s));
    }

    #[test]
    fn grouping() {
        assert_eq!(group(0), "0");
        assert_eq!(group(1234), "1,234");
        assert_eq!(group(1_234_567), "1,234,567");
    }
}
