// Minimal .npy reader used for logit-record sidecars (logits_file / labels_file) until the core's
// reader (src/core/npy.ts, `readNpy`) is wired in; same signature. Throws Error with a clear message.
import * as fs from 'node:fs';
import type { NDArray } from '../core/model';

export function readNpyFile(path: string): NDArray {
  const buf = fs.readFileSync(path);
  return parseNpy(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}

export function parseNpy(b: Uint8Array, name = 'array'): NDArray {
  if (b.length < 10 || b[0] !== 0x93 || String.fromCharCode(...b.subarray(1, 6)) !== 'NUMPY') throw new Error(`${name}: not a .npy file`);
  const major = b[6]!;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let hlen: number;
  let off: number;
  if (major === 1) {
    hlen = dv.getUint16(8, true);
    off = 10;
  } else if (major === 2 || major === 3) {
    if (b.length < 12) throw new Error(`${name}: truncated .npy header`);
    hlen = dv.getUint32(8, true);
    off = 12;
  } else throw new Error(`${name}: unsupported .npy version ${major}`);
  if (off + hlen > b.length) throw new Error(`${name}: truncated .npy header`);
  const header = new TextDecoder().decode(b.subarray(off, off + hlen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*True/.test(header);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new Error(`${name}: malformed .npy header`);
  if (fortran) throw new Error(`${name}: Fortran-ordered .npy arrays are not supported`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`${name}: bad shape (${shapeText})`);
  const count = shape.reduce((a, d) => a * d, 1);
  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  if (!m) throw new Error(`${name}: unsupported dtype '${descr}'`);
  const little = m[1] !== '>';
  const kind = m[2]!;
  const size = Number(m[3]);
  const dataOff = off + hlen;
  if (dataOff + count * size > b.length) throw new Error(`${name}: truncated data (${b.length - dataOff} of ${count * size} bytes)`);
  const dtype = kind + size;
  const get = (i: number): number => {
    const p = dataOff + i * size;
    switch (dtype) {
      case 'f4': return dv.getFloat32(p, little);
      case 'f8': return dv.getFloat64(p, little);
      case 'i1': return dv.getInt8(p);
      case 'i2': return dv.getInt16(p, little);
      case 'i4': return dv.getInt32(p, little);
      case 'i8': return Number(dv.getBigInt64(p, little));
      case 'u1': case 'b1': return dv.getUint8(p);
      case 'u2': return dv.getUint16(p, little);
      case 'u4': return dv.getUint32(p, little);
      case 'u8': return Number(dv.getBigUint64(p, little));
      default: throw new Error(`${name}: unsupported dtype '${descr}'`);
    }
  };
  let data: NDArray['data'];
  switch (dtype) {
    case 'f4': data = new Float32Array(count); break;
    case 'i1': data = new Int8Array(count); break;
    case 'i2': data = new Int16Array(count); break;
    case 'i4': data = new Int32Array(count); break;
    case 'u1': case 'b1': data = new Uint8Array(count); break;
    case 'u2': data = new Uint16Array(count); break;
    case 'u4': data = new Uint32Array(count); break;
    default: data = new Float64Array(count);
  }
  for (let i = 0; i < count; i++) data[i] = get(i);
  return { dtype, shape, data };
}
