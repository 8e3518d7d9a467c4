import { HASH_SAFE_ATTRIBUTES, JSON_MAP_ATTRIBUTES } from "./attribute-kinds.ts";
import {
  attributeValue,
  camelCase,
  configFromEntities,
  entityTypeFrom,
  headerComment,
  orderedAttributes,
  type ParseOptions,
} from "./attribute-values.ts";
import { RouterConfigParseError, RouterConfigRenderError } from "./errors.ts";
import type { EntityAttributes, RouterConfig, RouterEntity } from "./model.ts";

/*
 * qdrouterd's native config format, as its reader (qpid_dispatch_internal/management/config.py,
 * identical in skupper-router) turns it into JSON line by line:
 *   `section {` opens an entity, a lone `}` closes it; `key: value` becomes "key": "value"
 *   (value text verbatim, so no quotes or backslashes); '#' starts a comment except in
 *   `pattern`/`bindingKey`/`hostname`, whose first whitespace-free token is taken instead;
 *   `groups: {` / `openProperties: {` start a JSON body that ends at the `}` line balancing
 *   it, lines ending in `"key": {` opening and lines ending in `}` closing nested maps.
 * We write each map entry as one compact JSON line ending in ',' so that nesting is never
 * miscounted, and the router strips the spare comma before the closing brace.
 */

const INDENT = "    ";
const SECTION_OPEN = /^([\w-]+)[ \t]*\{$/;
const MAP_OPEN = /^(\$*[\w-]+)[ \t]*:[ \t]*\{$/;
const ITEM = /^([\w-]+)[ \t]*:[ \t]*([^ \t{].*)$/;
const JSON_MAP_OPEN = /"\$*[\w-]+"[ \t]*:[ \t]*\{$/;
const SPARE_COMMA = /,\s*([\]}])/g;
/** Text the router's reader would change: it drops a ',' before a closing bracket. */
const DROPPED_COMMA = /,\s*[\]}]/;

function confText(entity: RouterEntity, key: string, value: string): string {
  const fail = (why: string) => {
    throw new RouterConfigRenderError(entity.type, key, `${why}: ${JSON.stringify(value)}`);
  };
  if (value === "" || value !== value.trim()) fail("empty or padded values cannot be written");
  if (/["\\\r\n]/.test(value)) fail("quotes, backslashes and line breaks cannot be written");
  if (value.startsWith("{")) fail("a value cannot start with '{'");
  if (DROPPED_COMMA.test(value)) fail("',' before ']' or '}' is dropped by the router");
  if (HASH_SAFE_ATTRIBUTES.has(key)) {
    if (/\s/.test(value)) fail("only the first word of this attribute is read");
  } else if (value.includes("#")) {
    fail("'#' starts a comment here");
  }
  return value;
}

function mapLines(entity: RouterEntity, key: string, map: Record<string, unknown>): string[] {
  if (!JSON_MAP_ATTRIBUTES.has(key))
    throw new RouterConfigRenderError(
      entity.type,
      key,
      "the router reads maps only for groups and openProperties",
    );
  const lines = [`${INDENT}${key}: {`];
  for (const [entryKey, entryValue] of Object.entries(map)) {
    const line = `${JSON.stringify(entryKey)}: ${JSON.stringify(entryValue)},`;
    if (DROPPED_COMMA.test(line.slice(0, -1)))
      throw new RouterConfigRenderError(
        entity.type,
        key,
        `entry ${entryKey} holds ',' before ']' or '}', which the router drops`,
      );
    lines.push(`${INDENT}${INDENT}${line}`);
  }
  lines.push(`${INDENT}}`);
  return lines;
}

function entityLines(entity: RouterEntity): string[] {
  const lines = [`${entity.type} {`];
  for (const [key, value] of orderedAttributes(entity.attributes)) {
    if (!/^[\w-]+$/.test(key))
      throw new RouterConfigRenderError(
        entity.type,
        key,
        "attribute names are letters, digits, '_' and '-'",
      );
    if (typeof value === "object") lines.push(...mapLines(entity, key, value));
    else lines.push(`${INDENT}${key}: ${confText(entity, key, String(value))}`);
  }
  lines.push("}");
  return lines;
}

/** The config in qdrouterd's `.conf` format; throws RouterConfigRenderError on unwritable values. */
export function renderConfFile(config: RouterConfig): string {
  const sections = config.entities.map((e) => entityLines(e).join("\n"));
  return `${headerComment(config)}\n\n${sections.join("\n\n")}\n`;
}

interface OpenMap {
  key: string;
  line: number;
  depth: number;
  body: string[];
}

interface OpenSection {
  type: RouterEntity["type"];
  line: number;
  attributes: EntityAttributes;
}

/**
 * Reads a `.conf` file the way the router does, into a RouterConfig. The flavour comes from
 * `options.flavour`, else the generated header, else qpid-dispatch. Throws
 * RouterConfigParseError with the line number on anything the router would reject.
 */
export function parseConfFile(text: string, options: ParseOptions = {}): RouterConfig {
  const entities: RouterEntity[] = [];
  let section: OpenSection | undefined;
  let map: OpenMap | undefined;

  const setAttribute = (key: string, value: unknown, line: number) => {
    const open = section!;
    const name = camelCase(key);
    if (name in open.attributes)
      throw new RouterConfigParseError(line, `'${name}' is set twice in this ${open.type} section`);
    open.attributes[name] = attributeValue(name, value, line);
  };

  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = index + 1;
    const trimmed = rawLine.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    if (map !== undefined) {
      if (JSON_MAP_OPEN.test(trimmed)) map.depth++;
      if (trimmed.endsWith("}")) map.depth--;
      if (map.depth > 0) {
        map.body.push(trimmed);
        return;
      }
      const json = `{${map.body.join("\n")}\n${trimmed}`.replace(SPARE_COMMA, "$1");
      let parsed: unknown;
      try {
        parsed = JSON.parse(json);
      } catch (error) {
        throw new RouterConfigParseError(
          map.line,
          `'${map.key}' is not valid JSON (${(error as Error).message})`,
        );
      }
      setAttribute(map.key, parsed, map.line);
      map = undefined;
      return;
    }
    if (section === undefined) {
      const open = SECTION_OPEN.exec(trimmed);
      if (open === null)
        throw new RouterConfigParseError(
          line,
          `expected a section such as 'listener {', found '${trimmed}'`,
        );
      section = { type: entityTypeFrom(open[1]!, line), line, attributes: {} };
      return;
    }
    const item = ITEM.exec(trimmed);
    if (item !== null && HASH_SAFE_ATTRIBUTES.has(camelCase(item[1]!))) {
      setAttribute(item[1]!, item[2]!.split(/\s/)[0], line);
      return;
    }
    const content = trimmed.split("#")[0]!.trim();
    const mapOpen = MAP_OPEN.exec(content);
    const plainItem = ITEM.exec(content);
    if (content === "}") {
      entities.push({ type: section.type, attributes: section.attributes });
      section = undefined;
    } else if (mapOpen !== null) {
      if (!JSON_MAP_ATTRIBUTES.has(camelCase(mapOpen[1]!)))
        throw new RouterConfigParseError(line, `'${mapOpen[1]}' cannot hold a map`);
      map = { key: mapOpen[1]!, line, depth: 1, body: [] };
    } else if (plainItem !== null) {
      setAttribute(plainItem[1]!, plainItem[2]!, line);
    } else {
      throw new RouterConfigParseError(line, `expected 'name: value' or '}', found '${trimmed}'`);
    }
  });
  if (map !== undefined) throw new RouterConfigParseError(map.line, `'${map.key}' is never closed`);
  if (section !== undefined)
    throw new RouterConfigParseError(section.line, `section '${section.type}' is never closed`);
  return configFromEntities(entities, text, options);
}
