/**
 * How the bridge reaches a function: the seam between the bridge and the platform (Lambda
 * Invoke, Azure over HTTP, in-process). An invoker sends one invocation and reports what the
 * function answered, or throws InvokeError when the function could not be run at all.
 */
import type { TriggerInvocation } from "./records.ts";

export type InvokeResult =
  /** The function ran and answered (its JSON answer, read by the bridge). */
  | { kind: "answered"; response: unknown }
  /** The function ran and failed as a whole (threw, timed out, crashed): every item failed. */
  | { kind: "function-error"; message: string };

export interface FunctionInvoker {
  /** For logs: "lambda:<name>", "azure:<url>", "in-process:<name>" (no secrets). */
  readonly description: string;
  invoke(invocation: TriggerInvocation): Promise<InvokeResult>;
  close?(): Promise<void>;
}

/**
 * The function could not be invoked. `fatal`: it will not work until its configuration
 * changes (not found, not authorized) — the bridge stops and releases what it holds;
 * otherwise (throttled, unavailable, network) the bridge retries later without counting
 * an attempt against the messages.
 */
export class InvokeError extends Error {
  readonly fatal: boolean;
  readonly status: number | undefined;
  constructor(message: string, options: { fatal: boolean; status?: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "InvokeError";
    this.fatal = options.fatal;
    this.status = options.status;
  }
}
