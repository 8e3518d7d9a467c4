/**
 * The cause the client gives a failed connection attempt, for what rhea and Node report (the
 * shapes seen from real routers and sockets), and for anything at all (fuzz): always a kind and
 * a sentence, final only when retrying the same login cannot succeed.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { connectionFailure } from "../../../shared/amqp/connection-failure.ts";

const login = { mechanism: "PLAIN", username: "alice" };
const where = "127.0.0.1:5672";

function errno(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe("connectionFailure", () => {
  it.each([
    // rhea's sasl_failed: the outcome code in its text, condition amqp:unauthorized-access.
    [
      { condition: "amqp:unauthorized-access", description: "Failed to authenticate: 1" },
      "authentication",
      true,
      /SASL PLAIN as 'alice' refused: SASL outcome auth/,
    ],
    [
      { condition: "amqp:internal-error", description: "Failed to authenticate: 4" },
      "authentication",
      false,
      /outcome sys-temp/,
    ],
    [
      {
        condition: "amqp:unauthorized-access",
        description: "No suitable mechanism; server supports ANONYMOUS",
      },
      "authentication",
      true,
      /offers only ANONYMOUS/,
    ],
    // The routers' vhost policy closes a connection it does not allow with this condition.
    [
      {
        condition: "amqp:resource-limit-exceeded",
        description: "connection disallowed by local policy",
      },
      "authorization",
      true,
      /denied SASL PLAIN as 'alice' by policy: amqp:resource-limit-exceeded: connection disallowed/,
    ],
    [
      { condition: "amqp:resource-limit-exceeded", description: "too many connections" },
      "policy-limit",
      false,
      /limit was reached/,
    ],
    [
      { condition: "amqp:connection:forced", description: "router shutting down" },
      "closed-by-router",
      false,
      /closed by the router: amqp:connection:forced/,
    ],
    [
      errno("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5672"),
      "refused",
      false,
      /connection refused: nothing listens on 127\.0\.0\.1:5672/,
    ],
    [
      errno("ENOTFOUND", "getaddrinfo ENOTFOUND nowhere"),
      "host-not-found",
      false,
      /host not found/,
    ],
    [
      errno("SELF_SIGNED_CERT_IN_CHAIN", "self-signed certificate in certificate chain"),
      "tls",
      false,
      /TLS: certificate problem: self-signed certificate in certificate chain \(SELF_SIGNED_CERT_IN_CHAIN\)/,
    ],
    [
      errno("ERR_SSL_WRONG_VERSION_NUMBER", "wrong version number"),
      "tls",
      false,
      /TLS handshake failed/,
    ],
    [errno("ECONNRESET", "read ECONNRESET"), "reset", false, /connection reset/],
    [undefined, "closed-by-router", false, /connection closed/],
  ])("%j → %s", (error, kind, final, reason) => {
    const cause = connectionFailure(error, where, login);
    expect(cause.kind).toBe(kind);
    expect(cause.final).toBe(final);
    expect(cause.reason).toMatch(reason);
  });

  it("a bare close during a TLS handshake says so (qdrouterd closes a plain listener's TLS client)", () => {
    const cause = connectionFailure(undefined, where, login, true);
    expect(cause).toMatchObject({ kind: "tls", final: false });
    expect(cause.reason).toMatch(/closed the connection during the TLS handshake/);
  });

  it("a multi-line OpenSSL message becomes one line", () => {
    const cause = connectionFailure(
      errno("ERR_SSL_WRONG_VERSION_NUMBER", "error:0A00010B:wrong version number:\n"),
      where,
      login,
    );
    expect(cause.reason).toBe(
      "TLS handshake failed: error:0A00010B:wrong version number: (ERR_SSL_WRONG_VERSION_NUMBER)",
    );
  });

  it("anything reported gives a cause: a kind and a sentence, never a throw", () => {
    const anything = fc.oneof(
      fc.anything(),
      fc.record({ condition: fc.option(fc.string()), description: fc.option(fc.string()) }),
      fc
        .tuple(fc.string(), fc.string())
        .map(([code, message]) => Object.assign(new Error(message), { code })),
      fc.nat(9).map((n) => ({
        condition: "amqp:unauthorized-access",
        description: `Failed to authenticate: ${n}`,
      })),
    );
    fc.assert(
      fc.property(anything, fc.option(fc.string()), (error, username) => {
        const cause = connectionFailure(error, where, {
          mechanism: "PLAIN",
          username: username ?? undefined,
        });
        expect(typeof cause.reason).toBe("string");
        expect(cause.reason.length).toBeGreaterThan(0);
        if (cause.final) expect(["authentication", "authorization"]).toContain(cause.kind);
      }),
      { numRuns: 2_000 },
    );
  });
});
