//! Kanji numerals → Arabic digits, both counted (二十三, 千二百三十四) and positional
//! (一四〇六), for the matching form of an address; and where a numeral run written after a
//! block number stops being a number because a name begins (`三番地十三千葉TNビル`: 千 is
//! 千葉's, `8番11号三井生命ビル`: 三 is 三井's).

/// A digit kanji's value, `〇` to `九`.
pub fn digit_value(c: char) -> Option<u64> {
    Some(match c {
        '〇' | '零' => 0,
        '一' | '壱' => 1,
        '二' | '弐' => 2,
        '三' | '参' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// A unit kanji's multiplier, `十` `百` `千` `万`.
pub fn unit_value(c: char) -> Option<u64> {
    Some(match c {
        '十' | '拾' => 10,
        '百' => 100,
        '千' => 1000,
        '万' => 10_000,
        _ => return None,
    })
}

/// True for any character that can be part of a kanji numeral.
pub fn is_kanji_numeral(c: char) -> bool {
    digit_value(c).is_some() || unit_value(c).is_some()
}

/// The value of a run of kanji numerals, or `None` when the run is not a number that fits in a
/// `u64` (then the caller keeps the text as it is).
///
/// Runs without a unit kanji are positional (`一四〇六` = 1406); runs with one are counted
/// (`二十三` = 23), and digits that follow each other inside a counted run are read
/// positionally (`千二三四` = 1234), as people write them.
pub fn value(run: &str) -> Option<u64> {
    let mut total: u64 = 0; // completed 万 groups
    let mut section: u64 = 0; // below 万
    let mut current: u64 = 0; // digits read since the last unit
    let mut have_current = false;
    let mut any = false;
    for c in run.chars() {
        if let Some(d) = digit_value(c) {
            current = current.checked_mul(10)?.checked_add(d)?;
            have_current = true;
        } else if let Some(u) = unit_value(c) {
            if u == 10_000 {
                // (section + digits) 万, or 万 alone = 1万.
                let group = match (have_current, section) {
                    (true, _) => section.checked_add(current)?,
                    (false, 0) => 1,
                    (false, s) => s,
                };
                total = total.checked_add(group.checked_mul(u)?)?;
                section = 0;
            } else {
                let n = if have_current { current } else { 1 };
                section = section.checked_add(n.checked_mul(u)?)?;
            }
            current = 0;
            have_current = false;
        } else {
            return None;
        }
        any = true;
    }
    if !any {
        return None;
    }
    total.checked_add(section)?.checked_add(current)
}

/// Names that begin with a kanji numeral and are written right after a block number: places
/// (and the buildings named after them) and the companies that name office buildings. Matched
/// against the display text, so spelled as `normalize` leaves them (`ヶ` kept, modern kanji).
#[rustfmt::skip]
const NUMERAL_NAMES: &[&str] = &[
    "一口坂", "一ツ橋", "一橋", "一宮", "一之江", "一ノ瀬", "一色", "一身田",
    "二子", "二重橋", "二俣", "二日市", "二葉", "二本松",
    "三井", "三菱", "三越", "三田", "三鷹", "三軒", "三宮", "三ノ宮", "三河",
    "三重", "三原", "三島", "三浦", "三郷", "三好", "三笠", "三栄", "三和",
    "三信", "三共", "三国", "三沢", "三木", "三春",
    "四谷", "四ツ谷", "四日市", "四国", "四街道", "四ツ橋",
    "五反田", "五所川原", "五井", "五日市", "五香",
    "六本木", "六甲", "六角", "六郷",
    "七尾", "七里",
    "八王子", "八幡", "八重洲", "八戸", "八千代", "八尾", "八潮", "八丁堀",
    "八坂", "八街", "八雲", "八景",
    "九段", "九十九里", "九州",
    "十日町", "十和田", "十勝",
    "百舌鳥", "百合", "百人町", "百万遍",
    "千葉", "千代田", "千住", "千歳", "千里", "千駄", "千石", "千束", "千日前",
    "千種", "千早", "千本", "千船", "千鳥", "千曲", "千草", "千手",
    "万代", "万世", "万博",
];

/// How a kanji numeral run at the start of `from_run` (its first `run_len` bytes), preceded
/// by `before`, is read: the byte length of its leading part that is a number. The rest (up
/// to all of it) begins a name and is not a number.
///
/// Only runs that come right after a block number marked 号, 番地, 番 or 丁目 are cut:
///
/// * where a name that begins with a numeral (`NUMERAL_NAMES`: 千葉, 三井, 九段 …) starts
///   inside the run, the number ends there (`十三千葉` after 番地: 13, then 千葉);
/// * after 号 the block is complete, so one or two numerals glued to a kanji or kana word
///   (`三毛ビル`, not a counter such as 階 or 号室) begin its name. Longer runs and runs with
///   〇 stay numbers: they are rooms (`二〇三`).
///
/// Everywhere else the whole run is a number.
pub fn number_len_after_block(before: &str, from_run: &str, run_len: usize) -> usize {
    let Some(after_go) = after_block_number(before) else {
        return run_len;
    };
    let Some(run) = from_run.get(..run_len) else {
        return run_len;
    };
    for (k, _) in run.char_indices() {
        let rest = &from_run[k..];
        if NUMERAL_NAMES.iter().any(|name| rest.starts_with(name)) {
            return k;
        }
    }
    let next = from_run[run_len..].chars().next();
    let glued_to_word = next.is_some_and(|c| c.is_alphabetic() && !c.is_ascii());
    let short = run.chars().count() <= 2 && !run.contains('〇');
    let counter = COUNTERS_AFTER_NUMBER
        .iter()
        .any(|k| from_run[run_len..].starts_with(k));
    if after_go && glued_to_word && short && !counter {
        return 0;
    }
    run_len
}

/// Words after which a numeral is a count, not the start of a name (`三階`, `二号室`).
const COUNTERS_AFTER_NUMBER: [&str; 10] =
    ["丁", "番", "号", "条", "線", "階", "地割", "区", "室", "棟"];

/// `Some(after_go)` when `before` ends with a block number and its marker (`8番11号`,
/// `三番地`, `2丁目`); `after_go` says the marker was 号 (the block is complete).
fn after_block_number(before: &str) -> Option<bool> {
    const MARKERS: [(&str, bool); 4] = [
        ("号", true),
        ("番地", false),
        ("番", false),
        ("丁目", false),
    ];
    let (marker, after_go) = MARKERS.iter().find(|(m, _)| before.ends_with(m))?;
    let number = before[..before.len() - marker.len()].chars().next_back()?;
    (number.is_ascii_digit() || is_kanji_numeral(number)).then_some(*after_go)
}

#[cfg(test)]
mod tests {
    use super::{number_len_after_block, value};

    #[test]
    fn positional() {
        assert_eq!(value("一四〇六"), Some(1406));
        assert_eq!(value("一二三四"), Some(1234));
        assert_eq!(value("〇"), Some(0));
    }

    #[test]
    fn counted() {
        assert_eq!(value("二十三"), Some(23));
        assert_eq!(value("十"), Some(10));
        assert_eq!(value("十一"), Some(11));
        assert_eq!(value("五百三十七"), Some(537));
        assert_eq!(value("千二百三十四"), Some(1234));
        assert_eq!(value("一千二百三十四"), Some(1234));
        assert_eq!(value("千二百三四"), Some(1234));
        assert_eq!(value("千二三四"), Some(1234));
        assert_eq!(value("四十五"), Some(45));
        assert_eq!(value("一万二千"), Some(12000));
    }

    #[test]
    fn rejects_overflow_and_non_numerals() {
        assert_eq!(value(&"九".repeat(40)), None);
        assert_eq!(value("東"), None);
        assert_eq!(value(""), None);
    }

    /// The numeral part of `run` at the start of `from_run` after `before`, as text.
    fn number_part<'a>(before: &str, from_run: &'a str, run: &str) -> &'a str {
        &from_run[..number_len_after_block(before, from_run, run.len())]
    }

    #[test]
    fn a_name_after_a_block_number_keeps_its_numeral() {
        for (before, from_run, run, number) in [
            ("三番地", "十三千葉TNビル", "十三千", "十三"),
            ("8番11号", "三井生命ビル", "三", ""),
            ("8番11号", "一口坂中央ビル", "一", ""),
            ("二番一号", "九段第2合同庁舎", "九", ""),
            ("3番地", "十一三井ビル", "十一三", "十一"),
            ("2番地", "八千代ハイツ", "八千", ""),
            ("5番", "九十九里ハイツ", "九十九", ""),
            ("1番2号", "三毛ビル", "三", ""),
            ("1丁目", "十日町ビル", "十", ""),
            ("4番地", "五反田コーポ", "五", ""),
        ] {
            assert_eq!(
                number_part(before, from_run, run),
                number,
                "{before}{from_run}"
            );
        }
    }

    #[test]
    fn numbers_after_a_block_number_stay_numbers() {
        for (before, from_run, run) in [
            // a go after 番地 glued to a building that is no listed name
            ("3番地", "十三コーポ山田", "十三"),
            // rooms and floors
            ("1番2号", "二〇三号室", "二〇三"),
            ("1番2号", "一一〇二", "一一〇二"),
            ("1番2号", "三階", "三"),
            ("1番2号", "十二号室", "十二"),
            ("1番2号", "三〇一山田方", "三〇一"),
            // the block's own numbers
            ("銀座四丁目", "六番", "六"),
            ("2丁目", "三番地", "三"),
            // no block number before: names are folded the same way in the gazetteer
            ("東京都", "三鷹市", "三"),
            ("", "千葉", "千"),
            ("番", "三井", "三"),
            ("号室", "三井", "三"),
        ] {
            assert_eq!(
                number_part(before, from_run, run),
                run,
                "{before}{from_run}"
            );
        }
    }
}
