/**
 * Who is calling: a principal of the registry, from (in this order) what the platform
 * already verified (API Gateway authorizer, App Service authentication), an API key
 * (`x-api-key`; Azure function keys count as API keys), or a JWT (`Authorization: Bearer`)
 * verified with jose. API keys are known only by their SHA-256 (they are long random
 * tokens, so a fast hash is enough); neither keys nor tokens ever reach a log or a problem.
 */
import { hash, randomBytes } from "node:crypto";
import type { JSONWebKeySet, JWTVerifyGetKey } from "jose";
import type { DeployedRegistry } from "../registry-snapshot/index.ts";
import { SettingsError } from "../settings/errors.ts";
import { fail, retryAfterSeconds } from "./problem.ts";

/** An API key as stored: the principal it stands for and the SHA-256 of the key (hex). */
export interface ApiKeyEntry {
  principal: string;
  sha256: string;
}

export interface JwtOptions {
  issuer: string;
  audience: string;
  /** The issuer's JWKS endpoint (keys fetched and cached by jose)... */
  jwksUrl?: string;
  /** ...or the keys themselves. */
  jwks?: JSONWebKeySet;
  /** Accepted signing algorithms (default RS256, ES256, EdDSA). */
  algorithms?: string[];
  /** The claim holding the registry principal (default `sub`). */
  principalClaim?: string;
  /** Clock skew allowed on exp/nbf, in seconds (default 30). */
  clockToleranceSeconds?: number;
  /**
   * Tokens must carry `exp`; with a maximum age, a token may carry `iat` instead and is
   * refused once older (a token with `exp` is held to both).
   */
  maxTokenAgeSeconds?: number;
  /** After a failed JWKS fetch, the endpoint is not asked again for this long (default 5 s), doubling up to `jwksMaxBackoffSeconds` (default 300 s). */
  jwksBackoffSeconds?: number;
  jwksMaxBackoffSeconds?: number;
}

export interface AuthOptions {
  apiKeys?: readonly ApiKeyEntry[];
  jwt?: JwtOptions;
  /**
   * Identity providers whose users a platform principal may come from (Azure App Service
   * authentication; default `aad`, Entra ID only). A provider whose user names users choose
   * themselves would let anyone sign up as a principal.
   */
  platformIdentityProviders?: readonly string[];
}

/** What an adapter hands over: the request's headers and what its platform verified. */
export interface CallerEvidence {
  headers: Readonly<Record<string, string | undefined>>;
  /** A principal name the platform authenticated; trusted as is. */
  platformPrincipal?: string | undefined;
  /** The identity provider the platform signed that principal in with, where it has several. */
  platformIdentityProvider?: string | undefined;
}

export interface Caller {
  principal: string;
  via: "platform" | "api-key" | "jwt";
}

/** A bad ingress auth configuration; names the entry at fault, never a secret. */
export class AuthConfigError extends SettingsError {
  override name = "AuthConfigError";
  constructor(message: string) {
    super(message);
  }
}

const API_KEY_PREFIX = "amk_";

let jwtModule: Promise<typeof import("./jwt.ts")> | undefined;

/**
 * jose is loaded by an ingress that accepts JWTs only, and then as soon as it is built: its
 * import costs a few ms of every cold start (it reads `navigator`, which loads Node's).
 */
function loadJwt(): Promise<typeof import("./jwt.ts")> {
  jwtModule ??= import("./jwt.ts");
  return jwtModule;
}

/** What jose's createLocalJWKSet accepts: `{ keys: [plain objects] }`. */
function isJwksLike(value: unknown): value is JSONWebKeySet {
  const isPlainObject = (v: unknown) =>
    typeof v === "object" && v !== null && Object.prototype.toString.call(v) === "[object Object]";
  return (
    isPlainObject(value) &&
    Array.isArray((value as { keys?: unknown }).keys) &&
    (value as { keys: unknown[] }).keys.every(isPlainObject)
  );
}

/** A new API key (shown once to its owner) and the entry to store for it. */
export function newApiKey(principal: string): { key: string; entry: ApiKeyEntry } {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
  return { key, entry: { principal, sha256: hashApiKey(key) } };
}

export function hashApiKey(key: string): string {
  // One-shot hash (UTF-8 of the string): a third of createHash's cost, paid on every request.
  return hash("sha256", key, "hex");
}

const CHALLENGE = { "www-authenticate": 'Bearer realm="amqp-mesh", ApiKey header="x-api-key"' };

/** Token problems the caller can fix (401); anything else from jose is ours (503). */
const TOKEN_ERRORS: Record<string, string> = {
  ERR_JWT_EXPIRED: "the token has expired",
  ERR_JWT_CLAIM_VALIDATION_FAILED: "a claim of the token is not as required",
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: "the token's signature does not verify",
  ERR_JWKS_NO_MATCHING_KEY: "no key of the issuer matches the token",
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: "the token does not say which of the issuer's keys signed it",
  ERR_JWS_INVALID: "the token is not a valid JWS",
  ERR_JWT_INVALID: "the token is not a valid JWT",
  ERR_JOSE_ALG_NOT_ALLOWED: "the token's algorithm is not accepted",
  ERR_JOSE_NOT_SUPPORTED: "the token uses an unsupported algorithm or key",
};

type VerifySettings = Required<
  Omit<
    JwtOptions,
    "jwksUrl" | "jwks" | "maxTokenAgeSeconds" | "jwksBackoffSeconds" | "jwksMaxBackoffSeconds"
  >
> & { maxTokenAgeSeconds: number | undefined };

export class CallerAuthenticator {
  private readonly keys = new Map<string, string>();
  private readonly jwt: { getKey: Promise<JWTVerifyGetKey>; options: VerifySettings } | undefined;

  private readonly registry: DeployedRegistry;
  private readonly identityProviders: ReadonlySet<string>;

  constructor(registry: DeployedRegistry, options: AuthOptions) {
    this.registry = registry;
    this.identityProviders = new Set(options.platformIdentityProviders ?? ["aad"]);
    (options.apiKeys ?? []).forEach((entry, i) => {
      if (!/^[0-9a-f]{64}$/.test(entry.sha256))
        throw new AuthConfigError(
          `API key ${i} (principal '${entry.principal}'): sha256 must be 64 lower-case hex digits`,
        );
      if (!registry.isPrincipal(entry.principal))
        throw new AuthConfigError(
          `API key ${i}: '${entry.principal}' is not a principal of any team in the registry`,
        );
      this.keys.set(entry.sha256, entry.principal);
    });
    const jwt = options.jwt;
    if (jwt !== undefined) {
      if ((jwt.jwksUrl === undefined) === (jwt.jwks === undefined))
        throw new AuthConfigError("JWT: give exactly one of jwksUrl and jwks");
      // Checked here, as jose would when its key set is made: a bad setting fails at init.
      const url = jwt.jwksUrl === undefined ? undefined : new URL(jwt.jwksUrl);
      const jwks = jwt.jwks === undefined ? undefined : structuredClone(jwt.jwks);
      if (url === undefined && !isJwksLike(jwks))
        throw new AuthConfigError("JWT: jwks must be a JSON Web Key Set, { keys: [ … ] }");
      const seconds = (value: number | undefined, fallback: number, name: string): number => {
        if (value === undefined) return fallback;
        if (!Number.isFinite(value) || value <= 0)
          throw new AuthConfigError(`JWT: ${name} must be a positive number of seconds`);
        return value;
      };
      const maxTokenAgeSeconds =
        jwt.maxTokenAgeSeconds === undefined
          ? undefined
          : seconds(jwt.maxTokenAgeSeconds, 0, "maxTokenAgeSeconds");
      const backoff = {
        initialMs: seconds(jwt.jwksBackoffSeconds, 5, "jwksBackoffSeconds") * 1_000,
        maxMs: seconds(jwt.jwksMaxBackoffSeconds, 300, "jwksMaxBackoffSeconds") * 1_000,
      };
      const getKey = loadJwt().then((j) => j.issuerKeys(url ?? (jwks as JSONWebKeySet), backoff));
      // Awaited by every JWT verification; a failed load is answered there (503).
      getKey.catch(() => {});
      this.jwt = {
        getKey,
        options: {
          issuer: jwt.issuer,
          audience: jwt.audience,
          algorithms: jwt.algorithms ?? ["RS256", "ES256", "EdDSA"],
          principalClaim: jwt.principalClaim ?? "sub",
          clockToleranceSeconds: jwt.clockToleranceSeconds ?? 30,
          maxTokenAgeSeconds,
        },
      };
    }
  }

  /**
   * The caller's registry principal; a 401 problem otherwise (503 if the issuer is down).
   * `registry`: the release the request is checked against (a live registry's current one).
   */
  async authenticate(
    evidence: CallerEvidence,
    registry: DeployedRegistry = this.registry,
  ): Promise<Caller> {
    if (evidence.platformPrincipal !== undefined) {
      const provider = evidence.platformIdentityProvider;
      if (provider !== undefined && !this.identityProviders.has(provider))
        fail(
          "unauthenticated",
          `the platform signed the caller in with identity provider '${provider}', which this ingress does not accept ` +
            `(accepted: ${[...this.identityProviders].join(", ") || "none"})`,
          {},
          CHALLENGE,
        );
      return {
        principal: this.known(registry, evidence.platformPrincipal, "the platform's principal"),
        via: "platform",
      };
    }
    const apiKey = evidence.headers["x-api-key"];
    if (apiKey !== undefined) {
      const principal = this.keys.get(hashApiKey(apiKey.trim()));
      if (principal === undefined)
        fail("unauthenticated", "the API key is not valid", {}, CHALLENGE);
      return { principal, via: "api-key" };
    }
    const authorization = evidence.headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (match === null)
        fail("unauthenticated", "the Authorization header must be 'Bearer <JWT>'", {}, CHALLENGE);
      return { principal: await this.verifyJwt(registry, match[1] as string), via: "jwt" };
    }
    return fail(
      "unauthenticated",
      "send an API key in x-api-key or a JWT in Authorization: Bearer",
      {},
      CHALLENGE,
    );
  }

  private known(registry: DeployedRegistry, principal: string, what: string): string {
    if (!registry.isPrincipal(principal))
      fail(
        "unauthenticated",
        `${what} '${principal}' is not a principal of the registry`,
        {},
        CHALLENGE,
      );
    return principal;
  }

  private async verifyJwt(registry: DeployedRegistry, token: string): Promise<string> {
    const jwt = this.jwt;
    if (jwt === undefined) fail("unauthenticated", "this ingress accepts no JWTs", {}, CHALLENGE);
    let claims: Record<string, unknown>;
    try {
      const { jwtVerify } = await loadJwt();
      const maxAge = jwt.options.maxTokenAgeSeconds;
      const result = await jwtVerify(token, await jwt.getKey, {
        issuer: jwt.options.issuer,
        audience: jwt.options.audience,
        algorithms: jwt.options.algorithms,
        clockTolerance: jwt.options.clockToleranceSeconds,
        // A token without an end is a principal's forever: exp, or iat under a maximum age.
        requiredClaims: [jwt.options.principalClaim, maxAge === undefined ? "exp" : "iat"],
        ...(maxAge === undefined ? {} : { maxTokenAge: maxAge }),
      });
      claims = result.payload;
    } catch (error) {
      const { IssuerKeysUnavailableError } = await loadJwt();
      if (error instanceof IssuerKeysUnavailableError) {
        const retryAfter = retryAfterSeconds(error.retryAfterMs);
        fail(
          "identity-provider-unavailable",
          `the token issuer's keys could not be fetched: ${error.message}; retry in ${retryAfter} s`,
          { retryAfter },
          { "retry-after": String(retryAfter) },
        );
      }
      const code = (error as { code?: unknown }).code;
      const reason = typeof code === "string" ? TOKEN_ERRORS[code] : undefined;
      if (reason !== undefined) {
        const claim = (error as { claim?: unknown }).claim;
        const why = (error as { reason?: unknown }).reason;
        const detail =
          why === "missing" && typeof claim === "string"
            ? `the token has no '${claim}' claim${claim === "exp" ? ": tokens must expire" : ""}`
            : claim === "iat" && code === "ERR_JWT_EXPIRED"
              ? `the token is older than ${jwt.options.maxTokenAgeSeconds} s ('iat')`
              : typeof claim === "string"
                ? `${reason} ('${claim}')`
                : reason;
        fail(
          "unauthenticated",
          detail,
          {},
          {
            "www-authenticate": `Bearer realm="amqp-mesh", error="invalid_token"`,
          },
        );
      }
      // The issuer's keys could not be fetched: not the caller's fault.
      fail(
        "identity-provider-unavailable",
        "the token issuer's keys could not be fetched; retry later",
        { retryAfter: 5 },
        { "retry-after": "5" },
      );
    }
    const principal = claims[jwt.options.principalClaim];
    if (typeof principal !== "string")
      fail(
        "unauthenticated",
        `the token's '${jwt.options.principalClaim}' claim is not a string`,
        {},
        CHALLENGE,
      );
    return this.known(registry, principal, `the token's subject`);
  }
}
