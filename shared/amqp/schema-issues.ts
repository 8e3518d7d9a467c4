/**
 * zod/mini at every boundary of the client (the classic API would weigh a function bundle
 * down by ~100 KB), with zod's English messages: zod/mini loads no locale, and without one
 * every default message would read "Invalid input".
 */
import type * as z from "zod/mini";
import en from "zod/v4/locales/en.js";

/** Parse parameters giving zod's English messages whatever locale zod's global config holds. */
export const englishMessages: z.core.ParseContext<z.core.$ZodIssue> = { error: en().localeError };

/** Each issue as `path: message`, `root` standing for an empty path. */
export function issueLines(error: z.core.$ZodError, root: string): string[] {
  return error.issues.map((i) => `${i.path.join(".") || root}: ${i.message}`);
}
