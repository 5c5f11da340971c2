// End to end: the real PyTorch example trainer (examples/train_classifier.py, logging with
// python/losswatch_log.py) → ingest (loadRuns) → checks (checkRun) → core recompute.
// The committed logs in test/fixtures/runs/ are always replayed; when /usr/bin/python3 (or
// $LOSSWATCH_PYTHON) has torch, every case is also trained afresh into a temp folder and checked.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Finding, LogitRecord, RunView } from '../../../src/core/model';
import { loadRuns } from '../../../src/ingest/index';
import { checkRunAsync } from '../../../src/core/checks/index';
import { readNpy, softmaxCrossEntropy } from '../../../src/core/index';
import { CASES, SIZE_FLAGS, type ExampleCase } from './cases';

const REPO = path.join(__dirname, '..', '..', '..');
const COMMITTED = path.join(REPO, 'test', 'fixtures', 'runs');
const PYTHON = process.env.LOSSWATCH_PYTHON ?? '/usr/bin/python3';

function hasTorch(): boolean {
  if (!fs.existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 }).status === 0;
}

/** Trains every case in one python process (torch imported once) into `out/<case>/`. */
function trainAll(out: string): void {
  const spec = CASES.map((c) => ({ name: c.name, argv: ['--out', path.join(out, c.name), ...SIZE_FLAGS, ...c.flags], exit: c.exitCode }));
  const driver = [
    'import io, json, sys, contextlib',
    `sys.path.insert(0, ${JSON.stringify(path.join(REPO, 'examples'))})`,
    'import train_classifier as t',
    'bad = []',
    'for c in json.loads(sys.argv[1]):',
    '    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):',
    '        rc = t.main(c["argv"])',
    '    if rc != c["exit"]: bad.append("%s exited %s, expected %s" % (c["name"], rc, c["exit"]))',
    'sys.exit("\\n".join(bad) if bad else 0)',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', driver, JSON.stringify(spec)], { encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, `example trainer failed: ${r.stderr || r.error?.message || r.signal}`);
}

async function loadOne(dir: string): Promise<RunView> {
  const runs = await loadRuns([dir]);
  assert.equal(runs.length, 1, `expected one run in ${dir}, got ${runs.map((r) => r.root).join(', ')}`);
  const run = runs[0]!;
  assert.deepEqual(run.parseErrors(), [], 'the logger writes no malformed lines');
  return run;
}

function describeFindings(fs_: readonly Finding[]): string {
  return fs_.map((f) => `  ${f.severity} ${f.code} (line ${f.line}, step ${f.step}): ${f.message.slice(0, 160)}`).join('\n') || '  (none)';
}

/** The 1-based line of a finding exists in its file and is the record of the finding's step. */
function assertLandsOnLogLine(f: Finding): void {
  assert.ok(f.line !== undefined && f.line >= 1, `${f.code}: finding has no line`);
  const lines = fs.readFileSync(f.file, 'utf8').split('\n');
  const text = lines[f.line! - 1];
  assert.ok(text !== undefined && text.length > 0, `${f.code}: line ${f.line} is not in ${f.file}`);
  assert.ok(f.step !== undefined, `${f.code}: finding has no step for the dashboard marker`);
  const obj = JSON.parse(text.replace(/\bNaN\b|-?\bInfinity\b/g, 'null')) as { step?: number };
  assert.equal(obj.step, f.step, `${f.code}: line ${f.line} is step ${obj.step}, the finding says step ${f.step}`);
}

function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), Number.MIN_VALUE);
}

/** A record's arrays: inline, or its .npy sidecars read whole (the checks stream them instead). */
function arrays(rec: LogitRecord): Pick<LogitRecord, 'logits' | 'labels'> {
  const sc = rec.sidecars;
  return {
    logits: sc?.logits ? readNpy(path.join(sc.dir, sc.logits)) : rec.logits,
    labels: sc?.labels ? readNpy(path.join(sc.dir, sc.labels)) : rec.labels,
  };
}

function recomputedCe(rec: LogitRecord): number {
  const { logits, labels } = arrays(rec);
  const r = softmaxCrossEntropy(logits, labels, {
    reduction: rec.reduction ?? 'mean',
    labelSmoothing: rec.labelSmoothing ?? 0,
    ignoreIndex: rec.ignoreIndex ?? -100,
    weight: rec.weight ?? null,
  });
  assert.equal(typeof r.loss, 'number');
  return r.loss as number;
}

function suite(label: string, root: () => string): void {
  describe(`e2e example runs (${label})`, () => {
    for (const c of CASES) {
      const title = c.expect.length ? `${c.name}: reports ${c.expect.join(', ')}` : `${c.name}: no warning or error`;
      it(title, async () => {
        const run = await loadOne(path.join(root(), c.name));
        assert.equal(run.format, 'jsonl');
        const findings = await checkRunAsync(run);
        const codes = new Set(findings.map((f) => f.code));
        for (const code of c.expect) {
          assert.ok(codes.has(code), `${c.name}: expected '${code}', got:\n${describeFindings(findings)}`);
          for (const f of findings.filter((x) => x.code === code)) assertLandsOnLogLine(f);
        }
        if (c.expect.length === 0) {
          const loud = findings.filter((f) => f.severity === 'error' || f.severity === 'warning');
          assert.deepEqual(loud, [], `${c.name}: expected silence, got:\n${describeFindings(loud)}`);
        }
        checkCaseShape(c, run);
      });
    }

    it('healthy: recomputed cross-entropy equals the loss PyTorch logged to ≤ 1e-6 relative', async () => {
      const run = await loadOne(path.join(root(), 'healthy'));
      const recs = run.logitRecords();
      assert.equal(recs.length, 7, '6 train records (every 25 of 150 steps) + the final val batch');
      const sidecar = recs.filter((r) => r.split === 'val');
      assert.equal(sidecar.length, 1);
      assert.deepEqual([...arrays(sidecar[0]!).logits.shape], [128, 10], 'the .npy sidecar batch');
      assert.equal(arrays(sidecar[0]!).logits.dtype, 'f4', 'float32 logits straight from the tensor buffer');
      assert.equal(sidecar[0]!.logits.data.length, 0, 'ingest keeps no sidecar arrays');
      for (const rec of recs) {
        assert.equal(rec.error, undefined);
        assert.equal(rec.lossFn, 'cross_entropy');
        assert.ok(rec.loggedLoss !== undefined && Number.isFinite(rec.loggedLoss) && rec.loggedLoss > 0.01);
        const ce = recomputedCe(rec);
        const e = relErr(ce, rec.loggedLoss!);
        assert.ok(e <= 1e-6, `step ${rec.step} (${rec.split}): recomputed ${ce} vs logged ${rec.loggedLoss}, rel ${e.toExponential(2)}`);
      }
    });
  });
}

/** Per-case facts of the logs themselves (so a broken example flag fails here too). */
function checkCaseShape(c: ExampleCase, run: RunView): void {
  const recs = run.logitRecords();
  const loss = run.series().find((s) => s.role === 'train_loss');
  assert.ok(loss && loss.length > 0, 'a train loss series');
  const last = recs[recs.length - 1]!;
  switch (c.name) {
    case 'label-equal-to-c': {
      // the batch that made the loss call raise: all 64 rows, no loss, holds label C = 10
      assert.equal(last.loggedLoss, undefined);
      assert.deepEqual([...arrays(last).logits.shape], [64, 10]);
      assert.ok(Array.from(arrays(last).labels.data).includes(10));
      const tail = fs.readFileSync(run.files[0]!, 'utf8').trimEnd().split('\n').pop()!;
      assert.match(tail, /"event": "error".*out of bounds/);
      break;
    }
    case 'high-lr-nan': {
      const vals = Array.from({ length: loss!.length }, (_, i) => loss!.value(i));
      assert.ok(
        vals.some((v) => Number.isNaN(v)),
        'NaN loss values are kept as data',
      );
      break;
    }
    case 'one-based-labels': {
      assert.equal(arrays(recs[0]!).logits.shape[1], 11, 'C + 1 outputs');
      const labels = recs.flatMap((r) => Array.from(arrays(r).labels.data));
      assert.equal(Math.min(...labels), 1);
      assert.equal(Math.max(...labels), 10);
      break;
    }
    case 'double-softmax': {
      const z = arrays(recs[0]!).logits;
      const c0 = z.shape[1]!;
      for (let i = 0; i < z.shape[0]!; i++) {
        let s = 0;
        for (let k = 0; k < c0; k++) s += z.data[i * c0 + k]!;
        assert.ok(Math.abs(s - 1) < 1e-5, 'the logged pre-loss input is probabilities');
      }
      break;
    }
    case 'one-hot-with-index-loss':
    case 'multi-label-with-softmax':
      assert.deepEqual([...arrays(recs[0]!).labels.shape], [6, 10], 'label rows, not class ids');
      if (c.name === 'one-hot-with-index-loss') assert.equal(recs[0]!.lossFn, 'nll');
      break;
    default:
      break;
  }
}

suite('committed logs in test/fixtures/runs', () => COMMITTED);

// Without torch the fresh-training tests are reported as pending (skipped), never as passed.
describe('e2e example runs: fresh PyTorch training', function () {
  this.timeout(200_000);
  const torch = hasTorch();
  const tmp = torch ? fs.mkdtempSync(path.join(os.tmpdir(), 'losswatch-e2e-')) : '';
  before(function () {
    if (!torch) this.skip();
    trainAll(tmp);
  });
  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });
  suite(`trained now with ${PYTHON}`, () => tmp);
});
