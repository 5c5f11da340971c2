// Host side of the dashboard, without `vscode`: reads full-resolution data from the run store (views, no
// copies: SeriesCache in dashboardData.ts streams the store's columns), computes smoothing before downsampling, answers the webview with viewport-bounded windows, sends live append
// deltas (at most one message per ~100 ms), and validates every request from the webview.
import type { Finding, RunUpdate, RunView, SeriesView } from '../core/model';
import type { RunManagerApi } from './api';
import { makeGrid, tOf, type Grid } from '../shared/downsample';
import {
  AUTO_RECOMPUTED_RUNS,
  DEFAULT_STATE,
  cardXLog,
  parseWebviewMessage,
  RAW_CURVES_MAX,
  type DashboardState,
  type HostMessage,
  type Marker,
  type Range,
  type RunMeta,
  type RunStatus,
  type RunSummary,
  type SeriesPatch,
  type SeriesWindow,
} from '../shared/messages';
import { SeriesCache } from './dashboardData';
import { ColorAssigner } from '../shared/palette';
import { namedInput, RunNamer } from '../ingest/runNames';
import { cardOf } from '../shared/cards';
import { compileRunFilter, filterText } from '../shared/runFilter';

/** The part of RunManagerApi the dashboard reads (events are subscribed by the vscode glue). */
export type DashboardManager = Pick<RunManagerApi, 'runs' | 'getRun' | 'findings' | 'isWatchedFile'>;

export interface DashboardHooks {
  post(msg: HostMessage): void;
  /** Open a validated file at a 1-based line (null: no line, e.g. a binary record). */
  openFile(file: string, line: number | null): void;
  save(kind: 'csv' | 'png', suggestedName: string, data: Uint8Array): void;
  warn(message: string): void;
  /** Workspace folder paths, for run names relative to them (src/ingest/runNames.ts). */
  folders?(): readonly string[];
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Minimum interval between two host→webview live messages. */
export const UPDATE_INTERVAL_MS = 100;
/** Follow mode rebuilds the grid once the data outgrows this many times the chart width. */
const GRID_SLACK = 2;
const MAX_MARKERS = 500;
/**
 * Points a frame may carry in total (min/max per column, raw and smoothed). Up to ~50 series every pixel
 * column of a card gets its own min/max; beyond, columns get wider so 200 runs × 20 k points still paint
 * within a second (at 200 runs the curves overlap anyway; zooming in refines).
 */
export const MAX_FRAME_POINTS = 300_000;
const MIN_FRAME_COLUMNS = 100;

/** Grid columns for a frame of `series` series on cards `columns` pixels wide. */
export function frameColumns(columns: number, series: number, smooth: boolean): number {
  const perColumn = 2 * (smooth ? 2 : 1) * Math.max(1, series);
  return Math.max(Math.min(columns, MIN_FRAME_COLUMNS), Math.min(columns, Math.floor(MAX_FRAME_POINTS / perColumn)));
}

/** Minimum interval between two run-summary updates (status icons, comparison table). */
const RUNS_INTERVAL_MS = 1000;
const CSV_MAX_ROWS = 5_000_000;

interface ModeView {
  grid: Grid;
  range: Range;
}

interface Tail {
  /** Source index where the last non-empty column starts. */
  from: number;
}

export class DashboardSession {
  state: DashboardState;
  private columns = 800;
  /** Columns of the current frame's grid (fewer than the card's pixels when many series are drawn). */
  private frameColumns = 800;
  private seq = 0;
  private ready = false;
  private readonly caches = new Map<string, SeriesCache>();
  private readonly colors = new ColorAssigner();
  private readonly namer = new RunNamer();
  /** Host clock of the last update per run (run selector: sort by last update). */
  private readonly updated = new Map<string, number>();
  /** Drawn runs on their own x (per-epoch runs among per-step runs on a step axis). */
  private readonly ownX = new Set<string>();
  /** Runs logged per epoch placed on the step axis: steps per epoch (see computeOwnX). */
  private readonly stepScales = new Map<string, number>();
  /** Grid and x range of the cards on a linear x axis ([0]) and on a log x axis ([1]); null = none drawn. */
  private views: [ModeView | null, ModeView | null] = [null, null];
  /** Cards drawn "smoothed only" (more than RAW_CURVES_MAX smoothed curves): their raw points are not sent. */
  private rawOff = new Set<string>();
  /** The frame's x range (linear cards, else log cards): the CSV export's range. */
  private range: Range | null = null;
  private readonly tails = new Map<string, Tail>();
  private pending = new Map<string, RunUpdate[]>();
  private findingsDirty = new Set<string>();
  private timer: unknown = null;
  private lastFlush = -Infinity;
  private runsSignature = '';
  private runsStructure = '';
  private runsSentAt = -Infinity;
  private pendingFocus: { runId?: string; step?: number } | null = null;
  /**
   * The step highlighted by "Show in dashboard", kept while the x range it zoomed to stays: a view
   * request for the same range (a resize, the webview re-posting its state) keeps the highlight.
   */
  private focused: { highlight: { runId: string; x: number; step: number }; range: { min: number; max: number } } | null = null;
  private disposed = false;

  constructor(
    private readonly manager: DashboardManager,
    private readonly hooks: DashboardHooks,
    initialState: DashboardState = DEFAULT_STATE,
    private readonly clock: Clock = realClock,
  ) {
    this.state = initialState;
  }

  // ---------------------------------------------------------------- webview → host

  /** Validates and acts on a message from the webview. Invalid messages are refused with a warning. */
  handleMessage(raw: unknown): void {
    if (this.disposed) return;
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.hooks.warn(`LossWatch dashboard: ignored an invalid message (${parsed.error})`);
      return;
    }
    const msg = parsed.msg;
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        if (msg.state) this.state = msg.state;
        this.columns = msg.columns;
        this.sendRuns(true);
        if (this.pendingFocus) {
          const f = this.pendingFocus;
          this.pendingFocus = null;
          this.focus(f);
        } else this.sendFrame(null);
        return;
      case 'view': {
        this.seq = Math.max(this.seq, msg.seq);
        this.state = msg.state;
        this.columns = msg.columns;
        const r = msg.state.range;
        const keep = this.focused !== null && r !== null && r.min === this.focused.range.min && r.max === this.focused.range.max;
        // (the focus is kept through other ranges: a request the webview sent before it received the focus
        // frame arrives after it with the old range, and the webview then asks again with the focused one)
        this.sendFrame(keep ? this.focused!.highlight : null);
        return;
      }
      case 'openSource':
        this.openSource(msg.runId, msg.seriesKey, msg.index);
        return;
      case 'openFile':
        if (!this.manager.isWatchedFile(msg.file)) {
          this.hooks.warn('LossWatch dashboard: refused to open a file that is not part of a watched run');
          return;
        }
        this.hooks.openFile(msg.file, msg.line);
        return;
      case 'exportCsv':
        this.hooks.save('csv', 'losswatch.csv', new TextEncoder().encode(this.csv()));
        return;
      case 'exportTable':
        this.hooks.save('csv', 'losswatch-runs.csv', new TextEncoder().encode(this.tableCsv(msg.runIds)));
        return;
      case 'exportPng': {
        const bin = atob(msg.dataUrl.slice('data:image/png;base64,'.length));
        const bytes = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
        const safe = msg.name.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 80) || 'chart';
        this.hooks.save('png', `losswatch-${safe}.png`, bytes);
        return;
      }
    }
  }

  private openSource(runId: string, key: string, index: number): void {
    const run = this.manager.getRun(runId);
    const s = run?.getSeries(key);
    if (!run || !s) {
      this.hooks.warn('LossWatch dashboard: the run or series of that point is no longer watched');
      return;
    }
    if (index >= s.length) {
      this.hooks.warn(`LossWatch dashboard: point ${index} is out of range (series has ${s.length})`);
      return;
    }
    const p = s.provenance(index);
    if (!this.manager.isWatchedFile(p.file)) {
      this.hooks.warn('LossWatch dashboard: refused to open a file that is not part of a watched run');
      return;
    }
    this.hooks.openFile(p.file, p.line !== undefined && p.line >= 1 ? p.line : null);
  }

  // ---------------------------------------------------------------- commands

  /** "Open dashboard" / "Show in dashboard": optionally adds a run and zooms to a step. */
  focus(opts: { runId?: string; step?: number }): void {
    if (!this.ready) {
      this.pendingFocus = opts;
      return;
    }
    const run = opts.runId !== undefined ? this.manager.getRun(opts.runId) : undefined;
    if (run && this.state.runIds !== null && !this.state.runIds.includes(run.id)) {
      this.state = { ...this.state, runIds: [...this.state.runIds, run.id] };
    }
    let highlight: { runId: string; x: number; step: number } | null = null;
    if (run && opts.step !== undefined && Number.isFinite(opts.step)) {
      const x = this.xOfStep(run, null, opts.step);
      if (x !== null) {
        const whole = this.dataExtent();
        const span = whole ? Math.max((whole.max - whole.min) / 10, 1e-9) : 1;
        let min = x - span / 2;
        let max = x + span / 2;
        if (this.state.xLog) {
          min = x / 2;
          max = x * 2;
        }
        this.state = { ...this.state, range: { min, max } };
        highlight = { runId: run.id, x, step: opts.step };
        this.focused = { highlight, range: { min, max } };
      }
    }
    this.sendRuns(true);
    this.sendFrame(highlight);
  }

  // ---------------------------------------------------------------- manager events

  onRunUpdate(u: RunUpdate): void {
    if (this.disposed) return;
    this.updated.set(u.runId, this.clock.now());
    const list = this.pending.get(u.runId) ?? [];
    list.push(u);
    this.pending.set(u.runId, list);
    this.schedule();
  }

  onFindingsChanged(runId: string): void {
    if (this.disposed) return;
    this.findingsDirty.add(runId);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== null) return;
    const wait = Math.max(0, this.lastFlush + UPDATE_INTERVAL_MS - this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.flush();
    }, wait);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.caches.clear();
  }

  // ---------------------------------------------------------------- data selection

  /** Runs ticked in the selector that match its filter (the same matcher as the webview's). */
  private selectedRuns(): RunView[] {
    const all = this.manager.runs();
    const ids = this.state.runIds === null ? null : new Set(this.state.runIds);
    let out = ids === null ? [...all] : all.filter((r) => ids.has(r.id));
    if (this.state.filter !== '') {
      const m = compileRunFilter(this.state.filter, this.state.filterRegex);
      const names = this.names();
      out = m.ok ? out.filter((r) => m.test(filterText(names.get(r.id) ?? { name: r.name, group: '' }))) : [];
    }
    return out;
  }

  /** Recomputed cross-entropy shown: as set, or automatically up to AUTO_RECOMPUTED_RUNS selected runs. */
  private recomputedOn(): boolean {
    return this.state.recomputed ?? this.selectedRuns().length <= AUTO_RECOMPUTED_RUNS;
  }

  private shown(s: SeriesView, recomputed = this.recomputedOn()): boolean {
    if (s.key.startsWith('recomputed/') && !recomputed) return false;
    return !this.state.collapsed.includes(cardOf(s).id);
  }

  private selectedSeries(): SeriesCache[] {
    const out: SeriesCache[] = [];
    const runs = this.selectedRuns();
    const recomputed = this.state.recomputed ?? runs.length <= AUTO_RECOMPUTED_RUNS;
    for (const run of runs) {
      for (const s of run.series()) if (this.shown(s, recomputed)) out.push(this.cache(run, s));
    }
    return out;
  }

  private cache(run: RunView, s: SeriesView): SeriesCache {
    const id = cacheKey(run.id, s.key);
    let c = this.caches.get(id);
    if (!c || c.generation !== run.generation || c.run !== run) {
      c = new SeriesCache(run, s, run.generation);
      this.caches.set(id, c);
      this.tails.delete(id);
    }
    c.series = s;
    c.setStepScale(this.stepScaleOf(run.id));
    c.sync();
    return c;
  }

  /**
   * Runs logged per epoch only: every sampled point has a finite epoch and a step equal to it (the
   * reader numbered the records by epoch). Their steps mean nothing next to runs logged per step.
   */
  private epochOnly(run: RunView): boolean {
    let seen = 0;
    for (const s of run.series()) {
      const n = s.length;
      for (let i = 0; i < n && i < 32; i++) {
        const j = i < 16 ? i : n - 1 - (i - 16);
        if (j < 0) break;
        const e = s.epoch(j);
        if (!Number.isFinite(e) || s.step(j) !== e) return false;
        seen++;
      }
    }
    return seen > 0;
  }

  /**
   * On step axes: the drawn runs logged per epoch only, when other drawn runs are logged per step. A run
   * that says how many steps an epoch has (`steps_per_epoch`, e.g. Keras' `1875/1875` progress counter) is
   * placed on the common axis instead (its epochs scaled to steps).
   */
  private computeOwnX(runs: readonly RunView[]): void {
    this.ownX.clear();
    this.stepScales.clear();
    if (this.state.xAxis !== 'step' && this.state.xAxis !== 'relstep') return;
    const epochOnly = runs.filter((r) => this.epochOnly(r));
    if (epochOnly.length === 0 || epochOnly.length === runs.length) return;
    for (const r of epochOnly) {
      const spe = Number(r.meta?.['steps_per_epoch']);
      if (Number.isInteger(spe) && spe > 0) this.stepScales.set(r.id, spe);
      else this.ownX.add(r.id);
    }
  }

  /** Step scale of a run on the current axis (see computeOwnX). */
  private stepScaleOf(runId: string): number {
    return this.stepScales.get(runId) ?? 1;
  }

  /** A window of a run drawn on its own x: its own extent and grid, always whole. */
  private ownWindow(c: SeriesCache): SeriesWindow | null {
    const log = this.logOf(c.series);
    const ext = c.extent(this.state.xAxis, log);
    if (!ext) return null;
    const hi = ext.max > ext.min ? ext.max : ext.min + 1;
    const grid = makeGrid(ext.min, hi, this.frameColumns, log);
    const { tailFrom: _t, ...w } = this.window(c, grid, { min: ext.min, max: hi }, true);
    return { ...w, ownX: true };
  }

  /** Whether the card of a series has a log x axis. */
  private logOf(s: SeriesView): boolean {
    return cardXLog(this.state, cardOf(s).id);
  }

  /** x extent of the drawn series (log: x > 0 only); every card shares it, so cards stay aligned. */
  private dataExtent(log = this.state.xLog): Range | null {
    let min = Infinity;
    let max = -Infinity;
    for (const c of this.selectedSeries()) {
      if (this.ownX.has(c.run.id)) continue;
      const e = c.extent(this.state.xAxis, log);
      if (e) {
        min = Math.min(min, e.min);
        max = Math.max(max, e.max);
      }
    }
    return min <= max ? { min, max } : null;
  }

  // ---------------------------------------------------------------- frames and patches

  /** Display names (shortest unique path) and folder groups of all runs. */
  names(): Map<string, { name: string; group: string }> {
    return this.namer.of(this.manager.runs().map(namedInput), this.hooks.folders?.() ?? []);
  }

  private status(runId: string): RunStatus {
    let st: RunStatus = 'ok';
    for (const f of this.manager.findings(runId)) {
      if (f.severity === 'error') return 'error';
      if (f.severity === 'warning') st = 'warning';
    }
    return st;
  }

  private summary(run: RunView): RunSummary {
    const all = run.series().filter((s) => s.length > 0);
    const fin = (v: number): number | null => (Number.isFinite(v) ? v : null);
    const last = (s: SeriesView | undefined): number | null => {
      if (!s) return null;
      for (let i = s.length - 1; i >= 0 && i >= s.length - 64; i--) if (Number.isFinite(s.value(i))) return s.value(i);
      return null;
    };
    const train = all.find((s) => s.role === 'train_loss' && !s.key.startsWith('recomputed/'));
    const val = all.find((s) => s.role === 'val_loss');
    const lr = all.find((s) => s.role === 'learning_rate');
    const main = train ?? val ?? all.reduce<SeriesView | undefined>((a, s) => (!a || s.length > a.length ? s : a), undefined);
    let best: number | null = null;
    let bestStep: number | null = null;
    if (val) {
      // The lowest validation loss is kept up to date by the series state (incremental, O(1) memory).
      const c = this.cache(run, val);
      const i = c.best();
      if (i >= 0) {
        best = c.value(i);
        bestStep = fin(val.step(i));
      }
    }
    return {
      points: main?.length ?? 0,
      lastStep: main ? fin(main.step(main.length - 1)) : null,
      lastTrainLoss: last(train),
      lastValLoss: last(val),
      bestValLoss: best,
      bestValStep: bestStep,
      lastLr: last(lr),
      updated: this.updated.get(run.id) ?? 0,
    };
  }

  private sendRuns(force: boolean): void {
    const names = this.names();
    const list = this.manager.runs();
    this.colors.retain(new Set(list.map((r) => r.id)));
    const runs: RunMeta[] = list.map((r) => {
      const n = names.get(r.id) ?? { name: r.name, group: '' };
      return {
        id: r.id,
        name: n.name,
        group: n.group,
        format: r.format,
        color: this.colors.colorOf(r.id, n.name),
        status: this.status(r.id),
        summary: this.summary(r),
        series: r.series().map((s) => ({ key: s.key, name: s.name, role: s.role, split: s.split })),
      };
    });
    // Structure (runs, names, series) goes out at once; changed figures (status, summary) at most once a
    // second while data streams in, so 200 live runs do not resend the selector 10 times a second.
    const structure = JSON.stringify(runs.map((r) => [r.id, r.name, r.group, r.color, r.format, r.series]));
    const sig = JSON.stringify(runs);
    if (!force && sig === this.runsSignature) return;
    const now = this.clock.now();
    if (!force && structure === this.runsStructure && now - this.runsSentAt < RUNS_INTERVAL_MS) {
      this.schedule();
      return;
    }
    this.runsSignature = sig;
    this.runsStructure = structure;
    this.runsSentAt = now;
    this.hooks.post({ type: 'runs', runs });
  }

  private window(c: SeriesCache, grid: Grid, range: Range, follow: boolean, from = 0): SeriesWindow & { tailFrom: number } {
    const rawOff = this.state.smoothing > 0 && this.rawOff.has(cardOf(c.series).id);
    const { raw, smooth: sm } = c.window(this.state.xAxis, {
      raw: !rawOff,
      grid,
      xMin: range.min,
      xMax: follow ? Infinity : range.max,
      from,
      edges: from === 0,
      maxColumns: this.frameColumns * (GRID_SLACK + 2) + 8,
      smoothing: this.state.smoothing,
    });
    // A "smoothed only" card: no raw points (not drawn); the smoothed points carry their source indices.
    const smooth: SeriesWindow['smooth'] = sm
      ? { x: Float64Array.from(sm.x), y: Float64Array.from(sm.y), ...(rawOff ? { idx: Uint32Array.from(sm.idx) } : {}) }
      : null;
    return {
      runId: c.run.id,
      key: c.series.key,
      raw: rawOff
        ? { x: new Float64Array(0), y: new Float64Array(0), idx: new Uint32Array(0) }
        : { x: Float64Array.from(raw.x), y: Float64Array.from(raw.y), idx: Uint32Array.from(raw.idx) },
      smooth,
      nonFinite: raw.nonFinite,
      length: c.n,
      // On log x the points at x <= 0 lie outside every window (x > 0): counted here, for the card note.
      skipped: (rawOff && sm ? sm.skipped : raw.skipped) + (grid.log && from === 0 ? c.stats(this.state.xAxis).nonPos : 0),
      tailFrom: rawOff && sm ? sm.tailFrom : raw.tailFrom,
    };
  }

  /** The x range of the cards of one x-axis kind: the user's range (on log x its part above 0), else the data's. */
  private modeRange(log: boolean): Range | null {
    const r = this.state.range;
    if (!log) return r ?? this.dataExtent(false);
    if (r && r.min > 0) return r;
    const ext = this.dataExtent(true);
    if (r && ext && ext.min < r.max) return { min: ext.min, max: r.max };
    return ext;
  }

  private sendFrame(highlight: { runId: string; x: number; step: number } | null): void {
    if (!this.ready || this.disposed) return;
    const series = this.selectedSeries();
    this.computeOwnX(this.selectedRuns());
    for (const c of series) c.setStepScale(this.stepScaleOf(c.run.id));
    const follow = this.state.range === null;
    const windows: SeriesWindow[] = [];
    this.tails.clear();
    const used = [false, false];
    const perCard = new Map<string, number>();
    for (const c of series) {
      used[this.logOf(c.series) ? 1 : 0] = true;
      const card = cardOf(c.series).id;
      perCard.set(card, (perCard.get(card) ?? 0) + 1);
    }
    // Same rule as the webview's "smoothed only" (charts.ts); the table and the band show raw points.
    this.rawOff.clear();
    if (this.state.smoothing > 0 && !this.state.envelope && !this.state.table) {
      for (const [card, n] of perCard) if (n > RAW_CURVES_MAX) this.rawOff.add(card);
    }
    const ranges = [used[0] || !used[1] ? this.modeRange(false) : null, used[1] ? this.modeRange(true) : null];
    this.frameColumns = frameColumns(this.columns, series.length, this.state.smoothing > 0);
    this.views = [0, 1].map((m) => {
      const r = ranges[m];
      return r ? { grid: makeGrid(r.min, r.max, this.frameColumns, m === 1), range: r } : null;
    }) as [ModeView | null, ModeView | null];
    const range = used[0] || !used[1] ? ranges[0] : ranges[1];
    this.range = range;
    for (const c of series) {
      const v = this.views[this.logOf(c.series) ? 1 : 0];
      if (!v) continue;
      if (this.ownX.has(c.run.id)) {
        const w = this.ownWindow(c);
        if (w) windows.push(w);
        continue;
      }
      const { tailFrom, ...w } = this.window(c, v.grid, v.range, follow);
      windows.push(w);
      if (follow && c.sorted(this.state.xAxis)) this.tails.set(cacheKey(c.run.id, c.series.key), { from: Math.max(0, tailFrom) });
    }
    this.findingsDirty.clear();
    this.hooks.post({
      type: 'frame',
      seq: this.seq,
      state: this.state,
      range,
      logRange: ranges[1],
      series: windows,
      markers: this.markers(),
      highlight,
    });
  }

  /** Sends what changed since the last message (called by the throttle timer). */
  flush(): void {
    this.lastFlush = this.clock.now();
    if (!this.ready || this.disposed) {
      this.pending.clear();
      return;
    }
    const updates = this.pending;
    this.pending = new Map();
    this.sendRuns(false);
    const selected = new Set(this.selectedRuns().map((r) => r.id));
    let needFrame = false;
    const touched = new Map<string, { c: SeriesCache; from: number }>();
    for (const [runId, list] of updates) {
      if (!selected.has(runId)) continue;
      const run = this.manager.getRun(runId);
      if (!run || list.some((u) => u.reset || u.removed)) {
        needFrame = true;
        continue;
      }
      for (const u of list) {
        for (const a of u.appended) {
          const s = run.getSeries(a.key);
          if (!s || !this.shown(s)) continue;
          const id = cacheKey(runId, a.key);
          const prev = touched.get(id);
          touched.set(id, { c: this.cache(run, s), from: Math.min(prev?.from ?? Infinity, Math.max(0, a.from)) });
        }
      }
    }
    if (needFrame || (!this.views[0] && !this.views[1])) {
      if (needFrame || touched.size > 0) this.sendFrame(null);
      else if (this.findingsDirty.size > 0) this.sendMarkersOnly();
      return;
    }
    const follow = this.state.range === null;
    if (follow) {
      for (const v of this.views) {
        if (!v) continue;
        const ext = this.dataExtent(v.grid.log);
        if (!ext) return;
        if (ext.min < v.range.min) return this.sendFrame(null);
        const tMax = tOf(ext.max, v.grid.log);
        if (tMax > v.grid.t0 + v.grid.width * this.frameColumns * GRID_SLACK) return this.sendFrame(null);
        v.range = { min: v.range.min, max: ext.max };
      }
      this.range = (this.views[0] ?? this.views[1])!.range;
    }
    const patches: SeriesPatch[] = [];
    for (const [id, { c, from }] of touched) {
      const v = this.views[this.logOf(c.series) ? 1 : 0];
      if (!v) {
        // A series of a card whose kind of x axis had nothing drawn: a new frame sets that axis up.
        return this.sendFrame(null);
      }
      const { grid, range } = v;
      if (this.ownX.has(c.run.id)) {
        const w = this.ownWindow(c);
        if (w) patches.push({ ...w, cutX: null });
        continue;
      }
      const axis = this.state.xAxis;
      const sorted = c.sorted(axis);
      const tail = this.tails.get(id);
      if (follow && tail && sorted && tail.from < c.n) {
        const cutX = c.xAt(axis, tail.from);
        const { tailFrom, ...w } = this.window(c, grid, range, true, tail.from);
        if (tailFrom >= 0) tail.from = tailFrom;
        patches.push({ ...w, cutX });
      } else if (follow) {
        const { tailFrom, ...w } = this.window(c, grid, range, true);
        if (sorted) this.tails.set(id, { from: Math.max(0, tailFrom) });
        patches.push({ ...w, cutX: null });
      } else {
        // Zoomed/panned: resend the series only if new points landed inside the visible window.
        let inside = false;
        for (let i = from; i < c.n && !inside; i++) {
          const x = c.xAt(axis, i);
          inside = x >= range.min && x <= range.max;
        }
        if (!inside) continue;
        const { tailFrom: _t, ...w } = this.window(c, grid, range, false);
        patches.push({ ...w, cutX: null });
      }
    }
    const markers = this.findingsDirty.size > 0 ? this.markers() : null;
    this.findingsDirty.clear();
    if (patches.length === 0 && !markers) return;
    this.hooks.post({ type: 'patch', seq: this.seq, range: this.range, logRange: this.views[1]?.range ?? null, patches, markers });
  }

  private sendMarkersOnly(): void {
    this.findingsDirty.clear();
    this.hooks.post({
      type: 'patch',
      seq: this.seq,
      range: this.range,
      logRange: this.views[1]?.range ?? null,
      patches: [],
      markers: this.markers(),
    });
  }

  // ---------------------------------------------------------------- markers

  private xOfStep(run: RunView, seriesKey: string | null, step: number): number | null {
    const candidates = run.series().filter((s) => s.length > 0);
    const s =
      (seriesKey !== null ? run.getSeries(seriesKey) : undefined) ?? candidates.find((c) => c.role === 'train_loss') ?? candidates[0];
    if (!s || s.length === 0) return null;
    if (this.state.xAxis === 'step') return step * this.stepScaleOf(run.id);
    // Other axes: the x of the point logged at that step.
    const c = this.cache(run, s);
    const i = c.indexOfStep(step);
    if (i < 0) return null;
    const x = c.xAt(this.state.xAxis, i);
    return Number.isFinite(x) ? x : null;
  }

  private markers(): Marker[] {
    const out: Marker[] = [];
    const rank = { error: 0, warning: 1, information: 2, hint: 3 } as const;
    for (const run of this.selectedRuns()) {
      const findings: Finding[] = [...this.manager.findings(run.id)].filter((f) => f.step !== undefined && Number.isFinite(f.step));
      findings.sort((a, b) => rank[a.severity] - rank[b.severity]);
      for (const f of findings) {
        if (out.length >= MAX_MARKERS) break;
        const key = f.seriesKey ?? null;
        const x = this.xOfStep(run, key, f.step as number);
        const ks = key !== null ? run.getSeries(key) : undefined;
        const log = cardXLog(this.state, ks ? cardOf(ks).id : 'loss');
        if (x === null || (log && !(x > 0))) continue;
        out.push({
          kind: 'finding',
          runId: run.id,
          seriesKey: key,
          x,
          step: f.step as number,
          code: f.code,
          severity: f.severity,
          message: f.message,
          file: f.file,
          line: f.line ?? null,
        });
      }
      // Best validation step: the lowest finite validation loss.
      for (const s of run.series()) {
        if (s.role !== 'val_loss' || s.length === 0) continue;
        const c = this.cache(run, s);
        const best = c.best();
        if (best < 0) continue;
        const x = c.xAt(this.state.xAxis, best);
        if (!Number.isFinite(x) || (this.logOf(s) && !(x > 0))) continue;
        const p = s.provenance(best);
        out.push({
          kind: 'best',
          runId: run.id,
          seriesKey: s.key,
          x,
          step: s.step(best),
          code: 'best-step',
          severity: 'information',
          message: `best ${s.name} = ${c.value(best)} at step ${s.step(best)}`,
          file: p.file,
          line: p.line ?? null,
        });
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- export

  /** The run comparison table (one row per run, in the given order; unknown ids skipped). */
  tableCsv(order: readonly string[]): string {
    const names = this.names();
    const byId = new Map(this.manager.runs().map((r) => [r.id, r]));
    const cell = (v: number | null): string => (v === null ? '' : num(v));
    const lines = ['run,folder,status,steps,last_step,last_val_loss,best_val_loss,best_val_step,last_train_loss,lr'];
    for (const id of order) {
      const r = byId.get(id);
      if (!r) continue;
      const n = names.get(id) ?? { name: r.name, group: '' };
      const m = this.summary(r);
      lines.push(
        [
          csvCell(n.name),
          csvCell(n.group),
          this.status(id),
          m.points,
          cell(m.lastStep),
          cell(m.lastValLoss),
          cell(m.bestValLoss),
          cell(m.bestValStep),
          cell(m.lastTrainLoss),
          cell(m.lastLr),
        ].join(','),
      );
    }
    return lines.join('\n') + '\n';
  }

  /** Full-resolution CSV of the visible x-range of the shown series. */
  csv(): string {
    const lines = ['run,series,index,step,epoch,wall_ms,x,value,smoothed'];
    const range = this.range;
    let rows = 0;
    const names = this.names();
    for (const c of this.selectedSeries()) {
      const s = c.series;
      const run = csvCell(names.get(c.run.id)?.name ?? c.run.name);
      const key = csvCell(s.key);
      c.scan(this.state.xAxis, 0, c.n, this.state.smoothing, (xs, ys, sm, base, m) => {
        for (let k = 0; k < m && rows < CSV_MAX_ROWS; k++) {
          const x = xs[k];
          if (range && !(x >= range.min && x <= range.max)) continue;
          const i = base + k;
          lines.push([run, key, i, num(s.step(i)), num(s.epoch(i)), num(s.wall(i)), num(x), num(ys[k]), sm ? num(sm[k]) : ''].join(','));
          rows++;
        }
      });
    }
    if (rows >= CSV_MAX_ROWS) this.hooks.warn(`LossWatch: CSV export truncated at ${CSV_MAX_ROWS} rows`);
    return lines.join('\n') + '\n';
  }
}

function cacheKey(runId: string, key: string): string {
  return `${runId}\u0000${key}`;
}

function num(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : String(v);
}

/**
 * Formula triggers of spreadsheets (OWASP CSV injection; also fullwidth forms, which some convert), possibly
 * after leading whitespace, NUL or a BOM (trimmed on import); or a cell starting with TAB, CR, LF, space,
 * NUL or BOM: such a cell gets a leading apostrophe.
 */
const FORMULA = /^[\s\0\ufeff]*[=+\-@\uff1d\uff0b\uff0d\uff20]|^[\t\r\n \0\ufeff]/;

/** Quotes a CSV cell and defuses spreadsheet formulas in names that come from logs. */
export function csvCell(s: string): string {
  const t = FORMULA.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}
