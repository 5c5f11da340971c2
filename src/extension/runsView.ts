// The "Training Runs" tree: watched runs, their latest metrics and problem counts.
import * as vscode from 'vscode';
import type { RunView, SeriesView } from '../core/model';
import type { RunManagerApi } from './api';
import { COMMANDS } from './api';
import { displayName, displayNames, formatNumber, healthOf, HEALTH_ICON, mainLoss } from './statusBar';

export type RunsNode = { kind: 'run'; runId: string } | { kind: 'series'; runId: string; key: string };

export class RunsView implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subs: vscode.Disposable[] = [];
  private pending: NodeJS.Timeout | undefined;

  constructor(private readonly manager: RunManagerApi) {
    const refresh = () => this.refreshSoon();
    this.subs.push(manager.onDidUpdateRun(refresh), manager.onDidChangeFindings(refresh));
  }

  /** At most a few refreshes a second, however fast logs grow. */
  private refreshSoon(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.names = undefined;
      this.changed.fire(undefined);
    }, 250);
  }

  /** Display names of all runs, computed once per refresh (not once per tree item: O(runs²)). */
  private names: Map<string, string> | undefined;
  private nameOf(run: RunView): string {
    this.names ??= displayNames(this.manager);
    return this.names.get(run.id) ?? displayName(this.manager, run);
  }

  getChildren(node?: RunsNode): RunsNode[] {
    if (!node) {
      this.names = undefined;
      const named = this.manager.runs().map((r) => ({ r, name: this.nameOf(r) }));
      return named.sort((a, b) => a.name.localeCompare(b.name)).map(({ r }) => ({ kind: 'run', runId: r.id }));
    }
    if (node.kind === 'run') {
      const run = this.manager.getRun(node.runId);
      return run
        ? run
            .series()
            .filter((s) => s.length > 0)
            .map((s) => ({ kind: 'series', runId: run.id, key: s.key }))
        : [];
    }
    return [];
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    const run = this.manager.getRun(node.runId);
    if (!run) return new vscode.TreeItem('(gone)');
    return node.kind === 'run' ? this.runItem(run) : this.seriesItem(run, run.getSeries(node.key));
  }

  private runItem(run: RunView): vscode.TreeItem {
    const item = new vscode.TreeItem(this.nameOf(run), vscode.TreeItemCollapsibleState.Collapsed);
    const findings = this.manager.findings(run.id);
    const health = healthOf(findings);
    const errors = findings.filter((f) => f.severity === 'error').length;
    const warnings = findings.filter((f) => f.severity === 'warning').length;
    const loss = mainLoss(run);
    const desc: string[] = [];
    if (loss) desc.push(`step ${formatNumber(loss.step(loss.length - 1))} · loss ${formatNumber(loss.value(loss.length - 1))}`);
    if (errors || warnings) desc.push(`${errors}✗ ${warnings}⚠`);
    item.description = desc.join('  ');
    item.iconPath = new vscode.ThemeIcon(
      HEALTH_ICON[health],
      health === 'error'
        ? new vscode.ThemeColor('problemsErrorIcon.foreground')
        : health === 'warning'
          ? new vscode.ThemeColor('problemsWarningIcon.foreground')
          : new vscode.ThemeColor('testing.iconPassed'),
    );
    item.tooltip = `${run.root}\n${run.format} · ${run.files.length} file(s)\n${errors} error(s), ${warnings} warning(s)`;
    item.contextValue = 'run';
    item.id = `run:${run.id}`;
    item.command = { title: 'Open dashboard', command: COMMANDS.openDashboard, arguments: [{ runId: run.id }] };
    return item;
  }

  private seriesItem(run: RunView, s: SeriesView | undefined): vscode.TreeItem {
    if (!s) return new vscode.TreeItem('(gone)');
    const item = new vscode.TreeItem(s.name, vscode.TreeItemCollapsibleState.None);
    const i = s.length - 1;
    item.description = `${formatNumber(s.value(i))} @ ${formatNumber(s.step(i))} · ${s.length} pts`;
    item.tooltip = `${s.key} — role ${s.role}, split ${s.split}`;
    item.iconPath = new vscode.ThemeIcon(s.role === 'grad_norm' ? 'pulse' : s.role === 'learning_rate' ? 'dashboard' : 'graph-line');
    item.id = `series:${run.id}:${s.key}`;
    item.contextValue = 'series';
    const prov = s.provenance(i);
    if (prov.file && prov.line) {
      item.command = {
        title: 'Open log line',
        command: 'vscode.open',
        arguments: [vscode.Uri.file(prov.file), { selection: new vscode.Range(prov.line - 1, 0, prov.line - 1, 0) }],
      };
    }
    return item;
  }

  dispose(): void {
    if (this.pending) clearTimeout(this.pending);
    for (const s of this.subs) s.dispose();
    this.changed.dispose();
  }
}
