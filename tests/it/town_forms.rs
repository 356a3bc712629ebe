//! Town forms the gazetteer spells differently and one reading of block numbers (issue 10,
//! items 2 and 4): each case asserts the parts a real address must come out with, and
//! notations of one address must give one key. Places are real (public business addresses
//! from Japan Post's list where noted); block numbers are illustrative.

use banchi::{Address, Anomaly, Level, Parser};

fn parse(text: &str) -> Address {
    match Parser::new().parse(text) {
        Ok(a) => a,
        Err(e) => panic!("{text}: {e}"),
    }
}

/// (town, chome, banchi, go, level) of a parse.
fn parts(a: &Address) -> (Option<&str>, Option<u32>, Option<&str>, Option<&str>, Level) {
    (
        a.town.as_deref(),
        a.chome,
        a.banchi.as_deref(),
        a.go.as_deref(),
        a.level,
    )
}

/// All notations give the first one's key, and that key is not empty of a block.
fn same_key(notations: &[&str]) {
    let first = parse(notations[0]);
    assert!(first.banchi.is_some(), "{}: no banchi", notations[0]);
    for text in &notations[1..] {
        assert_eq!(parse(text).key, first.key, "{text} vs {}", notations[0]);
    }
}

#[test]
fn inner_oaza_of_a_former_town_resolves_to_the_gazetteer_town() {
    // Merged municipalities: 旧町名 + 大字 + 大字名, the gazetteer has 旧町名 + 大字名.
    for (text, town, banchi) in [
        ("佐賀県唐津市鎮西町大字名護屋1234", "鎮西町名護屋", "1234"),
        ("佐賀県佐賀市川副町大字鹿江623-1", "川副町鹿江", "623"),
        ("広島県福山市新市町大字新市1061-1", "新市町新市", "1061"),
    ] {
        let a = parse(text);
        assert_eq!(
            (a.town.as_deref(), a.banchi.as_deref(), a.level),
            (Some(town), Some(banchi), Level::Block),
            "{text}"
        );
        assert!(a.anomalies.is_empty(), "{text}: {:?}", a.anomalies);
    }
    same_key(&[
        "佐賀県唐津市鎮西町大字名護屋1234",
        "佐賀県唐津市鎮西町名護屋1234",
        "佐賀県唐津市鎮西町名護屋1234番地",
    ]);
}

#[test]
fn koaza_after_a_town_stays_out_of_the_key() {
    same_key(&[
        "兵庫県豊岡市上陰216番地",
        "兵庫県豊岡市上陰字ウチダ216番地",
        "兵庫県豊岡市上陰 字ウチダ 216番地",
    ]);
    same_key(&[
        "愛知県名古屋市名東区猪高町大字上社字井堀25-1",
        "愛知県名古屋市名東区猪高町上社25-1",
    ]);
}

#[test]
fn municipality_followed_by_its_block_number() {
    // 南箕輪村's addresses have no town name; the gazetteer lists several towns for it.
    let a = parse("長野県上伊那郡南箕輪村3884番地1");
    assert_eq!(
        parts(&a),
        (None, None, Some("3884"), Some("1"), Level::City)
    );
    assert!(a.has(Anomaly::MissingTown), "{:?}", a.anomalies);
    assert!(!a.has(Anomaly::UnknownTown), "{:?}", a.anomalies);
    // Still one key for one text, and notations agree.
    same_key(&[
        "長野県上伊那郡南箕輪村3884番地1",
        "長野県上伊那郡南箕輪村3884-1",
        "長野県上伊那郡南箕輪村三千八百八十四番地一",
    ]);
    // A town named in the text is no missing town.
    let a = parse("長野県上伊那郡南箕輪村久保3884");
    assert!(!a.has(Anomaly::MissingTown), "{:?}", a.anomalies);
}

#[test]
fn sub_area_letters_lead_the_banchi() {
    for (text, town, banchi, go) in [
        ("石川県加賀市大聖寺永町イ-17", "大聖寺永町", "イ17", None),
        ("石川県七尾市藤橋町酉部22-3", "藤橋町", "酉22", Some("3")),
        ("島根県益田市乙吉町イ103-1", "乙吉町", "イ103", Some("1")),
        (
            "石川県加賀市山中温泉本町二丁目ソ22番地",
            "山中温泉本町",
            "ソ22",
            None,
        ),
    ] {
        let a = parse(text);
        assert_eq!(
            (
                a.town.as_deref(),
                a.banchi.as_deref(),
                a.go.as_deref(),
                a.level
            ),
            (Some(town), Some(banchi), go, Level::Block),
            "{text}"
        );
    }
    same_key(&[
        "石川県加賀市大聖寺永町イ-17",
        "石川県加賀市大聖寺永町イ17",
        "石川県加賀市大聖寺永町イ17番地",
    ]);
    // Different letters are different lots.
    assert_ne!(
        parse("石川県加賀市大聖寺永町イ17").key,
        parse("石川県加賀市大聖寺永町ロ17").key
    );
}

#[test]
fn land_without_a_number() {
    for text in ["北海道千歳市平和無番地", "千葉県四街道市鹿渡無番地"] {
        let a = parse(text);
        assert_eq!(a.banchi.as_deref(), Some("無番地"), "{text}");
        assert_eq!(a.level, Level::Block, "{text}");
    }
    let a = parse("北海道常呂郡佐呂間町字富武士番外地");
    assert_eq!(
        (a.town.as_deref(), a.banchi.as_deref()),
        (Some("富武士"), Some("番外地"))
    );
    // Straight after a municipality with several towns: no town taken from the words.
    let a = parse("神奈川県綾瀬市無番地");
    assert_eq!(
        (a.town.as_deref(), a.banchi.as_deref(), a.level),
        (None, Some("無番地"), Level::City)
    );
    assert_eq!(a.anomalies, [Anomaly::MissingTown]);
}

#[test]
fn chiwari_and_sapporo_forms() {
    same_key(&[
        "岩手県盛岡市三本柳6地割1-1",
        "岩手県盛岡市三本柳 6 地割 1-1",
        "岩手県盛岡市三本柳第6地割1番1",
    ]);
    let a = parse("北海道札幌市白石区北郷1-2-3-4");
    assert_eq!(
        parts(&a),
        (
            Some("北郷一条"),
            Some(2),
            Some("3"),
            Some("4"),
            Level::Block
        )
    );
    same_key(&[
        "北海道札幌市白石区北郷1-2-3-4",
        "北海道札幌市白石区北郷1条2丁目3番4号",
    ]);
    let a = parse("北海道札幌市中央区南9西3");
    assert_eq!((a.town.as_deref(), a.chome), (Some("南九条西"), Some(3)));
}

#[test]
fn spaced_forms_read_like_compact_ones() {
    same_key(&["東京都港区六本木一丁目 3 番 7 号", "東京都港区六本木1-3-7"]);
    same_key(&["富山県富山市塚原 23 番の1", "富山県富山市塚原23-1"]);
    same_key(&[
        "大阪府堺市堺区老松町 3 丁77番地",
        "大阪府堺市堺区老松町3丁目77番地",
    ]);
    // A floor set apart is a floor, not a room.
    let a = parse("東京都港区高輪1-4-10 8 F");
    assert_eq!((a.floor.as_deref(), a.room.as_deref()), (Some("8"), None));
}

#[test]
fn sakai_cho_towns_give_one_key() {
    same_key(&[
        "大阪府堺市堺区北向陽町二丁1-25",
        "大阪府堺市堺区北向陽町2丁目1-25",
        "大阪府堺市堺区北向陽町2丁1番25号",
    ]);
}

#[test]
fn one_town_one_reading() {
    // 野々下 (流山市) has chome: 1-355, 1番地355 and 一番地三百五十五 are its 1丁目355.
    same_key(&[
        "千葉県流山市野々下1-355",
        "千葉県流山市野々下1番地355",
        "千葉県流山市野々下一番地三百五十五",
        "千葉県流山市野々下1丁目355",
    ]);
    let a = parse("千葉県流山市野々下1-355");
    assert_eq!(a.chome, Some(1));
    // Above the town's last chome the first number is a banchi.
    let a = parse("東京都北区滝野川33-24");
    assert_eq!(
        (a.chome, a.banchi.as_deref(), a.go.as_deref()),
        (None, Some("33"), Some("24"))
    );
    same_key(&[
        "福島県会津若松市扇町128-7",
        "福島県会津若松市扇町128番地7",
        "福島県会津若松市扇町百二十八番地七",
    ]);
}

#[test]
fn names_after_the_go_are_not_rooms() {
    // Kanji numerals of a building name are folded to digits: 十八銀行, 第一生命, 千葉.
    for text in [
        "福岡県北九州市小倉北区堺町1丁目2番16号十八銀行ビル4F",
        "北海道函館市本町6番7号第一生命ビル",
        "千葉県千葉市中央区問屋町1番35号千葉ポートサイドタワー20階",
    ] {
        let a = parse(text);
        assert_eq!(a.room, None, "{text}");
        assert!(a.go.as_deref().is_some_and(|g| !g.contains('-')), "{text}");
    }
}
