// Dashboard webview entry: wires the store (the one owner of the view state), the run selector, the metric
// cards, the comparison table and the findings list, and talks to the host with the typed messages of
// src/shared/messages.ts. Data arrives viewport-bounded; nothing here sees full series.
import {
  DEFAULT_STATE,
  AUTO_RECOMPUTED_RUNS,
  cardXLog,
  restoreState,
  unpackSeries,
  X_AXES,
  type HostMessage,
  type Marker,
  type RunMeta,
  type SeriesMeta,
  type SeriesPatch,
  type SeriesWindow,
  type XAxis,
} from '../src/shared/messages';
import { cardOf } from '../src/shared/cards';
import { post, vscode } from './api';
import { Cards } from './cards';
import { markerId, type Panel, type SeriesRef } from './charts';
import { CompareTable } from './compare';
import { el } from './dom';
import { X_LABEL } from './format';
import { MarkerList } from './markers';
import { RunSelector } from './selector';
import { needsData, Store } from './store';
import { renderTables } from './tables';
import { installTestHooks } from './testHooks';
import { onThemeChange, readTheme, type Theme } from './theme';

const store = new Store(restoreState(vscode.getState() ?? DEFAULT_STATE));
let theme: Theme = readTheme();
let runs: RunMeta[] = [];
let runsById = new Map<string, RunMeta>();
let seq = 0;
let lastFrame: Extract<HostMessage, { type: 'frame' }> | null = null;
let lastMarkers: readonly Marker[] = [];

const colorOf = (r: RunMeta): string => theme.palette[r.color % theme.palette.length];

// ------------------------------------------------------------------ layout

const app = document.getElementById('app') ?? document.body.appendChild(el('div', { id: 'app' }));
const selector = new RunSelector(store, colorOf);
const xAxisSel = el('select', { id: 'lw-x-axis' });
for (const a of X_AXES) xAxisSel.append(el('option', { value: a }, X_LABEL[a]));
const xLog = el('input', { type: 'checkbox', id: 'lw-x-log' });
const outliers = el('input', { type: 'checkbox', id: 'lw-outliers' });
const smoothing = el('input', { type: 'range', id: 'lw-smoothing', min: '0', max: '0.999', step: '0.001' });
const smoothingOut = el('output', { for: 'lw-smoothing', id: 'lw-smoothing-value' });
const envelope = el('input', { type: 'checkbox', id: 'lw-envelope' });
const cardSearch = el('input', {
  type: 'search',
  id: 'lw-card-search',
  placeholder: 'Search cards',
  'aria-label': 'Search metric cards',
  maxlength: '200',
});
const resetBtn = el('button', { id: 'lw-reset', type: 'button', title: 'Reset zoom and follow the tail (key 0)' }, 'Reset');
const compareBtn = el(
  'button',
  { id: 'lw-compare-btn', type: 'button', 'aria-pressed': 'false', title: 'Table of the drawn runs' },
  'Compare',
);
const tableBtn = el(
  'button',
  { id: 'lw-table', type: 'button', 'aria-pressed': 'false', title: 'The visible data as tables (screen readers, copy)' },
  'Tables',
);
const csvBtn = el(
  'button',
  { id: 'lw-csv', type: 'button', title: 'Export the drawn data (full resolution, visible x-range) as CSV' },
  'CSV',
);
const pngBtn = el('button', { id: 'lw-png', type: 'button', title: 'Export the charts as PNG' }, 'PNG');
const status = el('div', { id: 'lw-status', role: 'status', 'aria-live': 'polite' });

const cards = new Cards(store, () => theme, {
  range: (min, max) => dispatch({ type: 'setRange', range: { min, max } }),
  openPoint: (runId, seriesKey, index) => post({ type: 'openSource', runId, seriesKey, index }),
  openMarker: (m) => openMarker(m),
  selectMarker: (m) => selectMarker(m),
  keyNav: (panel, e) => keyNav(panel, e),
});
const compare = new CompareTable(store, colorOf);
const markerList = new MarkerList((m) => {
  selectMarker(m);
  openMarker(m);
});

const main = el(
  'main',
  { id: 'lw-main' },
  el(
    'header',
    { class: 'toolbar', role: 'toolbar', 'aria-label': 'Dashboard controls' },
    el('label', { for: 'lw-x-axis' }, 'X '),
    xAxisSel,
    el('label', { class: 'check' }, xLog, ' log x'),
    el(
      'label',
      {
        class: 'check',
        title:
          'Ignore outliers in y scaling: y ranges from the 5th–95th percentiles of the visible data (like TensorBoard); points beyond are clipped at the edge',
      },
      outliers,
      ' no outliers',
    ),
    el('label', { for: 'lw-smoothing' }, 'Smooth '),
    smoothing,
    smoothingOut,
    el('label', { class: 'check', title: 'Draw the raw data as a min/max band behind the smoothed curve' }, envelope, ' band'),
    cardSearch,
    resetBtn,
    compareBtn,
    tableBtn,
    csvBtn,
    pngBtn,
  ),
  status,
  compare.root,
  cards.root,
  markerList.root,
);
app.append(selector.root, main);

function openMarker(m: Marker): void {
  if (m.file) post({ type: 'openFile', file: m.file, line: m.line });
}

function selectMarker(m: Marker): void {
  for (const v of cards.views.values()) v.panel.selectMarker(v.panel.markersShown().some((x) => markerId(x) === markerId(m)) ? m : null);
  scheduleRender();
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
      dispatch({ type: 'setRange', range: null });
      return;
    default:
      return;
  }
  e.preventDefault();
  if (panel.xLog() && min <= 0) min = Math.max(s.min / 2, Number.MIN_VALUE);
  if (min < max) dispatch({ type: 'setRange', range: { min, max } });
}

// ------------------------------------------------------------------ state

let viewTimer: ReturnType<typeof setTimeout> | null = null;
const dispatch = store.dispatch.bind(store);

store.subscribe((v, a) => {
  vscode.setState(v.state);
  switch (a.type) {
    case 'setFilter':
    case 'selectRuns':
      selector.applyFilter();
      selector.sync();
      refreshCards();
      compare.render(drawnRuns());
      break;
    case 'setSort':
      selector.resort();
      break;
    case 'highlightRun':
      for (const c of cards.views.values()) c.panel.setHighlightRun(v.ui.highlightRun);
      compare.render(drawnRuns());
      scheduleRender();
      break;
    case 'toggleCompare':
    case 'sortTable':
      compare.render(drawnRuns());
      break;
    case 'togglePin':
      cards.layout();
      break;
    case 'toggleCard':
    case 'setCardSearch':
    case 'setYLog':
    case 'setXLog':
    case 'setXLogCard':
    case 'restore':
      cards.sync();
      break;
    case 'toggleTable':
      cards.sync();
      tables();
      break;
    default:
      break;
  }
  syncControls();
  if (a.type === 'setYLog' || a.type === 'setIgnoreOutliers' || a.type === 'setEnvelope') cards.restyle(theme, v.state);
  if (!needsData(a)) return;
  // The sequence number moves now, not when the request leaves: a frame for the old state arriving
  // during the debounce must not overwrite the state the user just set.
  const mySeq = ++seq;
  if (viewTimer !== null) clearTimeout(viewTimer);
  viewTimer = setTimeout(() => {
    viewTimer = null;
    post({ type: 'view', seq: mySeq, state: store.state, columns: cards.columns() });
  }, 30);
});

function syncControls(): void {
  const st = store.state;
  xAxisSel.value = st.xAxis;
  xLog.checked = st.xLog;
  outliers.checked = st.ignoreOutliers;
  envelope.checked = st.envelope;
  smoothing.value = String(st.smoothing);
  smoothingOut.textContent = st.smoothing.toFixed(3);
  tableBtn.setAttribute('aria-pressed', String(st.table));
  compareBtn.setAttribute('aria-pressed', String(st.compare));
  if (cardSearch.value !== store.ui.cardSearch) cardSearch.value = store.ui.cardSearch;
  cards.setRecomputedChecked(st.recomputed ?? drawnRuns().length <= AUTO_RECOMPUTED_RUNS);
  status.textContent = st.range === null ? '' : 'Zoomed: Reset zoom (or 0 on a chart) follows the latest data again.';
}

xAxisSel.addEventListener('change', () => {
  const v = xAxisSel.value;
  if ((X_AXES as readonly string[]).includes(v)) dispatch({ type: 'setXAxis', xAxis: v as XAxis });
});
xLog.addEventListener('change', () => dispatch({ type: 'setXLog', on: xLog.checked }));
outliers.addEventListener('change', () => dispatch({ type: 'setIgnoreOutliers', on: outliers.checked }));
envelope.addEventListener('change', () => dispatch({ type: 'setEnvelope', on: envelope.checked }));
smoothing.addEventListener('input', () => {
  const v = Math.min(0.999, Math.max(0, Number(smoothing.value)));
  smoothingOut.textContent = v.toFixed(3);
  dispatch({ type: 'setSmoothing', weight: v });
});
cardSearch.addEventListener('input', () => dispatch({ type: 'setCardSearch', text: cardSearch.value }));
resetBtn.addEventListener('click', () => dispatch({ type: 'setRange', range: null }));
compareBtn.addEventListener('click', () => dispatch({ type: 'toggleCompare' }));
tableBtn.addEventListener('click', () => dispatch({ type: 'toggleTable' }));
csvBtn.addEventListener('click', () => post({ type: 'exportCsv' }));
pngBtn.addEventListener('click', exportPng);

function exportPng(): void {
  const visible = [...cards.views.values()].filter((v) => !v.section.hidden && !v.body.hidden && v.hasData);
  if (visible.length === 0) return;
  const canvases = visible.map((v) => v.panel.chart.canvas);
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

/** Runs drawn: ticked in the selector and matching its filter. */
function drawnRuns(): RunMeta[] {
  const ids = new Set(selector.drawnIds());
  return runs.filter((r) => ids.has(r.id));
}

function refreshCards(): void {
  cards.setMetrics(runs, new Set(selector.drawnIds()));
}

function seriesRef(run: RunMeta, s: SeriesMeta): SeriesRef {
  const color = colorOf(run);
  // Train solid, validation dashed, recomputed dotted.
  const dash = s.key.startsWith('recomputed/') ? [2, 2] : s.split === 'val' || s.split === 'test' ? [6, 3] : [];
  const many = runs.length > 1;
  const label = many ? `${run.name} · ${s.name}` : s.name;
  return { runId: run.id, key: s.key, label, run: run.name, series: s.name, color, dash };
}

function findRef(runId: string, key: string): { ref: SeriesRef; card: string } | null {
  const run = runsById.get(runId);
  const s = run?.series.find((x) => x.key === key);
  return run && s ? { ref: seriesRef(run, s), card: cardOf(s).id } : null;
}

function markerCard(m: Marker): string {
  return (m.seriesKey !== null ? Cards.cardOfSeries(runsById, m.runId, m.seriesKey) : null) ?? 'loss';
}

// ------------------------------------------------------------------ data

function renderFrame(f: Extract<HostMessage, { type: 'frame' }>): void {
  lastFrame = f;
  dispatchRestore(f.state);
  const groups = new Map<string, Array<{ ref: SeriesRef; w: SeriesWindow }>>();
  let skipped = 0;
  const skippedIn = new Map<string, number>();
  for (const w of f.series) {
    const r = findRef(w.runId, w.key);
    if (!r) continue;
    // Points at x <= 0 on a log-x card are told in that card's note; the status line tells the rest.
    if (cardXLog(f.state, r.card)) skippedIn.set(r.card, (skippedIn.get(r.card) ?? 0) + w.skipped);
    else skipped += w.skipped;
    const list = groups.get(r.card) ?? [];
    list.push({ ref: r.ref, w });
    groups.set(r.card, list);
  }
  lastMarkers = f.markers;
  const hl = store.ui.highlightRun;
  for (const [id, v] of cards.views) {
    const items = groups.get(id) ?? [];
    const wasEmpty = !v.hasData;
    v.hasData = items.length > 0;
    if (!v.hasData && wasEmpty) continue; // nothing drawn, nothing to draw
    // Fresh chart options for every frame (they hold the x range, axis types and callbacks; reusing them
    // across frames left a card on its old x range after a reset, which the integration suite caught),
    // without a redraw of its own: setFrame draws once.
    v.panel.restyle(theme, store.state, false);
    v.panel.setHighlightRun(hl);
    v.panel.xSkipped = skippedIn.get(id) ?? 0;
    v.panel.setFrame(
      items,
      f.markers.filter((m) => markerCard(m) === id),
      f.highlight && items.some((i) => i.ref.runId === f.highlight!.runId) ? f.highlight : null,
      cardXLog(f.state, id) ? (f.logRange ?? f.range) : f.range,
    );
  }
  markerList.render(f.markers, runsById);
  syncControls();
  if (f.series.length === 0) {
    status.textContent =
      runs.length === 0
        ? 'No training runs are watched yet: open a log (LossWatch: Watch File) or wait for one to appear.'
        : selector.drawnIds().length === 0
          ? 'No run drawn: tick a run in the list or change the filter.'
          : 'The drawn runs have no series yet, or every card is collapsed.';
  }
  if (skipped > 0) status.textContent += ` ${skipped} points have no ${X_LABEL[store.state.xAxis]} and are not drawn.`;
  if (store.state.table) tables();
  rendered();
}

/** The host echoes the state it rendered; adopt it without a new request. */
function dispatchRestore(state: typeof store.state): void {
  if (JSON.stringify(state) === JSON.stringify(store.state)) return;
  store.dispatch({ type: 'restore', state });
  selector.applyFilter();
  selector.sync();
}

function renderPatch(m: Extract<HostMessage, { type: 'patch' }>): void {
  const groups = new Map<string, Array<{ ref: SeriesRef; p: SeriesPatch }>>();
  for (const p of m.patches) {
    const r = findRef(p.runId, p.key);
    if (!r) continue;
    const list = groups.get(r.card) ?? [];
    list.push({ ref: r.ref, p });
    groups.set(r.card, list);
  }
  if (m.markers) lastMarkers = m.markers;
  const range = store.state.range === null ? m.range : store.state.range;
  for (const [id, v] of cards.views) {
    const items = groups.get(id) ?? [];
    const mk = m.markers ? m.markers.filter((x) => markerCard(x) === id) : null;
    if (items.length === 0 && !mk && !(store.state.range === null && v.hasData)) continue;
    if (items.length > 0) v.hasData = true;
    v.panel.applyPatches(items, cardXLog(store.state, id) ? (m.logRange ?? range) : range, mk);
  }
  if (m.markers) markerList.render(m.markers, runsById);
  scheduleRender();
}

// Live patches only change data; the charts are redrawn from requestAnimationFrame, however many
// messages arrived in between. Each frame redraws dirty cards until about FRAME_BUDGET_MS of work is
// done (always at least one), continuing round-robin in the next frame: a cold start (code not yet
// optimised by the JIT) or a slow machine spreads the cards over frames instead of making one long one.
const FRAME_BUDGET_MS = 8;
let renderQueued = 0;
let nextPanel = 0;
function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = requestAnimationFrame(flushRender);
}

function flushRender(): void {
  renderQueued = 0;
  const list = [...cards.views.values()];
  const t0 = performance.now();
  let did = 0;
  for (let k = 0; k < list.length; k++) {
    const i = (nextPanel + k) % list.length;
    const p = list[i].panel;
    if (!p.needsRender()) continue;
    if (did > 0 && performance.now() - t0 > FRAME_BUDGET_MS) {
      nextPanel = i;
      scheduleRender();
      noteFlush(t0);
      return;
    }
    p.render();
    did++;
    nextPanel = (i + 1) % list.length;
  }
  if (did === 0) return;
  if (store.state.table) tables();
  noteFlush(t0);
  rendered();
}

/** JS time of each animation-frame redraw (last 1000), for the benchmark. */
const flushMs: number[] = [];
function noteFlush(t0: number): void {
  if (flushMs.length >= 1000) flushMs.shift();
  flushMs.push(performance.now() - t0);
}

function tables(): void {
  renderTables(cards, store.state);
}

let renderCount = 0;
let lastRenderMs = 0;
function rendered(): void {
  renderCount++;
  document.body.dataset.renders = String(renderCount);
  window.dispatchEvent(new CustomEvent('losswatch:rendered', { detail: renderCount }));
}

function onRuns(list: readonly RunMeta[]): void {
  runs = [...list];
  runsById = new Map(runs.map((r) => [r.id, r]));
  selector.setRuns(runs);
  refreshCards();
  compare.render(drawnRuns());
  syncControls();
}

window.addEventListener('message', (ev: MessageEvent) => {
  const m = unpackSeries(ev.data) as HostMessage;
  if (!m || typeof m !== 'object') return;
  switch (m.type) {
    case 'runs':
      onRuns(m.runs);
      return;
    case 'frame': {
      // A newer view request is in flight: drop this older frame — unless it answers "Show in dashboard"
      // (it carries a highlight): the user's command wins over automatic requests (first layout, run
      // list), so apply it and ask again with its state; the answers to the older requests are dropped.
      const focus = m.highlight !== null && m.highlight !== undefined;
      if (m.seq < seq && !focus) return;
      const t0 = performance.now();
      renderFrame(m);
      lastRenderMs = performance.now() - t0;
      if (focus && m.seq < seq) {
        const mySeq = ++seq;
        post({ type: 'view', seq: mySeq, state: store.state, columns: cards.columns() });
      }
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
  selector.recolor();
  cards.restyle(theme, store.state);
  compare.render(drawnRuns());
  if (lastFrame) renderFrame(lastFrame);
});

let lastColumns = cards.columns();
new ResizeObserver(() => {
  const c = cards.columns();
  if (Math.abs(c - lastColumns) > lastColumns * 0.1) {
    lastColumns = c;
    const mySeq = ++seq;
    post({ type: 'view', seq: mySeq, state: store.state, columns: c });
  }
}).observe(cards.root);

if (__LW_TEST__) {
  installTestHooks({
    store,
    cards,
    selector,
    renders: () => renderCount,
    lastRenderMs: () => lastRenderMs,
    flushMs: () => flushMs.slice(),
    markers: () => lastMarkers,
  });
}

syncControls();
post({ type: 'ready', state: store.state, columns: cards.columns() });
