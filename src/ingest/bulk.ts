// Main-thread side of the worker first read: runs the job on a bundled worker (kept for the next file a
// little while: no thread start and no cold parser code per file), applies its batches, then hands the
// parser state back to the main-thread LineReader.
//
// A large file is read by two workers at once when both are free: A parses [0, P) and B the rest, P a
// line start near the middle. B does not know the parser state at P, so it starts from the state of the
// file's first lines (header, column kinds, keys seen) and numbers lines from P; its batches wait. When A
// ends exactly at P with that same state (and B's points do not depend on the lines before P: no
// record-index steps, no errors or logit records), B's batches are applied with their lines shifted by
// A's line count; otherwise they are dropped and A's worker parses [P, size) from A's state. Either
// way the store gets exactly what one sequential read gives.
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { applyBatch, batchBytes, positional, shiftLines, type Batch, type Done, type Failed } from './batch';
import type { LineReader } from './lines';
import type { Sink } from './sink';
import type { WorkerJob } from './worker';

/** Bytes parsed per batch: each batch is applied (and checked) on the main thread in one go, so keep it small. */
const BATCH_BYTES = 512 << 10;
/**
 * At most this many workers (two files loading at a time, one of them maybe split between two); an idle
 * one exits after IDLE_MS.
 */
const MAX_WORKERS = 3;
const IDLE_MS = 2000;
/** Files at least this large are split between two workers (when both are free). */
const SPLIT_MIN = 24 << 20;
/**
 * At most this many bytes go to the second worker: its batches wait in memory until the first half is
 * done (about the size of the points they carry), so this bounds that memory.
 */
const SPLIT_MAX_TAIL = 64 << 20;
/**
 * The second half's batches held at most (a wide file of short cells makes more column bytes than text
 * bytes): beyond this they are dropped and the first worker goes on from the middle instead.
 */
const SPLIT_MAX_HELD = 256 << 20;
/** The second worker takes its parser state from the complete lines of the file's first bytes. */
const PRIME_BYTES = 1 << 20;

interface PooledWorker {
  w: Worker;
  script: string;
  busy: boolean;
  idle: NodeJS.Timeout | undefined;
  /** the running job's message handler */
  onMessage: ((m: Batch | Done | Failed) => void) | undefined;
  /** the running job's end when the worker dies */
  onDeath: (() => void) | undefined;
}
const pool: PooledWorker[] = [];

function drop(p: PooledWorker): void {
  const i = pool.indexOf(p);
  if (i >= 0) pool.splice(i, 1);
  if (p.idle) clearTimeout(p.idle);
  void p.w.terminate().catch(() => undefined);
}

/** A free worker for `script` (started if there is room), or undefined when all are busy. */
function acquire(script: string): PooledWorker | undefined {
  let p = pool.find((x) => !x.busy && x.script === script);
  if (!p) {
    if (pool.length >= MAX_WORKERS) {
      const idle = pool.find((x) => !x.busy);
      if (!idle) return undefined;
      drop(idle); // another script's idle worker
    }
    const w = new Worker(script);
    const q: PooledWorker = { w, script, busy: false, idle: undefined, onMessage: undefined, onDeath: undefined };
    w.on('message', (m: Batch | Done | Failed) => q.onMessage?.(m));
    const die = (): void => {
      const i = pool.indexOf(q);
      if (i >= 0) pool.splice(i, 1);
      if (q.idle) clearTimeout(q.idle);
      q.onDeath?.();
    };
    w.on('error', die);
    w.on('exit', die);
    pool.push(q);
    p = q;
  }
  if (p.idle) clearTimeout(p.idle);
  p.idle = undefined;
  p.busy = true;
  p.w.ref(); // a job in flight keeps the process alive (the CLI awaits it)
  return p;
}

function release(p: PooledWorker): void {
  p.busy = false;
  p.onMessage = undefined;
  p.onDeath = undefined;
  if (!pool.includes(p)) return;
  p.w.unref(); // an idle worker never holds a process open
  p.idle = setTimeout(() => drop(p), IDLE_MS);
  p.idle.unref?.();
}

type Msg = Batch | Done | Failed;

/** Runs one job on `p`; `onBatch` gets its batches, the promise its end (undefined: failed or the worker died). */
function runJob(p: PooledWorker, job: WorkerJob, onBatch: (b: Batch) => boolean): Promise<Done | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const end = (d: Done | undefined): void => {
      if (settled) return;
      settled = true;
      p.onMessage = undefined;
      p.onDeath = undefined;
      resolve(d);
    };
    p.onDeath = () => end(undefined);
    // One message per event-loop turn: a port delivers all its queued messages in one go, and a main
    // thread that fell behind would apply (and check) many batches without letting anything else run.
    const queue: Msg[] = [];
    let head = 0;
    let scheduled = false;
    const drain = (): void => {
      scheduled = false;
      if (settled || head >= queue.length) return;
      const m = queue[head]!;
      queue[head++] = undefined as unknown as Msg;
      if (head === queue.length) queue.length = head = 0;
      if (m.type === 'batch') {
        if (!onBatch(m)) end(undefined);
      } else if (m.type === 'done') end(m);
      else end(undefined);
      if (!settled && head < queue.length) {
        scheduled = true;
        setImmediate(drain);
      }
    };
    p.onMessage = (m: Msg) => {
      if (settled) return;
      queue.push(m);
      if (!scheduled) {
        scheduled = true;
        setImmediate(drain);
      }
    };
    p.w.postMessage(job);
  });
}

/** The first line start at or after `at` (within 1 MiB), or -1. */
function lineStartAfter(file: string, at: number, size: number): number {
  let fd: number | undefined;
  try {
    // O_NONBLOCK and fstat: a FIFO swapped in for the file must not block the thread on open or read
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    if (!fs.fstatSync(fd).isFile()) return -1;
    const b = new Uint8Array(Math.min(1 << 20, size - at));
    const n = fs.readSync(fd, b, 0, b.length, at);
    const i = b.subarray(0, n).indexOf(10);
    return i < 0 || at + i + 1 >= size ? -1 : at + i + 1;
  } catch {
    return -1;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** States equal but for the record count (which only record-index steps depend on). */
function sameState(a: unknown, b: unknown): boolean {
  const strip = (x: unknown): string => JSON.stringify({ ...(x as object), records: undefined });
  return typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && strip(a) === strip(b);
}

function withRecords(state: unknown, add: number): unknown {
  const st = state as { records?: unknown };
  return typeof st.records === 'number' ? { ...st, records: st.records + add } : state;
}

/** Split reads started, and those whose second half was kept (tests and the bench). */
export const bulkStats = { split: 0, kept: 0 };

/** bulk reads in flight */
let active = 0;

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Parses bytes [0, size) of `file` in worker threads. Resolves with the offset the main thread must
 * continue from, or undefined (nothing applied) when no worker is available; if it fails midway,
 * `onFail` is called so the caller can drop the partial data and read normally.
 */
export async function bulkRead(
  script: string,
  file: string,
  format: string,
  size: number,
  reader: LineReader,
  sink: Sink,
  onFail?: () => void,
  /** after each applied batch (the caller may deliver the points parsed so far) */
  onBatch?: () => void,
  split: { minBytes?: number; primeBytes?: number; batchBytes?: number; maxHeldBytes?: number } = {},
): Promise<number | undefined> {
  const splitMin = split.minBytes ?? SPLIT_MIN;
  if (!fs.existsSync(script) || (format !== 'jsonl' && format !== 'csv')) return undefined;
  let a: PooledWorker | undefined;
  let b: PooledWorker | undefined;
  let bRunning = false;
  try {
    a = acquire(script);
    // split only a read that runs alone (the next file to load still finds a worker)
    if (a && size >= splitMin && active === 0) b = acquire(script);
  } catch {
    // no thread: read on the main thread
  }
  if (!a) return undefined;
  active++;
  let applied = false;
  const ids: number[] = [];
  let broken = false;
  const apply = (m: Batch): boolean => {
    applied = true;
    try {
      applyBatch(m, sink, ids);
      onBatch?.();
      return true;
    } catch {
      broken = true;
      return false;
    }
  };
  const fail = (): undefined => {
    if (applied) onFail?.();
    return undefined;
  };
  const base = { file, format, chunkBytes: split.batchBytes ?? BATCH_BYTES } as const;
  try {
    const mid = b ? lineStartAfter(file, Math.max(size >> 1, size - SPLIT_MAX_TAIL), size) : -1;
    if (!b || mid < 0) {
      if (b) release(b);
      b = undefined;
      const d = await runJob(a, { ...base, end: size }, apply);
      if (!d) {
        drop(a);
        return fail();
      }
      reader.resume(d.lines, d.state);
      return d.consumed;
    }
    // two halves
    const held: Batch[] = [];
    let heldBad = false;
    let heldBytes = 0;
    const maxHeld = split.maxHeldBytes ?? SPLIT_MAX_HELD;
    bRunning = true;
    bulkStats.split++;
    const pb = runJob(b, { ...base, start: mid, end: size, prime: Math.min(split.primeBytes ?? PRIME_BYTES, mid) }, (m) => {
      if (positional(m) || (heldBytes += batchBytes(m)) > maxHeld) heldBad = true;
      if (!heldBad) held.push(m);
      else held.length = 0;
      return true;
    });
    const da = await runJob(a, { ...base, end: mid }, apply);
    if (!da) {
      drop(a);
      return fail();
    }
    const db = await pb;
    bRunning = false;
    if (!db) drop(b);
    if (broken) return fail();
    if (db && !heldBad && da.consumed === mid && (db.recordSteps ?? 0) === 0 && sameState(da.state, db.primed)) {
      // B's points are the ones a sequential read gives: applied in order, a turn of the event loop each
      bulkStats.kept++;
      for (const m of held.splice(0)) {
        shiftLines(m, da.lines);
        if (!apply(m)) return fail();
        await turn();
      }
      const primedRecords = (db.primed as { records?: number }).records ?? 0;
      const recordsA = (da.state as { records?: number }).records ?? 0;
      reader.resume(da.lines + db.lines, withRecords(db.state, recordsA - primedRecords));
      return db.consumed;
    }
    // B's guess of the state was wrong (or B failed): A's worker goes on from where A ended
    held.length = 0;
    const dc = await runJob(a, { ...base, start: da.consumed, end: size, state: da.state, lineBase: da.lines }, apply);
    if (!dc) {
      drop(a);
      return fail();
    }
    reader.resume(dc.lines, dc.state);
    return dc.consumed;
  } finally {
    active--;
    release(a);
    // a job still running would post its messages into the next job's handler
    if (b) {
      if (bRunning) drop(b);
      release(b);
    }
  }
}
