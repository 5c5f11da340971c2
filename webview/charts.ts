// One Chart.js chart per panel. Data arrives already downsampled (host side); this file only maps it to
// datasets, applies append patches in place, draws non-finite markers at the top edge, finding markers
// as annotation lines, and a crosshair tooltip listing every series at the hovered x.
import {
  Chart,
  Interaction,
  LineController,
  LineElement,
  LinearScale,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type ChartDataset,
  type ChartOptions,
  type InteractionItem,
  type Plugin,
} from 'chart.js';
import { getRelativePosition } from 'chart.js/helpers';
import zoomPlugin from 'chartjs-plugin-zoom';
import annotationPlugin, { type AnnotationOptions } from 'chartjs-plugin-annotation';
import type { NonFiniteMark } from '../src/shared/downsample';
import type { DashboardState, Marker, PanelId, SeriesPatch, SeriesWindow } from '../src/shared/messages';
import { gapThreshold, withBreaks } from '../src/shared/gaps';
import { AUTO_LOG_DECADES, niceRange, yRange } from '../src/shared/yrange';
import { fmtNumber, fmtTicks, fmtX, X_LABEL } from './format';
import { withAlpha, type Theme } from './theme';

export interface Pt {
  x: number;
  y: number;
  /** Source index (raw points and non-finite markers). */
  i?: number;
  kind?: string;
  count?: number;
}

export interface SeriesRef {
  readonly runId: string;
  readonly key: string;
  readonly label: string;
  readonly color: string;
  readonly dash: number[];
}

type Kind = 'raw' | 'smooth' | 'nf' | 'iso';
type DS = ChartDataset<'line', Pt[]> & { lw: { kind: Kind; runId: string; key: string } };

export interface PanelEvents {
  /** User zoomed or panned to this x-range. */
  range(min: number, max: number): void;
  openPoint(runId: string, key: string, index: number): void;
  openMarker(m: Marker): void;
  /** After each render: whether log y was switched on automatically, and how many points are clipped. */
  yScale?(info: { autoLog: boolean; clipped: number }): void;
}

/** A line break (Chart.js skips points with y NaN when spanGaps is false). */
const isBreak = (p: Pt): boolean => p.y !== p.y;
const makeBreak = (x: number): Pt => ({ x, y: NaN });

interface Entry {
  ref: SeriesRef;
  raw: DS;
  smooth: DS | null;
  nf: DS;
  /** Isolated points of the main curve (no neighbour to draw a line to), drawn as dots. */
  iso: DS;
  /** Gap threshold (t-space), fixed per frame. */
  gap: number;
}

/** Tick labels are formatted per axis (consistent style and digits), once per tick array. */
const tickCache = new WeakMap<object, string[]>();
function tickLabel(ticks: Array<{ value: number }>, index: number, log: boolean): string {
  let labels = tickCache.get(ticks);
  if (!labels) {
    labels = fmtTicks(ticks.map((t) => t.value), log);
    tickCache.set(ticks, labels);
  }
  return labels[index] ?? fmtNumber(ticks[index]?.value ?? NaN);
}

// Crosshair interaction: the nearest point (by x) of every visible line dataset.
const MODE = 'lwX';
(Interaction.modes as unknown as Record<string, unknown>)[MODE] = function (chart: Chart, e: Event): InteractionItem[] {
  const pos = getRelativePosition(e as never, chart as never);
  const items: InteractionItem[] = [];
  chart.data.datasets.forEach((_, di) => {
    if (!chart.isDatasetVisible(di)) return;
    const meta = chart.getDatasetMeta(di);
    const els = meta.data;
    if (els.length === 0) return;
    let lo = 0;
    let hi = els.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((els[mid].x as number) < pos.x) lo = mid + 1;
      else hi = mid;
    }
    let best = lo;
    if (lo > 0 && Math.abs((els[lo - 1].x as number) - pos.x) < Math.abs((els[lo].x as number) - pos.x)) best = lo - 1;
    const ds = chart.data.datasets[di] as DS;
    if (ds.lw.kind === 'iso') return;
    if (isBreak(ds.data[best])) {
      // A line break: the nearest real neighbour instead.
      const a = best > 0 && !isBreak(ds.data[best - 1]) ? best - 1 : -1;
      const b = best + 1 < els.length && !isBreak(ds.data[best + 1]) ? best + 1 : -1;
      if (a < 0 && b < 0) return;
      best = a < 0 ? b : b < 0 ? a : Math.abs((els[a].x as number) - pos.x) <= Math.abs((els[b].x as number) - pos.x) ? a : b;
    }
    if (ds.lw.kind === 'nf' && Math.abs((els[best].x as number) - pos.x) > 8) return;
    items.push({ element: els[best], datasetIndex: di, index: best });
  });
  return items;
};

const crosshair: Plugin<'line'> = {
  id: 'lwCrosshair',
  afterDatasetsDraw(chart) {
    const active = chart.tooltip?.getActiveElements() ?? [];
    if (active.length === 0) return;
    const x = chart.tooltip!.caretX;
    const { top, bottom } = chart.chartArea;
    const ctx = chart.ctx;
    ctx.save();
    ctx.strokeStyle = (chart.options.plugins as { lwCrosshair?: { color?: string } }).lwCrosshair?.color ?? '#888';
    ctx.lineWidth = 1;
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, bottom);
    ctx.stroke();
    ctx.restore();
  },
};

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip, zoomPlugin, annotationPlugin, crosshair);

function sevColor(theme: Theme, m: Marker): string {
  if (m.kind === 'best') return theme.palette[2];
  return m.severity === 'error' ? theme.error : m.severity === 'warning' ? theme.warning : theme.info;
}

/** Index of the first point with x >= v (points sorted by x). */
function cutIndex(pts: Pt[], v: number): number {
  let lo = 0;
  let hi = pts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pts[mid].x < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Cuts drawn points at x >= cut and appends `pts` (sorted), with line breaks at gaps and at non-finite
 * marks after the last kept point. Mutates `data` in place (Chart.js picks up the push).
 */
function appendTail(data: Pt[], cut: number, pts: Pt[], nf: readonly Pt[], gap: number, log: boolean): void {
  data.length = cutIndex(data, cut);
  while (data.length > 0 && isBreak(data[data.length - 1])) data.length--;
  const prev = data.length > 0 ? data[data.length - 1] : null;
  const from = prev ? prev.x : -Infinity;
  const nfXs = nf.filter((m) => m.x > from).map((m) => m.x).sort((a, b) => a - b);
  const seg = withBreaks(prev ? [prev, ...pts] : pts, nfXs, gap, log, makeBreak);
  const start = prev ? 1 : 0;
  if (seg.length - start <= 10000) {
    if (seg.length > start) data.push(...seg.slice(start));
  } else {
    for (let j = start; j < seg.length; j++) data.push(seg[j]);
  }
}

function nfPoints(marks: readonly NonFiniteMark[]): Pt[] {
  return marks.map((m) => ({ x: m.x, y: 1, i: m.index, kind: m.kind, count: m.count }));
}

export class Panel {
  readonly chart: Chart<'line', Pt[]>;
  private byKey = new Map<string, Entry>();
  /** Series hidden from the legend (run id + key), kept across frames. */
  private readonly hiddenKeys = new Set<string>();
  /** Log y chosen automatically (loss panel, data spanning > AUTO_LOG_DECADES decades, outliers ignored). */
  private autoLog = false;
  private dirty = false;
  private markers: Marker[] = [];
  private range: { min: number; max: number } | null = null;
  private highlight: { x: number; step: number } | null = null;

  constructor(
    readonly id: PanelId,
    readonly canvas: HTMLCanvasElement,
    private theme: Theme,
    private state: DashboardState,
    private readonly events: PanelEvents,
  ) {
    this.chart = new Chart<'line', Pt[]>(canvas, { type: 'line', data: { datasets: [] }, options: this.options() });
  }

  /** Series currently drawn (for tests, the table view and CSV). */
  series(): Array<{ ref: SeriesRef; raw: Pt[]; smooth: Pt[] | null; nf: Pt[] }> {
    const real = (pts: Pt[]): Pt[] => pts.filter((p) => !isBreak(p));
    return [...this.byKey.values()].map((s) => ({ ref: s.ref, raw: real(s.raw.data), smooth: s.smooth ? real(s.smooth.data) : null, nf: s.nf.data }));
  }

  private options(): ChartOptions<'line'> {
    const t = this.theme;
    const st = this.state;
    const axis = st.xAxis;
    return {
      animation: false,
      parsing: false,
      normalized: true,
      responsive: true,
      maintainAspectRatio: false,
      // Gaps in the data and non-finite regions are line breaks (points with y NaN), never bridged.
      spanGaps: false,
      interaction: { mode: MODE as 'nearest', intersect: false },
      onClick: (e) => this.click(e.native),
      scales: {
        x: {
          type: st.xLog ? 'logarithmic' : 'linear',
          title: { display: true, text: X_LABEL[axis], color: t.kind.startsWith('high-contrast') ? t.fg : t.muted },
          ticks: {
            color: t.fg,
            maxRotation: 0,
            autoSkip: true,
            callback: (v, i, ticks) => (axis === 'step' || axis === 'epoch' ? tickLabel(ticks, i, st.xLog) : fmtX(axis, Number(v))),
          },
          grid: { color: t.grid },
          border: { color: t.grid },
        },
        y: {
          type: st.yLog[this.id] || this.autoLog ? 'logarithmic' : 'linear',
          ticks: { color: t.fg, callback: (_v, i, ticks) => tickLabel(ticks, i, st.yLog[this.id] || this.autoLog) },
          grid: { color: t.grid },
          border: { color: t.grid },
        },
        edge: { type: 'linear', axis: 'y', position: 'right', display: false, min: 0, max: 1 },
      },
      plugins: {
        // The legend is HTML next to the chart (main.ts): text for screen readers, buttons for the
        // keyboard, no canvas space taken from the plot and no legend layout on every live frame.
        legend: { display: false },
        tooltip: {
          animation: false,
          callbacks: {
            title: (items) => (items.length ? fmtX(axis, (items[0].raw as Pt).x) : ''),
            label: (item) => {
              const ds = item.dataset as DS;
              const p = item.raw as Pt;
              if (ds.lw.kind === 'nf') return `${ds.label}: ${p.kind === 'nan' ? 'NaN' : p.kind === '+inf' ? '+Inf' : '-Inf'}${(p.count ?? 1) > 1 ? ` ×${p.count}` : ''}`;
              return `${ds.label}${ds.lw.kind === 'raw' && this.byKey.get(`${ds.lw.runId}\u0000${ds.lw.key}`)?.smooth ? ' (raw)' : ''}: ${fmtNumber(p.y)}`;
            },
          },
        },
        zoom: {
          zoom: {
            wheel: { enabled: true, modifierKey: 'ctrl' },
            drag: { enabled: true, threshold: 5, backgroundColor: withAlpha(t.highlight, 0.15), borderColor: t.highlight, borderWidth: 1 },
            pinch: { enabled: true },
            mode: 'x',
            onZoomComplete: ({ chart }) => this.emitRange(chart),
          },
          pan: { enabled: true, mode: 'x', modifierKey: 'shift', onPanComplete: ({ chart }) => this.emitRange(chart) },
        },
        annotation: { annotations: {} },
        ...{ lwCrosshair: { color: t.muted } },
      },
    } as ChartOptions<'line'>;
  }

  private emitRange(chart: Chart): void {
    const s = chart.scales.x;
    if (Number.isFinite(s.min) && Number.isFinite(s.max) && s.min < s.max) this.events.range(s.min, s.max);
  }

  private click(native: Event | null): void {
    if (!native) return;
    const hits = this.chart.getElementsAtEventForMode(native, 'nearest', { intersect: true }, false);
    for (const h of hits) {
      const ds = this.chart.data.datasets[h.datasetIndex] as DS;
      const p = ds.data[h.index];
      if (!p || isBreak(p)) continue;
      let index = p.i;
      if (index === undefined) {
        // A smoothed point: open the nearest raw point of the same series.
        const raw = this.byKey.get(`${ds.lw.runId}\u0000${ds.lw.key}`)?.raw.data ?? [];
        let j = Math.min(cutIndex(raw, p.x), raw.length - 1);
        while (j > 0 && isBreak(raw[j])) j--;
        index = j >= 0 ? raw[j].i : undefined;
      }
      if (index !== undefined) {
        this.events.openPoint(ds.lw.runId, ds.lw.key, index);
        return;
      }
    }
  }

  /** Gap threshold for a series: from its drawn points and the pixel column width of the frame. */
  private gapFor(xs: number[]): number {
    const r = this.range;
    const log = this.state.xLog;
    const cols = Math.max(50, this.chart.width || 800);
    let column = 0;
    if (r && r.max > r.min) column = log ? (r.min > 0 ? (Math.log10(r.max) - Math.log10(r.min)) / cols : 0) : (r.max - r.min) / cols;
    return gapThreshold(xs, column, log);
  }

  private makeEntry(ref: SeriesRef, w: SeriesWindow): Entry {
    const t = this.theme;
    const hc = t.kind.startsWith('high-contrast');
    const nfData = nfPoints(w.nonFinite);
    const nfXs = nfData.map((p) => p.x).sort((a, b) => a - b);
    const gap = this.gapFor(w.raw.x);
    const log = this.state.xLog;
    const raw: Pt[] = new Array(w.raw.x.length);
    for (let j = 0; j < raw.length; j++) raw[j] = { x: w.raw.x[j], y: w.raw.y[j], i: w.raw.idx[j] };
    let smooth: DS | null = null;
    if (w.smooth) {
      const sp: Pt[] = new Array(w.smooth.x.length);
      for (let j = 0; j < sp.length; j++) sp[j] = { x: w.smooth.x[j], y: w.smooth.y[j] };
      smooth = {
        label: ref.label,
        data: withBreaks(sp, nfXs, gap, log, makeBreak),
        borderColor: ref.color,
        backgroundColor: ref.color,
        borderWidth: t.lineWidth,
        borderDash: ref.dash,
        pointRadius: 0,
        pointHitRadius: 4,
        order: 1,
        lw: { kind: 'smooth', runId: ref.runId, key: ref.key },
      };
    }
    const rawDs: DS = {
      label: ref.label,
      data: withBreaks(raw, nfXs, gap, log, makeBreak),
      // The raw curve stays faint behind the smoothed one (less faint in high contrast).
      borderColor: smooth ? withAlpha(ref.color, hc ? 0.45 : 0.25) : ref.color,
      backgroundColor: ref.color,
      borderWidth: smooth ? (hc ? 1.25 : 1) : t.lineWidth,
      borderDash: ref.dash,
      pointRadius: 0,
      pointHitRadius: 4,
      order: 2,
      lw: { kind: 'raw', runId: ref.runId, key: ref.key },
    };
    const nf: DS = {
      label: ref.label,
      data: nfData,
      yAxisID: 'edge',
      showLine: false,
      clip: false as unknown as number,
      pointStyle: 'triangle',
      pointRotation: 180,
      pointRadius: hc ? 7 : 6,
      pointHoverRadius: 8,
      pointHitRadius: 8,
      backgroundColor: ref.color,
      borderColor: t.error,
      borderWidth: hc ? 2 : 1.5,
      order: 0,
      lw: { kind: 'nf', runId: ref.runId, key: ref.key },
    };
    const iso: DS = {
      label: ref.label,
      data: [],
      showLine: false,
      pointRadius: t.lineWidth + 1,
      pointHoverRadius: t.lineWidth + 2,
      pointHitRadius: 4,
      backgroundColor: ref.color,
      borderColor: ref.color,
      borderWidth: 0,
      order: 1,
      lw: { kind: 'iso', runId: ref.runId, key: ref.key },
    };
    const hidden = this.hiddenKeys.has(`${ref.runId}\u0000${ref.key}`);
    for (const ds of [rawDs, smooth, nf, iso]) if (ds) ds.hidden = hidden;
    return { ref, raw: rawDs, smooth, nf, iso, gap };
  }

  private datasetsOf(e: Entry): DS[] {
    return e.smooth ? [e.raw, e.smooth, e.nf, e.iso] : [e.raw, e.nf, e.iso];
  }

  /** Replaces everything (a frame) and renders. */
  setFrame(items: Array<{ ref: SeriesRef; w: SeriesWindow }>, markers: Marker[], highlight: { x: number; step: number } | null, range: { min: number; max: number } | null): void {
    this.byKey.clear();
    this.setRange(range);
    const datasets: DS[] = [];
    for (const { ref, w } of items) {
      const e = this.makeEntry(ref, w);
      this.byKey.set(`${ref.runId}\u0000${ref.key}`, e);
      datasets.push(...this.datasetsOf(e));
    }
    this.chart.data.datasets = datasets;
    this.markers = markers;
    this.setAnnotations(highlight);
    this.dirty = true;
    this.render();
  }

  /**
   * Applies append deltas for the series of this panel, in place (the datasets' arrays are cut at the
   * patch's x and extended). Does not render: the caller renders once per animation frame.
   */
  applyPatches(items: Array<{ ref: SeriesRef; p: SeriesPatch }>, range: { min: number; max: number } | null, markers: Marker[] | null): void {
    this.setRange(range);
    const log = this.state.xLog;
    for (const { ref, p } of items) {
      const id = `${ref.runId}\u0000${ref.key}`;
      const cur = this.byKey.get(id);
      if (!cur || p.cutX === null || (cur.smooth === null) !== (p.smooth === null)) {
        const e = this.makeEntry(ref, p);
        if (cur) {
          cur.raw.data = e.raw.data;
          if (cur.smooth && e.smooth) cur.smooth.data = e.smooth.data;
          cur.nf.data = e.nf.data;
          cur.gap = e.gap;
        } else {
          this.byKey.set(id, e);
          this.chart.data.datasets.push(...this.datasetsOf(e));
        }
        continue;
      }
      const cut = p.cutX;
      const nf = cur.nf.data;
      nf.length = cutIndex(nf, cut);
      if (p.nonFinite.length > 0) nf.push(...nfPoints(p.nonFinite));
      const raw: Pt[] = new Array(p.raw.x.length);
      for (let j = 0; j < raw.length; j++) raw[j] = { x: p.raw.x[j], y: p.raw.y[j], i: p.raw.idx[j] };
      appendTail(cur.raw.data, cut, raw, nf, cur.gap, log);
      if (cur.smooth && p.smooth) {
        const sp: Pt[] = new Array(p.smooth.x.length);
        for (let j = 0; j < sp.length; j++) sp[j] = { x: p.smooth.x[j], y: p.smooth.y[j] };
        appendTail(cur.smooth.data, cut, sp, nf, cur.gap, log);
      }
    }
    if (markers) {
      this.markers = markers;
      this.setAnnotations(this.highlight);
    }
    this.dirty = true;
  }

  /** Legend entries, in drawing order. */
  legend(): Array<{ id: string; label: string; color: string; dash: number[]; hidden: boolean }> {
    return [...this.byKey.entries()].map(([id, e]) => ({ id, label: e.ref.label, color: e.ref.color, dash: e.ref.dash, hidden: this.hiddenKeys.has(id) }));
  }

  /** Shows or hides a series (legend button); returns whether it is now shown. */
  toggleSeries(id: string): boolean {
    const shown = this.hiddenKeys.has(id);
    if (shown) this.hiddenKeys.delete(id);
    else this.hiddenKeys.add(id);
    const e = this.byKey.get(id);
    if (e) for (const ds of this.datasetsOf(e)) ds.hidden = !shown;
    this.dirty = true;
    this.render();
    return shown;
  }

  /** x of the line breaks of every curve (for tests). */
  breaks(): Array<{ runId: string; key: string; kind: Kind; xs: number[] }> {
    const out: Array<{ runId: string; key: string; kind: Kind; xs: number[] }> = [];
    for (const e of this.byKey.values()) {
      for (const ds of e.smooth ? [e.raw, e.smooth] : [e.raw]) {
        out.push({ runId: e.ref.runId, key: e.ref.key, kind: ds.lw.kind, xs: ds.data.filter(isBreak).map((p) => p.x) });
      }
    }
    return out;
  }

  /**
   * The chart's own options object. (chart.options is the resolver built at the last update: after
   * `chart.options = …` it still points at the old object until the next update, so writes through it
   * would be lost.)
   */
  private cfg(): ChartOptions<'line'> {
    return this.chart.config.options as ChartOptions<'line'>;
  }

  /** True when data changed since the last render. */
  needsRender(): boolean {
    return this.dirty;
  }

  /** Fits the y axis to the visible data and redraws (once per animation frame at most). */
  render(): void {
    this.dirty = false;
    this.fitY();
    this.chart.update('none');
  }

  /** y range from the visible finite values (robust quantiles unless outliers are shown), isolated points. */
  private fitY(): void {
    const st = this.state;
    const r = this.range;
    const xMin = r ? r.min : -Infinity;
    const xMax = r ? r.max : Infinity;
    let n = 0;
    for (const e of this.byKey.values()) n += e.raw.data.length + (e.smooth?.data.length ?? 0);
    const shown = (e: Entry): boolean => !e.raw.hidden;
    if (this.ybuf.length < n) this.ybuf = new Float64Array(Math.max(n, this.ybuf.length * 2));
    const buf = this.ybuf;
    let k = 0;
    for (const e of this.byKey.values()) {
      if (!shown(e)) continue;
      for (const ds of e.smooth ? [e.raw, e.smooth] : [e.raw]) {
        const d = ds.data;
        for (let j = 0; j < d.length; j++) {
          const p = d[j];
          if (p.x >= xMin && p.x <= xMax && p.y - p.y === 0) buf[k++] = p.y;
        }
      }
      // Dots for points that have no neighbour to draw a line to (e.g. one record after a gap).
      const main = (e.smooth ?? e.raw).data;
      const iso = e.iso.data;
      iso.length = 0;
      for (let j = 0; j < main.length; j++) {
        if (!isBreak(main[j]) && (j === 0 || isBreak(main[j - 1])) && (j === main.length - 1 || isBreak(main[j + 1]))) iso.push(main[j]);
      }
    }
    const values = [buf.subarray(0, k)];
    const userLog = st.yLog[this.id];
    let autoLog = false;
    // Log axes round outward to a whole mantissa already: pad less.
    let range = yRange(values, { ignoreOutliers: st.ignoreOutliers, log: userLog, pad: userLog ? 0.02 : 0.05 });
    if (!userLog && st.ignoreOutliers && (this.id === 'loss' || this.id === 'lr') && range && range.positive && range.decades > AUTO_LOG_DECADES) {
      autoLog = true;
      range = yRange(values, { ignoreOutliers: true, log: true, pad: 0.02 });
    }
    const y = this.cfg().scales!.y! as { type?: string; min?: number; max?: number; ticks?: { stepSize?: number; autoSkip?: boolean } };
    const type = userLog || autoLog ? 'logarithmic' : 'linear';
    if (autoLog !== this.autoLog || y.type !== type) {
      this.autoLog = autoLog;
      y.type = type;
    }
    // Log axes label only some ticks (format.ts): Chart.js' auto-skip would drop labelled ones.
    if (y.ticks) y.ticks.autoSkip = type !== 'logarithmic';
    if (range) {
      const nice = niceRange(range.min, range.max, type === 'logarithmic');
      y.min = nice.min;
      y.max = nice.max;
      if (y.ticks) y.ticks.stepSize = nice.step ?? undefined;
    } else {
      delete y.min;
      delete y.max;
      if (y.ticks) delete y.ticks.stepSize;
    }
    this.events.yScale?.({ autoLog, clipped: range?.clipped ?? 0 });
  }

  private ybuf = new Float64Array(0);

  private setRange(range: { min: number; max: number } | null): void {
    this.range = range;
    const x = this.cfg().scales!.x!;
    if (range && range.min < range.max) {
      x.min = range.min;
      x.max = range.max;
    } else if (range) {
      x.min = range.min - 0.5;
      x.max = range.max + 0.5;
    } else {
      delete x.min;
      delete x.max;
    }
  }

  private setAnnotations(highlight: { x: number; step: number } | null): void {
    this.highlight = highlight;
    const t = this.theme;
    const ann: Record<string, AnnotationOptions> = {};
    this.markers.forEach((m, k) => {
      const color = sevColor(t, m);
      ann[`m${k}`] = {
        type: 'line',
        xMin: m.x,
        xMax: m.x,
        borderColor: color,
        borderWidth: (m.kind === 'best' ? 1.5 : 1.25) * (t.kind.startsWith('high-contrast') ? 1.6 : 1),
        borderDash: m.kind === 'best' ? [2, 3] : [6, 4],
        adjustScaleRange: false,
        label: {
          display: false,
          content: `${m.code} @ ${m.step}`,
          position: 'start',
          backgroundColor: withAlpha(t.bg, 0.9),
          color: t.fg,
          borderColor: color,
          borderWidth: 1,
          font: { size: 11 },
        },
        enter: (ctx) => {
          (ctx.element.label!.options as { display: boolean }).display = true;
          return true;
        },
        leave: (ctx) => {
          (ctx.element.label!.options as { display: boolean }).display = false;
          return true;
        },
        click: () => this.events.openMarker(m),
      } as AnnotationOptions;
    });
    if (highlight) {
      ann.highlight = {
        type: 'line',
        xMin: highlight.x,
        xMax: highlight.x,
        borderColor: t.highlight,
        borderWidth: 2,
        adjustScaleRange: false,
        label: { display: true, content: `step ${highlight.step}`, position: 'end', color: t.fg, backgroundColor: withAlpha(t.bg, 0.9) },
      } as AnnotationOptions;
    }
    const plugins = this.cfg().plugins as { annotation: { annotations: Record<string, AnnotationOptions> } };
    plugins.annotation.annotations = ann;
  }

  markersShown(): Marker[] {
    return this.markers;
  }

  /** Applies a new state/theme (axes types, colours) without touching the data. */
  restyle(theme: Theme, state: DashboardState): void {
    this.theme = theme;
    this.state = state;
    const data = this.chart.data;
    this.chart.options = this.options();
    this.chart.data = data;
    this.setAnnotations(this.highlight);
    this.setRange(this.range);
    this.render();
  }

  destroy(): void {
    this.chart.destroy();
  }
}
