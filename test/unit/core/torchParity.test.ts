// Parity with PyTorch (float64 references written by scripts/gen_torch_fixtures.py).
// float64 logits (and any logits through the JS reference path): ≤ 1e-12 relative.
// float32 logits through the WebAssembly SIMD path: ≤ 1e-6 relative. Identical NaN / inf pattern.
import * as assert from 'node:assert/strict';
import { crossEntropyGrad, softmaxCrossEntropy, crossEntropyLoss } from '../../../src/core/crossEntropy';
import { sigmoidBinaryCrossEntropyGrad } from '../../../src/core/bce';
import { logSoftmax, logSumExp, softmax } from '../../../src/core/softmax';
import { getKernel } from '../../../src/core/wasm/kernel';
import type { Reduction } from '../../../src/core/model';
import { close, closeRows, fixture, manifest, num, type JNum } from './helpers';

const RTOL_F64 = 1e-12;
const ATOL_F64 = 1e-15;
const RTOL_F32 = 1e-6;

const m = manifest();

describe('core: torch parity (fixtures)', () => {
  it('fixture suite is present and covers the hard cases', () => {
    const names = new Set(m.cases.map((c) => c.name));
    for (const n of [
      'large_z',
      'neg_inf_mask',
      'all_neg_inf_row',
      'nan_inf_rows',
      'c1',
      'vocab_50257',
      'all_ignored',
      'smooth_neg_inf',
      'weight_ignore_smooth',
      'prob_target',
      'nd_3d',
      'bce_pos_weight',
      'confident_f32',
    ]) {
      assert.ok(names.has(n), n);
    }
    assert.ok(getKernel() !== null, 'the WebAssembly SIMD kernel must load under Node 20');
  });

  for (const c of m.cases.filter((x) => x.fn === 'softmax')) {
    it(`softmax / logSoftmax / logSumExp: ${c.name}`, () => {
      const z = fixture(c.files.logits);
      const rowLen = z.shape[1];
      const sm = softmax(z);
      const ls = logSoftmax(z);
      const lse = logSumExp(z);
      closeRows(sm.data, fixture(c.results.softmax as string).data, rowLen, RTOL_F64, ATOL_F64, 'softmax');
      closeRows(ls.data, fixture(c.results.logSoftmax as string).data, rowLen, RTOL_F64, ATOL_F64, 'logSoftmax');
      const ref = fixture(c.results.logSumExp as string);
      assert.deepEqual(lse.shape, [...ref.shape]);
      for (let i = 0; i < ref.data.length; i++) close(lse.data[i], ref.data[i], RTOL_F64, ATOL_F64, `logSumExp[${i}]`);
    });
  }

  for (const c of m.cases.filter((x) => x.fn === 'ce')) {
    const z = fixture(c.files.logits);
    const target = fixture(c.files.target);
    const weight = c.files.weight ? fixture(c.files.weight) : undefined;
    const rowLen = z.data.length / Math.max(z.shape[0], 1);
    for (const [red, rr] of Object.entries(c.results)) {
      const r = rr as Record<string, JNum | JNum[] | string>;
      const reduction = red as Reduction;
      const opts = { weight, ignoreIndex: c.options!.ignoreIndex, labelSmoothing: c.options!.labelSmoothing, reduction };
      const engines: Array<'js' | 'auto'> = c.dtype === 'f4' ? ['js', 'auto'] : ['js'];
      for (const engine of engines) {
        it(`cross-entropy ${c.name} (${c.dtype}, ${red}, ${engine})`, () => {
          const fast = engine === 'auto';
          const rtol = fast ? RTOL_F32 : RTOL_F64;
          const atol = fast ? 1e-12 : ATOL_F64;
          const res = softmaxCrossEntropy(z, target, { ...opts, engine });
          if (fast && c.options!.labelSmoothing === 0 && target.shape.length === 1) assert.equal(res.engine, 'wasm');
          const loss = reduction === 'none' ? fixture(r.loss as string) : null;
          const checkLoss = (got: number | Float64Array, tag: string): void => {
            if (loss) {
              assert.ok(got instanceof Float64Array, 'none → Float64Array');
              assert.equal(got.length, loss.data.length);
              for (let i = 0; i < loss.data.length; i++) close(got[i], loss.data[i], rtol, atol, `${tag}[${i}]`);
            } else {
              assert.equal(typeof got, 'number');
              close(got as number, num(r.loss as JNum), rtol, atol, tag);
            }
          };
          checkLoss(res.loss, 'loss');
          checkLoss(crossEntropyLoss(z, target, { ...opts, engine }), 'crossEntropyLoss');
          close(res.gradNorm, num(r.gradNorm as JNum), rtol, atol, 'gradNorm');
          close(res.maxAbsGrad, num(r.maxAbsGrad as JNum), rtol, atol, 'maxAbsGrad');
          const ps = (r.perSampleGradNorm as JNum[]).map(num);
          assert.equal(res.perSampleGradNorm.length, ps.length);
          ps.forEach((v, i) => close(res.perSampleGradNorm[i], v, rtol, atol, `perSampleGradNorm[${i}]`));
          if (!fast && r.grad) {
            const g = crossEntropyGrad(z, target, opts);
            assert.deepEqual(g.gradShape, [...z.shape]);
            // p_y − 1 is computed by torch as exp(logp_y) − 1: ±ulp(1) × scale absolute, whatever its size.
            let wmax = 1;
            if (weight) for (const v of weight.data) wmax = Math.max(wmax, Math.abs(v));
            const gscale = (reduction === 'mean' ? 1 / g.totalWeight : 1) * wmax;
            closeRows(g.grad, fixture(r.grad as string).data, rowLen, RTOL_F64, ATOL_F64, 'grad', 4.5e-16 * gscale);
            close(g.gradNorm, num(r.gradNorm as JNum), RTOL_F64, ATOL_F64, 'grad: gradNorm');
          }
        });
      }
    }
  }

  for (const c of m.cases.filter((x) => x.fn === 'bce')) {
    const x = fixture(c.files.logits);
    const t = fixture(c.files.target);
    const weight = c.files.weight ? fixture(c.files.weight) : undefined;
    const posWeight = c.files.posWeight ? fixture(c.files.posWeight) : undefined;
    for (const [red, rr] of Object.entries(c.results)) {
      const r = rr as Record<string, JNum | JNum[] | string>;
      it(`binary cross-entropy with logits ${c.name} (${red})`, () => {
        const res = sigmoidBinaryCrossEntropyGrad(x, t, { weight, posWeight, reduction: red as Reduction });
        if (red === 'none') {
          const ref = fixture(r.loss as string).data;
          const got = res.loss as Float64Array;
          for (let i = 0; i < ref.length; i++) close(got[i], ref[i], RTOL_F64, ATOL_F64, `loss[${i}]`);
        } else {
          close(res.loss as number, num(r.loss as JNum), RTOL_F64, ATOL_F64, 'loss');
        }
        close(res.gradNorm, num(r.gradNorm as JNum), RTOL_F64, ATOL_F64, 'gradNorm');
        closeRows(res.grad, fixture(r.grad as string).data, x.shape[x.shape.length - 1], RTOL_F64, ATOL_F64, 'grad');
      });
    }
  }
});
