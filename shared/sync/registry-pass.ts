/**
 * The first step of a sync pass: read the registry from its store and pass it through the
 * gate. The verdict says what was decided; the project is what the routers get in this pass
 * (the accepted registry, or on a schedule the last good one standing in for a refused one).
 */

import { checkRegistry } from "./gate.ts";
import type { ValidProject } from "./generated.ts";
import { validProjectOf } from "./last-applied.ts";
import type { ProjectLoader } from "./project-loader.ts";
import type { RegistryVerdict, SyncLogger } from "./report.ts";
import { type LoadedProject, SnapshotError } from "./snapshot.ts";
import { type RegistrySource, shortDigest } from "./source.ts";

export interface RegistryPass {
  verdict: RegistryVerdict;
  /** What was read and loaded; undefined when the store could not be read as a project. */
  loaded: LoadedProject | undefined;
  /** The registry that passed the gate. */
  accepted: ValidProject | undefined;
  /** What the routers are synced to in this pass; undefined: nothing is sent. */
  project: ValidProject | undefined;
}

export interface RegistryPassInput {
  source: RegistrySource;
  loader: ProjectLoader;
  /** The registry last accepted, the gate's baseline. */
  lastGood: LoadedProject | undefined;
  managementPrincipals: readonly string[];
  mode: "event" | "schedule";
  logger: SyncLogger;
}

function verdictOf(source: string): RegistryVerdict {
  return {
    source,
    digest: undefined,
    revision: undefined,
    accepted: false,
    reason: undefined,
    problems: [],
    notes: [],
    breakingChanges: [],
    usedLastGood: false,
  };
}

export async function readAndGate(input: RegistryPassInput): Promise<RegistryPass> {
  const { logger, lastGood } = input;
  const blank = verdictOf(input.source.description);
  let loaded: LoadedProject;
  try {
    loaded = await input.loader.load(await input.source.read());
  } catch (error) {
    if (!(error instanceof SnapshotError)) throw error;
    const verdict: RegistryVerdict = { ...blank, reason: "unreadable", problems: [error.message] };
    logger.error("registry refused", {
      source: verdict.source,
      reason: "unreadable",
      problems: verdict.problems,
    });
    return { verdict, loaded: undefined, accepted: undefined, project: undefined };
  }
  const { snapshot } = loaded;
  const read = { ...blank, digest: snapshot.digest, revision: snapshot.revision };
  const gate = checkRegistry(loaded, lastGood, input.managementPrincipals);
  if (gate.accepted) {
    logger.info("registry accepted", {
      source: read.source,
      digest: shortDigest(snapshot.digest),
      breakingAllowed: gate.breaking.length,
    });
    const verdict = { ...read, accepted: true, notes: gate.notes, breakingChanges: gate.breaking };
    return { verdict, loaded, accepted: gate.project, project: gate.project };
  }
  logger.error("registry refused", {
    source: read.source,
    digest: shortDigest(snapshot.digest),
    reason: gate.reason,
    problems: gate.problems,
  });
  const refused = {
    ...read,
    reason: gate.reason,
    problems: gate.problems,
    breakingChanges: gate.breaking,
  };
  // Restarted routers get the last good registry back; a registry change event sends nothing.
  const standIn = input.mode === "schedule" ? validProjectOf(lastGood) : undefined;
  return {
    verdict: standIn === undefined ? refused : { ...refused, usedLastGood: true },
    loaded,
    accepted: undefined,
    project: standIn,
  };
}
