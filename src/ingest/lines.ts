// Splits appended bytes into lines for a LineParser, with VS Code's line model: '\n', '\r\n' and a lone
// '\r' each end a line (so '\r\r\n' is two line breaks with an empty line between, and a progress bar
// redrawn with '\r' is one line per update); line numbers count like the editor's. Holds a partial last
// line until its terminator arrives (a '\r' ending a push waits for the next byte: it may be the '\r' of
// '\r\n'). Strips a UTF-8 BOM, skips empty lines, caps over-long lines (reported, skipped), and drops NUL
// bytes (crash-padded tails), reporting them as an error at their line.
import type { ByteParser, LineParser, Sink } from './sink';

export const DEFAULT_MAX_LINE = 32 * 1024 * 1024;

export class LineReader implements ByteParser {
  private pending: Uint8Array[] = [];
  private pendingLen = 0;
  /** input bytes of the incomplete current line (NULs and a held '\r' included) */
  private raw = 0;
  private skipping = false; // inside an over-long line: drop bytes until its terminator
  /** the current line's terminator is a '\r' that ended the last push: '\n' may follow */
  private crHeld = false;
  /** NUL bytes dropped from the current line, and whether that was reported */
  private lineNuls = 0;
  private nulReported = false;
  private lineNo = 0; // number of complete lines seen
  private atStart = true;

  constructor(
    private readonly parser: LineParser,
    private readonly sink: Sink,
    private readonly maxLine = DEFAULT_MAX_LINE,
  ) {}

  /** Input bytes held for the incomplete last line (a resumed reader starts that many bytes back). */
  get held(): number {
    return this.skipping ? (this.crHeld ? 1 : 0) : this.raw;
  }
  get lines(): number {
    return this.lineNo;
  }

  push(chunk: Uint8Array): void {
    let pos = 0;
    const n = chunk.length;
    if (n === 0) return;
    if (this.atStart) {
      // A BOM may be split across pushes only in pathological cases; handle the common one.
      if (n >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) pos = 3;
      this.atStart = false;
    }
    if (this.crHeld) {
      this.crHeld = false;
      if (chunk[pos] === 10) pos++;
      this.complete(chunk, pos, pos, false);
    }
    // next '\n', '\r', NUL and lone '\r' (one not followed by '\n' in this chunk) at or after pos; n if none.
    // Each is found by a native scan and kept until pos passes it (linear in the chunk).
    let lf = -1;
    let cr = -1;
    let nul = -1;
    let lone = -1;
    // Buffer#indexOf is a memchr (GB/s); Uint8Array#indexOf is a plain loop, several times slower
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, n);
    const next = (c: number, from: number): number => {
      const i = bytes.indexOf(c, from);
      return i < 0 ? n : i;
    };
    while (pos < n) {
      if (lf < pos) lf = next(10, pos);
      if (cr < pos) cr = next(13, pos);
      if (nul < pos) nul = next(0, pos);
      if (this.raw === 0 && !this.skipping && this.parser.lines !== undefined) {
        // every complete line up to the first lone '\r' or NUL in one call (no per-line dispatch):
        // the block's lines all end in '\n' or '\r\n'
        if (lone < pos) {
          lone = cr;
          while (lone < n && chunk[lone + 1] === 10) lone = next(13, lone + 2);
        }
        const limit = Math.min(lone, nul);
        const last = limit > pos ? chunk.lastIndexOf(10, limit - 1) : -1;
        if (last >= pos && last - pos < this.maxLine) {
          this.lineNo += this.parser.lines(chunk, pos, last + 1, this.lineNo + 1);
          pos = last + 1;
          continue;
        }
      }
      const t = Math.min(lf, cr);
      if (t === n) {
        this.hold(chunk, pos, n, nul < n);
        return;
      }
      if (t === cr && t + 1 === n) {
        // a '\r' ending the push: the line is complete, but a '\n' in the next push belongs to it
        this.hold(chunk, pos, t, nul < t);
        this.raw++;
        this.crHeld = true;
        return;
      }
      const after = t === cr && chunk[t + 1] === 10 ? t + 2 : t + 1;
      this.complete(chunk, pos, t, nul < t);
      pos = after;
    }
  }

  /** The current line ends with chunk[s, e) (after any held part); `nul`: that range holds NUL bytes. */
  private complete(chunk: Uint8Array, s: number, e: number, nul: boolean): void {
    this.raw = 0;
    if (this.skipping) {
      this.skipping = false;
      this.lineNo++;
      this.lineNuls = 0;
      this.nulReported = false;
      return;
    }
    let buf = chunk;
    if (nul) {
      buf = this.dropNuls(chunk, s, e);
      s = 0;
      e = buf.length;
    }
    if (this.pending.length > 0) {
      const total = this.pendingLen + (e - s);
      if (total > this.maxLine) {
        this.pending = [];
        this.pendingLen = 0;
        this.lineNo++;
        this.tooLong();
        this.endLine();
        return;
      }
      const line = new Uint8Array(total);
      let at = 0;
      for (const p of this.pending) {
        line.set(p, at);
        at += p.length;
      }
      line.set(buf.subarray(s, e), at);
      this.pending = [];
      this.pendingLen = 0;
      this.emit(line, 0, total);
    } else if (e - s > this.maxLine) {
      this.lineNo++;
      this.tooLong();
      this.endLine();
    } else this.emit(buf, s, e);
  }

  /** A copy of chunk[s, e) without its NUL bytes (counted for the current line, reported once). */
  private dropNuls(chunk: Uint8Array, s: number, e: number): Uint8Array {
    const out = new Uint8Array(e - s);
    let m = 0;
    for (let i = s; i < e; i++) {
      const c = chunk[i]!;
      if (c !== 0) out[m++] = c;
    }
    this.lineNuls += e - s - m;
    if (!this.nulReported) {
      this.nulReported = true;
      const ln = this.lineNo + 1;
      this.sink.error(`line ${ln}: NUL bytes skipped (a file padded with zeros after a crash?)`, ln);
    }
    return out.subarray(0, m);
  }

  private endLine(): void {
    this.lineNuls = 0;
    this.nulReported = false;
  }

  private emit(buf: Uint8Array, start: number, end: number): void {
    this.lineNo++;
    this.endLine();
    if (end === start) return; // empty line
    try {
      this.parser.line(buf, start, end, this.lineNo);
    } catch (e) {
      this.sink.error(`line ${this.lineNo}: ${e instanceof Error ? e.message : String(e)}`, this.lineNo);
    }
  }

  private tooLong(): void {
    this.sink.error(`line ${this.lineNo} is longer than ${Math.round(this.maxLine / 1048576)} MiB: skipped`, this.lineNo);
  }

  /** Keeps chunk[pos, end) as part of the incomplete current line (NULs dropped, size capped). */
  private hold(chunk: Uint8Array, pos: number, end: number, nul: boolean): void {
    this.raw += end - pos;
    if (this.skipping || end === pos) return;
    // copy: the caller may reuse its buffer
    const part = nul ? this.dropNuls(chunk, pos, end) : chunk.slice(pos, end);
    if (this.pendingLen + part.length > this.maxLine) {
      this.skipping = true;
      this.pending = [];
      this.pendingLen = 0;
      // reported with the number the line will have once complete
      this.sink.error(`line ${this.lineNo + 1} is longer than ${Math.round(this.maxLine / 1048576)} MiB: skipped`, this.lineNo + 1);
      return;
    }
    if (part.length === 0) return;
    this.pending.push(part);
    this.pendingLen += part.length;
  }

  finish(): void {
    this.crHeld = false;
    if (this.skipping || this.pending.length > 0 || this.raw > 0) this.complete(new Uint8Array(0), 0, 0, false);
  }

  /** Continue after `lines` complete lines parsed elsewhere (the worker), with the parser's state. */
  resume(lines: number, state: unknown): void {
    this.clearLine();
    this.lineNo = lines;
    this.atStart = false;
    this.parser.restore?.(state);
  }

  reset(): void {
    this.clearLine();
    this.lineNo = 0;
    this.atStart = true;
    this.parser.reset();
  }

  private clearLine(): void {
    this.pending = [];
    this.pendingLen = 0;
    this.raw = 0;
    this.skipping = false;
    this.crHeld = false;
    this.endLine();
  }
}
