// Tick and tooltip formatting.
import type { XAxis } from '../src/shared/messages';

export function fmtNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return Number(v.toPrecision(4)).toExponential();
  return Number(v.toPrecision(5)).toString();
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
  const body = h > 0 ? `${h}:${pad(m)}:${pad(Math.floor(s))}` : m > 0 ? `${m}:${pad(Math.floor(s))}` : `${Number(s.toFixed(s < 10 ? 2 : 1))}s`;
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
      return Number.isInteger(v) ? String(v) : fmtNumber(v);
  }
}

export const X_LABEL: Record<XAxis, string> = {
  step: 'step',
  epoch: 'epoch',
  wall: 'wall time',
  relative: 'relative time',
};
