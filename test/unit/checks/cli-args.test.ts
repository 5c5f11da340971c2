// The option parser shared by `losswatch check` and `losswatch lint` (src/cli/args.ts).
import { strict as assert } from 'node:assert';
import { UsageError } from '../../../src/cli/args';
import { parseArgs } from '../../../src/cli/check';
import { parseLintArgs } from '../../../src/cli/lint';

describe('cli: shared option parsing (check and lint)', () => {
  for (const [name, parse] of [
    ['check', (a: string[]) => parseArgs(a)],
    ['lint', (a: string[]) => parseLintArgs(a)],
  ] as const) {
    it(`${name}: --flag value and --flag=value alike, -- ends the options, bad usage is a UsageError`, () => {
      assert.equal(parse(['--format', 'json', 'a']).format, 'json');
      assert.equal(parse(['--format=github', 'a']).format, 'github');
      assert.deepEqual(parse(['x', '--', '--format', '-y']).inputs, ['x', '--format', '-y']);
      assert.equal(parse(['--list']).list, true);
      assert.equal(parse(['-h']).help, true);
      assert.throws(() => parse(['--format']), UsageError);
      assert.throws(() => parse(['--format', 'xml']), UsageError);
      assert.throws(() => parse(['--nope']), UsageError);
      assert.throws(() => parse(['--severity', 'no-such-code=error']), UsageError);
    });
  }

  it('check: its own flags and severities become check options', () => {
    const a = parseArgs(['--patience', '5', '--min-delta=0.01', '--severity', 'overfitting=error', 'logs']);
    assert.deepEqual(a.options.overfitting, { patience: 5, minDelta: 0.01 });
    assert.deepEqual(a.options.severities, { overfitting: 'error' });
    assert.deepEqual(a.inputs, ['logs']);
    assert.throws(() => parseArgs(['--patience', '0']), UsageError);
    assert.throws(() => parseLintArgs(['--patience', '5']), UsageError); // not a lint flag
  });

  it('lint: lint codes only', () => {
    assert.throws(() => parseLintArgs(['--severity', 'overfitting=error']), UsageError);
  });
});
