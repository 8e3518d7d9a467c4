import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type EntityAttributes,
  parseConfFile,
  parseJsonFile,
  type RouterConfig,
  RouterConfigParseError,
  RouterConfigRenderError,
  type RouterEntity,
  renderConfFile,
  renderJsonFile,
} from "../../../shared/router-config/index.ts";

/** Text a `.conf` value can hold: no quotes, backslashes, '#', braces or brackets; not padded. */
const confWord = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._/$:*-]{0,15}$/);
const confText = fc
  .tuple(confWord, fc.array(confWord, { maxLength: 3 }))
  .map(([first, rest]) => [first, ...rest].join(" "));
/** hostname/pattern keep '#' but only their first word is read. */
const hashWord = fc.stringMatching(/^[A-Za-z0-9#*$][A-Za-z0-9#*$./-]{0,15}$/);
/** JSON map content may hold anything JSON escapes, except ',' before a closing bracket. */
const jsonText = fc.string({ maxLength: 20 }).filter((s) => !/,\s*[\]}]/.test(JSON.stringify(s)));
const groups = fc.dictionary(
  fc.stringMatching(/^[$]?[a-z][a-z0-9-]{0,10}$/),
  fc.record({
    users: jsonText,
    sources: jsonText,
    maxMessageSize: fc.integer({ min: 0, max: 1 << 30 }),
    allowDynamicSource: fc.boolean(),
  }),
  { maxKeys: 4 },
);

const attributes: fc.Arbitrary<EntityAttributes> = fc
  .record(
    {
      name: confText,
      host: confWord,
      port: fc.integer({ min: 1, max: 65535 }).map(String),
      role: fc.constantFrom("normal", "inter-router", "edge", "route-container"),
      saslMechanisms: confText,
      cost: fc.integer({ min: 1, max: 1000 }),
      authenticatePeer: fc.boolean(),
      pattern: hashWord,
      hostname: hashWord,
      maxMessageSize: fc.nat(),
      groups,
    },
    { requiredKeys: [] },
  )
  .map((a) => a as EntityAttributes);

const entity: fc.Arbitrary<RouterEntity> = fc.record({
  type: fc.constantFrom(
    "listener",
    "connector",
    "sslProfile",
    "address",
    "linkRoute",
    "autoLink",
    "vhost",
    "policy",
    "log",
  ),
  attributes,
});

const config: fc.Arbitrary<RouterConfig> = fc
  .record({
    routerId: confWord,
    mode: fc.constantFrom("interior", "edge") as fc.Arbitrary<"interior" | "edge">,
    flavour: fc.constantFrom("qpid-dispatch", "skupper-router") as fc.Arbitrary<
      RouterConfig["flavour"]
    >,
    workerThreads: fc.integer({ min: 1, max: 64 }),
    entities: fc.array(entity, { maxLength: 6 }),
  })
  .map(({ routerId, mode, flavour, workerThreads, entities }) => ({
    routerId,
    mode,
    flavour,
    entities: [
      { type: "router" as const, attributes: { id: routerId, mode, workerThreads } },
      ...entities,
    ],
  }));

function parseError(run: () => unknown): RouterConfigParseError {
  try {
    run();
  } catch (error) {
    if (error instanceof RouterConfigParseError) return error;
    throw error;
  }
  throw new Error("expected a RouterConfigParseError");
}

describe("config file round trips", () => {
  it(".conf: parse(render(config)) is the config", () => {
    fc.assert(
      fc.property(config, (c) => {
        expect(parseConfFile(renderConfFile(c))).toEqual(c);
      }),
    );
  });

  it(".json: parse(render(config)) is the config", () => {
    fc.assert(
      fc.property(config, (c) => {
        expect(parseJsonFile(renderJsonFile(c))).toEqual(c);
      }),
    );
  });

  it("garbage never crashes the parsers with anything but a parse error", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        for (const parse of [parseConfFile, parseJsonFile]) {
          try {
            parse(text);
          } catch (error) {
            expect(error).toBeInstanceOf(RouterConfigParseError);
          }
        }
      }),
    );
  });
});

describe("parseConfFile reads the router's syntax", () => {
  const text = [
    "# a hand-written config",
    "router {",
    "    id: R1   # trailing comment",
    "    mode: interior",
    "    worker-threads: 8",
    "}",
    "",
    "listener {",
    "    port: amqp",
    "    authenticatePeer: yes",
    "}",
    "vhost {",
    "    hostname: tenant#1 ignored words",
    "    groups: {",
    '        "$default": {',
    '            "remoteHosts": "*",',
    '            "sources": "a#b, c"',
    "        }",
    "    }",
    "}",
  ].join("\n");

  it("handles comments, hyphenated keys, yes/no, '#' in hostname and JSON groups", () => {
    const parsed = parseConfFile(text);
    expect(parsed).toEqual({
      routerId: "R1",
      mode: "interior",
      flavour: "qpid-dispatch",
      entities: [
        { type: "router", attributes: { id: "R1", mode: "interior", workerThreads: 8 } },
        { type: "listener", attributes: { port: "amqp", authenticatePeer: true } },
        {
          type: "vhost",
          attributes: {
            hostname: "tenant#1",
            groups: { $default: { remoteHosts: "*", sources: "a#b, c" } },
          },
        },
      ],
    });
  });

  it("reads the flavour from the generated header, or takes it from the caller", () => {
    const header = "# amqp-mesh router config for R1 (skupper-router); generated, do not edit\n";
    expect(parseConfFile(header + text).flavour).toBe("skupper-router");
    expect(parseConfFile(text, { flavour: "skupper-router" }).flavour).toBe("skupper-router");
  });
});

describe("parse errors name the line", () => {
  const router = "router {\n    id: R\n    mode: edge\n}\n";

  it.each([
    [`${router}bogus {\n}\n`, 5, "unknown section 'bogus'"],
    [`${router}address {\n    prefix: a\n`, 5, "section 'address' is never closed"],
    [`${router}listener {\n    cost: cheap\n}\n`, 6, "'cost' must be an integer, not 'cheap'"],
    [`${router}listener {\n    port: 1\n    port: 2\n}\n`, 7, "'port' is set twice"],
    [`${router}listener {\n    just words\n}\n`, 6, "expected 'name: value' or '}'"],
    [
      `${router}vhost {\n    groups: {\n        "a": nope,\n    }\n}\n`,
      6,
      "'groups' is not valid JSON",
    ],
    [`${router}address {\n    prefix: {\n    }\n}\n`, 6, "'prefix' cannot hold a map"],
    ["port: 1\n", 1, "expected a section"],
  ])("conf %#", (input, line, message) => {
    const error = parseError(() => parseConfFile(input));
    expect(error.line).toBe(line);
    expect(error.message).toContain(message);
  });

  it("conf without a router section", () => {
    expect(parseError(() => parseConfFile("address {\n}\n")).message).toContain(
      "expected exactly one router section, found 0",
    );
  });

  it.each([
    ['[\n  ["router", {"id": "R", "mode": "edge"}],\n  ["address" {}]\n]', 3, "not valid JSON"],
    ['[\n  ["router", {"id": "R", "mode": "edge"}],\n  ["address"]\n]', 3, "entry 2 is not a"],
    [
      '# c\n[\n  ["router", {"id": "R", "mode": "edge"}],\n  ["listener", {"port": 1, "cost": "x"}]\n]',
      4,
      "'cost' must be an integer",
    ],
    ['[["router", {"id": "R", "mode": "edge"}], ["bogus", {}]]', 1, "unknown section 'bogus'"],
  ])("json %#", (input, line, message) => {
    const error = parseError(() => parseJsonFile(input));
    expect(error.line).toBe(line);
    expect(error.message).toContain(message);
  });

  it("json accepts fully qualified and router.config section names", () => {
    const parsed = parseJsonFile(
      '[["router", {"id": "R", "mode": "edge"}], ["router.config.address", {"prefix": "a"}], ["io.skupper.router.router.config.autoLink", {"address": "b", "direction": "in"}]]',
    );
    expect(parsed.entities.map((e) => e.type)).toEqual(["router", "address", "autoLink"]);
  });
});

describe("renderConfFile refuses what the router would misread", () => {
  const base: RouterConfig = {
    routerId: "R",
    mode: "edge",
    flavour: "qpid-dispatch",
    entities: [{ type: "router", attributes: { id: "R", mode: "edge" } }],
  };
  const withAddress = (attributes: EntityAttributes): RouterConfig => ({
    ...base,
    entities: [...base.entities, { type: "address", attributes }],
  });

  it.each([
    [{ prefix: "a#b" }, "'#' starts a comment"],
    [{ prefix: 'say "hi"' }, "quotes, backslashes"],
    [{ prefix: " padded" }, "empty or padded"],
    [{ pattern: "a b" }, "only the first word"],
    [{ prefix: { a: 1 } }, "maps only for groups and openProperties"],
  ])("%o", (attributes, message) => {
    expect(() => renderConfFile(withAddress(attributes as EntityAttributes))).toThrow(
      RouterConfigRenderError,
    );
    expect(() => renderConfFile(withAddress(attributes as EntityAttributes))).toThrow(message);
  });
});

describe("parsers on damaged real files (fuzz)", () => {
  const sample: RouterConfig = {
    routerId: "R",
    mode: "interior",
    flavour: "qpid-dispatch",
    entities: [
      { type: "router", attributes: { id: "R", mode: "interior", workerThreads: 4 } },
      {
        type: "listener",
        attributes: { name: "l", host: "0.0.0.0", port: "5672", authenticatePeer: false },
      },
      {
        type: "vhost",
        attributes: {
          name: "v",
          hostname: "$default",
          groups: { g: { users: "a, b", sources: "x, x/*" } },
        },
      },
      { type: "address", attributes: { name: "a", prefix: "x", distribution: "closest" } },
    ],
  };

  it.each([
    ["conf", renderConfFile(sample), parseConfFile],
    ["json", renderJsonFile(sample), parseJsonFile],
  ] as const)(
    "%s: dropping, repeating or cutting lines gives a config or a parse error",
    (_, text, parse) => {
      const lines = text.split("\n");
      const edit = fc.record({
        at: fc.nat({ max: lines.length - 1 }),
        op: fc.constantFrom("drop", "repeat", "cut"),
        keep: fc.nat({ max: 40 }),
      });
      fc.assert(
        fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
          const damaged = [...lines];
          for (const { at, op, keep } of edits) {
            const index = Math.min(at, damaged.length - 1);
            if (op === "drop") damaged.splice(index, 1);
            else if (op === "repeat") damaged.splice(index, 0, damaged[index] ?? "");
            else damaged[index] = (damaged[index] ?? "").slice(0, keep);
          }
          try {
            parse(damaged.join("\n"));
          } catch (error) {
            expect(error).toBeInstanceOf(RouterConfigParseError);
          }
        }),
      );
    },
  );
});
