// Display names of runs: the shortest unique path relative to the workspace folder.
// `nan/train.jsonl` → `nan`, `sweep/lr_0.001_seed3/metrics.csv` → `lr_0.001_seed3`, two `seed1` folders
// in `a/` and `b/` → `a/seed1`, `b/seed1`. Pure (no `vscode`, no file system): the dashboard, the
// Training Runs view, the status bar and diagnostics messages all name runs through this module.
// No `node:path` either: the module also runs in the browser (webview benchmark) and must treat POSIX and
// Windows paths alike.

export interface NamedRunInput {
  readonly id: string;
  /** File or folder the run was found at (absolute). */
  readonly root: string;
  /** True when the run is a single file (its base name may be generic, e.g. `metrics.csv`). */
  readonly isFile: boolean;
  /** A name the log itself gives a folder run (MLflow `run_name`), used instead of the folder's own name. */
  readonly hint?: string;
}

export interface RunName {
  /** Shortest unique name, e.g. `lr_0.001_seed3`. */
  readonly name: string;
  /** The folder part of the path not in the name (`sweep`), '' at the workspace folder's top. */
  readonly group: string;
}

/** File stems that say nothing about the run: the folder names it instead. */
const GENERIC_STEMS = new Set([
  'train',
  'training',
  'metrics',
  'metric',
  'results',
  'result',
  'log',
  'logs',
  'history',
  'trainer_state',
  'progress',
  'scalars',
  'events',
  'output',
  'stdout',
  'val',
  'valid',
  'validation',
  'eval',
  'test',
  'loss',
  'losses',
  'run',
  'stats',
  'summary',
  'console',
  'train_log',
  'training_log',
]);

/** Longest display name kept whole (names come from paths: untrusted, may be huge). */
const MAX_NAME = 160;

function segments(p: string): string[] {
  return p.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
}

function norm(p: string): string {
  const s = p.replace(/\\/g, '/').replace(/\/+$/, '');
  // Windows drive letters and paths compare case-insensitively.
  return /^[A-Za-z]:\//.test(s) ? s.toLowerCase() : s;
}

function basename(p: string): string {
  const parts = segments(p);
  return parts.length > 0 ? parts[parts.length - 1] : p;
}

/** Path of `root` relative to the innermost workspace folder containing it (else the absolute path). */
function relative(root: string, folders: readonly string[]): { folder: string | null; parts: string[] } {
  const r = norm(root);
  let best: string | null = null;
  let bestLen = -1;
  for (const f of folders) {
    const nf = norm(f);
    if ((r === nf || r.startsWith(nf + '/')) && nf.length > bestLen) {
      best = f;
      bestLen = nf.length;
    }
  }
  if (best === null) return { folder: null, parts: segments(root) };
  // Slice the original (not lower-cased) path: names keep their case.
  const rest = root
    .replace(/\\/g, '/')
    .replace(/\/+$/, '')
    .slice(bestLen + 1);
  return { folder: best, parts: rest === '' ? [basename(best)] : segments(rest) };
}

function stemOf(base: string): string {
  if (base.startsWith('events.out.tfevents')) return 'events';
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

function clip(s: string): string {
  return s.length <= MAX_NAME ? s : `${s.slice(0, 40)}…${s.slice(s.length - (MAX_NAME - 41))}`;
}

interface Cand {
  /** Name candidates, shortest first; the last one is the whole relative path. */
  names: string[];
  /** Group (the path prefix not in the name) per candidate. */
  groups: string[];
  k: number;
}

/**
 * Names every run by the shortest suffix of its path (folders first; a file's stem only when it is not
 * generic or needed to tell files in one folder apart) that no other run shares. Deterministic and
 * independent of input order. Linear in runs × path depth per round, at most depth rounds.
 */
export function runNames(runs: readonly NamedRunInput[], folders: readonly string[]): Map<string, RunName> {
  const cands: Cand[] = runs.map((r) => {
    const { folder, parts: all } = relative(r.root, folders);
    let parts = all.slice();
    const base = parts.length > 0 ? parts[parts.length - 1] : r.root;
    const tail: string[] = [];
    if (r.isFile) {
      const stem = stemOf(base);
      parts[parts.length - 1] = stem;
      if (GENERIC_STEMS.has(stem.toLowerCase()) && parts.length > 1) {
        parts = parts.slice(0, -1);
        // Two generic files in one folder: the file name tells them apart.
        tail.push([...parts, base].join('/'));
      } else if (stem !== base) tail.push([...parts.slice(0, -1), base].join('/'));
    } else if (r.hint && r.hint.trim() !== '' && parts.length > 0) {
      parts[parts.length - 1] = r.hint.trim();
      tail.push(all.join('/'));
    }
    const names: string[] = [];
    const groups: string[] = [];
    for (let k = 1; k <= parts.length; k++) {
      names.push(parts.slice(parts.length - k).join('/'));
      groups.push(parts.slice(0, parts.length - k).join('/'));
    }
    for (const t of tail) {
      names.push(t);
      groups.push('');
    }
    if (folder !== null) {
      // The same relative path in two workspace folders.
      names.push(`${basename(folder)}: ${names[names.length - 1] ?? base}`);
      groups.push('');
    }
    if (names.length === 0) {
      names.push(base);
      groups.push('');
    }
    return { names, groups, k: 0 };
  });
  // Grow colliding names until every name is unique or no colliding run can grow.
  for (let round = 0; round < 64; round++) {
    const byName = new Map<string, number[]>();
    for (let i = 0; i < cands.length; i++) {
      const n = cands[i].names[cands[i].k];
      const list = byName.get(n);
      if (list) list.push(i);
      else byName.set(n, [i]);
    }
    let grew = false;
    for (const list of byName.values()) {
      if (list.length < 2) continue;
      for (const i of list) {
        const c = cands[i];
        if (c.k < c.names.length - 1) {
          c.k++;
          grew = true;
        }
      }
    }
    if (!grew) break;
  }
  // Still equal (identical paths): number them in a stable order (by id).
  const out = new Map<string, RunName>();
  const seen = new Map<string, string[]>();
  runs.forEach((r, i) => {
    const n = cands[i].names[cands[i].k];
    const list = seen.get(n) ?? [];
    list.push(r.id);
    seen.set(n, list);
  });
  runs.forEach((r, i) => {
    const c = cands[i];
    const n = c.names[c.k];
    const ids = seen.get(n)!;
    const suffix = ids.length > 1 ? ` (${[...ids].sort().indexOf(r.id) + 1})` : '';
    out.set(r.id, { name: clip(n) + suffix, group: clip(c.groups[c.k]) });
  });
  return out;
}

/** Memoised `runNames` over a run list that rarely changes (keyed by ids, roots and folders). */
export class RunNamer {
  private key = '';
  private names = new Map<string, RunName>();

  of(runs: readonly NamedRunInput[], folders: readonly string[]): Map<string, RunName> {
    const key = JSON.stringify([folders, runs.map((r) => [r.id, r.root, r.isFile, r.hint ?? ''])]);
    if (key !== this.key) {
      this.key = key;
      this.names = runNames(runs, folders);
    }
    return this.names;
  }
}

/** The input for a run view: a run is a file run when its root is its only file. */
export function namedInput(run: {
  readonly id: string;
  readonly root: string;
  readonly files: readonly string[];
  readonly name: string;
  readonly format: string;
}): NamedRunInput {
  const isFile = run.files.length === 1 && run.files[0] === run.root;
  return { id: run.id, root: run.root, isFile, hint: !isFile && run.format === 'mlflow' ? run.name : undefined };
}
