// Sidecars in a real VS Code: a readable sidecar batch is checked once its async read is done (its
// diagnostic and recomputed/loss point appear); a log naming a FIFO as its logits sidecar, and one
// naming a sidecar above losswatch.limits.sidecarMiB, get logits-unreadable at the record's line while
// the extension host keeps working (a NaN appended to the log right after is reported too).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

export const name = 'sidecars';
export const workspace = 'smoke';
export const settings = { 'losswatch.limits.sidecarMiB': 1 };
export const files = { 'runs/s/log.jsonl': '{"step": 1, "loss": 2.3}\n' };
export const timeoutMs = 60000;

function npyHeader(descr, shape) {
  let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  while ((10 + h.length + 1) % 64) h += ' ';
  h += '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head.writeUInt16LE(h.length, 8);
  return Buffer.concat([head, Buffer.from(h, 'latin1')]);
}

const manager = (expr) => `const m = vscode.extensions.getExtension('losswatch.losswatch').exports.manager; ${expr}`;

export const tests = [
  {
    name: 'a readable sidecar batch is checked after its async read: loss-mismatch at its line, a recomputed/loss point',
    async fn(vs) {
      const file = vs.file('runs/s/log.jsonl');
      await vs.waitFor(async () => (await vs.host.extension('losswatch.losswatch')).isActive, 20000, 'activation');
      await vs.waitFor(async () => vs.host.eval(manager('return !!m.runForFile(args.file);'), { file }), 20000, 'the log watched');
      // logits [[0, 0], [0, 0]] labels [0, 1]: cross-entropy log 2 = 0.693…; the log says 5
      fs.writeFileSync(vs.file('runs/s/z.npy'), Buffer.concat([npyHeader('<f4', [2, 2]), Buffer.alloc(16)]));
      fs.writeFileSync(vs.file('runs/s/y.npy'), Buffer.concat([npyHeader('<i8', [2]), Buffer.from(new BigInt64Array([0n, 1n]).buffer)]));
      vs.append('runs/s/log.jsonl', '{"step": 5, "logits_file": "z.npy", "labels_file": "y.npy", "loss": 5}\n');
      const d = await vs.waitFor(
        async () => (await vs.diagnostics()).find((x) => x.file === file && x.code === 'loss-mismatch'),
        30000,
        'loss-mismatch on the sidecar batch',
      );
      assert.equal(d.line, 2);
      assert.match(d.message, /\(0\.6931\d*\)/);
      const pts = await vs.waitFor(
        async () =>
          vs.host.eval(
            manager(
              "const s = m.runForFile(args.file).getSeries('recomputed/loss'); return s && s.length ? [s.step(0), s.value(0)] : undefined;",
            ),
            { file },
          ),
        20000,
        'the recomputed/loss point',
      );
      assert.equal(pts[0], 5);
      assert.ok(Math.abs(pts[1] - Math.LN2) < 1e-6);
    },
  },
  {
    name: 'a FIFO sidecar and an oversized sidecar: logits-unreadable at their lines, the host keeps working',
    async fn(vs) {
      if (process.platform === 'win32') return;
      const file = vs.file('runs/s/log.jsonl');
      await vs.waitFor(async () => (await vs.host.extension('losswatch.losswatch')).isActive, 20000, 'activation');
      execFileSync('mkfifo', [vs.file('runs/s/pipe.npy')]);
      const big = vs.file('runs/s/big.npy');
      fs.writeFileSync(big, npyHeader('<f4', [1024, 1024])); // 4 MiB > 1 MiB
      fs.truncateSync(big, 128 + 4 * 1024 * 1024);
      vs.append('runs/s/log.jsonl', '{"step": 2, "logits_file": "pipe.npy", "labels": [0], "loss": 1}\n');
      const d = await vs.waitFor(
        async () => (await vs.diagnostics()).find((x) => x.file === file && x.code === 'logits-unreadable'),
        30000,
        'logits-unreadable for the FIFO',
      );
      assert.equal(d.line, 3);
      assert.match(d.message, /pipe\.npy: not a regular file/);
      vs.append('runs/s/log.jsonl', '{"step": 3, "logits_file": "big.npy", "labels": [0], "loss": 1}\n{"step": 4, "loss": NaN}\n');
      const nan = await vs.waitFor(
        async () => (await vs.diagnostics()).find((x) => x.file === file && x.code === 'non-finite-loss'),
        30000,
        'non-finite-loss after the FIFO',
      );
      assert.equal(nan.line, 5);
      const u = await vs.waitFor(
        async () =>
          (await vs.diagnostics()).find(
            (x) => x.file === file && x.code === 'logits-unreadable' && /in 2 of 3 logged batches/.test(x.message),
          ),
        30000,
        'both unreadable batches counted',
      );
      assert.equal(u.line, 3);
    },
  },
];
