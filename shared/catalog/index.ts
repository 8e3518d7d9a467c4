/** Public entry of the channel catalog: AsyncAPI documents, payload types, the catalog page. */
export type { AsyncApiDocument } from "./asyncapi.ts";
export { channelKey } from "./ids.ts";
export { PayloadTypeError, payloadTypeName, payloadTypesModule } from "./payload-types.ts";
export { edgeRouters, routerUrl, SECURITY_SCHEMES } from "./servers.ts";
export { type TeamCatalogDocument, teamDocument, teamDocuments } from "./team-document.ts";
export { documentMajor, documentVersion } from "./version.ts";
export { type CatalogFiles, catalogFiles, writeCatalog } from "./write.ts";
