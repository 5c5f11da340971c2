// User patterns (`losswatch.textPatterns`) run on RE2JS, a linear-time engine: a pattern from a workspace
// setting cannot hang the extension host (no catastrophic backtracking). Named groups `step`, `epoch` and one
// per metric; RE2 accepts the JavaScript `(?<name>…)` spelling as well as `(?P<name>…)`.
import { RE2JS } from 're2js';
import { nonFinite } from '../../fields';

/** Patterns longer than this, or more of them, are rejected (compile cost and memory stay bounded). */
export const MAX_PATTERN_CHARS = 2000;
export const MAX_PATTERNS = 32;
const MAX_VALUE_CHARS = 64;

export interface UserPattern {
  readonly source: string;
  readonly re: RE2JS;
  /** named groups: [name, group index] */
  readonly groups: readonly [string, number][];
}

export interface CompiledPatterns {
  patterns: UserPattern[];
  /** one `pattern: reason` per rejected pattern */
  rejected: string[];
}

export function compilePatterns(sources: readonly unknown[]): CompiledPatterns {
  const patterns: UserPattern[] = [];
  const rejected: string[] = [];
  for (const [i, src] of sources.entries()) {
    if (i >= MAX_PATTERNS) {
      rejected.push(`${sources.length - MAX_PATTERNS} pattern(s) beyond the first ${MAX_PATTERNS}: ignored`);
      break;
    }
    if (typeof src !== 'string') {
      rejected.push(`entry ${i + 1}: not a string`);
      continue;
    }
    const shown = src.length > 80 ? `${src.slice(0, 80)}…` : src;
    if (src.length > MAX_PATTERN_CHARS) {
      rejected.push(`${shown}: longer than ${MAX_PATTERN_CHARS} characters`);
      continue;
    }
    const why = unsupported(src);
    if (why !== undefined) {
      rejected.push(`${shown}: ${why}`);
      continue;
    }
    let re: RE2JS;
    try {
      re = RE2JS.compile(src);
    } catch (e) {
      rejected.push(`${shown}: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    const groups = Object.entries(re.namedGroups());
    if (groups.length === 0) {
      rejected.push(`${shown}: no named group (use (?<step>…), (?<epoch>…) and one (?<metric_name>…) per value)`);
      continue;
    }
    patterns.push({ source: src, re, groups });
  }
  return { patterns, rejected };
}

/**
 * JavaScript-only syntax RE2 cannot run in linear time, with the reason. Checked on the pattern text (a
 * setting, bounded above) by a plain character scan.
 */
function unsupported(src: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const d = src[i + 1];
      if (!inClass && d !== undefined && ((d >= '1' && d <= '9') || d === 'k'))
        return `backreference \\${d}… is not supported (patterns run on a linear-time RE2 engine)`;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(' && src[i + 1] === '?') {
      const d = src[i + 2];
      const e = src[i + 3];
      if (d === '=' || d === '!' || (d === '<' && (e === '=' || e === '!')))
        return 'lookahead/lookbehind is not supported (patterns run on a linear-time RE2 engine)';
    }
  }
  return undefined;
}

/** A group's text as a number: plain decimal/exponent spelling or nan/inf; undefined otherwise. */
export function groupNumber(raw: string): number | undefined {
  const t = raw.trim();
  if (t.length === 0 || t.length > MAX_VALUE_CHARS) return undefined;
  const nf = nonFinite(t);
  if (nf !== undefined) return nf;
  // bounded (≤ 64 chars), unambiguous: no backtracking blow-up
  return /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/.test(t) ? Number(t) : undefined;
}

export interface PatternMatch {
  step: number;
  epoch: number;
  values: [string, number][];
}

/** The first pattern matching `text` (leftmost match), or undefined. */
export function matchPatterns(patterns: readonly UserPattern[], text: string): PatternMatch | undefined {
  for (const p of patterns) {
    const m = p.re.matcher(text);
    if (!m.find()) continue;
    let step = NaN;
    let epoch = NaN;
    const values: [string, number][] = [];
    for (const [name, idx] of p.groups) {
      const raw = m.group(idx);
      if (raw === null || raw === undefined) continue;
      const v = groupNumber(raw);
      if (v === undefined) continue;
      if (name === 'step') step = v;
      else if (name === 'epoch') epoch = v;
      else values.push([name, v]);
    }
    return { step, epoch, values };
  }
  return undefined;
}
