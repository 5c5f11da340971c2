// Property test of the number scanner's Eisel–Lemire path: on more than a million printed doubles the
// scanner must give exactly Number(text). Python's repr (and printf spellings, exact halfway points,
// subnormals, 2^53 neighbours, exponents near ±308) from scripts/gen_doubles.py when /usr/bin/python3
// is there; JS's shortest spelling String(x) of random bit patterns always.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LineReader } from '../../../src/ingest/lines';
import { JsonlParser } from '../../../src/ingest/parsers/jsonl';
import { digitsTimesPow10, NumberScanner, scanText } from '../../../src/ingest/numscan';
import { RecSink } from './helpers';

/** Checks every line of `text`; returns how many lines were checked. */
function checkLines(text: string): number {
  const b = Buffer.from(text, 'latin1');
  const ns = new NumberScanner();
  let n = 0;
  let s = 0;
  for (let i = b.indexOf(10, s); i >= 0; s = i + 1, i = b.indexOf(10, s)) {
    if (i === s) continue;
    const want = Number(text.slice(s, i));
    const ok = ns.scan(b, s, i) && ns.pos === i && Object.is(ns.num, want);
    if (!ok) assert.fail(`${JSON.stringify(text.slice(s, i))}: scanner gives ${ns.num}, Number() gives ${want}`);
    n++;
  }
  return n;
}

describe('ingest/numscan: 17-digit doubles (Eisel–Lemire) equal Number()', () => {
  it('1 M random bit patterns printed by String(x), plus -x and toExponential(16)', () => {
    const buf = new ArrayBuffer(8);
    const u = new Uint32Array(buf);
    const f = new Float64Array(buf);
    let x = 0x9e3779b9;
    const next = (): number => (x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0);
    const parts: string[] = [];
    for (let k = 0; k < 1_000_000; k++) {
      u[0] = next();
      u[1] = next();
      const v = f[0]!;
      if (!Number.isFinite(v)) continue;
      parts.push(k % 3 === 0 ? v.toExponential(16) : String(v).replace(/^-/, k % 2 ? '-' : ''));
    }
    assert.ok(checkLines(parts.join('\n') + '\n') > 990_000);
  });

  it('the JSONL line template (its inline number path, exponents included) gives Number() on 300 k spellings', function () {
    this.timeout(120_000); // 3–9 s on this machine, more when it is shared
    const buf = new ArrayBuffer(8);
    const u = new Uint32Array(buf);
    const f = new Float64Array(buf);
    let x = 0x1234567;
    const next = (): number => (x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0);
    const spell: string[] = [];
    for (let k = 0; spell.length < 300_000; k++) {
      u[0] = next();
      u[1] = next();
      let v = f[0]!;
      // a third of the values near the magnitudes logs have (learning rates, losses), where Python
      // writes `9.5e-05` and `0.0009999500000000001`
      if (k % 3 === 0) v = (next() / 2 ** 32) * 10 ** ((next() % 12) - 8);
      if (!Number.isFinite(v)) continue;
      const forms = [
        String(v),
        v.toExponential(next() % 17),
        v.toExponential(16).replace('e', 'E'),
        v.toPrecision(1 + (next() % 21)),
        v.toFixed(next() % 21),
      ];
      spell.push(forms[k % forms.length]!.replace(/^-/, k % 2 ? '-' : ''));
    }
    // edge spellings: zeros with exponents, huge and tiny exponents, explicit plus signs
    spell.push(
      '0e5',
      '-0e-5',
      '0.0e999999',
      '1e22',
      '1e23',
      '9007199254740993e-5',
      '5e-324',
      '1e-400',
      '1.7976931348623157e308',
      '2e308',
      '1E+2',
      '123.456e-7',
    );
    const text = spell.map((t, i) => `{"step": ${i}, "lr": ${t}}\n`).join('');
    const sink = new RecSink();
    const r = new LineReader(new JsonlParser(sink, 'f'), sink);
    r.push(Buffer.from(text, 'latin1'));
    r.finish();
    const got = sink.points.filter((p) => p.key === 'lr');
    assert.equal(got.length, spell.length);
    for (let i = 0; i < spell.length; i++) {
      const want = Number(spell[i]);
      if (!Object.is(got[i]!.value, want)) assert.fail(`${spell[i]}: template gives ${got[i]!.value}, Number() gives ${want}`);
    }
  });

  it('1 M doubles printed by Python (repr, printf, halfway points, subnormals, ±308)', function () {
    this.timeout(120_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-doubles-'));
    try {
      const out = path.join(dir, 'doubles.txt');
      const fd = fs.openSync(out, 'w');
      const r = spawnSync('/usr/bin/python3', [path.join(__dirname, '../../../scripts/gen_doubles.py'), '1000000', '20261202'], {
        stdio: ['ignore', fd, 'pipe'],
      });
      fs.closeSync(fd);
      if (r.error || r.status !== 0) return this.skip(); // no Python 3 here
      assert.ok(checkLines(fs.readFileSync(out, 'latin1')) >= 1_000_000);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('named edge cases', () => {
    for (const t of [
      '9007199254740993',
      '9007199254740993.0',
      '9.007199254740993e15',
      '18014398509481985',
      '0.1000000000000000055511151231257827',
      '2.2250738585072011e-308',
      '2.2250738585072014e-308',
      '4.9406564584124654e-324',
      '2.4703282292062328e-324',
      '1.7976931348623157e308',
      '1.7976931348623158e308',
      '1.7976931348623159e308',
      '9999999999999999999e-400',
      '1e308',
      '1e-308',
      '123456789012345678901',
      '0.000000000000000000000000000012345678901234567',
      '7.2057594037927933e16',
      '1.00000000000000011102230246251565404236316680908203125',
    ]) {
      assert.ok(Object.is(scanText(t), Number(t)), t);
      assert.ok(Object.is(scanText('-' + t), -Number(t)), '-' + t);
    }
  });

  it('the fast path decides almost every 17-digit repr (Number() only for the ambiguous few)', () => {
    let undecided = 0;
    let x = 1;
    for (let k = 0; k < 100_000; k++) {
      x = (x * 48271) % 2147483647;
      const t = String(x / 2147483647 + 1e-9); // like a loss: 0.xxxxxxxxxxxxxxxxx
      const b = Buffer.from(t, 'latin1');
      const exp = t.includes('e') ? NaN : -(t.length - t.indexOf('.') - 1);
      if (Number.isNaN(exp)) continue;
      const v = digitsTimesPow10(b, 0, b.length, exp);
      if (v < 0) undecided++;
      else assert.equal(v, Number(t), t);
    }
    assert.ok(undecided < 600, `${undecided} of 100000 undecided`);
  });
});
