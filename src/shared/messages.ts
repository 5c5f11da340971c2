// Typed messages between the extension host and the dashboard webview, with validators.
// Everything here is JSON-safe: no NaN/Infinity in numbers (non-finite values travel as `kind`).
import type { NonFiniteMark } from './downsample';
import type { Role, Severity, Split } from '../core/model';

export const VIEW_TYPE = 'losswatch.dashboard';

export type XAxis = 'step' | 'epoch' | 'wall' | 'relative';
export const X_AXES: readonly XAxis[] = ['step', 'epoch', 'wall', 'relative'];
export type PanelId = 'loss' | 'grad' | 'lr' | 'acc' | 'other';
export const PANEL_IDS: readonly PanelId[] = ['loss', 'grad', 'lr', 'acc', 'other'];

export interface Range {
  readonly min: number;
  readonly max: number;
}

/** Everything the panel remembers across reloads (webview setState + WebviewPanelSerializer). */
export interface DashboardState {
  readonly version: 1;
  /** Runs shown; null = every watched run. */
  readonly runIds: readonly string[] | null;
  readonly xAxis: XAxis;
  readonly xLog: boolean;
  readonly yLog: Readonly<Record<PanelId, boolean>>;
  /** TensorBoard-style EMA weight, 0 … 0.999. */
  readonly smoothing: number;
  /** Visible x-range; null = follow the tail (whole data, growing). */
  readonly range: Range | null;
  /** Series key shown in the "other metric" panel. */
  readonly other: string | null;
  readonly table: boolean;
  /** y ranges from robust quantiles of the visible data (TensorBoard's "Ignore outliers in chart scaling"). */
  readonly ignoreOutliers: boolean;
}

export const DEFAULT_STATE: DashboardState = {
  version: 1,
  runIds: null,
  xAxis: 'step',
  xLog: false,
  yLog: { loss: false, grad: true, lr: false, acc: false, other: false },
  smoothing: 0.6,
  range: null,
  other: null,
  table: false,
  ignoreOutliers: true,
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

export interface Points {
  readonly x: number[];
  readonly y: number[];
}

export interface SeriesWindow {
  readonly runId: string;
  readonly key: string;
  /** Min/max-downsampled raw points with their source indices. */
  readonly raw: Points & { readonly idx: number[] };
  /** Smoothed curve (computed on full-resolution data, then downsampled); null when smoothing is 0. */
  readonly smooth: Points | null;
  readonly nonFinite: NonFiniteMark[];
  /** Full-resolution length of the series. */
  readonly length: number;
  /** Points not plottable on this axis (no epoch/time, or x <= 0 on a log axis). */
  readonly skipped: number;
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
      /** The x-range the data covers (follow mode: the whole data). */
      readonly range: Range | null;
      readonly series: readonly SeriesWindow[];
      readonly markers: readonly Marker[];
      readonly highlight: { readonly runId: string; readonly x: number; readonly step: number } | null;
    }
  | {
      readonly type: 'patch';
      readonly seq: number;
      readonly range: Range | null;
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
  | { readonly type: 'exportPng'; readonly name: string; readonly dataUrl: string };

export const LIMITS = {
  string: 4096,
  runIds: 1000,
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

/** Strict check of a state object; throws TypeError naming the first bad field. */
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
  const yl = raw.yLog;
  const yLog = {} as Record<PanelId, boolean>;
  for (const p of PANEL_IDS) yLog[p] = bool(yl[p], `state.yLog.${p}`);
  const smoothing = raw.smoothing;
  if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing <= 0.999)) {
    throw new TypeError('state.smoothing must be a number in [0, 0.999]');
  }
  let range: Range | null = null;
  if (raw.range !== null) {
    const r = raw.range;
    if (!isObj(r) || typeof r.min !== 'number' || typeof r.max !== 'number' || !Number.isFinite(r.min) || !Number.isFinite(r.max) || !(r.min < r.max)) {
      throw new TypeError('state.range must be null or {min, max} with finite min < max');
    }
    range = { min: r.min, max: r.max };
  }
  const other = raw.other === null ? null : str(raw.other, 'state.other');
  return {
    version: 1,
    runIds,
    xAxis: xAxis as XAxis,
    xLog: bool(raw.xLog, 'state.xLog'),
    yLog,
    smoothing,
    range,
    other,
    table: bool(raw.table, 'state.table'),
    // Absent in states saved before the option existed: default on.
    ignoreOutliers: raw.ignoreOutliers === undefined ? true : bool(raw.ignoreOutliers, 'state.ignoreOutliers'),
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

/** Which panel a series belongs to (null = only when picked in the "other metric" list). */
export function panelOf(role: Role): PanelId | null {
  switch (role) {
    case 'train_loss':
    case 'val_loss':
      return 'loss';
    case 'grad_norm':
      return 'grad';
    case 'learning_rate':
      return 'lr';
    case 'accuracy':
    case 'val_accuracy':
      return 'acc';
    default:
      return null;
  }
}
