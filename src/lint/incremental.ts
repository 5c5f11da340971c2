// One script kept parsed between edits: editor changes are applied to the previous tree (tree.edit) and
// the parser reuses every unchanged subtree. Offsets and columns are UTF-16 code units, as in
// web-tree-sitter when it parses a JS string.
import type { Parser, Point, Tree } from 'web-tree-sitter';
import { lintTree, type LintFinding, type LintOptions, mayNeedLint } from './index';

/** A change as VS Code reports it: offsets into the text produced by the previous changes. */
export interface TextChange {
  readonly rangeOffset: number;
  readonly rangeLength: number;
  readonly text: string;
}

/** More changes than this in one event (replace-all, formatting): a full parse is as fast. */
const MAX_INCREMENTAL_CHANGES = 32;

function pointAt(text: string, offset: number): Point {
  let row = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) row++;
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return { row, column: offset - lineStart };
}

function advance(p: Point, inserted: string): Point {
  const nl = inserted.lastIndexOf('\n');
  if (nl === -1) return { row: p.row, column: p.column + inserted.length };
  let rows = 0;
  for (let i = inserted.indexOf('\n'); i !== -1; i = inserted.indexOf('\n', i + 1)) rows++;
  return { row: p.row + rows, column: inserted.length - nl - 1 };
}

export class ParsedScript {
  private tree: Tree | null = null;
  private text = '';
  /** Parses that reused the previous tree (for tests and the bench). */
  incrementalParses = 0;

  constructor(private readonly parser: Parser) {}

  /** Brings the tree up to `next`, incrementally when `changes` lead from the previous text to it. */
  update(next: string, changes?: readonly TextChange[]): Tree | null {
    let old: Tree | null = null;
    if (this.tree && changes && changes.length > 0 && changes.length <= MAX_INCREMENTAL_CHANGES) {
      let text = this.text;
      let ok = true;
      for (const c of changes) {
        if (c.rangeOffset < 0 || c.rangeOffset + c.rangeLength > text.length) {
          ok = false;
          break;
        }
        const startPosition = pointAt(text, c.rangeOffset);
        const oldEndPosition = pointAt(text, c.rangeOffset + c.rangeLength);
        this.tree.edit({
          startIndex: c.rangeOffset,
          oldEndIndex: c.rangeOffset + c.rangeLength,
          newEndIndex: c.rangeOffset + c.text.length,
          startPosition,
          oldEndPosition,
          newEndPosition: advance(startPosition, c.text),
        });
        text = text.slice(0, c.rangeOffset) + c.text + text.slice(c.rangeOffset + c.rangeLength);
      }
      if (ok && text === next) old = this.tree;
    }
    const tree = this.parser.parse(next, old);
    if (old) this.incrementalParses++;
    this.tree?.delete();
    this.tree = tree;
    this.text = next;
    return tree;
  }

  /** Updates and lints; [] for scripts that import no deep-learning framework (no parse at all). */
  lint(next: string, changes?: readonly TextChange[], options: LintOptions = {}): LintFinding[] {
    if (!mayNeedLint(next)) {
      this.dispose();
      return [];
    }
    const tree = this.update(next, changes);
    return tree ? lintTree(tree, next, options) : [];
  }

  get current(): Tree | null {
    return this.tree;
  }

  dispose(): void {
    this.tree?.delete();
    this.tree = null;
    this.text = '';
  }
}
