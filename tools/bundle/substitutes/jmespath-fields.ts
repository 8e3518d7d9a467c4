/**
 * Stands in for `@aws-lambda-powertools/jmespath` in function bundles (tools/bundle/bundle.ts):
 * Powertools idempotency imports the whole JMESPath engine (lexer, parser, interpreter and
 * its function library: 22.7 KB minified) to read `eventKeyJmesPath`, and the triggers'
 * guard (functions/idempotency/) names a plain field, `key`. This module answers field paths
 * (`key`, `a.b.c`) exactly as JMESPath does — a field of anything but an object is null —
 * and refuses any other expression, naming it, instead of reading it some other way.
 */

const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** What JMESPath's `search(expression, data)` returns for a field path; throws for any other expression. */
export function search(expression: string, data: unknown, _options?: unknown): unknown {
  if (typeof expression !== "string" || !FIELD_PATH.test(expression))
    throw new Error(
      `function bundle: JMESPath expression ${JSON.stringify(expression)} is not a field path (a.b.c); ` +
        "only field paths are bundled (tools/bundle/substitutes/jmespath-fields.ts)",
    );
  let value: unknown = data;
  for (const field of expression.split(".")) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
    value = Object.hasOwn(value, field) ? (value as Record<string, unknown>)[field] : undefined;
  }
  return value === undefined ? null : value;
}

/** Powertools' custom JMESPath functions (its idempotency config constructs them): none here. */
export class PowertoolsFunctions {}
