// Seeded fuzzing of every parser: generated valid inputs (checked against a reference: JSON.parse, a plain
// comma split, a whitespace split, a float32 round) and mutations of them plus raw garbage (checked for: no
// throw, a per-input time bound, bounded memory). Used by `npm run fuzz` (≥ 1 M inputs per parser) and by a
// short smoke run in the unit tests.
import { NpyError, parseNpy } from '../../src/core/npy';
import type { LogitRecord, Split } from '../../src/core/model';
import { fieldKind } from '../../src/ingest/fields';
import { LineReader } from '../../src/ingest/lines';
import { CsvParser } from '../../src/ingest/parsers/csv';
import { HfTrainerStateParser } from '../../src/ingest/parsers/hf';
import { JsonlParser } from '../../src/ingest/parsers/jsonl';
import { MlflowMetricParser } from '../../src/ingest/parsers/mlflow';
import { TextParser } from '../../src/ingest/parsers/text';
import { maskedCrc, TfEventsParser } from '../../src/ingest/parsers/tfevents';
import type { ByteParser, Sink } from '../../src/ingest/sink';

export const PARSERS = ['jsonl', 'csv', 'text', 'hf', 'tfevents', 'mlflow', 'npy'] as const;
export type ParserName = (typeof PARSERS)[number];

// ---- seeded PRNG (mulberry32) ----
export class Rng {
  constructor(private s: number) {}
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

// ---- a sink that records points (also through the bulk rows/block forms) ----
export interface P {
  key: string;
  step: number;
  value: number;
}
class FuzzSink implements Sink {
  keys: string[] = [];
  points: P[] = [];
  errors = 0;
  constructor(bulk: boolean) {
    if (!bulk) {
      this.rows = undefined;
      this.block = undefined;
    }
  }
  series(key: string, _hint?: Split): number {
    if (typeof key !== 'string') throw new Error(`series key ${typeof key}`);
    return this.keys.push(key) - 1;
  }
  point(id: number, step: number, value: number): void {
    const key = this.keys[id];
    if (key === undefined) throw new Error(`unknown series id ${id}`);
    this.points.push({ key, step, value });
  }
  block?(id: number, n: number, step: Float64Array, value: Float64Array, off: number): void {
    for (let k = 0; k < n; k++) this.point(id, step[k]!, value[off + k]!);
  }
  rows?(
    n: number,
    step: Float64Array,
    _w: Float64Array | undefined,
    _e: Float64Array | undefined,
    _l: Float64Array,
    k: number,
    ids: Int32Array,
    value: Float64Array,
    offs: Int32Array,
  ): void {
    for (let j = 0; j < k; j++) for (let r = 0; r < n; r++) this.point(ids[j]!, step[r]!, value[offs[j]! + r]!);
  }
  clear(): void {
    this.keys = [];
    this.points = [];
    this.errors = 0;
  }
  logit(_rec: LogitRecord): void {}
  error(message: string): void {
    if (typeof message !== 'string') throw new Error('error without message');
    this.errors++;
  }
  meta(): void {}
}

// ---- building blocks ----
const PROTO = [
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'prototype',
  '__defineGetter__',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
];
const PLAIN = ['loss', 'val_loss', 'acc', 'lr', 'grad_norm', 'eval_loss', 'm', 'x1', 'loss_2', 'f1', 'ppl', 'top1', 'a_b'];
const HF_RESERVED = new Set(['train_runtime', 'train_samples_per_second', 'train_steps_per_second', 'total_flos', 'train_loss']);
const metricNames = [...PLAIN, ...PROTO].filter((n) => fieldKind(n) === 'metric');

function name(r: Rng): string {
  if (r.chance(0.7)) return r.pick(metricNames);
  let s = String.fromCharCode(97 + r.int(26));
  for (let i = r.int(8); i > 0; i--) s += r.pick(['a', 'b', 'z', '0', '9', '_']);
  return fieldKind(s) === 'metric' ? s : 'm_' + s;
}

/** A finite number and a JSON/CSV spelling of it (Number(text) === value). */
function number(r: Rng): [number, string] {
  switch (r.int(8)) {
    case 0: {
      const v = r.int(1000);
      return [v, String(v)];
    }
    case 1: {
      const t = (r.next() * 10).toFixed(r.int(17));
      return [Number(t), t];
    }
    case 2: {
      const t = `${r.chance(0.5) ? '-' : ''}${r.int(10)}.${r.int(1e6)}e${r.chance(0.5) ? '-' : ''}${r.int(320)}`;
      return [Number(t), t];
    }
    case 3: {
      const v = (r.next() - 0.5) * 10 ** (r.int(40) - 20);
      return [v, String(v)];
    }
    case 4:
      return r.pick([
        [0, '0'],
        [-0, '-0'],
        [5e-324, '5e-324'],
        [1.7976931348623157e308, '1.7976931348623157e308'],
        [2 ** 53 + 2, '9007199254740994'],
        [0.1, '0.1'],
      ] as [number, string][]);
    case 5: {
      const t = `${r.int(100)}.${'0'.repeat(r.int(5))}${r.int(1000)}`;
      return [Number(t), t];
    }
    case 6: {
      const t = String(Math.fround(r.next()));
      return [Number(t), t];
    }
    default: {
      const t = `-${r.int(1e9)}`;
      return [Number(t), t];
    }
  }
}

const SPECIAL = [
  0x22, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x0a, 0x0d, 0x00, 0xff, 0x5c, 0x20, 0x09, 0xef, 0xbb, 0xbf, 0x2d, 0x2e, 0x65, 0x30, 0x39,
];

/** 1–4 random edits: flip, insert special/random bytes, delete, duplicate, truncate. */
export function mutate(r: Rng, b: Uint8Array): Uint8Array {
  let a = Array.from(b);
  for (let k = 1 + r.int(4); k > 0; k--) {
    const at = r.int(a.length + 1);
    switch (r.int(6)) {
      case 0:
        if (a.length) a[Math.min(at, a.length - 1)] ^= 1 << r.int(8);
        break;
      case 1:
        a.splice(at, 0, ...Array.from({ length: 1 + r.int(3) }, () => (r.chance(0.7) ? r.pick(SPECIAL) : r.int(256))));
        break;
      case 2:
        a.splice(at, 1 + r.int(8));
        break;
      case 3: {
        const len = 1 + r.int(16);
        a.splice(at, 0, ...a.slice(at, at + len));
        break;
      }
      case 4:
        a = a.slice(0, at);
        break;
      default:
        a[Math.min(at, Math.max(0, a.length - 1))] = r.int(256);
    }
  }
  return Uint8Array.from(a);
}

function garbage(r: Rng): Uint8Array {
  const n = r.int(200);
  return Uint8Array.from({ length: n }, () => (r.chance(0.5) ? r.pick(SPECIAL) : r.int(256)));
}

const enc = new TextEncoder();

/** Feeds `bytes` to a byte parser in 1–4 random slices, then finish(). */
function feed(r: Rng, p: ByteParser, bytes: Uint8Array): void {
  let at = 0;
  for (let k = r.int(4); k > 0 && at < bytes.length; k--) {
    const to = at + r.int(bytes.length - at + 1);
    p.push(bytes.subarray(at, to));
    at = to;
  }
  p.push(bytes.subarray(at));
  p.finish();
}

// ---- per-parser generators: valid input + its expected points, or undefined for "anything" ----
interface Case {
  bytes: Uint8Array;
  expect?: P[];
}

function jsonlCase(r: Rng): Case {
  const lines: string[] = [];
  const expect: P[] = [];
  const same = r.chance(0.5) ? Array.from({ length: 1 + r.int(4) }, () => name(r)) : undefined; // template lines
  for (let i = 0, n = 1 + r.int(8); i < n; i++) {
    const fields: string[] = [`"step": ${i}`];
    const names = same ?? Array.from({ length: r.int(5) }, () => name(r));
    if (r.chance(0.1)) names.push(names[0] ?? 'loss'); // repeated key: the last wins
    for (const k of names) {
      const [, t] = number(r);
      fields.push(`"${k}": ${t}`);
    }
    if (r.chance(0.2)) fields.push(`"note": "x${r.int(9)}"`);
    const line = `{${r.chance(0.3) ? fields.reverse().join(',') : fields.join(', ')}}`;
    lines.push(line);
    const o = JSON.parse(line) as Record<string, unknown>;
    const step = o.step as number;
    for (const [k, v] of Object.entries(o)) if (k !== 'step' && typeof v === 'number') expect.push({ key: k, step, value: v });
  }
  return { bytes: enc.encode(lines.join(r.chance(0.2) ? '\r\n' : '\n') + (r.chance(0.8) ? '\n' : '')), expect };
}

function csvCase(r: Rng): Case {
  const cols = Array.from(new Set(Array.from({ length: 1 + r.int(5) }, () => name(r)))).filter((c) => !/[",]/.test(c));
  const rows = [`step,${cols.join(',')}`];
  const expect: P[] = [];
  for (let i = 0, n = 1 + r.int(8); i < n; i++) {
    const cells = cols.map(() => (r.chance(0.15) ? '' : number(r)[1]));
    rows.push(`${i},${cells.join(',')}`);
    // reference: a plain comma split
    const parts = rows[rows.length - 1]!.split(',');
    for (let c = 1; c < parts.length; c++)
      if (parts[c] !== '') expect.push({ key: cols[c - 1]!, step: Number(parts[0]), value: Number(parts[c]) });
  }
  return { bytes: enc.encode(rows.join('\n') + '\n'), expect };
}

function mlflowCase(r: Rng): Case {
  const lines: string[] = [];
  const expect: P[] = [];
  for (let i = 0, n = 1 + r.int(8); i < n; i++) {
    const [, v] = number(r);
    const line = `${1700000000000 + r.int(1e6)} ${v} ${r.int(1e6)}`;
    lines.push(line);
    const parts = line.split(/\s+/);
    expect.push({ key: 'metric', step: Number(parts[2]), value: Number(parts[1]) });
  }
  return { bytes: enc.encode(lines.join('\n') + '\n'), expect };
}

function hfCase(r: Rng): Case {
  const entries: string[] = [];
  const expect: P[] = [];
  for (let i = 0, n = r.int(6); i < n; i++) {
    const fields = [`"step": ${i * 10}`, `"epoch": ${i / 4}`];
    for (const k of Array.from({ length: 1 + r.int(4) }, () => name(r)).filter((k) => !HF_RESERVED.has(k)))
      fields.push(`"${k}": ${number(r)[1]}`);
    const text = `{${fields.join(', ')}}`;
    entries.push(text);
    const o = JSON.parse(text) as Record<string, unknown>;
    for (const [k, v] of Object.entries(o))
      if (k !== 'step' && k !== 'epoch' && typeof v === 'number') expect.push({ key: k, step: o.step as number, value: v });
  }
  return { bytes: enc.encode(`{\n  "log_history": [\n    ${entries.join(',\n    ')}\n  ],\n  "global_step": 5\n}\n`), expect };
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 128) {
    out.push((n % 128) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
function record(data: number[]): number[] {
  const out = new Uint8Array(16 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length, true);
  dv.setUint32(8, maskedCrc(out, 0, 8), true);
  out.set(data, 12);
  dv.setUint32(12 + data.length, maskedCrc(out, 12, 12 + data.length), true);
  return Array.from(out);
}
function tfCase(r: Rng): Case {
  const bytes: number[] = [];
  const expect: P[] = [];
  for (let i = 0, n = r.int(6); i < n; i++) {
    const step = r.int(1e6);
    const tag = Array.from(enc.encode(name(r)));
    const v = Math.fround((r.next() - 0.5) * 10 ** (r.int(20) - 10));
    const f = new Uint8Array(4);
    new DataView(f.buffer).setFloat32(0, v, true);
    const value = [0x0a, ...varint(tag.length), ...tag, 0x15, ...f];
    const summary = [0x0a, ...varint(value.length), ...value];
    const w = new Uint8Array(8);
    new DataView(w.buffer).setFloat64(0, 1.7e9 + i, true);
    bytes.push(...record([0x09, ...w, 0x10, ...varint(step), 0x2a, ...varint(summary.length), ...summary]));
    expect.push({ key: new TextDecoder().decode(Uint8Array.from(tag)), step, value: v });
  }
  return { bytes: Uint8Array.from(bytes), expect };
}

const TEXT_LINES = [
  (r: Rng) => `step ${r.int(1000)} loss=${number(r)[1]} acc: ${number(r)[1]}`,
  (r: Rng) => `Epoch ${1 + r.int(9)}/10`,
  (r: Rng) =>
    `${r.int(99)}/${r.int(99)} [==============================] - 1s 2ms/step - loss: ${number(r)[1]} - accuracy: ${number(r)[1]}`,
  (r: Rng) => `[${r.int(9)}, ${r.int(999)}] loss: ${number(r)[1]}`,
  (r: Rng) => `it ${r.int(99)} ${name(r)} ${number(r)[1]} ${'x'.repeat(r.int(50))}`,
  (r: Rng) => 'a'.repeat(r.int(4000)) + '!',
  (r: Rng) => 'step ' + '1'.repeat(r.int(3000)) + ' loss=' + '9'.repeat(r.int(3000)),
  (r: Rng) => 'loss '.repeat(r.int(800)) + '=1',
  (r: Rng) => `epoch=${r.int(9)} ` + `${name(r)}=`.repeat(r.int(500)) + number(r)[1],
  // a long run of blanks after a name: quadratic in the built-in pair pattern (kept rare: it is slow)
  (r: Rng) => `step ${r.int(9)} loss` + ' '.repeat(r.chance(0.02) ? r.int(5000) : r.int(100)) + 'x',
];
function textCase(r: Rng): Case {
  const lines = Array.from({ length: 1 + r.int(6) }, () => r.pick(TEXT_LINES)(r));
  return { bytes: enc.encode(lines.join('\n') + '\n') };
}

function npyCase(r: Rng): Case {
  const dtype = r.pick(['<f4', '<f8', '<i8', '>f4', '|u1', '<i4', '|b1', '<f2', '<c8', 'O', '<U3']);
  const shape = Array.from({ length: r.int(4) }, () => (r.chance(0.1) ? 2 ** (20 + r.int(40)) : r.int(5)));
  const dict = `{'descr': '${dtype}', 'fortran_order': ${r.chance(0.9) ? 'False' : 'True'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + dict.length + 1) % 64);
  const header = dict + ' '.repeat(pad) + '\n';
  const out = [
    0x93,
    ...enc.encode('NUMPY'),
    r.chance(0.9) ? 1 : r.int(4),
    0,
    header.length & 255,
    header.length >> 8,
    ...enc.encode(header),
  ];
  const n = shape.reduce((a, b) => a * b, 1);
  const body = Math.min(r.chance(0.8) ? n * 8 : r.int(64), 4096);
  for (let i = 0; i < body; i++) out.push(r.int(256));
  return { bytes: Uint8Array.from(out) };
}

// ---- running one input ----
/** Parser instances are reused across inputs (reset() between them, as after a truncation). */
const instances = new Map<string, { sink: FuzzSink; reader: ByteParser | undefined }>();
function instance(which: ParserName, bulk: boolean): { sink: FuzzSink; reader: ByteParser | undefined } {
  const id = `${which}/${bulk}`;
  let x = instances.get(id);
  if (!x) {
    const sink = new FuzzSink(bulk);
    let reader: ByteParser | undefined;
    if (which === 'jsonl') reader = new LineReader(new JsonlParser(sink, 'f.jsonl'), sink);
    else if (which === 'csv') reader = new LineReader(new CsvParser(sink), sink);
    else if (which === 'mlflow') reader = new LineReader(new MlflowMetricParser(sink, 'metric'), sink);
    else if (which === 'text') reader = new LineReader(new TextParser(sink), sink);
    else if (which === 'tfevents') reader = new TfEventsParser(sink);
    x = { sink, reader };
    instances.set(id, x);
  }
  x.sink.clear();
  x.reader?.reset();
  return x;
}

function runOne(which: ParserName, r: Rng, bytes: Uint8Array): P[] {
  const { sink, reader } = instance(which, r.chance(0.5));
  if (reader) feed(r, reader, bytes);
  else if (which === 'hf') {
    const p = new HfTrainerStateParser();
    if (!p.parseWhole(bytes, sink) && typeof p.incomplete !== 'string') throw new Error('incomplete without a reason');
  } else {
    try {
      parseNpy(bytes, 'f.npy');
    } catch (e) {
      if (!(e instanceof NpyError)) throw e;
    }
  }
  return sink.points;
}

const GEN: Record<ParserName, (r: Rng) => Case> = {
  jsonl: jsonlCase,
  csv: csvCase,
  mlflow: mlflowCase,
  hf: hfCase,
  tfevents: tfCase,
  text: textCase,
  npy: npyCase,
};

export interface FuzzStats {
  parser: ParserName;
  inputs: number;
  valid: number;
  checked: number;
  mutated: number;
  garbage: number;
  failures: { kind: string; message: string; input: string }[];
  maxMs: number;
  slow: number; // inputs over 10 ms (first run)
  slowInputs: number; // inputs over the limit twice
  maxMemMB: number;
  ms: number;
}

function same(a: P[], b: P[]): boolean {
  if (a.length !== b.length) return false;
  const key = (p: P): string => `${p.key}\u0000${p.step}\u0000${Object.is(p.value, -0) ? '-0' : p.value}`;
  const x = a.map(key).sort();
  const y = b.map(key).sort();
  return x.every((v, i) => v === y[i]);
}

/**
 * Runs `n` inputs for one parser (seeded): ~40 % valid (compared with the reference), ~50 % mutations of
 * valid inputs, ~10 % garbage. Fails (records) on a throw, a mismatch, an input over `limitMs`.
 */
export function fuzzParser(parser: ParserName, n: number, seed: number, limitMs = 250): FuzzStats {
  const r = new Rng(seed);
  const st: FuzzStats = {
    parser,
    inputs: 0,
    valid: 0,
    checked: 0,
    mutated: 0,
    garbage: 0,
    failures: [],
    maxMs: 0,
    slow: 0,
    slowInputs: 0,
    maxMemMB: 0,
    ms: 0,
  };
  const t0 = performance.now();
  const fail = (kind: string, message: string, bytes: Uint8Array): void => {
    if (st.failures.length < 20) st.failures.push({ kind, message, input: Buffer.from(bytes.subarray(0, 400)).toString('base64') });
  };
  for (let i = 0; i < n; i++) {
    const c = GEN[parser](r);
    const roll = r.next();
    let bytes = c.bytes;
    let expect = c.expect;
    if (roll < 0.1) {
      bytes = garbage(r);
      expect = undefined;
      st.garbage++;
    } else if (roll < 0.6) {
      bytes = mutate(r, bytes);
      expect = undefined;
      st.mutated++;
    } else st.valid++;
    const t = performance.now();
    let got: P[] | undefined;
    try {
      got = runOne(parser, r, bytes);
    } catch (e) {
      fail('throw', e instanceof Error ? `${e.message}\n${e.stack?.split('\n').slice(1, 4).join('\n')}` : String(e), bytes);
    }
    const dt = performance.now() - t;
    if (dt > st.maxMs) st.maxMs = dt;
    if (dt > 10) st.slow++;
    if (dt > limitMs) {
      // a GC pause or a busy machine is not the input's fault: slow only if a second run is slow too
      const t2 = performance.now();
      try {
        runOne(parser, new Rng(seed ^ i), bytes);
      } catch {
        /* reported above */
      }
      const dt2 = performance.now() - t2;
      if (dt2 > limitMs) {
        st.slowInputs++;
        fail('slow', `${dt.toFixed(0)} ms, again ${dt2.toFixed(0)} ms`, bytes);
      }
    }
    if (got && expect) {
      st.checked++;
      if (!same(got, expect)) fail('mismatch', `got ${JSON.stringify(got.slice(0, 6))} want ${JSON.stringify(expect.slice(0, 6))}`, bytes);
    }
    st.inputs++;
    if ((i & 8191) === 0) {
      const m = process.memoryUsage();
      st.maxMemMB = Math.max(st.maxMemMB, (m.heapUsed + m.arrayBuffers) / 2 ** 20);
    }
  }
  st.ms = performance.now() - t0;
  return st;
}
