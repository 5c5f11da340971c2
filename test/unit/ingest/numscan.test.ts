// The byte number scanner's fast path must be bit-identical to Number(text).
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { scanText } from '../../../src/ingest/numscan';

const JSON_NUM = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/;
const LOOSE_NUM = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

const same = (text: string, loose: boolean): void => {
  const want = (loose ? LOOSE_NUM : JSON_NUM).test(text) ? Number(text) : undefined;
  const got = scanText(text, loose);
  assert.ok(Object.is(got, want), `${JSON.stringify(text)} (loose=${loose}): got ${got}, Number() gives ${want}`);
};

const digits = (max: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', '8', '9'), { maxLength: max }).map((a) => a.join(''));
/** Decimal spellings from the number grammar (and near misses): sign, integer part, fraction, exponent. */
const spelled = fc
  .record({
    sign: fc.constantFrom('', '-', '+'),
    int: digits(24),
    dot: fc.boolean(),
    frac: digits(24),
    e: fc.option(fc.record({ ch: fc.constantFrom('e', 'E'), sign: fc.constantFrom('', '-', '+'), v: fc.integer({ min: 0, max: 400 }) })),
  })
  .map((r) => `${r.sign}${r.int}${r.dot ? '.' + r.frac : ''}${r.e ? r.e.ch + r.e.sign + r.e.v : ''}`);
/** How loggers print doubles: repr/shortest, toPrecision, toFixed, toExponential. */
const printed = fc
  .tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 1, max: 21 }), fc.integer({ min: 0, max: 20 }))
  .chain(([x, p, f]) => fc.constantFrom(String(x), x.toPrecision(p), Math.abs(x) < 1e21 ? x.toFixed(f) : String(x), x.toExponential(f)));

describe('ingest/numscan: fast number path equals Number()', () => {
  it('decimal spellings (strict JSON and loose CSV grammar)', () => {
    fc.assert(
      fc.property(spelled, (t) => {
        same(t, false);
        same(t, true);
      }),
      { numRuns: 4000 },
    );
  });
  it('doubles as loggers print them', () => {
    fc.assert(
      fc.property(printed, (t) => {
        same(t, false);
        same(t, true);
      }),
      { numRuns: 4000 },
    );
  });
  it('edge cases', () => {
    for (const t of [
      '0',
      '-0',
      '-0.0',
      '0.0e-400',
      '1e22',
      '1e23',
      '9007199254740991',
      '9007199254740993',
      '9007199254740992.5',
      '123456789012345678',
      '0.1',
      '0.3000000000000000444',
      '4.9e-324',
      '2.2250738585072014e-308',
      '1.7976931348623157e308',
      '1.8e308',
      '1e-400',
      '00',
      '01',
      '1.',
      '.5',
      '-',
      '+',
      '.',
      'e5',
      '1e',
      '1e+',
      '--1',
      '2.50790061802',
      '0.0003000000000',
    ]) {
      same(t, false);
      same(t, true);
    }
    assert.ok(Object.is(scanText('NaN'), NaN));
    assert.equal(scanText('Infinity'), Infinity);
    assert.equal(scanText('-Infinity'), -Infinity);
    assert.equal(scanText('-NaN'), undefined);
    assert.equal(scanText('Inf'), undefined);
  });
});
