// NumPy .npy reader: format versions 1–3, C order, numeric and bool dtypes in either byte order.
// Result arrays follow src/core/model.ts NDArray: int64/uint64 → Float64Array, f2 → Float32Array,
// b1 → Uint8Array. readNpy reads the data bytes straight into the result's buffer when the byte
// order is native (little endian) and no widening is needed, so a large dump is not copied twice.
import * as fs from 'node:fs';
import type { NDArray } from './model';
import { getKernel, type ResidentFloat32 } from './wasm/kernel';

export class NpyError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'NpyError';
  }
}

interface Header {
  readonly code: string; // 'f4', 'i8', 'b1', …
  readonly bigEndian: boolean;
  readonly itemSize: number;
  readonly shape: number[];
  readonly count: number;
  readonly dataOffset: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** numpy writes headers of a few hundred bytes; a larger one is not a sidecar we read. */
const MAX_HEADER = 1 << 20;
const SUPPORTED = new Set(['f2', 'f4', 'f8', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8', 'b1']);

/** Parses the preamble + header dict. `prefix` must hold at least the whole header. */
function parseHeader(prefix: Uint8Array, name: string, totalSize: number): Header | number {
  if (prefix.length < 10) {
    if (totalSize < 10) throw new NpyError(name, 'not a .npy file (truncated or empty)');
    return 10;
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (prefix[i] !== MAGIC[i]) throw new NpyError(name, 'not a .npy file (bad magic string)');
  }
  const major = prefix[6];
  if (major !== 1 && major !== 2 && major !== 3) {
    throw new NpyError(name, `unsupported .npy format version ${major}.${prefix[7]}`);
  }
  const lenBytes = major === 1 ? 2 : 4;
  const start = 8 + lenBytes;
  if (prefix.length < start) return start;
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = start + headerLen;
  if (headerLen > MAX_HEADER) throw new NpyError(name, `.npy header of ${headerLen} bytes is implausibly large`);
  if (dataOffset > totalSize) throw new NpyError(name, 'truncated .npy header');
  if (prefix.length < dataOffset) return dataOffset;
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(prefix.subarray(start, dataOffset));

  const descrM = /['"]descr['"]\s*:\s*(['"])([^'"]*)\1/.exec(text);
  if (!descrM) {
    if (/['"]descr['"]\s*:\s*\[/.test(text)) throw new NpyError(name, 'structured dtypes are not supported');
    throw new NpyError(name, 'malformed .npy header (no descr)');
  }
  const descr = descrM[2];
  const fortranM = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  if (!fortranM) throw new NpyError(name, 'malformed .npy header (no fortran_order)');
  if (fortranM[1] === 'True') {
    throw new NpyError(name, 'Fortran-order arrays are not supported (save with np.ascontiguousarray)');
  }
  const shapeM = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!shapeM) throw new NpyError(name, 'malformed .npy header (no shape)');
  const shape: number[] = [];
  for (const part of shapeM[1].split(',')) {
    const p = part.trim().replace(/L$/, '');
    if (p === '') continue;
    if (!/^\d+$/.test(p)) throw new NpyError(name, `malformed shape (${shapeM[1]})`);
    shape.push(Number(p));
  }

  const dm = /^([<>|=])?([a-zA-Z?])(\d*)$/.exec(descr);
  if (!dm) throw new NpyError(name, `unsupported dtype '${descr}'`);
  const order = dm[1] ?? '=';
  let kind = dm[2];
  let size = dm[3] === '' ? 1 : Number(dm[3]);
  if (kind === 'O') throw new NpyError(name, 'object arrays are not supported (pickled data)');
  if (kind === '?') {
    kind = 'b';
    size = 1;
  }
  const code = `${kind}${size}`;
  if (!SUPPORTED.has(code)) throw new NpyError(name, `unsupported dtype '${descr}'`);
  let count = 1;
  for (const d of shape) count *= d;
  if (!Number.isSafeInteger(count * size)) throw new NpyError(name, `shape too large (${shape.join('×')})`);
  return { code, bigEndian: order === '>', itemSize: size, shape, count, dataOffset };
}

type Out = NDArray['data'];

function allocate(code: string, count: number): Out {
  switch (code) {
    case 'f2':
    case 'f4':
      return new Float32Array(count);
    case 'f8':
    case 'i8':
    case 'u8':
      return new Float64Array(count);
    case 'i1':
      return new Int8Array(count);
    case 'i2':
      return new Int16Array(count);
    case 'i4':
      return new Int32Array(count);
    case 'u1':
    case 'b1':
      return new Uint8Array(count);
    case 'u2':
      return new Uint16Array(count);
    case 'u4':
      return new Uint32Array(count);
  }
  throw new Error(`unreachable dtype ${code}`);
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** True when the raw bytes can be used as the result's storage as they are. */
function isDirect(h: Header): boolean {
  return !h.bigEndian && h.code !== 'f2' && h.code !== 'i8' && h.code !== 'u8';
}

/** Converts raw data bytes (any alignment, any byte order) into the result array. */
function convert(h: Header, bytes: Uint8Array, name: string, n = h.count): Out {
  const need = n * h.itemSize;
  if (bytes.length < need) {
    throw new NpyError(name, `truncated: expected ${need} data bytes, found ${bytes.length}`);
  }
  const out = allocate(h.code, n);
  const le = !h.bigEndian;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, need);
  switch (h.code) {
    case 'f2':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(2 * i, le));
      break;
    case 'f4':
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, le);
      break;
    case 'f8':
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, le);
      break;
    case 'i8':
      for (let i = 0; i < n; i++) out[i] = Number(dv.getBigInt64(8 * i, le));
      break;
    case 'u8':
      for (let i = 0; i < n; i++) out[i] = Number(dv.getBigUint64(8 * i, le));
      break;
    case 'i2':
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(2 * i, le);
      break;
    case 'u2':
      for (let i = 0; i < n; i++) out[i] = dv.getUint16(2 * i, le);
      break;
    case 'i4':
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, le);
      break;
    case 'u4':
      for (let i = 0; i < n; i++) out[i] = dv.getUint32(4 * i, le);
      break;
    case 'i1':
      for (let i = 0; i < n; i++) out[i] = dv.getInt8(i);
      break;
    case 'u1':
      out.set(bytes.subarray(0, n));
      break;
    case 'b1':
      for (let i = 0; i < n; i++) out[i] = bytes[i] ? 1 : 0;
      break;
  }
  return out;
}

function viewOf(code: string, buf: ArrayBuffer, count: number): Out {
  switch (code) {
    case 'f4':
      return new Float32Array(buf, 0, count);
    case 'f8':
      return new Float64Array(buf, 0, count);
    case 'i1':
      return new Int8Array(buf, 0, count);
    case 'i2':
      return new Int16Array(buf, 0, count);
    case 'i4':
      return new Int32Array(buf, 0, count);
    case 'u1':
      return new Uint8Array(buf, 0, count);
    case 'u2':
      return new Uint16Array(buf, 0, count);
    case 'u4':
      return new Uint32Array(buf, 0, count);
    case 'b1': {
      const u = new Uint8Array(buf, 0, count);
      for (let i = 0; i < count; i++) if (u[i] > 1) u[i] = 1;
      return u;
    }
  }
  throw new Error(`unreachable dtype ${code}`);
}

/** Parses an in-memory .npy file. The result never aliases `buf` (safe to reuse the buffer). */
export function parseNpy(buf: Uint8Array, nameForErrors = '<npy>'): NDArray {
  const h = parseHeader(buf, nameForErrors, buf.length);
  if (typeof h === 'number') throw new NpyError(nameForErrors, 'truncated .npy header');
  const data = convert(h, buf.subarray(h.dataOffset), nameForErrors);
  return { dtype: h.code, shape: h.shape, data };
}

/**
 * Reads a whole .npy file synchronously — for the `losswatch ce` CLI and tests, on a path the user
 * named. The extension and the checks never call it: they stream sidecars with NpyStream (async,
 * regular files only, bounded). Errors are NpyError with a message starting with the path.
 */
export function readNpy(path: string): NDArray {
  let fd: number;
  try {
    if (!fs.statSync(path).isFile()) throw Object.assign(new Error('not a regular file'), { code: 'not a regular file' });
    fd = fs.openSync(path, 'r');
  } catch (e) {
    throw new NpyError(path, `cannot open (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    let prefix = new Uint8Array(0);
    let h: Header | number = 10;
    for (;;) {
      const want = Math.min(size, Math.max(h as number, 4096));
      if (want > prefix.length) {
        const p = new Uint8Array(want);
        const got = fs.readSync(fd, p, 0, want, 0);
        prefix = p.subarray(0, got);
      }
      h = parseHeader(prefix, path, size);
      if (typeof h !== 'number') break;
      if (h > size) throw new NpyError(path, 'truncated .npy header');
    }
    const need = h.count * h.itemSize;
    const avail = size - h.dataOffset;
    if (avail < need) throw new NpyError(path, `truncated: expected ${need} data bytes, found ${avail}`);
    if (isDirect(h)) {
      // One read straight into the result's (aligned) storage.
      const ab = new ArrayBuffer(need);
      readFully(fd, new Uint8Array(ab), h.dataOffset, path);
      return { dtype: h.code, shape: h.shape, data: viewOf(h.code, ab, h.count) };
    }
    const raw = new Uint8Array(need);
    readFully(fd, raw, h.dataOffset, path);
    return { dtype: h.code, shape: h.shape, data: convert(h, raw, path) };
  } finally {
    fs.closeSync(fd);
  }
}

function readFully(fd: number, into: Uint8Array, position: number, path: string): void {
  let off = 0;
  const CHUNK = 1 << 30;
  while (off < into.length) {
    const got = fs.readSync(fd, into, off, Math.min(CHUNK, into.length - off), position + off);
    if (got <= 0) throw new NpyError(path, `truncated: expected ${into.length} data bytes, found ${off}`);
    off += got;
  }
}

/** Limits of a streamed read. */
export interface NpyStreamOptions {
  /** Largest array data (bytes) accepted; a larger array is refused before anything is read. */
  readonly maxBytes: number;
}

const MIB = 1 << 20;

function fmtMiB(bytes: number): string {
  return bytes >= 10 * MIB ? `${Math.round(bytes / MIB)} MiB` : `${(bytes / MIB).toFixed(2)} MiB`;
}

/**
 * An open .npy file read in row blocks with async reads: the header is parsed on open, then
 * readRows(start, count) converts only those rows (first axis). Only regular files are opened
 * (stat → isFile, then O_RDONLY|O_NONBLOCK and fstat of the descriptor), so a FIFO or device named
 * as a sidecar is refused without blocking the event loop. Arrays whose data exceed
 * `maxBytes` are refused from the header alone (a sparse multi-GB file costs one small read).
 */
export class NpyStream {
  private constructor(
    readonly path: string,
    private readonly fh: fs.promises.FileHandle,
    private readonly h: Header,
    /** Size, modification time and inode of the file when it was opened (the memo key). */
    readonly stat: { readonly size: number; readonly mtimeMs: number; readonly ino: number; readonly dev: number },
  ) {}

  get dtype(): string {
    return this.h.code;
  }
  get shape(): readonly number[] {
    return this.h.shape;
  }
  /** Rows along the first axis (1 for a 0-d array). */
  get rows(): number {
    return this.h.shape.length === 0 ? 1 : this.h.shape[0]!;
  }
  /** Elements per row. */
  get rowSize(): number {
    return this.h.shape.length === 0 ? 1 : this.h.shape.slice(1).reduce((a, b) => a * b, 1);
  }
  get dataBytes(): number {
    return this.h.count * this.h.itemSize;
  }

  static async open(path: string, o: NpyStreamOptions): Promise<NpyStream> {
    const code = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
    try {
      const st = await fs.promises.stat(path);
      if (!st.isFile()) throw new NpyError(path, 'not a regular file');
    } catch (e) {
      if (e instanceof NpyError) throw e;
      throw new NpyError(path, `cannot open (${code(e)})`);
    }
    let fh: fs.promises.FileHandle;
    try {
      fh = await fs.promises.open(path, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    } catch (e) {
      throw new NpyError(path, `cannot open (${code(e)})`);
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new NpyError(path, 'not a regular file');
      const size = st.size;
      let prefix = new Uint8Array(0);
      let h: Header | number = 10;
      for (;;) {
        const want = Math.min(size, Math.max(h as number, 4096));
        if (want > prefix.length) {
          const p = new Uint8Array(want);
          const { bytesRead } = await fh.read(p, 0, want, 0);
          prefix = p.subarray(0, bytesRead);
          if (bytesRead < want && (h as number) > bytesRead) throw new NpyError(path, 'truncated .npy header');
        }
        h = parseHeader(prefix, path, size);
        if (typeof h !== 'number') break;
        if (h > size) throw new NpyError(path, 'truncated .npy header');
      }
      const need = h.count * h.itemSize;
      if (need > o.maxBytes) {
        throw new NpyError(
          path,
          `array of ${fmtMiB(need)} (shape [${h.shape.join(', ')}]) exceeds the sidecar limit of ${fmtMiB(o.maxBytes)} (losswatch.limits.sidecarMiB)`,
        );
      }
      const avail = size - h.dataOffset;
      if (avail < need) throw new NpyError(path, `truncated: expected ${need} data bytes, found ${avail}`);
      return new NpyStream(path, fh, h, { size, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev });
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
  }

  /** Reused kernel-resident block for transient float32 reads (released by close()). */
  private resident: ResidentFloat32 | undefined;

  /**
   * Rows [start, start + count) converted like readNpy (int64 → Float64Array, b1 → 0/1 …).
   * `transient`: the caller is done with the data before its next read from this stream; little-endian
   * float32 rows are then read straight into a reused block of the SIMD kernel's memory, which the
   * kernel reads in place (no copy between the file and the kernel).
   */
  async readRows(start: number, count: number, transient = false): Promise<NDArray['data']> {
    const per = this.rowSize;
    const n = count * per;
    let res: Float32Array | undefined;
    if (transient && this.h.code === 'f4' && isDirect(this.h)) {
      const k = getKernel();
      if (k) {
        if (!this.resident || this.resident.data.length < n) {
          this.resident?.release();
          this.resident = k.residentFloat32(n);
        }
        res = this.resident.data.length === n ? this.resident.data : this.resident.data.subarray(0, n);
      }
    }
    const bytes = res ? new Uint8Array(res.buffer, res.byteOffset, res.byteLength) : new Uint8Array(n * this.h.itemSize);
    const pos = this.h.dataOffset + start * per * this.h.itemSize;
    let off = 0;
    while (off < bytes.length) {
      const { bytesRead } = await this.fh.read(bytes, off, bytes.length - off, pos + off);
      if (bytesRead <= 0)
        throw new NpyError(this.path, `truncated: the file shrank while it was read (${off} of ${bytes.length} bytes at offset ${pos})`);
      off += bytesRead;
    }
    if (res) return res;
    if (isDirect(this.h)) return viewOf(this.h.code, bytes.buffer as ArrayBuffer, n);
    return convert(this.h, bytes, this.path, n);
  }

  /** The whole array (within maxBytes). */
  async readAll(): Promise<NDArray> {
    const data = await this.readRows(0, this.rows);
    return { dtype: this.h.code, shape: [...this.h.shape], data };
  }

  async close(): Promise<void> {
    this.resident?.release();
    this.resident = undefined;
    await this.fh.close().catch(() => undefined);
  }
}
