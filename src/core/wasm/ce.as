// AssemblyScript source of the WebAssembly SIMD cross-entropy kernel (float32 logits, [N, C]).
// Build: node src/core/wasm/build.mjs  (runs the npm-installed `asc`, writes ceWasm.ts).
//
// ceLossBlock / ceFusedBlock(z, n, c, y, w, lossOut, [sqOut,] res) handle n rows of C classes (index
// targets, y = −1 for an ignored row; w = 0 or a pointer to C float64 class weights).
// Row path (C > 64, and rows the 4-row path hands back), per row with target y:
//   1. m = max z, min z and "has a NaN" from integer max_s / max_u / min_u reductions of the float
//      bits (see rowMax; integer SIMD ops spread over more pipes than float min/max/add).
//   2. S1 = Σ_{k≠y} exp(z_k − m). Rows with min − m ≥ −86 (the usual case) run an exp without the
//      underflow mask and zero the target's lane in the one 32-class chunk that holds it; other rows
//      (−inf entries, spreads beyond 86) use the masked exp with z_y set to −inf in the (copied) block
//      during the pass. Both give bit-identical sums.
//      exp: e^x = 2^u, u = fl(x·log2 e) = k + f, k = round(u) (magic-number add), f = u − k (exact),
//      2^f by a degree-5 minimax polynomial P on [−½, ½] (rel. err 9.1e-8, 1.9e-7 with f32
//      evaluation), 2^k added to P's exponent bits; exp(0) = 1 exactly, x < −86 → 0. Eight vectors
//      per iteration (their constants are function locals: V8 keeps them in registers or one stack
//      slot instead of reloading globals), summed pairwise in f32 (3 roundings); the sums of two
//      32-class chunks (classes 64j … 64j + 63, in sumExp and sumExpFast alike, so both stay
//      bit-identical) are added in f32 before each widening into float64 lanes: 4 roundings of positive
//      terms, relative error ≤ 4·2^-24 = 2.4e-7 of the 64-class partial sum (was 3·2^-24 with a
//      widening per chunk), for ≈ 3 % fewer SIMD ops.
//      Accuracy of the one-rounding reduction (no Cody–Waite x − k·ln2, which costs 3 more ops per
//      vector): rounding x·log2 e to f32 (and log2 e itself) moves e^x by a relative error
//      ≤ |x|·(2^-24 + 1.4e-8) ≤ |x|·7.4e-8, large only where e^x is tiny. Weighted by e^x it is small:
//      with p_k = e_k/s (s ≥ 1), |x_k| = −log p_k − log s, so the relative error it adds to s is
//      ≤ 7.4e-8·Σ p_k|x_k| = 7.4e-8·(H(p) − log s) ≤ 7.4e-8·ln C (5e-7 at C = 1000, 8e-7 at 50 257,
//      worst case; the absolute error of log s and so of the loss). That is the same form and size
//      as the error already made by rounding x = z − m to f32 (|x|·2^-24 per term when inexact), so
//      the worst-case bound grows by a constant factor, not an order of magnitude; on the bench data
//      the rows' largest relative loss / ‖g‖² errors against a float64 reference (with the summation
//      below) are 1.9e-8 / 1.4e-7 (C = 1000; 2.2e-8 / 1.0e-7 with Cody–Waite and a widening per chunk),
//      5.4e-9 / 3.4e-8 (C = 50 257; 5.0e-9 / 6.3e-8), 4.7e-7 / 9.7e-7 (C = 10; 3.5e-7 / 6.8e-7).
//   3. e_y = exp(z_y − m) (the same f32 exp), s = S1 + e_y, loss = w_y·((m − z_y) + log s), with
//      log1p(S1) when z_y is the max (e_y = 1) so confident rows keep full relative accuracy.
//   fused: also S2 = Σ_{k≠y} e_k² and, with p = e/s,
//      ‖p − onehot(y)‖² = (S2 + S1²)/s²,   max |p − onehot(y)| = 1 − p_y = S1/s   (no 1 − p cancellation)
// 4-row path (C ≤ 64): see the comment above SMALL_C.
// Outputs: res[0] = Σ w_y·loss (Neumaier), res[1] = Σ w_y²‖g‖², res[2] = max w_y·(1 − p_y),
//   res[3] = number of non-finite rows (fused mode: their sqOut is NaN and they are excluded from the
//   sums; the caller recomputes them with the reference path), res[4] = Σ w_y over non-ignored rows.
//   lossOut (optional, 0 = none): per-row w_y·loss (0 for ignored rows, NaN for non-finite rows).
//   sqOut (fused): per-row w_y²‖g‖² (0 for ignored finite rows, NaN for non-finite rows).
// Loss mode: a non-finite, non-ignored row (NaN, +inf, all −inf) has loss NaN, as in torch.

// @ts-nocheck

// Polynomial constants live in mutable globals set by initConstants(): V8 would otherwise rebuild
// every v128 constant inside the hot loop (several instructions each).
let KLOG2E: v128 = i32x4.splat(0);
let KMAGIC: v128 = i32x4.splat(0);
let KP1: v128 = i32x4.splat(0);
let KP2: v128 = i32x4.splat(0);
let KP3: v128 = i32x4.splat(0);
let KP4: v128 = i32x4.splat(0);
let KP5: v128 = i32x4.splat(0);
let KONE: v128 = i32x4.splat(0);
let KLOW: v128 = i32x4.splat(0);
let KNEGINF: v128 = i32x4.splat(0);

export function initConstants(): void {
  initLogConstants();
  KLOG2E = f32x4.splat(1.44269504088896341);
  KMAGIC = f32x4.splat(12582912.0);
  KP1 = f32x4.splat(0.6931470036506653);
  KP2 = f32x4.splat(0.24022242426872253);
  KP3 = f32x4.splat(0.05550733581185341);
  KP4 = f32x4.splat(0.009671512991189957);
  KP5 = f32x4.splat(0.0013264729641377926);
  KONE = f32x4.splat(1.0);
  KLOW = f32x4.splat(-86.0);
  KNEGINF = f32x4.splat(-Infinity);
}

@inline function exp4(x: v128): v128 {
  return exp4c(x, KLOG2E, KMAGIC, KP1, KP2, KP3, KP4, KP5, KONE, KLOW);
}
@inline function exp4c(x: v128, KLOG2E: v128, KMAGIC: v128, KP1: v128, KP2: v128, KP3: v128, KP4: v128, KP5: v128, KONE: v128, KLOW: v128): v128 {
  const u = f32x4.mul(x, KLOG2E);
  const t = f32x4.add(u, KMAGIC);
  const r = f32x4.sub(u, f32x4.sub(t, KMAGIC));
  let p = f32x4.add(f32x4.mul(KP5, r), KP4);
  p = f32x4.add(f32x4.mul(p, r), KP3);
  p = f32x4.add(f32x4.mul(p, r), KP2);
  p = f32x4.add(f32x4.mul(p, r), KP1);
  p = f32x4.add(f32x4.mul(p, r), KONE);
  const scaled = i32x4.add(p, i32x4.shl(t, 23));
  return v128.and(scaled, f32x4.ge(x, KLOW));
}

/** exp4c without the x < −86 → 0 mask: only for x ≥ −86 (rows whose min − max ≥ −86), bit-identical there. */
@inline function exp4u(x: v128, KLOG2E: v128, KMAGIC: v128, KP1: v128, KP2: v128, KP3: v128, KP4: v128, KP5: v128, KONE: v128): v128 {
  const u = f32x4.mul(x, KLOG2E);
  const t = f32x4.add(u, KMAGIC);
  const r = f32x4.sub(u, f32x4.sub(t, KMAGIC));
  let p = f32x4.add(f32x4.mul(KP5, r), KP4);
  p = f32x4.add(f32x4.mul(p, r), KP3);
  p = f32x4.add(f32x4.mul(p, r), KP2);
  p = f32x4.add(f32x4.mul(p, r), KP1);
  p = f32x4.add(f32x4.mul(p, r), KONE);
  return i32x4.add(p, i32x4.shl(t, 23));
}

const LANES: v128 = i32x4(0, 1, 2, 3);

/** Lane mask keeping the first r lanes (r in 1..3). */
@inline function firstLanes(r: i32): v128 {
  return i32x4.lt_s(LANES, i32x4.splat(r));
}

@inline function hsum2(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** f32x4 → float64 pair sums added to acc. */
@inline function widen(acc: v128, v: v128): v128 {
  return f64x2.add(acc, f64x2.add(f64x2.promote_low_f32x4(v), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1))));
}

// Row results passed between the helpers (AssemblyScript has no tuples).
let gM: f32 = 0;
let gMin: f32 = 0;
let gNaN: bool = false;
let gS1: f64 = 0;
let gS2: f64 = 0;

/**
 * gM = max of the row, gMin = its min, gNaN = the row holds a NaN — from three integer reductions of
 * the float bits (vector integer ops, which use all four SIMD pipes, where float min/max/add use two):
 * max_s picks the largest non-negative float (a positive NaN above +inf), max_u the most negative
 * float (a negative NaN above −inf), min_u the smallest non-negative float or, in an all-negative
 * row, the negative float nearest 0 (its max).
 */
@inline function rowMax(base: usize, c: i32): void {
  let s0 = i32x4.splat(0x80000000);
  let s1 = s0;
  let u0 = i32x4.splat(0);
  let u1 = u0;
  let n0 = i32x4.splat(-1);
  let n1 = n0;
  let k = 0;
  for (; k + 16 <= c; k += 16) {
    const p = base + (<usize>k << 2);
    const v0 = v128.load(p);
    const v1 = v128.load(p, 16);
    const v2 = v128.load(p, 32);
    const v3 = v128.load(p, 48);
    s0 = i32x4.max_s(s0, i32x4.max_s(v0, v1));
    s1 = i32x4.max_s(s1, i32x4.max_s(v2, v3));
    u0 = i32x4.max_u(u0, i32x4.max_u(v0, v1));
    u1 = i32x4.max_u(u1, i32x4.max_u(v2, v3));
    n0 = i32x4.min_u(n0, i32x4.min_u(v0, v1));
    n1 = i32x4.min_u(n1, i32x4.min_u(v2, v3));
  }
  for (; k + 4 <= c; k += 4) {
    const v = v128.load(base + (<usize>k << 2));
    s0 = i32x4.max_s(s0, v);
    u0 = i32x4.max_u(u0, v);
    n0 = i32x4.min_u(n0, v);
  }
  if (k < c) {
    // partial last vector: lanes past the row end read the next bytes of the block, set to each
    // reduction's neutral value
    const keep = firstLanes(c - k);
    const v = v128.load(base + (<usize>k << 2));
    s0 = i32x4.max_s(s0, v128.bitselect(v, i32x4.splat(0x80000000), keep));
    u0 = i32x4.max_u(u0, v128.bitselect(v, i32x4.splat(0), keep));
    n0 = i32x4.min_u(n0, v128.bitselect(v, i32x4.splat(-1), keep));
  }
  s0 = i32x4.max_s(s0, s1);
  s0 = i32x4.max_s(s0, v128.shuffle<i32>(s0, s0, 2, 3, 0, 1));
  s0 = i32x4.max_s(s0, v128.shuffle<i32>(s0, s0, 1, 0, 3, 2));
  u0 = i32x4.max_u(u0, u1);
  u0 = i32x4.max_u(u0, v128.shuffle<i32>(u0, u0, 2, 3, 0, 1));
  u0 = i32x4.max_u(u0, v128.shuffle<i32>(u0, u0, 1, 0, 3, 2));
  n0 = i32x4.min_u(n0, n1);
  n0 = i32x4.min_u(n0, v128.shuffle<i32>(n0, n0, 2, 3, 0, 1));
  n0 = i32x4.min_u(n0, v128.shuffle<i32>(n0, n0, 1, 0, 3, 2));
  const ms = i32x4.extract_lane(s0, 0); // signed: ≥ 0 iff the row has a non-negative entry
  const mu = <u32>i32x4.extract_lane(u0, 0);
  const mn = <u32>i32x4.extract_lane(n0, 0);
  gNaN = ms > 0x7F800000 || mu > 0xFF800000;
  gM = reinterpret<f32>(ms >= 0 ? ms : <i32>mn);
  gMin = reinterpret<f32>(mu >= 0x80000000 ? <i32>mu : <i32>mn);
}

/** gS1 = Σ exp(z − m) (gS2 = Σ exp(z − m)² when fused) over the row, m finite. */
@inline function sumExp(base: usize, c: i32, m: f32, fused: bool): void {
  const mv = f32x4.splat(m);
  const l2e = KLOG2E, mg = KMAGIC, p1 = KP1, p2 = KP2, p3 = KP3, p4 = KP4, p5 = KP5, one = KONE, low = KLOW;
  let a1 = f64x2.splat(0);
  let a2 = a1;
  let h1 = a1;
  let h2 = a1;
  let k = 0;
  for (; k + 32 <= c; k += 32) {
    const p = base + (<usize>k << 2);
    const e0 = exp4c(f32x4.sub(v128.load(p), mv), l2e, mg, p1, p2, p3, p4, p5, one, low);
    const e1 = exp4c(f32x4.sub(v128.load(p, 16), mv), l2e, mg, p1, p2, p3, p4, p5, one, low);
    const e2 = exp4c(f32x4.sub(v128.load(p, 32), mv), l2e, mg, p1, p2, p3, p4, p5, one, low);
    const e3 = exp4c(f32x4.sub(v128.load(p, 48), mv), l2e, mg, p1, p2, p3, p4, p5, one, low);
    const e4 = exp4c(f32x4.sub(v128.load(p, 64), mv), l2e, mg, p1, p2, p3, p4, p5, one, low);
    const e5 = exp4c(f32x4.sub(v128.load(p, 80), mv), l2e, mg, p1, p2, p3, p4, p5, one, low);
    const e6 = exp4c(f32x4.sub(v128.load(p, 96), mv), l2e, mg, p1, p2, p3, p4, p5, one, low);
    const e7 = exp4c(f32x4.sub(v128.load(p, 112), mv), l2e, mg, p1, p2, p3, p4, p5, one, low);
    const x1 = f32x4.add(f32x4.add(f32x4.add(e0, e1), f32x4.add(e2, e3)), f32x4.add(f32x4.add(e4, e5), f32x4.add(e6, e7)));
    let x2 = x1;
    if (fused) {
      x2 = f32x4.add(
        f32x4.add(f32x4.add(f32x4.mul(e0, e0), f32x4.mul(e1, e1)), f32x4.add(f32x4.mul(e2, e2), f32x4.mul(e3, e3))),
        f32x4.add(f32x4.add(f32x4.mul(e4, e4), f32x4.mul(e5, e5)), f32x4.add(f32x4.mul(e6, e6), f32x4.mul(e7, e7))),
      );
    }
    if (k & 32) {
      // second chunk of a 64-class pair: the pair's f32 sums are widened
      a1 = widen(a1, f32x4.add(h1, x1));
      if (fused) a2 = widen(a2, f32x4.add(h2, x2));
    } else {
      h1 = x1;
      h2 = x2;
    }
  }
  if (k & 32) {
    // an odd number of 32-class chunks: the last one's sums are still pending
    a1 = widen(a1, h1);
    if (fused) a2 = widen(a2, h2);
  }
  // ≤ 7 full vectors and a partial one: pairs summed in f32, then widened
  for (; k + 8 <= c; k += 8) {
    const p = base + (<usize>k << 2);
    const e0 = exp4c(f32x4.sub(v128.load(p), mv), l2e, mg, p1, p2, p3, p4, p5, one, low);
    const e1 = exp4c(f32x4.sub(v128.load(p, 16), mv), l2e, mg, p1, p2, p3, p4, p5, one, low);
    a1 = widen(a1, f32x4.add(e0, e1));
    if (fused) a2 = widen(a2, f32x4.add(f32x4.mul(e0, e0), f32x4.mul(e1, e1)));
  }
  if (k < c) {
    const p = base + (<usize>k << 2);
    let e0 = f32x4.splat(0);
    let e1 = e0;
    if (k + 4 <= c) {
      e0 = exp4c(f32x4.sub(v128.load(p), mv), l2e, mg, p1, p2, p3, p4, p5, one, low);
      if (k + 4 < c) e1 = exp4c(f32x4.sub(v128.bitselect(v128.load(p, 16), KNEGINF, firstLanes(c - k - 4)), mv), l2e, mg, p1, p2, p3, p4, p5, one, low);
    } else {
      e0 = exp4c(f32x4.sub(v128.bitselect(v128.load(p), KNEGINF, firstLanes(c - k)), mv), l2e, mg, p1, p2, p3, p4, p5, one, low);
    }
    a1 = widen(a1, f32x4.add(e0, e1));
    if (fused) a2 = widen(a2, f32x4.add(f32x4.mul(e0, e0), f32x4.mul(e1, e1)));
  }
  gS1 = hsum2(a1);
  if (fused) gS2 = hsum2(a2);
}

/**
 * sumExp for a row with every z − m ≥ −86 (no −inf): the exp needs no underflow mask. The target y is
 * excluded by a lane mask in the one 32-class chunk (or tail vector) that holds it; the row is not
 * modified. Same exp values and summation order as sumExp, so the sums are bit-identical.
 */
@inline function sumExpFast(base: usize, c: i32, m: f32, fused: bool, y: i32): void {
  const mv = f32x4.splat(m);
  const l2e = KLOG2E, mg = KMAGIC, p1 = KP1, p2 = KP2, p3 = KP3, p4 = KP4, p5 = KP5, one = KONE, low = KLOW;
  const yv = i32x4.splat(y);
  const yChunk = y & ~31;
  let a1 = f64x2.splat(0);
  let a2 = a1;
  let h1 = a1;
  let h2 = a1;
  let k = 0;
  // chunks before the target's, the target's chunk (lane of class y zeroed), chunks after it
  const c32 = c & ~31;
  const yEnd = yChunk + 32 <= c32 ? yChunk : c32;
  for (; k < yEnd; k += 32) {
    const p = base + (<usize>k << 2);
    const e0 = exp4u(f32x4.sub(v128.load(p), mv), l2e, mg, p1, p2, p3, p4, p5, one);
    const e1 = exp4u(f32x4.sub(v128.load(p, 16), mv), l2e, mg, p1, p2, p3, p4, p5, one);
    const e2 = exp4u(f32x4.sub(v128.load(p, 32), mv), l2e, mg, p1, p2, p3, p4, p5, one);
    const e3 = exp4u(f32x4.sub(v128.load(p, 48), mv), l2e, mg, p1, p2, p3, p4, p5, one);
    const e4 = exp4u(f32x4.sub(v128.load(p, 64), mv), l2e, mg, p1, p2, p3, p4, p5, one);
    const e5 = exp4u(f32x4.sub(v128.load(p, 80), mv), l2e, mg, p1, p2, p3, p4, p5, one);
    const e6 = exp4u(f32x4.sub(v128.load(p, 96), mv), l2e, mg, p1, p2, p3, p4, p5, one);
    const e7 = exp4u(f32x4.sub(v128.load(p, 112), mv), l2e, mg, p1, p2, p3, p4, p5, one);
    const x1 = f32x4.add(f32x4.add(f32x4.add(e0, e1), f32x4.add(e2, e3)), f32x4.add(f32x4.add(e4, e5), f32x4.add(e6, e7)));
    let x2 = x1;
    if (fused) {
      x2 = f32x4.add(
        f32x4.add(f32x4.add(f32x4.mul(e0, e0), f32x4.mul(e1, e1)), f32x4.add(f32x4.mul(e2, e2), f32x4.mul(e3, e3))),
        f32x4.add(f32x4.add(f32x4.mul(e4, e4), f32x4.mul(e5, e5)), f32x4.add(f32x4.mul(e6, e6), f32x4.mul(e7, e7))),
      );
    }
    if (k & 32) {
      // second chunk of a 64-class pair: the pair's f32 sums are widened
      a1 = widen(a1, f32x4.add(h1, x1));
      if (fused) a2 = widen(a2, f32x4.add(h2, x2));
    } else {
      h1 = x1;
      h2 = x2;
    }
  }
  if (k + 32 <= c) {
    // k == yChunk
    const p = base + (<usize>k << 2);
    const kv = i32x4.add(LANES, i32x4.splat(k));
    const e0 = v128.andnot(exp4u(f32x4.sub(v128.load(p), mv), l2e, mg, p1, p2, p3, p4, p5, one), i32x4.eq(kv, yv));
    const e1 = v128.andnot(exp4u(f32x4.sub(v128.load(p, 16), mv), l2e, mg, p1, p2, p3, p4, p5, one), i32x4.eq(i32x4.add(kv, i32x4.splat(4)), yv));
    const e2 = v128.andnot(exp4u(f32x4.sub(v128.load(p, 32), mv), l2e, mg, p1, p2, p3, p4, p5, one), i32x4.eq(i32x4.add(kv, i32x4.splat(8)), yv));
    const e3 = v128.andnot(exp4u(f32x4.sub(v128.load(p, 48), mv), l2e, mg, p1, p2, p3, p4, p5, one), i32x4.eq(i32x4.add(kv, i32x4.splat(12)), yv));
    const e4 = v128.andnot(exp4u(f32x4.sub(v128.load(p, 64), mv), l2e, mg, p1, p2, p3, p4, p5, one), i32x4.eq(i32x4.add(kv, i32x4.splat(16)), yv));
    const e5 = v128.andnot(exp4u(f32x4.sub(v128.load(p, 80), mv), l2e, mg, p1, p2, p3, p4, p5, one), i32x4.eq(i32x4.add(kv, i32x4.splat(20)), yv));
    const e6 = v128.andnot(exp4u(f32x4.sub(v128.load(p, 96), mv), l2e, mg, p1, p2, p3, p4, p5, one), i32x4.eq(i32x4.add(kv, i32x4.splat(24)), yv));
    const e7 = v128.andnot(exp4u(f32x4.sub(v128.load(p, 112), mv), l2e, mg, p1, p2, p3, p4, p5, one), i32x4.eq(i32x4.add(kv, i32x4.splat(28)), yv));
    const x1 = f32x4.add(f32x4.add(f32x4.add(e0, e1), f32x4.add(e2, e3)), f32x4.add(f32x4.add(e4, e5), f32x4.add(e6, e7)));
    let x2 = x1;
    if (fused) {
      x2 = f32x4.add(
        f32x4.add(f32x4.add(f32x4.mul(e0, e0), f32x4.mul(e1, e1)), f32x4.add(f32x4.mul(e2, e2), f32x4.mul(e3, e3))),
        f32x4.add(f32x4.add(f32x4.mul(e4, e4), f32x4.mul(e5, e5)), f32x4.add(f32x4.mul(e6, e6), f32x4.mul(e7, e7))),
      );
    }
    if (k & 32) {
      // second chunk of a 64-class pair: the pair's f32 sums are widened
      a1 = widen(a1, f32x4.add(h1, x1));
      if (fused) a2 = widen(a2, f32x4.add(h2, x2));
    } else {
      h1 = x1;
      h2 = x2;
    }
    k += 32;
  }
  for (; k < c32; k += 32) {
    const p = base + (<usize>k << 2);
    const e0 = exp4u(f32x4.sub(v128.load(p), mv), l2e, mg, p1, p2, p3, p4, p5, one);
    const e1 = exp4u(f32x4.sub(v128.load(p, 16), mv), l2e, mg, p1, p2, p3, p4, p5, one);
    const e2 = exp4u(f32x4.sub(v128.load(p, 32), mv), l2e, mg, p1, p2, p3, p4, p5, one);
    const e3 = exp4u(f32x4.sub(v128.load(p, 48), mv), l2e, mg, p1, p2, p3, p4, p5, one);
    const e4 = exp4u(f32x4.sub(v128.load(p, 64), mv), l2e, mg, p1, p2, p3, p4, p5, one);
    const e5 = exp4u(f32x4.sub(v128.load(p, 80), mv), l2e, mg, p1, p2, p3, p4, p5, one);
    const e6 = exp4u(f32x4.sub(v128.load(p, 96), mv), l2e, mg, p1, p2, p3, p4, p5, one);
    const e7 = exp4u(f32x4.sub(v128.load(p, 112), mv), l2e, mg, p1, p2, p3, p4, p5, one);
    const x1 = f32x4.add(f32x4.add(f32x4.add(e0, e1), f32x4.add(e2, e3)), f32x4.add(f32x4.add(e4, e5), f32x4.add(e6, e7)));
    let x2 = x1;
    if (fused) {
      x2 = f32x4.add(
        f32x4.add(f32x4.add(f32x4.mul(e0, e0), f32x4.mul(e1, e1)), f32x4.add(f32x4.mul(e2, e2), f32x4.mul(e3, e3))),
        f32x4.add(f32x4.add(f32x4.mul(e4, e4), f32x4.mul(e5, e5)), f32x4.add(f32x4.mul(e6, e6), f32x4.mul(e7, e7))),
      );
    }
    if (k & 32) {
      // second chunk of a 64-class pair: the pair's f32 sums are widened
      a1 = widen(a1, f32x4.add(h1, x1));
      if (fused) a2 = widen(a2, f32x4.add(h2, x2));
    } else {
      h1 = x1;
      h2 = x2;
    }
  }
  if (k & 32) {
    // an odd number of 32-class chunks: the last one's sums are still pending
    a1 = widen(a1, h1);
    if (fused) a2 = widen(a2, h2);
  }
  // ≤ 7 full vectors and a partial one (masked exp: the partial vector's padding is −inf), target lane masked
  for (; k + 8 <= c; k += 8) {
    const p = base + (<usize>k << 2);
    const kv = i32x4.add(LANES, i32x4.splat(k));
    const e0 = v128.andnot(exp4c(f32x4.sub(v128.load(p), mv), l2e, mg, p1, p2, p3, p4, p5, one, low), i32x4.eq(kv, yv));
    const e1 = v128.andnot(exp4c(f32x4.sub(v128.load(p, 16), mv), l2e, mg, p1, p2, p3, p4, p5, one, low), i32x4.eq(i32x4.add(kv, i32x4.splat(4)), yv));
    a1 = widen(a1, f32x4.add(e0, e1));
    if (fused) a2 = widen(a2, f32x4.add(f32x4.mul(e0, e0), f32x4.mul(e1, e1)));
  }
  if (k < c) {
    const p = base + (<usize>k << 2);
    const kv = i32x4.add(LANES, i32x4.splat(k));
    let e0 = f32x4.splat(0);
    let e1 = e0;
    if (k + 4 <= c) {
      e0 = exp4c(f32x4.sub(v128.load(p), mv), l2e, mg, p1, p2, p3, p4, p5, one, low);
      if (k + 4 < c) e1 = exp4c(f32x4.sub(v128.bitselect(v128.load(p, 16), KNEGINF, firstLanes(c - k - 4)), mv), l2e, mg, p1, p2, p3, p4, p5, one, low);
    } else {
      e0 = exp4c(f32x4.sub(v128.bitselect(v128.load(p), KNEGINF, firstLanes(c - k)), mv), l2e, mg, p1, p2, p3, p4, p5, one, low);
    }
    e0 = v128.andnot(e0, i32x4.eq(kv, yv));
    e1 = v128.andnot(e1, i32x4.eq(i32x4.add(kv, i32x4.splat(4)), yv));
    a1 = widen(a1, f32x4.add(e0, e1));
    if (fused) a2 = widen(a2, f32x4.add(f32x4.mul(e0, e0), f32x4.mul(e1, e1)));
  }
  gS1 = hsum2(a1);
  if (fused) gS2 = hsum2(a2);
}

/** exp(x) for one finite x ≤ 0 with the vector polynomial (so e_y matches the e_k's rounding). */
@inline function exp1(x: f32): f64 {
  return <f64>f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
}

// Neumaier sum of the losses
let gSum: f64 = 0;
let gComp: f64 = 0;
@inline function addLoss(v: f64): void {
  const t = gSum + v;
  if (Math.abs(gSum) >= Math.abs(v)) gComp += gSum - t + v;
  else gComp += v - t + gSum;
  gSum = t;
}


// 4-row group path for small C (≤ SMALL_C): lane j of every vector is row i + j. Pass 1 gathers the
// four rows' class k into one vector (stored transposed in T) while taking the max and the NaN sum;
// pass 2 runs exp over T with the target lane masked out by a class counter, four classes summed
// pairwise in f32 (2 roundings per term) before each widening to float64. The log is a float64x2
// polynomial (log s = e·ln2 + 2·atanh((f − 1)/(f + 1)), f = s/2^e ∈ [√½, √2) taken from the bits,
// truncation 5e-11 rel., series evaluated by Estrin: the tail of a group is latency-bound), with
// f − 1 = S1 exactly when z_y is the max (log1p accuracy for confident rows).
const SMALL_C: i32 = 64;
const T: usize = memory.data(SMALL_C * 16, 16);

let KLOGOFF: v128 = i32x4.splat(0);
let KSQRTHALF: v128 = i32x4.splat(0);
let KLN2: v128 = i32x4.splat(0);
let KONED: v128 = i32x4.splat(0);
let KTWOD: v128 = i32x4.splat(0);
let KL3: v128 = i32x4.splat(0);
let KL5: v128 = i32x4.splat(0);
let KL7: v128 = i32x4.splat(0);
let KL9: v128 = i32x4.splat(0);
let KL11: v128 = i32x4.splat(0);
let KL13: v128 = i32x4.splat(0);
let KMANT: v128 = i32x4.splat(0);
let KSMALL1P: v128 = i32x4.splat(0);

export function initLogConstants(): void {
  KLOGOFF = i64x2.splat(0x3FF0000000000000 - 0x3FE6A09E667F3BCD);
  KSQRTHALF = i64x2.splat(0x3FE6A09E667F3BCD);
  KLN2 = f64x2.splat(0.6931471805599453);
  KONED = f64x2.splat(1.0);
  KTWOD = f64x2.splat(2.0);
  KL3 = f64x2.splat(1.0 / 3.0);
  KL5 = f64x2.splat(1.0 / 5.0);
  KL7 = f64x2.splat(1.0 / 7.0);
  KL9 = f64x2.splat(1.0 / 9.0);
  KL11 = f64x2.splat(1.0 / 11.0);
  KL13 = f64x2.splat(1.0 / 13.0);
  KMANT = i64x2.splat(0x000FFFFFFFFFFFFF);
  KSMALL1P = f64x2.splat(0.41);
}

/** log s for s ≥ 1 (f64x2); where d == 0 and s1 < 0.41, s = 1 + s1 and log1p(s1) is returned. */
@inline function log2d(s: v128, s1: v128, d: v128): v128 {
  // s = 2^e·f with f ∈ [√½, √2), from the bits (musl's reduction): adding 1.0 − √½ to the bits carries
  // into the exponent exactly when the mantissa is ≥ √2's; f is exact.
  const bits = i64x2.add(s, KLOGOFF);
  const e = i64x2.sub(i64x2.shr_u(bits, 52), i64x2.splat(1023));
  const f = i64x2.add(v128.and(bits, KMANT), KSQRTHALF);
  let fm1 = f64x2.sub(f, KONED);
  fm1 = v128.bitselect(s1, fm1, v128.and(f64x2.eq(d, f64x2.splat(0)), f64x2.lt(s1, KSMALL1P)));
  const u = f64x2.div(fm1, f64x2.add(fm1, KTWOD));
  // 1 + v/3 + … + v⁶/13 (v = u²) by Estrin: three dependent multiply–adds instead of six
  const v = f64x2.mul(u, u);
  const v2 = f64x2.mul(v, v);
  const v4 = f64x2.mul(v2, v2);
  const q0 = f64x2.add(f64x2.mul(KL3, v), KONED);
  const q1 = f64x2.add(f64x2.mul(KL7, v), KL5);
  const q2 = f64x2.add(f64x2.mul(KL11, v), KL9);
  const q3 = f64x2.add(f64x2.mul(KL13, v2), q2);
  const p = f64x2.add(f64x2.add(f64x2.mul(q1, v2), q0), f64x2.mul(q3, v4));
  const lf = f64x2.mul(f64x2.add(u, u), p);
  const ef = f64x2.convert_low_i32x4_s(v128.shuffle<i32>(e, e, 0, 2, 0, 2));
  return f64x2.add(f64x2.mul(ef, KLN2), lf);
}

// per-block vector accumulators of the small-C path
let vLoss: v128 = i32x4.splat(0);
let vSq: v128 = i32x4.splat(0);
let vMax: v128 = i32x4.splat(0);
let vMaxNaN: v128 = i32x4.splat(0);
let vW: v128 = i32x4.splat(0);

/** The f64 tail of the 4-row path for two rows (one half of the group). */
@inline function finishPair(fused: bool, m: v128, zy: v128, ey: v128, s1: v128, s2: v128, w: v128, keep: v128, lossOut: usize, sqOut: usize, i: i32): void {
  const d = f64x2.sub(m, zy);
  const s = f64x2.add(s1, ey);
  const loss = v128.and(f64x2.mul(f64x2.add(d, log2d(s, s1, d)), w), keep);
  vLoss = f64x2.add(vLoss, loss);
  vW = f64x2.add(vW, w);
  if (lossOut) v128.store(lossOut + (<usize>i << 3), loss);
  if (fused) {
    const inv = f64x2.div(KONED, s);
    const g2 = v128.and(f64x2.mul(f64x2.mul(f64x2.add(s2, f64x2.mul(s1, s1)), f64x2.mul(inv, inv)), f64x2.mul(w, w)), keep);
    vSq = f64x2.add(vSq, g2);
    v128.store(sqOut + (<usize>i << 3), g2);
    // pmax is one instruction (f64x2.max's NaN and ±0 rules cost V8 eight): NaN (non-finite weights) is tracked apart
    const a = v128.and(f64x2.mul(f64x2.mul(s1, inv), f64x2.abs(w)), keep);
    vMax = f64x2.pmax(vMax, a);
    vMaxNaN = v128.or(vMaxNaN, f64x2.ne(a, a));
  }
}

@inline function hiHalf(v: v128): v128 {
  return v128.shuffle<f32>(v, v, 2, 3, 0, 1);
}

@inline function rowWeight(wPtr: usize, y: i32): f64 {
  return y < 0 ? 0.0 : wPtr ? load<f64>(wPtr + (<usize>y << 3)) : 1.0;
}

@inline function block(fused: bool, zPtr: usize, n: i32, c: i32, yPtr: usize, wPtr: usize, lossOut: usize, sqOut: usize, res: usize): void {
  gSum = 0;
  gComp = 0;
  gSq = 0;
  gMx = 0;
  gW = 0;
  let bad: f64 = 0;
  let i = 0;
  if (c <= SMALL_C) {
    vLoss = f64x2.splat(0);
    vSq = vLoss;
    vMax = vLoss;
    vMaxNaN = vLoss;
    vW = vLoss;
    const l2e = KLOG2E, mg = KMAGIC, p1 = KP1, p2 = KP2, p3 = KP3, p4 = KP4, p5 = KP5, one = KONE, low = KLOW;
    const neginf = KNEGINF;
    const inf = f32x4.splat(Infinity);
    const stride = <usize>c << 2;
    for (; i + 4 <= n; i += 4) {
      const base = zPtr + (<usize>i * stride);
      let q0 = base;
      let q1 = base + stride;
      let q2 = q1 + stride;
      let q3 = q2 + stride;
      let m = neginf;
      let sx = f32x4.splat(0);
      for (let k = 0; k < c; k++) {
        let v = v128.load32_zero(q0);
        v = v128.load32_lane(q1, v, 1);
        v = v128.load32_lane(q2, v, 2);
        v = v128.load32_lane(q3, v, 3);
        v128.store(T + (<usize>k << 4), v);
        m = f32x4.pmax(m, v);
        sx = f32x4.add(sx, v);
        q0 += 4;
        q1 += 4;
        q2 += 4;
        q3 += 4;
      }
      if (!i32x4.all_true(v128.and(f32x4.lt(f32x4.abs(m), inf), f32x4.eq(sx, sx)))) {
        // a non-finite row (or an overflowing NaN detector) in the group: the per-row path decides
        for (let j = 0; j < 4; j++) {
          const rr = rowDo(fused, zPtr, i + j, c, yPtr, wPtr, lossOut, sqOut);
          if (rr == 1) bad += 1;
        }
        continue;
      }
      const y0 = load<i32>(yPtr + (<usize>i << 2));
      const y1 = load<i32>(yPtr + (<usize>i << 2), 4);
      const y2 = load<i32>(yPtr + (<usize>i << 2), 8);
      const y3 = load<i32>(yPtr + (<usize>i << 2), 12);
      const yv = v128.load(yPtr + (<usize>i << 2));
      let zy = f32x4.splat(y0 >= 0 ? load<f32>(base + (<usize>y0 << 2)) : 0);
      zy = f32x4.replace_lane(zy, 1, y1 >= 0 ? load<f32>(base + stride + (<usize>y1 << 2)) : 0);
      zy = f32x4.replace_lane(zy, 2, y2 >= 0 ? load<f32>(base + 2 * stride + (<usize>y2 << 2)) : 0);
      zy = f32x4.replace_lane(zy, 3, y3 >= 0 ? load<f32>(base + 3 * stride + (<usize>y3 << 2)) : 0);
      // pass 2
      let kv = i32x4.splat(0);
      const kone = i32x4.splat(1);
      let a1lo = f64x2.splat(0);
      let a1hi = a1lo;
      let a2lo = a1lo;
      let a2hi = a1lo;
      let k = 0;
      for (; k + 4 <= c; k += 4) {
        // four classes summed pairwise in f32 (two roundings per term), then widened
        const t = T + (<usize>k << 4);
        const e0 = v128.andnot(exp4c(f32x4.sub(v128.load(t), m), l2e, mg, p1, p2, p3, p4, p5, one, low), i32x4.eq(yv, kv));
        kv = i32x4.add(kv, kone);
        const e1 = v128.andnot(exp4c(f32x4.sub(v128.load(t, 16), m), l2e, mg, p1, p2, p3, p4, p5, one, low), i32x4.eq(yv, kv));
        kv = i32x4.add(kv, kone);
        const e2 = v128.andnot(exp4c(f32x4.sub(v128.load(t, 32), m), l2e, mg, p1, p2, p3, p4, p5, one, low), i32x4.eq(yv, kv));
        kv = i32x4.add(kv, kone);
        const e3 = v128.andnot(exp4c(f32x4.sub(v128.load(t, 48), m), l2e, mg, p1, p2, p3, p4, p5, one, low), i32x4.eq(yv, kv));
        kv = i32x4.add(kv, kone);
        const a = f32x4.add(f32x4.add(e0, e1), f32x4.add(e2, e3));
        a1lo = f64x2.add(a1lo, f64x2.promote_low_f32x4(a));
        a1hi = f64x2.add(a1hi, f64x2.promote_low_f32x4(hiHalf(a)));
        if (fused) {
          const b = f32x4.add(f32x4.add(f32x4.mul(e0, e0), f32x4.mul(e1, e1)), f32x4.add(f32x4.mul(e2, e2), f32x4.mul(e3, e3)));
          a2lo = f64x2.add(a2lo, f64x2.promote_low_f32x4(b));
          a2hi = f64x2.add(a2hi, f64x2.promote_low_f32x4(hiHalf(b)));
        }
      }
      if (k + 2 <= c) {
        const t = T + (<usize>k << 4);
        const e0 = v128.andnot(exp4c(f32x4.sub(v128.load(t), m), l2e, mg, p1, p2, p3, p4, p5, one, low), i32x4.eq(yv, kv));
        kv = i32x4.add(kv, kone);
        const e1 = v128.andnot(exp4c(f32x4.sub(v128.load(t, 16), m), l2e, mg, p1, p2, p3, p4, p5, one, low), i32x4.eq(yv, kv));
        kv = i32x4.add(kv, kone);
        const a = f32x4.add(e0, e1);
        a1lo = f64x2.add(a1lo, f64x2.promote_low_f32x4(a));
        a1hi = f64x2.add(a1hi, f64x2.promote_low_f32x4(hiHalf(a)));
        if (fused) {
          const b = f32x4.add(f32x4.mul(e0, e0), f32x4.mul(e1, e1));
          a2lo = f64x2.add(a2lo, f64x2.promote_low_f32x4(b));
          a2hi = f64x2.add(a2hi, f64x2.promote_low_f32x4(hiHalf(b)));
        }
        k += 2;
      }
      if (k < c) {
        const e0 = v128.andnot(exp4c(f32x4.sub(v128.load(T + (<usize>k << 4)), m), l2e, mg, p1, p2, p3, p4, p5, one, low), i32x4.eq(yv, kv));
        a1lo = f64x2.add(a1lo, f64x2.promote_low_f32x4(e0));
        a1hi = f64x2.add(a1hi, f64x2.promote_low_f32x4(hiHalf(e0)));
        if (fused) {
          const b = f32x4.mul(e0, e0);
          a2lo = f64x2.add(a2lo, f64x2.promote_low_f32x4(b));
          a2hi = f64x2.add(a2hi, f64x2.promote_low_f32x4(hiHalf(b)));
        }
      }
      const ey = exp4c(f32x4.sub(zy, m), l2e, mg, p1, p2, p3, p4, p5, one, low);
      const keep = i32x4.ge_s(yv, i32x4.splat(0));
      let wv = f64x2.replace_lane(f64x2.splat(rowWeight(wPtr, y0)), 1, rowWeight(wPtr, y1));
      finishPair(fused, f64x2.promote_low_f32x4(m), f64x2.promote_low_f32x4(zy), f64x2.promote_low_f32x4(ey), a1lo, a2lo, wv, i64x2.extend_low_i32x4_s(keep), lossOut, sqOut, i);
      wv = f64x2.replace_lane(f64x2.splat(rowWeight(wPtr, y2)), 1, rowWeight(wPtr, y3));
      finishPair(fused, f64x2.promote_low_f32x4(hiHalf(m)), f64x2.promote_low_f32x4(hiHalf(zy)), f64x2.promote_low_f32x4(hiHalf(ey)), a1hi, a2hi, wv, i64x2.extend_high_i32x4_s(keep), lossOut, sqOut, i + 2);
    }
    addLoss(f64x2.extract_lane(vLoss, 0));
    addLoss(f64x2.extract_lane(vLoss, 1));
    gSq += f64x2.extract_lane(vSq, 0) + f64x2.extract_lane(vSq, 1);
    const ma = f64x2.extract_lane(vMax, 0);
    const mb = f64x2.extract_lane(vMax, 1);
    gMx = v128.any_true(vMaxNaN) || gMx != gMx ? NaN : max<f64>(gMx, max<f64>(ma, mb));
    gW += f64x2.extract_lane(vW, 0) + f64x2.extract_lane(vW, 1);
  }
  for (; i < n; i++) {
    if (rowDo(fused, zPtr, i, c, yPtr, wPtr, lossOut, sqOut) == 1) bad += 1;
  }
  store<f64>(res, gSum + gComp == gSum + gComp ? gSum + gComp : gSum);
  store<f64>(res, gSq, 8);
  store<f64>(res, gMx, 16);
  store<f64>(res, bad, 24);
  store<f64>(res, gW, 32);
}

let gSq: f64 = 0;
let gMx: f64 = 0;
let gW: f64 = 0;

/** One row by the per-row path; adds to gSum/gSq/gMx/gW; returns 1 for a non-finite row in fused mode. */
@inline function rowDo(fused: bool, zPtr: usize, i: i32, c: i32, yPtr: usize, wPtr: usize, lossOut: usize, sqOut: usize): i32 {
  const base = zPtr + (<usize>i * <usize>c << 2);
  const y = load<i32>(yPtr + (<usize>i << 2));
  if (y < 0 && !fused) {
    if (lossOut) store<f64>(lossOut + (<usize>i << 3), 0);
    return 0;
  }
  rowMax(base, c);
  const m = gM;
  const finite = !gNaN && isFinite<f32>(m);
  if (y < 0) {
    if (lossOut) store<f64>(lossOut + (<usize>i << 3), 0);
    if (finite) {
      store<f64>(sqOut + (<usize>i << 3), 0);
      return 0;
    }
    store<f64>(sqOut + (<usize>i << 3), NaN);
    return 1;
  }
  const w: f64 = wPtr ? load<f64>(wPtr + (<usize>y << 3)) : 1.0;
  gW += w;
  if (!finite) {
    if (lossOut) store<f64>(lossOut + (<usize>i << 3), NaN);
    if (fused) {
      store<f64>(sqOut + (<usize>i << 3), NaN);
      return 1;
    }
    addLoss(NaN);
    return 0;
  }
  const yp = base + (<usize>y << 2);
  const zy = load<f32>(yp);
  if (gMin - m >= <f32>-86.0) {
    sumExpFast(base, c, m, fused, y);
  } else {
    // −inf entries or a spread beyond 86: the masked exp; the target is excluded by setting z_y = −inf
    store<f32>(yp, -Infinity);
    sumExp(base, c, m, fused);
    store<f32>(yp, zy);
  }
  const s1 = gS1;
  const ey = exp1(zy - m);
  const s = s1 + ey;
  const d: f64 = <f64>m - <f64>zy;
  const loss = (d == 0 ? Math.log1p(s1) : d + Math.log(s)) * w;
  addLoss(loss);
  if (lossOut) store<f64>(lossOut + (<usize>i << 3), loss);
  if (fused) {
    const inv = 1 / s;
    const g2 = (gS2 + s1 * s1) * (inv * inv) * (w * w);
    gSq += g2;
    store<f64>(sqOut + (<usize>i << 3), g2);
    const a = s1 * inv * Math.abs(w);
    if (a > gMx || a != a) gMx = a;
  }
  return 0;
}

/** End of the module's static data: the caller's buffers start above it. */
export function heapBase(): usize {
  return __heap_base;
}

export function ceLossBlock(zPtr: usize, n: i32, c: i32, yPtr: usize, wPtr: usize, lossOut: usize, res: usize): void {
  block(false, zPtr, n, c, yPtr, wPtr, lossOut, 0, res);
}

export function ceFusedBlock(zPtr: usize, n: i32, c: i32, yPtr: usize, wPtr: usize, lossOut: usize, sqOut: usize, res: usize): void {
  block(true, zPtr, n, c, yPtr, wPtr, lossOut, sqOut, res);
}
