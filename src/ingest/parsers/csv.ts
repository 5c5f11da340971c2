// CSV/TSV metrics: Keras CSVLogger, Lightning CSVLogger metrics.csv (sparse rows: an empty cell is
// absent, not 0), YOLO results.csv (padded headers), nan/inf/-inf cells. Cells are scanned as bytes.
import { fieldKind, type FieldKind, isWallClock, missing, nonFinite, toWallMs } from '../fields';
import { digitsOut, NumberScanner, OUT, POW10, TWO53 } from '../numscan';
import { ascii, type LineParser, type Sink, utf8 } from '../sink';

interface Column {
  name: string;
  kind: FieldKind;
  id: number; // series id for metric columns
}

const MAX_COLS = 1024;

const NO_VIEW = new DataView(new ArrayBuffer(0));

export class CsvParser implements LineParser {
  private cols: Column[] | undefined;
  private nc = 0;
  private headerText = '';
  private delim = 44;
  private records = 0;
  /** rows whose step is their record index (see LineParser.recordSteps) */
  recordSteps = 0;
  private stepCol = -1;
  private epochCol = -1;
  private timeCol = -1;
  private metricCols = new Int32Array(0);
  private metricIds = new Int32Array(0);
  // per column: 0 no value yet, 1 numbers (a text cell is then an unreadable value, reported), 2 a
  // text column (its first value was text: not a series, not an error)
  private colState = new Uint8Array(0);
  private rowText = false; // the row being parsed has text cells (hb 2)
  // the time-named column: undecided until its first number; a wall clock only when epoch-like,
  // else a metric column (detectron2/YOLO `time`)
  private timeDecided = false;
  private timeMetric = false;
  // the dense metric columns of the block being flushed: series ids and offsets in cb
  private dIds = new Int32Array(0);
  private dOffs = new Int32Array(0);
  private readonly ns = new NumberScanner();
  private dv: DataView = NO_VIEW;
  private dvBuf: Uint8Array | undefined;
  // The rows parsed but not yet handed to the sink (a block), column by column: cell (c, r) is
  // cb[c * R + r], hb the same cell's state (0 empty, 1 number, 2 text). Per row: its step, epoch, wall
  // time and line. A block goes to the sink as one `block` call per metric column (the column's values
  // are a slice of cb; the step/line columns are shared by all series of the row).
  private R = 0;
  private r = 0;
  private cb = new Float64Array(0);
  private hb = new Uint8Array(0);
  private bStep = new Float64Array(0);
  private bEpoch = new Float64Array(0);
  private bWall = new Float64Array(0);
  private bLine = new Float64Array(0);
  private epochAny = false;
  private wallAny = false;
  // gathered points of a column with empty cells in the block (Lightning's sparse rows)
  private gStep = new Float64Array(0);
  private gVal = new Float64Array(0);
  private gEpoch = new Float64Array(0);
  private gWall = new Float64Array(0);
  private gLine = new Float64Array(0);

  constructor(private readonly sink: Sink) {}

  reset(): void {
    this.cols = undefined;
    this.headerText = '';
    this.records = 0;
    this.r = 0;
    this.timeDecided = false;
  }

  snapshot(): unknown {
    this.flush();
    return {
      headerText: this.cols ? this.headerText : undefined,
      records: this.records,
      timeDecided: this.timeDecided,
      timeMetric: this.timeMetric,
      colState: Array.from(this.colState),
    };
  }

  restore(state: unknown): void {
    const st = (state ?? {}) as {
      headerText?: unknown;
      records?: unknown;
      timeDecided?: unknown;
      timeMetric?: unknown;
      colState?: unknown;
    };
    this.reset();
    if (typeof st.headerText === 'string') {
      const b = new TextEncoder().encode(st.headerText);
      this.header(b, 0, b.length, 1);
      if (st.timeMetric === true) this.timeToMetric();
      this.timeDecided = st.timeDecided === true;
      if (Array.isArray(st.colState) && st.colState.length === this.nc)
        this.colState.set(st.colState.map((v) => (v === 1 || v === 2 ? v : 0)));
    }
    this.records = typeof st.records === 'number' ? st.records : 0;
  }

  /** The time-named column holds no wall clock: it becomes a metric column (a series of its own). */
  private timeToMetric(): void {
    const tc = this.timeCol;
    if (tc < 0) return;
    const col = this.cols![tc]!;
    col.id = this.sink.series(col.name);
    col.kind = 'metric';
    this.timeCol = -1;
    this.timeMetric = true;
    const mc = Array.from(this.metricCols);
    const ids = Array.from(this.metricIds);
    let at = 0;
    while (at < mc.length && mc[at]! < tc) at++;
    mc.splice(at, 0, tc);
    ids.splice(at, 0, col.id);
    this.metricCols = Int32Array.from(mc);
    this.metricIds = Int32Array.from(ids);
    this.dIds = new Int32Array(mc.length);
    this.dOffs = new Int32Array(mc.length);
  }

  line(b: Uint8Array, s: number, e: number, lineNo: number): void {
    try {
      this.row(b, s, e, lineNo);
    } finally {
      this.flush();
    }
  }

  /** One line into the block (or the header). */
  private row(b: Uint8Array, s: number, e: number, lineNo: number): void {
    if (s === e) return;
    if (this.cols !== undefined && this.fastRow(b, s, e, false) >= 0) {
      this.endRow(lineNo);
      return;
    }
    let i = s;
    while (i < e && (b[i] === 32 || b[i] === 9)) i++;
    if (i >= e) return;
    if (this.cols === undefined) {
      this.header(b, s, e, lineNo);
      return;
    }
    this.generalRow(b, s, e, lineNo);
  }

  lines(b: Uint8Array, s: number, e: number, first: number): number {
    let ln = first;
    let i = s;
    const d = this.delim;
    const ns = this.ns;
    if (b !== this.dvBuf) {
      this.dvBuf = b;
      this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    }
    const dv = this.dv;
    while (i < e) {
      // Hot loop, one function (the number parse is written out here: the JIT does not inline it this
      // deep). Every byte read is before the block's last '\n', which ends every scan.
      const nc = this.cols !== undefined ? this.nc : 0;
      let ch = b[i]!;
      if (nc > 0 && ch !== 10 && ch !== 13) {
        const R = this.R;
        const cb = this.cb;
        const hb = this.hb;
        let p = this.r; // the cell (c, r)
        let c = 0;
        let j = i;
        for (;;) {
          if (ch === d || ch === 10 || ch === 13) hb[p] = 0;
          else {
            const cs = j;
            let neg = false;
            if (ch === 45) {
              neg = true;
              ch = b[++j]!;
            }
            const d0 = j;
            let m = 0;
            while (ch >= 48 && ch <= 57) {
              m = m * 10 + (ch - 48);
              ch = b[++j]!;
            }
            let f = 0;
            let dot = false;
            if (ch === 46) {
              dot = true;
              ch = b[++j]!;
              const f0 = j;
              // four digits per step while they are there (one 32-bit load), then two, then one
              while (j + 4 <= e) {
                const w = dv.getUint32(j, true);
                if ((w & 0xf0f0f0f0) !== 0x30303030 || ((w + 0x06060606) & 0xf0f0f0f0) !== 0x30303030) break;
                const t = (w - 0x30303030) * 10 + ((w - 0x30303030) >>> 8); // bytes 0 and 2: pairs of digits
                m = m * 10000 + ((t & 0xff) * 100 + ((t >>> 16) & 0xff));
                j += 4;
              }
              ch = b[j]!;
              for (;;) {
                const x = ch - 48;
                if (!(x >= 0 && x <= 9)) break;
                const y = b[j + 1]! - 48;
                if (!(y >= 0 && y <= 9)) {
                  m = m * 10 + x;
                  ch = b[++j]!;
                  break;
                }
                m = m * 100 + (x * 10 + y);
                j += 2;
                ch = b[j]!;
              }
              f = j - f0;
            }
            if (j === d0 || (dot && f === 0) || ch === 101 || ch === 69 || ch === 46 || m >= TWO53 || f > 22) {
              // 17 significant digits (Python's repr): Eisel–Lemire on the digits just read; exponent,
              // NaN/Infinity, '+', '.5': the full scanner decides
              const v =
                j === d0 || (dot && f === 0) || ch === 101 || ch === 69 || ch === 46 || j > e || !digitsOut(b, d0, j, -f) ? -1 : OUT[0]!;
              if (v >= 0) cb[p] = neg ? -v : v;
              else {
                if (!ns.scan(b, cs, e, true)) break;
                j = ns.pos;
                ch = b[j]!;
                cb[p] = ns.num;
              }
            } else {
              const v = f === 0 ? m : m / POW10[f]!;
              cb[p] = neg ? -v : v;
            }
            hb[p] = 1;
          }
          c++;
          p += R;
          if (ch === d) {
            if (c === nc) break;
            ch = b[++j]!;
            continue;
          }
          if (c !== nc) break;
          if (ch === 13) ch = b[++j]!;
          if (ch === 10) {
            this.endRow(ln++);
            i = j + 1;
            c = -1; // row done
          }
          break;
        }
        if (c === -1) continue;
      }
      // anything else: one line at a time (header, padded or quoted cells, text, bad rows)
      let nl = i;
      while (nl < e && b[nl] !== 10) nl++;
      const next = nl < e ? nl + 1 : e;
      const end = nl > i && b[nl - 1] === 13 ? nl - 1 : nl;
      try {
        this.row(b, i, end, ln);
      } catch (err) {
        this.sink.error(`line ${ln}: ${err instanceof Error ? err.message : String(err)}`, ln);
      }
      ln++;
      i = next;
    }
    this.flush();
    // the view over the caller's buffer must not outlive this call (it would keep the reader's read
    // buffer alive for as long as the file is followed)
    this.dvBuf = undefined;
    this.dv = NO_VIEW;
    return ln - first;
  }

  /** The common row: every cell a bare number or empty, the right number of cells. -1: use generalRow. */
  private fastRow(b: Uint8Array, s: number, e: number, nl: boolean): number {
    // returns the row's end (nl: the index of its '\n'), or -1
    const nc = this.nc;
    const d = this.delim;
    const R = this.R;
    const cb = this.cb;
    const hb = this.hb;
    const ns = this.ns;
    let i = s;
    let p = this.r;
    for (let c = 0; c < nc; c++, p += R) {
      let ch = i < e ? b[i]! : 10;
      if (ch === d || ch === 10 || ch === 13) hb[p] = 0;
      else {
        if (!ns.scan(b, i, e, true)) return -1;
        i = ns.pos;
        ch = i < e ? b[i]! : 10;
        hb[p] = 1;
        cb[p] = ns.num;
      }
      if (ch !== d) {
        if (c !== nc - 1) return -1;
        if (!nl) return i === e ? i : -1;
        if (ch === 10) return i < e ? i : -1;
        if (ch === 13 && i + 1 < e && b[i + 1] === 10) return i + 1;
        return -1;
      }
      i++;
    }
    return -1;
  }

  /** Padded cells (YOLO), text cells, nan/inf spellings, quotes, repeated headers, wrong cell counts. */
  private generalRow(b: Uint8Array, s: number, e: number, lineNo: number): void {
    const cols = this.cols!;
    const nc = cols.length;
    const d = this.delim;
    const R = this.R;
    const r = this.r;
    const cb = this.cb;
    const hb = this.hb;
    const ns = this.ns;
    let c = 0;
    let i = s;
    for (;;) {
      // one cell starting at i: try a number first (single pass), else find the delimiter
      while (i < e && (b[i] === 32 || b[i] === 9) && d !== b[i]) i++;
      let end: number;
      if (i < e && b[i] !== d && ns.scan(b, i, e, true)) {
        end = ns.pos;
        while (end < e && (b[end] === 32 || b[end] === 9) && b[end] !== d) end++;
        if (end === e || b[end] === d) {
          if (c < nc) {
            hb[c * R + r] = 1;
            cb[c * R + r] = ns.num;
          }
          c++;
          if (end >= e) break;
          i = end + 1;
          continue;
        }
      }
      end = i;
      while (end < e && b[end] !== d && b[end] !== 34) end++;
      if (end < e && b[end] === 34) {
        this.slowRow(b, s, e, lineNo);
        return;
      }
      if (c < nc) {
        let z = end;
        while (z > i && (b[z - 1] === 32 || b[z - 1] === 9)) z--;
        const p = c * R + r;
        if (i === z) hb[p] = 0;
        else {
          const cell = ascii(b, i, z);
          const nf = cell.length <= 10 ? nonFinite(cell) : undefined;
          if (nf !== undefined) {
            hb[p] = 1;
            cb[p] = nf;
          } else if (cell.length <= 4 && missing(cell)) {
            hb[p] = 0;
          } else if (cols[c]!.kind === 'time') {
            hb[p] = 1;
            cb[p] = toWallMs(cell);
          } else if (c === 0 && utf8(b, s, e).trim() === this.headerText) {
            return; // repeated header (concatenated runs)
          } else {
            hb[p] = 2; // text cell: not a number
            this.rowText = true;
          }
        }
      }
      c++;
      if (end >= e) break;
      i = end + 1;
    }
    if (c !== nc) {
      this.rowText = false;
      this.sink.error(`line ${lineNo}: expected ${nc} cells, found ${c}`, lineNo);
      return;
    }
    this.endRow(lineNo);
  }

  /** The cells of row r are in: its step, epoch, wall time and line; the block goes out when full. */
  private endRow(lineNo: number): void {
    const R = this.R;
    const r = this.r;
    const cb = this.cb;
    const hb = this.hb;
    const sc = this.stepCol;
    const ec = this.epochCol;
    const tc = this.timeCol;
    const epoch = ec >= 0 && hb[ec * R + r] === 1 ? cb[ec * R + r]! : NaN;
    let step = sc >= 0 && hb[sc * R + r] === 1 ? cb[sc * R + r]! : NaN;
    const rec = this.records++;
    if (step !== step) {
      if (epoch === epoch) step = epoch;
      else {
        step = rec;
        this.recordSteps++;
      }
    }
    this.bStep[r] = step;
    this.bEpoch[r] = epoch;
    this.bLine[r] = lineNo;
    if (epoch === epoch) this.epochAny = true;
    if (this.rowText) {
      this.rowText = false;
      for (let c = 0; c < this.nc; c++) if (hb[c * R + r] === 2) this.textCell(c, lineNo);
    }
    if (tc >= 0 && !this.timeDecided && hb[tc * R + r] === 1) {
      this.timeDecided = true;
      if (!isWallClock(cb[tc * R + r]!)) this.timeToMetric();
    }
    if (this.timeCol >= 0) {
      let wall = NaN;
      if (hb[tc * R + r] === 1) {
        const t = cb[tc * R + r]!;
        wall = t > 0 && t < 1e11 ? t * 1000 : t;
      }
      this.bWall[r] = wall;
      if (wall === wall) this.wallAny = true;
    }
    if ((this.r = r + 1) === R) this.flush();
  }

  /** Hands the block's points to the sink: per metric column, one `block` call (or `point`s). */
  private flush(): void {
    const n = this.r;
    if (n === 0) return;
    this.r = 0;
    const R = this.R;
    const cb = this.cb;
    const hb = this.hb;
    const mc = this.metricCols;
    const ids = this.metricIds;
    const sink = this.sink;
    const step = this.bStep;
    const epoch = this.bEpoch;
    const wall = this.bWall;
    const line = this.bLine;
    const anyEpoch = this.epochAny;
    const anyWall = this.wallAny;
    this.epochAny = this.wallAny = false;
    if (sink.block === undefined) {
      // row by row, as the rows came
      for (let q = 0; q < n; q++) {
        const w = anyWall ? wall[q]! : NaN;
        for (let k = 0; k < mc.length; k++) {
          const p = mc[k]! * R + q;
          if (hb[p] === 1) {
            if (this.colState[mc[k]!] === 0) this.colState[mc[k]!] = 1;
            sink.point(ids[k]!, step[q]!, cb[p]!, w, epoch[q]!, line[q]!);
          }
        }
      }
      return;
    }
    // columns with a number on every row of the block: one `rows` call for all of them
    const dIds = this.dIds;
    const dOffs = this.dOffs;
    let nd = 0;
    for (let k = 0; k < mc.length; k++) {
      const off = mc[k]! * R;
      let q = 0;
      while (q < n && hb[off + q] === 1) q++;
      if (q === n) {
        if (this.colState[mc[k]!] === 0) this.colState[mc[k]!] = 1;
        if (sink.rows !== undefined) {
          dIds[nd] = ids[k]!;
          dOffs[nd++] = off;
        } else sink.block(ids[k]!, n, step, cb, off, anyWall ? wall : undefined, anyEpoch ? epoch : undefined, line);
        continue;
      }
      // empty or text cells: gather the points of this column
      const gs = this.gStep;
      const gv = this.gVal;
      const ge = this.gEpoch;
      const gw = this.gWall;
      const gl = this.gLine;
      let m = 0;
      for (q = 0; q < n; q++) {
        if (hb[off + q] !== 1) continue;
        gs[m] = step[q]!;
        gv[m] = cb[off + q]!;
        ge[m] = epoch[q]!;
        gw[m] = anyWall ? wall[q]! : NaN;
        gl[m] = line[q]!;
        m++;
      }
      if (m > 0 && this.colState[mc[k]!] === 0) this.colState[mc[k]!] = 1;
      if (m > 0) sink.block(ids[k]!, m, gs, gv, 0, anyWall ? gw : undefined, anyEpoch ? ge : undefined, gl);
    }
    if (nd > 0) sink.rows!(n, step, anyWall ? wall : undefined, anyEpoch ? epoch : undefined, line, nd, dIds, cb, dOffs);
  }

  /** A text cell in column c of the current row: a text column when it is the column's first value, else reported. */
  private textCell(c: number, lineNo: number): void {
    const col = this.cols![c]!;
    if (col.kind !== 'metric') return;
    let st = this.colState[c]!;
    if (st === 0) {
      // numbers earlier in this block (not yet flushed)?
      const R = this.R;
      const hb = this.hb;
      st = 2;
      for (let q = c * R, end = c * R + this.r; q < end; q++) if (hb[q] === 1) st = 1;
      this.colState[c] = st;
    }
    if (st === 1) this.sink.error(`line ${lineNo}: '${col.name.slice(0, 60)}' is not a number`, lineNo);
  }

  private header(b: Uint8Array, s: number, e: number, lineNo: number): void {
    const text = utf8(b, s, e).trim();
    const tabs = count(text, '\t');
    const commas = count(text, ',');
    const semis = count(text, ';');
    this.delim = tabs > commas && tabs >= semis ? 9 : semis > commas ? 59 : 44;
    const names = splitQuoted(text, String.fromCharCode(this.delim)).map((n) => n.trim());
    if (names.length > MAX_COLS) {
      this.sink.error(`line ${lineNo}: too many columns (${names.length})`, lineNo);
      return;
    }
    if (names.every((n) => n === '' || Number.isFinite(Number(n)) || nonFinite(n) !== undefined)) {
      this.sink.error(`line ${lineNo}: no CSV header (the first line holds numbers only)`, lineNo);
      return;
    }
    this.headerText = text;
    const seen = new Set<string>();
    this.cols = names.map((name, idx) => {
      let key = name === '' ? `column_${idx + 1}` : name;
      while (seen.has(key)) key += '_';
      seen.add(key);
      const kind = fieldKind(key);
      return { name: key, kind, id: kind === 'metric' ? this.sink.series(key) : -1 };
    });
    const cols = this.cols;
    this.nc = cols.length;
    this.stepCol = cols.findIndex((c) => c.kind === 'step');
    this.epochCol = cols.findIndex((c) => c.kind === 'epoch');
    this.timeCol = cols.findIndex((c) => c.kind === 'time');
    const m = cols.map((c, i) => [c, i] as const).filter(([c]) => c.kind === 'metric');
    this.metricCols = Int32Array.from(m.map(([, i]) => i));
    this.metricIds = Int32Array.from(m.map(([c]) => c.id));
    this.colState = new Uint8Array(this.nc);
    this.timeDecided = this.timeMetric = false;
    this.dIds = new Int32Array(m.length);
    this.dOffs = new Int32Array(m.length);
    // the block: up to 64 Ki cells, 16 to 4096 rows
    const R = Math.max(16, Math.min(4096, Math.floor(65536 / Math.max(1, this.nc))));
    this.R = R;
    this.r = 0;
    this.cb = new Float64Array(R * this.nc);
    this.hb = new Uint8Array(R * this.nc);
    if (this.bStep.length !== R) {
      this.bStep = new Float64Array(R);
      this.bEpoch = new Float64Array(R);
      this.bWall = new Float64Array(R);
      this.bLine = new Float64Array(R);
      this.gStep = new Float64Array(R);
      this.gVal = new Float64Array(R);
      this.gEpoch = new Float64Array(R);
      this.gWall = new Float64Array(R);
      this.gLine = new Float64Array(R);
    }
  }

  private slowRow(b: Uint8Array, s: number, e: number, lineNo: number): void {
    const text = utf8(b, s, e);
    if (text.trim() === this.headerText) return;
    const cells = splitQuoted(text, String.fromCharCode(this.delim));
    const cols = this.cols!;
    if (cells.length !== cols.length) {
      this.rowText = false;
      this.sink.error(`line ${lineNo}: expected ${cols.length} cells, found ${cells.length}`, lineNo);
      return;
    }
    const R = this.R;
    const r = this.r;
    for (let c = 0; c < cells.length; c++) {
      const t = cells[c]!.trim();
      if (t === '' || missing(t)) {
        this.hb[c * R + r] = 0;
        continue;
      }
      const nf = nonFinite(t);
      const v = nf ?? (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) ? Number(t) : cols[c]!.kind === 'time' ? toWallMs(t) : NaN);
      this.hb[c * R + r] = nf !== undefined || v === v ? 1 : 2;
      if (this.hb[c * R + r] === 2) this.rowText = true;
      this.cb[c * R + r] = v;
    }
    this.endRow(lineNo);
  }
}

function count(s: string, ch: string): number {
  let n = 0;
  for (let i = s.indexOf(ch); i >= 0; i = s.indexOf(ch, i + 1)) n++;
  return n;
}

/** Splits one CSV line honouring double quotes ("" inside quotes is a quote). */
export function splitQuoted(line: string, delim: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (q) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else q = false;
      } else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === delim) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}
