//! Scoring banchi against the geolonia peer cases; shared by the conformance test and the
//! `conformance` example.

use banchi::normalize::name_key;
use banchi::{Address, Parser};
use std::collections::BTreeMap;
use std::fmt;

/// One peer case.
pub struct Case {
    pub input: String,
    pub pref: String,
    pub city: String,
    pub town: String,
    pub addr: String,
    pub level: String,
    pub source: String,
}

pub const PAIRS: &str = include_str!("../data/geolonia_pairs.tsv");

pub fn load() -> Vec<Case> {
    PAIRS
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() >= 8).then(|| Case {
                input: f[0].to_owned(),
                pref: f[1].to_owned(),
                city: f[2].to_owned(),
                town: f[3].to_owned(),
                addr: f[4].to_owned(),
                level: f[5].to_owned(),
                source: f[7].to_owned(),
            })
        })
        .collect()
}

/// Agreement counts.
#[derive(Default)]
pub struct Report {
    pub rows: usize,
    pub pref_city_town: usize,
    pub pref: usize,
    pub city: usize,
    pub town: usize,
    pub block_rows: usize,
    pub block: usize,
    pub disagreements: BTreeMap<&'static str, Vec<(String, String, String)>>,
}

impl Report {
    pub fn share(&self) -> f64 {
        self.pref_city_town as f64 / self.rows.max(1) as f64
    }

    pub fn block_share(&self) -> f64 {
        self.block as f64 / self.block_rows.max(1) as f64
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pc = |n: usize, d: usize| 100.0 * n as f64 / d.max(1) as f64;
        writeln!(f, "rows (v3, pref+city+town asserted): {}", self.rows)?;
        writeln!(f, "prefecture agrees: {:.2} %", pc(self.pref, self.rows))?;
        writeln!(f, "city agrees:       {:.2} %", pc(self.city, self.rows))?;
        writeln!(f, "town+chome agrees: {:.2} %", pc(self.town, self.rows))?;
        writeln!(
            f,
            "all three agree:   {:.2} %",
            pc(self.pref_city_town, self.rows)
        )?;
        write!(
            f,
            "block agrees on {} level-8 rows: {:.2} %",
            self.block_rows,
            pc(self.block, self.block_rows)
        )
    }
}

/// Splits a peer town (`奈佐原二丁目`, `大字国納`) into its base key and chome.
pub fn peer_town(town: &str) -> (String, Option<u32>) {
    let mut base = town.trim_start_matches("大字");
    if let Some(b) = base.strip_prefix('字') {
        base = b;
    }
    for suffix in ["丁目", "丁"] {
        if let Some(stem) = base.strip_suffix(suffix) {
            let digits: String = stem
                .chars()
                .rev()
                .take_while(|c| banchi::normalize::numerals::is_kanji_numeral(*c))
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let base_len = stem.len() - digits.len();
            if let (Some(n), true) = (banchi::normalize::numerals::value(&digits), base_len > 0) {
                return (name_key(&stem[..base_len]), Some(n as u32));
            }
        }
    }
    (name_key(base), None)
}

fn ours_town(a: &Address) -> (String, Option<u32>) {
    (a.town.as_deref().map(name_key).unwrap_or_default(), a.chome)
}

fn ours_block(a: &Address) -> String {
    match (&a.banchi, &a.go) {
        (Some(b), Some(g)) => format!("{b}-{g}"),
        (Some(b), None) => b.clone(),
        _ => String::new(),
    }
}

pub fn score(cases: &[Case]) -> Report {
    let parser = Parser::new();
    let mut r = Report::default();
    for c in cases.iter().filter(|c| c.source == "v3_addresses_csv") {
        r.rows += 1;
        let a = parser.parse(&c.input).unwrap_or_default();
        let pref_ok = a.prefecture.as_deref().unwrap_or("") == c.pref;
        let city_ok = a.city.as_deref().unwrap_or("") == c.city;
        let town_ok = ours_town(&a) == peer_town(&c.town);
        r.pref += pref_ok as usize;
        r.city += city_ok as usize;
        r.town += town_ok as usize;
        if pref_ok && city_ok && town_ok {
            r.pref_city_town += 1;
        }
        let show = |a: &Address| {
            format!(
                "{}|{}|{}|{:?}|{}",
                a.prefecture.as_deref().unwrap_or(""),
                a.city.as_deref().unwrap_or(""),
                a.town.as_deref().unwrap_or(""),
                a.chome,
                ours_block(a)
            )
        };
        if !pref_ok {
            r.disagreements.entry("pref").or_default().push((
                c.input.clone(),
                show(&a),
                c.pref.clone(),
            ));
        } else if !city_ok {
            r.disagreements.entry("city").or_default().push((
                c.input.clone(),
                show(&a),
                c.city.clone(),
            ));
        } else if !town_ok {
            r.disagreements.entry("town").or_default().push((
                c.input.clone(),
                show(&a),
                c.town.clone(),
            ));
        }
        if c.level == "8" && town_ok {
            r.block_rows += 1;
            if ours_block(&a) == c.addr {
                r.block += 1;
            } else {
                r.disagreements.entry("block").or_default().push((
                    c.input.clone(),
                    show(&a),
                    c.addr.clone(),
                ));
            }
        }
    }
    r
}
