/**
 * Settings from environment variables, as the functions read them (Lambda configuration,
 * Azure app settings): comma-separated lists, positive durations, and the mesh login
 * (MESH_SASL_* and MESH_TLS_*). A malformed value is a problem naming the variable and what
 * it must hold — never its value — collected for the caller to throw as one error. No
 * dependencies: every function bundle can afford it.
 */

export type Env = Readonly<Record<string, string | undefined>>;

/** A comma-separated list: items trimmed, empty ones left out; none when unset. */
export function listSetting(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/**
 * A positive whole number of milliseconds, or `fallback` when the variable is unset or
 * blank; anything else adds a problem and gives the fallback.
 */
export function positiveMsSetting(
  env: Env,
  name: string,
  fallback: number,
  problems: string[],
): number {
  const text = env[name];
  if (text === undefined || text.trim() === "") return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) {
    problems.push(`${name} must be a positive whole number of milliseconds`);
    return fallback;
  }
  return value;
}

export type SaslMechanism = "ANONYMOUS" | "PLAIN" | "EXTERNAL";

export interface MeshLogin {
  sasl: { mechanism: SaslMechanism; username?: string; password?: string };
  /** For amqps:// URLs. */
  tls: {
    ca?: string;
    cert?: string;
    key?: string;
    servername?: string;
    rejectUnauthorized: boolean;
  };
}

/**
 * MESH_SASL_MECHANISM (PLAIN when MESH_SASL_USERNAME is set, else ANONYMOUS; or EXTERNAL with
 * MESH_TLS_CERT/KEY), MESH_SASL_USERNAME, MESH_SASL_PASSWORD; MESH_TLS_CA, MESH_TLS_CERT,
 * MESH_TLS_KEY, MESH_TLS_SERVERNAME, MESH_TLS_REJECT_UNAUTHORIZED (anything but `false`
 * verifies the router's certificate).
 */
export function meshLoginFromEnv(env: Env, problems: string[]): MeshLogin {
  const username = env.MESH_SASL_USERNAME;
  const mechanism = env.MESH_SASL_MECHANISM ?? (username === undefined ? "ANONYMOUS" : "PLAIN");
  if (mechanism !== "ANONYMOUS" && mechanism !== "PLAIN" && mechanism !== "EXTERNAL")
    problems.push("MESH_SASL_MECHANISM must be PLAIN, EXTERNAL or ANONYMOUS");
  return {
    sasl: {
      mechanism: mechanism as SaslMechanism,
      ...(username === undefined ? {} : { username }),
      ...(env.MESH_SASL_PASSWORD === undefined ? {} : { password: env.MESH_SASL_PASSWORD }),
    },
    tls: {
      ...(env.MESH_TLS_CA ? { ca: env.MESH_TLS_CA } : {}),
      ...(env.MESH_TLS_CERT ? { cert: env.MESH_TLS_CERT } : {}),
      ...(env.MESH_TLS_KEY ? { key: env.MESH_TLS_KEY } : {}),
      ...(env.MESH_TLS_SERVERNAME ? { servername: env.MESH_TLS_SERVERNAME } : {}),
      rejectUnauthorized: env.MESH_TLS_REJECT_UNAUTHORIZED !== "false",
    },
  };
}
