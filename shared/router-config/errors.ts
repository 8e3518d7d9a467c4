/** A router config file that cannot be read; `line` is 1-based, 0 when not tied to a line. */
export class RouterConfigParseError extends Error {
  override readonly name = "RouterConfigParseError";
  readonly line: number;

  constructor(line: number, message: string) {
    super(line > 0 ? `line ${line}: ${message}` : message);
    this.line = line;
  }
}

/** A config that cannot be written in the asked format without changing its meaning. */
export class RouterConfigRenderError extends Error {
  override readonly name = "RouterConfigRenderError";
  readonly entityType: string;
  readonly attribute: string;

  constructor(entityType: string, attribute: string, message: string) {
    super(`${entityType}.${attribute}: ${message}`);
    this.entityType = entityType;
    this.attribute = attribute;
  }
}
