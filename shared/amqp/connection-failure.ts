/**
 * Why a connection attempt failed, in words the user can act on: refused, timed out, host not
 * found, TLS (with the certificate problem), the SASL outcome with the mechanism and user name
 * (never the password), or the router's close condition (a policy denial). Authentication and
 * authorization denials are final: retrying the same login only hammers the router.
 */
import { type ConnectionFailureCause, conditionText } from "./errors.ts";
import { amqpErrorFields } from "./rhea.ts";

/** Who the attempt logged in as: the mechanism and the user name (no password). */
export interface Login {
  mechanism: string;
  username: string | undefined;
}

/** AMQP SASL outcome codes (AMQP 1.0 §5.3.3.6) and whether each is final. */
const SASL_OUTCOMES: Record<string, { name: string; final: boolean; meaning: string }> = {
  "1": { name: "auth", final: true, meaning: "wrong user name or password, or unknown user" },
  "2": { name: "sys", final: false, meaning: "a system error at the router" },
  "3": { name: "sys-perm", final: true, meaning: "a permanent system error at the router" },
  "4": { name: "sys-temp", final: false, meaning: "a temporary system error at the router" },
};

const TLS_CERTIFICATE_CODE =
  /^(UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_|CERT_|ERR_TLS_CERT_|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE)/;

function loginText(login: Login): string {
  return login.username === undefined
    ? `SASL ${login.mechanism}`
    : `SASL ${login.mechanism} as '${login.username}'`;
}

/** A socket-level error (Node errno or TLS), or undefined when `error` is not one. */
function socketFailure(error: unknown, where: string): ConnectionFailureCause | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = String((error as NodeJS.ErrnoException).code ?? "");
  // OpenSSL's messages end in a line break: one line.
  const message =
    String(error.message).replace(/\s+/g, " ").trim() || "the connection failed without a reason";
  if (code === "ECONNREFUSED")
    return {
      kind: "refused",
      reason: `connection refused: nothing listens on ${where}`,
      final: false,
    };
  if (code === "ETIMEDOUT")
    return { kind: "timed-out", reason: `TCP connect to ${where} timed out`, final: false };
  if (code === "ENOTFOUND" || code === "EAI_AGAIN")
    return { kind: "host-not-found", reason: `host not found (${code}): ${message}`, final: false };
  if (TLS_CERTIFICATE_CODE.test(code))
    return { kind: "tls", reason: `TLS: certificate problem: ${message} (${code})`, final: false };
  if (code.startsWith("ERR_SSL_") || /SSL|TLS/.test(message))
    return {
      kind: "tls",
      reason: `TLS handshake failed: ${message}${code ? ` (${code})` : ""}`,
      final: false,
    };
  if (code === "ECONNRESET" || code === "EPIPE")
    return {
      kind: "reset",
      reason: `connection reset by ${where} (${code}; a TLS listener reached without TLS, or the router went away)`,
      final: false,
    };
  return { kind: "other", reason: code ? `${message} (${code})` : message, final: false };
}

/**
 * The cause of an attempt that failed with `error` (what rhea or the socket reported: an
 * Error, or an AMQP error with condition and description), at `where` (host:port).
 */
export function connectionFailure(
  error: unknown,
  where: string,
  login: Login,
  /** The attempt was over TLS and never opened: a bare close is then the handshake's. */
  inTlsHandshake = false,
): ConnectionFailureCause {
  const fields = amqpErrorFields(error);
  const description =
    fields.description ?? (error instanceof Error ? error.message : undefined) ?? "";
  // rhea: sasl_failed("Failed to authenticate: <code>") / "No suitable mechanism; server supports …".
  const outcome = /^Failed to authenticate: (\d+)/.exec(description)?.[1];
  if (outcome !== undefined) {
    const known = SASL_OUTCOMES[outcome];
    return {
      kind: "authentication",
      reason: `${loginText(login)} refused: SASL outcome ${known?.name ?? outcome}${known ? ` (${known.meaning})` : ""}`,
      final: known?.final ?? true,
    };
  }
  const offered = /^No suitable mechanism; server supports (.*)$/.exec(description)?.[1];
  if (offered !== undefined)
    return {
      kind: "authentication",
      reason: `${loginText(login)} impossible: the router offers only ${offered.trim() || "no mechanism"}`,
      final: true,
    };
  if (/^SASL /.test(description))
    return {
      kind: "authentication",
      reason: `${loginText(login)} failed: ${description}`,
      final: true,
    };
  const socket = fields.condition === undefined ? socketFailure(error, where) : undefined;
  if (socket !== undefined) return socket;
  const condition = fields.condition ?? "";
  const text = conditionText(fields) || "closed by the router without a reason";
  if (
    condition === "amqp:unauthorized-access" ||
    /disallowed by (local )?policy/i.test(description)
  )
    return {
      kind: "authorization",
      reason: `the router denied ${loginText(login)} by policy: ${text}`,
      final: true,
    };
  if (condition === "amqp:resource-limit-exceeded")
    return {
      kind: "policy-limit",
      reason: `the router's limit was reached: ${text}`,
      final: false,
    };
  if (error === undefined && inTlsHandshake)
    return {
      kind: "tls",
      reason: `${where} closed the connection during the TLS handshake (is it a TLS listener, and does it accept this client's certificate?)`,
      final: false,
    };
  if (error === undefined)
    return { kind: "closed-by-router", reason: "connection closed", final: false };
  return { kind: "closed-by-router", reason: `closed by the router: ${text}`, final: false };
}

/** The attempt did not open within the connect timeout. */
export function connectTimeout(ms: number, where: string): ConnectionFailureCause {
  return {
    kind: "timed-out",
    reason: `no AMQP open from ${where} within ${ms} ms (TCP, TLS, SASL and open together)`,
    final: false,
  };
}
