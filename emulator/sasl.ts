/**
 * SASL for emulated listeners: ANONYMOUS and PLAIN. PLAIN users come from a users file —
 * the emulator's stand-in for qdrouterd's Cyrus sasldb: either JSON
 * (`{"users": {"alice": "secret"}}` or `{"alice": "secret"}`) or lines of `user:password`
 * (`#` starts a comment).
 */
import { readFileSync } from "node:fs";

export type Users = ReadonlyMap<string, string>;

export class UsersFileError extends Error {
  override readonly name = "UsersFileError";
}

export function parseUsers(text: string): Users {
  const trimmed = text.trim();
  const users = new Map<string, string>();
  if (trimmed.startsWith("{")) {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(trimmed) as Record<string, unknown>;
    } catch (error) {
      throw new UsersFileError(
        `users file is not valid JSON (${error instanceof Error ? error.message : String(error)}); ` +
          'expected {"users": {"name": "password"}} or lines of name:password',
      );
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new UsersFileError(
        'users file JSON must be an object: {"users": {"name": "password"}}',
      );
    }
    const table =
      typeof parsed.users === "object" && parsed.users !== null
        ? (parsed.users as Record<string, unknown>)
        : parsed;
    for (const [user, password] of Object.entries(table)) {
      if (typeof password === "string") users.set(user, password);
    }
    return users;
  }
  for (const line of trimmed.split(/\r?\n/)) {
    const clean = line.replace(/#.*/, "").trim();
    const colon = clean.indexOf(":");
    if (colon > 0) users.set(clean.slice(0, colon), clean.slice(colon + 1));
  }
  return users;
}

export function loadUsersFile(path: string): Users {
  try {
    return parseUsers(readFileSync(path, "utf8"));
  } catch (error) {
    if (error instanceof UsersFileError) throw new UsersFileError(`${path}: ${error.message}`);
    throw error;
  }
}

/** qdrouterd lists mechanisms space-separated (`saslMechanisms: ANONYMOUS PLAIN`). */
export function parseMechanisms(value: unknown): string[] {
  if (typeof value !== "string" || value.trim() === "") return ["ANONYMOUS"];
  return value
    .split(/[\s,]+/)
    .map((m) => m.toUpperCase())
    .filter((m) => m.length > 0);
}

export interface SaslSetup {
  /** Mechanisms object to install on the listener's rhea container. */
  install(mechanisms: { enable_anonymous(): void; enable_plain(check: unknown): void }): void;
  /** Whether a client must do SASL (no anonymous fallback without a SASL layer). */
  requireSasl: boolean;
}

export function saslSetup(
  mechanisms: string[],
  authenticatePeer: boolean,
  users: Users,
): SaslSetup {
  const anonymous = mechanisms.includes("ANONYMOUS") && !authenticatePeer;
  const plain = mechanisms.includes("PLAIN");
  return {
    requireSasl: authenticatePeer,
    install(target) {
      if (anonymous) target.enable_anonymous();
      if (plain) {
        target.enable_plain(
          (user: string, password: string) => users.has(user) && users.get(user) === password,
        );
      }
    },
  };
}
