// The run filter of the dashboard's run selector (shared by the webview and the host, which applies it to
// the data it sends): a case-insensitive substring, or a regular expression like TensorBoard's run filter.
// User regexes run on RE2JS (linear-time automata, no backtracking): a pattern such as (a+)+b cannot hang
// the webview or the extension host, whatever the run names. Patterns are capped at MAX_FILTER characters.
import { RE2JS } from 're2js';

export const MAX_FILTER = 500;

export type RunMatcher = { readonly ok: true; test(text: string): boolean } | { readonly ok: false; readonly error: string };

const ALL: RunMatcher = { ok: true, test: () => true };

/** Compiles the filter box's text; an invalid regex is reported (and matches nothing). */
export function compileRunFilter(text: string, regex: boolean): RunMatcher {
  if (text.length > MAX_FILTER) return { ok: false, error: `filter longer than ${MAX_FILTER} characters` };
  if (text === '') return ALL;
  if (!regex) {
    const needle = text.toLowerCase();
    return { ok: true, test: (s) => s.toLowerCase().includes(needle) };
  }
  try {
    const re = RE2JS.compile(text, RE2JS.CASE_INSENSITIVE);
    return { ok: true, test: (s) => re.test(s) };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

/** The text a run is matched on: its folder group and short name, `sweep/lr_0.001_seed3`. */
export function filterText(run: { readonly name: string; readonly group: string }): string {
  return run.group ? `${run.group}/${run.name}` : run.name;
}
