//! `banchi check`: screen addresses against a fraud list and the forwarding-warehouse list.
//!
//! With ADDRESS arguments it prints a readable verdict per address (or one JSON object each
//! with `--json`); with none it streams stdin, one address per line, and writes one JSON line
//! per input line in order — a line that does not parse still gets its line, with `error` set.
//! Lists may be CSVs (parsed at start-up) or `.idx` files from `banchi index build`
//! (memory-mapped). The forwarder list defaults to the bundled `data/forwarders.csv`; there is
//! no fraud list unless `--fraud` is given.

use anyhow::{bail, Context, Result};
use banchi::watchlist::{Grade, ListKind, ListResult, MatchOptions, Watchlist};
use banchi::{Address, Parser, Screener, Screening};
use rayon::prelude::*;
use std::io::{self, BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Arguments of `banchi check`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Grades:\n  fraud list:  ★★★危険 danger (same block and unit), ★★注意 caution (same block),\n               ★警戒 warning (near block)\n  forwarders:  海外転送サービス forwarding_service (a listed warehouse's block),\n               海外転送サービスの可能性 possible (near one, or a customer ID after the address)\n\nExamples:\n  banchi check '東京都中央区銀座4-6-16-301' --fraud fraud.idx\n  banchi check --fraud fraud.idx < orders.txt > verdicts.jsonl\n\nExit status: 0, or 1 with --fail-on when a screening reached that grade, 2 on a usage or I/O\nerror."
)]
pub struct Args {
    /// Addresses to check; with none, one address per line is read from stdin (JSON lines out).
    pub addresses: Vec<String>,
    /// Fraud list: a list CSV or an index file from `banchi index build`.
    #[arg(long, value_name = "FILE")]
    pub fraud: Option<PathBuf>,
    /// Forwarding-warehouse list (CSV or index); default: the bundled data/forwarders.csv.
    #[arg(long, value_name = "FILE")]
    pub forwarders: Option<PathBuf>,
    /// Do not screen against any forwarder list.
    #[arg(long, conflicts_with = "forwarders")]
    pub no_forwarders: bool,
    /// Print one JSON object per address instead of the readable verdict.
    #[arg(long)]
    pub json: bool,
    /// Largest banchi difference still graded near (warning / possible).
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub near: u32,
    /// Exit with status 1 when any address reaches one of these grades or worse within its
    /// list (danger, caution, warning, forwarding_service, possible). Repeatable.
    #[arg(long, value_name = "GRADE", value_parser = parse_grade)]
    pub fail_on: Vec<Grade>,
}

fn parse_grade(s: &str) -> Result<Grade, String> {
    Ok(match s.trim() {
        "danger" => Grade::Danger,
        "caution" => Grade::Caution,
        "warning" => Grade::Warning,
        "forwarding_service" => Grade::ForwardingService,
        "possible" => Grade::Possible,
        other => {
            return Err(format!(
                "unknown grade `{other}` (danger, caution, warning, forwarding_service, possible)"
            ))
        }
    })
}

/// Lines screened per parallel batch when streaming stdin.
const BATCH: usize = 8192;

/// Opens a list given on the command line; reports rejected rows by line number on stderr.
pub(crate) fn open_list(path: &Path, kind: ListKind, parser: &Parser) -> Result<Watchlist> {
    let list = Watchlist::open(path, kind, parser)
        .with_context(|| format!("loading {} list {}", kind.as_str(), path.display()))?;
    if list.kind() != kind {
        bail!(
            "{} is an index of a {} list, not a {} list (rebuild it with `banchi index build --kind {}`)",
            path.display(),
            list.kind().as_str(),
            kind.as_str(),
            kind.as_str()
        );
    }
    let report = list.report();
    if !report.rejected.is_empty() {
        eprintln!(
            "banchi: {} list {}: {}",
            kind.as_str(),
            path.display(),
            report.summary(10)
        );
    }
    Ok(list)
}

/// Builds the screener the arguments describe.
fn screener(args: &Args) -> Result<Screener> {
    let parser = Parser::new();
    let mut s = Screener::new(parser).with_options(MatchOptions {
        near_distance: args.near,
        ..MatchOptions::default()
    });
    if let Some(p) = &args.fraud {
        s = s.with_fraud(open_list(p, ListKind::Fraud, &parser)?);
    }
    if !args.no_forwarders {
        let fw = match &args.forwarders {
            Some(p) => open_list(p, ListKind::Forwarder, &parser)?,
            None => Watchlist::bundled_forwarders(&parser)
                .context("loading the bundled forwarder list")?,
        };
        s = s.with_forwarders(fw);
    }
    Ok(s)
}

/// Runs `banchi check`.
pub fn run(args: Args) -> Result<u8> {
    let screener = screener(&args)?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut alert = false;
    if !args.addresses.is_empty() {
        for a in &args.addresses {
            let s = screener.check(a);
            alert |= fails(&s, &args.fail_on);
            let text = if args.json {
                to_json(&s)
            } else {
                readable(&s, &screener)
            };
            if write_line(&mut out, &text)? {
                break;
            }
        }
    } else {
        alert = stream(&screener, &args.fail_on, &mut out)?;
    }
    out.flush().ok();
    Ok(if alert {
        super::EXIT_ALERT
    } else {
        super::EXIT_OK
    })
}

/// Screens stdin line by line, in parallel batches, writing JSON lines in input order.
fn stream(screener: &Screener, fail_on: &[Grade], out: &mut impl Write) -> Result<bool> {
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let mut batch: Vec<Vec<u8>> = Vec::with_capacity(BATCH);
    let mut alert = false;
    loop {
        batch.clear();
        while batch.len() < BATCH {
            let mut buf = Vec::new();
            let n = input.read_until(b'\n', &mut buf).context("reading stdin")?;
            if n == 0 {
                break;
            }
            if buf.ends_with(b"\n") {
                buf.pop();
                if buf.ends_with(b"\r") {
                    buf.pop();
                }
            }
            batch.push(buf);
        }
        if batch.is_empty() {
            break;
        }
        let results: Vec<(String, bool)> = batch
            .par_iter()
            .map(|b| {
                let s = screener.check_bytes(b);
                (to_json(&s), fails(&s, fail_on))
            })
            .collect();
        for (line, a) in &results {
            alert |= a;
            if write_line(out, line)? {
                return Ok(alert);
            }
        }
        if batch.len() < BATCH {
            break;
        }
    }
    Ok(alert)
}

/// True when the screening reaches one of `fail_on` (or worse within the same list).
fn fails(s: &Screening, fail_on: &[Grade]) -> bool {
    let fraud = |g: Grade| matches!(g, Grade::Danger | Grade::Caution | Grade::Warning);
    fail_on.iter().any(|&want| {
        let got = if fraud(want) {
            s.fraud.grade
        } else {
            s.forwarder.grade
        };
        got.is_some_and(|g| g.severity() >= want.severity())
    })
}

/// Writes one line; `Ok(true)` when the reader went away (broken pipe: stop quietly).
fn write_line(out: &mut impl Write, line: &str) -> Result<bool> {
    match writeln!(out, "{line}") {
        Ok(()) => Ok(false),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(true),
        Err(e) => Err(e).context("writing stdout"),
    }
}

fn to_json(s: &Screening) -> String {
    serde_json::to_string(s)
        .unwrap_or_else(|e| format!("{{\"error\":\"serialisation failed: {e}\"}}"))
}

/// The address written back from its canonical parts: `東京都中央区銀座4丁目6-16 銀座ビル 3F 301`.
pub(crate) fn display_address(a: &Address) -> String {
    let mut s = String::new();
    for p in [&a.prefecture, &a.city, &a.town].into_iter().flatten() {
        s.push_str(p);
    }
    if let Some(c) = a.chome {
        s.push_str(&format!("{c}丁目"));
    }
    let block: Vec<&str> = [&a.banchi, &a.go]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    s.push_str(&block.join("-"));
    if let Some(b) = &a.building {
        s.push(' ');
        s.push_str(b);
    }
    if let Some(f) = &a.floor {
        s.push_str(&format!(" {f}F"));
    }
    if let Some(r) = &a.room {
        s.push_str(&format!(" {r}号室"));
    }
    if let Some(c) = &a.customer_id {
        s.push_str(&format!(" [{c}]"));
    }
    s
}

/// The human verdict for one screening.
fn readable(s: &Screening, screener: &Screener) -> String {
    let mut o = String::new();
    o.push_str(&format!("入力 input:        {}\n", s.input));
    match (&s.address, &s.error) {
        (Some(a), _) => {
            o.push_str(&format!(
                "正規化 normalized: {}  (level: {})\n",
                display_address(a),
                a.level
            ));
            if !a.anomalies.is_empty() {
                let codes: Vec<&str> = a.anomalies.iter().map(|x| x.code()).collect();
                o.push_str(&format!("表記の異常 anomalies: {}\n", codes.join(", ")));
            }
        }
        (None, Some(e)) => o.push_str(&format!("エラー error:      {e}\n")),
        (None, None) => {}
    }
    let section = |o: &mut String, title: &str, r: &ListResult, loaded: bool| {
        let verdict = match (loaded, r.grade) {
            (false, _) => "(リストなし no list loaded)".to_string(),
            (true, None) => "該当なし none".to_string(),
            (true, Some(g)) => format!("{} ({})", g.label_ja(), g.as_str()),
        };
        o.push_str(&format!("{title} {verdict}\n"));
        for m in &r.matches {
            let mut line = format!("  - {} [{}]", m.id, m.grade.as_str());
            if let Some(reason) = &m.reason {
                line.push_str(&format!(" reason={reason}"));
            }
            if let Some(svc) = &m.service {
                line.push_str(&format!(" service={svc}"));
            }
            line.push_str(&format!(" matched={}", basis_name(m)));
            line.push_str(&format!(" block={}", m.block));
            for (k, v) in [
                ("floor", &m.floor),
                ("room", &m.room),
                ("customer_id", &m.customer_id),
            ] {
                if let Some(v) = v {
                    line.push_str(&format!(" {k}={v}"));
                }
            }
            for (k, v) in &m.metadata.0 {
                line.push_str(&format!(" {k}={v}"));
            }
            o.push_str(&line);
            o.push('\n');
        }
        if r.truncated {
            o.push_str("  - … more matches not shown\n");
        }
        for sig in &r.signals {
            o.push_str(&format!("  - signal: {}\n", sig.as_str()));
        }
    };
    section(
        &mut o,
        "不正利用 fraud:    ",
        &s.fraud,
        screener.fraud().is_some(),
    );
    section(
        &mut o,
        "海外転送 forwarder:",
        &s.forwarder,
        screener.forwarders().is_some(),
    );
    o.truncate(o.trim_end().len());
    o
}

fn basis_name(m: &banchi::watchlist::Match) -> String {
    let base = m.matched.as_str();
    match m.distance {
        Some(d) if d > 0 => format!("{base}(±{d})"),
        _ => base.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_parse() {
        assert_eq!(parse_grade("danger"), Ok(Grade::Danger));
        assert_eq!(parse_grade("possible"), Ok(Grade::Possible));
        assert!(parse_grade("red").is_err());
    }

    #[test]
    fn display_is_built_from_parts() {
        let a = Address {
            prefecture: Some("東京都".into()),
            city: Some("中央区".into()),
            town: Some("銀座".into()),
            chome: Some(4),
            banchi: Some("6".into()),
            go: Some("16".into()),
            building: Some("銀座ビル".into()),
            floor: Some("3".into()),
            room: Some("301".into()),
            ..Address::default()
        };
        assert_eq!(
            display_address(&a),
            "東京都中央区銀座4丁目6-16 銀座ビル 3F 301号室"
        );
    }
}
