import { strict as assert } from 'node:assert';
import { checkRun, RunChecker, CHECKS } from '../../../src/core/checks/index';
import { FakeRun, codes, rng } from './fake';

function healthyLoss(n: number, seed: number, noise = 0.1): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, t) => (0.2 + 2 * Math.exp(-t / (n / 5))) * Math.exp(noise * r.normal()));
}

describe('checks: non-finite series', () => {
  it('reports the first NaN of a loss at its line, summarises later ones, relates the last finite point', () => {
    const run = new FakeRun();
    const loss = run.add('train/loss', 'train_loss');
    run.points(loss, [2.3, 2.1, 1.9, NaN, 1.5, Infinity, NaN]);
    const fs = checkRun(run).filter((f) => f.code === 'non-finite-loss');
    assert.equal(fs.length, 1);
    const f = fs[0]!;
    assert.equal(f.severity, 'error');
    assert.equal(f.line, 4);
    assert.equal(f.step, 3);
    assert.match(f.message, /became NaN at step 3 \(line 4\)/);
    assert.match(f.message, /last finite value was 1\.9 at step 2/);
    assert.match(f.message, /2 later points are also non-finite, the last at step 6 \(line 7\)/);
    assert.deepEqual(f.related?.[0], { file: run.file, line: 3, message: 'last finite value: 1.9' });
  });

  it('relates the gradient-norm spike before the NaN', () => {
    const run = new FakeRun();
    const loss = run.add('loss', 'train_loss');
    const gn = run.add('grad_norm', 'grad_norm');
    const r = rng(1);
    for (let t = 0; t < 60; t++) {
      run.point(loss, t, 1 + 0.01 * r.normal());
      run.point(gn, t, t === 57 ? 500 : 1 + 0.05 * r.normal());
    }
    run.point(loss, 60, NaN);
    const fs = checkRun(run);
    const f = fs.find((x) => x.code === 'non-finite-loss')!;
    assert.match(f.message, /gradient norm spiked to 500/);
    assert.equal(f.related?.length, 2);
    assert.equal(f.related?.[1]?.line, gn.provenance(57).line);
    assert.ok(fs.some((x) => x.code === 'grad-norm-spike' && x.severity === 'information'));
  });

  it('reports a non-finite gradient norm and treats a -inf loss the same way', () => {
    const run = new FakeRun();
    run.points(run.add('grad_norm', 'grad_norm'), [1, 2, Infinity]);
    run.points(run.add('val_loss', 'val_loss'), [1, -Infinity]);
    assert.deepEqual(codes(checkRun(run)), ['non-finite-grad-norm', 'non-finite-loss']);
  });

  it('stays quiet on finite series and ignores derived recomputed/ series', () => {
    const run = new FakeRun();
    run.points(run.add('train/loss', 'train_loss'), healthyLoss(300, 2));
    run.points(run.add('recomputed/loss', 'train_loss'), [1, NaN]);
    assert.deepEqual(checkRun(run), []);
  });
});

describe('checks: spikes', () => {
  it('flags an upward outlier of the loss (information) and not the healthy noise around it', () => {
    const run = new FakeRun();
    const s = run.add('loss', 'train_loss');
    const v = healthyLoss(400, 3);
    v[300] = v[300]! * 20;
    run.points(s, v);
    const fs = checkRun(run);
    assert.deepEqual(codes(fs), ['loss-spike']);
    assert.equal(fs[0]!.severity, 'information');
    assert.equal(fs[0]!.step, 300);
    assert.match(fs[0]!.message, /robust z-score/);
  });

  it('is quiet on noisy healthy runs (seeded, heavy multiplicative noise)', () => {
    for (let seed = 0; seed < 10; seed++) {
      const run = new FakeRun();
      run.points(run.add('loss', 'train_loss'), healthyLoss(2000, seed, 0.3));
      run.points(run.add('grad_norm', 'grad_norm'), healthyLoss(2000, seed + 100, 0.3));
      assert.deepEqual(codes(checkRun(run)), [], `seed ${seed}`);
    }
  });

  it('summarises the spikes of a series in one finding at the largest, the others as related information (bounded)', () => {
    const run = new FakeRun();
    const s = run.add('grad_norm', 'grad_norm');
    const r = rng(4);
    const v: number[] = [];
    for (let t = 0; t < 3000; t++)
      v.push((t % 100 === 99 || t % 100 === 98 ? (t === 1599 ? 5000 : 1000) : 1) * Math.exp(0.05 * r.normal()));
    run.points(s, v);
    const fs = checkRun(run).filter((f) => f.code === 'grad-norm-spike');
    assert.equal(fs.length, 1, 'one finding per series');
    const f = fs[0]!;
    assert.equal(f.step, 1599, 'anchored at the largest spike');
    assert.equal(f.line, s.provenance(1599).line);
    assert.match(f.message, /spiked 30 times \(60 points;/);
    assert.match(f.message, /Largest: 5000|Largest: 4\d\d\d|Largest: 5\d\d\d/);
    assert.match(f.message, /2 consecutive points from step 1598/);
    assert.match(f.message, /First: [0-9.]+ at step 9[89] \(line (99|100)\)/);
    assert.equal(f.related?.length, 20, 'related information is bounded');
    assert.match(f.message, /9 smaller spikes not listed/);
    assert.ok(!f.related!.some((x) => x.line === f.line), 'the anchor is not repeated in related');
  });

  it('judges a squared gradient norm as its square root', () => {
    const run = new FakeRun();
    const s = run.add('grad_norm_square', 'grad_norm');
    const r = rng(8);
    const v = Array.from({ length: 300 }, () => Math.exp(0.05 * r.normal()) ** 2);
    v[200] = 9; // norm 3: a spike of the norm
    run.points(s, v);
    const f = checkRun(run).find((x) => x.code === 'grad-norm-spike');
    assert.ok(f);
    assert.match(f.message, /a squared norm: judged as its square root\) spiked to 3 at step 200/);
  });
});

describe('checks: training-divergence', () => {
  it('fires when the training loss rises persistently, anchored where it started rising', () => {
    const run = new FakeRun();
    const s = run.add('loss', 'train_loss');
    const v = healthyLoss(300, 5, 0.1);
    for (let t = 150; t < 300; t++) v[t] = v[t]! * (1 + (4 * (t - 150)) / 150);
    run.points(s, v);
    const fs = checkRun(run).filter((f) => f.code === 'training-divergence');
    assert.equal(fs.length, 1);
    assert.equal(fs[0]!.severity, 'warning');
    assert.ok(fs[0]!.step! > 150 && fs[0]!.step! < 260, `anchor step ${fs[0]!.step}`);
    assert.match(fs[0]!.message, /has been rising/);
    assert.equal(fs[0]!.related?.length, 1);
  });

  it('fires when the loss explodes', () => {
    const run = new FakeRun();
    run.points(run.add('loss', 'train_loss'), [2.3, 2.2, 2.1, 2, 1.9, 1.9, 1.8, 5, 50, 900, 2e4]);
    const f = checkRun(run).find((x) => x.code === 'training-divergence');
    assert.ok(f);
    assert.match(f.message, /exploding/);
  });

  it('is quiet on noisy healthy runs and when the loss recovers', () => {
    for (let seed = 0; seed < 10; seed++) {
      const run = new FakeRun();
      run.points(run.add('loss', 'train_loss'), healthyLoss(1000, seed, 0.5));
      assert.deepEqual(codes(checkRun(run)), [], `seed ${seed}`);
    }
    const run = new FakeRun();
    const v = healthyLoss(300, 9, 0.05);
    for (let t = 100; t < 140; t++) v[t] = v[t]! * 3; // a bump (e.g. warm restart) …
    run.points(run.add('loss', 'train_loss'), v); // … after which it recovers
    assert.ok(!checkRun(run).some((f) => f.code === 'training-divergence'));
  });
});

describe('checks: overfitting', () => {
  function curves(seed: number, overfit: boolean, sigma: number, evals = 30): FakeRun {
    const r = rng(seed);
    const run = new FakeRun();
    const tr = run.add('train/loss', 'train_loss');
    const va = run.add('val/loss', 'val_loss');
    for (let e = 0; e < evals; e++) {
      for (let k = 0; k < 10; k++) {
        const t = e * 10 + k;
        run.point(tr, t, 0.2 + 2 * Math.exp(-t / (evals * 2.5)) + 0.05 * r.normal());
      }
      const x = e / evals;
      const base = overfit ? 0.5 + 1.5 * Math.exp(-x * 8) + 0.8 * Math.max(0, x - 0.4) : 0.5 + 1.5 * Math.exp(-x * 5);
      run.point(va, e * 10 + 9, base + sigma * r.normal());
    }
    return run;
  }

  it('fires when validation rises for ≥ patience evaluations while training falls', () => {
    const run = new FakeRun();
    const tr = run.add('train/loss', 'train_loss');
    const va = run.add('val/loss', 'val_loss');
    const val = [1.0, 0.8, 0.7, 0.65, 0.7, 0.78, 0.85, 0.95];
    val.forEach((v, e) => {
      run.points(tr, [1.2 - e * 0.1, 1.15 - e * 0.1], e * 10, 5);
      run.point(va, e * 10 + 9, v);
    });
    const fs = checkRun(run);
    assert.deepEqual(codes(fs), ['overfitting']);
    const f = fs[0]!;
    assert.equal(f.severity, 'warning');
    assert.equal(f.step, 49, 'anchored at the first evaluation above best + minDelta');
    assert.equal(f.related?.[0]?.line, va.provenance(3).line, 'related → the best point');
    assert.match(f.message, /best 0\.65 at step 39/);
    assert.match(f.message, /keep the checkpoint from step 39/);
    assert.match(f.message, /not improved for 4 evaluations/);
    // EarlyStopping semantics: patience 5 → not yet; min_delta 0.35 → nothing improved on 1.0 by 0.35, and 0.95 < 1.0 + 0.35
    assert.equal(checkRun(run, { overfitting: { patience: 5, minDelta: 0 } }).length, 0);
    assert.equal(checkRun(run, { overfitting: { patience: 3, minDelta: 0.35 } }).length, 0);
  });

  it('stays quiet when training loss rose too (that is divergence, not overfitting) or is missing', () => {
    const run = new FakeRun();
    const tr = run.add('train/loss', 'train_loss');
    const va = run.add('val/loss', 'val_loss');
    [1.0, 0.8, 0.7, 0.65, 0.7, 0.78, 0.85, 0.95].forEach((v, e) => {
      run.point(tr, e * 10, e < 4 ? 1 - e * 0.1 : 0.6 + e * 0.1);
      run.point(va, e * 10 + 9, v);
    });
    assert.ok(!checkRun(run).some((f) => f.code === 'overfitting'));
    const alone = new FakeRun();
    alone.points(alone.add('val/loss', 'val_loss'), [1.0, 0.8, 0.7, 0.65, 0.7, 0.78, 0.85, 0.95]);
    assert.deepEqual(checkRun(alone), []);
  });

  it('is quiet on healthy runs with noisy validation (seeded) and detects noisy overfitting', () => {
    for (let seed = 0; seed < 40; seed++) {
      for (const sigma of [0.01, 0.03, 0.1]) {
        assert.deepEqual(codes(checkRun(curves(seed, false, sigma))), [], `healthy seed ${seed} σ ${sigma}`);
      }
    }
    let detected = 0;
    for (let seed = 0; seed < 40; seed++) if (checkRun(curves(1000 + seed, true, 0.03)).some((f) => f.code === 'overfitting')) detected++;
    assert.equal(detected, 40);
  });

  it('checks each validation series (eval_*_loss groups)', () => {
    const run = new FakeRun();
    const tr = run.add('loss', 'train_loss');
    const a = run.add('eval_squad_loss', 'val_loss');
    const b = run.add('eval_mnli_loss', 'val_loss');
    [1.0, 0.8, 0.7, 0.65, 0.7, 0.78, 0.85, 0.95].forEach((v, e) => {
      run.point(tr, e * 10, 1 - e * 0.1);
      run.point(a, e * 10 + 9, v);
      run.point(b, e * 10 + 9, 1 - e * 0.05);
    });
    const fs = checkRun(run);
    assert.deepEqual(
      fs.map((f) => f.seriesKey),
      ['eval_squad_loss'],
    );
  });
});

describe('checks: parse errors, severities, incremental updates', () => {
  it('reports parse errors once per file', () => {
    const run = new FakeRun();
    run.errors.push({ file: run.file, count: 3, firstLine: 7, firstMessage: 'Unexpected token } in JSON' });
    const fs = checkRun(run);
    assert.equal(fs.length, 1);
    assert.equal(fs[0]!.code, 'parse-error');
    assert.equal(fs[0]!.line, 7);
    assert.equal(fs[0]!.severity, 'information');
    assert.match(fs[0]!.message, /^3 malformed records skipped .* line 7: Unexpected token/);
  });

  it('applies severities from the options, "off" removes the finding', () => {
    const run = new FakeRun();
    run.points(run.add('loss', 'train_loss'), [1, NaN]);
    assert.equal(checkRun(run, { severities: { 'non-finite-loss': 'hint' } })[0]!.severity, 'hint');
    assert.deepEqual(checkRun(run, { severities: { 'non-finite-loss': 'off' } }), []);
  });

  it('every emitted code is in CHECKS', () => {
    const known = new Set(CHECKS.map((c) => c.code));
    assert.equal(known.size, CHECKS.length);
    for (const c of ['non-finite-loss', 'overfitting', 'loss-spike', 'parse-error', 'label-one-based', 'unstable-loss'])
      assert.ok(known.has(c), c);
  });

  it('an incremental checker gives the same findings as a full check, and starts over on reset', () => {
    const full = new FakeRun();
    const inc = new FakeRun();
    const checker = new RunChecker();
    const fl = full.add('loss', 'train_loss');
    const fv = full.add('val_loss', 'val_loss');
    const il = inc.add('loss', 'train_loss');
    const iv = inc.add('val_loss', 'val_loss');
    const loss = healthyLoss(200, 7);
    loss[120] = loss[120]! * 30;
    loss[180] = NaN;
    const val = [1.0, 0.8, 0.7, 0.65, 0.7, 0.78, 0.85, 0.95, 1.0, 1.1];
    for (let t = 0; t < 200; t++) {
      full.point(fl, t, loss[t]!);
      inc.point(il, t, loss[t]!);
      if (t % 20 === 19) {
        full.point(fv, t, val[(t - 19) / 20]!);
        inc.point(iv, t, val[(t - 19) / 20]!);
      }
      checker.update(inc, { runId: inc.id, reset: false, appended: [], logitRecordsFrom: 0 });
    }
    const a = checker.update(inc);
    assert.deepEqual(codes(a), ['loss-spike', 'non-finite-loss', 'overfitting']);
    assert.deepEqual(a, checkRun(full));
    // Unchanged run → the same array back (nothing re-scanned).
    assert.equal(checker.update(inc), a);
    // Truncation: new generation with fewer points → everything recomputed.
    const fresh = new FakeRun();
    fresh.generation = 1;
    fresh.points(fresh.add('loss', 'train_loss'), [1, 0.9]);
    assert.deepEqual(checker.update(fresh, { runId: fresh.id, reset: true, appended: [], logitRecordsFrom: 0 }), []);
    assert.deepEqual(checker.update(fresh, { runId: fresh.id, reset: false, appended: [], logitRecordsFrom: 0, removed: true }), []);
  });
});

describe('checks: docs/diagnostics.md', () => {
  it('documents every code with its own anchor and default severity', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const md = fs.readFileSync(path.resolve(__dirname, '../../../docs/diagnostics.md'), 'utf8');
    for (const c of CHECKS) {
      assert.ok(md.includes(`<a id="${c.code}"></a>\n## ${c.code}\n`), `anchor for ${c.code}`);
      const sev = c.defaultSeverity[0]!.toUpperCase() + c.defaultSeverity.slice(1);
      assert.ok(md.includes(`| [\`${c.code}\`](#${c.code}) | ${sev} |`), `table row for ${c.code}`);
    }
  });
});
