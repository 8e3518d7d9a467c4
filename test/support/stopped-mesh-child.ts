/**
 * A process that starts a mesh, uses it a little, stops it and then does nothing more:
 * it must exit by itself (test/conformance/lifecycle.test.ts runs it with `node`).
 * Prints "stopped" once `mesh.stop()` resolved. Run with plain `node` (type stripping).
 */
import { connect } from "node:net";
import { connectClient } from "./amqp-client.ts";
import { startTestMesh } from "./local-mesh.ts";
import { AMQP_SASL_HEADER } from "./raw-socket.ts";

const mesh = await startTestMesh({
  routers: [{ id: "a" }, { id: "b" }, { id: "e", mode: "edge", uplinks: ["a"] }],
  links: [["a", "b", 1]],
  entities: {
    a: [
      {
        type: "connector",
        attributes: { name: "refused", host: "127.0.0.1", port: "1", role: "route-container" },
      },
    ],
  },
});
// Peers that stay connected while the mesh stops: the mesh must drop them.
const peers = await Promise.all(
  ["a", "b", "e"].map(
    (id) =>
      new Promise<ReturnType<typeof connect>>((resolve, reject) => {
        const socket = connect({ host: "127.0.0.1", port: mesh.router(id).port });
        socket.once("connect", () => {
          // An AMQP header: the router's side of the connection starts its idle timer.
          socket.write(AMQP_SASL_HEADER);
          resolve(socket);
        });
        socket.once("error", reject);
      }),
  ),
);
for (const peer of peers) peer.on("error", () => {});
// AMQP clients with open connections and links: the router's side arms its idle timers.
for (const id of ["a", "e"]) {
  const client = await connectClient(mesh.router(id).url);
  await client.receiver(`anything-${id}`);
}
await mesh.stop();
process.stdout.write("stopped\n");
