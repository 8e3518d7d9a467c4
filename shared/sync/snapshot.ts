/**
 * A registry project as config-sync reads it from a store: `topology.yaml` and the files
 * under `registry/`, as text, with a digest that names this exact content (the registry
 * version routers are synced to). Loading runs the same validation as `amqp-mesh validate`
 * on the files in memory (project-loader.ts loads it); diagnostics name the store's paths.
 */
import { createHash } from "node:crypto";
import type { Diagnostic } from "../diagnostics.ts";
import type { ChannelRegistry } from "../registry/index.ts";
import type { Topology } from "../topology/index.ts";

export interface ProjectFile {
  /** Relative to the project root, `/`-separated: `topology.yaml`, `registry/sales.yaml`. */
  path: string;
  content: string;
}

export interface ProjectSnapshot {
  /** Sorted by path. */
  files: ProjectFile[];
  /** sha256 of every path and content: the registry version. */
  digest: string;
  /** Where it was read, for reports (`s3://bucket/prefix/`, a folder…). */
  source: string;
  /**
   * The store's own version of what was read (a digest of each object's ETag), when the
   * store has one: compared after a run to see whether a newer upload came in meanwhile.
   */
  revision: string;
}

export interface LoadedProject {
  snapshot: ProjectSnapshot;
  registry: ChannelRegistry | undefined;
  topology: Topology | undefined;
  /** Every problem, with the file as the store names it. */
  diagnostics: Diagnostic[];
}

/** Bounds on what one snapshot may hold: a registry is text, a few MB at most. */
export const SNAPSHOT_LIMITS = { files: 5_000, bytes: 32 * 1024 * 1024, pathLength: 512 };

/** A snapshot that cannot be taken as given (unsafe path, too large). */
export class SnapshotError extends Error {
  override name = "SnapshotError";
}

/** Whether a store path belongs to the project: the topology, or anything under registry/. */
export function isProjectPath(path: string): boolean {
  return path === "topology.yaml" || path.startsWith("registry/");
}

/**
 * Why a relative path cannot be written safely under a folder, or undefined when it can:
 * `/`-separated segments, none empty, `.` or `..`, no backslash or control character.
 */
export function unsafePathReason(path: string): string | undefined {
  if (path.length === 0) return "the path is empty";
  if (path.length > SNAPSHOT_LIMITS.pathLength)
    return `the path is longer than ${SNAPSHOT_LIMITS.pathLength} characters`;
  if (path.startsWith("/")) return "the path is absolute";
  // Control characters (NUL included) and backslashes (a separator elsewhere) never pass.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: they are what this refuses
  if (/[\u0000-\u001f\u007f\\]/.test(path))
    return "the path holds a backslash or a control character";
  for (const segment of path.split("/")) {
    if (segment === "") return "the path has an empty segment";
    if (segment === "." || segment === "..") return `the path has a '${segment}' segment`;
  }
  return undefined;
}

function digestOf(parts: readonly (readonly [string, string])[]): string {
  const hash = createHash("sha256");
  for (const [a, b] of parts) hash.update(`${a.length}:${a}${b.length}:${b}`);
  return hash.digest("hex");
}

/** The store revision of a listing: a digest of each project path's ETag. */
export function revisionOf(objects: readonly { path: string; etag: string }[]): string {
  return digestOf(
    objects.map((o) => [o.path, o.etag] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

/**
 * A snapshot of project files (others are left out). Throws SnapshotError for an unsafe
 * path, a repeated path, a path that is also another's folder, or more than SNAPSHOT_LIMITS
 * allows.
 */
export function makeSnapshot(
  files: readonly ProjectFile[],
  source: string,
  revision?: string,
): ProjectSnapshot {
  const kept = files.filter((f) => isProjectPath(f.path));
  if (kept.length > SNAPSHOT_LIMITS.files)
    throw new SnapshotError(
      `${source}: ${kept.length} project files, more than the ${SNAPSHOT_LIMITS.files} a registry may hold`,
    );
  let bytes = 0;
  const seen = new Set<string>();
  for (const file of kept) {
    const reason = unsafePathReason(file.path);
    if (reason !== undefined)
      throw new SnapshotError(
        `${source}: object '${JSON.stringify(file.path)}' is refused: ${reason}`,
      );
    if (seen.has(file.path)) throw new SnapshotError(`${source}: '${file.path}' is listed twice`);
    seen.add(file.path);
    bytes += Buffer.byteLength(file.content);
  }
  // A path cannot be a file and a folder at once (`registry/a` and `registry/a/b.yaml`):
  // an object store allows both, a project folder does not.
  for (const file of kept) {
    const segments = file.path.split("/");
    for (let i = 1; i < segments.length; i++) {
      const folder = segments.slice(0, i).join("/");
      if (seen.has(folder))
        throw new SnapshotError(
          `${source}: '${folder}' is a file, and '${file.path}' would need it to be a folder`,
        );
    }
  }
  if (bytes > SNAPSHOT_LIMITS.bytes)
    throw new SnapshotError(
      `${source}: the project files hold ${bytes} bytes, more than the ${SNAPSHOT_LIMITS.bytes} allowed`,
    );
  const sorted = [...kept].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const digest = digestOf(sorted.map((f) => [f.path, f.content] as const));
  return { files: sorted, digest, source, revision: revision ?? digest };
}
