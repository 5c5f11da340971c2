// What parsers produce. The watcher's sink writes into a RunStore; the worker's sink batches columns
// and posts them to the main thread.
import type { LogitRecord, Split } from '../core/model';

export interface Sink {
  /** A handle for the series `key`; `hint` is the split implied by context (folder, `split` field). */
  series(key: string, hint?: Split): number;
  /** One point. `wallMs`/`epoch` are NaN when unknown; `line` is 1-based (text) or a 0-based record index (binary). */
  point(series: number, step: number, value: number, wallMs: number, epoch: number, line: number): void;
  /**
   * Optional bulk form of `point`: points [0, n) of one series from columns, point k being
   * (step[k], value[valueOff + k], wallMs?.[k] ?? NaN, epoch?.[k] ?? NaN, line[k]). Same result as n
   * `point` calls; the arrays are reused by the caller after the call returns.
   */
  block?(
    series: number,
    n: number,
    step: Float64Array,
    value: Float64Array,
    valueOff: number,
    wallMs: Float64Array | undefined,
    epoch: Float64Array | undefined,
    line: Float64Array,
  ): void;
  /**
   * Optional bulk form for series filled on the same rows: rows [0, n) (step, wall, epoch, line as in
   * `block`), each of the series ids[0 .. k) having a value on every row, value r of series ids[j] being
   * value[offs[j] + r]. Same result as `block(ids[j], n, step, value, offs[j], …)` for each j; lets the
   * store keep the rows once for all of them. `group` (default 0) tells apart row sets of one file that
   * alternate (a JSONL file's train and val line shapes): each group keeps its own shared rows.
   */
  rows?(
    n: number,
    step: Float64Array,
    wallMs: Float64Array | undefined,
    epoch: Float64Array | undefined,
    line: Float64Array,
    k: number,
    ids: Int32Array,
    value: Float64Array,
    offs: Int32Array,
    group?: number,
  ): void;
  logit(rec: LogitRecord): void;
  /** A malformed line/record: counted, the first one is reported. Never throws. */
  error(message: string, line?: number, record?: number): void;
  /** Run metadata that is not a point (HF `train_runtime`, …). */
  meta(key: string, value: number | string): void;
}

/** A parser for line-oriented formats: gets one line (without its terminator) at a time. */
export interface LineParser {
  line(buf: Uint8Array, start: number, end: number, lineNo: number): void;
  /**
   * Optional fast path for a block of complete lines: parses every line in buf[start, end) (buf[end - 1]
   * is '\n'; every line ends in '\n' or '\r\n': no lone '\r', no NUL), numbering them from
   * `firstLineNo`; returns how many lines it saw.
   * Same results as calling `line` for each of them; never throws (errors go to the sink).
   */
  lines?(buf: Uint8Array, start: number, end: number, firstLineNo: number): number;
  /** Forget per-file state (the file restarts from byte 0). */
  reset(): void;
  /**
   * Rows whose step is their record index (no step or epoch field): the only points whose values depend
   * on the lines before them (a worker parsing the second half of a file checks this).
   */
  readonly recordSteps?: number;
  /** Per-file state to continue elsewhere (worker → main thread); structured-cloneable. */
  snapshot?(): unknown;
  restore?(state: unknown): void;
}

/** A parser fed with appended bytes (binary formats, or line formats wrapped by LineReader). */
export interface ByteParser {
  push(chunk: Uint8Array): void;
  /** Called once when a one-shot read reaches the end (a held partial last line is parsed). */
  finish(): void;
  reset(): void;
}

/** A parser for files that are rewritten whole (HF trainer_state.json): parses the whole content. */
export interface WholeParser {
  /** Returns false when the content is incomplete/invalid (e.g. caught mid-write); nothing emitted then. */
  parseWhole(buf: Uint8Array, sink: Sink): boolean;
}

/** Decodes bytes as UTF-8 (invalid sequences become U+FFFD; never throws). */
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
export function utf8(buf: Uint8Array, start = 0, end = buf.length): string {
  return decoder.decode(buf.subarray(start, end));
}

/** ASCII fast path: decodes bytes < 0x80 with String.fromCharCode; falls back to UTF-8. */
export function ascii(buf: Uint8Array, start: number, end: number): string {
  if (end - start > 64) return utf8(buf, start, end);
  let s = '';
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c >= 0x80) return utf8(buf, start, end);
    s += String.fromCharCode(c);
  }
  return s;
}
