/**
 * Connection counting for policies: the `policy` entity's maxConnections over a router's
 * listeners (emulator/connection-limit.ts, qdrouterd `qd_policy_socket_accept`) and a
 * vhost's maxConnections / maxConnectionsPerUser / maxConnectionsPerHost
 * (emulator/vhost-connections.ts, qdrouterd policy_local.py `can_connect`).
 */
import { describe, expect, it } from "vitest";
import { ConnectionLimit } from "../../../emulator/policy/connection-limit.ts";
import { PolicyCounters } from "../../../emulator/policy/policy-counters.ts";
import { VhostConnections } from "../../../emulator/policy/vhost-connections.ts";

describe("ConnectionLimit", () => {
  it("admits up to the limit, and again once one is released", () => {
    const limit = new ConnectionLimit(new PolicyCounters());
    limit.limit = 2;
    expect([limit.acquire(), limit.acquire(), limit.acquire()]).toEqual([true, true, false]);
    expect(limit.open).toBe(2);
    limit.release();
    expect(limit.acquire()).toBe(true);
  });

  it("counts every socket as processed and the refused ones as denied (policy.c)", () => {
    const counters = new PolicyCounters();
    const limit = new ConnectionLimit(counters);
    limit.limit = 1;
    limit.acquire();
    limit.acquire();
    limit.acquire();
    expect([counters.connectionsProcessed, counters.connectionsDenied]).toEqual([3, 2]);
    expect(counters.totalDenials).toBe(2);
  });

  it("has no limit at 0, and never counts below zero", () => {
    const limit = new ConnectionLimit(new PolicyCounters());
    for (let i = 0; i < 100; i++) expect(limit.acquire()).toBe(true);
    const empty = new ConnectionLimit(new PolicyCounters());
    empty.release();
    expect(empty.open).toBe(0);
  });
});

describe("VhostConnections", () => {
  const admitted = (result: (() => void) | string): (() => void) => {
    if (typeof result === "string") throw new Error(`refused: ${result}`);
    return result;
  };

  it("refuses beyond maxConnections, per user and per host, and frees places on release", () => {
    const counts = new VhostConnections();
    const vhost = { maxConnections: 3, maxConnectionsPerUser: 2, maxConnectionsPerHost: 2 };
    const a1 = admitted(counts.admit(vhost, "alice", "10.0.0.1"));
    admitted(counts.admit(vhost, "alice", "10.0.0.2"));
    expect(counts.admit(vhost, "alice", "10.0.0.3")).toMatch(/maxConnectionsPerUser/);
    admitted(counts.admit(vhost, "bob", "10.0.0.2"));
    expect(counts.admit(vhost, "carol", "10.0.0.9")).toMatch(/vhost maxConnections/);
    a1();
    a1(); // a second release changes nothing
    expect(counts.admit(vhost, "carol", "10.0.0.2")).toMatch(/maxConnectionsPerHost/);
    admitted(counts.admit(vhost, "carol", "10.0.0.9"));
    expect(counts.admit(vhost, "dave", "10.0.0.8")).toMatch(/vhost maxConnections/);
  });

  it("has no limits where none are set (or they are not positive integers)", () => {
    const counts = new VhostConnections();
    for (let i = 0; i < 50; i++) {
      admitted(counts.admit({ maxConnections: 0, maxConnectionsPerUser: "x" }, "u", "h"));
    }
  });
});
