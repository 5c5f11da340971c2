import assert from 'node:assert/strict';
import type { LogitRecord, NDArray, RunView, SeriesView } from '../../../src/core/model';
import { RECOMPUTED_GRAD_NORM, RECOMPUTED_LOSS, RunWithRecomputed } from '../../../src/extension/recomputed';

function nd(shape: number[], values: number[]): NDArray {
  return { dtype: 'f8', shape, data: Float64Array.from(values) };
}

function record(line: number, step: number, logits: number[][], labels: number[], loggedLoss?: number): LogitRecord {
  return {
    provenance: { file: '/runs/a/train.jsonl', line },
    step,
    split: 'train',
    logits: nd([logits.length, logits[0].length], logits.flat()),
    labels: nd([labels.length], labels),
    lossFn: 'cross_entropy',
    loggedLoss,
  };
}

function fakeRun(records: LogitRecord[], generation = 0): RunView & { records: LogitRecord[]; generation: number } {
  const r = {
    id: 'a',
    name: 'train.jsonl',
    root: '/runs/a/train.jsonl',
    files: ['/runs/a/train.jsonl'],
    format: 'jsonl',
    generation,
    records,
    series: (): SeriesView[] => [],
    getSeries: () => undefined,
    logitRecords: () => r.records,
    parseErrors: () => [],
  };
  return r;
}

describe('extension: recomputed series', () => {
  it('adds recomputed/loss and recomputed/grad_norm from logits records, incrementally', () => {
    const run = fakeRun([
      record(
        3,
        10,
        [
          [2, 0.5, -1],
          [0.1, 0.2, 3],
        ],
        [0, 2],
      ),
    ]);
    const w = new RunWithRecomputed(run);
    assert.deepEqual(w.sync(), [
      { key: RECOMPUTED_LOSS, from: 0 },
      { key: RECOMPUTED_GRAD_NORM, from: 0 },
    ]);
    const loss = w.getSeries(RECOMPUTED_LOSS)!;
    assert.equal(loss.length, 1);
    assert.equal(loss.step(0), 10);
    // mean CE of the two rows, computed by hand with log-sum-exp
    const ce = (row: number[], t: number) => Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[t];
    assert.ok(Math.abs(loss.value(0) - (ce([2, 0.5, -1], 0) + ce([0.1, 0.2, 3], 2)) / 2) < 1e-12);
    assert.deepEqual(loss.provenance(0), { file: '/runs/a/train.jsonl', line: 3 });
    assert.ok(w.getSeries(RECOMPUTED_GRAD_NORM)!.value(0) > 0);
    assert.deepEqual(w.sync(), [], 'nothing new → no delta');
    run.records.push(record(7, 20, [[0, 0, 0]], [1]));
    assert.deepEqual(w.sync(), [
      { key: RECOMPUTED_LOSS, from: 1 },
      { key: RECOMPUTED_GRAD_NORM, from: 1 },
    ]);
    assert.ok(Math.abs(loss.value(1) - Math.log(3)) < 1e-12);
    assert.equal(w.recordAt('/runs/a/train.jsonl', 7)?.record.step, 20);
    assert.equal(w.series().length, 2);
  });

  it('starts over when the run is reset (generation bump)', () => {
    const run = fakeRun([record(1, 1, [[1, 2]], [1]), record(2, 2, [[1, 2]], [0])]);
    const w = new RunWithRecomputed(run);
    w.sync();
    assert.equal(w.getSeries(RECOMPUTED_LOSS)!.length, 2);
    run.generation = 1;
    run.records = [record(1, 1, [[3, 0]], [0])];
    w.sync();
    assert.equal(w.getSeries(RECOMPUTED_LOSS)!.length, 1);
    assert.equal(w.recordAt('/runs/a/train.jsonl', 2), undefined);
  });

  it('skips records it cannot recompute and records with a sidecar error', () => {
    const bad: LogitRecord = { ...record(1, 1, [[1, 2]], [0]), error: 'cannot read z.npy' };
    const w = new RunWithRecomputed(fakeRun([bad]));
    assert.deepEqual(w.sync(), []);
    assert.equal(w.getSeries(RECOMPUTED_LOSS), undefined);
    assert.equal(w.series().length, 0);
  });
});
