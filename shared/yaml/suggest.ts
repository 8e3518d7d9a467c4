/** Edit distance between two short strings (keys, enum values), for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The closest candidate, if it is close enough to be a plausible typo of `word`. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance =
      candidate.toLowerCase() === lower ? 0 : editDistance(lower, candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { candidate, distance };
  }
  // A third of the word may be wrong; short words allow one typo.
  const tolerance = Math.max(1, Math.floor(word.length / 3));
  return best !== undefined && best.distance <= tolerance ? best.candidate : undefined;
}

/** "; did you mean 'x'?" after a message about an unknown `word`, or "" when nothing is close. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const suggestion = closestMatch(word, candidates);
  return suggestion ? `; did you mean '${suggestion}'?` : "";
}
