/** Config-sync: registry store → safety gate → desired vs actual per router → minimal plan → apply. */
export {
  type ActualState,
  type RouterIdentity,
  readActualState,
  readRouterIdentity,
  syncedTypes,
} from "./actual.ts";
export {
  type AppliedOperation,
  type AppliedStep,
  type ApplyOptions,
  applySyncPlan,
} from "./apply.ts";
export { configDigest, DesiredConfigs, type DesiredOptions } from "./desired.ts";
export {
  bootTimeOf,
  type FullSyncDecision,
  hasRestarted,
  mayHaveRestarted,
  needsFullSync,
  RESTART_TOLERANCE_MS,
  type RouterObservation,
} from "./drift.ts";
export {
  handleSyncTrigger,
  SyncConfigError,
  type SyncFunctionDeps,
  type SyncFunctionSettings,
  type SyncSummary,
  type SyncTrigger,
  summaryOf,
  syncSettingsFromEnv,
} from "./function.ts";
export { checkRegistry, type GateVerdict } from "./gate.ts";
export type { ValidProject } from "./generated.ts";
export { loggingPool, operationLogger, withOperationLog } from "./operation-log.ts";
export {
  type BlockedChange,
  normalizeActual,
  planFromLastApplied,
  planSync,
  type RestartOnlyChange,
  type SyncPlan,
  type SyncStep,
  type UntouchedEntity,
} from "./plan.ts";
export { formatSyncPlan, operationCount, operationCounts } from "./plan-text.ts";
export {
  type LoadStats,
  loadSnapshot,
  PROJECT_LOADER_LIMITS,
  ProjectLoader,
  type ProjectLoaderLimits,
} from "./project-loader.ts";
export {
  formatSyncReport,
  type RegistryVerdict,
  type RouterSyncResult,
  type RouterSyncStatus,
  SILENT_LOGGER,
  type SyncLogger,
  type SyncReport,
  type SyncTotals,
} from "./report.ts";
export { runSync, type SyncRunOptions } from "./run.ts";
export {
  isProjectPath,
  type LoadedProject,
  makeSnapshot,
  type ProjectFile,
  type ProjectSnapshot,
  revisionOf,
  SNAPSHOT_LIMITS,
  SnapshotError,
  unsafePathReason,
} from "./snapshot.ts";
export {
  contentTag,
  DirectorySource,
  MemoryObjectStore,
  type ObjectStore,
  ObjectStoreSource,
  type ObjectStoreSourceOptions,
  type RegistrySource,
  type StoredObject,
  shortDigest,
} from "./source.ts";
export {
  EMPTY_STATE,
  FileStateStore,
  lastGoodOf,
  MemoryStateStore,
  ObjectStateStore,
  parseSyncState,
  type RouterState,
  type SyncState,
  SyncStateError,
  type SyncStateStore,
  syncStateSchema,
} from "./state.ts";
