// Training-script lint: loss pitfalls found in Python source before a run starts. Pure (no `vscode`),
// shared by the editor provider, the CLI and the log diagnostics (related information).
import type { Parser, Tree } from 'web-tree-sitter';
import { defaultSeverity } from '../core/checks/codes';
import type { Severity } from '../core/model';
import { Analyzer, type Edit, type LintFix } from './analyze';
import { LINT_CODES, type LintCode } from './codes';
import { createPythonParser } from './parser';

export { LINT_CODES, type LintCode } from './codes';
export type { Edit, LintFix } from './analyze';
export { createPythonParser, loadPython } from './parser';

/** Files larger than this are not linted (bounded memory and time on untrusted input). */
export const MAX_SCRIPT_BYTES = 2 * 1024 * 1024;

/** Cheap gate before any parsing: only scripts that import a deep-learning framework are linted. */
const FRAMEWORK_IMPORT = /^\uFEFF?[ \t]*(?:import|from)[ \t]+(?:torch|tensorflow|keras|tf_keras|lightning|pytorch_lightning)\b/m;

export function mayNeedLint(text: string): boolean {
  return text.length <= MAX_SCRIPT_BYTES && FRAMEWORK_IMPORT.test(text);
}

export interface Position1 {
  /** 1-based line. */
  readonly line: number;
  /** 1-based column in UTF-16 code units. */
  readonly column: number;
}
export interface LintRelated extends Position1 {
  readonly start: number;
  readonly end: number;
  readonly message: string;
}
export interface LintFinding extends Position1 {
  readonly code: LintCode;
  readonly severity: Severity;
  readonly message: string;
  /** Offsets into the text (UTF-16 code units). */
  readonly start: number;
  readonly end: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly related: readonly LintRelated[];
  readonly fix?: LintFix;
}

export interface LintOptions {
  /** Severity overrides by code (`off` drops the finding), as losswatch.checks.severity. */
  readonly severities?: Readonly<Record<string, Severity | 'off'>>;
}

function lineStarts(text: string): number[] {
  const out = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) out.push(i + 1);
  return out;
}

function toPos(starts: readonly number[], offset: number): Position1 {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
}

/** Runs the rules on an already parsed tree of `text`. */
export function lintTree(tree: Tree, text: string, options: LintOptions = {}): LintFinding[] {
  const raw = new Analyzer(tree, text).run();
  const starts = lineStarts(text);
  const out: LintFinding[] = [];
  for (const f of raw) {
    const sev = options.severities?.[f.code] ?? defaultSeverity(f.code);
    if (sev === 'off') continue;
    const s = toPos(starts, f.start);
    const e = toPos(starts, f.end);
    out.push({
      code: f.code,
      severity: sev,
      message: f.message,
      start: f.start,
      end: f.end,
      line: s.line,
      column: s.column,
      endLine: e.line,
      endColumn: e.column,
      related: f.related.map((r) => ({ ...r, ...toPos(starts, r.start) })),
      fix: f.fix,
    });
  }
  return out;
}

/** Parses and lints with `parser` (synchronous once the grammar is loaded). */
export function lintWith(parser: Parser, text: string, options: LintOptions = {}): LintFinding[] {
  if (!mayNeedLint(text)) return [];
  const tree = parser.parse(text);
  if (!tree) return [];
  try {
    return lintTree(tree, text, options);
  } finally {
    tree.delete();
  }
}

let shared: Promise<Parser> | undefined;

/** Lints Python source text. Returns [] for files that import no deep-learning framework. */
export async function lintPython(text: string, options: LintOptions = {}): Promise<LintFinding[]> {
  if (!mayNeedLint(text)) return [];
  shared ??= createPythonParser();
  return lintWith(await shared, text, options);
}

/** Applies non-overlapping edits to text (a quick fix outside the editor). */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

export const isLintCode = (code: string): code is LintCode => (LINT_CODES as readonly string[]).includes(code);
