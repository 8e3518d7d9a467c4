/** The example registry's snapshot, loaded once (as `npm run bundle` would write it). */
import { validateProject } from "../../../shared/registry/index.ts";
import {
  type RegistrySnapshot,
  snapshotRegistry,
} from "../../../shared/registry-snapshot/index.ts";

const { registry } = await validateProject(new URL("../../../examples", import.meta.url).pathname);
if (registry === undefined) throw new Error("examples are invalid");
const snapshot = snapshotRegistry(registry);

export function exampleSnapshot(): RegistrySnapshot {
  return snapshot;
}
