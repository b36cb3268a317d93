/** The bytes of a subscriber CSV file as text: UTF-8, UTF-16 by its byte-order mark, or a named encoding. Pure. */
import { TextDecoder } from 'node:util';

/** The text of a CSV file, or why it cannot be read as the encoding it claims. */
export type DecodedCsv = { kind: 'ok'; text: string } | { kind: 'failed'; line: number | null; reason: string };

const WHAT_TO_DO =
  'save it as "CSV UTF-8 (Comma delimited)" in Excel (or UTF-8 elsewhere), or name its encoding with --encoding (windows-1252 is Excel\'s "CSV (Comma delimited)" in Western Europe)';

/**
 * Bytes to text: a byte-order mark says UTF-8 or UTF-16 (Excel's "Unicode Text"); `encoding`
 * (a WHATWG label: windows-1252, iso-8859-15, utf-16le…) says what the file is; else it must be
 * UTF-8, and the first line that is not is named (never read as U+FFFD into names for good).
 */
export function decodeSubscriberCsv(bytes: Uint8Array, encoding?: string): DecodedCsv {
  // A byte-order mark says what the file is, whatever --encoding says.
  const marked = byteOrderMark(bytes);
  const named = encoding === undefined ? null : labelOf(encoding);
  // (An unknown label is said as such below.)
  if (marked !== null && named !== null && new TextDecoder(marked).encoding !== named)
    return {
      kind: 'failed',
      line: 1,
      reason: `starts with a ${marked.toUpperCase()} byte-order mark, so it is ${marked.toUpperCase()}: leave out --encoding ${encoding}`,
    };
  if (encoding === undefined) {
    if (marked === 'utf-16le' || marked === 'utf-16be') return decodeStrictly(bytes, marked);
    if (looksLikeUtf16(bytes))
      return { kind: 'failed', line: 1, reason: 'looks like UTF-16 without a byte-order mark; pass --encoding utf-16le (or utf-16be)' };
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(encoding ?? 'utf-8', { fatal: true });
  } catch {
    return {
      kind: 'failed',
      line: null,
      reason: `--encoding ${encoding}: not an encoding (use a WHATWG label such as windows-1252, iso-8859-15, utf-16le)`,
    };
  }
  try {
    return { kind: 'ok', text: decoder.decode(bytes) };
  } catch {
    // Only now, line by line: where the first bad byte is, for the message (LF is one byte only outside UTF-16).
    const wide = decoder.encoding.startsWith('utf-16');
    const name = decoder.encoding === 'utf-8' ? 'UTF-8' : decoder.encoding;
    return { kind: 'failed', line: wide ? null : firstUndecodableLine(bytes, decoder), reason: `not ${name} text; ${WHAT_TO_DO}` };
  }
}

function firstUndecodableLine(bytes: Uint8Array, decoder: TextDecoder): number {
  let line = 1;
  for (let start = 0; start < bytes.length; line++) {
    const end = bytes.indexOf(0x0a, start);
    const stop = end === -1 ? bytes.length : end + 1;
    try {
      decoder.decode(bytes.subarray(start, stop));
    } catch {
      return line;
    }
    start = stop;
  }
  return line;
}

/** UTF-16 without its byte-order mark: text whose first characters are all ASCII has a NUL in every other byte. */
function looksLikeUtf16(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, Math.min(bytes.length, 64) & ~1);
  if (head.length < 8) return false;
  const zeroAt = (parity: number) => head.every((byte, index) => (index % 2 === parity) === (byte === 0));
  return zeroAt(0) || zeroAt(1);
}

/** The WHATWG name of an encoding label, or null for no encoding. */
function labelOf(label: string): string | null {
  try {
    return new TextDecoder(label).encoding;
  } catch {
    return null;
  }
}

/** UTF-16 by its byte-order mark, refused (never U+FFFD into names) when it holds a lone surrogate. */
function decodeStrictly(bytes: Uint8Array, encoding: 'utf-16le' | 'utf-16be'): DecodedCsv {
  try {
    return { kind: 'ok', text: new TextDecoder(encoding, { fatal: true }).decode(bytes) };
  } catch {
    return { kind: 'failed', line: null, reason: `not ${encoding.toUpperCase()} text (a lone surrogate): save it again as "CSV UTF-8"` };
  }
}

/** The encoding a byte-order mark at the start of `bytes` names, or null. */
function byteOrderMark(bytes: Uint8Array): 'utf-8' | 'utf-16le' | 'utf-16be' | null {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 'utf-8' : null;
}
