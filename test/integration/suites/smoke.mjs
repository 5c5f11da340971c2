// Smoke test of LossWatch itself in a real VS Code: it activates on a workspace with a .jsonl log,
// one of its commands runs, and the non-finite-loss diagnostic it publishes for the NaN at line 5
// shows in the Problems panel of the browser (read from the DOM, screenshot saved).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';

export const name = 'smoke';
export const workspace = 'smoke'; // train.jsonl: steps 1..6, step 5 logs "loss": NaN (line 5)

const NAN_LINE = 5;

export const tests = [
  {
    name: 'the extension activates on a workspace with a .jsonl log',
    async fn(vs) {
      await vs.waitFor(async () => (await vs.host.extension('losswatch.losswatch')).isActive, 20000, 'losswatch.losswatch to be active');
    },
  },
  {
    name: 'its commands are registered and losswatch.recheckAll runs',
    async fn(vs) {
      const cmds = await vs.host.commands('losswatch.');
      for (const id of ['losswatch.recheckAll', 'losswatch.openDashboard', 'losswatch.watchFile']) {
        assert.ok(cmds.includes(id), `command ${id} registered (have: ${cmds.join(', ') || 'none'})`);
      }
      await vs.host.executeCommand('losswatch.recheckAll');
    },
  },
  {
    name: 'a non-finite-loss diagnostic is published at the NaN line',
    async fn(vs) {
      const file = vs.file('train.jsonl');
      const d = await vs.waitFor(
        async () => (await vs.diagnostics()).find((x) => x.code === 'non-finite-loss' && x.file === file),
        20000,
        'a non-finite-loss diagnostic on train.jsonl',
      );
      assert.equal(d.line, NAN_LINE);
      assert.ok(['error', 'warning'].includes(d.severity), `severity ${d.severity}`);
      assert.match(d.message, /nan|non-finite/i);
    },
  },
  {
    name: 'the diagnostic shows in the Problems panel (DOM + screenshot)',
    async fn(vs) {
      const row = await vs.waitFor(
        async () => (await vs.problems()).find((t) => t.includes('non-finite-loss')),
        15000,
        'a non-finite-loss row in the Problems panel',
      );
      assert.match(row, new RegExp(`\\[Ln ${NAN_LINE}, Col \\d+\\]`));
      const shot = await vs.screenshot('problems-panel');
      assert.ok(fs.statSync(shot).size > 10000, `screenshot ${shot} written`);
    },
  },
];
