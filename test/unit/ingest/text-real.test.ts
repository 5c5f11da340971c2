// Real console logs from public repositories (test/fixtures/real/console, PROVENANCE.md) against values
// computed independently by scripts/console_expected.py (plain regexes, ast.literal_eval), committed as
// expected.json.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineReader } from '../../../src/ingest/lines';
import { TextParser } from '../../../src/ingest/parsers/text';
import { RecSink } from './helpers';

const DIR = path.resolve(__dirname, '../../fixtures/real/console');
type Num = number | 'NaN' | 'Infinity' | '-Infinity';
interface Expected {
  series: Record<string, [Num, Num, number][]>;
  meta: Record<string, Num>;
}
const expected = JSON.parse(fs.readFileSync(path.join(DIR, 'expected.json'), 'utf8')) as Record<string, Expected>;
const num = (v: Num): number => (typeof v === 'number' ? v : Number(v));

function parse(file: string, chunk?: number): RecSink {
  const sink = new RecSink();
  const r = new LineReader(new TextParser(sink), sink);
  const bytes = fs.readFileSync(path.join(DIR, file));
  if (chunk === undefined) r.push(bytes);
  else for (let i = 0; i < bytes.length; i += chunk) r.push(bytes.subarray(i, i + chunk));
  r.finish();
  return sink;
}

describe('ingest/text: real console logs (expected values from scripts/console_expected.py)', () => {
  const files = Object.keys(expected);
  it('every fixture has expected values and every expected file exists', () => {
    const onDisk = fs.readdirSync(DIR).filter((f) => f !== 'expected.json' && f !== 'PROVENANCE.md');
    assert.deepEqual([...onDisk].sort(), [...files].sort());
    for (const f of onDisk) assert.ok(fs.statSync(path.join(DIR, f)).size < 300 * 1024, `${f} is over 300 KB`);
  });
  for (const file of files) {
    it(`${file}: same series, steps, values and lines`, () => {
      const exp = expected[file]!;
      const sink = parse(file);
      const got: Record<string, [number, number, number][]> = {};
      for (const p of sink.points) (got[p.key] ??= []).push([p.step, p.value, p.line]);
      assert.deepEqual(Object.keys(got).sort(), Object.keys(exp.series).sort(), 'series keys');
      for (const [k, pts] of Object.entries(exp.series)) {
        assert.deepEqual(
          got[k],
          pts.map(([s, v, l]) => [num(s), num(v), l]),
          `series ${k}`,
        );
      }
      assert.deepEqual(sink.metas, Object.fromEntries(Object.entries(exp.meta).map(([k, v]) => [k, num(v)])), 'meta');
      assert.deepEqual(sink.errors, [], 'no parse errors');
      assert.ok(sink.points.length > 0);
    });
  }
  it('the same points whatever the append boundaries (7-byte chunks)', () => {
    for (const file of files) {
      const a = parse(file).points;
      const b = parse(file, 7).points;
      assert.deepEqual(b, a, file);
    }
  });
});
