// `losswatch ce` (src/cli/ce.ts) run in-process: JSON output vs the torch fixtures, errors → exit 2.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { run } from '../../../src/cli/ce';
import { FIXTURES, manifest, num, type JNum } from './helpers';

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  let out = '';
  let err = '';
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    const code = await run(argv);
    return { code, out, err };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

const f = (n: string) => path.join(FIXTURES, n);

describe('cli: losswatch ce', () => {
  it('prints loss and gradNorm matching torch (weights + ignore_index + smoothing)', async () => {
    const c = manifest().cases.find((x) => x.name === 'weight_ignore_smooth')!;
    const r = await capture(
      [
        'ce',
        '--logits',
        f(c.files.logits),
        '--labels',
        f(c.files.target),
        '--weight',
        f(c.files.weight),
        '--label-smoothing',
        '0.15',
        '--reduction',
        'sum',
      ].slice(1),
    );
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    const want = c.results.sum as Record<string, JNum>;
    assert.ok(Math.abs(j.loss - num(want.loss)) <= 1e-12 * Math.abs(num(want.loss)));
    assert.ok(Math.abs(j.gradNorm - num(want.gradNorm)) <= 1e-12 * num(want.gradNorm));
  });

  it('writes non-finite values as JSON strings (all-ignored batch → "NaN")', async () => {
    const r = await capture(['--logits', f('all_ignored.logits.npy'), '--labels', f('all_ignored.target.npy')]);
    assert.equal(r.code, 0);
    assert.equal(JSON.parse(r.out).loss, 'NaN');
    const n = await capture([
      '--logits',
      f('neg_inf_target.logits.npy'),
      '--labels',
      f('neg_inf_target.target.npy'),
      '--reduction',
      'none',
    ]);
    assert.equal(JSON.parse(n.out).loss[1], 'Infinity');
  });

  it('bad input → one error line on stderr, exit 2', async () => {
    for (const argv of [
      ['--logits', f('npy/truncated.npy'), '--labels', f('basic.target.npy')],
      ['--logits', f('basic.logits.npy'), '--labels', f('c1.target.npy')],
      ['--logits', f('basic.logits.npy')],
      ['--logits', f('basic.logits.npy'), '--labels', f('basic.target.npy'), '--reduction', 'avg'],
      ['--logits', f('basic.logits.npy'), '--labels', f('basic.target.npy'), '--bogus', '1'],
    ]) {
      const r = await capture(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.equal(r.out, '');
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
      assert.match(r.err, /^losswatch ce: /);
    }
  });
});
