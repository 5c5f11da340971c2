// The real-world regression corpus: every log of test/fixtures/real is parsed by the engine the CLI uses
// (loadRuns, as `losswatch series` does) and compared with test/fixtures/real/expected.json, which
// scripts/corpus_expected.py computes independently (pandas, json, a TFRecord/protobuf reader written from
// the specs). Per file and series: key, point count, first and last (step, value), NaN and ±inf counts —
// 0 mismatches allowed. Files listed in known-gaps.json (`values`: file → reason) are reported as pending
// with their reason; a listed file that matches again fails, so the list is emptied when a fix lands.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunView, SeriesView } from '../../../src/core/model';
import { loadRuns } from '../../../src/ingest/index';

const REAL = path.resolve(__dirname, '../../fixtures/real');
// Binary logs (TensorBoard event files) are not committed: they are read from ../shared/corpus beside the clone when
// it is present, against expected-shared.json (scripts/corpus_expected.py --shared); pending when absent.
const SHARED = path.resolve(__dirname, '../../../../shared/corpus');

type Num = number | string; // "NaN", "Infinity", "-Infinity" as printed by `losswatch series --format json`
interface ExpSeries {
  points: number;
  first: [Num, Num];
  last: [Num, Num];
  nan: number;
  inf: number;
}
interface ExpFile {
  format: string;
  binary: boolean;
  bytes: number;
  series: Record<string, ExpSeries>;
}

const expected = JSON.parse(fs.readFileSync(path.join(REAL, 'expected.json'), 'utf8')) as { files: Record<string, ExpFile> };
const gaps = JSON.parse(fs.readFileSync(path.join(REAL, 'known-gaps.json'), 'utf8')) as { values: Record<string, string> };

function num(v: Num): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  throw new Error(`bad number ${v}`);
}

const same = (a: number, b: number): boolean => a === b || (a !== a && b !== b);

function describeSeries(s: SeriesView): ExpSeries {
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < s.length; i++) {
    const v = s.value(i);
    if (v !== v) nan++;
    else if (v === Infinity || v === -Infinity) inf++;
  }
  const n = s.length;
  return {
    points: n,
    first: n > 0 ? [s.step(0), s.value(0)] : [NaN, NaN],
    last: n > 0 ? [s.step(n - 1), s.value(n - 1)] : [NaN, NaN],
    nan,
    inf,
  };
}

const fmt = (p: readonly [Num, Num]): string => `(${String(p[0])}, ${String(p[1])})`;

/** Every difference between what the engine read from `abs` and what expected.json says. */
export function compareFile(runs: readonly RunView[], abs: string, exp: ExpFile): string[] {
  const actual = new Map<string, SeriesView>();
  const dup: string[] = [];
  for (const run of runs) {
    for (const s of run.series()) {
      if (s.length === 0 || s.provenance(0).file !== abs) continue;
      if (actual.has(s.key)) dup.push(s.key);
      actual.set(s.key, s);
    }
  }
  const out: string[] = [];
  if (actual.size === 0 && Object.keys(exp.series).length > 0) {
    const loaded = runs.some((r) => r.files.includes(abs));
    out.push(loaded ? 'file is part of a run but yields no series' : 'file not loaded (no run found for it)');
    return out;
  }
  for (const k of dup) out.push(`series '${k}' appears twice`);
  for (const [key, e] of Object.entries(exp.series)) {
    const s = actual.get(key);
    if (!s) {
      out.push(`missing series '${key}' (${e.points} points)`);
      continue;
    }
    const a = describeSeries(s);
    if (a.points !== e.points) out.push(`'${key}': ${a.points} points, expected ${e.points}`);
    if (!same(a.first[0] as number, num(e.first[0])) || !same(a.first[1] as number, num(e.first[1])))
      out.push(`'${key}': first ${fmt(a.first)}, expected ${fmt(e.first)}`);
    if (!same(a.last[0] as number, num(e.last[0])) || !same(a.last[1] as number, num(e.last[1])))
      out.push(`'${key}': last ${fmt(a.last)}, expected ${fmt(e.last)}`);
    if (a.nan !== e.nan) out.push(`'${key}': ${a.nan} NaN, expected ${e.nan}`);
    if (a.inf !== e.inf) out.push(`'${key}': ${a.inf} ±inf, expected ${e.inf}`);
  }
  for (const key of actual.keys()) if (!(key in exp.series)) out.push(`unexpected series '${key}'`);
  return out;
}

// one load per case folder, as `losswatch series <case>` does
const loads = new Map<string, Promise<RunView[]>>();
function caseRuns(caseName: string): Promise<RunView[]> {
  let p = loads.get(caseName);
  if (!p) {
    p = loadRuns([path.join(REAL, caseName)]);
    loads.set(caseName, p);
  }
  return p;
}

describe('real-world corpus: values (expected.json)', function () {
  this.timeout(60_000);
  const files = Object.keys(expected.files).sort();

  it('covers at least 40 log files and every format', () => {
    assert.ok(files.length >= 40, `${files.length} files`);
    const formats = new Set(Object.values(expected.files).map((f) => f.format));
    for (const f of ['csv', 'hf', 'mlflow', 'jsonl', 'text']) assert.ok(formats.has(f), f); // tfevents: ../shared/corpus, below
  });

  it('known-gaps.json lists only files of the corpus', () => {
    for (const f of Object.keys(gaps.values)) assert.ok(f in expected.files, `known-gaps.json: ${f} is not in expected.json`);
  });

  for (const rel of files) {
    it(rel, async function () {
      const exp = expected.files[rel]!;
      const abs = path.join(REAL, rel);
      assert.equal(fs.statSync(abs).size, exp.bytes, `${rel} changed on disk: run scripts/corpus_expected.py`);
      const runs = await caseRuns(rel.split('/')[0]!);
      const diffs = compareFile(runs, abs, exp);
      const gap = gaps.values[rel];
      if (gap !== undefined) {
        if (diffs.length === 0) assert.fail(`${rel} now matches expected.json: remove it from known-gaps.json`);
        this.test!.title += ` — known gap: ${gap}`;
        this.skip();
      }
      assert.deepEqual(diffs, [], `${rel}: ${diffs.length} mismatches`);
    });
  }
});

describe('real-world corpus: values of ../shared/corpus (expected-shared.json)', function () {
  this.timeout(60_000);
  const shared = JSON.parse(fs.readFileSync(path.join(REAL, 'expected-shared.json'), 'utf8')) as { files: Record<string, ExpFile> };
  const files = Object.keys(shared.files).sort();
  const sharedLoads = new Map<string, Promise<RunView[]>>();

  it('holds real TensorBoard files', () => {
    assert.ok(
      files.some((f) => shared.files[f]!.format === 'tfevents'),
      'no tfevents file in expected-shared.json',
    );
  });

  for (const rel of files) {
    it(rel, async function () {
      const abs = path.join(SHARED, rel);
      if (!fs.existsSync(abs)) {
        this.test!.title += ` — pending: ${SHARED} is absent (real event files live beside the clone in ../shared/corpus)`;
        this.skip();
      }
      const exp = shared.files[rel]!;
      assert.equal(fs.statSync(abs).size, exp.bytes, `${rel} changed on disk: run scripts/corpus_expected.py --shared`);
      const c = rel.split('/')[0]!;
      let p = sharedLoads.get(c);
      if (!p) sharedLoads.set(c, (p = loadRuns([path.join(SHARED, c)])));
      const diffs = compareFile(await p, abs, exp);
      assert.deepEqual(diffs, [], `${rel}: ${diffs.length} mismatches`);
    });
  }
});
