// Restricted Mode: a repository's .vscode/settings.json sets a catastrophic text pattern (`^(a+)+$`, 2^40
// steps on 40 `a`s and a `!`) and a format override. In an untrusted workspace LossWatch must ignore both
// (and say so in its output channel and status bar tooltip) and the extension host must keep answering.
import assert from 'node:assert/strict';

export const name = 'untrusted';
export const untrusted = true;
export const timeoutMs = 90000;
export const files = {
  '.vscode/settings.json': JSON.stringify(
    {
      'losswatch.textPatterns': ['^(a+)+$', '(?<loss>(a+)+)$'],
      'losswatch.formatOverrides': [{ glob: '**/*.txt', format: 'text' }],
      'losswatch.pollInterval': 1,
    },
    null,
    2,
  ),
  'run/training.log': `${'a'.repeat(40)}!\n`.repeat(50),
  'run/notes.txt': `${'a'.repeat(40)}!\n`,
  'run/train.jsonl': '{"step": 1, "loss": 2.0}\n{"step": 2, "loss": 1.5}\n',
};

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

export const tests = [
  {
    name: 'the workspace is untrusted and LossWatch activates in Restricted Mode',
    async fn(vs) {
      assert.equal(
        await vs.host.eval('return vscode.workspace.isTrusted;'),
        false,
        'workspace trusted: the harness clicked or trust is off',
      );
      await vs.waitFor(async () => (await vs.host.extension('losswatch.losswatch')).isActive, 30000, 'losswatch.losswatch to be active');
    },
  },
  {
    name: 'the extension host answers within 100 ms while the logs load (host round-trips measured)',
    async fn(vs) {
      const log = vs.file('run/training.log');
      const load = vs.host.eval(
        'const u = vscode.Uri.file(args.file); await vscode.commands.executeCommand("losswatch.watchFile", u); return true;',
        { file: log },
        60000,
      );
      const rtt = [];
      const cmd = [];
      for (let i = 0; i < 40; i++) {
        let t = Date.now();
        await vs.host.eval('return 1;');
        rtt.push(Date.now() - t);
        t = Date.now();
        await vs.host.executeCommand('setContext', 'losswatchTestProbe', i);
        cmd.push(Date.now() - t);
      }
      await load;
      const loaded = await vs.host.executeCommand('losswatch.recheckAll');
      console.log(
        `    host eval round-trip ms: median ${pct(rtt, 0.5)}, p90 ${pct(rtt, 0.9)}, max ${Math.max(...rtt)}; executeCommand: median ${pct(cmd, 0.5)}, max ${Math.max(...cmd)}; findings after load: ${loaded}`,
      );
      assert.ok(pct(rtt, 0.5) < 100, `median host round-trip ${pct(rtt, 0.5)} ms`);
      assert.ok(pct(cmd, 0.5) < 100, `median executeCommand round-trip ${pct(cmd, 0.5)} ms`);
      assert.ok(
        Math.max(...rtt, ...cmd) < 2000,
        `slowest round-trip ${Math.max(...rtt, ...cmd)} ms (a backtracking pattern would block for hours)`,
      );
    },
  },
  {
    name: 'the workspace values are ignored and reported as such',
    async fn(vs) {
      const ignored = await vs.waitFor(
        async () => {
          const l = await vs.host.eval('return vscode.extensions.getExtension("losswatch.losswatch").exports.ignoredSettings();');
          return l.length > 0 && l;
        },
        20000,
        'the ignored settings list',
      );
      for (const k of ['losswatch.textPatterns', 'losswatch.formatOverrides', 'losswatch.pollInterval'])
        assert.ok(ignored.includes(k), `${k} not reported: ${ignored.join(', ')}`);
      // VS Code itself answers restricted settings from user settings/defaults in Restricted Mode
      assert.deepEqual(await vs.host.getConfig('losswatch', 'textPatterns'), []);
      // the format override did not apply: notes.txt is not a run; the JSONL run is there
      const runs = await vs.host.eval(
        'return vscode.extensions.getExtension("losswatch.losswatch").exports.manager.runs().map((r) => r.name);',
      );
      assert.ok(!runs.some((n) => /notes\.txt/.test(n)), `runs: ${runs.join(', ')}`);
      await vs.waitFor(
        async () =>
          (
            await vs.host.eval('return vscode.extensions.getExtension("losswatch.losswatch").exports.manager.runs().map((r) => r.name);')
          ).some((n) => /train\.jsonl/.test(n)),
        20000,
        'the train.jsonl run',
      );
    },
  },
  {
    name: 'the status bar tooltip names the ignored settings',
    async fn(vs) {
      // the status bar item's accessible label carries its tooltip text
      const item = vs.page.locator('[id="losswatch.losswatch.losswatch.status"]');
      const label = await vs.waitFor(
        async () => {
          const l = (await item.getAttribute('aria-label', { timeout: 2000 }).catch(() => null)) ?? '';
          return /not.{1,12}trusted/.test(l) && l;
        },
        20000,
        'the LossWatch status bar item with the Restricted Mode note',
      );
      assert.match(label, /losswatch\.textPatterns/);
      assert.match(label, /losswatch\.formatOverrides/);
      await vs.screenshot('status-tooltip');
    },
  },
];
