// `losswatch lint` end to end: output shapes, escaping and exit codes as `losswatch check`.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { run } from '../../../src/cli/lint';

const REPO = path.join(__dirname, '..', '..', '..');
const DIR = 'test/fixtures/scripts/cli';

function cli(args: string[], cwd = REPO): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ['--import', pathToFileURL(path.join(REPO, 'node_modules/tsx/dist/loader.mjs')).href, path.join(REPO, 'src/cli/main.ts'), ...args],
    { cwd, encoding: 'utf8', timeout: 60_000 },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `losswatch lint` in this process (no spawn) and returns its exit code and output. */
async function inProcess(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string) => ((stdout += c), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string) => ((stderr += c), true)) as typeof process.stderr.write;
  try {
    const cwd = process.cwd();
    process.chdir(REPO);
    try {
      return { status: await run(args.slice(1)), stdout, stderr };
    } finally {
      process.chdir(cwd);
    }
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}

describe('cli: losswatch lint', function () {
  this.timeout(60_000);

  it('json: every finding with file, 1-based line/column, severity, code; exit 1 on an error', () => {
    const r = cli(['lint', DIR, '--format', 'json']);
    assert.equal(r.status, 1, r.stderr);
    const rows = JSON.parse(r.stdout) as { file: string; line: number; column: number; severity: string; code: string }[];
    assert.deepEqual(
      rows.map((x) => `${x.file}:${x.line}:${x.column}:${x.severity}:${x.code}`),
      [`${DIR}/bce_logits.py:11:12:error:bce-on-logits`, `${DIR}/double_softmax.py:15:16:warning:softmax-before-cross-entropy`],
    );
  });

  it('text matches the $losswatch problem matcher; warnings only → exit 0; summary on stderr', async () => {
    const r = await inProcess(['lint', `${DIR}/double_softmax.py`, `${DIR}/clean.py`, `${DIR}/not_a_training_script.py`]);
    assert.equal(r.status, 0, r.stderr);
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
      contributes: { problemMatchers: { pattern: { regexp: string } }[] };
    };
    const re = new RegExp(pkg.contributes.problemMatchers[0]!.pattern.regexp);
    const first = r.stdout.split('\n')[0]!;
    const m = re.exec(first);
    assert.ok(m, first);
    assert.deepEqual([m[1], m[2], m[3], m[4], m[5]], [`${DIR}/double_softmax.py`, '15', '16', 'warning', 'softmax-before-cross-entropy']);
    assert.match(r.stdout, /^ {4}related: .*double_softmax\.py:23: reaches F\.cross_entropy here$/m);
    assert.match(r.stderr, /3 files \(2 linted\), 0 errors, 1 warning/);
  });

  it('github annotations escape file names; globs; --severity; exit 2 on usage and unreadable input', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-lint-'));
    try {
      const odd = path.join(tmp, 'a,b:c%.py');
      fs.copyFileSync(path.join(REPO, DIR, 'double_softmax.py'), odd);
      const g = cli(['lint', '--format', 'github', '*.py'], tmp);
      assert.equal(g.status, 0, g.stderr);
      assert.equal(
        g.stdout.split('\n')[0],
        '::warning file=a%2Cb%3Ac%25.py,line=15,col=16,title=LossWatch softmax-before-cross-entropy::' +
          g.stdout.split('::')[2]!.split('\n')[0],
      );
      const up = await inProcess(['lint', odd, '--severity', 'softmax-before-cross-entropy=error', '--format', 'json']);
      assert.equal(up.status, 1);
      assert.equal((JSON.parse(up.stdout) as { severity: string }[])[0]!.severity, 'error');
      const off = await inProcess(['lint', odd, '--severity=softmax-before-cross-entropy=off', '--format', 'json']);
      assert.deepEqual(JSON.parse(off.stdout), []);
      assert.equal((await inProcess(['lint'])).status, 2);
      assert.equal((await inProcess(['lint', 'no/such/file.py'])).status, 2);
      assert.equal((await inProcess(['lint', DIR, '--severity', 'loss-spike=off'])).status, 2);
      assert.equal((await inProcess(['lint', DIR, '--format', 'xml'])).status, 2);
      const big = path.join(tmp, 'big.py');
      fs.writeFileSync(big, 'import torch\n' + '#'.repeat(3 * 1024 * 1024) + '\n');
      const b = await inProcess(['lint', big]);
      assert.equal(b.status, 2);
      assert.match(b.stderr, /cannot read .*big\.py: larger than/);
      assert.match((await inProcess(['lint', '--list'])).stdout, /^softmax-before-cross-entropy +warning /m);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
