// Reads LossWatch settings into the option objects of the ingest and check engines.
// Workspace trust: settings that change what is read or how (patterns run on log text, globs, limits) are
// declared `restrictedConfigurations` in package.json; in an untrusted workspace VS Code already answers
// them from user settings, and this module also reads them from user settings/defaults only.
import * as vscode from 'vscode';
import type { Severity } from '../core/model';

export interface WatchSettings {
  include: string[];
  exclude: string[];
  auto: boolean;
  maxFiles: number;
}

export interface Settings {
  watch: WatchSettings;
  pollIntervalMs: number;
  formatOverrides: { glob: string; format: string }[];
  textPatterns: string[];
  severities: Record<string, Severity | 'off'>;
  overfitting: { patience: number; minDelta: number };
  lossMismatch: { rtol: number; atol: number };
  spikeZ: number;
  /** rank-stalled by time: minimum silence of a rank (seconds) while the others write */
  rankStallSeconds: number;
  /** Sidecar limits (losswatch.limits.sidecarMiB, losswatch.sidecars.allowOutside). */
  sidecars: { maxMiB: number; allowOutside: boolean };
  limits: { wholeFileMiB: number };
}

/** Settings (under `losswatch.`) that a workspace may set only once it is trusted (see package.json). */
export const RESTRICTED = [
  'textPatterns',
  'formatOverrides',
  'watch.include',
  'watch.exclude',
  'watch.maxFiles',
  'pollInterval',
  'limits.wholeFileMiB',
  'limits.sidecarMiB',
  'sidecars.allowOutside',
] as const;
const RESTRICTED_SET = new Set<string>(RESTRICTED);

/** A setting's value; restricted ones from user settings or the default only while the workspace is untrusted. */
function read(c: vscode.WorkspaceConfiguration, key: string): unknown {
  if (vscode.workspace.isTrusted || !RESTRICTED_SET.has(key)) return c.get(key);
  const i = c.inspect(key);
  return i?.globalValue ?? i?.defaultValue;
}

/**
 * Restricted settings the (untrusted) workspace sets, as `losswatch.<key>`; empty when trusted. VS Code hides
 * restricted workspace values from `inspect()` in Restricted Mode, so the workspace's settings files
 * (`.vscode/settings.json` of each folder, the `.code-workspace` file) are searched for the keys too: a
 * bounded read, only to tell the user (a key inside a comment is reported as well; nothing is applied).
 */
export async function ignoredUntrusted(): Promise<string[]> {
  if (vscode.workspace.isTrusted) return [];
  const folders = vscode.workspace.workspaceFolders ?? [];
  const scopes = [
    vscode.workspace.getConfiguration('losswatch'),
    ...folders.map((f) => vscode.workspace.getConfiguration('losswatch', f.uri)),
  ];
  const found = new Set<string>(
    RESTRICTED.filter((k) =>
      scopes.some((c) => {
        const i = c.inspect(k);
        return i !== undefined && (i.workspaceValue !== undefined || i.workspaceFolderValue !== undefined);
      }),
    ),
  );
  const files = folders.map((f) => vscode.Uri.joinPath(f.uri, '.vscode', 'settings.json'));
  if (vscode.workspace.workspaceFile?.scheme === 'file') files.push(vscode.workspace.workspaceFile);
  for (const uri of files) {
    try {
      const st = await vscode.workspace.fs.stat(uri);
      if (st.type !== vscode.FileType.File || st.size > SETTINGS_FILE_MAX) continue;
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      for (const k of RESTRICTED) if (text.includes(`"losswatch.${k}"`)) found.add(k);
    } catch {
      /* no settings file */
    }
  }
  return RESTRICTED.filter((k) => found.has(k)).map((k) => `losswatch.${k}`);
}

const SETTINGS_FILE_MAX = 1 << 20;

const SEVERITIES = new Set(['error', 'warning', 'information', 'hint', 'off']);

function num(v: unknown, fallback: number, min = -Infinity): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= min ? v : fallback;
}

function strings(v: unknown, fallback: string[]): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string' && s.length > 0) : fallback;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('losswatch');
  const rawSev = c.get<Record<string, unknown>>('checks.severity') ?? {};
  const severities = Object.create(null) as Record<string, Severity | 'off'>; // codes come from settings files
  for (const [code, s] of Object.entries(rawSev)) {
    if (typeof s === 'string' && SEVERITIES.has(s)) severities[code] = s as Severity | 'off';
  }
  const rawOverrides = read(c, 'formatOverrides');
  const overrides = (Array.isArray(rawOverrides) ? rawOverrides : []).filter(
    (o): o is { glob: string; format: string } =>
      typeof o === 'object' &&
      o !== null &&
      typeof (o as { glob?: unknown }).glob === 'string' &&
      typeof (o as { format?: unknown }).format === 'string',
  );
  return {
    watch: {
      include: strings(read(c, 'watch.include'), []),
      exclude: strings(read(c, 'watch.exclude'), []),
      auto: c.get<boolean>('watch.auto') !== false,
      maxFiles: num(read(c, 'watch.maxFiles'), 200, 1),
    },
    pollIntervalMs: num(read(c, 'pollInterval'), 0, 0),
    formatOverrides: overrides,
    textPatterns: strings(read(c, 'textPatterns'), []),
    severities,
    overfitting: { patience: num(c.get('checks.overfitting.patience'), 3, 1), minDelta: num(c.get('checks.overfitting.minDelta'), 0, 0) },
    lossMismatch: { rtol: num(c.get('checks.lossMismatch.rtol'), 1e-3, 0), atol: num(c.get('checks.lossMismatch.atol'), 1e-5, 0) },
    spikeZ: num(c.get('checks.spike.z'), 6, 1),
    rankStallSeconds: num(c.get('checks.rankStall.seconds'), 60, 1),
    sidecars: { maxMiB: num(read(c, 'limits.sidecarMiB'), 256, 0), allowOutside: read(c, 'sidecars.allowOutside') === true },
    limits: { wholeFileMiB: Math.min(num(read(c, 'limits.wholeFileMiB'), 256, 1), 1024) },
  };
}

/** Turns a code off for this workspace ("Disable this check"). */
export async function disableCheck(code: string): Promise<void> {
  const c = vscode.workspace.getConfiguration('losswatch');
  const current = { ...(c.get<Record<string, string>>('checks.severity') ?? {}) };
  current[code] = 'off';
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await c.update('checks.severity', current, target);
}
