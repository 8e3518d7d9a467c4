/**
 * One string a simple regular expression matches, for example messages: literals, escapes
 * (\d \w \s and escaped characters), classes, groups with alternation (first branch), `.`
 * and the quantifiers, each repeated its minimum (at least once for `+`). Anything else
 * (look-arounds, back-references) gives undefined; the caller checks the result anyway.
 */

interface Cursor {
  text: string;
  at: number;
}

const ESCAPES: Record<string, string> = { d: "0", w: "a", s: " ", D: "a", W: "-", S: "a" };

function atom(c: Cursor): string | undefined {
  const ch = c.text[c.at];
  if (ch === undefined) return undefined;
  if (ch === "\\") {
    const next = c.text[c.at + 1];
    if (next === undefined || /[1-9bBk]/.test(next)) return undefined;
    c.at += 2;
    return ESCAPES[next] ?? (/[nrtfv]/.test(next) ? " " : next);
  }
  if (ch === "[") {
    const end = classEnd(c.text, c.at);
    if (end < 0) return undefined;
    const body = c.text.slice(c.at + 1, end);
    c.at = end + 1;
    return classSample(body);
  }
  if (ch === "(") {
    if (c.text[c.at + 1] === "?") {
      if (c.text[c.at + 2] !== ":") return undefined;
      c.at += 3;
    } else c.at += 1;
    const inner = alternation(c);
    if (inner === undefined || c.text[c.at] !== ")") return undefined;
    c.at += 1;
    return inner;
  }
  if (ch === ".") {
    c.at += 1;
    return "a";
  }
  if ("*+?{})|".includes(ch)) return undefined;
  c.at += 1;
  return ch;
}

function classEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === "]" && i > start + 1) return i;
  }
  return -1;
}

/** The first character a class admits (a negated class: the first printable one it does not exclude). */
function classSample(body: string): string | undefined {
  if (body.startsWith("^")) {
    for (const candidate of "aA0-_ ") if (!body.includes(candidate)) return candidate;
    return undefined;
  }
  if (body[0] === "\\") return ESCAPES[body[1] ?? ""] ?? body[1];
  return body[0];
}

function quantified(c: Cursor, sample: string): string | undefined {
  const q = c.text[c.at];
  if (q === "?" || q === "*") {
    c.at += 1;
    skipLazy(c);
    return "";
  }
  if (q === "+") {
    c.at += 1;
    skipLazy(c);
    return sample;
  }
  if (q === "{") {
    const match = /^\{(\d+)(,\d*)?\}/.exec(c.text.slice(c.at));
    if (!match) return undefined;
    c.at += match[0].length;
    skipLazy(c);
    return sample.repeat(Number(match[1]));
  }
  return sample;
}

function skipLazy(c: Cursor): void {
  if (c.text[c.at] === "?") c.at += 1;
}

function sequence(c: Cursor): string | undefined {
  let out = "";
  while (c.at < c.text.length && c.text[c.at] !== "|" && c.text[c.at] !== ")") {
    const ch = c.text[c.at];
    if (ch === "^" || ch === "$") {
      c.at += 1;
      continue;
    }
    const sample = atom(c);
    if (sample === undefined) return undefined;
    const repeated = quantified(c, sample);
    if (repeated === undefined) return undefined;
    out += repeated;
  }
  return out;
}

function alternation(c: Cursor): string | undefined {
  const first = sequence(c);
  if (first === undefined) return undefined;
  // Later branches are read past, not used.
  while (c.text[c.at] === "|") {
    c.at += 1;
    if (sequence(c) === undefined) return undefined;
  }
  return first;
}

export function patternSample(pattern: string): string | undefined {
  const cursor = { text: pattern, at: 0 };
  const sample = alternation(cursor);
  return cursor.at === pattern.length ? sample : undefined;
}
