// Log diagnostics carry script findings as related information (publisher side, with the VS Code stub).
import { strict as assert } from 'node:assert';
import type { Finding } from '../../../src/core/model';
import { DiagnosticRelatedInformation, FakeCollection, installVscodeStub, Location, Range, Uri } from '../checks/vscode-stub';

installVscodeStub();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { DiagnosticsPublisher } = require('../../../src/extension/diagnostics') as typeof import('../../../src/extension/diagnostics');

const docs = (code: string) => Uri.parse(`https://example.invalid/docs/diagnostics.md#${code}`) as never;
const LOG = '/runs/a/log.jsonl';
const finding = (code: string): Finding => ({ code, severity: 'warning', message: code, file: LOG, line: 7, column: 1 });

describe('lint: script findings as related information of log diagnostics', () => {
  it('the provider adds related entries, and refreshRelated re-publishes when scripts change', () => {
    const col = new FakeCollection();
    const p = new DiagnosticsPublisher(col as never, docs);
    let scriptLine: number | undefined;
    p.setRelatedProvider((f) =>
      f.code === 'probabilities-as-logits' && scriptLine !== undefined
        ? [
            new DiagnosticRelatedInformation(
              new Location(Uri.file('/ws/train.py'), new Range(scriptLine - 1, 15, scriptLine - 1, 30)),
              `softmax applied here: train.py:${scriptLine}`,
            ) as never,
          ]
        : [],
    );
    p.publish('run1', [LOG], [finding('probabilities-as-logits'), finding('loss-spike')]);
    const rel = () =>
      col.entries.get(LOG)!.map((d) => (d.relatedInformation ?? []).map((r) => (r as unknown as { message: string }).message));
    assert.deepEqual(rel(), [[], []]);
    scriptLine = 15;
    p.refreshRelated();
    assert.deepEqual(rel(), [['softmax applied here: train.py:15'], []]);
    scriptLine = undefined;
    p.refreshRelated();
    assert.deepEqual(rel(), [[], []]);
    p.clearRun('run1', [LOG]);
    p.refreshRelated();
    assert.equal(col.entries.has(LOG), false, 'a cleared run is not re-published');
  });
});
