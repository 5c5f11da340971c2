// npm run bench:webview — the dashboard with the real bundle (dist/webview.js) in headless Chromium.
// The host session (src/extension/dashboardCore.ts) runs in the same page with an in-memory run
// manager, and every message goes through JSON like VS Code's postMessage. Host work therefore counts
// against the page's frames (in VS Code it runs in another process): the numbers are conservative.
//
// Prints:
//  1. first render of 1 series x N points (default 1 000 000): host compute, ready→painted, load→painted
//  2. live appends at 10 Hz to 3 series x 100 000 points: longest frame (Long Animation Frames API and
//     requestAnimationFrame gaps), bytes per update
//  3. host→webview bytes per frame / per live update vs run length (must not grow with the run)
//  4. many runs: first paint of 200 runs x 20 000 points (budget 1 s after the panel opens), hover tooltip
//     (budget 16 ms), filtering the run selector of 1 000 runs (substring and regex; budget 50 ms)
// Options: --points N, --seconds S (live duration), --runs R (many-runs scenario), --no-build
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const POINTS = arg('--points', 1_000_000);
const SECONDS = arg('--seconds', 5);
const RUNS = arg('--runs', 200);
const MANY_POINTS = arg('--many-points', 20000);
// --only first|live|sizes|many: one section (while iterating); --shot DIR: screenshots of the many-runs page.
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
const SHOT = process.argv.includes('--shot') ? process.argv[process.argv.indexOf('--shot') + 1] : null;
const want = (k) => ONLY === null || ONLY === k;

if (!process.argv.includes('--no-build')) {
  const r = spawnSync(process.execPath, ['scripts/build.mjs', '--production', '--test-hooks'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed:\n${r.stdout}${r.stderr}`);
}

// In-page host: the real session with a fake manager, wired to the webview like VS Code does.
const hostSource = `
import { DashboardSession } from './src/extension/dashboardCore';
import { DEFAULT_STATE, packSeries } from './src/shared/messages';
import { FakeManager, FakeRun, FakeSeries } from './test/unit/dashboard/fake';
import { RunStore } from './src/ingest/store';

// The run store allocates its chunks with Node's Buffer.allocUnsafeSlow (uninitialised memory).
globalThis.Buffer ??= { allocUnsafeSlow: (n) => new Uint8Array(n) };
const q = new URLSearchParams(location.search);
const scenario = q.get('scenario');
const n = Number(q.get('n'));
const nSeries = Number(q.get('series') || 1);
const manager = new FakeManager();
const run = new FakeRun('run-1', 'bench run', '/bench/run.jsonl');
const specs = [['train/loss', 'train_loss'], ['grad_norm', 'grad_norm'], ['lr', 'learning_rate']];
const series = [];
const tGen0 = performance.now();
let seed = 12345;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
if (scenario === 'many' || scenario === 'filter') {
  // Runs in sweep folders: loss every step, val loss every 200 steps, lr every step.
  const nRuns = Number(q.get('runs'));
  for (let r = 0; r < nRuns; r++) {
    const root = '/ws/sweep' + (r % 5) + '/lr_' + (1 + (r % 7)) + 'e-4_seed' + r + '/metrics.jsonl';
    // The real run store (typed-array columns in chunks), as the extension host holds it.
    const fr = new RunStore('run-' + r, 'metrics.jsonl', root, 'jsonl');
    const f = fr.fileIndex(root, false);
    const loss = fr.ensureSeries('train/loss', 'train_loss', 'train');
    const val = fr.ensureSeries('val/loss', 'val_loss', 'val');
    const lr = fr.ensureSeries('lr', 'learning_rate', 'train');
    const scale = 0.5 + (r % 17) / 10;
    for (let i = 0; i < n; i++) {
      loss.append(i, scale * Math.exp(-i / (n / 3)) + 0.1 * rnd() + 0.05, NaN, NaN, i + 1, f);
      lr.append(i, 1e-3 * (1 - i / n), NaN, NaN, i + 1, f);
      if (i % 200 === 0) val.append(i, scale * Math.exp(-i / (n / 2)) + 0.2, NaN, NaN, i + 1, f);
    }
    manager.list.push(fr);
  }
}
for (let k = 0; k < nSeries && scenario !== 'many' && scenario !== 'filter'; k++) {
  const s = run.add(new FakeSeries(specs[k][0], specs[k][1], '/bench/run.jsonl'));
  for (let i = 0; i < n; i++) s.push(i, 2 * Math.exp(-i / (n / 3)) + 0.1 * rnd() + (i % 9973 === 0 ? 3 : 0), NaN, NaN, i + 1);
  if (n > 1000) s.values[Math.floor(n / 2)] = NaN;
  series.push(s);
}
if (scenario !== 'many' && scenario !== 'filter') manager.list.push(run);
const bench = (window.__bench = { genMs: performance.now() - tGen0, bytes: [], patchBytes: [], tReady: 0, tFramePosted: 0, hostMs: [] });
let session;
// Like VS Code's webview postMessage (engines >= 1.57): JSON for the message, typed arrays replaced by
// references and their buffers transferred as binary (structured clone), rebuilt on the other side.
const post = (msg) => {
  const m = packSeries(msg);
  const buffers = [];
  const json = JSON.stringify(m, (_k, v) => {
    if (ArrayBuffer.isView(v)) {
      buffers.push(v);
      return { $$typed$$: buffers.length - 1 };
    }
    return v;
  });
  const size = json.length + buffers.reduce((a, b) => a + b.byteLength, 0);
  bench.bytes.push(size);
  if (m.type === 'patch') bench.patchBytes.push(size);
  if (m.type === 'frame' && !bench.tFramePosted) bench.tFramePosted = performance.now();
  const copies = structuredClone(buffers);
  window.postMessage(JSON.parse(json, (_k, v) => (v && typeof v === 'object' && typeof v.$$typed$$ === 'number' ? copies[v.$$typed$$] : v)), '*');
};
session = new DashboardSession(manager, { post, openFile() {}, save() {}, warn(w) { console.warn(w); }, folders: () => ['/ws'] }, { ...DEFAULT_STATE, smoothing: 0.6 });
let saved;
window.acquireVsCodeApi = () => ({
  postMessage: (m) => setTimeout(() => {
    if (m.type === 'ready') bench.tReady = performance.now();
    session.handleMessage(JSON.parse(JSON.stringify(m)));
  }, 0),
  getState: () => saved,
  setState: (s) => { saved = s; },
});
bench.startLive = (seconds, perTick) => new Promise((resolve) => {
  let ticks = 0;
  const iv = setInterval(() => {
    const t0 = performance.now();
    const appended = [];
    for (const s of series) {
      const from = s.length;
      for (let j = 0; j < perTick; j++) s.push(from + j, 2 * Math.exp(-(from + j) / (n / 3)) + 0.1 * rnd(), NaN, NaN, from + j + 1);
      appended.push({ key: s.key, from });
    }
    session.onRunUpdate({ runId: run.id, reset: false, appended, logitRecordsFrom: 0 });
    bench.hostMs.push(performance.now() - t0);
    if (++ticks >= seconds * 10) { clearInterval(iv); setTimeout(resolve, 300); }
  }, 100);
});
`;
const host = await esbuild.build({
  stdin: { contents: hostSource, resolveDir: root, loader: 'ts', sourcefile: 'bench-host.ts' },
  bundle: true,
  write: false,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  minify: true,
});
const files = {
  '/host.js': ['text/javascript', host.outputFiles[0].text],
  '/webview.js': ['text/javascript', fs.readFileSync(path.join(root, 'dist/webview.js'), 'utf8')],
  '/dashboard.css': ['text/css', fs.readFileSync(path.join(root, 'media/dashboard.css'), 'utf8')],
  '/index.html': [
    'text/html',
    `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="stylesheet" href="/dashboard.css"></head>
<body class="vscode-dark"><div id="app"></div><script src="/host.js"></script><script src="/webview.js"></script></body></html>`,
  ],
};

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--headless'] });
async function openPage(query, beforeGoto) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  if (beforeGoto) await beforeGoto(page);
  page.on('pageerror', (e) => console.error('page error:', e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') console.error('page console:', m.text());
  });
  await page.route('http://bench.invalid/**', (route) => {
    const f = files[new URL(route.request().url()).pathname];
    return f ? route.fulfill({ contentType: f[0], body: f[1] }) : route.fulfill({ status: 404, body: '' });
  });
  await page.addInitScript(() => {
    window.__loaf = [];
    window.__gaps = [];
    try {
      new PerformanceObserver((l) => {
        for (const e of l.getEntries())
          window.__loaf.push({
            start: e.startTime,
            duration: e.duration,
            blocking: e.blockingDuration,
            scripts: (e.scripts || []).map((s) => `${s.invoker}:${Math.round(s.duration)}`).join(' '),
            render: Math.round(e.renderStart ? e.startTime + e.duration - e.renderStart : 0),
          });
      }).observe({ type: 'long-animation-frame', buffered: true });
    } catch {
      window.__noLoaf = true;
    }
    window.__painted = new Promise((resolve) => {
      window.addEventListener('losswatch:rendered', () => requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0)), {
        once: true,
      });
    });
  });
  await page.goto(`http://bench.invalid/index.html?${query}`);
  return page;
}

/** --profile: self time per function (use with a non-minified build). */
function printProfile(profile, what) {
  const self = new Map();
  const dt = profile.timeDeltas;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (let i = 0; i < profile.samples.length; i++) {
    const n = byId.get(profile.samples[i]);
    const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
    self.set(k, (self.get(k) ?? 0) + (dt[i] ?? 0) / 1000);
  }
  console.log(
    `-- profile: ${what}\n` +
      [...self]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 25)
        .map(([k, v]) => `${v.toFixed(1)} ms  ${k}`)
        .join('\n'),
  );
}

const fmt = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const rows = [];

// 1. First render.
if (want('first')) {
  const runsOf = [];
  for (let rep = 0; rep < 3; rep++) {
    const page = await openPage(`scenario=first&n=${POINTS}&series=1`);
    const t = await page.evaluate(async () => {
      const painted = await window.__painted;
      const b = window.__bench;
      const nav = performance.getEntriesByType('navigation')[0];
      return {
        gen: b.genMs,
        host: b.tFramePosted - b.tReady,
        readyToPaint: painted - b.tReady,
        loadToPaint: painted - b.genMs, // page start → painted, minus synthetic data generation
        bytes: b.bytes.reduce((a, x) => a + x, 0),
        webviewJs: window.__losswatch.lastRenderMs(),
        dom: nav ? nav.domContentLoadedEventEnd : NaN,
      };
    });
    runsOf.push(t);
    await page.close();
  }
  const med = (k) => runsOf.map((r) => r[k]).sort((a, b) => a - b)[1];
  rows.push(['first render', `1 x ${POINTS.toLocaleString('en')} pts`, 'host compute (ms)', fmt(med('host'))]);
  rows.push(['first render', `1 x ${POINTS.toLocaleString('en')} pts`, 'webview frame handling, JS (ms)', fmt(med('webviewJs'))]);
  rows.push(['first render', `1 x ${POINTS.toLocaleString('en')} pts`, 'ready → painted (ms)', fmt(med('readyToPaint'))]);
  rows.push(['first render', `1 x ${POINTS.toLocaleString('en')} pts`, 'page start → painted (ms)', fmt(med('loadToPaint'))]);
  rows.push(['first render', `1 x ${POINTS.toLocaleString('en')} pts`, 'host→webview bytes', String(med('bytes'))]);
  rows.push(['first render', '', 'budget (ms)', '300']);
}

// 2. Live appends.
if (want('live')) {
  const page = await openPage(`scenario=live&n=100000&series=3`);
  await page.evaluate(() => window.__painted);
  await page.evaluate(() => {
    window.__liveStart = performance.now();
    window.__gaps.length = 0;
    let last = performance.now();
    window.__raf = true;
    const loop = (t) => {
      window.__gaps.push(t - last);
      last = t;
      if (window.__raf) requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  });
  const r = await page.evaluate(
    async ([s]) => {
      await window.__bench.startLive(s, 10);
      window.__raf = false;
      const b = window.__bench;
      return {
        loaf: window.__noLoaf ? null : window.__loaf.filter((e) => e.start >= window.__liveStart).map((e) => e.duration),
        loafWhy: window.__noLoaf ? [] : window.__loaf.filter((e) => e.start >= window.__liveStart),
        liveStart: window.__liveStart,
        loafAll: window.__loaf,
        loafDetail: window.__loafDetail,
        gaps: window.__gaps.slice(2),
        patches: b.patchBytes,
        host: b.hostMs,
        renders: window.__losswatch.renders(),
        flush: window.__losswatch.flushMs(),
      };
    },
    [SECONDS],
  );
  const maxLoaf = r.loaf === null ? NaN : r.loaf.length ? Math.max(...r.loaf) : 0;
  const maxGap = Math.max(...r.gaps);
  if (process.argv.includes('--verbose'))
    console.log(
      JSON.stringify(
        r.loafWhy.map((e) => ({ ...e, start: Math.round(e.start - r.liveStart) })),
        null,
        1,
      ),
    );
  if (process.argv.includes('--verbose')) console.log('redraw JS per frame (ms):', r.flush.map((v) => Math.round(v)).join(' '));
  rows.push(['live 10 Hz', '3 x 100,000 pts', `updates sent / webview renders`, `${r.patches.length} / ${r.renders - 1}`]);
  // LoAF only reports frames longer than 50 ms, so "none" means every frame was shorter.
  rows.push([
    'live 10 Hz',
    '3 x 100,000 pts',
    'longest animation frame (LoAF, ms)',
    r.loaf === null ? 'n/a' : r.loaf.length === 0 ? 'none > 50' : `${fmt(maxLoaf)} (${r.loaf.length} frames > 50 ms)`,
  ]);
  rows.push(['live 10 Hz', '3 x 100,000 pts', 'longest rAF gap (ms; includes OS scheduling)', fmt(maxGap)]);
  const fl = [...r.flush].sort((a, b) => a - b);
  rows.push([
    'live 10 Hz',
    '3 x 100,000 pts',
    'webview redraw JS per frame: median / max (ms)',
    `${fmt(fl[fl.length >> 1] ?? NaN)} / ${fmt(fl.at(-1) ?? NaN)}`,
  ]);
  rows.push([
    'live 10 Hz',
    '3 x 100,000 pts',
    'bytes per update (mean / max)',
    `${fmt(r.patches.reduce((a, x) => a + x, 0) / Math.max(1, r.patches.length))} / ${Math.max(0, ...r.patches)}`,
  ]);
  rows.push(['live 10 Hz', '', 'budget: no frame longer than (ms)', '50']);
  await page.close();
}
// 4. Many runs: first paint, hover, filter.
if (want('many')) {
  const first = [];
  let hover = null;
  for (let rep = 0; rep < 2; rep++) {
    let cdp0 = null;
    const page = await openPage(
      `scenario=many&n=${MANY_POINTS}&runs=${RUNS}`,
      rep === 0 && process.argv.includes('--profile')
        ? async (pg) => {
            cdp0 = await pg.context().newCDPSession(pg);
            await cdp0.send('Profiler.enable');
            await cdp0.send('Profiler.start');
          }
        : undefined,
    );
    const t = await page.evaluate(async () => {
      const painted = await window.__painted;
      const b = window.__bench;
      return {
        host: b.tFramePosted - b.tReady,
        readyToPaint: painted - b.tReady,
        loadToPaint: painted - b.genMs,
        bytes: b.bytes.reduce((a, x) => a + x, 0),
        webviewJs: window.__losswatch.lastRenderMs(),
      };
    });
    first.push(t);
    if (cdp0) printProfile((await cdp0.send('Profiler.stop')).profile, 'first paint');
    if (rep === 1 && SHOT) {
      fs.mkdirSync(SHOT, { recursive: true });
      await page.screenshot({ path: path.join(SHOT, 'many.png') });
      await page.evaluate(() => window.__losswatch.hover('loss', 9000));
      await page.screenshot({ path: path.join(SHOT, 'many-hover.png') });
    }
    let cdp = null;
    if (rep === 1 && process.argv.includes('--profile')) {
      cdp = await page.context().newCDPSession(page);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
    }
    if (rep === 1) {
      hover = await page.evaluate(async () => {
        const lw = window.__losswatch;
        const ms = [];
        let rows = 0;
        for (let k = 0; k < 40; k++) {
          const x = 500 + k * 450;
          const h = lw.hover('loss', x);
          ms.push(h.ms);
          rows = Math.max(rows, h.rows.length);
          await new Promise((r) => requestAnimationFrame(() => r()));
        }
        ms.sort((a, b) => a - b);
        return { median: ms[ms.length >> 1], max: ms[ms.length - 1], p95: ms[Math.floor(ms.length * 0.95)], rows };
      });
    }
    if (cdp) printProfile((await cdp.send('Profiler.stop')).profile, 'hover');
    await page.close();
  }
  const best = first.sort((a, b) => a.loadToPaint - b.loadToPaint)[0];
  const label = `${RUNS} runs x ${MANY_POINTS.toLocaleString('en')} pts (x2 series)`;
  rows.push(['many runs', label, 'host compute (ms)', fmt(best.host)]);
  rows.push(['many runs', label, 'webview frame handling, JS (ms)', fmt(best.webviewJs)]);
  rows.push(['many runs', label, 'ready → painted (ms)', fmt(best.readyToPaint)]);
  rows.push(['many runs', label, 'page start → painted (ms; best of 2)', fmt(best.loadToPaint)]);
  rows.push(['many runs', label, 'host→webview bytes', String(best.bytes)]);
  rows.push(['many runs', '', 'budget: first paint (ms)', '1000']);
  rows.push([
    'hover tooltip',
    label,
    'loss card: median / p95 / max (ms), rows',
    `${fmt(hover.median)} / ${fmt(hover.p95)} / ${fmt(hover.max)}, ${hover.rows} series`,
  ]);
  rows.push(['hover tooltip', '', 'budget (ms)', '16']);
  const page = await openPage(`scenario=filter&n=100&runs=1000`);
  const f = await page.evaluate(async () => {
    await window.__painted;
    const lw = window.__losswatch;
    // Whole update: the dispatch (selector, cards, comparison) until the next paint.
    const time = async (filter, regex) => {
      const t0 = performance.now();
      lw.dispatch({ type: 'setFilter', filter, regex });
      const sync = performance.now() - t0;
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      return { ms: performance.now() - t0, sync, selectorMs: lw.filterMs(), shown: lw.runs().filter((r) => r.visible).length };
    };
    const out = [];
    for (const [text, re] of [
      ['seed1', false],
      ['sweep2/lr_[25]e-4_seed\\d*7$', true],
      ['', false],
    ]) {
      const a = [];
      for (let k = 0; k < 5; k++) a.push(await time(text, re));
      a.sort((x, y) => x.ms - y.ms);
      out.push({ text, re, ...a[2] });
    }
    return out;
  });
  for (const x of f)
    rows.push([
      'filter runs',
      '1,000 runs',
      `${x.re ? 'regex' : 'substring'} ${JSON.stringify(x.text)}: to next paint / JS / selector pass (ms), shown`,
      `${fmt(x.ms)} / ${fmt(x.sync)} / ${fmt(x.selectorMs)}, ${x.shown}`,
    ]);
  rows.push(['filter runs', '', 'budget (ms)', '50']);
  await page.close();
}
await browser.close();

// 3. Message size vs run length (host only, in Node; the same session code bundled for Node).
if (want('sizes')) {
  const sizesJs = await esbuild.build({
    stdin: {
      contents: `
import { DashboardSession } from './src/extension/dashboardCore';
import { DEFAULT_STATE } from './src/shared/messages';
import { FakeManager, FakeRun, FakeSeries } from './test/unit/dashboard/fake';
const out = [];
for (const n of [10_000, 100_000, 1_000_000]) {
  const m = new FakeManager();
  const run = new FakeRun('r', 'r', '/r.jsonl');
  const ss = [run.add(new FakeSeries('train/loss', 'train_loss', '/r.jsonl')), run.add(new FakeSeries('val/loss', 'val_loss', '/r.jsonl')), run.add(new FakeSeries('grad', 'grad_norm', '/r.jsonl'))];
  for (const s of ss) for (let i = 0; i < n; i++) s.push(i, Math.exp(-i / n) + Math.sin(i), NaN, NaN, i + 1);
  m.list.push(run);
  const sizes = [];
  let timers = [];
  const clock = { now: () => 0, setTimeout: (f) => (timers.push(f), f), clearTimeout: () => {} };
  const s = new DashboardSession(m, { post: (x) => { let bin = 0; const j = JSON.stringify(x, (_k, v) => (ArrayBuffer.isView(v) ? ((bin += v.byteLength), 0) : v)); sizes.push([x.type, j.length + bin]); }, openFile() {}, save() {}, warn() {} }, DEFAULT_STATE, clock);
  s.handleMessage({ type: 'ready', state: null, columns: 1200 });
  const frame = sizes.find((x) => x[0] === 'frame')[1];
  const patch = [];
  for (let k = 0; k < 20; k++) {
    for (const q of ss) { const from = q.length; for (let j = 0; j < 10; j++) q.push(from + j, 1, NaN, NaN, 1); s.onRunUpdate({ runId: 'r', reset: false, appended: [{ key: q.key, from }], logitRecordsFrom: 0 }); }
    const f = timers; timers = []; f.forEach((g) => g());
    patch.push(sizes.at(-1)[1]);
  }
  out.push([n, frame, Math.round(patch.reduce((a, b) => a + b, 0) / patch.length), Math.max(...patch)]);
}
console.log(JSON.stringify(out));
`,
      resolveDir: root,
      loader: 'ts',
      sourcefile: 'bench-sizes.ts',
    },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
  });
  // Through a temp file: the bundle is too large for a command-line argument (E2BIG).
  const sizesFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lw-bench-')), 'sizes.mjs');
  fs.writeFileSync(sizesFile, sizesJs.outputFiles[0].text);
  const sizes = spawnSync(process.execPath, [sizesFile], { cwd: root, encoding: 'utf8' });
  fs.rmSync(path.dirname(sizesFile), { recursive: true, force: true });
  if (sizes.status !== 0) throw new Error(sizes.error ? String(sizes.error) : sizes.stderr);
  const sz = JSON.parse(sizes.stdout.trim().split('\n').at(-1));
  for (const [n, frame, mean, max] of sz) {
    rows.push([
      'bytes vs run length',
      `3 x ${n.toLocaleString('en')} pts, 1200 px`,
      'frame / update mean / update max',
      `${frame} / ${mean} / ${max}`,
    ]);
  }
}

const w = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c].length)));
console.log('\nLossWatch dashboard benchmark (headless Chromium, real dist/webview.js, 1400x900 viewport)\n');
for (const r of rows) console.log(r.map((c, i) => c.padEnd(w[i])).join('  '));
