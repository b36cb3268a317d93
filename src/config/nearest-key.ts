/** The known key a mistyped one most likely meant, for "did you mean ...?" hints. Pure. */

/**
 * The closest of `known` to `typed`, or null when none is close enough to be a typo. Case is
 * ignored first (`baseURL` means `baseUrl`); otherwise the Damerau-Levenshtein distance (optimal
 * string alignment: a swap of two neighbours counts as one edit) must be at most a third of the
 * key's length, so `tilte` finds `title` but `colour` finds nothing.
 */
export function nearestKey(typed: string, known: readonly string[]): string | null {
  const lower = typed.toLowerCase();
  const sameLetters = known.find((key) => key.toLowerCase() === lower);
  if (sameLetters !== undefined) return sameLetters;
  let best: { key: string; distance: number } | null = null;
  for (const key of known) {
    const distance = editDistance(lower, key.toLowerCase());
    if (best === null || distance < best.distance) best = { key, distance };
  }
  const allowed = Math.max(1, Math.floor(Math.max(typed.length, best?.key.length ?? 0) / 3));
  return best !== null && best.distance <= allowed ? best.key : null;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  // Three rows are enough: a swap looks two rows back.
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, before[j - 2]! + 1);
      current.push(distance);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}
