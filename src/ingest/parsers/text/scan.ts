// Single-pass tokenizer for console lines. Every byte is looked at a bounded number of times (at most
// twice: an integer's lookahead for ` / ` may be rescanned), so the cost is linear in the line whatever
// it contains; no regular expression runs on the untrusted text. Tokens keep byte offsets into the line;
// strings and numbers are only materialised for the few tokens a recogniser asks about.

export const enum K {
  /** `[A-Za-z_][A-Za-z0-9_]*`, continued by `.`, `/`, `-` when a letter/digit/`_` follows (`train/loss`, `top-1`) */
  Word = 1,
  /** a number standing alone (`2.5`, `-1e-3`, `nan`, `inf`); not glued to letters (`12ms`, `1.2.3`, `2024-01-05` are Other) */
  Num = 2,
  /** `i/N` or `i / N` with integers (`450/1000`, `200/ 2983`): `ratioI(i)`, `ratioN(i)` */
  Ratio = 3,
  /** one ASCII punctuation byte (`ch(i)`) */
  Punct = 4,
  /** anything else: numbers glued to units, runs of non-ASCII bytes (`━━━`, `████▌`) */
  Other = 5,
  /** a number followed by one `%` (`75.40%`): `num(i)` is the number as printed (75.4) */
  Pct = 6,
}

const WORD = 1;
const DIGIT = 2;
const SPACE = 4;
const CLS = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) CLS[c] = WORD;
  else if (c >= 48 && c <= 57) CLS[c] = DIGIT;
  else if (c === 32 || c === 9 || c === 11 || c === 12 || c === 13) CLS[c] = SPACE;
}
const isAlnum = (c: number): boolean => (CLS[c]! & (WORD | DIGIT)) !== 0;
const isDigit = (c: number): boolean => CLS[c] === DIGIT;

/** Longest word / number text ever materialised; longer tokens are never names or values we use. */
const MAX_TEXT = 64;

export class Tokens {
  n = 0;
  kind = new Uint8Array(64);
  a = new Int32Array(64);
  z = new Int32Array(64);
  /** whitespace before the token */
  sp = new Uint8Array(64);
  buf: Uint8Array = new Uint8Array(0);

  // 10 bytes per token: a 2 MiB line of one-byte tokens holds about 20 MB while it is parsed
  private push(kind: K, a: number, z: number, sp: number): void {
    if (this.n === this.kind.length) this.grow();
    const i = this.n++;
    this.kind[i] = kind;
    this.a[i] = a;
    this.z[i] = z;
    this.sp[i] = sp;
  }

  private grow(): void {
    const m = this.kind.length * 2;
    const k = new Uint8Array(m);
    k.set(this.kind);
    this.kind = k;
    const a = new Int32Array(m);
    a.set(this.a);
    this.a = a;
    const z = new Int32Array(m);
    z.set(this.z);
    this.z = z;
    const sp = new Uint8Array(m);
    sp.set(this.sp);
    this.sp = sp;
  }

  /** Drops oversized arrays kept from a huge line. */
  shrink(): void {
    if (this.kind.length > 4096) {
      this.kind = new Uint8Array(64);
      this.a = new Int32Array(64);
      this.z = new Int32Array(64);
      this.sp = new Uint8Array(64);
    }
    this.buf = new Uint8Array(0);
  }

  /** Tokenizes b[s, e). ANSI CSI escapes (`ESC [ … final`) and backspaces separate tokens and are dropped. */
  scan(b: Uint8Array, s: number, e: number): void {
    this.buf = b;
    this.n = 0;
    let p = s;
    let sp = 0;
    while (p < e) {
      const c = b[p]!;
      const cls = CLS[c]!;
      if (cls === SPACE) {
        sp = 1;
        p++;
        continue;
      }
      if (c === 0x1b) {
        p++;
        if (p < e && b[p] === 0x5b) {
          p++;
          while (p < e && !(b[p]! >= 0x40 && b[p]! <= 0x7e)) p++;
          if (p < e) p++;
        }
        continue;
      }
      if (c === 0x08 || c < 0x20 || c === 0x7f) {
        p++;
        continue;
      }
      const start = p;
      if (cls === WORD) {
        p = this.word(b, p, e);
        if (p - start <= 8 && nonFiniteWord(b, start, p)) this.push(K.Num, start, p, sp);
        else this.push(K.Word, start, p, sp);
      } else if (cls === DIGIT || (c === 0x2e && p + 1 < e && isDigit(b[p + 1]!))) {
        p = this.number(b, start, start, e, sp);
      } else if ((c === 0x2d || c === 0x2b) && p + 1 < e && signable(b, s, p)) {
        const d = b[p + 1]!;
        if (isDigit(d) || (d === 0x2e && p + 2 < e && isDigit(b[p + 2]!))) p = this.number(b, start, p + 1, e, sp);
        else if ((d === 0x6e || d === 0x4e || d === 0x69 || d === 0x49) && nonFiniteAt(b, p + 1, e) > 0) {
          p = p + 1 + nonFiniteAt(b, p + 1, e);
          this.push(K.Num, start, p, sp);
        } else {
          this.push(K.Punct, p, p + 1, sp);
          p++;
        }
      } else if (c >= 0x80) {
        while (p < e && b[p]! >= 0x80) p++;
        this.push(K.Other, start, p, sp);
      } else {
        this.push(K.Punct, p, p + 1, sp);
        p++;
      }
      sp = 0;
    }
    // sentinel: reading kind[n] (one past the last token) sees no token, not one left from a longer line
    if (this.n === this.kind.length) this.grow();
    this.kind[this.n] = 0;
  }

  private word(b: Uint8Array, p: number, e: number): number {
    p++;
    while (p < e) {
      const c = b[p]!;
      if (isAlnum(c)) p++;
      else if ((c === 0x2e || c === 0x2f || c === 0x2d) && p + 1 < e && isAlnum(b[p + 1]!)) p += 2;
      else break;
    }
    return p;
  }

  /** A number starting at `start` (sign included), digits from `d`. Emits Num, Ratio or Other. */
  private number(b: Uint8Array, start: number, d: number, e: number, sp: number): number {
    let p = d;
    let int = true;
    while (p < e && isDigit(b[p]!)) p++;
    if (p < e && b[p] === 0x2e && !(p + 1 < e && b[p + 1] === 0x2e)) {
      // "1." and "1.5"; "1.2.3" becomes Other through the glue check below
      if (!(p + 1 < e && isAlnum(b[p + 1]!) && !isDigit(b[p + 1]!))) {
        int = false;
        p++;
        while (p < e && isDigit(b[p]!)) p++;
      }
    }
    if (p + 1 < e && (b[p] === 0x65 || b[p] === 0x45)) {
      let q = p + 1;
      if (q < e && (b[q] === 0x2b || b[q] === 0x2d)) q++;
      if (q < e && isDigit(b[q]!)) {
        while (q < e && isDigit(b[q]!)) q++;
        p = q;
        int = false;
      }
    }
    if (int && start === d) {
      // i/N, i / N
      let q = p;
      while (q < e && b[q] === 0x20) q++;
      if (q < e && b[q] === 0x2f) {
        q++;
        while (q < e && b[q] === 0x20) q++;
        if (q < e && isDigit(b[q]!)) {
          while (q < e && isDigit(b[q]!)) q++;
          if (!glued(b, q, e)) {
            this.push(K.Ratio, start, q, sp);
            return q;
          }
        }
      }
    }
    if (p < e && b[p] === 0x25 && !glued(b, p + 1, e) && !(p + 1 < e && b[p + 1] === 0x25)) {
      this.push(K.Pct, start, p + 1, sp); // "75.40%"
      return p + 1;
    }
    if (glued(b, p, e)) {
      p = gluedRun(b, p, e);
      this.push(K.Other, start, p, sp);
      return p;
    }
    this.push(K.Num, start, p, sp);
    return p;
  }

  /** The token's bytes as a string (Latin-1; `''` when longer than MAX_TEXT). */
  text(i: number): string {
    const a = this.a[i]!;
    const z = this.z[i]!;
    if (z - a > MAX_TEXT) return '';
    let out = '';
    for (let p = a; p < z; p++) out += String.fromCharCode(this.buf[p]!);
    return out;
  }

  /** Lower-cased word text (`''` when not a word or too long). */
  lower(i: number): string {
    return this.kind[i] === K.Word ? this.text(i).toLowerCase() : '';
  }

  /** The value of a Num token (NaN when too long to be a logged value). */
  num(i: number): number {
    let t = this.text(i);
    if (this.kind[i] === K.Pct) t = t.slice(0, -1);
    if (t === '') return NaN;
    const c = t.charCodeAt(t.length - 1);
    if (c === 0x2e) return Number(t.slice(0, -1)); // "1."
    switch (t.toLowerCase().replace(/^\+/, '')) {
      case 'nan':
      case '-nan':
        return NaN;
      case 'inf':
      case 'infinity':
        return Infinity;
      case '-inf':
      case '-infinity':
        return -Infinity;
    }
    return Number(t);
  }

  isPunct(i: number, ch: number): boolean {
    return i >= 0 && i < this.n && this.kind[i] === K.Punct && this.buf[this.a[i]!] === ch;
  }

  /** The byte of a Punct token. */
  ch(i: number): number {
    return this.buf[this.a[i]!]!;
  }

  /** Numerator of a Ratio token (NaN beyond 15 digits). */
  ratioI(i: number): number {
    const a = this.a[i]!;
    let p = a;
    while (isDigit(this.buf[p]!)) p++;
    return digits(this.buf, a, p);
  }

  /** Denominator of a Ratio token. */
  ratioN(i: number): number {
    const z = this.z[i]!;
    let p = z;
    while (p > this.a[i]! && isDigit(this.buf[p - 1]!)) p--;
    return digits(this.buf, p, z);
  }
}

/** Sign of a number: not after a letter, digit, `_`, `.`, `)` or `]` ("2024-01", "x-1" are not negative numbers). */
function signable(b: Uint8Array, s: number, p: number): boolean {
  if (p === s) return true;
  const c = b[p - 1]!;
  return !(isAlnum(c) || c === 0x2e || c === 0x29 || c === 0x5d);
}

/** A number followed by this byte is part of something else: `12ms`, `3.2%`, `1.2.3`, `12:30`, `2024-01`. */
function glued(b: Uint8Array, p: number, e: number): boolean {
  if (p >= e) return false;
  const c = b[p]!;
  if (isAlnum(c) || c === 0x25) return true;
  if ((c === 0x2e || c === 0x3a || c === 0x2d || c === 0x2f) && p + 1 < e && isAlnum(b[p + 1]!)) return true;
  return false;
}

function gluedRun(b: Uint8Array, p: number, e: number): number {
  while (p < e) {
    const c = b[p]!;
    if (isAlnum(c) || c === 0x25) p++;
    else if ((c === 0x2e || c === 0x3a || c === 0x2d || c === 0x2f || c === 0x2b) && p + 1 < e && isAlnum(b[p + 1]!)) p += 2;
    else break;
  }
  return p;
}

function digits(b: Uint8Array, a: number, z: number): number {
  if (z - a > 15) return NaN;
  let v = 0;
  for (let p = a; p < z; p++) v = v * 10 + (b[p]! - 48);
  return v;
}

/** Length of `nan`, `inf` or `infinity` (any case) at p, not followed by a word byte; 0 if none. */
function nonFiniteAt(b: Uint8Array, p: number, e: number): number {
  for (const w of NONFINITE) {
    if (p + w.length > e) continue;
    let ok = true;
    for (let k = 0; k < w.length && ok; k++) ok = (b[p + k]! | 0x20) === w.charCodeAt(k);
    if (ok && !(p + w.length < e && isAlnum(b[p + w.length]!))) return w.length;
  }
  return 0;
}
const NONFINITE = ['infinity', 'nan', 'inf'];

function nonFiniteWord(b: Uint8Array, a: number, z: number): boolean {
  return nonFiniteAt(b, a, z) === z - a;
}
