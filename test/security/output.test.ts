// Terminal and CI-log injection: file names and log text reach `losswatch check` output escaped.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatFindings } from '../../src/cli/check';
import { escapeText } from '../../src/cli/escape';
import type { Finding } from '../../src/core/model';
import { cli, tmpDir } from './helpers';

// every character class that must never reach a terminal raw
const EVIL = ['\x1b]0;pwned\x07', '\x1b[2J', '\r', '\n', '\x00', '\x7f', '\x9b31m', '\u2028', '\u2029', '\u202e', '\u2066', '\u200f', '\t'];
const RAW = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;

function finding(file: string, message: string): Finding {
  return { code: 'loss-spike', severity: 'warning', file, line: 3, column: 1, message, related: [{ file, line: 1, message }] };
}

describe('security: check output escaping', function () {
  this.timeout(60000);

  it('text: no control/bidi character survives in any field; one finding stays on its own lines', () => {
    const name = `/w/ev${EVIL.join('')}il.jsonl`;
    const out = formatFindings([finding(name, `msg ${EVIL.join('')} end`)], 'text', '/w');
    const lines = out.split('\n').filter(Boolean);
    assert.equal(lines.length, 2, out);
    for (const l of lines) assert.doesNotMatch(l, RAW);
    assert.match(lines[0]!, /^ev\\x1b\]0;pwned\\x07\\x1b\[2J.*il\.jsonl:3:1: warning loss-spike: msg /);
    assert.match(lines[0]!, /\\u202e/);
  });

  it('github: a file name cannot end the command or forge another one; properties and data escaped per GitHub rules', () => {
    const name = '/w/a,b:c%d\n::error file=x::forged.jsonl';
    const out = formatFindings([finding(name, 'line1\nline2 100% \x1b[31m')], 'github', '/w');
    const lines = out.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, out);
    assert.doesNotMatch(out.trimEnd(), RAW);
    const [, props, data] = /^::warning (.*?)::(.*)$/.exec(lines[0]!)!;
    assert.equal(props, 'file=a%2Cb%3Ac%25d\\x0a%3A%3Aerror file=x%3A%3Aforged.jsonl,line=3,col=1,title=LossWatch loss-spike');
    assert.equal(data, 'line1 line2 100%25 \\x1b[31m');
  });

  it('json: still valid JSON giving back the text, with DEL, C1, U+2028/2029 and bidi characters as \\u escapes', () => {
    const name = `/w/x${EVIL.join('')}.jsonl`;
    const out = formatFindings([finding(name, 'm\u202e\x9b')], 'json', '/w');
    assert.doesNotMatch(out.replace(/\n/g, ''), RAW); // newlines are the layout of the pretty-printed JSON
    const j = JSON.parse(out) as { file: string; message: string }[];
    assert.equal(j[0]!.file, `x${EVIL.join('')}.jsonl`);
    assert.equal(j[0]!.message, 'm\u202e\x9b');
    assert.equal(escapeText('a\x1b\u202eb'), 'a\\x1b\\u202eb');
  });

  it('end to end: a log file named with ESC, newline and ::warning:: through `losswatch check` (text and github)', async function () {
    const dir = tmpDir();
    try {
      const name = 'ev\x1b[31mil\n::warning file=a::x\u202e.jsonl';
      try {
        fs.writeFileSync(path.join(dir, name), '{"step":1,"loss":1}\n{"step":2,"loss":NaN}\n{"step":3,"loss":1}\n');
      } catch {
        this.skip(); // a file system without such names
      }
      for (const format of ['text', 'github', 'json']) {
        const r = await cli(['check', '.', '--format', format], { cwd: dir, timeoutMs: 30000 });
        assert.equal(r.code, 1, r.err);
        assert.ok(r.out.length > 0);
        assert.doesNotMatch(
          r.out.replace(/\n$/, '').replace(/\n/g, format === 'github' ? '\u0000' : ' '),
          format === 'github' ? /\u0000/ : /\x1b|\u202e/,
        );
        if (format !== 'json') assert.doesNotMatch(r.out, /^::warning/m);
        assert.doesNotMatch(r.out, /\x1b|\u202e/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
