// LogWatcher: follows log files and run folders, parses them into RunStores and emits coalesced
// RunUpdates. No `vscode` import: the extension glue wraps it.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { LogitRecord, RunUpdate, RunView, Split } from '../core/model';
import { detectFormat, type FormatName } from './detect';
import { Discovery, groupOf, primarySourcesOf, readHead } from './discovery';
import { Follower, type RestartReason } from './follower';
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
  /** Files of a folder loaded at once (default 1, at most 8): with a worker, their parses run in parallel. */
  loadConcurrency?: number;
  /**
   * First reads at least `minBytes` large (default 24 MiB) are split between two workers when both are
   * free; the second primes its parser with the file's first `primeBytes` (default 1 MiB) and its batches
   * wait for the first half up to `maxHeldBytes` (default 256 MiB; beyond that the first worker goes on).
   */
  workerSplit?: { minBytes?: number; primeBytes?: number; maxHeldBytes?: number };
  /** Watch mode: bytes read (and parsed) per slice of a long read; default 128 KiB. */
  readSliceBytes?: number;
  /** Burst coalescing window for update events, default 100. */
  coalesceMs?: number;
  /**
   * Told when an update listener throws (the watcher goes on with the other listeners and later
   * updates): the extension logs it and shows a warning state. Default: `console.error`.
   */
  onListenerError?: (err: unknown, runId: string) => void;
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
    /** `rank<N>/` for one rank's log of a multi-rank run (its series are that rank's) */
    private readonly keyPrefix = '',
  ) {}
  clearIds(): void {
    this.byId = [];
    this.markGen = [];
  }
  setFileIndex(i: number): void {
    this.fileIdx = i;
  }
  series(key: string, hint: Split = 'none'): number {
    if (this.keyPrefix !== '') key = this.keyPrefix + key;
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
  block(
    id: number,
    n: number,
    step: Float64Array,
    value: Float64Array,
    valueOff: number,
    wallMs: Float64Array | undefined,
    epoch: Float64Array | undefined,
    line: Float64Array,
  ): void {
    if (n <= 0) return;
    const s = this.byId[id]!;
    if (this.markGen[id] !== this.w.flushGen) {
      this.markGen[id] = this.w.flushGen;
      if (!this.w.marked.has(s)) this.w.marked.set(s, s.length);
    }
    s.appendBlock(n, step, value, valueOff, wallMs, epoch, line, this.fileIdx);
  }
  rows(
    n: number,
    step: Float64Array,
    wallMs: Float64Array | undefined,
    epoch: Float64Array | undefined,
    line: Float64Array,
    k: number,
    ids: Int32Array,
    value: Float64Array,
    offs: Int32Array,
    group = 0,
  ): void {
    if (n <= 0) return;
    if (wallMs !== undefined || k < 2) {
      // rows with times (per-series wall bases) or one series: nothing to share
      for (let j = 0; j < k; j++) this.block(ids[j]!, n, step, value, offs[j]!, wallMs, epoch, line);
      return;
    }
    // rows of one line shape (a JSONL train template, a val template: `group`) share rows among themselves
    const rows = this.w.store.sharedRows(this.fileIdx, group);
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
  /** Hugging Face output folder: every trainer_state.json snapshot (path → size); the longest is followed */
  snapshots?: Map<string, number>;
  /** files followed only as a cross-check of the primary source (HF `runs/<name>/events.out.tfevents.*`) */
  cross?: { file: FileState; shadow: RunState }[];
}

type Listener = (u: RunUpdate) => void;

/** Watch mode: bytes per slice of a long read (parse + checks of one slice: a few ms on the host's thread). */
const READ_SLICE = 128 << 10;

const GENERIC_NAMES = new Set([
  'metrics.csv',
  'metrics.json',
  'results.csv',
  'trainer_state.json',
  'history.csv',
  'log.txt',
  'train.log',
  'metrics.jsonl',
  'log.jsonl',
  'training.log',
]);

export class LogWatcher {
  private readonly runsById = new Map<string, RunState>();
  private readonly fileToRun = new Map<string, RunState>();
  private readonly listeners = new Set<Listener>();
  private readonly folders = new Map<string, { dispose(): void }>();
  private readonly adding = new Map<string, Promise<RunView | undefined>>();
  private readonly opts: InternalOptions;
  private readonly discovery: Discovery;
  private disposed = false;

  constructor(options: IngestOptions = {}) {
    this.opts = { ...options };
    this.discovery = new Discovery({ formatOverrides: options.formatOverrides, textPatterns: options.textPatterns });
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
      const first = await this.scanFolder(abs);
      if (this.opts.watch !== false && !this.folders.has(abs)) this.folders.set(abs, this.watchFolder(abs));
      return first;
    }
    if (!st.isFile()) return undefined; // a FIFO, socket or device is never a log
    return this.addFile(abs);
  }

  /** Adds the files of `dir` that discovery accepts and that are not followed yet; returns the first run. */
  private async scanFolder(dir: string): Promise<RunView | undefined> {
    const files = (await this.discovery.walk(dir)).filter((f) => !this.fileToRun.has(f));
    const found = await this.discovery.offer(files);
    // trainer_state.json snapshots first, the longest first (the others are then only remembered, and
    // the event files join an existing run); then the rest by path
    const hf = (f: { format: FormatName }): number => (f.format === 'hf-trainer-state' ? 0 : 1);
    found.sort((a, b) => hf(a) - hf(b) || (hf(a) === 0 ? b.size - a.size : 0) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const out: (RunView | undefined)[] = new Array<RunView | undefined>(found.length);
    // the snapshots one by one (the later ones join the first), then the rest `loadConcurrency` at a time
    let next = 0;
    while (next < found.length && hf(found[next]!) === 0) {
      const f = found[next]!;
      out[next++] = await this.addFile(f.path, f.format);
    }
    const lane = async (): Promise<void> => {
      while (next < found.length) {
        const k = next++;
        out[k] = await this.addFile(found[k]!.path, found[k]!.format);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(8, this.opts.loadConcurrency ?? 1)) }, lane));
    return out.find((r) => r !== undefined);
  }

  private watchFolder(dir: string): { dispose(): void } {
    // new files in a followed folder (a new metric in an MLflow run, a new event file after a restart)
    let busy = false;
    const rescan = async (): Promise<void> => {
      if (busy || this.disposed) return;
      busy = true;
      try {
        await this.scanFolder(dir);
      } finally {
        busy = false;
      }
    };
    const t = setInterval(() => void rescan(), Math.max(this.opts.pollIntervalMs ?? 0, 2000));
    t.unref?.();
    return { dispose: () => clearInterval(t) };
  }

  private addFile(abs: string, known?: FormatName): Promise<RunView | undefined> {
    if (this.disposed) return Promise.resolve(undefined);
    const existing = this.fileToRun.get(abs);
    if (existing) return Promise.resolve(existing.store);
    // concurrent add() of the same file (workspace scan + file-created event + user command) share one
    // follower: two would each append every point (doubled steps) into the same run
    const pending = this.adding.get(abs);
    if (pending) return pending;
    const p = this.addFileNow(abs, known).finally(() => {
      if (this.adding.get(abs) === p) this.adding.delete(abs);
    });
    this.adding.set(abs, p);
    return p;
  }

  private async addFileNow(abs: string, known?: FormatName): Promise<RunView | undefined> {
    // regular files only, opened O_NONBLOCK (a FIFO never blocks a thread)
    const head = await readHead(abs);
    if (!head) return undefined;
    if (this.disposed) return undefined; // disposed meanwhile: no follower that nobody would stop
    const format = known ?? detectFormat(abs, head.bytes, this.opts.formatOverrides);
    if (!format) return undefined;
    const group = await groupOf(abs, format);
    if (this.disposed || this.fileToRun.has(abs)) return this.fileToRun.get(abs)?.store;
    const { root, prefix, split } = group;
    const name = this.runsById.has(root) ? '' : await runName(root, abs, format);
    if (this.disposed || this.fileToRun.has(abs)) return this.fileToRun.get(abs)?.store;
    let run = this.runsById.get(root);
    if (!run) {
      run = newRunState(new RunStore(root, name || path.basename(root), root, format));
      this.runsById.set(root, run);
    }
    const r = run;
    if (group.role === 'snapshot') {
      // one of the trainer_state.json copies of a Hugging Face run: follow only the longest
      r.snapshots ??= new Map();
      r.snapshots.set(abs, head.size);
      const active = [...r.files.values()].find((f) => f.format === 'hf-trainer-state');
      if (active && (r.snapshots.get(active.path) ?? 0) >= head.size) {
        this.fileToRun.set(abs, r);
        return r.visible ? r.store : undefined;
      }
      if (active) {
        this.dropFile(r, active, false);
        r.store.replaceFile(active.path, abs);
      }
    } else if (group.role === 'cross-check') {
      return this.addCrossCheck(r, abs, format, prefix, split ?? 'none');
    }
    const binary = format === 'tfevents';
    const fileIdx = r.store.fileIndex(abs, binary);
    const sink = new FileSink(r, abs, fileIdx, abs, group.rank !== undefined ? prefix : '');
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
    if (r.snapshots) r.snapshots.set(abs, head.size);
    fsState.follower = new Follower(
      abs,
      {
        data: (chunk) => fsState.reader!.push(chunk),
        whole: (content) => this.applyWhole(r, fsState, content),
        restart: (reason) => this.onRestart(r, fsState, reason),
        gone: () => this.onGone(r, fsState),
        settled: () => this.schedule(r),
        // a long first read: each slice is delivered at once (downstream checks then run in slices too)
        progress: () => this.progress(r),
        bulk: useWorker
          ? (size) =>
              size > (this.opts.workerThreshold ?? 8 << 20)
                ? bulkRead(
                    this.opts.workerScript!,
                    abs,
                    format,
                    size,
                    fsState.reader as LineReader,
                    sink,
                    () => void this.resetRun(r, fsState),
                    () => this.progress(r),
                    // watch mode: smaller batches (each is applied and checked on the host's thread in one go)
                    { ...this.opts.workerSplit, batchBytes: this.opts.watch === false ? undefined : 256 << 10 },
                  )
                : Promise.resolve(undefined)
          : undefined,
        ioError: (m) => sink.error(m),
      },
      {
        pollIntervalMs: this.opts.pollIntervalMs,
        whole,
        watch: this.opts.watch,
        maxWholeBytes: this.opts.maxWholeBytes,
        // watch mode (the extension): first reads in small slices, each parsed, delivered and checked
        // before the event loop gets the thread back (a few ms of work each)
        chunkBytes: this.opts.watch === false ? undefined : (this.opts.readSliceBytes ?? READ_SLICE),
      },
    );
    r.files.set(abs, fsState);
    this.fileToRun.set(abs, r);
    // files of this folder that became runs of their own before this source existed join as cross-checks
    if (group.scope) await this.regroup(group.scope, root);
    await fsState.follower.start();
    if (this.opts.watch === false) fsState.reader?.finish();
    return r.store;
  }

  /** Follows `abs` into a hidden store of the run: a second source of the same metrics, never a second run. */
  private async addCrossCheck(r: RunState, abs: string, format: FormatName, prefix: string, hint: Split): Promise<RunView | undefined> {
    const shadow = newRunState(new RunStore(abs, path.basename(abs), abs, format));
    const sink = new FileSink(shadow, abs, shadow.store.fileIndex(abs, format === 'tfevents'), abs);
    const fsState: FileState = { path: abs, format, sink, prefix, hint, gone: false, follower: undefined as unknown as Follower };
    fsState.reader = this.makeReader(format, sink, abs, prefix, hint);
    const clear = (): void => {
      clearRunData(shadow);
    };
    fsState.follower = new Follower(
      abs,
      {
        data: (chunk) => fsState.reader!.push(chunk),
        whole: () => undefined,
        restart: () => clear(),
        gone: () => clear(),
        settled: () => {
          shadow.marked.clear();
          shadow.flushGen++;
        },
        ioError: (m) => sink.error(m),
      },
      { pollIntervalMs: this.opts.pollIntervalMs, whole: false, watch: this.opts.watch },
    );
    (r.cross ??= []).push({ file: fsState, shadow });
    this.fileToRun.set(abs, r);
    await fsState.follower.start();
    if (this.opts.watch === false) fsState.reader.finish();
    // the event file was asked for first: its run's primary source is the trainer_state.json
    if (r.files.size === 0 && !r.snapshots) for (const p of await primarySourcesOf(r.store.root)) await this.addFile(p.path, p.format);
    return r.visible ? r.store : undefined;
  }

  /** Runs under `scope` whose files now all group as cross-checks of `root` are removed and re-added into it. */
  private async regroup(scope: string, root: string): Promise<void> {
    for (const [id, run] of [...this.runsById]) {
      if (id === root || run.snapshots || (id !== scope && !id.startsWith(scope + path.sep))) continue;
      const files = [...run.files.values()].map((f) => ({ path: f.path, format: f.format }));
      if (files.length === 0) continue;
      let all = true;
      for (const f of files) {
        const g = await groupOf(f.path, f.format);
        if (g.role !== 'cross-check' || g.root !== root) all = false;
      }
      if (!all || this.runsById.get(id) !== run) continue;
      // only this run's files: its id may be a folder that also holds the new source
      this.removeFiles([...run.files.keys(), ...(run.cross ?? []).map((c) => c.file.path)]);
      for (const f of files) await this.addFile(f.path, f.format);
    }
  }

  /** Stops following one file of a run without removing the run (a shorter HF snapshot). */
  private dropFile(r: RunState, f: FileState, forget: boolean): void {
    f.follower.dispose();
    r.files.delete(f.path);
    if (forget) this.fileToRun.delete(f.path);
    clearRunData(r);
    r.reset = true;
  }

  /** The followed HF snapshot went away (checkpoint rotation): follow the longest one left. */
  private async promoteSnapshot(r: RunState, gone: FileState): Promise<boolean> {
    if (!r.snapshots) return false;
    r.snapshots.delete(gone.path);
    this.dropFile(r, gone, true);
    let best: { p: string; size: number } | undefined;
    for (const p of [...r.snapshots.keys()]) {
      const st = await fsp.stat(p).catch(() => undefined);
      if (!st?.isFile()) {
        r.snapshots.delete(p);
        this.fileToRun.delete(p);
        continue;
      }
      if (!best || st.size > best.size) best = { p, size: st.size };
    }
    if (!best) return false;
    this.fileToRun.delete(best.p);
    r.store.replaceFile(gone.path, best.p);
    await this.addFile(best.p, 'hf-trainer-state');
    this.schedule(r);
    return true;
  }

  /** The hidden cross-check store of a run (of `file`, else its first cross-check file), if any. */
  crossCheck(runId: string, file?: string): RunView | undefined {
    const cross = this.runsById.get(runId)?.cross ?? [];
    return (file === undefined ? cross[0] : cross.find((c) => c.file.path === path.resolve(file)))?.shadow.store;
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
    clearRunData(r);
    r.reset = true;
    const rereads: Promise<void>[] = [];
    for (const f of r.files.values()) if (f !== except && !f.gone) rereads.push(f.follower.reread().then(() => this.schedule(r)));
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
    if (r.snapshots && r.snapshots.size > 1 && f.format === 'hf-trainer-state') {
      void this.promoteSnapshot(r, f).then((ok) => {
        if (!ok) this.onGone(r, f);
      });
      return;
    }
    if ([...r.files.values()].every((x) => x.gone)) {
      r.visible = false;
      clearRunData(r);
      r.removed = true;
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

  /** Part of a long read was parsed: deliver it now (the reader yields to the event loop next). */
  private progress(r: RunState): void {
    if (!r.visible || r.timer || this.opts.watch === false) return;
    this.flush(r);
  }

  private flush(r: RunState): void {
    if (this.disposed) return;
    if (r.store.takeResumed()) r.reset = true; // points were replaced: consumers re-read the run
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
      } catch (err) {
        // a listener's failure must not stop the watcher, and must not go unseen
        try {
          (this.opts.onListenerError ?? ((e: unknown) => console.error('LossWatch: update listener failed', e)))(err, u.runId);
        } catch {
          /* the reporter itself failed: nothing more can be done here */
        }
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
    if (run?.cross) targets.push(...run.cross.map((c) => c.file.path));
    if (run?.snapshots) targets.push(...run.snapshots.keys());
    this.removeFiles(targets);
  }

  /** Stops following these files; a run left without a followed file is removed (update with removed: true). */
  private removeFiles(targets: readonly string[]): void {
    for (const t of new Set(targets)) {
      const r = this.fileToRun.get(t);
      if (!r) continue;
      this.fileToRun.delete(t);
      r.snapshots?.delete(t);
      const ci = r.cross?.findIndex((c) => c.file.path === t) ?? -1;
      if (ci >= 0) {
        r.cross![ci]!.file.follower.dispose();
        r.cross!.splice(ci, 1);
        continue;
      }
      const f = r.files.get(t);
      if (!f) continue; // a snapshot that was not followed
      f.follower.dispose();
      r.files.delete(t);
      if (r.files.size === 0) {
        if (r.timer) clearTimeout(r.timer);
        r.timer = undefined;
        for (const c of r.cross ?? []) {
          c.file.follower.dispose();
          this.fileToRun.delete(c.file.path);
        }
        for (const p of r.snapshots?.keys() ?? []) if (this.fileToRun.get(p) === r) this.fileToRun.delete(p);
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
      for (const c of r.cross ?? []) c.file.follower.dispose();
    }
    this.listeners.clear();
  }

  /**
   * What has been read of every followed file (cross-check files included): a file is settled when its
   * size on disk equals `offset`, its follower is not `busy` and its run has no update `pending`.
   */
  readState(): { file: string; runId: string; offset: number; busy: boolean; pending: boolean }[] {
    const out: { file: string; runId: string; offset: number; busy: boolean; pending: boolean }[] = [];
    for (const r of this.runsById.values()) {
      const id = r.store.id;
      const add = (f: FileState, owner: RunState) =>
        out.push({ file: f.path, runId: id, offset: f.follower.offset, busy: f.follower.busy, pending: owner.timer !== undefined });
      for (const f of r.files.values()) add(f, r);
      for (const c of r.cross ?? []) add(c.file, r);
    }
    return out;
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

async function runName(root: string, file: string, format: FormatName): Promise<string> {
  if (root.includes('*')) {
    // a multi-rank job: `<dir>/metrics_rank*.jsonl`, torchrun `<job>/attempt_0/*/stdout.log`
    const parts = root.split(/[\\/]/);
    const star = parts.findIndex((x) => x.includes('*'));
    return parts[star] === '*'
      ? parts.slice(Math.max(0, star - 2), star).join('/')
      : parts.slice(Math.max(0, star - 1), star + 1).join('/');
  }
  if (root !== file) {
    if (format === 'mlflow') {
      // bounded, non-blocking read of a regular file (never a sync read on the extension host's thread)
      const meta = await readHead(path.join(root, 'meta.yaml'), 16384);
      const m = meta ? /^run_name:\s*(.+)$/m.exec(new TextDecoder().decode(meta.bytes)) : null;
      if (m) return m[1]!.trim().replace(/^['"]|['"]$/g, '');
    }
    // a run created by a cross-check file is named after its source (detectron2 output/metrics.json)
    const rb = path.basename(root);
    return GENERIC_NAMES.has(rb.toLowerCase()) ? `${path.basename(path.dirname(root))}/${rb}` : rb;
  }
  const base = path.basename(file);
  return GENERIC_NAMES.has(base.toLowerCase()) ? `${path.basename(path.dirname(file))}/${base}` : base;
}

function newRunState(store: RunStore): RunState {
  return {
    store,
    files: new Map(),
    marked: new Map(),
    flushGen: 0,
    logitFrom: -1,
    reset: false,
    removed: false,
    errorsChanged: false,
    lastEmit: 0,
    timer: undefined,
    visible: true,
  };
}

/** Drops every point of the run and the per-file parse state (the files are then read again or gone). */
function clearRunData(r: RunState): void {
  r.store.reset();
  r.marked.clear();
  r.flushGen++;
  r.logitFrom = -1;
  for (const f of r.files.values()) {
    f.sink.clearIds();
    f.reader?.reset();
    if (f.known) f.known = [];
  }
}

/** Log files under `dir` that discovery accepts (globs, then sniffing of generic names), sorted. */
export async function listLogFiles(dir: string, overrides?: IngestOptions['formatOverrides'], maxFiles = 10000): Promise<string[]> {
  const d = new Discovery({ formatOverrides: overrides });
  const found = await d.offer(await d.walk(dir, maxFiles));
  return found.map((f) => f.path).sort();
}
