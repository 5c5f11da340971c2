// The checks over real logs read by the real ingest: PyTorch runs made by examples/train_classifier.py
// (test/fixtures/runs, see scripts/gen_example_runs.sh) and public logs of test/fixtures/real and ../shared/corpus.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkRunAsync } from '../../../src/core/checks/index';
import type { Finding, RunView } from '../../../src/core/model';
import { loadRuns } from '../../../src/ingest/index';
import { formatFindings, resolveInputs, run as cli } from '../../../src/cli/check';

const ROOT = path.resolve(__dirname, '../../..');
const RUNS = path.join(ROOT, 'test/fixtures/runs');
const CORPUS = path.join(ROOT, 'test/fixtures/real');
const SHARED = path.resolve(ROOT, '../shared/corpus');

async function findingsOf(dir: string): Promise<Finding[]> {
  const runs: RunView[] = await loadRuns([dir]);
  assert.ok(runs.length > 0, `no runs in ${dir}`);
  const out: Finding[] = [];
  for (const r of runs) out.push(...(await checkRunAsync(r)));
  return out;
}

const serious = (fs: Finding[]): string[] =>
  fs
    .filter((f) => f.severity === 'error' || f.severity === 'warning')
    .map((f) => f.code)
    .sort();

describe('checks: real PyTorch runs (examples/train_classifier.py)', () => {
  it('healthy: nothing at all', async () => {
    assert.deepEqual(await findingsOf(path.join(RUNS, 'healthy')), []);
  });

  it('learning rate far too high: non-finite loss at the first NaN line, with the gradient growth before it', async () => {
    const fs = await findingsOf(path.join(RUNS, 'high-lr-nan'));
    const codes = new Set(serious(fs));
    for (const c of ['non-finite-loss', 'non-finite-grad-norm', 'non-finite-logits']) assert.ok(codes.has(c), c);
    const train = fs.find((f) => f.code === 'non-finite-loss' && f.seriesKey === 'train/loss')!;
    const lines = readLines(path.join(RUNS, 'high-lr-nan/log.jsonl'));
    assert.match(lines[train.line! - 1]!, /"loss": NaN/);
    assert.match(train.message, /gradient norm grew/);
  });

  it('double softmax: probabilities passed as logits', async () => {
    assert.deepEqual(serious(await findingsOf(path.join(RUNS, 'double-softmax'))), ['probabilities-as-logits']);
  });

  it('tiny training set: overfitting, anchored after the best validation step', async () => {
    const fs = await findingsOf(path.join(RUNS, 'tiny-train-overfit'));
    assert.deepEqual(serious(fs), ['overfitting']);
    const f = fs.find((x) => x.code === 'overfitting')!;
    assert.match(f.message, /keep the checkpoint from step 19/);
  });

  it('a label equal to C: label-out-of-range on the logged batch', async () => {
    const fs = await findingsOf(path.join(RUNS, 'label-equal-to-c'));
    assert.deepEqual(serious(fs), ['label-out-of-range']);
    assert.match(fs[0]!.message, /label 10 is outside 0…9/);
  });

  it('other bug flags: one-based labels, one-hot with an index loss, multi-hot with softmax', async () => {
    assert.deepEqual(serious(await findingsOf(path.join(RUNS, 'one-based-labels'))), ['label-one-based']);
    assert.deepEqual(serious(await findingsOf(path.join(RUNS, 'one-hot-with-index-loss'))), ['label-one-hot-vs-index']);
    assert.deepEqual(serious(await findingsOf(path.join(RUNS, 'multi-label-with-softmax'))), ['label-multi-hot']);
  });
});

function readLines(file: string): string[] {
  return fs.readFileSync(file, 'utf8').split('\n');
}

describe('checks: public logs of test/fixtures/real and ../shared/corpus (all healthy)', () => {
  for (const sub of ['lightning-csv', 'hf-trainer-state']) {
    it(`${sub}: nothing at warning or error`, async () => {
      assert.deepEqual(serious(await findingsOf(path.join(CORPUS, sub))), []);
    });
  }
  // TensorBoard event files are not committed: the Keras run is read from ../shared/corpus beside the clone
  it('keras-tfevents (../shared/corpus): nothing at warning or error', async function () {
    const dir = path.join(SHARED, 'keras-tfevents');
    if (!fs.existsSync(dir)) {
      this.test!.title += ` — pending: ${dir} is absent`;
      this.skip();
    }
    assert.deepEqual(serious(await findingsOf(dir)), []);
  });
});

describe('losswatch check (CLI)', () => {
  let out = '';
  let err = '';
  const orig = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  async function capture(argv: string[]): Promise<number> {
    out = '';
    err = '';
    process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
    process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
    try {
      return await cli(argv);
    } finally {
      process.stdout.write = orig.out;
      process.stderr.write = orig.err;
    }
  }

  it('text: file:line:col: severity code: message, exit 1 on errors', async () => {
    const code = await capture([path.join(RUNS, 'label-equal-to-c')]);
    assert.equal(code, 1);
    assert.match(out, /^\S*label-equal-to-c\/log\.jsonl:21:1: error label-out-of-range: Label out of range/m);
    // the problem matcher regexp contributed in package.json
    const re = /^(.+?):(\d+):(\d+): (error|warning|information|hint) ([a-z0-9-]+): (.*)$/;
    const first = out.split('\n')[0]!;
    assert.ok(re.test(first), first);
  });

  it('json: array of {file, line, column, severity, code, message}; exit 0 without errors', async () => {
    const code = await capture([path.join(RUNS, 'tiny-train-overfit'), '--format', 'json']);
    assert.equal(code, 0);
    const rows = JSON.parse(out) as Array<Record<string, unknown>>;
    assert.deepEqual(Object.keys(rows[0]!).sort(), ['code', 'column', 'file', 'line', 'message', 'severity']);
    assert.equal(rows.find((r) => r.code === 'overfitting')?.severity, 'warning');
    assert.equal(await capture([path.join(RUNS, 'healthy'), '--format=json']), 0);
    assert.deepEqual(JSON.parse(out), []);
  });

  it('github: workflow annotations with escaped data', () => {
    const s = formatFindings(
      [{ code: 'overfitting', severity: 'warning', message: 'a, b: 100%\nnext', file: '/x/log,1.jsonl', line: 3 }],
      'github',
      '/x',
    );
    assert.equal(s, '::warning file=log%2C1.jsonl,line=3,col=1,title=LossWatch overfitting::a, b: 100% next\n'.replace('100%', '100%25'));
  });

  it('globs, --severity, usage errors', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-check-'));
    fs.mkdirSync(path.join(tmp, 'r1'));
    fs.writeFileSync(path.join(tmp, 'r1/log.jsonl'), '{"step": 0, "loss": 1.0}\n{"step": 1, "loss": NaN}\n');
    fs.writeFileSync(path.join(tmp, 'notes.txt'), 'x');
    assert.deepEqual(resolveInputs(['**/*.jsonl'], tmp), [path.join(tmp, 'r1/log.jsonl')]);
    assert.deepEqual(resolveInputs([path.join(tmp, 'r*/log.jsonl')], '/'), [path.join(tmp, 'r1/log.jsonl')]);
    assert.equal(await capture([path.join(tmp, '*/log.jsonl')]), 1);
    assert.match(out, /error non-finite-loss/);
    assert.equal(await capture([path.join(tmp, '*/log.jsonl'), '--severity', 'non-finite-loss=warning']), 0);
    assert.match(out, /warning non-finite-loss/);
    assert.equal(await capture([path.join(tmp, 'nothing-*.jsonl')]), 2);
    assert.match(err, /no files match/);
    assert.equal(await capture(['--format', 'xml', tmp]), 2);
    assert.equal(await capture(['--severity', 'nope=off', tmp]), 2);
    assert.equal(await capture([]), 2);
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});
