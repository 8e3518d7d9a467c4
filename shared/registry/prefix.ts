/**
 * How the router matches address prefixes, as this registry assumes it (qdrouterd 1.x and
 * skupper-router, "address" entity `prefix`):
 * - a prefix matches the exact address or any address that continues it after a separator,
 *   so `sales` matches `sales`, `sales/orders` and `sales.orders` but not `salesforce`;
 * - `.` and `/` are both separators and are equivalent (`a.b` and `a/b` are the same prefix);
 * - a leading separator is implied and empty segments are ignored (`/a//b` is `a/b`).
 * Two channel addresses therefore overlap when the segments of one start with all the
 * segments of the other; they are duplicates when their segments are equal.
 */
export function addressSegments(address: string): string[] {
  return address.split(/[./]/).filter((segment) => segment.length > 0);
}

function startsWith(long: readonly string[], short: readonly string[]): boolean {
  return short.length <= long.length && short.every((segment, i) => long[i] === segment);
}

/** The address with its separators normalised: equal keys are the same address (for maps and sets). */
export function addressKey(address: string): string {
  return addressSegments(address).join("/");
}

/** Both addresses match the same messages on the router (same segments). */
export function sameAddress(a: string, b: string): boolean {
  return addressKey(a) === addressKey(b);
}

/** One address is a prefix of the other on a segment boundary (equal addresses overlap too). */
export function prefixesOverlap(a: string, b: string): boolean {
  return segmentsOverlap(addressSegments(a), addressSegments(b));
}

/** Overlap of addresses already split into segments (for comparing many pairs). */
export function segmentsOverlap(a: readonly string[], b: readonly string[]): boolean {
  return startsWith(a, b) || startsWith(b, a);
}
