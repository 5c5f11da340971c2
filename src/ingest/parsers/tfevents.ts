// TensorBoard event files: TFRecord framing (u64 length, masked CRC-32C of the length, data, masked
// CRC-32C of the data). A truncated last record waits for more bytes; a corrupt record is reported and
// skipped. Scalars: `simple_value` (TF1, tensorboardX, PyTorch) and TF2 tensors (`tensor_content`,
// `float_val` / `double_val`, float or double, one element). Non-scalar summaries are skipped without copying.
import type { Split } from '../../core/model';
import type { ByteParser, Sink } from '../sink';
import { utf8 } from '../sink';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32c(b: Uint8Array, s = 0, e = b.length): number {
  let c = 0xffffffff;
  for (let i = s; i < e; i++) c = CRC_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function maskedCrc(b: Uint8Array, s = 0, e = b.length): number {
  const c = crc32c(b, s, e);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/**
 * Largest record accepted (64 MiB). Scalar events are well under 1 KiB and image/histogram/graph events a
 * few MiB; a larger length is far more likely a corrupt or forged header than data, and waiting for it would
 * pin that much memory and stall every later record. Larger records are reported and skipped.
 */
export const MAX_RECORD = 64 << 20;

const ZERO_LEN_CRC = maskedCrc(new Uint8Array(8));

/** The masked CRC-32C at q + 8 matches the length at q (a zero length, common in zero-filled data, is a constant). */
function lenCrcOk(b: Uint8Array, dv: DataView, q: number, lo: number, hi = 0): boolean {
  const c = dv.getUint32(q + 8, true);
  if (lo === 0 && hi === 0) return c === ZERO_LEN_CRC;
  return c === maskedCrc(b, q, q + 8);
}

/** Checks that `head` starts with a valid TFRecord header (used by format detection). */
export function looksLikeTfRecord(head: Uint8Array): boolean {
  if (head.length < 12) return false;
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  return dv.getUint32(8, true) === maskedCrc(head, 0, 8);
}

export class TfEventsParser implements ByteParser {
  private buf = new Uint8Array(0);
  private len = 0; // valid bytes in buf
  private record = 0; // index of the next record
  private resyncing = false;
  private readonly ids = new Map<string, number>();

  constructor(
    private readonly sink: Sink,
    private readonly prefix = '',
    private readonly hint: Split = 'none',
  ) {}

  reset(): void {
    this.buf = new Uint8Array(0);
    this.len = 0;
    this.record = 0;
    this.resyncing = false;
    this.probe = 0;
    this.ids.clear();
  }

  /** Counters for tests: bytes copied while growing/compacting the buffer. */
  readonly stats = { copied: 0 };
  /** While a record is incomplete: how far past its header the look-ahead for a later valid record got. */
  private probe = 0;

  push(chunk: Uint8Array): void {
    const need = this.len + chunk.length;
    if (need > this.buf.length) {
      // geometric growth: appending a large record slice by slice copies O(size) bytes in total
      const nb = new Uint8Array(Math.max(need, this.buf.length * 2, 1 << 16));
      nb.set(this.buf.subarray(0, this.len));
      this.stats.copied += this.len;
      this.buf = nb;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
    this.scan(false);
  }

  /** A valid header at q: high length word 0, length ≤ MAX_RECORD, masked CRC-32C of the length matches. */
  private header(dv: DataView, q: number): number {
    if (dv.getUint32(q + 4, true) !== 0) return -1;
    const lo = dv.getUint32(q, true);
    if (lo > MAX_RECORD) return -1;
    return lenCrcOk(this.buf, dv, q, lo) ? lo : -1;
  }

  /**
   * The record at p claims more bytes than have arrived. True when a complete valid record (header and data
   * CRCs both match) starts inside the claimed span: then the length at p is forged or corrupt (a false
   * match needs two 32-bit CRCs to agree by chance). Scans each byte once while waiting (`probe`).
   */
  private laterRecord(dv: DataView, p: number): boolean {
    let q = p + Math.max(1, this.probe);
    for (; q + 16 <= this.len; q++) {
      const m = this.header(dv, q);
      if (m < 0) continue;
      if (q + 16 + m > this.len) break; // wait for its data (checked again on the next push)
      if (dv.getUint32(q + 12 + m, true) === maskedCrc(this.buf, q + 12, q + 12 + m)) return true;
    }
    this.probe = q - p;
    return false;
  }

  private scan(final: boolean): void {
    const b = this.buf;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let p = 0;
    while (this.len - p >= 12) {
      const hi = dv.getUint32(p + 4, true);
      const lo = dv.getUint32(p, true);
      if (this.resyncing) {
        // scanning for the next valid header: cheap tests first, the CRC only when they pass
        if (hi !== 0) {
          // every header whose high length word covers its last non-zero byte j is invalid: next try j - 3
          let j = p + 7;
          while (b[j] === 0) j--;
          p = j - 3;
          continue;
        }
        if (lo > MAX_RECORD || !lenCrcOk(b, dv, p, lo)) {
          p++;
          continue;
        }
      }
      const lenOk = lenCrcOk(b, dv, p, lo, hi);
      if (!lenOk || hi !== 0 || lo > MAX_RECORD) {
        if (!this.resyncing) {
          const why = lenOk
            ? `length ${hi * 2 ** 32 + lo} bytes exceeds the ${MAX_RECORD >> 20} MiB limit`
            : 'corrupt record header (length CRC mismatch)';
          this.sink.error(`record ${this.record}: ${why}; skipping to the next valid record`, undefined, this.record);
          this.record++;
          this.resyncing = true;
        }
        p++;
        continue;
      }
      const n = lo;
      if (this.len - p < 12 + n + 4) {
        if (!final && !this.laterRecord(dv, p)) break; // truncated: wait for more bytes
        // cut short for good (end of a one-shot read), or a later valid record starts inside it
        this.sink.error(
          final
            ? `record ${this.record}: truncated last record (${this.len - p} of ${n + 16} bytes)`
            : `record ${this.record}: length ${n} overruns a later valid record (corrupt length); skipping to it`,
          undefined,
          this.record,
        );
        this.record++;
        this.resyncing = true;
        this.probe = 0;
        p++;
        continue;
      }
      this.resyncing = false;
      this.probe = 0;
      const ds = p + 12;
      const de = ds + n;
      const dataCrc = dv.getUint32(de, true);
      if (dataCrc !== maskedCrc(b, ds, de)) {
        this.sink.error(`record ${this.record}: data CRC mismatch; record skipped`, undefined, this.record);
        // the length may be what is corrupt: look for the next valid header from the byte after this one
        this.record++;
        this.resyncing = true;
        p++;
        continue;
      }
      try {
        this.event(b, ds, de, this.record);
      } catch (e) {
        this.sink.error(`record ${this.record}: ${e instanceof Error ? e.message : String(e)}`, undefined, this.record);
      }
      this.record++;
      p = de + 4;
    }
    if (final) {
      if (this.len - p > 0 && !this.resyncing)
        this.sink.error(`record ${this.record}: truncated last record (${this.len - p} bytes)`, undefined, this.record);
      this.len = 0;
      return;
    }
    // keep the unconsumed tail at the front
    if (p > 0) {
      b.copyWithin(0, p, this.len);
      this.stats.copied += this.len - p;
      this.len -= p;
    }
    if (this.buf.length > 4 << 20 && this.len < this.buf.length / 4) this.buf = this.buf.slice(0, Math.max(this.len, 1 << 16));
  }

  finish(): void {
    if (this.len > 0) this.scan(true);
  }

  // ---- protobuf decoding (Event → Summary → Value → TensorProto), by offsets ----
  private p = 0;

  private varint(b: Uint8Array, e: number): number {
    let r = 0;
    let mul = 1;
    for (let k = 0; k < 10; k++) {
      if (this.p >= e) throw new Error('truncated varint');
      const c = b[this.p++]!;
      r += (c & 0x7f) * mul;
      if (c < 0x80) return r;
      mul *= 128;
    }
    throw new Error('bad varint');
  }

  private skip(b: Uint8Array, wt: number, e: number): void {
    switch (wt) {
      case 0:
        this.varint(b, e);
        break;
      case 1:
        this.p += 8;
        break;
      case 2: {
        const n = this.varint(b, e);
        this.p += n;
        break;
      }
      case 5:
        this.p += 4;
        break;
      default:
        throw new Error(`bad protobuf wire type ${wt}`);
    }
    if (this.p > e) throw new Error('truncated protobuf field');
  }

  private event(b: Uint8Array, s: number, e: number, record: number): void {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let wall = NaN;
    let step = 0;
    let sumS = -1;
    let sumE = -1;
    this.p = s;
    while (this.p < e) {
      const tag = this.varint(b, e);
      const f = Math.floor(tag / 8);
      const wt = tag & 7;
      if (f === 1 && wt === 1) {
        if (this.p + 8 > e) throw new Error('truncated wall_time');
        wall = dv.getFloat64(this.p, true) * 1000;
        this.p += 8;
      } else if (f === 2 && wt === 0) {
        step = this.varint(b, e);
        if (step >= 2 ** 63) step -= 2 ** 64;
      } else if (f === 5 && wt === 2) {
        const n = this.varint(b, e);
        sumS = this.p;
        sumE = this.p + n;
        if (sumE > e) throw new Error('truncated summary');
        this.p = sumE;
      } else this.skip(b, wt, e);
    }
    if (sumS < 0) return;
    // Summary: repeated Value value = 1
    this.p = sumS;
    while (this.p < sumE) {
      const tag = this.varint(b, sumE);
      if (tag === ((1 << 3) | 2)) {
        const n = this.varint(b, sumE);
        const vs = this.p;
        const ve = vs + n;
        if (ve > sumE) throw new Error('truncated summary value');
        this.value(b, dv, vs, ve, step, wall, record);
        this.p = ve;
      } else this.skip(b, tag & 7, sumE);
    }
  }

  private value(b: Uint8Array, dv: DataView, s: number, e: number, step: number, wall: number, record: number): void {
    let tagS = -1;
    let tagE = -1;
    let v: number | undefined;
    let tS = -1;
    let tE = -1;
    this.p = s;
    while (this.p < e) {
      const tag = this.varint(b, e);
      const f = Math.floor(tag / 8);
      const wt = tag & 7;
      if (f === 1 && wt === 2) {
        const n = this.varint(b, e);
        tagS = this.p;
        tagE = this.p + n;
        this.p = tagE;
      } else if (f === 2 && wt === 5) {
        if (this.p + 4 > e) throw new Error('truncated simple_value');
        v = dv.getFloat32(this.p, true);
        this.p += 4;
      } else if (f === 8 && wt === 2) {
        const n = this.varint(b, e);
        tS = this.p;
        tE = this.p + n;
        this.p = tE;
      } else this.skip(b, wt, e);
    }
    if (this.p > e) throw new Error('truncated summary value');
    if (v === undefined && tS >= 0) v = this.tensorScalar(b, dv, tS, tE);
    if (v === undefined || tagS < 0) return;
    const name = utf8(b, tagS, tagE);
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.sink.series(this.prefix + name, this.hint);
      this.ids.set(name, id);
    }
    this.sink.point(id, step, v, wall, NaN, record);
  }

  /** The value of a one-element float/double tensor; undefined for anything else (images, histograms, text). */
  private tensorScalar(b: Uint8Array, dv: DataView, s: number, e: number): number | undefined {
    let dtype = 0;
    let elems = 1;
    let content: [number, number] | undefined;
    const vals: number[] = [];
    this.p = s;
    while (this.p < e) {
      const tag = this.varint(b, e);
      const f = Math.floor(tag / 8);
      const wt = tag & 7;
      if (f === 1 && wt === 0) dtype = this.varint(b, e);
      else if (f === 2 && wt === 2) {
        // TensorShapeProto: repeated Dim dim = 2 { int64 size = 1 }
        const n = this.varint(b, e);
        const se = this.p + n;
        while (this.p < se) {
          const t2 = this.varint(b, se);
          if (t2 === ((2 << 3) | 2)) {
            const dn = this.varint(b, se);
            const de = this.p + dn;
            let size = 0;
            while (this.p < de) {
              const t3 = this.varint(b, de);
              if (t3 === ((1 << 3) | 0)) size = this.varint(b, de);
              else this.skip(b, t3 & 7, de);
            }
            elems *= size;
          } else this.skip(b, t2 & 7, se);
        }
      } else if (f === 4 && wt === 2) {
        const n = this.varint(b, e);
        content = [this.p, this.p + n];
        this.p += n;
      } else if (f === 5 && wt === 2) {
        const n = this.varint(b, e);
        for (let q = this.p; q + 4 <= this.p + n; q += 4) vals.push(dv.getFloat32(q, true));
        this.p += n;
      } else if (f === 5 && wt === 5) {
        vals.push(dv.getFloat32(this.p, true));
        this.p += 4;
      } else if (f === 6 && wt === 2) {
        const n = this.varint(b, e);
        for (let q = this.p; q + 8 <= this.p + n; q += 8) vals.push(dv.getFloat64(q, true));
        this.p += n;
      } else if (f === 6 && wt === 1) {
        vals.push(dv.getFloat64(this.p, true));
        this.p += 8;
      } else this.skip(b, wt, e);
      if (this.p > e) throw new Error('truncated tensor');
    }
    if (elems !== 1) return undefined;
    if (dtype !== 1 && dtype !== 2) return undefined; // DT_FLOAT, DT_DOUBLE only
    if (content) {
      const [cs, ce] = content;
      if (dtype === 1 && ce - cs === 4) return dv.getFloat32(cs, true);
      if (dtype === 2 && ce - cs === 8) return dv.getFloat64(cs, true);
      return undefined;
    }
    return vals.length === 1 ? vals[0] : undefined;
  }
}
