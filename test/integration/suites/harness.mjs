// Self-test of the harness, independent of LossWatch's own features: proves that the real VS Code
// server runs, the in-host helper answers, diagnostics round-trip to the Problems panel DOM, webview
// frames are reachable and screenshots are written.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';

export const name = 'harness';
export const workspace = 'smoke';
export const settings = { 'editor.fontSize': 13 };

export const tests = [
  {
    name: 'runs VS Code 1.100.3 with the workspace copy open',
    async fn(vs) {
      const info = await vs.host.call('ping');
      assert.equal(info.vscodeVersion, '1.100.3');
      assert.deepEqual(info.workspaceFolders, [vs.workspaceDir]);
      assert.equal(await vs.host.getConfig('editor', 'fontSize'), 13, 'suite settings reach VS Code');
    },
  },
  {
    name: 'LossWatch is installed from this repo',
    async fn(vs) {
      const ext = await vs.host.extension('losswatch.losswatch');
      assert.ok(ext.found, 'losswatch.losswatch is installed');
      const pkg = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
      assert.equal(ext.version, pkg.version);
    },
  },
  {
    name: 'a published diagnostic reaches the host API and the Problems panel DOM',
    async fn(vs) {
      const file = vs.file('train.jsonl');
      await vs.host.eval(
        `
        const c = vscode.languages.createDiagnosticCollection('harness-selftest');
        const d = new vscode.Diagnostic(new vscode.Range(2, 0, 2, 5), 'harness self-test marker', vscode.DiagnosticSeverity.Warning);
        d.code = 'harness-selftest'; d.source = 'HarnessTest';
        c.set(vscode.Uri.file(args.file), [d]);
        globalThis.__harnessSelftest = c;`,
        { file },
      );
      const d = await vs.waitFor(
        async () => (await vs.diagnostics()).find((x) => x.code === 'harness-selftest'),
        10000,
        'the self-test diagnostic',
      );
      assert.equal(d.file, file);
      assert.equal(d.line, 3);
      assert.equal(d.severity, 'warning');
      const row = await vs.waitFor(
        async () => (await vs.problems()).find((t) => t.includes('harness self-test marker')),
        10000,
        'the Problems row',
      );
      assert.match(row, /harness-selftest/);
      assert.match(row, /\[Ln 3, Col 1\]/);
      const shot = await vs.screenshot('problems-selftest');
      assert.ok(fs.statSync(shot).size > 10000, 'screenshot written');
      await vs.host.eval('globalThis.__harnessSelftest.dispose();');
      await vs.waitFor(
        async () => !(await vs.problems()).some((t) => t.includes('harness self-test marker')),
        10000,
        'the row to disappear',
      );
    },
  },
  {
    name: 'webview frames are reachable and readable',
    async fn(vs) {
      await vs.host.call('openTestWebview', { html: '<!DOCTYPE html><html><body><p id="v">webview says 42</p></body></html>' });
      const frame = await vs.webviewFrame({ extensionId: 'losswatch-test.host', selector: '#v' });
      assert.equal(await frame.locator('#v').innerText(), 'webview says 42');
      const tabs = await vs.host.tabs();
      assert.ok(
        tabs.some((t) => t.kind === 'webview' && t.active),
        JSON.stringify(tabs),
      );
    },
  },
  {
    name: 'opening a file reports the active editor line',
    async fn(vs) {
      await vs.host.openFile(vs.file('train.jsonl'), 4);
      const ed = await vs.activeEditor();
      assert.equal(ed.file, vs.file('train.jsonl'));
      assert.equal(ed.line, 4);
      await vs.host.executeCommand('workbench.action.closeAllEditors');
    },
  },
];
