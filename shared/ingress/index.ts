/**
 * The HTTP-to-AMQP ingress: one framework-neutral core, used by every adapter. The registry
 * snapshot, payload validators and loading them are shared/registry-snapshot's.
 */
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
export { assembleIngress, type DeployedIngress } from "./deployment.ts";
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
  type ItemResult,
  PROBLEM_JSON,
  PROBLEM_KINDS,
  type Problem,
  type ProblemKind,
  problemType,
} from "./problem.ts";
