// Installs (once) and caches the VS Code 1.100.3 server shipped in the code-server@4.100.3 npm package.
// Usage: node scripts/setup-vscode.mjs [--force]
// Library: import { setupVSCode } from './setup-vscode.mjs'; const { serverMain } = await setupVSCode();
//
// Recipe (see /work/shared/vscode-server.md): npm install --ignore-scripts (postinstall would fetch
// ripgrep from GitHub), install lib/vscode deps, rebuild its native modules with node-gyp against
// Node's own headers, use Debian's ripgrep. The result lives in .vscode-test/code-server-<version>/
// (git-ignored) with a marker file; later calls return in milliseconds.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
export const VSCODE_VERSION = '1.100.3';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const cacheRoot = path.join(repo, '.vscode-test');
const NATIVE = ['kerberos', 'node-pty', '@vscode/spdlog', 'native-watchdog', '@vscode/deviceid'];
const MARKER = '.losswatch-ready.json';

function installDir() {
  return path.join(cacheRoot, `code-server-${CODE_SERVER_VERSION}`);
}

function vscodeDirOf(root) {
  return path.join(root, 'node_modules', 'code-server', 'lib', 'vscode');
}

function markerContent() {
  // Native modules are bound to the Node ABI: a different Node means a rebuild.
  return { codeServer: CODE_SERVER_VERSION, vscode: VSCODE_VERSION, nodeAbi: process.versions.modules };
}

function isReady(root) {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(root, MARKER), 'utf8'));
    const want = markerContent();
    return (
      m.codeServer === want.codeServer && m.nodeAbi === want.nodeAbi && fs.existsSync(path.join(vscodeDirOf(root), 'out', 'server-main.js'))
    );
  } catch {
    return false;
  }
}

function run(cmd, args, cwd, log) {
  log(`  $ (${path.relative(repo, cwd) || '.'}) ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').slice(-40).join('\n');
    throw new Error(`setup-vscode: '${cmd} ${args.join(' ')}' failed in ${cwd} (exit ${r.status ?? r.signal})\n${out}`);
  }
}

function nodeGypPath() {
  const candidates = [
    '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`setup-vscode: node-gyp not found (looked in ${candidates.join(', ')})`);
  return found;
}

function nodeDir() {
  // Headers of the running Node (Debian/nodesource put them in /usr/include/node).
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node.h'))) return prefix;
  if (fs.existsSync('/usr/include/node/node.h')) return '/usr';
  throw new Error('setup-vscode: Node headers not found (need <prefix>/include/node/node.h)');
}

function which(bin) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = path.join(dir, bin);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {}
  }
  return undefined;
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function withLock(fn, log) {
  fs.mkdirSync(cacheRoot, { recursive: true });
  const lock = path.join(cacheRoot, `setup-${CODE_SERVER_VERSION}.lock`);
  for (let waited = 0; ; waited++) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let pid = NaN;
      try {
        pid = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
      } catch {}
      if (Number.isFinite(pid) && !pidAlive(pid)) {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (waited === 0) log('setup-vscode: another process is installing the server; waiting…');
      if (waited > 20 * 60) throw new Error(`setup-vscode: lock ${lock} held for 20 minutes`);
      await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function install(root, log) {
  const t0 = Date.now();
  const rg = which('rg');
  if (!rg) throw new Error('setup-vscode: ripgrep (rg) not found on PATH; install it: apt-get install -y ripgrep');
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'losswatch-vscode-server', private: true }, null, 2));
  const npm = ['--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'];
  log(`setup-vscode: installing code-server@${CODE_SERVER_VERSION} (VS Code ${VSCODE_VERSION}) into ${path.relative(repo, root)}`);
  run('npm', ['install', ...npm, `code-server@${CODE_SERVER_VERSION}`], root, log);
  const vsDir = vscodeDirOf(root);
  run('npm', ['install', ...npm, '--omit=dev'], vsDir, log);
  const gyp = nodeGypPath();
  const nd = nodeDir();
  for (const mod of NATIVE) {
    const modDir = path.join(vsDir, 'node_modules', mod);
    if (!fs.existsSync(path.join(modDir, 'binding.gyp'))) {
      log(`  (skipping ${mod}: not present)`);
      continue;
    }
    run(process.execPath, [gyp, 'rebuild', `--nodedir=${nd}`, '--jobs=max', '--loglevel=error'], modDir, log);
  }
  const rgDir = path.join(vsDir, 'node_modules', '@vscode', 'ripgrep', 'bin');
  fs.mkdirSync(rgDir, { recursive: true });
  fs.copyFileSync(rg, path.join(rgDir, 'rg'));
  fs.chmodSync(path.join(rgDir, 'rg'), 0o755);
  const asar = path.join(vsDir, 'node_modules.asar');
  fs.rmSync(asar, { force: true, recursive: true });
  fs.symlinkSync('node_modules', asar);
  run('npm', ['install', ...npm, '--omit=dev'], path.join(vsDir, 'extensions'), log);
  fs.writeFileSync(
    path.join(root, MARKER),
    JSON.stringify({ ...markerContent(), installedAt: new Date().toISOString(), seconds: (Date.now() - t0) / 1000 }, null, 2),
  );
  log(`setup-vscode: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/**
 * Ensures the cached server install exists and returns its paths.
 * @param {{ force?: boolean, log?: (s: string) => void }} [opts]
 */
export async function setupVSCode(opts = {}) {
  const log = opts.log ?? ((s) => console.error(s));
  const root = installDir();
  const t0 = Date.now();
  if (opts.force || !isReady(root)) {
    await withLock(async () => {
      if (!opts.force && isReady(root)) return; // someone else finished it while we waited
      const tmp = `${root}.tmp-${process.pid}`;
      try {
        install(tmp, log);
        // Paths inside node_modules are relative, so the finished tree can move into place.
        fs.rmSync(root, { recursive: true, force: true });
        fs.renameSync(tmp, root);
      } catch (e) {
        fs.rmSync(tmp, { recursive: true, force: true });
        throw e;
      }
    }, log);
  }
  const vscodeDir = vscodeDirOf(root);
  return {
    root,
    vscodeDir,
    serverMain: path.join(vscodeDir, 'out', 'server-main.js'),
    version: VSCODE_VERSION,
    seconds: (Date.now() - t0) / 1000,
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const r = await setupVSCode({ force: process.argv.includes('--force') });
    console.log(`VS Code ${r.version} server ready at ${path.relative(repo, r.serverMain)} (${r.seconds.toFixed(2)} s)`);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
