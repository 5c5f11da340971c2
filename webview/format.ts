// Tick and tooltip formatting.
import type { XAxis } from '../src/shared/messages';

/** Exponential notation without "+" or trailing zeros: 1.50e+17 → 1.5e17, 9.000e-4 → 9e-4. */
function compactExp(v: number, fractionDigits: number): string {
  const [m, e] = v.toExponential(Math.max(0, Math.min(20, fractionDigits))).split('e');
  const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
  return `${mant}e${e.startsWith('+') ? e.slice(1) : e}`;
}

/** Plain notation with at most `sig` significant digits, no trailing zeros, no float noise. */
function plain(v: number, sig: number): string {
  return String(Number(v.toPrecision(Math.max(1, Math.min(21, sig)))));
}

/** Tooltip / table value: 5 significant digits; exponent for tiny and huge values (1.2346e17). */
export function fmtNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return compactExp(v, 4);
  return plain(v, 5);
}

/**
 * Tick labels of one axis, formatted consistently: exponent style for the whole axis when its largest
 * tick is < 0.01 or >= 1e5 (9e-4, 1e-3, 1e17), plain otherwise (0.25, 1500); 3 significant digits, or
 * as many as needed to tell neighbouring ticks apart; never trailing zeros. `log`: each tick on its own.
 */
export function fmtTicks(values: readonly number[], log = false): string[] {
  let big = 0;
  for (const v of values) if (Number.isFinite(v)) big = Math.max(big, Math.abs(v));
  const exp = big !== 0 && (big < 1e-2 || big >= 1e5);
  // Smallest difference between neighbouring ticks decides the digits needed (linear axes).
  let step = Infinity;
  if (!log) {
    for (let i = 1; i < values.length; i++) {
      const d = Math.abs(values[i] - values[i - 1]);
      if (d > 0 && d < step) step = d;
    }
  }
  // Log axes spanning a decade or more: label only 1, 2, 5 (or 4) × 10^k (only 10^k beyond 3 decades) so the
  // labels near each power of ten do not pile up; the grid keeps every tick.
  let keep: ((m: number) => boolean) | null = null;
  if (log) {
    const pos = values.filter((v) => v > 0 && Number.isFinite(v));
    const span = pos.length > 1 ? Math.log10(Math.max(...pos) / Math.min(...pos)) : 0;
    if (span >= 3) keep = (m) => Math.abs(m - 1) < 1e-6 || Math.abs(m - 10) < 1e-5;
    else if (span >= 1) {
      // 1, 2, 5 × 10^k; Chart.js often places 2, 4, 6, 8 instead of 5: then 1, 2, 4.
      const mant = (v: number): number => v / Math.pow(10, Math.floor(Math.log10(v)));
      const has5 = pos.some((v) => Math.abs(mant(v) - 5) < 5e-5);
      const ks = has5 ? [1, 2, 5, 10] : [1, 2, 4, 10];
      keep = (m) => ks.some((k) => Math.abs(m - k) < 1e-5 * k);
    } else if (pos.length > 8) {
      // Under a decade with many ticks (1, 1.1, 1.2 … 4): label whole mantissas only, or they pile up.
      keep = (m) => Math.abs(m - Math.round(m)) < 1e-6 * m;
    }
  }
  return values.map((v) => {
    if (!Number.isFinite(v)) return String(v);
    if (keep && v > 0 && !keep(v / Math.pow(10, Math.floor(Math.log10(v))))) return '';
    if (v === 0) return '0';
    const mag = Math.floor(Math.log10(Math.abs(v)));
    let sig = 3;
    if (Number.isFinite(step)) sig = Math.max(sig, mag - Math.floor(Math.log10(step)) + 2);
    sig = Math.min(sig, 15);
    if (exp) {
      // Round to `sig` digits, then drop digits that are zero.
      return compactExp(v, sig - 1);
    }
    // Plain: enough digits for the tick step, but never more than needed (float noise).
    if (Number.isFinite(step)) {
      const decimals = Math.max(0, 1 - Math.floor(Math.log10(step)));
      return plain(Number(v.toFixed(Math.min(20, decimals))), 15);
    }
    return plain(v, sig);
  });
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  const neg = seconds < 0;
  let s = Math.abs(seconds);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const body =
    h > 0 ? `${h}:${pad(m)}:${pad(Math.floor(s))}` : m > 0 ? `${m}:${pad(Math.floor(s))}` : `${Number(s.toFixed(s < 10 ? 2 : 1))}s`;
  return neg ? `-${body}` : body;
}

export function fmtX(axis: XAxis, v: number): string {
  switch (axis) {
    case 'wall': {
      const d = new Date(v);
      return Number.isNaN(d.getTime()) ? String(v) : `${d.toLocaleDateString()} ${d.toLocaleTimeString()}`;
    }
    case 'relative':
      return fmtDuration(v);
    case 'epoch':
      return fmtNumber(v);
    case 'step':
    case 'relstep':
      return Number.isInteger(v) ? String(v) : fmtNumber(v);
  }
}

export const X_LABEL: Record<XAxis, string> = {
  step: 'step',
  relstep: 'relative step',
  epoch: 'epoch',
  wall: 'wall time',
  relative: 'relative time',
};
