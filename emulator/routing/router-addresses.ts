/** Addresses a router owns in the mesh, as qdrouterd names them (`_topo/0/<router>/…`). */

/** Where a router's `$management` node is reached from anywhere in the mesh. */
export function managementAddress(routerId: string): string {
  return `_topo/0/${routerId}/$management`;
}
