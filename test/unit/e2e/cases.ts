// The example trainer's cases (examples/train_classifier.py) and what LossWatch must say about each.
// scripts/gen_example_runs.sh writes them to test/fixtures/runs/<case>/ with the same flags.

export interface ExampleCase {
  /** Folder name under test/fixtures/runs. */
  readonly name: string;
  /** Flags of examples/train_classifier.py (besides --out, --seed 0 and the size flags below). */
  readonly flags: readonly string[];
  /** Exit code of the example (label-equal-to-c stops when the loss call raises). */
  readonly exitCode: number;
  /** Diagnostic codes that must be reported. */
  readonly expect: readonly string[];
}

/** The size flags scripts/gen_example_runs.sh uses (keeps the committed logs small). */
export const SIZE_FLAGS = ['--seed', '0', '--steps', '150', '--log-every', '25', '--rows', '6'] as const;

export const CASES: readonly ExampleCase[] = [
  { name: 'healthy', flags: [], exitCode: 0, expect: [] },
  { name: 'high-lr-nan', flags: ['--lr', '50'], exitCode: 0, expect: ['non-finite-loss', 'training-divergence'] },
  { name: 'double-softmax', flags: ['--double-softmax'], exitCode: 0, expect: ['probabilities-as-logits'] },
  { name: 'one-based-labels', flags: ['--one-based-labels'], exitCode: 0, expect: ['label-one-based'] },
  { name: 'label-equal-to-c', flags: ['--label-equal-to-c'], exitCode: 1, expect: ['label-out-of-range'] },
  { name: 'one-hot-with-index-loss', flags: ['--one-hot-with-index-loss'], exitCode: 0, expect: ['label-one-hot-vs-index'] },
  { name: 'tiny-train-overfit', flags: ['--tiny-train'], exitCode: 0, expect: ['overfitting'] },
  { name: 'multi-label-with-softmax', flags: ['--multi-label-with-softmax'], exitCode: 0, expect: ['label-multi-hot'] },
];
