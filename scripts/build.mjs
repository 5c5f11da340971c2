// Bundles the extension host code, the webview and the CLI with esbuild.
// Usage: node scripts/build.mjs [--watch] [--production]
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
// Test hooks (webview/testHooks.ts) are compiled into development builds and `--test-hooks` builds only.
const testHooks = !production || process.argv.includes('--test-hooks');

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'info',
  legalComments: 'none',
  // The CommonJS build of web-tree-sitter (its ES module build needs import.meta.url, empty in a CJS bundle).
  alias: { 'web-tree-sitter': './node_modules/web-tree-sitter/tree-sitter.cjs' },
};

const builds = [
  {
    ...common,
    entryPoints: { extension: 'src/extension/main.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  },
  {
    // Worker used by the extension host for first reads of large files.
    ...common,
    entryPoints: { 'ingest-worker': 'src/ingest/worker.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
  {
    ...common,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    ...common,
    entryPoints: { webview: 'webview/main.ts' },
    outdir: 'dist',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    define: { __LW_TEST__: String(testHooks) },
  },
];

// The Python grammar and the tree-sitter runtime (WebAssembly) for the script lint, next to the bundles.
fs.mkdirSync('dist', { recursive: true });
for (const f of ['node_modules/web-tree-sitter/tree-sitter.wasm', 'node_modules/tree-sitter-python/tree-sitter-python.wasm']) {
  fs.copyFileSync(f, `dist/${f.slice(f.lastIndexOf('/') + 1)}`);
}

if (watch) {
  const ctxs = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(ctxs.map((c) => c.watch()));
  console.log('watching…');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
