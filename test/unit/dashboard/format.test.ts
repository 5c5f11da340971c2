import assert from 'node:assert/strict';
import { fmtNumber, fmtTicks } from '../../../webview/format';

describe('dashboard: tick and value formatting (format.ts)', () => {
  it('learning-rate ticks are compact exponents: 9e-4, 1e-3', () => {
    const ticks = Array.from({ length: 11 }, (_, i) => i * 1e-4);
    assert.deepEqual(fmtTicks(ticks), ['0', '1e-4', '2e-4', '3e-4', '4e-4', '5e-4', '6e-4', '7e-4', '8e-4', '9e-4', '1e-3']);
  });

  it('large values: 1e17, 1.5e17, no "+" and no trailing zeros', () => {
    assert.deepEqual(fmtTicks([0, 5e16, 1e17, 1.5e17]), ['0', '5e16', '1e17', '1.5e17']);
    assert.equal(fmtNumber(1.5e36), '1.5e36');
    assert.equal(fmtNumber(1.23456e17), '1.2346e17');
    assert.equal(fmtNumber(-2.5e-7), '-2.5e-7');
  });

  it('plain ticks have no float noise nor trailing zeros', () => {
    assert.deepEqual(fmtTicks([0, 0.5, 1, 1.5, 2, 2.5]), ['0', '0.5', '1', '1.5', '2', '2.5']);
    assert.deepEqual(fmtTicks([0.1, 0.2, 0.30000000000000004]), ['0.1', '0.2', '0.3']);
    assert.deepEqual(fmtTicks([0, 2000, 4000]), ['0', '2000', '4000']);
  });

  it('neighbouring ticks stay distinct when the step is small relative to the value', () => {
    const t = fmtTicks([1.001e-3, 1.002e-3, 1.003e-3]);
    assert.equal(new Set(t).size, 3, t.join(' '));
    const p = fmtTicks([100.25, 100.5, 100.75]);
    assert.deepEqual(p, ['100.25', '100.5', '100.75']);
  });

  it('log axes format each tick on its own', () => {
    assert.deepEqual(fmtTicks([0.01, 0.1, 1, 10, 100], true), ['0.01', '0.1', '1', '10', '100']);
    assert.deepEqual(fmtTicks([1e-5, 2e-5, 5e-5, 1e-4], true), ['1e-5', '2e-5', '5e-5', '1e-4']);
    // Over a decade or more only 1, 2, 5 × 10^k are labelled (no pile-up under each power of ten).
    assert.deepEqual(fmtTicks([0.2, 0.4, 0.6, 0.8, 1, 2, 4, 6, 8, 10, 20], true), [
      '0.2',
      '0.4',
      '',
      '',
      '1',
      '2',
      '4',
      '',
      '',
      '10',
      '20',
    ]);
    assert.deepEqual(fmtTicks([0.5, 0.6, 0.8, 1, 2, 4, 5], true), ['0.5', '', '', '1', '2', '', '5']);
    assert.deepEqual(fmtTicks([1e-3, 2e-3, 1e-2, 0.1, 1, 5], true), ['0.001', '', '0.01', '0.1', '1', '']);
    // Less than a decade: every tick.
    assert.deepEqual(fmtTicks([2, 3, 4, 5, 6], true), ['2', '3', '4', '5', '6']);
  });

  it('values: 5 significant digits, non-finite spelled out', () => {
    assert.equal(fmtNumber(0.123456), '0.12346');
    assert.equal(fmtNumber(NaN), 'NaN');
    assert.equal(fmtNumber(0), '0');
  });
  it('log axis under a decade with many ticks labels whole mantissas only', () => {
    const v = [1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 2, 2.5, 3, 4];
    const l = fmtTicks(v, true);
    assert.deepEqual(
      l.filter((x) => x !== ''),
      ['1', '2', '3', '4'],
    );
  });
});
