// Helpers for the hardening tests: the CLI in a child process with a time limit, temp folders.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

export const ROOT = path.resolve(__dirname, '../..');

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'lw-sec-'));
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  ms: number;
  timedOut: boolean;
}

/**
 * Runs `losswatch <args>` (the TypeScript sources through tsx, so the test never runs a stale build) in a
 * child process; killed after `timeoutMs`.
 */
export function cli(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const tsx = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href; // resolvable from any cwd
    const p = spawn(process.execPath, ['--import', tsx, path.join(ROOT, 'src/cli/main.ts'), ...args], {
      cwd: opts.cwd ?? ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let timedOut = false;
    p.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    p.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    const t = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, opts.timeoutMs ?? 30000);
    p.on('close', (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal, out, err, ms: Date.now() - t0, timedOut });
    });
  });
}

/** True when `mkfifo` exists (POSIX); creates the FIFO. */
export function mkfifo(file: string): boolean {
  if (process.platform === 'win32') return false;
  const r = spawnSync('mkfifo', [file]);
  return r.status === 0;
}
