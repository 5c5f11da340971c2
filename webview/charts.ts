// One Chart.js chart per metric card. Data arrives already downsampled (host side); this file only maps it
// to datasets, applies append patches in place, draws non-finite markers at the top edge, findings as small
// glyphs on the x axis (one vertical line only for the selected finding), and a crosshair tooltip that is
// the legend: every visible run's value at the hovered x, sorted by value (like TensorBoard).
import {
  Chart,
  LineController,
  LineElement,
  LinearScale,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type ChartDataset,
  type ChartOptions,
  type Plugin,
} from 'chart.js';
import zoomPlugin from 'chartjs-plugin-zoom';
import annotationPlugin, { type AnnotationOptions } from 'chartjs-plugin-annotation';
import type { NonFiniteMark } from '../src/shared/downsample';
import { cardXLog, RAW_CURVES_MAX, type DashboardState, type Marker, type SeriesPatch, type SeriesWindow } from '../src/shared/messages';
import { defaultYLog } from '../src/shared/cards';
import { clear, el } from './dom';
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
  /** Run name and series name, for the tooltip. */
  readonly run: string;
  readonly series: string;
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
  /** A finding glyph was clicked: it becomes the selected finding (its vertical line is drawn). */
  selectMarker?(m: Marker): void;
  /** After each render: whether log y was switched on automatically, and how many points are clipped. */
  yScale?(info: { autoLog: boolean; clipped: number; ownX: string[]; rawHidden: boolean; logXSkipped: number }): void;
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
  /** Drawn on the card's own top x axis (a per-epoch run among per-step runs). */
  ownX: boolean;
}

/** Tick labels are formatted per axis (consistent style and digits), once per tick array. */
const tickCache = new WeakMap<object, string[]>();
function tickLabel(ticks: Array<{ value: number }>, index: number, log: boolean): string {
  let labels = tickCache.get(ticks);
  if (!labels) {
    labels = fmtTicks(
      ticks.map((t) => t.value),
      log,
    );
    tickCache.set(ticks, labels);
  }
  return labels[index] ?? fmtNumber(ticks[index]?.value ?? NaN);
}

/**
 * The nearest point (by x pixel) of every line dataset: binary search per dataset, so a hover over
 * 200 runs costs microseconds per series. Hover never redraws the chart: the crosshair goes on an overlay
 * canvas and the tooltip is HTML.
 */
function nearestItems(chart: Chart, px: number): Array<{ ds: DS; els: Array<{ x: unknown }>; index: number }> {
  const items: Array<{ ds: DS; els: Array<{ x: unknown }>; index: number }> = [];
  // One pass over the visible metas (chart.getDatasetMeta(i) scans every meta: quadratic over 1,000+ datasets).
  for (const meta of chart.getSortedVisibleDatasetMetas()) {
    const ds = chart.data.datasets[meta.index] as DS;
    if (!ds || ds.lw.kind === 'iso') continue;
    const els = meta.data;
    if (els.length === 0) continue;
    let lo = 0;
    let hi = els.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((els[mid].x as number) < px) lo = mid + 1;
      else hi = mid;
    }
    let best = lo;
    if (lo > 0 && Math.abs((els[lo - 1].x as number) - px) < Math.abs((els[lo].x as number) - px)) best = lo - 1;
    if (isBreak(ds.data[best])) {
      // A line break: the nearest real neighbour instead.
      const a = best > 0 && !isBreak(ds.data[best - 1]) ? best - 1 : -1;
      const b = best + 1 < els.length && !isBreak(ds.data[best + 1]) ? best + 1 : -1;
      if (a < 0 && b < 0) continue;
      best = a < 0 ? b : b < 0 ? a : Math.abs((els[a].x as number) - px) <= Math.abs((els[b].x as number) - px) ? a : b;
    }
    if (ds.lw.kind === 'nf' && Math.abs((els[best].x as number) - px) > 8) continue;
    items.push({ ds, els, index: best });
  }
  return items;
}

/** Findings as small triangles standing on the x axis (drawn after the curves, hit-tested by Panel). */
const GLYPH = 5;
const glyphs: Plugin<'line'> = {
  id: 'lwGlyphs',
  beforeDatasetsDraw(chart) {
    const panel = (chart as unknown as { $lwPanel?: Panel }).$lwPanel;
    panel?.drawEnvelopes();
  },
  afterDatasetsDraw(chart) {
    const panel = (chart as unknown as { $lwPanel?: Panel }).$lwPanel;
    panel?.drawGlyphs();
  },
};

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip, zoomPlugin, annotationPlugin, glyphs);

// Chart.js 4 finds a dataset's meta by scanning every meta (`_metasets.filter(...)`), and calls it for
// every dataset on each update: quadratic, ~0.5 s per frame with 200 runs (1,600 datasets). Metas are
// kept at their dataset's index; take that one when it is the right meta, else fall back (measured with
// `npm run bench:webview -- --profile`).
{
  const proto = Chart.prototype as unknown as { getDatasetMeta(i: number): unknown; _metasets?: unknown };
  const scan = proto.getDatasetMeta;
  proto.getDatasetMeta = function (
    this: { data: { datasets: unknown[] }; _metasets: Array<{ _dataset: unknown } | undefined> },
    i: number,
  ) {
    const m = this._metasets[i];
    if (m && m._dataset === this.data.datasets[i]) return m;
    return scan.call(this, i);
  };
}

/** Smoothed curves in a card above which the raw curves behind them are not drawn. */
export { RAW_CURVES_MAX };

/** Most rows in the hover tooltip; the rest is counted. */
export const TOOLTIP_ROWS = 15;

function sevColor(theme: Theme, m: Marker): string {
  if (m.kind === 'best') return theme.palette[2];
  return m.severity === 'error' ? theme.error : m.severity === 'warning' ? theme.warning : theme.info;
}

/** Identity of a finding across frames. */
export function markerId(m: Marker): string {
  return `${m.runId}\u0000${m.kind}\u0000${m.code}\u0000${m.step}\u0000${m.seriesKey ?? ''}`;
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
  const nfXs = nf
    .filter((m) => m.x > from)
    .map((m) => m.x)
    .sort((a, b) => a - b);
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
  /** Run whose curves are emphasised (comparison table click); null = none. */
  private highlightRun: string | null = null;
  /** The selected finding (its vertical line is drawn), as `${runId}\0${code}\0${step}`. */
  private selectedMarker: string | null = null;
  /** Glyph positions of the last draw, for hover and click. */
  private glyphPos: Array<{ x: number; m: Marker }> = [];
  /** Log y chosen automatically (loss panel, data spanning > AUTO_LOG_DECADES decades, outliers ignored). */
  private autoLog = false;
  private dirty = false;
  private markers: Marker[] = [];
  private range: { min: number; max: number } | null = null;
  private highlight: { x: number; step: number } | null = null;

  constructor(
    readonly id: string,
    readonly canvas: HTMLCanvasElement,
    private theme: Theme,
    private state: DashboardState,
    private readonly events: PanelEvents,
    /** Positioned tooltip box (a sibling of the canvas). */
    readonly tip: HTMLElement = document.createElement('div'),
  ) {
    this.chart = new Chart<'line', Pt[]>(canvas, { type: 'line', data: { datasets: [] }, options: this.options() });
    (this.chart as unknown as { $lwPanel: Panel }).$lwPanel = this;
    this.overlay = document.createElement('div');
    this.overlay.className = 'crosshair';
    this.overlay.setAttribute('aria-hidden', 'true');
    this.overlay.hidden = true;
    canvas.after(this.overlay);
    canvas.addEventListener('mousemove', (e) => {
      const r = canvas.getBoundingClientRect();
      this.hoverAt(e.clientX - r.left, e.clientY - r.top);
    });
    canvas.addEventListener('mouseleave', () => this.unhover());
  }

  /** Crosshair: a positioned 1 px line over the chart (hover never redraws the chart). */
  private readonly overlay: HTMLDivElement;

  private unhover(): void {
    this.tip.hidden = true;
    this.tooltipRows = [];
    this.overlay.hidden = true;
  }

  /**
   * Hover at a canvas position (CSS px): finding glyph → its tooltip; else the crosshair and the
   * legend-tooltip of every series at that x. Cheap: binary searches and at most TOOLTIP_ROWS table rows.
   */
  hoverAt(px: number, py: number): void {
    const area = this.chart.chartArea;
    if (!area || px < area.left || px > area.right || py < area.top - 4 || py > area.bottom + GLYPH * 2) {
      this.unhover();
      return;
    }
    const m = this.glyphAt(px, py);
    this.canvas.style.cursor = m ? 'pointer' : '';
    if (m) {
      this.showMarkerTip(m, px);
      this.drawCrosshair(null);
      return;
    }
    const items = nearestItems(this.chart, px);
    if (items.length === 0) {
      this.unhover();
      return;
    }
    // Snap to the nearest drawn point's x.
    let snap = items[0];
    let d = Infinity;
    for (const it of items) {
      const e = it.els[it.index];
      const dd = Math.abs((e.x as number) - px);
      if (dd < d) {
        d = dd;
        snap = it;
      }
    }
    const sx = this.chart.scales.x.getPixelForValue(snap.ds.data[snap.index].x);
    this.renderTooltip(items, snap.ds.data[snap.index].x, sx);
    this.drawCrosshair(sx);
  }

  private drawCrosshair(x: number | null): void {
    const o = this.overlay;
    if (x === null) {
      o.hidden = true;
      return;
    }
    const { top, bottom } = this.chart.chartArea;
    o.hidden = false;
    o.style.left = `${Math.round(x)}px`;
    o.style.top = `${Math.round(top)}px`;
    o.style.height = `${Math.round(bottom - top)}px`;
    o.style.borderLeftColor = this.theme.muted;
  }

  /** Log x: the card's own toggle, else the toolbar's. */
  xLog(): boolean {
    return cardXLog(this.state, this.id);
  }

  /** Points of this card's series not drawn for want of an x (no epoch/time, or x <= 0 on log x), from the last frame. */
  xSkipped = 0;

  /** Log y as the user set it for this card, else the card's default. */
  private logY(): boolean {
    return this.state.yLog[this.id] ?? defaultYLog(this.id);
  }

  /** Series currently drawn (for tests, the table view and CSV). */
  series(): Array<{ ref: SeriesRef; raw: Pt[]; smooth: Pt[] | null; nf: Pt[]; ownX: boolean }> {
    const real = (pts: Pt[]): Pt[] => pts.filter((p) => !isBreak(p));
    return [...this.byKey.values()].map((s) => ({
      ref: s.ref,
      raw: real(s.raw.data),
      smooth: s.smooth ? real(s.smooth.data) : null,
      nf: s.nf.data,
      ownX: s.ownX,
    }));
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
      // Chart.js handles clicks only: hover is Panel.hoverAt (no chart redraw per mouse move).
      events: ['click'],
      onClick: (e) => this.click(e.native),
      // Room under the axis for the finding glyphs.
      layout: { padding: { bottom: 2 } },
      scales: {
        x: {
          type: this.xLog() ? 'logarithmic' : 'linear',
          title: { display: true, text: X_LABEL[axis], color: t.kind.startsWith('high-contrast') ? t.fg : t.muted },
          ticks: {
            color: t.fg,
            maxRotation: 0,
            autoSkip: true,
            callback: (v, i, ticks) => (axis === 'step' || axis === 'epoch' ? tickLabel(ticks, i, this.xLog()) : fmtX(axis, Number(v))),
          },
          grid: { color: t.grid },
          border: { color: t.grid },
        },
        y: {
          type: this.logY() || this.autoLog ? 'logarithmic' : 'linear',
          ticks: { color: t.fg, callback: (_v, i, ticks) => tickLabel(ticks, i, this.logY() || this.autoLog) },
          grid: { color: t.grid },
          border: { color: t.grid },
        },
        edge: { type: 'linear', axis: 'y', position: 'right', display: false, min: 0, max: 1 },
        // Runs logged per epoch only, among runs logged per step: their own x, on top (see the card note).
        x2: {
          type: 'linear',
          axis: 'x',
          position: 'top',
          display: 'auto',
          title: { display: true, text: 'epoch (runs logged per epoch)', color: t.muted },
          ticks: { color: t.fg, maxRotation: 0, autoSkip: true },
          grid: { drawOnChartArea: false, color: t.grid },
          border: { color: t.grid },
        },
      },
      plugins: {
        // No legend: the hover tooltip lists the runs (sorted by value) and the run selector has the colour
        // key, so 200 runs take no space from the plot.
        legend: { display: false },
        tooltip: { enabled: false },
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
      },
    } as ChartOptions<'line'>;
  }

  private emitRange(chart: Chart): void {
    const s = chart.scales.x;
    if (Number.isFinite(s.min) && Number.isFinite(s.max) && s.min < s.max) this.events.range(s.min, s.max);
  }

  private click(native: Event | null): void {
    if (!native) return;
    const ev = native as MouseEvent;
    const r = this.canvas.getBoundingClientRect();
    const g = this.glyphAt(ev.clientX - r.left, ev.clientY - r.top);
    if (g) {
      this.selectMarker(g);
      this.events.selectMarker?.(g);
      this.events.openMarker(g);
      return;
    }
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
  private gapFor(xs: ArrayLike<number>): number {
    const r = this.range;
    const log = this.xLog();
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
    const log = this.xLog();
    const raw: Pt[] = new Array(w.raw.x.length);
    for (let j = 0; j < raw.length; j++) raw[j] = { x: w.raw.x[j], y: w.raw.y[j], i: w.raw.idx[j] };
    let smooth: DS | null = null;
    if (w.smooth) {
      const sp: Pt[] = new Array(w.smooth.x.length);
      const si = w.smooth.idx;
      if (si) for (let j = 0; j < sp.length; j++) sp[j] = { x: w.smooth.x[j], y: w.smooth.y[j], i: si[j] };
      else for (let j = 0; j < sp.length; j++) sp[j] = { x: w.smooth.x[j], y: w.smooth.y[j] };
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
    const ownX = w.ownX === true;
    if (ownX) for (const ds of [rawDs, smooth, nf, iso]) if (ds) (ds as { xAxisID?: string }).xAxisID = 'x2';
    const e: Entry = { ref, raw: rawDs, smooth, nf, iso, gap, ownX };
    this.emphasis(e);
    return e;
  }

  private datasetsOf(e: Entry): DS[] {
    if (e.smooth && this.rawHidden) return [e.smooth, e.nf, e.iso];
    return e.smooth ? [e.raw, e.smooth, e.nf, e.iso] : [e.raw, e.nf, e.iso];
  }

  /**
   * More than RAW_CURVES_MAX smoothed curves in a card: the faint raw curves are not drawn (200 overlapping
   * raw curves are noise, and they double the drawing work); the tooltip then shows smoothed values and
   * clicks still open the nearest raw point.
   */
  rawHidden = false;

  /** Replaces everything (a frame) and renders. */
  setFrame(
    items: Array<{ ref: SeriesRef; w: SeriesWindow }>,
    markers: Marker[],
    highlight: { x: number; step: number } | null,
    range: { min: number; max: number } | null,
  ): void {
    this.byKey.clear();
    this.setRange(range);
    this.rawHidden = items.length > RAW_CURVES_MAX && items.every((i) => i.w.smooth !== null);
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
  applyPatches(
    items: Array<{ ref: SeriesRef; p: SeriesPatch }>,
    range: { min: number; max: number } | null,
    markers: Marker[] | null,
  ): void {
    this.setRange(range);
    const log = this.xLog();
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
        const si = p.smooth.idx;
        for (let j = 0; j < sp.length; j++)
          sp[j] = si ? { x: p.smooth.x[j], y: p.smooth.y[j], i: si[j] } : { x: p.smooth.x[j], y: p.smooth.y[j] };
        appendTail(cur.smooth.data, cut, sp, nf, cur.gap, log);
      }
    }
    if (markers) {
      this.markers = markers;
      this.setAnnotations(this.highlight);
    }
    this.dirty = true;
  }

  /** Emphasises one run's curves (thicker), fades the others; null restores all. */
  setHighlightRun(runId: string | null): void {
    if (runId === this.highlightRun) return;
    this.highlightRun = runId;
    for (const e of this.byKey.values()) this.emphasis(e);
    this.dirty = true;
  }

  private emphasis(e: Entry): void {
    const t = this.theme;
    const hc = t.kind.startsWith('high-contrast');
    const h = this.highlightRun;
    const faded = h !== null && e.ref.runId !== h;
    const strong = h !== null && e.ref.runId === h;
    const main = e.smooth ?? e.raw;
    main.borderColor = faded ? withAlpha(e.ref.color, 0.18) : e.ref.color;
    main.borderWidth = strong ? t.lineWidth * 2 : t.lineWidth;
    main.order = strong ? 0 : e.smooth ? 1 : 2;
    if (e.smooth) e.raw.borderColor = this.state.envelope ? 'rgba(0, 0, 0, 0)' : withAlpha(e.ref.color, faded ? 0.06 : hc ? 0.45 : 0.25);
  }

  /**
   * Min/max envelope (option): the raw points (already min/max per column from the host) as a filled band
   * per pixel column behind the smoothed curve; breaks (gaps, non-finite) split the band.
   */
  drawEnvelopes(): void {
    if (!this.state.envelope) return;
    const c = this.chart;
    const ctx = c.ctx;
    const area = c.chartArea;
    ctx.save();
    ctx.beginPath();
    ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
    ctx.clip();
    for (const meta of c.getSortedVisibleDatasetMetas()) {
      const ds = c.data.datasets[meta.index] as DS;
      if (!ds || ds.lw.kind !== 'raw') continue;
      const e = this.byKey.get(`${ds.lw.runId}\u0000${ds.lw.key}`);
      if (!e || !e.smooth) continue;
      const els = meta.data;
      const cols: Array<{ x: number; lo: number; hi: number } | null> = [];
      let cur: { x: number; lo: number; hi: number } | null = null;
      for (let j = 0; j < els.length; j++) {
        if (isBreak(ds.data[j])) {
          if (cur) cols.push(cur);
          cur = null;
          cols.push(null);
          continue;
        }
        const x = Math.round(els[j].x as number);
        const y = els[j].y as number;
        if (!Number.isFinite(y)) continue;
        if (cur && cur.x === x) {
          if (y < cur.lo) cur.lo = y;
          if (y > cur.hi) cur.hi = y;
        } else {
          if (cur) cols.push(cur);
          cur = { x, lo: y, hi: y };
        }
      }
      if (cur) cols.push(cur);
      ctx.fillStyle = withAlpha(e.ref.color, this.highlightRun !== null && this.highlightRun !== e.ref.runId ? 0.05 : 0.22);
      let seg: Array<{ x: number; lo: number; hi: number }> = [];
      const flushSeg = (): void => {
        if (seg.length > 0) {
          ctx.beginPath();
          ctx.moveTo(seg[0].x - 0.5, seg[0].lo - 0.5);
          for (const p of seg) ctx.lineTo(p.x, p.lo - 0.5);
          for (let k = seg.length - 1; k >= 0; k--) ctx.lineTo(seg[k].x, seg[k].hi + 0.5);
          ctx.closePath();
          ctx.fill();
        }
        seg = [];
      };
      for (const col of cols) {
        if (col === null) flushSeg();
        else seg.push(col);
      }
      flushSeg();
    }
    ctx.restore();
  }

  /** Selects a finding by its identity (null: none); its vertical line is drawn. */
  selectMarker(m: Marker | null): void {
    const id = m ? markerId(m) : null;
    if (id === this.selectedMarker) return;
    this.selectedMarker = id;
    this.setAnnotations(this.highlight);
    this.dirty = true;
  }

  /** Draws the finding glyphs on the x axis (called by the glyph plugin after the curves). */
  drawGlyphs(): void {
    const c = this.chart;
    const x = c.scales.x;
    const area = c.chartArea;
    if (!x || !area) return;
    const ctx = c.ctx;
    const hc = this.theme.kind.startsWith('high-contrast');
    this.glyphPos = [];
    ctx.save();
    for (const m of this.markers) {
      const px = x.getPixelForValue(m.x);
      if (!(px >= area.left - 1 && px <= area.right + 1)) continue;
      this.glyphPos.push({ x: px, m });
      const sel = this.selectedMarker === markerId(m);
      const size = sel ? GLYPH + 2 : GLYPH;
      const y = area.bottom;
      ctx.beginPath();
      if (m.kind === 'best') {
        // Best validation step: a small diamond.
        ctx.moveTo(px, y - size * 2);
        ctx.lineTo(px + size * 0.8, y - size);
        ctx.lineTo(px, y);
        ctx.lineTo(px - size * 0.8, y - size);
      } else {
        ctx.moveTo(px, y - size * 1.7);
        ctx.lineTo(px + size, y);
        ctx.lineTo(px - size, y);
      }
      ctx.closePath();
      ctx.fillStyle = sevColor(this.theme, m);
      ctx.fill();
      ctx.lineWidth = hc || sel ? 1.5 : 1;
      ctx.strokeStyle = this.theme.bg;
      ctx.stroke();
    }
    ctx.restore();
  }

  /** The glyph under a canvas position (CSS px), if any. */
  glyphAt(px: number, py: number): Marker | null {
    const area = this.chart.chartArea;
    if (!area || py < area.bottom - GLYPH * 3 || py > area.bottom + GLYPH) return null;
    let best: Marker | null = null;
    let bestD = GLYPH + 2;
    for (const g of this.glyphPos) {
      const d = Math.abs(g.x - px);
      if (d <= bestD) {
        bestD = d;
        best = g.m;
      }
    }
    return best;
  }

  private showMarkerTip(m: Marker, px: number): void {
    const tip = this.tip;
    clear(tip);
    tip.append(
      el(
        'div',
        { class: 'tip-title' },
        `${m.kind === 'best' ? 'best' : m.severity === 'information' ? 'info' : m.severity}: ${m.code} at step ${m.step}`,
      ),
      el('div', { class: 'tip-msg' }, m.message.length > 300 ? `${m.message.slice(0, 300)}…` : m.message),
      el('div', { class: 'tip-more' }, m.file ? 'Click to select it and open the log line.' : 'Click to select it.'),
    );
    this.placeTip(px);
  }

  /** Beside the cursor, on the side with more room; no layout read (a hover must not force a reflow). */
  private placeTip(px: number): void {
    const tip = this.tip;
    tip.hidden = false;
    const w = this.chart.width;
    if (px > w / 2) {
      tip.style.left = 'auto';
      tip.style.right = `${Math.round(w - px + 14)}px`;
    } else {
      tip.style.right = 'auto';
      tip.style.left = `${Math.round(px + 14)}px`;
    }
    tip.style.top = `${Math.round(this.chart.chartArea?.top ?? 0)}px`;
  }

  /** Last tooltip rows (for tests): run, series, shown value. */
  tooltipRows: Array<{ runId: string; run: string; series: string; value: number | string }> = [];

  /** The legend-tooltip: one row per series at the hovered x (smoothed value, raw in brackets), sorted by value. */
  private renderTooltip(items: Array<{ ds: DS; index: number }>, x: number, px: number): void {
    const tip = this.tip;
    interface Row {
      ref: SeriesRef;
      smooth: number | null;
      raw: number | null;
      nf: string | null;
    }
    const rows = new Map<string, Row>();
    for (const dp of items) {
      const ds = dp.ds;
      const id = `${ds.lw.runId}\u0000${ds.lw.key}`;
      const e = this.byKey.get(id);
      if (!e) continue;
      const p = ds.data[dp.index];
      let r = rows.get(id);
      if (!r) rows.set(id, (r = { ref: e.ref, smooth: null, raw: null, nf: null }));
      if (ds.lw.kind === 'nf')
        r.nf = `${p.kind === 'nan' ? 'NaN' : p.kind === '+inf' ? '+Inf' : '-Inf'}${(p.count ?? 1) > 1 ? ` ×${p.count}` : ''}`;
      else if (ds.lw.kind === 'smooth') r.smooth = p.y;
      else r.raw = p.y;
    }
    const val = (r: Row): number => (r.nf !== null ? Infinity : (r.smooth ?? r.raw ?? -Infinity));
    const list = [...rows.values()].sort((a, b) => val(b) - val(a));
    this.tooltipRows = list.map((r) => ({
      runId: r.ref.runId,
      run: r.ref.run,
      series: r.ref.series,
      value: r.nf ?? r.smooth ?? r.raw ?? NaN,
    }));
    clear(tip);
    tip.append(el('div', { class: 'tip-title' }, `${X_LABEL[this.state.xAxis]} ${fmtX(this.state.xAxis, x)}`));
    const table = el('table', { class: 'tip-rows' });
    for (const r of list.slice(0, TOOLTIP_ROWS)) {
      const sw = el('span', { class: 'tip-swatch' });
      sw.style.borderTopColor = r.ref.color;
      sw.style.borderTopStyle = r.ref.dash.length === 0 ? 'solid' : r.ref.dash[0] <= 2 ? 'dotted' : 'dashed';
      const value = r.nf ?? (r.smooth !== null ? fmtNumber(r.smooth) : r.raw !== null ? fmtNumber(r.raw) : '');
      const raw = r.nf === null && r.smooth !== null && r.raw !== null ? ` (${fmtNumber(r.raw)})` : '';
      const tr = el('tr', {}, el('td', {}, sw), el('td', { class: 'tip-name' }, r.ref.label), el('td', { class: 'tip-val' }, value + raw));
      if (this.highlightRun === r.ref.runId) tr.className = 'tip-hl';
      table.append(tr);
    }
    tip.append(table);
    if (list.length > TOOLTIP_ROWS) tip.append(el('div', { class: 'tip-more' }, `+${list.length - TOOLTIP_ROWS} more`));
    this.placeTip(px);
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
    this.syncDatasets();
    this.chart.update('none');
  }

  /**
   * The chart's datasets: each series' curves, and its non-finite markers and isolated dots only when it
   * has some. Empty datasets still cost Chart.js per-dataset work on every update (and its meta lookup
   * is linear in the dataset count): 200 runs would carry 400 empty ones per card.
   */
  private syncDatasets(): void {
    const list: DS[] = [];
    for (const e of this.byKey.values()) {
      for (const ds of this.datasetsOf(e)) if (ds.data.length > 0 || (ds !== e.nf && ds !== e.iso)) list.push(ds);
    }
    const cur = this.chart.data.datasets;
    if (cur.length === list.length && list.every((d, i) => cur[i] === d)) return;
    this.chart.data.datasets = list;
  }

  /** y range from the visible finite values (robust quantiles unless outliers are shown), isolated points. */
  private fitY(): void {
    const st = this.state;
    const r = this.range;
    const xMin = r ? r.min : -Infinity;
    const xMax = r ? r.max : Infinity;
    let n = 0;
    for (const e of this.byKey.values()) n += e.raw.data.length + (e.smooth?.data.length ?? 0);
    const shown = (_e: Entry): boolean => true;
    if (this.ybuf.length < n) this.ybuf = new Float64Array(Math.max(n, this.ybuf.length * 2));
    const buf = this.ybuf;
    let k = 0;
    for (const e of this.byKey.values()) {
      if (!shown(e)) continue;
      const lo = e.ownX ? -Infinity : xMin;
      const hi = e.ownX ? Infinity : xMax;
      for (const ds of e.smooth ? [e.raw, e.smooth] : [e.raw]) {
        const d = ds.data;
        for (let j = 0; j < d.length; j++) {
          const p = d[j];
          if (p.x >= lo && p.x <= hi && p.y - p.y === 0) buf[k++] = p.y;
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
    const userLog = this.logY();
    let autoLog = false;
    // Log axes round outward to a whole mantissa already: pad less.
    let range = yRange(values, { ignoreOutliers: st.ignoreOutliers, log: userLog, pad: userLog ? 0.02 : 0.05 });
    if (
      !userLog &&
      st.ignoreOutliers &&
      (this.id === 'loss' || this.id === 'lr') &&
      range &&
      range.positive &&
      range.decades > AUTO_LOG_DECADES
    ) {
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
    const own = [...new Set([...this.byKey.values()].filter((e) => e.ownX).map((e) => e.ref.run))];
    this.events.yScale?.({
      autoLog,
      clipped: range?.clipped ?? 0,
      ownX: own,
      rawHidden: this.rawHidden,
      logXSkipped: this.xLog() ? this.xSkipped : 0,
    });
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
    const sel = this.selectedMarker !== null ? this.markers.find((m) => markerId(m) === this.selectedMarker) : undefined;
    if (sel) {
      const color = sevColor(t, sel);
      ann.selected = {
        type: 'line',
        xMin: sel.x,
        xMax: sel.x,
        borderColor: color,
        borderWidth: 1.5 * (t.kind.startsWith('high-contrast') ? 1.6 : 1),
        borderDash: sel.kind === 'best' ? [2, 3] : [6, 4],
        adjustScaleRange: false,
        label: {
          display: true,
          content: `${sel.code} @ ${sel.step}`,
          position: 'start',
          backgroundColor: withAlpha(t.bg, 0.9),
          color: t.fg,
          borderColor: color,
          borderWidth: 1,
          font: { size: 11 },
        },
      } as AnnotationOptions;
    }
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
  restyle(theme: Theme, state: DashboardState, render = true): void {
    this.theme = theme;
    this.state = state;
    const data = this.chart.data;
    this.chart.options = this.options();
    this.chart.data = data;
    for (const e of this.byKey.values()) this.emphasis(e);
    this.setAnnotations(this.highlight);
    this.setRange(this.range);
    if (render) this.render();
  }

  destroy(): void {
    this.chart.destroy();
  }
}
