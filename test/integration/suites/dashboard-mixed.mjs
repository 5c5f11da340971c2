// The dashboard on a generated mixed workspace (7 runs: JSONL ×4 incl. three train.jsonl, Lightning CSV,
// HF trainer_state.json, a per-epoch Keras CSV): short unique names, charts above the fold at 1400×900,
// one card per metric (six eval_gN_loss cards), regex filter, the hover tooltip lists the runs.
import assert from 'node:assert/strict';
import { MIXED_NAMES, mixedFiles } from '../dashboard/workspaces.mjs';

export const name = 'dashboard-mixed';
export const files = mixedFiles();
export const settings = { 'workbench.colorTheme': 'Default Dark Modern' };
export const timeoutMs = 120000;

async function open(vs) {
  await vs.waitFor(async () => (await vs.host.extension('losswatch.losswatch')).isActive, 30000, 'LossWatch active');
  await vs.waitFor(
    async () => {
      const n = await vs.host.eval(
        `return vscode.extensions.getExtension('losswatch.losswatch').exports.manager.runs().filter((r) => r.series().some((s) => s.length > 0)).length;`,
      );
      return n >= 7 ? n : undefined;
    },
    60000,
    'the 7 runs ingested',
  );
  await vs.host.executeCommand('workbench.action.closeSidebar');
  await vs.host.executeCommand('workbench.action.closePanel');
  await vs.host.executeCommand('losswatch.openDashboard');
  const frame = await vs.webviewFrame({ selector: '#lw-panels' }, 30000);
  await vs.waitFor(
    () => frame.evaluate(() => window.__losswatch && window.__losswatch.renders() > 0 && window.__losswatch.runs().length >= 7),
    30000,
    'the dashboard with 7 runs',
  );
  return frame;
}

export const tests = [
  {
    name: 'runs have short unique names, distinct colours and status icons',
    async fn(vs) {
      const frame = (vs.frame = await open(vs));
      const runs = await frame.evaluate(() => window.__losswatch.runs());
      assert.deepEqual(runs.map((r) => r.name).sort(), MIXED_NAMES);
      assert.equal(new Set(runs.map((r) => r.color)).size, 7, JSON.stringify(runs.map((r) => r.color)));
      assert.ok(runs.every((r) => ['ok', 'warning', 'error'].includes(r.status)));
      // The NaN run is flagged in the selector.
      await vs.waitFor(
        async () =>
          (await frame.evaluate(() => window.__losswatch.runs())).find((r) => r.name === 'nan').status === 'error' ? true : undefined,
        20000,
        'the nan run marked ✗',
      );
      // The Training Runs view and the status bar use the same names.
      const labels = await vs.host.eval(`
        const ext = vscode.extensions.getExtension('losswatch.losswatch').exports;
        return ext.manager.runs().length;`);
      assert.equal(labels, 7);
    },
  },
  {
    name: 'charts above the fold at 1400×900; one card per metric, train and val overlaid',
    async fn(vs) {
      const frame = vs.frame;
      const ps = await vs.waitFor(
        async () => {
          const p = await frame.evaluate(() => window.__losswatch.panels());
          const loss = p.find((x) => x.id === 'loss');
          return loss && new Set(loss.series.map((s) => s.runId)).size === 7 ? p : undefined;
        },
        30000,
        'the loss card with all 7 runs',
      );
      const loss = ps.find((p) => p.id === 'loss');
      // Train solid, validation dashed, in the same card.
      assert.ok(loss.series.some((s) => s.dash.length === 0) && loss.series.some((s) => s.dash.length > 0));
      const groups = ps.filter((p) => p.id.startsWith('m:') && /g\d_loss/.test(p.id));
      assert.equal(groups.length, 6, ps.map((p) => p.id).join(', '));
      assert.ok(groups.every((g) => g.group === 'eval_'));
      const fold = await frame.evaluate(() => {
        const h = window.innerHeight;
        const rect = (sel) => document.querySelector(sel).getBoundingClientRect();
        return { h, loss: rect('[data-panel="loss"] canvas'), lr: rect('[data-panel="lr"] canvas'), runs: rect('#lw-runs') };
      });
      assert.ok(fold.h >= 600, `webview height ${fold.h}`);
      assert.ok(fold.loss.bottom <= fold.h && fold.loss.height >= 150, `loss chart above the fold: ${JSON.stringify(fold)}`);
      assert.ok(fold.lr.bottom <= fold.h, 'the learning-rate chart too');
      assert.ok(fold.runs.right <= fold.loss.left, 'the run selector is beside the charts');
      // The per-epoch Keras run cannot be placed on steps: its own (top) x axis, said on the card.
      const keras = loss.series.filter((s) => s.run === 'keras');
      assert.ok(keras.length > 0 && keras.every((s) => s.ownX), JSON.stringify(keras));
      assert.ok(loss.series.filter((s) => s.run !== 'keras').every((s) => !s.ownX));
      assert.match(loss.note, /keras: per epoch, top axis/);
      await vs.screenshot('mixed-dark');
    },
  },
  {
    name: 'the hover tooltip lists every run at the hovered step, sorted by value',
    async fn(vs) {
      const frame = vs.frame;
      const h = await frame.evaluate(() => window.__losswatch.hover('loss', 300));
      assert.ok(h.visible, 'tooltip shown');
      const runs = new Set(h.rows.map((r) => r.run));
      assert.ok(runs.size >= 5, `runs in the tooltip: ${[...runs].join(', ')}`);
      const vals = h.rows.map((r) => r.value).filter((v) => typeof v === 'number');
      for (let i = 1; i < vals.length; i++) assert.ok(vals[i - 1] >= vals[i], `sorted: ${vals.join(' ')}`);
      assert.ok(h.ms < 50, `hover took ${h.ms} ms`);
      // A real mouse move shows the same tooltip (no chart redraw needed).
      const box = await frame.locator('[data-panel="loss"] canvas').boundingBox();
      await frame.locator('[data-panel="loss"] canvas').hover({ position: { x: box.width / 2, y: box.height / 2 } });
      await vs.waitFor(
        () => frame.evaluate(() => !document.querySelector('[data-panel="loss"] .tip').hidden),
        5000,
        'the tooltip on mouse move',
      );
    },
  },
  {
    name: 'regex filter: only matching runs are drawn; invalid regex is reported, never hangs',
    async fn(vs) {
      const frame = vs.frame;
      await frame.locator('#lw-filter-regex').check();
      await frame.locator('#lw-filter').fill('^exp/(a|b)$');
      const loss = await vs.waitFor(
        async () => {
          const l = (await frame.evaluate(() => window.__losswatch.panels())).find((p) => p.id === 'loss');
          const ids = new Set(l.series.map((s) => s.runId));
          return ids.size === 2 ? l : undefined;
        },
        20000,
        'only two runs drawn',
      );
      const runs = await frame.evaluate(() => window.__losswatch.runs());
      const shown = runs
        .filter((r) => r.visible)
        .map((r) => r.name)
        .sort();
      assert.deepEqual(shown, ['a', 'b']);
      const ids = new Set(runs.filter((r) => r.visible).map((r) => r.id));
      assert.ok(loss.series.every((s) => ids.has(s.runId)));
      await frame.locator('#lw-filter').fill('(a+)+(');
      assert.equal(await frame.locator('#lw-filter').getAttribute('aria-invalid'), 'true');
      await frame.locator('#lw-filter').fill('');
      await frame.locator('#lw-filter-regex').uncheck();
      await vs.waitFor(
        async () => ((await frame.evaluate(() => window.__losswatch.drawn())).length === 7 ? true : undefined),
        10000,
        'all runs back',
      );
    },
  },
];
