// Worst-case cost of the console-text parser: time per byte stays flat from small to 1 MB lines for
// adversarial inputs. CPU time (process.cpuUsage), best of 3, so load on the machine does not make it flaky.
import * as assert from 'node:assert/strict';
import { TextParser } from '../../../src/ingest/parsers/text';
import { ADVERSARIAL } from './text-adversarial';
import { enc, RecSink } from './helpers';

function cpuNsPerByte(line: Uint8Array, patterns: string[] = []): number {
  let best = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    // small lines: repeat to get a measurable time; a fresh parser each time (no state carried over,
    // e.g. a progress bar's repeated counter)
    const times = Math.max(1, Math.floor(500_000 / line.length));
    const header = enc('Epoch [1/2]'); // so that anchor-less lines take the "under an epoch header" path too
    const parsers = Array.from({ length: times }, () => {
      const p = new TextParser(new RecSink(), patterns);
      p.line(header, 0, header.length, 1);
      return p;
    });
    const t0 = process.cpuUsage();
    for (let k = 0; k < times; k++) parsers[k]!.line(line, 0, line.length, 2);
    const d = process.cpuUsage(t0);
    best = Math.min(best, ((d.user + d.system) * 1000) / (times * line.length));
  }
  return best;
}

describe('ingest/text: cost is linear in the line (adversarial inputs)', function () {
  this.timeout(120_000);
  const table: string[] = [];
  after(() => {
    if (process.env.LOSSWATCH_BENCH_TEXT) console.log(`\n${table.join('\n')}`);
  });
  for (const [name, make] of Object.entries(ADVERSARIAL)) {
    it(`${name}: ns/byte at 1 MB < 5 × ns/byte at 10 KB; every size finishes`, () => {
      const small = enc(make(10_000));
      const big = enc(make(1_000_000));
      assert.ok(big.length > 900_000 && small.length > 9_000);
      const a = cpuNsPerByte(small);
      const b = cpuNsPerByte(big);
      const tiny = process.env.LOSSWATCH_BENCH_TEXT ? cpuNsPerByte(enc(make(100))) : NaN;
      table.push(
        `${name.padEnd(32)} 100 B ${tiny.toFixed(1).padStart(6)}  10 KB ${a.toFixed(1).padStart(6)}  1 MB ${b.toFixed(1).padStart(6)} ns/B  ratio ${(b / a).toFixed(2)}`,
      );
      assert.ok(b < 5 * Math.max(a, 1), `${name}: ${a.toFixed(1)} ns/B at 10 KB, ${b.toFixed(1)} ns/B at 1 MB`);
    });
  }
  it('a user pattern that backtracks catastrophically elsewhere stays linear on RE2', () => {
    const make = (n: number): string => `${'a'.repeat(n - 1)}!`;
    const pat = ['^(?<loss>a+)+$'];
    const a = cpuNsPerByte(enc(make(10_000)), pat);
    const b = cpuNsPerByte(enc(make(1_000_000)), pat);
    table.push(
      `${'user ^(a+)+$ on a…a!'.padEnd(32)} 10 KB ${a.toFixed(1).padStart(6)}  1 MB ${b.toFixed(1).padStart(6)} ns/B  ratio ${(b / a).toFixed(2)}`,
    );
    assert.ok(b < 5 * Math.max(a, 1), `${a.toFixed(1)} vs ${b.toFixed(1)} ns/B`);
  });
});
