/**
 * The Cyrus SASL user database of a local mesh of real routers: every registry principal
 * (and the local config-sync login) with the password made up for this run, in a sasldb made with
 * `saslpasswd2`, plus the `amqp-mesh.conf` the routers' saslConfigDir points at. Cyrus
 * looks PLAIN users up in the realm of the host's name, which is also saslpasswd2's
 * default, so local clients log in with the bare principal name.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renderSaslConfig, SASL_CONFIG_NAME } from "../../shared/router-config/index.ts";
import { runTool } from "./tools.ts";

export interface LocalSaslDatabase {
  configDir: string;
  database: string;
}

/** Where the SASL config and user database are in `dir` (made, or to be read). */
export function saslFiles(dir: string): LocalSaslDatabase {
  return { configDir: dir, database: join(dir, "users.sasldb") };
}

export async function makeSaslDatabase(
  dir: string,
  users: ReadonlyMap<string, string>,
): Promise<LocalSaslDatabase> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { database } = saslFiles(dir);
  await rm(database, { force: true });
  for (const [user, password] of users) {
    await runTool("saslpasswd2", ["-c", "-p", "-f", database, user], {
      input: password,
      what: `adding the local SASL user '${user}'`,
    });
  }
  await writeFile(
    join(dir, `${SASL_CONFIG_NAME}.conf`),
    renderSaslConfig({ configDir: dir, database }) ?? "",
  );
  return { configDir: dir, database };
}
