// npm run bench:ingest — JSONL / CSV parse throughput and bytes per stored point vs pandas on the same
// files (same run), plus the follower's append → record latency (p50/p95) in watch and poll mode.
// Both sides: best of BENCH_REPS (default 5) reads, ours and pandas alternating in the same run (the
// machine is shared: compare the ratios, not the MB/s); wall clock and process CPU time. Env: BENCH_LINES (default 1000000), BENCH_REPS, BENCH_ONLY (jsonl|csv).
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const REPS = Number(process.env.BENCH_REPS ?? 5); // best of REPS, for ours and for pandas alike
const ONLY = process.env.BENCH_ONLY; // 'jsonl' or 'csv': that format only (and no latency runs)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-bench-ingest-'));
const bundle = path.join(dir, 'ingest.mjs');
await esbuild.build({ entryPoints: ['src/ingest/index.ts'], bundle: true, platform: 'node', format: 'esm', outfile: bundle, logLevel: 'error' });
const worker = path.join(dir, 'ingest-worker.js');
await esbuild.build({ entryPoints: ['src/ingest/worker.ts'], bundle: true, platform: 'node', format: 'cjs', outfile: worker, logLevel: 'error' });
const ingest = await import(pathToFileURL(bundle).href);

// ---- data: step, epoch, loss, grad_norm, lr (like a real per-step log) ----
function write(file, header, fmt) {
  const fd = fs.openSync(file, 'w');
  let buf = header;
  let x = 0x2545f491;
  const rnd = () => ((x = (x * 1103515245 + 12345) >>> 0) / 4294967296);
  for (let i = 0; i < LINES; i++) {
    const epoch = Math.floor(i / 10000);
    const loss = 2.5 * Math.exp(-i / 300000) + 0.05 * rnd();
    const gn = 1 + rnd() * 3;
    const lr = 3e-4 * (1 - i / LINES);
    buf += fmt(i, epoch, loss, gn, lr);
    if (buf.length > 1 << 20) {
      fs.writeSync(fd, buf);
      buf = '';
    }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
}
const jsonl = path.join(dir, 'metrics.jsonl');
const csv = path.join(dir, 'metrics.csv');
write(jsonl, '', (i, e, l, g, lr) => `{"step": ${i}, "epoch": ${e}, "loss": ${l.toPrecision(12)}, "grad_norm": ${g.toPrecision(12)}, "lr": ${lr.toPrecision(10)}}\n`);
write(csv, 'step,epoch,loss,grad_norm,lr\n', (i, e, l, g, lr) => `${i},${e},${l.toPrecision(12)},${g.toPrecision(12)},${lr.toPrecision(10)}\n`);
// Realistic shapes: Python's json.dumps / csv module print floats with repr (shortest round trip: 16–17
// significant digits, like String(x) here). JSONL: a train line per step with a string `split`, a val
// line every 5th step (two alternating line shapes). CSV: Lightning's CSVLogger (train rows and val
// rows with each other's cells empty).
const jsonlPy = path.join(dir, 'metrics-py.jsonl');
const csvPl = path.join(dir, 'metrics-pl.csv');
write(jsonlPy, '', (i, e, l, g, lr) => `{"step": ${i}, "epoch": ${e}, "split": "train", "loss": ${l}, "grad_norm": ${g}, "lr": ${lr}}\n` + (i % 5 === 4 ? `{"step": ${i}, "epoch": ${e}, "split": "val", "loss": ${l * 1.1}, "accuracy": ${1 - l / 3}}\n` : ''));
write(csvPl, 'epoch,step,train_loss,grad_norm,val_loss,val_acc\n', (i, e, l, g) => `${e},${i},${l},${g},,\n` + (i % 5 === 4 ? `${e},${i},,,${l * 1.1},${1 - l / 3}\n` : ''));
const mb = (f) => fs.statSync(f).size / 1e6;

async function ours(file, opts) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const runs = await ingest.loadRuns([file], opts);
  const t = (performance.now() - t0) / 1000;
  const cu = process.cpuUsage(c0);
  const run = runs[0];
  const fp = run.footprint();
  return { t, cpu: (cu.user + cu.system) / 1e6, points: fp.points, bpp: fp.bytes / fp.points, series: run.series().length };
}
// pandas: one read_json(lines=True) / read_csv in a fresh /usr/bin/python3 (import not timed):
// wall-clock and process CPU seconds of the read.
function pandas(file, kind) {
  const read = kind === 'jsonl' ? `pd.read_json(${JSON.stringify(file)}, lines=True)` : `pd.read_csv(${JSON.stringify(file)})`;
  const code = `import time, pandas as pd\nt=time.perf_counter(); c=time.process_time()\ndf=${read}\nprint(time.perf_counter()-t, time.process_time()-c, len(df))`;
  const r = spawnSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const [t, cpu] = r.stdout.trim().split(' ').map(Number);
  return { t, cpu };
}
function naive(file) {
  const t0 = performance.now();
  const text = fs.readFileSync(file, 'utf8');
  let n = 0;
  for (const line of text.split('\n')) if (line) n += Object.keys(JSON.parse(line)).length;
  return (performance.now() - t0) / 1000;
}

// JIT warm-up on a small slice of each file
{
  const warm = path.join(dir, 'warm');
  fs.mkdirSync(warm);
  for (const f of [jsonl, csv, jsonlPy, csvPl]) {
    const fd = fs.openSync(f, 'r');
    const b = Buffer.alloc(4 << 20);
    fs.readSync(fd, b, 0, b.length, 0);
    fs.closeSync(fd);
    const w = path.join(warm, path.basename(f));
    fs.writeFileSync(w, b.subarray(0, b.lastIndexOf(10) + 1));
    for (let k = 0; k < 3; k++) await ingest.loadRuns([w]);
  }
}
const rows = [];
for (const [kind, file, name] of [['jsonl', jsonl, 'jsonl'], ['jsonl', jsonlPy, 'jsonl (json.dumps, train+val)'], ['csv', csv, 'csv'], ['csv', csvPl, 'csv (Lightning, sparse)']]) {
  if (ONLY && ONLY !== kind) continue;
  const size = mb(file);
  // ours and pandas alternate, REPS times each (the machine is shared: both sides see the same load);
  // each side keeps its best wall time and its best CPU time
  let main;
  let p;
  for (let k = 0; k < REPS; k++) {
    const x = await ours(file, {});
    if (!main || x.t < main.t) main = { ...x, cpu: Math.min(x.cpu, main?.cpu ?? Infinity) };
    else main.cpu = Math.min(main.cpu, x.cpu);
    const y = pandas(file, kind);
    if (y) p = p ? { t: Math.min(p.t, y.t), cpu: Math.min(p.cpu, y.cpu) } : y;
  }
  let viaWorker;
  for (let k = 0; k < REPS; k++) {
    const x = await ours(file, { workerScript: worker, workerThreshold: 1 << 20 });
    if (!viaWorker || x.t < viaWorker.t) viaWorker = x;
  }
  rows.push({
    format: name,
    MB: size.toFixed(1),
    'ours MB/s': (size / main.t).toFixed(0),
    'pandas MB/s': p ? (size / p.t).toFixed(0) : 'n/a',
    ratio: p ? (p.t / main.t).toFixed(2) + '×' : 'n/a',
    'CPU ratio': p ? (p.cpu / main.cpu).toFixed(2) + '×' : 'n/a',
    'worker MB/s': (size / viaWorker.t).toFixed(0),
    points: main.points,
    'B/point': main.bpp.toFixed(2),
  });
  if (file === jsonl) {
    const tn = naive(file);
    rows.push({ format: 'jsonl (naive JSON.parse per line)', MB: size.toFixed(1), 'ours MB/s': (size / tn).toFixed(0), 'pandas MB/s': '', ratio: p ? (p.t / tn).toFixed(2) + '×' : '', 'CPU ratio': '', 'worker MB/s': '', points: '', 'B/point': '' });
  }
}
console.log(`\ningest throughput (${LINES} lines, best of ${REPS} alternating runs; ratio = pandas wall time / ours, CPU ratio = pandas CPU seconds / ours)`);
console.table(rows);

// ---- follower latency: append one line, wait for the update carrying it ----
async function latency(mode) {
  const f = path.join(dir, `lat-${mode}.jsonl`);
  fs.writeFileSync(f, '{"step": 0, "loss": 1}\n');
  const w = new ingest.LogWatcher(mode === 'poll' ? { pollIntervalMs: 50, coalesceMs: 0 } : { coalesceMs: 0 });
  await w.add(f);
  const lat = [];
  let pending;
  w.onUpdate((u) => {
    const run = w.getRun(u.runId);
    const s = run?.getSeries('loss');
    if (pending && s && s.length > pending.n) {
      lat.push(performance.now() - pending.t);
      const r = pending.resolve;
      pending = undefined;
      r();
    }
  });
  for (let i = 1; i <= 60; i++) {
    await new Promise((resolve) => {
      pending = { t: performance.now(), n: i, resolve };
      fs.appendFileSync(f, `{"step": ${i}, "loss": ${1 / (i + 1)}}\n`);
    });
    await new Promise((r) => setTimeout(r, 5 + (i % 7)));
  }
  w.dispose();
  lat.sort((a, b) => a - b);
  return { mode, appends: lat.length, 'p50 ms': lat[Math.floor(lat.length * 0.5)].toFixed(1), 'p95 ms': lat[Math.floor(lat.length * 0.95)].toFixed(1) };
}
if (ONLY) process.exit(0);
console.log('\nfollower append → record latency (coalesceMs 0; poll interval 50 ms)');
const keepAlive = setInterval(() => {}, 1000); // the watcher's handles are unref'd (they never hold a host open)
console.table([await latency('watch'), await latency('poll')]);
clearInterval(keepAlive);
fs.rmSync(dir, { recursive: true, force: true });
