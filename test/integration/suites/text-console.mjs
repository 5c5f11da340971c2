// Console-text logs in a real VS Code: nanoGPT output is read out of the box (a NaN loss is reported at
// its line), a log of adversarial lines and a catastrophic-backtracking user pattern do not stall the
// extension host, and a text log with no metric says so once.
import assert from 'node:assert/strict';

export const name = 'text-console';
export const workspace = 'smoke'; // train.jsonl activates LossWatch; training.log files are watched by default

const nano = [
  'number of parameters: 10.65M',
  'step 0: train loss 4.2874, val loss 4.2823',
  'iter 0: loss 4.2657, time 13500.54ms, mfu -100.00%',
  'iter 10: loss 3.1462, time 13.86ms, mfu 26.88%',
  'iter 20: loss nan, time 13.74ms, mfu 26.90%', // line 5
  'iter 30: loss 2.6184, time 13.75ms, mfu 26.92%',
].join('\n');
const evil = [
  `step${' '.repeat(99_990)}`, // cubic for the old anchor regex: hours on the extension host's thread
  `${'a'.repeat(40)}!`, // catastrophic for a backtracking engine with the user pattern below
  `step 1 ${'a'.repeat(99_990)}`,
  'step 2 | loss 2.5',
  'step 3 | loss inf', // line 5
].join('\n');
const noise = Array.from({ length: 240 }, (_, i) => `[${i}/240] Compiling module_${i}.c -O2 -Wall`).join('\n');

export const files = {
  'runs/nano/training.log': `${nano}\n`,
  'runs/evil/training.log': `${evil}\n`,
  'runs/noise/training.log': `${noise}\n`,
};
export const settings = { 'losswatch.textPatterns': ['^(?<step>a+)+$'] };
export const timeoutMs = 60000;

export const tests = [
  {
    name: 'nanoGPT console output: the NaN loss is reported at its line',
    async fn(vs) {
      const file = vs.file('runs/nano/training.log');
      const d = await vs.waitFor(
        async () => (await vs.diagnostics()).find((x) => x.file === file && x.code === 'non-finite-loss'),
        45000,
        'non-finite-loss on the nanoGPT log',
      );
      assert.equal(d.line, 5);
    },
  },
  {
    name: 'adversarial lines and a backtracking-prone user pattern do not stall the host',
    async fn(vs) {
      const file = vs.file('runs/evil/training.log');
      const d = await vs.waitFor(
        async () => (await vs.diagnostics()).find((x) => x.file === file && x.code === 'non-finite-loss'),
        45000,
        'non-finite-loss on the adversarial log',
      );
      assert.equal(d.line, 5);
      const t0 = Date.now();
      await vs.host.executeCommand('losswatch.recheckAll');
      assert.ok(Date.now() - t0 < 20000, 'the host answers');
    },
  },
  {
    name: 'a text log without any metric gets one information message',
    async fn(vs) {
      const file = vs.file('runs/noise/training.log');
      const d = await vs.waitFor(
        async () => (await vs.diagnostics()).find((x) => x.file === file && x.code === 'parse-error'),
        45000,
        'parse-error on the metric-less log',
      );
      assert.equal(d.severity, 'information');
      assert.match(d.message, /no metrics recognised in the first 200 lines/);
      assert.match(d.message, /^1 malformed record/);
      const nanoFile = vs.file('runs/nano/training.log');
      assert.ok(
        !(await vs.diagnostics()).some((x) => x.file === nanoFile && x.code === 'parse-error'),
        'no such message on the nanoGPT log',
      );
    },
  },
];
