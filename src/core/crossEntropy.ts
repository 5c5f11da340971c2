// Softmax cross-entropy with PyTorch semantics (torch.nn.functional.cross_entropy; checked against torch 1.13 fixtures),
// its gradient ∂L/∂z and the gradient's norms. See docs/core.md for the semantics table.
//
// Notation per sample position i (n, d…) with logits row z (classes on axis 1):
//   m = max z (NaN-propagating), s = Σ exp(z − m), logp = (z − m) − log s, p = exp(z − m) / s.
//   Index target y: loss_i = (1−ε)·(−w_y·logp_y) + (ε/C)·(−Σ_k w_k·logp_k)   (ε term only when ε > 0)
//   Probability target t: t' = t(1−ε) + ε/C; loss_i = −Σ_k logp_k·t'_k·w_k
//   Gradient row: g = scale·(p·A − b), b = per-class "weighted target", A = Σ b.
//   mean: index targets divide by Σ w_y over non-ignored samples (torch nll_loss), probability
//   targets by the number of positions N·d…; every target ignored → NaN. 'none' → gradient of Σ loss_i.
//   Ignored samples: loss 0, gradient p·0 (0, or NaN when the row itself is NaN — as torch).
import type { Reduction } from './model';
import { rowMax } from './softmax';
import { asTensor, sizeOf, type TensorInput, type TensorLike } from './tensor';
import { getKernel } from './wasm/kernel';

export type TargetKind = 'index' | 'probability';

export interface CrossEntropyOptions {
  /** Per-class weight, length C. */
  readonly weight?: TensorInput | null;
  /** Index targets equal to this are ignored (default −100). */
  readonly ignoreIndex?: number;
  /** Label smoothing ε in [0, 1] (default 0). */
  readonly labelSmoothing?: number;
  /** Default 'mean'. */
  readonly reduction?: Reduction;
  /** 'auto' (default): probability targets iff target.shape equals logits.shape (torch's rule). */
  readonly targetKind?: 'auto' | TargetKind;
  /** 'auto' (default) uses the WebAssembly SIMD kernel for float32 logits where it applies. */
  readonly engine?: 'auto' | 'js' | 'wasm';
}

export interface CrossEntropyResult {
  /** number for 'mean' / 'sum'; Float64Array with shape `lossShape` ([N, d…]) for 'none'. */
  readonly loss: number | Float64Array;
  /** Shape of `loss`: [] for 'mean' / 'sum'. */
  readonly lossShape: number[];
  /** L2 norm of ∂L/∂z over the whole gradient ('none': gradient of Σ loss_i). */
  readonly gradNorm: number;
  /** max |∂L/∂z| (NaN if any gradient entry is NaN, as torch's max). */
  readonly maxAbsGrad: number;
  /** L2 norm of the gradient of each batch item n (over its C × d… entries), length N. */
  readonly perSampleGradNorm: Float64Array;
  readonly targetKind: TargetKind;
  readonly reduction: Reduction;
  /** The 'mean' denominator: Σ w_y over non-ignored targets (index) or N·d… (probability). */
  readonly totalWeight: number;
  /** Which code path ran. */
  readonly engine: 'js' | 'wasm';
}

export interface CrossEntropyGradResult extends CrossEntropyResult {
  /** ∂L/∂z, same layout and shape as the logits. */
  readonly grad: Float64Array;
  readonly gradShape: number[];
}

interface Problem {
  readonly z: ArrayLike<number>;
  readonly shape: readonly number[];
  readonly n: number;
  readonly c: number;
  readonly inner: number;
  readonly kind: TargetKind;
  readonly y: ArrayLike<number> | null; // index targets, length n·inner
  readonly t: ArrayLike<number> | null; // probability targets, same layout as z
  readonly w: Float64Array | null;
  readonly wSum: number;
  readonly eps: number;
  readonly ignore: number;
  readonly reduction: Reduction;
  readonly lossShape: number[];
}

function prepare(logits: TensorInput, target: TensorInput, o: CrossEntropyOptions): Problem {
  const zt = asTensor(logits, 'logits');
  let shape = zt.shape;
  let unbatched = false;
  if (shape.length === 0) throw new RangeError('logits: must have at least 1 dimension (classes)');
  if (shape.length === 1) {
    shape = [1, shape[0]];
    unbatched = true;
  }
  const n = shape[0];
  const c = shape[1];
  const inner = sizeOf(shape, 2);
  const reduction = o.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new RangeError(`reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`);
  }
  const eps = o.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new RangeError(`labelSmoothing must be in [0, 1], got ${eps}`);
  const ignore = o.ignoreIndex ?? -100;
  if (!Number.isInteger(ignore)) throw new RangeError(`ignoreIndex must be an integer, got ${ignore}`);

  const tt = asTensor(target, 'target');
  const sameShape = tt.shape.length === zt.shape.length && tt.shape.every((d, i) => d === zt.shape[i]);
  let kind: TargetKind = o.targetKind === 'index' || o.targetKind === 'probability' ? o.targetKind : sameShape ? 'probability' : 'index';
  let y: ArrayLike<number> | null = null;
  let t: ArrayLike<number> | null = null;
  if (kind === 'probability') {
    if (!sameShape) {
      throw new RangeError(`target: probability targets need the logits' shape [${zt.shape.join(', ')}], got [${tt.shape.join(', ')}]`);
    }
    t = tt.data;
  } else {
    const want = [n, ...shape.slice(2)];
    const count = n * inner;
    const okShape =
      (tt.shape.length === want.length && tt.shape.every((d, i) => d === want[i])) ||
      (unbatched && tt.data.length === 1) ||
      (tt.shape.length === 1 && tt.data.length === count && inner === 1);
    if (!okShape) {
      throw new RangeError(
        `target: class-index targets need shape [${want.join(', ')}] for logits [${zt.shape.join(', ')}], got [${tt.shape.join(', ')}]`,
      );
    }
    y = tt.data;
    for (let i = 0; i < count; i++) {
      const v = y[i];
      if (v === ignore) continue;
      if (!Number.isInteger(v)) {
        throw new RangeError(`target: class index at position ${i} is ${v}, not an integer (probability targets need the logits' shape)`);
      }
      if (v < 0 || v >= c) throw new RangeError(`target: class index ${v} at position ${i} is out of range [0, ${c})`);
    }
    kind = 'index';
  }

  let w: Float64Array | null = null;
  let wSum = c;
  if (o.weight !== undefined && o.weight !== null) {
    const wt = asTensor(o.weight, 'weight');
    if (wt.data.length !== c) throw new RangeError(`weight: needs one value per class (${c}), got ${wt.data.length}`);
    w = Float64Array.from(wt.data);
    wSum = 0;
    for (let k = 0; k < c; k++) wSum += w[k];
  }
  const lossShape = reduction === 'none' ? (unbatched ? [] : [n, ...shape.slice(2)]) : [];
  return { z: zt.data, shape: zt.shape, n, c, inner, kind, y, t, w, wSum, eps, ignore, reduction, lossShape };
}

/** Neumaier-compensated running sum. */
class Sum {
  s = 0;
  comp = 0;
  add(v: number): void {
    const t = this.s + v;
    if (Math.abs(this.s) >= Math.abs(v)) this.comp += this.s - t + v;
    else this.comp += v - t + this.s;
    this.s = t;
  }
  get value(): number {
    const r = this.s + this.comp;
    return r === r ? r : this.s; // inf − inf in the compensation must not turn an inf sum into NaN
  }
}

interface Acc {
  nll: Sum; // Σ (−w_y logp_y) (index) or Σ loss_i (probability)
  smooth: Sum; // Σ (−Σ_k w_k logp_k) over non-ignored (index, ε > 0)
  none: Float64Array | null;
  gsq: Sum;
  perN: Float64Array; // Σ g² per batch item
  maxAbs: number;
}

function denominator(p: Problem): number {
  if (p.kind === 'probability') return p.n * p.inner;
  const y = p.y!;
  let d = 0;
  for (let i = 0; i < p.n * p.inner; i++) {
    const v = y[i];
    if (v === p.ignore) continue;
    d += p.w ? p.w[v] : 1;
  }
  return d;
}

function trackMax(acc: Acc, a: number): void {
  if (a > acc.maxAbs) acc.maxAbs = a;
  else if (a !== a) acc.maxAbs = NaN;
}

/** The reference path for one position (n, s); `e` is scratch of length ≥ C. */
function jsPosition(p: Problem, nIdx: number, sIdx: number, scale: number, acc: Acc, e: Float64Array, grad: Float64Array | null): void {
  const { z, c, inner, eps, w } = p;
  const base = nIdx * c * inner + sIdx;
  const pos = nIdx * inner + sIdx;
  const m = rowMax(z, base, c, inner);
  let sum = 0;
  for (let k = 0, j = base; k < c; k++, j += inner) {
    const v = Math.exp(z[j] - m);
    e[k] = v;
    sum += v;
  }
  const ls = Math.log(sum);
  const inv = 1 / sum;
  let rowSq = 0;
  const epc = eps / c;
  if (p.kind === 'index') {
    const y = p.y![pos];
    if (y === p.ignore) {
      if (acc.none) acc.none[pos] = 0;
      for (let k = 0, j = base; k < c; k++, j += inner) {
        const g = e[k] * inv * 0;
        if (grad) grad[j] = g;
        rowSq += g * g;
        trackMax(acc, Math.abs(g));
      }
    } else {
      const wy = w ? w[y] : 1;
      const nll = -((z[base + y * inner] - m - ls) * wy);
      acc.nll.add(nll);
      let li = nll;
      let A = wy;
      if (eps > 0) {
        let sm = 0;
        for (let k = 0, j = base; k < c; k++, j += inner) {
          const lp = z[j] - m - ls;
          sm += w ? lp * w[k] : lp;
        }
        sm = -sm;
        acc.smooth.add(sm);
        li = (1 - eps) * nll + sm * epc;
        A = (1 - eps) * wy + epc * p.wSum;
      }
      if (acc.none) acc.none[pos] = li;
      const by = eps > 0 ? (1 - eps) * wy : wy;
      for (let k = 0, j = base; k < c; k++, j += inner) {
        let b = eps > 0 ? epc * (w ? w[k] : 1) : 0;
        if (k === y) b += by;
        const g = scale * (e[k] * inv * A - b);
        if (grad) grad[j] = g;
        rowSq += g * g;
        trackMax(acc, Math.abs(g));
      }
    }
  } else {
    const t = p.t!;
    let li = 0;
    let A = 0;
    for (let k = 0, j = base; k < c; k++, j += inner) {
      const tk = eps > 0 ? t[j] * (1 - eps) + epc : t[j];
      const b = w ? tk * w[k] : tk;
      A += b;
      li += (z[j] - m - ls) * tk * (w ? w[k] : 1);
    }
    li = -li;
    acc.nll.add(li);
    if (acc.none) acc.none[pos] = li;
    for (let k = 0, j = base; k < c; k++, j += inner) {
      const tk = eps > 0 ? t[j] * (1 - eps) + epc : t[j];
      const b = w ? tk * w[k] : tk;
      const g = scale * (e[k] * inv * A - b);
      if (grad) grad[j] = g;
      rowSq += g * g;
      trackMax(acc, Math.abs(g));
    }
  }
  acc.gsq.add(rowSq);
  acc.perN[nIdx] += rowSq;
}

function finish(p: Problem, acc: Acc, d: number, engine: 'js' | 'wasm'): CrossEntropyResult {
  let loss: number | Float64Array;
  if (p.reduction === 'none') {
    loss = acc.none!;
  } else {
    const nll = acc.nll.value;
    const div = p.reduction === 'mean' ? d : 1;
    if (p.kind === 'index' && p.eps > 0) {
      const sm = acc.smooth.value;
      loss = p.reduction === 'mean' ? (1 - p.eps) * (nll / d) + (sm / d) * (p.eps / p.c) : (1 - p.eps) * nll + sm * (p.eps / p.c);
    } else {
      loss = p.reduction === 'mean' ? nll / div : nll;
    }
  }
  const perN = acc.perN;
  for (let i = 0; i < perN.length; i++) perN[i] = Math.sqrt(perN[i]);
  return {
    loss,
    lossShape: p.lossShape,
    gradNorm: Math.sqrt(acc.gsq.value),
    maxAbsGrad: p.n * p.c * p.inner === 0 ? 0 : acc.maxAbs,
    perSampleGradNorm: perN,
    targetKind: p.kind,
    reduction: p.reduction,
    totalWeight: d,
    engine,
  };
}

function newAcc(p: Problem): Acc {
  return {
    nll: new Sum(),
    smooth: new Sum(),
    none: p.reduction === 'none' ? new Float64Array(p.n * p.inner) : null,
    gsq: new Sum(),
    perN: new Float64Array(p.n),
    maxAbs: 0,
  };
}

function fastPathApplies(p: Problem, o: CrossEntropyOptions): boolean {
  if (o.engine === 'js') return false;
  if (p.kind !== 'index' || p.eps > 0 || p.inner !== 1 || p.c < 1) return false;
  if (!(p.z instanceof Float32Array)) return false; // float64 logits: the exact reference path
  return getKernel() !== null;
}

function run(
  logits: TensorInput,
  target: TensorInput,
  o: CrossEntropyOptions,
  wantGrad: boolean,
): CrossEntropyResult & { grad?: Float64Array } {
  const p = prepare(logits, target, o);
  const acc = newAcc(p);
  if (!wantGrad && fastPathApplies(p, o)) {
    const d = fastRows(p, acc);
    return finish(p, acc, d, 'wasm');
  }
  const d = denominator(p);
  const scale = p.reduction === 'mean' ? 1 / d : 1;
  const grad = wantGrad ? new Float64Array(p.z.length) : null;
  const e = new Float64Array(Math.max(p.c, 1));
  for (let n = 0; n < p.n; n++) {
    for (let s = 0; s < p.inner; s++) jsPosition(p, n, s, scale, acc, e, grad);
  }
  const r = finish(p, acc, d, 'js');
  return grad ? { ...r, grad } : r;
}

/**
 * Fused fast path (index targets, ε = 0, float32 [N, C] logits): the SIMD kernel returns the weighted
 * loss sum, Σ‖g‖² and max |g| before the reduction scale, and per-row ‖g‖²; rows it flags as
 * non-finite are recomputed by the reference path. Returns the 'mean' denominator.
 */
function fastRows(p: Problem, acc: Acc): number {
  const kernel = getKernel()!;
  const { n, c } = p;
  const perN = acc.perN;
  const sums = kernel.crossEntropy(true, p.z as Float32Array, n, c, p.y!, p.ignore, p.w, acc.none, perN);
  const d = sums.weight;
  const scale = p.reduction === 'mean' ? 1 / d : 1;
  const s2 = scale * scale;
  const y = p.y!;
  // d = 0 ('mean' over nothing, or zero weights) makes the scale infinite: ignored rows keep their exact
  // 0 gradient, the others get 0·inf = NaN as in the reference path.
  let live = d !== 0;
  if (!live) for (let i = 0; i < n && !live; i++) live = y[i] !== p.ignore;
  acc.nll.add(sums.loss);
  if (live) {
    acc.gsq.add(sums.sq * s2);
    trackMax(acc, sums.maxAbs * Math.abs(scale));
  }
  if (s2 !== 1 || sums.bad > 0) {
    let e: Float64Array | null = null;
    for (let i = 0; i < n; i++) {
      const v = perN[i];
      if (v === v) {
        perN[i] = d === 0 && y[i] === p.ignore ? 0 : v * s2;
        continue;
      }
      // Non-finite row (NaN, +inf or all −inf): the reference path reproduces torch exactly.
      perN[i] = 0;
      e ??= new Float64Array(c);
      jsPosition(p, i, 0, scale, acc, e, null);
    }
  }
  return d;
}

/** Loss, gradient norm, per-sample gradient norms and max |grad| in one fused pass (no gradient materialised). */
export function softmaxCrossEntropy(logits: TensorInput, target: TensorInput, options: CrossEntropyOptions = {}): CrossEntropyResult {
  const r = run(logits, target, options, false);
  return r;
}

/** Like softmaxCrossEntropy, and materialises ∂L/∂z (float64, the logits' layout). Always the reference path. */
export function crossEntropyGrad(logits: TensorInput, target: TensorInput, options: CrossEntropyOptions = {}): CrossEntropyGradResult {
  const r = run(logits, target, { ...options, engine: 'js' }, true);
  const shape = asTensor(logits, 'logits').shape;
  return { ...r, grad: r.grad!, gradShape: [...shape] };
}

/** The loss only (number, or Float64Array for reduction 'none'). */
export function crossEntropyLoss(logits: TensorInput, target: TensorInput, options: CrossEntropyOptions = {}): number | Float64Array {
  const p = prepare(logits, target, options);
  if (fastPathApplies(p, options)) {
    // Index targets, ε = 0: loss = Σ w_y·(−log p_y) / Σ w_y ('mean'); a non-finite row gives NaN as in torch.
    const none = p.reduction === 'none' ? new Float64Array(p.n) : null;
    const sums = getKernel()!.crossEntropy(false, p.z as Float32Array, p.n, p.c, p.y!, p.ignore, p.w, none, null);
    if (none) return none;
    return p.reduction === 'mean' ? sums.loss / sums.weight : sums.loss;
  }
  return run(logits, target, options, false).loss;
}

export type { TensorLike };
