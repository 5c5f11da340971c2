import assert from 'node:assert/strict';
import fc from 'fast-check';
import { niceRange, niceStep, quantileSorted, yRange } from '../../../src/shared/yrange';

const healthy = (n: number, scale = 1): number[] => Array.from({ length: n }, (_, i) => scale * (2 * Math.exp(-i / 50) + 0.1));

describe('dashboard: y range, ignoring outliers (yrange.ts)', () => {
  it('one run exploding to 1e36 does not flatten the healthy curves', () => {
    const a = healthy(300);
    const b = healthy(300, 1.2);
    const exploding = [...healthy(290), 1e3, 1e9, 1e20, 1e30, 1e36, NaN, NaN, Infinity, NaN, NaN];
    const r = yRange([a, b, exploding], { ignoreOutliers: true, log: false })!;
    assert.ok(r.max < 10, `max ${r.max}`);
    assert.ok(r.min >= 0 && r.min <= 0.1, `min ${r.min}`);
    assert.ok(r.clipped >= 4, `clipped ${r.clipped}`);
    // Without ignoring outliers the range is the full extent.
    const full = yRange([a, b, exploding], { ignoreOutliers: false, log: false })!;
    assert.ok(full.max >= 1e36 && full.clipped === 0);
  });

  it('keeps the whole healthy curve, including its first (highest) points', () => {
    const a = healthy(500);
    const r = yRange([a], { ignoreOutliers: true, log: false })!;
    assert.ok(r.max >= Math.max(...a), `max ${r.max} < ${Math.max(...a)}`);
    assert.ok(r.min <= Math.min(...a));
    assert.equal(r.clipped, 0);
  });

  it('ignores NaN / ±Inf and, on a log axis, values <= 0', () => {
    const r = yRange([[NaN, Infinity, -Infinity, 1, 2, 3]], { ignoreOutliers: false, log: false })!;
    assert.ok(r.min <= 1 && r.max >= 3 && r.max < 4);
    const l = yRange([[-5, 0, 0.01, 1, 100]], { ignoreOutliers: false, log: true })!;
    assert.ok(l.min > 0 && l.min <= 0.01 && l.max >= 100);
    assert.equal(yRange([[NaN, -1]], { ignoreOutliers: true, log: true }), null);
    assert.equal(yRange([], { ignoreOutliers: true, log: false }), null);
  });

  it('reports the decades a positive range spans (auto log scale)', () => {
    const half = Array.from({ length: 100 }, (_, i) => 1e-3 * (1 + i / 100));
    const r = yRange([half, half.map((v) => v * 1e6)], { ignoreOutliers: true, log: false })!;
    assert.ok(r.positive && r.decades > 4, `decades ${r.decades}`);
    const neg = yRange([[-1, 1, 2, 3, 4, 5]], { ignoreOutliers: true, log: false })!;
    assert.equal(neg.positive, false);
    assert.equal(neg.decades, 0);
  });

  it('a flat line gets a non-empty range around it; non-negative data is not padded below 0', () => {
    const r = yRange([[0.5, 0.5, 0.5, 0.5, 0.5, 0.5]], { ignoreOutliers: true, log: false })!;
    assert.ok(r.min < 0.5 && r.max > 0.5);
    const z = yRange([[0, 0, 0, 0, 0, 0]], { ignoreOutliers: true, log: false })!;
    assert.ok(z.min === 0 && z.max > 0);
    const p = yRange([[0, 1, 2, 3, 4, 5]], { ignoreOutliers: true, log: false })!;
    assert.equal(p.min, 0);
  });

  it('quantiles interpolate linearly', () => {
    assert.equal(quantileSorted([1, 2, 3, 4, 5], 0.5), 3);
    assert.equal(quantileSorted([0, 10], 0.25), 2.5);
    assert.ok(Number.isNaN(quantileSorted([], 0.5)));
  });

  it('property: min < max, finite; every value between the quantiles is inside; clipped counts the rest', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            { weight: 10, arbitrary: fc.double({ min: -1e300, max: 1e300, noNaN: true }) },
            { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) },
          ),
          { minLength: 1, maxLength: 200 },
        ),
        fc.boolean(),
        fc.boolean(),
        (ys, ignoreOutliers, log) => {
          const r = yRange([ys], { ignoreOutliers, log });
          const counted = ys.filter((y) => Number.isFinite(y) && (!log || y > 0)).sort((a, b) => a - b);
          if (counted.length === 0) return r === null;
          assert.ok(r !== null);
          assert.ok(Number.isFinite(r.min) && Number.isFinite(r.max) && r.min < r.max, JSON.stringify(r));
          if (log) assert.ok(r.min > 0);
          const lo = ignoreOutliers && counted.length >= 5 ? quantileSorted(counted, 0.05) : counted[0];
          const hi = ignoreOutliers && counted.length >= 5 ? quantileSorted(counted, 0.95) : counted.at(-1)!;
          for (const y of counted) if (y >= lo && y <= hi) assert.ok(y >= r.min && y <= r.max, `${y} outside [${r.min}, ${r.max}]`);
          const outside = counted.filter((y) => y < r.min || y > r.max).length;
          assert.ok(r.clipped >= outside, `clipped ${r.clipped} < ${outside}`);
          if (!ignoreOutliers) assert.equal(outside, 0);
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('dashboard: nice axis bounds (yrange.ts)', () => {
  it('linear: multiples of a 1/2/2.5/5 step enclosing the range', () => {
    assert.deepEqual(niceRange(0, 2.62, false), { min: 0, max: 3, step: 1 });
    const r = niceRange(0.13, 0.87, false);
    assert.ok(r.min <= 0.13 && r.max >= 0.87 && r.step !== null && r.step > 0);
    assert.ok(Math.abs(r.min / r.step! - Math.round(r.min / r.step!)) < 1e-9);
    assert.equal(niceStep(0.3), 0.5);
    assert.equal(niceStep(2.2), 2.5);
  });
  it('log: whole mantissas (a tick at each)', () => {
    assert.deepEqual(niceRange(0.013, 37, true), { min: 0.01, max: 40, step: null });
    const r = niceRange(0.41, 9.4, true);
    assert.ok(Math.abs(r.min - 0.4) < 1e-12 && Math.abs(r.max - 10) < 1e-12, JSON.stringify(r));
  });
  it('degenerate input is returned unchanged', () => {
    assert.deepEqual(niceRange(1, 1, false), { min: 1, max: 1, step: null });
    assert.deepEqual(niceRange(-1, 1, true), { min: -1, max: 1, step: null });
  });
});
