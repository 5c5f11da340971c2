import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createPythonParser } from '../../../src/lint/index';
import { ParsedScript, type TextChange } from '../../../src/lint/incremental';

const BASE =
  'import torch\nimport torch.nn.functional as F\n\ndef f(z, y):\n    s = "ünï 🙂"\n    return F.cross_entropy(F.softmax(z, 1), y)\n';

describe('lint: incremental parsing', () => {
  it('edited trees equal fresh parses, and findings follow the edits (random edits, non-ASCII text)', async () => {
    const parser = await createPythonParser();
    const fresh = await createPythonParser();
    const pieces = ['\n', ' ', 'x', '(', ')', 'F.softmax(', 'é', '🙂', '    return 1\n', ':', '#', '"'];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), fc.nat(4), fc.constantFrom(...pieces)), { minLength: 1, maxLength: 6 }),
        async (edits) => {
          const doc = new ParsedScript(parser);
          let text = BASE;
          doc.update(text);
          const changes: TextChange[] = [];
          for (const [pos, del, ins] of edits) {
            let at = pos % (text.length + 1);
            // never split a surrogate pair (VS Code does not either)
            if (at > 0 && at < text.length && /[\uDC00-\uDFFF]/.test(text[at]!)) at--;
            let len = Math.min(del, text.length - at);
            if (at + len < text.length && /[\uDC00-\uDFFF]/.test(text[at + len]!)) len++;
            changes.push({ rangeOffset: at, rangeLength: len, text: ins });
            text = text.slice(0, at) + ins + text.slice(at + len);
          }
          const t = doc.update(text, changes)!;
          const f = fresh.parse(text)!;
          assert.equal(t.rootNode.toString(), f.rootNode.toString());
          assert.equal(doc.incrementalParses, 1);
          f.delete();
          doc.dispose();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('lints after each keystroke, and a file that stops importing torch is not parsed', async () => {
    const doc = new ParsedScript(await createPythonParser());
    let text = BASE;
    assert.deepEqual(
      doc.lint(text).map((f) => f.code),
      ['softmax-before-cross-entropy'],
    );
    // delete "F.softmax(" and the matching ", 1)" → no finding
    const a = text.indexOf('F.softmax(');
    text = text.slice(0, a) + text.slice(a + 'F.softmax('.length);
    const c1: TextChange = { rangeOffset: a, rangeLength: 'F.softmax('.length, text: '' };
    const b = text.indexOf('z, 1)') + 1;
    const c2: TextChange = { rangeOffset: b, rangeLength: 4, text: '' };
    text = text.slice(0, b) + text.slice(b + 4);
    assert.match(text, /F\.cross_entropy\(z, y\)/);
    assert.deepEqual(doc.lint(text, [c1, c2]), []);
    assert.equal(doc.incrementalParses, 1);
    assert.deepEqual(doc.lint('import numpy\n', [{ rangeOffset: 0, rangeLength: text.length, text: 'import numpy\n' }]), []);
    assert.equal(doc.current, null);
  });
});
