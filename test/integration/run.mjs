// Integration test runner: one real VS Code start per suite (test/integration/suites/*.mjs), several
// tests per start. Prints one line per test and ends with `integration: N passed, N failed`;
// exits non-zero on any failure.
//
// Usage: node test/integration/run.mjs [--no-build] [name-filter ...]
//   name-filter: substrings of suite file names or suite names (also LOSSWATCH_IT_GREP).
//
// A suite module exports (default or named exports):
//   name: string                   shown in the output; also the test-output/integration/<name>/ folder
//   workspace?: string             folder under test/integration/workspaces/ (or absolute) to copy
//   files?: { [rel]: string }      extra files created in the workspace copy before VS Code starts
//   settings?: object              VS Code settings (user + workspace)
//   untrusted?: boolean            leave the workspace untrusted (workspace trust on, never granted)
//   env?: object                   environment of the server / extension host
//   timeoutMs?: number             per-test timeout (default 60000)
//   tests: [{ name, fn: async (vs) => void }]   run in order against the same window
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { repoRoot, startVSCode } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const suitesDir = path.join(here, 'suites');
const argv = process.argv.slice(2);
const filters = argv.filter((a) => !a.startsWith('--'));
if (process.env.LOSSWATCH_IT_GREP) filters.push(process.env.LOSSWATCH_IT_GREP);

function fmtMs(ms) {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function errText(e) {
  const s = e instanceof Error ? (e.stack ?? e.message) : String(e);
  return s
    .split('\n')
    .slice(0, 12)
    .map((l) => `      ${l}`)
    .join('\n');
}

async function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, t]);
  } finally {
    clearTimeout(timer);
  }
}

async function loadSuites() {
  const files = fs.existsSync(suitesDir)
    ? fs
        .readdirSync(suitesDir)
        .filter((f) => f.endsWith('.mjs'))
        .sort()
    : [];
  const suites = [];
  for (const f of files) {
    const mod = await import(pathToFileURL(path.join(suitesDir, f)).href);
    const s = mod.default ?? mod;
    const suite = { name: s.name ?? f.replace(/\.mjs$/, ''), file: f, ...s };
    if (!Array.isArray(suite.tests)) throw new Error(`suite ${f}: exports no 'tests' array`);
    if (filters.length && !filters.some((q) => f.includes(q) || suite.name.includes(q))) continue;
    suites.push(suite);
  }
  return suites;
}

let passed = 0;
let failed = 0;
let skipped = 0;

async function runSuite(suite) {
  console.log(`\n${suite.name} (${suite.file})`);
  let vs;
  try {
    vs = await startVSCode({
      name: suite.name,
      workspace: suite.workspace,
      files: suite.files,
      settings: suite.settings,
      env: suite.env,
      untrusted: suite.untrusted,
    });
  } catch (e) {
    console.log(`  ✗ VS Code did not start: every test of this suite fails`);
    console.log(errText(e));
    for (const t of suite.tests) console.log(`  ✗ ${t.name} (not run)`);
    failed += suite.tests.length;
    return;
  }
  console.log(`  (VS Code ${fmtMs(vs.startupMs)} to ready, workspace ${vs.workspaceDir})`);
  let anyFailed = false;
  try {
    for (const t of suite.tests) {
      const t0 = Date.now();
      try {
        await withTimeout(
          Promise.resolve().then(() => t.fn(vs)),
          t.timeoutMs ?? suite.timeoutMs ?? 60000,
          `test '${t.name}'`,
        );
        passed++;
        console.log(`  ✓ ${t.name} (${fmtMs(Date.now() - t0)})`);
      } catch (e) {
        if (e?.skipped) {
          skipped++;
          console.log(`  - ${t.name} (skipped: ${e.message})`);
          continue;
        }
        failed++;
        anyFailed = true;
        const shot = await vs.screenshot(`FAILED-${t.name}`).catch(() => undefined);
        console.log(`  ✗ ${t.name} (${fmtMs(Date.now() - t0)})`);
        console.log(errText(e));
        if (shot) console.log(`      screenshot: ${path.relative(repoRoot, shot)}`);
      }
    }
  } finally {
    await vs.close({ failed: anyFailed });
  }
}

async function main() {
  const t0 = Date.now();
  if (!argv.includes('--no-build')) {
    // Always test the current sources (the build takes about a second).
    const r = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) {
      console.log(`integration: build failed\n${r.stdout}${r.stderr}`);
      console.log('integration: 0 passed, 1 failed');
      process.exit(1);
    }
  }
  const suites = await loadSuites();
  if (suites.length === 0) {
    console.log(filters.length ? `no suite matches ${filters.join(', ')}` : 'no integration suites found');
    console.log('integration: 0 passed, 1 failed');
    process.exit(1);
  }
  for (const s of suites) await runSuite(s);
  console.log(`\n(${suites.length} suite(s) in ${fmtMs(Date.now() - t0)}; screenshots and logs under test-output/integration/)`);
  console.log(`integration: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log(errText(e));
  console.log(`integration: ${passed} passed, ${failed + 1} failed, ${skipped} skipped`);
  process.exit(1);
});
