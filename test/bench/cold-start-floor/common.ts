/**
 * What both clouds' ingresses do at init with the packages they share: a zod/mini settings
 * schema parsed, a rhea container, the trace API, node:crypto.
 */
import { createHash, randomUUID } from "node:crypto";
import { trace } from "@opentelemetry/api";
import rhea from "rhea";
import * as z from "zod/mini";

const settings = z.object({
  urls: z.array(z.string()),
  keys: z.array(z.object({ sha256: z.string() })),
});
settings.parse({ urls: [randomUUID()], keys: [{ sha256: createHash("sha256").digest("hex") }] });
export const container = rhea.create_container();
export const tracer = trace.getTracer("floor");
