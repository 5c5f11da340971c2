// Number scanning over bytes: JSON numbers plus NaN / Infinity / -Infinity, bit-identical to
// Number(text). Fast path (Clinger): the significand is accumulated as an integer; when it is below
// 2^53 (exact) and |exponent| <= 22 (10^|e| is an exact double) one correctly rounded multiply or
// divide gives the correctly rounded result. Second path (Eisel–Lemire, as in Go's strconv and
// fast_float): significands of up to 19 digits (Python's repr prints 17) times a 128-bit power of ten;
// the few ambiguous cases (≈ 1 in 500), subnormals and overflow go to Number() on the scanned text.
import { ascii } from './sink';

/** Exact powers of ten (as doubles) 10^0 … 10^22. */
export const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];
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
      if (digitsOut(b, start, i, exp)) this.num = neg ? -OUT[0]! : OUT[0]!;
      else this.num = Number(ascii(b, start, i));
    }
    return true;
  }
}

// ---- Eisel–Lemire ----
// 128-bit approximations (rounded down, top bit set) of 10^q for q in [POW_MIN, POW_MAX], as four
// 32-bit words per entry (hi64 high, hi64 low, lo64 high, lo64 low); generated once with BigInt.
const POW_MIN = -348;
const POW_MAX = 347;
const POW128 = ((): Uint32Array => {
  const t = new Uint32Array((POW_MAX - POW_MIN + 1) * 4);
  const M32 = 0xffffffffn;
  for (let q = POW_MIN; q <= POW_MAX; q++) {
    let v: bigint;
    if (q >= 0) {
      v = 10n ** BigInt(q);
      const bl = v.toString(2).length;
      v = bl > 128 ? v >> BigInt(bl - 128) : v << BigInt(128 - bl);
    } else {
      const d = 10n ** BigInt(-q);
      v = (1n << BigInt(d.toString(2).length + 127)) / d;
      if (v >> 128n) v >>= 1n;
    }
    const k = (q - POW_MIN) * 4;
    t[k] = Number((v >> 96n) & M32);
    t[k + 1] = Number((v >> 64n) & M32);
    t[k + 2] = Number((v >> 32n) & M32);
    t[k + 3] = Number(v & M32);
  }
  return t;
})();
/** 2^k for k in [-1074, 971] at index k + 1074 (built by exact halvings and doublings). */
const POW2 = ((): Float64Array => {
  const t = new Float64Array(1074 + 972);
  let x = 1;
  for (let k = 0; k <= 971; k++, x *= 2) t[k + 1074] = x;
  x = 1;
  for (let k = 0; k >= -1074; k--, x /= 2) t[k + 1074] = x;
  return t;
})();
const P32 = 4294967296;
const INV32 = 1 / P32; // exact: x * INV32 = x / 2^32 (a multiply: shorter latency than a divide)

/**
 * The correctly rounded double of (the decimal digits in b[s, e), '.' and sign skipped, stopping at an
 * exponent letter) × 10^exp10, or -1 when the Eisel–Lemire test cannot decide (the caller then asks
 * Number()): more than 19 significant digits, an ambiguous product, a subnormal or overflowing result.
 */
export function digitsTimesPow10(b: Uint8Array, s: number, e: number, exp10: number): number {
  return digitsOut(b, s, e, exp10) ? OUT[0]! : -1;
}

/**
 * Results of the *Out functions. Hot paths call those: they return a boolean and leave the double here,
 * because V8 boxes a double returned from a call it does not inline (a heap allocation per number, a
 * third of the parse time went to the garbage collector on 17-digit JSONL).
 */
export const OUT = new Float64Array(1);

/** digitsTimesPow10 into OUT[0]; false when undecided. */
export function digitsOut(b: Uint8Array, s: number, e: number, exp10: number): boolean {
  // the significand: its first 15 digits in a double (exact below 10^15), up to 4 more apart; then as a
  // 64-bit integer in two 32-bit halves (no per-digit carry: a short dependency chain)
  let m = 0;
  let r = 0;
  let nd = 0;
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if (c === 46 || c === 45 || c === 43) continue;
    if (c < 48 || c > 57) break;
    if (nd === 0 && c === 48) continue; // leading zeros
    if (++nd <= 15) m = m * 10 + (c - 48);
    else if (nd <= 19) r = r * 10 + (c - 48);
    else return false;
  }
  if (nd === 0) {
    OUT[0] = 0;
    return true;
  }
  return splitOut(m, r, nd <= 15 ? 0 : nd - 15, exp10);
}

/**
 * The correctly rounded double of (m·10^nr + r) × 10^exp10 into OUT[0]; false when undecided (see
 * digitsTimesPow10): m < 2^53 an exact integer, r < 10^nr, nr ≤ 6 and m·10^nr + r < 2^64 — the
 * significand as a 64-bit integer in two 32-bit halves.
 */
export function splitOut(m: number, r: number, nr: number, exp10: number): boolean {
  const mh = Math.floor(m * INV32);
  const ml = m - mh * P32;
  let hi: number;
  let lo: number;
  if (nr === 0) {
    hi = mh;
    lo = ml;
  } else {
    const p = POW10[nr]!; // ≤ 10^6: ml·p + r < 2^52, exact; mh·p + c < 2^32 as the product is < 2^64
    const lf = ml * p + r;
    const c = Math.floor(lf * INV32);
    lo = lf - c * P32;
    hi = mh * p + c;
  }
  return eiselLemireOut(hi, lo, exp10);
}

/** (hi·2^32 + lo) × 10^q correctly rounded, or -1 when undecided (see digitsTimesPow10). */
export function eiselLemire(hi: number, lo: number, q: number): number {
  return eiselLemireOut(hi, lo, q) ? OUT[0]! : -1;
}

/** eiselLemire into OUT[0]; false when undecided. */
export function eiselLemireOut(hi: number, lo: number, q: number): boolean {
  if (q < POW_MIN || q > POW_MAX) return false;
  // normalize: top bit of the 64-bit significand set
  let clz: number;
  if (hi !== 0) {
    clz = Math.clz32(hi);
    if (clz !== 0) {
      hi = ((hi << clz) | (lo >>> (32 - clz))) >>> 0;
      lo = (lo << clz) >>> 0;
    }
  } else {
    clz = 32 + Math.clz32(lo);
    hi = (lo << (clz - 32)) >>> 0;
    lo = 0;
  }
  // (hi:lo) × (upper 64 bits of 10^q) = 128 bits from four 32×32 products: the low word of each by
  // Math.imul (exact mod 2^32), the high word by rounding (double product − low word) / 2^32 (the double
  // product is within 2^11 of the exact one, so the quotient is within 2^-20 of an integer).
  const k = (q - POW_MIN) * 4;
  const ph = POW128[k]!;
  const pl = POW128[k + 1]!;
  const l00 = Math.imul(lo, pl) >>> 0;
  const h00 = Math.round((lo * pl - l00) * INV32);
  const l01 = Math.imul(lo, ph) >>> 0;
  const h01 = Math.round((lo * ph - l01) * INV32);
  const l10 = Math.imul(hi, pl) >>> 0;
  const h10 = Math.round((hi * pl - l10) * INV32);
  const l11 = Math.imul(hi, ph) >>> 0;
  const h11 = Math.round((hi * ph - l11) * INV32);
  const t1 = h00 + l01 + l10; // < 3 · 2^32: exact
  const c1 = Math.floor(t1 * INV32);
  const r1 = t1 - c1 * P32; // bits 63..32
  const t2 = h01 + h10 + l11 + c1;
  const c2 = Math.floor(t2 * INV32);
  const r2 = t2 - c2 * P32; // bits 95..64
  const r3 = h11 + c2; // bits 127..96
  const low9 = r2 % 512;
  // The truncated power may leave the low product bits short by < 2^64: when the low 9 bits of the
  // upper half are all ones a carry could still change the rounding; Go and fast_float then widen the
  // product with the power's lower 64 bits, we ask Number() (1 case in 512).
  if (low9 === 511) return false;
  const msb = r3 >= 0x80000000 ? 1 : 0;
  // the top 53 bits of the product (exact in a double) and the 54th, the rounding bit
  const sh = 10 + msb;
  let mant = msb ? r3 * 2097152 + Math.floor(r2 / 2048) : r3 * 4194304 + Math.floor(r2 / 1024);
  const half = (r2 >>> (sh - 1)) & 1;
  let exp2 = ((217706 * q) >> 16) + 64 + 1023 - clz - (1 ^ msb);
  // exactly halfway between two doubles with an even lower one: round-half-even needs more than this
  // test knows
  if (half === 1 && low9 === 0 && r1 === 0 && l00 === 0 && mant % 2 === 0) return false;
  mant += half; // round half up (the even ties were excluded above)
  if (mant === 9007199254740992) {
    mant = 4503599627370496;
    exp2++;
  }
  if (exp2 < 1 || exp2 > 0x7fe) return false; // subnormal, zero or overflow: Number() decides
  OUT[0] = mant * POW2[exp2 - 1075 + 1074]!;
  return true;
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
