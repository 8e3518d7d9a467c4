import { ADDRESS_PATTERN, NAME_PATTERN, PRINCIPAL_PATTERN } from "./schema.ts";

/** What each registry regex allows, spelled out for people who never read the regex. */
export const REGISTRY_PATTERN_RULES: Record<string, string> = {
  [NAME_PATTERN.source]: "use lower-case letters a-z, digits 0-9 and '-', starting with a letter",
  [PRINCIPAL_PATTERN.source]:
    "use ASCII letters, digits, '_', '-' and '@' (at most 128), starting with a letter or digit — no '*', ',', '.', '/', '#', '$', spaces or other characters the router reads as wildcards or separators",
  [ADDRESS_PATTERN.source]:
    "use letters, digits and '.', '_', '-', '/', starting with a letter or digit (no spaces, wildcards or other characters)",
};
