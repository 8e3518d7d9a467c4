/**
 * The local router mesh emulator: AMQP 1.0 routers in one Node process, each on a real TCP
 * port, behaving as seen by a client like qdrouterd 1.19 / skupper-router. See README.md.
 */

export type { ManagementResponse } from "./management/agent.ts";
export {
  type LocalMesh,
  LocalMeshError,
  localTopology,
  type RouterHandle,
  type StartLocalMeshOptions,
  startLocalMesh,
  startStandaloneRouter,
  type WaitOptions,
} from "./mesh.ts";
export { loadUsersFile, parseUsers, type Users, UsersFileError } from "./protocol/sasl.ts";
export { EmulatedRouter, type RouterOptions } from "./router.ts";
export { RoutingCore } from "./routing/routing-core.ts";
