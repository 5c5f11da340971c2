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
          if (timed && i % 5)
            assert.ok(Math.abs(s.wall(i) - (1.7e12 + i)) <= 1, `wall of point ${i}`); // f32 seconds from the series base
          else assert.ok(Number.isNaN(s.wall(i)));
        }
        assert.ok(Number.isNaN(s.step(lines.length)) && Number.isNaN(s.value(-1)));
        assert.deepEqual([...s.values()].slice(0, 3), [0, 1 / 3, 2 / 3].slice(0, Math.min(3, lines.length)));
      }),
      { numRuns: 40 },
    );
  });
});

describe('ingest/store: shared rows', () => {
  it('series on shared rows read back exactly like series fed point by point (joins, divergence, sparse blocks, later columns)', () => {
    // per block: n rows; per series: on every row (rows call), on some rows (gathered block), absent,
    // or fed with single appends
    const mode = fc.constantFrom('rows', 'rows', 'rows', 'sparse', 'absent', 'points');
    const blk = fc.record({
      n: fc.integer({ min: 1, max: 2500 }),
      jump: fc.integer({ min: 0, max: 3 }),
      epochs: fc.boolean(),
      modes: fc.tuple(mode, mode, mode),
      file: fc.constantFrom(0, 0, 0, 1),
    });
    fc.assert(
      fc.property(fc.array(blk, { minLength: 1, maxLength: 7 }), (blocks) => {
        const run = new RunStore('r', 'r', '/x', 'csv');
        run.fileIndex('/x/a.csv', false);
        run.fileIndex('/x/b.csv', false);
        const sh = [0, 1, 2].map((k) => run.ensureSeries(`s${k}`, 'other', 'none'));
        const ref = [0, 1, 2].map((k) => run.ensureSeries(`ref${k}`, 'other', 'none'));
        let ln = 1;
        let row = 0;
        for (const b of blocks) {
          const step = new Float64Array(b.n);
          const epoch = new Float64Array(b.n);
          const line = new Float64Array(b.n);
          const value = new Float64Array(3 * b.n);
          ln += b.jump;
          for (let q = 0; q < b.n; q++, row++) {
            step[q] = row * 3;
            epoch[q] = Math.floor(row / 700);
            line[q] = ln++;
            for (let k = 0; k < 3; k++) value[k * b.n + q] = row % 13 === k ? NaN : row / (k + 2);
          }
          const ep = b.epochs ? epoch : undefined;
          const rows = run.sharedRows(b.file);
          const before = rows.length;
          rows.appendRowBlock(b.n, step, ep, line, b.file);
          for (let k = 0; k < 3; k++) {
            const m = b.modes[k];
            const s = sh[k]!;
            for (let q = 0; q < b.n; q++) {
              if (m === 'absent' || (m === 'sparse' && q % 3 === 1)) continue;
              ref[k]!.append(step[q]!, value[k * b.n + q]!, NaN, ep ? ep[q]! : NaN, line[q]!, b.file);
              if (m === 'points') s.append(step[q]!, value[k * b.n + q]!, NaN, ep ? ep[q]! : NaN, line[q]!, b.file);
            }
            if (m === 'rows') s.appendRows(rows, before, b.n, value, k * b.n, step, ep, line, b.file);
            else if (m === 'sparse') {
              const idx = Array.from({ length: b.n }, (_, q) => q).filter((q) => q % 3 !== 1);
              const pick = (a: Float64Array, off = 0): Float64Array => Float64Array.from(idx, (q) => a[off + q]!);
              s.appendBlock(idx.length, pick(step), pick(value, k * b.n), 0, undefined, ep ? pick(ep) : undefined, pick(line), b.file);
            }
          }
        }
        for (let k = 0; k < 3; k++) {
          const a = ref[k]!;
          const s = sh[k]!;
          assert.equal(s.length, a.length);
          for (let q = 0; q < a.length; q++) {
            if (!(
              Object.is(s.step(q), a.step(q)) &&
              Object.is(s.value(q), a.value(q)) &&
              Object.is(s.epoch(q), a.epoch(q)) &&
              Object.is(s.wall(q), a.wall(q))
            ))
              assert.fail(`series ${k} point ${q}`);
            const pa = a.provenance(q);
            const ps = s.provenance(q);
            if (pa.file !== ps.file || pa.line !== ps.line) assert.deepEqual(ps, pa, `provenance of series ${k} point ${q}`);
          }
          assert.deepEqual(s.steps(), a.steps());
          assert.deepEqual(s.values(), a.values());
          assert.ok(Number.isNaN(s.step(a.length)) && Number.isNaN(s.epoch(-1)));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('three dense columns keep one step column: < 11.5 B/point instead of 16', () => {
    const run = new RunStore('r', 'r', '/x', 'csv');
    const fi = run.fileIndex('/x/a.csv', false);
    const s = [0, 1, 2].map((k) => run.ensureSeries(`s${k}`, 'other', 'none'));
    const n = 4096;
    const step = new Float64Array(n);
    const line = new Float64Array(n);
    const value = new Float64Array(3 * n);
    for (let b = 0; b < 25; b++) {
      for (let q = 0; q < n; q++) {
        step[q] = b * n + q;
        line[q] = b * n + q + 2;
        value[q] = value[n + q] = value[2 * n + q] = q / 7;
      }
      const rows = run.sharedRows(fi);
      const before = rows.length;
      rows.appendRowBlock(n, step, undefined, line, fi);
      for (let k = 0; k < 3; k++) s[k]!.appendRows(rows, before, n, value, k * n, step, undefined, line, fi);
    }
    const fp = run.footprint();
    assert.equal(fp.points, 3 * 25 * n);
    assert.ok(fp.bytes / fp.points < 11.5, `${fp.bytes / fp.points} B/point`);
    assert.deepEqual(s[1]!.provenance(12345), { file: '/x/a.csv', line: 12347 });
    run.reset();
    assert.equal(run.footprint().bytes, 0);
  });
});
