/**
 * Security as a client sees it: SASL ANONYMOUS and PLAIN (users from a users file), TLS
 * listeners from an sslProfile, and vhost policies that refuse attaches outside a user's
 * allowed sources/targets with `amqp:unauthorized-access` (qdrouterd's condition for
 * policy denials; see qpid-dispatch src/policy.c and tests/system_tests_policy.py).
 *
 * These checks need routers configured with the suite's users, certificates and policy:
 * the suite starts them itself, on the emulator or as real routers (MESH_TARGET engine),
 * where the users go into a Cyrus SASL database. Vhost policy is on only where the policy
 * entity enables it (enableVhostPolicy), as on the real routers.
 *
 * Denials as src/policy.c words them (read, not run): a refused connection is closed with
 * `amqp:resource-limit-exceeded` "connection disallowed by local policy"
 * (`qd_policy_amqp_open`); a refused attach is detached with `amqp:unauthorized-access`
 * (names) or `amqp:resource-limit-exceeded` (maxSenders/maxReceivers), both "link
 * disallowed by local policy"; beyond the policy's maxConnections a socket is closed at
 * once, before any AMQP (`qd_policy_socket_accept`).
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { typePrefix } from "../../shared/router-config/index.ts";
import { ConnectError, closeAllClients, connectClient } from "../support/amqp-client.ts";
import { AMQP_SASL_HEADER, rawExchange } from "../support/raw-socket.ts";
import type { TargetMesh } from "../support/target-mesh.ts";
import {
  makeTestCertificates,
  opensslAvailable,
  type TestCertificates,
} from "../support/tls-certs.ts";
import { waitFor } from "../support/wait.ts";
import {
  closeTarget,
  NEEDS_OWN_ROUTERS,
  startOwnRouters,
  startsRouters,
  targetFlavour,
} from "./target.ts";

// Under CI a missing openssl fails the TLS check with the reason; it is never skipped.
const hasOpenssl = opensslAvailable() || process.env.CI === "true";
const LINK_DENIED = {
  condition: "amqp:unauthorized-access",
  description: "link disallowed by local policy",
};
const LINK_LIMIT = {
  condition: "amqp:resource-limit-exceeded",
  description: "link disallowed by local policy",
};
/** The `policy` singleton's management type in the target's flavour. */
const policyType = `${typePrefix(targetFlavour)}.policy`;
let mesh: TargetMesh;
let certs: TestCertificates | undefined;
let usersDir: string;

function listenerUrl(router: string, name: string): string {
  return mesh.listenerUrl(router, name);
}

describe.skipIf(!startsRouters)(`SASL, TLS and vhost policy — ${NEEDS_OWN_ROUTERS}`, () => {
  beforeAll(async () => {
    usersDir = mkdtempSync(join(tmpdir(), "amqp-mesh-users-"));
    const usersFile = join(usersDir, "users.txt");
    // The line format; JSON ({"users": {...}}) works too.
    writeFileSync(usersFile, "# test users\nalice:secret\nbob:hunter2\ncarol:nogroup\n");
    certs = hasOpenssl ? await makeTestCertificates() : undefined;
    mesh = await startOwnRouters({
      routers: [{ id: "s" }, { id: "p" }],
      users: usersFile,
      entities: {
        s: [
          {
            type: "listener",
            attributes: {
              name: "authenticated",
              host: "127.0.0.1",
              port: "0",
              saslMechanisms: "PLAIN",
              authenticatePeer: true,
            },
          },
          ...(certs
            ? [
                {
                  type: "sslProfile" as const,
                  attributes: {
                    name: "server-tls",
                    caCertFile: certs.caCertFile,
                    certFile: certs.certFile,
                    privateKeyFile: certs.privateKeyFile,
                  },
                },
                {
                  type: "listener" as const,
                  attributes: {
                    name: "tls",
                    host: "127.0.0.1",
                    port: "0",
                    sslProfile: "server-tls",
                    // Without it the router takes plain TCP on the same port too.
                    requireSsl: true,
                    saslMechanisms: "ANONYMOUS PLAIN",
                  },
                },
              ]
            : []),
        ],
        p: [
          { type: "policy", attributes: { enableVhostPolicy: true, defaultVhost: "$default" } },
          {
            type: "vhost",
            attributes: {
              hostname: "$default",
              allowUnknownUser: false,
              groups: {
                // remoteHosts: without it a group lets its users in from nowhere (policy_local.py).
                producers: {
                  users: "alice",
                  remoteHosts: "*",
                  targets: "orders.*",
                  allowDynamicSource: true,
                },
                consumers: {
                  users: "bob",
                  remoteHosts: "*",
                  // biome-ignore lint/suspicious/noTemplateCurlyInString: qdrouterd's user token
                  sources: "orders.*, ${user}.inbox",
                },
              },
            },
          },
          {
            type: "vhost",
            attributes: {
              hostname: "counted",
              maxConnections: 2,
              maxConnectionsPerUser: 1,
              groups: { everybody: { users: "*", remoteHosts: "*", targets: "*", sources: "*" } },
            },
          },
          {
            type: "vhost",
            attributes: {
              hostname: "limits",
              allowUnknownUser: true,
              groups: {
                $default: {
                  remoteHosts: "*",
                  targets: "*",
                  sources: "*",
                  maxSenders: 1,
                  maxReceivers: 1,
                },
              },
            },
          },
          {
            type: "vhost",
            attributes: {
              hostname: "nowhere",
              allowUnknownUser: true,
              // No remoteHosts: the group lets its users in from no host at all.
              groups: { $default: { targets: "*", sources: "*" } },
            },
          },
          {
            type: "vhost",
            attributes: {
              // For reading the router's management: $management and replies, nothing else.
              hostname: "operations",
              allowUnknownUser: true,
              groups: {
                $default: { remoteHosts: "*", targets: "$management", allowDynamicSource: true },
              },
            },
          },
          {
            type: "vhost",
            attributes: {
              hostname: "tenant-a",
              allowUnknownUser: true,
              groups: {
                $default: { remoteHosts: "*", targets: "tenant.*", sources: "tenant.*" },
              },
            },
          },
        ],
      },
    });
  });
  afterAll(async () => {
    await closeTarget();
    certs?.remove();
    rmSync(usersDir, { recursive: true, force: true });
  });
  afterEach(closeAllClients);

  it("accepts SASL ANONYMOUS where the listener allows it", async () => {
    const client = await connectClient(mesh.router("s").url);
    expect(client.isOpen).toBe(true);
  });

  it("authenticates SASL PLAIN users from the users file and refuses wrong passwords", async () => {
    const url = listenerUrl("s", "authenticated");
    const alice = await connectClient(url, { username: "alice", password: "secret" });
    expect(alice.isOpen).toBe(true);
    await expect(connectClient(url, { username: "alice", password: "wrong" })).rejects.toThrow(
      ConnectError,
    );
    await expect(connectClient(url, { username: "mallory", password: "x" })).rejects.toThrow(
      ConnectError,
    );
  });

  it("refuses anonymous clients on a listener with authenticatePeer", async () => {
    await expect(connectClient(listenerUrl("s", "authenticated"))).rejects.toThrow(ConnectError);
  });

  it.skipIf(!hasOpenssl)(
    "serves TLS on a listener with an sslProfile (openssl on PATH)",
    async () => {
      const url = listenerUrl("s", "tls");
      const client = await connectClient(url.replace("amqp://", "amqps://"), {
        tls: { ca: certs!.ca, servername: "localhost" },
      });
      const receiver = await client.receiver("tls.check");
      const sender = await client.sender("tls.check");
      await sender.waitForCredit();
      expect((await sender.sendAndWait({ body: "encrypted" })).outcome).toBe("accepted");
      expect((await receiver.next()).message.body).toBe("encrypted");
      // A plain-TCP AMQP client gets nowhere on the TLS port.
      await expect(
        connectClient(url.replace("amqps://", "amqp://"), { timeout: 2_000 }),
      ).rejects.toThrow();
    },
  );

  it("vhost policy: lets a user attach inside its patterns and refuses the rest with amqp:unauthorized-access", async () => {
    const url = mesh.router("p").url;
    const alice = await connectClient(url, { username: "alice", password: "secret" });
    const bob = await connectClient(url, { username: "bob", password: "hunter2" });

    const receiver = await bob.receiver("orders.eu");
    const sender = await alice.sender("orders.eu");
    await sender.waitForCredit();
    expect((await sender.sendAndWait({ body: "allowed" })).outcome).toBe("accepted");
    expect((await receiver.next()).message.body).toBe("allowed");

    const deniedTarget = await alice.sender("payments.eu");
    expect(await deniedTarget.detached).toEqual(LINK_DENIED);
    const deniedSource = await bob.receiver("payments.eu");
    expect(await deniedSource.detached).toEqual(LINK_DENIED);
    // Alice may produce but not consume; ${user} expands to the user's name for bob.
    const aliceReceives = await alice.receiver("orders.eu");
    expect(await aliceReceives.detached).toEqual(LINK_DENIED);
    const inbox = await bob.receiver("bob.inbox");
    expect(inbox.isDetached).toBe(false);
    // Dynamic sources only where allowDynamicSource is set.
    const dynamicAlice = await alice.receiver({ dynamic: true });
    expect(dynamicAlice.isDetached).toBe(false);
    const dynamicBob = await bob.receiver({ dynamic: true });
    expect(await dynamicBob.detached).toEqual(LINK_DENIED);
  });

  it("policy: the router's counters show each socket processed and each refused link", async () => {
    const url = mesh.router("p").url;
    const operator = await connectClient(url, { hostname: "operations" });
    const read = async (): Promise<Record<string, unknown>> => {
      const reply = await operator.management(
        { operation: "QUERY", type: "org.amqp.management", entityType: policyType },
        { attributeNames: [] },
      );
      expect(reply.statusCode).toBe(200);
      const body = reply.body as { attributeNames: string[]; results: unknown[][] };
      expect(body.results).toHaveLength(1);
      return Object.fromEntries(body.attributeNames.map((n, i) => [n, body.results[0]![i]]));
    };
    const before = await read();
    expect(before).toMatchObject({
      name: "policy/None",
      enableVhostPolicy: true,
      defaultVhost: "$default",
      maxConnections: 65535,
    });
    const alice = await connectClient(url, { username: "alice", password: "secret" });
    const denied = await alice.sender("payments.eu");
    expect(await denied.detached).toEqual(LINK_DENIED);
    const after = await read();
    const delta = (key: string): number => Number(after[key]) - Number(before[key]);
    expect({
      processed: delta("connectionsProcessed"),
      current: delta("connectionsCurrent"),
      linksDenied: delta("linksDenied"),
      totalDenials: delta("totalDenials"),
      connectionsDenied: delta("connectionsDenied"),
    }).toEqual({ processed: 1, current: 1, linksDenied: 1, totalDenials: 1, connectionsDenied: 0 });
    // A singleton of the config file: READ by its name, no UPDATE (501 on both routers).
    const update = await operator.management(
      { operation: "UPDATE", type: policyType, name: "policy/None" },
      { maxConnections: 10 },
    );
    expect(update.statusCode).toBe(501);
  });

  it("vhost policy: rejects a message whose user-id is someone else's (user_id proxy)", async () => {
    const alice = await connectClient(mesh.router("p").url, {
      username: "alice",
      password: "secret",
    });
    const bob = await connectClient(mesh.router("p").url, { username: "bob", password: "hunter2" });
    const receiver = await bob.receiver("orders.proxy");
    const sender = await alice.sender("orders.proxy");
    await sender.waitForCredit();
    const own = await sender.sendAndWait({ body: 1, user_id: "alice" });
    expect(own.outcome).toBe("accepted");
    const proxied = await sender.sendAndWait({ body: 2, user_id: "bob" });
    expect(proxied).toMatchObject({
      outcome: "rejected",
      error: { condition: "amqp:unauthorized-access" },
    });
    expect((await receiver.next()).message.body).toBe(1);
    // Without a user-id the message passes as it is: the router verifies a user-id, it does
    // not stamp one (so a consumer learns the producer only from producers that set it).
    const unstamped = await sender.sendAndWait({ body: 3 });
    expect(unstamped.outcome).toBe("accepted");
    const third = (await receiver.next()).message;
    expect({ body: third.body, user_id: third.user_id }).toEqual({ body: 3, user_id: undefined });
  });

  it("vhost policy: the open frame's hostname selects the vhost; unknown users get its $default group", async () => {
    const url = mesh.router("p").url;
    // carol is in no group: refused on $default, let in on tenant-a (allowUnknownUser).
    const carol = await connectClient(url, {
      username: "carol",
      password: "nogroup",
      hostname: "tenant-a",
    });
    const receiver = await carol.receiver("tenant.jobs");
    const sender = await carol.sender("tenant.jobs");
    await sender.waitForCredit();
    expect((await sender.sendAndWait({ body: "tenant" })).outcome).toBe("accepted");
    expect((await receiver.next()).message.body).toBe("tenant");
    const outside = await carol.sender("orders.eu");
    expect(await outside.detached).toEqual(LINK_DENIED);
  });

  it("vhost policy: maxSenders/maxReceivers refuse one link too many with amqp:resource-limit-exceeded", async () => {
    const client = await connectClient(mesh.router("p").url, { hostname: "limits" });
    const first = await client.sender("any.one");
    expect(first.isDetached).toBe(false);
    expect(await (await client.sender("any.two")).detached).toEqual(LINK_LIMIT);
    const receiver = await client.receiver("any.one");
    expect(receiver.isDetached).toBe(false);
    expect(await (await client.receiver("any.two")).detached).toEqual(LINK_LIMIT);
    // A detached link frees its place.
    await first.close();
    const again = await client.sender("any.three");
    expect(again.isDetached).toBe(false);
  });

  it("vhost policy: closes the connection of a user in no group (allowUnknownUser false)", async () => {
    // src/policy.c qd_policy_amqp_open: closed with amqp:resource-limit-exceeded
    // "connection disallowed by local policy"; a client may see the open first or not.
    const url = mesh.router("p").url;
    const outcome = await connectClient(url, { username: "carol", password: "nogroup" }).then(
      async (client) => {
        await client.disconnected();
        return client.closeError?.condition;
      },
      (error: unknown) => (error instanceof ConnectError ? error.condition : String(error)),
    );
    expect(outcome).toBe("amqp:resource-limit-exceeded");
  });

  it("vhost policy: a group without remoteHosts lets its users in from no host", async () => {
    // policy_local.py: "User is not allowed to connect from this network host".
    const outcome = await connectClient(mesh.router("p").url, { hostname: "nowhere" }).then(
      async (client) => {
        await client.disconnected();
        return client.closeError?.condition;
      },
      (error: unknown) => (error instanceof ConnectError ? error.condition : String(error)),
    );
    expect(outcome).toBe("amqp:resource-limit-exceeded");
  });

  it("vhost policy: maxConnections and maxConnectionsPerUser refuse one connection too many", async () => {
    const url = mesh.router("p").url;
    const refusal = (options: Parameters<typeof connectClient>[1]) =>
      connectClient(url, { ...options, hostname: "counted" }).then(
        async (client) => {
          await client.disconnected();
          return client.closeError;
        },
        (error: unknown) =>
          error instanceof ConnectError ? { condition: error.condition } : error,
      );
    const alice = await connectClient(url, {
      username: "alice",
      password: "secret",
      hostname: "counted",
    });
    expect(await refusal({ username: "alice", password: "secret" })).toMatchObject({
      condition: "amqp:resource-limit-exceeded",
    });
    await connectClient(url, { username: "bob", password: "hunter2", hostname: "counted" });
    // Two on the vhost: a third user is refused too.
    expect(await refusal({})).toMatchObject({ condition: "amqp:resource-limit-exceeded" });
    await alice.close();
    await waitFor(
      async () => {
        const next = await connectClient(url, { hostname: "counted", timeout: 1_000 }).catch(
          () => undefined,
        );
        if (!next) return false;
        await new Promise((resolve) => setImmediate(resolve));
        return next.isOpen;
      },
      { what: "the vhost to take a connection again", timeout: 5_000 },
    );
  });

  it("policy maxConnections: a connection beyond the limit is closed before any AMQP", async () => {
    const limited = await startOwnRouters({
      routers: [{ id: "m" }],
      entities: { m: [{ type: "policy", attributes: { maxConnections: 2 } }] },
    });
    const url = limited.router("m").url;
    const first = await connectClient(url);
    await connectClient(url);
    const refused = await rawExchange(limited.router("m").port, AMQP_SASL_HEADER, {
      timeout: 2_000,
    });
    expect(refused).toEqual({ received: Buffer.alloc(0), closedByPeer: true });
    await first.close();
    // Its place is free once the router saw the socket close.
    await waitFor(
      async () => {
        const next = await connectClient(url, { timeout: 1_000 }).catch(() => undefined);
        return next?.isOpen === true;
      },
      { what: "a connection to be accepted again", timeout: 5_000 },
    );
  });
});
