// Sigmoid binary cross-entropy on logits: torch.nn.functional.binary_cross_entropy_with_logits.
// Loss, element-wise, exactly torch 1.13's formula (so non-finite inputs give torch's NaN / inf):
//   mv = max(−x, 0)
//   no pos_weight: loss = (1 − t)·x + mv + log(exp(−mv) + exp(−x − mv))
//   pos_weight pw: lw = (pw − 1)·t + 1; loss = (1 − t)·x + lw·(log(exp(−mv) + exp(−x − mv)) + mv)
//   then × weight (broadcast to x's shape); reduction mean = Σ / numel.
// Gradient (torch's backward formula): g = ((pw·t + 1 − t)·σ(x) − pw·t) · weight [/ numel for mean];
// without pos_weight g = (σ(x) − t) · weight. 'none' → gradient of Σ loss.
import type { Reduction } from './model';
import { asTensor, type TensorInput, type TensorLike } from './tensor';

export interface BceOptions {
  /** Element weight, broadcast against the logits (same shape, or trailing-dims shape, or scalar). */
  readonly weight?: TensorInput | null;
  /** Per-class positive weight, broadcast over the last axis (length = last dim). */
  readonly posWeight?: TensorInput | null;
  readonly reduction?: Reduction;
}

export interface BceResult {
  /** number for 'mean' / 'sum'; Float64Array with the logits' shape for 'none'. */
  readonly loss: number | Float64Array;
  readonly lossShape: number[];
  readonly gradNorm: number;
  readonly maxAbsGrad: number;
  /** Per batch item (first axis) L2 norm of the gradient. */
  readonly perSampleGradNorm: Float64Array;
}

export interface BceGradResult extends BceResult {
  readonly grad: Float64Array;
}

/** Returns an index function mapping a flat logits index to the broadcast operand's index. */
function broadcaster(op: TensorLike, shape: readonly number[], what: string): (i: number) => number {
  const n = op.data.length;
  if (n === 1) return () => 0;
  const os = op.shape;
  if (os.length > shape.length) throw new RangeError(`${what}: shape [${os.join(', ')}] does not broadcast to [${shape.join(', ')}]`);
  // numpy broadcasting: align trailing dims; each op dim must be 1 or equal.
  const off = shape.length - os.length;
  const strides: number[] = new Array(shape.length).fill(0);
  let st = 1;
  for (let d = os.length - 1; d >= 0; d--) {
    const od = os[d];
    const xd = shape[d + off];
    if (od !== 1 && od !== xd) throw new RangeError(`${what}: shape [${os.join(', ')}] does not broadcast to [${shape.join(', ')}]`);
    strides[d + off] = od === 1 ? 0 : st;
    st *= od;
  }
  const dims = [...shape];
  return (i: number) => {
    let r = 0;
    for (let d = dims.length - 1; d >= 0; d--) {
      const q = i % dims[d];
      i = (i - q) / dims[d];
      r += q * strides[d];
    }
    return r;
  };
}

function compute(logits: TensorInput, target: TensorInput, o: BceOptions, wantGrad: boolean): BceGradResult | BceResult {
  const xt = asTensor(logits, 'logits');
  const tt = asTensor(target, 'target');
  const shape = xt.shape;
  if (tt.data.length !== xt.data.length || tt.shape.length !== shape.length || tt.shape.some((d, i) => d !== shape[i])) {
    throw new RangeError(`target: needs the logits' shape [${shape.join(', ')}], got [${tt.shape.join(', ')}]`);
  }
  const reduction = o.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new RangeError(`reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`);
  }
  const x = xt.data;
  const t = tt.data;
  const numel = x.length;
  const w = o.weight != null ? asTensor(o.weight, 'weight') : null;
  const wi = w ? broadcaster(w, shape, 'weight') : null;
  const pw = o.posWeight != null ? asTensor(o.posWeight, 'posWeight') : null;
  const pi = pw ? broadcaster(pw, shape, 'posWeight') : null;
  const none = new Float64Array(numel);
  const grad = wantGrad ? new Float64Array(numel) : null;
  const n0 = shape.length > 0 ? shape[0] : 1;
  const per = numel / Math.max(n0, 1);
  const perN = new Float64Array(n0);
  const scale = reduction === 'mean' ? 1 / numel : 1;
  let sum = 0;
  let gsq = 0;
  let maxAbs = 0;
  for (let i = 0; i < numel; i++) {
    const xi = x[i];
    const ti = t[i];
    const mv = Math.max(-xi, 0) || 0; // clamp_min: NaN stays NaN below via the other terms
    const mvv = -xi !== -xi ? NaN : mv;
    let li: number;
    let gi: number;
    const sig = 1 / (1 + Math.exp(-xi));
    if (pw) {
      const p = pw.data[pi!(i)];
      const lw = (p - 1) * ti + 1;
      li = (1 - ti) * xi + lw * (Math.log(Math.exp(-mvv) + Math.exp(-xi - mvv)) + mvv);
      const pt = p * ti;
      gi = (pt + 1 - ti) * sig - pt;
    } else {
      li = (1 - ti) * xi + mvv + Math.log(Math.exp(-mvv) + Math.exp(-xi - mvv));
      gi = sig - ti;
    }
    if (w) {
      const wv = w.data[wi!(i)];
      li *= wv;
      gi *= wv;
    }
    gi *= scale;
    none[i] = li;
    sum += li;
    if (grad) grad[i] = gi;
    const g2 = gi * gi;
    gsq += g2;
    perN[per > 0 ? Math.floor(i / per) : 0] += g2;
    const a = Math.abs(gi);
    if (a > maxAbs) maxAbs = a;
    else if (a !== a) maxAbs = NaN;
  }
  for (let i = 0; i < n0; i++) perN[i] = Math.sqrt(perN[i]);
  const loss = reduction === 'none' ? none : reduction === 'sum' ? sum : sum / numel;
  const r: BceResult = {
    loss,
    lossShape: reduction === 'none' ? [...shape] : [],
    gradNorm: Math.sqrt(gsq),
    maxAbsGrad: maxAbs,
    perSampleGradNorm: perN,
  };
  return grad ? { ...r, grad } : r;
}

/** torch binary_cross_entropy_with_logits: loss and gradient norms (gradient not kept). */
export function sigmoidBinaryCrossEntropy(logits: TensorInput, target: TensorInput, options: BceOptions = {}): BceResult {
  return compute(logits, target, options, false);
}

/** Same, and materialises ∂L/∂x (float64, the logits' layout). */
export function sigmoidBinaryCrossEntropyGrad(logits: TensorInput, target: TensorInput, options: BceOptions = {}): BceGradResult {
  return compute(logits, target, options, true) as BceGradResult;
}
