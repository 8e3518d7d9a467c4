/**
 * The function in this process (local runs, tests, benchmarks): the same core the platforms'
 * fronts run, on the records the bridge made (JSON-safe values; no transport to cross). A
 * handler that throws past the core is a function error, as on the platforms.
 */
import { runChannelBatch } from "./batch.ts";
import type { ChannelCatalog } from "./catalog.ts";
import { triggerContext } from "./context.ts";
import type { ChannelHandlerDefinition } from "./definition.ts";
import type { FunctionInvoker, InvokeResult } from "./invoker.ts";
import type { ChannelPublish } from "./publisher.ts";
import type { TriggerInvocation } from "./records.ts";

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
        const response = await runChannelBatch(definition, invocation.channel, invocation.records, {
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
