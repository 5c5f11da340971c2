// AssemblyScript source of the WebAssembly SIMD cross-entropy kernel (float32 logits, [N, C]).
// Build: node src/core/wasm/build.mjs  (runs the npm-installed `asc`, writes ceWasm.ts).
//
// Per row i (classes contiguous), with y = target (−1 = ignored):
//   m = max z (f32x4), then e_k = exp(z_k − m) by a Cephes-style f32 polynomial (rel. err ≈ 1e-7,
//   exp(0) = 1 exactly, x < −86 → 0). Sums over k ≠ y run in f32x4 lanes over blocks of 4 vectors
//   (≤ 4 additions per lane, rel. err ≤ 2.4e-7) flushed into float64 accumulators.
//   loss-only mode  out[i]        = (m − z_y) + log s               (NaN for a non-finite row)
//   fused mode      out[4i + 0]   = (m − z_y) + log s               (−log p_y)
//                   out[4i + 1]   = sqrt(Σ_{k≠y} e_k² + (Σ_{k≠y} e_k)²) / s   (‖p − onehot(y)‖₂)
//                   out[4i + 2]   = Σ_{k≠y} e_k / s                  (1 − p_y = max |p − onehot(y)|)
//                   out[4i + 3]   = 1 when the row is non-finite (NaN, +inf, all −inf): the caller
//                                   recomputes it with the reference path; 0 otherwise.
//   where s = Σ_{k≠y} e_k + exp(z_y − m) (the target term in float64 Math.exp). Sums that exclude the
//   target keep 1 − p_y and the gradient norm accurate for confident predictions (no 1 − p cancellation).

// @ts-nocheck

// Polynomial constants live in mutable globals set by initConstants(): V8 would otherwise rebuild
// every v128 constant inside the hot loop (several instructions each).
let KLOG2E: v128 = i32x4.splat(0);
let KMAGIC: v128 = i32x4.splat(0);
let KC1: v128 = i32x4.splat(0);
let KC2: v128 = i32x4.splat(0);
let KP0: v128 = i32x4.splat(0);
let KP1: v128 = i32x4.splat(0);
let KP2: v128 = i32x4.splat(0);
let KP3: v128 = i32x4.splat(0);
let KP4: v128 = i32x4.splat(0);
let KP5: v128 = i32x4.splat(0);
let KONE: v128 = i32x4.splat(0);
let KLOW: v128 = i32x4.splat(0);
let KNEGINF: v128 = i32x4.splat(0);

export function initConstants(): void {
  KLOG2E = f32x4.splat(1.44269504088896341);
  KMAGIC = f32x4.splat(12582912.0);
  KC1 = f32x4.splat(0.693359375);
  KC2 = f32x4.splat(-2.12194440e-4);
  KP0 = f32x4.splat(1.9875691500e-4);
  KP1 = f32x4.splat(1.3981999507e-3);
  KP2 = f32x4.splat(8.3334519073e-3);
  KP3 = f32x4.splat(4.1665795894e-2);
  KP4 = f32x4.splat(1.6666665459e-1);
  KP5 = f32x4.splat(5.0000001201e-1);
  KONE = f32x4.splat(1.0);
  KLOW = f32x4.splat(-86.0);
  KNEGINF = f32x4.splat(-Infinity);
}

@inline function exp4(x: v128): v128 {
  const t = f32x4.add(f32x4.mul(x, KLOG2E), KMAGIC);
  const kf = f32x4.sub(t, KMAGIC);
  let r = f32x4.sub(x, f32x4.mul(kf, KC1));
  r = f32x4.sub(r, f32x4.mul(kf, KC2));
  let p = f32x4.add(f32x4.mul(KP0, r), KP1);
  p = f32x4.add(f32x4.mul(p, r), KP2);
  p = f32x4.add(f32x4.mul(p, r), KP3);
  p = f32x4.add(f32x4.mul(p, r), KP4);
  p = f32x4.add(f32x4.mul(p, r), KP5);
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), KONE);
  const scaled = i32x4.add(p, i32x4.shl(t, 23));
  return v128.and(scaled, f32x4.ge(x, KLOW));
}

const LANES: v128 = i32x4(0, 1, 2, 3);

// Row results passed between the helpers (AssemblyScript has no tuples).
let gM: f32 = 0;
let gS1: f64 = 0;
let gS2: f64 = 0;
let gNaN: bool = false;

/** Lane mask keeping the first r lanes (r in 1..4). */
@inline function firstLanes(r: i32): v128 {
  return i32x4.lt_s(LANES, i32x4.splat(r));
}

@inline function rowMax(base: usize, c: i32): f32 {
  let m0 = KNEGINF;
  let m1 = m0;
  let m2 = m0;
  let m3 = m0;
  let k = 0;
  for (; k + 16 <= c; k += 16) {
    const p = base + (<usize>k << 2);
    m0 = f32x4.pmax(m0, v128.load(p));
    m1 = f32x4.pmax(m1, v128.load(p, 16));
    m2 = f32x4.pmax(m2, v128.load(p, 32));
    m3 = f32x4.pmax(m3, v128.load(p, 48));
  }
  for (; k + 4 <= c; k += 4) m0 = f32x4.pmax(m0, v128.load(base + (<usize>k << 2)));
  if (k < c) {
    // partial last vector: lanes past the row end read the next bytes of the block, masked to −inf
    const v = v128.bitselect(v128.load(base + (<usize>k << 2)), KNEGINF, firstLanes(c - k));
    m1 = f32x4.pmax(m1, v);
  }
  m0 = f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3));
  // NaN may be dropped by pmax; rowSums detects NaN through Σ (z − m).
  return max<f32>(max<f32>(f32x4.extract_lane(m0, 0), f32x4.extract_lane(m0, 1)), max<f32>(f32x4.extract_lane(m0, 2), f32x4.extract_lane(m0, 3)));
}

@inline function flush(b1: v128, b2: v128, fused: bool): void {
  const a = f64x2.add(f64x2.promote_low_f32x4(b1), f64x2.promote_low_f32x4(v128.shuffle<f32>(b1, b1, 2, 3, 0, 1)));
  gS1 += f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  if (fused) {
    const q = f64x2.add(f64x2.promote_low_f32x4(b2), f64x2.promote_low_f32x4(v128.shuffle<f32>(b2, b2, 2, 3, 0, 1)));
    gS2 += f64x2.extract_lane(q, 0) + f64x2.extract_lane(q, 1);
  }
}

/** gS1 = Σ_{k≠y} e_k, gS2 = Σ_{k≠y} e_k² (fused only), gNaN = row has a NaN. m must be finite. */
@inline function rowSums(base: usize, c: i32, y: i32, m: f32, fused: bool): void {
  const mv = f32x4.splat(m);
  const yc = y & ~3;
  const keepY = i32x4.ne(LANES, i32x4.splat(y - yc));
  gS1 = 0;
  gS2 = 0;
  let sx = f32x4.splat(0);
  let b1 = f32x4.splat(0);
  let b2 = b1;
  let k = 0;
  let cnt = 0;
  for (; k < c; k += 4) {
    let x = f32x4.sub(v128.load(base + (<usize>k << 2)), mv);
    if (k + 4 > c) x = v128.bitselect(x, KNEGINF, firstLanes(c - k));
    sx = f32x4.add(sx, x);
    let e = exp4(x);
    if (k == yc) e = v128.and(e, keepY);
    b1 = f32x4.add(b1, e);
    if (fused) b2 = f32x4.add(b2, f32x4.mul(e, e));
    if (++cnt == 4) {
      flush(b1, b2, fused);
      b1 = f32x4.splat(0);
      b2 = b1;
      cnt = 0;
    }
  }
  if (cnt != 0) flush(b1, b2, fused);
  gNaN = isNaN<f32>(f32x4.extract_lane(sx, 0) + f32x4.extract_lane(sx, 1) + f32x4.extract_lane(sx, 2) + f32x4.extract_lane(sx, 3));
}

export function ceLossRows(zPtr: usize, n: i32, c: i32, yPtr: usize, outPtr: usize): void {
  for (let i = 0; i < n; i++) {
    const base = zPtr + (<usize>i * <usize>c << 2);
    const y = load<i32>(yPtr + (<usize>i << 2));
    const outp = outPtr + (<usize>i << 3);
    if (y < 0) {
      store<f64>(outp, 0);
      continue;
    }
    const m = rowMax(base, c);
    if (!isFinite<f32>(m)) {
      store<f64>(outp, NaN);
      continue;
    }
    rowSums(base, c, y, m, false);
    if (gNaN) {
      store<f64>(outp, NaN);
      continue;
    }
    const d: f64 = <f64>m - <f64>load<f32>(base + (<usize>y << 2));
    store<f64>(outp, d + Math.log(gS1 + Math.exp(-d)));
  }
}

export function ceFusedRows(zPtr: usize, n: i32, c: i32, yPtr: usize, outPtr: usize): void {
  for (let i = 0; i < n; i++) {
    const base = zPtr + (<usize>i * <usize>c << 2);
    const y = load<i32>(yPtr + (<usize>i << 2));
    const outp = outPtr + (<usize>i << 5);
    const m = rowMax(base, c);
    if (!isFinite<f32>(m)) {
      store<f64>(outp, NaN);
      store<f64>(outp, 1, 24);
      continue;
    }
    if (y < 0) {
      // ignored: only whether the row holds a NaN matters (its gradient is p·0)
      rowSums(base, c, 0, m, false);
      store<f64>(outp, 0);
      store<f64>(outp, 0, 8);
      store<f64>(outp, 0, 16);
      store<f64>(outp, gNaN ? 1 : 0, 24);
      continue;
    }
    rowSums(base, c, y, m, true);
    if (gNaN) {
      store<f64>(outp, NaN);
      store<f64>(outp, 1, 24);
      continue;
    }
    const d: f64 = <f64>m - <f64>load<f32>(base + (<usize>y << 2));
    const s1 = gS1;
    const s = s1 + Math.exp(-d);
    store<f64>(outp, d + Math.log(s));
    store<f64>(outp, Math.sqrt(gS2 + s1 * s1) / s, 8);
    store<f64>(outp, s1 / s, 16);
    store<f64>(outp, 0, 24);
  }
}
