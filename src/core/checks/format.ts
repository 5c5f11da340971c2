// Small formatting helpers for finding messages: numbers to 4 significant digits, places, names.
import type { Provenance } from '../model';

/** 4 significant digits; NaN / ±inf spelled out; integers stay integers. */
export function num(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-4 || a >= 1e6)) return x.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(x.toPrecision(4)));
}

/** A metric or run name from a log, made safe for a one-line message (no control characters, bounded). */
export function name(s: string): string {
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  return clean.length > 80 ? clean.slice(0, 79) + '…' : clean || '(unnamed)';
}

/** "line 12" / "record 3" / "" for the place a point came from. */
export function place(p: Provenance | undefined): string {
  if (!p) return '';
  if (p.line !== undefined) return `line ${p.line}`;
  if (p.record !== undefined) return `record ${p.record}`;
  return '';
}

/** "step 120 (line 45)" — step always, place when known. */
export function at(step: number, p?: Provenance): string {
  const where = place(p);
  const s = Number.isFinite(step) ? `step ${num(step)}` : 'an unknown step';
  return where ? `${s} (${where})` : s;
}

export function plural(n: number, word: string, many = word + 's'): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** Ratio written as "×12.3" style text. */
export function times(r: number): string {
  return `${num(r)}×`;
}
