// npm run bench:sweep — a hyper-parameter sweep opened as a user would, in the real VS Code.
// Generates the sweep with Python's json.dumps (bench/sweep_writer.py: 17-digit floats, train and val
// lines interleaved, a string `split` field), then measures, in the same run:
//   - the CLI: `losswatch check` on the folder (wall time, overfitting warnings found);
//   - VS Code (test harness, real extension host): time from the workbench being ready to all expected
//     `overfitting` warnings, extension-host RSS per point after load (minus the RSS of an extension host
//     with LossWatch active on an empty workspace, measured first), the host round-trip latency
//     (p50/p95/max of `eval('return 1')` every 100 ms while loading), dashboard first paint with all
//     runs (open → a chart canvas has pixels), RSS per point with the dashboard open, and the host's
//     CPU over 20 s of idle after load.
// Variants (env BENCH_SWEEP): "200x20000" (default; 400 MB, 12 M points) and "1000x2000"; BENCH_SWEEP=all
// runs both. BENCH_SWEEP_DIR keeps the generated data there (reused if present).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startVSCode } from '../test/integration/harness.mjs';

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
// BENCH_SWEEP_QUICK=1: only the CLI and VS Code → all warnings with the round-trips (no baseline RSS,
// dashboard or idle CPU)
const QUICK = process.env.BENCH_SWEEP_QUICK === '1';
const variants = (process.env.BENCH_SWEEP ?? '200x20000') === 'all' ? ['200x20000', '1000x2000'] : [process.env.BENCH_SWEEP ?? '200x20000'];
const pct = (a, p) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const ms = (x) => `${Math.round(x)} ms`;
const sec = (x) => `${(x / 1000).toFixed(1)} s`;

const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: repo, stdio: 'ignore' });
if (build.status !== 0) throw new Error('build failed');

const COUNT_OVERFITTING = `let n = 0;
for (const [, ds] of vscode.languages.getDiagnostics()) for (const d of ds) if (d.source === 'LossWatch' && (d.code?.value ?? d.code) === 'overfitting') n++;
return n;`;
const PROFILE_START = `const inspector = process.getBuiltinModule('node:inspector');
const s = new inspector.Session();
s.connect();
globalThis.__lwProfile = s;
const post = (m, p) => new Promise((res, rej) => s.post(m, p ?? {}, (e, r) => (e ? rej(e) : res(r))));
await post('Profiler.enable');
await post('Profiler.setSamplingInterval', { interval: 500 });
await post('Profiler.start');
const { PerformanceObserver } = process.getBuiltinModule('node:perf_hooks');
const gcs = (globalThis.__lwGc = []);
const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) gcs.push([e.detail?.kind ?? e.kind, e.duration]); });
obs.observe({ entryTypes: ['gc'] });
globalThis.__lwGcObs = obs;
return true;`;
const PROFILE_STOP = `const s = globalThis.__lwProfile;
const r = await new Promise((res, rej) => s.post('Profiler.stop', {}, (e, x) => (e ? rej(e) : res(x))));
s.disconnect();
globalThis.__lwGcObs.disconnect();
const kinds = {};
for (const [k, d] of globalThis.__lwGc) { const e = (kinds[k] ??= { n: 0, ms: 0, max: 0, over50: 0 }); e.n++; e.ms += d; e.max = Math.max(e.max, d); if (d > 50) e.over50++; }
console.log('LW-GC', JSON.stringify(kinds));
r.profile.lwGc = kinds;
return JSON.stringify(r.profile);`;
const RSS = `return process.memoryUsage().rss;`;
// memory after a full garbage collection (inspector HeapProfiler.collectGarbage): what is retained,
// not what the allocator still holds
const MEM_AFTER_GC = `const inspector = process.getBuiltinModule('node:inspector');
const s = new inspector.Session();
s.connect();
await new Promise((res, rej) => s.post('HeapProfiler.collectGarbage', (e) => (e ? rej(e) : res())));
s.disconnect();
const m = process.memoryUsage();
return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };`;
const CPU = `const u = process.cpuUsage(); return u.user + u.system;`;

/** Extension-host RSS with LossWatch active on an empty workspace: the baseline for bytes per point. */
async function baselineRss() {
  const vs = await startVSCode({ name: 'bench-sweep-baseline', settings: { 'security.workspace.trust.enabled': false } });
  try {
    await vs.host.executeCommand('losswatch.recheckAll').catch(() => {});
    await vs.waitFor(async () => (await vs.host.extension('losswatch.losswatch'))?.isActive || undefined, 30000, 'activation');
    await new Promise((r) => setTimeout(r, 2000)); // let activation's allocations settle before the reading
    return await vs.host.eval(RSS);
  } finally {
    await vs.close();
  }
}

async function firstPaint(vs) {
  const t0 = performance.now();
  await vs.host.executeCommand('losswatch.openDashboard');
  const frame = await vs.webviewFrame({ selector: 'canvas' }, 60000);
  await vs.waitFor(
    () =>
      frame.evaluate(() => {
        for (const c of document.querySelectorAll('canvas')) {
          if (!c.width || !c.height) continue;
          const ctx = c.getContext('2d');
          const d = ctx?.getImageData(0, 0, c.width, c.height).data;
          if (!d) continue;
          for (let i = 3; i < d.length; i += 4 * 97) if (d[i] !== 0) return true;
        }
        return false;
      }) || undefined,
    60000,
    'a chart canvas with pixels',
    50,
  );
  return performance.now() - t0;
}

/** Waits (up to 30 s) until no process of the VS Code started as `name` is left (a closed VS Code's
 * server, extension host and browser exit over a few seconds, taking CPU meanwhile). */
async function gone(name) {
  for (let t = 0; t < 300; t++) {
    if (spawnSync('pgrep', ['-f', name]).status === 1) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function one(variant, getBase) {
  const [runs, steps] = variant.split('x').map(Number);
  const dir = process.env.BENCH_SWEEP_DIR
    ? path.join(process.env.BENCH_SWEEP_DIR, variant)
    : fs.mkdtempSync(path.join(os.tmpdir(), `lw-sweep-${variant}-`));
  const summaryFile = path.join(dir, '.sweep.json');
  let summary;
  if (fs.existsSync(summaryFile)) summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
  else {
    fs.mkdirSync(dir, { recursive: true });
    const t0 = performance.now();
    const w = spawnSync('/usr/bin/python3', [path.join(repo, 'bench/sweep_writer.py'), dir, String(runs), String(steps)], {
      encoding: 'utf8',
    });
    if (w.status !== 0) throw new Error(`sweep writer failed: ${w.stderr}`);
    summary = JSON.parse(w.stdout);
    fs.writeFileSync(summaryFile, JSON.stringify(summary));
    console.log(`generated ${variant}: ${(summary.bytes / 1e6).toFixed(0)} MB, ${summary.points} points in ${sec(performance.now() - t0)}`);
  }
  const expected = summary.overfitting.length;

  // CLI: best of 2, before any VS Code runs on this machine (a closing VS Code's processes linger and
  // take CPU for seconds)
  let cliMs = Infinity;
  let cli;
  for (let k = 0; k < 2; k++) {
    const c0 = performance.now();
    cli = spawnSync(process.execPath, [path.join(repo, 'dist/cli.js'), 'check', dir, '--format', 'json'], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });
    cliMs = Math.min(cliMs, performance.now() - c0);
  }
  let cliOver = NaN;
  try {
    cliOver = JSON.parse(cli.stdout).filter((d) => d.code === 'overfitting').length;
  } catch {
    console.warn(`CLI output unreadable (exit ${cli.status}): ${cli.stderr.slice(0, 300)}`);
  }

  // VS Code
  const baseRss = await getBase();
  await gone('bench-sweep-baseline');
  const vs = await startVSCode({
    name: `bench-sweep-${variant}`,
    workspaceInPlace: dir,
    settings: { 'losswatch.watch.maxFiles': Math.max(200, runs + 10), 'security.workspace.trust.enabled': false },
  });
  const out = { variant, runs, points: summary.points, MB: +(summary.bytes / 1e6).toFixed(0), expected, cliMs, cliOver };
  try {
    // BENCH_SWEEP_PROFILE=<file>: a CPU profile of the extension host while loading (inspector session
    // opened inside the host; open the file in Chrome DevTools or VS Code)
    const profile = process.env.BENCH_SWEEP_PROFILE;
    if (profile) await vs.host.eval(PROFILE_START);
    const lat = [];
    const t0 = performance.now();
    let found = 0;
    let lastCount = 0;
    const deadline = t0 + 600_000;
    while (performance.now() < deadline) {
      const a = performance.now();
      await vs.host.eval('return 1');
      lat.push(performance.now() - a);
      if (lat.length % 5 === 0) {
        found = await vs.host.eval(COUNT_OVERFITTING);
        if (found !== lastCount) lastCount = found;
        if (found >= expected) break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    out.vscodeMs = performance.now() - t0;
    if (profile) {
      fs.writeFileSync(profile, await vs.host.eval(PROFILE_STOP));
      console.log(
        `extension-host CPU profile: ${profile}; GC by kind (1 minor, 2 major, 4 incremental, 8 weak): ${JSON.stringify(JSON.parse(fs.readFileSync(profile, 'utf8')).lwGc)}`,
      );
    }
    out.vscodeOver = found;
    out.latP50 = pct(lat, 50);
    out.latP95 = pct(lat, 95);
    out.latMax = Math.max(...lat);
    const rss = await vs.host.eval(RSS);
    out.rssMB = rss / 1e6;
    out.bppLoaded = (rss - baseRss) / summary.points;
    if (QUICK) return out;
    out.paintMs = await firstPaint(vs);
    await new Promise((r) => setTimeout(r, 3000));
    const rss2 = await vs.host.eval(RSS);
    out.bppDashboard = (rss2 - baseRss) / summary.points;
    const cpu0 = await vs.host.eval(CPU);
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, 20000));
    const cpu1 = await vs.host.eval(CPU);
    out.idleCpuPct = ((cpu1 - cpu0) / 1000 / (performance.now() - w0)) * 100;
    out.rssIdle = await vs.host.eval(RSS);
    out.afterGc = await vs.host.eval(MEM_AFTER_GC);
  } finally {
    await vs.close();
    if (!process.env.BENCH_SWEEP_DIR) fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

const load = os
  .loadavg()
  .map((x) => x.toFixed(2))
  .join(' ');
// the baseline VS Code starts after the first variant's CLI runs (see one())
let base;
const baseline = async () => (base ??= QUICK ? NaN : await baselineRss());
const results = [];
for (const v of variants) results.push(await one(v, baseline));
for (const r of results) console.log('sweep-result', JSON.stringify({ ...r, load: os.loadavg().map((x) => +x.toFixed(2)) }));
console.log(`\nbench:sweep (2-core machine, load average at start ${load}; baseline extension-host RSS ${(base / 1e6).toFixed(0)} MB)`);
console.table(
  results.map((r) => ({
    sweep: `${r.runs} runs, ${r.MB} MB, ${(r.points / 1e6).toFixed(1)} M points`,
    'CLI check': `${sec(r.cliMs)} (${r.cliOver}/${r.expected})`,
    'VS Code → all warnings': `${sec(r.vscodeMs)} (${r.vscodeOver}/${r.expected})`,
    'ratio VS Code / CLI': `${(r.vscodeMs / r.cliMs).toFixed(2)}×`,
    'B/point loaded': r.bppLoaded.toFixed(1),
    'B/point + dashboard': QUICK ? '-' : r.bppDashboard.toFixed(1),
    'round-trip p50/p95/max': `${ms(r.latP50)} / ${ms(r.latP95)} / ${ms(r.latMax)}`,
    'dashboard first paint': QUICK ? '-' : ms(r.paintMs),
    'idle CPU (20 s)': QUICK ? '-' : `${r.idleCpuPct.toFixed(1)} %`,
  })),
);
for (const r of results)
  if (r.afterGc)
    console.log(
      `${r.runs} runs, dashboard open: RSS ${(r.rssIdle / 1e6).toFixed(0)} MB after 20 s idle (${((r.rssIdle - base) / r.points).toFixed(1)} B/point); after a full GC: RSS ${(r.afterGc.rss / 1e6).toFixed(0)} MB (${((r.afterGc.rss - base) / r.points).toFixed(1)} B/point), JS heap ${(r.afterGc.heapUsed / 1e6).toFixed(0)} MB, typed-array buffers ${(r.afterGc.arrayBuffers / 1e6).toFixed(0)} MB`,
    );
console.log('goals: VS Code ≤ 1.5 × CLI, CLI ≤ 5 s (200 runs), ≤ 32 B/point with the dashboard open, round-trip p95 ≤ 50 ms, max ≤ 100 ms');
