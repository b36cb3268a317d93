/**
 * RFC 4180 records in one forward scan, from text given whole or a chunk at a time: quoted
 * fields may hold commas, "" and line breaks. A quote that is never closed, or whose field runs
 * over lines that hold addresses (a stray quote swallowing the records after it), makes its
 * line a broken record, and reading starts again on the next line, so no valid record after it
 * is lost. Pure.
 */

export interface CsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  fields: string[];
  /** Why the record could not be read; its line is left out and reading goes on after it. */
  broken: string | null;
}

/** Reads records from text pushed a chunk at a time; holds only the record not yet complete. */
export interface CsvRecordReader {
  /** The records `text` completes. */
  push(text: string): CsvRecord[];
  /** The records left once the text has ended. */
  end(): CsvRecord[];
}

/**
 * The most text one record may wait for: a quote left open in a file with no other quote would
 * otherwise hold the rest of the file. Past it, the record is read as if the text ended there
 * (its quote "never closed"), and reading goes on from its next line.
 */
export const MAX_RECORD_CHARS = 4 * 1024 * 1024;

// A line that starts with an address (quoted or not): the start of a record, never part of a name.
const ADDRESS_LINE = /^[ \t]*"?[^\s@,;"<>]+@[^\s@,;"<>]+\.[^\s@,;"<>]+"?[ \t]*([,;]|$)/m;

/** The records of `text`, by line. */
export function readCsvRecords(text: string): CsvRecord[] {
  const reader = createCsvRecordReader();
  return [...reader.push(text), ...reader.end()];
}

/** A reader for text that comes in chunks (a byte-order mark at its start is left out); the records are the ones readCsvRecords gives for the whole text. */
export function createCsvRecordReader(maxRecordChars = MAX_RECORD_CHARS): CsvRecordReader {
  let pending = '';
  let line = 1;
  let started = false;
  const take = (final: boolean): CsvRecord[] => {
    const records: CsvRecord[] = [];
    let at = 0;
    while (at < pending.length) {
      const step =
        readRecord(pending, at, line, final) ?? (pending.length - at > maxRecordChars ? readRecord(pending, at, line, true) : null);
      if (step === null) break;
      records.push(step.record);
      ({ at, line } = step);
    }
    pending = pending.slice(at);
    return records;
  };
  return {
    push(text) {
      pending += started ? text : text.replace(/^\uFEFF/, '');
      started ||= text !== '';
      return take(false);
    },
    end: () => take(true),
  };
}

interface Step {
  record: CsvRecord;
  /** Where the next record starts, and its line. */
  at: number;
  line: number;
}

/**
 * The record of `text` starting at `at` (on line `line`). Unless `final`, null when the text
 * may end before the record does (a field, a quoted field or a CRLF runs to its end): call
 * again with more text, and the record read is the one the whole text gives.
 */
function readRecord(text: string, at: number, line: number, final: boolean): Step | null {
  const start = line;
  const fields: string[] = [];
  for (;;) {
    let field = '';
    // A space before a quoted field (`a@x, "Doe, Jo"`) is read as spreadsheets write it without.
    const head = text.slice(at, at + 64);
    if (!final && head.length < 64 && /^[ \t]*$/.test(head)) return null;
    const quoteAt = /^[ \t]*"/.test(head) ? text.indexOf('"', at) : -1;
    if (quoteAt !== -1) {
      const openLine = line;
      at = quoteAt + 1;
      let broken: string | null = null;
      for (;;) {
        const quote = text.indexOf('"', at);
        if (quote === -1) {
          if (!final) return null;
          broken = 'a quoted field is never closed';
          break;
        }
        const inside = text.slice(at, quote);
        if (/[\r\n]/.test(inside) && ADDRESS_LINE.test(inside.replace(/^[^\r\n]*\r?\n?/, ''))) {
          broken = 'a quoted field is not closed on this line, and the lines after it hold addresses';
          break;
        }
        field += inside;
        line += countNewlines(text, at, quote);
        at = quote + 1;
        // A quote at the end of the text so far may be the first of a "" pair.
        if (at === text.length && !final) return null;
        if (text[at] !== '"') break;
        field += '"';
        at++;
      }
      if (broken !== null) {
        // Start again on the line after the opening quote: what followed is read as records.
        const end = lineEnd(text, quoteAt);
        fields.push(text.slice(quoteAt, end.text));
        return { record: { line: start, fields, broken }, at: end.next, line: openLine + 1 };
      }
      // Anything between the closing quote and the next separator is kept, as spreadsheets do.
      const stop = nextSeparator(text, at);
      if (stop === text.length && !final) return null;
      field += text.slice(at, stop);
      at = stop;
    } else {
      const stop = nextSeparator(text, at);
      if (stop === text.length && !final) return null;
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
  if (text[at] === '\r') {
    // CR, then maybe LF in the text still to come.
    if (at + 1 === text.length && !final) return null;
    at++;
  }
  if (text[at] === '\n') at++;
  return { record: { line: start, fields, broken: null }, at, line: line + 1 };
}

/** Where the line holding `from` ends (`text`) and the next one starts (`next`). */
function lineEnd(text: string, from: number): { text: number; next: number } {
  let end = from;
  while (end < text.length && text[end] !== '\n' && text[end] !== '\r') end++;
  const next = text[end] === '\r' && text[end + 1] === '\n' ? end + 2 : Math.min(end + 1, text.length);
  return { text: end, next };
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
