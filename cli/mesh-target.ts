/**
 * Which routers a command reads or talks to, and how it logs in — shared by `console`,
 * `status`, `verify`, `publish` and `tail`:
 * - `--target <file>`: a JSON file `{"routers": [{"url": "amqp://…", "id"?: "…"}]}` (the
 *   conformance suite's running-routers file works as is);
 * - `--router <url>…`: URLs (repeat, or comma-separate);
 * - neither: the project topology's routers at their clients listeners — the routers a local
 *   `amqp-mesh up` of the project runs.
 * The management login is `sync`'s: `--username`/MESH_SASL_USERNAME with
 * `--password-file`/MESH_SASL_PASSWORD; with neither, the local platform's own
 * (`amqp-mesh-sync` and `out/<project>/sync-password`, written by `up`) when it is there.
 * A principal's login (`--as`) takes its password from `--password-file`/MESH_SASL_PASSWORD,
 * or from the local platform's `out/<project>/local-users.json`.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { z } from "zod";
import type { ManagementTarget } from "../shared/management/index.ts";
import type { ObservedRouter } from "../shared/observe/index.ts";
import type { Topology } from "../shared/topology/index.ts";
import type { CommandArgs, CommandOptions } from "./args.ts";
import { SYNC_PRINCIPAL } from "./local/platform.ts";
import { UsageError } from "./usage.ts";

type Env = Readonly<Record<string, string | undefined>>;

export const MESH_OPTIONS = {
  target: {
    type: "string",
    value: "<file>",
    help: 'a JSON file naming the routers: {"routers": [{"url": "amqp://host:port", "id": "…"}]}',
  },
  router: {
    type: "string",
    multiple: true,
    value: "<url>",
    help: "a router's amqp:// or amqps:// URL (repeat, or comma-separate; default: the topology's routers)",
  },
  username: {
    type: "string",
    value: "<name>",
    help: "the management login (default MESH_SASL_USERNAME, else the local up's amqp-mesh-sync)",
  },
  "password-file": {
    type: "string",
    value: "<file>",
    help: "a file holding its password (default MESH_SASL_PASSWORD, else out/<project>/sync-password)",
  },
  ca: { type: "string", value: "<file>", help: "the CA of the routers' TLS (default MESH_TLS_CA)" },
  out: {
    type: "string",
    value: "<dir>",
    help: "the local platform's out folder, for its logins (default out/<project folder name>)",
  },
} as const satisfies CommandOptions;

type MeshArgs = CommandArgs<typeof MESH_OPTIONS>;

const URL_PATTERN = /^amqps?:\/\/[^/\s]+/;

const targetFileSchema = z
  .object({
    routers: z
      .array(
        z
          .object({
            url: z.string().regex(URL_PATTERN, "must be an amqp:// or amqps:// URL"),
            id: z.string().min(1).optional(),
          })
          .passthrough(),
      )
      .min(1, "must name at least one router"),
  })
  .passthrough();

export interface TargetRouter {
  url: string;
  id: string | undefined;
}

/** Reads a target file's text; throws UsageError saying what is wrong and where. */
export function parseTargetFile(text: string, file: string): TargetRouter[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `--target ${file}: not JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const parsed = targetFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length === 0 ? "" : ` at ${issue.path.join(".")}`;
    throw new UsageError(`--target ${file}${at}: ${issue.message}`);
  }
  return parsed.data.routers.map((r) => ({ url: r.url, id: r.id }));
}

/** The URLs of --router (repeated or comma-separated), each checked. */
export function routerUrls(values: readonly string[] | undefined): string[] {
  const urls = (values ?? [])
    .flatMap((v) => v.split(","))
    .map((u) => u.trim())
    .filter((u) => u !== "");
  for (const url of urls)
    if (!URL_PATTERN.test(url))
      throw new UsageError(
        `--router '${url.replace(/\/\/[^@/]*@/, "//***@")}' is not an amqp:// or amqps:// URL`,
      );
  return urls;
}

/** Each router of the topology at its clients listener (amqps when the listener has TLS). */
export function topologyRouters(topology: Topology): TargetRouter[] {
  return topology.routers.map((r) => {
    const scheme = r.listeners.clients.tlsProfile === undefined ? "amqp" : "amqps";
    return { id: r.id, url: `${scheme}://${r.host}:${r.listeners.clients.port}` };
  });
}

/** --target, else --router, else the topology's routers. */
export async function chosenRouters(args: MeshArgs, topology: Topology): Promise<TargetRouter[]> {
  const file = args.values.target;
  const urls = routerUrls(args.values.router);
  if (typeof file === "string") {
    if (urls.length > 0) throw new UsageError("give --target <file> or --router <url>, not both");
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch {
      throw new UsageError(`--target '${file}' cannot be read`);
    }
    return parseTargetFile(text, file);
  }
  if (urls.length > 0) return urls.map((url) => ({ url, id: undefined }));
  return topologyRouters(topology);
}

export function localOutDir(args: MeshArgs, projectDir: string): string {
  return typeof args.values.out === "string"
    ? resolve(args.values.out)
    : resolve("out", basename(projectDir));
}

async function readSecret(file: string, option: string): Promise<string> {
  try {
    return (await readFile(file, "utf8")).replace(/\r?\n$/, "");
  } catch {
    throw new UsageError(`${option} '${file}' cannot be read`);
  }
}

export type Sasl = ManagementTarget["sasl"];

/** The management login (see the top of this file). */
export async function managementLogin(
  args: MeshArgs,
  projectDir: string,
  env: Env = process.env,
): Promise<Sasl> {
  const file = args.values["password-file"];
  let username =
    typeof args.values.username === "string" ? args.values.username : env.MESH_SASL_USERNAME;
  let password =
    typeof file === "string" ? await readSecret(file, "--password-file") : env.MESH_SASL_PASSWORD;
  if (username === undefined || username === "") {
    const local = join(localOutDir(args, projectDir), "sync-password");
    if (!existsSync(local)) return { mechanism: "ANONYMOUS" };
    username = SYNC_PRINCIPAL;
    password = await readSecret(local, "the local platform's sync password");
  }
  if (password === undefined)
    throw new UsageError(
      `no password for '${username}': set MESH_SASL_PASSWORD or give --password-file <file>`,
    );
  return { mechanism: "PLAIN", username, password };
}

/** A principal's login: its password from --password-file / MESH_SASL_PASSWORD, or the local platform's users file. */
export async function principalLogin(
  args: MeshArgs,
  projectDir: string,
  principal: string,
  env: Env = process.env,
): Promise<Sasl> {
  const file = args.values["password-file"];
  if (typeof file === "string")
    return {
      mechanism: "PLAIN",
      username: principal,
      password: await readSecret(file, "--password-file"),
    };
  if (env.MESH_SASL_PASSWORD !== undefined)
    return { mechanism: "PLAIN", username: principal, password: env.MESH_SASL_PASSWORD };
  const usersFile = join(localOutDir(args, projectDir), "local-users.json");
  let users: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(await readFile(usersFile, "utf8")) as {
      users?: Record<string, unknown>;
    };
    users = parsed.users ?? {};
  } catch {
    throw new UsageError(
      `no password for '${principal}': give --password-file <file> or MESH_SASL_PASSWORD (or run amqp-mesh up, which writes ${usersFile})`,
    );
  }
  const password = users[principal];
  if (typeof password !== "string")
    throw new UsageError(`'${principal}' is not a user of the local platform (${usersFile})`);
  return { mechanism: "PLAIN", username: principal, password };
}

export function tlsOf(args: MeshArgs, env: Env = process.env): ManagementTarget["tls"] {
  const ca = typeof args.values.ca === "string" ? args.values.ca : env.MESH_TLS_CA;
  return {
    ...(ca === undefined || ca === "" ? {} : { ca }),
    ...(env.MESH_TLS_SERVERNAME ? { servername: env.MESH_TLS_SERVERNAME } : {}),
    rejectUnauthorized: env.MESH_TLS_REJECT_UNAUTHORIZED !== "false",
  };
}

/** The routers to observe, each with the management login. */
export async function observedRouters(
  args: MeshArgs,
  projectDir: string,
  topology: Topology,
  env: Env = process.env,
): Promise<ObservedRouter[]> {
  const routers = await chosenRouters(args, topology);
  const sasl = await managementLogin(args, projectDir, env);
  const tls = tlsOf(args, env);
  return routers.map((r) => ({
    url: r.url,
    ...(r.id === undefined ? {} : { id: r.id }),
    ...(sasl === undefined ? {} : { sasl }),
    ...(r.url.startsWith("amqps:") || tls?.ca !== undefined ? { tls } : {}),
  }));
}
