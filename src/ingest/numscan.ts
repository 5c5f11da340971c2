// Number scanning over bytes: JSON numbers plus NaN / Infinity / -Infinity, exact (correctly rounded):
// Clinger's fast path when the significand has <= 15 digits and |exponent| <= 22, else Number(text).
import { ascii } from './sink';

const POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

export class NumberScanner {
  num = 0;
  pos = 0;

  /** Parses a JSON number (or NaN / Infinity / -Infinity) at b[i]; sets this.num and this.pos. */
  scan(b: Uint8Array, i: number, e: number): boolean {
    const start = i;
    let neg = false;
    if (b[i] === 45) {
      neg = true;
      i++;
    }
    let c = b[i]!;
    if (c === 78) {
      if (!neg && matchWord(b, i, e, 'NaN')) {
        this.num = NaN;
        this.pos = i + 3;
        return true;
      }
      return false;
    }
    if (c === 73) {
      if (matchWord(b, i, e, 'Infinity')) {
        this.num = neg ? -Infinity : Infinity;
        this.pos = i + 8;
        return true;
      }
      return false;
    }
    if (c < 48 || c > 57) return false;
    let m = 0; // significand digits as an integer: exact while nd <= 15
    let nd = 0;
    let exp = 0;
    if (c === 48) {
      c = b[++i]!;
    } else {
      do {
        m = m * 10 + (c - 48);
        nd++;
        c = b[++i]!;
      } while (c >= 48 && c <= 57);
    }
    if (c === 46) {
      c = b[++i]!;
      if (c < 48 || c > 57) return false;
      if (nd === 0) {
        while (c === 48) {
          exp--;
          c = b[++i]!;
        }
      }
      while (c >= 48 && c <= 57) {
        m = m * 10 + (c - 48);
        nd++;
        exp--;
        c = b[++i]!;
      }
    }
    const digits = nd;
    if (c === 101 || c === 69) {
      i++;
      c = b[i]!;
      let eneg = false;
      if (c === 43 || c === 45) {
        eneg = c === 45;
        i++;
        c = b[i]!;
      }
      if (c < 48 || c > 57) return false;
      let ev = 0;
      while (c >= 48 && c <= 57) {
        if (ev < 100000) ev = ev * 10 + (c - 48);
        i++;
        c = b[i]!;
      }
      exp += eneg ? -ev : ev;
    }
    if (i > e) return false;
    this.pos = i;
    let v: number;
    if (digits <= 15 && exp >= -22 && exp <= 22) {
      // Clinger's fast path: m and 10^|exp| are exact doubles, one correctly rounded operation.
      v = exp >= 0 ? m * POW10[exp]! : m / POW10[-exp]!;
    } else {
      v = Number(ascii(b, start, i));
      if (neg) return (this.num = v), true;
    }
    this.num = neg ? -v : v;
    return true;
  }

}

export function matchWord(b: Uint8Array, i: number, e: number, w: string): boolean {
  if (i + w.length > e) return false;
  for (let k = 0; k < w.length; k++) if (b[i + k] !== w.charCodeAt(k)) return false;
  return true;
}
