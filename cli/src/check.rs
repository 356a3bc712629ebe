//! `banchi check`: screen addresses against a fraud list and the forwarding-warehouse list.
//!
//! With ADDRESS arguments it prints a readable verdict per address (or one JSON object each
//! with `--json`); with none it streams stdin, one address per line, and writes one JSON line
//! per input line in order — a line that does not parse still gets its line, with `error` set.
//! Lists may be CSVs (parsed at start-up) or `.idx` files from `banchi index build`
//! (memory-mapped). The forwarder list defaults to the bundled `data/forwarders.csv`; there is
//! no fraud list unless `--fraud` is given.

use super::config::load_config;
use super::lists::ListArgs;
use super::screen::FailOn;
use anyhow::{Context, Result};
use banchi::score::{Buyer, RiskLevel, Score, Scorer};
use banchi::watchlist::{Grade, ListResult};
use banchi::{Screener, Screening};
use rayon::prelude::*;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

/// Arguments of `banchi check`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Grades:\n  fraud list:  ★★★危険 danger (same block and unit), ★★注意 caution (same block),\n               ★警戒 warning (near block)\n  forwarders:  海外転送サービス forwarding_service (a listed warehouse's block),\n               海外転送サービスの可能性 possible (near one, or a customer ID after the address)\n\nExamples:\n  banchi check '東京都中央区銀座4-6-16-301' --fraud fraud.idx\n  banchi check --fraud fraud.idx < orders.txt > verdicts.jsonl\n  banchi check '神奈川県大和市南林間1-8-17 PM12345' --fail-on alert --json\n\nRisk score: 0-100 with its reasons (low 0-30, medium 31-70, high 71-100; alert at 10 by\ndefault); weights and thresholds from --config FILE (see `banchi config show`).\n\nExit status: 0, or 1 with --fail-on when a screening reached it, 2 on a usage or I/O error."
)]
pub struct Args {
    /// Addresses to check; with none, one address per line is read from stdin (JSON lines out).
    pub addresses: Vec<String>,
    #[command(flatten)]
    pub lists: ListArgs,
    /// Print one JSON object per address instead of the readable verdict.
    #[arg(long)]
    pub json: bool,
    /// Exit with status 1 when any address reaches one of these: alert (score at or above the
    /// alert threshold), medium, high, or a grade or worse within its list (danger, caution,
    /// warning, forwarding_service, possible). Repeatable.
    #[arg(long, value_name = "WHAT")]
    pub fail_on: Vec<FailOn>,
    /// Configuration file (score weights, thresholds, near distance).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Postal code of the address (`104-0061`), checked against it (postal_code_mismatch)
    /// and used to find a prefecture or municipality it leaves out. Applies to every address
    /// checked; wins over a code written in the address.
    #[arg(long, value_name = "CODE", value_parser = parse_postal)]
    pub postal: Option<String>,
}

fn parse_postal(code: &str) -> Result<String, String> {
    banchi::parse::postal::PostalCode::parse(code)
        .map(|c| c.to_string())
        .ok_or_else(|| "a postal code is seven digits, e.g. 104-0061".to_owned())
}

/// Lines screened per parallel batch when streaming stdin.
const BATCH: usize = 8192;

/// Runs `banchi check`.
pub fn run(args: Args) -> Result<u8> {
    let config = load_config(args.config.as_ref())?;
    let screener = args.lists.screener(&config)?;
    let scorer = Scorer::new(&config);
    // Colour only on a terminal (anstream strips it otherwise, and honours NO_COLOR).
    let mut out = BufWriter::new(anstream::stdout().lock());
    let mut alert = false;
    if !args.addresses.is_empty() {
        for a in &args.addresses {
            let s = screener.check_with_postal(a, args.postal.as_deref());
            let score = scorer.score(&s, &Buyer::default());
            alert |= fails(&s, &score, &args.fail_on);
            let text = if args.json {
                to_json(&s, &score)
            } else {
                readable(&s, &score, &screener)
            };
            if write_line(&mut out, &text)? {
                break;
            }
        }
    } else {
        alert = stream(
            &screener,
            &scorer,
            &args.fail_on,
            args.postal.as_deref(),
            &mut out,
        )?;
    }
    out.flush().ok();
    Ok(if alert {
        super::EXIT_ALERT
    } else {
        super::EXIT_OK
    })
}

/// Screens stdin line by line, in parallel batches, writing JSON lines in input order.
fn stream(
    screener: &Screener,
    scorer: &Scorer,
    fail_on: &[FailOn],
    postal: Option<&str>,
    out: &mut impl Write,
) -> Result<bool> {
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let mut batch: Vec<Vec<u8>> = Vec::with_capacity(BATCH);
    let mut alert = false;
    loop {
        super::lines::read_batch(&mut input, &mut batch, BATCH)?;
        if batch.is_empty() {
            break;
        }
        let results: Vec<(String, bool)> = batch
            .par_iter()
            .map(|b| {
                let s = match std::str::from_utf8(b) {
                    Ok(text) => screener.check_with_postal(text, postal),
                    Err(_) => screener.check_bytes(b),
                };
                let score = scorer.score(&s, &Buyer::default());
                (to_json(&s, &score), fails(&s, &score, fail_on))
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

/// True when the screening reaches one of `fail_on` (a grade: or worse within the same list).
fn fails(s: &Screening, score: &Score, fail_on: &[FailOn]) -> bool {
    let fraud = |g: Grade| matches!(g, Grade::Danger | Grade::Caution | Grade::Warning);
    fail_on.iter().any(|&want| match want {
        FailOn::Alert => score.alert,
        FailOn::Medium => score.level >= RiskLevel::Medium,
        FailOn::High => score.level == RiskLevel::High,
        FailOn::Grade(want) => {
            let got = if fraud(want) {
                s.fraud.grade
            } else {
                s.forwarder.grade
            };
            got.is_some_and(|g| g.severity() >= want.severity())
        }
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

/// The screening as one JSON object, with `score`, `level`, `alert` and `reasons` appended
/// (spliced in, so the screening's own keys keep their order).
fn to_json(s: &Screening, score: &Score) -> String {
    let (base, reasons) = match (
        serde_json::to_string(s),
        serde_json::to_string(&score.reasons),
    ) {
        (Ok(b), Ok(r)) => (b, r),
        (Err(e), _) | (_, Err(e)) => return format!("{{\"error\":\"serialisation failed: {e}\"}}"),
    };
    let body = base.strip_suffix('}').unwrap_or(&base);
    format!(
        "{body},\"score\":{},\"level\":\"{}\",\"alert\":{},\"reasons\":{reasons}}}",
        score.score,
        score.level.as_str(),
        score.alert
    )
}

/// The risk lines of the human verdict: score, level, alert, then each reason (ANSI colour;
/// stripped by the output stream when stdout is not a terminal).
fn risk_lines(score: &Score) -> String {
    let colour = match score.level {
        RiskLevel::High => "\x1b[1;31m",
        RiskLevel::Medium => "\x1b[1;33m",
        RiskLevel::Low => "\x1b[32m",
    };
    let mut o = format!(
        "リスク risk:       {colour}{}/100 {} ({}){}\x1b[0m\n",
        score.score,
        score.level.as_str(),
        score.level.label_ja(),
        if score.alert { "  ALERT" } else { "" }
    );
    for r in &score.reasons {
        o.push_str(&format!(
            "  - {} +{}: {} / {}\n",
            r.code.as_str(),
            r.points,
            r.ja,
            r.en
        ));
    }
    o
}

/// The human verdict for one screening.
fn readable(s: &Screening, score: &Score, screener: &Screener) -> String {
    let mut o = String::new();
    o.push_str(&format!("入力 input:        {}\n", s.input));
    match (&s.address, &s.error) {
        (Some(a), _) => {
            o.push_str(&format!(
                "正規化 normalized: {}{}  (level: {})\n",
                a.postal_code
                    .as_deref()
                    .map(|c| format!("〒{c} "))
                    .unwrap_or_default(),
                a.normalized_text(),
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
    o.push_str(&risk_lines(score));
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
        assert_eq!("danger".parse(), Ok(FailOn::Grade(Grade::Danger)));
        assert_eq!("possible".parse(), Ok(FailOn::Grade(Grade::Possible)));
        assert_eq!("alert".parse(), Ok(FailOn::Alert));
        assert!("red".parse::<FailOn>().is_err());
    }
}
