// Options of the checks engine, with defaults (names and defaults of overfitting as Keras/Lightning EarlyStopping).
import type { Severity } from '../model';

export interface OverfittingOptions {
  /** Evaluations without improvement before firing (EarlyStopping `patience`). */
  patience: number;
  /** Minimum decrease that counts as an improvement (EarlyStopping `min_delta`). */
  minDelta: number;
}

export interface LossMismatchOptions {
  rtol: number;
  atol: number;
}

export interface SpikeOptions {
  /** Robust z-score (median/MAD) above which a point is a spike. */
  z: number;
  /** Trailing window (points) the median and MAD are taken over. */
  window: number;
}

export interface DivergenceOptions {
  /** Points in the rolling median that defines the loss level. */
  window: number;
  /** Positive losses only: relative rise of the level above its best that counts as rising (1 = doubled). */
  rise: number;
  /** Rise of the level above its best, in units of the series' noise σ (robust spread of its de-trended points). */
  sigmas: number;
  /** Mann–Kendall z of the last 2×window points needed to start a rising episode (2.58 ≈ 1% two-sided). */
  trendZ: number;
  /** Consecutive points the level must stay risen before firing. */
  patience: number;
  /** Level of the last 3 points this many times the best level = exploding. */
  explode: number;
}

export interface CheckOptions {
  severities?: Record<string, Severity | 'off'>;
  overfitting?: Partial<OverfittingOptions>;
  lossMismatch?: Partial<LossMismatchOptions>;
  spike?: Partial<SpikeOptions>;
  divergence?: Partial<DivergenceOptions>;
}

export interface ResolvedOptions {
  severities: Record<string, Severity | 'off'>;
  overfitting: OverfittingOptions;
  lossMismatch: LossMismatchOptions;
  spike: SpikeOptions;
  divergence: DivergenceOptions;
}

export const DEFAULTS: Omit<ResolvedOptions, 'severities'> = {
  overfitting: { patience: 3, minDelta: 0 },
  lossMismatch: { rtol: 1e-3, atol: 1e-5 },
  spike: { z: 6, window: 50 },
  divergence: { window: 20, rise: 1, sigmas: 3, trendZ: 2.58, patience: 10, explode: 10 },
};

function pick(v: unknown, fallback: number, min: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) return fallback;
  return integer ? Math.floor(v) : v;
}

/** Fills defaults; out-of-range values fall back to the default instead of breaking the checks. */
export function resolveOptions(o: CheckOptions = {}): ResolvedOptions {
  const d = DEFAULTS;
  return {
    severities: { ...(o.severities ?? {}) },
    overfitting: {
      patience: pick(o.overfitting?.patience, d.overfitting.patience, 1, true),
      minDelta: pick(o.overfitting?.minDelta, d.overfitting.minDelta, 0),
    },
    lossMismatch: {
      rtol: pick(o.lossMismatch?.rtol, d.lossMismatch.rtol, 0),
      atol: pick(o.lossMismatch?.atol, d.lossMismatch.atol, 0),
    },
    spike: {
      z: pick(o.spike?.z, d.spike.z, 0.5),
      window: pick(o.spike?.window, d.spike.window, 5, true),
    },
    divergence: {
      window: pick(o.divergence?.window, d.divergence.window, 3, true),
      rise: pick(o.divergence?.rise, d.divergence.rise, 0.01),
      sigmas: pick(o.divergence?.sigmas, d.divergence.sigmas, 0),
      trendZ: pick(o.divergence?.trendZ, d.divergence.trendZ, 0),
      patience: pick(o.divergence?.patience, d.divergence.patience, 1, true),
      explode: pick(o.divergence?.explode, d.divergence.explode, 1.5),
    },
  };
}
