// fast-check properties: any split of the same bytes into appends yields the same records.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { LineReader } from '../../../src/ingest/lines';
import { CsvParser } from '../../../src/ingest/parsers/csv';
import { JsonlParser } from '../../../src/ingest/parsers/jsonl';
import { TextParser } from '../../../src/ingest/parsers/text';
import { TfEventsParser } from '../../../src/ingest/parsers/tfevents';
import type { ByteParser } from '../../../src/ingest/sink';
import { concat, enc, eventBytes, FIXTURES, RecSink, SHARED_CORPUS, tfRecord } from './helpers';

function feed(make: (s: RecSink) => ByteParser, bytes: Uint8Array, cuts: number[]): RecSink {
  const sink = new RecSink();
  const p = make(sink);
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    p.push(bytes.slice(prev, c));
    prev = c;
  }
  return sink;
}
const norm = (s: RecSink): unknown => ({
  pts: s.points.map((p) => [p.key, p.step, Object.is(p.value, NaN) ? 'NaN' : p.value, p.line]),
  errs: s.errors.map((e) => [e.line, e.record]),
  logits: s.logits.length,
});

const makers: [string, (s: RecSink) => ByteParser, Uint8Array][] = [
  [
    'jsonl',
    (s) => new LineReader(new JsonlParser(s, 'f'), s),
    concat([
      fs.readFileSync(path.join(FIXTURES, 'metrics.jsonl')),
      fs.readFileSync(path.join(FIXTURES, 'logits.jsonl')),
      enc('{"step": 9, "train": {"loss": 1e-3}}\r\n\xff\xfe garbage\n'),
    ]),
  ],
  [
    'csv',
    (s) => new LineReader(new CsvParser(s), s),
    concat([fs.readFileSync(path.join(FIXTURES, 'lightning_metrics.csv')), enc('2,150,0.1,\n2,160,"0.2",0.3\nbad\n')]),
  ],
  ['text', (s) => new LineReader(new TextParser(s), s), fs.readFileSync(path.join(FIXTURES, 'console.log'))],
  [
    'tfevents',
    (s) => new TfEventsParser(s),
    concat([
      tfRecord(eventBytes(0, 1, [{ tag: 'loss', simple: 1 }])),
      tfRecord(
        eventBytes(1, 2, [
          { tag: 'loss', floatVal: 0.5 },
          { tag: 'h', histogram: [1, 2, 3] },
        ]),
      ),
      tfRecord(eventBytes(2, 3, [{ tag: 'loss', doubleContent: 0.25 }])),
    ]),
  ],
];
// a real Keras event file, from ../shared/corpus beside the clone (not committed); pending when absent
const corpusTf = path.join(SHARED_CORPUS, 'keras-tfevents/validation');
const haveCorpusTf = fs.existsSync(corpusTf);
if (haveCorpusTf) {
  const f = fs.readdirSync(corpusTf)[0]!;
  makers.push(['tfevents (corpus)', (s) => new TfEventsParser(s), new Uint8Array(fs.readFileSync(path.join(corpusTf, f)))]);
}

describe('ingest: any split of the same bytes into appends yields the same records', () => {
  for (const [name, make, bytes] of makers) {
    it(name, () => {
      const whole = norm(feed(make, bytes, []));
      assert.ok((whole as { pts: unknown[] }).pts.length > 0);
      fc.assert(
        fc.property(fc.array(fc.nat({ max: bytes.length }), { maxLength: 40 }), (cuts) => {
          assert.deepEqual(norm(feed(make, bytes, cuts)), whole);
        }),
        { numRuns: 150 },
      );
      // byte by byte
      assert.deepEqual(
        norm(
          feed(
            make,
            bytes,
            Array.from({ length: bytes.length }, (_, i) => i),
          ),
        ),
        whole,
      );
    });
  }
  if (!haveCorpusTf) {
    it(`tfevents (corpus) — pending: ${corpusTf} is absent (real event files live beside the clone in ../shared/corpus)`, function () {
      this.skip();
    });
  }
});
