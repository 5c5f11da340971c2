// `npm run bench`: every benchmark in turn (core, ingest, checks, webview, lint), each printing its own table
// with ratios against PyTorch/pandas where /usr/bin/python3 has them.
import { spawnSync } from 'node:child_process';

const benches = ['core', 'ingest', 'checks', 'webview', 'lint'];
const only = process.argv.slice(2);
let failed = 0;
for (const b of benches) {
  if (only.length && !only.includes(b)) continue;
  console.log(`\n##### bench:${b} #####`);
  const r = spawnSync('node', [`bench/${b}.mjs`], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`bench:${b} failed (exit ${r.status ?? r.signal})`);
  }
}
process.exit(failed ? 1 : 0);
