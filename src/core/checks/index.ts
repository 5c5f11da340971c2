// The loss checks engine (pure: shared by the VS Code extension and the CLI).
import type { Finding, RunView } from '../model';
import { RunChecker } from './checker';
import type { CheckOptions } from './options';
import { summarizeRecords } from './summary';

export { CHECKS, defaultSeverity, type CheckInfo } from './codes';
export type { CheckOptions, OverfittingOptions, LossMismatchOptions, SpikeOptions, DivergenceOptions } from './options';
export { DEFAULTS } from './options';
export { RunChecker } from './checker';
export { type Recomputation } from './recompute';
export {
  recompute,
  summarize,
  summaryOf,
  summarizeRecords,
  pendingSummaries,
  configureSidecars,
  type RecordSummary,
  type SidecarSettings,
} from './summary';

/**
 * All findings of a run, in one pass. Records whose `.npy` sidecars are not summarised yet are not
 * checked (use checkRunAsync, or await summarizeRecords(run.logitRecords()) first).
 */
export function checkRun(run: RunView, options?: CheckOptions): Finding[] {
  return [...new RunChecker(options).update(run)];
}

/** All findings of a run, after its sidecars are read (streamed, one record at a time). */
export async function checkRunAsync(run: RunView, options?: CheckOptions): Promise<Finding[]> {
  await summarizeRecords(run.logitRecords());
  return checkRun(run, options);
}
