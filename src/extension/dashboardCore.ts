// Host side of the dashboard, without `vscode`: holds full-resolution data (via SeriesCache), computes
// smoothing before downsampling, answers the webview with viewport-bounded windows, sends live append
// deltas (at most one message per ~100 ms), and validates every request from the webview.
import type { Finding, RunUpdate, RunView, SeriesView } from '../core/model';
import type { RunManagerApi } from './api';
import { downsample, makeGrid, tOf, type Grid } from '../shared/downsample';
import {
  DEFAULT_STATE,
  panelOf,
  parseWebviewMessage,
  type DashboardState,
  type HostMessage,
  type Marker,
  type Range,
  type RunMeta,
  type SeriesPatch,
  type SeriesWindow,
} from '../shared/messages';
import { SeriesCache } from './dashboardData';

/** The part of RunManagerApi the dashboard reads (events are subscribed by the vscode glue). */
export type DashboardManager = Pick<RunManagerApi, 'runs' | 'getRun' | 'findings' | 'isWatchedFile'>;

export interface DashboardHooks {
  post(msg: HostMessage): void;
  /** Open a validated file at a 1-based line (null: no line, e.g. a binary record). */
  openFile(file: string, line: number | null): void;
  save(kind: 'csv' | 'png', suggestedName: string, data: Uint8Array): void;
  warn(message: string): void;
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
const CSV_MAX_ROWS = 5_000_000;

interface Tail {
  /** Source index where the last non-empty column starts. */
  from: number;
}

export class DashboardSession {
  state: DashboardState;
  private columns = 800;
  private seq = 0;
  private ready = false;
  private readonly caches = new Map<string, SeriesCache>();
  private readonly colors = new Map<string, number>();
  private grid: Grid | null = null;
  private range: Range | null = null;
  private readonly tails = new Map<string, Tail>();
  private pending = new Map<string, RunUpdate[]>();
  private findingsDirty = new Set<string>();
  private timer: unknown = null;
  private lastFlush = -Infinity;
  private runsSignature = '';
  private pendingFocus: { runId?: string; step?: number } | null = null;
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
      case 'view':
        this.seq = Math.max(this.seq, msg.seq);
        this.state = msg.state;
        this.columns = msg.columns;
        this.sendFrame(null);
        return;
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
      }
    }
    this.sendRuns(true);
    this.sendFrame(highlight);
  }

  // ---------------------------------------------------------------- manager events

  onRunUpdate(u: RunUpdate): void {
    if (this.disposed) return;
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

  private selectedRuns(): RunView[] {
    const all = this.manager.runs();
    const ids = this.state.runIds;
    return ids === null ? [...all] : all.filter((r) => ids.includes(r.id));
  }

  private shown(s: SeriesView): boolean {
    return panelOf(s.role) !== null || s.key === this.state.other;
  }

  private selectedSeries(): SeriesCache[] {
    const out: SeriesCache[] = [];
    for (const run of this.selectedRuns()) {
      for (const s of run.series()) if (this.shown(s)) out.push(this.cache(run, s));
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
    c.sync();
    return c;
  }

  private dataExtent(): Range | null {
    let min = Infinity;
    let max = -Infinity;
    for (const c of this.selectedSeries()) {
      const e = c.extent(this.state.xAxis, this.state.xLog);
      if (e) {
        min = Math.min(min, e.min);
        max = Math.max(max, e.max);
      }
    }
    return min <= max ? { min, max } : null;
  }

  // ---------------------------------------------------------------- frames and patches

  private colorOf(runId: string): number {
    let c = this.colors.get(runId);
    if (c === undefined) {
      c = this.colors.size;
      this.colors.set(runId, c);
    }
    return c;
  }

  private sendRuns(force: boolean): void {
    const runs: RunMeta[] = this.manager.runs().map((r) => ({
      id: r.id,
      name: r.name,
      format: r.format,
      color: this.colorOf(r.id),
      series: r.series().map((s) => ({ key: s.key, name: s.name, role: s.role, split: s.split })),
    }));
    const sig = JSON.stringify(runs);
    if (!force && sig === this.runsSignature) return;
    this.runsSignature = sig;
    this.hooks.post({ type: 'runs', runs });
  }

  private window(c: SeriesCache, grid: Grid, range: Range, follow: boolean, from = 0): SeriesWindow & { tailFrom: number } {
    const col = c.x(this.state.xAxis);
    const xs = col.xs.subarray(0, c.n);
    const ys = c.ys.subarray(0, c.n);
    const opts = {
      grid,
      xMin: range.min,
      xMax: follow ? Infinity : range.max,
      from,
      sorted: col.sorted,
      edges: from === 0,
      maxColumns: this.columns * (GRID_SLACK + 2) + 8,
    };
    const raw = downsample(xs, ys, opts);
    let smooth: SeriesWindow['smooth'] = null;
    if (this.state.smoothing > 0) {
      const sm = downsample(xs, c.smoothed(this.state.smoothing).subarray(0, c.n), opts);
      smooth = { x: sm.x, y: sm.y };
    }
    return {
      runId: c.run.id,
      key: c.series.key,
      raw: { x: raw.x, y: raw.y, idx: raw.idx },
      smooth,
      nonFinite: raw.nonFinite,
      length: c.n,
      skipped: raw.skipped,
      tailFrom: raw.tailFrom,
    };
  }

  private sendFrame(highlight: { runId: string; x: number; step: number } | null): void {
    if (!this.ready || this.disposed) return;
    const series = this.selectedSeries();
    const follow = this.state.range === null;
    let range = this.state.range ?? this.dataExtent();
    if (range && this.state.xLog && !(range.min > 0)) range = this.dataExtent();
    const windows: SeriesWindow[] = [];
    this.tails.clear();
    this.grid = null;
    this.range = range;
    if (range) {
      const grid = makeGrid(range.min, range.max, this.columns, this.state.xLog);
      this.grid = grid;
      for (const c of series) {
        const { tailFrom, ...w } = this.window(c, grid, range, follow);
        windows.push(w);
        if (follow && c.x(this.state.xAxis).sorted) this.tails.set(cacheKey(c.run.id, c.series.key), { from: Math.max(0, tailFrom) });
      }
    }
    this.findingsDirty.clear();
    this.hooks.post({
      type: 'frame',
      seq: this.seq,
      state: this.state,
      range,
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
    if (needFrame || !this.grid || !this.range) {
      if (needFrame || touched.size > 0) this.sendFrame(null);
      else if (this.findingsDirty.size > 0) this.sendMarkersOnly();
      return;
    }
    const follow = this.state.range === null;
    const grid = this.grid;
    let range: Range = this.range;
    if (follow) {
      const ext = this.dataExtent();
      if (!ext) return;
      if (ext.min < range.min) return this.sendFrame(null);
      const tMax = tOf(ext.max, grid.log);
      if (tMax > grid.t0 + grid.width * this.columns * GRID_SLACK) return this.sendFrame(null);
      range = { min: range.min, max: ext.max };
      this.range = range;
    }
    const patches: SeriesPatch[] = [];
    for (const [id, { c, from }] of touched) {
      const col = c.x(this.state.xAxis);
      const tail = this.tails.get(id);
      if (follow && tail && col.sorted && tail.from < c.n) {
        const cutX = col.xs[tail.from];
        const { tailFrom, ...w } = this.window(c, grid, range, true, tail.from);
        if (tailFrom >= 0) tail.from = tailFrom;
        patches.push({ ...w, cutX });
      } else if (follow) {
        const { tailFrom, ...w } = this.window(c, grid, range, true);
        if (col.sorted) this.tails.set(id, { from: Math.max(0, tailFrom) });
        patches.push({ ...w, cutX: null });
      } else {
        // Zoomed/panned: resend the series only if new points landed inside the visible window.
        let inside = false;
        for (let i = from; i < c.n && !inside; i++) inside = col.xs[i] >= range.min && col.xs[i] <= range.max;
        if (!inside) continue;
        const { tailFrom: _t, ...w } = this.window(c, grid, range, false);
        patches.push({ ...w, cutX: null });
      }
    }
    const markers = this.findingsDirty.size > 0 ? this.markers() : null;
    this.findingsDirty.clear();
    if (patches.length === 0 && !markers) return;
    this.hooks.post({ type: 'patch', seq: this.seq, range: follow ? range : this.range, patches, markers });
  }

  private sendMarkersOnly(): void {
    this.findingsDirty.clear();
    this.hooks.post({ type: 'patch', seq: this.seq, range: this.range, patches: [], markers: this.markers() });
  }

  // ---------------------------------------------------------------- markers

  private xOfStep(run: RunView, seriesKey: string | null, step: number): number | null {
    const candidates = run.series().filter((s) => s.length > 0);
    const s =
      (seriesKey !== null ? run.getSeries(seriesKey) : undefined) ??
      candidates.find((c) => c.role === 'train_loss') ??
      candidates[0];
    if (!s || s.length === 0) return null;
    if (this.state.xAxis === 'step') return step;
    const c = this.cache(run, s);
    const i = c.indexOfStep(step);
    if (i < 0) return null;
    const x = c.x(this.state.xAxis).xs[i];
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
        if (x === null || (this.state.xLog && !(x > 0))) continue;
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
        let best = -1;
        for (let i = 0; i < c.n; i++) if (Number.isFinite(c.ys[i]) && (best < 0 || c.ys[i] < c.ys[best])) best = i;
        if (best < 0) continue;
        const x = c.x(this.state.xAxis).xs[best];
        if (!Number.isFinite(x) || (this.state.xLog && !(x > 0))) continue;
        const p = s.provenance(best);
        out.push({
          kind: 'best',
          runId: run.id,
          seriesKey: s.key,
          x,
          step: s.step(best),
          code: 'best-step',
          severity: 'information',
          message: `best ${s.name} = ${c.ys[best]} at step ${s.step(best)}`,
          file: p.file,
          line: p.line ?? null,
        });
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- export

  /** Full-resolution CSV of the visible x-range of the shown series. */
  csv(): string {
    const lines = ['run,series,index,step,epoch,wall_ms,x,value,smoothed'];
    const range = this.range;
    let rows = 0;
    for (const c of this.selectedSeries()) {
      const col = c.x(this.state.xAxis);
      const sm = this.state.smoothing > 0 ? c.smoothed(this.state.smoothing) : null;
      for (let i = 0; i < c.n && rows < CSV_MAX_ROWS; i++) {
        const x = col.xs[i];
        if (range && !(x >= range.min && x <= range.max)) continue;
        const s = c.series;
        lines.push(
          [csvCell(c.run.name), csvCell(s.key), i, num(s.step(i)), num(s.epoch(i)), num(s.wall(i)), num(x), num(c.ys[i]), sm ? num(sm[i]) : '']
            .join(','),
        );
        rows++;
      }
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
 * Formula triggers of spreadsheets (also fullwidth forms, which some convert), possibly after leading
 * whitespace, NUL or a BOM (trimmed on import); or a cell starting with TAB, CR, LF, NUL or BOM.
 */
const FORMULA = /^[\s\0\ufeff]*[=+\-@\uff1d\uff0b\uff0d\uff20]|^[\t\r\n\0\ufeff]/;

/** Quotes a CSV cell and defuses spreadsheet formulas in names that come from logs. */
export function csvCell(s: string): string {
  const t = FORMULA.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}
