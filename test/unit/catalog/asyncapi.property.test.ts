/**
 * Generated registries (small: up to 8 channels over 3 teams, random schemas, parties,
 * environments, routing) over generated topologies: every team document passes the AsyncAPI
 * parser and holds exactly its team's channels and one operation per producer and consumer.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { catalogFiles } from "../../../shared/catalog/index.ts";
import { projectArbitrary } from "../router-config/arbitraries.ts";
import { parseAsyncApi } from "./helpers.ts";

const leaf = fc.oneof(
  fc.record({ type: fc.constantFrom("string", "integer", "number", "boolean") }),
  fc.record({
    type: fc.constant("string"),
    enum: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ type: fc.constant("string"), pattern: fc.constantFrom("^[a-z]+$", "^ord-[0-9]+$") }),
  fc.record({ type: fc.constant("integer"), minimum: fc.integer({ min: -5, max: 5 }) }),
);
const payloadSchema = fc
  .dictionary(fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_]{0,8}$/), leaf, { maxKeys: 4 })
  .chain((properties) =>
    fc.record({
      $schema: fc.constant("https://json-schema.org/draft/2020-12/schema"),
      type: fc.constant("object"),
      properties: fc.constant(properties),
      required: fc.subarray(Object.keys(properties)),
      additionalProperties: fc.boolean(),
    }),
  );

const projectWithSchemas = projectArbitrary.chain((project) =>
  fc
    .array(fc.option(payloadSchema, { nil: undefined }), {
      minLength: project.registry.channels.length,
      maxLength: project.registry.channels.length,
    })
    .map((schemas) => ({
      ...project,
      registry: {
        ...project.registry,
        channels: project.registry.channels.map((channel, i) => {
          const schema = schemas[i];
          return schema === undefined ? channel : { ...channel, payloadSchema: schema };
        }),
      },
    })),
);

describe("AsyncAPI documents of generated registries", () => {
  it("pass the parser and hold their team's channels and operations", async () => {
    await fc.assert(
      fc.asyncProperty(projectWithSchemas, async ({ registry, topology }) => {
        const files = catalogFiles(registry, topology);
        for (const team of registry.teams) {
          const text = files.get(`${team.team}.asyncapi.yaml`)!;
          const { errors, document } = await parseAsyncApi(text);
          expect(errors).toEqual([]);
          const owned = registry.channels.filter((c) => c.owner === team.team);
          expect(
            document!
              .channels()
              .all()
              .map((c) => c.address())
              .sort(),
          ).toEqual(owned.map((c) => c.address).sort());
          const parties = owned.reduce((n, c) => n + c.producers.length + c.consumers.length, 0);
          expect(document!.operations().all()).toHaveLength(parties);
          const raw = parse(text) as { servers: Record<string, unknown> };
          expect(Object.keys(raw.servers).sort()).toEqual(
            topology.routers
              .filter((r) => r.mode === "edge")
              .map((r) => r.id)
              .sort(),
          );
        }
      }),
      // The parser takes about a second per document: few runs, a long timeout.
      { numRuns: 6 },
    );
  }, 240_000);
});
