/**
 * The addresses an import has read, each with the line it was first on, to name a repeated one
 * ("a@x is already on line 12"). Kept as 96-bit fingerprints in typed arrays (16 bytes an address,
 * 32 MiB for a million), not as strings in a Map (about 70 MiB of heap a million, and more for
 * the garbage collector to walk). Two different addresses would share a fingerprint with a
 * chance of about 10^-17 in a file of a million; the hash is seeded at random for each import,
 * so no file can be made to collide on purpose. Pure but for the seed.
 */

/** Addresses seen so far. */
export interface SeenAddresses {
  /** The line `address` was first seen on; null when it is new, and then it is kept with `line` (from 1). */
  firstLine(address: string, line: number): number | null;
  readonly size: number;
}

const SLOT = 4; // three 32-bit hashes and the line (0: an empty slot)
const FIRST_CAPACITY = 1 << 12;

/** An empty set; `seed` (three 32-bit numbers) is for tests, random otherwise. */
export function createSeenAddresses(seed: readonly number[] = [...crypto.getRandomValues(new Uint32Array(3))]): SeenAddresses {
  const [seedA = 1, seedB = 2, seedC = 3] = seed;
  let capacity = FIRST_CAPACITY;
  let slots = new Uint32Array(capacity * SLOT);
  let size = 0;

  const grow = () => {
    const old = slots;
    capacity *= 2;
    slots = new Uint32Array(capacity * SLOT);
    for (let at = 0; at < old.length; at += SLOT) {
      if (old[at + 3] === 0) continue;
      const to = find(slots, capacity - 1, old[at]!, old[at + 1]!, old[at + 2]!);
      for (let offset = 0; offset < SLOT; offset++) slots[to + offset] = old[at + offset]!;
    }
  };

  return {
    firstLine(address, line) {
      // Three 32-bit hashes in one pass: multiply-xor per UTF-16 unit, then MurmurHash3's finalizer.
      let a = seedA ^ address.length;
      let b = seedB ^ address.length;
      let c = seedC ^ address.length;
      for (let index = 0; index < address.length; index++) {
        const unit = address.charCodeAt(index);
        a = Math.imul(a ^ unit, 0x85ebca6b);
        a ^= a >>> 15;
        b = Math.imul(b ^ unit, 0xc2b2ae35);
        b ^= b >>> 15;
        c = Math.imul(c ^ unit, 0x27d4eb2f);
        c ^= c >>> 15;
      }
      a = finish(a);
      b = finish(b);
      c = finish(c);
      const at = find(slots, capacity - 1, a, b, c);
      if (slots[at + 3] !== 0) return slots[at + 3]!;
      slots[at] = a;
      slots[at + 1] = b;
      slots[at + 2] = c;
      slots[at + 3] = line;
      // Kept at most 3/4 full, so a probe stays short.
      if (++size * 4 > capacity * 3) grow();
      return null;
    },
    get size() {
      return size;
    },
  };
}

/** The slot of `table` holding these hashes, or the empty one where they go (linear probing from `a`). */
function find(table: Uint32Array, mask: number, a: number, b: number, c: number): number {
  for (let index = a & mask; ; index = (index + 1) & mask) {
    const at = index * SLOT;
    if (table[at + 3] === 0 || (table[at] === a && table[at + 1] === b && table[at + 2] === c)) return at;
  }
}

/** MurmurHash3's 32-bit finalizer: every bit of the input moves about half of the output. */
function finish(hash: number): number {
  let h = hash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
