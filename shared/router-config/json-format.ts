import {
  attributeValue,
  camelCase,
  configFromEntities,
  entityTypeFrom,
  headerComment,
  orderedAttributes,
  type ParseOptions,
} from "./attribute-values.ts";
import { RouterConfigParseError } from "./errors.ts";
import type { EntityAttributes, RouterConfig, RouterEntity } from "./model.ts";

/*
 * The router's JSON config format: a list of ["section", {attributes}] pairs. The router
 * drops lines starting with '#' before parsing (config.py `_parserawjson`), so generated
 * files carry the same header comment as `.conf` files.
 */

const INDENT = "    ";

/** The config in the router's JSON format (read when the file name ends in `.json`). */
export function renderJsonFile(config: RouterConfig): string {
  const sections = config.entities.map((entity) => {
    const body = JSON.stringify(Object.fromEntries(orderedAttributes(entity.attributes)), null, 4)
      .split("\n")
      .map((l, i) => (i === 0 ? l : `${INDENT}${l}`))
      .join("\n");
    return `${INDENT}[${JSON.stringify(entity.type)}, ${body}]`;
  });
  return `${headerComment(config)}\n[\n${sections.join(",\n")}\n]\n`;
}

/** Line (1-based) where each top-level list element starts, for error messages. */
function elementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (const char of text) {
    if (char === "\n") line++;
    if (inString) {
      if (escaped) escaped = false;
      else if (char === "\\") escaped = true;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === "[" || char === "{") {
      depth++;
      if (depth === 2) lines.push(line);
    } else if (char === "]" || char === "}") depth--;
  }
  return lines;
}

function lineAt(text: string, position: number): number {
  return text.slice(0, position).split("\n").length;
}

/**
 * Reads a router JSON config into a RouterConfig. Throws RouterConfigParseError with a line
 * number on bad JSON, on a malformed section and on values of the wrong type.
 */
export function parseJsonFile(text: string, options: ParseOptions = {}): RouterConfig {
  // Blank out comment lines rather than removing them, so positions keep their line.
  const json = text
    .split(/\r?\n/)
    .map((l) => (l.trim().startsWith("#") ? "" : l))
    .join("\n");
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const line = position === null ? 0 : lineAt(json, Number(position[1]));
    throw new RouterConfigParseError(line, `not valid JSON (${message})`);
  }
  if (!Array.isArray(document))
    throw new RouterConfigParseError(0, 'expected a list of ["section", {attributes}] pairs');
  const lines = elementLines(json);
  const entities: RouterEntity[] = document.map((element: unknown, index) => {
    const line = lines[index] ?? 0;
    if (
      !Array.isArray(element) ||
      element.length !== 2 ||
      typeof element[0] !== "string" ||
      typeof element[1] !== "object" ||
      element[1] === null ||
      Array.isArray(element[1])
    )
      throw new RouterConfigParseError(
        line,
        `entry ${index + 1} is not a ["section", {attributes}] pair`,
      );
    const attributes: EntityAttributes = {};
    for (const [key, value] of Object.entries(element[1] as Record<string, unknown>)) {
      const name = camelCase(key);
      attributes[name] = attributeValue(name, value, line);
    }
    return { type: entityTypeFrom(element[0], line), attributes };
  });
  return configFromEntities(entities, text, options);
}
