// Noise-aware, sign-safe training-divergence; pairing of train/val losses by quantity; the trainer's
// best checkpoint in the overfitting message (synthetic runs; real logs: real.test.ts).
import { strict as assert } from 'node:assert';
import { checkRun, RunChecker } from '../../../src/core/checks/index';
import { mannKendallZ } from '../../../src/core/checks/divergence';
import { DEFAULTS } from '../../../src/core/checks/options';
import { SpikeDetector } from '../../../src/core/checks/spikes';
import type { RunView } from '../../../src/core/model';
import { FakeRun, codes, rng } from './fake';

/** A regression loss on a plateau near 4.5e-6: slowly wandering level (AR(1)), multiplicative noise, no trend. */
function plateau(n: number, seed: number): number[] {
  const r = rng(seed);
  let a = 0;
  const out: number[] = [];
  for (let t = 0; t < n; t++) {
    a = 0.97 * a + Math.sqrt(1 - 0.97 * 0.97) * r.normal();
    out.push(4.5e-6 * Math.exp(0.2 * a + 0.4 * r.normal()));
  }
  return out;
}

function rollingMedianRange(v: readonly number[], w: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = w; i <= v.length; i++) {
    const s = v.slice(i - w, i).sort((x, y) => x - y);
    const m = (s[w / 2 - 1]! + s[w / 2]!) / 2;
    lo = Math.min(lo, m);
    hi = Math.max(hi, m);
  }
  return [lo, hi];
}

describe('checks: noise-aware training-divergence', () => {
  it('Mann–Kendall z: positive for a rising series, negative for a falling one, ~0 for noise', () => {
    const up = Array.from({ length: 40 }, (_, i) => i + Math.sin(i * 7));
    assert.ok(mannKendallZ(up) > 5);
    assert.ok(mannKendallZ(up.map((x) => -x)) < -5);
    const r = rng(3);
    let big = 0;
    for (let k = 0; k < 200; k++) if (Math.abs(mannKendallZ(Array.from({ length: 40 }, () => r.normal()))) > 2.58) big++;
    assert.ok(big <= 6, `${big}/200 false trends at 1%`);
  });

  it('is quiet on a noisy plateau whose rolling median wanders without a trend (regression loss ~3e-6)', () => {
    let wide = 0;
    for (let seed = 0; seed < 20; seed++) {
      const v = plateau(1500, seed);
      const [lo, hi] = rollingMedianRange(v, 20);
      if (hi / lo > 1.8) wide++;
      const run = new FakeRun();
      run.points(run.add('train_loss', 'train_loss'), v);
      const fs = checkRun(run).filter((f) => f.code === 'training-divergence');
      assert.deepEqual(
        fs.map((f) => f.message),
        [],
        `seed ${seed}`,
      );
    }
    assert.ok(wide >= 15, `the plateaus wander (rolling-median max/min > 1.8 in ${wide}/20 runs)`);
  });

  it('still fires when such a plateau starts to climb', () => {
    const v = plateau(1500, 1);
    for (let t = 1000; t < 1500; t++) v[t] = v[t]! * Math.exp((t - 1000) / 80);
    const run = new FakeRun();
    run.points(run.add('train_loss', 'train_loss'), v);
    const f = checkRun(run).find((x) => x.code === 'training-divergence');
    assert.ok(f, 'divergence found');
    assert.ok(f.step! > 1000 && f.step! < 1300, `anchor ${f.step}`);
  });

  it('is sign-safe: a negative loss (NLL / ELBO) on a noisy plateau is quiet, a rising one fires without ratios', () => {
    const r = rng(11);
    const flat: number[] = [];
    for (let t = 0; t < 1200; t++) flat.push(-10.7 + 9.7 * Math.exp(-t / 100) + 0.3 * r.normal());
    const quiet = new FakeRun();
    quiet.points(quiet.add('train/nll_loss', 'train_loss'), flat);
    assert.deepEqual(codes(checkRun(quiet)), []);

    const rising = flat.slice(0, 800);
    for (let t = 0; t < 300; t++) rising.push(-10.7 + (7 * t) / 300 + 0.3 * r.normal());
    const run = new FakeRun();
    run.points(run.add('train/nll_loss', 'train_loss'), rising);
    const f = checkRun(run).find((x) => x.code === 'training-divergence');
    assert.ok(f, 'divergence found');
    assert.ok(f.step! > 800 && f.step! < 1000, `anchor ${f.step}`);
    assert.doesNotMatch(f.message, /×\s*its best/, 'no ratio to a negative best');
    assert.match(f.message, /above its best level, [0-9.]+× its noise σ/);
  });

  it('is quiet on a loss that crosses zero and keeps falling (GAN-style, around 0)', () => {
    const r = rng(12);
    const v = Array.from({ length: 1000 }, (_, t) => 1 - t / 500 + 0.2 * r.normal());
    const run = new FakeRun();
    run.points(run.add('loss', 'train_loss'), v);
    assert.deepEqual(codes(checkRun(run)), []);
  });
});

describe('checks: train/val pairing by quantity', () => {
  /** A detection run: box loss overfits, class loss is healthy; `total` adds total train/val losses. */
  function detection(total: boolean, alsoCls = false): FakeRun {
    const run = new FakeRun();
    const tb = run.add('train/box_loss', 'train_loss');
    const tc = run.add('train/cls_loss', 'train_loss');
    const vb = run.add('val/box_loss', 'val_loss');
    const vc = run.add('val/cls_loss', 'val_loss');
    const t = total ? run.add('train/loss', 'train_loss') : undefined;
    const v = total ? run.add('val/loss', 'val_loss') : undefined;
    const val = [1.0, 0.8, 0.7, 0.65, 0.7, 0.78, 0.85, 0.95];
    val.forEach((x, e) => {
      run.point(tb, e * 10, 1.2 - e * 0.1);
      run.point(tc, e * 10, 3 - e * 0.2);
      if (t) run.point(t, e * 10, 4.2 - e * 0.3);
      run.point(vb, e * 10 + 9, x);
      run.point(vc, e * 10 + 9, alsoCls ? 2 * x : 3 - e * 0.15);
      if (v) run.point(v, e * 10 + 9, x + (alsoCls ? 2 * x : 3 - e * 0.15));
    });
    return run;
  }

  it('pairs val/box_loss with train/box_loss (components only, no total logged)', () => {
    const fs = checkRun(detection(false)).filter((f) => f.code === 'overfitting');
    assert.equal(fs.length, 1);
    assert.equal(fs[0]!.seriesKey, 'val/box_loss');
    assert.match(fs[0]!.message, /training loss 'train\/box_loss' kept falling/);
  });

  it('reports one overfitting event once when several components overfit', () => {
    const fs = checkRun(detection(false, true)).filter((f) => f.code === 'overfitting');
    assert.equal(fs.length, 1);
    assert.match(fs[0]!.message, /Other component losses overfitting too: 'val\/(cls|box)_loss'/);
    assert.equal(fs[0]!.related?.length, 2);
  });

  it('checks the total when a total pair is logged, not the components', () => {
    const fs = checkRun(detection(true, true)).filter((f) => f.code === 'overfitting');
    assert.deepEqual(
      fs.map((f) => f.seriesKey),
      ['val/loss'],
    );
    assert.match(fs[0]!.message, /training loss 'train\/loss' kept falling/);
  });

  it('watches the total training loss for divergence and spikes, not its components', () => {
    const run = new FakeRun();
    const total = run.add('total_loss', 'train_loss');
    const part = run.add('loss_cls', 'train_loss');
    const r = rng(2);
    for (let t = 0; t < 400; t++) {
      const x = (0.2 + 2 * Math.exp(-t / 80)) * Math.exp(0.05 * r.normal()) * (t === 300 ? 30 : 1);
      run.point(total, t, x);
      run.point(part, t, x / 2);
    }
    assert.deepEqual(
      checkRun(run).map((f) => [f.code, f.seriesKey]),
      [['loss-spike', 'total_loss']],
    );
    // without a total, each component is watched
    const solo = new FakeRun();
    const p = solo.add('loss_cls', 'train_loss');
    for (let t = 0; t < 400; t++) solo.point(p, t, part.value(t));
    assert.deepEqual(
      checkRun(solo).map((f) => [f.code, f.seriesKey]),
      [['loss-spike', 'loss_cls']],
    );
  });
});

describe('checks: the checkpoint the trainer kept', () => {
  function hfRun(meta: Record<string, number | string>): FakeRun & { meta: Record<string, number | string> } {
    const run = new FakeRun('/runs/a/trainer_state.json') as FakeRun & { meta: Record<string, number | string> };
    run.meta = meta;
    const tr = run.add('loss', 'train_loss');
    const va = run.add('eval_loss', 'val_loss');
    const f1 = run.add('eval_f1', 'other', 'val');
    const val = [1.0, 0.8, 0.7, 0.65, 0.7, 0.78, 0.85, 0.95];
    const f = [0.5, 0.6, 0.65, 0.7, 0.74, 0.73, 0.72, 0.71];
    val.forEach((v, e) => {
      run.points(tr, [1.2 - e * 0.1, 1.15 - e * 0.1], e * 10, 5);
      run.point(va, e * 10 + 9, v);
      run.point(f1, e * 10 + 9, f[e]!);
    });
    return run;
  }

  it('names the checkpoint and the metric it was chosen by; the loss-based best is a second opinion', () => {
    const run = hfRun({ best_metric: 0.74, best_model_checkpoint: './out/checkpoint-49', best_global_step: 49 });
    const f = checkRun(run as RunView).find((x) => x.code === 'overfitting')!;
    assert.match(f.message, /The trainer kept checkpoint-49 \(best_model_checkpoint\), chosen by 'eval_f1' = 0\.74 at step 49/);
    assert.match(f.message, /second opinion, the lowest validation loss is at step 39/);
    assert.equal(f.related?.length, 2);
  });

  it('finds the metric from the checkpoint name when best_global_step is absent; says when it cannot name it', () => {
    const a = checkRun(hfRun({ best_metric: 0.65, best_model_checkpoint: 'out/checkpoint-39' }) as RunView).find(
      (x) => x.code === 'overfitting',
    )!;
    assert.match(a.message, /chosen by 'eval_loss' = 0\.65 at step 39 .*the lowest validation loss is at the same step/);
    const b = checkRun(hfRun({ best_metric: 0.123, best_model_checkpoint: 'out/checkpoint-39' }) as RunView).find(
      (x) => x.code === 'overfitting',
    )!;
    assert.match(b.message, /by a metric of 0\.123 \(best_metric; not found among the logged evaluation series\)/);
  });

  it('ignores prototype keys and non-numeric best_metric values', () => {
    const meta = Object.create(null) as Record<string, number | string>;
    meta['best_metric'] = 'nan';
    const f = checkRun(hfRun(meta) as RunView).find((x) => x.code === 'overfitting')!;
    assert.match(f.message, /keep the checkpoint from step 39/);
    const proto = hfRun({});
    Object.setPrototypeOf(proto.meta, { best_metric: 0.74 });
    assert.match(checkRun(proto as RunView).find((x) => x.code === 'overfitting')!.message, /keep the checkpoint from step 39/);
  });
});

describe('checks: spike summaries stay bounded', () => {
  it('10 000 spikes in a million points: one finding, exact count, bounded memory and related list', () => {
    const run = new FakeRun();
    const s = run.add('loss', 'train_loss');
    const r = rng(21);
    for (let t = 0; t < 1_000_000; t++) run.point(s, t, (t % 100 === 50 ? 50 : 1) * Math.exp(0.05 * r.normal()));
    const checker = new RunChecker();
    const fs = checker.update(run).filter((f) => f.code === 'loss-spike');
    assert.equal(fs.length, 1);
    assert.match(fs[0]!.message, /spiked 10000 times \(10000 points;/);
    assert.match(fs[0]!.message, /First: [0-9.]+ at step 50 \(line 51\)/);
    assert.equal(fs[0]!.related?.length, 20);
    assert.match(fs[0]!.message, /9979 smaller spikes not listed/);
    const det = new SpikeDetector(DEFAULTS.spike, 'loss-spike');
    det.scan(s);
    assert.equal(det.count, 10000);
    assert.ok(det.episodes.length <= 2000, `${det.episodes.length} episodes kept`);
  });
});
