// The dashboard on a generated 200-run sweep: every run listed with a unique short name, ≥ 20 colours,
// charts above the fold at 1400×900, regex filter, tooltip capped, findings as glyphs not lines.
import assert from 'node:assert/strict';
import { manyFiles } from '../dashboard/workspaces.mjs';

export const name = 'dashboard-many';
export const files = manyFiles(200);
export const settings = { 'workbench.colorTheme': 'Default Dark Modern' };
export const timeoutMs = 180000;

export const tests = [
  {
    name: '200 runs: unique short names, grouped by folder, 20 colours, charts above the fold',
    async fn(vs) {
      await vs.waitFor(async () => (await vs.host.extension('losswatch.losswatch')).isActive, 30000, 'LossWatch active');
      await vs.waitFor(
        async () => {
          const n = await vs.host.eval(
            `return vscode.extensions.getExtension('losswatch.losswatch').exports.manager.runs().filter((r) => r.series().some((s) => s.length >= 300)).length;`,
          );
          return n >= 200 ? n : undefined;
        },
        150000,
        '200 runs ingested',
      );
      await vs.host.executeCommand('workbench.action.closeSidebar');
      await vs.host.executeCommand('workbench.action.closePanel');
      const t0 = Date.now();
      await vs.host.executeCommand('losswatch.openDashboard');
      const frame = (vs.frame = await vs.webviewFrame({ selector: '#lw-panels' }, 30000));
      await vs.waitFor(
        () =>
          frame.evaluate(
            () =>
              window.__losswatch &&
              window.__losswatch.panels().some((p) => p.id === 'loss' && new Set(p.series.map((s) => s.runId)).size === 200),
          ),
        60000,
        'the loss card with 200 runs',
      );
      console.log(`    (200 runs: command → loss card drawn in ${Date.now() - t0} ms, in VS Code under test load)`);
      const runs = await frame.evaluate(() => window.__losswatch.runs());
      assert.equal(runs.length, 200);
      assert.equal(new Set(runs.map((r) => r.name)).size, 200, 'unique names');
      assert.ok(
        runs.every((r) => /^lr_\de-4_seed\d+$/.test(r.name)),
        `short names: ${runs.slice(0, 3).map((r) => r.name)}`,
      );
      assert.equal(new Set(runs.map((r) => r.color)).size, 20, 'the 20 palette colours are used');
      const groups = await frame.evaluate(() => [...document.querySelectorAll('#lw-runs .run-group')].map((g) => g.dataset.group));
      assert.deepEqual(groups, ['sweep0', 'sweep1', 'sweep2', 'sweep3', 'sweep4']);
      const fold = await frame.evaluate(() => ({
        h: window.innerHeight,
        loss: document.querySelector('[data-panel="loss"] canvas').getBoundingClientRect(),
        list: document.getElementById('lw-runs').scrollHeight > document.getElementById('lw-runs').clientHeight,
      }));
      assert.ok(fold.loss.bottom <= fold.h && fold.loss.height >= 150, JSON.stringify(fold));
      assert.ok(fold.list, 'the run list scrolls on its own');
      await vs.screenshot('many-dark');
    },
  },
  {
    name: 'regex filter shows only the matching curves; select none/all acts on the visible runs',
    async fn(vs) {
      const frame = vs.frame;
      await frame.locator('#lw-filter-regex').check();
      await frame.locator('#lw-filter').fill('sweep3/.*seed1\\d$');
      const expected = (await frame.evaluate(() => window.__losswatch.runs()))
        .filter((r) => /^lr_\de-4_seed1\d$/.test(r.name) && Number(r.name.split('seed')[1]) % 5 === 3)
        .map((r) => r.id)
        .sort();
      assert.equal(expected.length, 2);
      await vs.waitFor(
        async () => {
          const l = (await frame.evaluate(() => window.__losswatch.panels())).find((p) => p.id === 'loss');
          const ids = [...new Set(l.series.map((s) => s.runId))].sort();
          return JSON.stringify(ids) === JSON.stringify(expected) ? true : undefined;
        },
        20000,
        'only the two matching runs drawn',
      );
      await frame.locator('#lw-runs-none').click();
      await vs.waitFor(
        async () => ((await frame.evaluate(() => window.__losswatch.state().runIds)) ?? []).length === 198 || undefined,
        5000,
        'the two visible runs deselected',
      );
      await frame.locator('#lw-runs-all').click();
      await vs.waitFor(
        async () => (await frame.evaluate(() => window.__losswatch.state().runIds)) === null || undefined,
        5000,
        'all selected again',
      );
      await frame.locator('#lw-filter').fill('');
      await frame.locator('#lw-filter-regex').uncheck();
    },
  },
  {
    name: 'tooltip at a step lists the runs sorted by value (capped), fast enough to follow the mouse',
    async fn(vs) {
      const frame = vs.frame;
      await vs.waitFor(
        async () => ((await frame.evaluate(() => window.__losswatch.drawn())).length === 200 ? true : undefined),
        20000,
        'all runs drawn',
      );
      await vs.waitFor(
        () =>
          frame.evaluate(() =>
            window.__losswatch.panels().some((p) => p.id === 'loss' && new Set(p.series.map((s) => s.runId)).size === 200),
          ),
        30000,
        'the loss card with 200 runs again',
      );
      const h = await frame.evaluate(() => {
        const lw = window.__losswatch;
        const out = [];
        for (let k = 0; k < 10; k++) out.push(lw.hover('loss', 20 + k * 25));
        return out;
      });
      const last = h.at(-1);
      assert.ok(last.visible);
      assert.ok(new Set(last.rows.map((r) => r.runId)).size === 200, `${last.rows.length} rows`);
      assert.match(last.text, /\+\d+ more/);
      const vals = last.rows.map((r) => r.value).filter((v) => typeof v === 'number');
      for (let i = 1; i < vals.length; i++) assert.ok(vals[i - 1] >= vals[i]);
      const ms = h.map((x) => x.ms).sort((a, b) => a - b);
      console.log(`    (hover over 200 runs: median ${ms[5].toFixed(1)} ms, max ${ms[9].toFixed(1)} ms)`);
      // Findings are glyphs on the axis: no vertical line until one is selected.
      const ann = (await frame.evaluate(() => window.__losswatch.panels())).find((p) => p.id === 'loss').annotations;
      assert.deepEqual(ann, []);
    },
  },
];
