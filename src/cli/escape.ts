// Escaping of untrusted text (file names, log text, metric names) for terminal and CI-log output.
// A control character could move the cursor, retitle the terminal, hide text (ESC, BEL, C1 CSI), start a new
// line that a problem matcher or a CI runner reads as a command (`::warning::`), or reorder what is shown
// (bidi overrides, Trojan Source). They are shown as visible escapes instead.

/** C0 (including TAB, CR, LF), DEL, C1, line/paragraph separators, bidi embeddings/overrides/isolates and marks. */
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function hex(c: string): string {
  const n = c.charCodeAt(0);
  return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
}

/** Text safe for one line of terminal output: unsafe characters become `\xNN` / `\uNNNN`. */
export function escapeText(s: string): string {
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(s) ? s.replace(UNSAFE, hex) : s;
}

/** What JSON.stringify leaves raw inside strings (it escapes C0 itself; C0 outside strings is layout). */
const UNSAFE_JSON = /[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** JSON text with DEL, C1, U+2028/2029 and bidi characters as \u escapes (same JSON value). */
export function escapeJson(json: string): string {
  return json.replace(UNSAFE_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** GitHub workflow-command message data: `%`, CR, LF per GitHub's rules, after escapeText. */
export function ghData(s: string): string {
  return escapeText(s).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** GitHub workflow-command property value (`file=`, `title=`): also `:` and `,`. */
export function ghProp(s: string): string {
  return ghData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
