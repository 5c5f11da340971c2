// One chart card per metric: train and validation of the same quantity share a card (`train/loss` and
// `val/loss`, `loss` and `eval_loss`, `acc` and `val_acc`), each other metric gets its own card
// (`eval_g0_loss` … `eval_g5_loss` are six cards). Shared by the host (which series to send) and the webview.
import type { Role, Split } from '../core/model';

export interface CardInfo {
  /** Stable id: 'loss', 'accuracy', 'lr', 'grad_norm', or the metric's name without its split. */
  readonly id: string;
  readonly title: string;
  /** Card group: 'Overview' for the four standard cards, else the metric's prefix (`eval_`, `charts/`, …). */
  readonly group: string;
}

export const OVERVIEW = 'Overview';
export const STANDARD_CARDS: readonly string[] = ['loss', 'accuracy', 'lr', 'grad_norm'];
const TITLES: Record<string, string> = { loss: 'Loss', accuracy: 'Accuracy', lr: 'Learning rate', grad_norm: 'Gradient norm' };

const SPLIT = '(?:train|training|val|valid|validation|eval|evaluation|dev|test|testing)';
const PREFIX = new RegExp(`^(${SPLIT})([/_.-])(.+)$`, 'i');
const SUFFIX = new RegExp(`^(.+)([/_.-])${SPLIT}$`, 'i');
const PLAIN_LOSS = /^(?:epoch_|batch_|avg_|mean_|total_|running_)?loss(?:_epoch|_step)?$/i;
const PLAIN_ACC =
  /^(?:epoch_|batch_)?(?:acc|accuracy|top1|acc1|top1_acc|(?:sparse_)?categorical_accuracy|binary_accuracy)(?:_epoch|_step)?$/i;

/** The metric name without its split word: `train/loss` → `loss`, `eval_g1_loss` → `g1_loss`. */
function baseOf(key: string): { base: string; prefix: string } {
  const m = PREFIX.exec(key);
  if (m) return { base: m[3], prefix: m[1] + m[2] };
  const n = SUFFIX.exec(key);
  if (n) return { base: n[1], prefix: '' };
  return { base: key, prefix: '' };
}

export function cardOf(s: { readonly key: string; readonly role: Role; readonly split?: Split }): CardInfo {
  if (s.key.startsWith('recomputed/')) return { id: 'loss', title: TITLES.loss, group: OVERVIEW };
  const { base, prefix } = baseOf(s.key);
  const std = (id: string): CardInfo => ({ id, title: TITLES[id], group: OVERVIEW });
  switch (s.role) {
    case 'train_loss':
    case 'val_loss':
      if (PLAIN_LOSS.test(base)) return std('loss');
      break;
    case 'accuracy':
    case 'val_accuracy':
      if (PLAIN_ACC.test(base)) return std('accuracy');
      break;
    case 'learning_rate':
      return std('lr');
    case 'grad_norm':
      return std('grad_norm');
    default:
      if (PLAIN_LOSS.test(base)) return std('loss');
  }
  const slash = base.indexOf('/');
  const group = slash > 0 ? base.slice(0, slash + 1) : prefix !== '' ? prefix : 'Other';
  return { id: `m:${base}`, title: base, group };
}

/** Log y unless the user said otherwise: gradient norms span decades. */
export function defaultYLog(cardId: string): boolean {
  return cardId === 'grad_norm';
}
