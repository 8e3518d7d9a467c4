/**
 * The channel catalog a running console serves: generated from the registry the platform
 * enforces now and generated again whenever it takes another one. Versions count on as
 * `amqp-mesh catalog` counts them: against the documents of the catalog before (kept in
 * `dir` when given, so the next run counts on from this one).
 *
 *   const catalog = await LiveCatalog.start(project, { dir: "out/examples/catalog" });
 *   catalog.file("catalog.html");   …   await catalog.update(nextProject);
 */
import { createHash } from "node:crypto";
import {
  CATALOG_PAGE,
  CatalogBaselineError,
  type CatalogFiles,
  catalogFiles,
  type PublishedVersion,
  readPublishedVersion,
  readPublishedVersions,
  teamDocumentFile,
  writeCatalog,
} from "../../shared/catalog/index.ts";
import type { ChannelRegistry } from "../../shared/registry/index.ts";
import type { Topology } from "../../shared/topology/index.ts";

export interface CatalogProject {
  registry: ChannelRegistry;
  topology: Topology;
}

export interface LiveCatalogOptions {
  /** Where the catalog's files are kept: the last ones are the baseline of the versions. */
  dir?: string;
  log?: (line: string) => void;
}

export interface CatalogFile {
  text: string;
  type: string;
}

/** The Content-Security-Policy of the catalog page: its own inline style and script only. */
function pageSecurityPolicy(html: string): string {
  const hashes = (tag: string) =>
    [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))].map(
      (m) =>
        `'sha256-${createHash("sha256")
          .update(m[1] ?? "")
          .digest("base64")}'`,
    );
  return [
    "default-src 'none'",
    `script-src ${hashes("script").join(" ") || "'none'"}`,
    `style-src ${hashes("style").join(" ") || "'none'"}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export class LiveCatalog {
  readonly #options: LiveCatalogOptions;
  #files: CatalogFiles = new Map();
  #pagePolicy = "";

  private constructor(options: LiveCatalogOptions) {
    this.#options = options;
  }

  /** The catalog of `project`, counted on from the documents in `dir` when there are any. */
  static async start(
    project: CatalogProject,
    options: LiveCatalogOptions = {},
  ): Promise<LiveCatalog> {
    const catalog = new LiveCatalog(options);
    let baselines = new Map<string, PublishedVersion>();
    if (options.dir !== undefined) {
      try {
        baselines = await readPublishedVersions(
          options.dir,
          project.registry.teams.map((t) => t.team),
        );
      } catch (error) {
        if (!(error instanceof CatalogBaselineError)) throw error;
        options.log?.(`catalog: versions start afresh: ${error.message}`);
      }
    }
    await catalog.#generate(project, baselines);
    return catalog;
  }

  /** Generates the catalog of the registry now enforced; versions count on from the last. */
  async update(project: CatalogProject): Promise<void> {
    const baselines = new Map<string, PublishedVersion>();
    for (const team of project.registry.teams) {
      const name = teamDocumentFile(team.team);
      const text = this.#files.get(name);
      if (text !== undefined) baselines.set(team.team, readPublishedVersion(text, name));
    }
    await this.#generate(project, baselines);
  }

  /** The names of the catalog's files: the page and a document per team. */
  get names(): string[] {
    return [...this.#files.keys()];
  }

  /** A file of the catalog with its content type and, for the page, its CSP. */
  file(name: string): (CatalogFile & { policy?: string }) | undefined {
    const text = this.#files.get(name);
    if (text === undefined) return undefined;
    if (name === CATALOG_PAGE)
      return { text, type: "text/html; charset=utf-8", policy: this.#pagePolicy };
    return { text, type: "application/yaml; charset=utf-8" };
  }

  async #generate(
    project: CatalogProject,
    baselines: ReadonlyMap<string, PublishedVersion>,
  ): Promise<void> {
    const files = catalogFiles(project.registry, project.topology, baselines);
    // Served from now on; kept on disk after.
    this.#files = files;
    this.#pagePolicy = pageSecurityPolicy(files.get(CATALOG_PAGE) ?? "");
    if (this.#options.dir !== undefined) {
      await writeCatalog(files, this.#options.dir).catch((error: unknown) =>
        this.#options.log?.(`catalog: not kept in ${this.#options.dir}: ${String(error)}`),
      );
    }
  }
}
