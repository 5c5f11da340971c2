// The rolling robust statistics (checks/robust.ts) against naive sorts, on random and adversarial data.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { RollingWindow, mad, madInPlace, median } from '../../../src/core/checks/robust';

function naiveMedian(v: number[]): number {
  const a = v.filter(Number.isFinite).sort((x, y) => x - y);
  if (!a.length) return NaN;
  const h = a.length >> 1;
  return a.length % 2 ? a[h]! : (a[h - 1]! + a[h]!) / 2;
}
function naiveMad(v: number[]): number {
  const m = naiveMedian(v);
  return naiveMedian(v.filter(Number.isFinite).map((x) => Math.abs(x - m)));
}

const value = fc.oneof(
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  fc.integer({ min: -3, max: 3 }), // many ties
  fc.constantFrom(NaN, Infinity, -Infinity, 0, -0),
);

describe('checks: robust statistics', () => {
  it('RollingWindow median, MAD and recent medians equal a naive sort of the trailing window', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(value, { maxLength: 300 }), (cap, xs) => {
        const w = new RollingWindow(cap);
        const finite: number[] = [];
        for (const x of xs) {
          w.push(x);
          if (Number.isFinite(x)) finite.push(x);
          const tail = finite.slice(-cap);
          assert.equal(w.size, tail.length);
          // (+ 0: -0 and 0 are equal here, as for the comparisons of the checks)
          assert.deepEqual(
            [...w.sorted].map((v) => v + 0),
            [...tail].sort((a, b) => a - b).map((v) => v + 0),
          );
          assert.equal(w.median() + 0, naiveMedian(tail) + 0);
          assert.equal(w.mad() + 0, naiveMad(tail) + 0);
          for (const k of [1, 2, 3, 5]) {
            const want = naiveMedian(tail.slice(-Math.min(k, tail.length)));
            assert.equal(w.recentMedian(k) + 0, want + 0);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('madInPlace (two selections) equals mad (a sort) and median equals the naive median', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.integer({ min: -2, max: 2 })), { maxLength: 120 }),
        (xs) => {
          const a = Float64Array.from(xs);
          assert.equal(madInPlace(a, a.length) + 0, (xs.length ? naiveMad(xs) : NaN) + 0);
          assert.equal(mad(xs) + 0, (xs.length ? naiveMad(xs) : NaN) + 0);
          assert.equal(median(xs) + 0, (xs.length ? naiveMedian(xs) : NaN) + 0);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('selection stays correct on sorted, reversed, constant and organ-pipe inputs', () => {
    const n = 101;
    const shapes = [
      Array.from({ length: n }, (_, i) => i),
      Array.from({ length: n }, (_, i) => n - i),
      Array.from({ length: n }, () => 7),
      Array.from({ length: n }, (_, i) => (i < n / 2 ? i : n - i)),
    ];
    for (const s of shapes) assert.equal(madInPlace(Float64Array.from(s), n), naiveMad(s));
  });
});
