// One-shot reads for the CLI: no watching; partial last lines are parsed.
import type { RunView } from '../core/model';
import { LogWatcher, type IngestOptions } from './watcher';

/** One-shot read (no watching) for the CLI: files, folders (searched recursively with DEFAULT_WATCH_GLOBS). */
export async function loadRuns(paths: string[], options: IngestOptions = {}): Promise<RunView[]> {
  const w = new LogWatcher({ ...options, watch: false } as IngestOptions);
  try {
    for (const p of paths) await w.add(p);
    return w.runs();
  } finally {
    w.dispose();
  }
}
