// Worker batches: whatever sequence of point / block / rows calls a parser makes, replaying the batches
// (several take() calls, rows of one shape merged into one op, columns handed over without copies) gives
// the same points, in the same order per series, as the calls themselves.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { applyBatch, BatchSink } from '../../../src/ingest/batch';
import type { Sink } from '../../../src/ingest/sink';

type Pt = [number, number, number, number, number, number]; // id, step, value, wall, epoch, line

/** A sink that flattens every call into points (keys by id). */
function recorder(): { sink: Sink; pts: Pt[]; keys: string[] } {
  const pts: Pt[] = [];
  const keys: string[] = [];
  const sink: Sink = {
    series: (key) => keys.push(key) - 1,
    point: (id, step, value, wall, epoch, line) => void pts.push([id, step, value, wall, epoch, line]),
    block: (id, n, step, value, off, wall, epoch, line) => {
      for (let i = 0; i < n; i++) pts.push([id, step[i]!, value[off + i]!, wall ? wall[i]! : NaN, epoch ? epoch[i]! : NaN, line[i]!]);
    },
    rows: (n, step, wall, epoch, line, k, ids, value, offs) => {
      for (let r = 0; r < n; r++)
        for (let j = 0; j < k; j++)
          pts.push([ids[j]!, step[r]!, value[offs[j]! + r]!, wall ? wall[r]! : NaN, epoch ? epoch[r]! : NaN, line[r]!]);
    },
    logit: () => undefined,
    error: () => undefined,
    meta: () => undefined,
  };
  return { sink, pts, keys };
}

/** Each series' points in order (the store appends per series: the order across series does not matter). */
const canon = (p: Pt[]): string =>
  JSON.stringify([0, 1, 2, 3].map((id) => p.filter((x) => x[0] === id).map((x) => x.map((v) => (v !== v ? 'NaN' : v)))));

const call = fc.oneof(
  fc.record({ t: fc.constant('point' as const), id: fc.integer({ min: 0, max: 3 }) }),
  fc.record({
    t: fc.constant('block' as const),
    id: fc.integer({ min: 0, max: 3 }),
    n: fc.integer({ min: 1, max: 300 }),
    wall: fc.boolean(),
  }),
  fc.record({
    t: fc.constant('rows' as const),
    shape: fc.integer({ min: 0, max: 2 }),
    n: fc.integer({ min: 1, max: 3000 }),
    epoch: fc.boolean(),
  }),
  fc.record({ t: fc.constant('take' as const) }),
);

describe('ingest/batch (worker batches)', () => {
  it('replaying the batches gives the calls’ points, in order per series', () => {
    fc.assert(
      fc.property(fc.array(call, { maxLength: 40 }), (calls) => {
        const direct = recorder();
        const via = recorder();
        const bs = new BatchSink();
        const ids: number[] = [];
        for (let i = 0; i < 4; i++) {
          bs.series(`s${i}`);
          direct.sink.series(`s${i}`);
        }
        let line = 1;
        const flush = (): void => applyBatch(bs.take().batch, via.sink, ids);
        // parser buffers are reused between calls: overwrite them after each call
        const step = new Float64Array(4096);
        const wall = new Float64Array(4096);
        const epoch = new Float64Array(4096);
        const lines = new Float64Array(4096);
        const value = new Float64Array(4 * 4096);
        const fill = (n: number, k: number): void => {
          for (let r = 0; r < n; r++) {
            step[r] = line;
            wall[r] = 1e12 + line;
            epoch[r] = line >> 4;
            lines[r] = line++;
          }
          for (let q = 0; q < k * 4096; q++) value[q] = Math.sin(line + q);
        };
        for (const c of calls) {
          if (c.t === 'take') flush();
          else if (c.t === 'point') {
            fill(1, 1);
            for (const s of [bs, direct.sink]) s.point(c.id, step[0]!, value[0]!, NaN, epoch[0]!, lines[0]!);
          } else if (c.t === 'block') {
            fill(c.n, 1);
            for (const s of [bs, direct.sink]) s.block!(c.id, c.n, step, value, 7, c.wall ? wall : undefined, undefined, lines);
          } else {
            fill(c.n, 3);
            const sid = Int32Array.from(c.shape === 0 ? [0, 1] : c.shape === 1 ? [2, 3, 1] : [3]);
            const offs = Int32Array.from([...sid].map((_, j) => j * 4096 + 3));
            for (const s of [bs, direct.sink])
              s.rows!(c.n, step, undefined, c.epoch ? epoch : undefined, lines, sid.length, sid, value, offs, c.shape);
          }
          value.fill(-1); // the parser reuses its buffers
        }
        flush();
        assert.equal(canon(via.pts), canon(direct.pts));
      }),
      { numRuns: 200 },
    );
  });
});
