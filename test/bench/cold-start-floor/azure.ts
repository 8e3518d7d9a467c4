/**
 * The floor of the Azure ingress's cold start: only the packages its bundle loads at start,
 * each used as the function uses it at init (`app.http` registered, a zod/mini schema parsed,
 * a rhea container, the trace API, node:crypto) — none of amqp-mesh's own code. Built like
 * a function (`buildAsFunction`) by `function-bundles.bench.ts`.
 */
import "./common.ts";
import { app } from "@azure/functions";

app.http("floor", { route: "channels/{channel}/messages", handler: async () => ({ status: 202 }) });
