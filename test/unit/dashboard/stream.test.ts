// The dashboard's host side streams the run store's columns (no copies): its windows must equal the
// whole-array downsampler's (src/shared/downsample.ts) over the same data, raw and smoothed.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { downsample, isSorted, makeGrid } from '../../../src/shared/downsample';
import { smoothEma } from '../../../src/shared/smooth';
import { BLOCK, SeriesCache } from '../../../src/extension/dashboardData';
import { RunStore } from '../../../src/ingest/store';
import { FakeRun, FakeSeries } from './fake';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => (s = (s * 1103515245 + 12345) >>> 0) / 4294967296;
}

function makeSeries(seed: number, n: number, sorted: boolean, nanX: boolean, nonFinite: boolean, bulk: boolean): FakeSeries {
  const r = rng(seed);
  const s = new FakeSeries('loss', 'train_loss', '/r.jsonl');
  s.bulk = bulk;
  let step = Math.floor(r() * 5) - 2;
  for (let i = 0; i < n; i++) {
    step += sorted ? Math.floor(r() * 3) : Math.floor(r() * 7) - 3;
    let x = step;
    if (nanX && r() < 0.01) x = r() < 0.8 ? NaN : Infinity;
    let y = Math.sin(i / 50) + r() * 0.2;
    if (nonFinite && r() < 0.005) y = [NaN, Infinity, -Infinity][Math.floor(r() * 3)];
    s.push(x, y);
  }
  return s;
}

describe('dashboard: streamed windows from the store (dashboardData.ts)', () => {
  it('equal the whole-array downsampler, raw and smoothed, over blocks, ranges, tails and log x', () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 1, max: 1 << 30 }),
          n: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: BLOCK - 5, max: 3 * BLOCK + 7 })),
          sorted: fc.boolean(),
          nanX: fc.boolean(),
          nonFinite: fc.boolean(),
          bulk: fc.boolean(),
          log: fc.boolean(),
          cols: fc.integer({ min: 1, max: 900 }),
          lo: fc.double({ min: 0, max: 1, noNaN: true }),
          hi: fc.double({ min: 0, max: 1, noNaN: true }),
          follow: fc.boolean(),
          from: fc.double({ min: 0, max: 1, noNaN: true }),
          weight: fc.constantFrom(0, 0.6, 0.95),
        }),
        (p) => {
          const s = makeSeries(p.seed, p.n, p.sorted, p.nanX, p.nonFinite, p.bulk);
          const run = new FakeRun('r', 'r', '/r.jsonl');
          run.add(s);
          const c = new SeriesCache(run, s, 0);
          c.sync();
          const xs = Float64Array.from(s.steps, (x) => (Number.isFinite(x) ? x : NaN));
          const ys = Float64Array.from(s.values);
          const ext = c.extent('step', p.log);
          if (!ext) return;
          const a = ext.min + (ext.max - ext.min) * Math.min(p.lo, p.hi);
          // Follow mode: the grid spans to the end of the data (as the session makes it).
          const b = p.follow ? ext.max : ext.min + (ext.max - ext.min) * Math.max(p.lo, p.hi);
          if (p.log && !(a > 0)) return;
          const grid = makeGrid(a, b > a ? b : a + 1, p.cols, p.log);
          const sorted = isSorted(xs);
          assert.equal(c.sorted('step'), sorted);
          const from = p.follow && sorted ? Math.floor(p.from * p.n) : 0;
          const opts = { grid, xMin: a, xMax: p.follow ? Infinity : b, from, sorted, edges: from === 0, maxColumns: 1e6 };
          const got = c.window('step', { ...opts, smoothing: p.weight });
          const want = downsample(xs, ys, opts);
          assert.deepEqual(got.raw, want);
          if (p.weight > 0) assert.deepEqual(got.smooth, downsample(xs, smoothEma(ys, p.weight), opts));
          else assert.equal(got.smooth, null);
        },
      ),
      { numRuns: Number(process.env.LW_RUNS ?? 60) },
    );
  });

  it('keeps live appends and smoothing checkpoints right (windows after each append equal a fresh pass)', () => {
    const s = makeSeries(7, 2 * BLOCK + 100, true, false, true, true);
    const run = new FakeRun('r', 'r', '/r.jsonl');
    run.add(s);
    const c = new SeriesCache(run, s, 0);
    const r = rng(3);
    for (let round = 0; round < 6; round++) {
      c.sync();
      const xs = Float64Array.from(s.steps);
      const ys = Float64Array.from(s.values);
      const grid = makeGrid(xs[0], xs[xs.length - 1], 300, false);
      const opts = { grid, xMin: xs[0], xMax: Infinity, sorted: true, edges: true, maxColumns: 1e6 };
      const got = c.window('step', { ...opts, smoothing: 0.9 });
      assert.deepEqual(got.smooth, downsample(xs, smoothEma(ys, 0.9), opts), `round ${round}`);
      assert.deepEqual(got.raw, downsample(xs, ys, opts));
      let best = -1;
      for (let i = 0; i < ys.length; i++) if (Number.isFinite(ys[i]) && (best < 0 || ys[i] < ys[best])) best = i;
      assert.equal(c.best(), best);
      const last = s.steps[s.steps.length - 1];
      for (let k = 0, m = Math.floor(r() * BLOCK * 0.7); k < m; k++) s.push(last + 1 + k, Math.cos(k) + (k === 17 ? -50 : 0));
    }
  });

  it('derived axes (relative step) are computed per block, not stored', () => {
    const s = makeSeries(11, BLOCK + 10, true, false, false, true);
    const run = new FakeRun('r', 'r', '/r.jsonl');
    run.add(s);
    const c = new SeriesCache(run, s, 0);
    c.sync();
    const o = s.steps[0];
    const xs = Float64Array.from(s.steps, (x) => x - o);
    const grid = makeGrid(xs[0], xs[xs.length - 1], 100, false);
    const opts = { grid, xMin: xs[0], xMax: xs[xs.length - 1], sorted: true, edges: true, maxColumns: 1e6 };
    assert.deepEqual(c.window('relstep', { ...opts, smoothing: 0 }).raw, downsample(xs, Float64Array.from(s.values), opts));
    assert.deepEqual(c.extent('relstep', false), { min: 0, max: xs[xs.length - 1] });
  });
});

describe('run store: readInto (bulk column reads for the dashboard)', () => {
  it('equals step(i) / value(i) across chunks, shared CSV rows and resumes', () => {
    const run = new RunStore('r', 'r', '/r.csv', 'csv');
    const f = run.fileIndex('/r.csv', false);
    const a = run.ensureSeries('loss', 'train_loss', 'train');
    const n = 20000;
    for (let i = 0; i < n; i++) a.append(i, Math.sin(i), NaN, NaN, i + 1, f);
    a.append(15000, -1, NaN, NaN, n + 1, f); // a resume: purges steps >= 15000
    // Two series on shared rows.
    const rows = run.sharedRows(f);
    const b = run.ensureSeries('acc', 'accuracy', 'train');
    const m = 10000;
    const step = Float64Array.from({ length: m }, (_, i) => 2 * i);
    const line = Float64Array.from({ length: m }, (_, i) => i + 2);
    const val = Float64Array.from({ length: m }, (_, i) => i / 7);
    rows.appendRowBlock(m, step, undefined, line, f);
    b.appendRows(rows, 0, m, val, 0, step, undefined, line, f);
    for (const s of [a, b]) {
      for (const [from, len] of [
        [0, s.length],
        [8190, 5],
        [100, 9000],
        [s.length - 3, 10],
      ]) {
        const out = new Float64Array(len);
        s.readInto('step', from, len, out);
        const v = new Float64Array(len);
        s.readInto('value', from, len, v);
        for (let k = 0; k < len && from + k < s.length; k++) {
          assert.equal(out[k], s.step(from + k));
          assert.equal(v[k], s.value(from + k));
        }
      }
    }
  });
});
