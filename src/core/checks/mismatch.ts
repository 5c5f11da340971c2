// loss-mismatch / unstable-loss: the logged loss against the recomputation from the same logits.
import type { LogitRecord } from '../model';
import type { RecordAnalysis } from './labels';

export interface LossComparison {
  kind: 'ok' | 'mismatch' | 'unstable';
  logged: number;
  recomputed: number;
  /** What explains the logged value, as a phrase ("softmax applied twice: …"). */
  cause?: string;
}

export type LossCheck = (r: LogitRecord, a: RecordAnalysis) => LossComparison | undefined;
