// Unreadable values are counted and reported (never dropped silently); time-named fields are a wall
// clock only when epoch-like; a step that goes back is a resume (later points replace the overlap).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { LineReader } from '../../../src/ingest/lines';
import { CsvParser } from '../../../src/ingest/parsers/csv';
import { JsonlParser } from '../../../src/ingest/parsers/jsonl';
import { loadRuns } from '../../../src/ingest/index';
import { RunStore } from '../../../src/ingest/store';
import { RunChecker } from '../../../src/core/checks';
import { enc, RecSink, tmpDir } from './helpers';

function parse(kind: 'csv' | 'jsonl', text: string, cuts: number[] = []): RecSink {
  const sink = new RecSink();
  const r = new LineReader(kind === 'csv' ? new CsvParser(sink) : new JsonlParser(sink, 'f'), sink);
  const bytes = enc(text);
  let prev = 0;
  for (const c of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    r.push(bytes.slice(prev, c));
    prev = c;
  }
  r.push(bytes.slice(prev));
  r.finish();
  return sink;
}

async function load(name: string, text: string): Promise<RunStore> {
  const f = path.join(tmpDir(), name);
  fs.writeFileSync(f, text);
  const [run] = await loadRuns([f]);
  return run as RunStore;
}

describe('ingest: unreadable values are counted and reported', () => {
  it('CSV: a cell that is not a number is a parse error at its line; empty, NA and nan/inf cells are not', () => {
    const s = parse('csv', 'epoch,loss,val_loss,note\n0,1.0,2.0,start\n1,0.5,,\n2,0.25,2.0x,x\n3,abc,NaN,\n4,0.1,N/A,y\n5,-inf,none,\n');
    assert.deepEqual(
      s.byKey('loss').map((p) => [p.step, p.value]),
      [
        [0, 1],
        [1, 0.5],
        [2, 0.25],
        [4, 0.1],
        [5, -Infinity],
      ],
    );
    assert.deepEqual(
      s.byKey('val_loss').map((p) => [p.step, p.value]),
      [
        [0, 2],
        [3, NaN],
      ],
    );
    assert.deepEqual(
      s.errors.map((e) => [e.line, e.message]),
      [
        [4, "line 4: 'val_loss' is not a number"],
        [5, "line 5: 'loss' is not a number"],
      ],
    );
    assert.equal(s.byKey('note').length, 0); // a text column: not a series, not an error
  });
  it('CSV: the same errors on the block, row and byte-by-byte paths', () => {
    const text =
      'step,loss,acc\n' +
      Array.from({ length: 300 }, (_, i) => `${i},${i % 37 === 5 ? 'x1' : i / 7},${i % 53 === 9 ? '' : i % 61 === 7 ? '?' : i}`).join(
        '\n',
      ) +
      '\n';
    const want = parse('csv', text).errors;
    assert.equal(want.length, 8 + 5);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 10 }), (cuts) => {
        assert.deepEqual(parse('csv', text, cuts).errors, want);
      }),
      { numRuns: 50 },
    );
  });
  it('JSONL: a string or boolean where a key had numbers is a parse error; null, nan strings and text keys are not', () => {
    const s = parse(
      'jsonl',
      [
        '{"step": 1, "loss": 1.0, "model": "resnet"}',
        '{"step": 2, "loss": "0.5x", "model": "resnet"}',
        '{"step": 3, "loss": null}',
        '{"step": 4, "loss": "NaN"}',
        '{"step": 5, "loss": true}',
        '{"step": 6, "loss": [1], "x": {"y": 2}}',
        '{"step": 7, "loss": 0.1, "x": {"y": "?"}}',
      ].join('\n') + '\n',
    );
    assert.deepEqual(
      s.byKey('loss').map((p) => [p.step, p.value]),
      [
        [1, 1],
        [4, NaN],
        [7, 0.1],
      ],
    );
    assert.deepEqual(
      s.errors.map((e) => e.line),
      [2, 5, 6, 7],
    );
    assert.equal(s.byKey('model').length, 0);
  });
  it('the run reports one parse-error per file with the count and the first line', async () => {
    const run = await load('history.csv', 'epoch,loss\n0,1\n1,x\n2,y\n3,0.5\n');
    const pe = run.parseErrors();
    assert.equal(pe.length, 1);
    assert.equal(pe[0]!.count, 2);
    assert.equal(pe[0]!.firstLine, 3);
    const f = new RunChecker().update(run).filter((x) => x.code === 'parse-error');
    assert.equal(f.length, 1);
    assert.equal(f[0]!.line, 3);
    assert.match(f[0]!.message, /2 malformed records/);
  });
});

describe('ingest: time-named fields', () => {
  it('detectron2 `time` (seconds per iteration) is a metric series, not a 1970 wall clock (JSONL)', () => {
    const s = parse(
      'jsonl',
      '{"data_time": 0.01, "iteration": 19, "loss": 2.1, "time": 0.35}\n{"data_time": 0.02, "iteration": 39, "loss": 1.9, "time": 0.33}\n',
    );
    assert.deepEqual(
      s.byKey('time').map((p) => [p.step, p.value]),
      [
        [19, 0.35],
        [39, 0.33],
      ],
    );
    assert.ok(s.byKey('loss').every((p) => Number.isNaN(p.wall)));
  });
  it('YOLO `time` (elapsed seconds) is a metric series (CSV, padded header)', () => {
    const s = parse(
      'csv',
      '                  epoch,                time,      train/box_loss\n                      1,               30.5,             1.2\n                      2,               61.25,            1.1\n',
    );
    assert.deepEqual(
      s.byKey('time').map((p) => [p.step, p.value]),
      [
        [1, 30.5],
        [2, 61.25],
      ],
    );
    assert.ok(s.byKey('train/box_loss').every((p) => Number.isNaN(p.wall)));
  });
  it('epoch-like values (Unix seconds or ms) stay a wall clock, in CSV and JSONL, slow path included', () => {
    const a = parse('csv', 'step,timestamp,loss\n1,1700000000.5,1\n2,1700000001.5,0.5\n');
    assert.deepEqual(
      a.byKey('loss').map((p) => p.wall),
      [1700000000500, 1700000001500],
    );
    assert.equal(a.byKey('timestamp').length, 0);
    const b = parse('jsonl', '{"_timestamp": 1700000000123, "loss": 1, "x": {"y": 1}}\n{"_timestamp": 1700000001123, "loss": 0.5}\n');
    assert.deepEqual(
      b.byKey('loss').map((p) => p.wall),
      [1700000000123, 1700000001123],
    );
    const c = parse('jsonl', '{"wall_time": 12.5, "loss": 1, "x": {"y": 1}}\n{"wall_time": 13.5, "loss": 0.5}\n');
    assert.deepEqual(
      c.byKey('wall_time').map((p) => p.value),
      [12.5, 13.5],
    );
  });
  it('the worker hand-over keeps the decision (CSV and JSONL)', () => {
    for (const [kind, head, rest] of [
      ['csv', 'epoch,time,loss\n0,0.5,1\n', '1,0.6,0.5\n'],
      ['jsonl', '{"iteration": 0, "time": 0.5, "loss": 1}\n', '{"iteration": 1, "time": 0.6, "loss": 0.5}\n'],
    ] as const) {
      const a = new RecSink();
      const pa = kind === 'csv' ? new CsvParser(a) : new JsonlParser(a, 'f');
      new LineReader(pa, a).push(enc(head));
      const b = new RecSink();
      const pb = kind === 'csv' ? new CsvParser(b) : new JsonlParser(b, 'f');
      const rb = new LineReader(pb, b);
      rb.resume(head.split('\n').length - 1, pa.snapshot());
      rb.push(enc(rest));
      assert.deepEqual(
        b.byKey('time').map((p) => p.value),
        [0.6],
        kind,
      );
      assert.ok(Number.isNaN(b.byKey('loss')[0]!.wall), kind);
    }
  });
});

describe('ingest: resumed runs (the step goes back inside one file)', () => {
  const keras =
    'epoch,loss,val_loss\n0,1.0,1.1\n1,0.8,0.9\n2,0.6,0.8\n3,0.5,0.7\nepoch,loss,val_loss\n2,0.61,0.79\n3,0.49,0.69\n4,0.4,0.6\n';
  it('Keras CSVLogger(append=True): later points replace the overlap; the run reports the resume', async () => {
    const run = await load('history.csv', keras);
    const loss = run.getSeries('loss')!;
    const pts = Array.from({ length: loss.length }, (_, i) => [loss.step(i), loss.value(i), loss.line(i)]);
    assert.deepEqual(pts, [
      [0, 1, 2],
      [1, 0.8, 3],
      [2, 0.61, 7],
      [3, 0.49, 8],
      [4, 0.4, 9],
    ]);
    assert.deepEqual(
      run.resumes().map((r) => [r.file.endsWith('history.csv'), r.line, r.step, r.fromStep, [...r.series].sort(), r.dropped]),
      [[true, 7, 2, 3, ['loss', 'val_loss'], 4]],
    );
    const f = new RunChecker().update(run).filter((x) => x.code === 'run-resumed');
    assert.equal(f.length, 1);
    assert.equal(f[0]!.severity, 'information');
    assert.equal(f[0]!.line, 7);
    assert.match(f[0]!.message, /resumed at step 2 \(line 7\)/);
  });
  it('the same on every path: per point, blocks, shared rows, any split into appends', () => {
    // reference: what the series must hold (monotonic, the last writer of each step range wins)
    const text =
      'step,loss,acc\n' +
      [
        ...Array.from({ length: 40 }, (_, i) => [i, i]),
        ...Array.from({ length: 30 }, (_, i) => [20 + i, 100 + i]),
        ...Array.from({ length: 5 }, (_, i) => [45 + i, 200 + i]),
      ]
        .map(([s, v]) => `${s},${v},${v! / 2}`)
        .join('\n') +
      '\n';
    const want: [number, number][] = [];
    for (const [s, v] of text
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').map(Number) as [number, number])) {
      while (want.length > 0 && want[want.length - 1]![0] >= s) want.pop();
      want.push([s, v]);
    }
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 8 }), (cuts) => {
        const store = new RunStore('r', 'r', '/x', 'csv');
        const file = store.fileIndex('/x/h.csv', false);
        const ids: string[] = [];
        // a sink like the watcher's, in its three forms
        const sink = new RecSink();
        const reader = new LineReader(
          new CsvParser(
            Object.assign(Object.create(sink), {
              series: (k: string) => (ids.push(k), ids.length - 1),
              point: (id: number, st: number, v: number, w: number, ep: number, ln: number) =>
                store.ensureSeries(ids[id]!, 'other', 'none').append(st, v, w, ep, ln, file),
              block: (
                id: number,
                n: number,
                st: Float64Array,
                v: Float64Array,
                off: number,
                w: Float64Array | undefined,
                ep: Float64Array | undefined,
                ln: Float64Array,
              ) => store.ensureSeries(ids[id]!, 'other', 'none').appendBlock(n, st, v, off, w, ep, ln, file),
              rows: (
                n: number,
                st: Float64Array,
                _w: Float64Array | undefined,
                ep: Float64Array | undefined,
                ln: Float64Array,
                k: number,
                sid: Int32Array,
                v: Float64Array,
                offs: Int32Array,
              ) => {
                const rows = store.sharedRows(file);
                const before = rows.length;
                rows.appendRowBlock(n, st, ep, ln, file);
                for (let j = 0; j < k; j++)
                  store.ensureSeries(ids[sid[j]!]!, 'other', 'none').appendRows(rows, before, n, v, offs[j]!, st, ep, ln, file);
              },
            }),
          ),
          sink,
        );
        const bytes = enc(text);
        let prev = 0;
        for (const c of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
          reader.push(bytes.slice(prev, c));
          prev = c;
        }
        reader.push(bytes.slice(prev));
        const loss = store.getSeries('loss')!;
        assert.deepEqual(
          Array.from({ length: loss.length }, (_, i) => [loss.step(i), loss.value(i)]),
          want,
        );
        const acc = store.getSeries('acc')!;
        assert.deepEqual(
          Array.from({ length: acc.length }, (_, i) => acc.value(i)),
          want.map(([, v]) => v / 2),
        );
        assert.deepEqual(
          store.resumes().map((r) => [r.line, r.step, r.fromStep]),
          [
            [42, 20, 39],
            [72, 45, 49],
          ],
        );
      }),
      { numRuns: 60 },
    );
  });
  it('per series: a val line at step 100 after train at step 150 is not a resume', async () => {
    const run = await load(
      'm.jsonl',
      '{"step": 100, "split": "train", "loss": 1}\n{"step": 150, "split": "train", "loss": 0.9}\n{"step": 100, "split": "val", "loss": 1.2}\n{"step": 200, "split": "train", "loss": 0.8}\n{"step": 200, "split": "val", "loss": 1.1}\n',
    );
    assert.equal(run.resumes().length, 0);
    assert.equal(run.getSeries('train/loss')!.length, 3);
    assert.equal(run.getSeries('val/loss')!.length, 2);
  });
  it('Lightning sparse rows and a per-epoch batch_idx are not resumes', async () => {
    const a = await load('metrics.csv', 'epoch,step,train_loss,val_loss\n0,49,0.5,\n0,49,,0.6\n1,99,0.4,\n1,99,,0.5\n');
    assert.equal(a.resumes().length, 0);
    const b = await load(
      'b.jsonl',
      '{"epoch": 0, "batch_idx": 0, "loss": 1}\n{"epoch": 0, "batch_idx": 1, "loss": 0.9}\n{"epoch": 1, "batch_idx": 0, "loss": 0.8}\n{"epoch": 1, "batch_idx": 1, "loss": 0.7}\n',
    );
    assert.equal(b.resumes().length, 0);
    assert.equal(b.getSeries('loss')!.length, 4);
  });
  it('a purge truncates the chunks: memory follows the points kept, appends never copy history', () => {
    const store = new RunStore('r', 'r', '/x', 'jsonl');
    const s = store.ensureSeries('loss', 'train_loss', 'train');
    for (let i = 0; i < 50000; i++) s.append(i, i, NaN, NaN, i + 1, 0);
    const full = s.bytes;
    s.append(10, -1, NaN, NaN, 50001, 0);
    assert.equal(s.length, 11);
    assert.ok(s.bytes < full / 4, `${s.bytes} vs ${full}`);
    assert.deepEqual([s.step(9), s.step(10), s.value(10), s.line(10)], [9, 10, -1, 50001]);
    for (let i = 11; i < 20000; i++) s.append(i, i, NaN, NaN, 50000 + i, 0);
    assert.deepEqual([s.length, s.step(19999), s.line(19999), s.line(5)], [20000, 19999, 69999, 6]);
    assert.equal(store.resumes().length, 1);
    assert.ok(store.takeResumed());
    assert.ok(!store.takeResumed());
  });
});

describe('ingest: the worker hand-over counts every error', () => {
  it('more than 1000 errors in one batch: all counted', async () => {
    const { BatchSink, applyBatch } = await import('../../../src/ingest/batch');
    const ws = new BatchSink();
    const r = new LineReader(new CsvParser(ws), ws);
    r.push(enc('step,loss\n0,1\n' + Array.from({ length: 2500 }, (_, i) => `${i + 1},x${i}\n`).join('')));
    const main = new RecSink();
    applyBatch(ws.take().batch, main, []);
    assert.equal(main.errors.length, 2500);
    assert.equal(main.errors[0]!.line, 3);
  });
});

describe('ingest: a resume while following a live log', () => {
  it('the update says reset (consumers re-read), the run reports the resume, the series stays in step order', async () => {
    const { LogWatcher } = await import('../../../src/ingest/watcher');
    const { until } = await import('./helpers');
    const w = new LogWatcher({ coalesceMs: 20, pollIntervalMs: 25 });
    try {
      const f = path.join(tmpDir(), 'metrics.jsonl');
      fs.writeFileSync(f, Array.from({ length: 10 }, (_, i) => `{"step": ${i * 10}, "loss": ${1 / (i + 1)}}\n`).join(''));
      const run = (await w.add(f)) as RunStore;
      assert.equal(run.getSeries('loss')!.length, 10);
      const updates: { reset: boolean }[] = [];
      w.onUpdate((u) => updates.push(u));
      const checker = new RunChecker();
      checker.update(run);
      fs.appendFileSync(f, '{"step": 50, "loss": 0.3}\n{"step": 60, "loss": 0.25}\n');
      await until(() => run.getSeries('loss')!.length === 7 && updates.length > 0, 10000);
      assert.ok(updates.some((u) => u.reset));
      const s = run.getSeries('loss')!;
      assert.deepEqual(
        Array.from({ length: s.length }, (_, i) => s.step(i)),
        [0, 10, 20, 30, 40, 50, 60],
      );
      assert.deepEqual(
        run.resumes().map((r) => [r.line, r.step, r.fromStep]),
        [[11, 50, 90]],
      );
      const f2 = checker.update(run).filter((x) => x.code === 'run-resumed');
      assert.deepEqual(
        f2.map((x) => [x.line, x.severity]),
        [[11, 'information']],
      );
    } finally {
      w.dispose();
    }
  });
});
