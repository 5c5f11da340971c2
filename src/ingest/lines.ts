// Splits appended bytes into lines for a LineParser: holds a partial last line until its newline
// arrives, strips a UTF-8 BOM and CR of CRLF, caps over-long lines (reported, skipped).
import type { ByteParser, LineParser, Sink } from './sink';

export const DEFAULT_MAX_LINE = 32 * 1024 * 1024;

export class LineReader implements ByteParser {
  private pending: Uint8Array[] = [];
  private pendingLen = 0;
  private skipping = false; // inside an over-long line: drop bytes until its newline
  private lineNo = 0; // number of complete lines seen
  private atStart = true;

  constructor(
    private readonly parser: LineParser,
    private readonly sink: Sink,
    private readonly maxLine = DEFAULT_MAX_LINE,
  ) {}

  /** Bytes held for the incomplete last line. */
  get held(): number {
    return this.pendingLen;
  }
  get lines(): number {
    return this.lineNo;
  }

  push(chunk: Uint8Array): void {
    let pos = 0;
    const n = chunk.length;
    if (this.atStart && n > 0) {
      // A BOM may be split across pushes only in pathological cases; handle the common one.
      if (n >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) pos = 3;
      this.atStart = false;
    }
    while (pos < n) {
      if (this.pendingLen === 0 && !this.skipping && this.parser.lines !== undefined) {
        // every complete line of the chunk in one call (no per-line search and dispatch)
        const last = chunk.lastIndexOf(10);
        if (last >= pos && last - pos < this.maxLine) {
          this.lineNo += this.parser.lines(chunk, pos, last + 1, this.lineNo + 1);
          pos = last + 1;
          continue;
        }
      }
      const nl = chunk.indexOf(10, pos);
      if (nl < 0) {
        this.hold(chunk, pos, n);
        return;
      }
      if (this.skipping) {
        this.skipping = false;
        this.lineNo++;
        pos = nl + 1;
        continue;
      }
      if (this.pendingLen > 0) {
        if (this.pendingLen + (nl - pos) > this.maxLine) {
          this.lineNo++;
          this.tooLong();
          this.pending = [];
          this.pendingLen = 0;
          pos = nl + 1;
          continue;
        }
        const line = new Uint8Array(this.pendingLen + (nl - pos));
        let at = 0;
        for (const p of this.pending) {
          line.set(p, at);
          at += p.length;
        }
        line.set(chunk.subarray(pos, nl), at);
        this.pending = [];
        this.pendingLen = 0;
        this.emit(line, 0, line.length);
      } else if (nl - pos > this.maxLine) {
        this.lineNo++;
        this.tooLong();
      } else {
        this.emit(chunk, pos, nl);
      }
      pos = nl + 1;
    }
  }

  private emit(buf: Uint8Array, start: number, end: number): void {
    this.lineNo++;
    if (end > start && buf[end - 1] === 13) end--;
    try {
      this.parser.line(buf, start, end, this.lineNo);
    } catch (e) {
      this.sink.error(`line ${this.lineNo}: ${e instanceof Error ? e.message : String(e)}`, this.lineNo);
    }
  }

  private tooLong(): void {
    this.sink.error(`line ${this.lineNo} is longer than ${Math.round(this.maxLine / 1048576)} MiB: skipped`, this.lineNo);
  }

  private hold(chunk: Uint8Array, pos: number, n: number): void {
    if (this.skipping) return;
    if (this.pendingLen + (n - pos) > this.maxLine) {
      this.skipping = true;
      this.pending = [];
      this.pendingLen = 0;
      this.tooLong0();
      return;
    }
    // copy: the caller may reuse its buffer
    this.pending.push(chunk.slice(pos, n));
    this.pendingLen += n - pos;
  }

  private tooLong0(): void {
    // reported with the number the line will have once complete
    this.sink.error(`line ${this.lineNo + 1} is longer than ${Math.round(this.maxLine / 1048576)} MiB: skipped`, this.lineNo + 1);
  }

  finish(): void {
    if (this.skipping) {
      this.skipping = false;
      this.lineNo++;
      return;
    }
    if (this.pendingLen === 0) return;
    const line = new Uint8Array(this.pendingLen);
    let at = 0;
    for (const p of this.pending) {
      line.set(p, at);
      at += p.length;
    }
    this.pending = [];
    this.pendingLen = 0;
    this.emit(line, 0, line.length);
  }

  /** Continue after `lines` complete lines parsed elsewhere (the worker), with the parser's state. */
  resume(lines: number, state: unknown): void {
    this.pending = [];
    this.pendingLen = 0;
    this.skipping = false;
    this.lineNo = lines;
    this.atStart = false;
    this.parser.restore?.(state);
  }

  reset(): void {
    this.pending = [];
    this.pendingLen = 0;
    this.skipping = false;
    this.lineNo = 0;
    this.atStart = true;
    this.parser.reset();
  }
}
