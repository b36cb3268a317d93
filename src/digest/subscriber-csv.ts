/**
 * Subscriber lists as CSV (`email,name`, RFC 4180: quoted fields, "" for a quote, CRLF or LF),
 * read for `subscribers import` and written by `subscribers export`. A header row naming the
 * columns is optional. Every line that is not a subscriber is reported with its number, never
 * silently dropped. Pure.
 */
import { TextDecoder } from 'node:util';
import { normalizeName, parseMailbox } from '../config/parse-mailbox.ts';

export interface CsvSubscriber {
  /** 1-based line where the record starts. */
  line: number;
  address: string;
  name: string | null;
}

export interface ParsedSubscriberCsv {
  subscribers: CsvSubscriber[];
  /** `line: reason` for each record left out. */
  problems: Array<{ line: number; reason: string }>;
}

const HEADER_NAMES = new Set(['email', 'e-mail', 'address', 'email address', 'mail']);

/** Parses CSV text into subscribers and numbered problems. */
export function parseSubscriberCsv(text: string): ParsedSubscriberCsv {
  const result: ParsedSubscriberCsv = { subscribers: [], problems: [] };
  const seen = new Map<string, number>();
  for (const record of readRecords(text.replace(/^\uFEFF/, ''))) {
    const [first = '', second = '', ...rest] = record.fields.map((field) => undefuse(field.trim()));
    if (record.fields.every((field) => field.trim() === '')) continue; // blank line
    if (record.line === 1 && HEADER_NAMES.has(first.trim().toLowerCase())) continue;
    if (record.unterminated) {
      result.problems.push({ line: record.line, reason: 'a quoted field is never closed' });
      continue;
    }
    if (rest.some((field) => field.trim() !== '')) {
      result.problems.push({ line: record.line, reason: `expected 2 columns (email,name), got ${record.fields.length}` });
      continue;
    }
    const mailbox = parseMailbox(first);
    if (!mailbox) {
      result.problems.push({ line: record.line, reason: `not an email address: ${JSON.stringify(first.trim().slice(0, 100))}` });
      continue;
    }
    // The one rule for names (parse-mailbox.ts): control characters go, long names are cut.
    const name = normalizeName(second) ?? (mailbox.name === null ? null : normalizeName(mailbox.name));
    const address = mailbox.address.toLowerCase();
    const earlier = seen.get(address);
    if (earlier !== undefined) {
      result.problems.push({ line: record.line, reason: `${address} is already on line ${earlier}` });
      continue;
    }
    seen.set(address, record.line);
    result.subscribers.push({ line: record.line, address, name });
  }
  return result;
}

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
  const [b0, b1] = bytes;
  if (encoding === undefined) {
    if (b0 === 0xff && b1 === 0xfe) return { kind: 'ok', text: new TextDecoder('utf-16le').decode(bytes) };
    if (b0 === 0xfe && b1 === 0xff) return { kind: 'ok', text: new TextDecoder('utf-16be').decode(bytes) };
    // A CSV starts with text, never "a\0": UTF-16 without its byte-order mark.
    if (bytes.length >= 2 && (b0 === 0) !== (b1 === 0))
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

interface CsvRecord {
  line: number;
  fields: string[];
  unterminated: boolean;
}

/** RFC 4180 records, one forward scan; a quoted field may hold commas and line breaks. */
function* readRecords(text: string): Generator<CsvRecord> {
  let line = 1;
  let at = 0;
  while (at < text.length) {
    const start = line;
    const fields: string[] = [];
    let unterminated = false;
    for (;;) {
      let field = '';
      if (text[at] === '"') {
        at++;
        for (;;) {
          const quote = text.indexOf('"', at);
          if (quote === -1) {
            field += text.slice(at);
            at = text.length;
            unterminated = true;
            break;
          }
          field += text.slice(at, quote);
          line += countNewlines(text, at, quote);
          at = quote + 1;
          if (text[at] !== '"') break;
          field += '"';
          at++;
        }
        // Anything between the closing quote and the next separator is kept, as spreadsheets do.
        const stop = nextSeparator(text, at);
        field += text.slice(at, stop);
        at = stop;
      } else {
        const stop = nextSeparator(text, at);
        field = text.slice(at, stop);
        at = stop;
      }
      fields.push(field);
      if (text[at] === ',') {
        at++;
        continue;
      }
      break;
    }
    if (text[at] === '\r') at++;
    if (text[at] === '\n') at++;
    line++;
    yield { line: start, fields, unterminated };
  }
}

function nextSeparator(text: string, from: number): number {
  let at = from;
  while (at < text.length && text[at] !== ',' && text[at] !== '\n' && text[at] !== '\r') at++;
  return at;
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let at = text.indexOf('\n', from); at !== -1 && at < to; at = text.indexOf('\n', at + 1)) count++;
  return count;
}

// OWASP "CSV injection": a spreadsheet evaluates a cell starting with = + - @ TAB or CR as a
// formula (=HYPERLINK(...) from an anonymous sign-up's name), so such a value is written after a
// single quote. A value already starting with quotes before one of those gets one more, so the
// import, which takes exactly one quote off such a field, gives back every value exactly.
const FORMULA = /^'*[=+\-@\t\r]/;
const DEFUSED = /^'+[=+\-@\t\r]/;

/** One CSV field: a would-be formula after a `'`, quoted when it holds a comma, a quote, a line break or leading/trailing space. */
export function csvField(raw: string): string {
  const value = FORMULA.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A field as export wrote it: the `'` that defused a formula taken off again (only that one). */
function undefuse(field: string): string {
  return DEFUSED.test(field) ? field.slice(1) : field;
}

/** The export's header line and one line per subscriber (CRLF, as RFC 4180 asks). */
export function formatSubscriberCsv(subscribers: ReadonlyArray<{ address: string; name: string | null }>, header = true): string {
  const lines = subscribers.map(({ address, name }) => `${csvField(address)},${csvField(name ?? '')}`);
  return (header ? ['email,name', ...lines] : lines).map((line) => `${line}\r\n`).join('');
}
