// LogWatcher: follows log files and run folders, parses them into RunStores and emits coalesced
// RunUpdates. No `vscode` import: the extension glue wraps it.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { LogitRecord, RunUpdate, RunView, Split } from '../core/model';
import { DEFAULT_WATCH_GLOBS, detectFormat, type FormatName, matchGlob, runRootOf } from './detect';
import { Follower, openRegular, readSmallRegularSync, type RestartReason } from './follower';
import { LineReader } from './lines';
import { CsvParser } from './parsers/csv';
import { HfTrainerStateParser } from './parsers/hf';
import { JsonlParser } from './parsers/jsonl';
import { MlflowMetricParser } from './parsers/mlflow';
import { TextParser } from './parsers/text';
import { TfEventsParser } from './parsers/tfevents';
import { classify } from './roles';
import type { ByteParser, Sink } from './sink';
import { RunStore, type SeriesStore } from './store';
import { bulkRead } from './bulk';

export interface IngestOptions {
  /** > 0: poll with fs.stat at this interval instead of fs.watch. */
  pollIntervalMs?: number;
  /** Matched against the absolute path and the basename. */
  formatOverrides?: { glob: string; format: FormatName }[];
  /** User regexes for plain-text logs, named groups: step, epoch, and metric names. */
  textPatterns?: string[];
  /** First reads larger than this (bytes) go through a worker_thread; default 8 MiB. */
  workerThreshold?: number;
  /** Path of the bundled worker (dist/ingest-worker.js); if absent, parse in slices on the main thread. */
  workerScript?: string;
  /** Burst coalescing window for update events, default 100. */
  coalesceMs?: number;
  /** Whole-file formats (trainer_state.json) larger than this many bytes are not read; default 256 MiB. */
  maxWholeBytes?: number;
}

interface InternalOptions extends IngestOptions {
  /** false: one-shot read (loadRuns). */
  watch?: boolean;
}

/** The sink of one file of a run: resolves keys to the run's series and tracks what is new. */
class FileSink implements Sink {
  private byId: SeriesStore[] = [];
  private markGen: number[] = [];
  constructor(
    private readonly w: RunState,
    readonly file: string,
    private fileIdx: number,
    private readonly errorsFile: string,
  ) {}
  clearIds(): void {
    this.byId = [];
    this.markGen = [];
  }
  setFileIndex(i: number): void {
    this.fileIdx = i;
  }
  series(key: string, hint: Split = 'none'): number {
    const c = classify(key, hint);
    const s = this.w.store.ensureSeries(key, c.role, c.split);
    this.byId.push(s);
    return this.byId.length - 1;
  }
  point(id: number, step: number, value: number, wallMs: number, epoch: number, line: number): void {
    const s = this.byId[id]!;
    if (this.markGen[id] !== this.w.flushGen) {
      this.markGen[id] = this.w.flushGen;
      if (!this.w.marked.has(s)) this.w.marked.set(s, s.length);
    }
    s.append(step, value, wallMs, epoch, line, this.fileIdx);
  }
  block(id: number, n: number, step: Float64Array, value: Float64Array, valueOff: number, wallMs: Float64Array | undefined, epoch: Float64Array | undefined, line: Float64Array): void {
    if (n <= 0) return;
    const s = this.byId[id]!;
    if (this.markGen[id] !== this.w.flushGen) {
      this.markGen[id] = this.w.flushGen;
      if (!this.w.marked.has(s)) this.w.marked.set(s, s.length);
    }
    s.appendBlock(n, step, value, valueOff, wallMs, epoch, line, this.fileIdx);
  }
  rows(n: number, step: Float64Array, wallMs: Float64Array | undefined, epoch: Float64Array | undefined, line: Float64Array, k: number, ids: Int32Array, value: Float64Array, offs: Int32Array): void {
    if (n <= 0) return;
    if (wallMs !== undefined || k < 2) {
      // rows with times (per-series wall bases) or one series: nothing to share
      for (let j = 0; j < k; j++) this.block(ids[j]!, n, step, value, offs[j]!, wallMs, epoch, line);
      return;
    }
    const rows = this.w.store.sharedRows(this.fileIdx);
    const before = rows.length;
    let sharing = 0;
    for (let j = 0; j < k; j++) if (this.byId[ids[j]!]!.canShare(rows, before)) sharing++;
    if (sharing < 2) {
      // the rows would serve at most one series (the others left them): private columns
      for (let j = 0; j < k; j++) this.block(ids[j]!, n, step, value, offs[j]!, wallMs, epoch, line);
      return;
    }
    rows.appendRowBlock(n, step, epoch, line, this.fileIdx);
    for (let j = 0; j < k; j++) {
      const id = ids[j]!;
      const s = this.byId[id]!;
      if (this.markGen[id] !== this.w.flushGen) {
        this.markGen[id] = this.w.flushGen;
        if (!this.w.marked.has(s)) this.w.marked.set(s, s.length);
      }
      s.appendRows(rows, before, n, value, offs[j]!, step, epoch, line, this.fileIdx);
    }
  }
  logit(rec: LogitRecord): void {
    if (this.w.logitFrom < 0) this.w.logitFrom = this.w.store.logitRecords().length;
    this.w.store.addLogitRecord(rec);
  }
  error(message: string, line?: number, record?: number): void {
    this.w.store.errorsFor(this.errorsFile).add(line, record, message);
    this.w.errorsChanged = true;
  }
  meta(key: string, value: number | string): void {
    this.w.store.meta[key] = value;
  }
}

interface FileState {
  path: string;
  format: FormatName;
  follower: Follower;
  sink: FileSink;
  reader?: ByteParser; // streaming formats
  prefix: string;
  hint: Split;
  /** whole-file formats: the points emitted so far, to diff a rewritten file against */
  known?: { key: string; step: number; value: number }[];
  gone: boolean;
}

interface RunState {
  store: RunStore;
  files: Map<string, FileState>;
  marked: Map<SeriesStore, number>;
  /** bumped whenever `marked` is cleared (lets sinks skip the map lookup per point) */
  flushGen: number;
  logitFrom: number;
  reset: boolean;
  removed: boolean;
  errorsChanged: boolean;
  lastEmit: number;
  timer: NodeJS.Timeout | undefined;
  visible: boolean;
}

type Listener = (u: RunUpdate) => void;

const GENERIC_NAMES = new Set(['metrics.csv', 'results.csv', 'trainer_state.json', 'history.csv', 'log.txt', 'train.log', 'metrics.jsonl', 'log.jsonl', 'training.log']);

export class LogWatcher {
  private readonly runsById = new Map<string, RunState>();
  private readonly fileToRun = new Map<string, RunState>();
  private readonly listeners = new Set<Listener>();
  private readonly folders = new Map<string, { dispose(): void }>();
  private readonly adding = new Map<string, Promise<RunView | undefined>>();
  private readonly opts: InternalOptions;
  private disposed = false;

  constructor(options: IngestOptions = {}) {
    this.opts = { ...options };
  }

  /** Start following a log file or a run folder (TensorBoard run dir, MLflow run dir); resolves after the first read. Idempotent. */
  async add(fsPath: string): Promise<RunView | undefined> {
    const abs = path.resolve(fsPath);
    const known = this.fileToRun.get(abs) ?? this.runsById.get(abs);
    if (known) return known.visible ? known.store : undefined;
    let st: fs.Stats;
    try {
      st = await fsp.stat(abs);
    } catch {
      return undefined;
    }
    if (st.isDirectory()) {
      const files = await listLogFiles(abs, this.opts.formatOverrides);
      let first: RunView | undefined;
      for (const f of files) {
        const r = await this.addFile(f);
        first ??= r;
      }
      if (this.opts.watch !== false && !this.folders.has(abs)) this.folders.set(abs, this.watchFolder(abs));
      return first;
    }
    return this.addFile(abs);
  }

  private watchFolder(dir: string): { dispose(): void } {
    // new files in a followed folder (a new metric in an MLflow run, a new event file after a restart)
    let busy = false;
    const rescan = async (): Promise<void> => {
      if (busy || this.disposed) return;
      busy = true;
      try {
        for (const f of await listLogFiles(dir, this.opts.formatOverrides)) if (!this.fileToRun.has(f)) await this.addFile(f);
      } finally {
        busy = false;
      }
    };
    const t = setInterval(() => void rescan(), Math.max(this.opts.pollIntervalMs ?? 0, 2000));
    t.unref?.();
    return { dispose: () => clearInterval(t) };
  }

  private addFile(abs: string): Promise<RunView | undefined> {
    if (this.disposed) return Promise.resolve(undefined);
    const existing = this.fileToRun.get(abs);
    if (existing) return Promise.resolve(existing.store);
    // concurrent add() of the same file (workspace scan + file-created event + user command) share one
    // follower: two would each append every point (doubled steps) into the same run
    const pending = this.adding.get(abs);
    if (pending) return pending;
    const p = this.addFileNow(abs).finally(() => {
      if (this.adding.get(abs) === p) this.adding.delete(abs);
    });
    this.adding.set(abs, p);
    return p;
  }

  private async addFileNow(abs: string): Promise<RunView | undefined> {
    let head: Uint8Array;
    try {
      const fh = await openRegular(abs); // never a FIFO/device: an open of a FIFO would hang
      try {
        const b = new Uint8Array(65536);
        const { bytesRead } = await fh.read(b, 0, b.length, 0);
        head = b.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
    } catch {
      return undefined;
    }
    if (this.disposed) return undefined; // disposed meanwhile: no follower that nobody would stop
    const format = detectFormat(abs, head, this.opts.formatOverrides);
    if (!format) return undefined;
    const { root, prefix, split } = runRootOf(abs, format);
    let run = this.runsById.get(root);
    if (!run) {
      const store = new RunStore(root, runName(root, abs, format), root, format);
      run = { store, files: new Map(), marked: new Map(), flushGen: 0, logitFrom: -1, reset: false, removed: false, errorsChanged: false, lastEmit: 0, timer: undefined, visible: true };
      this.runsById.set(root, run);
    }
    const r = run;
    const binary = format === 'tfevents';
    const fileIdx = r.store.fileIndex(abs, binary);
    const sink = new FileSink(r, abs, fileIdx, abs);
    const hint: Split = split ?? 'none';
    const fsState: FileState = {
      path: abs,
      format,
      sink,
      prefix,
      hint,
      gone: false,
      follower: undefined as unknown as Follower,
    };
    const whole = format === 'hf-trainer-state';
    if (!whole) fsState.reader = this.makeReader(format, sink, abs, prefix, hint);
    else fsState.known = [];
    const useWorker = (format === 'jsonl' || format === 'csv') && !!this.opts.workerScript;
    fsState.follower = new Follower(
      abs,
      {
        data: (chunk) => fsState.reader!.push(chunk),
        whole: (content) => this.applyWhole(r, fsState, content),
        restart: (reason) => this.onRestart(r, fsState, reason),
        gone: () => this.onGone(r, fsState),
        settled: () => this.schedule(r),
        bulk: useWorker
          ? (size) => (size > (this.opts.workerThreshold ?? 8 << 20) ? bulkRead(this.opts.workerScript!, abs, format, size, fsState.reader as LineReader, sink, () => void this.resetRun(r, fsState)) : Promise.resolve(undefined))
          : undefined,
        ioError: (m) => sink.error(m),
      },
      { pollIntervalMs: this.opts.pollIntervalMs, whole, watch: this.opts.watch, maxWholeBytes: this.opts.maxWholeBytes },
    );
    r.files.set(abs, fsState);
    this.fileToRun.set(abs, r);
    await fsState.follower.start();
    if (this.opts.watch === false) fsState.reader?.finish();
    return r.store;
  }

  private makeReader(format: FormatName, sink: Sink, file: string, prefix: string, hint: Split): ByteParser {
    switch (format) {
      case 'jsonl':
        return new LineReader(new JsonlParser(sink, file), sink);
      case 'csv':
        return new LineReader(new CsvParser(sink), sink);
      case 'mlflow':
        return new LineReader(new MlflowMetricParser(sink, prefix, hint), sink);
      case 'text':
        return new LineReader(new TextParser(sink, this.opts.textPatterns ?? []), sink);
      case 'tfevents':
        return new TfEventsParser(sink, prefix, hint);
      default:
        return new LineReader(new TextParser(sink), sink);
    }
  }

  private applyWhole(r: RunState, f: FileState, content: Uint8Array): string | undefined {
    const pts: { key: string; hint: Split; step: number; value: number; wall: number; epoch: number; line: number }[] = [];
    const keys: { key: string; hint: Split }[] = [];
    const errors: { m: string; line?: number; rec?: number }[] = [];
    const meta: [string, number | string][] = [];
    const rec: Sink = {
      series: (key, hint = 'none') => keys.push({ key, hint }) - 1,
      point: (id, step, value, wall, epoch, line) => pts.push({ ...keys[id]!, step, value, wall, epoch, line }),
      logit: () => undefined,
      error: (m, line, record) => errors.push({ m, line, rec: record }),
      meta: (k, v) => meta.push([k, v]),
    };
    const hf = new HfTrainerStateParser();
    if (!hf.parseWhole(content, rec)) return hf.incomplete; // mid-write or empty: the follower retries, then reports
    const known = f.known ?? [];
    let prefixOk = known.length <= pts.length;
    for (let i = 0; prefixOk && i < known.length; i++) {
      const a = known[i]!;
      const b = pts[i]!;
      if (a.key !== b.key || !same(a.step, b.step) || !same(a.value, b.value)) prefixOk = false;
    }
    if (!prefixOk) {
      void this.resetRun(r, f);
      f.known = [];
    }
    const from = prefixOk ? known.length : 0;
    f.sink.clearIds();
    const ids = new Map<string, number>();
    for (let i = from; i < pts.length; i++) {
      const p = pts[i]!;
      let id = ids.get(p.key);
      if (id === undefined) {
        id = f.sink.series(p.key, p.hint);
        ids.set(p.key, id);
      }
      f.sink.point(id, p.step, p.value, p.wall, p.epoch, p.line);
      f.known!.push({ key: p.key, step: p.step, value: p.value });
    }
    const ec = r.store.errorsFor(f.path);
    ec.clear();
    for (const e of errors) ec.add(e.line, e.rec, e.m);
    for (const [k, v] of meta) r.store.meta[k] = v;
    return undefined;
  }

  /** Drops all data of the run and re-reads every other file of it from byte 0 (resolves when read). */
  private resetRun(r: RunState, except: FileState | undefined): Promise<void> {
    r.store.reset();
    r.reset = true;
    r.marked.clear();
    r.flushGen++;
    r.logitFrom = -1;
    const rereads: Promise<void>[] = [];
    for (const f of r.files.values()) {
      f.sink.clearIds();
      f.reader?.reset();
      if (f.known) f.known = [];
      if (f !== except && !f.gone) rereads.push(f.follower.reread().then(() => this.schedule(r)));
    }
    return Promise.all(rereads).then(() => undefined);
  }


  private onRestart(r: RunState, f: FileState, _reason: RestartReason): void {
    f.gone = false;
    // deliver what was read up to here (the end of a rotated file) before the reset
    if (r.visible && (r.marked.size > 0 || r.logitFrom >= 0)) this.flush(r);
    if (!r.visible) {
      r.visible = true;
      r.removed = false;
    }
    void this.resetRun(r, f);
  }

  private onGone(r: RunState, f: FileState): void {
    f.gone = true;
    if ([...r.files.values()].every((x) => x.gone)) {
      r.visible = false;
      r.store.reset();
      r.marked.clear();
    r.flushGen++;
      r.removed = true;
      for (const x of r.files.values()) {
        x.sink.clearIds();
        x.reader?.reset();
        if (x.known) x.known = [];
      }
    } else void this.resetRun(r, f);
  }

  private schedule(r: RunState): void {
    if (r.timer || this.disposed) return;
    const win = this.opts.coalesceMs ?? 100;
    // bounded by the window: a wall clock set back must not hold updates for the size of the jump
    const wait = Math.min(win, Math.max(0, r.lastEmit + win - Date.now()));
    if (wait === 0) {
      this.flush(r);
      return;
    }
    r.timer = setTimeout(() => {
      r.timer = undefined;
      this.flush(r);
    }, wait);
  }

  private flush(r: RunState): void {
    if (this.disposed) return;
    const nothing = !r.reset && !r.removed && r.marked.size === 0 && r.logitFrom < 0 && !r.errorsChanged;
    if (nothing) return;
    r.lastEmit = Date.now();
    const u: { runId: string; reset: boolean; appended: { key: string; from: number }[]; logitRecordsFrom: number; removed?: boolean } = {
      runId: r.store.id,
      reset: r.reset,
      appended: r.reset ? r.store.series().map((s) => ({ key: s.key, from: 0 })) : [...r.marked].map(([s, from]) => ({ key: s.key, from })),
      logitRecordsFrom: r.reset ? 0 : r.logitFrom < 0 ? r.store.logitRecords().length : r.logitFrom,
    };
    if (r.removed) u.removed = true;
    r.reset = false;
    r.removed = false;
    r.marked.clear();
    r.flushGen++;
    r.logitFrom = -1;
    r.errorsChanged = false;
    for (const l of [...this.listeners]) {
      try {
        l(u);
      } catch {
        /* a listener's failure must not stop the watcher */
      }
    }
  }

  /** Stop following a file/folder (its run is removed when no file of it is left: emits an update with removed: true). */
  remove(fsPath: string): void {
    const abs = path.resolve(fsPath);
    this.folders.get(abs)?.dispose();
    this.folders.delete(abs);
    const targets: string[] = [];
    for (const f of this.fileToRun.keys()) if (f === abs || f.startsWith(abs + path.sep)) targets.push(f);
    const run = this.runsById.get(abs);
    if (run) targets.push(...run.files.keys());
    for (const t of new Set(targets)) {
      const r = this.fileToRun.get(t);
      if (!r) continue;
      const f = r.files.get(t);
      f?.follower.dispose();
      r.files.delete(t);
      this.fileToRun.delete(t);
      if (r.files.size === 0) {
        if (r.timer) clearTimeout(r.timer);
        r.timer = undefined;
        this.runsById.delete(r.store.id);
        r.removed = true;
        r.reset = false;
        r.marked.clear();
    r.flushGen++;
        this.flush(r);
      } else void this.resetRun(r, undefined);
    }
  }

  runs(): RunView[] {
    return [...this.runsById.values()].filter((r) => r.visible).map((r) => r.store);
  }
  getRun(runId: string): RunView | undefined {
    const r = this.runsById.get(runId);
    return r?.visible ? r.store : undefined;
  }
  runForFile(fsPath: string): RunView | undefined {
    const r = this.fileToRun.get(path.resolve(fsPath));
    return r?.visible ? r.store : undefined;
  }

  onUpdate(listener: Listener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Re-read everything from byte 0 (used by "re-check all"). */
  async reload(): Promise<void> {
    await Promise.all([...this.runsById.values()].map((r) => this.resetRun(r, undefined)));
  }

  dispose(): void {
    this.disposed = true;
    for (const f of this.folders.values()) f.dispose();
    this.folders.clear();
    for (const r of this.runsById.values()) {
      if (r.timer) clearTimeout(r.timer);
      for (const f of r.files.values()) f.follower.dispose();
    }
    this.listeners.clear();
  }

  /** Counters of the followers (tests, bench). */
  followerStats(fsPath: string): { passes: number; restarts: number; bytes: number } | undefined {
    const abs = path.resolve(fsPath);
    return this.fileToRun.get(abs)?.files.get(abs)?.follower.stats;
  }
}

function same(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

function runName(root: string, file: string, format: FormatName): string {
  if (root !== file) {
    if (format === 'mlflow') {
      try {
        const meta = readSmallRegularSync(path.join(root, 'meta.yaml'), 64 << 10) ?? ''; // never a FIFO/device
        const m = /^run_name:\s*(.+)$/m.exec(meta);
        if (m) return m[1]!.trim().replace(/^['"]|['"]$/g, '');
      } catch {
        /* no meta.yaml */
      }
    }
    return path.basename(root);
  }
  const base = path.basename(file);
  return GENERIC_NAMES.has(base.toLowerCase()) ? `${path.basename(path.dirname(file))}/${base}` : base;
}

const SKIP_DIRS = new Set(['node_modules', '.git', '.hg', '.svn', '__pycache__', '.venv', 'venv', '.tox', '.mypy_cache']);

/** Log files under `dir` matching DEFAULT_WATCH_GLOBS (or an override glob), sorted. */
export async function listLogFiles(dir: string, overrides?: IngestOptions['formatOverrides'], maxFiles = 10000): Promise<string[]> {
  const out: string[] = [];
  const globs = [...DEFAULT_WATCH_GLOBS, ...(overrides ?? []).map((o) => o.glob)];
  const walk = async (d: string, depth: number): Promise<void> => {
    if (depth > 12 || out.length >= maxFiles) return;
    let ents: fs.Dirent[];
    try {
      ents = await fsp.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    ents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of ents) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) await walk(p, depth + 1);
      } else if (e.isFile()) {
        const rel = path.relative(dir, p).split(path.sep).join('/');
        if (globs.some((g) => matchGlob(g, p) || matchGlob(g, rel))) out.push(p);
      }
    }
  };
  await walk(dir, 0);
  return out;
}
