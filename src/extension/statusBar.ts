// Status bar item: health of the focused run, its last step and loss; click → dashboard.
import * as vscode from 'vscode';
import type { Finding, RunView, SeriesView } from '../core/model';
import { COMMANDS, type RunManagerApi } from './api';
import { namedInput, RunNamer } from '../ingest/runNames';

const namer = new RunNamer();

/** Shortest unique display name of a run (same names as the dashboard; src/ingest/runNames.ts). */
export function displayName(manager: Pick<RunManagerApi, 'runs'>, run: RunView): string {
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  return namer.of(manager.runs().map(namedInput), folders).get(run.id)?.name ?? run.name;
}

export type Health = 'ok' | 'warning' | 'error';

export function healthOf(findings: readonly Finding[]): Health {
  if (findings.some((f) => f.severity === 'error')) return 'error';
  if (findings.some((f) => f.severity === 'warning')) return 'warning';
  return 'ok';
}

export const HEALTH_ICON: Record<Health, string> = { ok: 'pass', warning: 'warning', error: 'error' };

/** The series that best represents "the loss" of a run, for one-line summaries. */
export function mainLoss(run: RunView): SeriesView | undefined {
  const all = run.series().filter((s) => s.length > 0);
  return all.find((s) => s.role === 'train_loss' && !s.key.startsWith('recomputed/')) ?? all.find((s) => s.role === 'val_loss');
}

export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+inf' : '-inf';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(3);
  return Number(v.toPrecision(4)).toString();
}

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('losswatch.status', vscode.StatusBarAlignment.Left, 50);
  private focusedRunId: string | undefined;
  private lastUpdatedRunId: string | undefined;
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly manager: RunManagerApi) {
    this.item.name = 'LossWatch';
    this.subs.push(
      manager.onDidUpdateRun((u) => {
        if (!u.removed) this.lastUpdatedRunId = u.runId;
        this.render();
      }),
      manager.onDidChangeFindings(() => this.render()),
      vscode.window.onDidChangeActiveTextEditor((e) => {
        const run = e ? manager.runForFile(e.document.uri.fsPath) : undefined;
        if (run) this.focusedRunId = run.id;
        this.render();
      }),
    );
    this.render();
  }

  private currentRun(): RunView | undefined {
    for (const id of [this.focusedRunId, this.lastUpdatedRunId]) {
      const run = id ? this.manager.getRun(id) : undefined;
      if (run) return run;
    }
    return this.manager.runs()[0];
  }

  render(): void {
    const run = this.currentRun();
    if (!run) {
      this.item.hide();
      return;
    }
    const findings = this.manager.findings(run.id);
    const health = healthOf(findings);
    const loss = mainLoss(run);
    const name = displayName(this.manager, run);
    const parts = [`$(${HEALTH_ICON[health]}) ${name}`];
    if (loss) {
      const i = loss.length - 1;
      parts.push(`step ${formatNumber(loss.step(i))}`, `loss ${formatNumber(loss.value(i))}`);
    }
    this.item.text = parts.join('  ');
    const errors = findings.filter((f) => f.severity === 'error').length;
    const warnings = findings.filter((f) => f.severity === 'warning').length;
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendText(`LossWatch — ${name}\n${errors} error(s), ${warnings} warning(s)\n${run.root}\nClick to open the dashboard.`);
    this.item.tooltip = tip;
    this.item.backgroundColor =
      health === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : health === 'warning' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.command = { title: 'Open dashboard', command: COMMANDS.openDashboard, arguments: [{ runId: run.id }] };
    this.item.show();
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.item.dispose();
  }
}
