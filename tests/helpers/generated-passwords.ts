/**
 * Passwords as generators make them, for the tests that check no message prints one: printable
 * ASCII of 12-24 characters, each with at least three of the characters a URL reads as
 * structure (#, /, ?, @, :, %, space), drawn from a seeded stream so every run tests the same.
 */
import { mulberry32 } from './prng.ts';

const PRINTABLE = Array.from({ length: 95 }, (_, index) => String.fromCharCode(32 + index)).join('');
const STRUCTURAL = '#/?@:% ';

/** `count` passwords from `seed`. */
export function generatedPasswords(seed: number, count: number): string[] {
  const random = mulberry32(seed);
  const pick = (chars: string) => chars[Math.floor(random() * chars.length)]!;
  return Array.from({ length: count }, () => {
    const chars = Array.from({ length: 12 + Math.floor(random() * 13) }, () => pick(PRINTABLE));
    for (let placed = 0; placed < 3; placed++) chars[Math.floor(random() * chars.length)] = pick(STRUCTURAL);
    return chars.join('');
  });
}

/** The first 6 characters in a row of `password` that `text` shows, or null: a password shown in part is shown. */
export function shownPart(text: string, password: string): string | null {
  for (let start = 0; start + 6 <= password.length; start++) {
    const part = password.slice(start, start + 6);
    if (text.includes(part)) return part;
  }
  return null;
}
