// Small helpers to accept tensors in the forms callers have at hand.
import type { NDArray } from './model';

/** Any numeric typed array (or plain array) plus a shape. NDArray satisfies this. */
export interface TensorLike {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
}

/** A tensor, or nested number arrays (e.g. parsed JSON: number[][]), or a flat array (1-D). */
export type TensorInput = TensorLike | NDArray | ArrayLike<number> | ReadonlyArray<ReadonlyArray<unknown>>;

/** A float64 result tensor; it is an NDArray (dtype 'f8'), so it can be passed back in. */
export interface F64Tensor extends NDArray {
  readonly dtype: 'f8';
  readonly data: Float64Array;
  readonly shape: number[];
}

export function f64Tensor(data: Float64Array, shape: number[]): F64Tensor {
  return { dtype: 'f8', data, shape };
}

function isTensorLike(x: unknown): x is TensorLike {
  return typeof x === 'object' && x !== null && 'data' in x && 'shape' in x;
}

function jsonNumber(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity' || v === 'inf') return Infinity;
  if (v === '-Infinity' || v === '-inf') return -Infinity;
  if (v === null) return NaN;
  throw new TypeError(`${what}: expected a number, got ${typeof v === 'string' ? JSON.stringify(v) : typeof v}`);
}

/**
 * Normalises input to {data, shape}. Nested arrays must be rectangular; the strings "NaN",
 * "Infinity", "-Infinity" (and null → NaN) are accepted in nested arrays as JSON writers emit them.
 */
export function asTensor(x: TensorInput, what: string): TensorLike {
  if (isTensorLike(x)) {
    const shape = x.shape;
    let n = 1;
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new RangeError(`${what}: bad shape [${shape.join(', ')}]`);
      n *= d;
    }
    if (n !== x.data.length) {
      throw new RangeError(`${what}: shape [${shape.join(', ')}] needs ${n} values, data has ${x.data.length}`);
    }
    return x;
  }
  if (ArrayBuffer.isView(x)) return { data: x as ArrayLike<number>, shape: [(x as ArrayLike<number>).length] };
  if (!Array.isArray(x)) throw new TypeError(`${what}: expected a tensor {data, shape} or an array`);
  const shape: number[] = [];
  let probe: unknown = x;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  let n = 1;
  for (const d of shape) n *= d;
  const data = new Float64Array(n);
  let k = 0;
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      data[k++] = jsonNumber(v, what);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) throw new RangeError(`${what}: ragged nested array`);
    for (const e of v) walk(e, depth + 1);
  };
  walk(x, 0);
  return { data, shape };
}

export function sizeOf(shape: readonly number[], from = 0, to = shape.length): number {
  let n = 1;
  for (let i = from; i < to; i++) n *= shape[i];
  return n;
}
