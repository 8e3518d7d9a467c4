/**
 * The registry view of a deployed function (the ingress, a trigger): the bundled snapshot
 * alone when its environment names no store — exactly as before the live registry —, or a
 * LiveRegistry over the store the cloud front opens (lazily: its SDK is imported after init).
 */
import {
  fixedRegistry,
  LiveRegistry,
  pollMsFromEnv,
  type RegistryView,
  type SnapshotStore,
} from "./live.ts";
import { liveValidators } from "./live-validators.ts";
import type { RegistrySnapshot } from "./snapshot.ts";
import type { PayloadValidators } from "./validators.ts";

export interface DeployedRegistryView {
  view: RegistryView;
  /** Undefined when no store is configured. */
  live: LiveRegistry | undefined;
}

export function deployedRegistryView(options: {
  bundled: { snapshot: RegistrySnapshot; validators: PayloadValidators };
  /** How to open the store; undefined when the environment names none. */
  openStore: (() => Promise<SnapshotStore>) | undefined;
  env: Readonly<Record<string, string | undefined>>;
  log: (line: string) => void;
}): DeployedRegistryView {
  const { bundled, openStore, env, log } = options;
  if (openStore === undefined)
    return { view: fixedRegistry(bundled.snapshot, bundled.validators), live: undefined };
  const live = new LiveRegistry({
    bundled,
    store: openStore,
    validatorsFor: liveValidators(bundled),
    pollMs: pollMsFromEnv(env),
    log,
  }).start();
  return { view: live, live };
}
