//! Kanji numerals → Arabic digits, both counted (二十三, 千二百三十四) and positional
//! (一四〇六), for the matching form of an address.

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

#[cfg(test)]
mod tests {
    use super::value;

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
}
