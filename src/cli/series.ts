// losswatch series <paths…> [--format json|text]: lists runs → series (name, role, split, point count,
// first and last step and value), so a parse can be checked from a shell. Runs with logits records
// also list the recomputed series (recomputed/loss, recomputed/grad_norm) from the record summaries.
import type { RunView } from '../core/model';
import { summarizeRecords } from '../core/checks/summary';
import { RunWithRecomputed } from '../core/recomputed';
import { loadRuns } from '../ingest/index';
import { escapeJson, escapeText } from './escape';

const USAGE = `usage: losswatch series <paths…> [--format json|text]

Reads log files and run folders once (folders are searched recursively) and prints their runs and series.
Logged logits batches add recomputed/loss and recomputed/grad_norm (the PyTorch-exact cross-entropy
and its gradient norm, recomputed from the logits and labels).`;

interface SeriesRow {
  key: string;
  name: string;
  role: string;
  split: string;
  points: number;
  first?: { step: number; value: number | string };
  last?: { step: number; value: number | string };
}

function jsonNumber(v: number): number | string {
  return Number.isFinite(v) ? v : String(v); // NaN / Infinity are not JSON
}

function describe(run: RunWithRecomputed): {
  id: string;
  name: string;
  format: string;
  files: readonly string[];
  series: SeriesRow[];
  logitRecords: number;
  unrecomputed: number;
  parseErrors: unknown[];
} {
  return {
    id: run.id,
    name: run.name,
    format: run.format,
    files: run.files,
    series: run.series().map((s) => {
      const row: SeriesRow = { key: s.key, name: s.name, role: s.role, split: s.split, points: s.length };
      if (s.length > 0) {
        row.first = { step: s.step(0), value: jsonNumber(s.value(0)) };
        row.last = { step: s.step(s.length - 1), value: jsonNumber(s.value(s.length - 1)) };
      }
      return row;
    }),
    logitRecords: run.logitRecords().length,
    unrecomputed: run.unrecomputed,
    parseErrors: [...run.parseErrors()],
  };
}

function clean(s: string): string {
  // log-provided names are untrusted: no control or bidi characters in the terminal
  return escapeText(s);
}

export async function run(argv: string[]): Promise<number> {
  let format = 'text';
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (a === '--format') {
      format = argv[++i] ?? '';
      if (format !== 'json' && format !== 'text') {
        process.stderr.write(`losswatch series: --format must be json or text\n`);
        return 2;
      }
    } else if (a.startsWith('--format=')) {
      format = a.slice(9);
      if (format !== 'json' && format !== 'text') {
        process.stderr.write(`losswatch series: --format must be json or text\n`);
        return 2;
      }
    } else if (a.startsWith('-')) {
      process.stderr.write(`losswatch series: unknown option ${a}\n${USAGE}\n`);
      return 2;
    } else paths.push(a);
  }
  if (paths.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const runs = await loadRuns(paths);
  const rows: ReturnType<typeof describe>[] = [];
  for (const r of runs) {
    await summarizeRecords(r.logitRecords());
    const w = new RunWithRecomputed(r as RunView);
    w.sync();
    rows.push(describe(w));
  }
  if (format === 'json') {
    process.stdout.write(escapeJson(JSON.stringify({ runs: rows }, null, 2)) + '\n');
  } else {
    if (rows.length === 0) process.stdout.write('no training logs found\n');
    for (const r of rows) {
      process.stdout.write(`${clean(r.name)}  [${r.format}]  ${clean(r.id)}\n`);
      for (const s of r.series) {
        const range = s.first && s.last ? `  step ${s.first.step} → ${s.last.step}  value ${s.first.value} → ${s.last.value}` : '';
        process.stdout.write(
          `  ${clean(s.key).padEnd(36)} ${s.role.padEnd(13)} ${s.split.padEnd(5)} ${String(s.points).padStart(8)} pts${range}\n`,
        );
      }
      if (r.logitRecords > 0) {
        const without = r.unrecomputed > 0 ? ` (${r.unrecomputed} not recomputed: see losswatch check)` : '';
        process.stdout.write(`  ${r.logitRecords} logit records${without}\n`);
      }
      for (const e of r.parseErrors as { count: number; firstMessage: string; file: string }[]) {
        process.stdout.write(`  ${e.count} malformed in ${clean(e.file)}: ${clean(e.firstMessage)}\n`);
      }
    }
  }
  return runs.length > 0 ? 0 : 1;
}
