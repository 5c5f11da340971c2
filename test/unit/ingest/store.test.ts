// The columnar store returns exactly what was appended (lines stored implicitly while consecutive).
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { RunStore } from '../../../src/ingest/store';

describe('ingest/store', () => {
  it('points read back as appended across chunks, line runs and breaks', () => {
    // runs of consecutive lines with jumps/repeats between them, long enough to cross chunk boundaries
    const runs = fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 9000 })), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(runs, fc.boolean(), (rs, timed) => {
        const run = new RunStore('r', 'r', '/x/log.jsonl', 'jsonl');
        run.fileIndex('/x/log.jsonl', false);
        const s = run.ensureSeries('loss', 'train_loss', 'train');
        const lines: number[] = [];
        for (const [start, len] of rs) for (let k = 0; k < len; k++) lines.push(start + k);
        lines.forEach((l, i) => s.append(i * 2, i / 3, timed && i % 5 ? 1.7e12 + i : NaN, Math.floor(i / 1000), l, 0));
        assert.equal(s.length, lines.length);
        const probe = [0, lines.length - 1, ...Array.from({ length: 200 }, (_, k) => Math.floor((k * lines.length) / 200))];
        for (const i of probe) {
          assert.equal(s.provenance(i).line, lines[i], `line of point ${i}`);
          assert.equal(s.step(i), i * 2);
          assert.equal(s.value(i), i / 3);
          assert.equal(s.epoch(i), Math.floor(i / 1000));
          if (timed && i % 5) assert.ok(Math.abs(s.wall(i) - (1.7e12 + i)) <= 1, `wall of point ${i}`); // f32 seconds from the series base
          else assert.ok(Number.isNaN(s.wall(i)));
        }
        assert.ok(Number.isNaN(s.step(lines.length)) && Number.isNaN(s.value(-1)));
        assert.deepEqual([...s.values()].slice(0, 3), [0, 1 / 3, 2 / 3].slice(0, Math.min(3, lines.length)));
      }),
      { numRuns: 40 },
    );
  });
});
