import assert from 'node:assert/strict';
import fc from 'fast-check';
import { downsample, isSorted, makeGrid } from '../../../src/shared/downsample';

const yArb = fc.oneof(
  { weight: 10, arbitrary: fc.double({ min: -1e9, max: 1e9, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) },
);

function run(xs: number[], ys: number[], cols: number, log = false, sorted = isSorted(xs)) {
  const finite = xs.filter((x) => Number.isFinite(x) && (!log || x > 0));
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const grid = makeGrid(min, max, cols, log);
  return { grid, r: downsample(xs, ys, { grid, xMin: min, xMax: max, sorted }) };
}

describe('dashboard: min/max downsampling (downsample.ts)', () => {
  it('keeps a single spike among a million points', () => {
    const n = 1_000_000;
    const xs = new Float64Array(n);
    const ys = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      xs[i] = i;
      ys[i] = 1 + Math.sin(i / 1000) * 0.01;
    }
    ys[123_457] = 50;
    ys[700_001] = -3;
    const grid = makeGrid(0, n - 1, 800, false);
    const r = downsample(xs, ys, { grid, xMin: 0, xMax: n - 1, sorted: true });
    assert.ok(r.x.length <= 2 * 800 + 2, `${r.x.length} points`);
    assert.ok(r.idx.includes(123_457));
    assert.ok(r.idx.includes(700_001));
    assert.equal(Math.max(...r.y), 50);
    assert.equal(Math.min(...r.y), -3);
  });

  it('never drops NaN / Inf: one marker per column and kind, with counts', () => {
    const xs = [0, 1, 2, 3, 4, 5, 6, 7];
    const ys = [1, NaN, NaN, Infinity, 2, -Infinity, 3, NaN];
    const { r } = run(xs, ys, 2);
    const total = r.nonFinite.reduce((a, m) => a + m.count, 0);
    assert.equal(total, 5);
    assert.deepEqual(
      r.nonFinite.map((m) => [m.kind, m.index, m.count]),
      [
        ['nan', 1, 2],
        ['+inf', 3, 1],
        ['-inf', 5, 1],
        ['nan', 7, 1],
      ],
    );
    assert.ok(r.y.every(Number.isFinite));
  });

  it('property: output bounded by 2 per column (+2 edges), per-column extremes kept, non-finite counted', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: -1e6, max: 1e6, noNaN: true }), yArb), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 50 }),
        fc.boolean(),
        (pts, cols, sortIt) => {
          if (sortIt) pts.sort((a, b) => a[0] - b[0]);
          const xs = pts.map((p) => p[0]);
          const ys = pts.map((p) => p[1]);
          const { grid, r } = run(xs, ys, cols);
          if (r.x.length > 2 * (cols + 1) + 2) return false;
          // Every non-finite y is accounted for.
          const nf = ys.filter((y) => !Number.isFinite(y)).length;
          if (r.nonFinite.reduce((a, m) => a + m.count, 0) !== nf) return false;
          // Global finite extremes are kept.
          const fin = ys.filter(Number.isFinite);
          if (fin.length > 0) {
            if (!r.y.includes(Math.max(...fin)) || !r.y.includes(Math.min(...fin))) return false;
          }
          // Each column's max is kept.
          const colMax = new Map<number, number>();
          xs.forEach((x, i) => {
            if (!Number.isFinite(ys[i])) return;
            // the column as downsample() computes it (times the reciprocal width, not divided by the
            // width: the two differ by an ulp at column edges, which moved points between columns)
            const k = Math.min(Math.max(0, Math.floor((x - grid.t0) * (1 / grid.width))), cols - 1);
            colMax.set(k, Math.max(colMax.get(k) ?? -Infinity, ys[i]));
          });
          for (const v of colMax.values()) if (!r.y.includes(v)) return false;
          // Indices point at the reported values.
          return r.idx.every((i, j) => Object.is(ys[i], r.y[j]) && Object.is(xs[i], r.x[j]));
        },
      ),
    );
  });

  it('sorted output for sorted input; edges extend the line outside a zoom window', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i);
    const ys = xs.map((x) => Math.cos(x));
    const grid = makeGrid(20, 40, 5, false);
    const r = downsample(xs, ys, { grid, xMin: 20, xMax: 40, sorted: true });
    assert.deepEqual(
      [...r.x].sort((a, b) => a - b),
      r.x,
    );
    assert.equal(r.x[0], 19);
    assert.equal(r.x[r.x.length - 1], 41);
    assert.ok(r.x.slice(1, -1).every((x) => x >= 20 && x <= 40));
  });

  it('log x skips x <= 0 and counts them', () => {
    const xs = [0, 1, 10, 100, 1000];
    const ys = [5, 4, 3, 2, 1];
    const grid = makeGrid(1, 1000, 3, true);
    const r = downsample(xs, ys, { grid, xMin: -Infinity, xMax: Infinity, sorted: false });
    assert.equal(r.skipped, 1);
    assert.ok(!r.x.includes(0));
    assert.ok(r.x.includes(1000) && r.x.includes(1));
  });

  it('tail extension from tailFrom equals a full recompute', () => {
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < 1000; i++) {
      xs.push(i);
      ys.push(Math.sin(i * 0.37) * i);
    }
    const grid = makeGrid(0, 999, 50, false);
    const a = downsample(xs, ys, { grid, xMin: 0, xMax: Infinity, sorted: true, to: 600 });
    const tail = downsample(xs, ys, { grid, xMin: 0, xMax: Infinity, sorted: true, from: a.tailFrom, edges: false });
    const cut = xs[a.tailFrom];
    const merged = [...a.idx.filter((i) => xs[i] < cut), ...tail.idx];
    const full = downsample(xs, ys, { grid, xMin: 0, xMax: Infinity, sorted: true });
    assert.deepEqual(merged, full.idx);
  });

  it('property: the sorted fast path keeps exactly what the per-point scan keeps (linear and log x)', () => {
    const xsArb = fc.array(fc.oneof(fc.integer({ min: -50, max: 2000 }), fc.double({ min: -10, max: 1e6, noNaN: true })), {
      minLength: 1,
      maxLength: 400,
    });
    fc.assert(
      fc.property(
        xsArb,
        fc.array(yArb, { minLength: 400, maxLength: 400 }),
        fc.integer({ min: 1, max: 64 }),
        fc.boolean(),
        (raw, yAll, cols, log) => {
          const xs = [...raw].sort((a, b) => a - b);
          const ys = yAll.slice(0, xs.length);
          const plottable = xs.filter((x) => !log || x > 0);
          if (plottable.length === 0) return;
          const grid = makeGrid(plottable[0], plottable[plottable.length - 1], cols, log);
          const o = { grid, xMin: -Infinity, xMax: Infinity, edges: false };
          const fast = downsample(xs, ys, { ...o, sorted: true });
          const slow = downsample(xs, ys, { ...o, sorted: false });
          assert.deepEqual(fast, slow);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('bad input gives clear errors', () => {
    assert.throws(() => downsample([1], [1, 2], { grid: makeGrid(0, 1, 1, false), xMin: 0, xMax: 1 }), /lengths differ/);
    assert.throws(() => makeGrid(0, 1, 0, false), /columns/);
    assert.throws(() => makeGrid(-1, 1, 10, true), /not plottable/);
    assert.throws(() => downsample([1], [1], { grid: { t0: 0, width: 0, log: false }, xMin: 0, xMax: 1 }), /invalid grid/);
  });
});
