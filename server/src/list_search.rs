//! Searching a list's entries by id or by normalized address prefix (read-only).
//!
//! The query `q` is an entry id or an address. An address is parsed like a screened one and
//! cut to the level it reached: `東京都中央区銀座4` reaches the chome, so it finds every entry
//! of 銀座四丁目, whatever notation the entry was registered in (`銀座四丁目６番…`,
//! `銀座4-6-16`). The comparison is part by part on the delivery-point key
//! (`CODE|TOWN|CHOME|BANCHI|GO|FLOOR|ROOM`, see [`banchi::Address::compute_key`]) up to its last
//! part the query gives, so `銀座4-6` finds banchi 6 and not 60. A query that reaches only the
//! prefecture matches entries in that prefecture.
//!
//! Entries are read in file order a chunk at a time ([`search_chunks`]; the server reads them
//! through its cached list editor) and parsed on every core until a page is full, so a
//! search that matches often answers after one chunk; one that matches rarely parses the
//! whole list (seconds for a million entries on two cores). A query that is only
//! an id is looked up, not searched ([`Needle::id_only`]). Nothing here logs or returns the
//! query.

use banchi::watchlist::manage::EntryView;
use banchi::{Level, Parser};
use rayon::prelude::*;

/// Entries read and parsed at once (in parallel) while a page fills: a search that matches
/// often answers after the first chunk.
pub const CHUNK: usize = 2048;

/// What a search looks for, made once per request from `q`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needle {
    /// `q` trimmed: matches an entry whose id is exactly this.
    id: String,
    /// How the address in `q` is matched, when it parsed far enough.
    address: Option<AddressPrefix>,
}

/// The parsed address of a query, cut to the level it reached.
#[derive(Debug, Clone, PartialEq, Eq)]
enum AddressPrefix {
    /// Key parts from the municipality code to the last part given.
    Key(Vec<String>),
    /// Only the prefecture was found.
    Prefecture(String),
}

/// How an entry matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// Its id is `q`.
    Id,
    /// Its address is at or under the address in `q`.
    Address,
}

/// One entry found, with the key its address parses to (null when it no longer parses).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Hit {
    /// The entry, with its history.
    #[serde(flatten)]
    pub entry: EntryView,
    /// Delivery-point key of the entry's address.
    pub key: Option<String>,
    /// Why it was found.
    pub matched_by: MatchedBy,
}

/// One page of hits.
#[derive(Debug, Clone)]
pub struct Found {
    /// Hits in file order.
    pub hits: Vec<Hit>,
    /// The id to pass as `after` for the next page (`None` on the last page).
    pub next_after: Option<String>,
}

impl Needle {
    /// Reads `q`: always an id candidate, and an address when it parses to at least a
    /// prefecture.
    pub fn new(parser: &Parser, q: &str) -> Needle {
        let id = q.trim().to_owned();
        let address = parser.parse(q).ok().and_then(|a| {
            if a.level >= Level::City && a.city_code.is_some() {
                let mut parts: Vec<String> = a.key.split('|').map(str::to_owned).collect();
                while parts.last().is_some_and(String::is_empty) {
                    parts.pop();
                }
                Some(AddressPrefix::Key(parts))
            } else {
                a.prefecture.map(AddressPrefix::Prefecture)
            }
        });
        Needle { id, address }
    }

    /// The id `q` names when it can only match by id (it does not parse as an address).
    pub fn id_only(&self) -> Option<&str> {
        (self.address.is_none() && !self.id.is_empty()).then_some(self.id.as_str())
    }

    /// The level the query's address reached, for the answer (`None` when it is an id only).
    pub fn level(&self) -> Option<&'static str> {
        match &self.address {
            None => None,
            Some(AddressPrefix::Prefecture(_)) => Some(Level::Prefecture.as_str()),
            Some(AddressPrefix::Key(parts)) => Some(match parts.len() {
                0 | 1 => Level::City.as_str(),
                2 | 3 => Level::Town.as_str(),
                4 | 5 => Level::Block.as_str(),
                _ => Level::Unit.as_str(),
            }),
        }
    }

    /// Whether `entry` matches, with the key of its address.
    fn matches(&self, parser: &Parser, entry: &EntryView) -> (Option<MatchedBy>, Option<String>) {
        let parsed = parser.parse(&entry.address).ok();
        let key = parsed.as_ref().map(|a| a.key.clone());
        if !self.id.is_empty() && entry.id == self.id {
            return (Some(MatchedBy::Id), key);
        }
        let by_address = match (&self.address, &parsed) {
            (Some(AddressPrefix::Key(want)), Some(a)) => {
                let mut have = a.key.split('|');
                want.iter().all(|w| have.next() == Some(w.as_str()))
            }
            (Some(AddressPrefix::Prefecture(p)), Some(a)) => a.prefecture.as_ref() == Some(p),
            _ => false,
        };
        (by_address.then_some(MatchedBy::Address), key)
    }
}

/// Why a search could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    /// `after` names no entry of the list.
    #[error("`after` names no entry")]
    UnknownAfter,
}

impl From<SearchError> for crate::error::ApiError {
    fn from(e: SearchError) -> Self {
        match e {
            SearchError::UnknownAfter => crate::error::ApiError::NotFound(e.to_string()),
        }
    }
}

/// The entries after `after` (file order) that match `needle` and have `status` (any when
/// `None`), at most `limit` of them, from the entries in memory (see [`search_chunks`]).
pub fn search(
    parser: &Parser,
    entries: Vec<EntryView>,
    needle: &Needle,
    status: Option<&str>,
    after: Option<&str>,
    limit: usize,
) -> Result<Found, SearchError> {
    search_chunks(parser, needle, status, after, limit, |after| {
        let start = match after {
            Some(after) => match entries.iter().position(|e| e.id == after) {
                Some(i) => i + 1,
                None => return Ok(None),
            },
            None => 0,
        };
        let chunk: Vec<EntryView> = entries.iter().skip(start).take(CHUNK).cloned().collect();
        let more = start + chunk.len() < entries.len();
        Ok(Some((chunk, more)))
    })
}

/// [`search`] over entries read a chunk at a time: `next(after)` gives the entries after
/// `after` (`None`: from the first) in file order — a chunk of them and whether more
/// follow — or `None` when `after` names no entry. Each chunk is parsed on every core and
/// taken in file order; reading stops once the page is full and one more hit is seen.
pub fn search_chunks<E: From<SearchError>>(
    parser: &Parser,
    needle: &Needle,
    status: Option<&str>,
    after: Option<&str>,
    limit: usize,
    mut next: impl FnMut(Option<&str>) -> Result<Option<(Vec<EntryView>, bool)>, E>,
) -> Result<Found, E> {
    let mut hits = Vec::new();
    let mut more = false;
    let mut cursor = after.map(str::to_owned);
    'chunks: loop {
        let Some((chunk, more_chunks)) = next(cursor.as_deref())? else {
            return Err(SearchError::UnknownAfter.into());
        };
        let Some(last) = chunk.last() else {
            break;
        };
        cursor = Some(last.id.clone());
        let chunk: Vec<EntryView> = chunk
            .into_iter()
            .filter(|e| status.is_none_or(|s| e.has_status(s)))
            .collect();
        let matched: Vec<_> = chunk
            .par_iter()
            .map(|entry| needle.matches(parser, entry))
            .collect();
        for (entry, (matched_by, key)) in chunk.into_iter().zip(matched) {
            let Some(matched_by) = matched_by else {
                continue;
            };
            if hits.len() == limit {
                more = true;
                break 'chunks;
            }
            hits.push(Hit {
                entry,
                key,
                matched_by,
            });
        }
        if !more_chunks {
            break;
        }
    }
    let next_after = if more {
        hits.last().map(|h| h.entry.id.clone())
    } else {
        None
    };
    Ok(Found { hits, next_after })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, address: &str, status: &str) -> EntryView {
        EntryView {
            id: id.into(),
            address: address.into(),
            reason: "chargeback".into(),
            status: status.into(),
            registered_by: "alice".into(),
            registered_at: "2026-12-03T00:00:00Z".into(),
            memo: String::new(),
            history: Vec::new(),
            pending: None,
        }
    }

    /// Real blocks of 銀座 and 梅田, fictional buildings.
    fn list() -> Vec<EntryView> {
        vec![
            entry(
                "1",
                "東京都中央区銀座四丁目６番１６号 架空ハイツ301",
                "active",
            ),
            entry("2", "東京都中央区銀座4-6-16 架空ハイツ502", "disabled"),
            entry("3", "東京都中央区銀座4-60-1", "active"),
            entry("4", "東京都中央区銀座5-1-1", "active"),
            entry("5", "大阪府大阪市北区梅田3-1-1 架空コーポ705", "active"),
            entry("6", "(no address)", "active"),
        ]
    }

    fn ids(found: &Found) -> Vec<&str> {
        found.hits.iter().map(|h| h.entry.id.as_str()).collect()
    }

    #[test]
    fn an_address_matches_at_the_level_it_reached_in_any_notation() {
        let p = Parser::new();
        let find = |q: &str| search(&p, list(), &Needle::new(&p, q), None, None, 100).unwrap();
        assert_eq!(ids(&find("東京都中央区銀座4丁目")), ["1", "2", "3"]);
        // Banchi 6 is not banchi 60.
        assert_eq!(ids(&find("中央区銀座４－６")), ["1", "2"]);
        assert_eq!(ids(&find("東京都中央区銀座4-6-16-301")), ["1"]);
        assert_eq!(ids(&find("東京都中央区")), ["1", "2", "3", "4"]);
        assert_eq!(ids(&find("大阪府")), ["5"]);
        assert_eq!(
            Needle::new(&p, "東京都中央区銀座4丁目").level(),
            Some("town")
        );
        assert_eq!(Needle::new(&p, "大阪府").level(), Some("prefecture"));
        let hit = &find("中央区銀座4-6-16 301号室").hits;
        assert_eq!(hit.len(), 1);
        assert_eq!(hit[0].matched_by, MatchedBy::Address);
        assert_eq!(hit[0].key.as_deref(), Some("13102|銀座|4|6|16||301"));
    }

    #[test]
    fn an_id_matches_exactly_and_nothing_else_matches_noise() {
        let p = Parser::new();
        let find = |q: &str| search(&p, list(), &Needle::new(&p, q), None, None, 100).unwrap();
        let by_id = find(" 5 ");
        assert_eq!(ids(&by_id), ["5"]);
        assert_eq!(by_id.hits[0].matched_by, MatchedBy::Id);
        assert!(find("55").hits.is_empty());
        assert!(find("<script>").hits.is_empty());
        assert!(find("").hits.is_empty());
        assert_eq!(Needle::new(&p, "55").level(), None);
        assert_eq!(
            Needle::new(&p, " F55 ").id_only(),
            Some("F55"),
            "looked up, not searched"
        );
        assert_eq!(Needle::new(&p, "東京都中央区").id_only(), None);
        assert_eq!(Needle::new(&p, "  ").id_only(), None);
        // An entry whose address no longer parses is still found by its id, without a key.
        let six = find("6");
        assert_eq!(ids(&six), ["6"]);
        assert_eq!(six.hits[0].key, None);
    }

    #[test]
    fn pages_cross_the_parallel_chunks_in_file_order() {
        let p = Parser::new();
        let base = list();
        let many: Vec<EntryView> = (0..CHUNK * 2 + 7)
            .map(|i| {
                let mut e = base[i % base.len()].clone();
                e.id = format!("n{i}");
                e
            })
            .collect();
        let needle = Needle::new(&p, "東京都中央区");
        let want: Vec<String> = search(&p, many.clone(), &needle, None, None, usize::MAX)
            .unwrap()
            .hits
            .into_iter()
            .map(|h| h.entry.id)
            .collect();
        assert!(want.len() > CHUNK, "{}", want.len());
        let (mut got, mut after) = (Vec::new(), None::<String>);
        loop {
            let page =
                search(&p, many.clone(), &needle, None, after.as_deref(), CHUNK - 1).unwrap();
            got.extend(page.hits.into_iter().map(|h| h.entry.id));
            match page.next_after {
                Some(a) => after = Some(a),
                None => break,
            }
        }
        assert_eq!(got, want);
        let order: Vec<usize> = got.iter().map(|id| id[1..].parse().unwrap()).collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "file order");
    }

    #[test]
    fn status_filter_and_pages() {
        let p = Parser::new();
        let needle = Needle::new(&p, "東京都中央区");
        let first = search(&p, list(), &needle, None, None, 2).unwrap();
        assert_eq!(ids(&first), ["1", "2"]);
        assert_eq!(first.next_after.as_deref(), Some("2"));
        let second = search(&p, list(), &needle, None, Some("2"), 2).unwrap();
        assert_eq!(ids(&second), ["3", "4"]);
        assert_eq!(second.next_after, None, "nothing matches after 4");
        let active = search(&p, list(), &needle, Some("active"), None, 100).unwrap();
        assert_eq!(ids(&active), ["1", "3", "4"]);
        let disabled = search(&p, list(), &needle, Some("disabled"), None, 100).unwrap();
        assert_eq!(ids(&disabled), ["2"]);
        assert_eq!(
            search(&p, list(), &needle, None, Some("nope"), 2).unwrap_err(),
            SearchError::UnknownAfter
        );
    }
}
