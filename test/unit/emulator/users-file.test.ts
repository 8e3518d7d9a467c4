/**
 * The users file (emulator/protocol/sasl.ts), the emulator's stand-in for qdrouterd's sasldb: JSON
 * (`{"users": {"name": "password"}}` or `{"name": "password"}`) or `name:password` lines.
 * Anything else is an error that says where and what was expected, without repeating a
 * password.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { loadUsersFile, parseUsers, UsersFileError } from "../../../emulator/protocol/sasl.ts";

function errorOf(run: () => unknown): UsersFileError {
  try {
    run();
  } catch (error) {
    if (error instanceof UsersFileError) return error;
    throw error;
  }
  throw new Error("expected a UsersFileError");
}

describe("parseUsers", () => {
  it("reads both JSON shapes", () => {
    expect([...parseUsers('{"users": {"alice": "a1", "bob": "b2"}}')]).toEqual([
      ["alice", "a1"],
      ["bob", "b2"],
    ]);
    expect([...parseUsers('  {"alice": "a1"}\n')]).toEqual([["alice", "a1"]]);
    expect(parseUsers('{"users": {}}').size).toBe(0);
  });

  it("reads lines, with comment lines and blank lines; ':' and '#' may be in a password", () => {
    const text = "# users\n\nalice:se:cret\r\n  bob:pa#ss  \n\t# carol:off\n";
    expect([...parseUsers(text)]).toEqual([
      ["alice", "se:cret"],
      ["bob", "pa#ss"],
    ]);
    expect(parseUsers("").size).toBe(0);
    expect([...parseUsers("dave:")]).toEqual([["dave", ""]]);
  });

  it("names the line of a line without ':' and does not echo it", () => {
    const error = errorOf(() => parseUsers("alice:a1\nbob-secret\n"));
    expect(error.message).toMatch(/^line 2: no ':' between name and password/);
    expect(error.message).toContain("name:password");
    expect(error.message).not.toContain("bob-secret");
  });

  it("refuses an empty user name and a user listed twice", () => {
    expect(errorOf(() => parseUsers(":pw")).message).toMatch(/^line 1: the user name is empty/);
    expect(errorOf(() => parseUsers("a:1\n\na:2")).message).toBe(
      'line 3: user "a" is listed again (first on line 1)',
    );
  });

  it("explains bad JSON: syntax, not an object, users not an object, non-string passwords", () => {
    expect(errorOf(() => parseUsers('{"users": ')).message).toMatch(
      /^users file is not valid JSON \(.+\); expected \{"users"/,
    );
    expect(errorOf(() => parseUsers('{"users": ["alice"]}')).message).toMatch(
      /^"users" must be an object/,
    );
    expect(errorOf(() => parseUsers('{"users": {"alice": 123}}')).message).toBe(
      'user "alice": the password must be a string, not number',
    );
    expect(errorOf(() => parseUsers('{"bob": null}')).message).toBe(
      'user "bob": the password must be a string, not null',
    );
    expect(errorOf(() => parseUsers('{"": "x"}')).message).toMatch(/empty name/);
  });

  it("either parses to string pairs or throws a UsersFileError, for any text (fast-check)", () => {
    const text = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.json().map((j) => j),
      fc
        .array(fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom(":", "", "#", "\n")), {
          maxLength: 6,
        })
        .map((parts) => parts.map(([a, b]) => a + b).join("\n")),
    );
    fc.assert(
      fc.property(text, (input) => {
        try {
          for (const [name, password] of parseUsers(input)) {
            expect(name.length).toBeGreaterThan(0);
            expect(typeof password).toBe("string");
          }
        } catch (error) {
          expect(error).toBeInstanceOf(UsersFileError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("loadUsersFile", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("reads a file, and names the file in its errors", () => {
    dir = mkdtempSync(join(tmpdir(), "amqp-mesh-users-unit-"));
    const good = join(dir, "users.txt");
    writeFileSync(good, "alice:a1\n");
    expect([...loadUsersFile(good)]).toEqual([["alice", "a1"]]);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{nope");
    expect(errorOf(() => loadUsersFile(bad)).message).toMatch(
      new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: users file is not valid JSON`),
    );
    const missing = join(dir, "missing.json");
    expect(errorOf(() => loadUsersFile(missing)).message).toMatch(
      /missing\.json: the users file cannot be read \(ENOENT/,
    );
  });
});
