// The JSONL line template (keys/separators learnt from the previous line) must give exactly what the
// byte scanner / tolerant parser give for each line on its own, whatever the mix of line layouts.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { LineReader } from '../../../src/ingest/lines';
import { CsvParser } from '../../../src/ingest/parsers/csv';
import { JsonlParser } from '../../../src/ingest/parsers/jsonl';
import { enc, RecSink } from './helpers';

/** A RecSink that also takes `rows` (the template's pending blocks), recorded as points. */
class RowsRecSink extends RecSink {
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
    for (let r = 0; r < n; r++)
      for (let j = 0; j < k; j++)
        this.point(ids[j]!, step[r]!, value[offs[j]! + r]!, wall ? wall[r]! : NaN, epoch ? epoch[r]! : NaN, line[r]!);
  }
}

const num = fc.oneof(
  fc.integer({ min: -1e6, max: 1e6 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.constantFrom('-0', '1e5', '2.5E-3', '0.0003000000000', '123456789012345678', 'NaN', '-Infinity', '01', '1.', '-'),
);
const layouts: ((n: string, x: string, y: string) => string)[] = [
  (n, x) => `{"step": ${n}, "loss": ${x}}`,
  (n, x) => `{"step":${n},"loss":${x}}`,
  (n, x) => `{"loss": ${x}, "step": ${n}}`,
  (n, x, y) => `{"step": ${n}, "loss": ${x}, "acc": ${y}}`,
  (n, x, y) => `{"step": ${n}, "loss": ${x}, "lossy": ${y}}`,
  (n, x) => `{"step": ${n}, "los": ${x}}`,
  (n, x) => `{"step": ${n}, "loss":${x}}`,
  (n, x) => `{"step":${n}, "loss": ${x}}`,
  (n, x) => `{"step": ${n},"loss": ${x}}`,
  (n) => `{"step": ${n}, "loss": "nan"}`,
  (n, x) => `{"step": ${n}, "loss": ${x}}  `,
  (n, x) => `  {"step": ${n}, "loss": ${x}}`,
  (n, x) => `{"step": ${n}, "loss": ${x}}\r`,
  (n, x) => `{"step": ${n}, "loss": ${x}}}`,
  (n, x) => `{"step": ${n}, "loss": ${x},}`,
  (n, x) => `{"step": ${n}, "loss": ${x}, "split": "val"}`,
  (n, x) => `{"step": ${n}, "loss": ${x}, "split": "train"}`,
  (n, x, y) => `{"step": ${n}, "epoch": ${y}, "split": "train", "loss": ${x}, "grad_norm": ${y}}`,
  (n, x, y) => `{"step": ${n}, "epoch": ${y}, "split": "val", "loss": ${x}, "accuracy": ${y}}`,
  (n, x, y) => `{"step": ${n}, "split": "val", "loss": ${x}, "val_loss": ${y}}`,
  (n, x) => `{"split": "val", "step": ${n}, "loss": ${x}}`,
  (n, x) => `{"step": ${n}, "split": "te\\"st", "loss": ${x}}`,
  (n, x) => `{"step": ${n}, "split": 3, "loss": ${x}}`,
  (n, x) => `{"step": ${n}, "train": {"loss": ${x}}}`,
  (n, x) => `{"step": ${n}, "loss": ${x}, "ok": true}`,
  (n, x, y) => `{"epoch": ${y}, "loss": ${x}, "timestamp": 1700000000.5}`,
  (n, x) => `{"step": ${n}, "loss": ${x}`,
  () => '',
];
const line = fc.tuple(fc.nat({ max: layouts.length - 1 }), num, num, num).map(([k, a, x, y]) => layouts[k]!(a, x, y));

type Norm = { pts: unknown[]; errs: unknown[] };
const norm = (s: RecSink): Norm => ({
  pts: s.points.map((p) => [
    p.key,
    p.hint,
    Object.is(p.step, NaN) ? 'NaN' : p.step,
    Object.is(p.value, NaN) ? 'NaN' : p.value,
    p.wall,
    Object.is(p.epoch, NaN) ? 'NaN' : p.epoch,
    p.line,
  ]),
  errs: s.errors.map((e) => [e.line, e.message]),
});

describe('ingest/jsonl line template', () => {
  it('a file read at once = each line parsed by a fresh parser', () => {
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 30 }), (lines) => {
        const text = lines.join('\n') + '\n';
        const whole = new RecSink();
        const r = new LineReader(new JsonlParser(whole, 'f'), whole);
        r.push(enc(text));
        r.finish();
        // reference: every line alone (no template or key layout kept), records counted as usual
        const ref = new RecSink();
        const p = new JsonlParser(ref, 'f');
        lines.forEach((l, i) => {
          p.restore(p.snapshot());
          const b = enc(l.endsWith('\r') ? l.slice(0, -1) : l);
          p.line(b, 0, b.length, i + 1);
        });
        assert.deepEqual(norm(whole), norm(ref));
      }),
      { numRuns: 300 },
    );
  });
  it('with row blocks (train and val templates side by side): every series gets the same points in line order', () => {
    const shaped = fc.oneof(
      line,
      fc.tuple(fc.nat({ max: 3 }), num, num, num).map(([k, a, x, y]) => layouts[16 + k]!(a, x, y)),
    );
    fc.assert(
      fc.property(fc.array(shaped, { minLength: 1, maxLength: 60 }), fc.nat({ max: 59 }), (lines, cut) => {
        const text = lines.join('\n') + '\n';
        const whole = new RowsRecSink();
        const r = new LineReader(new JsonlParser(whole, 'f'), whole);
        const b = enc(text);
        const at = Math.min(b.length, Math.floor((b.length * cut) / 59));
        r.push(b.subarray(0, at));
        r.push(b.subarray(at));
        r.finish();
        const ref = new RecSink();
        const p = new JsonlParser(ref, 'f');
        lines.forEach((l, i) => {
          p.restore(p.snapshot());
          const lb = enc(l.endsWith('\r') ? l.slice(0, -1) : l);
          p.line(lb, 0, lb.length, i + 1);
        });
        // per series in emission order (blocks of different series may interleave differently)
        const bySeries = (x: Norm): unknown[] =>
          [...(x.pts as unknown[][])].sort((a, c) => (String(a[0]) < String(c[0]) ? -1 : String(a[0]) > String(c[0]) ? 1 : 0));
        const w = norm(whole);
        const f = norm(ref);
        assert.deepEqual(bySeries(w), bySeries(f));
        assert.deepEqual(w.errs, f.errs);
      }),
      { numRuns: 300 },
    );
  });
  it('CSV fast rows = the general row parser', () => {
    const cell = fc.oneof(num, fc.constantFrom('', ' 1.5', '1.5 ', 'nan', '-inf', '"2"', 'abc', '+.5', '5.'));
    fc.assert(
      fc.property(fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 20 }), (rows) => {
        const text = 'step,loss,acc,lr\n' + rows.map((r) => r.join(',')).join('\n') + '\n';
        const whole = new RecSink();
        const r = new LineReader(new CsvParser(whole), whole);
        r.push(enc(text));
        const ref = new RecSink();
        const byLine = new LineReader(new CsvParser(ref), ref);
        const bytes = enc(text);
        for (let i = 0; i < bytes.length; i++) byLine.push(bytes.subarray(i, i + 1)); // per-line path
        assert.deepEqual(norm(whole), norm(ref));
        // every metric cell of a well-formed row arrives with Number()'s value (or is absent)
        const cellValue = (c: string): number | undefined => {
          const t = c.trim().replace(/^"(.*)"$/, '$1');
          if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return Number(t);
          const nf: Record<string, number> = {
            nan: NaN,
            '-nan': NaN,
            '+nan': NaN,
            inf: Infinity,
            '+inf': Infinity,
            infinity: Infinity,
            '+infinity': Infinity,
            '-inf': -Infinity,
            '-infinity': -Infinity,
          };
          return nf[t.toLowerCase()];
        };
        rows.forEach((cells, i) => {
          if (cells.length !== 4) return;
          const want = ['loss', 'acc', 'lr'].flatMap((k, c) => {
            const v = cellValue(cells[c + 1]!);
            return v === undefined ? [] : [[k, Object.is(v, NaN) ? 'NaN' : v]];
          });
          const got = whole.points.filter((p) => p.line === i + 2).map((p) => [p.key, Object.is(p.value, NaN) ? 'NaN' : p.value]);
          assert.deepEqual(got, want, `line ${i + 2}: ${cells.join(',')}`);
        });
      }),
      { numRuns: 300 },
    );
  });
});
