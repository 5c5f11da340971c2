// A throwing update listener: the watcher goes on (other listeners, later updates), and the failure is
// reported through onListenerError instead of being swallowed. readState() says what was read.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LogWatcher } from '../../../src/ingest/index';
import { tmpDir, until } from './helpers';

describe('ingest/watcher: listener errors are reported, reading goes on', () => {
  it('reports each throwing listener call with its run, and keeps delivering to the others', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'log.jsonl');
    fs.writeFileSync(file, '{"step": 1, "loss": 2}\n');
    const reported: { err: unknown; runId: string }[] = [];
    const w = new LogWatcher({ coalesceMs: 10, onListenerError: (err, runId) => reported.push({ err, runId }) });
    try {
      let seen = 0;
      w.onUpdate(() => {
        throw new Error('listener boom');
      });
      w.onUpdate(() => seen++);
      const run = await w.add(file);
      assert.ok(run);
      fs.appendFileSync(file, '{"step": 2, "loss": 1}\n');
      await until(() => (w.getRun(run.id)?.getSeries('loss')?.length ?? 0) === 2 && seen >= 1, 10000);
      await until(() => reported.length >= 1, 5000);
      assert.ok(reported.every((r) => r.runId === run.id));
      assert.match(String((reported[0]!.err as Error).message), /listener boom/);
      const st = w.readState().find((s) => s.file === file);
      assert.ok(st, 'readState lists the file');
      await until(() => {
        const s = w.readState().find((x) => x.file === file)!;
        return s.offset === fs.statSync(file).size && !s.busy && !s.pending;
      }, 5000);
    } finally {
      w.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without a reporter, a throwing listener goes to console.error (never silently)', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'log.jsonl');
    fs.writeFileSync(file, '{"step": 1, "loss": 2}\n');
    const w = new LogWatcher({ coalesceMs: 10 });
    const orig = console.error;
    const logged: unknown[][] = [];
    console.error = (...a: unknown[]) => void logged.push(a);
    try {
      w.onUpdate(() => {
        throw new Error('unreported boom');
      });
      await w.add(file);
      fs.appendFileSync(file, '{"step": 2, "loss": 1}\n');
      await until(() => logged.some((a) => a.some((x) => x instanceof Error && /unreported boom/.test(x.message))), 10000);
    } finally {
      console.error = orig;
      w.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
