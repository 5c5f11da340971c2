// Keys of the series derived from logged logits (one module for the host, the checks and the webview).
export const RECOMPUTED_PREFIX = 'recomputed/';
export const RECOMPUTED_LOSS = `${RECOMPUTED_PREFIX}loss`;
export const RECOMPUTED_GRAD_NORM = `${RECOMPUTED_PREFIX}grad_norm`;

/** True for the series derived from logits records (not checked again, not "the loss" of a run). */
export function isRecomputedKey(key: string): boolean {
  return key.startsWith(RECOMPUTED_PREFIX);
}
