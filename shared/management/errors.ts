/**
 * Typed errors of router management. Every one names the request (operation, entity type,
 * name) and the router it went to (its URL without credentials), and says what to do.
 */

export interface ManagementRequestInfo {
  operation: string;
  /** The fully qualified entity type, when the request named one. */
  entityType?: string | undefined;
  name?: string | undefined;
  /** Where the request went, without credentials. */
  router?: string | undefined;
}

function describeRequest(info: ManagementRequestInfo): string {
  const what = [info.operation, info.entityType, info.name === undefined ? "" : `'${info.name}'`]
    .filter((part) => part !== undefined && part !== "")
    .join(" ");
  return info.router === undefined ? what : `${what} at ${info.router}`;
}

/** Base of every management error. */
export class ManagementError extends Error {
  override name = "ManagementError";
  readonly operation: string;
  readonly entityType: string | undefined;
  readonly entityName: string | undefined;
  readonly router: string | undefined;
  /** What to do about it. */
  readonly hint: string;

  constructor(info: ManagementRequestInfo, problem: string, hint: string, cause?: unknown) {
    super(`${describeRequest(info)}: ${problem} (${hint})`, cause === undefined ? {} : { cause });
    this.operation = info.operation;
    this.entityType = info.entityType;
    this.entityName = info.name;
    this.router = info.router;
    this.hint = hint;
  }
}

/** The router answered with a status code outside 2xx; `statusDescription` is the router's. */
export class ManagementStatusError extends ManagementError {
  override name = "ManagementStatusError";
  readonly statusCode: number;
  readonly statusDescription: string;

  constructor(info: ManagementRequestInfo, statusCode: number, description: string, hint: string) {
    super(info, `${statusCode} ${description === "" ? "(no description)" : description}`, hint);
    this.statusCode = statusCode;
    this.statusDescription = description;
  }
}

/** 400: the router refused the request as given (unknown attribute, a name or prefix taken…). */
export class ManagementBadRequestError extends ManagementStatusError {
  override name = "ManagementBadRequestError";
}

/** 401/403: the router will not do this (e.g. READ of qdrouterd's router entity). */
export class ManagementForbiddenError extends ManagementStatusError {
  override name = "ManagementForbiddenError";
}

/** 404: no entity of that name (or of that type with that name). */
export class ManagementNotFoundError extends ManagementStatusError {
  override name = "ManagementNotFoundError";
}

/** 501: the type has no such operation (qdrouterd's sslProfile UPDATE, policy UPDATE…). */
export class ManagementNotImplementedError extends ManagementStatusError {
  override name = "ManagementNotImplementedError";
}

/** 5xx other than 501: the router failed while doing it. */
export class ManagementServerError extends ManagementStatusError {
  override name = "ManagementServerError";
}

function hintFor(statusCode: number, description: string): string {
  if (
    statusCode === 400 &&
    /conflicts with an existing|Duplicate value|Already exists/i.test(description)
  )
    return "an entity of that name, or for that prefix, is already there: delete it first or pick another";
  if (
    statusCode === 400 &&
    /Unknown attribute|Cannot set attribute|Cannot update attribute/i.test(description)
  )
    return "send only attributes the router's schema lets this operation set";
  if (statusCode === 400 && /No such entity type/i.test(description))
    return "name the type fully qualified for the router's flavour";
  if (statusCode === 400) return "fix the request as the router's description says";
  if (statusCode === 401 || statusCode === 403)
    return "the router does not allow this operation on this entity";
  if (statusCode === 404) return "check the name and the type; READ or QUERY lists what exists";
  if (statusCode === 501)
    return "the type has no such operation on this router: for a change without UPDATE, DELETE and CREATE the entity";
  return "see the router's log for the cause";
}

/** The typed error for a status code outside 2xx. */
export function statusError(
  info: ManagementRequestInfo,
  statusCode: number,
  description: string,
): ManagementStatusError {
  const hint = hintFor(statusCode, description);
  if (statusCode === 400) return new ManagementBadRequestError(info, statusCode, description, hint);
  if (statusCode === 401 || statusCode === 403)
    return new ManagementForbiddenError(info, statusCode, description, hint);
  if (statusCode === 404) return new ManagementNotFoundError(info, statusCode, description, hint);
  if (statusCode === 501)
    return new ManagementNotImplementedError(info, statusCode, description, hint);
  if (statusCode >= 500) return new ManagementServerError(info, statusCode, description, hint);
  return new ManagementStatusError(info, statusCode, description, hint);
}

/**
 * No reply in time. `neverAnswered`: a request real routers drop without a word (the C core
 * has an empty case for it: UPDATE of address, linkRoute, autoLink; CREATE of connection,
 * router.address, router.link), so waiting longer would not help.
 */
export class ManagementNoReplyError extends ManagementError {
  override name = "ManagementNoReplyError";
  readonly timeoutMs: number;
  readonly neverAnswered: boolean;

  constructor(
    info: ManagementRequestInfo,
    timeoutMs: number,
    neverAnswered: boolean,
    cause?: unknown,
  ) {
    super(
      info,
      neverAnswered
        ? `no reply within ${timeoutMs} ms; qdrouterd 1.19 and skupper-router 3.5 never answer this request`
        : `no reply within ${timeoutMs} ms`,
      neverAnswered
        ? info.operation === "UPDATE"
          ? "the type has no UPDATE: DELETE the entity and CREATE it with the new attributes"
          : "runtime entities cannot be created over management"
        : "the router may be overloaded or the connection slow: retry, or raise the timeout",
      cause,
    );
    this.timeoutMs = timeoutMs;
    this.neverAnswered = neverAnswered;
  }
}

/** The router could not be reached (TCP, TLS, SASL, or the connection was lost). */
export class ManagementUnreachableError extends ManagementError {
  override name = "ManagementUnreachableError";
}

/**
 * The router let the principal in but not at `$management` (or not a dynamic reply
 * receiver): its vhost policy does not list the principal.
 */
export class ManagementAccessError extends ManagementError {
  override name = "ManagementAccessError";
  readonly condition: string | undefined;

  constructor(
    info: ManagementRequestInfo,
    problem: string,
    hint: string,
    condition: string | undefined,
    cause?: unknown,
  ) {
    super(info, problem, hint, cause);
    this.condition = condition;
  }
}

/** The reply does not have the shape the operation answers with. */
export class ManagementProtocolError extends ManagementError {
  override name = "ManagementProtocolError";
}

/** A type the flavour does not have, or a type name amqp-mesh does not know. */
export class ManagementTypeError extends Error {
  override name = "ManagementTypeError";
  readonly hint: string;

  constructor(problem: string, hint: string) {
    super(`${problem} (${hint})`);
    this.hint = hint;
  }
}
