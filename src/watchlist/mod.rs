//! Watchlists: past-fraud and forwarding-warehouse addresses, indexed by delivery block.
//!
//! A [`Watchlist`] is loaded from a list CSV (parsed with [`crate::Parser`], built in memory)
//! or memory-mapped from an index file written by [`Watchlist::write_index`]
//! (`banchi index build`). Either way it is one byte layout ([`table`]): an `fst::Map` from a
//! binary block key ([`key`]) to the records behind that block. Grading a parsed
//! [`Address`] against it ([`grade`]) is one FST range scan over the query's town + chome,
//! which yields its own block and the blocks near it, then a comparison of units on the few
//! records found — about a microsecond on a million-entry list.
//!
//! Submodules, one job each:
//! * [`key`] — the block key and its sort order;
//! * [`table`] — the body layout: FST + records;
//! * [`file`](mod@file) — the index file envelope (magic, version, checksum) and memory-mapping;
//! * [`load`] — reading a list CSV, row by row, in parallel;
//! * [`report`] — what loading did with each row;
//! * [`grade`] — grades, matches and the lookup itself;
//! * [`manage`] — the CS team's list file: add, disable, enable, with history;
//! * [`journal`] — recent edits appended beside a list CSV, applied by every reader;
//! * [`editor`] — edits of a big list without reading or rewriting it (through the journal);
//! * [`overlay`] — recent edits graded beside an index until it is rebuilt;
//! * [`atomic`] — crash-safe file replacement.
//!
//! Lists hold victims' addresses: nothing here logs or reports address text; row problems are
//! reported by line number.
//!
//! # Speed and size (1,000,000-entry fraud list, this project's 2-core machine, release)
//!
//! Figures from several runs on a shared machine (ranges reflect other builds running).
//!
//! | what | figure | how |
//! | --- | --- | --- |
//! | grade lookup of a parsed address ([`Watchlist::fraud_grade`]) | hit 1.1–1.5 µs, near 0.8–1.0 µs, miss 0.35–0.38 µs, mixed 0.58 µs | `cargo bench --bench watchlist` (`watchlist_1m/grade/*`) |
//! | lookup + owned list of matches ([`Watchlist::screen_fraud`]) | 4.4–5.7 µs with 4.4 matches per query (dense synthetic list), miss 0.9–1.1 µs | same bench, `watchlist_1m/matches/*` |
//! | opening the mapped index (CRC + walk of every block) | 170–195 ms | same bench, `watchlist_1m_open` |
//! | building the index from a 1M-line CSV (parsing on 2 threads) | 9.8–10.1 s, peak RSS 334 MB | see below |
//! | index file | 34.4 MB | |
//! | RSS of `banchi check --fraud fraud.idx` screening 200k addresses | 71 MB (3.0–3.6 s) | `/usr/bin/time -v` |
//!
//! ```text
//! cargo build --release --bin banchi --example gen_orders
//! target/release/examples/gen_orders --orders 0 --fraud 1000000 --dir /tmp/banchi-big
//! /usr/bin/time -v target/release/banchi index build /tmp/banchi-big/fraud.csv -o /tmp/banchi-big/fraud.idx
//! ```

pub mod atomic;
pub mod editor;
pub mod file;
pub mod grade;
pub mod journal;
pub mod key;
pub mod load;
pub mod manage;
pub mod overlay;
pub mod report;
pub mod table;

pub use crate::error::RejectReason;
pub use editor::{Folded, ListEditor};
pub use grade::{Basis, Grade, ListResult, Match, MatchOptions, Signal};
pub use manage::{ListFile, ReasonCode, StatusEdit};
pub use overlay::Overlay;
pub use report::{FallbackCounts, FallbackReason, LoadReport, RejectedRow};

use crate::address::{Address, Level};
use crate::error::WatchlistError;
use crate::parse::Parser;
use key::{BlockKey, KeyError, KeySpace};
use std::path::Path;
use std::sync::Arc;
use table::{BodyWriter, Layout, RecordFields, RecordView};

/// The forwarding-warehouse list shipped with the crate (`data/forwarders.csv`).
pub const BUNDLED_FORWARDERS_CSV: &str = include_str!("../../data/forwarders.csv");

/// What a list is for; decides the columns it needs and is stored in its index file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    /// Past-fraud delivery points.
    Fraud,
    /// Overseas forwarding-service warehouses (needs a `service` column).
    Forwarder,
}

impl ListKind {
    pub(crate) fn code(self) -> u8 {
        match self {
            ListKind::Fraud => 0,
            ListKind::Forwarder => 1,
        }
    }

    pub(crate) fn from_code(b: u8) -> Option<ListKind> {
        match b {
            0 => Some(ListKind::Fraud),
            1 => Some(ListKind::Forwarder),
            _ => None,
        }
    }

    /// `fraud` or `forwarder`.
    pub fn as_str(self) -> &'static str {
        match self {
            ListKind::Fraud => "fraud",
            ListKind::Forwarder => "forwarder",
        }
    }
}

/// Bytes a list reads from: its own buffer, or a memory-mapped index file.
#[derive(Debug)]
enum Backing {
    Owned(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl AsRef<[u8]> for Backing {
    fn as_ref(&self) -> &[u8] {
        match self {
            Backing::Owned(v) => v,
            Backing::Mapped(m) => m,
        }
    }
}

/// A range of a shared backing, handed to `fst::Map`.
#[derive(Debug, Clone)]
pub(crate) struct Bytes {
    backing: Arc<Backing>,
    range: std::ops::Range<usize>,
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        self.backing
            .as_ref()
            .as_ref()
            .get(self.range.clone())
            .unwrap_or(&[])
    }
}

/// A loaded watchlist: immutable, `Send + Sync`, cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Watchlist {
    body: Bytes,
    layout: Layout,
    fst: fst::Map<Bytes>,
}

impl Watchlist {
    /// Opens the body bytes at `range` of `backing`.
    fn from_backing(
        backing: Backing,
        range: std::ops::Range<usize>,
    ) -> Result<Watchlist, WatchlistError> {
        let backing = Arc::new(backing);
        let body = Bytes {
            backing: Arc::clone(&backing),
            range: range.clone(),
        };
        let layout = Layout::read(body.as_ref())?;
        let fst_bytes = Bytes {
            backing,
            range: range.start + layout.fst.start..range.start + layout.fst.end,
        };
        let fst = fst::Map::new(fst_bytes).map_err(|_| {
            crate::error::IndexError::Malformed("the block index (fst) is not readable")
        })?;
        Ok(Watchlist { body, layout, fst })
    }

    /// Walks every block of the FST and every record behind it: keys must be block keys,
    /// values must point at whole runs of records, and the records must add up to the count
    /// in the header. Run on every index file opened, so a file that passed the checksum but
    /// was not written by banchi is refused here rather than misread later. A panic inside
    /// `fst` on crafted bytes is caught and reported as malformed.
    fn validate(&self) -> Result<(), crate::error::IndexError> {
        use crate::error::IndexError::Malformed;
        use fst::{IntoStreamer, Streamer};
        use rayon::prelude::*;
        // Keys by their first byte, on all cores: a 1M-record index opens in half the time.
        let walk_range = |first: u8| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let range = self.fst.range().ge([first]);
                let mut stream = match first.checked_add(1) {
                    Some(next) => range.lt([next]).into_stream(),
                    None => range.into_stream(),
                };
                let mut records = 0usize;
                while let Some((k, value)) = stream.next() {
                    if key::BlockParts::decode(k).is_none() {
                        return Err(Malformed("a block key does not decode"));
                    }
                    let want = (value & table::MAX_BLOCK_RECORDS as u64) as usize;
                    if want == 0 || self.block_records(value).count() != want {
                        return Err(Malformed("a block points at missing or broken records"));
                    }
                    records += want;
                }
                Ok(records)
            }))
            .unwrap_or(Err(Malformed("the block index (fst) is corrupt")))
        };
        let walk = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let records = (0..=u8::MAX)
                .into_par_iter()
                .map(walk_range)
                .try_reduce(|| 0, |a, b| Ok(a + b))?;
            if records != self.len() {
                return Err(Malformed(
                    "the blocks do not hold the header's record count",
                ));
            }
            Ok(())
        }));
        walk.unwrap_or(Err(Malformed("the block index (fst) is corrupt")))
    }

    /// Loads a list CSV from `path` with its edit journal applied ([`journal::read_list`]),
    /// parsing every address with `parser` (in parallel).
    ///
    /// See [`load`] for the columns. Rows that do not resolve to a block are counted in
    /// [`Watchlist::report`], never dropped silently.
    pub fn from_csv_path(
        path: &Path,
        kind: ListKind,
        parser: &Parser,
    ) -> Result<Watchlist, WatchlistError> {
        let list = journal::read_list(path)?;
        if list.is_absent() {
            return Err(WatchlistError::Io {
                path: path.to_owned(),
                source: std::io::ErrorKind::NotFound.into(),
            });
        }
        load::read_csv(&list.bytes, kind, parser)?.build()
    }

    /// Loads a list CSV from any reader (see [`Watchlist::from_csv_path`]).
    ///
    /// ```
    /// use banchi::watchlist::{ListKind, Watchlist};
    /// let csv = "id,address,reason\nF1,東京都中央区銀座4-6-16-301,chargeback\n";
    /// let list = Watchlist::from_csv_reader(csv.as_bytes(), ListKind::Fraud, &banchi::Parser::new())?;
    /// assert_eq!(list.report().rows, 1);
    /// # Ok::<(), banchi::error::WatchlistError>(())
    /// ```
    pub fn from_csv_reader<R: std::io::Read>(
        mut reader: R,
        kind: ListKind,
        parser: &Parser,
    ) -> Result<Watchlist, WatchlistError> {
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .map_err(|source| WatchlistError::Io {
                path: "<reader>".into(),
                source,
            })?;
        load::read_csv(&bytes, kind, parser)?.build()
    }

    /// Memory-maps an index file written by [`Watchlist::write_index`]; refuses a foreign,
    /// truncated or corrupt file with [`crate::error::IndexError`].
    ///
    /// Besides the envelope checks (magic, version, length, CRC-32), every block and record
    /// is walked once (tens of milliseconds per million entries), so lookups never meet a
    /// malformed part later.
    pub fn open_index(path: &Path) -> Result<Watchlist, WatchlistError> {
        let (map, range) = file::map_index(path)?;
        let list = Self::from_backing(Backing::Mapped(map), range)?;
        list.validate()?;
        Ok(list)
    }

    /// Opens an index image held in memory (the bytes [`Watchlist::index_image`] gives, as
    /// an index file holds them), with the same checks as [`Watchlist::open_index`]: a
    /// foreign, truncated, altered or older image is refused with [`crate::error::IndexError`].
    ///
    /// ```
    /// use banchi::watchlist::{ListKind, Watchlist};
    /// let csv = "id,address\nF1,東京都中央区銀座4-6-16-301\n";
    /// let list = Watchlist::from_csv_reader(csv.as_bytes(), ListKind::Fraud, &banchi::Parser::new())?;
    /// let copy = Watchlist::from_index_image(list.index_image())?;
    /// assert_eq!(copy.len(), 1);
    /// let mut altered = list.index_image();
    /// let last = altered.len() - 1;
    /// altered[last] ^= 1;
    /// assert!(Watchlist::from_index_image(altered).is_err());
    /// # Ok::<(), banchi::error::WatchlistError>(())
    /// ```
    pub fn from_index_image(image: Vec<u8>) -> Result<Watchlist, WatchlistError> {
        let range = file::check(&image)?;
        let list = Self::from_backing(Backing::Owned(image), range)?;
        list.validate()?;
        Ok(list)
    }

    /// This list as the bytes of an index file (envelope + body), for
    /// [`Watchlist::from_index_image`].
    pub fn index_image(&self) -> Vec<u8> {
        file::image(self.body.as_ref())
    }

    /// Opens `path` as an index file if it starts with the index magic bytes, else as a CSV.
    pub fn open(path: &Path, kind: ListKind, parser: &Parser) -> Result<Watchlist, WatchlistError> {
        if file::looks_like_index(path)? {
            Self::open_index(path)
        } else {
            Self::from_csv_path(path, kind, parser)
        }
    }

    /// The bundled forwarding-warehouse list (`data/forwarders.csv`).
    pub fn bundled_forwarders(parser: &Parser) -> Result<Watchlist, WatchlistError> {
        Self::from_csv_reader(
            BUNDLED_FORWARDERS_CSV.as_bytes(),
            ListKind::Forwarder,
            parser,
        )
    }

    /// Writes this list as an index file, atomically (temp file, fsync, rename, fsync dir).
    pub fn write_index(&self, path: &Path) -> Result<(), WatchlistError> {
        file::write_index(path, self.body.as_ref())
    }

    /// Fraud or forwarder.
    pub fn kind(&self) -> ListKind {
        self.layout.kind
    }

    /// Number of indexed records.
    pub fn len(&self) -> usize {
        self.layout.records
    }

    /// True when no record is indexed.
    pub fn is_empty(&self) -> bool {
        self.layout.records == 0
    }

    /// Number of distinct blocks.
    pub fn blocks(&self) -> usize {
        self.fst.len()
    }

    /// What loading did with the rows of the source CSV.
    pub fn report(&self) -> &LoadReport {
        &self.layout.report
    }

    /// True when some row is indexed under a fallback key: queries then probe the fallback
    /// key space too (see [`key`]).
    pub fn has_fallback(&self) -> bool {
        self.layout.report.fallback.total() > 0
    }

    /// The metadata columns, in file order.
    pub fn columns(&self) -> &[String] {
        &self.layout.columns
    }

    /// Bytes of the body (FST + records).
    pub fn body_size(&self) -> usize {
        self.body.range.len()
    }

    /// The records of the block whose FST value is `value`.
    pub(crate) fn block_records(&self, value: u64) -> impl Iterator<Item = RecordView<'_>> + '_ {
        let blob = self
            .body
            .as_ref()
            .get(self.layout.blob.clone())
            .unwrap_or(&[]);
        table::block_records(blob, value)
    }

    pub(crate) fn fst(&self) -> &fst::Map<Bytes> {
        &self.fst
    }
}

/// The fields of one list entry besides its address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    /// Unique id.
    pub id: String,
    /// Reason code or text.
    pub reason: Option<String>,
    /// Forwarding-service name (forwarder lists).
    pub service: Option<String>,
    /// One value per metadata column of the builder (empty = not given).
    pub metadata: Vec<String>,
}

/// Why a parsed address cannot be indexed, from what its key lacks.
pub(crate) fn reject_reason(e: KeyError, addr: &Address) -> RejectReason {
    match e {
        KeyError::Nul => RejectReason::NulCharacter,
        KeyError::NoCity => RejectReason::NoMunicipality(addr.level.min(Level::Prefecture)),
        KeyError::NoTown | KeyError::NoBanchi => RejectReason::NoBlockNumber(addr.level),
        KeyError::Ambiguous => RejectReason::AmbiguousMunicipality,
    }
}

/// One encoded list row: block key, record, and the fallback reason when it took a
/// fallback key.
#[derive(Debug)]
pub(crate) struct Encoded {
    key: Vec<u8>,
    record: Vec<u8>,
    fallback: Option<FallbackReason>,
}

/// Builds a [`Watchlist`] from entries and their parsed addresses.
///
/// [`load`] drives it from a CSV; programs that hold parsed addresses already (tests,
/// benchmarks, importers) can feed it directly.
#[derive(Debug)]
pub struct WatchlistBuilder {
    kind: ListKind,
    columns: Vec<String>,
    items: Vec<(Vec<u8>, Vec<u8>)>,
    report: LoadReport,
}

impl WatchlistBuilder {
    /// An empty builder with these metadata columns.
    pub fn new(kind: ListKind, columns: Vec<String>) -> Self {
        WatchlistBuilder {
            kind,
            columns,
            items: Vec::new(),
            report: LoadReport::default(),
        }
    }

    /// Encodes one entry: its block key (exact or fallback, see [`key`]) and record. Pure, so
    /// rows can be encoded in parallel.
    pub(crate) fn encode(entry: &Entry, addr: &Address) -> Result<Encoded, RejectReason> {
        if entry.id.is_empty() {
            return Err(RejectReason::EmptyId);
        }
        let (key, space) = BlockKey::for_list(addr).map_err(|e| reject_reason(e, addr))?;
        let mut rec = Vec::with_capacity(32);
        table::encode_record(
            &RecordFields {
                id: &entry.id,
                reason: entry.reason.as_deref(),
                floor: addr.floor.as_deref(),
                room: addr.room.as_deref(),
                customer_id: addr.customer_id.as_deref(),
                service: entry.service.as_deref(),
                building_number: grade::building_number(addr.building.as_deref()),
            },
            &entry.metadata,
            &mut rec,
        );
        Ok(Encoded {
            key: key.as_bytes().to_vec(),
            record: rec,
            fallback: match space {
                KeySpace::Exact => None,
                KeySpace::Fallback(r) => Some(r),
            },
        })
    }

    /// Adds an entry found on CSV line `line`; a row that cannot be indexed is recorded as
    /// rejected (and the reason returned). `Ok` says whether it took a fallback key.
    pub fn add(
        &mut self,
        line: u64,
        entry: &Entry,
        addr: &Address,
    ) -> Result<Option<FallbackReason>, RejectReason> {
        let encoded = Self::encode(entry, addr);
        self.push(line, encoded)
    }

    pub(crate) fn push(
        &mut self,
        line: u64,
        encoded: Result<Encoded, RejectReason>,
    ) -> Result<Option<FallbackReason>, RejectReason> {
        self.report.rows += 1;
        match encoded {
            Ok(e) => {
                if let Some(r) = e.fallback {
                    self.report.fallback.add(r);
                }
                self.items.push((e.key, e.record));
                Ok(e.fallback)
            }
            Err(reason) => {
                self.report.rejected.push(RejectedRow { line, reason });
                Err(reason)
            }
        }
    }

    /// Records a row that is kept in the file but disabled.
    pub fn add_disabled(&mut self) {
        self.report.rows += 1;
        self.report.disabled += 1;
    }

    /// Records a rejected row.
    pub fn reject(&mut self, line: u64, reason: RejectReason) {
        self.report.rows += 1;
        self.report.rejected.push(RejectedRow { line, reason });
    }

    /// Sorts, indexes and lays out the list in memory.
    pub fn build(mut self) -> Result<Watchlist, WatchlistError> {
        use rayon::slice::ParallelSliceMut;
        // Stable: records of one block keep their file order.
        self.items.par_sort_by(|a, b| a.0.cmp(&b.0));
        self.report.indexed = self.items.len() as u64;
        let blob_len: usize = self.items.iter().map(|(_, r)| r.len() + 4).sum();
        let mut blob = Vec::with_capacity(blob_len);
        let mut fst = fst::MapBuilder::memory();
        let mut start = 0usize;
        while start < self.items.len() {
            let key = &self.items[start].0;
            let count = self.items[start..]
                .iter()
                .take_while(|(k, _)| k == key)
                .count();
            let value =
                table::block_value(blob.len() as u64, count).ok_or(WatchlistError::TooLarge)?;
            fst.insert(key, value)
                .map_err(|e| WatchlistError::Fst(e.to_string()))?;
            for (_, rec) in &self.items[start..start + count] {
                table::frame_record(rec, &mut blob);
            }
            start += count;
        }
        let fst = fst
            .into_inner()
            .map_err(|e| WatchlistError::Fst(e.to_string()))?;
        let records = self.items.len();
        drop(self.items);
        let body = BodyWriter::write(self.kind, &self.columns, &self.report, &fst, records, &blob);
        drop(blob);
        let len = body.len();
        Watchlist::from_backing(Backing::Owned(body), 0..len)
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Address values for unit tests, built by hand (the parser is not needed).
    use crate::address::{Address, Level};

    /// A fictional address in 13102 (中央区) 銀座 with the given parts.
    pub fn addr(
        chome: Option<u32>,
        banchi: &str,
        go: Option<&str>,
        floor: Option<&str>,
        room: Option<&str>,
    ) -> Address {
        let mut a = Address {
            prefecture: Some("東京都".into()),
            city: Some("中央区".into()),
            city_code: Some("13102".into()),
            town: Some("銀座".into()),
            chome,
            banchi: Some(banchi.into()),
            go: go.map(Into::into),
            floor: floor.map(Into::into),
            room: room.map(Into::into),
            level: Level::Block,
            ..Address::default()
        };
        if a.floor.is_some() || a.room.is_some() {
            a.level = Level::Unit;
        }
        a.key = a.compute_key();
        a
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::addr;
    use super::*;

    fn entry(id: &str) -> Entry {
        Entry {
            id: id.into(),
            reason: Some("chargeback".into()),
            ..Entry::default()
        }
    }

    #[test]
    fn builder_counts_every_row() {
        let mut b = WatchlistBuilder::new(ListKind::Fraud, vec![]);
        b.add(
            2,
            &entry("a"),
            &addr(Some(4), "6", Some("16"), None, Some("301")),
        )
        .unwrap();
        b.add(
            3,
            &entry("b"),
            &addr(Some(4), "6", Some("16"), None, Some("302")),
        )
        .unwrap();
        let mut town_only = addr(Some(4), "6", None, None, None);
        town_only.banchi = None;
        town_only.level = Level::Town;
        assert_eq!(
            b.add(4, &entry("c"), &town_only),
            Err(RejectReason::NoBlockNumber(Level::Town))
        );
        assert_eq!(
            b.add(5, &entry(""), &addr(Some(1), "1", None, None, None)),
            Err(RejectReason::EmptyId)
        );
        b.add_disabled();
        let list = b.build().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list.blocks(), 1);
        let r = list.report();
        assert_eq!(
            (r.rows, r.indexed, r.disabled, r.rejected.len()),
            (5, 2, 1, 2)
        );
        assert_eq!(r.rejected[0].line, 4);
        assert!(r.is_consistent());
    }

    #[test]
    fn builder_takes_fallback_keys_and_says_why_it_rejects() {
        use crate::address::Anomaly;
        let mut b = WatchlistBuilder::new(ListKind::Fraud, vec![]);
        let mut unknown = addr(None, "456", None, None, None);
        unknown.town = Some("大字架空字北沢".into());
        unknown.level = Level::City;
        unknown.anomalies = vec![Anomaly::UnknownTown];
        assert_eq!(
            b.add(2, &entry("u"), &unknown),
            Ok(Some(FallbackReason::UnknownTown))
        );
        let mut missing = unknown.clone();
        missing.town = None;
        missing.anomalies = vec![Anomaly::MissingTown];
        assert_eq!(
            b.add(3, &entry("m"), &missing),
            Ok(Some(FallbackReason::MissingTown))
        );
        assert_eq!(
            b.add(4, &entry("e"), &addr(Some(1), "1", None, None, None)),
            Ok(None)
        );
        let mut ambiguous = unknown.clone();
        ambiguous.anomalies.push(Anomaly::Ambiguous);
        assert_eq!(
            b.add(5, &entry("a"), &ambiguous),
            Err(RejectReason::AmbiguousMunicipality)
        );
        let mut no_block = unknown.clone();
        no_block.banchi = None;
        assert_eq!(
            b.add(6, &entry("b"), &no_block),
            Err(RejectReason::NoBlockNumber(Level::City))
        );
        let mut no_city = unknown.clone();
        no_city.city_code = None;
        no_city.level = Level::Prefecture;
        assert_eq!(
            b.add(7, &entry("c"), &no_city),
            Err(RejectReason::NoMunicipality(Level::Prefecture))
        );
        let list = b.build().unwrap();
        assert!(list.has_fallback());
        let r = list.report();
        assert_eq!(
            (r.rows, r.indexed, r.exact(), r.rejected.len()),
            (6, 3, 1, 3)
        );
        assert_eq!(
            r.fallback,
            FallbackCounts {
                unknown_town: 1,
                missing_town: 1
            }
        );
        // The counts survive the body layout (what an index file stores).
        let body = list.body.as_ref().to_vec();
        let len = body.len();
        let reread = Watchlist::from_backing(Backing::Owned(body), 0..len).unwrap();
        assert_eq!(reread.report(), r);
        // The same text in another notation finds the row; the known town's key does not.
        let mut query = unknown.clone();
        query.town = Some("架空北澤".into());
        let o = MatchOptions::default();
        assert_eq!(list.fraud_grade(&query, &o), Some(Grade::Danger));
        assert!(list.screen_fraud(&query, &o).matches[0].fallback);
        assert_eq!(list.fraud_grade(&missing, &o), Some(Grade::Danger));
    }

    #[test]
    fn empty_list_builds() {
        let list = WatchlistBuilder::new(ListKind::Fraud, vec![])
            .build()
            .unwrap();
        assert!(list.is_empty());
        assert_eq!(list.blocks(), 0);
    }

    #[test]
    fn watchlist_is_send_sync() {
        fn check<T: Send + Sync>() {}
        check::<Watchlist>();
    }
}

#[cfg(test)]
mod mutation_tests {
    use super::test_support::addr;
    use super::*;

    /// Bodies that pass the checksum but were written by someone else (every single-byte
    /// change of a real body) must open with an error or answer lookups without panicking.
    #[test]
    fn mutated_bodies_never_panic() {
        let mut b = WatchlistBuilder::new(ListKind::Fraud, vec!["memo".into()]);
        for (i, banchi) in ["1", "2", "3", "イ"].iter().enumerate() {
            let e = Entry {
                id: format!("id{i}"),
                reason: Some("chargeback".into()),
                service: None,
                metadata: vec!["m".into()],
            };
            b.add(
                i as u64 + 2,
                &e,
                &addr(Some(1), banchi, Some("2"), None, Some("101")),
            )
            .unwrap();
        }
        let good = b.build().unwrap();
        let body = good.body.as_ref().to_vec();
        let queries = [
            addr(Some(1), "2", Some("2"), None, Some("101")),
            addr(Some(1), "イ", Some("2"), None, None),
            addr(Some(1), "9", None, None, None),
        ];
        for i in 0..body.len() {
            for flip in [0x01u8, 0x80, 0xFF] {
                let mut bad = body.clone();
                bad[i] ^= flip;
                let len = bad.len();
                let opened = Watchlist::from_backing(Backing::Owned(bad), 0..len)
                    .and_then(|l| l.validate().map(|()| l).map_err(Into::into));
                if let Ok(list) = opened {
                    for q in &queries {
                        let _ = list.screen_fraud(q, &MatchOptions::default());
                        let _ = list.fraud_grade(q, &MatchOptions::default());
                    }
                }
            }
        }
    }
}
