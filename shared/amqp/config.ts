/**
 * Client configuration: validated with zod, secrets redacted for every log and error path,
 * and hashed into the key that makes one shared client per process and config.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as z from "zod";
import { ConfigError } from "./errors.ts";

const amqpUrl = z
  .string()
  .refine((value) => /^amqps?:\/\/[^/]+/.test(value), "must be an amqp:// or amqps:// url");

/** A PEM string (starts with -----BEGIN) or a path to a PEM file, read at connect time. */
const pemOrPath = z.string().min(1);

const tlsConfigSchema = z.object({
  ca: pemOrPath.optional(),
  cert: pemOrPath.optional(),
  key: pemOrPath.optional(),
  passphrase: z.string().optional(),
  servername: z.string().optional(),
  rejectUnauthorized: z.boolean().default(true),
});

const saslConfigSchema = z
  .object({
    mechanism: z.enum(["ANONYMOUS", "PLAIN", "EXTERNAL"]),
    username: z.string().optional(),
    password: z.string().optional(),
  })
  .refine((s) => s.mechanism !== "PLAIN" || (s.username && s.password !== undefined), {
    message: "PLAIN needs username and password",
  });

export const meshClientConfigSchema = z
  .object({
    /** Edge routers in failover order. */
    urls: z.array(amqpUrl).min(1),
    tls: tlsConfigSchema.optional(),
    sasl: saslConfigSchema.default({ mechanism: "ANONYMOUS" }),
    /**
     * Our AMQP idle timeout (0 = none): the router sends a frame at least every half of
     * it, and rhea declares the router dead after twice it without a frame.
     */
    idleTimeoutMs: z.number().int().min(0).default(16_000),
    /** How long one connection attempt (TCP + TLS + SASL + open) may take. */
    connectTimeoutMs: z.number().int().positive().default(10_000),
    reconnect: z
      .object({
        initialDelayMs: z.number().int().min(0).default(100),
        maxDelayMs: z.number().int().min(0).default(10_000),
        /**
         * Consecutive failed attempts before pending work fails and the connection goes
         * idle until the next publish/request/connect() (consumers hear of it through
         * onError and resume with the next connection). Unset = keep trying (consumers).
         */
        maxAttempts: z.number().int().positive().optional(),
      })
      .default({ initialDelayMs: 100, maxDelayMs: 10_000 }),
    containerId: z.string().min(1).optional(),
    /** Default publish deadline. */
    publishDeadlineMs: z.number().int().positive().default(30_000),
  })
  .refine((c) => c.sasl.mechanism !== "EXTERNAL" || (c.tls?.cert && c.tls.key), {
    message: "EXTERNAL needs tls.cert and tls.key",
    path: ["sasl", "mechanism"],
  });

export type MeshClientConfigInput = z.input<typeof meshClientConfigSchema>;
export type MeshClientConfig = z.output<typeof meshClientConfigSchema>;

/** Validates a config; the error lists each problem with its path and never echoes values. */
export function parseMeshClientConfig(input: unknown): MeshClientConfig {
  const result = meshClientConfigSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`),
    );
  }
  return result.data;
}

const REDACTED = "***";

/** Strips userinfo passwords from a url: amqp://user:secret@host → amqp://user:***@host. */
export function redactUrl(url: string): string {
  return url.replace(/^(amqps?:\/\/)([^@/]*)@/, (_m, scheme: string, userinfo: string) => {
    const user = userinfo.split(":")[0] ?? "";
    return `${scheme}${user}${userinfo.includes(":") ? `:${REDACTED}` : ""}@`;
  });
}

function isPem(value: string): boolean {
  return value.trimStart().startsWith("-----BEGIN");
}

/** A copy of the config safe to log: passwords, passphrases and inline keys replaced. */
export function redactConfig(config: MeshClientConfig): MeshClientConfig {
  return {
    ...config,
    urls: config.urls.map(redactUrl),
    sasl: {
      ...config.sasl,
      ...(config.sasl.password === undefined ? {} : { password: REDACTED }),
    },
    ...(config.tls === undefined
      ? {}
      : {
          tls: {
            ...config.tls,
            ...(config.tls.passphrase === undefined ? {} : { passphrase: REDACTED }),
            ...(config.tls.key !== undefined && isPem(config.tls.key) ? { key: REDACTED } : {}),
          },
        }),
  };
}

/** Stable identity of a config (secrets included, but only as part of a hash). */
export function configKey(config: MeshClientConfig): string {
  return createHash("sha256").update(canonicalJson(config)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** PEM material for TLS: inline PEM as given, otherwise the file's contents. */
export function loadPem(value: string | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (isPem(value)) return value;
  try {
    return readFileSync(value, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new ConfigError([`tls.${what}: cannot read PEM file ${value} (${reason})`]);
  }
}
