// Codes of the training-script lint rules. Their default severities and titles live with every other
// diagnostic code in core/checks/codes.ts; docs/diagnostics.md has one anchor per code.
export const LINT_CODES = [
  'softmax-before-cross-entropy',
  'log-of-softmax',
  'sigmoid-before-bce-with-logits',
  'bce-on-logits',
  'nll-on-logits',
  'validation-in-train-mode',
  'missing-zero-grad',
  'softmax-with-from-logits',
  'logits-without-from-logits',
  'sparse-vs-categorical',
] as const;

export type LintCode = (typeof LINT_CODES)[number];
