// Integration suite (real VS Code): the example trainer's runs in the Problems panel.
// To enable: move this file to test/integration/suites/ (it only uses the harness API).
//  - every committed case of test/fixtures/runs/ (examples/train_classifier.py) gets its diagnostic
//    on its log.jsonl, the healthy run gets no warning or error;
//  - clicking a Problems row lands on the log line, "Show in dashboard" opens the dashboard at the step;
//  - when /usr/bin/python3 has torch: a live PyTorch run (--lr 50 --live) written into the workspace
//    while VS Code watches: its curve grows and non-finite-loss appears at the first NaN line.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

// The repo root, whether this file sits in test/pending-e2e/ or test/integration/suites/.
let repo = path.dirname(fileURLToPath(import.meta.url));
while (!fs.existsSync(path.join(repo, 'package.json')) && path.dirname(repo) !== repo) repo = path.dirname(repo);
const PYTHON = process.env.LOSSWATCH_PYTHON ?? '/usr/bin/python3';

export const name = 'example-runs';
export const workspace = path.join(repo, 'test', 'fixtures', 'runs'); // copied to a temp dir
export const timeoutMs = 90000;

const CASES = {
  healthy: [],
  'high-lr-nan': ['non-finite-loss', 'training-divergence'],
  'double-softmax': ['probabilities-as-logits'],
  'one-based-labels': ['label-one-based'],
  'label-equal-to-c': ['label-out-of-range'],
  'one-hot-with-index-loss': ['label-one-hot-vs-index'],
  'tiny-train-overfit': ['overfitting'],
  'multi-label-with-softmax': ['label-multi-hot'],
};

const ours = (all, file) => all.filter((d) => d.source === 'LossWatch' && d.file === file);
const manager = (expr) => `const m = vscode.extensions.getExtension('losswatch.losswatch').exports.manager; ${expr}`;

function hasTorch() {
  return fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60000 }).status === 0;
}

export const tests = [
  {
    name: 'each example case shows its diagnostic; the healthy run none at Warning/Error',
    async fn(vs) {
      await vs.waitFor(async () => (await vs.host.extension('losswatch.losswatch')).isActive, 20000, 'activation');
      for (const [c, codes] of Object.entries(CASES)) {
        const file = vs.file(`${c}/log.jsonl`);
        if (codes.length === 0) {
          await vs.waitFor(async () => await vs.host.eval(manager(`return !!m.runForFile(args.file);`), { file }), 20000, `${c} watched`);
          await vs.settled(); // every watched file read to its end and checked: silence now means something
          const bad = ours(await vs.diagnostics(), file).filter((d) => d.severity === 'error' || d.severity === 'warning');
          assert.deepEqual(
            bad.map((d) => `${d.code}: ${d.message}`),
            [],
            `${c}: expected silence`,
          );
          continue;
        }
        for (const code of codes) {
          const d = await vs.waitFor(async () => ours(await vs.diagnostics(), file).find((x) => x.code === code), 20000, `${c}: ${code}`);
          assert.ok(d.line >= 1, `${c}: ${code} has a line`);
        }
      }
      await vs.screenshot('example-runs-diagnostics');
    },
  },
  {
    name: 'Problems panel: clicking label-out-of-range lands on the logged batch line',
    async fn(vs) {
      const file = vs.file('label-equal-to-c/log.jsonl');
      const d = ours(await vs.diagnostics(), file).find((x) => x.code === 'label-out-of-range');
      assert.ok(d, 'label-out-of-range diagnostic');
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      assert.match(lines[d.line - 1], /"logits"/, 'the finding points at the logits record');
      await vs.problems(); // opens the panel
      // The list is virtualised and holds every case's findings: filter it down to the one row.
      const filter = vs.page.locator('.markers-panel-action-filter input, .viewpane-filter input').first();
      await filter.click();
      await filter.fill('label-out-of-range');
      await vs.waitFor(async () => (await vs.problems()).find((t) => t.includes('label-out-of-range')), 15000, 'Problems row');
      const row = vs.page.locator('.markers-panel .monaco-list-row', { hasText: 'label-out-of-range' }).first();
      await row.click();
      await vs.page.keyboard.press('Enter'); // open (works for single- and double-click open modes)
      const ed = await vs.waitFor(
        async () => {
          const e = await vs.activeEditor();
          return e && e.file === file ? e : undefined;
        },
        15000,
        'the log opened at the finding',
      );
      assert.equal(ed.line, d.line);
      await vs.screenshot('clicked-problem');
      await filter.fill('');
    },
  },
  {
    name: 'Show in dashboard opens the dashboard at the step of the first NaN',
    async fn(vs) {
      const file = vs.file('high-lr-nan/log.jsonl');
      const d = ours(await vs.diagnostics(), file).find((x) => x.code === 'non-finite-loss');
      assert.ok(d, 'non-finite-loss');
      const logLines = fs.readFileSync(file, 'utf8').split('\n');
      const obj = JSON.parse(logLines[d.line - 1].replace(/\bNaN\b|-?\bInfinity\b/g, 'null'));
      const runId = await vs.host.eval(manager(`return m.runForFile(args.file).id;`), { file });
      await vs.host.executeCommand('losswatch.showInDashboard', { runId, step: obj.step });
      await vs.waitFor(async () => (await vs.host.tabs()).find((t) => t.kind === 'webview' && t.active), 15000, 'the dashboard tab');
      // What the user sees: the loss chart zoomed to a window around the NaN's step, that step highlighted
      // (the one vertical line of the selected finding), and the non-finite-loss glyph of this run there.
      const frame = await vs.webviewFrame({ selector: '#lw-panels' }, 30000);
      const loss = await vs
        .waitFor(
          async () => {
            const ps = await frame.evaluate(() => (window.__losswatch ? window.__losswatch.panels() : []));
            const l = ps.find((p) => p.id === 'loss');
            return l && l.xRange.min <= obj.step && l.xRange.max >= obj.step && l.annotations.includes('highlight') ? l : undefined;
          },
          20000,
          `the loss chart zoomed to step ${obj.step} with the step highlighted`,
        )
        .catch(async (e) => {
          const ps = await frame.evaluate(() =>
            window.__losswatch ? window.__losswatch.panels().map((p) => ({ id: p.id, x: p.xRange, a: p.annotations })) : 'no hooks',
          );
          throw new Error(`${e.message}; panels: ${JSON.stringify(ps)}`);
        });
      const all = await frame.evaluate(() => window.__losswatch.panels());
      const nanMarkers = all.flatMap((p) => p.markers).filter((m) => m.code === 'non-finite-loss' && m.runId === runId);
      assert.ok(
        nanMarkers.some((m) => m.step === obj.step),
        `a non-finite-loss glyph at step ${obj.step}: ${JSON.stringify(nanMarkers)}`,
      );
      assert.ok(loss.xRange.max - loss.xRange.min < 1000, 'zoomed in, not the whole run');
      await vs.screenshot('dashboard-at-nan');
    },
  },
  {
    name: 'live PyTorch run (--lr 50 --live): the curve grows, then non-finite-loss appears',
    async fn(vs) {
      // The committed high-lr-nan log above covers the diagnostic; the live part needs torch.
      if (!hasTorch()) vs.skip(`no torch in ${PYTHON}`);
      const out = vs.file('live-nan');
      const p = spawn(
        PYTHON,
        [path.join(repo, 'examples', 'train_classifier.py'), '--out', out, '--lr', '50', '--live', '--live-seconds', '12', '--steps', '60'],
        { stdio: 'ignore', env: { ...process.env, OMP_NUM_THREADS: '1' } },
      );
      try {
        const file = path.join(out, 'log.jsonl');
        const len = async () =>
          vs.host.eval(
            manager(
              `const r = m.runForFile(args.file); const s = r && r.series().find((x) => x.role === 'train_loss'); return s ? s.length : 0;`,
            ),
            { file },
          );
        // Generous: importing torch on a loaded 2-core machine can take a while before the first line.
        const first = await vs
          .waitFor(async () => (await len()) || undefined, 60000, 'the live run to be picked up')
          .catch((err) => {
            const size = fs.existsSync(file) ? fs.statSync(file).size : -1;
            throw new Error(
              `${err.message}; log.jsonl ${size < 0 ? 'was never written' : `has ${size} bytes`}, trainer exit code ${p.exitCode}`,
            );
          });
        await vs.waitFor(async () => ((await len()) > first ? true : undefined), 15000, 'the curve to grow');
        const d = await vs.waitFor(
          async () => ours(await vs.diagnostics(), file).find((x) => x.code === 'non-finite-loss'),
          30000,
          'non-finite-loss on the live run',
        );
        assert.ok(d.line > 1);
        await vs.screenshot('live-nan');
      } finally {
        p.kill();
      }
    },
  },
];
