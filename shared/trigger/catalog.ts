/**
 * The channels a trigger function knows: the registry snapshot bundled with it (the same
 * snapshot and precompiled validators as the ingress, shared/registry-snapshot/), for
 * checking the payloads it receives and the ones it publishes.
 */
import {
  type DeployedChannel,
  DeployedRegistry,
  type PayloadValidator,
  type PayloadValidators,
  type RegistryRelease,
  type RegistrySnapshot,
  type RegistryView,
  type Violation,
} from "../registry-snapshot/index.ts";

export interface TriggerChannel {
  address: string;
  delivery: "at-least-once" | "at-most-once";
  /** Every violation of the channel's schema (none when valid or unchecked). */
  check(payload: unknown): Violation[];
}

export interface ChannelCatalog {
  readonly digest: string;
  channel(address: string): TriggerChannel | undefined;
}

function triggerChannel(
  channel: DeployedChannel,
  validator: PayloadValidator | undefined,
): TriggerChannel {
  return {
    address: channel.address,
    delivery: channel.delivery,
    check: (payload) => (validator === undefined ? [] : validator(payload, "")),
  };
}

/** A catalog over a snapshot and its validators (precompiled in a bundle, runtime elsewhere). */
export function channelCatalog(
  snapshot: RegistrySnapshot,
  validators: PayloadValidators,
): ChannelCatalog {
  return catalogOf(new DeployedRegistry(snapshot), validators);
}

/**
 * A catalog over a live registry: each lookup reads the view's current release (a batch looks
 * its channel up once, so the whole batch is checked against one release), `digest` is the
 * current release's.
 */
export function liveChannelCatalog(view: RegistryView): ChannelCatalog {
  const catalogs = new WeakMap<RegistryRelease, ChannelCatalog>();
  const current = (): ChannelCatalog => {
    const release = view.current();
    let catalog = catalogs.get(release);
    if (catalog === undefined) {
      catalog = catalogOf(release.registry, release.validators);
      catalogs.set(release, catalog);
    }
    return catalog;
  };
  return {
    get digest() {
      return view.current().digest;
    },
    channel: (address) => current().channel(address),
  };
}

function catalogOf(registry: DeployedRegistry, validators: PayloadValidators): ChannelCatalog {
  const cache = new Map<string, TriggerChannel>();
  return {
    digest: registry.digest,
    channel(address) {
      const found = cache.get(address);
      if (found) return found;
      const channel = registry.channel(address);
      if (channel === undefined) return undefined;
      const made = triggerChannel(channel, validators.forChannel(channel));
      cache.set(address, made);
      return made;
    },
  };
}
