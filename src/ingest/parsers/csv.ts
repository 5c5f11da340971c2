// CSV/TSV metrics: Keras CSVLogger, Lightning CSVLogger metrics.csv (sparse rows: an empty cell is
// absent, not 0), YOLO results.csv (padded headers), nan/inf/-inf cells. Cells are scanned as bytes.
import { fieldKind, type FieldKind, nonFinite, toWallMs } from '../fields';
import { NumberScanner, POW10, TWO53 } from '../numscan';
import { ascii, type LineParser, type Sink, utf8 } from '../sink';

interface Column {
  name: string;
  kind: FieldKind;
  id: number; // series id for metric columns
}

export class CsvParser implements LineParser {
  private cols: Column[] | undefined;
  private nc = 0;
  private headerText = '';
  private delim = 44;
  private records = 0;
  private stepCol = -1;
  private epochCol = -1;
  private timeCol = -1;
  private metricCols = new Int32Array(0);
  private metricIds = new Int32Array(0);
  private readonly ns = new NumberScanner();
  private readonly vals: Float64Array = new Float64Array(1024);
  private readonly has = new Uint8Array(1024);

  constructor(private readonly sink: Sink) {}

  reset(): void {
    this.cols = undefined;
    this.headerText = '';
    this.records = 0;
  }

  snapshot(): unknown {
    return { headerText: this.cols ? this.headerText : undefined, records: this.records };
  }

  restore(state: unknown): void {
    const st = (state ?? {}) as { headerText?: unknown; records?: unknown };
    this.reset();
    if (typeof st.headerText === 'string') {
      const b = new TextEncoder().encode(st.headerText);
      this.header(b, 0, b.length, 1);
    }
    this.records = typeof st.records === 'number' ? st.records : 0;
  }

  line(b: Uint8Array, s: number, e: number, lineNo: number): void {
    if (s === e) return;
    if (this.cols !== undefined && this.fastRow(b, s, e, false) >= 0) {
      this.emit(lineNo);
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
    const vals = this.vals;
    const has = this.has;
    const ns = this.ns;
    while (i < e) {
      // Hot loop, one function (the number parse is written out here: the JIT does not inline it this
      // deep). Every byte read is before the block's last '\n', which ends every scan.
      const nc = this.cols !== undefined ? this.nc : 0;
      let ch = b[i]!;
      if (nc > 0 && ch !== 10 && ch !== 13) {
        let c = 0;
        let j = i;
        for (;;) {
          if (ch === d || ch === 10 || ch === 13) has[c] = 0;
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
              // two digits per step: half the multiply-add chain on m
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
              // exponent, NaN/Infinity, '+', '.5', long significands: the full scanner decides
              if (!ns.scan(b, cs, e, true)) break;
              j = ns.pos;
              ch = b[j]!;
              vals[c] = ns.num;
            } else {
              const v = f === 0 ? m : m / POW10[f]!;
              vals[c] = neg ? -v : v;
            }
            has[c] = 1;
          }
          c++;
          if (ch === d) {
            if (c === nc) break;
            ch = b[++j]!;
            continue;
          }
          if (c !== nc) break;
          if (ch === 13) ch = b[++j]!;
          if (ch === 10) {
            this.emit(ln++);
            i = j + 1;
            c = -1; // row done
          }
          break;
        }
        if (c === -1) continue;
      }
      const nl = b.indexOf(10, i);
      const next = nl < 0 || nl >= e ? e : nl + 1;
      const end = next > i && b[next - 1] === 10 ? (next - 1 > i && b[next - 2] === 13 ? next - 2 : next - 1) : next;
      try {
        this.line(b, i, end, ln);
      } catch (err) {
        this.sink.error(`line ${ln}: ${err instanceof Error ? err.message : String(err)}`, ln);
      }
      ln++;
      i = next;
    }
    return ln - first;
  }

  /** The common row: every cell a bare number or empty, the right number of cells. False: use generalRow. */
  private fastRow(b: Uint8Array, s: number, e: number, nl: boolean): number {
    // returns the row's end (nl: the index of its '\n'), or -1
    const nc = this.nc;
    const d = this.delim;
    const vals = this.vals;
    const has = this.has;
    const ns = this.ns;
    let i = s;
    for (let c = 0; c < nc; c++) {
      let ch = i < e ? b[i]! : 10;
      if (ch === d || ch === 10 || ch === 13) has[c] = 0;
      else {
        if (!ns.scan(b, i, e, true)) return -1;
        i = ns.pos;
        ch = i < e ? b[i]! : 10;
        has[c] = 1;
        vals[c] = ns.num;
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
    const vals = this.vals;
    const has = this.has;
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
            has[c] = 1;
            vals[c] = ns.num;
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
        if (i === z) has[c] = 0;
        else {
          const cell = ascii(b, i, z);
          const nf = cell.length <= 10 ? nonFinite(cell) : undefined;
          if (nf !== undefined) {
            has[c] = 1;
            vals[c] = nf;
          } else if (cols[c]!.kind === 'time') {
            has[c] = 1;
            vals[c] = toWallMs(cell);
          } else if (c === 0 && utf8(b, s, e).trim() === this.headerText) {
            return; // repeated header (concatenated runs)
          } else has[c] = 2; // text cell: not a number
        }
      }
      c++;
      if (end >= e) break;
      i = end + 1;
    }
    if (c !== nc) {
      this.sink.error(`line ${lineNo}: expected ${nc} cells, found ${c}`, lineNo);
      return;
    }
    this.emit(lineNo);
  }

  private emit(lineNo: number): void {
    const vals = this.vals;
    const has = this.has;
    const sc = this.stepCol;
    const ec = this.epochCol;
    const tc = this.timeCol;
    const epoch = ec >= 0 && has[ec] === 1 ? vals[ec]! : NaN;
    let step = sc >= 0 && has[sc] === 1 ? vals[sc]! : NaN;
    let wall = NaN;
    if (tc >= 0 && has[tc] === 1) {
      const t = vals[tc]!;
      wall = t > 0 && t < 1e11 ? t * 1000 : t;
    }
    const rec = this.records++;
    if (step !== step) step = epoch === epoch ? epoch : rec;
    const mc = this.metricCols;
    const ids = this.metricIds;
    for (let k = 0; k < mc.length; k++) {
      const c = mc[k]!;
      if (has[c] === 1) this.sink.point(ids[k]!, step, vals[c]!, wall, epoch, lineNo);
    }
  }

  private header(b: Uint8Array, s: number, e: number, lineNo: number): void {
    const text = utf8(b, s, e).trim();
    const tabs = count(text, '\t');
    const commas = count(text, ',');
    const semis = count(text, ';');
    this.delim = tabs > commas && tabs >= semis ? 9 : semis > commas ? 59 : 44;
    const names = splitQuoted(text, String.fromCharCode(this.delim)).map((n) => n.trim());
    if (names.length > this.vals.length) {
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
  }

  private slowRow(b: Uint8Array, s: number, e: number, lineNo: number): void {
    const text = utf8(b, s, e);
    if (text.trim() === this.headerText) return;
    const cells = splitQuoted(text, String.fromCharCode(this.delim));
    const cols = this.cols!;
    if (cells.length !== cols.length) {
      this.sink.error(`line ${lineNo}: expected ${cols.length} cells, found ${cells.length}`, lineNo);
      return;
    }
    for (let c = 0; c < cells.length; c++) {
      const t = cells[c]!.trim();
      if (t === '') {
        this.has[c] = 0;
        continue;
      }
      const nf = nonFinite(t);
      const v = nf ?? (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) ? Number(t) : cols[c]!.kind === 'time' ? toWallMs(t) : NaN);
      this.has[c] = nf !== undefined || v === v ? 1 : 2;
      this.vals[c] = v;
    }
    this.emit(lineNo);
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
