/**
 * RFC 4180 records in one forward scan: quoted fields may hold commas, "" and line breaks. A
 * quote that is never closed, or whose field runs over lines that hold addresses (a stray quote
 * swallowing the records after it), makes its line a broken record, and reading starts again on
 * the next line, so no valid record after it is lost. Pure.
 */

export interface CsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  fields: string[];
  /** Why the record could not be read; its line is left out and reading goes on after it. */
  broken: string | null;
}

// A line that starts with an address (quoted or not): the start of a record, never part of a name.
const ADDRESS_LINE = /^[ \t]*"?[^\s@,;"<>]+@[^\s@,;"<>]+\.[^\s@,;"<>]+"?[ \t]*([,;]|$)/m;

/** The records of `text`, by line. */
export function* readCsvRecords(text: string): Generator<CsvRecord> {
  let line = 1;
  let at = 0;
  records: while (at < text.length) {
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let field = '';
      // A space before a quoted field (`a@x, "Doe, Jo"`) is read as spreadsheets write it without.
      const quoteAt = /^[ \t]*"/.test(text.slice(at, at + 64)) ? text.indexOf('"', at) : -1;
      if (quoteAt !== -1) {
        const openLine = line;
        at = quoteAt + 1;
        let broken: string | null = null;
        for (;;) {
          const quote = text.indexOf('"', at);
          if (quote === -1) {
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
          if (text[at] !== '"') break;
          field += '"';
          at++;
        }
        if (broken !== null) {
          // Start again on the line after the opening quote: what followed is read as records.
          const end = lineEnd(text, quoteAt);
          fields.push(text.slice(quoteAt, end.text));
          at = end.next;
          line = openLine + 1;
          yield { line: start, fields, broken };
          continue records;
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
    yield { line: start, fields, broken: null };
  }
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
