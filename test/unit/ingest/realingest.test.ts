// Real public logs (test/fixtures/real-ingest, provenance in each PROVENANCE.md): our parse equals the
// independent reference computed with pandas/json by scripts/real_ingest_expected.py (expected.json).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadRuns } from '../../../src/ingest/index';
import type { RunStore } from '../../../src/ingest/store';
import { RunChecker } from '../../../src/core/checks';

const ROOT = path.resolve(__dirname, '../../fixtures/real-ingest');
type Col = { step: number[]; value: (number | 'NaN')[]; line: number[] };
const expected = JSON.parse(fs.readFileSync(path.join(ROOT, 'expected.json'), 'utf8')) as Record<
  string,
  { series: Record<string, Col>; resumes: [number, number, number][] }
>;

describe('ingest: real logs = the pandas/json reference', () => {
  for (const [rel, want] of Object.entries(expected)) {
    it(rel, async () => {
      const [run] = (await loadRuns([path.join(ROOT, rel)])) as RunStore[];
      assert.ok(run, 'no run');
      const got: Record<string, Col> = {};
      for (const s of run.series()) {
        if (s.length === 0) continue;
        const st = run.getSeries(s.key)!;
        const col: Col = { step: [], value: [], line: [] };
        for (let i = 0; i < st.length; i++) {
          col.step.push(st.step(i));
          const v = st.value(i);
          col.value.push(Number.isNaN(v) ? 'NaN' : v);
          col.line.push(st.line(i));
          assert.ok(Number.isNaN(st.wall(i)), `${s.key}: no wall clock in this log`);
        }
        got[s.key] = col;
      }
      assert.deepEqual(Object.keys(got).sort(), Object.keys(want.series).sort());
      for (const k of Object.keys(want.series)) assert.deepEqual(got[k], want.series[k], k);
      assert.deepEqual(
        run.resumes().map((r) => [r.line, r.step, r.fromStep]),
        want.resumes,
      );
      assert.deepEqual(run.parseErrors(), []);
      const findings = new RunChecker().update(run).filter((f) => f.code === 'run-resumed' || f.code === 'parse-error');
      assert.deepEqual(
        findings.map((f) => [f.code, f.line]),
        want.resumes.map(([line]) => ['run-resumed', line]),
      );
    });
  }
});
