// Introspection for the integration tests and the benchmark, compiled only into test builds
// (`__LW_TEST__`, scripts/build.mjs): production bundles carry none of it.
import type { Marker } from '../src/shared/messages';
import type { Cards } from './cards';
import type { RunSelector } from './selector';
import type { Action, Store } from './store';

export interface HookContext {
  store: Store;
  cards: Cards;
  selector: RunSelector;
  renders(): number;
  lastRenderMs(): number;
  flushMs(): number[];
  markers(): readonly Marker[];
}

export function installTestHooks(c: HookContext): void {
  const panel = (id: string) => {
    const v = c.cards.views.get(id);
    if (!v) throw new Error(`no card ${id} (cards: ${[...c.cards.views.keys()].join(', ')})`);
    return v.panel;
  };
  (window as unknown as { __losswatch: unknown }).__losswatch = {
    state: () => c.store.state,
    ui: () => c.store.ui,
    dispatch: (a: Action) => c.store.dispatch(a),
    renders: c.renders,
    lastRenderMs: c.lastRenderMs,
    flushMs: c.flushMs,
    /** Run selector rows: id, name, shown by the filter, ticked. */
    runs: () =>
      [...document.querySelectorAll<HTMLElement>('#lw-runs .run-row')].map((r) => ({
        id: r.dataset.run,
        name: r.querySelector('.run-name')?.textContent,
        visible: !r.hidden,
        checked: (r.querySelector('input') as HTMLInputElement).checked,
        status: (r.querySelector('.status') as HTMLElement).dataset.status,
        color: (r.querySelector('.swatch') as HTMLElement).style.background,
      })),
    filterMs: () => c.selector.lastFilterMs,
    drawn: () => c.selector.drawnIds(),
    panels: () =>
      [...c.cards.views].map(([id, v]) => ({
        id,
        title: v.info.title,
        group: v.info.group,
        hidden: v.section.hidden || v.body.hidden,
        series: v.panel.series().map((s) => ({
          runId: s.ref.runId,
          run: s.ref.run,
          key: s.ref.key,
          label: s.ref.label,
          color: s.ref.color,
          dash: s.ref.dash,
          ownX: s.ownX,
          raw: s.raw.length,
          smooth: s.smooth?.length ?? 0,
          nonFinite: s.nf.map((n) => ({ x: n.x, kind: n.kind, index: n.i })),
        })),
        markers: v.panel.markersShown().map((m) => ({ code: m.code, x: m.x, step: m.step, runId: m.runId })),
        xRange: { min: v.panel.chart.scales.x?.min, max: v.panel.chart.scales.x?.max, type: v.panel.chart.scales.x?.type },
        yRange: { min: v.panel.chart.scales.y?.min, max: v.panel.chart.scales.y?.max, type: v.panel.chart.scales.y?.type },
        note: v.note.textContent,
        yTicks: (v.panel.chart.scales.y?.ticks ?? []).map((t) => String(t.label ?? '')),
        breaks: v.panel.breaks(),
        annotations: Object.keys(
          (v.panel.chart.config.options?.plugins as { annotation?: { annotations?: object } })?.annotation?.annotations ?? {},
        ),
      })),
    chart: (id: string) => panel(id).chart,
    points: (id: string, which: 'raw' | 'smooth' = 'raw') =>
      panel(id)
        .series()
        .flatMap((s) => (which === 'raw' ? s.raw : (s.smooth ?? [])).map((p) => [p.x, p.y])),
    pixel: (id: string, x: number, y: number) => {
      const ch = panel(id).chart;
      const r = window.devicePixelRatio || 1;
      return { x: ch.scales.x.getPixelForValue(x) * r, y: ch.scales.y.getPixelForValue(y) * r, ratio: r };
    },
    client: (id: string, x: number, y: number, axis: 'y' | 'edge' = 'y') => {
      const ch = panel(id).chart;
      const b = ch.canvas.getBoundingClientRect();
      return { x: b.left + ch.scales.x.getPixelForValue(x), y: b.top + ch.scales[axis].getPixelForValue(y) };
    },
    /**
     * Hovers a card at data x (synchronously through Chart.js' event handler, which redraws and fills the
     * tooltip): returns the tooltip rows and the time it took.
     */
    hover: (id: string, x: number) => {
      const p = panel(id);
      const ch = p.chart;
      const px = ch.scales.x.getPixelForValue(x);
      const py = (ch.chartArea.top + ch.chartArea.bottom) / 2;
      const t0 = performance.now();
      p.hoverAt(px, py);
      const ms = performance.now() - t0;
      return { ms, rows: p.tooltipRows, visible: !p.tip.hidden, text: p.tip.textContent };
    },
    markerList: () => c.markers(),
  };
}
