// npm run bench:ingest — JSONL / CSV parse throughput and bytes per stored point vs pandas on the same
// files (same run), plus the follower's append → record latency (p50/p95) in watch and poll mode.
// Both sides: best of BENCH_REPS (default 5) reads, ours and pandas alternating in the same run (the
// machine is shared: compare the ratios, not the MB/s); wall clock and process CPU time. Env: BENCH_LINES (default 1000000), BENCH_REPS, BENCH_ONLY (jsonl|csv).
import * as esbuild from 'esbuild';
import { spawn, spawnSync } from 'node:child_process'; // spawnSync: the realistic files' Python writer
import { existsSync } from 'node:fs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const REPS = Number(process.env.BENCH_REPS ?? 5); // best of REPS, for ours and for pandas alike
const ONLY = process.env.BENCH_ONLY; // 'jsonl' or 'csv': that format only (and no latency runs)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-bench-ingest-'));
const bundle = path.join(dir, 'ingest.mjs');
await esbuild.build({
  entryPoints: ['src/ingest/index.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: bundle,
  logLevel: 'error',
});
const worker = path.join(dir, 'ingest-worker.js');
await esbuild.build({
  entryPoints: ['src/ingest/worker.ts'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  outfile: worker,
  logLevel: 'error',
});
const ingest = await import(pathToFileURL(bundle).href);

// ---- data: step, epoch, loss, grad_norm, lr (like a real per-step log) ----
function write(file, header, fmt) {
  const fd = fs.openSync(file, 'w');
  let buf = header;
  let x = 0x2545f491;
  const rnd = () => (x = (x * 1103515245 + 12345) >>> 0) / 4294967296;
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
write(
  jsonl,
  '',
  (i, e, l, g, lr) =>
    `{"step": ${i}, "epoch": ${e}, "loss": ${l.toPrecision(12)}, "grad_norm": ${g.toPrecision(12)}, "lr": ${lr.toPrecision(10)}}\n`,
);
write(
  csv,
  'step,epoch,loss,grad_norm,lr\n',
  (i, e, l, g, lr) => `${i},${e},${l.toPrecision(12)},${g.toPrecision(12)},${lr.toPrecision(10)}\n`,
);
const mb = (f) => fs.statSync(f).size / 1e6;
// Realistic files, written by Python itself (what real loggers produce): json.dumps lines with 17-digit
// floats, train and val lines interleaved with a string `split` field; and a Lightning-shaped CSV
// (csv module, repr floats, sparse rows: a train row per step, a val row every 1,000 steps).
const pyJsonl = path.join(dir, 'realistic.jsonl');
const pyCsv = path.join(dir, 'realistic.csv');
{
  const code = `
import json, csv, math, random, sys
random.seed(7)
n = int(sys.argv[3])
with open(sys.argv[1], "w") as f:
    for i in range(n):
        if i % 1000 == 999:
            f.write(json.dumps({"step": i, "split": "val", "epoch": i // 10000, "loss": 2.4 * math.exp(-i / 250000) + 0.03 * random.random(), "accuracy": random.random()}) + "\\n")
        else:
            f.write(json.dumps({"step": i, "split": "train", "epoch": i // 10000, "loss": 2.5 * math.exp(-i / 300000) + 0.05 * random.random(), "grad_norm": 1 + 3 * random.random(), "lr": 3e-4 * (1 - i / n)}) + "\\n")
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f, lineterminator="\\n")
    w.writerow(["epoch", "step", "train_loss", "grad_norm", "lr-AdamW", "val_loss", "val_acc"])
    for i in range(n):
        if i % 1000 == 999:
            w.writerow([i // 10000, i, "", "", "", repr(2.4 * math.exp(-i / 250000) + 0.03 * random.random()), repr(random.random())])
        else:
            w.writerow([i // 10000, i, repr(2.5 * math.exp(-i / 300000) + 0.05 * random.random()), repr(1 + 3 * random.random()), repr(3e-4 * (1 - i / n)), "", ""])
`;
  const r = spawnSync('/usr/bin/python3', ['-c', code, pyJsonl, pyCsv, String(LINES)], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('could not write the realistic files with /usr/bin/python3');
}

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
// pandas runs in one persistent /usr/bin/python3 process treated like ours: the same warm-up (three
// reads of the 4 MiB slice of each file) before any timed read, then one timed read per request
// (wall-clock and process CPU seconds of the read; the import is not timed). Each side keeps its best.
const PANDAS_PY = `
import sys, time, json
try:
    import pandas as pd
except Exception as e:
    print(json.dumps({"error": str(e)}), flush=True); sys.exit(0)
def read(kind, f):
    return pd.read_json(f, lines=True) if kind == "jsonl" else pd.read_csv(f)
print(json.dumps({"version": pd.__version__}), flush=True)
for line in sys.stdin:
    kind, f = line.rstrip("\\n").split("\\t")
    t = time.perf_counter(); c = time.process_time()
    df = read(kind, f)
    print(json.dumps({"t": time.perf_counter() - t, "cpu": time.process_time() - c, "rows": len(df)}), flush=True)
`;
function startPandas() {
  const r = spawn('/usr/bin/python3', ['-c', PANDAS_PY], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = [];
  const waiters = [];
  let buf = '';
  r.stdout.on('data', (b) => {
    buf += b;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (waiters.length) waiters.shift()(l);
      else lines.push(l);
    }
  });
  const closed = new Promise((res) => r.on('close', () => res(null)));
  const next = () => (lines.length ? Promise.resolve(lines.shift()) : Promise.race([new Promise((res) => waiters.push(res)), closed]));
  return {
    async hello() {
      try {
        const h = JSON.parse((await next()) ?? '');
        return h.error ? undefined : h.version;
      } catch {
        return undefined;
      }
    },
    async read(file, kind) {
      r.stdin.write(`${kind}\t${file}\n`);
      try {
        return JSON.parse((await next()) ?? '');
      } catch {
        return undefined;
      }
    },
    close() {
      r.stdin.end();
      r.kill();
    },
  };
}
const py = existsSync('/usr/bin/python3') ? startPandas() : undefined;
const pandasVersion = py ? await py.hello() : undefined;
if (!pandasVersion) console.warn('pandas unavailable: ratios are not printed');
async function pandas(file, kind) {
  return pandasVersion ? py.read(file, kind) : undefined;
}
function naive(file) {
  const t0 = performance.now();
  const text = fs.readFileSync(file, 'utf8');
  let n = 0;
  for (const line of text.split('\n')) if (line) n += Object.keys(JSON.parse(line)).length;
  if (n < 0) throw new Error('unreachable'); // keeps the parse from being optimised away
  return (performance.now() - t0) / 1000;
}

// JIT warm-up on a small slice of each file
{
  const warm = path.join(dir, 'warm');
  fs.mkdirSync(warm);
  for (const f of [jsonl, csv, pyJsonl, pyCsv]) {
    const fd = fs.openSync(f, 'r');
    const b = Buffer.alloc(4 << 20);
    fs.readSync(fd, b, 0, b.length, 0);
    fs.closeSync(fd);
    const w = path.join(warm, path.basename(f));
    fs.writeFileSync(w, b.subarray(0, b.lastIndexOf(10) + 1));
    for (let k = 0; k < 3; k++) {
      await ingest.loadRuns([w]);
      await pandas(w, f.endsWith('.csv') ? 'csv' : 'jsonl');
    }
  }
}
const rows = [];
for (const [kind, file, label] of [
  ['jsonl', jsonl, 'jsonl (uniform, 12 digits)'],
  ['jsonl', pyJsonl, 'jsonl (json.dumps, train+val)'],
  ['csv', csv, 'csv (uniform, 12 digits)'],
  ['csv', pyCsv, 'csv (Lightning shape, repr)'],
]) {
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
    const y = await pandas(file, kind);
    if (y) p = p ? { t: Math.min(p.t, y.t), cpu: Math.min(p.cpu, y.cpu) } : y;
  }
  let viaWorker;
  const split0 = { ...ingest.bulkStats };
  for (let k = 0; k < REPS; k++) {
    const x = await ours(file, { workerScript: worker, workerThreshold: 1 << 20 });
    if (!viaWorker || x.t < viaWorker.t) viaWorker = x;
  }
  rows.push({
    format: label,
    MB: size.toFixed(1),
    'ours MB/s': (size / main.t).toFixed(0),
    'pandas MB/s': p ? (size / p.t).toFixed(0) : 'n/a',
    ratio: p ? (p.t / main.t).toFixed(2) + '×' : 'n/a',
    'CPU ratio': p ? (p.cpu / main.cpu).toFixed(2) + '×' : 'n/a',
    'worker MB/s': (size / viaWorker.t).toFixed(0),
    // reads split between two workers / of those, second halves kept (the others were redone)
    'split kept': `${ingest.bulkStats.kept - split0.kept}/${ingest.bulkStats.split - split0.split}`,
    points: main.points,
    'B/point': main.bpp.toFixed(2),
  });
  if (file === jsonl) {
    const tn = naive(file);
    rows.push({
      format: 'jsonl (naive JSON.parse per line)',
      MB: size.toFixed(1),
      'ours MB/s': (size / tn).toFixed(0),
      'pandas MB/s': '',
      ratio: p ? (p.t / tn).toFixed(2) + '×' : '',
      'CPU ratio': '',
      'worker MB/s': '',
      'split kept': '',
      points: '',
      'B/point': '',
    });
  }
}
console.log(
  `\ningest throughput (${LINES} lines; ours and pandas ${pandasVersion ?? 'n/a'} each warmed up the same way (3 reads of a 4 MiB slice) in one long-lived process, then best of ${REPS} alternating timed reads; ratio = pandas wall time / ours, CPU ratio = pandas CPU seconds / ours)`,
);
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
  return {
    mode,
    appends: lat.length,
    'p50 ms': lat[Math.floor(lat.length * 0.5)].toFixed(1),
    'p95 ms': lat[Math.floor(lat.length * 0.95)].toFixed(1),
  };
}
py?.close();
if (ONLY) process.exit(0);
console.log('\nfollower append → record latency (coalesceMs 0; poll interval 50 ms)');
const keepAlive = setInterval(() => {}, 1000); // the watcher's handles are unref'd (they never hold a host open)
console.table([await latency('watch'), await latency('poll')]);
clearInterval(keepAlive);
fs.rmSync(dir, { recursive: true, force: true });
