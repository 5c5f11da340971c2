// Thin VS Code glue for the training-script lint (src/lint): lints open Python documents as they change
// (debounced, incremental tree-sitter parse), the workspace's *.py on demand, offers the mechanical quick
// fixes, and hands script findings to the log diagnostics as related information.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Finding } from '../core/model';
import { createPythonParser, isLintCode, lintWith, MAX_SCRIPT_BYTES, mayNeedLint, type LintFinding } from '../lint/index';
import { ParsedScript } from '../lint/incremental';
import type { Parser } from 'web-tree-sitter';
import { readSettings } from './config';
import type { DiagnosticsPublisher } from './diagnostics';

export const LINT_WORKSPACE_COMMAND = 'losswatch.lintWorkspace';
const DEBOUNCE_MS = 300;
const MAX_WORKSPACE_FILES = 5000;
const EXCLUDE = '{**/node_modules/**,**/.git/**,**/.venv/**,**/venv/**,**/site-packages/**,**/__pycache__/**}';

/** Runtime (log) codes and the script finding that explains them. */
const EXPLAINS: Readonly<Record<string, { code: string; what: string }>> = {
  'probabilities-as-logits': { code: 'softmax-before-cross-entropy', what: 'softmax applied here' },
  'non-finite-loss': { code: 'log-of-softmax', what: 'log of softmax here' },
  overfitting: { code: 'validation-in-train-mode', what: 'validation without eval()/no_grad() here' },
};

interface ScriptResult {
  readonly version: number | undefined;
  readonly findings: readonly LintFinding[];
}

const SEVERITY: Record<string, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

function isPython(doc: vscode.TextDocument): boolean {
  return doc.uri.scheme === 'file' && (doc.languageId === 'python' || doc.uri.fsPath.endsWith('.py'));
}

export class ScriptLint implements vscode.CodeActionProvider, vscode.Disposable {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];
  private readonly collection = vscode.languages.createDiagnosticCollection('losswatch-lint');
  private readonly results = new Map<string, ScriptResult>();
  private readonly docs = new Map<string, ParsedScript>();
  private readonly pending = new Map<string, { timer: NodeJS.Timeout; changes: vscode.TextDocumentContentChangeEvent[] | undefined }>();
  private parser: Promise<Parser> | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when script findings change (log diagnostics refresh their related information). */
  readonly onDidChange = this.changed.event;
  private workspaceLinted: Promise<number> | undefined;

  constructor(
    private readonly docsUri: (code: string) => vscode.Uri,
    private readonly log: vscode.OutputChannel,
  ) {}

  private getParser(): Promise<Parser> {
    this.parser ??= createPythonParser();
    this.parser.catch((e: unknown) => {
      this.log.appendLine(`script lint: cannot load the Python grammar: ${e instanceof Error ? e.message : String(e)}`);
      this.parser = undefined;
    });
    return this.parser;
  }

  private severities(): Record<string, 'error' | 'warning' | 'information' | 'hint' | 'off'> {
    return readSettings().severities;
  }

  /** Schedules a lint of an open document (debounced; changes accumulate for the incremental parse). */
  schedule(doc: vscode.TextDocument, changes?: readonly vscode.TextDocumentContentChangeEvent[], delay = DEBOUNCE_MS): void {
    if (!isPython(doc)) return;
    const key = doc.uri.toString();
    const prev = this.pending.get(key);
    if (prev) clearTimeout(prev.timer);
    // Cheap gate first: no framework import → no grammar load, no parse.
    if (!mayNeedLint(doc.getText())) {
      this.pending.delete(key);
      this.docs.get(key)?.dispose();
      this.docs.delete(key);
      if (this.results.has(doc.uri.fsPath)) this.setResult(doc.uri, { version: doc.version, findings: [] });
      return;
    }
    const acc = prev ? (prev.changes && changes ? [...prev.changes, ...changes] : undefined) : changes ? [...changes] : undefined;
    const timer = setTimeout(() => {
      this.pending.delete(key);
      void this.lintDocument(doc, acc);
    }, delay);
    this.pending.set(key, { timer, changes: acc });
  }

  /** Lints an open document now; returns its findings. */
  async lintDocument(
    doc: vscode.TextDocument,
    changes?: readonly vscode.TextDocumentContentChangeEvent[],
  ): Promise<readonly LintFinding[]> {
    if (doc.isClosed || !isPython(doc)) return [];
    const text = doc.getText();
    if (!mayNeedLint(text)) {
      this.setResult(doc.uri, { version: doc.version, findings: [] });
      return [];
    }
    try {
      const parser = await this.getParser();
      if (doc.isClosed) return [];
      const key = doc.uri.toString();
      let parsed = this.docs.get(key);
      if (!parsed) this.docs.set(key, (parsed = new ParsedScript(parser)));
      const findings = parsed.lint(
        text,
        changes?.map((c) => ({ rangeOffset: c.rangeOffset, rangeLength: c.rangeLength, text: c.text })),
        {
          severities: this.severities(),
        },
      );
      this.setResult(doc.uri, { version: doc.version, findings }, doc);
      return findings;
    } catch (e) {
      this.log.appendLine(`script lint failed for ${doc.uri.fsPath}: ${e instanceof Error ? e.message : String(e)}`);
      return [];
    }
  }

  /** Lints every *.py of the workspace (open documents from the editor, others from disk). */
  async lintWorkspace(): Promise<number> {
    const uris = await vscode.workspace.findFiles('**/*.py', EXCLUDE, MAX_WORKSPACE_FILES);
    const parser = await this.getParser();
    const open = new Map(vscode.workspace.textDocuments.filter(isPython).map((d) => [d.uri.toString(), d]));
    const severities = this.severities();
    let total = 0;
    let unreadable = 0;
    for (const uri of uris) {
      const doc = open.get(uri.toString());
      if (doc) {
        total += (await this.lintDocument(doc)).length;
        continue;
      }
      let text: string;
      try {
        const st = await fs.lstat(uri.fsPath);
        if (!st.isFile() || st.size > MAX_SCRIPT_BYTES) continue;
        text = await fs.readFile(uri.fsPath, 'utf8');
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      } catch {
        unreadable++;
        continue;
      }
      const findings = lintWith(parser, text, { severities });
      total += findings.length;
      this.setResult(uri, { version: undefined, findings });
    }
    if (unreadable) this.log.appendLine(`script lint: ${unreadable} Python file(s) could not be read`);
    this.log.appendLine(`script lint: ${uris.length} Python file(s), ${total} finding(s)`);
    return total;
  }

  private ensureWorkspaceLinted(): void {
    this.workspaceLinted ??= this.lintWorkspace().catch((e: unknown) => {
      this.log.appendLine(`script lint of the workspace failed: ${e instanceof Error ? e.message : String(e)}`);
      return 0;
    });
  }

  private setResult(uri: vscode.Uri, result: ScriptResult, doc?: vscode.TextDocument): void {
    const before = this.results.get(uri.fsPath);
    if (result.findings.length === 0 && !before) return;
    if (result.findings.length === 0) this.results.delete(uri.fsPath);
    else this.results.set(uri.fsPath, result);
    this.collection.set(
      uri,
      result.findings.map((f) => this.toDiagnostic(uri, f, doc)),
    );
    this.changed.fire();
  }

  private range(
    f: { start: number; end: number; line: number; column: number; endLine?: number; endColumn?: number },
    doc?: vscode.TextDocument,
  ): vscode.Range {
    if (doc) return new vscode.Range(doc.positionAt(f.start), doc.positionAt(f.end));
    return new vscode.Range(f.line - 1, f.column - 1, (f.endLine ?? f.line) - 1, (f.endColumn ?? f.column + (f.end - f.start)) - 1);
  }

  private toDiagnostic(uri: vscode.Uri, f: LintFinding, doc?: vscode.TextDocument): vscode.Diagnostic {
    const d = new vscode.Diagnostic(this.range(f, doc), f.message, SEVERITY[f.severity] ?? vscode.DiagnosticSeverity.Warning);
    d.source = 'LossWatch';
    d.code = { value: f.code, target: this.docsUri(f.code) };
    if (f.related.length) {
      d.relatedInformation = f.related.map(
        (r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, this.range({ ...r, endLine: undefined }, doc)), r.message),
      );
    }
    return d;
  }

  async provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, ctx: vscode.CodeActionContext): Promise<vscode.CodeAction[]> {
    if (!ctx.diagnostics.some((d) => d.source === 'LossWatch')) return [];
    let res = this.results.get(doc.uri.fsPath);
    // Fixes need offsets of this very version (a workspace lint from disk, or an edit not linted yet).
    if (res?.version !== doc.version) {
      await this.lintDocument(doc);
      res = this.results.get(doc.uri.fsPath);
    }
    if (!res || res.version !== doc.version) return [];
    const out: vscode.CodeAction[] = [];
    for (const d of ctx.diagnostics) {
      const code = typeof d.code === 'object' && d.code !== null ? String(d.code.value) : String(d.code ?? '');
      if (d.source !== 'LossWatch' || !isLintCode(code)) continue;
      const f = res.findings.find((x) => x.code === code && doc.positionAt(x.start).isEqual(d.range.start) && x.fix);
      if (!f?.fix) continue;
      const edit = new vscode.WorkspaceEdit();
      for (const e of f.fix.edits) edit.replace(doc.uri, new vscode.Range(doc.positionAt(e.start), doc.positionAt(e.end)), e.text);
      const action = new vscode.CodeAction(f.fix.title, vscode.CodeActionKind.QuickFix);
      action.edit = edit;
      action.diagnostics = [d];
      action.isPreferred = true;
      out.push(action);
    }
    return out;
  }

  /** Script findings that explain a runtime finding (see EXPLAINS), as related information. */
  relatedFor(f: Finding): vscode.DiagnosticRelatedInformation[] {
    const want = EXPLAINS[f.code];
    if (!want) return [];
    this.ensureWorkspaceLinted();
    const out: vscode.DiagnosticRelatedInformation[] = [];
    for (const [file, res] of this.results) {
      for (const s of res.findings) {
        if (s.code !== want.code) continue;
        const range = new vscode.Range(s.line - 1, s.column - 1, s.endLine - 1, s.endColumn - 1);
        out.push(
          new vscode.DiagnosticRelatedInformation(
            new vscode.Location(vscode.Uri.file(file), range),
            `${want.what}: ${path.basename(file)}:${s.line}`,
          ),
        );
        if (out.length >= 5) return out;
      }
    }
    return out;
  }

  /** A closed document keeps its diagnostics but not its syntax tree (memory). */
  forget(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    const p = this.pending.get(key);
    if (p) clearTimeout(p.timer);
    this.pending.delete(key);
    this.docs.get(key)?.dispose();
    this.docs.delete(key);
  }

  dispose(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    for (const d of this.docs.values()) d.dispose();
    this.docs.clear();
    this.collection.dispose();
    this.changed.dispose();
    void this.parser?.then((p) => p.delete()).catch(() => undefined);
  }
}

/** Registers the script lint: document listeners, quick fixes, the workspace command, related information. */
export function registerScriptLint(
  context: vscode.ExtensionContext,
  log: vscode.OutputChannel,
  docsUri: (code: string) => vscode.Uri,
  publisher: DiagnosticsPublisher,
): ScriptLint {
  const lint = new ScriptLint(docsUri, log);
  let refresh: NodeJS.Timeout | undefined;
  publisher.setRelatedProvider((f) => lint.relatedFor(f));
  context.subscriptions.push(
    lint,
    vscode.workspace.onDidOpenTextDocument((d) => lint.schedule(d, undefined, 0)),
    vscode.workspace.onDidCloseTextDocument((d) => lint.forget(d)),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length) lint.schedule(e.document, e.contentChanges);
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('losswatch.checks.severity'))
        for (const d of vscode.workspace.textDocuments) lint.schedule(d, undefined, 0);
    }),
    vscode.languages.registerCodeActionsProvider({ scheme: 'file', language: 'python' }, lint, {
      providedCodeActionKinds: ScriptLint.kinds,
    }),
    vscode.commands.registerCommand(LINT_WORKSPACE_COMMAND, () =>
      vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'LossWatch: linting training scripts' }, () =>
        lint.lintWorkspace(),
      ),
    ),
    lint.onDidChange(() => {
      // One refresh per burst (a workspace lint sets many files).
      clearTimeout(refresh);
      refresh = setTimeout(() => publisher.refreshRelated(), 100);
    }),
    { dispose: () => clearTimeout(refresh) },
  );
  for (const d of vscode.workspace.textDocuments) lint.schedule(d, undefined, 0);
  return lint;
}
