// rank-stalled by time (watch mode): a rank whose log stops growing while another rank keeps writing.
// The times are passed in (no clock inside the core): every case here is deterministic.
import { strict as assert } from 'node:assert';
import { RankActivity, STALL_INTERVALS } from '../../../src/core/checks/ranks';
import { RunStore } from '../../../src/ingest/store';

/** A two-rank run: rank r logs `steps[r]` points of loss (one line per point). */
function run(steps: number[]): RunStore {
  const store = new RunStore('/job', 'job', '/job', 'jsonl');
  steps.forEach((n, r) => {
    const f = store.fileIndex(`/job/rank${r}.jsonl`, false);
    const s = store.ensureSeries(`rank${r}/loss`, 'train_loss', 'train');
    for (let i = 1; i <= n; i++) s.append(i, 1 / i, NaN, NaN, i, f);
  });
  return store;
}

describe('rank-stalled by time (RankActivity)', () => {
  it('a rank silent for longer than the minimum while the other writes is stalled; writing again clears it', () => {
    const a = new RankActivity();
    const r = run([20, 12]);
    a.wrote(['rank0/loss', 'rank1/loss'], 0);
    // rank 0 writes every 100 s: 10 × 100 s exceeds the 60 s minimum, so the threshold is 1000 s
    for (let t = 100_000; t <= 1_000_000; t += 100_000) a.wrote(['rank0/loss'], t);
    assert.equal(a.thresholdMs(60_000), STALL_INTERVALS * 100_000);
    assert.deepEqual(a.drafts(r.series(), 60_000), [], 'silent for exactly the threshold: not yet');
    a.wrote(['rank0/loss'], 1_100_000);
    const d = a.drafts(r.series(), 60_000);
    assert.equal(d.length, 1);
    assert.equal(d[0]!.code, 'rank-stalled');
    assert.equal(d[0]!.file, '/job/rank1.jsonl');
    assert.equal(d[0]!.line, 12, "on the stalled rank's last line");
    assert.equal(d[0]!.step, 12);
    assert.match(d[0]!.message, /^Rank 1 has not written for 1100 s \(last at step 12 \(line 12\)\) while rank 0 kept writing/);
    assert.equal(d[0]!.related?.[0]?.file, '/job/rank0.jsonl');
    a.wrote(['rank1/loss'], 1_150_000);
    assert.deepEqual(a.drafts(r.series(), 60_000), [], 'the rank wrote again');
  });

  it('the threshold is the minimum when the ranks write often', () => {
    const a = new RankActivity();
    const r = run([30, 10]);
    a.wrote(['rank0/loss', 'rank1/loss'], 0);
    for (let t = 1000; t <= 60_000; t += 1000) a.wrote(['rank0/loss'], t);
    assert.equal(a.thresholdMs(60_000), 60_000);
    assert.deepEqual(a.drafts(r.series(), 60_000), [], '60 s is not longer than 60 s');
    a.wrote(['rank0/loss'], 61_000);
    assert.equal(a.drafts(r.series(), 60_000).length, 1);
  });

  it('nobody writing is no stall; one rank alone is no stall; series of no rank are ignored', () => {
    const a = new RankActivity();
    const r = run([10, 10]);
    a.wrote(['rank0/loss', 'rank1/loss'], 0);
    assert.deepEqual(a.drafts(r.series(), 1000), [], 'both silent since the same time');
    a.wrote(['loss', 'train/loss'], 10_000);
    assert.deepEqual(a.drafts(r.series(), 1000), []);
    const b = new RankActivity();
    b.wrote(['rank0/loss'], 0);
    b.wrote(['rank0/loss'], 100_000);
    assert.deepEqual(b.drafts(run([10]).series(), 1000), []);
  });

  it('clear() forgets the times (a run read again)', () => {
    const a = new RankActivity();
    const r = run([10, 5]);
    a.wrote(['rank0/loss', 'rank1/loss'], 0);
    for (let t = 100; t <= 2000; t += 100) a.wrote(['rank0/loss'], t);
    assert.equal(a.drafts(r.series(), 1000).length, 1);
    a.clear();
    a.wrote(['rank0/loss', 'rank1/loss'], 3000);
    assert.deepEqual(a.drafts(r.series(), 1000), []);
  });

  it('a clock that goes back never makes a rank look stalled', () => {
    const a = new RankActivity();
    const r = run([10, 10]);
    a.wrote(['rank0/loss', 'rank1/loss'], 50_000);
    a.wrote(['rank0/loss'], 1000); // clock set back: the later time is kept
    assert.deepEqual(a.drafts(r.series(), 1000), []);
  });
});
