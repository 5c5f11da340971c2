// Every diagnostic code of the checks engine, with its default severity and a one-line title.
// The docs (docs/diagnostics.md) have one anchor per code; settings list these codes.
import type { Severity } from '../model';

export interface CheckInfo {
  readonly code: string;
  readonly defaultSeverity: Severity;
  readonly title: string;
}

export const CHECKS: ReadonlyArray<CheckInfo> = [
  { code: 'non-finite-loss', defaultSeverity: 'error', title: 'Loss became NaN or infinite' },
  { code: 'non-finite-grad-norm', defaultSeverity: 'error', title: 'Gradient norm became NaN or infinite' },
  { code: 'non-finite-logits', defaultSeverity: 'error', title: 'Logged logits contain NaN or infinity' },
  { code: 'unstable-loss', defaultSeverity: 'error', title: 'Loss computed in a numerically unstable way' },
  { code: 'loss-mismatch', defaultSeverity: 'warning', title: 'Logged loss differs from the recomputed cross-entropy' },
  { code: 'label-out-of-range', defaultSeverity: 'error', title: 'Class index outside 0…C-1' },
  { code: 'label-one-based', defaultSeverity: 'error', title: 'Labels are numbered 1…C instead of 0…C-1' },
  { code: 'label-not-integer', defaultSeverity: 'error', title: 'Class-index labels are not integers' },
  { code: 'label-one-hot-vs-index', defaultSeverity: 'error', title: 'One-hot labels given to an index loss (or the reverse)' },
  { code: 'label-multi-hot', defaultSeverity: 'warning', title: 'Several classes marked per row: a multi-label problem' },
  { code: 'label-soft-not-normalized', defaultSeverity: 'error', title: 'Probability targets do not sum to 1' },
  { code: 'label-shape-mismatch', defaultSeverity: 'error', title: 'Labels do not match the logits in N or C' },
  { code: 'single-class-logits', defaultSeverity: 'error', title: 'Softmax cross-entropy over one class is always 0' },
  { code: 'probabilities-as-logits', defaultSeverity: 'warning', title: 'Probabilities passed where logits are expected' },
  { code: 'logits-unreadable', defaultSeverity: 'information', title: 'A logged logits/labels batch could not be read' },
  { code: 'overfitting', defaultSeverity: 'warning', title: 'Validation loss rising while training loss falls' },
  { code: 'training-divergence', defaultSeverity: 'warning', title: 'Training loss rising persistently or exploding' },
  { code: 'loss-spike', defaultSeverity: 'information', title: 'Outlier in the loss' },
  { code: 'grad-norm-spike', defaultSeverity: 'information', title: 'Outlier in the gradient norm' },
  { code: 'parse-error', defaultSeverity: 'information', title: 'Malformed records in a log file' },
  { code: 'run-resumed', defaultSeverity: 'information', title: 'The step went back: a resumed run appends to the log' },
  { code: 'rank-desync', defaultSeverity: 'warning', title: 'Ranks of a data-parallel run log different gradient norms for one step' },
  { code: 'rank-stalled', defaultSeverity: 'warning', title: 'A rank stopped writing while the others go on' },
  // Training-script lint (src/lint): loss pitfalls found in the Python source.
  { code: 'softmax-before-cross-entropy', defaultSeverity: 'warning', title: 'Softmax output passed to a loss that expects logits' },
  { code: 'log-of-softmax', defaultSeverity: 'warning', title: 'log(softmax(x)) instead of log_softmax(x)' },
  { code: 'sigmoid-before-bce-with-logits', defaultSeverity: 'warning', title: 'Sigmoid output passed to BCEWithLogitsLoss' },
  { code: 'bce-on-logits', defaultSeverity: 'error', title: 'BCELoss on the raw output of a linear layer' },
  { code: 'nll-on-logits', defaultSeverity: 'warning', title: 'NLLLoss on raw logits (no log_softmax)' },
  { code: 'validation-in-train-mode', defaultSeverity: 'warning', title: 'Validation loop without model.eval() or torch.no_grad()' },
  { code: 'missing-zero-grad', defaultSeverity: 'warning', title: 'Gradients never cleared between optimizer steps' },
  { code: 'softmax-with-from-logits', defaultSeverity: 'warning', title: 'Keras softmax output with a from_logits=True loss' },
  {
    code: 'logits-without-from-logits',
    defaultSeverity: 'warning',
    title: 'Keras model without output activation and a from_logits=False loss',
  },
  { code: 'sparse-vs-categorical', defaultSeverity: 'error', title: 'Keras sparse/categorical cross-entropy given the other label format' },
];

const BY_CODE = new Map(CHECKS.map((c) => [c.code, c]));

export function defaultSeverity(code: string): Severity {
  return BY_CODE.get(code)?.defaultSeverity ?? 'warning';
}
