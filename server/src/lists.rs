//! The lists a server screens against, loaded as one unit with their version.
//!
//! A [`LoadedLists`] is immutable: a [`banchi::Screener`] over the fraud list and the
//! forwarder list plus `lists_version`. The server holds it behind an `ArcSwap`
//! ([`crate::state::AppState`]); a reload builds a new one off the request path and swaps it
//! in, so a request works on one version from start to end and reports that version.
//!
//! `lists_version` is `f<v>-w<v>`: for each list given as CSV, the digest of its content
//! read with its edit journal applied ([`banchi::watchlist::journal::Digest`]: a hash of
//! every row's cells, not of the bytes); for an index file, the CRC-32 of its bytes; `-` when
//! there is no fraud list. It changes with any edit (an API edit appends to the journal,
//! `banchi list` rewrites the CSV), the same entries give the same version after a restart,
//! and folding the journal into the CSV keeps it.
//!
//! An edit through the API does not rebuild the lists: [`LoadedLists::with_edits`] makes a
//! new `LoadedLists` sharing the same base lists with an [`Overlay`] of the rows edited since
//! they were read, and the version of the file as the edit wrote it (see [`crate::edits`]).

use banchi::config::Config;
use banchi::watchlist::{journal, ListKind, Overlay, Watchlist, BUNDLED_FORWARDERS_CSV};
use banchi::{Parser, Screener};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the lists come from.
#[derive(Debug, Clone, Default)]
pub struct ListSources {
    /// Fraud list file (CSV or index), if any.
    pub fraud: Option<PathBuf>,
    /// Forwarder list file; `None` = the bundled list.
    pub forwarders: Option<PathBuf>,
}

/// One list's figures for `/readyz`, `/metrics` and `/`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ListInfo {
    /// `fraud` or `forwarders`.
    pub list: &'static str,
    /// Indexed entries.
    pub entries: usize,
    /// Digest of the list's content (a CSV's with its journal), or CRC-32 of an index
    /// file's bytes, hex.
    pub version: String,
    /// True when loaded from an index file (read-only).
    pub index: bool,
    /// Entries edited through the API since the list was indexed: graded from an overlay
    /// until the background rebuild folds them in.
    pub pending_edits: usize,
}

impl ListInfo {
    /// The figures of `list`, just read as `which` (`crc` its version, `index` whether from an
    /// index file): no edit pending yet.
    fn loaded(which: Which, list: &Watchlist, crc: u32, index: bool) -> ListInfo {
        ListInfo {
            list: which.name(),
            entries: list.len(),
            version: format!("{crc:08x}"),
            index,
            pending_edits: 0,
        }
    }
}

/// The loaded lists (see the module documentation).
#[derive(Debug)]
pub struct LoadedLists {
    /// Parser + lists + match options.
    pub screener: Screener,
    /// `lists_version` of every answer screened on these lists.
    pub version: String,
    /// Per-list figures.
    pub info: Vec<ListInfo>,
    /// CRC-32 of the fraud list file (`None`: no fraud list).
    fraud_crc: Option<u32>,
    /// CRC-32 of the forwarder list file (or of the bundled list).
    forwarder_crc: u32,
    /// The pending adds (four eyes) the list CSVs hold, read by [`LoadedLists::load_with`]
    /// for `pending_grade = "caution"`: (list, header, rows), seeded into the overlay when
    /// these lists are installed (no index holds them).
    pub(crate) pending_adds: Vec<(Which, Vec<String>, Vec<Vec<String>>)>,
}

/// One of the two lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The fraud list (`{list}` = `fraud`).
    Fraud,
    /// The forwarding-warehouse list (`{list}` = `forwarders`).
    Forwarders,
}

impl Which {
    /// The list named in a path (`fraud`, `forwarders`).
    pub fn from_name(name: &str) -> Option<Which> {
        match name {
            "fraud" => Some(Which::Fraud),
            "forwarders" => Some(Which::Forwarders),
            _ => None,
        }
    }

    /// The name used in paths and in `/readyz`.
    pub fn name(self) -> &'static str {
        match self {
            Which::Fraud => "fraud",
            Which::Forwarders => "forwarders",
        }
    }

    /// Position of this list in per-list arrays.
    pub fn slot(self) -> usize {
        match self {
            Which::Fraud => 0,
            Which::Forwarders => 1,
        }
    }

    /// The library's kind of list.
    pub fn kind(self) -> ListKind {
        match self {
            Which::Fraud => ListKind::Fraud,
            Which::Forwarders => ListKind::Forwarder,
        }
    }
}

/// `f<crc>-w<crc>` (see the module documentation).
fn version_of(fraud_crc: Option<u32>, forwarder_crc: u32) -> String {
    match fraud_crc {
        Some(f) => format!("f{f:08x}-w{forwarder_crc:08x}"),
        None => format!("f--w{forwarder_crc:08x}"),
    }
}

/// Why the lists could not be loaded (messages name files, never rows).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Reading a file failed.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The list could not be built or opened.
    #[error("loading {kind} list {path}: {source}")]
    List {
        /// `fraud` or `forwarder`.
        kind: &'static str,
        /// The file.
        path: PathBuf,
        /// The library's error.
        source: banchi::error::WatchlistError,
    },
    /// The list store (PostgreSQL) failed.
    #[error("list store: {0}")]
    Store(#[from] banchi_store::StoreError),
    /// An index of the other kind of list.
    #[error("{path} is an index of a {found} list, not a {want} list")]
    WrongKind {
        /// The file.
        path: PathBuf,
        /// What it holds.
        found: &'static str,
        /// What was expected.
        want: &'static str,
    },
}

impl LoadedLists {
    /// Reads and indexes the lists (seconds for a million-row CSV, a fraction of a second
    /// for an index file): run it off the async threads.
    pub fn load(sources: &ListSources, config: &Config) -> Result<LoadedLists, LoadError> {
        Self::load_with(sources, config, false)
    }

    /// [`LoadedLists::load`]; with `pending_adds`, also reads each list CSV's pending adds
    /// (four eyes, graded `caution` at most: one more pass over the rows in memory).
    pub fn load_with(
        sources: &ListSources,
        config: &Config,
        pending_adds: bool,
    ) -> Result<LoadedLists, LoadError> {
        let parser = Parser::new();
        let mut fraud = None;
        let mut index = [false, false];
        let mut seeds = Vec::new();
        if let Some(path) = &sources.fraud {
            let (list, crc, is_index, pending) =
                open(path, ListKind::Fraud, &parser, pending_adds)?;
            index[0] = is_index;
            fraud = Some((list, crc));
            seeds.extend(pending.map(|(h, r)| (Which::Fraud, h, r)));
        }
        let mut forwarders = None;
        if let Some(path) = &sources.forwarders {
            let (list, crc, is_index, pending) =
                open(path, ListKind::Forwarder, &parser, pending_adds)?;
            index[1] = is_index;
            forwarders = Some((list, crc));
            seeds.extend(pending.map(|(h, r)| (Which::Forwarders, h, r)));
        }
        let mut lists = Self::from_lists(fraud, forwarders, config)?;
        lists.pending_adds = seeds;
        for info in &mut lists.info {
            info.index = index[usize::from(info.list == Which::Forwarders.name())];
        }
        Ok(lists)
    }

    /// The lists over `fraud` (none: no fraud list) and `forwarders` (none: the bundled
    /// list), each with its version; editable (not index files).
    pub fn from_lists(
        fraud: Option<(Watchlist, u32)>,
        forwarders: Option<(Watchlist, u32)>,
        config: &Config,
    ) -> Result<LoadedLists, LoadError> {
        let parser = Parser::new();
        let mut screener = Screener::new(parser).with_options(config.matching.options());
        let mut info = Vec::new();
        let fraud_crc = match fraud {
            Some((list, crc)) => {
                info.push(ListInfo::loaded(Which::Fraud, &list, crc, false));
                screener = screener.with_fraud(list);
                Some(crc)
            }
            None => None,
        };
        let (forwarders, crc) = match forwarders {
            Some(f) => f,
            None => {
                let bytes = BUNDLED_FORWARDERS_CSV.as_bytes();
                let list = Watchlist::from_csv_reader(bytes, ListKind::Forwarder, &parser)
                    .map_err(|source| LoadError::List {
                        kind: "forwarder",
                        path: "<bundled>".into(),
                        source,
                    })?;
                (list, crc32fast::hash(bytes))
            }
        };
        info.push(ListInfo::loaded(Which::Forwarders, &forwarders, crc, false));
        screener = screener.with_forwarders(forwarders);
        Ok(LoadedLists {
            screener,
            version: version_of(fraud_crc, crc),
            info,
            fraud_crc,
            forwarder_crc: crc,
            pending_adds: Vec::new(),
        })
    }

    /// These lists with `which` replaced by `list` (a newer index of it: a snapshot of the
    /// store) and no overlay; the version stays (the overlay laid back on it brings the list
    /// to where it was).
    pub fn with_base(&self, which: Which, list: Watchlist) -> LoadedLists {
        let entries = list.len();
        let screener = match which {
            Which::Fraud => self
                .screener
                .clone()
                .with_fraud(list)
                .with_fraud_overlay(None),
            Which::Forwarders => self
                .screener
                .clone()
                .with_forwarders(list)
                .with_forwarder_overlay(None),
        };
        let info = self
            .info
            .iter()
            .map(|i| {
                let mut i = i.clone();
                if i.list == which.name() {
                    i.entries = entries;
                    i.pending_edits = 0;
                }
                i
            })
            .collect();
        LoadedLists {
            screener,
            version: self.version.clone(),
            info,
            fraud_crc: self.fraud_crc,
            forwarder_crc: self.forwarder_crc,
            pending_adds: Vec::new(),
        }
    }

    /// These base lists with `overlay` (the rows of `which` edited since they were read; `None`
    /// = no edit pending) and, when given, `crc` as that list file's CRC now. Cheap: the base
    /// lists are shared, not copied.
    pub fn with_edits(
        &self,
        which: Which,
        overlay: Option<Arc<Overlay>>,
        crc: Option<u32>,
    ) -> LoadedLists {
        let pending = overlay.as_ref().map_or(0, |o| o.len());
        let (mut fraud_crc, mut forwarder_crc) = (self.fraud_crc, self.forwarder_crc);
        let screener = match which {
            Which::Fraud => {
                fraud_crc = crc.or(fraud_crc);
                self.screener.clone().with_fraud_overlay(overlay)
            }
            Which::Forwarders => {
                forwarder_crc = crc.unwrap_or(forwarder_crc);
                self.screener.clone().with_forwarder_overlay(overlay)
            }
        };
        let list_crc = match which {
            Which::Fraud => fraud_crc,
            Which::Forwarders => Some(forwarder_crc),
        };
        let info = self
            .info
            .iter()
            .map(|i| {
                let mut i = i.clone();
                if i.list == which.name() {
                    i.pending_edits = pending;
                    if let Some(c) = list_crc {
                        i.version = format!("{c:08x}");
                    }
                }
                i
            })
            .collect();
        LoadedLists {
            screener,
            version: version_of(fraud_crc, forwarder_crc),
            info,
            fraud_crc,
            forwarder_crc,
            pending_adds: Vec::new(),
        }
    }

    /// The CRC-32 of `which`'s file as these lists know it.
    pub fn crc(&self, which: Which) -> Option<u32> {
        match which {
            Which::Fraud => self.fraud_crc,
            Which::Forwarders => Some(self.forwarder_crc),
        }
    }

    /// Entries of `which` edited since its base list was read.
    pub fn pending_edits(&self, which: Which) -> usize {
        self.info
            .iter()
            .find(|i| i.list == which.name())
            .map_or(0, |i| i.pending_edits)
    }
}

/// A list CSV's pending adds: its header and those rows.
type PendingAdds = (Vec<String>, Vec<Vec<String>>);

/// Opens one list file, with its version: the CRC-32 of an index file's bytes, or the
/// content digest of a CSV read with its edit journal applied; and, with `pending_adds`, a
/// CSV's pending adds (four eyes).
fn open(
    path: &Path,
    kind: ListKind,
    parser: &Parser,
    pending_adds: bool,
) -> Result<(Watchlist, u32, bool, Option<PendingAdds>), LoadError> {
    let list_err = |source| LoadError::List {
        kind: kind.as_str(),
        path: path.to_owned(),
        source,
    };
    let index = banchi::watchlist::file::looks_like_index(path).map_err(list_err)?;
    let mut pending = None;
    let (list, crc) = if index {
        let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
            path: path.to_owned(),
            source,
        })?;
        let crc = crc32fast::hash(&bytes);
        // Mapped (not the bytes read above): the mapping is what lookups use. A file replaced
        // between the read and the map gives a version one reload behind, never a torn list.
        drop(bytes);
        (Watchlist::open_index(path).map_err(list_err)?, crc)
    } else {
        let read = journal::read_list(path).map_err(list_err)?;
        if read.csv.is_none() {
            return Err(LoadError::Io {
                path: path.to_owned(),
                source: std::io::ErrorKind::NotFound.into(),
            });
        }
        let version = read.version().map_err(list_err)?.unwrap_or_default();
        let list =
            Watchlist::from_csv_reader(read.bytes.as_slice(), kind, parser).map_err(list_err)?;
        if pending_adds {
            pending = Some(banchi::watchlist::manage::pending_adds(&read.bytes).map_err(list_err)?);
        }
        (list, version)
    };
    if list.kind() != kind {
        return Err(LoadError::WrongKind {
            path: path.to_owned(),
            found: list.kind().as_str(),
            want: kind.as_str(),
        });
    }
    Ok((list, crc, index, pending))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_follows_the_file_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fraud.csv");
        std::fs::write(
            &path,
            "id,address,reason\nF1,東京都中央区銀座4-6-16 銀座ビル301号室,chargeback\n",
        )
        .unwrap();
        let sources = ListSources {
            fraud: Some(path.clone()),
            forwarders: None,
        };
        let a = LoadedLists::load(&sources, &Config::default()).unwrap();
        let again = LoadedLists::load(&sources, &Config::default()).unwrap();
        assert_eq!(a.version, again.version, "same bytes, same version");
        assert_eq!(a.info[0].entries, 1);
        std::fs::write(
            &path,
            "id,address,reason\nF1,東京都中央区銀座4-6-16 銀座ビル302号室,chargeback\n",
        )
        .unwrap();
        let b = LoadedLists::load(&sources, &Config::default()).unwrap();
        assert_ne!(a.version, b.version);
        assert!(b.version.starts_with('f') && b.version.contains("-w"));
        let none = LoadedLists::load(&ListSources::default(), &Config::default()).unwrap();
        assert!(none.version.starts_with("f--w"), "{}", none.version);
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let sources = ListSources {
            fraud: Some("/nonexistent/fraud.csv".into()),
            forwarders: None,
        };
        let e = LoadedLists::load(&sources, &Config::default()).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/fraud.csv"), "{e}");
    }
}
