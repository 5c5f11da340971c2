// Kernel-resident logits: read in place by the SIMD kernel, bit-identical to the copied path, valid
// across memory growth, reusable after release.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { residentFloat32, softmaxCrossEntropy, crossEntropyLoss } from '../../../src/core';

function same(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

describe('core: kernel-resident logits', () => {
  before(function () {
    const r = residentFloat32(1);
    if (!r) this.skip(); // no WebAssembly SIMD here: nothing to test
    r?.release();
  });

  it('gives bit-identical loss, gradient norm, max |g| and per-row norms to a copied array', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 1100 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.boolean(),
        (n, c, seed, specials) => {
          let s = seed >>> 0;
          const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
          const z = new Float32Array(n * c);
          for (let i = 0; i < z.length; i++) z[i] = (rnd() - 0.5) * 20;
          if (specials && z.length > 3) {
            z[Math.floor(rnd() * z.length)] = NaN;
            z[Math.floor(rnd() * z.length)] = -Infinity;
          }
          const y = new Int32Array(n);
          for (let i = 0; i < n; i++) y[i] = rnd() < 0.1 ? -100 : Math.floor(rnd() * c);
          const res = residentFloat32(n * c)!;
          try {
            res.data.set(z);
            const a = softmaxCrossEntropy({ data: z, shape: [n, c] }, y);
            const b = softmaxCrossEntropy({ data: res.data, shape: [n, c] }, y);
            assert.equal(b.engine, a.engine);
            assert.ok(same(a.loss as number, b.loss as number), `loss ${a.loss} vs ${b.loss}`);
            assert.ok(same(a.gradNorm, b.gradNorm), `gradNorm ${a.gradNorm} vs ${b.gradNorm}`);
            assert.ok(same(a.maxAbsGrad, b.maxAbsGrad));
            for (let i = 0; i < n; i++) assert.ok(same(a.perSampleGradNorm[i]!, b.perSampleGradNorm[i]!), `row ${i}`);
            assert.ok(
              same(
                crossEntropyLoss({ data: z, shape: [n, c] }, y) as number,
                crossEntropyLoss({ data: res.data, shape: [n, c] }, y) as number,
              ),
            );
          } finally {
            res.release();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('stays valid while the kernel memory grows, and released memory is reused', () => {
    const a = residentFloat32(1000)!;
    a.data.fill(1.5);
    const big = residentFloat32(8 * 1024 * 1024)!; // 32 MiB: grows the memory
    assert.equal(a.data.length, 1000, 'an earlier resident array is not detached by growth');
    assert.equal(a.data[999], 1.5);
    big.data[big.data.length - 1] = 2;
    assert.equal(big.data[big.data.length - 1], 2);
    assert.ok(
      big.data.every((v, i) => v === 0 || i === big.data.length - 1),
      'new resident arrays are zero-filled',
    );
    big.release();
    const again = residentFloat32(4 * 1024 * 1024)!;
    assert.equal(again.data.byteOffset, big.data.byteOffset, 'released memory is reused');
    again.release();
    a.release();
    a.release(); // idempotent
  });
});
