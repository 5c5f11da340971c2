// Recognises what a metric means (train loss, validation loss, gradient norm, learning rate, accuracy)
// across the naming conventions of PyTorch Lightning, Hugging Face, Keras, TensorBoard, Ultralytics YOLO,
// mmdetection, detectron2, fairseq, nanoGPT and hand-written logs.
//
// Names come from logs: they are looked up in Maps / Sets only (a metric called `constructor` or
// `__proto__` must not hit Object.prototype), and every pattern below is linear-time.
import type { Role, Split } from '../core/model';

export interface Classified {
  readonly role: Role;
  readonly split: Split;
  /**
   * The loss family (`loss`, `box_loss`, `loss_cls`, `nll_loss`, …) or metric base name with the split
   * and Lightning `_step`/`_epoch` decorations removed: `train/box_loss` and `val/box_loss` share it,
   * so do `loss`, `train_loss`, `val_loss` and `eval_loss` (all `loss`).
   */
  readonly quantity: string;
  /**
   * Losses only: true for the run's total objective (`loss`, `train_loss`, `total_loss`, `eval_loss`,
   * `eval_<dataset>_loss`), false for a component or auxiliary loss (`box_loss`, `loss_cls`, `nll_loss`).
   */
  readonly total: boolean;
  /** Gradient norms only: the value is the squared norm (`grad_norm_square`); compare its square root. */
  readonly squared: boolean;
}

const SPLIT_WORDS = new Map<string, Split>([
  ['train', 'train'],
  ['training', 'train'],
  ['trn', 'train'],
  ['val', 'val'],
  ['valid', 'val'],
  ['validation', 'val'],
  ['eval', 'val'],
  ['evaluation', 'val'],
  ['dev', 'val'],
  ['test', 'test'],
  ['testing', 'test'],
]);

/** Normalises a free-form split name (`validation`, `eval`, `dev`, …); undefined when not a split word. */
export function splitOf(word: string): Split | undefined {
  return SPLIT_WORDS.get(word.toLowerCase());
}

/** Names of the total training objective (after the split is removed). */
const TOTAL_LOSS_WORDS = new Set([
  'loss',
  'epoch_loss',
  'batch_loss',
  'loss_epoch',
  'loss_step',
  'avg_loss',
  'mean_loss',
  'total_loss',
  'loss_total',
  'running_loss',
  'overall_loss',
]);
/**
 * Names containing `loss` that are not a loss curve: fairseq's fp16 loss scale, loss weights, best-so-far
 * values, and Keras' `evaluation_loss_vs_iterations` (the epoch validation loss again, on another x axis).
 */
const NOT_LOSS_RE = /(?:^|_)loss_?(?:scale|scaler|weight|weights|coef|coeff|factor|ratio)(?:$|_)|^(?:best|min|lowest)_|_vs_/;
/** A component / auxiliary loss: `box_loss`, `loss_cls`, `loss_rpn_cls`, `nll_loss`, `rmse_loss`, `s0.loss_cls`. */
const LOSS_PART_RE = /(?:^|_)loss(?:$|_)|[a-z0-9]loss$/;

const ACC_WORDS = new Set([
  'acc',
  'accuracy',
  'epoch_accuracy',
  'epoch_acc',
  'batch_accuracy',
  'acc_epoch',
  'acc_step',
  'accuracy_epoch',
  'accuracy_step',
  'top1',
  'acc1',
  'top1_acc',
  'sparse_categorical_accuracy',
  'categorical_accuracy',
  'binary_accuracy',
  'epoch_sparse_categorical_accuracy',
  'epoch_categorical_accuracy',
]);
/** Gradient norms: Lightning/HF `grad_norm`, fairseq `gnorm`, nanoGPT `norm` (the clipped total norm). */
const GRAD_WORDS = new Set([
  'grad_norm',
  'gradient_norm',
  'grad_norm_total',
  'grad_norm_2.0_norm_total',
  'total_grad_norm',
  'global_grad_norm',
  'gradnorm',
  'gnorm',
  'norm',
  'total_norm',
  'grad_l2_norm',
]);
/** Squared gradient norms (compare as their square root). */
const GRAD_SQUARE_WORDS = new Set([
  'grad_norm_square',
  'grad_norm_squared',
  'grad_norm_sq',
  'gnorm_square',
  'gradient_norm_square',
  'grad_sq_norm',
]);

function isLrWord(w: string): boolean {
  return (
    w === 'lr' ||
    w === 'learning_rate' ||
    w === 'epoch_learning_rate' ||
    w === 'epoch_lr' ||
    /^lr[-_]/.test(w) ||
    /^learning_rate[-_]/.test(w)
  );
}

/** The split named by the key itself (`val_loss`, `train/loss`, `loss_val`), if any. */
export function explicitSplit(key: string): Split | undefined {
  return parseKey(key).split;
}

const PREFIX_RE = /^(train|training|val|valid|validation|eval|evaluation|dev|test)[_-](.+)$/;
const SUFFIX_RE = /^(.+)[_-](train|training|val|valid|validation|eval|test)$/;

function parseKey(key: string): { split: Split | undefined; base: string; lower: string } {
  // camelCase and PascalCase words are words too: `ValLoss` → `val_loss`, `TrainAcc` → `train_acc`,
  // `gradNorm` → `grad_norm` (console logs print such keys); runs of capitals (`LR`, `mAP`) stay one word
  const lower = key.replace(/([a-z0-9])([A-Z])(?=[a-z])/g, '$1_$2').toLowerCase();
  // Split the key into path parts; look for a split word as a path part or as a `_`-prefix / suffix.
  const parts = lower.split(/[/.]/).filter((p) => p.length > 0);
  let split: Split | undefined;
  const rest: string[] = [];
  for (const p of parts) {
    const s = SPLIT_WORDS.get(p);
    if (s && split === undefined) {
      split = s;
      continue;
    }
    rest.push(p);
  }
  let base = rest.join('_');
  if (split === undefined) {
    const m = PREFIX_RE.exec(base);
    if (m) {
      split = SPLIT_WORDS.get(m[1]!);
      base = m[2]!;
    } else {
      const n = SUFFIX_RE.exec(base);
      if (n) {
        split = SPLIT_WORDS.get(n[2]!);
        base = n[1]!;
      }
    }
  } else {
    // "validation/val_loss" or "train/train_loss": drop a repeated split prefix.
    const m = PREFIX_RE.exec(base);
    if (m && SPLIT_WORDS.get(m[1]!) === split) base = m[2]!;
  }
  return { split, base, lower };
}

/** `box_loss_epoch` → `box_loss`, `epoch_loss` → `loss`, `avg_loss` → `loss`: the family a curve belongs to. */
function lossQuantity(base: string): string {
  let q = base.replace(/_(?:epoch|step)$/, '').replace(/^(?:epoch|batch|avg|mean|running)_/, '');
  if (TOTAL_LOSS_WORDS.has(q) || TOTAL_LOSS_WORDS.has(base)) q = 'loss';
  return q;
}

/**
 * Classifies a series key. `hint` is the split implied by where the key was found (a `validation/`
 * TensorBoard folder, a JSONL `split` field); a split written in the key itself wins.
 */
/** `rank3/loss` (a multi-rank run: one series per rank) → 3; else undefined. */
export function rankOfKey(key: string): number | undefined {
  const m = RANK_KEY.exec(key);
  return m ? Number(m[1]) : undefined;
}
const RANK_KEY = /^rank(\d{1,5})\//;

export function classify(key: string, hint: Split = 'none'): Classified {
  // a rank's series is classified as the metric it carries
  const { split, base, lower } = parseKey(key.replace(RANK_KEY, ''));
  const effective: Split = split ?? hint;
  const plain = { quantity: base, total: false, squared: false };

  const totalLoss = TOTAL_LOSS_WORDS.has(base);
  // Hugging Face `eval_<dataset>_loss`: the total loss on one of several evaluation sets.
  const hfEvalSet = effective === 'val' && lower.startsWith('eval_') && /^[a-z0-9]+_loss$/.test(base);
  if (totalLoss || hfEvalSet || (LOSS_PART_RE.test(base) && !NOT_LOSS_RE.test(base))) {
    const c = { quantity: lossQuantity(base), total: totalLoss || hfEvalSet, squared: false };
    if (effective === 'val') return { role: 'val_loss', split: 'val', ...c };
    if (effective === 'test') return { role: 'other', split: 'test', ...c };
    return { role: 'train_loss', split: 'train', ...c };
  }
  const gsplit: Split = effective === 'none' ? 'train' : effective;
  if (GRAD_SQUARE_WORDS.has(base)) return { role: 'grad_norm', split: gsplit, quantity: 'grad_norm', total: false, squared: true };
  // Lightning's `grad_norm(module, 2)` logs `grad_2.0_norm_total` (the `.` splits the key: `grad_2_0_norm_total`).
  if (
    GRAD_WORDS.has(base) ||
    /^grad_?norm/.test(base) ||
    /^gradient_norm/.test(base) ||
    /^grad_\d{1,3}(?:_\d{1,3})?_norm_total$/.test(base)
  ) {
    return { role: 'grad_norm', split: gsplit, quantity: 'grad_norm', total: false, squared: false };
  }
  if (isLrWord(base)) return { role: 'learning_rate', split: gsplit, ...plain };
  if (ACC_WORDS.has(base)) {
    if (effective === 'val') return { role: 'val_accuracy', split: 'val', ...plain };
    if (effective === 'test') return { role: 'other', split: 'test', ...plain };
    return { role: 'accuracy', split: gsplit, ...plain };
  }
  return { role: 'other', split: effective, ...plain };
}
