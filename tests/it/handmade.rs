//! Hand-made cases and real-world floors as a test.
//!
//! - Every case of the classes in [`ASSERTED_CLASSES`] must have every field right (the other
//!   classes are measured by `cargo run --release --example handmade`; the lead adds a class
//!   here once the parser handles it).
//! - Japan Post's 22,200 business addresses (the real-world run, `cargo run --release
//!   --example real_world`) must stay above the floors below: today's figures minus a small
//!   margin, raised as the parser improves; so must the small public peer suites of
//!   `tests/data/peers/` (prefecture + city + town agreement).

use crate::support::{handmade, peer_suites, real_world};
use banchi::Parser;

/// Classes whose every case must pass.
const ASSERTED_CLASSES: &[&str] = &[
    "aza_inner",
    "city_block",
    "town_cut",
    "regional",
    "sapporo",
    "variants",
    "lookalikes",
    "blocks",
    "numeral_names",
    "postal",
    "go_or_room",
    "jo_numbers",
    "town_alone",
    "brackets",
    "short_towns",
    "floor_position",
    "building_written",
];

/// Floors of the real-world run (shares, 0–1).
const FLOOR_BLOCK_LEVEL: f64 = 0.980;
const FLOOR_TOWN_AGREES: f64 = 0.984;
/// Town agreement with spelling differences the gazetteer resolves on purpose set aside.
const FLOOR_TOWN_AS_GAZETTEER: f64 = 0.988;
const FLOOR_BLOCK_WITH_TOWN: f64 = 0.968;
const FLOOR_SAME_KEY: f64 = 0.999;

/// Floors of the small peer suites (prefecture + city + town agreement, 0–1).
const FLOOR_PEER_SUITES: &[(&str, f64)] =
    &[("japanese-address-parser", 0.975), ("abr-geocoder", 0.90)];

#[test]
fn asserted_classes_pass_every_case() {
    let cases = handmade::load_all().unwrap_or_else(|e| panic!("{e}"));
    let parser = Parser::new();
    let mut failures = Vec::new();
    for case in cases.iter().filter(|c| ASSERTED_CLASSES.contains(&c.class)) {
        let outcome = handmade::check(&parser, case);
        for (field, got, want) in &outcome.wrong {
            failures.push(format!(
                "{}.tsv line {} {}: {field} got `{got}` want `{want}`",
                case.class, case.line, case.input
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn grading_pairs_grade_as_written() {
    let pairs = handmade::load_pairs().unwrap_or_else(|e| panic!("{e}"));
    assert!(pairs.len() >= 20, "{} grading pairs", pairs.len());
    // Both readings and the guards are there: danger pairs and pairs that must not be.
    assert!(pairs.iter().any(|p| p.grade == "danger"));
    assert!(pairs.iter().filter(|p| p.grade != "danger").count() >= 10);
    let parser = Parser::new();
    let mut failures = Vec::new();
    for pair in &pairs {
        match handmade::grade_pair(&parser, pair) {
            Ok((screened, graded)) => {
                if screened != pair.grade || graded != pair.grade {
                    failures.push(format!(
                        "grading_pairs.tsv line {}: {} against {}: screened `{screened}`, \
                         graded `{graded}`, want `{}`",
                        pair.line, pair.query, pair.listed, pair.grade
                    ));
                }
            }
            Err(e) => failures.push(format!("grading_pairs.tsv line {}: {e}", pair.line)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_case_file_is_well_formed_and_named() {
    let cases = handmade::load_all().unwrap_or_else(|e| panic!("{e}"));
    for (class, _) in handmade::CLASSES {
        let n = cases.iter().filter(|c| c.class == *class).count();
        assert!(n >= 10, "{class}: {n} cases, want at least 10");
    }
    for class in ASSERTED_CLASSES {
        assert!(
            handmade::CLASSES.iter().any(|(c, _)| c == class),
            "{class} is not a class"
        );
    }
}

#[test]
fn real_world_stays_above_its_floors() {
    let rows = real_world::load();
    assert_eq!(
        rows.len(),
        22_200,
        "tests/data/real_world/office.tsv.gz changed"
    );
    let report = real_world::run(&rows);
    assert!(report.block_level() >= FLOOR_BLOCK_LEVEL, "{report}");
    assert!(report.town_agrees() >= FLOOR_TOWN_AGREES, "{report}");
    assert!(
        report.town_agrees_as_gazetteer() >= FLOOR_TOWN_AS_GAZETTEER,
        "{report}"
    );
    assert!(
        report.block_with_town() >= FLOOR_BLOCK_WITH_TOWN,
        "{report}"
    );
    assert!(report.same_key() >= FLOOR_SAME_KEY, "{report}");
}

#[test]
fn rewrites_draw_the_same_stream_as_python() {
    // random.Random(7).getrandbits(32) five times, and choice over 4 items twenty times.
    let mut rng = real_world::PyRandom::new(7);
    let words: Vec<u32> = (0..5).map(|_| rng.next_u32()).collect();
    assert_eq!(
        words,
        [1390851128, 4071050724, 647892279, 1695753998, 2795742288]
    );
    let mut rng = real_world::PyRandom::new(7);
    let picks: String = (0..20)
        .map(|_| ['a', 'b', 'c', 'd'][rng.below(4)])
        .collect();
    assert_eq!(picks, "cbdaaacabaaddabadaab");
}

#[test]
fn the_shared_tools_fold_and_numerals() {
    assert_eq!(real_world::kanji(2014), "二千十四");
    assert_eq!(real_world::kanji(110), "百十");
    assert_eq!(real_world::kanji(12_345), "12345");
    assert_eq!(real_world::fold("大字藏主町"), real_world::fold("藏主町"));
    assert_eq!(real_world::fold("烏丸通六角下る七観音町"), "七観音町");
    assert_eq!(real_world::fold("第４７線"), "第四十七線");
    assert_eq!(real_world::fold("霞ヶ関"), "霞ケ関");
}

#[test]
fn peer_suites_stay_above_their_floors() {
    let reports = peer_suites::score_all();
    assert_eq!(reports.len(), FLOOR_PEER_SUITES.len());
    for report in reports {
        let floor = FLOOR_PEER_SUITES
            .iter()
            .find(|(name, _)| *name == report.suite)
            .map(|(_, floor)| *floor)
            .unwrap_or_else(|| panic!("no floor for {}", report.suite));
        // The figures, for `-- --nocapture`.
        eprintln!("{report}");
        assert!(report.rows >= 30, "{report}");
        assert!(report.share() >= floor, "{report}");
    }
}
