// Large logs in a real VS Code: first reads over 1 MiB are parsed in the ingest worker pool, and a CSV
// of 26 MB (over 24 MiB), the only log when the window opens (a read runs alone, so both workers are
// free), is split between two workers (the second half's lines shifted by the first half's line count).
// Diagnostics must land on the exact lines, in both halves, and following must go on after the worker
// reads with the right line numbers. A 4 MB JSONL written once the CSV is in is read by one worker.
import assert from 'node:assert/strict';

export const name = 'big-logs';
export const timeoutMs = 120000;

const JSONL_LINES = 30000;
const JSONL_NAN_LINE = 25001;
let jsonl = '';
for (let i = 0; i < JSONL_LINES; i++) {
  const loss = i + 1 === JSONL_NAN_LINE ? 'NaN' : String(2.5 * Math.exp(-i / 9000) + 0.01 * Math.sin(i));
  jsonl += `{"step": ${i}, "split": "train", "loss": ${loss}, "grad_norm": ${1 + (i % 17) / 10}, "lr": ${3e-4 * (1 - i / JSONL_LINES)}}\n`;
}

const CSV_ROWS = 650000;
const CSV_NAN_LINE = 500001; // line 1 is the header: row r is on line r + 2
let csv = 'step,loss,grad_norm,lr\n';
for (let r = 0; r < CSV_ROWS; r++) {
  const loss = r + 2 === CSV_NAN_LINE ? 'nan' : (2 * Math.exp(-r / 200000) + 0.001 * (r % 7)).toFixed(8);
  csv += `${r},${loss},${(1 + (r % 13) / 10).toFixed(8)},${(3e-4 * (1 - r / CSV_ROWS)).toFixed(10)}\n`;
}

export const files = { 'split/metrics.csv': csv };

const diag = async (vs, code, rel) => (await vs.diagnostics()).find((d) => d.code === code && d.file === vs.file(rel));

export const tests = [
  {
    name: 'a 26 MB CSV split between two workers: the NaN in the second half is at its exact line',
    async fn(vs) {
      assert.ok(csv.length > 24 << 20);
      const d = await vs.waitFor(() => diag(vs, 'non-finite-loss', 'split/metrics.csv'), 60000, 'non-finite-loss on split/metrics.csv');
      assert.equal(d.line, CSV_NAN_LINE);
      assert.equal(await diag(vs, 'parse-error', 'split/metrics.csv'), undefined);
    },
  },
  {
    name: 'a 4 MB JSONL read by the worker: non-finite-loss at its exact line',
    async fn(vs) {
      assert.ok(jsonl.length > 1 << 20);
      vs.append('big.jsonl', jsonl); // a new log in the workspace
      const d = await vs.waitFor(() => diag(vs, 'non-finite-loss', 'big.jsonl'), 60000, 'non-finite-loss on big.jsonl');
      assert.equal(d.line, JSONL_NAN_LINE);
    },
  },

  {
    name: 'lines appended after the worker reads are followed with the right line numbers',
    async fn(vs) {
      vs.append('big.jsonl', `{"step": ${JSONL_LINES}, "loss": 0.5, "grad_norm": Infinity}\n`);
      vs.append('split/metrics.csv', `${CSV_ROWS},0.5,inf,0.0001\n`);
      const a = await vs.waitFor(() => diag(vs, 'non-finite-grad-norm', 'big.jsonl'), 30000, 'non-finite-grad-norm on the JSONL');
      assert.equal(a.line, JSONL_LINES + 1);
      const b = await vs.waitFor(() => diag(vs, 'non-finite-grad-norm', 'split/metrics.csv'), 30000, 'non-finite-grad-norm on the CSV');
      assert.equal(b.line, CSV_ROWS + 2);
    },
  },
];
