// Main-thread side of the worker first read: spawns the bundled worker, applies its batches, then
// hands the parser state back to the main-thread LineReader.
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { applyBatch, type Batch, type Done, type Failed } from './batch';
import type { LineReader } from './lines';
import type { Sink } from './sink';

/** Bytes parsed per batch: each batch is applied (and checked) on the main thread in one go, so keep it small. */
const BATCH_BYTES = 1 << 20;

/**
 * Parses bytes [0, size) of `file` in a worker thread. Resolves with the offset the main thread must
 * continue from, or undefined (nothing applied) when the worker is unavailable; if it fails midway,
 * `onFail` is called so the caller can drop the partial data and read normally.
 */
export function bulkRead(
  script: string,
  file: string,
  format: string,
  size: number,
  reader: LineReader,
  sink: Sink,
  onFail?: () => void,
  /** after each applied batch but the last (the caller may deliver the points parsed so far) */
  onBatch?: () => void,
): Promise<number | undefined> {
  if (!fs.existsSync(script) || (format !== 'jsonl' && format !== 'csv')) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let applied = false;
    let settled = false;
    const ids: number[] = [];
    const finish = (v: number | undefined): void => {
      if (settled) return;
      settled = true;
      if (v === undefined && applied) onFail?.();
      resolve(v);
    };
    let w: Worker;
    try {
      w = new Worker(script, { workerData: { file, format, end: size, chunkBytes: BATCH_BYTES } });
    } catch {
      finish(undefined);
      return;
    }
    w.on('message', (m: Batch | Done | Failed) => {
      if (m.type === 'batch') {
        applied = true;
        applyBatch(m, sink, ids);
        onBatch?.();
      } else if (m.type === 'done') {
        reader.resume(m.lines, m.state);
        finish(m.consumed);
        void w.terminate();
      } else {
        finish(undefined);
        void w.terminate();
      }
    });
    w.on('error', () => finish(undefined));
    w.on('exit', () => finish(undefined));
  });
}
