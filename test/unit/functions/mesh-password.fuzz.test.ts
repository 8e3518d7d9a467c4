/**
 * The boundary between a Lambda's environment and its Secrets Manager secret
 * (functions/aws/mesh-password.ts), fuzzed: whatever the secret holds and whatever the
 * reader throws, a non-empty string becomes MESH_SASL_PASSWORD as it is, anything else is a
 * MeshSecretError naming the secret — and no error ever carries the secret's value.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MeshSecretError, withMeshPassword } from "../../../functions/aws/mesh-password.ts";

const secretId = fc.stringMatching(
  /^arn:aws:secretsmanager:[a-z0-9-]{1,12}:\d{12}:secret:[\w/+=.@-]{1,40}$/,
);

describe("withMeshPassword (fuzz)", () => {
  it("passes a string value through unchanged and drops the secret's name", async () => {
    await fc.assert(
      fc.asyncProperty(secretId, fc.string({ minLength: 1 }), async (id, value) => {
        const env = await withMeshPassword(
          { MESH_SASL_PASSWORD_SECRET: id, A: "b" },
          async (asked) => {
            expect(asked).toBe(id);
            return value;
          },
        );
        expect(env).toEqual({ A: "b", MESH_SASL_PASSWORD: value });
      }),
    );
  });

  it("fails with the secret's name, never its value, when reading fails or finds no string", async () => {
    const marker = "SECRETMARK";
    await fc.assert(
      fc.asyncProperty(
        secretId,
        fc.oneof(
          fc.constant<"empty" | "undefined" | "throws">("empty"),
          fc.constant<"empty" | "undefined" | "throws">("undefined"),
          fc.constant<"empty" | "undefined" | "throws">("throws"),
        ),
        fc.string(),
        async (id, outcome, noise) => {
          const failure = withMeshPassword({ MESH_SASL_PASSWORD_SECRET: id }, async () => {
            if (outcome === "throws") throw new Error(`network down ${noise}`);
            return outcome === "empty" ? "" : undefined;
          });
          const error = await failure.then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(MeshSecretError);
          expect((error as Error).message).toContain(id);
          expect((error as Error).message).not.toContain(marker);
        },
      ),
    );
  });
});
