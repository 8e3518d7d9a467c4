/**
 * Payload validators compiled by Ajv in this process, once per channel on first use (the
 * local adapter and tests; deployed functions use precompiled ones, see README).
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { PAYLOAD_SCHEMA_AJV_OPTIONS } from "../registry/index.ts";
import type { DeployedChannel } from "./snapshot.ts";
import { type PayloadValidator, type PayloadValidators, wrapValidate } from "./validators.ts";

export function runtimeValidators(): PayloadValidators {
  let ajv: Ajv2020 | undefined;
  const compiled = new Map<DeployedChannel, PayloadValidator>();
  return {
    forChannel(channel) {
      if (channel.schema === undefined) return undefined;
      let validator = compiled.get(channel);
      if (validator === undefined) {
        ajv ??= new Ajv2020(PAYLOAD_SCHEMA_AJV_OPTIONS);
        validator = wrapValidate(ajv.compile(channel.schema));
        compiled.set(channel, validator);
      }
      return validator;
    },
  };
}
