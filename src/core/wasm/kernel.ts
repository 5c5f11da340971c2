// Loads the WebAssembly SIMD kernel (embedded as base64, see build.mjs) and runs it over row blocks.
// getKernel() returns null when WebAssembly SIMD is unavailable or LOSSWATCH_NO_WASM=1: callers then
// use the JavaScript reference path, which gives the same results within tolerance.
import { CE_WASM_BASE64 } from './ceWasm';

/** Sums over the rows of one call (see ce.as). */
export interface KernelSums {
  /** Σ w_y·(−log p_y) over the rows (loss mode: NaN if a non-ignored row is non-finite; fused: excludes non-finite rows). */
  readonly loss: number;
  /** Σ w_y²·‖p − onehot(y)‖² over finite rows (fused only). */
  readonly sq: number;
  /** max |w_y|·(1 − p_y) over finite rows (fused only). */
  readonly maxAbs: number;
  /** Fused only: rows that are non-finite (NaN, +inf, all −inf); their sqOut entry is NaN. */
  readonly bad: number;
  /** Σ w_y over the non-ignored rows (the 'mean' denominator). */
  readonly weight: number;
}

export interface Kernel {
  /**
   * A zero-filled float32 array that lives in the kernel's own memory: logits placed there (by the npy
   * reader, or by a caller that fills it) are read by the kernel in place, without the copy into wasm
   * memory that other arrays need. `release()` returns the memory for reuse; the array must not be
   * used afterwards.
   */
  residentFloat32(length: number): ResidentFloat32;
  /**
   * Softmax cross-entropy over float32 logits [n, c] with class-index targets. Targets equal to
   * `ignore` (or negative) are ignored; the others must be integers in [0, c) (the caller validates).
   * `w`: class weights (length c) or null. `lossOut` (length n, optional): per-row w_y·loss, 0 for
   * ignored rows. `sqOut` (length n, fused): per-row w_y²‖p − onehot(y)‖², NaN for non-finite rows,
   * which the caller recomputes with the reference path.
   */
  crossEntropy(
    fused: boolean,
    z: Float32Array,
    n: number,
    c: number,
    y: ArrayLike<number>,
    ignore: number,
    w: Float64Array | null,
    lossOut: Float64Array | null,
    sqOut: Float64Array | null,
  ): KernelSums;
}

export interface ResidentFloat32 {
  readonly data: Float32Array;
  release(): void;
}

interface Exports {
  initConstants(): void;
  heapBase(): number;
  ceLossBlock(z: number, n: number, c: number, y: number, w: number, lossOut: number, res: number): void;
  ceFusedBlock(z: number, n: number, c: number, y: number, w: number, lossOut: number, sqOut: number, res: number): void;
}

// Logits bytes copied per kernel call: the block stays in L2 (1 MiB on the bench machine) while the
// kernel reads each row twice (max, then exp from L1). The copy (TypedArray.set → memmove) streams
// faster in long runs: 512 KiB blocks copied 16 MB at ≈ 20–30 GB/s against 9–20 GB/s for 64 KiB ones;
// copy + kernel at 4096 × 1000 ≈ 3 % faster than 64 KiB, neutral for 256 × 50 257 and 65 536 × 10.
const BLOCK_BYTES = 512 * 1024;

/** Rows of C float32 classes the kernel takes per call (callers splitting a batch align to it to get the same row grouping). */
export function kernelBlockRows(c: number): number {
  return Math.max(1, Math.floor(BLOCK_BYTES / (Math.max(1, c) * 4)));
}

let cached: Kernel | null | undefined;

export function getKernel(): Kernel | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (typeof process !== 'undefined' && process.env?.LOSSWATCH_NO_WASM === '1') return null;
  try {
    cached = instantiate();
  } catch {
    cached = null;
  }
  return cached;
}

/** For tests: forget the cached instance (e.g. after toggling LOSSWATCH_NO_WASM). */
export function resetKernel(): void {
  cached = undefined;
}

function decodeBase64(b64: string): Uint8Array {
  if (typeof Buffer !== 'undefined') {
    const b = Buffer.from(b64, 'base64');
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// Minimal typing of the WebAssembly JS API (the project's lib setting does not include it).
interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { readonly exports: unknown };
}

const align = (x: number, a: number): number => Math.ceil(x / a) * a;

function instantiate(): Kernel {
  const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!WA) throw new Error('WebAssembly unavailable');
  // Shared: growth never detaches existing views (kernel-resident arrays stay valid).
  const memory = new WA.Memory({ initial: 16, maximum: 65536, shared: true });
  const module = new WA.Module(decodeBase64(CE_WASM_BASE64));
  const instance = new WA.Instance(module, {
    env: {
      memory,
      abort: () => {
        throw new Error('wasm kernel abort');
      },
    },
  });
  const ex = instance.exports as unknown as Exports;
  ex.initConstants();
  const heap = new Heap(memory, align(ex.heapBase(), 64)); // below: the module's static data
  let scratch = { off: 0, bytes: 0 };
  /** The scratch region (a copied z block, y, w, per-row outputs), grown on demand. */
  function scratchOf(bytes: number): number {
    if (bytes > scratch.bytes) {
      if (scratch.bytes > 0) heap.free(scratch.off, scratch.bytes);
      const b = align(Math.max(bytes, 2 * scratch.bytes), 65536);
      scratch = { off: heap.alloc(b), bytes: b };
    }
    return scratch.off;
  }
  /** byte offset in kernel memory of each live resident array (the array object is the key). */
  const resident = new WeakMap<Float32Array, number>();

  function residentFloat32(length: number): ResidentFloat32 {
    if (!(Number.isInteger(length) && length >= 0)) throw new RangeError('kernel: bad resident array length');
    // +16 bytes: the kernel reads a row's last partial vector past its end
    const bytes = align(length * 4 + 16, 64);
    const off = heap.alloc(bytes);
    const data = new Float32Array(memory.buffer, off, length);
    data.fill(0);
    resident.set(data, off);
    let live = true;
    return {
      data,
      release() {
        if (!live) return;
        live = false;
        resident.delete(data);
        heap.free(off, bytes);
      },
    };
  }

  function crossEntropy(
    fused: boolean,
    z: Float32Array,
    n: number,
    c: number,
    y: ArrayLike<number>,
    ignore: number,
    w: Float64Array | null,
    lossOut: Float64Array | null,
    sqOut: Float64Array | null,
  ): KernelSums {
    if (z.length !== n * c || y.length < n) throw new RangeError('kernel: logits length does not match n × c');
    if (c < 1) throw new RangeError('kernel: needs at least one class');
    if (fused && (!sqOut || sqOut.length < n)) throw new RangeError('kernel: fused mode needs sqOut of length n');
    const sums = { loss: 0, sq: 0, maxAbs: 0, bad: 0, weight: 0 };
    if (n === 0) return sums;
    const rowBytes = c * 4;
    const rows = Math.max(1, Math.min(n, Math.floor(BLOCK_BYTES / rowBytes)));
    // A resident array is read in place; any other is copied block by block into the scratch region.
    const zRes = resident.get(z);
    // layout: z block (+16 bytes: a row's last partial vector reads past its end; none when resident) | y | w | loss | sq | res
    const zBytes = zRes === undefined ? rows * rowBytes + 16 : 0;
    const scratchBytes = align(zBytes, 16) + align(rows * 4, 16) + align(w ? c * 8 : 0, 16) + 2 * align(rows * 8, 16) + 64;
    const zOff = scratchOf(scratchBytes);
    const yOff = align(zOff + zBytes, 16);
    const wOff = align(yOff + rows * 4, 16);
    const lossOff = align(wOff + (w ? c * 8 : 0), 16);
    const sqOff = align(lossOff + rows * 8, 16);
    const resOff = align(sqOff + rows * 8, 16);
    const buf = memory.buffer;
    const zMem = zRes === undefined ? new Float32Array(buf, zOff, rows * c) : null;
    const yMem = new Int32Array(buf, yOff, rows);
    const lossMem = new Float64Array(buf, lossOff, rows);
    const sqMem = new Float64Array(buf, sqOff, rows);
    const res = new Float64Array(buf, resOff, 5);
    if (w) new Float64Array(buf, wOff, c).set(w);
    // Int32 targets with a negative ignore_index need no conversion: the kernel ignores any y < 0.
    const direct = y instanceof Int32Array && ignore < 0;
    let mx = 0;
    let loss = 0;
    let comp = 0;
    for (let r0 = 0; r0 < n; r0 += rows) {
      const r1 = Math.min(n, r0 + rows);
      const k = r1 - r0;
      if (zMem) zMem.set(z.subarray(r0 * c, r1 * c));
      const zPtr = zMem ? zOff : zRes! + r0 * rowBytes;
      if (direct) yMem.set((y as Int32Array).subarray(r0, r1));
      else
        for (let i = 0; i < k; i++) {
          const v = y[r0 + i];
          yMem[i] = v === ignore ? -1 : v;
        }
      if (fused) ex.ceFusedBlock(zPtr, k, c, yOff, w ? wOff : 0, lossOut ? lossOff : 0, sqOff, resOff);
      else ex.ceLossBlock(zPtr, k, c, yOff, w ? wOff : 0, lossOut ? lossOff : 0, resOff);
      // Neumaier over the blocks' (compensated) sums
      const v = res[0];
      const t = loss + v;
      comp += Math.abs(loss) >= Math.abs(v) ? loss - t + v : v - t + loss;
      loss = t;
      sums.sq += res[1];
      const m = res[2];
      if (m > mx || m !== m) mx = mx !== mx ? mx : m;
      sums.bad += res[3];
      sums.weight += res[4];
      if (lossOut) lossOut.set(k === rows ? lossMem : lossMem.subarray(0, k), r0);
      if (fused) sqOut!.set(k === rows ? sqMem : sqMem.subarray(0, k), r0);
    }
    const total = loss + comp;
    sums.loss = total === total ? total : loss;
    sums.maxAbs = mx;
    return sums;
  }

  return { crossEntropy, residentFloat32 };
}

/**
 * First-fit allocator over the kernel's memory above the module's static data: free ranges are kept
 * sorted and merged; the memory grows (in 64 KiB pages) when no free range fits. Shared memory, so
 * growing never invalidates views handed out before.
 */
class Heap {
  private readonly freeList: { off: number; bytes: number }[] = [];
  private top: number;
  constructor(
    private readonly memory: WasmMemory,
    base: number,
  ) {
    this.top = base;
  }
  alloc(bytes: number): number {
    const b = align(Math.max(bytes, 64), 64);
    for (let i = 0; i < this.freeList.length; i++) {
      const f = this.freeList[i]!;
      if (f.bytes >= b) {
        const off = f.off;
        if (f.bytes === b) this.freeList.splice(i, 1);
        else this.freeList[i] = { off: f.off + b, bytes: f.bytes - b };
        return off;
      }
    }
    const off = this.top;
    const end = off + b;
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / 65536)); // throws RangeError past 4 GiB
    this.top = end;
    return off;
  }
  free(off: number, bytes: number): void {
    const b = align(Math.max(bytes, 64), 64);
    let i = 0;
    while (i < this.freeList.length && this.freeList[i]!.off < off) i++;
    this.freeList.splice(i, 0, { off, bytes: b });
    // merge with the next range, then with the previous one
    const fl = this.freeList;
    if (i + 1 < fl.length && fl[i]!.off + fl[i]!.bytes === fl[i + 1]!.off)
      fl.splice(i, 2, { off: fl[i]!.off, bytes: fl[i]!.bytes + fl[i + 1]!.bytes });
    if (i > 0 && fl[i - 1]!.off + fl[i - 1]!.bytes === fl[i]!.off)
      fl.splice(i - 1, 2, { off: fl[i - 1]!.off, bytes: fl[i - 1]!.bytes + fl[i]!.bytes });
    // a free range ending at the top returns to the top
    const last = this.freeList[this.freeList.length - 1];
    if (last && last.off + last.bytes === this.top) {
      this.top = last.off;
      this.freeList.pop();
    }
  }
}
