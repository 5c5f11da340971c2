// Reads LossWatch settings into the option objects of the ingest and check engines.
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
}

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
  const overrides = (c.get<unknown[]>('formatOverrides') ?? []).filter(
    (o): o is { glob: string; format: string } =>
      typeof o === 'object' && o !== null && typeof (o as { glob?: unknown }).glob === 'string' && typeof (o as { format?: unknown }).format === 'string',
  );
  return {
    watch: {
      include: strings(c.get('watch.include'), []),
      exclude: strings(c.get('watch.exclude'), []),
      auto: c.get<boolean>('watch.auto') !== false,
      maxFiles: num(c.get('watch.maxFiles'), 200, 1),
    },
    pollIntervalMs: num(c.get('pollInterval'), 0, 0),
    formatOverrides: overrides,
    textPatterns: strings(c.get('textPatterns'), []),
    severities,
    overfitting: { patience: num(c.get('checks.overfitting.patience'), 3, 1), minDelta: num(c.get('checks.overfitting.minDelta'), 0, 0) },
    lossMismatch: { rtol: num(c.get('checks.lossMismatch.rtol'), 1e-3, 0), atol: num(c.get('checks.lossMismatch.atol'), 1e-5, 0) },
    spikeZ: num(c.get('checks.spike.z'), 6, 1),
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
