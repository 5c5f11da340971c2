// Extension-host suite for desktop VS Code (@vscode/test-electron): the extension activates on a
// workspace with a JSONL log holding a NaN loss and publishes `non-finite-loss` at that line.
const assert = require('node:assert');
const path = require('node:path');
const vscode = require('vscode');

async function waitFor(fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

exports.run = async function run() {
  const ext = vscode.extensions.getExtension('losswatch.losswatch');
  assert.ok(ext, 'extension installed');
  await ext.activate();
  const log = path.join(vscode.workspace.workspaceFolders[0].uri.fsPath, 'train.jsonl');
  const diag = await waitFor(() =>
    vscode.languages.getDiagnostics(vscode.Uri.file(log)).find((d) => (d.code && d.code.value) === 'non-finite-loss'),
  );
  assert.strictEqual(diag.range.start.line, 4, 'NaN is on line 5');
  console.log('1 passed, 0 failed');
};
