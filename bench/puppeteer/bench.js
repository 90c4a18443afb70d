'use strict';
// puppeteer-core (Node) on the same Chromium, run by bench/run.py, which passes the browser,
// the flags, the counts and the launch marker in the environment (bench/common.py is their
// single source).
// usage: node bench.js --base http://127.0.0.1:PORT --reps N --out FILE

const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const puppeteer = require('puppeteer-core');

const env = JSON.parse(process.env.CDPSESSION_BENCH_ENV || 'null');
if (!env) { console.error('run me through bench/run.py'); process.exit(2); }
const { chromium: CHROMIUM, flags: FLAGS, mark: MARK, counts: N } = env;

function arg(name, dflt) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}
const BASE = arg('base');
const REPS = parseInt(arg('reps', '2'), 10);
const OUT = arg('out');
const SKIP_HEAVY = process.argv.includes('--skip-heavy');

const now = () => performance.now();
const sleep = ms => new Promise(r => setTimeout(r, ms));
const newMark = () => MARK + crypto.randomBytes(6).toString('hex');
const S = { tool: 'puppeteer', meta: {}, samples: {} };
const add = (k, v) => { (S.samples[k] = S.samples[k] || []).push(v); };
const log = (...a) => console.error(...a);
const median = xs => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const launch = (mark, extra) => puppeteer.launch(Object.assign(
  { executablePath: CHROMIUM, headless: true, args: FLAGS.concat([mark]) }, extra || {}));

// ---------------------------------------------------------------- /proc (as bench/common.py)
function browserPids(mark) {
  const out = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let argv;
    try { argv = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' '); } catch (e) { continue; }
    if (argv.includes(mark) && !argv.includes('--type=')) out.push(+d);
  }
  return out;
}
function pssBytes(roots) {
  const kids = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let s;
    try { s = fs.readFileSync(`/proc/${d}/stat`, 'utf8'); } catch (e) { continue; }
    const ppid = +s.slice(s.lastIndexOf(')') + 2).split(' ')[1];
    if (!kids.has(ppid)) kids.set(ppid, []);
    kids.get(ppid).push(+d);
  }
  let total = 0;
  const todo = [...roots];
  while (todo.length) {
    const pid = todo.pop();
    todo.push(...(kids.get(pid) || []));
    try {
      const m = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+)/m);
      if (m) total += +m[1] * 1024;
    } catch (e) { /* gone */ }
  }
  return total;
}

// ---------------------------------------------------------------- figures
async function partitionPage() {
  const t0 = now();
  const b = await launch(newMark());
  try {
    const ctx = await b.createBrowserContext();
    const page = await ctx.newPage();
    await page.goto(BASE + '/small.html');
    return now() - t0;
  } finally {
    await b.close();
  }
}

async function persistentPage() {
  const udd = fs.mkdtempSync(path.join(os.tmpdir(), 'cdpbench-'));
  try {
    const t0 = now();
    const b = await launch(newMark(), { userDataDir: udd });
    try {
      const pages = await b.pages();
      const page = pages.length ? pages[0] : await b.newPage();
      await page.goto(BASE + '/small.html');
      return now() - t0;
    } finally {
      await b.close();
    }
  } finally {
    fs.rmSync(udd, { recursive: true, force: true });
  }
}

async function runFetches(page, tag) {
  const t0 = now();
  const got = await page.evaluate((n, t) => window.runFetches(n, t), N.fetch, tag);
  if (got !== N.fetch) throw new Error(`fetched ${got}`);
  return now() - t0;
}

async function main() {
  log('[puppeteer] launch');
  for (let r = 0; r < REPS; r++) {
    const t0 = now();
    const b = await launch(newMark());
    add('launch_ms', now() - t0);
    await b.close();
    add('persistent_page_ms', await persistentPage());
    add('partition_page_ms', await partitionPage());
  }
  const b = await launch(newMark());
  try {
    S.meta.browser = await b.version();
    S.meta.versions = { puppeteer: require('puppeteer-core/package.json').version, node: process.version };
    for (let i = 0; i < REPS * 2; i++) {
      const t0 = now();
      const ctx = await b.createBrowserContext();
      const page = await ctx.newPage();
      await page.goto(BASE + '/small.html');
      add('context_page_ms', now() - t0);
      await ctx.close();
    }
    log('[puppeteer] round trips');
    const ctx = await b.createBrowserContext();
    const page = await ctx.newPage();
    await page.goto(BASE + '/fetch.html');
    for (let i = 0; i < 50; i++) await page.evaluate('1+1');
    for (let r = 0; r < REPS; r++) {
      const ts = [];
      for (let i = 0; i < N.rtt; i++) {
        const t0 = now();
        await page.evaluate('1+1');
        ts.push(now() - t0);
      }
      add('rtt_seq_us', median(ts) * 1000);
      const t0 = now();
      await Promise.all(Array.from({ length: N.rtt }, () => page.evaluate('1+1')));
      add('rtt_conc_ms', now() - t0);
    }
    log('[puppeteer] fetches');
    const routed = await ctx.newPage();
    await routed.goto(BASE + '/fetch.html');
    await routed.setRequestInterception(true);
    routed.on('request', req => req.continue());
    await runFetches(page, 'warm-p');
    await runFetches(routed, 'warm-i');
    for (let i = 0; i < REPS * 2; i++) {
      const order = i % 2 ? [['i', routed], ['p', page]] : [['p', page], ['i', routed]];
      const got = {};
      for (const [k, pg] of order) got[k] = await runFetches(pg, `${k}${i}-${now()}`);
      add('fetch_plain_ms', got.p);
      add('fetch_intercept_ms', got.i);
      add('fetch_ratio', got.i / got.p);
    }
    log('[puppeteer] cookies');
    for (let r = 0; r < REPS; r++) {
      const cctx = await b.createBrowserContext();
      const t0 = now();
      for (let i = 0; i < N.cookies; i++) {
        await cctx.setCookie({ name: `s${r}x${i}`, value: `v${i}`, domain: `d${i % N.cookie_domains}.test`, path: '/' });
      }
      add('cookies_set_ms', now() - t0);
      const t1 = now();
      const got = await cctx.cookies();
      add('cookies_get_ms', now() - t1);
      if (got.length !== N.cookies) throw new Error(`read ${got.length} cookies`);
      await cctx.close();
    }
  } finally {
    await b.close();
  }
  if (!SKIP_HEAVY) await memoryAndScale();
  fs.writeFileSync(OUT, JSON.stringify(S, null, 1));
}

async function memoryAndScale() {
  log('[puppeteer] memory and scale');
  {
    const mark = newMark();
    const browsers = [];
    try {
      for (let i = 0; i < N.memory; i++) {
        const bb = await launch(mark);
        browsers.push(bb);
        await (await bb.newPage()).goto(BASE + '/small.html');
      }
      await sleep(N.settle_s * 1000);
      const pids = browserPids(mark);
      if (pids.length !== N.memory) throw new Error(`found ${pids.length} browsers`);
      add('mem_per_browser_mb', pssBytes(pids) / N.memory / 2 ** 20);
    } finally {
      for (const bb of browsers) await bb.close();
    }
  }
  {
    const mark = newMark();
    const bb = await launch(mark);
    try {
      await (await bb.newPage()).goto(BASE + '/small.html');
      await sleep(N.settle_s * 1000);
      const before = pssBytes(browserPids(mark));
      for (let i = 0; i < N.memory; i++) {
        await (await (await bb.createBrowserContext()).newPage()).goto(BASE + '/small.html');
      }
      await sleep(N.settle_s * 1000);
      add('mem_per_context_mb', (pssBytes(browserPids(mark)) - before) / N.memory / 2 ** 20);
    } finally {
      await bb.close();
    }
  }
  const t0 = now();
  await Promise.all(Array.from({ length: N.scale }, () => partitionPage()));
  add('scale_ms', now() - t0);
}

main().catch(e => { console.error(e); process.exit(1); });
