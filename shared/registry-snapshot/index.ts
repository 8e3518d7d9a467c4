/**
 * The registry as a deployed function reads it: the snapshot bundled beside it, its payload
 * validators (precompiled at deploy time, or compiled at run time), loading both. Shared by
 * the ingress and the channel triggers; neither imports the other.
 */
export { loadDeploymentArtifacts, SNAPSHOT_FILE, VALIDATORS_FILE } from "./artifacts.ts";
export { type DeployedRegistryView, deployedRegistryView } from "./deployed.ts";
export {
  DEFAULT_POLL_MS,
  fixedRegistry,
  LiveRegistry,
  type LiveRegistryOptions,
  pollMsFromEnv,
  type RefreshOutcome,
  type RegistryChange,
  type RegistryRelease,
  type RegistryView,
  type SnapshotStore,
  type ValidatorFactory,
} from "./live.ts";
export { liveValidators, loadSchemaCompiler, type SchemaCompiler } from "./live-validators.ts";
export { runtimeValidators } from "./runtime-validators.ts";
export {
  type DeployedChannel,
  DeployedRegistry,
  parseRegistrySnapshot,
  type RegistrySnapshot,
  RegistrySnapshotError,
  registrySnapshotSchema,
  type SnapshotChannel,
  snapshotDigest,
  snapshotRegistry,
} from "./snapshot.ts";
export { validatorModuleSource } from "./validator-source.ts";
export {
  type CompiledValidate,
  type PayloadValidator,
  type PayloadValidators,
  precompiledValidators,
  type SchemaError,
  type Violation,
  validatorKey,
  violationOf,
  wrapValidate,
} from "./validators.ts";
