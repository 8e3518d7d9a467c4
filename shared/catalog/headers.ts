/**
 * The application properties every channel's messages may carry: the CloudEvents AMQP binding
 * (binary mode: attributes as `cloudEvents_*`, data as the body) and the W3C trace context.
 * Optional on every channel: a message is a CloudEvent when its producer (the ingress, or a
 * function publishing with `cloudEvent`) sends it as one.
 */
import type { JsonSchema } from "./asyncapi.ts";

const text = (description: string): JsonSchema => ({ type: "string", minLength: 1, description });

export const MESSAGE_HEADERS: JsonSchema = {
  type: "object",
  description:
    "AMQP application properties. A binary-mode CloudEvent carries its attributes as cloudEvents_* (its datacontenttype is the AMQP content-type, its data the body); a structured one is sent as application/cloudevents+json instead.",
  properties: {
    cloudEvents_specversion: { type: "string", const: "1.0", description: "CloudEvents version." },
    cloudEvents_id: text("CloudEvent id; defaults to the AMQP message id."),
    cloudEvents_source: text("URI reference naming the producer."),
    cloudEvents_type: text("What happened, e.g. com.example.order.placed."),
    cloudEvents_subject: text("The subject of the event within its source."),
    cloudEvents_time: {
      type: "string",
      format: "date-time",
      description: "When it happened (RFC 3339).",
    },
    cloudEvents_dataschema: text("URI of the payload's schema."),
    traceparent: {
      type: "string",
      pattern: "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
      description: "W3C trace context of the producer's span.",
    },
    tracestate: { type: "string", description: "W3C trace state, vendor entries." },
  },
  // Binary mode: the four required attributes travel together.
  dependencies: {
    cloudEvents_id: ["cloudEvents_specversion", "cloudEvents_source", "cloudEvents_type"],
  },
};
