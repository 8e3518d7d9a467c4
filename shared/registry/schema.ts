import { z } from "zod";
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

export const MessageRouting = z
  .object({ kind: z.literal("message") })
  .strict()
  .describe("Routed message by message through the mesh.");

export const BrokerRouting = z
  .object({
    kind: z.literal("broker"),
    broker: z.string().regex(NAME_PATTERN).describe("Name of a broker in the topology."),
    queue: z
      .string()
      .regex(ADDRESS_PATTERN)
      .optional()
      .describe(
        "Queue on the broker; defaults to the channel address. On RabbitMQ it is reached as /queue/<name>.",
      ),
  })
  .strict()
  .describe("Stored in a broker queue; the routers link to it (linkRoute or autoLink).");

export const Routing = z.discriminatedUnion("kind", [MessageRouting, BrokerRouting]);
export type Routing = z.infer<typeof Routing>;

/** A JSON Schema document; checked for validity by the validator, not by zod. */
export const JsonSchemaDocument = z.record(z.string(), z.unknown());

export const Channel = z
  .object({
    address: z
      .string()
      .regex(ADDRESS_PATTERN)
      .describe("Address prefix of the channel on the routers, e.g. sales/orders."),
    description: z.string().min(1),
    version: z.number().int().min(1).default(1).describe("Raise on a breaking schema change."),
    distribution: Distribution.default("balanced"),
    delivery: Delivery.default("at-least-once"),
    routing: Routing.default({ kind: "message" }),
    schema: JsonSchemaDocument.optional().describe("Inline JSON Schema of the payload."),
    schemaFile: z
      .string()
      .optional()
      .describe("Path of a JSON Schema file, relative to the registry document."),
    maxMessageSize: z
      .number()
      .int()
      .positive()
      .max(64 * 1024 * 1024)
      .default(1024 * 1024)
      .describe("Largest message in bytes."),
    producers: z
      .array(z.string().min(1))
      .default([])
      .describe("Teams or principals allowed to publish (a name is one or the other, never both)."),
    consumers: z
      .array(z.string().min(1))
      .default([])
      .describe("Teams or principals allowed to consume (a name is one or the other, never both)."),
    replyTo: z
      .boolean()
      .default(false)
      .describe(
        "Request/reply: messages carry a reply-to address. Producers may open a dynamic reply receiver; consumers may send replies to the mesh's temporary reply addresses.",
      ),
    deadLetter: z
      .string()
      .regex(ADDRESS_PATTERN)
      .optional()
      .describe("Address of the channel that receives messages that failed for good."),
    environments: z
      .array(z.string().regex(NAME_PATTERN))
      .optional()
      .describe("Environments the channel exists in; all when absent."),
  })
  .strict();
export type Channel = z.infer<typeof Channel>;

export const TeamDocument = z
  .object({
    team: z.string().regex(NAME_PATTERN).describe("Name of the owning team."),
    description: z.string().optional(),
    principals: z
      .array(z.string().regex(PRINCIPAL_PATTERN))
      .default([])
      .describe(
        "SASL user names that act for this team. Team names and principal names share one namespace: no principal may be named like a team or a principal of another team (case ignored).",
      ),
    channels: z.array(Channel).default([]),
  })
  .strict();
export type TeamDocument = z.infer<typeof TeamDocument>;
export type TeamDocumentInput = z.input<typeof TeamDocument>;
