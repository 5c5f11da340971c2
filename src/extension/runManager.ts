// Owns the log watcher (ingest), the per-run checkers and the derived series.
// Data flows one way: file → LogWatcher → RunView → RunChecker → findings → listeners.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Finding, LogitRecord, RunUpdate, RunView } from '../core/model';
import { Discovery, LogWatcher, matchGlob, type IngestOptions, type FormatName } from '../ingest';
import { RunChecker, configureSidecars, defaultSeverity, pendingSummaries, type CheckOptions } from '../core/checks';
import { RankActivity } from '../core/checks/ranks';
import { isRecomputedKey } from '../shared/recomputed';
import type { RunManagerApi } from './api';
import type { Settings } from './config';
import { RunWithRecomputed, type Recomputation } from './recomputed';

/** Applies the sidecar settings to the core's summariser. */
export function applySidecarSettings(s: Settings): void {
  configureSidecars({ maxBytes: s.sidecars.maxMiB * 1024 * 1024, allowOutside: s.sidecars.allowOutside });
}

export function ingestOptions(s: Settings, workerScript?: string): IngestOptions {
  return {
    pollIntervalMs: s.pollIntervalMs > 0 ? s.pollIntervalMs : undefined,
    formatOverrides: s.formatOverrides as { glob: string; format: FormatName }[],
    textPatterns: s.textPatterns,
    maxWholeBytes: s.limits.wholeFileMiB * 2 ** 20,
    workerScript,
    // JSONL/CSV first reads over 1 MiB are parsed in the worker pool: the extension host only stores
    // and checks (a 200-run sweep of 2.4 MB files loads two files at a time in two workers)
    workerThreshold: 1 << 20,
    coalesceMs: 100,
  };
}

export function checkOptions(s: Settings): CheckOptions {
  return {
    severities: s.severities,
    overfitting: s.overfitting,
    lossMismatch: s.lossMismatch,
    spike: { z: s.spikeZ },
  };
}

export class RunManager implements RunManagerApi, vscode.Disposable {
  private readonly updateEmitter = new vscode.EventEmitter<RunUpdate>();
  private readonly findingsEmitter = new vscode.EventEmitter<{ readonly runId: string }>();
  readonly onDidUpdateRun = this.updateEmitter.event;
  readonly onDidChangeFindings = this.findingsEmitter.event;

  private watcher: LogWatcher;
  private watcherSub: { dispose(): void };
  private readonly wrapped = new Map<string, RunWithRecomputed>();
  private readonly checkers = new Map<string, RunChecker>();
  private readonly findingsByRun = new Map<string, readonly Finding[]>();
  private readonly fileWatchers: vscode.Disposable[] = [];
  /** Paths added by the user or discovered; kept so a settings change can rebuild the watcher. */
  private readonly watchedPaths = new Set<string>();
  private readonly ignored = new Set<string>();
  /** Decides which workspace files are runs (globs, then sniffing); remembers rejected files. */
  private discovery: Discovery;

  /** run id → when each of its ranks last wrote (rank-stalled by time; multi-rank runs only) */
  private readonly activity = new Map<string, RankActivity>();
  /** run id → the checker's findings and the time-based rank-stalled findings last combined */
  private readonly combined = new Map<string, { from: readonly Finding[]; sig: string; out: readonly Finding[] }>();

  constructor(
    private settings: Settings,
    private readonly workerScript: string | undefined,
    private readonly log: vscode.LogOutputChannel,
    /** the time source of rank-stalled by time (injectable for tests) */
    private readonly clock: () => number = Date.now,
  ) {
    applySidecarSettings(settings);
    this.watcher = new LogWatcher(this.withErrorReporting(ingestOptions(settings, workerScript)));
    this.watcherSub = this.watcher.onUpdate((u) => this.handleUpdate(u));
    this.discovery = this.makeDiscovery();
  }

  private makeDiscovery(): Discovery {
    const s = this.settings;
    return new Discovery({
      formatOverrides: s.formatOverrides as { glob: string; format: FormatName }[],
      textPatterns: s.textPatterns,
      include: s.watch.include,
      exclude: s.watch.exclude,
    });
  }

  /** Stopped by the user: the path itself or a file inside a stopped run folder. */
  private isIgnored(p: string): boolean {
    if (this.ignored.has(p)) return true;
    for (const i of this.ignored) if (p.startsWith(i + path.sep)) return true;
    return false;
  }

  // ---- RunManagerApi ----
  runs(): readonly RunView[] {
    return this.watcher.runs().map((r) => this.wrap(r));
  }
  getRun(runId: string): RunView | undefined {
    const r = this.watcher.getRun(runId);
    return r ? this.wrap(r) : undefined;
  }
  runForFile(fsPath: string): RunView | undefined {
    const r = this.watcher.runForFile(fsPath);
    return r ? this.wrap(r) : undefined;
  }
  findings(runId: string): readonly Finding[] {
    return this.findingsByRun.get(runId) ?? [];
  }
  isWatchedFile(fsPath: string): boolean {
    return this.watcher.runForFile(path.resolve(fsPath)) !== undefined;
  }
  stopWatching(runId: string): void {
    const run = this.watcher.getRun(runId);
    if (!run) return;
    this.ignored.add(run.root);
    for (const f of run.files) this.ignored.add(f);
    this.watchedPaths.delete(run.root);
    for (const f of run.files) this.watchedPaths.delete(f);
    this.watcher.remove(run.root);
    for (const f of run.files) this.watcher.remove(f);
    this.forget(runId, true);
  }

  // ---- extras for the glue ----
  allFindings(): { runId: string; findings: readonly Finding[] }[] {
    return [...this.findingsByRun].map(([runId, findings]) => ({ runId, findings }));
  }

  recordAt(fsPath: string, line: number): { record: LogitRecord; result: Recomputation } | undefined {
    const run = this.runForFile(fsPath);
    return run instanceof RunWithRecomputed ? run.recordAt(fsPath, line) : undefined;
  }

  /** Follow a file or run folder chosen by the user (or discovered). */
  async watch(fsPath: string): Promise<RunView | undefined> {
    const p = path.resolve(fsPath);
    this.ignored.delete(p);
    this.discovery.forget(p);
    this.watchedPaths.add(p);
    try {
      const run = await this.watcher.add(p);
      if (run) {
        this.log.info(`watching ${p} (${run.format}, run ${run.name})`);
        // incremental: the updates of the first read have checked most of it already (a full recheck
        // here would check every point twice)
        this.checkIncrementally(run.id);
      } else this.log.info(`${p}: no training log recognised`);
      return run ? this.wrap(run) : undefined;
    } catch (err) {
      this.reportProblem(`cannot watch ${p}`, err);
      return undefined;
    }
  }

  /** Finds logs in the workspace and keeps watching for new ones. */
  async discover(): Promise<void> {
    for (const d of this.fileWatchers.splice(0)) d.dispose();
    const { include, auto } = this.settings.watch;
    if (!auto || include.length === 0 || !vscode.workspace.workspaceFolders?.length) return;
    await this.scan();
    const maybeWatch = (uri: vscode.Uri): void => {
      const p = uri.fsPath;
      if (this.isIgnored(p) || this.watcher.runForFile(p) || this.watchedPaths.has(p)) return;
      if (this.watchedPaths.size >= this.settings.watch.maxFiles) return;
      void this.consider([p]);
    };
    for (const glob of include) {
      // Changes count too: a file created inside a folder that is itself new can be missed by the
      // OS watcher (the folder is watched only after it exists), but its next append is seen.
      const w = vscode.workspace.createFileSystemWatcher(glob, false, false, true);
      w.onDidCreate(maybeWatch);
      w.onDidChange(maybeWatch);
      this.fileWatchers.push(w);
    }
    // A new folder (a training run that just started) is scanned at once and again a little later:
    // under load the OS watcher can miss everything inside a folder created together with its files.
    const folders = vscode.workspace.createFileSystemWatcher('**/*', false, true, true);
    folders.onDidCreate((uri) => {
      const p = uri.fsPath;
      if (path.extname(p) !== '' || this.settings.watch.exclude.some((g) => matchGlob(g, p))) return;
      this.scanSoon();
    });
    this.fileWatchers.push(folders);
    // A slow rescan catches files no event reported (written once in a new folder, network file systems).
    const every = this.settings.pollIntervalMs > 0 ? Math.max(5000, 5 * this.settings.pollIntervalMs) : 30000;
    const timer = setInterval(() => void this.scan(), every);
    this.fileWatchers.push({ dispose: () => clearInterval(timer) });
  }

  private scanTimers: NodeJS.Timeout[] = [];

  /** Scans after a burst of folder creations settles (0.5 s), and once more 3 s later. */
  private scanSoon(): void {
    for (const t of this.scanTimers) clearTimeout(t);
    this.scanTimers = [500, 3500].map((ms) => setTimeout(() => void this.scan(), ms));
  }

  private scanning = false;

  /** One search of the workspace for log files not watched yet. */
  private async scan(): Promise<void> {
    if (this.scanning) return;
    this.scanning = true;
    try {
      const { include, exclude, maxFiles } = this.settings.watch;
      const excludeGlob = exclude.length ? `{${exclude.join(',')}}` : undefined;
      const includeGlob = include.length === 1 ? include[0] : `{${include.join(',')}}`;
      // generic names (*.txt, *.csv, …) match far more files than are logs: search wider than maxFiles,
      // discovery sniffs them newest first and only accepted logs count against maxFiles
      const uris = await vscode.workspace.findFiles(includeGlob, excludeGlob, Math.max(maxFiles * 20, 5000));
      await this.consider(uris.map((u) => u.fsPath));
    } catch (err) {
      this.reportProblem('workspace scan failed', err);
    } finally {
      this.scanning = false;
    }
  }

  /** Hands candidate files to discovery and watches the accepted ones (up to maxFiles watched paths). */
  private async consider(paths: string[]): Promise<void> {
    const fresh = paths.filter(
      (p) => !this.isIgnored(p) && !this.watcher.runForFile(p) && !this.watchedPaths.has(p) && this.discovery.matches(p),
    );
    const room = this.settings.watch.maxFiles - this.watchedPaths.size;
    if (fresh.length === 0 || room <= 0) return;
    const found = await this.discovery.offer(fresh, room);
    // newest first (discovery's order), two files at a time (one's I/O waits overlap the other's
    // parsing and checks; each read yields the event loop between slices); many files: progress in the
    // status bar
    const load = async (progress?: vscode.Progress<{ message?: string }>): Promise<void> => {
      let next = 0;
      let done = 0;
      const one = async (): Promise<void> => {
        while (next < found.length) {
          if (this.watchedPaths.size >= this.settings.watch.maxFiles) return;
          const f = found[next++]!;
          progress?.report({ message: `loading ${done}/${found.length} runs` });
          if (!this.isIgnored(f.path) && !this.watcher.runForFile(f.path)) await this.watch(f.path);
          done++;
          await new Promise<void>((r) => setImmediate(r));
        }
      };
      await Promise.all([one(), one()]);
    };
    if (found.length < 5) return load();
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'LossWatch' }, load);
  }

  /** Settings changed: rebuild the watcher (ingest options) and re-run every check (check options). */
  async applySettings(settings: Settings): Promise<void> {
    const ingestChanged =
      JSON.stringify(ingestOptions(settings)) !== JSON.stringify(ingestOptions(this.settings)) ||
      JSON.stringify(settings.watch) !== JSON.stringify(this.settings.watch) ||
      JSON.stringify(settings.sidecars) !== JSON.stringify(this.settings.sidecars);
    this.settings = settings;
    applySidecarSettings(settings);
    if (ingestChanged) {
      const paths = [...this.watchedPaths];
      for (const id of [...this.findingsByRun.keys()]) this.forget(id, true);
      this.watcherSub.dispose();
      this.watcher.dispose();
      this.wrapped.clear();
      this.watcher = new LogWatcher(this.withErrorReporting(ingestOptions(settings, this.workerScript)));
      this.watcherSub = this.watcher.onUpdate((u) => this.handleUpdate(u));
      this.discovery = this.makeDiscovery();
      for (const p of paths) await this.watch(p);
      await this.discover();
    } else {
      this.recheckAll();
    }
  }

  recheckAll(): void {
    this.checkers.clear();
    for (const run of this.watcher.runs()) this.recheck(run.id);
  }

  async reloadAll(): Promise<void> {
    await this.watcher.reload();
    this.recheckAll();
  }

  dispose(): void {
    for (const t of this.scanTimers) clearTimeout(t);
    for (const d of this.fileWatchers.splice(0)) d.dispose();
    this.watcherSub.dispose();
    this.watcher.dispose();
    this.updateEmitter.dispose();
    this.findingsEmitter.dispose();
    this.problemEmitter.dispose();
  }

  // ---- internals ----
  private wrap(run: RunView): RunWithRecomputed {
    let w = this.wrapped.get(run.id);
    if (!w || w.inner !== run) {
      w = new RunWithRecomputed(run);
      this.wrapped.set(run.id, w);
      w.sync();
    }
    return w;
  }

  private checkerFor(runId: string): RunChecker {
    let c = this.checkers.get(runId);
    if (!c) this.checkers.set(runId, (c = new RunChecker(checkOptions(this.settings))));
    return c;
  }

  /** Checks the run from scratch (a new checker). */
  private recheck(runId: string): void {
    this.checkers.delete(runId);
    this.checkIncrementally(runId);
  }

  /** Brings the run's checker up to date (only points not checked yet are scanned). */
  private checkIncrementally(runId: string): void {
    const run = this.watcher.getRun(runId);
    if (!run) return;
    this.wrap(run).sync();
    try {
      this.setFindings(runId, this.withRankActivity(run, this.checkerFor(runId).update(run)));
    } catch (err) {
      this.reportProblem(`checks failed on ${run.root}`, err, runId);
      this.checkers.delete(runId);
    }
    this.whenSummarized(run);
  }

  private handleUpdate(u: RunUpdate): void {
    if (u.removed) {
      this.forget(u.runId, false);
      this.updateEmitter.fire(u);
      return;
    }
    const run = this.watcher.getRun(u.runId);
    if (!run) return;
    if (u.reset) this.checkers.delete(u.runId);
    const w = this.wrap(run);
    const extra = w.sync();
    let findings: readonly Finding[];
    let checked = true;
    try {
      findings = this.withRankActivity(run, this.checkerFor(u.runId).update(run, u), u);
    } catch (err) {
      checked = false;
      // Keep what the Problems panel shows (the last good findings) and say what failed: the output
      // channel has the stack, the status bar a warning state until the next successful check.
      this.reportProblem(`checks failed on ${run.root}`, err, u.runId);
      this.checkers.delete(u.runId); // the tracker state may be inconsistent: start afresh next time
      findings = this.findingsByRun.get(u.runId) ?? [];
    }
    this.updateEmitter.fire(extra.length ? { ...u, appended: [...u.appended, ...extra] } : u);
    this.setFindings(u.runId, findings, checked);
    this.whenSummarized(run);
  }

  /**
   * Watch mode: notes which ranks wrote in this update and adds rank-stalled findings for ranks silent for
   * longer than the threshold while another rank kept writing (a rank the checker already reports as
   * stalled by steps is not reported twice).
   */
  private withRankActivity(run: RunView, findings: readonly Finding[], u?: RunUpdate): readonly Finding[] {
    let act = this.activity.get(run.id);
    if (u && !u.removed && u.appended.length) {
      const keys = u.appended.map((a) => a.key).filter((k) => !isRecomputedKey(k));
      if (!act && keys.some((k) => /^rank\d{1,5}\//.test(k))) this.activity.set(run.id, (act = new RankActivity()));
      if (act) {
        if (u.reset) act.clear();
        act.wrote(keys, this.clock());
      }
    }
    const severity = this.settings.severities['rank-stalled'] ?? defaultSeverity('rank-stalled');
    const drafts = act && severity !== 'off' ? act.drafts(run.series(), this.settings.rankStallSeconds * 1000) : [];
    const extra = drafts.filter(
      (d) => !findings.some((f) => f.code === 'rank-stalled' && f.seriesKey?.split('/')[0] === d.seriesKey?.split('/')[0]),
    );
    if (extra.length === 0) {
      this.combined.delete(run.id);
      return findings;
    }
    const sig = extra.map((d) => `${d.file}:${d.line}:${d.message}`).join('\n');
    const prev = this.combined.get(run.id);
    if (prev && prev.from === findings && prev.sig === sig) return prev.out;
    const out = [...findings, ...extra.map((d) => ({ ...d, severity: severity as Finding['severity'], runId: run.id }))];
    this.combined.set(run.id, { from: findings, sig, out });
    return out;
  }

  /** Records whose sidecars are being read: check them (and extend recomputed/…) once they are summarised. */
  private whenSummarized(run: RunView): void {
    const pending = pendingSummaries(run.logitRecords());
    if (!pending) return;
    this.summariesInFlight++;
    void pending
      .then(() => {
        if (this.watcher.getRun(run.id) !== run) return;
        const extra = this.wrap(run).sync();
        this.setFindings(run.id, this.withRankActivity(run, this.checkerFor(run.id).update(run)));
        if (extra.length)
          this.updateEmitter.fire({ runId: run.id, reset: false, appended: extra, logitRecordsFrom: run.logitRecords().length });
      })
      .catch((err: unknown) => this.reportProblem(`checking the logged batches of ${run.root} failed`, err, run.id))
      .finally(() => this.summariesInFlight--);
  }

  /** `checked`: the findings come from a check that ran through (clears the run's internal error). */
  private setFindings(runId: string, findings: readonly Finding[], checked = true): void {
    if (checked && this.problemRuns.delete(runId)) this.problemEmitter.fire();
    // the checker returns the same array when nothing changed: nothing to publish
    if (this.findingsByRun.get(runId) === findings) return;
    this.findingsByRun.set(runId, findings);
    this.findingsEmitter.fire({ runId });
  }

  /** Sidecar summaries being read (the "settled" signal waits for them). */
  private summariesInFlight = 0;

  /**
   * Where reading and checking stand, for tests and benches: every followed file with the bytes read
   * (settled when equal to its size on disk, not busy and no update pending) and the summaries in flight.
   */
  readState(): { files: ReturnType<LogWatcher['readState']>; summariesInFlight: number; scanning: boolean } {
    return { files: this.watcher.readState(), summariesInFlight: this.summariesInFlight, scanning: this.scanning };
  }

  // ---- internal errors: visible, never swallowed ----
  private readonly problemEmitter = new vscode.EventEmitter<void>();
  /** Fires when the set of runs with an internal error changes (the status bar shows a warning state). */
  readonly onDidChangeProblems = this.problemEmitter.event;
  /** run id ('' for errors not tied to a run) → the last internal error's message. */
  private readonly problemRuns = new Map<string, string>();

  /** Internal errors that are still current (a later successful check of the run clears its entry). */
  problems(): readonly string[] {
    return [...this.problemRuns.values()];
  }

  private reportProblem(what: string, err: unknown, runId = ''): void {
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    this.log.error(`${what}: ${detail}`);
    this.problemRuns.set(runId, `${what}: ${err instanceof Error ? err.message : String(err)}`);
    this.problemEmitter.fire();
  }

  private withErrorReporting(o: IngestOptions): IngestOptions {
    return { ...o, onListenerError: (err, runId) => this.reportProblem(`an update of run ${runId} failed`, err, runId) };
  }

  private forget(runId: string, announce: boolean): void {
    this.checkers.delete(runId);
    this.activity.delete(runId);
    this.combined.delete(runId);
    this.wrapped.delete(runId);
    if (this.findingsByRun.has(runId)) {
      this.findingsByRun.delete(runId);
      this.findingsEmitter.fire({ runId });
    }
    if (announce) this.updateEmitter.fire({ runId, reset: true, appended: [], logitRecordsFrom: 0, removed: true });
  }
}
