import assert from 'node:assert/strict';
import fc from 'fast-check';
import { emaAppend, emaInit, smoothEma } from '../../../src/shared/smooth';

// TensorBoard's resmoothDataSeries (tensorboard/webapp/widgets/line_chart_v2), transcribed.
function tensorboard(ys: number[], w: number): number[] {
  let last = ys.length > 0 ? 0 : NaN;
  let numAccum = 0;
  return ys.map((y) => {
    if (!Number.isFinite(y)) return y;
    last = last * w + (1 - w) * y;
    numAccum++;
    let debias = 1;
    if (w !== 1) debias = 1 - Math.pow(w, numAccum);
    return last / debias;
  });
}

const value = fc.oneof(
  { weight: 20, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) },
);

function close(a: number, b: number): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

describe('dashboard: debiased EMA (smooth.ts)', () => {
  it('first smoothed value equals the first value (debiasing)', () => {
    assert.equal(smoothEma([5, 7], 0.9)[0], 5);
    assert.ok(Math.abs(smoothEma([5, 7], 0.9)[1] - (0.9 * 0.1 * 5 + 0.1 * 7) / (1 - 0.81)) < 1e-12);
  });

  it('equals TensorBoard on known values, weight 0 is identity', () => {
    const ys = [1, 2, NaN, 4, Infinity, 3, -Infinity, 10];
    const got = Array.from(smoothEma(ys, 0.6));
    const want = tensorboard(ys, 0.6);
    got.forEach((g, i) => assert.ok(close(g, want[i]), `${i}: ${g} vs ${want[i]}`));
    assert.deepEqual(Array.from(smoothEma(ys, 0)), ys);
  });

  it('property: equals TensorBoard formula, non-finite passes through', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 200 }), fc.double({ min: 0, max: 0.999, noNaN: true }), (ys, w) => {
        const got = smoothEma(ys, w);
        const want = tensorboard(ys, w);
        for (let i = 0; i < ys.length; i++) if (!close(got[i], want[i])) return false;
        return true;
      }),
    );
  });

  it('property: incremental appends equal one pass', () => {
    fc.assert(
      fc.property(
        fc.array(value, { maxLength: 100 }),
        fc.array(fc.nat(100)),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (ys, cuts, w) => {
          const whole = smoothEma(ys, w);
          const out = new Float64Array(ys.length);
          const st = emaInit();
          let at = 0;
          for (const c of [...cuts.map((c) => c % (ys.length + 1)).sort((a, b) => a - b), ys.length]) {
            if (c < at) continue;
            emaAppend(w, ys, at, c, out, st);
            at = c;
          }
          return whole.every((v, i) => Object.is(v, out[i]));
        },
      ),
    );
  });

  it('rejects bad weights and ranges with clear errors', () => {
    assert.throws(() => smoothEma([1], 1), /smoothing weight/);
    assert.throws(() => smoothEma([1], NaN), /smoothing weight/);
    assert.throws(() => smoothEma([1], -0.1), /smoothing weight/);
    assert.throws(() => emaAppend(0.5, [1, 2], 0, 3, new Float64Array(3), emaInit()), /bad range/);
  });
});
