/** Bounded polling for the client's integration tests: wait for a condition, never sleep. */
export async function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMs = 5_000,
  intervalMs = 5,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Collects log lines so tests can assert secrets never appear in them. */
export function logCollector(): { lines: string[]; log: (line: string) => void } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line) };
}
