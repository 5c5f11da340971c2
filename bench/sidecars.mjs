// npm run bench:sidecars — memory and time of logged batches in .npy sidecars:
//   1. a sweep: BENCH_SIDECARS records (default 1000), each naming its own 256 × 1000 float32 logits
//      sidecar and int64 labels; load + check the run, report RSS (now and peak) and the time;
//   2. a sparse 3 GB sidecar: time until the record is refused (logits-unreadable);
//   3. one 200 MiB sidecar (51 200 × 1000 float32) streamed in blocks: time, RSS, and the longest
//      event-loop stall while it is read (the extension host stays responsive).
// BENCH_REPO=<dir with src/> measures another checkout of the sources (e.g. an older commit exported
// with `git archive`), for before/after numbers. Run it alone (it writes ≈ 1 GB of sidecars to tmp).
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const N = Number(process.env.BENCH_SIDECARS ?? 1000);
const ROWS = 256;
const C = 1000;
const repo = path.resolve(process.env.BENCH_REPO ?? process.cwd());
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-bench-sidecars-'));
const entry = path.join(dir, 'entry.ts');
fs.writeFileSync(
  entry,
  `export * from ${JSON.stringify(path.join(repo, 'src/core/checks/index.ts'))};\nexport { loadRuns } from ${JSON.stringify(path.join(repo, 'src/ingest/index.ts'))};\n`,
);
const bundle = path.join(dir, 'bundle.mjs');
await esbuild.build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: bundle, logLevel: 'error' });
const lw = await import(pathToFileURL(bundle).href);

function npy(descr, shape, bytes) {
  let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  while ((10 + h.length + 1) % 64) h += ' ';
  h += '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head.writeUInt16LE(h.length, 8);
  return Buffer.concat([head, Buffer.from(h, 'latin1'), bytes]);
}

const peakKiB = () => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN);
const mib = (b) => (b / 2 ** 20).toFixed(0);

async function check(run) {
  return lw.checkRunAsync ? lw.checkRunAsync(run) : lw.checkRun(run);
}

try {
  // 1. the sweep
  const sweep = path.join(dir, 'sweep');
  fs.mkdirSync(path.join(sweep, 'batches'), { recursive: true });
  const z = new Float32Array(ROWS * C);
  const y = new BigInt64Array(ROWS);
  const lines = [];
  for (let i = 0; i < N; i++) {
    for (let k = 0; k < z.length; k++) z[k] = Math.sin(k * 0.37 + i) * 3;
    for (let k = 0; k < ROWS; k++) y[k] = BigInt((k * 7 + i) % C);
    fs.writeFileSync(path.join(sweep, 'batches', `z${i}.npy`), npy('<f4', [ROWS, C], Buffer.from(z.buffer)));
    fs.writeFileSync(path.join(sweep, 'batches', `y${i}.npy`), npy('<i8', [ROWS], Buffer.from(y.buffer)));
    lines.push(JSON.stringify({ step: i, split: 'val', logits_file: `batches/z${i}.npy`, labels_file: `batches/y${i}.npy`, loss: 7 }));
  }
  fs.writeFileSync(path.join(sweep, 'log.jsonl'), lines.join('\n') + '\n');
  globalThis.gc?.();
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const [run] = await lw.loadRuns([path.join(sweep, 'log.jsonl')]);
  const findings = await check(run);
  const ms = performance.now() - t0;
  globalThis.gc?.();
  const rss1 = process.memoryUsage().rss;
  console.log(
    `sweep: ${N} records of ${ROWS}×${C} float32 sidecars (${mib(N * ROWS * C * 4)} MiB of logits): ${(ms / 1000).toFixed(1)} s, ` +
      `RSS ${mib(rss0)} → ${mib(rss1)} MiB after (peak ${(peakKiB() / 1024).toFixed(0)} MiB), ${run.logitRecords().length} records, findings: ${[...new Set(findings.map((f) => f.code))].join(', ') || 'none'}`,
  );
  console.log(`  run still referenced: ${run.logitRecords().length} records`);

  // 2. a sparse 3 GB sidecar
  const big = path.join(dir, 'big');
  fs.mkdirSync(big);
  const rows = 3 * 1024 * 256;
  fs.writeFileSync(path.join(big, 'z.npy'), npy('<f4', [rows, 1024], Buffer.alloc(0)));
  fs.truncateSync(path.join(big, 'z.npy'), 3 * 1024 ** 3 + 128);
  fs.writeFileSync(path.join(big, 'y.npy'), npy('<i8', [rows], Buffer.alloc(0)));
  fs.truncateSync(path.join(big, 'y.npy'), 128 + rows * 8);
  fs.writeFileSync(path.join(big, 'log.jsonl'), '{"step": 1, "logits_file": "z.npy", "labels_file": "y.npy", "loss": 2}\n');
  const t1 = performance.now();
  const [bigRun] = await lw.loadRuns([path.join(big, 'log.jsonl')]);
  const bf = await check(bigRun);
  console.log(
    `sparse 3 GB sidecar: ${(performance.now() - t1).toFixed(0)} ms, ${bf.map((f) => `${f.code}: ${f.message.slice(0, 140)}`).join(' | ')}; peak RSS ${(peakKiB() / 1024).toFixed(0)} MiB`,
  );

  // 3. one large sidecar, streamed
  if (lw.summarize) {
    const lg = path.join(dir, 'large');
    fs.mkdirSync(lg);
    const R = 51200;
    const fd = fs.openSync(path.join(lg, 'z.npy'), 'w');
    fs.writeSync(fd, npy('<f4', [R, C], Buffer.alloc(0)));
    const chunk = new Float32Array(1024 * C);
    for (let r0 = 0; r0 < R; r0 += 1024) {
      for (let k = 0; k < chunk.length; k++) chunk[k] = Math.sin(k * 0.37 + r0) * 3;
      fs.writeSync(fd, Buffer.from(chunk.buffer));
    }
    fs.closeSync(fd);
    const yl = new BigInt64Array(R);
    for (let k = 0; k < R; k++) yl[k] = BigInt((k * 7) % C);
    fs.writeFileSync(path.join(lg, 'y.npy'), npy('<i8', [R], Buffer.from(yl.buffer)));
    fs.writeFileSync(
      path.join(lg, 'log.jsonl'),
      '{"step": 1, "logits_file": "z.npy", "labels_file": "y.npy"}\n{"step": 2, "logits_file": "z.npy", "labels_file": "y.npy", "loss": 6.9}\n',
    );
    const [lrun] = await lw.loadRuns([path.join(lg, 'log.jsonl')]);
    for (const [i, what] of [
      [0, 'no logged loss'],
      [1, 'a mismatching logged loss (+ the what-if pass)'],
    ]) {
      globalThis.gc?.();
      const r0 = process.memoryUsage().rss;
      const h = monitorEventLoopDelay({ resolution: 5 });
      h.enable();
      const t2 = performance.now();
      const sum = await lw.summarize(lrun.logitRecords()[i]);
      const ms2 = performance.now() - t2;
      h.disable();
      console.log(
        `200 MiB sidecar (${R}×${C} float32), ${what}: ${ms2.toFixed(0)} ms (${((R * C * 4) / 2 ** 20 / (ms2 / 1000)).toFixed(0)} MiB/s per pass), loss ${sum.result?.loss}, ` +
          `RSS ${mib(r0)} → ${mib(process.memoryUsage().rss)} MiB, longest event-loop stall ${(h.max / 1e6).toFixed(0)} ms (p99 ${(h.percentile(99) / 1e6).toFixed(0)} ms)`,
      );
    }
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
