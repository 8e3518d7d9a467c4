/** Public entry of the channel registry: format, loading, validation, compatibility. */
export { ChannelPolicies, type ChannelPolicy, channelPolicyFor } from "./channel-policy.ts";
export {
  type BreakingChange,
  type BreakingChangeKind,
  type ChannelCompatibility,
  findBreakingChanges,
} from "./compat.ts";
export {
  REGISTRY_JSON_SCHEMA_ID,
  registryJsonSchema,
  registryJsonSchemaText,
} from "./json-schema.ts";
export {
  loadTeamDocument,
  noRegistryDocuments,
  type RegistryLoadResult,
  type TeamDocumentLoad,
  unreadableRegistryFolder,
} from "./load.ts";
export type { ChannelRegistry, RegisteredChannel, RegisteredTeam } from "./model.ts";
export {
  PartyResolver,
  partyNameKey,
  partyResolver,
  type TeamPrincipals,
} from "./parties.ts";
export {
  payloadSchemaFromText,
  projectSchemaFileReader,
  type SchemaFileReader,
  type SchemaFileResult,
  schemaFileOutside,
} from "./payload-schema-file.ts";
export { addressSegments, prefixesOverlap, sameAddress } from "./prefix.ts";
export {
  type FileResultCache,
  loadProject,
  loadRegistry,
  loadRegistryFiles,
  type ProjectValidation,
  type TopologyFileResult,
  validateProject,
} from "./project.ts";
export { folderFiles, memoryFiles, type ProjectFiles } from "./project-files.ts";
export {
  isReservedAddress,
  isReservedName,
  PLATFORM_NAMESPACE,
  PROBE_ADDRESS,
  PROBE_PRINCIPAL,
} from "./reserved.ts";
export { PAYLOAD_SCHEMA_AJV_OPTIONS, payloadSchemaProblems } from "./rules/payload-schemas.ts";
export {
  ADDRESS_PATTERN,
  BrokerRouting,
  Channel,
  Delivery,
  Distribution,
  JsonSchemaDocument,
  MessageRouting,
  NAME_PATTERN,
  PRINCIPAL_PATTERN,
  Routing,
  TeamDocument,
  type TeamDocumentInput,
} from "./schema.ts";
export {
  findSchemaBreakingChanges,
  type SchemaChange,
  type SchemaChangeKind,
} from "./schema-compat.ts";
export {
  CROSS_TEAM_CODES,
  crossTeamDiagnostics,
  type RegistryValidationOptions,
  validateRegistry,
} from "./validate.ts";
export { REGISTRY_JSON_SCHEMA_FILE, writeRegistryJsonSchema } from "./write-json-schema.ts";
