// A short seeded fuzz run of every parser in the unit tests (the long one is `npm run fuzz`).
import * as assert from 'node:assert/strict';
import { fuzzParser, PARSERS } from './fuzzlib';

describe('security: fuzz smoke (seeded, short; npm run fuzz runs ≥ 1 M inputs per parser)', function () {
  this.timeout(60000);
  for (const p of PARSERS) {
    it(`${p}: no throw, valid inputs equal the reference, no input over the time bound`, () => {
      const s = fuzzParser(p, 400, 20240601 + p.length, 2000);
      assert.deepEqual(s.failures, [], JSON.stringify(s.failures.slice(0, 3)));
      assert.equal(s.inputs, 400);
      if (p !== 'text' && p !== 'npy') assert.ok(s.checked > 100, `${s.checked} inputs checked against the reference`);
    });
  }
});
