/**
 * Seeded randomness for the fault-injection suite and the benchmarks: every decision (what a feed's n-th request
 * gets, whether the SMTP server refuses a message's k-th attempt) is drawn from its own stream,
 * keyed by the seed and the names of the decision, so it does not depend on the order in which
 * concurrent requests happen to arrive.
 */

/** mulberry32: a small, fast 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit hash of the keys (FNV-1a over their text, then a final avalanche). */
export function hashKeys(...keys: ReadonlyArray<string | number>): number {
  let hash = 0x811c9dc5;
  for (const char of keys.join('\u0000')) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash >>> 0;
}

/** The random stream for one decision. */
export function streamFor(seed: number, ...keys: ReadonlyArray<string | number>): () => number {
  return mulberry32(hashKeys(seed, ...keys));
}

/** An integer in [min, max] from `random`. */
export function intBetween(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** One of `choices`, each as likely. */
export function pick<T>(random: () => number, choices: readonly T[]): T {
  return choices[intBetween(random, 0, choices.length - 1)]!;
}

/** One of `choices`, picked with probability proportional to its weight. */
export function weighted<T extends string>(random: () => number, choices: ReadonlyArray<readonly [T, number]>): T {
  const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
  let pick = random() * total;
  for (const [choice, weight] of choices) {
    pick -= weight;
    if (pick < 0) return choice;
  }
  return choices[choices.length - 1]![0];
}
