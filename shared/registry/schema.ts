import * as z from "zod/mini";
import { ADDRESS_PATTERN, NAME_PATTERN, PRINCIPAL_PATTERN } from "./name-patterns.ts";

/**
 * The channel registry format: one YAML document per owning team.
 * Types are inferred from these schemas; the JSON Schema for editors is derived from them too.
 */

// The name patterns live in a module without zod: the ingress and triggers resolve names with
// them and must not carry zod's classic API (test/e2e/bundle-contents.test.ts).
export { ADDRESS_PATTERN, NAME_PATTERN, PRINCIPAL_PATTERN } from "./name-patterns.ts";

export const Distribution = z.enum(["balanced", "closest", "multicast"]);
export type Distribution = z.infer<typeof Distribution>;

export const Delivery = z.enum(["at-least-once", "at-most-once"]);
export type Delivery = z.infer<typeof Delivery>;

/** `schema` with a description for the generated JSON Schema (a described copy, as classic zod's). */
const described = <S extends z.ZodMiniType>(schema: S, text: string): S =>
  schema.check(z.describe(text)) as S;

const text = (pattern: RegExp) => z.string().check(z.regex(pattern));

export const MessageRouting = described(
  z.strictObject({ kind: z.literal("message") }),
  "Routed message by message through the mesh.",
);

export const BrokerRouting = described(
  z.strictObject({
    kind: z.literal("broker"),
    broker: described(text(NAME_PATTERN), "Name of a broker in the topology."),
    queue: described(
      z.optional(text(ADDRESS_PATTERN)),
      "Queue on the broker; defaults to the channel address. On RabbitMQ it is reached as /queue/<name>.",
    ),
  }),
  "Stored in a broker queue; the routers link to it (linkRoute or autoLink).",
);

export const Routing = z.discriminatedUnion("kind", [MessageRouting, BrokerRouting]);
export type Routing = z.infer<typeof Routing>;

/** A JSON Schema document; checked for validity by the validator, not by zod. */
export const JsonSchemaDocument = z.record(z.string(), z.unknown());

export const Channel = z.strictObject({
  address: described(
    text(ADDRESS_PATTERN),
    "Address prefix of the channel on the routers, e.g. sales/orders.",
  ),
  description: z.string().check(z.minLength(1)),
  version: described(
    z._default(z.int().check(z.minimum(1)), 1),
    "Raise on a breaking schema change.",
  ),
  distribution: z._default(Distribution, "balanced"),
  delivery: z._default(Delivery, "at-least-once"),
  routing: z._default(Routing, { kind: "message" }),
  schema: described(z.optional(JsonSchemaDocument), "Inline JSON Schema of the payload."),
  schemaFile: described(
    z.optional(z.string()),
    "Path of a JSON Schema file, relative to the registry document.",
  ),
  maxMessageSize: described(
    z._default(z.int().check(z.positive(), z.maximum(64 * 1024 * 1024)), 1024 * 1024),
    "Largest message in bytes.",
  ),
  producers: described(
    z._default(z.array(z.string().check(z.minLength(1))), []),
    "Teams or principals allowed to publish (a name is one or the other, never both).",
  ),
  consumers: described(
    z._default(z.array(z.string().check(z.minLength(1))), []),
    "Teams or principals allowed to consume (a name is one or the other, never both).",
  ),
  replyTo: described(
    z._default(z.boolean(), false),
    "Request/reply: messages carry a reply-to address. Producers may open a dynamic reply receiver; consumers may send replies to the mesh's temporary reply addresses.",
  ),
  deadLetter: described(
    z.optional(text(ADDRESS_PATTERN)),
    "Address of the channel that receives messages that failed for good.",
  ),
  environments: described(
    z.optional(z.array(text(NAME_PATTERN))),
    "Environments the channel exists in; all when absent.",
  ),
});
export type Channel = z.infer<typeof Channel>;

export const TeamDocument = z.strictObject({
  team: described(text(NAME_PATTERN), "Name of the owning team."),
  description: z.optional(z.string()),
  principals: described(
    z._default(z.array(text(PRINCIPAL_PATTERN)), []),
    "SASL user names that act for this team. Team names and principal names share one namespace: no principal may be named like a team or a principal of another team (case ignored).",
  ),
  channels: z._default(z.array(Channel), []),
});
export type TeamDocument = z.infer<typeof TeamDocument>;
export type TeamDocumentInput = z.input<typeof TeamDocument>;
