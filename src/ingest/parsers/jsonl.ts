// JSONL metrics: one object per line. Fast path: a byte scanner for flat objects of numbers
// (no string decoding, no JSON.parse, keys matched against the previous line's keys by bytes).
// Anything else (nested objects, escapes, arrays, logit records) goes through the tolerant parser.
import type { Split } from '../../core/model';
import { fieldKind, type FieldKind, isWallClock, missing, nonFinite, toWallMs } from '../fields';
import { JsonError, parseJson, type JsonValue } from '../json';
import { explicitSplit, splitOf } from '../roles';
import { ascii, type LineParser, type Sink, utf8 } from '../sink';
import { buildLogitRecord, isLogitObject } from './logits';
import { digitsOut, matchWord, NumberScanner, OUT, POW10, splitOut, TWO53 } from '../numscan';

interface Slot {
  bytes: Uint8Array;
  key: string;
  kind: FieldKind;
  ownSplit: boolean; // the key itself names a split (val_loss): a `split` field does not prefix it
  lastSplit: string | undefined; // cache: the series id for the last split value seen
  lastId: number;
  numeric: boolean; // a number was seen for this key (a later text/boolean value is unreadable)
  timeDecided: boolean; // a time-named key: whether its first number decided wall clock vs metric
  seen: number; // stamp of the last fast() line that had this key (a repeated key goes to the slow path)
}

const MAX_KEPT_KEYS = 4096; // per-key state carried from the worker to the main thread

const MAX_FIELDS = 256;
const NO_VIEW = new DataView(new ArrayBuffer(0));
const PR = 1024; // rows per pending block at most
const PR_MIN = 16; // rows per pending block at least
/** Pending blocks of at most this many rows are kept between calls (a live log's appends reuse them). */
const PR_KEEP = 64;
const NO_ROWS = new Float64Array(0);
const MAX_TEMPLATES = 4; // line shapes kept (train and val lines of one log alternate)

/**
 * A line template: the bytes between values (`{"step": `, `, "split": "train", "loss": `, …; a `split`
 * field's string value is part of them) and, per value, its role. Lines are matched against it byte for
 * byte (loggers write the same keys in the same order every line). Its rows wait in a pending block
 * (per metric q its value at pv[q * PR + row]) that goes to the sink as one `rows` call.
 */
class Template {
  sep = new Uint8Array(0);
  off = new Int32Array(0);
  words = new Int32Array(0);
  len = new Int32Array(0);
  mask = new Int32Array(0);
  /** bytes after the last value up to the closing brace's whitespace (a trailing split field) */
  tail = new Uint8Array(0);
  step = -1;
  epoch = -1;
  time = -1;
  metric = new Int32Array(0);
  ids = new Int32Array(0);
  n = 0;
  /** shares no series with the other kept templates: its rows may wait while theirs go out */
  disjoint = true;
  // pending rows
  pr = 0;
  /** rows per pending block (the block's columns are allocated for this many) */
  cap = 0;
  pv = NO_ROWS;
  pOffs = new Int32Array(0);
  pStep = NO_ROWS;
  pEpoch = NO_ROWS;
  pWall = NO_ROWS;
  pLine = NO_ROWS;
  /** Gives the pending block's columns back (a parser lives as long as its file is followed). */
  release(): void {
    this.cap = 0;
    this.pv = this.pStep = this.pEpoch = this.pWall = this.pLine = NO_ROWS;
    this.pOffs = new Int32Array(0);
  }
  pEpochAny = false;
  pWallAny = false;
  sameShape(o: Template): boolean {
    if (o.n !== this.n || o.sep.length !== this.sep.length || o.tail.length !== this.tail.length || o.ids.length !== this.ids.length)
      return false;
    for (let k = 0; k < this.sep.length; k++) if (o.sep[k] !== this.sep[k]) return false;
    for (let k = 0; k < this.tail.length; k++) if (o.tail[k] !== this.tail[k]) return false;
    for (let k = 0; k < this.ids.length; k++) if (o.ids[k] !== this.ids[k] || o.metric[k] !== this.metric[k]) return false;
    for (let k = 0; k < this.n; k++) if (o.off[k] !== this.off[k] || o.len[k] !== this.len[k]) return false;
    return o.step === this.step && o.epoch === this.epoch && o.time === this.time;
  }
}

export class JsonlParser implements LineParser {
  private slots: Slot[] = [];
  private readonly slotIdx = new Int32Array(MAX_FIELDS);
  private readonly vals = new Float64Array(MAX_FIELDS);
  private records = 0;
  /** rows whose step is their record index (see LineParser.recordSteps) */
  recordSteps = 0;
  private readonly ns = new NumberScanner();
  /** keys that have had a number (a text/boolean value there is reported as unreadable) */
  private numericKeys = new Set<string>();
  /** time-named keys decided by their first number: true = wall clock, false = a metric series */
  private timeWall = new Map<string, boolean>();
  // unreadable values of the line being parsed by fast(): reported once the line is accepted
  private bad = 0;
  private badKey = '';
  // Line templates learnt from lines the byte scanner read whose values were all numbers (or a split
  // name): `tpl` is the one the last line matched, `tpls` the ones kept (most recent first). Template
  // rows not yet handed to the sink (when it takes `rows`) go out as one `rows` call when a block is
  // full, before any other emission and at the end of every lines()/line() call.
  private tpl: Template | undefined;
  private tpls: Template[] = [];
  private dv: DataView = NO_VIEW;
  private dvBuf: Uint8Array | undefined;
  private readonly vs = new Int32Array(MAX_FIELDS); // value start/end of the fields of the last fast() line
  private readonly ve = new Int32Array(MAX_FIELDS);
  private readonly lit = new Uint8Array(MAX_FIELDS); // 1: the field is a split name (template bytes)
  private allNumeric = false;
  private fieldCount = 0;
  private lineSplit: string | undefined;
  private readonly idCache = new Map<string, number>();
  // the points of the last fast() line, held until learn() tells whether they start template rows
  private dN = 0;
  private dIds = new Int32Array(0);
  private dVals = new Float64Array(0);
  private dStep = 0;
  private dEpoch = 0;
  private dWall = 0;
  private dLine = 0;
  private stamp = 0;

  constructor(
    private readonly sink: Sink,
    private readonly file: string,
  ) {}

  reset(): void {
    this.slots = [];
    this.records = 0;
    this.dropTemplates();
    this.numericKeys = new Set();
    this.timeWall = new Map();
  }

  private dropTemplates(): void {
    this.tpl = undefined;
    this.tpls = [];
    this.idCache.clear();
  }

  /** Rows per pending block of the current call (see lines()). */
  private blockRows = PR_MIN;

  /** Large pending blocks are given back after a call (their rows went out): a followed file keeps small ones. */
  private releaseBlocks(): void {
    for (const t of this.tpls) if (t.pr === 0 && t.cap > PR_KEEP) t.release();
  }

  /** Hands the pending template rows to the sink. */
  private flushRows(): void {
    for (const t of this.tpls) if (t.pr > 0) this.flushTemplate(t);
  }

  private flushTemplate(t: Template): void {
    const n = t.pr;
    if (n === 0) return;
    t.pr = 0;
    const ids = t.ids;
    // group: each template's rows are shared among its series (templates alternate)
    this.sink.rows!(
      n,
      t.pStep,
      t.pWallAny ? t.pWall : undefined,
      t.pEpochAny ? t.pEpoch : undefined,
      t.pLine,
      ids.length,
      ids,
      t.pv,
      t.pOffs,
      1 + ids[0]!,
    );
  }

  snapshot(): unknown {
    return {
      records: this.records,
      numericKeys: [...this.numericKeys].slice(0, MAX_KEPT_KEYS),
      timeWall: [...this.timeWall].slice(0, MAX_KEPT_KEYS),
    };
  }

  restore(state: unknown): void {
    this.slots = [];
    this.dropTemplates();
    const st = (state ?? {}) as { records?: unknown; numericKeys?: unknown; timeWall?: unknown };
    this.records = typeof st.records === 'number' ? st.records : 0;
    this.numericKeys = new Set(Array.isArray(st.numericKeys) ? st.numericKeys.filter((k): k is string => typeof k === 'string') : []);
    this.timeWall = new Map(
      Array.isArray(st.timeWall)
        ? st.timeWall.filter((e): e is [string, boolean] => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'boolean')
        : [],
    );
  }

  /** A time-named key's first number: a wall clock when epoch-like, else the key is a metric. */
  private decideTime(slot: Slot, v: number): FieldKind {
    let wall = this.timeWall.get(slot.key);
    if (wall === undefined) {
      wall = isWallClock(v);
      this.timeWall.set(slot.key, wall);
    }
    slot.timeDecided = true;
    if (!wall) slot.kind = 'metric';
    return slot.kind;
  }

  /** A value that is not a number where `key` has had numbers: unreadable (counted); else ignored. */
  private unreadable(key: string): void {
    if (this.numericKeys.has(key)) {
      if (this.bad++ === 0) this.badKey = key;
    }
  }

  lines(b: Uint8Array, s: number, e: number, first: number): number {
    // rows per pending block for this call: about its line count (≥ 32 bytes a line), 16…1024
    let rows = PR_MIN;
    while (rows < PR && rows * 32 < e - s) rows *= 2;
    this.blockRows = rows;
    let ln = first;
    let i = s;
    while (i < e) {
      const t = this.tpl;
      let r = t !== undefined ? this.matchTemplate(t, b, i, e, true, ln) : -1;
      if (r < 0 && this.tpls.length > 1) {
        // another kept shape (train / val lines alternate)
        for (const o of this.tpls) {
          if (o === t) continue;
          r = this.matchTemplate(o, b, i, e, true, ln);
          if (r >= 0) {
            this.tpl = o;
            break;
          }
        }
      }
      if (r >= 0) {
        ln++;
        i = r + 1;
        continue;
      }
      const nl = b.indexOf(10, i);
      const next = nl < 0 || nl >= e ? e : nl + 1;
      const end = next > i && b[next - 1] === 10 ? (next - 1 > i && b[next - 2] === 13 ? next - 2 : next - 1) : next;
      this.flushRows();
      try {
        this.oneLine(b, i, end, ln);
      } catch (err) {
        this.sink.error(`line ${ln}: ${err instanceof Error ? err.message : String(err)}`, ln);
      }
      ln++;
      i = next;
    }
    this.flushRows();
    // the view over the caller's buffer must not outlive this call: it would keep the reader's read
    // buffer (up to 1 MiB per followed file) alive for as long as the file is followed
    this.dvBuf = undefined;
    this.dv = NO_VIEW;
    this.releaseBlocks();
    return ln - first;
  }

  /**
   * Matches a line starting at `s` against the template and emits its points. Returns the line's end
   * (nl: the index of its '\n'; else `e`), or -1 (nothing emitted) when it does not fit.
   */
  private matchTemplate(t: Template, b: Uint8Array, s: number, e: number, nl: boolean, lineNo: number): number {
    const sep = t.sep;
    const off = t.off;
    const words = t.words;
    const lens = t.len;
    const nv = t.n;
    const ns = this.ns;
    const vals = this.vals;
    if (b !== this.dvBuf) {
      this.dvBuf = b;
      this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    }
    const dv = this.dv;
    const blen = b.length;
    const masks = t.mask;
    let i = s;
    for (let k = 0; k < nv; k++) {
      // the separator: 4 bytes at a time, then its last len % 4 bytes
      const o0 = off[k]!;
      const o1 = o0 + lens[k]!;
      if (i + (o1 - o0) >= e) return -1;
      let j = o0;
      if (i + (o1 - o0) + 3 < blen) {
        // whole words; the last one masked (its extra bytes belong to the value)
        for (; j + 4 <= o1; j += 4, i += 4) if (dv.getInt32(i, true) !== words[j >> 2]) return -1;
        if (j < o1) {
          const mask = masks[k]!;
          if ((dv.getInt32(i, true) & mask) !== (words[j >> 2]! & mask)) return -1;
          i += o1 - j;
        }
      } else for (; j < o1; j++) if (b[i++] !== sep[j]) return -1;
      // the value: a plain decimal is parsed here (the common case, written out for the JIT), anything
      // else (exponent, NaN/Infinity, long significand, bad syntax) by the full scanner
      const cs = i;
      let ch = b[i]!;
      let neg = false;
      if (ch === 45) {
        neg = true;
        ch = b[++i]!;
      }
      const d0 = i;
      let m = 0;
      while (ch >= 48 && ch <= 57) {
        m = m * 10 + (ch - 48);
        ch = b[++i]!;
      }
      const ie = i;
      let f = 0;
      let dot = false;
      // the significand is m·10^nr + r: m exact (< 10^15), r the last nr ≤ 6 digits (Python's repr
      // writes up to 17 significant digits: more than a double holds exactly, so they are not folded
      // into m but handed to Eisel–Lemire as they are, without scanning them a second time)
      let r = 0;
      let nr = 0;
      if (ch === 46) {
        dot = true;
        ch = b[++i]!;
        const f0 = i;
        // four digits per step (one 32-bit load) while m stays below 10^15
        while (m < 1e11 && i + 4 <= blen) {
          const w = dv.getUint32(i, true);
          if ((w & 0xf0f0f0f0) !== 0x30303030 || ((w + 0x06060606) & 0xf0f0f0f0) !== 0x30303030) break;
          const t = (w - 0x30303030) * 10 + ((w - 0x30303030) >>> 8); // bytes 0 and 2: pairs of digits
          m = m * 10000 + ((t & 0xff) * 100 + ((t >>> 16) & 0xff));
          i += 4;
        }
        ch = b[i]!;
        // the rest (at most 3 digits after a short word, or the tail of a long significand)
        while (ch >= 48 && ch <= 57 && nr < 7) {
          r = r * 10 + (ch - 48);
          nr++;
          ch = b[++i]!;
        }
        f = i - f0;
        if (nr !== 0) {
          const mm = m * POW10[nr]! + r; // exact when below 2^53
          if (mm < TWO53) {
            m = mm;
            nr = 0;
          }
        }
      }
      if (
        ie === d0 ||
        (b[d0] === 48 && ie - d0 > 1) ||
        (dot && f === 0) ||
        ch === 101 ||
        ch === 69 ||
        m >= TWO53 ||
        nr !== 0 ||
        f > 22 ||
        i > e
      ) {
        // 17 significant digits (Python's repr): Eisel–Lemire on m·10^nr + r; an exponent (`9.5e-05`:
        // Python's repr of every float below 1e-4, learning rates) is read here too
        // (a digit still ahead: more than 7 after the words, the full scanner reads the number)
        const bad = ie === d0 || (b[d0] === 48 && ie - d0 > 1) || (dot && f === 0) || i > e || (ch >= 48 && ch <= 57);
        // m·10^nr + r below 2^64 with nr ≤ 6 (else: more than 19 digits, Number() decides)
        const split = nr !== 0 && nr <= 6 && m < TWO53 && m * POW10[nr]! < 1.8e19;
        let exp10 = -f;
        let v = -1;
        if (!bad && (ch === 101 || ch === 69)) {
          let j = i + 1;
          let c = b[j]!;
          const eneg = c === 45;
          if (eneg || c === 43) c = b[++j]!;
          const j0 = j;
          let ev = 0;
          while (c >= 48 && c <= 57) {
            if (ev < 100000) ev = ev * 10 + (c - 48);
            c = b[++j]!;
          }
          if (j > j0 && j <= e) {
            exp10 += eneg ? -ev : ev;
            // Clinger: an exact significand times an exact power of ten, one rounding
            // (the *Out functions leave the double in OUT: no boxed return value per number)
            if (nr === 0 && m < TWO53 && exp10 >= -22 && exp10 <= 22) v = exp10 >= 0 ? m * POW10[exp10]! : m / POW10[-exp10]!;
            else if (split ? splitOut(m, r, nr, exp10) : digitsOut(b, d0, i, exp10)) v = OUT[0]!;
            if (v >= 0) i = j;
          }
        } else if (!bad && (split ? splitOut(m, r, nr, -f) : digitsOut(b, d0, i, -f))) v = OUT[0]!;
        if (v >= 0) vals[k] = neg ? -v : v;
        else {
          if (!ns.scan(b, cs, e)) return -1;
          i = ns.pos;
          vals[k] = ns.num;
        }
      } else {
        const v = f === 0 ? m : m / POW10[f]!;
        vals[k] = neg ? -v : v;
      }
    }
    const tail = t.tail;
    if (tail.length > 0) {
      if (i + tail.length >= e) return -1;
      for (let j = 0; j < tail.length; j++) if (b[i++] !== tail[j]) return -1;
    }
    let c = b[i];
    while (c === 32 || c === 9) c = b[++i];
    if (c !== 125 || i >= e) return -1;
    c = b[++i];
    while (c === 32 || c === 9) c = b[++i];
    if (nl) {
      if (c === 13) c = b[++i];
      if (c !== 10 || i >= e) return -1;
    } else if (i !== e) return -1;
    // emit (as fast() does for the same line: the template's series ids carry its split)
    const epoch = t.epoch >= 0 ? vals[t.epoch]! : NaN;
    const wall = t.time >= 0 ? toWallMs(vals[t.time]!) : NaN;
    let step = t.step >= 0 ? vals[t.step]! : NaN;
    const rec = this.records++;
    if (step !== step) {
      if (epoch === epoch) step = epoch;
      else {
        step = rec;
        this.recordSteps++;
      }
    }
    const mk = t.metric;
    const ids = t.ids;
    const sink = this.sink;
    const nm = mk.length;
    if (sink.rows === undefined || nm === 0) {
      for (let q = 0; q < nm; q++) sink.point(ids[q]!, step, vals[mk[q]!]!, wall, epoch, lineNo);
      return i;
    }
    this.pushRow(t, nm, step, epoch, wall, lineNo, vals, mk);
    return i;
  }

  private learn(b: Uint8Array, s: number, e: number): void {
    const nf = this.fieldCount;
    if (!this.allNumeric || nf === 0) {
      this.tpl = undefined;
      return;
    }
    // the value fields (split names stay in the separators)
    const fields: number[] = [];
    for (let k = 0; k < nf; k++) if (this.lit[k] === 0) fields.push(k);
    const n = fields.length;
    if (n === 0) {
      this.tpl = undefined;
      return;
    }
    const t = new Template();
    let len = 0;
    for (let j = 0; j < n; j++) len += this.vs[fields[j]!]! - (j === 0 ? s : this.ve[fields[j - 1]!]!);
    // each separator starts at a multiple of 4 (padding between them) so it can be compared by words
    len += 3 * n;
    const sep = new Uint8Array(len + 4);
    const off = new Int32Array(n + 1);
    const lens = new Int32Array(n);
    let at = 0;
    for (let j = 0; j < n; j++) {
      const k = fields[j]!;
      const from = j === 0 ? s : this.ve[fields[j - 1]!]!;
      off[j] = at;
      lens[j] = this.vs[k]! - from;
      sep.set(b.subarray(from, this.vs[k]!), at);
      at += this.vs[k]! - from;
      if (j < n - 1) at = (at + 3) & ~3;
    }
    off[n] = at;
    const last = fields[n - 1]!;
    if (last < nf - 1) t.tail = b.slice(this.ve[last]!, Math.min(e, this.ve[nf - 1]!));
    const words = new Int32Array(sep.length >> 2);
    const dv = new DataView(sep.buffer);
    for (let w = 0; w < words.length; w++) words[w] = dv.getInt32(w * 4, true);
    t.words = words;
    const masks = new Int32Array(n);
    for (let j = 0; j < n; j++) masks[j] = lens[j]! % 4 === 0 ? -1 : (1 << (8 * (lens[j]! % 4))) - 1;
    t.mask = masks;
    // which values are step / epoch / time (the last one wins, as in fast()) and the metric series
    const split = this.lineSplit;
    const mk: number[] = [];
    const ids: number[] = [];
    for (let j = 0; j < n; j++) {
      const slot = this.slots[fields[j]!]!;
      if (slot.kind === 'step') t.step = j;
      else if (slot.kind === 'epoch') t.epoch = j;
      else if (slot.kind === 'time') t.time = j;
      else if (slot.kind === 'metric') {
        mk.push(j);
        if (!(slot.lastSplit === split && slot.lastId >= 0)) {
          slot.lastSplit = split;
          slot.lastId = this.seriesFor(slot.key, slot.ownSplit, split);
        }
        ids.push(slot.lastId);
      }
    }
    t.metric = Int32Array.from(mk);
    t.ids = Int32Array.from(ids);
    t.len = lens;
    t.sep = sep;
    t.off = off;
    t.n = n;
    // a shape seen before keeps its template (and its pending rows)
    const old = this.tpls.find((o) => o.sameShape(t));
    if (old !== undefined) {
      this.tpl = old;
      this.tpls = [old, ...this.tpls.filter((o) => o !== old)];
      return;
    }
    const kept = [t, ...this.tpls].slice(0, MAX_TEMPLATES);
    for (const o of this.tpls) if (!kept.includes(o)) this.flushTemplate(o);
    for (const a of kept) {
      const mine = new Set(a.ids);
      a.disjoint = kept.every((o) => o === a || !o.ids.some((id) => mine.has(id)));
    }
    this.tpls = kept;
    this.tpl = t;
  }

  line(b: Uint8Array, s: number, e: number, lineNo: number): void {
    this.blockRows = PR_MIN;
    try {
      this.oneLine(b, s, e, lineNo);
    } finally {
      this.releaseBlocks();
      this.dvBuf = undefined; // (see lines())
      this.dv = NO_VIEW;
    }
  }

  private oneLine(b: Uint8Array, s: number, e: number, lineNo: number): void {
    for (const t of this.tpls) {
      if (this.matchTemplate(t, b, s, e, false, lineNo) >= 0) {
        this.tpl = t;
        this.flushRows();
        return;
      }
    }
    this.flushRows();
    let i = s;
    while (i < e && (b[i] === 32 || b[i] === 9)) i++;
    if (i >= e) return; // blank line
    if (b[i] !== 123) {
      this.sink.error(`line ${lineNo}: not a JSON object`, lineNo);
      return;
    }
    if (this.fast(b, i + 1, e, lineNo)) {
      try {
        this.learn(b, s, e);
      } finally {
        this.undefer();
        this.flushRows();
      }
    } else {
      this.tpl = undefined;
      this.slow(b, s, e, lineNo);
    }
  }

  /** Returns false when the line needs the tolerant parser. */
  private fast(b: Uint8Array, i: number, e: number, lineNo: number): boolean {
    let n = 0;
    let step = NaN;
    let epoch = NaN;
    let wall = NaN;
    let split: string | undefined;
    let fi = 0; // field index within the line
    let numeric = true; // every value a number (the line can become the template)
    this.bad = 0;
    const stamp = ++this.stamp;
    for (;;) {
      while (i < e && (b[i] === 32 || b[i] === 9)) i++;
      if (b[i] === 125 && fi === 0) {
        i++;
        break;
      }
      if (b[i] !== 34) return false;
      const ks = ++i;
      // find the closing quote while comparing with the key at this position in the previous line
      let slot = this.slots[fi];
      let same = slot !== undefined;
      if (same) {
        const sb = slot!.bytes;
        const sl = sb.length;
        let k = 0;
        for (;;) {
          const ch = b[i];
          if (ch === 34 || ch === 92 || i >= e) break;
          if (k >= sl || sb[k] !== ch) same = false;
          k++;
          i++;
        }
        if (k !== sl) same = false;
      } else {
        while (i < e && b[i] !== 34 && b[i] !== 92) i++;
      }
      if (i >= e || b[i] === 92) return false;
      const ke = i++;
      while (i < e && (b[i] === 32 || b[i] === 9)) i++;
      if (b[i] !== 58) return false;
      i++;
      while (i < e && (b[i] === 32 || b[i] === 9)) i++;
      // key lookup: same position as in the previous line?
      if (!same) slot = this.findSlot(b, ks, ke, fi);
      const sl = slot!;
      if (sl.kind === 'logit') return false;
      if (sl.seen === stamp) return false; // repeated key: the slow path keeps the last value, as JSON.parse
      sl.seen = stamp;
      if (fi >= MAX_FIELDS) numeric = false;
      else {
        this.vs[fi] = i;
        this.lit[fi] = 0;
      }
      const c = b[i];
      let v: number;
      if (c === 34) {
        const vs = ++i;
        while (i < e && b[i] !== 34 && b[i] !== 92) i++;
        if (i >= e || b[i] === 92) return false;
        const ve = i++;
        if (sl.kind === 'split' && fi < MAX_FIELDS) {
          // a split name: part of the template's bytes
          this.ve[fi] = i;
          this.lit[fi] = 1;
        } else numeric = false;
        if (sl.kind === 'split') split = ascii(b, vs, ve);
        else if (sl.kind === 'time') wall = toWallMs(ascii(b, vs, ve));
        else if (sl.kind === 'metric') {
          const text = ve - vs <= 10 ? ascii(b, vs, ve) : '';
          const nf = text === '' ? undefined : nonFinite(text);
          if (nf !== undefined) {
            if (n < MAX_FIELDS) {
              this.slotIdx[n] = fi;
              this.vals[n++] = nf;
            }
          } else if (ve > vs && !missing(text)) this.unreadable(sl.key);
        }
        fi++;
      } else {
        if (c === 123 || c === 91) return false; // nested: flatten in the slow path
        if (!this.ns.scan(b, i, e)) {
          // literals true/false/null are skipped
          if (matchWord(b, i, e, 'true')) i += 4;
          else if (matchWord(b, i, e, 'false')) i += 5;
          else if (matchWord(b, i, e, 'null')) i += 4;
          else return false;
          if (b[i - 1] === 101 && sl.kind === 'metric') this.unreadable(sl.key); // true/false
          numeric = false;
          fi++;
        } else {
          i = this.ns.pos;
          v = this.ns.num;
          if (fi < MAX_FIELDS) this.ve[fi] = i;
          const kind = sl.kind === 'time' && !sl.timeDecided ? this.decideTime(sl, v) : sl.kind;
          switch (kind) {
            case 'step':
              step = v;
              break;
            case 'epoch':
              epoch = v;
              break;
            case 'time':
              wall = toWallMs(v);
              break;
            case 'metric':
              if (n === MAX_FIELDS) return false;
              if (!sl.numeric) {
                sl.numeric = true;
                this.numericKeys.add(sl.key);
              }
              this.slotIdx[n] = fi;
              this.vals[n++] = v;
              break;
            default:
              break;
          }
          fi++;
        }
      }
      while (i < e && (b[i] === 32 || b[i] === 9)) i++;
      if (b[i] === 44) {
        i++;
        continue;
      }
      if (b[i] === 125) {
        i++;
        break;
      }
      return false;
    }
    while (i < e && (b[i] === 32 || b[i] === 9)) i++;
    if (i < e) return false; // trailing garbage: let the slow path report it
    for (let k = 0; k < this.bad; k++) this.sink.error(`line ${lineNo}: '${this.badKey.slice(0, 60)}' is not a number`, lineNo);
    this.allNumeric = numeric;
    this.fieldCount = fi;
    this.lineSplit = split;
    this.emit(n, step, epoch, wall, split, lineNo);
    return true;
  }

  /** Emits the metric values vals[0, n) of fields slotIdx[0, n) of one record. */
  private emit(n: number, step: number, epoch: number, wall: number, split: string | undefined, lineNo: number): void {
    const rec = this.records++;
    if (step !== step) {
      if (epoch === epoch) step = epoch;
      else {
        step = rec;
        this.recordSteps++;
      }
    }
    const defer = this.sink.rows !== undefined && this.allNumeric && n > 0;
    if (defer) {
      // a line that can become the template: its points wait for learn() (undefer) to start the rows
      if (this.dVals.length < n) {
        this.dVals = new Float64Array(n);
        this.dIds = new Int32Array(n);
      }
      this.dN = n;
      this.dStep = step;
      this.dEpoch = epoch;
      this.dWall = wall;
      this.dLine = lineNo;
    }
    for (let k = 0; k < n; k++) {
      const slot = this.slots[this.slotIdx[k]!]!;
      let id: number;
      if (slot.lastSplit === split && slot.lastId >= 0) id = slot.lastId;
      else {
        id = this.seriesFor(slot.key, slot.ownSplit, split);
        slot.lastSplit = split;
        slot.lastId = id;
      }
      if (defer) {
        this.dIds[k] = id;
        this.dVals[k] = this.vals[k]!;
      } else this.sink.point(id, step, this.vals[k]!, wall, epoch, lineNo);
    }
  }

  /** The deferred line of emit(): the first row of the new template's rows, or points when it has none. */
  private undefer(): void {
    const n = this.dN;
    if (n === 0) return;
    this.dN = 0;
    const t = this.tpl;
    const ids = t?.ids;
    let same = ids !== undefined && ids.length === n;
    for (let q = 0; same && q < n; q++) same = ids![q] === this.dIds[q];
    if (!same) {
      for (let q = 0; q < n; q++) this.sink.point(this.dIds[q]!, this.dStep, this.dVals[q]!, this.dWall, this.dEpoch, this.dLine);
      return;
    }
    this.pushRow(t!, n, this.dStep, this.dEpoch, this.dWall, this.dLine, this.dVals, null);
  }

  /** One row into the pending block: value q is vals[map ? map[q] : q]. */
  private pushRow(
    t: Template,
    nm: number,
    step: number,
    epoch: number,
    wall: number,
    lineNo: number,
    vals: Float64Array,
    map: Int32Array | null,
  ): void {
    // Templates sharing series: at most one of them holds rows (the others' go out first), so each
    // series gets its points in line order. Templates sharing none keep their blocks side by side.
    if (!t.disjoint) for (const o of this.tpls) if (o !== t && o.pr > 0 && !o.disjoint) this.flushTemplate(o);
    let r = t.pr;
    if (r === 0) {
      // a block sized to the call: a whole file's read fills 1024-row blocks, a live append a small one
      const cap = this.blockRows;
      if (t.cap !== cap) {
        t.cap = cap;
        t.pStep = new Float64Array(cap);
        t.pEpoch = new Float64Array(cap);
        t.pWall = new Float64Array(cap);
        t.pLine = new Float64Array(cap);
        t.pv = NO_ROWS;
      }
      if (t.pv.length < nm * cap) t.pv = new Float64Array(nm * cap);
      if (t.pOffs.length !== nm || (nm > 1 && t.pOffs[1] !== cap)) t.pOffs = Int32Array.from({ length: nm }, (_, q) => q * cap);
      t.pEpochAny = t.pWallAny = false;
    }
    const cap = t.cap;
    t.pStep[r] = step;
    t.pEpoch[r] = epoch;
    t.pWall[r] = wall;
    t.pLine[r] = lineNo;
    if (epoch === epoch) t.pEpochAny = true;
    if (wall === wall) t.pWallAny = true;
    const pv = t.pv;
    if (map === null) for (let q = 0; q < nm; q++) pv[q * cap + r] = vals[q]!;
    else for (let q = 0; q < nm; q++) pv[q * cap + r] = vals[map[q]!]!;
    t.pr = ++r;
    if (r === cap) this.flushTemplate(t);
  }

  private findSlot(b: Uint8Array, ks: number, ke: number, fi: number): Slot {
    for (const s of this.slots) if (s !== undefined && sameBytes(s.bytes, b, ks, ke)) return (this.slots[fi] = s);
    const key = ascii(b, ks, ke);
    const slot: Slot = {
      bytes: b.slice(ks, ke),
      key,
      kind: fieldKind(key),
      ownSplit: explicitSplit(key) !== undefined,
      lastSplit: undefined,
      lastId: -1,
      numeric: false,
      timeDecided: false,
      seen: 0,
    };
    if (slot.kind === 'time') {
      const wall = this.timeWall.get(key);
      if (wall !== undefined) {
        slot.timeDecided = true;
        if (!wall) slot.kind = 'metric';
      }
    }
    this.slots[fi] = slot;
    return slot;
  }

  private seriesFor(key: string, ownSplit: boolean, split: string | undefined): number {
    // one sink id per key and split (lines of alternating splits ask again and again)
    const ck = split === undefined || split === '' ? key : `${split}\u0000${key}`;
    let id = this.idCache.get(ck);
    if (id !== undefined) return id;
    if (split === undefined || split === '') id = this.sink.series(key);
    else {
      const s: Split = splitOf(split) ?? 'none';
      id = ownSplit ? this.sink.series(key, s) : this.sink.series(`${split}/${key}`, s);
    }
    this.idCache.set(ck, id);
    return id;
  }

  /** Tolerant path: nested objects, escapes, arrays, logit records; reports malformed lines. */
  private slow(b: Uint8Array, s: number, e: number, lineNo: number): void {
    let o: JsonValue;
    try {
      o = parseJson(utf8(b, s, e));
    } catch (err) {
      const m = err instanceof JsonError ? err.message : String(err);
      this.sink.error(`line ${lineNo}: invalid JSON: ${m}`, lineNo);
      return;
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) {
      this.sink.error(`line ${lineNo}: not a JSON object`, lineNo);
      return;
    }
    if (isLogitObject(o)) {
      // A logit record feeds only the record: its `loss` is the loss of the logged rows (loggedLoss),
      // not a point of the scalar series (the scalar line of the same step carries that). It is not
      // counted as a scalar record either: without a `step` it belongs to the last scalar line.
      this.sink.logit(buildLogitRecord(o, this.file, lineNo, Math.max(0, this.records - 1)));
      return;
    }
    const rec = this.records++;
    let step = NaN;
    let epoch = NaN;
    let wall = NaN;
    let split: string | undefined;
    const metrics: [string, number][] = [];
    const bad: string[] = [];
    const walk = (obj: { [k: string]: JsonValue }, prefix: string): void => {
      for (const k of Object.keys(obj)) {
        const v = obj[k]!;
        const key = prefix + k;
        let kind = prefix === '' ? fieldKind(k) : 'metric';
        if (kind === 'logit') continue;
        if (typeof v === 'number') {
          if (kind === 'time') {
            let w = this.timeWall.get(key);
            if (w === undefined) this.timeWall.set(key, (w = isWallClock(v)));
            if (!w) kind = 'metric';
          }
          if (kind === 'step') step = v;
          else if (kind === 'epoch') epoch = v;
          else if (kind === 'time') wall = toWallMs(v);
          else if (kind === 'metric') {
            metrics.push([key, v]);
            this.numericKeys.add(key);
          }
        } else if (typeof v === 'string') {
          if (kind === 'split') split = v;
          else if (kind === 'time') wall = toWallMs(v);
          else if (kind === 'metric') {
            const nf = v.length <= 10 ? nonFinite(v) : undefined;
            if (nf !== undefined) metrics.push([key, nf]);
            else if (v !== '' && !(v.length <= 4 && missing(v)) && this.numericKeys.has(key)) bad.push(key);
          }
        } else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
          walk(v, key + '/');
        } else if (v !== null && kind === 'metric' && this.numericKeys.has(key)) bad.push(key); // boolean, array
      }
    };
    walk(o, '');
    for (const key of bad) this.sink.error(`line ${lineNo}: '${key.slice(0, 60)}' is not a number`, lineNo);
    if (step !== step) {
      if (epoch === epoch) step = epoch;
      else {
        step = rec;
        this.recordSteps++;
      }
    }
    for (const [key, v] of metrics) {
      const id = this.seriesFor(key, explicitSplit(key) !== undefined, split);
      this.sink.point(id, step, v, wall, epoch, lineNo);
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array, s: number, e: number): boolean {
  const n = e - s;
  if (a.length !== n) return false;
  for (let k = 0; k < n; k++) if (a[k] !== b[s + k]) return false;
  return true;
}
