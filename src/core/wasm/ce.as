// AssemblyScript source of the WebAssembly SIMD cross-entropy kernel (float32 logits, [N, C]).
// Build: node src/core/wasm/build.mjs  (runs the npm-installed `asc`, writes ceWasm.ts).
//
// Per row i (classes contiguous), with y = target (−1 = ignored):
//   m = max z (f32x4), then e_k = exp(z_k − m) by a Cephes-style f32 polynomial (rel. err ≈ 1e-7,
//   exp(0) = 1 exactly, x < −86 → 0), accumulated in float64.
//   loss-only mode  out[i]        = (m − z_y) + log Σ e            (NaN for a non-finite row)
//   fused mode      out[4i + 0]   = (m − z_y) + log s               (−log p_y)
//                   out[4i + 1]   = sqrt(Σ_{k≠y} e_k² + (Σ_{k≠y} e_k)²) / s   (‖p − onehot(y)‖₂)
//                   out[4i + 2]   = Σ_{k≠y} e_k / s                  (1 − p_y = max |p − onehot(y)|)
//                   out[4i + 3]   = 1 when the row is non-finite (NaN, +inf, all −inf): the caller
//                                   recomputes it with the reference path; 0 otherwise.
//   where s = Σ_{k≠y} e_k + exp(z_y − m) (the target term in float64 Math.exp). Sums that exclude the
//   target keep 1 − p_y and the gradient norm accurate for confident predictions (no 1 − p cancellation).

// @ts-nocheck

@inline function exp4(x: v128): v128 {
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504088896341)), f32x4.splat(12582912.0));
  const kf = f32x4.sub(t, f32x4.splat(12582912.0));
  let r = f32x4.sub(x, f32x4.mul(kf, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(kf, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1.0));
  const scaled = i32x4.add(p, i32x4.shl(t, 23));
  return v128.and(scaled, f32x4.ge(x, f32x4.splat(-86.0)));
}

@inline function exp1(x: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
}

@inline function rowMax(base: usize, c: i32): f32 {
  let m0 = f32x4.splat(-Infinity);
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
  m0 = f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3));
  let m = max<f32>(max<f32>(f32x4.extract_lane(m0, 0), f32x4.extract_lane(m0, 1)), max<f32>(f32x4.extract_lane(m0, 2), f32x4.extract_lane(m0, 3)));
  for (; k < c; k++) m = max<f32>(m, load<f32>(base + (<usize>k << 2)));
  // NaN may be dropped by pmax; the caller detects NaN through Σ (z − m).
  return m;
}

/** Σ over the row of (z − m) in f32: NaN iff the row has a NaN (m finite ⇒ no +inf). */
@inline function hsum4(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
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
    const mv = f32x4.splat(m);
    let a0 = f64x2.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    let sx0 = f32x4.splat(0);
    let sx1 = sx0;
    let k = 0;
    for (; k + 8 <= c; k += 8) {
      const p = base + (<usize>k << 2);
      const x0 = f32x4.sub(v128.load(p), mv);
      const x1 = f32x4.sub(v128.load(p, 16), mv);
      sx0 = f32x4.add(sx0, x0);
      sx1 = f32x4.add(sx1, x1);
      const e0 = exp4(x0);
      const e1 = exp4(x1);
      a0 = f64x2.add(a0, f64x2.promote_low_f32x4(e0));
      a1 = f64x2.add(a1, f64x2.promote_low_f32x4(v128.shuffle<f32>(e0, e0, 2, 3, 0, 1)));
      a2 = f64x2.add(a2, f64x2.promote_low_f32x4(e1));
      a3 = f64x2.add(a3, f64x2.promote_low_f32x4(v128.shuffle<f32>(e1, e1, 2, 3, 0, 1)));
    }
    for (; k + 4 <= c; k += 4) {
      const x0 = f32x4.sub(v128.load(base + (<usize>k << 2)), mv);
      sx0 = f32x4.add(sx0, x0);
      const e0 = exp4(x0);
      a0 = f64x2.add(a0, f64x2.promote_low_f32x4(e0));
      a1 = f64x2.add(a1, f64x2.promote_low_f32x4(v128.shuffle<f32>(e0, e0, 2, 3, 0, 1)));
    }
    a0 = f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3));
    let s: f64 = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
    let sx: f32 = hsum4(f32x4.add(sx0, sx1));
    for (; k < c; k++) {
      const x = load<f32>(base + (<usize>k << 2)) - m;
      sx += x;
      s += <f64>exp1(x);
    }
    if (isNaN<f32>(sx)) {
      store<f64>(outp, NaN);
      continue;
    }
    const zy = load<f32>(base + (<usize>y << 2));
    store<f64>(outp, (<f64>m - <f64>zy) + Math.log(s));
  }
}

export function ceFusedRows(zPtr: usize, n: i32, c: i32, yPtr: usize, outPtr: usize): void {
  const lanes = i32x4(0, 1, 2, 3);
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
    const mv = f32x4.splat(m);
    if (y < 0) {
      // ignored: only whether the row holds a NaN matters (its gradient is p·0)
      let sx0 = f32x4.splat(0);
      let k = 0;
      for (; k + 4 <= c; k += 4) sx0 = f32x4.add(sx0, f32x4.sub(v128.load(base + (<usize>k << 2)), mv));
      let sx = hsum4(sx0);
      for (; k < c; k++) sx += load<f32>(base + (<usize>k << 2)) - m;
      store<f64>(outp, 0);
      store<f64>(outp, 0, 8);
      store<f64>(outp, 0, 16);
      store<f64>(outp, isNaN<f32>(sx) ? 1 : 0, 24);
      continue;
    }
    const yc = y & ~3;
    const keep = i32x4.ne(lanes, i32x4.splat(y - yc));
    let s1a = f64x2.splat(0);
    let s1b = s1a;
    let s2a = s1a;
    let s2b = s1a;
    let sx0 = f32x4.splat(0);
    let k = 0;
    for (; k + 4 <= c; k += 4) {
      const x0 = f32x4.sub(v128.load(base + (<usize>k << 2)), mv);
      sx0 = f32x4.add(sx0, x0);
      let e0 = exp4(x0);
      if (k == yc) e0 = v128.and(e0, keep);
      const lo = f64x2.promote_low_f32x4(e0);
      const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(e0, e0, 2, 3, 0, 1));
      s1a = f64x2.add(s1a, lo);
      s1b = f64x2.add(s1b, hi);
      s2a = f64x2.add(s2a, f64x2.mul(lo, lo));
      s2b = f64x2.add(s2b, f64x2.mul(hi, hi));
    }
    s1a = f64x2.add(s1a, s1b);
    s2a = f64x2.add(s2a, s2b);
    let s1: f64 = f64x2.extract_lane(s1a, 0) + f64x2.extract_lane(s1a, 1);
    let s2: f64 = f64x2.extract_lane(s2a, 0) + f64x2.extract_lane(s2a, 1);
    let sx: f32 = hsum4(sx0);
    for (; k < c; k++) {
      const x = load<f32>(base + (<usize>k << 2)) - m;
      sx += x;
      if (k == y) continue;
      const e = <f64>exp1(x);
      s1 += e;
      s2 += e * e;
    }
    if (isNaN<f32>(sx)) {
      store<f64>(outp, NaN);
      store<f64>(outp, 1, 24);
      continue;
    }
    const d: f64 = <f64>m - <f64>load<f32>(base + (<usize>y << 2));
    const ey = Math.exp(-d);
    const s = s1 + ey;
    store<f64>(outp, d + Math.log(s));
    store<f64>(outp, Math.sqrt(s2 + s1 * s1) / s, 8);
    store<f64>(outp, s1 / s, 16);
    store<f64>(outp, 0, 24);
  }
}
