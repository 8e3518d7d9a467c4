/**
 * Typed errors of the AMQP client. Every error names what went wrong and where (address,
 * router url with credentials stripped) and never carries a secret.
 *
 * Why it is long: it is the client's whole catalogue of failures — 15 classes under one base
 * and one closed set of codes, each with the message that says what to do. Callers (the
 * ingress's problem mapping, the triggers, the CLI) switch on these together; one file keeps
 * the set and its codes checked against each other by the compiler.
 */

/** The closed set of error codes the client raises. */
export type MeshErrorCode =
  | "config-invalid"
  | "connection-failed"
  | "client-closed"
  | "publish-rejected"
  | "back-pressure"
  | "publish-timeout"
  | "link-refused"
  | "no-route"
  | "no-consumer"
  | "request-timeout"
  | "message-invalid"
  | "cloudevent-invalid";

export interface MeshErrorDetails {
  /** The address (channel) the operation targeted. */
  address?: string | undefined;
  /** The router url involved, credentials stripped. */
  url?: string | undefined;
  cause?: unknown;
}

/** An AMQP error as text: "condition: description", leaving out a missing part. */
export function conditionText(
  error: { condition?: string | undefined; description?: string | undefined } | undefined,
): string {
  return error ? [error.condition, error.description].filter(Boolean).join(": ") : "";
}

/** Base of every error the client raises; `code` is the stable, machine-readable part. */
export class MeshError extends Error {
  readonly code: MeshErrorCode;
  readonly address: string | undefined;
  readonly url: string | undefined;

  constructor(code: MeshErrorCode, message: string, details: MeshErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "MeshError";
    this.code = code;
    this.address = details.address;
    this.url = details.url;
  }
}

/**
 * The client configuration, or the options of one call (`what`: "publish options"...), failed
 * validation; `issues` lists each problem with its path. Never echoes a value.
 */
export class ConfigError extends MeshError {
  readonly issues: readonly string[];
  constructor(issues: readonly string[], what = "AMQP client config") {
    super("config-invalid", `invalid ${what}: ${issues.join("; ")}`);
    this.name = "ConfigError";
    this.issues = issues;
  }
}

/** What made a connection attempt fail, as the user must know it to fix it. */
export type ConnectionFailureKind =
  | "refused"
  | "timed-out"
  | "host-not-found"
  | "reset"
  | "tls"
  | "authentication"
  | "authorization"
  | "policy-limit"
  | "closed-by-router"
  | "config"
  | "other";

/**
 * The cause of a failed attempt: its kind, a sentence naming it (never a secret), and whether
 * it is final (retrying the same login cannot succeed: a refused password, a policy denial).
 */
export interface ConnectionFailureCause {
  kind: ConnectionFailureKind;
  reason: string;
  final: boolean;
}

/**
 * No router in the url list could be reached within the reconnect budget, or one refused the
 * client for good (`failure.final`: a login or policy denial, a bad config); `failure` is the
 * cause of the last attempt.
 */
export class ConnectionFailedError extends MeshError {
  readonly failure: ConnectionFailureCause | undefined;
  constructor(
    message: string,
    details: MeshErrorDetails & { failure?: ConnectionFailureCause | undefined } = {},
  ) {
    super("connection-failed", message, details);
    this.name = "ConnectionFailedError";
    this.failure = details.failure;
  }

  /** Retrying cannot help: the login, the policy or the config must change first. */
  get final(): boolean {
    return this.failure?.final === true;
  }
}

/** True for a connection failure that retrying the same config cannot heal. */
export function isFinalConnectionFailure(error: unknown): error is ConnectionFailedError {
  return error instanceof ConnectionFailedError && error.final;
}

/** The operation was attempted on, or cut short by, a closed client or consumer. */
export class ClientClosedError extends MeshError {
  constructor(message: string, details: MeshErrorDetails = {}) {
    super("client-closed", message, details);
    this.name = "ClientClosedError";
  }
}

/** The router answered `rejected`: final, retrying the same message will not help. */
export class PublishRejectedError extends MeshError {
  readonly condition: string | undefined;
  readonly description: string | undefined;
  readonly messageId: string;
  constructor(args: {
    address: string;
    url: string | undefined;
    messageId: string;
    condition: string | undefined;
    description: string | undefined;
  }) {
    const why = conditionText(args) || "no reason given";
    super(
      "publish-rejected",
      `router ${args.url ?? "(unknown)"} rejected message ${args.messageId} to "${args.address}": ${why}`,
      args,
    );
    this.name = "PublishRejectedError";
    this.condition = args.condition;
    this.description = args.description;
    this.messageId = args.messageId;
  }
}

/**
 * The router gave no credit (or no router was connected) before the deadline: the mesh is
 * pushing back. Ingress answers 503 with `Retry-After` derived from `retryAfterMs`.
 */
export class BackPressureError extends MeshError {
  readonly retryAfterMs: number;
  readonly messageId: string;
  /** `no-credit`: the link's credit was used up; `not-connected`: no router to send to. */
  readonly reason: "no-credit" | "not-connected";
  constructor(args: {
    address: string;
    url: string | undefined;
    messageId: string;
    deadlineMs: number;
    retryAfterMs: number;
    reason: "no-credit" | "not-connected";
  }) {
    const why =
      args.reason === "no-credit"
        ? `no credit from router ${args.url ?? "(unknown)"}`
        : "no router connected";
    super(
      "back-pressure",
      `message ${args.messageId} to "${args.address}" not sent within ${args.deadlineMs} ms: ${why}; retry after ${args.retryAfterMs} ms`,
      args,
    );
    this.name = "BackPressureError";
    this.reason = args.reason;
    this.retryAfterMs = args.retryAfterMs;
    this.messageId = args.messageId;
  }
}

/**
 * The link to the address was open, and the router gave it no credit since it attached (or
 * since it drained it): the routers credit a producer only while a consumer of the address
 * is reachable somewhere in the mesh, so none is. The message was never sent. Distinct from
 * BackPressureError, where credit came and was used up (consumers exist but are slow).
 */
export class NoConsumerError extends MeshError {
  readonly retryAfterMs: number;
  readonly messageId: string;
  /** How long the router had given the link no credit when the publish gave up. */
  readonly creditlessMs: number;
  constructor(args: {
    address: string;
    url: string | undefined;
    messageId: string;
    creditlessMs: number;
    retryAfterMs: number;
  }) {
    super(
      "no-consumer",
      `message ${args.messageId} to "${args.address}" not sent: router ${args.url ?? "(unknown)"} has given the link no credit for ${args.creditlessMs} ms, so no consumer of "${args.address}" is attached (a router credits a producer only while a consumer of the address is reachable); retry after ${args.retryAfterMs} ms`,
      args,
    );
    this.name = "NoConsumerError";
    this.retryAfterMs = args.retryAfterMs;
    this.messageId = args.messageId;
    this.creditlessMs = args.creditlessMs;
  }
}

/**
 * The message was sent but not accepted before the deadline: the router kept releasing or
 * modifying it, settled it without an outcome, or the outcome never arrived. It may still
 * have been delivered. `lastOutcome` is the router's last answer: `released`, `modified`,
 * `settled-without-outcome` (settled with no state: not an acceptance), `connection-lost`
 * (the link died with the delivery unsettled), or `unsettled` (no answer ever came).
 */
export class PublishTimeoutError extends MeshError {
  readonly retryAfterMs: number;
  readonly messageId: string;
  readonly lastOutcome:
    | "released"
    | "modified"
    | "settled-without-outcome"
    | "unsettled"
    | "connection-lost";
  readonly attempts: number;
  constructor(args: {
    address: string;
    url: string | undefined;
    messageId: string;
    deadlineMs: number;
    lastOutcome: PublishTimeoutError["lastOutcome"];
    attempts: number;
    retryAfterMs: number;
  }) {
    super(
      "publish-timeout",
      `message ${args.messageId} to "${args.address}" not accepted within ${args.deadlineMs} ms after ${args.attempts} attempt(s); last outcome: ${args.lastOutcome} (router ${args.url ?? "(none)"})`,
      args,
    );
    this.name = "PublishTimeoutError";
    this.retryAfterMs = args.retryAfterMs;
    this.messageId = args.messageId;
    this.lastOutcome = args.lastOutcome;
    this.attempts = args.attempts;
  }
}

/**
 * Link conditions that describe a passing state of the mesh, not a decision about the
 * address: attaching again later may succeed. A publish re-attaches with backoff until its
 * deadline (then `NoRouteError`); a consumer re-attaches with a shorter backoff cap. Every
 * other condition (`amqp:unauthorized-access`, `amqp:not-found`, `amqp:not-allowed`,
 * `amqp:resource-limit-exceeded`, `amqp:invalid-field`, unknown ones...) is final for a
 * publish: `LinkRefusedError`.
 */
export const TRANSIENT_LINK_CONDITIONS: ReadonlySet<string> = new Set([
  // qdrouterd/skupper-router: a link-routed address whose route-container connection (the
  // broker) is not up yet or is down — e.g. right after the routers start.
  "qd:no-route-to-dest",
  // qdrouterd: the route-container connection of a link-routed link dropped.
  "qd:routed-link-lost",
  // AMQP 1.0: the peer forced the detach (operator action, broker restart, link stolen).
  "amqp:link:detach-forced",
]);

/** Whether a detach/end condition is worth attaching again for (see TRANSIENT_LINK_CONDITIONS). */
export function isTransientLinkCondition(condition: string | undefined): boolean {
  return condition !== undefined && TRANSIENT_LINK_CONDITIONS.has(condition);
}

/** What a condition means for the user, where the router's own words do not say it. */
const CONDITION_HINTS: ReadonlyMap<string, string> = new Map([
  [
    "qd:no-route-to-dest",
    "the address is link-routed to a broker and no router has its broker connection up (yet)",
  ],
  [
    "qd:routed-link-lost",
    "the router lost its session with the broker; RabbitMQ 3.x ends that session, and every " +
      "routed link on it, over a message whose user-id is not the router's broker login " +
      "(send no user_id on a broker channel) or an outcome it cannot read",
  ],
]);

/** The router refused or closed a link to an address (unknown address, not authorized...). */
export class LinkRefusedError extends MeshError {
  readonly condition: string | undefined;
  readonly description: string | undefined;
  /** True when the condition is transient (a consumer keeps re-attaching and may recover). */
  readonly transient: boolean;
  constructor(args: {
    address: string;
    url: string | undefined;
    role: "sender" | "receiver";
    condition: string | undefined;
    description: string | undefined;
  }) {
    const hint = args.condition === undefined ? undefined : CONDITION_HINTS.get(args.condition);
    const why = (conditionText(args) || "no reason given") + (hint ? ` (${hint})` : "");
    super(
      "link-refused",
      `router ${args.url ?? "(unknown)"} closed the ${args.role} link to "${args.address}": ${why}`,
      args,
    );
    this.name = "LinkRefusedError";
    this.condition = args.condition;
    this.description = args.description;
    this.transient = isTransientLinkCondition(args.condition);
  }
}

/**
 * The router had no route for the address during the whole deadline: every attach was
 * answered with a transient refusal (`qd:no-route-to-dest` while a link route's broker
 * connection is down...), so the message was never sent. Retrying later may succeed.
 */
export class NoRouteError extends MeshError {
  readonly condition: string;
  readonly description: string | undefined;
  readonly messageId: string;
  /** Attaches the router refused for this address since the last working link. */
  readonly attaches: number;
  readonly retryAfterMs: number;
  constructor(args: {
    address: string;
    url: string | undefined;
    messageId: string;
    deadlineMs: number;
    condition: string;
    description: string | undefined;
    attaches: number;
    retryAfterMs: number;
  }) {
    const why = conditionText(args);
    super(
      "no-route",
      `message ${args.messageId} to "${args.address}" not sent within ${args.deadlineMs} ms: router ${args.url ?? "(unknown)"} had no route to the destination the whole time (${args.attaches} attach(es) refused, last: ${why}); retry after ${args.retryAfterMs} ms`,
      args,
    );
    this.name = "NoRouteError";
    this.condition = args.condition;
    this.description = args.description;
    this.messageId = args.messageId;
    this.attaches = args.attaches;
    this.retryAfterMs = args.retryAfterMs;
  }
}

/** No reply to a request within its timeout (or the reply path was lost with the connection). */
export class RequestTimeoutError extends MeshError {
  readonly reason: "timeout" | "connection-lost";
  constructor(args: {
    address: string;
    url: string | undefined;
    messageId: string;
    timeoutMs: number;
    reason: "timeout" | "connection-lost";
    /** Why the request itself could not be sent in time, when that was the case. */
    cause?: Error | undefined;
  }) {
    const why =
      args.reason === "timeout"
        ? `no reply within ${args.timeoutMs} ms${args.cause ? ` (the request was not accepted in time: ${args.cause.message})` : ""}`
        : "the connection carrying the reply address was lost";
    super(
      "request-timeout",
      `request ${args.messageId} to "${args.address}" via ${args.url ?? "(no router)"}: ${why}`,
      args,
    );
    this.name = "RequestTimeoutError";
    this.reason = args.reason;
  }
}

/** A message could not be encoded or decoded (bad body, bad content type). */
export class MessageInvalidError extends MeshError {
  constructor(message: string, details: MeshErrorDetails = {}) {
    super("message-invalid", message, details);
    this.name = "MessageInvalidError";
  }
}

/** An event does not satisfy the CloudEvents spec or its AMQP binding. */
export class CloudEventInvalidError extends MeshError {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super("cloudevent-invalid", `invalid CloudEvent: ${issues.join("; ")}`);
    this.name = "CloudEventInvalidError";
    this.issues = issues;
  }
}

export function isMeshError(error: unknown): error is MeshError {
  return error instanceof MeshError;
}

export function isMeshErrorWithCode<C extends MeshErrorCode>(
  error: unknown,
  code: C,
): error is MeshError & { code: C } {
  return error instanceof MeshError && error.code === code;
}

export function isPublishRejectedError(error: unknown): error is PublishRejectedError {
  return error instanceof PublishRejectedError;
}

export function isBackPressureError(error: unknown): error is BackPressureError {
  return error instanceof BackPressureError;
}

/** True for errors after which publishing the same message later may succeed. */
export function isTransientPublishError(
  error: unknown,
): error is
  | BackPressureError
  | NoConsumerError
  | PublishTimeoutError
  | NoRouteError
  | ConnectionFailedError {
  return (
    error instanceof BackPressureError ||
    error instanceof NoConsumerError ||
    error instanceof PublishTimeoutError ||
    error instanceof NoRouteError ||
    error instanceof ConnectionFailedError
  );
}

// ---- errors a consumer's handler throws to choose the settlement ----

/**
 * Thrown by a handler: the message may succeed later. Settled `modified` (delivery-failed)
 * by default, or `released` with `{ release: true }`.
 */
export class RetryableError extends Error {
  readonly retryable = true as const;
  readonly release: boolean;
  constructor(message: string, options: { release?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RetryableError";
    this.release = options.release ?? false;
  }
}

/** Thrown by a handler: the message will never succeed. Settled `rejected` with this text. */
export class PermanentError extends Error {
  readonly retryable = false as const;
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PermanentError";
  }
}

/** A handler error counts as retryable unless it is marked `retryable: false`. Never throws. */
export function isRetryable(error: unknown): boolean {
  try {
    if (typeof error === "object" && error !== null && "retryable" in error) {
      return (error as { retryable: unknown }).retryable !== false;
    }
  } catch {
    // A Proxy whose `has`/`get` throws: nothing says it is permanent.
  }
  return true;
}

/**
 * Text for anything thrown or returned as a problem: an Error's message, else String(value).
 * Never throws (a value whose String() or `message` getter throws, a Proxy, an object with
 * no prototype...): then a fixed text.
 */
export function describeThrown(value: unknown): string {
  try {
    if (value instanceof Error) return String(value.message);
    return String(value);
  } catch {
    return "(a thrown value that cannot be turned into text)";
  }
}
