// Format detection by file name and content, glob overrides, default watch globs, run grouping.
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

const CSV_HEADER_HINT =
  /(^|[,\t;]\s*)"?\s*(epoch|step|loss|train_loss|val_loss|global_step|iteration|accuracy|acc|lr|train\/[\w]+)\s*"?\s*($|[,\t;])/i;

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
    const split =
      s === 'train' || s === 'training'
        ? 'train'
        : s === 'validation' || s === 'val' || s === 'eval' || s === 'valid'
          ? 'val'
          : s === 'test'
            ? 'test'
            : undefined;
    if (split) return { root: path.dirname(dir), prefix: sub + '/', split };
    return { root: dir, prefix: '' };
  }
  return { root: filePath, prefix: '' };
}
