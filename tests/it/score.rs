//! Risk scores pinned: each signal alone, then typical combinations, with the default weights
//! (data/banchi.toml). Addresses are fictional (real town names, invented blocks and
//! buildings); the fraud list is built here.

use crate::support::screening::screener_with_fraud;
use banchi::config::Config;
use banchi::score::{Buyer, ReasonCode, RiskLevel, Score, Scorer};
use banchi::Screener;

const FRAUD: &str = "\
id,address,reason
F1,東京都世田谷区三軒茶屋2-11-5 コーポ黒猫201号室,chargeback
F2,大阪府大阪市北区梅田3丁目4番5号 ネコノスビル 7F,credit_master
";

fn screener() -> Screener {
    screener_with_fraud(FRAUD)
}

fn score_with(input: &str, buyer: Buyer<'_>) -> Score {
    let s = screener().check(input);
    Scorer::new(&Config::default()).score(&s, &buyer)
}

fn score(input: &str) -> Score {
    score_with(input, Buyer::default())
}

fn codes(s: &Score) -> Vec<&'static str> {
    s.reasons.iter().map(|r| r.code.as_str()).collect()
}

/// A plain address with no signal.
const CLEAN: &str = "東京都中央区銀座4-6-16";

#[test]
fn clean_address_scores_zero() {
    let s = score(CLEAN);
    assert_eq!((s.score, s.level, s.alert), (0, RiskLevel::Low, false));
    assert!(s.reasons.is_empty());
}

#[test]
fn each_signal_alone() {
    let cases: &[(&str, u32, &str)] = &[
        // Fraud grades.
        (
            "東京都世田谷区三軒茶屋二丁目11番5号 コーポ黒猫 201",
            80,
            "fraud_danger",
        ),
        (
            "東京都世田谷区三軒茶屋2-11-5 コーポ黒猫 305",
            50,
            "fraud_caution",
        ),
        ("東京都世田谷区三軒茶屋2-13-5", 20, "fraud_warning"),
        // Forwarder grades.
        ("神奈川県大和市南林間1-8-17", 60, "forwarding_service"),
        ("神奈川県大和市南林間1-9-3", 25, "forwarding_possible"),
        // A customer ID: graded possible by the forwarder list, not counted twice.
        ("東京都中央区銀座4-6-16 PM12345", 25, "forwarding_possible"),
        // Anomalies.
        ("東京都東京都新宿区西新宿2-8-1", 15, "duplicated_prefecture"),
        ("東京都中央区銀座4丁目", 15, "missing_block_number"),
        ("", 30, "unparseable_address"),
        // Facility destinations.
        (
            "東京都千代田区丸の内1-9-1 ヤマト運輸丸の内営業所止め",
            20,
            "office_pickup",
        ),
        (
            "東京都千代田区丸の内1-9-1 丸の内センター営業所留め",
            20,
            "office_pickup",
        ),
        (
            "広島県広島市中区基町10-52 郵便局留め",
            20,
            "post_office_hold",
        ),
        ("東京都中央区銀座4-6-16 銀座局私書箱12号", 25, "po_box"),
        (
            "千葉県千葉市中央区富士見2-3-1 コンビニ受取",
            15,
            "convenience_store_pickup",
        ),
        (
            "埼玉県さいたま市大宮区桜木町1-7-5 黒猫商事気付",
            15,
            "care_of",
        ),
        ("東京都中央区銀座4-6-16 黒猫様方", 10, "sama_kata"),
    ];
    for &(input, points, code) in cases {
        let s = score(input);
        assert_eq!(codes(&s), vec![code], "{input}");
        assert_eq!(s.score, points, "{input}");
        assert_eq!(s.reasons[0].points, points);
        assert!(!s.reasons[0].ja.is_empty() && !s.reasons[0].en.is_empty());
        assert!(s.alert, "every signal alone reaches the alert threshold 10");
    }
}

#[test]
fn unknown_town_is_its_own_signal() {
    let s = score("東京都世田谷区黒猫町1-2-3");
    assert!(s.has(ReasonCode::UnknownTown), "{:?}", codes(&s));
    assert_eq!(
        s.score,
        s.reasons.iter().map(|r| r.points).sum::<u32>(),
        "score is the sum of the listed reasons"
    );
    assert_eq!(
        s.reasons
            .iter()
            .find(|r| r.code == ReasonCode::UnknownTown)
            .map(|r| r.points),
        Some(10)
    );
}

#[test]
fn buyer_signals_alone() {
    let cases: &[(Buyer<'_>, u32, &str)] = &[
        (
            Buyer {
                name: Some("テスト"),
                ..Buyer::default()
            },
            15,
            "dummy_name",
        ),
        (
            Buyer {
                phone: Some("00-0000-0000"),
                ..Buyer::default()
            },
            20,
            "dummy_phone",
        ),
        (
            Buyer {
                phone: Some("000-0000-0000"),
                ..Buyer::default()
            },
            20,
            "dummy_phone",
        ),
        (
            Buyer {
                email: Some("test@test.com"),
                ..Buyer::default()
            },
            20,
            "dummy_email",
        ),
        (
            Buyer {
                email: Some("hanako@example.com"),
                ..Buyer::default()
            },
            20,
            "dummy_email",
        ),
    ];
    for (buyer, points, code) in cases {
        let s = score_with(CLEAN, *buyer);
        assert_eq!((s.score, codes(&s)), (*points, vec![*code]), "{buyer:?}");
    }
    // Plausible buyer data adds nothing.
    let s = score_with(
        CLEAN,
        Buyer {
            name: Some("黒猫 花子"),
            phone: Some("090-2468-1357"),
            email: Some("hanako@kuroneko-mail.jp"),
        },
    );
    assert_eq!(s.score, 0);
}

#[test]
fn velocity_alone_and_threshold() {
    let scorer = Scorer::new(&Config::default());
    let s = screener().check(CLEAN);
    let mut sc = scorer.score(&s, &Buyer::default());
    scorer.add_velocity(&mut sc, 2, 3);
    assert_eq!(sc.score, 0, "two names are below min_names 3");
    scorer.add_velocity(&mut sc, 3, 3);
    assert_eq!((sc.score, codes(&sc)), (30, vec!["velocity"]));
    assert!(sc.reasons[0].en.contains("3 different names"));
    scorer.add_velocity(&mut sc, 4, 3);
    assert_eq!(sc.score, 30, "counted once");
}

#[test]
fn typical_combinations() {
    // Past fraud's room, dummy phone and e-mail: capped at 100.
    let s = score_with(
        "東京都世田谷区三軒茶屋2-11-5 コーポ黒猫 201",
        Buyer {
            phone: Some("00-0000-0000"),
            email: Some("test@test.com"),
            ..Buyer::default()
        },
    );
    assert_eq!(s.score, 100);
    assert_eq!(s.level, RiskLevel::High);
    assert_eq!(
        codes(&s),
        vec!["fraud_danger", "dummy_phone", "dummy_email"]
    );
    assert_eq!(s.reasons.iter().map(|r| r.points).sum::<u32>(), 120);

    // Same block as a past fraud, held at a depot: 50 + 20 = 70, still medium.
    let s = score("大阪府大阪市北区梅田3-4-5 ヤマト運輸梅田営業所止め");
    assert_eq!(codes(&s), vec!["fraud_caution", "office_pickup"]);
    assert_eq!((s.score, s.level), (70, RiskLevel::Medium));

    // Near a past fraud, prefecture written twice: 20 + 15 = 35, medium.
    let s = score("東京都東京都世田谷区三軒茶屋2-12-5");
    assert_eq!(codes(&s), vec!["fraud_warning", "duplicated_prefecture"]);
    assert_eq!((s.score, s.level), (35, RiskLevel::Medium));

    // A listed warehouse with a customer number: 60, the ID not counted twice.
    let s = score("神奈川県大和市南林間1-8-17 サウスクラウドビル3F DANKEBOX PM402211");
    assert_eq!(codes(&s), vec!["forwarding_service"]);
    assert_eq!((s.score, s.level), (60, RiskLevel::Medium));
    assert!(s.reasons[0].en.contains("DANKEBOX"));

    // Warehouse + dummy name → high (60 + 15 = 75).
    let s = score_with(
        "神奈川県大和市南林間1-8-17",
        Buyer {
            name: Some("ああああ"),
            ..Buyer::default()
        },
    );
    assert_eq!((s.score, s.level), (75, RiskLevel::High));
}

#[test]
fn fraud_reason_names_the_record() {
    let s = score("東京都世田谷区三軒茶屋2-11-5-201");
    assert_eq!(codes(&s), vec!["fraud_danger"]);
    assert!(s.reasons[0].ja.contains("F1"), "{}", s.reasons[0].ja);
    assert!(s.reasons[0].en.contains("F1"));
}

#[test]
fn weights_and_thresholds_come_from_the_config() {
    let cfg = Config::from_toml_str(
        "[weights]\nfraud_caution = 75\noffice_pickup = 0\n[score]\nalert_threshold = 60\n",
    )
    .unwrap();
    let scorer = Scorer::new(&cfg);
    let s = screener().check("大阪府大阪市北区梅田3-4-5 ヤマト運輸梅田営業所止め");
    let sc = scorer.score(&s, &Buyer::default());
    assert_eq!(
        codes(&sc),
        vec!["fraud_caution"],
        "weight 0 turns a signal off"
    );
    assert_eq!((sc.score, sc.level, sc.alert), (75, RiskLevel::High, true));
    let s = screener().check("東京都世田谷区三軒茶屋2-13-5");
    let sc = scorer.score(&s, &Buyer::default());
    assert_eq!(
        (sc.score, sc.alert),
        (20, false),
        "below the raised threshold"
    );
}

#[test]
fn score_serializes_with_codes_and_sentences() {
    let s = score("東京都千代田区丸の内1-9-1 ヤマト運輸丸の内営業所止め");
    let v = serde_json::to_value(&s).unwrap();
    assert_eq!(v["score"], 20);
    assert_eq!(v["level"], "low");
    assert_eq!(v["alert"], true);
    assert_eq!(v["reasons"][0]["code"], "office_pickup");
    assert_eq!(v["reasons"][0]["points"], 20);
    assert!(v["reasons"][0]["ja"]
        .as_str()
        .unwrap()
        .contains("営業所止め"));
}

/// A screening graded without its matches (as bulk runs and Python's `check_many` grade),
/// scored, then given the records by `name_matches`, scores exactly as the full screening —
/// for every grade of both lists; before that, its list reasons name no record.
#[test]
fn named_matches_give_the_full_score() {
    let full = screener();
    let grades = full.grades_only();
    let scorer = Scorer::new(&Config::default());
    for input in [
        "東京都世田谷区三軒茶屋二丁目11番5号 コーポ黒猫 201",
        "東京都世田谷区三軒茶屋2-11-5 コーポ黒猫 305",
        "東京都世田谷区三軒茶屋2-13-5",
        "神奈川県大和市南林間1-8-17 DANKEBOX PM12345",
        "神奈川県大和市南林間1-9-3",
        CLEAN,
    ] {
        let want = scorer.score(&full.check(input), &Buyer::default());
        let graded = grades.check(input);
        let mut got = scorer.score(&graded, &Buyer::default());
        if !want.reasons.is_empty() && input != CLEAN {
            assert_ne!(got, want, "{input}: the grade-only score names no record");
        }
        let (fraud, forwarder) = full.screen_lists(graded.address.as_ref().unwrap());
        scorer.name_matches(&mut got, &fraud, &forwarder);
        assert_eq!(got, want, "{input}");
    }
}
