// Live tailing in a real VS Code: the demo's simulated training process (scripts/demo-writer.mjs)
// appends to runs/live/log.jsonl while VS Code is open; LossWatch must follow the file and report the
// NaN at its exact line and the overfitting phase, and must not report a loss mismatch (the writer
// logs the exact cross-entropy of the rows it logs).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';

export const name = 'live';
export const workspace = 'live'; // runs/live/log.jsonl with one record, so LossWatch activates and watches it

const writer = fileURLToPath(new URL('../../../scripts/demo-writer.mjs', import.meta.url));

function runWriter(outDir) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [writer, '--out', outDir, '--interval', '15', '--seed', '7'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr.on('data', (c) => (err += c));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`demo-writer exited ${code}: ${err}`))));
  });
}

export const tests = [
  {
    name: 'the watched log is followed while a training process appends to it',
    async fn(vs) {
      const file = vs.file('runs/live/log.jsonl');
      await vs.waitFor(async () => (await vs.host.extension('losswatch.losswatch')).isActive, 20000, 'LossWatch to activate');
      await runWriter(vs.file('runs/live')); // truncates, then ~170 lines over ~2.5 s: healthy → overfitting → NaN
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      const nanLine = lines.findIndex((l) => /"loss":NaN/.test(l)) + 1;
      assert.ok(nanLine > 100, `the writer logged a NaN (line ${nanLine})`);
      const d = await vs.waitFor(
        async () => (await vs.diagnostics()).find((x) => x.file === file && x.code === 'non-finite-loss'),
        20000,
        'non-finite-loss on the live log',
      );
      assert.equal(d.line, nanLine, `the NaN diagnostic points at line ${nanLine}`);
      vs.nanLine = nanLine;
    },
  },
  {
    name: 'the overfitting phase is reported and the logged losses match the recomputation',
    async fn(vs) {
      const file = vs.file('runs/live/log.jsonl');
      const all = await vs.waitFor(
        async () => {
          const ds = (await vs.diagnostics()).filter((x) => x.file === file);
          return ds.some((x) => x.code === 'overfitting') ? ds : undefined;
        },
        20000,
        'an overfitting diagnostic on the live log',
      );
      const codes = all.map((x) => x.code);
      assert.ok(
        !codes.includes('loss-mismatch'),
        `no loss-mismatch expected, got ${JSON.stringify(all.filter((x) => x.code === 'loss-mismatch'))}`,
      );
      assert.ok(!codes.includes('parse-error'), `no parse-error expected: ${codes.join(', ')}`);
    },
  },
  {
    name: "the Problems panel lists the live run's NaN",
    async fn(vs) {
      const row = await vs.waitFor(
        async () => (await vs.problems()).find((t) => t.includes('non-finite-loss')),
        15000,
        'a non-finite-loss row',
      );
      assert.match(row, new RegExp(`\\[Ln ${vs.nanLine}, Col \\d+\\]`));
      await vs.screenshot('live-problems');
    },
  },
];
