// Logit/label records in JSONL: turns a parsed object into a LogitRecord for the core's recomputation.
// No file is read here: `.npy` sidecars are named in `sidecars` (as written, relative to the log's
// folder) and streamed later by the checks (core/checks/summary.ts: confined, capped, regular files).
import * as path from 'node:path';
import type { LogitRecord, LossFn, NDArray, Reduction, Split } from '../../core/model';
import type { JsonValue } from '../json';
import { splitOf } from '../roles';

const LOSS_FNS: readonly LossFn[] = [
  'cross_entropy',
  'sparse_categorical_crossentropy',
  'categorical_crossentropy',
  'bce_with_logits',
  'nll',
];
const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];

export function isLogitObject(o: { [k: string]: JsonValue }): boolean {
  return 'logits' in o || 'logits_file' in o;
}

/** Nested JSON number arrays → dense NDArray (Float64Array); throws on ragged / non-numeric input. */
export function toNDArray(v: JsonValue, what: string, integer = false): NDArray {
  const shape: number[] = [];
  let probe: JsonValue = v;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0]!;
  }
  if (shape.length === 0) throw new Error(`${what} must be an array`);
  const count = shape.reduce((a, d) => a * d, 1);
  const data = new Float64Array(count);
  let at = 0;
  let allInt = true;
  const walk = (x: JsonValue, depth: number): void => {
    if (depth === shape.length) {
      if (typeof x !== 'number') throw new Error(`${what}: non-numeric entry ${JSON.stringify(x)?.slice(0, 40)}`);
      if (!Number.isInteger(x)) allInt = false;
      data[at++] = x;
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[depth])
      throw new Error(`${what} is ragged (not a rectangular [${shape.join('][')}] array)`);
    for (const y of x) walk(y, depth + 1);
  };
  walk(v, 0);
  return { dtype: integer && allInt ? 'i8' : 'f8', shape, data };
}

export function buildLogitRecord(o: { [k: string]: JsonValue }, file: string, line: number, fallbackStep: number): LogitRecord {
  const step = typeof o.step === 'number' ? o.step : typeof o.global_step === 'number' ? o.global_step : fallbackStep;
  const split: Split = typeof o.split === 'string' ? (splitOf(o.split) ?? 'none') : 'none';
  const rec: {
    provenance: { file: string; line: number };
    step: number;
    split: Split;
    logits: NDArray;
    labels: NDArray;
    lossFn?: LossFn;
    reduction?: Reduction;
    labelSmoothing?: number;
    ignoreIndex?: number;
    weight?: NDArray;
    loggedLoss?: number;
    error?: string;
    sidecars?: { dir: string; logits?: string; labels?: string; weight?: string };
  } = { provenance: { file, line }, step, split, logits: empty(), labels: empty() };
  const sidecars: { dir: string; logits?: string; labels?: string; weight?: string } = { dir: path.dirname(file) };
  const errors: string[] = [];
  try {
    if (o.logits !== undefined) rec.logits = toNDArray(o.logits, 'logits');
    else if (typeof o.logits_file === 'string') sidecars.logits = o.logits_file;
    else errors.push('logits_file must be a path string');
  } catch (e) {
    errors.push(`logits: ${msg(e)}`);
  }
  const lab = o.labels ?? o.targets;
  const labFile = o.labels_file ?? o.targets_file;
  try {
    if (lab !== undefined) rec.labels = toNDArray(lab, 'labels', true);
    else if (typeof labFile === 'string') sidecars.labels = labFile;
    else errors.push('missing labels / targets (or labels_file)');
  } catch (e) {
    errors.push(`labels: ${msg(e)}`);
  }
  if (o.loss_fn !== undefined) {
    if (typeof o.loss_fn === 'string' && (LOSS_FNS as readonly string[]).includes(o.loss_fn)) rec.lossFn = o.loss_fn as LossFn;
    else errors.push(`unknown loss_fn ${JSON.stringify(o.loss_fn)} (expected one of ${LOSS_FNS.join(', ')})`);
  }
  if (o.reduction !== undefined) {
    if (typeof o.reduction === 'string' && (REDUCTIONS as readonly string[]).includes(o.reduction))
      rec.reduction = o.reduction as Reduction;
    else errors.push(`unknown reduction ${JSON.stringify(o.reduction)}`);
  }
  if (typeof o.label_smoothing === 'number') rec.labelSmoothing = o.label_smoothing;
  if (typeof o.ignore_index === 'number') rec.ignoreIndex = o.ignore_index;
  try {
    if (o.weight !== undefined && o.weight !== null) rec.weight = toNDArray(o.weight, 'weight');
    else if (typeof o.weight_file === 'string') sidecars.weight = o.weight_file;
  } catch (e) {
    errors.push(`weight: ${msg(e)}`);
  }
  if (typeof o.loss === 'number') rec.loggedLoss = o.loss;
  if (sidecars.logits !== undefined || sidecars.labels !== undefined || sidecars.weight !== undefined) rec.sidecars = sidecars;
  if (errors.length > 0) rec.error = errors.join('; ');
  return rec;
}

function empty(): NDArray {
  return { dtype: 'f8', shape: [0], data: new Float64Array(0) };
}
function msg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
