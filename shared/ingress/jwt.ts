/**
 * JWT verification with jose, in a module of its own: auth.ts imports it only when the
 * ingress accepts JWTs, so an ingress of API keys never spends its cold start on jose. A
 * JWKS endpoint that fails is not asked again until a backoff window has passed (doubling
 * while it keeps failing): a broken issuer costs one fetch per window, not one per request.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";

/** The issuer's keys could not be fetched; says why and when it will be asked again. */
export class IssuerKeysUnavailableError extends Error {
  readonly retryAfterMs: number;
  constructor(reason: string, retryAfterMs: number) {
    super(reason);
    this.name = "IssuerKeysUnavailableError";
    this.retryAfterMs = retryAfterMs;
  }
}

export interface KeyFetchBackoff {
  /** The first window after a failed fetch (ms); doubles while fetches keep failing. */
  initialMs: number;
  /** The longest window (ms). */
  maxMs: number;
}

/** Failures of the token itself (jose's codes): the caller's to fix, never the issuer's. */
const TOKEN_CODES = new Set([
  "ERR_JWKS_NO_MATCHING_KEY",
  "ERR_JWKS_MULTIPLE_MATCHING_KEYS",
  "ERR_JOSE_ALG_NOT_ALLOWED",
  "ERR_JOSE_NOT_SUPPORTED",
  "ERR_JWS_INVALID",
  "ERR_JWT_INVALID",
]);

function fetchFailure(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ERR_JWKS_TIMEOUT") return "its JWKS endpoint did not answer in time";
  if (code === "ERR_JWKS_INVALID") return "its JWKS endpoint did not send a JSON Web Key Set";
  if (code === "ERR_JOSE_GENERIC") return `its JWKS endpoint failed: ${(error as Error).message}`;
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return `its JWKS endpoint could not be reached${typeof cause === "string" ? ` (${cause})` : ""}`;
}

/** A remote key set that remembers a failed fetch for a backoff window. */
function remoteKeysWithBackoff(url: URL, backoff: KeyFetchBackoff): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(url);
  let failed: { until: number; windowMs: number; reason: string } | undefined;
  return async (header, token) => {
    if (failed !== undefined && Date.now() < failed.until)
      throw new IssuerKeysUnavailableError(failed.reason, failed.until - Date.now());
    try {
      const key = await remote(header, token);
      failed = undefined;
      return key;
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (typeof code === "string" && TOKEN_CODES.has(code)) throw error;
      const windowMs =
        failed === undefined ? backoff.initialMs : Math.min(backoff.maxMs, failed.windowMs * 2);
      // Requests that waited on the same fetch all land here: the window starts once.
      if (failed === undefined || Date.now() >= failed.until)
        failed = { until: Date.now() + windowMs, windowMs, reason: fetchFailure(error) };
      throw new IssuerKeysUnavailableError(failed.reason, failed.until - Date.now());
    }
  };
}

/** The issuer's keys: fetched from its JWKS endpoint (cached by jose, failures backed off), or given inline. */
export function issuerKeys(source: URL | JSONWebKeySet, backoff: KeyFetchBackoff): JWTVerifyGetKey {
  return source instanceof URL ? remoteKeysWithBackoff(source, backoff) : createLocalJWKSet(source);
}

export { jwtVerify };
