import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";
import type { Diagnostic } from "../diagnostics.ts";
import type { ParsedYaml } from "./parse.ts";
import type { DocumentPath } from "./position.ts";
import { closestMatch, didYouMean } from "./suggest.ts";
import { allowedKeysAt } from "./zod-shape.ts";

type Issue = z.core.$ZodIssue;

const englishMessages: z.core.ParseContext<z.core.$ZodIssue> = { error: en().localeError };

export interface SchemaCheckOptions {
  /** Code prefix of the diagnostics, e.g. "registry" gives "registry/unknown-key". */
  codePrefix: string;
  /** Human description of a regex (allowed characters), keyed by the regex source. */
  patterns: Record<string, string>;
  /** Prepended to every issue path: the place of `value` inside the whole document. */
  basePath?: DocumentPath;
}

export interface SchemaCheckResult<T> {
  data?: T;
  diagnostics: Diagnostic[];
}

function valueAt(root: unknown, path: DocumentPath): { found: boolean; value: unknown } {
  let current: unknown = root;
  for (const segment of path) {
    if (current === null || typeof current !== "object" || !(String(segment) in current)) {
      return { found: false, value: undefined };
    }
    current = (current as Record<string, unknown>)[String(segment)];
  }
  return { found: true, value: current };
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) {
    return value.length === 0
      ? "an empty list"
      : `a list of ${value.length} entr${value.length === 1 ? "y" : "ies"}`;
  }
  if (typeof value === "object") return "a map";
  return `${typeof value === "number" && Number.isInteger(value) ? "integer" : typeof value} ${show(value)}`;
}

export function show(value: unknown): string {
  const text = typeof value === "string" ? `'${value}'` : JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The name a user sees for the place: the key, or `key[3]` for a list entry. */
function fieldName(path: DocumentPath): string {
  const last = path[path.length - 1];
  if (typeof last === "number") return `${fieldName(path.slice(0, -1))}[${last}]`;
  return last ?? "document";
}

const EXPECTED_NAMES: Record<string, string> = {
  object: "a map",
  array: "a list",
  record: "a map",
};

const TYPE_HINTS: Record<string, string> = {
  string: "write a text value (quote it if it looks like a number or boolean)",
  number: "write a number without quotes",
  int: "write a whole number without quotes",
  boolean: "write true or false",
  array: "write a list, e.g. [a, b] or one '- item' per line",
  object: "write a map of 'key: value' entries",
  record: "write a map of 'key: value' entries",
};

interface Finding {
  code: string;
  path: DocumentPath;
  atKey: boolean;
  message: string;
  hint: string;
}

function describeIssue(
  issue: Issue,
  input: unknown,
  options: SchemaCheckOptions,
  schema: unknown,
): Finding[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  const field = fieldName(path);
  const { found, value } = valueAt(input, path);
  const code = (name: string) => `${options.codePrefix}/${name}`;
  switch (issue.code) {
    case "unrecognized_keys": {
      const allowed = allowedKeysAt(schema, path);
      return issue.keys.map((key) => {
        const suggestion = closestMatch(key, allowed);
        return {
          code: code("unknown-key"),
          path: [...path, key],
          atKey: true,
          message: `unknown key '${key}'${suggestion ? `; did you mean '${suggestion}'?` : ""}`,
          hint: suggestion
            ? `rename '${key}' to '${suggestion}'`
            : `remove '${key}'; allowed keys here: ${allowed.join(", ")}`,
        };
      });
    }
    case "invalid_type": {
      if (!found) {
        return [
          {
            code: code("missing-key"),
            path,
            atKey: false,
            message: `missing required key '${field}'`,
            hint: `add '${field}: ...' (${EXPECTED_NAMES[issue.expected] ?? issue.expected})`,
          },
        ];
      }
      return [
        {
          code: code("invalid-type"),
          path,
          atKey: false,
          message: `'${field}' must be ${issue.expected === "array" ? "a list" : issue.expected === "object" ? "a map" : `a ${issue.expected}`}, got ${kindOf(value)}`,
          hint: TYPE_HINTS[issue.expected] ?? `write a ${issue.expected}`,
        },
      ];
    }
    case "invalid_format": {
      const pattern = "pattern" in issue && typeof issue.pattern === "string" ? issue.pattern : "";
      const source = pattern.replace(/^\/|\/[a-z]*$/g, "");
      const allowed = options.patterns[source];
      return [
        {
          code: code("invalid-name"),
          path,
          atKey: false,
          message: `invalid ${field} ${show(value)}${allowed ? `: ${allowed}` : `: must match ${pattern}`}`,
          hint: allowed
            ? `rename it using only ${allowed.replace(/^use /, "")}`
            : `change it to match ${pattern}`,
        },
      ];
    }
    case "invalid_value": {
      const values = issue.values.map(String);
      return [
        {
          code: code("invalid-value"),
          path,
          atKey: false,
          message: `invalid ${field} ${show(value)}${typeof value === "string" ? didYouMean(value, values) : ""}`,
          hint: `use one of: ${values.join(", ")}`,
        },
      ];
    }
    case "invalid_union": {
      const options_ =
        "options" in issue && Array.isArray(issue.options) ? issue.options.map(String) : [];
      if (options_.length > 0) {
        return [
          {
            code: found ? code("invalid-value") : code("missing-key"),
            path,
            atKey: false,
            message: found
              ? `invalid ${field} ${show(value)}${typeof value === "string" ? didYouMean(value, options_) : ""}`
              : `missing required key '${field}'`,
            hint: `use one of: ${options_.join(", ")}`,
          },
        ];
      }
      return [
        {
          code: code("invalid-value"),
          path,
          atKey: false,
          message: `${field} ${show(value)} matches none of the allowed forms`,
          hint: "see the registry/topology format (JSON Schema) for the forms this key accepts",
        },
      ];
    }
    case "too_small":
    case "too_big": {
      const small = issue.code === "too_small";
      const limit = small ? issue.minimum : issue.maximum;
      const inclusive = issue.inclusive !== false;
      const bound = small
        ? inclusive
          ? "at least"
          : "more than"
        : inclusive
          ? "at most"
          : "less than";
      const entries = `${limit} entr${Number(limit) === 1 ? "y" : "ies"}`;
      const [what, hint] =
        issue.origin === "array"
          ? [`have ${bound} ${entries}`, `give '${field}' ${bound} ${entries}`]
          : issue.origin === "string" && small && Number(limit) === 1
            ? ["not be empty", `write a non-empty value for '${field}'`]
            : issue.origin === "string"
              ? [
                  `be ${bound} ${limit} characters long`,
                  `make '${field}' ${bound} ${limit} characters long`,
                ]
              : [`be ${bound} ${limit}`, `change '${field}' so that it is ${bound} ${limit}`];
      return [
        {
          code: code("out-of-range"),
          path,
          atKey: false,
          message: `'${field}' must ${what}, got ${kindOf(value)}`,
          hint,
        },
      ];
    }
    default:
      return [
        {
          code: code("invalid"),
          path,
          atKey: false,
          message: issue.message,
          hint: "fix this value",
        },
      ];
  }
}

/**
 * Checks parsed YAML (or a part of it, see basePath) against a zod schema and turns every zod
 * issue into a positioned diagnostic with a message a person can act on.
 */
export function checkWithSchema<S extends z.core.$ZodType>(
  schema: S,
  value: unknown,
  source: Pick<ParsedYaml, "file" | "locate">,
  options: SchemaCheckOptions,
): SchemaCheckResult<z.output<S>> {
  // zod/mini loads no locale: the few issues told in zod's own words get its English ones.
  const result = z.safeParse(schema, value, englishMessages);
  if (result.success) return { data: result.data, diagnostics: [] };
  const base = options.basePath ?? [];
  const diagnostics = result.error.issues.flatMap((issue) =>
    describeIssue(issue, value, options, schema).map((finding): Diagnostic => {
      const path = [...base, ...finding.path];
      return {
        severity: "error",
        code: finding.code,
        file: source.file,
        ...source.locate(path, { key: finding.atKey }),
        path,
        message: finding.message,
        hint: finding.hint,
      };
    }),
  );
  return { diagnostics };
}
