// Status bar item: health of the focused run, its last step and loss; click → dashboard.
import * as vscode from 'vscode';
import type { Finding, RunView, SeriesView } from '../core/model';
import { COMMANDS, type RunManagerApi } from './api';
import { isRecomputedKey } from '../shared/recomputed';
import { namedInput, RunNamer } from '../ingest/runNames';

const namer = new RunNamer();

/** Shortest unique display name of a run (same names as the dashboard; src/ingest/runNames.ts). */
export function displayName(manager: Pick<RunManagerApi, 'runs'>, run: RunView): string {
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  return namer.of(manager.runs().map(namedInput), folders).get(run.id)?.name ?? run.name;
}

/** Display names of all runs (run id → name), one naming pass. */
export function displayNames(manager: Pick<RunManagerApi, 'runs'>): Map<string, string> {
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  const runs = manager.runs();
  const names = namer.of(runs.map(namedInput), folders);
  return new Map(runs.map((r) => [r.id, names.get(r.id)?.name ?? r.name]));
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
  return all.find((s) => s.role === 'train_loss' && !isRecomputedKey(s.key)) ?? all.find((s) => s.role === 'val_loss');
}

export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+inf' : '-inf';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(3);
  return Number(v.toPrecision(4)).toString();
}

const RENDER_MS = 100;

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('losswatch.status', vscode.StatusBarAlignment.Left, 50);
  private focusedRunId: string | undefined;
  private lastUpdatedRunId: string | undefined;
  private readonly subs: vscode.Disposable[] = [];
  private notice: string | undefined;

  constructor(
    private readonly manager: RunManagerApi,
    /** Internal errors (checks that threw, failed reads): shown as a warning state until they clear. */
    private readonly internal?: {
      problems(): readonly string[];
      readonly onDidChangeProblems: vscode.Event<void>;
      readonly showLogCommand: string;
    },
  ) {
    this.item.name = 'LossWatch';
    if (internal) this.subs.push(internal.onDidChangeProblems(() => this.render()));
    this.subs.push(
      manager.onDidUpdateRun((u) => {
        if (!u.removed) this.lastUpdatedRunId = u.runId;
        this.renderSoon();
      }),
      manager.onDidChangeFindings(() => this.renderSoon()),
      { dispose: () => this.pending && clearTimeout(this.pending) },
      vscode.window.onDidChangeActiveTextEditor((e) => {
        const run = e ? manager.runForFile(e.document.uri.fsPath) : undefined;
        if (run) this.focusedRunId = run.id;
        this.render();
      }),
    );
    this.render();
  }

  private pending: NodeJS.Timeout | undefined;

  /** Updates and findings of many runs (a sweep loading) re-render at most every RENDER_MS. */
  private renderSoon(): void {
    this.pending ??= setTimeout(() => {
      this.pending = undefined;
      this.render();
    }, RENDER_MS);
  }

  private currentRun(): RunView | undefined {
    for (const id of [this.focusedRunId, this.lastUpdatedRunId]) {
      const run = id ? this.manager.getRun(id) : undefined;
      if (run) return run;
    }
    return this.manager.runs()[0];
  }

  /** A note shown in the tooltip (e.g. workspace settings ignored in Restricted Mode); undefined clears it. */
  setNotice(text: string | undefined): void {
    this.notice = text;
    this.render();
  }

  render(): void {
    const problems = this.internal?.problems() ?? [];
    if (problems.length > 0 && this.internal) {
      // An internal error outranks a run's health: the user must know the checks may be incomplete.
      const tip = new vscode.MarkdownString(undefined, true);
      tip.appendText(
        `LossWatch: ${problems.length} internal error(s) — results may be incomplete.\n${problems.slice(0, 5).join('\n')}\nClick to open the LossWatch log.`,
      );
      this.item.text = `$(warning) LossWatch: internal error`;
      this.item.tooltip = tip;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      this.item.command = { title: 'Open the LossWatch log', command: this.internal.showLogCommand };
      this.item.show();
      return;
    }
    const run = this.currentRun();
    if (!run) {
      if (!this.notice) {
        this.item.hide();
        return;
      }
      this.item.text = '$(shield) LossWatch';
      this.item.tooltip = new vscode.MarkdownString(undefined, true).appendText(`LossWatch\n${this.notice}`);
      this.item.backgroundColor = undefined;
      this.item.command = undefined;
      this.item.show();
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
    tip.appendText(
      `LossWatch — ${name}\n${errors} error(s), ${warnings} warning(s)\n${run.root}\nClick to open the dashboard.${this.notice ? `\n\n${this.notice}` : ''}`,
    );
    this.item.tooltip = tip;
    this.item.backgroundColor =
      health === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : health === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    this.item.command = { title: 'Open dashboard', command: COMMANDS.openDashboard, arguments: [{ runId: run.id }] };
    this.item.show();
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.item.dispose();
  }
}
