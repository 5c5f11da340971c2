// ESLint (flat config) with typescript-eslint. `npm run lint`; run by `npm test` with zero warnings allowed.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'out/**',
      'node_modules/**',
      '.vscode-test/**',
      'test-output/**',
      'bench/out/**',
      '.demo/**',
      'src/core/wasm/ce.as',
      'src/core/wasm/*.wasm*',
      'test/fixtures/**',
      'test/electron/workspace/**',
      'test/integration/workspaces/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // unused bindings are errors, except deliberately ignored ones spelled with a leading underscore
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // non-null assertions are used deliberately on typed-array indexing in hot loops (noUncheckedIndexedAccess)
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
      // escaping and sanitising code (CLI output, CSV export, log text) matches control characters on purpose
      'no-control-regex': 'off',
    },
  },
  {
    // Playwright callbacks run in the page; scripts, benches and test harnesses may ignore cleanup errors
    files: ['test/integration/**', 'bench/**', 'scripts/**', 'test/electron/**'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: { 'no-empty': ['error', { allowEmptyCatch: true }] },
  },
  {
    files: ['webview/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.cjs', 'test/integration/host-extension/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
