// Robust statistics over a trailing window: median and MAD in O(window) per point.

/** MAD → standard deviation for normal data. */
export const MAD_SCALE = 1.4826;

/** The last `capacity` values pushed, kept in arrival order and in sorted order. */
export class RollingWindow {
  private readonly ring: number[] = [];
  private head = 0;
  private readonly sorted: number[] = [];

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error(`window must be ≥ 1, got ${capacity}`);
  }

  get size(): number {
    return this.sorted.length;
  }

  push(x: number): void {
    if (!Number.isFinite(x)) return;
    if (this.ring.length < this.capacity) {
      this.ring.push(x);
    } else {
      const old = this.ring[this.head]!;
      this.ring[this.head] = x;
      this.head = (this.head + 1) % this.capacity;
      this.sorted.splice(lowerBound(this.sorted, old), 1);
    }
    this.sorted.splice(lowerBound(this.sorted, x), 0, x);
  }

  median(): number {
    return medianOfSorted(this.sorted);
  }

  /** Median absolute deviation from the median (unscaled). */
  mad(): number {
    return madOfSorted(this.sorted);
  }

  /** Median of the most recent k values (k ≤ size). */
  recentMedian(k: number): number {
    const n = this.ring.length;
    k = Math.min(k, n);
    if (k === 0) return NaN;
    const last: number[] = [];
    // the newest value sits just before `head` once the ring is full, else at the end
    const newest = n < this.capacity ? n - 1 : (this.head - 1 + n) % n;
    for (let j = 0; j < k; j++) last.push(this.ring[(newest - j + n) % n]!);
    last.sort((a, b) => a - b);
    return medianOfSorted(last);
  }
}

export function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function medianOfSorted(a: readonly number[]): number {
  const n = a.length;
  if (n === 0) return NaN;
  const h = n >> 1;
  return n % 2 ? a[h]! : (a[h - 1]! + a[h]!) / 2;
}

/** MAD of a sorted array in O(n): merge the deviations left and right of the median. */
export function madOfSorted(a: readonly number[]): number {
  const n = a.length;
  if (n === 0) return NaN;
  const m = medianOfSorted(a);
  // Left deviations m - a[i] grow as i decreases; right deviations a[j] - m grow as j increases.
  let i = lowerBound(a, m) - 1;
  let j = i + 1;
  const devs: number[] = new Array(n);
  for (let k = 0; k < n; k++) {
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
  return medianOfSorted(devs);
}

export function median(values: readonly number[]): number {
  const a = values.filter(Number.isFinite).sort((x, y) => x - y);
  return medianOfSorted(a);
}

export function mad(values: readonly number[]): number {
  const a = values.filter(Number.isFinite).sort((x, y) => x - y);
  return madOfSorted(a);
}
