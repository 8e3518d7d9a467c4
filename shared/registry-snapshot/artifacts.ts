/**
 * What `npm run bundle` writes beside every function that reads the registry (the ingress,
 * the triggers): the snapshot (`registry.json`) and its payload validators precompiled by
 * Ajv (`validators.mjs`), and how a function loads both when it starts.
 */
import { readFile } from "node:fs";
import { parseRegistrySnapshot, type RegistrySnapshot } from "./snapshot.ts";
import {
  type CompiledValidate,
  type PayloadValidators,
  precompiledValidators,
} from "./validators.ts";

export const SNAPSHOT_FILE = "registry.json";
export const VALIDATORS_FILE = "validators.mjs";

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
