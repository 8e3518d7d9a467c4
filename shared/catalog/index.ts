/** Public entry of the channel catalog: AsyncAPI documents, payload types, the catalog page. */
export type { AsyncApiDocument } from "./asyncapi.ts";
export {
  CatalogBaselineError,
  readPublishedVersion,
  readPublishedVersions,
  teamDocumentFile,
} from "./baseline.ts";
export { type ExampleMessage, exampleMessage } from "./example-message.ts";
export { channelKey } from "./ids.ts";
export { CATALOG_PAGE, catalogPage, renderCatalogPage, scriptSafeJson } from "./page.ts";
export { type PageData, pageData } from "./page-data.ts";
export { patternSample } from "./pattern-sample.ts";
export { PayloadTypeError, payloadTypeName, payloadTypesModule } from "./payload-types.ts";
export { edgeRouters, routerUrl, SECURITY_SCHEMES } from "./servers.ts";
export { type TeamCatalogDocument, teamDocument, teamDocuments } from "./team-document.ts";
export { documentMajor, documentVersion, type PublishedVersion } from "./version.ts";
export { type CatalogFiles, catalogFiles, writeCatalog } from "./write.ts";
