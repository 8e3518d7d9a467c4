import {
  isRouterEntityType,
  ROUTER_FLAVOURS,
  type RouterEntityType,
  typePrefix,
} from "../router-vocabulary/index.ts";
import { attributeKind, parseBooleanText } from "./attribute-kinds.ts";
import { RouterConfigParseError } from "./errors.ts";
import type { EntityAttributes, RouterConfig, RouterEntity } from "./model.ts";

/** Reads `worker-threads` as `workerThreads`, as the router does for section and key names. */
export function camelCase(name: string): string {
  return name.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Either flavour's type prefix and `router.config.`, each optional. */
const QUALIFIED_SUFFIX = new RegExp(
  `^(?:(?:${ROUTER_FLAVOURS.map(typePrefix).join("|").replaceAll(".", "\\.")})\\.)?(?:router\\.config\\.)?`,
);

/** A section name as written in a file (short, `router.config.*` or fully qualified). */
export function entityTypeFrom(text: string, line: number): RouterEntityType {
  const short = camelCase(text.replace(QUALIFIED_SUFFIX, ""));
  if (!isRouterEntityType(short))
    throw new RouterConfigParseError(line, `unknown section '${text}'`);
  return short;
}

/** One attribute value in the model's type for that attribute name. */
export function attributeValue(
  name: string,
  value: unknown,
  line: number,
): EntityAttributes[string] {
  const kind = attributeKind(name);
  if (kind === "map") {
    if (typeof value === "object" && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
    throw new RouterConfigParseError(line, `'${name}' must be a map`);
  }
  if (typeof value === "object" || value === undefined)
    throw new RouterConfigParseError(line, `'${name}' must be a single value`);
  const text = String(value);
  if (kind === "integer") {
    if (typeof value === "number" && Number.isInteger(value)) return value;
    if (/^-?\d+$/.test(text)) return Number(text);
    throw new RouterConfigParseError(line, `'${name}' must be an integer, not '${text}'`);
  }
  if (kind === "boolean") {
    if (typeof value === "boolean") return value;
    const parsed = parseBooleanText(text);
    if (parsed === undefined)
      throw new RouterConfigParseError(line, `'${name}' must be true or false, not '${text}'`);
    return parsed;
  }
  return text;
}

const HEADER = /^#\s*amqp-mesh router config for (\S+) \((qpid-dispatch|skupper-router)\)/;

/** The first line of every generated file; parsers read the flavour back from it. */
export function headerComment(config: RouterConfig): string {
  return `# amqp-mesh router config for ${config.routerId} (${config.flavour}); generated, do not edit`;
}

function flavourFromHeader(text: string): RouterConfig["flavour"] | undefined {
  for (const line of text.split(/\r?\n/)) {
    const match = HEADER.exec(line.trim());
    if (match !== null) return match[2] as RouterConfig["flavour"];
  }
  return undefined;
}

/** How to read a router config file. */
export interface ParseOptions {
  /** Taken when given; else the generated header's flavour, else qpid-dispatch. */
  flavour?: RouterConfig["flavour"];
}

/**
 * Builds the RouterConfig of the entities parsed from `text`: the router section gives id and
 * mode, `options.flavour` or else the file's header the flavour.
 */
export function configFromEntities(
  entities: RouterEntity[],
  text: string,
  options: ParseOptions,
): RouterConfig {
  const routers = entities.filter((e) => e.type === "router");
  if (routers.length !== 1)
    throw new RouterConfigParseError(
      0,
      `expected exactly one router section, found ${routers.length}`,
    );
  const { id, mode } = routers[0]!.attributes;
  if (typeof id !== "string" || id === "")
    throw new RouterConfigParseError(0, "the router section has no id");
  if (mode !== "interior" && mode !== "edge")
    throw new RouterConfigParseError(
      0,
      `router mode must be interior or edge, not '${String(mode)}'`,
    );
  const flavour = options.flavour ?? flavourFromHeader(text) ?? "qpid-dispatch";
  return { routerId: id, mode, flavour, entities };
}

/** Attributes in file order: `name` first (it identifies the entity), then as given. */
export function orderedAttributes(
  attributes: EntityAttributes,
): [string, EntityAttributes[string]][] {
  const entries = Object.entries(attributes);
  const name = entries.filter(([key]) => key === "name");
  return [...name, ...entries.filter(([key]) => key !== "name")];
}
