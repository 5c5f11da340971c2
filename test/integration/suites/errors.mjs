// Internal errors are seen, not swallowed (real VS Code): a check that throws keeps the Problems panel
// as it was, puts the status bar in a warning state and writes the LossWatch log; a throwing update
// listener is reported the same way; the next successful check clears the warning.
import assert from 'node:assert/strict';

export const name = 'errors';
export const workspace = 'diagnostics';

const M = `const m = vscode.extensions.getExtension('losswatch.losswatch').exports.manager;`;
const ours = (all, file) => all.filter((d) => d.source === 'LossWatch' && d.file === file);

async function statusText(vs) {
  return (await vs.page.locator('.statusbar-item').allTextContents()).join(' | ');
}

export const tests = [
  {
    name: 'a throwing check keeps the diagnostics, warns in the status bar, clears after the next good check',
    async fn(vs) {
      await vs.waitFor(async () => (await vs.host.extension('losswatch.losswatch')).isActive, 20000, 'activation');
      const file = vs.file('train.jsonl');
      await vs.waitFor(async () => (await vs.host.eval(`${M} return !!m.runForFile(args.file);`, { file })) || undefined, 20000, 'the run');
      await vs.settled();
      vs.append('train.jsonl', '{"step": 30, "loss": NaN}\n');
      await vs.waitFor(async () => ours(await vs.diagnostics(), file).find((d) => d.code === 'non-finite-loss'), 15000, 'non-finite-loss');

      await vs.host.eval(`${M} m.checkerFor = () => { throw new Error('injected checker failure'); }; return true;`);
      vs.append('train.jsonl', '{"step": 31, "loss": 0.5}\n');
      const problems = await vs.waitFor(
        async () => {
          const p = await vs.host.eval(`${M} return m.problems();`);
          return p.length ? p : undefined;
        },
        15000,
        'the internal error to be recorded',
      );
      assert.match(problems.join('\n'), /checks failed on .*injected checker failure/);
      assert.ok(
        ours(await vs.diagnostics(), file).some((d) => d.code === 'non-finite-loss'),
        'the Problems panel keeps its entries',
      );
      await vs.waitFor(async () => (/internal error/.test(await statusText(vs)) ? true : undefined), 15000, 'the status bar warning');
      await vs.screenshot('internal-error-status');

      await vs.host.eval(`${M} delete m.checkerFor; return true;`);
      vs.append('train.jsonl', '{"step": 32, "loss": 0.4}\n');
      await vs.waitFor(
        async () => ((await vs.host.eval(`${M} return m.problems().length;`)) === 0 ? true : undefined),
        15000,
        'the warning to clear',
      );
      await vs.waitFor(
        async () => (!/internal error/.test(await statusText(vs)) ? true : undefined),
        15000,
        'the status bar back to the run',
      );
      assert.ok(ours(await vs.diagnostics(), file).some((d) => d.code === 'non-finite-loss'));
    },
  },
  {
    name: 'a throwing update listener is reported, and reading goes on',
    async fn(vs) {
      const file = vs.file('train.jsonl');
      await vs.host.eval(
        `${M} globalThis.__lwBad = m.watcher.onUpdate(() => { throw new Error('injected listener failure'); }); return true;`,
      );
      try {
        vs.append('train.jsonl', '{"step": 33, "loss": 0.3}\n');
        const problems = await vs.waitFor(
          async () => {
            const p = await vs.host.eval(`${M} return m.problems();`);
            return p.some((x) => /injected listener failure/.test(x)) ? p : undefined;
          },
          15000,
          'the listener failure to be recorded',
        );
        assert.match(problems.join('\n'), /an update of run .* failed/);
        const st = await vs.settled();
        assert.ok(
          st.files.some((f) => f.file === file),
          'the file is still followed and read to its end',
        );
      } finally {
        await vs.host.eval(`globalThis.__lwBad && globalThis.__lwBad.dispose(); return true;`);
      }
    },
  },
];
