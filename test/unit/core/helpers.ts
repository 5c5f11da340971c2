// Shared helpers for the core tests: fixture loading and tolerance checks.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { readNpy } from '../../../src/core/npy';
import type { NDArray } from '../../../src/core/model';

export const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'torch');

export type JNum = number | 'NaN' | 'Infinity' | '-Infinity';

export function num(v: JNum): number {
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return v;
}

export function fixture(name: string): NDArray {
  return readNpy(path.join(FIXTURES, name));
}

export function manifest(): {
  cases: Array<{
    name: string;
    fn: 'ce' | 'bce' | 'softmax';
    dtype: 'f4' | 'f8';
    files: Record<string, string>;
    options?: { ignoreIndex: number; labelSmoothing: number };
    results: Record<string, Record<string, JNum | JNum[] | string> | string>;
  }>;
  npy: { ok: Array<{ file: string; dtype: string; shape: number[]; values: JNum[] }>; errors: Array<{ file: string; match: string }> };
} {
  return JSON.parse(readFileSync(path.join(FIXTURES, 'cases.json'), 'utf8'));
}

/** a ≈ b: identical NaN / ±inf pattern, else |a − b| ≤ rtol·|b| + atol. */
export function close(a: number, b: number, rtol: number, atol: number, what: string): void {
  if (Number.isNaN(b) || Number.isNaN(a)) {
    assert.ok(Number.isNaN(a) && Number.isNaN(b), `${what}: got ${a}, torch ${b}`);
    return;
  }
  if (!Number.isFinite(b) || !Number.isFinite(a)) {
    assert.equal(a, b, `${what}: got ${a}, torch ${b}`);
    return;
  }
  const err = Math.abs(a - b);
  assert.ok(
    err <= rtol * Math.abs(b) + atol,
    `${what}: got ${a}, torch ${b} (abs err ${err.toExponential(2)}, rel ${(err / Math.abs(b)).toExponential(2)})`,
  );
}

/**
 * Element-wise comparison of a gradient with rows of `rowLen` entries. The absolute floor is
 * relative to the row's max |g|, plus `absFloor`: p − 1 for a confident prediction is a cancellation
 * in torch too (torch's exp(logp) − 1 carries an absolute error of ~ulp(1) × the reduction scale).
 */
export function closeRows(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  rowLen: number,
  rtol: number,
  floor: number,
  what: string,
  absFloor = 0,
): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let r = 0; r * rowLen < b.length; r++) {
    let scale = 0;
    for (let k = r * rowLen; k < (r + 1) * rowLen; k++) if (Math.abs(b[k]) > scale) scale = Math.abs(b[k]);
    for (let k = r * rowLen; k < (r + 1) * rowLen; k++) close(a[k], b[k], rtol, floor * scale + absFloor, `${what}[${k}]`);
  }
}
