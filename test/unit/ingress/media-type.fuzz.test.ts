/**
 * Content-Type as RFC 9110 writes it: parameters are `name=token` or `name="quoted string"`,
 * and a quoted value may hold `;`, `=`, `"` (escaped) and the word charset without being a
 * parameter of its own. The ingress reads only the charset parameter and the essence; the
 * quoting below is built here from the RFC's grammar, not from the parser under test.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromAmqpMessage } from "../../../shared/amqp/index.ts";
import { requestFormat } from "../../../shared/ingress/content.ts";
import { ProblemError } from "../../../shared/ingress/problem.ts";

function answer(contentType: string): { mode: string } | { status: number; detail: string } {
  try {
    return { mode: requestFormat({ "content-type": contentType }).mode };
  } catch (error) {
    if (error instanceof ProblemError)
      return { status: error.problem.status, detail: error.problem.detail };
    throw error;
  }
}

/** RFC 9110 §5.6.4 quoted-string: `"` and `\` escaped with a backslash. */
function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9a-z-]{1,12}$/);
/** qdtext: visible ASCII and spaces, here with ; = " \ and "charset=" mixed in on purpose. */
const quotable = fc
  .array(
    fc.oneof(
      fc.constantFrom(";", "=", '"', "\\", " ", "charset=latin1", "charset=", ";charset=utf-16"),
      fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }),
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(""));

describe("Content-Type parameters, quoted as RFC 9110 allows", () => {
  it('`application/json; foo="a;charset=latin1"` is JSON without a charset: accepted', () => {
    expect(answer('application/json; foo="a;charset=latin1"')).toEqual({ mode: "json" });
    expect(answer('application/cloudevents+json; x="; charset=latin1"')).toEqual({
      mode: "structured",
    });
  });

  it("a real charset other than UTF-8 is a 415 that names it, quoted or not", () => {
    for (const type of ["application/json; charset=latin1", 'application/json; charset="latin1"'])
      expect(answer(type)).toEqual({
        status: 415,
        detail: "charset 'latin1': only UTF-8 is accepted",
      });
  });

  it("a value that is not a media type is a 415 saying what is wrong with it", () => {
    const missingSubtype = answer("application/");
    expect(missingSubtype).toMatchObject({ status: 415 });
    expect((missingSubtype as { detail: string }).detail).toMatch(/not a media type: .*subtype/);
    const missingType = answer("/json");
    expect((missingType as { detail: string }).detail).toMatch(/not a media type: .*type/);
  });

  it("fuzz: any other parameter, quoted with anything inside, leaves the mode and charset alone", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          ["application/json", "json"],
          ["application/vnd.shop.order+json", "json"],
          ["application/cloudevents+json", "structured"],
          ["application/cloudevents-batch+json", "batch"],
        ),
        fc.array(
          fc.tuple(
            token.filter((n) => n !== "charset"),
            quotable,
          ),
          { maxLength: 3 },
        ),
        fc.option(fc.constantFrom("utf-8", "UTF-8", '"utf-8"', "utf8")),
        ([essence, mode], params, charset) => {
          const parts = [essence, ...params.map(([name, value]) => `${name}=${quoted(value)}`)];
          if (charset !== null) parts.push(`charset=${charset}`);
          expect(answer(parts.join("; "))).toEqual({ mode });
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it("fuzz: a charset parameter is honoured wherever it stands, quoted or bare", () => {
    fc.assert(
      fc.property(
        fc.oneof(token, fc.constantFrom("latin1", "utf-16", "iso-8859-1", "utf-8", "utf8")),
        fc.boolean(),
        fc.array(
          fc.tuple(
            token.filter((n) => n !== "charset"),
            quotable,
          ),
          { maxLength: 2 },
        ),
        (charset, quote, others) => {
          const value = quote ? quoted(charset) : charset;
          const params = [...others.map(([n, v]) => `${n}=${quoted(v)}`), `charset=${value}`];
          const result = answer(`application/json; ${params.join("; ")}`);
          if (["utf-8", "utf8"].includes(charset.toLowerCase()))
            expect(result).toEqual({ mode: "json" });
          else
            expect(result).toEqual({
              status: 415,
              detail: `charset '${charset.toLowerCase()}': only UTF-8 is accepted`,
            });
          expect(TOKEN.test(charset)).toBe(true);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it("reading a message: a quoted `;` in the content type does not hide a structured CloudEvent", () => {
    const event = { specversion: "1.0", id: "e-1", source: "/s", type: "t", data: { n: 1 } };
    const read = fromAmqpMessage({
      contentType: 'application/cloudevents+json; note="a;b"',
      body: new TextEncoder().encode(JSON.stringify(event)),
    });
    expect(read).toEqual(event);
  });
});
