//! Grades through the whole pipeline: list CSV → parser → index → screening of queries written
//! in every notation family the parser folds. Addresses are fictional (real town names, made-up
//! block numbers, buildings and people); the forwarder warehouses are the public ones bundled
//! in data/forwarders.csv.

use banchi::watchlist::{Basis, Grade, ListKind, MatchOptions, Signal, Watchlist};
use banchi::{Parser, Screener};

const FRAUD_CSV: &str = "\
id,address,reason,memo
F-room,東京都世田谷区三軒茶屋1丁目2番3号 ハイツ黒猫101号室,chargeback,fictional case A
F-floor,東京都世田谷区三軒茶屋1-5-8 猫山ビル3F,resale,fictional case B
F-house,東京都世田谷区深沢3-4-5,unpaid,fictional case C
F-kasumi,東京都千代田区霞が関1丁目20番3号,credit_master,fictional case D
F-cid,神奈川県横浜市中区山下町77-1 LYF2266455,forwarding,fictional case E
";

fn parser() -> Parser {
    Parser::new()
}

fn fraud() -> Watchlist {
    Watchlist::from_csv_reader(FRAUD_CSV.as_bytes(), ListKind::Fraud, &parser()).unwrap()
}

fn screener() -> Screener {
    let p = parser();
    Screener::new(p)
        .with_fraud(fraud())
        .with_forwarders(Watchlist::bundled_forwarders(&p).unwrap())
}

fn fraud_of(s: &Screener, q: &str) -> (Option<Grade>, Vec<(String, Basis)>) {
    let r = s.check(q);
    assert!(r.error.is_none(), "{q}: {:?}", r.error);
    (
        r.fraud.grade,
        r.fraud
            .matches
            .iter()
            .map(|m| (m.id.clone(), m.matched))
            .collect(),
    )
}

#[test]
fn the_fixture_list_loads_whole() {
    let l = fraud();
    let r = l.report();
    assert_eq!((r.rows, r.indexed, r.rejected.len()), (5, 5, 0), "{r:?}");
    assert_eq!(l.columns(), ["memo".to_string()]);
}

#[test]
fn same_room_in_every_notation_is_danger() {
    let s = screener();
    let queries = [
        // Full-width digits and hyphen.
        "東京都世田谷区三軒茶屋１－２－３ ハイツ黒猫１０１",
        // Kanji numerals with 丁目/番/号.
        "東京都世田谷区三軒茶屋一丁目二番三号 ハイツ黒猫101号室",
        // 1-2-3 shape.
        "東京都世田谷区三軒茶屋1-2-3 ハイツ黒猫101",
        // 番地の.
        "東京都世田谷区三軒茶屋1丁目2番地の3 ハイツ黒猫101号室",
        // の between numbers.
        "東京都世田谷区三軒茶屋1の2の3 ハイツ黒猫101",
        // Repeated prefecture.
        "東京都世田谷区東京都三軒茶屋1-2-3 ハイツ黒猫101",
        // Building dropped, room folded onto the block.
        "東京都世田谷区三軒茶屋1-2-3-101",
        // #101 instead of 101号室.
        "東京都世田谷区三軒茶屋1-2-3 ハイツ黒猫#101",
        // Hyphen look-alikes, half-width kana building.
        "東京都世田谷区三軒茶屋1ー2‐3 ﾊｲﾂ黒猫 101",
        // Prefecture dropped, spaces.
        "世田谷区 三軒茶屋 1丁目 2-3 101号室",
        // Floor and room both given.
        "東京都世田谷区三軒茶屋1-2-3 ハイツ黒猫1階101号室",
    ];
    for q in queries {
        let (g, m) = fraud_of(&s, q);
        assert_eq!(g, Some(Grade::Danger), "{q}: {m:?}");
        assert_eq!(m[0], ("F-room".to_string(), Basis::SameRoom), "{q}");
    }
}

#[test]
fn same_floor_3f_and_3kai_is_danger() {
    let s = screener();
    for q in [
        "東京都世田谷区三軒茶屋1-5-8 猫山ビル3階",
        "東京都世田谷区三軒茶屋一丁目5番8号 3F",
        "東京都世田谷区三軒茶屋1丁目5-8 猫山ビル３Ｆ",
    ] {
        let (g, m) = fraud_of(&s, q);
        assert_eq!(g, Some(Grade::Danger), "{q}: {m:?}");
        assert_eq!(m[0], ("F-floor".to_string(), Basis::SameFloor), "{q}");
    }
}

#[test]
fn old_kanji_and_ga_ke_fold_to_the_same_house() {
    let s = screener();
    for (q, id) in [
        ("東京都世田谷区深澤三丁目4番5号", "F-house"),
        ("東京都世田谷区深沢3-4-5", "F-house"),
        ("東京都千代田区霞ヶ関一丁目20-3", "F-kasumi"),
        ("東京都千代田区霞ケ関1-20-3", "F-kasumi"),
    ] {
        let (g, m) = fraud_of(&s, q);
        assert_eq!(g, Some(Grade::Danger), "{q}: {m:?}");
        assert_eq!(m[0], (id.to_string(), Basis::SameHouse), "{q}");
    }
}

#[test]
fn same_customer_id_is_danger_other_id_is_caution() {
    let s = screener();
    let (g, m) = fraud_of(&s, "神奈川県横浜市中区山下町77番地1 lyf2266455");
    assert_eq!(g, Some(Grade::Danger), "{m:?}");
    assert_eq!(m[0].1, Basis::SameCustomerId);
    let (g, m) = fraud_of(&s, "神奈川県横浜市中区山下町77-1 LYF9999999");
    assert_eq!(g, Some(Grade::Caution), "{m:?}");
    assert_eq!(m[0].1, Basis::UnitDiffers);
}

#[test]
fn same_block_other_or_missing_unit_is_caution() {
    let s = screener();
    for (q, basis) in [
        (
            "東京都世田谷区三軒茶屋1-2-3 ハイツ黒猫102号室",
            Basis::UnitDiffers,
        ),
        ("東京都世田谷区三軒茶屋1-2-3", Basis::UnitMissing),
        ("東京都世田谷区三軒茶屋1-5-8 猫山ビル4F", Basis::UnitDiffers),
        (
            "東京都世田谷区三軒茶屋1-5-8 猫山ビル3F 305号室",
            Basis::UnitMissing,
        ),
        ("東京都世田谷区深沢3-4-5 202号室", Basis::UnitMissing),
    ] {
        let (g, m) = fraud_of(&s, q);
        assert_eq!(g, Some(Grade::Caution), "{q}: {m:?}");
        assert_eq!(m[0].1, basis, "{q}");
    }
}

#[test]
fn near_blocks_are_warning() {
    let s = screener();
    for (q, basis) in [
        // Banchi 2 ± 2 in 三軒茶屋一丁目.
        ("東京都世田谷区三軒茶屋1-4-1", Basis::NearBanchi),
        ("東京都世田谷区三軒茶屋一丁目1番9号", Basis::NearBanchi),
        // Same banchi, another go.
        ("東京都世田谷区三軒茶屋1-2-30 ハイツ黒猫101", Basis::OtherGo),
        ("東京都世田谷区深沢3-4-6", Basis::OtherGo),
        ("東京都世田谷区深沢3-5", Basis::NearBanchi),
    ] {
        let (g, m) = fraud_of(&s, q);
        assert_eq!(g, Some(Grade::Warning), "{q}: {m:?}");
        assert_eq!(m[0].1, basis, "{q}");
    }
}

#[test]
fn far_or_elsewhere_is_none() {
    let s = screener();
    for q in [
        // Banchi 9 in 三軒茶屋一丁目: 7 from the listed 2, 4 from the listed 5.
        "東京都世田谷区三軒茶屋1-9-3",
        // Another chome.
        "東京都世田谷区三軒茶屋2-2-3-101",
        // Another town, same numbers.
        "東京都世田谷区太子堂1-2-3-101",
        // Another city, same town name pattern.
        "東京都目黒区中町1-2-3",
    ] {
        let (g, m) = fraud_of(&s, q);
        assert_eq!(g, None, "{q}: {m:?}");
    }
}

#[test]
fn near_distance_is_configurable() {
    let p = parser();
    let q = "東京都世田谷区三軒茶屋1-9-3";
    let wide = Screener::new(p)
        .with_fraud(fraud())
        .with_options(MatchOptions {
            near_distance: 4,
            ..MatchOptions::default()
        });
    assert_eq!(wide.check(q).fraud.grade, Some(Grade::Warning));
    let none = Screener::new(p)
        .with_fraud(fraud())
        .with_options(MatchOptions {
            near_distance: 0,
            ..MatchOptions::default()
        });
    assert_eq!(none.check("東京都世田谷区三軒茶屋1-4-1").fraud.grade, None);
    assert_eq!(
        none.check("東京都世田谷区深沢3-4-6").fraud.grade,
        Some(Grade::Warning)
    );
}

#[test]
fn matches_carry_id_reason_and_metadata() {
    let s = screener();
    let r = s.check("東京都世田谷区三軒茶屋1-2-3-101");
    let m = &r.fraud.matches[0];
    assert_eq!(m.id, "F-room");
    assert_eq!(m.reason.as_deref(), Some("chargeback"));
    assert_eq!(m.block, "1-2-3");
    assert_eq!(m.room.as_deref(), Some("101"));
    assert_eq!(
        m.metadata.0,
        vec![("memo".to_string(), "fictional case A".to_string())]
    );
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["fraud"]["grade"], "danger");
    assert_eq!(v["fraud"]["matches"][0]["reason"], "chargeback");
    assert_eq!(
        v["fraud"]["matches"][0]["metadata"]["memo"],
        "fictional case A"
    );
    assert_eq!(v["address"]["town"], "三軒茶屋");
    assert_eq!(v["forwarder"]["grade"], serde_json::Value::Null);
}

#[test]
fn bundled_warehouses_are_forwarding_service_however_written() {
    let s = screener();
    for (q, id) in [
        (
            "〒242-0006 神奈川県大和市南林間1-8-17 サウスクラウドビル3F",
            "dankebox-minamirinkan",
        ),
        (
            "神奈川県大和市南林間一丁目8番17号 サウスクラウドビル3階 DANKEBOX PM12345",
            "dankebox-minamirinkan",
        ),
        ("大和市南林間1-8-17", "dankebox-minamirinkan"),
        ("東京都江東区常盤2-1-7", "kaigai-shien-center-tokiwa"),
        (
            "東京都江東区常盤二丁目１番７号",
            "kaigai-shien-center-tokiwa",
        ),
        (
            "神奈川県藤沢市鵠沼東4-6 奥田ビルB1 S123456",
            "happytenso-shonan",
        ),
        ("神奈川県藤沢市鵠沼東４番地の６", "happytenso-shonan"),
    ] {
        let r = s.check(q);
        assert_eq!(
            r.forwarder.grade,
            Some(Grade::ForwardingService),
            "{q}: {r:?}"
        );
        assert_eq!(r.forwarder.matches[0].id, id, "{q}");
        assert!(r.forwarder.matches[0].service.is_some());
        assert_eq!(r.fraud.grade, None, "{q}");
    }
}

#[test]
fn near_a_warehouse_or_a_customer_id_is_possible() {
    let s = screener();
    let r = s.check("神奈川県大和市南林間1-9-2");
    assert_eq!(r.forwarder.grade, Some(Grade::Possible));
    assert_eq!(r.forwarder.matches[0].matched, Basis::NearBanchi);
    let r = s.check("東京都江東区常盤2-1-9");
    assert_eq!(r.forwarder.grade, Some(Grade::Possible));
    assert_eq!(r.forwarder.matches[0].matched, Basis::OtherGo);
    // Unlisted block with a forwarding-style customer ID after it.
    let r = s.check("大阪府大阪市北区梅田1-2-5 LYF2266455");
    assert_eq!(r.forwarder.grade, Some(Grade::Possible), "{r:?}");
    assert!(r.forwarder.matches.is_empty());
    assert_eq!(r.forwarder.signals, vec![Signal::TrailingCustomerId]);
    // Plain unlisted address.
    assert_eq!(s.check("大阪府大阪市北区梅田1-2-5").forwarder.grade, None);
}

#[test]
fn check_many_keeps_order_and_matches_check() {
    let s = screener();
    let qs: Vec<String> = (0..200)
        .map(|i| format!("東京都世田谷区三軒茶屋1-{}-3-101", i % 7))
        .collect();
    let refs: Vec<&str> = qs.iter().map(String::as_str).collect();
    let many = s.check_many(&refs);
    assert_eq!(many.len(), refs.len());
    for (q, r) in refs.iter().zip(&many) {
        assert_eq!(r.input, *q);
        assert_eq!(*r, s.check(q));
    }
}

#[test]
fn a_screener_is_shared_across_threads() {
    let s = std::sync::Arc::new(screener());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let s = std::sync::Arc::clone(&s);
            std::thread::spawn(move || s.check("東京都世田谷区三軒茶屋1-2-3-101").fraud.grade)
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), Some(Grade::Danger));
    }
}

#[test]
fn disabled_rows_do_not_match_but_are_counted() {
    let csv = "id,address,status\nA,東京都世田谷区三軒茶屋1-2-3-101,disabled\nB,東京都世田谷区深沢3-4-5,active\n";
    let p = parser();
    let l = Watchlist::from_csv_reader(csv.as_bytes(), ListKind::Fraud, &p).unwrap();
    assert_eq!((l.report().rows, l.report().disabled, l.len()), (2, 1, 1));
    let s = Screener::new(p).with_fraud(l);
    assert_eq!(s.check("東京都世田谷区三軒茶屋1-2-3-101").fraud.grade, None);
}

#[test]
fn unparseable_rows_are_reported_by_line_without_their_text() {
    let csv = "id,address,reason\n\
        ok1,東京都世田谷区三軒茶屋1-2-3-101,chargeback\n\
        bad1,東京都世田谷区,chargeback\n\
        \n\
        bad2,どこでもない場所,resale\n\
        bad3,,resale\n\
        ok2,東京都世田谷区深沢3-4-5,unpaid\n";
    let l = Watchlist::from_csv_reader(csv.as_bytes(), ListKind::Fraud, &parser()).unwrap();
    let r = l.report();
    assert_eq!((r.rows, r.indexed), (5, 2));
    let lines: Vec<u64> = r.rejected.iter().map(|x| x.line).collect();
    assert_eq!(lines, vec![3, 5, 6]);
    let summary = r.summary(10);
    assert!(
        summary.contains("line 3") && summary.contains("line 6"),
        "{summary}"
    );
    assert!(
        !summary.contains("世田谷") && !summary.contains("どこ"),
        "{summary}"
    );
    let json = serde_json::to_string(r).unwrap();
    assert!(!json.contains("世田谷"), "{json}");
}

#[test]
fn ids_default_to_line_numbers() {
    let csv = "address\n東京都世田谷区深沢3-4-5\n東京都世田谷区三軒茶屋1-2-3-101\n";
    let p = parser();
    let s = Screener::new(p)
        .with_fraud(Watchlist::from_csv_reader(csv.as_bytes(), ListKind::Fraud, &p).unwrap());
    let r = s.check("東京都世田谷区三軒茶屋1-2-3-101");
    assert_eq!(r.fraud.matches[0].id, "3");
    assert_eq!(r.fraud.matches[0].reason, None);
}

/// Rows whose town is not in the gazetteer (黒猫… are made-up towns in real municipalities),
/// or not written (阿智村 + its block number), and a row whose municipality is ambiguous.
const UNKNOWN_TOWNS_CSV: &str = "\
id,address,reason
U-kita,長野県長野市大字黒猫字北澤４５６番地 コーポ白猫101号室,chargeback
U-oka,長野県長野市黒猫ヶ丘三丁目4番5号,resale
U-mori,長野県長野市黒猫の森12番地の3,unpaid
U-vill,長野県下伊那郡阿智村1234番地,chargeback
A-fuchu,府中市黒猫町1-2,other
E-known,東京都世田谷区深沢3-4-5,unpaid
N-noblock,長野県長野市黒猫北沢,other
";

fn unknown_towns() -> Watchlist {
    Watchlist::from_csv_reader(UNKNOWN_TOWNS_CSV.as_bytes(), ListKind::Fraud, &parser()).unwrap()
}

#[test]
fn the_load_report_counts_exact_fallback_and_rejected_rows() {
    use banchi::watchlist::{FallbackCounts, RejectReason};
    let l = unknown_towns();
    let r = l.report();
    assert_eq!((r.rows, r.indexed, r.exact(), r.disabled), (7, 5, 1, 0));
    assert_eq!(r.fallback.total(), 4);
    assert!(r.fallback.unknown_town >= 3, "{r:?}");
    assert_eq!(
        r.fallback,
        FallbackCounts {
            unknown_town: r.fallback.unknown_town,
            missing_town: 4 - r.fallback.unknown_town,
        }
    );
    let rejected: Vec<(u64, RejectReason)> =
        r.rejected.iter().map(|x| (x.line, x.reason)).collect();
    assert_eq!(
        rejected,
        vec![
            (6, RejectReason::AmbiguousMunicipality),
            (8, RejectReason::NoBlockNumber(banchi::Level::City)),
        ]
    );
    let summary = r.summary(10);
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(lines[0], "7 rows: 5 indexed, 0 disabled, 2 rejected");
    assert!(
        lines[1].starts_with("  indexed: 1 exactly, 4 by fallback key ("),
        "{summary}"
    );
    assert_eq!(
        lines[2],
        "  rejected: 1 ambiguous_municipality, 1 no_block_number"
    );
    assert!(
        !summary.contains("黒猫") && !summary.contains("府中"),
        "{summary}"
    );
}

#[test]
fn a_fraud_row_with_an_unknown_town_is_danger_in_other_notations() {
    let l = unknown_towns();
    let p = parser();
    let o = MatchOptions::default();
    let cases = [
        // 大字/字 dropped, old kanji 澤 → 沢, kanji numerals, full-width room, #room.
        (
            "U-kita",
            "長野県長野市黒猫北沢四百五十六番地 コーポ白猫１０１",
        ),
        ("U-kita", "長野市黒猫北沢456 コーポ白猫 #101"),
        ("U-kita", "長野県長野市字黒猫北沢456番地 コーポ白猫101"),
        // ヶ/ケ/が, 丁目 in kanji or hyphens, 大字 inserted.
        ("U-oka", "長野市黒猫ケ丘3-4-5"),
        ("U-oka", "長野県長野市黒猫が丘３丁目４－５"),
        ("U-oka", "長野県長野市大字黒猫ヶ丘三丁目四番五号"),
        // の/ノ/之, 番地の.
        ("U-mori", "長野県長野市黒猫ノ森12-3"),
        ("U-mori", "長野県長野市黒猫之森十二番地三"),
        // A municipality followed directly by its block number matches the same text.
        ("U-vill", "長野県下伊那郡阿智村１２３４"),
    ];
    for (id, q) in cases {
        let a = p.parse(q).unwrap();
        let r = l.screen_fraud(&a, &o);
        assert_eq!(r.grade, Some(Grade::Danger), "{q}: {r:?}");
        assert_eq!(r.matches[0].id, id, "{q}");
        assert!(r.matches[0].fallback, "{q}");
        assert_eq!(l.fraud_grade(&a, &o), Some(Grade::Danger), "{q}");
    }
    // Near, other unit, other town, other village block: graded as in the exact space.
    let graded = |q: &str| l.fraud_grade(&p.parse(q).unwrap(), &o);
    assert_eq!(
        graded("長野県長野市黒猫北沢456番地 コーポ白猫102"),
        Some(Grade::Caution)
    );
    assert_eq!(graded("長野県長野市黒猫北沢457番地"), Some(Grade::Warning));
    assert_eq!(
        graded("長野県長野市白猫北沢456番地 コーポ白猫101号室"),
        None
    );
    assert_eq!(graded("長野県長野市黒猫ヶ丘四丁目4番5号"), None);
    assert_eq!(graded("長野県下伊那郡阿智村1240番地"), None);
    // The ambiguous row was not indexed: neither Fuchu matches it.
    assert_eq!(graded("東京都府中市黒猫町1-2"), None);
}

#[test]
fn a_building_number_glued_to_the_room_is_danger_both_ways() {
    let p = parser();
    let o = MatchOptions::default();
    let spaced = "東京都中央区銀座4-6-16 パレス桜22 1005号";
    let glued = "東京都中央区銀座４丁目６番１６号 パレス桜221005号";
    for (listed, query) in [(spaced, glued), (glued, spaced)] {
        let csv = format!("id,address\nG1,{listed}\n");
        let l = Watchlist::from_csv_reader(csv.as_bytes(), ListKind::Fraud, &p).unwrap();
        let r = l.screen_fraud(&p.parse(query).unwrap(), &o);
        assert_eq!(r.grade, Some(Grade::Danger), "{listed} / {query}: {r:?}");
        // Another flat of the same building stays caution.
        let other = query.replace("1005", "1006");
        assert_eq!(
            l.fraud_grade(&p.parse(&other).unwrap(), &o),
            Some(Grade::Caution),
            "{listed} / {other}"
        );
    }
}
