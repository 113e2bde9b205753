// engines.mjs: time one JavaScript filtering engine on the same lists and
// requests as `polaris match --timing`, and print the same timing line.
//
//   node --expose-gc engines.mjs --engine ubo|ghostery --list FILE [--list FILE...] --requests FILE.tsv
//        [--psl public_suffix_list.dat] [--verdicts FILE]
//
// Requests are TSV url<TAB>source_url<TAB>type (no header). The time of
// each decision is measured around the engine call alone (request object
// creation included, as Polaris's includes parsing the request); parse
// time is list parsing plus engine construction; heap is the V8 heap the
// engine holds after a full collection.
//
// uBO needs a public suffix list (--psl, required for it) to tell first from
// third parties: the one ubo-core ships as its own default leaves
// getDomain('www.google.com') empty, so every subdomain would be a party of
// its own. --verdicts writes "block" or "allow" per request, in order, for
// comparing the engines' decisions.
import { readFileSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const opt = { lists: [] };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--engine') opt.engine = args[++i];
  else if (a === '--list') opt.lists.push(args[++i]);
  else if (a === '--requests') opt.requests = args[++i];
  else if (a === '--psl') opt.psl = args[++i];
  else if (a === '--verdicts') opt.verdicts = args[++i];
  else throw new Error(`unknown argument ${a}`);
}
if (!opt.engine || opt.lists.length === 0 || !opt.requests || (opt.engine === 'ubo' && !opt.psl)) {
  console.error('usage: node --expose-gc engines.mjs --engine ubo|ghostery --list FILE... --requests FILE.tsv [--psl FILE (ubo: required)] [--verdicts FILE]');
  process.exit(2);
}
if (typeof global.gc !== 'function') throw new Error('run node with --expose-gc');

const requests = readFileSync(opt.requests, 'utf8').split('\n').filter(Boolean).map((l) => {
  const [url, sourceUrl = '', type = 'other'] = l.split('\t');
  return { url, sourceUrl, type: type || 'other' };
});

// The V8 heap plus the memory outside it (typed arrays, WebAssembly) that
// the engines keep their indexes in.
function heap() { global.gc(); global.gc(); const m = process.memoryUsage(); return m.heapUsed + m.external; }

async function makeUBO(texts) {
  const { StaticNetFilteringEngine, pslInit } = await import('@gorhill/ubo-core');
  const snfe = await StaticNetFilteringEngine.create({ noPSL: true });
  const psl = pslInit(readFileSync(opt.psl, 'utf8'));
  const got = psl && psl.getDomain('www.google.com');
  if (got !== 'google.com') throw new Error(`public suffix list ${opt.psl}: getDomain('www.google.com') = ${JSON.stringify(got)}, want "google.com"`);
  await snfe.useLists(texts.map((raw, i) => ({ name: `list${i}`, raw })));
  return (r) => snfe.matchRequest({ originURL: r.sourceUrl, url: r.url, type: r.type }) === 1;
}

async function makeGhostery(texts) {
  const { FiltersEngine, Request } = await import('@ghostery/adblocker');
  const engine = FiltersEngine.parse(texts.join('\n'), { loadCosmeticFilters: false, loadNetworkFilters: true, debug: false });
  return (r) => engine.match(Request.fromRawDetails({ url: r.url, sourceUrl: r.sourceUrl, type: r.type })).match;
}

// Load the engine code first so that its own size is not counted as list heap.
if (opt.engine === 'ubo') await import('@gorhill/ubo-core'); else await import('@ghostery/adblocker');
const before = heap();
const t0 = process.hrtime.bigint();
let texts = opt.lists.map((f) => readFileSync(f, 'utf8'));
const match = await (opt.engine === 'ubo' ? makeUBO(texts) : makeGhostery(texts));
const parseMs = Number(process.hrtime.bigint() - t0) / 1e6;
texts = null;
const heapMB = (heap() - before) / (1 << 20);

for (let i = 0; i < Math.min(2000, requests.length); i++) match(requests[i]); // warm up the JIT
const d = new Float64Array(requests.length);
const verdicts = new Uint8Array(requests.length);
let blocked = 0;
for (let i = 0; i < requests.length; i++) {
  const s = process.hrtime.bigint();
  const b = match(requests[i]);
  d[i] = Number(process.hrtime.bigint() - s);
  if (b) { blocked++; verdicts[i] = 1; }
}
if (opt.verdicts) writeFileSync(opt.verdicts, Array.from(verdicts, (b) => (b ? 'block\n' : 'allow\n')).join(''));
const sum = d.reduce((a, b) => a + b, 0);
d.sort();
const us = (ns) => (ns / 1000).toFixed(3);
const pct = (p) => d[Math.max(Math.ceil((d.length * p) / 100), 1) - 1]; // nearest rank, as polaris match
console.error(`timing: parse_ms=${parseMs.toFixed(1)} p50_us=${us(pct(50))} p99_us=${us(pct(99))} mean_us=${us(sum / d.length)} n=${d.length} heap_mb=${heapMB.toFixed(1)} blocked=${blocked}`);
