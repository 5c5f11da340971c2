#!/usr/bin/env node
// Runs `losswatch check --format json` (dist/cli.js: run `node scripts/build.mjs` first) on every case folder of
// test/fixtures/real and writes what it raises to test/fixtures/real/diagnostics-found.json. Then lists every
// diagnostic that test/fixtures/real/expected-diagnostics.json does not judge yet, with a template to fill in:
// look at the data around the reported line and judge it `tp` (a practitioner would want to be told) or `fp`
// (the numbers do not support it), with one sentence of reasoning from the numbers.
//
//   node scripts/corpus-diagnostics.mjs          write diagnostics-found.json, print unjudged / fp raised
//   node scripts/corpus-diagnostics.mjs --check  exit 1 if a diagnostic is unjudged (CI-style)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REAL = path.join(ROOT, 'test/fixtures/real');
const CLI = path.join(ROOT, 'dist/cli.js');

/**
 * The identity of a diagnostic in expected-diagnostics.json: code, series (first quoted name in the message) and
 * where: the first `(line N)` / `(record N)` of the message (TensorBoard findings all sit on line 1 of the
 * binary file; the message names the record), else the reported line.
 */
export function diagnosticId(d) {
  const m = /'([^']*)'/.exec(d.message);
  const at = /\((line|record) (\d+)\)/.exec(d.message);
  return `${d.code} '${m ? m[1] : ''}' ${at ? `${at[1]} ${at[2]}` : `line ${d.line ?? 0}`}`;
}

if (!fs.existsSync(CLI)) {
  process.stderr.write(`${path.relative(ROOT, CLI)} not found: run node scripts/build.mjs first\n`);
  process.exit(2);
}

const found = {};
for (const c of fs.readdirSync(REAL).sort()) {
  const dir = path.join(REAL, c);
  if (!fs.statSync(dir).isDirectory()) continue;
  const r = spawnSync(process.execPath, [CLI, 'check', '--format', 'json', dir], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  let list = [];
  try {
    list = JSON.parse(r.stdout);
  } catch {
    process.stderr.write(`${c}: no JSON from losswatch check (exit ${r.status}): ${(r.stdout + r.stderr).trim().slice(0, 200)}\n`);
  }
  for (const d of list) {
    const rel = path.relative(REAL, path.resolve(ROOT, d.file)).split(path.sep).join('/');
    (found[rel] ??= []).push({ id: diagnosticId(d), severity: d.severity, message: d.message });
  }
}
fs.writeFileSync(path.join(REAL, 'diagnostics-found.json'), JSON.stringify(found, null, 1) + '\n');

const judged = JSON.parse(fs.readFileSync(path.join(REAL, 'expected-diagnostics.json'), 'utf8')).files;
let unjudged = 0;
let fpRaised = 0;
for (const [file, list] of Object.entries(found)) {
  for (const d of list) {
    const j = judged[file]?.diagnostics?.[d.id];
    if (!j) {
      unjudged++;
      process.stdout.write(`UNJUDGED ${file}\n  "${d.id}": { "judgement": "tp|fp", "why": "…" }\n  ${d.severity}: ${d.message}\n`);
    } else if (j.judgement === 'fp') {
      fpRaised++;
      process.stdout.write(`fp raised: ${file} ${d.id}: ${j.why}\n`);
    }
  }
}
const n = Object.values(found).reduce((a, l) => a + l.length, 0);
process.stdout.write(
  `${n} diagnostics in ${Object.keys(found).length} files, ${unjudged} unjudged, ${fpRaised} judged false positives raised\n`,
);
if (process.argv.includes('--check') && unjudged > 0) process.exit(1);
