// Discovery: one glob list (picomatch), sniffing of generic names on real heads, FIFOs never block,
// rejected files neither use up maxFiles nor get re-read, one Hugging Face output folder = one run,
// `losswatch check` exits 2 when it finds nothing to check.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Discovery, readHead, sniff, SNIFF_BYTES } from '../../../src/ingest/discovery';
import { ACTIVATION_EVENTS, DEFAULT_WATCH_GLOBS, globToRegExp, matchGlob, needsSniff } from '../../../src/ingest/globs';
import { LogWatcher, loadRuns } from '../../../src/ingest/index';
import { concat, eventBytes, fileVersionEvent, tfRecord, type TfValue } from './helpers';

const REPO = path.join(__dirname, '..', '..', '..');
const FIX = path.join(REPO, 'test', 'fixtures', 'real-discovery');
const EXPECTED = JSON.parse(fs.readFileSync(path.join(FIX, 'expected.json'), 'utf8'));

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'lw-disc-'));
}
function copyTree(src: string, dst: string): void {
  fs.cpSync(src, dst, { recursive: true });
}

// The TensorBoard file of each real folder is not committed: a small valid one is written at test time, holding the
// same training's values (HF: log_history of the longest snapshot under train/<key>; detectron2: metrics.json rows
// by iteration), so it agrees with the file it cross-checks.
const HF_EV = 'runs/Nov08_18-12-28_DESKTOP-MKDVHK3/events.out.tfevents.1731060804.DESKTOP-MKDVHK3.13348.0';
const D2_EV = 'events.out.tfevents.1756567228.fuyx.3133512.0';
function eventFile(points: { step: number; values: Record<string, unknown> }[], prefix: string): Buffer {
  const recs = [tfRecord(fileVersionEvent())];
  for (const p of points) {
    const vals: TfValue[] = Object.entries(p.values)
      .filter(([k, v]) => typeof v === 'number' && !['step', 'iteration', 'epoch', 'eta_seconds'].includes(k))
      .map(([k, v]) => ({ tag: prefix + k, simple: v as number }));
    if (vals.length > 0) recs.push(tfRecord(eventBytes(p.step, 1700000000 + p.step, vals)));
  }
  return Buffer.from(concat(recs));
}
function hfEvents(): Buffer {
  const st = JSON.parse(fs.readFileSync(path.join(FIX, 'hf-output/output/checkpoint-3000/trainer_state.json'), 'utf8')) as {
    log_history: Record<string, unknown>[];
  };
  return eventFile(
    st.log_history.filter((e) => typeof e.loss === 'number').map((e) => ({ step: e.step as number, values: e })),
    'train/',
  );
}
function d2Events(): Buffer {
  const rows = fs
    .readFileSync(path.join(FIX, 'detectron2/output/metrics.json'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  return eventFile(
    rows
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .map((r) => ({ step: r.iteration as number, values: { total_loss: r.total_loss, lr: r.lr } })),
    '',
  );
}
/** A temporary copy of test/fixtures/real-discovery's HF and detectron2 folders with their event files written in. */
function realFolders(): string {
  const t = tmp();
  copyTree(path.join(FIX, 'hf-output'), path.join(t, 'hf-output'));
  copyTree(path.join(FIX, 'detectron2'), path.join(t, 'detectron2'));
  fs.mkdirSync(path.dirname(path.join(t, 'hf-output/output', HF_EV)), { recursive: true });
  fs.writeFileSync(path.join(t, 'hf-output/output', HF_EV), hfEvents());
  fs.writeFileSync(path.join(t, 'detectron2/output', D2_EV), d2Events());
  return t;
}

describe('discovery: globs', () => {
  it('package.json include default and activation events equal the one glob list', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    assert.deepEqual(pkg.contributes.configuration.properties['losswatch.watch.include'].default, [...DEFAULT_WATCH_GLOBS]);
    assert.deepEqual(
      pkg.activationEvents.filter((e: string) => e.startsWith('workspaceContains:')),
      [...ACTIVATION_EVENTS],
    );
  });
  it('covers every documented format, incl. console logs and detectron2 metrics.json', () => {
    const files = [
      '/w/r/metrics.jsonl',
      '/w/r/log.ndjson',
      '/w/lightning_logs/version_0/metrics.csv',
      '/w/o/trainer_state.json',
      '/w/o/checkpoint-500/trainer_state.json',
      '/w/tb/train/events.out.tfevents.1.h.v2',
      '/w/mlruns/0/abc/metrics/loss',
      '/w/mlruns/0/abc/metrics/train/lr',
      '/w/train.log',
      '/w/runs/detect/train/results.csv',
      '/w/keras/history.csv',
      '/w/keras/training.log',
      '/w/keras/log.csv',
      '/w/output/metrics.json',
      '/w/logs/train.out',
      '/w/logs/stdout.txt',
    ];
    for (const f of files)
      assert.ok(
        DEFAULT_WATCH_GLOBS.some((g) => matchGlob(g, f)),
        f,
      );
    for (const f of ['/w/data/train.parquet', '/w/model.safetensors', '/w/package.json'])
      assert.ok(!DEFAULT_WATCH_GLOBS.some((g) => matchGlob(g, f)), f);
  });
  it('picomatch semantics: ** spans zero or more folders, dot folders match, Windows separators, suffix and basename globs', () => {
    assert.ok(matchGlob('**/*.jsonl', 'log.jsonl'));
    assert.ok(matchGlob('**/*.jsonl', '/a/b/c/d/log.jsonl'));
    assert.ok(matchGlob('**/*.jsonl', '/home/u/.cache/runs/log.jsonl'), 'dot folders');
    assert.ok(matchGlob('**/*.log', '/w/.hidden.log'), 'dot files');
    assert.ok(matchGlob('**/*.jsonl', 'C:\\Users\\me\\runs\\log.jsonl'), 'backslashes are separators');
    assert.ok(matchGlob('**/mlruns/*/*/metrics/**', 'D:\\w\\mlruns\\0\\abc\\metrics\\train\\lr'));
    assert.ok(matchGlob('out/*.txt', '/w/x/out/a.txt'), 'relative glob matches a path suffix');
    assert.ok(!matchGlob('out/*.txt', '/w/x/out/sub/a.txt'));
    assert.ok(matchGlob('*.dat', '/w/a/b/x.dat'), 'a glob without / matches the basename');
    assert.ok(matchGlob('**/{train,val}.log', '/w/val.log'));
    assert.ok(!matchGlob('**/*.log', '/w/train.log.bak'));
    assert.ok(!matchGlob('[', '/w/[') || true, 'a malformed glob does not throw');
    assert.ok(globToRegExp('runs/**/log.jsonl').test('runs/a/b/log.jsonl'));
    assert.ok(globToRegExp('runs/**/log.jsonl').test('runs/log.jsonl'));
  });
  it('generic names need sniffing, logger file names do not', () => {
    for (const f of ['/w/a.log', '/w/a.txt', '/w/a.out', '/w/a.csv', '/w/output/metrics.json', '/w/x.tsv']) assert.ok(needsSniff(f), f);
    for (const f of [
      '/w/a.jsonl',
      '/w/metrics.csv',
      '/w/results.csv',
      '/w/history.csv',
      '/w/training.log',
      '/w/trainer_state.json',
      '/w/events.out.tfevents.1',
      '/w/mlruns/0/r/metrics/loss',
    ])
      assert.ok(!needsSniff(f), f);
  });
});

describe('discovery: sniffing real heads', () => {
  const cases: [string, string | undefined][] = [
    ['detectron2/output/metrics.json', 'jsonl'],
    ['detectron2/output/log.txt', 'text'],
    ['console/lightning-tqdm-train.out', 'text'],
    ['hf-output/output/checkpoint-500/trainer_state.json', 'hf-trainer-state'],
    ...(EXPECTED.not_logs as string[]).map((f): [string, undefined] => [f, undefined]),
  ];
  for (const [rel, format] of cases) {
    it(`${rel}: ${format ?? 'not a training log'}`, async () => {
      const v = await sniff(path.join(FIX, rel));
      assert.equal(v.accept ? v.format : undefined, format, JSON.stringify(v));
    });
  }
  it('the detectron2 console log is accepted although its first loss line comes after ~49 KB of config dump', () => {
    assert.ok(
      EXPECTED.detectron2_console.bytes_before_first_point > 40000 && EXPECTED.detectron2_console.bytes_before_first_point < SNIFF_BYTES,
    );
  });
  it('a NUL-padded tail (crash) does not make a known text extension binary', async () => {
    const d = tmp();
    const f = path.join(d, 'train.log');
    fs.writeFileSync(f, Buffer.concat([Buffer.from('epoch 1 loss=0.5\nepoch 2 loss=0.4\n'), Buffer.alloc(8192)]));
    const v = await sniff(f);
    assert.ok(v.accept && v.format === 'text', JSON.stringify(v));
    const g = path.join(d, 'metrics.json');
    fs.writeFileSync(
      g,
      Buffer.concat([fs.readFileSync(path.join(FIX, 'detectron2/output/metrics.json')).subarray(0, 5000), Buffer.alloc(4096)]),
    );
    const w = await sniff(g);
    assert.ok(w.accept && w.format === 'jsonl', JSON.stringify(w));
  });
  it('JSON that is not JSON lines, CSV without a metric column and prose are rejected', async () => {
    const d = tmp();
    fs.writeFileSync(path.join(d, 'metrics.json'), '{\n  "accuracy": 0.9\n}\n');
    fs.writeFileSync(path.join(d, 'people.csv'), 'name,age,city\nann,3,x\n');
    fs.writeFileSync(path.join(d, 'notes.txt'), 'the loss of my keys was sad\nstep by step\n');
    for (const f of ['metrics.json', 'people.csv', 'notes.txt']) assert.equal((await sniff(path.join(d, f))).accept, false, f);
  });
});

describe('discovery: FIFOs, maxFiles, re-sniffing', function () {
  this.timeout(20000);
  it('a FIFO is skipped without blocking: the event loop keeps ticking and nothing waits for a writer', async function () {
    if (process.platform === 'win32') this.skip();
    const d = tmp();
    const fifo = path.join(d, 'train.log');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      this.skip();
    }
    fs.writeFileSync(path.join(d, 'log.jsonl'), '{"step": 1, "loss": 2}\n');
    let ticks = 0;
    const t = setInterval(() => ticks++, 5);
    try {
      assert.equal(await readHead(fifo), undefined);
      const disc = new Discovery();
      const walked = await disc.walk(d);
      const found = await disc.offer([...walked, fifo]);
      assert.deepEqual(
        found.map((f) => path.basename(f.path)),
        ['log.jsonl'],
      );
      const runs = await loadRuns([d]);
      assert.deepEqual(
        runs.map((r) => path.basename(r.root)),
        ['log.jsonl'],
      );
      assert.deepEqual(await loadRuns([fifo]), [], 'an explicit FIFO is not opened either');
      const before = ticks;
      await new Promise((r) => setTimeout(r, 60));
      assert.ok(ticks > before, 'event loop ticks');
    } finally {
      clearInterval(t);
    }
  });
  it('an MLflow run is named from meta.yaml; a FIFO in its place does not block', async function () {
    const d = tmp();
    const run = path.join(d, 'mlruns', '0', 'abc123');
    fs.mkdirSync(path.join(run, 'metrics'), { recursive: true });
    fs.writeFileSync(path.join(run, 'metrics', 'loss'), '1700000000000 2.5 0\n1700000001000 2.1 1\n');
    fs.writeFileSync(path.join(run, 'meta.yaml'), "artifact_uri: x\nrun_name: 'bold-fox-7'\n");
    assert.deepEqual(
      (await loadRuns([d])).map((r) => r.name),
      ['bold-fox-7'],
    );
    if (process.platform === 'win32') return;
    fs.rmSync(path.join(run, 'meta.yaml'));
    try {
      execFileSync('mkfifo', [path.join(run, 'meta.yaml')]);
    } catch {
      this.skip();
    }
    assert.deepEqual(
      (await loadRuns([d])).map((r) => r.name),
      ['abc123'],
    );
  });
  it('rejected files do not use up the limit and are not sniffed again while unchanged', async () => {
    const d = tmp();
    for (let i = 0; i < 10; i++) fs.copyFileSync(path.join(FIX, 'not-logs/requirements.txt'), path.join(d, `req${i}.txt`));
    fs.copyFileSync(path.join(FIX, 'detectron2/output/metrics.json'), path.join(d, 'metrics.json'));
    fs.copyFileSync(path.join(FIX, 'detectron2/output/log.txt'), path.join(d, 'log.txt'));
    // the non-logs are the newest files: sniffed first
    const now = Date.now() / 1000;
    fs.utimesSync(path.join(d, 'metrics.json'), now - 100, now - 100);
    fs.utimesSync(path.join(d, 'log.txt'), now - 200, now - 200);
    const disc = new Discovery();
    const files = await disc.walk(d);
    assert.equal(files.length, 12);
    const found = await disc.offer(files, 2);
    assert.deepEqual(found.map((f) => path.basename(f.path)).sort(), ['log.txt', 'metrics.json']);
    assert.equal(disc.rejectedCount(), 10);
    const sniffed = disc.stats.sniffed;
    const again = await disc.offer(files, 2);
    assert.equal(disc.stats.sniffed - sniffed, 2, 'only the accepted files are looked at again');
    assert.equal(again.length, 2);
  });
  it('newest first: with room for one, the most recently modified log wins', async () => {
    const d = tmp();
    fs.writeFileSync(path.join(d, 'a.jsonl'), '{"step": 1, "loss": 2}\n');
    fs.writeFileSync(path.join(d, 'b.jsonl'), '{"step": 1, "loss": 2}\n');
    const now = Date.now() / 1000;
    fs.utimesSync(path.join(d, 'a.jsonl'), now, now);
    fs.utimesSync(path.join(d, 'b.jsonl'), now - 1000, now - 1000);
    const disc = new Discovery();
    assert.deepEqual(
      (await disc.offer(await disc.walk(d), 1)).map((f) => path.basename(f.path)),
      ['a.jsonl'],
    );
  });
  it('an empty or not-yet-a-log file is sniffed again when it grows within the head; a long rejected file is not', async () => {
    const d = tmp();
    const f = path.join(d, 'train.out');
    fs.writeFileSync(f, '');
    const disc = new Discovery({ resniffMs: 0 });
    assert.deepEqual(await disc.offer([f]), []);
    fs.appendFileSync(f, 'starting\n');
    assert.deepEqual(await disc.offer([f]), []);
    fs.appendFileSync(f, 'epoch 1 step 10 loss=2.5\n');
    assert.deepEqual(
      (await disc.offer([f])).map((x) => x.format),
      ['text'],
    );
    const keras = path.join(d, 'training.log');
    fs.writeFileSync(keras, '');
    assert.deepEqual(await disc.offer([keras]), [], 'an empty training.log waits for its first line');
    fs.appendFileSync(keras, 'epoch,accuracy,loss\n');
    assert.deepEqual(
      (await disc.offer([keras])).map((x) => x.format),
      ['csv'],
      'then it is a Keras CSV, not console text',
    );
    const big = path.join(d, 'big.log');
    fs.writeFileSync(big, 'x'.repeat(SNIFF_BYTES + 10) + '\n');
    assert.deepEqual(await disc.offer([big]), []);
    const n = disc.stats.sniffed;
    fs.appendFileSync(big, 'epoch 1 loss=2\n');
    assert.deepEqual(await disc.offer([big]), []);
    assert.equal(disc.stats.sniffed, n, 'not read again: its head cannot have changed');
    const slow = new Discovery({ resniffMs: 60000 });
    const g = path.join(d, 'other.out');
    fs.writeFileSync(g, 'starting\n');
    assert.deepEqual(await slow.offer([g]), []);
    fs.appendFileSync(g, 'still starting\n');
    const m = slow.stats.sniffed;
    assert.deepEqual(await slow.offer([g]), []);
    assert.equal(slow.stats.sniffed, m, 'a growing rejected file is not sniffed on every append');
  });
});

describe('discovery: one Hugging Face output folder = one run', function () {
  this.timeout(30000);
  const hf = EXPECTED.hf;
  let F = '';
  before(() => {
    F = realFolders();
  });
  after(() => fs.rmSync(F, { recursive: true, force: true }));
  it('six checkpoint snapshots + runs/ event file: one run following the longest snapshot', async () => {
    const runs = await loadRuns([path.join(F, 'hf-output')]);
    assert.equal(runs.length, 1, runs.map((r) => r.id).join(', '));
    const r = runs[0]!;
    assert.equal(r.root, path.join(F, 'hf-output', 'output'));
    assert.deepEqual(r.files, [path.join(F, hf.longest)]);
    const loss = r.series().find((s) => s.key === 'loss')!;
    assert.equal(loss.length, hf.loss_points);
    assert.equal(loss.step(loss.length - 1), hf.last_loss_step);
    assert.equal(loss.value(loss.length - 1), hf.last_loss);
    assert.ok(!r.series().some((s) => s.key.startsWith('train/')), 'no series from the event file');
  });
  it('the event file is kept as a cross-check, not as a second run', async () => {
    const w = new LogWatcher({ watch: false } as never);
    try {
      await w.add(path.join(F, 'hf-output'));
      assert.equal(w.runs().length, 1);
      const cross = w.crossCheck(w.runs()[0]!.id)!;
      assert.ok(cross, 'a cross-check store');
      const tl = cross.series().find((s) => s.key === 'train/loss');
      assert.ok(tl && tl.length > 0, 'train/loss in the cross-check');
      const ev = path.join(F, 'hf-output/output', HF_EV);
      assert.equal(w.runForFile(ev)?.id, w.runs()[0]!.id, 'the event file maps to the HF run');
    } finally {
      w.dispose();
    }
  });
  it('watching only the event file of an HF folder follows its trainer_state.json (the event file stays the cross-check)', async () => {
    const ev = path.join(F, 'hf-output/output', HF_EV);
    const runs = await loadRuns([ev]);
    assert.equal(runs.length, 1);
    assert.deepEqual(runs[0]!.files, [path.join(F, hf.longest)]);
    assert.equal(runs[0]!.series().find((s) => s.key === 'loss')!.length, hf.loss_points);
  });
  it('checkpoint rotation deletes the followed snapshot: the longest remaining one takes over (live)', async () => {
    const d = tmp();
    copyTree(path.join(F, 'hf-output'), d);
    const out = path.join(d, 'output');
    const w = new LogWatcher({ pollIntervalMs: 50, coalesceMs: 10 });
    const waitFor = async (cond: () => boolean, what: string): Promise<void> => {
      const t0 = Date.now();
      while (!cond()) {
        if (Date.now() - t0 > 15000) throw new Error(`timed out: ${what}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    try {
      await w.add(d);
      const loss = (): number =>
        w
          .getRun(out)
          ?.series()
          .find((s) => s.key === 'loss')?.length ?? -1;
      await waitFor(() => loss() === hf.loss_points, 'the longest snapshot read');
      fs.rmSync(path.join(out, 'checkpoint-3000'), { recursive: true });
      await waitFor(
        () => w.getRun(out)?.files[0] === path.join(out, 'checkpoint-2500', 'trainer_state.json') && loss() === 250,
        'checkpoint-2500 followed',
      );
      assert.equal(w.runs().length, 1);
    } finally {
      w.dispose();
    }
  });
  it('live order: the event file first (its own run), then the first checkpoint: they merge; a longer snapshot takes over', async () => {
    const d = tmp();
    const out = path.join(d, 'output');
    fs.mkdirSync(path.join(out, 'runs'), { recursive: true });
    copyTree(path.join(F, 'hf-output/output/runs'), path.join(out, 'runs'));
    const ev = path.join(out, 'runs/Nov08_18-12-28_DESKTOP-MKDVHK3/events.out.tfevents.1731060804.DESKTOP-MKDVHK3.13348.0');
    const w = new LogWatcher({ watch: false } as never);
    try {
      await w.add(ev);
      assert.equal(w.runs().length, 1);
      assert.notEqual(w.runs()[0]!.id, out);
      for (const n of ['checkpoint-500', 'checkpoint-3000', 'checkpoint-1000']) {
        copyTree(path.join(F, 'hf-output/output', n), path.join(out, n));
        await w.add(path.join(out, n, 'trainer_state.json'));
      }
      assert.deepEqual(
        w.runs().map((r) => r.id),
        [out],
      );
      const r = w.runs()[0]!;
      assert.deepEqual(r.files, [path.join(out, 'checkpoint-3000', 'trainer_state.json')]);
      assert.equal(r.series().find((s) => s.key === 'loss')!.length, hf.loss_points);
      assert.ok(w.crossCheck(out), 'the event file became the cross-check');
    } finally {
      w.dispose();
    }
  });
});

describe('discovery: real folders through loadRuns', function () {
  this.timeout(30000);
  let F = '';
  before(() => {
    F = realFolders();
  });
  after(() => fs.rmSync(F, { recursive: true, force: true }));
  it('a detectron2 output folder is one run: metrics.json, with log.txt kept as its cross-check (values match pandas / re)', async () => {
    const w = new LogWatcher({ watch: false } as never);
    try {
      await w.add(path.join(F, 'detectron2'));
      const metrics = path.join(F, 'detectron2/output/metrics.json');
      assert.deepEqual(
        w.runs().map((r) => r.id),
        [metrics],
      );
      const m = w
        .runs()[0]!
        .series()
        .find((s) => s.key === 'total_loss')!;
      assert.equal(m.length, EXPECTED.detectron2_metrics.total_loss_points);
      assert.equal(m.step(m.length - 1), EXPECTED.detectron2_metrics.last_iteration);
      assert.equal(m.value(m.length - 1), EXPECTED.detectron2_metrics.last_total_loss);
      assert.equal(w.runForFile(path.join(F, 'detectron2/output/log.txt'))?.id, metrics);
      assert.equal(w.runs()[0]!.files.length, 1, 'one followed file');
      const ev = path.join(F, 'detectron2/output', D2_EV);
      assert.equal(w.runForFile(ev)?.id, metrics, 'the event file is a cross-check too');
      assert.ok((w.crossCheck(metrics, ev)?.series().length ?? 0) > 0);
      const c = w
        .crossCheck(metrics, path.join(F, 'detectron2/output/log.txt'))!
        .series()
        .find((s) => s.key === 'total_loss')!;
      assert.equal(c.length, EXPECTED.detectron2_console.total_loss_points);
      assert.equal(c.step(c.length - 1), EXPECTED.detectron2_console.last_iter);
      assert.equal(c.value(c.length - 1), EXPECTED.detectron2_console.last_total_loss);
      assert.equal(c.provenance(0).line, EXPECTED.detectron2_console.first_line);
    } finally {
      w.dispose();
    }
  });
  it('detectron2 live order: log.txt first (its own run), then metrics.json: one run', async () => {
    const d = tmp();
    const out = path.join(d, 'output');
    fs.mkdirSync(out);
    fs.copyFileSync(path.join(FIX, 'detectron2/output/log.txt'), path.join(out, 'log.txt'));
    const w = new LogWatcher({ watch: false } as never);
    try {
      await w.add(path.join(out, 'log.txt'));
      assert.deepEqual(
        w.runs().map((r) => r.id),
        [path.join(out, 'log.txt')],
      );
      fs.copyFileSync(path.join(FIX, 'detectron2/output/metrics.json'), path.join(out, 'metrics.json'));
      await w.add(path.join(out, 'metrics.json'));
      assert.deepEqual(
        w.runs().map((r) => r.id),
        [path.join(out, 'metrics.json')],
      );
      assert.ok(w.crossCheck(path.join(out, 'metrics.json')));
    } finally {
      w.dispose();
    }
  });
  it('detectron2 live order: the event file first (a run whose id is the folder), then metrics.json: one run, nothing else removed', async () => {
    const d = tmp();
    const out = path.join(d, 'output');
    fs.mkdirSync(out);
    const evName = D2_EV;
    fs.copyFileSync(path.join(F, 'detectron2/output', evName), path.join(out, evName));
    const w = new LogWatcher({ watch: false } as never);
    try {
      await w.add(path.join(out, evName));
      assert.deepEqual(
        w.runs().map((r) => r.id),
        [out],
      );
      fs.copyFileSync(path.join(FIX, 'detectron2/output/metrics.json'), path.join(out, 'metrics.json'));
      await w.add(path.join(out, 'metrics.json'));
      const metrics = path.join(out, 'metrics.json');
      assert.deepEqual(
        w.runs().map((r) => [r.id, r.name]),
        [[metrics, 'output/metrics.json']],
      );
      assert.equal(
        w
          .runs()[0]!
          .series()
          .find((s) => s.key === 'total_loss')!.length,
        EXPECTED.detectron2_metrics.total_loss_points,
      );
      assert.ok(w.crossCheck(metrics, path.join(out, evName)));
    } finally {
      w.dispose();
    }
  });
  it('a log.txt next to a metrics.json that is not JSON lines stays a run of its own', async () => {
    const d = tmp();
    fs.writeFileSync(path.join(d, 'metrics.json'), '{\n  "accuracy": 0.9\n}\n');
    fs.copyFileSync(path.join(FIX, 'detectron2/output/log.txt'), path.join(d, 'log.txt'));
    assert.deepEqual(
      (await loadRuns([d])).map((r) => r.id),
      [path.join(d, 'log.txt')],
    );
  });
  it('a folder of non-logs gives no run', async () => {
    assert.deepEqual(await loadRuns([path.join(FIX, 'not-logs')]), []);
  });
});

describe('discovery: losswatch check with nothing to check', function () {
  this.timeout(60000);
  const cli = (args: string[]): { status: number | null; stderr: string } => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: r.status, stderr: r.stderr };
  };
  it('exits 2 with a message on stderr for a folder without training logs', () => {
    const r = cli(['check', path.join(FIX, 'not-logs')]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /no training logs found in '.*not-logs'/);
  });
  it('exits 0 on a folder with a healthy log', () => {
    const d = tmp();
    fs.writeFileSync(
      path.join(d, 'log.jsonl'),
      Array.from({ length: 20 }, (_, i) => JSON.stringify({ step: i, loss: 2 - i * 0.05 })).join('\n') + '\n',
    );
    const r = cli(['check', d]);
    assert.equal(r.status, 0, r.stderr);
  });
});
