// Diagnostics on the real-world corpus, judged by hand: `losswatch check --format json` (the CLI, in process) runs
// on every case folder of test/fixtures/real and every diagnostic it raises must be judged in
// expected-diagnostics.json (`tp`/`fp` with the reasoning from the numbers). Runs judged healthy must get no
// Error; a judged true positive must still be raised; a judged false positive that is raised is pending only while
// known-gaps.json (`diagnostics`: "<file> <id>" → reason) lists it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run as check } from '../../../src/cli/check';

const REAL = path.resolve(__dirname, '../../fixtures/real');

interface Judged {
  severity: string;
  judgement: 'tp' | 'fp';
  why: string;
}
interface FileJudgement {
  healthy: boolean;
  note: string;
  diagnostics: Record<string, Judged>;
}
interface Raised {
  id: string;
  severity: string;
  message: string;
}

const judged = JSON.parse(fs.readFileSync(path.join(REAL, 'expected-diagnostics.json'), 'utf8')) as {
  files: Record<string, FileJudgement>;
};
const gaps = JSON.parse(fs.readFileSync(path.join(REAL, 'known-gaps.json'), 'utf8')) as { diagnostics: Record<string, string> };
const expectedFiles = Object.keys((JSON.parse(fs.readFileSync(path.join(REAL, 'expected.json'), 'utf8')) as { files: object }).files);

/** Same identity as scripts/corpus-diagnostics.mjs: code, quoted series, first `(line N)`/`(record N)` of the message. */
function diagnosticId(d: { code: string; message: string; line?: number }): string {
  const m = /'([^']*)'/.exec(d.message);
  const at = /\((line|record) (\d+)\)/.exec(d.message);
  return `${d.code} '${m ? m[1] : ''}' ${at ? `${at[1]} ${at[2]}` : `line ${d.line ?? 0}`}`;
}

async function checkJson(dir: string): Promise<{ file: string; line?: number; severity: string; code: string; message: string }[]> {
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  const werr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => {
    out += typeof s === 'string' ? s : Buffer.from(s).toString('utf8');
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    await check(['--format', 'json', dir]);
  } finally {
    process.stdout.write = write;
    process.stderr.write = werr;
  }
  try {
    return JSON.parse(out) as { file: string; line?: number; severity: string; code: string; message: string }[];
  } catch {
    return []; // no run in the folder: nothing raised
  }
}

describe('real-world corpus: diagnostics (expected-diagnostics.json)', function () {
  this.timeout(120_000);
  const raised = new Map<string, Raised[]>();

  before(async () => {
    for (const c of fs.readdirSync(REAL).sort()) {
      const dir = path.join(REAL, c);
      if (!fs.statSync(dir).isDirectory()) continue;
      for (const d of await checkJson(dir)) {
        const rel = path.relative(REAL, path.resolve(d.file)).split(path.sep).join('/');
        let l = raised.get(rel);
        if (!l) raised.set(rel, (l = []));
        l.push({ id: diagnosticId(d), severity: d.severity, message: d.message });
      }
    }
  });

  it('every corpus file has a judgement (healthy or not, with a note)', () => {
    for (const f of expectedFiles) {
      const j = judged.files[f];
      assert.ok(
        j && typeof j.healthy === 'boolean' && j.note.length > 10,
        `${f}: add { healthy, note, diagnostics } to expected-diagnostics.json`,
      );
    }
  });

  it('known-gaps.json lists only judged false positives', () => {
    for (const k of Object.keys(gaps.diagnostics)) {
      const sp = k.indexOf(' ');
      const j = judged.files[k.slice(0, sp)]?.diagnostics[k.slice(sp + 1)];
      assert.ok(j?.judgement === 'fp', `known-gaps.json diagnostics: '${k}' is not a judged false positive`);
    }
  });

  it('every diagnostic raised is judged', () => {
    const unjudged: string[] = [];
    for (const [file, list] of raised) {
      for (const d of list) {
        if (!judged.files[file]?.diagnostics[d.id]) unjudged.push(`${file}: "${d.id}" (${d.severity}: ${d.message.slice(0, 160)})`);
      }
    }
    assert.deepEqual(
      unjudged,
      [],
      'new diagnostics on the real corpus: run `node scripts/build.mjs && node scripts/corpus-diagnostics.mjs`, look at the data around ' +
        'each reported line and add it to test/fixtures/real/expected-diagnostics.json as { "judgement": "tp" | "fp", "why": "<one sentence from the numbers>" }',
    );
  });

  it('no Error on runs judged healthy', () => {
    const bad: string[] = [];
    for (const [file, list] of raised) {
      if (!judged.files[file]?.healthy) continue;
      for (const d of list) if (d.severity === 'error') bad.push(`${file}: ${d.id}`);
    }
    assert.deepEqual(bad, []);
  });

  it('every judged true positive is still raised', () => {
    const lost: string[] = [];
    for (const [file, j] of Object.entries(judged.files)) {
      const ids = new Set((raised.get(file) ?? []).map((d) => d.id));
      for (const [id, d] of Object.entries(j.diagnostics)) if (d.judgement === 'tp' && !ids.has(id)) lost.push(`${file}: ${id}`);
    }
    assert.deepEqual(lost, [], 'a true positive is no longer raised (or its id moved: re-judge with scripts/corpus-diagnostics.mjs)');
  });

  for (const file of expectedFiles) {
    const fps = Object.entries(judged.files[file]?.diagnostics ?? {}).filter(([, d]) => d.judgement === 'fp');
    if (fps.length === 0) continue;
    it(`no judged false positive: ${file}`, function () {
      const ids = new Set((raised.get(file) ?? []).map((d) => d.id));
      const present = fps.filter(([id]) => ids.has(id)).map(([id]) => id);
      const pending = present.filter((id) => gaps.diagnostics[`${file} ${id}`] !== undefined);
      const fixed = fps.map(([id]) => id).filter((id) => !ids.has(id) && gaps.diagnostics[`${file} ${id}`] !== undefined);
      assert.deepEqual(fixed, [], `no longer raised: remove from known-gaps.json diagnostics`);
      assert.deepEqual(
        present.filter((id) => !pending.includes(id)),
        [],
        'judged false positives raised',
      );
      if (pending.length > 0) {
        this.test!.title += ` — known gap (${pending.length}): ${gaps.diagnostics[`${file} ${pending[0]}`]}`;
        this.skip();
      }
    });
  }
});
