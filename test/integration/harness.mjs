// Real-VS-Code integration harness: starts the cached VS Code 1.100.3 server (from code-server@4.100.3)
// with LossWatch and a test-only helper extension installed, opens a temp copy of a workspace in
// Debian Chromium driven by playwright-core, and gives tests both sides:
//   - the extension host (real `vscode` API) through the helper extension's loopback JSON endpoint,
//   - the UI (Problems panel, webview frames, screenshots) through the Playwright page.
//
//   import { withVSCode } from './harness.mjs';
//   await withVSCode({ workspace: 'smoke', settings: { 'losswatch.x': 1 } }, async (vs) => {
//     await vs.host.executeCommand('losswatch.recheckAll');
//     const d = await vs.waitFor(async () => (await vs.host.diagnostics()).find((x) => x.code === 'non-finite-loss'));
//     const rows = await vs.problems();
//     await vs.screenshot('problems');
//   });
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { setupVSCode } from '../../scripts/setup-vscode.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
export const workspacesDir = path.join(here, 'workspaces');
export const outputRoot = path.join(repoRoot, 'test-output');
export const CHROMIUM = process.env.LOSSWATCH_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
const HELPER_DIR = path.join(here, 'host-extension');
/** Files of the repo that make up the installed extension (same set as the .vsix, minus what is missing). */
const EXTENSION_FILES = ['package.json', 'dist', 'media', 'docs', 'README.md', 'CHANGELOG.md', 'LICENSE'];

/** Settings every harness window starts with (quiet, deterministic UI). Suites can override. */
export const BASE_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'git.enabled': false,
  'window.commandCenter': false,
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'files.simpleDialog.enable': true,
  'remote.autoForwardPorts': false, // else the helper's loopback port shows up in the Ports view
};

/** User settings of an untrusted start (`untrusted: true`): trust enabled, no startup prompt, never clicked. */
export const UNTRUSTED_SETTINGS = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'never',
};

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function slug(s) {
  return (
    String(s)
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'x'
  );
}

/** Polls `fn` until it returns a truthy value (returned) or throws after `timeoutMs` with the last error/value. */
/** Thrown by `vs.skip(reason)`: the runner counts the test as skipped (never as passed). */
export class SkipTest extends Error {
  constructor(reason) {
    super(reason);
    this.skipped = true;
  }
}

export async function waitFor(fn, timeoutMs = 15000, what = 'condition', intervalMs = 150) {
  const end = Date.now() + timeoutMs;
  let last;
  let lastErr;
  for (;;) {
    try {
      last = await fn();
      lastErr = undefined;
      if (last) return last;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > end) {
      const detail = lastErr
        ? `last error: ${lastErr instanceof Error ? lastErr.message : lastErr}`
        : `last value: ${JSON.stringify(last)?.slice(0, 500)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${detail})`);
    }
    await sleep(intervalMs);
  }
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/**
 * Copies the built extension into `<extensionsDir>/losswatch.losswatch-<version>` (and the test helper
 * next to it when `withHelper`). Throws if dist/extension.js is missing (run `node scripts/build.mjs`).
 */
export function installExtensions(extensionsDir, { withHelper = true } = {}) {
  const pkg = readJson(path.join(repoRoot, 'package.json'));
  const main = path.join(repoRoot, pkg.main ?? 'dist/extension.js');
  if (!fs.existsSync(main)) throw new Error(`harness: ${path.relative(repoRoot, main)} is missing; build first (node scripts/build.mjs)`);
  const id = `${pkg.publisher}.${pkg.name}`;
  const dest = path.join(extensionsDir, `${id}-${pkg.version}`);
  fs.mkdirSync(dest, { recursive: true });
  for (const f of EXTENSION_FILES) {
    const src = path.join(repoRoot, f);
    if (fs.existsSync(src)) fs.cpSync(src, path.join(dest, f), { recursive: true, filter: (s) => !s.endsWith('.map') });
  }
  if (withHelper) {
    const h = readJson(path.join(HELPER_DIR, 'package.json'));
    fs.cpSync(HELPER_DIR, path.join(extensionsDir, `${h.publisher}.${h.name}-${h.version}`), { recursive: true });
  }
  return { id, version: pkg.version, dir: dest };
}

/**
 * Writes VS Code settings: user settings in `<user-data-dir>/User/settings.json` (where this server's
 * web client reads them, checked with inspect(): globalLocalValue) and, for suite settings, also the
 * workspace's .vscode/settings.json so resource/window-scoped values apply either way.
 */
export function writeSettings({ userDataDir, workspaceDir }, settings, userOnly = {}) {
  const all = { ...BASE_SETTINGS, ...userOnly, ...settings };
  const text = JSON.stringify(all, null, 2);
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), text);
  if (workspaceDir && Object.keys(settings ?? {}).length) {
    // Workspace settings too, so resource/window-scoped suite settings apply whatever the client reads.
    const vsdir = path.join(workspaceDir, '.vscode');
    fs.mkdirSync(vsdir, { recursive: true });
    const file = path.join(vsdir, 'settings.json');
    let existing = {};
    if (fs.existsSync(file)) existing = readJson(file);
    fs.writeFileSync(file, JSON.stringify({ ...existing, ...settings }, null, 2));
  }
}

// Server process groups still running; killed if this process exits or is interrupted.
const liveGroups = new Set();
let exitHooked = false;
function trackGroup(pid) {
  liveGroups.add(pid);
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const g of liveGroups) {
      try {
        process.kill(-g, 'SIGKILL');
      } catch {}
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    if (process.listenerCount(sig) === 0) process.once(sig, () => process.exit(130));
  }
}

/**
 * Starts the VS Code server. Resolves once it listens; `port` 0 picks a free one.
 * @returns {Promise<{ port: number, url: (folder?: string) => string, proc: import('node:child_process').ChildProcess, stop: () => Promise<void>, logFile: string }>}
 */
export async function startServer({
  serverMain,
  port = 0,
  host = '127.0.0.1',
  userDataDir,
  serverDataDir,
  extensionsDir,
  env = {},
  logFile,
}) {
  const args = [
    serverMain,
    '--host',
    host,
    '--port',
    String(port),
    '--without-connection-token',
    '--accept-server-license-terms',
    '--telemetry-level',
    'off',
    '--server-data-dir',
    serverDataDir,
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
  ];
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const log = fs.createWriteStream(logFile);
  const proc = spawn(process.execPath, args, {
    env: { ...process.env, VSCODE_CLI: undefined, ELECTRON_RUN_AS_NODE: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: stop() kills the server and its extension host together
  });
  trackGroup(proc.pid);
  proc.once('exit', () => liveGroups.delete(proc.pid));
  let out = '';
  const found = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      log.write(chunk);
      if (out.length < 1e5) out += chunk.toString();
      const m = /Extension host agent listening on (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code, sig) =>
      reject(new Error(`VS Code server exited early (code ${code}, signal ${sig}); log ${logFile}:\n${out.slice(-3000)}`)),
    );
    proc.on('error', reject);
  });
  const timeout = sleep(60000).then(() => {
    throw new Error(`VS Code server did not start in 60 s; log ${logFile}:\n${out.slice(-3000)}`);
  });
  let listening;
  try {
    listening = await Promise.race([found, timeout]);
  } catch (e) {
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {}
    throw e;
  }
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    try {
      process.kill(-proc.pid, 'SIGTERM');
    } catch {}
    const done = await Promise.race([exited.then(() => true), sleep(4000).then(() => false)]);
    if (!done) {
      try {
        process.kill(-proc.pid, 'SIGKILL');
      } catch {}
      await Promise.race([exited, sleep(2000)]);
    }
    log.end();
  };
  return {
    port: listening,
    proc,
    logFile,
    stop,
    url: (folder) => `http://${host}:${listening}/${folder ? `?folder=${encodeURIComponent(folder).replace(/%2F/g, '/')}` : ''}`,
  };
}

/** Launches headless Debian Chromium through playwright-core. */
export async function launchBrowser({ headless = true } = {}) {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`harness: Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, headless, args: CHROMIUM_ARGS });
}

/**
 * Opens the workbench for `folder`, waits until it is up and clicks through the trust dialog if shown.
 * @param {import('playwright-core').Page} page
 */
export async function openWorkbench(page, url, { timeoutMs = 60000, trust: clickTrust = true } = {}) {
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
  await page.waitForSelector('.monaco-workbench', { timeout: timeoutMs });
  if (!clickTrust) return; // an untrusted start: never click the trust button
  // Trust dialog (only when trust is enabled; BASE_SETTINGS disables it) — click it if it appears soon.
  const trust = page.getByRole('button', { name: 'Yes, I trust the authors' });
  for (let i = 0; i < 6; i++) {
    if (await trust.isVisible().catch(() => false)) {
      await trust.click().catch(() => {});
      break;
    }
    if (
      await page
        .locator('.statusbar-item')
        .count()
        .catch(() => 0)
    )
      break;
    await sleep(250);
  }
}

export class HostClient {
  constructor(infoFile, token) {
    this.infoFile = infoFile;
    this.token = token;
    this.port = undefined;
  }

  /** Waits until the helper extension is up (it writes its port to the info file). */
  async connect(timeoutMs = 60000) {
    const info = await waitFor(
      () => fs.existsSync(this.infoFile) && readJson(this.infoFile),
      timeoutMs,
      'the test helper extension to start in the extension host',
    );
    this.port = info.port;
    return this.call('ping');
  }

  /** Sends one JSON request to the helper; throws with the host-side error message on failure. */
  call(op, args = {}, timeoutMs = 30000) {
    if (!this.port) return Promise.reject(new Error('harness: host not connected'));
    const body = JSON.stringify({ op, args });
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: this.port,
          method: 'POST',
          path: '/',
          timeout: timeoutMs,
          headers: { 'content-type': 'application/json', 'x-losswatch-token': this.token, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => (text += c));
          res.on('end', () => {
            let msg;
            try {
              msg = JSON.parse(text);
            } catch {
              return reject(new Error(`host ${op}: bad answer (HTTP ${res.statusCode}): ${text.slice(0, 300)}`));
            }
            if (msg.ok) resolve(msg.result);
            else reject(new Error(`host ${op} failed: ${msg.error}`));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`host ${op}: no answer in ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  executeCommand(id, ...args) {
    return this.call('executeCommand', { id, args });
  }
  /** All diagnostics: [{ file, line (1-based), column, endLine, endColumn, code, severity, message, source, … }] */
  diagnostics() {
    return this.call('getDiagnostics');
  }
  /** { file, line, column, languageId, visibleRange } of the active text editor, or null. */
  activeEditor() {
    return this.call('activeEditor');
  }
  /** Open editor tabs: [{ label, kind: 'text'|'webview'|'custom'|'other', detail, active, group }] */
  tabs() {
    return this.call('tabs');
  }
  extension(id) {
    return this.call('extension', { id });
  }
  commands(filter = '') {
    return this.call('getCommands', { filter });
  }
  openFile(file, line) {
    return this.call('openFile', { file, line });
  }
  getConfig(section, key) {
    return this.call('getConfig', { section, key });
  }
  updateConfig(section, key, value, target = 'workspace') {
    return this.call('updateConfig', { section, key, value, target });
  }
  /** Runs `code` as the body of `async function (vscode, args)` in the extension host; returns its JSON-able result. */
  eval(code, args) {
    return this.call('eval', { code, args });
  }
}

/**
 * Starts VS Code with LossWatch on a temp copy of `workspace`, runs `fn(vs)`, and always cleans up.
 * @param {{ workspace?: string, name?: string, settings?: object, env?: object, outputDir?: string, keep?: boolean, files?: Record<string,string>, untrusted?: boolean }} opts
 *   workspace: a folder (absolute, or a name under test/integration/workspaces/); copied to a temp dir.
 *   files: extra files to create in the workspace copy before start ({ 'relative/path': 'content' }).
 *   untrusted: workspace trust enabled and the workspace left untrusted (Restricted Mode).
 * @param {(vs: VS) => Promise<T>} fn
 * @returns {Promise<T>}
 * @template T
 * @typedef {Awaited<ReturnType<typeof makeVS>>} VS
 */
export async function withVSCode(opts, fn) {
  const vs = await startVSCode(opts);
  let failed = false;
  try {
    return await fn(vs);
  } catch (e) {
    failed = true;
    await vs.screenshot('failure').catch(() => {});
    throw e;
  } finally {
    await vs.close({ failed });
  }
}

/** Like withVSCode but returns the live `vs`; call `await vs.close()` yourself. */
export async function startVSCode(opts = {}) {
  const t0 = Date.now();
  const name = slug(opts.name ?? path.basename(opts.workspace ?? 'empty'));
  const outputDir = opts.outputDir ?? path.join(outputRoot, 'integration', name);
  fs.rmSync(outputDir, { recursive: true, force: true });
  fs.mkdirSync(outputDir, { recursive: true });
  const base = fs.mkdtempSync(path.join(os.tmpdir(), `losswatch-it-${name}-`));
  const dirs = {
    base,
    userDataDir: path.join(base, 'user'),
    serverDataDir: path.join(base, 'server'),
    extensionsDir: path.join(base, 'extensions'),
    workspaceDir: path.join(base, 'ws', name),
  };
  const cleanups = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    if (!opts.keep && !process.env.LOSSWATCH_KEEP_TMP) fs.rmSync(base, { recursive: true, force: true });
  };
  try {
    if (opts.workspaceInPlace) {
      // benches: open a large generated folder where it is instead of copying it
      dirs.workspaceDir = path.resolve(opts.workspaceInPlace);
    } else fs.mkdirSync(dirs.workspaceDir, { recursive: true });
    if (opts.workspace && !opts.workspaceInPlace) {
      const src = path.isAbsolute(opts.workspace) ? opts.workspace : path.join(workspacesDir, opts.workspace);
      if (!fs.existsSync(src)) throw new Error(`harness: workspace ${src} does not exist`);
      fs.cpSync(src, dirs.workspaceDir, { recursive: true });
    }
    for (const [rel, content] of Object.entries(opts.files ?? {})) {
      const f = path.join(dirs.workspaceDir, rel);
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, content);
    }
    const { serverMain } = await setupVSCode({ log: (s) => console.error(s) });
    const ext = installExtensions(dirs.extensionsDir);
    writeSettings(dirs, opts.settings ?? {}, opts.untrusted ? UNTRUSTED_SETTINGS : {});
    const token = randomBytes(16).toString('hex');
    const infoFile = path.join(base, 'host-info.json');
    const server = await startServer({
      serverMain,
      ...dirs,
      env: { ...opts.env, LOSSWATCH_TEST_HOST_INFO: infoFile, LOSSWATCH_TEST_TOKEN: token },
      logFile: path.join(outputDir, 'server.log'),
    });
    cleanups.push(async () => {
      await server.stop();
      copyLogs(dirs.userDataDir, outputDir);
    });
    const browser = await launchBrowser({ headless: opts.headless ?? true });
    cleanups.push(() => browser.close());
    const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1400, height: 900 } });
    const page = await context.newPage();
    const consoleLog = fs.createWriteStream(path.join(outputDir, 'browser-console.log'));
    cleanups.push(async () => consoleLog.end());
    page.on('console', (m) => consoleLog.write(`[${m.type()}] ${m.text()}\n`));
    // Webview resources are served by VS Code's service worker: a 401 there means "outside the
    // webview's localResourceRoots", a 404 a missing file. Keep them for tests and the log.
    const failedResources = [];
    context.on('response', (r) => {
      if (r.status() >= 400 && /vscode-resource|vscode-cdn/.test(r.url())) {
        failedResources.push({ status: r.status(), url: r.url() });
        consoleLog.write(`[webview-resource] HTTP ${r.status()} ${r.url()}${r.status() === 401 ? ' (outside localResourceRoots)' : ''}\n`);
      }
    });
    page.on('pageerror', (e) => consoleLog.write(`[pageerror] ${e.message}\n`));
    await openWorkbench(page, server.url(dirs.workspaceDir), { trust: !opts.untrusted });
    const host = new HostClient(infoFile, token);
    await host.connect();
    const vs = makeVS({ page, host, dirs, server, ext, outputDir, cleanup, name });
    /** Webview resource requests that failed so far: [{ status, url }] (401 = outside localResourceRoots). */
    vs.failedResources = () => [...failedResources];
    // Start from a clean editor area (no Welcome page) unless asked otherwise.
    if (opts.closeEditors !== false) await host.executeCommand('workbench.action.closeAllEditors').catch(() => {});
    vs.startupMs = Date.now() - t0;
    return vs;
  } catch (e) {
    await cleanup();
    throw e;
  }
}

function copyLogs(userDataDir, outputDir) {
  const logs = path.join(userDataDir, 'logs');
  if (fs.existsSync(logs)) fs.cpSync(logs, path.join(outputDir, 'vscode-logs'), { recursive: true });
}

function makeVS({ page, host, dirs, server, ext, outputDir, cleanup, name }) {
  let shots = 0;
  const vs = {
    name,
    page,
    host,
    server,
    /** The temp copy of the workspace the window has open (tests may append to its logs). */
    workspaceDir: dirs.workspaceDir,
    dirs,
    extensionId: ext.id,
    extensionDir: ext.dir,
    outputDir,
    startupMs: 0,
    waitFor,
    /**
     * Waits until LossWatch has read every watched file to its end and checked it: each file's bytes
     * read equal its size on disk, no read pass is running, no update or sidecar summary is pending, no
     * workspace scan is running — twice in a row. Returns the read state. Use it before asserting
     * that something is absent (a healthy run has no warning).
     */
    async settled(timeoutMs = 30000, minFiles = 1) {
      let stable = 0;
      return waitFor(
        async () => {
          const st = await host.eval(
            "const e = vscode.extensions.getExtension('losswatch.losswatch'); const m = e && e.exports && e.exports.manager; return m ? m.readState() : null;",
          );
          if (!st) return undefined;
          const ok =
            !st.scanning &&
            st.summariesInFlight === 0 &&
            st.files.length >= minFiles &&
            st.files.every((f) => !f.busy && !f.pending && fs.existsSync(f.file) && fs.statSync(f.file).size === f.offset);
          stable = ok ? stable + 1 : 0;
          return stable >= 2 ? st : undefined;
        },
        timeoutMs,
        'LossWatch to read and check every watched file',
        100,
      );
    },
    /** Ends the test as skipped (a precondition such as torch is missing); counted apart from passes. */
    skip: (reason) => {
      throw new SkipTest(reason);
    },
    /** Absolute path of a file in the workspace copy. */
    file: (rel) => path.join(dirs.workspaceDir, rel),
    /** Appends text to a workspace file (creating it), like a training process would. */
    append: (rel, text) => fs.appendFileSync(path.join(dirs.workspaceDir, rel), text),
    diagnostics: () => host.diagnostics(),
    activeEditor: () => host.activeEditor(),
    executeCommand: (id, ...args) => host.executeCommand(id, ...args),
    /** Saves a PNG under test-output/integration/<suite>/ and returns its path. */
    async screenshot(label = 'shot') {
      const file = path.join(outputDir, `${String(++shots).padStart(2, '0')}-${slug(label)}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    /** Opens the Problems panel (Ctrl+Shift+M) and returns the texts of its visible rows. */
    async problems() {
      const rows = await vs.problemRows();
      return rows.map((r) => r.text);
    },
    /** Like problems() with more detail: [{ text, ariaLabel, level }] (level 1 = file row, 2 = marker). */
    async problemRows() {
      const panel = page.locator('.markers-panel');
      if (!(await panel.isVisible().catch(() => false))) {
        await page.keyboard.press('Control+Shift+M');
        const ok = await panel.waitFor({ state: 'visible', timeout: 3000 }).then(
          () => true,
          () => false,
        );
        if (!ok) await host.executeCommand('workbench.actions.view.problems');
        await panel.waitFor({ state: 'visible', timeout: 10000 });
      }
      return page.locator('.markers-panel .monaco-list-row').evaluateAll((els) =>
        els.map((el) => ({
          text: (el.innerText || el.textContent || '').replace(/\s+/g, ' ').trim(),
          ariaLabel: el.getAttribute('aria-label') ?? '',
          level: Number(el.getAttribute('aria-level') ?? 0),
        })),
      );
    },
    /**
     * Finds the inner frame of a webview. `match` is a predicate on the Frame, or
     * { extensionId?: string (default LossWatch), selector?: string, text?: string }.
     * Waits up to timeoutMs. Returns the playwright Frame where the webview's own document lives.
     */
    async webviewFrame(match = {}, timeoutMs = 15000) {
      const pred = typeof match === 'function' ? match : await webviewPredicate(match, ext.id);
      return waitFor(
        async () => {
          for (const f of page.frames()) {
            if (await pred(f)) return f;
          }
          return undefined;
        },
        timeoutMs,
        'a matching webview frame',
      );
    },
    async close({ failed = false } = {}) {
      await cleanup();
      if (failed) console.error(`  (logs and screenshots: ${path.relative(repoRoot, outputDir)})`);
    },
  };
  return vs;
}

async function webviewPredicate({ extensionId, selector, text }, defaultId) {
  const id = (extensionId ?? defaultId).toLowerCase();
  return async (f) => {
    // VS Code web: outer iframe .../index.html?id=…&extensionId=<id>…, whose child frame holds the page.
    const parent = f.parentFrame();
    if (!parent || !decodeURIComponent(parent.url()).toLowerCase().includes(`extensionid=${id}`)) return false;
    if (!f.url().includes('fake.html') && f.name() !== 'active-frame' && !f.url().startsWith('about:')) return false;
    try {
      if (selector && !(await f.locator(selector).count())) return false;
      if (text && !(await f.locator('body').innerText()).includes(text)) return false;
      return (await f.locator('body').count()) > 0;
    } catch {
      return false;
    }
  };
}
