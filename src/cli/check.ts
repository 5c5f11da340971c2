// losswatch check <paths or globs…> [--format text|json|github]: runs the loss checks on logs.
// Exit code: 1 if any finding is an error, 0 otherwise, 2 on usage / input errors or no log found.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkRunAsync, CHECKS, type CheckOptions } from '../core/checks/index';
import type { Finding, Severity } from '../core/model';
import { globToRegExp, loadRuns } from '../ingest/index';
import { parseCommonArgs, UsageError, type Format } from './args';
import { escapeJson, escapeText, ghData, ghProp } from './escape';

const USAGE = `usage: losswatch check <paths or globs…> [options]

Runs the LossWatch loss checks on training logs (files, folders searched recursively, or globs such
as 'runs/**/log.jsonl' — quote globs so the shell does not expand them).

options:
  --format text|json|github   output: 'file:line:col: severity code: message' lines (default),
                              a JSON array, or GitHub Actions annotations
  --severity CODE=LEVEL       change a check's severity (error|warning|information|hint|off); repeatable
  --patience N                overfitting: evaluations without improvement (default 3)
  --min-delta X               overfitting: minimum decrease that counts as improvement (default 0)
  --list                      list the check codes and their default severities
  -h, --help                  this help

exit status: 1 if any error was found, 0 otherwise, 2 on bad usage, unreadable input or when no
training log was found in the given paths.`;

const GLOB_CHARS = /[*?[\]{}]/;
const SKIP_DIRS = new Set(['node_modules', '.git', '.venv', '__pycache__']);

interface Args {
  format: Format;
  inputs: string[];
  options: CheckOptions;
  list: boolean;
  help: boolean;
}

export function parseArgs(argv: string[]): Args {
  const codes = new Set(CHECKS.map((c) => c.code));
  const options: CheckOptions = {};
  const common = parseCommonArgs(argv, {
    isCode: (code) => codes.has(code),
    codeWord: 'code',
    extra(flag, value) {
      if (flag === '--patience') {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1) throw new UsageError('--patience must be an integer ≥ 1');
        options.overfitting = { ...options.overfitting, patience: n };
        return true;
      }
      if (flag === '--min-delta') {
        const x = Number(value());
        if (!Number.isFinite(x) || x < 0) throw new UsageError('--min-delta must be a number ≥ 0');
        options.overfitting = { ...options.overfitting, minDelta: x };
        return true;
      }
      return false;
    },
  });
  if (Object.keys(common.severities).length) options.severities = common.severities;
  return { format: common.format, inputs: common.inputs, options, list: common.list, help: common.help };
}

const toSlash = (p: string): string => p.split(path.sep).join('/');

/** Expands one glob (relative to cwd, or absolute) by walking from its fixed leading folder. */
export function expandGlob(pattern: string, cwd = process.cwd()): string[] {
  const pat = toSlash(pattern);
  const parts = pat.split('/');
  const fixed: string[] = [];
  for (const p of parts) {
    if (GLOB_CHARS.test(p)) break;
    fixed.push(p);
  }
  const baseRel = fixed.join('/') || (pat.startsWith('/') ? '/' : '.');
  const base = path.resolve(cwd, baseRel);
  const absolute = path.isAbsolute(pattern);
  const re = globToRegExp(absolute ? toSlash(path.resolve(pattern)) : pat.replace(/^\.\//, ''));
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 40) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (SKIP_DIRS.has(e.name)) continue;
        walk(full, depth + 1);
      } else if (e.isFile()) {
        const rel = absolute ? toSlash(full) : toSlash(path.relative(cwd, full));
        if (re.test(rel)) out.push(full);
      }
    }
  };
  walk(base, 0);
  return out.sort();
}

/** Files and folders to load: plain paths must exist; globs must match something. */
export function resolveInputs(inputs: readonly string[], cwd = process.cwd()): string[] {
  const out: string[] = [];
  for (const input of inputs) {
    const abs = path.resolve(cwd, input);
    if (fs.existsSync(abs)) {
      const st = fs.statSync(abs); // a stat never blocks, an open of a FIFO would
      if (!st.isFile() && !st.isDirectory()) {
        process.stderr.write(`losswatch check: ${escapeText(input)}: not a regular file (FIFO, socket or device): not read\n`);
        continue;
      }
      out.push(abs);
    } else if (GLOB_CHARS.test(input)) {
      const found = expandGlob(input, cwd);
      if (found.length === 0) throw new UsageError(`no files match '${input}'`);
      out.push(...found);
    } else {
      throw new UsageError(`no such file or folder: ${input}`);
    }
  }
  return [...new Set(out)];
}

function display(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? toSlash(rel) : file;
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ');
}

export function formatFindings(findings: readonly Finding[], format: Format, cwd = process.cwd()): string {
  const rows = findings.map((f) => ({
    file: display(f.file, cwd),
    line: f.line ?? 1,
    column: f.column ?? 1,
    severity: f.severity,
    code: f.code,
    message: oneLine(f.message),
    related: f.related ?? [],
  }));
  if (format === 'json') {
    return (
      escapeJson(
        JSON.stringify(
          rows.map(({ related: _r, ...r }) => r),
          null,
          2,
        ),
      ) + '\n'
    );
  }
  if (format === 'github') {
    const kind: Record<Severity, string> = { error: 'error', warning: 'warning', information: 'notice', hint: 'notice' };
    return rows
      .map(
        (r) =>
          `::${kind[r.severity]} file=${ghProp(r.file)},line=${r.line},col=${r.column},title=${ghProp(`LossWatch ${r.code}`)}::${ghData(r.message)}\n`,
      )
      .join('');
  }
  let out = '';
  for (const r of rows) {
    // file names and messages are untrusted: control and bidi characters escaped (no forged lines)
    out += `${escapeText(r.file)}:${r.line}:${r.column}: ${r.severity} ${r.code}: ${escapeText(r.message)}\n`;
    for (const rel of r.related)
      out += `    related: ${escapeText(display(rel.file, cwd))}${rel.line !== undefined ? `:${rel.line}` : ''}: ${escapeText(oneLine(rel.message))}\n`;
  }
  return out;
}

export async function run(argv: string[]): Promise<number> {
  let args: Args;
  let inputs: string[];
  try {
    args = parseArgs(argv);
    if (args.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (args.list) {
      for (const c of CHECKS) process.stdout.write(`${c.code.padEnd(28)} ${c.defaultSeverity.padEnd(12)} ${c.title}\n`);
      return 0;
    }
    if (args.inputs.length === 0) throw new UsageError('give at least one log file, folder or glob');
    inputs = resolveInputs(args.inputs);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`losswatch check: ${escapeText(e.message)}\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  let runs;
  try {
    // the bundled CLI (dist/cli.js) parses JSONL/CSV files over 1 MiB in worker threads, two files at
    // a time (dist/ingest-worker.js beside it; run from source there is none: one thread)
    const workerScript = path.join(__dirname, 'ingest-worker.js');
    runs = await loadRuns(inputs, fs.existsSync(workerScript) ? { workerScript, workerThreshold: 1 << 20, loadConcurrency: 2 } : {});
  } catch (e) {
    process.stderr.write(`losswatch check: cannot read the logs: ${escapeText(e instanceof Error ? e.message : String(e))}\n`);
    return 2;
  }
  const findings: Finding[] = [];
  for (const r of runs) findings.push(...(await checkRunAsync(r, args.options)));
  findings.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : (a.line ?? 0) - (b.line ?? 0)));
  process.stdout.write(formatFindings(findings, args.format));
  const count = (s: Severity): number => findings.filter((f) => f.severity === s).length;
  const errors = count('error');
  if (args.format === 'text') {
    process.stderr.write(
      `losswatch check: ${runs.length} run${runs.length === 1 ? '' : 's'}, ${errors} error${errors === 1 ? '' : 's'}, ${count('warning')} warning${count('warning') === 1 ? '' : 's'}, ${count('information') + count('hint')} note${count('information') + count('hint') === 1 ? '' : 's'}\n`,
    );
  }
  if (runs.length === 0) {
    // like ESLint's "No files matching the pattern": a CI step that checks nothing must not pass
    process.stderr.write(
      `losswatch check: no training logs found in ${args.inputs.map((i) => `'${i}'`).join(', ')} (nothing was checked)\n`,
    );
    return 2;
  }
  return errors > 0 ? 1 : 0;
}
