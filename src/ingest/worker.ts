// Worker thread entry (bundled as dist/ingest-worker.js): parses the first `end` bytes of a large
// JSONL/CSV file in chunks with bounded memory, posting column batches; the main thread continues
// following from the returned offset with the returned parser state. One worker serves many files in
// turn (jobs arrive as messages; its compiled parser code stays warm), or one job given as workerData.
import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { BatchSink, type Done, type Failed } from './batch';
import { LineReader } from './lines';
import { CsvParser } from './parsers/csv';
import { JsonlParser } from './parsers/jsonl';

export interface WorkerJob {
  file: string;
  format: 'jsonl' | 'csv';
  end: number;
  chunkBytes?: number;
}

function main(job: WorkerJob): void {
  const port = parentPort!;
  const sink = new BatchSink();
  const parser = job.format === 'csv' ? new CsvParser(sink) : new JsonlParser(sink, job.file);
  const reader = new LineReader(parser, sink);
  const fd = fs.openSync(job.file, 'r');
  try {
    const buf = new Uint8Array(job.chunkBytes ?? 4 << 20);
    let off = 0;
    while (off < job.end) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, job.end - off), off);
      if (n <= 0) break;
      reader.push(buf.subarray(0, n));
      off += n;
      const { batch, transfer } = sink.take();
      port.postMessage(batch, transfer);
    }
    const done: Done = { type: 'done', consumed: off - reader.held, lines: reader.lines, state: parser.snapshot() };
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
