// Quick fixes on LossWatch diagnostics: show in dashboard, open documentation, disable the check.
import * as vscode from 'vscode';
import { COMMANDS } from './api';
import type { RunManager } from './runManager';

export function diagnosticCode(d: vscode.Diagnostic): string | undefined {
  const c = d.code;
  if (typeof c === 'string') return c;
  if (typeof c === 'object' && c !== null) return String(c.value);
  return undefined;
}

export class LossWatchCodeActions implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  constructor(private readonly manager: RunManager) {}

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, ctx: vscode.CodeActionContext): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    for (const d of ctx.diagnostics) {
      if (d.source !== 'LossWatch') continue;
      const code = diagnosticCode(d);
      if (!code) continue;
      const run = this.manager.runForFile(doc.uri.fsPath);
      const finding = run
        ? this.manager
            .findings(run.id)
            .find((f) => f.code === code && f.file === doc.uri.fsPath && (f.line ?? 1) - 1 === d.range.start.line)
        : undefined;
      if (run) {
        const show = new vscode.CodeAction(
          finding?.step !== undefined ? `Show in dashboard at step ${finding.step}` : 'Show in dashboard',
          vscode.CodeActionKind.QuickFix,
        );
        show.command = { title: show.title, command: COMMANDS.showInDashboard, arguments: [{ runId: run.id, step: finding?.step }] };
        show.diagnostics = [d];
        show.isPreferred = true;
        actions.push(show);
      }
      const docs = new vscode.CodeAction(`Open documentation for ${code}`, vscode.CodeActionKind.QuickFix);
      docs.command = { title: docs.title, command: COMMANDS.openDocs, arguments: [code] };
      docs.diagnostics = [d];
      actions.push(docs);
      const off = new vscode.CodeAction(`Disable the ${code} check`, vscode.CodeActionKind.QuickFix);
      off.command = { title: off.title, command: COMMANDS.disableCheck, arguments: [code] };
      off.diagnostics = [d];
      actions.push(off);
    }
    return actions;
  }
}
