// Typed messages between the extension host and the dashboard webview, with validators.
// Everything here is JSON-safe: no NaN/Infinity in numbers (non-finite values travel as `kind`).
import type { NonFiniteMark } from './downsample';
import type { Role, Severity, Split } from '../core/model';

export const VIEW_TYPE = 'losswatch.dashboard';
/** Card ids are strings (src/shared/cards.ts). */
export type CardId = string;

export type XAxis = 'step' | 'relstep' | 'epoch' | 'wall' | 'relative';
export const X_AXES: readonly XAxis[] = ['step', 'relstep', 'epoch', 'wall', 'relative'];

export interface Range {
  readonly min: number;
  readonly max: number;
}

/** Everything the panel remembers across reloads (webview setState + WebviewPanelSerializer). */
export interface DashboardState {
  readonly version: 1;
  /** Runs ticked in the selector; null = every watched run. */
  readonly runIds: readonly string[] | null;
  /** Run filter (substring, or RE2 regex when filterRegex): only matching runs are drawn. */
  readonly filter: string;
  readonly filterRegex: boolean;
  readonly xAxis: XAxis;
  /** Log x of every card (the toolbar's "log x"); a card's own toggle overrides it (xLogCards). */
  readonly xLog: boolean;
  /**
   * Log x per card id, where it differs from `xLog`; absent = `xLog`. On a log x axis points at x <= 0
   * are not drawn (step 0, relative step 0): they are counted in the card note.
   */
  readonly xLogCards: Readonly<Record<string, boolean>>;
  /** Log y per card id (src/shared/cards.ts); absent = the card's default. */
  readonly yLog: Readonly<Record<string, boolean>>;
  /** TensorBoard-style EMA weight, 0 … 0.999. */
  readonly smoothing: number;
  /** Visible x-range; null = follow the tail (whole data, growing). */
  readonly range: Range | null;
  readonly table: boolean;
  /** y ranges from robust quantiles of the visible data (TensorBoard's "Ignore outliers in chart scaling"). */
  readonly ignoreOutliers: boolean;
  /** Collapsed cards (their data is not sent). */
  readonly collapsed: readonly string[];
  /** Cards pinned to the top, in pin order. */
  readonly pinned: readonly string[];
  /** Recomputed cross-entropy curves in the loss card; null = automatic (on up to AUTO_RECOMPUTED_RUNS runs). */
  readonly recomputed: boolean | null;
  /** The run comparison table is shown. */
  readonly compare: boolean;
  /** Draw the raw data as a min/max band (per pixel column) behind the smoothed curve, instead of a faint line. */
  readonly envelope: boolean;
}

export const AUTO_RECOMPUTED_RUNS = 10;

/**
 * More smoothed curves than this in a card: its faint raw curves are not drawn ("smoothed only"), and the
 * host sends no raw points for them unless the table or the band needs them (the smoothed points then carry
 * their source indices, so a click still opens the log line).
 */
export const RAW_CURVES_MAX = 60;

/**
 * A copy of a per-card flag map with `card` set (or removed: undefined). Card ids come from logs: stored as
 * own data properties (a card named `__proto__` is a key, not a prototype).
 */
export function withCardFlag(map: Readonly<Record<string, boolean>>, card: string, on: boolean | undefined): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const [k, v] of Object.entries(map))
    if (k !== card) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  if (on !== undefined) Object.defineProperty(out, card, { value: on, enumerable: true, writable: true, configurable: true });
  return out;
}

/** Whether a card's x axis is logarithmic (its own toggle, else the toolbar's). Card ids come from logs: own keys only. */
export function cardXLog(st: DashboardState, card: string): boolean {
  return Object.hasOwn(st.xLogCards, card) ? st.xLogCards[card] === true : st.xLog;
}

export const DEFAULT_STATE: DashboardState = {
  version: 1,
  runIds: null,
  filter: '',
  filterRegex: false,
  xAxis: 'step',
  xLog: false,
  xLogCards: {},
  yLog: {},
  smoothing: 0.6,
  range: null,
  table: false,
  ignoreOutliers: true,
  collapsed: [],
  pinned: [],
  recomputed: null,
  compare: false,
  envelope: false,
};

export interface SeriesMeta {
  readonly key: string;
  readonly name: string;
  readonly role: Role;
  readonly split: Split;
}

export type RunStatus = 'ok' | 'warning' | 'error';

/** Per-run figures for the run selector and the comparison table (null = not logged / not finite). */
export interface RunSummary {
  /** Records of the main loss series (the longest series when there is no loss). */
  readonly points: number;
  readonly lastStep: number | null;
  readonly lastTrainLoss: number | null;
  readonly lastValLoss: number | null;
  readonly bestValLoss: number | null;
  readonly bestValStep: number | null;
  readonly lastLr: number | null;
  /** Host clock (ms) of the last update of the run seen by the dashboard; 0 before any. */
  readonly updated: number;
}

export interface RunMeta {
  readonly id: string;
  /** Shortest unique name (src/ingest/runNames.ts). */
  readonly name: string;
  /** Folder part of the path not in the name ('' at the top of the workspace folder). */
  readonly group: string;
  readonly format: string;
  /** Palette index (src/shared/palette.ts): one colour per run, everywhere. */
  readonly color: number;
  /** Worst severity of the run's findings. */
  readonly status: RunStatus;
  readonly summary: RunSummary;
  readonly series: readonly SeriesMeta[];
}

/**
 * Typed arrays, not JSON number arrays: VS Code's `postMessage` transfers their buffers as binary
 * (engines >= 1.57) instead of printing and parsing every number.
 */
export interface Points {
  readonly x: Float64Array;
  readonly y: Float64Array;
}

export interface SeriesWindow {
  readonly runId: string;
  readonly key: string;
  /** Min/max-downsampled raw points with their source indices. */
  readonly raw: Points & { readonly idx: Uint32Array };
  /**
   * Smoothed curve (computed on full-resolution data, then downsampled); null when smoothing is 0. `idx`
   * (source indices) only when the raw points were left out (a "smoothed only" card: `raw` is empty).
   */
  readonly smooth: (Points & { readonly idx?: Uint32Array }) | null;
  readonly nonFinite: NonFiniteMark[];
  /** Full-resolution length of the series. */
  readonly length: number;
  /** Points not plottable on this axis (no epoch/time, or x <= 0 on a log axis). */
  readonly skipped: number;
  /**
   * On a step axis, a run logged per epoch only (its records carry no step of their own, so it cannot be
   * placed on the other runs' steps): drawn on its own x (epochs, the card's top axis).
   */
  readonly ownX?: boolean;
}

export interface SeriesPatch extends SeriesWindow {
  /** Drop existing points (and markers) with x >= cutX, then append; null = replace the whole series. */
  readonly cutX: number | null;
}

export interface Marker {
  readonly kind: 'finding' | 'best';
  readonly runId: string;
  readonly seriesKey: string | null;
  readonly x: number;
  readonly step: number;
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly file: string | null;
  readonly line: number | null;
}

export type HostMessage =
  | { readonly type: 'runs'; readonly runs: readonly RunMeta[] }
  | {
      readonly type: 'frame';
      readonly seq: number;
      readonly state: DashboardState;
      /** The x-range the data covers (follow mode: the whole data); of the log-x cards when every card is log x. */
      readonly range: Range | null;
      /** The x-range of the cards on log x (x > 0 only); null when no card is. */
      readonly logRange: Range | null;
      readonly series: readonly SeriesWindow[];
      readonly markers: readonly Marker[];
      readonly highlight: { readonly runId: string; readonly x: number; readonly step: number } | null;
    }
  | {
      readonly type: 'patch';
      readonly seq: number;
      readonly range: Range | null;
      readonly logRange: Range | null;
      readonly patches: readonly SeriesPatch[];
      readonly markers: readonly Marker[] | null;
    }
  | { readonly type: 'error'; readonly message: string };

export type WebviewMessage =
  | { readonly type: 'ready'; readonly state: DashboardState | null; readonly columns: number }
  | { readonly type: 'view'; readonly seq: number; readonly state: DashboardState; readonly columns: number }
  | { readonly type: 'openSource'; readonly runId: string; readonly seriesKey: string; readonly index: number }
  | { readonly type: 'openFile'; readonly file: string; readonly line: number | null }
  | { readonly type: 'exportCsv' }
  /** The comparison table as CSV, rows in the given order (run ids). */
  | { readonly type: 'exportTable'; readonly runIds: readonly string[] }
  | { readonly type: 'exportPng'; readonly name: string; readonly dataUrl: string };

export const LIMITS = {
  string: 4096,
  runIds: 1000,
  cards: 1000,
  columns: 16384,
  pngBytes: 32 * 1024 * 1024,
} as const;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, what: string, max: number = LIMITS.string): string {
  if (typeof v !== 'string') throw new TypeError(`${what} must be a string`);
  if (v.length > max) throw new TypeError(`${what} is longer than ${max} characters`);
  return v;
}

function int(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new TypeError(`${what} must be an integer in [${min}, ${max}]`);
  }
  return v;
}

function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${what} must be a boolean`);
  return v;
}

function strList(v: unknown, what: string, max: number): string[] {
  if (!Array.isArray(v) || v.length > max) throw new TypeError(`${what} must be an array of at most ${max} strings`);
  return v.map((r, i) => str(r, `${what}[${i}]`, 512));
}

/** Strict check of a state object; throws TypeError naming the first bad field. Fields added after 0.1.0 default when absent. */
export function parseState(raw: unknown): DashboardState {
  if (!isObj(raw)) throw new TypeError('state must be an object');
  if (raw.version !== 1) throw new TypeError('state.version must be 1');
  let runIds: string[] | null = null;
  if (raw.runIds !== null) {
    if (!Array.isArray(raw.runIds) || raw.runIds.length > LIMITS.runIds) {
      throw new TypeError(`state.runIds must be null or an array of at most ${LIMITS.runIds} strings`);
    }
    runIds = raw.runIds.map((r, i) => str(r, `state.runIds[${i}]`));
  }
  const xAxis = raw.xAxis;
  if (typeof xAxis !== 'string' || !(X_AXES as readonly string[]).includes(xAxis)) {
    throw new TypeError(`state.xAxis must be one of ${X_AXES.join(', ')}`);
  }
  if (!isObj(raw.yLog)) throw new TypeError('state.yLog must be an object');
  const yLog: Record<string, boolean> = {};
  const entries = Object.entries(raw.yLog);
  if (entries.length > LIMITS.cards) throw new TypeError(`state.yLog has more than ${LIMITS.cards} entries`);
  for (const [k, v] of entries) {
    str(k, 'state.yLog key', 512);
    // 0.1.0 panel ids map onto the cards of the same metric.
    yLog[k === 'grad' ? 'grad_norm' : k === 'acc' ? 'accuracy' : k] = bool(v, `state.yLog.${k.slice(0, 40)}`);
  }
  let xLogCards: Record<string, boolean> = {};
  if (raw.xLogCards !== undefined) {
    // Absent in states saved before per-card log x existed.
    if (!isObj(raw.xLogCards)) throw new TypeError('state.xLogCards must be an object');
    const list = Object.entries(raw.xLogCards);
    if (list.length > LIMITS.cards) throw new TypeError(`state.xLogCards has more than ${LIMITS.cards} entries`);
    for (const [k, v] of list)
      xLogCards = withCardFlag(xLogCards, str(k, 'state.xLogCards key', 512), bool(v, `state.xLogCards.${k.slice(0, 40)}`));
  }
  const smoothing = raw.smoothing;
  if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing <= 0.999)) {
    throw new TypeError('state.smoothing must be a number in [0, 0.999]');
  }
  let range: Range | null = null;
  if (raw.range !== null) {
    const r = raw.range;
    if (
      !isObj(r) ||
      typeof r.min !== 'number' ||
      typeof r.max !== 'number' ||
      !Number.isFinite(r.min) ||
      !Number.isFinite(r.max) ||
      !(r.min < r.max)
    ) {
      throw new TypeError('state.range must be null or {min, max} with finite min < max');
    }
    range = { min: r.min, max: r.max };
  }
  const opt = <T>(v: unknown, def: T, parse: (v: unknown) => T): T => (v === undefined ? def : parse(v));
  return {
    version: 1,
    runIds,
    filter: opt(raw.filter, '', (v) => str(v, 'state.filter', 500)),
    filterRegex: opt(raw.filterRegex, false, (v) => bool(v, 'state.filterRegex')),
    xAxis: xAxis as XAxis,
    xLog: bool(raw.xLog, 'state.xLog'),
    xLogCards,
    yLog,
    smoothing,
    range,
    table: bool(raw.table, 'state.table'),
    // Absent in states saved before the option existed: default on.
    ignoreOutliers: opt(raw.ignoreOutliers, true, (v) => bool(v, 'state.ignoreOutliers')),
    collapsed: opt(raw.collapsed, [], (v) => strList(v, 'state.collapsed', LIMITS.cards)),
    pinned: opt(raw.pinned, [], (v) => strList(v, 'state.pinned', LIMITS.cards)),
    recomputed: opt(raw.recomputed, null, (v) => (v === null ? null : bool(v, 'state.recomputed'))),
    compare: opt(raw.compare, false, (v) => bool(v, 'state.compare')),
    envelope: opt(raw.envelope, false, (v) => bool(v, 'state.envelope')),
  };
}

/** Lenient: a restored state that fails the strict check falls back to the defaults. */
export function restoreState(raw: unknown): DashboardState {
  try {
    return parseState(raw);
  } catch {
    return DEFAULT_STATE;
  }
}

export type Parsed<T> = { readonly ok: true; readonly msg: T } | { readonly ok: false; readonly error: string };

/** Validates the shape of a message from the webview. Never throws. */
export function parseWebviewMessage(raw: unknown): Parsed<WebviewMessage> {
  try {
    return { ok: true, msg: parseOrThrow(raw) };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

function parseOrThrow(raw: unknown): WebviewMessage {
  if (!isObj(raw)) throw new TypeError('message must be an object');
  switch (raw.type) {
    case 'ready':
      return {
        type: 'ready',
        state: raw.state === null || raw.state === undefined ? null : parseState(raw.state),
        columns: int(raw.columns, 'columns', 1, LIMITS.columns),
      };
    case 'view':
      return {
        type: 'view',
        seq: int(raw.seq, 'seq', 0, Number.MAX_SAFE_INTEGER),
        state: parseState(raw.state),
        columns: int(raw.columns, 'columns', 1, LIMITS.columns),
      };
    case 'openSource':
      return {
        type: 'openSource',
        runId: str(raw.runId, 'runId'),
        seriesKey: str(raw.seriesKey, 'seriesKey'),
        index: int(raw.index, 'index', 0, Number.MAX_SAFE_INTEGER),
      };
    case 'openFile':
      return {
        type: 'openFile',
        file: str(raw.file, 'file'),
        line: raw.line === null || raw.line === undefined ? null : int(raw.line, 'line', 1, Number.MAX_SAFE_INTEGER),
      };
    case 'exportCsv':
      return { type: 'exportCsv' };
    case 'exportTable': {
      if (!Array.isArray(raw.runIds) || raw.runIds.length > LIMITS.runIds)
        throw new TypeError(`runIds must be an array of at most ${LIMITS.runIds} strings`);
      return { type: 'exportTable', runIds: raw.runIds.map((r, i) => str(r, `runIds[${i}]`)) };
    }
    case 'exportPng': {
      const dataUrl = str(raw.dataUrl, 'dataUrl', LIMITS.pngBytes);
      if (!dataUrl.startsWith('data:image/png;base64,') || !/^[A-Za-z0-9+/=]*$/.test(dataUrl.slice(22))) {
        throw new TypeError('dataUrl must be a base64 PNG data URL');
      }
      return { type: 'exportPng', name: str(raw.name, 'name', 200), dataUrl };
    }
    default:
      throw new TypeError(`unknown message type ${JSON.stringify(String(raw.type)).slice(0, 80)}`);
  }
}

type Ref = readonly [offset: number, length: number];
interface PackedPoints {
  readonly x: Ref;
  readonly y: Ref;
  readonly idx?: Ref;
}
type Packed<W> = Omit<W, 'raw' | 'smooth'> & { readonly raw: PackedPoints & { readonly idx: Ref }; readonly smooth: PackedPoints | null };

/**
 * The typed arrays of a frame or patch packed into one Float64Array, for `postMessage`: VS Code transfers
 * a typed array's buffer as binary, but a frame of hundreds of windows as separate buffers arrived with
 * most of them empty; one buffer per message is also fewer copies. `unpackSeries` restores the message
 * (views into that buffer). Other messages pass through.
 */
export function packSeries(m: HostMessage): unknown {
  if (m.type !== 'frame' && m.type !== 'patch') return m;
  const list: readonly SeriesWindow[] = m.type === 'frame' ? m.series : m.patches;
  let total = 0;
  for (const w of list) total += 3 * w.raw.x.length + (w.smooth ? (w.smooth.idx ? 3 : 2) * w.smooth.x.length : 0);
  const wire = new Float64Array(total);
  let at = 0;
  const put = (a: ArrayLike<number>): Ref => {
    const r: Ref = [at, a.length];
    wire.set(a, at);
    at += a.length;
    return r;
  };
  const packed = list.map((w) => ({
    ...w,
    raw: { x: put(w.raw.x), y: put(w.raw.y), idx: put(w.raw.idx) },
    smooth: w.smooth ? { x: put(w.smooth.x), y: put(w.smooth.y), ...(w.smooth.idx ? { idx: put(w.smooth.idx) } : {}) } : null,
  }));
  return m.type === 'frame' ? { ...m, series: packed, wire } : { ...m, patches: packed, wire };
}

export function unpackSeries(m: unknown): unknown {
  if (!isObj(m) || !(m.wire instanceof Float64Array) || (m.type !== 'frame' && m.type !== 'patch')) return m;
  const wire = m.wire;
  const view = (r: Ref): Float64Array => wire.subarray(r[0], r[0] + r[1]);
  const un = <W extends SeriesWindow>(w: Packed<W>): W =>
    ({
      ...w,
      raw: { x: view(w.raw.x), y: view(w.raw.y), idx: Uint32Array.from(view(w.raw.idx)) },
      smooth: w.smooth
        ? { x: view(w.smooth.x), y: view(w.smooth.y), ...(w.smooth.idx ? { idx: Uint32Array.from(view(w.smooth.idx)) } : {}) }
        : null,
    }) as unknown as W;
  const { wire: _w, ...rest } = m;
  if (m.type === 'frame') return { ...rest, series: (m.series as Array<Packed<SeriesWindow>>).map(un) };
  return { ...rest, patches: (m.patches as Array<Packed<SeriesPatch>>).map(un) };
}
