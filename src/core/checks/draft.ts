// A finding before severities are applied (the checker adds severity and run id at the end).
import type { Finding, SeriesView } from '../model';
import { at, name } from './format';

export type Draft = Omit<Finding, 'severity' | 'runId'>;
export type Related = NonNullable<Finding['related']>[number];

/** A draft anchored at point i of a series (its file and line; binary formats: the file). */
export function atPoint(code: string, s: SeriesView, i: number, message: string, related?: Related[]): Draft {
  const p = s.provenance(i);
  const d: { -readonly [K in keyof Draft]: Draft[K] } = { code, message, file: p.file, step: s.step(i), seriesKey: s.key };
  if (p.line !== undefined) {
    d.line = p.line;
    d.column = 1;
  }
  if (related && related.length) d.related = related;
  return d;
}

/** Related information pointing at point i of a series. */
export function relatedAt(s: SeriesView, i: number, message: string): Related {
  const p = s.provenance(i);
  return p.line !== undefined ? { file: p.file, line: p.line, message } : { file: p.file, message: `${message} (${at(s.step(i), p)})` };
}

/** "'train/loss'" — a series name quoted for messages. */
export function q(s: SeriesView): string {
  return `'${name(s.name || s.key)}'`;
}

/** Last index i with s.step(i) ≤ step (steps assumed non-decreasing), or -1. */
export function indexAtStep(s: SeriesView, step: number, hi = s.length): number {
  let lo = 0;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s.step(mid) <= step) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
