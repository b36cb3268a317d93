/**
 * Subscriber CSV read a chunk at a time, as import reads a file: cut anywhere, the bytes give
 * the text, the records and the subscribers the whole file gives; a bad byte is named by its
 * line wherever the cut falls; a repeated address is found across chunks.
 */
import { describe, expect, it } from 'vitest';
import { decodeCsvChunks, decodeSubscriberCsv, MAX_LINE_CHARS } from '../../src/digest/decode-csv.ts';
import { createCsvRecordReader, readCsvRecords } from '../../src/digest/read-csv-records.ts';
import { createSeenAddresses } from '../../src/digest/seen-addresses.ts';
import { createSubscriberCsvReader, parseSubscriberCsv } from '../../src/digest/subscriber-csv.ts';
import { encodeWindows1252 } from '../helpers/encodings.ts';
import { mulberry32 } from '../helpers/prng.ts';

/** `whole` cut into pieces of `size` (the last may be shorter). */
function cut<T extends string | Uint8Array>(whole: T, size: number): T[] {
  const pieces: T[] = [];
  for (let at = 0; at < whole.length; at += size) pieces.push(whole.slice(at, at + size) as T);
  return pieces;
}

async function* chunksOf(pieces: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const piece of pieces) yield await Promise.resolve(piece);
}

/** What decodeCsvChunks gives for `bytes` cut into pieces of `size`: the text, or the failure. */
async function decodeInPieces(bytes: Uint8Array, size: number, encoding?: string) {
  let text = '';
  for await (const decoded of decodeCsvChunks(chunksOf(cut(bytes, size)), encoding)) {
    if (decoded.kind === 'failed') return decoded;
    text += decoded.text;
  }
  return { kind: 'ok', text };
}

const SAMPLES = [
  'email,name\r\na@example.org,"Doe, ""Jo"""\r\n"b@example.org","Two\r\nLines"\r\n\r\nc@example.org,Cy\r\n',
  '\uFEFFa@example.org,Ann\rb@example.org,Bob\r"c@example.org" , "Cee"\n',
  'o@example.org,"Oops\np@example.org,Pat\nq@example.org,"Quin"\n"open@example.org,never\nr@example.org',
  'a@example.org,   \t  "spaced"\nb@example.org,x"y"z,\n,,\n"",""""\n"',
];

describe('createCsvRecordReader', () => {
  it.each(SAMPLES.map((text, index) => [index, text]))(
    'sample %i: cut at any size, gives the records of the whole text',
    (_index, text) => {
      const whole = readCsvRecords(text);
      for (let size = 1; size <= text.length; size++) {
        const reader = createCsvRecordReader();
        const records = cut(text, size).flatMap((piece) => reader.push(piece));
        expect([...records, ...reader.end()], `pieces of ${size}`).toEqual(whole);
      }
    },
  );

  it('gives the records of the whole text for random text cut at random', () => {
    const random = mulberry32(20261207);
    const alphabet = 'a@.,"\r\n \tb';
    for (let round = 0; round < 2_000; round++) {
      const text = Array.from({ length: 1 + Math.floor(random() * 80) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      const reader = createCsvRecordReader();
      const records: unknown[] = [];
      for (let at = 0; at < text.length;) {
        const size = 1 + Math.floor(random() * 12);
        records.push(...reader.push(text.slice(at, at + size)));
        at += size;
      }
      expect([...records, ...reader.end()], JSON.stringify(text)).toEqual(readCsvRecords(text));
    }
  });

  it('waits for an open quote only so long: past the limit its line is broken and the lines after it are read', () => {
    const text = `a@example.org,"open\n${'no address here\n'.repeat(100)}b@example.org,Bee\n`;
    const reader = createCsvRecordReader(200);
    const records = [...cut(text, 50).flatMap((piece) => reader.push(piece)), ...reader.end()];
    expect(records[0]).toEqual({ line: 1, fields: ['a@example.org', '"open'], broken: 'a quoted field is never closed' });
    expect(records.at(-1)).toEqual({ line: 102, fields: ['b@example.org', 'Bee'], broken: null });
    expect(records).toHaveLength(102);
  });
});

describe('decodeCsvChunks', () => {
  const text = 'email,name\r\nm@example.org,Müller René\r\nz@example.org,Zoë 😀\r\n';

  it.each([
    ['UTF-8', Buffer.from(text)],
    ['UTF-8 with a byte-order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])],
    ['UTF-16LE with its byte-order mark', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])],
    ['UTF-16BE with its byte-order mark', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]).swap16()],
  ])('reads %s cut into pieces of any size', async (_name, bytes) => {
    for (let size = 1; size <= bytes.length; size++) expect(await decodeInPieces(bytes, size)).toEqual({ kind: 'ok', text });
  });

  it('names the line of the first bad byte wherever the pieces are cut, CRLF split or not', async () => {
    const lines = Array.from({ length: 40 }, (_, index) => `r${index}@example.org,Reader ${index}`);
    lines[27] = 'm@example.org,Müller';
    const bytes = encodeWindows1252(`${lines.join('\r\n')}\r\n`);
    expect(decodeSubscriberCsv(bytes)).toMatchObject({ kind: 'failed', line: 28 });
    for (let size = 1; size <= 200; size++)
      expect(await decodeInPieces(bytes, size), `pieces of ${size}`).toMatchObject({ kind: 'failed', line: 28 });
    expect(await decodeInPieces(bytes, 7, 'windows-1252')).toMatchObject({ kind: 'ok' });
    const crOnly = encodeWindows1252(`${lines.join('\r')}\r`);
    expect(await decodeInPieces(crOnly, 13)).toMatchObject({ kind: 'failed', line: 28 });
  });

  it('refuses a line longer than MAX_LINE_CHARS, naming it, rather than holding it', async () => {
    const bytes = Buffer.from(`a@example.org,Ann\nb@example.org,${'x'.repeat(MAX_LINE_CHARS)}\nc@example.org\n`);
    expect(await decodeInPieces(bytes, 65_536)).toEqual({
      kind: 'failed',
      line: 2,
      reason: expect.stringMatching(/^a line longer than 1,048,576 characters, where a subscriber's line holds an address and a name/),
    });
  });
});

describe('createSubscriberCsvReader', () => {
  it('finds a repeated address across chunks, naming its first line', () => {
    const text = `email,name\n${Array.from({ length: 3_000 }, (_, index) => `r${index}@example.org,R`).join('\n')}\nR17@Example.org,again\n`;
    const reader = createSubscriberCsvReader();
    const parts = [...cut(text, 1_000).map((piece) => reader.push(piece)), reader.end()];
    expect(parts.flatMap((part) => part.problems)).toEqual([{ line: 3_002, reason: 'r17@example.org is already on line 19' }]);
    expect(parts.flatMap((part) => part.subscribers)).toEqual(parseSubscriberCsv(text).subscribers);
    expect(parts.flatMap((part) => part.subscribers)).toHaveLength(3_000);
  });
});

describe('createSeenAddresses', () => {
  it('keeps 300,000 different addresses apart and finds each again with its line, whatever the seed', () => {
    for (const seed of [[1, 2, 3], [0, 0, 0], undefined]) {
      const seen = createSeenAddresses(seed);
      const address = (index: number) => `reader${index}@example${index % 97}.org`;
      let repeats = 0;
      for (let index = 0; index < 300_000; index++) if (seen.firstLine(address(index), index + 1) !== null) repeats++;
      expect(repeats).toBe(0);
      expect(seen.size).toBe(300_000);
      for (const index of [0, 1, 4_095, 4_096, 123_456, 299_999]) expect(seen.firstLine(address(index), 1_000_000)).toBe(index + 1);
      expect(seen.firstLine('Reader0@example0.org', 7)).toBeNull(); // case matters here: callers lower-case
    }
  });
});
