/**
 * Putting a deployed trigger function together, once per execution environment: the
 * registry snapshot and precompiled validators `npm run bundle` put beside the bundle
 * (shared/registry-snapshot, as for the ingress), and a shared AMQP publisher configured by
 * the same MESH_* variables as the ingress (`settings.ts`). The publisher connects on first
 * publish; it has no consumer or request side, so neither is bundled.
 */
import { type MeshPublisher, publisherFor, type RenewablePublisher } from "../amqp/index.ts";
import type {
  PayloadValidators,
  RegistrySnapshot,
  RegistryView,
} from "../registry-snapshot/index.ts";
import { type ChannelCatalog, channelCatalog, liveChannelCatalog } from "./catalog.ts";
import type { ChannelHandlerDefinition } from "./definition.ts";
import { PublishNotConfiguredError, UnknownChannelError } from "./errors.ts";
import { type ChannelPublish, channelPublisher } from "./publisher.ts";
import { publishSettingsFromEnv } from "./settings.ts";

type Env = Readonly<Record<string, string | undefined>>;

export interface DeployedTrigger {
  catalog: ChannelCatalog;
  /** Publishes through the shared publisher; refuses with the reason when MESH_URLS is not set. */
  publish: ChannelPublish;
  client: MeshPublisher | RenewablePublisher | undefined;
}

export function assembleTrigger(
  definition: Pick<ChannelHandlerDefinition<unknown>, "channel">,
  snapshot: RegistrySnapshot,
  validators: PayloadValidators,
  env: Env,
  log?: (line: string) => void,
  /** The live registry (deployedRegistryView): each batch checked against its current release. */
  view?: RegistryView,
): DeployedTrigger {
  // The function's own channel must be in the bundled snapshot: a deploy fails early.
  const bundled = channelCatalog(snapshot, validators);
  if (bundled.channel(definition.channel) === undefined)
    throw new UnknownChannelError(definition.channel, snapshot.digest);
  const catalog = view === undefined ? bundled : liveChannelCatalog(view);
  const mesh = publishSettingsFromEnv(env);
  if (mesh === undefined) {
    return {
      catalog,
      client: undefined,
      publish: () => Promise.reject(new PublishNotConfiguredError()),
    };
  }
  // A live registry renews the connection on each change (the routers' new rights).
  const client = publisherFor(mesh, log === undefined ? {} : { log }, view);
  return { catalog, client, publish: channelPublisher(client, catalog) };
}
