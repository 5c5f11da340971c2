// Training-script lint in a real VS Code: a double softmax in train.py is a Problems entry at the call,
// its quick fix removes it, and the log diagnostic of the matching run (probabilities-as-logits) points
// at the script line as related information.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const name = 'script-lint';
// The example run logged with a double softmax (log.jsonl + .npy batches), plus the script that caused it.
export const workspace = path.join(repo, 'test', 'fixtures', 'runs', 'double-softmax');
export const files = {
  'train.py': fs.readFileSync(path.join(repo, 'test', 'fixtures', 'scripts', 'cli', 'double_softmax.py'), 'utf8'),
  'plain.py': 'import numpy as np\nprint(np.log(np.exp(1.0)))\n',
  // a second run whose loss turns NaN, and a script (never opened) with log(softmax)
  'nan/log.jsonl': '{"step": 1, "loss": 2.3}\n{"step": 2, "loss": 2.1}\n{"step": 3, "loss": NaN}\n',
  'models/nll.py':
    'import torch\nimport torch.nn.functional as F\n\ndef loss_of(z, y):\n    return F.nll_loss(torch.log(F.softmax(z, dim=1)), y)\n',
};
export const timeoutMs = 90000;

const lintOf = (all, file, code = 'softmax-before-cross-entropy') =>
  all.filter((d) => d.source === 'LossWatch' && d.file === file && d.code === code);

export const tests = [
  {
    name: 'opening a script with a double softmax shows the Problems entry at the softmax call',
    async fn(vs) {
      const script = vs.file('train.py');
      await vs.host.openFile(script);
      const d = await vs.waitFor(async () => lintOf(await vs.diagnostics(), script)[0], 45000, 'softmax-before-cross-entropy in train.py');
      assert.equal(d.line, 15);
      assert.equal(d.column, 16);
      assert.equal(d.endLine, 15);
      assert.equal(d.severity, 'warning');
      assert.match(d.codeTarget ?? '', /diagnostics\.md#softmax-before-cross-entropy$/);
      assert.ok(
        d.related.some((r) => r.file === script && r.line === 23),
        JSON.stringify(d.related),
      );
      const row = await vs.waitFor(
        async () => (await vs.problems()).find((t) => t.includes('softmax-before-cross-entropy')),
        20000,
        'Problems row',
      );
      assert.match(row, /\[Ln 15, Col 16\]/);
      await vs.screenshot('double-softmax-in-script');
      // a Python file without a framework import gets nothing
      await vs.host.openFile(vs.file('plain.py'));
      assert.deepEqual(
        (await vs.diagnostics()).filter((x) => x.file === vs.file('plain.py')),
        [],
      );
    },
  },
  {
    name: 'the run diagnostic probabilities-as-logits carries the script line as related information',
    async fn(vs) {
      const script = vs.file('train.py');
      const log = vs.file('log.jsonl');
      const d = await vs.waitFor(
        async () =>
          (await vs.diagnostics()).find(
            (x) => x.file === log && x.code === 'probabilities-as-logits' && x.related.some((r) => r.file === script),
          ),
        45000,
        'probabilities-as-logits with related information in train.py',
      );
      const rel = d.related.find((r) => r.file === script);
      assert.equal(rel.line, 15);
      assert.match(rel.message, /softmax applied here: train\.py:15/);
    },
  },
  {
    name: 'non-finite-loss of another run points at a log(softmax) in a script that was never opened',
    async fn(vs) {
      const log = vs.file('nan/log.jsonl');
      const d = await vs.waitFor(
        async () =>
          (await vs.diagnostics()).find(
            (x) => x.file === log && x.code === 'non-finite-loss' && x.related.some((r) => r.file === vs.file('models/nll.py')),
          ),
        45000,
        'non-finite-loss with related information in models/nll.py',
      );
      const rel = d.related.find((r) => r.file === vs.file('models/nll.py'));
      assert.equal(rel.line, 5);
      assert.match(rel.message, /log of softmax here: nll\.py:5/);
    },
  },
  {
    name: 'the quick fix removes the softmax and the entry disappears',
    async fn(vs) {
      const script = vs.file('train.py');
      const applied = await vs.host.eval(
        `const uri = vscode.Uri.file(args.file);
         const doc = await vscode.workspace.openTextDocument(uri);
         await vscode.window.showTextDocument(doc);
         const acts = await vscode.commands.executeCommand('vscode.executeCodeActionProvider', uri, new vscode.Range(14, 15, 14, 16));
         const fix = acts.find((a) => a.edit && /Remove the softmax/.test(a.title));
         if (!fix) return { titles: acts.map((a) => a.title) };
         const ok = await vscode.workspace.applyEdit(fix.edit);
         return { ok, title: fix.title, line: doc.lineAt(14).text };`,
        { file: script },
      );
      assert.equal(applied.ok, true, JSON.stringify(applied));
      assert.equal(applied.line, '        return self.out(h)');
      await vs.waitFor(async () => lintOf(await vs.diagnostics(), script).length === 0, 20000, 'the lint entry to disappear');
      // the fixed script has no lint finding at all
      assert.deepEqual(
        (await vs.diagnostics()).filter((x) => x.file === script),
        [],
      );
      await vs.screenshot('fixed');
    },
  },
  {
    name: 'typing the softmax back (two edits in one change event) brings the entry back at the same place',
    async fn(vs) {
      const script = vs.file('train.py');
      const ok = await vs.host.eval(
        `const uri = vscode.Uri.file(args.file);
         const doc = await vscode.workspace.openTextDocument(uri);
         const line = doc.lineAt(14).text; // '        return self.out(h)'
         const a = line.indexOf('self.out(h)');
         const e = new vscode.WorkspaceEdit();
         e.insert(uri, new vscode.Position(14, a), 'F.softmax(');
         e.insert(uri, new vscode.Position(14, line.length), ', dim=1)');
         await vscode.workspace.applyEdit(e);
         return doc.lineAt(14).text;`,
        { file: script },
      );
      assert.equal(ok, '        return F.softmax(self.out(h), dim=1)');
      const d = await vs.waitFor(async () => lintOf(await vs.diagnostics(), script)[0], 20000, 'the entry to come back');
      assert.deepEqual([d.line, d.column, d.endLine, d.endColumn], [15, 16, 15, 45]);
    },
  },
  {
    name: 'the workspace command lints scripts that are not open',
    async fn(vs) {
      fs.writeFileSync(vs.file('other.py'), 'import torch\nimport torch.nn.functional as F\nl = F.cross_entropy(torch.softmax(z, 1), y)\n');
      const n = await vs.host.executeCommand('losswatch.lintWorkspace');
      assert.ok(n >= 1, `findings: ${n}`);
      const d = await vs.waitFor(async () => lintOf(await vs.diagnostics(), vs.file('other.py'))[0], 20000, 'other.py finding');
      assert.equal(d.line, 3);
      assert.equal(d.column, 21);
    },
  },
];
