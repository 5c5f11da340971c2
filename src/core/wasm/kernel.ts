// Loads the WebAssembly SIMD kernel (embedded as base64, see build.mjs) and runs it over row blocks.
// getKernel() returns null when WebAssembly SIMD is unavailable or LOSSWATCH_NO_WASM=1: callers then
// use the JavaScript reference path, which gives the same results within tolerance.
import { CE_WASM_BASE64 } from './ceWasm';

export interface Kernel {
  /** Per row: (m − z_y) + log Σ exp(z − m) (= −log p_y), NaN for a non-finite row; y < 0 = ignored → 0. */
  ceLossRows(z: Float32Array, n: number, c: number, y: Int32Array): Float64Array;
  /** Per row 4 values: −log p_y, ‖p − onehot(y)‖₂, 1 − p_y, non-finite flag (see ce.as). */
  ceRows(z: Float32Array, n: number, c: number, y: Int32Array): Float64Array;
}

interface Exports {
  initConstants(): void;
  ceLossRows(z: number, n: number, c: number, y: number, out: number): void;
  ceFusedRows(z: number, n: number, c: number, y: number, out: number): void;
}

const BLOCK_BYTES = 192 * 1024; // logits bytes per block: stays in L2 while the kernel reads it twice

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
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (d: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { readonly exports: unknown };
}

function instantiate(): Kernel {
  const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!WA) throw new Error('WebAssembly unavailable');
  const memory = new WA.Memory({ initial: 16 });
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

  function ensure(bytes: number): void {
    const have = memory.buffer.byteLength;
    if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
  }

  function runBlocks(z: Float32Array, n: number, c: number, y: Int32Array, perRow: number, fused: boolean): Float64Array {
    if (z.length !== n * c) throw new RangeError('kernel: logits length does not match n × c');
    const out = new Float64Array(n * perRow);
    if (n === 0) return out;
    const rowBytes = c * 4;
    const rows = Math.max(1, Math.min(n, Math.floor(BLOCK_BYTES / Math.max(rowBytes, 1))));
    const zOff = 16384; // below: the module's static data (log/exp tables, ~7 KiB)
    const zBytes = (rows * rowBytes + 15) & ~15;
    const yOff = zOff + zBytes;
    const outOff = (yOff + rows * 4 + 15) & ~15;
    ensure(outOff + rows * perRow * 8);
    const buf = memory.buffer;
    const zMem = new Float32Array(buf, zOff, rows * c);
    const yMem = new Int32Array(buf, yOff, rows);
    const outMem = new Float64Array(buf, outOff, rows * perRow);
    for (let r0 = 0; r0 < n; r0 += rows) {
      const r1 = Math.min(n, r0 + rows);
      const k = r1 - r0;
      zMem.set(z.subarray(r0 * c, r1 * c));
      yMem.set(y.subarray(r0, r1));
      if (fused) ex.ceFusedRows(zOff, k, c, yOff, outOff);
      else ex.ceLossRows(zOff, k, c, yOff, outOff);
      out.set(k === rows ? outMem : outMem.subarray(0, k * perRow), r0 * perRow);
    }
    return out;
  }

  return {
    ceLossRows: (z, n, c, y) => runBlocks(z, n, c, y, 1, false),
    ceRows: (z, n, c, y) => runBlocks(z, n, c, y, 4, true),
  };
}
