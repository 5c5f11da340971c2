// Format detection by file name and content, glob overrides, default watch globs, run grouping.
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { matchGlob } from './globs';
import { looksLikeTfRecord } from './parsers/tfevents';

export type FormatName = 'jsonl' | 'csv' | 'hf-trainer-state' | 'tfevents' | 'mlflow' | 'text';

export { DEFAULT_WATCH_GLOBS, globToRegExp, matchGlob } from './globs';

function slash(p: string): string {
  return p.split(path.sep).join('/');
}

/** mlruns/<exp>/<run>/metrics/<key…>: returns the run dir and metric key. */
export function mlflowParts(filePath: string): { runDir: string; key: string } | undefined {
  const p = slash(filePath);
  const m = /^(.*\/mlruns\/[^/]+\/[^/]+)\/metrics\/(.+)$/.exec(p);
  if (!m) return undefined;
  return { runDir: m[1]!.split('/').join(path.sep), key: m[2]! };
}

function isBinary(head: Uint8Array): boolean {
  const n = Math.min(head.length, 4096);
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const c = head[i]!;
    if (c === 0) return true;
    if (c < 8 || (c > 13 && c < 32 && c !== 27)) bad++;
  }
  return bad > n / 20;
}

const TEXT_EXT = /\.(jsonl|ndjson|json|csv|tsv|log|txt|out)$/;

/** The bytes before the first NUL (NUL-padded tails after a crash). */
export function untilNul(head: Uint8Array): Uint8Array {
  const z = head.indexOf(0);
  return z < 0 ? head : head.subarray(0, z);
}

function firstLine(head: Uint8Array): string {
  let s = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) s = 3;
  let e = head.indexOf(10, s);
  if (e < 0) e = head.length;
  return new TextDecoder('utf-8', { fatal: false }).decode(head.subarray(s, Math.min(e, s + 65536))).replace(/\r$/, '');
}

const CSV_HEADER_HINT = /(^|[,\t;]\s*)"?\s*(epoch|step|loss|train_loss|val_loss|global_step|iteration|accuracy|acc|lr|train\/[\w]+)\s*"?\s*($|[,\t;])/i;

/** True when the first line looks like the header of a metrics CSV/TSV. */
export function looksLikeCsvHeader(line: string): boolean {
  const cells = line.split(/[,\t;]/);
  if (cells.length < 2) return false;
  if (!cells.every((c) => /^\s*"?[\w./\- ()[\]@:]*"?\s*$/.test(c))) return false;
  return CSV_HEADER_HINT.test(line);
}

function looksLikeJsonObjectLine(line: string): boolean {
  const t = line.trim();
  return t.startsWith('{') && (t.endsWith('}') || t.length >= 65536) && /"\s*:/.test(t);
}

/**
 * Chooses the parser for a file from overrides (glob → format, matched against the absolute path and
 * the basename), then the file name, then the first bytes. Undefined: not a log we understand.
 */
export function detectFormat(
  filePath: string,
  head: Uint8Array,
  overrides?: { glob: string; format: FormatName }[],
): FormatName | undefined {
  for (const o of overrides ?? []) if (matchGlob(o.glob, filePath)) return o.format;
  const base = path.basename(filePath);
  const lower = base.toLowerCase();
  if (lower.startsWith('events.out.tfevents.')) return 'tfevents';
  if (lower === 'trainer_state.json') return 'hf-trainer-state';
  if (mlflowParts(filePath)) return 'mlflow';
  // known text extensions are never binary: a crash can leave NUL padding, read up to it
  if (TEXT_EXT.test(lower)) head = untilNul(head);
  else if (head.length > 0 && isBinary(head)) return looksLikeTfRecord(head) ? 'tfevents' : undefined;
  if (head.length === 0) {
    if (/\.(jsonl|ndjson)$/.test(lower)) return 'jsonl';
    if (/\.(csv|tsv)$/.test(lower)) return 'csv';
    if (/\.(log|txt|out)$/.test(lower)) return 'text';
    return undefined;
  }
  const line = firstLine(head);
  if (/\.(jsonl|ndjson)$/.test(lower)) return 'jsonl';
  if (/\.json$/.test(lower)) {
    const text = new TextDecoder().decode(head.subarray(0, 65536));
    if (/"log_history"\s*:/.test(text)) return 'hf-trainer-state';
    return looksLikeJsonObjectLine(line) ? 'jsonl' : undefined;
  }
  if (/\.(csv|tsv)$/.test(lower)) return 'csv';
  if (looksLikeJsonObjectLine(line)) return 'jsonl';
  if (looksLikeCsvHeader(line)) return 'csv';
  if (/\.(log|txt|out)$/.test(lower)) return 'text';
  return undefined;
}

/** Which run a file belongs to: TensorBoard train/ + validation/ folders and MLflow runs group files. */
export function runRootOf(filePath: string, format: FormatName): { root: string; prefix: string; split?: 'train' | 'val' | 'test' } {
  if (format === 'mlflow') {
    const m = mlflowParts(filePath);
    if (m) return { root: m.runDir, prefix: m.key };
  }
  if (format === 'tfevents') {
    const dir = path.dirname(filePath);
    const sub = path.basename(dir);
    const s = sub.toLowerCase();
    const split = s === 'train' || s === 'training' ? 'train' : s === 'validation' || s === 'val' || s === 'eval' || s === 'valid' ? 'val' : s === 'test' ? 'test' : undefined;
    if (split) return { root: path.dirname(dir), prefix: sub + '/', split };
    return { root: dir, prefix: '' };
  }
  return { root: filePath, prefix: '' };
}

/**
 * How a file joins a run. `root` is the run's id: files with the same root are one run (a run can have
 * several files: TensorBoard train/ + validation/, MLflow metric files, later one file per rank).
 * `role`: `primary` — its series are the run's; `snapshot` — one of several copies of the same history
 * (Hugging Face `checkpoint-N/trainer_state.json`: the run follows the longest); `cross-check` — a second
 * source of the same metrics (HF `runs/<name>/events.out.tfevents.*` next to a trainer_state.json), followed
 * but not turned into series, so nothing is reported twice.
 */
export interface RunGroup {
  root: string;
  prefix: string;
  split?: 'train' | 'val' | 'test';
  role: 'primary' | 'snapshot' | 'cross-check';
}

const CHECKPOINT_DIR = /^checkpoint-\d+$/;

/** `<out>/trainer_state.json` or `<out>/checkpoint-N/trainer_state.json` → `<out>`. */
export function hfOutputDir(stateFile: string): string {
  const dir = path.dirname(stateFile);
  return CHECKPOINT_DIR.test(path.basename(dir)) ? path.dirname(dir) : dir;
}

/** `<out>/runs/<name>/events.out.tfevents.*` → `<out>` (the Trainer's default logging_dir). */
export function hfRunsParent(eventFile: string): string | undefined {
  const runDir = path.dirname(eventFile);
  const runs = path.dirname(runDir);
  return path.basename(runs) === 'runs' ? path.dirname(runs) : undefined;
}

/** The trainer_state.json files of `<out>`: its own and those of its checkpoint-N folders (bounded: one readdir, ≤ 256 stats). */
export async function trainerStatesIn(out: string, firstOnly = false): Promise<string[]> {
  const isFile = async (p: string): Promise<boolean> => (await fsp.stat(p).catch(() => undefined))?.isFile() ?? false;
  const found: string[] = [];
  const own = path.join(out, 'trainer_state.json');
  if (await isFile(own)) {
    found.push(own);
    if (firstOnly) return found;
  }
  let names: string[];
  try {
    names = await fsp.readdir(out);
  } catch {
    return found;
  }
  let tried = 0;
  for (const n of names) {
    if (!CHECKPOINT_DIR.test(n)) continue;
    const p = path.join(out, n, 'trainer_state.json');
    if (await isFile(p)) {
      found.push(p);
      if (firstOnly) break;
    }
    if (++tried >= 256) break;
  }
  return found;
}

/** True when `<out>` holds a trainer_state.json, directly or in a checkpoint-N folder. */
export async function holdsTrainerState(out: string): Promise<boolean> {
  return (await trainerStatesIn(out, true)).length > 0;
}

/** The run grouping of one file (see RunGroup); touches the file system only for TensorBoard files under `runs/`. */
export async function groupOf(filePath: string, format: FormatName): Promise<RunGroup> {
  if (format === 'hf-trainer-state' && path.basename(filePath).toLowerCase() === 'trainer_state.json') {
    return { root: hfOutputDir(filePath), prefix: '', role: 'snapshot' };
  }
  if (format === 'tfevents') {
    const out = hfRunsParent(filePath);
    if (out !== undefined && (await holdsTrainerState(out))) return { root: out, prefix: '', role: 'cross-check' };
  }
  return { ...runRootOf(filePath, format), role: 'primary' };
}
