import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LineReader } from '../../../src/ingest/lines';
import { CsvParser } from '../../../src/ingest/parsers/csv';
import { HfTrainerStateParser } from '../../../src/ingest/parsers/hf';
import { JsonlParser } from '../../../src/ingest/parsers/jsonl';
import { MlflowMetricParser } from '../../../src/ingest/parsers/mlflow';
import { TextParser } from '../../../src/ingest/parsers/text';
import { TfEventsParser, crc32c } from '../../../src/ingest/parsers/tfevents';
import { parseJson } from '../../../src/ingest/json';
import { summarize } from '../../../src/core/checks/summary';
import { concat, enc, eventBytes, FIXTURES, fileVersionEvent, RecSink, tfRecord } from './helpers';

function jsonl(text: string | Uint8Array, file = '/tmp/x.jsonl'): RecSink {
  const sink = new RecSink();
  const r = new LineReader(new JsonlParser(sink, file), sink);
  r.push(typeof text === 'string' ? enc(text) : text);
  r.finish();
  return sink;
}
function csv(text: string): RecSink {
  const sink = new RecSink();
  const r = new LineReader(new CsvParser(sink), sink);
  r.push(enc(text));
  r.finish();
  return sink;
}
function text(t: string, patterns: string[] = []): RecSink {
  const sink = new RecSink();
  const r = new LineReader(new TextParser(sink, patterns), sink);
  r.push(enc(t));
  r.finish();
  return sink;
}

describe('ingest/json: tolerant parser', () => {
  it('accepts Python json.dumps tokens NaN, Infinity, -Infinity', () => {
    const v = parseJson('{"a": NaN, "b": Infinity, "c": -Infinity, "d": [1, -2.5e3], "e": "x\\n\\u00e9"}') as Record<string, unknown>;
    assert.ok(Number.isNaN(v.a));
    assert.equal(v.b, Infinity);
    assert.equal(v.c, -Infinity);
    assert.deepEqual(v.d, [1, -2500]);
    assert.equal(v.e, 'x\né');
  });
  it('rejects malformed JSON with a position, never hangs on deep nesting', () => {
    assert.throws(() => parseJson('{"a": 1,}'), /column/);
    assert.throws(() => parseJson('['.repeat(100000)), /nested too deeply/);
    assert.throws(() => parseJson('{"a": nan}'));
  });
});

describe('ingest/jsonl', () => {
  it('parses the fixture: NaN/Infinity, nested objects flattened, split field, malformed line counted', () => {
    const s = jsonl(fs.readFileSync(path.join(FIXTURES, 'metrics.jsonl')));
    const loss = s.byKey('loss');
    assert.deepEqual(
      loss.map((p) => p.step),
      [1, 2, 5],
    );
    assert.equal(loss[0]!.value, 2.5);
    assert.ok(Number.isNaN(loss[1]!.value));
    assert.equal(loss[2]!.value, -Infinity);
    assert.equal(s.byKey('grad_norm')[1]!.value, Infinity);
    assert.equal(loss[0]!.wall, 1700000000500);
    assert.equal(loss[0]!.epoch, 0);
    assert.deepEqual(
      s.byKey('train/loss').map((p) => [p.step, p.value, p.line]),
      [[3, 1.25, 3]],
    );
    assert.deepEqual(
      s.byKey('val/loss').map((p) => [p.step, p.value, p.line]),
      [
        [3, 1.5, 3],
        [4, 1.75, 4],
      ],
    );
    assert.equal(s.byKey('val/accuracy')[0]!.hint, 'val');
    assert.equal(s.errors.length, 1);
    assert.equal(s.errors[0]!.line, 5);
    assert.equal(s.byKey('note').length, 0);
  });
  it('fast path and tolerant path give identical, correctly rounded numbers', () => {
    const nums = [
      '0.1',
      '0.21007005870342255',
      '1e-4',
      '-3.5E+2',
      '123456789012345678',
      '5e-324',
      '1.7976931348623157e308',
      '0.30000000000000004',
      '-0',
      '2.5e-8',
      '100',
      '0.000123456789',
    ];
    const s = jsonl(nums.map((n, i) => `{"step": ${i}, "v": ${n}}\n`).join(''));
    assert.deepEqual(
      s.byKey('v').map((p) => p.value),
      nums.map(Number),
    );
    const t = jsonl(nums.map((n, i) => `{"step": ${i}, "v": ${n}, "x": {"y": 1}}\n`).join(''));
    assert.deepEqual(
      t.byKey('v').map((p) => p.value),
      nums.map(Number),
    );
  });
  it('survives bad input: BOM, CRLF, invalid UTF-8, binary garbage, blank lines, empty input', () => {
    const s = jsonl(
      concat([
        new Uint8Array([0xef, 0xbb, 0xbf]),
        enc('{"step": 1, "loss": 1}\r\n\r\n{"step": 2, "l\xff": 2}\r\n'),
        new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d, 10, 0, 1, 2, 3, 10]),
      ]),
    );
    assert.deepEqual(
      s.byKey('loss').map((p) => p.value),
      [1],
    );
    // the binary garbage line: its NUL byte, then the rest is not JSON
    assert.deepEqual(
      s.errors.map((e) => e.line),
      [5, 5],
    );
    assert.equal(jsonl('').points.length, 0);
    assert.equal(jsonl('').errors.length, 0);
  });
  it('caps an over-long line (reported with its line number) and keeps going', () => {
    const sink = new RecSink();
    const r = new LineReader(new JsonlParser(sink, 'f'), sink, 1000);
    r.push(enc('{"step": 1, "loss": 1}\n{"step": 2, "x": "'));
    for (let i = 0; i < 10; i++) r.push(enc('a'.repeat(500)));
    r.push(enc('"}\n{"step": 3, "loss": 3}\n'));
    assert.deepEqual(
      sink.byKey('loss').map((p) => p.step),
      [1, 3],
    );
    assert.equal(sink.errors.length, 1);
    assert.equal(sink.errors[0]!.line, 2);
    assert.match(sink.errors[0]!.message, /longer than/);
    assert.equal(sink.byKey('loss')[1]!.line, 3);
  });
  it('holds a partial last line until its newline arrives', () => {
    const sink = new RecSink();
    const r = new LineReader(new JsonlParser(sink, 'f'), sink);
    r.push(enc('{"step": 1, "loss": 1}\n{"step": 2, "lo'));
    assert.equal(sink.points.length, 1);
    r.push(enc('ss": 2}'));
    assert.equal(sink.points.length, 1);
    r.push(enc('\n'));
    assert.deepEqual(
      sink.byKey('loss').map((p) => p.step),
      [1, 2],
    );
  });
  it('reads logit/label records; sidecars are named, not read, and their failures reach the summary', async () => {
    const s = jsonl(fs.readFileSync(path.join(FIXTURES, 'logits.jsonl')), path.join(FIXTURES, 'logits.jsonl'));
    assert.equal(s.logits.length, 4);
    const [a, b, c, d] = s.logits;
    assert.deepEqual(a!.logits.shape, [2, 3]);
    assert.deepEqual([...a!.logits.data], [2, 1, 0.1, 0.5, 2.5, 0.3]);
    assert.deepEqual([...a!.labels.data], [0, 1]);
    assert.equal(a!.lossFn, 'cross_entropy');
    assert.equal(a!.reduction, 'mean');
    assert.equal(a!.labelSmoothing, 0.1);
    assert.equal(a!.loggedLoss, 0.31);
    assert.equal(a!.split, 'train');
    assert.equal(a!.step, 10);
    assert.equal(a!.provenance.line, 1);
    assert.equal(a!.error, undefined);
    assert.deepEqual(b!.labels.shape, [1, 2]);
    assert.equal(b!.lossFn, 'categorical_crossentropy');
    assert.equal(c!.error, undefined);
    assert.deepEqual(c!.sidecars, { dir: FIXTURES, logits: 'missing_logits.npy', labels: 'missing_labels.npy' });
    assert.match((await summarize(c!)).error ?? '', /logits_file missing_logits\.npy: cannot open \(ENOENT\)/);
    assert.match(d!.error ?? '', /ragged/);
  });
  it('reads .npy sidecars relative to the log (in the summary, streamed)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-npy-'));
    const npy = (descr: string, shape: number[], data: Uint8Array): Buffer => {
      let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
      while ((10 + h.length + 1) % 64) h += ' ';
      h += '\n';
      const head = Buffer.alloc(10);
      head.write('\x93NUMPY', 0, 'latin1');
      head[6] = 1;
      head.writeUInt16LE(h.length, 8);
      return Buffer.concat([head, Buffer.from(h, 'latin1'), Buffer.from(data)]);
    };
    fs.writeFileSync(path.join(dir, 'l.npy'), npy('<f4', [2, 2], new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer)));
    fs.writeFileSync(path.join(dir, 'y.npy'), npy('<i8', [2], new Uint8Array(new BigInt64Array([1n, 0n]).buffer)));
    const s = jsonl('{"step": 1, "logits_file": "l.npy", "labels_file": "y.npy", "loss": 1}\n', path.join(dir, 'log.jsonl'));
    assert.equal(s.logits[0]!.error, undefined);
    assert.deepEqual(s.logits[0]!.logits.data.length, 0, 'ingest holds no arrays for sidecars');
    const sum = await summarize(s.logits[0]!);
    assert.equal(sum.error, undefined);
    assert.deepEqual(sum.logitsShape, [2, 2]);
    assert.deepEqual(sum.labelsShape, [2]);
    // logits [[1,2],[3,4]] labels [1,0]: mean CE = (log(e+e²)−2 + log(e³+e⁴)−3)/2 = log(1+e)−1
    assert.ok(Math.abs(sum.result!.loss - (Math.log(1 + Math.E) - 1 + Math.log(1 + Math.E)) / 2) < 1e-6); // float32 logits
    // corrupt / truncated / missing sidecars: the summary keeps an error naming the file, nothing throws
    fs.writeFileSync(path.join(dir, 'bad.npy'), Buffer.from('not a numpy file at all'));
    fs.writeFileSync(path.join(dir, 'short.npy'), npy('<f4', [2, 2], new Uint8Array(new Float32Array([1, 2]).buffer)));
    const t = jsonl(
      '{"step": 2, "logits_file": "bad.npy", "labels_file": "y.npy"}\n' +
        '{"step": 3, "logits_file": "short.npy", "labels_file": "y.npy"}\n' +
        '{"step": 4, "logits_file": "l.npy", "labels_file": "nope.npy"}\n',
      path.join(dir, 'log.jsonl'),
    );
    assert.equal(t.logits.length, 3);
    assert.match((await summarize(t.logits[0]!)).error ?? '', /logits_file bad\.npy: not a \.npy file/);
    assert.match((await summarize(t.logits[1]!)).error ?? '', /logits_file short\.npy: truncated/);
    assert.match((await summarize(t.logits[2]!)).error ?? '', /labels_file nope\.npy: cannot open/);
    assert.equal(t.errors.length, 0);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('ingest/csv', () => {
  it('Keras CSVLogger (CRLF, nan/inf cells): step = epoch', () => {
    const s = csv(fs.readFileSync(path.join(FIXTURES, 'keras_training.log'), 'utf8'));
    assert.deepEqual(
      s.byKey('loss').map((p) => [p.step, p.value]),
      [
        [0, 0.5234],
        [1, 0.3611],
        [2, NaN],
      ],
    );
    assert.equal(s.byKey('val_loss')[2]!.value, Infinity);
    assert.equal(s.errors.length, 0);
  });
  it('Lightning metrics.csv: an empty cell is absent, not 0', () => {
    const s = csv(fs.readFileSync(path.join(FIXTURES, 'lightning_metrics.csv'), 'utf8'));
    assert.deepEqual(
      s.byKey('train_loss').map((p) => [p.step, p.value, p.epoch]),
      [
        [49, 0.21007005870342255, 0],
        [99, 0.19502906501293182, 1],
      ],
    );
    assert.deepEqual(
      s.byKey('val_loss').map((p) => [p.step, p.value, p.line]),
      [
        [68, 0.21559028327465057, 3],
        [137, 0.14366206526756287, 5],
      ],
    );
  });
  it('YOLO results.csv: padded headers and cells', () => {
    const s = csv(fs.readFileSync(path.join(FIXTURES, 'results.csv'), 'utf8'));
    assert.deepEqual(
      s.byKey('train/box_loss').map((p) => [p.step, p.value]),
      [
        [1, 1.2345],
        [2, 1.1],
      ],
    );
    assert.deepEqual(
      s.byKey('val/box_loss').map((p) => p.value),
      [1.4567, 1.3],
    );
    assert.deepEqual(
      s.byKey('lr/pg0').map((p) => p.value),
      [0.0033, 0.0031],
    );
  });
  it('TSV, quoted cells, wrong cell counts reported, repeated header skipped', () => {
    const s = csv('step\tloss\n1\t0.5\n2\t0.4\t9\nstep\tloss\n3\t0.3\n');
    assert.deepEqual(
      s.byKey('loss').map((p) => p.step),
      [1, 3],
    );
    assert.equal(s.errors.length, 1);
    assert.equal(s.errors[0]!.line, 3);
    const q = csv('"step","loss"\n"1","0.5"\n');
    assert.deepEqual(
      q.byKey('loss').map((p) => p.value),
      [0.5],
    );
    const h = csv('1,2,3\n4,5,6\n');
    assert.equal(h.errors[0]!.line, 1);
    assert.match(h.errors[0]!.message, /no CSV header/);
    assert.equal(h.points.length, 0);
  });
});

describe('ingest/hf trainer_state.json', () => {
  it('log_history entries are points; the summary entry is metadata', () => {
    const sink = new RecSink();
    const ok = new HfTrainerStateParser().parseWhole(
      enc(
        JSON.stringify(
          {
            global_step: 20,
            log_history: [
              { epoch: 0.5, grad_norm: 3.1, learning_rate: 5e-5, loss: 2.0, step: 10 },
              { epoch: 0.5, eval_loss: 2.2, eval_runtime: 1.5, step: 10 },
              { epoch: 1, grad_norm: 2.9, learning_rate: 4e-5, loss: 1.8, step: 20 },
              { epoch: 1, step: 20, total_flos: 1e15, train_loss: 1.9, train_runtime: 100 },
            ],
          },
          null,
          2,
        ),
      ),
      sink,
    );
    assert.ok(ok);
    assert.deepEqual(
      sink.byKey('loss').map((p) => [p.step, p.value, p.epoch]),
      [
        [10, 2, 0.5],
        [20, 1.8, 1],
      ],
    );
    assert.deepEqual(
      sink.byKey('eval_loss').map((p) => p.value),
      [2.2],
    );
    assert.equal(sink.byKey('train_loss').length, 0);
    assert.equal(sink.metas.train_loss, 1.9);
    assert.equal(sink.metas.train_runtime, 100);
    assert.equal(sink.byKey('loss')[1]!.line, 17);
  });
  it('incomplete content (caught mid-write) is not an error', () => {
    const sink = new RecSink();
    assert.equal(new HfTrainerStateParser().parseWhole(enc('{"log_history": [{"loss": 1'), sink), false);
    assert.equal(sink.points.length + sink.errors.length, 0);
  });
});

describe('ingest/tfevents', () => {
  const file = (): Uint8Array =>
    concat([
      tfRecord(fileVersionEvent()),
      tfRecord(
        eventBytes(0, 1700000001, [
          { tag: 'loss', simple: 0.5 },
          { tag: 'hist', histogram: [0, 1, 2, 1, 2, 3] },
        ]),
      ),
      tfRecord(
        eventBytes(1, 1700000002, [
          { tag: 'loss', floatVal: 0.25 },
          { tag: 'img', image: 'PNG...' },
        ]),
      ),
      tfRecord(eventBytes(2, 1700000003, [{ tag: 'loss', doubleContent: 0.125 }])),
    ]);
  it('checks CRC-32C (known vector)', () => {
    assert.equal(crc32c(enc('123456789')), 0xe3069283);
  });
  it('reads simple_value, TF2 float_val and double tensor_content scalars; skips non-scalars', () => {
    const sink = new RecSink();
    const p = new TfEventsParser(sink, 'train/', 'train');
    p.push(file());
    p.finish();
    assert.deepEqual(
      sink.points.map((x) => [x.key, x.step, x.value, x.wall, x.line]),
      [
        ['train/loss', 0, 0.5, 1700000001000, 1],
        ['train/loss', 1, 0.25, 1700000002000, 2],
        ['train/loss', 2, 0.125, 1700000003000, 3],
      ],
    );
    assert.equal(sink.errors.length, 0);
  });
  it('a truncated last record waits for more bytes; a corrupt record is reported and skipped', () => {
    const bytes = file();
    const sink = new RecSink();
    const p = new TfEventsParser(sink);
    p.push(bytes.subarray(0, bytes.length - 5));
    assert.equal(sink.points.length, 2);
    p.push(bytes.subarray(bytes.length - 5));
    assert.equal(sink.points.length, 3);
    assert.equal(sink.errors.length, 0);
    const bad = file();
    const r1 = tfRecord(fileVersionEvent()).length;
    bad[r1 + 20] ^= 0xff; // inside record 1's data
    const s2 = new RecSink();
    const p2 = new TfEventsParser(s2);
    p2.push(bad);
    assert.deepEqual(
      s2.points.map((x) => x.step),
      [1, 2],
    );
    assert.equal(s2.errors.length, 1);
    assert.equal(s2.errors[0]!.record, 1);
    const bad2 = file();
    bad2[r1 + 2] ^= 0xff; // record 1's length header
    const s3 = new RecSink();
    const p3 = new TfEventsParser(s3);
    p3.push(bad2);
    assert.deepEqual(
      s3.points.map((x) => x.step),
      [1, 2],
    );
    assert.equal(s3.errors.length, 1);
  });
});

describe('ingest/mlflow and text', () => {
  it('MLflow metric lines: timestamp value step', () => {
    const sink = new RecSink();
    const r = new LineReader(new MlflowMetricParser(sink, 'loss'), sink);
    r.push(fs.readFileSync(path.join(FIXTURES, 'mlruns/1/abc123/metrics/loss')));
    r.push(enc('garbage line here\n'));
    assert.deepEqual(
      sink.points.map((p) => [p.step, p.value, p.wall]),
      [
        [0, 2.5, 1700000000000],
        [1, 2.25, 1700000001000],
        [2, NaN, 1700000002000],
      ],
    );
    assert.equal(sink.errors.length, 1);
  });
  it('console lines: epoch/step anchors, Keras epoch summaries; arbitrary output ignored', () => {
    const s = text(fs.readFileSync(path.join(FIXTURES, 'console.log'), 'utf8'));
    assert.deepEqual(
      s.byKey('loss').map((p) => [p.step, p.value]),
      [
        [1, 0.91],
        [2, 0.61],
        [300, 0.4],
        [3, 0.41],
      ],
    );
    assert.deepEqual(
      s.byKey('val_loss').map((p) => [p.step, p.value]),
      [
        [1, 0.95],
        [2, 0.72],
        [3, 0.52],
      ],
    );
    assert.deepEqual(
      s.byKey('lr').map((p) => p.value),
      [1e-4],
    );
    assert.deepEqual(new Set(s.keys.map((k) => k.key)), new Set(['loss', 'val_loss', 'lr', 'accuracy', 'val_accuracy']));
  });
  it('plain program output yields no series', () => {
    const s = text(
      'Starting server on port 8080\nGET /index.html 200 12ms\nprocessed 3/10 files size=12 MB\nstep 4: copying files (total=9)\nERROR: disk full\n',
    );
    assert.equal(s.points.length, 0);
  });
  it('user regexes with named groups come first', () => {
    const s = text('[it 5] foo=0.5 bar=nan\n', [String.raw`\[it (?<step>\d+)\] foo=(?<foo>\S+) bar=(?<bar>\S+)`, '(invalid']);
    assert.deepEqual(
      s.points.map((p) => [p.key, p.step, p.value]),
      [
        ['foo', 5, 0.5],
        ['bar', 5, NaN],
      ],
    );
    assert.equal(s.errors.length, 1);
    assert.match(s.errors[0]!.message, /invalid text pattern/);
  });
});
