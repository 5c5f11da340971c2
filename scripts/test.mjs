// `npm test`: type check, unit tests, then integration tests in a real VS Code.
import { spawnSync } from 'node:child_process';
import { ensureSystemDeps } from './system-deps.mjs';

const steps = [
  // TypeScript 7 (native) type-checks; the `typescript` package itself is 5.9 for typescript-eslint's parser.
  ['type check', 'node', ['node_modules/typescript-7/bin/tsc', '-p', '.', '--noEmit']],
  ['type check (webview)', 'node', ['node_modules/typescript-7/bin/tsc', '-p', 'webview', '--noEmit']],
  ['lint', 'npx', ['eslint', '.', '--max-warnings', '0']],
  ['format check', 'npx', ['prettier', '--check', '.']],
  ['build', 'node', ['scripts/build.mjs']],
  ['unit tests', 'npx', ['mocha']],
  ['python logger tests', 'python3', ['-m', 'unittest', 'discover', '-s', 'python', '-p', 'test_*.py']],
  ['integration tests', 'node', ['test/integration/run.mjs']],
];
const only = process.env.LOSSWATCH_TEST_ONLY; // e.g. "unit" to skip integration while iterating
const chosen = steps.filter(([name]) => !only || name.includes(only) || name === 'build');
for (const [i, [name, cmd, args]] of chosen.entries()) {
  if (name === 'integration tests') ensureSystemDeps((m) => console.log(`test: ${m}`));
  console.log(`\n=== ${name} ===`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    // The last step's own summary line stays the last line of the output.
    if (i < chosen.length - 1) console.error(`\n${name} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}
