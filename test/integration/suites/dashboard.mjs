// The dashboard in a real VS Code: open it on a fixture run and check, from inside the webview frame,
// that the expected series are drawn (data and canvas pixels), markers exist, clicking a marker or a
// point opens the log at the right line, appended lines appear, "Show in dashboard" zooms to a step,
// names from logs are inserted as text, and the panel state survives a window reload.
// Screenshots go to test-output/ only (docs/images/ is written by `npm run docs:images`).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const name = 'dashboard';
const EVIL = '<img src=x onerror=alert(1)>';
const N = 400;
const NAN_STEP = 250;
const SPIKE_STEP = 330; // one outlier: the y range must ignore it (clipped), not flatten the curves
const SPIKE = 5000;

function fixture() {
  const lines = [];
  let seed = 3;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
  for (let step = 1; step <= N; step++) {
    const rec = {
      step,
      loss: 2.3 * Math.exp(-step / 90) + 0.15 + 0.06 * rnd(),
      lr: 1e-3 * Math.min(1, step / 40) * (1 - step / (N + 50)),
      grad_norm: 4 * Math.exp(-step / 150) + 0.3 * rnd() + 0.2,
    };
    if (step === NAN_STEP) rec.loss = 'NaN';
    if (step === SPIKE_STEP) rec.loss = SPIKE;
    if (step % 20 === 0) {
      rec.val_loss = 2.3 * Math.exp(-step / 100) + 0.25 + (step > 260 ? (step - 260) / 250 : 0);
      rec.val_accuracy = Math.min(0.95, 0.3 + step / 500);
    }
    rec[EVIL] = step % 7;
    lines.push(JSON.stringify(rec).replace('"NaN"', 'NaN'));
  }
  return lines.join('\n') + '\n';
}

export const files = {
  'runs/baseline/train.jsonl': fixture(),
  [`runs/${EVIL}.jsonl`]: Array.from({ length: 30 }, (_, i) => JSON.stringify({ step: i + 1, loss: 2 - i / 30 })).join('\n') + '\n',
};
export const settings = { 'workbench.colorTheme': 'Default Dark Modern' };
export const timeoutMs = 90000;

const NAN_LINE = NAN_STEP; // one record per line, step 1 at line 1

async function runs(vs) {
  return vs.host.eval(
    `const m = vscode.extensions.getExtension('losswatch.losswatch').exports.manager;
     return m.runs().map((r) => ({ id: r.id, name: r.name, root: r.root, series: r.series().map((s) => [s.key, s.length]) }));`,
  );
}

async function dashboard(vs) {
  const frame = await vs.webviewFrame({ selector: '#lw-panels' }, 30000);
  await vs.waitFor(() => frame.evaluate(() => window.__losswatch && window.__losswatch.renders() > 0), 20000, 'the dashboard to render');
  return frame;
}

const panels = (frame) => frame.evaluate(() => window.__losswatch.panels());

export const tests = [
  {
    name: 'opens on the fixture run and draws loss, val loss, grad norm (log y), lr, accuracy',
    async fn(vs) {
      await vs.waitFor(async () => (await vs.host.extension('losswatch.losswatch')).isActive, 30000, 'LossWatch active');
      const rs = await vs.waitFor(
        async () => {
          const r = await runs(vs);
          const base = r.find((x) => x.root.includes('baseline'));
          return base && base.series.some(([k, n]) => k === 'loss' && n === N) && r.length >= 2 ? r : undefined;
        },
        30000,
        'both fixture runs ingested',
      );
      vs.base = rs.find((x) => x.root.includes('baseline'));
      vs.dialogs = [];
      vs.page.on('dialog', (d) => {
        vs.dialogs.push(d.message());
        void d.dismiss();
      });
      await vs.host.executeCommand('workbench.action.closeSidebar');
      await vs.host.executeCommand('losswatch.openDashboard');
      const frame = await dashboard(vs);
      vs.frame = frame;
      const ps = await vs.waitFor(
        async () => {
          const p = await panels(frame);
          const loss = p.find((x) => x.id === 'loss');
          return loss && loss.series.some((s) => s.runId === vs.base.id && s.key === 'val_loss') ? p : undefined;
        },
        20000,
        'loss and val_loss in the loss panel',
      );
      const byId = Object.fromEntries(ps.map((p) => [p.id, p]));
      const mine = (id) =>
        byId[id].series
          .filter((s) => s.runId === vs.base.id)
          .map((s) => s.key)
          .sort();
      assert.deepEqual(mine('loss'), ['loss', 'val_loss']);
      assert.deepEqual(mine('grad_norm'), ['grad_norm']);
      assert.deepEqual(mine('lr'), ['lr']);
      assert.deepEqual(mine('accuracy'), ['val_accuracy']);
      // Every other metric has a card of its own (here the one named like HTML).
      assert.ok(
        ps.some((p) => p.id === `m:${EVIL}` && p.title === EVIL),
        ps.map((p) => p.id).join(', '),
      );
      const loss = byId.loss.series.find((s) => s.runId === vs.base.id && s.key === 'loss');
      assert.ok(loss.raw > 50 && loss.smooth > 50, `raw ${loss.raw} / smoothed ${loss.smooth} points drawn`);
      // The NaN is a marker at the top edge, at its step, with its source index.
      assert.deepEqual(
        loss.nonFinite.map((n) => [n.kind, n.x, n.index]),
        [['nan', NAN_STEP, NAN_STEP - 1]],
      );
      const state = await frame.evaluate(() => window.__losswatch.state());
      assert.equal(byId.grad_norm.yRange.type, 'logarithmic', 'gradient norm card is log scale by default');
      // The NaN region is a line break, never bridged (raw and smoothed curves).
      for (const b of byId.loss.breaks.filter((x) => x.runId === vs.base.id && x.key === 'loss')) {
        assert.ok(b.xs.includes(NAN_STEP), `${b.kind} curve breaks at the NaN step: ${JSON.stringify(b.xs)}`);
      }
      // Ignore outliers (default): the spike to 5000 is clipped, the loss axis stays on the healthy range.
      assert.equal(state.ignoreOutliers, true);
      assert.ok(byId.loss.yRange.max < 10 && byId.loss.yRange.type === 'linear', JSON.stringify(byId.loss.yRange));
      assert.match(byId.loss.note, /clipped/);
      // Tick labels are compact: no "e+", no "9.000e-4".
      for (const p of ps.filter((x) => !x.hidden)) {
        for (const t of p.yTicks) assert.doesNotMatch(t, /e\+|\.\d*0e|\.0+$|\.\d*[1-9]0+$/, `${p.id} tick ${t}`);
      }
      assert.ok(
        byId.lr.yTicks.some((t) => /^\de-4$/.test(t)),
        `lr ticks: ${byId.lr.yTicks.join(' ')}`,
      );
      // No legend on the chart: the hover tooltip lists the series at the hovered step, sorted by value.
      assert.equal(await frame.locator('.legend').count(), 0);
      const tip = await frame.evaluate(() => window.__losswatch.hover('loss', 200));
      assert.ok(
        tip.visible && tip.rows.some((r) => r.series === 'val_loss') && tip.rows.some((r) => r.series === 'loss'),
        JSON.stringify(tip.rows),
      );
      const vals = tip.rows.map((r) => r.value).filter((v) => typeof v === 'number');
      for (let i = 1; i < vals.length; i++) assert.ok(vals[i - 1] >= vals[i], `sorted by value: ${vals}`);
      // Turning it off shows the whole range, spike included.
      await frame.locator('#lw-outliers').click();
      await vs.waitFor(
        async () => ((await panels(frame)).find((p) => p.id === 'loss').yRange.max >= SPIKE ? true : undefined),
        10000,
        'the full y range',
      );
      await frame.locator('#lw-outliers').click();
      await vs.waitFor(
        async () => ((await panels(frame)).find((p) => p.id === 'loss').yRange.max < 10 ? true : undefined),
        10000,
        'the robust y range again',
      );
      assert.equal(vs.failedResources().length, 0, JSON.stringify(vs.failedResources()));
    },
  },
  {
    name: 'canvas pixels: the curve is drawn where the data is',
    async fn(vs) {
      const frame = vs.frame;
      const res = await frame.evaluate(() => {
        const lw = window.__losswatch;
        const canvas = document.querySelector('[data-panel="grad_norm"] canvas');
        const ctx = canvas.getContext('2d');
        const bg = ctx.getImageData(2, 2, 1, 1).data;
        // Sample the drawn grad-norm points: the curve must have opaque, non-background pixels near them.
        const s = lw.panels().find((p) => p.id === 'grad_norm').series[0];
        let hits = 0;
        let tried = 0;
        const all = lw.points('grad_norm', 'smooth');
        const pts = all.filter((_, i) => i % Math.max(1, Math.floor(all.length / 40)) === 0);
        for (const [x, y] of pts) {
          const p = lw.pixel('grad_norm', x, y);
          const d = ctx.getImageData(Math.round(p.x) - 2, Math.round(p.y) - 2, 5, 5).data;
          let found = false;
          for (let i = 0; i < d.length; i += 4)
            if (d[i + 3] > 0 && Math.abs(d[i] - bg[0]) + Math.abs(d[i + 1] - bg[1]) + Math.abs(d[i + 2] - bg[2]) > 60) found = true;
          tried++;
          if (found) hits++;
        }
        return { hits, tried, key: s.key };
      });
      assert.ok(res.tried >= 10, `sampled ${res.tried} points`);
      assert.ok(res.hits >= res.tried * 0.9, `curve pixels found at ${res.hits}/${res.tried} data points`);
    },
  },
  {
    name: 'markers exist and clicking one opens the log at its line',
    async fn(vs) {
      const frame = vs.frame;
      const btn = await vs.waitFor(
        async () => {
          const b = frame.locator('#lw-markers button[data-code="non-finite-loss"]');
          return (await b.count()) > 0 ? b.first() : undefined;
        },
        20000,
        'a non-finite-loss marker',
      );
      const all = await frame.locator('#lw-markers button').evaluateAll((bs) => bs.map((b) => b.dataset.code));
      assert.ok(all.includes('best-step'), `best-step marker present (${all.join(', ')})`);
      assert.ok(all.includes('overfitting'), `overfitting marker present (${all.join(', ')})`);
      const lossCard = (await panels(frame)).find((p) => p.id === 'loss');
      const lossMarkers = lossCard.markers;
      assert.ok(
        lossMarkers.some((m) => m.code === 'non-finite-loss' && m.step === NAN_STEP),
        JSON.stringify(lossMarkers),
      );
      // Findings are glyphs on the x axis: no vertical line until one is selected.
      assert.deepEqual(lossCard.annotations, []);
      // The glyph has a tooltip with the finding.
      const glyph = await frame.evaluate((step) => {
        const lw = window.__losswatch;
        const c = lw.chart('loss');
        const px = c.scales.x.getPixelForValue(step);
        const card = [...document.querySelectorAll('.panel')].find((p) => p.dataset.panel === 'loss');
        const panel = c.$lwPanel;
        panel.hoverAt(px, c.chartArea.bottom - 2);
        return card.querySelector('.tip').textContent;
      }, NAN_STEP);
      assert.match(glyph, /non-finite-loss at step 250/);
      await btn.click();
      await vs.waitFor(
        async () => ((await panels(frame)).find((p) => p.id === 'loss').annotations.includes('selected') ? true : undefined),
        5000,
        'the selected finding drawn as a line',
      );
      const file = path.join(vs.workspaceDir, 'runs/baseline/train.jsonl');
      const ed = await vs.waitFor(
        async () => {
          const e = await vs.activeEditor();
          return e && e.file === file ? e : undefined;
        },
        15000,
        'the log to open',
      );
      assert.equal(ed.line, NAN_LINE);
    },
  },
  {
    name: 'clicking a point on the chart (the NaN marker at the top edge) opens its line',
    async fn(vs) {
      await vs.host.executeCommand('workbench.action.closeActiveEditor');
      await vs.host.executeCommand('losswatch.openDashboard');
      const frame = await dashboard(vs);
      vs.frame = frame;
      const pos = await frame.evaluate(
        ([x]) => {
          const lw = window.__losswatch;
          const c = lw.client('loss', x, 1, 'edge');
          const r = document.querySelector('[data-panel="loss"] canvas').getBoundingClientRect();
          return { x: c.x - r.left, y: c.y - r.top + 2 };
        },
        [NAN_STEP],
      );
      await frame.locator('[data-panel="loss"] canvas').click({ position: pos });
      const file = path.join(vs.workspaceDir, 'runs/baseline/train.jsonl');
      const ed = await vs.waitFor(
        async () => {
          const e = await vs.activeEditor();
          return e && e.file === file ? e : undefined;
        },
        15000,
        'the log to open from the chart',
      );
      assert.equal(ed.line, NAN_LINE);
    },
  },
  {
    name: 'names from logs are text, never HTML',
    async fn(vs) {
      await vs.host.executeCommand('losswatch.openDashboard');
      const frame = await dashboard(vs);
      vs.frame = frame;
      const r = await frame.evaluate((evil) => {
        const card = [...document.querySelectorAll('.panel')].find((p) => p.dataset.panel === `m:${evil}`);
        return {
          imgs: document.querySelectorAll('img').length,
          text: document.body.innerText.includes(evil),
          title: card ? card.querySelector('h3').textContent : null,
          run: window.__losswatch.runs().some((x) => x.name === evil),
        };
      }, EVIL);
      assert.equal(r.imgs, 0, 'no <img> element was created from a name');
      assert.ok(r.text, 'the names show as literal text');
      assert.equal(r.title, EVIL, 'the metric card title is literal text');
      assert.ok(r.run, 'the run name is literal text');
      await vs.waitFor(
        async () => (await panels(frame)).find((p) => p.id === `m:${EVIL}` && p.series.some((s) => s.key === EVIL)),
        10000,
        'the metric drawn',
      );
      assert.deepEqual(vs.dialogs, []);
    },
  },
  {
    name: 'an appended line appears in the chart',
    async fn(vs) {
      const frame = vs.frame;
      await frame.locator('#lw-reset').click();
      vs.append('runs/baseline/train.jsonl', JSON.stringify({ step: N + 100, loss: 0.05, grad_norm: 9 }) + '\n');
      await vs.waitFor(
        async () => {
          const loss = (await panels(frame)).find((p) => p.id === 'loss');
          return loss.xRange.max >= N + 100 && loss.series.some((s) => s.key === 'loss' && s.runId === vs.base.id && s.raw > 0)
            ? true
            : undefined;
        },
        20000,
        `step ${N + 100} to appear`,
      );
      const has = await frame.evaluate((x) => window.__losswatch.points('loss').some((p) => p[0] === x && p[1] === 0.05), N + 100);
      assert.ok(has, 'the appended point is in the loss dataset');
      // No line across the gap from step 400 to 500 (no records in between), in any curve.
      const ps = await panels(frame);
      for (const id of ['loss', 'grad_norm']) {
        const bs = ps.find((p) => p.id === id).breaks.filter((b) => b.runId === vs.base.id && (b.key === 'loss' || b.key === 'grad_norm'));
        assert.ok(bs.length > 0, id);
        for (const b of bs)
          assert.ok(
            b.xs.some((x) => x > N && x < N + 100),
            `${id} ${b.kind} breaks in the gap: ${JSON.stringify(b.xs)}`,
          );
      }
      // And no pixels of the curve's colour where a bridging line would pass, across the gap (with a
      // positive control: the same detector finds the colour on the curve itself).
      const bridged = await frame.evaluate(
        ([from, to]) => {
          const lw = window.__losswatch;
          const canvas = document.querySelector('[data-panel="grad_norm"] canvas');
          const ctx = canvas.getContext('2d');
          const color = lw.panels().find((p) => p.id === 'grad_norm').series[0].color;
          const probe = document.createElement('canvas').getContext('2d');
          probe.fillStyle = color;
          probe.fillRect(0, 0, 1, 1);
          const [cr, cg, cb] = probe.getImageData(0, 0, 1, 1).data;
          const count = (x, y) => {
            const d = ctx.getImageData(x - 2, y - 2, 5, 5).data;
            let n = 0;
            for (let i = 0; i < d.length; i += 4)
              if (d[i + 3] > 0 && Math.abs(d[i] - cr) + Math.abs(d[i + 1] - cg) + Math.abs(d[i + 2] - cb) < 90) n++;
            return n;
          };
          const pts = lw.points('grad_norm', 'smooth');
          const a = pts.filter((p) => p[0] <= from).at(-1);
          const b = pts.find((p) => p[0] >= to);
          const pa = lw.pixel('grad_norm', a[0], a[1]);
          const pb = lw.pixel('grad_norm', b[0], b[1]);
          let bridge = 0;
          for (const t of [0.3, 0.5, 0.7]) bridge += count(Math.round(pa.x + (pb.x - pa.x) * t), Math.round(pa.y + (pb.y - pa.y) * t));
          const mid = pts[Math.floor(pts.length / 3)];
          const pm = lw.pixel('grad_norm', mid[0], mid[1]);
          return { bridge, control: count(Math.round(pm.x), Math.round(pm.y)), spanGaps: lw.chart('grad_norm').options.spanGaps };
        },
        [N, N + 100],
      );
      assert.equal(bridged.spanGaps, false);
      assert.ok(bridged.control > 0, 'the colour detector sees the curve');
      assert.equal(bridged.bridge, 0, 'no line drawn across the gap');
    },
  },
  {
    name: 'screenshots (dark, light, high contrast) to test-output',
    async fn(vs) {
      // The dashboard alone in the editor area, showing the baseline run.
      await vs.host.executeCommand('workbench.action.closeAllEditors');
      await vs.host.executeCommand('workbench.action.closePanel');
      await vs.host.executeCommand('losswatch.openDashboard', { runId: vs.base.id });
      const frame = await dashboard(vs);
      vs.frame = frame;
      await frame.evaluate((keep) => {
        for (const c of document.querySelectorAll('#lw-runs .run-row input')) if (c.value !== keep && c.checked) c.click();
      }, vs.base.id);
      await vs.waitFor(
        async () => {
          const p = await panels(frame);
          return (
            p.find((x) => x.id === 'loss').series.every((s) => s.runId === vs.base.id) && p.find((x) => x.id === 'loss').series.length === 2
          );
        },
        10000,
        'only the baseline run shown',
      );
      const outer = await frame.parentFrame().frameElement();
      const shot = async (file) => {
        await new Promise((r) => setTimeout(r, 800));
        await outer.screenshot({ path: file });
        return file;
      };
      const theme = async (name, cls) => {
        await vs.host.updateConfig('workbench', 'colorTheme', name, 'workspace');
        await vs.waitFor(() => frame.evaluate((c) => document.body.classList.contains(c), cls), 15000, `${cls} in the webview`);
      };
      const dark = await shot(path.join(vs.outputDir, 'dashboard-dark.png'));
      await theme('Default Light Modern', 'vscode-light');
      const light = await shot(path.join(vs.outputDir, 'dashboard-light.png'));
      for (const f of [dark, light]) assert.ok(fs.statSync(f).size > 30000, `${f} written`);
      await theme('Default High Contrast', 'vscode-high-contrast');
      await shot(path.join(vs.outputDir, 'dashboard-high-contrast.png'));
      await theme('Default Dark Modern', 'vscode-dark');
    },
  },
  {
    name: 'Show in dashboard zooms to the step and highlights it',
    async fn(vs) {
      await vs.host.executeCommand('losswatch.showInDashboard', { runId: vs.base.id, step: 120 });
      const frame = vs.frame;
      const loss = await vs.waitFor(
        async () => {
          const l = (await panels(frame)).find((p) => p.id === 'loss');
          return l.xRange.min < 120 && l.xRange.max > 120 && l.xRange.max - l.xRange.min < N / 2 ? l : undefined;
        },
        15000,
        'the zoomed range around step 120',
      );
      assert.ok(loss);
      const st = await frame.evaluate(() => window.__losswatch.state());
      assert.ok(st.range && st.range.min < 120 && st.range.max > 120);
    },
  },
  {
    name: 'panel state (runs, zoom, smoothing, axes) survives a window reload',
    async fn(vs) {
      const frame = vs.frame;
      await frame.evaluate(() => {
        const s = document.getElementById('lw-smoothing');
        s.value = '0.9';
        s.dispatchEvent(new Event('input'));
        const x = document.getElementById('lw-x-log');
        x.click();
      });
      await vs.waitFor(
        () => frame.evaluate(() => window.__losswatch.state().smoothing === 0.9 && window.__losswatch.state().xLog),
        5000,
        'state applied',
      );
      // Per-card log x: the gradient-norm card back to a linear x while the others stay on log x.
      await frame.evaluate(() => document.getElementById('lw-xlog-grad_norm').click());
      const byId = async () => Object.fromEntries((await panels(frame)).map((p) => [p.id, p]));
      const mixed = await vs.waitFor(
        async () => {
          const p = await byId();
          return p.grad_norm?.xRange.type === 'linear' && p.loss?.xRange.type === 'logarithmic' ? p : undefined;
        },
        10000,
        'grad_norm on a linear x, loss on log x',
      );
      assert.ok(mixed.loss.xRange.min > 0, `log x starts above 0: ${JSON.stringify(mixed.loss.xRange)}`);
      assert.deepEqual((await frame.evaluate(() => window.__losswatch.state())).xLogCards, { grad_norm: false });
      // VS Code saves webview state lazily: give it time, then reload the window the normal way.
      await new Promise((r) => setTimeout(r, 2500));
      await vs.host.executeCommand('workbench.action.reloadWindow').catch(() => {});
      await new Promise((r) => setTimeout(r, 3000));
      const f2 = await vs.webviewFrame({ selector: '#lw-panels' }, 60000);
      await vs.waitFor(
        () => f2.evaluate(() => window.__losswatch && window.__losswatch.renders() > 0),
        30000,
        'the restored dashboard to render',
      );
      const st = await f2.evaluate(() => window.__losswatch.state());
      assert.equal(st.smoothing, 0.9);
      assert.equal(st.xLog, true);
      assert.deepEqual(st.xLogCards, { grad_norm: false }, 'per-card log x is part of the saved state');
      const types = await vs.waitFor(
        async () => {
          const p = Object.fromEntries((await panels(f2)).map((x) => [x.id, x.xRange.type]));
          return p.grad_norm === 'linear' && p.loss === 'logarithmic' ? p : undefined;
        },
        10000,
        'per-card log x restored',
      );
      assert.ok(types);
      assert.ok(Array.isArray(st.runIds) && st.runIds.length === 1, JSON.stringify(st.runIds));
    },
  },
];
