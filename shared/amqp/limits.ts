/**
 * Bounds of every time limit the client takes, as zod schemas with errors that say what the
 * bound is and why. Node's setTimeout holds at most 2^31 - 1 ms (~24.8 days): a longer delay
 * fires after 1 ms, so an unbounded deadline would turn into a busy loop.
 */
import * as z from "zod/mini";
import { ConfigError } from "./errors.ts";
import { englishMessages, issueLines } from "./schema-issues.ts";

/** The longest delay setTimeout keeps (2^31 - 1 ms, ~24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;

const TOO_LONG = `must be at most ${MAX_TIMER_MS} ms (~24.8 days, the longest timer Node can set)`;

/** A time limit in ms: positive, or ≥ 0 with `allowZero`, at most MAX_TIMER_MS. */
export function timeLimitMs(options: { allowZero?: boolean; max?: number; why?: string } = {}) {
  const max = options.max ?? MAX_TIMER_MS;
  return z
    .number()
    .check(
      z.maximum(max, options.why ?? TOO_LONG),
      options.allowZero ? z.minimum(0, "must not be negative") : z.positive("must be positive"),
    );
}

/** A grace period in ms (stop(), close()): ≥ 0, at most the longest timer. */
export const graceMsSchema = z.lazy(() => timeLimitMs({ allowZero: true }));

/** What each per-call schema makes of no options at all, parsed once (the hot path's usual case). */
const noOptions = new WeakMap<z.ZodMiniType, unknown>();

/**
 * Parses per-call options; a ConfigError naming each bad field (`what`: "publish options").
 * No options (undefined) parse the same every time: that result is kept, frozen, per schema.
 */
export function parseOptions<S extends z.ZodMiniType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  if (value === undefined || value === null) {
    let parsed = noOptions.get(schema);
    if (parsed === undefined) {
      parsed = Object.freeze(parseOptionsOnce(schema, {}, what));
      noOptions.set(schema, parsed);
    }
    return parsed as z.output<S>;
  }
  return parseOptionsOnce(schema, value, what);
}

function parseOptionsOnce<S extends z.ZodMiniType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(value, englishMessages);
  if (result.success) return result.data;
  throw new ConfigError(issueLines(result.error, "(options)"), what);
}
