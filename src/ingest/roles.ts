// Recognises what a metric means (train loss, validation loss, gradient norm, learning rate, accuracy)
// across the naming conventions of PyTorch Lightning, Hugging Face, Keras, TensorBoard and hand-written logs.
import type { Role, Split } from '../core/model';

export interface Classified {
  readonly role: Role;
  readonly split: Split;
}

const SPLIT_WORDS: Record<string, Split> = { __proto__: null as unknown as Split, // no prototype: keys come from logs (`constructor`)
  train: 'train',
  training: 'train',
  trn: 'train',
  val: 'val',
  valid: 'val',
  validation: 'val',
  eval: 'val',
  evaluation: 'val',
  dev: 'val',
  test: 'test',
  testing: 'test',
};

/** Normalises a free-form split name (`validation`, `eval`, `dev`, …); undefined when not a split word. */
export function splitOf(word: string): Split | undefined {
  return SPLIT_WORDS[word.toLowerCase()];
}

const LOSS_WORDS = new Set(['loss', 'epoch_loss', 'batch_loss', 'loss_epoch', 'loss_step', 'avg_loss', 'mean_loss', 'total_loss', 'running_loss']);
const ACC_WORDS = new Set(['acc', 'accuracy', 'epoch_accuracy', 'epoch_acc', 'batch_accuracy', 'acc_epoch', 'acc_step', 'accuracy_epoch', 'accuracy_step', 'top1', 'acc1', 'top1_acc', 'sparse_categorical_accuracy', 'categorical_accuracy', 'binary_accuracy', 'epoch_sparse_categorical_accuracy', 'epoch_categorical_accuracy']);
const GRAD_WORDS = new Set(['grad_norm', 'gradient_norm', 'grad_norm_total', 'grad_norm_2.0_norm_total', 'total_grad_norm', 'global_grad_norm', 'gradnorm']);

function isLrWord(w: string): boolean {
  return w === 'lr' || w === 'learning_rate' || w === 'epoch_learning_rate' || w === 'epoch_lr' || /^lr[-_]/.test(w) || /^learning_rate[-_]/.test(w);
}

/** The split named by the key itself (`val_loss`, `train/loss`, `loss_val`), if any. */
export function explicitSplit(key: string): Split | undefined {
  return parseKey(key).split;
}

const PREFIX_RE = /^(train|training|val|valid|validation|eval|evaluation|dev|test)[_-](.+)$/;
const SUFFIX_RE = /^(.+)[_-](train|training|val|valid|validation|eval|test)$/;

function parseKey(key: string): { split: Split | undefined; base: string; lower: string } {
  const lower = key.toLowerCase();
  // Split the key into path parts; look for a split word as a path part or as a `_`-prefix / suffix.
  const parts = lower.split(/[/.]/).filter((p) => p.length > 0);
  let split: Split | undefined;
  const rest: string[] = [];
  for (const p of parts) {
    const s = SPLIT_WORDS[p];
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
      split = SPLIT_WORDS[m[1]!];
      base = m[2]!;
    } else {
      const n = SUFFIX_RE.exec(base);
      if (n) {
        split = SPLIT_WORDS[n[2]!];
        base = n[1]!;
      }
    }
  } else {
    // "validation/val_loss" or "train/train_loss": drop a repeated split prefix.
    const m = PREFIX_RE.exec(base);
    if (m && SPLIT_WORDS[m[1]!] === split) base = m[2]!;
  }
  return { split, base, lower };
}

/**
 * Classifies a series key. `hint` is the split implied by where the key was found (a `validation/`
 * TensorBoard folder, a JSONL `split` field); a split written in the key itself wins.
 */
export function classify(key: string, hint: Split = 'none'): Classified {
  const { split, base, lower } = parseKey(key);
  const effective: Split = split ?? hint;

  if (LOSS_WORDS.has(base) || (effective === 'val' && /^[a-z0-9]+_loss$/.test(base) && lower.startsWith('eval_'))) {
    if (effective === 'val') return { role: 'val_loss', split: 'val' };
    if (effective === 'test') return { role: 'other', split: 'test' };
    return { role: 'train_loss', split: 'train' };
  }
  if (GRAD_WORDS.has(base) || /^grad_?norm/.test(base) || /^gradient_norm/.test(base)) {
    return { role: 'grad_norm', split: effective === 'none' ? 'train' : effective };
  }
  if (isLrWord(base)) return { role: 'learning_rate', split: effective === 'none' ? 'train' : effective };
  if (ACC_WORDS.has(base)) {
    if (effective === 'val') return { role: 'val_accuracy', split: 'val' };
    if (effective === 'test') return { role: 'other', split: 'test' };
    return { role: 'accuracy', split: effective === 'none' ? 'train' : effective };
  }
  return { role: 'other', split: effective };
}
