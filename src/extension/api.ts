// Contract between the extension's parts: the run manager (owner of watchers, store and checks)
// and its consumers (diagnostics, status bar, runs view, dashboard).
import type * as vscode from 'vscode';
import type { Finding, RunUpdate, RunView } from '../core/model';

export interface RunManagerApi {
  /** Fires after ingest appended/reset a run (already coalesced, at most ~10/s per run). */
  readonly onDidUpdateRun: vscode.Event<RunUpdate>;
  /** Fires after the findings of a run were recomputed. */
  readonly onDidChangeFindings: vscode.Event<{ readonly runId: string }>;
  runs(): readonly RunView[];
  getRun(runId: string): RunView | undefined;
  /** The run a file belongs to, if watched. */
  runForFile(fsPath: string): RunView | undefined;
  findings(runId: string): readonly Finding[];
  /** True if `fsPath` is a file of a watched run (the host validates webview requests with it). */
  isWatchedFile(fsPath: string): boolean;
  stopWatching(runId: string): void;
}

/** Command ids (also declared in package.json `contributes.commands`). */
export const COMMANDS = {
  watchFile: 'losswatch.watchFile',
  watchFolder: 'losswatch.watchFolder',
  stopWatching: 'losswatch.stopWatching',
  openDashboard: 'losswatch.openDashboard',
  showInDashboard: 'losswatch.showInDashboard', // args: { runId: string, step: number }
  recheckAll: 'losswatch.recheckAll',
  exportDiagnostics: 'losswatch.exportDiagnostics',
  openDocs: 'losswatch.openDocs', // args: code: string
  disableCheck: 'losswatch.disableCheck', // args: code: string
  revealFile: 'losswatch.revealFile',
  showLog: 'losswatch.showLog',
} as const;
