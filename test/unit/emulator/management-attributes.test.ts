/**
 * Attribute values of configuration entities as the routers' Python agent takes them from a
 * config file or a CREATE (emulator/management/schema.ts): booleans as schema.py's
 * BooleanType reads them (yes/no, true/false, on/off in any case), numbers where integers are
 * due, and a clear AttributeError naming the attribute for anything else — never another
 * kind of error.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AttributeError,
  type ConfigEntityType,
  ENTITY_TYPES,
  normaliseAttributes,
} from "../../../emulator/entities/schema.ts";

const vhost = (extra: Record<string, unknown>) =>
  normaliseAttributes("vhost", { hostname: "h", ...extra }, "qpid-dispatch");

describe("boolean attributes", () => {
  it("read yes/no, true/false and on/off in any case", () => {
    for (const [word, value] of [
      ["yes", true],
      ["No", false],
      ["TRUE", true],
      ["false", false],
      ["on", true],
      ["OFF", false],
    ] as const) {
      expect(vhost({ allowUnknownUser: word }).allowUnknownUser, word).toBe(value);
    }
  });

  it("take a number's truth and refuse other words, naming the attribute", () => {
    expect(vhost({ allowUnknownUser: 0 }).allowUnknownUser).toBe(false);
    expect(vhost({ allowUnknownUser: 2 }).allowUnknownUser).toBe(true);
    expect(() => vhost({ allowUnknownUser: "maybe" })).toThrow(
      new AttributeError("Invalid Boolean value 'maybe' for attribute 'allowUnknownUser'"),
    );
  });
});

describe("defaults and names", () => {
  it("fills the schemas' defaults and takes the schema's enableFallback for fallback", () => {
    const address = normaliseAttributes(
      "router.config.address",
      { prefix: "p", enableFallback: "yes" },
      "qpid-dispatch",
    );
    expect(address).toMatchObject({ distribution: "balanced", priority: -1, fallback: true });
    const listener = normaliseAttributes("listener", {}, "skupper-router");
    expect(listener).toMatchObject({ host: "", port: "amqp", role: "normal", maxFrameSize: 16384 });
  });

  it("refuses an attribute the type does not have, also one named like an object's own", () => {
    expect(() => vhost({ noSuch: 1 })).toThrow(AttributeError);
    expect(() => vhost({ constructor: 1 })).toThrow(AttributeError);
    expect(() => vhost({ allowUnknownUser: "constructor" })).toThrow(AttributeError);
  });
});

describe("any input (fast-check)", () => {
  const types = Object.keys(ENTITY_TYPES) as ConfigEntityType[];
  const value = fc.oneof(
    fc.string({ maxLength: 8 }),
    fc.constantFrom("toString", "constructor", "yes", "OFF"),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }),
    fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), { maxKeys: 2 }),
  );

  it("either normalises or throws an AttributeError with a message", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...types),
        fc.constantFrom("qpid-dispatch" as const, "skupper-router" as const),
        fc.dictionary(
          fc.oneof(
            fc.constantFrom(...Object.keys(ENTITY_TYPES.listener.attributes), "constructor"),
            fc.string(),
          ),
          value,
          { maxKeys: 5 },
        ),
        (type, flavour, input) => {
          try {
            const result = normaliseAttributes(type, input, flavour);
            expect(typeof result).toBe("object");
          } catch (error) {
            expect(error).toBeInstanceOf(AttributeError);
            expect((error as Error).message.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
