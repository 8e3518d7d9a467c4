export { type ParsedYaml, parseYaml, readYamlFile } from "./parse.ts";
export {
  createLocator,
  type DocumentPath,
  type PathLocator,
  type Position,
  START_OF_FILE,
} from "./position.ts";
export {
  checkWithSchema,
  type SchemaCheckOptions,
  type SchemaCheckResult,
  show,
} from "./schema-diagnostics.ts";
export { closestMatch, editDistance } from "./suggest.ts";
