// The recomputed series live in the core (src/core/recomputed.ts) so the CLI shows them too;
// re-exported here for the extension's glue.
export {
  ArraySeries,
  RECOMPUTED_GRAD_NORM,
  RECOMPUTED_LOSS,
  RECOMPUTED_PREFIX,
  RunWithRecomputed,
  isRecomputedKey,
  type Recomputation,
} from '../core/recomputed';
