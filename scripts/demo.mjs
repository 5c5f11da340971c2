// `npm run demo`: builds LossWatch, starts the real VS Code 1.100.3 server with it installed on a demo
// workspace (.demo/workspace, git-ignored) where simulated training processes append to their logs,
// prints the URL to open in a browser, and runs until Ctrl+C.
//
//   npm run demo                                  interactive; open the printed URL
//   npm run demo -- --screenshot out.png          headless: wait until LossWatch shows problems, save a
//                                                 screenshot (dashboard + Problems panel), exit 0
// Options: --port <n> (default 8123, or a free one if taken), --host <addr> (default 127.0.0.1),
//          --no-build, --no-torch (only the JS writer), --loop (restart the simulated run when it ends),
//          --timeout <s> (screenshot mode: how long to wait for LossWatch, default 120)
//
// Training processes: scripts/demo-writer.mjs always writes runs/simulated (healthy -> overfitting ->
// NaN). If /usr/bin/python3 has torch and examples/train_classifier.py exists, three real PyTorch runs
// are added: runs/healthy, runs/overfit (--tiny-train) and runs/high-lr (--lr 50, diverges to NaN).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setupVSCode } from './setup-vscode.mjs';
import { ensureSystemDeps } from './system-deps.mjs';
import {
  installExtensions,
  launchBrowser,
  openWorkbench,
  sleep,
  startServer,
  waitFor,
  writeSettings,
  HostClient,
} from '../test/integration/harness.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PYTHON = '/usr/bin/python3';

function parseArgs(argv) {
  const o = { screenshot: '', port: 8123, host: '127.0.0.1', build: true, torch: true, loop: false, timeout: 120 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`demo: ${a} needs a value`);
      return v;
    };
    if (a === '--screenshot') o.screenshot = path.resolve(val());
    else if (a === '--port') o.port = Number(val());
    else if (a === '--host') o.host = val();
    else if (a === '--no-build') o.build = false;
    else if (a === '--no-torch') o.torch = false;
    else if (a === '--loop') o.loop = true;
    else if (a === '--timeout') o.timeout = Number(val());
    else throw new Error(`demo: unknown argument ${a}`);
  }
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new Error('demo: --port must be 0..65535');
  if (!(o.timeout > 0)) throw new Error('demo: --timeout must be a positive number of seconds');
  return o;
}

function portFree(port, host) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

function hasTorch() {
  if (!fs.existsSync(PYTHON) || !fs.existsSync(path.join(repo, 'examples', 'train_classifier.py'))) return false;
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60000 });
  return r.status === 0;
}

const children = [];
function startProcess(name, cmd, args, logDir, env = {}) {
  const log = fs.openSync(path.join(logDir, `${name}.log`), 'w');
  const p = spawn(cmd, args, { cwd: repo, stdio: ['ignore', log, log], env: { ...process.env, ...env } });
  fs.closeSync(log);
  children.push(p);
  p.on('exit', (code) => {
    if (code && code !== 0) console.error(`demo: ${name} exited with ${code} (see .demo/logs/${name}.log)`);
  });
  return p;
}

function stopChildren() {
  for (const p of children) {
    if (p.exitCode === null && p.signalCode === null) {
      try {
        p.kill('SIGTERM');
      } catch {}
    }
  }
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const shot = Boolean(o.screenshot);
  // Ctrl+C: registered first so it wins over the harness's default (which only kills the server).
  const stopSignal = new Promise((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(sig, () => resolve(sig));
  });
  if (shot) {
    void stopSignal.then(() => {
      stopChildren();
      process.exit(130); // the harness's exit hook kills the server's process group
    });
  }
  const t0 = Date.now();
  ensureSystemDeps((m) => console.log(`demo: ${m}`));
  if (o.build) {
    console.log('demo: building…');
    const r = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: repo, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`demo: build failed\n${r.stdout}${r.stderr}`);
  }
  const { serverMain } = await setupVSCode({ log: (s) => console.log(s) });

  // Fresh demo state every time, so the story plays from its beginning.
  const demo = path.join(repo, '.demo');
  const ws = path.join(demo, 'workspace');
  const logs = path.join(demo, 'logs');
  const vscodeDirs = path.join(demo, 'vscode');
  for (const d of [ws, logs, vscodeDirs]) fs.rmSync(d, { recursive: true, force: true });
  fs.mkdirSync(path.join(ws, 'runs'), { recursive: true });
  fs.mkdirSync(logs, { recursive: true });
  fs.writeFileSync(
    path.join(ws, 'README.md'),
    '# LossWatch demo workspace\n\nTraining processes started by `npm run demo` append to `runs/*/log.jsonl`.\nLossWatch tails them: see the Problems panel, the status bar and the dashboard (command "LossWatch: Open Dashboard").\n',
  );
  const dirs = {
    userDataDir: path.join(vscodeDirs, 'user'),
    serverDataDir: path.join(vscodeDirs, 'server'),
    extensionsDir: path.join(vscodeDirs, 'extensions'),
    workspaceDir: ws,
  };
  // The test helper extension is only installed for --screenshot (to know when LossWatch has shown something).
  installExtensions(dirs.extensionsDir, { withHelper: shot });
  writeSettings({ userDataDir: dirs.userDataDir }, { 'workbench.startupEditor': 'none' });

  // Training processes.
  const writerArgs = ['scripts/demo-writer.mjs', '--out', path.join(ws, 'runs', 'simulated'), '--interval', shot ? '25' : '350'];
  if (o.loop) writerArgs.push('--loop');
  startProcess('simulated', process.execPath, writerArgs, logs);
  const torch = o.torch && hasTorch();
  if (torch) {
    const live = shot ? ['--live', '--live-seconds', '8'] : ['--live'];
    const env = { OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', PYTHONUNBUFFERED: '1' };
    const py = (name, extra) =>
      startProcess(name, PYTHON, ['examples/train_classifier.py', '--out', path.join(ws, 'runs', name), ...live, ...extra], logs, env);
    py('healthy', []);
    py('overfit', ['--tiny-train']);
    py('high-lr', ['--lr', '50']);
  }
  console.log(
    `demo: training processes: runs/simulated (scripts/demo-writer.mjs)${torch ? ', runs/healthy, runs/overfit, runs/high-lr (examples/train_classifier.py, PyTorch)' : ' (no PyTorch runs: /usr/bin/python3 without torch or examples/train_classifier.py missing)'}`,
  );

  let port = o.port;
  if (port && !(await portFree(port, o.host))) {
    console.log(`demo: port ${port} is taken, using a free one`);
    port = 0;
  }
  const token = Math.random().toString(36).slice(2);
  const infoFile = path.join(vscodeDirs, 'host-info.json');
  const server = await startServer({
    serverMain,
    port,
    host: o.host,
    ...dirs,
    env: shot ? { LOSSWATCH_TEST_HOST_INFO: infoFile, LOSSWATCH_TEST_TOKEN: token } : {},
    logFile: path.join(logs, 'server.log'),
  });
  const url = server.url(ws);
  const cleanup = async () => {
    stopChildren();
    await server.stop();
  };
  console.log(`\nLossWatch demo is running (VS Code ${'1.100.3'} server, ready in ${((Date.now() - t0) / 1000).toFixed(1)} s).`);
  console.log(`Open in a browser:\n\n  ${url}\n`);

  if (!shot) {
    console.log('Logs: .demo/logs/. Press Ctrl+C to stop.');
    const why = await Promise.race([stopSignal, new Promise((resolve) => server.proc.once('exit', () => resolve('server exited')))]);
    if (why === 'server exited') console.error('demo: the VS Code server exited (see .demo/logs/server.log)');
    console.log('\ndemo: stopping…');
    await cleanup();
    return 0;
  }

  // --screenshot: drive the page headlessly until LossWatch has shown something.
  let browser;
  try {
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await openWorkbench(page, url);
    const host = new HostClient(infoFile, token);
    await host.connect();
    await host.executeCommand('workbench.action.closeAllEditors').catch(() => {});
    const end = Date.now() + o.timeout * 1000;
    const left = () => Math.max(1000, end - Date.now());
    let shown;
    try {
      await waitFor(async () => (await host.extension('losswatch.losswatch')).isActive, left(), 'LossWatch to activate');
      // The screenshot runs are short: let them finish so the picture shows the whole story.
      await waitFor(
        () => children.every((p) => p.exitCode !== null || p.signalCode !== null),
        left(),
        'the training processes to finish',
        500,
      );
      shown = await waitFor(
        async () => {
          const ds = (await host.diagnostics()).filter((d) => d.file.startsWith(ws) && /losswatch/i.test(d.source ?? ''));
          return ds.length ? ds : undefined;
        },
        left(),
        'LossWatch diagnostics on the demo runs',
        500,
      );
      await sleep(2000); // last coalesced updates
    } catch (e) {
      console.error(`demo: ${e instanceof Error ? e.message : e}`);
    }
    const commands = await host.call('getCommands', { filter: 'losswatch' });
    if (commands.includes('workbench.view.extension.losswatch')) {
      await host.executeCommand('workbench.view.extension.losswatch').catch(() => {}); // LossWatch's side bar
    }
    if (commands.includes('losswatch.openDashboard')) {
      await host.executeCommand('losswatch.openDashboard').catch((e) => console.error(`demo: openDashboard: ${e.message}`));
      await sleep(2500); // charts render and animate
      // A diverged run reaches 1e36: a log y axis keeps the other curves readable.
      try {
        const frame = await waitFor(
          async () => {
            for (const f of page.frames()) {
              if (
                f.url().includes('fake.html') &&
                (await f
                  .locator('canvas')
                  .count()
                  .catch(() => 0))
              )
                return f;
            }
            return undefined;
          },
          5000,
          'the dashboard frame',
        );
        const logY = frame.getByLabel('log y').first();
        if (!(await logY.isChecked())) await logY.check({ timeout: 3000 });
        await sleep(1000);
      } catch (e) {
        console.error(`demo: could not switch the loss chart to log y (${e instanceof Error ? e.message.split('\n')[0] : e})`);
      }
    }
    await page.keyboard.press('Control+Shift+M');
    await page
      .locator('.markers-panel')
      .waitFor({ state: 'visible', timeout: 5000 })
      .catch(() => host.executeCommand('workbench.actions.view.problems'));
    await sleep(1000);
    const rows = await page
      .locator('.markers-panel .monaco-list-row')
      .evaluateAll((els) => els.map((e) => (e.textContent ?? '').replace(/\s+/g, ' ').trim()));
    fs.mkdirSync(path.dirname(o.screenshot), { recursive: true });
    await page.screenshot({ path: o.screenshot });
    console.log(`demo: screenshot saved to ${o.screenshot}`);
    console.log(
      `demo: Problems panel rows (${rows.length}):\n${rows
        .slice(0, 12)
        .map((r) => `  ${r}`)
        .join('\n')}`,
    );
    if (!shown) {
      console.error('demo: LossWatch showed no diagnostics on the demo runs; the screenshot shows the state anyway');
      return 1;
    }
    return 0;
  } finally {
    await browser?.close().catch(() => {});
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? e.message : e);
    stopChildren();
    process.exit(1);
  },
);
