/**
 * `amqp-mesh bridge` whose login the router refuses: it gives up at once with exit 3 and the
 * SASL cause (mechanism and user, never the password), instead of retrying "could not connect"
 * for ever. An emulator router that requires SASL PLAIN, on an ephemeral port.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalMesh } from "../../../emulator/index.ts";
import { startTestMesh, stopAllMeshes } from "../../support/local-mesh.ts";
import { EXAMPLES } from "./copy-examples.ts";
import { runCli } from "./run-cli.ts";

const HANDLER = new URL("../../../examples/functions/order-invoicing.ts", import.meta.url).pathname;
const WRONG = "not-the-Pa55word";
let mesh: LocalMesh;

beforeAll(async () => {
  mesh = await startTestMesh({
    routers: [{ id: "edge-1" }],
    listener: { saslMechanisms: "PLAIN", authenticatePeer: true },
    users: new Map([["billing-worker", "the-right-one"]]),
  });
});
afterAll(stopAllMeshes);

describe("amqp-mesh bridge with a login the router refuses", () => {
  it("exits 3 naming the SASL cause, without the password", async () => {
    const result = await runCli(
      [
        "bridge",
        EXAMPLES,
        "--channel",
        "sales/orders",
        "--handler",
        HANDLER,
        "--url",
        mesh.router("edge-1").url,
      ],
      undefined,
      { MESH_SASL_USERNAME: "billing-worker", MESH_SASL_PASSWORD: WRONG },
    );
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(
      /^bridge: cannot connect to amqp:\/\/127\.0\.0\.1:\d+: SASL PLAIN as 'billing-worker' refused: SASL outcome auth/m,
    );
    expect(result.stderr.match(/could not connect/g) ?? []).toHaveLength(1);
    expect(result.stdout + result.stderr).not.toContain(WRONG);
  }, 120_000);
});
