/**
 * Deploy time: the payload validators of a registry snapshot as one ES module of Ajv
 * standalone code (`export const validators = { "<address>": validate, ... }`), so a
 * function neither ships Ajv's compiler nor spends its cold start compiling.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import standaloneModule from "ajv/dist/standalone/index.js";
import { PAYLOAD_SCHEMA_AJV_OPTIONS } from "../registry/index.ts";
import type { RegistrySnapshot } from "./snapshot.ts";
import { validatorKey } from "./validators.ts";

const standaloneCode = standaloneModule as unknown as (
  ajv: Ajv2020,
  validate: ReturnType<Ajv2020["compile"]>,
) => string;

/** The module text; `require` calls in it are Ajv's runtime helpers, resolved by the bundler. */
export function validatorModuleSource(snapshot: RegistrySnapshot): string {
  const parts: string[] = [];
  const entries: string[] = [];
  snapshot.channels.forEach((channel, i) => {
    if (channel.schema === undefined) return;
    // One Ajv per schema: two schemas declaring the same $id must not clash.
    const ajv = new Ajv2020({ ...PAYLOAD_SCHEMA_AJV_OPTIONS, code: { source: true } });
    const code = standaloneCode(ajv, ajv.compile(channel.schema));
    parts.push(
      `const v${i} = (() => { const module = { exports: {} };\n${code}\nreturn module.exports; })();`,
    );
    entries.push(`${JSON.stringify(validatorKey(channel.address))}: v${i}`);
  });
  return (
    `${parts.join("\n")}\nexport const digest = ${JSON.stringify(snapshot.digest)};\n` +
    `export const validators = {${entries.join(", ")}};\n`
  );
}
