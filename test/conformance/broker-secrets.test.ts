/**
 * A broker connector whose password is `env:NAME` of a variable that is not set does not
 * log in. qdrouterd 1.19.0 and skupper-router 3.5.1 log "Failed to find a password in the
 * environment variable", configure the connector all the same and log in with PLAIN and no
 * password, which RabbitMQ refuses: the connector keeps CONNECTING with "… failed:
 * amqp:unauthorized-access …" as its connectionMsg, and nothing reaches the broker through
 * it. The emulator once fell back to ANONYMOUS there and RabbitMQ let it in (issue 15,
 * item 9: the invoice reached RabbitMQ on the emulator only). A second connector, whose
 * variable is set, logs in beside it: the broker is there and `env:` passwords work.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { typePrefix } from "../../shared/router-config/index.ts";
import { closeAllClients, connectClient } from "../support/amqp-client.ts";
import { IN_CI, probeRabbitMq, RABBITMQ, requireRabbitMq } from "../support/rabbitmq.ts";
import type { TargetMesh } from "../support/target-mesh.ts";
import { waitForValue } from "../support/wait.ts";
import {
  closeTarget,
  NEEDS_OWN_ROUTERS,
  startOwnRouters,
  startsRouters,
  targetFlavour,
} from "./target.ts";

const rabbit = await probeRabbitMq();
const why = rabbit.reachable
  ? NEEDS_OWN_ROUTERS
  : `RabbitMQ unreachable (${rabbit.reason}); outside CI this skips`;

const SET = "CONFORMANCE_BROKER_PASSWORD";
const UNSET = "CONFORMANCE_UNSET_BROKER_PASSWORD";

function connector(name: string, variable: string) {
  return {
    type: "connector" as const,
    attributes: {
      name,
      host: RABBITMQ.host,
      port: String(RABBITMQ.port),
      role: "route-container",
      saslMechanisms: "PLAIN",
      saslUsername: RABBITMQ.username,
      saslPassword: `env:${variable}`,
    },
  };
}

describe.skipIf(!startsRouters || !(rabbit.reachable || IN_CI))(
  `a broker connector whose password variable is unset — ${why}`,
  () => {
    let mesh: TargetMesh;

    beforeAll(async () => {
      if (!rabbit.reachable) return;
      // Real routers read the variables when they start: set before they do.
      process.env[SET] = RABBITMQ.password;
      delete process.env[UNSET];
      mesh = await startOwnRouters({
        routers: [{ id: "p" }],
        entities: { p: [connector("rabbit", SET), connector("rabbit-no-password", UNSET)] },
      });
    });
    afterAll(async () => {
      await closeTarget();
      delete process.env[SET];
    });
    afterEach(closeAllClients);

    it("does not log in (the broker refuses PLAIN without a password), while one whose variable is set does", async () => {
      requireRabbitMq(rabbit);
      const client = await connectClient(mesh.router("p").url);
      const read = async (name: string) => {
        const reply = await client.management({
          operation: "READ",
          type: `${typePrefix(targetFlavour)}.connector`,
          name,
        });
        return reply.body as { connectionStatus?: string; connectionMsg?: string };
      };
      await waitForValue(async () => (await read("rabbit")).connectionStatus === "SUCCESS", {
        timeout: 20_000,
        interval: 200,
        what: "the connector whose variable is set to log in",
      });
      // RabbitMQ answers a failed PLAIN login after a few seconds.
      const refused = await waitForValue(
        async () => {
          const row = await read("rabbit-no-password");
          return /amqp:unauthorized-access/.test(row.connectionMsg ?? "") ? row : undefined;
        },
        {
          timeout: 45_000,
          interval: 200,
          what: "the connector without its password to be refused",
        },
      );
      expect(refused.connectionStatus).not.toBe("SUCCESS");
      expect(refused.connectionMsg).toMatch(
        /Connection to \S+:\d+ failed: amqp:unauthorized-access/,
      );
      // The emulator has no log: its timeout messages say what the routers log.
      if (mesh.emulator)
        expect(
          mesh.emulator.router("p").router.brokers.connectorError("rabbit-no-password"),
        ).toMatch(`Failed to find a password in the environment variable ${UNSET}`);
    }, 90_000);
  },
);
