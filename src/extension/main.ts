// Activation: wires the run manager (ingest + checks) to diagnostics, status bar, runs view,
// dashboard, hovers, code actions and commands. Every piece of logic lives in its own module.
import * as path from 'node:path';
import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import { COMMANDS } from './api';
import { disableCheck, ignoredUntrusted, readSettings } from './config';
import { DiagnosticsPublisher } from './diagnostics';
import { RunManager } from './runManager';
import { displayName, StatusBar } from './statusBar';
import { RunsView, type RunsNode } from './runsView';
import { LossWatchCodeActions } from './codeActions';
import { LogitsHover } from './hover';
import { registerDashboard } from './dashboard';
import { registerScriptLint } from './pythonLint';

/** Findings of changed runs are published to the Problems panel together, at most this often. */
const PUBLISH_MS = 50;

/** Argument shapes accepted by commands invoked from views, status bar, code actions and the palette. */
type RunArg = RunsNode | { runId?: string; step?: number } | vscode.Uri | undefined;

function runIdOf(manager: RunManager, arg: RunArg): string | undefined {
  if (!arg) return undefined;
  if (arg instanceof vscode.Uri) return manager.runForFile(arg.fsPath)?.id;
  return typeof arg.runId === 'string' ? arg.runId : undefined;
}

export interface LossWatchApi {
  manager: RunManager;
  /** Workspace settings ignored while the workspace is untrusted (`losswatch.<key>`). */
  ignoredSettings(): readonly string[];
}

export async function activate(context: vscode.ExtensionContext): Promise<LossWatchApi> {
  const log = vscode.window.createOutputChannel('LossWatch', { log: true });
  const manager = new RunManager(readSettings(), context.asAbsolutePath(path.join('dist', 'ingest-worker.js')), log);
  const docsFile = vscode.Uri.joinPath(context.extensionUri, 'docs', 'diagnostics.md');
  const collection = vscode.languages.createDiagnosticCollection('losswatch');
  const publisher = new DiagnosticsPublisher(collection, (code) => docsFile.with({ fragment: code }));
  const runsView = new RunsView(manager);
  registerDashboard(context, manager);
  registerScriptLint(context, log, (code) => docsFile.with({ fragment: code }), publisher);

  // Findings → Problems panel. Remember each run's files so a removed run's entries are cleared.
  // Published in batches (at most every PUBLISH_MS): while many runs load, one run's findings change
  // several times a second and each publication is a message to the workbench.
  const filesOf = new Map<string, readonly string[]>();
  const dirty = new Set<string>();
  let publishTimer: NodeJS.Timeout | undefined;
  const publishRun = (runId: string): void => {
    const run = manager.getRun(runId);
    const previous = filesOf.get(runId) ?? [];
    if (!run) {
      publisher.clearRun(runId, previous);
      filesOf.delete(runId);
      return;
    }
    const gone = previous.filter((f) => !run.files.includes(f));
    if (gone.length) publisher.clearRun(runId, gone);
    filesOf.set(runId, [...run.files]);
    publisher.publish(runId, run.files, manager.findings(runId));
  };
  const publishDirty = (): void => {
    publishTimer = undefined;
    const ids = [...dirty];
    dirty.clear();
    for (const id of ids) publishRun(id);
  };
  context.subscriptions.push(
    manager.onDidChangeFindings(({ runId }) => {
      dirty.add(runId);
      publishTimer ??= setTimeout(publishDirty, PUBLISH_MS);
    }),
    { dispose: () => publishTimer && clearTimeout(publishTimer) },
  );

  const pickRun = async (placeHolder: string): Promise<string | undefined> => {
    const runs = manager.runs();
    if (runs.length <= 1) return runs[0]?.id;
    const pick = await vscode.window.showQuickPick(
      runs.map((r) => ({ label: displayName(manager, r), description: r.format, detail: r.root, runId: r.id })),
      { placeHolder },
    );
    return pick?.runId;
  };

  const register = (id: string, fn: (...args: never[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, fn));

  /** Watch File… / Watch Folder…: from the Explorer (a Uri argument) or an open dialog. */
  const watchPicked = (folder: boolean) => async (uri?: vscode.Uri) => {
    const target =
      uri instanceof vscode.Uri
        ? uri
        : (
            await vscode.window.showOpenDialog({
              canSelectFiles: !folder,
              canSelectFolders: folder,
              canSelectMany: false,
              openLabel: 'Watch',
            })
          )?.[0];
    if (!target) return undefined;
    const run = await manager.watch(target.fsPath);
    if (!run) void vscode.window.showWarningMessage(`LossWatch: no training log recognised in ${target.fsPath}.`);
    return run?.id;
  };
  register(COMMANDS.watchFile, watchPicked(false));
  register(COMMANDS.watchFolder, watchPicked(true));
  register(COMMANDS.stopWatching, async (arg?: RunArg) => {
    const runId = runIdOf(manager, arg) ?? (await pickRun('Stop watching which run?'));
    if (runId) manager.stopWatching(runId);
  });
  // openDashboard / showInDashboard are registered by the dashboard module.
  register(COMMANDS.recheckAll, async () => {
    await manager.reloadAll();
    return manager.allFindings().reduce((n, r) => n + r.findings.length, 0);
  });
  register(COMMANDS.exportDiagnostics, async (target?: vscode.Uri) => {
    const dest =
      target instanceof vscode.Uri
        ? target
        : await vscode.window.showSaveDialog({
            filters: { JSON: ['json'] },
            saveLabel: 'Export',
            defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri.with({
              path: path.posix.join(vscode.workspace.workspaceFolders[0].uri.path, 'losswatch-diagnostics.json'),
            }),
          });
    if (!dest) return;
    const rows = manager.allFindings().flatMap(({ findings }) =>
      findings.map((f) => ({
        file: f.file,
        line: f.line ?? 1,
        column: f.column ?? 1,
        severity: f.severity,
        code: f.code,
        message: f.message,
        step: f.step,
      })),
    );
    await fs.writeFile(dest.fsPath, JSON.stringify(rows, null, 2) + '\n');
    void vscode.window.showInformationMessage(`LossWatch: exported ${rows.length} diagnostic(s) to ${path.basename(dest.fsPath)}.`);
  });
  register(COMMANDS.openDocs, async (code?: string) => {
    await vscode.commands.executeCommand('markdown.showPreview', docsFile);
    if (typeof code === 'string') log.appendLine(`documentation: ${code}`);
  });
  register(COMMANDS.disableCheck, async (code?: string) => {
    if (typeof code !== 'string') return;
    await disableCheck(code);
    void vscode.window.showInformationMessage(`LossWatch: '${code}' is off for this workspace (setting losswatch.checks.severity).`);
  });
  register(COMMANDS.revealFile, async (arg?: RunArg) => {
    const runId = runIdOf(manager, arg) ?? (await pickRun('Reveal which run?'));
    const run = runId ? manager.getRun(runId) : undefined;
    const file = run?.files[0];
    if (file) await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
  });

  register(COMMANDS.showLog, () => log.show(true));

  // Restricted Mode: say once (and again if the list changes) which workspace settings are ignored
  const statusBar = new StatusBar(manager, {
    problems: () => manager.problems(),
    onDidChangeProblems: manager.onDidChangeProblems,
    showLogCommand: COMMANDS.showLog,
  });
  let ignored: string[] = [];
  const reportTrust = async (): Promise<void> => {
    const now = await ignoredUntrusted().catch(() => []);
    if (now.join() === ignored.join()) return;
    ignored = now;
    const text = now.length
      ? `The workspace is not trusted: its values of ${now.join(', ')} are ignored until it is trusted (user settings and defaults apply).`
      : undefined;
    if (text) log.appendLine(text);
    statusBar.setNotice(text);
  };
  const trustReported = reportTrust();

  context.subscriptions.push(
    log,
    manager,
    collection,
    runsView,
    statusBar,
    vscode.window.createTreeView('losswatch.runs', { treeDataProvider: runsView, showCollapseAll: true }),
    vscode.languages.registerCodeActionsProvider({ scheme: 'file' }, new LossWatchCodeActions(manager), {
      providedCodeActionKinds: LossWatchCodeActions.kinds,
    }),
    vscode.languages.registerHoverProvider({ scheme: 'file' }, new LogitsHover(manager)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('losswatch')) return;
      void reportTrust();
      void manager.applySettings(readSettings());
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      if (ignored.length) log.appendLine('The workspace is trusted now: applying its LossWatch settings.');
      void reportTrust();
      void manager
        .applySettings(readSettings())
        .then(() => manager.discover())
        .catch((err: unknown) => log.appendLine(`re-scan after workspace trust failed: ${String(err)}`));
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void manager.discover()),
  );

  await trustReported;
  void manager
    .discover()
    .catch((err: unknown) => log.error(`discovery failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
  return { manager, ignoredSettings: () => [...ignored] };
}

export function deactivate(): void {}
