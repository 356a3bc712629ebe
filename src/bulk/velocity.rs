//! Velocity: one delivery point receiving orders under several different names.
//!
//! # How it is computed
//!
//! Rows are observed one by one **in input order** (the bulk pipeline screens a chunk in
//! parallel, then observes its rows sequentially before scoring them, so the result does not
//! depend on the thread count). For each row whose address resolves to at least a block, the
//! tracker remembers, under a hash of the delivery point ([`crate::Address::key`]), up to
//! [`MAX_NAMES`] hashes of the buyer names seen there with their order time. A row's count is
//! the number of different names remembered at its delivery point, its own included:
//!
//! * **within the row window** — entries are kept in two generations of
//!   `window_rows / 2` rows each; a delivery point not seen for between `window_rows / 2` and
//!   `window_rows` rows is forgotten. Memory is bounded by the window, not by the file
//!   (about 100 bytes per remembered delivery point);
//! * **within the time window**, when the input has an order-time column — only names
//!   ordered within `window_hours` of this row's own time count (rows are not assumed sorted).
//!
//! The earlier orders of a cluster are not rewritten (the output streams): with the default
//! `min_names = 3`, the third name at a delivery point and every later one are flagged.
//! Names are compared after removing spaces, folding full-width ASCII and lower-casing;
//! only hashes are stored.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// Most names remembered per delivery point (a larger `min_names` is capped to it): four
/// keeps a slot at 36 bytes, so a window of 500,000 rows costs some tens of MB at most.
pub const MAX_NAMES: usize = 4;

/// The delivery-point keys are SipHash outputs already: the map uses them as they are.
#[derive(Debug, Default, Clone, Copy)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type KeyMap = HashMap<u64, Slot, std::hash::BuildHasherDefault<KeyHasher>>;

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    names: [(u32, u32); MAX_NAMES],
    len: u8,
}

/// The tracker (see the module documentation).
#[derive(Debug)]
pub struct Velocity {
    min_names: u32,
    half_window: u64,
    window_minutes: Option<u32>,
    current: KeyMap,
    previous: KeyMap,
    rows_in_current: u64,
}

/// A stable 64-bit hash (SipHash with fixed keys): the same across runs, so resumed runs
/// count like uninterrupted ones.
pub fn stable_hash(s: &str) -> u64 {
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// A buyer name as compared: spaces removed, full-width ASCII folded, lower-case. `None` when
/// nothing is left.
pub fn name_hash(name: &str) -> Option<u32> {
    let folded: String = name
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect();
    (!folded.is_empty()).then(|| stable_hash(&folded) as u32)
}

impl Velocity {
    /// A tracker: `min_names` names raise the signal (0 disables it), within `window_rows`
    /// rows and, when times are given, `window_hours` hours.
    pub fn new(min_names: u32, window_rows: u64, window_hours: u32) -> Self {
        Velocity {
            min_names,
            half_window: (window_rows / 2).max(1),
            window_minutes: Some(window_hours.saturating_mul(60)),
            current: KeyMap::default(),
            previous: KeyMap::default(),
            rows_in_current: 0,
        }
    }

    /// The threshold.
    pub fn min_names(&self) -> u32 {
        self.min_names
    }

    /// Delivery points remembered now.
    pub fn remembered(&self) -> usize {
        self.current.len() + self.previous.len()
    }

    /// Counts one row in order. `key` is the delivery-point hash (None: the row has no
    /// usable delivery point), `name` the name hash, `time` the order time in minutes since
    /// 1970 when known. Returns the number of different names within the window at this
    /// delivery point, this row's included (0 when the row does not take part).
    pub fn observe(&mut self, key: Option<u64>, name: Option<u32>, time: Option<u32>) -> u32 {
        self.rows_in_current += 1;
        if self.rows_in_current > self.half_window {
            self.previous = std::mem::take(&mut self.current);
            self.rows_in_current = 1;
        }
        let (Some(key), Some(name)) = (key, name) else {
            return 0;
        };
        if self.min_names == 0 {
            return 0;
        }
        let cap = (self.min_names as usize).min(MAX_NAMES);
        let window = self.window_minutes;
        let slot = match self.current.get_mut(&key) {
            Some(s) => s,
            None => {
                let old = self.previous.remove(&key).unwrap_or_default();
                self.current.entry(key).or_insert(old)
            }
        };
        let t = time.unwrap_or(0);
        let within = |other: u32| match (time, window) {
            (Some(_), Some(w)) => other.abs_diff(t) <= w,
            _ => true,
        };
        let len = slot.len as usize;
        match slot.names[..len].iter().position(|(h, _)| *h == name) {
            Some(i) => slot.names[i].1 = t,
            None if len < cap => {
                slot.names[len] = (name, t);
                slot.len += 1;
            }
            None => {
                // Full: replace the entry with the oldest time.
                let oldest = slot.names[..len]
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, (_, time))| *time)
                    .map_or(0, |(i, _)| i);
                slot.names[oldest] = (name, t);
            }
        }
        let len = slot.len as usize;
        slot.names[..len]
            .iter()
            .filter(|(_, tt)| within(*tt))
            .count() as u32
    }
}

/// Parses an order time into minutes since 1970-01-01 (UTC, the local offset ignored):
/// `2026-11-22 10:30[:45]`, `2026/11/22 10:30`, `2026-11-22T10:30:00+09:00`, `2026-11-22`, or
/// Unix seconds (9–10 digits). `None` for anything else.
pub fn parse_time_minutes(s: &str) -> Option<u32> {
    let s = s.trim();
    if !s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit()) && s.len() >= 9 {
        let secs: u64 = s.parse().ok()?;
        return u32::try_from(secs / 60).ok();
    }
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    if b.len() < 10 || !matches!(b.get(4), Some(b'-' | b'/')) || b.get(7) != b.get(4) {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (mut h, mut mi) = (0, 0);
    if b.len() >= 16 && matches!(b.get(10), Some(b' ' | b'T')) && b.get(13) == Some(&b':') {
        h = num(11..13)?;
        mi = num(14..16)?;
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || y < 1970 {
        return None;
    }
    let days = days_from_civil(y as i64, mo as i64, d as i64);
    let minutes = days * 1440 + h as i64 * 60 + mi as i64;
    u32::try_from(minutes).ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Option<u32> {
        name_hash(s)
    }

    #[test]
    fn counts_distinct_names_per_point() {
        let mut v = Velocity::new(3, 1000, 24);
        let k = Some(stable_hash("13102|銀座|4|6|16||301"));
        assert_eq!(v.observe(k, n("黒猫 花子"), None), 1);
        assert_eq!(v.observe(k, n("黒猫花子"), None), 1, "spaces ignored");
        assert_eq!(v.observe(k, n("白猫 次郎"), None), 2);
        assert_eq!(v.observe(Some(1), n("白猫 次郎"), None), 1, "other point");
        assert_eq!(v.observe(k, n("三毛 三郎"), None), 3);
        assert_eq!(v.observe(None, n("x"), None), 0);
        assert_eq!(v.observe(k, None, None), 0);
    }

    #[test]
    fn rows_window_forgets() {
        let mut v = Velocity::new(2, 4, 24);
        let k = Some(7);
        assert_eq!(v.observe(k, n("a"), None), 1);
        for _ in 0..4 {
            v.observe(None, None, None);
        }
        assert_eq!(v.observe(k, n("b"), None), 1, "a is out of the window");
        assert!(v.remembered() <= 2);
    }

    #[test]
    fn time_window_limits_counts() {
        let mut v = Velocity::new(2, 1000, 24);
        let k = Some(7);
        let t0 = parse_time_minutes("2026-11-01 10:00").unwrap();
        let t1 = parse_time_minutes("2026-11-01T20:00:00+09:00").unwrap();
        let t2 = parse_time_minutes("2026/11/03 10:00").unwrap();
        assert_eq!(v.observe(k, n("a"), Some(t0)), 1);
        assert_eq!(v.observe(k, n("b"), Some(t1)), 2);
        assert_eq!(
            v.observe(k, n("c"), Some(t2)),
            1,
            "a and b are two days earlier"
        );
    }

    #[test]
    fn times_parse() {
        assert_eq!(parse_time_minutes("1970-01-02"), Some(1440));
        assert_eq!(parse_time_minutes("1970-01-01 01:01:59"), Some(61));
        assert_eq!(
            parse_time_minutes("86400"),
            None,
            "too short for Unix seconds"
        );
        assert_eq!(parse_time_minutes("1700000000"), Some(28_333_333));
        assert_eq!(
            parse_time_minutes("2024-03-01"),
            Some(days_from_civil(2024, 3, 1) as u32 * 1440)
        );
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for bad in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-11-22 25:00",
            "2026-11/22",
        ] {
            assert_eq!(parse_time_minutes(bad), None, "{bad}");
        }
    }
}
