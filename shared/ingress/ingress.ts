/**
 * The ingress core, framework-neutral: one request in, one response out. Checks in order —
 * route, caller (401), channel (404), producer rights (403), content type (415), size
 * (413, before the body is read whole), JSON (400), payload schema (422) — and publishes
 * only when all passed; 202 only after the router accepted.
 */
import { context } from "@opentelemetry/api";
import {
  BackPressureError,
  ConnectionFailedError,
  extractTraceContext,
  LinkRefusedError,
  type MeshMessage,
  NoConsumerError,
  NoRouteError,
  type PublishOptions,
  PublishRejectedError,
  type PublishResult,
  PublishTimeoutError,
} from "../amqp/index.ts";
import type {
  DeployedChannel,
  DeployedRegistry,
  PayloadValidator,
  PayloadValidators,
  RegistryView,
} from "../registry-snapshot/index.ts";
import type { Caller, CallerAuthenticator } from "./auth.ts";
import { BodyReadError, BodyTooLargeError, type RequestBody } from "./body.ts";
import {
  type BatchItem,
  idempotencyKey,
  type PreparedMessage,
  prepareRequest,
  requestFormat,
} from "./content.ts";
import { scopeMessageIds } from "./message-id.ts";
import {
  fail,
  type ItemResult,
  PROBLEM_JSON,
  type Problem,
  ProblemError,
  problem,
  retryAfterSeconds,
} from "./problem.ts";

/** A request as every adapter hands it over. */
export interface IngressRequest {
  method: string;
  /** The URL path as received (percent-encoded); a stage or `/api` prefix is allowed. */
  path: string;
  /** Headers by lower-case name. */
  headers: Readonly<Record<string, string | undefined>>;
  body: RequestBody;
  /** A principal the platform verified (API Gateway authorizer, App Service authentication). */
  platformPrincipal?: string | undefined;
  /** Its identity provider, where the platform has several (App Service: `aad`, `github`, …). */
  platformIdentityProvider?: string | undefined;
  /** Milliseconds left before the function is stopped; the publish deadline fits inside. */
  remainingMs?: number | undefined;
}

export interface IngressResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** For the adapter's log line and metrics; not sent. */
  outcome: IngressOutcome;
}

export interface IngressOutcome {
  channel?: string;
  principal?: string;
  /** Messages the router accepted. */
  published: number;
  /** The problem type of an error answer. */
  problem?: string;
  /** Set for a 500: what broke, for the log (never sent to the client). */
  error?: unknown;
}

/** What the core needs of the AMQP client (MeshPublisher and MeshClient fit). */
export interface MessagePublisher {
  publish(address: string, message: MeshMessage, options?: PublishOptions): Promise<PublishResult>;
}

export interface IngressOptions {
  registry: DeployedRegistry;
  authenticator: CallerAuthenticator;
  validators: PayloadValidators;
  /**
   * The registry learnt live (a LiveRegistry): read once per request, which is checked from
   * start to end against that one release; `registry` and `validators` are then unused.
   */
  view?: RegistryView;
  publisher: MessagePublisher;
  /**
   * Publish as the caller instead (the local platform: one client per principal, so the
   * routers' vhost policy applies to the caller too); undefined → `publisher`.
   */
  publisherFor?: (principal: string) => MessagePublisher | undefined;
  /** Longest publish deadline (default 10 s). */
  publishDeadlineMs?: number;
  /**
   * How long a publish waits on an open link the router gives no credit — no consumer of the
   * channel attached anywhere — before answering 503 `no-consumer` (default 1 s; at most
   * the deadline). A consumer that attaches within it gets the message.
   */
  noConsumerWaitMs?: number;
  /** Time kept back from the function's remaining time for answering (default 500 ms). */
  responseMarginMs?: number;
}

export interface Ingress {
  handle(request: IngressRequest): Promise<IngressResponse>;
}

const ROUTE = /\/channels\/([^/]+)\/messages\/?$/;

/** The channel named in the path, percent-decoded; undefined when the path is not a route. */
export function channelFromPath(path: string): string | undefined {
  const match = ROUTE.exec(path.split("?")[0] ?? "");
  if (match === null) return undefined;
  try {
    return decodeURIComponent(match[1] as string);
  } catch {
    return undefined;
  }
}

function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Omit<IngressResponse, "outcome"> {
  return {
    status,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

function problemResponse(
  p: Problem,
  headers: Record<string, string> = {},
): Omit<IngressResponse, "outcome"> {
  return {
    status: p.status,
    headers: { "content-type": PROBLEM_JSON, ...headers },
    body: JSON.stringify(p),
  };
}

/** A publish failure as the problem the client gets (503/502/504), or undefined if unexpected. */
export function publishProblem(error: unknown, address: string): Problem | undefined {
  if (error instanceof NoConsumerError)
    return problem(
      "no-consumer",
      `no consumer of '${address}' is attached: the router gives a producer credit only while a consumer of the channel is reachable, and gave none for ${error.creditlessMs} ms; nothing was published — retry once a consumer is attached`,
      { retryAfter: retryAfterSeconds(error.retryAfterMs) },
    );
  if (error instanceof BackPressureError)
    return problem(
      "back-pressure",
      error.reason === "not-connected"
        ? `no router was connected to take the message for '${address}' in time; retry later`
        : `the consumers of '${address}' are not keeping up: the router's credit was used up and none came back in time; retry later`,
      { retryAfter: retryAfterSeconds(error.retryAfterMs) },
    );
  if (error instanceof NoRouteError)
    return problem(
      "no-route",
      `the mesh has no route to '${address}' right now (${error.condition}); retry later`,
      { retryAfter: retryAfterSeconds(error.retryAfterMs) },
    );
  if (error instanceof ConnectionFailedError)
    return problem("mesh-unavailable", "no edge router could be reached; retry later", {
      retryAfter: retryAfterSeconds(undefined),
    });
  if (error instanceof PublishTimeoutError)
    return problem(
      "publish-timeout",
      `the router did not accept the message in time (last outcome: ${error.lastOutcome}); it may ` +
        "still be delivered: retry with the same Idempotency-Key",
      { retryAfter: retryAfterSeconds(error.retryAfterMs) },
    );
  if (error instanceof PublishRejectedError)
    return problem(
      "publish-rejected",
      `the router rejected the message: ${[error.condition, error.description].filter(Boolean).join(": ") || "no reason given"}`,
    );
  if (error instanceof LinkRefusedError)
    return problem(
      "link-refused",
      `the router refused the ingress's link to '${address}': ${[error.condition, error.description].filter(Boolean).join(": ") || "no reason given"}`,
    );
  return undefined;
}

function retryHeaders(p: Problem): Record<string, string> {
  return p.retryAfter === undefined ? {} : { "retry-after": String(p.retryAfter) };
}

export function createIngress(options: IngressOptions): Ingress {
  const maxDeadline = options.publishDeadlineMs ?? 10_000;
  const margin = options.responseMarginMs ?? 500;
  const noConsumerWait = options.noConsumerWaitMs ?? 1_000;
  const { authenticator, view } = options;

  async function handle(request: IngressRequest): Promise<IngressResponse> {
    const outcome: IngressOutcome = { published: 0 };
    try {
      const response = await pipeline(request, outcome);
      return { ...response, outcome };
    } catch (error) {
      if (error instanceof ProblemError) {
        outcome.problem = error.problem.type;
        return { ...problemResponse(error.problem, error.headers), outcome };
      }
      outcome.error = error;
      const p = problem("internal", "the ingress failed; the message was not published");
      outcome.problem = p.type;
      return { ...problemResponse(p), outcome };
    }
  }

  async function pipeline(
    request: IngressRequest,
    outcome: IngressOutcome,
  ): Promise<Omit<IngressResponse, "outcome">> {
    const name = channelFromPath(request.path);
    if (name === undefined)
      fail("route-not-found", "publish with POST /channels/{channel}/messages");
    if (request.method.toUpperCase() !== "POST")
      fail(
        "method-not-allowed",
        `${request.method} is not allowed here; use POST`,
        {},
        { allow: "POST" },
      );

    // One release for the whole request: a registry swapped meanwhile applies to the next one.
    const { registry, validators } = view === undefined ? options : view.current();
    const caller: Caller = await authenticator.authenticate(request, registry);
    outcome.principal = caller.principal;
    const channel = registry.channel(name);
    if (channel === undefined) fail("channel-not-found", `no channel '${name}' in the registry`);
    outcome.channel = channel.address;
    if (!registry.mayProduce(caller.principal, channel))
      fail(
        "forbidden",
        `'${caller.principal}' is not among the producers of '${channel.address}' (team ${channel.owner} decides)`,
      );

    const format = requestFormat(request.headers);
    const bytes = await readBody(request.body, channel.maxMessageSize);
    const messageId = idempotencyKey(request.headers["idempotency-key"]);
    // Ids under the caller's principal: one caller's id can never shadow another's message.
    const prepared = scopeMessageIds(
      prepareRequest(format, bytes, request.headers, messageId),
      caller.principal,
    );
    const validate = validators.forChannel(channel);
    const publishOptions = (): PublishOptions => publishOptionsFor(request, channel);
    const publisher = options.publisherFor?.(caller.principal) ?? options.publisher;

    if (prepared.kind === "single") {
      const violations = check(prepared.prepared, validate);
      if (violations !== undefined) throw new ProblemError(violations);
      const result = await publishOne(publisher, channel, prepared.prepared, publishOptions());
      if ("problem" in result) throw new ProblemError(result.problem, retryHeaders(result.problem));
      outcome.published = 1;
      return json(202, { messageId: result.messageId, channel: channel.address });
    }
    return publishBatch(publisher, channel, prepared.items, validate, publishOptions, outcome);
  }

  /** The deadline: the configured one, cut to the function's remaining time less a margin. */
  function publishOptionsFor(request: IngressRequest, channel: DeployedChannel): PublishOptions {
    let deadline = maxDeadline;
    if (request.remainingMs !== undefined)
      deadline = Math.min(deadline, request.remainingMs - margin);
    if (deadline <= 0)
      fail(
        "deadline-exceeded",
        "the function has no time left to wait for the router; retry",
        { retryAfter: 1 },
        { "retry-after": "1" },
      );
    const options: PublishOptions = {
      deadline: Math.floor(deadline),
      noConsumerWaitMs: Math.min(noConsumerWait, Math.floor(deadline)),
      delivery: channel.delivery,
    };
    const traceparent = request.headers.traceparent;
    if (traceparent !== undefined) {
      const carrier: Record<string, string> = { traceparent };
      const tracestate = request.headers.tracestate;
      if (tracestate !== undefined) carrier.tracestate = tracestate;
      options.traceContext = extractTraceContext(carrier, context.active());
    }
    return options;
  }

  async function publishOne(
    publisher: MessagePublisher,
    channel: DeployedChannel,
    prepared: PreparedMessage,
    publishOptions: PublishOptions,
  ): Promise<{ messageId: string } | { problem: Problem }> {
    try {
      const result = await publisher.publish(channel.address, prepared.message, publishOptions);
      return { messageId: result.messageId };
    } catch (error) {
      const p = publishProblem(error, channel.address);
      if (p === undefined) throw error;
      return { problem: p };
    }
  }

  /**
   * Every valid item is published, each reported with its own status. All accepted: 202;
   * no item valid: 422 (nothing published); otherwise 207.
   */
  async function publishBatch(
    publisher: MessagePublisher,
    channel: DeployedChannel,
    items: BatchItem[],
    validate: PayloadValidator | undefined,
    publishOptions: () => PublishOptions,
    outcome: IngressOutcome,
  ): Promise<Omit<IngressResponse, "outcome">> {
    const checked = items.map((item): { prepared: PreparedMessage } | { problem: Problem } => {
      if (!item.ok) return { problem: item.problem };
      const violations = check(item.prepared, validate);
      return violations === undefined ? { prepared: item.prepared } : { problem: violations };
    });
    if (checked.every((c) => "problem" in c)) {
      const results = checked.map((c, index) => itemResult(index, c));
      fail("batch-invalid", `none of the ${items.length} items can be published`, {
        items: results,
      });
    }
    const options = publishOptions();
    const results = await Promise.all(
      checked.map(async (c, index): Promise<ItemResult> => {
        if ("problem" in c) return itemResult(index, c);
        try {
          return itemResult(index, await publishOne(publisher, channel, c.prepared, options));
        } catch (error) {
          // One item's surprise must not hide the outcomes of the others.
          outcome.error = error;
          return itemResult(index, {
            problem: problem("internal", `item ${index} was not published`),
          });
        }
      }),
    );
    outcome.published = results.filter((r) => r.status === 202).length;
    const retryAfter = Math.max(0, ...results.map((r) => r.problem?.retryAfter ?? 0));
    const headers: Record<string, string> =
      retryAfter > 0 ? { "retry-after": String(retryAfter) } : {};
    const status = outcome.published === results.length ? 202 : 207;
    return json(status, { channel: channel.address, items: results }, headers);
  }

  return { handle };
}

function itemResult(
  index: number,
  result: { messageId: string } | { problem: Problem },
): ItemResult {
  return "problem" in result
    ? { index, status: result.problem.status, problem: result.problem }
    : { index, status: 202, messageId: result.messageId };
}

/**
 * Violations listed per message. Ajv reports every one (allErrors), and a payload within the
 * size limit can break a schema thousands of times (one per extra property): listing them all
 * made a 60 KB request a 600 KB answer.
 */
export const MAX_LISTED_VIOLATIONS = 10;

/** The schema's verdict: undefined when the payload passes (or there is no schema). */
function check(
  prepared: PreparedMessage,
  validate: PayloadValidator | undefined,
): Problem | undefined {
  if (validate === undefined) return undefined;
  if (prepared.payload === undefined)
    return problem(
      "schema-violation",
      "the event has no data, and the channel has a payload schema",
      {
        errors: [
          { pointer: prepared.pointer, keyword: "required", detail: "the payload is missing" },
        ],
      },
    );
  let errors: ReturnType<PayloadValidator>;
  try {
    errors = validate(prepared.payload.value, prepared.pointer);
  } catch (error) {
    // A recursive schema over a very deep payload can exhaust the stack.
    if (error instanceof RangeError)
      return problem("malformed-request", "the payload is nested too deeply to be checked");
    throw error;
  }
  if (errors.length === 0) return undefined;
  const listed = errors.slice(0, MAX_LISTED_VIOLATIONS);
  return problem(
    "schema-violation",
    `${errors.length} violation${errors.length === 1 ? "" : "s"} of the channel's payload schema` +
      (listed.length < errors.length ? `; the first ${listed.length} are listed` : ""),
    { errors: listed },
  );
}

async function readBody(body: RequestBody, limit: number): Promise<Uint8Array> {
  if (body.declaredLength !== undefined && body.declaredLength > limit)
    fail(
      "content-too-large",
      `the body has ${body.declaredLength} bytes; this channel takes at most ${limit}`,
    );
  try {
    return await body.read(limit);
  } catch (error) {
    if (error instanceof BodyTooLargeError)
      fail("content-too-large", `the body exceeds ${limit} bytes, the channel's maxMessageSize`);
    if (error instanceof BodyReadError) fail("malformed-request", error.message);
    throw error;
  }
}
