// Field names with a meaning in metric records (JSONL objects, CSV headers).

export type FieldKind = 'step' | 'epoch' | 'time' | 'split' | 'logit' | 'metric';

const STEP = new Set([
  'step',
  'global_step',
  '_step',
  'iteration',
  'iter',
  'it',
  'steps',
  'trainer/global_step',
  'global_steps',
  'num_steps',
  'batch_idx',
]);
const EPOCH = new Set(['epoch', 'epochs', 'trainer/epoch', 'ep']);
const TIME = new Set(['timestamp', 'time', 'wall_time', 'walltime', '_timestamp', 'ts', 'datetime', 'date', 'wall']);
const SPLIT = new Set(['split', 'phase', 'mode', 'stage', 'subset']);
const LOGIT = new Set([
  'logits',
  'labels',
  'targets',
  'logits_file',
  'labels_file',
  'targets_file',
  'loss_fn',
  'reduction',
  'label_smoothing',
  'ignore_index',
  'weight',
  'weight_file',
]);

export function fieldKind(key: string): FieldKind {
  const k = key.toLowerCase();
  if (STEP.has(k)) return 'step';
  if (EPOCH.has(k)) return 'epoch';
  if (TIME.has(k)) return 'time';
  if (SPLIT.has(k)) return 'split';
  if (LOGIT.has(k)) return 'logit';
  return 'metric';
}

/** A timestamp field: seconds (Python time.time()) or milliseconds since the epoch, or an ISO string. NaN if unusable. */
export function toWallMs(v: number | string): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v <= 0) return NaN;
    return v >= 1e11 ? v : v * 1000;
  }
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : NaN;
}

// Unix time in seconds or milliseconds from 2000-01-01 to 2100-01-01: the only numbers taken as a wall
// clock in a time-named field. detectron2's `time` (seconds per iteration) and YOLO's `time` (seconds
// since the start) are far below: such a field is a metric series like any other.
const WALL_MIN_S = 946684800;
const WALL_MAX_S = 4102444800;

/** Whether a number in a time-named field is a wall-clock time (Unix seconds or milliseconds, 2000–2100). */
export function isWallClock(v: number): boolean {
  return (v >= WALL_MIN_S && v < WALL_MAX_S) || (v >= WALL_MIN_S * 1000 && v < WALL_MAX_S * 1000);
}

/** Spellings of a missing value (pandas' default NA strings besides NaN): an absent cell, not an error. */
export function missing(s: string): boolean {
  switch (s.toLowerCase()) {
    case 'na':
    case 'n/a':
    case '#n/a':
    case '<na>':
    case 'null':
    case 'none':
      return true;
    default:
      return false;
  }
}

/** Python/NumPy/pandas spellings of non-finite numbers found in CSV cells and strings. */
export function nonFinite(s: string): number | undefined {
  switch (s.toLowerCase()) {
    case 'nan':
    case '-nan':
    case '+nan':
      return NaN;
    case 'inf':
    case '+inf':
    case 'infinity':
    case '+infinity':
      return Infinity;
    case '-inf':
    case '-infinity':
      return -Infinity;
    default:
      return undefined;
  }
}
