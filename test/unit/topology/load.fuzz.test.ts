import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Diagnostic } from "../../../shared/diagnostics.ts";
import { loadTopology, Topology, validateTopology } from "../../../shared/topology/index.ts";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "amqp-mesh-topology-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function wellFormed(d: Diagnostic): boolean {
  return d.line >= 1 && d.column >= 1 && d.message.length > 0 && d.hint.length > 0;
}

const name = fc.constantFrom("a", "b", "c", "env", "x-1");

/** Topologies of the right shape with dangling references, duplicates and clashing ports. */
const topologyish = fc.record({
  flavour: fc.constantFrom("qpid-dispatch", "skupper-router"),
  environments: fc.array(
    fc.record({ name, cloud: fc.constantFrom("aws", "azure", "local"), region: fc.string() }),
    {
      maxLength: 3,
    },
  ),
  tlsProfiles: fc.array(fc.record({ name, caCert: fc.string() }), { maxLength: 2 }),
  routers: fc.array(
    fc.record({
      id: name,
      environment: name,
      mode: fc.constantFrom("interior", "edge"),
      host: fc.constantFrom("h1", "h2"),
      uplinks: fc.array(name, { maxLength: 3 }),
      listeners: fc.record(
        {
          clients: fc.record({ port: fc.integer({ min: 1, max: 4 }) }),
          interRouter: fc.record(
            { port: fc.integer({ min: 1, max: 4 }), tlsProfile: name },
            { requiredKeys: ["port"] },
          ),
          edge: fc.record({ port: fc.integer({ min: 1, max: 4 }) }),
        },
        { requiredKeys: ["clients"] },
      ),
    }),
    { maxLength: 6 },
  ),
  links: fc.array(fc.record({ from: name, to: name, cost: fc.integer({ min: 1, max: 3 }) }), {
    maxLength: 6,
  }),
  brokers: fc.array(
    fc.record({
      name,
      environment: name,
      host: fc.constantFrom("h1", "h2"),
      port: fc.integer({ min: 1, max: 4 }),
      flavour: fc.constant("rabbitmq"),
    }),
    { maxLength: 2 },
  ),
});

describe("topology loading and validation never throw (fuzz)", () => {
  it("arbitrary text gives diagnostics", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.json(),
          topologyish.map((t) => JSON.stringify(t)),
        ),
        async (text) => {
          const file = join(dir, "topology.yaml");
          await writeFile(file, text);
          const { topology, source, diagnostics } = await loadTopology(file);
          const all = [...diagnostics, ...(topology ? validateTopology(topology, source) : [])];
          expect(all.every(wellFormed)).toBe(true);
          expect(topology !== undefined || all.some((d) => d.severity === "error")).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("every rule copes with dangling references and duplicates", () => {
    fc.assert(
      fc.property(topologyish, (input) => {
        const parsed = Topology.safeParse(input);
        fc.pre(parsed.success);
        if (parsed.success) expect(validateTopology(parsed.data).every(wellFormed)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
