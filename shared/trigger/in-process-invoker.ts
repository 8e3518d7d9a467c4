/**
 * The function in this process (local runs, tests, benchmarks): the invocation goes through
 * the same JSON a platform would carry, so what the handler sees does not depend on the
 * front. A handler that throws past the core is a function error, as on the platforms.
 */
import { runChannelBatch } from "./batch.ts";
import type { ChannelCatalog } from "./catalog.ts";
import { triggerContext } from "./context.ts";
import type { ChannelHandlerDefinition } from "./definition.ts";
import type { FunctionInvoker, InvokeResult } from "./invoker.ts";
import type { ChannelPublish } from "./publisher.ts";
import { parseTriggerInvocation, type TriggerInvocation } from "./records.ts";

export interface InProcessInvokerOptions {
  catalog: ChannelCatalog;
  publish: ChannelPublish;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export function inProcessInvoker<T>(
  definition: ChannelHandlerDefinition<T>,
  options: InProcessInvokerOptions,
): FunctionInvoker {
  const context = triggerContext({
    platform: "local",
    mode: "bridge",
    publish: options.publish,
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  return {
    description: `in-process:${definition.name}`,
    async invoke(invocation: TriggerInvocation): Promise<InvokeResult> {
      try {
        // Through JSON and back, as a platform would carry it.
        const event = parseTriggerInvocation(JSON.parse(JSON.stringify(invocation)));
        const response = await runChannelBatch(definition, event.channel, event.records, {
          catalog: options.catalog,
          context,
          onHandlerError: (error) =>
            context.log("handler failed", {
              error: error instanceof Error ? error.message : String(error),
            }),
        });
        return { kind: "answered", response };
      } catch (error) {
        return {
          kind: "function-error",
          message: error instanceof Error ? error.message : String(error),
        };
      }
    },
  };
}
