import assert from 'node:assert/strict';
import { checkRun, recompute } from '../../../src/core/checks';
import { FakeRun, codes, nd } from './fake';

// binary_cross_entropy_with_logits by hand: max(x, 0) − x·t + log1p(exp(−|x|)), mean over elements
function bce(x: number[][], t: number[][]): number {
  let s = 0;
  let n = 0;
  x.forEach((row, i) =>
    row.forEach((v, j) => {
      s += Math.max(v, 0) - v * t[i]![j]! + Math.log1p(Math.exp(-Math.abs(v)));
      n++;
    }),
  );
  return s / n;
}

const X = [
  [2.0, -1.0, 0.5],
  [-3.0, 4.0, 0.0],
];
const T = [
  [1, 0, 1],
  [0, 1, 1],
];

describe('checks: bce_with_logits records', () => {
  it('recomputes sigmoid + BCE (mean) for bce_with_logits', () => {
    const run = new FakeRun();
    const r = run.record({ step: 1, logits: nd(X), labels: nd(T), lossFn: 'bce_with_logits' });
    const out = recompute(r)!;
    assert.ok(out, 'recomputed');
    assert.ok(Math.abs(out.loss - bce(X, T)) < 1e-12, `${out.loss} vs ${bce(X, T)}`);
    assert.ok(out.gradNorm > 0);
  });

  it('is silent when the logged BCE matches, and flags loss-mismatch when it does not', () => {
    const ok = new FakeRun('/runs/ok.jsonl');
    ok.record({ step: 1, logits: nd(X), labels: nd(T), lossFn: 'bce_with_logits', loggedLoss: bce(X, T) });
    assert.deepEqual(
      codes(checkRun(ok)).filter((c) => c === 'loss-mismatch' || c === 'label-multi-hot'),
      [],
    );
    const bad = new FakeRun('/runs/bad.jsonl');
    bad.record({ step: 1, logits: nd(X), labels: nd(T), lossFn: 'bce_with_logits', loggedLoss: bce(X, T) * 3 });
    assert.ok(codes(checkRun(bad)).includes('loss-mismatch'));
  });
});
