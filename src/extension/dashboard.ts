// VS Code glue for the dashboard webview: panel, serializer, commands, file opening and saving.
// The logic lives in dashboardCore.ts (pure, unit-tested); this file only adapts it to `vscode`.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { COMMANDS, type RunManagerApi } from './api';
import { DashboardSession } from './dashboardCore';
import { dashboardHtml } from './dashboardHtml';
import { DEFAULT_STATE, VIEW_TYPE, packSeries, restoreState, type DashboardState } from '../shared/messages';

export interface DashboardHandle {
  show(opts?: { runId?: string; step?: number }): void;
  dispose(): void;
}

interface Open {
  panel: vscode.WebviewPanel;
  session: DashboardSession;
}

function asFocus(arg: unknown): { runId?: string; step?: number } {
  if (typeof arg === 'string') return { runId: arg };
  if (typeof arg !== 'object' || arg === null) return {};
  const o = arg as Record<string, unknown>;
  const runId = typeof o.runId === 'string' ? o.runId : typeof o.id === 'string' ? o.id : undefined;
  const step = typeof o.step === 'number' && Number.isFinite(o.step) ? o.step : undefined;
  return { runId, step };
}

export function registerDashboard(context: vscode.ExtensionContext, manager: RunManagerApi): DashboardHandle {
  const dist = vscode.Uri.joinPath(context.extensionUri, 'dist');
  const media = vscode.Uri.joinPath(context.extensionUri, 'media');
  const bundle = vscode.Uri.joinPath(dist, 'webview.js');
  let open: Open | undefined;
  const subs: vscode.Disposable[] = [];

  const options: vscode.WebviewOptions = {
    enableScripts: true,
    enableCommandUris: false,
    // A file URI as root is refused by VS Code (401 for the file itself): the bundle folder it is.
    localResourceRoots: [dist, media],
  };

  function attach(panel: vscode.WebviewPanel, state: DashboardState): Open {
    panel.webview.options = options;
    panel.iconPath = vscode.Uri.joinPath(media, 'icon.png');
    const session = new DashboardSession(
      manager,
      {
        post: (msg) => void panel.webview.postMessage(packSeries(msg)),
        openFile: (file, line) =>
          void openFile(file, line, panel.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One),
        save: (kind, name, data) => void save(kind, name, data),
        warn: (m) => void vscode.window.showWarningMessage(m),
        folders: () => (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
      },
      state,
    );
    const o: Open = { panel, session };
    const local: vscode.Disposable[] = [
      panel.webview.onDidReceiveMessage((m: unknown) => session.handleMessage(m)),
      panel.onDidDispose(() => {
        session.dispose();
        for (const d of local) d.dispose();
        if (open === o) open = undefined;
      }),
    ];
    panel.webview.html = dashboardHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(bundle).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'dashboard.css')).toString(),
      nonce: randomBytes(18).toString('base64'),
    });
    open = o;
    return o;
  }

  async function openFile(file: string, line: number | null, viewColumn: vscode.ViewColumn): Promise<void> {
    try {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
      const pos = new vscode.Position(line !== null ? Math.min(line - 1, Math.max(0, doc.lineCount - 1)) : 0, 0);
      await vscode.window.showTextDocument(doc, {
        viewColumn,
        selection: new vscode.Range(pos, pos),
        preserveFocus: false,
      });
    } catch (e) {
      void vscode.window.showErrorMessage(`LossWatch: could not open ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  async function save(kind: 'csv' | 'png', name: string, data: Uint8Array): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const uri = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
      filters: kind === 'csv' ? { CSV: ['csv'] } : { PNG: ['png'] },
    });
    if (!uri) return;
    await vscode.workspace.fs.writeFile(uri, data);
  }

  function show(opts: { runId?: string; step?: number } = {}): void {
    if (!open) {
      const panel = vscode.window.createWebviewPanel(VIEW_TYPE, 'LossWatch Dashboard', vscode.ViewColumn.Beside, options);
      attach(panel, DEFAULT_STATE);
    } else open.panel.reveal(undefined, true);
    open!.session.focus(opts);
  }

  subs.push(
    vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        if (open) open.panel.dispose();
        attach(panel, restoreState(state));
      },
    }),
    manager.onDidUpdateRun((u) => open?.session.onRunUpdate(u)),
    manager.onDidChangeFindings((e) => open?.session.onFindingsChanged(e.runId)),
    vscode.commands.registerCommand(COMMANDS.openDashboard, (arg?: unknown) => show(asFocus(arg))),
    vscode.commands.registerCommand(COMMANDS.showInDashboard, (arg?: unknown) => show(asFocus(arg))),
  );

  const handle: DashboardHandle = {
    show,
    dispose() {
      open?.panel.dispose();
      for (const d of subs) d.dispose();
    },
  };
  context.subscriptions.push(handle);
  return handle;
}
