import { ADDRESS_PATTERN, NAME_PATTERN } from "./schema.ts";

/** What each registry regex allows, spelled out for people who never read the regex. */
export const REGISTRY_PATTERN_RULES: Record<string, string> = {
  [NAME_PATTERN.source]: "use lower-case letters a-z, digits 0-9 and '-', starting with a letter",
  [ADDRESS_PATTERN.source]:
    "use letters, digits and '.', '_', '-', '/', starting with a letter or digit (no spaces, wildcards or other characters)",
};
