// Live diagnostics in a real VS Code: appending to a watched log adds Problems entries at the exact
// line, truncating clears them, deleting the file removes them; quick fixes, hover, status bar, runs view.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';

export const name = 'diagnostics';
export const workspace = 'diagnostics'; // train.jsonl: 20 healthy steps, then a logits record on line 21

const ours = (all, file) => all.filter((d) => d.source === 'LossWatch' && d.file === file);

export const tests = [
  {
    name: 'a healthy run has no LossWatch warning or error',
    async fn(vs) {
      await vs.waitFor(async () => (await vs.host.extension('losswatch.losswatch')).isActive, 20000, 'activation');
      const file = vs.file('train.jsonl');
      // Wait until the run is known (the status bar names it), then check the diagnostics.
      await vs.waitFor(
        async () => (await vs.host.eval(`return vscode.extensions.getExtension('losswatch.losswatch').exports.manager.runs().length`)) > 0,
        20000,
        'the run to be watched',
      );
      // Every byte read and checked (not merely registered): only then is "no warning" a finding.
      const st = await vs.settled();
      assert.ok(
        st.files.some((f) => f.file === file && f.offset === fs.statSync(file).size),
        'train.jsonl read to its end',
      );
      const lossLines = fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => /"loss"/.test(l) && !/"logits"/.test(l)).length;
      const points = await vs.host.eval(
        `const m = vscode.extensions.getExtension('losswatch.losswatch').exports.manager; const r = m.runForFile(args.file); const s = r && r.series().find((x) => x.role === 'train_loss' && !x.key.startsWith('recomputed/')); return s ? s.length : 0;`,
        { file },
      );
      assert.equal(points, lossLines, 'the checks saw every loss point of the file');
      const bad = ours(await vs.diagnostics(), file).filter((d) => d.severity === 'error' || d.severity === 'warning');
      assert.deepEqual(bad, []);
    },
  },
  {
    name: 'appending a NaN loss adds non-finite-loss at that line (Problems panel)',
    async fn(vs) {
      const file = vs.file('train.jsonl');
      vs.append('train.jsonl', '{"step": 21, "loss": 0.2}\n{"step": 22, "loss": NaN}\n{"step": 23, "loss": NaN}\n');
      const d = await vs.waitFor(
        async () => ours(await vs.diagnostics(), file).find((x) => x.code === 'non-finite-loss'),
        15000,
        'non-finite-loss',
      );
      assert.equal(d.line, 23, 'first NaN is line 23');
      assert.equal(d.severity, 'error');
      assert.equal(
        ours(await vs.diagnostics(), file).filter((x) => x.code === 'non-finite-loss').length,
        1,
        'later NaNs are summarised, not repeated',
      );
      const row = await vs.waitFor(async () => (await vs.problems()).find((t) => t.includes('non-finite-loss')), 15000, 'Problems row');
      assert.match(row, /\[Ln 23, Col \d+\]/);
      await vs.screenshot('nan-appended');
    },
  },
  {
    name: 'quick fixes and the logits hover are offered',
    async fn(vs) {
      const file = vs.file('train.jsonl');
      const titles = await vs.host.eval(
        `const uri = vscode.Uri.file(args.file);
         await vscode.window.showTextDocument(uri);
         const acts = await vscode.commands.executeCommand('vscode.executeCodeActionProvider', uri, new vscode.Range(22, 0, 22, 5));
         return acts.map((a) => a.title);`,
        { file },
      );
      assert.ok(
        titles.some((t) => /Show in dashboard at step 22/.test(t)),
        titles.join(' | '),
      );
      assert.ok(
        titles.some((t) => /Open documentation for non-finite-loss/.test(t)),
        titles.join(' | '),
      );
      assert.ok(
        titles.some((t) => /Disable the non-finite-loss check/.test(t)),
        titles.join(' | '),
      );
      const hover = await vs.host.eval(
        `const hs = await vscode.commands.executeCommand('vscode.executeHoverProvider', vscode.Uri.file(args.file), new vscode.Position(20, 3));
         return hs.flatMap((h) => h.contents.map((c) => typeof c === 'string' ? c : c.value)).join('\\n');`,
        { file },
      );
      assert.match(hover, /recomputed cross-entropy/);
      assert.match(hover, /logged loss/);
    },
  },
  {
    name: 'status bar and Training Runs view show the run health',
    async fn(vs) {
      const status = await vs.waitFor(
        async () => {
          const items = await vs.page
            .locator('.statusbar-item')
            .allInnerTexts()
            .catch(() => []);
          return items.find((t) => /\btrain\b/.test(t) && t.includes('loss')); // the run's short name: train(.jsonl)
        },
        10000,
        'the LossWatch status bar item',
      );
      assert.match(status, /loss/);
      const tree = await vs.host.eval(`
        await vscode.commands.executeCommand('losswatch.runs.focus');
        const m = vscode.extensions.getExtension('losswatch.losswatch').exports.manager;
        return m.runs().map((r) => ({ name: r.name, problems: m.findings(r.id).filter((f) => f.severity === 'error').length }));`);
      assert.equal(tree.length, 1);
      assert.equal(tree[0].problems, 1);
      const viewText = await vs.waitFor(
        async () => {
          const t = await vs.page
            .locator('.pane-body .monaco-list-row')
            .allInnerTexts()
            .catch(() => []);
          return t.find((x) => /\btrain\b/.test(x));
        },
        10000,
        'the run in the Training Runs view',
      );
      assert.match(viewText, /\btrain\b/);
      await vs.screenshot('runs-view');
    },
  },
  {
    name: 'truncating the log clears its diagnostics; deleting it removes them',
    async fn(vs) {
      const file = vs.file('train.jsonl');
      fs.writeFileSync(file, '{"step": 1, "loss": 2.3}\n{"step": 2, "loss": 2.1}\n');
      await vs.waitFor(
        async () => ours(await vs.diagnostics(), file).every((x) => x.code !== 'non-finite-loss'),
        15000,
        'diagnostics cleared after truncation',
      );
      await vs.waitFor(async () => !(await vs.problems()).some((t) => t.includes('non-finite-loss')), 10000, 'Problems row gone');
      vs.append('train.jsonl', '{"step": 3, "loss": Infinity}\n');
      const d = await vs.waitFor(
        async () => ours(await vs.diagnostics(), file).find((x) => x.code === 'non-finite-loss'),
        15000,
        'new non-finite-loss after truncation',
      );
      assert.equal(d.line, 3);
      fs.unlinkSync(file);
      await vs.waitFor(async () => ours(await vs.diagnostics(), file).length === 0, 15000, 'diagnostics removed with the file');
    },
  },
  {
    name: 'commands: watch a file, export diagnostics, disable a check, stop watching',
    async fn(vs) {
      const csv = vs.file('history.dat'); // a Keras CSV under a name no default glob matches: watched by command
      const m = `const m = vscode.extensions.getExtension('losswatch.losswatch').exports.manager;`;
      assert.equal(await vs.host.eval(`${m} return !!m.runForFile(args.csv);`, { csv }), false, 'not watched before the command');
      const runId = await vs.host.eval(`return vscode.commands.executeCommand('losswatch.watchFile', vscode.Uri.file(args.csv));`, { csv });
      assert.ok(runId, 'watchFile returns the run id');
      const d = await vs.waitFor(
        async () => ours(await vs.diagnostics(), csv).find((x) => x.code === 'non-finite-loss'),
        15000,
        'non-finite-loss in the Keras CSV',
      );
      assert.equal(d.line, 4, 'the nan row is line 4 of history.dat');
      const out = vs.file('exported.json');
      await vs.host.eval(`return vscode.commands.executeCommand('losswatch.exportDiagnostics', vscode.Uri.file(args.out));`, { out });
      const rows = JSON.parse(fs.readFileSync(out, 'utf8'));
      assert.ok(
        rows.some((r) => r.file === csv && r.line === 4 && r.code === 'non-finite-loss' && r.severity === 'error'),
        JSON.stringify(rows).slice(0, 300),
      );
      await vs.host.executeCommand('losswatch.disableCheck', 'non-finite-loss');
      await vs.waitFor(
        async () => !ours(await vs.diagnostics(), csv).some((x) => x.code === 'non-finite-loss'),
        15000,
        'the disabled check to disappear',
      );
      const sev = await vs.host.getConfig('losswatch', 'checks.severity');
      assert.equal(sev['non-finite-loss'], 'off');
      await vs.host.updateConfig('losswatch', 'checks.severity', {});
      await vs.waitFor(
        async () => ours(await vs.diagnostics(), csv).some((x) => x.code === 'non-finite-loss'),
        15000,
        'the check back after re-enabling',
      );
      await vs.host.executeCommand('losswatch.stopWatching', { runId });
      await vs.waitFor(async () => ours(await vs.diagnostics(), csv).length === 0, 15000, 'diagnostics gone after stop watching');
      assert.equal(await vs.host.eval(`${m} return !!m.runForFile(args.csv);`, { csv }), false, 'no longer watched');
    },
  },
  {
    name: 'a log created inside a new folder while VS Code is open is picked up',
    async fn(vs) {
      const dir = vs.file('late/run-7');
      fs.mkdirSync(dir, { recursive: true });
      const file = `${dir}/log.jsonl`;
      fs.writeFileSync(file, '{"step": 1, "loss": 2.0}\n');
      for (let s = 2; s <= 6; s++) {
        await new Promise((r) => setTimeout(r, 300));
        fs.appendFileSync(file, JSON.stringify({ step: s, loss: s === 6 ? 'NaN' : 2 / s }).replace('"NaN"', 'NaN') + '\n');
      }
      const d = await vs
        .waitFor(
          async () => ours(await vs.diagnostics(), file).find((x) => x.code === 'non-finite-loss'),
          20000,
          'the new run to be watched and checked',
        )
        .catch(async (err) => {
          const runs = await vs.host.eval(
            `const m = vscode.extensions.getExtension('losswatch.losswatch').exports.manager; return m.runs().map((r) => [r.id, r.series().map((x) => x.key + ':' + x.length).join(',')]);`,
          );
          const diags = ours(await vs.diagnostics(), file).map((x) => `${x.code}@${x.line}`);
          throw new Error(`${err.message}; runs ${JSON.stringify(runs)}; diagnostics on the file ${JSON.stringify(diags)}`);
        });
      assert.equal(d.line, 6);
    },
  },
];
