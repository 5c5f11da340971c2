// Real logs written by Lightning and HF Trainer (test/fixtures/real) and Keras (../shared/corpus) checked value by value
// (the whole corpus is compared with expected.json in test/unit/real/corpus.test.ts); plus the fixtures and
// the roles/detection tables.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_WATCH_GLOBS, detectFormat, loadRuns, matchGlob } from '../../../src/ingest/index';
import { classify } from '../../../src/ingest/roles';
import { CORPUS, FIXTURES, SHARED_CORPUS, enc } from './helpers';

const close = (a: number, b: number, tol = 5e-5): boolean => Math.abs(a - b) <= tol;

describe('ingest: real logs (test/fixtures/real)', function () {
  it('lightning-csv/metrics.csv: train_loss and val_loss with sparse rows', async () => {
    const [run] = await loadRuns([path.join(CORPUS, 'lightning-csv/metrics.csv')]);
    assert.ok(run);
    assert.equal(run.format, 'csv');
    const tl = run.getSeries('train_loss')!;
    const vl = run.getSeries('val_loss')!;
    assert.equal(tl.role, 'train_loss');
    assert.equal(tl.split, 'train');
    assert.equal(vl.role, 'val_loss');
    assert.equal(vl.split, 'val');
    assert.deepEqual([tl.step(0), tl.step(1)], [49, 99]);
    assert.ok(close(tl.value(0), 0.2101) && close(tl.value(1), 0.195));
    assert.deepEqual([vl.step(0), vl.step(1)], [68, 137]);
    assert.ok(close(vl.value(0), 0.2156) && close(vl.value(1), 0.1437));
    assert.equal(tl.length, 2);
    assert.equal(vl.length, 2);
    assert.deepEqual(vl.provenance(1), { file: path.join(CORPUS, 'lightning-csv/metrics.csv'), line: 5 });
    assert.equal(run.parseErrors().length, 0);
  });

  it('hf-trainer-state/trainer_state.json: 430 steps, summary entry is not a point', async () => {
    const [run] = await loadRuns([path.join(CORPUS, 'hf-trainer-state/trainer_state.json')]);
    assert.ok(run);
    assert.equal(run.format, 'hf-trainer-state');
    const loss = run.getSeries('loss')!;
    assert.equal(loss.role, 'train_loss');
    assert.equal(loss.length, 430);
    assert.equal(loss.step(0), 500);
    assert.equal(loss.value(0), 1.9963);
    assert.equal(loss.step(429), 215000);
    assert.equal(loss.value(429), 1.7423);
    assert.equal(run.getSeries('grad_norm')!.role, 'grad_norm');
    assert.equal(run.getSeries('learning_rate')!.role, 'learning_rate');
    assert.equal(run.getSeries('train_loss'), undefined);
    assert.equal(
      run.series().some((s) => s.role === 'val_loss'),
      false,
    );
    assert.ok(close(loss.epoch(0), 0.006965825659315398, 1e-12));
    assert.ok(loss.provenance(0).line! > 10);
  });
});

// TensorBoard event files are not committed: the Keras run is read from ../shared/corpus when it is present; its
// values are in test/fixtures/real/expected-shared.json (scripts/corpus_expected.py --shared, independent reader).
describe('ingest: real TensorBoard logs (../shared/corpus)', function () {
  const KERAS = path.join(SHARED_CORPUS, 'keras-tfevents');
  type Exp = { points: number; first: [number, number]; last: [number, number] };
  const shared = JSON.parse(fs.readFileSync(path.join(CORPUS, 'expected-shared.json'), 'utf8')) as {
    files: Record<string, { series: Record<string, Exp> }>;
  };
  const expOf = (split: string, key: string): Exp => {
    const f = Object.keys(shared.files).find((k) => k.startsWith(`keras-tfevents/${split}/`))!;
    return shared.files[f]!.series[key]!;
  };
  beforeEach(function () {
    if (!fs.existsSync(KERAS)) {
      this.currentTest!.title += ` — pending: ${KERAS} is absent (real event files live beside the clone in ../shared/corpus)`;
      this.skip();
    }
  });

  it('keras-tfevents: one run, two splits, TF2 tensor scalars, non-scalars skipped', async () => {
    const [run, ...rest] = await loadRuns([KERAS]);
    assert.equal(rest.length, 0);
    assert.ok(run);
    assert.equal(run.format, 'tfevents');
    assert.equal(run.files.length, 2);
    const tr = run.getSeries('train/epoch_loss')!;
    const va = run.getSeries('validation/epoch_loss')!;
    assert.equal(tr.role, 'train_loss');
    assert.equal(va.role, 'val_loss');
    assert.equal(va.split, 'val');
    for (const [s, split, key] of [
      [tr, 'train', 'train/epoch_loss'],
      [va, 'validation', 'validation/epoch_loss'],
    ] as const) {
      const e = expOf(split, key);
      assert.equal(s.length, e.points, key);
      assert.deepEqual([s.step(0), s.value(0)], e.first, key);
      assert.deepEqual([s.step(s.length - 1), s.value(s.length - 1)], e.last, key);
    }
    assert.ok(close(tr.value(0), 0.70315));
    assert.ok(close(va.value(0), 0.36754) && close(va.value(9), 0.16369));
    const it = run.getSeries('validation/evaluation_loss_vs_iterations')!;
    const ei = expOf('validation', 'validation/evaluation_loss_vs_iterations');
    assert.equal(it.length, ei.points);
    assert.deepEqual([it.step(0), it.step(it.length - 1)], [ei.first[0], ei.last[0]]);
    assert.equal(run.series().filter((s) => s.role === 'val_loss').length, 1);
    assert.equal(run.parseErrors().length, 0);
    assert.ok(tr.provenance(0).record! >= 0);
    assert.ok(Number.isFinite(tr.wall(0)) && tr.wall(0) > 1.6e12);
  });

  it('the three case folders are found recursively (three runs)', async () => {
    const runs = await loadRuns([path.join(CORPUS, 'lightning-csv'), path.join(CORPUS, 'hf-trainer-state'), KERAS]);
    assert.deepEqual(runs.map((r) => r.format).sort(), ['csv', 'hf-trainer-state', 'tfevents']);
  });
});

describe('ingest: fixtures through loadRuns', () => {
  it('MLflow run folder: one run, metric keys from file paths, run name from meta.yaml', async () => {
    const [run] = await loadRuns([path.join(FIXTURES, 'mlruns/1/abc123')]);
    assert.ok(run);
    assert.equal(run.name, 'sunny-fox');
    assert.deepEqual(
      run
        .series()
        .map((s) => [s.key, s.role, s.length])
        .sort(),
      [
        ['loss', 'train_loss', 3],
        ['train/lr', 'learning_rate', 1],
        ['val_loss', 'val_loss', 2],
      ],
    );
    assert.equal(run.getSeries('loss')!.wall(1), 1700000001000);
  });
  it('Keras CSVLogger written as training.log is detected as CSV by content', async () => {
    const [run] = await loadRuns([path.join(FIXTURES, 'keras_training.log')]);
    assert.equal(run!.format, 'csv');
    assert.equal(run!.getSeries('val_loss')!.role, 'val_loss');
  });
  it('logit records reach the run', async () => {
    const [run] = await loadRuns([path.join(FIXTURES, 'logits.jsonl')]);
    assert.equal(run!.logitRecords().length, 4);
  });
});

describe('ingest: roles and detection', () => {
  it('recognises roles across naming conventions', () => {
    const cases: [string, string, string, string?][] = [
      ['loss', 'train_loss', 'train'],
      ['train_loss', 'train_loss', 'train'],
      ['train/loss', 'train_loss', 'train'],
      ['train_loss_step', 'train_loss', 'train'],
      ['train_loss_epoch', 'train_loss', 'train'],
      ['epoch_loss', 'train_loss', 'train', 'train'],
      ['epoch_loss', 'val_loss', 'val', 'val'],
      ['val_loss', 'val_loss', 'val'],
      ['eval_loss', 'val_loss', 'val'],
      ['validation/loss', 'val_loss', 'val'],
      ['validation/epoch_loss', 'val_loss', 'val'],
      ['eval_mnli_loss', 'val_loss', 'val'],
      ['val/loss', 'val_loss', 'val'],
      ['grad_norm', 'grad_norm', 'train'],
      ['gradient_norm', 'grad_norm', 'train'],
      ['lr', 'learning_rate', 'train'],
      ['learning_rate', 'learning_rate', 'train'],
      ['lr-Adam', 'learning_rate', 'train'],
      ['accuracy', 'accuracy', 'train'],
      ['val_accuracy', 'val_accuracy', 'val'],
      ['val_acc', 'val_accuracy', 'val'],
      ['test_loss', 'other', 'test'],
      ['perplexity', 'other', 'none'],
      ['train/box_loss', 'train_loss', 'train'], // component losses are losses (see roles.test.ts)
    ];
    for (const [key, role, split, hint] of cases) {
      const c = classify(key, (hint ?? 'none') as 'train' | 'val' | 'none');
      assert.deepEqual([key, c.role, c.split], [key, role, split]);
    }
  });
  it('detects formats by name and content; overrides win; junk is not a log', () => {
    const j = enc('{"step": 1, "loss": 2}\n');
    assert.equal(detectFormat('/a/run.jsonl', j), 'jsonl');
    assert.equal(detectFormat('/a/out.txt', j), 'jsonl');
    assert.equal(detectFormat('/a/metrics.csv', enc('epoch,step,train_loss\n')), 'csv');
    assert.equal(detectFormat('/a/trainer_state.json', enc('{')), 'hf-trainer-state');
    assert.equal(detectFormat('/a/state.json', enc('{\n "log_history": []\n}')), 'hf-trainer-state');
    assert.equal(detectFormat('/a/events.out.tfevents.1.host', new Uint8Array(0)), 'tfevents');
    assert.equal(detectFormat('/x/mlruns/0/abc/metrics/loss', enc('1 2 3\n')), 'mlflow');
    assert.equal(detectFormat('/a/train.log', enc('hello world\n')), 'text');
    assert.equal(detectFormat('/a/data.bin', new Uint8Array([0, 1, 2, 3, 255, 0])), undefined);
    assert.equal(detectFormat('/a/readme.md', enc('# Title\n')), undefined);
    assert.equal(detectFormat('/a/empty', new Uint8Array(0)), undefined);
    assert.equal(detectFormat('/a/train.log', enc('{"loss": 1}\n'), [{ glob: '**/train.log', format: 'text' }]), 'text');
    assert.equal(detectFormat('/a/b/x.dat', enc('a b\n'), [{ glob: '*.dat', format: 'csv' }]), 'csv');
  });
  it('default globs cover every format', () => {
    const files = [
      '/w/r/metrics.jsonl',
      '/w/lightning_logs/version_0/metrics.csv',
      '/w/o/trainer_state.json',
      '/w/tb/train/events.out.tfevents.1.h.v2',
      '/w/mlruns/0/abc/metrics/loss',
      '/w/mlruns/0/abc/metrics/train/lr',
      '/w/train.log',
      '/w/runs/detect/train/results.csv',
    ];
    for (const f of files)
      assert.ok(
        DEFAULT_WATCH_GLOBS.some((g) => matchGlob(g, f)),
        f,
      );
    assert.ok(!DEFAULT_WATCH_GLOBS.some((g) => matchGlob(g, '/w/data/train.parquet')));
  });
});
