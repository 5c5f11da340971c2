// Makes sure the Debian packages the real-VS-Code runs need are there (a fresh machine has none of them):
// runs scripts/install-system-deps.sh when chromium, ripgrep or the Kerberos headers are missing.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

export function ensureSystemDeps(log = console.log) {
  if (have('chromium') && have('rg') && fs.existsSync('/usr/include/gssapi/gssapi.h')) return;
  log('installing system packages (scripts/install-system-deps.sh)…');
  const r = spawnSync('bash', [path.join(repo, 'scripts', 'install-system-deps.sh')], { cwd: repo, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('installing system packages failed; run scripts/install-system-deps.sh as root');
}
