import { strict as assert } from 'node:assert';
import type { Finding } from '../../../src/core/model';
import { FakeCollection, installVscodeStub, Uri, DiagnosticSeverity } from './vscode-stub';

installVscodeStub();
/* eslint-disable @typescript-eslint/no-require-imports -- loaded after the vscode stub is installed */
const { DiagnosticsPublisher, findingToDiagnostic } =
  require('../../../src/extension/diagnostics') as typeof import('../../../src/extension/diagnostics');
/* eslint-enable @typescript-eslint/no-require-imports */

const docs = (code: string) => Uri.parse(`https://example.invalid/docs/diagnostics.md#${code}`) as never;
const F = '/runs/a/log.jsonl';

function finding(over: Partial<Finding> = {}): Finding {
  return { code: 'non-finite-loss', severity: 'error', message: 'Loss became NaN', file: F, line: 12, column: 1, ...over };
}

describe('checks: VS Code diagnostics glue', () => {
  it('maps a finding: 0-based line, source, code with docs target, severity, related information', () => {
    const d = findingToDiagnostic(finding({ related: [{ file: F, line: 11, message: 'last finite value: 2.3' }] }), docs) as unknown as {
      range: { start: { line: number; character: number } };
      source: string;
      code: { value: string; target: Uri };
      severity: number;
      relatedInformation: Array<{ location: { range: { start: { line: number } } }; message: string }>;
    };
    assert.equal(d.range.start.line, 11);
    assert.equal(d.range.start.character, 0);
    assert.equal(d.source, 'LossWatch');
    assert.equal(d.code.value, 'non-finite-loss');
    assert.match(d.code.target.toString(), /#non-finite-loss$/);
    assert.equal(d.severity, DiagnosticSeverity.Error);
    assert.equal(d.relatedInformation[0]!.location.range.start.line, 10);
    assert.equal(d.relatedInformation[0]!.message, 'last finite value: 2.3');
    const binary = findingToDiagnostic(finding({ line: undefined, column: undefined, severity: 'information' }), docs) as unknown as {
      range: { start: { line: number } };
      severity: number;
    };
    assert.equal(binary.range.start.line, 0);
    assert.equal(binary.severity, DiagnosticSeverity.Information);
  });

  it('publishes one entry per file, replaces instead of duplicating, clears files without findings', () => {
    const col = new FakeCollection();
    const p = new DiagnosticsPublisher(col as never, docs);
    p.publish('run1', [F], [finding(), finding({ code: 'loss-spike', severity: 'information', line: 40 })]);
    assert.equal(col.entries.get(F)?.length, 2);
    p.publish('run1', [F], [finding()]);
    assert.equal(col.entries.get(F)?.length, 1, 'replaced, not appended');
    p.publish('run1', [F], []);
    assert.equal(col.entries.has(F), false, 'no findings → cleared');
  });

  it('keeps other runs in the same file, and clearRun removes only that run (truncation / deletion)', () => {
    const col = new FakeCollection();
    const p = new DiagnosticsPublisher(col as never, docs);
    const G = '/runs/b/side.jsonl';
    p.publish('run1', [F], [finding(), finding({ file: G, line: 3 })]);
    p.publish('run2', [F], [finding({ code: 'overfitting', severity: 'warning' })]);
    assert.equal(col.entries.get(F)?.length, 2);
    assert.equal(col.entries.get(G)?.length, 1);
    p.clearRun('run1', [F]);
    assert.deepEqual(
      col.entries.get(F)?.map((d) => (d.code as { value: string }).value),
      ['overfitting'],
    );
    assert.equal(col.entries.has(G), false, 'files published earlier are cleared too');
    // a file that the run no longer reports on is emptied on the next publish
    p.publish('run2', [], []);
    assert.equal(col.entries.size, 0);
  });
});
