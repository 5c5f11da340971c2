// Recomputation of a logged batch's loss with the core (PyTorch-exact softmax cross-entropy).
// No loss math here: this file only maps a LogitRecord onto the core's inputs and options.
// Core errors are thrown, never swallowed: summary.ts turns them into a visible reason.
import type { LogitRecord, LossFn, NDArray, Reduction } from '../model';
import { sigmoidBinaryCrossEntropy, softmax, softmaxCrossEntropy, type CrossEntropyOptions } from '../index';

export interface Recomputation {
  /** The loss the declared (or inferred) loss function gives on the logged logits and labels. */
  loss: number;
  /** ‖∂L/∂z‖₂ of that loss. */
  gradNorm: number;
  maxAbsGrad: number;
  targetKind: 'index' | 'probability';
  /** The reduction used ('none' is recomputed as 'mean', since a logged loss is one number). */
  reduction: 'mean' | 'sum';
  /** The 'mean' denominator (Σ w_y of non-ignored targets, or N·d… for probabilities). */
  totalWeight: number;
  /** True when the logged values were taken as probabilities (Keras losses without from_logits). */
  fromProbabilities: boolean;
}

/** Keras losses default to from_logits=False: their inputs are probabilities (clipped at 1e-7). */
const KERAS: ReadonlySet<LossFn | undefined> = new Set<LossFn | undefined>(['categorical_crossentropy', 'sparse_categorical_crossentropy']);
const KERAS_EPSILON = 1e-7;

export function isProbabilityRows(a: NDArray): boolean {
  const shape = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
  const n = shape[0]!;
  const c = shape[1] ?? 0;
  const s = shape.slice(2).reduce((x, y) => x * y, 1);
  if (c < 2 || n * s === 0) return false;
  const z = a.data;
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < s; p++) {
      let sum = 0;
      for (let k = 0; k < c; k++) {
        const v = z[(i * c + k) * s + p]!;
        if (!(v >= 0 && v <= 1)) return false;
        sum += v;
      }
      if (Math.abs(sum - 1) > 1e-3) return false;
    }
  }
  return true;
}

/** log(clip(p, ε, 1 − ε)) as Keras does for probability inputs. */
function kerasLog(a: NDArray): NDArray {
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.log(Math.min(1 - KERAS_EPSILON, Math.max(KERAS_EPSILON, a.data[i]!)));
  return { dtype: 'f8', shape: a.shape, data: out };
}

/** Inputs of a record, normalised: logits [N, C, d…], labels as the core wants them. */
export interface Prepared {
  logits: NDArray;
  labels: NDArray;
  options: CrossEntropyOptions;
  fromProbabilities: boolean;
  /** bce_with_logits: element-wise sigmoid + binary cross-entropy (multi-label), not softmax CE. */
  sigmoid?: boolean;
}

/**
 * Maps a record (or a row block of one) onto the core's inputs. `probabilities` is the record-wide
 * "every row is a probability row" decision (Keras losses then take log(clip(p))); undefined = decide
 * from these logits.
 */
export function prepare(record: Omit<LogitRecord, 'provenance' | 'step' | 'split'>, probabilities?: boolean): Prepared | undefined {
  if (record.error) return undefined;
  if (record.lossFn === 'bce_with_logits') {
    let labels = record.labels;
    // one logit per sample: [N, 1] logits with [N] targets (the label checks accept both forms)
    if (
      labels.shape.join() !== record.logits.shape.join() &&
      labels.data.length === record.logits.data.length &&
      record.logits.shape.at(-1) === 1
    ) {
      labels = { ...labels, shape: [...record.logits.shape] };
    }
    if (record.logits.shape.join() !== labels.shape.join()) return undefined;
    const reduction: Reduction = record.reduction === 'sum' ? 'sum' : 'mean';
    return {
      logits: record.logits,
      labels,
      options: { reduction, weight: record.weight ?? null },
      fromProbabilities: false,
      sigmoid: true,
    };
  }
  let logits = record.logits;
  let labels = record.labels;
  if (logits.shape.length === 1) {
    logits = { ...logits, shape: [1, logits.shape[0]!] };
    labels = { ...labels, shape: labels.shape.length === 0 ? [1] : [1, ...labels.shape] };
  }
  const c = logits.shape[1]!;
  // Keras-style [N, 1] class-id column
  if (logits.shape.length === 2 && labels.shape.length === 2 && labels.shape[1] === 1 && c !== 1) {
    labels = { ...labels, shape: [labels.shape[0]!] };
  }
  let fromProbabilities = false;
  if (KERAS.has(record.lossFn) && (probabilities ?? isProbabilityRows(logits))) {
    logits = kerasLog(logits);
    fromProbabilities = true;
  }
  const reduction: Reduction = record.reduction === 'sum' ? 'sum' : 'mean';
  const options: CrossEntropyOptions = {
    reduction,
    labelSmoothing: record.labelSmoothing ?? 0,
    ignoreIndex: record.ignoreIndex ?? -100,
    weight: record.weight ?? null,
  };
  return { logits, labels, options, fromProbabilities };
}

/** Runs the core on prepared inputs with option overrides. Throws the core's error (bad options, shapes). */
export function evaluate(p: Prepared, overrides: Partial<CrossEntropyOptions> = {}, logits: NDArray = p.logits): Recomputation {
  if (p.sigmoid) {
    const reduction = overrides.reduction ?? p.options.reduction;
    const b = sigmoidBinaryCrossEntropy(logits, p.labels, {
      reduction,
      weight: overrides.weight === undefined ? (p.options.weight ?? null) : overrides.weight,
    });
    if (typeof b.loss !== 'number') throw new Error('the loss is not a number');
    return {
      loss: b.loss,
      gradNorm: b.gradNorm,
      maxAbsGrad: b.maxAbsGrad,
      targetKind: 'probability',
      reduction: reduction === 'sum' ? 'sum' : 'mean',
      totalWeight: logits.data.length,
      fromProbabilities: false,
    };
  }
  const r = softmaxCrossEntropy(logits, p.labels, { ...p.options, ...overrides });
  if (typeof r.loss !== 'number') throw new Error('the loss is not a number');
  return {
    loss: r.loss,
    gradNorm: r.gradNorm,
    maxAbsGrad: r.maxAbsGrad,
    targetKind: r.targetKind,
    reduction: r.reduction === 'sum' ? 'sum' : 'mean',
    totalWeight: r.totalWeight,
    fromProbabilities: p.fromProbabilities,
  };
}

/** evaluate(), or undefined when the core rejects the inputs (for optional what-if candidates only). */
export function tryEvaluate(
  p: Prepared,
  overrides: Partial<CrossEntropyOptions> = {},
  logits: NDArray = p.logits,
): Recomputation | undefined {
  try {
    return evaluate(p, overrides, logits);
  } catch {
    return undefined;
  }
}

/** softmax(z) of the prepared logits (the "softmax applied twice" hypothesis feeds this to the loss). */
export function softmaxOf(p: Prepared): NDArray | undefined {
  try {
    return softmax(p.logits);
  } catch {
    return undefined;
  }
}
