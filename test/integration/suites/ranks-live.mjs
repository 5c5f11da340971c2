// rank-stalled by time in a real VS Code: a two-rank job (job/rank0.jsonl, job/rank1.jsonl) where rank 1
// stops writing while rank 0 keeps appending (still behind rank 1 in steps, so the by-steps check cannot
// fire for rank 1). With losswatch.checks.rankStall.seconds = 1 the threshold is 10 × rank 0's write
// interval (a few seconds); rank 1 must get rank-stalled, and lose it as soon as it writes again.
import assert from 'node:assert/strict';

export const name = 'ranks-live';
export const timeoutMs = 90000;

const lines = (from, to) => {
  let s = '';
  for (let i = from; i <= to; i++) s += `{"step": ${i}, "loss": ${(2 / (1 + i / 50)).toFixed(6)}}\n`;
  return s;
};

export const files = { 'job/rank0.jsonl': lines(0, 4), 'job/rank1.jsonl': lines(0, 299) };
export const settings = { 'losswatch.checks.rankStall.seconds': 1 };

const stalledOn = async (vs, rel) => (await vs.diagnostics()).find((d) => d.code === 'rank-stalled' && d.file === vs.file(rel));

export const tests = [
  {
    name: 'a rank that stops writing while another keeps writing gets rank-stalled (by time)',
    async fn(vs) {
      await vs.waitFor(async () => (await vs.host.extension('losswatch.losswatch')).isActive, 20000, 'LossWatch to activate');
      // rank 0 is behind by steps from the start: its by-steps rank-stalled shows that the run is loaded
      await vs.waitFor(() => stalledOn(vs, 'job/rank0.jsonl'), 30000, 'the run loaded (rank 0 behind by steps)');
      assert.equal(await stalledOn(vs, 'job/rank1.jsonl'), undefined, 'rank 1 is ahead and has just written');
      let step = 5;
      let last = 0;
      const d = await vs.waitFor(
        async () => {
          // rank 0 writes 5 steps at least 300 ms apart (it reaches rank 1's step 299 only after ~18 s)
          if (Date.now() - last >= 300 && step < 290) {
            vs.append('job/rank0.jsonl', lines(step, step + 4));
            step += 5;
            last = Date.now();
          }
          return stalledOn(vs, 'job/rank1.jsonl');
        },
        40000,
        'rank-stalled on rank 1 while rank 0 keeps writing',
        50,
      );
      assert.match(d.message, /^Rank 1 has not written for \d+ s \(last at step 299 \(line 300\)\) while rank 0 kept writing/);
      assert.equal(d.line, 300, "on rank 1's last line");
      assert.ok(step < 290, 'found before rank 0 caught up');
    },
  },
  {
    name: 'the rank writes again: its rank-stalled clears',
    async fn(vs) {
      vs.append('job/rank1.jsonl', lines(300, 300));
      await vs.waitFor(async () => (await stalledOn(vs, 'job/rank1.jsonl')) === undefined, 20000, 'rank-stalled on rank 1 to clear');
    },
  },
];
