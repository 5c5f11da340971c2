// Number scanning over bytes: JSON numbers plus NaN / Infinity / -Infinity, bit-identical to
// Number(text). Fast path (Clinger): the significand is accumulated as an integer; when it is below
// 2^53 (exact) and |exponent| <= 22 (10^|e| is an exact double) one correctly rounded multiply or
// divide gives the correctly rounded result. Otherwise Number() on the scanned text decides.
import { ascii } from './sink';

/** Exact powers of ten (as doubles) 10^0 … 10^22. */
export const POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
export const TWO53 = 9007199254740992;

export class NumberScanner {
  /** The value of the last successful scan. */
  num = 0;
  /** The index just after the last successfully scanned number. */
  pos = 0;

  /**
   * Parses a number at b[i] (never reads at or past `e`); sets `num` and `pos`. Strict (JSON) grammar
   * plus `NaN`, `Infinity`, `-Infinity`; `loose` (CSV cells) also accepts a leading `+`, `.5` and `5.`
   * (like Number()). Returns false, without touching `num`/`pos`, when there is no number at `i`.
   */
  scan(b: Uint8Array, i: number, e: number, loose = false): boolean {
    // Inlinable common case: -?\d+(\.\d+)? with no exponent, significand < 2^53, <= 22 fraction
    // digits. Reads may run past `e` (into the next bytes or past the buffer: undefined compares false);
    // a number that does not end by `e` goes to the full scanner, which never reads at or past `e`.
    const s = i;
    let c = b[i];
    let neg = false;
    if (c === 45) {
      neg = true;
      c = b[++i];
    }
    const d0 = i;
    let m = 0;
    while (c! >= 48 && c! <= 57) {
      m = m * 10 + (c - 48);
      c = b[++i];
    }
    if (i !== d0 && (loose || b[d0] !== 48 || i === d0 + 1)) {
      let f = 0;
      if (c === 46) {
        c = b[++i];
        const f0 = i;
        // two digits per step: half the multiply-add chain on m
        for (;;) {
          const x = c! - 48;
          if (!(x >= 0 && x <= 9)) break;
          const y = b[i + 1]! - 48;
          if (!(y >= 0 && y <= 9)) {
            m = m * 10 + x;
            c = b[++i];
            break;
          }
          m = m * 100 + (x * 10 + y);
          i += 2;
          c = b[i];
        }
        f = i - f0;
      }
      if (i <= e && c !== 101 && c !== 69 && c !== 46 && m < TWO53 && f <= 22 && (f !== 0 || b[i - 1] !== 46)) {
        this.pos = i;
        const v = f === 0 ? m : m / POW10[f]!;
        this.num = neg ? -v : v;
        return true;
      }
    }
    return this.full(b, s, e, loose);
  }

  private full(b: Uint8Array, i: number, e: number, loose: boolean): boolean {
    const start = i;
    if (i >= e) return false;
    let c = b[i]!;
    let neg = false;
    if (c === 45 || (c === 43 && loose)) {
      neg = c === 45;
      if (++i >= e) return false;
      c = b[i]!;
    }
    let m = 0; // significand as an integer (exact while < 2^53)
    let exp = 0;
    let digits = 0; // significand digits seen (integer + fraction)
    if (c >= 48 && c <= 57) {
      if (c === 48 && !loose) {
        // JSON: a leading 0 stands alone
        digits = 1;
        c = ++i < e ? b[i]! : 0;
      } else {
        do {
          m = m * 10 + (c - 48);
          digits++;
          c = ++i < e ? b[i]! : 0;
        } while (c >= 48 && c <= 57);
      }
    } else if (c === 78) {
      if (!neg && matchWord(b, i, e, 'NaN')) {
        this.num = NaN;
        this.pos = i + 3;
        return true;
      }
      return false;
    } else if (c === 73) {
      if (matchWord(b, i, e, 'Infinity')) {
        this.num = neg ? -Infinity : Infinity;
        this.pos = i + 8;
        return true;
      }
      return false;
    } else if (c !== 46 || !loose) return false;
    if (c === 46) {
      c = ++i < e ? b[i]! : 0;
      const before = digits;
      while (c >= 48 && c <= 57) {
        m = m * 10 + (c - 48);
        digits++;
        exp--;
        c = ++i < e ? b[i]! : 0;
      }
      if (digits === before && (!loose || digits === 0)) return false; // "1." (JSON) or "."
    }
    if (digits === 0) return false;
    if (c === 101 || c === 69) {
      c = ++i < e ? b[i]! : 0;
      let eneg = false;
      if (c === 43 || c === 45) {
        eneg = c === 45;
        c = ++i < e ? b[i]! : 0;
      }
      if (c < 48 || c > 57) return false;
      let ev = 0;
      do {
        if (ev < 100000) ev = ev * 10 + (c - 48);
        c = ++i < e ? b[i]! : 0;
      } while (c >= 48 && c <= 57);
      exp += eneg ? -ev : ev;
    }
    this.pos = i;
    if (m === 0) {
      this.num = neg ? -0 : 0;
    } else if (m < TWO53 && exp >= -22 && exp <= 22) {
      const v = exp >= 0 ? m * POW10[exp]! : m / POW10[-exp]!;
      this.num = neg ? -v : v;
    } else {
      this.num = Number(ascii(b, start, i));
    }
    return true;
  }
}

/** Convenience for tests and slow paths: the number spelled by all of `text`, or undefined. */
export function scanText(text: string, loose = false): number | undefined {
  const b = new TextEncoder().encode(text);
  const ns = new NumberScanner();
  return ns.scan(b, 0, b.length, loose) && ns.pos === b.length ? ns.num : undefined;
}

export function matchWord(b: Uint8Array, i: number, e: number, w: string): boolean {
  if (i + w.length > e) return false;
  for (let k = 0; k < w.length; k++) if (b[i + k] !== w.charCodeAt(k)) return false;
  return true;
}
