/**
 * Setup shared by the client's integration tests: clients and peers registered with
 * track() are closed, last first, by closeTracked() (each file's afterEach).
 */
import { MeshClient } from "../../../shared/amqp/index.ts";
import { type PeerOptions, TestPeer } from "./peer.ts";

type Closable = { close(graceMs?: number): Promise<void> } | { stop(): Promise<void> };

const tracked: Array<() => Promise<void>> = [];

/** Closes `x` (a client with `graceMs`, or a peer) in the next closeTracked(). */
export function track<T extends Closable>(x: T, graceMs = 100): T {
  tracked.push(() => ("close" in x ? x.close(graceMs) : x.stop()));
  return x;
}

/** Closes what the test tracked, in reverse order (for afterEach). */
export async function closeTracked(): Promise<void> {
  for (const close of tracked.splice(0).reverse()) await close();
}

/** A TestPeer and a client of it that reconnects fast, both tracked. */
export async function peerAndClient(
  options: PeerOptions = {},
): Promise<{ peer: TestPeer; client: MeshClient }> {
  const peer = track(await TestPeer.start(options));
  const client = track(
    new MeshClient({ urls: [peer.url], reconnect: { initialDelayMs: 10, maxDelayMs: 100 } }),
  );
  return { peer, client };
}

/** Collects log lines so tests can assert secrets never appear in them. */
export function logCollector(): { lines: string[]; log: (line: string) => void } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line) };
}
