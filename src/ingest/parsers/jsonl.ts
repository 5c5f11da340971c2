// JSONL metrics: one object per line. Fast path: a byte scanner for flat objects of numbers
// (no string decoding, no JSON.parse, keys matched against the previous line's keys by bytes).
// Anything else (nested objects, escapes, arrays, logit records) goes through the tolerant parser.
import type { Split } from '../../core/model';
import { fieldKind, type FieldKind, nonFinite, toWallMs } from '../fields';
import { JsonError, parseJson, type JsonValue } from '../json';
import { explicitSplit, splitOf } from '../roles';
import { ascii, type LineParser, type Sink, utf8 } from '../sink';
import { buildLogitRecord, isLogitObject } from './logits';
import { matchWord, NumberScanner } from '../numscan';

interface Slot {
  bytes: Uint8Array;
  key: string;
  kind: FieldKind;
  ownSplit: boolean; // the key itself names a split (val_loss): a `split` field does not prefix it
  lastSplit: string | undefined; // cache: the series id for the last split value seen
  lastId: number;
}

const MAX_FIELDS = 256;

export class JsonlParser implements LineParser {
  private slots: Slot[] = [];
  private readonly slotIdx = new Int32Array(MAX_FIELDS);
  private readonly vals = new Float64Array(MAX_FIELDS);
  private records = 0;
  private readonly ns = new NumberScanner();

  constructor(
    private readonly sink: Sink,
    private readonly file: string,
  ) {}

  reset(): void {
    this.slots = [];
    this.records = 0;
  }

  snapshot(): unknown {
    return { records: this.records };
  }

  restore(state: unknown): void {
    this.slots = [];
    const r = (state as { records?: unknown } | undefined)?.records;
    this.records = typeof r === 'number' ? r : 0;
  }

  line(b: Uint8Array, s: number, e: number, lineNo: number): void {
    let i = s;
    while (i < e && (b[i] === 32 || b[i] === 9)) i++;
    if (i >= e) return; // blank line
    if (b[i] !== 123) {
      this.sink.error(`line ${lineNo}: not a JSON object`, lineNo);
      return;
    }
    if (!this.fast(b, i + 1, e, lineNo)) this.slow(b, s, e, lineNo);
  }

  /** Returns false when the line needs the tolerant parser. */
  private fast(b: Uint8Array, i: number, e: number, lineNo: number): boolean {
    let n = 0;
    let step = NaN;
    let epoch = NaN;
    let wall = NaN;
    let split: string | undefined;
    let fi = 0; // field index within the line
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
      const c = b[i];
      let v: number;
      if (c === 34) {
        const vs = ++i;
        while (i < e && b[i] !== 34 && b[i] !== 92) i++;
        if (i >= e || b[i] === 92) return false;
        const ve = i++;
        if (sl.kind === 'split') split = ascii(b, vs, ve);
        else if (sl.kind === 'time') wall = toWallMs(ascii(b, vs, ve));
        else if (sl.kind === 'metric' && ve - vs <= 10) {
          const nf = nonFinite(ascii(b, vs, ve));
          if (nf !== undefined && n < MAX_FIELDS) {
            this.slotIdx[n] = fi;
            this.vals[n++] = nf;
          }
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
          fi++;
        } else {
          i = this.ns.pos;
          v = this.ns.num;
          switch (sl.kind) {
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
    const rec = this.records++;
    if (step !== step) step = epoch === epoch ? epoch : rec;
    for (let k = 0; k < n; k++) {
      const slot = this.slots[this.slotIdx[k]!]!;
      let id: number;
      if (slot.lastSplit === split && slot.lastId >= 0) id = slot.lastId;
      else {
        id = this.seriesFor(slot.key, slot.ownSplit, split);
        slot.lastSplit = split;
        slot.lastId = id;
      }
      this.sink.point(id, step, this.vals[k]!, wall, epoch, lineNo);
    }
    return true;
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
    };
    this.slots[fi] = slot;
    return slot;
  }

  private seriesFor(key: string, ownSplit: boolean, split: string | undefined): number {
    if (split === undefined || split === '') return this.sink.series(key);
    const s: Split = splitOf(split) ?? 'none';
    if (ownSplit) return this.sink.series(key, s);
    return this.sink.series(`${split}/${key}`, s);
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
    const rec = this.records++;
    if (isLogitObject(o)) {
      this.sink.logit(buildLogitRecord(o, this.file, lineNo, rec));
    }
    let step = NaN;
    let epoch = NaN;
    let wall = NaN;
    let split: string | undefined;
    const metrics: [string, number][] = [];
    const walk = (obj: { [k: string]: JsonValue }, prefix: string): void => {
      for (const k of Object.keys(obj)) {
        const v = obj[k]!;
        const key = prefix + k;
        const kind = prefix === '' ? fieldKind(k) : 'metric';
        if (kind === 'logit') continue;
        if (typeof v === 'number') {
          if (kind === 'step') step = v;
          else if (kind === 'epoch') epoch = v;
          else if (kind === 'time') wall = toWallMs(v);
          else if (kind === 'metric') metrics.push([key, v]);
        } else if (typeof v === 'string') {
          if (kind === 'split') split = v;
          else if (kind === 'time') wall = toWallMs(v);
          else if (kind === 'metric') {
            const nf = v.length <= 10 ? nonFinite(v) : undefined;
            if (nf !== undefined) metrics.push([key, nf]);
          }
        } else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
          walk(v, key + '/');
        }
      }
    };
    walk(o, '');
    if (step !== step) step = epoch === epoch ? epoch : rec;
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
