import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { run } from '../../../src/cli/series';
import { FIXTURES } from './helpers';

async function capture(argv: string[]): Promise<{ code: number; out: string }> {
  const orig = process.stdout.write.bind(process.stdout);
  let out = '';
  (process.stdout as unknown as { write: (s: string) => boolean }).write = (s: string) => ((out += s), true);
  try {
    const code = await run(argv);
    return { code, out };
  } finally {
    (process.stdout as unknown as { write: typeof orig }).write = orig;
  }
}

describe('losswatch series', () => {
  it('--format json lists runs → series with role, split, counts, first/last step and value', async () => {
    const { code, out } = await capture([path.join(FIXTURES, 'lightning_metrics.csv'), '--format', 'json']);
    assert.equal(code, 0);
    const j = JSON.parse(out) as {
      runs: {
        format: string;
        series: {
          key: string;
          role: string;
          split: string;
          points: number;
          first: { step: number };
          last: { step: number; value: number };
        }[];
      }[];
    };
    assert.equal(j.runs.length, 1);
    const vl = j.runs[0]!.series.find((s) => s.key === 'val_loss')!;
    assert.deepEqual(
      [vl.role, vl.split, vl.points, vl.first.step, vl.last.step, vl.last.value],
      ['val_loss', 'val', 2, 68, 137, 0.14366206526756287],
    );
  });
  it('text output; non-finite values printed; nothing found → exit 1', async () => {
    const { code, out } = await capture([path.join(FIXTURES, 'metrics.jsonl')]);
    assert.equal(code, 0);
    assert.match(out, /grad_norm\s+grad_norm\s+train/);
    assert.match(out, /1 malformed in .*metrics\.jsonl: line 5/);
    const none = await capture([path.join(FIXTURES, 'does-not-exist.jsonl')]);
    assert.equal(none.code, 1);
  });
});
