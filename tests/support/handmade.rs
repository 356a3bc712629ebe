//! Hand-made cases, one file per class of address (`tests/data/handmade/*.tsv`, format in that
//! folder's README): loading them and checking the parser against each; shared by the
//! `handmade` example and `tests/it/handmade.rs`.

use banchi::watchlist::{ListKind, MatchOptions, Watchlist};
use banchi::{Address, Parser};
use std::fmt;

/// Every class: its name and its file.
pub const CLASSES: &[(&str, &str)] = &[
    ("aza_inner", include_str!("../data/handmade/aza_inner.tsv")),
    (
        "city_block",
        include_str!("../data/handmade/city_block.tsv"),
    ),
    ("town_cut", include_str!("../data/handmade/town_cut.tsv")),
    ("regional", include_str!("../data/handmade/regional.tsv")),
    ("sapporo", include_str!("../data/handmade/sapporo.tsv")),
    ("variants", include_str!("../data/handmade/variants.tsv")),
    (
        "lookalikes",
        include_str!("../data/handmade/lookalikes.tsv"),
    ),
    ("blocks", include_str!("../data/handmade/blocks.tsv")),
    (
        "numeral_names",
        include_str!("../data/handmade/numeral_names.tsv"),
    ),
    ("units", include_str!("../data/handmade/units.tsv")),
    ("postal", include_str!("../data/handmade/postal.tsv")),
    // Issue 25 (part 12): one file per class.
    (
        "go_or_room",
        include_str!("../data/handmade/go_or_room.tsv"),
    ),
    (
        "jo_numbers",
        include_str!("../data/handmade/jo_numbers.tsv"),
    ),
    (
        "town_alone",
        include_str!("../data/handmade/town_alone.tsv"),
    ),
    ("brackets", include_str!("../data/handmade/brackets.tsv")),
    (
        "short_towns",
        include_str!("../data/handmade/short_towns.tsv"),
    ),
    (
        "floor_position",
        include_str!("../data/handmade/floor_position.tsv"),
    ),
    (
        "building_written",
        include_str!("../data/handmade/building_written.tsv"),
    ),
];

/// The columns, in file order.
pub const COLUMNS: [&str; 13] = [
    "input",
    "prefecture",
    "city",
    "town",
    "chome",
    "banchi",
    "go",
    "building",
    "floor",
    "room",
    "level",
    "anomalies",
    "note",
];

/// The fields compared, in column order (all columns but input and note).
const FIELDS: [&str; 11] = [
    "prefecture",
    "city",
    "town",
    "chome",
    "banchi",
    "go",
    "building",
    "floor",
    "room",
    "level",
    "anomalies",
];

/// The fields of "prefecture..go right".
const BLOCK_FIELDS: usize = 6;

/// One case: the input and the expected value of each field (`None`: not checked, `*`).
pub struct Case {
    pub class: &'static str,
    /// 1-based line number in the class file.
    pub line: usize,
    pub input: String,
    pub expected: [Option<String>; 11],
}

/// A case's outcome.
pub struct Outcome {
    /// Fields that differ: (field, got, expected).
    pub wrong: Vec<(&'static str, String, String)>,
}

impl Outcome {
    /// Every checked field right.
    pub fn all_right(&self) -> bool {
        self.wrong.is_empty()
    }

    /// Prefecture, city, town, chome, banchi and go right.
    pub fn block_right(&self) -> bool {
        !self
            .wrong
            .iter()
            .any(|(f, _, _)| FIELDS[..BLOCK_FIELDS].contains(f))
    }
}

/// A malformed case file: which file and line.
#[derive(Debug)]
pub struct FormatError {
    pub class: &'static str,
    pub line: usize,
    pub why: &'static str,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tests/data/handmade/{}.tsv line {}: {}",
            self.class, self.line, self.why
        )
    }
}

/// The cases of one class file.
pub fn load(class: &'static str, text: &str) -> Result<Vec<Case>, FormatError> {
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, h)| h).unwrap_or_default();
    if header.split('\t').collect::<Vec<_>>() != COLUMNS {
        return Err(FormatError {
            class,
            line: 1,
            why: "the header is not the documented one",
        });
    }
    let mut cases = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').collect();
        if cells.len() != COLUMNS.len() {
            return Err(FormatError {
                class,
                line: i + 1,
                why: "not 13 tab-separated cells",
            });
        }
        let expected = std::array::from_fn(|f| match cells[f + 1] {
            "*" => None,
            cell => Some(cell.to_owned()),
        });
        cases.push(Case {
            class,
            line: i + 1,
            input: cells[0].to_owned(),
            expected,
        });
    }
    Ok(cases)
}

/// Every case of every class, in class order.
pub fn load_all() -> Result<Vec<Case>, FormatError> {
    let mut all = Vec::new();
    for (class, text) in CLASSES {
        all.extend(load(class, text)?);
    }
    Ok(all)
}

/// The field as the case files write it: empty for null.
fn field(a: &Address, name: &str) -> String {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    match name {
        "prefecture" => opt(&a.prefecture),
        "city" => opt(&a.city),
        "town" => opt(&a.town),
        "chome" => a.chome.map(|c| c.to_string()).unwrap_or_default(),
        "banchi" => opt(&a.banchi),
        "go" => opt(&a.go),
        "building" => opt(&a.building),
        "floor" => opt(&a.floor),
        "room" => opt(&a.room),
        "level" => a.level.to_string(),
        "anomalies" => {
            let mut codes: Vec<&str> = a.anomalies.iter().map(|x| x.code()).collect();
            codes.sort_unstable();
            codes.join(",")
        }
        _ => String::new(),
    }
}

/// Sorts a comma-separated anomaly list, so that the files may list them in any order.
fn sorted_codes(s: &str) -> String {
    let mut codes: Vec<&str> = s.split(',').filter(|c| !c.is_empty()).collect();
    codes.sort_unstable();
    codes.join(",")
}

/// Parses the case's input and compares every checked field.
pub fn check(parser: &Parser, case: &Case) -> Outcome {
    let parsed = parser.parse(&case.input).unwrap_or_default();
    let mut wrong = Vec::new();
    for (name, want) in FIELDS.iter().zip(&case.expected) {
        let Some(want) = want else { continue };
        let (got, want) = if *name == "anomalies" {
            (field(&parsed, name), sorted_codes(want))
        } else {
            (field(&parsed, name), want.clone())
        };
        if got != want {
            wrong.push((*name, got, want));
        }
    }
    Outcome { wrong }
}

/// Hand-made grading pairs: a listed fraud address, a query, and the fraud grade the query
/// must get against a list holding that one row (format in the folder's README).
pub const PAIRS: &str = include_str!("../data/handmade/grading_pairs.tsv");

/// The columns of [`PAIRS`], in file order.
pub const PAIR_COLUMNS: [&str; 4] = ["listed", "query", "grade", "note"];

/// One grading pair.
pub struct Pair {
    /// 1-based line number in the file.
    pub line: usize,
    pub listed: String,
    pub query: String,
    /// `danger`, `caution`, `warning`, or empty for no grade.
    pub grade: String,
}

/// The pairs of [`PAIRS`].
pub fn load_pairs() -> Result<Vec<Pair>, FormatError> {
    let class = "grading_pairs";
    let mut lines = PAIRS.lines().enumerate();
    let header = lines.next().map(|(_, h)| h).unwrap_or_default();
    if header.split('\t').collect::<Vec<_>>() != PAIR_COLUMNS {
        return Err(FormatError {
            class,
            line: 1,
            why: "the header is not the documented one",
        });
    }
    let mut pairs = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').collect();
        if cells.len() != PAIR_COLUMNS.len() {
            return Err(FormatError {
                class,
                line: i + 1,
                why: "not 4 tab-separated cells",
            });
        }
        if !["danger", "caution", "warning", ""].contains(&cells[2]) {
            return Err(FormatError {
                class,
                line: i + 1,
                why: "grade is not danger, caution, warning or empty",
            });
        }
        pairs.push(Pair {
            line: i + 1,
            listed: cells[0].to_owned(),
            query: cells[1].to_owned(),
            grade: cells[2].to_owned(),
        });
    }
    Ok(pairs)
}

/// The fraud grade of the pair's query against a list of its listed row: from the screening
/// (with matches) and from the grade-only lookup (bulk mode), as written in the file (empty
/// for none). `Err` when the listed row is not indexed.
pub fn grade_pair(parser: &Parser, pair: &Pair) -> Result<(String, String), String> {
    let csv = format!("id,address\nL1,\"{}\"\n", pair.listed.replace('"', "\"\""));
    let list = Watchlist::from_csv_reader(csv.as_bytes(), ListKind::Fraud, parser)
        .map_err(|e| e.to_string())?;
    if list.len() != 1 {
        return Err("the listed address was not indexed".into());
    }
    let query = parser.parse(&pair.query).unwrap_or_default();
    let name =
        |g: Option<banchi::watchlist::Grade>| g.map(|g| g.as_str().to_owned()).unwrap_or_default();
    let screened = name(list.screen_fraud(&query, &MatchOptions::default()).grade);
    let graded = name(list.fraud_grade(&query, &MatchOptions::default()));
    Ok((screened, graded))
}
