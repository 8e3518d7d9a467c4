/**
 * The local router mesh emulator: AMQP 1.0 routers in one Node process, each on a real TCP
 * port, behaving as seen by a client like qdrouterd 1.19 / skupper-router. See README.md.
 */
export { type Distribution, matchPattern, tokenize } from "./address-table.ts";
export { NO_ROUTE } from "./broker-link.ts";
export { MESSAGE_SIZE_EXCEEDED, normaliseAddress } from "./client-connection.ts";
export { DEFAULT_LINK_CAPACITY } from "./credit.ts";
export { Fabric } from "./fabric.ts";
export type { ManagementResponse } from "./management.ts";
export { managementAddress } from "./management-node.ts";
export {
  type LocalMesh,
  MeshError,
  type RouterHandle,
  type StartLocalMeshOptions,
  startLocalMesh,
  startStandaloneRouter,
  type WaitOptions,
} from "./mesh.ts";
export { UNAUTHORIZED } from "./policy.ts";
export { EmulatedRouter, type RouterOptions } from "./router.ts";
export { loadUsersFile, parseUsers, type Users, UsersFileError } from "./sasl.ts";
