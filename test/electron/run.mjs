// Runs the extension-host suite in desktop VS Code downloaded by @vscode/test-electron.
// For machines that can reach Microsoft's download servers; CI here uses test/integration (VS Code server).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
try {
  await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(root, 'test', 'electron', 'suite.cjs'),
    launchArgs: [path.join(root, 'test', 'electron', 'workspace'), '--disable-extensions'],
  });
} catch (err) {
  console.error('desktop VS Code tests failed:', err);
  process.exit(1);
}
