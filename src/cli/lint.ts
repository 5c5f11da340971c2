// losswatch lint <paths or globs…> [--format text|json|github]: loss pitfalls in Python training scripts.
// Same output shapes, escaping and exit codes as `losswatch check`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHECKS } from '../core/checks/codes';
import type { Finding, Severity } from '../core/model';
import { createPythonParser, isLintCode, lintWith, MAX_SCRIPT_BYTES, mayNeedLint } from '../lint/index';
import { parseCommonArgs, UsageError, type CommonArgs } from './args';
import { formatFindings, resolveInputs } from './check';

const USAGE = `usage: losswatch lint <paths or globs…> [options]

Finds loss pitfalls in Python training scripts (PyTorch, Keras/TensorFlow) before a run starts: files,
folders searched recursively for *.py, or globs such as 'src/**/*.py' (quote globs). Only files that
import torch, tensorflow, keras or lightning are linted.

options:
  --format text|json|github   output: 'file:line:col: severity code: message' lines (default),
                              a JSON array, or GitHub Actions annotations
  --severity CODE=LEVEL       change a rule's severity (error|warning|information|hint|off); repeatable
  --list                      list the lint codes and their default severities
  -h, --help                  this help

exit status: 1 if any error was found, 0 otherwise, 2 on bad usage or unreadable input.`;

const SKIP_DIRS = new Set(['node_modules', '.git', '.venv', 'venv', '__pycache__', 'site-packages', '.tox', '.mypy_cache']);
const MAX_FILES = 100_000;

export function parseLintArgs(argv: readonly string[]): CommonArgs {
  return parseCommonArgs(argv, { isCode: isLintCode, codeWord: 'lint code' });
}

/** *.py files under `dir` (regular files only, symlinks not followed, bounded depth and count). */
function pythonFiles(dir: string, out: string[], depth = 0): void {
  if (depth > 40 || out.length >= MAX_FILES) return;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) pythonFiles(full, out, depth + 1);
    } else if (e.isFile() && e.name.endsWith('.py')) out.push(full);
  }
}

export interface LintRunResult {
  findings: Finding[];
  files: number;
  linted: number;
  unreadable: { file: string; reason: string }[];
}

/** Lints files and folders (already resolved to absolute paths). */
export async function lintPaths(paths: readonly string[], severities: Record<string, Severity | 'off'> = {}): Promise<LintRunResult> {
  const files: string[] = [];
  for (const p of paths) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      files.push(p);
      continue;
    }
    if (st.isDirectory()) pythonFiles(p, files);
    else files.push(p);
  }
  const unique = [...new Set(files)];
  const parser = await createPythonParser();
  const res: LintRunResult = { findings: [], files: unique.length, linted: 0, unreadable: [] };
  for (const file of unique) {
    let text: string;
    try {
      const st = fs.statSync(file);
      if (!st.isFile()) throw new Error('not a regular file');
      if (st.size > MAX_SCRIPT_BYTES) throw new Error(`larger than ${MAX_SCRIPT_BYTES} bytes`);
      text = fs.readFileSync(file, 'utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // columns as editors count them
    } catch (e) {
      res.unreadable.push({ file, reason: e instanceof Error ? e.message : String(e) });
      continue;
    }
    if (!mayNeedLint(text)) continue;
    res.linted++;
    for (const f of lintWith(parser, text, { severities })) {
      res.findings.push({
        code: f.code,
        severity: f.severity,
        message: f.message,
        file,
        line: f.line,
        column: f.column,
        related: f.related.map((r) => ({ file, line: r.line, message: r.message })),
      });
    }
  }
  parser.delete();
  return res;
}

export async function run(argv: string[]): Promise<number> {
  let args: CommonArgs;
  let inputs: string[];
  try {
    args = parseLintArgs(argv);
    if (args.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (args.list) {
      for (const c of CHECKS)
        if (isLintCode(c.code)) process.stdout.write(`${c.code.padEnd(32)} ${c.defaultSeverity.padEnd(12)} ${c.title}\n`);
      return 0;
    }
    if (args.inputs.length === 0) throw new UsageError('give at least one Python file, folder or glob');
    try {
      inputs = resolveInputs(args.inputs);
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`losswatch lint: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  const res = await lintPaths(inputs, args.severities);
  res.findings.sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
  );
  process.stdout.write(formatFindings(res.findings, args.format));
  for (const u of res.unreadable) process.stderr.write(`losswatch lint: cannot read ${u.file}: ${u.reason}\n`);
  const count = (s: Severity): number => res.findings.filter((f) => f.severity === s).length;
  const errors = count('error');
  if (args.format === 'text') {
    const notes = count('information') + count('hint');
    process.stderr.write(
      `losswatch lint: ${res.files} file${res.files === 1 ? '' : 's'} (${res.linted} linted), ${errors} error${errors === 1 ? '' : 's'}, ${count('warning')} warning${count('warning') === 1 ? '' : 's'}, ${notes} note${notes === 1 ? '' : 's'}\n`,
    );
  }
  if (res.unreadable.length) return 2;
  return errors > 0 ? 1 : 0;
}
