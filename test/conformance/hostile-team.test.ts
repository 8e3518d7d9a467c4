/**
 * A hostile team on the live mesh: the attempts of test/unit/registry/hostile-team.test.ts
 * that could reach a router if validation and config-sync's gate were bypassed. The registry
 * below holds them all, unvalidated; the router config is generated from it as it is
 * (policy, the `$default` vhost, addresses), started on the target's router, and a client
 * signed in as each principal shows what the router lets through: mallory's principal never
 * reaches another team's channel, a `*` principal is never written, a hijacked name grants
 * nobody, and reply grants go only to responders of a channel with requesters.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ChannelRegistry, RegisteredChannel } from "../../shared/registry/index.ts";
import { Channel, type TeamDocumentInput } from "../../shared/registry/index.ts";
import { generateRouterConfigs, type RouterEntity } from "../../shared/router-config/index.ts";
import { ConnectError, closeAllClients, connectClient } from "../support/amqp-client.ts";
import { meshTopology, type TestMeshSpec } from "../support/local-mesh.ts";
import type { TargetMesh } from "../support/target-mesh.ts";
import {
  closeTarget,
  NEEDS_OWN_ROUTERS,
  startOwnRouters,
  startsRouters,
  targetFlavour,
} from "./target.ts";

const CONNECTION_DENIED = {
  condition: "amqp:resource-limit-exceeded",
  description: "connection disallowed by local policy",
};
const LINK_DENIED = {
  condition: "amqp:unauthorized-access",
  description: "link disallowed by local policy",
};

/** A registry as written, with schema defaults but no validation. */
function unvalidatedRegistry(teams: TeamDocumentInput[]): ChannelRegistry {
  const registry: ChannelRegistry = { teams: [], channels: [] };
  for (const input of teams) {
    const file = `registry/${input.team}.yaml`;
    const channels = (input.channels ?? []).map((c) => Channel.parse(c));
    registry.teams.push({ team: input.team, principals: input.principals ?? [], channels, file });
    for (const channel of channels) {
      const registered: RegisteredChannel = {
        ...channel,
        owner: input.team,
        source: { file, line: 1, column: 1 },
      };
      registry.channels.push(registered);
    }
  }
  return registry;
}

const channel = (address: string, more: Partial<Channel> = {}) => ({
  address,
  description: address,
  ...more,
});

/** The example's shape, and mallory's attempts on it. */
const HOSTILE = unvalidatedRegistry([
  {
    team: "sales",
    principals: ["sales-api"],
    channels: [
      // logistics-tracker is meant; mallory's team below is named logistics-tracker too.
      channel("sales/orders", { producers: ["sales"], consumers: ["logistics-tracker"] }),
      channel("sales/orders.dead", { producers: ["billing"], consumers: ["sales"] }),
      channel("sales/events", { producers: ["sales"], consumers: ["billing"] }),
      channel("sales/quotes", { producers: ["sales"], consumers: ["billing"], replyTo: true }),
    ],
  },
  {
    team: "billing",
    principals: ["billing-worker"],
    channels: [
      channel("billing/invoices", {
        producers: ["sales"],
        consumers: ["billing"],
        routing: { kind: "broker", broker: "rabbit", queue: "billing-invoices" },
      }),
    ],
  },
  { team: "logistics", principals: ["logistics-tracker"], channels: [] },
  // A team named after logistics' principal (finding 2).
  { team: "logistics-tracker", principals: ["mallory-2"], channels: [] },
  {
    team: "mallory",
    // '*' is everyone to qdrouterd (finding 3); ',' would split the users list.
    principals: ["mallory-bot", "*", "mallory-3,sales-api"],
    channels: [
      channel("mallory/inbox", { producers: ["mallory"], consumers: ["mallory"] }),
      // Another team's dead letters and broker queue (findings 11 and 1).
      channel("mallory/work", {
        producers: ["mallory"],
        consumers: ["mallory"],
        deadLetter: "sales/orders.dead",
      }),
      channel("mallory/invoices", {
        producers: ["mallory"],
        consumers: ["mallory"],
        routing: { kind: "broker", broker: "rabbit", queue: "billing-invoices" },
      }),
      // A request/reply channel nobody requests on: no reply grants (finding 11).
      channel("mallory/rpc", { consumers: ["mallory"], replyTo: true }),
    ],
  },
]);

const PASSWORD = "hostile-test";
const USERS = [
  "sales-api",
  "billing-worker",
  "logistics-tracker",
  "mallory-bot",
  "mallory-2",
  "outsider",
];
const SPEC: TestMeshSpec = { routers: [{ id: "h" }] };

/** The generated policy, vhost and address entities of router h, as config-sync would write them. */
function generatedEntities(): RouterEntity[] {
  const topology = meshTopology(SPEC);
  topology.brokers.push({
    name: "rabbit",
    environment: topology.routers[0]!.environment,
    host: "127.0.0.1",
    port: 5672,
    flavour: "rabbitmq",
  } as (typeof topology.brokers)[number]);
  const { configs } = generateRouterConfigs(HOSTILE, topology, { flavour: targetFlavour });
  return configs[0]!.entities.filter(
    (e) =>
      e.type === "policy" ||
      e.type === "address" ||
      e.type === "linkRoute" ||
      (e.type === "vhost" && e.attributes.hostname === "$default"),
  );
}

let mesh: TargetMesh;
let entities: RouterEntity[];

async function as(user: string) {
  return connectClient(mesh.router("h").url, { username: user, password: PASSWORD });
}

/**
 * The user may not receive from the address: refused when it signs in (a user in no group,
 * with unknown users denied) or when it attaches.
 */
async function expectRefusedToReceive(user: string, address: string): Promise<void> {
  let client: Awaited<ReturnType<typeof as>>;
  try {
    client = await as(user);
  } catch (error) {
    expect(error, `${user} signing in`).toBeInstanceOf(ConnectError);
    return;
  }
  // A user in no group is let in by SASL and then closed by the policy.
  const closed = await client.disconnected(3_000).then(
    () => true,
    () => false,
  );
  if (closed) {
    expect(client.closeError, `${user} closed by policy`).toEqual(CONNECTION_DENIED);
    return;
  }
  const receiver = await client.receiver(address);
  expect(await receiver.detached, `${user} receiving ${address}`).toEqual(LINK_DENIED);
}

describe.skipIf(!startsRouters)(
  `a hostile team's registry, generated unvalidated — ${NEEDS_OWN_ROUTERS}`,
  () => {
    beforeAll(async () => {
      entities = generatedEntities();
      mesh = await startOwnRouters({
        ...SPEC,
        users: new Map(USERS.map((u): [string, string] => [u, PASSWORD])),
        listener: { saslMechanisms: "PLAIN", authenticatePeer: true },
        entities: { h: entities },
      });
    });
    afterAll(closeTarget);
    afterEach(closeAllClients);

    it("the generated policy works (control): sales-api sends on sales/events and billing-worker receives", async () => {
      const billing = await as("billing-worker");
      const sales = await as("sales-api");
      const receiver = await billing.receiver("sales/events");
      const sender = await sales.sender("sales/events");
      await sender.waitForCredit();
      expect((await sender.sendAndWait({ body: "event" })).outcome).toBe("accepted");
      expect((await receiver.next()).message.body).toBe("event");
    });

    it("mallory's principal cannot receive on, or send to, another team's channels", async () => {
      const mallory = await as("mallory-bot");
      for (const address of [
        "sales/events",
        "sales/orders",
        "billing/invoices",
        "sales/orders.dead",
      ]) {
        const receiver = await mallory.receiver(address);
        expect(await receiver.detached, `receive ${address}`).toEqual(LINK_DENIED);
      }
      // Its channel names sales' dead letters: its failures cannot be sent there.
      const dead = await mallory.sender("sales/orders.dead");
      expect(await dead.detached).toEqual(LINK_DENIED);
      const own = await mallory.receiver("mallory/inbox");
      expect(own.isDetached).toBe(false);
    });

    it("a team named after logistics' principal grants nobody: neither mallory's principal nor (failing closed) logistics-tracker receives sales/orders", async () => {
      await expectRefusedToReceive("mallory-2", "sales/orders");
      await expectRefusedToReceive("logistics-tracker", "sales/orders");
    });

    it("writes no '*' or ','-joined principal, so a user outside every group gets nothing", async () => {
      // allowUnknownUser is false: a user in no group is refused.
      await expectRefusedToReceive("outsider", "mallory/inbox");
      const vhost = entities.find((e) => e.type === "vhost")!;
      const users = Object.values(
        vhost.attributes.groups as Record<string, { users: string }>,
      ).flatMap((g) => g.users.split(",").map((u) => u.trim()));
      expect(users).not.toContain("*");
      expect(users).not.toContain("mallory-3");
      expect(users.filter((u) => u === "sales-api")).toHaveLength(1);
    });

    it("no channel is linked to billing's queue twice: both are left out, and mallory's address is refused", async () => {
      expect(entities.filter((e) => e.type === "linkRoute")).toEqual([]);
      const mallory = await as("mallory-bot");
      expect(await (await mallory.receiver("mallory/invoices")).detached).toEqual(LINK_DENIED);
    });

    it("reply grants: billing-worker may reply on router h (it answers sales/quotes), mallory may not (its replyTo channel has no requesters)", async () => {
      const reply = "amqp:/_topo/0/h/temp.hostile1";
      const billing = await as("billing-worker");
      const allowed = await billing.sender(reply);
      const mallory = await as("mallory-bot");
      const refused = await mallory.sender(reply);
      expect(await refused.detached).toEqual(LINK_DENIED);
      expect(allowed.isDetached).toBe(false);
      // Nor the router's management agent.
      const management = await billing.sender("amqp:/_topo/0/h/$management");
      expect(await management.detached).toEqual(LINK_DENIED);
    });
  },
);
