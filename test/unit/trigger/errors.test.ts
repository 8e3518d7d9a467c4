/**
 * The trigger's errors have one base, and every part's configuration errors another: a caller
 * tells a trigger failure from a handler's own error, and a deployment that will not work
 * until its settings change from a failure of the moment, with one `instanceof` each.
 */
import { describe, expect, it } from "vitest";
import { MeshSecretError } from "../../../functions/aws/mesh-password.ts";
import { BlobSettingsError } from "../../../functions/azure/blob-identity.ts";
import { AuthConfigError, IngressConfigError } from "../../../shared/ingress/index.ts";
import { SettingsError } from "../../../shared/settings/errors.ts";
import { SyncConfigError } from "../../../shared/sync/index.ts";
import {
  ChannelHandlerDefinitionError,
  ChannelMismatchError,
  InvocationEventError,
  InvokeError,
  PublishNotConfiguredError,
  PublishPayloadInvalidError,
  QueuedBatchFailedError,
  RecordInvalidError,
  TriggerConfigError,
  TriggerError,
  UnknownChannelError,
} from "../../../shared/trigger/index.ts";

describe("trigger errors", () => {
  const errors: Error[] = [
    new ChannelHandlerDefinitionError("defineChannelHandler takes { channel, handler }"),
    new ChannelMismatchError("sales/orders", "sales/returns"),
    new InvocationEventError(["records: required"]),
    new InvokeError("throttled", { fatal: false, status: 429 }),
    new PublishNotConfiguredError(),
    new PublishPayloadInvalidError("sales/orders", [
      { pointer: "/id", detail: "must be string", keyword: "type" },
    ]),
    new QueuedBatchFailedError("sales/orders", [{ itemIdentifier: "m1", reason: "boom" }], 2),
    new RecordInvalidError("body is not valid JSON"),
    new UnknownChannelError("sales/nope", "0123456789abcdef"),
  ];

  it("are each a TriggerError under its own name", () => {
    for (const error of errors) {
      expect(error, error.name).toBeInstanceOf(TriggerError);
      expect(error.name).toBe(error.constructor.name);
    }
    expect(new Set(errors.map((e) => e.name)).size).toBe(errors.length);
  });

  it("keep their messages", () => {
    expect(new ChannelMismatchError("a/b", "c/d").message).toBe(
      'this function handles channel "a/b" but was invoked for "c/d"; point the bridge (or the queue trigger) at the function of that channel',
    );
    expect(new UnknownChannelError("a/b", "0123456789abcdef").message).toContain(
      'channel "a/b" is not in the registry snapshot 0123456789ab this function runs with',
    );
    const cause = new Error("socket hang up");
    const invoke = new InvokeError("unavailable", { fatal: true, status: 503, cause });
    expect([invoke.message, invoke.fatal, invoke.status, invoke.cause]).toEqual([
      "unavailable",
      true,
      503,
      cause,
    ]);
  });
});

describe("configuration errors", () => {
  it("share SettingsError, keep their names and messages, and list their problems", () => {
    const cases: [SettingsError, string, string][] = [
      [new TriggerConfigError(["A", "B"]), "TriggerConfigError", "trigger configuration: A; B"],
      [new SyncConfigError(["A"]), "SyncConfigError", "config-sync configuration: A"],
      [new IngressConfigError(["A", "B"]), "IngressConfigError", "ingress configuration: A; B"],
      [new AuthConfigError("JWT: give exactly one"), "AuthConfigError", "JWT: give exactly one"],
      [new BlobSettingsError("X must be set"), "BlobSettingsError", "X must be set"],
      [new MeshSecretError("give one"), "MeshSecretError", "give one"],
    ];
    for (const [error, name, message] of cases) {
      expect(error, name).toBeInstanceOf(SettingsError);
      expect(error.name).toBe(name);
      expect(error.message).toBe(message);
    }
    expect(cases[0]?.[0].problems).toEqual(["A", "B"]);
    expect(new TriggerConfigError(["A"])).not.toBeInstanceOf(TriggerError);
  });

  it("keep a cause", () => {
    const cause = new Error("AccessDenied");
    expect(new MeshSecretError("cannot read", { cause }).cause).toBe(cause);
  });
});
