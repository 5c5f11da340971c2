// A tolerant JSON parser: standard JSON plus the tokens Python's json.dumps writes by default
// (NaN, Infinity, -Infinity). Never recurses deeper than MAX_DEPTH; throws JsonError with a position.

export class JsonError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

export type JsonValue = number | string | boolean | null | JsonValue[] | { [k: string]: JsonValue };

const MAX_DEPTH = 256;
const NUM_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function parseJson(text: string): JsonValue {
  const p = new Parser(text);
  p.ws();
  const v = p.value(0);
  p.ws();
  if (p.i < text.length) throw new JsonError(`unexpected '${text[p.i]}' after JSON value at column ${p.i + 1}`, p.i);
  return v;
}

class Parser {
  i = 0;
  constructor(private readonly s: string) {}

  ws(): void {
    const s = this.s;
    let i = this.i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else break;
    }
    this.i = i;
  }

  fail(what: string): never {
    if (this.i >= this.s.length) throw new JsonError(`unexpected end of JSON (${what})`, this.i);
    throw new JsonError(`unexpected '${this.s[this.i]}' at column ${this.i + 1} (${what})`, this.i);
  }

  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) throw new JsonError('JSON nested too deeply', this.i);
    const s = this.s;
    const c = s.charCodeAt(this.i);
    if (c === 123) return this.object(depth);
    if (c === 91) return this.array(depth);
    if (c === 34) return this.string();
    if (c === 45 || (c >= 48 && c <= 57)) {
      if (s.startsWith('-Infinity', this.i)) {
        this.i += 9;
        return -Infinity;
      }
      NUM_RE.lastIndex = this.i;
      const m = NUM_RE.exec(s);
      if (!m) this.fail('number');
      this.i += m[0].length;
      return Number(m[0]);
    }
    if (s.startsWith('true', this.i)) return ((this.i += 4), true);
    if (s.startsWith('false', this.i)) return ((this.i += 5), false);
    if (s.startsWith('null', this.i)) return ((this.i += 4), null);
    if (s.startsWith('NaN', this.i)) return ((this.i += 3), NaN);
    if (s.startsWith('Infinity', this.i)) return ((this.i += 8), Infinity);
    return this.fail('value');
  }

  object(depth: number): JsonValue {
    const out: { [k: string]: JsonValue } = {};
    this.i++;
    this.ws();
    if (this.s.charCodeAt(this.i) === 125) {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s.charCodeAt(this.i) !== 34) this.fail('object key');
      const k = this.string();
      this.ws();
      if (this.s.charCodeAt(this.i) !== 58) this.fail("':'");
      this.i++;
      this.ws();
      const v = this.value(depth + 1);
      if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      else out[k] = v;
      this.ws();
      const c = this.s.charCodeAt(this.i);
      if (c === 44) {
        this.i++;
        continue;
      }
      if (c === 125) {
        this.i++;
        return out;
      }
      this.fail("',' or '}'");
    }
  }

  array(depth: number): JsonValue {
    const out: JsonValue[] = [];
    this.i++;
    this.ws();
    if (this.s.charCodeAt(this.i) === 93) {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s.charCodeAt(this.i);
      if (c === 44) {
        this.i++;
        continue;
      }
      if (c === 93) {
        this.i++;
        return out;
      }
      this.fail("',' or ']'");
    }
  }

  string(): string {
    const s = this.s;
    const start = ++this.i;
    // fast path: no escapes
    let i = start;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 34) {
        this.i = i + 1;
        return s.slice(start, i);
      }
      if (c === 92) break;
      if (i >= s.length) {
        this.i = i;
        this.fail('string');
      }
      i++;
    }
    let out = s.slice(start, i);
    for (;;) {
      if (i >= s.length) {
        this.i = i;
        this.fail('string');
      }
      const c = s.charCodeAt(i);
      if (c === 34) {
        this.i = i + 1;
        return out;
      }
      if (c === 92) {
        const e = s[i + 1];
        i += 2;
        switch (e) {
          case '"':
            out += '"';
            break;
          case '\\':
            out += '\\';
            break;
          case '/':
            out += '/';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const h = s.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(h)) {
              this.i = i;
              this.fail('\\u escape');
            }
            out += String.fromCharCode(parseInt(h, 16));
            i += 4;
            break;
          }
          default:
            this.i = i - 1;
            this.fail('escape');
        }
        continue;
      }
      out += s[i];
      i++;
    }
  }
}
