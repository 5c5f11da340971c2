// Row-wise logSumExp / logSoftmax / softmax with PyTorch's exact non-finite semantics.
// Float64 accumulation, max subtraction. The reduced axis defaults to 1 (classes of [N, C, d…]),
// or 0 for 1-D input.
//
// torch semantics reproduced here (see docs/core.md):
//   log_softmax / softmax: m = max (NaN-propagating); out = (x − m) − log Σ exp(x − m).
//     a row with NaN, with +inf, or with only −inf → the whole row is NaN; −inf entries → −inf / 0.
//   logsumexp: like torch.logsumexp, an infinite max is replaced by 0 before subtracting, so
//     all −inf → −inf, any +inf → +inf (unless NaN present → NaN).
import { asTensor, f64Tensor, sizeOf, type F64Tensor, type TensorInput } from './tensor';

/** Maximum with NaN propagation (as torch's max / vectorised maximum). */
export function rowMax(x: ArrayLike<number>, base: number, n: number, stride: number): number {
  let m = -Infinity;
  for (let k = 0, j = base; k < n; k++, j += stride) {
    const v = x[j];
    if (v > m) m = v;
    else if (v !== v) return NaN;
  }
  return m;
}

interface Layout {
  outer: number;
  c: number;
  inner: number;
  shape: readonly number[];
}

function layout(shape: readonly number[], axis: number | undefined, what: string): Layout {
  const nd = shape.length;
  const ax = axis ?? (nd >= 2 ? 1 : 0);
  if (nd === 0) throw new RangeError(`${what}: needs at least 1 dimension`);
  const a = ax < 0 ? ax + nd : ax;
  if (!Number.isInteger(a) || a < 0 || a >= nd) throw new RangeError(`${what}: axis ${ax} out of range for ${nd}-d input`);
  return { outer: sizeOf(shape, 0, a), c: shape[a], inner: sizeOf(shape, a + 1), shape };
}

function reducedShape(shape: readonly number[], axis: number | undefined): number[] {
  const nd = shape.length;
  const ax = axis ?? (nd >= 2 ? 1 : 0);
  const a = ax < 0 ? ax + nd : ax;
  return shape.filter((_, i) => i !== a);
}

/** log Σ exp along `axis` (torch.logsumexp semantics). Output shape: input shape without `axis`. */
export function logSumExp(input: TensorInput, axis?: number): F64Tensor {
  const t = asTensor(input, 'logSumExp');
  const { outer, c, inner } = layout(t.shape, axis, 'logSumExp');
  const x = t.data;
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let s = 0; s < inner; s++) {
      const base = o * c * inner + s;
      let m = rowMax(x, base, c, inner);
      if (m === Infinity || m === -Infinity) m = 0;
      let sum = 0;
      for (let k = 0, j = base; k < c; k++, j += inner) sum += Math.exp(x[j] - m);
      out[o * inner + s] = Math.log(sum) + m;
    }
  }
  return f64Tensor(out, reducedShape(t.shape, axis));
}

function softmaxImpl(input: TensorInput, axis: number | undefined, log: boolean): F64Tensor {
  const what = log ? 'logSoftmax' : 'softmax';
  const t = asTensor(input, what);
  const { outer, c, inner } = layout(t.shape, axis, what);
  const x = t.data;
  const out = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let s = 0; s < inner; s++) {
      const base = o * c * inner + s;
      const m = rowMax(x, base, c, inner);
      let sum = 0;
      for (let k = 0, j = base; k < c; k++, j += inner) {
        const e = Math.exp(x[j] - m);
        sum += e;
        if (!log) out[j] = e;
      }
      if (log) {
        const ls = Math.log(sum);
        for (let k = 0, j = base; k < c; k++, j += inner) out[j] = x[j] - m - ls;
      } else {
        const inv = 1 / sum;
        for (let k = 0, j = base; k < c; k++, j += inner) out[j] = out[j] * inv;
      }
    }
  }
  return f64Tensor(out, [...t.shape]);
}

/** log_softmax along `axis` (default 1), torch semantics, float64 result. */
export function logSoftmax(input: TensorInput, axis?: number): F64Tensor {
  return softmaxImpl(input, axis, true);
}

/** softmax along `axis` (default 1), torch semantics, float64 result (an NDArray: can be fed back). */
export function softmax(input: TensorInput, axis?: number): F64Tensor {
  return softmaxImpl(input, axis, false);
}
