// The checks on real public logs (test/fixtures/real-checks, provenance in PROVENANCE.md): YOLO component
// losses paired train ↔ val, Hugging Face trainer_state.json best checkpoints, a noisy Lightning regression
// folder. Expected values come from reference.py (pandas/json, independent of LossWatch) → expected.json.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkRun, RunChecker } from '../../../src/core/checks/index';
import { trainerBest } from '../../../src/core/checks/overfitting';
import type { Finding, RunView } from '../../../src/core/model';
import { loadRuns } from '../../../src/ingest/index';
import { FakeRun, rng } from './fake';

const DIR = path.resolve(__dirname, '../../fixtures/real-checks');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const EXPECTED: any = JSON.parse(fs.readFileSync(path.join(DIR, 'expected.json'), 'utf8'));

async function load(rel: string): Promise<RunView[]> {
  const runs = await loadRuns([path.join(DIR, rel)]);
  assert.ok(runs.length > 0, `no runs in ${rel}`);
  return runs;
}
const of = (fs: readonly Finding[], code: string): Finding[] => fs.filter((f) => f.code === code);

/** A copy of a real run's training losses, repeated to `n` points with noise, with a 30× spike in each at n − 20. */
class FakeRunFrom extends FakeRun {
  constructor(real: RunView, n: number) {
    super(real.files[0]!);
    const r = rng(5);
    for (const s of real.series().filter((x) => x.role === 'train_loss')) {
      const f = this.add(s.key, 'train_loss');
      const last = s.value(s.length - 1);
      for (let t = 0; t < n; t++) this.point(f, t, last * Math.exp(0.05 * r.normal()) * (t === n - 20 ? 30 : 1));
    }
  }
}

describe('checks: real logs (YOLO, Hugging Face, Lightning)', () => {
  it('YOLO results.csv: component losses are recognised and paired; overfitting is reported once, on its own component', async () => {
    const [run] = await load('yolo-dental/results.csv');
    const e = EXPECTED['yolo-dental'];
    const losses = run!
      .series()
      .filter((s) => s.role === 'train_loss' || s.role === 'val_loss')
      .map((s) => s.key)
      .sort();
    assert.deepEqual(losses, e.losses);
    const fs = checkRun(run!);
    const over = of(fs, 'overfitting');
    assert.equal(over.length, 1, 'one overfitting event, one diagnostic');
    const f = over[0]!;
    const q = f.seriesKey!.replace('val/', '');
    const ref = e.components[q];
    assert.ok(ref?.earlyStoppingWaiting, `${q}: the reference EarlyStopping is waiting`);
    assert.match(f.message, new RegExp(`while training loss 'train/${q}' kept falling`), 'paired with the same quantity');
    assert.equal(f.related?.[0]?.line, ref.bestLine, 'related → the best validation epoch (reference)');
    assert.match(f.message, new RegExp(`best ${ref.best.toPrecision(4).replace('.', '\\.')} at step ${ref.bestEpoch}`));
  });

  it('YOLO results.csv of a healthy run: six losses recognised, nothing at warning', async () => {
    const [run] = await load('yolo-crater/results.csv');
    assert.deepEqual(
      run!
        .series()
        .filter((s) => s.role === 'train_loss' || s.role === 'val_loss')
        .map((s) => s.key)
        .sort(),
      EXPECTED['yolo-crater'].losses,
    );
    assert.deepEqual(
      checkRun(run!).filter((f) => f.severity === 'warning' || f.severity === 'error'),
      [],
    );
  });

  it('detectron2 metrics.json: loss_* components and total_loss recognised; only the total is watched', async () => {
    const [run] = await load('detectron2-mask-rcnn/metrics.json');
    const e = EXPECTED['detectron2-mask-rcnn'];
    const losses = run!.series().filter((s) => s.role === 'train_loss');
    assert.deepEqual(losses.map((s) => s.key).sort(), e.losses);
    assert.equal(losses[0]!.length, e.rows);
    // a spike in every loss of the run: reported once, on the total
    const spiky = new FakeRunFrom(run!, 250);
    assert.deepEqual(
      checkRun(spiky)
        .filter((f) => f.code === 'loss-spike')
        .map((f) => f.seriesKey),
      e.total,
    );
  });

  it('trainer_state.json: the checkpoint the trainer kept and the metric it was chosen by', async () => {
    for (const name of ['hf-whisper-hi', 'hf-whisper-wer', 'hf-finnews-f1']) {
      const [run] = await load(`${name}/trainer_state.json`);
      const e = EXPECTED[name];
      const b = trainerBest(run!, run!.series())!;
      assert.ok(b, name);
      assert.equal(b.metric, e.bestMetric, name);
      assert.equal(b.series?.key, e.match.key, name);
      assert.equal(b.step, e.match.step, name);
      assert.equal(
        run!
          .series()
          .find((s) => s === b.series)!
          .provenance(b.index!).line,
        e.match.line,
        name,
      );
    }
  });

  it('trainer_state.json (Whisper, kept by WER): overfitting names the kept checkpoint; the eval-loss best is a second opinion', async () => {
    const [run] = await load('hf-whisper-hi/trainer_state.json');
    const e = EXPECTED['hf-whisper-hi'];
    const f = of(checkRun(run!), 'overfitting');
    assert.equal(f.length, 1);
    assert.match(
      f[0]!.message,
      new RegExp(
        `The trainer kept ${e.checkpoint} \\(best_model_checkpoint\\), chosen by '${e.match.key}' = 32\\.01 at step ${e.match.step} \\(line ${e.match.line}\\)`,
      ),
    );
    assert.match(f[0]!.message, new RegExp(`second opinion, the lowest validation loss is at step ${e.evalLossBestStep}`));
    assert.deepEqual(
      f[0]!.related?.map((r) => r.line),
      [e.evalLossBestLine, e.match.line],
    );
  });

  it('noisy Lightning regression folder: one spike summary per series, anchored at the largest spike (reference)', async () => {
    const runs = await load('lightning-oedometer');
    assert.equal(runs.length, 6);
    let spikes = 0;
    for (const run of runs) {
      const v = path.basename(path.dirname(run.files[0]!));
      const fs = of(checkRun(run), 'loss-spike');
      spikes += fs.length;
      const keys = fs.map((f) => f.seriesKey);
      assert.equal(new Set(keys).size, keys.length, `${v}: at most one loss-spike per series`);
      for (const f of fs) {
        assert.ok(!/^data_loss/.test(f.seriesKey!), `${v}: components are not watched when a total is logged`);
        const ref = EXPECTED['lightning-oedometer'][v][f.seriesKey!];
        if (/spiked \d+ times/.test(f.message) || v !== 'version_0') assert.equal(f.line, ref.largestRatioLine, `${v} ${f.seriesKey}`);
        assert.ok((f.related?.length ?? 0) <= 20);
      }
    }
    assert.equal(spikes, 5, 'one per spiking series (the per-episode findings were 23 on these six runs)');
  });

  it('noisy Lightning regression folder: divergence only where the loss really left its best level', async () => {
    const runs = await load('lightning-oedometer');
    const div = new Map<string, string[]>();
    for (const run of runs) {
      const v = path.basename(path.dirname(run.files[0]!));
      div.set(
        v,
        of(checkRun(run), 'training-divergence')
          .map((f) => f.seriesKey!)
          .sort(),
      );
    }
    const e = EXPECTED['lightning-oedometer'];
    // version_1: a plateau near 1e-6 whose level wanders (7e-7 … 7e-6) after a blow-up it recovered from
    assert.deepEqual(div.get('version_1'), []);
    // version_23: exploded, then fell below its former best: over at the end of the log
    assert.deepEqual(div.get('version_23'), []);
    // version_35: the level ends > 10⁷ × its best (reference) → exploding
    assert.ok(e.version_35.mean_loss.lastLevel / e.version_35.mean_loss.bestLevel > 1e7);
    assert.deepEqual(div.get('version_35'), ['mean_loss']);
    // version_0: blew up from ~1e-6 and is still far above its best at the end (reference levels)
    assert.ok(e.version_0.train_loss_step.lastLevel / e.version_0.train_loss_step.bestLevel > 1000);
    assert.deepEqual(div.get('version_0'), ['train_loss_epoch', 'train_loss_step']);
  });

  it('incremental checking of a real run (chunks of 97 points) gives the same findings as one pass', async () => {
    for (const v of ['version_0', 'version_1', 'version_35']) {
      const [real] = await load(`lightning-oedometer/${v}/metrics.csv`);
      const inc = new FakeRun(real!.files[0]!);
      const copies = real!.series().map((s) => ({ src: s, dst: inc.add(s.key, s.role, s.split) }));
      const checker = new RunChecker();
      const n = Math.max(...copies.map((c) => c.src.length));
      for (let from = 0; from < n; from += 97) {
        for (const { src, dst } of copies)
          for (let i = from; i < Math.min(src.length, from + 97); i++) dst.push(src.step(i), src.value(i), src.provenance(i));
        checker.update(inc, { runId: inc.id, reset: false, appended: [], logitRecordsFrom: 0 });
      }
      const once = checkRun(inc);
      assert.deepEqual(checker.update(inc), once, v);
      assert.deepEqual(
        once.map((f) => [f.code, f.line]),
        checkRun(real!).map((f) => [f.code, f.line]),
        v,
      );
    }
  });
});
