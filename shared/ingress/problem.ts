/**
 * RFC 9457 problem details: every error answer of the ingress is one of these, as
 * `application/problem+json`. `type` is a URN per kind of problem (listed in the README),
 * so clients can branch on it without parsing `detail`.
 */
import { escapeControlCharacters } from "../log-text.ts";
import type { Violation } from "../registry-snapshot/index.ts";

export type { Violation } from "../registry-snapshot/index.ts";

export const PROBLEM_JSON = "application/problem+json";

/** The kinds of problem the ingress reports, each with its HTTP status and title. */
export const PROBLEM_KINDS = {
  "route-not-found": { status: 404, title: "No such route" },
  "method-not-allowed": { status: 405, title: "Method not allowed" },
  unauthenticated: { status: 401, title: "Authentication required" },
  "identity-provider-unavailable": { status: 503, title: "Identity provider unavailable" },
  "channel-not-found": { status: 404, title: "No such channel" },
  forbidden: { status: 403, title: "Not a producer of this channel" },
  "unsupported-media-type": { status: 415, title: "Unsupported content type" },
  "content-too-large": { status: 413, title: "Message too large" },
  "malformed-request": { status: 400, title: "Malformed request" },
  "schema-violation": { status: 422, title: "Payload does not match the channel's schema" },
  "batch-invalid": { status: 422, title: "No item of the batch is valid" },
  "back-pressure": { status: 503, title: "The mesh is pushing back" },
  "no-consumer": { status: 503, title: "No consumer attached to the channel" },
  "no-route": { status: 503, title: "No route to the channel" },
  "mesh-unavailable": { status: 503, title: "No router reachable" },
  "deadline-exceeded": { status: 503, title: "No time left to publish" },
  "publish-timeout": { status: 504, title: "The router did not accept the message in time" },
  "publish-rejected": { status: 502, title: "The router rejected the message" },
  "link-refused": { status: 502, title: "The router refused the ingress's link" },
  internal: { status: 500, title: "Internal error" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemKind = keyof typeof PROBLEM_KINDS;

/** A problem details object (RFC 9457) with the ingress's extension members. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Schema violations (422), each with its JSON pointer. */
  errors?: Violation[];
  /** Per-item results of a batch that failed as a whole. */
  items?: ItemResult[];
  /** Seconds after which a retry may succeed (mirrors the Retry-After header). */
  retryAfter?: number;
}

/** The outcome of one item of a batch. */
export interface ItemResult {
  index: number;
  status: number;
  messageId?: string;
  problem?: Problem;
}

export function problemType(kind: ProblemKind): string {
  return `urn:amqp-mesh:problem:${kind}`;
}

export function problem(
  kind: ProblemKind,
  detail: string,
  extensions: Pick<Problem, "errors" | "items" | "retryAfter"> = {},
): Problem {
  const { status, title } = PROBLEM_KINDS[kind];
  // Details quote what callers sent (key names, header values): never a raw control character.
  const safe: Pick<Problem, "errors" | "items" | "retryAfter"> = { ...extensions };
  if (extensions.errors !== undefined)
    safe.errors = extensions.errors.map((v) => ({
      ...v,
      pointer: escapeControlCharacters(v.pointer),
      detail: escapeControlCharacters(v.detail),
    }));
  return {
    type: problemType(kind),
    title,
    status,
    detail: escapeControlCharacters(detail),
    ...safe,
  };
}

/** Thrown inside the request pipeline to answer with a problem; never leaves the ingress. */
export class ProblemError extends Error {
  readonly problem: Problem;
  /** Extra response headers (WWW-Authenticate, Allow, Retry-After). */
  readonly headers: Record<string, string>;
  constructor(problem: Problem, headers: Record<string, string> = {}) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.name = "ProblemError";
    this.problem = problem;
    this.headers = headers;
  }
}

export function fail(
  kind: ProblemKind,
  detail: string,
  extensions: Pick<Problem, "errors" | "items" | "retryAfter"> = {},
  headers: Record<string, string> = {},
): never {
  throw new ProblemError(problem(kind, detail, extensions), headers);
}

/** Retry-After in whole seconds, at least 1. */
export function retryAfterSeconds(ms: number | undefined): number {
  return Math.max(1, Math.ceil((ms ?? 1_000) / 1_000));
}
