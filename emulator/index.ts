/**
 * The local router mesh emulator: AMQP 1.0 routers in one Node process, each on a real TCP
 * port, behaving as seen by a client like qdrouterd 1.19 / skupper-router. See README.md.
 */
export type { Distribution } from "./address-table.ts";
export { Fabric } from "./fabric.ts";
export type { ManagementResponse } from "./management.ts";
export {
  type LocalMesh,
  MeshError,
  type RouterHandle,
  type StartLocalMeshOptions,
  startLocalMesh,
  startStandaloneRouter,
  type WaitOptions,
} from "./mesh.ts";
export { EmulatedRouter, type RouterOptions } from "./router.ts";
export { loadUsersFile, parseUsers, type Users, UsersFileError } from "./sasl.ts";
