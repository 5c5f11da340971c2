// Worker thread entry (bundled as dist/ingest-worker.js): parses bytes [start, end) of a large JSONL/CSV
// file in chunks with bounded memory, posting column batches; the main thread continues following from
// the returned offset with the returned parser state. One worker serves many files in turn (jobs arrive
// as messages; its compiled parser code stays warm), or one job given as workerData.
//
// A job may start inside the file: either after lines parsed elsewhere (`state` and `lineBase` given:
// its line numbers are the file's), or speculatively (`prime`): the parser state is then taken from the
// file's first `prime` bytes, line numbers count from the job's start, and the main thread accepts the
// result only if that state equals the state the first half ended with (see bulk.ts).
import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { BatchSink, type Done, type Failed } from './batch';
import { LineReader } from './lines';
import { CsvParser } from './parsers/csv';
import { JsonlParser } from './parsers/jsonl';
import type { LineParser, Sink } from './sink';

export interface WorkerJob {
  file: string;
  format: 'jsonl' | 'csv';
  /** first byte to parse (a line start; default 0) */
  start?: number;
  end: number;
  chunkBytes?: number;
  /** the parser state and complete lines before `start`, when known */
  state?: unknown;
  lineBase?: number;
  /** unknown state: prime the parser with the complete lines of the file's first `prime` bytes */
  prime?: number;
}

/** Points of the priming pass go nowhere. */
class NullSink implements Sink {
  private n = 0;
  series(): number {
    return this.n++;
  }
  point(): void {}
  block(): void {}
  rows(): void {}
  error(): void {}
  logit(): void {}
  meta(): void {}
}

function parserFor(job: WorkerJob, sink: Sink): LineParser {
  return job.format === 'csv' ? new CsvParser(sink) : new JsonlParser(sink, job.file);
}

function main(job: WorkerJob): void {
  const port = parentPort!;
  const sink = new BatchSink();
  const parser = parserFor(job, sink);
  const reader = new LineReader(parser, sink);
  // O_NONBLOCK and fstat: a FIFO swapped in for the file fails the job (the main thread then reads it
  // with its own checks) instead of blocking this thread
  const fd = fs.openSync(job.file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  try {
    if (!fs.fstatSync(fd).isFile()) throw new Error(`${job.file}: not a regular file`);
    const buf = new Uint8Array(job.chunkBytes ?? 4 << 20);
    let primed: unknown;
    if (job.prime !== undefined && job.prime > 0) {
      const head = new Uint8Array(job.prime);
      const n = fs.readSync(fd, head, 0, head.length, 0);
      const p0 = parserFor(job, new NullSink());
      const r0 = new LineReader(p0, new NullSink());
      r0.push(head.subarray(0, n)); // a partial last line stays held (never parsed)
      primed = p0.snapshot!();
      reader.resume(0, primed);
    } else if (job.state !== undefined) reader.resume(job.lineBase ?? 0, job.state);
    let off = job.start ?? 0;
    while (off < job.end) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, job.end - off), off);
      if (n <= 0) break;
      reader.push(buf.subarray(0, n));
      off += n;
      const { batch, transfer } = sink.take();
      port.postMessage(batch, transfer);
    }
    const state = parser.snapshot!();
    const done: Done = {
      type: 'done',
      consumed: off - reader.held,
      lines: reader.lines,
      state,
      primed,
      recordSteps: parser.recordSteps ?? 0,
    };
    // the last batch (snapshot() may hand out pending rows)
    const { batch, transfer } = sink.take();
    if (batch.ops.length > 0 || batch.newSeries.length > 0 || batch.errors.length > 0 || batch.logits.length > 0 || batch.meta.length > 0)
      port.postMessage(batch, transfer);
    port.postMessage(done);
  } finally {
    fs.closeSync(fd);
  }
}

function run(job: WorkerJob): void {
  try {
    main(job);
  } catch (e) {
    const f: Failed = { type: 'failed', message: e instanceof Error ? e.message : String(e) };
    parentPort!.postMessage(f);
  }
}

if (parentPort) {
  if (workerData) run(workerData as WorkerJob);
  else parentPort.on('message', (job: WorkerJob) => run(job));
}
