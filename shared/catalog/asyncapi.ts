/** The part of AsyncAPI 3.0 the catalog writes, typed so the builders cannot drift from it. */

export type JsonSchema = Record<string, unknown>;
export type Reference = { $ref: string };
/** Specification extensions (`x-…`): where AsyncAPI has no field for a registry fact. */
export type Extensions = { [key: `x-${string}`]: unknown };

export interface SecurityScheme {
  type: "plain" | "scramSha256" | "X509" | "userPassword";
  description: string;
}

export interface Server extends Extensions {
  host: string;
  protocol: "amqp";
  protocolVersion: "1.0";
  title: string;
  summary: string;
  tags: { name: string; description?: string }[];
  security: Reference[];
  bindings: { amqp1: Extensions };
}

export interface Message extends Extensions {
  name: string;
  title: string;
  summary: string;
  contentType?: string;
  headers: JsonSchema;
  payload?: JsonSchema;
  bindings: { amqp1: Extensions };
}

export interface Channel extends Extensions {
  address: string;
  title: string;
  description: string;
  messages: Record<string, Message>;
  servers?: Reference[];
  bindings: { amqp1: Extensions };
}

export interface Operation extends Extensions {
  action: "send" | "receive";
  title: string;
  summary: string;
  channel: Reference;
  messages: Reference[];
  bindings: { amqp1: Extensions };
}

export interface AsyncApiDocument {
  asyncapi: "3.0.0";
  info: {
    title: string;
    version: string;
    description: string;
    tags: { name: string }[];
  } & Extensions;
  defaultContentType: "application/json";
  servers: Record<string, Server>;
  channels: Record<string, Channel>;
  operations: Record<string, Operation>;
  components: { securitySchemes: Record<string, SecurityScheme> };
}
