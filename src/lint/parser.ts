// Loads web-tree-sitter and the Python grammar (both WebAssembly) once, from dist/ when bundled or
// from node_modules when run from source. No network, no Python.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Language, Parser } from 'web-tree-sitter';

let ready: Promise<Language> | undefined;

function firstExisting(candidates: readonly string[]): string {
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new Error(`LossWatch lint: cannot find ${path.basename(candidates[0] ?? '')} (looked in ${candidates.join(', ')})`);
}

function wasmPath(file: string, pkg: string): string {
  const c = [path.join(__dirname, file)];
  // From source (tests, tsx): node_modules of this checkout.
  for (let dir = __dirname, i = 0; i < 6; i++, dir = path.dirname(dir)) c.push(path.join(dir, 'node_modules', pkg, file));
  return firstExisting(c);
}

/** The Python language, loaded once per process. */
export function loadPython(): Promise<Language> {
  ready ??= (async () => {
    const runtime = wasmPath('tree-sitter.wasm', 'web-tree-sitter');
    await Parser.init({ locateFile: () => runtime });
    return Language.load(fs.readFileSync(wasmPath('tree-sitter-python.wasm', 'tree-sitter-python')));
  })();
  ready.catch(() => {
    ready = undefined;
  });
  return ready;
}

/** A parser for Python (one per caller: parsers keep state between incremental parses). */
export async function createPythonParser(): Promise<Parser> {
  const lang = await loadPython();
  const p = new Parser();
  p.setLanguage(lang);
  return p;
}
