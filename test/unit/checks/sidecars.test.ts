// Record summaries: streamed sidecars (block results = one-pass results), limits, confinement,
// regular files only, one read per distinct sidecar, and errors that reach a diagnostic.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LogitRecord, NDArray } from '../../../src/core/model';
import { checkRun, checkRunAsync, recompute } from '../../../src/core/checks/index';
import {
  configureSidecars,
  DEFAULT_SIDECAR_SETTINGS,
  sidecarStats,
  summarize,
  summarizeArrays,
  summaryOf,
  type RecordSummary,
} from '../../../src/core/checks/summary';
import { RECOMPUTED_LOSS, RunWithRecomputed } from '../../../src/core/recomputed';
import { loadRuns } from '../../../src/ingest/index';
import { run as seriesCli } from '../../../src/cli/series';
import { FakeRun, nd, rng } from './fake';

const ROOT = path.resolve(__dirname, '../../..');

function npyBytes(descr: string, shape: number[], data: ArrayBufferView): Buffer {
  let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  while ((10 + h.length + 1) % 64) h += ' ';
  h += '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head.writeUInt16LE(h.length, 8);
  return Buffer.concat([head, Buffer.from(h, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

function rel(a: number, b: number): number {
  if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300);
}

function assertSameSummary(a: RecordSummary, b: RecordSummary, what: string): void {
  assert.deepEqual(a.analysis, b.analysis, `${what}: analysis`);
  assert.equal(a.error, b.error, `${what}: error`);
  assert.equal(!!a.result, !!b.result, `${what}: result presence`);
  if (a.result && b.result) {
    for (const k of ['loss', 'gradNorm', 'maxAbsGrad', 'totalWeight'] as const) {
      assert.ok(rel(a.result[k], b.result[k]) <= 1e-12, `${what}: ${k} ${a.result[k]} vs ${b.result[k]}`);
    }
    assert.equal(a.result.targetKind, b.result.targetKind);
    assert.equal(a.result.fromProbabilities, b.result.fromProbabilities);
  }
  assert.equal(!!a.causes, !!b.causes, `${what}: causes presence`);
  if (a.causes && b.causes) {
    for (const k of Object.keys(b.causes) as (keyof NonNullable<RecordSummary['causes']>)[]) {
      const x = a.causes[k];
      const y = b.causes[k];
      if (y === undefined) continue; // a what-if value the one-pass code could not evaluate
      assert.ok(x !== undefined && rel(x, y) <= 1e-12, `${what}: cause ${k} ${x} vs ${y}`);
    }
  }
}

interface Case {
  opts: Pick<LogitRecord, 'lossFn' | 'reduction' | 'labelSmoothing' | 'ignoreIndex' | 'loggedLoss'> & { weight?: NDArray };
  logits: NDArray;
  labels: NDArray;
}

function randomCase(seed: number): Case {
  const g = rng(seed);
  const r = (): number => g.uniform();
  const n = 1 + Math.floor(r() * 40);
  const c = 1 + Math.floor(r() * 12);
  const spatial = r() < 0.25 ? [1 + Math.floor(r() * 3)] : [];
  const s = spatial.reduce((a, b) => a * b, 1);
  const count = n * c * s;
  const f32 = r() < 0.5;
  const z = f32 ? new Float32Array(count) : new Float64Array(count);
  const scale = r() < 0.2 ? 30 : 3;
  for (let i = 0; i < count; i++) z[i] = (r() - 0.5) * 2 * scale;
  const kinds = [
    'cross_entropy',
    'cross_entropy',
    'nll',
    'categorical_crossentropy',
    'sparse_categorical_crossentropy',
    'bce_with_logits',
    undefined,
  ] as const;
  const lossFn = kinds[Math.floor(r() * kinds.length)];
  const dense = lossFn === 'categorical_crossentropy' || lossFn === 'bce_with_logits' || (lossFn === undefined && r() < 0.3);
  let labels: NDArray;
  if (dense) {
    const t = new Float64Array(count);
    for (let i = 0; i < n; i++)
      for (let q = 0; q < s; q++) {
        if (lossFn === 'bce_with_logits') for (let k = 0; k < c; k++) t[(i * c + k) * s + q] = r() < 0.3 ? 1 : 0;
        else t[(i * c + Math.floor(r() * c)) * s + q] = 1;
      }
    labels = { dtype: 'f8', shape: [n, c, ...spatial], data: t };
  } else {
    const y = new Float64Array(n * s);
    for (let i = 0; i < y.length; i++) y[i] = r() < 0.1 ? -100 : Math.floor(r() * c);
    labels = { dtype: 'i8', shape: [n, ...spatial], data: y };
  }
  // Keras losses on probability rows half of the time
  if ((lossFn === 'categorical_crossentropy' || lossFn === 'sparse_categorical_crossentropy') && r() < 0.5 && s === 1) {
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let k = 0; k < c; k++) sum += Math.exp(z[i * c + k]!);
      for (let k = 0; k < c; k++) z[i * c + k] = Math.exp(z[i * c + k]!) / sum;
    }
  }
  const weight =
    r() < 0.3 && lossFn !== 'bce_with_logits'
      ? { dtype: 'f8', shape: [c], data: Float64Array.from({ length: c }, () => 0.2 + r()) }
      : undefined;
  return {
    opts: {
      lossFn,
      reduction: r() < 0.3 ? 'sum' : r() < 0.1 ? 'none' : 'mean',
      labelSmoothing: lossFn === 'bce_with_logits' || r() < 0.6 ? undefined : Math.round(r() * 30) / 100,
      ignoreIndex: undefined,
      loggedLoss: r() < 0.5 ? 1 + r() * 3 : undefined, // a mismatching logged loss asks for the what-if values
      weight,
    },
    logits: { dtype: f32 ? 'f4' : 'f8', shape: [n, c, ...spatial], data: z },
    labels,
  };
}

describe('checks: record summaries (streamed sidecars)', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-sidecars-'));
  });
  afterEach(() => {
    configureSidecars({ ...DEFAULT_SIDECAR_SETTINGS });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('property: row blocks of any size give the one-pass summary (analysis exact, numbers ≤ 1e-12 relative)', () => {
    let recomputed = 0;
    let withCauses = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const k = randomCase(seed);
      const one = summarizeArrays(k.opts, k.logits, k.labels);
      if (one.result) recomputed++;
      if (one.causes) withCauses++;
      const n = k.logits.shape[0]!;
      for (const rows of new Set([1, 2, 3, Math.max(1, Math.floor(n / 2)), n - 1].filter((x) => x >= 1 && x < n))) {
        assertSameSummary(summarizeArrays(k.opts, k.logits, k.labels, rows), one, `seed ${seed}, ${rows}-row blocks of ${n}`);
      }
    }
    assert.ok(
      recomputed > 150 && withCauses > 50,
      `the cases exercise the recomputation (${recomputed}) and the what-if values (${withCauses})`,
    );
  });

  it('blocks keep the one-pass NaN/0 of a mean over zero total weight (all ignored, or zero class weights)', () => {
    const z: NDArray = { dtype: 'f8', shape: [6, 3], data: Float64Array.from({ length: 18 }, (_, i) => (i % 7) - 3) };
    const weight: NDArray = { dtype: 'f8', shape: [3], data: Float64Array.from([0, 1, 1]) };
    for (const y of [
      [-100, -100, -100, -100, -100, -100],
      [0, 0, -100, 0, 0, 0],
    ]) {
      const t: NDArray = { dtype: 'i8', shape: [6], data: Float64Array.from(y) };
      const one = summarizeArrays({ weight }, z, t, Infinity, false);
      assert.ok(Number.isNaN(one.result!.loss));
      assertSameSummary(summarizeArrays({ weight }, z, t, 2, false), one, `labels ${y.join()}`);
    }
  });

  it('float32 [N, C] on the SIMD kernel: blocks aligned to its call size give the same per-row values (≤ 1e-12)', () => {
    for (const [n, c, seed] of [
      [5000, 64, 1],
      [300, 1000, 2],
      [700, 3, 3],
    ] as const) {
      const g = rng(seed);
      const z = Float32Array.from({ length: n * c }, () => (g.uniform() - 0.5) * 8);
      const y = Float64Array.from({ length: n }, () => Math.floor(g.uniform() * c));
      const logits: NDArray = { dtype: 'f4', shape: [n, c], data: z };
      const labels: NDArray = { dtype: 'i8', shape: [n], data: y };
      for (const loggedLoss of [undefined, 9]) {
        const one = summarizeArrays({ loggedLoss }, logits, labels);
        for (const rows of [1, 100, 2049, Math.floor(n / 2)]) {
          assertSameSummary(summarizeArrays({ loggedLoss }, logits, labels, rows), one, `[${n}, ${c}] in ${rows}-row blocks`);
        }
      }
    }
  });

  it('a streamed .npy sidecar in small blocks equals the in-memory one-pass summary', async () => {
    for (let seed = 400; seed < 440; seed++) {
      const k = randomCase(seed);
      const code = (a: NDArray): string => (a.dtype === 'f4' ? '<f4' : a.dtype === 'i8' ? '<f8' : '<f8');
      fs.writeFileSync(path.join(tmp, `z${seed}.npy`), npyBytes(code(k.logits), [...k.logits.shape], k.logits.data));
      fs.writeFileSync(path.join(tmp, `y${seed}.npy`), npyBytes('<f8', [...k.labels.shape], Float64Array.from(k.labels.data)));
      const rowBytes = (k.logits.data.length / k.logits.shape[0]!) * (k.logits.dtype === 'f4' ? 4 : 8);
      configureSidecars({ blockBytes: rowBytes * (1 + (seed % 3)) });
      const rec: LogitRecord = {
        provenance: { file: path.join(tmp, 'log.jsonl'), line: 1 },
        step: 0,
        split: 'train',
        logits: { dtype: 'f8', shape: [0], data: new Float64Array(0) },
        labels: { dtype: 'f8', shape: [0], data: new Float64Array(0) },
        ...k.opts,
        sidecars: { dir: tmp, logits: `z${seed}.npy`, labels: `y${seed}.npy` },
      };
      const streamed = await summarize(rec);
      const one = summarizeArrays(k.opts, k.logits, { ...k.labels, dtype: 'f8', data: Float64Array.from(k.labels.data) });
      assertSameSummary(streamed, one, `seed ${seed}`);
    }
  });

  it('one file referenced by many records is read once per (path, size, mtime)', async () => {
    const z = Float32Array.from({ length: 64 * 5 }, (_, i) => Math.sin(i));
    fs.writeFileSync(path.join(tmp, 'z.npy'), npyBytes('<f4', [64, 5], z));
    fs.writeFileSync(
      path.join(tmp, 'y.npy'),
      npyBytes(
        '<i8',
        [64],
        BigInt64Array.from({ length: 64 }, (_, i) => BigInt(i % 5)),
      ),
    );
    const lines =
      Array.from({ length: 50 }, (_, i) => JSON.stringify({ step: i, logits_file: 'z.npy', labels_file: 'y.npy' })).join('\n') + '\n';
    fs.writeFileSync(path.join(tmp, 'log.jsonl'), lines);
    const [run] = await loadRuns([path.join(tmp, 'log.jsonl')]);
    const before = sidecarStats.reads;
    await checkRunAsync(run!);
    assert.equal(sidecarStats.reads - before, 1, '50 records, one read');
    const w = new RunWithRecomputed(run!);
    w.sync();
    assert.equal(w.getSeries(RECOMPUTED_LOSS)!.length, 50);
    // a rewritten file (new size / mtime) is read again
    fs.writeFileSync(
      path.join(tmp, 'z.npy'),
      npyBytes(
        '<f4',
        [64, 5],
        z.map((v) => v * 2),
      ),
    );
    fs.utimesSync(path.join(tmp, 'z.npy'), new Date(), new Date(Date.now() + 5000));
    const [again] = await loadRuns([path.join(tmp, 'log.jsonl')]);
    await checkRunAsync(again!);
    assert.equal(sidecarStats.reads - before, 2);
  });

  it('a memoised summary without what-if values is not reused for a record that needs them (cause named)', async () => {
    const Z = [
      [2, 0.5, -1],
      [0.1, 0.2, 3],
      [1, 1, 1],
      [-2, 0, 2],
    ];
    const Y = [0, 2, 1, 2];
    fs.writeFileSync(path.join(tmp, 'z.npy'), npyBytes('<f8', [4, 3], Float64Array.from(Z.flat())));
    fs.writeFileSync(path.join(tmp, 'y.npy'), npyBytes('<i8', [4], BigInt64Array.from(Y.map(BigInt))));
    // the sum over the batch where a mean is declared (log-sum-exp by hand)
    const sum = Z.reduce((acc, row, i) => acc + Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[Y[i]!]!, 0);
    const lines = [{ step: 1 }, { step: 2, loss: sum }].map((o) => JSON.stringify({ ...o, logits_file: 'z.npy', labels_file: 'y.npy' }));
    fs.writeFileSync(path.join(tmp, 'log.jsonl'), lines.join('\n') + '\n');
    const [run] = await loadRuns([path.join(tmp, 'log.jsonl')]);
    const m = (await checkRunAsync(run!)).find((f) => f.code === 'loss-mismatch');
    assert.ok(m);
    assert.equal(m.line, 2);
    assert.match(m.message, /It matches the sum over the batch/);
  });

  it('a sparse 3 GB sidecar is refused at once (losswatch.limits.sidecarMiB), at the record line', async () => {
    const file = path.join(tmp, 'big.npy');
    const rows = 3 * 1024 * 256; // × 1024 float32 = 3 GiB
    fs.writeFileSync(file, npyBytes('<f4', [rows, 1024], new Float32Array(0)));
    fs.truncateSync(file, 3 * 1024 ** 3 + 128);
    fs.writeFileSync(path.join(tmp, 'y.npy'), npyBytes('<i8', [rows], new BigInt64Array(0)));
    fs.writeFileSync(
      path.join(tmp, 'log.jsonl'),
      '{"step": 1, "loss": 1}\n{"step": 7, "logits_file": "big.npy", "labels_file": "y.npy", "loss": 2.5}\n',
    );
    const t0 = performance.now();
    const [run] = await loadRuns([path.join(tmp, 'log.jsonl')]);
    const fsx = await checkRunAsync(run!);
    const ms = performance.now() - t0;
    const f = fsx.find((x) => x.code === 'logits-unreadable');
    assert.ok(f, 'logits-unreadable');
    assert.equal(f.line, 2);
    assert.match(
      f.message,
      /big\.npy: array of 3072 MiB \(shape \[786432, 1024\]\) exceeds the sidecar limit of 256 MiB \(losswatch\.limits\.sidecarMiB\)/,
    );
    assert.ok(ms < 2000, `refused in ${ms.toFixed(0)} ms`);
    // a header claiming 17 GB on a small file: refused by the same limit, nothing allocated
    fs.writeFileSync(file, npyBytes('<f8', [17 * 1024 * 1024, 128], new Float64Array(4)));
    const s = await summarize({ ...run!.logitRecords()[0]!, provenance: { file: path.join(tmp, 'log.jsonl'), line: 9 } });
    assert.match(s.error ?? '', /exceeds the sidecar limit/);
  });

  it('a FIFO named as a sidecar does not block the event loop; the record is logits-unreadable', async function () {
    if (process.platform === 'win32') this.skip();
    const fifo = path.join(tmp, 'pipe.npy');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      this.skip();
    }
    fs.symlinkSync('pipe.npy', path.join(tmp, 'link.npy'));
    fs.writeFileSync(
      path.join(tmp, 'log.jsonl'),
      '{"step": 1, "logits_file": "pipe.npy", "labels": [0]}\n{"step": 2, "logits_file": "link.npy", "labels": [0]}\n',
    );
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      const [run] = await loadRuns([path.join(tmp, 'log.jsonl')]);
      const fsx = await checkRunAsync(run!);
      await new Promise((r) => setTimeout(r, 20));
      const f = fsx.find((x) => x.code === 'logits-unreadable');
      assert.ok(f);
      assert.equal(f.line, 1);
      assert.match(f.message, /pipe\.npy: not a regular file/);
      assert.match(f.message, /in 2 of 2 logged batches/);
      assert.ok(ticks > 0, 'the loop kept ticking');
    } finally {
      clearInterval(timer);
    }
  });

  it('sidecar paths stay in the log folder tree unless losswatch.sidecars.allowOutside', async () => {
    const inner = path.join(tmp, 'run');
    const outside = path.join(tmp, 'elsewhere');
    fs.mkdirSync(inner);
    fs.mkdirSync(outside);
    fs.mkdirSync(path.join(inner, 'batches'));
    const z = npyBytes('<f4', [1, 2], Float32Array.from([1, 2]));
    fs.writeFileSync(path.join(outside, 'z.npy'), z);
    fs.writeFileSync(path.join(inner, 'batches', 'z.npy'), z);
    fs.symlinkSync(path.join(outside, 'z.npy'), path.join(inner, 'escape.npy'));
    fs.symlinkSync(path.join(inner, 'batches', 'z.npy'), path.join(inner, 'local.npy'));
    const log = path.join(inner, 'log.jsonl');
    const names = [path.join(outside, 'z.npy'), '../elsewhere/z.npy', 'escape.npy', 'batches/../batches/z.npy', 'local.npy'];
    fs.writeFileSync(log, names.map((n, i) => JSON.stringify({ step: i, logits_file: n, labels: [1] })).join('\n') + '\n');
    const [run] = await loadRuns([log]);
    const recs = run!.logitRecords();
    const errs = await Promise.all(recs.map(async (r) => (await summarize(r)).error));
    assert.match(errs[0] ?? '', /absolute sidecar paths are not read/);
    assert.match(errs[1] ?? '', /leaves the log's folder/);
    assert.match(errs[2] ?? '', /symbolic link leads out of the log's folder/);
    assert.equal(errs[3], undefined, 'a path that stays inside is read');
    assert.equal(errs[4], undefined, 'a symlink that stays inside is read');
    configureSidecars({ allowOutside: true });
    const [again] = await loadRuns([log]);
    for (const r of again!.logitRecords()) assert.equal((await summarize(r)).error, undefined);
  });
});

describe('checks: recompute errors are visible', () => {
  const Z = [
    [2, 0.5, -1],
    [0.1, 0.2, 3],
  ];

  it('the core rejects the options (class weights of the wrong length): logits-unreadable with the reason, not checked', () => {
    const run = new FakeRun();
    run.record({ step: 1, logits: nd(Z), labels: nd([0, 2], 'i8'), weight: nd([1, 2]), loggedLoss: 0.5 });
    run.record({ step: 2, logits: nd(Z), labels: nd([0, 2], 'i8'), loggedLoss: 99 });
    const fsx = checkRun(run);
    const u = fsx.find((f) => f.code === 'logits-unreadable');
    assert.ok(u, 'logits-unreadable');
    assert.equal(u.step, 1);
    assert.match(u.message, /the recomputation failed: weight: needs one value per class \(3\), got 2/);
    const m = fsx.find((f) => f.code === 'loss-mismatch' || f.code === 'unstable-loss');
    assert.ok(m);
    assert.doesNotMatch(m.message, /checked batches/, 'only the second batch was compared');
    assert.throws(() => recompute(run.logitRecords()[0]!), /weight: needs one value per class/);
    const w = new RunWithRecomputed(run);
    w.sync();
    assert.equal(w.loss.length, 1);
    assert.equal(w.unrecomputed, 1);
  });

  it('an injected core failure (label smoothing outside [0, 1]) reaches the diagnostic', () => {
    const run = new FakeRun();
    run.record({ step: 3, logits: nd(Z), labels: nd([0, 2], 'i8'), labelSmoothing: 1.5 });
    const u = checkRun(run).find((f) => f.code === 'logits-unreadable');
    assert.ok(u);
    assert.match(u.message, /labelSmoothing must be in \[0, 1\], got 1\.5/);
  });

  it('a recomputed loss that is NaN (every label ignored) is reported instead of compared', () => {
    const run = new FakeRun();
    run.record({ step: 4, logits: nd(Z), labels: nd([-100, -100], 'i8'), loggedLoss: 0.7 });
    const fsx = checkRun(run);
    assert.deepEqual(
      fsx.map((f) => f.code),
      ['logits-unreadable'],
    );
    assert.match(fsx[0]!.message, /the recomputed loss is NaN/);
  });

  it('an unreadable shape (labels for another batch size) stays a label finding with no recomputed point', () => {
    const run = new FakeRun();
    run.record({ step: 5, logits: nd(Z), labels: nd([0, 1, 2], 'i8'), loggedLoss: 0.7 });
    assert.deepEqual(
      checkRun(run).map((f) => f.code),
      ['label-shape-mismatch'],
    );
    const w = new RunWithRecomputed(run);
    w.sync();
    assert.equal(w.unrecomputed, 1);
    assert.equal(summaryOf(run.logitRecords()[0]!)?.result, undefined);
  });
});

describe('losswatch series: recomputed series', () => {
  async function capture(argv: string[]): Promise<{ code: number; out: string }> {
    const orig = process.stdout.write.bind(process.stdout);
    let out = '';
    (process.stdout as unknown as { write: (s: string) => boolean }).write = (s: string) => ((out += s), true);
    try {
      const code = await seriesCli(argv);
      return { code, out };
    } finally {
      (process.stdout as unknown as { write: typeof orig }).write = orig;
    }
  }
  const dir = path.join(ROOT, 'test/fixtures/runs/healthy');
  // the logged loss of each logits line, read with JSON.parse (independent of the ingest code)
  const logged = fs
    .readFileSync(path.join(dir, 'log.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"logits'))
    .map((l) => JSON.parse(l) as { step: number; loss: number });

  it('--format json lists recomputed/loss and recomputed/grad_norm (one point per logits record, the sidecar batch included)', async () => {
    const { code, out } = await capture([dir, '--format', 'json']);
    assert.equal(code, 0);
    const j = JSON.parse(out) as {
      runs: {
        logitRecords: number;
        unrecomputed: number;
        series: { key: string; points: number; first: { step: number; value: number }; last: { step: number; value: number } }[];
      }[];
    };
    const r = j.runs[0]!;
    assert.equal(r.logitRecords, logged.length);
    assert.equal(r.unrecomputed, 0);
    const loss = r.series.find((s) => s.key === 'recomputed/loss')!;
    const grad = r.series.find((s) => s.key === 'recomputed/grad_norm')!;
    assert.equal(loss.points, logged.length);
    assert.equal(grad.points, logged.length);
    assert.equal(loss.first.step, logged[0]!.step);
    assert.ok(rel(loss.first.value, logged[0]!.loss) < 1e-6);
    const last = logged[logged.length - 1]!;
    assert.equal(loss.last.step, last.step);
    assert.ok(rel(loss.last.value, last.loss) < 1e-6, `sidecar batch: ${loss.last.value} vs logged ${last.loss}`);
    assert.ok(grad.last.value > 0);
  });

  it('text output shows the recomputed series', async () => {
    const { code, out } = await capture([dir]);
    assert.equal(code, 0);
    assert.match(out, new RegExp(`recomputed/loss\\s+train_loss\\s+none\\s+${logged.length} pts`));
    assert.match(out, /recomputed\/grad_norm\s+grad_norm/);
  });
});
