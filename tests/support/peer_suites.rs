//! Small public peer suites kept in `tests/data/peers/` (their licences and sources are in that
//! folder's README): each row is an input and the peer's prefecture, municipality and town (the
//! town with its chome in kanji, `国領町三丁目`, as in the geolonia suite). Scored on
//! prefecture + municipality + town agreement; shared by the `conformance` example and the
//! conformance test.

use super::peer::peer_town;
use banchi::normalize::name_key;
use banchi::Parser;
use std::fmt;

/// One suite: its name and its file.
pub const SUITES: &[(&str, &str)] = &[
    (
        "japanese-address-parser",
        include_str!("../data/peers/japanese_address_parser.tsv"),
    ),
    (
        "abr-geocoder",
        include_str!("../data/peers/abr_geocoder.tsv"),
    ),
];

/// One peer case.
pub struct Case {
    pub input: String,
    pub pref: String,
    pub city: String,
    pub town: String,
}

/// The cases of one suite file (header `input pref city town …`, tab-separated).
pub fn load(text: &str) -> Vec<Case> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut f = line.split('\t');
            Some(Case {
                input: f.next()?.to_owned(),
                pref: f.next()?.to_owned(),
                city: f.next()?.to_owned(),
                town: f.next()?.to_owned(),
            })
        })
        .collect()
}

/// Agreement of one suite.
pub struct Report {
    pub suite: &'static str,
    pub rows: usize,
    pub agree: usize,
    /// (input, ours `pref|city|town|chome`, peer `pref|city|town`).
    pub disagreements: Vec<(String, String, String)>,
}

impl Report {
    pub fn share(&self) -> f64 {
        self.agree as f64 / self.rows.max(1) as f64
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: prefecture+city+town agree on {}/{} = {:.2} %",
            self.suite,
            self.agree,
            self.rows,
            100.0 * self.share()
        )
    }
}

/// Scores one suite. The municipality is compared by its folded name (`龍ヶ崎市` = `龍ケ崎市`,
/// `檮原町` = `梼原町`), the town as in the geolonia suite (大字/字 and chome folded).
pub fn score(suite: &'static str, cases: &[Case]) -> Report {
    let parser = Parser::new();
    let mut report = Report {
        suite,
        rows: cases.len(),
        agree: 0,
        disagreements: Vec::new(),
    };
    for c in cases {
        let a = parser.parse(&c.input).unwrap_or_default();
        let pref_ok = a.prefecture.as_deref().unwrap_or("") == c.pref;
        let city_ok = name_key(a.city.as_deref().unwrap_or("")) == name_key(&c.city);
        let ours_town = (name_key(a.town.as_deref().unwrap_or("")), a.chome);
        let town_ok = ours_town == peer_town(&c.town);
        if pref_ok && city_ok && town_ok {
            report.agree += 1;
        } else {
            report.disagreements.push((
                c.input.clone(),
                format!(
                    "{}|{}|{}|{:?}",
                    a.prefecture.as_deref().unwrap_or(""),
                    a.city.as_deref().unwrap_or(""),
                    a.town.as_deref().unwrap_or(""),
                    a.chome
                ),
                format!("{}|{}|{}", c.pref, c.city, c.town),
            ));
        }
    }
    report
}

/// Every suite, scored.
pub fn score_all() -> Vec<Report> {
    SUITES
        .iter()
        .map(|(name, text)| score(name, &load(text)))
        .collect()
}
