/**
 * What a management reply holds, checked with zod at this boundary: the status code and
 * description (application properties) and, per operation, the body's shape. A reply that
 * does not fit is a ManagementProtocolError naming what was wrong; never a stray TypeError.
 */
import * as z from "zod/mini";
import { englishMessages } from "../amqp/schema-issues.ts";
import { ManagementProtocolError, type ManagementRequestInfo, statusError } from "./errors.ts";

/** Attribute values as they come back: scalars, maps (vhost groups), lists, null. */
export type AttributeValue = unknown;

export interface ManagedEntity {
  /** The short type it was asked as (e.g. `address`). */
  type: string;
  name: string | undefined;
  identity: string | undefined;
  /** Every attribute the router returned, null included. */
  attributes: Record<string, AttributeValue>;
}

const statusCode = z.union([
  z.int(),
  z.pipe(z.string().check(z.regex(/^\d{3}$/)), z.transform(Number)),
]);

const replyProperties = z.object({
  statusCode,
  statusDescription: z.optional(z.string()),
});

export const attributeMapSchema = z.record(z.string(), z.unknown());

export const queryBodySchema = z
  .object({
    attributeNames: z.array(z.string()),
    results: z.array(z.array(z.unknown())),
  })
  .check(
    z.refine((body) => body.results.every((row) => row.length === body.attributeNames.length), {
      message: "a results row has not as many values as attributeNames",
    }),
  );

export const mgmtNodesBodySchema = z.array(z.string());
export const typesBodySchema = z.record(z.string(), z.array(z.string()));

export interface ReplyLike {
  applicationProperties: Record<string, unknown>;
  body: unknown;
}

function issuesText(error: z.core.$ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}

/**
 * The body of a successful reply (a 2xx status), or the typed error for any other status.
 * `expected` lists the codes the operation answers with (CREATE 201, DELETE 204, …); any
 * other 2xx is accepted as well, since agents differ.
 */
export function replyBody(info: ManagementRequestInfo, reply: ReplyLike): unknown {
  const properties = replyProperties.safeParse(reply.applicationProperties, englishMessages);
  if (!properties.success) {
    throw new ManagementProtocolError(
      info,
      `the reply has no usable status (${issuesText(properties.error)})`,
      "is the address a router's $management node?",
    );
  }
  const { statusCode: code, statusDescription } = properties.data;
  if (code < 200 || code > 299) throw statusError(info, code, statusDescription ?? "");
  return reply.body;
}

/** Parses a successful body with `schema`; a mismatch is a ManagementProtocolError. */
export function parseBody<T>(
  info: ManagementRequestInfo,
  schema: z.ZodMiniType<T>,
  body: unknown,
): T {
  const parsed = schema.safeParse(body, englishMessages);
  if (!parsed.success) {
    throw new ManagementProtocolError(
      info,
      `the reply body is not what ${info.operation} answers with (${issuesText(parsed.error)})`,
      "the router's management agent answered unexpectedly; check its version",
    );
  }
  return parsed.data;
}

function textOf(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return undefined;
}

/** An attribute map as an entity (CREATE, READ, UPDATE answers). */
export function entityOf(type: string, attributes: Record<string, unknown>): ManagedEntity {
  return {
    type,
    name: textOf(attributes.name),
    identity: textOf(attributes.identity),
    attributes,
  };
}

/** QUERY results as entities, one per row. */
export function entitiesOfQuery(
  type: string,
  body: z.output<typeof queryBodySchema>,
): ManagedEntity[] {
  return body.results.map((row) =>
    entityOf(type, Object.fromEntries(body.attributeNames.map((name, i) => [name, row[i]]))),
  );
}
