/** `allocator` rows: a few memory pools, as `qdstat -m` shows them. */
import type { Attributes } from "../../entities/schema.ts";
import { type RuntimeView, totals } from "./view.ts";

/**
 * A few allocator pools, named as qdrouterd's, with the emulator's own object counts: what
 * `qdstat -m` shows of a router's memory.
 */
export function allocatorRows(view: RuntimeView): Attributes[] {
  const t = totals(view);
  const pools: Array<[string, number, number]> = [
    // [type, typeSize (bytes, as recorded from qdrouterd 1.19.0), objects in use]
    ["qdr_connection_t", 632, view.connections.length],
    ["qdr_link_t", 552, t.links],
    ["qdr_address_t", 416, view.routing.allAddresses().length],
    ["qdr_delivery_t", 312, t.unsettled],
  ];
  const type = view.agent.qualified("allocator");
  return pools.map(([typeName, typeSize, used]) => ({
    typeName,
    typeSize,
    transferBatchSize: 64,
    localFreeListMax: 128,
    globalFreeListMax: 0,
    totalAllocFromHeap: used,
    totalFreeToHeap: 0,
    heldByThreads: used,
    batchesRebalancedToThreads: 0,
    batchesRebalancedToGlobal: 0,
    name: `allocator/${typeName}`,
    identity: `allocator/${typeName}`,
    type,
  }));
}
