/**
 * The bytes of a subscriber CSV file as text, whole or a chunk at a time: UTF-8, UTF-16 by its
 * byte-order mark, or a named encoding. Pure.
 */
import { TextDecoder } from 'node:util';

/** Why bytes cannot be read as the encoding they claim; `line` when it can be told (not in UTF-16). */
export type DecodeFailure = { kind: 'failed'; line: number | null; reason: string };
/** The text of a CSV file (or of its next chunk), or why it cannot be read. */
export type DecodedCsv = { kind: 'ok'; text: string } | DecodeFailure;

/** Decodes a file's bytes in order, a chunk at a time. */
export interface CsvDecoder {
  /** The text of the next `bytes`; `final` for the last (a character cut at a chunk's end waits for the next). */
  decode(bytes: Uint8Array, final: boolean): DecodedCsv;
}

/** The bytes openCsvDecoder looks at to tell UTF-16 without a byte-order mark (all of them in a shorter file). */
export const HEAD_BYTES = 64;
/**
 * The longest line read, in characters: a line holds an address (254 bytes at most) and a name
 * (200 characters kept). A longer one means the file is something else, or separates its lines
 * by something that is not CR or LF; refused, rather than held in memory whole.
 */
export const MAX_LINE_CHARS = 1024 * 1024;

const WHAT_TO_DO =
  'save it as "CSV UTF-8 (Comma delimited)" in Excel (or UTF-8 elsewhere), or name its encoding with --encoding (windows-1252 is Excel\'s "CSV (Comma delimited)" in Western Europe)';

/** Bytes to text: openCsvDecoder's rules, for a file read whole. */
export function decodeSubscriberCsv(bytes: Uint8Array, encoding?: string): DecodedCsv {
  const opened = openCsvDecoder(bytes, encoding);
  return opened.kind === 'failed' ? opened : opened.decoder.decode(bytes, true);
}

/**
 * The text of a file's bytes as they are read, a chunk of text for each chunk of bytes (the
 * first waits for HEAD_BYTES), under openCsvDecoder's rules; a failure is the last thing given.
 */
export async function* decodeCsvChunks(chunks: AsyncIterable<Uint8Array>, encoding?: string): AsyncGenerator<DecodedCsv> {
  let decoder: CsvDecoder | null = null;
  let head: Uint8Array = new Uint8Array(0);
  const decode = (bytes: Uint8Array, final: boolean): DecodedCsv => {
    if (decoder === null) {
      const opened = openCsvDecoder(bytes, encoding);
      if (opened.kind === 'failed') return opened;
      decoder = opened.decoder;
    }
    return decoder.decode(bytes, final);
  };
  for await (const chunk of chunks) {
    let bytes = chunk;
    if (decoder === null) {
      // The first bytes decide the encoding: wait for enough of them.
      head = concat(head, chunk);
      if (head.length < HEAD_BYTES) continue;
      bytes = head;
    }
    const decoded = decode(bytes, false);
    yield decoded;
    if (decoded.kind === 'failed') return;
  }
  yield decode(decoder === null ? head : new Uint8Array(0), true);
}

/**
 * A decoder for a file starting with `head` (its first HEAD_BYTES bytes, or all of a shorter
 * file): a byte-order mark says UTF-8 or UTF-16 (Excel's "Unicode Text"); `encoding` (a WHATWG
 * label: windows-1252, iso-8859-15, utf-16le…) says what the file is; else it must be UTF-8, and
 * the first line that is not is named (never read as U+FFFD into names for good).
 */
export function openCsvDecoder(head: Uint8Array, encoding?: string): { kind: 'ok'; decoder: CsvDecoder } | DecodeFailure {
  // A byte-order mark says what the file is, whatever --encoding says.
  const marked = byteOrderMark(head);
  const named = encoding === undefined ? null : labelOf(encoding);
  // (An unknown label is said as such below.)
  if (marked !== null && named !== null && new TextDecoder(marked).encoding !== named)
    return {
      kind: 'failed',
      line: 1,
      reason: `starts with a ${marked.toUpperCase()} byte-order mark, so it is ${marked.toUpperCase()}: leave out --encoding ${encoding}`,
    };
  if (encoding === undefined) {
    // Refused, never U+FFFD into names, when it holds a lone surrogate.
    if (marked === 'utf-16le' || marked === 'utf-16be')
      return opened(
        new TextDecoder(marked, { fatal: true }),
        `not ${marked.toUpperCase()} text (a lone surrogate): save it again as "CSV UTF-8"`,
      );
    if (looksLikeUtf16(head))
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
  return opened(decoder, `not ${decoder.encoding === 'utf-8' ? 'UTF-8' : decoder.encoding} text; ${WHAT_TO_DO}`);
}

function opened(decoder: TextDecoder, notText: string): { kind: 'ok'; decoder: CsvDecoder } {
  return { kind: 'ok', decoder: chunkDecoder(decoder, notText) };
}

/**
 * Decodes chunk by chunk, counting lines (CR, LF or CRLF, as the CSV reader does) so that a
 * bad byte is named by its line: the bytes since the last line break are kept, and a chunk
 * that fails is decoded again from there a line at a time (a line break is a character
 * boundary in every encoding but UTF-16, where the line is not told).
 */
function chunkDecoder(decoder: TextDecoder, notText: string): CsvDecoder {
  const wide = decoder.encoding.startsWith('utf-16');
  /** The line the text decoded so far ends on, and its length so far. */
  let line = 1;
  let lineChars = 0;
  let afterCr = false;
  /** The bytes of that line decoded so far (not for UTF-16). */
  let lineBytes: Uint8Array = new Uint8Array(0);
  return {
    decode(bytes, final) {
      let text: string;
      try {
        text = decoder.decode(bytes, { stream: !final });
      } catch {
        if (wide) return { kind: 'failed', line: null, reason: notText };
        // The LF of a CRLF split between chunks ended no line.
        const rest = afterCr && bytes[0] === 0x0a ? bytes.subarray(1) : bytes;
        return { kind: 'failed', line: line - 1 + firstUndecodableLine(concat(lineBytes, rest), decoder.encoding), reason: notText };
      }
      for (let index = 0; index < text.length; index++) {
        const code = text.charCodeAt(index);
        if (code === 0x0d || (code === 0x0a && !afterCr)) {
          line++;
          lineChars = 0;
        } else if (code !== 0x0a && ++lineChars > MAX_LINE_CHARS)
          return {
            kind: 'failed',
            line,
            reason: `a line longer than ${MAX_LINE_CHARS.toLocaleString('en')} characters, where a subscriber's line holds an address and a name; check this is the list, with its lines ended by CR or LF`,
          };
        afterCr = code === 0x0d;
      }
      if (!wide) {
        const lastBreak = Math.max(bytes.lastIndexOf(0x0a), bytes.lastIndexOf(0x0d));
        lineBytes = lastBreak === -1 ? concat(lineBytes, bytes) : bytes.slice(lastBreak + 1);
      }
      return { kind: 'ok', text };
    },
  };
}

/** The 1-based line (CR, LF or CRLF ending each) of `bytes`, which start a line, that `encoding` cannot decode. */
function firstUndecodableLine(bytes: Uint8Array, encoding: string): number {
  const strict = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  let line = 1;
  for (let start = 0; start < bytes.length; line++) {
    let end = start;
    while (end < bytes.length && bytes[end] !== 0x0a && bytes[end] !== 0x0d) end++;
    const stop = bytes[end] === 0x0d && bytes[end + 1] === 0x0a ? end + 2 : end + 1;
    try {
      strict.decode(bytes.subarray(start, stop));
    } catch {
      return line;
    }
    start = stop;
  }
  return line;
}

function concat(head: Uint8Array, tail: Uint8Array): Uint8Array {
  if (head.length === 0) return tail.slice();
  const joined = new Uint8Array(head.length + tail.length);
  joined.set(head);
  joined.set(tail, head.length);
  return joined;
}

/** UTF-16 without its byte-order mark: text whose first characters are all ASCII has a NUL in every other byte. */
function looksLikeUtf16(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, Math.min(bytes.length, HEAD_BYTES) & ~1);
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

/** The encoding a byte-order mark at the start of `bytes` names, or null. */
function byteOrderMark(bytes: Uint8Array): 'utf-8' | 'utf-16le' | 'utf-16be' | null {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 'utf-8' : null;
}
