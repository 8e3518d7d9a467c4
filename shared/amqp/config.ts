/**
 * Client configuration: validated with zod (mini), secrets redacted for every log and error path,
 * and hashed into the key that makes one shared client per process and config.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import * as z from "zod/mini";
import { isLoopbackHost } from "../loopback.ts";
import { ConfigError } from "./errors.ts";
import { MAX_TIMER_MS, timeLimitMs } from "./limits.ts";
import { englishMessages, issueLines } from "./schema-issues.ts";

/** rhea declares a router dead after twice our idle timeout: twice it must fit a timer. */
const MAX_IDLE_TIMEOUT_MS = Math.floor(MAX_TIMER_MS / 2);

/**
 * What is wrong with a router url, or undefined. Parsed as a WHATWG URL and checked to be
 * nothing but `amqp[s]://[user[:password]@]host[:port]`: a path, query or fragment usually
 * means a password with an unencoded `/`, `?` or `#`, which the parser split off, so the
 * client and its redaction would disagree about where the password ends. Never echoes it.
 */
export function amqpUrlProblem(value: string): string | undefined {
  // The URL parser drops tabs and line breaks silently: the password would not be the one given.
  if (hasControlCharacter(value)) {
    return "must not contain control characters (percent-encode them in a user name or password)";
  }
  const parsed = parseUrl(value);
  if (parsed === undefined) {
    return "is not a valid url (percent-encode @ : / ? # % and spaces in a user name or password)";
  }
  if (parsed.protocol !== "amqp:" && parsed.protocol !== "amqps:") {
    return "must be an amqp:// or amqps:// url";
  }
  if (parsed.hostname === "") return "must name a host: amqp[s]://[user[:password]@]host[:port]";
  if ((parsed.pathname !== "" && parsed.pathname !== "/") || parsed.search || parsed.hash) {
    return "must be amqp[s]://[user[:password]@]host[:port] with nothing after the port (percent-encode / ? # in a password)";
  }
  if (!decodes(parsed.username) || !decodes(parsed.password)) {
    return "has a malformed percent-escape in its user name or password";
  }
  return undefined;
}

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function decodes(component: string): boolean {
  try {
    decodeURIComponent(component);
    return true;
  } catch {
    return false;
  }
}

const amqpUrl = z.string().check(
  z.superRefine((value, ctx) => {
    const problem = amqpUrlProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  }),
);

/** Inline PEM (contains a -----BEGIN line) or a path to a PEM file, read at connect time. */
const pemOrPath = z.string().check(z.minLength(1));

const tlsConfigSchema = z.object({
  ca: z.optional(pemOrPath),
  cert: z.optional(pemOrPath),
  key: z.optional(pemOrPath),
  passphrase: z.optional(z.string()),
  servername: z.optional(z.string()),
  rejectUnauthorized: z._default(z.boolean(), true),
});

const saslConfigSchema = z
  .object({
    mechanism: z.enum(["ANONYMOUS", "PLAIN", "EXTERNAL"]),
    username: z.optional(z.string()),
    password: z.optional(z.string()),
  })
  .check(
    z.refine((s) => s.mechanism !== "PLAIN" || (s.username && s.password !== undefined), {
      message: "PLAIN needs username and password",
    }),
  );

const wholeMs = (schema: ReturnType<typeof timeLimitMs>) => schema.check(z.int());

export const meshClientConfigSchema = z
  .object({
    /** Edge routers in failover order. */
    urls: z.array(amqpUrl).check(z.minLength(1)),
    tls: z.optional(tlsConfigSchema),
    sasl: z._default(saslConfigSchema, { mechanism: "ANONYMOUS" }),
    /**
     * Our AMQP idle timeout (0 = none): the router sends a frame at least every half of
     * it, and rhea declares the router dead after twice it without a frame.
     */
    idleTimeoutMs: z._default(
      wholeMs(
        timeLimitMs({
          allowZero: true,
          max: MAX_IDLE_TIMEOUT_MS,
          why: `must be at most ${MAX_IDLE_TIMEOUT_MS} ms (the router is declared dead after twice it, and Node's longest timer is ${MAX_TIMER_MS} ms)`,
        }),
      ),
      16_000,
    ),
    /** How long one connection attempt (TCP + TLS + SASL + open) may take. */
    connectTimeoutMs: z._default(wholeMs(timeLimitMs()), 10_000),
    reconnect: z._default(
      z.object({
        initialDelayMs: z._default(wholeMs(timeLimitMs({ allowZero: true })), 100),
        maxDelayMs: z._default(wholeMs(timeLimitMs({ allowZero: true })), 10_000),
        /**
         * Consecutive failed attempts before pending work fails and the connection goes
         * idle until the next publish/request/connect() (consumers hear of it through
         * onError and resume with the next connection). Unset = keep trying (consumers).
         */
        maxAttempts: z.optional(z.number().check(z.int(), z.positive())),
      }),
      { initialDelayMs: 100, maxDelayMs: 10_000 },
    ),
    containerId: z.optional(z.string().check(z.minLength(1))),
    /** Default publish deadline. */
    publishDeadlineMs: z._default(wholeMs(timeLimitMs()), 30_000),
    /**
     * The sender cache (one session and link per address and delivery mode): a sender with
     * no publish pending for `idleTimeoutMs` is closed, and beyond `max` senders the least
     * recently used idle ones are (busy senders never are).
     */
    senders: z._default(
      z.object({
        idleTimeoutMs: z._default(wholeMs(timeLimitMs()), 300_000),
        max: z._default(z.number().check(z.int(), z.minimum(1, "must be at least 1")), 64),
      }),
      { idleTimeoutMs: 300_000, max: 64 },
    ),
    /**
     * Send a PLAIN password over plain TCP (amqp:// without tls) to a host other than
     * loopback: off unless said, since anyone on the path can read it.
     */
    allowPlainWithoutTls: z._default(z.boolean(), false),
    /**
     * Channels whose consumers attach to another address: a broker channel on skupper-router
     * is read from its queue's outlet (`consumerAddresses(registry, flavour)` in
     * shared/router-config). `consume("billing/invoices")` keeps the channel's name.
     */
    consumerAddresses: z.optional(
      z.record(z.string().check(z.minLength(1)), z.string().check(z.minLength(1))),
    ),
  })
  .check(
    z.refine((c) => c.sasl.mechanism !== "EXTERNAL" || (c.tls?.cert && c.tls.key), {
      message: "EXTERNAL needs tls.cert and tls.key",
      path: ["sasl", "mechanism"],
    }),
    z.superRefine((c, ctx) => {
      if (c.sasl.mechanism !== "PLAIN" || c.tls !== undefined || c.allowPlainWithoutTls) return;
      c.urls.forEach((url, index) => {
        const parsed = parseUrl(url);
        if (parsed === undefined || parsed.protocol !== "amqp:" || isLoopbackHost(parsed.hostname))
          return;
        ctx.addIssue({
          code: "custom",
          path: ["urls", index],
          message: `PLAIN would send the password in the clear to ${parsed.hostname}: use amqps:// (or tls), or set allowPlainWithoutTls: true for a network you trust`,
        });
      });
    }),
  );

export type MeshClientConfigInput = z.input<typeof meshClientConfigSchema>;
export type MeshClientConfig = z.output<typeof meshClientConfigSchema>;

/** Validates a config; the error lists each problem with its path and never echoes values. */
export function parseMeshClientConfig(input: unknown): MeshClientConfig {
  const result = meshClientConfigSchema.safeParse(input, englishMessages);
  if (!result.success) throw new ConfigError(issueLines(result.error, "(root)"));
  return result.data;
}

const REDACTED = "***";

/**
 * A url safe to print: scheme, user name, host and port, the password replaced by `***`.
 * Anything that is not exactly `scheme://[user[:password]@]host[:port]` (unparseable, or with
 * a path, query or fragment, where a password with an unencoded `/ ? #` may have been split
 * off) is not shown at all: only its scheme, when it is amqp or amqps.
 */
export function redactUrl(url: string): string {
  const parsed = parseUrl(url);
  if (
    parsed === undefined ||
    (parsed.pathname !== "" && parsed.pathname !== "/") ||
    parsed.search !== "" ||
    parsed.hash !== "" ||
    parsed.hostname === ""
  ) {
    const scheme = /^\s*(amqps?):/i.exec(url)?.[1]?.toLowerCase();
    return `${scheme === undefined ? "" : `${scheme}://`}(url not shown: not of the form amqp[s]://[user[:password]@]host[:port])`;
  }
  const password = parsed.password === "" ? "" : `:${REDACTED}`;
  const userinfo =
    parsed.username === "" && password === "" ? "" : `${parsed.username}${password}@`;
  return `${parsed.protocol}//${userinfo}${parsed.host}`;
}

/** Inline PEM material, as opposed to a path: the rule is the -----BEGIN line, nothing else. */
export function isInlinePem(value: string): boolean {
  return value.includes("-----BEGIN");
}

/**
 * Whether `value` names a file system entry. Errors and logs show a TLS value only then: a
 * value that names nothing may be key material given without its -----BEGIN line.
 */
function namesExistingFile(value: string): boolean {
  try {
    return value.length < 4_096 && !hasControlCharacter(value) && existsSync(value);
  } catch {
    return false;
  }
}

/** A TLS value for a log: certificates as given, keys hidden, paths only if they exist. */
function redactPem(value: string, secret: boolean): string {
  if (isInlinePem(value)) return secret || value.includes("PRIVATE KEY") ? REDACTED : value;
  return namesExistingFile(value) ? value : REDACTED;
}

/** A copy of the config safe to log: passwords, passphrases and keys replaced. */
export function redactConfig(config: MeshClientConfig): MeshClientConfig {
  const tls = config.tls;
  return {
    ...config,
    urls: config.urls.map(redactUrl),
    sasl: {
      ...config.sasl,
      ...(config.sasl.password === undefined ? {} : { password: REDACTED }),
    },
    ...(tls === undefined
      ? {}
      : {
          tls: {
            ...tls,
            ...(tls.passphrase === undefined ? {} : { passphrase: REDACTED }),
            ...(tls.ca === undefined ? {} : { ca: redactPem(tls.ca, false) }),
            ...(tls.cert === undefined ? {} : { cert: redactPem(tls.cert, false) }),
            ...(tls.key === undefined ? {} : { key: redactPem(tls.key, true) }),
          },
        }),
  };
}

/**
 * Stable identity of a parsed config (secrets included, but only as part of a hash). The
 * schema's parse builds every object in its shape's key order, defaults filled in, so the
 * same settings give the same JSON whatever order the input had: no sorted-key writer.
 */
export function configKey(config: MeshClientConfig): string {
  return createHash("sha256").update(JSON.stringify(config)).digest("hex");
}

/**
 * PEM material for TLS: inline PEM as given, otherwise the contents of the file it names.
 * An unreadable file is a ConfigError naming the field, and the path only if it exists.
 */
export function loadPem(value: string | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (isInlinePem(value)) return value;
  try {
    return readFileSync(value, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? "unreadable";
    if (namesExistingFile(value)) {
      throw new ConfigError([`tls.${what}: cannot read PEM file ${value} (${reason})`]);
    }
    throw new ConfigError([
      `tls.${what}: neither inline PEM (no -----BEGIN line) nor the path of a readable file (${reason}); the value is not shown, as it may be key material`,
    ]);
  }
}
