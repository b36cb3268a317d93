/**
 * Subscriber lists as CSV (`email,name`, RFC 4180: quoted fields, "" for a quote, CRLF or LF),
 * read for `subscribers import` (whole, or a chunk at a time) and written by `subscribers
 * export`. A header row naming the columns is optional. Every line that is not a subscriber is
 * reported with its number, never silently dropped. Pure (but for the seed of SeenAddresses).
 */
import { addressHint, normalizeName, parseMailbox } from '../config/parse-mailbox.ts';
import { createCsvRecordReader, type CsvRecord } from './read-csv-records.ts';
import { createSeenAddresses, type SeenAddresses } from './seen-addresses.ts';

export interface CsvSubscriber {
  /** 1-based line where the record starts. */
  line: number;
  address: string;
  /** Absent when the record has no name field at all (`email` alone): a known address keeps its name. */
  name?: string | null;
}

export interface ParsedSubscriberCsv {
  subscribers: CsvSubscriber[];
  /** `line: reason` for each record left out. */
  problems: Array<{ line: number; reason: string }>;
}

// Header cells, compared lower-cased without spaces, dashes, dots or underscores.
const EMAIL_HEADERS = new Set(['email', 'emailaddress', 'mail', 'address', 'mailaddress']);
const NAME_HEADERS = new Set(['name', 'fullname', 'displayname']);
const FIRST_HEADERS = new Set(['firstname', 'givenname', 'fname', 'forename']);
const LAST_HEADERS = new Set(['lastname', 'surname', 'familyname', 'lname']);

/** Where each field is: `email,name` without a header; by name with one (other columns ignored). */
interface Columns {
  email: number;
  name: number | null;
  first: number | null;
  last: number | null;
  /** Columns past these must be empty (no header to say what they are). */
  strict: boolean;
}

const PLAIN: Columns = { email: 0, name: 1, first: null, last: null, strict: true };

/** Reads subscribers from CSV text pushed a chunk at a time (a file too large to hold). */
export interface SubscriberCsvReader {
  /** The subscribers and problems of the records `text` completes. */
  push(text: string): ParsedSubscriberCsv;
  /** Those of the records left once the text has ended. */
  end(): ParsedSubscriberCsv;
}

/** Parses CSV text into subscribers and numbered problems. */
export function parseSubscriberCsv(text: string): ParsedSubscriberCsv {
  const reader = createSubscriberCsvReader();
  const head = reader.push(text);
  const tail = reader.end();
  return { subscribers: [...head.subscribers, ...tail.subscribers], problems: [...head.problems, ...tail.problems] };
}

/**
 * A reader giving, over all the chunks of a text, what parseSubscriberCsv gives for the whole:
 * the header (on the first line that is not blank) and the addresses seen so far are kept across
 * chunks, so a repeated address is named with its first line wherever it is.
 */
export function createSubscriberCsvReader(seen: SeenAddresses = createSeenAddresses()): SubscriberCsvReader {
  const records = createCsvRecordReader();
  let columns: Columns | null = null;
  const read = (batch: readonly CsvRecord[]): ParsedSubscriberCsv => {
    const result: ParsedSubscriberCsv = { subscribers: [], problems: [] };
    const problem = (line: number, reason: string) => result.problems.push({ line, reason });
    for (const record of batch) {
      const fields = record.fields.map((field) => undefuse(field.trim()));
      if (record.broken === null && fields.every((field) => field === '')) continue; // blank line
      if (columns === null) {
        // The first line that is not blank may name the columns.
        columns = readHeader(fields);
        if (columns !== null) continue;
        columns = PLAIN;
      }
      if (record.broken !== null) {
        problem(record.line, record.broken);
        continue;
      }
      const at = (index: number | null) => (index === null ? '' : (fields[index] ?? ''));
      const email = at(columns.email);
      if (columns.strict && fields.slice(2).some((field) => field !== '')) {
        problem(record.line, `expected 2 columns (email,name), got ${fields.length}${separatorHint(email)}`);
        continue;
      }
      const mailbox = parseMailbox(email);
      if (!mailbox) {
        problem(
          record.line,
          `not an email address: ${JSON.stringify(email.slice(0, 100))}${separatorHint(email) || addressHint(email) || swappedHint(columns, fields)}`,
        );
        continue;
      }
      // The one rule for names (parse-mailbox.ts): control characters go, long names are cut.
      const name =
        normalizeName(at(columns.name)) ??
        normalizeName(`${at(columns.first)} ${at(columns.last)}`) ??
        (mailbox.name === null ? null : normalizeName(mailbox.name));
      // No name field at all (a list of addresses alone): the name stored for a known address stays.
      const named = name !== null || [columns.name, columns.first, columns.last].some((index) => index !== null && index < fields.length);
      const address = mailbox.address.toLowerCase();
      const earlier = seen.firstLine(address, record.line);
      if (earlier !== null) {
        problem(record.line, `${address} is already on line ${earlier}`);
        continue;
      }
      result.subscribers.push(named ? { line: record.line, address, name } : { line: record.line, address });
    }
    return result;
  };
  return { push: (text) => read(records.push(text)), end: () => read(records.end()) };
}

/** The columns a header row names (`E-mail Address`, `name,email`, Mailchimp's `Email Address,First Name,Last Name`), or null. */
function readHeader(fields: readonly string[]): Columns | null {
  const keys = fields.map((field) => field.toLowerCase().replace(/[\s._-]+/g, ''));
  const email = keys.findIndex((key) => EMAIL_HEADERS.has(key));
  if (email === -1 || fields.some((field) => field.includes('@'))) return null;
  const find = (names: ReadonlySet<string>) => {
    const index = keys.findIndex((key) => names.has(key));
    return index === -1 ? null : index;
  };
  const plain = fields.length <= 2 && email === 0;
  return { email, name: find(NAME_HEADERS) ?? (plain ? 1 : null), first: find(FIRST_HEADERS), last: find(LAST_HEADERS), strict: plain };
}

/** Excel in much of Europe separates with `;`, "Text (Tab delimited)" with tabs: say so rather than "not an address" on every line. */
function separatorHint(email: string): string {
  const separator = /^[^;\s]+@[^;\s]+([;\t])/.exec(email)?.[1];
  if (separator === undefined) return '';
  const named = separator === ';' ? '";"' : 'tabs';
  return `; the file looks separated by ${named}: save it with commas (CSV UTF-8), or replace ${named} by ","`;
}

/** `Jane Doe,jane@example.org` without a header: the columns are the wrong way round. */
function swappedHint(columns: Columns, fields: readonly string[]): string {
  return columns === PLAIN && parseMailbox(fields[1] ?? '') !== null
    ? '; the address is in the second column: put email first, or add a header row "name,email"'
    : '';
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
