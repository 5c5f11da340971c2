// The one list of workspace globs LossWatch looks for logs with. package.json's
// `losswatch.watch.include` default and its `workspaceContains:` activation events must equal what
// this module exports (test/unit/ingest/discovery.test.ts fails on drift). Globs are matched with
// picomatch (VS Code glob semantics: `**` any depth, dot files included, '/' separators).
import * as path from 'node:path';
import picomatch from 'picomatch';

export interface WatchGlob {
  glob: string;
  /** true: a generic name (`*.log`, `*.csv`, …): the file is a run only if its first bytes look like a training log */
  sniff: boolean;
  /** true: a workspace containing such a file activates the extension (`workspaceContains:`) */
  activate: boolean;
}

export const WATCH_GLOB_TABLE: readonly WatchGlob[] = [
  // named by their format or logger: followed without looking at the content
  { glob: '**/*.jsonl', sniff: false, activate: true },
  { glob: '**/*.ndjson', sniff: false, activate: true },
  { glob: '**/trainer_state.json', sniff: false, activate: true }, // Hugging Face Trainer
  { glob: '**/events.out.tfevents.*', sniff: false, activate: true }, // TensorBoard
  { glob: '**/mlruns/*/*/metrics/**', sniff: false, activate: true }, // MLflow file store
  { glob: '**/metrics.csv', sniff: false, activate: true }, // Lightning CSVLogger
  { glob: '**/results.csv', sniff: false, activate: true }, // Ultralytics YOLO
  { glob: '**/history.csv', sniff: false, activate: true }, // Keras CSVLogger (common name)
  { glob: '**/log.csv', sniff: false, activate: true }, // Keras CSVLogger (common name)
  { glob: '**/training.log', sniff: false, activate: true }, // Keras CSVLogger default name
  // generic names: sniffed
  { glob: '**/metrics.json', sniff: true, activate: true }, // detectron2 (JSON lines)
  { glob: '**/*.log', sniff: true, activate: true },
  { glob: '**/*.out', sniff: true, activate: true },
  { glob: '**/*.txt', sniff: true, activate: false },
  { glob: '**/*.csv', sniff: true, activate: false },
  { glob: '**/*.tsv', sniff: true, activate: false },
];

/** Every default watch glob (package.json `losswatch.watch.include` default). */
export const DEFAULT_WATCH_GLOBS: readonly string[] = WATCH_GLOB_TABLE.map((g) => g.glob);

/** package.json `activationEvents` that come from the globs (in this order). */
export const ACTIVATION_EVENTS: readonly string[] = WATCH_GLOB_TABLE.filter((g) => g.activate).map((g) => `workspaceContains:${g.glob}`);

/** Base names of known logger files that need no sniffing even though their extension is generic. */
const KNOWN_NAMES = new Set(['trainer_state.json', 'metrics.csv', 'results.csv', 'history.csv', 'log.csv', 'training.log']);

const PM_OPTS = { dot: true } as const;
const cache = new Map<string, (p: string) => boolean>();

export function slash(p: string): string {
  return p.replace(/\\/g, '/');
}

function matcher(glob: string): (p: string) => boolean {
  let m = cache.get(glob);
  if (!m) {
    try {
      m = picomatch(glob, PM_OPTS);
    } catch {
      m = () => false; // a malformed glob from the settings matches nothing
    }
    if (cache.size > 500) cache.clear();
    cache.set(glob, m);
  }
  return m;
}

/** Glob → RegExp (picomatch semantics); a malformed glob never matches. */
export function globToRegExp(glob: string): RegExp {
  try {
    return picomatch.makeRe(slash(glob), PM_OPTS);
  } catch {
    return /^\b$/;
  }
}

/**
 * True when `glob` matches the path: the whole path, a path suffix (a relative glob such as
 * `out/*.txt` matches `<anything>/out/x.txt`) or, for a glob without '/', the basename.
 * Backslashes (Windows) are separators.
 */
export function matchGlob(glob: string, filePath: string): boolean {
  const g = slash(glob);
  const p = slash(filePath);
  if (matcher(g)(p)) return true;
  if (!g.includes('/')) return matcher(g)(path.posix.basename(p));
  if (!g.startsWith('/') && !g.startsWith('**') && !/^[A-Za-z]:\//.test(g)) return matcher('**/' + g)(p);
  return false;
}

/** True when a candidate must be sniffed (generic name) before it becomes a run. */
export function needsSniff(filePath: string): boolean {
  const p = slash(filePath);
  const base = path.posix.basename(p).toLowerCase();
  if (KNOWN_NAMES.has(base)) return false;
  for (const g of WATCH_GLOB_TABLE) if (!g.sniff && matchGlob(g.glob, p)) return false;
  return true;
}
