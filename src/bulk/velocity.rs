//! Velocity: one delivery point receiving orders under several different names.
//!
//! # How it is computed
//!
//! Rows are counted **in input order per delivery point**: the bulk pipeline screens a chunk
//! in parallel, then [`Window::observe_chunk`] counts its rows on all cores, the window being
//! sharded by delivery point (each shard sees its points' rows in input order), so the result
//! depends neither on the thread count nor on the shard count. For each row whose address
//! resolves to at least a block and that has a buyer name, the tracker remembers, under a
//! keyed hash of the delivery point ([`crate::Address::key`]), up to [`MAX_NAMES`] hashes of
//! the buyer names seen there with their order time. A row's count is the number of
//! different names remembered at its delivery point, its own included:
//!
//! * **within the row window** — entries are kept in two generations of `window_rows / 2`
//!   input rows each (generation = row index / half window); a delivery point not seen for
//!   between `window_rows / 2` and `window_rows` rows is forgotten. Memory is bounded by the
//!   window, not by the file (about 100 bytes per remembered delivery point);
//! * **within the time window**, when rows have times — only names ordered within
//!   `window_hours` of this row's own time count (rows are not assumed sorted).
//!
//! With a velocity state (`--velocity-state`, [`super::state`]) the window also reaches into
//! the past runs: a point met for the first time in memory is looked up in the store.
//!
//! The earlier orders of a cluster are not rewritten (the output streams): with the default
//! `min_names = 3`, the third name at a delivery point and every later one are flagged.
//! Names are compared after [`name_key`] (NFKC — full-width letters, half-width kana —,
//! spaces removed, lower case); only keyed hashes are kept ([`Hashing`]).

use rayon::prelude::*;
use std::collections::HashMap;
use std::hash::Hasher;
use unicode_normalization::UnicodeNormalization;

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

/// The names remembered at one delivery point: (name hash, order time in minutes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Slot {
    names: [(u32, u32); MAX_NAMES],
    len: u8,
}

impl Slot {
    /// The (name hash, time) pairs held.
    pub fn entries(&self) -> &[(u32, u32)] {
        self.names.get(..self.len as usize).unwrap_or(&[])
    }

    /// Adds or refreshes a name, keeping at most `cap` (the oldest replaced when full).
    pub fn add(&mut self, name: u32, time: u32, cap: usize) {
        let len = self.len as usize;
        let cap = cap.clamp(1, MAX_NAMES);
        match self.entries().iter().position(|(h, _)| *h == name) {
            Some(i) => {
                if let Some(e) = self.names.get_mut(i) {
                    e.1 = time;
                }
            }
            None if len < cap => {
                if let Some(e) = self.names.get_mut(len) {
                    *e = (name, time);
                    self.len += 1;
                }
            }
            None => {
                let oldest = self
                    .entries()
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, (_, t))| *t)
                    .map_or(0, |(i, _)| i);
                if let Some(e) = self.names.get_mut(oldest) {
                    *e = (name, time);
                }
            }
        }
    }
}

/// Keyed hashes of delivery points and names (SipHash-2-4 under a 128-bit key). Within one
/// run any fixed key will do ([`Hashing::default`]); a velocity state keeps its key in a file
/// of its own so that the database holds neither addresses nor names, nor a way to test a
/// guess without the key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hashing {
    key: [u8; 16],
}

impl Hashing {
    /// Hashing under `key`.
    pub fn with_key(key: [u8; 16]) -> Self {
        Hashing { key }
    }

    /// A tag for other texts (a run's output path in a state), apart from points and names.
    pub fn tag(&self, text: &str) -> u64 {
        self.hash(b't', text)
    }

    fn hash(&self, domain: u8, text: &str) -> u64 {
        let mut h = siphasher::sip::SipHasher24::new_with_key(&self.key);
        h.write_u8(domain);
        h.write(text.as_bytes());
        h.finish()
    }

    /// A delivery point's key ([`crate::Address::key`]) as a 64-bit keyed hash.
    pub fn point(&self, key: &str) -> u64 {
        self.hash(b'p', key)
    }

    /// A buyer name as compared ([`name_key`]), hashed; `None` when nothing is left.
    pub fn name(&self, name: &str) -> Option<u32> {
        let key = name_key(name);
        (!key.is_empty()).then(|| self.hash(b'n', &key) as u32)
    }
}

/// A buyer name as compared: NFKC (full-width letters and digits to ASCII, half-width kana
/// to full width), white space removed, lower case.
pub fn name_key(name: &str) -> String {
    let ascii = name.is_ascii();
    let mut out = String::with_capacity(name.len());
    let mut push = |c: char| {
        if !c.is_whitespace() {
            out.extend(c.to_lowercase());
        }
    };
    if ascii {
        name.chars().for_each(&mut push);
    } else {
        name.nfkc().for_each(&mut push);
    }
    out
}

/// One row taking part in velocity: its index in the input, delivery point, name, time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    /// 0-based index of the row among the input's rows (the header not counted).
    pub index: u64,
    /// Delivery-point hash.
    pub key: u64,
    /// Name hash.
    pub name: u32,
    /// Order time, minutes since 1970, when known.
    pub time: Option<u32>,
}

/// The tracker of one shard (see the module documentation).
#[derive(Debug)]
pub struct Velocity {
    min_names: u32,
    half_window: u64,
    window_minutes: Option<u32>,
    current: KeyMap,
    previous: KeyMap,
    generation: u64,
    rows_seen: u64,
}

impl Velocity {
    /// A tracker: `min_names` names raise the signal (0 disables it), within `window_rows`
    /// rows and, when times are given, `window_hours` hours.
    pub fn new(min_names: u32, window_rows: u64, window_hours: u32) -> Self {
        Velocity::with_window_minutes(
            min_names,
            window_rows,
            Some(window_hours.saturating_mul(60)),
        )
    }

    /// As [`Velocity::new`], the time window in minutes (`None`: no time window).
    pub fn with_window_minutes(
        min_names: u32,
        window_rows: u64,
        window_minutes: Option<u32>,
    ) -> Self {
        Velocity {
            min_names,
            half_window: (window_rows / 2).max(1),
            window_minutes,
            current: KeyMap::default(),
            previous: KeyMap::default(),
            generation: 0,
            rows_seen: 0,
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

    /// Counts the next row in order (rows are numbered by the calls). `key` is the
    /// delivery-point hash (None: the row has no usable delivery point), `name` the name
    /// hash, `time` the order time in minutes since 1970 when known. Returns the number of
    /// different names within the window at this delivery point, this row's included (0 when
    /// the row does not take part).
    pub fn observe(&mut self, key: Option<u64>, name: Option<u32>, time: Option<u32>) -> u32 {
        let index = self.rows_seen;
        self.rows_seen += 1;
        match (key, name) {
            (Some(key), Some(name)) => self.observe_at(&Observation {
                index,
                key,
                name,
                time,
            }),
            _ => 0,
        }
    }

    /// Moves the row window to the generation of row `index`.
    fn advance(&mut self, index: u64) {
        let generation = index / self.half_window;
        if generation == self.generation {
            return;
        }
        if generation == self.generation + 1 {
            self.previous = std::mem::take(&mut self.current);
        } else if generation > self.generation {
            self.previous.clear();
            self.current.clear();
        }
        self.generation = self.generation.max(generation);
    }

    /// True when the point is in memory (no need to look it up in a store).
    pub fn knows(&mut self, index: u64, key: u64) -> bool {
        self.advance(index);
        self.current.contains_key(&key) || self.previous.contains_key(&key)
    }

    /// Puts a point's names read from a store into the window (when it is not there yet).
    pub fn load(&mut self, key: u64, slot: Slot) {
        if !self.current.contains_key(&key) && !self.previous.contains_key(&key) {
            self.current.insert(key, slot);
        }
    }

    /// Counts one row (rows of one delivery point must come in input order).
    pub fn observe_at(&mut self, o: &Observation) -> u32 {
        self.advance(o.index);
        if self.min_names == 0 {
            return 0;
        }
        let cap = (self.min_names as usize).min(MAX_NAMES);
        let slot = match self.current.get_mut(&o.key) {
            Some(s) => s,
            None => {
                let old = self.previous.remove(&o.key).unwrap_or_default();
                self.current.entry(o.key).or_insert(old)
            }
        };
        let t = o.time.unwrap_or(0);
        slot.add(o.name, t, cap);
        let within = |other: u32| match (o.time, self.window_minutes) {
            (Some(_), Some(w)) => other.abs_diff(t) <= w,
            _ => true,
        };
        slot.entries().iter().filter(|(_, tt)| within(*tt)).count() as u32
    }
}

/// Names of delivery points remembered outside the window (a velocity state), looked up when
/// a point is not in memory.
pub trait PastNames: Send {
    /// The names remembered at `key`: at most `cap`, the most recent.
    fn names(&mut self, key: u64, cap: usize) -> Option<Slot>;
}

/// No past beyond the window.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPast;

impl PastNames for NoPast {
    fn names(&mut self, _key: u64, _cap: usize) -> Option<Slot> {
        None
    }
}

impl Slot {
    /// A slot holding `entries` (name hash, time), at most [`MAX_NAMES`] of them.
    pub fn from_entries(entries: impl IntoIterator<Item = (u32, u32)>) -> Slot {
        let mut slot = Slot::default();
        for (e, (name, time)) in slot.names.iter_mut().zip(entries) {
            *e = (name, time);
            slot.len += 1;
        }
        slot
    }
}

/// The shard of a delivery point (its key is a SipHash output: the high bits do).
fn shard_of(key: u64, shards: usize) -> usize {
    ((key >> 40) % shards.max(1) as u64) as usize
}

/// Counts one shard's observations of a chunk (`runs` in input order), looking points up in
/// `past` first when given.
fn count_shard<L: PastNames>(
    v: &mut Velocity,
    shard: usize,
    shards: usize,
    runs: &[&[Observation]],
    mut past: Option<&mut L>,
) -> Vec<(usize, usize, u32)> {
    let cap = (v.min_names as usize).clamp(1, MAX_NAMES);
    let mut counts = Vec::new();
    for (r, run) in runs.iter().enumerate() {
        for (i, o) in run.iter().enumerate() {
            if shard_of(o.key, shards) != shard {
                continue;
            }
            if let Some(past) = past.as_deref_mut() {
                if !v.knows(o.index, o.key) {
                    if let Some(slot) = past.names(o.key, cap) {
                        v.load(o.key, slot);
                    }
                }
            }
            counts.push((r, i, v.observe_at(o)));
        }
    }
    counts
}

/// The window sharded by delivery point, counted on all cores.
#[derive(Debug)]
pub struct Window {
    shards: Vec<Velocity>,
}

impl Window {
    /// `shards` trackers with the same settings (see [`Velocity::with_window_minutes`]).
    pub fn new(
        shards: usize,
        min_names: u32,
        window_rows: u64,
        window_minutes: Option<u32>,
    ) -> Self {
        Window {
            shards: (0..shards.max(1))
                .map(|_| Velocity::with_window_minutes(min_names, window_rows, window_minutes))
                .collect(),
        }
    }

    /// Counts a chunk's observations, given in input order as consecutive runs (one per
    /// piece of the chunk). Returns, per run, each observation's count in that run's order.
    /// `past`: one lookup per shard (a velocity state), or none.
    pub fn observe_chunk<L: PastNames>(
        &mut self,
        runs: &[&[Observation]],
        past: &mut [L],
    ) -> Vec<Vec<u32>> {
        let n = self.shards.len();
        let per_shard: Vec<Vec<(usize, usize, u32)>> = if past.len() == n {
            self.shards
                .par_iter_mut()
                .zip(past.par_iter_mut())
                .enumerate()
                .map(|(s, (v, l))| count_shard(v, s, n, runs, Some(l)))
                .collect()
        } else {
            self.shards
                .par_iter_mut()
                .enumerate()
                .map(|(s, v)| count_shard::<L>(v, s, n, runs, None))
                .collect()
        };
        let mut out: Vec<Vec<u32>> = runs.iter().map(|r| vec![0; r.len()]).collect();
        for (r, i, c) in per_shard.into_iter().flatten() {
            if let Some(slot) = out.get_mut(r).and_then(|v| v.get_mut(i)) {
                *slot = c;
            }
        }
        out
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
        Hashing::default().name(s)
    }

    #[test]
    fn counts_distinct_names_per_point() {
        let mut v = Velocity::new(3, 1000, 24);
        let k = Some(Hashing::default().point("13102|銀座|4|6|16||301"));
        assert_eq!(v.observe(k, n("黒猫 花子"), None), 1);
        assert_eq!(v.observe(k, n("黒猫花子"), None), 1, "spaces ignored");
        assert_eq!(v.observe(k, n("白猫 次郎"), None), 2);
        assert_eq!(v.observe(Some(1), n("白猫 次郎"), None), 1, "other point");
        assert_eq!(v.observe(k, n("三毛 三郎"), None), 3);
        assert_eq!(v.observe(None, n("x"), None), 0);
        assert_eq!(v.observe(k, None, None), 0);
    }

    #[test]
    fn names_compare_after_nfkc_spaces_and_case() {
        assert_eq!(n("ｸﾛﾈｺ ﾊﾅｺ"), n("クロネコ　ハナコ"), "half-width kana");
        assert_eq!(n("ＫＵＲＯＮＥＫＯ Hanako"), n("kuroneko hanako"));
        assert_ne!(n("黒猫花子"), n("白猫花子"));
        assert_eq!(n(" \u{3000} "), None);
        let keyed = Hashing::with_key([7; 16]);
        assert_ne!(
            keyed.name("黒猫花子"),
            n("黒猫花子"),
            "the key changes every hash"
        );
        assert_ne!(
            keyed.point("13102|銀座|4|6|16||301"),
            Hashing::default().point("13102|銀座|4|6|16||301")
        );
    }

    #[test]
    fn sharded_counts_equal_sequential_ones() {
        // 3,000 rows over 40 points and 7 names, times spread over three days.
        let h = Hashing::default();
        let rows: Vec<(Option<u64>, Option<u32>, Option<u32>)> = (0..3000u64)
            .map(|i| {
                let key = (i % 11 != 0).then(|| h.point(&format!("p{}", (i * 7919) % 40)));
                let name = h.name(&format!("name{}", (i * 31) % 7));
                (key, name, Some(((i * 37) % 4320) as u32))
            })
            .collect();
        let mut seq = Velocity::new(3, 700, 24);
        let expected: Vec<u32> = rows
            .iter()
            .map(|&(k, nm, t)| seq.observe(k, nm, t))
            .collect();
        for shards in [1, 3, 8] {
            let mut w = Window::new(shards, 3, 700, Some(24 * 60));
            let mut got = vec![0u32; rows.len()];
            for chunk_start in (0..rows.len()).step_by(512) {
                let end = (chunk_start + 512).min(rows.len());
                let obs: Vec<Observation> = (chunk_start..end)
                    .filter_map(|i| {
                        let (k, nm, t) = rows[i];
                        Some(Observation {
                            index: i as u64,
                            key: k?,
                            name: nm?,
                            time: t,
                        })
                    })
                    .collect();
                let (a, b) = obs.split_at(obs.len() / 3);
                let counts = w.observe_chunk::<NoPast>(&[a, b], &mut []);
                for (o, c) in a.iter().chain(b).zip(counts.concat()) {
                    got[o.index as usize] = c;
                }
            }
            assert_eq!(got, expected, "{shards} shards");
        }
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
