//! Grades: how close a query address comes to a listed one, and the lookup that finds out.
//!
//! Fraud lists ([`Watchlist::screen_fraud`]), as merchants know them from Yamato's webコレクト:
//!
//! * [`Grade::Danger`] ★★★危険 — same block and same unit: the same room, or the same floor
//!   where neither side knows a room, or the same forwarding customer ID; two addresses
//!   without any unit are the same house.
//! * [`Grade::Caution`] ★★注意 — same block, the unit differs or one side has none.
//! * [`Grade::Warning`] ★警戒 — a near block: same town and chome with a banchi within
//!   [`MatchOptions::near_distance`], or the same banchi with another go.
//!
//! Forwarder lists ([`Watchlist::screen_forwarder`]):
//!
//! * [`Grade::ForwardingService`] 海外転送サービス — the block of a listed warehouse (unit and
//!   customer ID ignored: every customer writes their own);
//! * [`Grade::Possible`] 海外転送サービスの可能性 — a block near a listed warehouse, or any
//!   address carrying a forwarding-style customer ID ([`Signal::TrailingCustomerId`]).
//!
//! The exact block is one FST lookup; near blocks are one FST range scan over the query's
//! town + chome (see [`super::key`]); units are compared on the records found.

use super::key::{self, BlockKey, BlockParts};
use super::table::RecordView;
use super::Watchlist;
use crate::address::{Address, Anomaly};
use fst::{IntoStreamer, Streamer};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use smallvec::SmallVec;
use std::ops::ControlFlow;

/// A grade, for either kind of list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// ★★★危険: same delivery point as a fraud record.
    Danger,
    /// ★★注意: same block as a fraud record, unit differs or unknown.
    Caution,
    /// ★警戒: near a fraud record's block.
    Warning,
    /// 海外転送サービス: a listed forwarding warehouse.
    ForwardingService,
    /// 海外転送サービスの可能性: near a listed warehouse, or a forwarding-style customer ID.
    Possible,
}

impl Grade {
    /// Severity within its kind of list: higher is worse.
    pub fn severity(self) -> u8 {
        match self {
            Grade::Danger => 3,
            Grade::Caution | Grade::ForwardingService => 2,
            Grade::Warning | Grade::Possible => 1,
        }
    }

    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Danger => "danger",
            Grade::Caution => "caution",
            Grade::Warning => "warning",
            Grade::ForwardingService => "forwarding_service",
            Grade::Possible => "possible",
        }
    }

    /// Stars as webコレクト shows them (fraud grades; empty for forwarder grades).
    pub fn stars(self) -> &'static str {
        match self {
            Grade::Danger => "★★★",
            Grade::Caution => "★★",
            Grade::Warning => "★",
            Grade::ForwardingService | Grade::Possible => "",
        }
    }

    /// The Japanese label merchants know: `★★★危険`, `海外転送サービス`, ….
    pub fn label_ja(self) -> &'static str {
        match self {
            Grade::Danger => "★★★危険",
            Grade::Caution => "★★注意",
            Grade::Warning => "★警戒",
            Grade::ForwardingService => "海外転送サービス",
            Grade::Possible => "海外転送サービスの可能性",
        }
    }
}

impl std::fmt::Display for Grade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What matched between the query and a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Same block, same room.
    SameRoom,
    /// Same block, the building's number and the room read together agree: one flat with
    /// its building number glued to the room (`パレス桜22 1005号` = `パレス桜221005号`); or the
    /// number after a 番地-only block read as the go on one side and as the room on the other
    /// (`21番地103号` = `21 103号室`, see [`Swapped`]).
    SameFlat,
    /// Same block, same floor, no room on either side.
    SameFloor,
    /// Same block, same forwarding customer ID.
    SameCustomerId,
    /// Same block, no unit on either side (a house).
    SameHouse,
    /// Same block, both sides have a unit and they differ.
    UnitDiffers,
    /// Same block, one side has a unit, the other none.
    UnitMissing,
    /// Same block (forwarder lists: units are ignored).
    SameBlock,
    /// Same town and chome, banchi within the near distance.
    NearBanchi,
    /// Same banchi, another go.
    OtherGo,
}

impl Basis {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::SameRoom => "same_room",
            Basis::SameFlat => "same_flat",
            Basis::SameFloor => "same_floor",
            Basis::SameCustomerId => "same_customer_id",
            Basis::SameHouse => "same_house",
            Basis::UnitDiffers => "unit_differs",
            Basis::UnitMissing => "unit_missing",
            Basis::SameBlock => "same_block",
            Basis::NearBanchi => "near_banchi",
            Basis::OtherGo => "other_go",
        }
    }
}

/// Why a screening raised a grade without a record behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// The address carries a forwarding-service customer ID (PM12345, LYF2266455).
    TrailingCustomerId,
}

impl Signal {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::TrailingCustomerId => "trailing_customer_id",
        }
    }
}

/// Metadata columns of a matched record, in file order, serialized as a JSON object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata(pub Vec<(String, String)>);

impl Serialize for Metadata {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// One listed record that matched the query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Match {
    /// The record's id.
    pub id: String,
    /// The record's reason.
    pub reason: Option<String>,
    /// The grade this record gives.
    pub grade: Grade,
    /// What matched.
    pub matched: Basis,
    /// Banchi distance, for near matches (0 = same banchi, other go).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance: Option<u32>,
    /// The record's block as `chome-banchi-go` (town and city are the query's).
    pub block: String,
    /// The record's floor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floor: Option<String>,
    /// The record's room.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    /// The record's forwarding customer ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// The forwarding service (forwarder lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// True when the match was made on the fallback key (the town as written, not a
    /// gazetteer town; see [`super::key`]).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fallback: bool,
    /// The record's other columns.
    pub metadata: Metadata,
}

/// The outcome of screening one address against one list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ListResult {
    /// The worst grade found, `None` when nothing matched.
    pub grade: Option<Grade>,
    /// The records that matched, worst first (at most [`MatchOptions::max_matches`]).
    pub matches: Vec<Match>,
    /// Grades raised without a record (forwarder lists).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<Signal>,
    /// True when more records matched than are listed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

impl ListResult {
    /// The first record at the same unit (same room, flat, floor or house): the delivery
    /// point itself is listed, not only its block. What "is this point on the list already"
    /// asks before listing it again.
    pub fn same_unit(&self) -> Option<&Match> {
        self.matches.iter().find(|m| {
            matches!(
                m.matched,
                Basis::SameRoom | Basis::SameFlat | Basis::SameFloor | Basis::SameHouse
            )
        })
    }

    fn raise(&mut self, g: Grade) {
        raise(&mut self.grade, g);
    }
}

/// Tunables of a lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchOptions {
    /// Largest banchi difference still graded near (default 2).
    pub near_distance: u32,
    /// Most matches listed per list (default 50); the grade counts them all. `0` lists
    /// none and takes the grade-only lookup ([`Watchlist::fraud_grade`]): the bulk path,
    /// whose rows carry grades and reason codes but no record ids.
    pub max_matches: usize,
}

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions {
            near_distance: 2,
            max_matches: 50,
        }
    }
}

/// Unit text as compared: trimmed, ASCII upper-case, leading zeros of a number dropped.
fn unit_eq(a: &str, b: &str) -> bool {
    fn canon(s: &str) -> &str {
        let s = s.trim();
        if s.len() > 1 && s.bytes().all(|c| c.is_ascii_digit()) {
            let t = s.trim_start_matches('0');
            if t.is_empty() {
                "0"
            } else {
                t
            }
        } else {
            s
        }
    }
    canon(a).eq_ignore_ascii_case(canon(b))
}

fn nonempty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// Grades a record on the query's own block (fraud lists).
fn unit_grade(q: &Address, r: &RecordView<'_>) -> (Grade, Basis) {
    let qc = nonempty(q.customer_id.as_deref());
    let rc = nonempty(r.customer_id);
    if let (Some(a), Some(b)) = (qc, rc) {
        return if unit_eq(a, b) {
            (Grade::Danger, Basis::SameCustomerId)
        } else {
            (Grade::Caution, Basis::UnitDiffers)
        };
    }
    let same_or_differs = |a: &str, b: &str, same: Basis| {
        if unit_eq(a, b) {
            (Grade::Danger, same)
        } else {
            (Grade::Caution, Basis::UnitDiffers)
        }
    };
    let (q_room, r_room) = (nonempty(q.room.as_deref()), nonempty(r.room));
    let same_room = matches!((q_room, r_room), (Some(a), Some(b)) if unit_eq(a, b));
    let (q_number, r_number) = (building_number(q.building.as_deref()), r.building_number);
    if same_room && split_elsewhere(q_number, r_number) {
        // `パレス桜8 301` and `パレス桜81301号` read as 81 + 301: the same room only by
        // where the glued digits were cut; the flat digits (8301, 81301) differ.
        return (Grade::Caution, Basis::UnitDiffers);
    }
    if !same_room
        && (q_room.is_some() || r_room.is_some())
        && same_flat_glued((q_number, q_room), (r_number, r_room))
    {
        return (Grade::Danger, Basis::SameFlat);
    }
    match (q_room, r_room) {
        (Some(a), Some(b)) => same_or_differs(a, b, Basis::SameRoom),
        (Some(_), None) | (None, Some(_)) => (Grade::Caution, Basis::UnitMissing),
        (None, None) => match (nonempty(q.floor.as_deref()), nonempty(r.floor)) {
            (Some(a), Some(b)) => same_or_differs(a, b, Basis::SameFloor),
            (Some(_), None) | (None, Some(_)) => (Grade::Caution, Basis::UnitMissing),
            (None, None) if qc.is_some() || rc.is_some() => (Grade::Caution, Basis::UnitMissing),
            (None, None) => (Grade::Danger, Basis::SameHouse),
        },
    }
}

/// The digits that end a building's name (`22` of `パレス桜22`), when it ends in digits.
///
/// ```
/// use banchi::watchlist::grade::building_number;
/// assert_eq!(building_number(Some("パレス桜22")), Some("22"));
/// assert_eq!(building_number(Some("第2コーポ")), None);
/// assert_eq!(building_number(None), None);
/// ```
pub fn building_number(building: Option<&str>) -> Option<&str> {
    let b = building?.trim_end();
    let head = b.trim_end_matches(|c: char| c.is_ascii_digit());
    b.get(head.len()..).filter(|digits| !digits.is_empty())
}

/// True when both sides have a building number, the two differ, and one begins the other
/// (`8` and `81`): the room may have been cut off a glued flat number at another place.
fn split_elsewhere(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a != b && (a.starts_with(b) || b.starts_with(a)),
        _ => false,
    }
}

/// Shortest glued flat number (building number + room) read as the same flat: below that,
/// `メゾン2`+`1` and `メゾン21` are too likely two different places.
const MIN_GLUED_DIGITS: usize = 4;

/// True when two (building number, room) readings spell one flat with the building's number
/// and the room split at different places: `22`+`1005` and `2`+`21005` (the parser's reading
/// of `パレス桜221005号`), or `221005`+none. Rooms must be all digits, at least one side must
/// have a building number, and the digits together must be [`MIN_GLUED_DIGITS`] or more.
fn same_flat_glued(a: (Option<&str>, Option<&str>), b: (Option<&str>, Option<&str>)) -> bool {
    let digits = |s: Option<&str>| s.is_none_or(|s| s.bytes().all(|c| c.is_ascii_digit()));
    if a.0.is_none() && b.0.is_none() {
        return false;
    }
    if !(digits(a.1) && digits(b.1)) {
        return false;
    }
    flat_digits(a).count() >= MIN_GLUED_DIGITS && flat_digits(a).eq(flat_digits(b))
}

/// Shortest number read either as the go or as the room after a 番地-only block: `21番地3号`
/// and `21 3号室` are too likely a house and a flat to be called one place.
const MIN_SWAPPED_DIGITS: usize = 3;

/// How the number after a 番地-only block was read on the query's side, when the other side
/// may have read it the other way (issue 25, class 1): `…東鷹匠町21番地103号` gives go 103,
/// `…東鷹匠町21 103号室` room 103 — one flat, two keys. The query's block with the go swapped
/// ([`swapped_keys`]) is looked up too, and a record there is the same flat when it holds the
/// number the other way ([`swapped_same_flat`]). Never when both sides have a go: a go
/// present on both is a real go, and two gos differ as blocks do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Swapped {
    /// The query has go N and no unit: a record at the block without a go whose room (or
    /// floor + room: `8階11号室` for 811) spells N.
    GoAsRoom,
    /// The query has no go and room N (or floor + room spelling N): a record at the block
    /// with go N and no unit.
    RoomAsGo,
}

/// True when `n` is all ASCII digits, does not start with 0 and has at least
/// [`MIN_SWAPPED_DIGITS`] of them.
fn swappable_number(n: &str) -> bool {
    n.len() >= MIN_SWAPPED_DIGITS && n.bytes().all(|b| b.is_ascii_digit()) && !n.starts_with('0')
}

/// True when a unit (floor, room) spells the number `n`: the room is `n`, or the floor
/// followed by a two-digit room is (`8` + `11` = 811, `1` + `3` = 103).
fn unit_spells(floor: Option<&str>, room: Option<&str>, n: &str) -> bool {
    let Some(room) = room.filter(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit())) else {
        return false;
    };
    if unit_eq(room, n) {
        return true;
    }
    let Some(floor) = floor.filter(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
    else {
        return false;
    };
    let Some(rest) = n.strip_prefix(floor) else {
        return false;
    };
    let room = room.trim_start_matches('0');
    rest.len() == 2 && !room.is_empty() && rest.trim_start_matches('0') == room
}

/// The number a query's unit spells for [`Swapped::RoomAsGo`]: its room, or its floor
/// followed by its room as two digits.
fn spelled_numbers(floor: Option<&str>, room: &str) -> SmallVec<[String; 2]> {
    let mut out = SmallVec::new();
    if !room.bytes().all(|b| b.is_ascii_digit()) || room.is_empty() {
        return out;
    }
    let room = room.trim_start_matches('0');
    if swappable_number(room) {
        out.push(room.to_owned());
    }
    if let Some(f) = floor.filter(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit())) {
        if !room.is_empty() && room.len() <= 2 {
            let n = format!("{f}{room:0>2}");
            if swappable_number(&n) && !out.contains(&n) {
                out.push(n);
            }
        }
    }
    out
}

/// The query's block read with the number after its banchi the other way (see
/// [`Swapped`]); empty when the query's unit and go do not allow it.
fn swapped_keys(addr: &Address, key: &BlockKey) -> SmallVec<[(BlockKey, Swapped); 2]> {
    let mut out = SmallVec::new();
    if nonempty(addr.customer_id.as_deref()).is_some() || matches!(key.banchi(), key::Part::None) {
        return out;
    }
    let (go, floor, room) = (
        nonempty(addr.go.as_deref()),
        nonempty(addr.floor.as_deref()),
        nonempty(addr.room.as_deref()),
    );
    match (go, room) {
        (Some(go), None) if floor.is_none() && swappable_number(go) => {
            out.push((key.with_go(None), Swapped::GoAsRoom));
        }
        (None, Some(room)) => {
            for n in spelled_numbers(floor, room) {
                out.push((key.with_go(Some(&n)), Swapped::RoomAsGo));
            }
        }
        _ => {}
    }
    out
}

/// True when a record at a [`swapped_keys`] block is the query's flat read the other way.
fn swapped_same_flat(how: Swapped, q: &Address, r: &RecordView<'_>) -> bool {
    if nonempty(r.customer_id).is_some() {
        return false;
    }
    match how {
        Swapped::GoAsRoom => {
            q.go.as_deref()
                .is_some_and(|go| unit_spells(nonempty(r.floor), nonempty(r.room), go.trim()))
        }
        Swapped::RoomAsGo => nonempty(r.room).is_none() && nonempty(r.floor).is_none(),
    }
}

/// The building number then the room, as one run of digits without leading zeros.
fn flat_digits<'a>(
    (number, room): (Option<&'a str>, Option<&'a str>),
) -> impl Iterator<Item = u8> + 'a {
    number
        .unwrap_or("")
        .bytes()
        .chain(room.unwrap_or("").bytes())
        .skip_while(|&c| c == b'0')
}

fn make_match(
    r: &RecordView<'_>,
    columns: &[String],
    grade: Grade,
    matched: Basis,
    distance: Option<u32>,
    block: String,
) -> Match {
    let metadata = Metadata(
        columns
            .iter()
            .zip(r.metadata())
            .filter_map(|(c, v)| v.map(|v| (c.clone(), v.to_owned())))
            .collect(),
    );
    Match {
        id: r.id.to_owned(),
        reason: r.reason.map(str::to_owned),
        grade,
        matched,
        distance,
        block,
        floor: r.floor.map(str::to_owned),
        room: r.room.map(str::to_owned),
        customer_id: r.customer_id.map(str::to_owned),
        service: r.service.map(str::to_owned),
        fallback: false,
        metadata,
    }
}

/// Where a scanned block lies from the query's.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// The query's own block.
    Same,
    /// A near block, with its banchi distance (0: same banchi, other go).
    Near(u32),
}

/// What [`Watchlist::walk_small_banchi`] found.
enum Walked {
    /// The query's block, with its FST value.
    Exact(u64),
    /// No exact block, but one within the near distance.
    Near,
    /// Nothing within the near distance.
    Nothing,
}

/// A block key met in a scan.
struct Seen<'k> {
    bytes: &'k [u8],
    /// Met in the fallback key space.
    fallback: bool,
}

/// Which way a list grades.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Fraud,
    Forwarder,
}

impl Watchlist {
    /// Grades `addr` against this list as a fraud list.
    ///
    /// An address that did not resolve to a block cannot match and gets no grade.
    pub fn screen_fraud(&self, addr: &Address, opts: &MatchOptions) -> ListResult {
        self.screen(addr, opts, Mode::Fraud)
    }

    /// Grades `addr` against this list as a forwarding-warehouse list.
    ///
    /// Besides listed blocks, any address with a customer ID (or the
    /// `trailing_customer_id` anomaly) is at least [`Grade::Possible`].
    pub fn screen_forwarder(&self, addr: &Address, opts: &MatchOptions) -> ListResult {
        let mut res = self.screen(addr, opts, Mode::Forwarder);
        if customer_id_signal(addr) {
            res.signals.push(Signal::TrailingCustomerId);
            res.raise(Grade::Possible);
        }
        res
    }

    /// Only the fraud grade of `addr`: the lookup without building the list of matches
    /// (same result as `screen_fraud(..).grade`): one FST range scan over the near blocks,
    /// stopped at the query's own block (danger / caution) or the first key past it.
    pub fn fraud_grade(&self, addr: &Address, opts: &MatchOptions) -> Option<Grade> {
        self.grade_only(addr, opts, Mode::Fraud)
    }

    /// Only the forwarder grade of `addr` (same result as `screen_forwarder(..).grade`).
    pub fn forwarder_grade(&self, addr: &Address, opts: &MatchOptions) -> Option<Grade> {
        let g = self.grade_only(addr, opts, Mode::Forwarder);
        if g.is_none() && customer_id_signal(addr) {
            return Some(Grade::Possible);
        }
        g
    }

    fn grade_only(&self, addr: &Address, opts: &MatchOptions, mode: Mode) -> Option<Grade> {
        let keys = BlockKey::for_query(addr, self.has_fallback());
        let mut worst = None;
        for (key, _) in keys.iter() {
            // The FST of a mapped file was walked whole when it was opened; the guard covers
            // a file crafted to pass that check (see `Watchlist::open_index`).
            if let Some(g) = fst_guard(|| self.grade_of(addr, key, opts, mode)).flatten() {
                raise(&mut worst, g);
            }
            let danger = |w: Option<Grade>| w.is_some_and(|g| g == Grade::Danger);
            if mode == Mode::Fraud
                && !danger(worst)
                && fst_guard(|| self.swapped_flat_listed(addr, key)).unwrap_or(false)
            {
                raise(&mut worst, Grade::Danger);
            }
            if worst.is_some_and(|g| g.severity() == Grade::Danger.severity()) {
                break;
            }
        }
        worst
    }

    fn grade_of(
        &self,
        addr: &Address,
        key: &BlockKey,
        opts: &MatchOptions,
        mode: Mode,
    ) -> Option<Grade> {
        // One range scan over the near blocks, which hold the query's own block too: most
        // queries miss their block, and a `get` before the scan would walk the FST twice.
        // Keys come in order, so the scan stops at the query's block or just past it.
        let near = match mode {
            Mode::Fraud => Grade::Warning,
            Mode::Forwarder => Grade::Possible,
        };
        if let Some(found) = self.walk_small_banchi(key, opts.near_distance) {
            return match found {
                Walked::Exact(value) => match mode {
                    Mode::Forwarder => Some(Grade::ForwardingService),
                    Mode::Fraud => {
                        let mut worst = None;
                        for r in self.block_records(value) {
                            raise(&mut worst, unit_grade(addr, &r).0);
                        }
                        worst
                    }
                },
                Walked::Near => Some(near),
                Walked::Nothing => None,
            };
        }
        let exact = key.as_bytes();
        let (lo, hi) = key.near_range(opts.near_distance);
        let mut stream = self.fst().range().ge(&lo).lt(&hi).into_stream();
        let mut seen_near = false;
        while let Some((k, value)) = stream.next() {
            match k.cmp(exact) {
                std::cmp::Ordering::Less => seen_near = true,
                std::cmp::Ordering::Equal => {
                    return match mode {
                        Mode::Forwarder => Some(Grade::ForwardingService),
                        Mode::Fraud => {
                            let mut worst = None;
                            for r in self.block_records(value) {
                                raise(&mut worst, unit_grade(addr, &r).0);
                            }
                            worst
                        }
                    };
                }
                std::cmp::Ordering::Greater => return Some(near),
            }
        }
        seen_near.then_some(near)
    }

    /// True when the query's block read with its number the other way ([`swapped_keys`])
    /// holds a record of the same flat: one exact lookup per reading, only for queries whose
    /// unit allows one.
    fn swapped_flat_listed(&self, addr: &Address, key: &BlockKey) -> bool {
        swapped_keys(addr, key).iter().any(|(alt, how)| {
            self.fst().get(alt.as_bytes()).is_some_and(|value| {
                self.block_records(value)
                    .any(|r| swapped_same_flat(*how, addr, &r))
            })
        })
    }

    /// The FST node below the query's town + chome + `TAG_NUM8` — whose transitions are the
    /// one-byte banchi of that town and chome — and the output so far, for the common case: a
    /// numeric banchi whose near range stays below 256, so that every near banchi is one byte
    /// after the same tag. `None` when the key is not of that shape (the caller scans the
    /// range instead); `Some(None)` when the FST holds no key with that head.
    fn small_banchi_node(&self, key: &BlockKey, distance: u32) -> Option<Option<BanchiNode<'_>>> {
        let n = key.banchi().number()?;
        if n.checked_add(distance)? > u32::from(u8::MAX) {
            return None;
        }
        let bytes = key.as_bytes();
        if bytes.get(key.chome_end()) != Some(&key::TAG_NUM8) {
            return None;
        }
        let fst = self.fst().as_fst();
        let head = key.chome_end() + 1;
        let mut node = fst.root();
        let mut out = fst::raw::Output::zero();
        for &b in &bytes[..head] {
            let Some(i) = node.find_input(b) else {
                return Some(None);
            };
            let t = node.transition(i);
            out = out.cat(t.out);
            node = fst.node(t.addr);
        }
        Some(Some(BanchiNode {
            at: (node, out),
            banchi: n,
            head,
        }))
    }

    /// The grade lookup for the small-banchi case (see [`Self::small_banchi_node`]) as a walk
    /// down the FST's nodes: the exact key's last bytes, else any transition within the near
    /// range. No stream, no allocation. `None` when the key is not of that shape.
    fn walk_small_banchi(&self, key: &BlockKey, distance: u32) -> Option<Walked> {
        let Some(BanchiNode {
            at: (banchis, out),
            banchi: n,
            head,
        }) = self.small_banchi_node(key, distance)?
        else {
            return Some(Walked::Nothing);
        };
        let fst = self.fst().as_fst();
        // `banchis`: the one-byte banchi of this town + chome. The query's own block first.
        let mut exact = Some((banchis, out));
        for &b in &key.as_bytes()[head..] {
            exact = exact.and_then(|(node, out)| {
                let t = node.transition(node.find_input(b)?);
                Some((fst.node(t.addr), out.cat(t.out)))
            });
        }
        if let Some((node, out)) = exact.filter(|(node, _)| node.is_final()) {
            return Some(Walked::Exact(out.cat(node.final_output()).value()));
        }
        // Any banchi within the distance (the query's own, with another go, included).
        let lo = n.saturating_sub(distance);
        let hi = n + distance;
        let near = banchis
            .transitions()
            .any(|t| (lo..=hi).contains(&u32::from(t.inp)));
        Some(if near { Walked::Near } else { Walked::Nothing })
    }

    /// Walks the query's block and the blocks near it — one FST range scan over the town +
    /// chome per key the query probes (exact, fallback; see [`super::key`]), in key order —
    /// calling `visit` with each block's key, FST value and place, until it breaks.
    fn scan_blocks(
        &self,
        addr: &Address,
        opts: &MatchOptions,
        mut visit: impl FnMut(Seen<'_>, u64, Place) -> ControlFlow<()>,
    ) {
        let keys = BlockKey::for_query(addr, self.has_fallback());
        for (key, fallback) in keys.iter() {
            let flow = fst_guard(|| {
                if let Some(found) = self.small_banchi_node(key, opts.near_distance) {
                    return match found {
                        Some(at) => {
                            self.visit_small(key, at, opts.near_distance, fallback, &mut visit)
                        }
                        None => ControlFlow::Continue(()),
                    };
                }
                let (lo, hi) = key.near_range(opts.near_distance);
                let mut stream = self.fst().range().ge(&lo).lt(&hi).into_stream();
                let query_banchi = key.banchi().number();
                while let Some((k, value)) = stream.next() {
                    let place = if k == key.as_bytes() {
                        Place::Same
                    } else {
                        Place::Near(match (query_banchi, key::banchi_number(k)) {
                            (Some(q), Some(n)) => q.abs_diff(n),
                            _ => 0,
                        })
                    };
                    let seen = Seen { bytes: k, fallback };
                    visit(seen, value, place)?;
                }
                ControlFlow::Continue(())
            });
            if flow.is_none_or(|f| f.is_break()) {
                return;
            }
        }
    }

    /// [`Self::scan_blocks`] for one key of the small-banchi shape, from its banchi node `at`:
    /// each transition within the near range, and every key below it depth first — the keys
    /// of the range scan, in the same (byte) order, without a stream's seek and buffers.
    fn visit_small(
        &self,
        key: &BlockKey,
        BanchiNode {
            at: (banchis, out),
            banchi: n,
            head,
        }: BanchiNode<'_>,
        distance: u32,
        fallback: bool,
        visit: &mut impl FnMut(Seen<'_>, u64, Place) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let fst = self.fst().as_fst();
        // Filled at the first banchi in range: most towns' banchi are all out of range.
        let mut bytes = Vec::new();
        for t in banchis.transitions() {
            let banchi = u32::from(t.inp);
            if banchi > n + distance {
                break;
            }
            if banchi + distance < n {
                continue;
            }
            if bytes.is_empty() {
                bytes.reserve(key.as_bytes().len() + 8);
                bytes.extend_from_slice(&key.as_bytes()[..head]);
            }
            bytes.push(t.inp);
            let below = (fst.node(t.addr), out.cat(t.out));
            let mut at_key = |k: &[u8], value: u64| {
                let place = if k == key.as_bytes() {
                    Place::Same
                } else {
                    Place::Near(n.abs_diff(banchi))
                };
                visit(Seen { bytes: k, fallback }, value, place)
            };
            visit_keys(fst, below, &mut bytes, &mut at_key)?;
            bytes.pop();
        }
        ControlFlow::Continue(())
    }

    fn screen(&self, addr: &Address, opts: &MatchOptions, mode: Mode) -> ListResult {
        // With no matches wanted, the grade-only walk (which stops at the first danger)
        // finds the same grade as the scan (tested). With matches wanted the scan is the
        // whole answer: it walks the FST once, allocates nothing for an address near no
        // record, and a grade-only walk before it would walk twice for every graded one.
        if opts.max_matches == 0 {
            let grade = self.grade_only(addr, opts, mode);
            return ListResult {
                grade,
                truncated: grade.is_some(),
                ..ListResult::default()
            };
        }
        self.scan_matches(addr, opts, mode)
    }

    /// Every record at the address's block and near it, graded, worst first, capped at
    /// `opts.max_matches` (at least 1).
    fn scan_matches(&self, addr: &Address, opts: &MatchOptions, mode: Mode) -> ListResult {
        let mut res = ListResult::default();
        // Candidates stay borrowed until the cap is applied: only listed matches allocate.
        let near_grade = match mode {
            Mode::Fraud => Grade::Warning,
            Mode::Forwarder => Grade::Possible,
        };
        // The blocks seen: their keys side by side in one buffer, (its range, fallback) each.
        let mut key_bytes: Vec<u8> = Vec::new();
        let mut keys: Vec<(std::ops::Range<usize>, bool)> = Vec::new();
        let mut found: Vec<(Grade, Basis, Option<u32>, usize, RecordView<'_>)> = Vec::new();
        // The query's blocks read with the number after the banchi the other way: met in the
        // scan as the same banchi with another go.
        let swappable =
            nonempty(addr.go.as_deref()).is_some() != nonempty(addr.room.as_deref()).is_some();
        let swapped: SmallVec<[(BlockKey, Swapped); 2]> = if mode == Mode::Fraud && swappable {
            BlockKey::for_query(addr, self.has_fallback())
                .iter()
                .flat_map(|(k, _)| swapped_keys(addr, k))
                .collect()
        } else {
            SmallVec::new()
        };
        self.scan_blocks(addr, opts, |seen, value, place| {
            let start = key_bytes.len();
            key_bytes.extend_from_slice(seen.bytes);
            keys.push((start..key_bytes.len(), seen.fallback));
            let block = keys.len() - 1;
            let how = swapped
                .iter()
                .find(|(k, _)| place == Place::Near(0) && k.as_bytes() == seen.bytes)
                .map(|(_, how)| *how);
            for r in self.block_records(value) {
                if how.is_some_and(|how| swapped_same_flat(how, addr, &r)) {
                    found.push((Grade::Danger, Basis::SameFlat, None, block, r));
                    continue;
                }
                let (grade, basis, dist) = match (place, mode) {
                    (Place::Same, Mode::Fraud) => {
                        let (g, b) = unit_grade(addr, &r);
                        (g, b, None)
                    }
                    (Place::Same, Mode::Forwarder) => {
                        (Grade::ForwardingService, Basis::SameBlock, None)
                    }
                    (Place::Near(0), _) => (near_grade, Basis::OtherGo, Some(0)),
                    (Place::Near(d), _) => (near_grade, Basis::NearBanchi, Some(d)),
                };
                found.push((grade, basis, dist, block, r));
            }
            ControlFlow::Continue(())
        });
        for f in &found {
            res.raise(f.0);
        }
        // Worst grade first, then closest; key order (the scan's) within a tie. Stable: the
        // records of one block keep their file order.
        found.sort_by_key(|f| (std::cmp::Reverse(f.0.severity()), f.2.unwrap_or(0)));
        if found.len() > opts.max_matches {
            found.truncate(opts.max_matches);
            res.truncated = true;
        }
        let columns = self.columns();
        let mut shown: Vec<Option<String>> = vec![None; keys.len()];
        res.matches = found
            .iter()
            .map(|(grade, basis, dist, block, r)| {
                let (key, fallback) = keys
                    .get(*block)
                    .and_then(|(range, f)| Some((key_bytes.get(range.clone())?, *f)))
                    .unwrap_or((&[][..], false));
                let text = shown[*block].get_or_insert_with(|| {
                    BlockParts::decode(key)
                        .map(|p| p.display())
                        .unwrap_or_default()
                });
                let mut m = make_match(r, columns, *grade, *basis, *dist, text.clone());
                m.fallback = fallback;
                m
            })
            .collect();
        res
    }
}

/// An FST node and the output accumulated on the way to it.
type FstAt<'f> = (fst::raw::Node<'f>, fst::raw::Output);

/// Where the one-byte banchi of a query's town + chome hang (see
/// [`Watchlist::small_banchi_node`]).
struct BanchiNode<'f> {
    /// The node after the query's town + chome + `TAG_NUM8`, and the output to it.
    at: FstAt<'f>,
    /// The query's banchi.
    banchi: u32,
    /// Bytes of the query's key up to that node (town + chome + tag).
    head: usize,
}

/// Calls `found(key, value)` for every key at or below `node` in byte order, `prefix` holding
/// the bytes that lead to it (restored on return).
fn visit_keys(
    fst: &fst::raw::Fst<super::Bytes>,
    (node, out): FstAt<'_>,
    prefix: &mut Vec<u8>,
    found: &mut impl FnMut(&[u8], u64) -> ControlFlow<()>,
) -> ControlFlow<()> {
    if node.is_final() {
        found(prefix, out.cat(node.final_output()).value())?;
    }
    for t in node.transitions() {
        prefix.push(t.inp);
        let flow = visit_keys(fst, (fst.node(t.addr), out.cat(t.out)), prefix, found);
        prefix.pop();
        flow?;
    }
    ControlFlow::Continue(())
}

/// Runs an FST traversal, turning a panic inside `fst` (possible only on FST bytes crafted to
/// pass the open-time checks) into `None` instead of a crash.
fn fst_guard<T>(f: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok()
}

fn raise(worst: &mut Option<Grade>, g: Grade) {
    if worst.is_none_or(|cur| g.severity() > cur.severity()) {
        *worst = Some(g);
    }
}

/// True when the address carries a forwarding-style customer ID.
fn customer_id_signal(addr: &Address) -> bool {
    nonempty(addr.customer_id.as_deref()).is_some() || addr.has(Anomaly::TrailingCustomerId)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::addr;
    use super::super::{Entry, ListKind, WatchlistBuilder};
    use super::*;

    fn list(kind: ListKind, rows: &[(&str, Address)]) -> Watchlist {
        let mut b = WatchlistBuilder::new(kind, vec!["memo".into()]);
        for (i, (id, a)) in rows.iter().enumerate() {
            let e = Entry {
                id: (*id).into(),
                reason: Some("chargeback".into()),
                service: (kind == ListKind::Forwarder).then(|| "DANKEBOX".into()),
                metadata: vec![format!("memo {id}")],
            };
            b.add(i as u64 + 2, &e, a).unwrap();
        }
        b.build().unwrap()
    }

    fn with_cid(mut a: Address, cid: &str) -> Address {
        a.customer_id = Some(cid.into());
        a.anomalies = vec![Anomaly::TrailingCustomerId];
        a
    }

    fn fraud_grade(l: &Watchlist, q: &Address) -> Option<Grade> {
        l.screen_fraud(q, &MatchOptions::default()).grade
    }

    /// What `scan_blocks` visits: (key, value, same block, distance).
    type Visits = Vec<(Vec<u8>, u64, bool, u32)>;

    fn scanned(l: &Watchlist, q: &Address, opts: &MatchOptions) -> Visits {
        let mut out = Vec::new();
        l.scan_blocks(q, opts, |seen, value, place| {
            let (same, d) = match place {
                Place::Same => (true, 0),
                Place::Near(d) => (false, d),
            };
            out.push((seen.bytes.to_vec(), value, same, d));
            ControlFlow::Continue(())
        });
        out
    }

    /// The reference: one FST range stream per probed key, as for any key shape.
    fn streamed(l: &Watchlist, q: &Address, opts: &MatchOptions) -> Visits {
        let mut out = Vec::new();
        for (key, _) in BlockKey::for_query(q, l.has_fallback()).iter() {
            let (lo, hi) = key.near_range(opts.near_distance);
            let mut stream = l.fst().range().ge(&lo).lt(&hi).into_stream();
            while let Some((k, value)) = stream.next() {
                let same = k == key.as_bytes();
                let d = match (key.banchi().number(), key::banchi_number(k)) {
                    (Some(a), Some(b)) if !same => a.abs_diff(b),
                    _ => 0,
                };
                out.push((k.to_vec(), value, same, d));
            }
        }
        out
    }

    #[test]
    fn the_node_walk_visits_what_the_range_scan_does() {
        // Blocks around the one-byte limit (255/256), several go and rooms per banchi, a text
        // banchi, and another chome.
        let mut rows = Vec::new();
        let mut n = 0;
        for banchi in [1u32, 2, 3, 5, 9, 250, 252, 253, 254, 255, 256, 257, 300] {
            for go in [None, Some("1"), Some("12"), Some("300")] {
                for room in [None, Some("101")] {
                    n += 1;
                    rows.push((
                        format!("F{n}"),
                        addr(Some(4), &banchi.to_string(), go, None, room),
                    ));
                }
            }
        }
        rows.push(("T1".into(), addr(Some(4), "イ", Some("2"), None, None)));
        rows.push(("C5".into(), addr(Some(5), "3", Some("1"), None, None)));
        let refs: Vec<(&str, Address)> =
            rows.iter().map(|(i, a)| (i.as_str(), a.clone())).collect();
        let l = list(ListKind::Fraud, &refs);
        let mut compared = 0;
        for distance in [0, 1, 2, 3, 10] {
            let opts = MatchOptions {
                near_distance: distance,
                ..MatchOptions::default()
            };
            for banchi in [
                0u32, 1, 2, 4, 6, 7, 245, 250, 251, 253, 254, 255, 256, 258, 400,
            ] {
                for go in [None, Some("1"), Some("2"), Some("300")] {
                    let q = addr(Some(4), &banchi.to_string(), go, None, Some("101"));
                    let want = streamed(&l, &q, &opts);
                    assert_eq!(
                        scanned(&l, &q, &opts),
                        want,
                        "banchi {banchi} go {go:?} d {distance}"
                    );
                    compared += want.len();
                }
            }
        }
        assert!(compared > 1000, "{compared} visits compared");
    }

    #[test]
    fn same_room_is_danger() {
        let l = list(
            ListKind::Fraud,
            &[("F1", addr(Some(4), "6", Some("16"), Some("3"), Some("301")))],
        );
        let r = l.screen_fraud(
            &addr(Some(4), "6", Some("16"), None, Some("0301")),
            &MatchOptions::default(),
        );
        assert_eq!(r.grade, Some(Grade::Danger));
        assert_eq!(r.matches.len(), 1);
        let m = &r.matches[0];
        assert_eq!((m.id.as_str(), m.matched), ("F1", Basis::SameRoom));
        assert_eq!(m.reason.as_deref(), Some("chargeback"));
        assert_eq!(m.block, "4-6-16");
        assert_eq!(
            m.metadata.0,
            vec![("memo".to_string(), "memo F1".to_string())]
        );
    }

    #[test]
    fn unit_rules() {
        let block = |f: Option<&str>, r: Option<&str>| addr(Some(1), "2", Some("3"), f, r);
        let cases: &[(Address, Address, Grade, Basis)] = &[
            (
                block(None, Some("101")),
                block(Some("1"), Some("102")),
                Grade::Caution,
                Basis::UnitDiffers,
            ),
            (
                block(None, Some("101")),
                block(None, None),
                Grade::Caution,
                Basis::UnitMissing,
            ),
            (
                block(None, None),
                block(None, Some("101")),
                Grade::Caution,
                Basis::UnitMissing,
            ),
            (
                block(Some("3"), None),
                block(Some("3"), None),
                Grade::Danger,
                Basis::SameFloor,
            ),
            (
                block(Some("b1"), None),
                block(Some("B1"), None),
                Grade::Danger,
                Basis::SameFloor,
            ),
            (
                block(Some("3"), None),
                block(Some("4"), None),
                Grade::Caution,
                Basis::UnitDiffers,
            ),
            (
                block(Some("3"), None),
                block(None, None),
                Grade::Caution,
                Basis::UnitMissing,
            ),
            (
                block(None, None),
                block(None, None),
                Grade::Danger,
                Basis::SameHouse,
            ),
            (
                with_cid(block(Some("3"), None), "PM1"),
                with_cid(block(Some("3"), None), "pm1"),
                Grade::Danger,
                Basis::SameCustomerId,
            ),
            (
                with_cid(block(Some("3"), None), "PM1"),
                with_cid(block(Some("3"), None), "PM2"),
                Grade::Caution,
                Basis::UnitDiffers,
            ),
            (
                with_cid(block(None, None), "PM1"),
                block(None, None),
                Grade::Caution,
                Basis::UnitMissing,
            ),
        ];
        for (listed, query, grade, basis) in cases {
            let l = list(ListKind::Fraud, &[("X", listed.clone())]);
            let r = l.screen_fraud(query, &MatchOptions::default());
            assert_eq!(r.grade, Some(*grade), "{listed:?} vs {query:?}");
            assert_eq!(r.matches[0].matched, *basis, "{listed:?} vs {query:?}");
        }
    }

    fn flat(building: Option<&str>, room: Option<&str>) -> Address {
        let mut a = addr(Some(4), "6", Some("16"), None, room);
        a.building = building.map(Into::into);
        a
    }

    #[test]
    fn a_building_number_glued_to_the_room_is_the_same_flat_both_ways() {
        // パレス桜22 1005号 against the parser's reading of パレス桜221005号 (パレス桜2, 21005)
        // and of パレス桜221005 (the whole number in the name, no room), each way round.
        let spaced = flat(Some("パレス桜22"), Some("1005"));
        let glued = flat(Some("パレス桜2"), Some("21005"));
        let no_room = flat(Some("パレス桜221005"), None);
        for (listed, query) in [
            (&spaced, &glued),
            (&glued, &spaced),
            (&spaced, &no_room),
            (&no_room, &spaced),
            (&glued, &no_room),
        ] {
            let l = list(ListKind::Fraud, &[("X", listed.clone())]);
            let r = l.screen_fraud(query, &MatchOptions::default());
            assert_eq!(r.grade, Some(Grade::Danger), "{listed:?} vs {query:?}");
            assert_eq!(r.matches[0].matched, Basis::SameFlat);
            assert_eq!(
                fraud_grade(&l, query),
                l.fraud_grade(query, &MatchOptions::default())
            );
        }
    }

    #[test]
    fn other_flats_of_a_numbered_building_stay_caution() {
        let o = MatchOptions::default();
        let cases = [
            // Another room of the same building.
            (
                flat(Some("パレス桜22"), Some("1005")),
                flat(Some("パレス桜22"), Some("1006")),
            ),
            // Digits that do not line up.
            (
                flat(Some("パレス桜22"), Some("1005")),
                flat(Some("パレス桜2"), Some("11005")),
            ),
            // Too short to tell メゾン2 room 1 from メゾン21.
            (
                flat(Some("メゾン2"), Some("1")),
                flat(Some("メゾン21"), None),
            ),
            // No building number on either side: rooms alone decide.
            (
                flat(Some("黒猫ハイツ"), Some("1005")),
                flat(None, Some("21005")),
            ),
            // A room that is not a number.
            (
                flat(Some("コーポ2"), Some("A1")),
                flat(Some("コーポ2A"), Some("1")),
            ),
            // パレス桜81301号 read as 81 + 301 against パレス桜8 301: the same room only by
            // where the glued digits were cut (8301 is not 81301).
            (
                flat(Some("パレス桜8"), Some("301")),
                flat(Some("パレス桜81"), Some("301")),
            ),
        ];
        for (listed, query) in &cases {
            for (a, b) in [(listed, query), (query, listed)] {
                let l = list(ListKind::Fraud, &[("X", a.clone())]);
                assert_eq!(l.fraud_grade(b, &o), Some(Grade::Caution), "{a:?} vs {b:?}");
            }
        }
        // The same room is danger whatever the building's number says (names are not compared).
        let l = list(
            ListKind::Fraud,
            &[("X", flat(Some("メゾン21"), Some("305")))],
        );
        let r = l.screen_fraud(&flat(Some("メゾン22"), Some("305")), &o);
        assert_eq!(
            (r.grade, r.matches[0].matched),
            (Some(Grade::Danger), Basis::SameRoom)
        );
    }

    #[test]
    fn a_go_read_as_the_room_after_a_banchi_only_block_is_the_same_flat() {
        let o = MatchOptions::default();
        // 21番地103号 (go 103, no unit) against 21 103号室 (no go, room 103), 21 1階3号室 and
        // 21 1階03号室; 33番811 against 33 8階11号室; each way round, both lookups.
        let pairs = [
            (
                addr(None, "21", Some("103"), None, None),
                addr(None, "21", None, None, Some("103")),
            ),
            (
                addr(None, "21", Some("103"), None, None),
                addr(None, "21", None, Some("1"), Some("3")),
            ),
            (
                addr(None, "21", Some("103"), None, None),
                addr(None, "21", None, Some("1"), Some("03")),
            ),
            (
                addr(None, "33", Some("811"), None, None),
                addr(None, "33", None, Some("8"), Some("11")),
            ),
            (
                addr(Some(4), "6", Some("1203"), None, None),
                addr(Some(4), "6", None, None, Some("1203")),
            ),
        ];
        for (go, room) in &pairs {
            for (listed, query) in [(go, room), (room, go)] {
                let l = list(ListKind::Fraud, &[("X", listed.clone())]);
                let r = l.screen_fraud(query, &o);
                assert_eq!(r.grade, Some(Grade::Danger), "{listed:?} vs {query:?}");
                assert_eq!(r.matches[0].matched, Basis::SameFlat);
                assert_eq!(l.fraud_grade(query, &o), Some(Grade::Danger));
            }
        }
    }

    #[test]
    fn a_real_go_on_both_sides_or_another_number_is_no_same_flat() {
        let o = MatchOptions::default();
        let cases = [
            // A go on both sides: 21-5 103号室 against 21番地103号 (two blocks of banchi 21).
            (
                addr(None, "21", Some("103"), None, None),
                addr(None, "21", Some("5"), None, Some("103")),
            ),
            // Another number: 33番811 against 33 812号室 (neighbours).
            (
                addr(None, "33", Some("811"), None, None),
                addr(None, "33", None, None, Some("812")),
            ),
            // Too short to tell a house 21-3 from room 3 at banchi 21.
            (
                addr(None, "21", Some("3"), None, None),
                addr(None, "21", None, None, Some("3")),
            ),
            // The listed go with a room of its own: 21-103 101号室 is another flat.
            (
                addr(None, "21", Some("103"), None, Some("101")),
                addr(None, "21", None, None, Some("103")),
            ),
            // Floor + room spelling another number.
            (
                addr(None, "21", Some("103"), None, None),
                addr(None, "21", None, Some("1"), Some("4")),
            ),
        ];
        for (a, b) in &cases {
            for (listed, query) in [(a, b), (b, a)] {
                let l = list(ListKind::Fraud, &[("X", listed.clone())]);
                let r = l.screen_fraud(query, &o);
                assert_ne!(r.grade, Some(Grade::Danger), "{listed:?} vs {query:?}");
                assert_eq!(l.fraud_grade(query, &o), r.grade, "{listed:?} vs {query:?}");
            }
        }
    }

    #[test]
    fn unit_spelling_of_a_number() {
        assert!(unit_spells(None, Some("103"), "103"));
        assert!(unit_spells(Some("8"), Some("11"), "811"));
        assert!(unit_spells(Some("1"), Some("3"), "103"));
        assert!(unit_spells(Some("10"), Some("03"), "1003"));
        assert!(!unit_spells(Some("1"), Some("3"), "13"));
        assert!(!unit_spells(Some("B1"), Some("03"), "103"));
        assert!(!unit_spells(Some("1"), Some("A3"), "103"));
        assert!(!unit_spells(Some("1"), None, "103"));
        assert_eq!(spelled_numbers(Some("8"), "11").as_slice(), ["811"]);
        assert_eq!(spelled_numbers(None, "0103").as_slice(), ["103"]);
        assert!(spelled_numbers(None, "12").is_empty());
        assert!(spelled_numbers(Some("2"), "A").is_empty());
    }

    /// A row of 銀座 whose town the parser did not place (kept as written, level city).
    fn unplaced(town: &str) -> Address {
        let mut a = addr(Some(4), "6", Some("16"), None, Some("301"));
        a.town = Some(town.into());
        a.level = crate::address::Level::City;
        a.anomalies = vec![Anomaly::UnknownTown];
        a
    }

    #[test]
    fn a_known_town_query_finds_a_row_its_parse_did_not_place() {
        let o = MatchOptions::default();
        // Listed with the town unplaced (older gazetteer or parser, odd notation): a query
        // that names the town plainly probes the fallback key of the gazetteer's name.
        let l = list(ListKind::Fraud, &[("U", unplaced("大字銀座"))]);
        let known = addr(Some(4), "6", Some("16"), None, Some("301"));
        let r = l.screen_fraud(&known, &o);
        assert_eq!(r.grade, Some(Grade::Danger));
        assert!(r.matches[0].fallback);
        assert_eq!(l.fraud_grade(&known, &o), Some(Grade::Danger));
        // Near blocks in the fallback space are warnings, as in the exact space.
        let near = addr(Some(4), "7", Some("1"), None, None);
        assert_eq!(l.fraud_grade(&near, &o), Some(Grade::Warning));
        assert_eq!(l.screen_fraud(&near, &o).grade, Some(Grade::Warning));
        // The other way round: listed under the gazetteer town, queried with the town
        // unplaced. The exact space holds gazetteer names only, which an unplaced town
        // does not name, so it does not match (the parser's job, not the index's).
        let l = list(
            ListKind::Fraud,
            &[("E", known.clone()), ("U", unplaced("架空"))],
        );
        assert_eq!(l.fraud_grade(&unplaced("大字銀座"), &o), None);
        assert_eq!(l.screen_fraud(&unplaced("大字銀座"), &o).grade, None);
        assert_eq!(l.fraud_grade(&unplaced("字架空"), &o), Some(Grade::Danger));
        // Without any fallback row the exact lookup is the only one.
        let l = list(ListKind::Fraud, &[("E", known.clone())]);
        assert!(!l.has_fallback());
        assert_eq!(l.fraud_grade(&known, &o), Some(Grade::Danger));
    }

    #[test]
    fn near_blocks_are_warnings() {
        let l = list(
            ListKind::Fraud,
            &[
                ("near", addr(Some(4), "8", Some("1"), None, None)),
                ("far", addr(Some(4), "9", Some("1"), None, None)),
                ("othergo", addr(Some(4), "6", Some("2"), None, None)),
                ("otherchome", addr(Some(5), "6", Some("16"), None, None)),
            ],
        );
        let r = l.screen_fraud(
            &addr(Some(4), "6", Some("16"), None, None),
            &MatchOptions::default(),
        );
        assert_eq!(r.grade, Some(Grade::Warning));
        let ids: Vec<_> = r
            .matches
            .iter()
            .map(|m| (m.id.as_str(), m.matched, m.distance))
            .collect();
        assert_eq!(
            ids,
            vec![
                ("othergo", Basis::OtherGo, Some(0)),
                ("near", Basis::NearBanchi, Some(2))
            ]
        );
        let wider = MatchOptions {
            near_distance: 3,
            ..MatchOptions::default()
        };
        assert_eq!(
            l.screen_fraud(&addr(Some(4), "6", Some("16"), None, None), &wider)
                .matches
                .len(),
            3
        );
    }

    #[test]
    fn worst_grade_wins_and_matches_are_ordered() {
        let l = list(
            ListKind::Fraud,
            &[
                ("n", addr(Some(1), "3", None, None, None)),
                ("c", addr(Some(1), "2", Some("3"), None, Some("102"))),
                ("d", addr(Some(1), "2", Some("3"), None, Some("101"))),
            ],
        );
        let r = l.screen_fraud(
            &addr(Some(1), "2", Some("3"), None, Some("101")),
            &MatchOptions::default(),
        );
        assert_eq!(r.grade, Some(Grade::Danger));
        let g: Vec<_> = r.matches.iter().map(|m| (m.id.as_str(), m.grade)).collect();
        assert_eq!(
            g,
            vec![
                ("d", Grade::Danger),
                ("c", Grade::Caution),
                ("n", Grade::Warning)
            ]
        );
    }

    #[test]
    fn nothing_near_is_none() {
        let l = list(
            ListKind::Fraud,
            &[("a", addr(Some(1), "2", Some("3"), None, None))],
        );
        assert_eq!(
            fraud_grade(&l, &addr(Some(2), "2", Some("3"), None, None)),
            None
        );
        assert_eq!(
            fraud_grade(&l, &addr(Some(1), "20", Some("3"), None, None)),
            None
        );
        let mut other_town = addr(Some(1), "2", Some("3"), None, None);
        other_town.town = Some("銀座西".into());
        assert_eq!(fraud_grade(&l, &other_town), None);
        let mut other_city = addr(Some(1), "2", Some("3"), None, None);
        other_city.city_code = Some("13101".into());
        assert_eq!(fraud_grade(&l, &other_city), None);
    }

    #[test]
    fn below_block_queries_get_no_grade() {
        let l = list(
            ListKind::Fraud,
            &[("a", addr(Some(1), "2", Some("3"), None, None))],
        );
        let mut q = addr(Some(1), "2", Some("3"), None, None);
        q.level = crate::address::Level::Town;
        assert_eq!(fraud_grade(&l, &q), None);
        q.banchi = None;
        q.level = crate::address::Level::Block;
        assert_eq!(fraud_grade(&l, &q), None);
    }

    #[test]
    fn text_banchi_matches_exactly_and_by_go() {
        let l = list(
            ListKind::Fraud,
            &[("a", addr(None, "イ", Some("3"), None, None))],
        );
        assert_eq!(
            fraud_grade(&l, &addr(None, "イ", Some("3"), None, None)),
            Some(Grade::Danger)
        );
        assert_eq!(
            fraud_grade(&l, &addr(None, "イ", Some("4"), None, None)),
            Some(Grade::Warning)
        );
        assert_eq!(
            fraud_grade(&l, &addr(None, "ロ", Some("3"), None, None)),
            None
        );
    }

    #[test]
    fn matches_are_capped() {
        let rows: Vec<(String, Address)> = (0..10)
            .map(|i| {
                (
                    format!("r{i}"),
                    addr(Some(1), "2", Some("3"), None, Some(&format!("{}", 100 + i))),
                )
            })
            .collect();
        let rows: Vec<(&str, Address)> =
            rows.iter().map(|(i, a)| (i.as_str(), a.clone())).collect();
        let l = list(ListKind::Fraud, &rows);
        let opts = MatchOptions {
            max_matches: 3,
            ..MatchOptions::default()
        };
        let r = l.screen_fraud(&addr(Some(1), "2", Some("3"), None, Some("109")), &opts);
        assert_eq!(r.grade, Some(Grade::Danger));
        assert_eq!(r.matches.len(), 3);
        assert!(r.truncated);
        assert_eq!(r.matches[0].id, "r9");
    }

    #[test]
    fn forwarder_grades() {
        let l = list(
            ListKind::Forwarder,
            &[("dankebox", addr(Some(1), "8", Some("17"), Some("3"), None))],
        );
        let o = MatchOptions::default();
        // Any unit and customer ID at the warehouse block.
        let q = with_cid(addr(Some(1), "8", Some("17"), Some("3"), None), "PM12345");
        let r = l.screen_forwarder(&q, &o);
        assert_eq!(r.grade, Some(Grade::ForwardingService));
        assert_eq!(r.matches[0].service.as_deref(), Some("DANKEBOX"));
        assert_eq!(r.signals, vec![Signal::TrailingCustomerId]);
        let r = l.screen_forwarder(&addr(Some(1), "8", Some("17"), None, Some("999")), &o);
        assert_eq!(r.grade, Some(Grade::ForwardingService));
        // Near the warehouse.
        let r = l.screen_forwarder(&addr(Some(1), "9", Some("1"), None, None), &o);
        assert_eq!(r.grade, Some(Grade::Possible));
        assert_eq!(r.matches[0].matched, Basis::NearBanchi);
        // Unlisted, with a customer ID.
        let r = l.screen_forwarder(
            &with_cid(addr(Some(3), "1", None, None, None), "LYF2266455"),
            &o,
        );
        assert_eq!(r.grade, Some(Grade::Possible));
        assert!(r.matches.is_empty());
        assert_eq!(r.signals, vec![Signal::TrailingCustomerId]);
        // Unlisted, nothing.
        assert_eq!(
            l.screen_forwarder(&addr(Some(3), "1", None, None, None), &o)
                .grade,
            None
        );
    }

    #[test]
    fn json_shape() {
        let l = list(
            ListKind::Fraud,
            &[("F1", addr(Some(4), "6", Some("16"), None, Some("301")))],
        );
        let r = l.screen_fraud(
            &addr(Some(4), "6", Some("16"), None, Some("301")),
            &MatchOptions::default(),
        );
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["grade"], "danger");
        assert_eq!(v["matches"][0]["id"], "F1");
        assert_eq!(v["matches"][0]["matched"], "same_room");
        assert_eq!(v["matches"][0]["metadata"]["memo"], "memo F1");
        assert!(v.get("signals").is_none());
        let none = serde_json::to_value(ListResult::default()).unwrap();
        assert_eq!(none, serde_json::json!({"grade": null, "matches": []}));
    }

    #[test]
    fn grade_only_lookups_agree_with_screening() {
        let l = list(
            ListKind::Fraud,
            &[
                ("a", addr(Some(1), "2", Some("3"), None, Some("101"))),
                ("b", addr(Some(1), "4", Some("1"), None, None)),
                ("c", addr(None, "イ", Some("1"), None, None)),
            ],
        );
        let o = MatchOptions::default();
        for q in [
            addr(Some(1), "2", Some("3"), None, Some("101")),
            addr(Some(1), "2", Some("3"), None, Some("102")),
            addr(Some(1), "2", Some("9"), None, None),
            addr(Some(1), "5", Some("9"), None, None),
            addr(Some(1), "9", Some("9"), None, None),
            addr(None, "イ", Some("2"), None, None),
            with_cid(addr(Some(7), "1", None, None, None), "PM1"),
        ] {
            assert_eq!(l.fraud_grade(&q, &o), l.screen_fraud(&q, &o).grade, "{q:?}");
            assert_eq!(
                l.forwarder_grade(&q, &o),
                l.screen_forwarder(&q, &o).grade,
                "{q:?}"
            );
            // `screen` scans when it lists matches and walks for the grade alone when it does
            // not: both must agree, hit or miss.
            for mode in [Mode::Fraud, Mode::Forwarder] {
                assert_eq!(
                    l.grade_only(&q, &o, mode),
                    l.scan_matches(&q, &o, mode).grade,
                    "{q:?}"
                );
            }
            // A cap of 0 takes the grade-only path: same grade and signals, no matches.
            let none = MatchOptions {
                max_matches: 0,
                ..o
            };
            for (full, bare) in [
                (l.screen_fraud(&q, &o), l.screen_fraud(&q, &none)),
                (l.screen_forwarder(&q, &o), l.screen_forwarder(&q, &none)),
            ] {
                assert_eq!(bare.grade, full.grade, "{q:?}");
                assert_eq!(bare.signals, full.signals, "{q:?}");
                assert!(bare.matches.is_empty());
                assert_eq!(bare.truncated, !full.matches.is_empty(), "{q:?}");
            }
        }
    }

    #[test]
    fn node_walk_agrees_with_the_range_scan() {
        // Banchi around the one-byte limit (255/256) and at 0..2, where the walk hands over to
        // the range scan or saturates; several gos per banchi; units on some.
        let mut rows = Vec::new();
        for (i, b) in [1u32, 2, 5, 9, 10, 100, 253, 254, 256, 258, 300]
            .iter()
            .enumerate()
        {
            for g in [1u32, 3] {
                let room = (i % 3 == 0).then_some("101");
                rows.push((
                    format!("r{i}-{g}"),
                    addr(Some(1), &b.to_string(), Some(&g.to_string()), None, room),
                ));
            }
        }
        let rows: Vec<(&str, Address)> =
            rows.iter().map(|(i, a)| (i.as_str(), a.clone())).collect();
        let fraud = list(ListKind::Fraud, &rows);
        let fw = list(ListKind::Forwarder, &rows);
        for near_distance in [0, 1, 2, 3] {
            let o = MatchOptions {
                near_distance,
                ..MatchOptions::default()
            };
            for b in (0u32..=12)
                .chain(95..=105)
                .chain(250..=262)
                .chain(296..=304)
            {
                for g in [None, Some("1"), Some("2"), Some("3")] {
                    for room in [None, Some("101"), Some("102")] {
                        let q = addr(Some(1), &b.to_string(), g, None, room);
                        assert_eq!(
                            fraud.fraud_grade(&q, &o),
                            fraud.screen_fraud(&q, &o).grade,
                            "{b}-{g:?} {room:?} d={near_distance}"
                        );
                        assert_eq!(
                            fw.forwarder_grade(&q, &o),
                            fw.screen_forwarder(&q, &o).grade,
                            "{b}-{g:?} d={near_distance}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn names_match_json() {
        for b in [
            Basis::SameRoom,
            Basis::SameFlat,
            Basis::SameFloor,
            Basis::SameCustomerId,
            Basis::SameHouse,
            Basis::UnitDiffers,
            Basis::UnitMissing,
            Basis::SameBlock,
            Basis::NearBanchi,
            Basis::OtherGo,
        ] {
            assert_eq!(serde_json::to_value(b).unwrap(), b.as_str());
        }
        let s = Signal::TrailingCustomerId;
        assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        for g in [
            Grade::Danger,
            Grade::Caution,
            Grade::Warning,
            Grade::ForwardingService,
            Grade::Possible,
        ] {
            assert_eq!(serde_json::to_value(g).unwrap(), g.as_str());
        }
    }

    #[test]
    fn labels() {
        assert_eq!(Grade::Danger.label_ja(), "★★★危険");
        assert_eq!(Grade::Caution.stars(), "★★");
        assert_eq!(Grade::Warning.label_ja(), "★警戒");
        assert_eq!(Grade::Possible.label_ja(), "海外転送サービスの可能性");
        assert_eq!(Grade::ForwardingService.to_string(), "forwarding_service");
    }
}
