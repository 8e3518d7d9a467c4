/**
 * Replies to management requests: status codes to typed errors with the router's own
 * description, bodies checked by shape; the replies the real routers gave (recorded in
 * test/fixtures/real-router-captures) all read without a protocol error.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  ManagementBadRequestError,
  type ManagementError,
  ManagementForbiddenError,
  ManagementNotFoundError,
  ManagementNotImplementedError,
  ManagementProtocolError,
  ManagementServerError,
  ManagementStatusError,
  replyBody,
} from "../../../shared/management/index.ts";

const info = {
  operation: "UPDATE",
  entityType: "org.apache.qpid.dispatch.sslProfile",
  name: "amqp-mesh/tls/x",
  router: "amqp://r:5672",
};

function reply(statusCode: unknown, statusDescription?: unknown, body: unknown = {}) {
  return {
    applicationProperties: {
      statusCode,
      ...(statusDescription === undefined ? {} : { statusDescription }),
    },
    body,
  };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("status codes", () => {
  it("returns the body of any 2xx", () => {
    for (const code of [200, 201, 204])
      expect(replyBody(info, reply(code, "OK", { a: 1 }))).toEqual({ a: 1 });
    expect(replyBody(info, reply("201", "Created", { a: 2 }))).toEqual({ a: 2 });
  });

  const cases: Array<[number, new (...args: never[]) => ManagementStatusError, string]> = [
    [
      400,
      ManagementBadRequestError,
      "Unknown attribute 'bogus' for 'org.apache.qpid.dispatch.vhost'",
    ],
    [401, ManagementForbiddenError, "Unauthorized"],
    [403, ManagementForbiddenError, "Forbidden"],
    [404, ManagementNotFoundError, "No entity with name=missing"],
    [
      501,
      ManagementNotImplementedError,
      "Operation 'UPDATE' not implemented for 'org.apache.qpid.dispatch.sslProfile' ['CREATE', 'DELETE', 'READ']",
    ],
    [500, ManagementServerError, "internal error"],
    [503, ManagementServerError, "busy"],
  ];
  for (const [code, type, description] of cases) {
    it(`${code} is a ${type.name} carrying the router's description and what to do`, () => {
      const error = thrown(() =>
        replyBody(info, reply(code, description)),
      ) as ManagementStatusError;
      expect(error).toBeInstanceOf(type);
      expect(error.statusCode).toBe(code);
      expect(error.statusDescription).toBe(description);
      expect(error.message).toContain(description);
      expect(error.message).toContain(
        "UPDATE org.apache.qpid.dispatch.sslProfile 'amqp-mesh/tls/x' at amqp://r:5672",
      );
      expect(error.hint.length).toBeGreaterThan(10);
    });
  }

  it("a 501 says to delete and create instead", () => {
    const error = thrown(() => replyBody(info, reply(501, "not implemented"))) as ManagementError;
    expect(error.hint).toMatch(/DELETE and CREATE/);
  });

  it("a taken name says so", () => {
    const error = thrown(() =>
      replyBody(info, reply(400, "Name conflicts with an existing entity")),
    ) as ManagementError;
    expect(error.hint).toMatch(/already there/);
  });

  it("an unusual status outside 2xx is still a status error", () => {
    const error = thrown(() => replyBody(info, reply(302, "Found")));
    expect(error).toBeInstanceOf(ManagementStatusError);
  });

  it("a reply without a status is a protocol error", () => {
    expect(thrown(() => replyBody(info, { applicationProperties: {}, body: {} }))).toBeInstanceOf(
      ManagementProtocolError,
    );
    expect(thrown(() => replyBody(info, reply("two hundred")))).toBeInstanceOf(
      ManagementProtocolError,
    );
    expect(thrown(() => replyBody(info, reply(200.5)))).toBeInstanceOf(ManagementProtocolError);
  });
});

describe("the real routers' recorded replies", () => {
  for (const file of ["qdrouterd-1.19.0.jsonl", "skupper-router-3.5.1.jsonl"]) {
    it(`every reply of ${file} reads as a status and a body`, () => {
      const lines = readFileSync(`test/fixtures/real-router-captures/${file}`, "utf8")
        .trim()
        .split("\n");
      let ok = 0;
      let failed = 0;
      for (const line of lines) {
        const exchange = JSON.parse(line) as {
          request: { application_properties: Record<string, unknown> };
          reply: { application_properties: Record<string, unknown>; body: unknown };
        };
        const request = { operation: String(exchange.request.application_properties.operation) };
        const code = Number(exchange.reply.application_properties.statusCode);
        try {
          replyBody(request, {
            applicationProperties: exchange.reply.application_properties,
            body: exchange.reply.body,
          });
          ok++;
          expect(code).toBeGreaterThanOrEqual(200);
          expect(code).toBeLessThan(300);
        } catch (error) {
          failed++;
          expect(error).toBeInstanceOf(ManagementStatusError);
          expect((error as ManagementStatusError).statusCode).toBe(code);
        }
      }
      expect(ok).toBeGreaterThan(20);
      expect(ok + failed).toBe(lines.length);
    });
  }
});
