//! Bulk screening of rows that are already in memory — columns of a table rather than lines
//! of a file — with exactly the verdict cells `banchi screen` writes in CSV.
//!
//! Columnar callers (the Python bindings' Arrow tables and Spark batches) hand over each
//! row's cells as text; [`TableScreener::screen`] runs them through the same steps as a file
//! run — `row`'s screening and scoring, the [`Window`] of velocity in row order, the verdict
//! columns written by [`super::format`] as CSV — and reads the seven cells back with the
//! `csv` crate, so every cell is the text the CLI writes there, unquoted: `grade, forwarder,
//! score, level, reasons, normalized, error` ([`ADDED_COLUMNS`]), empty where the CLI writes
//! nothing. Nothing is rendered twice in two places.
//!
//! Rows are read as the CLI reads a CSV row: each cell trimmed, an empty cell absent, several
//! address cells joined with a space. A row's `line` is the line number its `error` names
//! (`line N: …`, as in the CLI); without one the error has no such prefix. Velocity counts
//! the rows of successive calls as one table, in order, when [`TableOptions::names`] says the
//! rows carry buyer names (the CLI counts it when its input has a name column).

use super::columns::{Keys, Resolved};
use super::encode::OutputEncoding;
use super::format::{Format, ADDED_COLUMNS};
use super::row::{observation, Ctx, Piece, Row, Screened};
use super::velocity::{self, Hashing, NoPast, Observation, Window};
use super::{names_per_row, Summary};
use crate::address::Level;
use crate::config::VelocitySettings;
use crate::score::{Buyer, Scorer};
use crate::screen::Screener;
use rayon::prelude::*;
use std::borrow::Cow;

/// One row's cells, borrowed from the caller's columns. `None`: the cell is null or the table
/// has no such column.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fields<'a> {
    /// The address cells, joined with a space (each trimmed, empty ones left out) as the CLI
    /// joins several `--address-column`s.
    pub address: &'a [Option<&'a str>],
    /// Postal code, checked against the address (`--postal-column`).
    pub postal: Option<&'a str>,
    /// Buyer name (dummy names; velocity when [`TableOptions::names`]).
    pub name: Option<&'a str>,
    /// Buyer phone.
    pub phone: Option<&'a str>,
    /// Buyer e-mail.
    pub email: Option<&'a str>,
    /// Order time (the velocity time window when [`TableOptions::times`]).
    pub time: Option<&'a str>,
    /// The line number the row's `error` names; `None`: the error has no `line N: ` prefix.
    pub line: Option<u64>,
}

/// How a table is screened.
#[derive(Debug, Clone, Default)]
pub struct TableOptions {
    /// Velocity settings (the configuration's `[velocity]`).
    pub velocity: VelocitySettings,
    /// The rows carry a buyer-name column: velocity is counted, in row order across calls.
    pub names: bool,
    /// The rows carry an order-time column: the velocity time window applies.
    pub times: bool,
    /// Also return each row's delivery-point key ([`crate::Address::key`], rows resolved to a
    /// block at least), the key velocity counts under.
    pub keys: bool,
}

/// One text column of the verdicts: the cells back to back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextColumn {
    text: String,
    ends: Vec<usize>,
}

impl TextColumn {
    fn push(&mut self, cell: &str) {
        self.text.push_str(cell);
        self.ends.push(self.text.len());
    }

    fn append(&mut self, other: TextColumn) {
        let base = self.text.len();
        self.text.push_str(&other.text);
        self.ends.extend(other.ends.into_iter().map(|e| e + base));
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when the column has no cell.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Cell `i` (`None` past the end).
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = match i.checked_sub(1) {
            Some(p) => *self.ends.get(p)?,
            None => 0,
        };
        self.text.get(start..end)
    }

    /// The cells in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or(""))
    }
}

/// The verdict cells of a batch of rows, one entry per row, in row order.
#[derive(Debug, Clone, Default)]
pub struct Verdicts {
    /// The columns of [`ADDED_COLUMNS`], in that order.
    pub columns: [TextColumn; 7],
    /// Each row's delivery-point key (when [`TableOptions::keys`]; else empty).
    pub keys: Vec<Option<String>>,
}

impl Verdicts {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.columns[0].len()
    }

    /// True when there is no row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The column named `name` (one of [`ADDED_COLUMNS`]).
    pub fn column(&self, name: &str) -> Option<&TextColumn> {
        let i = ADDED_COLUMNS.iter().position(|c| *c == name)?;
        self.columns.get(i)
    }

    fn append(&mut self, other: Verdicts) {
        for (mine, theirs) in self.columns.iter_mut().zip(other.columns) {
            mine.append(theirs);
        }
        self.keys.extend(other.keys);
    }
}

/// Screens rows in batches, keeping the velocity window between batches.
#[derive(Debug)]
pub struct TableScreener {
    screener: Screener,
    scorer: Scorer,
    options: TableOptions,
    window: Option<Window>,
    next_index: u64,
    summary: Summary,
}

impl TableScreener {
    /// A screener for one table. Rows carry grades and reason codes, never record ids: the
    /// lists are looked up with the grade-only path, as the CLI's bulk runs do.
    pub fn new(screener: &Screener, scorer: &Scorer, options: TableOptions) -> Self {
        let screener = screener.grades_only();
        let v = &options.velocity;
        let window = (options.names && v.min_names > 0).then(|| {
            let shards = (rayon::current_num_threads() * 2).max(1);
            let minutes = options.times.then(|| v.window_hours.saturating_mul(60));
            Window::new(shards, v.min_names, v.window_rows, minutes)
        });
        TableScreener {
            screener,
            scorer: scorer.clone(),
            options,
            window,
            next_index: 0,
            summary: Summary::default(),
        }
    }

    /// What the rows screened so far add up to (the counts `banchi screen` prints).
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Screens the next rows of the table on all cores; the verdicts are in row order.
    pub fn screen(&mut self, rows: &[Fields<'_>]) -> Verdicts {
        let ctx = Ctx {
            screener: &self.screener,
            scorer: &self.scorer,
            format: Format::Csv,
            out_format: Format::Csv,
            encoding: OutputEncoding::Utf8,
            out_header: Vec::new(),
            cols: Resolved::default(),
            keys: Keys::default(),
            velocity_on: self.window.is_some(),
            min_names: self.options.velocity.min_names,
            hashing: Hashing::default(),
            default_time: None,
        };
        let first = self.next_index;
        self.next_index += rows.len() as u64;
        let piece = rows.len().div_ceil(rayon::current_num_threads() * 4).max(1);
        let want_keys = self.options.keys;
        // 1. Screen and score, in parallel.
        let mut screened: Vec<(Screened, Vec<Option<String>>)> = rows
            .par_chunks(piece)
            .enumerate()
            .map(|(p, part)| screen_part(&ctx, part, first + (p * piece) as u64, want_keys))
            .collect();
        // 2. Velocity in row order, sharded by delivery point.
        let counts = match self.window.as_mut() {
            Some(window) => {
                let runs: Vec<&[Observation]> = screened
                    .iter()
                    .map(|(s, _)| s.observations.as_slice())
                    .collect();
                window.observe_chunk::<NoPast>(&runs, &mut [])
            }
            None => Vec::new(),
        };
        // 3. The CLI's CSV verdict columns, read back into cells, in parallel.
        let parts: Vec<(Verdicts, Summary)> = screened
            .par_iter_mut()
            .enumerate()
            .map(|(p, (s, keys))| {
                let start = first + (p * piece) as u64;
                let names = names_per_row(
                    &s.observations,
                    counts.get(p).map_or(&[][..], Vec::as_slice),
                    start,
                    s.rows.len(),
                );
                let piece = ctx.format_rows(std::mem::take(&mut s.rows), &[], &names);
                let mut verdicts = cells(&piece);
                verdicts.keys = std::mem::take(keys);
                (verdicts, piece.tally)
            })
            .collect();
        let mut out = Verdicts::default();
        for (verdicts, tally) in parts {
            self.summary.add(&tally);
            out.append(verdicts);
        }
        out
    }
}

/// Screens one stretch of rows (the `first`-th row of the table onwards).
fn screen_part(
    ctx: &Ctx<'_>,
    rows: &[Fields<'_>],
    first: u64,
    want_keys: bool,
) -> (Screened, Vec<Option<String>>) {
    let mut out = Screened {
        rows: Vec::with_capacity(rows.len()),
        observations: Vec::new(),
    };
    let mut keys = Vec::with_capacity(if want_keys { rows.len() } else { 0 });
    for (index, f) in (first..).zip(rows) {
        let mut row = Row {
            line: f.line.unwrap_or(0),
            ..Row::default()
        };
        let address = joined(f.address);
        let buyer = Buyer {
            name: cell(f.name),
            phone: cell(f.phone),
            email: cell(f.email),
        };
        let time = cell(f.time).and_then(velocity::parse_time_minutes);
        ctx.finish_row(&mut row, &address, cell(f.postal), &buyer, time, Vec::new());
        if f.line.is_none() {
            // The CLI's `line N: ` names a line of a file; this row has none.
            let prefix = format!("line {}: ", row.line);
            if let Some(e) = row.error.as_mut() {
                if e.starts_with(&prefix) {
                    e.replace_range(..prefix.len(), "");
                }
            }
        }
        if want_keys {
            keys.push(
                row.screening
                    .as_mut()
                    .and_then(|s| s.address.as_mut())
                    .filter(|a| a.level >= Level::Block)
                    .map(|a| std::mem::take(&mut a.key)),
            );
        }
        if ctx.velocity_on {
            out.observations.extend(observation(&row, index));
        }
        out.rows.push(row);
    }
    (out, keys)
}

/// A cell as the CLI reads a CSV field: trimmed, absent when empty.
fn cell(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// The address cells joined as the CLI joins several address columns.
fn joined<'a>(parts: &[Option<&'a str>]) -> Cow<'a, str> {
    let mut present = parts.iter().filter_map(|p| cell(*p));
    match (present.next(), present.next()) {
        (None, _) => Cow::Borrowed(""),
        (Some(only), None) => Cow::Borrowed(only),
        (Some(a), Some(b)) => {
            let mut s = String::with_capacity(a.len() + b.len() + 16);
            s.push_str(a);
            for p in std::iter::once(b).chain(present) {
                s.push(' ');
                s.push_str(p);
            }
            Cow::Owned(s)
        }
    }
}

/// Reads the verdict cells back from a piece's CSV lines (each line: an empty input column,
/// then the seven verdict columns).
fn cells(piece: &Piece) -> Verdicts {
    let mut out = Verdicts::default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(piece.buf.as_slice());
    let mut record = csv::StringRecord::new();
    // The lines were written by `format` from UTF-8 text: a read error cannot happen; were
    // one to, the row still gets its (empty) cells, so no row is lost.
    while reader.read_record(&mut record).unwrap_or(false) {
        for (c, column) in out.columns.iter_mut().enumerate() {
            column.push(record.get(c + 1).unwrap_or(""));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulk::{screen_stream, Options};
    use crate::config::Config;
    use crate::watchlist::{ListKind, Watchlist};
    use crate::Parser;

    const FRAUD: &str = "id,address,reason\n\
        F1,東京都世田谷区三軒茶屋2-11-5 コーポ黒猫201号室,chargeback\n\
        F2,\"大阪府大阪市北区梅田3丁目4番5号 ネコノスビル 7F\",resale\n";

    fn screener() -> Screener {
        let parser = Parser::new();
        let fraud = Watchlist::from_csv_reader(FRAUD.as_bytes(), ListKind::Fraud, &parser)
            .expect("the test list loads");
        let forwarders = Watchlist::bundled_forwarders(&parser).expect("bundled list loads");
        Screener::new(parser)
            .with_fraud(fraud)
            .with_forwarders(forwarders)
    }

    /// (name, phone, email, address, postal): fictional people at real places.
    const ROWS: &[(&str, &str, &str, &str, &str)] = &[
        (
            "黒猫 花子",
            "090-2468-1357",
            "a@example.jp",
            "東京都世田谷区三軒茶屋二丁目11番5号 コーポ黒猫 201",
            "",
        ),
        (
            "白猫 次郎",
            "080-1357-2468",
            "b@example.jp",
            "東京都世田谷区三軒茶屋2-11-5 コーポ黒猫 201",
            "154-0024",
        ),
        (
            "三毛 三郎",
            "00-0000-0000",
            "test@test.com",
            "大阪府大阪市北区梅田３－４－５",
            "",
        ),
        ("茶虎 四郎", "", "", "", ""),
        (
            "灰猫 五郎",
            "",
            "",
            "東京都世田谷区三軒茶屋２－１１－５－２０１",
            "104-0061",
        ),
        (
            "",
            "",
            "",
            "神奈川県大和市南林間1-8-17 DANKEBOX PM12345",
            "",
        ),
        ("錆猫 六子", "", "", "hello, world", ""),
        ("錆猫 六子", "", "", "  東京都中央区銀座4-6-16 局留め  ", ""),
        (
            "Ｋｕｒｏ",
            "",
            "",
            "東京都世田谷区三軒茶屋2-11-5 201号室",
            "",
        ),
    ];

    fn csv_of_rows(with_names: bool) -> String {
        let mut out = String::from(if with_names {
            "name,phone,email,address,postal\n"
        } else {
            "phone,email,address,postal\n"
        });
        for (name, phone, email, address, postal) in ROWS {
            let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
            let mut fields = vec![*phone, *email, *address, *postal];
            if with_names {
                fields.insert(0, *name);
            }
            w.write_record(&fields).expect("in memory");
            let bytes = w.into_inner().expect("in memory");
            out.push_str(std::str::from_utf8(&bytes).expect("UTF-8"));
        }
        out
    }

    /// The CLI's verdict cells for the rows, from a CSV run.
    fn cli_cells(with_names: bool) -> Vec<Vec<String>> {
        let screener = screener();
        let scorer = Scorer::new(&Config::default());
        let opts = Options {
            columns: crate::bulk::Columns {
                postal: Some("postal".into()),
                ..Default::default()
            },
            chunk_rows: 4,
            ..Options::default()
        };
        let input = csv_of_rows(with_names);
        let mut out = Vec::new();
        screen_stream(
            input.as_bytes(),
            &mut out,
            Format::Csv,
            &opts,
            &screener,
            &scorer,
        )
        .expect("the run succeeds");
        let mut reader = csv::Reader::from_reader(out.as_slice());
        reader
            .records()
            .map(|r| {
                let r = r.expect("the output is CSV");
                let skip = r.len() - 7;
                r.iter().skip(skip).map(str::to_owned).collect()
            })
            .collect()
    }

    fn table_cells(with_names: bool, batch: usize) -> (Vec<Vec<String>>, Summary) {
        let screener = screener();
        let scorer = Scorer::new(&Config::default());
        let mut t = TableScreener::new(
            &screener,
            &scorer,
            TableOptions {
                names: with_names,
                keys: true,
                ..TableOptions::default()
            },
        );
        let addresses: Vec<[Option<&str>; 1]> = ROWS.iter().map(|r| [Some(r.3)]).collect();
        let fields: Vec<Fields<'_>> = ROWS
            .iter()
            .zip(&addresses)
            .zip(2u64..)
            .map(|((r, a), line)| Fields {
                address: a,
                name: with_names.then_some(r.0),
                phone: Some(r.1),
                email: Some(r.2),
                postal: Some(r.4),
                line: Some(line),
                ..Fields::default()
            })
            .collect();
        let mut rows = Vec::new();
        for part in fields.chunks(batch) {
            let v = t.screen(part);
            assert_eq!(v.keys.len(), part.len());
            for i in 0..v.len() {
                rows.push(
                    v.columns
                        .iter()
                        .map(|c| c.get(i).unwrap_or("?").to_owned())
                        .collect(),
                );
            }
        }
        (rows, t.summary().clone())
    }

    #[test]
    fn cells_equal_the_clis_csv_columns() {
        for with_names in [false, true] {
            let cli = cli_cells(with_names);
            assert_eq!(cli.len(), ROWS.len());
            for batch in [1, 2, ROWS.len()] {
                let (table, summary) = table_cells(with_names, batch);
                assert_eq!(table, cli, "names {with_names}, batch {batch}");
                assert_eq!(summary.rows, ROWS.len() as u64);
            }
        }
    }

    #[test]
    fn outcomes_are_the_expected_ones() {
        let (rows, summary) = table_cells(true, 3);
        // Row 1: the listed room → danger; row 4: an empty address → its error.
        assert_eq!(rows[0][0], "danger");
        assert_eq!(rows[3][6], "line 5: address: empty address");
        assert!(rows[3][4].split(';').any(|c| c == "unparseable_address"));
        // The forwarding warehouse; a care-of/局留め destination has its reason code.
        assert_eq!(rows[5][1], "forwarding_service");
        assert!(
            rows[7][4].split(';').any(|c| c == "post_office_hold"),
            "{:?}",
            rows[7]
        );
        // Four names at one point: velocity from the third name on (rows 1, 2, 5, 9).
        assert!(
            rows[8][4].split(';').any(|c| c == "velocity"),
            "{:?}",
            rows[8]
        );
        assert!(
            rows[4][4].split(';').any(|c| c == "velocity"),
            "{:?}",
            rows[4]
        );
        assert!(!rows[1][4].split(';').any(|c| c == "velocity"));
        assert!(rows[4][4].split(';').any(|c| c == "postal_code_mismatch"));
        assert!(!rows[1][4].split(';').any(|c| c == "postal_code_mismatch"));
        assert_eq!(summary.velocity, 2);
        assert_eq!(summary.address_errors, 2);
    }

    #[test]
    fn no_line_no_prefix_and_keys_of_blocks_only() {
        let s = screener();
        let scorer = Scorer::new(&Config::default());
        let mut t = TableScreener::new(
            &s,
            &scorer,
            TableOptions {
                keys: true,
                ..TableOptions::default()
            },
        );
        let a = [Some("東京都中央区銀座4-6-16")];
        let town = [Some("東京都中央区銀座")];
        let none: [Option<&str>; 1] = [None];
        let two = [Some(" 東京都中央区 "), None, Some("銀座4-6-16 ")];
        let rows = [
            Fields {
                address: &a,
                ..Fields::default()
            },
            Fields {
                address: &town,
                ..Fields::default()
            },
            Fields {
                address: &none,
                ..Fields::default()
            },
            Fields {
                address: &two,
                ..Fields::default()
            },
        ];
        let v = t.screen(&rows);
        let error = v.column("error").expect("a column");
        assert_eq!(error.get(2), Some("address: empty address"));
        assert_eq!(error.get(0), Some(""));
        assert_eq!(v.keys[0].as_deref(), Some("13102|銀座|4|6|16||"));
        assert_eq!(v.keys[1], None);
        assert_eq!(v.keys[2], None);
        assert_eq!(v.keys[3], v.keys[0]);
        let normalized = v.column("normalized").expect("a column");
        assert_eq!(normalized.get(3), Some("東京都中央区銀座4丁目6-16"));
        assert_eq!(normalized.get(4), None);
    }

    #[test]
    fn text_column_cells() {
        let mut c = TextColumn::default();
        for s in ["a", "", "銀座,\"x\""] {
            c.push(s);
        }
        let mut d = TextColumn::default();
        d.push("z");
        c.append(d);
        assert_eq!(c.iter().collect::<Vec<_>>(), ["a", "", "銀座,\"x\"", "z"]);
        assert_eq!(c.get(4), None);
    }
}
