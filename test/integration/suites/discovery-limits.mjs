// Discovery limits in a real VS Code: with `losswatch.watch.maxFiles` = 2 and twenty files that match
// the globs but are not training logs (pip requirements saved as .txt/.log/.csv), both real logs are
// still watched: rejected files do not use up the limit.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const name = 'discovery-limits';
export const timeoutMs = 60000;
export const settings = { 'losswatch.watch.maxFiles': 2 };

const FIX = fileURLToPath(new URL('../../fixtures/real-discovery/', import.meta.url));
const req = fs.readFileSync(path.join(FIX, 'not-logs/requirements.txt'));

export const files = {
  ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`env/pkgs-${i}.${['txt', 'log', 'csv', 'out'][i % 4]}`, req])),
  'runs/a/log.jsonl': '{"step": 1, "loss": 2.0}\n{"step": 2, "loss": 1.5}\n',
  'logs/train.out': fs.readFileSync(path.join(FIX, 'detectron2/output/log.txt')),
};

export const tests = [
  {
    name: 'twenty non-logs do not use up maxFiles = 2: both logs are runs',
    async fn(vs) {
      await vs.waitFor(async () => (await vs.host.extension('losswatch.losswatch')).isActive, 30000, 'activation');
      const ids = await vs.waitFor(
        async () => {
          const r = await vs.host.eval(
            `const m = vscode.extensions.getExtension('losswatch.losswatch').exports.manager; return m.runs().map((r) => r.id).sort();`,
          );
          return r.length >= 2 ? r : undefined;
        },
        40000,
        'two runs',
      );
      assert.deepEqual(ids, [vs.file('logs/train.out'), vs.file('runs/a/log.jsonl')]);
    },
  },
];
