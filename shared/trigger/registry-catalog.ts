/**
 * A catalog of a freshly loaded registry, validators compiled by Ajv in this process (the
 * bridge, local runs, tests). Its own module: a function bundle, which reads the bundled
 * snapshot and precompiled validators, must not pull in Ajv's compiler.
 */
import type { ChannelRegistry } from "../registry/index.ts";
import { runtimeValidators, snapshotRegistry } from "../registry-snapshot/index.ts";
import { type ChannelCatalog, channelCatalog } from "./catalog.ts";

export function catalogOfRegistry(registry: ChannelRegistry): ChannelCatalog {
  return channelCatalog(snapshotRegistry(registry), runtimeValidators());
}
