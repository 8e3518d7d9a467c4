/**
 * The local platform failed at run time (a tool or router binary missing, a port taken, a
 * router that would not start): not the input's fault. The CLI exits with RUNTIME_FAILURE.
 */
export class LocalPlatformError extends Error {
  override readonly name = "LocalPlatformError";
}

/** Exit code of a run-time failure (0 success, 1 invalid input, 2 usage error). */
export const RUNTIME_FAILURE = 3;
