// Line endings (VS Code's line model: '\n', '\r\n' and a lone '\r' each end a line) and NUL bytes, on
// every path: the LineReader's per-line path, the parsers' block fast paths (CSV, JSONL), the worker's
// first read. Reference: the text split on /\r\n|\r|\n/, each non-empty line given to a fresh parser's
// line() with its 1-based number.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { LineReader } from '../../../src/ingest/lines';
import { CsvParser } from '../../../src/ingest/parsers/csv';
import { JsonlParser } from '../../../src/ingest/parsers/jsonl';
import { MlflowMetricParser } from '../../../src/ingest/parsers/mlflow';
import { TextParser } from '../../../src/ingest/parsers/text';
import type { LineParser } from '../../../src/ingest/sink';
import { loadRuns } from '../../../src/ingest/index';
import type { RunStore } from '../../../src/ingest/store';
import { BatchSink, applyBatch } from '../../../src/ingest/batch';
import { enc, FIXTURES, RecSink, tmpDir } from './helpers';

const fixtureLines = (f: string): string[] =>
  fs
    .readFileSync(path.join(FIXTURES, f), 'utf8')
    .split(/\r\n|\r|\n/)
    .filter((l) => l !== '');

const formats: [string, (s: RecSink) => LineParser, string[]][] = [
  ['csv', (s) => new CsvParser(s), [...fixtureLines('lightning_metrics.csv'), '2,150,0.1,', '2,160,"0.2",0.3', 'bad', '3,170,2.0x,abc']],
  [
    'csv (keras)',
    (s) => new CsvParser(s),
    ['epoch,accuracy,loss,val_accuracy,val_loss', '0,0.5,1.2,0.55,1.1', '1,0.6,1.0,0.6,0.95', '2,0.7,0.8,0.62,nan', '3,0.75,0.7,0.64,0.9'],
  ],
  [
    'jsonl',
    (s) => new JsonlParser(s, 'f'),
    [...fixtureLines('metrics.jsonl'), '{"step": 9, "train": {"loss": 1e-3}}', '{"step": 10, "loss": "x"}', 'garbage'],
  ],
  ['text', (s) => new TextParser(s), fixtureLines('console.log')],
  [
    'mlflow',
    (s) => new MlflowMetricParser(s, 'loss'),
    ['1700000000000 0.5 0', '1700000001000 0.25 1', '1700000002000 nan 2', 'bad line here x', '1700000003000 0.125 3'],
  ],
];

const ENDINGS = ['\n', '\r\n', '\r', '\r\r\n'];

const norm = (s: RecSink): unknown => ({
  pts: s.points.map((p) => [p.key, p.step, Number.isNaN(p.value) ? 'NaN' : p.value, Number.isNaN(p.wall) ? 'NaN' : p.wall, p.line]),
  errs: s.errors.map((e) => [e.line, e.record]),
});

function reference(make: (s: RecSink) => LineParser, text: string): RecSink {
  const sink = new RecSink();
  const p = make(sink);
  text.split(/\r\n|\r|\n/).forEach((l, i) => {
    if (l === '') return;
    const b = enc(l);
    p.line(b, 0, b.length, i + 1);
  });
  return sink;
}

function viaReader(make: (s: RecSink) => LineParser, bytes: Uint8Array, cuts: number[]): RecSink {
  const sink = new RecSink();
  const r = new LineReader(make(sink), sink);
  let prev = 0;
  for (const c of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    r.push(bytes.slice(prev, c));
    prev = c;
  }
  r.push(bytes.slice(prev));
  r.finish();
  return sink;
}

describe('ingest: line endings (\\n, \\r\\n, lone \\r, \\r\\r\\n) and line numbers like VS Code', () => {
  for (const [name, make, lines] of formats) {
    it(`${name}: any endings, any split into pushes = the reference split on /\\r\\n|\\r|\\n/`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.constantFrom(...ENDINGS), { minLength: lines.length, maxLength: lines.length }),
          fc.array(fc.nat(), { maxLength: 12 }),
          fc.boolean(),
          (ends, cuts, lastEnd) => {
            const text = lines.map((l, i) => l + (i < lines.length - 1 || lastEnd ? ends[i] : '')).join('');
            const bytes = enc(text);
            const want = norm(reference(make, text));
            assert.deepEqual(norm(viaReader(make, bytes, cuts)), want);
            assert.deepEqual(norm(viaReader(make, bytes, [])), want);
          },
        ),
        { numRuns: 120 },
      );
      // every ending alike, byte by byte
      for (const e of ENDINGS) {
        const text = lines.join(e) + e;
        const bytes = enc(text);
        const want = reference(make, text);
        assert.ok(want.points.length > 0);
        assert.deepEqual(
          norm(
            viaReader(
              make,
              bytes,
              Array.from({ length: bytes.length }, (_, i) => i),
            ),
          ),
          norm(want),
        );
      }
    });
  }

  it("Keras CSVLogger on Windows ('\\r\\r\\n'): val_loss keeps its points, lines count like the editor's", () => {
    const s = viaReader((x) => new CsvParser(x), enc('epoch,loss,val_loss\r\r\n0,1.0,2.0\r\r\n1,0.5,1.5\r\r\n'), []);
    assert.deepEqual(
      s.byKey('val_loss').map((p) => [p.step, p.value, p.line]),
      [
        [0, 2, 3],
        [1, 1.5, 5],
      ],
    );
    assert.deepEqual(
      s.byKey('loss').map((p) => [p.step, p.value, p.line]),
      [
        [0, 1, 3],
        [1, 0.5, 5],
      ],
    );
    assert.equal(s.errors.length, 0);
  });

  it('a \\r ending a push waits for the next byte (it may be the \\r of \\r\\n)', () => {
    const sink = new RecSink();
    const r = new LineReader(new JsonlParser(sink, 'f'), sink);
    r.push(enc('{"step": 1, "loss": 1}\r'));
    assert.equal(sink.points.length, 0);
    assert.equal(r.held, 23); // the worker hands these bytes back to the main thread
    r.push(enc('\n{"step": 2, "loss": 2}\r'));
    assert.deepEqual(
      sink.points.map((p) => p.line),
      [1],
    );
    r.push(enc('{"step": 3, "loss": 3}\n'));
    assert.deepEqual(
      sink.points.map((p) => [p.step, p.line]),
      [
        [1, 1],
        [2, 2],
        [3, 3],
      ],
    );
  });

  it('tqdm progress captured with > log: one line per \\r update', () => {
    const s = viaReader((x) => new TextParser(x), enc('step 1 loss=0.9\rstep 2 loss=0.8\rstep 3 loss=0.7\n'), [5, 17]);
    assert.deepEqual(
      s.byKey('loss').map((p) => [p.step, p.line]),
      [
        [1, 1],
        [2, 2],
        [3, 3],
      ],
    );
  });

  it('the worker first read and the main thread agree across a \\r\\n split at the hand-over', async () => {
    const text =
      'epoch,loss,val_loss\r\n' + Array.from({ length: 50 }, (_, i) => `${i},${1 / (i + 1)},${2 / (i + 1)}`).join('\r\r\n') + '\r\n';
    const bytes = enc(text);
    const want = reference((x) => new CsvParser(x), text);
    for (const cut of [30, 31, 32, 100, bytes.length - 1]) {
      // the worker's side: a BatchSink over the first `cut` bytes, then the main thread resumes
      const ws = new BatchSink();
      const wp = new CsvParser(ws);
      const wr = new LineReader(wp, ws);
      wr.push(bytes.subarray(0, cut));
      const consumed = cut - wr.held;
      const main = new RecSink();
      const ids: number[] = [];
      applyBatch(ws.take().batch, main, ids);
      // main thread: ids of the worker's series map to the main sink's, new ones are appended after
      const mr = new LineReader(new CsvParser(main), main);
      mr.resume(wr.lines, wp.snapshot());
      mr.push(bytes.subarray(consumed));
      mr.finish();
      const got = main.points.map((p) => [p.key, p.step, p.value, p.line]);
      assert.deepEqual(
        got,
        want.points.map((p) => [p.key, p.step, p.value, p.line]),
        `cut ${cut}`,
      );
    }
  });

  it('CLI-level: loadRuns on a \\r\\r\\n CSV and a \\r JSONL file', async () => {
    const dir = tmpDir();
    const a = path.join(dir, 'history.csv');
    fs.writeFileSync(a, 'epoch,loss,val_loss\r\r\n0,1.0,2.0\r\r\n1,0.5,1.5\r\r\n');
    const b = path.join(dir, 'm.jsonl');
    fs.writeFileSync(b, '{"step": 1, "loss": 1}\r{"step": 2, "loss": 0.5}\r');
    const [ra] = (await loadRuns([a])) as RunStore[];
    assert.equal(ra!.getSeries('val_loss')!.length, 2);
    assert.equal(ra!.getSeries('val_loss')!.line(1), 5);
    const [rb] = (await loadRuns([b])) as RunStore[];
    assert.deepEqual([rb!.getSeries('loss')!.line(0), rb!.getSeries('loss')!.line(1)], [1, 2]);
  });
});

describe('ingest: NUL bytes (crash-padded logs)', () => {
  it('NUL runs are dropped and reported at their line; the rest of the file parses', () => {
    const nul = (k: number): string => '\0'.repeat(k);
    for (const [name, make] of [
      ['jsonl', (s: RecSink) => new JsonlParser(s, 'f')],
      ['csv', (s: RecSink) => new CsvParser(s)],
    ] as const) {
      const text =
        name === 'jsonl'
          ? `{"step": 1, "loss": 1}\n{"step": 2, "loss": 0.5}\n${nul(4096)}{"step": 3, "loss": 0.25}\n{"step": 4, "loss": 0.125}\n${nul(100)}`
          : `step,loss\n1,1\n2,0.5\n${nul(4096)}3,0.25\n4,0.125\n${nul(100)}`;
      const bytes = enc(text);
      const first = name === 'jsonl' ? 3 : 4;
      for (const cuts of [[], [10, 60, 2000, 4200], Array.from({ length: 40 }, (_, i) => i * 111)]) {
        const s = viaReader(make, bytes, cuts);
        assert.deepEqual(
          s.byKey('loss').map((p) => [p.step, p.value, p.line]),
          [
            [1, 1, first - 2],
            [2, 0.5, first - 1],
            [3, 0.25, first],
            [4, 0.125, first + 1],
          ],
          `${name} ${cuts.length}`,
        );
        assert.deepEqual(
          s.errors.map((e) => e.line),
          [first, first + 2],
          `${name} ${cuts.length}`,
        );
        assert.match(s.errors[0]!.message, /NUL/);
      }
    }
  });

  it('a NUL-padded tail costs no memory while held', () => {
    const sink = new RecSink();
    const r = new LineReader(new JsonlParser(sink, 'f'), sink);
    r.push(enc('{"step": 1, "loss": 1}\n'));
    for (let i = 0; i < 64; i++) r.push(new Uint8Array(1 << 20)); // 64 MiB of zeros, no newline
    assert.equal(sink.errors.length, 1); // reported once, not "line too long"
    assert.equal(r.held, 1 + 64 * (1 << 20) - 1); // input bytes still count for the hand-over offset
    r.push(enc('{"step": 2, "loss": 2}\n'));
    assert.deepEqual(
      sink.points.map((p) => [p.step, p.line]),
      [
        [1, 1],
        [2, 2],
      ],
    );
    assert.equal(sink.errors.length, 1);
  });
});
