// Simulated training process for `npm run demo`: appends JSONL records to <out>/log.jsonl at a readable
// pace, the way a PyTorch loop with LossWatch's logger would (same record shapes as
// python/losswatch_log.py):
//   {"step", "epoch", "split": "train", "loss", "grad_norm", "lr", "time"}           every step
//   {"step", "epoch", "split": "val", "val_loss", "val_accuracy", "time"}             every --val-every steps
//   {"step", "split": "train", "logits": [[…]], "labels": […], "loss", "loss_fn": "cross_entropy",
//    "reduction": "mean", "label_smoothing": 0, "ignore_index": -100, "time"}        every --log-every steps
// The logged `loss` of a logits record is the exact mean softmax cross-entropy of those rows (float64),
// so LossWatch's recomputation agrees with it.
//
// Scenario "story" (default): healthy curves, then an overfitting phase (val_loss rises while the
// train loss keeps falling), then the loss becomes NaN and the run stops.
// Other scenarios: healthy | overfit | nan (same phases, just one of them).
//
// Usage: node scripts/demo-writer.mjs --out <dir> [--interval 250] [--scenario story] [--seed 1]
//        [--steps 150] [--val-every 5] [--log-every 10] [--rows 8] [--classes 10] [--loop]
//   --interval: milliseconds between steps (0 = as fast as possible)
//   --loop: after the run ends, wait 5 s, truncate the log and start again (for long-running demos)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

function parseArgs(argv) {
  const o = {
    out: '',
    interval: 250,
    scenario: 'story',
    seed: 1,
    steps: 150,
    valEvery: 5,
    logEvery: 10,
    rows: 8,
    classes: 10,
    loop: false,
    batchesPerEpoch: 25,
  };
  const num = (name, v) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`demo-writer: ${name} needs a non-negative number, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    switch (a) {
      case '--out':
        o.out = next() ?? '';
        break;
      case '--interval':
        o.interval = num(a, next());
        break;
      case '--scenario':
        o.scenario = next() ?? '';
        break;
      case '--seed':
        o.seed = num(a, next());
        break;
      case '--steps':
        o.steps = Math.max(1, Math.floor(num(a, next())));
        break;
      case '--val-every':
        o.valEvery = Math.max(1, Math.floor(num(a, next())));
        break;
      case '--log-every':
        o.logEvery = Math.max(1, Math.floor(num(a, next())));
        break;
      case '--rows':
        o.rows = Math.max(1, Math.floor(num(a, next())));
        break;
      case '--classes':
        o.classes = Math.max(2, Math.floor(num(a, next())));
        break;
      case '--loop':
        o.loop = true;
        break;
      case '-h':
      case '--help':
        console.log(
          fs
            .readFileSync(fileURLToPath(import.meta.url), 'utf8')
            .split('\n')
            .filter((l) => l.startsWith('//'))
            .map((l) => l.slice(3))
            .join('\n'),
        );
        process.exit(0);
        break;
      default:
        throw new Error(`demo-writer: unknown argument ${a} (try --help)`);
    }
  }
  if (!o.out) throw new Error('demo-writer: --out <dir> is required');
  if (!['story', 'healthy', 'overfit', 'nan'].includes(o.scenario))
    throw new Error(`demo-writer: unknown scenario '${o.scenario}' (story, healthy, overfit, nan)`);
  return o;
}

/** Small deterministic PRNG (mulberry32) and a normal sampler. */
export function rng(seed) {
  let s = seed >>> 0 || 1;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    const u = Math.max(uniform(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
  return { uniform, normal };
}

/** Mean softmax cross-entropy of integer labels, float64, numerically stable. */
export function crossEntropy(logits, labels) {
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const row = logits[i];
    let m = -Infinity;
    for (const v of row) m = Math.max(m, v);
    let z = 0;
    for (const v of row) z += Math.exp(v - m);
    sum += m + Math.log(z) - row[labels[i]];
  }
  return sum / logits.length;
}

/** Phase boundaries (in steps) of a scenario. */
export function phases(scenario, steps) {
  if (scenario === 'healthy') return { overfitAt: Infinity, nanAt: Infinity };
  if (scenario === 'overfit') return { overfitAt: Math.floor(steps * 0.35), nanAt: Infinity };
  if (scenario === 'nan') return { overfitAt: Infinity, nanAt: Math.floor(steps * 0.6) };
  return { overfitAt: Math.floor(steps * 0.4), nanAt: Math.floor(steps * 0.85) };
}

/**
 * Generates the records of one run (pure, deterministic): an array of arrays of records per step.
 * @returns {Array<Array<Record<string, unknown>>>}
 */
export function simulate(o) {
  const r = rng(o.seed);
  const { overfitAt, nanAt } = phases(o.scenario, o.steps);
  const out = [];
  const t0 = Date.now() / 1000;
  let lastVal = NaN;
  for (let step = 0; step < o.steps; step++) {
    const epoch = Math.floor(step / o.batchesPerEpoch);
    const recs = [];
    const lr = 0.05 * 0.5 * (1 + Math.cos((Math.PI * step) / o.steps));
    const time = t0 + step * 0.25;
    if (step >= nanAt) {
      // Divergence: one step with a huge loss, then NaN; the run stops after the NaN.
      const blown = step === nanAt;
      recs.push({ step, epoch, split: 'train', loss: blown ? 8.7e3 : NaN, grad_norm: blown ? 4.1e4 : NaN, lr, time });
      out.push(recs);
      if (!blown) break;
      continue;
    }
    // Train loss: exponential decay toward a floor, lower floor once memorising (overfitting).
    const progress = step / o.steps;
    const floor = step >= overfitAt ? 0.35 - 0.3 * Math.min(1, (step - overfitAt) / (o.steps - overfitAt)) : 0.35;
    const level = floor + (Math.log(o.classes) - floor) * Math.exp(-step / (o.steps * 0.12));
    const loss = Math.max(0.02, level * (1 + 0.06 * r.normal()));
    const gradNorm = Math.max(0.05, (0.9 * Math.exp(-progress * 2) + 0.15) * (1 + 0.15 * r.normal()));
    recs.push({ step, epoch, split: 'train', loss, grad_norm: gradNorm, lr, time });
    if (step % o.logEvery === 0) {
      // A batch whose correct-class margin matches the current loss level.
      const margin = Math.max(0, Math.log(o.classes) + 1.2 - level * 2.2) * 1.6;
      const labels = [];
      const logits = [];
      for (let i = 0; i < o.rows; i++) {
        const y = Math.floor(r.uniform() * o.classes);
        const row = [];
        for (let c = 0; c < o.classes; c++) row.push(r.normal() * 0.8 + (c === y ? margin : 0));
        labels.push(y);
        logits.push(row.map((v) => Math.round(v * 1e6) / 1e6));
      }
      recs.push({
        step,
        split: 'train',
        logits,
        labels,
        loss: crossEntropy(logits, labels),
        loss_fn: 'cross_entropy',
        reduction: 'mean',
        label_smoothing: 0,
        ignore_index: -100,
        time,
      });
    }
    if ((step + 1) % o.valEvery === 0) {
      // Validation follows the train loss until overfitting starts, then rises.
      const healthyVal = level * 1.08 + 0.05;
      const rise =
        step >= overfitAt ? 0.9 * ((step - overfitAt) / Math.max(1, nanAt === Infinity ? o.steps - overfitAt : nanAt - overfitAt)) : 0;
      lastVal = healthyVal + rise + 0.02 * r.normal();
      const acc = Math.min(0.99, Math.max(0.05, 1 - (lastVal / Math.log(o.classes)) * 0.9));
      recs.push({ step, epoch, split: 'val', val_loss: lastVal, val_accuracy: acc, time });
    }
    out.push(recs);
  }
  return out;
}

/** JSON with NaN/Infinity written the way Python's json module writes them. */
export function toJsonLine(rec) {
  return JSON.stringify(rec, (_k, v) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return `__nf__${v}`;
    return v;
  }).replace(/"__nf__(NaN|Infinity|-Infinity)"/g, '$1');
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  fs.mkdirSync(o.out, { recursive: true });
  const file = path.join(o.out, 'log.jsonl');
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM'])
    process.on(sig, () => {
      stopping = true;
    });
  do {
    fs.writeFileSync(file, '');
    console.log(`demo-writer: writing ${file} (${o.scenario}, ${o.steps} steps, ${o.interval} ms/step)`);
    for (const recs of simulate(o)) {
      if (stopping) return;
      fs.appendFileSync(file, recs.map((rec) => `${toJsonLine({ ...rec, time: Date.now() / 1000 })}\n`).join(''));
      const train = recs[0];
      if (train.step % 10 === 0 || !Number.isFinite(train.loss)) console.log(`demo-writer: step ${train.step} loss ${train.loss}`);
      if (o.interval) await sleep(o.interval);
    }
    console.log('demo-writer: run finished');
    if (o.loop) await sleep(5000);
  } while (o.loop && !stopping);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(2);
  });
}
