/**
 * Text from outside (payload key names, error messages, caller input) made safe for one log
 * line or one dead-letter reason: control characters, Unicode line separators and bidi
 * controls are escaped, so no input can start a forged log line or hide text.
 */

// C0 and C1 controls, DEL, U+2028/2029 (line/paragraph separators), bidi embeddings,
// overrides and isolates (U+202A–202E, U+2066–2069), and the byte-order mark.
const UNSAFE =
  "[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069\\ufeff]";
const UNSAFE_ALL = new RegExp(UNSAFE, "g");

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** `text` with every unsafe character as `\n`, `\r`, `\t` or `\uXXXX`; the rest untouched. */
export function escapeControlCharacters(text: string): string {
  return text.replace(
    UNSAFE_ALL,
    (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
