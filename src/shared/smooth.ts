// Debiased exponential moving average, exactly as TensorBoard's scalar dashboard computes it
// (tensorboard/webapp/widgets/line_chart_v2/lib/... `resmoothDataSeries`):
//   last = last * w + (1 - w) * y;  n++;  smoothed = last / (1 - w^n)
// Non-finite values pass through unchanged and do not enter the average.
// Computed on full-resolution data, incrementally (append-only), never on downsampled points.

export const MAX_SMOOTHING = 0.999;

export interface EmaState {
  /** Running (biased) average. */
  last: number;
  /** Number of finite values accumulated. */
  count: number;
  /** weight^count as a running product (kept so split and one-pass runs are bit-identical). */
  pow: number;
}

export function emaInit(): EmaState {
  return { last: 0, count: 0, pow: 1 };
}

/** Throws RangeError unless 0 <= weight < 1. */
export function checkSmoothing(weight: number): void {
  if (typeof weight !== 'number' || !(weight >= 0 && weight < 1)) {
    throw new RangeError(`smoothing weight must be a number in [0, 1), got ${String(weight)}`);
  }
}

/**
 * Smooths ys[from..to) into out[from..to), continuing from `state` (which is updated).
 * `out` must have length >= to.
 */
export function emaAppend(weight: number, ys: ArrayLike<number>, from: number, to: number, out: Float64Array, state: EmaState): void {
  checkSmoothing(weight);
  if (from < 0 || to > ys.length || to > out.length || from > to) {
    throw new RangeError(`emaAppend: bad range [${from}, ${to}) for ${ys.length} values / ${out.length} outputs`);
  }
  let last = state.last;
  let count = state.count;
  const keep = 1 - weight;
  // weight^count, kept as a running product (Math.pow per point is the slow part); once
  // 1 - weight^count rounds to exactly 1, debiasing is a no-op and the fast loop takes over.
  let pw = weight === 0 ? 0 : state.pow;
  let i = from;
  for (; i < to && pw > 1e-17; i++) {
    const y = ys[i];
    if (y - y !== 0) {
      out[i] = y;
      continue;
    }
    last = last * weight + keep * y;
    count++;
    pw *= weight;
    out[i] = last / (1 - pw);
  }
  for (; i < to; i++) {
    const y = ys[i];
    if (y - y !== 0) {
      out[i] = y;
      continue;
    }
    last = last * weight + keep * y;
    count++;
    out[i] = last;
  }
  state.last = last;
  state.count = count;
  state.pow = pw;
}

/** Convenience: smooth a whole series. */
export function smoothEma(ys: ArrayLike<number>, weight: number): Float64Array {
  const out = new Float64Array(ys.length);
  emaAppend(weight, ys, 0, ys.length, out, emaInit());
  return out;
}
