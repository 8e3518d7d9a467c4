/**
 * Putting a deployed ingress together, once per execution environment (outside any
 * handler): settings from the environment, the registry snapshot and the precompiled
 * validators written next to the bundle by `npm run bundle` (loaded with
 * `loadDeploymentArtifacts`, shared/registry-snapshot), one shared AMQP publisher — and,
 * when the function reads the registry live, the view each request takes its release from
 * and a publisher that opens a new connection when the registry changes (the routers grant
 * a new registry's rights only to connections opened after it: renewable-publisher.ts).
 */
import { type MeshPublisher, publisherFor, type RenewablePublisher } from "../amqp/index.ts";
import {
  DeployedRegistry,
  type PayloadValidators,
  type RegistrySnapshot,
  type RegistryView,
} from "../registry-snapshot/index.ts";
import { CallerAuthenticator } from "./auth.ts";
import type { IngressSettings } from "./config.ts";
import { createIngress, type Ingress } from "./ingress.ts";

export interface DeployedIngress {
  ingress: Ingress;
  /** Publishes only: the bundle leaves the client's consumer and request code out. */
  client: MeshPublisher | RenewablePublisher;
  registry: DeployedRegistry;
}

export function assembleIngress(
  settings: IngressSettings,
  snapshot: RegistrySnapshot,
  validators: PayloadValidators,
  log?: (line: string) => void,
  /** The live registry (deployedRegistryView); the snapshot alone otherwise. */
  view?: RegistryView,
): DeployedIngress {
  const registry = new DeployedRegistry(snapshot);
  const client = publisherFor(settings.mesh, log === undefined ? {} : { log }, view);
  const ingress = createIngress({
    registry,
    authenticator: new CallerAuthenticator(registry, settings.auth),
    validators,
    publisher: client,
    publishDeadlineMs: settings.publishDeadlineMs,
    ...(view === undefined ? {} : { view }),
  });
  return { ingress, client, registry };
}
