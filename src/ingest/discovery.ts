// Discovery: the one place that decides which files are runs. Candidates come from folder walks
// (Watch Folder, CLI folders, the folder rescan), VS Code's workspace search and file events; each is
// matched against the glob list (globs.ts), then, for generic names, sniffed: the first ≤ 64 KiB are
// read (async, regular files only, opened O_NONBLOCK and re-checked with fstat: a FIFO or device is
// never opened blocking) and run through the format's own parser. Rejected files are remembered by
// path + size + mtime and sniffed again only when they grow while their head is still short (or are
// rewritten smaller), so they neither use up `maxFiles` nor are read on every change.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { detectFormat, type FormatName, looksLikeCsvHeader, runRootOf, untilNul } from './detect';
import { DEFAULT_WATCH_GLOBS, matchGlob, needsSniff } from './globs';
import { LineReader } from './lines';
import { JsonlParser } from './parsers/jsonl';
import { TextParser } from './parsers/text';
import type { Sink } from './sink';

/** Bytes read to sniff a file. */
export const SNIFF_BYTES = 64 * 1024;

export type Overrides = readonly { glob: string; format: FormatName }[];

export interface Head {
  bytes: Uint8Array;
  size: number;
  mtimeMs: number;
}

/**
 * Reads the first `max` bytes of a regular file without ever blocking on a FIFO/device: stat first,
 * open with O_NONBLOCK, fstat the descriptor (the path may have been swapped) and read from 0.
 * Undefined: missing, not a regular file, or unreadable.
 */
export async function readHead(file: string, max = SNIFF_BYTES): Promise<Head | undefined> {
  let st: fs.Stats;
  try {
    st = await fsp.stat(file);
  } catch {
    return undefined;
  }
  if (!st.isFile()) return undefined;
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    const st2 = await fh.stat();
    if (!st2.isFile()) return undefined;
    const b = new Uint8Array(Math.max(0, Math.min(max, st2.size || max)));
    let got = 0;
    while (got < b.length) {
      const { bytesRead } = await fh.read(b, got, b.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return { bytes: b.subarray(0, got), size: st2.size, mtimeMs: st2.mtimeMs };
  } catch {
    return undefined;
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/** Counts what a parser makes of a head. */
class CountingSink implements Sink {
  points = 0;
  series(): number {
    return 0;
  }
  point(): void {
    this.points++;
  }
  block(_id: number, n: number): void {
    this.points += n;
  }
  rows(n: number, _s: Float64Array, _w: Float64Array | undefined, _e: Float64Array | undefined, _l: Float64Array, k: number): void {
    this.points += n * k;
  }
  logit(): void {
    this.points++;
  }
  error(): void {}
  meta(): void {}
}

const MAX_SNIFF_LINES = 2000;

/** Lines of a head, split at '\n' and at '\r' (progress bars rewrite a line with '\r'). */
function* segments(text: Uint8Array): Generator<[number, number]> {
  let s = 0;
  let n = 0;
  for (let i = 0; i < text.length && n < MAX_SNIFF_LINES * 4; i++) {
    const c = text[i]!;
    if (c === 10 || c === 13) {
      if (i > s) {
        n++;
        yield [s, i];
      }
      s = i + 1;
    }
  }
  if (s < text.length) yield [s, text.length];
}

/**
 * Does this head look like a training log of `format`? JSON lines: at least one line with a numeric
 * metric (the JSONL parser yields a point); CSV: a header with a metric-like column; console text: a
 * line with a step/epoch anchor and a metric (the text parser yields a point).
 */
export function headLooksLikeLog(format: FormatName, head: Uint8Array, textPatterns: readonly string[] = []): boolean {
  const b = untilNul(head);
  if (b.length === 0) return false;
  switch (format) {
    case 'jsonl': {
      // the first complete lines (≤ 32 lines, ≤ 16 KiB unless the first line is longer) are enough
      const sink = new CountingSink();
      const r = new LineReader(new JsonlParser(sink, ''), sink);
      let end = -1;
      for (let n = 0; n < 32; n++) {
        const nl = b.indexOf(10, end + 1);
        if (nl < 0 || (n > 0 && nl > 16384)) break;
        end = nl;
      }
      r.push(end < 0 ? b : b.subarray(0, end + 1)); // no newline: one (maybe partial) line
      r.finish();
      return sink.points > 0;
    }
    case 'csv': {
      let s = 0;
      if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) s = 3;
      let e = b.indexOf(10, s);
      if (e < 0) e = b.length;
      return looksLikeCsvHeader(new TextDecoder().decode(b.subarray(s, e)).replace(/\r$/, ''));
    }
    case 'text': {
      const sink = new CountingSink();
      const p = new TextParser(sink, textPatterns);
      let ln = 0;
      for (const [s, e] of segments(b)) {
        p.line(b, s, e, ++ln);
        if (sink.points > 0) return true;
      }
      return false;
    }
    default:
      return true; // hf-trainer-state, tfevents, mlflow: named by their format
  }
}

export type Verdict =
  | { accept: true; format: FormatName; size: number; mtimeMs: number }
  | { accept: false; reason: 'not-a-file' | 'unreadable' | 'not-a-log' | 'empty'; size: number; mtimeMs: number };

/** Decides on one file (no caching): format by override/name/content, then sniffing for generic names. */
export async function sniff(file: string, overrides: Overrides = [], textPatterns: readonly string[] = []): Promise<Verdict> {
  const h = await readHead(file);
  if (!h) {
    const st = await fsp.stat(file).catch(() => undefined);
    return { accept: false, reason: st && !st.isFile() ? 'not-a-file' : 'unreadable', size: st?.size ?? 0, mtimeMs: st?.mtimeMs ?? 0 };
  }
  return judge(file, h, overrides, textPatterns);
}

export function judge(file: string, h: Head, overrides: Overrides = [], textPatterns: readonly string[] = []): Verdict {
  const format = detectFormat(file, h.bytes, overrides as { glob: string; format: FormatName }[]);
  const base = { size: h.size, mtimeMs: h.mtimeMs };
  if (!format) return { accept: false, reason: untilNul(h.bytes).length === 0 ? 'empty' : 'not-a-log', ...base };
  const empty = untilNul(h.bytes).length === 0;
  if (overrides.some((o) => matchGlob(o.glob, file))) return { accept: true, format, ...base };
  // an empty `training.log` may become a Keras CSV or console text: decide when its first line is there
  if (empty && /\.(log|txt|out)$/i.test(file)) return { accept: false, reason: 'empty', ...base };
  if (!needsSniff(file)) return { accept: true, format, ...base };
  if (empty) return { accept: false, reason: 'empty', ...base };
  return headLooksLikeLog(format, h.bytes, textPatterns)
    ? { accept: true, format, ...base }
    : { accept: false, reason: 'not-a-log', ...base };
}

export interface DiscoveryOptions {
  formatOverrides?: Overrides;
  textPatterns?: readonly string[];
  /** Globs a candidate must match (default: the default watch globs); override globs always count. */
  include?: readonly string[];
  /** Globs of files/folders never considered. */
  exclude?: readonly string[];
  /** Files sniffed at once (default 4). */
  concurrency?: number;
  /** A rejected file that keeps growing is sniffed again at most this often (ms, default 1000). */
  resniffMs?: number;
}

export interface Found {
  path: string;
  format: FormatName;
  size: number;
  mtimeMs: number;
}

const SKIP_DIRS = new Set(['node_modules', '.git', '.hg', '.svn', '__pycache__', '.venv', 'venv', '.tox', '.mypy_cache', 'site-packages']);

export class Discovery {
  private readonly rejected = new Map<string, { size: number; mtimeMs: number; headLen: number; at: number }>();
  /** sniffs under way (one per path, however many events ask) */
  private readonly inflight = new Map<string, Promise<Verdict>>();
  /** sniffs running, over all callers, and those waiting for a slot */
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly opts: DiscoveryOptions;
  /** Counters (tests, logs). */
  readonly stats = { sniffed: 0, accepted: 0, rejected: 0, skipped: 0 };

  constructor(opts: DiscoveryOptions = {}) {
    this.opts = opts;
  }

  private globs(): string[] {
    return [...(this.opts.include ?? DEFAULT_WATCH_GLOBS), ...(this.opts.formatOverrides ?? []).map((o) => o.glob)];
  }

  /** True when the path matches the watch globs (`include` or the defaults, override globs) and no exclude glob. */
  matches(file: string): boolean {
    if ((this.opts.exclude ?? []).some((g) => matchGlob(g, file))) return false;
    return this.globs().some((g) => matchGlob(g, file));
  }

  /** Remembered as not a log, and unchanged in a way that could change that. */
  isKnownReject(file: string, size: number, mtimeMs: number): boolean {
    const r = this.rejected.get(file);
    if (!r) return false;
    if (size < r.size) return false; // rewritten / truncated: look again
    if (size === r.size && mtimeMs === r.mtimeMs) return true;
    // grew: only bytes within the sniffed head can change the verdict, and not on every append
    return r.headLen >= SNIFF_BYTES || Date.now() - r.at < (this.opts.resniffMs ?? 1000);
  }

  /** Forget a rejection (the user asked for this file explicitly). */
  forget(file: string): void {
    this.rejected.delete(file);
  }

  /** Regular files under `dir` that match the globs (excluded and tool folders skipped), at most `max`. */
  async walk(dir: string, max = 10000): Promise<string[]> {
    const out: string[] = [];
    const rootAbs = path.resolve(dir);
    const walkDir = async (d: string, depth: number): Promise<void> => {
      if (depth > 12 || out.length >= max) return;
      let ents: fs.Dirent[];
      try {
        ents = await fsp.readdir(d, { withFileTypes: true });
      } catch {
        return;
      }
      ents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of ents) {
        if (out.length >= max) return;
        const p = path.join(d, e.name);
        if (e.isDirectory()) {
          if (!SKIP_DIRS.has(e.name) && !(this.opts.exclude ?? []).some((g) => matchGlob(g, p + '/'))) await walkDir(p, depth + 1);
        } else if (e.isFile()) {
          const rel = path.relative(rootAbs, p);
          if (this.matches(p) || this.globs().some((g) => matchGlob(g, rel))) out.push(p);
        }
      }
    };
    await walkDir(rootAbs, 0);
    return out;
  }

  /**
   * Decides on candidate files: stats them, drops known rejections, sniffs the rest newest first with
   * bounded concurrency, and returns the accepted ones (at most `limit`, newest first). Rejected files
   * do not count against the limit.
   */
  async offer(files: readonly string[], limit = Infinity): Promise<Found[]> {
    const conc = Math.max(1, this.opts.concurrency ?? 4);
    const stats: { path: string; size: number; mtimeMs: number }[] = [];
    let i = 0;
    const uniq = [...new Set(files.map((f) => path.resolve(f)))];
    await pool(conc, async () => {
      while (i < uniq.length) {
        const f = uniq[i++]!;
        const st = await fsp.stat(f).catch(() => undefined);
        if (!st || !st.isFile()) continue;
        if (this.isKnownReject(f, st.size, st.mtimeMs)) {
          this.stats.skipped++;
          continue;
        }
        stats.push({ path: f, size: st.size, mtimeMs: st.mtimeMs });
      }
    });
    stats.sort((a, b) => b.mtimeMs - a.mtimeMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const found: (Found & { order: number })[] = [];
    let j = 0;
    await pool(conc, async () => {
      while (j < stats.length && found.length < limit) {
        const order = j;
        const c = stats[j++]!;
        const v = await this.decide(c.path);
        if (v.accept) found.push({ path: c.path, format: v.format, size: v.size, mtimeMs: v.mtimeMs, order });
      }
    });
    found.sort((a, b) => a.order - b.order);
    return found.slice(0, limit === Infinity ? undefined : limit).map(({ order: _o, ...f }) => f);
  }

  /** Sniffs one file and remembers a rejection (at most `concurrency` files are read at once, over all callers). */
  decide(file: string): Promise<Verdict> {
    let p = this.inflight.get(file);
    if (!p) {
      p = this.withSlot(() => this.decideNow(file)).finally(() => this.inflight.delete(file));
      this.inflight.set(file, p);
    }
    return p;
  }

  private async withSlot<T>(fn: () => Promise<T>): Promise<T> {
    const max = Math.max(1, this.opts.concurrency ?? 4);
    if (this.running >= max)
      await new Promise<void>((r) => this.waiting.push(r)); // the slot is handed over
    else this.running++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  private async decideNow(file: string): Promise<Verdict> {
    const h = await readHead(file);
    this.stats.sniffed++;
    if (!h) {
      const st = await fsp.stat(file).catch(() => undefined);
      if (st) this.rejected.set(file, { size: st.size, mtimeMs: st.mtimeMs, headLen: st.isFile() ? 0 : SNIFF_BYTES, at: Date.now() });
      this.stats.rejected++;
      return { accept: false, reason: st && !st.isFile() ? 'not-a-file' : 'unreadable', size: st?.size ?? 0, mtimeMs: st?.mtimeMs ?? 0 };
    }
    const v = judge(file, h, this.opts.formatOverrides, this.opts.textPatterns);
    if (v.accept) {
      this.rejected.delete(file);
      this.stats.accepted++;
    } else {
      this.rejected.set(file, { size: h.size, mtimeMs: h.mtimeMs, headLen: h.bytes.length, at: Date.now() });
      this.stats.rejected++;
    }
    return v;
  }

  /** Rejected files remembered (tests). */
  rejectedCount(): number {
    return this.rejected.size;
  }
}

async function pool(n: number, worker: () => Promise<void>): Promise<void> {
  await Promise.all(Array.from({ length: n }, () => worker()));
}

// ---- run grouping ----

/**
 * How a file joins a run. `root` is the run's id: files with the same root are one run (a run can have
 * several files: TensorBoard train/ + validation/, MLflow metric files, later one file per rank).
 * `role`: `primary` — its series are the run's; `snapshot` — one of several copies of the same history
 * (Hugging Face `checkpoint-N/trainer_state.json`: the run follows the longest); `cross-check` — a second
 * source of the same metrics (HF `runs/<name>/events.out.tfevents.*` next to a trainer_state.json;
 * detectron2's `log.txt` and event file next to its `metrics.json`), followed but not turned into series,
 * so nothing is reported twice.
 */
export interface RunGroup {
  root: string;
  prefix: string;
  split?: 'train' | 'val' | 'test';
  role: 'primary' | 'snapshot' | 'cross-check';
  /** A source other files may be cross-checks of: runs under this folder are regrouped when it appears. */
  scope?: string;
  /** One rank's log of a multi-rank job: its series are keyed `rank<N>/<key>` in the job's run. */
  rank?: number;
}

const MAX_RANK = 65535;
// `rank0.jsonl`, `metrics_rank1.jsonl`, `log_rank_3.txt`, `train-rank-2.log`, `node0_rank12.csv`
const RANK_FILE = /^(.*?)(rank[_-]?)(\d{1,5})((?:\.[^./\\]+)*)$/i;
const ATTEMPT_DIR = /^attempt_\d{1,4}$/;

/**
 * The job and rank of a per-rank log: files that differ only in the rank number are one run
 * (`<dir>/metrics_rank*.jsonl`); torchrun's `--log-dir` layout `<dir>/attempt_K/<rank>/stdout.log` (and
 * stderr.log) is one run per attempt folder. Undefined for any other file.
 */
export function rankOf(filePath: string): { root: string; rank: number } | undefined {
  const dir = path.dirname(filePath);
  const base = path.basename(filePath);
  const m = RANK_FILE.exec(base);
  if (m) {
    const before = m[1]!;
    // the word `rank` starts the name or follows a separator (not `cranky3.log`)
    if (before === '' || /[._-]$/.test(before)) {
      const rank = Number(m[3]);
      if (rank <= MAX_RANK) return { root: path.join(dir, `${before}${m[2]}*${m[4]}`), rank };
    }
  }
  const rankDir = path.basename(dir);
  if (/^\d{1,5}$/.test(rankDir) && ATTEMPT_DIR.test(path.basename(path.dirname(dir))) && /^(stdout|stderr)\.log$/i.test(base)) {
    const rank = Number(rankDir);
    if (rank <= MAX_RANK) return { root: path.join(path.dirname(dir), '*', base), rank };
  }
  return undefined;
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
  const base = path.basename(filePath).toLowerCase();
  if (format === 'hf-trainer-state' && base === 'trainer_state.json') {
    return { root: hfOutputDir(filePath), prefix: '', role: 'snapshot', scope: hfOutputDir(filePath) };
  }
  if (format === 'tfevents') {
    const out = hfRunsParent(filePath);
    if (out !== undefined && (await holdsTrainerState(out))) return { root: out, prefix: '', role: 'cross-check' };
  }
  const dir = path.dirname(filePath);
  if (format === 'jsonl' && base === 'metrics.json') return { root: filePath, prefix: '', role: 'primary', scope: dir };
  // detectron2 output folder: metrics.json (JSON lines) is the source; log.txt (console) and the
  // TensorBoard file next to it carry the same EventStorage scalars
  if ((format === 'text' && base === 'log.txt') || (format === 'tfevents' && runRootOf(filePath, format).root === dir)) {
    const metrics = path.join(dir, 'metrics.json');
    if (await isJsonLinesLog(metrics)) return { root: metrics, prefix: '', role: 'cross-check' };
  }
  if (format === 'jsonl' || format === 'csv' || format === 'text') {
    const r = rankOf(filePath);
    if (r) return { root: r.root, prefix: `rank${r.rank}/`, role: 'primary', rank: r.rank };
  }
  return { ...runRootOf(filePath, format), role: 'primary' };
}

/** True when `file` is a regular file whose first lines are JSON lines with a numeric metric (bounded read). */
async function isJsonLinesLog(file: string): Promise<boolean> {
  const h = await readHead(file, 16384);
  return h !== undefined && headLooksLikeLog('jsonl', h.bytes);
}

/** The primary source files of a run root that cross-checks wait for (HF: its trainer_state.json files; detectron2: metrics.json). */
export async function primarySourcesOf(root: string): Promise<{ path: string; format: FormatName }[]> {
  if (path.basename(root).toLowerCase() === 'metrics.json') return (await isJsonLinesLog(root)) ? [{ path: root, format: 'jsonl' }] : [];
  return (await trainerStatesIn(root)).map((p) => ({ path: p, format: 'hf-trainer-state' as const }));
}
