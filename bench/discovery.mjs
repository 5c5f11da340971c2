// node bench/discovery.mjs — cost of discovery on a workspace with many generic-name files:
// BENCH_JUNK (default 2000) non-log .txt/.log/.csv files of 4 KiB and BENCH_LOGS (default 50) real logs
// (the detectron2 and HF fixtures, copied). Reports the first pass (walk + stat + sniff, 4 at a time),
// a second pass (rejections remembered: stat only), and the longest event-loop stall during the first
// pass (a 1 ms interval timer's worst lateness).
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const JUNK = Number(process.env.BENCH_JUNK ?? 2000);
const LOGS = Number(process.env.BENCH_LOGS ?? 50);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-bench-disc-'));
const bundle = path.join(dir, 'ingest.mjs');
await esbuild.build({
  entryPoints: ['src/ingest/index.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: bundle,
  logLevel: 'error',
});
const { Discovery } = await import(pathToFileURL(bundle).href);
const ws = path.join(dir, 'ws');
const fix = 'test/fixtures/real-discovery';
const junkText = 'some text that is not a training log, with numbers 1 2 3 and words\n'.repeat(60).slice(0, 4096);
for (let i = 0; i < JUNK; i++) {
  const d = path.join(ws, `pkg${i % 50}`);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, `file${i}.${['txt', 'log', 'csv'][i % 3]}`), i % 3 === 2 ? 'name,city\n' + junkText : junkText);
}
const srcs = ['detectron2/output/metrics.json', 'detectron2/output/log.txt', 'console/lightning-tqdm-train.out'];
for (let i = 0; i < LOGS; i++) {
  const s = srcs[i % srcs.length];
  const d = path.join(ws, `run${i}`, 'output');
  fs.mkdirSync(d, { recursive: true });
  fs.copyFileSync(path.join(fix, s), path.join(d, path.basename(s)));
}
const disc = new Discovery();
let worst = 0;
let last = performance.now();
const t = setInterval(() => {
  const now = performance.now();
  worst = Math.max(worst, now - last - 1);
  last = now;
}, 1);
const t0 = performance.now();
const files = await disc.walk(ws, 100000);
const t1 = performance.now();
const found = await disc.offer(files);
const t2 = performance.now();
clearInterval(t);
const again = await disc.offer(files);
const t3 = performance.now();
console.log(
  `files ${files.length} (junk ${JUNK}, logs ${LOGS}); accepted ${found.length}, again ${again.length}; rejected ${disc.rejectedCount()}`,
);
console.log(
  `walk ${(t1 - t0).toFixed(0)} ms; first pass (stat + sniff) ${(t2 - t1).toFixed(0)} ms = ${((t2 - t1) / files.length).toFixed(3)} ms/file; second pass ${(t3 - t2).toFixed(0)} ms; worst event-loop stall ${worst.toFixed(1)} ms`,
);
fs.rmSync(dir, { recursive: true, force: true });
