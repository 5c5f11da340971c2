// Robust statistics over a trailing window: median in O(1), MAD in O(window) per call, O(shift) per push.
// Typed arrays and scratch buffers: the checks run these once per point of every series (12 M points for
// a 200-run sweep), so nothing here allocates per call.

/** MAD → standard deviation for normal data. */
export const MAD_SCALE = 1.4826;

/** The last `capacity` values pushed, kept in arrival order (a ring) and in sorted order. */
export class RollingWindow {
  private readonly ring: Float64Array;
  private readonly sortedBuf: Float64Array;
  private readonly scratch: Float64Array;
  private head = 0;
  private n = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error(`window must be ≥ 1, got ${capacity}`);
    this.ring = new Float64Array(capacity);
    this.sortedBuf = new Float64Array(capacity);
    this.scratch = new Float64Array(capacity);
  }

  get size(): number {
    return this.n;
  }

  /** The values in sorted order (a view: valid until the next push). */
  get sorted(): Float64Array {
    return this.sortedBuf.subarray(0, this.n);
  }

  push(x: number): void {
    if (!Number.isFinite(x)) return;
    const s = this.sortedBuf;
    if (this.n < this.capacity) {
      this.ring[(this.head + this.n) % this.capacity] = x;
      // insertion: shift the larger values up by one
      let j = this.n;
      while (j > 0 && s[j - 1]! > x) {
        s[j] = s[j - 1]!;
        j--;
      }
      s[j] = x;
      this.n++;
      return;
    }
    const old = this.ring[this.head]!;
    this.ring[this.head] = x;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    // Replace `old` by `x` in the sorted array: shift only the values between them (consecutive values of
    // a training curve are close, so this is usually a handful of moves).
    let j = lowerBoundIn(s, this.n, old);
    if (x >= old) {
      while (j + 1 < this.n && s[j + 1]! < x) {
        s[j] = s[j + 1]!;
        j++;
      }
    } else {
      while (j > 0 && s[j - 1]! > x) {
        s[j] = s[j - 1]!;
        j--;
      }
    }
    s[j] = x;
  }

  median(): number {
    return medianOfSorted(this.sortedBuf, this.n);
  }

  /** Median absolute deviation from the median (unscaled). */
  mad(): number {
    return madOfSortedInto(this.sortedBuf, this.n, this.scratch);
  }

  /** Median of the most recent k values (k ≤ size). */
  recentMedian(k: number): number {
    const n = this.n;
    k = Math.min(k, n);
    if (k <= 0) return NaN;
    const cap = this.capacity;
    const ring = this.ring;
    const newest = (this.head + n - 1) % cap;
    const a = ring[newest]!;
    if (k === 1) return a;
    const b = ring[(newest - 1 + cap) % cap]!;
    if (k === 2) return (a + b) / 2;
    if (k === 3) {
      const c = ring[(newest - 2 + cap) % cap]!;
      return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }
    const last = this.scratch.subarray(0, k);
    for (let j = 0; j < k; j++) last[j] = ring[(newest - j + cap) % cap]!;
    last.sort();
    return medianOfSorted(last, k);
  }
}

function lowerBoundIn(a: ArrayLike<number>, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function lowerBound(a: ArrayLike<number>, x: number): number {
  return lowerBoundIn(a, a.length, x);
}

export function medianOfSorted(a: ArrayLike<number>, n = a.length): number {
  if (n === 0) return NaN;
  const h = n >> 1;
  return n % 2 ? a[h]! : (a[h - 1]! + a[h]!) / 2;
}

/**
 * MAD of the first n values of a sorted array in O(n): merge the deviations left and right of the median
 * (they come out in increasing order, so the merge stops at the middle one). `devs` is scratch space of
 * at least n/2 + 1 numbers.
 */
function madOfSortedInto(a: ArrayLike<number>, n: number, devs: Float64Array): number {
  if (n === 0) return NaN;
  const m = medianOfSorted(a, n);
  // Left deviations m - a[i] grow as i decreases; right deviations a[j] - m grow as j increases.
  let i = lowerBoundIn(a, n, m) - 1;
  let j = i + 1;
  const h = n >> 1;
  for (let k = 0; k <= h; k++) {
    const dl = i >= 0 ? m - a[i]! : Infinity;
    const dr = j < n ? a[j]! - m : Infinity;
    if (dl <= dr) {
      devs[k] = dl;
      i--;
    } else {
      devs[k] = dr;
      j++;
    }
  }
  return n % 2 ? devs[h]! : (devs[h - 1]! + devs[h]!) / 2;
}

/** MAD of a sorted array (unscaled). */
export function madOfSorted(a: ArrayLike<number>): number {
  return madOfSortedInto(a, a.length, new Float64Array((a.length >> 1) + 1));
}

/** The finite values of `values`, sorted (a new Float64Array: typed sorts are numeric and allocation-free). */
function sortedFinite(values: ArrayLike<number>): Float64Array {
  let n = 0;
  for (let k = 0; k < values.length; k++) if (Number.isFinite(values[k]!)) n++;
  const a = new Float64Array(n);
  n = 0;
  for (let k = 0; k < values.length; k++) {
    const v = values[k]!;
    if (Number.isFinite(v)) a[n++] = v;
  }
  return a.sort();
}

/**
 * Moves the k-th smallest of a[0, n) to a[k], smaller ones before it, larger ones after (Hoare's select,
 * median-of-3 pivots). Expected O(n); O(n²) worst case, so only for short bounded arrays (noise windows).
 */
function selectInPlace(a: Float64Array, n: number, k: number): void {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // median of three as the pivot
    let x = a[lo]!;
    let y = a[mid]!;
    const z = a[hi]!;
    if (x > y) [x, y] = [y, x];
    const pivot = z < x ? x : z > y ? y : z;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/** Median of a[0, n) (finite values), reordering a. */
function medianInPlace(a: Float64Array, n: number): number {
  if (n === 0) return NaN;
  const h = n >> 1;
  selectInPlace(a, n, h);
  if (n % 2) return a[h]!;
  let below = a[0]!;
  for (let k = 1; k < h; k++) if (a[k]! > below) below = a[k]!;
  return (below + a[h]!) / 2;
}

/**
 * MAD of the finite values a[0, n) in expected O(n), reordering and overwriting a (two selections instead
 * of a sort: the divergence check takes it every few points). Equal to `mad()` of the same values.
 * For short bounded arrays only (see selectInPlace).
 */
export function madInPlace(a: Float64Array, n: number): number {
  const m = medianInPlace(a, n);
  for (let k = 0; k < n; k++) a[k] = Math.abs(a[k]! - m);
  return medianInPlace(a, n);
}

export function median(values: ArrayLike<number>): number {
  return medianOfSorted(sortedFinite(values));
}

export function mad(values: ArrayLike<number>): number {
  return madOfSorted(sortedFinite(values));
}
