import { isDeepStrictEqual } from "node:util";
import type { ChannelRegistry, RegisteredChannel } from "./model.ts";
import { addressKey } from "./prefix.ts";

export type BreakingChangeKind =
  | "channel-removed"
  | "distribution-changed"
  | "delivery-changed"
  | "max-message-size-lowered"
  | "schema-added"
  | "property-removed"
  | "property-required"
  | "type-narrowed"
  | "enum-value-removed"
  | "enum-added"
  | "const-changed"
  | "additional-properties-closed"
  | "limit-narrowed"
  | "pattern-changed"
  | "ref-changed"
  | "combinator-changed";

export interface BreakingChange {
  kind: BreakingChangeKind;
  /** JSON pointer into the new payload schema ("" for the whole schema or the channel itself). */
  pointer: string;
  message: string;
}

export interface ChannelCompatibility {
  address: string;
  owner: string;
  previousVersion: number;
  /** Undefined when the channel was removed. */
  nextVersion?: number;
  versionRaised: boolean;
  /** A breaking change is allowed when the channel's version was raised with it. */
  allowed: boolean;
  changes: BreakingChange[];
}

type Schema = Record<string, unknown>;

function isSchema(value: unknown): value is Schema {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function child(pointer: string, ...segments: string[]): string {
  return pointer + segments.map((s) => `/${s.replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}

function where(pointer: string): string {
  return pointer === "" ? "the payload" : pointer;
}

function typesOf(schema: Schema): Set<string> | undefined {
  const type = schema.type;
  if (typeof type === "string") return new Set([type]);
  if (Array.isArray(type)) return new Set(type.map(String));
  return undefined;
}

/** Types the old schema accepted that the new one does not ("integer" fits inside "number"). */
function lostTypes(previous: Set<string> | undefined, next: Set<string> | undefined): string[] {
  if (next === undefined) return [];
  const accepted = previous ?? new Set(["null", "boolean", "object", "array", "number", "string"]);
  return [...accepted].filter((t) => !next.has(t) && !(t === "integer" && next.has("number")));
}

const UPPER_LIMITS = ["maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"];
const LOWER_LIMITS = ["minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"];

function compareLimits(
  previous: Schema,
  next: Schema,
  pointer: string,
  out: BreakingChange[],
): void {
  for (const keyword of [...UPPER_LIMITS, ...LOWER_LIMITS]) {
    const before = previous[keyword];
    const after = next[keyword];
    if (typeof after !== "number") continue;
    const upper = UPPER_LIMITS.includes(keyword);
    const narrowed = typeof before !== "number" || (upper ? after < before : after > before);
    if (!narrowed) continue;
    out.push({
      kind: "limit-narrowed",
      pointer: child(pointer, keyword),
      message:
        typeof before === "number"
          ? `${keyword} of ${where(pointer)} ${upper ? "lowered" : "raised"} from ${before} to ${after}`
          : `${keyword} ${after} added to ${where(pointer)}`,
    });
  }
}

function compareEnums(
  previous: Schema,
  next: Schema,
  pointer: string,
  out: BreakingChange[],
): void {
  if (Array.isArray(next.enum)) {
    if (!Array.isArray(previous.enum)) {
      out.push({
        kind: "enum-added",
        pointer: child(pointer, "enum"),
        message: `${where(pointer)} is now limited to the values ${JSON.stringify(next.enum)}`,
      });
    } else {
      const nextValues = next.enum;
      for (const value of previous.enum) {
        if (nextValues.some((v) => isDeepStrictEqual(v, value))) continue;
        out.push({
          kind: "enum-value-removed",
          pointer: child(pointer, "enum"),
          message: `enum value ${JSON.stringify(value)} of ${where(pointer)} was removed`,
        });
      }
    }
  }
  if ("const" in next && !("const" in previous && isDeepStrictEqual(previous.const, next.const))) {
    out.push({
      kind: "const-changed",
      pointer: child(pointer, "const"),
      message: `${where(pointer)} must now be exactly ${JSON.stringify(next.const)}`,
    });
  }
}

function compareObjects(
  previous: Schema,
  next: Schema,
  pointer: string,
  out: BreakingChange[],
): void {
  const before = isSchema(previous.properties) ? previous.properties : {};
  const after = isSchema(next.properties) ? next.properties : {};
  for (const name of Object.keys(before)) {
    if (!(name in after)) {
      out.push({
        kind: "property-removed",
        pointer: child(pointer, "properties", name),
        message: `property '${name}' of ${where(pointer)} was removed`,
      });
      continue;
    }
    compareSchemas(before[name], after[name], child(pointer, "properties", name), out);
  }
  const wasRequired = new Set(
    Array.isArray(previous.required) ? previous.required.map(String) : [],
  );
  for (const name of Array.isArray(next.required) ? next.required.map(String) : []) {
    if (wasRequired.has(name)) continue;
    out.push({
      kind: "property-required",
      pointer: child(pointer, "required"),
      message: `property '${name}' of ${where(pointer)} is now required`,
    });
  }
  for (const keyword of ["additionalProperties", "unevaluatedProperties"]) {
    if (next[keyword] === false && previous[keyword] !== false) {
      out.push({
        kind: "additional-properties-closed",
        pointer: child(pointer, keyword),
        message: `${where(pointer)} no longer accepts properties it does not list (${keyword}: false)`,
      });
    }
  }
}

/**
 * Compares one payload schema with its successor, appending the changes that could reject a
 * message the old schema accepted (or drop data a consumer relied on). $ref targets and
 * combinators (allOf/anyOf/oneOf/not) are opaque: any change to them counts as breaking.
 */
function compareSchemas(
  previous: unknown,
  next: unknown,
  pointer: string,
  out: BreakingChange[],
): void {
  if (!isSchema(previous) || !isSchema(next)) {
    if (next === false && previous !== false) {
      out.push({
        kind: "type-narrowed",
        pointer,
        message: `${where(pointer)} now accepts nothing (false)`,
      });
    }
    return;
  }
  const lost = lostTypes(typesOf(previous), typesOf(next));
  if (lost.length > 0) {
    out.push({
      kind: "type-narrowed",
      pointer: child(pointer, "type"),
      message: `type of ${where(pointer)} narrowed from ${JSON.stringify(previous.type ?? "any")} to ${JSON.stringify(next.type)}`,
    });
  }
  compareEnums(previous, next, pointer, out);
  compareLimits(previous, next, pointer, out);
  if (typeof next.pattern === "string" && next.pattern !== previous.pattern) {
    out.push({
      kind: "pattern-changed",
      pointer: child(pointer, "pattern"),
      message: `pattern of ${where(pointer)} ${previous.pattern === undefined ? "added" : "changed"}: ${next.pattern}`,
    });
  }
  if ("$ref" in next && previous.$ref !== next.$ref) {
    out.push({
      kind: "ref-changed",
      pointer: child(pointer, "$ref"),
      message: `${where(pointer)} now refers to ${String(next.$ref)} (references are compared by name only)`,
    });
  }
  for (const keyword of ["allOf", "anyOf", "oneOf", "not"]) {
    if (keyword in next && !isDeepStrictEqual(previous[keyword], next[keyword])) {
      out.push({
        kind: "combinator-changed",
        pointer: child(pointer, keyword),
        message: `${keyword} of ${where(pointer)} changed (combinators are compared as a whole)`,
      });
    }
  }
  compareObjects(previous, next, pointer, out);
  if (previous.items !== undefined || next.items !== undefined) {
    compareSchemas(previous.items ?? {}, next.items ?? {}, child(pointer, "items"), out);
  }
  const before = Array.isArray(previous.prefixItems) ? previous.prefixItems : [];
  const after = Array.isArray(next.prefixItems) ? next.prefixItems : [];
  for (const [index, schema] of after.entries()) {
    compareSchemas(before[index] ?? {}, schema, child(pointer, "prefixItems", String(index)), out);
  }
}

function channelChanges(previous: RegisteredChannel, next: RegisteredChannel): BreakingChange[] {
  const changes: BreakingChange[] = [];
  for (const field of ["distribution", "delivery"] as const) {
    if (previous[field] === next[field]) continue;
    changes.push({
      kind: field === "distribution" ? "distribution-changed" : "delivery-changed",
      pointer: "",
      message: `${field} changed from ${previous[field]} to ${next[field]}`,
    });
  }
  if (next.maxMessageSize < previous.maxMessageSize) {
    changes.push({
      kind: "max-message-size-lowered",
      pointer: "",
      message: `maxMessageSize lowered from ${previous.maxMessageSize} to ${next.maxMessageSize} bytes`,
    });
  }
  const before = previous.payloadSchema ?? previous.schema;
  const after = next.payloadSchema ?? next.schema;
  if (after !== undefined && before === undefined) {
    changes.push({
      kind: "schema-added",
      pointer: "",
      message: "a payload schema was added; payloads were unchecked before",
    });
  } else if (after !== undefined) {
    compareSchemas(before, after, "", changes);
  }
  return changes;
}

/**
 * Lists, per channel (matched by address), the changes from `previous` to `next` that can break
 * producers or consumers. Only channels with at least one breaking change are returned; a change
 * is `allowed` when the channel's version was raised with it. Never allowed: removing a channel.
 */
export function findBreakingChanges(
  previous: ChannelRegistry,
  next: ChannelRegistry,
): ChannelCompatibility[] {
  // Addresses with the same segments are the same channel (see sameAddress); first one wins.
  const nextByAddress = new Map<string, RegisteredChannel>();
  for (const channel of next.channels) {
    const key = addressKey(channel.address);
    if (!nextByAddress.has(key)) nextByAddress.set(key, channel);
  }
  const results: ChannelCompatibility[] = [];
  for (const before of previous.channels) {
    const after = nextByAddress.get(addressKey(before.address));
    if (after === undefined) {
      results.push({
        address: before.address,
        owner: before.owner,
        previousVersion: before.version,
        versionRaised: false,
        allowed: false,
        changes: [
          {
            kind: "channel-removed",
            pointer: "",
            message: `channel '${before.address}' was removed`,
          },
        ],
      });
      continue;
    }
    const changes = channelChanges(before, after);
    if (changes.length === 0) continue;
    const versionRaised = after.version > before.version;
    results.push({
      address: before.address,
      owner: after.owner,
      previousVersion: before.version,
      nextVersion: after.version,
      versionRaised,
      allowed: versionRaised,
      changes,
    });
  }
  return results;
}
