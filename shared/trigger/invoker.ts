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
