/** The HTTP-to-AMQP ingress: one framework-neutral core, used by every adapter. */
export {
  type ApiKeyEntry,
  AuthConfigError,
  type AuthOptions,
  type Caller,
  CallerAuthenticator,
  type CallerEvidence,
  hashApiKey,
  type JwtOptions,
  newApiKey,
} from "./auth.ts";
export {
  BodyReadError,
  BodyTooLargeError,
  bodyFromBytes,
  bodyFromNodeStream,
  bodyFromText,
  bodyFromWebStream,
  contentLength,
  type RequestBody,
} from "./body.ts";
export { IngressConfigError, type IngressSettings, ingressSettingsFromEnv } from "./config.ts";
export { MAX_BATCH_ITEMS } from "./content.ts";
export {
  assembleIngress,
  type DeployedIngress,
  loadDeploymentArtifacts,
  SNAPSHOT_FILE,
  VALIDATORS_FILE,
} from "./deployment.ts";
export {
  channelFromPath,
  createIngress,
  type Ingress,
  type IngressOptions,
  type IngressOutcome,
  type IngressRequest,
  type IngressResponse,
  type MessagePublisher,
} from "./ingress.ts";
export {
  type LocalIngressOptions,
  type LocalIngressServer,
  localIngressListener,
  startLocalIngress,
} from "./local-server.ts";
export {
  type CompiledValidate,
  type PayloadValidator,
  type PayloadValidators,
  precompiledValidators,
} from "./payload-validators.ts";
export {
  type ItemResult,
  PROBLEM_JSON,
  PROBLEM_KINDS,
  type Problem,
  type ProblemKind,
  problemType,
  type Violation,
} from "./problem.ts";
export {
  type IngressChannel,
  IngressRegistry,
  parseRegistrySnapshot,
  type RegistrySnapshot,
  RegistrySnapshotError,
  registrySnapshotSchema,
  snapshotRegistry,
} from "./registry.ts";
export { runtimeValidators } from "./runtime-validators.ts";
export { validatorModuleSource } from "./validator-source.ts";
