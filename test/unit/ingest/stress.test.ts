// Follower under load: a child process appends many small JSONL writes (lines split across writes) while
// this process's event loop is blocked by synchronous work in long slices. Every record must arrive
// within a bounded time after the last append (0 lost, 0 doubled), in watch and in poll mode, also when
// the writer starts by truncating a previous complete run (scripts/demo-writer.mjs does that).
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunUpdate } from '../../../src/core/model';
import { LogWatcher } from '../../../src/ingest/index';
import { sleep, tmpDir } from './helpers';

const N = 300;
/** The writer: appends lines `{"step": i, "loss": i + tag}` in uneven pieces with short random pauses. */
const WRITER = `
const fs = require('node:fs');
const [file, n, tag, truncate] = process.argv.slice(1);
let s = 12345;
const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  if (truncate === '1') fs.writeFileSync(file, '');
  let text = '';
  for (let i = 0; i < Number(n); i++) text += JSON.stringify({ step: i, loss: i + Number(tag) }) + '\\n';
  let at = 0;
  while (at < text.length) {
    const k = 1 + Math.floor(rnd() * 90);
    fs.appendFileSync(file, text.slice(at, at + k));
    at += k;
    if (rnd() < 0.3) await sleep(Math.floor(rnd() * 6));
  }
})();
`;

function runWriter(file: string, tag: number, truncate: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['-e', WRITER, file, String(N), String(tag), truncate ? '1' : '0'], { stdio: 'ignore' });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(Date.now()) : reject(new Error(`writer exited with ${code}`))));
  });
}

/** Blocks the event loop in slices of 20–120 ms (deterministic), 5 ms apart, until stopped. */
function busy(): () => void {
  let k = 0;
  let stop = false;
  const tick = (): void => {
    if (stop) return;
    const t = Date.now() + 20 + ((k++ * 37) % 100);
    let x = 0;
    while (Date.now() < t) x += Math.sqrt(x + 1);
    if (x < 0) console.log(x);
    setTimeout(tick, 5);
  };
  setTimeout(tick, 0);
  return () => {
    stop = true;
  };
}

interface Counts {
  expected: number;
  seen: number;
  lost: number;
  doubled: number;
  wrong: number;
  ms: number;
}

async function scenario(mode: 'watch' | 'poll', truncateOld: boolean): Promise<Counts> {
  const dir = tmpDir();
  const f = path.join(dir, 'log.jsonl');
  const tag = 0.5;
  // a previous complete run (different values) when the writer truncates it, else an empty file
  fs.writeFileSync(
    f,
    truncateOld ? Array.from({ length: 128 }, (_, i) => JSON.stringify({ step: i, loss: i + 0.25 }) + '\n').join('') : '',
  );
  const w = new LogWatcher(mode === 'poll' ? { pollIntervalMs: 50 } : {});
  // what update events deliver, per generation (a consumer like the status bar sees only these)
  const byGen = new Map<number, { step: number; value: number }[]>();
  let lastGen = -1;
  w.onUpdate((u: RunUpdate) => {
    if (u.removed) return;
    const run = w.getRun(u.runId);
    const s = run?.getSeries('loss');
    const a = u.appended.find((x) => x.key === 'loss');
    if (!run || !s || !a) return;
    const list = byGen.get(run.generation) ?? [];
    for (let i = a.from; i < s.length; i++) list.push({ step: s.step(i), value: s.value(i) });
    byGen.set(run.generation, list);
    lastGen = Math.max(lastGen, run.generation);
  });
  try {
    const run = await w.add(f);
    assert.ok(run);
    const g0 = run.generation;
    const stop = busy();
    let end: number;
    try {
      end = await runWriter(f, tag, truncateOld);
    } finally {
      stop();
    }
    // bounded wait: everything must be delivered within 2 s of the last append (the safety stat is 1 s)
    const done = (): boolean => {
      const got = byGen.get(lastGen) ?? [];
      return got.length >= N && got[got.length - 1]!.step === N - 1;
    };
    while (!done() && Date.now() - end < 2000) await sleep(10);
    const ms = Date.now() - end;
    await sleep(150); // late duplicates would show up here
    if (truncateOld) assert.ok(lastGen > g0, 'the truncation reset the run');
    const got = byGen.get(lastGen) ?? [];
    const count = new Map<number, number>();
    let wrong = 0;
    for (const p of got) {
      count.set(p.step, (count.get(p.step) ?? 0) + 1);
      if (p.value !== p.step + tag) wrong++;
    }
    let lost = 0;
    let doubled = 0;
    for (let i = 0; i < N; i++) {
      const c = count.get(i) ?? 0;
      if (c === 0) lost++;
      if (c > 1) doubled += c - 1;
    }
    // the store itself agrees with the events
    const s = run.getSeries('loss')!;
    assert.equal(s.length, got.length, 'store length = delivered points');
    assert.equal(run.parseErrors().length, 0, JSON.stringify(run.parseErrors()));
    return { expected: N, seen: got.length, lost, doubled, wrong, ms };
  } finally {
    w.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

for (const mode of ['watch', 'poll'] as const) {
  describe(`ingest/follower under load (${mode} mode)`, function () {
    this.timeout(30000);
    for (const truncateOld of [false, true]) {
      it(`${truncateOld ? 'writer truncates a finished run, then ' : ''}${N} records in small appends while the event loop is busy: all arrive within 2 s, 0 lost, 0 doubled`, async () => {
        const c = await scenario(mode, truncateOld);
        assert.deepEqual(
          { expected: c.expected, seen: c.seen, lost: c.lost, doubled: c.doubled, wrong: c.wrong, inTime: c.ms < 2000 },
          { expected: N, seen: N, lost: 0, doubled: 0, wrong: 0, inTime: true },
          `records expected ${c.expected}, seen ${c.seen}, lost ${c.lost}, doubled ${c.doubled}, wrong values ${c.wrong}, last one ${c.ms} ms after the writer ended`,
        );
      });
    }
  });
}

describe('ingest/follower: failure paths never stop following', () => {
  it('concurrent add() of the same file: one follower, no doubled points', async () => {
    const dir = tmpDir();
    const f = path.join(dir, 'log.jsonl');
    fs.writeFileSync(f, '{"step": 0, "loss": 1}\n{"step": 1, "loss": 2}\n');
    const w = new LogWatcher({ coalesceMs: 10 });
    try {
      const [a, b, c] = await Promise.all([w.add(f), w.add(f), w.add(dir + '/./log.jsonl')]);
      assert.ok(a && a === b && a === c);
      fs.appendFileSync(f, '{"step": 2, "loss": 3}\n');
      const s = (): number[] => {
        const x = a.getSeries('loss')!;
        return Array.from({ length: x.length }, (_, i) => x.step(i));
      };
      const t0 = Date.now();
      while (s().length < 3 && Date.now() - t0 < 3000) await sleep(10);
      await sleep(100);
      assert.deepEqual(s(), [0, 1, 2]);
    } finally {
      w.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a hook that throws (parser or error reporter) does not stop the read loop', async () => {
    const { Follower } = await import('../../../src/ingest/follower');
    const dir = tmpDir();
    const f = path.join(dir, 'x.log');
    fs.writeFileSync(f, 'a\n');
    let got = '';
    let throws = 1;
    const fol = new Follower(
      f,
      {
        data: (chunk) => {
          if (throws-- > 0) throw new Error('parser bug');
          got += Buffer.from(chunk).toString();
        },
        restart: () => undefined,
        gone: () => undefined,
        settled: () => undefined,
        ioError: () => {
          throw new Error('reporter bug');
        },
      },
      { safetyPollMs: 50 },
    );
    try {
      await fol.start();
      fs.appendFileSync(f, 'b\n');
      const t0 = Date.now();
      while (!got.includes('b') && Date.now() - t0 < 3000) await sleep(10);
      assert.equal(got, 'b\n', 'appends after the failure are read');
    } finally {
      fol.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
