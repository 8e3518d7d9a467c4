/**
 * `npm run ingress-key -- <principal>`: a new API key for a registry principal. Prints the
 * key (give it to the caller, once) and the entry to add to INGRESS_API_KEYS (only its hash).
 */
import { newApiKey } from "./auth.ts";

const principal = process.argv[2];
if (principal === undefined || principal.startsWith("-")) {
  console.error("usage: npm run ingress-key -- <principal>");
  process.exit(2);
}
const { key, entry } = newApiKey(principal);
console.log(`key (give to the caller; it is not stored anywhere): ${key}`);
console.log(`INGRESS_API_KEYS entry: ${JSON.stringify(entry)}`);
