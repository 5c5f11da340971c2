import type { Finding } from '../../../src/core/model';
import assert from 'node:assert/strict';
import {
  DashboardSession,
  csvCell,
  frameColumns,
  MAX_FRAME_POINTS,
  type Clock,
  type DashboardHooks,
} from '../../../src/extension/dashboardCore';
import {
  DEFAULT_STATE,
  packSeries,
  parseWebviewMessage,
  RAW_CURVES_MAX,
  unpackSeries,
  type DashboardState,
  type HostMessage,
} from '../../../src/shared/messages';
import { FakeManager, FakeRun, FakeSeries } from './fake';
import { RunStore } from '../../../src/ingest/store';

class ManualClock implements Clock {
  t = 0;
  timers: Array<{ at: number; fn: () => void }> = [];
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const h = { at: this.t + ms, fn };
    this.timers.push(h);
    return h;
  }
  clearTimeout(h: unknown): void {
    this.timers = this.timers.filter((t) => t !== h);
  }
  advance(ms: number): void {
    this.t += ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= this.t);
      if (due.length === 0) return;
      this.timers = this.timers.filter((t) => !due.includes(t));
      for (const d of due) d.fn();
    }
  }
}

const EVIL = '<img src=x onerror=alert(1)>';

function setup(n = 1000) {
  const m = new FakeManager();
  const run = new FakeRun('r1', EVIL, '/ws/run1.jsonl');
  const loss = run.add(new FakeSeries('train/loss', 'train_loss', '/ws/run1.jsonl', EVIL));
  const val = run.add(new FakeSeries('val/loss', 'val_loss', '/ws/run1.jsonl'));
  const other = run.add(new FakeSeries(EVIL, 'other', '/ws/run1.jsonl'));
  for (let i = 0; i < n; i++) {
    loss.push(i, 2 / (1 + i / 100) + (i === 500 ? 10 : 0), 1_700_000_000_000 + i * 1000, Math.floor(i / 100), i + 1);
    if (i % 10 === 0) val.push(i, 2 / (1 + i / 200) + (i > 600 ? (i - 600) / 300 : 0), NaN, NaN, i + 1);
    other.push(i, i);
  }
  m.list.push(run);
  const posted: HostMessage[] = [];
  const opened: Array<[string, number | null]> = [];
  const warnings: string[] = [];
  const saved: Array<[string, string, Uint8Array]> = [];
  const hooks: DashboardHooks = {
    post: (msg) => posted.push(structuredClone(msg) as HostMessage),
    openFile: (f, l) => opened.push([f, l]),
    save: (k, name, d) => saved.push([k, name, d]),
    warn: (w) => warnings.push(w),
  };
  const clock = new ManualClock();
  const session = new DashboardSession(m, hooks, DEFAULT_STATE, clock);
  return { m, run, loss, val, other, posted, opened, warnings, saved, clock, session };
}

/**
 * A run logged per step (1000 steps of 10) and one logged per epoch only (30 epochs from `first`, its
 * step = its epoch), in a session that is ready.
 */
function stepsAndEpochs(file: string, first: number, meta: Record<string, number | string>) {
  const m = new FakeManager();
  const a = new FakeRun('steps', 'a', '/ws/a/train.jsonl');
  const la = a.add(new FakeSeries('loss', 'train_loss', '/ws/a/train.jsonl'));
  for (let i = 0; i < 1000; i++) la.push(i * 10, 2 - i / 1000, NaN, i / 100);
  const k = new FakeRun('epochs', 'k', file);
  k.meta = meta;
  const lk = k.add(new FakeSeries('loss', 'train_loss', file));
  for (let e = first; e < first + 30; e++) lk.push(e, 1.5 - e / 30, NaN, e);
  m.list.push(a, k);
  const posted: HostMessage[] = [];
  const s = new DashboardSession(
    m,
    { post: (x) => posted.push(structuredClone(x)), openFile() {}, save() {}, warn() {} },
    DEFAULT_STATE,
    new ManualClock(),
  );
  s.handleMessage({ type: 'ready', state: null, columns: 300 });
  return { s, posted, k };
}

function frames(posted: HostMessage[]) {
  return posted.filter((p): p is Extract<HostMessage, { type: 'frame' }> => p.type === 'frame');
}
function patches(posted: HostMessage[]) {
  return posted.filter((p): p is Extract<HostMessage, { type: 'patch' }> => p.type === 'patch');
}

describe('dashboard: host session (dashboardCore.ts)', () => {
  it('ready → runs + a viewport-bounded frame with smoothing, markers and non-finite points', () => {
    const t = setup(200_000);
    t.loss.values[1234] = NaN;
    t.run.findingsList.push({
      code: 'loss-spike',
      severity: 'warning',
      message: 'spike',
      file: '/ws/run1.jsonl',
      line: 501,
      step: 500,
      seriesKey: 'train/loss',
    });
    t.session.handleMessage({ type: 'ready', state: null, columns: 400 });
    assert.equal(t.posted[0].type, 'runs');
    const f = frames(t.posted)[0];
    assert.ok(f);
    const loss = f.series.find((s) => s.key === 'train/loss')!;
    assert.equal(loss.length, 200_000);
    assert.ok(loss.raw.x.length <= 2 * 402 + 2, `bounded: ${loss.raw.x.length}`);
    assert.ok(loss.raw.y.includes(2 / (1 + 500 / 100) + 10), 'spike kept');
    assert.ok(loss.smooth && loss.smooth.x.length > 0);
    assert.deepEqual(
      loss.nonFinite.map((n) => [n.kind, n.index]),
      [['nan', 1234]],
    );
    // Every metric has its own card: the unrecognised one too.
    assert.ok(f.series.some((s) => s.key === EVIL));
    assert.deepEqual(f.markers.map((m) => m.code).sort(), ['best-step', 'loss-spike']);
    const best = f.markers.find((m) => m.code === 'best-step')!;
    assert.equal(best.step, 600);
    // Messages are JSON-safe (posted copies went through JSON): NaN would have become null.
    for (const s of f.series) assert.ok(s.raw.y.every((y) => typeof y === 'number' && Number.isFinite(y)));
    // A collapsed card gets no data; the filter and the recomputed switch narrow what is sent.
    t.session.handleMessage({ type: 'view', seq: 1, state: { ...DEFAULT_STATE, collapsed: [`m:${EVIL}`, 'loss'] }, columns: 400 });
    const g = frames(t.posted).at(-1)!;
    assert.deepEqual(
      g.series.map((s) => s.key),
      [],
    );
    t.session.handleMessage({ type: 'view', seq: 2, state: { ...DEFAULT_STATE, filter: 'nomatch' }, columns: 400 });
    assert.deepEqual(frames(t.posted).at(-1)!.series, []);
    t.session.handleMessage({ type: 'view', seq: 3, state: { ...DEFAULT_STATE, filter: 'RUN[0-9]$', filterRegex: true }, columns: 400 });
    assert.equal(frames(t.posted).at(-1)!.series.length, 3);
  });

  it('a run logged per epoch only goes on its own x next to runs logged per step', () => {
    const { s, posted } = stepsAndEpochs('/ws/keras/metrics.csv', 0, {});
    let f = frames(posted).at(-1)!;
    assert.equal(f.series.find((w) => w.runId === 'epochs')!.ownX, true);
    assert.equal(f.series.find((w) => w.runId === 'steps')!.ownX, undefined);
    assert.equal(f.series.find((w) => w.runId === 'epochs')!.raw.x.length, 30, 'all epochs kept (own grid)');
    assert.equal(f.range!.max, 9990, 'the step range ignores the per-epoch run');
    // On the epoch axis every run shares x.
    s.handleMessage({ type: 'view', seq: 1, state: { ...DEFAULT_STATE, xAxis: 'epoch' }, columns: 300 });
    f = frames(posted).at(-1)!;
    assert.ok(f.series.every((w) => !w.ownX));
  });

  it('a run logged per epoch that says its steps per epoch is placed on the common step axis', () => {
    // Keras' "100/100 [====] - loss: …" summary lines say 100 steps per epoch
    const { s, posted, k } = stepsAndEpochs('/ws/keras/train.log', 1, { steps_per_epoch: 100 });
    let f = frames(posted).at(-1)!;
    const w = f.series.find((x) => x.runId === 'epochs')!;
    assert.equal(w.ownX, undefined, 'not on its own axis');
    const xs = [...w.raw.x];
    assert.equal(xs[0], 100, 'epoch 1 ends at step 100');
    assert.equal(xs.at(-1), 3000, 'epoch 30 ends at step 3000');
    assert.equal(f.range!.max, 9990, 'the common range spans both runs');
    // relative step: each run from 0, the per-epoch run still scaled
    s.handleMessage({ type: 'view', seq: 1, state: { ...DEFAULT_STATE, xAxis: 'relstep' }, columns: 300 });
    f = frames(posted).at(-1)!;
    const r = f.series.find((x) => x.runId === 'epochs')!;
    assert.equal(r.ownX, undefined);
    assert.equal([...r.raw.x].at(-1), 2900);
    // without the figure it goes back to its own axis
    k.meta = {};
    s.handleMessage({ type: 'view', seq: 2, state: { ...DEFAULT_STATE }, columns: 300 });
    f = frames(posted).at(-1)!;
    assert.equal(f.series.find((x) => x.runId === 'epochs')!.ownX, true);
  });

  it('many series share a point budget: columns shrink, never below 100', () => {
    assert.equal(frameColumns(1200, 3, true), 1200);
    assert.ok(frameColumns(1200, 600, true) * 2 * 2 * 600 <= MAX_FRAME_POINTS || frameColumns(1200, 600, true) === 100);
    assert.equal(frameColumns(1200, 100_000, true), 100);
    assert.equal(frameColumns(60, 100_000, true), 60);
  });

  it('smoothing is computed on full-resolution data before downsampling', () => {
    const t = setup(50_000);
    t.session.handleMessage({ type: 'ready', state: { ...DEFAULT_STATE, smoothing: 0.99 }, columns: 50 });
    const loss = frames(t.posted)[0].series.find((s) => s.key === 'train/loss')!;
    // Reference: EMA over all 50k values; downsampled smoothed points must be values of it.
    let last = 0;
    const full: number[] = [];
    t.loss.values.forEach((y, i) => {
      last = last * 0.99 + 0.01 * y;
      full.push(last / (1 - Math.pow(0.99, i + 1)));
    });
    for (let j = 0; j < loss.smooth!.x.length; j++) {
      const i = loss.smooth!.x[j];
      assert.ok(Math.abs(full[i] - loss.smooth!.y[j]) < 1e-9, `at ${i}`);
    }
  });

  it('live: append deltas at most every 100 ms, bounded by the viewport, merge to a sorted tail-complete series', () => {
    const t = setup(10_000);
    t.session.handleMessage({ type: 'ready', state: { ...DEFAULT_STATE, smoothing: 0 }, columns: 200 });
    const f0 = frames(t.posted)[0];
    const pts = f0.series.find((s) => s.key === 'train/loss')!.raw;
    let x = [...pts.x];
    let idx = [...pts.idx];
    for (let round = 0; round < 30; round++) {
      const from = t.loss.length;
      for (let k = 0; k < 100; k++) t.loss.push(from + k, Math.cos(from + k));
      t.session.onRunUpdate({ runId: 'r1', reset: false, appended: [{ key: 'train/loss', from }], logitRecordsFrom: 0 });
      t.session.onRunUpdate({ runId: 'r1', reset: false, appended: [{ key: 'train/loss', from }], logitRecordsFrom: 0 });
      t.clock.advance(100);
    }
    const ps = patches(t.posted);
    assert.ok(ps.length >= 25 && ps.length <= 31, `one message per tick, got ${ps.length}`);
    for (const p of ps) {
      const lp = p.patches.find((q) => q.key === 'train/loss')!;
      assert.ok(lp.raw.x.length < 2 * 200 * 3, 'bounded by the viewport');
      if (lp.cutX === null) {
        x = [...lp.raw.x];
        idx = [...lp.raw.idx];
      } else {
        const keep = x.filter((v) => v < lp.cutX!).length;
        x = [...x.slice(0, keep), ...lp.raw.x];
        idx = [...idx.slice(0, keep), ...lp.raw.idx];
      }
    }
    assert.ok(
      ps.some((p) => p.patches.some((q) => q.cutX !== null)),
      'real deltas were sent',
    );
    // A fresh frame on the same state must hold the same points (modulo grid rebuilds).
    assert.equal(ps[ps.length - 1].range!.max, t.loss.length - 1);
    assert.ok(idx.includes(t.loss.length - 1), 'tail point present');
    assert.deepEqual(
      [...x].sort((a, b) => a - b),
      x,
      'sorted',
    );
  });

  it('zoomed: appends outside the window send nothing', () => {
    const t = setup(1000);
    const state: DashboardState = { ...DEFAULT_STATE, range: { min: 10, max: 20 } };
    t.session.handleMessage({ type: 'ready', state, columns: 100 });
    const before = t.posted.length;
    t.loss.push(1000, 1);
    t.session.onRunUpdate({ runId: 'r1', reset: false, appended: [{ key: 'train/loss', from: 1000 }], logitRecordsFrom: 0 });
    t.clock.advance(200);
    assert.equal(t.posted.length, before);
    const f = frames(t.posted)[0];
    assert.ok(f.series[0].raw.x.slice(1, -1).every((x) => x >= 10 && x <= 20));
  });

  it('openSource validates run, series, index and watched file before opening', () => {
    const t = setup(10);
    t.session.handleMessage({ type: 'openSource', runId: 'r1', seriesKey: 'train/loss', index: 3 });
    assert.deepEqual(t.opened, [['/ws/run1.jsonl', 4]]);
    t.session.handleMessage({ type: 'openSource', runId: 'nope', seriesKey: 'train/loss', index: 3 });
    t.session.handleMessage({ type: 'openSource', runId: 'r1', seriesKey: 'train/loss', index: 99 });
    t.session.handleMessage({ type: 'openSource', runId: 'r1', seriesKey: 'train/loss', index: -1 });
    t.session.handleMessage({ type: 'openFile', file: '/etc/passwd', line: 1 });
    t.session.handleMessage({ type: 'openFile', file: '/ws/run1.jsonl', line: 7 });
    t.session.handleMessage({ type: 'nonsense' });
    t.session.handleMessage(null);
    assert.deepEqual(t.opened, [
      ['/ws/run1.jsonl', 4],
      ['/ws/run1.jsonl', 7],
    ]);
    assert.equal(t.warnings.length, 6);
  });

  it('message validation rejects bad shapes', () => {
    const bad: unknown[] = [
      { type: 'view', seq: 1, state: { ...DEFAULT_STATE, smoothing: 2 }, columns: 100 },
      { type: 'view', seq: 1, state: { ...DEFAULT_STATE, xAxis: 'bogus' }, columns: 100 },
      { type: 'view', seq: 1, state: DEFAULT_STATE, columns: 1e9 },
      { type: 'view', seq: 1, state: { ...DEFAULT_STATE, range: { min: 5, max: 1 } }, columns: 100 },
      { type: 'openSource', runId: 'r', seriesKey: 'k', index: 1.5 },
      { type: 'openFile', file: 42, line: 1 },
      { type: 'exportPng', name: 'x', dataUrl: 'javascript:alert(1)' },
      'ready',
    ];
    for (const b of bad) assert.equal(parseWebviewMessage(b).ok, false, JSON.stringify(b));
    assert.equal(parseWebviewMessage({ type: 'view', seq: 1, state: DEFAULT_STATE, columns: 100 }).ok, true);
  });

  it('show in dashboard zooms around the step and highlights it (epoch axis too)', () => {
    const t = setup(1000);
    t.session.handleMessage({ type: 'ready', state: { ...DEFAULT_STATE, xAxis: 'wall' }, columns: 100 });
    t.session.focus({ runId: 'r1', step: 500 });
    const f = frames(t.posted).at(-1)!;
    assert.equal(f.highlight!.step, 500);
    assert.equal(f.highlight!.x, 1_700_000_000_000 + 500_000);
    assert.ok(f.state.range!.min < f.highlight!.x && f.state.range!.max > f.highlight!.x);
  });

  it('show in dashboard: the highlight survives a view request for the same range, and goes with a new range', () => {
    const t = setup(1000);
    t.session.handleMessage({ type: 'ready', state: DEFAULT_STATE, columns: 100 });
    t.session.focus({ runId: 'r1', step: 500 });
    const f = frames(t.posted).at(-1)!;
    assert.equal(f.highlight!.step, 500);
    // the webview re-posts its state (a resize, or after applying the focus frame): same range, same highlight
    t.session.handleMessage({ type: 'view', seq: 5, state: f.state, columns: 120 });
    const g = frames(t.posted).at(-1)!;
    assert.equal(g.highlight?.step, 500);
    assert.deepEqual(g.state.range, f.state.range);
    // the user zooms elsewhere: the highlight is gone
    t.session.handleMessage({ type: 'view', seq: 6, state: { ...f.state, range: { min: 0, max: 10 } }, columns: 120 });
    assert.equal(frames(t.posted).at(-1)!.highlight, null);
  });

  it('show in dashboard: a view request sent before the focus frame arrived does not lose the highlight', () => {
    const t = setup(1000);
    t.session.handleMessage({ type: 'ready', state: DEFAULT_STATE, columns: 100 });
    t.session.focus({ runId: 'r1', step: 500 });
    const f = frames(t.posted).at(-1)!;
    // the webview's automatic request (first layout) crossed the focus frame: old state, no range
    t.session.handleMessage({ type: 'view', seq: 3, state: DEFAULT_STATE, columns: 120 });
    assert.equal(frames(t.posted).at(-1)!.highlight, null);
    // the webview applied the focus frame and asks again with its range: zoom and highlight come back
    t.session.handleMessage({ type: 'view', seq: 4, state: f.state, columns: 120 });
    const g = frames(t.posted).at(-1)!;
    assert.equal(g.highlight?.step, 500);
    assert.deepEqual(g.state.range, f.state.range);
  });

  it('picked other metric, relative time axis, reset and CSV export', () => {
    const t = setup(100);
    t.session.handleMessage({ type: 'ready', state: { ...DEFAULT_STATE, other: EVIL, xAxis: 'relative' }, columns: 100 });
    let f = frames(t.posted).at(-1)!;
    assert.ok(f.series.some((s) => s.key === EVIL));
    const l = f.series.find((s) => s.key === 'train/loss')!;
    assert.equal(l.raw.x[0], 0);
    // val/loss has no wall time: all its points are skipped on a time axis (reported, not silent).
    assert.equal(f.series.find((s) => s.key === 'val/loss')!.skipped, 10);
    t.run.generation++;
    t.session.onRunUpdate({ runId: 'r1', reset: true, appended: [], logitRecordsFrom: 0 });
    t.clock.advance(100);
    f = frames(t.posted).at(-1)!;
    assert.equal(frames(t.posted).length, 2);
    t.session.handleMessage({ type: 'exportCsv' });
    const csv = new TextDecoder().decode(t.saved[0][2]);
    // Runs are named by their shortest unique path (/ws/run1.jsonl → run1), not by the log's own name.
    assert.match(csv.split('\n')[1], /^run1,train\/loss,0,0,0,1700000000000,0,2,/);
    assert.equal(csvCell('=cmd()'), "'=cmd()");
  });

  it('CSV cells neutralise formula injection (= + - @ TAB CR LF space NUL BOM fullwidth) and quote', () => {
    for (const lead of ['=', '+', '-', '@', '\t', '\r', ' ', '\u0000', '\ufeff', '\uff1d', '\uff0b', '\uff0d', '\uff20']) {
      const cell = csvCell(`${lead}HYPERLINK("x")`);
      const body = cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell;
      assert.ok(body.startsWith(`'${lead}`), JSON.stringify([lead, cell]));
    }
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('plain'), 'plain');
  });

  it('runs message: short unique names, folder groups, distinct colours, status and summary', () => {
    const m = new FakeManager();
    const mk = (id: string, root: string) => {
      const r = new FakeRun(id, 'train.jsonl', root);
      const l = r.add(new FakeSeries('loss', 'train_loss', root));
      const v = r.add(new FakeSeries('val_loss', 'val_loss', root));
      for (let i = 0; i < 10; i++) {
        l.push(i * 10, 2 - i / 10);
        v.push(i * 10, i === 5 ? 0.5 : 1 + Math.abs(i - 5) / 10);
      }
      m.list.push(r);
      return r;
    };
    mk('a', '/ws/a/x/train.jsonl');
    const b = mk('b', '/ws/b/x/train.jsonl');
    mk('c', '/ws/sweep/lr_0.001_seed3/train.jsonl');
    b.findingsList.push(
      ...([{ code: 'overfitting', severity: 'warning', message: 'm', file: '/ws/b/x/train.jsonl', line: 3, step: 30 }] as Finding[]),
    );
    const posted: HostMessage[] = [];
    const s = new DashboardSession(
      m,
      { post: (x) => posted.push(structuredClone(x)), openFile() {}, save() {}, warn() {}, folders: () => ['/ws'] },
      DEFAULT_STATE,
      new ManualClock(),
    );
    s.handleMessage({ type: 'ready', state: null, columns: 100 });
    const runs = (posted.find((p) => p.type === 'runs') as Extract<HostMessage, { type: 'runs' }>).runs;
    assert.deepEqual(
      runs.map((r) => [r.name, r.group]),
      [
        ['a/x', ''],
        ['b/x', ''],
        ['lr_0.001_seed3', 'sweep'],
      ],
    );
    assert.equal(new Set(runs.map((r) => r.color)).size, 3);
    assert.deepEqual(
      runs.map((r) => r.status),
      ['ok', 'warning', 'ok'],
    );
    s.handleMessage({ type: 'exportTable', runIds: ['c', 'a', 'nope'] });
    assert.equal(
      s.tableCsv(['c', 'a']).split('\n')[0],
      'run,folder,status,steps,last_step,last_val_loss,best_val_loss,best_val_step,last_train_loss,lr',
    );
    assert.deepEqual(
      s
        .tableCsv(['c', 'a'])
        .split('\n')
        .slice(1, 3)
        .map((l) => l.split(',').slice(0, 8).join(',')),
      ['lr_0.001_seed3,sweep,ok,10,90,1.4,0.5,50', 'a/x,,ok,10,90,1.4,0.5,50'],
    );
    assert.deepEqual(runs[0].summary, {
      points: 10,
      lastStep: 90,
      lastTrainLoss: 2 - 0.9,
      lastValLoss: 1.4,
      bestValLoss: 0.5,
      bestValStep: 50,
      lastLr: null,
      updated: 0,
    });
  });

  it('per-card log x: that card gets a log grid and x > 0 only (step 0 counted as skipped), the others stay linear', () => {
    const t = setup(1000);
    t.session.handleMessage({ type: 'ready', state: { ...DEFAULT_STATE, smoothing: 0.5, xLogCards: { loss: true } }, columns: 300 });
    const f = frames(t.posted).at(-1)!;
    assert.ok(f.logRange && f.logRange.min > 0, `log range above 0: ${JSON.stringify(f.logRange)}`);
    assert.equal(f.range!.min, 0, 'linear cards start at step 0');
    const loss = f.series.find((s) => s.key === 'train/loss')!;
    assert.ok(loss.raw.x.every((x) => x > 0));
    assert.ok(loss.smooth!.x.every((x) => x > 0));
    assert.equal(loss.skipped, 1, 'the point at step 0 is not drawn on log x, and counted');
    // Log grid: columns are equal in log10(x), so the first decade gets as many points as the last.
    assert.ok(loss.raw.x.filter((x) => x < 10).length >= 9, `first decade kept: ${loss.raw.x.filter((x) => x < 10).length}`);
    const other = f.series.find((s) => s.key === EVIL)!;
    assert.equal(other.raw.x[0], 0, 'a linear card keeps step 0');
    assert.equal(other.skipped, 0);
    // Live: the patch carries both ranges; the log card's tail stays on its log grid.
    t.loss.push(1000, 0.5);
    t.other.push(1000, 1000);
    t.session.onRunUpdate({
      runId: 'r1',
      reset: false,
      appended: [
        { key: 'train/loss', from: 1000 },
        { key: EVIL, from: 1000 },
      ],
      logitRecordsFrom: 0,
    });
    t.clock.advance(200);
    const p = patches(t.posted).at(-1)!;
    assert.ok(p.logRange && p.logRange.min > 0 && p.logRange.max === 1000);
    assert.equal(p.range!.max, 1000);
    // Toolbar log x everywhere: one range, the old behaviour.
    t.session.handleMessage({ type: 'view', seq: 2, state: { ...DEFAULT_STATE, xLog: true }, columns: 300 });
    const g = frames(t.posted).at(-1)!;
    assert.deepEqual(g.range, g.logRange);
    assert.ok(g.series.every((s) => s.raw.x.every((x) => x > 0)));
  });

  it('a "smoothed only" card (more than RAW_CURVES_MAX curves) gets no raw points; its smoothed points carry source indices', () => {
    const m = new FakeManager();
    for (let r = 0; r < RAW_CURVES_MAX + 1; r++) {
      const run = new FakeRun(`r${r}`, `run${r}`, `/ws/r${r}.jsonl`);
      const loss = run.add(new FakeSeries('loss', 'train_loss', `/ws/r${r}.jsonl`));
      const lr = run.add(new FakeSeries('lr', 'learning_rate', `/ws/r${r}.jsonl`));
      for (let i = 0; i < 500; i++) {
        loss.push(i, 1 / (1 + i) + (i === 100 ? NaN : 0));
        lr.push(i, 1e-3);
      }
      m.list.push(run);
    }
    // A card with few curves keeps its raw points.
    m.list[0].add(new FakeSeries('acc', 'accuracy', '/ws/r0.jsonl')).push(1, 0.5);
    const posted: HostMessage[] = [];
    const session = new DashboardSession(m, { post: (x) => posted.push(x), openFile() {}, save() {}, warn() {} }, DEFAULT_STATE);
    session.handleMessage({ type: 'ready', state: { ...DEFAULT_STATE, smoothing: 0.6 }, columns: 300 });
    let f = frames(posted).at(-1)!;
    const loss = f.series.find((w) => w.key === 'loss')!;
    assert.equal(loss.raw.x.length, 0);
    assert.ok(loss.smooth && loss.smooth.idx && loss.smooth.idx.length === loss.smooth.x.length && loss.smooth.x.length > 0);
    assert.deepEqual(
      loss.nonFinite.map((n) => n.index),
      [100],
      'non-finite points are still marked',
    );
    assert.ok(f.series.find((w) => w.key === 'acc')!.raw.x.length === 1);
    const back = unpackSeries(structuredClone(packSeries(f))) as typeof f;
    assert.deepEqual(back.series[0], f.series[0], 'source indices travel in the packed buffer');
    // The table shows raw points: they are sent again.
    session.handleMessage({ type: 'view', seq: 1, state: { ...DEFAULT_STATE, smoothing: 0.6, table: true }, columns: 300 });
    f = frames(posted).at(-1)!;
    assert.ok(f.series.find((w) => w.key === 'loss')!.raw.x.length > 0);
  });

  it('on the real run store: live appends and a resume that purges a range reach the webview (views, not copies)', () => {
    const store = new RunStore('s1', 'store run', '/ws/s.jsonl', 'jsonl');
    const f = store.fileIndex('/ws/s.jsonl', false);
    const loss = store.ensureSeries('loss', 'train_loss', 'train');
    for (let i = 1; i <= 20_000; i++) loss.append(i, 1 / i, NaN, NaN, i, f);
    const m = new FakeManager();
    m.list.push(store as unknown as FakeRun);
    const posted: HostMessage[] = [];
    const clock = new ManualClock();
    const session = new DashboardSession(m, { post: (x) => posted.push(x), openFile() {}, save() {}, warn() {} }, DEFAULT_STATE, clock);
    session.handleMessage({ type: 'ready', state: { ...DEFAULT_STATE, smoothing: 0.6 }, columns: 400 });
    const w = frames(posted).at(-1)!.series[0];
    assert.equal(w.raw.x.at(-1), 20_000);
    loss.append(20_001, 5, NaN, NaN, 20_001, f);
    session.onRunUpdate({ runId: 's1', reset: false, appended: [{ key: 'loss', from: 20_000 }], logitRecordsFrom: 0 });
    clock.advance(200);
    const p = patches(posted).at(-1)!;
    assert.equal(p.patches[0].raw.x.at(-1), 20_001);
    assert.equal(p.patches[0].raw.y.at(-1), 5);
    assert.equal(p.range!.max, 20_001);
    // A resume at step 15 000 purges the points after it: the generation changes, the whole series is resent.
    loss.append(15_000, 7, NaN, NaN, 20_002, f);
    session.onRunUpdate({ runId: 's1', reset: false, appended: [{ key: 'loss', from: 14_999 }], logitRecordsFrom: 0 });
    clock.advance(200);
    const g = patches(posted).at(-1)!.patches[0];
    assert.equal(g.cutX, null, 'the whole series, not a tail');
    assert.equal(g.length, 15_000);
    assert.equal(g.raw.x.at(-1), 15_000);
    assert.equal(g.raw.y.at(-1), 7);
    assert.ok(!g.raw.x.some((x) => x > 15_000), 'the purged range is gone');
  });
});
