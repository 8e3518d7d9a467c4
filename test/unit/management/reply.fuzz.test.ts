/**
 * The reply boundary under arbitrary input: whatever a peer sends as application properties
 * and body, reading it either returns the body (for a 2xx) or throws a ManagementError —
 * never a TypeError or anything untyped.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ManagementError, replyBody } from "../../../shared/management/index.ts";
import {
  entitiesOfQuery,
  parseBody,
  queryBodySchema,
  typesBodySchema,
} from "../../../shared/management/reply.ts";

const info = { operation: "QUERY", entityType: "org.apache.qpid.dispatch.vhost" };

const status = fc.oneof(
  fc.integer({ min: -5, max: 700 }),
  fc.string(),
  fc.constantFrom("200", "404", "x"),
  fc.anything(),
);

describe("reply fuzz", () => {
  it("any properties and body: a body for 2xx, else a ManagementError", () => {
    fc.assert(
      fc.property(
        status,
        fc.option(fc.anything()),
        fc.anything(),
        (statusCode, statusDescription, body) => {
          const properties = {
            statusCode,
            ...(statusDescription === null ? {} : { statusDescription }),
          };
          try {
            const result = replyBody(info, { applicationProperties: properties, body });
            const code = Number(statusCode);
            expect(code >= 200 && code < 300).toBe(true);
            expect(result).toBe(body);
          } catch (error) {
            expect(error).toBeInstanceOf(ManagementError);
          }
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it("any QUERY body: entities with one attribute per name, or a ManagementError", () => {
    const queryish = fc.oneof(
      fc.anything(),
      fc.record({
        attributeNames: fc.array(fc.string(), { maxLength: 5 }),
        results: fc.array(fc.array(fc.anything(), { maxLength: 5 }), { maxLength: 5 }),
      }),
    );
    fc.assert(
      fc.property(queryish, (body) => {
        try {
          const parsed = parseBody(info, queryBodySchema, body);
          for (const entity of entitiesOfQuery("vhost", parsed))
            expect(Object.keys(entity.attributes).length).toBeLessThanOrEqual(
              parsed.attributeNames.length,
            );
        } catch (error) {
          expect(error).toBeInstanceOf(ManagementError);
        }
        try {
          parseBody(info, typesBodySchema, body);
        } catch (error) {
          expect(error).toBeInstanceOf(ManagementError);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
