// Hugging Face Trainer `trainer_state.json`: `log_history` entries become points (`loss`, `eval_*`,
// `grad_norm`, `learning_rate`, …); the final summary entry (`train_loss`, `train_runtime`, …) is run
// metadata, not a step. The file is rewritten whole at each save: the watcher diffs against what it knows.
import { JsonError, parseJson, type JsonValue } from '../json';
import type { Sink, WholeParser } from '../sink';
import { utf8 } from '../sink';

const SUMMARY_KEYS = ['train_runtime', 'train_samples_per_second', 'train_steps_per_second', 'total_flos'];

export class HfTrainerStateParser implements WholeParser {
  /** Why the last parseWhole returned false (the content looks cut short: mid-write or truncated). */
  incomplete: string | undefined;

  parseWhole(buf: Uint8Array, sink: Sink): boolean {
    this.incomplete = undefined;
    const text = utf8(buf).replace(/^\uFEFF/, '');
    if (text.trim() === '') {
      this.incomplete = 'empty file';
      return false;
    }
    let o: JsonValue;
    try {
      o = parseJson(text);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const pos = e instanceof JsonError ? e.pos : text.length;
      if (pos >= text.length) {
        // cut short: possibly caught mid-write, the caller retries (and reports if it stays so)
        this.incomplete = `not valid JSON (${msg})`;
        return false;
      }
      // an error before the end is not a write in progress (writers only append): report it
      const line = lineAt(text, pos);
      sink.error(`line ${line}: not valid JSON: ${msg}`, line);
      return true;
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o) || !Array.isArray(o.log_history)) {
      sink.error('not a Hugging Face trainer_state.json (no log_history array)', 1);
      return true;
    }
    const lines = entryLines(text);
    const hist = o.log_history;
    for (let idx = 0; idx < hist.length; idx++) {
      const e = hist[idx]!;
      const line = lines[idx] ?? 1;
      if (e === null || typeof e !== 'object' || Array.isArray(e)) {
        sink.error(`line ${line}: log_history entry ${idx} is not an object`, line);
        continue;
      }
      const isSummary = SUMMARY_KEYS.some((k) => k in e) || 'train_loss' in e;
      if (isSummary) {
        for (const [k, v] of Object.entries(e)) if (typeof v === 'number' || typeof v === 'string') sink.meta(k, v);
        continue;
      }
      const step = typeof e.step === 'number' ? e.step : NaN;
      const epoch = typeof e.epoch === 'number' ? e.epoch : NaN;
      if (step !== step) {
        sink.error(`line ${line}: log_history entry ${idx} has no step`, line);
        continue;
      }
      for (const [k, v] of Object.entries(e)) {
        if (k === 'step' || k === 'epoch' || typeof v !== 'number') continue;
        sink.point(sink.series(k), step, v, NaN, epoch, line);
      }
    }
    for (const k of ['global_step', 'max_steps', 'num_train_epochs', 'epoch', 'best_metric', 'best_global_step', 'best_model_checkpoint']) {
      const v = o[k];
      if (typeof v === 'number' || (typeof v === 'string' && k === 'best_model_checkpoint')) sink.meta(k, v);
    }
    return true;
  }
}

function lineAt(text: string, pos: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < pos; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** 1-based line of each element of the top-level "log_history" array (string-aware brace walk). */
function entryLines(text: string): number[] {
  const out: number[] = [];
  const at = text.indexOf('"log_history"');
  if (at < 0) return out;
  let i = text.indexOf('[', at);
  if (i < 0) return out;
  let line = 1;
  for (let k = 0; k < i; k++) if (text.charCodeAt(k) === 10) line++;
  let depth = 0;
  let inStr = false;
  for (i = i + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    if (inStr) {
      if (c === 92) i++;
      else if (c === 34) inStr = false;
      continue;
    }
    if (c === 34) inStr = true;
    else if (c === 123 || c === 91) {
      if (depth === 0) out.push(line);
      depth++;
    } else if (c === 125 || c === 93) {
      if (depth === 0) break;
      depth--;
    }
  }
  return out;
}
