/**
 * SASL for emulated listeners: ANONYMOUS and PLAIN. PLAIN users come from a users file —
 * the emulator's stand-in for qdrouterd's Cyrus sasldb: either JSON
 * (`{"users": {"alice": "secret"}}` or `{"alice": "secret"}`) or lines of `user:password`
 * (a line starting with `#` is a comment; a `#` later in a line belongs to the password).
 */
import { readFileSync } from "node:fs";

export type Users = ReadonlyMap<string, string>;

export class UsersFileError extends Error {
  override readonly name = "UsersFileError";
}

const FORMATS = 'expected {"users": {"name": "password"}} or lines of name:password';

/**
 * Parses a users file. Anything that is not a user is an error naming where it is (line,
 * or user for JSON) — never silently skipped, since a skipped user only shows up later as
 * a failed login. Error messages never repeat a password.
 */
export function parseUsers(text: string): Users {
  const trimmed = text.trim();
  return trimmed.startsWith("{") ? parseJsonUsers(trimmed) : parseLineUsers(text);
}

function parseJsonUsers(text: string): Users {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsersFileError(
      `users file is not valid JSON (${error instanceof Error ? error.message : String(error)}); ${FORMATS}`,
    );
  }
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(parsed)) {
    throw new UsersFileError(`users file JSON must be an object; ${FORMATS}`);
  }
  let table: Record<string, unknown> = parsed;
  if ("users" in parsed) {
    if (!isObject(parsed.users)) {
      throw new UsersFileError(`"users" must be an object of name → password; ${FORMATS}`);
    }
    table = parsed.users;
  }
  const users = new Map<string, string>();
  for (const [user, password] of Object.entries(table)) {
    if (user === "") throw new UsersFileError(`a user has an empty name; ${FORMATS}`);
    if (typeof password !== "string") {
      throw new UsersFileError(
        `user ${JSON.stringify(user)}: the password must be a string, not ${password === null ? "null" : typeof password}`,
      );
    }
    users.set(user, password);
  }
  return users;
}

function parseLineUsers(text: string): Users {
  const users = new Map<string, string>();
  const firstSeen = new Map<string, number>();
  text.split(/\r?\n/).forEach((line, index) => {
    const number = index + 1;
    const clean = line.trim();
    if (clean === "" || clean.startsWith("#")) return;
    const colon = clean.indexOf(":");
    if (colon < 0) {
      throw new UsersFileError(`line ${number}: no ':' between name and password; ${FORMATS}`);
    }
    if (colon === 0) throw new UsersFileError(`line ${number}: the user name is empty; ${FORMATS}`);
    const user = clean.slice(0, colon);
    const first = firstSeen.get(user);
    if (first !== undefined) {
      throw new UsersFileError(
        `line ${number}: user ${JSON.stringify(user)} is listed again (first on line ${first})`,
      );
    }
    firstSeen.set(user, number);
    users.set(user, clean.slice(colon + 1));
  });
  return users;
}

export function loadUsersFile(path: string): Users {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsersFileError(`${path}: the users file cannot be read (${reason})`);
  }
  try {
    return parseUsers(text);
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
