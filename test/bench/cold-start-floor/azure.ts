/**
 * The floor of the Azure ingress's cold start: only the packages its bundle loads at start,
 * each used as the function uses it at init (`app.http` registered, a zod/mini schema parsed,
 * a rhea container, the trace API, node:crypto) — none of amqp-mesh's own code. Built like
 * a function (`buildAsFunction`) by `function-bundles.bench.ts`.
 */
import { createHash, randomUUID } from "node:crypto";
import { app } from "@azure/functions";
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
app.http("floor", { route: "channels/{channel}/messages", handler: async () => ({ status: 202 }) });
