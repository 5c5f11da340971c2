// npm run bench:sweep:engine — the engine alone (no VS Code; bench:sweep opens the sweep in the real VS Code): a hyper-parameter sweep: R runs × S steps of JSONL as Python's json.dumps writes
// them (repr floats, 16–17 significant digits; a train line per step with a string `split`, a val line
// every 50 steps; the val loss of every other run turns up after half the steps, so overfitting fires).
// Loads every file as `losswatch check` does (LogWatcher, newest first, one at a time), checks each run,
// and reports: wall time to all findings, overfitting warnings found, event-loop round trip while
// loading (a 5 ms timer's lateness: p95 / max, what a host request waits), RSS and stored bytes per point.
// Env: BENCH_SWEEP=RxS (default 200x20000), BENCH_SRC (another checkout's src/, to compare).
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const [R, S] = (process.env.BENCH_SWEEP ?? '200x20000').split('x').map(Number);
const src = path.resolve(process.env.BENCH_SRC ?? 'src');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-bench-sweep-'));
const entry = path.join(dir, 'entry.ts');
fs.writeFileSync(
  entry,
  `export { RunChecker } from ${JSON.stringify(path.join(src, 'core/checks/index.ts'))};\nexport { LogWatcher } from ${JSON.stringify(path.join(src, 'ingest/index.ts'))};\n`,
);
const bundle = path.join(dir, 'sweep.mjs');
await esbuild.build({
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: bundle,
  logLevel: 'error',
  nodePaths: [path.resolve('node_modules')],
});
const lw = await import(pathToFileURL(bundle).href);

// ---- the sweep ----
let seed = 0x2545f491;
const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
const files = [];
for (let r = 0; r < R; r++) {
  const d = path.join(dir, `run_${String(r).padStart(3, '0')}`);
  fs.mkdirSync(d);
  const f = path.join(d, 'metrics.jsonl');
  const fd = fs.openSync(f, 'w');
  let buf = '';
  const lr0 = 1e-4 * (1 + (r % 7));
  for (let i = 0; i < S; i++) {
    const loss = 2.5 * Math.exp(-i / (S / 4)) + 0.05 * rnd();
    buf += `{"step": ${i}, "epoch": ${Math.floor(i / 1000)}, "split": "train", "loss": ${loss}, "grad_norm": ${1 + rnd() * 3}, "lr": ${lr0 * (1 - i / S)}}\n`;
    if (i % 50 === 49) {
      const over = r % 2 === 1 && i > S / 2 ? (i - S / 2) / S : 0;
      buf += `{"step": ${i}, "split": "val", "loss": ${loss * 1.1 + over}, "accuracy": ${1 - loss / 3}}\n`;
    }
    if (buf.length > 1 << 20) {
      fs.writeSync(fd, buf);
      buf = '';
    }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
  files.push(f);
}
const mb = files.reduce((a, f) => a + fs.statSync(f).size, 0) / 1e6;

// ---- load + check, with an event-loop probe ----
globalThis.gc?.();
const rss0 = process.memoryUsage().rss;
const lags = [];
let expect = performance.now() + 5;
const probe = setInterval(() => {
  const now = performance.now();
  lags.push(Math.max(0, now - expect));
  expect = now + 5;
}, 5);
const t0 = performance.now();
const w = new lw.LogWatcher({ watch: false });
const runs = [];
for (const f of files) {
  const run = await w.add(f);
  if (run) runs.push(run);
}
const tLoad = (performance.now() - t0) / 1000;
let overfitting = 0;
let findings = 0;
for (const run of runs) {
  const c = new lw.RunChecker();
  const fs_ = c.update(run);
  findings += fs_.length;
  overfitting += fs_.filter((f) => f.code === 'overfitting').length;
  await new Promise((r) => setImmediate(r));
}
const t = (performance.now() - t0) / 1000;
clearInterval(probe);
globalThis.gc?.();
const rss = process.memoryUsage().rss - rss0;
let points = 0;
let bytes = 0;
for (const run of runs) {
  const fp = run.footprint();
  points += fp.points;
  bytes += fp.bytes;
}
lags.sort((a, b) => a - b);
const q = (p) => lags[Math.min(lags.length - 1, Math.floor(p * lags.length))] ?? 0;
console.log(`\nsweep: ${R} runs × ${S} steps (${mb.toFixed(0)} MB JSONL), src ${path.relative(process.cwd(), src) || src}`);
console.table([
  {
    'load+check s': t.toFixed(2),
    'of which load s': tLoad.toFixed(2),
    'MB/s': (mb / t).toFixed(0),
    runs: runs.length,
    'overfitting warnings': overfitting,
    findings,
    points,
    'stored B/point': (bytes / points).toFixed(1),
    'RSS B/point': (rss / points).toFixed(1),
    'loop lag p95 ms': q(0.95).toFixed(1),
    'loop lag max ms': q(1).toFixed(1),
  },
]);
w.dispose();
fs.rmSync(dir, { recursive: true, force: true });
