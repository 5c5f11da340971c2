// One Chart.js chart per panel. Data arrives already downsampled (host side); this file only maps it to
// datasets, applies append patches in place, draws non-finite markers at the top edge, finding markers
// as annotation lines, and a crosshair tooltip listing every series at the hovered x.
import {
  Chart,
  Interaction,
  Legend,
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
import { fmtNumber, fmtX, X_LABEL } from './format';
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

type Kind = 'raw' | 'smooth' | 'nf';
type DS = ChartDataset<'line', Pt[]> & { lw: { kind: Kind; runId: string; key: string } };

export interface PanelEvents {
  /** User zoomed or panned to this x-range. */
  range(min: number, max: number): void;
  openPoint(runId: string, key: string, index: number): void;
  openMarker(m: Marker): void;
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

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip, Legend, zoomPlugin, annotationPlugin, crosshair);

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

function nfPoints(marks: readonly NonFiniteMark[]): Pt[] {
  return marks.map((m) => ({ x: m.x, y: 1, i: m.index, kind: m.kind, count: m.count }));
}

export class Panel {
  readonly chart: Chart<'line', Pt[]>;
  private byKey = new Map<string, { ref: SeriesRef; raw: DS; smooth: DS | null; nf: DS }>();
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
    return [...this.byKey.values()].map((s) => ({ ref: s.ref, raw: s.raw.data, smooth: s.smooth?.data ?? null, nf: s.nf.data }));
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
      spanGaps: true,
      interaction: { mode: MODE as 'nearest', intersect: false },
      onClick: (e) => this.click(e.native),
      scales: {
        x: {
          type: st.xLog ? 'logarithmic' : 'linear',
          title: { display: true, text: X_LABEL[axis], color: t.muted },
          ticks: { color: t.fg, maxRotation: 0, autoSkip: true, callback: (v) => fmtX(axis, Number(v)) },
          grid: { color: t.grid },
          border: { color: t.grid },
        },
        y: {
          type: st.yLog[this.id] ? 'logarithmic' : 'linear',
          ticks: { color: t.fg, callback: (v) => fmtNumber(Number(v)) },
          grid: { color: t.grid },
          border: { color: t.grid },
        },
        edge: { type: 'linear', axis: 'y', position: 'right', display: false, min: 0, max: 1 },
      },
      plugins: {
        legend: {
          labels: {
            color: t.fg,
            boxWidth: 18,
            boxHeight: 2,
            filter: (item, data) => {
              const ds = data.datasets[item.datasetIndex ?? 0] as DS;
              return ds.lw.kind === 'smooth' || (ds.lw.kind === 'raw' && !this.byKey.get(`${ds.lw.runId}\u0000${ds.lw.key}`)?.smooth);
            },
          },
        },
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
      let index = p.i;
      if (index === undefined) {
        // A smoothed point: open the nearest raw point of the same series.
        const raw = this.byKey.get(`${ds.lw.runId}\u0000${ds.lw.key}`)?.raw.data ?? [];
        const j = Math.min(cutIndex(raw, p.x), raw.length - 1);
        index = j >= 0 ? raw[j].i : undefined;
      }
      if (index !== undefined) {
        this.events.openPoint(ds.lw.runId, ds.lw.key, index);
        return;
      }
    }
  }

  private makeDatasets(ref: SeriesRef, w: SeriesWindow): { raw: DS; smooth: DS | null; nf: DS } {
    const t = this.theme;
    const raw: Pt[] = new Array(w.raw.x.length);
    for (let j = 0; j < raw.length; j++) raw[j] = { x: w.raw.x[j], y: w.raw.y[j], i: w.raw.idx[j] };
    let smooth: DS | null = null;
    if (w.smooth) {
      const sp: Pt[] = new Array(w.smooth.x.length);
      for (let j = 0; j < sp.length; j++) sp[j] = { x: w.smooth.x[j], y: w.smooth.y[j] };
      smooth = {
        label: ref.label,
        data: sp,
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
      data: raw,
      borderColor: smooth ? withAlpha(ref.color, 0.25) : ref.color,
      backgroundColor: ref.color,
      borderWidth: smooth ? 1 : t.lineWidth,
      borderDash: ref.dash,
      pointRadius: 0,
      pointHitRadius: 4,
      order: 2,
      lw: { kind: 'raw', runId: ref.runId, key: ref.key },
    };
    const nf: DS = {
      label: ref.label,
      data: nfPoints(w.nonFinite),
      yAxisID: 'edge',
      showLine: false,
      clip: false as unknown as number,
      pointStyle: 'triangle',
      pointRotation: 180,
      pointRadius: 6,
      pointHoverRadius: 8,
      pointHitRadius: 8,
      backgroundColor: ref.color,
      borderColor: t.error,
      borderWidth: 1.5,
      order: 0,
      lw: { kind: 'nf', runId: ref.runId, key: ref.key },
    };
    return { raw: rawDs, smooth, nf };
  }

  /** Replaces everything (a frame). */
  setFrame(items: Array<{ ref: SeriesRef; w: SeriesWindow }>, markers: Marker[], highlight: { x: number; step: number } | null, range: { min: number; max: number } | null): void {
    this.byKey.clear();
    const datasets: DS[] = [];
    for (const { ref, w } of items) {
      const d = this.makeDatasets(ref, w);
      this.byKey.set(`${ref.runId}\u0000${ref.key}`, { ref, ...d });
      datasets.push(d.raw);
      if (d.smooth) datasets.push(d.smooth);
      datasets.push(d.nf);
    }
    this.chart.data.datasets = datasets;
    this.markers = markers;
    this.setAnnotations(highlight);
    this.setRange(range);
    this.chart.update('none');
  }

  /** Applies append deltas for the series of this panel; returns true when something changed. */
  applyPatches(items: Array<{ ref: SeriesRef; p: SeriesPatch }>, range: { min: number; max: number } | null, markers: Marker[] | null): void {
    for (const { ref, p } of items) {
      const id = `${ref.runId}\u0000${ref.key}`;
      const cur = this.byKey.get(id);
      if (!cur || p.cutX === null || (cur.smooth === null) !== (p.smooth === null)) {
        const d = this.makeDatasets(ref, p);
        if (cur) {
          cur.raw.data = d.raw.data;
          if (cur.smooth && d.smooth) cur.smooth.data = d.smooth.data;
          cur.nf.data = d.nf.data;
        } else {
          this.byKey.set(id, { ref, ...d });
          this.chart.data.datasets.push(d.raw);
          if (d.smooth) this.chart.data.datasets.push(d.smooth);
          this.chart.data.datasets.push(d.nf);
        }
        continue;
      }
      const cut = p.cutX;
      const raw = cur.raw.data;
      raw.length = cutIndex(raw, cut);
      for (let j = 0; j < p.raw.x.length; j++) raw.push({ x: p.raw.x[j], y: p.raw.y[j], i: p.raw.idx[j] });
      if (cur.smooth && p.smooth) {
        const sm = cur.smooth.data;
        sm.length = cutIndex(sm, cut);
        for (let j = 0; j < p.smooth.x.length; j++) sm.push({ x: p.smooth.x[j], y: p.smooth.y[j] });
      }
      const nf = cur.nf.data;
      nf.length = cutIndex(nf, cut);
      nf.push(...nfPoints(p.nonFinite));
    }
    if (markers) {
      this.markers = markers;
      this.setAnnotations(this.highlight);
    }
    this.setRange(range);
    this.chart.update('none');
  }

  private setRange(range: { min: number; max: number } | null): void {
    this.range = range;
    const x = this.chart.options.scales!.x!;
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
        borderWidth: m.kind === 'best' ? 1.5 : 1.25,
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
    const plugins = this.chart.options.plugins as { annotation: { annotations: Record<string, AnnotationOptions> } };
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
    this.chart.update('none');
  }

  destroy(): void {
    this.chart.destroy();
  }
}
