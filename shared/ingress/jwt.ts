/**
 * JWT verification with jose, in a module of its own: auth.ts imports it only when the
 * ingress accepts JWTs, so an ingress of API keys never spends its cold start on jose.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";

/** The issuer's keys: fetched from its JWKS endpoint (and cached by jose), or given inline. */
export function issuerKeys(source: URL | JSONWebKeySet): JWTVerifyGetKey {
  return source instanceof URL ? createRemoteJWKSet(source) : createLocalJWKSet(source);
}

export { jwtVerify };
