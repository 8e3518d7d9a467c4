/**
 * Waiting in tests without sleeping: poll a condition with a bounded timeout.
 *
 *   await waitFor(() => receiver.messages.length === 3, { timeout: 2000, what: "3 messages" });
 *   const value = await waitForValue(() => mesh.router("a").running || undefined);
 *
 * The condition may be async; the error names what was awaited and how long it waited.
 */

export interface WaitForOptions {
  /** Milliseconds before giving up (default 5000). */
  timeout?: number;
  /** Poll interval in milliseconds (default 5). */
  interval?: number;
  /** What is awaited, for the timeout message. */
  what?: string;
}

export class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";
}

/** Resolves with the first value of `probe` that is not undefined/false. */
export async function waitForValue<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: WaitForOptions = {},
): Promise<T> {
  const timeout = options.timeout ?? 5_000;
  const interval = options.interval ?? 5;
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  while (true) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new WaitTimeoutError(
        `timed out after ${timeout} ms waiting for ${options.what ?? "a condition"}${cause}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** Resolves once `condition` is true. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  options: WaitForOptions = {},
): Promise<void> {
  await waitForValue(async () => (await condition()) || undefined, options);
}

/** Rejects if `promise` does not settle within `timeout` ms. */
export async function withTimeout<T>(
  promise: Promise<T>,
  timeout: number,
  what: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new WaitTimeoutError(`timed out after ${timeout} ms waiting for ${what}`)),
          timeout,
        );
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
