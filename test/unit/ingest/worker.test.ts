// The worker-thread first read (bundled like dist/ingest-worker.js) gives the same run as the
// main-thread read, and following continues from where the worker stopped.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import type { RunView } from '../../../src/core/model';
import { bulkStats, LogWatcher, loadRuns } from '../../../src/ingest/index';
import { tmpDir, until } from './helpers';

function dump(run: RunView): unknown {
  return run.series().map((s) => {
    const rows: unknown[] = [];
    for (let i = 0; i < s.length; i++) rows.push([s.step(i), s.value(i), s.epoch(i), s.provenance(i).line]);
    return [s.key, s.role, rows];
  });
}

describe('ingest/worker first read', function () {
  let dir: string;
  let script: string;
  before(async () => {
    dir = tmpDir();
    script = path.join(dir, 'ingest-worker.js');
    await esbuild.build({
      entryPoints: [path.resolve(__dirname, '../../../src/ingest/worker.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: script,
      logLevel: 'error',
    });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const kind of ['jsonl', 'csv'] as const) {
    it(`${kind}: same series as the main thread, then following continues`, async () => {
      const f = path.join(dir, kind === 'csv' ? 'metrics.csv' : 'm.jsonl');
      // CSV: train_loss and lr on every row (shared rows), val_loss sparse, extra dense for a while then
      // sparse (leaves the shared rows), late starts after 10000 rows (joins them later)
      let text = kind === 'csv' ? 'epoch,step,train_loss,val_loss,lr,extra,late\n' : '';
      for (let i = 0; i < 20000; i++) {
        text +=
          kind === 'csv'
            ? `${i >> 10},${i},${1 / (i + 1)},${i % 100 === 0 ? 0.5 : ''},${(i % 7) / 10},${i < 9000 || i % 3 === 0 ? i / 3 : ''},${i >= 10000 ? i * 2 : ''}\n`
            : `{"step": ${i}, "epoch": ${i >> 10}, "loss": ${1 / (i + 1)}, "lr": NaN}\n`;
      }
      text += kind === 'csv' ? '99,20000,0.' : '{"step": 20000, "loss"'; // a partial last line
      fs.writeFileSync(f, text);
      const w = new LogWatcher({ workerScript: script, workerThreshold: 1024, coalesceMs: 10 });
      try {
        const run = await w.add(f);
        assert.ok(run);
        const key = kind === 'csv' ? 'train_loss' : 'loss';
        assert.equal(run.getSeries(key)!.length, 20000); // the partial line is held
        fs.appendFileSync(f, kind === 'csv' ? '5,,0.1,,\n' : ': 0.5}\n');
        await until(() => run.getSeries(key)!.length === 20001);
        const [main] = await loadRuns([f]); // main thread, complete file
        assert.deepEqual(dump(run), dump(main!));
        if (kind === 'csv') {
          assert.equal(run.getSeries('extra')!.length, 9000 + Math.ceil(11000 / 3));
          assert.equal(run.getSeries('late')!.length, 10000);
          assert.equal(run.getSeries('late')!.provenance(0).line, 10002);
          // the worker's batches keep the shared rows: the same store layout as the main-thread read
          const fp = (r: RunView): { bytes: number; points: number } =>
            (r as unknown as { footprint(): { bytes: number; points: number } }).footprint();
          assert.deepEqual(fp(run), fp(main!));
          assert.ok(fp(run).bytes / fp(run).points <= 24);
        }
        assert.equal(run.getSeries(key)!.provenance(20000).line, kind === 'csv' ? 20002 : 20001);
      } finally {
        w.dispose();
      }
    });
  }
  // Split first reads: two workers parse the halves; the second half's batches are kept only when the
  // parser state it guessed from the file's first bytes is the state the first half ended with.
  const splitCases: { name: string; file: string; text: () => string; kept: boolean }[] = [
    {
      name: 'csv, CRLF: the halves are kept',
      file: 'split.csv',
      text: () => {
        let t = 'epoch,step,train_loss,val_loss,lr\r\n';
        for (let i = 0; i < 20000; i++) t += `${i >> 10},${i},${1 / (i + 1)},${i % 10 === 0 ? 0.5 + i / 1e6 : ''},${(i % 7) / 10}\r\n`;
        return t;
      },
      kept: true,
    },
    {
      name: 'jsonl, train and val lines: the halves are kept',
      file: 'split.jsonl',
      text: () => {
        let t = '';
        for (let i = 0; i < 20000; i++)
          t +=
            i % 10 === 9
              ? `{"step": ${i}, "split": "val", "loss": ${0.5 + i / 1e6}}\n`
              : `{"step": ${i}, "loss": ${1 / (i + 1)}, "lr": ${i * 1e-7}}\n`;
        return t;
      },
      kept: true,
    },
    {
      name: 'csv, a column whose first value comes after the priming bytes: redone from the first half’s state',
      file: 'late.csv',
      text: () => {
        let t = 'step,loss,late\n';
        for (let i = 0; i < 20000; i++) t += `${i},${1 / (i + 1)},${i >= 3000 ? i : ''}\n`;
        return t;
      },
      kept: false,
    },
    {
      name: 'jsonl without steps (record-index steps): redone',
      file: 'nostep.jsonl',
      text: () => {
        let t = '';
        for (let i = 0; i < 20000; i++) t += `{"loss": ${1 / (i + 1)}}\n`;
        return t;
      },
      kept: false,
    },
    {
      name: 'jsonl with malformed lines in the second half (their errors carry line numbers): redone',
      file: 'bad.jsonl',
      text: () => {
        let t = '';
        for (let i = 0; i < 20000; i++)
          t += i === 15000 || i === 17777 ? '{"step": 1, "loss": \n' : `{"step": ${i}, "loss": ${1 / (i + 1)}}\n`;
        return t;
      },
      kept: false,
    },
  ];
  for (const c of splitCases) {
    it(`split first read, ${c.name}; the same run as one sequential read`, async () => {
      const f = path.join(dir, c.file);
      fs.writeFileSync(f, c.text());
      const before = { ...bulkStats };
      const [run] = await loadRuns([f], { workerScript: script, workerThreshold: 1024, workerSplit: { minBytes: 1024, primeBytes: 4096 } });
      assert.equal(bulkStats.split, before.split + 1, 'the read was split');
      assert.equal(bulkStats.kept, before.kept + (c.kept ? 1 : 0), c.kept ? 'second half kept' : 'second half redone');
      const [main] = await loadRuns([f]);
      assert.deepEqual(dump(run!), dump(main!));
      assert.deepEqual(run!.parseErrors(), main!.parseErrors());
      if (c.file === 'bad.jsonl') assert.ok(JSON.stringify(main!.parseErrors()).includes('15001'));
    });
  }

  it('split first read whose second half would hold more column bytes than allowed: redone, the same run', async () => {
    const f = path.join(dir, 'wide.csv');
    let t = 'step,' + Array.from({ length: 40 }, (_, k) => `m${k}`).join(',') + '\n';
    for (let i = 0; i < 4000; i++) t += `${i},` + Array.from({ length: 40 }, (_, k) => (i + k) % 10).join(',') + '\n';
    fs.writeFileSync(f, t);
    const before = { ...bulkStats };
    const opts = { workerScript: script, workerThreshold: 1024, workerSplit: { minBytes: 1024, primeBytes: 4096, maxHeldBytes: 64 << 10 } };
    const [run] = await loadRuns([f], opts);
    assert.equal(bulkStats.split, before.split + 1);
    assert.equal(bulkStats.kept, before.kept, 'second half redone (its batches exceeded the cap)');
    const [main] = await loadRuns([f]);
    assert.deepEqual(dump(run!), dump(main!));
  });

  it('split first read while following: appends after the read continue the second half’s state and lines', async () => {
    const f = path.join(dir, 'follow-split.csv');
    let t = 'step,loss\n';
    for (let i = 0; i < 20000; i++) t += `${i},${1 / (i + 1)}\n`;
    fs.writeFileSync(f, t + '20000,0.');
    const before = bulkStats.kept;
    const w = new LogWatcher({
      workerScript: script,
      workerThreshold: 1024,
      workerSplit: { minBytes: 1024, primeBytes: 4096 },
      coalesceMs: 10,
    });
    try {
      const run = await w.add(f);
      assert.ok(run);
      assert.equal(bulkStats.kept, before + 1);
      assert.equal(run.getSeries('loss')!.length, 20000);
      fs.appendFileSync(f, '5\n20001,0.25\n');
      await until(() => run.getSeries('loss')!.length === 20002);
      const [main] = await loadRuns([f]);
      assert.deepEqual(dump(run), dump(main!));
      assert.equal(run.getSeries('loss')!.provenance(20001).line, 20003);
    } finally {
      w.dispose();
    }
  });
  it('a folder loaded two files at a time through the workers gives the runs of a sequential load', async () => {
    const root = path.join(dir, 'sweep');
    for (let r = 0; r < 7; r++) {
      const d = path.join(root, `lr_${r}`);
      fs.mkdirSync(d, { recursive: true });
      let t = r % 2 ? 'step,loss,val_loss\n' : '';
      for (let i = 0; i < 3000 + r * 500; i++)
        t += r % 2 ? `${i},${1 / (i + 1 + r)},${i % 100 === 99 ? 0.5 + r / 10 : ''}\n` : `{"step": ${i}, "loss": ${1 / (i + 1 + r)}}\n`;
      fs.writeFileSync(path.join(d, r % 2 ? 'metrics.csv' : 'metrics.jsonl'), t);
    }
    const byName = (runs: RunView[]): unknown[] =>
      runs.map((r) => [r.id, dump(r)]).sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1));
    const par = await loadRuns([root], { workerScript: script, workerThreshold: 1024, loadConcurrency: 2 });
    const seq = await loadRuns([root]);
    assert.equal(par.length, 7);
    assert.deepEqual(byName(par), byName(seq));
  });
});
