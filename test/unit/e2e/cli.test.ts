// End to end through the CLI: `losswatch check` on the example trainer's committed logs
// (test/fixtures/runs/, written by examples/train_classifier.py via scripts/gen_example_runs.sh).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { CASES } from './cases';

const REPO = path.join(__dirname, '..', '..', '..');

interface JsonFinding {
  file: string;
  line?: number;
  severity: string;
  code: string;
  message: string;
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('e2e: losswatch check on the example runs', function () {
  this.timeout(60_000);

  it('every case gets its diagnostic, at a line of its own log; exit 1 (errors present)', () => {
    const r = cli(['check', 'test/fixtures/runs', '--format', 'json']);
    assert.equal(r.status, 1, `exit ${r.status}: ${r.stderr}`);
    const findings = JSON.parse(r.stdout) as JsonFinding[];
    for (const c of CASES) {
      const log = path.join('test', 'fixtures', 'runs', c.name, 'log.jsonl');
      const mine = findings.filter((f) => path.normalize(f.file) === log);
      const codes = new Set(mine.map((f) => f.code));
      for (const code of c.expect) {
        assert.ok(codes.has(code), `${c.name}: expected ${code}, got ${[...codes].join(', ') || 'nothing'}`);
        assert.ok(mine.every((f) => f.line === undefined || f.line >= 1));
      }
      if (c.expect.length === 0) {
        const loud = mine.filter((f) => f.severity === 'error' || f.severity === 'warning');
        assert.deepEqual(
          loud.map((f) => `${f.code}: ${f.message}`),
          [],
          `${c.name}: expected silence`,
        );
      }
    }
  });

  it('the healthy run alone: no findings, exit 0', () => {
    const r = cli(['check', 'test/fixtures/runs/healthy', '--format', 'json']);
    assert.equal(r.status, 0, r.stderr);
    const loud = (JSON.parse(r.stdout) as JsonFinding[]).filter((f) => f.severity === 'error' || f.severity === 'warning');
    assert.deepEqual(loud, []);
  });

  it('text output points at file:line for the NaN run', () => {
    const r = cli(['check', 'test/fixtures/runs/high-lr-nan']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /high-lr-nan\/log\.jsonl:\d+:\d+: error non-finite-loss/);
  });
});
