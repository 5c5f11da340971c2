// npm run docs:images — the dashboard screenshots in docs/images/, taken in the real VS Code (the
// integration harness) at 1400×900, dark and light themes, on the generated workspaces of
// test/integration/dashboard/workspaces.mjs:
//   dashboard-dark.png / dashboard-light.png            mixed workspace, 7 runs of 5 formats
//   dashboard-many-dark.png / dashboard-many-light.png  a 200-run sweep
// The test suites never write docs/images/ (they write test-output/).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, withVSCode } from '../test/integration/harness.mjs';
import { manyFiles, mixedFiles } from '../test/integration/dashboard/workspaces.mjs';

const out = path.join(repoRoot, 'docs/images');
if (!process.argv.includes('--no-build')) {
  const r = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed:\n${r.stdout}${r.stderr}`);
}

async function shoot(name, files, runs, prepare) {
  await withVSCode({ name: `docs-images-${name}`, files, settings: { 'workbench.colorTheme': 'Default Dark Modern' } }, async (vs) => {
    await vs.waitFor(
      async () => {
        const n = await vs.host.eval(
          `const e = vscode.extensions.getExtension('losswatch.losswatch'); return e && e.isActive ? e.exports.manager.runs().filter((r) => r.series().some((s) => s.length > 0)).length : 0;`,
        );
        return n >= runs ? n : undefined;
      },
      180000,
      `${runs} runs ingested`,
    );
    await vs.host.executeCommand('workbench.action.closeSidebar');
    await vs.host.executeCommand('workbench.action.closePanel');
    await vs.host.executeCommand('losswatch.openDashboard');
    const frame = await vs.webviewFrame({ selector: '#lw-panels' }, 30000);
    await vs.waitFor(
      () =>
        frame.evaluate(
          (n) =>
            window.__losswatch &&
            window.__losswatch.panels().some((p) => p.id === 'loss' && new Set(p.series.map((s) => s.runId)).size >= n),
          runs,
        ),
      90000,
      'the loss card with every run',
    );
    // Wait for the findings (status icons) to settle.
    await vs.waitFor(() => frame.evaluate(() => window.__losswatch.runs().every((r) => r.status)), 30000, 'statuses');
    await new Promise((r) => setTimeout(r, 1500));
    if (prepare) await prepare(frame);
    const file = (theme) => path.join(out, `dashboard${name === 'mixed' ? '' : `-${name}`}-${theme}.png`);
    await vs.page.screenshot({ path: file('dark') });
    await vs.host.updateConfig('workbench', 'colorTheme', 'Default Light Modern', 'workspace');
    await vs.waitFor(() => frame.evaluate(() => document.body.classList.contains('vscode-light')), 15000, 'the light theme');
    await new Promise((r) => setTimeout(r, 1500));
    if (prepare) await prepare(frame);
    await vs.page.screenshot({ path: file('light') });
    for (const t of ['dark', 'light']) console.log(`${path.relative(repoRoot, file(t))}  ${fs.statSync(file(t)).size} bytes`);
  });
}

// Mixed: hover the loss card so the tooltip (the legend) shows.
await shoot('mixed', mixedFiles(), 7, async (frame) => {
  await frame.evaluate(() => window.__losswatch.hover('loss', 350));
});
await shoot('many', manyFiles(200), 200, async (frame) => {
  await frame.evaluate(() => window.__losswatch.hover('loss', 120));
});
