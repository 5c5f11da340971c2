// Findings → VS Code diagnostics: one DiagnosticCollection, one entry per file, replaced not duplicated.
import * as vscode from 'vscode';
import type { Finding, Severity } from '../core/model';

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

/** Whole line: VS Code clamps the end to the line's length. */
const LINE_END = 2 ** 31 - 1;

function lineRange(line1: number | undefined, column1?: number): vscode.Range {
  const line = Math.max(0, (line1 ?? 1) - 1);
  const col = Math.max(0, (column1 ?? 1) - 1);
  return new vscode.Range(line, col, line, LINE_END);
}

/** One Finding as a Diagnostic (a finding without a line goes on the first line of its file). */
export function findingToDiagnostic(f: Finding, docsUri: (code: string) => vscode.Uri): vscode.Diagnostic {
  const d = new vscode.Diagnostic(lineRange(f.line, f.column), f.message, SEVERITY[f.severity] ?? vscode.DiagnosticSeverity.Warning);
  d.source = 'LossWatch';
  d.code = { value: f.code, target: docsUri(f.code) };
  if (f.related?.length) {
    d.relatedInformation = f.related.map(
      (r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(vscode.Uri.file(r.file), lineRange(r.line)), r.message),
    );
  }
  return d;
}

export class DiagnosticsPublisher {
  /** file → runId → diagnostics of that run in that file. */
  private readonly byFile = new Map<string, Map<string, vscode.Diagnostic[]>>();
  /** runId → files it has published to. */
  private readonly filesOf = new Map<string, Set<string>>();
  /** runId → what it last published (to add related information that arrives later). */
  private readonly published = new Map<string, { files: readonly string[]; findings: readonly Finding[] }>();
  private related?: (f: Finding) => vscode.DiagnosticRelatedInformation[];

  constructor(
    private readonly collection: vscode.DiagnosticCollection,
    private readonly docsUri: (code: string) => vscode.Uri,
  ) {}

  /**
   * Replaces the diagnostics of `runId` with `findings`. `files` are the run's files: those without
   * findings are cleared. Findings are already filtered by severity ('off' never reaches here).
   */
  publish(runId: string, files: readonly string[], findings: readonly Finding[]): void {
    this.published.set(runId, { files, findings });
    const next = new Map<string, vscode.Diagnostic[]>();
    for (const f of files) next.set(f, []);
    for (const f of findings) {
      let list = next.get(f.file);
      if (!list) next.set(f.file, (list = []));
      const d = findingToDiagnostic(f, this.docsUri);
      const extra = this.related?.(f);
      if (extra?.length) d.relatedInformation = [...(d.relatedInformation ?? []), ...extra];
      list.push(d);
    }
    const before = this.filesOf.get(runId) ?? new Set<string>();
    for (const file of before) if (!next.has(file)) next.set(file, []);
    const touched = new Set<string>();
    for (const [file, diags] of next) {
      let runs = this.byFile.get(file);
      if (diags.length) {
        if (!runs) this.byFile.set(file, (runs = new Map()));
        runs.set(runId, diags);
      } else if (runs) {
        runs.delete(runId);
        if (runs.size === 0) this.byFile.delete(file);
      }
      touched.add(file);
    }
    const mine = new Set<string>();
    for (const [file, diags] of next) if (diags.length) mine.add(file);
    if (mine.size) this.filesOf.set(runId, mine);
    else this.filesOf.delete(runId);
    for (const file of touched) this.flush(file);
  }

  /** Removes every diagnostic of the run (file deleted, run stopped, or truncated before a recheck). */
  clearRun(runId: string, files: readonly string[]): void {
    this.published.delete(runId);
    const all = new Set([...files, ...(this.filesOf.get(runId) ?? [])]);
    this.filesOf.delete(runId);
    for (const file of all) {
      const runs = this.byFile.get(file);
      if (runs) {
        runs.delete(runId);
        if (runs.size === 0) this.byFile.delete(file);
      }
      this.flush(file);
    }
  }

  /** Extra related information per finding (script lint findings that explain a log finding). */
  setRelatedProvider(fn: (f: Finding) => vscode.DiagnosticRelatedInformation[]): void {
    this.related = fn;
  }

  /** Re-publishes every run so that related information from the provider is current. */
  refreshRelated(): void {
    for (const [runId, p] of [...this.published]) this.publish(runId, p.files, p.findings);
  }

  private flush(file: string): void {
    const uri = vscode.Uri.file(file);
    const runs = this.byFile.get(file);
    if (!runs || runs.size === 0) {
      this.collection.delete(uri);
      return;
    }
    this.collection.set(uri, [...runs.values()].flat());
  }
}
