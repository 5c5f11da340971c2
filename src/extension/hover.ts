// Hover on a log line that holds logits: the recomputed loss and gradient norm.
import * as vscode from 'vscode';
import { formatNumber } from './statusBar';
import type { RunManager } from './runManager';

export class LogitsHover implements vscode.HoverProvider {
  constructor(private readonly manager: RunManager) {}

  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const hit = this.manager.recordAt(doc.uri.fsPath, pos.line + 1);
    if (!hit) return undefined;
    const { record, result } = hit;
    const { n, c } = result;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**LossWatch** — step ${formatNumber(record.step)}, logits ${n ?? '?'}×${c ?? '?'}\n\n`);
    md.appendMarkdown(`| | |\n|---|---|\n`);
    md.appendMarkdown(`| recomputed cross-entropy | \`${formatNumber(result.loss)}\` |\n`);
    if (record.loggedLoss !== undefined) {
      md.appendMarkdown(`| logged loss | \`${formatNumber(record.loggedLoss)}\` |\n`);
      if (Number.isFinite(record.loggedLoss) && Number.isFinite(result.loss) && result.loss !== 0) {
        md.appendMarkdown(
          `| relative difference | \`${formatNumber(Math.abs(record.loggedLoss - result.loss) / Math.abs(result.loss))}\` |\n`,
        );
      }
    }
    md.appendMarkdown(`| ‖∂L/∂z‖₂ | \`${formatNumber(result.gradNorm)}\` |\n`);
    md.appendMarkdown(`\nloss_fn \`${record.lossFn ?? 'cross_entropy (assumed)'}\`, reduction \`${record.reduction ?? 'mean'}\``);
    if (record.labelSmoothing) md.appendMarkdown(`, label_smoothing \`${record.labelSmoothing}\``);
    return new vscode.Hover(md, doc.lineAt(pos.line).range);
  }
}
