/**
 * Every error of channel triggers, in one place. `TriggerError` is the base of those raised
 * while defining, invoking or running a trigger; `TriggerConfigError` is a settings error
 * first (`SettingsError`, shared by every part's configuration errors).
 */
import { escapeControlCharacters } from "../log-text.ts";
import type { Violation } from "../registry-snapshot/index.ts";
import { SettingsError } from "../settings/errors.ts";
import type { BatchItemFailure } from "./batch-response.ts";

/** The base of the trigger's errors: `instanceof TriggerError` tells them from a handler's own. */
export class TriggerError extends Error {
  override name = "TriggerError";
}

/** Bad input to defineChannelHandler, with what to write instead. */
export class ChannelHandlerDefinitionError extends TriggerError {
  override name = "ChannelHandlerDefinitionError";
}

/** The channel is not in the registry the function runs with (bundled, or learnt live). */
export class UnknownChannelError extends TriggerError {
  override name = "UnknownChannelError";
  constructor(address: string, digest: string) {
    super(
      `channel "${address}" is not in the registry snapshot ${digest.slice(0, 12)} this function runs with; ` +
        "register it, or bundle again with `npm run bundle`",
    );
  }
}

/** The invocation is for another channel than the function handles. */
export class ChannelMismatchError extends TriggerError {
  override name = "ChannelMismatchError";
  constructor(expected: string, got: string) {
    super(
      `this function handles channel "${expected}" but was invoked for "${got}"; ` +
        "point the bridge (or the queue trigger) at the function of that channel",
    );
  }
}

/** The event is not a trigger invocation; says which fields are wrong. */
export class InvocationEventError extends TriggerError {
  override name = "InvocationEventError";
  constructor(issues: readonly string[]) {
    super(
      `not an amqp-mesh trigger invocation (${issues.join("; ")}); ` +
        "the function expects what `amqp-mesh bridge` sends, or its platform's queue event",
    );
  }
}

/** A record whose content cannot be a payload of its channel: never retried. */
export class RecordInvalidError extends TriggerError {
  override name = "RecordInvalidError";
}

/**
 * The function could not be invoked. `fatal`: it will not work until its configuration
 * changes (not found, not authorized) — the bridge stops and releases what it holds;
 * otherwise (throttled, unavailable, network) the bridge retries later without counting
 * an attempt against the messages.
 */
export class InvokeError extends TriggerError {
  override name = "InvokeError";
  readonly fatal: boolean;
  readonly status: number | undefined;
  constructor(message: string, options: { fatal: boolean; status?: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.fatal = options.fatal;
    this.status = options.status;
  }
}

/** Some items of a queued batch failed: thrown so the platform redelivers the batch. */
export class QueuedBatchFailedError extends TriggerError {
  override name = "QueuedBatchFailedError";
  readonly failures: BatchItemFailure[];
  constructor(channel: string, failures: BatchItemFailure[], size: number) {
    super(
      escapeControlCharacters(
        `${failures.length} of ${size} messages of channel "${channel}" failed; the broker redelivers the whole batch ` +
          `(${failures.map((f) => `${f.itemIdentifier}: ${f.reason ?? "failed"}`).join("; ")})`,
      ),
    );
    this.failures = failures;
  }
}

/** The payload does not match the target channel's schema; nothing was published. */
export class PublishPayloadInvalidError extends TriggerError {
  override name = "PublishPayloadInvalidError";
  readonly violations: Violation[];
  constructor(channel: string, violations: Violation[]) {
    super(
      escapeControlCharacters(
        `payload for channel "${channel}" violates its schema: ${violations
          .map((v) => `${v.pointer || "(root)"} ${v.detail}`)
          .join("; ")}`,
      ),
    );
    this.violations = violations;
  }
}

/** A function tries to publish but has no edge routers configured. */
export class PublishNotConfiguredError extends TriggerError {
  override name = "PublishNotConfiguredError";
  constructor() {
    super(
      "this function has no edge routers to publish to: set MESH_URLS (and MESH_SASL_USERNAME/PASSWORD)",
    );
  }
}

/** A setting is malformed; names the variable and what it must hold, never its value. */
export class TriggerConfigError extends SettingsError {
  override name = "TriggerConfigError";
  constructor(problems: readonly string[]) {
    super(problems, { scope: "trigger" });
  }
}
