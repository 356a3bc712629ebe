//! Hand-written notation cases (issue 2, "Parsing" and "Anomaly flags"): one test per notation,
//! exact fields asserted. Places are real and public (city halls, stations, landmarks' towns);
//! people and buildings are fictional. Each test checks all its cases and reports every
//! mismatch at once.

use banchi::{Address, Anomaly, Level, ParseError, Parser};

/// Expected parts; `None` in a field means "must be absent", fields not set are not checked.
#[derive(Default, Clone)]
struct Exp {
    pref: Option<Option<&'static str>>,
    city: Option<Option<&'static str>>,
    town: Option<Option<&'static str>>,
    chome: Option<Option<u32>>,
    banchi: Option<Option<&'static str>>,
    go: Option<Option<&'static str>>,
    building: Option<Option<&'static str>>,
    floor: Option<Option<&'static str>>,
    room: Option<Option<&'static str>>,
    customer_id: Option<Option<&'static str>>,
    level: Option<Level>,
    has: Vec<Anomaly>,
    lacks: Vec<Anomaly>,
    no_anomalies: bool,
}

/// Prefecture, city, town, chome, banchi, go — all checked (`None` = absent).
fn at(
    pref: &'static str,
    city: &'static str,
    town: &'static str,
    chome: Option<u32>,
    banchi: &'static str,
    go: Option<&'static str>,
) -> Exp {
    Exp {
        pref: Some(Some(pref)),
        city: Some(Some(city)),
        town: Some(Some(town)),
        chome: Some(chome),
        banchi: Some(Some(banchi)),
        go: Some(go),
        ..Exp::default()
    }
}

impl Exp {
    /// Building, floor and room — all checked (`None` = absent).
    fn unit(
        mut self,
        building: Option<&'static str>,
        floor: Option<&'static str>,
        room: Option<&'static str>,
    ) -> Self {
        self.building = Some(building);
        self.floor = Some(floor);
        self.room = Some(room);
        self
    }
    /// No building, floor or room.
    fn bare(self) -> Self {
        self.unit(None, None, None)
    }
    fn customer(mut self, id: Option<&'static str>) -> Self {
        self.customer_id = Some(id);
        self
    }
    fn level(mut self, l: Level) -> Self {
        self.level = Some(l);
        self
    }
    fn has(mut self, a: Anomaly) -> Self {
        self.has.push(a);
        self
    }
    fn lacks(mut self, a: Anomaly) -> Self {
        self.lacks.push(a);
        self
    }
    fn clean(mut self) -> Self {
        self.no_anomalies = true;
        self
    }

    fn mismatches(&self, a: &Address) -> Vec<String> {
        let mut out = Vec::new();
        let mut cmp = |name: &str, want: Option<Option<String>>, got: Option<String>| {
            if let Some(w) = want {
                if w != got {
                    out.push(format!("{name}: want {w:?}, got {got:?}"));
                }
            }
        };
        let own = |o: Option<Option<&str>>| o.map(|x| x.map(str::to_owned));
        cmp("prefecture", own(self.pref), a.prefecture.clone());
        cmp("city", own(self.city), a.city.clone());
        cmp("town", own(self.town), a.town.clone());
        cmp(
            "chome",
            self.chome.map(|c| c.map(|n| n.to_string())),
            a.chome.map(|n| n.to_string()),
        );
        cmp("banchi", own(self.banchi), a.banchi.clone());
        cmp("go", own(self.go), a.go.clone());
        cmp("building", own(self.building), a.building.clone());
        cmp("floor", own(self.floor), a.floor.clone());
        cmp("room", own(self.room), a.room.clone());
        cmp("customer_id", own(self.customer_id), a.customer_id.clone());
        if let Some(l) = self.level {
            if a.level != l {
                out.push(format!("level: want {l}, got {}", a.level));
            }
        }
        for x in &self.has {
            if !a.has(*x) {
                out.push(format!("anomaly {x} missing (got {:?})", codes(a)));
            }
        }
        for x in &self.lacks {
            if a.has(*x) {
                out.push(format!("anomaly {x} raised"));
            }
        }
        if self.no_anomalies && !a.anomalies.is_empty() {
            out.push(format!("unexpected anomalies {:?}", codes(a)));
        }
        out
    }
}

fn codes(a: &Address) -> Vec<&'static str> {
    a.anomalies.iter().map(|x| x.code()).collect()
}

fn show(a: &Address) -> String {
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|bldg={:?}|floor={:?}|room={:?}|id={:?}|{}|{:?}",
        a.prefecture,
        a.city,
        a.town,
        a.chome,
        a.banchi,
        a.go,
        a.building,
        a.floor,
        a.room,
        a.customer_id,
        a.level,
        codes(a)
    )
}

/// Parses every case and fails once, listing every mismatch.
fn run(cases: &[(&str, Exp)]) {
    let parser = Parser::new();
    let mut failures = Vec::new();
    for (input, exp) in cases {
        match parser.parse(input) {
            Ok(a) => {
                let m = exp.mismatches(&a);
                if !m.is_empty() {
                    failures.push(format!(
                        "{input}\n    {}\n    got {}",
                        m.join("; "),
                        show(&a)
                    ));
                }
            }
            Err(e) => failures.push(format!("{input}\n    error: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases wrong:\n  {}",
        failures.len(),
        cases.len(),
        failures.join("\n  ")
    );
}

/// Every input must give the same delivery-point key.
fn same_key(inputs: &[&str]) {
    let parser = Parser::new();
    let keys: Vec<(String, &str)> = inputs
        .iter()
        .map(|i| {
            let k = match parser.parse(i) {
                Ok(a) => a.key,
                Err(e) => format!("error: {e}"),
            };
            (k, *i)
        })
        .collect();
    let first = &keys[0].0;
    let odd: Vec<String> = keys
        .iter()
        .filter(|(k, _)| k != first)
        .map(|(k, i)| format!("{i} → {k}"))
        .collect();
    assert!(
        odd.is_empty() && !first.starts_with("error"),
        "key of {} is {first}, but:\n  {}",
        keys[0].1,
        odd.join("\n  ")
    );
}

const TOKYO: &str = "東京都";
const GINZA_CITY: &str = "中央区";

fn ginza() -> Exp {
    at(TOKYO, GINZA_CITY, "銀座", Some(4), "6", Some("16"))
}

fn samukawa() -> Exp {
    at("神奈川県", "高座郡寒川町", "宮山", None, "3916", Some("2"))
}

// --- block numbers ---------------------------------------------------------------------------

#[test]
fn block_1_2_3() {
    run(&[
        (
            "東京都中央区銀座4-6-16",
            ginza().bare().clean().level(Level::Block),
        ),
        (
            "東京都千代田区永田町1-7-1",
            at(TOKYO, "千代田区", "永田町", Some(1), "7", Some("1")).bare(),
        ),
        ("神奈川県高座郡寒川町宮山3916-2", samukawa().bare().clean()),
        (
            "東京都中央区銀座4-6",
            at(TOKYO, GINZA_CITY, "銀座", Some(4), "6", None).bare(),
        ),
    ]);
}

#[test]
fn block_chome_ban_go() {
    run(&[
        ("東京都中央区銀座4丁目6番16号", ginza().bare().clean()),
        (
            "東京都千代田区永田町1丁目7番1号",
            at(TOKYO, "千代田区", "永田町", Some(1), "7", Some("1")).bare(),
        ),
        ("東京都中央区銀座4丁目6-16", ginza().bare()),
        ("東京都中央区銀座四丁目6-16", ginza().bare()),
        (
            "東京都中央区銀座4丁目6番",
            at(TOKYO, GINZA_CITY, "銀座", Some(4), "6", None).bare(),
        ),
    ]);
}

#[test]
fn block_banchi_2() {
    run(&[
        (
            "神奈川県高座郡寒川町宮山3916番地2",
            samukawa().bare().clean(),
        ),
        ("東京都中央区銀座4丁目6番地16", ginza().bare()),
        (
            "神奈川県高座郡寒川町宮山3916番地",
            at("神奈川県", "高座郡寒川町", "宮山", None, "3916", None).bare(),
        ),
    ]);
}

#[test]
fn block_banchi_no_2() {
    run(&[
        (
            "神奈川県高座郡寒川町宮山3916番地の2",
            samukawa().bare().clean(),
        ),
        ("神奈川県高座郡寒川町宮山3916番地ノ2", samukawa().bare()),
        ("東京都中央区銀座4丁目6番地の16", ginza().bare()),
    ]);
}

#[test]
fn block_1_no_2_no_3() {
    run(&[
        ("東京都中央区銀座4の6の16", ginza().bare()),
        ("東京都中央区銀座4ノ6ノ16", ginza().bare()),
        ("神奈川県高座郡寒川町宮山3916の2", samukawa().bare()),
    ]);
}

#[test]
fn block_kanji_numerals() {
    run(&[
        ("東京都中央区銀座四丁目六番十六号", ginza().bare()),
        ("東京都中央区銀座四丁目六番一六号", ginza().bare()),
        ("神奈川県高座郡寒川町宮山三九一六番地二", samukawa().bare()),
        (
            "神奈川県高座郡寒川町宮山三千九百十六番地の二",
            samukawa().bare(),
        ),
        (
            "東京都千代田区永田町一丁目七番一号",
            at(TOKYO, "千代田区", "永田町", Some(1), "7", Some("1")).bare(),
        ),
        (
            "東京都中央区銀座四丁目二十三番地",
            at(TOKYO, GINZA_CITY, "銀座", Some(4), "23", None).bare(),
        ),
        (
            "東京都中央区銀座四丁目六番地十",
            at(TOKYO, GINZA_CITY, "銀座", Some(4), "6", Some("10")).bare(),
        ),
    ]);
}

#[test]
fn widths_hyphens_and_spaces() {
    let mut cases = vec![
        ("東京都中央区銀座４－６－１６".to_owned(), ginza().bare()),
        (
            "東京都中央区銀座４丁目６番１６号".to_owned(),
            ginza().bare(),
        ),
        (
            "東京都　中央区　銀座４丁目　６番　１６号".to_owned(),
            ginza().bare(),
        ),
        (" 東京都 中央区 銀座 4-6-16 ".to_owned(), ginza().bare()),
        ("東京都中央区銀座4 - 6 - 16".to_owned(), ginza().bare()),
    ];
    for h in [
        '-', '－', '‐', '−', '‒', '–', '—', '─', '━', '―', 'ー', 'ｰ', '一',
    ] {
        cases.push((format!("東京都中央区銀座4{h}6{h}16"), ginza().bare()));
    }
    let cases: Vec<(&str, Exp)> = cases.iter().map(|(i, e)| (i.as_str(), e.clone())).collect();
    run(&cases);
}

// --- town spellings ---------------------------------------------------------------------------

#[test]
fn old_kanji_and_kana_variants() {
    let kasumigaseki = || at(TOKYO, "千代田区", "霞が関", Some(1), "3", Some("1")).bare();
    run(&[
        (
            "東京都世田谷区北澤2-1-1",
            at(TOKYO, "世田谷区", "北沢", Some(2), "1", Some("1")).bare(),
        ),
        ("東京都千代田区霞ヶ関1-3-1", kasumigaseki()),
        ("東京都千代田区霞ケ関1-3-1", kasumigaseki()),
        ("東京都千代田区霞が関1-3-1", kasumigaseki()),
        (
            "北海道札幌市中央区北3條西1丁目2-3",
            at(
                "北海道",
                "札幌市中央区",
                "北三条西",
                Some(1),
                "2",
                Some("3"),
            )
            .bare(),
        ),
        (
            "神奈川縣川﨑市川﨑区宮本町1",
            at("神奈川県", "川崎市川崎区", "宮本町", None, "1", None).bare(),
        ),
    ]);
}

#[test]
fn oaza_and_county_optional() {
    run(&[
        ("神奈川県高座郡寒川町大字宮山3916-2", samukawa().bare()),
        ("神奈川県寒川町宮山3916-2", samukawa().bare()),
        ("神奈川県寒川町大字宮山3916番地2", samukawa().bare()),
    ]);
}

// --- buildings, floors, rooms -------------------------------------------------------------------

#[test]
fn buildings_with_digits_and_roman_numerals() {
    run(&[
        (
            "東京都中央区銀座4-6-16 第2サンハイツ 301号室",
            ginza().unit(Some("第2サンハイツ"), None, Some("301")),
        ),
        (
            "東京都中央区銀座4-6-16 第２サンハイツ３０１号室",
            ginza().unit(Some("第2サンハイツ"), None, Some("301")),
        ),
        (
            "東京都中央区銀座4-6-16 メゾン21 203号室",
            ginza().unit(Some("メゾン21"), None, Some("203")),
        ),
        (
            "東京都中央区銀座4-6-16 メゾン21",
            ginza().unit(Some("メゾン21"), None, None),
        ),
        (
            "東京都中央区銀座4-6-16 ハイツII 101号室",
            ginza().unit(Some("ハイツII"), None, Some("101")),
        ),
        (
            "東京都中央区銀座4-6-16 ハイツⅡ 101号室",
            ginza().unit(Some("ハイツII"), None, Some("101")),
        ),
        (
            "東京都中央区銀座4-6-16 アーバンコートⅢ",
            ginza().unit(Some("アーバンコートIII"), None, None),
        ),
        (
            "東京都中央区銀座4-6-16 コーポ一番館 102",
            ginza().unit(Some("コーポ一番館"), None, Some("102")),
        ),
        (
            "東京都中央区銀座4丁目6番16号ロイヤルメゾン5番館",
            ginza().unit(Some("ロイヤルメゾン5番館"), None, None),
        ),
        (
            "東京都中央区銀座4-6-16 ｻﾝﾊｲﾂ 301",
            ginza().unit(Some("サンハイツ"), None, Some("301")),
        ),
        (
            "東京都中央区銀座4-6-16 黑猫荘",
            // Issue 25: a building is shown as written (黑, not the modern 黒).
            ginza().unit(Some("黑猫荘"), None, None),
        ),
    ]);
}

#[test]
fn floors() {
    run(&[
        (
            "東京都中央区銀座4-6-16 銀座ビル3F",
            ginza().unit(Some("銀座ビル"), Some("3"), None),
        ),
        (
            "東京都中央区銀座4-6-16 銀座ビル 3階",
            ginza().unit(Some("銀座ビル"), Some("3"), None),
        ),
        (
            "東京都中央区銀座4-6-16 銀座ビル B1",
            ginza().unit(Some("銀座ビル"), Some("B1"), None),
        ),
        (
            "東京都中央区銀座4-6-16 銀座ビルB1F",
            ginza().unit(Some("銀座ビル"), Some("B1"), None),
        ),
        (
            "東京都中央区銀座4-6-16 銀座ビル地下1階",
            ginza().unit(Some("銀座ビル"), Some("B1"), None),
        ),
        (
            "東京都中央区銀座4-6-16 銀座ビル１２Ｆ",
            ginza().unit(Some("銀座ビル"), Some("12"), None),
        ),
        (
            "東京都中央区銀座4-6-16 サンハイツ 3F 301号室",
            ginza().unit(Some("サンハイツ"), Some("3"), Some("301")),
        ),
        (
            "東京都中央区銀座4-6-16 サンハイツ3階301号室",
            ginza().unit(Some("サンハイツ"), Some("3"), Some("301")),
        ),
        (
            "東京都中央区銀座4-6-16 3F",
            ginza().unit(None, Some("3"), None).level(Level::Unit),
        ),
    ]);
}

#[test]
fn rooms() {
    run(&[
        (
            "東京都中央区銀座4-6-16 サンハイツ101号室",
            ginza()
                .unit(Some("サンハイツ"), None, Some("101"))
                .level(Level::Unit),
        ),
        (
            "東京都中央区銀座4-6-16 サンハイツ #101",
            ginza().unit(Some("サンハイツ"), None, Some("101")),
        ),
        (
            "東京都中央区銀座4-6-16 サンハイツ＃１０１",
            ginza().unit(Some("サンハイツ"), None, Some("101")),
        ),
        (
            "東京都中央区銀座4-6-16 サンハイツ 101",
            ginza().unit(Some("サンハイツ"), None, Some("101")),
        ),
        (
            "東京都中央区銀座4-6-16-101",
            ginza().unit(None, None, Some("101")).level(Level::Unit),
        ),
        (
            "東京都中央区銀座４－６－１６－１２０５",
            ginza().unit(None, None, Some("1205")),
        ),
        (
            "東京都中央区銀座4-6-16 101号室",
            ginza().unit(None, None, Some("101")),
        ),
    ]);
}

// --- regional notations -------------------------------------------------------------------------

#[test]
fn hokkaido_jo_chome() {
    let sapporo = || {
        at(
            "北海道",
            "札幌市中央区",
            "北三条西",
            Some(1),
            "2",
            Some("3"),
        )
        .bare()
    };
    run(&[
        ("北海道札幌市中央区北3条西1丁目2-3", sapporo()),
        ("北海道札幌市中央区北三条西一丁目二番三号", sapporo()),
        ("北海道札幌市中央区北3条西1-2-3", sapporo()),
        ("北海道札幌市中央区北3西1-2-3", sapporo()),
        ("北海道札幌市中央区北3西1丁目2-3", sapporo()),
        (
            "北海道札幌市中央区北1条西2丁目1",
            at("北海道", "札幌市中央区", "北一条西", Some(2), "1", None).bare(),
        ),
    ]);
}

#[test]
fn kyoto_street_addresses() {
    let kyoto = || at("京都府", "京都市中京区", "上本能寺前町", None, "488", None).bare();
    run(&[
        ("京都府京都市中京区寺町通御池上る上本能寺前町488", kyoto()),
        (
            "京都府京都市中京区寺町通御池上ル上本能寺前町488番地",
            kyoto(),
        ),
        ("京都市中京区寺町通御池上る上本能寺前町488", kyoto()),
        ("京都府京都市中京区上本能寺前町488", kyoto()),
        ("京都府京都市中京区上本能寺前町寺町通御池上る488", kyoto()),
        (
            "京都府京都市下京区烏丸通塩小路下る東塩小路町721-1",
            at(
                "京都府",
                "京都市下京区",
                "東塩小路町",
                None,
                "721",
                Some("1"),
            )
            .bare(),
        ),
        (
            "京都府京都市中京区二条通堀川西入二条城町541",
            at("京都府", "京都市中京区", "二条城町", None, "541", None).bare(),
        ),
        // The street after the town, its name holding a kanji numeral (二条, 六角).
        (
            "京都府京都市中京区二条城町二条通堀川西入541",
            at("京都府", "京都市中京区", "二条城町", None, "541", None).bare(),
        ),
        (
            "京都府京都市中京区上本能寺前町六角通寺町西入る488-2",
            at(
                "京都府",
                "京都市中京区",
                "上本能寺前町",
                None,
                "488",
                Some("2"),
            )
            .bare(),
        ),
    ]);
}

// --- what is left out or unknown ----------------------------------------------------------------

#[test]
fn unknown_town_keeps_its_text() {
    run(&[
        (
            "東京都世田谷区黒猫1-1-1-101ハイツ黒猫",
            Exp {
                pref: Some(Some(TOKYO)),
                city: Some(Some("世田谷区")),
                town: Some(Some("黒猫")),
                ..Exp::default()
            }
            .level(Level::City)
            .has(Anomaly::UnknownTown),
        ),
        (
            "神奈川県高座郡寒川町ねこやしき12-3",
            Exp {
                pref: Some(Some("神奈川県")),
                city: Some(Some("高座郡寒川町")),
                town: Some(Some("ねこやしき")),
                ..Exp::default()
            }
            .level(Level::City)
            .has(Anomaly::UnknownTown),
        ),
    ]);
}

#[test]
fn prefecture_left_out_resolves_when_unique() {
    run(&[
        ("高座郡寒川町宮山3916-2", samukawa().bare()),
        ("寒川町宮山3916-2", samukawa().bare()),
        (
            "札幌市中央区北1条西2丁目1",
            at("北海道", "札幌市中央区", "北一条西", Some(2), "1", None).bare(),
        ),
        (
            "千代田区永田町1-7-1",
            at(TOKYO, "千代田区", "永田町", Some(1), "7", Some("1")).bare(),
        ),
        // Two 府中市 (Tokyo, Hiroshima), but only Tokyo's has 宮西町.
        (
            "府中市宮西町2-24",
            at(TOKYO, "府中市", "宮西町", Some(2), "24", None)
                .bare()
                .lacks(Anomaly::Ambiguous),
        ),
    ]);
}

#[test]
fn city_left_out_resolves_when_unique() {
    run(&[
        ("東京都銀座4-6-16", ginza().bare()),
        (
            "東京都霞が関1-3-1",
            at(TOKYO, "千代田区", "霞が関", Some(1), "3", Some("1")).bare(),
        ),
        // A pre-merger town name kept in the town (たつの市新宮町新宮): the written prefecture
        // rules out 福岡県糟屋郡新宮町.
        (
            "兵庫県新宮町新宮12-6",
            at("兵庫県", "たつの市", "新宮町新宮", None, "12", Some("6"))
                .bare()
                .lacks(Anomaly::PrefectureMismatch),
        ),
    ]);
}

#[test]
fn ambiguous_municipality_says_so() {
    // Tokyo's and Hiroshima's 府中市 both hold a 府中町; 伊達市 is in Hokkaido and Fukushima.
    let parser = Parser::new();
    let mut failures = Vec::new();
    for input in ["府中市", "府中市府中町", "伊達市"] {
        match parser.parse(input) {
            Ok(a) if a.has(Anomaly::Ambiguous) => {}
            Ok(a) => failures.push(format!("{input}: no ambiguous anomaly: {}", show(&a))),
            Err(e) => failures.push(format!("{input}: error {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// --- anomalies ----------------------------------------------------------------------------------

#[test]
fn duplicated_prefecture() {
    run(&[
        (
            "東京都世田谷区東京都黒猫1-1-1-101ハイツ黒猫",
            Exp {
                pref: Some(Some(TOKYO)),
                city: Some(Some("世田谷区")),
                town: Some(Some("黒猫")),
                room: Some(Some("101")),
                building: Some(Some("ハイツ黒猫")),
                ..Exp::default()
            }
            .has(Anomaly::DuplicatedPrefecture)
            .has(Anomaly::UnknownTown),
        ),
        (
            "東京都東京都中央区銀座4-6-16",
            ginza().bare().has(Anomaly::DuplicatedPrefecture),
        ),
        (
            "東京都中央区東京都銀座4-6-16",
            ginza().bare().has(Anomaly::DuplicatedPrefecture),
        ),
    ]);
}

#[test]
fn duplicated_city() {
    run(&[
        (
            "東京都世田谷区世田谷区世田谷4-21-27",
            at(TOKYO, "世田谷区", "世田谷", Some(4), "21", Some("27"))
                .bare()
                .has(Anomaly::DuplicatedCity),
        ),
        (
            "神奈川県高座郡寒川町高座郡寒川町宮山3916-2",
            samukawa().bare().has(Anomaly::DuplicatedCity),
        ),
        (
            "神奈川県高座郡寒川町寒川町宮山3916-2",
            samukawa().bare().has(Anomaly::DuplicatedCity),
        ),
    ]);
}

#[test]
fn real_names_are_not_duplications() {
    let dup = |e: Exp| {
        e.lacks(Anomaly::DuplicatedPrefecture)
            .lacks(Anomaly::DuplicatedCity)
    };
    run(&[
        (
            "長野県長野市南長野県町",
            dup(Exp {
                pref: Some(Some("長野県")),
                city: Some(Some("長野市")),
                town: Some(Some("南長野")),
                ..Exp::default()
            }),
        ),
        (
            "長野県長野市南長野県町487",
            dup(Exp {
                pref: Some(Some("長野県")),
                city: Some(Some("長野市")),
                town: Some(Some("南長野")),
                banchi: Some(Some("487")),
                ..Exp::default()
            }),
        ),
        (
            "京都府京都市下京区烏丸通塩小路下る東塩小路町721-1",
            dup(at(
                "京都府",
                "京都市下京区",
                "東塩小路町",
                None,
                "721",
                Some("1"),
            )),
        ),
        (
            "大阪府大阪市中央区大阪城1-1",
            dup(at("大阪府", "大阪市中央区", "大阪城", None, "1", Some("1"))),
        ),
    ]);
}

#[test]
fn missing_block_number() {
    run(&[
        (
            "東京都中央区銀座4丁目",
            Exp {
                town: Some(Some("銀座")),
                chome: Some(Some(4)),
                banchi: Some(None),
                ..Exp::default()
            }
            .level(Level::Town)
            .has(Anomaly::MissingBlockNumber),
        ),
        (
            "神奈川県高座郡寒川町宮山",
            Exp {
                town: Some(Some("宮山")),
                banchi: Some(None),
                ..Exp::default()
            }
            .level(Level::Town)
            .has(Anomaly::MissingBlockNumber),
        ),
        (
            "東京都中央区銀座4-6-16",
            ginza().lacks(Anomaly::MissingBlockNumber),
        ),
    ]);
}

#[test]
fn trailing_customer_id() {
    run(&[
        (
            "東京都中央区銀座4-6-16 サンハイツ301 PM12345",
            ginza()
                .unit(Some("サンハイツ"), None, Some("301"))
                .customer(Some("PM12345"))
                .has(Anomaly::TrailingCustomerId),
        ),
        (
            "東京都中央区銀座4-6-16 サンハイツ 301号室 LYF2266455",
            ginza()
                .unit(Some("サンハイツ"), None, Some("301"))
                .customer(Some("LYF2266455"))
                .has(Anomaly::TrailingCustomerId),
        ),
        (
            "東京都中央区銀座４－６－１６　ＰＭ１２３４５",
            ginza()
                .bare()
                .customer(Some("PM12345"))
                .has(Anomaly::TrailingCustomerId),
        ),
        (
            "東京都中央区銀座4-6-16 サンハイツ301",
            ginza().customer(None).lacks(Anomaly::TrailingCustomerId),
        ),
    ]);
}

// --- one delivery point, one key ----------------------------------------------------------------

#[test]
fn one_key_per_delivery_point() {
    same_key(&[
        "東京都中央区銀座4-6-16",
        "東京都中央区銀座4丁目6番16号",
        "東京都中央区銀座四丁目六番十六号",
        "東京都中央区銀座４－６－１６",
        "東京都　中央区　銀座４丁目６－１６",
        "東京都中央区銀座4の6の16",
        "東京都中央区銀座4ー6ー16",
        "東京都中央区銀座4丁目6番地16",
        "東京都中央区銀座4丁目6番地の16",
        "東京都東京都中央区銀座4-6-16",
        "東京都銀座4-6-16",
        "〒104-0061 東京都中央区銀座4-6-16",
        "東京都中央区銀座4-6-16 銀座ビル",
    ]);
    same_key(&[
        "東京都中央区銀座4-6-16-301",
        "東京都中央区銀座4-6-16 サンハイツ301号室",
        "東京都中央区銀座4-6-16 サンハイツ #301",
        "東京都中央区銀座4丁目6番16号 ｻﾝﾊｲﾂ 301",
        "東京都中央区銀座４－６－１６　サンハイツ　３０１号室",
        "東京都中央区銀座四丁目六番十六号 サンハイツ 301",
    ]);
    same_key(&[
        "北海道札幌市中央区北3条西1丁目2-3",
        "北海道札幌市中央区北三条西一丁目二番三号",
        "札幌市中央区北3条西1-2-3",
        "北海道札幌市中央区北3西1-2-3",
        "北海道札幌市中央区北3條西1丁目2番3号",
    ]);
    same_key(&[
        "神奈川県高座郡寒川町宮山3916番地2",
        "神奈川県寒川町宮山3916-2",
        "神奈川県高座郡寒川町大字宮山3916番地の2",
        "寒川町宮山3916の2",
        "神奈川県高座郡寒川町宮山三九一六番地二",
    ]);
    same_key(&[
        "京都府京都市中京区寺町通御池上る上本能寺前町488",
        "京都府京都市中京区上本能寺前町488",
        "京都市中京区寺町通御池上ル上本能寺前町488番地",
    ]);
    // Japan Post lists 昭和八丁目 as a town of its own, Geolonia 昭和 with chome 8: one place.
    same_key(&[
        "秋田県潟上市昭和8-52-24",
        "秋田県潟上市昭和8丁目52-24",
        "秋田県潟上市昭和八丁目52番24号",
    ]);
    // Different rooms, different keys.
    let p = Parser::new();
    let a = p.parse("東京都中央区銀座4-6-16-301").map(|a| a.key);
    let b = p.parse("東京都中央区銀座4-6-16-302").map(|a| a.key);
    assert!(a.is_ok() && a != b, "{a:?} vs {b:?}");
}

// --- bad input ----------------------------------------------------------------------------------

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let p = Parser::new();
    assert_eq!(p.parse(""), Err(ParseError::Empty));
    for blank in [" ", "　", " \t\n　 ", "\u{200B}", "\u{0}\u{1}\u{7f}"] {
        assert!(p.parse(blank).is_err(), "{blank:?} → {:?}", p.parse(blank));
    }
    let long = "東京都中央区銀座4-6-16 ".repeat(100_000 / 30 + 1);
    assert!(long.len() >= 100_000);
    assert!(matches!(p.parse(&long), Err(ParseError::TooLong { .. })));
    let long_ascii = "a".repeat(100 * 1024);
    assert!(p.parse(&long_ascii).is_err());
    for text in [
        "Hello, world",
        "1600 Pennsylvania Avenue NW, Washington, DC",
        "서울특별시 중구 세종대로 110",
        "北京市东城区东长安街",
        "🏠🏠🏠",
        "12345",
        "----",
        "#101",
    ] {
        assert!(p.parse(text).is_err(), "{text:?} → {:?}", p.parse(text));
    }
}

#[test]
fn control_characters_are_dropped() {
    run(&[
        ("東京都中央区銀座\u{0}4-6-16", ginza().bare()),
        ("東京都\t中央区\r\n銀座4-6-16", ginza().bare()),
        ("\u{FEFF}東京都中央区銀座4-6-16\u{200B}", ginza().bare()),
        ("東京都中央区銀座4-6-16\u{7}\u{1b}", ginza().bare()),
    ]);
}

#[test]
fn arbitrary_text_never_panics() {
    // A deterministic stream of strings mixing address parts, digits, hyphens, kana, controls
    // and stray bytes of every script.
    let parts = [
        "東京都",
        "中央区",
        "銀座",
        "4",
        "-",
        "丁目",
        "番地",
        "の",
        "号",
        "F",
        "階",
        "B",
        "#",
        "101",
        "号室",
        "ｰ",
        "一",
        "十",
        "〇",
        "ﾊｲﾂ",
        "Ⅱ",
        " ",
        "　",
        "\u{0}",
        "\u{301}",
        "〒",
        "京都市",
        "上る",
        "北3西1",
        "条",
        "PM12345",
        "𠮷",
        "\u{FFFD}",
        "札幌市",
        "郡",
        "大字",
        "第",
        "(",
        ")",
        "（",
        "県",
        "府",
        "道",
    ];
    let p = Parser::new();
    let mut x: u64 = 0x1234_5678;
    for _ in 0..5_000 {
        let mut s = String::new();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let n = (x % 24) as usize;
        for _ in 0..n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            s.push_str(parts[(x % parts.len() as u64) as usize]);
        }
        let r = std::panic::catch_unwind(|| p.parse(&s));
        assert!(r.is_ok(), "panic on {s:?}");
    }
}
