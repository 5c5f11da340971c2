// The loss checks engine (pure: shared by the VS Code extension and the CLI).
import type { Finding, RunView } from '../model';
import { RunChecker } from './checker';
import type { CheckOptions } from './options';

export { CHECKS, defaultSeverity, type CheckInfo } from './codes';
export type { CheckOptions, OverfittingOptions, LossMismatchOptions, SpikeOptions, DivergenceOptions } from './options';
export { DEFAULTS } from './options';
export { RunChecker } from './checker';
export { recompute, type Recomputation } from './recompute';

/** All findings of a run, in one pass. */
export function checkRun(run: RunView, options?: CheckOptions): Finding[] {
  return [...new RunChecker(options).update(run)];
}
