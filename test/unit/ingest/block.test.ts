// The bulk path: CSV rows handed to the sink in blocks (one `block` call per column) give exactly the
// points of the per-point path, and SeriesStore.appendBlock stores exactly what append() would.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { LineReader } from '../../../src/ingest/lines';
import { CsvParser } from '../../../src/ingest/parsers/csv';
import { JsonlParser } from '../../../src/ingest/parsers/jsonl';
import { RunStore, type SeriesStore } from '../../../src/ingest/store';
import { loadRuns } from '../../../src/ingest/index';
import { concat, enc, FIXTURES, RecSink, tmpDir } from './helpers';

/** A RecSink that also takes blocks (recorded as points, per series in order). */
class BlockSink extends RecSink {
  blocks = 0;
  block(
    id: number,
    n: number,
    step: Float64Array,
    value: Float64Array,
    off: number,
    wall: Float64Array | undefined,
    epoch: Float64Array | undefined,
    line: Float64Array,
  ): void {
    this.blocks++;
    for (let k = 0; k < n; k++) this.point(id, step[k]!, value[off + k]!, wall ? wall[k]! : NaN, epoch ? epoch[k]! : NaN, line[k]!);
  }
}

/** A BlockSink that also takes `rows` (dense columns of a block), recorded per series. */
class RowsSink extends BlockSink {
  rowCalls = 0;
  rows(
    n: number,
    step: Float64Array,
    wall: Float64Array | undefined,
    epoch: Float64Array | undefined,
    line: Float64Array,
    k: number,
    ids: Int32Array,
    value: Float64Array,
    offs: Int32Array,
  ): void {
    this.rowCalls++;
    for (let j = 0; j < k; j++) this.block(ids[j]!, n, step, value, offs[j]!, wall, epoch, line);
  }
}

const perSeries = (s: RecSink): Record<string, unknown[]> => {
  const out: Record<string, unknown[]> = {};
  for (const p of s.points)
    (out[p.key] ??= []).push([
      p.step,
      Object.is(p.value, -0) ? '-0' : Number.isNaN(p.value) ? 'NaN' : p.value,
      Number.isNaN(p.wall) ? 'NaN' : p.wall,
      Number.isNaN(p.epoch) ? 'NaN' : p.epoch,
      p.line,
    ]);
  return out;
};

function parse(sink: RecSink, bytes: Uint8Array, cuts: number[]): RecSink {
  const r = new LineReader(new CsvParser(sink), sink);
  let prev = 0;
  for (const c of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    r.push(bytes.slice(prev, c));
    prev = c;
  }
  r.push(bytes.slice(prev));
  r.finish();
  return sink;
}

// a cell: a number, empty (Lightning's sparse rows), a non-finite spelling, padding, text or quotes
const cell = fc.oneof(
  { weight: 6, arbitrary: fc.double({ noDefaultInfinity: true }).map((v) => String(v)) },
  { weight: 3, arbitrary: fc.integer({ min: -5, max: 100000 }).map(String) },
  { weight: 3, arbitrary: fc.constant('') },
  {
    weight: 1,
    arbitrary: fc.constantFrom('nan', 'inf', '-inf', ' 0.5 ', '"1.25"', 'abc', '1e-3', '.5', '+2', '0.1234567890123456789012345'),
  },
);

describe('ingest: CSV blocks', () => {
  it('block and per-point sinks get the same points per series (Lightning fixture, random sparse rows)', () => {
    const fixture = concat([fs.readFileSync(path.join(FIXTURES, 'lightning_metrics.csv')), enc('2,150,0.1,\n2,160,"0.2",0.3\nbad\n')]);
    const a = parse(new BlockSink(), fixture, []) as BlockSink;
    assert.deepEqual(perSeries(a), perSeries(parse(new RecSink(), fixture, [])));
    assert.ok(a.blocks > 0 && a.points.length > 0);
    const header = ['step,epoch,time,train_loss,val_loss,lr', 'epoch,loss,val_loss', 'a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t'];
    fc.assert(
      fc.property(
        fc.constantFrom(...header),
        fc.array(fc.array(cell, { minLength: 1, maxLength: 22 }), { maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.boolean(),
        (h, rows, cuts, crlf) => {
          const nl = crlf ? '\r\n' : '\n';
          const nc = h.split(',').length;
          // mostly rows of the right width (a few wrong ones are reported)
          const text =
            h + nl + rows.map((r, i) => (i % 7 === 3 ? r : Array.from({ length: nc }, (_, c) => r[c % r.length]!)).join(',')).join(nl) + nl;
          const bytes = enc(text);
          const blk = parse(new BlockSink(), bytes, cuts);
          const pts = parse(new RecSink(), bytes, []);
          const rws = parse(new RowsSink(), bytes, cuts);
          assert.deepEqual(perSeries(blk), perSeries(pts));
          assert.deepEqual(perSeries(rws), perSeries(pts));
          assert.deepEqual(blk.errors, pts.errors);
          assert.deepEqual(rws.errors, pts.errors);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a long dense log goes out in blocks with implicit lines, a sparse column gathered (store round trip)', () => {
    for (const shared of [false, true]) denseLog(shared);
  });
  function denseLog(shared: boolean): void {
    const rows: string[] = ['step,loss,val_loss'];
    for (let i = 0; i < 20000; i++)
      rows.push(`${i * 10},${(1 / (i + 1)).toPrecision(12)},${i % 1000 === 999 ? (2 / i).toPrecision(9) : ''}`);
    const bytes = enc(rows.join('\n') + '\n');
    const run = new RunStore('r', 'r', '/x/metrics.csv', 'csv');
    const fi = run.fileIndex('/x/metrics.csv', false);
    const byId: SeriesStore[] = [];
    const sink = shared ? new RowsSink() : new BlockSink();
    if (!shared) (sink as Partial<RowsSink>).rows = undefined;
    sink.series = (key) => (byId.push(run.ensureSeries(key, 'other', 'none')), byId.length - 1);
    sink.block = (id, n, step, value, off, wall, epoch, line) => {
      sink.blocks++;
      byId[id]!.appendBlock(n, step, value, off, wall, epoch, line, fi);
    };
    if (shared)
      (sink as RowsSink).rows = (n, step, wall, epoch, line, k, ids, value, offs) => {
        (sink as RowsSink).rowCalls++;
        const rows = run.sharedRows(fi);
        const before = rows.length;
        rows.appendRowBlock(n, step, epoch, line, fi);
        for (let j = 0; j < k; j++) byId[ids[j]!]!.appendRows(rows, before, n, value, offs[j]!, step, epoch, line, fi);
        assert.equal(wall, undefined);
      };
    parse(sink, bytes, [100000, 400000]);
    const loss = run.getSeries('loss')!;
    const val = run.getSeries('val_loss')!;
    assert.equal(loss.length, 20000);
    assert.equal(val.length, 20);
    for (const i of [0, 1, 4095, 4096, 8191, 8192, 12345, 19999]) {
      assert.equal(loss.step(i), i * 10);
      assert.equal(loss.value(i), Number((1 / (i + 1)).toPrecision(12)));
      assert.deepEqual(loss.provenance(i), { file: '/x/metrics.csv', line: i + 2 });
    }
    for (let k = 0; k < 20; k++) {
      const i = k * 1000 + 999;
      assert.equal(val.step(k), i * 10);
      assert.equal(val.value(k), Number((2 / i).toPrecision(9)));
      assert.equal(val.provenance(k).line, i + 2);
    }
    assert.ok(run.footprint().bytes / run.footprint().points < 24);
    if (shared) assert.ok((sink as RowsSink).rowCalls > 0);
  }
});

describe('ingest: JSONL template lines in rows', () => {
  it('a rows sink gets the same points per series, errors and logit records as the per-point sink', () => {
    const num = fc.oneof(
      { weight: 8, arbitrary: fc.double({ noDefaultInfinity: true, noNaN: true }).map((v) => String(v)) },
      { weight: 2, arbitrary: fc.integer({ min: -5, max: 100000 }).map(String) },
      { weight: 1, arbitrary: fc.constantFrom('NaN', 'Infinity', '-Infinity', '-0', '1e-3', '0.1234567890123456789012345') },
    );
    const line = fc.tuple(fc.integer({ min: 0, max: 9 }), num, num, fc.nat({ max: 100000 })).map(([kind, a, b, st]) => {
      switch (kind) {
        case 0:
        case 1:
        case 2:
          return `{"step": ${st}, "loss": ${a}, "lr": ${b}}`;
        case 3:
          return `{"step": ${st}, "epoch": ${st >> 4}, "loss": ${a}, "grad_norm": ${b}}`;
        case 4:
          return `{"step": ${st}, "loss": ${a}, "timestamp": ${1.7e9 + st}}`;
        case 5:
          return `{"step": ${st}, "train": {"loss": ${a}}}`;
        case 6:
          return `{"step": ${st}, "split": "val", "loss": ${a}}`;
        case 7:
          return `{"loss": ${a}, "lr": ${b}}`;
        case 8:
          return 'not json';
        default:
          return '';
      }
    });
    const parseJ = (sink: RecSink, bytes: Uint8Array, cuts: number[]): RecSink => {
      const r = new LineReader(new JsonlParser(sink, 'f'), sink);
      let prev = 0;
      for (const c of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
        r.push(bytes.slice(prev, c));
        prev = c;
      }
      r.push(bytes.slice(prev));
      r.finish();
      return sink;
    };
    const fixture = concat([fs.readFileSync(path.join(FIXTURES, 'metrics.jsonl')), fs.readFileSync(path.join(FIXTURES, 'logits.jsonl'))]);
    const a = parseJ(new RowsSink(), fixture, []) as RowsSink;
    const ref = parseJ(new RecSink(), fixture, []);
    assert.deepEqual(perSeries(a), perSeries(ref));
    assert.equal(a.logits.length, ref.logits.length);
    const many = enc(Array.from({ length: 3000 }, (_, i) => `{"step": ${i}, "loss": ${1 / (i + 1)}, "lr": 0.001}`).join('\n') + '\n');
    const m = parseJ(new RowsSink(), many, [12345]) as RowsSink;
    assert.deepEqual(perSeries(m), perSeries(parseJ(new RecSink(), many, [])));
    assert.ok(m.rowCalls >= 3 && m.rowCalls <= 6, `${m.rowCalls} rows calls`); // blocks of up to 1024 lines
    fc.assert(
      fc.property(
        fc.array(fc.tuple(line, fc.integer({ min: 1, max: 300 })), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.boolean(),
        (runs, cuts, crlf) => {
          // runs of the same line kind (templates that hold for a while, blocks that fill up)
          const lines: string[] = [];
          let st = 0;
          for (const [l, n] of runs) for (let k = 0; k < n; k++) lines.push(l.replace(/"step": \d+/, `"step": ${st++}`));
          const bytes = enc(lines.join(crlf ? '\r\n' : '\n') + '\n');
          const rws = parseJ(new RowsSink(), bytes, cuts) as RowsSink;
          const pts = parseJ(new RecSink(), bytes, []);
          assert.deepEqual(perSeries(rws), perSeries(pts));
          assert.deepEqual(rws.errors, pts.errors);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('ingest: CSV shared rows through loadRuns', () => {
  it('columns that share rows, leave them and come back dense read back like the per-point parse', async () => {
    // a, b dense (shared rows); both sparse for a while (they leave), then b dense alone, then a, b and
    // a new column c dense (c alone could share: private columns for all); a text cell in b later
    const rows = ['step,epoch,a,b,c'];
    for (let i = 0; i < 30000; i++) {
      const a = i < 5000 || i >= 9000 || i % 5 === 0 ? (i / 7).toPrecision(9) : '';
      const b = i >= 6000 && i < 7000 ? '' : i === 20000 ? 'x' : String(-i / 3);
      const c = i >= 12288 ? String(i % 97) : '';
      rows.push(`${i * 2},${i >> 12},${a},${b},${c}`);
    }
    const dir = tmpDir();
    try {
      const f = path.join(dir, 'metrics.csv');
      const text = rows.join('\n') + '\n';
      fs.writeFileSync(f, text);
      const [run] = await loadRuns([f]);
      const ref = parse(new RecSink(), enc(text), []);
      const want = perSeries(ref);
      const got: Record<string, unknown[]> = {};
      for (const s of run!.series()) {
        const pts: unknown[] = [];
        for (let i = 0; i < s.length; i++) {
          const v = s.value(i);
          pts.push([
            s.step(i),
            Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v,
            'NaN',
            Number.isNaN(s.epoch(i)) ? 'NaN' : s.epoch(i),
            s.provenance(i).line,
          ]);
        }
        got[s.key] = pts;
      }
      assert.deepEqual(got, want);
      const fp = (run as unknown as { footprint(): { bytes: number; points: number } }).footprint();
      assert.ok(fp.bytes / fp.points <= 24, `${fp.bytes / fp.points} B/point`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ingest/store: appendBlock', () => {
  it('stores exactly what append() stores, point by point', () => {
    const blk = fc.record({
      n: fc.integer({ min: 0, max: 3000 }),
      jump: fc.integer({ min: -3, max: 50 }), // line gap before the block (0: consecutive)
      gapEvery: fc.integer({ min: 0, max: 400 }), // a line gap inside the block every k points (0: none)
      epoch: fc.constantFrom('none', 'const', 'steps'),
      wall: fc.constantFrom('none', 'nan', 'some'),
      valueOff: fc.integer({ min: 0, max: 5 }),
      file: fc.integer({ min: 0, max: 1 }),
    });
    fc.assert(
      fc.property(fc.array(blk, { minLength: 1, maxLength: 8 }), (blocks) => {
        const run = new RunStore('r', 'r', '/x', 'csv');
        run.fileIndex('/x/a.csv', false);
        run.fileIndex('/x/b.csv', false);
        const a = run.ensureSeries('a', 'other', 'none');
        const b = run.ensureSeries('b', 'other', 'none');
        let ln = 1;
        let i = 0;
        for (const k of blocks) {
          const step = new Float64Array(k.n);
          const value = new Float64Array(k.n + k.valueOff);
          const epoch = new Float64Array(k.n);
          const wall = new Float64Array(k.n);
          const line = new Float64Array(k.n);
          ln = Math.max(1, ln + k.jump);
          for (let q = 0; q < k.n; q++, i++) {
            if (k.gapEvery > 0 && q > 0 && q % k.gapEvery === 0) ln += 3;
            step[q] = i * 2;
            value[k.valueOff + q] = i % 11 === 5 ? NaN : i / 7;
            epoch[q] = k.epoch === 'steps' ? Math.floor(i / 500) : k.epoch === 'const' ? 4 : NaN;
            wall[q] = k.wall === 'some' && q % 3 === 1 ? 1.7e12 + i * 1000 : NaN;
            line[q] = ln++;
          }
          const w = k.wall === 'none' ? undefined : wall;
          const e = k.epoch === 'none' ? undefined : epoch;
          b.appendBlock(k.n, step, value, k.valueOff, w, e, line, k.file);
          for (let q = 0; q < k.n; q++) a.append(step[q]!, value[k.valueOff + q]!, w ? w[q]! : NaN, e ? e[q]! : NaN, line[q]!, k.file);
        }
        assert.equal(b.length, a.length);
        for (let q = 0; q < a.length; q++) {
          assert.ok(Object.is(b.step(q), a.step(q)) && Object.is(b.value(q), a.value(q)), `point ${q}`);
          assert.ok(Object.is(b.wall(q), a.wall(q)) && Object.is(b.epoch(q), a.epoch(q)), `wall/epoch of point ${q}`);
          assert.deepEqual(b.provenance(q), a.provenance(q));
        }
      }),
      { numRuns: 60 },
    );
  });
});
