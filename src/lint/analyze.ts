// Loss-pitfall rules over a tree-sitter Python syntax tree. Intra-file data flow only: assignments in
// the same function (or module), `self.x` attributes of the same class, the `forward` of a class defined
// in the file, the last layer of an `nn.Sequential` / Keras model, and arguments bound at call sites of
// functions defined in the file. Nothing is guessed across files.
import type { Node, Tree } from 'web-tree-sitter';
import type { LintCode } from './codes';

export interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}
export interface LintFix {
  readonly title: string;
  readonly edits: readonly Edit[];
}
export interface RawRelated {
  readonly start: number;
  readonly end: number;
  readonly message: string;
}
export interface RawFinding {
  readonly code: LintCode;
  readonly start: number;
  readonly end: number;
  readonly message: string;
  readonly related: RawRelated[];
  readonly fix?: LintFix;
}

type Kind = 'softmax' | 'log_softmax' | 'log_of_softmax' | 'sigmoid' | 'logits';

interface KindValue {
  readonly kind: Kind;
  /** The node that applies the activation (or the last linear layer for 'logits'). */
  readonly origin: Node;
  /** Edit that removes the activation, when mechanical. */
  readonly drop?: Edit;
}

type LayerType = 'linear' | 'softmax' | 'log_softmax' | 'sigmoid';
interface Layer {
  readonly type: LayerType;
  readonly node: Node;
  /** Edit removing the layer (an nn.Sequential element). */
  readonly drop?: Edit;
}

type LossType = 'ce' | 'nll' | 'bce' | 'bcel';
interface LossSite {
  readonly type: LossType;
  readonly call: Node;
  readonly input: Node | null;
  /** The constructor call or function reference naming the loss (for renaming fixes). */
  readonly ctorName: Node | null;
}

const WANTED = [
  'call',
  'assignment',
  'function_definition',
  'class_definition',
  'for_statement',
  'while_statement',
  'import_statement',
  'import_from_statement',
];
/** A dotted callee at a call's offset, directly followed by its argument list (sticky). */
const CALLEE = /([\p{L}_][\p{L}\p{N}_]*(?:\s*\.\s*[\p{L}_][\p{L}\p{N}_]*)*)\s*\(/uy;

const PRESERVE = new Set([
  'squeeze',
  'unsqueeze',
  'view',
  'reshape',
  'flatten',
  'float',
  'double',
  'half',
  'contiguous',
  'to',
  'cuda',
  'cpu',
  'type_as',
  'view_as',
  'reshape_as',
  'permute',
  'transpose',
  'clone',
  'squeeze_',
  'unsqueeze_',
  'bfloat16',
]);
const MODULE_WRAPPERS = new Set(['to', 'cuda', 'cpu', 'float', 'double', 'half', 'train', 'bfloat16']);
const TORCH_SOFTMAX = new Set(['torch.nn.functional.softmax', 'torch.softmax', 'torch.special.softmax']);
const TORCH_LOG_SOFTMAX = new Set(['torch.nn.functional.log_softmax', 'torch.log_softmax', 'torch.special.log_softmax']);
const TORCH_SIGMOID = new Set(['torch.sigmoid', 'torch.nn.functional.sigmoid', 'torch.special.expit']);
const TORCH_LOG = new Set(['torch.log']);
const LOSS_FN: Record<string, LossType> = {
  'torch.nn.functional.cross_entropy': 'ce',
  'torch.nn.functional.nll_loss': 'nll',
  'torch.nn.functional.binary_cross_entropy': 'bce',
  'torch.nn.functional.binary_cross_entropy_with_logits': 'bcel',
};
const LOSS_NAME = /^(self\.)?(criterion\w*|crit|loss_fn\w*|loss_func\w*|lossfn|\w+_loss|\w*Loss)$/;
const LOSS_FN_NAMES = new Set(['cross_entropy', 'nll_loss', 'binary_cross_entropy', 'binary_cross_entropy_with_logits']);
const LOSS_CTOR: Record<string, LossType> = {
  'torch.nn.CrossEntropyLoss': 'ce',
  'torch.nn.NLLLoss': 'nll',
  'torch.nn.BCELoss': 'bce',
  'torch.nn.BCEWithLogitsLoss': 'bcel',
};
const LAYER_CTOR: Record<string, LayerType> = {
  'torch.nn.Linear': 'linear',
  'torch.nn.LazyLinear': 'linear',
  'torch.nn.Softmax': 'softmax',
  'torch.nn.LogSoftmax': 'log_softmax',
  'torch.nn.Sigmoid': 'sigmoid',
};
const UNWRAP_CTOR = new Set([
  'torch.nn.DataParallel',
  'torch.nn.parallel.DistributedDataParallel',
  'torch.nn.parallel.DataParallel',
  'torch.compile',
]);
/** Heads treated as modules when a file uses them without an import we can see (star imports). */
const FALLBACK_ALIASES: Record<string, string> = {
  F: 'torch.nn.functional',
  nn: 'torch.nn',
  torch: 'torch',
  tf: 'tensorflow',
  keras: 'keras',
};

const DEPTH = 12;
/** Names resolved through a star import of a Keras or torch module. */
const STAR_NAMES = new Set([
  'Dense',
  'Softmax',
  'Activation',
  'Sequential',
  'Model',
  'SparseCategoricalCrossentropy',
  'CategoricalCrossentropy',
  'BinaryCrossentropy',
  'to_categorical',
  'Linear',
  'LazyLinear',
  'LogSoftmax',
  'Sigmoid',
  'CrossEntropyLoss',
  'NLLLoss',
  'BCELoss',
  'BCEWithLogitsLoss',
  'softmax',
  'log_softmax',
  'sigmoid',
  'cross_entropy',
  'nll_loss',
  'binary_cross_entropy',
  'binary_cross_entropy_with_logits',
]);

function normalizeQn(qn: string): string {
  // Keras spellings: tensorflow.keras.X / tensorflow.python.keras.X / tf_keras.X → keras.X
  let q = qn;
  if (q.startsWith('tensorflow.python.keras.')) q = q.slice('tensorflow.python.'.length);
  else if (q.startsWith('tensorflow.keras.')) q = q.slice('tensorflow.'.length);
  else if (q.startsWith('tf_keras.')) q = 'keras.' + q.slice('tf_keras.'.length);
  if (q.startsWith('keras.src.')) q = 'keras.' + q.slice('keras.src.'.length);
  return q;
}

function unparen(n: Node | null): Node | null {
  let x = n;
  while (x && x.type === 'parenthesized_expression') x = x.namedChildren.find((c) => c !== null && c.type !== 'comment') ?? null;
  return x;
}

function args(call: Node): { positional: Node[]; keywords: Map<string, Node>; list: Node | null } {
  const list = call.childForFieldName('arguments');
  const positional: Node[] = [];
  const keywords = new Map<string, Node>();
  if (list && list.type === 'argument_list') {
    for (const a of list.namedChildren) {
      if (!a || a.type === 'comment') continue;
      if (a.type === 'keyword_argument') {
        const k = a.childForFieldName('name');
        const v = a.childForFieldName('value');
        if (k && v) keywords.set(k.text, v);
      } else positional.push(a);
    }
  }
  return { positional, keywords, list };
}

function stringValue(n: Node | null): string | undefined {
  const x = unparen(n);
  if (!x || x.type !== 'string') return undefined;
  const t = x.text;
  const m = /^[rRbBuU]*('''|"""|'|")([\s\S]*)\1$/.exec(t);
  return m ? m[2] : undefined;
}

/** True for expressions that can replace a call verbatim without changing precedence. */
function isAtom(n: Node): boolean {
  return [
    'identifier',
    'call',
    'attribute',
    'subscript',
    'parenthesized_expression',
    'integer',
    'float',
    'string',
    'list',
    'tuple',
  ].includes(n.type);
}

function idOf(n: Node): number {
  return n.id;
}

interface AssignRec {
  readonly start: number;
  /** The value assigned, or null when unknown (loop targets, augmented assignments). */
  readonly value: Node | null;
  /** Path into a tuple right-hand side: `(a, b), (c, d) = f()` gives d the path [1, 1]. */
  readonly path: readonly number[];
  readonly node: Node;
}

export class Analyzer {
  private readonly calls: Node[] = [];
  private readonly funcs: Node[] = [];
  private readonly classes: Node[] = [];
  private readonly loops: Node[] = [];
  private readonly aliases = new Map<string, string>();
  /** Modules imported with `from m import *`. */
  private readonly starModules: string[] = [];
  /** scope id (0 = module) → name → assignments in source order. */
  private readonly assigns = new Map<number, Map<string, AssignRec[]>>();
  /** class id → attribute → values assigned to self.<attribute>. */
  private readonly selfAttrs = new Map<number, Map<string, Node[]>>();
  private readonly classByName = new Map<string, Node>();
  private readonly funcByName = new Map<string, Node[]>();
  private readonly kindMemo = new Map<number, KindValue | null>();
  private readonly layerMemo = new Map<number, Layer | 'class' | null>();
  private readonly classKindMemo = new Map<number, KindValue | null>();
  private readonly findings = new Map<string, RawFinding>();
  /** Enclosing function / class of every indexed node (filled by the walk: no parent chains). */
  private readonly scopeById = new Map<number, Node | null>();
  private readonly classById = new Map<number, Node | null>();
  private readonly callStarts: number[] = [];
  private readonly funcRanges: { node: Node; start: number; end: number }[] = [];
  private readonly classRanges: { node: Node; start: number; end: number }[] = [];
  private readonly callsByName = new Map<string, Node[]>();
  private readonly lossMemo = new Map<number, LossSite | null>();
  /** call id → callee's last name ('self.x' for self.x(…)); absent for computed callees. */
  private readonly calleeName = new Map<number, string>();

  constructor(
    private readonly tree: Tree,
    private readonly src: string,
  ) {
    this.collect();
  }

  // ---------------------------------------------------------------- indexing

  private collect(): void {
    // descendantsOfType runs the walk inside the WebAssembly module and returns only the wanted nodes
    // in document order (measured ~40 % less CPU than one tree-sitter query with the same node types,
    // and far less than a TreeCursor walk from JS). Callee names are read from the source text at the
    // call's offset: every Node accessor crosses into WebAssembly.
    const nodes = this.tree.rootNode.descendantsOfType(WANTED);
    const imports: Node[] = [];
    const assignments: Node[] = [];
    const forTargets: Node[] = [];
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      if (!n) continue;
      switch (n.type) {
        case 'call': {
          const start = n.startIndex;
          this.calls.push(n);
          this.callStarts.push(start);
          let name: string | undefined;
          const next = nodes[i + 1];
          if (next && next.startIndex === start) {
            // a call whose callee starts with another call (f(x)(y), a.b(x).c(y)): ask the tree
            const fn = n.childForFieldName('function');
            const attr = fn?.type === 'attribute' ? fn.childForFieldName('attribute') : null;
            name = attr?.text;
          } else {
            CALLEE.lastIndex = start;
            const m = CALLEE.exec(this.src);
            if (m) {
              const chain = m[1]!.replace(/\s+/g, '');
              const dot = chain.lastIndexOf('.');
              name = dot < 0 ? chain : chain.startsWith('self.') && dot === 4 ? chain : chain.slice(dot + 1);
            } else {
              const fn = n.childForFieldName('function');
              name = fn?.type === 'identifier' ? fn.text : fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : undefined;
            }
          }
          if (name !== undefined) {
            this.calleeName.set(n.id, name);
            const last = name.startsWith('self.') ? name.slice(5) : name;
            const list = this.callsByName.get(last);
            if (list) list.push(n);
            else this.callsByName.set(last, [n]);
          }
          break;
        }
        case 'function_definition':
          this.funcs.push(n);
          this.funcRanges.push({ node: n, start: n.startIndex, end: n.endIndex });
          break;
        case 'class_definition':
          this.classes.push(n);
          this.classRanges.push({ node: n, start: n.startIndex, end: n.endIndex });
          break;
        case 'for_statement':
          this.loops.push(n);
          forTargets.push(n);
          break;
        case 'while_statement':
          this.loops.push(n);
          break;
        case 'import_statement':
        case 'import_from_statement':
          imports.push(n);
          break;
        case 'assignment':
          assignments.push(n);
          break;
      }
    }
    this.indexImports(imports);
    this.indexDefs();
    for (const a of assignments) this.indexAssignment(a);
    for (const f of forTargets) {
      const left = f.childForFieldName('left');
      if (left) this.bindPattern(left, null, [], f, f.startIndex);
    }
  }

  /** Calls whose start lies in [start, end), in source order. */
  private callsIn(start: number, end: number): Node[] {
    const a = this.callStarts;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
    const out: Node[] = [];
    for (let i = lo; i < a.length && a[i]! < end; i++) out.push(this.calls[i]!);
    return out;
  }

  private indexImports(imports: readonly Node[]): void {
    for (const imp of imports) {
      if (imp.type === 'import_statement') {
        for (const n of imp.namedChildren) {
          if (!n) continue;
          if (n.type === 'dotted_name') {
            const head = n.text.split('.')[0]!;
            this.aliases.set(head, head);
          } else if (n.type === 'aliased_import') {
            const name = n.childForFieldName('name');
            const alias = n.childForFieldName('alias');
            if (name && alias) this.aliases.set(alias.text, name.text);
          }
        }
      } else {
        const mod = imp.childForFieldName('module_name');
        if (!mod || mod.type === 'relative_import') continue;
        if (imp.namedChildren.some((c) => c?.type === 'wildcard_import')) {
          this.starModules.push(mod.text);
          continue;
        }
        for (const n of imp.childrenForFieldName('name')) {
          if (!n) continue;
          if (n.type === 'dotted_name') this.aliases.set(n.text, `${mod.text}.${n.text}`);
          else if (n.type === 'aliased_import') {
            const name = n.childForFieldName('name');
            const alias = n.childForFieldName('alias');
            if (name && alias) this.aliases.set(alias.text, `${mod.text}.${name.text}`);
          }
        }
      }
    }
  }

  private indexDefs(): void {
    for (const c of this.classes) {
      const name = c.childForFieldName('name')?.text;
      if (name && this.scopeOf(c) === null) this.classByName.set(name, c);
    }
    for (const f of this.funcs) {
      const name = f.childForFieldName('name')?.text;
      if (!name) continue;
      const list = this.funcByName.get(name) ?? [];
      list.push(f);
      this.funcByName.set(name, list);
    }
  }

  private indexAssignment(a: Node): void {
    const left = a.childForFieldName('left');
    let right = a.childForFieldName('right');
    // a = b = value: the value is the innermost right-hand side.
    while (right && right.type === 'assignment') right = right.childForFieldName('right');
    if (!left) return;
    if (left.type === 'attribute') {
      const obj = left.childForFieldName('object');
      const attr = left.childForFieldName('attribute');
      // module-level `tf.model = Sequential()` style names: bound under their dotted text
      if (obj?.type === 'identifier' && obj.text !== 'self' && attr) {
        this.bindName(`${obj.text}.${attr.text}`, right, [], a, a.endIndex);
        return;
      }
      if (obj?.text === 'self' && attr && right) {
        const cls = this.classOf(a);
        if (cls) {
          let m = this.selfAttrs.get(idOf(cls));
          if (!m) this.selfAttrs.set(idOf(cls), (m = new Map()));
          const list = m.get(attr.text) ?? [];
          list.push(right);
          m.set(attr.text, list);
        }
      }
      return;
    }
    this.bindPattern(left, right, [], a, a.endIndex);
  }

  private bindName(name: string, value: Node | null, path: number[], node: Node, start: number): void {
    const scope = this.scopeOf(node);
    const sid = scope ? idOf(scope) : 0;
    let m = this.assigns.get(sid);
    if (!m) this.assigns.set(sid, (m = new Map()));
    const list = m.get(name) ?? [];
    list.push({ start, value, path, node });
    m.set(name, list);
  }

  private bindPattern(left: Node, value: Node | null, path: number[], node: Node, start: number): void {
    if (path.length > 16) return; // absurdly nested unpacking: not followed (bounded recursion)
    if (left.type === 'identifier') {
      this.bindName(left.text, value, path, node, start);
      return;
    }
    if (['pattern_list', 'tuple_pattern', 'list_pattern', 'tuple', 'list', 'parenthesized_expression'].includes(left.type)) {
      let i = 0;
      for (const el of left.namedChildren) {
        if (!el || el.type === 'comment') continue;
        this.bindPattern(el, value, [...path, i], node, start);
        i++;
      }
    }
  }

  /** Innermost function (or class) containing offset `pos`, from the captured ranges (no parent chain). */
  private innermost(list: readonly { node: Node; start: number; end: number }[], pos: number, endPos: number): Node | null {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.start <= pos) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0; i--) {
      const r = list[i]!;
      if (r.start <= pos && endPos <= r.end && !(r.start === pos && r.end === endPos)) return r.node;
    }
    return null;
  }

  private scopeOf(n: Node): Node | null {
    const known = this.scopeById.get(n.id);
    if (known !== undefined) return known;
    const v = this.innermost(this.funcRanges, n.startIndex, n.endIndex);
    this.scopeById.set(n.id, v);
    return v;
  }

  private classOf(n: Node): Node | null {
    const known = this.classById.get(n.id);
    if (known !== undefined) return known;
    const v = this.innermost(this.classRanges, n.startIndex, n.endIndex);
    this.classById.set(n.id, v);
    return v;
  }

  // ---------------------------------------------------------------- names

  /** Qualified name of a dotted expression through the file's imports, e.g. F.softmax → torch.nn.functional.softmax. */
  private qualName(n: Node | null): string | undefined {
    const x = unparen(n);
    if (!x) return undefined;
    if (x.type === 'identifier') {
      const a = this.aliases.get(x.text);
      if (a) return normalizeQn(a);
      if (this.isLocallyBound(x.text, x)) return undefined;
      // `from keras.layers import *` / `from torch.nn import *`: only names those modules are known to export
      for (const m of this.starModules) {
        const q = normalizeQn(`${m}.${x.text}`);
        if (STAR_NAMES.has(q.slice(q.lastIndexOf('.') + 1)) && /^(keras|torch)\./.test(q)) return q;
      }
      const f = FALLBACK_ALIASES[x.text];
      return f;
    }
    if (x.type === 'attribute') {
      const obj = x.childForFieldName('object');
      const attr = x.childForFieldName('attribute');
      const base = this.qualName(obj);
      return base && attr ? normalizeQn(`${base}.${attr.text}`) : undefined;
    }
    return undefined;
  }

  private isLocallyBound(name: string, at: Node): boolean {
    if (this.classByName.has(name) || this.funcByName.has(name)) return true;
    for (const m of this.assigns.values()) if (m.has(name)) return true;
    void at;
    return false;
  }

  /** The last value assigned to `name` before `at` in its scope chain, or the call-site arguments of a parameter. */
  private resolve(name: string, at: Node): { value: Node | null; path: readonly number[] }[] {
    let scope = this.scopeOf(at);
    for (;;) {
      const sid = scope ? idOf(scope) : 0;
      const list = this.assigns.get(sid)?.get(name);
      if (list?.length) {
        // In a function, a name read before any assignment in that function is still local (Python
        // semantics) unless it is a parameter; at module level only earlier assignments count.
        let best: AssignRec | undefined;
        for (const r of list) if (r.start <= at.startIndex) best = r;
        if (!best && scope) best = undefined;
        if (best) return [{ value: best.value, path: best.path }];
        if (scope === null) {
          // A module-level name used in a function is usually assigned before the function runs.
          return [];
        }
      }
      if (scope) {
        const params = this.paramIndex(scope, name);
        if (params !== undefined) return this.callSiteArgs(scope, name, params);
        if (list?.length) return [];
        const outer = this.scopeOf(scope);
        if (outer === null) {
          const mod = this.assigns.get(0)?.get(name);
          if (mod?.length) {
            const last = mod[mod.length - 1]!;
            return [{ value: last.value, path: last.path }];
          }
          return [];
        }
        scope = outer;
        continue;
      }
      return [];
    }
  }

  private readonly paramsMemo = new Map<number, string[]>();

  private paramIndex(func: Node, name: string): number | undefined {
    let names = this.paramsMemo.get(func.id);
    if (!names) {
      names = [];
      for (const p of func.childForFieldName('parameters')?.namedChildren ?? []) {
        if (!p || p.type === 'comment') continue;
        let id: Node | null = p;
        if (p.type === 'default_parameter' || p.type === 'typed_default_parameter') id = p.childForFieldName('name');
        else if (p.type === 'typed_parameter') id = p.namedChildren.find((c) => c?.type === 'identifier') ?? null;
        names.push(id?.type === 'identifier' ? id.text : '');
      }
      this.paramsMemo.set(func.id, names);
    }
    const i = names.indexOf(name);
    return i >= 0 ? i : undefined;
  }

  /** Argument expressions bound to parameter `index`/`name` at the call sites of `func` in this file. */
  private callSiteArgs(func: Node, name: string, index: number): { value: Node | null; path: readonly number[] }[] {
    const fname = func.childForFieldName('name')?.text;
    if (!fname || (this.funcByName.get(fname)?.length ?? 0) !== 1) return [];
    const isMethod = this.classOf(func) !== null && this.scopeOf(func) === null;
    const out: { value: Node | null; path: readonly number[] }[] = [];
    for (const call of this.callsByName.get(fname) ?? []) {
      const fn = call.childForFieldName('function');
      if (!fn) continue;
      let shift = 0;
      if (isMethod) {
        if (fn.type !== 'attribute' || fn.childForFieldName('attribute')?.text !== fname) continue;
        shift = 1;
      } else if (fn.type !== 'identifier' || fn.text !== fname) continue;
      const { positional, keywords } = args(call);
      if (positional.some((p) => p.type === 'list_splat' || p.type === 'dictionary_splat')) return [];
      const v = keywords.get(name) ?? positional[index - shift] ?? null;
      if (!v) continue;
      out.push({ value: v, path: [] });
    }
    return out;
  }

  // ---------------------------------------------------------------- torch: kinds of values

  /** What an expression holds: probabilities from softmax, log-probabilities, a sigmoid, raw linear logits. */
  private kindOf(expr: Node | null, depth = 0): KindValue | null {
    const n = unparen(expr);
    if (!n || depth > DEPTH) return null;
    const key = idOf(n);
    if (this.kindMemo.has(key)) return this.kindMemo.get(key)!;
    this.kindMemo.set(key, null); // cycle guard
    const v = this.kindOfUncached(n, depth);
    this.kindMemo.set(key, v);
    return v;
  }

  private kindOfUncached(n: Node, depth: number): KindValue | null {
    switch (n.type) {
      case 'identifier':
        return this.agree(this.resolve(n.text, n).map((r) => (r.path.length ? null : this.kindOf(r.value, depth + 1))));
      case 'attribute': {
        const obj = n.childForFieldName('object');
        const attr = n.childForFieldName('attribute');
        if (obj?.text === 'self' && attr) {
          const cls = this.classOf(n);
          const vals = cls ? this.selfAttrs.get(idOf(cls))?.get(attr.text) : undefined;
          if (vals?.length === 1) return this.kindOf(vals[0]!, depth + 1);
        }
        return null;
      }
      case 'subscript':
        return this.kindOf(n.childForFieldName('value'), depth + 1);
      case 'call':
        return this.kindOfCall(n, depth);
      default:
        return null;
    }
  }

  private agree(vs: (KindValue | null)[]): KindValue | null {
    if (vs.length === 0) return null;
    const first = vs[0];
    if (!first) return null;
    for (const v of vs) if (!v || v.kind !== first.kind) return null;
    return first;
  }

  private dropCall(call: Node, keep: Node): Edit {
    const text = isAtom(keep) ? keep.text : `(${keep.text})`;
    return { start: call.startIndex, end: call.endIndex, text };
  }

  private kindOfCall(call: Node, depth: number): KindValue | null {
    const fn = call.childForFieldName('function');
    if (!fn) return null;
    const { positional, keywords } = args(call);
    const qn = this.qualName(fn);
    if (qn) {
      const input = keywords.get('input') ?? positional[0] ?? null;
      if (TORCH_SOFTMAX.has(qn)) return { kind: 'softmax', origin: call, drop: input ? this.dropCall(call, input) : undefined };
      if (TORCH_LOG_SOFTMAX.has(qn)) return { kind: 'log_softmax', origin: call };
      if (TORCH_SIGMOID.has(qn)) return { kind: 'sigmoid', origin: call, drop: input ? this.dropCall(call, input) : undefined };
      if (TORCH_LOG.has(qn)) {
        const k = this.kindOf(input, depth + 1);
        return k?.kind === 'softmax' ? { kind: 'log_of_softmax', origin: call } : null;
      }
      if (qn.startsWith('torch.') || qn.startsWith('numpy.') || qn.startsWith('keras.') || qn.startsWith('tensorflow.')) {
        if (LAYER_CTOR[qn] === undefined && !UNWRAP_CTOR.has(qn)) return null;
      }
    }
    if (fn.type === 'attribute') {
      const obj = fn.childForFieldName('object');
      const m = fn.childForFieldName('attribute')?.text ?? '';
      // self.softmax(x) calls a submodule (handled as a layer below), not Tensor.softmax.
      if (obj && obj.text !== 'self' && !(qn && this.isModuleQn(obj))) {
        if (m === 'softmax') return { kind: 'softmax', origin: call, drop: this.dropCall(call, obj) };
        if (m === 'log_softmax') return { kind: 'log_softmax', origin: call };
        if (m === 'sigmoid') return { kind: 'sigmoid', origin: call, drop: this.dropCall(call, obj) };
        if (m === 'log' && positional.length === 0) {
          const k = this.kindOf(obj, depth + 1);
          return k?.kind === 'softmax' ? { kind: 'log_of_softmax', origin: call } : null;
        }
        if (PRESERVE.has(m)) return this.kindOf(obj, depth + 1);
        if (m === 'forward') return this.outputOf(obj, call, depth);
      }
    }
    return this.outputOf(fn, call, depth);
  }

  private isModuleQn(obj: Node): boolean {
    const q = this.qualName(obj);
    return q !== undefined && /^(torch|numpy|math|scipy|keras|tensorflow|jax)(\.|$)/.test(q);
  }

  /** Output of calling `callee` (a layer, an nn.Sequential or an instance of a model class of this file). */
  private outputOf(callee: Node, call: Node, depth: number): KindValue | null {
    const layer = this.layerOf(callee, depth + 1);
    if (!layer) return null;
    if (layer === 'class') return this.classOutput(callee, depth + 1);
    const { positional } = args(call);
    switch (layer.type) {
      case 'linear':
        return { kind: 'logits', origin: layer.node };
      case 'softmax':
        // `self.softmax(x)` in a forward: dropping the call keeps x; an nn.Sequential element is removed.
        return {
          kind: 'softmax',
          origin: layer.drop ? layer.node : call,
          drop: layer.drop ?? (positional[0] && positional.length === 1 ? this.dropCall(call, positional[0]) : undefined),
        };
      case 'log_softmax':
        return { kind: 'log_softmax', origin: layer.node };
      case 'sigmoid':
        return {
          kind: 'sigmoid',
          origin: layer.drop ? layer.node : call,
          drop: layer.drop ?? (positional[0] && positional.length === 1 ? this.dropCall(call, positional[0]) : undefined),
        };
    }
  }

  /** What a callable expression is: a known layer, or 'class' for an instance of a model class in this file. */
  private layerOf(expr: Node | null, depth: number): Layer | 'class' | null {
    const n = unparen(expr);
    if (!n || depth > DEPTH) return null;
    const key = idOf(n);
    if (this.layerMemo.has(key)) return this.layerMemo.get(key)!;
    this.layerMemo.set(key, null);
    const v = this.layerOfUncached(n, depth);
    this.layerMemo.set(key, v);
    return v;
  }

  private classOfInstance(expr: Node | null, depth: number): Node | null {
    const n = unparen(expr);
    if (!n || depth > DEPTH) return null;
    if (n.type === 'call') {
      const fn = n.childForFieldName('function');
      if (fn?.type === 'identifier') {
        const cls = this.classByName.get(fn.text);
        if (cls) return cls;
        const f = this.funcByName.get(fn.text);
        if (f?.length === 1) return this.agreeNode(this.returnsOf(f[0]!).map((r) => this.classOfInstance(r, depth + 1)));
        return null;
      }
      if (fn?.type === 'attribute') {
        const m = fn.childForFieldName('attribute')?.text ?? '';
        const obj = fn.childForFieldName('object');
        if (MODULE_WRAPPERS.has(m)) return this.classOfInstance(obj, depth + 1);
        const qn = this.qualName(fn);
        if (qn && UNWRAP_CTOR.has(qn)) return this.classOfInstance(args(n).positional[0] ?? null, depth + 1);
      }
      return null;
    }
    if (n.type === 'identifier') {
      const rs = this.resolve(n.text, n);
      return this.agreeNode(rs.map((r) => (r.path.length ? null : this.classOfInstance(r.value, depth + 1))));
    }
    if (n.type === 'attribute' && n.childForFieldName('object')?.text === 'self') {
      const cls = this.classOf(n);
      const vals = cls ? this.selfAttrs.get(idOf(cls))?.get(n.childForFieldName('attribute')?.text ?? '') : undefined;
      if (vals?.length === 1) return this.classOfInstance(vals[0]!, depth + 1);
    }
    return null;
  }

  private agreeNode(ns: (Node | null)[]): Node | null {
    if (!ns.length || !ns[0]) return null;
    for (const x of ns) if (!x || x.id !== ns[0].id) return null;
    return ns[0];
  }

  private layerOfUncached(n: Node, depth: number): Layer | 'class' | null {
    if (n.type === 'call') {
      const fn = n.childForFieldName('function');
      const qn = this.qualName(fn);
      const { positional } = args(n);
      if (qn) {
        const t = LAYER_CTOR[qn];
        if (t) return { type: t, node: n };
        if (qn === 'torch.nn.Sequential') {
          const last = positional[positional.length - 1];
          if (!last || last.type === 'list_splat') return null;
          const l = this.layerOf(last, depth + 1);
          if (!l || l === 'class') return null;
          const prev = positional[positional.length - 2];
          const drop =
            prev && (l.type === 'softmax' || l.type === 'sigmoid') ? { start: prev.endIndex, end: last.endIndex, text: '' } : undefined;
          return { type: l.type, node: last, drop };
        }
        if (UNWRAP_CTOR.has(qn)) return this.layerOf(positional[0] ?? null, depth + 1);
      }
      if (fn?.type === 'attribute') {
        const m = fn.childForFieldName('attribute')?.text ?? '';
        if (MODULE_WRAPPERS.has(m)) return this.layerOf(fn.childForFieldName('object'), depth + 1);
      }
      if (this.classOfInstance(n, depth + 1)) return 'class';
      return null;
    }
    if (n.type === 'identifier') {
      const rs = this.resolve(n.text, n);
      const ls = rs.map((r) => (r.path.length ? null : this.layerOf(r.value, depth + 1)));
      if (!ls.length || !ls[0]) return null;
      const f = ls[0];
      for (const l of ls) {
        if (!l) return null;
        if (l === 'class' || f === 'class') {
          if (l !== f) return null;
        } else if (l.type !== f.type) return null;
      }
      return f;
    }
    if (n.type === 'attribute') {
      const obj = n.childForFieldName('object');
      const attr = n.childForFieldName('attribute')?.text ?? '';
      if (obj?.text === 'self') {
        const cls = this.classOf(n);
        const vals = cls ? this.selfAttrs.get(idOf(cls))?.get(attr) : undefined;
        if (vals?.length === 1) return this.layerOf(vals[0]!, depth + 1);
        return null;
      }
      // model.module (DataParallel) / model.forward
      if (attr === 'module' || attr === 'forward') return this.layerOf(obj, depth + 1);
    }
    return null;
  }

  private returnsOf(func: Node): Node[] {
    const out: Node[] = [];
    const body = func.childForFieldName('body');
    if (!body) return out;
    for (const r of body.descendantsOfType('return_statement')) {
      if (!r) continue;
      if (this.scopeOf(r)?.id !== func.id) continue;
      const v = r.namedChildren.find((c) => c !== null && c.type !== 'comment') ?? null;
      if (v) out.push(v);
    }
    return out;
  }

  private methodOf(cls: Node, name: string): Node | null {
    const body = cls.childForFieldName('body');
    if (!body) return null;
    for (const s of body.namedChildren) {
      const f = s?.type === 'decorated_definition' ? s.childForFieldName('definition') : s;
      if (f?.type === 'function_definition' && f.childForFieldName('name')?.text === name) return f;
    }
    return null;
  }

  /** Kind returned by the forward of the model class instantiated by `instanceExpr`. */
  private classOutput(instanceExpr: Node, depth: number): KindValue | null {
    const cls = this.classOfInstance(instanceExpr, depth);
    if (!cls) return null;
    if (this.classKindMemo.has(cls.id)) return this.classKindMemo.get(cls.id)!;
    this.classKindMemo.set(cls.id, null);
    const fwd = this.methodOf(cls, 'forward') ?? this.methodOf(cls, 'call') ?? this.methodOf(cls, '__call__');
    const v = fwd ? this.agree(this.returnsOf(fwd).map((r) => this.kindOf(r, depth + 1))) : null;
    this.classKindMemo.set(cls.id, v);
    return v;
  }

  // ---------------------------------------------------------------- torch: losses

  private lossCtor(expr: Node | null, depth: number): { type: LossType; name: Node } | null {
    const n = unparen(expr);
    if (!n || depth > DEPTH) return null;
    if (n.type === 'call') {
      const fn = n.childForFieldName('function');
      const qn = this.qualName(fn);
      if (qn && LOSS_CTOR[qn] && fn) return { type: LOSS_CTOR[qn], name: fn };
      if (fn?.type === 'attribute' && MODULE_WRAPPERS.has(fn.childForFieldName('attribute')?.text ?? ''))
        return this.lossCtor(fn.childForFieldName('object'), depth + 1);
      return null;
    }
    if (n.type === 'identifier' || n.type === 'attribute') {
      const qn = this.qualName(n);
      if (qn && LOSS_FN[qn]) return { type: LOSS_FN[qn], name: n };
      if (n.type === 'identifier') {
        const rs = this.resolve(n.text, n).map((r) => (r.path.length ? null : this.lossCtor(r.value, depth + 1)));
        if (!rs.length || !rs[0]) return null;
        for (const r of rs) if (!r || r.type !== rs[0].type) return null;
        return rs[0];
      }
      if (n.childForFieldName('object')?.text === 'self') {
        const cls = this.classOf(n);
        const vals = cls ? this.selfAttrs.get(idOf(cls))?.get(n.childForFieldName('attribute')?.text ?? '') : undefined;
        if (vals?.length === 1) return this.lossCtor(vals[0]!, depth + 1);
      }
    }
    return null;
  }

  private lossSite(call: Node): LossSite | null {
    const m = this.lossMemo.get(call.id);
    if (m !== undefined) return m;
    const v = this.lossSiteUncached(call);
    this.lossMemo.set(call.id, v);
    return v;
  }

  private lossSiteUncached(call: Node): LossSite | null {
    const fn = call.childForFieldName('function');
    if (!fn) return null;
    const l = this.lossCtor(fn, 0);
    if (!l) return null;
    const { positional, keywords } = args(call);
    return { type: l.type, call, input: keywords.get('input') ?? positional[0] ?? null, ctorName: l.name };
  }

  // ---------------------------------------------------------------- findings

  private add(f: RawFinding, relatedOnDuplicate?: RawRelated): void {
    const key = `${f.code}@${f.start}`;
    const prev = this.findings.get(key);
    if (prev) {
      if (relatedOnDuplicate && !prev.related.some((r) => r.start === relatedOnDuplicate.start)) prev.related.push(relatedOnDuplicate);
      return;
    }
    this.findings.set(key, f);
  }

  run(): RawFinding[] {
    this.torchRules();
    this.zeroGradRule();
    this.validationRule();
    this.kerasRules();
    return [...this.findings.values()].sort((a, b) => a.start - b.start || a.code.localeCompare(b.code));
  }

  private torchRules(): void {
    for (const call of this.callsByName.get('log') ?? []) {
      // log-of-softmax: torch.log(p) / p.log() with p = softmax(…)
      if (this.kindOf(call)?.kind === 'log_of_softmax') this.logOfSoftmax(call);
    }
    // Names that can hold a loss: assigned somewhere, parameters, self attributes, or torch's functions.
    const assigned = new Set<string>();
    for (const m of this.assigns.values()) for (const k of m.keys()) assigned.add(k);
    for (const m of this.selfAttrs.values()) for (const k of m.keys()) assigned.add(`self.${k}`);
    for (const call of this.calls) {
      const name = this.calleeName.get(call.id);
      if (name !== undefined && !LOSS_FN_NAMES.has(name) && !assigned.has(name) && !this.isParamName(call, name)) continue;
      const site = this.lossSite(call);
      if (!site) continue;
      const v = this.kindOf(site.input);
      if (!v) continue;
      const lossName = site.ctorName?.text ?? 'the loss';
      const rel: RawRelated = { start: call.startIndex, end: call.endIndex, message: `reaches ${lossName} here` };
      if ((site.type === 'ce' || site.type === 'nll') && v.kind === 'softmax') {
        this.add(
          {
            code: 'softmax-before-cross-entropy',
            start: v.origin.startIndex,
            end: v.origin.endIndex,
            message:
              site.type === 'ce'
                ? `Softmax output reaches ${lossName}, which applies log_softmax itself: the loss is computed on probabilities as if they were logits, so gradients vanish and the model learns slowly or not at all.`
                : `Softmax output reaches ${lossName}, which expects log-probabilities: the loss is computed on probabilities, so it is wrong and its gradients barely depend on the target.`,
            related: [rel],
            fix: v.drop ? { title: 'Remove the softmax (the loss applies log_softmax itself)', edits: [v.drop] } : undefined,
          },
          rel,
        );
      } else if (site.type === 'bcel' && v.kind === 'sigmoid') {
        this.add(
          {
            code: 'sigmoid-before-bce-with-logits',
            start: v.origin.startIndex,
            end: v.origin.endIndex,
            message: `Sigmoid output reaches ${lossName}, which applies the sigmoid itself: the loss sees squashed values in (0, 1), so it never gets close to 0 and gradients shrink.`,
            related: [rel],
            fix: v.drop ? { title: 'Remove the sigmoid (the loss applies it itself)', edits: [v.drop] } : undefined,
          },
          rel,
        );
      } else if (site.type === 'bce' && v.kind === 'logits') {
        this.add({
          code: 'bce-on-logits',
          start: call.startIndex,
          end: call.endIndex,
          message: `${lossName} receives the raw output of a linear layer, but it expects probabilities in [0, 1]: use BCEWithLogitsLoss (sigmoid and loss fused, numerically stable) or apply a sigmoid first.`,
          related: [{ start: v.origin.startIndex, end: v.origin.endIndex, message: 'last layer is linear (no sigmoid)' }],
          fix: this.renameFix(site, 'bce'),
        });
      } else if (site.type === 'nll' && v.kind === 'logits') {
        this.add({
          code: 'nll-on-logits',
          start: call.startIndex,
          end: call.endIndex,
          message: `${lossName} receives raw logits, but it expects log-probabilities: without log_softmax the loss is unbounded below and the model just inflates the target logit.`,
          related: [{ start: v.origin.startIndex, end: v.origin.endIndex, message: 'last layer is linear (no log_softmax)' }],
          fix: this.renameFix(site, 'nll'),
        });
      }
    }
  }

  private allParams: Set<string> | undefined;

  private isParamName(at: Node, name: string): boolean {
    if (!this.allParams) {
      this.allParams = new Set();
      for (const f of this.funcs) {
        this.paramIndex(f, '');
        for (const p of this.paramsMemo.get(f.id) ?? []) this.allParams.add(p);
      }
    }
    if (!this.allParams.has(name)) return false;
    const scope = this.scopeOf(at);
    return scope !== null && this.paramIndex(scope, name) !== undefined;
  }

  private renameFix(site: LossSite, from: 'bce' | 'nll'): LintFix | undefined {
    const n = site.ctorName;
    if (!n) return undefined;
    const last = n.type === 'attribute' ? n.childForFieldName('attribute') : n;
    if (!last) return undefined;
    const map: Record<string, string> =
      from === 'bce'
        ? { BCELoss: 'BCEWithLogitsLoss', binary_cross_entropy: 'binary_cross_entropy_with_logits' }
        : { NLLLoss: 'CrossEntropyLoss', nll_loss: 'cross_entropy' };
    const to = map[last.text];
    if (!to) return undefined;
    // A bare imported name (from torch.nn import BCELoss) cannot be renamed without touching the import.
    if (n.type === 'identifier' && !FALLBACK_ALIASES[n.text] && this.aliases.has(n.text)) return undefined;
    return {
      title: from === 'bce' ? `Use ${to} (sigmoid fused into the loss)` : `Use ${to} (log_softmax fused into the loss)`,
      edits: [{ start: last.startIndex, end: last.endIndex, text: to }],
    };
  }

  private logOfSoftmax(call: Node): void {
    const fn = call.childForFieldName('function');
    if (!fn) return;
    const { positional } = args(call);
    const inner = unparen(
      fn.type === 'attribute' && this.qualName(fn) === undefined ? fn.childForFieldName('object') : (positional[0] ?? null),
    );
    let fix: LintFix | undefined;
    if (inner?.type === 'call') {
      const ifn = inner.childForFieldName('function');
      const qn = this.qualName(ifn);
      const last = ifn?.type === 'attribute' ? ifn.childForFieldName('attribute') : null;
      if (last && last.text === 'softmax' && (qn === undefined || TORCH_SOFTMAX.has(qn))) {
        const text = this.src.slice(inner.startIndex, last.startIndex) + 'log_softmax' + this.src.slice(last.endIndex, inner.endIndex);
        fix = { title: 'Use log_softmax (stable log-probabilities)', edits: [{ start: call.startIndex, end: call.endIndex, text }] };
      }
    }
    this.add({
      code: 'log-of-softmax',
      start: call.startIndex,
      end: call.endIndex,
      message:
        'log of a softmax underflows: a confident prediction gives probabilities of exactly 0, so the log is −inf and its gradient NaN; log_softmax computes the same values stably.',
      related: [],
      fix,
    });
  }

  // ---------------------------------------------------------------- zero_grad

  private isOptimizer(obj: Node | null, depth = 0): boolean {
    const n = unparen(obj);
    if (!n || depth > DEPTH) return false;
    const t = n.type === 'attribute' ? (n.childForFieldName('attribute')?.text ?? '') : n.text;
    if (/sched/i.test(t)) return false;
    if (n.type === 'identifier') {
      const rs = this.resolve(n.text, n);
      for (const r of rs) {
        const v = unparen(r.value);
        if (v?.type === 'call') {
          const q = this.qualName(v.childForFieldName('function'));
          if (q?.startsWith('torch.optim.') && !q.startsWith('torch.optim.lr_scheduler')) return true;
          if (q && /lr_scheduler|Scheduler/.test(q)) return false;
        }
      }
    }
    return /^(opt|optim|optimizer|optimiser)(_?\w*)?$/i.test(t) || /optimi[sz]er$/i.test(t);
  }

  private zeroGradRule(): void {
    for (const loop of this.loops) {
      const body = loop.childForFieldName('body');
      if (!body) continue;
      let backward: Node | null = null;
      let step: Node | null = null;
      let zero = false;
      for (const c of this.callsIn(body.startIndex, body.endIndex)) {
        const fn = c.childForFieldName('function');
        // a helper of this file that clears the gradients (def reset(): optimizer.zero_grad())
        if (!zero && this.clearsGradients(this.calleeName.get(c.id))) zero = true;
        if (fn?.type !== 'attribute') continue;
        const m = fn.childForFieldName('attribute')?.text;
        const obj = fn.childForFieldName('object');
        if (m === 'zero_grad' || m === 'zero_' || m === 'detach_' || m === 'clear_grad' || m === 'clear_gradients') zero = true;
        else if ((m === 'backward' || m === 'manual_backward') && !backward) backward = c;
        else if (m === 'step' && !step) {
          if (this.isOptimizer(obj) || /scaler/i.test(obj?.text ?? '')) step = c;
        }
      }
      if (!backward || !step || zero) continue;
      // Innermost loop only: an inner loop with both calls reports on its own.
      let inner = false;
      for (const l of this.loops) {
        if (l === loop || l.startIndex < body.startIndex || l.endIndex > body.endIndex) continue;
        if (
          backward.startIndex >= l.startIndex &&
          backward.endIndex <= l.endIndex &&
          step.startIndex >= l.startIndex &&
          step.endIndex <= l.endIndex
        )
          inner = true;
      }
      if (inner) continue;
      // p.grad = None / p.grad.zero_() in the loop
      const text = this.src.slice(body.startIndex, body.endIndex);
      if (/\.grad\s*=\s*None|\.grad\s*=\s*0|\.grad\.(data\.)?zero_\(/.test(text)) continue;
      this.add({
        code: 'missing-zero-grad',
        start: step.startIndex,
        end: step.endIndex,
        message:
          'This loop calls backward() and step() but never clears the gradients (optimizer.zero_grad()), so each step also applies the gradients of all earlier batches and the updates grow until training diverges.',
        related: [{ start: backward.startIndex, end: backward.endIndex, message: 'gradients accumulate here' }],
      });
    }
  }

  private readonly clearsMemo = new Map<string, boolean>();

  /** True if `name` is a function or method of this file whose body calls zero_grad(). */
  private clearsGradients(name: string | undefined): boolean {
    if (!name) return false;
    const key = name.startsWith('self.') ? name.slice(5) : name;
    const known = this.clearsMemo.get(key);
    if (known !== undefined) return known;
    let v = false;
    for (const f of this.funcByName.get(key) ?? []) {
      const body = f.childForFieldName('body');
      if (body && this.callsIn(body.startIndex, body.endIndex).some((c) => this.calleeName.get(c.id) === 'zero_grad')) v = true;
    }
    this.clearsMemo.set(key, v);
    return v;
  }

  // ---------------------------------------------------------------- validation in train mode

  private validationRule(): void {
    for (const loop of this.loops) {
      if (loop.type !== 'for_statement') continue;
      const right = loop.childForFieldName('right');
      const body = loop.childForFieldName('body');
      if (!right || !body) continue;
      const it = right.text;
      if (
        !/(^|[^a-z])(val|valid|validation|eval|dev)([^a-z]|$)|(val|valid|validation|eval|dev)_?(loader|dl|data|dataloader|set|ds|iter|batches)/i.test(
          it,
        )
      )
        continue;
      if (/train/i.test(it)) continue;
      // A loop that calls backward() or step() trains on that data: not a validation loop.
      if (
        this.callsIn(body.startIndex, body.endIndex).some((c) =>
          /^(self\.)?(backward|step|manual_backward)$/.test(this.calleeName.get(c.id) ?? ''),
        )
      )
        continue;
      let lossCall: Node | null = null;
      let modelCall: Node | null = null;
      for (const c of this.callsIn(body.startIndex, body.endIndex)) {
        // any loss: a recognised torch loss, or a callee named like one (criterion, loss_fn, F.mse_loss …)
        if (!lossCall && (LOSS_NAME.test(this.calleeName.get(c.id) ?? '') || this.lossSite(c))) lossCall = c;
        const fn = c.childForFieldName('function');
        if (!modelCall && fn && /^(self\.)?(model|net|network|classifier|encoder)\w*$/i.test(fn.text)) modelCall = c;
      }
      if (!lossCall || !modelCall) continue;
      const modelName = modelCall.childForFieldName('function')!.text;
      const evalOk = this.modeBefore(loop, 'eval');
      const gradOk = this.modeBefore(loop, 'grad');
      if (evalOk && gradOk) continue;
      const what = !evalOk && !gradOk ? 'neither model.eval() nor torch.no_grad()' : !evalOk ? 'no model.eval()' : 'no torch.no_grad()';
      const consequence = !evalOk
        ? 'dropout and batch-norm stay in training mode, which inflates the validation loss and can fake overfitting'
        : 'autograd records every batch, which wastes memory and can run out of it';
      const header = body.startIndex;
      this.add({
        code: 'validation-in-train-mode',
        start: loop.startIndex,
        end: Math.max(loop.startIndex, this.src.lastIndexOf(':', header) + 1),
        message: `Validation loop with ${what} for ${modelName}: ${consequence}.`,
        related: [{ start: lossCall.startIndex, end: lossCall.endIndex, message: 'validation loss computed here' }],
      });
    }
  }

  /** A call in [start, end) that puts the model in eval mode ('eval') or turns autograd off ('grad'). */
  private hasModeCall(start: number, end: number, kind: 'eval' | 'grad'): boolean {
    for (const c of this.callsIn(start, end)) {
      const name = this.calleeName.get(c.id)?.replace(/^self\./, '');
      if (!name) continue;
      const a = c.childForFieldName('arguments');
      const argText = a ? this.src.slice(a.startIndex + 1, a.endIndex - 1).trim() : '';
      if (kind === 'eval') {
        const isMethod = c.childForFieldName('function')?.type === 'attribute';
        if (name === 'eval' && isMethod && argText === '') return true;
        if (name === 'train' && isMethod && /^(False|mode\s*=\s*False)$/.test(argText)) return true;
        // Hugging Face from_pretrained() returns a model in eval mode.
        if (name === 'from_pretrained') return true;
      } else {
        if (name === 'no_grad' || name === 'inference_mode') return true;
        if (name === 'set_grad_enabled' && /^False\b/.test(argText)) return true;
      }
    }
    return false;
  }

  /** Eval mode / no autograd is set in the loop, before it in its function (or module), by a decorator,
   * or before every call of its function in this file. */
  private modeBefore(loop: Node, kind: 'eval' | 'grad', depth = 0): boolean {
    const inBody = loop.childForFieldName('body');
    if (inBody && this.hasModeCall(inBody.startIndex, inBody.endIndex, kind)) return true;
    const scope = this.scopeOf(loop);
    const from = scope ? scope.startIndex : 0;
    if (this.hasModeCall(from, loop.startIndex, kind)) return true;
    if (kind === 'grad' && this.insideNoGrad(loop)) return true;
    if (!scope || depth > 3) return false;
    const dec = scope.parent?.type === 'decorated_definition' ? scope.parent : null;
    if (dec && this.hasModeCall(dec.startIndex, scope.startIndex, kind)) return true;
    const name = scope.childForFieldName('name')?.text;
    if (!name) return false;
    const sites = this.callsByName.get(name) ?? [];
    if (sites.length === 0) return false;
    return sites.every((c) => this.modeBefore(c, kind, depth + 1));
  }

  private insideNoGrad(n: Node): boolean {
    let p = n.parent;
    while (p) {
      if (p.type === 'with_statement') {
        const t = this.src.slice(p.startIndex, p.childForFieldName('body')?.startIndex ?? p.endIndex);
        if (/no_grad|inference_mode|set_grad_enabled\(\s*False/.test(t)) return true;
      }
      if (p.type === 'function_definition') return false;
      p = p.parent;
    }
    return false;
  }

  // ---------------------------------------------------------------- keras

  private kerasRules(): void {
    if (![...this.aliases.values()].some((a) => /^(tensorflow|keras|tf_keras)/.test(a))) return;
    for (const call of this.callsByName.get('compile') ?? []) {
      const fn = call.childForFieldName('function');
      if (fn?.type !== 'attribute') continue;
      const modelExpr = fn.childForFieldName('object');
      const { positional, keywords } = args(call);
      const lossNode = keywords.get('loss') ?? positional[1] ?? null;
      if (!lossNode) continue;
      const loss = this.kerasLoss(lossNode, 0);
      if (!loss) continue;
      const last = this.kerasLastLayer(modelExpr, 0);
      this.kerasCheck(loss, last);
      // labels given to fit()
      const modelText = modelExpr?.text ?? '';
      for (const fit of this.callsByName.get('fit') ?? []) {
        if (fit.startIndex < call.startIndex || !this.src.startsWith(`${modelText}.fit`, fit.startIndex)) continue;
        const ff = fit.childForFieldName('function');
        if (ff?.type !== 'attribute' || ff.childForFieldName('attribute')?.text !== 'fit') continue;
        if (ff.childForFieldName('object')?.text !== modelExpr?.text || fit.startIndex < call.startIndex) continue;
        const fa = args(fit);
        const y = fa.keywords.get('y') ?? fa.positional[1] ?? null;
        const labels = this.kerasLabels(y, 0);
        if (!labels) continue;
        if ((loss.family === 'sparse' && labels.kind === 'onehot') || (loss.family === 'categorical' && labels.kind === 'int')) {
          const other = loss.family === 'sparse' ? 'categorical' : 'sparse';
          const swap = this.kerasRename(loss, other);
          this.add({
            code: 'sparse-vs-categorical',
            start: loss.node.startIndex,
            end: loss.node.endIndex,
            message:
              loss.family === 'sparse'
                ? 'Sparse categorical cross-entropy expects integer class indices, but these labels are one-hot (to_categorical): training fails with a shape error or learns from the wrong target.'
                : 'Categorical cross-entropy expects one-hot labels, but these labels are integer class indices: training fails with a shape error or silently compares against the wrong target.',
            related: [
              {
                start: labels.origin.startIndex,
                end: labels.origin.endIndex,
                message: labels.kind === 'onehot' ? 'labels one-hot encoded here' : 'integer labels come from here',
              },
            ],
            fix: swap,
          });
        }
      }
    }
    // custom loops: loss_fn(y_true, model(x)) with a Keras loss object (callee must be an assigned name)
    const assigned = new Set<string>();
    for (const m of this.assigns.values()) for (const k of m.keys()) assigned.add(k);
    for (const call of this.calls) {
      const name = this.calleeName.get(call.id);
      if (name === undefined || !assigned.has(name)) continue;
      const fn = call.childForFieldName('function');
      if (!fn || fn.type !== 'identifier') continue;
      const loss = this.kerasLoss(fn, 0, true);
      if (!loss) continue;
      const pred = unparen(args(call).positional[1] ?? null);
      let modelExpr: Node | null = null;
      if (pred?.type === 'call') modelExpr = pred.childForFieldName('function');
      else if (pred?.type === 'identifier') {
        const r = this.resolve(pred.text, pred);
        const v = r.length === 1 && !r[0]!.path.length ? unparen(r[0]!.value) : null;
        if (v?.type === 'call') modelExpr = v.childForFieldName('function');
      }
      if (!modelExpr) continue;
      this.kerasCheck(loss, this.kerasLastLayer(modelExpr, 0));
    }
  }

  private kerasCheck(loss: KerasLoss, last: KerasLast | null): void {
    if (!last) return;
    if (loss.fromLogits === true && (last.act === 'softmax' || (last.act === 'sigmoid' && loss.family === 'binary'))) {
      const fl = loss.fromLogitsNode!;
      this.add({
        code: 'softmax-with-from-logits',
        start: fl.parent?.type === 'keyword_argument' ? fl.parent.startIndex : fl.startIndex,
        end: fl.endIndex,
        message: `The model already ends in a ${last.act}, but the loss is created with from_logits=True: it applies a second ${last.act} to probabilities, so gradients shrink and training stalls.`,
        related: [{ start: last.node.startIndex, end: last.node.endIndex, message: `${last.act} applied here` }],
        fix: {
          title: 'Set from_logits=False (the model outputs probabilities)',
          edits: [{ start: fl.startIndex, end: fl.endIndex, text: 'False' }],
        },
      });
    } else if (loss.fromLogits === false && last.act === 'linear') {
      this.add({
        code: 'logits-without-from-logits',
        start: loss.node.startIndex,
        end: loss.node.endIndex,
        message: `The model's last layer has no activation (logits), but the loss assumes probabilities (from_logits=False): Keras clips the logits into [ε, 1−ε], so the loss is wrong and gradients vanish.`,
        related: [{ start: last.node.startIndex, end: last.node.endIndex, message: 'last layer has no activation' }],
        fix: this.addFromLogits(loss),
      });
    }
  }

  private kerasPrefix(): string {
    for (const [alias, full] of this.aliases) {
      if (full === 'tensorflow') return `${alias}.keras`;
    }
    for (const [alias, full] of this.aliases) {
      if (full === 'keras' || full === 'tensorflow.keras' || full === 'tf_keras') return alias;
    }
    for (const [alias, full] of this.aliases)
      if (full === 'keras.losses' || full === 'tensorflow.keras.losses') return alias.replace(/\.?losses$/, '') || '';
    return 'keras';
  }

  private addFromLogits(loss: KerasLoss): LintFix | undefined {
    const cls: Record<string, string> = {
      sparse: 'SparseCategoricalCrossentropy',
      categorical: 'CategoricalCrossentropy',
      binary: 'BinaryCrossentropy',
    };
    if (loss.node.type === 'string') {
      return {
        title: 'Use a loss with from_logits=True',
        edits: [
          {
            start: loss.node.startIndex,
            end: loss.node.endIndex,
            text: `${this.kerasPrefix()}.losses.${cls[loss.family]}(from_logits=True)`,
          },
        ],
      };
    }
    if (loss.node.type !== 'call') return undefined;
    if (loss.fromLogitsNode)
      return {
        title: 'Set from_logits=True',
        edits: [{ start: loss.fromLogitsNode.startIndex, end: loss.fromLogitsNode.endIndex, text: 'True' }],
      };
    const list = loss.node.childForFieldName('arguments');
    if (!list) return undefined;
    const hasArgs = list.namedChildren.some((c) => c && c.type !== 'comment');
    const close = list.endIndex - 1;
    return {
      title: 'Add from_logits=True',
      edits: [{ start: close, end: close, text: hasArgs ? ', from_logits=True' : 'from_logits=True' }],
    };
  }

  private kerasRename(loss: KerasLoss, to: 'sparse' | 'categorical'): LintFix | undefined {
    if (loss.node.type === 'string') {
      const s = stringValue(loss.node);
      if (!s) return undefined;
      const q = loss.node.text[0];
      const name = to === 'sparse' ? 'sparse_categorical_crossentropy' : 'categorical_crossentropy';
      return { title: `Use '${name}'`, edits: [{ start: loss.node.startIndex, end: loss.node.endIndex, text: `${q}${name}${q}` }] };
    }
    return undefined;
  }

  private kerasLoss(expr: Node | null, depth: number, objectsOnly = false): KerasLoss | null {
    const n = unparen(expr);
    if (!n || depth > DEPTH) return null;
    if (n.type === 'string' && !objectsOnly) {
      const s = stringValue(n);
      const fam =
        s === 'sparse_categorical_crossentropy'
          ? 'sparse'
          : s === 'categorical_crossentropy'
            ? 'categorical'
            : s === 'binary_crossentropy'
              ? 'binary'
              : null;
      return fam ? { family: fam, fromLogits: false, node: n } : null;
    }
    if (n.type === 'call') {
      const q = this.qualName(n.childForFieldName('function'));
      if (!q || !q.startsWith('keras.')) return null;
      const last = q.slice(q.lastIndexOf('.') + 1);
      const fam =
        last === 'SparseCategoricalCrossentropy'
          ? 'sparse'
          : last === 'CategoricalCrossentropy'
            ? 'categorical'
            : last === 'BinaryCrossentropy'
              ? 'binary'
              : null;
      if (!fam) return null;
      const fl = args(n).keywords.get('from_logits');
      if (fl && fl.type !== 'true' && fl.type !== 'false') return null;
      return { family: fam, fromLogits: fl?.type === 'true', node: n, fromLogitsNode: fl ?? undefined };
    }
    if (n.type === 'identifier') {
      const rs = this.resolve(n.text, n);
      if (rs.length !== 1 || rs[0]!.path.length) return null;
      return this.kerasLoss(rs[0]!.value, depth + 1, objectsOnly);
    }
    return null;
  }

  private kerasLayerAct(layer: Node | null): KerasLast | null {
    const n = unparen(layer);
    if (!n || n.type !== 'call') return null;
    const fn = n.childForFieldName('function');
    // functional API: Dense(10)(x) — the layer is the inner call
    if (fn?.type === 'call') return this.kerasLayerAct(fn);
    const q = this.qualName(fn);
    if (!q || !q.startsWith('keras.')) return null;
    const last = q.slice(q.lastIndexOf('.') + 1);
    const { positional, keywords } = args(n);
    const actName = (v: Node | null | undefined): KerasAct => {
      if (!v) return 'linear';
      if (v.type === 'none') return 'linear';
      const s = stringValue(v) ?? this.qualName(v)?.split('.').pop();
      if (s === undefined) return 'other';
      if (s === 'linear' || s === 'None') return 'linear';
      if (s === 'softmax') return 'softmax';
      if (s === 'sigmoid') return 'sigmoid';
      return 'other';
    };
    if (last === 'Dense') return { act: actName(keywords.get('activation') ?? positional[1]), node: n };
    if (last === 'Softmax') return { act: 'softmax', node: n };
    if (last === 'Activation') return { act: actName(keywords.get('activation') ?? positional[0]), node: n };
    return { act: 'other', node: n };
  }

  private kerasLastLayer(modelExpr: Node | null, depth: number): KerasLast | null {
    const n = unparen(modelExpr);
    if (!n || depth > DEPTH) return null;
    const dotted =
      n.type === 'attribute' && n.childForFieldName('object')?.type === 'identifier' && n.childForFieldName('object')?.text !== 'self';
    if (n.type === 'identifier' || dotted) {
      // model.add(...) calls on this name, the last one before compile wins
      let lastAdd: Node | null = null;
      for (const c of this.callsByName.get('add') ?? []) {
        if (c.startIndex >= n.startIndex) break;
        // <name>.add( at the call's offset, from the source text (no tree access for other objects)
        if (!this.src.startsWith(`${n.text}.add`, c.startIndex)) continue;
        const fn = c.childForFieldName('function');
        if (fn?.type === 'attribute' && fn.childForFieldName('object')?.text === n.text && this.scopeOf(c)?.id === this.scopeOf(n)?.id)
          lastAdd = c;
      }
      const rs = this.resolve(n.text, n);
      if (rs.length !== 1 || rs[0]!.path.length) return null;
      const ctor = this.kerasLastLayer(rs[0]!.value, depth + 1);
      if (lastAdd && (!ctor || lastAdd.startIndex > (rs[0]!.value?.startIndex ?? 0))) {
        return this.kerasLayerAct(args(lastAdd).positional[0] ?? null);
      }
      return ctor;
    }
    if (n.type !== 'call') return null;
    const fn = n.childForFieldName('function');
    const q = this.qualName(fn);
    const { positional, keywords } = args(n);
    if (q && q.startsWith('keras.') && /\.Sequential$/.test(q)) {
      const list = unparen(keywords.get('layers') ?? positional[0] ?? null);
      if (!list) return { act: 'empty', node: n };
      if (list.type !== 'list') return null;
      const els = list.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment');
      const last = els[els.length - 1];
      return last ? this.kerasLayerAct(last) : null;
    }
    if (q && q.startsWith('keras.') && /\.Model$/.test(q)) {
      const out = keywords.get('outputs') ?? positional[1] ?? null;
      return this.kerasTensorLayer(out, depth + 1);
    }
    if (fn?.type === 'identifier') {
      const f = this.funcByName.get(fn.text);
      if (f?.length === 1) {
        const rets = this.returnsOf(f[0]!);
        if (rets.length === 1) return this.kerasLastLayer(rets[0]!, depth + 1);
      }
    }
    return null;
  }

  private kerasTensorLayer(t: Node | null, depth: number): KerasLast | null {
    const n = unparen(t);
    if (!n || depth > DEPTH) return null;
    if (n.type === 'identifier') {
      const rs = this.resolve(n.text, n);
      if (rs.length !== 1 || rs[0]!.path.length) return null;
      return this.kerasTensorLayer(rs[0]!.value, depth + 1);
    }
    if (n.type === 'call' && n.childForFieldName('function')?.type === 'call') return this.kerasLayerAct(n.childForFieldName('function'));
    return null;
  }

  private kerasLabels(y: Node | null, depth: number): { kind: 'int' | 'onehot'; origin: Node } | null {
    const n = unparen(y);
    if (!n || depth > DEPTH) return null;
    if (n.type === 'call') {
      const fn = n.childForFieldName('function');
      const q = this.qualName(fn);
      const last = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn?.text;
      if (last === 'to_categorical' && (!q || q.startsWith('keras.') || fn?.type === 'identifier')) return { kind: 'onehot', origin: n };
      if (fn?.type === 'attribute' && (last === 'astype' || last === 'reshape' || last === 'squeeze'))
        return this.kerasLabels(fn.childForFieldName('object'), depth + 1);
      return null;
    }
    if (n.type === 'identifier') {
      const rs = this.resolve(n.text, n);
      if (rs.length !== 1) return null;
      const r = rs[0]!;
      const v = unparen(r.value);
      if (r.path.length && v?.type === 'call') {
        const fn = v.childForFieldName('function');
        const q = this.qualName(fn) ?? '';
        if (/^keras\.datasets\.(mnist|fashion_mnist|cifar10|cifar100)\.load_data$/.test(q) && r.path.length === 2 && r.path[1] === 1)
          return { kind: 'int', origin: v };
        return null;
      }
      if (r.path.length) return null;
      return this.kerasLabels(r.value, depth + 1);
    }
    return null;
  }
}

type KerasAct = 'linear' | 'softmax' | 'sigmoid' | 'other' | 'empty';
interface KerasLast {
  readonly act: KerasAct;
  readonly node: Node;
}
interface KerasLoss {
  readonly family: 'sparse' | 'categorical' | 'binary';
  readonly fromLogits: boolean;
  readonly node: Node;
  readonly fromLogitsNode?: Node;
}
