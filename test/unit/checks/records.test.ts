import { strict as assert } from 'node:assert';
import { checkRun, recompute } from '../../../src/core/checks/index';
import { softmaxCrossEntropy } from '../../../src/core/crossEntropy';
import { softmax } from '../../../src/core/softmax';
import type { LogitRecord, NDArray } from '../../../src/core/model';
import { FakeRun, codes, nd, rng } from './fake';

const Z = [
  [2.0, -1.0, 0.5, 0.1],
  [-0.3, 1.2, 0.4, -2.0],
  [0.0, 0.2, 3.1, -0.5],
  [1.5, 1.4, -0.7, 0.3],
  [-1.1, 0.9, 0.8, 2.2],
  [0.6, -0.4, -0.2, 0.1],
];
const Y = [0, 1, 2, 0, 3, 2];

function oneHot(y: number[], c: number): number[][] {
  return y.map((k) => Array.from({ length: c }, (_, j) => (j === k ? 1 : 0)));
}

function check(rec: Omit<LogitRecord, 'provenance' | 'split'>): ReturnType<typeof checkRun> {
  const run = new FakeRun();
  run.record(rec);
  return checkRun(run);
}

function ce(logits: NDArray, labels: NDArray, o: Parameters<typeof softmaxCrossEntropy>[2] = {}): number {
  return softmaxCrossEntropy(logits, labels, o).loss as number;
}

describe('checks: label format', () => {
  it('healthy index and probability targets: nothing', () => {
    const loss = ce(nd(Z), nd(Y, 'i8'));
    assert.deepEqual(check({ step: 1, logits: nd(Z), labels: nd(Y, 'i8'), lossFn: 'cross_entropy', loggedLoss: loss }), []);
    const soft = oneHot(Y, 4).map((r) => r.map((v) => v * 0.9 + 0.025));
    assert.deepEqual(check({ step: 1, logits: nd(Z), labels: nd(soft), loggedLoss: ce(nd(Z), nd(soft)) }), []);
    assert.deepEqual(check({ step: 1, logits: nd(Z), labels: nd(oneHot(Y, 4), 'f4'), lossFn: 'categorical_crossentropy' }), []);
    assert.deepEqual(
      check({
        step: 1,
        logits: nd(Z),
        labels: nd(
          Y.map((y) => [y]),
          'i8',
        ),
        lossFn: 'sparse_categorical_crossentropy',
      }),
      [],
    );
  });

  it('label-out-of-range: index ≥ C or < 0 (not ignore_index)', () => {
    const fs = check({ step: 5, logits: nd(Z), labels: nd([0, 1, 4, 0, 3, 2], 'i8') });
    assert.deepEqual(codes(fs), ['label-out-of-range']);
    assert.equal(fs[0]!.severity, 'error');
    assert.equal(fs[0]!.line, 1);
    assert.match(fs[0]!.message, /label 4 is outside 0…3 \(C = 4/);
    assert.deepEqual(codes(check({ step: 5, logits: nd(Z), labels: nd([0, -1, 1, 0, 3, 2], 'i8') })), ['label-out-of-range']);
    assert.deepEqual(check({ step: 5, logits: nd(Z), labels: nd([0, -100, 1, 0, 3, 2], 'i8') }), []);
    assert.deepEqual(check({ step: 5, logits: nd(Z), labels: nd([0, 7, 1, 0, 3, 2], 'i8'), ignoreIndex: 7 }), []);
  });

  it('label-one-based: labels 1..C (label C present, no 0)', () => {
    const fs = check({ step: 0, logits: nd(Z), labels: nd([1, 2, 4, 3, 4, 1], 'i8') });
    assert.deepEqual(codes(fs), ['label-one-based']);
    assert.match(fs[0]!.message, /labels run 1…4 with no 0/);
    // … or 1..C-1 over many labels with C+1 outputs ("fixed" with one more output)
    const run = new FakeRun();
    const r = rng(3);
    const z5 = Array.from({ length: 8 }, () => Array.from({ length: 5 }, () => r.normal()));
    for (let k = 0; k < 6; k++)
      run.record({
        step: k,
        logits: nd(z5),
        labels: nd(
          Array.from({ length: 8 }, (_, i) => 1 + ((i + k) % 4)),
          'i8',
        ),
      });
    assert.deepEqual(codes(checkRun(run)), ['label-one-based']);
    // few labels without a 0: not enough evidence
    assert.deepEqual(check({ step: 0, logits: nd(Z), labels: nd([1, 2, 3, 3, 1, 2], 'i8') }), []);
  });

  it('label-not-integer', () => {
    const fs = check({ step: 0, logits: nd(Z), labels: nd([0, 1.5, 2, 0, 3, 2]) });
    assert.deepEqual(codes(fs), ['label-not-integer']);
    assert.match(fs[0]!.message, /1 of 6 class-index labels are not integers \(e\.g\. 1\.5\)/);
  });

  it('label-one-hot-vs-index: one-hot rows under an index loss, class ids under a probability loss', () => {
    assert.deepEqual(codes(check({ step: 0, logits: nd(Z), labels: nd(oneHot(Y, 4), 'i8'), lossFn: 'nll' })), ['label-one-hot-vs-index']);
    assert.deepEqual(codes(check({ step: 0, logits: nd(Z), labels: nd(oneHot(Y, 4)), lossFn: 'sparse_categorical_crossentropy' })), [
      'label-one-hot-vs-index',
    ]);
    const fs = check({
      step: 0,
      logits: nd(Z),
      labels: nd(
        Y.map((y) => [y]),
        'i8',
      ),
      lossFn: 'categorical_crossentropy',
    });
    assert.deepEqual(codes(fs), ['label-one-hot-vs-index']);
    assert.match(fs[0]!.message, /hold class ids but categorical_crossentropy expects one-hot/);
    // one-hot rows are valid probability targets for PyTorch cross_entropy (JSON logs lose the dtype)
    assert.deepEqual(check({ step: 0, logits: nd(Z), labels: nd(oneHot(Y, 4), 'i8'), lossFn: 'cross_entropy' }), []);
  });

  it('label-multi-hot (warning) and label-soft-not-normalized', () => {
    const multi = oneHot(Y, 4);
    multi[0]![2] = 1;
    const fs = check({ step: 0, logits: nd(Z), labels: nd(multi) });
    assert.deepEqual(codes(fs), ['label-multi-hot']);
    assert.equal(fs[0]!.severity, 'warning');
    assert.deepEqual(check({ step: 0, logits: nd(Z), labels: nd(multi), lossFn: 'bce_with_logits' }), []);
    const soft = oneHot(Y, 4).map((r) => r.map((v) => v * 0.5 + 0.2));
    const g = check({ step: 0, logits: nd(Z), labels: nd(soft) });
    assert.deepEqual(codes(g), ['label-soft-not-normalized']);
    assert.match(g[0]!.message, /rows sum to 1\.3/);
    const neg = oneHot(Y, 4).map((r) => r.map((v) => v * 1.2 - 0.05));
    assert.deepEqual(codes(check({ step: 0, logits: nd(Z), labels: nd(neg) })), ['label-soft-not-normalized']);
  });

  it('label-shape-mismatch: N or C differs', () => {
    const a = check({ step: 0, logits: nd(Z), labels: nd([0, 1, 2], 'i8') });
    assert.deepEqual(codes(a), ['label-shape-mismatch']);
    assert.match(a[0]!.message, /have 3 rows but the logits \[6, 4\] have 6/);
    const b = check({ step: 0, logits: nd(Z), labels: nd(oneHot(Y, 5)) });
    assert.deepEqual(codes(b), ['label-shape-mismatch']);
    assert.match(b[0]!.message, /have 5 classes but the logits \[6, 4\] have 4/);
  });

  it('single-class-logits under softmax cross-entropy, not under BCE', () => {
    const z1 = Z.map((r) => [r[0]!]);
    assert.deepEqual(codes(check({ step: 0, logits: nd(z1), labels: nd([0, 0, 0, 0, 0, 0], 'i8') })), ['single-class-logits']);
    assert.deepEqual(check({ step: 0, logits: nd(z1), labels: nd([0, 1, 1, 0, 1, 0]), lossFn: 'bce_with_logits' }), []);
  });

  it('probabilities-as-logits (warning): every row in [0,1] summing to 1; quiet for Keras losses on probabilities', () => {
    const p = softmax(nd(Z));
    const fs = check({ step: 0, logits: p, labels: nd(Y, 'i8'), lossFn: 'cross_entropy', loggedLoss: ce(p, nd(Y, 'i8')) });
    assert.deepEqual(codes(fs), ['probabilities-as-logits']);
    assert.equal(fs[0]!.severity, 'warning');
    const nll = check({ step: 0, logits: p, labels: nd(Y, 'i8'), lossFn: 'nll' });
    assert.match(nll[0]!.message, /NLLLoss expects log-probabilities/);
    // Keras categorical_crossentropy (from_logits=False) takes probabilities: expected, and recomputed as such
    const kerasLoss = -Y.reduce((s, y, i) => s + Math.log(p.data[i * 4 + y]!), 0) / Y.length;
    assert.deepEqual(
      check({ step: 0, logits: p, labels: nd(oneHot(Y, 4)), lossFn: 'categorical_crossentropy', loggedLoss: kerasLoss }),
      [],
    );
    assert.deepEqual(check({ step: 0, logits: nd(Z), labels: nd(Y, 'i8') }), []);
  });

  it('non-finite-logits and unreadable batches, summarised across batches', () => {
    const run = new FakeRun();
    const bad = Z.map((r) => [...r]);
    bad[2]![1] = NaN;
    run.record({ step: 0, logits: nd(Z), labels: nd(Y, 'i8') });
    run.record({ step: 1, logits: nd(bad), labels: nd(Y, 'i8'), loggedLoss: NaN });
    run.record({ step: 2, logits: nd(bad), labels: nd(Y, 'i8') });
    run.record({ step: 3, logits: nd(Z), labels: nd(Y, 'i8'), error: 'batches/x.npy: no such file' });
    const fs = checkRun(run);
    assert.deepEqual(codes(fs), ['logits-unreadable', 'non-finite-logits']);
    const nf = fs.find((f) => f.code === 'non-finite-logits')!;
    assert.equal(nf.line, 2);
    assert.match(nf.message, /1 of 24 logits are NaN\/inf, first at step 1 \(line 2\); in 2 of 4 logged batches/);
  });

  it('malformed arrays do not crash the checker', () => {
    const fs = check({ step: 0, logits: { dtype: 'f8', shape: [3, 4], data: new Float64Array(5) }, labels: nd(Y, 'i8') });
    assert.deepEqual(codes(fs), ['label-shape-mismatch']);
    assert.deepEqual(codes(check({ step: 0, logits: { dtype: 'f8', shape: [], data: new Float64Array(1) }, labels: nd(Y, 'i8') })), [
      'label-shape-mismatch',
    ]);
  });
});

describe('checks: recompute, loss-mismatch, unstable-loss', () => {
  const z = nd(Z);
  const y = nd(Y, 'i8');

  it('recompute() uses the core with the declared options', () => {
    const r = recompute({
      provenance: { file: 'f' },
      step: 0,
      split: 'train',
      logits: z,
      labels: y,
      labelSmoothing: 0.1,
      reduction: 'sum',
    })!;
    const ref = softmaxCrossEntropy(z, y, { labelSmoothing: 0.1, reduction: 'sum' });
    assert.equal(r.loss, ref.loss);
    assert.equal(r.gradNorm, ref.gradNorm);
    assert.equal(
      recompute({ provenance: { file: 'f' }, step: 0, split: 'train', logits: z, labels: nd([9, 0, 0, 0, 0, 0], 'i8') }),
      undefined,
    );
    // [N, 1] class-id column
    assert.equal(
      recompute({
        provenance: { file: 'f' },
        step: 0,
        split: 'train',
        logits: z,
        labels: nd(
          Y.map((v) => [v]),
          'i8',
        ),
      })!.loss,
      ce(z, y),
    );
  });

  it('logged = recomputed within tolerance: quiet; the tolerance is configurable', () => {
    const l = ce(z, y);
    assert.deepEqual(check({ step: 0, logits: z, labels: y, loggedLoss: l * (1 + 5e-4) }), []);
    const run = new FakeRun();
    run.record({ step: 0, logits: z, labels: y, loggedLoss: l * (1 + 5e-4) });
    assert.deepEqual(codes(checkRun(run, { lossMismatch: { rtol: 1e-5, atol: 0 } })), ['loss-mismatch']);
  });

  const cases: Array<[string, () => number, Partial<LogitRecord>, RegExp]> = [
    ['softmax applied twice', () => ce(softmax(z), y), {}, /softmax is applied twice/],
    ['sum instead of mean', () => ce(z, y, { reduction: 'sum' }), {}, /reduction='sum'/],
    ['mean instead of declared sum', () => ce(z, y), { reduction: 'sum' }, /reduction='mean'/],
    ['label smoothing', () => ce(z, y, { labelSmoothing: 0.1 }), {}, /label smoothing ε ≈ 0\.1 \(declared 0\)/],
    ['label smoothing declared but not applied', () => ce(z, y), { labelSmoothing: 0.2 }, /label smoothing ε ≈ 0 \(declared 0\.2\)/],
    ['class weights not applied', () => ce(z, y), { weight: nd([1, 2, 3, 4]) }, /declared class weights are not applied/],
    [
      'weighted plain mean',
      () => (ce(z, y, { weight: nd([1, 2, 3, 4]), reduction: 'sum' }) as number) / 6,
      { weight: nd([1, 2, 3, 4]) },
      /divided by the batch size N = 6/,
    ],
    ['nll on raw logits', () => -Y.reduce((s, c, i) => s + Z[i]![c]!, 0) / 6, { lossFn: 'nll' }, /nll_loss on raw logits/],
  ];
  for (const [name, logged, extra, re] of cases) {
    it(`loss-mismatch names the cause: ${name}`, () => {
      const fs = check({ step: 3, logits: z, labels: y, loggedLoss: logged(), ...extra });
      assert.deepEqual(codes(fs), ['loss-mismatch'], JSON.stringify(fs));
      assert.equal(fs[0]!.severity, 'warning');
      assert.match(fs[0]!.message, re);
      assert.match(fs[0]!.message, /at step 3 \(line 1\)/);
    });
  }

  it('loss-mismatch without a known cause says so', () => {
    const fs = check({ step: 0, logits: z, labels: y, loggedLoss: ce(z, y) * 1.37 });
    assert.deepEqual(codes(fs), ['loss-mismatch']);
    assert.match(fs[0]!.message, /No known cause/);
  });

  it('unstable-loss: logged non-finite or orders of magnitude off while the stable recomputation is finite', () => {
    const big = nd(Z.map((r) => r.map((v) => v * 200)));
    const fs = check({ step: 0, logits: big, labels: y, loggedLoss: Infinity });
    assert.deepEqual(codes(fs), ['unstable-loss']);
    assert.equal(fs[0]!.severity, 'error');
    assert.match(fs[0]!.message, /log_softmax or a fused cross-entropy/);
    assert.deepEqual(codes(check({ step: 0, logits: big, labels: y, loggedLoss: ce(big, y) * 1000 + 5 })), ['unstable-loss']);
    // NaN logits: no recomputation, so no unstable-loss (non-finite-logits instead)
    const nan = nd(Z.map((r) => r.map(() => NaN)));
    assert.deepEqual(codes(check({ step: 0, logits: nan, labels: y, loggedLoss: NaN })), ['non-finite-logits']);
  });

  it('counts batches and picks the most frequent cause', () => {
    const run = new FakeRun();
    for (let k = 0; k < 4; k++) run.record({ step: k, logits: z, labels: y, loggedLoss: ce(softmax(z), y) });
    run.record({ step: 9, logits: z, labels: y, loggedLoss: ce(z, y) });
    const fs = checkRun(run);
    assert.deepEqual(codes(fs), ['loss-mismatch']);
    assert.match(fs[0]!.message, /in 4 of 5 checked batches/);
    assert.match(fs[0]!.message, /softmax is applied twice/);
  });
});
