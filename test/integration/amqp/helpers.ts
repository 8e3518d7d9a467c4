/** Collects log lines so tests can assert secrets never appear in them. */
export function logCollector(): { lines: string[]; log: (line: string) => void } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line) };
}
