// One summary per logits record: label analysis, the PyTorch-exact recomputation (loss, ‖∂L/∂z‖,
// max |∂L/∂z|) and, when the logged loss disagrees, the what-if values that name a cause. Every
// consumer (the checks, the recomputed/ series, the hover, the CLI) reads this summary; nothing keeps
// the arrays. Inline records are summarised synchronously; `.npy` sidecars are confined to the log's
// folder, opened as regular files only, capped, and streamed in row blocks with async reads, one
// record at a time; a sidecar set is summarised once per (path, size, mtime).
//
// Streaming: each block runs the core's fused pass with reduction 'sum'; block sums (loss, Σ‖g‖²,
// weights) add up with compensated sums and max |g| takes the max, then 'mean' divides by the total
// weight. A record that fits in one block runs the one-pass code (bit-identical to it).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LogitRecord, NDArray } from '../model';
import { NpyStream } from '../npy';
import { softmax } from '../softmax';
import { kernelBlockRows } from '../wasm/kernel';
import { LabelAnalyzer, type RecordAnalysis } from './labels';
import { evaluate, prepare, tryEvaluate, type Prepared, type Recomputation } from './recompute';

/** What-if values for the loss-mismatch cause (numbers only; mismatch.ts compares them). */
export interface CauseValues {
  /** The loss of softmax(logits) (softmax applied twice). */
  doubleSoftmax?: number;
  /** The loss under the other reduction (sum ↔ mean). */
  flipped?: number;
  /** The loss at label smoothing 0 and 1 (the loss is linear in ε). */
  smoothing0?: number;
  smoothing1?: number;
  /** The loss without the declared class weights. */
  unweighted?: number;
  /** reduction 'sum' of the weighted loss. */
  weightedSum?: number;
  /** −(weighted) mean (or sum) of the gathered inputs x[n, y]: nll_loss on these inputs. */
  gatheredNll?: number;
}

export interface RecordSummary {
  readonly logitsShape: readonly number[];
  readonly labelsShape: readonly number[];
  /** Label and logits-format analysis (undefined when the record could not be read at all). */
  readonly analysis?: RecordAnalysis;
  /** The recomputation (when the analysis says recomputable and the core accepted the inputs). */
  readonly result?: Recomputation & { readonly sigmoid: boolean };
  /** Present when the logged loss differs from the recomputation (see needsCauses). */
  readonly causes?: CauseValues;
  /** Why the record could not be read or recomputed (reported as logits-unreadable). */
  readonly error?: string;
}

export interface SidecarSettings {
  /** Largest sidecar array accepted (bytes of data), per array. */
  maxBytes: number;
  /** Sidecar paths may leave the log's folder tree (absolute paths, `..`, symlinks). */
  allowOutside: boolean;
  /** Bytes of logits per streamed block. */
  blockBytes: number;
}

const MIB = 1 << 20;
// 1 MiB blocks: the fused pass over one block takes a few ms, so the event loop is never held long.
export const DEFAULT_SIDECAR_SETTINGS: Readonly<SidecarSettings> = { maxBytes: 256 * MIB, allowOutside: false, blockBytes: 1 * MIB };

let settings: SidecarSettings = { ...DEFAULT_SIDECAR_SETTINGS };
let generation = 0;

/** Sets the sidecar limits (from the settings); summaries made under other limits are forgotten. */
export function configureSidecars(o: Partial<SidecarSettings>): void {
  const next = { ...settings, ...o };
  if (!(next.maxBytes >= 0)) next.maxBytes = DEFAULT_SIDECAR_SETTINGS.maxBytes;
  if (!(next.blockBytes >= 1)) next.blockBytes = DEFAULT_SIDECAR_SETTINGS.blockBytes;
  if (JSON.stringify(next) === JSON.stringify(settings)) return;
  settings = next;
  generation++;
  memo.clear();
}

export function sidecarSettings(): Readonly<SidecarSettings> {
  return settings;
}

// ---------------------------------------------------------------------------------------------
// The summary, as a generator over row blocks: the same code serves in-memory arrays (sync) and
// streamed sidecars (async). It yields block requests and receives the block's values.

interface BlockRequest {
  /** Rows of the logits (first axis) to deliver; labels rows are the same rows. */
  readonly start: number;
  readonly count: number;
  readonly labels: boolean;
}
interface Block {
  readonly z: NDArray['data'];
  readonly t?: NDArray['data'];
}
interface Source {
  readonly logitsShape: readonly number[];
  readonly logitsDtype: string;
  readonly labelsShape: readonly number[];
  readonly labelsDtype: string;
  readonly weight?: NDArray;
}

/** Neumaier-compensated sum. */
class Sum {
  private s = 0;
  private comp = 0;
  add(v: number): void {
    const t = this.s + v;
    if (Math.abs(this.s) >= Math.abs(v)) this.comp += this.s - t + v;
    else this.comp += v - t + this.s;
    this.s = t;
  }
  get value(): number {
    const r = this.s + this.comp;
    return r === r ? r : this.s;
  }
}

/** Block results (reduction 'sum') combined into the whole batch's result. */
class Acc {
  private readonly loss = new Sum();
  private readonly gsq = new Sum();
  private maxAbs = 0;
  private weight = new Sum();
  first: Recomputation | undefined;
  add(r: Recomputation): void {
    this.first ??= r;
    this.loss.add(r.loss);
    this.gsq.add(r.gradNorm * r.gradNorm);
    this.maxAbs = r.maxAbsGrad !== r.maxAbsGrad || this.maxAbs !== this.maxAbs ? NaN : Math.max(this.maxAbs, r.maxAbsGrad);
    this.weight.add(r.totalWeight);
  }
  get lossSum(): number {
    return this.loss.value;
  }
  get totalWeight(): number {
    return this.weight.value;
  }
  /** `live`: some target counts (not ignore_index); a 'mean' over zero total weight then has a NaN gradient, as in one pass. */
  finish(reduction: 'mean' | 'sum', live = false): Recomputation {
    const d = this.totalWeight;
    const scale = reduction === 'mean' ? 1 / d : 1;
    const g = this.gsq.value;
    const f = this.first!;
    const zeroScaled = reduction === 'mean' && d === 0 ? (live ? NaN : 0) : 0;
    return {
      loss: reduction === 'mean' ? this.loss.value / d : this.loss.value,
      gradNorm: g === 0 ? zeroScaled : Math.sqrt(g) * Math.abs(scale),
      maxAbsGrad: this.maxAbs === 0 ? zeroScaled : this.maxAbs * Math.abs(scale),
      targetKind: f.targetKind,
      reduction,
      totalWeight: d,
      fromProbabilities: f.fromProbabilities,
    };
  }
}

type RecordOptions = Pick<LogitRecord, 'lossFn' | 'reduction' | 'labelSmoothing' | 'ignoreIndex' | 'loggedLoss'>;

const KERAS = new Set(['categorical_crossentropy', 'sparse_categorical_crossentropy']);

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').slice(0, 300);
}

/** The what-if values are computed only when the logged loss is off by more than float noise. */
export function needsCauses(loggedLoss: number | undefined, rec: number): boolean {
  return (
    loggedLoss !== undefined &&
    Number.isFinite(loggedLoss) &&
    Number.isFinite(rec) &&
    !(Math.abs(loggedLoss - rec) <= 1e-7 + 1e-5 * Math.abs(rec))
  );
}

/** −(weighted) Σ x[n, y] and Σ w[y] of prepared inputs (undefined: labels that are not class ids). */
function gathered(p: Prepared): { num: number; den: number } | undefined {
  const { logits, labels } = p;
  const n = logits.shape[0]!;
  const c = logits.shape[1]!;
  const s = logits.shape.slice(2).reduce((x, y) => x * y, 1);
  if (labels.data.length !== n * s) return undefined;
  const ignore = p.options.ignoreIndex ?? -100;
  const w = p.options.weight as { data: ArrayLike<number> } | null | undefined;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    for (let q = 0; q < s; q++) {
      const y = labels.data[i * s + q]!;
      if (y === ignore) continue;
      if (!(Number.isInteger(y) && y >= 0 && y < c)) return undefined;
      const wy = w ? w.data[y]! : 1;
      num -= wy * logits.data[(i * c + y) * s + q]!;
      den += wy;
    }
  }
  return { num, den };
}

/** The what-if values of a whole batch in memory (the one-pass code of the mismatch check). */
function causesOnePass(p: Prepared, probabilities: boolean, form: RecordAnalysis['form'], hasWeight: boolean): CauseValues {
  const out: CauseValues = {};
  const reduction = p.options.reduction ?? 'mean';
  if (!probabilities && !p.fromProbabilities) {
    try {
      out.doubleSoftmax = tryEvaluate(p, {}, softmax(p.logits))?.loss;
    } catch {
      /* no candidate */
    }
  }
  out.flipped = tryEvaluate(p, { reduction: reduction === 'sum' ? 'mean' : 'sum' })?.loss;
  out.smoothing0 = tryEvaluate(p, { labelSmoothing: 0 })?.loss;
  out.smoothing1 = tryEvaluate(p, { labelSmoothing: 1 })?.loss;
  if (hasWeight) {
    out.unweighted = tryEvaluate(p, { weight: null })?.loss;
    out.weightedSum = tryEvaluate(p, { reduction: 'sum' })?.loss;
  }
  if (form === 'index' && !p.fromProbabilities) {
    const g = gathered(p);
    if (g && g.den !== 0) out.gatheredNll = reduction === 'sum' ? g.num : g.num / g.den;
  }
  return out;
}

/** Accumulators of the what-if values over blocks. */
class CauseAcc {
  readonly soft = new Acc();
  readonly s0 = new Acc();
  readonly s1 = new Acc();
  readonly unweighted = new Acc();
  private readonly num = new Sum();
  private den = 0;
  private bad = { soft: false, s0: false, s1: false, unweighted: false, gathered: false };
  constructor(
    private readonly probabilities: boolean,
    private readonly form: RecordAnalysis['form'],
    private readonly hasWeight: boolean,
  ) {}
  add(p: Prepared): void {
    const b = this.bad;
    const one = (key: 'soft' | 's0' | 's1' | 'unweighted', acc: Acc, f: () => Recomputation): void => {
      if (b[key]) return;
      try {
        acc.add(f());
      } catch {
        b[key] = true;
      }
    };
    if (!this.probabilities && !p.fromProbabilities) one('soft', this.soft, () => evaluate(p, { reduction: 'sum' }, softmax(p.logits)));
    else b.soft = true;
    one('s0', this.s0, () => evaluate(p, { reduction: 'sum', labelSmoothing: 0 }));
    one('s1', this.s1, () => evaluate(p, { reduction: 'sum', labelSmoothing: 1 }));
    if (this.hasWeight) one('unweighted', this.unweighted, () => evaluate(p, { reduction: 'sum', weight: null }));
    if (this.form === 'index' && !p.fromProbabilities && !b.gathered) {
      const g = gathered(p);
      if (!g) b.gathered = true;
      else {
        this.num.add(g.num);
        this.den += g.den;
      }
    } else b.gathered = true;
  }
  finish(reduction: 'mean' | 'sum', main: Acc): CauseValues {
    const b = this.bad;
    const v = (key: 'soft' | 's0' | 's1' | 'unweighted', acc: Acc): number | undefined =>
      b[key] || !acc.first ? undefined : acc.finish(reduction).loss;
    const out: CauseValues = {
      doubleSoftmax: v('soft', this.soft),
      flipped: reduction === 'sum' ? main.lossSum / main.totalWeight : main.lossSum,
      smoothing0: v('s0', this.s0),
      smoothing1: v('s1', this.s1),
    };
    if (this.hasWeight) {
      out.unweighted = v('unweighted', this.unweighted);
      out.weightedSum = main.lossSum;
    }
    if (!b.gathered && this.den !== 0) out.gatheredNll = reduction === 'sum' ? this.num.value : this.num.value / this.den;
    return out;
  }
}

/**
 * The summary of one record over its row blocks. `blockRows` ≥ the row count → one block (the
 * one-pass code). `wantCauses`: compute the what-if values when the logged loss disagrees.
 */
function* summaryGen(o: RecordOptions, src: Source, blockRows: number, wantCauses: boolean): Generator<BlockRequest, RecordSummary, Block> {
  const { logitsShape, labelsShape } = src;
  const shapes = { logitsShape: [...logitsShape], labelsShape: [...labelsShape] };
  if (logitsShape.length === 0) {
    return {
      ...shapes,
      analysis: {
        n: 0,
        c: 0,
        s: 1,
        issues: [{ code: 'label-shape-mismatch', detail: 'logits are a 0-d array (a scalar)' }],
        nonFiniteLogits: 0,
        probabilities: false,
        recomputable: false,
      },
    };
  }
  const an = new LabelAnalyzer(logitsShape, labelsShape, o.lossFn, o.ignoreIndex);
  const oneD = logitsShape.length === 1;
  const rows = oneD ? logitsShape[0]! : logitsShape[1] === undefined ? 0 : logitsShape[0]!;
  let single = oneD || blockRows >= rows;
  let step = single ? Math.max(rows, 1) : Math.max(1, Math.floor(blockRows));
  if (!single && src.logitsDtype === 'f4' && logitsShape.slice(2).every((d) => d === 1)) {
    // float32 [N, C] runs on the SIMD kernel, which groups rows per call: blocks that are whole
    // multiples of its call size group the rows exactly as one pass does (same per-row values).
    const k = kernelBlockRows(logitsShape[1]!);
    step = Math.ceil(step / k) * k;
    if (step >= rows) single = true;
  }
  const withLabels = an.labelsPerRow > 0 || (oneD && an.form !== undefined);
  const rowShape = logitsShape.slice(1);
  const labelRowShape = labelsShape.slice(1);
  const reduction: 'mean' | 'sum' = o.reduction === 'sum' ? 'sum' : 'mean';
  const keras = KERAS.has(o.lossFn ?? '');
  const bce = o.lossFn === 'bce_with_logits';
  const w = src.weight;
  /** bce weights with a leading batch axis are sliced with the rows. */
  const rowWeight = bce && w && w.shape.length === logitsShape.length && w.shape[0] === rows && rows > 1;

  const blockRecord = (b: Block, start: number, count: number) => {
    const logits: NDArray = oneD
      ? { dtype: src.logitsDtype, shape: [...logitsShape], data: b.z }
      : { dtype: src.logitsDtype, shape: [count, ...rowShape], data: b.z };
    const labels: NDArray =
      oneD || single
        ? { dtype: src.labelsDtype, shape: [...labelsShape], data: b.t! }
        : { dtype: src.labelsDtype, shape: [count, ...labelRowShape], data: b.t! };
    let weight = w;
    if (w && rowWeight && !single) {
      const per = w.data.length / rows;
      weight = { dtype: w.dtype, shape: [count, ...w.shape.slice(1)], data: w.data.subarray(start * per, (start + count) * per) };
    }
    return { ...o, logits, labels, weight };
  };

  // Pass 1: the analysis, and the recomputation when its inputs do not depend on the analysis.
  const main = new Acc();
  let stash: Block | undefined;
  let coreError: string | undefined;
  const evalNow = !keras;
  for (let start = 0; start < rows || (start === 0 && rows === 0); start += step) {
    const count = Math.min(step, rows - start);
    const b: Block = yield { start, count, labels: withLabels };
    an.feed(b.z, oneD ? 1 : count, b.t);
    if (single) stash = b;
    else if (evalNow && b.t && coreError === undefined) {
      try {
        const p = prepare(blockRecord(b, start, count));
        if (p) main.add(evaluate(p, { reduction: 'sum' }));
      } catch (e) {
        coreError = message(e);
      }
    }
    if (rows === 0) break;
  }
  const analysis = an.finish();
  if (!analysis.recomputable) return { ...shapes, analysis };

  // Single block: the one-pass code on the whole arrays.
  if (single) {
    const rec = blockRecord(stash!, 0, rows);
    let p: Prepared | undefined;
    let result: Recomputation;
    try {
      p = prepare(rec, analysis.probabilities);
      if (!p)
        return {
          ...shapes,
          analysis,
          error: bce ? `bce_with_logits needs labels of the logits' shape` : 'the record cannot be recomputed',
        };
      result = evaluate(p);
    } catch (e) {
      return { ...shapes, analysis, error: `the recomputation failed: ${message(e)}` };
    }
    const out: RecordSummary = { ...shapes, analysis, result: { ...result, sigmoid: !!p.sigmoid } };
    if (wantCauses && !p.sigmoid && needsCauses(o.loggedLoss, result.loss)) {
      return { ...out, causes: causesOnePass(p, analysis.probabilities, analysis.form, !!w) };
    }
    return out;
  }

  // Streamed: Keras losses recompute once the probability decision is known (a second pass).
  if (!evalNow) {
    for (let start = 0; start < rows && coreError === undefined; start += step) {
      const count = Math.min(step, rows - start);
      const b: Block = yield { start, count, labels: true };
      try {
        const p = prepare(blockRecord(b, start, count), analysis.probabilities);
        if (p) main.add(evaluate(p, { reduction: 'sum' }));
      } catch (e) {
        coreError = message(e);
      }
    }
  }
  if (coreError !== undefined) return { ...shapes, analysis, error: `the recomputation failed: ${coreError}` };
  if (!main.first)
    return { ...shapes, analysis, error: bce ? `bce_with_logits needs labels of the logits' shape` : 'the record cannot be recomputed' };
  const result = main.finish(reduction, analysis.form !== 'index' || (analysis.index?.count ?? 0) > 0);
  const out: RecordSummary = { ...shapes, analysis, result: { ...result, sigmoid: bce } };
  if (!wantCauses || bce || !needsCauses(o.loggedLoss, result.loss)) return out;
  // The what-if values: one more pass, in quarter blocks (four evaluations per block, mostly on the
  // reference path: smaller blocks keep each synchronous stretch short; these values need no alignment).
  const ca = new CauseAcc(analysis.probabilities, analysis.form, !!w);
  const causeStep = Math.max(1, Math.floor(step / 4));
  for (let start = 0; start < rows; start += causeStep) {
    const count = Math.min(causeStep, rows - start);
    const b: Block = yield { start, count, labels: true };
    const p = prepare(blockRecord(b, start, count), analysis.probabilities);
    if (p) ca.add(p);
  }
  return { ...out, causes: ca.finish(reduction, main) };
}

// ---------------------------------------------------------------------------------------------
// Drivers

function rowsOf(a: NDArray): number {
  return a.shape.length === 0 ? 1 : a.shape[0]!;
}

function sliceRows(a: NDArray, start: number, count: number, all: boolean): NDArray['data'] {
  if (all) return a.data;
  const per = a.shape.length === 0 ? 1 : a.data.length / rowsOf(a);
  return a.data.subarray(start * per, (start + count) * per);
}

/** Summary of in-memory arrays (synchronous). `blockRows` for tests of the streamed combination. */
export function summarizeArrays(
  o: RecordOptions & { weight?: NDArray },
  logits: NDArray,
  labels: NDArray,
  blockRows = Infinity,
  wantCauses = true,
): RecordSummary {
  const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
  const shapes = { logitsShape: [...logits.shape], labelsShape: [...labels.shape] };
  if (logits.shape.length === 0 || size(logits.shape) !== logits.data.length) {
    return {
      ...shapes,
      analysis: {
        n: logits.shape[0] ?? 0,
        c: logits.shape[1] ?? 0,
        s: 1,
        issues: [{ code: 'label-shape-mismatch', detail: `logits have an invalid shape [${logits.shape.join(', ')}]` }],
        nonFiniteLogits: 0,
        probabilities: false,
        recomputable: false,
      },
    };
  }
  if (size(labels.shape) !== labels.data.length) {
    return {
      ...shapes,
      analysis: {
        n: logits.shape[0] ?? 0,
        c: logits.shape[1] ?? 0,
        s: 1,
        issues: [{ code: 'label-shape-mismatch', detail: `labels have an invalid shape [${labels.shape.join(', ')}]` }],
        nonFiniteLogits: 0,
        probabilities: false,
        recomputable: false,
      },
    };
  }
  const src: Source = {
    logitsShape: logits.shape,
    logitsDtype: logits.dtype,
    labelsShape: labels.shape,
    labelsDtype: labels.dtype,
    weight: o.weight,
  };
  const g = summaryGen(o, src, blockRows, wantCauses);
  const oneD = logits.shape.length === 1;
  let r = g.next(undefined as unknown as Block);
  while (!r.done) {
    const q = r.value;
    const whole = oneD || (q.start === 0 && q.count >= rowsOf(logits));
    const z = sliceRows(logits, q.start, q.count, whole);
    const t = q.labels ? sliceRows(labels, q.start, q.count, whole || labels.shape.length === 0) : undefined;
    r = g.next({ z, t });
  }
  return r.value;
}

// ---- sidecars ----

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Resolves a sidecar path written in a log, confined to the log's folder tree unless allowed. */
export async function resolveSidecar(dir: string, rel: string, allowOutside: boolean): Promise<string> {
  if (rel === '' || rel.includes('\0')) throw new Error('the path is empty or invalid');
  if (allowOutside) return path.resolve(dir, rel);
  if (path.isAbsolute(rel) || /^[a-zA-Z]:/.test(rel))
    throw new Error('absolute sidecar paths are not read (set losswatch.sidecars.allowOutside to allow them)');
  const p = path.resolve(dir, rel);
  if (!inside(dir, p)) throw new Error("the path leaves the log's folder (set losswatch.sidecars.allowOutside to allow it)");
  let real: string;
  let realDir: string;
  try {
    [real, realDir] = await Promise.all([fs.promises.realpath(p), fs.promises.realpath(dir)]);
  } catch (e) {
    throw new Error(`cannot open (${(e as NodeJS.ErrnoException).code ?? message(e)})`);
  }
  if (!inside(realDir, real))
    throw new Error("a symbolic link leads out of the log's folder (set losswatch.sidecars.allowOutside to allow it)");
  return p;
}

interface Entry {
  summary: RecordSummary;
  withCauses: boolean;
}
/** Counters for tests and measurements: sidecar record reads (memo misses) and memo hits. */
export const sidecarStats = { reads: 0, memoHits: 0 };

/** (sidecar identities, options) → summary; bounded, oldest dropped first. */
const memo = new Map<string, Entry>();
const MEMO_MAX = 4096;

/** Reads one sidecar-backed record (confined, capped, streamed). Errors become `error`. */
async function summarizeSidecars(r: LogitRecord, wantCauses: boolean): Promise<RecordSummary> {
  const sc = r.sidecars!;
  const set = settings;
  const empty = { logitsShape: [] as number[], labelsShape: [] as number[] };
  const streams: NpyStream[] = [];
  const open = async (what: string, rel: string): Promise<NpyStream> => {
    try {
      const p = await resolveSidecar(sc.dir, rel, set.allowOutside);
      const s = await NpyStream.open(p, { maxBytes: set.maxBytes });
      streams.push(s);
      return s;
    } catch (e) {
      throw new Error(`${what} ${rel}: ${message(e).replace(/^.*?\.npy: /, '')}`);
    }
  };
  try {
    const zs = sc.logits !== undefined ? await open('logits_file', sc.logits) : undefined;
    const ts = sc.labels !== undefined ? await open('labels_file', sc.labels) : undefined;
    let weight = r.weight;
    let wKey = r.weight ? `inline:${r.weight.data.length <= 4096 ? Array.from(r.weight.data).join(',') : Math.random()}` : '';
    if (sc.weight !== undefined) {
      const ws = await open('weight_file', sc.weight);
      weight = await ws.readAll();
      wKey = `${ws.path}:${ws.stat.size}:${ws.stat.mtimeMs}:${ws.stat.ino}`;
    }
    const id = (s: NpyStream | undefined, inline: NDArray): string =>
      s
        ? `${s.path}:${s.stat.size}:${s.stat.mtimeMs}:${s.stat.ino}:${s.stat.dev}`
        : `inline:${inline.data.length <= 4096 ? `${inline.shape.join('x')}:${Array.from(inline.data).join(',')}` : Math.random()}`;
    const key = JSON.stringify([
      generation,
      id(zs, r.logits),
      id(ts, r.labels),
      wKey,
      r.lossFn,
      r.reduction,
      r.labelSmoothing,
      r.ignoreIndex,
    ]);
    const hit = memo.get(key);
    const causesNeeded = (s: RecordSummary): boolean =>
      wantCauses && !!s.result && !s.result.sigmoid && needsCauses(r.loggedLoss, s.result.loss);
    if (hit && (hit.withCauses || !causesNeeded(hit.summary))) {
      memo.delete(key);
      memo.set(key, hit);
      sidecarStats.memoHits++;
      return hit.summary;
    }
    const logitsShape = zs ? zs.shape : r.logits.shape;
    const labelsShape = ts ? ts.shape : r.labels.shape;
    const src: Source = {
      logitsShape,
      logitsDtype: zs ? zs.dtype : r.logits.dtype,
      labelsShape,
      labelsDtype: ts ? ts.dtype : r.labels.dtype,
      weight,
    };
    const rowBytes = Math.max(1, zs ? zs.dataBytes / Math.max(1, zs.rows) : (8 * r.logits.data.length) / Math.max(1, rowsOf(r.logits)));
    const blockRows = Math.max(1, Math.floor(set.blockBytes / rowBytes));
    const oneD = logitsShape.length === 1;
    sidecarStats.reads++;
    const g = summaryGen({ ...r, loggedLoss: wantCauses ? r.loggedLoss : undefined }, src, blockRows, wantCauses);
    let q = g.next(undefined as unknown as Block);
    while (!q.done) {
      const b = q.value;
      const allZ = oneD || (b.start === 0 && b.count >= (zs ? zs.rows : rowsOf(r.logits)));
      // a block is consumed before the next read: float32 rows go straight into the kernel's memory
      const z = zs
        ? allZ
          ? (await zs.readAll()).data
          : await zs.readRows(b.start, b.count, true)
        : sliceRows(r.logits, b.start, b.count, allZ);
      let t: NDArray['data'] | undefined;
      if (b.labels) {
        const allT = allZ || labelsShape.length === 0;
        t = ts ? (allT ? (await ts.readAll()).data : await ts.readRows(b.start, b.count)) : sliceRows(r.labels, b.start, b.count, allT);
      }
      q = g.next({ z, t });
    }
    const summary = q.value;
    memo.delete(key);
    memo.set(key, { summary, withCauses: summary.causes !== undefined });
    while (memo.size > MEMO_MAX) memo.delete(memo.keys().next().value!);
    return summary;
  } catch (e) {
    return { ...empty, error: message(e) };
  } finally {
    for (const s of streams) await s.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Per-record cache and the queue

/**
 * The what-if values of a sidecar record cost another pass over its files: like the check's cause
 * search, they are computed for the first CAUSE_SAMPLES mismatching sidecar records of a log file only
 * (the same lines again after a re-read). Inline records (small) always get them.
 */
export const CAUSE_SAMPLES = 16;
const explained = new Map<string, Set<number>>();

function mayExplain(r: LogitRecord): boolean {
  const set = explained.get(r.provenance.file);
  const at = r.provenance.line ?? r.provenance.record ?? r.step;
  return !set || set.size < CAUSE_SAMPLES || set.has(at);
}

function noteExplained(r: LogitRecord, s: RecordSummary): RecordSummary {
  if (!s.causes) return s;
  let set = explained.get(r.provenance.file);
  if (!set) explained.set(r.provenance.file, (set = new Set()));
  set.add(r.provenance.line ?? r.provenance.record ?? r.step);
  return s;
}

const byRecord = new WeakMap<LogitRecord, { gen: number; summary: RecordSummary }>();
const inflight = new WeakMap<LogitRecord, Promise<RecordSummary>>();
let queue: Promise<unknown> = Promise.resolve();

function store(r: LogitRecord, summary: RecordSummary): RecordSummary {
  byRecord.set(r, { gen: generation, summary });
  return summary;
}

function cached(r: LogitRecord): RecordSummary | undefined {
  const c = byRecord.get(r);
  return c && c.gen === generation ? c.summary : undefined;
}

/** Summary of an inline record (no sidecars), computed now. */
function summarizeInline(r: LogitRecord): RecordSummary {
  if (r.error)
    return { logitsShape: [...r.logits.shape], labelsShape: [...r.labels.shape], error: r.error.replace(/\s+/g, ' ').slice(0, 300) };
  return summarizeArrays(r, r.logits, r.labels);
}

/**
 * The summary of a record if it is known now: inline records are summarised on the spot; a record
 * with sidecars returns undefined until its (queued) async summary is ready — see summarizeRecords.
 */
export function summaryOf(r: LogitRecord): RecordSummary | undefined {
  const c = cached(r);
  if (c) return c;
  if (!r.sidecars || r.error) return store(r, summarizeInline(r));
  void summarize(r);
  return undefined;
}

/** The summary of a record (async for sidecars; queued: one sidecar record is read at a time). */
export function summarize(r: LogitRecord): Promise<RecordSummary> {
  const c = cached(r);
  if (c) return Promise.resolve(c);
  if (!r.sidecars || r.error) return Promise.resolve(store(r, summarizeInline(r)));
  const running = inflight.get(r);
  if (running) return running;
  const gen = generation;
  const p = queue.then(async () => {
    const again = cached(r);
    if (again) return again;
    const s = noteExplained(r, await summarizeSidecars(r, mayExplain(r)));
    if (gen === generation) store(r, s);
    return s;
  });
  queue = p.catch(() => undefined);
  inflight.set(r, p);
  void p.finally(() => inflight.delete(r));
  return p;
}

/** Summarises every record not summarised yet (sidecars read one record at a time). */
export async function summarizeRecords(records: readonly LogitRecord[]): Promise<void> {
  for (const r of records) if (!cached(r)) await summarize(r);
}

/** A promise for the records still pending (sidecars being read), or undefined when all are known. */
export function pendingSummaries(records: readonly LogitRecord[]): Promise<void> | undefined {
  for (let i = records.length - 1; i >= 0; i--) {
    if (!cached(records[i]!)) return summarizeRecords(records);
  }
  return undefined;
}

/**
 * The loss (and ‖∂L/∂z‖) of an in-memory record, recomputed exactly as PyTorch would with the declared
 * options. undefined when the record is not recomputable (its labels/logits are reported by the label
 * checks); throws with the reason when the core rejects it or the record is unreadable.
 */
export function recompute(record: LogitRecord): Recomputation | undefined {
  const s = record.sidecars ? cached(record) : summaryOf(record);
  if (!s) throw new Error('the sidecars of this record are not summarised yet (await summarize())');
  if (s.error) throw new Error(s.error);
  if (!s.result) return undefined;
  const { sigmoid: _sigmoid, ...rest } = s.result;
  return rest;
}
