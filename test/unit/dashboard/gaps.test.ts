import assert from 'node:assert/strict';
import { gapThreshold, isGap, withBreaks } from '../../../src/shared/gaps';

const pts = (xs: number[]) => xs.map((x) => ({ x, y: x * 2 }));
const make = (x: number) => ({ x, y: NaN });
const shape = (a: Array<{ x: number; y: number }>) => a.map((p) => (Number.isNaN(p.y) ? `|${p.x}` : String(p.x))).join(' ');

describe('dashboard: line breaks at gaps and non-finite regions (gaps.ts)', () => {
  it('breaks a gap of 100 steps in data logged every step (step 400 → 500)', () => {
    const xs = [...Array.from({ length: 400 }, (_, i) => i + 1), 500];
    const th = gapThreshold(xs, 500 / 430, false);
    assert.ok(th >= 10 && th < 100, `threshold ${th}`);
    const out = withBreaks(pts(xs), [], th, false, make);
    assert.equal(out.length, 402);
    assert.equal(shape(out.slice(-3)), '400 |450 500');
  });

  it('does not break regular data, nor a change of logging interval (10 → 100)', () => {
    const xs = [...Array.from({ length: 100 }, (_, i) => i * 10), ...Array.from({ length: 50 }, (_, i) => 1000 + i * 100)];
    const th = gapThreshold(xs, 1, false);
    assert.equal(withBreaks(pts(xs), [], th, false, make).length, xs.length);
  });

  it('min/max-downsampled dense data (two points per column) is not broken', () => {
    const xs: number[] = [];
    for (let c = 0; c < 500; c++) xs.push(c * 200 + 3, c * 200 + 150);
    const th = gapThreshold(xs, 200, false);
    assert.equal(withBreaks(pts(xs), [], th, false, make).length, xs.length);
  });

  it('breaks at every non-finite mark between two drawn points, once', () => {
    const out = withBreaks(pts([1, 2, 3, 6, 7]), [4, 5], Infinity, false, make);
    assert.equal(shape(out), '1 2 3 |4 6 7');
    const first = withBreaks(pts([2, 3]), [1], Infinity, false, make);
    assert.equal(shape(first), '|1 2 3');
    // Points keep their identity.
    const p = pts([1, 2]);
    assert.equal(withBreaks(p, [], Infinity, false, make)[1], p[1]);
  });

  it('log x: gaps are measured in log space; too few points never break', () => {
    const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1e4];
    const th = gapThreshold(xs, 0, true);
    assert.ok(isGap(10, 1e4, th, true));
    assert.equal(gapThreshold([1, 2], 0, false), Infinity);
    assert.equal(isGap(0, 1e9, Infinity, false), false);
  });
});
