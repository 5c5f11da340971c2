// A JSONL line that carries `logits` or `logits_file` is a logit record only: its `loss` is the record's
// loggedLoss (the loss of exactly the logged rows), never a point of a scalar series.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadRuns } from '../../../src/ingest';
import { LineReader } from '../../../src/ingest/lines';
import { JsonlParser } from '../../../src/ingest/parsers/jsonl';
import { enc, RecSink } from './helpers';

const RUNS = path.resolve(__dirname, '../../fixtures/runs');

function parse(text: string, file = '/nowhere/log.jsonl'): RecSink {
  const s = new RecSink();
  const r = new LineReader(new JsonlParser(s, file), s);
  r.push(enc(text));
  r.finish();
  return s;
}

describe('ingest/jsonl: logit-record lines do not feed scalar series', () => {
  it('the record keeps its loss as loggedLoss; its scalars are not points', () => {
    const s = parse(
      '{"step": 12, "split": "train", "loss": 0.71, "grad_norm": 1.5}\n' +
        '{"step": 12, "split": "train", "logits": [[2.1, -0.3], [0.2, 1.7]], "labels": [0, 1], "loss": 0.24, "loss_fn": "cross_entropy", "reduction": "mean", "acc": 1, "time": 1700000012.2}\n' +
        '{"step": 13, "split": "train", "loss": 0.69, "grad_norm": 1.4}\n' +
        '{"step": 13, "split": "val", "logits_file": "nope.npy", "labels_file": "nope_y.npy", "loss": NaN}\n',
    );
    assert.deepEqual(
      s.points.map((p) => [p.key, p.step, p.value, p.line]),
      [
        ['train/loss', 12, 0.71, 1],
        ['train/grad_norm', 12, 1.5, 1],
        ['train/loss', 13, 0.69, 3],
        ['train/grad_norm', 13, 1.4, 3],
      ],
    );
    assert.equal(s.logits.length, 2);
    assert.equal(s.logits[0]!.loggedLoss, 0.24);
    assert.equal(s.logits[0]!.step, 12);
    assert.equal(s.logits[0]!.provenance.line, 2);
    assert.ok(Number.isNaN(s.logits[1]!.loggedLoss));
    assert.equal(s.logits[1]!.split, 'val');
    assert.equal(s.keys.filter((k) => k.key.startsWith('val')).length, 0, 'no val series from a record');
  });

  it('step-less logs: a record is not a scalar record (fallback steps stay consecutive)', () => {
    const s = parse('{"loss": 3}\n{"logits": [[1, 2]], "labels": [1], "loss": 0.3}\n{"loss": 2}\n');
    assert.deepEqual(
      s.points.map((p) => [p.key, p.step, p.value]),
      [
        ['loss', 0, 3],
        ['loss', 1, 2],
      ],
    );
    assert.equal(s.logits[0]!.step, 0, 'the record belongs to the scalar line before it');
  });

  const dirs = fs.existsSync(RUNS) ? fs.readdirSync(RUNS).filter((d) => fs.existsSync(path.join(RUNS, d, 'log.jsonl'))) : [];
  it('committed example runs: one train/loss point per scalar line, no val/loss series', async () => {
    assert.ok(dirs.length >= 5, `example runs in ${RUNS}`);
    for (const d of dirs) {
      const file = path.join(RUNS, d, 'log.jsonl');
      const lines = fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '');
      const objs = lines.map((l) => ({ l, isRec: /"logits(_file)?"\s*:/.test(l), train: /"split": "train"/.test(l) && /"loss":/.test(l) }));
      const scalarTrain = objs.filter((o) => !o.isRec && o.train).length;
      const records = objs.filter((o) => o.isRec).length;
      assert.ok(records > 0 && scalarTrain > 0, d);
      const [run] = await loadRuns([file]);
      assert.ok(run, d);
      const loss = run.getSeries('train/loss');
      assert.ok(loss, `${d}: train/loss`);
      assert.equal(loss.length, scalarTrain, `${d}: train/loss points = scalar lines`);
      const steps = Array.from({ length: loss.length }, (_, i) => loss.step(i));
      assert.equal(new Set(steps).size, steps.length, `${d}: no doubled steps`);
      assert.equal(run.getSeries('val/loss'), undefined, `${d}: no val/loss series from the val record`);
      assert.equal(run.logitRecords().length, records, `${d}: every record line is a logit record`);
      for (const s of run.series()) {
        for (let i = 0; i < s.length; i++) {
          const ln = s.provenance(i).line!;
          assert.ok(!objs[ln - 1]!.isRec, `${d}: ${s.key} point ${i} comes from record line ${ln}`);
        }
      }
    }
  });
});

// Counterexamples reported by fast-check in earlier full runs (not reproducible on this code with
// ~10^5 generated cases over many seeds): pinned here so every path keeps agreeing on them.
describe('ingest: reported property counterexamples', () => {
  it('JSONL step -0: template, byte scanner and tolerant parser all give -0 (Object.is)', () => {
    const lines = [
      '{"step": -0, "loss": 1}',
      '{"step": -0, "loss": 2}',
      '{"step":-0,"loss":-0}',
      '{"step": -0, "train": {"loss": 3}}',
      '{"epoch": -0, "loss": 4}',
    ];
    const whole = parse(lines.join('\n') + '\n');
    const ref = new RecSink();
    const p = new JsonlParser(ref, 'f');
    lines.forEach((l, i) => {
      p.restore(p.snapshot());
      const b = enc(l);
      p.line(b, 0, b.length, i + 1);
    });
    const n = (s: RecSink): unknown =>
      s.points.map((q) => [q.key, Object.is(q.step, -0) ? '-0' : q.step, Object.is(q.value, -0) ? '-0' : q.value, q.line]);
    assert.deepEqual(n(whole), n(ref));
    assert.deepEqual(n(whole), [
      ['loss', '-0', 1, 1],
      ['loss', '-0', 2, 2],
      ['loss', '-0', '-0', 3],
      ['train/loss', '-0', 3, 4],
      ['loss', '-0', 4, 5],
    ]);
  });
  it('CSV row ",,0,-Infinity": acc 0 and lr -Infinity in the block, row and byte-by-byte paths', async () => {
    const { CsvParser } = await import('../../../src/ingest/parsers/csv');
    const text = 'step,loss,acc,lr\n,,0,-Infinity\n1,,0,-Infinity\n,, 0 ,-inf\n';
    const want = [
      ['acc', 0, 2],
      ['lr', -Infinity, 2],
      ['acc', 0, 3],
      ['lr', -Infinity, 3],
      ['acc', 0, 4],
      ['lr', -Infinity, 4],
    ];
    const bytes = enc(text);
    for (const piece of [bytes.length, 7, 1]) {
      const s = new RecSink();
      const r = new LineReader(new CsvParser(s), s);
      for (let i = 0; i < bytes.length; i += piece) r.push(bytes.subarray(i, i + piece));
      r.finish();
      assert.deepEqual(
        s.points.map((q) => [q.key, q.value, q.line]),
        want,
        `pushed in pieces of ${piece}`,
      );
      assert.equal(s.errors.length, 0);
    }
  });
});
