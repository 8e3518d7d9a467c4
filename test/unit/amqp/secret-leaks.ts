/**
 * Helpers for the secret fuzz tests: secrets of every character class, everything an error
 * or value prints, and the leak oracle. The oracle runs the same code a second time with a
 * look-alike secret (each letter, digit and non-ASCII character shifted to a neighbour of
 * its own class, punctuation, spaces and control characters kept, so both runs take the same
 * path): a piece of the secret (3 characters, or the whole of a shorter one) that shows up in
 * the first run's output but not in the second's has leaked.
 */
import { inspect } from "node:util";
import fc from "fast-check";

const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));

/** Secrets from every class: printable ASCII (URL delimiters included), any code point, mixes. */
export const secretArbitrary: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.constantFrom(...PRINTABLE), minLength: 1, maxLength: 40 }),
  fc.string({ unit: fc.constantFrom("@", ":", "/", "?", "#", "%", " ", "a", "1"), minLength: 1 }),
  fc.string({ unit: "binary", minLength: 1, maxLength: 40 }),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }),
  fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 40 }),
);

/**
 * A stack without its frames: they hold code locations and function names, never a value,
 * and differ between two runs made from different lines (`…test.ts:35:18)` against `:35:40)`),
 * which made short secrets such as "8)" or "rty" (in `AsyncProperty`) look leaked.
 */
function withoutFrames(text: string | undefined): string {
  return (text ?? "").replace(/\n\s+at .*/g, "");
}

/** Every way an error or a value gets printed, as one text. */
export function printed(value: unknown): string {
  if (value instanceof Error) {
    return [
      value.message,
      String(value),
      JSON.stringify(value),
      withoutFrames(inspect(value, { depth: 5 })),
      withoutFrames(value.stack),
    ].join("\n");
  }
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return [text, inspect(value, { depth: 5 })].join("\n");
}

const RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x30, 0x39], // 0-9
  [0x41, 0x46], // A-F (hex digits stay hex digits: percent-escapes keep their validity)
  [0x47, 0x5a],
  [0x61, 0x66],
  [0x67, 0x7a],
];

/** The secret's look-alike: same structure (punctuation, spaces, controls), other characters. */
export function lookAlike(secret: string): string {
  let out = "";
  for (const char of secret) {
    const code = char.codePointAt(0) ?? 0;
    const range = RANGES.find(([from, to]) => code >= from && code <= to);
    if (range) out += String.fromCodePoint(code === range[1] ? range[0] : code + 1);
    else if (code >= 0xa0) out += String.fromCodePoint(code === 0x10ffff ? 0xa0 : code + 1);
    else out += char;
  }
  return out;
}

/** encodeURIComponent, or undefined for a string with a lone surrogate (it throws then). */
export function encodeOrUndefined(value: string): string | undefined {
  try {
    return encodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** Pieces of `secret` in `output` that the look-alike run's `reference` output lacks. */
export function leakedPieces(secret: string, output: string, reference: string): string[] {
  const chars = [...secret];
  const size = Math.min(3, chars.length);
  const leaked: string[] = [];
  for (let i = 0; i + size <= chars.length; i++) {
    const piece = chars.slice(i, i + size).join("");
    if (output.includes(piece) && !reference.includes(piece)) leaked.push(piece);
  }
  const encoded = encodeOrUndefined(secret);
  if (encoded !== undefined && encoded !== secret && output.includes(encoded)) {
    if (!reference.includes(encoded)) leaked.push(encoded);
  }
  return leaked;
}

/** What `run` printed: its result, or the error it threw. */
export function outcome(run: () => unknown): string {
  try {
    return printed(run());
  } catch (error) {
    return printed(error);
  }
}
