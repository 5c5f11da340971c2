// Dashboard webview entry: toolbar, panels, table view, markers list; talks to the host with the typed
// messages of src/shared/messages.ts. Data arrives viewport-bounded; this file never sees full series.
import {
  DEFAULT_STATE,
  PANEL_IDS,
  panelOf,
  restoreState,
  X_AXES,
  type DashboardState,
  type HostMessage,
  type Marker,
  type PanelId,
  type RunMeta,
  type SeriesMeta,
  type SeriesPatch,
  type SeriesWindow,
  type WebviewMessage,
} from '../src/shared/messages';
import { Panel, type SeriesRef } from './charts';
import { clear, el } from './dom';
import { fmtNumber, fmtX, X_LABEL } from './format';
import { onThemeChange, readTheme, type Theme } from './theme';

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode: VsCodeApi = acquireVsCodeApi();
const TITLES: Record<PanelId, string> = {
  loss: 'Loss',
  grad: 'Gradient norm',
  lr: 'Learning rate',
  acc: 'Accuracy',
  other: 'Other metric',
};
const TABLE_MAX_ROWS = 2000;

let state: DashboardState = restoreState(vscode.getState() ?? DEFAULT_STATE);
let theme: Theme = readTheme();
let runs: RunMeta[] = [];
let seq = 0;
let lastFrame: Extract<HostMessage, { type: 'frame' }> | null = null;
let lastAxes = '';
const styled = new Map<PanelId, string>();
const axesKey = (st: DashboardState): string => `${st.xAxis}/${st.xLog}/${JSON.stringify(st.yLog)}`;
interface PanelView {
  section: HTMLElement;
  panel: Panel;
  table: HTMLElement;
  logY: HTMLInputElement;
  note: HTMLElement;
  legend: HTMLElement;
  legendSig: string;
}
const panels = new Map<PanelId, PanelView>();

function post(msg: WebviewMessage): void {
  vscode.postMessage(msg);
}

// ------------------------------------------------------------------ layout

const app = document.getElementById('app') ?? document.body.appendChild(el('div', { id: 'app' }));
const runsBox = el('fieldset', { class: 'runs' }, el('legend', {}, 'Runs'));
const xAxisSel = el('select', { id: 'lw-x-axis' });
for (const a of X_AXES) xAxisSel.append(el('option', { value: a }, X_LABEL[a]));
const xLog = el('input', { type: 'checkbox', id: 'lw-x-log' });
const outliers = el('input', { type: 'checkbox', id: 'lw-outliers' });
const smoothing = el('input', { type: 'range', id: 'lw-smoothing', min: '0', max: '0.999', step: '0.001' });
const smoothingOut = el('output', { for: 'lw-smoothing', id: 'lw-smoothing-value' });
const otherSel = el('select', { id: 'lw-other' });
const resetBtn = el('button', { id: 'lw-reset', type: 'button', title: 'Reset zoom and follow the tail (key 0)' }, 'Reset zoom');
const tableBtn = el('button', { id: 'lw-table', type: 'button', 'aria-pressed': 'false' }, 'Table view');
const csvBtn = el('button', { id: 'lw-csv', type: 'button' }, 'Export CSV');
const pngBtn = el('button', { id: 'lw-png', type: 'button' }, 'Export PNG');
const status = el('div', { id: 'lw-status', role: 'status', 'aria-live': 'polite' });
const markersList = el('ul', { id: 'lw-markers' });

app.append(
  el(
    'header',
    { class: 'toolbar', role: 'toolbar', 'aria-label': 'Dashboard controls' },
    runsBox,
    el('label', { for: 'lw-x-axis' }, 'X axis '),
    xAxisSel,
    el('label', { class: 'check' }, xLog, ' log x'),
    el(
      'label',
      { class: 'check', title: 'y ranges from the 5th–95th percentiles of the visible data (like TensorBoard); points beyond are clipped at the edge' },
      outliers,
      ' Ignore outliers',
    ),
    el('label', { for: 'lw-smoothing' }, 'Smoothing '),
    smoothing,
    smoothingOut,
    el('label', { for: 'lw-other' }, 'Other metric '),
    otherSel,
    resetBtn,
    tableBtn,
    csvBtn,
    pngBtn,
  ),
  status,
);
const panelsBox = el('main', { id: 'lw-panels' });
app.append(panelsBox, el('section', { class: 'markers', 'aria-label': 'Markers' }, el('h2', {}, 'Markers'), markersList));

function makePanel(id: PanelId): void {
  const title = el('h2', { id: `lw-title-${id}` }, TITLES[id]);
  const logY = el('input', { type: 'checkbox', id: `lw-ylog-${id}` });
  const note = el('span', { class: 'note', id: `lw-note-${id}` });
  const canvas = el('canvas', {
    tabindex: '0',
    role: 'img',
    'aria-label': `${TITLES[id]} chart. Arrow keys pan, plus and minus zoom, 0 resets. The table view lists the visible data.`,
  });
  const wrap = el('div', { class: 'canvas-wrap' }, canvas);
  const legend = el('ul', { class: 'legend', 'aria-label': `${TITLES[id]} series` });
  const table = el('div', { class: 'table-wrap', hidden: '' });
  const section = el(
    'section',
    { class: 'panel', 'data-panel': id, 'aria-labelledby': `lw-title-${id}` },
    el('div', { class: 'panel-head' }, title, note, el('label', { class: 'check' }, logY, ' log y')),
    legend,
    wrap,
    table,
  );
  panelsBox.append(section);
  const panel = new Panel(id, canvas, theme, state, {
    range: (min, max) => setState({ range: { min, max } }),
    openPoint: (runId, seriesKey, index) => post({ type: 'openSource', runId, seriesKey, index }),
    openMarker: openMarker,
    yScale: ({ autoLog, clipped }) => {
      // Written only when it changes: no DOM work (style/layout) on every live frame.
      const text = `${autoLog ? 'log y (auto: the data spans many decades)' : ''}${autoLog && clipped ? '; ' : ''}${clipped ? `${clipped} outlier${clipped === 1 ? '' : 's'} clipped` : ''}`;
      if (note.textContent !== text) note.textContent = text;
      if (logY.indeterminate !== autoLog) logY.indeterminate = autoLog;
    },
  });
  logY.addEventListener('change', () => setState({ yLog: { ...state.yLog, [id]: logY.checked } }, false));
  canvas.addEventListener('keydown', (e) => keyNav(panel, e));
  panels.set(id, { section, panel, table, logY, note, legend, legendSig: '' });
}

/** Rebuilds a panel's HTML legend when its series (names, colours, visibility) changed. */
function renderLegend(p: PanelView): void {
  const items = p.panel.legend();
  const sig = JSON.stringify(items);
  if (sig === p.legendSig) return;
  p.legendSig = sig;
  clear(p.legend);
  for (const it of items) {
    const line = el('span', { class: 'swatch-line', 'aria-hidden': 'true' });
    // CSSOM writes are allowed by the CSP (no inline style attributes).
    line.style.borderTopColor = it.color;
    line.style.borderTopStyle = it.dash.length === 0 ? 'solid' : it.dash[0] <= 2 ? 'dotted' : 'dashed';
    const b = el('button', { type: 'button', class: 'legend-item', 'aria-pressed': String(!it.hidden), title: 'Show or hide this series' }, line, it.label);
    b.addEventListener('click', () => {
      p.panel.toggleSeries(it.id);
      renderLegend(p);
    });
    p.legend.append(el('li', {}, b));
  }
}

function openMarker(m: Marker): void {
  if (m.file) post({ type: 'openFile', file: m.file, line: m.line });
}

function keyNav(panel: Panel, e: KeyboardEvent): void {
  const s = panel.chart.scales.x;
  if (!s) return;
  let min = s.min;
  let max = s.max;
  const span = max - min;
  switch (e.key) {
    case 'ArrowLeft':
      min -= span * 0.1;
      max -= span * 0.1;
      break;
    case 'ArrowRight':
      min += span * 0.1;
      max += span * 0.1;
      break;
    case '+':
    case '=':
      min += span * 0.25;
      max -= span * 0.25;
      break;
    case '-':
      min -= span * 0.5;
      max += span * 0.5;
      break;
    case '0':
    case 'Home':
      e.preventDefault();
      setState({ range: null });
      return;
    default:
      return;
  }
  e.preventDefault();
  if (state.xLog && min <= 0) min = Math.max(s.min / 2, Number.MIN_VALUE);
  if (min < max) setState({ range: { min, max } });
}

for (const id of PANEL_IDS) makePanel(id);
lastAxes = axesKey(state);
for (const id of PANEL_IDS) styled.set(id, lastAxes);

// ------------------------------------------------------------------ state

function columns(): number {
  const w = panels.get('loss')!.section.clientWidth || window.innerWidth || 800;
  return Math.max(50, Math.min(4096, Math.round(w)));
}

let viewTimer: ReturnType<typeof setTimeout> | null = null;

/** Updates the state, persists it, and (when data-relevant) asks the host for a new frame. */
function setState(patch: Partial<DashboardState>, needsData = true): void {
  state = { ...state, ...patch };
  vscode.setState(state);
  syncControls();
  if (!needsData) {
    for (const p of panels.values()) p.panel.restyle(theme, state);
    return;
  }
  // The sequence number moves now, not when the request leaves: a frame for the old state arriving
  // during the debounce must not overwrite the state the user just set.
  const mySeq = ++seq;
  if (viewTimer !== null) clearTimeout(viewTimer);
  viewTimer = setTimeout(() => {
    viewTimer = null;
    post({ type: 'view', seq: mySeq, state, columns: columns() });
  }, 30);
}

function syncControls(): void {
  xAxisSel.value = state.xAxis;
  xLog.checked = state.xLog;
  outliers.checked = state.ignoreOutliers;
  smoothing.value = String(state.smoothing);
  smoothingOut.textContent = state.smoothing.toFixed(3);
  tableBtn.setAttribute('aria-pressed', String(state.table));
  for (const [id, p] of panels) {
    p.logY.checked = state.yLog[id];
    p.table.hidden = !state.table;
  }
  for (const cb of runsBox.querySelectorAll<HTMLInputElement>('input[type=checkbox]')) {
    cb.checked = state.runIds === null || state.runIds.includes(cb.value);
  }
  otherSel.value = state.other ?? '';
  status.textContent = state.range === null ? 'Following the latest data.' : 'Zoomed: press Reset zoom (or 0 on a chart) to follow the latest data again.';
}

xAxisSel.addEventListener('change', () => {
  const v = xAxisSel.value;
  if ((X_AXES as readonly string[]).includes(v)) setState({ xAxis: v as DashboardState['xAxis'], range: null });
});
xLog.addEventListener('change', () => setState({ xLog: xLog.checked, range: null }));
outliers.addEventListener('change', () => setState({ ignoreOutliers: outliers.checked }, false));
smoothing.addEventListener('input', () => {
  const v = Math.min(0.999, Math.max(0, Number(smoothing.value)));
  smoothingOut.textContent = v.toFixed(3);
  setState({ smoothing: v });
});
otherSel.addEventListener('change', () => setState({ other: otherSel.value === '' ? null : otherSel.value }));
resetBtn.addEventListener('click', () => setState({ range: null }));
tableBtn.addEventListener('click', () => {
  setState({ table: !state.table }, false);
  renderTables();
});
csvBtn.addEventListener('click', () => post({ type: 'exportCsv' }));
pngBtn.addEventListener('click', exportPng);

function exportPng(): void {
  const visible = [...panels.values()].filter((p) => !p.section.hidden);
  if (visible.length === 0) return;
  const canvases = visible.map((p) => p.panel.chart.canvas);
  const w = Math.max(...canvases.map((c) => c.width));
  const h = canvases.reduce((a, c) => a + c.height, 0);
  const out = document.createElement('canvas');
  out.width = w;
  out.height = h;
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, w, h);
  let y = 0;
  for (const c of canvases) {
    ctx.drawImage(c, 0, y);
    y += c.height;
  }
  post({ type: 'exportPng', name: 'dashboard', dataUrl: out.toDataURL('image/png') });
}

// ------------------------------------------------------------------ runs

function seriesRef(run: RunMeta, s: SeriesMeta): SeriesRef {
  const color = theme.palette[run.color % theme.palette.length];
  const dash = s.key.startsWith('recomputed/') ? [2, 2] : s.split === 'val' || s.split === 'test' ? [6, 3] : [];
  const label = runs.length > 1 || (state.runIds?.length ?? runs.length) > 1 ? `${run.name} · ${s.name}` : s.name;
  return { runId: run.id, key: s.key, label, color, dash };
}

function findRef(runId: string, key: string): SeriesRef | null {
  const run = runs.find((r) => r.id === runId);
  const s = run?.series.find((x) => x.key === key);
  return run && s ? seriesRef(run, s) : null;
}

function renderRuns(): void {
  for (const c of [...runsBox.children]) if (c.tagName !== 'LEGEND') c.remove();
  for (const r of runs) {
    const cb = el('input', { type: 'checkbox', value: r.id });
    cb.checked = state.runIds === null || state.runIds.includes(r.id);
    cb.addEventListener('change', () => {
      const on = new Set(state.runIds ?? runs.map((x) => x.id));
      if (cb.checked) on.add(r.id);
      else on.delete(r.id);
      const ids = runs.map((x) => x.id).filter((id) => on.has(id));
      setState({ runIds: ids.length === runs.length ? null : ids });
    });
    const swatch = el('span', { class: `swatch c${r.color % theme.palette.length}`, 'aria-hidden': 'true' });
    runsBox.append(el('label', { class: 'check run', title: r.name }, cb, swatch, r.name));
  }
  // The "other metric" list: every series that no fixed panel shows.
  const others = new Map<string, string>();
  for (const r of runs) for (const s of r.series) if (panelOf(s.role) === null && !others.has(s.key)) others.set(s.key, s.name);
  clear(otherSel);
  otherSel.append(el('option', { value: '' }, '(none)'));
  for (const [key, name] of [...others].sort((a, b) => a[1].localeCompare(b[1]))) otherSel.append(el('option', { value: key }, name));
  syncControls();
}

// ------------------------------------------------------------------ data

function panelFor(runId: string, key: string): PanelId | null {
  const s = runs.find((r) => r.id === runId)?.series.find((x) => x.key === key);
  if (!s) return null;
  return panelOf(s.role) ?? (key === state.other ? 'other' : null);
}

function markerPanel(m: Marker): PanelId {
  return (m.seriesKey !== null ? panelFor(m.runId, m.seriesKey) : null) ?? 'loss';
}

function renderFrame(f: Extract<HostMessage, { type: 'frame' }>): void {
  lastFrame = f;
  state = { ...state, ...f.state };
  vscode.setState(state);
  const groups = new Map<PanelId, Array<{ ref: SeriesRef; w: SeriesWindow }>>();
  let skipped = 0;
  for (const w of f.series) {
    const p = panelFor(w.runId, w.key);
    const ref = findRef(w.runId, w.key);
    if (!p || !ref) continue;
    skipped += w.skipped;
    const list = groups.get(p) ?? [];
    list.push({ ref, w });
    groups.set(p, list);
  }
  lastAxes = axesKey(state);
  for (const [id, p] of panels) {
    const items = groups.get(id) ?? [];
    const wasEmpty = p.panel.series().length === 0;
    p.section.hidden = items.length === 0 && !(id === 'other' && state.other !== null);
    if (p.section.hidden && wasEmpty) continue; // nothing drawn, nothing to draw
    if (styled.get(id) !== lastAxes) {
      p.panel.restyle(theme, state);
      styled.set(id, lastAxes);
    }
    p.panel.setFrame(
      items,
      f.markers.filter((m) => markerPanel(m) === id),
      f.highlight && items.some((i) => i.ref.runId === f.highlight!.runId) ? f.highlight : null,
      f.range,
    );
    renderLegend(p);
  }
  renderMarkers(f.markers);
  syncControls();
  if (f.series.length === 0) {
    status.textContent =
      runs.length === 0
        ? 'No training runs are watched yet: open a log (LossWatch: Watch File) or wait for one to appear.'
        : state.runIds !== null && state.runIds.length === 0
          ? 'No run selected: tick a run above.'
          : 'The selected runs have no loss, gradient norm, learning rate or accuracy series yet.';
  }
  if (skipped > 0) status.textContent += ` ${skipped} points have no ${X_LABEL[state.xAxis]}${state.xLog ? ' > 0' : ''} and are not drawn.`;
  if (state.table) renderTables();
  rendered();
}

function renderPatch(m: Extract<HostMessage, { type: 'patch' }>): void {
  const groups = new Map<PanelId, Array<{ ref: SeriesRef; p: SeriesPatch }>>();
  for (const p of m.patches) {
    const id = panelFor(p.runId, p.key);
    const ref = findRef(p.runId, p.key);
    if (!id || !ref) continue;
    const list = groups.get(id) ?? [];
    list.push({ ref, p });
    groups.set(id, list);
  }
  for (const [id, p] of panels) {
    const items = groups.get(id) ?? [];
    const mk = m.markers ? m.markers.filter((x) => markerPanel(x) === id) : null;
    if (items.length === 0 && !mk && !(state.range === null && !p.section.hidden)) continue;
    if (items.length > 0 && p.section.hidden) p.section.hidden = false;
    p.panel.applyPatches(items, state.range === null ? m.range : state.range, mk);
  }
  if (m.markers) renderMarkers(m.markers);
  scheduleRender();
}

// Live patches only change data; the charts are redrawn from requestAnimationFrame, however many
// messages arrived in between. Each frame redraws dirty panels until about FRAME_BUDGET_MS of work is
// done (always at least one), continuing round-robin in the next frame: a cold start (code not yet
// optimised by the JIT) or a slow machine spreads the panels over frames instead of making one long one.
const FRAME_BUDGET_MS = 8;
let renderQueued = 0;
let nextPanel = 0;
function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = requestAnimationFrame(flushRender);
}

function flushRender(): void {
  renderQueued = 0;
  const list = [...panels.values()];
  const t0 = performance.now();
  let did = 0;
  for (let k = 0; k < list.length; k++) {
    const i = (nextPanel + k) % list.length;
    const p = list[i];
    if (!p.panel.needsRender()) continue;
    if (did > 0 && performance.now() - t0 > FRAME_BUDGET_MS) {
      nextPanel = i;
      scheduleRender();
      noteFlush(t0);
      return;
    }
    p.panel.render();
    renderLegend(p);
    did++;
    nextPanel = (i + 1) % list.length;
  }
  if (did === 0) return;
  if (state.table) renderTables();
  noteFlush(t0);
  rendered();
}

/** JS time of each animation-frame redraw (last 1000), for the benchmark. */
const flushMs: number[] = [];
function noteFlush(t0: number): void {
  if (flushMs.length >= 1000) flushMs.shift();
  flushMs.push(performance.now() - t0);
}

let markersSig = '';
function renderMarkers(markers: readonly Marker[]): void {
  const sig = JSON.stringify(markers) + JSON.stringify(runs.map((r) => r.name));
  if (sig === markersSig) return; // unchanged: no DOM rebuild
  markersSig = sig;
  clear(markersList);
  for (const m of markers) {
    const run = runs.find((r) => r.id === m.runId);
    const b = el(
      'button',
      { type: 'button', class: `marker sev-${m.severity}`, 'data-code': m.code, 'data-step': String(m.step) },
      `${m.severity === 'information' ? 'info' : m.severity}: ${m.code} at step ${m.step}${runs.length > 1 && run ? ` (${run.name})` : ''} — ${m.message}`,
    );
    b.disabled = !m.file;
    b.addEventListener('click', () => openMarker(m));
    markersList.append(el('li', {}, b));
  }
  if (markers.length === 0) markersList.append(el('li', { class: 'empty' }, 'No markers.'));
}

/** Table of the visible (downsampled) data, for screen readers and copy/paste. */
function renderTables(): void {
  for (const [id, p] of panels) {
    clear(p.table);
    if (!state.table || p.section.hidden) continue;
    const table = el('table', {}, el('caption', {}, `${TITLES[id]}: visible data (min/max per pixel column; NaN/Inf listed)`));
    table.append(el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'series'), el('th', { scope: 'col' }, X_LABEL[state.xAxis]), el('th', { scope: 'col' }, 'value'), el('th', { scope: 'col' }, 'smoothed'))));
    const body = el('tbody');
    let rows = 0;
    for (const s of p.panel.series()) {
      const sm = s.smooth;
      let k = 0;
      for (const pt of s.raw) {
        if (rows >= TABLE_MAX_ROWS) break;
        while (sm && k < sm.length - 1 && sm[k].x < pt.x) k++;
        const smv = sm && sm.length > 0 ? fmtNumber(sm[k].y) : '';
        body.append(el('tr', {}, el('td', {}, s.ref.label), el('td', {}, fmtX(state.xAxis, pt.x)), el('td', {}, fmtNumber(pt.y)), el('td', {}, smv)));
        rows++;
      }
      for (const pt of s.nf) {
        if (rows >= TABLE_MAX_ROWS) break;
        body.append(el('tr', {}, el('td', {}, s.ref.label), el('td', {}, fmtX(state.xAxis, pt.x)), el('td', {}, `${pt.kind === 'nan' ? 'NaN' : pt.kind === '+inf' ? '+Inf' : '-Inf'}${(pt.count ?? 1) > 1 ? ` (×${pt.count})` : ''}`), el('td', {}, '')));
        rows++;
      }
    }
    table.append(body);
    p.table.append(table);
    if (rows >= TABLE_MAX_ROWS) p.table.append(el('p', {}, `First ${TABLE_MAX_ROWS} rows shown; zoom in or export CSV for all.`));
  }
}

let renderCount = 0;
let lastRenderMs = 0;
function rendered(): void {
  renderCount++;
  document.body.dataset.renders = String(renderCount);
  window.dispatchEvent(new CustomEvent('losswatch:rendered', { detail: renderCount }));
}

window.addEventListener('message', (ev: MessageEvent) => {
  const m = ev.data as HostMessage;
  if (!m || typeof m !== 'object') return;
  switch (m.type) {
    case 'runs':
      runs = [...m.runs];
      renderRuns();
      return;
    case 'frame': {
      if (m.seq < seq) return; // a newer view request is in flight
      const t0 = performance.now();
      renderFrame(m);
      lastRenderMs = performance.now() - t0;
      return;
    }
    case 'patch':
      if (m.seq < seq || !lastFrame) return;
      renderPatch(m);
      return;
    case 'error':
      status.textContent = m.message;
      return;
  }
});

onThemeChange(() => {
  theme = readTheme();
  for (const p of panels.values()) p.panel.restyle(theme, state);
  if (lastFrame) renderFrame(lastFrame);
});

let lastColumns = columns();
new ResizeObserver(() => {
  const c = columns();
  if (Math.abs(c - lastColumns) > lastColumns * 0.1) {
    lastColumns = c;
    setState({});
  }
}).observe(panelsBox);

// Introspection for tests and the benchmark (the webview is sandboxed; this exposes nothing new).
(window as unknown as { __losswatch: unknown }).__losswatch = {
  state: () => state,
  renders: () => renderCount,
  lastRenderMs: () => lastRenderMs,
  flushMs: () => flushMs.slice(),
  panels: () =>
    [...panels].map(([id, p]) => ({
      id,
      hidden: p.section.hidden,
      series: p.panel.series().map((s) => ({ runId: s.ref.runId, key: s.ref.key, label: s.ref.label, raw: s.raw.length, smooth: s.smooth?.length ?? 0, nonFinite: s.nf.map((n) => ({ x: n.x, kind: n.kind, index: n.i })) })),
      markers: p.panel.markersShown().map((m) => ({ code: m.code, x: m.x, step: m.step })),
      xRange: { min: p.panel.chart.scales.x?.min, max: p.panel.chart.scales.x?.max },
      yRange: { min: p.panel.chart.scales.y?.min, max: p.panel.chart.scales.y?.max, type: p.panel.chart.scales.y?.type },
      note: p.note.textContent,
      yTicks: (p.panel.chart.scales.y?.ticks ?? []).map((t) => String(t.label ?? '')),
      /** x of the line breaks (gaps, non-finite regions) of each drawn curve. */
      breaks: p.panel.breaks(),
    })),
  chart: (id: PanelId) => panels.get(id)!.panel.chart,
  /** Drawn points [x, y] of a panel (raw or smoothed curves). */
  points: (id: PanelId, which: 'raw' | 'smooth' = 'raw') =>
    panels
      .get(id)!
      .panel.series()
      .flatMap((s) => (which === 'raw' ? s.raw : (s.smooth ?? [])).map((p) => [p.x, p.y])),
  /** Canvas pixel (device px) of a data point in a panel. */
  pixel: (id: PanelId, x: number, y: number) => {
    const c = panels.get(id)!.panel.chart;
    const r = window.devicePixelRatio || 1;
    return { x: c.scales.x.getPixelForValue(x) * r, y: c.scales.y.getPixelForValue(y) * r, ratio: r };
  },
  /** Client coordinates (CSS px, relative to the viewport) of a data point, for clicking. */
  client: (id: PanelId, x: number, y: number, axis: 'y' | 'edge' = 'y') => {
    const c = panels.get(id)!.panel.chart;
    const b = c.canvas.getBoundingClientRect();
    return { x: b.left + c.scales.x.getPixelForValue(x), y: b.top + c.scales[axis].getPixelForValue(y) };
  },
};

syncControls();
post({ type: 'ready', state, columns: columns() });
