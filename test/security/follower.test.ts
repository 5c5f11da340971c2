// Hardening of the follower: huge whole files, buffer memory per followed file, FIFOs, unreadable
// trainer_state.json. Large files are sparse (ftruncate): nothing big is written to disk or memory.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { Follower, MAX_READ, NotRegularFileError, openRegular } from '../../src/ingest/follower';
import { LogWatcher, loadRuns } from '../../src/ingest/index';
import { cli, mkfifo, tmpDir } from './helpers';

const GiB = 1 << 30;

function sparse(file: string, bytes: number, head = ''): void {
  const fd = fs.openSync(file, 'w');
  try {
    if (head) fs.writeSync(fd, head);
    fs.ftruncateSync(fd, bytes);
  } finally {
    fs.closeSync(fd);
  }
}

/** Records the length of every FileHandle.read while `fn` runs. */
async function readLengths<T>(fn: () => Promise<T>): Promise<{ result: T; lengths: number[] }> {
  const probe = await fsp.open(__filename, 'r');
  const proto = Object.getPrototypeOf(probe) as { read: (...a: unknown[]) => Promise<unknown> };
  await probe.close();
  const orig = proto.read;
  const lengths: number[] = [];
  proto.read = function (this: unknown, ...a: unknown[]) {
    if (typeof a[2] === 'number') lengths.push(a[2]);
    return orig.apply(this, a);
  };
  try {
    return { result: await fn(), lengths };
  } finally {
    proto.read = orig;
  }
}

describe('security: whole-file formats (trainer_state.json)', function () {
  this.timeout(60000);
  let dir: string;
  before(() => (dir = tmpDir()));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a 2.5 GiB trainer_state.json does not abort the CLI: parse-error naming the size limit', async () => {
    const f = path.join(dir, 'big', 'trainer_state.json');
    fs.mkdirSync(path.dirname(f));
    sparse(f, 2.5 * GiB, '{"log_history": [');
    const r = await cli(['series', '--format', 'json', f], { timeoutMs: 60000 });
    assert.equal(r.timedOut, false, 'CLI hung');
    assert.equal(r.signal, null, `CLI died: ${r.err}`);
    assert.notEqual(r.code, 134, r.err);
    const j = JSON.parse(r.out) as { runs: { parseErrors: { firstMessage: string }[] }[] };
    assert.equal(j.runs.length, 1);
    assert.match(j.runs[0]!.parseErrors[0]!.firstMessage, /2560 MiB is larger than the 256 MiB limit .*losswatch\.limits\.wholeFileMiB/);
  });

  it('whole files are read in slices of at most 64 MiB (a file over the int32 read limit would need one)', async () => {
    const f = path.join(dir, 'mid', 'trainer_state.json');
    fs.mkdirSync(path.dirname(f));
    const size = MAX_READ + (4 << 20);
    sparse(f, size, '{"log_history": [{"step": 1, "loss": 1}], "x": "');
    const { result: runs, lengths } = await readLengths(() => loadRuns([f], { maxWholeBytes: 128 << 20 }));
    assert.ok(lengths.length >= 2, `reads: ${lengths.join(',')}`);
    assert.ok(Math.max(...lengths) <= MAX_READ, `largest read ${Math.max(...lengths)}`);
    // the content was read (and found not to be valid JSON: the string runs into NUL bytes up to the end)
    assert.equal(runs.length, 1);
    assert.match(runs[0]!.parseErrors()[0]!.firstMessage, /not valid JSON|unreadable/);
  });

  it('the cap is a setting: a file over maxWholeBytes is refused, under it read', async () => {
    const f = path.join(dir, 'cap', 'trainer_state.json');
    fs.mkdirSync(path.dirname(f));
    fs.writeFileSync(
      f,
      JSON.stringify(
        {
          log_history: [
            { step: 1, loss: 2 },
            { step: 2, loss: 1 },
          ],
        },
        null,
        2,
      ),
    );
    const small = await loadRuns([f], { maxWholeBytes: 16 });
    assert.match(small[0]!.parseErrors()[0]!.firstMessage, /larger than the .* limit/);
    assert.equal(small[0]!.getSeries('loss')?.length ?? 0, 0);
    const ok = await loadRuns([f], { maxWholeBytes: 1 << 20 });
    assert.equal(ok[0]!.getSeries('loss')!.length, 2);
    assert.deepEqual(ok[0]!.parseErrors(), []);
  });

  it('a nesting bomb ([ × 1e6) is reported as a parse-error, no stack overflow', async () => {
    const f = path.join(dir, 'bomb', 'trainer_state.json');
    fs.mkdirSync(path.dirname(f));
    fs.writeFileSync(f, '{"log_history": ' + '['.repeat(1e6) + ']'.repeat(1e6) + '}');
    const runs = await loadRuns([f]);
    assert.equal(runs.length, 1);
    assert.match(runs[0]!.parseErrors()[0]!.firstMessage, /nested too deeply/);
    const r = await cli(['series', '--format', 'json', f], { timeoutMs: 60000 });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /nested too deeply/);
  });

  it('invalid JSON in the middle is reported with its line; a cut-short file is reported by the one-shot CLI', async () => {
    const f = path.join(dir, 'bad', 'trainer_state.json');
    fs.mkdirSync(path.dirname(f));
    fs.writeFileSync(f, '{\n  "log_history": [\n    {"step": 1, "loss": 1},\n    {"step": 2 "loss": 1}\n  ]\n}\n');
    const runs = await loadRuns([f]);
    const e = runs[0]!.parseErrors()[0]!;
    assert.equal(e.firstLine, 4);
    assert.match(e.firstMessage, /not valid JSON/);
    fs.writeFileSync(f, '{\n  "log_history": [\n    {"step": 1, "loss": 1},\n    {"step": 2, "lo');
    const cut = await loadRuns([f]);
    assert.match(cut[0]!.parseErrors()[0]!.firstMessage, /unreadable: not valid JSON \(unexpected end/);
  });

  it('a trainer_state.json that cannot be opened (EACCES) is reported, not ignored', async () => {
    const f = path.join(dir, 'noperm', 'trainer_state.json');
    fs.mkdirSync(path.dirname(f));
    fs.writeFileSync(f, '{"log_history": []}');
    // running as root, chmod 000 would not stop the read: make open() fail as it would for a user
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- patches the CommonJS module object (an ESM namespace is read-only)
    const fspm = require('node:fs/promises') as { open: (...a: unknown[]) => Promise<unknown> };
    const orig = fspm.open;
    fspm.open = async (...a: unknown[]) => {
      if (a[0] === f && typeof a[1] === 'number')
        throw Object.assign(new Error(`EACCES: permission denied, open '${f}'`), { code: 'EACCES' });
      return orig(...a);
    };
    try {
      const errors: string[] = [];
      const fo = new Follower(
        f,
        {
          data: () => undefined,
          whole: () => undefined,
          restart: () => undefined,
          gone: () => undefined,
          settled: () => undefined,
          ioError: (m) => errors.push(m),
        },
        { whole: true, watch: false },
      );
      await fo.start();
      fo.dispose();
      assert.deepEqual(errors, [`${f}: cannot open: EACCES: permission denied, open '${f}'`]);
    } finally {
      fspm.open = orig;
    }
  });

  it('watch mode: a file that stays cut short is reported after the quiet-period retries; fixing it clears the error', async () => {
    const f = path.join(dir, 'live', 'trainer_state.json');
    fs.mkdirSync(path.dirname(f));
    fs.writeFileSync(f, '{"log_history": [{"step": 1, "loss": 1}, {"st');
    const w = new LogWatcher({ coalesceMs: 10 });
    try {
      // retries run at the follower's default quiet period (1 s) twice
      const run = (await w.add(f))!;
      assert.ok(run);
      assert.deepEqual(run.parseErrors(), [], 'reported before any retry (could be a write in progress)');
      const t0 = Date.now();
      while (run.parseErrors().length === 0 && Date.now() - t0 < 20000) await new Promise((r) => setTimeout(r, 50));
      assert.match(run.parseErrors()[0]?.firstMessage ?? 'none', /unreadable: not valid JSON/);
      fs.writeFileSync(f, '{"log_history": [{"step": 1, "loss": 1}, {"step": 2, "loss": 0.5}]}');
      const t1 = Date.now();
      while ((run.getSeries('loss')?.length ?? 0) < 2 && Date.now() - t1 < 20000) await new Promise((r) => setTimeout(r, 50));
      assert.equal(run.getSeries('loss')?.length, 2);
      assert.deepEqual(run.parseErrors(), []);
    } finally {
      w.dispose();
    }
  });
});

describe('security: read buffers are sized to the file', function () {
  this.timeout(120000);
  it('2,000 tiny followed files: array-buffer memory grows by < 16 KiB per file', async () => {
    const dir = tmpDir();
    try {
      const n = 2000;
      for (let i = 0; i < n; i++) fs.writeFileSync(path.join(dir, `f${i}.jsonl`), `{"step": ${i}, "loss": 1}\n`);
      const followers: Follower[] = [];
      let bytes = 0;
      global.gc?.();
      const before = process.memoryUsage().arrayBuffers;
      for (let i = 0; i < n; i++) {
        const fo = new Follower(
          path.join(dir, `f${i}.jsonl`),
          {
            data: (c) => (bytes += c.length),
            restart: () => undefined,
            gone: () => undefined,
            settled: () => undefined,
          },
          { watch: false },
        );
        await fo.start();
        followers.push(fo);
      }
      global.gc?.();
      const perFile = (process.memoryUsage().arrayBuffers - before) / n;
      for (const fo of followers) fo.dispose();
      assert.ok(bytes > 20 * n, 'files were read');
      assert.ok(perFile < 16 << 10, `${Math.round(perFile)} bytes of array buffers per followed file`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('1,000 followed files in watch mode share the safety stat: at most 256 re-checks per interval, not one per file', async () => {
    const dir = tmpDir();
    const followers: Follower[] = [];
    try {
      const n = 1000;
      for (let i = 0; i < n; i++) fs.writeFileSync(path.join(dir, `f${i}.jsonl`), '{"step": 1, "loss": 1}\n');
      for (let i = 0; i < n; i++) {
        const fo = new Follower(
          path.join(dir, `f${i}.jsonl`),
          { data: () => undefined, restart: () => undefined, gone: () => undefined, settled: () => undefined },
          { safetyPollMs: 50 },
        );
        await fo.start();
        followers.push(fo);
      }
      const passes = (): number => followers.reduce((a, f) => a + f.stats.passes, 0);
      const p0 = passes();
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, 600));
      const ticks = (Date.now() - t0) / 50 + 2;
      const extra = passes() - p0;
      assert.ok(extra <= 256 * ticks, `${extra} safety passes in ${Date.now() - t0} ms`);
      assert.ok(extra > 0, 'the safety stat still runs');
    } finally {
      for (const fo of followers) fo.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a growing file still arrives whole and in order (buffer grows geometrically up to the chunk size)', async () => {
    const dir = tmpDir();
    try {
      const f = path.join(dir, 'g.bin');
      const data = new Uint8Array(3 << 20).map((_, i) => (i * 7) & 255);
      fs.writeFileSync(f, data.subarray(0, 10));
      const got: number[] = [];
      const fo = new Follower(
        f,
        {
          data: (c) => {
            for (const v of c) got.push(v);
          },
          restart: () => undefined,
          gone: () => undefined,
          settled: () => undefined,
        },
        { watch: false, chunkBytes: 1 << 20 },
      );
      await fo.start();
      fs.appendFileSync(f, data.subarray(10, 5000));
      await fo.check();
      fs.appendFileSync(f, data.subarray(5000));
      await fo.check();
      fo.dispose();
      assert.equal(got.length, data.length);
      assert.ok(got.every((v, i) => v === data[i]));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('security: FIFOs and other non-regular files', function () {
  this.timeout(60000);
  let dir: string;
  before(function () {
    dir = tmpDir();
    if (!mkfifo(path.join(dir, 'pipe.jsonl'))) this.skip();
    fs.writeFileSync(path.join(dir, 'ok.jsonl'), '{"step": 1, "loss": 1}\n');
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it('openRegular refuses a FIFO without blocking', async () => {
    await assert.rejects(
      openRegular(path.join(dir, 'pipe.jsonl')),
      (e: unknown) => e instanceof NotRegularFileError && /FIFO/.test(e.message),
    );
  });

  it('the follower reports a FIFO and the event loop keeps ticking', async () => {
    let ticks = 0;
    const t = setInterval(() => ticks++, 5);
    const errors: string[] = [];
    const fo = new Follower(
      path.join(dir, 'pipe.jsonl'),
      { data: () => undefined, restart: () => undefined, gone: () => undefined, settled: () => undefined, ioError: (m) => errors.push(m) },
      { watch: false },
    );
    try {
      await fo.start();
      const t0 = Date.now();
      while (Date.now() - t0 < 100) await new Promise((r) => setTimeout(r, 10));
    } finally {
      clearInterval(t);
      fo.dispose();
    }
    assert.ok(ticks >= 3, `event loop ticked ${ticks} times`);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /a FIFO, not a regular file/);
  });

  it('a watched folder with a FIFO: the watcher and the CLI finish and read the regular file', async () => {
    const w = new LogWatcher({});
    try {
      const run = await Promise.race([w.add(dir), new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10000))]);
      assert.notEqual(run, 'hung');
    } finally {
      w.dispose();
    }
    const r = await cli(['series', '--format', 'json', dir], { timeoutMs: 30000 });
    assert.equal(r.timedOut, false, 'CLI hung on a FIFO');
    const j = JSON.parse(r.out) as { runs: { name: string }[] };
    assert.deepEqual(
      j.runs.map((x) => x.name),
      ['ok.jsonl'],
    );
    const one = await cli(['series', path.join(dir, 'pipe.jsonl')], { timeoutMs: 30000 });
    assert.equal(one.timedOut, false, 'CLI hung on a FIFO given by name');
    const chk = await cli(['check', path.join(dir, 'pipe.jsonl'), path.join(dir, 'ok.jsonl')], { timeoutMs: 30000 });
    assert.equal(chk.timedOut, false, 'check hung on a FIFO given by name');
    assert.match(chk.err, /pipe\.jsonl: not a regular file \(FIFO, socket or device\): not read/);
    assert.match(chk.err, /1 run\b/);
  });

  it('an MLflow run whose meta.yaml is a FIFO: named after its folder, nothing hangs', async () => {
    const run = path.join(dir, 'mlruns', '0', 'abc123');
    fs.mkdirSync(path.join(run, 'metrics'), { recursive: true });
    fs.writeFileSync(path.join(run, 'metrics', 'loss'), '1700000000000 1.5 1\n');
    assert.ok(mkfifo(path.join(run, 'meta.yaml')));
    const runs = await Promise.race([loadRuns([run]), new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10000))]);
    assert.notEqual(runs, 'hung');
    assert.deepEqual(
      (runs as { name: string }[]).map((r) => r.name),
      ['abc123'],
    );
  });
});
