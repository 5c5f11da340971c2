// Test helpers: a recording sink, a line feeder, and a TFRecord/Event encoder.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LogitRecord, Split } from '../../../src/core/model';
import type { Sink } from '../../../src/ingest/sink';
import { maskedCrc } from '../../../src/ingest/parsers/tfevents';

export interface Pt {
  key: string;
  hint: Split;
  step: number;
  value: number;
  wall: number;
  epoch: number;
  line: number;
}

export class RecSink implements Sink {
  keys: { key: string; hint: Split }[] = [];
  points: Pt[] = [];
  errors: { message: string; line?: number; record?: number }[] = [];
  logits: LogitRecord[] = [];
  metas: Record<string, number | string> = {};
  series(key: string, hint: Split = 'none'): number {
    this.keys.push({ key, hint });
    return this.keys.length - 1;
  }
  point(id: number, step: number, value: number, wall: number, epoch: number, line: number): void {
    this.points.push({ ...this.keys[id]!, step, value, wall, epoch, line });
  }
  logit(rec: LogitRecord): void {
    this.logits.push(rec);
  }
  error(message: string, line?: number, record?: number): void {
    this.errors.push({ message, line, record });
  }
  meta(key: string, value: number | string): void {
    this.metas[key] = value;
  }
  byKey(key: string): Pt[] {
    return this.points.filter((p) => p.key === key);
  }
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'lw-ingest-test-'));
}

export const FIXTURES = path.resolve(__dirname, '../../fixtures/logs');
/** Real logs from public repositories (provenance: test/fixtures/real/PROVENANCE.md). */
export const CORPUS = path.resolve(__dirname, '../../fixtures/real');
/** Real logs that are not committed (TensorBoard event files): `../shared/corpus` beside the clone, when present. */
export const SHARED_CORPUS = path.resolve(__dirname, '../../../../shared/corpus');

// ---- protobuf / TFRecord encoding ----
function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 128) {
    out.push((v % 128) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}
function field(no: number, wt: number, payload: number[]): number[] {
  return [...varint(no * 8 + wt), ...payload];
}
function lenField(no: number, bytes: number[]): number[] {
  return field(no, 2, [...varint(bytes.length), ...bytes]);
}
function f32(v: number): number[] {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, v, true);
  return [...b];
}
function f64(v: number): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v, true);
  return [...b];
}

export type TfValue =
  | { tag: string; simple: number }
  | { tag: string; floatVal: number }
  | { tag: string; doubleContent: number }
  | { tag: string; histogram: number[] } // non-scalar double tensor [k, 3]
  | { tag: string; image: string }; // string tensor

function valueBytes(v: TfValue): number[] {
  const tag = lenField(1, [...enc(v.tag)]);
  if ('simple' in v) return [...tag, ...field(2, 5, f32(v.simple))];
  let tensor: number[];
  if ('floatVal' in v) tensor = [...field(1, 0, varint(1)), ...lenField(2, []), ...lenField(5, f32(v.floatVal))];
  else if ('doubleContent' in v) tensor = [...field(1, 0, varint(2)), ...lenField(2, []), ...lenField(4, f64(v.doubleContent))];
  else if ('histogram' in v) {
    const dims = [...lenField(2, field(1, 0, varint(v.histogram.length / 3))), ...lenField(2, field(1, 0, varint(3)))];
    tensor = [...field(1, 0, varint(2)), ...lenField(2, dims), ...lenField(4, v.histogram.flatMap(f64))];
  } else tensor = [...field(1, 0, varint(7)), ...lenField(2, lenField(2, field(1, 0, varint(3)))), ...lenField(8, [...enc(v.image)])];
  return [...tag, ...lenField(8, tensor)];
}

export function eventBytes(step: number, wallSec: number, values: TfValue[]): Uint8Array {
  const summary = values.flatMap((v) => lenField(1, valueBytes(v)));
  return new Uint8Array([...field(1, 1, f64(wallSec)), ...field(2, 0, varint(step)), ...lenField(5, summary)]);
}

export function fileVersionEvent(): Uint8Array {
  return new Uint8Array([...field(1, 1, f64(1700000000)), ...lenField(3, [...enc('brain.Event:2')])]);
}

export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length + 4);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length, true);
  dv.setUint32(4, 0, true);
  dv.setUint32(8, maskedCrc(out, 0, 8), true);
  out.set(data, 12);
  dv.setUint32(12 + data.length, maskedCrc(data), true);
  return out;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` until true or the timeout expires. */
export async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out waiting for condition');
    await sleep(10);
  }
}
