/**
 * Which connector carries an autoLink (emulator/auto-link-binding.ts): by `connection`
 * name or by the broker's announced `containerId`, whichever was configured first, moving
 * to another matching connector when its own goes down — as qdrouterd binds autoLinks to
 * connections whenever a matching one comes up.
 */
import { describe, expect, it } from "vitest";
import { AutoLinkBinding, WatchedConnector } from "../../../emulator/brokers/auto-link-binding.ts";
import type { Connection } from "../../../emulator/protocol/rhea-internals.ts";

/** A connector that the test brings up and down by hand. */
class FakeConnector extends WatchedConnector {
  connected = false;
  connection: Connection | undefined;
  remoteContainer: string | undefined;
  readonly name: string;
  constructor(name: string) {
    super();
    this.name = name;
  }
  up(container: string): void {
    this.connected = true;
    this.remoteContainer = container;
    this.connection = { id: `${this.name}-connection` } as unknown as Connection;
    this.reportUp();
  }
  down(): void {
    this.connected = false;
    this.connection = undefined;
    this.reportDown();
  }
  get watchers(): number {
    return this.watching;
  }
}

/** An autoLink that records where it is attached. */
function fakeLink(attributes: Record<string, string>) {
  const log: string[] = [];
  return {
    log,
    entity: { attributes },
    attach(connection: Connection) {
      log.push(`attach ${(connection as unknown as { id: string }).id}`);
    },
    detach() {
      log.push("detach");
    },
  };
}

describe("AutoLinkBinding", () => {
  it("attaches by connection name, also when the connector comes after the autoLink", () => {
    const link = fakeLink({ connection: "rabbit" });
    const binding = new AutoLinkBinding(link);
    const other = new FakeConnector("other");
    const rabbit = new FakeConnector("rabbit");
    binding.bind(other);
    binding.bind(rabbit);
    expect(other.watchers).toBe(0); // never eligible: another name
    other.up("x");
    expect(link.log).toEqual([]);
    rabbit.up("rabbit@vm");
    expect(link.log).toEqual(["attach rabbit-connection"]);
    rabbit.down();
    rabbit.up("rabbit@vm");
    expect(link.log).toEqual(["attach rabbit-connection", "detach", "attach rabbit-connection"]);
  });

  it("attaches at once to a connector that is already up", () => {
    const link = fakeLink({ connection: "rabbit" });
    const rabbit = new FakeConnector("rabbit");
    rabbit.up("rabbit@vm");
    new AutoLinkBinding(link).bind(rabbit);
    expect(link.log).toEqual(["attach rabbit-connection"]);
  });

  it("by containerId: only a connector whose broker announced it, failing over to another", () => {
    const link = fakeLink({ containerId: "broker-a" });
    const binding = new AutoLinkBinding(link);
    const one = new FakeConnector("one");
    const two = new FakeConnector("two");
    const wrong = new FakeConnector("wrong");
    for (const c of [one, two, wrong]) binding.bind(c);
    wrong.up("broker-b");
    expect(link.log).toEqual([]);
    one.up("broker-a");
    two.up("broker-a");
    expect(link.log).toEqual(["attach one-connection"]); // one link, not two
    one.down();
    expect(link.log).toEqual(["attach one-connection", "detach", "attach two-connection"]);
  });

  it("stops watching on unbind and on forget", () => {
    const link = fakeLink({ connection: "rabbit" });
    const binding = new AutoLinkBinding(link);
    const rabbit = new FakeConnector("rabbit");
    binding.bind(rabbit);
    binding.forget(rabbit);
    expect(rabbit.watchers).toBe(0);
    binding.bind(rabbit);
    rabbit.up("rabbit@vm");
    binding.unbind();
    expect(rabbit.watchers).toBe(0);
    expect(link.log).toEqual(["attach rabbit-connection", "detach"]);
    rabbit.down();
    rabbit.up("rabbit@vm");
    expect(link.log).toEqual(["attach rabbit-connection", "detach"]);
  });

  it("never binds an autoLink that names neither a connection nor a container", () => {
    const link = fakeLink({});
    const rabbit = new FakeConnector("rabbit");
    new AutoLinkBinding(link).bind(rabbit);
    rabbit.up("rabbit@vm");
    expect(rabbit.watchers).toBe(0);
    expect(link.log).toEqual([]);
  });
});
