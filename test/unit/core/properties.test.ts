// Property tests (fast-check): shift invariance, gradient rows summing to 0, finite differences,
// and the WebAssembly SIMD path agreeing with the JS reference (incl. NaN / ±inf / ignored rows).
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { crossEntropyGrad, crossEntropyLoss, softmaxCrossEntropy } from '../../../src/core/crossEntropy';
import { softmax } from '../../../src/core/softmax';
import { close } from './helpers';

const finite = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

const problem = fc.record({ n: fc.integer({ min: 1, max: 5 }), c: fc.integer({ min: 1, max: 7 }) }).chain(({ n, c }) =>
  fc.record({
    n: fc.constant(n),
    c: fc.constant(c),
    z: fc.array(finite(-30, 30), { minLength: n * c, maxLength: n * c }),
    y: fc.array(fc.integer({ min: 0, max: c - 1 }), { minLength: n, maxLength: n }),
    w: fc.option(fc.array(finite(0.1, 3), { minLength: c, maxLength: c }), { nil: undefined }),
    eps: fc.oneof(fc.constant(0), finite(0, 1)),
    reduction: fc.constantFrom('mean' as const, 'sum' as const, 'none' as const),
    shift: fc.array(finite(-1000, 1000), { minLength: n, maxLength: n }),
  }),
);

describe('core: cross-entropy properties', () => {
  it('is invariant to a per-row shift of the logits', () => {
    fc.assert(
      fc.property(problem, ({ n, c, z, y, w, eps, reduction, shift }) => {
        const opts = { weight: w, labelSmoothing: eps, reduction };
        const a = softmaxCrossEntropy({ data: z, shape: [n, c] }, y, opts);
        const zs = z.map((v, i) => v + shift[Math.floor(i / c)]);
        const b = softmaxCrossEntropy({ data: zs, shape: [n, c] }, y, opts);
        // the shift itself is rounded in float64: |shift| · 2^-52 per logit
        const tol = 1e-11;
        if (reduction === 'none') {
          (a.loss as Float64Array).forEach((v, i) => close((b.loss as Float64Array)[i], v, tol, tol, 'loss'));
        } else close(b.loss as number, a.loss as number, tol, tol, 'loss');
        close(b.gradNorm, a.gradNorm, 1e-9, 1e-11, 'gradNorm');
      }),
      { numRuns: 150 },
    );
  });

  it('gradient rows sum to 0 (unit weights; with any weights too) and the norms match the gradient', () => {
    fc.assert(
      fc.property(problem, ({ n, c, z, y, w, eps, reduction }) => {
        const g = crossEntropyGrad({ data: z, shape: [n, c] }, y, { weight: w, labelSmoothing: eps, reduction });
        let sq = 0;
        let mx = 0;
        for (let i = 0; i < n; i++) {
          let s = 0;
          let mag = 0;
          let rowSq = 0;
          for (let k = 0; k < c; k++) {
            const v = g.grad[i * c + k];
            s += v;
            mag += Math.abs(v);
            rowSq += v * v;
            mx = Math.max(mx, Math.abs(v));
          }
          assert.ok(Math.abs(s) <= 1e-14 * Math.max(1, mag * c) + 1e-15, `row ${i} sums to ${s}`);
          close(g.perSampleGradNorm[i], Math.sqrt(rowSq), 1e-14, 0, 'perSample');
          sq += rowSq;
        }
        close(g.gradNorm, Math.sqrt(sq), 1e-13, 0, 'gradNorm');
        close(g.maxAbsGrad, mx, 0, 0, 'maxAbs');
        const fused = softmaxCrossEntropy({ data: z, shape: [n, c] }, y, { weight: w, labelSmoothing: eps, reduction });
        close(fused.gradNorm, g.gradNorm, 1e-14, 0, 'fused gradNorm');
      }),
      { numRuns: 150 },
    );
  });

  it('agrees with central finite differences (index and probability targets, weights, smoothing)', () => {
    fc.assert(
      fc.property(problem, fc.boolean(), ({ n, c, z, y, w, eps }, prob) => {
        const zz = z.map((v) => v / 10);
        let target: { data: number[]; shape: number[] } | number[] = y;
        if (prob) {
          const t = zz.map((v, i) => Math.exp(Math.sin(7 * i + v)));
          for (let i = 0; i < n; i++) {
            let s = 0;
            for (let k = 0; k < c; k++) s += t[i * c + k];
            for (let k = 0; k < c; k++) t[i * c + k] /= s;
          }
          target = { data: t, shape: [n, c] };
        }
        const opts = { weight: w, labelSmoothing: eps, reduction: 'mean' as const };
        const g = crossEntropyGrad({ data: zz, shape: [n, c] }, target, opts);
        const h = 1e-5;
        for (let j = 0; j < zz.length; j++) {
          const up = zz.slice();
          up[j] += h;
          const dn = zz.slice();
          dn[j] -= h;
          const fd =
            ((crossEntropyLoss({ data: up, shape: [n, c] }, target, opts) as number) -
              (crossEntropyLoss({ data: dn, shape: [n, c] }, target, opts) as number)) /
            (2 * h);
          assert.ok(Math.abs(fd - g.grad[j]) <= 1e-6 * (1 + Math.abs(fd)), `∂L/∂z[${j}]: analytic ${g.grad[j]}, fd ${fd}`);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('WebAssembly SIMD path matches the JS reference on float32 logits, incl. NaN / ±inf / ignored rows', () => {
    const special = fc.constantFrom(NaN, Infinity, -Infinity, 1e4, -1e4, 0);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.array(fc.tuple(fc.nat(), special), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 3 }),
        fc.boolean(),
        fc.constantFrom('mean' as const, 'sum' as const, 'none' as const),
        (n, c, seed, inject, ignored, weighted, reduction) => {
          let s = seed;
          const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
          const z = new Float32Array(n * c);
          for (let i = 0; i < z.length; i++) z[i] = (rnd() - 0.5) * 40;
          for (const [pos, v] of inject) z[pos % z.length] = v;
          if (rnd() < 0.3) z.fill(-Infinity, 0, c); // an all −inf row
          const y = Array.from({ length: n }, () => Math.floor(rnd() * c));
          for (const i of ignored) y[i % n] = -100;
          const weight = weighted ? Array.from({ length: c }, () => rnd() * 2) : undefined;
          const opts = { weight, reduction };
          const a = softmaxCrossEntropy({ data: z, shape: [n, c] }, y, { ...opts, engine: 'js' });
          const b = softmaxCrossEntropy({ data: z, shape: [n, c] }, y, opts);
          assert.equal(b.engine, 'wasm');
          const l = crossEntropyLoss({ data: z, shape: [n, c] }, y, opts);
          // The kernel's documented bound (ce.as): its f32 exp has a relative error ≤ 1.9e-7 + |x|·7.4e-8
          // for x = z − max, so a confident row (loss ≈ S1, ‖g‖ ≈ √2·S1) carries that error relatively.
          // Tolerance per row from its finite spread (≤ 86: smaller terms underflow to 0 in both paths).
          const rowTol = (i: number) => {
            let lo = Infinity;
            let hi = -Infinity;
            for (let k = i * c; k < (i + 1) * c; k++)
              if (Number.isFinite(z[k])) {
                lo = Math.min(lo, z[k]);
                hi = Math.max(hi, z[k]);
              }
            return 1e-6 + 7.4e-8 * Math.min(hi > lo ? hi - lo : 0, 87);
          };
          const tol = Array.from({ length: n }, (_, i) => rowTol(i));
          const maxTol = Math.max(...tol);
          if (reduction === 'none') {
            (a.loss as Float64Array).forEach((v, i) => {
              close((b.loss as Float64Array)[i], v, tol[i], 1e-12, `loss[${i}]`);
              close((l as Float64Array)[i], v, tol[i], 1e-12, `lossOnly[${i}]`);
            });
          } else {
            close(b.loss as number, a.loss as number, maxTol, 1e-12, 'loss');
            close(l as number, a.loss as number, maxTol, 1e-12, 'lossOnly');
          }
          close(b.gradNorm, a.gradNorm, maxTol, 1e-12, 'gradNorm');
          close(b.maxAbsGrad, a.maxAbsGrad, maxTol, 1e-12, 'maxAbsGrad');
          a.perSampleGradNorm.forEach((v, i) => close(b.perSampleGradNorm[i], v, tol[i], 1e-12, `perSample[${i}]`));
        },
      ),
      { numRuns: 300, examples: [[5, 2, 1058775352, [], [], true, 'sum']] },
    );
  });

  it('wasm path handles a 50 257-class row and blocks of many rows like the JS path', () => {
    for (const [n, c] of [
      [3, 50257],
      [700, 10],
      [33, 1000],
    ]) {
      const z = new Float32Array(n * c);
      for (let i = 0; i < z.length; i++) z[i] = Math.sin(i * 0.37) * 8;
      const y = Array.from({ length: n }, (_, i) => (i * 7919) % c);
      const a = softmaxCrossEntropy({ data: z, shape: [n, c] }, y, { engine: 'js' });
      const b = softmaxCrossEntropy({ data: z, shape: [n, c] }, y);
      assert.equal(b.engine, 'wasm');
      close(b.loss as number, a.loss as number, 1e-6, 0, `loss ${n}×${c}`);
      close(b.gradNorm, a.gradNorm, 1e-6, 0, `gradNorm ${n}×${c}`);
    }
  });
});

describe('core: wasm kernel blocks, 4-row groups and target forms', () => {
  // Many rows (several kernel blocks), C on both sides of the 4-row group path (C ≤ 64), non-finite
  // rows inside groups, ignored rows, weights, Int32Array targets (copied as is) and ignore_index ≥ 0.
  for (const c of [1, 3, 10, 64, 65, 1000]) {
    it(`C = ${c}: wasm = JS reference for every reduction`, () => {
      const n = Math.max(9, Math.ceil(150000 / c));
      const z = new Float32Array(n * c);
      for (let i = 0; i < z.length; i++) z[i] = Math.sin(i * 0.7) * 12 + Math.cos(i * 0.013) * 30;
      z[5 * c] = NaN;
      z[9 * c + (c > 1 ? 1 : 0)] = Infinity;
      if (n > 40) z.fill(-Infinity, 40 * c, 41 * c);
      const y = new Int32Array(n);
      for (let i = 0; i < n; i++) y[i] = (i * 7919) % c;
      y[3] = -100;
      y[9] = -100; // ignored +inf row
      const weight = Array.from({ length: c }, (_, k) => 0.5 + (k % 5) * 0.3);
      for (const opts of [{}, { weight }, { reduction: 'none' as const }, { reduction: 'sum' as const, weight }]) {
        const a = softmaxCrossEntropy({ data: z, shape: [n, c] }, y, { ...opts, engine: 'js' });
        const b = softmaxCrossEntropy({ data: z, shape: [n, c] }, y, opts);
        const l = crossEntropyLoss({ data: z, shape: [n, c] }, y, opts);
        assert.equal(b.engine, 'wasm');
        if (opts.reduction === 'none') {
          (a.loss as Float64Array).forEach((v, i) => {
            close((b.loss as Float64Array)[i], v, 1e-6, 1e-12, `loss[${i}]`);
            close((l as Float64Array)[i], v, 1e-6, 1e-12, `lossOnly[${i}]`);
          });
        } else {
          close(b.loss as number, a.loss as number, 1e-6, 1e-12, 'loss');
          close(l as number, a.loss as number, 1e-6, 1e-12, 'lossOnly');
        }
        close(b.gradNorm, a.gradNorm, 1e-6, 1e-12, 'gradNorm');
        close(b.maxAbsGrad, a.maxAbsGrad, 1e-6, 1e-12, 'maxAbsGrad');
        a.perSampleGradNorm.forEach((v, i) => close(b.perSampleGradNorm[i], v, 1e-6, 1e-12, `perSample[${i}]`));
      }
      // finite rows only, with ignore_index = 0 (a valid class index: targets need converting)
      const zf = z.map((v) => (Number.isFinite(v) ? v : 1));
      const a = softmaxCrossEntropy(
        { data: zf, shape: [n, c] },
        y.map((v) => (v < 0 ? 0 : v)),
        { ignoreIndex: 0, engine: 'js' },
      );
      const b = softmaxCrossEntropy(
        { data: zf, shape: [n, c] },
        Array.from(y, (v) => (v < 0 ? 0 : v)),
        { ignoreIndex: 0 },
      );
      assert.ok(Number.isFinite(b.loss as number) || c === 1);
      close(b.loss as number, a.loss as number, 1e-6, 1e-12, 'loss (ignoreIndex 0)');
      close(b.gradNorm, a.gradNorm, 1e-6, 1e-12, 'gradNorm (ignoreIndex 0)');
    });
  }

  it('target in every class position: unmasked-exp rows (spread ≤ 86) and masked rows agree with JS', () => {
    // C = 100: three full 32-class chunks and a tail of 4; row 2i has every z − max ≥ −86 (the kernel's
    // mask-free exp, target lane zeroed in its chunk), row 2i + 1 the same plus one class 100 below
    // (the masked exp with z_y = −inf), for every target y.
    for (const c of [100, 37]) {
      const n = 2 * c;
      const z = new Float32Array(n * c);
      for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) z[i * c + k] = Math.sin(i * 1.3 + k * 0.71) * 9 + (k === i % c ? 3 : 0);
      for (let i = 1; i < n; i += 2) z[i * c + ((i * 5) % c)] -= 100;
      const y = new Int32Array(n);
      for (let i = 0; i < n; i++) y[i] = Math.floor(i / 2);
      const a = softmaxCrossEntropy({ data: z, shape: [n, c] }, y, { reduction: 'none', engine: 'js' });
      const b = softmaxCrossEntropy({ data: z, shape: [n, c] }, y, { reduction: 'none' });
      const l = crossEntropyLoss({ data: z, shape: [n, c] }, y, { reduction: 'none' }) as Float64Array;
      assert.equal(b.engine, 'wasm');
      for (let i = 0; i < n; i++) {
        close((b.loss as Float64Array)[i], (a.loss as Float64Array)[i], 1e-6, 0, `loss[${i}] C=${c}`);
        close(l[i], (a.loss as Float64Array)[i], 1e-6, 0, `lossOnly[${i}] C=${c}`);
        close(b.perSampleGradNorm[i], a.perSampleGradNorm[i], 1e-6, 0, `gradNorm[${i}] C=${c}`);
      }
    }
  });

  it('row path (C > 64): max/min/NaN from the float bits — signs, zeros, NaN payloads, infinities', () => {
    // The kernel takes a row's max, min and NaN flag from integer reductions of the float bits:
    // exercise every sign case, both zeros, quiet/signalling NaNs of either sign, ±inf, at every
    // position class (main loop, 4-wide tail, partial last vector).
    const c = 103;
    // bit patterns (written through a Uint32Array view: a NaN passed through a JS number may lose its payload)
    const specials = [0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fffffff, 0xffffffff, 0x7f800000, 0xff800000, 0, 0x80000000];
    const rows: number[][] = [];
    const put: [number, number, number][] = [];
    const base = (i: number, k: number): number => Math.sin(i * 0.9 + k * 0.37) * 6;
    rows.push(Array.from({ length: c }, (_, k) => -20 - Math.abs(base(0, k)))); // all negative
    rows.push(Array.from({ length: c }, (_, k) => 20 + Math.abs(base(1, k)))); // all positive
    rows.push(Array.from({ length: c }, (_, k) => (k % 2 ? 0 : -0))); // zeros of both signs
    rows.push(Array.from({ length: c }, (_, k) => (k === 50 ? -0 : -1 - (k % 7)))); // −0 is the max
    rows.push(Array.from({ length: c }, (_, k) => (k === 7 ? 0 : 1 + (k % 5)))); // +0 is the min
    for (const pos of [0, 17, 63, 64, 99, 101, 102]) {
      for (const sp of specials) {
        rows.push(Array.from({ length: c }, (_, k) => base(pos, k) - (pos % 3) * 10));
        put.push([rows.length - 1, pos, sp]);
      }
    }
    const n = rows.length;
    const z = new Float32Array(n * c);
    rows.forEach((r, i) => z.set(r, i * c));
    const zb = new Uint32Array(z.buffer);
    for (const [i, k, b] of put) zb[i * c + k] = b;
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) y[i] = (i * 37) % c;
    y[4] = -100; // an ignored row
    const a = softmaxCrossEntropy({ data: z, shape: [n, c] }, y, { reduction: 'none', engine: 'js' });
    const b = softmaxCrossEntropy({ data: z, shape: [n, c] }, y, { reduction: 'none' });
    const l = crossEntropyLoss({ data: z, shape: [n, c] }, y, { reduction: 'none' }) as Float64Array;
    assert.equal(b.engine, 'wasm');
    for (let i = 0; i < n; i++) {
      close((b.loss as Float64Array)[i], (a.loss as Float64Array)[i], 1e-6, 1e-12, `loss[${i}]`);
      close(l[i], (a.loss as Float64Array)[i], 1e-6, 1e-12, `lossOnly[${i}]`);
      close(b.perSampleGradNorm[i], a.perSampleGradNorm[i], 1e-6, 1e-12, `gradNorm[${i}]`);
    }
    close(b.gradNorm, a.gradNorm, 1e-6, 1e-12, 'gradNorm');
  });

  it('confident rows keep full relative accuracy (log1p and target-excluded sums)', () => {
    // row: target 0 at the max, the others 25 … 40 below: loss ≈ Σ e^{−gap}, torch float64 formula
    const c = 10;
    const z = new Float32Array(8 * c);
    for (let i = 0; i < 8; i++) for (let k = 1; k < c; k++) z[i * c + k] = -(25 + k + i);
    const y = new Int32Array(8);
    const r = softmaxCrossEntropy({ data: z, shape: [8, c] }, y, { reduction: 'none' });
    assert.equal(r.engine, 'wasm'); // the JS reference forms log(1 + S1) like torch (≈1e-16 absolute)
    for (let i = 0; i < 8; i++) {
      let s1 = 0;
      let s2 = 0;
      for (let k = 1; k < c; k++) {
        const e = Math.exp(z[i * c + k]);
        s1 += e;
        s2 += e * e;
      }
      close((r.loss as Float64Array)[i], Math.log1p(s1), 3e-6, 0, `loss[${i}]`);
      close(r.perSampleGradNorm[i], Math.sqrt(s2 + s1 * s1) / (1 + s1), 3e-6, 0, `gradNorm[${i}]`);
    }
  });
});

describe('core: API ergonomics and errors', () => {
  it('accepts nested arrays with JSON non-finite strings, and softmax output fed back in', () => {
    const z = [
      [1, 2, 3],
      [0, '-Infinity', 1],
    ] as unknown as number[][];
    const r = softmaxCrossEntropy(z, [2, 0]);
    assert.ok(Number.isFinite(r.loss as number));
    const twice = softmaxCrossEntropy(
      softmax([
        [1, 2, 3],
        [0, -Infinity, 1],
      ]),
      [2, 0],
    );
    assert.ok((twice.loss as number) > 0.5 && (twice.loss as number) < Math.log(3) + 1e-9);
    const unbatched = softmaxCrossEntropy([1, 2, 3], [2], { reduction: 'none' });
    close(
      (unbatched.loss as Float64Array)[0],
      (r.loss as number) * 0 + Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 3,
      1e-14,
      0,
      'unbatched',
    );
  });

  it('rejects bad input with clear messages', () => {
    assert.throws(
      () => softmaxCrossEntropy({ data: [1, 2, 3, 4], shape: [2, 2] }, [0, 2]),
      /class index 2 at position 1 is out of range \[0, 2\)/,
    );
    assert.throws(() => softmaxCrossEntropy({ data: [1, 2, 3, 4], shape: [2, 2] }, [0.5, 1]), /not an integer/);
    assert.throws(() => softmaxCrossEntropy({ data: [1, 2, 3], shape: [2, 2] }, [0, 1]), /shape \[2, 2\] needs 4 values/);
    assert.throws(() => softmaxCrossEntropy({ data: [1, 2, 3, 4], shape: [2, 2] }, [0, 1, 1]), /class-index targets need shape \[2\]/);
    assert.throws(
      () => softmaxCrossEntropy({ data: [1, 2, 3, 4], shape: [2, 2] }, [0, 1], { weight: [1] }),
      /weight: needs one value per class/,
    );
    assert.throws(() => softmaxCrossEntropy({ data: [1, 2, 3, 4], shape: [2, 2] }, [0, 1], { labelSmoothing: 1.5 }), /labelSmoothing/);
    assert.throws(() => softmaxCrossEntropy([[1, 2], [3]], [0, 1]), /ragged/);
  });
});
