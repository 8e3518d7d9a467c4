/**
 * Putting a deployed ingress together, once per execution environment (outside any
 * handler): settings from the environment, the registry snapshot and the precompiled
 * validators written next to the bundle by `npm run bundle`, one shared AMQP publisher.
 */
import { readFile } from "node:fs";
import { getSharedPublisher, type MeshPublisher } from "../amqp/index.ts";
import { CallerAuthenticator } from "./auth.ts";
import type { IngressSettings } from "./config.ts";
import { createIngress, type Ingress } from "./ingress.ts";
import {
  type CompiledValidate,
  type PayloadValidators,
  precompiledValidators,
} from "./payload-validators.ts";
import { IngressRegistry, parseRegistrySnapshot, type RegistrySnapshot } from "./registry.ts";

export const SNAPSHOT_FILE = "registry.json";
export const VALIDATORS_FILE = "validators.mjs";

export interface DeployedIngress {
  ingress: Ingress;
  /** Publishes only: the bundle leaves the client's consumer and request code out. */
  client: MeshPublisher;
  registry: IngressRegistry;
}

export function assembleIngress(
  settings: IngressSettings,
  snapshot: RegistrySnapshot,
  validators: PayloadValidators,
  log?: (line: string) => void,
): DeployedIngress {
  const registry = new IngressRegistry(snapshot);
  const client = getSharedPublisher(settings.mesh, log === undefined ? {} : { log });
  const ingress = createIngress({
    registry,
    authenticator: new CallerAuthenticator(registry, settings.auth),
    validators,
    publisher: client,
    publishDeadlineMs: settings.publishDeadlineMs,
  });
  return { ingress, client, registry };
}

/** The snapshot and validators beside the bundle (`dir` is the bundle's folder URL). */
export async function loadDeploymentArtifacts(
  dir: URL,
): Promise<{ snapshot: RegistrySnapshot; validators: PayloadValidators }> {
  const snapshotUrl = new URL(SNAPSHOT_FILE, dir);
  let text: string;
  try {
    // node:fs/promises would load readline and fs watchers too: ~1 ms of a cold start.
    text = await new Promise<string>((resolve, reject) =>
      readFile(snapshotUrl, "utf8", (error, data) => (error ? reject(error) : resolve(data))),
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new Error(
      `${snapshotUrl.pathname}: registry snapshot missing (${code}); deploy what \`npm run bundle\` wrote`,
    );
  }
  const snapshot = parseRegistrySnapshot(JSON.parse(text), snapshotUrl.pathname);
  const module = (await import(new URL(VALIDATORS_FILE, dir).href)) as {
    validators: Record<string, CompiledValidate>;
    digest: string;
  };
  if (module.digest !== snapshot.digest)
    throw new Error(
      `${VALIDATORS_FILE} was built for another registry snapshot than ${SNAPSHOT_FILE}; deploy both from one \`npm run bundle\``,
    );
  return { snapshot, validators: precompiledValidators(module.validators) };
}
